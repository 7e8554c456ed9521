/**
 * Sagas through the real pipeline and a real store: steps in order, compensation in reverse on a
 * denial, a failure or a timeout, compensations governed and recorded, and a journal that verifies.
 */
import { describe, expect, it } from 'vitest';
import { Pipeline } from '../../src/enforce/pipeline.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { compensateSaga, listSagaIds, recoverSagas, runSaga, type SagaStep, type SagaTool } from '../../src/runtime/saga.js';
import { readSagaJournal, verifySagaJournal } from '../../src/runtime/saga-journal.js';
import type { LogEntry } from '../../src/store/types.js';

const POLICY = `apiVersion: warden/v1
kind: Policy
name: shop
default: allow
rules:
  - name: no-wire
    tools: [wire_money]
    effect: deny
    reason: wires are not allowed
  - name: no-refund-over-100
    tools: [refund_card]
    when: "args.cents > 10000"
    effect: deny
`;

function setup(policyText = POLICY) {
  const store = createMemoryStore();
  const sink = new MemorySink();
  const pipeline = new Pipeline({ policy: compilePolicy([{ name: 'shop.yaml', text: policyText }]), sink });
  const log: string[] = [];
  const tool =
    (name: string, behaviour: 'ok' | 'throw' | 'hang' = 'ok'): SagaTool =>
    (args, ctx) => {
      log.push(`${name}:${ctx.idempotencyKey}`);
      if (behaviour === 'throw') throw new Error(`${name} broke`);
      if (behaviour === 'hang') return new Promise(() => undefined);
      return args;
    };
  const tools = {
    reserve_stock: tool('reserve_stock'),
    release_stock: tool('release_stock'),
    charge_card: tool('charge_card'),
    refund_card: tool('refund_card'),
    ship: tool('ship'),
    unship: tool('unship'),
    wire_money: tool('wire_money'),
    flaky: tool('flaky', 'throw'),
    slow: tool('slow', 'hang'),
  };
  return { store, sink, pipeline, log, tools };
}

const step = (name: string, tool: string, undo: string, args: Record<string, number> = {}): SagaStep => ({ name, action: { tool, args }, compensate: { tool: undo, args } });
const ORDER = [step('reserve', 'reserve_stock', 'release_stock'), step('charge', 'charge_card', 'refund_card', { cents: 500 }), step('ship', 'ship', 'unship')];

async function verified(store: ReturnType<typeof createMemoryStore>, id: string) {
  const v = verifySagaJournal(id, await readSagaJournal(store, id));
  if ('error' in v) throw new Error(v.error);
  return v;
}

describe('running a saga', () => {
  it('runs every step in order and ends completed', async () => {
    const s = setup();
    const r = await runSaga('o-1', ORDER, { store: s.store, pipeline: s.pipeline, tools: s.tools });
    expect(r).toEqual({ id: 'o-1', status: 'completed', reason: null, pendingCompensations: [] });
    expect(s.log).toEqual(['reserve_stock:o-1:0:action', 'charge_card:o-1:1:action', 'ship:o-1:2:action']);
    expect((await verified(s.store, 'o-1')).status).toBe('completed');
  });

  it('a denied step compensates the steps before it, in reverse; the denied one never ran and is not compensated', async () => {
    const s = setup();
    const r = await runSaga('o-2', [ORDER[0] as SagaStep, ORDER[1] as SagaStep, step('wire', 'wire_money', 'unship')], { store: s.store, pipeline: s.pipeline, tools: s.tools });
    expect(r.status).toBe('compensated');
    expect(r.reason).toContain('wires are not allowed');
    expect(s.log).toEqual(['reserve_stock:o-2:0:action', 'charge_card:o-2:1:action', 'refund_card:o-2:1:compensate', 'release_stock:o-2:0:compensate']);
  });

  it('a step that fails is in doubt and is compensated too', async () => {
    const s = setup();
    const r = await runSaga('o-3', [ORDER[0] as SagaStep, step('flaky', 'flaky', 'unship')], { store: s.store, pipeline: s.pipeline, tools: s.tools });
    expect(r.status).toBe('compensated');
    expect(s.log).toEqual(['reserve_stock:o-3:0:action', 'flaky:o-3:1:action', 'unship:o-3:1:compensate', 'release_stock:o-3:0:compensate']);
  });

  it('a step that times out is compensated', async () => {
    const s = setup();
    const r = await runSaga('o-4', [ORDER[0] as SagaStep, step('slow', 'slow', 'unship')], { store: s.store, pipeline: s.pipeline, tools: s.tools, timeoutMs: 50 });
    expect([r.status, r.reason]).toEqual(['compensated', expect.stringContaining('timed out after 50 ms')]);
    expect(s.log.slice(-2)).toEqual(['unship:o-4:1:compensate', 'release_stock:o-4:0:compensate']);
  });

  it('every call, compensations included, is decided and recorded with its outcome', async () => {
    const s = setup();
    await runSaga('o-5', [ORDER[0] as SagaStep, step('wire', 'wire_money', 'unship')], { store: s.store, pipeline: s.pipeline, tools: s.tools });
    expect(s.sink.events.map((e) => `${e.request.tool}:${e.decision.effect}`)).toEqual(['reserve_stock:allow', 'wire_money:deny', 'release_stock:allow']);
    expect(s.sink.outcomes.map((o) => `${o.tool}:${o.outcome.status}`)).toEqual(['reserve_stock:ok', 'release_stock:ok']);
  });

  it('a compensation the policy denies stops there, pending; a later compensate call finishes it once allowed', async () => {
    const s = setup();
    const big = [step('charge', 'charge_card', 'refund_card', { cents: 50_000 }), step('wire', 'wire_money', 'unship')];
    const r = await runSaga('o-6', big, { store: s.store, pipeline: s.pipeline, tools: s.tools });
    expect([r.status, r.pendingCompensations]).toEqual(['compensating', [0]]);
    const relaxed = new Pipeline({ policy: compilePolicy([{ name: 'p.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: open\ndefault: allow\n' }]) });
    const again = await compensateSaga('o-6', { store: s.store, pipeline: relaxed, tools: s.tools });
    expect(again.status).toBe('compensated');
    expect(s.log.filter((l) => l.startsWith('refund_card'))).toEqual(['refund_card:o-6:0:compensate']);
    expect((await verified(s.store, 'o-6')).compensated).toEqual([0]);
  });

  it('recoverSagas compensates a saga left without an end, and leaves finished ones alone', async () => {
    const s = setup();
    await runSaga('done', ORDER, { store: s.store, pipeline: s.pipeline, tools: s.tools });
    // A saga whose process stopped after step 1 was done: its journal, as that process left it.
    const { appendSagaEntry } = await import('../../src/runtime/saga-journal.js');
    const at = '2026-12-07T00:00:00.000Z';
    await appendSagaEntry(s.store, 'cut', { type: 'begin', steps: ORDER, at });
    await s.store.log.append('saga-index', { id: 'cut', at });
    for (const [type, step] of [['step_started', 0], ['step_done', 0], ['step_started', 1]] as const) await appendSagaEntry(s.store, 'cut', { type, step, at });
    const results = await recoverSagas({ store: s.store, pipeline: s.pipeline, tools: s.tools });
    expect(results.map((r) => [r.id, r.status])).toEqual([['cut', 'compensated']]);
    expect(s.log.slice(-2)).toEqual(['refund_card:cut:1:compensate', 'release_stock:cut:0:compensate']);
    expect(await listSagaIds(s.store)).toEqual(['done', 'cut']);
  });

  const malformed: Array<[string, string, unknown]> = [
    ['an empty saga', 'a', []],
    ['a step without a compensation', 'a', [{ name: 'x', action: { tool: 't', args: {} } }]],
    ['args that are a list', 'a', [{ name: 'x', action: { tool: 't', args: [] }, compensate: { tool: 't', args: {} } }]],
    ['a step without a name', 'a', [{ action: { tool: 't', args: {} }, compensate: { tool: 't', args: {} } }]],
    ['an id with a separator', 'a/b', ORDER],
    ['an empty id', '', ORDER],
  ];
  it.each(malformed)('refuses %s (ERR_SAGA)', async (_, id, steps) => {
    const s = setup();
    await expect(runSaga(id, steps as SagaStep[], { store: s.store, pipeline: s.pipeline, tools: s.tools })).rejects.toMatchObject({ code: 'ERR_SAGA' });
  });

  it('refuses to run a second saga under an id already used', async () => {
    const s = setup();
    await runSaga('same', ORDER, { store: s.store, pipeline: s.pipeline, tools: s.tools });
    await expect(runSaga('same', ORDER, { store: s.store, pipeline: s.pipeline, tools: s.tools })).rejects.toMatchObject({ code: 'ERR_SAGA' });
  });
});

describe('journals that do not verify', () => {
  const at = '2026-12-07T00:00:00.000Z';
  const begin = { type: 'begin', steps: ORDER, at };
  const e = (...data: unknown[]): LogEntry[] => data.map((d, i) => ({ seq: i + 1, data: d as LogEntry['data'] }));
  const rows: Array<[string, LogEntry[]]> = [
    ['empty', []],
    ['no begin', e({ type: 'step_started', step: 0, at })],
    ['a gap in seq', [{ seq: 1, data: begin }, { seq: 3, data: { type: 'step_started', step: 0, at } }] as LogEntry[]],
    ['a step out of order', e(begin, { type: 'step_started', step: 1, at })],
    ['a step before the previous is done', e(begin, { type: 'step_started', step: 0, at }, { type: 'step_started', step: 1, at })],
    ['a compensation before compensating', e(begin, { type: 'step_started', step: 0, at }, { type: 'step_done', step: 0, at }, { type: 'compensation_started', step: 0, at })],
    ['compensations in forward order', e(begin, { type: 'step_started', step: 0, at }, { type: 'step_done', step: 0, at }, { type: 'step_started', step: 1, at }, { type: 'step_done', step: 1, at }, { type: 'compensating', reason: 'x', at }, { type: 'compensation_started', step: 0, at })],
    ['a compensation done twice', e(begin, { type: 'step_started', step: 0, at }, { type: 'step_done', step: 0, at }, { type: 'compensating', reason: 'x', at }, { type: 'compensation_started', step: 0, at }, { type: 'compensation_done', step: 0, at }, { type: 'compensation_done', step: 0, at })],
    ['a compensation of a step that never started', e(begin, { type: 'step_started', step: 0, at }, { type: 'step_done', step: 0, at }, { type: 'compensating', reason: 'x', at }, { type: 'compensation_started', step: 2, at })],
    ['an end that claims completion early', e(begin, { type: 'step_started', step: 0, at }, { type: 'step_done', step: 0, at }, { type: 'end', status: 'completed', at })],
    ['an end that claims compensation with work left', e(begin, { type: 'step_started', step: 0, at }, { type: 'step_done', step: 0, at }, { type: 'compensating', reason: 'x', at }, { type: 'end', status: 'compensated', at })],
    ['an entry after the end', e(begin, { type: 'compensating', reason: 'x', at }, { type: 'end', status: 'compensated', at }, { type: 'step_started', step: 0, at })],
    ['an unknown entry', e(begin, { type: 'approve_all', at })],
    ['a failed step that does not say whether it ran', e(begin, { type: 'step_started', step: 0, at }, { type: 'step_failed', step: 0, reason: 'x', at })],
  ];
  it.each(rows)('%s', (_, entries) => {
    expect(verifySagaJournal('s', entries)).toEqual({ error: expect.any(String) });
  });
});
