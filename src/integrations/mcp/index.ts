/**
 * The MCP gateway (`agent-warden/mcp`): a governed proxy in front of a real MCP server, with
 * tool-definition pinning and a Streamable HTTP listener.
 *
 * @example
 * ```ts
 * import { McpGateway, StrictStdioServerTransport } from 'agent-warden/mcp';
 * const gateway = await McpGateway.start({ upstream: { transport: 'stdio', command: 'node', args: ['server.js'] }, policy });
 * await gateway.connect(new StrictStdioServerTransport(), 'stdio'); // refuses messages whose JSON repeats a key
 * ```
 */
export { McpGateway, GATEWAY_POLICY, PIN_RULE, type McpGatewayOptions, type DownstreamTransport } from './gateway.js';
export { connectUpstream, listAllTools, serverKey, serverLabel, upstreamSpecOf, MAX_TOOLS, MAX_TOOL_PAGES, type UpstreamSpec } from './upstream.js';
export { canonicalToolDefinition, comparePins, describeCheck, pinTool, pinsOf, PINNED_FIELDS, type PinCheck, type PinReport, type PinStatus, type PinnedField, type ServerPins, type ToolDefinition, type ToolPin } from './pin.js';
export { lockPathFor, parseLock, readLockFile, writeServerPins, LOCK_FILE_NAME, MAX_LOCK_BYTES, MAX_LOCK_SERVERS, MAX_LOCK_TOOLS, type McpLock } from './lock-file.js';
export { alwaysDenied } from './hide.js';
export { approvalAnswer, approvalForm, APPROVE_FIELD } from './approval.js';
export { listenStreamableHttp, parseListenAddress, isLoopbackHost, type HttpListenOptions, type HttpListener, type ListenAddress } from './http-listener.js';
export { StrictStdioServerTransport, duplicateKeyRefusal, INVALID_REQUEST } from './strict-json.js';
