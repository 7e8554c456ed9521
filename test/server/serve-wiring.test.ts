/**
 * `warden serve` wires the fleet parts together from its flags: a call that requires approval
 * waits in the approval queue on the service's store and is answered with `warden approvals`
 * from another process; `--dashboard` mounts the dashboard behind its own login; a deployment's
 * token comes from WARDEN_SERVE_TOKEN; `--audit-postgres` without its HMAC key is refused.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { POLICY_YAML } from './fixture.js';

let main: string;
let dir: string;
const TOKEN = 'svc-token-0123456789abcdef0123';
beforeAll(() => {
  main = inject('wardenCli');
  dir = mkdtempSync(join(tmpdir(), 'warden-serve-wiring-'));
  writeFileSync(join(dir, 'policy.yaml'), POLICY_YAML);
  writeFileSync(join(dir, 'logins'), '# name token roles\nalice alice-token-0123456789abcdef finance,kill\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const child = spawn(process.execPath, [main, 'serve', '--policy', 'policy.yaml', '--listen', '127.0.0.1:0', ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env } });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /listening on (http:\/\/[^ ]+)/.exec(stderr);
      if (m) resolve(m[1] as string);
    });
    child.on('exit', (code) => reject(new Error(`warden serve exited ${code}: ${stderr}`)));
  });
  return { child, url };
}

async function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}

const decide = (url: string, body: unknown, token = TOKEN) =>
  fetch(`${url}/v1/decide`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('warden serve wiring', () => {
  it('parks a call that requires approval in the queue on its store; warden approvals from another process answers it and the caller proceeds', async () => {
    const store = `sqlite:${join(dir, 'state-a.db')}`;
    const { child, url } = await start(['--store', store, '--audit', 'audit-a'], { WARDEN_SERVE_TOKEN: TOKEN });
    try {
      const pending = decide(url, { tool: 'pay', args: { amount: 5 } });
      pending.catch(() => undefined); // awaited below; a failed assertion before then must not leave it unhandled
      let id = '';
      for (let i = 0; i < 2000 && id === ''; i++) {
        const list = await runCli(main, ['approvals', 'list', '--json', '--store', store], { cwd: dir });
        const line = list.stdout.trim().split('\n').find((l) => l.startsWith('{'));
        if (line !== undefined) id = (JSON.parse(line) as { id: string }).id;
      }
      expect(id).not.toBe('');
      const ok = await runCli(main, ['approvals', 'approve', id, '--as', 'finance', '--store', store], { cwd: dir });
      expect(ok.code, ok.stderr).toBe(0);
      const answer = (await (await pending).json()) as { allowed: boolean; effect: string; approval: { approved: boolean; by?: string } };
      expect(answer).toMatchObject({ allowed: true, effect: 'allow', approval: { approved: true, by: 'finance' } });
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it('takes its bearer token from WARDEN_SERVE_TOKEN (subject "service"), and a wrong token gets 401 and no decision', async () => {
    const { child, url } = await start(['--store', `sqlite:${join(dir, 'state-b.db')}`, '--audit', 'audit-b'], { WARDEN_SERVE_TOKEN: TOKEN });
    try {
      const yes = (await (await decide(url, { tool: 'read_file', args: { path: '/a' } })).json()) as { allowed: boolean };
      expect(yes.allowed).toBe(true);
      const no = await decide(url, { tool: 'read_file', args: { path: '/a' } }, 'not-the-token-0123456789');
      expect(no.status).toBe(401);
      expect(await no.text()).not.toContain('"allowed"');
    } finally {
      await stop(child);
    }
  });

  it('--dashboard mounts the dashboard at /ui: anonymous access goes to its login, and the service routes still need the bearer token', async () => {
    const { child, url } = await start(['--store', `sqlite:${join(dir, 'state-c.db')}`, '--audit', 'audit-c', '--dashboard', 'logins'], { WARDEN_SERVE_TOKEN: TOKEN });
    try {
      const page = await fetch(`${url}/ui/approvals`, { redirect: 'manual' });
      expect([302, 303]).toContain(page.status);
      expect(page.headers.get('location')).toContain('/ui/login');
      const login = await fetch(`${url}/ui/login`);
      expect(login.status).toBe(200);
      expect(login.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(login.headers.get('content-security-policy')).not.toMatch(/script-src/);
      expect((await fetch(`${url}/v1/decide`, { method: 'POST', body: '{}' })).status).toBe(401);
    } finally {
      await stop(child);
    }
  });

  const refusals: Array<[why: string, args: string[], says: RegExp]> = [
    ['--audit-postgres without WARDEN_AUDIT_HMAC_KEY', ['--audit-postgres', 'postgres://127.0.0.1:5432/test'], /WARDEN_AUDIT_HMAC_KEY/],
    ['a dashboard logins file with no logins', ['--dashboard', 'empty-logins'], /no logins/],
    ['--kill-key without a runtime config', ['--dashboard', 'logins', '--kill-key', 'ops'], /--kill-key needs --config/],
    ['a runtime config without signers', ['--config', 'no-signers.json'], /lists no signers/],
    ['an approval timeout that is not a duration', ['--approval-timeout', 'soon'], /--approval-timeout "soon" is not a duration/],
    ['--audit-schema without --audit-postgres', ['--audit-schema', 'staging'], /--audit-schema goes with --audit-postgres/],
    ['--redis-prefix without a Redis', ['--redis-prefix', 'staging:'], /--redis-prefix goes with a Redis store/],
    ['--store-schema on a store that is not PostgreSQL', ['--store-schema', 'staging'], /schema options go with a postgres:\/\/ store/],
  ];
  it.each(refusals)('refuses to start (exit 2, nothing listening) with %s', async (_why, args, says) => {
    expect(process.env.WARDEN_AUDIT_HMAC_KEY ?? '').toBe('');
    writeFileSync(join(dir, 'empty-logins'), '# nobody\n');
    writeFileSync(join(dir, 'no-signers.json'), '{}');
    const r = await runCli(main, ['serve', '--policy', 'policy.yaml', '--listen', '127.0.0.1:0', '--store', 'memory:', ...args], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(says);
    expect(r.stderr).not.toContain('listening on');
  });
});
