/**
 * Loading the hook's policy: read the files on every call, compile only when they changed.
 */
import { canonicalJson } from '../../lib/canonical-json.js';
import { sha256Hex } from '../../lib/hash.js';
import { readPolicySources, sqlParsersFor, withLanguageEngines } from '../../enforce/load-files.js';
import type { SqlParsers } from '../../facets/sql-parsers.js';
import { fsRealpathResolver } from '../../enforce/realpath-resolver.js';
import { lazyDetector, loadDetector } from '../../enforce/lazy-detector.js';
import type { CompiledPolicyCache } from '../../enforce/compiled-cache.js';
import type { PolicySet } from '../../policy/policy-set.js';
import { claudeCodeBindings, type BindingOptions } from './mapping.js';

/**
 * Compiled policy sets keyed by the exact bytes of their sources and the binding options. The
 * files are read on every load, so an edited policy is in force from the next call: a cache hit
 * needs every source byte-for-byte equal. A policy that fails to load is never cached, and the
 * load throws (the hook fails closed).
 *
 * @example
 * ```ts
 * const cache = new PolicyCache();
 * const set = await cache.load(['/repo/.warden/policy.yaml'], { root: '/repo', home: '/home/dev' });
 * ```
 */
export class PolicyCache {
  readonly #max: number;
  readonly #sets = new Map<string, PolicySet>();
  /** The SQL parsers this cache's sets share (loaded when a set first binds sql; grown per dialect). */
  #sqlParsers: SqlParsers | undefined;

  readonly #disk: CompiledPolicyCache | null;

  /** `max`: most sets kept; the least recently used goes first. `disk`: the compiled-policy cache consulted on a miss. */
  constructor(max = 16, disk: CompiledPolicyCache | null = null) {
    this.#max = Math.max(1, Math.floor(max));
    this.#disk = disk;
  }

  /**
   * Reads the policy files and returns their compiled set with the Claude Code bindings.
   *
   * @example
   * ```ts
   * const set = await cache.load(['.warden/policy.yaml'], { root: process.cwd() });
   * ```
   * @throws PolicyLoadError when a file is missing or unreadable or any source fails to load.
   */
  async load(paths: readonly string[], bindings: BindingOptions): Promise<PolicySet> {
    const sources = await readPolicySources(paths);
    const key = sha256Hex(canonicalJson({ sources: sources.map((s) => [s.name, 'text' in s ? sha256Hex(s.text) : '']), bindings: [bindings.root, bindings.home ?? null, bindings.windows === true, bindings.realpath !== false] }));
    const hit = this.#sets.get(key);
    if (hit) {
      this.#sets.delete(key);
      this.#sets.set(key, hit);
      return hit;
    }
    const supplied = claudeCodeBindings(bindings);
    // Cedar and Rego documents (or .cedar/.rego files) get their engines, loaded only when present.
    const prepared = await withLanguageEngines(sources, this.#disk);
    const options = { resolver: fsRealpathResolver, detector: lazyDetector, ...(prepared.backends !== undefined ? { backends: prepared.backends } : {}) };
    // The compiler (and the YAML parser) loads on demand: a hit in the disk cache needs neither.
    const staged = this.#disk
      ? (await this.#disk.stage(prepared.sources, supplied, options)).staged
      : (await import('../../policy/compile.js')).stagePolicy(prepared.sources, supplied, options);
    const sql = await sqlParsersFor(staged.sqlDialects, this.#sqlParsers);
    if (staged.readsDetect) await loadDetector();
    this.#sqlParsers = 'parsers' in sql ? sql.parsers : sql.partial;
    const set = 'error' in sql ? staged.complete(this.#sqlParsers, sql.error) : staged.complete(sql.parsers);
    this.#sets.set(key, set);
    while (this.#sets.size > this.#max) {
      const oldest = this.#sets.keys().next().value;
      if (oldest === undefined) break;
      this.#sets.delete(oldest);
    }
    return set;
  }
}
