/**
 * The `warden/v1` `PolicyTest` document: a list of cases, each a request and the decision it
 * should get. Read strictly: an unknown key or a wrong type is an error with its position.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { API_VERSION } from '../policy/document.js';
import type { AgentIdentity, Effect, Request } from '../decision.js';
import { EFFECTS } from '../decision.js';
import { kindOf } from '../policy/yaml-reader.js';
import { INVALID, isRecord, readData } from './node-data.js';
import { readExpectedRule, readName, readRecord, readTime, type KeyPair, type ReadContext } from './read-context.js';
import type { PolicyTestCase, PolicyTestExpectation } from './types.js';
import { POLICY_TEST_KIND } from './formats.js';

export { POLICY_TEST_KIND } from './formats.js';

const DOCUMENT_KEYS = ['apiVersion', 'kind', 'name', 'description', 'cases'] as const;
const CASE_KEYS = ['name', 'description', 'request', 'now', 'expect'] as const;
const REQUEST_KEYS = ['tool', 'args', 'agent', 'context'] as const;
const AGENT_KEYS = ['id', 'roles', 'labels', 'did', 'ring', 'trust'] as const;
const EXPECT_KEYS = ['effect', 'rule', 'reason'] as const;

/**
 * Reads one `PolicyTest` document, recording issues in the context's reader.
 * Returns the cases that read cleanly; the caller must not run a file that has errors.
 *
 * @example
 * ```ts
 * const cases = readWardenTestDocument(doc.contents as Node, ctx, 'policy.test.yaml');
 * ```
 */
export function readWardenTestDocument(root: Node, ctx: ReadContext, file: string): PolicyTestCase[] {
  const { reader } = ctx;
  const top = reader.mapping(root, 'a PolicyTest document', DOCUMENT_KEYS);
  if (!top) return [];
  const apiVersion = reader.string(top.get('apiVersion'), 'apiVersion', true, root);
  if (apiVersion !== undefined && apiVersion !== API_VERSION) {
    reader.error(top.get('apiVersion')?.value, 'unknown_api_version', `apiVersion is "${apiVersion}"; this version of Warden reads "${API_VERSION}".`);
  }
  const kind = reader.string(top.get('kind'), 'kind', true, root);
  if (kind !== undefined && kind !== POLICY_TEST_KIND) {
    const hint = kind === 'Policy' ? ' This file looks like a policy: pass it as a policy, not with --cases.' : '';
    reader.error(top.get('kind')?.value, 'unknown_kind', `kind is "${kind}"; a test file has "kind: ${POLICY_TEST_KIND}".${hint}`);
  }
  const namePair = top.get('name');
  const name = namePair ? readName(ctx, namePair, 'name', root) : undefined;
  reader.string(top.get('description'), 'description', false);
  if (apiVersion !== API_VERSION || kind !== POLICY_TEST_KIND) return [];
  const casesPair = top.get('cases');
  if (!casesPair) {
    reader.error(root, 'missing_key', 'cases is required: a list of cases, each with name, request and expect.');
    return [];
  }
  const seq = casesPair.value;
  if (!isSeq(seq)) {
    reader.error(seq ?? casesPair.key, 'wrong_type', `cases must be a list of cases, got ${kindOf(seq)}.`);
    return [];
  }
  if (seq.items.length === 0) {
    reader.error(seq, 'no_cases', 'cases is empty; a test file with no case tests nothing. Add a case or remove the file.');
    return [];
  }
  const out: PolicyTestCase[] = [];
  for (const item of seq.items as Node[]) {
    const c = readCase(item, ctx, name ?? file);
    if (c) out.push(c);
  }
  return out;
}

function readCase(node: Node, ctx: ReadContext, suite: string): PolicyTestCase | null {
  const { reader } = ctx;
  const m = reader.mapping(node, 'a case', CASE_KEYS);
  if (!m) return null;
  const name = readName(ctx, m.get('name'), 'case name', node);
  const where = name === undefined ? 'a case' : `case "${name}"`;
  reader.string(m.get('description'), `description of ${where}`, false);
  const requestPair = m.get('request');
  const request = requestPair ? readRequest(requestPair, ctx, where) : undefined;
  if (!requestPair) reader.error(node, 'missing_key', `request of ${where} is required: { tool, args, agent, context }.`);
  const now = readTime(ctx, m.get('now'), `now of ${where}`);
  const expectPair = m.get('expect');
  const expect = expectPair ? readExpect(expectPair, ctx, where) : undefined;
  if (!expectPair) reader.error(node, 'missing_key', `expect of ${where} is required: { effect, rule?, reason? }.`);
  if (name === undefined || request === undefined || request === INVALID || now === INVALID || expect === undefined) return null;
  const c: PolicyTestCase = { name, request, expect, where: reader.pos(node), suite, format: 'warden' };
  if (now !== undefined) c.now = now;
  return c;
}

function readRequest(pair: KeyPair, ctx: ReadContext, where: string): Request | typeof INVALID {
  const { reader } = ctx;
  const node = pair.value;
  const m = reader.mapping(node, `request of ${where}`, REQUEST_KEYS);
  if (!m || !node) return INVALID;
  const tool = reader.string(m.get('tool'), `request.tool of ${where}`, true, node);
  if (tool !== undefined && tool.length === 0) reader.error(m.get('tool')?.value, 'empty_tool', `request.tool of ${where} is empty; name the tool the agent calls.`);
  const args = readRecord(ctx, m.get('args'), 'request.args', where);
  const context = readRecord(ctx, m.get('context'), 'request.context', where);
  const agentPair = m.get('agent');
  const agent = agentPair ? readAgent(agentPair, ctx, where) : undefined;
  if (tool === undefined || tool.length === 0 || args === INVALID || context === INVALID || agent === INVALID) return INVALID;
  const request: Request = { tool, args: args ?? {} };
  if (agent !== undefined) request.agent = agent;
  if (context !== undefined) request.context = context;
  return request;
}

function readAgent(pair: KeyPair, ctx: ReadContext, where: string): AgentIdentity | typeof INVALID {
  const { reader } = ctx;
  const node = pair.value;
  const m = reader.mapping(node, `request.agent of ${where}`, AGENT_KEYS);
  if (!m || !node) return INVALID;
  const before = reader.issues.length;
  reader.string(m.get('id'), `request.agent.id of ${where}`, true, node);
  reader.stringList(m.get('roles'), `request.agent.roles of ${where}`);
  reader.string(m.get('did'), `request.agent.did of ${where}`, false);
  const labels = m.get('labels');
  if (labels) {
    if (!isMap(labels.value)) {
      reader.error(labels.value ?? labels.key, 'wrong_type', `request.agent.labels of ${where} must be a mapping of strings, got ${kindOf(labels.value)}.`);
    } else {
      for (const p of labels.value.items) {
        if (!isScalar(p.value) || typeof p.value.value !== 'string') {
          reader.error((p.value ?? p.key) as Node, 'wrong_type', `Every label of request.agent.labels of ${where} must be a string, got ${kindOf(p.value as Node)}.`);
        }
      }
    }
  }
  for (const key of ['ring', 'trust'] as const) {
    const p = m.get(key);
    if (p && !(isScalar(p.value) && typeof p.value.value === 'number' && Number.isFinite(p.value.value))) {
      reader.error(p.value ?? p.key, 'wrong_type', `request.agent.${key} of ${where} must be a number, got ${kindOf(p.value)}.`);
    }
  }
  if (reader.issues.length > before) return INVALID;
  const data = readData(node, reader, ctx.budget, 'request.agent', where);
  return isRecord(data) ? (data as unknown as AgentIdentity) : INVALID;
}

function readExpect(pair: KeyPair, ctx: ReadContext, where: string): PolicyTestExpectation | undefined {
  const { reader } = ctx;
  const node = pair.value;
  const m = reader.mapping(node, `expect of ${where}`, EXPECT_KEYS);
  if (!m || !node) return undefined;
  const effect = reader.oneOf(m.get('effect'), `expect.effect of ${where}`, EFFECTS as readonly Effect[], true, node);
  const rule = readExpectedRule(ctx, m.get('rule'), `expect.rule of ${where}`);
  const reason = reader.string(m.get('reason'), `expect.reason of ${where}`, false);
  if (reason !== undefined && reason.length === 0) {
    reader.error(m.get('reason')?.value, 'empty_reason', `expect.reason of ${where} is empty, which every reason contains; give the text to look for, or omit it.`);
    return undefined;
  }
  if (effect === undefined || rule === INVALID || (m.get('reason') && reason === undefined)) return undefined;
  const out: PolicyTestExpectation = { effect };
  if (rule !== undefined) out.rule = rule;
  if (reason !== undefined) out.reason = reason;
  return out;
}
