/**
 * Chaos experiments inject into the real call path: each fault type changes what a real governed
 * call does (its caller waits, gets the error, the oversized result, the slow stream), the outcome
 * recorded is what the caller saw, and breakers and SLOs react to it. Starting an experiment is
 * itself decided by the policy; stopping one ends its faults at once.
 *
 * Time is a manual timer the test advances (test/helpers/manual-timer.ts): a delayed call is seen
 * waiting, then released, and its recorded duration is exactly the delay. No wall clock is read.
 */
import { describe, expect, it } from 'vitest';
import { GovernanceDenied } from '../../src/enforce/denied.js';
import { InjectedFault, systemTimer } from '../../src/enforce/fault.js';
import { Governor } from '../../src/enforce/governor.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { WardenError } from '../../src/errors.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { defineExperiment, type ExperimentSpec } from '../../src/sre/chaos.js';
import { createSre, type SreRuntime } from '../../src/sre/runtime.js';
import { manualTimer, type ManualTimer } from '../helpers/manual-timer.js';

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

function setup(options: Parameters<typeof createSre>[0] = {}): { sre: SreRuntime; governor: Governor; sink: MemorySink; timer: ManualTimer } {
  const sre = createSre(options);
  const sink = new MemorySink();
  const timer = manualTimer();
  const governor = new Governor({ policy: compilePolicy([{ name: 'p.yaml', text: POLICY }]), agent: { id: 'agent' }, sink, monitors: [sre], timer });
  return { sre, governor, sink, timer };
}

/** Whether a promise has settled yet (checked after the microtasks queued so far have run). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
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
  it('latency: the call waits for the delay, then runs; the recorded duration is the delay', async () => {
    const { sre, governor, sink, timer } = setup();
    let ran = 0;
    const search = governor.wrap('search', async (_a: object) => {
      ran++;
      return 'hits';
    });
    await start(sre, governor, { tools: ['search'], fault: { latency: '120ms' } });
    const result = search({});
    await timer.sleeping();
    expect(await settled(result)).toBe(false);
    expect(ran).toBe(0);
    timer.advance(119);
    expect(await settled(result)).toBe(false);
    timer.advance(1);
    await expect(result).resolves.toBe('hits');
    expect(ran).toBe(1);
    expect(timer.asked).toEqual([['sleep', 120]]);
    expect(sink.outcomes.at(-1)?.outcome).toMatchObject({ status: 'ok', durationMs: 120 });
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
    const { sre, governor, sink, timer } = setup();
    let ran = 0;
    const search = governor.wrap('search', async (_a: object) => {
      ran++;
      return 'hits';
    });
    await start(sre, governor, { tools: ['search'], fault: { timeout: '80ms' } });
    const pending = thrown(() => search({}));
    await timer.sleeping();
    expect(await settled(pending)).toBe(false);
    timer.advance(80);
    const e = await pending;
    expect((e as Error).name).toBe('TimeoutError');
    expect(ran).toBe(0);
    expect(sink.outcomes.at(-1)?.outcome).toMatchObject({ status: 'error', durationMs: 80, error: { name: 'TimeoutError' } });
  });

  it('largeResult: the call runs and its caller gets the oversized result', async () => {
    const { sre, governor } = setup();
    const fetchPage = governor.wrap('fetch_page', async (_a: object) => '<html>small</html>');
    await start(sre, governor, { tools: ['fetch_page'], fault: { largeResult: 2_000_000 } });
    const result = (await fetchPage({})) as string;
    expect(result.length).toBe(2_000_000);
  });

  it('slowStream: each item of a governed async generator arrives late', async () => {
    const { sre, governor, timer } = setup();
    const rows = governor.wrap('stream_rows', async function* (_a: object) {
      yield 1;
      yield 2;
      yield 3;
    });
    await start(sre, governor, { tools: ['stream_rows'], fault: { slowStream: '40ms' } });
    const it = rows({}) as AsyncGenerator<number>;
    const got: unknown[] = [];
    for (;;) {
      const next = it.next();
      await timer.sleeping();
      // Each item (and the end) is held back until 40 ms pass.
      expect(await settled(next)).toBe(false);
      timer.advance(40);
      const step = await next;
      if (step.done === true) break;
      got.push(step.value);
    }
    expect(got).toEqual([1, 2, 3]);
    expect(timer.asked).toEqual([['sleep', 40], ['sleep', 40], ['sleep', 40], ['sleep', 40]]);
  });

  it('latency on a synchronous governed function blocks the call itself', async () => {
    const { sre, governor, sink, timer } = setup();
    const lookup = governor.wrap('sync_lookup', (a: { k: string }) => `v:${a.k}`);
    await start(sre, governor, { tools: ['sync_lookup'], fault: { latency: '60ms' } });
    expect(lookup({ k: 'a' })).toBe('v:a');
    expect(timer.asked).toEqual([['block', 60]]);
    expect(sink.outcomes.at(-1)?.outcome.durationMs).toBe(60);
  });
});

describe('the timer governed calls read', () => {
  it('refuses a timer that is not { now, sleep, block } (ERR_OPTIONS), and defaults to the system timer', () => {
    const policy = compilePolicy([{ name: 'p.yaml', text: POLICY }]);
    for (const timer of [null, {}, { now: () => 0, sleep: async () => undefined }, 'performance']) {
      expect(() => new Governor({ policy, timer } as never)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS', message: expect.stringContaining('timer must be') }));
    }
    expect(new Governor({ policy }).pipeline.timer).toBe(systemTimer);
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
