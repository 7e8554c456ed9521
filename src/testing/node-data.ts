/**
 * YAML nodes to plain JSON data (the arguments, context and agent of a test request), with the
 * position of anything that is not JSON. Keys such as `__proto__` stay ordinary own properties.
 */
import { isAlias, isMap, isNode, isScalar, isSeq, type Document, type Node } from 'yaml';
import { kindOf, type NodeReader } from '../policy/yaml-reader.js';

/** Deepest nesting read from a test file (the same as the default request limit). */
export const MAX_DATA_DEPTH = 64;

/** Most values read from one test file, aliases counted each time they are used. */
export const MAX_DATA_NODES = 1_000_000;

/** Marks a value that could not be read; the reason is already recorded in the reader. */
export const INVALID: unique symbol = Symbol('invalid');

/**
 * What one file may still read; shared across its cases so aliases cannot multiply it.
 *
 * @example
 * ```ts
 * const budget: DataBudget = newDataBudget();
 * ```
 */
export interface DataBudget {
  nodes: number;
}

/**
 * A fresh budget for one file.
 *
 * @example
 * ```ts
 * const budget = newDataBudget(); // one per file
 * ```
 */
export function newDataBudget(): DataBudget {
  return { nodes: MAX_DATA_NODES };
}

/**
 * Reads `node` (the value at `path` of `owner`, named in messages) as JSON data: strings, finite
 * numbers, booleans, null, lists and mappings with string keys (run inlineAliases on the document
 * first). Anything else is recorded in the reader with its position and yields {@link INVALID}.
 *
 * @example
 * ```ts
 * const args = readData(node, reader, budget, 'request.args', 'case "c"'); if (args === INVALID) return;
 * ```
 */
export function readData(node: unknown, reader: NodeReader, budget: DataBudget, path: string, owner: string): unknown {
  // The path is kept as segments and joined only for a message: most values never need it.
  const segments: string[] = [path];
  const where = (): string => `${segments.join('')} of ${owner}`;
  const read = (n: unknown, depth: number): unknown => {
    if (--budget.nodes < 0) {
      if (budget.nodes === -1) reader.error(n as Node, 'too_large', `The file holds more than ${MAX_DATA_NODES} values (aliases count each time they are used). Split it into several files.`);
      return INVALID;
    }
    if (n === null || n === undefined) return null;
    if (depth > MAX_DATA_DEPTH) {
      reader.error(n as Node, 'too_deep', `${where()} is nested deeper than ${MAX_DATA_DEPTH} levels (an alias that contains itself?).`);
      return INVALID;
    }
    if (isAlias(n)) {
      // inlineAliases replaced every alias that names an anchor; what is left names none.
      reader.error(n, 'unknown_alias', `The alias *${n.source} in ${where()} names no anchor before it.`);
      return INVALID;
    }
    if (isScalar(n)) {
      const v = n.value;
      if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
      if (typeof v === 'number') {
        if (Number.isFinite(v)) return v;
        reader.error(n, 'wrong_type', `${where()} holds ${String(v)}, which is not a JSON number.`);
        return INVALID;
      }
      reader.error(n, 'wrong_type', `${where()} holds ${kindOf(n)}, which is not JSON data.`);
      return INVALID;
    }
    if (isSeq(n)) {
      const out: unknown[] = [];
      let ok = true;
      for (let i = 0; i < n.items.length && budget.nodes >= 0; i++) {
        segments.push(`[${i}]`);
        const v = read(n.items[i], depth + 1);
        segments.pop();
        if (v === INVALID) ok = false;
        else out.push(v);
      }
      return ok && budget.nodes >= 0 ? out : INVALID;
    }
    if (isMap(n)) {
      const out: Record<string, unknown> = {};
      let ok = true;
      for (const pair of n.items) {
        if (budget.nodes < 0) break;
        const key = pair.key;
        if (!isScalar(key) || typeof key.value !== 'string') {
          reader.error((pair.key ?? n) as Node, 'wrong_type', `Keys in ${where()} must be strings, got ${kindOf(key as Node)}. Quote the key.`);
          ok = false;
          continue;
        }
        segments.push(`.${key.value}`);
        const v = read(pair.value, depth + 1);
        segments.pop();
        if (v === INVALID) {
          ok = false;
          continue;
        }
        // defineProperty: a key named __proto__ is data, never the object's prototype.
        Object.defineProperty(out, key.value, { value: v, writable: true, enumerable: true, configurable: true });
      }
      return ok && budget.nodes >= 0 ? out : INVALID;
    }
    reader.error(n as Node, 'wrong_type', `${where()} holds ${kindOf(n as Node)}, which is not JSON data.`);
    return INVALID;
  };
  return read(node, 0);
}

/**
 * Replaces every alias in the document by the node its anchor marks (the last anchor of that name
 * before it), so readers see aliased structure as if written out. The result may share subtrees
 * (or, for an alias inside its own anchor, hold a cycle): readData's depth limit and node budget
 * bound what reading it costs. Aliases naming no anchor are left for readData to report.
 *
 * @example
 * ```ts
 * for (const doc of documents) inlineAliases(doc);
 * ```
 */
export function inlineAliases(doc: Document.Parsed): void {
  const anchors = new Map<string, Node>();
  const walk = (node: unknown, depth: number): unknown => {
    if (isAlias(node)) return anchors.get(node.source) ?? node;
    if (!isNode(node) || depth > INLINE_DEPTH) return node;
    // Set before the children are walked, as YAML defines it: an alias inside its anchor is a cycle.
    if (node.anchor) anchors.set(node.anchor, node);
    if (isMap(node)) {
      for (const pair of node.items) {
        pair.key = walk(pair.key, depth + 1);
        pair.value = walk(pair.value, depth + 1);
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) node.items[i] = walk(node.items[i], depth + 1);
    }
    return node;
  };
  doc.contents = walk(doc.contents, 0) as typeof doc.contents;
}

/** How deep inlineAliases walks: past the data limit plus the few levels of a case's structure. */
const INLINE_DEPTH = MAX_DATA_DEPTH + 16;

/**
 * True for a plain mapping of data (what readData returns for a YAML mapping).
 *
 * @example
 * ```ts
 * isRecord({ a: 1 }); // true
 * isRecord([1]);      // false
 * ```
 */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
