/**
 * `governAzureTools`: the adapter's one verb for Azure AI Foundry Agents. See answer-step.ts for
 * how a step is answered and drive-run.ts for the loop.
 */
import type { ThreadRun } from '@azure/ai-agents';
import { azureConfig, StepAnswerer, type AzureApprovalAnswers, type AzureRequiringRun, type AzureStep, type GovernAzureToolsOptions } from './answer-step.js';
import { driveRun, type AzureRunOptions, type AzureRunResult, type AzureRunsClient } from './drive-run.js';

/**
 * What {@link governAzureTools} returns.
 *
 * @example
 * ```ts
 * const warden: GovernedAzureTools = governAzureTools({ governor, tools: { refund } });
 * ```
 */
export interface GovernedAzureTools {
  /**
   * Answers one `requires_action` step of a run: the tool outputs to submit with
   * `client.runs.submitToolOutputs`, or (when `paused` is not empty) the calls waiting for a
   * person, and then nothing to submit yet. For the streaming API, call it with the
   * `thread.run.requires_action` event's run.
   */
  answer(run: AzureRequiringRun, answers?: AzureApprovalAnswers): Promise<AzureStep>;
  /**
   * Drives a run until it ends or pauses: polls it while it is queued or in progress, answers
   * every `requires_action` step and submits the outputs. Resume a paused run by calling it again
   * with `{ answers }`.
   */
  run(client: AzureRunsClient, run: ThreadRun | { threadId: string; runId: string }, options?: AzureRunOptions): Promise<AzureRunResult>;
}

/**
 * Governs the function tools of Azure AI Foundry agent runs. For each tool call of a
 * `requires_action` step (tool name = the function's name, args = its JSON arguments, context =
 * `{ host: 'azure-ai-agents', callId: <tool call id>, session: <thread id>, azureAiAgents: { threadId, runId, assistantId } }`):
 * - allowed: the function runs with a copy of exactly the decided arguments; its result is the
 *   tool output, and its outcome is recorded under the tool call id.
 * - denied: the function never runs; the tool output is `Warden denied "<tool>": <reason>`.
 *   Arguments that are not a JSON object (or repeat a key), a function not in `tools`, and a
 *   call that is not a function call are denied the same way, and recorded.
 * - approval required (`approval: 'host'`, the default): nothing of the step runs and nothing is
 *   submitted; the run waits in `requires_action` and the paused calls are reported. Resume with
 *   the person's answers: `true` approves exactly the call that was paused (a changed argument
 *   is a denial), recorded with `approver`.
 * - a function that throws: the tool output says it failed, and the error is recorded.
 *
 * @throws WardenError `ERR_INTEGRATION_OPTIONS` for bad options; `answer()` and `run()` reject
 *   with `ERR_AZURE_RUN` for a step that cannot be answered safely or a service that fails (nothing
 *   of that step runs), and with GovernanceDenied under `onDeny: 'throw'`.
 * @example
 * ```ts
 * import { AgentsClient } from '@azure/ai-agents';
 * import { governAzureTools } from 'agent-warden/azure-ai-agents';
 *
 * const warden = governAzureTools({ governor, tools: { refund: async (args) => `refunded ${String(args.amount)}` } });
 * const created = await client.runs.create(thread.id, agent.id);
 * let { run, paused } = await warden.run(client, created);
 * if (paused.length > 0) ({ run, paused } = await warden.run(client, run, { answers: { [paused[0].toolCallId]: true } }));
 * ```
 */
export function governAzureTools(options: GovernAzureToolsOptions): GovernedAzureTools {
  const config = azureConfig(options);
  const answerer = new StepAnswerer(config);
  return {
    answer: (run, answers) => answerer.answer(run, answers),
    run: (client, run, runOptions) => driveRun(config, answerer, client, run, runOptions),
  };
}
