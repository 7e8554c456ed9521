/**
 * ACS paths (specification section 3): an explicit root (`$snap`, `$` / `$.name`, `$pi`,
 * `$policy_target`, `$tool`) then `.name`, `[n]` and `["name"]` segments. Values are read without
 * coercion; a missing member is `path_missing`, a segment on the wrong JSON type
 * `path_type_mismatch`.
 */
import { AcsFailure } from './reasons.js';

/** The roots a path can start with (`$` and `$.name` normalize to `snap`). */
export type AcsPathRoot = 'snap' | 'pi' | 'policy_target' | 'tool';

/**
 * A parsed path.
 *
 * @example
 * ```ts
 * const p: AcsPath = { text: '$snap.tool_call.args', root: 'snap', segments: ['tool_call', 'args'] };
 * ```
 */
export interface AcsPath {
  readonly text: string;
  readonly root: AcsPathRoot;
  readonly segments: readonly (string | number)[];
}

/** Longest path accepted, in characters, and most segments. */
export const MAX_PATH_CHARS = 4096;
export const MAX_PATH_SEGMENTS = 128;

const ROOTS: Readonly<Record<string, AcsPathRoot>> = { snap: 'snap', pi: 'pi', policy_target: 'policy_target', tool: 'tool', '': 'snap' };

/**
 * Parses a path, or returns a message saying what is wrong with it.
 *
 * @example
 * ```ts
 * parseAcsPath('$snap.tool_call["a.b"][0]'); // { text, root: 'snap', segments: ['tool_call', 'a.b', 0] }
 * parseAcsPath('snap.x'); // 'a path starts with $ ...'
 * ```
 */
export function parseAcsPath(text: unknown): AcsPath | string {
  if (typeof text !== 'string' || text === '') return 'a path must be a non-empty string';
  if (text.length > MAX_PATH_CHARS) return `a path is at most ${MAX_PATH_CHARS} characters`;
  if (text[0] !== '$') return `a path starts with a root ($snap, $pi, $policy_target, $tool, or $), got ${JSON.stringify(text.slice(0, 40))}`;
  const head = /^\$([A-Za-z_]*)/.exec(text)?.[1] ?? '';
  const root = Object.hasOwn(ROOTS, head) ? ROOTS[head] : undefined;
  if (root === undefined) return `unknown path root $${head} (use $snap, $pi, $policy_target, $tool, or $)`;
  const segments: (string | number)[] = [];
  let i = 1 + head.length;
  while (i < text.length) {
    if (segments.length >= MAX_PATH_SEGMENTS) return `a path has at most ${MAX_PATH_SEGMENTS} segments`;
    const c = text[i];
    if (c === '.') {
      const m = /^[^.[\]"]+/.exec(text.slice(i + 1));
      if (m === null) return `empty or malformed member name at character ${i + 1} of ${JSON.stringify(text)}`;
      segments.push(m[0]);
      i += 1 + m[0].length;
    } else if (c === '[') {
      const index = /^\[(0|[1-9][0-9]{0,8})\]/.exec(text.slice(i));
      if (index !== null) {
        segments.push(Number(index[1]));
        i += index[0].length;
        continue;
      }
      const quoted = /^\["((?:[^"\\]|\\.)*)"\]/.exec(text.slice(i));
      if (quoted === null) return `malformed [...] segment at character ${i + 1} of ${JSON.stringify(text)} (use [n] with n >= 0, or ["name"])`;
      let name: unknown;
      try {
        name = JSON.parse(`"${quoted[1]}"`);
      } catch {
        return `malformed quoted member name at character ${i + 1} of ${JSON.stringify(text)}`;
      }
      segments.push(name as string);
      i += quoted[0].length;
    } else {
      return `unexpected ${JSON.stringify(c)} at character ${i + 1} of ${JSON.stringify(text)}`;
    }
  }
  return { text, root, segments };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads the value at `segments` under `base`; throws the reserved failure when it does not resolve.
 *
 * @example
 * ```ts
 * resolveSegments({ a: [1, 2] }, ['a', 1], '$snap.a[1]'); // 2
 * ```
 */
export function resolveSegments(base: unknown, segments: readonly (string | number)[], text: string): unknown {
  let value = base;
  for (const seg of segments) {
    if (typeof seg === 'number') {
      if (!Array.isArray(value)) throw new AcsFailure('runtime_error:path_type_mismatch', `${text}: [${seg}] applied to a non-array`);
      if (seg >= value.length) throw new AcsFailure('runtime_error:path_missing', `${text}: index ${seg} is out of range`);
      value = value[seg];
    } else {
      if (!isObject(value)) throw new AcsFailure('runtime_error:path_type_mismatch', `${text}: member ${JSON.stringify(seg)} applied to a non-object`);
      if (!Object.hasOwn(value, seg)) throw new AcsFailure('runtime_error:path_missing', `${text}: no member ${JSON.stringify(seg)}`);
      value = value[seg];
    }
  }
  return value;
}

/**
 * Returns a copy of `base` with the value at `segments` replaced by `next` (the location must
 * exist); throws `transform_invalid` when it does not resolve.
 *
 * @example
 * ```ts
 * replaceAt({ text: 'a', n: 1 }, ['text'], 'b'); // { text: 'b', n: 1 }
 * ```
 */
export function replaceAt(base: unknown, segments: readonly (string | number)[], next: unknown): unknown {
  if (segments.length === 0) return next;
  const [seg, ...rest] = segments;
  if (typeof seg === 'number') {
    if (!Array.isArray(base) || seg >= base.length) throw new AcsFailure('runtime_error:transform_invalid', `the transform path does not resolve at [${seg}]`);
    const copy = base.slice();
    copy[seg] = replaceAt(base[seg], rest, next);
    return copy;
  }
  if (!isObject(base) || !Object.hasOwn(base, seg as string)) throw new AcsFailure('runtime_error:transform_invalid', `the transform path does not resolve at ${JSON.stringify(seg)}`);
  const copy: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(base)) copy[k] = v;
  copy[seg as string] = replaceAt(base[seg as string], rest, next);
  return { ...copy };
}
