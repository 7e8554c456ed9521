/** `warden mcp-pin`: approve an MCP server's current tool definitions by writing their pins to the lock file. */
import type { Command } from 'commander';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { lockPathFor, readLockFile, writeServerPins } from '../integrations/mcp/lock-file.js';
import { comparePins, pinsOf, type PinCheck } from '../integrations/mcp/pin.js';
import { connectUpstream, listAllTools, serverKey, serverLabel, upstreamSpecOf } from '../integrations/mcp/upstream.js';
import { EXIT, reportFatal } from './output.js';

interface PinOptions {
  policy: string[];
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
    .requiredOption('-p, --policy <paths...>', 'policy files or directories (the lock file sits beside the first)')
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
    const upstream = upstreamSpecOf(command, opts.upstreamUrl);
    const lockFile = opts.lock ?? (await lockPathFor(opts.policy));
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
  } catch (e) {
    return reportFatal(e);
  }
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
