/**
 * The MCP SDK (`@modelcontextprotocol/sdk`, an optional peer), loaded the first time the gateway,
 * a client connection or the strict stdio transport needs it, not when `agent-warden/mcp` is
 * imported: its types module builds several hundred zod schemas at load, about 300 ms in a fresh
 * process. The instances are the ones the application imports (see src/lib/lazy-peer.ts), so
 * `instanceof McpError` and the schemas behave as with a static import.
 */
import { lazyPeer } from '../../lib/lazy-peer.js';

const INSTALL = '@modelcontextprotocol/sdk zod';
const MISSING = 'The MCP gateway needs the optional package @modelcontextprotocol/sdk (and its peer zod). Install them beside agent-warden: npm install @modelcontextprotocol/sdk zod';

/**
 * `@modelcontextprotocol/sdk/types.js` (schemas, `McpError`, `ErrorCode`), loaded on the first call.
 *
 * @example
 * ```ts
 * throw new (mcpTypes().McpError)(mcpTypes().ErrorCode.InvalidParams, 'no such task');
 * ```
 * @throws WardenError `ERR_MISSING_DEPENDENCY` when the SDK is not installed or fails to load.
 */
export const mcpTypes = lazyPeer<typeof import('@modelcontextprotocol/sdk/types.js')>('@modelcontextprotocol/sdk/types.js', INSTALL, MISSING);

/**
 * `@modelcontextprotocol/sdk/server/index.js` (the `Server` each gateway session gets), loaded on the first call.
 *
 * @example
 * ```ts
 * const server = new (mcpServer().Server)({ name: 'warden', version: '1' }, { capabilities: {} });
 * ```
 * @throws WardenError `ERR_MISSING_DEPENDENCY` when the SDK is not installed or fails to load.
 */
export const mcpServer = lazyPeer<typeof import('@modelcontextprotocol/sdk/server/index.js')>('@modelcontextprotocol/sdk/server/index.js', INSTALL, MISSING);

/**
 * `@modelcontextprotocol/sdk/client/index.js` (the `Client` of each upstream connection), loaded on the first call.
 *
 * @example
 * ```ts
 * const client = new (mcpClient().Client)({ name: 'warden', version: '1' }, { capabilities: {} });
 * ```
 * @throws WardenError `ERR_MISSING_DEPENDENCY` when the SDK is not installed or fails to load.
 */
export const mcpClient = lazyPeer<typeof import('@modelcontextprotocol/sdk/client/index.js')>('@modelcontextprotocol/sdk/client/index.js', INSTALL, MISSING);
