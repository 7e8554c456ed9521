/** `warden slo status` and `warden breaker status`: SRE state rebuilt from audit logs. */
import { addBreakerReset } from './breaker-reset.js';
import type { Command } from 'commander';
import { WardenError } from '../errors.js';
import { formatDuration } from '../sre/duration.js';
import { loadSreFiles } from '../sre/documents.js';
import { sreFromAuditLogs, type SreReplay } from '../sre/from-audit.js';
import { EXIT, reportFatal } from './output.js';

interface StatusOptions {
  config: string[];
  at?: string;
  json?: boolean;
}

/**
 * Registers `warden slo`.
 *
 * @example
 * ```ts
 * registerSloCommand(program); // warden slo status --config sre.yaml .warden/audit/main.jsonl
 * ```
 */
export function registerSloCommand(program: Command): void {
  const slo = program.command('slo').description('service level objectives and error budgets');
  slo
    .command('status')
    .description('Replay the outcomes recorded in audit logs through the SLOs of the SRE files and print each budget and burn-rate alert. Exit 1 when a budget is exhausted or a page fires, 2 on an error.')
    .argument('<logs...>', 'audit log files, oldest first')
    .requiredOption('--config <files...>', 'SRE files declaring the SLOs (kind: SLO)')
    .option('--at <time>', 'evaluate at this ISO-8601 time instead of now')
    .option('--json', 'print the status as JSON')
    .action(async (logs: string[], opts: StatusOptions) => {
      process.exitCode = await runSloStatus(logs, opts);
    });
}

/**
 * Registers `warden breaker`.
 *
 * @example
 * ```ts
 * registerBreakerCommand(program); // warden breaker status --config sre.yaml .warden/audit/main.jsonl
 * ```
 */
export function registerBreakerCommand(program: Command): void {
  const breaker = program.command('breaker').description('circuit breakers');
  breaker
    .command('status')
    .description('Replay the decisions and outcomes recorded in audit logs through the circuit breakers of the SRE files and print each breaker\'s state. Exit 1 when one is open or half-open, 2 on an error.')
    .argument('<logs...>', 'audit log files, oldest first')
    .requiredOption('--config <files...>', 'SRE files declaring the breakers (kind: CircuitBreaker)')
    .option('--at <time>', 'evaluate at this ISO-8601 time instead of now')
    .option('--json', 'print the status as JSON')
    .action(async (logs: string[], opts: StatusOptions) => {
      process.exitCode = await runBreakerStatus(logs, opts);
    });  addBreakerReset(breaker);
}

async function replayFor(logs: string[], opts: StatusOptions): Promise<SreReplay> {
  const at = opts.at === undefined ? Date.now() : Date.parse(opts.at);
  if (Number.isNaN(at)) throw new WardenError('ERR_USAGE', `--at must be an ISO-8601 time such as 2026-12-07T10:00:00Z; got ${JSON.stringify(opts.at)}.`);
  const docs = await loadSreFiles(opts.config);
  return sreFromAuditLogs(logs, docs, { now: at });
}

async function runSloStatus(logs: string[], opts: StatusOptions): Promise<number> {
  try {
    const replay = await replayFor(logs, opts);
    const slos = replay.sre.status().slos;
    if (slos.length === 0) throw new WardenError('ERR_USAGE', `The SRE files ${opts.config.join(', ')} declare no SLO (kind: SLO).`);
    const bad = slos.some((s) => s.exhausted || s.alerts.some((a) => a.firing && a.severity === 'page'));
    if (opts.json === true) {
      console.log(JSON.stringify({ slos, outcomes: replay.outcomes, malformed: replay.malformed }, null, 2));
      return bad ? EXIT.denied : EXIT.ok;
    }
    for (const s of slos) {
      const state = s.exhausted ? 'EXHAUSTED' : 'ok';
      console.log(`${s.name}: ${state}  objective ${s.objective * 100}% over ${formatDuration(s.windowMs)}  ${s.bad}/${s.total} bad  budget remaining ${(s.budgetRemaining * 100).toFixed(1)}%`);
      for (const a of s.alerts) console.log(`  ${a.firing ? 'FIRING' : 'quiet '} ${a.severity.padEnd(6)} ${a.name.padEnd(10)} burn ${a.longBurnRate.toFixed(2)} (long) ${a.shortBurnRate.toFixed(2)} (short), threshold ${a.threshold}`);
    }
    if (replay.malformed > 0) console.error(`${replay.malformed} line(s) were not records and were skipped (run warden audit verify).`);
    return bad ? EXIT.denied : EXIT.ok;
  } catch (e) {
    return reportFatal(e);
  }
}

async function runBreakerStatus(logs: string[], opts: StatusOptions): Promise<number> {
  try {
    const replay = await replayFor(logs, opts);
    const breakers = replay.sre.status().breakers;
    const tripped = breakers.some((b) => b.state !== 'closed');
    if (opts.json === true) {
      console.log(JSON.stringify({ breakers, decisions: replay.decisions, outcomes: replay.outcomes, malformed: replay.malformed }, null, 2));
      return tripped ? EXIT.denied : EXIT.ok;
    }
    if (breakers.length === 0) console.log('No breaker has seen a call in these logs.');
    for (const b of breakers) {
      const probe = b.probeAt === null ? '' : `  probes at ${new Date(b.probeAt).toISOString()}`;
      console.log(`${b.name}: ${b.state}  ${b.consecutiveFailures} failure(s) in a row, ${b.windowFailures}/${b.windowCalls} failed in the window${probe}`);
    }
    if (replay.malformed > 0) console.error(`${replay.malformed} line(s) were not records and were skipped (run warden audit verify).`);
    return tripped ? EXIT.denied : EXIT.ok;
  } catch (e) {
    return reportFatal(e);
  }
}
