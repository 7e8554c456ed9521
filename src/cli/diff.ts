/** `warden diff`: what changed between two policy versions, and which decisions move. */
import type { Command } from 'commander';
import { WardenError } from '../errors.js';
import { parseJsonText } from '../lib/json-text.js';
import { loadPolicyFiles } from '../enforce/load-files.js';
import { diffDecisions, diffPolicySets, type DecisionDiff, type DiffRequest, type PolicyDiff, type RuleField, type RuleSnapshot } from '../policy/policy-diff.js';
import { loadPolicyTestFiles } from '../testing/load.js';
import { EXIT, reportFatal } from './output.js';
import { parseNow, readInput } from './read-input.js';

interface DiffOptions {
  old?: string[];
  new?: string[];
  requests?: string[];
  cases?: string[];
  now?: string;
  json?: boolean;
  exitCode?: boolean;
}

/** Moves listed in the text report; --json lists them all (up to the library's cap). */
const SHOWN_MOVES = 50;

/** Registers `warden diff`. */
export function registerDiffCommand(program: Command): void {
  program
    .command('diff')
    .description('Compare two policy versions: rules added, removed and changed, and (with --cases or --requests) which decisions move. Exit 0, or 1 with --exit-code when anything differs.')
    .argument('[paths...]', 'the old and the new policy (one file or directory each); or use --old and --new')
    .option('--old <paths...>', 'the old policy: files or directories')
    .option('--new <paths...>', 'the new policy: files or directories')
    .option('--cases <paths...>', 'policy test cases (warden test files or directories); their requests are decided under both versions')
    .option('--requests <files...>', 'JSONL files of requests ({"tool","args",...}) or audit logs, decided under both versions; "-" reads standard input')
    .option('--now <time>', 'the time rules see as now (ISO-8601) for requests without a recorded time; default the current time')
    .option('--json', 'print the diff as JSON')
    .option('--exit-code', 'exit 1 when a rule changed or a decision moved')
    .action(async (paths: string[], opts: DiffOptions) => {
      process.exitCode = await runDiff(paths, opts);
    });
}

async function runDiff(paths: string[], opts: DiffOptions): Promise<number> {
  try {
    const [oldPaths, newPaths] = sides(paths, opts);
    const now = parseNow(opts.now);
    const before = await loadPolicyFiles(oldPaths);
    const after = await loadPolicyFiles(newPaths);
    const rules = diffPolicySets(before, after);
    let decisions: DecisionDiff | null = null;
    if (opts.requests !== undefined || opts.cases !== undefined) {
      const requests: DiffRequest[] = [];
      if (opts.cases !== undefined) requests.push(...(await readCases(opts.cases, now)));
      for (const file of opts.requests ?? []) requests.push(...(await readRequests(file, now)));
      decisions = diffDecisions(before, after, requests);
    }
    if (opts.json) console.log(JSON.stringify({ old: { paths: oldPaths, digest: before.digest }, new: { paths: newPaths, digest: after.digest }, rules, decisions }));
    else printText(rules, decisions);
    const differs = !rules.identical || (decisions !== null && decisions.unchanged < decisions.total);
    return opts.exitCode === true && differs ? EXIT.denied : EXIT.ok;
  } catch (e) {
    return reportFatal(e);
  }
}

function sides(paths: string[], opts: DiffOptions): [string[], string[]] {
  if (opts.old !== undefined || opts.new !== undefined) {
    if (paths.length > 0) throw usage('Give the two policies either as two paths or with --old and --new, not both.');
    if (opts.old === undefined || opts.new === undefined) throw usage('Give both --old <paths...> and --new <paths...>.');
    return [opts.old, opts.new];
  }
  if (paths.length !== 2) {
    throw usage(`Give the old and the new policy: warden diff <old> <new>, or --old <paths...> --new <paths...> for several files each (got ${paths.length} path${paths.length === 1 ? '' : 's'}).`);
  }
  return [[paths[0] as string], [paths[1] as string]];
}

function usage(message: string): WardenError {
  return new WardenError('ERR_USAGE', message);
}

/**
 * One request per line: a request object, or an audit decision record (its request, agent and
 * time are used; checkpoint records are skipped). Blank lines are skipped.
 */
async function readRequests(file: string, now: Date): Promise<DiffRequest[]> {
  const text = await readInput(file);
  const name = file === '-' ? 'standard input' : file;
  const out: DiffRequest[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const parsed = parseJsonText(line);
    if (!parsed.ok) {
      throw new WardenError('ERR_REQUEST_JSON', `${name}:${i + 1} is not valid JSON with unique keys (${parsed.error}). Each line is a request {"tool": "...", "args": {...}} or an audit record, each key once per object.`);
    }
    const value = parsed.value;
    const label = `${name}:${i + 1}`;
    const record = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
    if (record?.type === 'checkpoint') continue;
    if (record?.type === 'decision' && record.request !== null && typeof record.request === 'object') {
      const when = typeof record.ts === 'string' ? new Date(record.ts) : now;
      const req = { ...(record.request as Record<string, unknown>) };
      if (record.agent !== null && typeof record.agent === 'object') req.agent = record.agent;
      const redacted = Array.isArray(record.redactions) && record.redactions.length > 0;
      out.push({ request: req, now: Number.isNaN(when.getTime()) ? now : when, label: `${label} (seq ${String(record.seq)}${redacted ? ', redacted arguments' : ''})` });
      continue;
    }
    out.push({ request: value, now, label });
  }
  return out;
}

/** The requests of policy test cases, named by case; the expectation is shown, not checked (warden test does that). */
async function readCases(paths: string[], now: Date): Promise<DiffRequest[]> {
  const { cases } = await loadPolicyTestFiles(paths);
  return cases.map((c) => ({
    request: c.request,
    now: c.now ?? now,
    label: `${c.where ? `${c.where.file}:${c.where.line} ` : ''}case ${JSON.stringify(c.name)} (expects ${c.expect.effect})`,
  }));
}

function toolsOf(r: RuleSnapshot): string {
  return r.tools === null ? 'every tool' : `[${r.tools.join(', ')}]`;
}

/** Conditions and reasons are quoted (they hold spaces); effects and lists are not. */
function show(field: RuleField, value: unknown): string {
  if (value === null) return field === 'tools' ? 'every tool' : '(none)';
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  return field === 'effect' ? String(value) : JSON.stringify(value);
}

function printText(rules: PolicyDiff, decisions: DecisionDiff | null): void {
  const p = rules.policies;
  console.log(`Rules: ${rules.added.length} added, ${rules.removed.length} removed, ${rules.changed.length} changed, ${rules.unchanged} unchanged.`);
  for (const name of p.added) console.log(`  + policy ${name}`);
  for (const name of p.removed) console.log(`  - policy ${name}`);
  for (const d of p.defaults) console.log(`  ~ policy ${d.policy}: default ${d.before} -> ${d.after}`);
  for (const r of rules.added) console.log(`  + ${r.policy}/${r.rule}  ${r.effect}, tools ${toolsOf(r)}${r.when ? `, when ${JSON.stringify(r.when)}` : ''}${r.unless ? `, unless ${JSON.stringify(r.unless)}` : ''}  (${r.file}:${r.line})`);
  for (const r of rules.removed) console.log(`  - ${r.policy}/${r.rule}  ${r.effect}, tools ${toolsOf(r)}  (was ${r.file}:${r.line})`);
  for (const c of rules.changed) {
    console.log(`  ~ ${c.policy}/${c.rule}  (${c.after.file}:${c.after.line})`);
    for (const f of c.fields) console.log(`      ${f.field}: ${show(f.field, f.before)} -> ${show(f.field, f.after)}`);
  }
  if (rules.identical) console.log('The two versions have the same rules.');
  if (decisions === null) return;
  const moved = decisions.total - decisions.unchanged;
  console.log(`\nDecisions: ${decisions.total} request(s), ${moved} moved, ${decisions.unchanged} unchanged.`);
  for (const [kind, n] of Object.entries(decisions.kinds).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
    const [from, to] = kind.split('->');
    console.log(`  ${kind}: ${n}${from === to ? ' (same effect, another rule decides)' : ''}`);
  }
  const ref = (d: { effect: string; rule: string | null; policy: string | null }): string => `${d.effect} (${d.rule === null ? 'default' : `${d.policy ?? '?'}/${d.rule}`})`;
  for (const m of decisions.moved.slice(0, SHOWN_MOVES)) console.log(`  ${m.label}  ${m.tool}: ${ref(m.before)} -> ${ref(m.after)}`);
  const hidden = moved - Math.min(SHOWN_MOVES, decisions.moved.length);
  if (hidden > 0) console.log(`  ... and ${hidden} more (--json lists them)`);
}
