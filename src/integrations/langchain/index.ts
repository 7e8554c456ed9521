/**
 * `agent-warden/langchain`: govern LangChain.js tools, for LangGraph's `ToolNode`,
 * `createReactAgent`, or any model that binds tools; and `wardenMiddleware` for LangChain v1's
 * `createAgent`, which pauses approvals with LangGraph's `interrupt()`.
 *
 * @example
 * ```ts
 * import { governLangChainTools, wardenMiddleware } from 'agent-warden/langchain';
 * const tools = governLangChainTools([refund, lookupOrder], { governor });
 * const middleware = [wardenMiddleware({ governor })];
 * ```
 */
export { governLangChainTools, governLangChainTool, type GovernLangChainToolsOptions, type LangChainDenyMode, type LangChainTool } from './govern-tools.js';
export { wardenMiddleware, type WardenMiddlewareOptions, type WardenInterrupt } from './middleware.js';
