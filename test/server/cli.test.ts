import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeKeyPair } from '../../src/audit/keys.js';
import { openApiDocument } from '../../src/server/routes.js';
import { runCli } from '../helpers/cli.js';
import { POLICY_YAML } from './fixture.js';

let main: string;
let dir: string;
beforeAll(async () => {
  main = inject('wardenCli');
  dir = mkdtempSync(join(tmpdir(), 'warden-serve-cli-'));
  writeFileSync(join(dir, 'policy.yaml'), POLICY_YAML);
  await writeKeyPair({ privateKeyPath: join(dir, 'bundle.key'), publicKeyPath: join(dir, 'bundle.pub') });
  await writeKeyPair({ privateKeyPath: join(dir, 'other.key'), publicKeyPath: join(dir, 'other.pub') });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts `warden serve` with `args` in `cwd`; resolves once it says where it listens. */
async function spawnServe(args: string[], cwd: string): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [main, 'serve', ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /listening on (http:\/\/[^ ]+)/.exec(stderr);
      if (m) resolve(m[1] as string);
    });
    child.on('exit', (code) => reject(new Error(`warden serve exited ${code}: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

describe('warden bundle', () => {
  it('builds, signs and verifies a bundle; a tampered or wrongly keyed one fails with its reason and exit 2', async () => {
    const b = join(dir, 'p.bundle.json');
    expect((await runCli(main, ['bundle', 'build', join(dir, 'policy.yaml'), '--revision', '7', '--out', b])).code).toBe(0);
    expect((await runCli(main, ['bundle', 'verify', b, '--key', join(dir, 'bundle.pub')])).stdout).toContain('"reason":"unsigned"');
    expect((await runCli(main, ['bundle', 'sign', b, '--key', join(dir, 'bundle.key')])).code).toBe(0);
    const ok = await runCli(main, ['bundle', 'verify', b, '--key', join(dir, 'bundle.pub')]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, revision: 7, files: ['policies/policy.yaml'] });
    const wrong = await runCli(main, ['bundle', 'verify', b, '--key', join(dir, 'other.pub')]);
    expect(wrong.code).toBe(2);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ ok: false, reason: 'unknown_key' });
    writeFileSync(b, readFileSync(b, 'utf8').replace('effect: allow', 'effect: deny'));
    const tampered = await runCli(main, ['bundle', 'verify', b, '--key', join(dir, 'bundle.pub')]);
    expect(tampered.code).toBe(2);
    expect(JSON.parse(tampered.stdout).reason).toBe('file_hash_mismatch');
  });

  it('builds a bundle with --data: the data files are listed, signed and verified like the policies, and tampering one fails', async () => {
    const b = join(dir, 'd.bundle.json');
    writeFileSync(join(dir, 'hosts.json'), '["a.example"]');
    expect((await runCli(main, ['bundle', 'build', join(dir, 'policy.yaml'), '--data', join(dir, 'hosts.json'), '--revision', '2', '--out', b])).code).toBe(0);
    expect((await runCli(main, ['bundle', 'sign', b, '--key', join(dir, 'bundle.key')])).code).toBe(0);
    const ok = await runCli(main, ['bundle', 'verify', b, '--key', join(dir, 'bundle.pub')]);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, revision: 2, files: ['policies/policy.yaml'], data: ['data/hosts.json'] });
    writeFileSync(b, readFileSync(b, 'utf8').replace('a.example', 'evil.example'));
    const tampered = await runCli(main, ['bundle', 'verify', b, '--key', join(dir, 'bundle.pub')]);
    expect(tampered.code).toBe(2);
    expect(JSON.parse(tampered.stdout).reason).toBe('file_hash_mismatch');
  });

  it('refuses a revision that is not a positive whole number', async () => {
    const r = await runCli(main, ['bundle', 'build', join(dir, 'policy.yaml'), '--revision', '0', '--out', join(dir, 'x.json')]);
    expect(r.code).toBe(2);
  });
});

describe('warden serve', () => {
  it('--openapi prints the committed OpenAPI document', async () => {
    const r = await runCli(main, ['serve', '--openapi']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(openApiDocument());
  });

  it('runs on the embedded default (token file made once, SQLite state, file audit), decides, and stops on SIGTERM', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'warden-serve-embedded-'));
    writeFileSync(join(cwd, 'policy.yaml'), POLICY_YAML);
    const { child, url } = await spawnServe(['--policy', 'policy.yaml', '--listen', '127.0.0.1:0'], cwd);
    try {
      const tokenFile = join(cwd, '.warden/serve.token');
      expect(statSync(tokenFile).mode & 0o077).toBe(0);
      const token = (/^local (\S+)$/m.exec(readFileSync(tokenFile, 'utf8')) as RegExpExecArray)[1] as string;
      const ask = (t: string) => fetch(`${url}/v1/decide`, { method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, body: '{"tool":"read_file","args":{"path":"/a"}}' });
      const yes = (await (await ask(token)).json()) as { allowed: boolean };
      expect(yes.allowed).toBe(true);
      expect((await ask('wrong-token-0123456789abc')).status).toBe(401);
      expect(existsSync(join(cwd, '.warden/serve-state.db'))).toBe(true);
      expect(readFileSync(join(cwd, '.warden/serve-audit/warden.jsonl'), 'utf8')).toContain('"id":"local"');
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('refuses to start with both --policy and --bundle, or a bundle without a key', async () => {
    expect((await runCli(main, ['serve', '--policy', join(dir, 'policy.yaml'), '--bundle', 'x'])).code).toBe(2);
    const r = await runCli(main, ['serve', '--bundle', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--bundle-key');
  });

  it('--watch reloads a changed --policy file, keeps the last good one when a change does not load, and says so on stderr', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'warden-serve-watch-'));
    writeFileSync(join(cwd, 'policy.yaml'), POLICY_YAML);
    writeFileSync(join(cwd, 'tokens'), `bot ${'t'.repeat(24)}\n`);
    const { child, url, stderr } = await spawnServe(['--policy', 'policy.yaml', '--watch', '--watch-poll', '200ms', '--token-file', 'tokens', '--listen', '127.0.0.1:0'], cwd);
    try {
      expect(stderr()).toContain('watching for changes');
      const read = async () => ((await (await fetch(`${url}/v1/decide`, { method: 'POST', headers: { authorization: `Bearer ${'t'.repeat(24)}`, 'content-type': 'application/json' }, body: '{"tool":"read_file","args":{}}' })).json()) as { allowed: boolean });
      expect((await read()).allowed).toBe(true);
      writeFileSync(join(cwd, 'policy.yaml'), 'rules: [');
      await expect.poll(stderr, { timeout: 10_000 }).toContain('policy_reload_refused');
      expect((await read()).allowed).toBe(true);
      writeFileSync(join(cwd, 'policy.yaml'), POLICY_YAML.replace('tools: [read_file, read]\n    effect: allow', 'tools: [read_file, read]\n    effect: deny'));
      await expect.poll(async () => (await read()).allowed, { timeout: 10_000 }).toBe(false);
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('refuses a --backend-timeout that is not a positive duration, before opening anything', async () => {
    for (const value of ['0', '0s', 'soon', '-1s']) {
      const r = await runCli(main, ['serve', '--policy', join(dir, 'policy.yaml'), '--backend-timeout', value]);
      expect(r.code, value).toBe(2);
      expect(r.stderr, value).toContain('--backend-timeout');
    }
  });

  it('refuses --watch without --policy, and a --watch-poll under 100ms', async () => {
    const bundle = await runCli(main, ['serve', '--bundle', 'x', '--bundle-key', join(dir, 'bundle.pub'), '--watch']);
    expect(bundle.code).toBe(2);
    expect(bundle.stderr).toContain('--watch goes with --policy');
    const fast = await runCli(main, ['serve', '--policy', join(dir, 'policy.yaml'), '--watch', '--watch-poll', '50ms']);
    expect(fast.code).toBe(2);
    expect(fast.stderr).toContain('--watch-poll');
  });
});
