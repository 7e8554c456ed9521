/**
 * The SQLite store shared by several processes on one machine: check-and-add, appends and
 * compare-and-set stay atomic across processes, and a broadcast reaches another process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-sqlite-procs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const storeModule = pathToFileURL(join(dirname(inject('wardenCli')), '..', 'store', 'index.js')).href;
const sreModule = pathToFileURL(join(dirname(inject('wardenCli')), '..', 'sre', 'index.js')).href;

function child(script: string, path: string): Promise<string> {
  const code = `import { openSqliteStore } from ${JSON.stringify(storeModule)};\nimport { createSre } from ${JSON.stringify(sreModule)};\nconst store = openSqliteStore({ path: ${JSON.stringify(path)} });\n${script}\nawait store.close();`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('error', reject);
    p.on('close', (status) => (status === 0 ? resolve(out) : reject(new Error(`child exited ${status}: ${err}`))));
  });
}

describe('sqlite store across processes', () => {
  it('lets exactly max adds through from three processes, and numbers their appends without gaps', async () => {
    const path = join(dir, 'atomic.db');
    const script = `
let ok = 0;
for (let i = 0; i < 40; i++) { if ((await store.counters.add('shared', 1, { max: 100 })).ok) ok++; await store.log.append('events', process.pid); }
const won = await store.kv.compareAndSet('leader', null, process.pid);
process.stdout.write(JSON.stringify({ ok, won: won !== null }));`;
    const results = (await Promise.all([child(script, path), child(script, path), child(script, path)])).map((o) => JSON.parse(o) as { ok: number; won: boolean });
    expect(results.reduce((n, r) => n + r.ok, 0)).toBe(100);
    expect(results.filter((r) => r.won)).toHaveLength(1);
    const store = openSqliteStore({ path });
    expect(await store.counters.get('shared')).toBe(100);
    expect((await store.log.read('events')).map((e) => e.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    await store.close();
  });

  it('delivers a broadcast published by another process', async () => {
    const path = join(dir, 'bus.db');
    const store = openSqliteStore({ path });
    let resolve!: (m: string) => void;
    const received = new Promise<string>((r) => (resolve = r));
    await store.bus.subscribe('kill', (m) => resolve(m));
    await child(`await store.bus.publish('kill', 'from ' + 'child');`, path);
    expect(await received).toBe('from child');
    await store.close();
  });

  it('after a breaker opened by one process cools down, exactly one of three processes racing for it gets the probe slot', async () => {
    const path = join(dir, 'breaker.db');
    const t0 = Date.UTC(2026, 11, 7, 10);
    const breakers = [{ name: 'search', tools: ['search'], failureThreshold: 3, coolDown: '30s' }];
    const store = openSqliteStore({ path });
    const { createSre } = await import('../../src/sre/runtime.js');
    const opener = createSre({ store, breakers, now: () => t0 });
    for (let i = 0; i < 3; i++) {
      await opener.admit({ call: `f${i}`, tool: 'search', agent: null, request: { tool: 'search', args: {} } });
      opener.observed({ ts: '', call: `f${i}`, tool: 'search', agent: null, outcome: { status: 'error', durationMs: 1 } });
    }
    await opener.flush();
    const script = `
const sre = createSre({ store, breakers: ${JSON.stringify(breakers)}, now: () => ${t0 + 30_000} });
const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => sre.admit({ call: process.pid + '-' + i, tool: 'search', agent: null, request: { tool: 'search', args: {} } })));
process.stdout.write(String(answers.filter((a) => a.refusal === undefined).length));`;
    const admitted = (await Promise.all([child(script, path), child(script, path), child(script, path)])).map(Number);
    expect(admitted.reduce((a, b) => a + b, 0)).toBe(1);
    await store.close();
  });
});
