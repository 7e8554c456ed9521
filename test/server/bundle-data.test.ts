/**
 * Data files in bundles (src/server/bundle-data.ts): listed, hashed and signed like the policy
 * files, refused when altered, read by Rego documents as `data.<path>` once active. The cases
 * that decide with Rego need the opa binary `.ci/run` installs; outside CI without it they skip
 * with a message (as test/backends/rego.test.ts does).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOpa } from '../../bench/peers/opa-binary.js';
import { generateKeyPair } from '../../src/audit/keys.js';
import { buildBundle, bundleOf } from '../../src/server/bundle-build.js';
import { BundleError, bundleText, type PolicyBundle } from '../../src/server/bundle-format.js';
import { signBundle } from '../../src/server/bundle-sign.js';
import { verifyBundle } from '../../src/server/bundle-verify.js';
import { POLICY_YAML, startServer, tempDir, type Running } from './fixture.js';

const opa = findOpa();
if (!opa.ok && process.env.CI) throw new Error(opa.reason);
if (!opa.ok) console.warn(`test/server/bundle-data.test.ts skips its Rego cases: ${opa.reason}`);
// The service loads Rego documents as a user's process does: through WARDEN_OPA (or PATH).
if (opa.ok) process.env.WARDEN_OPA = opa.path;

const signer = generateKeyPair();

/** A Rego document that allows fetching a host only when the bundle's data lists it. */
const FETCH_REGO = `package fetch
import rego.v1

decision := {"effect": "allow", "rule": "listed-host"} if {
  input.tool == "fetch"
  input.args.host in data.acl.hosts
}
`;

function signed(revision: number, files: Record<string, string>): PolicyBundle {
  return signBundle(bundleOf(Object.entries(files).map(([name, text]) => ({ name, text })), revision), signer.privateKey);
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

describe('bundles with data files: verify', () => {
  const good = signed(2, { 'policies/serve.yaml': POLICY_YAML, 'data/acl/hosts.json': '["a.example"]', 'data/teams.yaml': 'finance: [ana]\n' });

  // [what, the bundle's text, expected reason]
  const cases: Array<[string, () => string, string]> = [
    ['policies and data, signed', () => bundleText(good), 'verified'],
    ['a data file altered after signing', () => bundleText({ ...good, files: { ...good.files, 'data/acl/hosts.json': '["a.example","evil.example"]' } }), 'file_hash_mismatch'],
    ['a data file added after signing', () => bundleText({ ...good, files: { ...good.files, 'data/extra.json': '{}' } }), 'unlisted_file'],
    ['a data file removed after signing', () => bundleText({ ...good, files: { 'policies/serve.yaml': POLICY_YAML, 'data/teams.yaml': 'finance: [ana]\n' } }), 'missing_file'],
    ['a data file whose name is not a data path', () => bundleText(signed(2, { 'policies/serve.yaml': POLICY_YAML, 'data/acl-hosts.json': '[]' })), 'malformed'],
    ['a data file of another type', () => bundleText(signed(2, { 'policies/serve.yaml': POLICY_YAML, 'data/hosts.txt': 'a.example' })), 'malformed'],
    ['data files only, no policy', () => bundleText(signed(2, { 'data/hosts.json': '[]' })), 'malformed'],
  ];
  it.each(cases)('%s -> %s', (_what, text, reason) => {
    expect(reasonOf(() => verifyBundle(text(), signer.publicKey))).toBe(reason);
  });

  it('hands out data files apart from the policy files', () => {
    const v = verifyBundle(bundleText(good), signer.publicKey);
    expect(v.sources.map((s) => s.name)).toEqual(['policies/serve.yaml']);
    expect(v.data.map((s) => s.name)).toEqual(['data/acl/hosts.json', 'data/teams.yaml']);
  });

  it('buildBundle puts data files under data/ with their path below the directory given', async () => {
    const dir = tempDir('warden-bundle-data-');
    mkdirSync(join(dir, 'data', 'acl'), { recursive: true });
    writeFileSync(join(dir, 'policy.yaml'), POLICY_YAML);
    writeFileSync(join(dir, 'data', 'acl', 'hosts.json'), '["a.example"]');
    writeFileSync(join(dir, 'data', 'teams.yml'), 'finance: [ana]\n');
    writeFileSync(join(dir, 'data', 'README.md'), 'not data');
    const built = await buildBundle([join(dir, 'policy.yaml')], 3, [join(dir, 'data')]);
    expect(built.manifest.files.map((f) => f.name)).toEqual(['data/acl/hosts.json', 'data/teams.yml', 'policies/policy.yaml']);
    writeFileSync(join(dir, 'bad-name.json'), '[]');
    await expect(buildBundle([join(dir, 'policy.yaml')], 3, [join(dir, 'bad-name.json')])).rejects.toMatchObject({ reason: 'malformed' });
  });
});

describe('bundles with data files: the service', () => {
  let dir: string;
  let path: string;
  let s: Running;
  const write = (bundle: PolicyBundle | string) => writeFileSync(path, typeof bundle === 'string' ? bundle : bundleText(bundle));
  const ready = async () => JSON.parse((await s.get('/readyz', {})).text) as { policy: { revision: number; digest: string; lastError: { reason: string; code: string } | null } };

  beforeAll(async () => {
    dir = tempDir();
    path = join(dir, 'policy.bundle.json');
    write(signed(1, { 'policies/serve.yaml': POLICY_YAML, 'data/acl/hosts.json': '["a.example"]' }));
    s = await startServer({ bundle: { source: path, publicKey: signer.publicKey, pollIntervalMs: 3_600_000 } }, dir);
  });
  afterAll(async () => s.close());

  it('a new revision that changes only data is another policy: a new digest in answers and records', async () => {
    const before = (await ready()).policy;
    write(signed(2, { 'policies/serve.yaml': POLICY_YAML, 'data/acl/hosts.json': '["a.example","b.example"]' }));
    await s.server.pollBundle();
    const after = (await ready()).policy;
    expect(after.revision).toBe(2);
    expect(after.digest).not.toBe(before.digest);
    const r = await s.post('/v1/decide', { tool: 'read_file', args: {} });
    expect(r.body).toMatchObject({ allowed: true, revision: 2, policyDigest: after.digest });
  });

  // Each keeps the last good bundle serving.
  const failures: Array<[string, () => PolicyBundle | string, string]> = [
    ['a data file altered after signing', () => ({ ...signed(3, { 'policies/serve.yaml': POLICY_YAML, 'data/acl/hosts.json': '["a.example"]' }), files: { 'policies/serve.yaml': POLICY_YAML, 'data/acl/hosts.json': '["evil.example"]' } }), 'file_hash_mismatch'],
    ['a signed data file that is not JSON', () => signed(3, { 'policies/serve.yaml': POLICY_YAML, 'data/acl/hosts.json': '["a.example",' }), 'data_invalid'],
    ['a signed data file with a repeated key', () => signed(3, { 'policies/serve.yaml': POLICY_YAML, 'data/acl.json': '{"hosts":[],"hosts":["evil.example"]}' }), 'data_invalid'],
    ['a signed YAML data file with an alias', () => signed(3, { 'policies/serve.yaml': POLICY_YAML, 'data/acl.yaml': 'a: &x [1]\nb: *x\n' }), 'data_invalid'],
    ['a signed YAML data file with two documents', () => signed(3, { 'policies/serve.yaml': POLICY_YAML, 'data/acl.yaml': 'a: 1\n---\nb: 2\n' }), 'data_invalid'],
    ['a signed data file nested too deep', () => signed(3, { 'policies/serve.yaml': POLICY_YAML, 'data/deep.json': `${'['.repeat(70)}${']'.repeat(70)}` }), 'data_invalid'],
    ['two signed data files at overlapping paths', () => signed(3, { 'policies/serve.yaml': POLICY_YAML, 'data/acl.json': '{"hosts":[]}', 'data/acl/hosts.json': '["evil.example"]' }), 'policy_invalid'],
  ];
  it.each(failures)('keeps the last good bundle when the new one fails: %s -> %s', async (_what, bundle, reason) => {
    write(bundle());
    await s.server.pollBundle();
    const r = (await ready()).policy;
    expect(r.revision).toBe(2);
    expect(r.lastError).toMatchObject({ reason, code: 'ERR_BUNDLE' });
    expect((await s.post('/v1/decide', { tool: 'read_file', args: {} })).body).toMatchObject({ allowed: true, revision: 2 });
  });
});

describe.skipIf(!opa.ok)('bundles with data files: Rego policies read them', () => {
  let dir: string;
  let path: string;
  let s: Running;
  const write = (bundle: PolicyBundle) => writeFileSync(path, bundleText(bundle));
  const fetchHost = async (host: string) => (await s.post('/v1/decide', { tool: 'fetch', args: { host } })).body as { allowed: boolean; rule: string | null; revision: number };

  beforeAll(async () => {
    dir = tempDir();
    path = join(dir, 'policy.bundle.json');
    write(signed(1, { 'policies/fetch.rego': FETCH_REGO, 'data/acl/hosts.json': '["a.example"]' }));
    s = await startServer({ bundle: { source: path, publicKey: signer.publicKey, pollIntervalMs: 3_600_000 } }, dir);
  }, 60_000);
  afterAll(async () => s.close());

  it('decides with the data of the revision in force, and with the new data after the next revision', async () => {
    expect(await fetchHost('a.example')).toMatchObject({ allowed: true, rule: 'listed-host', revision: 1 });
    expect(await fetchHost('b.example')).toMatchObject({ allowed: false, revision: 1 });
    write(signed(2, { 'policies/fetch.rego': FETCH_REGO, 'data/acl/hosts.yaml': '- b.example\n' }));
    await s.server.pollBundle();
    expect(await fetchHost('b.example')).toMatchObject({ allowed: true, rule: 'listed-host', revision: 2 });
    expect(await fetchHost('a.example')).toMatchObject({ allowed: false, revision: 2 });
  });

  it('a tampered data file that would list another host is refused, and the data in force still decides', async () => {
    const next = signed(3, { 'policies/fetch.rego': FETCH_REGO, 'data/acl/hosts.yaml': '- b.example\n' });
    writeFileSync(path, bundleText({ ...next, files: { ...next.files, 'data/acl/hosts.yaml': '- b.example\n- evil.example\n' } }));
    await s.server.pollBundle();
    expect(await fetchHost('evil.example')).toMatchObject({ allowed: false, revision: 2 });
    expect(await fetchHost('b.example')).toMatchObject({ allowed: true, revision: 2 });
  });
});
