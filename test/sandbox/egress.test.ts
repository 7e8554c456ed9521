/**
 * Allowlisted egress from the real sandbox (bubblewrap on this machine): a command at ring 2 with
 * `network: 'egress'` reaches a node:http server on the host only through the forwarder and the
 * proxy, as a destination the policy allows; everything else is refused with 403 or has no route,
 * and every connection through the proxy is in the result and the outcome record.
 */
import { createServer, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pipeline } from '../../src/enforce/pipeline.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { createSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import { sandboxProfile } from '../../src/sandbox/profile.js';
import { bwrapArgs } from '../../src/sandbox/bwrap-args.js';
import { systemLayout } from '../../src/sandbox/host.js';
import { runPlan } from '../../src/sandbox/run.js';
import { startForwarder } from '../../src/sandbox/egress-forwarder.js';
import { BWRAP, egressPolicy, freshDir, NO_BWRAP } from './helpers.js';

/** The host's first non-loopback IPv4 address, if it has one (a raw connection to it must find no route). */
const HOST_IP = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

describe.skipIf(NO_BWRAP)('egress from the real sandbox', () => {
  const hits: string[] = [];
  let server: Server;
  let P = 0;
  const made: Sandbox[] = [];

  const sandboxOf = (options: Partial<SandboxOptions> = {}): { sandbox: Sandbox; sink: MemorySink } => {
    const sink = new MemorySink();
    const sandbox = createSandbox({ pipeline: new Pipeline({ policy: egressPolicy(P, P + 1), sink }), workspace: freshDir('warden-ws-'), ring: 2, network: 'egress', ...options });
    made.push(sandbox);
    return { sandbox, sink };
  };
  const exec = (sandbox: Sandbox, command: string) => sandbox.exec({ tool: 'bash', args: { command } });
  // The proxy variables name 127.0.0.1 as not proxied (the sandbox's own loopback); the test server is reached through the proxy on purpose.
  const curl = `curl -sS --max-time 20 --noproxy ''`;

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.end(`served ${req.method} ${req.url}\n`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    P = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of made) await s.close();
    server.close();
  });

  it('reaches the allowlisted server by name, as plain HTTP and through CONNECT, and records both', async () => {
    const { sandbox, sink } = sandboxOf();
    const r = await exec(sandbox, `${curl} http://localhost:${P}/plain && ${curl} -p http://localhost:${P}/tunnel`);
    expect(r.error).toBeNull();
    expect(r.stdout).toContain('served GET /plain');
    expect(r.stdout).toContain('served GET /tunnel');
    expect(r.connections).toMatchObject([
      { method: 'GET', scheme: 'http', host: 'localhost', port: P, address: '127.0.0.1', allowed: true, reason: "The test's own server", error: null },
      { method: 'CONNECT', scheme: 'tcp', host: 'localhost', port: P, address: '127.0.0.1', allowed: true, error: null },
    ]);
    for (const c of r.connections ?? []) {
      expect(c.bytesSent).toBeGreaterThan(0);
      expect(c.bytesReceived).toBeGreaterThan(0);
      expect(c.calls.length).toBeGreaterThan(0);
    }
    const outcome = sink.outcomes.at(-1)?.outcome;
    expect(outcome?.status).toBe('ok');
    expect((outcome?.result as { connections: unknown }).connections).toEqual(r.connections);
    expect((outcome?.result as { sandbox: { network: string } }).sandbox.network).toBe('egress');
    // Each connection was decided as its own call, linked to the command's.
    const egressDecisions = sink.events.filter((e) => e.request.tool === 'egress');
    expect(egressDecisions.map((e) => (e.request.args as { url: string }).url)).toEqual([`http://localhost:${P}/plain`, `http://127.0.0.1:${P}/plain`, `tcp://localhost:${P}`, `tcp://127.0.0.1:${P}`]);
    expect(egressDecisions.every((e) => (e.request.context as { egress: { command: string } }).egress.command === r.verdict.call)).toBe(true);
  });

  it('answers a denied destination with 403 and the reason, and records it', async () => {
    const { sandbox } = sandboxOf();
    const before = hits.length;
    const r = await exec(sandbox, `${curl} http://evil.example/x; ${curl} http://169.254.169.254/latest/meta-data/; ${curl} -o /dev/null -w 'code=%{http_code}\\n' http://0xa9fea9fe/; ${curl} https://evil.example/ || echo "https exit $?"`);
    expect(r.stdout).toMatch(/Warden denied GET http:\/\/evil\.example:80\/x: denied by the policy: No rule allows tool "egress"/);
    expect(r.stdout).toContain('Cloud metadata endpoints are never reachable');
    expect(r.stdout).toContain('code=403');
    expect(r.stdout).toMatch(/https exit [1-9]/);
    expect(r.stderr).toMatch(/CONNECT tunnel failed, response 403|403/);
    expect(r.connections?.map((c) => [c.method, c.host, c.allowed, c.bytesSent])).toEqual([
      ['GET', 'evil.example', false, 0],
      ['GET', '169.254.169.254', false, 0],
      ['GET', '169.254.169.254', false, 0],
      ['CONNECT', 'evil.example', false, 0],
    ]);
    expect(hits.length).toBe(before);
  });

  it('refuses a name allowed by name only when it resolves to loopback', async () => {
    const { sandbox } = sandboxOf();
    const r = await exec(sandbox, `${curl} http://localhost:${P + 1}/`);
    expect(r.stdout).toContain('resolved to 127.0.0.1 is not a public address');
    expect(r.connections).toMatchObject([{ host: 'localhost', allowed: false, address: null }]);
  });

  it('has no route for a connection that bypasses the proxy', async () => {
    const { sandbox } = sandboxOf();
    const before = hits.length;
    const targets = [`('127.0.0.1', ${P})`, "('169.254.169.254', 80)", ...(HOST_IP !== undefined ? [`('${HOST_IP}', ${P})`] : [])];
    const py = targets.map((t) => `python3 -c "import socket; socket.create_connection(${t}, 3); print('BYPASSED ${t.replace(/'/g, '')}')" 2>&1 | tail -1`).join('; ');
    const r = await exec(sandbox, `${py}; curl -sS --max-time 5 --noproxy '*' http://127.0.0.1:${P}/ && echo BYPASSED-curl; env -u HTTP_PROXY -u http_proxy curl -sS --max-time 5 http://127.0.0.1:${P}/ && echo BYPASSED-env`);
    expect(r.ran).toBe(true);
    expect(r.stdout).not.toContain('BYPASSED');
    // No route (the network namespace), or refused by Landlock where the kernel has network rules (connect only to the proxy's port).
    expect(r.stdout).toMatch(/Connection refused|Network is unreachable|Permission denied/);
    expect(r.connections).toEqual([]);
    expect(hits.length).toBe(before);
  });

  it('keeps the forwarder out of the sandbox: not among its processes, its program not there', async () => {
    const { sandbox } = sandboxOf();
    const r = await exec(sandbox, `cat /proc/[0-9]*/cmdline | tr '\\0' ' '; echo; test -e ${process.execPath} && echo NODE-VISIBLE; ls /proc | grep -c '^[0-9]'`);
    expect(r.stdout).not.toMatch(/socat|nsenter|TCP-LISTEN/);
    expect(r.stdout).not.toContain('NODE-VISIBLE');
  });

  it('works with the node forwarder too', async () => {
    const { sandbox } = sandboxOf({ egress: { forwarder: 'node' } });
    const r = await exec(sandbox, `${curl} http://127.0.0.1:${P}/node-fwd`);
    expect(r.stdout).toContain('served GET /node-fwd');
    expect(r.connections).toMatchObject([{ host: '127.0.0.1', allowed: true }]);
  });

  it('gives each of two concurrent runs its own proxy and records', async () => {
    const { sandbox } = sandboxOf();
    const [a, b] = await Promise.all([exec(sandbox, `${curl} http://127.0.0.1:${P}/a`), exec(sandbox, `${curl} http://127.0.0.1:${P}/b; ${curl} http://evil.example/`)]);
    expect(a.stdout).toContain('served GET /a');
    expect(b.stdout).toContain('served GET /b');
    expect(a.connections?.map((c) => c.host)).toEqual(['127.0.0.1']);
    expect(b.connections?.map((c) => c.host)).toEqual(['127.0.0.1', 'evil.example']);
  });

  it('carries TLS through CONNECT to an allowlisted https server, verified end to end by the client', async () => {
    const ws = freshDir('warden-ws-');
    const cert = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '1', '-keyout', join(ws, 'key.pem'), '-out', join(ws, 'cert.pem')], { encoding: 'utf8' });
    expect(cert.status, cert.stderr).toBe(0);
    const tls = createHttpsServer({ key: readFileSync(join(ws, 'key.pem')), cert: readFileSync(join(ws, 'cert.pem')) }, (req, res) => res.end(`tls ${req.url}\n`));
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    const T = (tls.address() as { port: number }).port;
    try {
      const sink = new MemorySink();
      const sandbox = createSandbox({ pipeline: new Pipeline({ policy: egressPolicy(T, T + 1), sink }), workspace: ws, ring: 2, network: 'egress' });
      made.push(sandbox);
      const r = await exec(sandbox, `${curl} --cacert cert.pem https://localhost:${T}/secure`);
      expect(r.stdout, r.stderr).toBe('tls /secure\n');
      expect(r.connections).toMatchObject([{ method: 'CONNECT', scheme: 'tcp', host: 'localhost', port: T, allowed: true }]);
      expect(r.connections?.[0]?.bytesReceived).toBeGreaterThan(500);
    } finally {
      tls.close();
    }
  });

  it('keeps ring 3 offline whatever the options ask: no proxy variables, no connections', async () => {
    const { sandbox } = sandboxOf({ ring: 3 });
    const r = await exec(sandbox, `env | cut -d= -f1 | grep -ci proxy; ${curl} -x http://127.0.0.1:3128 http://127.0.0.1:${P}/ || echo offline`);
    expect(r.profile.network).toBe('none');
    expect(r.stdout).toMatch(/^0\n/);
    expect(r.stdout).toContain('offline');
    expect(r.connections).toBeNull();
  });
});

describe('egress and unsandboxed runs', () => {
  it("records the host's network for a run the operator let run without a sandbox, and no connections", async () => {
    const sink = new MemorySink();
    const sandbox = createSandbox({ pipeline: new Pipeline({ policy: egressPolicy(1, 2), sink }), workspace: freshDir('warden-ws-'), network: 'egress', bwrap: '/nonexistent/bwrap', unsandboxed: 'allow' });
    try {
      const r = await sandbox.exec({ tool: 'bash', args: { command: 'true' } });
      expect(r.ran).toBe(true);
      expect(r.connections).toBeNull();
      expect(sink.outcomes.at(-1)?.outcome.result).toMatchObject({ sandbox: { mechanism: 'none', network: 'host' } });
    } finally {
      await sandbox.close();
    }
  });
});

describe('egress profile', () => {
  it.each([
    [3, 'egress', 'none'],
    [2, 'egress', 'egress'],
    [2, 'host', 'none'],
    [2, undefined, 'none'],
    [1, 'egress', 'egress'],
    [1, 'host', 'host'],
    [0, 'egress', 'host'],
  ] as const)('ring %s with network %s is %s', (ring, network, want) => {
    expect(sandboxProfile({ ring, workspace: '/w', ...(network !== undefined ? { network } : {}) }).network).toBe(want);
  });

  it('refuses an unknown network mode and bad egress options', () => {
    expect(() => sandboxProfile({ workspace: '/w', network: 'proxy' as never })).toThrow(/network must be/);
    expect(() => createSandbox({ pipeline: new Pipeline({ policy: egressPolicy(1, 2) }), workspace: '/tmp', egress: { forwarder: 'curl' as never } })).toThrow(/egress.forwarder/);
    expect(() => createSandbox({ pipeline: new Pipeline({ policy: egressPolicy(1, 2) }), workspace: '/tmp', egress: { maxConnections: 0 } })).toThrow(/maxConnections/);
    expect(() => createSandbox({ pipeline: new Pipeline({ policy: egressPolicy(1, 2) }), workspace: '/tmp', egress: { via: 'x' } as never })).toThrow(/via/);
  });
});

describe.skipIf(NO_BWRAP)('egress set-up fails closed (real bubblewrap)', () => {
  const plan = (workspace: string, beforeStart: (pid: number) => Promise<void>, command = 'echo ran > marker; echo ran') => {
    const profile = sandboxProfile({ ring: 2, workspace, network: 'egress', limits: { timeMs: 20_000 } });
    return {
      file: BWRAP as string,
      args: bwrapArgs(profile, { layout: systemLayout(), view: [], seccompFd: null, infoFd: 4, command, blockFd: 6 }),
      cwd: '/',
      env: { PATH: '/usr/bin:/bin' },
      limits: profile.limits,
      seccompFile: null,
      infoFd: 4,
      cgroups: null,
      blockFd: 6,
      beforeStart,
    };
  };

  it('does not run the command when the forwarder cannot start, and says why', async () => {
    const ws = freshDir('warden-ws-');
    const r = await runPlan(plan(ws, async () => Promise.reject(new Error('the egress forwarder exited before it listened'))));
    expect(r.started).toBe(false);
    expect(r.stderr).toContain('the egress forwarder exited before it listened');
    expect(r.stdout).toBe('');
    expect(existsSync(join(ws, 'marker'))).toBe(false);
  });

  it('runs the command only after the set-up, with the sandbox process id', async () => {
    const ws = freshDir('warden-ws-');
    let seen = 0;
    const r = await runPlan(
      plan(ws, async (pid) => {
        seen = pid;
        // The command has not run yet: the sandbox waits on its block descriptor.
        expect(existsSync(join(ws, 'marker'))).toBe(false);
        expect(existsSync(`/proc/${pid}/ns/net`)).toBe(true);
      }),
    );
    expect(seen).toBeGreaterThan(1);
    expect(r.started).toBe(true);
    expect(r.stdout).toBe('ran\n');
  });

  it('cuts the connection when the proxy is not there: nothing gets through', async () => {
    const ws = freshDir('warden-ws-');
    let stop: (() => Promise<void>) | undefined;
    const r = await runPlan(
      plan(
        ws,
        async (pid) => {
          ({ stop } = await startForwarder({ pid, socketPath: join(ws, 'no-proxy-here.sock'), kind: 'socat' }));
        },
        'curl -sS --max-time 10 -x http://127.0.0.1:3128 http://example.com/; echo "exit=$?"',
      ),
    );
    await stop?.();
    expect(r.started).toBe(true);
    // The forwarder accepted (not 7, refused) and cut the connection when the proxy could not be reached.
    expect(r.stdout).toMatch(/exit=(52|56)\n/);
  });

  it('rejects a forwarder for a process that does not exist', async () => {
    await expect(startForwarder({ pid: 2 ** 22 + 17, socketPath: '/nonexistent.sock', kind: 'socat', timeoutMs: 5_000 })).rejects.toThrow(/egress forwarder/);
  });
});
