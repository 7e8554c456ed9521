/**
 * `agent-warden/opencode`: an OpenCode plugin that governs every tool call with OpenCode's own
 * hooks (`tool.execute.before` / `tool.execute.after`) and asks for approvals through OpenCode's
 * own permission prompt.
 *
 * @example
 * ```ts
 * import { governOpenCode } from 'agent-warden/opencode';
 * export const Warden = governOpenCode({ governor }).plugin;
 * ```
 */
export { governOpenCode, type GovernOpenCodeOptions, type GovernedOpenCode } from './govern-plugin.js';
