/**
 * The SRE runtime watching a real Governor: breakers refuse calls and say when they probe, rules
 * read `breaker` and `slo`, an exhausted budget disables its tools and recovers, and every error
 * path of a monitor denies.
 */
import { describe, expect, it } from 'vitest';
import type { Admission, CallMonitor } from '../../src/monitor.js';
import { GovernanceDenied } from '../../src/enforce/denied.js';
import { Governor } from '../../src/enforce/governor.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { WardenError } from '../../src/errors.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { createSre } from '../../src/sre/runtime.js';

const POLICY = `apiVersion: warden/v1
kind: Policy
name: tools
default: deny
rules:
  - name: fallback-only-while-primary-is-open
    tools: [search_backup]
    when: "!has(breaker.search) || breaker.search.state != 'open'"
    effect: deny
    reason: The backup search is for when the primary is down
  - name: everything-else
    tools: ["*"]
    effect: allow
`;

/** A clock the test moves by hand, shared by the pipeline and the SRE runtime. */
function clock(start = Date.UTC(2026, 11, 7, 10)): { now: () => number; date: () => Date; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, date: () => new Date(t), advance: (ms) => void (t += ms) };
}

async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

function setup(sre: CallMonitor, c: ReturnType<typeof clock>, text = POLICY): { governor: Governor; sink: MemorySink } {
  const sink = new MemorySink();
  return { governor: new Governor({ policy: compilePolicy([{ name: 'p.yaml', text }]), agent: { id: 'bot' }, sink, clock: c.date, monitors: [sre] }), sink };
}

describe('a circuit breaker in front of a governed tool', () => {
  it('opens after the failures, refuses with when it will probe, admits one probe after the cool-down, and closes on its success', async () => {
    const c = clock();
    const sre = createSre({ breakers: [{ name: 'search', tools: ['search'], failureThreshold: 3, coolDown: '30s' }], now: c.now });
    const { governor, sink } = setup(sre, c);
    let healthy = false;
    let ran = 0;
    const search = governor.wrap('search', async (a: { q: string }) => {
      ran++;
      if (!healthy) throw new Error(`backend down for ${a.q}`);
      return 'results';
    });
    for (let i = 0; i < 3; i++) expect(((await thrown(() => search({ q: 'x' }))) as Error).message).toBe('backend down for x');
    const denied = await thrown(() => search({ q: 'x' }));
    expect(denied).toBeInstanceOf(GovernanceDenied);
    const decision = (denied as GovernanceDenied).decision;
    expect(decision.rule).toBe('breaker:search');
    expect(decision.policy).toBe('warden:sre');
    expect(decision.reason).toBe('The circuit breaker "search" for tool "search" is open after 3 failures in a row; it lets a probe call through at 2026-12-07T10:00:30.000Z (in 30 s). Retry then, or use another tool meanwhile.');
    expect(ran).toBe(3);
    expect(sink.events.at(-1)?.outcome?.executed).toBe(false);

    c.advance(30_000);
    healthy = true;
    expect(sre.breakerStates().get('search')).toBe('half-open');
    await expect(search({ q: 'x' })).resolves.toBe('results');
    expect(sre.breakerStates().get('search')).toBe('closed');
    expect(ran).toBe(4);
  });

  it('admits only the configured probes while half-open, and frees a probe slot when the policy denies the probe', async () => {
    const c = clock();
    const text = POLICY.replace('rules:\n', "rules:\n  - name: no-secret-search\n    tools: [search]\n    when: \"args.q == 'secret'\"\n    effect: deny\n");
    const sre = createSre({ breakers: [{ name: 'search', tools: ['search'], failureThreshold: 1, coolDown: '10s', probes: 1 }], now: c.now });
    const { governor } = setup(sre, c, text);
    await governor.pipeline.observe({ call: 'c0', tool: 'search' }, { status: 'error' });
    c.advance(10_000);
    // The probe slot is taken by a call the policy then denies: it did not run, so the slot is free again.
    const first = await governor.check({ tool: 'search', args: { q: 'secret' } });
    expect(first.rule).toBe('no-secret-search');
    const probe = await governor.check({ tool: 'search', args: { q: 'ok' } });
    expect(probe.allowed).toBe(true);
    const second = await governor.check({ tool: 'search', args: { q: 'ok' } });
    expect(second.allowed).toBe(false);
    expect(second.reason).toContain('is half-open and its 1 probe call is in flight');
  });

  it('lets rules read breaker state: the backup is allowed only while the primary is open', async () => {
    const c = clock();
    const sre = createSre({ breakers: [{ name: 'primary', tools: ['search'], failureThreshold: 1 }], now: c.now });
    const { governor } = setup(sre, c);
    expect((await governor.check({ tool: 'search_backup', args: {} })).rule).toBe('fallback-only-while-primary-is-open');
    await governor.check({ tool: 'search', args: {} });
    expect((await governor.check({ tool: 'search_backup', args: {} })).rule).toBe('fallback-only-while-primary-is-open');
    await governor.pipeline.observe({ call: 'x', tool: 'search' }, { status: 'error' });
    const backup = await governor.check({ tool: 'search_backup', args: {} });
    expect(backup.allowed).toBe(true);
    expect(backup.rule).toBe('everything-else');
  });

  it('refuses synchronous governed calls too (the admit stage never waits)', () => {
    const c = clock();
    const sre = createSre({ breakers: [{ name: 'lookup', tools: ['lookup'], failureThreshold: 1 }], now: c.now });
    const { governor } = setup(sre, c);
    const lookup = governor.wrap('lookup', (_a: object) => {
      throw new Error('cache miss storm');
    });
    expect(() => lookup({})).toThrow('cache miss storm');
    let denied: unknown;
    try {
      lookup({});
    } catch (e) {
      denied = e;
    }
    expect((denied as GovernanceDenied).decision.rule).toBe('breaker:lookup');
  });

  it('counts a slow call as a failure when slowCall is set', async () => {
    const c = clock();
    const sre = createSre({ breakers: [{ name: 's', tools: ['s'], failureThreshold: 1, slowCall: '2s' }], now: c.now });
    sre.observed({ ts: '', call: 'a', tool: 's', agent: null, outcome: { status: 'ok', durationMs: 1999 } });
    expect(sre.breakerStates().get('s')).toBe('closed');
    sre.observed({ ts: '', call: 'b', tool: 's', agent: null, outcome: { status: 'ok', durationMs: 2001 } });
    expect(sre.breakerStates().get('s')).toBe('open');
  });

  it('is closed again by an operator reset', async () => {
    const c = clock();
    const sre = createSre({ breakers: [{ name: 'search', tools: ['search_*'], failureThreshold: 1 }], now: c.now });
    sre.observed({ ts: '', call: 'a', tool: 'search_docs', agent: null, outcome: { status: 'error' } });
    sre.observed({ ts: '', call: 'b', tool: 'search_web', agent: null, outcome: { status: 'error' } });
    expect([...sre.breakerStates()]).toEqual([['search_docs', 'open'], ['search_web', 'open']]);
    expect(sre.resetBreaker('search', 'search_docs')).toBe(1);
    expect([...sre.breakerStates()]).toEqual([['search_docs', 'closed'], ['search_web', 'open']]);
  });

  it('shares one breaker across the tools of a shared selector', async () => {
    const c = clock();
    const sre = createSre({ breakers: [{ name: 'crm', tools: ['crm_*'], failureThreshold: 2, scope: 'shared' }], now: c.now });
    const { governor } = setup(sre, c);
    await governor.check({ tool: 'crm_read', args: {} });
    await governor.pipeline.observe({ call: 'a', tool: 'crm_read' }, { status: 'error' });
    await governor.pipeline.observe({ call: 'b', tool: 'crm_write' }, { status: 'error' });
    const v = await governor.check({ tool: 'crm_delete', args: {} });
    expect(v.rule).toBe('breaker:crm');
  });
});

describe('an SLO whose error budget runs out', () => {
  it('disables its tools with a reason while exhausted, lets rules read slo.<name>, and re-enables them as the budget recovers', async () => {
    const c = clock();
    const sre = createSre({ slos: [{ name: 'search', tools: ['search_*'], objective: 0.9, window: '1h', minimumCalls: 10 }], now: c.now });
    const text = POLICY.replace('rules:\n', "rules:\n  - name: warn-when-budget-low\n    tools: [report]\n    when: \"slo.search.budgetRemaining < 0.2\"\n    effect: deny\n    reason: budget low\n");
    const { governor } = setup(sre, c, text);
    for (let i = 0; i < 18; i++) await governor.pipeline.observe({ call: `ok${i}`, tool: 'search_docs' }, { status: 'ok' });
    await governor.pipeline.observe({ call: 'e1', tool: 'search_docs' }, { status: 'error' });
    expect((await governor.check({ tool: 'search_docs', args: {} })).allowed).toBe(true);
    expect((await governor.check({ tool: 'search_docs', args: {} })).allowed).toBe(true);
    await governor.pipeline.observe({ call: 'e2', tool: 'search_docs' }, { status: 'error' });
    await governor.pipeline.observe({ call: 'e3', tool: 'search_docs' }, { status: 'error' });
    const v = await governor.check({ tool: 'search_web', args: {} });
    expect(v.allowed).toBe(false);
    expect(v.rule).toBe('slo:search');
    expect(v.reason).toBe('The error budget of SLO "search" (90% of calls succeed over 1h) is exhausted: 3 of the last 21 calls were bad and the budget allows 2.1. Tool "search_web" is disabled until the budget recovers, as bad calls leave the window.');
    expect((await governor.check({ tool: 'report', args: {} })).rule).toBe('warn-when-budget-low');
    expect((await governor.check({ tool: 'other', args: {} })).allowed).toBe(true);
    c.advance(3_600_000 + 60_000);
    expect((await governor.check({ tool: 'search_web', args: {} })).allowed).toBe(true);
  });

  it('only counts the calls its selector covers (tools and agents)', () => {
    const c = clock();
    const sre = createSre({ slos: [{ name: 's', tools: ['a_*'], agents: ['team-*'], objective: 0.99 }], now: c.now });
    sre.observed({ ts: '', call: '1', tool: 'a_x', agent: { id: 'team-red' }, outcome: { status: 'error' } });
    sre.observed({ ts: '', call: '2', tool: 'a_x', agent: { id: 'other' }, outcome: { status: 'error' } });
    sre.observed({ ts: '', call: '3', tool: 'b_x', agent: { id: 'team-red' }, outcome: { status: 'error' } });
    sre.observed({ ts: '', call: '4', tool: 'a_x', agent: null, outcome: { status: 'error' } });
    expect(sre.status().slos[0]).toMatchObject({ total: 1, bad: 1 });
  });
});

describe('error paths of monitors', () => {
  it('denies (pipeline_error) when a monitor throws while admitting a call', async () => {
    const c = clock();
    const broken: CallMonitor = {
      admit() {
        throw new Error('state store unreachable');
      },
    };
    const { governor, sink } = setup(broken, c);
    const v = await governor.check({ tool: 'anything', args: {} });
    expect(v.allowed).toBe(false);
    expect(v.reason).toContain('the admit stage failed: state store unreachable');
    expect(sink.events.at(-1)?.decision.errors[0]?.code).toBe('pipeline_error');
  });

  it('waits for a monitor that answers asynchronously (a store-backed one): its refusal, its state, its rejection', async () => {
    const c = clock();
    const refusing: CallMonitor = { admit: async () => ({ refusal: { rule: 'breaker:remote', policy: 'warden:sre', reason: 'open in the fleet store' } }) };
    expect((await setup(refusing, c).governor.check({ tool: 'search', args: {} })).reason).toBe('open in the fleet store');
    const stating: CallMonitor = { admit: async () => ({ runtime: { breaker: new Map([['search', new Map([['state', 'open']])]]) } }) };
    expect((await setup(stating, c).governor.check({ tool: 'search_backup', args: {} })).rule).toBe('everything-else');
    const failing: CallMonitor = { admit: () => Promise.reject(new Error('store unreachable')) };
    const v = await setup(failing, c).governor.check({ tool: 'search', args: {} });
    expect(v.allowed).toBe(false);
    expect(v.reason).toContain('the admit stage failed: store unreachable');
  });

  it('denies a synchronous call when a monitor would make it wait', () => {
    const c = clock();
    const slow: CallMonitor = { admit: async () => null };
    const { governor } = setup(slow, c);
    const lookup = governor.wrap('search', (_a: object) => 'hits');
    expect(() => lookup({})).toThrow(/the admit stage failed: it had to wait, and the governed function is synchronous/);
  });

  it('denies through a deny rule when a rule reads breaker state that no monitor supplies', async () => {
    const c = clock();
    const sink = new MemorySink();
    const text = "apiVersion: warden/v1\nkind: Policy\nname: p\nrules:\n  - name: closed-only\n    tools: [t]\n    when: \"breaker.t.state != 'closed'\"\n    effect: deny\n  - name: allow\n    tools: [t]\n    effect: allow\n";
    const governor = new Governor({ policy: compilePolicy([{ name: 'p.yaml', text }]), sink, clock: c.date });
    const v = await governor.check({ tool: 't', args: {} });
    expect(v.allowed).toBe(false);
    expect(v.rule).toBe('closed-only');
    expect(sink.events[0]?.decision.errors[0]?.code).toBe('condition_error');
  });

  it('keeps the verdict and warns when a monitor throws on a decision or an outcome', async () => {
    const c = clock();
    const warnings: string[] = [];
    const noisy: CallMonitor = {
      decided() {
        throw new Error('exporter down');
      },
      observed() {
        throw new Error('exporter down');
      },
    };
    const governor = new Governor({ policy: compilePolicy([{ name: 'p.yaml', text: POLICY }]), clock: c.date, monitors: [noisy], onWarning: (w) => warnings.push(`${w.code}: ${w.message}`) });
    const run = governor.wrap('t', async (_a: Record<string, never>) => 'done');
    await expect(run({})).resolves.toBe('done');
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.map((w) => w.split(':')[0])).toEqual(['monitor_failed', 'monitor_failed']);
  });

  it('refuses monitors that are not objects, and SRE options it does not know', () => {
    expect(() => new Governor({ policy: compilePolicy([{ name: 'p.yaml', text: POLICY }]), monitors: [null as unknown as CallMonitor] })).toThrow(WardenError);
    expect(() => createSre({ breaker: [] } as never)).toThrow(/Unknown key "breaker" in createSre\(\) options. Accepted keys: breakers, bucketsPerWindow, experiments, now, onStoreError, random, signers, slos, store./);
    expect(() => createSre({ slos: [{ name: 'a', tools: ['x'], objective: 0.9 }, { name: 'a', tools: ['y'], objective: 0.9 }] })).toThrow(/Two SLOs are named "a"/);
  });

  it('refuses a call to one more tool than a per-tool breaker can track, naming the limit', () => {
    const c = clock();
    const sre = createSre({ breakers: [{ name: 'all', tools: ['*'] }], now: c.now });
    for (let i = 0; i < 10_000; i++) sre.admit({ call: `c${i}`, tool: `t${i}`, agent: null, request: { tool: `t${i}`, args: {} } });
    const a = sre.admit({ call: 'x', tool: 'one-more', agent: null, request: { tool: 'one-more', args: {} } }) as Admission;
    expect(a.refusal?.reason).toContain('already tracks 10000 tools');
  });
});

describe('outcome usage', () => {
  it.each([
    ['whole numbers and a cost', { inputTokens: 1200, outputTokens: 85, costUsd: 0.0042 }, { inputTokens: 1200, outputTokens: 85, costUsd: 0.0042 }],
    ['zero', { inputTokens: 0 }, { inputTokens: 0 }],
    ['one member', { costUsd: 1.5 }, { costUsd: 1.5 }],
    ['NaN is dropped', { inputTokens: Number.NaN, outputTokens: 3 }, { outputTokens: 3 }],
    ['a negative count is dropped', { inputTokens: -5 }, undefined],
    ['Infinity is dropped', { costUsd: Number.POSITIVE_INFINITY }, undefined],
    ['text is dropped', { inputTokens: '100' }, undefined],
    ['unknown members are dropped', { inputTokens: 1, approved: true }, { inputTokens: 1 }],
    ['an inherited member is not read', Object.create({ inputTokens: 7 }) as object, undefined],
    ['not an object', 'lots', undefined],
  ])('records host-reported usage: %s', async (_name, usage, want) => {
    const sink = new MemorySink();
    const governor = new Governor({ policy: compilePolicy([{ name: 'p.yaml', text: POLICY }]), sink });
    await governor.pipeline.observe({ call: 'c', tool: 't' }, { status: 'ok', usage: usage as never });
    expect(sink.outcomes[0]?.outcome.usage).toEqual(want);
  });
});

describe('caller-supplied state', () => {
  it.each([
    ['args', { args: { breaker: { search: { state: 'closed' } }, slo: { search: { exhausted: false } } } }],
    ['context', { args: {}, context: { breaker: { search: { state: 'closed' } }, slo: { search: { exhausted: false } } } }],
    ['a benign request', { args: { q: 'refunds' } }],
  ])('cannot make rules see a breaker or an SLO the runtime does not hold (%s)', async (_name, parts) => {
    const c = clock();
    const sre = createSre({ breakers: [{ name: 'search', tools: ['search'], failureThreshold: 1 }], now: c.now });
    const { governor } = setup(sre, c);
    await governor.check({ tool: 'search', args: {} });
    await governor.pipeline.observe({ call: 'x', tool: 'search' }, { status: 'error' });
    // The breaker is open: the backup is allowed, whatever the request says about state.
    const v = await governor.check({ tool: 'search_backup', ...parts });
    expect(v.rule).toBe('everything-else');
    expect((await governor.check({ tool: 'search', ...parts })).rule).toBe('breaker:search');
  });
});

describe('caller-supplied state, the other way', () => {
  it.each([
    ['args', { args: { breaker: { search: { state: 'open' } } } }],
    ['context', { args: {}, context: { breaker: { search: { state: 'open' } } } }],
    ['a confusable key', { args: { 'brеaker': { search: { state: 'open' } } } }],
  ])('cannot open a breaker for the rules by saying so (%s)', async (_name, parts) => {
    const c = clock();
    const sre = createSre({ breakers: [{ name: 'search', tools: ['search'] }], now: c.now });
    const { governor } = setup(sre, c);
    await governor.check({ tool: 'search', args: {} });
    expect((await governor.check({ tool: 'search_backup', ...parts })).rule).toBe('fallback-only-while-primary-is-open');
  });
});
