/**
 * The approval queue on every store backend it runs on here (memory, SQLite, PostgreSQL): a
 * parked call waits for a person; only an approve by a named approver (or an admin role) of that
 * exact digest lets it through; answering twice, late, for another digest or as someone else is
 * refused with a code; the answerer ends up in the call's audit record.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Governor } from '../../src/enforce/governor.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { openApprovalQueue, type ApprovalQueue } from '../../src/server/approval-queue.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { PG_URL, serviceUp } from '../store/live.js';

const policy = compilePolicy([{ name: 'policy.yaml', text: readFileSync(new URL('../fixtures/enforce/policy.yaml', import.meta.url), 'utf8') }]);
const dir = mkdtempSync(join(tmpdir(), 'warden-approval-queue-'));
const pgUp = await serviceUp('PostgreSQL', PG_URL, 'a PostgreSQL server on 127.0.0.1:5432 with trust auth and a database named test');
const run = randomBytes(4).toString('hex');
const schemas: string[] = [];
let n = 0;

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!pgUp || schemas.length === 0) return;
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

/** A clock the test moves: expiry without waiting for it. */
function testClock(): { now: () => number; advance: (ms: number) => void } {
  let t = Date.parse('2026-12-07T12:00:00Z');
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** Two stores over the same data (two "processes"), and how to open another. */
type Backend = (clock: () => number) => Promise<{ a: Store; b: Store }>;

const BACKENDS: Array<[string, Backend, boolean]> = [
  [
    'memory',
    async (clock) => {
      const s = createMemoryStore({ clock });
      return { a: s, b: s };
    },
    true,
  ],
  [
    'sqlite',
    async (clock) => {
      const path = join(dir, `q-${++n}.db`);
      return { a: openSqliteStore({ path, clock }), b: openSqliteStore({ path, clock }) };
    },
    true,
  ],
  [
    'postgres',
    async (clock) => {
      const schema = `warden_q_${run}_${++n}`;
      schemas.push(schema);
      const a = await openPostgresStore({ url: PG_URL, schema, clock });
      return { a, b: await openPostgresStore({ url: PG_URL, schema, clock }) };
    },
    pgUp,
  ],
];

/** A governor whose approval handler is the queue's; the call blocks until someone answers. */
function governed(queue: ApprovalQueue, timeoutMs = 600_000): { governor: Governor; sink: MemorySink } {
  const sink = new MemorySink();
  const governor = new Governor({ policy, agent: { id: 'bot-1' }, sink, approvalHandler: queue.handler({ timeoutMs }), approvalTimeoutMs: timeoutMs });
  return { governor, sink };
}

/** Resolves once the queue lists a pending item (polling the store; no fixed wait). */
async function parked(queue: ApprovalQueue): Promise<Awaited<ReturnType<ApprovalQueue['list']>>[number]> {
  for (;;) {
    const items = await queue.list();
    if (items.length > 0) return items[0] as Awaited<ReturnType<ApprovalQueue['list']>>[number];
    await new Promise((r) => setImmediate(r));
  }
}

for (const [name, backend, up] of BACKENDS) {
  describe.skipIf(!up)(`the approval queue on ${name}`, () => {
    async function setup(): Promise<{ waiter: ApprovalQueue; answerer: ApprovalQueue; clock: ReturnType<typeof testClock>; close: () => Promise<void> }> {
      const clock = testClock();
      const { a, b } = await backend(clock.now);
      const waiter = await openApprovalQueue({ store: a, pollMs: 20, adminRoles: ['ops'] });
      const answerer = await openApprovalQueue({ store: b, pollMs: 20, adminRoles: ['ops'] });
      return {
        waiter,
        answerer,
        clock,
        close: async () => {
          await waiter.close();
          await answerer.close();
          await a.close();
          if (b !== a) await b.close();
        },
      };
    }

    it('parks a require_approval call with its exact arguments, and lets it run once a named approver approves (recording who)', async () => {
      const { waiter, answerer, close } = await setup();
      try {
        const { governor, sink } = governed(waiter);
        const pending = governor.check({ tool: 'pay', args: { amount: 5, memo: '<script>x</script>' } });
        const item = await parked(answerer);
        expect(item).toMatchObject({ tool: 'pay', args: { amount: 5, memo: '<script>x</script>' }, caller: 'bot-1', rule: 'approve-payments', approvers: ['finance'], status: 'pending' });
        expect(item.requestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
        const answered = await answerer.answer(item.id, 'approve', { by: 'finance', note: 'ok', requestDigest: item.requestDigest });
        expect(answered.status).toBe('approved');
        const v = await pending;
        expect(v.allowed).toBe(true);
        expect(v.approval).toMatchObject({ approved: true, by: 'finance', requestDigest: item.requestDigest });
        expect(sink.events[0]?.outcome?.approval).toMatchObject({ approved: true, by: 'finance' });
        expect(await answerer.list()).toEqual([]);
      } finally {
        await close();
      }
    });

    it('denies the call when the approver denies, with who and why in the record', async () => {
      const { waiter, answerer, close } = await setup();
      try {
        const { governor, sink } = governed(waiter);
        const pending = governor.check({ tool: 'pay', args: { amount: 7 } });
        const item = await parked(answerer);
        await answerer.answer(item.id, 'deny', { by: 'alice', roles: ['finance'], note: 'not this week' });
        const v = await pending;
        expect(v.allowed).toBe(false);
        expect(v.approval).toMatchObject({ approved: false, by: 'alice', reason: 'denied by alice: not this week' });
        expect(sink.events[0]?.outcome?.approval?.by).toBe('alice');
      } finally {
        await close();
      }
    });

    it('denies when nobody answers in time, and refuses a late answer (ERR_APPROVAL_EXPIRED)', async () => {
      const { waiter, answerer, clock, close } = await setup();
      try {
        const { governor } = governed(waiter, 60_000);
        const pending = governor.check({ tool: 'pay', args: { amount: 9 } });
        const item = await parked(answerer);
        clock.advance(60_001);
        const v = await pending;
        expect(v.allowed).toBe(false);
        expect(v.approval?.reason).toBe(`nobody answered approval ${item.id} within 60000 ms`);
        await expect(answerer.answer(item.id, 'approve', { by: 'finance' })).rejects.toMatchObject({ code: 'ERR_APPROVAL_EXPIRED' });
        expect((await answerer.get(item.id))?.status).toBe('expired');
      } finally {
        await close();
      }
    });

    it('refuses a second answer (ERR_APPROVAL_ANSWERED), and a concurrent pair of answers settles exactly one', async () => {
      const { waiter, answerer, close } = await setup();
      try {
        const { governor } = governed(waiter);
        const pending = governor.check({ tool: 'pay', args: { amount: 11 } });
        const item = await parked(answerer);
        const both = await Promise.allSettled([answerer.answer(item.id, 'deny', { by: 'finance' }), waiter.answer(item.id, 'approve', { by: 'finance' })]);
        expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(both.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'ERR_APPROVAL_ANSWERED' } });
        const settled = await answerer.get(item.id);
        expect((await pending).allowed).toBe(settled?.status === 'approved');
        await expect(answerer.answer(item.id, 'approve', { by: 'finance' })).rejects.toMatchObject({ code: 'ERR_APPROVAL_ANSWERED' });
      } finally {
        await close();
      }
    });

    it('refuses an answer for another digest (ERR_APPROVAL_DIGEST) and keeps the item pending', async () => {
      const { waiter, answerer, close } = await setup();
      try {
        const { governor } = governed(waiter);
        const pending = governor.check({ tool: 'pay', args: { amount: 13 } });
        const item = await parked(answerer);
        await expect(answerer.answer(item.id, 'approve', { by: 'finance', requestDigest: `sha256:${'0'.repeat(64)}` })).rejects.toMatchObject({ code: 'ERR_APPROVAL_DIGEST' });
        expect((await answerer.get(item.id))?.status).toBe('pending');
        await answerer.answer(item.id, 'deny', { by: 'finance' });
        expect((await pending).allowed).toBe(false);
      } finally {
        await close();
      }
    });

    it('refuses an unknown id (ERR_APPROVAL_NOT_FOUND), including ids that try to reach other keys', async () => {
      const { answerer, close } = await setup();
      try {
        for (const id of ['nope', '../low-water', '__proto__', 'a:b', '', 'x'.repeat(65)]) {
          await expect(answerer.answer(id, 'approve', { by: 'finance' })).rejects.toMatchObject({ code: 'ERR_APPROVAL_NOT_FOUND' });
        }
      } finally {
        await close();
      }
    });
  });
}

describe('who may answer (the rule names finance and alice; ops is an admin role)', () => {
  const cases: Array<{ name: string; by: string; roles?: string[]; allowed: boolean }> = [
    // benign
    { name: 'a named approver', by: 'alice', allowed: true },
    { name: 'a named approver group held as a role', by: 'bob', roles: ['finance'], allowed: true },
    { name: 'an admin role', by: 'carol', roles: ['ops'], allowed: true },
    { name: 'a named approver with unrelated roles', by: 'finance', roles: ['dev'], allowed: true },
    // refused
    { name: 'someone not named', by: 'mallory', allowed: false },
    { name: 'a case variant of an approver', by: 'Alice', allowed: false },
    { name: 'an approver name with a trailing space', by: 'alice ', allowed: false },
    { name: 'a Cyrillic confusable of an approver', by: '\u0430lice', allowed: false },
    { name: 'an approver with a zero-width joiner', by: 'ali\u200dce', allowed: false },
    { name: 'a role that is a case variant of the admin role', by: 'eve', roles: ['OPS'], allowed: false },
    { name: 'a role that only contains an approver name', by: 'eve', roles: ['finance-readonly'], allowed: false },
    { name: 'the caller agent itself', by: 'bot-1', allowed: false },
  ];

  it.each(cases)('$name: allowed $allowed', async ({ by, roles, allowed }) => {
    const store = createMemoryStore();
    const queue = await openApprovalQueue({ store, adminRoles: ['ops'], pollMs: 10 });
    try {
      const sink = new MemorySink();
      const twoApprovers = compilePolicy([{ name: 'p.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: two\ndefault: deny\nrules:\n  - name: approve-pay\n    tools: [pay]\n    effect: require_approval\n    approvers: [finance, alice]\n' }]);
      const governor = new Governor({ policy: twoApprovers, agent: { id: 'bot-1' }, sink, approvalHandler: queue.handler({ timeoutMs: 600_000 }), approvalTimeoutMs: 600_000 });
      const pending = governor.check({ tool: 'pay', args: { amount: 1 } });
      const item = await parked(queue);
      const answer = queue.answer(item.id, 'approve', { by, ...(roles === undefined ? {} : { roles }) });
      if (allowed) {
        await answer;
        expect((await pending).approval).toMatchObject({ approved: true, by });
      } else {
        await expect(answer).rejects.toMatchObject({ code: 'ERR_APPROVAL_FORBIDDEN' });
        expect((await queue.get(item.id))?.status).toBe('pending');
        await queue.answer(item.id, 'deny', { by: 'alice' });
        expect((await pending).allowed).toBe(false);
      }
    } finally {
      await queue.close();
      await store.close();
    }
  });

  it('a rule whose approvers list is empty never reaches the queue: the pipeline denies it first', async () => {
    const store = createMemoryStore();
    const queue = await openApprovalQueue({ store, adminRoles: ['ops'] });
    const { governor } = governed(queue);
    const v = await governor.check({ tool: 'launch', args: {} });
    expect(v.allowed).toBe(false);
    expect(await queue.list()).toEqual([]);
    await queue.close();
  });
});

describe('approval ids', () => {
  it('are hex, so a command line never reads one as an option (a base64url id could start with "-")', async () => {
    const store = createMemoryStore();
    const queue = await openApprovalQueue({ store });
    try {
      const ask = (i: number) => ({ request: { tool: 'pay', args: { i } }, decision: { effect: 'require_approval', approvers: ['finance'] }, requestDigest: `sha256:${i.toString(16).padStart(64, '0')}`, approvers: ['finance'], call: `c${i}` });
      for (let i = 0; i < 64; i++) {
        const item = await queue.park(ask(i) as never, { timeoutMs: 60_000 });
        expect(item.id).toMatch(/^[0-9a-f]{24}$/);
      }
    } finally {
      await queue.close();
      await store.close();
    }
  });
});

describe('the approval queue fails closed', () => {
  it('denies the call (the handler failed) when the store cannot take the item', async () => {
    const store = createMemoryStore();
    const queue = await openApprovalQueue({ store });
    await store.close();
    const { governor } = governed(queue);
    const v = await governor.check({ tool: 'pay', args: { amount: 1 } });
    expect(v.allowed).toBe(false);
    expect(v.approval?.reason).toMatch(/^the approval handler failed: /);
  });

  it('denies a waiting call when the queue is closed', async () => {
    const store = createMemoryStore();
    const queue = await openApprovalQueue({ store });
    const { governor } = governed(queue);
    const pending = governor.check({ tool: 'pay', args: { amount: 1 } });
    await parked(queue);
    await queue.close();
    expect((await pending).allowed).toBe(false);
    await store.close();
  });

  it('rejects unknown and invalid options (ERR_OPTIONS)', async () => {
    const store = createMemoryStore();
    await expect(openApprovalQueue({ store, pollMS: 5 } as never)).rejects.toMatchObject({ code: 'ERR_OPTIONS' });
    await expect(openApprovalQueue({ store, retentionMs: -1 })).rejects.toMatchObject({ code: 'ERR_OPTIONS' });
    await expect(openApprovalQueue({ store: {} as Store })).rejects.toMatchObject({ code: 'ERR_OPTIONS' });
    const queue = await openApprovalQueue({ store });
    expect(() => queue.handler({ timeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
    await expect(queue.answer('x', 'maybe' as 'approve', { by: 'a' })).rejects.toMatchObject({ code: 'ERR_OPTIONS' });
    await expect(queue.answer('x', 'approve', { by: '' })).rejects.toMatchObject({ code: 'ERR_OPTIONS' });
    await queue.close();
  });
});
