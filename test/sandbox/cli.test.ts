/** `warden exec` end to end: the built CLI decides, runs in the real sandbox, and exits with the command's status. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { createServer } from 'node:http';
import { egressPolicyText, freshDir, NO_BWRAP, POLICY_TEXT } from './helpers.js';

describe.skipIf(NO_BWRAP)('warden exec', () => {
  let main: string;
  const dir = freshDir('warden-exec-cli-');
  const policy = join(dir, 'policy.yaml');
  beforeAll(() => {
    main = inject('wardenCli');
    writeFileSync(policy, POLICY_TEXT);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs an allowed command in the sandbox and exits with the command's status", async () => {
    const r = await runCli(main, ['exec', '-p', policy, '--', 'echo out; echo err >&2; test -d /root || echo sandboxed; exit 3'], { cwd: dir });
    expect(r.stdout).toBe('out\nsandboxed\n');
    expect(r.stderr).toContain('err');
    expect(r.code).toBe(3);
  });

  it('quotes several words into one command line', async () => {
    const r = await runCli(main, ['exec', '-p', policy, '--', 'printf', '%s|', 'a b', "it's"], { cwd: dir });
    expect(r.stdout).toBe("a b|it's|");
    expect(r.code).toBe(0);
  });

  it('does not run a denied command, says why, and exits 1', async () => {
    const r = await runCli(main, ['exec', '-p', policy, '--', 'touch ran; curl http://example.com'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Network tools are not available to the agent');
    expect(() => readFileSync(join(dir, 'ran'))).toThrow();
  });

  it('prints the result and the profile as JSON, and records the outcome with --audit', async () => {
    const audit = join(dir, 'audit.jsonl');
    const r = await runCli(main, ['exec', '-p', policy, '--ring', '3', '--json', '--audit', audit, '--', 'echo x > f'], { cwd: dir });
    const out = JSON.parse(r.stdout) as { ran: boolean; exitCode: number; profile: { ring: number; writable: string[] }; enforcement: { mechanism: string } };
    expect(out).toMatchObject({ ran: true, profile: { ring: 3, writable: [] }, enforcement: { mechanism: 'bubblewrap' } });
    expect(out.exitCode).not.toBe(0);
    expect(readFileSync(audit, 'utf8')).toContain('"type":"outcome"');
  });

  it('with the coding-agent example policy, a Makefile cannot run a program the policy does not list', async () => {
    const project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'Makefile'), "all:\n\t@echo building\n\t@python3 -c 'print(6 * 7)'\n");
    const r = await runCli(main, ['exec', '-p', join(ROOT, 'examples/policies/coding-agent-shell.yaml'), '--', 'make'], { cwd: project });
    expect(r.stdout).toContain('building');
    expect(r.stdout).not.toContain('42');
    expect(r.stderr).toMatch(/python3: (not found|No such file or directory)/);
    expect(r.code).not.toBe(0);
  });

  it('explains what would enforce a run, as JSON, without running anything', async () => {
    const r = await runCli(main, ['exec', '-p', policy, '--ring', '3', '--explain', '--', 'touch explained'], { cwd: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { profile: { ring: number }; enforcement: { mechanism: string; supervisor: { sourceHash: string } | null; landlock: { abi: number; fs: boolean; net: boolean } | false } };
    expect(out.profile.ring).toBe(3);
    expect(out.enforcement.mechanism).toBe('bubblewrap');
    expect(out.enforcement.supervisor?.sourceHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(out.enforcement.landlock).toMatchObject({ fs: true });
    expect(() => readFileSync(join(dir, 'explained'))).toThrow();
  });

  it('builds the supervisor with --build-supervisor and says where', async () => {
    const r = await runCli(main, ['exec', '--build-supervisor'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ path: expect.stringMatching(/warden-supervise$/), sourceHash: expect.stringMatching(/^sha256:/) });
  });

  it('refuses an exec of a denied program inside the run and lists it in --json and the audit log', async () => {
    const audit = join(dir, 'audit-execs.jsonl');
    const r = await runCli(main, ['exec', '-p', policy, '--json', '--audit', audit, '--', "printf '/usr/bin/curl -s http://127.0.0.1:9/\\n' > s.sh; sh s.sh; echo rc=$?"], { cwd: dir });
    const out = JSON.parse(r.stdout) as { stdout: string; execs: { path: string; effect: string; reason: string }[] };
    expect(out.stdout).toContain('rc=');
    expect(out.execs.find((e) => e.path === '/usr/bin/curl')).toMatchObject({ effect: 'deny', reason: 'Network tools are not available to the agent' });
    expect(readFileSync(audit, 'utf8')).toContain('"path":"/usr/bin/curl"');
  });

  it('rejects a bad ring before deciding anything', async () => {
    const r = await runCli(main, ['exec', '-p', policy, '--ring', '7', '--', 'true'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--ring must be 0, 1, 2 or 3');
  });

  it('reaches an allowlisted server with --network egress and prints the connections with --json', async () => {
    const server = createServer((req, res) => res.end(`served ${req.url}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const egressPolicy = join(dir, 'egress.yaml');
    writeFileSync(egressPolicy, egressPolicyText(port, port + 1));
    // The proxy variables exempt localhost (the sandbox's own loopback); the test server is reached through the proxy on purpose.
    const fetch = `import urllib.request as u; print(u.urlopen('http://localhost:${port}/via-cli', timeout=20).read().decode())`;
    try {
      const r = await runCli(main, ['exec', '-p', egressPolicy, '--network', 'egress', '--json', '--', 'env', '-u', 'no_proxy', '-u', 'NO_PROXY', 'python3', '-c', fetch], { cwd: dir });
      const out = JSON.parse(r.stdout) as { stdout: string; connections: { host: string; allowed: boolean }[]; profile: { network: string } };
      expect(out.stdout, r.stdout).toContain("served /via-cli");
      expect(out.profile.network).toBe('egress');
      expect(out.connections).toMatchObject([{ host: 'localhost', allowed: true }]);
      expect(r.code).toBe(0);
      const bad = await runCli(main, ['exec', '-p', egressPolicy, '--network', 'anywhere', '--', 'true'], { cwd: dir });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--network must be none, egress or host');
    } finally {
      server.close();
    }
  });
});
