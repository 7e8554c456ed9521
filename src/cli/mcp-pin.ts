/** `warden mcp-pin`: approve an MCP server's current tool definitions by writing their pins to the lock file. */
import type { Command } from 'commander';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { lockPathFor, readLockFile, writeServerPins } from '../integrations/mcp/lock-file.js';
import { comparePins, pinsOf, type PinCheck } from '../integrations/mcp/pin.js';
import { connectUpstream, listAllTools, serverKey, serverLabel, upstreamSpecOf, type UpstreamSpec } from '../integrations/mcp/upstream.js';
import { WardenError } from '../errors.js';
import { EXIT, reportFatal } from './output.js';

interface PinOptions {
  policy?: string[];
  config?: string;
  server?: string[];
  lock?: string;
  serverName?: string;
  upstreamUrl?: string;
  dryRun?: boolean;
}

/** Longest description excerpt printed for a changed or new tool. */
const SHOWN_DESCRIPTION = 300;

/** Registers `warden mcp-pin`. */
export function registerMcpPinCommand(program: Command): void {
  program
    .command('mcp-pin')
    .description("Start an MCP server, list its tools and record their definitions in the lock file (approving changed or new tools). The server command goes after --, exactly as given to mcp-proxy. Exit 0 written (or, with --dry-run, nothing to change); 1 some tool could not be pinned (or --dry-run found changes); 2 error.")
    .option('-p, --policy <paths...>', 'policy files or directories (the lock file sits beside the first)')
    .option('-c, --config <file>', 'pin the servers of a gateway configuration (warden.mcp.yaml), into its lock file')
    .option('--server <names...>', 'with --config: only these servers (default: every server)')
    .option('--lock <file>', 'the pin lock file (default: warden-mcp.lock.json beside the policy)')
    .option('--server-name <name>', 'the server name, as given to mcp-proxy')
    .option('--upstream-url <url>', 'the server is a Streamable HTTP endpoint, not a command')
    .option('--dry-run', 'show what would change; write nothing')
    .argument('[command...]', 'the MCP server command and its arguments, after --')
    .action(async (command: string[], opts: PinOptions) => {
      process.exitCode = await runPin(command, opts);
    });
}

async function runPin(command: string[], opts: PinOptions): Promise<number> {
  try {
    if (opts.config !== undefined) return await runPinConfig(command, opts);
    if (opts.server !== undefined) throw new WardenError('ERR_MCP_OPTIONS', '--server picks servers of --config; for one server give --server-name and its command.');
    if (opts.policy === undefined) throw new WardenError('ERR_MCP_OPTIONS', 'Give --policy <file> and the server command after --, or --config warden.mcp.yaml.');
    const upstream = upstreamSpecOf(command, opts.upstreamUrl);
    const lockFile = opts.lock ?? (await lockPathFor(opts.policy));
    return await pinOne(upstream, opts.serverName, lockFile, opts.dryRun === true);
  } catch (e) {
    return reportFatal(e);
  }
}

/** `--config`: every server of the configuration (or those named by --server), each under `name:<server>`. */
async function runPinConfig(command: string[], opts: PinOptions): Promise<number> {
  if (command.length > 0 || opts.upstreamUrl !== undefined || opts.policy !== undefined || opts.serverName !== undefined) {
    throw new WardenError('ERR_MCP_OPTIONS', '--config names the servers; leave out --policy, --server-name, --upstream-url and the command after --.');
  }
  const { readMcpConfig } = await import('../integrations/mcp/config-file.js');
  const config = await readMcpConfig(opts.config as string);
  const names = config.servers.map((s) => s.name);
  const unknown = (opts.server ?? []).filter((n) => !names.includes(n));
  if (unknown.length > 0) throw new WardenError('ERR_MCP_OPTIONS', `--server ${unknown.join(', ')}: not in ${config.path} (its servers are ${names.join(', ')}).`);
  const lockFile = opts.lock ?? config.lock;
  let code: number = EXIT.ok;
  for (const server of config.servers) {
    if (opts.server !== undefined && !opts.server.includes(server.name)) continue;
    code = Math.max(code, await pinOne(server.upstream, server.name, lockFile, opts.dryRun === true));
  }
  return code;
}

/** Lists one server's tools and writes (or, dry, compares) its pins. */
async function pinOne(upstream: UpstreamSpec, serverName: string | undefined, lockFile: string, dryRun: boolean): Promise<number> {
  const opts = { serverName, dryRun };
  const key = serverKey(upstream, opts.serverName);
  const lock = await readLockFile(lockFile);
  const client = await connectUpstream(upstream);
  let tools: Tool[];
  try {
    tools = client.getServerCapabilities()?.tools ? await listAllTools(client) : [];
  } finally {
    await client.close();
  }
  const previous = lock.servers[key] ?? null;
  const report = comparePins(tools, previous);
  console.log(`MCP server ${serverLabel(upstream, opts.serverName)} (${tools.length} tool${tools.length === 1 ? '' : 's'})`);
  console.log(`  lock: ${lockFile}`);
  console.log(`  key:  ${key}`);
  for (const c of report.checks) printCheck(c, tools.find((t) => t.name === c.name), previous === null);
  for (const name of report.removed) console.log(`  removed    ${name}`);
  const unpinnable = report.checks.filter((c) => c.status === 'unhashable' || c.status === 'duplicate');
  const changes = report.checks.some((c) => c.status !== 'pinned') || report.removed.length > 0;
  if (opts.dryRun) {
    console.log(changes ? 'Dry run: the lock would change.' : 'Dry run: the lock already matches.');
    return changes ? EXIT.denied : EXIT.ok;
  }
  const pins = pinsOf(report.checks, new Date());
  await writeServerPins(lockFile, key, pins);
  console.log(`Wrote ${lockFile}: ${Object.keys(pins.tools).length} tool definition${Object.keys(pins.tools).length === 1 ? '' : 's'} pinned.`);
  if (unpinnable.length > 0) {
    console.error(`Not pinned (they stay blocked): ${unpinnable.map((c) => `${c.name} (${c.error ?? c.status})`).join(', ')}`);
    return EXIT.denied;
  }
  return EXIT.ok;
}

function printCheck(check: PinCheck, tool: Tool | undefined, first: boolean): void {
  const label = first && check.status === 'new' ? 'pinning' : check.status;
  const fields = check.status === 'changed' && check.changedFields.length > 0 ? ` (${check.changedFields.join(', ')})` : '';
  console.log(`  ${label.padEnd(10)} ${check.name}${fields}${check.error ? `: ${check.error}` : ''}`);
  if ((check.status === 'changed' || check.status === 'new') && tool?.description !== undefined) {
    const d = tool.description;
    console.log(`             description: ${JSON.stringify(d.length > SHOWN_DESCRIPTION ? `${d.slice(0, SHOWN_DESCRIPTION)}…` : d)}`);
  }
}
