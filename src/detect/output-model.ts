/**
 * Scanning a tool result with the synchronous tiers (scanOutput) and an asynchronous tier 3
 * model together, for the paths that can wait for a model: the host adapters' result scans when
 * a pipeline has a `resultModel`. The model scores every string the synchronous scan read; its
 * detections join the findings and mark the result `untrusted`, and a model that cannot score a
 * string (it throws, times out, or the string is over its limit) marks it `untrusted` as well,
 * with a `model.failed` finding naming the error's code. Redaction is the synchronous scan's.
 */
import { WardenError } from '../errors.js';
import { forEachResultString, scanOutput, type OutputScan, type OutputScanOptions } from './output.js';
import type { AsyncTextDetector, Finding } from './types.js';

/** Most model findings kept per result (the rest are counted in one summary finding). */
const MAX_MODEL_FINDINGS = 200;

/**
 * {@link scanOutput}, then the tier 3 `model` on every string of `value`.
 *
 * @example
 * ```ts
 * const model = await loadOnnxDetector(config);
 * const r = await scanOutputWithModel(toolResult, { redact: true }, model);
 * r.labels; // ['untrusted'] when tier 1 or the model found an injection, or the model failed
 * ```
 * @throws WardenError `ERR_DETECT_OPTIONS` for bad options (a bad value or a failing model is reported, not thrown).
 */
export async function scanOutputWithModel(value: unknown, options: OutputScanOptions | undefined, model: AsyncTextDetector): Promise<OutputScan> {
  const scan = scanOutput(value, options);
  // invariant: what the synchronous scan could not read is already untrusted (and withheld under redact).
  if (scan.findings.some((f) => f.rule === 'output.unscanned')) return scan;
  const strings: Array<[string, string]> = [];
  forEachResultString(value, (text, path) => strings.push([text, path]));
  const found: Finding[] = [];
  let detected = false;
  let failed: string | null = null;
  for (const [text, path] of strings) {
    if (text.trim() === '') continue;
    try {
      const r = await model.detect(text);
      if (r.detected) detected = true;
      for (const f of r.findings) found.push({ ...f, path });
    } catch (e) {
      const code = e instanceof WardenError ? e.code : 'ERR_DETECT_MODEL';
      failed = `${code}: ${e instanceof Error ? e.message : String(e)}`;
      found.push({ detector: 'injection', rule: 'model.failed', family: 'unscanned', start: 0, end: 0, score: 1, reason: `the tier 3 model ${model.name} could not score this text (${failed}); treated as untrusted`, path });
      break;
    }
  }
  if (found.length > MAX_MODEL_FINDINGS) {
    const dropped = found.length - MAX_MODEL_FINDINGS;
    found.length = MAX_MODEL_FINDINGS;
    found.push({ detector: 'injection', rule: 'model.more', family: 'summary', start: 0, end: 0, score: 0, reason: `${dropped} more tier 3 findings not listed`, path: '$' });
  }
  if (!detected && failed === null) return found.length === 0 ? scan : { ...scan, findings: [...scan.findings, ...found] };
  const labels = scan.labels.includes('untrusted') ? scan.labels : ['untrusted', ...scan.labels];
  return { ...scan, injection: true, findings: [...scan.findings, ...found], labels };
}
