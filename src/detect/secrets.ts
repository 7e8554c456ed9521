/**
 * Secrets in text a tool returned: the audit redactor's detectors (token formats with fixed
 * prefixes in the style of gitleaks' rule set, PEM blocks, JWTs, URL passwords, Authorization
 * values, `key=value` pairs, US SSNs, and an optional entropy fallback), reported as findings.
 * One set of detectors serves both, so what the log would redact is what the scanner reports.
 */
import { findSecrets } from '../audit/redact.js';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { DetectionResult, Finding } from './types.js';

/**
 * Options of {@link detectSecrets}.
 *
 * @example
 * ```ts
 * const options: SecretOptions = { entropy: true };
 * ```
 */
export interface SecretOptions {
  /** Also report random-looking runs (20+ mixed base64 characters, 32+ hex digits). Default false. */
  entropy?: boolean;
  /** Longest text scanned; longer throws `ERR_DETECT_LIMIT`. Default 4 Mi. */
  maxLength?: number;
}

const DEFAULT_MAX_LENGTH = 4 * 1024 * 1024;

/**
 * Lists the secrets in `text`. Pure and synchronous.
 *
 * @example
 * ```ts
 * const r = detectSecrets('export GITHUB_TOKEN=ghp_' + 'a'.repeat(36));
 * r.findings[0]?.rule; // 'secret.github_token'
 * r.labels;            // ['private']
 * ```
 * @throws WardenError `ERR_DETECT_LIMIT` over `maxLength`, `ERR_DETECT_OPTIONS` for bad options.
 */
export function detectSecrets(text: string, options?: SecretOptions): DetectionResult {
  rejectUnknownKeys(options, ['entropy', 'maxLength'], 'ERR_DETECT_OPTIONS', 'detectSecrets options');
  const maxLength = options?.maxLength ?? DEFAULT_MAX_LENGTH;
  if (!Number.isSafeInteger(maxLength) || maxLength <= 0) throw new WardenError('ERR_DETECT_OPTIONS', `maxLength must be a positive integer; got ${String(maxLength)}.`);
  if (options?.entropy !== undefined && typeof options.entropy !== 'boolean') throw new WardenError('ERR_DETECT_OPTIONS', 'entropy must be true or false.');
  if (typeof text !== 'string') throw new WardenError('ERR_DETECT_OPTIONS', `Pass the text to scan as a string; got ${typeof text}.`);
  if (text.length > maxLength) throw new WardenError('ERR_DETECT_LIMIT', `The text is ${text.length} characters, over the limit of ${maxLength}; it was not scanned for secrets. Raise maxLength or split the text.`);
  const findings: Finding[] = findSecrets(text, { entropy: options?.entropy === true, maxStringLength: maxLength }).map((s) => ({
    detector: 'secret',
    rule: `secret.${s.kind}`,
    family: s.kind,
    start: s.start,
    end: s.end,
    score: s.kind === 'high_entropy' ? 0.6 : 1,
    reason: s.kind === 'high_entropy' ? 'a random-looking string that may be a credential' : `looks like a credential (${s.kind.replace(/_/g, ' ')})`,
  }));
  const score = findings.reduce((m, f) => Math.max(m, f.score), 0);
  return { detected: findings.length > 0, score, findings, labels: findings.length > 0 ? ['private'] : [] };
}
