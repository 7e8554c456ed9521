/**
 * `agent-warden/openai-agents`: govern the function tools of an OpenAI Agents JS agent.
 *
 * @example
 * ```ts
 * import { governFunctionTools } from 'agent-warden/openai-agents';
 * const agent = new Agent({ name: 'support', tools: governFunctionTools([refund], { governor }) });
 * ```
 */
export { governFunctionTools, type GovernFunctionToolsOptions, type OpenAIAgentsDenyMode } from './govern-tools.js';
