/**
 * Replay protection for DPoP `jti`s, message nonces and UCAN invocations: a store that remembers
 * each key until its window closes. Bounded, and it fails closed when full: it never forgets an
 * entry still inside its window to make room (that would let the forgotten proof be replayed).
 */

/**
 * What remembering a key found: `fresh` (first use, now remembered), `replayed` (seen inside its
 * window), `full` (no room without forgetting a live entry; the caller must deny).
 *
 * @example
 * ```ts
 * const v: ReplayVerdict = store.remember(key, expiresAtMs, nowMs) as ReplayVerdict;
 * ```
 */
export type ReplayVerdict = 'fresh' | 'replayed' | 'full';

/**
 * A replay store. A fleet implements it over a shared store (Redis `SET key NX PXAT`); the memory
 * one serves a single process.
 *
 * @example
 * ```ts
 * const store: ReplayStore = new MemoryReplayStore({ maxEntries: 10_000 });
 * ```
 */
export interface ReplayStore {
  /** Records `key` until `expiresAtMs` unless it is already recorded and unexpired. */
  remember(key: string, expiresAtMs: number, nowMs: number): ReplayVerdict | Promise<ReplayVerdict>;
}

/**
 * Options of {@link MemoryReplayStore}.
 *
 * @example
 * ```ts
 * const options: MemoryReplayStoreOptions = { maxEntries: 50_000 };
 * ```
 */
export interface MemoryReplayStoreOptions {
  /** Most entries held at once; default 100 000. */
  maxEntries?: number;
}

/**
 * An in-process replay store: a map of key to expiry and a min-heap of expiries, so expired
 * entries are swept in O(log n) each and live ones are never dropped.
 *
 * @example
 * ```ts
 * const store = new MemoryReplayStore({ maxEntries: 2 });
 * store.remember('a', 2_000, 1_000); // 'fresh'
 * store.remember('a', 2_000, 1_500); // 'replayed'
 * ```
 */
export class MemoryReplayStore implements ReplayStore {
  readonly maxEntries: number;
  readonly #expiry = new Map<string, number>();
  readonly #heap: Array<[number, string]> = [];

  constructor(options: MemoryReplayStoreOptions = {}) {
    for (const k of Object.keys(options)) if (k !== 'maxEntries') throw new RangeError(`Unknown replay store option ${JSON.stringify(k)}; the option is maxEntries.`);
    const max = options.maxEntries ?? 100_000;
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxEntries must be a positive integer; got ${String(max)}.`);
    this.maxEntries = max;
  }

  /** Entries held (live or not yet swept). */
  get size(): number {
    return this.#expiry.size;
  }

  remember(key: string, expiresAtMs: number, nowMs: number): ReplayVerdict {
    if (typeof key !== 'string' || !Number.isFinite(expiresAtMs) || !Number.isFinite(nowMs)) return 'full';
    const seen = this.#expiry.get(key);
    if (seen !== undefined && seen > nowMs) return 'replayed';
    // A window that already closed needs no memory: whatever it covers is refused by its own time check.
    if (expiresAtMs <= nowMs) return 'fresh';
    if (seen === undefined && this.#expiry.size >= this.maxEntries) {
      this.#sweep(nowMs);
      // invariant: never evict an entry inside its window; with no room, deny.
      if (this.#expiry.size >= this.maxEntries) return 'full';
    }
    this.#expiry.set(key, expiresAtMs);
    this.#push([expiresAtMs, key]);
    return 'fresh';
  }

  /** Drops every entry whose window has closed by `nowMs`. */
  #sweep(nowMs: number): void {
    const heap = this.#heap;
    while (heap.length > 0 && (heap[0] as [number, string])[0] <= nowMs) {
      const [at, key] = this.#pop();
      // A key re-remembered later has a newer expiry in the map; only the matching one goes.
      if (this.#expiry.get(key) === at) this.#expiry.delete(key);
    }
  }

  #push(item: [number, string]): void {
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as [number, string])[0] <= item[0]) break;
      heap[i] = heap[parent] as [number, string];
      i = parent;
    }
    heap[i] = item;
  }

  #pop(): [number, string] {
    const heap = this.#heap;
    const top = heap[0] as [number, string];
    const last = heap.pop() as [number, string];
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const r = l + 1;
        const c = r < heap.length && (heap[r] as [number, string])[0] < (heap[l] as [number, string])[0] ? r : l;
        if ((heap[c] as [number, string])[0] >= last[0]) break;
        heap[i] = heap[c] as [number, string];
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }
}

let processStore: MemoryReplayStore | null = null;

/**
 * The process-wide replay store used when a verification is given none (100 000 entries).
 *
 * @example
 * ```ts
 * await verifyDpopProof(proof, { method: 'GET', url, now: new Date(), replay: defaultReplayStore() });
 * ```
 */
export function defaultReplayStore(): MemoryReplayStore {
  processStore ??= new MemoryReplayStore();
  return processStore;
}

/** A store key from parts, unambiguous whatever the parts hold (`("a:b","c")` and `("a","b:c")` differ). */
export function replayKey(...parts: string[]): string {
  return JSON.stringify(parts);
}
