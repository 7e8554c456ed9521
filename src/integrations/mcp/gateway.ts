/**
 * The MCP gateway: an MCP server in front of one or several real MCP servers. The client (an IDE,
 * an agent) talks to the gateway; the gateway decides every tools/call (and resources/read,
 * prompts/get, and the servers' own sampling, elicitation and roots requests) with the pipeline of
 * the server it is for, checks tool definitions against their pins, and passes the rest through.
 *
 * One server: its tools keep their names. Several servers (`servers`): each server's tools and
 * prompts carry its name as a prefix (`github__search_issues`), each server has its own policy and
 * pins, and a server that exits takes only its own tools with it.
 *
 * One upstream connection per server serves every downstream session (one for stdio, one per
 * Streamable HTTP session). Each session gets its own MCP `Server`, so elicitation for an approval
 * goes back to the client that made the call.
 *
 * Tasks (experimental, tasks.ts): a task-augmented tools/call is decided like a plain one before
 * the server creates anything; the client reaches the task only under the gateway's own id, from
 * the session that created it, and the outcome is recorded when its result is fetched.
 */
import type { StateOptions } from '../../enforce/charge-stage.js';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra, RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, CreateTaskResult, ElicitResult, Prompt, Resource, ServerCapabilities, ServerNotification, ServerRequest, Task, TaskStatusNotification, Tool } from '@modelcontextprotocol/sdk/types.js';
import { mcpClient, mcpServer, mcpTypes } from './sdk.js';
import { redact } from '../../audit/redact.js';
import type { PolicyProvider } from '../../enforce/pipeline.js';
import type { AgentIdentity, DecisionSink, Request } from '../../decision.js';
import type { AsyncTextDetector } from '../../detect/types.js';
import type { Verdict } from '../../enforce/verdict.js';
import { WardenError } from '../../errors.js';
import { rejectUnknownKeys } from '../../lib/options.js';
import type { CredentialVerifier } from '../../identity/credential.js';
import type { PolicySet } from '../../policy/policy-set.js';
import { VERSION } from '../../version.js';
import { askByElicitation, hostApprovalOf } from './approval-flow.js';
import { alwaysDenied } from './hide.js';
import { checkServerName, namespacedName, splitNamespaced } from './namespace.js';
import type { PinCheck } from './pin.js';
import { ServerRequestForwarder } from './server-requests.js';
import { clientTask, GatewayTasks, type GatewayTask } from './tasks.js';
import { definitionFacts, GATEWAY_POLICY, PIN_RULE, UpstreamServer, type SharedConfig, type UpstreamConfig } from './upstream-server.js';
import type { UpstreamSpec } from './upstream.js';
import type { UpstreamVerification, VerifiedUpstream } from '../../supply/upstream-verify.js';

export { GATEWAY_POLICY, PIN_RULE, POISONING_RULE } from './upstream-server.js';

/** How the MCP client reaches the gateway: rules see it as `context.mcp.transport`. */
export type DownstreamTransport = 'stdio' | 'streamable-http';

/**
 * One of several servers behind a gateway (`McpGatewayOptions.servers`). Options left out take the
 * gateway's own (`hideDenied`, `redactResults`, `onChange`, `onNew`).
 *
 * @example
 * ```ts
 * const fs: McpServerOptions = { name: 'fs', upstream: { transport: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/workspace'] }, policy: await loadPolicyFiles(['fs.yaml']) };
 * ```
 */
export interface McpServerOptions {
  /** The server's name: its tools' prefix (`<name>__<tool>`), `context.mcp.server`, its lock key `name:<name>`. */
  name: string;
  upstream: UpstreamSpec;
  /** The policy for this server's calls: a PolicySet, or a PolicyStore that hot-reloads. */
  policy: PolicySet | PolicyProvider;
  hideDenied?: boolean;
  redactResults?: boolean;
  onChange?: 'block' | 'warn';
  onNew?: 'block' | 'pin';
  /**
   * Verify what this server runs before it is started (agent-warden/supply): a signed plugin
   * directory or an npm tarball with its provenance, and its server.json namespace. A server that
   * fails is not started, and the gateway does not start. Its calls carry the verified facts as
   * `context.plugin`.
   */
  verify?: UpstreamVerification;
}

/**
 * Options of {@link McpGateway.start}: `upstream` and `policy` for one server, or `servers` for
 * several.
 *
 * @example
 * ```ts
 * const options: McpGatewayOptions = {
 *   upstream: { transport: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/workspace'] },
 *   policy: await loadPolicyFiles(['mcp.yaml']),
 *   sink: await openFileAuditSink({ path: '.warden/audit' }),
 *   agentId: 'ide',
 *   lockFile: 'warden-mcp.lock.json',
 * };
 * ```
 */
export interface McpGatewayOptions {
  /** The one server (its tools keep their names). Give this and `policy`, or `servers`. */
  upstream?: UpstreamSpec;
  /** The one server's name for rules (`context.mcp.server`) and its lock key. Default: the command line or URL. */
  serverName?: string;
  /** The one server's policy: a PolicySet, or a PolicyStore that hot-reloads. */
  policy?: PolicySet | PolicyProvider;
  /** Several servers, each with its own name (its tools' prefix) and policy. */
  servers?: McpServerOptions[];
  /** The one server's verification before it is started (see McpServerOptions.verify). */
  verify?: UpstreamVerification;
  /** Where decisions are recorded. Default: nowhere (no audit log). */
  sink?: DecisionSink;
  /** The agent id rules see as `agent.id` (when the client is not authenticated by a token). Default `mcp-client`. */
  agentId?: string;
  /** Leave out of tools/list the tools the policy denies for every call (see alwaysDenied). */
  hideDenied?: boolean;
  /** Redact credentials in every result from the server (tools, resources, prompts) before the client sees it. */
  redactResults?: boolean;
  /** The pin lock file (every server's pins, each under its own key). Default: pins held in memory only. */
  lockFile?: string;
  /** A pinned tool whose definition changed: `block` (default) its calls and hide it, or `warn` and let it through. */
  onChange?: 'block' | 'warn';
  /** A tool missing from the pins of an already pinned server: `block` (default) like a change, or `pin` it on first sight. */
  onNew?: 'block' | 'pin';
  /** How long an approval (elicitation) may take. Default 5 minutes. */
  approvalTimeoutMs?: number;
  /** Timeout of each request to a server, restarted by progress notifications. Default 5 minutes. */
  requestTimeoutMs?: number;
  /** When a decision cannot be recorded: deny (default) or allow and warn. */
  onAuditFailure?: 'deny' | 'allow-and-warn';
  /**
   * Verifies the bearer tokens of Streamable HTTP clients in each call's `identify` stage (made by
   * `createIdentityVerifier({ tokens })`; the HTTP listener's `auth` makes one). With it, a call
   * on an HTTP session that carries no token is denied.
   */
  identity?: CredentialVerifier;
  clock?: () => Date;
  /** Where reports go (pin changes, warnings). Default: standard error. */
  log?: (message: string) => void;
  /** How stdio servers' standard error is handled. Default `inherit`. */
  upstreamStderr?: 'inherit' | 'ignore';
  /** Detection on tool definitions and results (agent-warden/detect), for every server. Default `{ poisoning: 'block', results: 'mark' }`. */
  detect?: GatewayDetectOptions;
  /**
   * Session state for every server's pipeline (agent-warden/store; see docs/runtime.md): rules
   * read `session.labels`, allowed calls add their tools' flow labels, and a result that carries
   * injected instructions or secrets adds `untrusted` or `private` to the session before the client
   * sees it. The session is the Streamable HTTP session, or one per stdio connection.
   */
  state?: StateOptions;
}

/**
 * What the gateway does with detection (see docs/detection.md).
 *
 * @example
 * ```ts
 * const detect: GatewayDetectOptions = { poisoning: 'block', results: 'withhold' };
 * const withModel: GatewayDetectOptions = { results: 'mark', resultModel: await loadOnnxDetector(config) };
 * ```
 */
export interface GatewayDetectOptions {
  /**
   * A tool whose definition carries instructions to the model (tool poisoning), on `tools/list` and
   * after `list_changed`: `block` (default) hides it and refuses its calls; `warn` reports and
   * records it and lets it through (rules can still deny on `context.mcp.definition`); `off` skips the scan.
   */
  poisoning?: 'block' | 'warn' | 'off';
  /**
   * Each `tools/call` result: `mark` (default) scans it and records its findings and session labels
   * (`untrusted`, `private`) on the outcome; `withhold` also replaces a result that carries injected
   * instructions with an error; `off` skips the scan.
   */
  results?: 'mark' | 'withhold' | 'off';
  /**
   * A tier 3 model (`await loadOnnxDetector(config)` from agent-warden/detect) run on every string
   * of every scanned result, beside tier 1 and the secret scan (scanOutputWithModel): a detection
   * adds its `model.onnx` finding and the label `untrusted`; a text the model cannot score (it
   * throws, times out, or is over its limit) adds `model.failed` and `untrusted` too, never "no
   * finding". With `results: 'withhold'` either withholds the result. Not used with `results: 'off'`.
   */
  resultModel?: AsyncTextDetector;
}

const OPTION_KEYS = [
  'upstream',
  'serverName',
  'policy',
  'servers',
  'verify',
  'sink',
  'agentId',
  'hideDenied',
  'redactResults',
  'lockFile',
  'onChange',
  'onNew',
  'approvalTimeoutMs',
  'requestTimeoutMs',
  'onAuditFailure',
  'identity',
  'clock',
  'log',
  'upstreamStderr',
  'detect',
  'state',
];
const SERVER_KEYS = ['name', 'upstream', 'policy', 'hideDenied', 'redactResults', 'onChange', 'onNew', 'verify'];

/** The tool result a client gets for a call the gateway refused. */
function refusal(reason: string): CallToolResult {
  return { content: [{ type: 'text', text: reason }], isError: true };
}

const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;
const DEFAULT_AGENT_ID = 'mcp-client';
/** Longest client name or version kept as an identity label. */
const MAX_LABEL = 256;
/** Most resource URIs remembered for routing reads to the server that listed them. */
const MAX_ROUTED_URIS = 100_000;

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** One client session. */
export interface GatewaySession {
  server: Server;
  readonly transport: DownstreamTransport;
  /** Calls in flight per upstream server (where the server's own requests are routed). */
  readonly inflight: Map<UpstreamServer, number>;
  /** The bearer token of the session's latest request (HTTP with tokens), for the servers' own requests. */
  token?: string;
  /** The session's own id, `context.session` when the transport has none (stdio) and the gateway keeps state. */
  readonly id: string;
}

type ToolCallParams = { name: string; arguments?: Record<string, unknown> | undefined; task?: { ttl?: number | undefined } | undefined };
/** A tools/call the policy allowed: where it goes and what was decided. */
/** Status notifications kept per server for task ids the gateway has not added yet. */
const EARLY_STATUS_LIMIT = 256;

type DecidedToolCall = { upstream: UpstreamServer; name: string; args: Record<string, unknown>; verdict: Verdict; agent: AgentIdentity | null };
/** Tasks per tasks/list page. */
const TASKS_PAGE = 100;

/** The decided call a task carries, for recording its outcome. */
function taskCall(entry: GatewayTask<GatewaySession, UpstreamServer>): DecidedToolCall {
  return { upstream: entry.upstream, name: entry.tool, args: {}, verdict: entry.verdict, agent: entry.agent };
}

type Decided = { ok: true; args: Record<string, unknown>; verdict: Verdict; agent: AgentIdentity | null } | { ok: false; text: string; gateway: boolean };

const DISCARD: DecisionSink = { write: async () => undefined };

/**
 * The gateway. Start it with {@link McpGateway.start}, then connect client transports.
 *
 * @example
 * ```ts
 * const gateway = await McpGateway.start({ upstream, policy, lockFile });
 * await gateway.connect(new StrictStdioServerTransport(), 'stdio');
 * await gateway.closed;  // every upstream server went away
 * await gateway.close();
 * ```
 */
export class McpGateway {
  /** The (first) server's lock key (see serverKey). */
  readonly serverKey: string;
  /** The (first) server's name as rules see it in `context.mcp.server`. */
  readonly serverName: string;
  readonly lockFile: string | null;
  /** True when tool names carry their server's prefix (`servers` was given). */
  readonly namespaced: boolean;
  /** True when HTTP calls must carry a bearer token verified by `identity`. */
  readonly verifiesTokens: boolean;
  /** Resolves when every upstream connection has closed (the servers exited, or close() was called). */
  readonly closed: Promise<void>;

  readonly #servers: UpstreamServer[];
  readonly #byName = new Map<string, UpstreamServer>();
  readonly #options: McpGatewayOptions;
  readonly #log: (message: string) => void;
  readonly #sessions = new Set<GatewaySession>();
  readonly #resourceRoutes = new Map<string, UpstreamServer>();
  readonly #forwarder: ServerRequestForwarder;
  readonly #tasks = new GatewayTasks<GatewaySession, UpstreamServer>();
  /**
   * Status notifications for upstream task ids not (yet) known: a server can announce a task's
   * status before the gateway has handled the reply that created it. Kept per server, the newest
   * EARLY_STATUS_LIMIT, and handed to the task's session when the task is added.
   */
  readonly #earlyStatuses = new Map<UpstreamServer, Map<string, TaskStatusNotification['params']>>();
  #closing = false;

  private constructor(servers: UpstreamServer[], options: McpGatewayOptions, log: (m: string) => void, forwarder: ServerRequestForwarder, closed: Promise<void>) {
    this.#servers = servers;
    this.#options = options;
    this.#log = log;
    this.#forwarder = forwarder;
    for (const s of servers) this.#byName.set(s.prefix ?? s.name, s);
    const first = servers[0] as UpstreamServer;
    this.serverKey = first.key;
    this.serverName = first.name;
    this.lockFile = options.lockFile ?? null;
    this.namespaced = options.servers !== undefined;
    this.verifiesTokens = options.identity !== undefined;
    this.closed = closed;
  }

  /**
   * Connects to every upstream server, lists its tools and checks them against the pins (pinning
   * them on first sight, writing the lock file), and returns the running gateway. If one server
   * cannot be started, the ones already started are closed and the error is thrown.
   *
   * @example
   * ```ts
   * const gateway = await McpGateway.start({ upstream: { transport: 'stdio', command: 'node', args: ['server.js'] }, policy });
   * ```
   * @throws WardenError `ERR_MCP_OPTIONS` (invalid options), `ERR_MCP_CONFIG` (a bad server name),
   *   `ERR_MCP_UPSTREAM` (server unreachable), `ERR_MCP_LOCK` (lock file unreadable or invalid),
   *   `ERR_MISSING_DEPENDENCY` (the MCP SDK is not installed).
   */
  static async start(options: McpGatewayOptions): Promise<McpGateway> {
    const configs = upstreamConfigs(options);
    // The SDK loads now (not when agent-warden/mcp was imported): without it nothing starts.
    mcpTypes();
    mcpServer();
    mcpClient();
    const log = options.log ?? ((m: string) => process.stderr.write(`warden mcp-proxy: ${m}\n`));
    let gateway: McpGateway | null = null;
    const started: UpstreamServer[] = [];
    const forwarder = new ServerRequestForwarder({
      sessions: () => (gateway === null ? [] : gateway.#sessions),
      agentOf: (session) => (gateway === null ? { id: DEFAULT_AGENT_ID } : gateway.#agent(session, undefined)),
      verifiesTokens: options.identity !== undefined,
      approvalTimeoutMs: options.approvalTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      log,
    });
    const shared: SharedConfig = {
      sink: options.sink ?? DISCARD,
      clock: options.clock ?? (() => new Date()),
      log,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(options.onAuditFailure !== undefined ? { onAuditFailure: options.onAuditFailure } : {}),
      identity: options.identity ?? null,
      upstreamStderr: options.upstreamStderr ?? 'inherit',
      ...(options.state !== undefined ? { state: options.state } : {}),
      onToolsChanged: () => gateway !== null && gateway.#broadcast((s) => s.sendToolListChanged()),
      onNotification: (_server, n) => gateway !== null && gateway.#broadcast((s) => s.notification(n)),
      onClosed: (server) => gateway !== null && gateway.#upstreamClosed(server),
      forwarder,
    };
    // invariant: every server that asks for verification is verified before any process is spawned.
    const verified = new Map<UpstreamConfig, VerifiedUpstream>();
    for (const config of configs) {
      if (config.verify === undefined) continue;
      const { verifyUpstream } = await import('../../supply/upstream-verify.js');
      verified.set(config, await verifyUpstream(config.verify));
    }
    for (const [config, v] of verified) {
      config.plugin = v.facts;
      if (v.tools !== null) config.signedTools = v.tools;
    }
    try {
      for (const config of configs) started.push(await UpstreamServer.start(config, shared));
      for (const server of started) await checkSignedTools(server);
    } catch (e) {
      await Promise.allSettled(started.map((s) => s.close()));
      throw e;
    }
    const closed = Promise.all(started.map((s) => s.closed)).then(() => undefined);
    const running = new McpGateway(started, options, log, forwarder, closed);
    // A task's status goes only to the session that created it, under the gateway's id for it.
    for (const server of started) server.client.setNotificationHandler(mcpTypes().TaskStatusNotificationSchema, async (n) => running.#taskStatus(server, n));
    gateway = running;
    return gateway;
  }

  /**
   * How each tool a server lists now compares with its pin: the one server's, or the named one's.
   *
   * @example
   * ```ts
   * gateway.pinChecks().filter((c) => c.status === 'changed').map((c) => c.name);
   * gateway.pinChecks('github');
   * ```
   */
  pinChecks(server?: string): PinCheck[] {
    const s = server === undefined ? this.#servers[0] : this.#byName.get(server);
    return s ? s.pinChecks() : [];
  }

  /**
   * The servers behind the gateway: name, lock key, whether it is running.
   *
   * @example
   * ```ts
   * gateway.servers(); // [{ name: 'fs', key: 'name:fs', alive: true }, …]
   * ```
   */
  servers(): Array<{ name: string; key: string; alive: boolean }> {
    return this.#servers.map((s) => ({ name: s.name, key: s.key, alive: s.alive }));
  }

  /**
   * Lists every running server's tools again and checks them against the pins (see
   * UpstreamServer.refreshTools).
   *
   * @example
   * ```ts
   * await gateway.refreshTools();
   * ```
   */
  async refreshTools(): Promise<void> {
    await Promise.all(this.#servers.filter((s) => s.alive).map((s) => s.refreshTools()));
  }

  /**
   * Serves one MCP client over `transport`: a new MCP server session in front of the shared
   * upstream connections.
   *
   * @example
   * ```ts
   * await gateway.connect(new StdioServerTransport(), 'stdio');
   * ```
   */
  async connect(transport: Transport, kind: DownstreamTransport): Promise<Server> {
    if (this.#closing) throw new WardenError('ERR_MCP_CLOSED', 'The MCP gateway is closed.');
    const session: GatewaySession = { server: null as unknown as Server, transport: kind, inflight: new Map(), id: `mcp-${randomUUID()}` };
    const server = this.#createServer(session);
    session.server = server;
    this.#sessions.add(session);
    server.onclose = () => {
      this.#sessions.delete(session);
      this.#tasks.closeSession(session);
    };
    await server.connect(transport);
    return server;
  }

  /**
   * Closes every client session and every upstream connection (stdio servers are stopped). Does
   * not close the sink: it belongs to the caller.
   *
   * @example
   * ```ts
   * await gateway.close();
   * ```
   */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#sessions].map((s) => s.server.close()));
    this.#sessions.clear();
    await Promise.allSettled(this.#servers.map((s) => s.close()));
  }

  #upstreamClosed(server: UpstreamServer): void {
    const anyAlive = this.#servers.some((s) => s.alive);
    if (!this.#closing) {
      this.#log(anyAlive ? `the MCP server ${server.name} closed the connection; its tools are no longer offered, the other servers go on.` : `the MCP server ${server.name} closed the connection; closing every client session.`);
    }
    if (anyAlive) {
      if (!this.#closing) this.#broadcast((s) => s.sendToolListChanged());
      return;
    }
    this.#closing = true;
    for (const s of this.#sessions) void s.server.close().catch(() => undefined);
  }

  #createServer(own: GatewaySession): Server {
    const capabilities = this.#capabilities();
    const single = this.namespaced ? null : (this.#servers[0] as UpstreamServer);
    const info = single?.client.getServerVersion() ?? { name: 'warden-mcp-gateway', version: VERSION };
    const instructions = this.#instructions();
    const server = new (mcpServer().Server)({ name: info.name, version: info.version }, { capabilities, ...(instructions !== undefined ? { instructions } : {}) });
    const session = (): GatewaySession => own;

    server.setRequestHandler(mcpTypes().ListToolsRequestSchema, async () => ({ tools: await this.#visibleTools(session()) }));
    server.setRequestHandler(mcpTypes().CallToolRequestSchema, async (request, extra) => (request.params.task !== undefined ? this.#callToolAsTask(session(), request.params, extra) : this.#callTool(session(), request.params, extra)));
    if (capabilities.tasks) {
      server.setRequestHandler(mcpTypes().GetTaskRequestSchema, async (r, extra) => {
        const entry = this.#tasks.of(session(), r.params.taskId);
        return clientTask(await entry.upstream.client.experimental.tasks.getTask(entry.upstreamId, this.#forwardOptions(extra)), entry.id);
      });
      server.setRequestHandler(mcpTypes().GetTaskPayloadRequestSchema, async (r, extra) => this.#taskResult(session(), r.params.taskId, extra));
      server.setRequestHandler(mcpTypes().ListTasksRequestSchema, async (r, extra) => this.#listTasks(session(), r.params?.cursor, extra));
      server.setRequestHandler(mcpTypes().CancelTaskRequestSchema, async (r, extra) => this.#cancelTask(session(), r.params.taskId, extra));
    }
    if (capabilities.resources) {
      server.setRequestHandler(mcpTypes().ListResourcesRequestSchema, async (r, extra) => this.#listResources(r.params, extra));
      server.setRequestHandler(mcpTypes().ListResourceTemplatesRequestSchema, async (r, extra) => {
        const out = await this.#eachServer('resources', async (s) => (await s.client.listResourceTemplates(single ? r.params : undefined, this.#forwardOptions(extra))).resourceTemplates);
        return { resourceTemplates: out.flat() };
      });
      server.setRequestHandler(mcpTypes().ReadResourceRequestSchema, async (r, extra) => {
        const upstream = this.#resourceServer(r.params.uri);
        const args = { uri: r.params.uri };
        const decided = await this.#decide(session(), upstream, 'resources/read', args, extra, null);
        if (!decided.ok) throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InvalidRequest, decided.text);
        return this.#track(session(), upstream, () => this.#redactOther(upstream, upstream.client.readResource(decided.args as { uri: string }, this.#forwardOptions(extra))));
      });
      if (capabilities.resources.subscribe) {
        server.setRequestHandler(mcpTypes().SubscribeRequestSchema, async (r, extra) => this.#resourceServer(r.params.uri).client.subscribeResource(r.params, this.#forwardOptions(extra)));
        server.setRequestHandler(mcpTypes().UnsubscribeRequestSchema, async (r, extra) => this.#resourceServer(r.params.uri).client.unsubscribeResource(r.params, this.#forwardOptions(extra)));
      }
    }
    if (capabilities.prompts) {
      server.setRequestHandler(mcpTypes().ListPromptsRequestSchema, async (r, extra) => {
        if (single) return single.client.listPrompts(r.params, this.#forwardOptions(extra));
        const lists = await this.#eachServer('prompts', async (s) => (await s.client.listPrompts(undefined, this.#forwardOptions(extra))).prompts.map((p): Prompt => ({ ...p, name: namespacedName(s.prefix as string, p.name) })));
        return { prompts: lists.flat() };
      });
      server.setRequestHandler(mcpTypes().GetPromptRequestSchema, async (r, extra) => {
        const { upstream, name } = this.#route(r.params.name);
        const args = { name, arguments: structuredClone(r.params.arguments ?? {}) };
        const decided = await this.#decide(session(), upstream, 'prompts/get', args, extra, null);
        if (!decided.ok) throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InvalidRequest, decided.text);
        return this.#track(session(), upstream, () => this.#redactOther(upstream, upstream.client.getPrompt(decided.args as typeof args, this.#forwardOptions(extra))));
      });
    }
    if (capabilities.completions) {
      server.setRequestHandler(mcpTypes().CompleteRequestSchema, async (r, extra) => {
        const ref = r.params.ref;
        if (ref.type === 'ref/prompt') {
          const { upstream, name } = this.#route(ref.name);
          return upstream.client.complete({ ...r.params, ref: { ...ref, name } }, this.#forwardOptions(extra));
        }
        return this.#resourceServer(ref.uri).client.complete(r.params, this.#forwardOptions(extra));
      });
    }
    if (capabilities.logging) {
      server.setRequestHandler(mcpTypes().SetLevelRequestSchema, async (r, extra) => {
        await this.#eachServer('logging', (s) => s.client.setLoggingLevel(r.params.level, this.#forwardOptions(extra)));
        return {};
      });
    }
    // The client's roots changed: every server that may ask for them is told.
    server.setNotificationHandler(mcpTypes().RootsListChangedNotificationSchema, async () => {
      for (const s of this.#servers) if (s.alive) s.client.sendRootsListChanged().catch((e: unknown) => this.#log(`could not forward roots/list_changed to ${s.name}: ${messageOf(e)}`));
    });
    return server;
  }

  /** What the gateway offers: tools always; the rest when some server has it. */
  #capabilities(): ServerCapabilities {
    const capabilities: ServerCapabilities = { tools: { listChanged: true } };
    for (const s of this.#servers) {
      const upstream = s.client.getServerCapabilities() ?? {};
      if (upstream.resources) {
        capabilities.resources = { ...capabilities.resources };
        if (upstream.resources.subscribe) capabilities.resources.subscribe = true;
        if (upstream.resources.listChanged) capabilities.resources.listChanged = true;
      }
      if (upstream.prompts) capabilities.prompts = upstream.prompts.listChanged || capabilities.prompts?.listChanged ? { listChanged: true } : {};
      if (upstream.completions) capabilities.completions = {};
      if (upstream.logging) capabilities.logging = {};
      // Tasks (experimental): offered when a server runs tool calls as tasks; the gateway lists a session's own tasks itself.
      if (upstream.tasks?.requests?.tools?.call) capabilities.tasks = { ...capabilities.tasks, list: {}, requests: { tools: { call: {} } } };
      if (upstream.tasks?.requests?.tools?.call && upstream.tasks.cancel) capabilities.tasks = { ...capabilities.tasks, cancel: {} };
    }
    return capabilities;
  }

  #instructions(): string | undefined {
    if (!this.namespaced) return (this.#servers[0] as UpstreamServer).client.getInstructions();
    const parts = this.#servers.flatMap((s) => {
      const text = s.client.getInstructions();
      return text === undefined || text === '' ? [] : [`## ${s.prefix} (tools ${s.prefix}__*)\n${text}`];
    });
    return parts.length === 0 ? undefined : parts.join('\n\n');
  }

  /** Runs `fn` on every running server that has `capability`; a server that fails is logged and left out. */
  async #eachServer<T>(capability: 'resources' | 'prompts' | 'logging', fn: (s: UpstreamServer) => Promise<T>): Promise<T[]> {
    const targets = this.#servers.filter((s) => s.alive && s.client.getServerCapabilities()?.[capability]);
    if (!this.namespaced) return [await fn(targets[0] as UpstreamServer)];
    const settled = await Promise.allSettled(targets.map(fn));
    const out: T[] = [];
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') out.push(r.value);
      else this.#log(`MCP server ${(targets[i] as UpstreamServer).name} failed a ${capability} request: ${messageOf(r.reason)}`);
    });
    return out;
  }

  async #listResources(params: { cursor?: string } | undefined, extra: Extra): Promise<{ resources: Resource[]; nextCursor?: string }> {
    if (!this.namespaced) {
      const s = this.#servers[0] as UpstreamServer;
      const r = await s.client.listResources(params, this.#forwardOptions(extra));
      return r;
    }
    const lists = await this.#eachServer('resources', async (s) => {
      const resources = (await s.client.listResources(undefined, this.#forwardOptions(extra))).resources;
      for (const r of resources) if (this.#resourceRoutes.size < MAX_ROUTED_URIS || this.#resourceRoutes.has(r.uri)) this.#resourceRoutes.set(r.uri, s);
      return resources;
    });
    return { resources: lists.flat() };
  }

  /** The server a resource URI belongs to: the one server, or (several) the one that listed it. */
  #resourceServer(uri: string): UpstreamServer {
    if (!this.namespaced) return this.#servers[0] as UpstreamServer;
    const s = this.#resourceRoutes.get(uri);
    if (!s) throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InvalidParams, `Resource ${JSON.stringify(uri.slice(0, 200))} was not listed by any server behind this gateway; list resources first (resources from templates are not routed when several servers share a gateway).`);
    return s;
  }

  /** The server and its own name for a tool or prompt name the client used. */
  #route(name: string): { upstream: UpstreamServer; name: string } {
    if (!this.namespaced) return { upstream: this.#servers[0] as UpstreamServer, name };
    const split = splitNamespaced(name);
    const upstream = split === null ? undefined : this.#byName.get(split.server);
    if (!split || !upstream) throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InvalidParams, unknownServerText(name, [...this.#byName.keys()]));
    return { upstream, name: split.tool };
  }

  async #visibleTools(session: GatewaySession): Promise<Tool[]> {
    const out: Tool[] = [];
    const context = this.#baseContext(null, session);
    for (const s of this.#servers) {
      if (!s.alive) continue;
      try {
        await s.refreshTools();
      } catch (e) {
        if (!this.namespaced) throw e;
        this.#log(`could not list the tools of MCP server ${s.name}: ${messageOf(e)}; its tools are left out of this listing.`);
        continue;
      }
      const set = s.policySet;
      const agent = this.#agent(session, undefined);
      for (const tool of s.listed()) {
        const entry = s.tool(tool.name);
        if (!entry || s.blocked(entry.check) || s.poisoned(tool.name) !== null) continue;
        if (s.config.hideDenied && alwaysDenied(set, tool.name, agent, { ...context, mcp: { ...(context.mcp as object), server: s.name }, ...(s.config.plugin !== undefined ? { plugin: s.config.plugin } : {}) })) continue;
        out.push(s.prefix === null ? tool : { ...tool, name: namespacedName(s.prefix, tool.name) });
      }
    }
    return out;
  }

  /** Routes and decides one tools/call; `refused` is what the client reads for a call that does not run. */
  async #decideToolCall(session: GatewaySession, params: ToolCallParams, extra: Extra, asTask: boolean): Promise<{ refused: string } | DecidedToolCall> {
    let route: { upstream: UpstreamServer; name: string };
    try {
      route = this.#route(params.name);
    } catch (e) {
      const text = messageOf(e).replace(/^MCP error -?\d+: /, '');
      const first = this.#servers[0] as UpstreamServer;
      await first.report(params.name, {}, this.#agent(session, extra), this.#baseContext(extra, session, { server: null, tool: params.name }), { effect: 'deny', rule: PIN_RULE, reason: text });
      return { refused: text };
    }
    const { upstream, name } = route;
    // Not an action: nothing is decided or run for a task the server cannot create.
    if (asTask && !upstream.client.getServerCapabilities()?.tasks?.requests?.tools?.call) return { refused: `MCP server ${upstream.name} does not run tool calls as tasks; call ${JSON.stringify(params.name.slice(0, 200))} without a task.` };
    if (upstream.alive && !upstream.tool(name)) await upstream.refreshTools().catch((e: unknown) => this.#log(`could not list the tools of MCP server ${upstream.name}: ${messageOf(e)}`));
    const decided = await this.#decide(session, upstream, name, params.arguments ?? {}, extra, params.name);
    // The gateway's own refusals (pins) read as they always have; policy denials name their rule.
    if (!decided.ok) return { refused: decided.text };
    return { upstream, name, args: decided.args, verdict: decided.verdict, agent: decided.agent };
  }

  async #callTool(session: GatewaySession, params: ToolCallParams, extra: Extra): Promise<CallToolResult> {
    const call = await this.#decideToolCall(session, params, extra, false);
    if ('refused' in call) return refusal(call.refused);
    const { upstream, name } = call;
    const started = performance.now();
    let result: CallToolResult;
    try {
      // invariant: only what was decided goes to the server: its own tool name and a copy of the decided arguments, no client _meta.
      result = await this.#track(session, upstream, () => upstream.client.request({ method: 'tools/call', params: { name, arguments: call.args } }, mcpTypes().CallToolResultSchema, this.#forwardOptions(extra)));
    } catch (e) {
      const error = upstream.alive ? e : new (mcpTypes().McpError)(mcpTypes().ErrorCode.InternalError, `MCP server ${upstream.name} exited (or closed the connection) while this call of "${name}" was pending; whether the tool ran is unknown.`);
      await this.#observeError(call, started, error);
      throw error;
    }
    return this.#finishCall(call, params.name, performance.now() - started, result, true);
  }

  /**
   * A task-augmented tools/call: decided exactly like a plain call (approval by elicitation
   * included) before anything reaches the server. A refused call creates no task anywhere: the
   * client gets a JSON-RPC error carrying the reason. An allowed one creates the task upstream and
   * the client gets it under the gateway's own id.
   */
  async #callToolAsTask(session: GatewaySession, params: ToolCallParams, extra: Extra): Promise<CreateTaskResult> {
    const call = await this.#decideToolCall(session, params, extra, true);
    if ('refused' in call) throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InvalidRequest, call.refused);
    const { upstream, name } = call;
    const started = performance.now();
    const ttl = params.task?.ttl;
    let created: CreateTaskResult;
    try {
      // invariant: only what was decided goes to the server (as for a plain call), with the client's task request.
      created = await this.#track(session, upstream, () => upstream.client.request({ method: 'tools/call', params: { name, arguments: call.args } }, mcpTypes().CreateTaskResultSchema, { ...this.#forwardOptions(extra), task: typeof ttl === 'number' ? { ttl } : {} }));
    } catch (e) {
      const error = upstream.alive ? e : new (mcpTypes().McpError)(mcpTypes().ErrorCode.InternalError, `MCP server ${upstream.name} exited (or closed the connection) while the task for "${name}" was being created; whether the tool runs is unknown.`);
      await this.#observeError(call, started, error);
      throw error;
    }
    const entry = this.#tasks.add({ upstreamId: created.task.taskId, session, upstream, tool: name, clientName: params.name, verdict: call.verdict, agent: call.agent, started });
    const early = this.#earlyStatuses.get(upstream);
    const status = early?.get(created.task.taskId);
    if (status !== undefined) {
      early?.delete(created.task.taskId);
      // After the reply to tools/call, so the client knows the task id the status names.
      queueMicrotask(() => void this.#forwardStatus(entry, status));
    }
    return { task: clientTask(created.task, entry.id) };
  }

  /**
   * tasks/result: waits for the upstream task's result, records the call's outcome the first time
   * a result (or the task's error) arrives, and gives the client the result as a plain call's.
   */
  async #taskResult(session: GatewaySession, taskId: unknown, extra: Extra): Promise<CallToolResult> {
    const entry = this.#tasks.of(session, taskId);
    const { upstream } = entry;
    const call = taskCall(entry);
    let result: CallToolResult;
    try {
      result = await this.#track(session, upstream, () => upstream.client.experimental.tasks.getTaskResult(entry.upstreamId, mcpTypes().CallToolResultSchema, this.#forwardOptions(extra)));
    } catch (e) {
      const error = upstream.alive ? e : new (mcpTypes().McpError)(mcpTypes().ErrorCode.InternalError, `MCP server ${upstream.name} exited (or closed the connection) while the result of task ${entry.id} was awaited; whether the tool ran is unknown.`);
      // A wait that timed out or was cancelled says nothing about the task; the server's answer does.
      const waitEnded = extra.signal.aborted || (error instanceof mcpTypes().McpError && error.code === mcpTypes().ErrorCode.RequestTimeout);
      if (!entry.recorded && !waitEnded) {
        entry.recorded = true;
        await this.#observeError(call, entry.started, error);
      }
      throw error;
    }
    const record = !entry.recorded;
    entry.recorded = true;
    const meta = result._meta;
    // The server's related-task id is replaced by the gateway's, as in every task the client sees.
    if (meta !== undefined && mcpTypes().RELATED_TASK_META_KEY in meta) result = { ...result, _meta: { ...meta, [mcpTypes().RELATED_TASK_META_KEY]: { taskId: entry.id } } };
    return this.#finishCall(call, entry.clientName, performance.now() - entry.started, result, record);
  }

  /** tasks/list: the session's own tasks, as their servers report them now (100 a page). */
  async #listTasks(session: GatewaySession, cursor: string | undefined, extra: Extra): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const owned = this.#tasks.ofSession(session);
    const from = cursor === undefined ? 0 : owned.findIndex((t) => t.id === cursor);
    if (from < 0) throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InvalidParams, 'The tasks/list cursor is not one this gateway gave this session; list again without a cursor.');
    const page = owned.slice(from, from + TASKS_PAGE);
    const settled = await Promise.allSettled(page.map((t) => t.upstream.client.experimental.tasks.getTask(t.upstreamId, this.#forwardOptions(extra))));
    const tasks: Task[] = [];
    settled.forEach((r, i) => {
      const entry = page[i] as GatewayTask<GatewaySession, UpstreamServer>;
      if (r.status === 'fulfilled') tasks.push(clientTask(r.value, entry.id));
      // A task its server no longer knows has expired: it is forgotten here too.
      else if (r.reason instanceof mcpTypes().McpError && r.reason.code === mcpTypes().ErrorCode.InvalidParams) this.#tasks.forget(entry);
      else this.#log(`could not get the status of task ${entry.id} from MCP server ${entry.upstream.name}: ${messageOf(r.reason)}`);
    });
    const next = owned[from + TASKS_PAGE];
    return { tasks, ...(next !== undefined ? { nextCursor: next.id } : {}) };
  }

  /** tasks/cancel: passed to the task's server; a cancelled task's outcome is recorded as aborted. */
  async #cancelTask(session: GatewaySession, taskId: unknown, extra: Extra): Promise<Task> {
    const entry = this.#tasks.of(session, taskId);
    if (!entry.upstream.client.getServerCapabilities()?.tasks?.cancel) throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InvalidRequest, `MCP server ${entry.upstream.name} does not cancel tasks.`);
    const task = await entry.upstream.client.experimental.tasks.cancelTask(entry.upstreamId, this.#forwardOptions(extra));
    if (!entry.recorded && task.status === 'cancelled') {
      entry.recorded = true;
      await entry.upstream.pipeline.observe({ call: entry.verdict.call, tool: entry.tool, agent: entry.agent }, { status: 'aborted', durationMs: performance.now() - entry.started });
    }
    return clientTask(task, entry.id);
  }

  /** An upstream task's status notification, for the session that created the task. */
  async #taskStatus(upstream: UpstreamServer, notification: TaskStatusNotification): Promise<void> {
    const entry = this.#tasks.byUpstream(upstream, notification.params.taskId);
    // invariant: a task's status reaches only its own session; tasks the gateway did not create are not forwarded.
    if (entry === undefined) {
      // Perhaps a task whose creating reply is still being handled: kept (bounded) until it is added.
      const taskId = notification.params.taskId;
      if (typeof taskId !== 'string') return;
      let early = this.#earlyStatuses.get(upstream);
      if (early === undefined) this.#earlyStatuses.set(upstream, (early = new Map()));
      early.delete(taskId);
      early.set(taskId, notification.params);
      if (early.size > EARLY_STATUS_LIMIT) early.delete(early.keys().next().value as string);
      return;
    }
    await this.#forwardStatus(entry, notification.params);
  }

  async #forwardStatus(entry: { session: GatewaySession; id: string }, params: TaskStatusNotification['params']): Promise<void> {
    await entry.session.server.notification({ method: 'notifications/tasks/status', params: clientTask(params as Task, entry.id) }).catch((e: unknown) => this.#log(`could not forward a task status to a client: ${messageOf(e)}`));
  }

  async #observeError(call: DecidedToolCall, started: number, error: unknown): Promise<void> {
    await call.upstream.pipeline.observe({ call: call.verdict.call, tool: call.name, agent: call.agent }, { status: 'error', durationMs: performance.now() - started, error: { name: error instanceof Error ? error.name : 'Error', message: messageOf(error) } });
  }

  /** A tool's result on its way to the client: scanned, recorded (when `record`), withheld or redacted as configured. */
  async #finishCall(call: DecidedToolCall, clientName: string, durationMs: number, result: CallToolResult, record: boolean): Promise<CallToolResult> {
    const { upstream, name, verdict, agent } = call;
    const mode = this.#options.detect?.results ?? 'mark';
    // The detectors load with the first result scanned; one that cannot load fails this call.
    const model = this.#options.detect?.resultModel;
    const scan = mode === 'off' ? null : model === undefined ? (await import('../../detect/output.js')).scanOutput(result) : await (await import('../../detect/output-model.js')).scanOutputWithModel(result, undefined, model);
    const detected = scan === null ? {} : { ...(scan.labels.length > 0 ? { labels: scan.labels } : {}), ...(scan.findings.length > 0 ? { findings: scan.findings } : {}) };
    if (record) await upstream.pipeline.observe({ call: verdict.call, tool: name, agent }, result.isError === true ? { status: 'error', durationMs, error: { name: 'ToolError', message: 'the tool reported an error (isError)' }, ...detected } : { status: 'ok', durationMs, ...detected });
    if (scan !== null && scan.injection && mode === 'withhold') {
      const why = scan.findings.find((f) => f.detector === 'injection')?.reason ?? 'it carries instructions to the model';
      return refusal(`Warden withheld the result of ${clientName}: ${why}. The session is marked untrusted.`);
    }
    // The server's redactResults, or the policy's results.redactSecrets naming this tool.
    if (!upstream.config.redactResults && verdict.policyDecision.redactSecrets !== true) return result;
    try {
      return redact(result);
    } catch (e) {
      return refusal(`The result of ${clientName} could not be redacted (${messageOf(e)}), so it was withheld.`);
    }
  }

  /**
   * Decides one call with its server's pipeline; a `require_approval` verdict is put to the client
   * by elicitation, and the answer recorded. `clientName` is the tool name the client used (tools
   * only: tools are gated by their pins); null for resources and prompts.
   */
  async #decide(session: GatewaySession, upstream: UpstreamServer, tool: string, args: Record<string, unknown>, extra: Extra, clientName: string | null): Promise<Decided> {
    const agent = this.#agent(session, extra);
    const token = extra.authInfo?.token;
    const credential = this.#options.identity !== undefined && typeof token === 'string' ? { type: 'bearer' as const, token } : undefined;
    if (credential !== undefined) session.token = credential.token;
    const more: Record<string, unknown> = { requestId: String(extra.requestId) };
    if (clientName !== null) {
      if (clientName !== tool) more.tool = clientName;
      const annotations = upstream.tool(tool)?.tool.annotations;
      if (annotations !== undefined) more.annotations = annotations;
      const scanned = upstream.scan(tool);
      if (scanned !== undefined && scanned.findings.length > 0) more.definition = definitionFacts(scanned);
    }
    // The call's id is made here, so a call decided again after its approval keeps it (and its digest).
    // The verified facts replace anything under `plugin` the caller could have put in the context.
    const context = { ...this.#baseContext(extra, session, { server: upstream.name, upstream: upstream.config.upstream.transport, ...more }), ...(upstream.config.plugin !== undefined ? { plugin: upstream.config.plugin } : {}), callId: `mcp-${randomUUID()}` };
    const gate = clientName !== null ? upstream.gateFor(tool) : () => (upstream.alive ? null : upstream.gate(tool));
    if (this.#options.identity !== undefined && session.transport === 'streamable-http' && credential === undefined) {
      // invariant: an HTTP session of a gateway with token authentication never acts anonymously.
      const text = 'This gateway requires a bearer token on every HTTP request, and this call carried none; denied.';
      await upstream.report(tool, {}, agent, context, { effect: 'deny', rule: PIN_RULE, reason: text });
      return { ok: false, text, gateway: true };
    }
    const { verdict, snapshot } = await upstream.pipeline.decide({ request: { tool, args, context }, agent, gate, ...(credential ? { credential } : {}) });
    if (snapshot === null || (!verdict.allowed && verdict.effect !== 'require_approval')) return { ok: false, text: verdict.policy === GATEWAY_POLICY ? verdict.reason : denialText(verdict), gateway: verdict.policy === GATEWAY_POLICY };
    const decided = JSON.parse(snapshot.text) as Request;
    const decidedAgent = this.#authenticatedAgent(extra) ?? agent;
    if (verdict.effect !== 'require_approval') return { ok: true, args: decided.args, verdict, agent: decidedAgent };
    // invariant: nobody is asked about a call whose deferred decision is not in the audit log.
    if (!verdict.recorded && verdict.warnings.length === 0) return { ok: false, text: `${verdict.reason} Nobody was asked to approve it.`, gateway: true };
    const answer = await askByElicitation(verdict, decided, decidedAgent, {
      server: session.server,
      sendRequest: (request, options) => extra.sendRequest(request, ElicitResultAny, options) as Promise<ElicitResult>,
      signal: extra.signal,
      answeredBy: this.#answeredBy(session, extra, decidedAgent),
    }, this.#options.approvalTimeoutMs ?? DEFAULT_TIMEOUT_MS);
    // The call is decided again with the answer: the gate (a pin may have changed, or the server
    // gone, meanwhile), the token and the policy are asked again, and the answer counts only for
    // the digest it was given for.
    const again = await upstream.pipeline.decide({ request: decided, agent, gate, ...(credential ? { credential } : {}), hostApproval: hostApprovalOf(answer) });
    if (!again.verdict.allowed || again.snapshot === null) return { ok: false, text: again.verdict.policy === GATEWAY_POLICY ? again.verdict.reason : denialText(again.verdict), gateway: again.verdict.policy === GATEWAY_POLICY };
    return { ok: true, args: (JSON.parse(again.snapshot.text) as Request).args, verdict: again.verdict, agent: decidedAgent };
  }

  #answeredBy(session: GatewaySession, extra: Extra, agent: AgentIdentity | null): Record<string, string> {
    const who: Record<string, string> = { via: 'elicitation', transport: session.transport };
    const info = session.server.getClientVersion();
    if (info) who.client = `${String(info.name).slice(0, MAX_LABEL)} ${String(info.version).slice(0, MAX_LABEL)}`;
    if (typeof extra.sessionId === 'string' && extra.sessionId !== '') who.session = extra.sessionId;
    if (agent !== null) who.agent = agent.id;
    const issuer = extra.authInfo?.extra?.issuer;
    if (typeof issuer === 'string') who.issuer = issuer.slice(0, MAX_LABEL);
    return who;
  }

  /** Counts a call in flight on `upstream` for `session` (server requests are routed by it). */
  async #track<T>(session: GatewaySession, upstream: UpstreamServer, run: () => Promise<T>): Promise<T> {
    session.inflight.set(upstream, (session.inflight.get(upstream) ?? 0) + 1);
    try {
      return await run();
    } catch (e) {
      if (!upstream.alive) throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InternalError, `MCP server ${upstream.name} exited (or closed the connection) while this request was pending; whether it took effect is unknown.`);
      throw e;
    } finally {
      const n = (session.inflight.get(upstream) ?? 1) - 1;
      if (n <= 0) session.inflight.delete(upstream);
      else session.inflight.set(upstream, n);
    }
  }

  async #redactOther<T>(upstream: UpstreamServer, pending: Promise<T>): Promise<T> {
    const result = await pending;
    if (!upstream.config.redactResults) return result;
    try {
      return redact(result);
    } catch (e) {
      throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InternalError, `The result could not be redacted (${messageOf(e)}), so it was withheld.`);
    }
  }

  /** The principal the HTTP listener verified for this request (its token's agent), as outcomes record it. */
  #authenticatedAgent(extra: Extra): AgentIdentity | null {
    const auth = extra.authInfo;
    if (this.#options.identity === undefined || auth === undefined || typeof auth.clientId !== 'string' || auth.clientId === '') return null;
    const issuer = auth.extra?.issuer;
    return { id: auth.clientId, labels: typeof issuer === 'string' ? { token_issuer: issuer.slice(0, MAX_LABEL) } : {} };
  }

  #agent(session: GatewaySession, _extra: Extra | undefined): AgentIdentity {
    const info = session.server.getClientVersion();
    const labels: Record<string, string> = {};
    if (info && typeof info.name === 'string') labels.mcp_client_name = info.name.slice(0, MAX_LABEL);
    if (info && typeof info.version === 'string') labels.mcp_client_version = info.version.slice(0, MAX_LABEL);
    return { id: this.#options.agentId ?? DEFAULT_AGENT_ID, labels };
  }

  /** The context every request carries (docs/context.md): `host`, `session`, and the gateway's own facts under `mcp`. */
  #baseContext(extra: Extra | null, session: GatewaySession | null, more: Record<string, unknown> = {}): Record<string, unknown> {
    const first = this.#servers[0] as UpstreamServer;
    const mcp = { server: first.name, ...(session ? { transport: session.transport } : {}), upstream: first.config.upstream.transport, ...more };
    const transportId = extra?.sessionId;
    // With state, a connection without a transport session id (stdio) is one session of its own.
    const sessionId = typeof transportId === 'string' && transportId !== '' ? transportId : this.#options.state !== undefined && session !== null ? session.id : undefined;
    return { host: 'mcp', ...(sessionId !== undefined ? { session: sessionId } : {}), mcp };
  }

  #forwardOptions(extra: Extra): RequestOptions {
    const token = extra._meta?.progressToken;
    const options: RequestOptions = { signal: extra.signal, timeout: this.#options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS, resetTimeoutOnProgress: true };
    if (token !== undefined) {
      options.onprogress = (p) => {
        extra.sendNotification({ method: 'notifications/progress', params: { ...p, progressToken: token } }).catch((e: unknown) => this.#log(`could not forward progress: ${messageOf(e)}`));
      };
    }
    return options;
  }

  #broadcast(send: (server: Server) => Promise<void>): void {
    for (const s of this.#sessions) send(s.server).catch((e: unknown) => this.#log(`could not forward a notification to a client: ${messageOf(e)}`));
  }

  /** For tests and the forwarder: the sessions now open. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** The forwarder of the servers' own requests (sampling, elicitation, roots). */
  get serverRequests(): ServerRequestForwarder {
    return this.#forwarder;
  }
}

/** Accepts any elicitation result shape; askByElicitation validates it. */
const ElicitResultAny = { parse: (v: unknown) => v, safeParse: (v: unknown) => ({ success: true as const, data: v }) } as unknown as Parameters<Extra['sendRequest']>[1];

/** The normalized per-server configurations of a gateway's options. */
function upstreamConfigs(options: McpGatewayOptions): UpstreamConfig[] {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_MCP_OPTIONS', 'The MCP gateway options are an object: { upstream, policy } or { servers }.');
  rejectUnknownKeys(options, OPTION_KEYS, 'ERR_MCP_OPTIONS', 'the MCP gateway options');
  checkDetectOptions(options.detect);
  const defaults = {
    poisoning: options.detect?.poisoning ?? 'block',
    lockFile: options.lockFile ?? null,
    onChange: options.onChange ?? 'block',
    onNew: options.onNew ?? 'block',
    hideDenied: options.hideDenied === true,
    redactResults: options.redactResults === true,
  } as const;
  checkMode('onChange', defaults.onChange, ['block', 'warn']);
  checkMode('onNew', defaults.onNew, ['block', 'pin']);
  if (options.servers !== undefined) {
    if (options.upstream !== undefined || options.policy !== undefined || options.serverName !== undefined || options.verify !== undefined) throw new WardenError('ERR_MCP_OPTIONS', 'Give either servers (several, each with its own policy) or upstream and policy (one server), not both.');
    if (!Array.isArray(options.servers) || options.servers.length === 0) throw new WardenError('ERR_MCP_OPTIONS', 'servers must list at least one server: [{ name, upstream, policy }].');
    const seen = new Set<string>();
    return options.servers.map((s, i) => {
      rejectUnknownKeys(s, SERVER_KEYS, 'ERR_MCP_OPTIONS', `servers[${i}]`);
      checkServerName(s.name);
      const lower = s.name.toLowerCase();
      if (seen.has(lower)) throw new WardenError('ERR_MCP_CONFIG', `Two servers are named ${JSON.stringify(s.name)} (names are compared without case); give each its own name.`);
      seen.add(lower);
      if (!s.policy || typeof s.policy !== 'object') throw new WardenError('ERR_MCP_OPTIONS', `Server ${JSON.stringify(s.name)} has no policy; every server needs one (calls are denied by default, but say so).`);
      if (s.onChange !== undefined) checkMode(`servers[${i}].onChange`, s.onChange, ['block', 'warn']);
      if (s.onNew !== undefined) checkMode(`servers[${i}].onNew`, s.onNew, ['block', 'pin']);
      return {
        upstream: s.upstream,
        name: s.name,
        prefix: s.name,
        policy: providerOf(s.policy),
        lockFile: defaults.lockFile,
        onChange: s.onChange ?? defaults.onChange,
        onNew: s.onNew ?? defaults.onNew,
        hideDenied: s.hideDenied ?? defaults.hideDenied,
        redactResults: s.redactResults ?? defaults.redactResults,
        poisoning: defaults.poisoning,
        ...(s.verify !== undefined ? { verify: s.verify } : {}),
      };
    });
  }
  if (!options.policy) throw new WardenError('ERR_MCP_OPTIONS', 'The MCP gateway needs a policy.');
  if (!options.upstream) throw new WardenError('ERR_MCP_OPTIONS', 'The MCP gateway needs an upstream server: { transport: "stdio", command } or { transport: "streamable-http", url }.');
  return [{ upstream: options.upstream, ...(options.serverName !== undefined ? { name: options.serverName } : {}), prefix: null, policy: providerOf(options.policy), ...defaults, ...(options.verify !== undefined ? { verify: options.verify } : {}) }];
}

/** Refuses a verified plugin server that lists a tool its signed manifest does not record, by name and definition digest. */
async function checkSignedTools(server: UpstreamServer): Promise<void> {
  const signed = server.config.signedTools;
  if (signed === undefined) return;
  for (const check of server.pinChecks()) {
    const digest = check.pin?.digest;
    if (!signed.some((t) => t.name === check.name && t.definition === digest)) {
      const { SupplyError } = await import('../../supply/errors.js');
      const named = signed.some((t) => t.name === check.name);
      throw new SupplyError('tool_definition', `MCP server ${server.name} lists the tool ${JSON.stringify(check.name.slice(0, 200))}${named ? ' with another definition than' : ', which is not in'} its signed manifest; the server was stopped.`);
    }
  }
}

function checkDetectOptions(detect: GatewayDetectOptions | undefined): void {
  if (detect === undefined) return;
  rejectUnknownKeys(detect, ['poisoning', 'results', 'resultModel'], 'ERR_MCP_OPTIONS', 'the MCP gateway detect option');
  if (detect.poisoning !== undefined && !['block', 'warn', 'off'].includes(detect.poisoning)) throw new WardenError('ERR_MCP_OPTIONS', `detect.poisoning must be "block", "warn" or "off"; got ${JSON.stringify(detect.poisoning)}.`);
  if (detect.results !== undefined && !['mark', 'withhold', 'off'].includes(detect.results)) throw new WardenError('ERR_MCP_OPTIONS', `detect.results must be "mark", "withhold" or "off"; got ${JSON.stringify(detect.results)}.`);
  const model = detect.resultModel as unknown;
  if (model !== undefined && (model === null || typeof model !== 'object' || typeof (model as AsyncTextDetector).detect !== 'function' || typeof (model as AsyncTextDetector).name !== 'string')) {
    throw new WardenError('ERR_MCP_OPTIONS', 'detect.resultModel must be a loaded tier 3 model: await loadOnnxDetector(config) from agent-warden/detect.');
  }
}

function providerOf(policy: PolicySet | PolicyProvider): PolicyProvider {
  return 'current' in policy && typeof policy.current === 'function' ? policy : { current: () => policy as PolicySet };
}

function checkMode(what: string, value: unknown, allowed: readonly string[]): void {
  if (!allowed.includes(value as string)) throw new WardenError('ERR_MCP_OPTIONS', `${what} must be ${allowed.join(' or ')}, not ${JSON.stringify(value)}.`);
}

function unknownServerText(name: string, servers: string[]): string {
  return `Tool ${JSON.stringify(name.slice(0, 200))} names no server behind this gateway: tools are called as "<server>__<tool>", and the servers are ${servers.join(', ')}; denied.`;
}

function denialText(verdict: Verdict): string {
  const by = verdict.rule !== null ? ` (rule ${verdict.rule}${verdict.policy ? ` of policy ${verdict.policy}` : ''})` : '';
  return `Denied by Warden${by}: ${verdict.reason}`;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
