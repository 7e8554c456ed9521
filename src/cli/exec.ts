/** `warden exec`: decide a shell command against a policy, then run it in the OS sandbox. */
import type { Command } from 'commander';
import { openFileAuditSink } from '../audit/file-sink.js';
import type { DecisionSink } from '../decision.js';
import { loadPolicyFiles } from '../enforce/load-files.js';
import { compiledPolicyCacheFromEnv } from '../enforce/compiled-cache.js';
import { Pipeline } from '../enforce/pipeline.js';
import { WardenError } from '../errors.js';
import { createSandbox } from '../sandbox/sandbox.js';
import { ensureSupervisor } from '../sandbox/supervisor-build.js';
import type { SandboxRing } from '../sandbox/profile.js';
import { EXIT, reportFatal } from './output.js';

interface ExecOptions {
  policy: string[];
  tool: string;
  ring: string;
  workspace?: string;
  read?: string[];
  write?: string[];
  network: 'none' | 'egress' | 'host';
  egressTool: string;
  timeout?: string;
  audit?: string;
  json?: boolean;
  allowUnsandboxed?: boolean;
  allowUnsupervised?: boolean;
  landlock: 'require' | 'prefer' | 'off';
  explain?: boolean;
  buildSupervisor?: boolean;
}

/** Registers `warden exec`. */
export function registerExecCommand(program: Command): void {
  program
    .command('exec')
    .description(
      'Decide a shell command against a policy, then run it in the OS sandbox (bubblewrap, seccomp, Landlock, cgroups) with the profile of the ring, every exec inside decided by the same policy. ' +
        'Several words are quoted into one command line; one word is taken as a command line. Exit: the command\'s own status; 1 denied; 2 not run (no usable sandbox, bad options).',
    )
    .argument('[command...]', 'the command, after --')
    .option('-p, --policy <paths...>', 'policy files or directories (required to run a command)')
    .option('--tool <name>', 'the tool name the policy decides the command as', 'bash')
    .option('--ring <n>', 'ring 3 (read-only, offline), 2 (workspace writable, offline or --network egress), 1 (wider, --network host allowed), 0 (unsandboxed)', '2')
    .option('--workspace <dir>', 'working directory, writable from ring 2 (default: the current directory)')
    .option('--read <paths...>', 'more paths readable inside')
    .option('--write <paths...>', 'more paths writable inside (ring 2 and below)')
    .option('--network <mode>', 'none; egress (rings 2 and 1: every connection through Warden\'s proxy, decided as the tool --egress-tool and recorded); or host (ring 1 only)', 'none')
    .option('--egress-tool <name>', 'the tool name connections are decided as with --network egress (args.url: tcp://host:port or http://host:port/path)', 'egress')
    .option('--timeout <ms>', 'time limit of the run in milliseconds')
    .option('--audit <path>', 'record the decision and the outcome in this audit log')
    .option('--json', 'print the result as JSON instead of the command\'s output')
    .option('--allow-unsandboxed', 'run without a sandbox on a host that has none (recorded as such)')
    .option('--allow-unsupervised', 'run with only the first command decided where the per-exec supervisor cannot run (recorded as such)')
    .option('--landlock <mode>', 'Landlock inside the sandbox: prefer (where the kernel has it), require, or off', 'prefer')
    .option('--explain', 'print what would enforce a run here (bubblewrap, seccomp, Landlock, the supervisor, cgroups) and the profile, as JSON, without running the command')
    .option('--build-supervisor', "build the per-exec supervisor from the package's C source with cc into the per-user cache, print where, and exit")
    .action(async (words: string[], opts: ExecOptions) => {
      process.exitCode = await runExec(words, opts);
    });
}

/** Quotes a word for sh unless it is made only of characters sh never interprets. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const NOWHERE: DecisionSink = { write: async () => undefined, writeSync: () => undefined };

async function runExec(words: string[], opts: ExecOptions): Promise<number> {
  try {
    if (opts.buildSupervisor) {
      const bin = ensureSupervisor();
      console.log(JSON.stringify(bin));
      return EXIT.ok;
    }
    if (opts.policy === undefined || opts.policy.length === 0) throw new WardenError('ERR_USAGE', 'warden exec needs --policy <paths...> to decide the command.');
    if (words.length === 0 && !opts.explain) throw new WardenError('ERR_USAGE', 'warden exec needs a command after --.');
    if (opts.landlock !== 'require' && opts.landlock !== 'prefer' && opts.landlock !== 'off') throw new WardenError('ERR_USAGE', `--landlock must be require, prefer or off; got ${JSON.stringify(opts.landlock)}.`);
    const ring = Number(opts.ring);
    if (![0, 1, 2, 3].includes(ring)) throw new WardenError('ERR_USAGE', `--ring must be 0, 1, 2 or 3; got ${JSON.stringify(opts.ring)}.`);
    if (opts.network !== 'none' && opts.network !== 'egress' && opts.network !== 'host') throw new WardenError('ERR_USAGE', `--network must be none, egress or host; got ${JSON.stringify(opts.network)}.`);
    const timeMs = opts.timeout === undefined ? undefined : Number(opts.timeout);
    if (timeMs !== undefined && !(Number.isSafeInteger(timeMs) && timeMs > 0)) throw new WardenError('ERR_USAGE', `--timeout must be a positive number of milliseconds; got ${JSON.stringify(opts.timeout)}.`);
    const command = words.length === 1 ? (words[0] as string) : words.map(shellQuote).join(' ');
    const policy = await loadPolicyFiles(opts.policy, { cache: compiledPolicyCacheFromEnv(process.env) });
    const sink = opts.audit === undefined ? null : await openFileAuditSink({ path: opts.audit });
    try {
      const sandbox = createSandbox({
        pipeline: new Pipeline({ policy, sink: sink ?? NOWHERE }),
        workspace: opts.workspace ?? process.cwd(),
        ring: ring as SandboxRing,
        network: opts.network,
        egress: { tool: opts.egressTool },
        ...(opts.read ? { readable: opts.read } : {}),
        ...(opts.write ? { writable: opts.write } : {}),
        ...(timeMs !== undefined ? { limits: { timeMs } } : {}),
        unsandboxed: opts.allowUnsandboxed === true ? 'allow' : 'deny',
        supervise: opts.allowUnsupervised === true ? 'prefer' : 'require',
        landlock: opts.landlock,
      });
      try {
        if (opts.explain) {
          const e = await sandbox.enforcement();
          console.log(JSON.stringify({ profile: sandbox.profile, enforcement: { ...e, supervisor: e.supervisor === null ? null : { sourceHash: e.supervisor.sourceHash, path: e.supervisor.path } } }, null, 2));
          return EXIT.ok;
        }
        const r = await sandbox.exec({ tool: opts.tool, args: { command }, context: { host: 'warden-exec' } });
        if (opts.json) console.log(JSON.stringify({ effect: r.verdict.effect, reason: r.verdict.reason, ran: r.ran, error: r.error, exitCode: r.exitCode, signal: r.signal, limit: r.limit, truncated: r.truncated, stdout: r.stdout, stderr: r.stderr, profile: r.profile, enforcement: r.enforcement, connections: r.connections, execs: r.execs }));
        else {
          process.stdout.write(r.stdout);
          process.stderr.write(r.stderr);
        }
        if (!r.verdict.allowed) {
          if (!opts.json) console.error(`warden: ${r.verdict.effect}: ${r.verdict.reason}`);
          return EXIT.denied;
        }
        if (!r.ran) {
          if (!opts.json) console.error(`warden: not run: ${r.error?.message ?? 'unknown reason'}`);
          return EXIT.invalid;
        }
        if (r.limit !== null && !opts.json) console.error(`warden: the ${r.limit} limit was reached; the run was killed.`);
        return r.exitCode ?? 128 + 9;
      } finally {
        await sandbox.close();
      }
    } finally {
      await sink?.close();
    }
  } catch (e) {
    return reportFatal(e);
  }
}
