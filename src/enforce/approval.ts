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
  /**
   * Tells the pipeline who answered and why, for the call's record (`outcome.approval.by` and, on a
   * refusal, its reason). It never approves: only the handler's answer `true` does. Present on
   * every question the pipeline asks; the last note before the answer counts.
   *
   * @example
   * ```ts
   * const handler: ApprovalHandler = async (ask) => { ask.note?.({ by: 'alice', reason: 'denied by alice: not during the freeze' }); return false; };
   * ```
   */
  note?: (answer: ApprovalNote) => void;
}

/**
 * What an approval handler notes about its answer (see {@link ApprovalRequest.note}).
 *
 * @example
 * ```ts
 * const n: ApprovalNote = { by: 'alice', reason: 'denied by alice: not during the freeze' };
 * ```
 */
export interface ApprovalNote {
  /** Who answered (authenticated by the handler); at most 200 characters are kept. */
  by?: string;
  /** Why the request is not approved (used when the answer is not `true`); at most 1000 characters are kept. */
  reason?: string;
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
  const noted: { by?: string; reason?: string } = {};
  const note = (answer: ApprovalNote): void => {
    const by = (answer as ApprovalNote | null)?.by;
    const reason = (answer as ApprovalNote | null)?.reason;
    if (typeof by === 'string' && by !== '') noted.by = by.slice(0, 200);
    if (typeof reason === 'string' && reason !== '') noted.reason = reason.slice(0, 1000);
  };
  const ask: ApprovalRequest = Object.freeze({ request: shown, decision, requestDigest, approvers: decision.approvers, call, note });
  NOTES.set(ask, noted);
  return { ask };
}

/** What each question's handler noted (who answered, why not), read when its answer is judged. */
const NOTES = new WeakMap<ApprovalRequest, { by?: string; reason?: string }>();

/** The handler's answer, judged: only `true` approves. `ask` carries what the handler noted. */
export function judgeAnswer(answer: unknown, requestDigest: string, ask?: ApprovalRequest): ApprovalOutcome {
  const noted = ask === undefined ? undefined : NOTES.get(ask);
  // A copy: a note made after the answer was judged changes nothing recorded.
  const by = noted?.by === undefined ? {} : { by: noted.by };
  if (answer !== true) return { ...refused(requestDigest, noted?.reason ?? `the approval handler answered ${describeAnswer(answer)}; only the boolean true approves`), ...by };
  return { approved: true, reason: 'approved', requestDigest, ...by };
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
    return judgeAnswer(answer, ask.requestDigest, ask);
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
    return judgeAnswer(answer, ask.requestDigest, ask);
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
