/**
 * The outcome of a tool call that returned, with what its result carries: every host adapter
 * scans the result (agent-warden/detect `scanOutput`) so the observe stage records the findings
 * and adds the labels (`untrusted` for injected instructions, `private` for secrets) to the call's
 * session, where flow rules read them. Internal to src/integrations.
 */
import type { Outcome } from '../../decision.js';
import { scanOutput } from '../../detect/output.js';

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
  const scan = scanOutput(result);
  return {
    status: 'ok',
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(scan.labels.length > 0 ? { labels: scan.labels } : {}),
    ...(scan.findings.length > 0 ? { findings: scan.findings } : {}),
  };
}
