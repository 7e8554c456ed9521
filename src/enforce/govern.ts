/**
 * govern(): a function wrapped so every call is decided, approved and recorded before any of its
 * work starts, runs with exactly the snapshot that was decided, and has its outcome recorded.
 */
import type { Outcome } from '../decision.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { takeSnapshot, thawedCopy, type Snapshot } from '../lib/snapshot.js';
import { WardenError } from '../errors.js';
import { GovernanceDenied } from './denied.js';
import { runWithFault, runWithFaultSync, streamWithFault, streamWithFaultSync } from './fault.js';
import type { Governor } from './governor.js';
import type { DecidedCall } from './pipeline.js';
import type { Verdict } from './verdict.js';

// The output scanner (the detectors' rule tables) loads with the first result scanned (scanResults: true).

/**
 * Options for govern().
 *
 * @example
 * ```ts
 * const options: GovernOptions = { tool: 'write_file', governor, toArgs: (path, body) => ({ path, size: String(body).length }) };
 * ```
 */
export interface GovernOptions {
  /** The tool name rules see. */
  tool: string;
  governor: Governor;
  /**
   * Maps the call's parameters to `args`. Default: a single plain-object parameter is `args`;
   * otherwise `{ "0": p0, "1": p1, ... }`. With toArgs the parameters must be plain JSON data:
   * they are snapshotted, toArgs sees the frozen snapshot, and the function runs with a copy of
   * it (parameters with no JSON form are refused, since nothing could prove what ran).
   */
  toArgs?: (...params: unknown[]) => Record<string, unknown>;
  /** Context for this tool's requests, merged over the Governor's. */
  context?: Record<string, unknown>;
  /**
   * How to check: `auto` (default) reads the function's kind: async functions and async
   * generators are checked asynchronously, other functions synchronously (a synchronous check
   * cannot wait for an asynchronous approval handler). `async` makes the wrapper return a Promise.
   */
  mode?: 'auto' | 'sync' | 'async' | 'async-generator' | 'generator';
  /**
   * Scan what the function returns (agent-warden/detect `scanOutput`): the outcome record carries
   * the session labels it adds (`untrusted` for injected instructions, `private` for secrets) and
   * the findings. The value is returned unchanged. Not for generators. Default false.
   */
  scanResults?: boolean;
  /**
   * Under a runtime (the kill switch), an async governed call is aborted in flight when a kill
   * covers it: the wrapper rejects at once with a `WardenError` `ERR_KILLED`. With `signal: true`
   * the function also gets `{ signal }` (an AbortSignal) as one more, last parameter, so it can
   * stop its own work (pass it to fetch, a child process, a database query).
   */
  signal?: boolean;
}

const GOVERN_KEYS: readonly string[] = ['tool', 'governor', 'toArgs', 'context', 'mode', 'scanResults', 'signal'];
const MODES: readonly string[] = ['auto', 'sync', 'async', 'async-generator', 'generator'];

/**
 * Returns a function with the same signature as `fn` that is decided, approved and recorded
 * before any of its work starts, and runs with a copy of exactly what was decided. A call that is
 * not allowed throws GovernanceDenied; its outcome (ok, error, duration) is recorded after it runs.
 *
 * @example
 * ```ts
 * const sendEmail = govern(async ({ to, body }: { to: string; body: string }) => mailer.send(to, body), { tool: 'send_email', governor });
 * await sendEmail({ to: 'ceo@example.com', body: 'hi' }); // decided first
 * ```
 */
export function govern<F extends (...args: never[]) => unknown>(fn: F, options: GovernOptions): F {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_OPTIONS', 'govern() needs options { tool, governor }.');
  for (const key of Object.keys(options)) {
    if (!GOVERN_KEYS.includes(key)) throw new WardenError('ERR_OPTIONS', `Unknown govern() option ${JSON.stringify(key)}; the options are ${GOVERN_KEYS.join(', ')}.`);
  }
  if (!options.governor || typeof (options.governor as Partial<Governor>).decideCall !== 'function') throw new WardenError('ERR_OPTIONS', 'govern() needs { governor }: the Governor that decides every call.');
  return governWith(options.governor, fn, options);
}

/** @internal govern() for a known Governor (Governor.wrap and wrapAll). */
export function governWith<F extends (...args: never[]) => unknown>(governor: Governor, fn: F, options: Omit<GovernOptions, 'governor'> & { governor?: Governor }): F {
  if (typeof fn !== 'function') throw new WardenError('ERR_OPTIONS', `govern() needs a function for tool "${options.tool}".`);
  if (typeof options.tool !== 'string' || options.tool.length === 0) throw new WardenError('ERR_OPTIONS', 'govern() needs a non-empty tool name.');
  if (options.mode !== undefined && !MODES.includes(options.mode)) throw new WardenError('ERR_OPTIONS', `govern() mode must be one of ${MODES.join(', ')}; got ${JSON.stringify(options.mode)}.`);
  if (options.toArgs !== undefined && typeof options.toArgs !== 'function') throw new WardenError('ERR_OPTIONS', 'govern() toArgs must be a function mapping the parameters to args.');
  if (options.scanResults !== undefined && typeof options.scanResults !== 'boolean') throw new WardenError('ERR_OPTIONS', 'govern() scanResults must be true or false.');
  const tool = options.tool;
  const raw = fn as unknown as (...a: unknown[]) => unknown;
  const mode = !options.mode || options.mode === 'auto' ? kindOf(raw) : options.mode;
  const toArgs = options.toArgs;
  const context = options.context;
  if (options.signal !== undefined && typeof options.signal !== 'boolean') throw new WardenError('ERR_OPTIONS', 'govern() signal must be true or false.');
  const passSignal = options.signal === true;

  const prepare = (params: unknown[]): Prepared => {
    if (toArgs === undefined) {
      const single = params.length === 1 ? params[0] : undefined;
      if (single !== null && typeof single === 'object' && !Array.isArray(single)) {
        const proto: unknown = Object.getPrototypeOf(single);
        if (proto === Object.prototype || proto === null) return { request: requestOf(tool, single, context), params: null, positional: -1, live: params };
      }
      const args: Record<string, unknown> = {};
      for (let i = 0; i < params.length; i++) args[String(i)] = params[i];
      return { request: requestOf(tool, args, context), params: null, positional: params.length, live: params };
    }
    // invariant: toArgs sees the frozen snapshot of the parameters, and the function runs with a copy of that same snapshot.
    let snapshot: Snapshot<unknown[]>;
    try {
      snapshot = takeSnapshot<unknown[]>(params);
    } catch {
      // Not plain data: the pipeline's snapshot refuses the same parameters, so the call is denied
      // as an invalid request (with the reason) and recorded.
      return { request: requestOf(tool, { parameters: params }, context), params: null, positional: -1, live: params };
    }
    return { request: requestOf(tool, toArgs(...snapshot.value), context), params: snapshot, positional: -1, live: params };
  };

  /**
   * The parameters to run with: rebuilt from the decided snapshot, or the call does not run. After
   * a wait (`waited`), the caller's own arguments are compared with what was decided: if they
   * changed meanwhile (a concurrent mutation, a getter), the call is denied rather than run with
   * values the caller no longer holds.
   */
  const decided = (result: DecidedCall, call: Prepared, waited: boolean): unknown[] => {
    const { verdict, snapshot } = result;
    if (!verdict.allowed || snapshot === null) throw new GovernanceDenied(tool, verdict);
    if (waited && changedSince(call, snapshot)) {
      void governor.pipeline.observe({ call: verdict.call, tool }, { status: 'aborted', error: { name: 'GovernanceDenied', message: CHANGED } });
      throw new GovernanceDenied(tool, { ...verdict, effect: 'deny', allowed: false, reason: CHANGED });
    }
    if (call.params !== null) return thawedCopy(call.params);
    const args = (thawedCopy(snapshot) as { args: Record<string, unknown> }).args;
    if (call.positional < 0) return [args];
    return Array.from({ length: call.positional }, (_, i) => args[String(i)]);
  };

  const scan = options.scanResults === true;
  const outcomeOf = (started: number, error: unknown): Outcome => {
    const durationMs = governor.pipeline.timer.now() - started;
    if (error === NO_ERROR) return { status: 'ok', durationMs };
    return { status: 'error', durationMs, error: { name: error instanceof Error ? error.name : typeof error, message: error instanceof Error ? error.message : String(error) } };
  };
  const observe = (verdict: Verdict, started: number, error: unknown, value?: unknown): void => {
    // Never throws; an outcome that cannot be recorded is reported through onWarning.
    // A result is scanned by the observe stage (tier 1, secrets, and the pipeline's resultModel):
    // the session waits for its labels even though this does not.
    if (error === NO_ERROR && scan && value !== undefined) void governor.pipeline.observeResult({ call: verdict.call, tool }, value, { outcome: outcomeOf(started, error) });
    else void governor.pipeline.observe({ call: verdict.call, tool }, outcomeOf(started, error));
  };

  let wrapped: (this: unknown, ...params: unknown[]) => unknown;
  switch (mode) {
    case 'async':
      wrapped = async function (this: unknown, ...params: unknown[]) {
        const call = prepare(params);
        const result = await governor.decideCall({ request: call.request });
        const args = decided(result, call, true);
        const signal = result.signal;
        if (passSignal) args.push({ signal: signal ?? new AbortController().signal });
        const fault = governor.pipeline.faultFor({ call: result.verdict.call, tool });
        const started = governor.pipeline.timer.now();
        try {
          const call = (): unknown => raw.apply(this, args);
          const run = (): unknown => governor.pipeline.runCall(result.verdict.call, fault === null ? call : () => runWithFault(fault, call, governor.pipeline.timer));
          const value = signal === undefined ? await run() : await untilAborted(run, signal);
          observe(result.verdict, started, NO_ERROR, value);
          return value;
        } catch (e) {
          if (signal?.aborted === true && e === signal.reason) void governor.pipeline.observe({ call: result.verdict.call, tool }, { status: 'aborted', durationMs: governor.pipeline.timer.now() - started, error: { name: 'WardenError', message: messageOf(e) } });
          else observe(result.verdict, started, e);
          throw e;
        }
      };
      break;
    case 'async-generator':
      // Generators are lazy: the check runs on the first next(), before the body starts.
      wrapped = async function* (this: unknown, ...params: unknown[]) {
        const call = prepare(params);
        const result = await governor.decideCall({ request: call.request });
        const args = decided(result, call, true);
        if (passSignal) args.push({ signal: result.signal ?? new AbortController().signal });
        const fault = governor.pipeline.faultFor({ call: result.verdict.call, tool });
        const started = governor.pipeline.timer.now();
        try {
          const source = () => raw.apply(this, args) as AsyncGenerator<unknown, unknown, unknown>;
          const value: unknown = yield* fault === null ? source() : streamWithFault(fault, source, governor.pipeline.timer);
          observe(result.verdict, started, NO_ERROR);
          return value;
        } catch (e) {
          observe(result.verdict, started, e);
          throw e;
        }
      };
      break;
    case 'generator':
      wrapped = function* (this: unknown, ...params: unknown[]) {
        const call = prepare(params);
        const result = governor.decideCallSync({ request: call.request });
        const args = decided(result, call, false);
        const fault = governor.pipeline.faultFor({ call: result.verdict.call, tool });
        const started = governor.pipeline.timer.now();
        try {
          const source = () => raw.apply(this, args) as Generator<unknown, unknown, unknown>;
          const value: unknown = yield* fault === null ? source() : streamWithFaultSync(fault, source, governor.pipeline.timer);
          observe(result.verdict, started, NO_ERROR);
          return value;
        } catch (e) {
          observe(result.verdict, started, e);
          throw e;
        }
      };
      break;
    default:
      wrapped = function (this: unknown, ...params: unknown[]) {
        const call = prepare(params);
        const result = governor.decideCallSync({ request: call.request });
        const args = decided(result, call, false);
        const fault = governor.pipeline.faultFor({ call: result.verdict.call, tool });
        const started = governor.pipeline.timer.now();
        let value: unknown;
        try {
          const call = (): unknown => raw.apply(this, args);
          value = governor.pipeline.runCall(result.verdict.call, fault === null ? call : () => runWithFaultSync(fault, call, governor.pipeline.timer));
        } catch (e) {
          observe(result.verdict, started, e);
          throw e;
        }
        observe(result.verdict, started, NO_ERROR, value);
        return value;
      };
  }
  Object.defineProperty(wrapped, 'name', { value: raw.name || tool });
  Object.defineProperty(wrapped, 'length', { value: raw.length });
  return wrapped as unknown as F;
}

/** What a call asks for, and how to rebuild its parameters from the decided snapshot. */
interface Prepared {
  request: { tool: string; args: unknown; context?: Record<string, unknown> };
  /** With toArgs: the snapshot of the parameters the function runs with. */
  params: Snapshot<unknown[]> | null;
  /** With toArgs: the caller's own parameters (compared with `params` after a wait). */
  live: unknown[];
  /** Without toArgs: -1 when the one parameter is `args`, else how many positional parameters to rebuild. */
  positional: number;
}

const NO_ERROR: unique symbol = Symbol('no error');

/** Runs `fn`, rejecting with the signal's reason as soon as it aborts (whether or not `fn` stops). */
async function untilAborted(fn: () => unknown, signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) throw signal.reason;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([Promise.resolve().then(fn), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort as () => void);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
const CHANGED = 'The arguments changed after the decision was made; the call was not run.';

/** True when the caller's own arguments no longer serialize to what was decided. */
function changedSince(call: Prepared, snapshot: Snapshot<{ args?: unknown }>): boolean {
  try {
    if (call.params !== null) return canonicalJson(call.live) !== call.params.text;
    // The snapshot is canonical {"args":…,"context"…,"tool"…}: `args` sorts first, and a JSON value
    // is self-delimiting, so the decided args equal the live ones exactly when this prefix matches.
    const live = canonicalJson(call.request.args);
    const text = snapshot.text;
    const head = `{"args":${live}`;
    return !(text.startsWith(head) && (text.charCodeAt(head.length) === 0x2c || text.charCodeAt(head.length) === 0x7d));
  } catch {
    return true;
  }
}

function requestOf(tool: string, args: unknown, context: Record<string, unknown> | undefined): Prepared['request'] {
  return context === undefined ? { tool, args } : { tool, args, context };
}

/**
 * The kind of a function, read from its constructor: what govern()'s `auto` mode follows.
 *
 * @example
 * ```ts
 * kindOf(async () => 1); // 'async'
 * ```
 */
export function kindOf(fn: (...a: unknown[]) => unknown): 'sync' | 'async' | 'async-generator' | 'generator' {
  const name = (Object.getPrototypeOf(fn) as { constructor?: { name?: string } } | null)?.constructor?.name;
  if (name === 'AsyncFunction') return 'async';
  if (name === 'AsyncGeneratorFunction') return 'async-generator';
  if (name === 'GeneratorFunction') return 'generator';
  return 'sync';
}
