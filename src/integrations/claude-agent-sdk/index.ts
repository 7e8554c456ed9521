/**
 * `agent-warden/claude-agent-sdk`: govern every tool call of a Claude Agent SDK `query()` with
 * the SDK's own hooks and `canUseTool`.
 *
 * @example
 * ```ts
 * import { governClaudeAgent } from 'agent-warden/claude-agent-sdk';
 * const options = { ...governClaudeAgent({ governor, canUseTool: askAPerson }) };
 * ```
 */
export { governClaudeAgent, type GovernClaudeAgentOptions, type GovernedClaudeAgent } from './govern-agent.js';
