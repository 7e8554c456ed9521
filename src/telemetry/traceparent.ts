/**
 * W3C Trace Context `traceparent` headers (https://www.w3.org/TR/trace-context/#traceparent-header),
 * read so a host's trace continues through Warden even when no propagator is registered.
 */

/**
 * The trace id, parent span id and flags of a `traceparent` value, or null when it is not a valid
 * one: version `00` (or a later version, read by its first four fields), lower-case hex, and
 * neither id all zeros. Version `ff` is invalid.
 *
 * @example
 * ```ts
 * parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
 * // { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 }
 * ```
 */
export function parseTraceparent(value: unknown): { traceId: string; spanId: string; traceFlags: number } | null {
  if (typeof value !== 'string' || value.length > 512) return null;
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(value);
  if (m === null) return null;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff') return null;
  // Version 00 has exactly four fields; a later version may add more after a dash.
  if (version === '00' && rest !== undefined) return null;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) };
}
