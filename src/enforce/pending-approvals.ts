/**
 * Calls paused for approval in their host's own flow, remembered by the enforcement point until
 * the host resumes them: the digest of exactly what was decided, so that the host's answer can be
 * bound to it (see HostApproval).
 */
import { WardenError } from '../errors.js';

/**
 * Where an enforcement point keeps the calls it deferred to its host for approval. `take` answers
 * once per `put`: an approval is used once. A deployment whose resumes can land on another process
 * (serverless functions, several web servers) passes a store shared by all of them; a call whose
 * pause is not found is denied.
 *
 * @example
 * ```ts
 * const pending: PendingApprovals = { put: (key, digest) => redis.set(key, digest, { EX: 86400 }), take: (key) => redis.getDel(key) };
 * ```
 */
export interface PendingApprovals {
  /** Remembers that `key` (a tool and its host call id) was paused with this request digest. */
  put(key: string, requestDigest: string): void | Promise<void>;
  /** The digest `key` was paused with, once; null or undefined when it is not (or no longer) paused. */
  take(key: string): string | null | undefined | Promise<string | null | undefined>;
}

/**
 * The in-process {@link PendingApprovals}: bounded (the oldest pause is dropped when full, and its
 * resume is then denied), and lost with the process.
 *
 * @example
 * ```ts
 * const pending = new MemoryPendingApprovals({ max: 1000 });
 * pending.put('refund\u0000call-1', verdict.requestDigest);
 * ```
 */
export class MemoryPendingApprovals implements PendingApprovals {
  readonly #max: number;
  readonly #digests = new Map<string, string>();

  constructor(options: { max?: number } = {}) {
    for (const key of Object.keys(options ?? {})) {
      if (key !== 'max') throw new WardenError('ERR_OPTIONS', `Unknown MemoryPendingApprovals option ${JSON.stringify(key)}; the options are max.`);
    }
    const max = options?.max ?? 10_000;
    if (!Number.isSafeInteger(max) || max < 1) throw new WardenError('ERR_OPTIONS', `max must be a positive integer; got ${String(max)}.`);
    this.#max = max;
  }

  put(key: string, requestDigest: string): void {
    this.#digests.delete(key);
    if (this.#digests.size >= this.#max) {
      const oldest = this.#digests.keys().next();
      if (!oldest.done) this.#digests.delete(oldest.value);
    }
    this.#digests.set(key, requestDigest);
  }

  take(key: string): string | undefined {
    const digest = this.#digests.get(key);
    this.#digests.delete(key);
    return digest;
  }

  /** How many calls are paused. */
  get size(): number {
    return this.#digests.size;
  }
}

/** The key a paused call is kept under: its tool and its host's call id. */
export function pendingKey(tool: string, call: string): string {
  return `${tool}\u0000${call}`;
}
