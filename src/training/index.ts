/**
 * Training governance: the policy production enforces, in reinforcement-learning rollouts (as a
 * governed environment that blocks or shadows calls and records every one in a per-run audit
 * stream), as rewards (itemized, deterministic penalties), and in reports (violations per rule
 * across checkpoints, as a table and an SVG plot). See docs/training.md.
 *
 * @example
 * ```ts
 * import { parseTrajectoryJsonl, policyReward } from 'agent-warden/training';
 * const [t] = parseTrajectoryJsonl(text, 'episodes.jsonl');
 * const { reward, items } = policyReward(t, policySet, { terminateOn: 'critical' });
 * ```
 */
export { governedEnvironment } from './environment.js';
export type { GovernedEnvironment, GovernedEnvironmentOptions, GovernedEpisode, EnvironmentTool, ToolDenial } from './environment.js';
export { shadowShell } from './shadow-shell.js';
export type { ShadowShellOptions, ShadowShellResult } from './shadow-shell.js';
export { openTrainingRun, runStreamName } from './run.js';
export type { TrainingRun, TrainingRunOptions } from './run.js';
export { policyReward, checkShaping, ruleId, SEVERITIES } from './reward.js';
export type { RewardShaping, CheckedShaping, RewardItem, RewardResult, Severity } from './reward.js';
export { replayTrajectory, requestOf } from './session-replay.js';
export type { ReplayedCall } from './session-replay.js';
export { policyGaps } from './gaps.js';
export type { PolicyGap } from './gaps.js';
export { parseTrajectoryJsonl, trajectoryJsonl, callOfLine, TRAJECTORY_SCHEMA, MAX_TRAJECTORY_LINE_BYTES, MAX_TRAJECTORY_CALLS } from './trajectory.js';
export type { Trajectory, TrajectoryCall, RecordedDecision, CallOutcome } from './trajectory.js';
export { trajectoriesFromOtlp } from './otel-import.js';
export { trajectoriesFromAudit } from './audit-import.js';
export type { AuditTrajectories } from './audit-import.js';
export { trainingReport, formatTrainingReport, trainingReportSvg, NO_CHECKPOINT } from './report.js';
export type { TrainingReport, TrainingReportOptions, RuleRow } from './report.js';
export { renderLinePlot, fmtValue, MAX_PLOT_SERIES } from './svg-plot.js';
export type { LinePlot, PlotSeries } from './svg-plot.js';
