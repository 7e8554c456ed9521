/** `warden limits show|reset`: the limits a policy declares, and where their counters stand in the store. */
import type { Command } from 'commander';
import { loadPolicyFiles } from '../enforce/load-files.js';
import { encodeLimitKey } from '../policy/limit-key.js';
import type { LimitPlan } from '../policy/limit-compile.js';
import { limitStanding } from '../runtime/gcra.js';
import { limitStoreKey } from '../runtime/limiter.js';
import { ioOf, runCommand, usage } from './identity-io.js';
import { openConfiguredStore, readRuntimeConfig, runtimeFlags, type RuntimeFlags } from './runtime-io.js';

interface LimitFlags extends RuntimeFlags {
  policy?: string[];
  limit?: string;
  key?: string[];
  json?: boolean;
}

/**
 * Adds `warden limits show` and `warden limits reset`.
 *
 * @example
 * ```ts
 * registerLimitsCommand(program); // warden limits show --policy policy.yaml --limit refunds --key bot-1
 * ```
 */
export function registerLimitsCommand(program: Command): void {
  const limits = program.command('limits').description('limits and budgets declared in policy (limits:), and their counters in the state store');
  const common = (c: Command): Command =>
    runtimeFlags(
      c
        .requiredOption('--policy <files...>', 'the policy files that declare the limits')
        .option('--limit <name>', 'one limit (policy/name or name)')
        .option('--key <part...>', "the values of the limit's key expressions, in order (as text)"),
    );
  common(limits.command('show').description('each limit; with --limit and --key, what remains of that counter and when it refills').option('--json', 'print JSON')).action(async (opts: LimitFlags, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'limits show', async () => {
      const plans = await plansOf(opts);
      if (opts.limit === undefined) {
        if (opts.json === true) io.out(`${JSON.stringify(plans)}\n`);
        else for (const p of plans) io.out(`${describe(p)}\n`);
        return 0;
      }
      const plan = one(plans, opts.limit);
      const store = await openConfiguredStore(opts, await readRuntimeConfig(opts));
      try {
        const key = counterKey(plan, opts.key ?? []);
        const value = await store.counters.get(limitStoreKey(key));
        const standing = limitStanding({ limit: plan.limit, periodMs: plan.periodMs, burst: plan.burst }, value, store.now());
        if (opts.json === true) io.out(`${JSON.stringify({ policy: plan.policy, limit: plan.name, key, ...standing })}\n`);
        else io.out(`${describe(plan)}\n  counter ${key}: ${standing.remaining} remaining${standing.resetMs === null ? ' (does not refill)' : `, full again in ${standing.resetMs} ms`}\n`);
        return 0;
      } finally {
        await store.close();
      }
    });
  });
  common(limits.command('reset').description('delete one counter (the limit is full again)')).action(async (opts: LimitFlags, command: Command) => {
    const io = ioOf(command);
    await runCommand(io, 'limits reset', async () => {
      const plans = await plansOf(opts);
      if (opts.limit === undefined) throw usage('Give --limit <name> (and --key for a keyed limit): reset clears one counter.');
      const plan = one(plans, opts.limit);
      const store = await openConfiguredStore(opts, await readRuntimeConfig(opts));
      try {
        const key = counterKey(plan, opts.key ?? []);
        await store.counters.delete(limitStoreKey(key));
        io.out(`reset ${plan.policy}/${plan.name} counter ${key}\n`);
        return 0;
      } finally {
        await store.close();
      }
    });
  });
}

async function plansOf(opts: LimitFlags): Promise<readonly LimitPlan[]> {
  const set = await loadPolicyFiles(opts.policy ?? []);
  return set.limitPlans;
}

function one(plans: readonly LimitPlan[], name: string): LimitPlan {
  const found = plans.filter((p) => p.name === name || `${p.policy}/${p.name}` === name);
  if (found.length === 1) return found[0] as LimitPlan;
  if (found.length === 0) throw usage(`No limit named ${JSON.stringify(name)}; the policy declares: ${plans.map((p) => `${p.policy}/${p.name}`).join(', ') || 'none'}.`);
  throw usage(`${JSON.stringify(name)} names limits of several policies; write policy/name.`);
}

function counterKey(plan: LimitPlan, parts: readonly string[]): string {
  if (parts.length !== plan.key.length) throw usage(`Limit ${plan.policy}/${plan.name} is keyed by [${plan.key.join(', ')}]: give ${plan.key.length} --key value(s), got ${parts.length}.`);
  const encoded = encodeLimitKey(plan.policy, [plan.name, ...parts]);
  if ('error' in encoded) throw usage(encoded.error);
  return encoded.key;
}

function describe(p: LimitPlan): string {
  const per = p.periodMs === null ? 'in total' : `per ${p.periodMs} ms`;
  const what = p.kind === 'rate' ? `${p.limit} calls ${per} (burst ${p.burst})` : `budget ${p.limit} ${per}, drawing ${p.amount ?? '1'}`;
  return `${p.policy}/${p.name}: ${what}; tools ${p.tools === null ? 'all' : p.tools.join(', ')}; key [${p.key.join(', ')}]${p.when === undefined ? '' : `; when ${p.when}`}`;
}
