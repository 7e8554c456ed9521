import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Governor } from '../../src/enforce/governor.js';
import { loadPolicyFiles } from '../../src/enforce/load-files.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { PolicyStore } from '../../src/enforce/policy-store.js';
import { PolicyLoadError } from '../../src/policy/issues.js';
import type { PolicySet } from '../../src/policy/policy-set.js';
import { EventLog } from '../helpers/events.js';

function policyText(name: string, effect: 'allow' | 'deny', tool = 'read_file'): string {
  return `apiVersion: warden/v1\nkind: Policy\nname: ${name}\nrules:\n  - name: r-${name}\n    tools: [${tool}]\n    effect: ${effect}\n`;
}

const BROKEN = 'apiVersion: warden/v1\nkind: Policy\nname: broken\nrules:\n  - name: bad\n    effect: alow\n';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('PolicyStore', () => {
  it('open() loads the files and current() decides with them', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policyText('one', 'allow'));
    const store = await PolicyStore.open([file]);
    expect(store.current().decide({ tool: 'read_file', args: {} }).effect).toBe('allow');
    expect(store.current().policies.map((p) => p.name)).toEqual(['one']);
    expect(store.lastError).toBeNull();
    store.close();
  });

  it('reload() swaps the whole set: the new digest and rules are in force, the old set object is unchanged', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policyText('one', 'allow'));
    const reloaded: PolicySet[] = [];
    const store = await PolicyStore.open([file], { onReload: (s) => reloaded.push(s) });
    const before = store.current();
    writeFileSync(file, policyText('two', 'deny'));
    const r = await store.reload();
    expect(r.ok).toBe(true);
    const after = store.current();
    expect(after).not.toBe(before);
    expect(r.ok && r.set).toBe(after);
    expect(reloaded).toEqual([after]);
    expect(after.digest).not.toBe(before.digest);
    expect(after.decide({ tool: 'read_file', args: {} }).effect).toBe('deny');
    expect(before.decide({ tool: 'read_file', args: {} }).effect).toBe('allow');
    expect(store.lastError).toBeNull();
    store.close();
  });

  it('a Governor on a store sees the reloaded policy on its next check', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policyText('one', 'allow'));
    const store = await PolicyStore.open([file]);
    const g = new Governor({ policy: store, sink: new MemorySink() });
    expect((await g.check({ tool: 'read_file', args: {} })).allowed).toBe(true);
    writeFileSync(file, policyText('two', 'deny'));
    await store.reload();
    const v = await g.check({ tool: 'read_file', args: {} });
    expect(v.allowed).toBe(false);
    expect(v.policyDigest).toBe(store.current().digest);
    store.close();
  });

  it('reload() calls made while a reload is reading share one follow-up reload', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policyText('one', 'allow'));
    let reloads = 0;
    const store = await PolicyStore.open([file], { onReload: () => reloads++ });
    const [a, b, c] = await Promise.all([store.reload(), store.reload(), store.reload()]);
    expect(a).not.toBe(b);
    expect(b).toBe(c);
    expect(reloads).toBe(2);
    store.close();
  });

  const failures: Array<[string, (file: string) => void]> = [
    ['the file is broken', (f) => writeFileSync(f, BROKEN)],
    ['the file is not YAML', (f) => writeFileSync(f, 'rules: [\n  - {')],
    ['the file is empty', (f) => writeFileSync(f, '')],
    ['the file is deleted', (f) => rmSync(f)],
    ['the file declares allow-all but also has an error', (f) => writeFileSync(f, `${policyText('open', 'allow', '"*"').replace('name: open', 'name: open\ndefault: allow')}    whne: "true"\n`)],
  ];

  it.each(failures)('a failed reload (%s) keeps the last good set, reports via onError and lastError, never allows', async (_name, breakIt) => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policyText('strict', 'deny', 'delete_all'));
    const errors: unknown[] = [];
    const store = await PolicyStore.open([file], { onError: (e) => errors.push(e) });
    const good = store.current();
    breakIt(file);
    const r = await store.reload();
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.kept).toBe(good);
      expect(r.error).toBeInstanceOf(PolicyLoadError);
    }
    expect(store.current()).toBe(good);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PolicyLoadError);
    expect(store.lastError).toBe(errors[0]);
    expect(store.current().decide({ tool: 'delete_all', args: {} }).effect).toBe('deny');
    expect(store.current().decide({ tool: 'anything_else', args: {} }).effect).toBe('deny');
    // A good file again clears the error.
    writeFileSync(file, policyText('fixed', 'allow'));
    const again = await store.reload();
    expect(again.ok).toBe(true);
    expect(store.lastError).toBeNull();
    store.close();
  });

  it('watch: true picks up a file change', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policyText('one', 'deny'));
    const reloads = new EventLog<PolicySet>();
    const store = await PolicyStore.open([file], { watch: true, debounceMs: 20, settleMs: 10, onReload: reloads.push });
    try {
      expect(store.current().decide({ tool: 'read_file', args: {} }).effect).toBe('deny');
      writeFileSync(file, policyText('two', 'allow'));
      await reloads.next((s) => s.policies[0]?.name === 'two');
      expect(store.current().decide({ tool: 'read_file', args: {} }).effect).toBe('allow');
    } finally {
      store.close();
    }
  });

  it('watch: true with a broken edit keeps the last good set and reports it', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policyText('one', 'deny'));
    const errors = new EventLog<unknown>();
    const store = await PolicyStore.open([file], { watch: true, debounceMs: 20, settleMs: 10, onError: errors.push });
    try {
      const good = store.current();
      writeFileSync(file, BROKEN);
      expect(await errors.next()).toBeInstanceOf(PolicyLoadError);
      expect(store.current()).toBe(good);
      expect(store.lastError).toBeInstanceOf(PolicyLoadError);
    } finally {
      store.close();
    }
  });

  it('watch: true keeps watching after an editor-style save (write a temp file, rename it over the policy)', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policyText('one', 'deny'));
    const reloads = new EventLog<PolicySet>();
    const store = await PolicyStore.open([file], { watch: true, debounceMs: 20, settleMs: 10, pollMs: 0, onReload: reloads.push });
    try {
      writeFileSync(join(dir, '.p.yaml.tmp1'), policyText('two', 'allow'));
      renameSync(join(dir, '.p.yaml.tmp1'), file);
      await reloads.next((s) => s.policies[0]?.name === 'two');
      writeFileSync(join(dir, '.p.yaml.tmp2'), policyText('three', 'deny'));
      renameSync(join(dir, '.p.yaml.tmp2'), file);
      await reloads.next((s) => s.policies[0]?.name === 'three');
      expect(store.current().decide({ tool: 'read_file', args: {} }).effect).toBe('deny');
    } finally {
      store.close();
    }
  });

  it('watch: true on a directory picks up a change to a file in a subdirectory (directories load recursively)', async () => {
    mkdirSync(join(dir, 'team'));
    const nested = join(dir, 'team', 'p.yaml');
    writeFileSync(nested, policyText('one', 'allow'));
    const reloads = new EventLog<PolicySet>();
    const store = await PolicyStore.open([dir], { watch: true, debounceMs: 20, settleMs: 10, pollMs: 0, onReload: reloads.push });
    try {
      writeFileSync(nested, policyText('tightened', 'deny'));
      await reloads.next((s) => s.policies[0]?.name === 'tightened');
      expect(store.current().decide({ tool: 'read_file', args: {} }).effect).toBe('deny');
    } finally {
      store.close();
    }
  });

  it('a reload() asked for after a write, while an earlier reload is still reading, reflects the write', async () => {
    const file = join(dir, 'a.yaml');
    writeFileSync(file, policyText('old', 'allow'));
    // A FIFO holds a reload mid-read, deterministically, after it has read a.yaml (sorted first):
    // opening its write end without blocking succeeds only once a reader waits on it.
    const fifo = join(dir, 'z.yaml');
    execFileSync('mkfifo', [fifo]);
    const openWriter = async (stop: () => boolean): Promise<number | null> => {
      const end = Date.now() + 10_000;
      while (Date.now() < end && !stop()) {
        try {
          return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENXIO') throw e;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      return null;
    };
    // The reader is this process: it holds a descriptor on the FIFO from its open until it is done.
    // A writer's open succeeds as soon as a reader has *entered* open(), before its descriptor
    // exists; so a feed first waits for the reader's descriptor (beside its own), then writes,
    // then waits until every descriptor is gone. Two feeds can then never meet in one read.
    const holders = (): number =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === fifo;
        } catch {
          return false;
        }
      }).length;
    const until = async (ready: () => boolean): Promise<void> => {
      const end = Date.now() + 10_000;
      while (!ready() && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
    };
    let fed = 0;
    const feed = async (fd: number): Promise<void> => {
      await until(() => holders() >= 2);
      writeSync(fd, policyText(`z${fed++}`, 'deny', 'never_called'));
      closeSync(fd);
      await until(() => holders() === 0);
    };
    const opening = PolicyStore.open([file, fifo], { settleMs: 0 });
    await feed((await openWriter(() => false)) as number);
    const store = await opening;
    const earlier = store.reload();
    const held = await openWriter(() => false);
    expect(held).not.toBeNull();
    // The earlier reload has read a.yaml and waits on the FIFO; now the file changes.
    writeFileSync(file, policyText('new', 'deny'));
    const later = store.reload();
    let done = false;
    void later.finally(() => (done = true));
    await feed(held as number);
    // Feed every further read of the FIFO until the later reload is done.
    for (let fd = await openWriter(() => done); fd !== null; fd = await openWriter(() => done)) await feed(fd);
    await earlier;
    const r = await later;
    expect(r.ok ? 'ok' : String((r as { error?: unknown }).error)).toBe('ok');
    expect(store.current().policies.map((p) => p.name)[0]).toBe('new');
    expect(store.current().decide({ tool: 'read_file', args: {} }).effect).toBe('deny');
    store.close();
  });

  it('opening a missing path throws PolicyLoadError', async () => {
    const missing = join(dir, 'nope.yaml');
    await expect(PolicyStore.open([missing])).rejects.toBeInstanceOf(PolicyLoadError);
  });

  it('opening a broken file throws PolicyLoadError (there is no good set to fall back to)', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, BROKEN);
    await expect(PolicyStore.open([file])).rejects.toBeInstanceOf(PolicyLoadError);
  });
});

describe('loadPolicyFiles', () => {
  it('reads a directory recursively, in sorted order, skipping dot-files, dot-dirs and other extensions', async () => {
    writeFileSync(join(dir, 'b.yaml'), policyText('b', 'allow'));
    writeFileSync(join(dir, 'a.yml'), policyText('a', 'allow'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'c.json'), JSON.stringify({ apiVersion: 'warden/v1', kind: 'Policy', name: 'c', rules: [] }));
    writeFileSync(join(dir, '.hidden.yaml'), BROKEN);
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'x.yaml'), BROKEN);
    writeFileSync(join(dir, 'notes.txt'), 'not a policy');
    writeFileSync(join(dir, 'README.md'), '# no');
    const set = await loadPolicyFiles([dir]);
    expect(set.policies.map((p) => p.name)).toEqual(['a', 'b', 'c']);
    expect(set.policies.map((p) => p.source)).toEqual([join(dir, 'a.yml'), join(dir, 'b.yaml'), join(dir, 'sub', 'c.json')]);
  });

  it('a symlinked policy file inside a directory is loaded, never silently skipped', async () => {
    mkdirSync(join(dir, 'policies'));
    mkdirSync(join(dir, 'shared'));
    writeFileSync(join(dir, 'policies', 'a.yaml'), policyText('base', 'allow', '"*"'));
    writeFileSync(join(dir, 'shared', 'no-rm.yaml'), policyText('no-rm', 'deny', 'rm'));
    symlinkSync(join(dir, 'shared', 'no-rm.yaml'), join(dir, 'policies', 'b.yaml'));
    const set = await loadPolicyFiles([join(dir, 'policies')]);
    expect(set.policies.map((p) => p.name)).toEqual(['base', 'no-rm']);
    expect(set.decide({ tool: 'rm', args: {} }).effect).toBe('deny');
  });

  it('a symlinked subdirectory inside a policy directory is loaded', async () => {
    mkdirSync(join(dir, 'policies'));
    mkdirSync(join(dir, 'shared'));
    writeFileSync(join(dir, 'policies', 'a.yaml'), policyText('base', 'allow', '"*"'));
    writeFileSync(join(dir, 'shared', 'no-rm.yaml'), policyText('no-rm', 'deny', 'rm'));
    symlinkSync(join(dir, 'shared'), join(dir, 'policies', 'shared'), 'dir');
    const set = await loadPolicyFiles([join(dir, 'policies')]);
    expect(set.decide({ tool: 'rm', args: {} }).effect).toBe('deny');
  });

  it('the same files give the same digest whatever order the paths are given in', async () => {
    writeFileSync(join(dir, 'a.yaml'), policyText('a', 'allow'));
    writeFileSync(join(dir, 'b.yaml'), policyText('b', 'deny', 'x'));
    const one = await loadPolicyFiles([join(dir, 'a.yaml'), join(dir, 'b.yaml')]);
    const two = await loadPolicyFiles([join(dir, 'b.yaml'), join(dir, 'a.yaml')]);
    expect(one.digest).toBe(two.digest);
    expect(one.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('a broken file anywhere in a directory fails the whole load', async () => {
    writeFileSync(join(dir, 'a.yaml'), policyText('a', 'allow'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'z.yaml'), BROKEN);
    const err = await loadPolicyFiles([dir]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PolicyLoadError);
    const issue = (err as PolicyLoadError).issues.find((i) => i.severity === 'error');
    expect(issue?.file).toBe(join(dir, 'sub', 'z.yaml'));
    expect(issue?.line).toBeGreaterThan(0);
  });

  it('an empty directory is an error (no_policy), not an empty allow', async () => {
    const err = await loadPolicyFiles([dir]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PolicyLoadError);
    expect((err as PolicyLoadError).issues[0]?.code).toBe('no_policy');
  });

  it('a directory holding only dot-files is an error (no_policy)', async () => {
    writeFileSync(join(dir, '.p.yaml'), policyText('hidden', 'allow'));
    const err = await loadPolicyFiles([dir]).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as PolicyLoadError).issues[0]?.code).toBe('no_policy');
  });

  it('a missing file is an error with code file_not_found', async () => {
    const missing = join(dir, 'missing.yaml');
    const err = await loadPolicyFiles([missing]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PolicyLoadError);
    expect((err as PolicyLoadError).code).toBe('ERR_POLICY_LOAD');
    expect((err as PolicyLoadError).issues[0]?.code).toBe('file_not_found');
    expect((err as PolicyLoadError).issues[0]?.file).toBe(missing);
  });

  it('no paths at all is an error (no_policy)', async () => {
    const err = await loadPolicyFiles([]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PolicyLoadError);
    expect((err as PolicyLoadError).issues[0]?.code).toBe('no_policy');
  });

  it('an empty file is an error, not an empty policy', async () => {
    writeFileSync(join(dir, 'empty.yaml'), '');
    await expect(loadPolicyFiles([join(dir, 'empty.yaml')])).rejects.toBeInstanceOf(PolicyLoadError);
  });
});
