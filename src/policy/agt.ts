/**
 * Microsoft Agent Governance Toolkit (AGT) policy documents (`apiVersion: governance.toolkit/v1`),
 * read as they are into the same validated spec a `warden/v1` document becomes, with the semantics
 * of AGT's govern(): deny-overrides, `priority` choosing among the other actions, `log` as allow,
 * `enabled: false` rules skipped, `default_action` as the default. Whatever AGT allows and Warden
 * cannot enforce faithfully is a load error naming the field, never silently ignored.
 */
import { isMap, isScalar, isSeq, Scalar, type Document, type Node, type Pair } from 'yaml';
import { agtConditionToCel, celString, parseAgtCondition, type AgtCelTranslation } from './agt-condition.js';
import type { PolicySpec, RuleSpec } from './document.js';
import type { Effect } from '../decision.js';
import { kindOf, openDocument, type NodeReader } from './yaml-reader.js';
import type { SourcePos } from './source-pos.js';

/**
 * The apiVersion of AGT policy documents.
 *
 * @example
 * ```ts
 * compilePolicy([{ name: 'agt.yaml', text: `apiVersion: ${AGT_API_VERSION}\nname: p\n` }]);
 * ```
 */
export const AGT_API_VERSION = 'governance.toolkit/v1';

/**
 * What an AGT rule does when it matches.
 *
 * @example
 * ```ts
 * const a: AgtAction = 'require_approval';
 * ```
 */
export type AgtAction = 'allow' | 'deny' | 'warn' | 'require_approval' | 'log';

const AGT_ACTIONS: readonly AgtAction[] = ['allow', 'deny', 'warn', 'require_approval', 'log'];
const STAGES = ['pre_input', 'pre_tool', 'post_tool', 'pre_output'] as const;

/** Every key AGT's policy model knows; the unsupported ones get their own error below. */
const DOCUMENT_KEYS = ['apiVersion', 'version', 'name', 'description', 'extends', 'agent', 'agents', 'scope', 'rules', 'default_action', 'created_at', 'updated_at'] as const;
const RULE_KEYS = ['name', 'description', 'stage', 'condition', 'action', 'limit', 'approvers', 'priority', 'enabled'] as const;

/**
 * The Warden effect of each AGT action: `log` allows (and, like every decision, is recorded).
 *
 * @example
 * ```ts
 * AGT_EFFECT.log; // 'allow'
 * ```
 */
export const AGT_EFFECT: Readonly<Record<AgtAction, Effect>> = Object.freeze({ allow: 'allow', deny: 'deny', warn: 'warn', require_approval: 'require_approval', log: 'allow' });

// The same names warden/v1 accepts (document.ts), so a converted document loads too.
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** Most CEL syntax nodes in one condition (the compiler's limit). */
const MAX_CONDITION_NODES = 2_000;

/**
 * Name of the rule that denies agents an AGT policy does not target (when its default allows).
 *
 * @example
 * ```ts
 * if (decision.rule === AGT_NOT_TARGETED_RULE) console.log('this agent is not covered by the AGT policy');
 * ```
 */
export const AGT_NOT_TARGETED_RULE = 'agt.not-targeted';

/**
 * One AGT rule as read, for reports and conversion.
 *
 * @example
 * ```ts
 * const info: AgtRuleInfo = { name: 'r', action: 'deny', priority: 10, enabled: true, condition: "action.type == 'x'", yieldsTo: [] };
 * ```
 */
export interface AgtRuleInfo {
  name: string;
  action: AgtAction;
  priority: number;
  enabled: boolean;
  /** The AGT condition as written. */
  condition: string;
  /**
   * Rules of higher priority with a less restrictive action whose match makes this one step aside:
   * how AGT's "highest priority wins when nothing denies" is kept under Warden's effect ranking.
   */
  yieldsTo: string[];
}

/**
 * One AGT policy document, read.
 *
 * @example
 * ```ts
 * const agt: AgtPolicy | null = readAgtPolicy(documents[0]!, reader);
 * agt?.disabled.map((r) => r.name);
 * ```
 */
export interface AgtPolicy {
  /** The validated spec the compiler takes (rules in AGT priority order, disabled ones left out). */
  spec: PolicySpec;
  /** The enabled rules, in the order of `spec.rules` (after the not-targeted rule, when there is one). */
  rules: AgtRuleInfo[];
  /** Rules with `enabled: false`: validated, never applied. */
  disabled: AgtRuleInfo[];
  /** The agent identifiers the policy is limited to, or null when it applies to every agent. */
  targets: string[] | null;
  /** AGT's `version` field (informational). */
  version?: string;
}

type KeyPair = Pair<Scalar, Node | null>;

/**
 * True when a parsed YAML document declares `apiVersion: governance.toolkit/v1`.
 *
 * @example
 * ```ts
 * const { documents } = parseSource('p.yaml', 'apiVersion: governance.toolkit/v1\nname: p\n');
 * isAgtDocument(documents[0]!); // true
 * ```
 */
export function isAgtDocument(doc: Document.Parsed): boolean {
  const root = doc.contents;
  if (!isMap(root)) return false;
  return root.items.some((pair) => isScalar(pair.key) && pair.key.value === 'apiVersion' && isScalar(pair.value) && pair.value.value === AGT_API_VERSION);
}

/**
 * Reads one AGT policy document into a policy spec, recording issues in the reader; null when the
 * document is unusable. This is what compilePolicy() uses for `governance.toolkit/v1` documents.
 *
 * @example
 * ```ts
 * const { reader, documents } = parseSource('agt.yaml', text);
 * const spec = readAgtDocument(documents[0]!, reader); // null when reader.issues holds errors
 * ```
 */
export function readAgtDocument(doc: Document.Parsed, reader: NodeReader): PolicySpec | null {
  return readAgtPolicy(doc, reader)?.spec ?? null;
}

/**
 * Reads one AGT policy document with everything conversion reports (rule order, disabled rules,
 * targeting); null when the document is unusable (issues are in the reader).
 *
 * @example
 * ```ts
 * const agt = readAgtPolicy(documents[0]!, reader);
 * agt?.rules.map((r) => `${r.name} (priority ${r.priority})`);
 * ```
 */
export function readAgtPolicy(doc: Document.Parsed, reader: NodeReader): AgtPolicy | null {
  const errorsBefore = countErrors(reader);
  const head = openDocument(doc, reader, 'an AGT policy document', DOCUMENT_KEYS, AGT_API_VERSION, 'an AGT policy declares');
  if (!head) return null;
  const { root, top, apiVersion } = head;
  const name = reader.string(top.get('name'), 'name', true, root);
  if (name !== undefined && !NAME_PATTERN.test(name)) {
    reader.error(top.get('name')?.value, 'bad_name', `Policy name "${name}" must start with a letter or digit and use only letters, digits, "_", ".", ":" and "-" (at most 128): decisions and the audit log carry it.`);
  }
  const version = scalarText(present(top.get('version')), 'version', reader);
  const description = reader.string(present(top.get('description')), 'description', false);
  const def = reader.oneOf(present(top.get('default_action')), 'default_action', ['deny', 'allow'] as const, false) ?? 'deny';
  for (const key of ['created_at', 'updated_at'] as const) scalarText(present(top.get(key)), key, reader);
  readExtends(present(top.get('extends')), reader);
  readScope(present(top.get('scope')), reader);
  const targets = readTargets(present(top.get('agent')), present(top.get('agents')), reader);

  const read: ReadRule[] = [];
  const rulesPair = present(top.get('rules'));
  if (rulesPair) {
    const seq = rulesPair.value;
    if (!isSeq(seq)) {
      reader.error(seq ?? rulesPair.key, 'wrong_type', `rules must be a list of rules, got ${kindOf(seq)}.`);
    } else {
      const seen = new Map<string, SourcePos>();
      for (const item of seq.items as Node[]) {
        const rule = readRule(item, reader, name ?? '?');
        if (!rule) continue;
        const prior = seen.get(rule.info.name);
        if (prior) {
          reader.error(item, 'duplicate_rule', `Rule name "${rule.info.name}" is already used at line ${prior.line} of this policy; rule names must be unique.`);
          continue;
        }
        seen.set(rule.info.name, rule.pos);
        read.push(rule);
      }
    }
  }
  if (name === undefined || apiVersion !== AGT_API_VERSION || countErrors(reader) > errorsBefore) return null;

  const enabled = read.filter((r) => r.info.enabled);
  // AGT sorts candidates by priority, highest first, keeping document order among equals.
  enabled.sort((a, b) => b.info.priority - a.info.priority);
  const gate = targets === null ? null : `(has(agent.did) ? agent.did : agent.id) in [${targets.map(celString).join(', ')}]`;
  const rules: RuleSpec[] = [];
  const infos: AgtRuleInfo[] = [];
  if (gate !== null && def === 'allow') {
    const agentsNode = top.get('agents')?.value ?? top.get('agent')?.value ?? root;
    if (read.some((r) => r.info.name === AGT_NOT_TARGETED_RULE)) {
      reader.error(agentsNode, 'duplicate_rule', `The rule name "${AGT_NOT_TARGETED_RULE}" is reserved for the rule that denies agents this policy does not target; rename your rule.`);
      return null;
    }
    rules.push({
      name: AGT_NOT_TARGETED_RULE,
      tools: null,
      toolPos: [],
      when: { text: `!(${gate})`, node: celNode(`!(${gate})`, agentsNode as Node) },
      effect: 'deny',
      reason: `Policy "${name}" applies only to the agents it lists (${targets?.join(', ') ?? ''}); AGT denies every other agent by default.`,
      approvers: [],
      pos: reader.pos(agentsNode as Node),
    });
  }
  // Rules seen so far (higher priority) that allow or warn: what a more restrictive rule steps aside for.
  const earlierAllow: Array<{ rule: ReadRule; seq: number }> = [];
  const earlierWarn: Array<{ rule: ReadRule; seq: number }> = [];
  for (const [seq, rule] of enabled.entries()) {
    const effect = AGT_EFFECT[rule.info.action];
    let nodes = rule.cel.nodes + (gate === null ? 0 : 5 + (targets?.length ?? 0));
    const yieldsTo: ReadRule[] = [];
    // AGT: when nothing denies, the highest-priority match wins whatever its action. Warden ranks
    // effects instead, so a rule steps aside when a higher-priority, less restrictive rule matches.
    const candidates = effect === 'require_approval' ? mergeBySeq(earlierWarn, earlierAllow) : effect === 'warn' ? earlierAllow : [];
    for (const e of candidates) {
      nodes += e.rule.cel.nodes + 2;
      yieldsTo.push(e.rule);
      // Bounded work: each step adds nodes, so this stops long before a large policy gets slow.
      if (nodes > MAX_CONDITION_NODES) break;
    }
    if (effect === 'allow') earlierAllow.push({ rule, seq });
    if (effect === 'warn') earlierWarn.push({ rule, seq });
    if (nodes > MAX_CONDITION_NODES) {
      const why =
        yieldsTo.length > 0
          ? `, with the rules it must step aside for (higher priority, less restrictive action: ${yieldsTo.map((r) => r.info.name).slice(0, 5).join(', ')}${yieldsTo.length > 5 ? ', ...' : ''}),`
          : gate !== null
            ? " with the policy's agent targeting"
            : '';
      reader.error(rule.conditionNode, 'agt_too_complex', `The condition of rule "${rule.info.name}"${why} exceeds ${MAX_CONDITION_NODES} CEL nodes. Shorten it, change priorities, or split the policy.`);
      return null;
    }
    const parts = [...(gate === null ? [] : [gate]), rule.cel.cel];
    const text =
      parts.length === 1 && yieldsTo.length === 0
        ? rule.cel.cel
        : [...parts.map((p) => `(${p})`), ...yieldsTo.map((r) => `!(${r.cel.cel})`)].join(' && ');
    const spec: RuleSpec = {
      name: rule.info.name,
      tools: null,
      toolPos: [],
      when: { text, node: celNode(text, rule.conditionNode) },
      effect,
      approvers: effect === 'require_approval' ? rule.approvers : [],
      pos: rule.pos,
    };
    const reason = ruleReason(rule);
    if (reason !== undefined) spec.reason = reason;
    rules.push(spec);
    infos.push({ ...rule.info, yieldsTo: yieldsTo.map((r) => r.info.name) });
  }
  const spec: PolicySpec = { name, default: def, rules, facets: [], inventory: null, pos: reader.pos(root) };
  if (description !== undefined) spec.description = description;
  const out: AgtPolicy = { spec, rules: infos, disabled: read.filter((r) => !r.info.enabled).map((r) => r.info), targets };
  if (version !== undefined) out.version = version;
  return out;
}

interface ReadRule {
  info: AgtRuleInfo;
  description?: string;
  approvers: string[];
  cel: AgtCelTranslation;
  conditionNode: Node;
  node: Node;
  pos: SourcePos;
}

/** Two lists ordered by seq, merged lazily in seq order (the priority order of the rules). */
function* mergeBySeq<T extends { seq: number }>(a: readonly T[], b: readonly T[]): Generator<T> {
  let i = 0;
  let j = 0;
  for (;;) {
    const x = a[i];
    const y = b[j];
    if (x === undefined && y === undefined) return;
    if (x !== undefined && (y === undefined || x.seq < y.seq)) {
      yield x;
      i++;
    } else if (y !== undefined) {
      yield y;
      j++;
    }
  }
}

function ruleReason(rule: ReadRule): string | undefined {
  if (rule.info.action === 'log') {
    return `${rule.description ?? `Rule ${rule.info.name} matched`} (AGT log rule: allowed, and recorded like every decision)`;
  }
  // AGT reports the rule's description as the reason; without one, Warden's default names the rule.
  return rule.description;
}

function readRule(node: Node, reader: NodeReader, policy: string): ReadRule | null {
  const m = reader.mapping(node, `a rule of AGT policy "${policy}"`, RULE_KEYS);
  if (!m) return null;
  const errorsBefore = countErrors(reader);
  const name = reader.string(m.get('name'), 'rule name', true, node);
  const where = name ? `rule "${name}"` : 'a rule';
  if (name !== undefined && !NAME_PATTERN.test(name)) {
    reader.error(m.get('name')?.value, 'bad_name', `Rule name "${name}" must start with a letter or digit and use only letters, digits, "_", ".", ":" and "-" (at most 128): decisions and the audit log carry it.`);
  }
  const description = reader.string(present(m.get('description')), `description of ${where}`, false);
  const stage = reader.oneOf(present(m.get('stage')), `stage of ${where}`, STAGES, false);
  if (stage !== undefined && stage !== 'pre_tool') {
    reader.error(m.get('stage')?.value, 'agt_unsupported', `stage of ${where} is "${stage}": Warden decides tool calls before they run (AGT's pre_tool stage), and AGT's govern() never evaluates other stages for a tool call. Remove the rule or set stage: pre_tool.`);
  }
  // AGT's model defaults a missing action to deny.
  const action = reader.oneOf(present(m.get('action')), `action of ${where}`, AGT_ACTIONS, false) ?? 'deny';
  const limit = present(m.get('limit'));
  if (limit) {
    reader.error(limit.key, 'agt_unsupported', `limit of ${where}: AGT rate limits ("100/hour") are not enforced by Warden's policy engine, so the rule cannot load faithfully. Remove limit (and enforce the rate elsewhere) or keep the policy on AGT.`);
  }
  const approvers = reader.stringList(present(m.get('approvers')), `approvers of ${where}`);
  if (approvers && approvers.values.length > 0 && action !== 'require_approval') {
    reader.warn(m.get('approvers')?.key, 'agt_approvers_ignored', `approvers of ${where} have no effect on a "${action}" rule (AGT ignores them too); they are not carried over.`);
  }
  const priority = readInteger(present(m.get('priority')), `priority of ${where}`, reader) ?? 0;
  const enabled = readBoolean(present(m.get('enabled')), `enabled of ${where}`, reader) ?? true;
  const cond = readCondition(m.get('condition'), node, where, reader);
  if (name === undefined || cond === null || countErrors(reader) > errorsBefore) return null;
  const rule: ReadRule = {
    info: { name, action, priority, enabled, condition: cond.text, yieldsTo: [] },
    approvers: approvers?.values ?? [],
    cel: cond.cel,
    conditionNode: cond.node,
    node,
    pos: reader.pos(node),
  };
  if (description !== undefined) rule.description = description;
  return rule;
}

function readCondition(pair: KeyPair | undefined, rule: Node, where: string, reader: NodeReader): { text: string; cel: AgtCelTranslation; node: Scalar } | null {
  const node = pair?.value;
  if (!pair || node === null || node === undefined || (isScalar(node) && node.value === null)) {
    reader.error(pair?.key ?? rule, 'missing_key', `condition of ${where} is required (AGT requires it too), e.g. condition: "action.type == 'delete_file'".`);
    return null;
  }
  if (!isScalar(node) || typeof node.value !== 'string') {
    const legacy = isMap(node) ? ' (the key: value form is an older AGT format; write it as an expression, e.g. "tool_name == \'x\'")' : '';
    reader.error(node, 'wrong_type', `condition of ${where} must be an AGT expression in a string, got ${kindOf(node)}${legacy}.`);
    return null;
  }
  const text = node.value;
  const parsed = parseAgtCondition(text);
  if (!parsed.ok) {
    reader.issues.push({ severity: 'error', code: 'agt_condition', ...reader.posInScalar(node, parsed.error.offset), message: `condition of ${where}: ${parsed.error.message}` });
    return null;
  }
  const cel = agtConditionToCel(parsed.condition);
  if (!cel.ok) {
    reader.issues.push({ severity: 'error', code: 'agt_unsupported', ...reader.posInScalar(node, cel.error.offset), message: `condition of ${where}: ${cel.error.message}` });
    return null;
  }
  for (const w of cel.value.warnings) {
    reader.issues.push({ severity: 'warning', code: 'agt_value_wrapper', ...reader.posInScalar(node, w.offset), message: `condition of ${where}: ${w.message}` });
  }
  return { text, cel: cel.value, node };
}

function readExtends(pair: KeyPair | undefined, reader: NodeReader): void {
  if (!pair) return;
  if (isSeq(pair.value) && pair.value.items.length === 0) return;
  reader.error(pair.key, 'agt_unsupported', 'extends: AGT\'s parent-policy inheritance (which also drops child allow rules that share a parent deny rule\'s name) is not reproduced. Load the parent policy files alongside this one (every rule of every loaded file applies, deny-overrides) and remove extends.');
}

function readScope(pair: KeyPair | undefined, reader: NodeReader): void {
  if (!pair) return;
  const scope = reader.string(pair, 'scope', false);
  if (scope !== undefined && scope !== 'global') {
    reader.error(pair.value, 'agt_unsupported', `scope is "${scope}": AGT uses scope only under its most_specific_wins conflict strategy, which Warden does not implement (it composes with deny-overrides, as AGT's govern() does by default). Remove scope or write scope: global.`);
  }
}

function readTargets(agent: KeyPair | undefined, agents: KeyPair | undefined, reader: NodeReader): string[] | null {
  const list = reader.stringList(agents, 'agents');
  const one = reader.string(agent, 'agent', false);
  if (one === '*') {
    reader.error(agent?.value, 'agt_unsupported', 'agent: "*" targets only an agent whose identifier is literally "*" in AGT, not every agent. Write agents: ["*"] for every agent.');
    return null;
  }
  const targets = [...(one !== undefined ? [one] : []), ...(list?.values ?? [])];
  // No targeting, or a wildcard: AGT's govern() applies the policy to every agent.
  if (targets.length === 0 || list?.values.includes('*')) return null;
  return [...new Set(targets)];
}

/** A pair, unless its value is null (AGT's optional fields treat null as absent). */
function present(pair: KeyPair | undefined): KeyPair | undefined {
  if (!pair) return undefined;
  const v = pair.value;
  if (v === null || (isScalar(v) && v.value === null)) return undefined;
  return pair;
}

function scalarText(pair: KeyPair | undefined, where: string, reader: NodeReader): string | undefined {
  if (!pair) return undefined;
  const v = pair.value;
  if (isScalar(v) && typeof v.value === 'string') return v.value;
  reader.error(v ?? pair.key, 'wrong_type', `${where} must be a string, got ${kindOf(v)}.${isScalar(v) ? ' Quote it (version: "1.0").' : ''}`);
  return undefined;
}

function readInteger(pair: KeyPair | undefined, where: string, reader: NodeReader): number | undefined {
  if (!pair) return undefined;
  const v = pair.value;
  if (isScalar(v) && typeof v.value === 'number' && Number.isSafeInteger(v.value)) return v.value;
  reader.error(v ?? pair.key, 'wrong_type', `${where} must be a whole number, got ${kindOf(v)}.`);
  return undefined;
}

function readBoolean(pair: KeyPair | undefined, where: string, reader: NodeReader): boolean | undefined {
  if (!pair) return undefined;
  const v = pair.value;
  if (isScalar(v) && typeof v.value === 'boolean') return v.value;
  reader.error(v ?? pair.key, 'wrong_type', `${where} must be true or false, got ${kindOf(v)}. (YAML 1.2: yes/no/on/off are strings.)`);
  return undefined;
}

/** A scalar carrying generated CEL at the position of the AGT text it came from (errors point there). */
function celNode(text: string, at: Node): Scalar {
  const node = new Scalar(text);
  // Folded type: positions inside generated text fall back to the start of the AGT condition.
  node.type = Scalar.BLOCK_FOLDED;
  if (at.range) node.range = [at.range[0], at.range[1], at.range[2]];
  return node;
}

function countErrors(reader: NodeReader): number {
  let n = 0;
  for (const i of reader.issues) if (i.severity === 'error') n++;
  return n;
}
