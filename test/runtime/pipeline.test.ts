/**
 * The runtime in the pipeline: the kill stage before every decision, the enrich stage's trust,
 * tier and ring for the policy, in-flight aborts, and trust fed by decisions.
 */
import { describe, expect, it } from 'vitest';
import { govern } from '../../src/enforce/govern.js';
import { Governor } from '../../src/enforce/governor.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { Pipeline } from '../../src/enforce/pipeline.js';
import { WardenError } from '../../src/errors.js';
import { parseKillTarget } from '../../src/runtime/index.js';
import { memoryRuntime, ops, RING_POLICY } from './helpers.js';

const deploy = { tool: 'deploy', args: { env: 'prod' } };

describe('kill stage', () => {
  it('denies a killed agent whatever the policy says, and records why', async () => {
    const { runtime } = memoryRuntime();
    const sink = new MemorySink();
    const pipeline = new Pipeline({ policy: RING_POLICY, agent: { id: 'bot' }, runtime, sink });
    expect((await pipeline.decide({ request: { tool: 'read', args: {} } })).verdict.allowed).toBe(true);
    await runtime.kill.kill(parseKillTarget('agent:bot'), { reason: 'runaway loop', key: ops });
    const { verdict } = await pipeline.decide({ request: { tool: 'read', args: {} } });
    expect(verdict).toMatchObject({ allowed: false, effect: 'deny', rule: 'kill-switch', policy: 'warden:runtime' });
    expect(verdict.reason).toContain('runaway loop');
    expect(sink.events.at(-1)?.decision.rule).toBe('kill-switch');
  });

  it('denies every call in a killed session, and only that session', async () => {
    const { runtime } = memoryRuntime();
    const pipeline = new Pipeline({ policy: RING_POLICY, agent: { id: 'bot' }, runtime });
    await runtime.kill.kill(parseKillTarget('session:s-1'), { reason: 'leaked a token', key: ops });
    expect((await pipeline.decide({ request: { tool: 'read', args: {}, context: { session: 's-1' } } })).verdict.rule).toBe('kill-switch');
    expect((await pipeline.decide({ request: { tool: 'read', args: {}, context: { session: 's-2' } } })).verdict.allowed).toBe(true);
  });

  it('denies, naming the store, when the store cannot be read', async () => {
    const { store, runtime } = memoryRuntime();
    const pipeline = new Pipeline({ policy: RING_POLICY, agent: { id: 'bot' }, runtime });
    await store.close();
    const { verdict } = await pipeline.decide({ request: { tool: 'read', args: {} } });
    expect(verdict.allowed).toBe(false);
    expect(verdict.reason).toMatch(/kill stage failed: The memory store was closed/);
  });

  it('denies a call approved while a kill landed during the wait', async () => {
    const policy = (await import('../../src/policy/compile.js')).compilePolicy([
      { name: 'p.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: p\ndefault: deny\nrules:\n  - name: ask\n    tools: [wire]\n    effect: require_approval\n    approvers: [finance]\n    reason: money\n' },
    ]);
    const { runtime } = memoryRuntime();
    const pipeline = new Pipeline({
      policy,
      agent: { id: 'bot' },
      runtime,
      approvalHandler: async () => {
        await runtime.kill.kill(parseKillTarget('agent:bot'), { reason: 'killed mid-approval', key: ops });
        return true;
      },
    });
    const { verdict } = await pipeline.decide({ request: { tool: 'wire', args: {} } });
    expect(verdict).toMatchObject({ allowed: false, rule: 'kill-switch' });
    expect(verdict.reason).toContain('killed mid-approval');
  });
});

describe('enrich stage', () => {
  it('gives an unknown agent trust 0, tier untrusted and ring 3, so a ring-1 tool is denied', async () => {
    const { runtime } = memoryRuntime();
    const sink = new MemorySink();
    const pipeline = new Pipeline({ policy: RING_POLICY, agent: { id: 'newbie' }, runtime, sink });
    expect((await pipeline.decide({ request: deploy })).verdict.allowed).toBe(false);
    expect(sink.events.at(-1)?.agent).toMatchObject({ id: 'newbie', trust: 0, tier: 'untrusted', ring: 3 });
  });

  it('replaces a trust, tier or ring the caller asserted with the runtime\'s', async () => {
    const { runtime } = memoryRuntime();
    const sink = new MemorySink();
    const pipeline = new Pipeline({ policy: RING_POLICY, agent: { id: 'liar', ring: 0, trust: 1000, tier: 'trusted' }, runtime, sink });
    expect((await pipeline.decide({ request: deploy })).verdict.allowed).toBe(false);
    expect((await pipeline.decide({ request: deploy, agent: { id: 'liar', ring: -1, trust: 5000 } })).verdict.allowed).toBe(false);
    expect(sink.events.at(-1)?.agent).toMatchObject({ trust: 0, ring: 3 });
  });

  it('follows trust: a trusted agent deploys, and after violations drops a ring and is denied', async () => {
    const { runtime } = memoryRuntime();
    const pipeline = new Pipeline({ policy: RING_POLICY, agent: { id: 'bot' }, runtime });
    await runtime.trust?.record('bot', { kind: 'baseline', value: 950, by: 'ops', reason: 'reviewed' });
    expect((await pipeline.decide({ request: deploy })).verdict.allowed).toBe(true);
    await runtime.trust?.record('bot', { kind: 'violation', reason: 'tried to read ~/.ssh' });
    const { verdict } = await pipeline.decide({ request: deploy });
    expect(verdict.allowed).toBe(false);
    // 950 − 100 for the violation, − 10 for the denial the pipeline recorded, and a moment's decay.
    expect(await runtime.enrich({ id: 'bot' })).toMatchObject({ tier: 'established', ring: 2 });
    expect((await runtime.enrich({ id: 'bot' }) as { trust: number }).trust).toBeLessThanOrEqual(840);
  });

  it('lets an elevation lift the ring until it is revoked', async () => {
    const { runtime } = memoryRuntime();
    const pipeline = new Pipeline({ policy: RING_POLICY, agent: { id: 'bot' }, runtime });
    expect((await pipeline.decide({ request: deploy })).verdict.allowed).toBe(false);
    await runtime.elevations.elevate('bot', { to: 1, forMs: 60_000, reason: 'release', key: ops });
    // The runtime's elevation cache is invalidated by the store's broadcast.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect((await pipeline.decide({ request: deploy })).verdict.allowed).toBe(true);
    await runtime.elevations.revoke('bot', { reason: 'done', by: 'ops' });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect((await pipeline.decide({ request: deploy })).verdict.allowed).toBe(false);
  });

  it('never scores a delegated agent above its delegator', async () => {
    // A frozen clock: trust decays with time, and a millisecond tick between the two records scored 399.
    const { runtime } = memoryRuntime({}, () => 1_800_000_000_000);
    await runtime.trust?.record('child', { kind: 'baseline', value: 950 });
    await runtime.trust?.record('parent', { kind: 'baseline', value: 400 });
    const delegation = { depth: 1, chain: [{ cid: 'bafy', issuer: 'parent', audience: 'child', subject: 'parent', command: '/deploy' }], capabilities: { subject: 'parent', command: '/deploy', policy: [] } };
    expect(await runtime.enrich({ id: 'child', delegation })).toMatchObject({ trust: 400, tier: 'probation', ring: 3 });
  });

  it('feeds trust: a policy denial is recorded as a denial event', async () => {
    const { runtime } = memoryRuntime();
    const pipeline = new Pipeline({ policy: RING_POLICY, agent: { id: 'bot' }, runtime });
    await runtime.trust?.record('bot', { kind: 'baseline', value: 600 });
    await pipeline.decide({ request: { tool: 'unknown-tool', args: {} } });
    await expect.poll(async () => (await runtime.trust?.entries('bot'))?.map((e) => (e.data as { kind: string }).kind)).toEqual(['baseline', 'denial']);
  });
});

describe('in-flight abort', () => {
  it('rejects a running governed call with ERR_KILLED when its agent is killed, and hands the function the signal', async () => {
    const { runtime } = memoryRuntime({ watchMs: 20 });
    const sink = new MemorySink();
    const governor = new Governor({ policy: RING_POLICY, agent: { id: 'bot' }, runtime, sink });
    let seen: AbortSignal | undefined;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const slow = govern(
      async (_args: Record<string, unknown>, { signal }: { signal: AbortSignal }) => {
        seen = signal;
        started();
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        return 'finished';
      },
      { tool: 'slow', governor, signal: true },
    );
    const call = (slow as unknown as (args: Record<string, unknown>) => Promise<string>)({});
    await running;
    await runtime.kill.kill(parseKillTarget('agent:bot'), { reason: 'stop now', key: ops });
    const error = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe('ERR_KILLED');
    expect((error as WardenError).message).toContain('stop now');
    expect(seen?.aborted).toBe(true);
    await expect.poll(() => sink.outcomes.at(-1)?.outcome.status).toBe('aborted');
  });

  it('does not abort a call whose agent is not the one killed', async () => {
    const { runtime } = memoryRuntime({ watchMs: 20 });
    const pipeline = new Pipeline({ policy: RING_POLICY, agent: { id: 'bot' }, runtime });
    const { signal } = await pipeline.decide({ request: { tool: 'read', args: {} } });
    await runtime.kill.kill(parseKillTarget('agent:other'), { reason: 'x', key: ops });
    // The sweep the first kill triggered has run once the second kill's write is done.
    expect(signal?.aborted).toBe(false);
    await runtime.kill.kill(parseKillTarget('agent:bot'), { reason: 'now bot', key: ops });
    await expect.poll(() => signal?.aborted).toBe(true);
    expect(String((signal?.reason as Error).message)).toContain('now bot');
  });
});

describe('synchronous governed functions under a runtime', () => {
  it('are denied: the kill switch must read the store, and a synchronous call cannot wait', () => {
    const { runtime } = memoryRuntime();
    const governor = new Governor({ policy: RING_POLICY, agent: { id: 'bot' }, runtime });
    const read = govern((_: Record<string, unknown>) => 'data', { tool: 'read', governor });
    expect(() => read({})).toThrow(/kill stage failed: it had to wait/);
  });
});

describe('a missed broadcast', () => {
  it('still aborts an in-flight call: the runtime reads the store while calls are in flight', async () => {
    const { createMemoryStore } = await import('../../src/store/memory.js');
    const { createRuntime } = await import('../../src/runtime/index.js');
    const real = createMemoryStore();
    // A broadcast that accepts subscriptions and publishes but never delivers anything.
    const deaf = { ...real, bus: { publish: async () => undefined, subscribe: async () => async () => undefined } };
    const runtime = createRuntime({ store: deaf, signers: [ops.did], watchMs: 20 });
    const pipeline = new Pipeline({ policy: RING_POLICY, agent: { id: 'bot' }, runtime });
    const { signal } = await pipeline.decide({ request: { tool: 'read', args: {} } });
    expect(signal?.aborted).toBe(false);
    await runtime.kill.kill(parseKillTarget('agent:bot'), { reason: 'while deaf', key: ops });
    await new Promise<void>((resolve) => (signal?.aborted ? resolve() : signal?.addEventListener('abort', () => resolve(), { once: true })));
    expect(String((signal?.reason as Error).message)).toContain('while deaf');
    expect((await pipeline.decide({ request: { tool: 'read', args: {} } })).verdict.rule).toBe('kill-switch');
    await runtime.close();
  });
});

describe('async generators under a runtime', () => {
  it('hand the generator the signal with signal: true, and it aborts on a kill', async () => {
    const { runtime } = memoryRuntime({ watchMs: 20 });
    const governor = new Governor({ policy: RING_POLICY, agent: { id: 'bot' }, runtime });
    const pages = govern(
      async function* (_args: Record<string, unknown>, { signal }: { signal: AbortSignal }) {
        let n = 0;
        while (!signal.aborted) {
          yield n++;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        return n;
      },
      { tool: 'slow', governor, signal: true },
    ) as unknown as (a: Record<string, unknown>) => AsyncGenerator<number, number>;
    const it = pages({});
    expect((await it.next()).value).toBe(0);
    await runtime.kill.kill(parseKillTarget('agent:bot'), { reason: 'stop paging', key: ops });
    let last: IteratorResult<number, number>;
    do last = await it.next();
    while (last.done !== true);
    expect(last.value).toBeGreaterThan(0);
  });
});
