/**
 * `agent-warden/google-adk`: govern every tool call of a Google ADK `LlmAgent` with its own
 * tool callbacks and tool confirmation.
 *
 * @example
 * ```ts
 * import { governAdkAgent } from 'agent-warden/google-adk';
 * const warden = governAdkAgent({ governor });
 * const agent = new LlmAgent({ name: 'support', model, tools: warden.tools(tools), ...warden.callbacks });
 * ```
 */
export { governAdkAgent, type GovernAdkAgentOptions, type GovernedAdkAgent } from './govern-agent.js';
