/**
 * Approval handling: the pipeline's `approve` stage. Only the approval handler approves, only with
 * the exact boolean `true`, and only for the snapshot it was shown (bound by its digest); a throw, a
 * timeout, another answer, or a rule without approvers is a denial.
 */
import type { AgentIdentity, Decision, Request } from '../decision.js';
import type { ApprovalOutcome } from './verdict.js';

/**
 * What an approval handler is asked. Everything in it is frozen.
 *
 * @example
 * ```ts
 * const handler: ApprovalHandler = async (ask: ApprovalRequest) => pager.ask(`${ask.request.tool} (${ask.requestDigest})`, ask.approvers);
 * ```
 */
export interface ApprovalRequest {
  request: Readonly<Request>;
  decision: Readonly<Decision>;
  /** `sha256:<hex>` of the canonical request; an approval covers exactly this request. */
  requestDigest: string;
  approvers: readonly string[];
  /** The call's id, as recorded. */
  call: string;
}

/**
 * Decides whether a request that requires approval may run. Only the exact boolean `true`
 * approves; anything else, a throw, or a timeout denies.
 *
 * @example
 * ```ts
 * const approvalHandler: ApprovalHandler = async ({ request, approvers }) => (await slack.ask(approvers, request)) === 'approve';
 * ```
 */
export type ApprovalHandler = (request: ApprovalRequest) => unknown;

/** Why approval cannot even be asked, or the question to ask. */
export function approvalQuestion(
  decision: Decision,
  request: { tool: string; args: unknown; context?: unknown },
  agent: Readonly<AgentIdentity> | null,
  requestDigest: string,
  call: string,
  handler: ApprovalHandler | undefined,
): { outcome: ApprovalOutcome } | { ask: ApprovalRequest } {
  if (requestDigest === '') return { outcome: refused('', 'the request has no canonical form, so an approval could not be bound to it') };
  if (decision.approvers.length === 0) return { outcome: refused(requestDigest, `rule "${decision.rule ?? ''}" requires approval but names no approvers, so nobody can approve`) };
  if (!handler) return { outcome: refused(requestDigest, 'approval is required but no approval handler is configured') };
  const shown = Object.freeze({
    tool: request.tool,
    args: request.args,
    ...(request.context !== undefined ? { context: request.context } : {}),
    ...(agent !== null ? { agent } : {}),
  }) as Readonly<Request>;
  return { ask: Object.freeze({ request: shown, decision, requestDigest, approvers: decision.approvers, call }) };
}

/** The handler's answer, judged: only `true` approves. */
export function judgeAnswer(answer: unknown, requestDigest: string): ApprovalOutcome {
  if (answer !== true) return refused(requestDigest, `the approval handler answered ${describeAnswer(answer)}; only the boolean true approves`);
  return { approved: true, reason: 'approved', requestDigest };
}

/** Asks the handler and waits at most `timeoutMs`; never throws. */
export async function askHandler(handler: ApprovalHandler, ask: ApprovalRequest, timeoutMs: number): Promise<ApprovalOutcome> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = await Promise.race([
      Promise.resolve().then(() => handler(ask)),
      new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
      }),
    ]);
    if (answer === TIMED_OUT) return refused(ask.requestDigest, `the approval handler did not answer within ${timeoutMs} ms`);
    return judgeAnswer(answer, ask.requestDigest);
  } catch (e) {
    return refused(ask.requestDigest, `the approval handler failed: ${messageOf(e)}`);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Asks the handler synchronously (for synchronous governed functions): a Promise answer denies. */
export function askHandlerSync(handler: ApprovalHandler, ask: ApprovalRequest): ApprovalOutcome {
  try {
    const answer = handler(ask);
    if (answer !== null && typeof answer === 'object' && typeof (answer as { then?: unknown }).then === 'function') {
      (answer as Promise<unknown>).then(undefined, () => undefined);
      return refused(ask.requestDigest, 'the approval handler answered asynchronously, but the governed function is synchronous; govern an async function to use asynchronous approvals');
    }
    return judgeAnswer(answer, ask.requestDigest);
  } catch (e) {
    return refused(ask.requestDigest, `the approval handler failed: ${messageOf(e)}`);
  }
}

const TIMED_OUT: unique symbol = Symbol('timed out');

function refused(requestDigest: string, reason: string): ApprovalOutcome {
  return { approved: false, reason, requestDigest };
}

function describeAnswer(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'number') return String(v);
  return `a ${Array.isArray(v) ? 'list' : typeof v}`;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
