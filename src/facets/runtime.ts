/**
 * Computing facets for a request: the FacetRuntime a compiled PolicySet uses. A facet is computed
 * only when a candidate rule reads its variable, and at most once per decision.
 */
import { canonicalJson } from '../lib/canonical-json.js';
import { compileGlob, type GlobMatcher } from '../lib/glob.js';
import type { FacetRequest, FacetRuntime, FacetValue, RealpathResolver } from './types.js';
import type { BoundFacet, FacetBinding } from './bindings.js';
import { EMPTY_K8S_FACTS, k8sFacet } from './k8s.js';
import { EMPTY_PATH_FACTS, pathFacet } from './path.js';
import { EMPTY_SHELL_FACTS, shellFacet } from './shell.js';
import { EMPTY_SQL_FACTS, sqlFacet } from './sql.js';
import type { SqlParsers } from './sql-parsers.js';
import { scanUrls } from './url.js';

/** The CEL variables facets provide, with their types. */
export const FACET_VARIABLES = [
  { name: 'sql', type: 'map' },
  { name: 'shell', type: 'map' },
  { name: 'path', type: 'map' },
  { name: 'k8s', type: 'map' },
  { name: 'urls', type: 'list' },
] as const;

const EMPTY: Record<BoundFacet, object> = { sql: EMPTY_SQL_FACTS, shell: EMPTY_SHELL_FACTS, path: EMPTY_PATH_FACTS, k8s: EMPTY_K8S_FACTS };

interface CompiledBinding {
  binding: FacetBinding;
  globs: GlobMatcher[];
  /** Canonical options, to tell identical bindings from conflicting ones. */
  key: string;
}

/**
 * Facets for one PolicySet.
 *
 * @example
 * ```ts
 * const facets = new FacetEngine(bindings);
 * facets.compute('shell', celRequest); // { value: Map { 'parsed' => true, ... } }
 * ```
 */
export class FacetEngine implements FacetRuntime {
  readonly variableNames: ReadonlySet<string> = new Set(FACET_VARIABLES.map((v) => v.name));
  readonly bound: ReadonlySet<string>;
  readonly #bindings: CompiledBinding[];
  readonly #empty = new Map<string, unknown>();
  readonly #resolver: RealpathResolver | undefined;
  readonly #sqlParsers: SqlParsers | undefined;

  /**
   * `resolver` answers `realpath: true` path bindings; without one their check fails closed.
   * `sqlParsers` parse for sql bindings; without them (or without a binding's dialect) every sql
   * facet is `parsed: false` (compilePolicy refuses to build such a set; see there).
   */
  constructor(bindings: readonly FacetBinding[], options: { resolver?: RealpathResolver; sqlParsers?: SqlParsers } = {}) {
    this.#resolver = options.resolver;
    this.#sqlParsers = options.sqlParsers;
    this.#bindings = bindings.map((binding) => {
      const { tools: _tools, pos: _pos, ...options } = binding;
      return { binding, globs: binding.tools.map((t) => compileGlob(t)), key: canonicalJson(options) };
    });
    for (const [name, value] of Object.entries(EMPTY)) this.#empty.set(name, toCel(value));
    this.bound = new Set(bindings.map((b) => b.facet));
  }

  compute(name: string, request: FacetRequest): FacetValue {
    try {
      if (name === 'urls') {
        const scan = scanUrls(toPlain(request.args));
        if (scan.truncated || scan.error !== '') return { error: `the URL scan of the arguments stopped: ${scan.error || 'a limit was reached'}` };
        return { value: toCel(scan.urls) };
      }
      const facet = name as BoundFacet;
      const applicable = this.#bindings.filter((b) => b.binding.facet === facet && b.globs.some((g) => g.test(request.tool)));
      if (applicable.length === 0) return { value: this.#empty.get(facet) };
      const first = applicable[0] as CompiledBinding;
      if (applicable.some((b) => b.key !== first.key)) {
        return { error: `tool "${request.tool}" has ${applicable.length} different ${facet} bindings; bind each tool once` };
      }
      const input = toPlain(readPath(request.args, first.binding.from.keys));
      return { value: toCel(computeFacet(first.binding, input, this.#resolver, this.#sqlParsers)) };
    } catch (e) {
      // invariant: a facet that fails is an evaluation error for the rule, which fails closed.
      return { error: `the ${name} facet failed: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
}

function computeFacet(b: FacetBinding, input: unknown, resolver: RealpathResolver | undefined, sqlParsers: SqlParsers | undefined): object {
  switch (b.facet) {
    case 'sql':
      return sqlFacet(input, { dialect: b.dialect, parsers: sqlParsers as SqlParsers });
    case 'shell':
      return shellFacet(input);
    case 'path':
      return pathFacet(input, { root: b.root, realpath: b.realpath, windows: b.windows, ...(b.home !== undefined ? { home: b.home } : {}), ...(resolver ? { resolver } : {}) });
    case 'k8s':
      return k8sFacet(input, { ...(b.verb !== undefined ? { verb: b.verb } : {}), ...(b.defaultNamespace !== undefined ? { defaultNamespace: b.defaultNamespace } : {}) });
  }
}

function readPath(args: Map<string, unknown>, keys: readonly string[]): unknown {
  let cur: unknown = args;
  for (const k of keys) {
    if (!(cur instanceof Map) || !cur.has(k)) return undefined;
    cur = cur.get(k);
  }
  return cur;
}

/** CEL values back to plain data (null-prototype objects, so keys stay data). */
function toPlain(v: unknown): unknown {
  if (v instanceof Map) {
    const o = Object.create(null) as Record<string, unknown>;
    for (const [k, val] of v) o[k as string] = toPlain(val);
    return o;
  }
  if (Array.isArray(v)) return v.map(toPlain);
  return v;
}

/** Facet facts to CEL values: objects become Maps. */
export function toCel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toCel);
  if (v !== null && typeof v === 'object') {
    const m = new Map<string, unknown>();
    for (const [k, val] of Object.entries(v)) m.set(k, toCel(val));
    return m;
  }
  return v;
}
