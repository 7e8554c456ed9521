/**
 * Reading policy files only once they are complete and stable.
 *
 * A save that is not atomic (a writer that truncates the file and writes it in several parts, or
 * appends the second half later) passes through states that are valid YAML but a shorter policy:
 * cut at a rule boundary, the trailing deny rules are simply gone. A reader that compiles whatever
 * it finds serves that policy. So the files are read between two looks at their metadata (list,
 * inode, size, mtime, ctime, to the nanosecond), and after a quiet period read and looked at again;
 * only when all of it agrees are the sources handed on. This narrows the window to writers that
 * pause longer than the quiet period; a manifest (policy-manifest.ts) closes it.
 */
import { stat } from 'node:fs/promises';
import { WardenError } from '../errors.js';
import type { LoadLimits } from '../policy/load-limits.js';
import { policyFilesOf, readListedSources } from './load-files.js';

/**
 * Options of {@link readStableSources}.
 *
 * @example
 * ```ts
 * const options: StableReadOptions = { settleMs: 100, onUnstable: (m) => console.warn(m) };
 * ```
 */
export interface StableReadOptions {
  /** Quiet period between the first read and the re-read that must agree with it; 0 skips the re-read. */
  settleMs: number;
  /** Attempts before giving up with `ERR_POLICY_UNSTABLE`. Default 10. */
  maxAttempts?: number;
  loadLimits?: Partial<LoadLimits>;
  /** Told each time the files changed while they were read (then it waits and reads again). */
  onUnstable?: (message: string) => void;
  /** Waits `ms` (a seam for tests; default a timer). */
  wait?: (ms: number) => Promise<void>;
}

/**
 * Sources read while nothing changed, and the fingerprint they were read under.
 *
 * @example
 * ```ts
 * const { sources, fingerprint } = await readStableSources(['policies/'], { settleMs: 100 });
 * ```
 */
export interface StableSources {
  sources: Array<{ name: string; text: string }>;
  /** The files' metadata when they were read; compare with {@link fingerprintOf} to see a change. */
  fingerprint: string;
}

const DEFAULT_ATTEMPTS = 10;

/**
 * Reads the policy sources behind `paths` once they are stable: the file list and every file's
 * metadata are the same before and after the read, and (with `settleMs` > 0) the same again, with
 * the same content, after a quiet period. Files that are not regular files (a FIFO, a process
 * substitution) are read once: they cannot be read twice.
 *
 * @example
 * ```ts
 * const { sources } = await readStableSources(['policy.yaml'], { settleMs: 100 });
 * const set = compilePolicy(sources);
 * ```
 * @throws PolicyLoadError as {@link readPolicySources}; WardenError `ERR_POLICY_UNSTABLE` when
 *   the files were still changing after `maxAttempts` attempts.
 */
export async function readStableSources(paths: readonly string[], options: StableReadOptions): Promise<StableSources> {
  const wait = options.wait ?? delay;
  const attempts = options.maxAttempts ?? DEFAULT_ATTEMPTS;
  const limits = options.loadLimits === undefined ? {} : { loadLimits: options.loadLimits };
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const files = await policyFilesOf(paths);
    const before = await fingerprintOfFiles(files);
    const sources = await readListedSources(files, limits);
    const after = await fingerprintOfFiles(files);
    let problem = before.text === after.text ? null : `${changedFile(before, after)} changed while it was read`;
    if (problem === null && options.settleMs > 0) {
      await wait(options.settleMs);
      const again = await policyFilesOf(paths);
      const settled = await fingerprintOfFiles(again);
      if (settled.text !== after.text) problem = `${changedFile(after, settled)} changed within ${options.settleMs} ms of being read`;
      else {
        const reread = await readListedSources(again.filter((f) => settled.regular.has(f)), limits);
        const differs = reread.find((s) => sources.find((o) => o.name === s.name)?.text !== s.text);
        if (differs) problem = `${differs.name} changed within ${options.settleMs} ms of being read (its size and times did not)`;
      }
    }
    if (problem === null) return { sources, fingerprint: after.text };
    last = problem;
    options.onUnstable?.(
      `${problem}: a save that is not atomic. Waiting for it to settle (attempt ${attempt} of ${attempts}). Save policy files atomically: write a temporary file in the same directory, then rename it over the policy.`,
    );
    if (attempt < attempts) await wait(Math.max(options.settleMs, 10));
  }
  throw new WardenError(
    'ERR_POLICY_UNSTABLE',
    `The policy files kept changing while they were read (${last}, ${attempts} attempts), so they were not activated. Save policy files atomically (write a temporary file, then rename it over the policy), or deploy with a manifest.`,
  );
}

/**
 * The metadata of the policy files behind `paths` (or why they cannot be listed), as one string:
 * equal strings mean nothing was added, removed, replaced or written meanwhile.
 *
 * @example
 * ```ts
 * if ((await fingerprintOf(['policies/'])) !== loaded.fingerprint) await store.reload();
 * ```
 */
export async function fingerprintOf(paths: readonly string[], extra: readonly string[] = []): Promise<string> {
  let files: string[];
  try {
    files = await policyFilesOf(paths);
  } catch (e) {
    return `unlistable: ${e instanceof Error ? e.message : String(e)}`;
  }
  return (await fingerprintOfFiles([...files, ...extra])).text;
}

interface Fingerprint {
  text: string;
  entries: Map<string, string>;
  /** The regular files among them (the ones that can be read again). */
  regular: Set<string>;
}

async function fingerprintOfFiles(files: readonly string[]): Promise<Fingerprint> {
  const entries = new Map<string, string>();
  const regular = new Set<string>();
  for (const f of files) {
    try {
      const st = await stat(f, { bigint: true });
      // A FIFO's times change as it is written to, and it can be read only once: only its identity counts.
      if (st.isFile()) {
        regular.add(f);
        entries.set(f, `f:${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`);
      } else entries.set(f, `o:${st.dev}:${st.ino}`);
    } catch (e) {
      entries.set(f, `error:${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  return { text: JSON.stringify([...entries]), entries, regular };
}

/** The first file whose metadata differs between two fingerprints, for the message. */
function changedFile(a: Fingerprint, b: Fingerprint): string {
  for (const [f, v] of b.entries) if (a.entries.get(f) !== v) return f;
  for (const f of a.entries.keys()) if (!b.entries.has(f)) return f;
  return 'the list of policy files';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
