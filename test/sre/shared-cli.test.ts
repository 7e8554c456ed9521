/**
 * `warden breaker reset` and `warden chaos run|stop|status`, run as the real CLI against a SQLite
 * store that an SRE runtime in this process (one member of the fleet) shares.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MonitoredCall } from '../../src/monitor.js';
import { createSre, type SreRuntime } from '../../src/sre/runtime.js';
import { BREAKER_RESET_LOG } from '../../src/sre/shared-breaker.js';
import { CHAOS_LOG } from '../../src/sre/shared-chaos.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { runCli } from '../helpers/cli.js';

const cli = inject('wardenCli');
const dir = mkdtempSync(join(tmpdir(), 'warden-sre-shared-cli-'));
const run = (...args: string[]) => runCli(cli, args, { cwd: dir });
let ops: { did: string };
let store: Store;
let sre: SreRuntime;
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = (id: string, agent = 'bot-1'): MonitoredCall => ({ call: id, tool: 'search', agent: { id: agent }, request: { tool: 'search', args: {} } });

beforeAll(async () => {
  ops = JSON.parse((await run('id', 'new', 'ops', '--json')).stdout) as { did: string };
  await run('id', 'new', 'intruder', '--json');
  writeFileSync(join(dir, '.warden', 'runtime.json'), JSON.stringify({ store: 'sqlite:.warden/state.db', signers: [ops.did] }));
  writeFileSync(
    join(dir, 'chaos.yaml'),
    `apiVersion: warden/v1
kind: ChaosExperiment
name: flaky-search
tools: [search]
agents: [bot-*]
fault: { error: { name: ECONNRESET, message: connection reset } }
duration: 10m
---
apiVersion: warden/v1
kind: ChaosExperiment
name: long-outage
tools: [search]
fault: { timeout: 5s }
duration: 2h
`,
  );
  writeFileSync(
    join(dir, 'policy.yaml'),
    `apiVersion: warden/v1
kind: Policy
name: chaos
default: deny
rules:
  - name: short-experiments
    tools: [warden.chaos.start]
    when: "args.durationMs <= 3600000"
    effect: allow
    reason: experiments up to an hour are routine
`,
  );
  store = openSqliteStore({ path: join(dir, '.warden', 'state.db') });
  sre = createSre({ store, signers: [ops.did], breakers: [{ name: 'search', tools: ['search'], failureThreshold: 2 }] });
});

describe('warden chaos', () => {
  it('runs an experiment the policy allows in a process sharing the store, and stop ends it there', async () => {
    const started = await run('chaos', 'run', 'chaos.yaml', '--name', 'flaky-search', '--policy', 'policy.yaml', '--key', 'ops', '--reason', 'game day');
    expect(started.stderr).toBe('');
    expect(started.stdout).toMatch(/^started chaos experiment flaky-search \(ch_[\w-]+\) on sqlite:.* until \d{4}-/);
    await sre.admit(call('c1'));
    expect(sre.fault(call('c1'))).toMatchObject({ kind: 'error', name: 'ECONNRESET' });
    expect((await run('chaos', 'status')).stdout).toContain(`flaky-search (ch_`);
    const again = await run('chaos', 'run', 'chaos.yaml', '--name', 'flaky-search', '--policy', 'policy.yaml', '--key', 'ops', '--reason', 'twice');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already running');
    const stopped = await run('chaos', 'stop', 'flaky-search', '--reason', 'done');
    expect(stopped.stdout).toContain('stopped flaky-search');
    await sre.admit(call('c2'));
    expect(sre.fault(call('c2'))).toBeNull();
    expect((await run('chaos', 'stop', 'flaky-search', '--reason', 'done')).code).toBe(1);
    const log = (await store.log.read(CHAOS_LOG)).map((e) => (e.data as { event: string }).event);
    expect(log).toEqual(['start', 'stop']);
  });

  it('refuses (ERR_CHAOS_DENIED, exit 2) an experiment the policy denies, and one file of several without --name', async () => {
    const denied = await run('chaos', 'run', 'chaos.yaml', '--name', 'long-outage', '--policy', 'policy.yaml', '--key', 'ops', '--reason', 'too long');
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain('was not allowed');
    const which = await run('chaos', 'run', 'chaos.yaml', '--policy', 'policy.yaml', '--key', 'ops', '--reason', 'r');
    expect(which.code).toBe(2);
    expect(which.stderr).toContain('name one with --name');
    expect((await run('chaos', 'status')).stdout).toContain('no chaos experiment is running');
  });

  it('warden kill of the agent under experiment ends it on the store and in the process', async () => {
    expect((await run('chaos', 'run', 'chaos.yaml', '--name', 'flaky-search', '--policy', 'policy.yaml', '--key', 'ops', '--reason', 'again')).code).toBe(0);
    await sre.admit(call('c3'));
    expect(sre.fault(call('c3'))?.kind).toBe('error');
    const killed = await run('kill', 'agent:bot-9', '--reason', 'runaway', '--key', 'ops');
    expect(killed.stdout).toContain('chaos experiments ended: flaky-search');
    await sre.admit(call('c4', 'bot-2'));
    expect(sre.fault(call('c4', 'bot-2'))).toBeNull();
  });
});

describe('warden breaker reset', () => {
  it('closes a breaker a process opened, for every process, signed by a runtime signer and recorded', async () => {
    for (const id of ['f1', 'f2']) {
      await sre.admit(call(id, 'bot-2'));
      sre.observed({ call: id, tool: 'search', agent: { id: 'bot-2' }, outcome: { status: 'error', durationMs: 1 } } as never);
    }
    await sre.flush();
    expect((await sre.admit(call('x', 'bot-2'))).refusal?.rule).toBe('breaker:search');
    const intruder = await run('breaker', 'reset', 'search', '--reason', 'mine now', '--key', 'intruder');
    expect(intruder.code).toBe(2);
    expect(intruder.stderr).toContain('not one of the runtime signers');
    const reset = await run('breaker', 'reset', 'search', '--reason', 'upstream fixed', '--key', 'ops');
    expect(reset.stdout).toContain('breaker search reset (search)');
    expect((await sre.admit(call('y', 'bot-2'))).refusal).toBeUndefined();
    const log = await store.log.read(BREAKER_RESET_LOG);
    expect(log.map((e) => (e.data as { payload: { reason: string } }).payload.reason)).toEqual(['upstream fixed']);
  });
});
