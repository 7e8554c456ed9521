/**
 * `warden serve --oidc-*`: the real CLI process serves the dashboard with OIDC login only (no
 * logins file), against a real provider in the test process. A person with a role logs in and sees
 * the overview; one without is refused with 403; each attempt is one line on the service's stderr
 * with its code. The flags are checked before anything starts.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { oidcLogin } from '../dashboard/oidc-flow.js';
import { CLIENT_ID, CLIENT_SECRET, startOidcProvider, type OidcProviderFixture } from '../dashboard/oidc-provider-fixture.js';
import { POLICY_YAML } from './fixture.js';

let main: string;
let dir: string;
let provider: OidcProviderFixture;
let child: ChildProcessWithoutNullStreams;
let base: string;
let stderr = '';

/** A port free a moment ago (the redirect URI must name it before the service starts). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  main = inject('wardenCli');
  dir = mkdtempSync(join(tmpdir(), 'warden-serve-oidc-'));
  writeFileSync(join(dir, 'policy.yaml'), POLICY_YAML);
  writeFileSync(join(dir, 'client-secret'), `${CLIENT_SECRET}\n`);
  writeFileSync(join(dir, 'ui-secret'), 'ui-session-secret-0123456789abcdef0123456789\n');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  provider = await startOidcProvider(`${base}/ui/oidc/callback`);
  child = spawn(process.execPath, [main, 'serve', '--policy', 'policy.yaml', '--listen', `127.0.0.1:${port}`, '--oidc-issuer', provider.issuer, '--oidc-client-id', CLIENT_ID, '--oidc-client-secret-file', 'client-secret', '--dashboard-secret-file', 'ui-secret'], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', WARDEN_SERVE_TOKEN: 'svc-token-0123456789abcdef0123' },
  });
  await new Promise<void>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (/listening on /.test(stderr)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`warden serve exited ${code}: ${stderr}`)));
  });
});

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await provider?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('warden serve with OIDC login', () => {
  it('says where the dashboard is and which provider it trusts', () => {
    expect(stderr).toContain(`dashboard ${base}/ui (OIDC login through ${provider.issuer})`);
  });

  it('logs a person in through the provider: the session opens the overview, and the service logs the login', async () => {
    const landed = await oidcLogin(provider, base, 'alice-sub');
    expect(landed.status).toBe(200);
    const home = await fetch(`${base}/ui/`, { headers: { cookie: `warden_session=${landed.cookies.warden_session as string}` }, redirect: 'manual' });
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('<span>oidc:alice-sub</span>');
    expect(stderr).toContain('OIDC login of oidc:alice-sub with roles finance,kill');
  });

  it('refuses an account without a role with 403 and logs the code', async () => {
    const landed = await oidcLogin(provider, base, 'norole-sub');
    expect(landed.status).toBe(403);
    expect(landed.cookies.warden_session).toBeUndefined();
    expect(stderr).toMatch(/OIDC login refused \(ERR_OIDC:no_role\)/);
  });

  it('has no token form and no anonymous read', async () => {
    expect(await (await fetch(`${base}/ui/login`)).text()).not.toContain('name="token"');
    const r = await fetch(`${base}/ui/decisions`, { redirect: 'manual' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/ui/login');
  });
});

describe('warden serve --oidc-* usage', () => {
  it.each([
    { args: ['--oidc-client-id', 'x'], says: 'go with --oidc-issuer' },
    { args: ['--oidc-issuer', 'https://login.example.com'], says: 'needs --oidc-client-id' },
    { args: ['--oidc-issuer', 'https://login.example.com', '--oidc-client-id', 'x', '--listen', '0.0.0.0:8181'], says: '--oidc-redirect-uri' },
    { args: ['--oidc-issuer', 'http://login.example.com', '--oidc-client-id', 'x'], says: 'https URL' },
  ])('refuses $args before starting', async ({ args, says }) => {
    const r = await runCli(main, ['serve', '--policy', 'policy.yaml', '--listen', '127.0.0.1:0', ...args], { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(says);
  });
});
