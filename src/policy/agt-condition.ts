/**
 * Conditions of Microsoft Agent Governance Toolkit (AGT) policies (`apiVersion:
 * governance.toolkit/v1`): parsed into the exact language AGT's evaluator accepts, then translated
 * into a CEL condition over Warden's request, so the ordinary condition compiler, facets and
 * fail-closed error semantics apply unchanged.
 *
 * The language is what AGT's TypeScript SDK 4.0.0 (`evaluateExpression`) reads: `or` of `and` of
 * atoms, split only on a single-space-delimited ` or ` / ` and ` outside quotes, no parentheses.
 * Anything outside it (AGT evaluates it to a silent `false`) is a parse error here, with the offset.
 */

/**
 * Longest condition accepted, in characters (AGT's Python evaluator treats longer ones as never matching).
 *
 * @example
 * ```ts
 * parseAgtCondition(`a == '${'x'.repeat(MAX_AGT_CONDITION_CHARS)}'`).ok; // false
 * ```
 */
export const MAX_AGT_CONDITION_CHARS = 2_000;

/**
 * A value written in a condition.
 *
 * @example
 * ```ts
 * const v: AgtLiteral = { kind: 'number', value: 100, text: '100' };
 * ```
 */
export type AgtLiteral = { kind: 'string'; value: string } | { kind: 'number'; value: number; text: string } | { kind: 'bool'; value: boolean };

/**
 * A dotted field path, as written (`action.type`, `user.role`).
 *
 * @example
 * ```ts
 * const p: AgtPath = { segments: ['user', 'role'], offset: 0 };
 * ```
 */
export interface AgtPath {
  segments: string[];
  /** Offset of the path in the condition text. */
  offset: number;
}

/**
 * One comparison.
 *
 * @example
 * ```ts
 * const a: AgtAtom = { op: 'in', path: { segments: ['role'], offset: 0 }, items: ['admin'] };
 * ```
 */
export type AgtAtom =
  | { op: 'truthy'; path: AgtPath }
  | { op: '==' | '!='; path: AgtPath; value: AgtLiteral }
  | { op: '<' | '<=' | '>' | '>='; path: AgtPath; value: Extract<AgtLiteral, { kind: 'number' }> }
  | { op: 'in' | 'not in'; path: AgtPath; items: string[] };

/**
 * A parsed condition: any of `or`, each all of its atoms.
 *
 * @example
 * ```ts
 * const c: AgtCondition = { or: [[{ op: 'truthy', path: { segments: ['urgent'], offset: 0 } }]] };
 * ```
 */
export interface AgtCondition {
  or: AgtAtom[][];
}

/**
 * Why a condition cannot be read, and where (an offset in its text).
 *
 * @example
 * ```ts
 * const p = parseAgtCondition('(a == 1)');
 * if (!p.ok) p.error.offset; // 0
 * ```
 */
export interface AgtConditionError {
  offset: number;
  message: string;
}

/**
 * The parse of one condition.
 *
 * @example
 * ```ts
 * const p: AgtConditionParse = parseAgtCondition("user.role in ['admin']");
 * ```
 */
export type AgtConditionParse = { ok: true; condition: AgtCondition } | { ok: false; error: AgtConditionError };

// JavaScript's \s and String.prototype.trim agree on this set; AGT's evaluator uses both.
const SPACE = /^\s$/;
const WORD = /^\w$/;
const DIGIT = /^[0-9]$/;

const isSpace = (ch: string | undefined): boolean => ch !== undefined && SPACE.test(ch);
const isWord = (ch: string | undefined): boolean => ch !== undefined && WORD.test(ch);
const isDigit = (ch: string | undefined): boolean => ch !== undefined && DIGIT.test(ch);

class ParseFailure extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses an AGT condition string.
 *
 * @example
 * ```ts
 * const p = parseAgtCondition("action.type == 'transfer' and amount > 1000");
 * if (p.ok) p.condition.or[0]?.length; // 2
 * ```
 */
export function parseAgtCondition(text: string): AgtConditionParse {
  if (typeof text !== 'string') return { ok: false, error: { offset: 0, message: 'an AGT condition must be a string' } };
  if (text.length > MAX_AGT_CONDITION_CHARS) {
    return { ok: false, error: { offset: 0, message: `the condition is ${text.length} characters; AGT conditions are limited to ${MAX_AGT_CONDITION_CHARS} (longer ones never match in AGT's Python evaluator). Split the rule.` } };
  }
  try {
    const [from, to] = trimRange(text, 0, text.length);
    if (from === to) throw new ParseFailure(0, 'the condition is empty');
    const or: AgtAtom[][] = [];
    for (const [of, ot] of splitOutsideQuotes(text, from, to, ' or ')) {
      const [pf, pt] = trimRange(text, of, ot);
      const and: AgtAtom[] = [];
      for (const [af, at] of splitOutsideQuotes(text, pf, pt, ' and ')) {
        const [f, t] = trimRange(text, af, at);
        and.push(parseAtom(text, f, t));
      }
      or.push(and);
    }
    return { ok: true, condition: { or } };
  } catch (e) {
    if (e instanceof ParseFailure) return { ok: false, error: { offset: e.offset, message: e.message } };
    throw e;
  }
}

function trimRange(text: string, from: number, to: number): [number, number] {
  while (from < to && isSpace(text[from])) from++;
  while (to > from && isSpace(text[to - 1])) to--;
  return [from, to];
}

/**
 * Splits text[from, to) on `sep` where it is outside single- or double-quoted text, the way AGT's
 * evaluator does (including its scan bounds and skip after a separator), so both read the same atoms.
 */
function splitOutsideQuotes(text: string, from: number, to: number, sep: string): Array<[number, number]> {
  const parts: Array<[number, number]> = [];
  let start = from;
  let inSingle = false;
  let inDouble = false;
  for (let i = from; i <= to - sep.length; i++) {
    const ch = text[i];
    if (ch === "'" && !inDouble) {
      inSingle = !inSingle;
      continue;
    }
    if (ch === '"' && !inSingle) {
      inDouble = !inDouble;
      continue;
    }
    if (!inSingle && !inDouble && text.startsWith(sep, i)) {
      parts.push([start, i]);
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  parts.push([start, to]);
  return parts;
}

function parseAtom(text: string, from: number, to: number): AgtAtom {
  if (from === to) throw new ParseFailure(from, 'an empty comparison: "and"/"or" needs a comparison on both sides');
  let i = from;
  const path = readPath();
  if (i === to) return { op: 'truthy', path };

  // `path not in [...]` and `path in [...]` need whitespace on both sides of the keywords.
  const afterPath = i;
  if (skipSpaces() > 0) {
    if (keyword('not') && skipSpaces() > 0 && keyword('in') && skipSpaces() > 0) return { op: 'not in', path, items: readList() };
    i = afterPath;
    skipSpaces();
    if (keyword('in') && skipSpaces() > 0) return { op: 'in', path, items: readList() };
    i = afterPath;
  }
  skipSpaces();
  const op = (['!=', '==', '>=', '<=', '>', '<'] as const).find((o) => text.startsWith(o, i) && i + o.length <= to);
  if (op === undefined) {
    const word = /^[A-Za-z_]+/.exec(text.slice(i, to))?.[0];
    const hint =
      word === 'matches' || word === 'contains' || word === 'startswith' || word === 'endswith'
        ? ` AGT's evaluator has no "${word}" operator (it never matches); write the rule as a warden/v1 policy with re2() or glob(), or drop it.`
        : text[i] === '(' || text[i] === ')'
          ? ' AGT conditions have no parentheses (AGT never matches such a condition).'
          : ' AGT compares a field path with ==, !=, <, <=, >, >=, in [...] or not in [...], or tests a boolean field alone.';
    throw new ParseFailure(i, `expected a comparison operator after "${path.segments.join('.')}".${hint}`);
  }
  i += op.length;
  skipSpaces();
  let value: AgtLiteral;
  if (text[i] === "'" || text[i] === '"') {
    if (op !== '==' && op !== '!=') throw new ParseFailure(i, `AGT compares ${op} only with a number (digits, optionally with a fraction).`);
    value = readString();
  } else if (isDigit(text[i])) {
    value = readNumber();
  } else if (op === '==' && keyword('true')) {
    value = { kind: 'bool', value: true };
  } else if (op === '==' && keyword('false')) {
    value = { kind: 'bool', value: false };
  } else {
    const neg = text[i] === '-' ? ' AGT numbers are unsigned: a negative number never matches in AGT.' : '';
    const what = op === '==' ? 'a quoted string, a number, true or false' : op === '!=' ? 'a quoted string or a number' : 'a number';
    throw new ParseFailure(i, `expected ${what} after "${op}".${neg}`);
  }
  skipSpaces();
  if (i !== to) throw new ParseFailure(i, `unexpected text after the comparison: "${excerpt(text.slice(i, to))}". AGT joins comparisons only with " and " / " or " (single spaces), and has no parentheses.`);
  if (op === '<' || op === '<=' || op === '>' || op === '>=') {
    return { op, path, value: value as Extract<AgtLiteral, { kind: 'number' }> };
  }
  return { op, path, value };

  function readPath(): AgtPath {
    const start = i;
    const segments: string[] = [];
    for (;;) {
      const s = i;
      while (i < to && isWord(text[i])) i++;
      if (i === s) {
        if (segments.length === 0) {
          throw new ParseFailure(s, `expected a field path (letters, digits and _, joined by dots), found "${excerpt(text.slice(s, to))}".${text[s] === '(' ? ' AGT conditions have no parentheses.' : text[s] === '!' || text.startsWith('not ', s) ? ' AGT has no negation operator; use != or not in [...].' : ''}`);
        }
        throw new ParseFailure(s, 'a field path cannot end with "." or hold ".."');
      }
      segments.push(text.slice(s, i));
      if (text[i] === '.' && i < to) {
        i++;
        continue;
      }
      return { segments, offset: start };
    }
  }

  function skipSpaces(): number {
    const s = i;
    while (i < to && isSpace(text[i])) i++;
    return i - s;
  }

  function keyword(word: string): boolean {
    if (text.startsWith(word, i) && i + word.length <= to && !isWord(text[i + word.length])) {
      i += word.length;
      return true;
    }
    return false;
  }

  function readString(): AgtLiteral {
    const quote = text[i];
    const start = i;
    i++;
    const s = i;
    while (i < to && text[i] !== "'" && text[i] !== '"') i++;
    if (i >= to) throw new ParseFailure(start, 'this quoted string is never closed');
    if (text[i] !== quote) throw new ParseFailure(i, `the string opened with ${quote} at offset ${start} closes with ${text[i] ?? ''}; AGT strings cannot hold either quote character.`);
    const value = text.slice(s, i);
    i++;
    checkPythonSplit(value, start);
    return { kind: 'string', value };
  }

  function readNumber(): AgtLiteral {
    const s = i;
    while (i < to && isDigit(text[i])) i++;
    if (text[i] === '.' && i < to) {
      i++;
      const f = i;
      while (i < to && isDigit(text[i])) i++;
      if (i === f) throw new ParseFailure(f, 'a number with "." needs digits after it');
    }
    const numText = text.slice(s, i);
    const value = Number(numText);
    if (!Number.isFinite(value)) throw new ParseFailure(s, 'this number is too large');
    return { kind: 'number', value, text: numText };
  }

  function readList(): string[] {
    if (text[i] !== '[') throw new ParseFailure(i, 'expected "[" to open the list');
    const open = i;
    const close = text.indexOf(']', open);
    if (close < 0 || close >= to) throw new ParseFailure(open, 'this list is never closed with "]"');
    if (close !== to - 1) throw new ParseFailure(close + 1, `unexpected text after the list: "${excerpt(text.slice(close + 1, to))}". A list ends the comparison, and its items cannot hold "]".`);
    const items: string[] = [];
    // AGT splits the list on every comma (quoted or not), trims, and drops empty items.
    let itemStart = open + 1;
    for (let k = open + 1; k <= close; k++) {
      if (k !== close && text[k] !== ',') continue;
      const [f, t] = trimRange(text, itemStart, k);
      itemStart = k + 1;
      if (f === t) continue;
      items.push(listItem(f, t));
    }
    i = to;
    return items;
  }

  function listItem(f: number, t: number): string {
    const raw = text.slice(f, t);
    const first = raw[0];
    if (first === "'" || first === '"') {
      const inner = raw.slice(1, -1);
      if (raw.length < 2 || raw[raw.length - 1] !== first || /['"]/.test(inner)) {
        throw new ParseFailure(f, `the list item ${raw} is not one quoted string. AGT splits lists on every comma, even inside quotes, and items cannot hold quote characters.`);
      }
      if (inner.length === 0) throw new ParseFailure(f, 'an empty string in a list is dropped by AGT (it matches nothing there); remove it.');
      checkPythonSplit(inner, f);
      return inner;
    }
    if (/['"]/.test(raw)) throw new ParseFailure(f, `the list item ${raw} has a stray quote character`);
    return raw;
  }

  function checkPythonSplit(value: string, offset: number): void {
    for (const sep of [' or ', ' and ']) {
      if (value.includes(sep)) {
        throw new ParseFailure(offset, `the quoted text "${excerpt(value)}" holds "${sep.trim()}" between spaces; AGT's Python evaluator splits conditions there even inside quotes, so AGT's two evaluators disagree on it. Rephrase the value.`);
      }
    }
  }
}

function excerpt(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

// ---------------------------------------------------------------------------------------------
// Translation to CEL

/** Words CEL reserves: a path segment spelled like one is written with [''] instead of a dot. */
const CEL_RESERVED = new Set([
  'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop',
  'package', 'namespace', 'return', 'var', 'void', 'while',
]);

/**
 * `action.type` in AGT's context: the `action` argument (its `type` when it is an object, itself when
 * it is a string, the way AGT's govern() builds it), or the tool name when the call has no `action`
 * argument. Any other kind of `action` value is an error (fail closed), never a guess.
 *
 * @example
 * ```ts
 * // action.type == 'x' becomes:
 * `${AGT_ACTION_TYPE_CEL} == 'x'`;
 * ```
 */
export const AGT_ACTION_TYPE_CEL = '(has(args.action) ? (type(args.action) == string ? args.action : args.action.type) : tool)';

/** Top-level context keys AGT fills from protocol parsers (sql.*, k8s.*), which Warden does not replicate. */
const PROTOCOL_FACET_KEYS = new Set(['sql', 'k8s']);

/**
 * The CEL translation of one condition.
 *
 * @example
 * ```ts
 * const p = parseAgtCondition('amount > 100');
 * const t = p.ok ? agtConditionToCel(p.condition) : null; // t.value.cel === 'args.amount > 100.0'
 * ```
 */
export interface AgtCelTranslation {
  /** The CEL expression. */
  cel: string;
  /** A lower estimate of its CEL syntax nodes (the compiler allows 2,000 per condition). */
  nodes: number;
  /** Loadable but worth a look: where and why. */
  warnings: AgtConditionError[];
}

/**
 * Translates a parsed AGT condition into CEL over Warden's request: the call's arguments are AGT's
 * context (`amount` reads `args.amount`), `action.type` is {@link AGT_ACTION_TYPE_CEL}. Each
 * comparison gives AGT's result or a CEL error, never a different answer: a value of the wrong
 * type or a missing field is an error, which Warden's fail-closed rule semantics then resolve.
 *
 * @example
 * ```ts
 * const p = parseAgtCondition('amount > 100');
 * if (p.ok) agtConditionToCel(p.condition); // { ok: true, value: { cel: 'args.amount > 100.0', ... } }
 * ```
 */
export function agtConditionToCel(condition: AgtCondition): { ok: true; value: AgtCelTranslation } | { ok: false; error: AgtConditionError } {
  const warnings: AgtConditionError[] = [];
  let nodes = 0;
  try {
    const ors = condition.or.map((and) => {
      const atoms = and.map((atom) => {
        const t = atomToCel(atom, warnings);
        nodes += t.nodes;
        return t.cel;
      });
      nodes += atoms.length - 1;
      return atoms.length > 1 && condition.or.length > 1 ? `(${atoms.join(' && ')})` : atoms.join(' && ');
    });
    nodes += ors.length - 1;
    return { ok: true, value: { cel: ors.join(' || '), nodes, warnings } };
  } catch (e) {
    if (e instanceof ParseFailure) return { ok: false, error: { offset: e.offset, message: e.message } };
    throw e;
  }
}

function atomToCel(atom: AgtAtom, warnings: AgtConditionError[]): { cel: string; nodes: number } {
  const p = pathToCel(atom.path, warnings);
  switch (atom.op) {
    case 'truthy':
      // A bare path must hold a boolean; anything else is an error (AGT's truthiness differs between its SDKs).
      return p;
    case '==':
    case '!=': {
      if (atom.value.kind === 'number') {
        // `+ 0.0` makes a non-number an error instead of unequal (AGT converts strings with Number()).
        return { cel: `${p.cel} + 0.0 ${atom.op} ${celDouble(atom.value.value)}`, nodes: p.nodes + 4 };
      }
      const lit = atom.value.kind === 'string' ? celString(atom.value.value) : String(atom.value.value);
      return { cel: `${p.cel} ${atom.op} ${lit}`, nodes: p.nodes + 2 };
    }
    case '<':
    case '<=':
    case '>':
    case '>=':
      return { cel: `${p.cel} ${atom.op} ${celDouble(atom.value.value)}`, nodes: p.nodes + 2 };
    case 'in':
    case 'not in': {
      // `+ ''` makes a non-string an error (AGT's SDKs disagree on non-string members).
      const list = `[${atom.items.map(celString).join(', ')}]`;
      const test = `${p.cel} + '' in ${list}`;
      const n = p.nodes + 4 + atom.items.length;
      return atom.op === 'in' ? { cel: test, nodes: n } : { cel: `!(${test})`, nodes: n + 1 };
    }
  }
}

function pathToCel(path: AgtPath, warnings: AgtConditionError[]): { cel: string; nodes: number } {
  const [head, ...rest] = path.segments;
  const dotted = path.segments.join('.');
  if (head === undefined) throw new ParseFailure(path.offset, 'empty field path');
  if (PROTOCOL_FACET_KEYS.has(head)) {
    throw new ParseFailure(
      path.offset,
      `"${dotted}" reads AGT's ${head} protocol facet, which AGT computes from the call and Warden does not replicate (reading it from the arguments would trust the caller). Use Warden's ${head} facet in a warden/v1 policy instead (docs/facets.md).`,
    );
  }
  if (head === 'action') {
    if (rest.length === 0) {
      throw new ParseFailure(path.offset, 'AGT\'s "action" is an object (always truthy, never equal to a value); compare action.type instead.');
    }
    if (rest[0] === 'type') {
      if (rest.length > 1) throw new ParseFailure(path.offset, `"${dotted}" reads into action.type, which is a string and has no fields.`);
      return { cel: AGT_ACTION_TYPE_CEL, nodes: 12 };
    }
    return { cel: `args.action${rest.map(segment).join('')}`, nodes: 2 + rest.length };
  }
  if (rest.length >= 1 && rest[0] === 'value') {
    warnings.push({
      offset: path.offset,
      message: `"${dotted}": AGT's Python govern() passes a scalar keyword argument as {"value": ...}, so "${head}.value" there is the argument itself. Warden reads arguments as they are: this reads args.${head}.value. If ${head} is a scalar argument, write "${[head, ...rest.slice(1)].join('.')}".`,
    });
  }
  return { cel: `args${path.segments.map(segment).join('')}`, nodes: 1 + path.segments.length };
}

function segment(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !CEL_RESERVED.has(name) ? `.${name}` : `[${celString(name)}]`;
}

/**
 * A CEL string literal holding exactly `s` (AGT literals have no escapes: a backslash is itself).
 *
 * @example
 * ```ts
 * celString("a\\b"); // "'a\\\\b'"
 * ```
 */
export function celString(s: string): string {
  let out = "'";
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

/** A CEL double literal for a finite number (`100` -> `100.0`, `1e21` -> `1e+21`). */
function celDouble(n: number): string {
  const s = String(n);
  return /[.e]/.test(s) ? s : `${s}.0`;
}
