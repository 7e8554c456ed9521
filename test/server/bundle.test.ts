import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/audit/keys.js';
import { bundleOf } from '../../src/server/bundle-build.js';
import { BundleError, bundleText, type PolicyBundle } from '../../src/server/bundle-format.js';
import { signBundle } from '../../src/server/bundle-sign.js';
import { verifyBundle } from '../../src/server/bundle-verify.js';
import { POLICY_YAML, startServer, tempDir, type Running } from './fixture.js';

const signer = generateKeyPair();
const stranger = generateKeyPair();
const DENY_READS = POLICY_YAML.replace('tools: [read_file, read]\n    effect: allow', 'tools: [read_file, read]\n    effect: deny');

function signed(revision: number, text = POLICY_YAML, key = signer.privateKey): PolicyBundle {
  return signBundle(bundleOf([{ name: 'policies/serve.yaml', text }], revision), key);
}

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof BundleError) return e.reason;
    throw e;
  }
  return 'verified';
}

describe('policy bundles: verify', () => {
  const good = signed(3);
  const goodText = bundleText(good);

  // [name, bundle text, expected reason]
  const cases: Array<[string, () => string, string]> = [
    ['a bundle signed by the trusted key', () => goodText, 'verified'],
    ['the same bundle re-serialized with other whitespace', () => JSON.stringify(good, null, 2), 'verified'],
    ['a policy file altered after signing', () => bundleText({ ...good, files: { 'policies/serve.yaml': DENY_READS } }), 'file_hash_mismatch'],
    ['a file added after signing', () => bundleText({ ...good, files: { ...good.files, 'policies/extra.yaml': POLICY_YAML } }), 'unlisted_file'],
    ['a listed file removed', () => bundleText({ ...good, files: {} }), 'missing_file'],
    ['signed by another key', () => bundleText(signed(3, POLICY_YAML, stranger.privateKey)), 'unknown_key'],
    ['another key\'s signature relabelled with the trusted keyid', () => bundleText({ ...good, signatures: [{ ...(signed(3, POLICY_YAML, stranger.privateKey).signatures[0] as PolicyBundle['signatures'][0]), keyid: good.signatures[0]!.keyid }] }), 'bad_signature'],
    ['the revision raised after signing', () => bundleText({ ...good, manifest: { ...good.manifest, revision: 99 } }), 'bad_signature'],
    ['the manifest hash changed to match altered content', () => bundleText({ ...good, manifest: { ...good.manifest, files: [{ ...good.manifest.files[0]!, hash: 'a'.repeat(64) }] } }), 'bad_signature'],
    ['unsigned', () => bundleText({ ...good, signatures: [] }), 'unsigned'],
    ['truncated', () => goodText.slice(0, Math.floor(goodText.length / 2)), 'malformed'],
    ['empty', () => '', 'malformed'],
    ['a repeated key', () => goodText.replace('{"apiVersion"', '{"kind":"PolicyBundle","apiVersion"'), 'malformed'],
    ['an unknown top-level member', () => bundleText({ ...good, extra: 1 } as never), 'malformed'],
    ['a file name escaping upward', () => JSON.stringify({ ...good, files: { '../etc/passwd': 'x' } }), 'malformed'],
    ['a __proto__ file name (an own key, not the prototype)', () => goodText.replace('"files":{', '"files":{"__proto__":"x",'), 'unlisted_file'],
  ];

  it.each(cases)('%s -> %s', (_name, text, reason) => {
    expect(reasonOf(() => verifyBundle(text(), signer.publicKey))).toBe(reason);
  });

  it('signs with domain separation: the bare manifest signature does not verify as a bundle signature', async () => {
    const { sign } = await import('node:crypto');
    const { canonicalJson } = await import('../../src/lib/canonical-json.js');
    const bare = sign(null, Buffer.from(canonicalJson(good.manifest)), signer.privateKey).toString('base64url');
    const forged = { ...good, signatures: [{ ...good.signatures[0]!, signature: bare }] };
    expect(reasonOf(() => verifyBundle(bundleText(forged), signer.publicKey))).toBe('bad_signature');
  });

  it('hands out the policy sources and the revision of a verified bundle', () => {
    const v = verifyBundle(goodText, signer.publicKey);
    expect(v.revision).toBe(3);
    expect(v.sources).toEqual([{ name: 'policies/serve.yaml', text: POLICY_YAML }]);
  });
});

describe('policy bundles: the service', () => {
  let dir: string;
  let path: string;
  let s: Running;
  const write = (bundle: PolicyBundle | string) => writeFileSync(path, typeof bundle === 'string' ? bundle : bundleText(bundle));
  const ready = async () => JSON.parse((await s.get('/readyz', {})).text) as { ready: boolean; policy: { revision: number | null; lastError: { reason: string } | null; failures: number } };
  const poll = async () => {
    await s.server.pollBundle();
  };

  beforeAll(async () => {
    dir = tempDir();
    path = join(dir, 'policy.bundle.json');
    write(signed(1));
    s = await startServer({ bundle: { source: path, publicKey: signer.publicKey, pollIntervalMs: 3_600_000, push: true } }, dir);
  });
  afterAll(async () => s.close());

  it('activates a verified bundle and reports its revision in every decision and record', async () => {
    expect((await ready()).policy.revision).toBe(1);
    const r = await s.post('/v1/decide', { tool: 'read_file', args: {} });
    expect(r.body).toMatchObject({ allowed: true, revision: 1 });
    const rec = s.records().find((x) => x.call === r.body.call) as { request: { context: { bundleRevision: number } } };
    expect(rec.request.context.bundleRevision).toBe(1);
  });

  it('a caller cannot claim another revision in its context', async () => {
    const r = await s.post('/v1/decide', { tool: 'read_file', args: {}, context: { bundleRevision: 42 } });
    const rec = s.records().find((x) => x.call === r.body.call) as { request: { context: { bundleRevision: number } } };
    expect(rec.request.context.bundleRevision).toBe(1);
  });

  // Each failure keeps the last good bundle serving, and readyz and metrics say why.
  const failures: Array<[string, () => PolicyBundle | string, string]> = [
    ['tampered file', () => ({ ...signed(2), files: { 'policies/serve.yaml': DENY_READS } }), 'file_hash_mismatch'],
    ['file added after signing', () => ({ ...signed(2), files: { 'policies/serve.yaml': POLICY_YAML, 'policies/more.yaml': DENY_READS } }), 'unlisted_file'],
    ['wrong key', () => signed(2, DENY_READS, stranger.privateKey), 'unknown_key'],
    ['truncated bundle', () => bundleText(signed(2, DENY_READS)).slice(0, 100), 'malformed'],
    ['replay of an older revision', () => signed(1, DENY_READS), 'revision_downgrade'],
    ['verified but its policy does not compile', () => signed(2, 'apiVersion: warden/v1\nkind: Policy\nrules: 7\n'), 'policy_invalid'],
  ];
  it.each(failures)('keeps the last good bundle when the new one fails: %s', async (_name, bundle, reason) => {
    write(bundle());
    await poll();
    const r = await ready();
    expect(r.ready).toBe(true);
    expect(r.policy.revision).toBe(1);
    expect(r.policy.lastError?.reason).toBe(reason);
    expect((await s.post('/v1/decide', { tool: 'read_file', args: {} })).body).toMatchObject({ allowed: true, revision: 1 });
    expect((await s.get('/metrics')).text).toMatch(/warden_server_bundle_last_failed 1/);
  });

  it('a pushed bundle is verified before activation; a refused push says why with its reason', async () => {
    const refused = await s.post('/v1/bundle', bundleText(signed(1, DENY_READS)));
    expect(refused.status).toBe(409);
    expect(refused.body.reason).toBe('revision_downgrade');
    expect(refused.body.error).toMatchObject({ code: 'bundle_refused' });
    const unauth = await s.post('/v1/bundle', bundleText(signed(5, DENY_READS)), {});
    expect(unauth.status).toBe(401);
    const ok = await s.post('/v1/bundle', bundleText(signed(5, DENY_READS)));
    expect(ok.body).toMatchObject({ revision: 5, changed: true });
    expect((await s.post('/v1/decide', { tool: 'read_file', args: {} })).body).toMatchObject({ allowed: false, revision: 5 });
  });

  it('activates a newer revision from the poll and the same revision again is no change', async () => {
    write(signed(6));
    await poll();
    expect((await ready()).policy).toMatchObject({ revision: 6, lastError: null });
    expect((await s.post('/v1/decide', { tool: 'read_file', args: {} })).body).toMatchObject({ allowed: true, revision: 6 });
    expect((await s.post('/v1/bundle', bundleText(signed(6)))).body).toMatchObject({ revision: 6, changed: false });
  });
});

describe('policy bundles: no policy yet', () => {
  it('is not ready and denies every call until a bundle verifies', async () => {
    const dir = tempDir();
    const path = join(dir, 'missing.bundle.json');
    const s = await startServer({ bundle: { source: path, publicKey: signer.publicKey, pollIntervalMs: 3_600_000, push: true } }, dir);
    try {
      const ready = await s.get('/readyz', {});
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.text).policy.lastError.reason).toBe('unreadable');
      const r = await s.post('/v1/decide', { tool: 'read_file', args: {} });
      expect(r.body).toMatchObject({ allowed: false, effect: 'deny', revision: null });
      expect((await s.post('/v1/bundle', bundleText(signed(1)))).status).toBe(200);
      expect((await s.get('/readyz', {})).status).toBe(200);
      expect((await s.post('/v1/decide', { tool: 'read_file', args: {} })).body).toMatchObject({ allowed: true, revision: 1 });
    } finally {
      await s.close();
    }
  });
});

describe('policy bundles: from a URL', () => {
  it('downloads, verifies and activates a bundle over HTTP; a 404 later is a failure that keeps it', async () => {
    const { createServer } = await import('node:http');
    let body: string | null = bundleText(signed(4));
    const origin = createServer((req, res) => {
      if (body === null) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    const port = (origin.address() as { port: number }).port;
    const s = await startServer({ bundle: { source: `http://127.0.0.1:${port}/warden.bundle.json`, publicKey: signer.publicKey, pollIntervalMs: 3_600_000 } });
    try {
      expect(s.server.status()).toMatchObject({ ready: true, revision: 4 });
      body = null;
      await s.server.pollBundle();
      expect(s.server.status()).toMatchObject({ ready: true, revision: 4, lastError: { reason: 'unreadable' } });
      expect((await s.post('/v1/decide', { tool: 'read_file', args: {} })).body).toMatchObject({ allowed: true, revision: 4 });
    } finally {
      await s.close();
      await new Promise((r) => origin.close(r));
    }
  });
});
