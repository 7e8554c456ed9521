/**
 * Policy regression replay: re-decide recorded requests under a candidate policy and report what
 * would change, as a library (`replay`) and as the `warden replay` command.
 *
 * @example
 * ```ts
 * import { replay, readReplayRecords, formatReplayText } from './replay/index.js';
 * const report = await replay(readReplayRecords(['.warden/audit/warden.jsonl']), candidate);
 * process.stdout.write(formatReplayText(report));
 * ```
 */
export { replay, replayRecordProblem, summarizeArgs, MAX_EXAMPLES_PER_GROUP, MAX_MALFORMED_EXAMPLES, ARGS_SUMMARY_CHARS } from './replay.js';
export type {
  ReplayRecord,
  ReplayDecisionRecord,
  ReplayMalformedLine,
  ReplayReport,
  ReplayGroup,
  ReplayExample,
  ReplayOptions,
  ReplayProgress,
  ReplayChange,
  ChangeKind,
  DecisionSummary,
  MalformedExample,
} from './replay.js';
export { readReplayRecords, totalBytes } from './read-log.js';
export type { ReadReplayOptions } from './read-log.js';
export { hiddenFields, pathsOverlap } from './hidden-fields.js';
export type { HiddenFields } from './hidden-fields.js';
export { RuleReads } from './rule-reads.js';
export type { HiddenRead } from './rule-reads.js';
export { parseFailOn, replayFailures, failingClass, directionOf, effectsOf, FAIL_ON_VALUES } from './fail-on.js';
export type { FailOn } from './fail-on.js';
export { formatReplayText, formatReplayMarkdown, printable, thousands, codeSpan } from './format.js';
export type { FormatOptions } from './format.js';
export { junitTestcase, junitDocument, xmlText } from './junit.js';
