/**
 * Governed rollouts: an environment's tools wrapped so every call an episode makes goes through
 * the production pipeline (the Governor's: same policy object, same stages, same audit records).
 * `enforce` runs what the policy allows and hands the episode a {@link ToolDenial} for the rest;
 * `shadow` runs every call in the sandboxed implementations the caller supplies and records what
 * production would have decided. Each episode is kept as a {@link Trajectory} for rewards.
 */
import { performance } from 'node:perf_hooks';
import type { Decision } from '../decision.js';
import type { Governor } from '../enforce/governor.js';
import { runWithFault } from '../enforce/fault.js';
import { WardenError } from '../errors.js';
import { thawedCopy } from '../lib/snapshot.js';
import type { RecordedDecision, Trajectory, TrajectoryCall } from './trajectory.js';

/**
 * What an episode receives instead of a tool's result when the policy does not allow the call
 * (enforce mode). One shape for every denial, so a learner sees denials the same way each time.
 *
 * @example
 * ```ts
 * const d: ToolDenial = { denied: true, tool: 'upload', effect: 'deny', rule: 'no-egress-after-secret', policy: 'guard', reason: 'secrets stay home' };
 * ```
 */
export interface ToolDenial {
  denied: true;
  tool: string;
  /** `deny`, or `require_approval` when approval was required and not given. */
  effect: Decision['effect'];
  rule: string | null;
  policy: string | null;
  reason: string;
}

/**
 * A tool of an environment: plain-object arguments in, a result (or a promise of one) out.
 *
 * @example
 * ```ts
 * const readFile: EnvironmentTool = ({ path }) => scratch.get(String(path));
 * ```
 */
export type EnvironmentTool = (args: Record<string, unknown>) => unknown;

/**
 * Options of {@link governedEnvironment}.
 *
 * @example
 * ```ts
 * const options: GovernedEnvironmentOptions = { governor, mode: 'enforce', run: 'run-7' };
 * ```
 */
export interface GovernedEnvironmentOptions {
  /** The Governor production uses (its policy, sink and state store); give it `state: { store }` so flow rules see sessions. */
  governor: Governor;
  mode: 'enforce' | 'shadow';
  /** The training run's id; recorded in every call's `context.training.run`. */
  run: string;
  /**
   * Shadow mode runs calls the policy denies. Set this to true to state that the tools given are
   * sandboxed implementations (a scratch file system, a fake network); Warden does not isolate them.
   */
  sandboxed?: boolean;
  /** The clock for each call's `ts` in the trajectory; default the system clock. Pass the Governor's. */
  clock?: () => Date;
}

/**
 * One episode of a governed environment.
 *
 * @example
 * ```ts
 * const ep = env.episode({ id: 'ep-1', checkpoint: 'step-100' });
 * await ep.tools.read_file({ path: 'notes.txt' });
 * const t = ep.trajectory();
 * ```
 */
export interface GovernedEpisode {
  /** The governed tools, by name. */
  readonly tools: Readonly<Record<string, (args: Record<string, unknown>) => Promise<unknown>>>;
  /** The episode's calls so far, with decisions and outcomes (a copy). */
  trajectory(): Trajectory;
}

/**
 * A governed environment: episodes whose tool calls are decided by the production pipeline.
 *
 * @example
 * ```ts
 * const env = governedEnvironment({ read_file, upload }, { governor, mode: 'enforce', run: 'run-7' });
 * ```
 */
export interface GovernedEnvironment {
  readonly mode: 'enforce' | 'shadow';
  readonly run: string;
  /** Starts an episode; its id is the session every call carries (`context.session`). */
  episode(options: { id: string; checkpoint?: string | null }): GovernedEpisode;
}

const OPTION_KEYS = ['governor', 'mode', 'run', 'sandboxed', 'clock'];
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * Wraps an environment's tools for governed rollouts (see the module comment). In `enforce` mode
 * a call the policy does not allow is not run: the episode gets a {@link ToolDenial} as the
 * result. In `shadow` mode every call runs (in the sandboxed tools you pass; `sandboxed: true`
 * says they are) and the decision is recorded, with `executed: false` on denials, as production
 * would not have run them. Every call is recorded through the Governor's pipeline and sink, with
 * `context.session` (the episode) and `context.training` (`{ run, episode, checkpoint, mode }`).
 *
 * @example
 * ```ts
 * const env = governedEnvironment({ read_file: ({ path }) => files.get(String(path)) }, { governor, mode: 'enforce', run: 'run-7' });
 * const ep = env.episode({ id: 'ep-1', checkpoint: 'c1' });
 * const out = await ep.tools.read_file({ path: '/secrets/key' }); // { denied: true, rule: 'no-secrets', ... }
 * ```
 * @throws WardenError `ERR_OPTIONS` for unknown or missing options, a tool that is not a function,
 *   or shadow mode without `sandboxed: true`.
 */
export function governedEnvironment(tools: Record<string, EnvironmentTool>, options: GovernedEnvironmentOptions): GovernedEnvironment {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_OPTIONS', 'governedEnvironment needs options { governor, mode, run }.');
  for (const key of Object.keys(options)) if (!OPTION_KEYS.includes(key)) throw new WardenError('ERR_OPTIONS', `Unknown governedEnvironment option ${JSON.stringify(key)}; the options are ${OPTION_KEYS.join(', ')}.`);
  const { governor, mode, run } = options;
  if (governor === null || typeof governor !== 'object' || typeof (governor as Partial<Governor>).pipeline?.decide !== 'function') throw new WardenError('ERR_OPTIONS', 'governedEnvironment needs { governor }: the Governor production uses.');
  if (mode !== 'enforce' && mode !== 'shadow') throw new WardenError('ERR_OPTIONS', `mode must be "enforce" or "shadow"; got ${JSON.stringify(mode)}.`);
  if (typeof run !== 'string' || !ID.test(run)) throw new WardenError('ERR_OPTIONS', 'run must be an id of 1-128 letters, digits, ".", "_", ":" or "-".');
  if (mode === 'shadow' && options.sandboxed !== true) {
    throw new WardenError('ERR_OPTIONS', 'Shadow mode runs calls the policy denies: pass tools that act on a sandbox (scratch files, a fake network) and set sandboxed: true to say so.');
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') throw new WardenError('ERR_OPTIONS', 'clock must be a function returning a Date.');
  if (tools === null || typeof tools !== 'object') throw new WardenError('ERR_OPTIONS', 'tools must be an object of functions, by tool name.');
  const impls = new Map<string, EnvironmentTool>();
  for (const [name, fn] of Object.entries(tools)) {
    if (typeof fn !== 'function') throw new WardenError('ERR_OPTIONS', `tool ${JSON.stringify(name)} is not a function.`);
    impls.set(name, fn);
  }
  const clock = options.clock ?? (() => new Date());
  const pipeline = governor.pipeline;

  return Object.freeze({
    mode,
    run,
    episode(ep: { id: string; checkpoint?: string | null }): GovernedEpisode {
      if (ep === null || typeof ep !== 'object' || typeof ep.id !== 'string' || !ID.test(ep.id)) throw new WardenError('ERR_OPTIONS', 'An episode needs an id of 1-128 letters, digits, ".", "_", ":" or "-".');
      const checkpoint = ep.checkpoint ?? null;
      if (checkpoint !== null && (typeof checkpoint !== 'string' || checkpoint.length === 0 || checkpoint.length > 256)) throw new WardenError('ERR_OPTIONS', 'An episode checkpoint is a non-empty string of at most 256 characters, or null.');
      const calls: TrajectoryCall[] = [];
      const training = { run, episode: ep.id, checkpoint, mode };
      let step = 0;

      const callTool = async (name: string, impl: EnvironmentTool, args: Record<string, unknown>): Promise<unknown> => {
        const ts = clock().toISOString();
        const record: TrajectoryCall = { step: step++, ts, tool: name, args: {}, context: { training } };
        calls.push(record);
        const { verdict, snapshot } = await pipeline.decide({ request: { tool: name, args, context: { session: ep.id, training } }, ...(mode === 'shadow' ? { approval: 'defer' as const } : {}) });
        const decided = snapshot === null ? null : (thawedCopy(snapshot) as { args?: Record<string, unknown> }).args ?? null;
        record.args = decided ?? {};
        record.decision = decisionOf(verdict);
        if (decided === null || (mode === 'enforce' && !verdict.allowed)) {
          record.outcome = { status: 'denied' };
          const denial: ToolDenial = { denied: true, tool: name, effect: verdict.effect, rule: verdict.rule, policy: verdict.policy, reason: verdict.reason };
          return denial;
        }
        // invariant: the tool runs with a copy of the decided snapshot, never the caller's live object.
        let started = performance.now();
        try {
          // Chaos experiments reach rollouts as they reach production calls (see govern()).
          const fault = pipeline.faultFor({ call: verdict.call, tool: name });
          const call = (): unknown => impl(decided);
          started = performance.now();
          const result = await pipeline.runCall(verdict.call, fault === null ? call : () => runWithFault(fault, call));
          record.outcome = { status: 'ok', result: jsonOrNote(result) };
          await pipeline.observe({ call: verdict.call, tool: name }, { status: 'ok', durationMs: performance.now() - started, result: jsonOrNote(result) });
          return result;
        } catch (e) {
          const error = e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
          record.outcome = { status: 'error', error: error.message };
          await pipeline.observe({ call: verdict.call, tool: name }, { status: 'error', durationMs: performance.now() - started, error });
          throw e;
        }
      };

      const governed: Record<string, (args: Record<string, unknown>) => Promise<unknown>> = Object.create(null) as Record<string, (args: Record<string, unknown>) => Promise<unknown>>;
      for (const [name, impl] of impls) governed[name] = (args: Record<string, unknown>) => callTool(name, impl, args);
      return Object.freeze({
        tools: Object.freeze(governed),
        trajectory: (): Trajectory => JSON.parse(JSON.stringify({ id: ep.id, checkpoint, calls })) as Trajectory,
      });
    },
  });
}

function decisionOf(verdict: Decision): RecordedDecision {
  return { effect: verdict.effect, rule: verdict.rule, policy: verdict.policy, reason: verdict.reason };
}

/** A result with no JSON form is recorded as a note, never dropped silently. */
function jsonOrNote(result: unknown): unknown {
  if (result === undefined) return null;
  try {
    const text = JSON.stringify(result);
    return text === undefined ? { unrecordable: typeof result } : (JSON.parse(text) as unknown);
  } catch {
    return { unrecordable: typeof result };
  }
}
