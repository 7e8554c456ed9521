/**
 * `warden id`, `warden token verify` and `warden ucan` run as a user runs them: the built CLI in a
 * child process, in a scratch directory.
 */
import { generateKeyPairSync } from 'node:crypto';
import { lstat, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyRevocationList, verifyRotation } from '../../src/identity/index.js';
import { runCli, type CliRun } from '../helpers/cli.js';

const main = inject('wardenCli');
let dir: string;
const warden = (args: string[]): Promise<CliRun> => runCli(main, args, { cwd: dir });
const json = (r: CliRun): Record<string, unknown> => {
  if (r.code !== 0 && r.code !== 1) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-id-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('warden id', () => {
  it('new writes a 0600 key, show prints its DID and public key (never the private key), and a second new refuses to overwrite', async () => {
    const created = json(await warden(['id', 'new', 'bot', '--json']));
    expect(created.did).toMatch(/^did:key:z6Mk/);
    expect((await lstat(join(dir, '.warden/identity/bot.key.json'))).mode & 0o777).toBe(0o600);
    const shown = await warden(['id', 'show', 'bot', '--json', '--document']);
    expect(json(shown)).toMatchObject({ did: created.did, publicKeyJwk: { kty: 'OKP', crv: 'Ed25519' }, document: { id: created.did } });
    expect(shown.stdout).not.toMatch(/"d"|seed/);
    const again = await warden(['id', 'new', 'bot']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
  });

  it('rotate signs a statement both keys verify, keeps the old key retired, and revokes it in a signed list', async () => {
    const before = json(await warden(['id', 'new', 'svc', '--json']));
    json(await warden(['id', 'new', 'admin', '--json']));
    const rotated = json(await warden(['id', 'rotate', 'svc', '--revoke-by', 'admin', '--reason', 'scheduled', '--json']));
    expect(rotated.previous).toBe(before.did);
    expect(verifyRotation(JSON.parse(await readFile(join(dir, rotated.statement as string), 'utf8')))).toMatchObject({ previous: before.did, next: rotated.next });
    expect((await readdir(join(dir, '.warden/identity'))).some((f) => f.startsWith('svc.retired-'))).toBe(true);
    const admin = json(await warden(['id', 'show', 'admin', '--json']));
    const list = verifyRevocationList(JSON.parse(await readFile(join(dir, '.warden/identity/revocations.json'), 'utf8')), { issuer: admin.did as string });
    expect(list.isRevoked(before.did as string)).toBe(true);
    expect(json(await warden(['id', 'show', 'svc', '--json'])).did).toBe(rotated.next);
  });

  it('revoke adds to the list kept by --by, and refuses a list kept by another identity', async () => {
    json(await warden(['id', 'new', 'keeper2', '--json']));
    const r = json(await warden(['id', 'revoke', 'bafyreigyftnzjf4rcu7glp5kfop53vqlopc3zcldauoqdxqlz7t4343gr4', '--by', 'admin', '--json']));
    expect(r.sequence).toBe(2);
    const wrong = await warden(['id', 'revoke', 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp', '--by', 'keeper2']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('not by the trusted');
    expect((await warden(['id', 'revoke', 'not-an-id', '--by', 'admin'])).code).toBe(2);
  });
});

describe('warden token verify', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1' };
  const token = (claims: Record<string, unknown>, exp = Math.floor(Date.now() / 1000) + 600): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).setIssuer('https://idp.example').setAudience('warden').setExpirationTime(exp).sign(privateKey);

  it('exits 0 for a valid token and 1 for an expired one or a wrong audience, with --json', async () => {
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
    const ok = await warden(['token', 'verify', await token({ sub: 'agent-1' }), '--jwks', 'jwks.json', '--issuer', 'https://idp.example', '--audience', 'warden', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, agent: 'agent-1', keyId: 'k1' });
    const expired = await warden(['token', 'verify', await token({ sub: 'agent-1' }, 1000), '--jwks', 'jwks.json', '--issuer', 'https://idp.example', '--audience', 'warden']);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toContain('"exp" claim');
    const aud = await warden(['token', 'verify', await token({ sub: 'agent-1' }), '--jwks', 'jwks.json', '--audience', 'other']);
    expect(aud.code).toBe(1);
  });

  it('refuses an HMAC allowlist as a usage error', async () => {
    await writeFile(join(dir, 'key.json'), JSON.stringify(jwk));
    const r = await warden(['token', 'verify', await token({ sub: 'a' }), '--key', 'key.json', '--alg', 'HS256']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('never "none" or an HMAC algorithm');
  });
});

describe('warden ucan', () => {
  it('delegates, invokes and verifies a two-link chain, and names the spec error for a broken one', async () => {
    const alice = json(await warden(['id', 'new', 'alice', '--json']));
    const bob = json(await warden(['id', 'new', 'bob', '--json']));
    const carol = json(await warden(['id', 'new', 'carol', '--json']));
    json(await warden(['ucan', 'delegate', '--as', 'alice', '--to', bob.did as string, '--cmd', '/crm', '--pol', '[["==",".region","eu"]]', '--out', 'root.ucan', '--json']));
    json(await warden(['ucan', 'delegate', '--as', 'bob', '--to', carol.did as string, '--cmd', '/crm/read', '--exp', '1h', '--proof', 'root.ucan', '--out', 'child.ucan', '--json']));
    json(await warden(['ucan', 'invoke', '--as', 'carol', '--sub', alice.did as string, '--cmd', '/crm/read', '--args', '{"region":"eu"}', '--proof', 'root.ucan', 'child.ucan', '--out', 'inv.ucan', '--json']));
    const ok = await warden(['ucan', 'verify', 'inv.ucan', '--proof', 'root.ucan', 'child.ucan', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, depth: 2, issuer: carol.did, subject: alice.did });

    json(await warden(['ucan', 'invoke', '--as', 'carol', '--sub', alice.did as string, '--cmd', '/crm/read', '--args', '{"region":"us"}', '--proof', 'root.ucan', 'child.ucan', '--out', 'bad.ucan', '--json']));
    const bad = await warden(['ucan', 'verify', 'bad.ucan', '--proof', 'root.ucan', 'child.ucan']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('MatchError');
    const missing = await warden(['ucan', 'verify', 'inv.ucan', '--proof', 'root.ucan', '--json']);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, error: { name: 'UnavailableProof' } });
  });

  it('refuses to delegate a wider command than the proof', async () => {
    const carol = json(await warden(['id', 'show', 'carol', '--json']));
    const r = await warden(['ucan', 'delegate', '--as', 'bob', '--to', carol.did as string, '--cmd', '/', '--exp', '1h', '--proof', 'root.ucan']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot widen');
  });
});
