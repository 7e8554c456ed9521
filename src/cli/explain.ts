/** `warden explain`: every rule considered for a request, and why it applied or not. */
import type { Command } from 'commander';
import { loadPolicyFiles } from '../enforce/load-files.js';
import { EXIT, isInvalidRequest, printDecision, reportFatal } from './output.js';
import { parseNow, parseRequestJson, readInput } from './read-input.js';

/** Registers `warden explain`. */
export function registerExplainCommand(program: Command): void {
  program
    .command('explain')
    .description('Show every rule considered for a request and why it matched or not.')
    .requiredOption('-p, --policy <paths...>', 'policy files or directories')
    .requiredOption('-r, --request <file>', 'a JSON request; "-" reads standard input')
    .option('--json', 'print the explanation as JSON')
    .option('--now <time>', 'the time rules see as now (ISO-8601)')
    .action(async (opts: { policy: string[]; request: string; json?: boolean; now?: string }) => {
      try {
        const set = await loadPolicyFiles(opts.policy);
        const request = parseRequestJson(await readInput(opts.request), opts.request === '-' ? 'standard input' : opts.request);
        const explanation = set.explain(request, { now: parseNow(opts.now) });
        if (opts.json) {
          console.log(JSON.stringify(explanation, null, 2));
        } else {
          const tool = (request as { tool?: unknown } | null)?.tool;
          printDecision(typeof tool === 'string' ? tool : '(no tool)', explanation.decision);
          console.log('\nRules considered:');
          for (const r of explanation.rules) {
            const status = r.status === 'error' ? `error (${r.appliedOnError ? 'applies: fails closed' : 'does not apply'})` : r.status.replace('_', ' ');
            console.log(`  ${r.policy}/${r.rule} [${r.effect}] line ${r.line}: ${status}`);
            if (r.when) console.log(`      when   ${r.when.expression}  =>  ${String(r.when.result)}`);
            if (r.unless) console.log(`      unless ${r.unless.expression}  =>  ${String(r.unless.result)}`);
          }
          if (explanation.rules.length === 0) console.log('  (none: the request was refused before rules were evaluated)');
        }
        const d = explanation.decision;
        process.exitCode = isInvalidRequest(d) ? EXIT.invalid : d.allowed ? EXIT.ok : EXIT.denied;
      } catch (e) {
        process.exitCode = reportFatal(e);
      }
    });
}
