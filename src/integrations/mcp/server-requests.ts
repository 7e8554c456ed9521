/**
 * Requests a server sends to the client through the gateway: `sampling/createMessage` (the server
 * asks the client's model to write something), `elicitation/create` (it asks the person), and
 * `roots/list` (it asks which directories it may use). Each is an action like a tool call: it is
 * decided by the server's policy (as tool `sampling/createMessage`, `elicitation/create` or
 * `roots/list`, its params as `args`), recorded, and forwarded only when allowed, to the client
 * whose call the server is serving.
 *
 * Routing: the server's connection is shared by every client session, and MCP does not say which
 * client request a server request belongs to. The gateway sends it to the one session with a
 * request in flight on that server, or to the only session there is; when several could be meant,
 * it refuses rather than guess.
 */
import type { CreateMessageResultSchema, ElicitResultSchema, ListRootsResultSchema, ClientCapabilities, ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { mcpTypes } from './sdk.js';
import { performance } from 'node:perf_hooks';
import type { AgentIdentity, Request } from '../../decision.js';
import { randomUUID } from 'node:crypto';
import { askByElicitation, hostApprovalOf } from './approval-flow.js';
import type { GatewaySession } from './gateway.js';
import type { UpstreamServer } from './upstream-server.js';

/** The methods a server may send the client through the gateway, as rules see them in `tool`. */
export const SERVER_REQUEST_METHODS = ['sampling/createMessage', 'elicitation/create', 'roots/list'] as const;

/** One of {@link SERVER_REQUEST_METHODS}. */
export type ServerRequestMethod = (typeof SERVER_REQUEST_METHODS)[number];

/** What the forwarder needs from its gateway. */
export interface ForwarderDeps {
  sessions(): Iterable<GatewaySession>;
  agentOf(session: GatewaySession): AgentIdentity;
  /** True when HTTP sessions authenticate with bearer tokens: the session's token is then the credential. */
  verifiesTokens: boolean;
  approvalTimeoutMs: number;
  requestTimeoutMs: number;
  log(message: string): void;
}

type Schema = typeof CreateMessageResultSchema | typeof ElicitResultSchema | typeof ListRootsResultSchema;

/**
 * Decides and forwards the servers' own requests. The gateway makes one; each upstream connection
 * declares the capabilities it offers and gets its handlers.
 *
 * @example
 * ```ts
 * const forwarder = new ServerRequestForwarder({ sessions: () => sessions, agentOf, approvalTimeoutMs: 300_000, requestTimeoutMs: 300_000, log: console.error });
 * forwarder.attach(upstreamServer);
 * ```
 */
export class ServerRequestForwarder {
  readonly #deps: ForwarderDeps;

  constructor(deps: ForwarderDeps) {
    this.#deps = deps;
  }

  /**
   * What the gateway's connection to each server declares: sampling, elicitation (form and URL)
   * and roots, which it forwards (decided) to the client.
   *
   * @example
   * ```ts
   * new Client(info, { capabilities: forwarder.capabilities() });
   * ```
   */
  capabilities(): ClientCapabilities {
    return { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: true } };
  }

  /**
   * Handles the server's sampling, elicitation and roots requests.
   *
   * @example
   * ```ts
   * forwarder.attach(server);
   * ```
   */
  attach(server: UpstreamServer): void {
    server.client.setRequestHandler(mcpTypes().CreateMessageRequestSchema, async (r, extra) => this.#forward(server, 'sampling/createMessage', r.params as Record<string, unknown>, extra.signal, mcpTypes().CreateMessageResultSchema));
    server.client.setRequestHandler(mcpTypes().ElicitRequestSchema, async (r, extra) => (await this.#forward(server, 'elicitation/create', r.params as Record<string, unknown>, extra.signal, mcpTypes().ElicitResultSchema)) as ElicitResult);
    server.client.setRequestHandler(mcpTypes().ListRootsRequestSchema, async (_r, extra) => this.#forward(server, 'roots/list', {}, extra.signal, mcpTypes().ListRootsResultSchema));
  }

  /** The session a request of `server` is meant for, or why none can be chosen. */
  target(server: UpstreamServer): GatewaySession | string {
    const all = [...this.#deps.sessions()];
    const busy = all.filter((s) => (s.inflight.get(server) ?? 0) > 0);
    if (busy.length === 1) return busy[0] as GatewaySession;
    if (busy.length === 0 && all.length === 1) return all[0] as GatewaySession;
    if (all.length === 0) return 'no MCP client is connected to the gateway';
    return busy.length === 0 ? `${all.length} MCP clients are connected and none has a request in flight on this server, so the gateway cannot tell which to ask` : `${busy.length} MCP clients have requests in flight on this server, so the gateway cannot tell which one the request belongs to`;
  }

  async #forward(server: UpstreamServer, method: ServerRequestMethod, params: Record<string, unknown>, signal: AbortSignal, schema: Schema): Promise<Record<string, unknown>> {
    const session = this.target(server);
    if (typeof session === 'string') throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InvalidRequest, `Warden refused ${method} from MCP server ${server.name}: ${session}.`);
    const { _meta: _dropped, ...args } = params;
    const agent = this.#deps.agentOf(session);
    const context = { host: 'mcp', callId: `mcp-${randomUUID()}`, mcp: { server: server.name, transport: session.transport, upstream: server.config.upstream.transport, direction: 'server-to-client' } };
    // The session's own token identifies it (the call the server is serving was made with it).
    const credential = this.#deps.verifiesTokens && session.token !== undefined ? { type: 'bearer' as const, token: session.token } : undefined;
    if (this.#deps.verifiesTokens && session.transport === 'streamable-http' && credential === undefined) throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InvalidRequest, `Warden refused ${method} from MCP server ${server.name}: the client session has not authenticated.`);
    const { verdict, snapshot } = await server.pipeline.decide({ request: { tool: method, args, context }, agent, ...(credential ? { credential } : {}) });
    if (snapshot === null || (!verdict.allowed && verdict.effect !== 'require_approval')) throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InvalidRequest, `Denied by Warden${verdict.rule !== null ? ` (rule ${verdict.rule}${verdict.policy ? ` of policy ${verdict.policy}` : ''})` : ''}: ${verdict.reason}`);
    let decided = JSON.parse(snapshot.text) as Request;
    let call = verdict.call;
    if (verdict.effect === 'require_approval') {
      // invariant: nobody is asked about a request whose deferred decision is not in the audit log.
      if (!verdict.recorded && verdict.warnings.length === 0) throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InvalidRequest, `Warden refused ${method} from MCP server ${server.name}: ${verdict.reason}`);
      const answer = await askByElicitation(verdict, decided, agent, {
        server: session.server,
        sendRequest: (request, options) => session.server.request(request, mcpTypes().ElicitResultSchema, options),
        signal,
        answeredBy: { via: 'elicitation', transport: session.transport, agent: agent.id },
      }, this.#deps.approvalTimeoutMs);
      const again = await server.pipeline.decide({ request: decided, agent, ...(credential ? { credential } : {}), hostApproval: hostApprovalOf(answer) });
      if (!again.verdict.allowed || again.snapshot === null) throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InvalidRequest, `Denied by Warden${again.verdict.rule !== null ? ` (rule ${again.verdict.rule}${again.verdict.policy ? ` of policy ${again.verdict.policy}` : ''})` : ''}: ${again.verdict.reason}`);
      decided = JSON.parse(again.snapshot.text) as Request;
      call = again.verdict.call;
    }
    const missing = missingCapability(method, decided.args, session.server.getClientCapabilities());
    if (missing !== null) throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InvalidRequest, `Warden cannot forward ${method} from MCP server ${server.name}: the client did not declare the ${missing} capability.`);
    const started = performance.now();
    try {
      // invariant: the client gets the decided params (a copy of the snapshot), nothing else.
      const result = (await session.server.request({ method, params: decided.args } as never, schema, { signal, timeout: method === 'roots/list' ? this.#deps.requestTimeoutMs : this.#deps.approvalTimeoutMs })) as Record<string, unknown>;
      await server.pipeline.observe({ call, tool: method, agent }, { status: 'ok', durationMs: performance.now() - started });
      return result;
    } catch (e) {
      await server.pipeline.observe({ call, tool: method, agent }, { status: 'error', durationMs: performance.now() - started, error: { name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) } });
      throw e;
    }
  }
}

/** The client capability `method` needs, when the client did not declare it; null when it did. */
function missingCapability(method: ServerRequestMethod, args: Record<string, unknown>, caps: ClientCapabilities | undefined): string | null {
  if (method === 'sampling/createMessage') return caps?.sampling ? null : 'sampling';
  if (method === 'roots/list') return caps?.roots ? null : 'roots';
  const e = caps?.elicitation;
  if (!e) return 'elicitation';
  if (args.mode === 'url') return e.url !== undefined ? null : 'elicitation (URL mode)';
  return e.form !== undefined || e.url === undefined ? null : 'elicitation (form mode)';
}
