/**
 * Reading YAML/JSON nodes strictly, with positions: the helpers behind every policy-shaped
 * document Warden loads (policies now; test cases and other formats later).
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node, type Pair, type YAMLMap, type Scalar } from 'yaml';
import type { PolicyIssue } from './issues.js';
import { nestingProblem } from './yaml-nesting.js';
import type { SourcePos } from './source-pos.js';

/** Largest policy source accepted, in characters. */
export const MAX_SOURCE_CHARS = 10_000_000;

export type { SourcePos } from './source-pos.js';

/** How many lines {@link NodeReader.pos} steps forward from its previous answer before it binary-searches instead. */
const NEAR_LINES = 16;

/** Reads nodes of one source, collecting issues instead of throwing. */
export class NodeReader {
  readonly issues: PolicyIssue[] = [];
  readonly #lines: LineCounter;
  /** The line index the last position was found at: readers ask in document order, so the next one is usually at or just after it. */
  #cursor = 0;

  constructor(
    readonly file: string,
    readonly text: string,
    lines: LineCounter,
  ) {
    this.#lines = lines;
  }

  /** Position of a node (or of an offset). */
  pos(node: Node | Pair | null | undefined | number): SourcePos {
    let offset = 0;
    if (typeof node === 'number') offset = node;
    else if (node && 'range' in node && node.range) offset = node.range[0];
    else if (node && 'key' in node) {
      const key = node.key as { range?: [number, number, number] } | null;
      if (key && key.range) offset = key.range[0];
    }
    const p = this.#linePos(offset);
    return { file: this.file, line: p.line, col: p.col };
  }

  /**
   * LineCounter.linePos(offset), found by stepping from the previous answer when it is near (a
   * cold process runs the binary search interpreted, once per rule and tool); far away, the
   * binary search itself. Same answer either way: the first line start at or after `offset`.
   */
  #linePos(offset: number): { line: number; col: number } {
    const starts = this.#lines.lineStarts;
    let low = this.#cursor;
    if (low > starts.length || (low > 0 && (starts[low - 1] as number) >= offset)) return this.#remember(offset, this.#lines.linePos(offset));
    for (let steps = 0; low < starts.length && (starts[low] as number) < offset; steps++, low++) {
      if (steps === NEAR_LINES) return this.#remember(offset, this.#lines.linePos(offset));
    }
    this.#cursor = low;
    if (starts[low] === offset) return { line: low + 1, col: 1 };
    if (low === 0) return { line: 0, col: offset };
    return { line: low, col: offset - (starts[low - 1] as number) + 1 };
  }

  /** Keeps the line index of a binary-search answer as the next starting point. */
  #remember(offset: number, p: { line: number; col: number }): { line: number; col: number } {
    // linePos's line is the lower-bound index + 1, except at a line start (index + 1 too) and before the first line (0).
    this.#cursor = p.line === 0 ? 0 : p.col === 1 && this.#lines.lineStarts[p.line - 1] === offset ? p.line - 1 : p.line;
    return p;
  }

  error(node: Node | Pair | null | undefined | number, code: string, message: string): void {
    this.issues.push({ severity: 'error', code, ...this.pos(node), message });
  }

  warn(node: Node | Pair | null | undefined | number, code: string, message: string): void {
    this.issues.push({ severity: 'warning', code, ...this.pos(node), message });
  }

  /**
   * The pairs of a mapping, checking every key is a known one.
   * Returns null (and records an issue) when the node is not a mapping.
   */
  mapping(node: Node | null | undefined, where: string, allowed: readonly string[]): Map<string, Pair<Scalar, Node | null>> | null {
    if (!isMap(node)) {
      this.error(node, 'wrong_type', `${where} must be a mapping (key: value pairs), got ${kindOf(node)}.`);
      return null;
    }
    const out = new Map<string, Pair<Scalar, Node | null>>();
    for (const pair of (node as YAMLMap).items) {
      const key = pair.key;
      if (!isScalar(key) || typeof key.value !== 'string') {
        this.error(key as Node, 'wrong_type', `Keys in ${where} must be plain strings.`);
        continue;
      }
      if (!allowed.includes(key.value)) {
        const hint = closest(key.value, allowed);
        this.error(key, 'unknown_key', `Unknown key "${key.value}" in ${where}.${hint ? ` Did you mean "${hint}"?` : ''} Allowed keys: ${allowed.join(', ')}.`);
        continue;
      }
      out.set(key.value, pair as Pair<Scalar, Node | null>);
    }
    return out;
  }

  /** A required or optional string value. */
  string(pair: Pair<Scalar, Node | null> | undefined, where: string, required: boolean, parent?: Node): string | undefined {
    if (!pair) {
      if (required) this.error(parent ?? 0, 'missing_key', `${where} is required.`);
      return undefined;
    }
    const v = pair.value;
    if (!isScalar(v) || typeof v.value !== 'string') {
      this.error(v ?? pair.key, 'wrong_type', `${where} must be a string, got ${kindOf(v)}.${isScalar(v) && v.value !== null ? ' Quote it if you meant the text.' : ''}`);
      return undefined;
    }
    return v.value;
  }

  /** One of a fixed set of strings. */
  oneOf<T extends string>(pair: Pair<Scalar, Node | null> | undefined, where: string, values: readonly T[], required: boolean, parent?: Node): T | undefined {
    const s = this.string(pair, where, required, parent);
    if (s === undefined) return undefined;
    if (!(values as readonly string[]).includes(s)) {
      const hint = closest(s, values);
      this.error(pair?.value ?? parent ?? 0, 'unknown_value', `${where} is "${s}", which is not one of: ${values.join(', ')}.${hint ? ` Did you mean "${hint}"?` : ''}`);
      return undefined;
    }
    return s as T;
  }

  /** A list of strings; a single string is not accepted (write `[x]`). */
  stringList(pair: Pair<Scalar, Node | null> | undefined, where: string): { values: string[]; nodes: Scalar[] } | undefined {
    if (!pair) return undefined;
    const v = pair.value;
    if (!isSeq(v)) {
      this.error(v ?? pair.key, 'wrong_type', `${where} must be a list of strings, got ${kindOf(v)}. Write [${isScalar(v) ? String(v.value) : '...'}].`);
      return undefined;
    }
    const values: string[] = [];
    const nodes: Scalar[] = [];
    for (const item of v.items) {
      if (!isScalar(item) || typeof item.value !== 'string' || item.value.length === 0) {
        this.error(item as Node, 'wrong_type', `Every entry of ${where} must be a non-empty string, got ${kindOf(item as Node)}.`);
        continue;
      }
      values.push(item.value);
      nodes.push(item);
    }
    return { values, nodes };
  }

  /**
   * The position in the file of `offset` within the text of a string scalar (for CEL errors).
   * Exact for plain and literal block scalars; for quoted and folded scalars, escapes and folding
   * can shift it, so it falls back to the start of the value.
   */
  posInScalar(node: Scalar, offset: number): SourcePos {
    const start = node.range?.[0] ?? 0;
    const value = String(node.value);
    if (node.type === 'PLAIN' || node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE') {
      const quote = node.type === 'PLAIN' ? 0 : 1;
      const raw = this.text.slice(start + quote, start + quote + value.length);
      if (raw === value) return this.pos(start + quote + offset);
      return this.pos(start);
    }
    if (node.type === 'BLOCK_LITERAL') {
      const before = value.slice(0, offset);
      const lineIdx = before.split('\n').length - 1;
      const colInLine = offset - (before.lastIndexOf('\n') + 1);
      const header = this.pos(start);
      const firstContent = this.#lines.lineStarts[header.line] ?? start;
      const indent = /^ */.exec(this.text.slice(firstContent, firstContent + 200))?.[0].length ?? 0;
      return { file: this.file, line: header.line + 1 + lineIdx, col: indent + colInLine + 1 };
    }
    return this.pos(start);
  }
}

/**
 * Opens one document of a known format: refuses an empty document, checks its top-level keys and
 * its `apiVersion`. Returns null (issues recorded) when there is no usable mapping.
 *
 * @example
 * ```ts
 * const head = openDocument(doc, reader, 'a policy document', ['apiVersion', 'kind'], 'warden/v1', 'this version of Warden reads');
 * ```
 */
export function openDocument(
  doc: Document.Parsed,
  reader: NodeReader,
  what: string,
  keys: readonly string[],
  expectedApiVersion: string,
  expectation: string,
): { root: Node; top: Map<string, Pair<Scalar, Node | null>>; apiVersion: string | undefined } | null {
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    reader.error(root ?? doc.range[0], 'empty_document', 'The document is empty; remove the stray "---" or write a policy.');
    return null;
  }
  const top = reader.mapping(root, what, keys);
  if (!top) return null;
  const apiVersion = reader.string(top.get('apiVersion'), 'apiVersion', true, root);
  if (apiVersion !== undefined && apiVersion !== expectedApiVersion) {
    reader.error(top.get('apiVersion')?.value, 'unknown_api_version', `apiVersion is "${apiVersion}"; ${expectation} "${expectedApiVersion}".`);
  }
  return { root, top, apiVersion };
}

/**
 * Parses every YAML (or JSON) document in a source. A source over `maxChars` is refused before
 * parsing, with a `too_large` issue at the character where it crosses the limit; `hint` ends that
 * message (what to do about it).
 */
export function parseSource(
  file: string,
  text: string,
  maxChars: number = MAX_SOURCE_CHARS,
  hint = 'Split it into several files.',
): { reader: NodeReader; documents: Document.Parsed[] } {
  const lines = new LineCounter();
  const reader = new NodeReader(file, text, lines);
  if (text.length > maxChars) {
    countLines(lines, text, maxChars);
    reader.error(maxChars, 'too_large', `The file is ${text.length.toLocaleString('en-US')} characters; the limit is ${maxChars.toLocaleString('en-US')}, crossed here. ${hint}`);
    return { reader, documents: [] };
  }
  // Deep nesting overflows the YAML parser's stack, and a later parse in the same process can then
  // abort Node; refuse it before parsing.
  const deep = nestingProblem(text);
  if (deep) {
    countLines(lines, text, text.length);
    reader.error(deep.offset, 'too_deep', `${deep.message} Flatten the document.`);
    return { reader, documents: [] };
  }
  const documents = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  const list = Array.isArray(documents) ? documents : [];
  if (!Array.isArray(documents)) {
    // An empty stream parses to an EmptyStream object.
    return { reader, documents: [] };
  }
  for (const doc of list) {
    for (const err of doc.errors) {
      const code = err.code === 'DUPLICATE_KEY' ? 'duplicate_key' : 'yaml_syntax';
      reader.error(err.pos[0], code, `${err.message.split('\n')[0]}${code === 'duplicate_key' ? ' Each key may appear once.' : ' Fix the YAML syntax.'}`);
    }
    for (const w of doc.warnings) reader.warn(w.pos[0], 'yaml_warning', w.message.split('\n')[0] ?? w.message);
  }
  return { reader, documents: list };
}

/** Feeds the line starts of `text` up to `end` to a LineCounter the parser did not fill. */
function countLines(lines: LineCounter, text: string, end: number): void {
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
}

/** A readable name for the kind of a node. */
export function kindOf(node: Node | Pair | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
    return `the ${typeof v} ${String(v)}`;
  }
  return 'an unsupported node';
}

/** The allowed word closest to `word`, when it is close enough to be a likely typo. */
export function closest(word: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const a of allowed) {
    const d = editDistance(word.toLowerCase(), a.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = a;
    }
  }
  return bestDist <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3 || a.length > 64 || b.length > 64) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 99;
}
