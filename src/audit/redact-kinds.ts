/**
 * The redaction kinds and the marker text that replaces a span: `[REDACTED:<kind>]`.
 *
 * Markers are recognized only for these kinds, so text that merely looks like a marker
 * (`[REDACTED:ghp_...]`) is scanned like any other text.
 */

/** Every kind a detector or a key name can produce; stable lower-case ids without digits. */
export const REDACTION_KINDS: readonly string[] = [
  'aws_access_key_id',
  'aws_secret_access_key',
  'github_token',
  'gitlab_token',
  'npm_token',
  'slack_token',
  'slack_webhook',
  'stripe_key',
  'openai_key',
  'anthropic_key',
  'google_api_key',
  'google_oauth_token',
  'azure_sas',
  'azure_storage_key',
  'jwt',
  'private_key',
  'url_password',
  'authorization',
  'password',
  'secret',
  'token',
  'api_key',
  'cookie',
  'ssn',
  'high_entropy',
];

/** Source of a RegExp matching any marker (literal alternation: linear). */
export const MARKER_SOURCE = `\\[REDACTED:(?:${REDACTION_KINDS.join('|')})\\]`;

const MARKERS: ReadonlySet<string> = new Set(REDACTION_KINDS.map((k) => `[REDACTED:${k}]`));

/**
 * The text that replaces a span of `kind`.
 *
 * @example
 * ```ts
 * marker('jwt'); // '[REDACTED:jwt]'
 * ```
 */
export function marker(kind: string): string {
  return `[REDACTED:${kind}]`;
}

/**
 * True when `text.slice(start, end)` is exactly a marker.
 *
 * @example
 * ```ts
 * isMarkerAt('x=[REDACTED:token]', 2, 18); // true
 * ```
 */
export function isMarkerAt(text: string, start: number, end: number): boolean {
  return (
    end - start <= 40 && text.charCodeAt(start) === 0x5b && text.charCodeAt(end - 1) === 0x5d && MARKERS.has(text.slice(start, end))
  );
}

/**
 * The end of the marker starting at `start`, or -1 when none starts there.
 *
 * @example
 * ```ts
 * markerEndAt('a[REDACTED:jwt]b', 1); // 15
 * ```
 */
export function markerEndAt(text: string, start: number): number {
  if (text.charCodeAt(start) !== 0x5b || !text.startsWith('[REDACTED:', start)) return -1;
  // invariant: bounded look-ahead (no marker is longer than 40), so callers stay linear.
  const limit = Math.min(text.length, start + 40);
  for (let i = start + 10; i < limit; i++) {
    if (text.charCodeAt(i) === 0x5d) return isMarkerAt(text, start, i + 1) ? i + 1 : -1;
  }
  return -1;
}

/**
 * True when `text.slice(start, end)` is one or more markers back to back (already redacted).
 *
 * @example
 * ```ts
 * onlyMarkers('[REDACTED:jwt][REDACTED:token]', 0, 30); // true
 * ```
 */
export function onlyMarkers(text: string, start: number, end: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; ) {
    const next = markerEndAt(text, i);
    if (next < 0 || next > end) return false;
    i = next;
  }
  return true;
}

/**
 * Removes markers from a key name before it is classified: a key the redactor rewrote names a
 * secret that is gone, not a field whose value is secret (so redaction stays idempotent).
 *
 * @example
 * ```ts
 * stripMarkers('[REDACTED:github_token]#2'); // ' #2'
 * ```
 */
export function stripMarkers(key: string): string {
  return key.includes('[REDACTED:') ? key.replace(new RegExp(MARKER_SOURCE, 'g'), ' ') : key;
}
