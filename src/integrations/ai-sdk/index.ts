/**
 * `agent-warden/ai-sdk`: govern the tools of a Vercel AI SDK (v6) call.
 *
 * @example
 * ```ts
 * import { governTools } from 'agent-warden/ai-sdk';
 * const tools = governTools({ refund: refundTool }, { governor });
 * ```
 */
export { governTools, type GovernToolsOptions, type AiSdkDenyMode } from './govern-tools.js';
