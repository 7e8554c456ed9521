/**
 * Every exec decided, and Landlock, in the real sandbox on this kernel: a program the policy
 * denies, started where the first command's parser cannot see it (a script, a Makefile, an npm
 * script, a git hook, an interpreter), is refused at its execve and the refusal is in the run's
 * record; benign work still runs with each exec recorded; the supervisor's failures end in
 * refusals; Landlock refuses writes bubblewrap alone would allow, and TCP at ring 3.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/policy/compile.js';
import { Pipeline } from '../../src/enforce/pipeline.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { createSandbox, type Sandbox, type SandboxExecResult } from '../../src/sandbox/sandbox.js';
import { ensureSupervisor } from '../../src/sandbox/supervisor-build.js';
import type { ExecRecord } from '../../src/sandbox/supervisor-channel.js';
import { freshDir, NO_BWRAP } from './helpers.js';
import { createIdentity, createIdentityVerifier } from '../../src/identity/index.js';

const py = (code: string): string => `python3 -c "${code}"`;

/** A denied program started where the command line does not show it: `cmd` prints ESCAPED only if it ran. */
const DENIED: { name: string; cmd: string; program: RegExp }[] = [
  { name: 'a script it wrote', cmd: `printf 'curl -s http://127.0.0.1:9/ && echo ESCAPED\\n' > s.sh; sh s.sh`, program: /\bcurl\b/ },
  { name: 'a script naming the full path', cmd: `printf '/usr/bin/curl -s http://127.0.0.1:9/ && echo ESCAPED\\n' > s.sh; sh s.sh`, program: /\bcurl\b/ },
  { name: 'a Makefile', cmd: `printf 'all:\\n\\tcurl -s http://127.0.0.1:9/\\n' > Makefile; make -s && echo ESCAPED`, program: /\bcurl\b/ },
  { name: 'an npm script', cmd: `printf '{"name":"x","version":"1.0.0","scripts":{"x":"wget -q -O- http://127.0.0.1:9/"}}' > package.json; npm run -s x && echo ESCAPED`, program: /\bwget\b/ },
  {
    name: 'a git hook',
    cmd: `git init -q . && printf '#!/bin/sh\\ncurl -s http://127.0.0.1:9/ && echo ESCAPED\\n' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit && git -c user.name=a -c user.email=a@b commit -q --allow-empty -m m`,
    program: /\bcurl\b/,
  },
  { name: 'python os.execv', cmd: `${py(`import os; os.execv('/usr/bin/wget', ['wget', '-q', 'http://127.0.0.1:9/'])`)} ; echo rc=$?`, program: /\bwget\b/ },
  { name: 'python subprocess through a shell', cmd: py(`import subprocess; subprocess.run(['sh', '-c', 'wget -q -O- http://127.0.0.1:9/ && echo ESCAPED'])`), program: /\bwget\b/ },
  { name: 'node child_process', cmd: `node -e "try { require('child_process').execFileSync('curl', ['-s', 'http://127.0.0.1:9/']); console.log('ESCAPED') } catch (e) { console.log(e.code) }"`, program: /\bcurl\b/ },
  { name: 'xargs in a script', cmd: `printf 'echo http://127.0.0.1:9/ | xargs curl -s && echo ESCAPED\\n' > x.sh; sh x.sh`, program: /\bcurl\b/ },
  { name: 'env in a script', cmd: `printf 'env wget -q http://127.0.0.1:9/ && echo ESCAPED\\n' > e.sh; sh e.sh`, program: /\bwget\b/ },
  { name: 'a name built at run time', cmd: `c=cu; \${c}rl -s http://127.0.0.1:9/ && echo ESCAPED`, program: /\bcurl\b/ },
  { name: 'argv[0] naming a denied program (a multi-call binary picks its applet so)', cmd: `${py(`import os; os.execv('/usr/bin/true', ['curl'])`)} ; echo rc=$?`, program: /\/usr\/bin\/true ; curl$/ },
];

/** Benign work: runs, succeeds, and every program it starts is in the record, allowed. */
const BENIGN: { name: string; cmd: string; expect: string; programs: RegExp[] }[] = [
  {
    name: 'npm test in a sample project',
    cmd: `printf '{"name":"sample","version":"1.0.0","scripts":{"test":"node test.js"}}' > package.json && printf 'console.log("tests passed")\\n' > test.js && npm test --silent`,
    expect: 'tests passed',
    programs: [/\/npm$/, /\/sh$/, /\/node$/],
  },
  { name: 'git commit', cmd: 'git init -q . && echo a > a && git add a && git -c user.name=dev -c user.email=dev@example.com commit -q -m first && git log --format=%s', expect: 'first', programs: [/\/git$/] },
  { name: 'a python script', cmd: `printf 'import subprocess\\nprint(subprocess.run(["echo", "py-ok"], capture_output=True, text=True).stdout.strip())\\n' > s.py && python3 s.py`, expect: 'py-ok', programs: [/python3/, /\/echo$/] },
  { name: 'make', cmd: "printf 'all:\\n\\t@echo built\\n\\t@true\\n' > Makefile && make -s", expect: 'built', programs: [/\/make$/, /\/true$/] },
  { name: 'a pipeline', cmd: "printf 'b\\na\\n' | sort | head -1", expect: 'a', programs: [/\/sort$/, /\/head$/] },
];

/** The policy's denials of the exec table (curl, wget, and the copy named fetch via the `unknown` rule). */
const POLICY = `apiVersion: warden/v1
kind: Policy
name: supervise-test
default: deny
facets:
  - tools: [bash]
    shell: { from: args.command }
rules:
  - name: unparsable
    tools: [bash]
    when: "!shell.parsed"
    effect: deny
    reason: The command could not be parsed
  - name: no-network-tools
    tools: [bash]
    when: "shell.names.exists(n, n in ['curl', 'wget', 'nc', 'fetch'])"
    effect: deny
    reason: Network tools are not available to the agent
  - name: dates-need-approval
    tools: [bash]
    when: "shell.names.exists(n, n == 'date')"
    effect: require_approval
    reason: Dates are approved
  - name: allow-the-rest
    tools: [bash]
    effect: allow
`;

function sandboxWith(options: { programDirs?: string[]; pipeline?: Pipeline; execTimeoutMs?: number; ring?: 1 | 2 | 3; landlock?: 'prefer' | 'off' } = {}): { sandbox: Sandbox; sink: MemorySink; workspace: string } {
  const sink = new MemorySink();
  const workspace = freshDir('warden-sup-');
  const pipeline = options.pipeline ?? new Pipeline({ policy: compilePolicy([{ name: 'supervise.yaml', text: POLICY }]), sink });
  const sandbox = createSandbox({
    pipeline,
    workspace,
    limits: { timeMs: 30_000 },
    ...(options.programDirs !== undefined ? { programDirs: options.programDirs } : {}),
    ...(options.execTimeoutMs !== undefined ? { execTimeoutMs: options.execTimeoutMs } : {}),
    ...(options.ring !== undefined ? { ring: options.ring } : {}),
    ...(options.landlock !== undefined ? { landlock: options.landlock } : {}),
  });
  return { sandbox, sink, workspace };
}

async function inDir(sandbox: Sandbox, workspace: string, name: string, cmd: string): Promise<SandboxExecResult> {
  const ws = join(workspace, name);
  mkdirSync(ws);
  return sandbox.exec({ tool: 'bash', args: { command: `cd ${ws} && { ${cmd}; }` } });
}

/** The run's denied execs whose decided command line runs `program` (the program itself, or a wrapper the shell facet sees it through: `sh -c`, `env`, `xargs`). */
const denials = (r: SandboxExecResult, program: RegExp): ExecRecord[] => (r.execs ?? []).filter((e) => e.effect === 'deny' && e.command !== null && program.test(e.command));

describe.skipIf(NO_BWRAP)('every exec decided (real sandbox, real kernel)', () => {
  // Two sandboxes: all programs present (the supervisor alone holds), and the usual program view (both hold).
  let bare: ReturnType<typeof sandboxWith>;
  let viewed: ReturnType<typeof sandboxWith>;
  beforeAll(() => {
    bare = sandboxWith({ programDirs: [] });
    viewed = sandboxWith();
  });
  afterAll(async () => {
    for (const s of [bare, viewed]) {
      await s?.sandbox.close();
      if (s) rmSync(s.workspace, { recursive: true, force: true });
    }
  });

  it('runs with the supervisor and Landlock in force (what the tables rely on)', async () => {
    const e = await bare.sandbox.enforcement();
    expect(e.supervisor?.sourceHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(e.landlock).toMatchObject({ fs: true });
    expect(e.supervisorReason).toBeNull();
  });

  for (const [i, d] of DENIED.entries()) {
    it(`denies at its exec, all programs present: ${d.name}`, async () => {
      const r = await inDir(bare.sandbox, bare.workspace, `d${i}`, d.cmd);
      expect(r.verdict.allowed, 'the first command is allowed; the exec inside must be refused').toBe(true);
      expect(r.ran).toBe(true);
      expect(r.stdout).not.toContain('ESCAPED');
      const denied = denials(r, d.program);
      expect(denied.length, JSON.stringify(r.execs)).toBeGreaterThan(0);
      // Each denial of a present program is a decision of its own in the audit log; all are in the run's outcome record.
      for (const e of denied.filter((x) => x.missing === undefined)) expect(bare.sink.events.find((ev) => ev.call === e.call)?.decision.effect).toBe('deny');
      const outcome = bare.sink.outcomes.find((o) => o.call === r.verdict.call);
      const recorded = (outcome?.outcome.result as { execs: ExecRecord[] }).execs;
      expect(recorded.filter((e) => e.effect === 'deny' && e.command !== null && d.program.test(e.command)).length).toBe(denied.length);
    });
  }

  for (const [i, d] of DENIED.slice(0, 5).entries()) {
    it(`denies and records it with the program view too (the program is absent): ${d.name}`, async () => {
      const r = await inDir(viewed.sandbox, viewed.workspace, `v${i}`, d.cmd);
      expect(r.ran).toBe(true);
      expect(r.stdout).not.toContain('ESCAPED');
      // A program named by its path is exec'd, absent or not (a shell or make that finds no such name in PATH never calls execve).
      if (/full path/.test(d.name)) expect(denials(r, d.program)[0], JSON.stringify(r.execs)).toMatchObject({ effect: 'deny', missing: true });
    });
  }

  for (const [i, b] of BENIGN.entries()) {
    it(`still works, every exec recorded: ${b.name}`, async () => {
      const r = await inDir(bare.sandbox, bare.workspace, `b${i}`, b.cmd);
      expect(r.stderr).toBe(r.exitCode === 0 ? r.stderr : '(no error expected)');
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain(b.expect);
      const execs = r.execs ?? [];
      expect(execs[0]).toMatchObject({ initial: true, effect: 'allow' });
      expect(execs.filter((e) => !e.initial).every((e) => e.effect === 'allow' && e.call !== null)).toBe(true);
      for (const p of b.programs) expect(execs.some((e) => e.path !== null && p.test(e.path)), `${String(p)} in ${JSON.stringify(execs.map((e) => e.path))}`).toBe(true);
      // Each allowed exec is a recorded decision of its own.
      for (const e of execs.filter((x) => !x.initial)) expect(bare.sink.events.some((ev) => ev.call === e.call && ev.decision.effect === 'allow')).toBe(true);
    });
  }

  it('denies an exec whose decision does not come in time', async () => {
    const sink = new MemorySink();
    // The approver never answers: the pipeline waits for it past the exec's decision timeout.
    // The audit sink takes the first command's record, then stalls: each later decision waits for its record past the exec's timeout.
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((r) => (release = r));
    let writes = 0;
    const slow = { write: async (e: Parameters<MemorySink['write']>[0]) => (++writes > 1 ? stalled.then(() => sink.write(e)) : sink.write(e)), writeOutcome: (e: Parameters<MemorySink['writeOutcome']>[0]) => sink.writeOutcome(e) };
    const pipeline = new Pipeline({ policy: compilePolicy([{ name: 'supervise.yaml', text: POLICY }]), sink: slow });
    const s = sandboxWith({ programDirs: [], pipeline, execTimeoutMs: 200 });
    try {
      const r = await inDir(s.sandbox, s.workspace, 't', `printf '/usr/bin/true && echo ESCAPED\\n' > s.sh; sh s.sh; echo rc=$?`);
      expect(r.stdout).not.toContain('ESCAPED');
      expect(r.stdout).toContain('rc=');
      expect((r.execs ?? []).filter((e) => e.effect === 'deny').map((e) => e.reason), JSON.stringify(r.execs)).toContain('the decision took longer than 200 ms');
    } finally {
      release();
      await s.sandbox.close();
      rmSync(s.workspace, { recursive: true, force: true });
    }
  });

  it('decides each exec as the run\u2019s verified agent under a verifier that requires one, without its credential again', async () => {
    const sink = new MemorySink();
    const me = createIdentity();
    const pipeline = new Pipeline({ policy: compilePolicy([{ name: 'supervise.yaml', text: POLICY }]), sink, identity: createIdentityVerifier({ required: true, local: { allow: [me.did] } }) });
    const s = sandboxWith({ programDirs: [], pipeline });
    try {
      const ws = join(s.workspace, 'v');
      mkdirSync(ws);
      const r = await s.sandbox.exec({ tool: 'bash', args: { command: `cd ${ws} && printf '/usr/bin/true && echo inner-ran\\n' > s.sh && sh s.sh` } }, { credential: { type: 'local', key: me } });
      expect(r.verdict.allowed).toBe(true);
      expect(r.stdout).toContain('inner-ran');
      const inner = sink.events.filter((e) => e.request.context?.command === r.verdict.call);
      expect(inner.length, JSON.stringify(r.execs)).toBeGreaterThan(0);
      expect(inner.every((e) => e.decision.effect === 'allow' && e.agent?.id === me.did && e.agent?.verified?.method === 'local'), JSON.stringify(inner.map((e) => [e.agent, e.decision.reason]))).toBe(true);
    } finally {
      await s.sandbox.close();
      rmSync(s.workspace, { recursive: true, force: true });
    }
  });

  it('denies every exec past the per-run bound, and counts them', async () => {
    const sink = new MemorySink();
    const sandbox = createSandbox({ pipeline: new Pipeline({ policy: compilePolicy([{ name: 'supervise.yaml', text: POLICY }]), sink }), workspace: freshDir('warden-sup-'), maxExecs: 3 });
    try {
      const r = await sandbox.exec({ tool: 'bash', args: { command: 'for i in 1 2 3 4 5; do /usr/bin/true && echo ran; done' } });
      expect(r.stdout.trim().split('\n').filter((l) => l === 'ran').length).toBeLessThan(5);
      expect(r.execs?.length).toBe(3);
      expect((sink.outcomes.find((o) => o.call === r.verdict.call)?.outcome.result as { execsOverLimit: number }).execsOverLimit).toBeGreaterThan(0);
    } finally {
      await sandbox.close();
    }
  });
});

describe.skipIf(NO_BWRAP)('Landlock (real sandbox, real kernel)', () => {
  let on: ReturnType<typeof sandboxWith>;
  let off: ReturnType<typeof sandboxWith>;
  beforeAll(() => {
    on = sandboxWith({ programDirs: [] });
    off = sandboxWith({ programDirs: [], landlock: 'off' });
  });
  afterAll(async () => {
    for (const s of [on, off]) {
      await s?.sandbox.close();
      if (s) rmSync(s.workspace, { recursive: true, force: true });
    }
  });

  // Paths bubblewrap leaves writable although no profile grants them: its root tmpfs and /dev's.
  const WRITES = [
    { name: "bubblewrap's root", cmd: 'touch /planted && echo WROTE' },
    { name: '/dev/shm', cmd: 'touch /dev/shm/planted && echo WROTE' },
    { name: 'a new directory in /dev', cmd: 'mkdir /dev/planted && echo WROTE' },
  ];
  for (const w of WRITES) {
    it(`refuses a write bubblewrap alone allows: ${w.name}`, async () => {
      const without = await off.sandbox.exec({ tool: 'bash', args: { command: w.cmd } });
      expect(without.stdout, 'bubblewrap alone lets this write through (the case is real)').toContain('WROTE');
      expect(without.enforcement.landlock).toBe(false);
      const r = await on.sandbox.exec({ tool: 'bash', args: { command: w.cmd } });
      expect(r.ran).toBe(true);
      expect(r.stdout).not.toContain('WROTE');
      expect(r.stderr).toContain('Permission denied');
      const outcome = on.sink.outcomes.find((o) => o.call === r.verdict.call);
      expect(outcome?.outcome.result).toMatchObject({ sandbox: { landlock: { fs: true } } });
    });
  }

  it('still writes the workspace, the private /tmp and /dev/null', async () => {
    const r = await on.sandbox.exec({ tool: 'bash', args: { command: 'echo a > ws.txt && echo b > /tmp/t && echo c > /dev/null && rm ws.txt && mkdir d && ln -s d l && cat /tmp/t' } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('b\n');
  });

  it('refuses TCP bind and connect at ring 3 where the ABI has network rules', async () => {
    const ring3 = sandboxWith({ programDirs: [], ring: 3 });
    try {
      const e = await ring3.sandbox.enforcement();
      const abi = e.landlock === false ? 0 : e.landlock.abi;
      const code = py(`import socket, errno\\ns = socket.socket()\\ntry:\\n  s.connect(('127.0.0.1', 9)); print('connected')\\nexcept OSError as x: print(errno.errorcode[x.errno])\\ntry:\\n  socket.socket().bind(('127.0.0.1', 0)); print('bound')\\nexcept OSError as x: print(errno.errorcode[x.errno])`);
      const r = await ring3.sandbox.exec({ tool: 'bash', args: { command: code.replace(/\\n/g, '\n') } });
      if (abi >= 4) {
        expect(e.landlock).toMatchObject({ net: true });
        expect(r.stdout).toBe('EACCES\nEACCES\n');
      } else {
        expect(r.stdout).toBe('ECONNREFUSED\nbound\n');
      }
      // At ring 2 the sandbox's own loopback works (no Landlock network rule there).
      const r2 = await on.sandbox.exec({ tool: 'bash', args: { command: code.replace(/\\n/g, '\n') } });
      expect(r2.stdout).toBe('ECONNREFUSED\nbound\n');
    } finally {
      await ring3.sandbox.close();
      rmSync(ring3.workspace, { recursive: true, force: true });
    }
  });

  it('keeps the sandboxed processes from signalling the supervisor (scoped signals, ABI 6)', async () => {
    const e = await on.sandbox.enforcement();
    const r = await on.sandbox.exec({ tool: 'bash', args: { command: 'kill -9 $PPID 2>/dev/null && echo KILLED; /usr/bin/true && echo still-supervised' } });
    if (e.landlock !== false && e.landlock.scoped) {
      expect(r.stdout).toBe('still-supervised\n');
      expect(r.execs?.some((x) => x.path === '/usr/bin/true' && x.effect === 'allow')).toBe(true);
    } else expect(r.stdout).not.toContain('still-supervised\nKILLED');
  });
});

/** Runs the supervisor binary directly (outside bubblewrap), with `answer` serving its channel. */
function superviseDirect(command: string, answer: (line: Record<string, unknown>, reply: (s: string) => void, kill: () => void) => void, extra: string[] = []): Promise<{ stdout: string; stderr: string; code: number | null; lines: Record<string, unknown>[] }> {
  const bin = ensureSupervisor();
  const child = spawn(bin.path, ['--channel', '3', '--timeout-ms', '2000', ...extra, '--', '/bin/sh', '-c', command], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const channel = child.stdio[3] as unknown as import('node:stream').Duplex;
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  channel.on('error', () => undefined);
  channel.on('data', (b: Buffer) => {
    buf += b.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) !== -1) {
      const line = JSON.parse(buf.slice(0, i)) as Record<string, unknown>;
      buf = buf.slice(i + 1);
      lines.push(line);
      answer(line, (s) => channel.write(s), () => child.kill('SIGKILL'));
    }
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  return new Promise((resolve) => {
    let closes = 0;
    const done = (): void => {
      if (++closes === 2) resolve({ stdout, stderr, code: child.exitCode, lines });
    };
    child.once('close', done);
    // The sandboxed shell may outlive a killed supervisor: its output ends when it does.
    child.stdout?.once('close', done);
  });
}

const isExec = (l: Record<string, unknown>): boolean => l.type === 'exec' && l.initial !== true && l.missing === undefined;
const PY = '/usr/bin/python3';

describe.skipIf(process.platform !== 'linux')('the supervisor fails closed (the binary, real kernel)', () => {
  const FAILURES: { name: string; answer: (line: Record<string, unknown>, reply: (s: string) => void, kill: () => void) => void; expect: RegExp }[] = [
    { name: 'a deny', answer: (l, reply) => isExec(l) && reply(`${String(l.id)} deny\n`), expect: /Operation not permitted/ },
    { name: 'an answer to another request', answer: (l, reply) => isExec(l) && reply(`${Number(l.id) + 1} allow\n`), expect: /Operation not permitted/ },
    { name: 'a malformed answer', answer: (l, reply) => isExec(l) && reply(`${String(l.id)} allow please\n`), expect: /Operation not permitted/ },
    { name: 'an answer in other case', answer: (l, reply) => isExec(l) && reply(`${String(l.id)} ALLOW\n`), expect: /Operation not permitted/ },
    { name: 'an over-long line', answer: (l, reply) => isExec(l) && reply(`${'9'.repeat(400)}\n${String(l.id)} allow\n`), expect: /Operation not permitted/ },
    { name: 'no answer (the decision timeout)', answer: () => undefined, expect: /Operation not permitted/ },
    { name: 'the channel closed', answer: (l, reply) => isExec(l) && reply(''), expect: /Operation not permitted/ },
    { name: 'the supervisor killed while the exec waits (the kernel answers ENOSYS)', answer: (l, _r, kill) => isExec(l) && kill(), expect: /\/usr\/bin\/true: Function not implemented\n(.|\n)*rc=126|rc=126\n(.|\n)*\/usr\/bin\/true: Function not implemented/ },
  ];
  for (const f of FAILURES) {
    it(`refuses the exec on ${f.name}`, async () => {
      const r = await superviseDirect('/usr/bin/true && echo RAN; echo rc=$?', f.answer, ['--landlock', 'off']);
      expect(r.stdout).not.toContain('RAN');
      expect(r.stdout + r.stderr).toMatch(f.expect);
      expect(r.lines[0]).toMatchObject({ type: 'ready' });
      expect(r.lines.some((l) => isExec(l) && l.path === '/usr/bin/true')).toBe(true);
    });
  }

  it('runs the exec on an allow (the control row)', async () => {
    const r = await superviseDirect('/usr/bin/true && echo RAN', (l, reply) => isExec(l) && reply(`${String(l.id)} allow\n`), ['--landlock', 'off']);
    expect(r.stdout).toBe('RAN\n');
    expect(r.code).toBe(0);
    expect(r.lines.find(isExec)).toMatchObject({ syscall: 'execve', path: '/usr/bin/true', argv: ['/usr/bin/true'] });
  });

  it('fails every later exec with ENOSYS once the supervisor is gone', async () => {
    const r = await superviseDirect('kill -9 $PPID; sleep 0; /usr/bin/true && echo RAN; echo rc=$?', () => undefined, ['--landlock', 'off']);
    expect(r.stdout).not.toContain('RAN');
    expect(r.stdout).toBe('rc=126\n');
    expect(r.stderr).toContain('/usr/bin/true: Function not implemented');
  });

  it('reports an exec it cannot read as an error and refuses it (an argv pointer into nowhere)', async () => {
    const r = await superviseDirect(`${PY} -c "import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); r = libc.execve(b'/usr/bin/true', ctypes.c_void_p(8), None); print('rc', r, os.strerror(ctypes.get_errno()))"`, (l, reply) => (isExec(l) || l.missing !== undefined) && reply(`${String(l.id)} allow\n`), ['--landlock', 'off']);
    expect(r.lines.some((l) => l.type === 'exec' && l.error === 'unreadable')).toBe(true);
    expect(r.stdout).toContain('Operation not permitted');
  });
});
