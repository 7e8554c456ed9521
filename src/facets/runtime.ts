/**
 * Computing facets for a request: the FacetRuntime a compiled PolicySet uses. A facet is computed
 * only when a candidate rule reads its variable, and at most once per decision.
 */
import { canonicalJson } from '../lib/canonical-json.js';
import { compileGlob, type GlobMatcher } from '../lib/glob.js';
import type { ArgumentDetector, FacetRequest, FacetRuntime, FacetValue, RealpathResolver } from './types.js';
import type { ArgPath, BoundFacet, FacetBinding, RequestValue } from './bindings.js';
import type { K8sFacts } from './k8s.js';
import { EMPTY_PATH_FACTS, pathFacet } from './path.js';
import { analyseSql, EMPTY_SQL_FACTS } from './sql-facts.js';
import type { SqlParsers } from './sql-parsers.js';
import { mergeEffects } from './effects.js';
import type { Effects, PathEffect } from './effects-types.js';
import { pathEffects, sqlContribution } from './effects-facets.js';
import { lazyModule } from '../lib/lazy-module.js';

// The heavy facets load when a rule first reads them (src/lib/lazy-module.ts): the shell facet with
// unbash, the k8s facet with yaml, the URL facet with tldts and ipaddr.js. A set that never reads
// them never loads them; one that cannot load them gets an evaluation error, which fails closed.
const shellModule = lazyModule<typeof import('./shell.js')>('facets/shell');
const k8sModule = lazyModule<typeof import('./k8s.js')>('facets/k8s');
const k8sEffectsModule = lazyModule<typeof import('./k8s-effects.js')>('facets/k8s-effects');
const urlModule = lazyModule<typeof import('./url.js')>('facets/url');
const urlEffectsModule = lazyModule<typeof import('./effects-urls.js')>('facets/effects-urls');

/** The CEL variables facets provide, with their types. */
export const FACET_VARIABLES = [
  { name: 'sql', type: 'map' },
  { name: 'shell', type: 'map' },
  { name: 'path', type: 'map' },
  { name: 'k8s', type: 'map' },
  { name: 'urls', type: 'list' },
  { name: 'effects', type: 'map' },
  { name: 'detect', type: 'map' },
] as const;

/** The facts of a facet no binding covers (the shell and k8s ones load their module). */
function emptyFacts(facet: BoundFacet): object {
  switch (facet) {
    case 'sql':
      return EMPTY_SQL_FACTS;
    case 'path':
      return EMPTY_PATH_FACTS;
    case 'shell':
      return shellModule().EMPTY_SHELL_FACTS;
    case 'k8s':
      return k8sModule().EMPTY_K8S_FACTS;
  }
}

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
  readonly #detector: ArgumentDetector | undefined;

  /**
   * `resolver` answers `realpath: true` path bindings; without one their check fails closed.
   * `sqlParsers` parse for sql bindings; without them (or without a binding's dialect) every sql
   * facet is `parsed: false` (compilePolicy refuses to build such a set; see there). `detector`
   * answers the `detect` variable; without one, reading it is an error.
   */
  constructor(bindings: readonly FacetBinding[], options: { resolver?: RealpathResolver; sqlParsers?: SqlParsers; detector?: ArgumentDetector } = {}) {
    this.#resolver = options.resolver;
    this.#sqlParsers = options.sqlParsers;
    this.#detector = options.detector;
    this.#bindings = bindings.map((binding) => {
      const { tools: _tools, pos: _pos, ...options } = binding;
      return { binding, globs: binding.tools.map((t) => compileGlob(t)), key: canonicalJson(options) };
    });
    this.bound = new Set(bindings.filter((b) => b.facet !== 'prose').map((b) => b.facet));
  }

  compute(name: string, request: FacetRequest): FacetValue {
    try {
      if (name === 'urls') {
        const scan = urlModule().scanUrls(toPlain(request.args));
        if (scan.truncated || scan.error !== '') return { error: `the URL scan of the arguments stopped: ${scan.error || 'a limit was reached'}` };
        return { value: toCel(scan.urls) };
      }
      if (name === 'detect') {
        // invariant: every argument is scanned, whatever the tool; a detector that cannot scan them makes the variable an error.
        if (this.#detector === undefined) return { error: 'the detect facet has no detector (compile with { detector: argumentDetector } from agent-warden/detect, or load with loadPolicyFiles())' };
        return { value: toCel(this.#detector(toPlain(request.args))) };
      }
      if (name === 'effects') {
        const r = this.#effects(request);
        return 'error' in r ? r : { value: toCel(r.effects) };
      }
      const facet = name as BoundFacet;
      const one = this.#binding(facet, request.tool);
      if (one === undefined) return { value: this.#emptyOf(facet) };
      if ('error' in one) return one;
      const input = toPlain(readPath(request.args, one.binding.from.keys));
      return { value: toCel(computeFacet(one.binding, input, this.#resolver, this.#sqlParsers)) };
    } catch (e) {
      // invariant: a facet that fails is an evaluation error for the rule, which fails closed.
      return { error: `the ${name} facet failed: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  /** The CEL value of `facet`'s empty facts, made once per engine. */
  #emptyOf(facet: BoundFacet): unknown {
    let value = this.#empty.get(facet);
    if (value === undefined) {
      value = toCel(emptyFacts(facet));
      this.#empty.set(facet, value);
    }
    return value;
  }

  /** The one binding of `facet` for `tool`, undefined when none, an error when several differ. */
  #binding(facet: BoundFacet, tool: string): CompiledBinding | { error: string } | undefined {
    const applicable = this.#bindings.filter((b) => b.binding.facet === facet && b.globs.some((g) => g.test(tool)));
    const first = applicable[0];
    if (first === undefined) return undefined;
    if (applicable.some((b) => b.key !== first.key)) {
      return { error: `tool "${tool}" has ${applicable.length} different ${facet} bindings; bind each tool once` };
    }
    return first;
  }

  /**
   * The merged effects of every facet bound to the tool, plus the network destinations of the
   * arguments no facet reads (and no prose binding marks as text). A facet that cannot analyse
   * its input makes the whole variable an error, never an empty list.
   */
  #effects(request: FacetRequest): { effects: Effects } | { error: string } {
    const parts: Effects[] = [];
    const consumed: ArgPath[] = [];
    let analysed = false;
    for (const facet of ['shell', 'path', 'k8s', 'sql'] as const) {
      const one = this.#binding(facet, request.tool);
      if (one === undefined) continue;
      if ('error' in one) return one;
      const b = one.binding;
      consumed.push(b.from);
      analysed = true;
      const raw = readPath(request.args, b.from.keys);
      const input = toPlain(raw);
      let part: Effects | { error: string };
      switch (b.facet) {
        case 'shell': {
          const cwd = requestValue(b.cwd, request);
          const r = shellModule().shellEffects(input, { ...(cwd !== undefined ? { cwd } : {}), ...(b.home !== undefined ? { home: b.home } : {}) });
          part = 'error' in r ? { error: `the shell effects of argument ${b.from.text} could not be computed: ${r.error}` } : r.effects;
          if (!('error' in part) && b.realpath === true) part = throughSymlinks(part, this.#resolver, cwd);
          break;
        }
        case 'path': {
          const value = raw === undefined && b.default !== undefined ? b.default : input;
          const facts = computeFacet(b, value, this.#resolver, this.#sqlParsers) as ReturnType<typeof pathFacet>;
          part = pathEffects(facts, b, request.tool);
          break;
        }
        case 'k8s': {
          const facts = computeFacet(b, input, this.#resolver, this.#sqlParsers) as K8sFacts;
          part = facts.parsed ? k8sEffectsModule().k8sEffects(facts) : { error: `the k8s facet could not read argument ${b.from.text}: ${facts.error}` };
          break;
        }
        case 'sql': {
          const facts = computeFacet(b, input, this.#resolver, this.#sqlParsers) as ReturnType<typeof analyseSql>;
          part = facts.parsed ? sqlContribution(facts) : { error: `the sql facet could not read argument ${b.from.text}: ${facts.error}` };
          break;
        }
        default:
          continue;
      }
      if ('error' in part) return part;
      parts.push(part);
    }
    for (const b of this.#bindings) {
      if (b.binding.facet === 'prose' && b.globs.some((g) => g.test(request.tool))) consumed.push(b.binding.from, ...b.binding.also);
    }
    const urls = urlEffectsModule().urlNetworkEffects(withoutPaths(request.args, consumed));
    if ('error' in urls) return urls;
    parts.push(urls.effects);
    const merged = mergeEffects(parts);
    if (!analysed) {
      merged.complete = false;
      merged.unknown.push(`no facet is bound to tool "${request.tool}": only the network destinations in its arguments are known`);
    }
    return { effects: merged };
  }
}

/**
 * The shell's path effects with symlinks followed: each path that resolves elsewhere is reported
 * at its real location too (a write to `link/x` is also a write to where `link` points), and one
 * the resolver cannot answer for (a dangling link, an I/O error) may be anywhere. Without a
 * resolver (or for another platform's paths) every path may be anywhere: the check fails closed.
 */
function throughSymlinks(fx: Effects, resolver: RealpathResolver | undefined, cwd: string | undefined): Effects {
  // One batch per decision: the ancestors below are walked once for every path under them.
  const one = resolver !== undefined && resolver.platform === 'posix' ? (resolver.batch?.() ?? resolver) : undefined;
  const realOf = (p: string): string | null => {
    try {
      return one !== undefined ? one.real(p) : null;
    } catch {
      return null;
    }
  };
  // The working directory and its ancestors, nearest first, with their real paths: a resolved path
  // is spelled back through the nearest one it lies under, so a link above the project (macOS's
  // /tmp -> /private/tmp) does not make every path look moved, while one inside it does.
  // invariant: an ancestor is an anchor only if every link on its way down from / is one this user
  // cannot have made or swapped (resolver.fixedEntry); a working directory that is, or lies under,
  // a link the agent could have made (`ln -s / x && cd x`) would otherwise spell /etc as x/etc.
  const chain: { at: string; real: string | null }[] = [];
  for (let a = cwd ?? '/'; ; a = a.slice(0, Math.max(1, a.lastIndexOf('/')))) {
    chain.push({ at: a, real: realOf(a) });
    if (a === '/' || chain.length > 64) break;
  }
  const anchors: { at: string; real: string }[] = [];
  let parent: { at: string; real: string } | null = null;
  for (let i = chain.length - 1; i >= 0; i--) {
    const { at, real } = chain[i] as { at: string; real: string | null };
    if (real === null) break;
    const unmoved = parent === null ? real === at : real === (parent.real === '/' ? '' : parent.real) + at.slice(at.lastIndexOf('/'));
    if (parent === null ? at !== '/' : !unmoved && !(one?.fixedEntry?.(at) ?? false)) break;
    parent = { at, real };
    anchors.unshift(parent);
  }
  const lexical = (real: string): string => {
    for (const { at, real: r } of anchors) {
      if (real === r) return at;
      if (real.startsWith(r === '/' ? '/' : `${r}/`)) return at === '/' ? real.slice(r.length === 1 ? 0 : r.length) : `${at}${real.slice(r.length)}`;
    }
    return real;
  };
  const follow = (list: PathEffect[]): PathEffect[] => {
    const out: PathEffect[] = [];
    for (const e of list) {
      out.push(e);
      const at = e.known ? e.path : (e.within ?? '');
      if (!at.startsWith('/')) continue;
      const resolved = realOf(at);
      const real = resolved === null ? null : lexical(resolved);
      if (real === at) continue;
      const via = `${e.via} (through a symlink)`;
      if (real === null) out.push({ path: e.path, via, known: false, recursive: e.recursive ?? false, within: '' });
      else if (e.known) out.push({ ...e, path: real, via, within: real });
      else out.push({ path: e.path, via, known: false, recursive: e.recursive ?? false, within: real });
    }
    return out;
  };
  return { ...fx, reads: follow(fx.reads), writes: follow(fx.writes), deletes: follow(fx.deletes) };
}

/** The value of a binding's request reference (an absolute path, or `context.cwd`), or undefined. */
function requestValue(v: RequestValue | undefined, request: FacetRequest): string | undefined {
  if (v === undefined) return undefined;
  if (v.kind === 'literal') return v.value;
  const root = v.root === 'context' ? request.context : request.args;
  if (root === undefined) return undefined;
  const value = readPath(root, v.keys);
  // A missing or relative value leaves the directory unknown (relative paths are then unknown too).
  return typeof value === 'string' && value.startsWith('/') ? value : undefined;
}

/** The arguments without the ones at `paths` (a copy; the request is not changed). */
function withoutPaths(args: Map<string, unknown>, paths: readonly ArgPath[]): unknown {
  const plain = toPlain(args) as Record<string, unknown>;
  for (const p of paths) {
    let cur: unknown = plain;
    for (let i = 0; i < p.keys.length - 1; i++) {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) {
        cur = undefined;
        break;
      }
      cur = (cur as Record<string, unknown>)[p.keys[i] as string];
    }
    if (cur !== null && typeof cur === 'object' && !Array.isArray(cur)) delete (cur as Record<string, unknown>)[p.keys[p.keys.length - 1] as string];
  }
  return plain;
}

function computeFacet(b: FacetBinding, input: unknown, resolver: RealpathResolver | undefined, sqlParsers: SqlParsers | undefined): object {
  switch (b.facet) {
    case 'sql':
      return analyseSql(input, { dialect: b.dialect, parsers: sqlParsers as SqlParsers });
    case 'shell':
      return shellModule().shellFacet(input);
    case 'path':
      return pathFacet(input, { root: b.root, realpath: b.realpath, windows: b.windows, ...(b.home !== undefined ? { home: b.home } : {}), ...(resolver ? { resolver } : {}) });
    case 'k8s':
      return k8sModule().k8sFacet(input, { ...(b.verb !== undefined ? { verb: b.verb } : {}), ...(b.defaultNamespace !== undefined ? { defaultNamespace: b.defaultNamespace } : {}) });
    case 'prose':
      return {};
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
