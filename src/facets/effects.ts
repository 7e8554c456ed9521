/**
 * Effects: building, normalizing and merging what an action does (CEL variable `effects`).
 *
 * Every facet that can say what its argument does contributes an {@link Effects} value; the
 * runtime merges the contributions of every facet bound to the tool with the network
 * destinations found in the other arguments. The merge fills in the optional path fields, drops
 * exact duplicates, and keeps `complete: false` if any part was incomplete.
 */
import type { Effects, ExecEffect, NetworkEffect, PathEffect, PrivilegeEffect } from './effects-types.js';

export type { Effects, ExecEffect, ExecKind, NetworkEffect, PathEffect, PrivilegeEffect } from './effects-types.js';

/** Most effects one action may have; past it the analysis fails (closed) rather than grow. */
export const MAX_EFFECTS = 10_000;

/** Which list a path effect goes to. */
export type PathAccess = 'read' | 'write' | 'delete';

/**
 * No effects, complete: what a facet with nothing to report contributes.
 *
 * @example
 * ```ts
 * const none = emptyEffects(); // { exec: [], ..., complete: true, unknown: [] }
 * ```
 */
export function emptyEffects(): Effects {
  return { exec: [], network: [], reads: [], writes: [], deletes: [], privilege: [], complete: true, unknown: [] };
}

/** Lists up to this length are searched for duplicates; longer ones are keyed. */
const LINEAR = 16;

/** The key of an effect already in `list` (one of `lists`), as the add methods build it. */
function keyOf(list: unknown[], x: unknown, lists: Effects): string {
  if (list === lists.exec) {
    const e = x as ExecEffect;
    return `x${e.program}\u0000${e.code}\u0000${e.via}\u0000${e.known}\u0000${e.kind}`;
  }
  if (list === lists.network) {
    const e = x as NetworkEffect;
    return `n${e.host}\u0000${e.port}\u0000${e.scheme}\u0000${e.via}\u0000${e.known}`;
  }
  if (list === lists.privilege) {
    const e = x as PrivilegeEffect;
    return `p${e.kind}\u0000${e.via}`;
  }
  const p = x as Required<PathEffect>;
  const a = list === lists.reads ? 'r' : list === lists.writes ? 'w' : 'd';
  return `${a}${p.path}\u0000${p.via}\u0000${p.known}\u0000${p.recursive}\u0000${p.within}`;
}

/** A path effect with every field present (`recursive` false, `within` the path when known). */
function fullPath(p: PathEffect): Required<PathEffect> {
  if (p.recursive !== undefined && p.within !== undefined) return p as Required<PathEffect>;
  const out: PathEffect = { path: p.path, via: p.via, known: p.known, recursive: p.recursive === true, within: p.within ?? (p.known ? p.path : '') };
  if (p.glob !== undefined && !p.known) out.glob = p.glob;
  return out as Required<PathEffect>;
}

/**
 * Collects effects while a facet walks its input: deduplicates, bounds the total, and records why
 * the analysis is incomplete.
 *
 * @example
 * ```ts
 * const b = new EffectsBuilder();
 * b.path('write', { path: '/etc/x', via: '>', known: true });
 * b.build().writes; // [{ path: '/etc/x', via: '>', known: true, recursive: false, within: '/etc/x' }]
 * ```
 */
export class EffectsBuilder {
  readonly #lists: Effects = emptyEffects();
  /** Keys of the effects of long lists (short lists are searched instead: cheaper for one line). */
  readonly #seen = new Set<string>();
  #count = 0;

  /** Adds code that will run (its `kind` defaults to `program`). */
  exec(effect: ExecEffect): void {
    const e = effect.kind === undefined ? { ...effect, kind: 'program' as const } : effect;
    const list = this.#lists.exec;
    if (list.length < LINEAR && list.some((x) => x.program === e.program && x.code === e.code && x.via === e.via && x.known === e.known && x.kind === e.kind)) return;
    this.#add(list, list.length < LINEAR ? null : `x${e.program}\u0000${e.code}\u0000${e.via}\u0000${e.known}\u0000${e.kind}`, e);
  }

  /** Adds a network destination. */
  network(e: NetworkEffect): void {
    const list = this.#lists.network;
    if (list.length < LINEAR && list.some((x) => x.host === e.host && x.port === e.port && x.scheme === e.scheme && x.via === e.via && x.known === e.known)) return;
    this.#add(list, list.length < LINEAR ? null : `n${e.host}\u0000${e.port}\u0000${e.scheme}\u0000${e.via}\u0000${e.known}`, e);
  }

  /** Adds a path read, written or deleted. */
  path(access: PathAccess, e: PathEffect): void {
    const full = fullPath(e);
    const list = access === 'read' ? this.#lists.reads : access === 'write' ? this.#lists.writes : this.#lists.deletes;
    if (list.length < LINEAR && list.some((x) => x.path === full.path && x.via === full.via && x.known === full.known && x.recursive === full.recursive && x.within === full.within)) return;
    this.#add(list, list.length < LINEAR ? null : `${access[0] as string}${full.path}\u0000${full.via}\u0000${full.known}\u0000${full.recursive}\u0000${full.within}`, full);
  }

  /** Adds a privilege change. */
  privilege(e: PrivilegeEffect): void {
    const list = this.#lists.privilege;
    if (list.length < LINEAR && list.some((x) => x.kind === e.kind && x.via === e.via)) return;
    this.#add(list, list.length < LINEAR ? null : `p${e.kind}\u0000${e.via}`, e);
  }

  /** Marks the analysis incomplete, with the reason (each reason once). */
  incomplete(reason: string): void {
    this.#lists.complete = false;
    if (!this.#lists.unknown.includes(reason) && this.#lists.unknown.length < 100) this.#lists.unknown.push(reason);
  }

  /** Adds every effect of `other`. */
  merge(other: Effects): void {
    for (const e of other.exec) this.exec(e);
    for (const e of other.network) this.network(e);
    for (const e of other.reads) this.path('read', e);
    for (const e of other.writes) this.path('write', e);
    for (const e of other.deletes) this.path('delete', e);
    for (const e of other.privilege) this.privilege(e);
    if (!other.complete) for (const r of other.unknown.length > 0 ? other.unknown : ['a part of the action could not be analysed']) this.incomplete(r);
  }

  /** The effects collected so far. */
  build(): Effects {
    return this.#lists;
  }

  /** Appends `e` unless its key (given once the list is long) was seen. */
  #add<T>(list: T[], key: string | null, e: T): void {
    if (key !== null) {
      if (this.#seen.has(key)) return;
      // A list that just grew past LINEAR: key the entries searched linearly so far.
      if (list.length === LINEAR) for (const x of list) this.#seen.add(keyOf(list, x, this.#lists));
      this.#seen.add(key);
    }
    // invariant: the number of effects is bounded; the caller's analysis fails closed past it.
    if (++this.#count > MAX_EFFECTS) throw new RangeError(`more than ${MAX_EFFECTS} effects`);
    list.push(e);
  }
}

/**
 * Merges effects: every list concatenated without duplicates, complete only if every part is.
 *
 * @example
 * ```ts
 * mergeEffects([shellPart, urlPart]).network; // destinations of both
 * ```
 * @throws RangeError when the merged effects exceed {@link MAX_EFFECTS}.
 */
export function mergeEffects(parts: readonly Effects[]): Effects {
  const b = new EffectsBuilder();
  for (const p of parts) b.merge(p);
  return b.build();
}
