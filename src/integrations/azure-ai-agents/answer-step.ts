/**
 * Azure AI Foundry Agents (`@azure/ai-agents`) adapter: the function tools a run asks the client
 * for. When a run reports `requires_action` with `submit_tool_outputs`, every requested call is
 * decided by the Governor; an allowed call runs with exactly the decided arguments, and a denied
 * one never runs and is answered with the policy's reason as its tool output. A call the policy
 * requires approval for leaves the run waiting in `requires_action` (the service's own pause: it
 * waits for the client's outputs until the run expires) until a person answers; the answer counts
 * only for the exact call that was paused.
 *
 * Only types come from `@azure/ai-agents`: importing this module loads nothing of the package.
 */
import type { ThreadRun, ToolOutput } from '@azure/ai-agents';
import type { AgentIdentity } from '../../decision.js';
import { GovernanceDenied } from '../../enforce/denied.js';
import type { Governor } from '../../enforce/governor.js';
import { pendingKey, type PendingApprovals } from '../../enforce/pending-approvals.js';
import type { CallInput, DecidedCall, GateRefusal } from '../../enforce/pipeline.js';
import { WardenError } from '../../errors.js';
import { parseJsonText } from '../../lib/json-text.js';
import { rejectUnknownKeys } from '../../lib/options.js';
import { runDecided } from '../host/run-decided.js';
import { scannedResult } from '../host/scanned-outcome.js';
import { approvalOptions } from '../host/shared-pending.js';

/** What the adapter sets as `context.host`. */
export const AZURE_HOST = 'azure-ai-agents';
/** The policy name of the adapter's own refusals (a function it does not govern, a call that is not a function call). */
const GATE_POLICY = 'warden:azure-ai-agents';

/**
 * What a function tool receives besides its arguments: the call's ids, and under a runtime the
 * signal a kill aborts.
 *
 * @example
 * ```ts
 * const refund: AzureFunction = async (args, call) => `refunded ${String(args.amount)} (${call.toolCallId})`;
 * ```
 */
export interface AzureToolCall {
  toolCallId: string;
  threadId: string;
  runId: string;
  signal?: AbortSignal;
}

/**
 * A function tool the client runs: it gets a fresh copy of the decided arguments. A string result
 * is the tool output as it is; anything else is sent as its JSON text (`undefined` as '').
 *
 * @example
 * ```ts
 * const lookup: AzureFunction = (args) => ({ order: args.order, status: 'shipped' });
 * ```
 */
export type AzureFunction = (args: Record<string, unknown>, call: AzureToolCall) => unknown;

/**
 * What a denied call becomes.
 * - `output` (default): the call never runs; its tool output is the policy's reason
 *   (`Warden denied "<tool>": <reason>`), and the run goes on, so the model sees why.
 * - `throw`: nothing of the step runs or is submitted; `answer()` and `run()` reject with the
 *   GovernanceDenied (and `run()` cancels the run).
 */
export type AzureDenyMode = 'output' | 'throw';

/**
 * Options of {@link governAzureTools}.
 *
 * @example
 * ```ts
 * const options: GovernAzureToolsOptions = { governor, tools: { refund }, approver: 'alice@example.com' };
 * ```
 */
export interface GovernAzureToolsOptions {
  /** Decides, approves and records every call; its `agent` is the identity in the audit log unless `agent` is given. */
  governor: Governor;
  /** The function tools the agent was created with, by name. A call to any other name is denied. */
  tools: Readonly<Record<string, AzureFunction>>;
  /** Default `output`. */
  onDeny?: AzureDenyMode;
  /** The identity your application authenticated for these runs (default: the Governor's). */
  agent?: AgentIdentity;
  /** Extra context for every request (the adapter sets `host`, `callId`, `session` and `azureAiAgents` over it). Keep it the same between a pause and its resume. */
  context?: Record<string, unknown>;
  /**
   * `host` (default): a call the policy requires approval for pauses the step: nothing of it runs,
   * the run stays in `requires_action`, and `answer()` / `run()` report the paused calls; resume
   * with the person's answers. `handler`: the Governor's blocking approval handler is asked
   * instead (mind the run's expiry, about ten minutes).
   */
  approval?: 'host' | 'handler';
  /** Who answers the paused calls (the signed-in user); recorded with the approval. */
  approver?: string;
  /** Where paused calls wait for their answer (default: in this process, one store per Governor). */
  pendingApprovals?: PendingApprovals;
  /** Most tool calls one step may ask for (default 128, the service's own limit on tools); more refuses the step. */
  maxToolCalls?: number;
}

/**
 * A call waiting for a person's answer, as `answer()` and `run()` report it.
 *
 * @example
 * ```ts
 * const waiting: AzurePausedCall = { toolCallId: 'call_1', tool: 'refund', args: { amount: 50 }, reason: 'Refunds over 10 need finance', rule: 'approve-refunds', approvers: ['finance'], requestDigest: 'sha256:…' };
 * ```
 */
export interface AzurePausedCall {
  toolCallId: string;
  tool: string;
  /** The arguments as decided (what the person is asked about). */
  args: Record<string, unknown>;
  reason: string;
  rule: string | null;
  approvers: string[];
  /** The digest the answer is bound to. */
  requestDigest: string;
}

/**
 * The person's answers to paused calls, by tool call id: only the boolean `true` approves; any
 * other value present is a rejection. Pass every answer you have on each resume.
 *
 * @example
 * ```ts
 * const answers: AzureApprovalAnswers = { call_1: true, call_2: false };
 * ```
 */
export type AzureApprovalAnswers = Readonly<Record<string, unknown>>;

/**
 * The answer to one `requires_action` step: the tool outputs to submit, or the calls that wait
 * for a person (then submit nothing: the run keeps waiting).
 *
 * @example
 * ```ts
 * const step: AzureStep = await warden.answer(run);
 * if (step.paused.length === 0) await client.runs.submitToolOutputs(run.threadId, run.id, step.toolOutputs);
 * ```
 */
export interface AzureStep {
  toolOutputs: ToolOutput[];
  paused: AzurePausedCall[];
}

/**
 * What `answer()` reads of a run: a `ThreadRun` from the client (`runs.get`, `runs.submitToolOutputs`,
 * or the `thread.run.requires_action` event of a stream) is one.
 *
 * @example
 * ```ts
 * const run: AzureRequiringRun = await client.runs.get(threadId, runId);
 * ```
 */
export type AzureRequiringRun = Pick<ThreadRun, 'id' | 'threadId' | 'status' | 'requiredAction'> & { assistantId?: string };

/** Each call of a step, as read from the run. */
interface StepCall {
  id: string;
  input: CallInput;
  tool: string;
  /** The text the call was decided on (tool and raw arguments), for the already-ran cache. */
  text: string;
}

export interface AzureConfig {
  governor: Governor;
  tools: ReadonlyMap<string, AzureFunction>;
  onDeny: AzureDenyMode;
  agent: AgentIdentity | undefined;
  context: Record<string, unknown> | undefined;
  approval: 'host' | 'handler';
  approver: string | undefined;
  pending: PendingApprovals;
  maxToolCalls: number;
}

const OPTION_KEYS = ['governor', 'tools', 'onDeny', 'agent', 'context', 'approval', 'approver', 'pendingApprovals', 'maxToolCalls'];
const DENY_MODES: readonly AzureDenyMode[] = ['output', 'throw'];
const DEFAULT_MAX_TOOL_CALLS = 128;
/** Outputs of calls that ran, kept so that a step answered again (its submission failed) resubmits them instead of running them twice. */
const MAX_RAN = 1024;

/** Reads and checks the options of governAzureTools. */
export function azureConfig(options: GovernAzureToolsOptions): AzureConfig {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor, tools }: the Governor that decides every tool call, and the functions by name.');
  rejectUnknownKeys(options, OPTION_KEYS, 'ERR_INTEGRATION_OPTIONS', 'governAzureTools options');
  const governor = options.governor;
  if (!governor || typeof governor.pipeline?.decide !== 'function') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  const given = options.tools as unknown;
  if (given === null || typeof given !== 'object' || Array.isArray(given)) throw new WardenError('ERR_INTEGRATION_OPTIONS', 'tools must be an object of the function tools by name: { refund: async (args) => ... }.');
  const tools = new Map<string, AzureFunction>();
  for (const [name, fn] of Object.entries(given as Record<string, unknown>)) {
    if (typeof fn !== 'function') throw new WardenError('ERR_INTEGRATION_OPTIONS', `tools.${name} must be a function (args, call) => output; got ${typeof fn}.`);
    tools.set(name, fn as AzureFunction);
  }
  const onDeny = options.onDeny ?? 'output';
  if (!DENY_MODES.includes(onDeny)) throw new WardenError('ERR_INTEGRATION_OPTIONS', `onDeny must be one of ${DENY_MODES.join(', ')}; got ${JSON.stringify(onDeny)}.`);
  const approval = options.approval ?? 'host';
  if (approval !== 'host' && approval !== 'handler') throw new WardenError('ERR_INTEGRATION_OPTIONS', `approval must be "host" or "handler"; got ${JSON.stringify(approval)}.`);
  const maxToolCalls = options.maxToolCalls ?? DEFAULT_MAX_TOOL_CALLS;
  if (!Number.isSafeInteger(maxToolCalls) || maxToolCalls < 1) throw new WardenError('ERR_INTEGRATION_OPTIONS', `maxToolCalls must be a positive integer; got ${String(maxToolCalls)}.`);
  if (options.context !== undefined && (options.context === null || typeof options.context !== 'object' || Array.isArray(options.context))) throw new WardenError('ERR_INTEGRATION_OPTIONS', 'context must be an object.');
  const pending = approvalOptions(governor, options);
  return { governor, tools, onDeny, agent: options.agent, context: options.context, approval, approver: options.approver, pending, maxToolCalls };
}

/**
 * Answers `requires_action` steps for one governAzureTools: decides every call, runs the allowed
 * ones, and remembers what ran so that no call id runs twice.
 */
export class StepAnswerer {
  readonly #config: AzureConfig;
  /** Runs being answered now: a second answer of the same step at the same time is refused. */
  readonly #answering = new Set<string>();
  /** `thread\0run\0callId` -> the decided text and the output it gave. */
  readonly #ran = new Map<string, { text: string; output: string }>();

  constructor(config: AzureConfig) {
    this.#config = config;
  }

  async answer(run: AzureRequiringRun, answers: AzureApprovalAnswers | undefined): Promise<AzureStep> {
    const { threadId, runId, calls } = this.#read(run);
    if (answers !== undefined && (answers === null || typeof answers !== 'object' || Array.isArray(answers))) throw new WardenError('ERR_INTEGRATION_OPTIONS', 'answers must be an object of tool call id -> true (approve) or false (reject).');
    const busy = `${threadId}\u0000${runId}`;
    if (this.#answering.has(busy)) throw new WardenError('ERR_AZURE_RUN', `Run ${runId} is already being answered; answer a step once, and wait for it.`);
    this.#answering.add(busy);
    try {
      return await this.#answer(threadId, runId, calls, answers ?? {});
    } finally {
      this.#answering.delete(busy);
    }
  }

  async #answer(threadId: string, runId: string, calls: StepCall[], answers: AzureApprovalAnswers): Promise<AzureStep> {
    const { governor, pending } = this.#config;
    const outputs = new Map<string, string>();
    const ranKey = (call: StepCall): string => `${threadId}\u0000${runId}\u0000${call.id}`;
    const fresh: StepCall[] = [];
    for (const call of calls) {
      // A call of this very step that already ran (its outputs were not accepted): its output again, never a second run.
      const ran = this.#ran.get(ranKey(call));
      if (ran !== undefined && ran.text === call.text) outputs.set(call.id, ran.output);
      else fresh.push(call);
    }
    // Answers count only where the host pauses (approval: 'host'); under the handler they are not read.
    const answered = (call: StepCall): boolean => this.#config.approval === 'host' && Object.hasOwn(answers, call.id);
    // First the calls without an answer: if one of them pauses, the answered ones keep their pause for the next resume.
    const decided = new Map<string, DecidedCall>();
    const paused: AzurePausedCall[] = [];
    for (const call of fresh) {
      if (answered(call)) continue;
      const d = await governor.pipeline.decide(this.#config.approval === 'host' ? { ...call.input, approval: 'defer' } : { ...call.input, approval: 'handler' });
      const verdict = d.verdict;
      if (verdict.effect === 'require_approval' && !verdict.allowed && verdict.recorded && this.#config.approval === 'host') {
        await pending.put(pendingKey(call.tool, call.id), verdict.requestDigest);
        paused.push({ toolCallId: call.id, tool: call.tool, args: argsOfSnapshot(d), reason: verdict.policyDecision.reason, rule: verdict.policyDecision.rule, approvers: [...verdict.policyDecision.approvers], requestDigest: verdict.requestDigest });
        continue;
      }
      decided.set(call.id, d);
    }
    if (paused.length > 0) return { toolOutputs: [], paused };
    for (const call of fresh) {
      if (!answered(call)) continue;
      const digest = await pending.take(pendingKey(call.tool, call.id));
      const by = this.#config.approver !== undefined ? { by: this.#config.approver } : {};
      const hostApproval = { requestDigest: typeof digest === 'string' ? digest : '', via: `azure-ai-agents answer ${call.id}`, approved: answers[call.id] === true, ...by };
      decided.set(call.id, await governor.pipeline.decide({ ...call.input, hostApproval }));
    }
    if (this.#config.onDeny === 'throw') {
      for (const call of fresh) {
        const d = decided.get(call.id) as DecidedCall;
        if (!d.verdict.allowed) throw new GovernanceDenied(call.tool, d.verdict);
      }
    }
    for (const call of fresh) {
      const d = decided.get(call.id) as DecidedCall;
      const output = d.verdict.allowed && d.snapshot !== null ? await this.#run(call, d, threadId, runId) : denialText(call.tool, d);
      if (d.verdict.allowed) this.#remember(ranKey(call), { text: call.text, output });
      outputs.set(call.id, output);
    }
    return { toolOutputs: calls.map((c) => ({ toolCallId: c.id, output: outputs.get(c.id) as string })), paused: [] };
  }

  /** Runs an allowed call; a tool that throws answers with its error (recorded as an error outcome). */
  async #run(call: StepCall, decided: DecidedCall, threadId: string, runId: string): Promise<string> {
    const fn = this.#config.tools.get(call.tool) as AzureFunction;
    const details: AzureToolCall = { toolCallId: call.id, threadId, runId, ...(decided.signal !== undefined ? { signal: decided.signal } : {}) };
    try {
      return await runDecided(this.#config.governor, decided, call.tool, async (args) => outputText(call.tool, await fn(args, details)));
    } catch (e) {
      const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      // The policy redacts secrets in this tool's results: its error text too.
      const seen = decided.verdict.policyDecision.redactSecrets === true ? scannedResult(message, true) : { value: message, withheld: false };
      return `Warden: the tool "${call.tool}" failed: ${seen.withheld ? 'its error could not be scanned for secrets, so it was withheld' : seen.value}`;
    }
  }

  #remember(key: string, entry: { text: string; output: string }): void {
    this.#ran.delete(key);
    if (this.#ran.size >= MAX_RAN) this.#ran.delete(this.#ran.keys().next().value as string);
    this.#ran.set(key, entry);
  }

  /** The run's ids and its tool calls, each as a request; a step that cannot be answered safely throws ERR_AZURE_RUN. */
  #read(run: AzureRequiringRun): { threadId: string; runId: string; calls: StepCall[] } {
    const r = run as Partial<AzureRequiringRun> | null;
    if (r === null || typeof r !== 'object') throw new WardenError('ERR_AZURE_RUN', 'answer() needs the run (a ThreadRun from the client).');
    const runId = r.id;
    const threadId = r.threadId;
    if (typeof runId !== 'string' || runId === '' || typeof threadId !== 'string' || threadId === '') throw new WardenError('ERR_AZURE_RUN', 'The run has no id or thread id, so its tool outputs cannot be submitted; nothing ran.');
    if (r.status !== 'requires_action') throw new WardenError('ERR_AZURE_RUN', `Run ${runId} is ${JSON.stringify(r.status)}, not requires_action: it asks for no tool outputs.`);
    const action = r.requiredAction as { type?: unknown; submitToolOutputs?: { toolCalls?: unknown } } | null | undefined;
    if (action?.type !== 'submit_tool_outputs') throw new WardenError('ERR_AZURE_RUN', `Run ${runId} requires an action Warden does not know (${JSON.stringify(action?.type ?? null)}); nothing ran.`);
    const list = action.submitToolOutputs?.toolCalls;
    if (!Array.isArray(list) || list.length === 0) throw new WardenError('ERR_AZURE_RUN', `Run ${runId} asks for tool outputs but names no tool calls; nothing ran.`);
    if (list.length > this.#config.maxToolCalls) throw new WardenError('ERR_AZURE_RUN', `Run ${runId} asks for ${list.length} tool calls in one step, over the limit of ${this.#config.maxToolCalls} (maxToolCalls); nothing ran.`);
    const seen = new Set<string>();
    const calls = list.map((raw: unknown, i: number): StepCall => {
      const c = raw as { id?: unknown; type?: unknown; function?: { name?: unknown; arguments?: unknown } } | null;
      const id = c !== null && typeof c === 'object' ? c.id : undefined;
      if (typeof id !== 'string' || id === '' || id.length > 256) throw new WardenError('ERR_AZURE_RUN', `Tool call ${i} of run ${runId} has no usable id (a string of 1 to 256 characters), so it cannot be answered; nothing ran.`);
      if (seen.has(id)) throw new WardenError('ERR_AZURE_RUN', `Run ${runId} names tool call ${JSON.stringify(id)} twice; its outputs would be ambiguous, so nothing ran.`);
      seen.add(id);
      return this.#callOf(c as object, id, threadId, runId, r.assistantId);
    });
    return { threadId, runId, calls };
  }

  #callOf(c: { type?: unknown; function?: { name?: unknown; arguments?: unknown } }, id: string, threadId: string, runId: string, assistantId: unknown): StepCall {
    const fn = c.function !== null && typeof c.function === 'object' ? c.function : undefined;
    const name = typeof fn?.name === 'string' && fn.name !== '' ? fn.name : '';
    const raw = fn?.arguments;
    const azureAiAgents = { threadId, runId, ...(typeof assistantId === 'string' ? { assistantId } : {}) };
    const context = { ...this.#config.context, host: AZURE_HOST, callId: id, session: threadId, azureAiAgents };
    const agent = this.#config.agent !== undefined ? { agent: this.#config.agent } : {};
    const text = JSON.stringify([c.type, name, raw]);
    const tool = name === '' ? `azure:${typeof c.type === 'string' ? c.type : 'unknown'}` : name;
    const refuse = (why: string, args: Record<string, unknown> = {}): StepCall => ({ id, tool, text, input: { request: { tool, args, context }, ...agent, invalid: why } });
    if (c.type !== 'function') return refuse(`the tool call is of type ${JSON.stringify(c.type ?? null)}, not a function call, so the client has nothing to run for it`);
    if (name === '') return refuse('the function call names no function');
    if (typeof raw !== 'string') return refuse('the function call carries no arguments text');
    const parsed = parseJsonText(raw);
    if (!parsed.ok) return refuse(`the arguments are not valid JSON (${parsed.error})`, { '0': raw });
    const args = parsed.value;
    if (args === null || typeof args !== 'object' || Array.isArray(args)) return refuse('the arguments must be a JSON object', { '0': args });
    const input: CallInput = { request: { tool: name, args, context }, ...agent };
    if (!this.#config.tools.has(name)) input.gate = unknownFunction(name);
    return { id, tool: name, text, input };
  }
}

/** The adapter's refusal of a function it was not given: no policy can allow what has nothing to run. */
function unknownFunction(name: string): () => GateRefusal {
  return () => ({ rule: 'azure-unknown-function', policy: GATE_POLICY, reason: `no function named ${JSON.stringify(name.slice(0, 100))} is governed here (it is not in the tools given to governAzureTools)` });
}

/** What the model reads for a denied call: the reason, and for a malformed call what was wrong with it. */
function denialText(tool: string, decided: DecidedCall): string {
  const text = new GovernanceDenied(tool, decided.verdict).message;
  const invalid = decided.verdict.reason === 'invalid_request' ? decided.verdict.errors.find((e) => e.code === 'invalid_request') : undefined;
  return invalid === undefined ? text : `${text} (${invalid.message})`;
}

function argsOfSnapshot(decided: DecidedCall): Record<string, unknown> {
  if (decided.snapshot === null) return {};
  return (JSON.parse(decided.snapshot.text) as { args?: Record<string, unknown> }).args ?? {};
}

/** A function's result as its tool output text. */
function outputText(tool: string, result: unknown): string {
  if (typeof result === 'string') return result;
  if (result === undefined) return '';
  let text: string | undefined;
  try {
    text = JSON.stringify(result);
  } catch (e) {
    throw new WardenError('ERR_CANONICAL_JSON', `The result of ${tool} has no JSON text (${e instanceof Error ? e.message : String(e)}); return a string or a JSON value.`);
  }
  if (text === undefined) throw new WardenError('ERR_CANONICAL_JSON', `The result of ${tool} has no JSON text (a function or a symbol); return a string or a JSON value.`);
  return text;
}
