import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writePolicyManifest } from '../../src/enforce/policy-manifest.js';
import { policyDigestOf } from '../../src/policy/plan.js';
import { createDecisionServer } from '../../src/server/decision-server.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { POLICY_YAML, startServer, tempDir, TOKEN, type Running } from './fixture.js';

/** The fixture policy with reads denied: what the first change turns it into. */
const DENY_READS = POLICY_YAML.replace('tools: [read_file, read]\n    effect: allow', 'tools: [read_file, read]\n    effect: deny\n    reason: reads are off');

/** Saves as editors and deploy tools do: a temporary file renamed over the policy. */
function saveAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

interface Ready {
  ready: boolean;
  policy: { source: string; digest: string; watching: boolean; failures: number; activations: number; lastError: { reason: string; code: string; message: string } | null };
}

let s: Running | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

async function watched(): Promise<Running & { policyPath: string; read(): Promise<Record<string, unknown>>; ready(): Promise<Ready> }> {
  const dir = tempDir('warden-serve-watch-');
  const policyPath = join(dir, 'policy.yaml');
  writeFileSync(policyPath, POLICY_YAML);
  s = await startServer({ policy: [policyPath], watch: { debounceMs: 20, pollMs: 200 } }, dir);
  const running = s;
  return {
    ...running,
    policyPath,
    read: async () => (await running.post('/v1/decide', { tool: 'read_file', args: { path: 'a.txt' } })).body,
    ready: async () => JSON.parse((await running.get('/readyz', {})).text) as Ready,
  };
}

describe('warden serve --watch: hot reload of --policy files', () => {
  it('activates a changed policy file: new decisions use it and carry its digest, in the answer and the record', async () => {
    const w = await watched();
    const before = await w.read();
    expect(before.allowed).toBe(true);
    expect((await w.ready()).policy).toMatchObject({ source: 'files', watching: true, activations: 1, failures: 0, lastError: null });

    saveAtomically(w.policyPath, DENY_READS);
    await expect.poll(async () => (await w.read()).allowed, { timeout: 10_000 }).toBe(false);
    const after = await w.read();
    expect(after.reason).toBe('reads are off');
    expect(after.policyDigest).not.toBe(before.policyDigest);
    expect((await w.ready()).policy.digest).toBe(after.policyDigest);
    const last = w.records().at(-1) as { policyDigest: string; call: string };
    expect(last.call).toBe(after.call);
    expect(last.policyDigest).toBe(after.policyDigest);
    expect((await w.get('/metrics')).text).toContain('warden_server_policy_reloads_total{result="activated"} 1');
  });

  it('keeps the last good policy when a change does not load, reports it in readyz and the metrics, and activates the next good change', async () => {
    const w = await watched();
    const good = await w.read();

    saveAtomically(w.policyPath, POLICY_YAML.replace('effect: allow', 'effect: alow'));
    await expect.poll(async () => (await w.ready()).policy.failures, { timeout: 10_000 }).toBe(1);
    const broken = await w.ready();
    expect(broken.ready).toBe(true);
    expect(broken.policy.lastError).toMatchObject({ reason: 'reload_failed', code: 'ERR_POLICY_LOAD' });
    expect(broken.policy.lastError?.message).toContain('alow');
    expect(broken.policy.digest).toBe(good.policyDigest);
    const during = await w.read();
    expect(during.allowed).toBe(true);
    expect(during.policyDigest).toBe(good.policyDigest);
    const metrics = (await w.get('/metrics')).text;
    expect(metrics).toContain('warden_server_policy_reload_last_failed 1');
    expect(metrics).toContain('warden_server_policy_reloads_total{result="failed"} 1');
    expect(metrics).toContain('warden_server_bundle_last_failed 0');

    saveAtomically(w.policyPath, DENY_READS);
    await expect.poll(async () => (await w.read()).allowed, { timeout: 10_000 }).toBe(false);
    expect((await w.ready()).policy).toMatchObject({ lastError: null, failures: 1 });
    expect((await w.get('/metrics')).text).toContain('warden_server_policy_reload_last_failed 0');
  });

  // [what the file becomes, its text or null to remove it, the reason reported; null: it activates]
  const changes: Array<[string, string | null, string | null]> = [
    ['not YAML at all', 'rules: [unclosed\n  - : :', 'reload_failed'],
    ['an effect with a typo', POLICY_YAML.replace('effect: deny', 'effect: dny'), 'reload_failed'],
    ['an unknown member in a rule', POLICY_YAML.replace('    effect: require_approval', '    effct: allow\n    effect: require_approval'), 'reload_failed'],
    ['another apiVersion', POLICY_YAML.replace('warden/v1', 'warden/v9'), 'reload_failed'],
    ['an empty file', '', 'reload_failed'],
    ['a condition that does not compile', POLICY_YAML.replace("agent.id == 'admin'", "agent.id == 'admin' &&"), 'reload_failed'],
    ['removed', null, 'reload_failed'],
    ['reads denied', DENY_READS, null],
    ['a comment added', `# reviewed\n${POLICY_YAML}`, null],
    ['one more allowed tool', POLICY_YAML.replace('tools: [read_file, read]', 'tools: [read_file, read, list_files]'), null],
  ];

  it.each(changes)('a policy file that becomes %s: the change is %s', async (_what, text, reason) => {
    const w = await watched();
    const good = await w.read();
    if (text === null) rmSync(w.policyPath);
    else saveAtomically(w.policyPath, text);
    if (reason === null) {
      await expect.poll(async () => (await w.ready()).policy.digest, { timeout: 10_000 }).not.toBe(good.policyDigest);
      expect((await w.ready()).policy.lastError).toBeNull();
      expect((await w.read()).policyDigest).not.toBe(good.policyDigest);
    } else {
      await expect.poll(async () => (await w.ready()).policy.lastError?.reason ?? null, { timeout: 10_000 }).toBe(reason);
      const now = await w.read();
      expect(now.allowed).toBe(true);
      expect(now.policyDigest).toBe(good.policyDigest);
    }
  });

  it('watches a directory: a policy file added to it is activated beside the others', async () => {
    const dir = tempDir('warden-serve-watch-dir-');
    const policies = join(dir, 'policies');
    mkdirSync(policies);
    writeFileSync(join(policies, 'a.yaml'), POLICY_YAML);
    s = await startServer({ policy: [policies], watch: { debounceMs: 20, pollMs: 200 } }, dir);
    const running = s;
    const list = async () => (await running.post('/v1/decide', { tool: 'list_files', args: {} })).body.allowed;
    expect(await list()).toBe(false);
    saveAtomically(join(policies, 'b.yaml'), 'apiVersion: warden/v1\nkind: Policy\nname: listing\nrules:\n  - name: list\n    tools: [list_files]\n    effect: allow\n');
    await expect.poll(list, { timeout: 10_000 }).toBe(true);
  });

  it('with a manifest (strict mode), activates only the policy whose digest the manifest names', async () => {
    const dir = tempDir('warden-serve-watch-manifest-');
    const policyPath = join(dir, 'policy.yaml');
    const manifest = join(dir, '.policy.manifest.json');
    writeFileSync(policyPath, POLICY_YAML);
    await writePolicyManifest(manifest, policyDigestOf([POLICY_YAML]));
    s = await startServer({ policy: [policyPath], watch: { debounceMs: 20, pollMs: 200, manifest } }, dir);
    const running = s;
    const ready = async () => (JSON.parse((await running.get('/readyz', {})).text) as Ready).policy;
    const read = async () => (await running.post('/v1/decide', { tool: 'read_file', args: {} })).body.allowed;
    // The files change but the manifest still names the old digest: refused, the old policy serves.
    saveAtomically(policyPath, DENY_READS);
    await expect.poll(async () => (await ready()).lastError?.reason ?? null, { timeout: 10_000 }).toBe('manifest_refused');
    expect((await ready()).lastError?.code).toBe('ERR_POLICY_MANIFEST');
    expect(await read()).toBe(true);
    // The manifest written last names the new digest: activated.
    await writePolicyManifest(manifest, policyDigestOf([DENY_READS]));
    await expect.poll(read, { timeout: 10_000 }).toBe(false);
    expect((await ready()).lastError).toBeNull();
  });

  it('activates a write in place (not a rename), once the file has settled', async () => {
    const w = await watched();
    writeFileSync(w.policyPath, DENY_READS);
    await expect.poll(async () => (await w.read()).allowed, { timeout: 10_000 }).toBe(false);
  });
});

describe('warden serve --watch: refused options', () => {
  const base = { auth: { tokens: [{ subject: 'bot', token: TOKEN }] }, store: createMemoryStore(), port: 0, onWarning: () => undefined };

  // [what, options, message fragment]
  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['watch without policy files', { bundle: { source: '/nonexistent', publicKey: 'x' }, watch: true }, 'watch goes with policy'],
    ['an unknown watch option', { policy: ['/nonexistent'], watch: { pollMS: 10 } }, 'pollMS'],
    ['watch given as a string', { policy: ['/nonexistent'], watch: 'yes' }, 'watch goes with policy'],
  ];
  it.each(bad)('refuses %s with ERR_SERVER', async (_what, options, fragment) => {
    const error = await createDecisionServer({ ...base, ...options } as never).then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error?.code).toBe('ERR_SERVER');
    expect(error?.message).toContain(fragment);
  });

  it('fails to start, as without watch, when the first load fails (there is no good policy to keep)', async () => {
    const dir = tempDir('warden-serve-watch-bad-');
    try {
      writeFileSync(join(dir, 'policy.yaml'), 'effect: [');
      const error = await createDecisionServer({ ...base, policy: [join(dir, 'policy.yaml')], watch: true, audit: join(dir, 'audit') }).then(
        () => null,
        (e: unknown) => e as { code: string },
      );
      expect(error?.code).toBe('ERR_POLICY_LOAD');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
