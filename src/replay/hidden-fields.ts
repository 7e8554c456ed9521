/**
 * What a record's redaction notes hide from a re-evaluation, in the path form rules read.
 *
 * A rule's compiled `reads` are dot-joined field paths (`args.password`, `context.environment`);
 * the audit redactor reports JSONPath-like notes (`$.request.args.password`,
 * `$.request.args["x-api-key"]`, `$.request.args.items[0]`, `$.request.args.sk_live_x#key`).
 * This module maps one onto the other, erring towards hiding more: whatever it cannot read hides
 * everything, never nothing.
 */
import type { RedactionNote } from '../audit/record.js';

/**
 * The request data a record's redactions hid.
 *
 * @example
 * ```ts
 * const hidden = hiddenFields([{ path: '$.request.args.password', kind: 'password' }]);
 * hidden.paths; // ['args.password']
 * ```
 */
export interface HiddenFields {
  /**
   * True when no rule can be trusted on this record: the tool name or the whole request was
   * redacted, or a note's path could not be read.
   */
  everything: boolean;
  /** Hidden field paths in the form rules read (`args.password`, `args`, `context`, `agent.id`), deduplicated. */
  paths: readonly string[];
  /** True when anything under `args` is hidden (facets are computed from `args`). */
  args: boolean;
}

/** Nothing hidden: the common case, shared. */
const NONE: HiddenFields = Object.freeze({ everything: false, paths: Object.freeze([]), args: false });

const IDENTIFIER_START = /[A-Za-z_$]/;
const IDENTIFIER_PART = /[A-Za-z0-9_$]/;

/** A parsed note path: its segments (`index` for array positions) and whether a key name was rewritten. */
interface NotePath {
  segments: Array<{ key: string } | { index: number }>;
  keyRenamed: boolean;
}

/**
 * Parses a redactor path: `$`, then `.ident`, `["json string"]` or `[digits]` members, then an
 * optional `#key` (the member's name itself was redacted). Null for anything else.
 */
function parseNotePath(path: string): NotePath | null {
  if (!path.startsWith('$')) return null;
  const segments: NotePath['segments'] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      let j = i + 1;
      if (j >= path.length || !IDENTIFIER_START.test(path[j] as string)) return null;
      while (j < path.length && IDENTIFIER_PART.test(path[j] as string)) j++;
      segments.push({ key: path.slice(i + 1, j) });
      i = j;
    } else if (c === '[' && path[i + 1] === '"') {
      // A JSON string literal: scan to its unescaped closing quote.
      let j = i + 2;
      while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
      if (j >= path.length || path[j + 1] !== ']') return null;
      let key: unknown;
      try {
        key = JSON.parse(path.slice(i + 1, j + 1));
      } catch {
        return null;
      }
      if (typeof key !== 'string') return null;
      segments.push({ key });
      i = j + 2;
    } else if (c === '[') {
      const close = path.indexOf(']', i);
      const digits = close === -1 ? '' : path.slice(i + 1, close);
      if (!/^[0-9]{1,9}$/.test(digits)) return null;
      segments.push({ index: Number(digits) });
      i = close + 1;
    } else if (c === '#' && path.slice(i) === '#key') {
      return { segments, keyRenamed: true };
    } else {
      return null;
    }
  }
  return { segments, keyRenamed: false };
}

/**
 * The rule-read paths a record's redaction notes hide.
 *
 * - `$.request.args…` maps to `args…`, `$.request.context…` to `context…`, `$.agent…` to `agent…`.
 * - An array position ends the path (`args.items[0].token` hides `args.items`): rules read lists
 *   through comprehensions, whose paths stop at the list.
 * - A redacted member name (`…#key`) hides its whole parent object: the original name is unknown,
 *   so any read of that object could have been a read of it.
 * - `oversize` at `$.request.args` hides `args` and `context` (the writer dropped both).
 * - Notes under `$.decision` and `$.outcome` hide nothing a rule reads.
 * - The tool name, the whole request, any other root, or a path that does not parse hide everything.
 *
 * @example
 * ```ts
 * hiddenFields([{ path: '$.request.args', kind: 'oversize' }]); // { everything: false, paths: ['args', 'context'], args: true }
 * hiddenFields([{ path: '$.decision.reason', kind: 'password' }]).paths; // []
 * ```
 */
export function hiddenFields(notes: readonly RedactionNote[]): HiddenFields {
  if (notes.length === 0) return NONE;
  const paths = new Set<string>();
  for (const note of notes) {
    const path = (note as { path?: unknown } | null)?.path;
    if (typeof path !== 'string') return { everything: true, paths: [], args: true };
    const parsed = parseNotePath(path);
    if (parsed === null) return { everything: true, paths: [], args: true };
    const hidden = ruleReadPath(parsed);
    if (hidden === 'everything') return { everything: true, paths: [], args: true };
    if (hidden === null) continue;
    paths.add(hidden);
    if ((note as { kind?: unknown }).kind === 'oversize' && hidden === 'args') paths.add('context');
  }
  if (paths.size === 0) return NONE;
  const list = [...paths];
  return { everything: false, paths: list, args: list.some((p) => p === 'args' || p.startsWith('args.')) };
}

/** The rule-read path a parsed note hides; null when it hides nothing rules read. */
function ruleReadPath(note: NotePath): string | 'everything' | null {
  const keys: string[] = [];
  for (const s of note.segments) {
    if ('index' in s) break;
    keys.push(s.key);
  }
  // A renamed member hides its parent; a position before it already hid more than that.
  if (note.keyRenamed && keys.length === note.segments.length) keys.pop();
  const [root, second] = keys;
  if (root === 'decision' || root === 'outcome') return null;
  if (root === 'agent') return keys.join('.');
  if (root !== 'request') return 'everything';
  if (second === 'args' || second === 'context') return keys.slice(1).join('.');
  return 'everything';
}

/**
 * True when a rule reading `read` could see data hidden at `hidden`: the paths are equal, or one
 * is a prefix of the other at a member boundary. Both are dot-joined; a key holding a dot can only
 * make this answer true more often, never less.
 *
 * @example
 * ```ts
 * pathsOverlap('args', 'args.password'); // true
 * pathsOverlap('args.pass', 'args.password'); // false
 * ```
 */
export function pathsOverlap(read: string, hidden: string): boolean {
  if (read === hidden) return true;
  if (hidden.length > read.length) return hidden.startsWith(read) && hidden.charCodeAt(read.length) === 46;
  return read.startsWith(hidden) && read.charCodeAt(hidden.length) === 46;
}
