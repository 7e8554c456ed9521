/**
 * The parts of `@langchain/core` the adapter makes values of (tools, tool messages), loaded the
 * first time a tool is governed or a middleware is made, not when `agent-warden/langchain` is
 * imported: `@langchain/core` takes several hundred milliseconds to load in a fresh process, and
 * the application that uses the adapter has loaded it already (see src/lib/lazy-peer.ts, which
 * gives the same instances the application imports).
 */
import { lazyPeer } from '../../lib/lazy-peer.js';

const INSTALL = '@langchain/core';
const MISSING = 'The LangChain adapter needs the optional package @langchain/core. Install it beside agent-warden: npm install @langchain/core';

/**
 * `@langchain/core/tools`, loaded on the first call.
 *
 * @example
 * ```ts
 * const { DynamicTool } = langchainTools();
 * ```
 * @throws WardenError `ERR_MISSING_DEPENDENCY` when `@langchain/core` is not installed or fails to load.
 */
export const langchainTools = lazyPeer<typeof import('@langchain/core/tools')>('@langchain/core/tools', INSTALL, MISSING);

/**
 * `@langchain/core/messages`, loaded on the first call.
 *
 * @example
 * ```ts
 * const { ToolMessage } = langchainMessages();
 * ```
 * @throws WardenError `ERR_MISSING_DEPENDENCY` when `@langchain/core` is not installed or fails to load.
 */
export const langchainMessages = lazyPeer<typeof import('@langchain/core/messages')>('@langchain/core/messages', INSTALL, MISSING);
