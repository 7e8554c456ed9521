/**
 * Which calls an SLO, a breaker or an experiment covers: tool globs and, optionally, agent id globs
 * and host globs (`context.host`: `claude-code`, `mcp`, ...). An empty list matches nothing (never
 * everything); `agents` or `hosts` absent means any agent or host.
 */
import { WardenError } from '../errors.js';
import { compileGlob, type GlobMatcher } from '../lib/glob.js';

/** Most tool names whose match result a selector remembers; beyond it, each call matches afresh. */
const CACHE_LIMIT = 10_000;

/**
 * A compiled selector.
 *
 * @example
 * ```ts
 * const s = new Selector({ tools: ['search_*'] }, 'slo "search"');
 * s.matches('search_docs', null); // true
 * ```
 */
export class Selector {
  readonly tools: readonly string[];
  readonly agents: readonly string[] | null;
  readonly hosts: readonly string[] | null;
  readonly #tools: readonly GlobMatcher[];
  readonly #agents: readonly GlobMatcher[] | null;
  readonly #hosts: readonly GlobMatcher[] | null;
  readonly #cache = new Map<string, boolean>();

  constructor(spec: { tools: unknown; agents?: unknown; hosts?: unknown }, where: string) {
    this.tools = globList(spec.tools, `${where}: tools`, true) as string[];
    this.agents = spec.agents === undefined ? null : (globList(spec.agents, `${where}: agents`, false) as string[]);
    this.#tools = this.tools.map((g) => compileGlob(g));
    this.#agents = this.agents === null ? null : this.agents.map((g) => compileGlob(g));
    this.hosts = spec.hosts === undefined ? null : (globList(spec.hosts, `${where}: hosts`, false) as string[]);
    this.#hosts = this.hosts === null ? null : this.hosts.map((g) => compileGlob(g));
  }

  /** True when the selector covers calls by `agentId` (to some of its tools): always when it has no agent list. */
  coversAgent(agentId: string): boolean {
    return this.#agents === null || this.#agents.some((g) => g.test(agentId));
  }

  /**
   * True when the selector covers `tool` called by `agentId` (null: no identity, which no agent
   * glob matches) through `host` (null: no host, which no host glob matches).
   */
  matches(tool: string, agentId: string | null, host: string | null = null): boolean {
    let hit = this.#cache.get(tool);
    if (hit === undefined) {
      hit = this.#tools.some((g) => g.test(tool));
      if (this.#cache.size < CACHE_LIMIT) this.#cache.set(tool, hit);
    }
    if (!hit) return false;
    if (this.#hosts !== null && (host === null || !this.#hosts.some((g) => g.test(host)))) return false;
    if (this.#agents === null) return true;
    return agentId !== null && this.#agents.some((g) => g.test(agentId));
  }
}

function globList(value: unknown, where: string, required: boolean): string[] {
  if (value === undefined && required) throw new WardenError('ERR_SRE_CONFIG', `${where} is required: a list of tool names or globs such as ["search_*"].`);
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) {
    throw new WardenError('ERR_SRE_CONFIG', `${where} must be a list of non-empty names or globs; got ${JSON.stringify(value)}.`);
  }
  if (value.length === 0) throw new WardenError('ERR_SRE_CONFIG', `${where} is empty, so it would match nothing; list the names or globs it covers.`);
  for (const g of value as string[]) compileGlob(g);
  return [...(value as string[])];
}
