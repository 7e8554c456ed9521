/**
 * One real MCP server behind the gateway: its connection, its pinned tool definitions, and the
 * pipeline (with its own policy) that decides the calls routed to it. The gateway holds one of
 * these per configured server; a server that exits takes only its own tools with it.
 */
import type { StateOptions } from '../../enforce/charge-stage.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ServerNotification, Tool } from '@modelcontextprotocol/sdk/types.js';

import { mcpTypes } from './sdk.js';
import { Pipeline, type Gate, type GateRefusal, type PolicyProvider } from '../../enforce/pipeline.js';
import type { AgentIdentity, DecisionSink } from '../../decision.js';
import type { CredentialVerifier } from '../../identity/credential.js';
import type { PolicySet } from '../../policy/policy-set.js';
import { scanToolList, type ToolScan } from '../../detect/poisoning.js';
import { readLockFile, writeServerPins } from './lock-file.js';
import { comparePins, describeCheck, pinsOf, type PinCheck, type ServerPins } from './pin.js';
import { connectUpstream, listAllTools, serverKey, serverLabel, type UpstreamSpec } from './upstream.js';
import type { ServerRequestForwarder } from './server-requests.js';
import type { PluginFacts } from '../../supply/facts.js';
import type { UpstreamVerification } from '../../supply/upstream-verify.js';

/** The rule and policy names the gateway's own denials (pins, unlisted tools) are recorded under. */
export const GATEWAY_POLICY = 'warden:mcp-gateway';
export const PIN_RULE = 'mcp-pin';
/** The rule name the gateway's tool-poisoning reports and refusals are recorded under. */
export const POISONING_RULE = 'mcp-poisoning';

/** Most distinct pin problems remembered for report-once purposes. */
const MAX_REPORTED = 10_000;

/** One server as the gateway runs it (normalized from the options or the config file). */
export interface UpstreamConfig {
  upstream: UpstreamSpec;
  /** The operator-given name (rules: `context.mcp.server`; lock key `name:<name>`), if any. */
  name?: string;
  /** The prefix its tools and prompts carry at the client (`<prefix>__<tool>`); null: none (one server). */
  prefix: string | null;
  policy: PolicyProvider;
  lockFile: string | null;
  onChange: 'block' | 'warn';
  onNew: 'block' | 'pin';
  hideDenied: boolean;
  redactResults: boolean;
  /** Tool poisoning in definitions: block (hide, refuse), warn (report), off (no scan). */
  poisoning: 'block' | 'warn' | 'off';
  /** What to verify before the server is started (see McpServerOptions.verify). */
  verify?: UpstreamVerification;
  /** The facts verification gave, for `context.plugin`; set before the server is started. */
  plugin?: PluginFacts;
  /** The tool definitions a verified plugin's manifest signed; the started server must list only these. */
  signedTools?: ReadonlyArray<{ name: string; definition: string }>;
}

/** What every server of one gateway shares. */
export interface SharedConfig {
  sink: DecisionSink;
  clock: () => Date;
  log: (message: string) => void;
  requestTimeoutMs: number;
  onAuditFailure?: 'deny' | 'allow-and-warn';
  identity: CredentialVerifier | null;
  upstreamStderr: 'inherit' | 'ignore';
  /** Session state shared by every server's pipeline. */
  state?: StateOptions;
  /** The server sent tools/list_changed and its tools were re-checked. */
  onToolsChanged(server: UpstreamServer): unknown;
  /** A notification for every client session (resource and prompt changes, log messages). */
  onNotification(server: UpstreamServer, notification: ServerNotification): unknown;
  /** The connection closed (the server exited). */
  onClosed(server: UpstreamServer): unknown;
  /** Handles sampling, elicitation and roots requests from the server. */
  forwarder: ServerRequestForwarder;
}

/**
 * A connected upstream server.
 *
 * @example
 * ```ts
 * const server = await UpstreamServer.start(config, shared);
 * server.gate('read_file'); // null when the tool is listed and its pin holds
 * ```
 */
export class UpstreamServer {
  /** The lock key (see serverKey). */
  readonly key: string;
  /** The name rules see as `context.mcp.server`. */
  readonly name: string;
  readonly prefix: string | null;
  readonly config: UpstreamConfig;
  readonly pipeline: Pipeline;
  readonly client: Client;
  /** Resolves when the connection closes. */
  readonly closed: Promise<void>;
  #alive = true;
  #pins: ServerPins | null;
  #tools = new Map<string, { tool: Tool; check: PinCheck }>();
  #scans = new Map<string, ToolScan>();
  #listed: Tool[] = [];
  #refreshing: Promise<void> | null = null;
  #again = false;
  readonly #reported = new Set<string>();
  readonly #shared: SharedConfig;

  private constructor(client: Client, config: UpstreamConfig, shared: SharedConfig, pins: ServerPins | null, closed: Promise<void>) {
    this.client = client;
    this.config = config;
    this.#shared = shared;
    this.#pins = pins;
    this.key = serverKey(config.upstream, config.name);
    this.name = serverLabel(config.upstream, config.name);
    this.prefix = config.prefix;
    this.closed = closed;
    this.pipeline = new Pipeline({
      policy: config.policy,
      sink: shared.sink,
      // The host is asked (MCP elicitation) by the gateway itself, after the decision: see approval-flow.ts.
      approval: 'defer',
      clock: shared.clock,
      ...(shared.identity !== null ? { identity: shared.identity } : {}),
      ...(shared.onAuditFailure !== undefined ? { onAuditFailure: shared.onAuditFailure } : {}),
      onWarning: (w) => shared.log(w.message),
      ...(shared.state !== undefined ? { state: shared.state } : {}),
    });
  }

  /**
   * Connects, lists the tools and checks them against the pins (pinning on first sight).
   *
   * @example
   * ```ts
   * const server = await UpstreamServer.start(config, shared);
   * ```
   * @throws WardenError `ERR_MCP_UPSTREAM`, `ERR_MCP_LOCK`.
   */
  static async start(config: UpstreamConfig, shared: SharedConfig): Promise<UpstreamServer> {
    const key = serverKey(config.upstream, config.name);
    const lock = config.lockFile === null ? null : await readLockFile(config.lockFile);
    const client = await connectUpstream(config.upstream, { timeoutMs: Math.min(shared.requestTimeoutMs, 30_000), onStderr: shared.upstreamStderr, capabilities: shared.forwarder.capabilities() });
    let onClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (onClosed = resolve));
    const server = new UpstreamServer(client, config, shared, lock?.servers[key] ?? null, closed);
    client.onclose = () => {
      server.#alive = false;
      onClosed();
      shared.onClosed(server);
    };
    client.setNotificationHandler(mcpTypes().ToolListChangedNotificationSchema, async () => {
      // The list is refreshed (and re-checked) right away, so a change is reported when it happens.
      await server.refreshTools().catch((e: unknown) => shared.log(`could not list the tools of MCP server ${server.name} after a change notification: ${messageOf(e)}`));
      shared.onToolsChanged(server);
    });
    for (const schema of [mcpTypes().ResourceListChangedNotificationSchema, mcpTypes().ResourceUpdatedNotificationSchema, mcpTypes().PromptListChangedNotificationSchema, mcpTypes().LoggingMessageNotificationSchema]) {
      client.setNotificationHandler(schema, async (n) => {
        shared.onNotification(server, n as ServerNotification);
      });
    }
    shared.forwarder.attach(server);
    try {
      await server.refreshTools();
    } catch (e) {
      await client.close().catch(() => undefined);
      throw e;
    }
    return server;
  }

  /** False once the connection closed. */
  get alive(): boolean {
    return this.#alive;
  }

  /** The PolicySet in force for this server. */
  get policySet(): PolicySet {
    return this.config.policy.current();
  }

  /** How each listed tool compares with its pin. */
  pinChecks(): PinCheck[] {
    return [...this.#tools.values()].map((t) => t.check);
  }

  /** The tools as last listed, in the server's order. */
  listed(): readonly Tool[] {
    return this.#listed;
  }

  /** The listed tool of that name and its pin check. */
  tool(name: string): { tool: Tool; check: PinCheck } | undefined {
    return this.#tools.get(name);
  }

  /**
   * Lists the tools again and checks them against the pins. Concurrent calls share listings; each
   * resolves after a listing that started after it was called.
   *
   * @example
   * ```ts
   * await server.refreshTools();
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

  /** The detection scan of a listed tool's definition, when it had findings or was scanned. */
  scan(name: string): ToolScan | undefined {
    return this.#scans.get(name);
  }

  /** The scan of a tool whose definition is poisoned and blocked (poisoning: block); else null. */
  poisoned(name: string): ToolScan | null {
    const scan = this.#scans.get(name);
    return scan !== undefined && scan.detected && this.config.poisoning === 'block' ? scan : null;
  }

  /** True when the tool's pin check keeps it from being listed or called. */
  blocked(check: PinCheck): boolean {
    if (check.status === 'pinned') return false;
    if (check.status === 'changed') return this.config.onChange !== 'warn';
    return true;
  }

  /** The gateway's own check for a call of `tool` (the server's own name): not running, not listed, or pin broken. */
  gate(tool: string): GateRefusal | null {
    if (!this.#alive) return { rule: PIN_RULE, policy: GATEWAY_POLICY, reason: `MCP server ${this.name} is not running (it exited or closed the connection), so its tool "${tool}" cannot be called; restart the gateway.` };
    const entry = this.#tools.get(tool);
    if (!entry) return { rule: PIN_RULE, policy: GATEWAY_POLICY, reason: `Tool "${tool}" is not in the tool list of MCP server ${this.name}, so it has no pinned definition; denied.` };
    if (this.blocked(entry.check)) return { rule: PIN_RULE, policy: GATEWAY_POLICY, reason: describeCheck(entry.check, this.name) };
    const poisoned = this.poisoned(tool);
    if (poisoned !== null) return { rule: POISONING_RULE, policy: GATEWAY_POLICY, reason: poisoningMessage(poisoned, this.name, true) };
    return null;
  }

  /** The gate as the pipeline takes it. */
  gateFor(tool: string): Gate {
    return () => this.gate(tool);
  }

  /** Closes the connection (a stdio server is stopped). */
  async close(): Promise<void> {
    this.#alive = false;
    await this.client.close().catch((e: unknown) => this.#shared.log(`closing the connection to MCP server ${this.name} failed: ${messageOf(e)}`));
  }

  async #refresh(): Promise<void> {
    const capabilities = this.client.getServerCapabilities();
    const tools = capabilities?.tools ? await listAllTools(this.client, { timeoutMs: this.#shared.requestTimeoutMs }) : [];
    let report = comparePins(tools, this.#pins);
    const firstSight = this.#pins === null;
    const fresh = report.checks.filter((c) => c.status === 'new');
    if (firstSight || (this.config.onNew === 'pin' && fresh.length > 0)) {
      const base: ServerPins = this.#pins ?? { pinnedAt: '', tools: {} };
      const added = pinsOf(fresh, this.#shared.clock());
      this.#pins = { pinnedAt: added.pinnedAt, tools: Object.assign(Object.create(null) as ServerPins['tools'], base.tools, added.tools) };
      if (this.config.lockFile !== null) await writeServerPins(this.config.lockFile, this.key, this.#pins);
      const where = this.config.lockFile !== null ? ` in ${this.config.lockFile}` : ' (in memory; no lock file)';
      this.#shared.log(
        firstSight
          ? `pinned ${fresh.length} tool definition${fresh.length === 1 ? '' : 's'} of MCP server ${this.name}${where}.`
          : `pinned new tool${fresh.length === 1 ? '' : 's'} ${fresh.map((c) => c.name).join(', ')} of MCP server ${this.name}${where} (onNew: pin).`,
      );
      report = comparePins(tools, this.#pins);
    }
    const map = new Map<string, { tool: Tool; check: PinCheck }>();
    report.checks.forEach((check, i) => map.set(check.name, { tool: tools[i] as Tool, check }));
    this.#tools = map;
    this.#listed = tools;
    this.#scans = this.#scanDefinitions(tools);
    for (const check of report.checks) if (check.status !== 'pinned') await this.#reportCheck(check);
    for (const name of report.removed) this.#reportOnce(`removed:${name}`, `tool "${name}" of MCP server ${this.name} is pinned but no longer listed.`);
    // After the pin reports: a definition both changed and poisoned is reported as changed first.
    for (const scan of this.#scans.values()) if (scan.findings.length > 0) await this.#reportPoisoning(scan);
  }

  /** Scans the listed definitions for poisoning, unless detection is off. */
  #scanDefinitions(tools: Tool[]): Map<string, ToolScan> {
    const out = new Map<string, ToolScan>();
    if (this.config.poisoning === 'off') return out;
    const known = Object.keys(this.#pins?.tools ?? {});
    for (const scan of scanToolList(tools, { knownNames: known })) out.set(scan.name, scan);
    return out;
  }

  async #reportPoisoning(scan: ToolScan): Promise<void> {
    const id = `poisoning:${scan.name}:${scan.findings.map((f) => `${f.rule}@${f.path ?? ''}`).join(',')}`;
    if (this.#reported.has(id)) return;
    const blocked = scan.detected && this.config.poisoning === 'block';
    const message = poisoningMessage(scan, this.name, blocked);
    this.#reportOnce(id, message);
    const context = { host: 'mcp', mcp: { server: this.name, upstream: this.config.upstream.transport, event: scan.detected ? 'tool_poisoned' : 'tool_suspicious', definition: definitionFacts(scan) } };
    await this.report(scan.name, {}, null, context, { effect: blocked ? 'deny' : 'warn', rule: POISONING_RULE, reason: message });
  }

  async #reportCheck(check: PinCheck): Promise<void> {
    const id = `${check.status}:${check.name}:${check.pin?.digest ?? check.error ?? ''}`;
    if (this.#reported.has(id)) return;
    const blocked = this.blocked(check);
    const message = describeCheck(check, this.name, { blocked });
    this.#reportOnce(id, message);
    const context = { host: 'mcp', mcp: { server: this.name, upstream: this.config.upstream.transport, event: `tool_${check.status}`, pinned: check.pinned?.digest ?? null, current: check.pin?.digest ?? null, fields: check.changedFields } };
    await this.report(check.name, {}, null, context, { effect: blocked ? 'deny' : 'warn', rule: PIN_RULE, reason: message });
  }

  /** Records something the gateway decided itself (a pin report, a refusal), through the pipeline like any call. */
  async report(tool: string, args: Record<string, unknown>, agent: AgentIdentity | null, context: Record<string, unknown>, finding: { effect: 'allow' | 'deny' | 'warn'; rule: string; reason: string; executed?: boolean }): Promise<boolean> {
    const { verdict } = await this.pipeline.report({ request: { tool, args, context }, ...(agent ? { agent } : {}) }, { ...finding, policy: GATEWAY_POLICY });
    if (!verdict.recorded && verdict.warnings.length === 0) this.#shared.log(`could not record the gateway's decision on "${tool}" in the audit log: ${verdict.reason}`);
    return verdict.recorded || verdict.warnings.length > 0;
  }

  #reportOnce(id: string, message: string): void {
    if (this.#reported.has(id)) return;
    if (this.#reported.size < MAX_REPORTED) this.#reported.add(id);
    this.#shared.log(message);
  }
}

/** The facts rules see about a tool's definition in `context.mcp.definition`. */
export function definitionFacts(scan: ToolScan): { poisoned: boolean; score: number; rules: string[] } {
  return { poisoned: scan.detected, score: scan.score, rules: [...new Set(scan.findings.map((f) => f.rule))] };
}

function poisoningMessage(scan: ToolScan, server: string, blocked: boolean): string {
  const top = [...scan.findings].sort((a, b) => b.score - a.score)[0];
  const where = top?.path !== undefined ? ` in ${top.path.replace(/^\$\./, '')}` : '';
  const what = scan.detected ? 'carries instructions to the model (tool poisoning)' : 'has suspicious text';
  const then = blocked ? 'it is blocked: hidden from the tool list and its calls refused. Review the server before trusting it' : scan.detected ? 'allowed because detect.poisoning is warn' : 'below the poisoning threshold, so it stays available';
  return `Tool "${scan.name}" of MCP server ${server} ${what}: ${top?.reason ?? 'see the findings'}${where}; ${then}.`;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
