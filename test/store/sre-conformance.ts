/**
 * The SRE state every store backend shares between processes: circuit breaker transitions (with
 * the half-open probe slot claimed atomically), SLO windows, and signed chaos experiments that a
 * stop or a kill ends everywhere. Each backend's test file calls {@link sreStateConformance} beside
 * the store conformance suite; each runtime here stands for one process on the store.
 */
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../src/errors.js';
import { createIdentity } from '../../src/identity/agent-key.js';
import type { Admission, MonitoredCall } from '../../src/monitor.js';
import { KillSwitch, parseKillTarget } from '../../src/runtime/kill.js';
import { breakerStateKey, BREAKER_RESET_LOG, resetSharedBreaker } from '../../src/sre/shared-breaker.js';
import { CHAOS_KEY, startSharedExperiment, stopSharedExperiments } from '../../src/sre/shared-chaos.js';
import { createSre, type SreRuntime } from '../../src/sre/runtime.js';
import type { Store } from '../../src/store/types.js';
import type { OpenStore } from './conformance.js';

const ops = createIdentity();
const outsider = createIdentity();
const allow = async (): Promise<{ allowed: boolean; reason: string }> => ({ allowed: true, reason: 'game days are allowed' });

function call(id: string, tool = 'search', agent: string | null = 'bot'): MonitoredCall {
  return { call: id, tool, agent: agent === null ? null : { id: agent }, request: { tool, args: {} } };
}

/** One call through a runtime as the pipeline makes it: admit, then (when admitted) its outcome. */
async function run(sre: SreRuntime, id: string, status: 'ok' | 'error', tool = 'search'): Promise<Admission> {
  const a = await sre.admit(call(id, tool));
  if (a.refusal === undefined) sre.observed({ call: id, tool, agent: { id: 'bot' }, outcome: { status, durationMs: 1 } } as never);
  return a;
}

async function rejection(p: Promise<unknown> | unknown): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof WardenError ? e.code : `not a WardenError: ${String(e)}`;
  }
  return 'resolved';
}

export function sreStateConformance(name: string, open: OpenStore): void {
  describe(`${name} store: shared SRE state`, () => {
    let t = 1_765_000_000_000;
    const now = (): number => t;
    const breakers = [{ name: 'search', tools: ['search*'], failureThreshold: 3, coolDown: '30s', probes: 1, probeTimeout: '10s' }];
    const fleet = (store: Store, n: number, extra: Record<string, unknown> = {}): SreRuntime[] => Array.from({ length: n }, () => createSre({ store, breakers, now, ...extra }));

    async function opened(store: Store): Promise<[SreRuntime, SreRuntime]> {
      const [a, b] = fleet(store, 2);
      for (let i = 0; i < 3; i++) await run(a as SreRuntime, `f${i}`, 'error');
      await (a as SreRuntime).flush();
      return [a as SreRuntime, b as SreRuntime];
    }

    it('a breaker one process opens refuses calls in another, saying why and when it probes', async () => {
      const store = await open(now);
      const [, b] = await opened(store);
      const refusal = (await b.admit(call('x'))).refusal;
      expect(refusal?.rule).toBe('breaker:search');
      expect(refusal?.reason).toContain('is open after 3 failures in a row');
      expect(refusal?.reason).toContain(new Date(t + 30_000).toISOString());
      expect(b.status().breakers.find((s) => s.name === 'search/search')?.state).toBe('open');
      await store.close();
    });

    it('gives the rules the shared state: breaker.<tool>.state is half-open for the probe another process admits', async () => {
      const store = await open(now);
      await opened(store);
      t += 30_000;
      const [c] = fleet(store, 1);
      const view = (await (c as SreRuntime).admit(call('probe'))).runtime?.breaker?.get('search') as Map<string, unknown> | undefined;
      expect(view?.get('state')).toBe('half-open');
      await store.close();
    });

    it('after the cool-down, exactly one of twenty concurrent callers in four processes gets the probe slot', async () => {
      const store = await open(now);
      await opened(store);
      t += 30_000;
      const many = fleet(store, 4);
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => (many[i % 4] as SreRuntime).admit(call(`p${i}`))));
      expect(answers.filter((a) => a.refusal === undefined)).toHaveLength(1);
      expect(answers.filter((a) => a.refusal?.reason.includes('half-open')).length).toBe(19);
      await store.close();
    });

    it('a probe that succeeds closes the breaker for every process', async () => {
      const store = await open(now);
      const [a, b] = await opened(store);
      t += 30_000;
      expect((await run(a, 'probe', 'ok')).refusal).toBeUndefined();
      await a.flush();
      expect((await b.admit(call('after'))).refusal).toBeUndefined();
      expect(b.status().breakers[0]?.state).toBe('closed');
      await store.close();
    });

    it('a probe that fails opens it again for every process, with a new cool-down', async () => {
      const store = await open(now);
      const [a, b] = await opened(store);
      t += 30_000;
      await run(a, 'probe', 'error');
      await a.flush();
      const refusal = (await b.admit(call('after'))).refusal;
      expect(refusal?.reason).toContain('open after a probe call failed');
      expect(refusal?.reason).toContain(new Date(t + 30_000).toISOString());
      await store.close();
    });

    it('a probe with no outcome within probeTimeout opens it again (the slot is never held forever)', async () => {
      const store = await open(now);
      const [a, b] = await opened(store);
      t += 30_000;
      expect((await a.admit(call('lost-probe'))).refusal).toBeUndefined();
      t += 10_000;
      expect((await b.admit(call('later'))).refusal?.reason).toContain('no outcome within 10s');
      await store.close();
    });

    it('a probe admitted but denied later (never run) frees its slot for another process', async () => {
      const store = await open(now);
      const [a, b] = await opened(store);
      t += 30_000;
      expect((await a.admit(call('p1'))).refusal).toBeUndefined();
      a.decided({ call: 'p1', request: { tool: 'search', args: {} }, outcome: { executed: false } } as never);
      await a.flush();
      expect((await b.admit(call('p2'))).refusal).toBeUndefined();
      await store.close();
    });

    it('failures a process counted before the breaker last closed do not count toward opening it again', async () => {
      const store = await open(now);
      const [a, b] = fleet(store, 2) as [SreRuntime, SreRuntime];
      for (let i = 0; i < 2; i++) await run(a, `a${i}`, 'error');
      for (let i = 0; i < 3; i++) await run(b, `b${i}`, 'error');
      await b.flush();
      t += 30_000;
      await run(b, 'probe', 'ok');
      await b.flush();
      // a's two old failures belong to the closed period before the open: one more is not three in a row.
      await run(a, 'a-new', 'error');
      await a.flush();
      expect((await b.admit(call('still-closed'))).refusal).toBeUndefined();
      await store.close();
    });

    it('a signed operator reset closes every instance of the breaker and is recorded in the reset log', async () => {
      const store = await open(now);
      const [, b] = await opened(store);
      expect(await rejection(resetSharedBreaker(store, { name: 'search', reason: 'fixed', key: outsider, signers: [ops.did] }))).toBe('ERR_SRE_CONFIG');
      expect(await resetSharedBreaker(store, { name: 'search', reason: 'upstream fixed', key: ops, signers: [ops.did] })).toEqual(['search']);
      expect((await b.admit(call('after-reset'))).refusal).toBeUndefined();
      const log = await store.log.read(BREAKER_RESET_LOG);
      expect(log).toHaveLength(1);
      expect(log[0]?.data).toMatchObject({ signer: ops.did, payload: { name: 'search', reason: 'upstream fixed', by: ops.did } });
      expect(await resetSharedBreaker(store, { name: 'search', reason: 'again', key: ops, signers: [ops.did] })).toEqual([]);
      await store.close();
    });

    it('a library reset (sre.resetBreaker) in one process closes the breaker for the others once flushed', async () => {
      const store = await open(now);
      const [a, b] = await opened(store);
      expect(a.resetBreaker('search')).toBe(1);
      await a.flush();
      expect((await b.admit(call('after-reset'))).refusal).toBeUndefined();
      await store.close();
    });

    it('a malformed breaker entry in the store refuses calls until it is reset (fail closed)', async () => {
      const store = await open(now);
      await store.kv.set(breakerStateKey('search', 'search'), { state: 'closed', epoch: 'x' });
      const [a] = fleet(store, 1);
      expect((await (a as SreRuntime).admit(call('m'))).refusal?.reason).toContain('malformed');
      await resetSharedBreaker(store, { name: 'search', tool: 'search', reason: 'repair', key: ops, signers: [ops.did] });
      expect((await (a as SreRuntime).admit(call('n'))).refusal).toBeUndefined();
      await store.close();
    });

    it('counts one SLO window across processes: bad calls in one exhaust the budget in another', async () => {
      const store = await open(now);
      const slos = [{ name: 'search', tools: ['search*'], objective: 0.9, window: '1h', minimumCalls: 10 }];
      const a = createSre({ store, slos, now });
      const b = createSre({ store, slos, now });
      for (let i = 0; i < 6; i++) await run(a, `g${i}`, 'ok');
      for (let i = 0; i < 4; i++) await run(b, `b${i}`, 'error');
      await b.sync();
      await a.sync();
      const s = a.status().slos[0];
      expect({ total: s?.total, bad: s?.bad, exhausted: s?.exhausted }).toEqual({ total: 10, bad: 4, exhausted: true });
      expect((await a.admit(call('next'))).refusal?.rule).toBe('slo:search');
      await store.close();
    });

    it('a chaos experiment started once (decided, signed) injects in every process; stop ends it in all', async () => {
      const store = await open(now);
      const [a, b] = fleet(store, 2, { signers: [ops.did] }) as [SreRuntime, SreRuntime];
      const spec = { name: 'slow-search', tools: ['search*'], fault: { latency: '2s' }, duration: '5m' };
      await startSharedExperiment(store, spec, { key: ops, signers: [ops.did], reason: 'game day', authorize: allow });
      for (const sre of [a, b]) {
        await sre.admit(call('c1'));
        expect(sre.fault(call('c1'))).toMatchObject({ kind: 'latency', ms: 2000, experiment: 'slow-search' });
      }
      expect(await stopSharedExperiments(store, { reason: 'done', by: 'ops' })).toEqual(['slow-search']);
      for (const sre of [a, b]) {
        await sre.admit(call('c2'));
        expect(sre.fault(call('c2'))).toBeNull();
        expect(sre.experimentReport('slow-search').ended).toBe('stopped');
      }
      await store.close();
    });

    it('an experiment ends by itself at its expiry, in every process', async () => {
      const store = await open(now);
      const [a] = fleet(store, 1, { signers: [ops.did] }) as [SreRuntime];
      await startSharedExperiment(store, { name: 'brief', tools: ['search'], fault: { error: {} }, duration: '1m' }, { key: ops, signers: [ops.did], reason: 'r', authorize: allow });
      await a.admit(call('c1'));
      expect(a.fault(call('c1'))?.kind).toBe('error');
      t += 60_000;
      await a.admit(call('c2'));
      expect(a.fault(call('c2'))).toBeNull();
      expect(a.experimentReport('brief').ended).toBe('duration');
      await store.close();
    });

    it('a start the policy does not allow is ERR_CHAOS_DENIED and writes nothing', async () => {
      const store = await open(now);
      const deny = async (): Promise<{ allowed: boolean; reason: string }> => ({ allowed: false, reason: 'no chaos in production' });
      const spec = { name: 'x', tools: ['search'], fault: { latency: '1s' }, duration: '1m' };
      expect(await rejection(startSharedExperiment(store, spec, { key: ops, signers: [ops.did], reason: 'r', authorize: deny }))).toBe('ERR_CHAOS_DENIED');
      const throws = async (): Promise<never> => {
        throw new Error('policy unreachable');
      };
      expect(await rejection(startSharedExperiment(store, spec, { key: ops, signers: [ops.did], reason: 'r', authorize: throws }))).toBe('ERR_CHAOS_DENIED');
      expect(await rejection(startSharedExperiment(store, spec, { key: ops, signers: [ops.did], reason: 'r' } as never))).toBe('ERR_CHAOS_DENIED');
      expect(await store.kv.get(CHAOS_KEY)).toBeNull();
      await store.close();
    });

    it('an experiment not signed by a runtime signer injects nothing', async () => {
      const store = await open(now);
      await startSharedExperiment(store, { name: 'rogue', tools: ['search'], fault: { error: {} }, duration: '1m' }, { key: outsider, signers: [outsider.did], reason: 'r', authorize: allow });
      const [a] = fleet(store, 1, { signers: [ops.did] }) as [SreRuntime];
      await a.admit(call('c1'));
      expect(a.fault(call('c1'))).toBeNull();
      await store.close();
    });

    it('a kill of all ends running experiments in every process and on the store; a kill of an agent it does not cover does not', async () => {
      const store = await open(now);
      const [a, b] = fleet(store, 2, { signers: [ops.did] }) as [SreRuntime, SreRuntime];
      const ks = new KillSwitch({ store, signers: [ops.did] });
      await startSharedExperiment(store, { name: 'bots', tools: ['search'], agents: ['bot-*'], fault: { error: {} }, duration: '5m' }, { key: ops, signers: [ops.did], reason: 'r', authorize: allow });
      await ks.kill(parseKillTarget('agent:other'), { reason: 'unrelated', key: ops });
      await a.admit(call('c0', 'search', 'bot-1'));
      expect(a.fault(call('c0', 'search', 'bot-1'))?.kind).toBe('error');
      await ks.kill(parseKillTarget('all'), { reason: 'incident', key: ops });
      await a.admit(call('c1', 'search', 'bot-1'));
      expect(a.fault(call('c1', 'search', 'bot-1'))).toBeNull();
      expect(a.experimentReport('bots').ended).toBe('killed');
      await a.flush();
      expect(await store.kv.get(CHAOS_KEY)).toBeNull();
      await b.admit(call('c2', 'search', 'bot-1'));
      expect(b.fault(call('c2', 'search', 'bot-1'))).toBeNull();
      await store.close();
    });

    it('a kill of the agent under experiment ends it', async () => {
      const store = await open(now);
      const [a] = fleet(store, 1, { signers: [ops.did] }) as [SreRuntime];
      const ks = new KillSwitch({ store, signers: [ops.did] });
      await startSharedExperiment(store, { name: 'bots', tools: ['search'], agents: ['bot-*'], fault: { error: {} }, duration: '5m' }, { key: ops, signers: [ops.did], reason: 'r', authorize: allow });
      await ks.kill(parseKillTarget('agent:bot-7'), { reason: 'runaway', key: ops });
      await a.admit(call('c1', 'search', 'bot-1'));
      expect(a.fault(call('c1', 'search', 'bot-1'))).toBeNull();
      expect(a.experimentReport('bots').ended).toBe('killed');
      await store.close();
    });

    it('a closed (unreachable) store rejects admission with ERR_STORE_UNAVAILABLE, so the call is denied', async () => {
      const store = await open(now);
      const [a] = fleet(store, 1);
      await store.close();
      expect(await rejection((a as SreRuntime).admit(call('c1')))).toBe('ERR_STORE_UNAVAILABLE');
    });
  });
}
