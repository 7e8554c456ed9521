/**
 * What is decided before anything runs, and what is recorded: a denied command never starts; a
 * host without a usable sandbox refuses (unless unsandboxed execution is allowed explicitly); the
 * profile comes from the operator's ring, never from the request; the policy decides which
 * programs the sandbox holds; the outcome record carries the profile, the programs, the exit
 * status and the output, redacted by the audit sink.
 */
import { createServer } from 'node:net';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/policy/compile.js';
import { Pipeline } from '../../src/enforce/pipeline.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { createSandbox, sandboxedExec, type Sandbox } from '../../src/sandbox/sandbox.js';
import { WardenError } from '../../src/errors.js';
import { freshDir, makeSandbox, NO_BWRAP, run, testPolicy } from './helpers.js';

const made: Sandbox[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of made) await s.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
function sandboxOf(options: Parameters<typeof makeSandbox>[0] = {}) {
  const s = makeSandbox(options);
  made.push(s.sandbox);
  dirs.push(s.workspace);
  return s;
}

describe('before anything runs (any host)', () => {
  it('does not run a denied command, and records the denial', async () => {
    const { sandbox, sink, workspace } = sandboxOf();
    const r = await run(sandbox, 'touch ran && curl http://example.com');
    expect(r.verdict.allowed).toBe(false);
    expect(r.verdict.rule).toBe('no-network-tools');
    expect(r.ran).toBe(false);
    expect(existsSync(join(workspace, 'ran'))).toBe(false);
    expect(sink.events.at(-1)?.outcome).toMatchObject({ executed: false, effect: 'deny' });
    expect(sink.outcomes).toEqual([]);
  });

  it('does not run a command it cannot parse', async () => {
    const { sandbox, workspace } = sandboxOf();
    const r = await run(sandbox, 'touch ran; echo "unterminated');
    expect(r.verdict.allowed).toBe(false);
    expect(r.ran).toBe(false);
    expect(existsSync(join(workspace, 'ran'))).toBe(false);
  });

  it('refuses on a host without a usable sandbox, says why, and records it', async () => {
    const { sandbox, sink, workspace } = sandboxOf({ bwrap: '/nonexistent/bwrap' });
    const r = await run(sandbox, 'touch ran');
    expect(r.verdict.allowed).toBe(true);
    expect(r.ran).toBe(false);
    expect(r.error?.code).toBe('ERR_SANDBOX_UNAVAILABLE');
    expect(r.error?.message).toContain('apt-get install bubblewrap');
    expect(existsSync(join(workspace, 'ran'))).toBe(false);
    expect(sink.outcomes.at(-1)?.outcome).toMatchObject({ status: 'error', result: { ran: false, sandbox: { mechanism: 'none' } } });
  });

  it("runs unsandboxed only when the operator allows it, and records sandbox 'none'", async () => {
    const { sandbox, sink, workspace } = sandboxOf({ bwrap: '/nonexistent/bwrap', unsandboxed: 'allow' });
    const r = await run(sandbox, 'touch ran');
    expect(r.ran).toBe(true);
    expect(r.enforcement.mechanism).toBe('none');
    expect(existsSync(join(workspace, 'ran'))).toBe(true);
    expect(sink.outcomes.at(-1)?.outcome.result).toMatchObject({ sandbox: { mechanism: 'none' } });
  });

  it('does not run a request without a command line', async () => {
    const { sandbox } = sandboxOf();
    const r = await sandbox.exec({ tool: 'bash', args: { cmd: 'touch ran' } });
    expect(r.ran).toBe(false);
  });

  const pipeline = new Pipeline({ policy: testPolicy() });
  const ws = freshDir('warden-ws-');
  dirs.push(ws);
  it.each([
    ['an unknown option', { pipeline, workspace: ws, ringg: 1 }, /Unknown key "ringg"/],
    ['no pipeline', { workspace: ws }, /need a pipeline/],
    ['a relative workspace', { pipeline, workspace: 'work' }, /absolute path/],
    ['a workspace with ..', { pipeline, workspace: '/tmp/../etc' }, /must not contain "\.\."/],
    ['/ writable', { pipeline, workspace: ws, writable: ['/'] }, /overlaps the system directory/],
    ['/ as the workspace', { pipeline, workspace: '/' }, /overlaps the system directory/],
    ['/etc/cron.d writable', { pipeline, workspace: ws, writable: ['/etc/cron.d'] }, /overlaps the system directory \/etc/],
    ['/usr/bin readable (it would undo the program view)', { pipeline, workspace: ws, readable: ['/usr/bin'] }, /overlaps the system directory \/usr/],
    ['/etc readable (it would unmask the secrets)', { pipeline, workspace: ws, readable: ['/etc'] }, /overlaps/],
    ['/proc writable', { pipeline, workspace: ws, writable: ['/proc/sys'] }, /overlaps the system directory \/proc/],
    ['a missing writable path', { pipeline, workspace: ws, writable: ['/nonexistent-warden-path'] }, /does not exist/],
    ['a bad ring', { pipeline, workspace: ws, ring: 4 }, /ring must be/],
    ['a negative limit', { pipeline, workspace: ws, limits: { timeMs: -1 } }, /positive integer/],
    ['an unknown limit', { pipeline, workspace: ws, limits: { cpu: 1 } }, /Unknown key "cpu"/],
    ['a bad env name', { pipeline, workspace: ws, env: { 'A=B': 'x' } }, /variable name/],
    ['a bad unsandboxed value', { pipeline, workspace: ws, unsandboxed: 'yes' }, /unsandboxed must be/],
  ])('rejects %s', (_name, options, message) => {
    let error: unknown;
    try {
      createSandbox(options as unknown as Parameters<typeof createSandbox>[0]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe('ERR_SANDBOX_OPTIONS');
    expect((error as Error).message).toMatch(message);
  });
});

describe.skipIf(NO_BWRAP)('profiles and records (real sandbox)', () => {
  it('keeps the workspace read-only at ring 3', async () => {
    const { sandbox, workspace } = sandboxOf({ ring: 3 });
    const r = await run(sandbox, 'echo x > f && echo wrote');
    expect(r.ran).toBe(true);
    expect(r.stdout).not.toContain('wrote');
    expect(existsSync(join(workspace, 'f'))).toBe(false);
  });

  it('takes the profile from the operator, not from the request', async () => {
    const { sandbox, workspace } = sandboxOf({ ring: 3 });
    const r = await sandbox.exec({ tool: 'bash', args: { command: 'echo x > f && echo wrote', ring: 0, writable: [workspace], network: 'host' }, context: { ring: 0, sandbox: 'none' } });
    expect(r.profile.ring).toBe(3);
    expect(r.stdout).not.toContain('wrote');
  });

  it('reaches the host network at ring 1 with network host, and not at ring 2', async () => {
    const server = createServer((s) => {
      s.on('error', () => undefined);
      s.end('hello\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const connect = `python3 -c "import socket; print(socket.create_connection(('127.0.0.1', ${port}), 2).recv(5).decode())"`;
    try {
      const ring1 = await run(sandboxOf({ ring: 1, network: 'host' }).sandbox, connect);
      expect(ring1.stdout).toContain('hello');
      const ring2 = await run(sandboxOf({ ring: 2, network: 'host' }).sandbox, connect);
      expect(ring2.profile.network).toBe('none');
      expect(ring2.stdout).not.toContain('hello');
    } finally {
      server.close();
    }
  });

  it('runs ring 0 unsandboxed and records that it did', async () => {
    const { sandbox, sink } = sandboxOf({ ring: 0 });
    const r = await run(sandbox, 'test -d /root && echo host-view');
    expect(r.stdout).toContain('host-view');
    expect(sink.outcomes.at(-1)?.outcome.result).toMatchObject({ sandbox: { mechanism: 'none', ring: 0, reason: 'ring 0 runs unsandboxed' } });
  });

  it('holds only the programs the policy allows, and records them', async () => {
    const policy = compilePolicy([
      {
        name: 'no-python.yaml',
        text: `apiVersion: warden/v1
kind: Policy
name: no-python
default: deny
facets:
  - tools: [bash]
    shell: { from: args.command }
rules:
  - name: no-python
    tools: [bash]
    when: "shell.names.exists(n, n.startsWith('python'))"
    effect: deny
  - name: rest
    tools: [bash]
    effect: allow
`,
      },
    ]);
    const sink = new MemorySink();
    const workspace = freshDir('warden-ws-');
    dirs.push(workspace);
    const sandbox = createSandbox({ pipeline: new Pipeline({ policy, sink }), workspace });
    made.push(sandbox);
    const r = await run(sandbox, "printf 'python3 -c \"print(40 + 2)\"\\n' > s.sh; sh s.sh; ls /usr/bin/python3");
    expect(r.stdout).not.toContain('42');
    expect(r.stderr).toMatch(/python3: not found/);
    expect(r.programs?.present).toContain('sh');
    expect(r.programs?.present).not.toContain('python3');
    expect(r.programs?.denied).toBeGreaterThan(0);
    expect(sink.outcomes.at(-1)?.outcome.result).toMatchObject({ programs: { denied: r.programs?.denied } });
  });

  it('records exit status and output, redacted by the audit sink', async () => {
    const dir = freshDir('warden-audit-');
    dirs.push(dir);
    const file = join(dir, 'audit.jsonl');
    const sink = await openFileAuditSink({ path: file });
    const workspace = freshDir('warden-ws-');
    dirs.push(workspace);
    const key = 'AKIAIOSFODNN7EXAMPLE';
    try {
      const r = await sandboxedExec({ tool: 'bash', args: { command: `echo token=${key}; exit 3` } }, { pipeline: new Pipeline({ policy: testPolicy(), sink }), workspace });
      expect(r.exitCode).toBe(3);
    } finally {
      await sink.close();
    }
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const outcome = lines.find((l) => l.type === 'outcome') as { outcome: { status: string; result: { exitCode: number; stdout: string; sandbox: { mechanism: string } } } };
    expect(outcome.outcome.status).toBe('error');
    expect(outcome.outcome.result.exitCode).toBe(3);
    expect(outcome.outcome.result.sandbox.mechanism).toBe('bubblewrap');
    expect(outcome.outcome.result.stdout).toContain('token=');
    expect(readFileSync(file, 'utf8')).not.toContain(key);
  });
});

describe.skipIf(NO_BWRAP)('concurrent runs (real sandbox)', () => {
  it('runs commands at once, each in its own sandbox with its own output', async () => {
    const { sandbox } = sandboxOf();
    const results = await Promise.all([1, 2, 3, 4].map((i) => run(sandbox, `echo run-${i} > f${i} && cat f${i} && ps -e | wc -l`)));
    results.forEach((r, i) => {
      expect(r.exitCode).toBe(0);
      expect(r.stdout.split('\n')[0]).toBe(`run-${i + 1}`);
    });
  });
});

describe.skipIf(NO_BWRAP)('a new policy version (real sandbox)', () => {
  it('rebuilds the program view when the policy in force changes', async () => {
    const allowPython = testPolicy();
    const denyPython = compilePolicy([
      {
        name: 'v2.yaml',
        text: `apiVersion: warden/v1
kind: Policy
name: v2
default: deny
facets:
  - tools: [bash]
    shell: { from: args.command }
rules:
  - name: no-python
    tools: [bash]
    when: "shell.names.exists(n, n.startsWith('python'))"
    effect: deny
  - name: rest
    tools: [bash]
    effect: allow
`,
      },
    ]);
    let current = allowPython;
    const workspace = freshDir('warden-ws-');
    dirs.push(workspace);
    const sandbox = createSandbox({ pipeline: new Pipeline({ policy: { current: () => current } }), workspace });
    made.push(sandbox);
    const script = "printf 'python3 -c \"print(6 * 7)\"\\n' > s.sh; sh s.sh";
    expect((await run(sandbox, script)).stdout).toContain('42');
    current = denyPython;
    const after = await run(sandbox, script);
    expect(after.stdout).not.toContain('42');
    expect(after.programs?.present).not.toContain('python3');
  });
});

describe('a run always ends (any host)', () => {
  it('does not wait for a background process that keeps the output open, and kills it', async () => {
    const { sandbox } = sandboxOf({ ring: 0 });
    const marker = `4243.${process.pid}`;
    const r = await run(sandbox, `sleep ${marker} & echo started`);
    expect(r.ran).toBe(true);
    expect(r.stdout).toContain('started');
    expect(r.exitCode).toBe(0);
    const alive = (): string[] =>
      readdirSync('/proc').filter((pid) => {
        try {
          return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `sleep\u0000${marker}\u0000` && !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        } catch {
          return false;
        }
      });
    // SIGKILL was sent; wait (bounded) for the kernel to finish it rather than for a fixed time.
    let left = alive();
    for (let i = 0; i < 250 && left.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      left = alive();
    }
    expect(left).toEqual([]);
  });
});
