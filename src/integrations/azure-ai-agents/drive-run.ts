/**
 * Driving an Azure AI Agents run to its end with the client's own calls (`runs.get`,
 * `runs.submitToolOutputs`, `runs.cancel`), answering each `requires_action` step through the
 * Governor. Anything the service answers that cannot be continued safely stops the loop with
 * ERR_AZURE_RUN; a step is submitted only after every call of it was decided.
 */
import type { AgentsClient, ThreadRun, ToolOutput } from '@azure/ai-agents';
import { GovernanceDenied } from '../../enforce/denied.js';
import { WardenError } from '../../errors.js';
import { rejectUnknownKeys } from '../../lib/options.js';
import type { AzureApprovalAnswers, AzureConfig, AzurePausedCall, StepAnswerer } from './answer-step.js';

/**
 * The part of an `AgentsClient` the loop uses (an `AgentsClient` is one).
 *
 * @example
 * ```ts
 * const runs: AzureRunsClient = new AgentsClient(endpoint, credential);
 * ```
 */
export interface AzureRunsClient {
  runs: Pick<AgentsClient['runs'], 'get' | 'submitToolOutputs' | 'cancel'>;
}

/**
 * Options of `run()`.
 *
 * @example
 * ```ts
 * const options: AzureRunOptions = { answers: { call_1: true }, pollIntervalMs: 500 };
 * ```
 */
export interface AzureRunOptions {
  /** The person's answers to paused calls (see AzureApprovalAnswers). */
  answers?: AzureApprovalAnswers;
  /** Wait between polls of a queued or in-progress run; default 1000 ms (the client's own poller's). */
  pollIntervalMs?: number;
  /** Most polls before giving up (ERR_AZURE_RUN; the run is left as it is); default 600. */
  maxPolls?: number;
  /** Most `requires_action` steps answered in one call; default 32. */
  maxSteps?: number;
  /** Stops the loop (between requests) with ERR_AZURE_RUN. */
  signal?: AbortSignal;
}

/**
 * Where `run()` stopped: a run in a final state (`completed`, `failed`, `cancelled`, `expired`,
 * `incomplete`), or a run waiting in `requires_action` for the answers to `paused`.
 *
 * @example
 * ```ts
 * const { run, paused } = await warden.run(client, created);
 * if (paused.length > 0) askPeople(paused);
 * ```
 */
export interface AzureRunResult {
  run: ThreadRun;
  paused: AzurePausedCall[];
}

const RUN_OPTION_KEYS = ['answers', 'pollIntervalMs', 'maxPolls', 'maxSteps', 'signal'];
const WAITING = new Set(['queued', 'in_progress', 'cancelling']);

/** The loop itself: see GovernedAzureTools.run. */
export async function driveRun(config: AzureConfig, answerer: StepAnswerer, client: AzureRunsClient, target: ThreadRun | { threadId: string; runId: string }, options: AzureRunOptions = {}): Promise<AzureRunResult> {
  rejectUnknownKeys(options, RUN_OPTION_KEYS, 'ERR_INTEGRATION_OPTIONS', 'run() options');
  const pollMs = positive(options.pollIntervalMs ?? 1000, 'pollIntervalMs', true);
  const maxPolls = positive(options.maxPolls ?? 600, 'maxPolls', false);
  const maxSteps = positive(options.maxSteps ?? 32, 'maxSteps', false);
  if (client === null || typeof client !== 'object' || typeof client.runs?.get !== 'function' || typeof client.runs.submitToolOutputs !== 'function') {
    throw new WardenError('ERR_INTEGRATION_OPTIONS', 'run() needs the AgentsClient (new AgentsClient(endpoint, credential)).');
  }
  const t = target as Partial<ThreadRun> & { runId?: unknown };
  const threadId = t?.threadId;
  const runId = typeof t?.runId === 'string' ? t.runId : t?.id;
  if (typeof threadId !== 'string' || threadId === '' || typeof runId !== 'string' || runId === '') throw new WardenError('ERR_INTEGRATION_OPTIONS', 'run() needs the run (a ThreadRun) or { threadId, runId }.');
  const signal = options.signal;
  const call = async <T>(what: string, request: () => PromiseLike<T>): Promise<T> => {
    if (signal?.aborted === true) throw new WardenError('ERR_AZURE_RUN', `Stopped before ${what} of run ${runId}: the signal was aborted.`);
    let answer: T;
    try {
      answer = await request();
    } catch (e) {
      throw new WardenError('ERR_AZURE_RUN', `The service failed ${what} of run ${runId} (${e instanceof Error ? e.message : String(e)}); nothing more of the run was answered.`, { cause: e });
    }
    return answer;
  };
  const checked = (run: unknown, what: string): ThreadRun => {
    const r = run as Partial<ThreadRun> | null;
    // invariant: every state the loop acts on is of the run it was asked to drive.
    if (r === null || typeof r !== 'object' || r.id !== runId || r.threadId !== threadId || typeof r.status !== 'string') {
      throw new WardenError('ERR_AZURE_RUN', `The service answered ${what} of run ${runId} with something that is not that run; nothing more of it was answered.`);
    }
    return r as ThreadRun;
  };

  let run = 'status' in (t as object) && t.id === runId ? checked(t, 'the given run') : checked(await call('the read', () => client.runs.get(threadId, runId)), 'the read');
  let polls = 0;
  let steps = 0;
  for (;;) {
    if (WAITING.has(run.status)) {
      if (++polls > maxPolls) throw new WardenError('ERR_AZURE_RUN', `Run ${runId} was still ${run.status} after ${maxPolls} polls (maxPolls); it was left as it is.`);
      await config.governor.pipeline.timer.sleep(pollMs);
      run = checked(await call('a poll', () => client.runs.get(threadId, runId)), 'a poll');
      continue;
    }
    if (run.status !== 'requires_action') return { run, paused: [] };
    if (++steps > maxSteps) throw new WardenError('ERR_AZURE_RUN', `Run ${runId} asked for tool outputs more than ${maxSteps} times (maxSteps); it was left waiting.`);
    let outputs: ToolOutput[];
    try {
      const step = await answerer.answer(run, options.answers);
      if (step.paused.length > 0) return { run, paused: step.paused };
      outputs = step.toolOutputs;
    } catch (e) {
      // onDeny 'throw': nothing of the step ran; the run is cancelled rather than left waiting for outputs.
      if (e instanceof GovernanceDenied && typeof client.runs.cancel === 'function') await Promise.resolve(client.runs.cancel(threadId, runId)).catch(() => undefined);
      throw e;
    }
    run = checked(await call('the tool outputs', () => client.runs.submitToolOutputs(threadId, runId, outputs)), 'the tool outputs');
  }
}

function positive(value: unknown, name: string, zero: boolean): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < (zero ? 0 : 1)) throw new WardenError('ERR_INTEGRATION_OPTIONS', `${name} must be a ${zero ? 'non-negative' : 'positive'} integer; got ${String(value)}.`);
  return value;
}
