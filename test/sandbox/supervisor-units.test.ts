/**
 * The supervisor's Node side without a sandbox: the decision channel's parser and answers
 * (adversarial lines fail closed), the command lines an exec is decided as, the supervisor's
 * argument list per profile, and what happens where the supervisor cannot be built.
 */
import { socketpair } from './socketpair.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/enforce/verdict.js';
import { Pipeline } from '../../src/enforce/pipeline.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { createSandbox } from '../../src/sandbox/sandbox.js';
import { sandboxProfile } from '../../src/sandbox/profile.js';
import { supervisorArgv } from '../../src/sandbox/bwrap-args.js';
import { ensureSupervisor } from '../../src/sandbox/supervisor-build.js';
import { execCommands, execProgram, superviseChannel } from '../../src/sandbox/supervisor-channel.js';
import { freshDir, NO_BWRAP, testPolicy } from './helpers.js';

const verdict = (allowed: boolean, call: string): Verdict => ({ allowed, effect: allowed ? 'allow' : 'deny', reason: allowed ? 'ok' : 'no', call }) as unknown as Verdict;

/** Serves `lines` on a real socket pair; returns what the supervisor's end read back and the record. */
async function serve(lines: (string | Buffer)[], decide: (cmd: string) => Promise<Verdict> = async (c) => verdict(!c.includes('curl'), `c-${c.length}`)) {
  const [ours, theirs] = await socketpair();
  const served = superviseChannel(ours, { decide, decideMissing: (c) => ({ allowed: !c.includes('curl'), reason: 'pure' }), timeoutMs: 500, maxExecs: 4 });
  let answers = '';
  const wanted = lines.filter((l) => typeof l === 'string' && /"type":"exec"/.test(l) && !/"initial"|"error"/.test(l)).length;
  // Each request waits for its answer, as the supervisor does; the channel ends once all are answered or Warden closed it.
  const answered = new Promise<void>((resolve) => {
    const check = (): void => {
      if (answers.split('\n').filter(Boolean).length >= wanted) resolve();
    };
    theirs.on('data', (b: Buffer) => {
      answers += b.toString('utf8');
      check();
    });
    theirs.once('close', () => resolve());
    theirs.once('end', () => resolve());
    check();
  });
  theirs.on('error', () => undefined);
  for (const l of lines) theirs.write(l);
  await answered;
  theirs.end();
  const run = await served;
  theirs.destroy();
  return { run, answers: answers.split('\n').filter(Boolean) };
}

const exec = (id: number, extra: Record<string, unknown> = {}): string => `${JSON.stringify({ type: 'exec', id, pid: 9, syscall: 'execve', path: '/usr/bin/ls', cwd: '/w', argv: ['ls', '-l'], ...extra })}\n`;
const READY = `${JSON.stringify({ type: 'ready', landlock: { abi: 7, fs: true, net: false, scoped: true, error: '' } })}\n`;

describe('the decision channel', () => {
  it('answers each exec with its decision and records it', async () => {
    const { run, answers } = await serve([READY, exec(1, { initial: true }), exec(2), exec(3, { path: '/usr/bin/curl', argv: ['curl', 'x'] })]);
    expect(answers).toEqual(['2 allow', '3 deny']);
    expect(run.ready?.landlock).toEqual({ abi: 7, fs: true, net: false, scoped: true, error: null });
    expect(run.execs.map((e) => [e.command, e.effect, e.initial])).toEqual([
      ['/usr/bin/ls -l', 'allow', true],
      ['/usr/bin/ls -l', 'allow', false],
      ['/usr/bin/curl x', 'deny', false],
    ]);
    expect(run.failure).toBeNull();
  });

  // Lines that must close the channel (after which the supervisor denies every exec): nothing further is answered.
  const MALFORMED: [string, string | Buffer][] = [
    ['not JSON', 'allow\n'],
    ['JSON of another type', '{"type":"allow","id":2}\n'],
    ['an id that is not an integer', exec(2.5)],
    ['an argv that is not strings', exec(2, { argv: ['ls', 1] })],
    ['a missing path', `${JSON.stringify({ type: 'exec', id: 2, pid: 9, cwd: '/w', argv: ['ls'] })}\n`],
    ['initial set to something else than true', exec(2, { initial: 'yes' })],
    ['a syscall that is not an exec', exec(2, { syscall: 'open' })],
    ['a missing errno that is not an integer', exec(2, { missing: 'ENOENT' })],
    ['bytes that are not UTF-8', Buffer.concat([Buffer.from('{"type":"exec","id":2,"pid":9,"path":"/usr/bin/'), Buffer.from([0xc3, 0x28]), Buffer.from('","cwd":"/w","argv":[]}\n')])],
    ['a ready line without Landlock', '{"type":"ready"}\n'],
    ['a prototype key as the type', '{"__proto__":{"type":"exec"},"id":2,"pid":9,"path":"/x","cwd":"/","argv":[]}\n'],
  ];
  for (const [name, line] of MALFORMED) {
    it(`closes the channel on ${name}, and answers nothing after it`, async () => {
      const { run, answers } = await serve([line, exec(3)]);
      expect(answers).toEqual([]);
      expect(run.failure).toMatch(/malformed|UTF-8/);
      expect(run.execs).toEqual([]);
    });
  }

  it('closes the channel on a line longer than its bound', async () => {
    const { run, answers } = await serve([`{"type":"exec","id":2,"path":"${'a'.repeat(4 * 1024 * 1024 + 10)}`]);
    expect(answers).toEqual([]);
    expect(run.failure).toBe('a line from the supervisor is too long');
  });

  it('denies when the decision throws, and when it takes longer than the timeout', async () => {
    const throwing = await serve([exec(2)], async () => {
      throw new Error('store down');
    });
    expect(throwing.answers).toEqual(['2 deny']);
    expect(throwing.run.execs[0]).toMatchObject({ effect: 'deny', reason: 'the decision failed: store down', call: null });
    const slow = await serve([exec(2)], () => new Promise(() => undefined));
    expect(slow.answers).toEqual(['2 deny']);
    expect(slow.run.execs[0]?.reason).toBe('the decision took longer than 500 ms');
  });

  it('records an exec the supervisor could not read as denied, without asking', async () => {
    const { run, answers } = await serve([`${JSON.stringify({ type: 'exec', id: 2, pid: 9, syscall: 'execve', error: 'unreadable' })}\n`]);
    expect(answers).toEqual([]);
    expect(run.execs[0]).toMatchObject({ effect: 'deny', reason: 'the supervisor could not read the exec (unreadable)', command: null });
  });

  it('decides an absent program by the policy alone and records it only when denied', async () => {
    const { run, answers } = await serve([exec(2, { missing: 2 }), exec(3, { path: '/usr/local/bin/curl', argv: ['curl'], missing: 2 })]);
    expect(answers).toEqual(['2 allow', '3 deny']);
    expect(run.execs).toHaveLength(1);
    expect(run.execs[0]).toMatchObject({ path: '/usr/local/bin/curl', effect: 'deny', missing: true, call: null });
  });

  it('denies every exec past maxExecs and counts them', async () => {
    const { run, answers } = await serve([1, 2, 3, 4, 5, 6].map((i) => exec(i)));
    expect(answers).toEqual(['1 allow', '2 allow', '3 allow', '4 allow', '5 deny', '6 deny']);
    expect(run.execs).toHaveLength(4);
    expect(run.overLimit).toBe(2);
  });
});

describe('what an exec is decided as', () => {
  // [path, cwd, dir, argv, expected command lines]
  const ROWS: [string, string, string | null, string[], string[]][] = [
    ['/usr/bin/ls', '/w', null, ['ls', '-l'], ['/usr/bin/ls -l']],
    ['./build.sh', '/w', null, ['./build.sh'], ['/w/build.sh']],
    ['../x', '/w/a', null, ['x'], ['/w/x']],
    ['run', '/w', '/opt/bin', ['run'], ['/opt/bin/run']],
    ['', '/w', '/memfd:payload (deleted)', ['payload'], ["'/memfd:payload (deleted)'", "payload"]],
    ['/usr//bin/./curl', '/w', null, ['curl', 'http://x'], ['/usr/bin/curl http://x']],
    ['/bin/busybox', '/w', null, ['wget', '-q', 'http://x'], ['/bin/busybox -q http://x', 'wget -q http://x']],
    ['/usr/bin/true', '/w', null, ['curl'], ['/usr/bin/true', 'curl']],
    ['/usr/bin/sh', '/w', null, ['sh', '-c', 'curl x; echo $(id)'], ["/usr/bin/sh -c 'curl x; echo $(id)'"]],
    ['/usr/bin/printf', '/w', null, ['printf', "it's"], ["/usr/bin/printf 'it'\\''s'"]],
    ['/usr/bin/env', '/w', null, [], ['/usr/bin/env']],
    ['/usr/bin/echo', '/w', null, ['echo', 'a\nb'], ["/usr/bin/echo 'a\nb'"]],
  ];
  for (const [path, cwd, dir, argv, want] of ROWS) {
    it(`decides ${JSON.stringify(path)} ${JSON.stringify(argv)} as ${JSON.stringify(want)}`, () => {
      expect(execCommands(execProgram({ path, cwd, dir }), argv)).toEqual(want);
    });
  }
});

describe("the supervisor's arguments per profile", () => {
  it('grants writes below the writable paths and /tmp, and TCP by ring and network', () => {
    const ws = freshDir('warden-argv-');
    try {
      const at = (ring: 1 | 2 | 3, network: 'none' | 'egress' | 'host' = 'none') => supervisorArgv(sandboxProfile({ ring, workspace: ws, network }), { channelFd: 7, timeoutMs: 15_000, landlock: 'prefer' });
      expect(at(3)).toEqual(['/run/warden/supervise', '--channel', '7', '--timeout-ms', '15000', '--landlock', 'prefer', '--write', '/tmp', '--dev-write', '/dev', '--net', 'none', '--', '/bin/sh', '-c', 'eval "$WARDEN_COMMAND"']);
      expect(at(2)).toContain(ws);
      expect(at(2).slice(at(2).indexOf('--net'), at(2).indexOf('--net') + 2)).toEqual(['--net', 'any']);
      expect(at(2, 'egress').slice(at(2, 'egress').indexOf('--net') + 1)[0]).toBe('connect:3128');
      expect(at(1, 'host').slice(at(1, 'host').indexOf('--net') + 1)[0]).toBe('any');
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });

  it('refuses a granted path over the supervisor mount', () => {
    expect(() => sandboxProfile({ workspace: '/run/warden' })).toThrow(/overlaps the system directory \/run\/warden/);
  });
});

describe('where the supervisor cannot be built', () => {
  it('says how to build it when it is absent and building is off', () => {
    const cache = mkdtempSync(join(tmpdir(), 'warden-cache-'));
    try {
      expect(() => ensureSupervisor({ build: false, env: { XDG_CACHE_HOME: cache } })).toThrow(expect.objectContaining({ code: 'ERR_SANDBOX_UNAVAILABLE', message: expect.stringContaining('warden exec --build-supervisor') }));
      expect(() => ensureSupervisor({ cc: join(cache, 'no-such-cc'), env: { XDG_CACHE_HOME: cache } })).toThrow(expect.objectContaining({ code: 'ERR_SANDBOX_UNAVAILABLE', message: expect.stringContaining('apt-get install gcc libc6-dev') }));
      // A compiler that fails: nothing is left in the cache under the binary's name.
      const bad = join(cache, 'bad-cc');
      writeFileSync(bad, '#!/bin/sh\ncat >/dev/null\necho broken >&2\nexit 1\n', { mode: 0o755 });
      expect(() => ensureSupervisor({ cc: bad, env: { XDG_CACHE_HOME: cache } })).toThrow(/broken/);
      expect(() => ensureSupervisor({ build: false, env: { XDG_CACHE_HOME: cache } })).toThrow(/not built/);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('builds into a private directory keyed by the source hash, and finds it again', () => {
    const cache = mkdtempSync(join(tmpdir(), 'warden-cache-'));
    try {
      const a = ensureSupervisor({ env: { XDG_CACHE_HOME: cache } });
      expect(a.path.startsWith(join(cache, 'warden', 'supervise', a.sourceHash.slice(7, 39)))).toBe(true);
      expect(ensureSupervisor({ build: false, env: { XDG_CACHE_HOME: cache } })).toEqual(a);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it.skipIf(NO_BWRAP)('refuses every command when supervision is required, and runs with only the first decided when preferred', async () => {
    const before = process.env.XDG_CACHE_HOME;
    // A cache that cannot be created: no supervisor on this "host".
    process.env.XDG_CACHE_HOME = '/dev/null';
    const ws = freshDir('warden-nosup-');
    try {
      const sink = new MemorySink();
      const required = createSandbox({ pipeline: new Pipeline({ policy: testPolicy(), sink }), workspace: ws });
      const r = await required.exec({ tool: 'bash', args: { command: 'echo ran' } });
      expect(r.verdict.allowed).toBe(true);
      expect(r.ran).toBe(false);
      expect(r.error?.code).toBe('ERR_SANDBOX_UNAVAILABLE');
      expect(r.error?.message).toMatch(/supervisor is unavailable.*warden exec --build-supervisor/s);
      expect(sink.outcomes.find((o) => o.call === r.verdict.call)?.outcome.error?.message).toMatch(/^ERR_SANDBOX_UNAVAILABLE/);
      await required.close();
      const preferred = createSandbox({ pipeline: new Pipeline({ policy: testPolicy(), sink }), workspace: ws, supervise: 'prefer' });
      const p = await preferred.exec({ tool: 'bash', args: { command: 'echo ran' } });
      expect(p.stdout).toBe('ran\n');
      expect(p.execs).toBeNull();
      expect(p.enforcement).toMatchObject({ supervisor: null, landlock: false });
      expect(sink.outcomes.find((o) => o.call === p.verdict.call)?.outcome.result).toMatchObject({ sandbox: { supervisor: null, landlock: false, supervisorReason: expect.stringContaining('unavailable') } });
      await preferred.close();
    } finally {
      if (before === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = before;
      rmSync(ws, { recursive: true, force: true });
    }
  });

  it('rejects unknown supervision options', () => {
    const pipeline = new Pipeline({ policy: testPolicy(), sink: new MemorySink() });
    expect(() => createSandbox({ pipeline, supervise: 'maybe' as never })).toThrow(/supervise must be/);
    expect(() => createSandbox({ pipeline, landlock: 'always' as never })).toThrow(/landlock must be/);
    expect(() => createSandbox({ pipeline, landlock: 'require', supervise: 'off' })).toThrow(/needs the supervisor/);
    expect(() => createSandbox({ pipeline, execTimeoutMs: 0 })).toThrow(/execTimeoutMs/);
    expect(() => createSandbox({ pipeline, maxExecs: -1 })).toThrow(/maxExecs/);
  });
});
