/** `warden limits`, `warden session` and `warden saga`, run as the real CLI against a SQLite store that a pipeline in this process wrote. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { Pipeline } from '../../src/enforce/pipeline.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { runSaga } from '../../src/runtime/saga.js';
import type { Store } from '../../src/store/types.js';

const cli = inject('wardenCli');
const dir = mkdtempSync(join(tmpdir(), 'warden-state-cli-'));
const db = join(dir, 'state.db');
const run = (...args: string[]) => runCli(cli, [...args, '--store', `sqlite:${db}`], { cwd: dir });

const POLICY = `apiVersion: warden/v1
kind: Policy
name: shop
default: allow
tools:
  - name: read_customer
    labels: { reads: [private] }
limits:
  - name: refunds
    tools: [refund]
    key: [agent.id]
    budget: { max: 100, amount: args.cents }
  - name: calls
    rate: { limit: 10, per: 1h }
`;

let store: Store;
beforeAll(async () => {
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  store = await openSqliteStore({ path: db });
  const pipeline = new Pipeline({ policy: compilePolicy([{ name: 'policy.yaml', text: POLICY }]), agent: { id: 'bot' }, state: { store } });
  expect((await pipeline.decide({ request: { tool: 'refund', args: { cents: 30 }, context: { session: 'chat-1' } } })).verdict.allowed).toBe(true);
  expect((await pipeline.decide({ request: { tool: 'read_customer', args: {}, context: { session: 'chat-1' } } })).verdict.allowed).toBe(true);
  const tools = { act: () => 'ok', undo: () => 'ok' };
  await runSaga('order-1', [{ name: 'a', action: { tool: 'act', args: {} }, compensate: { tool: 'undo', args: {} } }], { store, pipeline, tools });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('warden limits', () => {
  it('lists the limits a policy declares', async () => {
    const r = await run('limits', 'show', '--policy', 'policy.yaml');
    expect(r.stdout).toContain('shop/refunds: budget 100 in total, drawing args.cents');
    expect(r.stdout).toContain('shop/calls: 10 calls per 3600000 ms (burst 10)');
  });

  it('shows what remains of one counter, and resets it', async () => {
    const shown = await run('limits', 'show', '--policy', 'policy.yaml', '--limit', 'refunds', '--key', 'bot', '--json');
    expect(JSON.parse(shown.stdout)).toEqual({ policy: 'shop', limit: 'refunds', key: 'l4:shop|s7:refunds|s3:bot', remaining: 70, resetMs: null });
    expect((await run('limits', 'reset', '--policy', 'policy.yaml', '--limit', 'refunds', '--key', 'bot')).code).toBe(0);
    const after = await run('limits', 'show', '--policy', 'policy.yaml', '--limit', 'refunds', '--key', 'bot', '--json');
    expect(JSON.parse(after.stdout).remaining).toBe(100);
  });

  it('refuses a keyed limit without its key values (exit 2)', async () => {
    const r = await run('limits', 'show', '--policy', 'policy.yaml', '--limit', 'refunds');
    expect([r.code, r.stderr]).toEqual([2, expect.stringContaining('give 1 --key value(s)')]);
  });
});

describe('warden session', () => {
  it("shows a session's labels, calls and history", async () => {
    const r = await run('session', 'show', 'chat-1', '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'chat-1', labels: ['private'], calls: { refund: 1, read_customer: 1 }, stored: true });
  });
});

describe('warden saga', () => {
  it('lists sagas and shows a verified journal', async () => {
    expect((await run('saga', 'list')).stdout).toContain('order-1: completed (4 entries)');
    const shown = await run('saga', 'show', 'order-1');
    expect([shown.code, shown.stdout]).toEqual([0, expect.stringContaining('saga order-1: completed')]);
  });

  it('compensates a saga with the tools a module exports, each compensation decided', async () => {
    writeFileSync(join(dir, 'tools.mjs'), `import { appendFileSync } from 'node:fs';\nexport const tools = { undo: (args, ctx) => appendFileSync(${JSON.stringify(join(dir, 'undone.txt'))}, ctx.idempotencyKey + '\\n') };\n`);
    const r = await run('saga', 'compensate', 'order-1', '--policy', 'policy.yaml', '--tools', 'tools.mjs');
    expect([r.code, r.stdout.trim(), r.stderr]).toEqual([0, 'saga order-1: compensated', '']);
    expect(readFileSync(join(dir, 'undone.txt'), 'utf8')).toBe('order-1:0:compensate\n');
  });
});
