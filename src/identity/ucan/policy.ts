/**
 * The UCAN policy language (delegation spec, "Policy"): statements over an invocation's `args`
 * with jq-like selectors. Evaluation never throws: a selector that cannot be resolved makes its
 * statement false. Validation at decode time rejects malformed policies (InvalidClaim), bounded in
 * depth and size so a hostile delegation cannot exhaust the verifier.
 */
import { CID } from 'multiformats/cid';
import { UcanError } from './errors.js';

/**
 * A UCAN policy: a list of statements, all of which must hold.
 *
 * @example
 * ```ts
 * const policy: UcanPolicy = [['==', '.from', 'alice@example.com'], ['any', '.to', ['like', '.', '*@example.com']]];
 * ```
 */
export type UcanPolicy = unknown[];

const MAX_DEPTH = 32;
const MAX_STATEMENTS = 1024;

type Segment =
  | { kind: 'field'; key: string; optional: boolean }
  | { kind: 'index'; index: number; optional: boolean }
  | { kind: 'slice'; from: number | null; to: number | null; optional: boolean }
  | { kind: 'values'; optional: boolean };

const selectorCache = new Map<string, Segment[]>();

/**
 * Parses a selector (`.`, `.a.b`, `.a[0]`, `.a[-1]`, `.a[1:3]`, `.["key"]`, `.a[]`, `.a?`).
 *
 * @example
 * ```ts
 * parseSelector('.to[0]'); // [{ kind: 'field', key: 'to', ... }, { kind: 'index', index: 0, ... }]
 * ```
 * @throws UcanError `InvalidClaim` for a malformed selector.
 */
export function parseSelector(selector: string): Segment[] {
  const cached = selectorCache.get(selector);
  if (cached !== undefined) return cached;
  const bad = (why: string): UcanError => new UcanError('InvalidClaim', `The selector ${JSON.stringify(selector)} is malformed: ${why}.`);
  if (typeof selector !== 'string' || selector.length === 0 || selector.length > 1024 || selector[0] !== '.') throw bad('it must begin with "."');
  const out: Segment[] = [];
  let i = 1;
  let afterDot = true;
  while (i < selector.length) {
    const c = selector[i] as string;
    if (c === '.') {
      if (afterDot) throw bad('".." is not allowed');
      afterDot = true;
      i++;
      if (i === selector.length) throw bad('it ends with "."');
      continue;
    }
    let seg: Segment;
    if (c === '[') {
      const close = findClose(selector, i);
      if (close === -1) throw bad('an unclosed "["');
      const inner = selector.slice(i + 1, close);
      seg = bracket(inner, bad);
      i = close + 1;
    } else if (afterDot && /[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < selector.length && /[A-Za-z0-9_]/.test(selector[j] as string)) j++;
      seg = { kind: 'field', key: selector.slice(i, j), optional: false };
      i = j;
    } else {
      throw bad(`unexpected ${JSON.stringify(c)}`);
    }
    while (selector[i] === '?') {
      seg.optional = true;
      i++;
    }
    out.push(seg);
    afterDot = false;
  }
  if (selectorCache.size < 4096) selectorCache.set(selector, out);
  return out;
}

function findClose(s: string, open: number): number {
  if (s[open + 1] === '"') {
    // A quoted key: find the closing quote (JSON escapes), then the bracket.
    let j = open + 2;
    while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
    return s[j + 1] === ']' ? j + 1 : -1;
  }
  return s.indexOf(']', open);
}

function bracket(inner: string, bad: (why: string) => UcanError): Segment {
  if (inner === '') return { kind: 'values', optional: false };
  if (inner[0] === '"') {
    let key: unknown;
    try {
      key = JSON.parse(inner);
    } catch {
      throw bad(`the key ${inner} is not a JSON string`);
    }
    if (typeof key !== 'string') throw bad('a bracketed key must be a string');
    return { kind: 'field', key, optional: false };
  }
  const slice = /^(-?\d+)?:(-?\d+)?$/.exec(inner);
  if (slice !== null) return { kind: 'slice', from: slice[1] === undefined ? null : Number(slice[1]), to: slice[2] === undefined ? null : Number(slice[2]), optional: false };
  if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner), optional: false };
  throw bad(`[${inner}] is neither an index, a slice, a quoted key nor []`);
}

const FAIL = Symbol('unresolved');

/** Resolves a selector against a value; FAIL when it cannot be resolved. */
function select(value: unknown, segments: Segment[]): unknown {
  let v = value;
  for (const seg of segments) {
    const next = step(v, seg);
    if (next === FAIL) {
      if (!seg.optional) return FAIL;
      return null;
    }
    v = next;
  }
  return v;
}

function step(v: unknown, seg: Segment): unknown {
  switch (seg.kind) {
    case 'field':
      if (!isMap(v)) return FAIL;
      // A missing key of a map is null (the spec's rule); further segments then fail on null.
      return Object.prototype.hasOwnProperty.call(v, seg.key) ? (v as Record<string, unknown>)[seg.key] : null;
    case 'index': {
      if (!Array.isArray(v) && !(v instanceof Uint8Array)) return FAIL;
      const i = seg.index < 0 ? v.length + seg.index : seg.index;
      return i >= 0 && i < v.length ? v[i] : FAIL;
    }
    case 'slice': {
      if (!Array.isArray(v) && !(v instanceof Uint8Array)) return FAIL;
      const from = seg.from === null ? 0 : seg.from < 0 ? Math.max(0, v.length + seg.from) : Math.min(seg.from, v.length);
      const to = seg.to === null ? v.length : seg.to < 0 ? Math.max(0, v.length + seg.to) : Math.min(seg.to, v.length);
      return Array.isArray(v) ? v.slice(from, Math.max(from, to)) : v.slice(from, Math.max(from, to));
    }
    case 'values':
      if (Array.isArray(v)) return v;
      if (isMap(v)) return Object.values(v as object);
      return FAIL;
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && CID.asCID(v) === null;
}

/**
 * Checks that `policy` is a well-formed UCAN policy (every statement, selector and glob).
 *
 * @example
 * ```ts
 * checkPolicy([['==', '.a', 1]], 'pol');
 * ```
 * @throws UcanError `InvalidClaim`
 */
export function checkPolicy(policy: unknown, where: string): UcanPolicy {
  if (!Array.isArray(policy)) throw new UcanError('InvalidClaim', `${where} is not a list of statements.`);
  const budget = { n: MAX_STATEMENTS };
  for (const s of policy) checkStatement(s, 1, budget, where);
  return policy;
}

function checkStatement(s: unknown, depth: number, budget: { n: number }, where: string): void {
  const bad = (why: string): UcanError => new UcanError('InvalidClaim', `${where}: ${why}.`);
  if (depth > MAX_DEPTH) throw bad(`statements nest deeper than ${MAX_DEPTH}`);
  if (--budget.n < 0) throw bad(`more than ${MAX_STATEMENTS} statements`);
  if (!Array.isArray(s) || s.length === 0 || typeof s[0] !== 'string') throw bad(`${short(s)} is not a statement [operator, ...]`);
  const [op] = s;
  switch (op) {
    case '==':
    case '!=':
      if (s.length !== 3) throw bad(`${op} takes a selector and a value`);
      parseSelector(s[1] as string);
      return;
    case '<':
    case '<=':
    case '>':
    case '>=':
      if (s.length !== 3 || typeof s[2] !== 'number') throw bad(`${op} takes a selector and a number`);
      parseSelector(s[1] as string);
      return;
    case 'like':
      if (s.length !== 3 || typeof s[2] !== 'string') throw bad('like takes a selector and a pattern');
      parseSelector(s[1] as string);
      return;
    case 'not':
      if (s.length !== 2) throw bad('not takes one statement');
      checkStatement(s[1], depth + 1, budget, where);
      return;
    case 'and':
    case 'or':
      if (s.length !== 2 || !Array.isArray(s[1])) throw bad(`${op} takes a list of statements`);
      for (const inner of s[1] as unknown[]) checkStatement(inner, depth + 1, budget, where);
      return;
    case 'all':
    case 'any':
      if (s.length !== 3) throw bad(`${op} takes a selector and a statement`);
      parseSelector(s[1] as string);
      checkStatement(s[2], depth + 1, budget, where);
      return;
    default:
      throw bad(`unknown operator ${JSON.stringify(op)}`);
  }
}

/**
 * True when `args` satisfies every statement of `policy` (which {@link checkPolicy} accepted).
 * Never throws: what cannot be resolved or compared is false.
 *
 * @example
 * ```ts
 * policyMatches([['any', '.to', ['like', '.', '*@example.com']]], { to: ['bob@example.com'] }); // true
 * ```
 */
export function policyMatches(policy: UcanPolicy, args: unknown): boolean {
  return policy.every((s) => evaluate(s as unknown[], args));
}

function evaluate(s: unknown[], value: unknown): boolean {
  const op = s[0];
  switch (op) {
    case '==':
    case '!=': {
      const v = select(value, parseSelector(s[1] as string));
      // An unresolvable selector makes the statement false, whichever the operator (fail closed).
      if (v === FAIL) return false;
      return op === '==' ? deepEqual(v, s[2]) : !deepEqual(v, s[2]);
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const v = select(value, parseSelector(s[1] as string));
      if (typeof v !== 'number' && typeof v !== 'bigint') return false;
      const n = Number(v);
      const k = s[2] as number;
      return op === '<' ? n < k : op === '<=' ? n <= k : op === '>' ? n > k : n >= k;
    }
    case 'like': {
      const v = select(value, parseSelector(s[1] as string));
      return typeof v === 'string' && globMatches(s[2] as string, v);
    }
    case 'not':
      return !evaluate(s[1] as unknown[], value);
    case 'and':
      return (s[1] as unknown[][]).every((inner) => evaluate(inner, value));
    case 'or': {
      const list = s[1] as unknown[][];
      // The spec: an empty `or` is true.
      return list.length === 0 || list.some((inner) => evaluate(inner, value));
    }
    case 'all':
    case 'any': {
      const v = select(value, parseSelector(s[1] as string));
      const items = Array.isArray(v) ? v : isMap(v) ? Object.values(v) : null;
      if (items === null) return false;
      return op === 'all' ? items.every((item) => evaluate(s[2] as unknown[], item)) : items.some((item) => evaluate(s[2] as unknown[], item));
    }
    default:
      return false;
  }
}

/**
 * True when `text` matches a UCAN glob: `*` is zero or more characters, `\*` a literal star.
 * Linear in practice: greedy matching of the literal pieces between stars.
 *
 * @example
 * ```ts
 * globMatches('Alice\\*, Bob*, Carol.', 'Alice*, Bob, Dan, Erin, Carol.'); // true
 * ```
 */
export function globMatches(pattern: string, text: string): boolean {
  const pieces: string[] = [''];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) {
      pieces[pieces.length - 1] += pattern[++i] as string;
    } else if (c === '*') {
      pieces.push('');
    } else {
      pieces[pieces.length - 1] += c;
    }
  }
  if (pieces.length === 1) return text === pieces[0];
  const first = pieces[0] as string;
  const last = pieces[pieces.length - 1] as string;
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  let at = first.length;
  const end = text.length - last.length;
  for (let p = 1; p < pieces.length - 1; p++) {
    const piece = pieces[p] as string;
    const found = text.indexOf(piece, at);
    if (found === -1 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

/** Deep equality of IPLD data (numbers by value, bytes by content, CIDs by CID). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' || typeof a === 'bigint') return (typeof b === 'number' || typeof b === 'bigint') && Number(a) === Number(b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  const ca = CID.asCID(a);
  const cb = CID.asCID(b);
  if (ca !== null || cb !== null) return ca !== null && cb !== null && ca.equals(cb);
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function short(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return String(v);
  }
}
