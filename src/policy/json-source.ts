/**
 * A fast reader for policy sources that are plain JSON (`.json` files, and the document objects
 * compilePolicy() is given, which it reads as their JSON text). It builds the same YAML nodes, with
 * the same positions, that the YAML parser would, about ten times faster, so validation and its
 * file:line:col messages are unchanged.
 *
 * It reads only what it is sure of: one JSON object, no repeated key. Anything else (a syntax
 * error, a repeated key, YAML beyond JSON such as comments or a second document) returns null, and
 * the caller parses the text with the YAML parser, which reports the problem as it always has.
 */
import { Document, LineCounter, Pair, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';
import { NodeReader } from './yaml-reader.js';

/** Deepest nesting read here; deeper text goes to the YAML parser (and its nesting check). */
const MAX_DEPTH = 100;

class NotPlainJson extends Error {}

/**
 * Reads `text` as one JSON object into YAML nodes, or returns null when it is not plain JSON.
 *
 * @example
 * ```ts
 * const parsed = parseJsonSource('p.json', '{"apiVersion":"warden/v1","kind":"Policy","name":"p","rules":[]}');
 * parsed?.documents.length; // 1
 * ```
 */
export function parseJsonSource(file: string, text: string): { reader: NodeReader; documents: Document.Parsed[] } | null {
  let start = 0;
  while (start < text.length && isSpace(text.charCodeAt(start))) start++;
  if (text.charCodeAt(start) !== 0x7b /* { */) return null;
  let root: Node;
  let end: number;
  try {
    const r = new JsonNodes(text).value(start, 0);
    root = r.node;
    end = skipSpace(text, r.end);
  } catch (e) {
    if (e instanceof NotPlainJson || e instanceof SyntaxError) return null;
    throw e;
  }
  if (end !== text.length) return null;
  const lines = new LineCounter();
  // What addNewLine(offset) does, without a call per line.
  const starts = lines.lineStarts;
  starts.push(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const doc = new Document() as unknown as Document.Parsed;
  doc.contents = root as Document.Parsed['contents'];
  doc.range = [start, text.length, text.length];
  return { reader: new NodeReader(file, text, lines), documents: [doc] };
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

// Sticky regular expressions step over whole tokens natively: a cold process runs this reader
// mostly in the interpreter, where a loop per character would cost several times more.
const SPACE = /[ \t\r\n]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
// A string: no raw control characters (JSON forbids them; the YAML parser then reports the text).
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\[^\u0000-\u001f])*"/y;

function skipSpace(text: string, i: number): number {
  SPACE.lastIndex = i;
  SPACE.test(text);
  return SPACE.lastIndex;
}

/** Recursive descent over JSON text, building YAML nodes with the ranges the YAML parser gives. */
class JsonNodes {
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  value(i: number, depth: number): { node: Node; end: number } {
    if (depth > MAX_DEPTH) throw new NotPlainJson();
    const c = this.#text.charCodeAt(i);
    if (c === 0x7b) return this.#object(i, depth);
    if (c === 0x5b) return this.#array(i, depth);
    if (c === 0x22) {
      const s = this.#string(i);
      return { node: scalar(s.value, 'QUOTE_DOUBLE', i, s.end), end: s.end };
    }
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.#text.startsWith(word, i)) return { node: scalar(value, 'PLAIN', i, i + word.length), end: i + word.length };
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(this.#text);
    if (!m) throw new NotPlainJson();
    const end = i + m[0].length;
    return { node: scalar(Number(m[0]), 'PLAIN', i, end), end };
  }

  #object(open: number, depth: number): { node: Node; end: number } {
    const map = new YAMLMap();
    map.flow = true;
    const seen = new Set<string>();
    let i = skipSpace(this.#text, open + 1);
    if (this.#text.charCodeAt(i) === 0x7d) return { node: ranged(map, open, i + 1), end: i + 1 };
    for (;;) {
      if (this.#text.charCodeAt(i) !== 0x22) throw new NotPlainJson();
      const k = this.#string(i);
      // invariant: a repeated key goes to the YAML parser, which reports it as a load error.
      if (seen.has(k.value)) throw new NotPlainJson();
      seen.add(k.value);
      const key = scalar(k.value, 'QUOTE_DOUBLE', i, k.end);
      i = skipSpace(this.#text, k.end);
      if (this.#text.charCodeAt(i) !== 0x3a /* : */) throw new NotPlainJson();
      const v = this.value(skipSpace(this.#text, i + 1), depth + 1);
      map.items.push(new Pair(key, v.node));
      i = skipSpace(this.#text, v.end);
      const c = this.#text.charCodeAt(i);
      if (c === 0x7d) return { node: ranged(map, open, i + 1), end: i + 1 };
      if (c !== 0x2c /* , */) throw new NotPlainJson();
      i = skipSpace(this.#text, i + 1);
    }
  }

  #array(open: number, depth: number): { node: Node; end: number } {
    const seq = new YAMLSeq();
    seq.flow = true;
    let i = skipSpace(this.#text, open + 1);
    if (this.#text.charCodeAt(i) === 0x5d) return { node: ranged(seq, open, i + 1), end: i + 1 };
    for (;;) {
      const v = this.value(i, depth + 1);
      seq.items.push(v.node);
      i = skipSpace(this.#text, v.end);
      const c = this.#text.charCodeAt(i);
      if (c === 0x5d) return { node: ranged(seq, open, i + 1), end: i + 1 };
      if (c !== 0x2c) throw new NotPlainJson();
      i = skipSpace(this.#text, i + 1);
    }
  }

  /** A JSON string starting at the quote at `i`: its value and the offset after its closing quote. */
  #string(i: number): { value: string; end: number } {
    STRING.lastIndex = i;
    if (!STRING.test(this.#text)) throw new NotPlainJson();
    const end = STRING.lastIndex;
    const raw = this.#text.slice(i, end);
    // JSON.parse decides escapes (and throws SyntaxError on a bad one: then the YAML parser reports it).
    const value = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
    return { value, end };
  }
}

function scalar(value: unknown, type: 'PLAIN' | 'QUOTE_DOUBLE', start: number, end: number): Scalar {
  const s = new Scalar(value);
  s.type = type;
  s.range = [start, end, end];
  return s;
}

function ranged<T extends YAMLMap | YAMLSeq>(node: T, start: number, end: number): T {
  node.range = [start, end, end];
  return node;
}
