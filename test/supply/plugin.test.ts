/**
 * Signed plugin manifests: a real plugin directory signed with a did:key, then changed in each way
 * an attacker (or an accident) changes a plugin after signing; each change fails with its own
 * reason and the code ERR_SUPPLY, and a plugin that fails is never imported.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createIdentity } from '../../src/identity/agent-key.js';
import { createRevocationList, verifyRevocationList } from '../../src/identity/rotation.js';
import { sign } from '../../src/identity/sign.js';
import { SupplyError } from '../../src/supply/errors.js';
import { permissionPolicy, pluginFacts } from '../../src/supply/facts.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { Governor } from '../../src/enforce/governor.js';
import { govern } from '../../src/enforce/govern.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { loadVerifiedPlugin } from '../../src/supply/load-plugin.js';
import { MANIFEST_FILE, MANIFEST_PURPOSE, signedBody, type PluginManifest } from '../../src/supply/manifest.js';
import { signPlugin } from '../../src/supply/sign-plugin.js';
import { verifyPlugin } from '../../src/supply/verify-plugin.js';
import { LOCK, makePlugin, SPEC } from './plugin-fixture.js';

const NOW = new Date('2026-12-01T00:00:00Z');
const acme = createIdentity();
const mallory = createIdentity();
const dirs: string[] = [];

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function signed(): Promise<{ dir: string; marker: string; manifest: PluginManifest }> {
  const marker = join(tmpdir(), `warden-marker-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const dir = makePlugin(marker);
  dirs.push(dir, marker);
  const manifest = await signPlugin(dir, SPEC, acme, { now: NOW });
  return { dir, marker, manifest };
}

function writeManifest(dir: string, m: unknown): void {
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(m));
}

function lockWith(dir: string, change: (packages: Record<string, unknown>) => void): void {
  const lock = structuredClone(LOCK) as typeof LOCK & { packages: Record<string, unknown> };
  change(lock.packages);
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
}

describe('signing and verifying a plugin', () => {
  it('verifies an untouched plugin and reports its publisher and declared permissions', async () => {
    const { dir, manifest } = await signed();
    expect(Object.keys(manifest.files)).toEqual(['index.mjs', 'lib/city.mjs', 'package-lock.json', 'package.json']);
    expect(Object.keys(manifest.dependencies)).toEqual(['node_modules/left-pad', 'node_modules/ms']);
    const r = await verifyPlugin(dir, { publishers: [acme.did] });
    expect(r).toMatchObject({ ok: true, publisher: acme.did, permissions: { tools: ['forecast'], egress: ['api.weather.example'], paths: [] } });
  });

  it('ignores node_modules and .git (dependencies are covered by the lockfile)', async () => {
    const { dir } = await signed();
    mkdirSync(join(dir, 'node_modules', 'left-pad'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'left-pad', 'index.js'), 'module.exports = 1;');
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    expect((await verifyPlugin(dir, { publishers: [acme.did] })).ok).toBe(true);
  });
});

type Tamper = (dir: string, manifest: PluginManifest) => void;

const TAMPERS: Array<[string, Tamper, string]> = [
  ['a file changed after signing', (d) => writeFileSync(join(d, 'lib', 'city.mjs'), 'export const city = () => fetch("https://evil.example");\n'), 'file_changed'],
  ['a file added after signing', (d) => writeFileSync(join(d, 'lib', 'extra.mjs'), 'export {};\n'), 'file_unlisted'],
  ['a listed file removed', (d) => unlinkSync(join(d, 'lib', 'city.mjs')), 'file_missing'],
  ['a dependency hash changed in the lockfile', (d) => lockWith(d, (p) => ((p['node_modules/ms'] as { integrity: string }).integrity = `sha512-${'A'.repeat(86)}==`)), 'dependency_changed'],
  ['a dependency version changed in the lockfile', (d) => lockWith(d, (p) => ((p['node_modules/ms'] as { version: string }).version = '2.1.2')), 'dependency_changed'],
  ['a dependency added after signing', (d) => lockWith(d, (p) => (p['node_modules/event-stream'] = { version: '3.3.6', integrity: 'sha512-' + 'B'.repeat(86) + '==' })), 'dependency_added'],
  ['a dependency removed after signing', (d) => lockWith(d, (p) => delete p['node_modules/ms']), 'dependency_removed'],
  ['the lockfile deleted', (d) => unlinkSync(join(d, 'package-lock.json')), 'lockfile'],
  ['a lockfile entry without integrity (a link)', (d) => lockWith(d, (p) => (p['node_modules/local'] = { link: true, resolved: '../local' })), 'lockfile'],
  ['a declared permission widened in the manifest', (d, m) => writeManifest(d, { ...m, permissions: { ...m.permissions, egress: ['api.weather.example', 'evil.example'] } }), 'signature'],
  ['the manifest re-signed by another key under the same publisher', (d, m) => writeManifest(d, { ...m, signature: sign(mallory, MANIFEST_PURPOSE, signedBody(m)) }), 'signature'],
  ['a signature made for another purpose (domain separation)', (d, m) => writeManifest(d, { ...m, signature: sign(acme, 'agent-message', signedBody(m)) }), 'signature'],
  ['the signature removed', (d, m) => writeManifest(d, { ...m, signature: '' }), 'malformed'],
  ['a symlink to a file outside the plugin', (d) => symlinkSync('/etc/hostname', join(d, 'lib', 'host.txt')), 'unsafe_path'],
  ['a listed file replaced by a symlink out of the plugin', (d) => { unlinkSync(join(d, 'lib', 'city.mjs')); symlinkSync('/etc/hostname', join(d, 'lib', 'city.mjs')); }, 'unsafe_path'],
  ['a directory replaced by a symlink', (d) => { rmSync(join(d, 'lib'), { recursive: true }); symlinkSync(tmpdir(), join(d, 'lib')); }, 'unsafe_path'],
  ['the manifest deleted', (d) => unlinkSync(join(d, MANIFEST_FILE)), 'malformed'],
];

describe('a plugin changed after signing is rejected with a distinct reason', () => {
  it.each(TAMPERS)('rejects %s', async (_name, tamper, reason) => {
    const { dir, manifest } = await signed();
    tamper(dir, manifest);
    const r = await verifyPlugin(dir, { publishers: [acme.did] });
    expect(r).toMatchObject({ ok: false, code: 'ERR_SUPPLY', reason });
  });
});

describe('who signed', () => {
  it('rejects a correctly signed plugin from a publisher that is not accepted', async () => {
    const marker = join(tmpdir(), `warden-marker-${process.pid}-m`);
    const dir = makePlugin(marker);
    dirs.push(dir);
    await signPlugin(dir, SPEC, mallory, { now: NOW });
    expect(await verifyPlugin(dir, { publishers: [acme.did] })).toMatchObject({ ok: false, reason: 'publisher' });
  });

  it('accepts no one with an empty publisher list', async () => {
    const { dir } = await signed();
    expect(await verifyPlugin(dir, { publishers: [] })).toMatchObject({ ok: false, reason: 'publisher' });
  });

  it('rejects a plugin whose publisher key is on a verified revocation list', async () => {
    const { dir } = await signed();
    const ops = createIdentity();
    const list = createRevocationList(ops, [{ id: acme.did, at: NOW.toISOString(), reason: 'key leaked' }], { now: NOW });
    const revocations = verifyRevocationList(list, { issuer: ops.did });
    expect(await verifyPlugin(dir, { publishers: [acme.did], revocations })).toMatchObject({ ok: false, code: 'ERR_SUPPLY', reason: 'revoked' });
    expect(await verifyPlugin(dir, { publishers: [acme.did], revocations: verifyRevocationList(createRevocationList(ops, [], { now: NOW }), { issuer: ops.did }) })).toMatchObject({ ok: true });
  });
});

// Manifests an attacker writes by hand: each is refused before any file is read.
const HOSTILE: Array<[string, (m: PluginManifest) => string, string]> = [
  ['a ../ path in files', (m) => JSON.stringify({ ...m, files: { ...m.files, '../outside.mjs': m.files['index.mjs'] } }), 'unsafe_path'],
  ['an absolute path in files', (m) => JSON.stringify({ ...m, files: { ...m.files, '/etc/passwd': m.files['index.mjs'] } }), 'unsafe_path'],
  ['a nested ../ path in files', (m) => JSON.stringify({ ...m, files: { ...m.files, 'lib/../../x.mjs': m.files['index.mjs'] } }), 'unsafe_path'],
  ['a ./ segment in files', (m) => JSON.stringify({ ...m, files: { ...m.files, './index.mjs': m.files['index.mjs'] } }), 'unsafe_path'],
  ['a doubled slash in files', (m) => JSON.stringify({ ...m, files: { ...m.files, 'lib//city.mjs': m.files['index.mjs'] } }), 'unsafe_path'],
  ['a backslash path in files', (m) => JSON.stringify({ ...m, files: { ...m.files, 'lib\\..\\..\\x': m.files['index.mjs'] } }), 'unsafe_path'],
  ['a drive-letter path in files', (m) => JSON.stringify({ ...m, files: { ...m.files, 'C:/x.mjs': m.files['index.mjs'] } }), 'unsafe_path'],
  ['a NUL in a file name', (m) => JSON.stringify({ ...m, files: { ...m.files, 'index.mjs\u0000.txt': m.files['index.mjs'] } }), 'unsafe_path'],
  ['an entry point outside the files', (m) => JSON.stringify({ ...m, entry: ['../../evil.mjs'] }), 'unsafe_path'],
  ['an entry point that is not a signed file', (m) => JSON.stringify({ ...m, entry: ['other.mjs'] }), 'entry'],
  ['a node_modules path in files', (m) => JSON.stringify({ ...m, files: { ...m.files, 'node_modules/x/index.js': m.files['index.mjs'] } }), 'malformed'],
  ['a dependency path outside node_modules', (m) => JSON.stringify({ ...m, dependencies: { ...m.dependencies, '../x': { version: '1', integrity: 'sha512-AA==' } } }), 'unsafe_path'],
  ['a repeated top-level key (the second publisher wins in JSON.parse)', (m) => JSON.stringify(m).replace('{', `{"publisher":${JSON.stringify(mallory.did)},`), 'malformed'],
  ['a repeated key inside files', (m) => JSON.stringify(m).replace('"files":{', `"files":{"index.mjs":"sha256:${'0'.repeat(64)}",`), 'malformed'],
  ['a __proto__ key at the top', (m) => JSON.stringify(m).replace('{', '{"__proto__":{"publisher":"x"},'), 'malformed'],
  ['a constructor key in files', (m) => JSON.stringify({ ...m, files: { ...m.files, constructor: m.files['index.mjs'] } }), 'malformed'],
  ['a prototype key in permissions', (m) => JSON.stringify({ ...m, permissions: { ...m.permissions, prototype: [] } }), 'malformed'],
  ['an unknown member', (m) => JSON.stringify({ ...m, approved: true }), 'malformed'],
  ['a wildcard egress host', (m) => JSON.stringify({ ...m, permissions: { ...m.permissions, egress: ['*.example.com'] } }), 'malformed'],
  ['a relative permitted path', (m) => JSON.stringify({ ...m, permissions: { ...m.permissions, paths: ['workspace'] } }), 'malformed'],
  ['a permitted path with ..', (m) => JSON.stringify({ ...m, permissions: { ...m.permissions, paths: ['/workspace/../etc'] } }), 'malformed'],
  ['a publisher that is not a did:key', (m) => JSON.stringify({ ...m, publisher: 'did:web:evil.example' }), 'malformed'],
  ['not JSON', () => '{"kind": ', 'malformed'],
  ['a list instead of an object', () => '[]', 'malformed'],
];

describe('hostile manifests', () => {
  it.each(HOSTILE)('refuses %s', async (_name, edit, reason) => {
    const { dir, manifest } = await signed();
    writeFileSync(join(dir, MANIFEST_FILE), edit(manifest));
    expect(await verifyPlugin(dir, { publishers: [acme.did, mallory.did] })).toMatchObject({ ok: false, code: 'ERR_SUPPLY', reason });
  });

  // Benign variants: the same checks must not refuse ordinary plugins.
  const BENIGN: Array<[string, (dir: string) => void]> = [
    ['deep directories', (d) => { mkdirSync(join(d, 'a', 'b', 'c'), { recursive: true }); writeFileSync(join(d, 'a', 'b', 'c', 'deep.mjs'), 'export {};'); }],
    ['names with dots, dashes and non-ASCII letters', (d) => writeFileSync(join(d, 'lib', 'wetter-größe.v2.mjs'), 'export {};')],
    ['a file named like a prototype member inside a folder', (d) => writeFileSync(join(d, 'lib', 'toString.mjs'), 'export {};')],
    ['an empty file', (d) => writeFileSync(join(d, 'EMPTY'), '')],
    ['a dotfile', (d) => writeFileSync(join(d, '.npmignore'), 'test/\n')],
  ];
  it.each(BENIGN)('signs and verifies a plugin with %s', async (_name, add) => {
    const marker = join(tmpdir(), `warden-marker-${process.pid}-b`);
    const dir = makePlugin(marker);
    dirs.push(dir);
    add(dir);
    await signPlugin(dir, SPEC, acme, { now: NOW });
    expect(await verifyPlugin(dir, { publishers: [acme.did] })).toMatchObject({ ok: true });
  });
});

describe('nothing loads before it verifies', () => {
  it('imports a verified plugin (its top level runs) and returns its exports', async () => {
    const { dir, marker } = await signed();
    const { module, plugin } = await loadVerifiedPlugin(dir, { publishers: [acme.did] });
    expect(readFileSync(marker, 'utf8')).toBe('ran');
    expect((module.forecast as (c: string) => string)(' Oslo ')).toBe('sunny in Oslo');
    expect(plugin.publisher).toBe(acme.did);
  });

  it('never runs the module code of a tampered plugin', async () => {
    const { dir, marker } = await signed();
    writeFileSync(join(dir, 'index.mjs'), readFileSync(join(dir, 'index.mjs'), 'utf8').replace('sunny', 'stormy'));
    const error = await loadVerifiedPlugin(dir, { publishers: [acme.did] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SupplyError);
    expect(error).toMatchObject({ code: 'ERR_SUPPLY', reason: 'file_changed' });
    expect(existsSync(marker)).toBe(false);
  });

  it('never runs the module code of a plugin from a revoked publisher', async () => {
    const { dir, marker } = await signed();
    const ops = createIdentity();
    const revocations = verifyRevocationList(createRevocationList(ops, [{ id: acme.did, at: NOW.toISOString() }], { now: NOW }), { issuer: ops.did });
    await expect(loadVerifiedPlugin(dir, { publishers: [acme.did], revocations })).rejects.toMatchObject({ reason: 'revoked' });
    expect(existsSync(marker)).toBe(false);
  });

  it('governs a loaded plugin with its verified facts: declared egress runs, undeclared is denied', async () => {
    const { dir } = await signed();
    const { module, plugin } = await loadVerifiedPlugin(dir, { publishers: [acme.did] });
    const policy = compilePolicy([
      { name: 'permissions.yaml', text: permissionPolicy('weather', plugin.permissions) },
      { name: 'user.yaml', text: `apiVersion: warden/v1\nkind: Policy\nname: user\nrules:\n  - name: acme\n    tools: ["*"]\n    when: "has(context.plugin) && context.plugin.publisher == '${acme.did}'"\n    effect: allow\n` },
    ]);
    const governor = new Governor({ policy, agent: { id: 'app' }, sink: new MemorySink() });
    const forecast = govern(async ({ city }: { city: string; source?: string }) => (module.forecast as (c: string) => string)(city), { tool: 'forecast', governor, context: { plugin: pluginFacts(plugin) } });
    expect(await forecast({ city: 'Oslo', source: 'https://api.weather.example/' })).toBe('sunny in Oslo');
    await expect(forecast({ city: 'Oslo', source: 'https://evil.example/' })).rejects.toMatchObject({ code: 'ERR_GOVERNANCE_DENIED' });
  });

  it('refuses to import a file that is not a signed entry point', async () => {
    const { dir, marker } = await signed();
    await expect(loadVerifiedPlugin(dir, { publishers: [acme.did], entry: 'lib/city.mjs' })).rejects.toMatchObject({ reason: 'entry' });
    expect(existsSync(marker)).toBe(false);
  });
});
