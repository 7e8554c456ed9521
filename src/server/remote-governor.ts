/**
 * `remoteGovernor()`: the Governor's interface over `warden serve`. check(), observe(), wrap()
 * and wrapAll() behave as the in-process Governor's, and `pipeline.decide()` / `pipeline.observe()`
 * are what the framework adapters and the hook call, so an adapter given a remote governor decides
 * through the service. Everything that goes wrong on the way (a timeout, a refused connection, a
 * 401, a 5xx, an answer that is not a verdict) is a local denial with a reason: the remote path
 * fails closed.
 */
import type { AgentIdentity, Decision, Outcome, Request, WardenWarning } from '../decision.js';
import { governWith, kindOf, type GovernOptions } from '../enforce/govern.js';
import type { Governor, GovernedTools, GovernorRequest } from '../enforce/governor.js';
import type { CallInput, DecidedCall } from '../enforce/pipeline.js';
import { systemTimer, type CallTimer } from '../enforce/fault.js';
import type { Verdict } from '../enforce/verdict.js';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { takeSnapshot, type Snapshot } from '../lib/snapshot.js';

/**
 * Options of {@link remoteGovernor}.
 *
 * @example
 * ```ts
 * const options: RemoteGovernorOptions = { url: 'http://127.0.0.1:8181', token: process.env.WARDEN_TOKEN!, timeoutMs: 500 };
 * ```
 */
export interface RemoteGovernorOptions {
  /** The service's base URL (`http://127.0.0.1:8181`). */
  url: string;
  /** The bearer token (a static token or a JWT); the service's identity for this caller comes from it. */
  token: string;
  /** How long to wait for a decision before denying locally; default 2000 ms. */
  timeoutMs?: number;
  /** The fetch to use; default the global fetch. */
  fetch?: typeof fetch;
  /** Told when an outcome was not recorded by the service (`outcome_not_recorded`: unreachable, refused, or not written there); default: nothing. */
  onWarning?: (warning: WardenWarning) => void;
}

const OPTION_KEYS = ['url', 'token', 'timeoutMs', 'fetch', 'onWarning'];
const EFFECTS = ['allow', 'deny', 'warn', 'require_approval'];

/**
 * A Governor whose decisions are made by a remote `warden serve`.
 *
 * @example
 * ```ts
 * const governor = remoteGovernor({ url: 'http://127.0.0.1:8181', token });
 * const v = await governor.check({ tool: 'refund', args: { amount: 50 } });
 * const refund = governor.wrap('refund', async (a: { amount: number }) => pay(a.amount));
 * ```
 */
export class RemoteGovernor {
  readonly #url: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #warn: (warning: WardenWarning) => void;
  /**
   * What adapters call: `decide(input)` and `observe(call, outcome)` over HTTP, and the local
   * no-ops govern() asks for (no fault injection, no tracing wrapper).
   */
  readonly pipeline: {
    decide(input: CallInput): Promise<DecidedCall>;
    decideSync(input: CallInput): DecidedCall;
    observe(call: { call: string; tool: string; agent?: AgentIdentity | null }, outcome: Outcome): Promise<void>;
    faultFor(call: { call: string; tool: string }): null;
    runCall<T>(call: string, fn: () => T): T;
    /** How govern() times the call it runs (durations in the outcome record): the system clock. */
    readonly timer: CallTimer;
  };

  constructor(options: RemoteGovernorOptions) {
    if (options === null || typeof options !== 'object') throw new WardenError('ERR_OPTIONS', 'remoteGovernor() takes { url, token, timeoutMs? }.');
    rejectUnknownKeys(options, OPTION_KEYS, 'ERR_OPTIONS', 'remoteGovernor options');
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new WardenError('ERR_OPTIONS', `remoteGovernor url ${JSON.stringify(options.url)} is not a URL; give the service's base URL, e.g. http://127.0.0.1:8181.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WardenError('ERR_OPTIONS', 'remoteGovernor url must be http: or https:.');
    if (typeof options.token !== 'string' || options.token === '' || /\s/.test(options.token)) throw new WardenError('ERR_OPTIONS', 'remoteGovernor needs the bearer token the service accepts (a static token or a JWT).');
    const timeout = options.timeoutMs ?? 2000;
    if (!Number.isFinite(timeout) || timeout <= 0) throw new WardenError('ERR_OPTIONS', `timeoutMs must be a positive number of milliseconds; got ${String(timeout)}.`);
    this.#url = url.href.replace(/\/$/, '');
    this.#token = options.token;
    this.#timeoutMs = timeout;
    this.#fetch = options.fetch ?? fetch;
    if (options.onWarning !== undefined && typeof options.onWarning !== 'function') throw new WardenError('ERR_OPTIONS', 'remoteGovernor onWarning must be a function.');
    this.#warn = options.onWarning ?? (() => undefined);
    this.pipeline = {
      decide: (input) => this.decideCall(input),
      decideSync: (input) => this.decideCallSync(input),
      observe: (call, outcome) => this.#observe(call.call, call.tool, outcome),
      faultFor: () => null,
      runCall: (_call, fn) => fn(),
      timer: systemTimer,
    };
  }

  /**
   * Asks the service to decide (and record) a request. Never throws: a failure is a denial.
   *
   * @example
   * ```ts
   * const v = await governor.check({ tool: 'delete_user', args: { id: 7 } });
   * ```
   */
  async check(request: GovernorRequest | Partial<Request>): Promise<Verdict> {
    return (await this.decideCall({ request })).verdict;
  }

  /**
   * A remote decision cannot be made synchronously: this always denies, saying so.
   *
   * @example
   * ```ts
   * governor.checkSync({ tool: 'x', args: {} }).allowed; // false
   * ```
   */
  checkSync(request: GovernorRequest | Partial<Request>): Verdict {
    void request;
    return denied('a remote governor cannot decide synchronously; govern an async function or use check()');
  }

  /**
   * Records the outcome of an allowed call at the service. Never throws.
   *
   * @example
   * ```ts
   * await governor.observe(v, 'refund', { status: 'ok', durationMs: 12 });
   * ```
   */
  observe(verdict: Verdict, tool: string, outcome: Outcome): Promise<void> {
    return this.#observe(verdict.call, tool, outcome);
  }

  /**
   * Wraps a function so every call is decided by the service first (see govern()).
   *
   * @example
   * ```ts
   * const send = governor.wrap('send_email', async (a: { to: string }) => mail(a.to));
   * ```
   */
  wrap<F extends (...args: never[]) => unknown>(name: string, fn: F, options: Omit<GovernOptions, 'tool' | 'governor'> = {}): F {
    return governWith(this.asGovernor(), fn, { ...options, tool: name });
  }

  /**
   * Wraps every function of an object, keyed by name (see Governor.wrapAll).
   *
   * @example
   * ```ts
   * const tools = governor.wrapAll({ read_file: readFile });
   * ```
   */
  wrapAll<T extends object>(tools: T): GovernedTools<T> {
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(tools)) {
      const fn = (tools as Record<string, unknown>)[key];
      if (typeof fn === 'function') out[key] = governWith(this.asGovernor(), (fn as (...a: unknown[]) => unknown).bind(tools), { tool: key, mode: kindOf(fn as (...a: unknown[]) => unknown) });
    }
    return out as GovernedTools<T>;
  }

  /**
   * This remote governor where an adapter's options are typed `Governor` (it offers every member
   * adapters and govern() call: check, observe, wrap, decideCall and pipeline.decide/observe).
   *
   * @example
   * ```ts
   * const tools = governTools({ governor: remote.asGovernor(), tools });
   * ```
   */
  asGovernor(): Governor {
    return this as unknown as Governor;
  }

  /**
   * Decides one pipeline input remotely. `agent` and `credential` are ignored: the service
   * identifies the caller by the token.
   *
   * @example
   * ```ts
   * const { verdict, snapshot } = await governor.decideCall({ request: { tool: 'x', args: {} } });
   * ```
   */
  async decideCall(input: CallInput): Promise<DecidedCall> {
    let snapshot: Snapshot<{ args?: unknown; context?: unknown; tool?: unknown }>;
    try {
      snapshot = takeSnapshot(input?.request);
    } catch (e) {
      return { verdict: denied(`the request has no JSON form: ${e instanceof Error ? e.message : String(e)}`), snapshot: null };
    }
    const answer = await this.#post('/v1/decide', snapshot.text);
    if (typeof answer === 'string') return { verdict: denied(answer), snapshot: null };
    const verdict = verdictOf(answer.status, answer.body);
    if (typeof verdict === 'string') return { verdict: denied(verdict), snapshot: null };
    return { verdict, snapshot: verdict.allowed ? snapshot : null };
  }

  /** Always a denial: see {@link checkSync}. */
  decideCallSync(input: CallInput): DecidedCall {
    return { verdict: this.checkSync(input.request as Partial<Request>), snapshot: null };
  }

  async #observe(call: string, tool: string, outcome: Outcome): Promise<void> {
    let text: string;
    try {
      text = JSON.stringify({ call, tool, outcome });
    } catch (e) {
      this.#warn({ code: 'outcome_not_recorded', message: `The outcome of call ${call} (${tool}) could not be sent: ${e instanceof Error ? e.message : String(e)}.` });
      return;
    }
    const answer = await this.#post('/v1/outcome', text);
    if (typeof answer === 'string') {
      this.#warn({ code: 'outcome_not_recorded', message: `The outcome of call ${call} (${tool}) was not recorded: ${answer}.` });
    } else if (answer.status !== 202) {
      const err = (answer.body as { error?: { message?: unknown } } | null)?.error;
      this.#warn({ code: 'outcome_not_recorded', message: `The outcome of call ${call} (${tool}) was not recorded: the decision service answered HTTP ${answer.status}${typeof err?.message === 'string' ? ` (${err.message})` : ''}.` });
    }
  }

  /** POSTs JSON; the parsed answer, or why there is none. */
  async #post(path: string, body: string): Promise<{ status: number; body: unknown } | string> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    try {
      const response = await this.#fetch(`${this.#url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#token}` },
        body,
        signal: controller.signal,
        redirect: 'error',
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return `the decision service answered HTTP ${response.status} with a body that is not JSON`;
      }
      return { status: response.status, body: parsed };
    } catch (e) {
      if (controller.signal.aborted) return `the decision service did not answer within ${this.#timeoutMs} ms`;
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      return `the decision service could not be reached (${cause ?? (e instanceof Error ? e.message : String(e))})`;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A {@link RemoteGovernor} for the service at `url`.
 *
 * @example
 * ```ts
 * const governor = remoteGovernor({ url: 'http://127.0.0.1:8181', token: process.env.WARDEN_TOKEN!, timeoutMs: 500 });
 * ```
 * @throws WardenError `ERR_OPTIONS` for a bad url, token or timeout.
 */
export function remoteGovernor(options: RemoteGovernorOptions): RemoteGovernor {
  return new RemoteGovernor(options);
}

/** The service's answer as a Verdict, or why it is not one (an allow is believed only from a 200 that is a consistent verdict). */
function verdictOf(status: number, body: unknown): Verdict | string {
  const b = body as Record<string, unknown> | null;
  const reasonOf = (): string => {
    const err = (b?.error as { code?: unknown; message?: unknown } | undefined) ?? undefined;
    return err && typeof err.message === 'string' ? `${String(err.code)}: ${err.message}` : 'no reason given';
  };
  if (status !== 200) {
    const inner = (b?.verdict as Record<string, unknown> | undefined)?.reason;
    return `the decision service answered HTTP ${status} (${typeof inner === 'string' ? inner : reasonOf()})`;
  }
  if (b === null || typeof b !== 'object' || Array.isArray(b)) return 'the decision service answered something that is not a verdict';
  if (typeof b.allowed !== 'boolean' || typeof b.effect !== 'string' || !EFFECTS.includes(b.effect) || typeof b.reason !== 'string' || typeof b.call !== 'string') {
    return 'the decision service answered a verdict without allowed, effect, reason and call';
  }
  if (b.allowed && b.effect !== 'allow' && b.effect !== 'warn') return `the decision service answered allowed with effect ${b.effect}, which is inconsistent`;
  if (b.allowed && b.recorded !== true) return 'the decision service answered allowed for a decision it did not record';
  const decision: Decision = {
    effect: b.effect as Decision['effect'],
    allowed: b.allowed,
    rule: typeof b.rule === 'string' ? b.rule : null,
    policy: typeof b.policy === 'string' ? b.policy : null,
    reason: b.reason,
    approvers: Array.isArray(b.approvers) ? b.approvers.filter((x): x is string => typeof x === 'string') : [],
    errors: Array.isArray(b.errors) ? (b.errors as Decision['errors']) : [],
    policyDigest: typeof b.policyDigest === 'string' ? b.policyDigest : '',
  };
  return Object.freeze({
    ...decision,
    policyDecision: (b.policyDecision as Decision | undefined) ?? decision,
    ...(b.approval !== undefined ? { approval: b.approval as Verdict['approval'] } : {}),
    call: b.call,
    requestDigest: typeof b.requestDigest === 'string' ? b.requestDigest : '',
    recorded: b.recorded === true,
    warnings: [],
    revision: typeof b.revision === 'number' ? b.revision : null,
  }) as Verdict;
}

function denied(why: string): Verdict {
  const reason = `Denied by the remote governor: ${why}.`;
  const decision: Decision = { effect: 'deny', allowed: false, rule: null, policy: null, reason, approvers: [], errors: [{ code: 'pipeline_error', rule: null, policy: null, message: why }], policyDigest: '' };
  return Object.freeze({ ...decision, policyDecision: decision, call: '', requestDigest: '', recorded: false, warnings: [] });
}
