/**
 * The `warden/v1` policy document: strict parsing into a validated spec with positions.
 */
import { isScalar, isSeq, type Document, type Node, type Pair, type Scalar } from 'yaml';
import type { Effect } from '../decision.js';
import { kindOf, openDocument, type NodeReader } from './yaml-reader.js';
import type { SourcePos } from './source-pos.js';
import type { FacetBinding } from '../facets/bindings.js';
import { readFacetBindings } from './facet-bindings.js';
import { API_VERSION } from './api-version.js';
import { compileGlob } from '../lib/glob.js';
import { readSreSection } from './sre-spec.js';
import { readInventory, readLimits, type LimitSpec, type ToolLabelSpec } from './limit-spec.js';

export { API_VERSION } from './api-version.js';

const DOCUMENT_KEYS = ['apiVersion', 'kind', 'name', 'description', 'default', 'tools', 'facets', 'rules', 'limits', 'slos', 'breakers', 'results'] as const;
const RESULTS_KEYS = ['redactSecrets'] as const;
const RULE_KEYS = ['name', 'description', 'tools', 'when', 'unless', 'effect', 'reason', 'approvers'] as const;
const EFFECT_VALUES: readonly Effect[] = ['allow', 'deny', 'require_approval', 'warn'];
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** A condition as written, with where it is. */
export interface ConditionSpec {
  text: string;
  node: Scalar;
}

/** One validated rule. */
export interface RuleSpec {
  name: string;
  description?: string;
  /** Tool globs; null when omitted (every tool). */
  tools: string[] | null;
  /** Where each entry of tools is written. */
  toolPos: SourcePos[];
  when?: ConditionSpec;
  unless?: ConditionSpec;
  effect: Effect;
  reason?: string;
  approvers: string[];
  pos: SourcePos;
}

/** One validated policy document. */
export interface PolicySpec {
  name: string;
  description?: string;
  /** The document's default; `deny` when omitted. */
  default: 'allow' | 'deny';
  rules: RuleSpec[];
  /** Which tools' arguments feed which facet. */
  facets: FacetBinding[];
  /** The optional inventory of known tool names (`tools:` at the top level); null when absent. */
  inventory: { names: string[]; pos: SourcePos[] } | null;
  /** The `limits:` section (absent: none). */
  limits?: LimitSpec[];
  /** Flow labels of inventory entries written `{ name, labels }` (absent: none). */
  toolLabels?: ToolLabelSpec[];
  /** `results.redactSecrets`: tool globs whose results have secrets redacted before they reach the model (absent: none). */
  redactSecrets?: string[];
  pos: SourcePos;
}

/**
 * Reads one parsed YAML document as a `warden/v1` policy, recording issues in the reader.
 * Returns null when the document is unusable.
 */
export function readPolicyDocument(doc: Document.Parsed, reader: NodeReader): PolicySpec | null {
  const head = openDocument(doc, reader, 'a policy document', DOCUMENT_KEYS, API_VERSION, 'this version of Warden reads');
  if (!head) return null;
  const { root, top, apiVersion } = head;
  const kind = reader.string(top.get('kind'), 'kind', true, root);
  if (kind !== undefined && kind !== 'Policy') {
    reader.error(top.get('kind')?.value, 'unknown_kind', `kind is "${kind}"; write "kind: Policy".`);
  }
  const name = reader.string(top.get('name'), 'name', true, root);
  if (name !== undefined && !NAME_PATTERN.test(name)) {
    reader.error(top.get('name')?.value, 'bad_name', `Policy name "${name}" must start with a letter or digit and use only letters, digits, "_", ".", ":" and "-" (at most 128).`);
  }
  const description = reader.string(top.get('description'), 'description', false);
  const def = reader.oneOf(top.get('default'), 'default', ['deny', 'allow'] as const, false) ?? 'deny';
  const rules: RuleSpec[] = [];
  const rulesPair = top.get('rules');
  if (rulesPair) {
    const seq = rulesPair.value;
    if (!isSeq(seq)) {
      reader.error(seq ?? rulesPair.key, 'wrong_type', `rules must be a list of rules, got ${kindOf(seq)}.`);
    } else {
      const seen = new Map<string, SourcePos>();
      for (const item of seq.items as Node[]) {
        const rule = readRule(item, reader, name ?? '?');
        if (!rule) continue;
        const prior = seen.get(rule.name);
        if (prior) {
          reader.error(item, 'duplicate_rule', `Rule name "${rule.name}" is already used at line ${prior.line} of this policy; rule names must be unique.`);
          continue;
        }
        seen.set(rule.name, rule.pos);
        rules.push(rule);
      }
    }
  }
  const facets = readFacetBindings(top.get('facets'), reader, name ?? '?');
  const inventoryRead = readInventory(top.get('tools'), reader);
  const inventory = inventoryRead ? { names: inventoryRead.names, pos: inventoryRead.pos } : null;
  const limits = readLimits(top.get('limits'), reader, name ?? '?');
  // Checked here so a bad SLO or breaker is a load error with its position; the SRE runtime builds them (loadPolicySre).
  readSreSection(top.get('slos'), reader, 'slos', name ?? '?');
  readSreSection(top.get('breakers'), reader, 'breakers', name ?? '?');
  const redactSecrets = readResults(top.get('results'), reader, name ?? '?');
  if (name === undefined || apiVersion !== API_VERSION || kind !== 'Policy') return null;
  const spec: PolicySpec = { name, default: def, rules, facets, inventory, pos: reader.pos(root) };
  if (limits.length > 0) spec.limits = limits;
  if (inventoryRead && inventoryRead.labels.length > 0) spec.toolLabels = inventoryRead.labels;
  if (description !== undefined) spec.description = description;
  if (redactSecrets !== undefined) spec.redactSecrets = redactSecrets;
  return spec;
}

/** The `results:` section: what enforcement points do to a tool's result before the model reads it. */
function readResults(pair: Pair<Scalar, Node | null> | undefined, reader: NodeReader, policy: string): string[] | undefined {
  if (!pair) return undefined;
  const m = reader.mapping(pair.value, `results of policy "${policy}"`, RESULTS_KEYS);
  if (!m) return undefined;
  const tools = reader.stringList(m.get('redactSecrets'), `results.redactSecrets of policy "${policy}"`);
  tools?.values.forEach((g, i) => {
    try {
      compileGlob(g);
    } catch (e) {
      reader.error(tools.nodes[i], 'bad_glob', `results.redactSecrets of policy "${policy}": ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  if (tools && tools.values.length === 0) reader.error(m.get('redactSecrets')?.value, 'empty_tools', `results.redactSecrets of policy "${policy}" is empty; list tool names or globs ("*" for every tool), or remove it.`);
  return tools?.values;
}

function readRule(node: Node, reader: NodeReader, policy: string): RuleSpec | null {
  const m = reader.mapping(node, `a rule of policy "${policy}"`, RULE_KEYS);
  if (!m) return null;
  const name = reader.string(m.get('name'), 'rule name', true, node);
  const where = name ? `rule "${name}"` : 'a rule';
  if (name !== undefined && !NAME_PATTERN.test(name)) {
    reader.error(m.get('name')?.value, 'bad_name', `Rule name "${name}" must start with a letter or digit and use only letters, digits, "_", ".", ":" and "-" (at most 128).`);
  }
  const effect = reader.oneOf(m.get('effect'), `effect of ${where}`, EFFECT_VALUES, true, node);
  // Optional keys: the helpers are called (and their messages built) only when the key is there.
  const toolsPair = m.get('tools');
  const tools = toolsPair === undefined ? undefined : reader.stringList(toolsPair, `tools of ${where}`);
  if (tools && tools.values.length === 0) {
    reader.error(toolsPair?.value, 'empty_tools', `tools of ${where} is empty, which would match no tool; list tool names or globs, or omit tools to match every tool.`);
  }
  const whenPair = m.get('when');
  const when = whenPair === undefined ? undefined : condition(whenPair.value, reader, `when of ${where}`);
  const unlessPair = m.get('unless');
  const unless = unlessPair === undefined ? undefined : condition(unlessPair.value, reader, `unless of ${where}`);
  const reasonPair = m.get('reason');
  const reason = reasonPair === undefined ? undefined : reader.string(reasonPair, `reason of ${where}`, false);
  const descriptionPair = m.get('description');
  const description = descriptionPair === undefined ? undefined : reader.string(descriptionPair, `description of ${where}`, false);
  const approversPair = m.get('approvers');
  const approvers = approversPair === undefined ? undefined : reader.stringList(approversPair, `approvers of ${where}`);
  if (approvers && effect !== undefined && effect !== 'require_approval') {
    reader.error(approversPair?.key, 'approvers_without_approval', `approvers only apply to effect require_approval, but ${where} has effect ${effect}; remove approvers or change the effect.`);
  }
  if (name === undefined || effect === undefined) return null;
  const toolPos: SourcePos[] = [];
  if (tools) for (const n of tools.nodes) toolPos.push(reader.pos(n));
  const rule: RuleSpec = {
    name,
    tools: tools ? tools.values : null,
    toolPos,
    effect,
    approvers: approvers?.values ?? [],
    pos: reader.pos(node),
  };
  if (when) rule.when = when;
  if (unless) rule.unless = unless;
  if (reason !== undefined) rule.reason = reason;
  if (description !== undefined) rule.description = description;
  return rule;
}

/** A condition key that is present: its CEL text, or undefined (issue recorded) when it is not a non-blank string. */
function condition(node: Node | null | undefined, reader: NodeReader, where: string): ConditionSpec | undefined {
  if (!isScalar(node) || typeof node.value !== 'string' || node.value.trim() === '') {
    reader.error(node ?? 0, 'wrong_type', `${where} must be a CEL expression in a string, got ${kindOf(node)}. Quote expressions that start with a special YAML character.`);
    return undefined;
  }
  return { text: node.value, node };
}
