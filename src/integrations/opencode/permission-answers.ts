/**
 * What OpenCode's permission flow answered, read from its own bus events (`permission.asked`,
 * `permission.replied`) as a plugin's `event` hook receives them. A permission request that
 * resolves tells a plugin nothing about who answered: OpenCode's rules answer `allow` without
 * asking anyone (its build agent allows `*` by default). Only a request that was published as
 * `permission.asked` for exactly one paused call, and then replied to, was put to a person.
 * Internal to src/integrations/opencode.
 */

/** A person's reply to one permission request (OpenCode's own reply values). */
export interface PermissionAnswer {
  requestID: string;
  reply: 'once' | 'always' | 'reject';
}

interface Waiter {
  call: string;
  digest: string;
  requestID: string | null;
  answer: PermissionAnswer | null;
  settle: ((answer: PermissionAnswer | null) => void) | null;
}

/** Waits for the events of the permission requests Warden made, one waiter per paused call. */
export class PermissionAnswers {
  readonly #max: number;
  readonly #waiters = new Map<string, Waiter>();

  constructor(max = 1024) {
    this.#max = max;
  }

  /** Starts watching for the request Warden is about to make for `call` (with `digest` in its metadata). */
  expect(call: string, digest: string): void {
    this.#drop(call);
    if (this.#waiters.size >= this.#max) {
      const oldest = this.#waiters.keys().next();
      if (!oldest.done) this.#drop(oldest.value);
    }
    this.#waiters.set(call, { call, digest, requestID: null, answer: null, settle: null });
  }

  /**
   * The reply to `call`'s request once its events arrived, or null when none arrives within
   * `timeoutMs` (no request was published: OpenCode's rules answered it without asking).
   */
  answer(call: string, timeoutMs: number): Promise<PermissionAnswer | null> {
    const waiter = this.#waiters.get(call);
    if (waiter === undefined) return Promise.resolve(null);
    if (waiter.answer !== null) {
      this.#waiters.delete(call);
      return Promise.resolve(waiter.answer);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(call);
        resolve(null);
      }, timeoutMs);
      timer.unref?.();
      waiter.settle = (answer) => {
        clearTimeout(timer);
        this.#waiters.delete(call);
        resolve(answer);
      };
    });
  }

  /** Forgets `call`'s waiter (its request failed before anything was asked). */
  forget(call: string): void {
    this.#drop(call);
  }

  /** Feeds one bus event; anything that is not about a request Warden made is ignored. */
  observe(event: unknown): void {
    if (event === null || typeof event !== 'object') return;
    const { type, properties } = event as { type?: unknown; properties?: unknown };
    if (properties === null || typeof properties !== 'object') return;
    const p = properties as Record<string, unknown>;
    if (type === 'permission.asked') {
      const warden = isRecord(p.metadata) && isRecord(p.metadata.warden) ? p.metadata.warden : null;
      const tool = isRecord(p.tool) ? p.tool : null;
      if (warden === null || typeof p.id !== 'string' || p.permission !== 'warden') return;
      // invariant: a request counts for a call only when OpenCode itself bound it to that call (tool.callID) and it carries that call's digest.
      const call = tool !== null && typeof tool.callID === 'string' ? tool.callID : null;
      const waiter = call !== null ? this.#waiters.get(call) : undefined;
      if (waiter === undefined || waiter.requestID !== null || warden.call !== call || warden.requestDigest !== waiter.digest) return;
      waiter.requestID = p.id;
    } else if (type === 'permission.replied') {
      if (typeof p.requestID !== 'string' || (p.reply !== 'once' && p.reply !== 'always' && p.reply !== 'reject')) return;
      for (const waiter of this.#waiters.values()) {
        if (waiter.requestID !== p.requestID || waiter.answer !== null) continue;
        waiter.answer = { requestID: p.requestID, reply: p.reply };
        waiter.settle?.(waiter.answer);
        return;
      }
    }
  }

  #drop(call: string): void {
    const waiter = this.#waiters.get(call);
    this.#waiters.delete(call);
    waiter?.settle?.(null);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
