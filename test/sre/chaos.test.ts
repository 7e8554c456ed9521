/**
 * Chaos experiments inject into the real call path: each fault type changes what a real governed
 * call does (its caller waits, gets the error, the oversized result, the slow stream), the outcome
 * recorded is what the caller saw, and breakers and SLOs react to it. Starting an experiment is
 * itself decided by the policy; stopping one ends its faults at once.
 *
 * Delays are checked as lower bounds on the recorded duration (a timer cannot fire early), never
 * as upper bounds.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { GovernanceDenied } from '../../src/enforce/denied.js';
import { InjectedFault } from '../../src/enforce/fault.js';
import { Governor } from '../../src/enforce/governor.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { WardenError } from '../../src/errors.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { defineExperiment, type ExperimentSpec } from '../../src/sre/chaos.js';
import { createSre, type SreRuntime } from '../../src/sre/runtime.js';

const POLICY = `apiVersion: warden/v1
kind: Policy
name: chaos
default: deny
rules:
  - name: only-sre-starts-experiments
    tools: [warden.chaos.start]
    when: "'sre' in agent.roles"
    effect: allow
  - name: tools
    tools: ["search", "fetch_page", "stream_rows", "sync_lookup"]
    effect: allow
`;

function setup(options: Parameters<typeof createSre>[0] = {}): { sre: SreRuntime; governor: Governor; sink: MemorySink } {
  const sre = createSre(options);
  const sink = new MemorySink();
  const governor = new Governor({ policy: compilePolicy([{ name: 'p.yaml', text: POLICY }]), agent: { id: 'agent' }, sink, monitors: [sre] });
  return { sre, governor, sink };
}

const SRE_ONCALL = { id: 'oncall', roles: ['sre'] };

async function start(sre: SreRuntime, governor: Governor, spec: Omit<ExperimentSpec, 'name' | 'duration'> & { name?: string; duration?: string }): Promise<void> {
  await sre.startExperiment({ name: 'exp', duration: '10m', ...spec } as ExperimentSpec, { pipeline: governor.pipeline, agent: SRE_ONCALL });
}

async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('each fault changes the behaviour of a real governed call', () => {
  it('latency: the call runs, after the delay; the recorded duration includes it', async () => {
    const { sre, governor, sink } = setup();
    let ran = 0;
    const search = governor.wrap('search', async (_a: object) => {
      ran++;
      return 'hits';
    });
    await start(sre, governor, { tools: ['search'], fault: { latency: '120ms' } });
    const started = performance.now();
    await expect(search({})).resolves.toBe('hits');
    expect(performance.now() - started).toBeGreaterThanOrEqual(119);
    expect(ran).toBe(1);
    expect(sink.outcomes.at(-1)?.outcome.status).toBe('ok');
    expect(sink.outcomes.at(-1)?.outcome.durationMs).toBeGreaterThanOrEqual(119);
  });

  it('error: the caller gets the error instead of the call, it is recorded as an error, and it trips the breaker', async () => {
    const { sre, governor, sink } = setup({ breakers: [{ name: 'search', tools: ['search'], failureThreshold: 2 }] });
    let ran = 0;
    const search = governor.wrap('search', async (_a: object) => {
      ran++;
      return 'hits';
    });
    await start(sre, governor, { tools: ['search'], fault: { error: { name: 'ECONNRESET', message: 'connection reset by peer' } } });
    for (let i = 0; i < 2; i++) {
      const e = await thrown(() => search({}));
      expect(e).toBeInstanceOf(InjectedFault);
      expect((e as Error).name).toBe('ECONNRESET');
      expect((e as Error).message).toBe('connection reset by peer (injected by chaos experiment "exp")');
    }
    expect(ran).toBe(0);
    expect(sink.outcomes.map((o) => o.outcome.error?.name)).toEqual(['ECONNRESET', 'ECONNRESET']);
    expect(await thrown(() => search({}))).toBeInstanceOf(GovernanceDenied);
    const report = sre.experimentReport('exp');
    expect(report).toMatchObject({ matched: 2, injected: 2, outcomes: { ok: 0, error: 2, aborted: 0 }, refusedByBreaker: 1, ended: null });
    expect(report.breakerTransitions.map((t) => [t.breaker, t.from, t.to])).toEqual([['search/search', 'closed', 'open']]);
  });

  it('timeout: the caller waits, then gets a TimeoutError, and the call does not run', async () => {
    const { sre, governor, sink } = setup();
    let ran = 0;
    const search = governor.wrap('search', async (_a: object) => {
      ran++;
      return 'hits';
    });
    await start(sre, governor, { tools: ['search'], fault: { timeout: '80ms' } });
    const e = await thrown(() => search({}));
    expect((e as Error).name).toBe('TimeoutError');
    expect(ran).toBe(0);
    expect(sink.outcomes.at(-1)?.outcome).toMatchObject({ status: 'error', error: { name: 'TimeoutError' } });
    expect(sink.outcomes.at(-1)?.outcome.durationMs).toBeGreaterThanOrEqual(79);
  });

  it('largeResult: the call runs and its caller gets the oversized result', async () => {
    const { sre, governor } = setup();
    const fetchPage = governor.wrap('fetch_page', async (_a: object) => '<html>small</html>');
    await start(sre, governor, { tools: ['fetch_page'], fault: { largeResult: 2_000_000 } });
    const result = (await fetchPage({})) as string;
    expect(result.length).toBe(2_000_000);
  });

  it('slowStream: each item of a governed async generator arrives late', async () => {
    const { sre, governor } = setup();
    const rows = governor.wrap('stream_rows', async function* (_a: object) {
      yield 1;
      yield 2;
      yield 3;
    });
    await start(sre, governor, { tools: ['stream_rows'], fault: { slowStream: '40ms' } });
    const gaps: number[] = [];
    let last = performance.now();
    const got: unknown[] = [];
    for await (const row of rows({}) as AsyncGenerator<number>) {
      got.push(row);
      gaps.push(performance.now() - last);
      last = performance.now();
    }
    expect(got).toEqual([1, 2, 3]);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(39);
  });

  it('latency on a synchronous governed function blocks the call itself', async () => {
    const { sre, governor, sink } = setup();
    const lookup = governor.wrap('sync_lookup', (a: { k: string }) => `v:${a.k}`);
    await start(sre, governor, { tools: ['sync_lookup'], fault: { latency: '60ms' } });
    expect(lookup({ k: 'a' })).toBe('v:a');
    expect(sink.outcomes.at(-1)?.outcome.durationMs).toBeGreaterThanOrEqual(59);
  });
});

describe('bounds and governance of experiments', () => {
  it('faults only the share of calls `fraction` draws, and only calls its selector covers', async () => {
    const draws = [0.1, 0.9, 0.2, 0.7];
    const { sre, governor } = setup({ random: () => draws.shift() ?? 0.99 });
    const search = governor.wrap('search', async (_a: object) => 'hits');
    const page = governor.wrap('fetch_page', async (_a: object) => 'page');
    await start(sre, governor, { tools: ['search'], fault: { error: { name: 'Boom' } }, fraction: 0.5 });
    const results: string[] = [];
    for (let i = 0; i < 4; i++) results.push(await search({}).then(String, (e: Error) => e.name));
    expect(results).toEqual(['Boom', 'hits', 'Boom', 'hits']);
    await expect(page({})).resolves.toBe('page');
    expect(sre.experimentReport('exp')).toMatchObject({ matched: 4, injected: 2 });
  });

  it('ends after maxCalls faults', async () => {
    const { sre, governor } = setup();
    const search = governor.wrap('search', async (_a: object) => 'hits');
    await start(sre, governor, { tools: ['search'], fault: { error: {} }, maxCalls: 2 });
    const results: string[] = [];
    for (let i = 0; i < 3; i++) results.push(await search({}).then(String, (e: Error) => e.name));
    expect(results).toEqual(['InjectedFault', 'InjectedFault', 'hits']);
    expect(sre.experimentReport('exp').ended).toBe('maxCalls');
  });

  it('ends when its duration is over', async () => {
    let t = Date.UTC(2026, 0, 1);
    const sre = createSre({ now: () => t });
    const governor = new Governor({ policy: compilePolicy([{ name: 'p.yaml', text: POLICY }]), clock: () => new Date(t), monitors: [sre] });
    const search = governor.wrap('search', async (_a: object) => 'hits');
    await sre.startExperiment({ name: 'exp', tools: ['search'], fault: { error: {} }, duration: '1m' }, { pipeline: governor.pipeline, agent: SRE_ONCALL });
    expect(await search({}).then(String, (e: Error) => e.name)).toBe('InjectedFault');
    t += 60_000;
    await expect(search({})).resolves.toBe('hits');
    expect(sre.experimentReport('exp')).toMatchObject({ ended: 'duration', endsAt: '2026-01-01T00:01:00.000Z' });
  });

  it('stops at once when stopped (the kill), with no permission needed', async () => {
    const { sre, governor } = setup();
    const search = governor.wrap('search', async (_a: object) => 'hits');
    await start(sre, governor, { tools: ['search'], fault: { error: {} } });
    expect(sre.stopExperiments()).toEqual(['exp']);
    await expect(search({})).resolves.toBe('hits');
    expect(sre.experimentReport('exp').ended).toBe('stopped');
  });

  it('starts only for a principal the policy allows, and the attempt is recorded', async () => {
    const { sre, governor, sink } = setup();
    const e = await thrown(() => sre.startExperiment({ name: 'exp', tools: ['search'], fault: { error: {} }, duration: '1m' }, { pipeline: governor.pipeline, agent: { id: 'agent', roles: [] } }));
    expect(e).toBeInstanceOf(WardenError);
    expect((e as WardenError).code).toBe('ERR_CHAOS_DENIED');
    expect((e as Error).message).toContain('Starting chaos experiment "exp" was not allowed: No rule allows tool "warden.chaos.start"');
    expect(sink.events.at(-1)?.request).toMatchObject({ tool: 'warden.chaos.start', args: { name: 'exp', tools: ['search'] } });
    const search = governor.wrap('search', async (_a: object) => 'hits');
    await expect(search({})).resolves.toBe('hits');
  });

  it('refuses to start without a pipeline to decide it', async () => {
    const { sre } = setup();
    const e = await thrown(() => sre.startExperiment({ name: 'exp', tools: ['search'], fault: { error: {} }, duration: '1m' }, {} as never));
    expect((e as WardenError).code).toBe('ERR_CHAOS_DENIED');
  });

  it.each([
    [{ name: 'x', tools: ['t'], fault: { error: {} } }, /duration is required/],
    [{ name: 'x', tools: ['t'], fault: { error: {} }, duration: '25h' }, /the longest experiment is 24h/],
    [{ name: 'x', tools: ['t'], fault: { latency: '1s', error: {} }, duration: '1m' }, /exactly one of/],
    [{ name: 'x', tools: ['t'], fault: { explode: 1 }, duration: '1m' }, /unknown fault "explode"/],
    [{ name: 'x', tools: [], fault: { error: {} }, duration: '1m' }, /is empty, so it would match nothing/],
    [{ name: 'x', tools: ['t'], fault: { error: {} }, duration: '1m', fraction: 0 }, /fraction must be a share above 0/],
    [{ name: 'x', tools: ['t'], fault: { largeResult: 1e12 }, duration: '1m' }, /largeResult must be a number of characters/],
    [{ name: 'x', tools: ['t'], fault: { latency: '11m' }, duration: '1h' }, /the longest is 10m/],
    [{ name: 'x', tools: ['t'], fault: { error: {} }, duration: '1m', maxcalls: 3 }, /Did you mean "maxCalls"/],
  ])('rejects an invalid experiment %#', (spec, message) => {
    expect(() => defineExperiment(spec as unknown as ExperimentSpec)).toThrow(message);
  });
});
