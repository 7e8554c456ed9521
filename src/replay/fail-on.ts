/**
 * `--fail-on`: which replay findings fail a CI run.
 */
import { WardenError } from '../errors.js';
import type { Effect } from '../decision.js';
import type { ChangeKind, ReplayReport } from './replay.js';

/**
 * A class of finding that fails a replay:
 * - `deny-to-allow`: a change from deny or require_approval to allow or warn (the candidate lets through what was stopped);
 * - `allow-to-deny`: a change from allow or warn to deny or require_approval (the candidate stops what ran);
 * - `any`: any change of effect;
 * - `indeterminate`: any record whose redacted fields a deciding rule reads;
 * - `malformed`: any line that is not a readable record.
 *
 * @example
 * ```ts
 * const failOn: FailOn[] = ['deny-to-allow', 'indeterminate'];
 * ```
 */
export type FailOn = 'deny-to-allow' | 'allow-to-deny' | 'any' | 'indeterminate' | 'malformed';

/** Every {@link FailOn} value, in the order help lists them. */
export const FAIL_ON_VALUES: readonly FailOn[] = ['deny-to-allow', 'allow-to-deny', 'any', 'indeterminate', 'malformed'];

const STOPPED: ReadonlySet<Effect> = new Set(['deny', 'require_approval']);

/**
 * Parses a comma-separated `--fail-on` list (`deny-to-allow,allow-to-deny`); duplicates collapse.
 *
 * @example
 * ```ts
 * parseFailOn('deny-to-allow, any'); // ['deny-to-allow', 'any']
 * ```
 * @throws WardenError `ERR_USAGE` for an empty list or an unknown value.
 */
export function parseFailOn(list: string): FailOn[] {
  const out: FailOn[] = [];
  for (const raw of list.split(',')) {
    const value = raw.trim();
    if (!(FAIL_ON_VALUES as readonly string[]).includes(value)) {
      throw new WardenError('ERR_USAGE', `--fail-on ${JSON.stringify(value)} is not one of ${FAIL_ON_VALUES.join(', ')} (comma-separated).`);
    }
    if (!out.includes(value as FailOn)) out.push(value as FailOn);
  }
  return out;
}

/**
 * The effects on both sides of a change kind.
 *
 * @example
 * ```ts
 * effectsOf('allow->deny'); // ['allow', 'deny']
 * ```
 */
export function effectsOf(kind: ChangeKind): [Effect, Effect] {
  const at = kind.indexOf('->');
  return [kind.slice(0, at) as Effect, kind.slice(at + 2) as Effect];
}

/**
 * The `--fail-on` class a change kind belongs to: `deny-to-allow`, `allow-to-deny`, or null for a
 * change within one side (`deny->require_approval`, `warn->allow`), which only `any` fails.
 *
 * @example
 * ```ts
 * directionOf('require_approval->warn'); // 'deny-to-allow'
 * directionOf('allow->warn'); // null
 * ```
 */
export function directionOf(kind: ChangeKind): 'deny-to-allow' | 'allow-to-deny' | null {
  const [from, to] = effectsOf(kind);
  if (STOPPED.has(from) && !STOPPED.has(to)) return 'deny-to-allow';
  if (!STOPPED.has(from) && STOPPED.has(to)) return 'allow-to-deny';
  return null;
}

/**
 * The `--fail-on` value a changed (or indeterminate) decision fails under, or null when it passes.
 *
 * @example
 * ```ts
 * failingClass({ status: 'changed', kind: 'deny->allow' }, ['deny-to-allow']); // 'deny-to-allow'
 * ```
 */
export function failingClass(change: { status: 'changed' | 'indeterminate'; kind: ChangeKind }, failOn: readonly FailOn[]): FailOn | null {
  if (change.status === 'indeterminate') return failOn.includes('indeterminate') ? 'indeterminate' : null;
  const direction = directionOf(change.kind);
  if (direction !== null && failOn.includes(direction)) return direction;
  return failOn.includes('any') ? 'any' : null;
}

/**
 * Why a report fails under `failOn`: one sentence per failing class; empty when it passes.
 *
 * @example
 * ```ts
 * const failures = replayFailures(report, ['deny-to-allow']);
 * process.exitCode = failures.length > 0 ? 1 : 0;
 * ```
 */
export function replayFailures(report: ReplayReport, failOn: readonly FailOn[]): string[] {
  const out: string[] = [];
  const count = (dir: 'deny-to-allow' | 'allow-to-deny'): number =>
    Object.entries(report.changes).reduce((n, [kind, c]) => n + (directionOf(kind as ChangeKind) === dir ? (c ?? 0) : 0), 0);
  for (const f of failOn) {
    if (f === 'deny-to-allow' || f === 'allow-to-deny') {
      const n = count(f);
      if (n > 0) out.push(`${f}: ${plural(n, 'decision')} moved from ${f === 'deny-to-allow' ? 'deny or require_approval to allow or warn' : 'allow or warn to deny or require_approval'}`);
    } else if (f === 'any' && report.changed > 0) {
      out.push(`any: ${plural(report.changed, 'decision')} changed`);
    } else if (f === 'indeterminate' && report.indeterminate > 0) {
      out.push(`indeterminate: ${plural(report.indeterminate, 'decision')} could not be replayed (a rule reads redacted data)`);
    } else if (f === 'malformed' && report.malformed > 0) {
      out.push(`malformed: ${plural(report.malformed, 'line')} could not be read as records`);
    }
  }
  return out;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
