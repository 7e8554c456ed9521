/**
 * Approval through MCP elicitation: the person at the MCP client is asked, in a form with one
 * boolean field, whether this exact call may run. Only an explicit `accept` whose `approve` field
 * is the boolean `true` approves; a decline, a cancel, a missing or non-boolean field, an error or
 * a timeout does not.
 */
import type { ElicitRequestFormParams, ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { redact } from '../../audit/redact.js';
import type { ApprovalRequest } from '../../enforce/governor.js';

/** The field of the elicitation form that approves. */
export const APPROVE_FIELD = 'approve';

/** Longest argument text shown in the approval message. */
const MAX_SHOWN_ARGS = 4000;

/**
 * The elicitation form for one approval: a message naming the tool, server, rule, reason and
 * (redacted, truncated) arguments, and a schema with one required boolean, `approve`.
 *
 * @example
 * ```ts
 * const params = approvalForm(ask);
 * const result = await extra.sendRequest({ method: 'elicitation/create', params }, ElicitResultSchema);
 * ```
 */
export function approvalForm(ask: ApprovalRequest): ElicitRequestFormParams {
  const { request, decision } = ask;
  const mcp = request.context?.mcp as { server?: unknown } | undefined;
  const server = typeof mcp?.server === 'string' ? mcp.server : 'the MCP server';
  const lines = [
    `Warden: tool "${request.tool}" on ${server} needs approval.`,
    `Rule: ${decision.rule ?? '(none)'}${decision.policy ? ` (policy ${decision.policy})` : ''}: ${decision.reason}`,
    `Approvers: ${ask.approvers.join(', ')}`,
    `Arguments: ${shownArgs(request.args)}`,
    `Request digest: ${ask.requestDigest}`,
    'Approving runs this exact call once.',
  ];
  return {
    mode: 'form',
    message: lines.join('\n'),
    requestedSchema: {
      type: 'object',
      properties: {
        [APPROVE_FIELD]: { type: 'boolean', title: 'Approve this call', description: `Run ${request.tool} once with the arguments shown`, default: false },
      },
      required: [APPROVE_FIELD],
    },
  };
}

/**
 * Reads an elicitation result as the Governor's approval answer: `true` only for `accept` with
 * `approve === true`; otherwise a short string saying what the client answered (which the
 * Governor reports as not approving).
 *
 * @example
 * ```ts
 * approvalAnswer({ action: 'accept', content: { approve: true } });   // true
 * approvalAnswer({ action: 'accept', content: { approve: 'true' } }); // 'accept without approve: true'
 * approvalAnswer({ action: 'decline' });                              // 'decline'
 * ```
 */
export function approvalAnswer(result: ElicitResult): true | string {
  if (result.action !== 'accept') return String(result.action);
  const content = result.content;
  if (content !== null && typeof content === 'object' && Object.hasOwn(content, APPROVE_FIELD) && content[APPROVE_FIELD] === true) return true;
  return `accept without ${APPROVE_FIELD}: true`;
}

function shownArgs(args: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(redact(args));
  } catch {
    return '(the arguments cannot be shown safely; see the audit log)';
  }
  return text.length > MAX_SHOWN_ARGS ? `${text.slice(0, MAX_SHOWN_ARGS)}… (${text.length} characters)` : text;
}
