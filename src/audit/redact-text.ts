/**
 * Redaction of one string: run every detector over the folded view, map the spans back to the
 * original offsets, merge overlaps, build the output once, then re-scan it and fail closed.
 */
import { WardenError } from '../errors.js';
import { buildView } from './redact-fold.js';
import { DETECTORS, cannotMatch } from './redact-detectors.js';
import { MARKER_SOURCE, marker } from './redact-kinds.js';
import type { Detector, RawFinding, ScanContext } from './redact-detectors.js';

/** A merged finding in offsets of the original string. */
export interface TextSpan {
  kind: string;
  start: number;
  end: number;
}

/**
 * Finds every secret in `text`: all detectors' spans, mapped to the original offsets and merged
 * where they overlap (the merged span takes the kind of its most specific detector).
 *
 * @example
 * ```ts
 * scanText('token=abc', { entropy: false, extraKeys: [] }); // [{ kind: 'token', start: 6, end: 9 }]
 * ```
 */
export function scanText(text: string, ctx: ScanContext, detectors: readonly Detector[] = DETECTORS): TextSpan[] {
  const view = buildView(text);
  if (detectors === DETECTORS && cannotMatch(view.text, ctx)) return [];
  const raw: RawFinding[] = [];
  for (const detect of detectors) detect(view.text, ctx, raw);
  if (raw.length === 0) return [];
  const kept = dropInsideMarkers(view.text, raw);
  if (kept.length === 0) return [];
  if (view.starts !== null && view.ends !== null) {
    const starts = view.starts;
    const ends = view.ends;
    for (const f of kept) {
      const s = f.start;
      const e = f.end;
      f.start = starts[s] ?? text.length;
      f.end = e > s ? (ends[e - 1] ?? text.length) : f.start;
    }
  }
  return merge(kept);
}

/**
 * Redacts one string and re-scans the result.
 *
 * @example
 * ```ts
 * redactText('password=hunter2', { entropy: false, extraKeys: [] }).text; // 'password=[REDACTED:password]'
 * ```
 * @throws WardenError `ERR_REDACTION_INCOMPLETE` when the re-scan of the output still finds a secret.
 */
export function redactText(
  text: string,
  ctx: ScanContext,
  detectors: readonly Detector[] = DETECTORS,
): { text: string; spans: TextSpan[] } {
  const spans = scanText(text, ctx, detectors);
  if (spans.length === 0) return { text, spans };
  const parts: string[] = [];
  const markers = new Map<string, string>();
  let pos = 0;
  for (const s of spans) {
    let m = markers.get(s.kind);
    if (m === undefined) {
      m = marker(s.kind);
      markers.set(s.kind, m);
    }
    if (s.start > pos) parts.push(text.slice(pos, s.start));
    parts.push(m);
    pos = s.end;
  }
  parts.push(text.slice(pos));
  const out = parts.join('');
  const left = scanText(out, ctx, detectors);
  if (left.length > 0) {
    const kinds = [...new Set(left.map((s) => s.kind))].join(', ');
    throw new WardenError(
      'ERR_REDACTION_INCOMPLETE',
      `Redaction is incomplete: the redacted text still contains ${left.length} finding(s) (${kinds}). The value must not be recorded.`,
    );
  }
  return { text: out, spans };
}

/**
 * A marker the redactor wrote is not a secret: a finding entirely inside one is dropped, so that
 * `password=[REDACTED:password]` stays as it is (idempotence, and a clean re-scan).
 */
function dropInsideMarkers(t: string, raw: RawFinding[]): RawFinding[] {
  if (!t.includes('[REDACTED:')) return raw;
  const re = new RegExp(MARKER_SOURCE, 'g');
  const starts: number[] = [];
  const ends: number[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    starts.push(m.index);
    ends.push(m.index + m[0].length);
  }
  if (starts.length === 0) return raw;
  return raw.filter((f) => {
    // The last marker starting at or before the finding (markers never overlap).
    let lo = 0;
    let hi = starts.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((starts[mid] ?? 0) <= f.start) {
        at = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return at < 0 || f.end > (ends[at] ?? 0);
  });
}

/** Sorts and merges in place (no copies: a pathological text can hold hundreds of thousands of findings). */
function merge(found: RawFinding[]): TextSpan[] {
  found.sort((a, b) => a.start - b.start || b.end - a.end || a.priority - b.priority);
  let n = 0;
  for (const f of found) {
    if (f.end <= f.start) continue;
    const cur = n > 0 ? found[n - 1] : undefined;
    if (cur !== undefined && f.start < cur.end) {
      if (f.end > cur.end) cur.end = f.end;
      if (f.priority < cur.priority) {
        cur.priority = f.priority;
        cur.kind = f.kind;
      }
      continue;
    }
    found[n++] = f;
  }
  found.length = n;
  return found;
}
