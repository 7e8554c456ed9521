/** Shared reading helpers for both case formats: one file's reader, document and data budget. */
import { isMap, isScalar, type Document, type Node, type Pair, type Scalar } from 'yaml';
import { kindOf, type NodeReader } from '../policy/yaml-reader.js';
import { INVALID, isRecord, readData, type DataBudget } from './node-data.js';
import { parseTestTime } from './time.js';

/** Longest case name or id. */
export const MAX_CASE_NAME_CHARS = 1000;

/**
 * What reading one document needs.
 *
 * @example
 * ```ts
 * const ctx: ReadContext = { reader, doc, budget: newDataBudget() };
 * ```
 */
export interface ReadContext {
  reader: NodeReader;
  doc: Document.Parsed;
  budget: DataBudget;
}

/** A key's pair in a mapping read with NodeReader.mapping. */
export type KeyPair = Pair<Scalar, Node | null>;

/**
 * True when a YAML mapping node has `key` (without validating anything).
 *
 * @example
 * ```ts
 * hasKey(root, 'apiVersion'); // a Warden document
 * ```
 */
export function hasKey(node: Node, key: string): boolean {
  return isMap(node) && node.items.some((p) => isScalar(p.key) && p.key.value === key);
}

/**
 * A non-empty string of bounded length (a case name or id).
 *
 * @example
 * ```ts
 * const name = readName(ctx, m.get('name'), 'case name', node);
 * ```
 */
export function readName(ctx: ReadContext, pair: KeyPair | undefined, where: string, parent: Node): string | undefined {
  const s = ctx.reader.string(pair, where, true, parent);
  if (s === undefined) return undefined;
  if (s.trim().length === 0) {
    ctx.reader.error(pair?.value ?? parent, 'empty_name', `${where} is empty; give every case a name that says what it checks.`);
    return undefined;
  }
  if (s.length > MAX_CASE_NAME_CHARS) {
    ctx.reader.error(pair?.value ?? parent, 'too_long', `${where} is ${s.length} characters; the limit is ${MAX_CASE_NAME_CHARS}.`);
    return undefined;
  }
  return s;
}

/**
 * A mapping of JSON data (args, context): undefined when absent, INVALID when wrong.
 *
 * @example
 * ```ts
 * const args = readRecord(ctx, m.get('args'), 'request.args', 'case "c"');
 * ```
 */
export function readRecord(ctx: ReadContext, pair: KeyPair | undefined, path: string, owner: string): Record<string, unknown> | undefined | typeof INVALID {
  if (!pair) return undefined;
  const where = `${path} of ${owner}`;
  const v = pair.value;
  if (!isMap(v)) {
    ctx.reader.error(v ?? pair.key, 'wrong_type', `${where} must be a mapping (key: value pairs), got ${kindOf(v)}.${isScalar(v) && v.value === null ? ' Write {} for an empty one.' : ''}`);
    return INVALID;
  }
  const data = readData(v, ctx.reader, ctx.budget, path, owner);
  return data === INVALID ? INVALID : isRecord(data) ? data : INVALID;
}

/**
 * An optional RFC 3339 time: undefined when absent, INVALID when wrong.
 *
 * @example
 * ```ts
 * const now = readTime(ctx, m.get('now'), 'now of case "c"');
 * ```
 */
export function readTime(ctx: ReadContext, pair: KeyPair | undefined, where: string): Date | undefined | typeof INVALID {
  if (!pair) return undefined;
  const s = ctx.reader.string(pair, where, true);
  if (s === undefined) return INVALID;
  const t = parseTestTime(s);
  if (typeof t === 'string') {
    ctx.reader.error(pair.value ?? pair.key, 'bad_time', `${where}: ${t}.`);
    return INVALID;
  }
  return t;
}

/**
 * An expected rule: a non-empty string, or null for "the default decided"; INVALID when wrong.
 *
 * @example
 * ```ts
 * const rule = readExpectedRule(ctx, m.get('rule'), 'expect.rule of case "c"'); // null: the default
 * ```
 */
export function readExpectedRule(ctx: ReadContext, pair: KeyPair | undefined, where: string): string | null | undefined | typeof INVALID {
  if (!pair) return undefined;
  const v = pair.value;
  if (v === null || (isScalar(v) && v.value === null)) return null;
  const s = ctx.reader.string(pair, where, true);
  if (s === undefined) return INVALID;
  if (s.length === 0) {
    ctx.reader.error(v, 'empty_name', `${where} is empty; name the rule, or write null to expect the default to decide.`);
    return INVALID;
  }
  return s;
}
