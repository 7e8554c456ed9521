/**
 * Hot reload under the ways files are really written: a save cut in two is never served (stable
 * reads; a manifest in strict mode), watches survive rename-saves, symlink swaps and replaced
 * directories, and a dead watch is reported while the last good set stays.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WardenError } from '../../src/errors.js';
import { policyManifestText, parsePolicyManifest, readPolicyManifest, writePolicyManifest } from '../../src/enforce/policy-manifest.js';
import { PolicyStore, type PolicyStoreWarning } from '../../src/enforce/policy-store.js';
import { readStableSources } from '../../src/enforce/stable-read.js';
import { policyDigestOf } from '../../src/policy/plan.js';
import type { PolicySet } from '../../src/policy/policy-set.js';
import { EventLog } from '../helpers/events.js';

const HEAD = 'apiVersion: warden/v1\nkind: Policy\nname: guard\nrules:\n  - name: allow-shell\n    tools: [shell]\n    effect: allow\n';
const TAIL = "  - name: no-rm-root\n    tools: [shell]\n    effect: deny\n    when: \"args.command.contains('rm -rf /')\"\n";
const FULL = HEAD + TAIL;
const RM_ROOT = { tool: 'shell', args: { command: 'rm -rf /' } };

function policyText(name: string, effect: 'allow' | 'deny', tool = 'read_file'): string {
  return `apiVersion: warden/v1\nkind: Policy\nname: ${name}\nrules:\n  - name: r-${name}\n    tools: [${tool}]\n    effect: ${effect}\n`;
}

let dir: string;
beforeEach(() => {
  // realpath: the watcher reports and compares resolved directories.
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'warden-reload-')));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `text` to a temporary file beside `file` and renames it over `file` (an atomic save). */
function atomicSave(file: string, text: string, n: number): void {
  const temp = `${file}.${n}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

describe('readStableSources: a save cut in two is never handed on', () => {
  it('reads again when the file grows during the quiet period, and returns only the complete file', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, HEAD);
    const unstable: string[] = [];
    let writes = 0;
    const { sources } = await readStableSources([file], {
      settleMs: 1,
      onUnstable: (m) => unstable.push(m),
      // The writer's second part lands while the reader waits: deterministically, during the first quiet period.
      wait: async () => {
        if (writes++ === 0) appendFileSync(file, TAIL);
      },
    });
    expect(sources.map((s) => s.text)).toEqual([FULL]);
    expect(unstable).toHaveLength(1);
    expect(unstable[0]).toContain(file);
    expect(unstable[0]).toContain('not atomic');
  });

  it('reads again when a same-size rewrite changes the content but not the metadata it is compared on', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policyText('aaaa', 'deny'));
    let writes = 0;
    const { sources } = await readStableSources([file], {
      settleMs: 1,
      wait: async () => {
        if (writes++ === 0) writeFileSync(file, policyText('bbbb', 'deny'));
      },
    });
    expect(sources[0]?.text).toBe(policyText('bbbb', 'deny'));
  });

  it('gives up with ERR_POLICY_UNSTABLE when the file never stops changing (nothing is handed on)', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, HEAD);
    let n = 0;
    const err = await readStableSources([file], { settleMs: 1, maxAttempts: 3, wait: async () => appendFileSync(file, `# ${n++}\n`) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).code).toBe('ERR_POLICY_UNSTABLE');
    expect((err as WardenError).message).toMatch(/atomically/);
  });

  it('reads again when a file is added to a policy directory during the quiet period', async () => {
    writeFileSync(join(dir, 'a.yaml'), policyText('a', 'allow'));
    let writes = 0;
    const { sources } = await readStableSources([dir], {
      settleMs: 1,
      wait: async () => {
        if (writes++ === 0) writeFileSync(join(dir, 'b.yaml'), policyText('b', 'deny'));
      },
    });
    expect(sources.map((s) => s.name)).toEqual([join(dir, 'a.yaml'), join(dir, 'b.yaml')]);
  });

  it('hands on files that did not change, after one quiet period', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, FULL);
    let waits = 0;
    const unstable: string[] = [];
    const { sources } = await readStableSources([file], { settleMs: 1, onUnstable: (m) => unstable.push(m), wait: async () => void waits++ });
    expect(sources.map((s) => s.text)).toEqual([FULL]);
    expect(waits).toBe(1);
    expect(unstable).toEqual([]);
  });
});

describe('policy manifests', () => {
  const digest = policyDigestOf([FULL]);
  const ok = (text: string) => parsePolicyManifest(text, 'm.json').digest;
  const refused = (text: string) => () => parsePolicyManifest(text, 'm.json');
  const good = `{"apiVersion":"warden/v1","kind":"PolicyManifest","digest":"${digest}"}`;
  const benign: Array<[string, string]> = [
    ['the form warden manifest writes', policyManifestText(digest)],
    ['keys in another order', `{"digest":"${digest}","kind":"PolicyManifest","apiVersion":"warden/v1"}`],
    ['pretty-printed with CRLF line ends', `{\r\n  "apiVersion": "warden/v1",\r\n  "kind": "PolicyManifest",\r\n  "digest": "${digest}"\r\n}\r\n`],
    ['escaped key spelling', `{"apiVersion":"warden/v1","kind":"PolicyManifest","\\u0064igest":"${digest}"}`],
    ['trailing newline and spaces', `${good}\n   \n`],
  ];
  it.each(benign)('reads a manifest: %s', (_name, text) => {
    expect(ok(text)).toBe(digest);
  });
  const hostile: Array<[string, string]> = [
    ['empty (written half, or not yet)', ''],
    ['cut mid-digest', good.slice(0, 80)],
    ['the digest twice (a reader taking the first would pin another policy)', `{"apiVersion":"warden/v1","kind":"PolicyManifest","digest":"${digest}","digest":"sha256:${'0'.repeat(64)}"}`],
    ['the digest twice, one spelled with an escape', `{"apiVersion":"warden/v1","kind":"PolicyManifest","digest":"${digest}","\\u0064igest":"${digest}"}`],
    ['an unknown key', `{"apiVersion":"warden/v1","kind":"PolicyManifest","digest":"${digest}","files":[]}`],
    ['a __proto__ key', `{"apiVersion":"warden/v1","kind":"PolicyManifest","digest":"${digest}","__proto__":{"digest":"x"}}`],
    ['upper-case hex', good.replace(digest, digest.toUpperCase().replace('SHA256', 'sha256'))],
    ['a digest without its algorithm', good.replace(digest, digest.slice('sha256:'.length))],
    ['a short digest', good.replace(digest, digest.slice(0, -1))],
    ['another kind', good.replace('PolicyManifest', 'Policy')],
    ['another apiVersion', good.replace('warden/v1', 'warden/v2')],
    ['an array', `[${good}]`],
    ['the digest as a number', `{"apiVersion":"warden/v1","kind":"PolicyManifest","digest":1}`],
    ['a second JSON value after the first', `${good}${good}`],
  ];
  it.each(hostile)('refuses a manifest: %s', (_name, text) => {
    expect(refused(text)).toThrow(expect.objectContaining({ code: 'ERR_POLICY_MANIFEST' }));
  });

  it('writePolicyManifest writes what readPolicyManifest reads, replacing the old one whole', async () => {
    const path = join(dir, '.manifest.json');
    await writePolicyManifest(path, digest);
    expect((await readPolicyManifest(path)).digest).toBe(digest);
    const other = policyDigestOf([HEAD]);
    await writePolicyManifest(path, other);
    expect((await readPolicyManifest(path)).digest).toBe(other);
  });

  it('a missing manifest is ERR_POLICY_MANIFEST naming the file', async () => {
    const path = join(dir, 'missing.json');
    await expect(readPolicyManifest(path)).rejects.toMatchObject({ code: 'ERR_POLICY_MANIFEST', message: expect.stringContaining(path) });
  });
});

describe('PolicyStore strict mode (manifest)', () => {
  it('a save cut in two at a rule boundary is refused until the manifest matches: rm -rf / stays denied throughout', async () => {
    const file = join(dir, 'p.yaml');
    const manifest = join(dir, '.manifest.json');
    writeFileSync(file, FULL);
    await writePolicyManifest(manifest, policyDigestOf([FULL]));
    const warnings = new EventLog<PolicyStoreWarning>();
    const reloads = new EventLog<PolicySet>();
    const store = await PolicyStore.open([file], { watch: true, debounceMs: 10, pollMs: 0, manifest, onWarning: warnings.push, onReload: reloads.push });
    try {
      const good = store.current();
      expect(good.decide(RM_ROOT).effect).toBe('deny');
      // The next version: same rules plus one; written in two parts, the first a valid shorter policy.
      const next = `${FULL}  - name: no-curl\n    tools: [shell]\n    effect: deny\n    when: "args.command.contains('curl')"\n`;
      await writePolicyManifest(manifest, policyDigestOf([next]));
      await warnings.next((w) => w.code === 'manifest_refused');
      writeFileSync(file, HEAD); // part one: truncate and write up to the rule boundary
      const refusal = await warnings.next((w) => w.code === 'manifest_refused' && w.message.includes(policyDigestOf([HEAD])));
      expect(refusal.message).toContain(good.digest);
      expect(store.current()).toBe(good);
      expect(store.current().decide(RM_ROOT).effect).toBe('deny');
      appendFileSync(file, next.slice(HEAD.length)); // part two
      const activated = await reloads.next();
      expect(activated.digest).toBe(policyDigestOf([next]));
      expect(store.current().decide(RM_ROOT).effect).toBe('deny');
      expect(store.current().decide({ tool: 'shell', args: { command: 'curl x' } }).effect).toBe('deny');
      expect(reloads.events).toHaveLength(1);
    } finally {
      store.close();
    }
  });

  const openFailures: Array<[string, (file: string, manifest: string) => Promise<void> | void, string]> = [
    ['the manifest names another digest', async (_f, m) => writePolicyManifest(m, policyDigestOf([HEAD])), 'ERR_POLICY_MANIFEST'],
    ['there is no manifest', () => undefined, 'ERR_POLICY_MANIFEST'],
    ['the manifest repeats its digest key', (_f, m) => writeFileSync(m, `{"apiVersion":"warden/v1","kind":"PolicyManifest","digest":"${policyDigestOf([FULL])}","digest":"${policyDigestOf([FULL])}"}`), 'ERR_POLICY_MANIFEST'],
  ];
  it.each(openFailures)('open() refuses to start when %s', async (_name, arrange, code) => {
    const file = join(dir, 'p.yaml');
    const manifest = join(dir, '.manifest.json');
    writeFileSync(file, FULL);
    await arrange(file, manifest);
    await expect(PolicyStore.open([file], { manifest })).rejects.toMatchObject({ code });
  });

  it('refuses a manifest that is itself read as a policy file', async () => {
    writeFileSync(join(dir, 'p.yaml'), FULL);
    const manifest = join(dir, 'manifest.json');
    await writePolicyManifest(manifest, policyDigestOf([FULL]));
    const err = await PolicyStore.open([dir], { manifest }).catch((e: unknown) => e);
    // It fails to load as a policy, or is named as the overlap; either way nothing starts.
    expect(err).toBeInstanceOf(WardenError);
  });
});

describe('PolicyStore watching', () => {
  it('a watched directory keeps reloading after rename-saves (three in a row)', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policyText('v0', 'deny'));
    const reloads = new EventLog<PolicySet>();
    // pollMs: 0, so only the watches can notice.
    const store = await PolicyStore.open([dir], { watch: true, debounceMs: 10, settleMs: 5, pollMs: 0, onReload: reloads.push });
    try {
      for (let v = 1; v <= 3; v++) {
        atomicSave(file, policyText(`v${v}`, v % 2 === 0 ? 'deny' : 'allow'), v);
        const set = await reloads.next((s) => s.policies[0]?.name === `v${v}`);
        expect(set.decide({ tool: 'read_file', args: {} }).effect).toBe(v % 2 === 0 ? 'deny' : 'allow');
      }
      expect(store.current().policies[0]?.name).toBe('v3');
    } finally {
      store.close();
    }
  });

  it('a watched file behind a swapped symlink (a Kubernetes ConfigMap update) reloads', async () => {
    mkdirSync(join(dir, 'v1'));
    mkdirSync(join(dir, 'v2'));
    writeFileSync(join(dir, 'v1', 'p.yaml'), policyText('one', 'allow'));
    writeFileSync(join(dir, 'v2', 'p.yaml'), policyText('two', 'deny'));
    symlinkSync('v1', join(dir, '..data'));
    symlinkSync(join('..data', 'p.yaml'), join(dir, 'p.yaml'));
    const reloads = new EventLog<PolicySet>();
    const store = await PolicyStore.open([join(dir, 'p.yaml')], { watch: true, debounceMs: 10, settleMs: 5, pollMs: 0, onReload: reloads.push });
    try {
      expect(store.current().policies[0]?.name).toBe('one');
      symlinkSync('v2', join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      await reloads.next((s) => s.policies[0]?.name === 'two');
    } finally {
      store.close();
    }
  });

  it('a policy directory removed (the reload fails, the last good set stays) and created anew is watched again', async () => {
    const policies = join(dir, 'policies');
    mkdirSync(policies);
    writeFileSync(join(policies, 'p.yaml'), policyText('one', 'deny'));
    const reloads = new EventLog<PolicySet>();
    const warnings = new EventLog<PolicyStoreWarning>();
    const store = await PolicyStore.open([policies], { watch: true, debounceMs: 10, settleMs: 5, pollMs: 0, onReload: reloads.push, onWarning: warnings.push });
    try {
      const good = store.current();
      rmSync(policies, { recursive: true });
      const failed = await warnings.next((w) => w.code === 'reload_failed');
      expect(failed.message).toContain(`The policy in force stays: ${good.digest}`);
      expect(store.current()).toBe(good);
      const staged = join(dir, 'staged');
      mkdirSync(staged);
      writeFileSync(join(staged, 'p.yaml'), policyText('two', 'allow'));
      renameSync(staged, policies);
      await reloads.next((s) => s.policies[0]?.name === 'two');
      // The new directory is watched: an edit inside it is noticed without polling.
      writeFileSync(join(policies, 'p.yaml'), policyText('three', 'deny'));
      await reloads.next((s) => s.policies[0]?.name === 'three');
    } finally {
      store.close();
    }
  });

  it('a directory replaced under a live watch is reported as a dead watch (ERR_POLICY_WATCH, last good set named) and re-armed', async () => {
    const team = join(dir, 'team');
    mkdirSync(team);
    writeFileSync(join(dir, 'base.yaml'), policyText('base', 'deny', 'delete_all'));
    writeFileSync(join(team, 'p.yaml'), policyText('one', 'deny'));
    const reloads = new EventLog<PolicySet>();
    const warnings = new EventLog<PolicyStoreWarning>();
    const errors = new EventLog<unknown>();
    const store = await PolicyStore.open([dir], { watch: true, debounceMs: 10, settleMs: 5, pollMs: 0, onReload: reloads.push, onWarning: warnings.push, onError: errors.push });
    try {
      // Replace the subdirectory by renaming a new one over it (its old inode, and its watch, die).
      const staged = join(dir, '.staged');
      mkdirSync(staged);
      writeFileSync(join(staged, 'p.yaml'), policyText('two', 'allow'));
      rmSync(team, { recursive: true });
      renameSync(staged, team);
      const set = await reloads.next((s) => s.policies.some((p) => p.name === 'two'));
      const dead = await warnings.next((w) => w.code === 'watch_failed');
      expect(dead.message).toContain(team);
      expect(dead.message).toMatch(/policy in force stays/);
      const err = await errors.next((e) => e instanceof WardenError && e.code === 'ERR_POLICY_WATCH');
      expect((err as WardenError).message).toContain(team);
      expect(store.current()).toBe(set);
      // Re-armed: an in-place edit in the new directory is noticed.
      writeFileSync(join(team, 'p.yaml'), policyText('three', 'deny'));
      await reloads.next((s) => s.policies.some((p) => p.name === 'three'));
    } finally {
      store.close();
    }
  });

  it('polling notices a change no watch covers (an edit to a file a policy symlink points at)', async () => {
    const elsewhere = join(dir, 'elsewhere');
    const policies = join(dir, 'policies');
    mkdirSync(elsewhere);
    mkdirSync(policies);
    writeFileSync(join(elsewhere, 'shared.yaml'), policyText('shared', 'allow'));
    symlinkSync(join(elsewhere, 'shared.yaml'), join(policies, 'shared.yaml'));
    const reloads = new EventLog<PolicySet>();
    const store = await PolicyStore.open([policies], { watch: true, debounceMs: 10, settleMs: 5, pollMs: 20, onReload: reloads.push });
    try {
      writeFileSync(join(elsewhere, 'shared.yaml'), policyText('tightened', 'deny'));
      await reloads.next((s) => s.policies[0]?.name === 'tightened');
    } finally {
      store.close();
    }
  });

  it('an event that changes nothing the policy is made of does not reload', async () => {
    writeFileSync(join(dir, 'p.yaml'), policyText('one', 'deny'));
    const reloads = new EventLog<PolicySet>();
    const warnings = new EventLog<PolicyStoreWarning>();
    const store = await PolicyStore.open([dir], { watch: true, debounceMs: 10, settleMs: 5, pollMs: 0, onReload: reloads.push, onWarning: warnings.push });
    try {
      writeFileSync(join(dir, 'notes.txt'), 'not a policy');
      writeFileSync(join(dir, 'p.yaml'), policyText('two', 'deny'));
      await reloads.next((s) => s.policies[0]?.name === 'two');
      expect(reloads.events).toHaveLength(1);
    } finally {
      store.close();
    }
  });
});

describe('PolicyStore options', () => {
  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a misspelt key', { debounceMS: 5 }, /Unknown key "debounceMS" in PolicyStore options\. Did you mean "debounceMs"\? Accepted keys: .*debounceMs/],
    ['a key of another component', { fsync: 'always' }, /Unknown key "fsync".*Accepted keys: .*manifest.*watch/],
    ['an unknown load limit', { loadLimits: { maxRule: 5 } }, /Unknown key "maxRule" in loadLimits/],
    ['an unknown request limit', { limits: { depth: 5 } }, /Unknown key "depth" in limits/],
    ['a negative debounce', { debounceMs: -1 }, /debounceMs/],
    ['a fractional poll interval', { pollMs: 1.5 }, /pollMs/],
    ['a non-boolean watch', { watch: 'yes' }, /watch/],
    ['an empty manifest path', { manifest: '' }, /manifest/],
    ['a zero rule limit', { loadLimits: { maxRules: 0 } }, /maxRules must be a positive integer/],
  ];
  it.each(bad)('refuses %s with ERR_OPTIONS', async (_name, options, message) => {
    writeFileSync(join(dir, 'p.yaml'), FULL);
    const err = await PolicyStore.open([join(dir, 'p.yaml')], options as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).code).toBe('ERR_OPTIONS');
    expect((err as WardenError).message).toMatch(message);
  });

  it('accepts the compile options next to its own', async () => {
    writeFileSync(join(dir, 'p.yaml'), FULL);
    const store = await PolicyStore.open([join(dir, 'p.yaml')], { settleMs: 0, limits: { maxDepth: 8 }, loadLimits: { maxRules: 5 } });
    expect(store.current().limits.maxDepth).toBe(8);
    store.close();
  });

  it('a policy that binds the sql facet parses SQL from its first decision, and after a reload', async () => {
    const file = join(dir, 'sql.yaml');
    writeFileSync(file, readFileSync(new URL('../../examples/policies/sql-agent.yaml', import.meta.url), 'utf8'));
    const store = await PolicyStore.open([file], { settleMs: 0 });
    const read = { tool: 'query_db', args: { query: 'SELECT id FROM app.orders' } };
    const drop = { tool: 'query_db', args: { query: 'DROP TABLE app.orders' } };
    expect(store.current().decide(read).effect).toBe('allow');
    expect(store.current().decide(drop).effect).toBe('deny');
    appendFileSync(file, '\n# edited\n');
    const r = await store.reload();
    expect(r.ok).toBe(true);
    expect(store.current().decide(read).effect).toBe('allow');
    expect(store.current().decide(drop).rule).toBe('read-only');
    store.close();
  });

  it('a reload over the load limits is refused (too_large) and the last good set stays', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, FULL);
    const warnings = new EventLog<PolicyStoreWarning>();
    const store = await PolicyStore.open([file], { settleMs: 0, loadLimits: { maxRules: 2 }, onWarning: warnings.push });
    const good = store.current();
    writeFileSync(file, `${FULL}  - name: third\n    tools: [x]\n    effect: deny\n`);
    const r = await store.reload();
    expect(r.ok).toBe(false);
    expect(store.current()).toBe(good);
    const w = await warnings.next((x) => x.code === 'reload_failed');
    expect(w.message).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: error\\[too_large\\]`));
    store.close();
  });
});
