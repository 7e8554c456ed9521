/**
 * `warden plugin sign|verify|inspect` as a user runs them: the built CLI in a child process, in a
 * scratch directory, offline.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, ROOT, type CliRun } from '../helpers/cli.js';
import { makePlugin, SPEC } from './plugin-fixture.js';

const main = inject('wardenCli');
let dir: string;
let plugin: string;
let did: string;
const warden = (args: string[]): Promise<CliRun> => runCli(main, args, { cwd: dir });
const FIX = join(ROOT, 'test', 'fixtures', 'supply');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-plugin-cli-'));
  plugin = makePlugin(join(dir, 'marker'));
  await writeFile(join(dir, 'tools.json'), JSON.stringify(SPEC.tools));
  did = (JSON.parse((await warden(['id', 'new', 'acme', '--json'])).stdout) as { did: string }).did;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(plugin, { recursive: true, force: true });
});

describe('warden plugin', () => {
  it('signs, inspects and verifies a plugin; a changed file then fails with exit 1 and its reason', async () => {
    const signed = await warden(['plugin', 'sign', plugin, '--key', 'acme', '--entry', 'index.mjs', '--tools', join(dir, 'tools.json'), '--egress', 'api.weather.example']);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout).toContain(`SIGNED  weather@1.0.0 by ${did}`);
    const inspected = await warden(['plugin', 'inspect', plugin]);
    expect(inspected.stdout).toContain('not verified');
    expect(inspected.stdout).toContain('egress     api.weather.example');
    const ok = await warden(['plugin', 'verify', plugin, '--publisher', did, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, publisher: did, permissions: { tools: ['forecast'], egress: ['api.weather.example'] } });
    const stranger = await warden(['plugin', 'verify', plugin, '--publisher', 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp', '--json']);
    expect(stranger.code).toBe(1);
    expect(JSON.parse(stranger.stdout)).toMatchObject({ ok: false, code: 'ERR_SUPPLY', reason: 'publisher' });
    await writeFile(join(plugin, 'lib', 'city.mjs'), 'export const city = () => "x";\n');
    const changed = await warden(['plugin', 'verify', plugin, '--publisher', did]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/^NOT VERIFIED {2}ERR_SUPPLY file_changed: lib\/city.mjs differs/);
  });

  it('verifies an npm tarball against its provenance bundle offline, and rejects another signer', async () => {
    const args = ['plugin', 'verify', '--npm', join(FIX, 'sigstore-1.0.0.tgz'), '--bundle', join(FIX, 'sigstore-1.0.0.publish.sigstore.json'), '--issuer', 'https://github.com/login/oauth', '--json'];
    const ok = await warden([...args, '--subject', 'brian@dehamer.com']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, package: { name: 'sigstore', version: '1.0.0' }, identity: { subject: 'brian@dehamer.com' } });
    const other = await warden([...args, '--subject', 'mallory@example.com']);
    expect(other.code).toBe(1);
    expect(JSON.parse(other.stdout)).toMatchObject({ ok: false, reason: 'subject' });
  });

  it('is a usage error (exit 2) to verify without saying whom to accept', async () => {
    expect((await warden(['plugin', 'verify', plugin])).code).toBe(2);
    expect((await warden(['plugin', 'verify', '--npm', join(FIX, 'sigstore-1.0.0.tgz'), '--bundle', join(FIX, 'sigstore-1.0.0.publish.sigstore.json')])).code).toBe(2);
  });
});
