/**
 * Reading the `limits:` section of a `warden/v1` document and the flow labels of its tool
 * inventory (`tools:` entries written as `{ name, labels }`). Validation only: what is compiled
 * from them is in limit-compile.ts.
 */
import { isMap, isScalar, isSeq, type Node, type Pair, type Scalar } from 'yaml';
import { kindOf, type NodeReader } from './yaml-reader.js';
import type { SourcePos } from './source-pos.js';

const LIMIT_KEYS = ['name', 'description', 'tools', 'when', 'key', 'rate', 'budget'] as const;
const RATE_KEYS = ['limit', 'per', 'burst'] as const;
const BUDGET_KEYS = ['max', 'amount', 'per'] as const;
const INVENTORY_KEYS = ['name', 'labels'] as const;
const LABEL_KEYS = ['reads', 'ingests', 'egress', 'declassifies'] as const;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
/** A flow label: lower-case words, as the flow-guards pack writes them (`private`, `untrusted`). */
export const LABEL_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
const DURATION = /^([1-9][0-9]{0,9})(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Most key expressions per limit. */
const MAX_KEY_PARTS = 8;

/** A CEL expression as written, with where it is. */
export interface ExpressionSpec {
  text: string;
  node: Scalar;
}

/** One validated limit (`limits:` entry): a rate or a budget, drawn per key. */
export interface LimitSpec {
  name: string;
  description?: string;
  /** Tool globs; null: every tool. */
  tools: string[] | null;
  toolPos: SourcePos[];
  /** The limit applies only to calls for which this is true. */
  when?: ExpressionSpec;
  /** Expressions whose values name the counter (none: one counter for every call the limit covers). */
  key: ExpressionSpec[];
  kind: 'rate' | 'budget';
  /** Calls per period (rate) or the budget's maximum. */
  limit: number;
  /** null: a budget that never refills. */
  periodMs: number | null;
  burst: number;
  /** The amount drawn per call (budgets); a rate draws 1. */
  amount?: ExpressionSpec;
  pos: SourcePos;
}

/** The flow labels of one tool. */
export interface ToolLabelSpec {
  /** The tool name or glob, as written in the inventory. */
  tool: string;
  reads: string[];
  ingests: string[];
  egress: boolean;
  declassifies: string[];
  pos: SourcePos;
}

/** The inventory with its labels. */
export interface InventorySpec {
  names: string[];
  pos: SourcePos[];
  labels: ToolLabelSpec[];
}

/**
 * Reads the top-level `tools:` inventory: each entry a tool name, or `{ name, labels: { reads,
 * ingests, egress, declassifies } }`.
 */
export function readInventory(pair: Pair<Scalar, Node | null> | undefined, reader: NodeReader): InventorySpec | null {
  if (!pair) return null;
  const seq = pair.value;
  if (!isSeq(seq)) {
    reader.error(seq ?? pair.key, 'wrong_type', `tools (the inventory of known tools) must be a list of tool names or { name, labels } entries, got ${kindOf(seq)}.`);
    return null;
  }
  const out: InventorySpec = { names: [], pos: [], labels: [] };
  for (const item of seq.items as Node[]) {
    if (isScalar(item) && typeof item.value === 'string' && item.value.length > 0) {
      out.names.push(item.value);
      out.pos.push(reader.pos(item));
      continue;
    }
    if (!isMap(item)) {
      reader.error(item, 'wrong_type', `Every entry of tools (the inventory) must be a non-empty tool name or { name, labels }, got ${kindOf(item)}.`);
      continue;
    }
    const m = reader.mapping(item, 'a tools entry', INVENTORY_KEYS);
    if (!m) continue;
    const name = reader.string(m.get('name'), 'name of a tools entry', true, item);
    if (name === undefined) continue;
    if (name.length === 0) {
      reader.error(m.get('name')?.value, 'wrong_type', 'name of a tools entry must be a non-empty tool name.');
      continue;
    }
    out.names.push(name);
    out.pos.push(reader.pos(item));
    const labels = readLabels(m.get('labels'), reader, name, item);
    if (labels) out.labels.push(labels);
  }
  return out;
}

function readLabels(pair: Pair<Scalar, Node | null> | undefined, reader: NodeReader, tool: string, item: Node): ToolLabelSpec | null {
  if (!pair) return null;
  const where = `labels of tool "${tool}"`;
  const m = reader.mapping(pair.value, where, LABEL_KEYS);
  if (!m) return null;
  const list = (key: 'reads' | 'ingests' | 'declassifies'): string[] => {
    const l = reader.stringList(m.get(key), `${key} of ${where}`);
    if (!l) return [];
    const out: string[] = [];
    for (const [i, v] of l.values.entries()) {
      if (!LABEL_PATTERN.test(v)) reader.error(l.nodes[i], 'bad_label', `Label "${v}" in ${key} of ${where} must be a lower-case word (letters, digits, "_" and "-", at most 64), such as private or untrusted.`);
      else out.push(v);
    }
    return out;
  };
  let egress = false;
  const e = m.get('egress');
  if (e) {
    if (!isScalar(e.value) || typeof e.value.value !== 'boolean') reader.error(e.value ?? e.key, 'wrong_type', `egress of ${where} must be true or false, got ${kindOf(e.value)}.`);
    else egress = e.value.value;
  }
  return { tool, reads: list('reads'), ingests: list('ingests'), egress, declassifies: list('declassifies'), pos: reader.pos(item) };
}

/** Reads the `limits:` section: a list of limits with unique names. */
export function readLimits(pair: Pair<Scalar, Node | null> | undefined, reader: NodeReader, policy: string): LimitSpec[] {
  if (!pair) return [];
  const seq = pair.value;
  if (!isSeq(seq)) {
    reader.error(seq ?? pair.key, 'wrong_type', `limits must be a list of limits, got ${kindOf(seq)}.`);
    return [];
  }
  const out: LimitSpec[] = [];
  const seen = new Map<string, SourcePos>();
  for (const item of seq.items as Node[]) {
    const limit = readLimit(item, reader, policy);
    if (!limit) continue;
    const prior = seen.get(limit.name);
    if (prior) {
      reader.error(item, 'duplicate_limit', `Limit name "${limit.name}" is already used at line ${prior.line} of this policy; limit names must be unique.`);
      continue;
    }
    seen.set(limit.name, limit.pos);
    out.push(limit);
  }
  return out;
}

function readLimit(node: Node, reader: NodeReader, policy: string): LimitSpec | null {
  const m = reader.mapping(node, `a limit of policy "${policy}"`, LIMIT_KEYS);
  if (!m) return null;
  const name = reader.string(m.get('name'), 'limit name', true, node);
  const where = name ? `limit "${name}"` : 'a limit';
  if (name !== undefined && !NAME_PATTERN.test(name)) {
    reader.error(m.get('name')?.value, 'bad_name', `Limit name "${name}" must start with a letter or digit and use only letters, digits, "_", ".", ":" and "-" (at most 128).`);
  }
  const description = reader.string(m.get('description'), `description of ${where}`, false);
  const tools = reader.stringList(m.get('tools'), `tools of ${where}`);
  if (tools && tools.values.length === 0) {
    reader.error(m.get('tools')?.value, 'empty_tools', `tools of ${where} is empty, which would match no tool; list tool names or globs, or omit tools to cover every tool.`);
  }
  const when = expression(m.get('when'), reader, `when of ${where}`);
  const key: ExpressionSpec[] = [];
  const keyPair = m.get('key');
  let ok = name !== undefined && NAME_PATTERN.test(name) && when !== null;
  if (keyPair) {
    const seq = keyPair.value;
    if (!isSeq(seq) || seq.items.length === 0) {
      reader.error(seq ?? keyPair.key, 'wrong_type', `key of ${where} must be a non-empty list of CEL expressions (agent.id, session.id, tool, args.account), got ${kindOf(seq)}; omit key for one counter shared by every call.`);
      ok = false;
    } else if (seq.items.length > MAX_KEY_PARTS) {
      reader.error(seq, 'too_large', `key of ${where} has ${seq.items.length} parts; at most ${MAX_KEY_PARTS}.`);
      ok = false;
    } else {
      for (const item of seq.items as Node[]) {
        const e = expressionNode(item, reader, `an entry of key of ${where}`);
        if (e) key.push(e);
        else ok = false;
      }
    }
  }
  const rate = m.get('rate');
  const budget = m.get('budget');
  if ((rate ? 1 : 0) + (budget ? 1 : 0) !== 1) {
    reader.error(node, 'limit_kind', `${where} must have exactly one of rate: { limit, per, burst? } or budget: { max, amount, per? }.`);
    return null;
  }
  let shape: Pick<LimitSpec, 'kind' | 'limit' | 'periodMs' | 'burst' | 'amount'> | null = null;
  if (rate) {
    const r = reader.mapping(rate.value, `rate of ${where}`, RATE_KEYS);
    if (r) {
      const limit = positiveNumber(r.get('limit'), reader, `limit of the rate of ${where}`, rate.value, true);
      const per = duration(r.get('per'), reader, `per of the rate of ${where}`, rate.value, true);
      const burst = r.has('burst') ? positiveNumber(r.get('burst'), reader, `burst of the rate of ${where}`, rate.value, true) : limit;
      if (limit !== undefined && per !== undefined && per !== null && burst !== undefined) shape = { kind: 'rate', limit, periodMs: per, burst };
    }
  } else if (budget) {
    const b = reader.mapping(budget.value, `budget of ${where}`, BUDGET_KEYS);
    if (b) {
      const max = positiveNumber(b.get('max'), reader, `max of the budget of ${where}`, budget.value, true);
      const per = b.has('per') ? duration(b.get('per'), reader, `per of the budget of ${where}`, budget.value, true) : null;
      if (!b.has('amount')) reader.error(budget.value, 'missing_key', `amount of the budget of ${where} is required: a CEL expression giving what one call draws (args.amount, context.tokens, 1).`);
      const amount = expression(b.get('amount'), reader, `amount of the budget of ${where}`);
      if (max !== undefined && per !== undefined && amount) shape = { kind: 'budget', limit: max, periodMs: per, burst: max, amount };
    }
  }
  if (!ok || !shape || name === undefined || (tools && tools.values.length === 0)) return null;
  const spec: LimitSpec = { name, tools: tools ? tools.values : null, toolPos: tools ? tools.nodes.map((n) => reader.pos(n)) : [], key, ...shape, pos: reader.pos(node) };
  if (when) spec.when = when;
  if (description !== undefined) spec.description = description;
  return spec;
}

/** undefined: absent; null: present but wrong (issue recorded). */
function expression(pair: Pair<Scalar, Node | null> | undefined, reader: NodeReader, where: string): ExpressionSpec | undefined | null {
  if (!pair) return undefined;
  return expressionNode(pair.value, reader, where);
}

function expressionNode(node: Node | null | undefined, reader: NodeReader, where: string): ExpressionSpec | null {
  if (isScalar(node) && typeof node.value === 'number') return { text: String(node.value), node };
  if (!isScalar(node) || typeof node.value !== 'string' || node.value.trim() === '') {
    reader.error(node ?? 0, 'wrong_type', `${where} must be a CEL expression in a string, got ${kindOf(node)}.`);
    return null;
  }
  return { text: node.value, node };
}

function positiveNumber(pair: Pair<Scalar, Node | null> | undefined, reader: NodeReader, where: string, parent: Node | null, required: boolean): number | undefined {
  if (!pair) {
    if (required) reader.error(parent ?? 0, 'missing_key', `${where} is required.`);
    return undefined;
  }
  const v = pair.value;
  if (!isScalar(v) || typeof v.value !== 'number' || !Number.isFinite(v.value) || v.value <= 0) {
    reader.error(v ?? pair.key, 'bad_limit', `${where} must be a positive number, got ${isScalar(v) ? JSON.stringify(v.value) : kindOf(v)}.`);
    return undefined;
  }
  return v.value;
}

/** Milliseconds of a duration written `30s`, `1m`, `1h`, `1d`, `250ms`. */
function duration(pair: Pair<Scalar, Node | null> | undefined, reader: NodeReader, where: string, parent: Node | null, required: boolean): number | undefined {
  if (!pair) {
    if (required) reader.error(parent ?? 0, 'missing_key', `${where} is required.`);
    return undefined;
  }
  const v = pair.value;
  const m = isScalar(v) && typeof v.value === 'string' ? DURATION.exec(v.value) : null;
  if (!m) {
    reader.error(v ?? pair.key, 'bad_duration', `${where} must be a duration such as 250ms, 30s, 1m, 1h or 1d, got ${isScalar(v) ? JSON.stringify(v.value) : kindOf(v)}.`);
    return undefined;
  }
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}
