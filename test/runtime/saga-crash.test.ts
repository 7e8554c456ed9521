/**
 * A saga process SIGKILLed at every boundary of its journal (after each entry is written), and once
 * inside a compensating tool after its effect: a new process recovers it from the SQLite journal,
 * every step that started is compensated exactly once, steps that never started are not, and the
 * journal verifies.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildForChild, tempDir } from '../audit/helpers.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { readSagaJournal, verifySagaJournal } from '../../src/runtime/saga-journal.js';

const CHILD = `
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { openSqliteStore } from './src/store/sqlite.js';
import { Pipeline } from './src/enforce/pipeline.js';
import { compilePolicy } from './src/policy/compile.js';
import { runSaga, recoverSagas } from './src/runtime/saga.js';
const [db, ledger, mode, scenario, killAt, killInTool] = process.argv.slice(2);
const store = await openSqliteStore({ path: db });
const pipeline = new Pipeline({ policy: compilePolicy([{ name: 'p.yaml', text: 'apiVersion: warden/v1\\nkind: Policy\\nname: open\\ndefault: allow\\n' }]) });
const tool = (fails) => (args, ctx) => {
  appendFileSync(ledger + '.calls', ctx.idempotencyKey + '\\n');
  // The tool honours the idempotency key: its effect happens once per key.
  const done = existsSync(ledger) ? readFileSync(ledger, 'utf8').split('\\n') : [];
  if (!done.includes(ctx.idempotencyKey)) appendFileSync(ledger, ctx.idempotencyKey + '\\n');
  if (killInTool === ctx.idempotencyKey) process.kill(process.pid, 'SIGKILL');
  if (fails) throw new Error('the carrier is down');
};
const tools = { act: tool(false), undo: tool(false), broken: tool(true) };
const steps = [0, 1, 2].map((i) => ({ name: 's' + i, action: { tool: scenario === 'fails' && i === 2 ? 'broken' : 'act', args: { i } }, compensate: { tool: 'undo', args: { i } } }));
const onJournal = (seq) => { if (seq === Number(killAt)) process.kill(process.pid, 'SIGKILL'); };
const result = mode === 'run' ? [await runSaga('order', steps, { store, pipeline, tools, onJournal })] : await recoverSagas({ store, pipeline, tools });
await store.close();
process.stdout.write(JSON.stringify(result) + '\\n');
`;

let build: { outDir: string; cleanup: () => void };
let dir: string;
let cleanup: () => void;

beforeAll(() => {
  build = buildForChild(['src/store/sqlite.ts', 'src/enforce/pipeline.ts', 'src/policy/compile.ts', 'src/runtime/saga.ts']);
  writeFileSync(join(build.outDir, 'child.mjs'), CHILD);
  ({ dir, cleanup } = tempDir('warden-saga-crash-'));
});
afterAll(() => {
  build.cleanup();
  cleanup();
});

function child(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [join(build.outDir, 'child.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    c.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []);

/** Kills a run at `killAt` (or inside the tool call `killInTool`), recovers in a new process, and checks what happened. */
async function crashAndRecover(scenario: 'succeeds' | 'fails', killAt: number, killInTool = '-') {
  const name = `${scenario}-${killAt}-${killInTool.replace(/:/g, '_')}`;
  const db = join(dir, `${name}.db`);
  const ledger = join(dir, `${name}.ledger`);
  const first = await child([db, ledger, 'run', scenario, String(killAt), killInTool]);
  const killed = first.signal === 'SIGKILL';
  if (!killed) expect([first.code, first.stderr]).toEqual([0, '']);
  const second = await child([db, ledger, 'recover', scenario, '0', '-']);
  expect([second.code, second.stderr]).toEqual([0, '']);
  const store = await openSqliteStore({ path: db });
  const entries = await readSagaJournal(store, 'order');
  await store.close();
  return { killed, entries, state: entries.length === 0 ? null : verifySagaJournal('order', entries), effects: lines(ledger), calls: lines(`${ledger}.calls`) };
}

function expectCompensatedOnce(r: Awaited<ReturnType<typeof crashAndRecover>>) {
  if (r.state === null) {
    // Killed before the journal began: nothing ran, nothing to undo.
    expect(r.effects).toEqual([]);
    return;
  }
  if ('error' in r.state) throw new Error(r.state.error);
  const acted = r.effects.filter((e) => e.endsWith(':action')).map((e) => Number(e.split(':')[1]));
  const undone = r.effects.filter((e) => e.endsWith(':compensate')).map((e) => Number(e.split(':')[1]));
  if (r.state.status === 'completed') {
    expect(undone).toEqual([]);
    expect(acted).toEqual([0, 1, 2]);
    return;
  }
  expect(r.state.status).toBe('compensated');
  // Every step that started is undone exactly once, in reverse; a step that never started is not.
  expect(undone).toEqual([...r.state.started].reverse());
  expect(new Set(undone).size).toBe(undone.length);
  for (const s of acted) expect(undone).toContain(s);
}

describe('a saga killed at every journal boundary compensates exactly once after restart', () => {
  // A run that succeeds writes 8 entries (begin, 3 x started/done, end); one whose last step fails writes 15.
  const boundaries = (scenario: 'succeeds' | 'fails', n: number) => Array.from({ length: n }, (_, i) => [scenario, i + 1] as const);

  it.each([...boundaries('succeeds', 8), ...boundaries('fails', 15)])('%s, killed after entry %i', { timeout: 120_000 }, async (scenario, k) => {
    const r = await crashAndRecover(scenario, k);
    expect(r.killed).toBe(true);
    expectCompensatedOnce(r);
    // Killed between entries, no call ever ran twice.
    expect(new Set(r.calls).size).toBe(r.calls.length);
  });

  it('killed inside a compensating tool after its effect: run again with the same key, the effect happens once', { timeout: 120_000 }, async () => {
    const r = await crashAndRecover('fails', 0, 'order:1:compensate');
    expect(r.killed).toBe(true);
    expectCompensatedOnce(r);
    expect(r.calls.filter((c) => c === 'order:1:compensate')).toHaveLength(2);
    expect(r.effects.filter((c) => c === 'order:1:compensate')).toHaveLength(1);
  });

  it('a second recovery does nothing more', { timeout: 120_000 }, async () => {
    // 'again' names no tool call: the kill comes from the journal boundary only.
    const r = await crashAndRecover('fails', 9, 'again');
    expectCompensatedOnce(r);
    const again = await child([join(dir, 'fails-9-again.db'), join(dir, 'fails-9-again.ledger'), 'recover', 'fails', '0', '-']);
    expect(again.stdout.trim()).toBe('[]');
    expect(lines(join(dir, 'fails-9-again.ledger'))).toEqual(r.effects);
  });
});
