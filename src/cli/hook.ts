/**
 * `warden hook <host>`: run as an agent host's hook (Claude Code).
 *
 * A hook process starts once per event, so this file stays light: it parses its own arguments
 * ({@link runHookCli}, usable without commander by an entry that wants to skip loading it) and
 * imports the host's client on demand. Commander only registers the command for help and usage
 * errors.
 */
import type { Command } from 'commander';
import { EXIT } from './output.js';
import { DEFAULT_SANDBOX_TIME_MS } from '../integrations/claude-code/constants.js';

/** Hosts `warden hook` serves. */
const HOSTS = ['claude-code'];

/** Registers `warden hook`. */
export function registerHookCommand(program: Command): void {
  program
    .command('hook')
    .description(
      'Decide and record one hook event read from standard input (Claude Code: PreToolUse, PostToolUse, PostToolUseFailure, UserPromptSubmit). Exit 0 with the answer on stdout; exit 2 (which blocks) on any failure.',
    )
    .argument('<host>', `the agent host: ${HOSTS.join(', ')}`)
    .option('-p, --policy <paths...>', 'policy files or directories (default: $WARDEN_POLICY, else <project>/.warden/policy.yaml)')
    .option('--audit <path>', 'audit log, a .jsonl file or a directory (default: $WARDEN_AUDIT, else <project>/.warden/audit/claude-code.jsonl)')
    .option('--agent-id <id>', 'the agent id decisions and records carry (default: claude-code)')
    .option('--root <dir>', 'the project directory file paths must stay inside (default: $CLAUDE_PROJECT_DIR, else the session cwd)')
    .option('--state <url>', 'session state store (sqlite:<file>, redis://..., postgres://...; default $WARDEN_STATE, else none): a result carrying injected instructions marks the session untrusted for its next calls')
    .option('--result-model <config>', 'a tier 3 ONNX model configuration (docs/detection.md) run on every PostToolUse response beside tier 1; a model that cannot be loaded blocks the event (default $WARDEN_RESULT_MODEL, else none; needs onnxruntime-node)')
    .option('--no-server', 'handle the event in this process; do not use or start the hook server')
    .option('--sandbox', 'run it for you: Bash commands the policy allows are run by the hook in Warden\'s sandbox (ring 2) and Claude sees that output; implies --no-server (docs/integrations/claude-code.md)')
    .option('--sandbox-network <mode>', 'with --sandbox: none (default) or egress (connections decided as the egress tool)')
    .option('--sandbox-timeout <ms>', 'with --sandbox: the run\'s time limit, below the hook timeout in Claude Code\'s settings (default 50000)')
    .option('--remote <url>', 'decide through a running warden serve at this URL (recorded in its audit log) instead of a local policy; default $WARDEN_REMOTE_URL')
    .option('--remote-token-file <file>', 'with --remote: the bearer token for the service (the token, or a "<subject> <token>" line); default $WARDEN_REMOTE_TOKEN_FILE')
    .option('--remote-timeout <ms>', 'with --remote: how long to wait for the service before blocking the call (default 10000)')
    .option('--on-failure <mode>', 'when Warden itself fails: block (default: exit 2, the call is blocked) or defer (PreToolUse answers ask: Claude Code asks the user); default $WARDEN_ON_FAILURE, else block')
    .action(async () => {
      // Commander has validated the usage; the arguments are interpreted by the one parser below.
      const argv = process.argv.slice(2);
      process.exitCode = await runHookCli(argv.slice(argv.indexOf('hook') + 1));
    });
}

/**
 * Runs `warden hook <host> [options]` given the arguments after `hook`; returns the exit code
 * (0, or 2 for any usage error or failure, which makes the host block the call).
 *
 * @example
 * ```ts
 * process.exitCode = await runHookCli(['claude-code', '--policy', '.warden/policy.yaml']);
 * ```
 */
export async function runHookCli(args: readonly string[]): Promise<number> {
  const parsed = parseHookArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`warden: ${parsed} (usage: warden hook claude-code [--policy <paths...>] [--audit <path>] [--agent-id <id>] [--root <dir>] [--state <url>] [--result-model <config.json>] [--no-server] [--on-failure block|defer] [--sandbox [--sandbox-network none|egress] [--sandbox-timeout <ms>]] [--remote <url> --remote-token-file <file> [--remote-timeout <ms>]])\n`);
    return EXIT.invalid;
  }
  const { runClaudeCodeHook } = await import('../integrations/claude-code/client.js');
  return runClaudeCodeHook(parsed.options, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
}

interface ParsedHookArgs {
  host: string;
  options: { policy?: string[]; audit?: string; agentId?: string; root?: string; state?: string; resultModel?: string; server?: boolean; onFailure?: 'block' | 'defer'; sandbox?: { network: 'none' | 'egress'; timeMs: number }; remote?: { url?: string; tokenFile?: string; timeoutMs?: number } };
}

/**
 * Parses the arguments after `hook`: the host, then `-p/--policy <paths...>` (repeatable; the
 * paths run to the next option), `--audit`, `--agent-id`, `--root`, `--state` (each `--x v` or `--x=v`),
 * `--no-server`, `--on-failure block|defer`, the `--sandbox` options and `--remote <url>`,
 * `--remote-token-file <file>`, `--remote-timeout <ms>`. Returns the reason for anything else.
 *
 * @example
 * ```ts
 * parseHookArgs(['claude-code', '-p', 'a.yaml', 'b.yaml', '--no-server']);
 * // { host: 'claude-code', options: { policy: ['a.yaml', 'b.yaml'], server: false } }
 * ```
 */
export function parseHookArgs(args: readonly string[]): ParsedHookArgs | string {
  const options: ParsedHookArgs['options'] = {};
  const positional: string[] = [];
  let sandboxNetwork: 'none' | 'egress' | undefined;
  let sandboxTime: number | undefined;
  const single = { '--audit': 'audit', '--agent-id': 'agentId', '--root': 'root', '--state': 'state', '--result-model': 'resultModel' } as const;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (flag === '-p' || flag === '--policy') {
      const paths = inline !== undefined ? [inline] : [];
      while (inline === undefined && i + 1 < args.length && !(args[i + 1] as string).startsWith('-')) paths.push(args[++i] as string);
      if (paths.length === 0 || paths.some((p) => p === '')) return `${flag} needs at least one path`;
      options.policy = [...(options.policy ?? []), ...paths];
    } else if (flag in single) {
      const value = inline ?? args[++i];
      if (value === undefined || value === '' || (inline === undefined && value.startsWith('-'))) return `${flag} needs a value`;
      options[single[flag as keyof typeof single]] = value;
    } else if (flag === '--on-failure') {
      const value = inline ?? args[++i];
      if (value !== 'block' && value !== 'defer') return '--on-failure needs block or defer';
      options.onFailure = value;
    } else if (arg === '--no-server') {
      options.server = false;
    } else if (arg === '--sandbox') {
      options.sandbox = { network: 'none', timeMs: DEFAULT_SANDBOX_TIME_MS };
    } else if (flag === '--sandbox-network') {
      const value = inline ?? args[++i];
      if (value !== 'none' && value !== 'egress') return '--sandbox-network needs none or egress';
      sandboxNetwork = value;
    } else if (flag === '--remote' || flag === '--remote-token-file') {
      const value = inline ?? args[++i];
      if (value === undefined || value === '' || (inline === undefined && value.startsWith('-'))) return `${flag} needs a value`;
      options.remote = { ...options.remote, ...(flag === '--remote' ? { url: value } : { tokenFile: value }) };
    } else if (flag === '--remote-timeout') {
      const value = Number(inline ?? args[++i]);
      if (!Number.isSafeInteger(value) || value <= 0 || value > 600_000) return '--remote-timeout needs a positive number of milliseconds (at most 600000)';
      options.remote = { ...options.remote, timeoutMs: value };
    } else if (flag === '--sandbox-timeout') {
      const value = Number(inline ?? args[++i]);
      if (!Number.isSafeInteger(value) || value <= 0) return '--sandbox-timeout needs a positive number of milliseconds';
      sandboxTime = value;
    } else if (arg.startsWith('-')) {
      return `unknown option ${arg}`;
    } else {
      positional.push(arg);
    }
  }
  if ((sandboxNetwork !== undefined || sandboxTime !== undefined) && options.sandbox === undefined) return '--sandbox-network and --sandbox-timeout need --sandbox';
  if (options.sandbox !== undefined) options.sandbox = { network: sandboxNetwork ?? 'none', timeMs: sandboxTime ?? DEFAULT_SANDBOX_TIME_MS };
  if (positional.length === 0) return 'missing the host';
  if (positional.length > 1) return `unexpected argument ${positional[1] as string}`;
  const host = positional[0] as string;
  if (!HOSTS.includes(host)) return `unknown hook host "${host}"; choose one of: ${HOSTS.join(', ')}`;
  return { host, options };
}
