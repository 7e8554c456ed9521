/**
 * The MCP gateway: an MCP server in front of a real MCP server. The client (an IDE, an agent)
 * talks to the gateway; the gateway decides every tools/call with the Governor before the real
 * server sees it, checks tool definitions against their pins, and passes the rest through.
 *
 * One upstream connection serves every downstream session (one for stdio, one per Streamable
 * HTTP session). Each session gets its own MCP `Server`, so elicitation for an approval goes back
 * to the client that made the call.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra, RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  CompleteRequestSchema,
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  PromptListChangedNotificationSchema,
  ReadResourceRequestSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  ToolListChangedNotificationSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
  type ServerCapabilities,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { redact } from '../../audit/redact.js';
import { scanOutput } from '../../detect/output.js';
import { scanToolList, type ToolScan } from '../../detect/poisoning.js';
import type { ApprovalRequest } from '../../enforce/approval.js';
import { Pipeline, type Gate, type PolicyProvider } from '../../enforce/pipeline.js';
import type { AgentIdentity, DecisionSink } from '../../decision.js';
import type { Verdict } from '../../enforce/verdict.js';
import { WardenError } from '../../errors.js';
import { rejectUnknownKeys } from '../../lib/options.js';
import type { PolicySet } from '../../policy/policy-set.js';
import { approvalAnswer, approvalForm } from './approval.js';
import { alwaysDenied } from './hide.js';
import { writeServerPins, readLockFile } from './lock-file.js';
import { comparePins, describeCheck, pinsOf, type PinCheck, type ServerPins } from './pin.js';
import { connectUpstream, listAllTools, serverKey, serverLabel, type UpstreamSpec } from './upstream.js';

/** How the MCP client reaches the gateway: rules see it as `context.mcp.transport`. */
export type DownstreamTransport = 'stdio' | 'streamable-http';

/**
 * Options of {@link McpGateway.start}.
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
  upstream: UpstreamSpec;
  /** The server's name for rules (`context.mcp.server`) and its lock key. Default: the command line or URL. */
  serverName?: string;
  /** The policy in force: a PolicySet, or a PolicyStore that hot-reloads. */
  policy: PolicySet | PolicyProvider;
  /** Where decisions are recorded. Default: nowhere (no audit log). */
  sink?: DecisionSink;
  /** The agent id rules see as `agent.id`. Default `mcp-client`. */
  agentId?: string;
  /** Leave out of tools/list the tools the policy denies for every call (see alwaysDenied). */
  hideDenied?: boolean;
  /** Redact credentials in every result from the server (tools, resources, prompts) before the client sees it. */
  redactResults?: boolean;
  /** The pin lock file. Default: pins held in memory for the gateway's lifetime only. */
  lockFile?: string;
  /** A pinned tool whose definition changed: `block` (default) its calls and hide it, or `warn` and let it through. */
  onChange?: 'block' | 'warn';
  /** A tool missing from the pins of an already pinned server: `block` (default) like a change, or `pin` it on first sight. */
  onNew?: 'block' | 'pin';
  /** How long an approval (elicitation) may take. Default 5 minutes. */
  approvalTimeoutMs?: number;
  /** Timeout of each request to the server, restarted by progress notifications. Default 5 minutes. */
  requestTimeoutMs?: number;
  /** When a decision cannot be recorded: deny (default) or allow and warn. */
  onAuditFailure?: 'deny' | 'allow-and-warn';
  clock?: () => Date;
  /** Where reports go (pin changes, warnings). Default: standard error. */
  log?: (message: string) => void;
  /** How the upstream child's standard error is handled. Default `inherit`. */
  upstreamStderr?: 'inherit' | 'ignore';
  /** Detection on tool definitions and results (agent-warden/detect). Default `{ poisoning: 'block', results: 'mark' }`. */
  detect?: GatewayDetectOptions;
}

/**
 * What the gateway does with detection (see docs/detection.md).
 *
 * @example
 * ```ts
 * const detect: GatewayDetectOptions = { poisoning: 'block', results: 'withhold' };
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
}

/** The tool result a client gets for a call the gateway refused. */
function refusal(reason: string): CallToolResult {
  return { content: [{ type: 'text', text: reason }], isError: true };
}

/** The rule and policy names the gateway's own denials (pins, unlisted tools) are recorded under. */
export const GATEWAY_POLICY = 'warden:mcp-gateway';
export const PIN_RULE = 'mcp-pin';
/** The rule name the gateway's tool-poisoning reports and refusals are recorded under. */
export const POISONING_RULE = 'mcp-poisoning';

const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;
const DEFAULT_AGENT_ID = 'mcp-client';
/** Most distinct pin problems remembered for report-once purposes. */
const MAX_REPORTED = 10_000;
/** Longest client name or version kept as an identity label. */
const MAX_LABEL = 256;

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

interface Session {
  server: Server;
  transport: DownstreamTransport;
}

const DISCARD: DecisionSink = { write: async () => undefined };

/**
 * The gateway. Start it with {@link McpGateway.start}, then connect client transports.
 *
 * @example
 * ```ts
 * const gateway = await McpGateway.start({ upstream, policy, lockFile });
 * await gateway.connect(new StdioServerTransport(), 'stdio');
 * await gateway.closed;  // the upstream server went away
 * await gateway.close();
 * ```
 */
export class McpGateway {
  /** The server's lock key (see serverKey). */
  readonly serverKey: string;
  /** The server's name as rules see it in `context.mcp.server`. */
  readonly serverName: string;
  readonly lockFile: string | null;
  /** Resolves when the upstream connection closes (the server exited, or close() was called). */
  readonly closed: Promise<void>;

  readonly #client: Client;
  readonly #options: McpGatewayOptions;
  readonly #policy: PolicyProvider;
  readonly #pipeline: Pipeline;
  readonly #log: (message: string) => void;
  readonly #clock: () => Date;
  readonly #sessions = new Set<Session>();
  readonly #reported = new Set<string>();
  #pins: ServerPins | null;
  #tools = new Map<string, { tool: Tool; check: PinCheck }>();
  #scans = new Map<string, ToolScan>();
  #listed: Tool[] = [];
  #refreshing: Promise<void> | null = null;
  #again = false;
  #closing = false;

  private constructor(client: Client, options: McpGatewayOptions, pins: ServerPins | null, closed: Promise<void>) {
    this.#client = client;
    this.#options = options;
    const policy = options.policy;
    this.#policy = 'current' in policy && typeof policy.current === 'function' ? policy : { current: () => policy as PolicySet };
    this.#pipeline = new Pipeline({
      policy: this.#policy,
      sink: options.sink ?? DISCARD,
      ...(options.approvalTimeoutMs !== undefined ? { approvalTimeoutMs: options.approvalTimeoutMs } : {}),
      ...(options.onAuditFailure !== undefined ? { onAuditFailure: options.onAuditFailure } : {}),
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      onWarning: (w) => this.#log(w.message),
    });
    this.#log = options.log ?? ((m) => process.stderr.write(`warden mcp-proxy: ${m}\n`));
    this.#clock = options.clock ?? (() => new Date());
    this.#pins = pins;
    this.serverKey = serverKey(options.upstream, options.serverName);
    this.serverName = serverLabel(options.upstream, options.serverName);
    this.lockFile = options.lockFile ?? null;
    this.closed = closed;
  }

  /**
   * Connects to the upstream server, lists its tools and checks them against the pins (pinning
   * them on first sight, writing the lock file), and returns the running gateway.
   *
   * @example
   * ```ts
   * const gateway = await McpGateway.start({ upstream: { transport: 'stdio', command: 'node', args: ['server.js'] }, policy });
   * ```
   * @throws WardenError `ERR_MCP_UPSTREAM` (server unreachable), `ERR_MCP_LOCK` (lock file unreadable or invalid).
   */
  static async start(options: McpGatewayOptions): Promise<McpGateway> {
    if (!options.policy) throw new WardenError('ERR_MCP_OPTIONS', 'The MCP gateway needs a policy.');
    checkDetectOptions(options.detect);
    const key = serverKey(options.upstream, options.serverName);
    const lock = options.lockFile === undefined ? null : await readLockFile(options.lockFile);
    const client = await connectUpstream(options.upstream, { timeoutMs: options.requestTimeoutMs ?? 30_000, onStderr: options.upstreamStderr ?? 'inherit' });
    let onClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (onClosed = resolve));
    const gateway = new McpGateway(client, options, lock?.servers[key] ?? null, closed);
    client.onclose = () => {
      onClosed();
      gateway.#upstreamClosed();
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      // The list is refreshed (and re-checked) right away, so a change is reported when it happens.
      await gateway.refreshTools().catch((e: unknown) => gateway.#log(`could not list tools after a change notification: ${messageOf(e)}`));
      gateway.#broadcast((s) => s.sendToolListChanged());
    });
    for (const schema of [ResourceListChangedNotificationSchema, ResourceUpdatedNotificationSchema, PromptListChangedNotificationSchema, LoggingMessageNotificationSchema]) {
      client.setNotificationHandler(schema, async (n) => gateway.#broadcast((s) => s.notification(n as ServerNotification)));
    }
    try {
      await gateway.refreshTools();
    } catch (e) {
      await client.close().catch(() => undefined);
      throw e;
    }
    return gateway;
  }

  /**
   * How each tool the server lists now compares with its pin.
   *
   * @example
   * ```ts
   * gateway.pinChecks().filter((c) => c.status === 'changed').map((c) => c.name);
   * ```
   */
  pinChecks(): PinCheck[] {
    return [...this.#tools.values()].map((t) => t.check);
  }

  /**
   * Lists the server's tools again and checks them against the pins: pins them on first sight
   * (and writes the lock), reports each changed, new or unhashable tool once on the log and in
   * the audit log. Concurrent calls share listings, and each resolves after a listing that
   * started after it was called.
   *
   * @example
   * ```ts
   * await gateway.refreshTools();
   * ```
   */
  async refreshTools(): Promise<void> {
    if (this.#refreshing) {
      // invariant: a caller that joins a listing in progress still gets one that started after it asked.
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        await this.#refresh();
      } while (this.#again);
    })().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  /**
   * Serves one MCP client over `transport`: a new MCP server session in front of the shared
   * upstream connection.
   *
   * @example
   * ```ts
   * await gateway.connect(new StdioServerTransport(), 'stdio');
   * ```
   */
  async connect(transport: Transport, kind: DownstreamTransport): Promise<Server> {
    if (this.#closing) throw new WardenError('ERR_MCP_CLOSED', 'The MCP gateway is closed.');
    const server = this.#createServer(kind);
    const session: Session = { server, transport: kind };
    this.#sessions.add(session);
    server.onclose = () => this.#sessions.delete(session);
    await server.connect(transport);
    return server;
  }

  /**
   * Closes every client session and the upstream connection (a stdio server is stopped). Does not
   * close the sink: it belongs to the caller.
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
    await this.#client.close().catch((e: unknown) => this.#log(`closing the server connection failed: ${messageOf(e)}`));
  }

  #upstreamClosed(): void {
    if (!this.#closing) this.#log(`the MCP server ${this.serverName} closed the connection; closing every client session.`);
    this.#closing = true;
    for (const s of this.#sessions) void s.server.close().catch(() => undefined);
  }

  async #refresh(): Promise<void> {
    const capabilities = this.#client.getServerCapabilities();
    const tools = capabilities?.tools ? await listAllTools(this.#client, { timeoutMs: this.#timeout() }) : [];
    let report = comparePins(tools, this.#pins);
    const firstSight = this.#pins === null;
    const fresh = report.checks.filter((c) => c.status === 'new');
    if (firstSight || (this.#options.onNew === 'pin' && fresh.length > 0)) {
      const base: ServerPins = this.#pins ?? { pinnedAt: '', tools: {} };
      const added = pinsOf(fresh, this.#clock());
      this.#pins = { pinnedAt: added.pinnedAt, tools: Object.assign(Object.create(null) as ServerPins['tools'], base.tools, added.tools) };
      if (this.lockFile !== null) await writeServerPins(this.lockFile, this.serverKey, this.#pins);
      const where = this.lockFile !== null ? ` in ${this.lockFile}` : ' (in memory; no lock file)';
      this.#log(
        firstSight
          ? `pinned ${fresh.length} tool definition${fresh.length === 1 ? '' : 's'} of MCP server ${this.serverName}${where}.`
          : `pinned new tool${fresh.length === 1 ? '' : 's'} ${fresh.map((c) => c.name).join(', ')} of MCP server ${this.serverName}${where} (onNew: pin).`,
      );
      report = comparePins(tools, this.#pins);
    }
    const map = new Map<string, { tool: Tool; check: PinCheck }>();
    report.checks.forEach((check, i) => map.set(check.name, { tool: tools[i] as Tool, check }));
    this.#tools = map;
    this.#listed = tools;
    this.#scans = this.#scanDefinitions(tools);
    for (const check of report.checks) if (check.status !== 'pinned') await this.#reportCheck(check);
    for (const name of report.removed) this.#reportOnce(`removed:${name}`, `tool "${name}" of MCP server ${this.serverName} is pinned but no longer listed.`);
    // After the pin reports: a definition both changed and poisoned is reported as changed first.
    for (const scan of this.#scans.values()) if (scan.findings.length > 0) await this.#reportPoisoning(scan);
  }

  async #reportCheck(check: PinCheck): Promise<void> {
    const id = `${check.status}:${check.name}:${check.pin?.digest ?? check.error ?? ''}`;
    if (this.#reported.has(id)) return;
    const blocked = this.#blocked(check);
    const message = describeCheck(check, this.serverName, { blocked });
    this.#reportOnce(id, message);
    const context = this.#baseContext(null, { event: `tool_${check.status}`, pinned: check.pinned?.digest ?? null, current: check.pin?.digest ?? null, fields: check.changedFields });
    await this.#report(check.name, {}, null, context, message, blocked);
  }

  /** Scans the listed definitions for poisoning, unless detection is off. */
  #scanDefinitions(tools: Tool[]): Map<string, ToolScan> {
    const out = new Map<string, ToolScan>();
    if (this.#poisoningMode() === 'off') return out;
    const known = Object.keys(this.#pins?.tools ?? {});
    for (const scan of scanToolList(tools, { knownNames: known })) out.set(scan.name, scan);
    return out;
  }

  #poisoningMode(): 'block' | 'warn' | 'off' {
    return this.#options.detect?.poisoning ?? 'block';
  }

  #poisoned(name: string): ToolScan | null {
    const scan = this.#scans.get(name);
    return scan !== undefined && scan.detected && this.#poisoningMode() === 'block' ? scan : null;
  }

  async #reportPoisoning(scan: ToolScan): Promise<void> {
    const id = `poisoning:${scan.name}:${scan.findings.map((f) => `${f.rule}@${f.path ?? ''}`).join(',')}`;
    if (this.#reported.has(id)) return;
    const blocked = scan.detected && this.#poisoningMode() === 'block';
    const message = poisoningMessage(scan, this.serverName, blocked);
    this.#reportOnce(id, message);
    const context = this.#baseContext(null, { event: scan.detected ? 'tool_poisoned' : 'tool_suspicious', definition: definitionFacts(scan) });
    const { verdict } = await this.#pipeline.report({ request: { tool: scan.name, args: {}, context } }, { effect: blocked ? 'deny' : 'warn', rule: POISONING_RULE, policy: GATEWAY_POLICY, reason: message });
    if (!verdict.recorded && verdict.warnings.length === 0) this.#log(`could not record the gateway's decision on "${scan.name}" in the audit log: ${verdict.reason}`);
  }

  #reportOnce(id: string, message: string): void {
    if (this.#reported.has(id)) return;
    if (this.#reported.size < MAX_REPORTED) this.#reported.add(id);
    this.#log(message);
  }

  #blocked(check: PinCheck): boolean {
    if (check.status === 'pinned') return false;
    if (check.status === 'changed') return this.#options.onChange !== 'warn';
    return true;
  }

  #createServer(kind: DownstreamTransport): Server {
    const upstream = this.#client.getServerCapabilities() ?? {};
    const capabilities: ServerCapabilities = { tools: { listChanged: true } };
    if (upstream.resources) capabilities.resources = { ...(upstream.resources.subscribe ? { subscribe: true } : {}), ...(upstream.resources.listChanged ? { listChanged: true } : {}) };
    if (upstream.prompts) capabilities.prompts = upstream.prompts.listChanged ? { listChanged: true } : {};
    if (upstream.completions) capabilities.completions = {};
    if (upstream.logging) capabilities.logging = {};
    const info = this.#client.getServerVersion() ?? { name: 'mcp-server', version: '0.0.0' };
    const instructions = this.#client.getInstructions();
    const server = new Server({ name: info.name, version: info.version }, { capabilities, ...(instructions !== undefined ? { instructions } : {}) });
    const session = (): Session => ({ server, transport: kind });

    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await this.#visibleTools(session()) }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => this.#callTool(session(), request.params, extra));
    if (capabilities.resources) {
      server.setRequestHandler(ListResourcesRequestSchema, async (r, extra) => this.#client.listResources(r.params, this.#forwardOptions(extra)));
      server.setRequestHandler(ListResourceTemplatesRequestSchema, async (r, extra) => this.#client.listResourceTemplates(r.params, this.#forwardOptions(extra)));
      server.setRequestHandler(ReadResourceRequestSchema, async (r, extra) => {
        const args = { uri: r.params.uri };
        await this.#governOther(session(), 'resources/read', args, extra);
        return this.#redactOther(await this.#client.readResource(args, this.#forwardOptions(extra)));
      });
      if (capabilities.resources.subscribe) {
        server.setRequestHandler(SubscribeRequestSchema, async (r, extra) => this.#client.subscribeResource(r.params, this.#forwardOptions(extra)));
        server.setRequestHandler(UnsubscribeRequestSchema, async (r, extra) => this.#client.unsubscribeResource(r.params, this.#forwardOptions(extra)));
      }
    }
    if (capabilities.prompts) {
      server.setRequestHandler(ListPromptsRequestSchema, async (r, extra) => this.#client.listPrompts(r.params, this.#forwardOptions(extra)));
      server.setRequestHandler(GetPromptRequestSchema, async (r, extra) => {
        const args = { name: r.params.name, arguments: structuredClone(r.params.arguments ?? {}) };
        await this.#governOther(session(), 'prompts/get', args, extra);
        return this.#redactOther(await this.#client.getPrompt(args, this.#forwardOptions(extra)));
      });
    }
    if (capabilities.completions) server.setRequestHandler(CompleteRequestSchema, async (r, extra) => this.#client.complete(r.params, this.#forwardOptions(extra)));
    if (capabilities.logging) server.setRequestHandler(SetLevelRequestSchema, async (r, extra) => this.#client.setLoggingLevel(r.params.level, this.#forwardOptions(extra)));
    return server;
  }

  async #visibleTools(session: Session): Promise<Tool[]> {
    await this.refreshTools();
    const set = this.#policy.current();
    const agent = this.#agent(session);
    const context = this.#baseContext(session);
    const out: Tool[] = [];
    for (const tool of this.#listed) {
      const entry = this.#tools.get(tool.name);
      if (!entry || this.#blocked(entry.check) || this.#poisoned(tool.name) !== null) continue;
      if (this.#options.hideDenied && alwaysDenied(set, tool.name, agent, context)) continue;
      out.push(tool);
    }
    return out;
  }

  async #callTool(session: Session, params: { name: string; arguments?: Record<string, unknown> | undefined }, extra: Extra): Promise<CallToolResult> {
    const name = params.name;
    const agent = this.#agent(session);
    if (!this.#tools.has(name)) await this.refreshTools();
    const scanned = this.#scans.get(name);
    const context = this.#baseContext(session, { requestId: String(extra.requestId), ...(scanned !== undefined && scanned.findings.length > 0 ? { definition: definitionFacts(scanned) } : {}) }, extra);
    // The pins are the gateway's own check: asked before the policy, and again after an approval wait.
    const gate: Gate = () => {
      const entry = this.#tools.get(name);
      if (!entry) return { rule: PIN_RULE, policy: GATEWAY_POLICY, reason: `Tool "${name}" is not in the tool list of MCP server ${this.serverName}, so it has no pinned definition; denied.` };
      if (this.#blocked(entry.check)) return { rule: PIN_RULE, policy: GATEWAY_POLICY, reason: describeCheck(entry.check, this.serverName) };
      const poisoned = this.#poisoned(name);
      if (poisoned !== null) return { rule: POISONING_RULE, policy: GATEWAY_POLICY, reason: poisoningMessage(poisoned, this.serverName, true) };
      return null;
    };
    const { verdict, snapshot } = await this.#pipeline.decide({
      request: { tool: name, args: params.arguments ?? {}, context },
      agent,
      gate,
      approvalHandler: (ask: ApprovalRequest) => this.#elicit(session, ask, extra),
    });
    // The gateway's own refusals (pins) read as they always have; policy denials name their rule.
    if (!verdict.allowed || snapshot === null) return refusal(verdict.policy === GATEWAY_POLICY ? verdict.reason : denialText(verdict));
    // invariant: only what was decided goes to the server: the name and a copy of the decided arguments, no client _meta.
    const args = (JSON.parse(snapshot.text) as { args: Record<string, unknown> }).args;
    const started = performance.now();
    let result: CallToolResult;
    try {
      result = await this.#client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema, this.#forwardOptions(extra));
    } catch (e) {
      await this.#pipeline.observe({ call: verdict.call, tool: name, agent }, { status: 'error', durationMs: performance.now() - started, error: { name: e instanceof Error ? e.name : 'Error', message: messageOf(e) } });
      throw e;
    }
    const durationMs = performance.now() - started;
    const mode = this.#options.detect?.results ?? 'mark';
    const scan = mode === 'off' ? null : scanOutput(result);
    const detected = scan === null ? {} : { ...(scan.labels.length > 0 ? { labels: scan.labels } : {}), ...(scan.findings.length > 0 ? { findings: scan.findings } : {}) };
    await this.#pipeline.observe({ call: verdict.call, tool: name, agent }, result.isError === true ? { status: 'error', durationMs, error: { name: 'ToolError', message: 'the tool reported an error (isError)' }, ...detected } : { status: 'ok', durationMs, ...detected });
    if (scan !== null && scan.injection && mode === 'withhold') {
      const why = scan.findings.find((f) => f.detector === 'injection')?.reason ?? 'it carries instructions to the model';
      return refusal(`Warden withheld the result of ${name}: ${why}. The session is marked untrusted.`);
    }
    if (!this.#options.redactResults) return result;
    try {
      return redact(result);
    } catch (e) {
      return refusal(`The result of ${name} could not be redacted (${messageOf(e)}), so it was withheld.`);
    }
  }

  /** Decides resources/read and prompts/get; throws an MCP error when not allowed. */
  async #governOther(session: Session, tool: string, args: Record<string, unknown>, extra: Extra): Promise<void> {
    const { verdict } = await this.#pipeline.decide({
      request: { tool, args, context: this.#baseContext(session, { requestId: String(extra.requestId) }, extra) },
      agent: this.#agent(session),
      approvalHandler: (ask: ApprovalRequest) => this.#elicit(session, ask, extra),
    });
    if (!verdict.allowed) throw new McpError(ErrorCode.InvalidRequest, denialText(verdict));
  }

  #redactOther<T>(result: T): T {
    if (!this.#options.redactResults) return result;
    try {
      return redact(result);
    } catch (e) {
      throw new McpError(ErrorCode.InternalError, `The result could not be redacted (${messageOf(e)}), so it was withheld.`);
    }
  }

  async #elicit(session: Session, ask: ApprovalRequest, extra: Extra): Promise<true | string> {
    if (!session.server.getClientCapabilities()?.elicitation?.form) {
      throw new Error('the MCP client did not declare the elicitation capability (form mode), so nobody could be asked');
    }
    const timeout = this.#options.approvalTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const result = await extra.sendRequest({ method: 'elicitation/create', params: approvalForm(ask) }, ElicitResultSchema, { timeout, signal: extra.signal });
    return approvalAnswer(result);
  }

  /** Records something the gateway decided itself (a pin report), through the pipeline like any call. */
  async #report(tool: string, args: Record<string, unknown>, agent: AgentIdentity | null, context: Record<string, unknown>, reason: string, blocked: boolean): Promise<void> {
    const { verdict } = await this.#pipeline.report({ request: { tool, args, context }, ...(agent ? { agent } : {}) }, { effect: blocked ? 'deny' : 'warn', rule: PIN_RULE, policy: GATEWAY_POLICY, reason });
    if (!verdict.recorded && verdict.warnings.length === 0) this.#log(`could not record the gateway's decision on "${tool}" in the audit log: ${verdict.reason}`);
  }

  #agent(session: Session): AgentIdentity {
    const info = session.server.getClientVersion();
    const labels: Record<string, string> = {};
    if (info && typeof info.name === 'string') labels.mcp_client_name = info.name.slice(0, MAX_LABEL);
    if (info && typeof info.version === 'string') labels.mcp_client_version = info.version.slice(0, MAX_LABEL);
    return { id: this.#options.agentId ?? DEFAULT_AGENT_ID, labels };
  }

  /** The context every request carries (docs/context.md): `host`, `session`, and the gateway's own facts under `mcp`. */
  #baseContext(session: Session | null, more: Record<string, unknown> = {}, extra?: Extra): Record<string, unknown> {
    const mcp = { server: this.serverName, ...(session ? { transport: session.transport } : {}), upstream: this.#options.upstream.transport, ...more };
    const sessionId = extra?.sessionId;
    return { host: 'mcp', ...(typeof sessionId === 'string' && sessionId !== '' ? { session: sessionId } : {}), mcp };
  }

  #timeout(): number {
    return this.#options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  #forwardOptions(extra: Extra): RequestOptions {
    const token = extra._meta?.progressToken;
    const options: RequestOptions = { signal: extra.signal, timeout: this.#timeout(), resetTimeoutOnProgress: true };
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
}

function checkDetectOptions(detect: GatewayDetectOptions | undefined): void {
  if (detect === undefined) return;
  rejectUnknownKeys(detect, ['poisoning', 'results'], 'ERR_MCP_OPTIONS', 'the MCP gateway detect option');
  if (detect.poisoning !== undefined && !['block', 'warn', 'off'].includes(detect.poisoning)) throw new WardenError('ERR_MCP_OPTIONS', `detect.poisoning must be "block", "warn" or "off"; got ${JSON.stringify(detect.poisoning)}.`);
  if (detect.results !== undefined && !['mark', 'withhold', 'off'].includes(detect.results)) throw new WardenError('ERR_MCP_OPTIONS', `detect.results must be "mark", "withhold" or "off"; got ${JSON.stringify(detect.results)}.`);
}

/** The facts rules see about a tool's definition in `context.mcp.definition`. */
function definitionFacts(scan: ToolScan): { poisoned: boolean; score: number; rules: string[] } {
  return { poisoned: scan.detected, score: scan.score, rules: [...new Set(scan.findings.map((f) => f.rule))] };
}

function poisoningMessage(scan: ToolScan, server: string, blocked: boolean): string {
  const top = [...scan.findings].sort((a, b) => b.score - a.score)[0];
  const where = top?.path !== undefined ? ` in ${top.path.replace(/^\$\./, '')}` : '';
  const what = scan.detected ? 'carries instructions to the model (tool poisoning)' : 'has suspicious text';
  const then = blocked ? 'it is blocked: hidden from the tool list and its calls refused. Review the server before trusting it' : scan.detected ? 'allowed because detect.poisoning is warn' : 'below the poisoning threshold, so it stays available';
  return `Tool "${scan.name}" of MCP server ${server} ${what}: ${top?.reason ?? 'see the findings'}${where}; ${then}.`;
}

function denialText(verdict: Verdict): string {
  const by = verdict.rule !== null ? ` (rule ${verdict.rule}${verdict.policy ? ` of policy ${verdict.policy}` : ''})` : '';
  return `Denied by Warden${by}: ${verdict.reason}`;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
