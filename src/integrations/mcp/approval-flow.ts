/**
 * Approval in the MCP host's own flow. The gateway's pipelines defer `require_approval` (the
 * verdict stays `require_approval`, recorded as not executed); the gateway then asks the person at
 * the client through MCP elicitation, on the request stream of the very call that waits, and
 * records the answer as a second decision record under the same call id, naming who answered.
 *
 * The answer approves only the decided snapshot: the form shows its digest, and what runs is the
 * snapshot's own copy of the arguments (nothing the client sends afterwards can change it).
 */
import { ElicitResultSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { AgentIdentity, Request } from '../../decision.js';
import type { ApprovalRequest } from '../../enforce/approval.js';
import type { Pipeline } from '../../enforce/pipeline.js';
import type { Verdict } from '../../enforce/verdict.js';
import { approvalAnswer, approvalForm } from './approval.js';
import { GATEWAY_POLICY } from './upstream-server.js';

/** The rule the gateway records a host's approval answer under (policy `warden:mcp-gateway`). */
export const APPROVAL_RULE = 'mcp-approval';

/**
 * What the host answered, and who answered it.
 *
 * @example
 * ```ts
 * const a: HostApproval = { approved: true, reason: 'approved', action: 'accept', requestDigest: 'sha256:…', answeredBy: { via: 'elicitation', client: 'vscode 1.99', agent: 'ide' } };
 * ```
 */
export interface HostApproval {
  approved: boolean;
  /** `approved`, or why not (declined, cancelled, no elicitation, a timeout, a failure). */
  reason: string;
  /** The elicitation's `action` (`accept`, `decline`, `cancel`), or `none` when nobody was asked. */
  action: string;
  /** The digest of the snapshot the answer covers. */
  requestDigest: string;
  /** Who answered: the channel, the MCP client as it named itself, its session and its identity. */
  answeredBy: Record<string, string>;
}

/** How to reach the client that made the call. */
export interface ApprovalChannel {
  server: Server;
  /** Sends a request on the calling request's stream (the handler's `extra.sendRequest`). */
  sendRequest(request: { method: 'elicitation/create'; params: ReturnType<typeof approvalForm> }, options: { timeout: number; signal: AbortSignal }): Promise<ElicitResult>;
  signal: AbortSignal;
  /** Who is asking, as the gateway knows the session. */
  answeredBy: Record<string, string>;
}

/**
 * Asks the client to approve a deferred call by elicitation (form mode). Never throws: every
 * failure is a refusal with its reason. Only `accept` with `approve: true` approves.
 *
 * @example
 * ```ts
 * const answer = await askByElicitation(verdict, request, agent, channel, 300_000);
 * if (answer.approved) run();
 * ```
 */
export async function askByElicitation(verdict: Verdict, request: Request, agent: AgentIdentity | null, channel: ApprovalChannel, timeoutMs: number): Promise<HostApproval> {
  const digest = verdict.requestDigest;
  const refuse = (reason: string, action = 'none'): HostApproval => ({ approved: false, reason, action, requestDigest: digest, answeredBy: channel.answeredBy });
  if (digest === '') return refuse('the request has no canonical form, so an approval could not be bound to it');
  if (verdict.approvers.length === 0) return refuse(`rule "${verdict.rule ?? ''}" requires approval but names no approvers, so nobody can approve`);
  const elicitation = channel.server.getClientCapabilities()?.elicitation;
  // An empty elicitation capability means form mode (the specification's backward compatibility).
  if (!elicitation || (elicitation.form === undefined && elicitation.url !== undefined)) return refuse('the MCP client did not declare the elicitation capability (form mode), so nobody could be asked');
  const ask: ApprovalRequest = {
    request: { tool: request.tool, args: request.args, ...(request.context !== undefined ? { context: request.context } : {}), ...(agent !== null ? { agent } : {}) },
    decision: verdict.policyDecision,
    requestDigest: digest,
    approvers: verdict.approvers,
    call: verdict.call,
  };
  let result: ElicitResult;
  try {
    result = ElicitResultSchema.parse(await channel.sendRequest({ method: 'elicitation/create', params: approvalForm(ask) }, { timeout: timeoutMs, signal: channel.signal }));
  } catch (e) {
    return refuse(`the approval (MCP elicitation) failed: ${e instanceof Error ? e.message : String(e)}`, 'error');
  }
  const answer = approvalAnswer(result);
  // invariant: only the exact boolean true inside an explicit accept approves.
  if (answer === true) return { approved: true, reason: 'approved', action: 'accept', requestDigest: digest, answeredBy: channel.answeredBy };
  return refuse(`the client answered ${JSON.stringify(answer)}; only accept with approve: true approves`, String(result.action));
}

/**
 * Records the host's answer as a second decision record of the same call (its `context.callId` is
 * the deferred verdict's call id), under rule `mcp-approval` of policy `warden:mcp-gateway`, with
 * `context.mcp.approval` saying how and by whom it was answered. False when it could not be
 * recorded (then the call must not run).
 *
 * @example
 * ```ts
 * if (!(await recordHostAnswer(pipeline, decided, agent, undefined, verdict, answer, console.error))) deny();
 * ```
 */
export async function recordHostAnswer(
  pipeline: Pipeline,
  decided: Request,
  agent: AgentIdentity,
  credential: { type: 'bearer'; token: string } | undefined,
  verdict: Verdict,
  answer: HostApproval,
  log: (message: string) => void,
): Promise<boolean> {
  const context = (decided.context ?? {}) as Record<string, unknown>;
  const mcp = (context.mcp ?? {}) as Record<string, unknown>;
  const approval = { via: 'elicitation', action: answer.action, approved: answer.approved, requestDigest: answer.requestDigest, rule: verdict.rule, policy: verdict.policy, answeredBy: answer.answeredBy };
  const request = { tool: decided.tool, args: decided.args, context: { ...context, callId: verdict.call, mcp: { ...mcp, event: 'approval_answer', approval } } };
  const reason = answer.approved ? `Approved through MCP elicitation by ${describeWho(answer.answeredBy)}. ${verdict.reason}` : `Approval was not granted: ${answer.reason}. ${verdict.reason}`;
  const { verdict: recorded } = await pipeline.report({ request, agent, ...(credential ? { credential } : {}) }, { effect: answer.approved ? 'allow' : 'deny', rule: APPROVAL_RULE, policy: GATEWAY_POLICY, reason, executed: answer.approved });
  if (!recorded.recorded && recorded.warnings.length === 0) {
    log(`could not record the approval answer for call ${verdict.call}: ${recorded.reason}`);
    return false;
  }
  // An approval stands only if its record says so (a token that expired during the wait denies).
  return !answer.approved || recorded.allowed;
}

function describeWho(who: Record<string, string>): string {
  const parts = [who.agent !== undefined ? `agent ${who.agent}` : null, who.client !== undefined ? `client ${who.client}` : null, who.session !== undefined ? `session ${who.session}` : null].filter((p): p is string => p !== null);
  return parts.length === 0 ? 'the MCP client' : parts.join(', ');
}
