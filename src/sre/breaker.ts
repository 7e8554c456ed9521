/**
 * Circuit breakers: closed -> open after too many failures -> half-open after a cool-down, admitting
 * a bounded number of probe calls -> closed when every probe succeeds, open again when one fails.
 *
 * Time is passed in (milliseconds); nothing here reads a clock or sets a timer, so the state machine
 * is deterministic and is tested against a reference model (test/sre/breaker-model.test.ts).
 */
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { formatDuration, parseDuration } from './duration.js';
import { Selector } from './selector.js';

/**
 * A breaker as declared (the body of a `kind: CircuitBreaker` document).
 *
 * @example
 * ```ts
 * const spec: BreakerSpec = { name: 'search', tools: ['search_*'], failureThreshold: 5, coolDown: '30s', probes: 1 };
 * ```
 */
export interface BreakerSpec {
  name: string;
  description?: string;
  tools: string[];
  /** Opens after this many failures in a row; default 5. */
  failureThreshold?: number;
  /** Also opens when this share of the calls in `window` failed (0-1), once `minimumCalls` were made. */
  failureRate?: number;
  minimumCalls?: number;
  /** The window of `failureRate`; default 60s. */
  window?: string | number;
  /** How long it stays open before probing; default 30s. */
  coolDown?: string | number;
  /** Probe calls admitted while half-open; all must succeed to close. Default 1. */
  probes?: number;
  /** A probe with no outcome after this long counts as failed; default 30s. */
  probeTimeout?: string | number;
  /** A call that returned but took longer than this counts as a failure. */
  slowCall?: string | number;
  /** `tool` (default): one breaker per tool the selector matches. `shared`: one for all of them. */
  scope?: 'tool' | 'shared';
}

const SPEC_KEYS = ['name', 'description', 'tools', 'failureThreshold', 'failureRate', 'minimumCalls', 'window', 'coolDown', 'probes', 'probeTimeout', 'slowCall', 'scope'];
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/**
 * A validated breaker configuration.
 *
 * @example
 * ```ts
 * const config = defineBreaker({ name: 'search', tools: ['search'] });
 * config.coolDownMs; // 30000
 * ```
 */
export interface BreakerConfig {
  readonly name: string;
  readonly selector: Selector;
  readonly failureThreshold: number;
  readonly failureRate: number | null;
  readonly minimumCalls: number;
  readonly windowMs: number;
  readonly coolDownMs: number;
  readonly probes: number;
  readonly probeTimeoutMs: number;
  readonly slowCallMs: number | null;
  readonly scope: 'tool' | 'shared';
}

/**
 * Validates a breaker spec.
 *
 * @example
 * ```ts
 * defineBreaker({ name: 'payments', tools: ['charge_*'], failureRate: 0.5, minimumCalls: 20, window: '1m', scope: 'shared' });
 * ```
 * @throws WardenError `ERR_SRE_CONFIG` naming the member that is wrong.
 */
export function defineBreaker(spec: BreakerSpec): BreakerConfig {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new WardenError('ERR_SRE_CONFIG', 'A circuit breaker must be an object { name, tools, failureThreshold?, coolDown?, probes? }.');
  rejectUnknownKeys(spec, SPEC_KEYS, 'ERR_SRE_CONFIG', 'a circuit breaker');
  if (typeof spec.name !== 'string' || !NAME.test(spec.name)) throw new WardenError('ERR_SRE_CONFIG', `A circuit breaker needs a name of letters, digits, "-" and "_" (starting with a letter); got ${JSON.stringify(spec.name)}.`);
  const where = `circuit breaker "${spec.name}"`;
  const count = (v: unknown, key: string, dflt: number): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > 1_000_000) throw new WardenError('ERR_SRE_CONFIG', `${where}: ${key} must be a whole number from 1 to 1000000; got ${JSON.stringify(v)}.`);
    return v;
  };
  const rate = spec.failureRate;
  if (rate !== undefined && (typeof rate !== 'number' || !(rate > 0 && rate <= 1))) throw new WardenError('ERR_SRE_CONFIG', `${where}: failureRate must be a share above 0 and at most 1 (50% is 0.5); got ${JSON.stringify(rate)}.`);
  const scope = spec.scope ?? 'tool';
  if (scope !== 'tool' && scope !== 'shared') throw new WardenError('ERR_SRE_CONFIG', `${where}: scope must be "tool" or "shared"; got ${JSON.stringify(scope)}.`);
  const coolDownMs = spec.coolDown === undefined ? 30_000 : parseDuration(spec.coolDown, `${where}: coolDown`);
  return Object.freeze({
    name: spec.name,
    selector: new Selector(spec, where),
    failureThreshold: count(spec.failureThreshold, 'failureThreshold', 5),
    failureRate: rate ?? null,
    minimumCalls: count(spec.minimumCalls, 'minimumCalls', 10),
    windowMs: spec.window === undefined ? 60_000 : parseDuration(spec.window, `${where}: window`),
    coolDownMs,
    probes: count(spec.probes, 'probes', 1),
    probeTimeoutMs: spec.probeTimeout === undefined ? 30_000 : parseDuration(spec.probeTimeout, `${where}: probeTimeout`),
    slowCallMs: spec.slowCall === undefined ? null : parseDuration(spec.slowCall, `${where}: slowCall`),
    scope,
  });
}

/** A breaker's state name. */
export type BreakerStateName = 'closed' | 'open' | 'half-open';

/**
 * What a breaker answers when a call asks to go through.
 *
 * @example
 * ```ts
 * const a = breaker.admit(Date.now(), 'call-1');
 * if (!a.admitted) console.log(`retry at ${new Date(a.retryAt!).toISOString()}`);
 * ```
 */
export interface BreakerAdmission {
  admitted: boolean;
  /** The call was admitted as a half-open probe. */
  probe: boolean;
  state: BreakerStateName;
  /** When refused: the earliest time (ms) the breaker may admit a call again. */
  retryAt?: number;
}

/** How a call that went through ended, as far as the breaker counts it. */
export type BreakerResult = 'success' | 'failure' | 'neutral';

/** Most calls the failure-rate window holds; beyond it, the oldest leave early. */
const WINDOW_LIMIT = 10_000;

/**
 * One circuit breaker's state machine. Methods take the time in milliseconds.
 *
 * @example
 * ```ts
 * const b = new CircuitBreaker(defineBreaker({ name: 'search', tools: ['search'], failureThreshold: 2 }));
 * b.record(0, 'c1', 'failure'); b.record(1, 'c2', 'failure');
 * b.admit(2, 'c3').admitted; // false: open until 30002
 * ```
 */
export class CircuitBreaker {
  readonly config: BreakerConfig;
  #state: BreakerStateName = 'closed';
  #consecutive = 0;
  /** Failure-rate window: times and results, oldest first, from #head on. */
  #times: number[] = [];
  #failed: boolean[] = [];
  #head = 0;
  #windowFailures = 0;
  #openedAt = 0;
  readonly #probes = new Map<string, number>();
  #successes = 0;
  #why = '';
  /** Called on every change of state, with the time it happened. */
  onTransition: ((from: BreakerStateName, to: BreakerStateName, at: number) => void) | null = null;

  constructor(config: BreakerConfig) {
    this.config = config;
  }

  /** The state as of the last call that passed a time (no time-driven transition applied). */
  get stateNow(): BreakerStateName {
    return this.#state;
  }

  /** The state at `now` (an open breaker whose cool-down has passed is half-open). */
  state(now: number): BreakerStateName {
    this.#refresh(now);
    return this.#state;
  }

  /** Why the breaker last opened (`5 failures in a row`), or '' when it never has. */
  get openedBecause(): string {
    return this.#why;
  }

  /** When an open breaker will probe (ms), or null when it is not open. */
  probeAt(now: number): number | null {
    this.#refresh(now);
    return this.#state === 'open' ? this.#openedAt + this.config.coolDownMs : null;
  }

  /** Asks to let call `call` through at `now`. A half-open breaker admits it as a probe while it has probe slots. */
  admit(now: number, call: string): BreakerAdmission {
    this.#refresh(now);
    const c = this.config;
    if (this.#state === 'closed') return { admitted: true, probe: false, state: 'closed' };
    if (this.#state === 'open') return { admitted: false, probe: false, state: 'open', retryAt: this.#openedAt + c.coolDownMs };
    if (this.#probes.size + this.#successes < c.probes && !this.#probes.has(call)) {
      this.#probes.set(call, now);
      return { admitted: true, probe: true, state: 'half-open' };
    }
    let earliest = Number.POSITIVE_INFINITY;
    for (const at of this.#probes.values()) earliest = Math.min(earliest, at + c.probeTimeoutMs);
    return { admitted: false, probe: false, state: 'half-open', retryAt: Number.isFinite(earliest) ? earliest : now };
  }

  /** Counts how call `call` ended, at `now`. Outcomes of calls that are not probes are ignored while half-open or open. */
  record(now: number, call: string, result: BreakerResult): void {
    this.#refresh(now);
    const c = this.config;
    if (this.#state === 'open') return;
    if (this.#state === 'half-open') {
      if (!this.#probes.has(call)) return;
      this.#probes.delete(call);
      if (result === 'failure') {
        this.#why = 'a probe call failed';
        this.#open(now);
      }
      else if (result === 'success' && ++this.#successes >= c.probes) this.#close(now);
      return;
    }
    if (result === 'neutral') return;
    const failed = result === 'failure';
    this.#consecutive = failed ? this.#consecutive + 1 : 0;
    this.#push(now, failed);
    this.#prune(now);
    const calls = this.#times.length - this.#head;
    if (this.#consecutive >= c.failureThreshold) {
      this.#why = `${this.#consecutive} failures in a row`;
      this.#open(now);
    } else if (c.failureRate !== null && calls >= c.minimumCalls && this.#windowFailures / calls >= c.failureRate) {
      this.#why = `${this.#windowFailures} of the last ${calls} calls within ${formatDuration(c.windowMs)} failed`;
      this.#open(now);
    }
  }

  /** Frees the probe slot of a call that was admitted but did not run (denied after admission). */
  release(now: number, call: string): void {
    this.record(now, call, 'neutral');
  }

  /** Closes the breaker (an operator's reset). */
  reset(now: number): void {
    this.#refresh(now);
    if (this.#state !== 'closed') this.#close(now);
  }

  /** Forgets the calls counted while closed (a shared breaker's new closed period starts its count afresh). */
  forgetCounts(): void {
    if (this.#state === 'closed') this.#clearWindow();
  }

  /** What the breaker holds right now, for status output and metrics. */
  snapshot(now: number): { name: string; state: BreakerStateName; consecutiveFailures: number; windowCalls: number; windowFailures: number; probeAt: number | null; probesInFlight: number } {
    this.#refresh(now);
    this.#prune(now);
    return {
      name: this.config.name,
      state: this.#state,
      consecutiveFailures: this.#consecutive,
      windowCalls: this.#times.length - this.#head,
      windowFailures: this.#windowFailures,
      probeAt: this.#state === 'open' ? this.#openedAt + this.config.coolDownMs : null,
      probesInFlight: this.#probes.size,
    };
  }

  /** Applies what time alone does: an open breaker past its cool-down half-opens; a probe past its timeout fails. */
  #refresh(now: number): void {
    const c = this.config;
    for (;;) {
      if (this.#state === 'open' && now >= this.#openedAt + c.coolDownMs) {
        this.#set('half-open', this.#openedAt + c.coolDownMs);
        this.#probes.clear();
        this.#successes = 0;
        continue;
      }
      if (this.#state === 'half-open') {
        let expired = Number.POSITIVE_INFINITY;
        for (const at of this.#probes.values()) if (now >= at + c.probeTimeoutMs) expired = Math.min(expired, at + c.probeTimeoutMs);
        if (Number.isFinite(expired)) {
          this.#why = `a probe call reported no outcome within ${formatDuration(c.probeTimeoutMs)}`;
          this.#open(expired);
          continue;
        }
      }
      return;
    }
  }

  #open(at: number): void {
    this.#openedAt = at;
    this.#probes.clear();
    this.#successes = 0;
    this.#clearWindow();
    this.#set('open', at);
  }

  #close(at: number): void {
    this.#probes.clear();
    this.#successes = 0;
    this.#clearWindow();
    this.#set('closed', at);
  }

  #set(to: BreakerStateName, at: number): void {
    const from = this.#state;
    this.#state = to;
    if (from !== to) this.onTransition?.(from, to, at);
  }

  #clearWindow(): void {
    this.#consecutive = 0;
    this.#times = [];
    this.#failed = [];
    this.#head = 0;
    this.#windowFailures = 0;
  }

  #push(now: number, failed: boolean): void {
    this.#times.push(now);
    this.#failed.push(failed);
    if (failed) this.#windowFailures++;
    if (this.#times.length - this.#head > WINDOW_LIMIT) this.#dropOldest();
  }

  /** Drops calls that left the window (made at or before `now - window`). */
  #prune(now: number): void {
    const edge = now - this.config.windowMs;
    while (this.#head < this.#times.length && (this.#times[this.#head] as number) <= edge) this.#dropOldest();
    // Compact once the dead prefix is half the array, so memory stays bounded.
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#failed = this.#failed.slice(this.#head);
      this.#head = 0;
    }
  }

  #dropOldest(): void {
    if (this.#failed[this.#head] === true) this.#windowFailures--;
    this.#head++;
  }
}

/**
 * How a breaker counts an outcome: `error` fails; `ok` succeeds, unless slower than `slowCall`;
 * `aborted` does not count.
 *
 * @example
 * ```ts
 * breakerResult(config, { status: 'ok', durationMs: 12 }); // 'success'
 * ```
 */
export function breakerResult(config: BreakerConfig, outcome: { status: string; durationMs?: number }): BreakerResult {
  if (outcome.status === 'aborted') return 'neutral';
  if (outcome.status !== 'ok') return 'failure';
  if (config.slowCallMs !== null && (typeof outcome.durationMs !== 'number' || outcome.durationMs > config.slowCallMs)) return 'failure';
  return 'success';
}
