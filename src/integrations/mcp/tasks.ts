/**
 * MCP tasks (spec 2025-11-25, experimental) through the gateway: the tasks a client's
 * task-augmented `tools/call` created on an upstream server, each under an id the gateway made.
 *
 * One upstream connection serves every client session, so the upstream server sees every task as
 * the gateway's. The gateway therefore gives each client its own ids: a task id names the session
 * that created it and the server that runs it, a session can reach only its own tasks, and another
 * session's id (or a server's own id) is an unknown task. Internal to src/integrations/mcp.
 */
import { randomBytes } from 'node:crypto';
import type { Task } from '@modelcontextprotocol/sdk/types.js';
import { mcpTypes } from './sdk.js';
import type { AgentIdentity } from '../../decision.js';
import type { Verdict } from '../../enforce/verdict.js';

/** One task a client created through the gateway. `S` is the client session, `U` the upstream server. */
export interface GatewayTask<S, U> {
  /** The id the client sees (made by the gateway). */
  readonly id: string;
  /** The id the upstream server gave the task. */
  readonly upstreamId: string;
  readonly session: S;
  readonly upstream: U;
  /** The tool's own name on its server, and the name the client called it by. */
  readonly tool: string;
  readonly clientName: string;
  /** The call's allowing verdict: the outcome is recorded against it. */
  readonly verdict: Verdict;
  readonly agent: AgentIdentity | null;
  /** When the task was created (performance.now()). */
  readonly started: number;
  /** True once the task's outcome is in the audit log (its result fetched, or its cancellation). */
  recorded: boolean;
}

/** Most tasks remembered at once, over every session; the oldest is forgotten first. */
export const MAX_GATEWAY_TASKS = 10_000;

/**
 * The gateway's tasks, by client id and by (server, upstream id).
 *
 * @example
 * ```ts
 * const tasks = new GatewayTasks<GatewaySession, UpstreamServer>();
 * const entry = tasks.add({ upstreamId: created.task.taskId, session, upstream, tool, clientName, verdict, agent, started });
 * tasks.of(session, entry.id); // the entry; another session's lookup throws InvalidParams
 * ```
 */
export class GatewayTasks<S, U> {
  readonly #byId = new Map<string, GatewayTask<S, U>>();
  readonly #byUpstream = new Map<U, Map<string, GatewayTask<S, U>>>();
  readonly #max: number;

  constructor(max = MAX_GATEWAY_TASKS) {
    this.#max = max;
  }

  /** Remembers a task the upstream server just created; returns it with the client's id. */
  add(task: Omit<GatewayTask<S, U>, 'id' | 'recorded'>): GatewayTask<S, U> {
    while (this.#byId.size >= this.#max) {
      const oldest = this.#byId.values().next();
      if (oldest.done) break;
      this.#forget(oldest.value);
    }
    // 128 random bits: a client cannot guess another session's task.
    const entry: GatewayTask<S, U> = { ...task, id: `warden-task-${randomBytes(16).toString('hex')}`, recorded: false };
    this.#byId.set(entry.id, entry);
    let ofUpstream = this.#byUpstream.get(task.upstream);
    if (ofUpstream === undefined) this.#byUpstream.set(task.upstream, (ofUpstream = new Map()));
    ofUpstream.set(task.upstreamId, entry);
    return entry;
  }

  /**
   * The task `id` of `session`.
   *
   * @throws McpError InvalidParams (-32602, as the spec says for an unknown task) when no task of
   *   this session has that id.
   */
  of(session: S, id: unknown): GatewayTask<S, U> {
    const entry = typeof id === 'string' ? this.#byId.get(id) : undefined;
    // invariant: a session reaches only the tasks it created; anything else reads as unknown.
    if (entry === undefined || entry.session !== session) throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InvalidParams, `Task ${JSON.stringify(String(id).slice(0, 100))} is not one of this session's tasks (it is unknown, expired, or was created by another session).`);
    return entry;
  }

  /** The task an upstream server's own id names (for its status notifications), if the gateway made it. */
  byUpstream(upstream: U, upstreamId: unknown): GatewayTask<S, U> | undefined {
    return typeof upstreamId === 'string' ? this.#byUpstream.get(upstream)?.get(upstreamId) : undefined;
  }

  /** Every task of `session`, oldest first. */
  ofSession(session: S): Array<GatewayTask<S, U>> {
    return [...this.#byId.values()].filter((t) => t.session === session);
  }

  /** Forgets a task (it expired upstream). */
  forget(entry: GatewayTask<S, U>): void {
    this.#forget(entry);
  }

  /** Forgets every task of a session that closed. */
  closeSession(session: S): void {
    for (const entry of this.ofSession(session)) this.#forget(entry);
  }

  get size(): number {
    return this.#byId.size;
  }

  #forget(entry: GatewayTask<S, U>): void {
    this.#byId.delete(entry.id);
    const ofUpstream = this.#byUpstream.get(entry.upstream);
    ofUpstream?.delete(entry.upstreamId);
    if (ofUpstream !== undefined && ofUpstream.size === 0) this.#byUpstream.delete(entry.upstream);
  }
}

/**
 * An upstream task as the client sees it: the gateway's id in place of the server's.
 *
 * @example
 * ```ts
 * clientTask(await upstream.client.getTask({ taskId: entry.upstreamId }), entry.id);
 * ```
 */
export function clientTask(task: Task, id: string): Task {
  return { ...task, taskId: id };
}
