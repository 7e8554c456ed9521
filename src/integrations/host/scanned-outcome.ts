/**
 * The outcome of a tool call that returned, with what its result carries. A host adapter hands a
 * whole result to the pipeline's observe stage ({@link observedResult}), which scans it (tier 1,
 * secrets, the pipeline's `resultModel`), records the findings and adds the labels (`untrusted`
 * for injected instructions, `private` for secrets) to the call's session, where flow rules read
 * them; a stream's values are scanned here one by one ({@link scannedResultWith}) and observed once. When the call's decision says `redactSecrets` (the policy's
 * `results.redactSecrets`), the same scan also gives the redacted copy the model is handed.
 * Internal to src/integrations.
 */
import type { Outcome } from '../../decision.js';
import { scanOutput, type OutputScan } from '../../detect/output.js';
import { scanOutputWithModel } from '../../detect/output-model.js';
import type { AsyncTextDetector } from '../../detect/types.js';
import type { Pipeline } from '../../enforce/pipeline.js';
import { WardenError } from '../../errors.js';

/**
 * An `ok` outcome for `result`, with the labels and findings of its scan (none when it is clean;
 * a result that cannot be scanned is labelled `untrusted`), and the value to hand the model: with
 * `redact`, a copy of `result` with its secrets replaced by `[REDACTED:<kind>]`; `withheld` when
 * it could not be scanned (then hand nothing on: {@link withheldError}).
 *
 * @example
 * ```ts
 * const { outcome, value, withheld } = scannedResult(result, verdict.policyDecision.redactSecrets === true);
 * ```
 */
export function scannedResult<T>(result: T, redact: boolean, durationMs?: number): { outcome: Outcome; value: T; withheld: boolean } {
  return fromScan(result, redact, scanOutput(result, redact ? { redact: true } : undefined), durationMs);
}

/**
 * {@link scannedResult} with the pipeline's tier 3 model (`resultModel`) run on the result too,
 * when it has one: its detections and failures mark the outcome `untrusted` (scanOutputWithModel).
 *
 * @example
 * ```ts
 * const scanned = await scannedResultWith(governor.pipeline.resultModel, result, redact, performance.now() - started);
 * ```
 */
export async function scannedResultWith<T>(model: AsyncTextDetector | null, result: T, redact: boolean, durationMs?: number): Promise<{ outcome: Outcome; value: T; withheld: boolean }> {
  if (model === null) return scannedResult(result, redact, durationMs);
  return fromScan(result, redact, await scanOutputWithModel(result, redact ? { redact: true } : undefined, model), durationMs);
}

/**
 * Records the outcome of a call that returned `result` through the pipeline's observe stage, which
 * scans it (tier 1, secrets, and the pipeline's `resultModel`), records the findings and labels the
 * call's session. Answers the value to hand the model: with `redact`, the redacted copy, and
 * `withheld` when it could not be scanned (then hand nothing on: {@link withheldError}).
 *
 * @example
 * ```ts
 * const { value, withheld } = await observedResult(governor.pipeline, { call: verdict.call, tool }, result, redact, performance.now() - started);
 * ```
 */
export async function observedResult<T>(pipeline: Pipeline, call: { call: string; tool: string }, result: T, redact: boolean, durationMs?: number): Promise<{ value: T; withheld: boolean }> {
  const { scan } = await pipeline.observeResult(call, result, { outcome: { status: 'ok', ...(durationMs !== undefined ? { durationMs } : {}) }, redact });
  return { value: (redact ? scan.value : result) as T, withheld: redact && scan.withheld };
}

function fromScan<T>(result: T, redact: boolean, scan: OutputScan, durationMs: number | undefined): { outcome: Outcome; value: T; withheld: boolean } {
  const outcome: Outcome = {
    status: 'ok',
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(scan.labels.length > 0 ? { labels: scan.labels } : {}),
    ...(scan.findings.length > 0 ? { findings: scan.findings } : {}),
  };
  return { outcome, value: (redact ? scan.value : result) as T, withheld: redact && scan.withheld };
}

/**
 * The error a governed tool throws in place of a result the policy wanted redacted that could not
 * be scanned: nothing unredacted reaches the model.
 *
 * @example
 * ```ts
 * if (withheld) throw withheldError('read_file');
 * ```
 */
export function withheldError(tool: string): WardenError {
  return new WardenError('ERR_DETECT_LIMIT', `The result of ${tool} could not be scanned for secrets (too large, too deep or cyclic), so it was withheld: the policy redacts secrets in its results (results.redactSecrets). Return a smaller result.`);
}
