/**
 * `warden approvals list|approve|deny`, run as the real CLI (another process) against the SQLite
 * file a governor in this process parks its require_approval calls in: the parked caller proceeds
 * once the CLI approves, with the `--as` name in its record.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Governor } from '../../src/enforce/governor.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { openApprovalQueue, type ApprovalItem, type ApprovalQueue } from '../../src/server/approval-queue.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { runCli } from '../helpers/cli.js';

const cli = inject('wardenCli');
const dir = mkdtempSync(join(tmpdir(), 'warden-approvals-cli-'));
const db = join(dir, 'state.db');
const run = (...args: string[]) => runCli(cli, [...args, '--store', `sqlite:${db}`], { cwd: dir });
const policy = compilePolicy([{ name: 'policy.yaml', text: readFileSync(new URL('../fixtures/enforce/policy.yaml', import.meta.url), 'utf8') }]);

let store: Store;
let queue: ApprovalQueue;
let governor: Governor;
let sink: MemorySink;
beforeAll(async () => {
  store = openSqliteStore({ path: db });
  queue = await openApprovalQueue({ store, pollMs: 20 });
  sink = new MemorySink();
  governor = new Governor({ policy, agent: { id: 'bot-1' }, sink, approvalHandler: queue.handler({ timeoutMs: 120_000 }), approvalTimeoutMs: 120_000 });
});
afterAll(async () => {
  await queue.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function parkedOne(): Promise<ApprovalItem> {
  for (;;) {
    const items = await queue.list();
    if (items.length > 0) return items[0] as ApprovalItem;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('warden approvals', () => {
  it('lists a parked call with its exact arguments, refuses someone not named, and approves as a named approver', async () => {
    const pending = governor.check({ tool: 'pay', args: { amount: 12, memo: 'line one\nline two \u001b[31mred' } });
    const item = await parkedOne();

    const list = await run('approvals', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`${item.id}  pay  caller bot-1  rule approve-payments`);
    // Control characters in arguments are shown escaped: they cannot forge lines or colours.
    expect(list.stdout).toContain('  args:      {"amount":12,"memo":"line one\\nline two \\u001b[31mred"}\n');
    const json = await run('approvals', 'list', '--json');
    expect(JSON.parse(json.stdout.trim())).toMatchObject({ id: item.id, args: { amount: 12 }, requestDigest: item.requestDigest });

    const mallory = await run('approvals', 'approve', item.id, '--as', 'mallory');
    expect(mallory.code).toBe(2);
    expect(mallory.stderr).toContain('"mallory" may not answer');
    const wrongDigest = await run('approvals', 'approve', item.id, '--as', 'finance', '--digest', `sha256:${'2'.repeat(64)}`);
    expect(wrongDigest.code).toBe(2);
    expect(wrongDigest.stderr).toContain(`is for ${item.requestDigest}`);

    const ok = await run('approvals', 'approve', item.id, '--as', 'finance', '--note', 'ticket 42', '--digest', item.requestDigest);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`approved ${item.id} (pay, ${item.requestDigest}) as finance\n`);
    const v = await pending;
    expect(v.allowed).toBe(true);
    expect(v.approval).toMatchObject({ approved: true, by: 'finance' });

    const again = await run('approvals', 'deny', item.id, '--as', 'finance');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already answered');
  });

  it('denies as someone holding an admin role, and the caller is denied with who and why', async () => {
    const pending = governor.check({ tool: 'pay', args: { amount: 13 } });
    const item = await parkedOne();
    const r = await run('approvals', 'deny', item.id, '--as', 'carol', '--role', 'ops', '--admin', 'ops', '--note', 'no');
    expect(r.code).toBe(0);
    const v = await pending;
    expect(v.allowed).toBe(false);
    expect(v.approval).toMatchObject({ approved: false, by: 'carol', reason: 'denied by carol: no' });
  });

  it('says so when nothing is pending, and refuses an unknown id', async () => {
    const empty = await run('approvals', 'list');
    expect(empty.stdout).toBe(`sqlite:${db}: no pending approvals\n`);
    const unknown = await run('approvals', 'approve', 'no-such-id', '--as', 'finance');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No parked approval has the id "no-such-id"');
  });
});
