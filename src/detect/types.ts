/**
 * The result types every detector returns: findings with spans, scores and reasons, and the
 * session labels a result adds. Plain data, so a record, a policy or another issue's session store
 * can read them without importing a detector.
 */

/** Which detector produced a finding. */
export type DetectorName = 'injection' | 'secret' | 'poisoning';

/**
 * One thing a detector found. `start`/`end` are UTF-16 offsets in the text that was scanned
 * (`end` exclusive); for a finding inside an encoded layer (base64, hex, ...) the span covers the
 * whole encoded run in the original text, and `layer` names the encodings peeled to find it.
 *
 * @example
 * ```ts
 * const f: Finding = { detector: 'injection', rule: 'override.ignore-prior', family: 'override', start: 0, end: 32, score: 0.9, reason: 'asks the model to ignore its earlier instructions' };
 * ```
 */
export interface Finding {
  detector: DetectorName;
  /** The rule's stable id (`override.ignore-prior`, `secret.github_token`, `poisoning.typosquat`). */
  rule: string;
  /** The rule's family (`override`, `system`, `tool`, `exfiltration`, `secrecy`, `hidden`, a secret kind, ...). */
  family: string;
  start: number;
  end: number;
  /** 0..1; a finding at or above the detector's threshold counts as a detection. */
  score: number;
  /** One sentence a person can read in a log. */
  reason: string;
  /** Encodings peeled to reach it, outermost first (`['base64']`), when it was inside one. */
  layer?: string[];
  /** Where in a structured value it was found (`$.content[0].text`, `$.inputSchema.properties.notes.description`). */
  path?: string;
}

/**
 * What a detector says about one text.
 *
 * @example
 * ```ts
 * const r: DetectionResult = { detected: true, score: 0.9, findings: [], labels: ['untrusted'] };
 * if (r.labels.includes('untrusted')) console.log('mark the session');
 * ```
 */
export interface DetectionResult {
  /** True when some finding scored at or above the threshold. */
  detected: boolean;
  /** The highest finding score (0 when none). */
  score: number;
  /** Every finding at or above the report floor, in text order. */
  findings: Finding[];
  /**
   * Session flow labels this result adds (`untrusted` when an injection was detected, `private`
   * when a secret was found). The session store of the limits/flows issue accumulates them; today
   * they are recorded on the outcome.
   */
  labels: string[];
}

/**
 * A detector that scores text asynchronously (the tier 3 ONNX model, `loadOnnxDetector`): what
 * the asynchronous paths (the adapters' result scans, `warden detect --model`) run beside the
 * synchronous tiers. It throws (WardenError `ERR_DETECT_MODEL`) when it cannot score a text;
 * callers treat that as untrusted, never as clean.
 *
 * @example
 * ```ts
 * const model: AsyncTextDetector = await loadOnnxDetector(config);
 * (await model.detect('Ignore previous instructions')).detected;
 * ```
 */
export interface AsyncTextDetector {
  /** A short name for findings and logs (the model file's name). */
  readonly name: string;
  detect(text: string): Promise<DetectionResult>;
}
