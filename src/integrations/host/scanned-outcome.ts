/**
 * The outcome of a tool call that returned, with what its result carries: every host adapter
 * scans the result (agent-warden/detect `scanOutput`) so the observe stage records the findings
 * and adds the labels (`untrusted` for injected instructions, `private` for secrets) to the call's
 * session, where flow rules read them. When the call's decision says `redactSecrets` (the policy's
 * `results.redactSecrets`), the same scan also gives the redacted copy the model is handed.
 * Internal to src/integrations.
 */
import type { Outcome } from '../../decision.js';
import { scanOutput } from '../../detect/output.js';
import { WardenError } from '../../errors.js';

/**
 * An `ok` outcome for `result`, with the labels and findings of its scan (none when it is clean).
 * A result that cannot be scanned (too large, too deep, a cycle) is labelled `untrusted`.
 *
 * @example
 * ```ts
 * await governor.pipeline.observe({ call, tool }, scannedOutcome(result, performance.now() - started));
 * ```
 */
export function scannedOutcome(result: unknown, durationMs?: number): Outcome {
  return scannedResult(result, false, durationMs).outcome;
}

/**
 * {@link scannedOutcome}, and the value to hand the model: with `redact`, a copy of `result` with
 * its secrets replaced by `[REDACTED:<kind>]`; `withheld` when it could not be scanned (then hand
 * nothing on: {@link withheldError}).
 *
 * @example
 * ```ts
 * const { outcome, value, withheld } = scannedResult(result, verdict.policyDecision.redactSecrets === true);
 * ```
 */
export function scannedResult<T>(result: T, redact: boolean, durationMs?: number): { outcome: Outcome; value: T; withheld: boolean } {
  const scan = scanOutput(result, redact ? { redact: true } : undefined);
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
