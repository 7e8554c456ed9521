/**
 * The Governor: the in-process enforcement point. It holds one {@link Pipeline} and offers it in
 * the shapes application code wants: check a request, or wrap functions so every call is decided,
 * approved, recorded and run with exactly what was decided (see govern()).
 */
import type { AgentIdentity, DecisionSink, Outcome, Request } from '../decision.js';
import type { Credential } from '../identity/credential.js';
import { WardenError } from '../errors.js';
import type { PolicySet } from '../policy/policy-set.js';
import { governWith, kindOf, type GovernOptions } from './govern.js';
import { Pipeline, type CallInput, type DecidedCall, type PipelineOptions } from './pipeline.js';
import type { Verdict } from './verdict.js';

export type { ApprovalHandler, ApprovalRequest } from './approval.js';
export type { PolicyProvider } from './pipeline.js';

/**
 * Options for a Governor: exactly the pipeline's (unknown keys are refused).
 *
 * @example
 * ```ts
 * const options: GovernorOptions = { policy, agent: { id: 'support-bot' }, approvalHandler: async () => true };
 * ```
 */
export type GovernorOptions = PipelineOptions;

/**
 * A request for {@link Governor.check}: what the tool call is, and optionally who makes it (the
 * identity your application authenticated; the Governor's `agent` when absent).
 *
 * @example
 * ```ts
 * const r: GovernorRequest = { tool: 'refund', args: { amount: 50 }, context: { ticket: 'T-1' } };
 * ```
 */
export interface GovernorRequest {
  tool: string;
  args: Record<string, unknown>;
  context?: Record<string, unknown>;
  agent?: AgentIdentity;
  /** A credential for the pipeline's identity verifier (a token, a DPoP proof, a UCAN invocation); see docs/identity.md. */
  credential?: Credential;
}

/**
 * Holds a policy, an approval handler and a decision sink; decides, approves and records.
 *
 * @example
 * ```ts
 * const governor = new Governor({ policy: await loadPolicyFiles(['policy.yaml']), agent: { id: 'support-bot' } });
 * const verdict = await governor.check({ tool: 'refund', args: { amount: 50 } });
 * const refund = governor.wrap('refund', async (a: { amount: number }) => pay(a.amount));
 * ```
 */
export class Governor {
  /** The pipeline every call of this Governor goes through. */
  readonly pipeline: Pipeline;

  constructor(options: GovernorOptions) {
    this.pipeline = new Pipeline(options);
  }

  /** The PolicySet in force right now. */
  get policySet(): PolicySet {
    return this.pipeline.policySet;
  }

  /** Where this Governor records decisions. */
  get sink(): DecisionSink {
    return this.pipeline.sink;
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
  async check(request: GovernorRequest | Partial<Request>): Promise<Verdict> {
    return (await this.pipeline.decide(inputOf(request))).verdict;
  }

  /**
   * The synchronous form of check(), for governing synchronous functions. An approval handler
   * must answer synchronously here (a Promise answer denies), and the sink must offer writeSync.
   *
   * @example
   * ```ts
   * const v = governor.checkSync({ tool: 'read_config', args: {} });
   * ```
   */
  checkSync(request: GovernorRequest | Partial<Request>): Verdict {
    return this.pipeline.decideSync(inputOf(request)).verdict;
  }

  /**
   * Records what happened when a call this Governor allowed ran (govern() and wrap() do this for
   * you). Never throws.
   *
   * @example
   * ```ts
   * const v = await governor.check(request);
   * if (v.allowed) { await run(); await governor.observe(v, request.tool, { status: 'ok' }); }
   * ```
   */
  observe(verdict: Verdict, tool: string, outcome: Outcome): Promise<void> {
    return this.pipeline.observe({ call: verdict.call, tool }, outcome);
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
    if (tools === null || typeof tools !== 'object') throw new WardenError('ERR_OPTIONS', 'wrapAll needs an object whose function properties are the tools.');
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const key of methodNames(tools)) {
      const fn = (tools as Record<string, unknown>)[key];
      if (typeof fn !== 'function') continue;
      out[key] = governWith(this, (fn as (...a: unknown[]) => unknown).bind(tools), { tool: key, mode: kindOf(fn as (...a: unknown[]) => unknown) });
    }
    return out as GovernedTools<T>;
  }

  /** @internal govern()'s way in: the decided call with its snapshot. */
  decideCall(input: CallInput): Promise<DecidedCall> {
    return this.pipeline.decide(input);
  }

  /** @internal */
  decideCallSync(input: CallInput): DecidedCall {
    return this.pipeline.decideSync(input);
  }
}

/** The tools of an object, governed. */
export type GovernedTools<T> = { [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]: T[K] };

/** A check() request as pipeline input: the identity travels beside the request, never inside what is decided as arguments. */
function inputOf(request: GovernorRequest | Partial<Request>): CallInput {
  if (request === null || typeof request !== 'object') return { request };
  const own = (key: string): unknown => (Object.prototype.hasOwnProperty.call(request, key) ? (request as Record<string, unknown>)[key] : undefined);
  const input: CallInput = { request };
  const agent = own('agent');
  if (agent !== undefined) input.agent = agent as AgentIdentity;
  const credential = own('credential');
  if (credential !== undefined) input.credential = credential as Credential;
  return input;
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
