/**
 * The neutral types of what watches the pipeline from the runtime's side: a {@link CallMonitor}
 * (SRE state, telemetry, metrics) is told about each call before it is decided, once its decision
 * is recorded, and when its outcome is observed; it may refuse a call (an open circuit breaker),
 * supply runtime state rules read (`breaker`, `slo`), and inject a fault into a governed call (a
 * chaos experiment). `enforce/` calls monitors; `sre/` and `telemetry/` implement them; neither
 * imports the other.
 */
import type { AgentIdentity, DecisionEvent, OutcomeEvent, Request } from './decision.js';

/**
 * One call as a monitor sees it before the decision.
 *
 * @example
 * ```ts
 * const c: MonitoredCall = { call: 'c-1', tool: 'search', agent: { id: 'bot' }, request: { tool: 'search', args: {} } };
 * ```
 */
export interface MonitoredCall {
  call: string;
  tool: string;
  agent: Readonly<AgentIdentity> | null;
  request: Readonly<Request>;
}

/**
 * Runtime state the policy's rules read: `breaker` and `slo` are CEL maps (JavaScript `Map`s)
 * keyed by breaker (tool) and SLO name. A variable no monitor supplies is an empty map, so a rule
 * reading a key that is not there errors (and deny rules then apply: fail closed).
 *
 * @example
 * ```ts
 * const state: RuntimeVariables = { breaker: new Map([['search', new Map([['state', 'open']])]]) };
 * ```
 */
export interface RuntimeVariables {
  breaker?: ReadonlyMap<string, unknown>;
  slo?: ReadonlyMap<string, unknown>;
}

/**
 * What a monitor answers before the decision: a refusal (the call is denied and recorded under the
 * refusal's rule and policy, without evaluating the policy) and the runtime state rules read.
 *
 * @example
 * ```ts
 * const a: Admission = { refusal: { rule: 'breaker', policy: 'warden:sre', reason: 'The circuit breaker of "search" is open; it probes again at 10:00:30Z.' } };
 * ```
 */
export interface Admission {
  refusal?: { rule: string; policy: string; reason: string };
  runtime?: RuntimeVariables;
}

/**
 * A fault a chaos experiment injects into one governed call. `latency` delays the call;
 * `error` makes it fail with the error instead of running; `timeout` makes it hang for `ms` and
 * then fail with a `TimeoutError`; `large-result` runs it and returns `bytes` characters instead of
 * its result; `slow-stream` delays each item a generator yields (and a plain call's return) by `ms`.
 *
 * @example
 * ```ts
 * const f: Fault = { kind: 'latency', ms: 250, experiment: 'slow-search' };
 * ```
 */
export type Fault =
  | { kind: 'latency'; ms: number; experiment: string }
  | { kind: 'error'; name: string; message: string; experiment: string }
  | { kind: 'timeout'; ms: number; experiment: string }
  | { kind: 'large-result'; bytes: number; experiment: string }
  | { kind: 'slow-stream'; ms: number; experiment: string };

/**
 * Something the pipeline tells about every call. Every member is optional. `admit` runs in the
 * `admit` stage (a throw denies the call); `decided` and `observed` run after the record and the
 * outcome are written (a throw is reported through `onWarning`, never fails the call); `fault` is
 * asked by govern() just before a decided call runs.
 *
 * @example
 * ```ts
 * const counter: CallMonitor = { observed: (e) => { if (e.outcome.status === 'error') failures++; } };
 * const governor = new Governor({ policy, monitors: [counter] });
 * ```
 */
export interface CallMonitor {
  /** May answer with a Promise (a store-backed monitor): the call then waits, and a synchronous call is denied. */
  admit?(call: MonitoredCall, now: Date): Admission | null | undefined | Promise<Admission | null | undefined>;
  /** The decision was recorded; `elapsedMs` is how long deciding took (from the call's start to its record). */
  decided?(event: DecisionEvent, elapsedMs: number): void;
  observed?(event: OutcomeEvent): void;
  fault?(call: { call: string; tool: string; agent: Readonly<AgentIdentity> | null }, now: Date): Fault | null | undefined;
  /**
   * Runs the decided call's function (govern() calls it): tracing runs it inside the call's span, so
   * spans the tool makes are its children. Must call `fn` exactly once and return what it returns.
   */
  run?<T>(call: string, fn: () => T): T;
}
