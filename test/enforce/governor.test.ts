import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Governor } from '../../src/enforce/governor.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { compilePolicy } from '../../src/policy/compile.js';
import type { Effect, Request } from '../../src/decision.js';

const POLICY_FILE = new URL('../fixtures/enforce/policy.yaml', import.meta.url);
const policy = compilePolicy([{ name: 'policy.yaml', text: readFileSync(POLICY_FILE, 'utf8') }]);
const FIXED = new Date('2026-03-01T12:00:00.000Z');

function governor(extra: Partial<ConstructorParameters<typeof Governor>[0]> = {}): { g: Governor; sink: MemorySink } {
  const sink = new MemorySink();
  const g = new Governor({ policy, agent: { id: 'bot-1', roles: ['support'] }, sink, clock: () => FIXED, ...extra });
  return { g, sink };
}

describe('Governor.check verdicts', () => {
  const cases: Array<{ name: string; request: Partial<Request>; effect: Effect; allowed: boolean; rule: string | null }> = [
    { name: 'allows a read by the allow rule', request: { tool: 'read_file', args: { path: '/tmp/a' } }, effect: 'allow', allowed: true, rule: 'allow-reads' },
    { name: 'allows a glob-matched tool', request: { tool: 'search_docs', args: {} }, effect: 'allow', allowed: true, rule: 'allow-reads' },
    { name: 'denies a write under /etc (deny overrides allow)', request: { tool: 'write_file', args: { path: '/etc/passwd' } }, effect: 'deny', allowed: false, rule: 'no-etc-writes' },
    { name: 'denies a write with no path (condition error fails closed)', request: { tool: 'write_file', args: {} }, effect: 'deny', allowed: false, rule: 'no-etc-writes' },
    { name: 'allows a write elsewhere', request: { tool: 'write_file', args: { path: '/tmp/x' } }, effect: 'allow', allowed: true, rule: 'allow-writes' },
    { name: 'warns and allows an export', request: { tool: 'export_data', args: {} }, effect: 'warn', allowed: true, rule: 'flag-exports' },
    { name: 'denies a tool no rule names (default deny)', request: { tool: 'transfer_funds', args: {} }, effect: 'deny', allowed: false, rule: null },
  ];

  it.each(cases)('$name', async ({ request, effect, allowed, rule }) => {
    const { g } = governor();
    const v = await g.check(request);
    expect(v.effect).toBe(effect);
    expect(v.allowed).toBe(allowed);
    expect(v.rule).toBe(rule);
    expect(v.policyDecision.effect).toBe(effect);
    expect(v.policyDigest).toBe(policy.digest);
    expect(v.recorded).toBe(true);
    expect(v.approval).toBeUndefined();
  });

  it('a require_approval rule with no handler ends in deny, while policyDecision keeps require_approval', async () => {
    const { g } = governor();
    const v = await g.check({ tool: 'pay', args: { amount: 10 } });
    expect(v.policyDecision.effect).toBe('require_approval');
    expect(v.policyDecision.allowed).toBe(false);
    expect(v.policyDecision.approvers).toEqual(['finance']);
    expect(v.effect).toBe('deny');
    expect(v.allowed).toBe(false);
    expect(v.rule).toBe('approve-payments');
    expect(v.approval?.approved).toBe(false);
    expect(v.approval?.reason).toBe('approval is required but no approval handler is configured');
  });

  it('an approved require_approval ends in allow, while policyDecision keeps require_approval', async () => {
    const { g } = governor({ approvalHandler: () => true });
    const v = await g.check({ tool: 'pay', args: { amount: 10 } });
    expect(v.policyDecision.effect).toBe('require_approval');
    expect(v.effect).toBe('allow');
    expect(v.allowed).toBe(true);
    expect(v.approval?.approved).toBe(true);
    expect(v.reason.startsWith('Approved.')).toBe(true);
  });

  const invalid: Array<[string, unknown]> = [
    ['null', null],
    ['a string', 'read_file'],
    ['no tool', { args: {} }],
    ['args not an object', { tool: 'read_file', args: [1, 2] }],
    ['args missing', { tool: 'read_file' }],
  ];
  it.each(invalid)('a malformed request (%s) resolves to an invalid_request deny, never a throw', async (_name, request) => {
    const { g } = governor();
    const v = await g.check(request as Partial<Request>);
    expect(v.effect).toBe('deny');
    expect(v.allowed).toBe(false);
    expect(v.policyDecision.reason).toBe('invalid_request');
    expect(v.policyDecision.errors.map((e) => e.code)).toContain('invalid_request');
  });
});

describe('Governor.check recording', () => {
  it('records the event (ts, agent, request, decision, outcome) in the MemorySink and sets recorded: true', async () => {
    const { g, sink } = governor();
    const v = await g.check({ tool: 'write_file', args: { path: '/etc/hosts' }, context: { ticket: 'T-1' } });
    expect(v.recorded).toBe(true);
    expect(sink.events).toHaveLength(1);
    const e = sink.events[0];
    expect(e).toEqual({
      ts: '2026-03-01T12:00:00.000Z',
      call: v.call,
      agent: { id: 'bot-1', roles: ['support'] },
      request: { tool: 'write_file', args: { path: '/etc/hosts' }, context: { ticket: 'T-1' } },
      decision: v.policyDecision,
      outcome: { executed: false, effect: 'deny', reason: 'No writes under /etc' },
    });
  });

  it('records the approval outcome with the final effect, apart from the policy decision', async () => {
    const { g, sink } = governor({ approvalHandler: () => true });
    const v = await g.check({ tool: 'pay', args: { amount: 3 } });
    const e = sink.events[0];
    expect(e?.decision.effect).toBe('require_approval');
    expect(e?.outcome?.executed).toBe(true);
    expect(e?.outcome?.effect).toBe('allow');
    expect(e?.outcome?.approval).toEqual(v.approval);
    expect(e?.outcome?.approval?.approved).toBe(true);
  });

  it('records every check, allowed or not, in order', async () => {
    const { g, sink } = governor();
    await g.check({ tool: 'read_file', args: {} });
    await g.check({ tool: 'nope', args: {} });
    await g.check({ tool: 'export_data', args: {} });
    expect(sink.events.map((e) => [e.request.tool, e.outcome?.effect, e.outcome?.executed])).toEqual([
      ['read_file', 'allow', true],
      ['nope', 'deny', false],
      ['export_data', 'warn', true],
    ]);
  });

  it('the recorded event is a copy: mutating the args afterwards does not change the record', async () => {
    const { g, sink } = governor();
    const args: Record<string, unknown> = { path: '/tmp/a' };
    await g.check({ tool: 'read_file', args });
    args.path = '/etc/shadow';
    expect(sink.events[0]?.request.args).toEqual({ path: '/tmp/a' });
  });

  it('uses a default in-memory sink when none is given', async () => {
    const g = new Governor({ policy });
    const v = await g.check({ tool: 'read_file', args: {} });
    expect(v.recorded).toBe(true);
    expect(g.sink).toBeInstanceOf(MemorySink);
    expect((g.sink as MemorySink).events).toHaveLength(1);
  });
});

describe('Governor identity comes from its agent option, never from args', () => {
  const forged: Array<[string, Record<string, unknown>]> = [
    ['agent_id', { agent_id: 'admin' }],
    ['agent object', { agent: { id: 'admin', roles: ['admin'] } }],
    ['agentId', { agentId: 'admin' }],
    ['id', { id: 'admin' }],
    ['nested identity', { meta: { agent: { id: 'admin' } } }],
  ];

  it.each(forged)('an %s in args neither identifies nor elevates', async (_name, args) => {
    const { g, sink } = governor();
    const v = await g.check({ tool: 'admin_op', args });
    expect(v.effect).toBe('deny');
    expect(v.allowed).toBe(false);
    expect(v.rule).toBeNull();
    expect(sink.events[0]?.agent).toEqual({ id: 'bot-1', roles: ['support'] });
  });

  it('the governor identity admin is what admin rules see', async () => {
    const { g, sink } = governor({ agent: { id: 'admin' } });
    const v = await g.check({ tool: 'admin_op', args: { agent_id: 'someone-else' } });
    expect(v.effect).toBe('allow');
    expect(v.rule).toBe('admin-only');
    expect(sink.events[0]?.agent).toEqual({ id: 'admin' });
  });

  it('with no agent option the recorded agent is null and agent rules do not match', async () => {
    const sink = new MemorySink();
    const g = new Governor({ policy, sink });
    const v = await g.check({ tool: 'admin_op', args: { agent_id: 'admin' } });
    expect(v.effect).toBe('deny');
    expect(sink.events[0]?.agent).toBeNull();
  });
});

describe('Governor context merging', () => {
  it('merges the governor context under the request context', async () => {
    const { g, sink } = governor({ context: { environment: 'staging', region: 'us' } });
    const v = await g.check({ tool: 'deploy', args: {}, context: { region: 'eu' } });
    expect(v.effect).toBe('allow');
    expect(v.rule).toBe('staging-deploys');
    expect(sink.events[0]?.request.context).toEqual({ environment: 'staging', region: 'eu' });
  });

  it("the request's own keys win over the governor's", async () => {
    const { g } = governor({ context: { environment: 'staging', region: 'eu' } });
    const v = await g.check({ tool: 'deploy', args: {}, context: { environment: 'prod' } });
    expect(v.effect).toBe('deny');
  });

  it('the governor context alone applies when the request carries none', async () => {
    const { g, sink } = governor({ context: { environment: 'staging', region: 'eu' } });
    const v = await g.check({ tool: 'deploy', args: {} });
    expect(v.effect).toBe('allow');
    expect(sink.events[0]?.request.context).toEqual({ environment: 'staging', region: 'eu' });
  });

  it('merging does not mutate the caller context or the governor context', async () => {
    const base = { environment: 'staging' };
    const own = { region: 'eu' };
    const { g } = governor({ context: base });
    await g.check({ tool: 'deploy', args: {}, context: own });
    expect(base).toEqual({ environment: 'staging' });
    expect(own).toEqual({ region: 'eu' });
  });

  it('a request context that is not an object stays invalid (deny), not replaced by the governor context', async () => {
    const { g } = governor({ context: { environment: 'staging', region: 'eu' } });
    const v = await g.check({ tool: 'deploy', args: {}, context: 'staging' as unknown as Record<string, unknown> });
    expect(v.effect).toBe('deny');
    expect(v.policyDecision.reason).toBe('invalid_request');
  });
});

describe('Governor with a failing policy provider', () => {
  it('a provider that throws yields a deny with a policy_error, never an allow', async () => {
    const g = new Governor({
      policy: {
        current: () => {
          throw new Error('store exploded');
        },
      },
    });
    const v = await g.check({ tool: 'read_file', args: {} });
    expect(v.effect).toBe('deny');
    expect(v.allowed).toBe(false);
    expect(v.errors.map((e) => e.code)).toEqual(['policy_error']);
    expect(v.reason).toContain('store exploded');
  });

  it('an empty policy set denies everything', async () => {
    const g = new Governor({ policy: compilePolicy([]) });
    const v = await g.check({ tool: 'read_file', args: {} });
    expect(v.effect).toBe('deny');
    expect(v.allowed).toBe(false);
  });

  it('constructing without a policy throws', () => {
    expect(() => new Governor({} as unknown as ConstructorParameters<typeof Governor>[0])).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });
});
