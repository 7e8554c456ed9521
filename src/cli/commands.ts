/**
 * Every `warden` subcommand, loaded on demand: running one command imports only its module, so a
 * cold start pays for nothing else. `warden --help` lists the commands from this table alone,
 * without importing any of them (a test keeps each entry's arguments equal to its command's).
 */
import type { Command } from 'commander';
import { WardenError } from '../errors.js';

declare const __WARDEN_CHECK_BUNDLE__: string | undefined;

/** A subcommand: its name, what the list shows, and how to load its registration. */
export interface CommandEntry {
  name: string;
  /** Its arguments as commander writes them (`<paths...>`), shown after the name in the list. */
  args: string;
  /** One line for `warden --help`; the command's own help has the full description. */
  summary: string;
  load: () => Promise<(program: Command) => void>;
}

/** The subcommands, in the order help lists them. Add one line per command. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'check',
    args: '',
    summary: 'decide a request (or a JSONL batch) against a policy',
    // The package build gives check a bundle of its own, like the hook (scripts/build.mjs).
    load: async () => ((typeof __WARDEN_CHECK_BUNDLE__ === 'string' ? await import(new URL(__WARDEN_CHECK_BUNDLE__, import.meta.url).href) : await import('./check.js')) as typeof import('./check.js')).registerCheckCommand,
  },
  { name: 'explain', args: '', summary: 'show every rule considered for a request and why', load: async () => (await import('./explain.js')).registerExplainCommand },
  { name: 'test', args: '<policy...>', summary: 'run test cases against policies', load: async () => (await import('./test.js')).registerTestCommand },
  { name: 'lint', args: '<paths...>', summary: 'check policy files: errors, warnings and static analysis', load: async () => (await import('./lint.js')).registerLintCommand },
  { name: 'diff', args: '[paths...]', summary: 'compare two policy versions and the decisions that move', load: async () => (await import('./diff.js')).registerDiffCommand },
  { name: 'init', args: '[target]', summary: 'write starter files (a policy, or the Claude Code hook)', load: async () => (await import('./init.js')).registerInitCommand },
  { name: 'demo', args: '', summary: 'run a scripted agent under a policy and show each decision', load: async () => (await import('./demo.js')).registerDemoCommand },
  { name: 'audit', args: '', summary: 'verify, inspect and query tamper-evident audit logs', load: async () => (await import('./audit.js')).registerAuditCommand },
  { name: 'keygen', args: '', summary: 'create the key pair that signs audit checkpoints', load: async () => (await import('./keygen.js')).registerKeygenCommand },
  { name: 'id', args: '<command>', summary: 'agent identities (did:key): new, show, rotate, revoke', load: async () => (await import('./id.js')).registerIdCommand },
  { name: 'token', args: '<command>', summary: 'verify an agent token (JWT, Entra ID, DPoP)', load: async () => (await import('./token.js')).registerTokenCommand },
  { name: 'ucan', args: '<command>', summary: 'UCAN delegation: delegate, invoke, verify', load: async () => (await import('./ucan.js')).registerUcanCommand },
  { name: 'plugin', args: '<command>', summary: 'signed plugin manifests and npm provenance: sign, verify, inspect', load: async () => (await import('./plugin.js')).registerPluginCommand },
  { name: 'replay', args: '<logs...>', summary: 're-decide recorded requests under a candidate policy', load: async () => (await import('./replay.js')).registerReplayCommand },
  { name: 'mcp-proxy', args: '[command...]', summary: 'run an MCP gateway that decides every tools/call', load: async () => (await withMcpSdk(() => import('./mcp-proxy.js'))).registerMcpProxyCommand },
  { name: 'mcp-pin', args: '[command...]', summary: "record an MCP server's tool definitions in the lock file", load: async () => (await withMcpSdk(() => import('./mcp-pin.js'))).registerMcpPinCommand },
  { name: 'convert', args: '<paths...>', summary: 'print AGT policies as equivalent warden/v1 YAML', load: async () => (await import('./convert.js')).registerConvertCommand },
  { name: 'manifest', args: '<paths...>', summary: 'print or write the digest manifest a strict PolicyStore activates against', load: async () => (await import('./manifest.js')).registerManifestCommand },
  { name: 'compliance', args: '<command>', summary: 'compliance reports (OWASP agentic, EU AI Act, HIPAA, SOC 2) from evidence', load: async () => (await import('./compliance.js')).registerComplianceCommand },
  { name: 'detect', args: '[file]', summary: 'scan text for prompt injection and secrets, tool lists for poisoning; --eval measures', load: async () => (await import('./detect.js')).registerDetectCommand },
  { name: 'exec', args: '<command...>', summary: 'decide a shell command, then run it in the OS sandbox', load: async () => (await import('./exec.js')).registerExecCommand },
  { name: 'trust', args: '<command>', summary: 'trust scores 0-1000: show, explain, record an event', load: async () => (await import('./trust.js')).registerTrustCommand },
  { name: 'ring', args: '<command>', summary: 'execution rings: show, elevate (signed, expiring), revoke', load: async () => (await import('./ring.js')).registerRingCommand },
  { name: 'kill', args: '<target>', summary: 'kill an agent, a session or all, in every process sharing the store', load: async () => (await import('./kill.js')).registerKillCommand },
  { name: 'revive', args: '<target>', summary: "lift a kill, with another approver's signed approval", load: async () => (await import('./revive.js')).registerReviveCommand },
  { name: 'status', args: '', summary: 'the kill state in the store, verified', load: async () => (await import('./status.js')).registerStatusCommand },
  { name: 'limits', args: '<command>', summary: 'limits and budgets: show what remains, reset a counter', load: async () => (await import('./limits.js')).registerLimitsCommand },
  { name: 'session', args: '<command>', summary: "a session's flow labels, calls and history", load: async () => (await import('./session.js')).registerSessionCommand },
  { name: 'saga', args: '<command>', summary: 'sagas: list, show a journal, compensate', load: async () => (await import('./saga.js')).registerSagaCommand },
  { name: 'acs', args: '<manifest>', summary: 'validate an ACS manifest, or evaluate one intervention point under a policy', load: async () => (await import('./acs.js')).registerAcsCommand },
  { name: 'slo', args: '<command>', summary: 'SLO error budgets and burn-rate alerts, from audit logs', load: async () => (await import('./slo.js')).registerSloCommand },
  { name: 'breaker', args: '<command>', summary: 'circuit breaker states (from audit logs) and resets (in every process sharing the store)', load: async () => (await import('./slo.js')).registerBreakerCommand },
  { name: 'chaos', args: '<command>', summary: 'chaos experiments in every process sharing the store: run (policy-decided, signed), stop, status', load: async () => (await import('./chaos.js')).registerChaosCommand },
  { name: 'hook', args: '<host>', summary: "decide one agent host's hook event (Claude Code)", load: async () => (await import('./hook.js')).registerHookCommand },
  { name: 'approvals', args: '<command>', summary: 'the approval queue: list parked calls, approve or deny one', load: async () => (await import('./approvals.js')).registerApprovalsCommand },
  { name: 'serve', args: '', summary: 'run the decision service over HTTP (decide, batch, AuthZEN, metrics)', load: async () => (await import('./serve.js')).registerServeCommand },
  { name: 'bundle', args: '<command>', summary: 'signed policy bundles: build, sign, verify', load: async () => (await import('./bundle.js')).registerBundleCommand },
  { name: 'reward', args: '<trajectories...>', summary: 'score trajectories under a policy: itemized penalties per rule, call and severity', load: async () => (await import('./reward.js')).registerRewardCommand },
  { name: 'training', args: '<command>', summary: 'training runs: report violations per rule across checkpoints (table and SVG plot)', load: async () => (await import('./training.js')).registerTrainingCommand },
];

/**
 * Imports an MCP command, whose package (`@modelcontextprotocol/sdk`, an optional peer dependency)
 * may not be installed: then the command says what to install instead of a module-not-found trace.
 */
async function withMcpSdk<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && /@modelcontextprotocol\/sdk|'zod'/.test(String((e as Error).message))) {
      throw new WardenError('ERR_MISSING_DEPENDENCY', 'The MCP gateway needs the optional package @modelcontextprotocol/sdk (and its peer zod). Install them beside agent-warden: npm install @modelcontextprotocol/sdk zod');
    }
    throw e;
  }
}

/**
 * The entry whose full registration `argv` (the arguments after `warden`) needs, or undefined
 * when it names none (`--help`, `help` alone, an unknown command): then only the list is needed.
 *
 * @example
 * ```ts
 * chosenCommand(['check', '--policy', 'p.yaml'])?.name; // 'check'
 * chosenCommand(['help', 'lint'])?.name;                // 'lint'
 * chosenCommand(['--help']);                            // undefined
 * ```
 */
export function chosenCommand(argv: readonly string[]): CommandEntry | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  return COMMANDS.find((c) => c.name === name);
}

/**
 * Registers every command as a stub that only lists (name, arguments, summary): enough for
 * `warden --help` and for commander's "unknown command" suggestions, and imports nothing.
 *
 * @example
 * ```ts
 * registerCommandList(program, COMMANDS.filter((c) => c.name !== 'check'));
 * ```
 */
export function registerCommandList(program: Command, entries: readonly CommandEntry[]): void {
  for (const entry of entries) {
    program.command(entry.args === '' ? entry.name : `${entry.name} ${entry.args}`).summary(entry.summary);
  }
}
