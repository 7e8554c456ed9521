/**
 * Training reports: violations per rule across a run and how they change over checkpoints, as
 * data, as a text table and as an SVG plot (violations per episode, one line per rule). With a
 * reference policy, the report also lists the gaps: sequences the training policy allowed step by
 * step that the reference denies as a whole (see {@link policyGaps}).
 */
import { WardenError } from '../errors.js';
import type { PolicySet } from '../policy/policy-set.js';
import { policyGaps, type PolicyGap } from './gaps.js';
import { policyReward, ruleId, type CheckedShaping, type RewardItem, type RewardShaping } from './reward.js';
import { fmtValue, renderLinePlot } from './svg-plot.js';
import type { Trajectory } from './trajectory.js';

/**
 * The checkpoint label of trajectories that carry none.
 *
 * @example
 * ```ts
 * report.checkpoints.includes(NO_CHECKPOINT); // true when some episode had no checkpoint
 * ```
 */
export const NO_CHECKPOINT = '(none)';

/**
 * Options of {@link trainingReport}.
 *
 * @example
 * ```ts
 * const options: TrainingReportOptions = { policy: productionPolicy, reference: flowGuards };
 * ```
 */
export interface TrainingReportOptions {
  /**
   * Re-decide every call under this policy (session and limits carried across calls) and count its
   * reward items. Without it, the decisions recorded with the calls are counted (deny and
   * require_approval, by rule).
   */
  policy?: PolicySet;
  shaping?: RewardShaping | CheckedShaping;
  /** A policy with the flow rules the training policy may lack: its denials of allowed sequences are gaps. */
  reference?: PolicySet;
}

/**
 * One rule's violations, per checkpoint.
 *
 * @example
 * ```ts
 * const row: RuleRow = { rule: 'guard/no-secrets', kind: 'deny', total: 3, counts: [2, 1, 0], perEpisode: [1, 0.5, 0] };
 * ```
 */
export interface RuleRow {
  /** `policy/rule`; a gap row is `gap:policy/rule`. */
  rule: string;
  kind: RewardItem['kind'] | 'gap';
  total: number;
  /** Violations at each checkpoint (in {@link TrainingReport.checkpoints} order). */
  counts: number[];
  /** `counts` divided by the episodes at each checkpoint. */
  perEpisode: number[];
}

/**
 * A training report.
 *
 * @example
 * ```ts
 * const report = trainingReport(trajectories, { policy });
 * console.log(formatTrainingReport(report));
 * ```
 */
export interface TrainingReport {
  /** `policy`: re-decided under the given policy; `recorded`: the decisions recorded with the calls. */
  source: 'policy' | 'recorded';
  policyDigest: string | null;
  /** Checkpoints in the order their first trajectory appears. */
  checkpoints: string[];
  episodes: number[];
  calls: number[];
  rules: RuleRow[];
  gaps: PolicyGap[];
}

/**
 * Counts violations per rule and checkpoint (see the module comment). Rows are ordered by total,
 * then rule id; gap rows follow the violation rows.
 *
 * @example
 * ```ts
 * const report = trainingReport(trajectories, { policy, reference });
 * report.rules[0]; // { rule: 'guard/no-secrets', kind: 'deny', total: 5, counts: [4, 1], perEpisode: [2, 0.5] }
 * ```
 */
export function trainingReport(trajectories: readonly Trajectory[], options: TrainingReportOptions = {}): TrainingReport {
  if (options.reference !== undefined && options.policy === undefined) throw new WardenError('ERR_OPTIONS', 'A gap is a sequence the training policy allowed and the reference denies: pass the training policy (policy) with the reference.');
  const checkpoints: string[] = [];
  const index = new Map<string, number>();
  for (const t of trajectories) {
    const c = t.checkpoint ?? NO_CHECKPOINT;
    if (!index.has(c)) {
      index.set(c, checkpoints.length);
      checkpoints.push(c);
    }
  }
  const k = checkpoints.length;
  const episodes = new Array<number>(k).fill(0);
  const calls = new Array<number>(k).fill(0);
  const rows = new Map<string, RuleRow>();
  const bump = (rule: string, kind: RuleRow['kind'], at: number): void => {
    const key = `${kind === 'gap' ? 'gap:' : ''}${rule}`;
    let row = rows.get(key);
    if (row === undefined) rows.set(key, (row = { rule: key, kind, total: 0, counts: new Array<number>(k).fill(0), perEpisode: [] }));
    row.total++;
    (row.counts as number[])[at] = (row.counts[at] as number) + 1;
  };
  const gaps: PolicyGap[] = [];
  for (const t of trajectories) {
    const at = index.get(t.checkpoint ?? NO_CHECKPOINT) as number;
    episodes[at] = (episodes[at] as number) + 1;
    calls[at] = (calls[at] as number) + t.calls.length;
    if (options.policy !== undefined) {
      for (const item of policyReward(t, options.policy, options.shaping).items) bump(item.rule, item.kind, at);
    } else {
      for (const c of t.calls) {
        if (c.decision === undefined) continue;
        if (c.decision.effect === 'deny') bump(ruleId(c.decision.policy, c.decision.rule), 'deny', at);
        else if (c.decision.effect === 'require_approval') bump(ruleId(c.decision.policy, c.decision.rule), 'approval', at);
      }
    }
    if (options.reference !== undefined) {
      const found = policyGaps(t, options.policy as PolicySet, options.reference);
      for (const g of found) bump(g.rule, 'gap', at);
      gaps.push(...found);
    }
  }
  const ordered = [...rows.values()].sort((a, b) => Number(a.kind === 'gap') - Number(b.kind === 'gap') || b.total - a.total || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
  for (const row of ordered) row.perEpisode = row.counts.map((n, i) => ((episodes[i] as number) === 0 ? 0 : n / (episodes[i] as number)));
  return { source: options.policy !== undefined ? 'policy' : 'recorded', policyDigest: options.policy?.digest ?? null, checkpoints, episodes, calls, rules: ordered, gaps };
}

/**
 * The report as a text table: one row per rule, one column per checkpoint (violations, and per
 * episode in parentheses), then the gaps with their sequences.
 *
 * @example
 * ```ts
 * process.stdout.write(formatTrainingReport(trainingReport(trajectories, { policy })));
 * ```
 */
export function formatTrainingReport(report: TrainingReport): string {
  const header = ['rule', 'kind', ...report.checkpoints, 'total'];
  const rows: string[][] = [header, ['episodes', '', ...report.episodes.map(String), String(report.episodes.reduce((a, b) => a + b, 0))]];
  for (const r of report.rules) rows.push([r.rule, r.kind, ...r.counts.map((n, i) => `${n} (${fmtValue(r.perEpisode[i] as number)})`), String(r.total)]);
  const widths = header.map((_, i) => Math.max(...rows.map((row) => (row[i] as string).length)));
  const line = (row: string[]): string => row.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ').trimEnd();
  const out: string[] = [];
  out.push(`Violations per rule and checkpoint (${report.source === 'policy' ? `re-decided under policy ${report.policyDigest}` : 'as recorded'}); in parentheses: per episode.`);
  out.push(line(rows[0] as string[]));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows.slice(1)) out.push(line(row));
  if (report.rules.length === 0) out.push('(no violations)');
  if (report.gaps.length > 0) {
    out.push('');
    out.push(`Gaps: ${report.gaps.length} sequence${report.gaps.length === 1 ? '' : 's'} allowed step by step that the reference policy denies as a whole:`);
    for (const g of report.gaps) {
      const seq = g.sequence.map((s) => `${s.tool}#${s.step}${s.labels.length > 0 ? `[${s.labels.join(',')}]` : ''}`).join(' -> ');
      out.push(`  ${g.trajectory} (checkpoint ${g.checkpoint ?? NO_CHECKPOINT}): ${seq}  denied by ${g.rule}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/**
 * The report's plot: violations per episode at each checkpoint, one line per rule (gaps included).
 *
 * @example
 * ```ts
 * writeFileSync('violations.svg', trainingReportSvg(report));
 * ```
 */
export function trainingReportSvg(report: TrainingReport): string {
  return renderLinePlot({
    title: 'Policy violations per episode, by checkpoint',
    xLabel: 'checkpoint',
    yLabel: 'violations per episode',
    categories: report.checkpoints,
    series: report.rules.map((r) => ({ name: r.rule, values: r.perEpisode })),
  });
}
