/**
 * `warden slo status` and `warden breaker status` as a user runs them: the built CLI reads an audit
 * log a real Governor wrote through the file sink, and rebuilds what the live SRE runtime held.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { Governor } from '../../src/enforce/governor.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { parseSreDocuments } from '../../src/sre/documents.js';
import { createSre } from '../../src/sre/runtime.js';
import { runCli, type CliRun } from '../helpers/cli.js';

const main = inject('wardenCli');
let dir: string;
const warden = (args: string[]): Promise<CliRun> => runCli(main, args, { cwd: dir });

const SRE = `apiVersion: warden/v1
kind: SLO
name: search
tools: [search]
objective: 0.9
window: 1h
minimumCalls: 5
disableWhenExhausted: false
---
apiVersion: warden/v1
kind: CircuitBreaker
name: search
tools: [search]
failureThreshold: 3
coolDown: 30s
`;

const START = Date.UTC(2026, 11, 7, 10);
let live: ReturnType<typeof createSre>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-sre-cli-'));
  await writeFile(join(dir, 'sre.yaml'), SRE);
  let t = START;
  const docs = parseSreDocuments(SRE, 'sre.yaml');
  live = createSre({ ...docs, now: () => t });
  const sink = await openFileAuditSink({ path: join(dir, 'audit.jsonl') });
  const policy = compilePolicy([{ name: 'p.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: p\nrules:\n  - name: all\n    tools: ["*"]\n    effect: allow\n' }]);
  const governor = new Governor({ policy, sink, clock: () => new Date(t), monitors: [live] });
  let healthy = true;
  const search = governor.wrap('search', async (_a: object) => {
    if (!healthy) throw new Error('down');
    return 'ok';
  });
  for (let i = 0; i < 6; i++) {
    await search({});
    t += 1000;
  }
  healthy = false;
  for (let i = 0; i < 4; i++) {
    await search({}).catch(() => undefined);
    t += 1000;
  }
  await sink.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('warden slo status', () => {
  it('prints the budget and alerts the live runtime held, and exits 1 when the budget is exhausted', async () => {
    const at = new Date(START + 10_000).toISOString();
    const r = await warden(['slo', 'status', 'audit.jsonl', '--config', 'sre.yaml', '--at', at, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { slos: unknown[]; outcomes: number; malformed: number };
    expect(out.outcomes).toBe(9);
    expect(out.malformed).toBe(0);
    expect(out.slos).toEqual(JSON.parse(JSON.stringify(live.status().slos)));
    expect(out.slos[0]).toMatchObject({ name: 'search', total: 9, bad: 3, exhausted: true });
  });

  it('exits 0 once the bad calls have left the window', async () => {
    const r = await warden(['slo', 'status', 'audit.jsonl', '--config', 'sre.yaml', '--at', new Date(START + 2 * 3_600_000).toISOString()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('search: ok  objective 90% over 1h  0/0 bad  budget remaining 100.0%');
  });

  it('exits 2 naming the member of an invalid SRE file', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'apiVersion: warden/v1\nkind: SLO\nname: x\ntools: [a]\nobjective: 99\n');
    const r = await warden(['slo', 'status', 'audit.jsonl', '--config', 'bad.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.yaml:1:1: SLO "x": objective must be a ratio strictly between 0 and 1 (99% is 0.99); got 99.');
  });
});

describe('warden breaker status', () => {
  it('prints the breaker open with its probe time, as the live runtime held it, and exits 1', async () => {
    const at = new Date(START + 10_000).toISOString();
    const r = await warden(['breaker', 'status', 'audit.jsonl', '--config', 'sre.yaml', '--at', at]);
    expect(r.code).toBe(1);
    expect(live.breakerStates().get('search')).toBe('open');
    expect(r.stdout).toContain('search/search: open');
    expect(r.stdout).toContain('probes at 2026-12-07T10:00:38.000Z');
  });
});
