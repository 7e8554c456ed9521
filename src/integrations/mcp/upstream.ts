/**
 * The real MCP server behind the gateway: how to reach it, what identifies it, and listing its
 * tools in full (every page, bounded).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ClientCapabilities, Tool } from '@modelcontextprotocol/sdk/types.js';
import { mcpClient } from './sdk.js';
import { canonicalJson } from '../../lib/canonical-json.js';
import { WardenError } from '../../errors.js';
import { VERSION } from '../../version.js';

/**
 * Where the real server is: a child process spoken to over stdio, or a Streamable HTTP endpoint.
 *
 * @example
 * ```ts
 * const fs: UpstreamSpec = { transport: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/workspace'] };
 * const remote: UpstreamSpec = { transport: 'streamable-http', url: 'http://127.0.0.1:8080/mcp' };
 * ```
 */
export type UpstreamSpec =
  | {
      transport: 'stdio';
      command: string;
      args?: string[];
      cwd?: string;
      /** The child's environment. Default: the gateway's own environment (a proxy is transparent). */
      env?: Record<string, string>;
    }
  | {
      transport: 'streamable-http';
      url: string;
      /** Extra HTTP headers sent with every request (an Authorization header, say). */
      headers?: Record<string, string>;
    };

/** Most pages read from one tools/list, and most tools in total. */
export const MAX_TOOL_PAGES = 1000;
export const MAX_TOOLS = 10_000;

/**
 * The identity of an upstream server, used as its lock-file key: the operator-given name when
 * there is one (`name:<name>`), else `stdio:` + the JSON argv, or `http:` + the URL. Never the
 * server's self-reported `serverInfo.name`, which the server controls.
 *
 * @example
 * ```ts
 * serverKey({ transport: 'stdio', command: 'node', args: ['server.js'] }); // 'stdio:["node","server.js"]'
 * serverKey({ transport: 'stdio', command: 'node' }, 'fs');                 // 'name:fs'
 * ```
 */
export function serverKey(spec: UpstreamSpec, name?: string): string {
  if (name !== undefined && name !== '') return `name:${name}`;
  if (spec.transport === 'stdio') return `stdio:${canonicalJson([spec.command, ...(spec.args ?? [])])}`;
  return `http:${new URL(spec.url).href}`;
}

/**
 * The server's name as rules see it in `context.server`: the operator-given name, else the command
 * line (argv joined with spaces) or the URL.
 *
 * @example
 * ```ts
 * serverLabel({ transport: 'stdio', command: 'node', args: ['server.js', '/tmp'] }); // 'node server.js /tmp'
 * ```
 */
export function serverLabel(spec: UpstreamSpec, name?: string): string {
  if (name !== undefined && name !== '') return name;
  if (spec.transport === 'stdio') return [spec.command, ...(spec.args ?? [])].join(' ');
  return new URL(spec.url).href;
}

/**
 * The upstream from a command line: the server command (after `--`), or an HTTP URL; exactly one.
 *
 * @example
 * ```ts
 * upstreamSpecOf(['node', 'server.js'], undefined);   // { transport: 'stdio', command: 'node', args: ['server.js'] }
 * upstreamSpecOf([], 'http://127.0.0.1:8080/mcp');    // { transport: 'streamable-http', url: 'http://127.0.0.1:8080/mcp' }
 * ```
 * @throws WardenError `ERR_MCP_OPTIONS` when both or neither are given.
 */
export function upstreamSpecOf(command: readonly string[], url: string | undefined): UpstreamSpec {
  if (url !== undefined && command.length > 0) throw new WardenError('ERR_MCP_OPTIONS', 'Give either --upstream-url or a server command after --, not both.');
  if (url !== undefined) return { transport: 'streamable-http', url };
  const [cmd, ...args] = command;
  if (cmd === undefined || cmd === '') throw new WardenError('ERR_MCP_OPTIONS', 'No MCP server given. Put its command after --: warden mcp-proxy --policy p.yaml -- npx -y @modelcontextprotocol/server-filesystem /workspace');
  return { transport: 'stdio', command: cmd, args: [...args] };
}

/**
 * Connects an MCP client to the upstream server (spawning it for stdio) and initializes it. The
 * client declares the `capabilities` given (default none: no sampling, elicitation or roots, so a
 * well-behaved server does not send such requests).
 *
 * @example
 * ```ts
 * const client = await connectUpstream({ transport: 'stdio', command: 'node', args: ['server.js'] });
 * const tools = await listAllTools(client);
 * ```
 * @throws WardenError `ERR_MCP_UPSTREAM` when the server cannot be started or does not initialize.
 */
export async function connectUpstream(spec: UpstreamSpec, options: { timeoutMs?: number; onStderr?: 'inherit' | 'ignore'; capabilities?: ClientCapabilities } = {}): Promise<Client> {
  const client = new (mcpClient().Client)({ name: 'warden-mcp-proxy', version: VERSION }, { capabilities: options.capabilities ?? {} });
  let transport;
  if (spec.transport === 'stdio') {
    if (typeof spec.command !== 'string' || spec.command === '') throw new WardenError('ERR_MCP_UPSTREAM', 'No MCP server command was given. Put it after --: warden mcp-proxy --policy p.yaml -- npx -y <server>.');
    // Each transport loads with the first upstream that uses it (the stdio one brings cross-spawn, the
    // HTTP one the SDK's OAuth client), not with agent-warden/mcp.
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    transport = new StdioClientTransport({
      command: spec.command,
      args: spec.args ?? [],
      env: spec.env ?? inheritedEnv(),
      stderr: options.onStderr ?? 'inherit',
      ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
    });
  } else {
    let url: URL;
    try {
      url = new URL(spec.url);
    } catch (e) {
      throw new WardenError('ERR_MCP_UPSTREAM', `The upstream URL ${JSON.stringify(spec.url)} does not parse.`, { cause: e });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WardenError('ERR_MCP_UPSTREAM', `The upstream URL must be http: or https:, not ${url.protocol}`);
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    transport = new StreamableHTTPClientTransport(url, spec.headers ? { requestInit: { headers: spec.headers } } : undefined);
  }
  try {
    await client.connect(transport, { timeout: options.timeoutMs ?? 30_000 });
  } catch (e) {
    await client.close().catch(() => undefined);
    const what = spec.transport === 'stdio' ? `start the MCP server ${serverLabel(spec)}` : `reach the MCP server at ${spec.url}`;
    throw new WardenError('ERR_MCP_UPSTREAM', `Could not ${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return client;
}

/**
 * Lists every tool of a connected server, following `nextCursor`, within MAX_TOOL_PAGES pages and
 * MAX_TOOLS tools.
 *
 * @example
 * ```ts
 * const tools = await listAllTools(client);
 * tools.map((t) => t.name); // ['read_file', 'write_file', …]
 * ```
 * @throws WardenError `ERR_MCP_UPSTREAM` when the listing exceeds a limit or repeats a cursor;
 *   errors of the server pass through.
 */
export async function listAllTools(client: Client, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Tool[]> {
  const tools: Tool[] = [];
  const cursors = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page++) {
    const result = await client.listTools(cursor === undefined ? undefined : { cursor }, { ...(options.signal ? { signal: options.signal } : {}), timeout: options.timeoutMs ?? 60_000 });
    tools.push(...result.tools);
    if (tools.length > MAX_TOOLS) throw new WardenError('ERR_MCP_UPSTREAM', `The MCP server lists more than ${MAX_TOOLS} tools.`);
    cursor = result.nextCursor;
    if (cursor === undefined) return tools;
    if (cursors.has(cursor)) throw new WardenError('ERR_MCP_UPSTREAM', 'The MCP server repeated a tools/list cursor; the listing would never end.');
    cursors.add(cursor);
  }
  throw new WardenError('ERR_MCP_UPSTREAM', `The MCP server's tools/list has more than ${MAX_TOOL_PAGES} pages.`);
}

function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}
