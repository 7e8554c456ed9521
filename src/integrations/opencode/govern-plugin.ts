/**
 * OpenCode adapter (`@opencode-ai/plugin`): a plugin whose `tool.execute.before` hook puts a
 * Governor in front of every tool call OpenCode makes (its built-in tools, MCP tools and other
 * plugins' tools). A denied call throws, which is how OpenCode fails a tool call: the call does not
 * run and the model reads the policy's reason as the tool's error. Approvals for the plugin's own
 * tools go through OpenCode's permission flow (`context.ask`), bound to the exact call and counted
 * only when OpenCode really put the request to a person (see permission-answers.ts).
 *
 * Only types come from `@opencode-ai/plugin`: importing this module loads nothing of it.
 */
import { randomUUID } from 'node:crypto';
import type { Hooks, Plugin, ToolContext, ToolDefinition } from '@opencode-ai/plugin';
import type { AgentIdentity } from '../../decision.js';
import { GovernanceDenied } from '../../enforce/denied.js';
import type { Governor } from '../../enforce/governor.js';
import { pendingKey, type PendingApprovals } from '../../enforce/pending-approvals.js';
import type { CallInput, DecidedCall } from '../../enforce/pipeline.js';
import { WardenError } from '../../errors.js';
import { rejectUnknownKeys } from '../../lib/options.js';
import { decidedArgs, runDecided } from '../host/run-decided.js';
import { approvalOptions } from '../host/shared-pending.js';
import { PermissionAnswers } from './permission-answers.js';

/**
 * Options of {@link governOpenCode}.
 *
 * @example
 * ```ts
 * const options: GovernOpenCodeOptions = { governor, approver: 'alice@example.com', tools: { refund } };
 * ```
 */
export interface GovernOpenCodeOptions {
  /** Decides, approves and records every call; its `agent` is the identity in the audit log unless `agent` is given. */
  governor: Governor;
  /** The identity your application authenticated for these sessions (default: the Governor's). */
  agent?: AgentIdentity;
  /** Extra context for every request (the adapter sets `host`, `callId` and `session` over it). */
  context?: Record<string, unknown>;
  /** Who answers OpenCode's permission prompts (the signed-in user); recorded with the approval. */
  approver?: string;
  /** Where paused calls wait for their answer (default: in this process, one store per Governor). */
  pendingApprovals?: PendingApprovals;
  /**
   * The plugin's own tools (`tool({ ... })` from `@opencode-ai/plugin`), by name. They are
   * decided inside their `execute`, so a call the policy requires approval for asks through
   * OpenCode's permission prompt (`context.ask`) instead of being denied.
   */
  tools?: Record<string, ToolDefinition>;
  /**
   * How long, after OpenCode's permission prompt returns, to wait for the permission events that
   * report who answered (default 3000 ms). OpenCode publishes them before it returns; this only
   * absorbs delivery order. No event in time means nobody was asked: a denial.
   */
  answerGraceMs?: number;
}

/**
 * What {@link governOpenCode} returns: `plugin`, the OpenCode plugin to export from a plugin file
 * (`.opencode/plugin/*.ts`) or a package named in `opencode.json`'s `plugin` list.
 *
 * @example
 * ```ts
 * export const Warden: Plugin = governOpenCode({ governor }).plugin;
 * ```
 */
export interface GovernedOpenCode {
  plugin: Plugin;
}

const OPTION_KEYS = ['governor', 'agent', 'context', 'approver', 'pendingApprovals', 'tools', 'answerGraceMs'];
const HOST = 'opencode';
/** OpenCode's permission name for Warden's requests: `"permission": { "warden": "ask" }` in opencode.json. */
const PERMISSION = 'warden';
/** How long the permission events may trail the answer they report (they are published first; this only absorbs delivery order). */
const ANSWER_GRACE_MS = 3000;
const MAX_RUNNING = 10_000;

/**
 * Returns an OpenCode plugin that governs every tool call:
 * - every tool (built-in, MCP, other plugins'): `tool.execute.before` decides the call (tool name =
 *   OpenCode's tool id, args = the call's arguments, context = `{ host: 'opencode', callId, session }`)
 *   and replaces the arguments with the decided snapshot; a denial throws `Warden denied "<tool>":
 *   <reason>`, so the tool does not run and the model reads the reason. `require_approval` on these
 *   tools goes to the Governor's approval handler (OpenCode gives plugins no pause for them); with
 *   none configured it is a denial. `tool.execute.after` records the outcome.
 * - the tools passed as `tools`: decided in their own `execute`; `require_approval` records the
 *   pause and asks through OpenCode's permission prompt (permission `warden`, the call's digest
 *   as its pattern). The reply `once` or `always` to that exact request approves exactly the paused
 *   call; `reject`, no prompt at all (OpenCode's rules answered without asking), or changed
 *   arguments deny.
 *
 * @throws WardenError `ERR_INTEGRATION_OPTIONS` for bad options.
 * @example
 * ```ts
 * // .opencode/plugin/warden.ts
 * import { Governor, loadPolicyFiles } from 'agent-warden';
 * import { governOpenCode } from 'agent-warden/opencode';
 *
 * const governor = new Governor({ policy: await loadPolicyFiles(['policy.yaml']) });
 * export const Warden = governOpenCode({ governor }).plugin;
 * ```
 */
export function governOpenCode(options: GovernOpenCodeOptions): GovernedOpenCode {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  rejectUnknownKeys(options, OPTION_KEYS, 'ERR_INTEGRATION_OPTIONS', 'governOpenCode options');
  const governor = options.governor;
  if (!governor || typeof governor.pipeline?.decide !== 'function') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'Pass { governor }: the Governor that decides every tool call.');
  const graceMs = options.answerGraceMs ?? ANSWER_GRACE_MS;
  if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs <= 0 || graceMs > 60_000) throw new WardenError('ERR_INTEGRATION_OPTIONS', 'answerGraceMs must be a number of milliseconds above 0 and at most 60000.');
  const own = checkTools(options.tools);
  const pending = approvalOptions(governor, options);
  const answers = new PermissionAnswers();
  // Calls allowed by tool.execute.before, so that tool.execute.after records outcomes only of calls that ran.
  const running = new Map<string, DecidedCall>();
  const by = options.approver !== undefined ? { by: options.approver } : {};
  const inputOf = (tool: string, args: unknown, callId: string, session: string | undefined, extra: Partial<CallInput> = {}): CallInput => ({
    request: { tool, args, context: { ...options.context, host: HOST, callId, ...(session !== undefined ? { session } : {}) } },
    ...(options.agent !== undefined ? { agent: options.agent } : {}),
    ...extra,
  });

  const before: NonNullable<Hooks['tool.execute.before']> = async (input, output) => {
    const tool = String(input?.tool);
    // The plugin's own tools decide inside execute, where OpenCode's permission prompt can pause them.
    if (own.has(tool)) return;
    const callId = typeof input?.callID === 'string' && input.callID.length > 0 ? input.callID : `opencode-${randomUUID()}`;
    const decided = await governor.pipeline.decide(inputOf(tool, output?.args, callId, stringOrUndefined(input?.sessionID)));
    if (!decided.verdict.allowed) throw new Error(new GovernanceDenied(tool, decided.verdict).message);
    // invariant: the tool runs with a fresh copy of exactly the decided arguments, never the object the model's call produced.
    output.args = decidedArgs(decided);
    if (running.size >= MAX_RUNNING) running.delete(running.keys().next().value as string);
    running.set(callId, decided);
  };

  const after: NonNullable<Hooks['tool.execute.after']> = async (input) => {
    const callId = typeof input?.callID === 'string' ? input.callID : '';
    const decided = running.get(callId);
    if (decided === undefined) return;
    running.delete(callId);
    await governor.pipeline.observe({ call: decided.verdict.call, tool: String(input.tool) }, { status: 'ok' });
  };

  const governTool = (name: string, definition: ToolDefinition): ToolDefinition => ({
    ...definition,
    execute: async (args, context) => {
      const callId = callIdOf(context);
      const session = stringOrUndefined(context?.sessionID);
      const decided = await governor.pipeline.decide(inputOf(name, args, callId, session, { approval: 'defer' }));
      const verdict = decided.verdict;
      if (verdict.allowed) return runDecided(governor, decided, name, (a) => definition.execute(a as typeof args, context));
      if (verdict.effect !== 'require_approval' || !verdict.recorded || typeof context?.ask !== 'function') throw new Error(new GovernanceDenied(name, verdict).message);
      // The pause: recorded, then put to a person through OpenCode's own permission prompt.
      const key = pendingKey(name, callId);
      await pending.put(key, verdict.requestDigest);
      answers.expect(callId, verdict.requestDigest);
      let rejected = false;
      try {
        await context.ask({
          permission: PERMISSION,
          patterns: [`${name} ${verdict.requestDigest}`],
          // Nothing to remember: an "always" reply must not approve any other call.
          always: [],
          metadata: { warden: { tool: name, call: verdict.call, requestDigest: verdict.requestDigest, rule: verdict.policyDecision.rule, reason: verdict.policyDecision.reason, approvers: verdict.policyDecision.approvers } },
        });
      } catch {
        rejected = true;
      }
      const answer = rejected ? null : await answers.answer(callId, graceMs);
      if (rejected) answers.forget(callId);
      const digest = await pending.take(key);
      const approved = answer !== null && (answer.reply === 'once' || answer.reply === 'always');
      const via = answer !== null ? `opencode permission ${answer.requestID} (${answer.reply})` : rejected ? 'opencode permission (rejected)' : 'opencode permission answered without asking anyone (its rules allow "warden"; set "permission": { "warden": "ask" })';
      // invariant: the resume decides the arguments as they are now; a change since the pause is another digest, so a denial.
      const resumed = await governor.pipeline.decide(inputOf(name, args, callId, session, { hostApproval: { requestDigest: typeof digest === 'string' ? digest : '', via, approved, ...by } }));
      if (!resumed.verdict.allowed) throw new Error(new GovernanceDenied(name, resumed.verdict).message);
      return runDecided(governor, resumed, name, (a) => definition.execute(a as typeof args, context));
    },
  });

  const governed: Record<string, ToolDefinition> = {};
  for (const [name, definition] of Object.entries(options.tools ?? {})) governed[name] = governTool(name, definition);

  const plugin: Plugin = async () => ({
    'tool.execute.before': before,
    'tool.execute.after': after,
    event: async ({ event }) => answers.observe(event),
    ...(own.size > 0 ? { tool: governed } : {}),
  });
  return { plugin };
}

function checkTools(tools: unknown): Set<string> {
  if (tools === undefined) return new Set();
  if (tools === null || typeof tools !== 'object' || Array.isArray(tools)) throw new WardenError('ERR_INTEGRATION_OPTIONS', 'tools must map tool names to tool({ ... }) definitions from @opencode-ai/plugin.');
  for (const [name, definition] of Object.entries(tools)) {
    if (definition === null || typeof definition !== 'object' || typeof (definition as { execute?: unknown }).execute !== 'function') {
      throw new WardenError('ERR_INTEGRATION_OPTIONS', `tools.${name} is not a tool definition: pass tool({ description, args, execute }) from @opencode-ai/plugin.`);
    }
  }
  return new Set(Object.keys(tools));
}

/** OpenCode gives a tool's context the call id at run time (`callID`), though its published type omits it. */
function callIdOf(context: ToolContext | undefined): string {
  const id = (context as { callID?: unknown } | undefined)?.callID;
  return typeof id === 'string' && id.length > 0 ? id : `opencode-${randomUUID()}`;
}

function stringOrUndefined(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
