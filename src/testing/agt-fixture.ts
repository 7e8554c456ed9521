/**
 * Test fixtures in the format of Microsoft's Agent Governance Toolkit (its policy replay
 * fixtures: `id`, `input` with `action`, `agent_did` and `context`, `expected_verdict`), mapped
 * onto a Warden request. The mapping is documented in docs/testing.md; nothing of a fixture is
 * silently dropped: a key Warden cannot place is an error with its position.
 */
import { isMap, isScalar, type Node } from 'yaml';
import type { AgentIdentity, Request } from '../decision.js';
import { INVALID, readData } from './node-data.js';
import { readExpectedRule, readName, readRecord, readTime, type KeyPair, type ReadContext } from './read-context.js';
import type { PolicyTestCase, PolicyTestExpectation } from './types.js';
import { AGT_VERDICTS, AGT_VERDICT_EFFECT } from './formats.js';

export { AGT_VERDICTS, AGT_VERDICT_EFFECT, type AgtVerdict } from './formats.js';

const FIXTURE_KEYS = ['id', 'description', 'input', 'expected_verdict', 'expected_rule', 'resolution_metadata', 'tags', 'recorded_at'] as const;
const INPUT_KEYS = ['action', 'agent_did', 'agent_id', 'context', 'parameters', 'args', 'resource', 'tool_name'] as const;
/** Input keys that describe the call's circumstances; they join the request's context. */
const INPUT_CONTEXT_KEYS = ['resource', 'tool_name'] as const;
const RESOLUTION_KEYS = ['rule_id', 'strategy'] as const;
const ACTION_TOOL_KEYS = ['type', 'name'];
const ARGS_KEYS = ['parameters', 'args'];

/**
 * Reads one AGT fixture (a mapping), recording issues (and warnings) in the context's reader.
 * Returns null when the fixture cannot be run.
 *
 * @example
 * ```ts
 * const c = readAgtFixture(doc.contents as Node, { reader, doc, budget: newDataBudget() }, 'f.json');
 * ```
 */
export function readAgtFixture(node: Node, ctx: ReadContext, suite: string): PolicyTestCase | null {
  const { reader } = ctx;
  const m = reader.mapping(node, 'an AGT fixture', FIXTURE_KEYS);
  if (!m) return null;
  const id = readName(ctx, m.get('id'), 'id (of an AGT fixture)', node);
  const where = id === undefined ? 'an AGT fixture' : `fixture "${id}"`;
  reader.string(m.get('description'), `description of ${where}`, false);
  reader.stringList(m.get('tags'), `tags of ${where}`);
  const verdict = reader.oneOf(m.get('expected_verdict'), `expected_verdict of ${where}`, AGT_VERDICTS, true, node);
  const rule = readExpectedRule(ctx, m.get('expected_rule'), `expected_rule of ${where}`);
  const resolvedBy = readResolution(m.get('resolution_metadata'), ctx, where);
  const now = readTime(ctx, m.get('recorded_at'), `recorded_at of ${where}`);
  const inputPair = m.get('input');
  if (!inputPair) reader.error(node, 'missing_key', `input of ${where} is required: { action, agent_did, context }.`);
  const request = inputPair ? readInput(inputPair, ctx, where) : INVALID;

  let expectedRule = rule;
  if (resolvedBy !== INVALID && resolvedBy !== undefined) {
    if (rule !== undefined && rule !== INVALID && rule !== resolvedBy) {
      reader.error(m.get('resolution_metadata')?.value, 'conflicting_rule', `${where} expects rule "${String(rule)}" in expected_rule but "${resolvedBy}" in resolution_metadata.rule_id; make them agree.`);
      return null;
    }
    if (rule === undefined) expectedRule = resolvedBy;
  }
  if (id === undefined || verdict === undefined || expectedRule === INVALID || resolvedBy === INVALID || now === INVALID || request === INVALID) return null;
  const expect: PolicyTestExpectation = { effect: AGT_VERDICT_EFFECT[verdict] };
  if (expectedRule !== undefined) expect.rule = expectedRule;
  if (verdict !== expect.effect) expect.verdict = verdict;
  const c: PolicyTestCase = { name: id, request, expect, where: reader.pos(node), suite, format: 'agt' };
  if (now !== undefined) c.now = now;
  return c;
}

/** `resolution_metadata`: its rule_id backs expected_rule; a strategy other than deny-overrides is warned about. */
function readResolution(pair: KeyPair | undefined, ctx: ReadContext, where: string): string | undefined | typeof INVALID {
  if (!pair) return undefined;
  const { reader } = ctx;
  const m = reader.mapping(pair.value, `resolution_metadata of ${where}`, RESOLUTION_KEYS);
  if (!m) return INVALID;
  const before = reader.issues.filter((i) => i.severity === 'error').length;
  const ruleId = reader.string(m.get('rule_id'), `resolution_metadata.rule_id of ${where}`, false);
  const strategy = reader.string(m.get('strategy'), `resolution_metadata.strategy of ${where}`, false);
  if (reader.issues.filter((i) => i.severity === 'error').length > before) return INVALID;
  if (strategy !== undefined && strategy !== 'deny-overrides') {
    reader.warn(
      m.get('strategy')?.value,
      'strategy_ignored',
      `${where} was recorded under the "${strategy}" strategy; Warden always resolves conflicts deny-overrides, so where that changes the outcome this case fails and shows the difference.`,
    );
  }
  if (ruleId !== undefined && ruleId.length === 0) {
    reader.error(m.get('rule_id')?.value, 'empty_name', `resolution_metadata.rule_id of ${where} is empty.`);
    return INVALID;
  }
  return ruleId;
}

function readInput(pair: KeyPair, ctx: ReadContext, where: string): Request | typeof INVALID {
  const { reader } = ctx;
  const node = pair.value;
  const m = reader.mapping(node, `input of ${where}`, INPUT_KEYS);
  if (!m || !node) return INVALID;
  const errorsBefore = countErrors(ctx);

  // The tool and (for an action object) its arguments.
  let tool: string | undefined;
  let actionArgs: Record<string, unknown> | undefined;
  const actionPair = m.get('action');
  if (!actionPair) {
    reader.error(node, 'missing_key', `input.action of ${where} is required: the tool name, or { type, parameters }.`);
  } else if (isMap(actionPair.value)) {
    const read = readActionObject(actionPair.value, ctx, where);
    if (read !== INVALID) ({ tool, args: actionArgs } = read);
  } else {
    tool = reader.string(actionPair, `input.action of ${where}`, true);
    if (tool !== undefined && tool.length === 0) reader.error(actionPair.value, 'empty_tool', `input.action of ${where} is empty; name the action.`);
  }

  // Arguments given beside a string action.
  const argSources = ARGS_KEYS.filter((k) => m.has(k));
  if (argSources.length > 1) reader.error(m.get('args')?.key, 'ambiguous_args', `input of ${where} has both parameters and args; give the arguments once.`);
  if (argSources.length > 0 && actionArgs !== undefined) {
    reader.error(m.get(argSources[0] ?? 'parameters')?.key, 'ambiguous_args', `input of ${where} gives arguments both in input.${argSources[0] ?? 'parameters'} and in the action object; give them once.`);
  }
  const inputArgs = argSources.length === 1 ? readRecord(ctx, m.get(argSources[0] ?? 'parameters'), `input.${argSources[0] ?? 'parameters'}`, where) : undefined;

  // The agent: its DID is its identity; an agent_id, when given, is its id.
  const did = readOptionalId(ctx, m.get('agent_did'), `input.agent_did of ${where}`);
  const agentId = readOptionalId(ctx, m.get('agent_id'), `input.agent_id of ${where}`);

  // The context, joined by the keys that describe the call's circumstances.
  const context = readRecord(ctx, m.get('context'), 'input.context', where);
  const extra: Record<string, unknown> = {};
  for (const key of INPUT_CONTEXT_KEYS) {
    const p = m.get(key);
    if (!p) continue;
    if (context !== undefined && context !== INVALID && Object.hasOwn(context, key)) {
      reader.error(p.key, 'conflicting_context', `input.${key} of ${where} is also given as input.context.${key}; give it once.`);
      continue;
    }
    const v = readData(p.value, reader, ctx.budget, `input.${key}`, where);
    if (v !== INVALID) Object.defineProperty(extra, key, { value: v, writable: true, enumerable: true, configurable: true });
  }

  if (countErrors(ctx) > errorsBefore || tool === undefined || inputArgs === INVALID || context === INVALID) return INVALID;
  const request: Request = { tool, args: actionArgs ?? inputArgs ?? {} };
  if (did !== undefined || agentId !== undefined) {
    const agent: AgentIdentity = { id: agentId ?? did ?? '' };
    if (did !== undefined) agent.did = did;
    request.agent = agent;
  }
  if (context !== undefined || Object.keys(extra).length > 0) request.context = { ...(context ?? {}), ...extra };
  return request;
}

/** `action: { type | name, parameters | args | ...other keys }`. */
function readActionObject(node: Node, ctx: ReadContext, where: string): { tool: string; args: Record<string, unknown> } | typeof INVALID {
  const { reader } = ctx;
  if (!isMap(node)) return INVALID;
  const keys = new Map<string, KeyPair>();
  for (const p of node.items) {
    if (!isScalar(p.key) || typeof p.key.value !== 'string') {
      reader.error((p.key ?? node) as Node, 'wrong_type', `Keys in input.action of ${where} must be strings.`);
      return INVALID;
    }
    keys.set(p.key.value, p as KeyPair);
  }
  const names = ACTION_TOOL_KEYS.filter((k) => keys.has(k)).map((k) => ({ key: k, value: reader.string(keys.get(k), `input.action.${k} of ${where}`, true) }));
  if (names.length === 0) {
    reader.error(node, 'missing_key', `input.action of ${where} names no tool: give it a type (or name).`);
    return INVALID;
  }
  if (names.some((n) => n.value === undefined)) return INVALID;
  const tool = names[0]?.value ?? '';
  if (tool.length === 0) {
    reader.error(keys.get(names[0]?.key ?? 'type')?.value, 'empty_tool', `input.action.${names[0]?.key ?? 'type'} of ${where} is empty; name the action.`);
    return INVALID;
  }
  if (names.length === 2 && names[1]?.value !== tool) {
    reader.error(keys.get('name')?.value, 'ambiguous_action', `input.action of ${where} has type "${tool}" and name "${names[1]?.value ?? ''}"; which is the tool? Keep one.`);
    return INVALID;
  }
  const sources = ARGS_KEYS.filter((k) => keys.has(k));
  const rest = [...keys.keys()].filter((k) => !ACTION_TOOL_KEYS.includes(k) && !ARGS_KEYS.includes(k));
  if (sources.length > 1) {
    reader.error(keys.get('args')?.key, 'ambiguous_args', `input.action of ${where} has both parameters and args; give the arguments once.`);
    return INVALID;
  }
  if (sources.length === 1) {
    const src = sources[0] ?? 'parameters';
    if (rest.length > 0) {
      reader.error(keys.get(rest[0] ?? '')?.key, 'ambiguous_args', `input.action of ${where} has ${src} and also ${rest.map((k) => `"${k}"`).join(', ')}; move ${rest.length === 1 ? 'it' : 'them'} under ${src}.`);
      return INVALID;
    }
    const args = readRecord(ctx, keys.get(src), `input.action.${src}`, where);
    return args === INVALID ? INVALID : { tool, args: args ?? {} };
  }
  // No parameters key: the action's other keys are its arguments.
  const args: Record<string, unknown> = {};
  let ok = true;
  for (const k of rest) {
    const v = readData(keys.get(k)?.value, reader, ctx.budget, `input.action.${k}`, where);
    if (v === INVALID) ok = false;
    else Object.defineProperty(args, k, { value: v, writable: true, enumerable: true, configurable: true });
  }
  return ok ? { tool, args } : INVALID;
}

function readOptionalId(ctx: ReadContext, pair: KeyPair | undefined, where: string): string | undefined {
  if (!pair) return undefined;
  const s = ctx.reader.string(pair, where, true);
  if (s !== undefined && s.length === 0) {
    ctx.reader.error(pair.value, 'empty_name', `${where} is empty; omit it for an anonymous call.`);
    return undefined;
  }
  return s;
}

function countErrors(ctx: ReadContext): number {
  return ctx.reader.issues.filter((i) => i.severity === 'error').length;
}

/**
 * True when a mapping node looks like an AGT fixture rather than a Warden document.
 *
 * @example
 * ```ts
 * looksLikeAgtFixture(doc.contents as Node); // true for { id, input, expected_verdict }
 * ```
 */
export function looksLikeAgtFixture(node: Node): boolean {
  return isMap(node) && node.items.some((p) => isScalar(p.key) && (p.key.value === 'expected_verdict' || p.key.value === 'input'));
}
