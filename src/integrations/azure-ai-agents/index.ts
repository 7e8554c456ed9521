/**
 * `agent-warden/azure-ai-agents`: govern the function tools an Azure AI Foundry agent run asks
 * the client for (`requires_action` -> `submitToolOutputs`).
 *
 * @example
 * ```ts
 * import { governAzureTools } from 'agent-warden/azure-ai-agents';
 * const warden = governAzureTools({ governor, tools: { refund } });
 * const { run, paused } = await warden.run(client, await client.runs.create(thread.id, agent.id));
 * ```
 */
export { governAzureTools, type GovernedAzureTools } from './govern-tools.js';
export type { AzureApprovalAnswers, AzureDenyMode, AzureRequiringRun, AzureFunction, AzurePausedCall, AzureStep, AzureToolCall, GovernAzureToolsOptions } from './answer-step.js';
export type { AzureRunOptions, AzureRunResult, AzureRunsClient } from './drive-run.js';
