/**
 * Escapes tried from inside the real sandbox (bubblewrap, seccomp, cgroups on this machine): each
 * command is allowed by the policy (its spelling hides what it runs, or it is an ordinary program
 * doing something the sandbox forbids), so only the sandbox stands between it and the host. Each
 * must fail, be recorded, and leave the host unchanged. A third of the table is benign developer
 * work that must still succeed (a false deny there is a failure too).
 */
import { createServer, type Server } from 'node:net';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import type { MemorySink } from '../../src/enforce/memory-sink.js';
import { freshDir, makeSandbox, NO_BWRAP, run } from './helpers.js';

const SECRET = `warden-secret-${process.pid}-${Date.now().toString(36)}`;

interface Ctx {
  ws: string;
  out: string;
  ro: string;
  port: number;
  hostTmp: string;
}

/** An escape: `cmd` prints ESCAPED (or the secret) only if the attack worked. */
interface Escape {
  name: string;
  /** THREATS.md class (19 sandbox escapes, 6 shell spellings, 15 hidden execution, 5 paths) or "own". */
  cls: string;
  cmd: (c: Ctx) => string;
  /** Printed only once the attempt was really made (the compiler ran, the script was read): proves the case is not vacuous. */
  reached?: string;
}

const url = (c: Ctx): string => `http://127.0.0.1:${c.port}/`;
const py = (code: string): string => `python3 -c "${code}"`;

const ESCAPES: Escape[] = [
  // Writing outside the writable paths.
  { name: 'writes into /etc directly', cls: '19', cmd: () => 'echo x > /etc/warden-escape && echo ESCAPED' },
  { name: 'writes into a directory that is not mounted', cls: '19', cmd: (c) => `echo x > ${c.out}/new && echo ESCAPED` },
  { name: 'creates a file in a read-only granted path', cls: '19', cmd: (c) => `echo x > ${c.ro}/new && echo ESCAPED` },
  { name: 'overwrites a file in a read-only granted path', cls: '19', cmd: (c) => `echo x > ${c.ro}/file.txt && echo ESCAPED` },
  { name: 'writes through a symlink out of the workspace', cls: '19', cmd: (c) => `ln -s ${c.ro}/file.txt l && echo x > l && echo ESCAPED` },
  { name: 'writes through a symlink to /', cls: '5', cmd: () => 'ln -s / r && echo x > r/etc/warden-escape && echo ESCAPED' },
  { name: 'writes through /proc/self/root', cls: '19', cmd: () => 'echo x > /proc/self/root/etc/warden-escape && echo ESCAPED' },
  { name: 'writes through /proc/1/root', cls: '19', cmd: () => 'echo x > /proc/1/root/etc/warden-escape && echo ESCAPED' },
  { name: 'hard-links a read-only file into the workspace and appends', cls: '19', cmd: (c) => `ln ${c.ro}/file.txt h && echo x >> h && echo ESCAPED` },
  { name: 'hard-links /etc/passwd into the workspace and appends', cls: '19', cmd: () => 'ln /etc/passwd p && echo x >> p && echo ESCAPED' },
  { name: 'writes into the program directories', cls: 'own', cmd: () => 'echo x > /usr/bin/git && echo ESCAPED' },
  // Writable in bubblewrap's view although no profile grants them: Landlock refuses them.
  { name: "plants a file in bubblewrap's root tmpfs", cls: '19', cmd: () => 'touch /planted && echo ESCAPED' },
  { name: 'plants a file in /dev/shm', cls: '19', cmd: () => 'touch /dev/shm/planted && echo ESCAPED' },
  { name: 'makes a directory in /dev', cls: '19', cmd: () => 'mkdir /dev/planted && echo ESCAPED' },
  { name: 'makes a FIFO in /dev', cls: '19', cmd: () => 'mkfifo /dev/planted && echo ESCAPED' },
  { name: 'deletes a program', cls: 'own', cmd: () => 'rm -f /usr/bin/git; test -e /usr/bin/git || echo ESCAPED' },
  { name: 'redirects into ~/.ssh/authorized_keys', cls: '6', cmd: () => `mkdir -p /root/.ssh && echo ${SECRET} >> /root/.ssh/authorized_keys && test -s /root/.ssh/authorized_keys && ls /root/.ssh/id_* && echo ESCAPED` },
  { name: "writes the host's /tmp", cls: 'own', cmd: (c) => `echo ${SECRET} > ${c.hostTmp}-new; cat ${c.hostTmp} && echo ESCAPED` },
  // Reading outside the readable paths.
  { name: 'reads a file outside every granted path', cls: '19', cmd: (c) => `cat ${c.out}/secret.txt` },
  { name: 'reads it through a symlink planted in the workspace', cls: '5', cmd: (c) => `ln -s ${c.out}/secret.txt s && cat s` },
  { name: 'reads it through /proc/self/root', cls: '19', cmd: (c) => `cat /proc/self/root${c.out}/secret.txt` },
  { name: 'reads it through ../ from the workspace', cls: '5', cmd: (c) => `cat ${c.ws}/../../${c.out}/secret.txt` },
  { name: "reads a file in the host's /tmp", cls: 'own', cmd: (c) => `cat ${c.hostTmp}` },
  { name: 'reads ~/.ssh', cls: '19', cmd: () => 'cat /root/.ssh/* ~/.ssh/* 2>/dev/null; test -d /root && echo ESCAPED' },
  { name: 'lists /home', cls: '19', cmd: () => 'ls /home && echo ESCAPED' },
  { name: 'reads password hashes', cls: 'own', cmd: () => 'grep -q root: /etc/shadow && echo ESCAPED' },
  { name: 'reads environment secrets', cls: '19', cmd: () => 'env; cat /proc/self/environ /proc/1/environ' },
  // Network.
  { name: 'connects to a loopback service on the host (python)', cls: '19', cmd: (c) => py(`import socket; socket.create_connection(('127.0.0.1', ${c.port}), 2); print('ESCAPED')`) },
  { name: 'connects to a loopback service on the host (node)', cls: '19', cmd: (c) => `node -e "require('net').connect(${c.port}, '127.0.0.1').on('connect', () => console.log('ESCAPED'))"` },
  { name: 'connects to PostgreSQL on the host', cls: '19', cmd: () => py(`import socket; socket.create_connection(('127.0.0.1', 5432), 2); print('ESCAPED')`) },
  { name: 'connects to a public address', cls: '19', cmd: () => py(`import socket; socket.create_connection(('1.1.1.1', 443), 2); print('ESCAPED')`) },
  { name: 'connects to the metadata address', cls: '4', cmd: () => py(`import socket; socket.create_connection(('169.254.169.254', 80), 2); print('ESCAPED')`) },
  { name: 'resolves a name', cls: '19', cmd: () => 'getent hosts example.com && echo ESCAPED' },
  { name: 'opens /dev/tcp in bash', cls: '6', cmd: (c) => `bash -c 'echo > /dev/tcp/127.0.0.1/${c.port}' && echo ESCAPED` },
  // Denied programs through spellings the command line hides.
  { name: 'runs curl from a script it wrote', cls: '6', cmd: (c) => `printf 'curl -s ${url(c)}\\n' > s.sh; sh s.sh && echo ESCAPED` },
  { name: 'runs /usr/bin/curl from a script', cls: '6', cmd: (c) => `printf '/usr/bin/curl -s ${url(c)}\\n' > s.sh; sh s.sh && echo ESCAPED` },
  { name: 'runs wget through env in a script', cls: '6', cmd: (c) => `printf 'env wget -q -O- ${url(c)}\\n' > s.sh; sh s.sh && echo ESCAPED` },
  { name: 'runs curl through xargs in a script', cls: '6', cmd: (c) => `echo ${url(c)} > u; printf 'xargs curl -s < u\\n' > x.sh; sh x.sh && echo ESCAPED` },
  { name: 'builds the name at run time', cls: '16', cmd: (c) => `c=cu; \${c}rl -s ${url(c)} && echo ESCAPED` },
  { name: 'runs curl from a Makefile', cls: '15', cmd: (c) => `printf 'all:\\n\\tcurl -s ${url(c)}\\n' > Makefile; make -s && echo ESCAPED` },
  { name: 'runs wget from an npm script', cls: '15', cmd: (c) => `printf '{"name":"x","version":"1.0.0","scripts":{"x":"wget -q -O- ${url(c)}"}}' > package.json; npm run -s x && echo ESCAPED` },
  {
    name: 'runs curl from a git hook',
    cls: '15',
    cmd: (c) => `git init -q . && printf '#!/bin/sh\\ncurl -s ${url(c)}\\n' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit && git -c user.name=a -c user.email=a@b commit -q --allow-empty -m m && echo ESCAPED`,
  },
  { name: 'execs wget from python', cls: '15', cmd: (c) => `${py(`import os; os.execv('/usr/bin/wget', ['wget', '-q', '${url(c)}'])`)} && echo ESCAPED` },
  { name: 'spawns curl from node', cls: '15', cmd: (c) => `node -e "require('child_process').execFileSync('curl', ['-s', '${url(c)}'])" && echo ESCAPED` },
  { name: 'runs curl from BASH_ENV', cls: '15', cmd: (c) => `printf 'echo sourced; curl -s ${url(c)}\\n' > env.sh; BASH_ENV=./env.sh bash -c true`, reached: 'sourced' },
  { name: 'runs wget through python subprocess and a shell', cls: '15', cmd: (c) => `${py(`import subprocess, sys; sys.exit(subprocess.run(['sh', '-c', 'wget -q -O- ${url(c)}']).returncode)`)} && echo ESCAPED` },
  {
    name: 'compiles a static binary that connects with raw system calls',
    cls: 'own',
    cmd: (c) =>
      `printf '#include <arpa/inet.h>\\n#include <sys/socket.h>\\nint main(void){struct sockaddr_in a={0};a.sin_family=AF_INET;a.sin_port=htons(${c.port});a.sin_addr.s_addr=htonl(0x7f000001);int s=socket(AF_INET,SOCK_STREAM,0);return connect(s,(struct sockaddr*)&a,sizeof a)==0?0:1;}\\n' > raw.c && gcc -static -o raw raw.c && { echo compiled; ./raw && echo ESCAPED; }`,
    reached: 'compiled',
  },
  { name: 'copies the curl binary into the workspace', cls: 'own', cmd: (c) => `cp /usr/bin/curl ./c && ./c -s ${url(c)} && echo ESCAPED` },
  // Privilege and kernel attack surface (seccomp, capabilities).
  { name: 'makes a user namespace (unshare)', cls: '19', cmd: () => 'unshare -r true && echo ESCAPED' },
  { name: 'makes a user namespace (raw system call)', cls: '19', cmd: () => py(`import ctypes, sys; sys.exit(0 if ctypes.CDLL(None, use_errno=True).unshare(0x10000000) == 0 else 1)`) + ' && echo ESCAPED' },
  { name: 'clones into a new network namespace', cls: '19', cmd: () => py(`import ctypes, sys; sys.exit(0 if ctypes.CDLL(None, use_errno=True).unshare(0x40000000) == 0 else 1)`) + ' && echo ESCAPED' },
  { name: 'ptraces', cls: 'own', cmd: () => py(`import ctypes, sys; sys.exit(0 if ctypes.CDLL(None, use_errno=True).ptrace(0, 0, 0, 0) == 0 else 1)`) + ' && echo ESCAPED' },
  { name: 'mounts a file system', cls: 'own', cmd: () => 'mount -t tmpfs none /mnt 2>/dev/null && echo ESCAPED' },
  { name: 'remounts / writable', cls: 'own', cmd: () => 'mount -o remount,rw / 2>/dev/null && echo ESCAPED' },
  { name: 'writes a global sysctl through /proc/sys', cls: 'own', cmd: () => 'echo 1 > /proc/sys/vm/drop_caches && echo ESCAPED' },
  { name: 'writes kernel.core_pattern (a host-root program on the next crash)', cls: 'own', cmd: () => 'test -w /proc/sys/kernel/core_pattern && echo ESCAPED' },
  { name: 'reads the kernel keyring list', cls: 'own', cmd: () => 'grep -q . /proc/keys && echo ESCAPED' },
  { name: 'signals a host process', cls: 'own', cmd: () => `kill -0 ${process.pid} 2>/dev/null && echo ESCAPED` },
  { name: 'kills the exec supervisor, then runs a program', cls: 'own', cmd: () => 'kill -9 $PPID 2>/dev/null && /usr/bin/id -u >/dev/null && echo ESCAPED' },
  { name: 'raises a capability through a setuid copy', cls: 'own', cmd: () => 'cp /bin/sh ./s && chmod u+s ./s && ./s -c "grep CapEff /proc/self/status" | grep -qv 0000000000000000 && echo ESCAPED' },
];

/** Benign work that must run and succeed: `cmd` exits 0 and its stdout contains `expect`. */
const BENIGN: { name: string; cmd: (c: Ctx) => string; expect: string }[] = [
  { name: 'echoes', cmd: () => 'echo hello', expect: 'hello' },
  { name: 'writes a file in the workspace', cmd: () => 'echo data > out.txt && cat out.txt', expect: 'data' },
  { name: 'runs a pipeline', cmd: () => "printf 'b\\na\\n' | sort | head -1", expect: 'a' },
  { name: 'reads a granted read-only path', cmd: (c) => `cat ${c.ro}/file.txt`, expect: 'read-only content' },
  { name: 'uses the private /tmp', cmd: () => 't=$(mktemp) && echo tmp-ok > "$t" && cat "$t"', expect: 'tmp-ok' },
  { name: 'edits with sed in place', cmd: () => "echo abc > e.txt && sed -i 's/b/B/' e.txt && cat e.txt", expect: 'aBc' },
  { name: 'makes directories and copies', cmd: () => 'mkdir -p a/b && echo c > a/b/c && cp -r a z && cat z/b/c', expect: 'c' },
  { name: 'finds and greps', cmd: () => 'mkdir -p src && echo needle > src/x.ts && grep -rl needle . && find . -name x.ts', expect: './src/x.ts' },
  { name: 'makes a tarball', cmd: () => 'echo t > t.txt && tar czf t.tgz t.txt && tar tzf t.tgz', expect: 't.txt' },
  { name: 'runs a Python script', cmd: () => "printf 'import json\\nprint(json.dumps({\"sum\": sum(range(10))}))\\n' > s.py && python3 s.py", expect: '{"sum": 45}' },
  { name: 'runs node', cmd: () => 'node -e "console.log([1,2,3].map(x => x * 2).join(\',\'))"', expect: '2,4,6' },
  { name: 'runs make', cmd: () => "printf 'all:\\n\\t@echo built\\n' > Makefile && make -s", expect: 'built' },
  {
    name: 'commits with git',
    cmd: () => 'git init -q . && echo a > a && git add a && git -c user.name=dev -c user.email=dev@example.com commit -q -m first && git log --format=%s',
    expect: 'first',
  },
  {
    name: 'runs npm test in a sample project',
    cmd: () => `printf '{"name":"sample","version":"1.0.0","scripts":{"test":"node test.js"}}' > package.json && printf 'const assert = require("assert"); assert.strictEqual(1 + 1, 2); console.log("tests passed")\\n' > test.js && npm test --silent`,
    expect: 'tests passed',
  },
  { name: 'talks to its own loopback', cmd: () => py(`import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); c = socket.create_connection(s.getsockname()); a, _ = s.accept(); c.send(b'lo-ok'); print(a.recv(5).decode())`), expect: 'lo-ok' },
  { name: 'runs a script it wrote with sh', cmd: () => "printf 'echo from-script\\n' > s.sh && sh s.sh", expect: 'from-script' },
  { name: 'reads /etc/passwd', cmd: () => 'grep -c root /etc/passwd', expect: '1' },
  { name: 'counts processes in its own namespace', cmd: () => 'ps -e | wc -l | tr -d " "', expect: '' },
  { name: 'formats JSON with python -m', cmd: () => "echo '{\"a\":1}' | python3 -m json.tool --compact", expect: '{"a":1}' },
  { name: 'sums with awk', cmd: () => "printf '1\\n2\\n3\\n' | awk '{ s += $1 } END { print s }'", expect: '6' },
  { name: 'diffs two files', cmd: () => 'echo a > x && echo b > y; diff x y; test $? -eq 1 && echo differ', expect: 'differ' },
  { name: 'uses xargs with an allowed program', cmd: () => 'printf "a\\nb\\n" | xargs echo', expect: 'a b' },
  { name: 'hashes a file', cmd: () => 'printf abc > h && sha256sum h | cut -c1-16', expect: 'ba7816bf8f01cfea' },
  { name: 'writes a file from node', cmd: () => `node -e "require('fs').writeFileSync('n.txt', 'from-node')" && cat n.txt`, expect: 'from-node' },
  { name: 'asks npm its version', cmd: () => 'npm --version', expect: '.' },
];

describe.skipIf(NO_BWRAP)('escapes from the real sandbox', () => {
  let sandbox: Sandbox;
  let sink: MemorySink;
  let ctx: Ctx;
  let server: Server;
  let connections = 0;
  let passwd: string;
  let hostTmpDir: string;
  const base = freshDir('warden-host-');

  beforeAll(async () => {
    process.env.WARDEN_SANDBOX_TEST_SECRET = SECRET;
    // Outside every granted path, and outside /tmp (which the sandbox replaces anyway).
    const out = join('/var/tmp', `warden-out-${process.pid}`);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'secret.txt'), SECRET);
    const ro = join('/var/tmp', `warden-ro-${process.pid}`);
    mkdirSync(ro, { recursive: true });
    writeFileSync(join(ro, 'file.txt'), 'read-only content');
    // In the host's /tmp but outside the workspace: the sandbox's /tmp is its own.
    hostTmpDir = freshDir('warden-hosttmp-');
    const hostTmp = join(hostTmpDir, 'secret');
    writeFileSync(hostTmp, SECRET);
    server = createServer((s) => {
      s.on('error', () => undefined);
      connections++;
      s.end('ESCAPED\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    ({ sandbox, sink } = makeSandbox({ workspace: base, readable: [ro], limits: { timeMs: 20_000 } }));
    ctx = { ws: base, out, ro, port, hostTmp };
    passwd = readFileSync('/etc/passwd', 'utf8');
  });

  afterAll(async () => {
    delete process.env.WARDEN_SANDBOX_TEST_SECRET;
    server?.close();
    await sandbox?.close();
    rmSync(ctx.out, { recursive: true, force: true });
    rmSync(ctx.ro, { recursive: true, force: true });
    rmSync(base, { recursive: true, force: true });
    rmSync(hostTmpDir, { recursive: true, force: true });
  });

  it('runs under bubblewrap with seccomp and cgroup limits in force (what the table relies on)', async () => {
    const e = await sandbox.enforcement();
    expect(e).toMatchObject({ mechanism: 'bubblewrap', namespaces: true, seccomp: true, supervisorReason: null, landlock: { fs: true } });
    expect(e.supervisor).not.toBeNull();
    expect(e.cgroups.pids || !process.env.CI).toBe(true);
  });

  for (const esc of ESCAPES) {
    it(`holds: ${esc.name} (class ${esc.cls})`, async () => {
      // Each escape runs in a workspace of its own inside the shared base.
      const ws = join(base, `w${ESCAPES.indexOf(esc)}`);
      mkdirSync(ws);
      const r = await sandbox.exec({ tool: 'bash', args: { command: `cd ${ws} && { ${esc.cmd({ ...ctx, ws })}; }` } });
      expect(r.verdict.allowed, 'the policy lets the attempt through; the sandbox must hold').toBe(true);
      expect(r.ran).toBe(true);
      expect(r.stdout).not.toContain('ESCAPED');
      if (esc.reached !== undefined) expect(r.stdout, 'the attempt was made').toContain(esc.reached);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
      // Recorded: an outcome for this call, with the profile in force.
      const outcome = sink.outcomes.find((o) => o.call === r.verdict.call);
      expect(outcome?.outcome.result).toMatchObject({ sandbox: { mechanism: 'bubblewrap', network: 'none', seccomp: true, landlock: { fs: true } } });
      // Every exec of the attempt is in the record, the first being the command itself.
      const execs = (outcome?.outcome.result as { execs: { initial: boolean; effect: string }[] }).execs;
      expect(execs[0]).toMatchObject({ initial: true, effect: 'allow' });
    });
  }

  for (const b of BENIGN) {
    it(`still works: ${b.name}`, async () => {
      const ws = join(base, `b${BENIGN.indexOf(b)}`);
      mkdirSync(ws);
      const r = await sandbox.exec({ tool: 'bash', args: { command: `cd ${ws} && { ${b.cmd({ ...ctx, ws })}; }` } });
      expect(r.stderr).toBe(r.exitCode === 0 ? r.stderr : '(no error expected)');
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain(b.expect);
    });
  }

  it('left the host unchanged', () => {
    // Each line names what an escape would have changed.
    expect(connections, 'no connection reached the host listener').toBe(0);
    expect(existsSync('/etc/warden-escape')).toBe(false);
    expect(readFileSync('/etc/passwd', 'utf8')).toBe(passwd);
    expect(readdirSync(ctx.out)).toEqual(['secret.txt']);
    expect(readdirSync(ctx.ro)).toEqual(['file.txt']);
    expect(readFileSync(join(ctx.ro, 'file.txt'), 'utf8')).toBe('read-only content');
    expect(existsSync(`${ctx.hostTmp}-new`)).toBe(false);
    expect(existsSync('/root/.ssh/authorized_keys') && readFileSync('/root/.ssh/authorized_keys', 'utf8').includes(SECRET)).toBe(false);
    expect(readdirSync(hostTmpDir)).toEqual(['secret']);
    expect(readdirSync(tmpdir()).some((n) => n === 'warden-escape')).toBe(false);
  });

  it('wrote what the workspace holds to the host (the writable path is real)', () => {
    expect(readFileSync(join(base, `b${BENIGN.findIndex((b) => b.name === 'writes a file in the workspace')}`, 'out.txt'), 'utf8')).toBe('data\n');
  });
});

// Keeps `run` referenced for readers following helpers.ts; the table uses sandbox.exec directly.
void run;
