/**
 * Approval in the MCP host's own flow. The gateway's pipelines defer `require_approval` (the
 * verdict stays `require_approval`, recorded as not executed); the gateway then asks the person at
 * the client through MCP elicitation, on the request stream of the very call that waits, and hands
 * the answer back to the pipeline as the call's `hostApproval` (bound to the deferred verdict's
 * digest): the call is decided again, and its record carries the approval and who gave it.
 *
 * The answer approves only the decided snapshot: the form shows its digest, the pipeline compares
 * it with the digest of the call decided again, and what runs is that snapshot's own copy of the
 * arguments (nothing the client sends afterwards can change it).
 */
import type { ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { mcpTypes } from './sdk.js';
import type { AgentIdentity, Request } from '../../decision.js';
import type { ApprovalRequest } from '../../enforce/approval.js';
import type { HostApproval } from '../../enforce/pipeline.js';
import type { Verdict } from '../../enforce/verdict.js';
import { approvalAnswer, approvalForm } from './approval.js';

/**
 * What the person at the client answered, and who answered it.
 *
 * @example
 * ```ts
 * const a: ElicitationAnswer = { approved: true, reason: 'approved', action: 'accept', requestDigest: 'sha256:…', answeredBy: { via: 'elicitation', client: 'vscode 1.99', agent: 'ide' } };
 * ```
 */
export interface ElicitationAnswer {
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
export async function askByElicitation(verdict: Verdict, request: Request, agent: AgentIdentity | null, channel: ApprovalChannel, timeoutMs: number): Promise<ElicitationAnswer> {
  const digest = verdict.requestDigest;
  const refuse = (reason: string, action = 'none'): ElicitationAnswer => ({ approved: false, reason, action, requestDigest: digest, answeredBy: channel.answeredBy });
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
    result = mcpTypes().ElicitResultSchema.parse(await channel.sendRequest({ method: 'elicitation/create', params: approvalForm(ask) }, { timeout: timeoutMs, signal: channel.signal }));
  } catch (e) {
    return refuse(`the approval (MCP elicitation) failed: ${e instanceof Error ? e.message : String(e)}`, 'error');
  }
  const answer = approvalAnswer(result);
  // invariant: only the exact boolean true inside an explicit accept approves.
  if (answer === true) return { approved: true, reason: 'approved', action: 'accept', requestDigest: digest, answeredBy: channel.answeredBy };
  return refuse(`the client answered ${JSON.stringify(answer)}; only accept with approve: true approves`, String(result.action));
}

/**
 * The answer as the pipeline's `hostApproval` for deciding the call again: bound to the deferred
 * verdict's digest, naming who answered (`by`) and how (`via`, with the reason of a refusal).
 *
 * @example
 * ```ts
 * const { verdict } = await pipeline.decide({ request, agent, hostApproval: hostApprovalOf(answer) });
 * ```
 */
export function hostApprovalOf(answer: ElicitationAnswer): HostApproval {
  return {
    requestDigest: answer.requestDigest,
    by: describeWho(answer.answeredBy),
    via: answer.approved ? 'MCP elicitation' : `MCP elicitation: ${answer.reason}`,
    approved: answer.approved,
  };
}

function describeWho(who: Record<string, string>): string {
  const parts = [who.agent !== undefined ? `agent ${who.agent}${who.issuer !== undefined ? ` (issuer ${who.issuer})` : ''}` : null, who.client !== undefined ? `client ${who.client}` : null, who.session !== undefined ? `session ${who.session}` : null].filter((p): p is string => p !== null);
  return parts.length === 0 ? 'the MCP client' : parts.join(', ');
}
