/**
 * `agent-warden/langchain`: govern LangChain.js tools, for LangGraph's `ToolNode`,
 * `createReactAgent`, or any model that binds tools.
 *
 * @example
 * ```ts
 * import { governLangChainTools } from 'agent-warden/langchain';
 * const tools = governLangChainTools([refund, lookupOrder], { governor });
 * ```
 */
export { governLangChainTools, governLangChainTool, type GovernLangChainToolsOptions, type LangChainDenyMode, type LangChainTool } from './govern-tools.js';
