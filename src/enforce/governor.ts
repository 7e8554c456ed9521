/**
 * The Governor: the enforcement point's decision, approval and recording, around one PolicySet.
 */
import { canonicalJson } from '../lib/canonical-json.js';
import { digestOf } from '../lib/hash.js';
import type { PolicySet } from '../policy/policy-set.js';
import type { AgentIdentity, Decision, Request } from '../decision.js';
import { GovernanceDenied } from './denied.js';
import { MemorySink } from './memory-sink.js';
import type { DecisionEvent, DecisionSink } from '../decision.js';
import type { ApprovalOutcome, Verdict } from './verdict.js';

/** What an approval handler is asked. Everything in it is a frozen copy. */
export interface ApprovalRequest {
  request: Readonly<Request>;
  decision: Readonly<Decision>;
  /** `sha256:<hex>` of the canonical request; an approval covers exactly this request. */
  requestDigest: string;
  approvers: readonly string[];
}

/**
 * Decides whether a request that requires approval may run. Only the exact boolean `true`
 * approves; anything else, a throw, or a timeout denies.
 */
export type ApprovalHandler = (request: ApprovalRequest) => unknown;

/** Something that holds the current PolicySet: a PolicySet itself or a PolicyStore. */
export interface PolicyProvider {
  current(): PolicySet;
}

/** Options for a Governor. */
export interface GovernorOptions {
  /** The policy in force: a compiled PolicySet, or a PolicyStore that can hot-reload. */
  policy: PolicySet | PolicyProvider;
  /** The identity this enforcement point authenticated; used when a request carries none. */
  agent?: AgentIdentity;
  /** Context merged under each request's own context (the request's keys win). */
  context?: Record<string, unknown>;
  approvalHandler?: ApprovalHandler;
  /** How long to wait for the approval handler; default 5 minutes. */
  approvalTimeoutMs?: number;
  /** Where decisions are recorded; default an in-memory sink. */
  sink?: DecisionSink;
  /** What to do when a decision cannot be recorded: deny (default) or allow and warn. */
  onAuditFailure?: 'deny' | 'allow-and-warn';
  /** The clock for `ts` and `now`; injected so tests and replays are deterministic. */
  clock?: () => Date;
  /** Receives warnings (audit failures under allow-and-warn, hot-reload problems). */
  onWarning?: (message: string) => void;
}

/** A check in progress, with the canonical form of the request it decided. */
export interface CheckResult {
  verdict: Verdict;
  /** Canonical JSON of the decided request: compare before running, to catch later mutation. */
  fingerprint: string;
}

const DEFAULT_APPROVAL_TIMEOUT_MS = 5 * 60 * 1000;

/**
 * Holds a PolicySet, an approval handler and a decision sink; decides, approves and records.
 *
 * @example
 * ```ts
 * const governor = new Governor({ policy: compilePolicy([{ name: 'p', text }]), agent: { id: 'support-bot' } });
 * const verdict = await governor.check({ tool: 'refund', args: { amount: 50 } });
 * const refund = governor.wrap('refund', async (a: { amount: number }) => pay(a.amount));
 * ```
 */
export class Governor {
  readonly #policy: PolicyProvider;
  readonly #agent: AgentIdentity | undefined;
  readonly #context: Record<string, unknown> | undefined;
  readonly #approve: ApprovalHandler | undefined;
  readonly #approvalTimeoutMs: number;
  readonly #onAuditFailure: 'deny' | 'allow-and-warn';
  readonly #clock: () => Date;
  readonly #warn: (message: string) => void;
  readonly sink: DecisionSink;

  constructor(options: GovernorOptions) {
    const policy = options.policy as PolicySet | PolicyProvider | undefined;
    if (!policy) throw new TypeError('Governor needs a policy: pass a PolicySet from compilePolicy() or a PolicyStore.');
    this.#policy = 'current' in policy && typeof policy.current === 'function' ? policy : { current: () => policy as PolicySet };
    this.#agent = options.agent;
    this.#context = options.context;
    this.#approve = options.approvalHandler;
    const timeout = options.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
    this.#approvalTimeoutMs = Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_APPROVAL_TIMEOUT_MS;
    this.#onAuditFailure = options.onAuditFailure === 'allow-and-warn' ? 'allow-and-warn' : 'deny';
    this.#clock = options.clock ?? (() => new Date());
    this.#warn = options.onWarning ?? (() => undefined);
    this.sink = options.sink ?? new MemorySink();
  }

  /** The PolicySet in force right now. */
  get policySet(): PolicySet {
    return this.#policy.current();
  }

  /**
   * Decides, handles approval, and records. Never throws for a bad request: that is a denial.
   *
   * @example
   * ```ts
   * const v = await governor.check({ tool: 'delete_user', args: { id: 7 } });
   * v.allowed; // false unless a rule allows it
   * ```
   */
  async check(request: Partial<Request>): Promise<Verdict> {
    return (await this.checkWithFingerprint(request)).verdict;
  }

  /** check(), plus the canonical form of what was decided (used by wrappers). */
  async checkWithFingerprint(request: Partial<Request>): Promise<CheckResult> {
    // The caller's own request is what a wrapper runs with, so that is what is fingerprinted; the
    // decision is made on the snapshot parsed back from it, so a getter or Proxy that answers
    // differently on each read cannot make the policy decide on one value and the tool run with another.
    const fingerprint = fingerprintOf(request);
    const full = this.#complete(snapshotOf(request, fingerprint));
    const now = this.#clock();
    const decision = this.#decide(full, now);
    let approval: ApprovalOutcome | undefined;
    if (decision.effect === 'require_approval') approval = await this.#approval(full, request, decision, fingerprint);
    const verdict = finalVerdict(decision, approval);
    try {
      await this.sink.write(this.#event(verdict, full, now, request, fingerprint));
      verdict.recorded = true;
    } catch (e) {
      this.#auditFailed(verdict, e);
    }
    return { verdict, fingerprint };
  }

  /**
   * The synchronous form of check(), for governing synchronous functions. An approval handler
   * must answer synchronously here; a Promise answer denies. The sink must offer writeSync.
   */
  checkSync(request: Partial<Request>): Verdict {
    return this.checkSyncWithFingerprint(request).verdict;
  }

  /** checkSync(), plus the canonical form of what was decided. */
  checkSyncWithFingerprint(request: Partial<Request>): CheckResult {
    const fingerprint = fingerprintOf(request);
    const full = this.#complete(snapshotOf(request, fingerprint));
    const now = this.#clock();
    const decision = this.#decide(full, now);
    let approval: ApprovalOutcome | undefined;
    if (decision.effect === 'require_approval') approval = this.#approvalSync(full, request, decision, fingerprint);
    const verdict = finalVerdict(decision, approval);
    try {
      if (!this.sink.writeSync) throw new Error('the decision sink cannot record synchronously; govern an async function instead');
      this.sink.writeSync(this.#event(verdict, full, now, request, fingerprint));
      verdict.recorded = true;
    } catch (e) {
      this.#auditFailed(verdict, e);
    }
    return { verdict, fingerprint };
  }

  /**
   * Wraps one function so every call is decided first. See govern() for the details.
   *
   * @example
   * ```ts
   * const readFile = governor.wrap('read_file', async ({ path }: { path: string }) => fs.readFile(path, 'utf8'));
   * ```
   */
  wrap<F extends (...args: never[]) => unknown>(name: string, fn: F, options: Omit<GovernOptions, 'tool' | 'governor'> = {}): F {
    return governWith(this, fn, { ...options, tool: name });
  }

  /**
   * Wraps every function of an object (own and inherited methods, bound to it), keyed by name.
   * Non-function properties are left out, so the raw object cannot be reached through the result.
   *
   * @example
   * ```ts
   * const tools = governor.wrapAll({ read_file: readFile, send_email: sendEmail });
   * await tools.send_email({ to: 'a@b.c' });
   * ```
   */
  wrapAll<T extends object>(tools: T): GovernedTools<T> {
    if (tools === null || typeof tools !== 'object') throw new TypeError('wrapAll needs an object whose function properties are the tools.');
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const key of methodNames(tools)) {
      const fn = (tools as Record<string, unknown>)[key];
      if (typeof fn !== 'function') continue;
      out[key] = governWith(this, (fn as (...a: unknown[]) => unknown).bind(tools), { tool: key, mode: kindOf(fn as (...a: unknown[]) => unknown) });
    }
    return out as GovernedTools<T>;
  }

  #complete(request: Partial<Request>): Partial<Request> {
    if (request === null || typeof request !== 'object') return request;
    const full: Partial<Request> = shallowCopy(request);
    if (full.agent === undefined && this.#agent !== undefined) full.agent = this.#agent;
    if (this.#context !== undefined) {
      const own = full.context;
      full.context = own !== null && typeof own === 'object' && !Array.isArray(own) ? { ...this.#context, ...own } : own === undefined ? { ...this.#context } : own;
    }
    return full;
  }

  #decide(request: Partial<Request>, now: Date): Decision {
    try {
      return this.#policy.current().decide(request, { now });
    } catch (e) {
      // invariant: decide() never throws, but a provider might; that is a denial, not a bypass.
      const message = e instanceof Error ? e.message : String(e);
      return { effect: 'deny', allowed: false, rule: null, policy: null, reason: `The policy could not be evaluated (${message}); denied.`, approvers: [], errors: [{ code: 'policy_error', rule: null, policy: null, message }], policyDigest: '' };
    }
  }

  async #approval(request: Partial<Request>, original: Partial<Request>, decision: Decision, fingerprint: string): Promise<ApprovalOutcome> {
    const pre = this.#preApproval(request, decision);
    if ('outcome' in pre) return pre.outcome;
    let timer: NodeJS.Timeout | undefined;
    try {
      const handler = this.#approve as ApprovalHandler;
      const answer = await Promise.race([
        Promise.resolve().then(() => handler(pre.ask)),
        new Promise<'__timeout__'>((resolve) => {
          timer = setTimeout(() => resolve('__timeout__'), this.#approvalTimeoutMs);
        }),
      ]);
      if (answer === '__timeout__') return denied(pre.ask.requestDigest, `the approval handler did not answer within ${this.#approvalTimeoutMs} ms`);
      return this.#judge(answer, original, pre.ask.requestDigest, fingerprint);
    } catch (e) {
      return denied(pre.ask.requestDigest, `the approval handler failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  #approvalSync(request: Partial<Request>, original: Partial<Request>, decision: Decision, fingerprint: string): ApprovalOutcome {
    const pre = this.#preApproval(request, decision);
    if ('outcome' in pre) return pre.outcome;
    try {
      const answer = (this.#approve as ApprovalHandler)(pre.ask);
      if (answer !== null && typeof answer === 'object' && typeof (answer as { then?: unknown }).then === 'function') {
        (answer as Promise<unknown>).then(undefined, () => undefined);
        return denied(pre.ask.requestDigest, 'the approval handler answered asynchronously, but the governed function is synchronous; govern an async function to use asynchronous approvals');
      }
      return this.#judge(answer, original, pre.ask.requestDigest, fingerprint);
    } catch (e) {
      return denied(pre.ask.requestDigest, `the approval handler failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  #preApproval(request: Partial<Request>, decision: Decision): { outcome: ApprovalOutcome } | { ask: ApprovalRequest } {
    let snapshot: Request;
    let requestDigest: string;
    try {
      snapshot = deepFreeze(JSON.parse(canonicalJson(request)) as Request);
      requestDigest = digestOf(snapshot);
    } catch (e) {
      return { outcome: denied('', `the request could not be bound for approval: ${e instanceof Error ? e.message : String(e)}`) };
    }
    if (decision.approvers.length === 0) return { outcome: denied(requestDigest, `rule "${decision.rule ?? ''}" requires approval but names no approvers, so nobody can approve`) };
    if (!this.#approve) return { outcome: denied(requestDigest, 'approval is required but no approval handler is configured') };
    const ask: ApprovalRequest = { request: snapshot, decision: deepFreeze(structuredClone(decision)), requestDigest, approvers: Object.freeze([...decision.approvers]) };
    return { ask };
  }

  #judge(answer: unknown, request: Partial<Request>, requestDigest: string, fingerprint: string): ApprovalOutcome {
    if (answer !== true) return denied(requestDigest, `the approval handler answered ${describeAnswer(answer)}; only the boolean true approves`);
    // invariant: an approval covers exactly the request that was shown to the handler.
    const now = fingerprintOf(request);
    if (now === '' || now !== fingerprint) return denied(requestDigest, 'the request changed while approval was pending; the approval does not cover it');
    return { approved: true, reason: 'approved', requestDigest };
  }

  #auditFailed(verdict: Verdict, e: unknown): void {
    const why = e instanceof Error ? e.message : String(e);
    if (this.#onAuditFailure === 'deny') {
      if (verdict.allowed) {
        verdict.effect = 'deny';
        verdict.allowed = false;
      }
      verdict.reason = `The decision could not be recorded (${why}), so the call is denied (onAuditFailure: deny). Fix the audit sink. Policy said: ${verdict.reason}`;
      verdict.errors = [...verdict.errors, { code: 'audit_failure', rule: null, policy: null, message: why }];
    } else {
      const message = `The decision could not be recorded (${why}); allowed anyway because onAuditFailure is allow-and-warn.`;
      verdict.warnings.push(message);
      this.#warn(message);
    }
  }

  #event(verdict: Verdict, live: Partial<Request>, now: Date, original: Partial<Request>, fingerprint: string): DecisionEvent {
    // The sink gets its own copy: it cannot reach (or change) the caller's objects.
    const request = copyFromFingerprint(live, original, fingerprint) ?? copyOf(live);
    const agent = request.agent ?? null;
    const event: DecisionEvent = {
      ts: now.toISOString(),
      agent,
      request: { tool: request.tool as string, args: request.args as Record<string, unknown>, ...(request.context !== undefined ? { context: request.context } : {}) },
      decision: verdict.policyDecision,
      outcome: { executed: verdict.allowed, effect: verdict.effect, reason: verdict.reason, ...(verdict.approval ? { approval: verdict.approval } : {}) },
    };
    return event;
  }
}

/** The tools of an object, governed. */
export type GovernedTools<T> = { [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]: T[K] };

/** Options for govern(). */
export interface GovernOptions {
  /** The tool name rules see. */
  tool: string;
  governor: Governor;
  /** Maps the call's parameters to `args`. Default: a single plain-object parameter is `args`; otherwise `{ "0": p0, "1": p1, ... }`. */
  toArgs?: (...params: unknown[]) => Record<string, unknown>;
  /** Context for this tool's requests, merged over the Governor's. */
  context?: Record<string, unknown>;
  /**
   * How to check: `auto` (default) reads the function's kind: async functions and async
   * generators are checked asynchronously, other functions synchronously (a synchronous check
   * cannot wait for an asynchronous approval handler). `async` makes the wrapper return a Promise.
   */
  mode?: 'auto' | 'sync' | 'async' | 'async-generator' | 'generator';
}

/**
 * Returns a function with the same signature as `fn` that is decided, approved and recorded
 * before any of its work starts. A call that is not allowed throws GovernanceDenied.
 *
 * @example
 * ```ts
 * const sendEmail = govern(async ({ to, body }: { to: string; body: string }) => mailer.send(to, body), { tool: 'send_email', governor });
 * await sendEmail({ to: 'ceo@example.com', body: 'hi' }); // decided first
 * ```
 */
export function govern<F extends (...args: never[]) => unknown>(fn: F, options: GovernOptions): F {
  return governWith(options.governor, fn, options);
}

function governWith<F extends (...args: never[]) => unknown>(governor: Governor, fn: F, options: Omit<GovernOptions, 'governor'>): F {
  if (typeof fn !== 'function') throw new TypeError(`govern() needs a function for tool "${options.tool}".`);
  if (typeof options.tool !== 'string' || options.tool.length === 0) throw new TypeError('govern() needs a non-empty tool name.');
  const tool = options.tool;
  const raw = fn as unknown as (...a: unknown[]) => unknown;
  const mode = !options.mode || options.mode === 'auto' ? kindOf(raw) : options.mode;
  const custom = options.toArgs;
  const prepare = (params: unknown[]): Call => {
    const mapped = custom ? { args: custom(...params), rebuild: null } : defaultArgs(params);
    const request: Partial<Request> = { tool, args: mapped.args };
    if (options.context) request.context = options.context;
    return { request, rebuild: mapped.rebuild, params, paramsPrint: custom ? safeCanonical(params) : null };
  };
  /** The parameters to run with: exactly what was decided, or the call does not run. */
  const decided = (result: CheckResult, call: Call): unknown[] => {
    if (!result.verdict.allowed) throw new GovernanceDenied(tool, result.verdict);
    const changed = (): never => {
      throw new GovernanceDenied(tool, { ...result.verdict, effect: 'deny', allowed: false, reason: 'The arguments changed after the decision was made; the call was not run.' });
    };
    if (result.fingerprint === '') changed();
    if (fingerprintOf(call.request) !== result.fingerprint) changed();
    if (call.rebuild) {
      // invariant: the function receives a copy rebuilt from the decided canonical request, so a
      // getter, Proxy or concurrent mutation cannot make it run with anything the policy did not see.
      const snapshot = JSON.parse(result.fingerprint) as { args?: Record<string, unknown> };
      return call.rebuild(snapshot.args ?? {});
    }
    // A custom toArgs: also compare the raw parameters, when they are JSON data.
    if (call.paramsPrint !== null && safeCanonical(call.params) !== call.paramsPrint) changed();
    return call.params;
  };
  let wrapped: (this: unknown, ...params: unknown[]) => unknown;
  switch (mode) {
    case 'async':
      wrapped = async function (this: unknown, ...params: unknown[]) {
        const call = prepare(params);
        const args = decided(await governor.checkWithFingerprint(call.request), call);
        return await raw.apply(this, args);
      };
      break;
    case 'async-generator':
      // Generators are lazy: the check runs on the first next(), before the body starts.
      wrapped = async function* (this: unknown, ...params: unknown[]) {
        const call = prepare(params);
        const args = decided(await governor.checkWithFingerprint(call.request), call);
        return yield* raw.apply(this, args) as AsyncGenerator<unknown, unknown, unknown>;
      };
      break;
    case 'generator':
      wrapped = function* (this: unknown, ...params: unknown[]) {
        const call = prepare(params);
        const args = decided(governor.checkSyncWithFingerprint(call.request), call);
        return yield* raw.apply(this, args) as Generator<unknown, unknown, unknown>;
      };
      break;
    default:
      wrapped = function (this: unknown, ...params: unknown[]) {
        const call = prepare(params);
        const args = decided(governor.checkSyncWithFingerprint(call.request), call);
        return raw.apply(this, args);
      };
  }
  Object.defineProperty(wrapped, 'name', { value: raw.name || tool });
  Object.defineProperty(wrapped, 'length', { value: raw.length });
  return wrapped as unknown as F;
}

interface Call {
  request: Partial<Request>;
  /** Rebuilds the parameters from decided args; null for a custom toArgs. */
  rebuild: ((args: Record<string, unknown>) => unknown[]) | null;
  params: unknown[];
  paramsPrint: string | null;
}

function defaultArgs(params: unknown[]): { args: Record<string, unknown>; rebuild: (args: Record<string, unknown>) => unknown[] } {
  if (params.length === 1) {
    const p = params[0];
    if (p !== null && typeof p === 'object' && !Array.isArray(p)) {
      const proto: unknown = Object.getPrototypeOf(p);
      if (proto === Object.prototype || proto === null) return { args: p as Record<string, unknown>, rebuild: (a) => [a] };
    }
  }
  const out: Record<string, unknown> = {};
  params.forEach((p, i) => {
    out[String(i)] = p;
  });
  const count = params.length;
  return { args: out, rebuild: (a) => Array.from({ length: count }, (_, i) => a[String(i)]) };
}

function safeCanonical(value: unknown): string | null {
  try {
    return canonicalJson(value);
  } catch {
    return null;
  }
}

function kindOf(fn: (...a: unknown[]) => unknown): 'sync' | 'async' | 'async-generator' | 'generator' {
  const name = (Object.getPrototypeOf(fn) as { constructor?: { name?: string } } | null)?.constructor?.name;
  if (name === 'AsyncFunction') return 'async';
  if (name === 'AsyncGeneratorFunction') return 'async-generator';
  if (name === 'GeneratorFunction') return 'generator';
  return 'sync';
}

function methodNames(obj: object): string[] {
  const names = new Set<string>();
  let o: object | null = obj;
  while (o && o !== Object.prototype && o !== Function.prototype) {
    for (const k of Object.getOwnPropertyNames(o)) if (k !== 'constructor') names.add(k);
    o = Object.getPrototypeOf(o) as object | null;
  }
  return [...names];
}

/** Canonical JSON of the parts of a request that decide; '' when it has no JSON form (then nothing can match it). */
function fingerprintOf(request: Partial<Request>): string {
  try {
    const tool = request?.tool;
    const args = request?.args;
    const agent = request?.agent;
    const context = request?.context;
    // Members in canonical order, so nothing is sorted.
    return canonicalJson({ agent, args, context, tool });
  } catch {
    return '';
  }
}

/**
 * copyOf(live), reusing the canonical text already made for the fingerprint: the arguments (the
 * bulk of a request) are parsed from it instead of serialized again. `live` is `original` completed
 * with the Governor's agent and context, so only those two are copied anew. Null (use copyOf)
 * when the request has members the fingerprint leaves out, or when anything has no JSON form.
 */
function copyFromFingerprint(live: Partial<Request>, original: Partial<Request>, fingerprint: string): Partial<Request> | null {
  if (fingerprint === '' || original === null || typeof original !== 'object') return null;
  for (const key of Object.keys(original)) if (key !== 'tool' && key !== 'args' && key !== 'agent' && key !== 'context') return null;
  try {
    // invariant: the fingerprint is canonicalJson({ tool, args, agent, context }) of `original`,
    // whose tool and args are `live`'s own (the same objects, serialized once).
    const parsed = JSON.parse(fingerprint) as Partial<Request>;
    const copy: Partial<Request> = {};
    if (parsed.tool !== undefined) copy.tool = parsed.tool;
    if (parsed.args !== undefined) copy.args = parsed.args;
    if (live.agent !== undefined) copy.agent = JSON.parse(canonicalJson(live.agent)) as Request['agent'];
    if (live.context !== undefined) copy.context = JSON.parse(canonicalJson(live.context)) as Request['context'];
    return copy;
  } catch {
    return null;
  }
}

function copyOf(request: Partial<Request>): Partial<Request> {
  const text = safeCanonical(request);
  if (text !== null) return JSON.parse(text) as Partial<Request>;
  try {
    return structuredClone(request);
  } catch {
    return { tool: typeof request?.tool === 'string' ? request.tool : '', args: {} };
  }
}

/** The members of a Decision as decide() builds it, in its order. */
const DECISION_KEYS: readonly string[] = ['effect', 'allowed', 'rule', 'policy', 'reason', 'approvers', 'errors', 'policyDigest'];

/** True when `decision` has exactly the members decide() gives it, in that order (and no symbol keys). */
function isPlainDecision(decision: Decision): boolean {
  const keys = Object.keys(decision);
  if (keys.length !== DECISION_KEYS.length) return false;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== DECISION_KEYS[i]) return false;
  return Object.getOwnPropertySymbols(decision).length === 0;
}

/**
 * `{ ...request }`, built without a spread when it may: V8 makes adding a member to a spread copy
 * (the Governor's agent, here) a slow path. Object.assign copies the same own enumerable members in
 * the same order; it assigns where a spread defines, which differs only for a `__proto__` member,
 * so such a request is spread.
 */
function shallowCopy(request: Partial<Request>): Partial<Request> {
  return Object.hasOwn(request, '__proto__') ? { ...request } : Object.assign({}, request);
}

/** The request as decided: parsed back from its canonical form, or the original when it has none (it is then invalid). */
function snapshotOf(request: Partial<Request>, fingerprint: string): Partial<Request> {
  return fingerprint === '' ? request : (JSON.parse(fingerprint) as Partial<Request>);
}

function finalVerdict(decision: Decision, approval: ApprovalOutcome | undefined): Verdict {
  // The literal is the spread below for a decision shaped as decide() makes it (V8 makes adding
  // members to a spread copy a slow path); any other decision is spread.
  const verdict: Verdict = isPlainDecision(decision)
    ? {
        effect: decision.effect,
        allowed: decision.allowed,
        rule: decision.rule,
        policy: decision.policy,
        reason: decision.reason,
        approvers: [...decision.approvers],
        errors: [...decision.errors],
        policyDigest: decision.policyDigest,
        policyDecision: decision,
        recorded: false,
        warnings: [],
      }
    : { ...decision, errors: [...decision.errors], approvers: [...decision.approvers], policyDecision: decision, recorded: false, warnings: [] };
  if (approval) {
    verdict.approval = approval;
    if (approval.approved) {
      verdict.effect = 'allow';
      verdict.allowed = true;
      verdict.reason = `Approved. ${decision.reason}`;
    } else {
      verdict.effect = 'deny';
      verdict.allowed = false;
      verdict.reason = `Approval was not granted: ${approval.reason}. ${decision.reason}`;
    }
  }
  return verdict;
}

function denied(requestDigest: string, reason: string): ApprovalOutcome {
  return { approved: false, reason, requestDigest };
}

function describeAnswer(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'number') return String(v);
  return `a ${Array.isArray(v) ? 'list' : typeof v}`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
