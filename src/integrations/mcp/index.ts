/**
 * The MCP gateway (`agent-warden/mcp`): a governed proxy in front of one or several real MCP
 * servers (tools namespaced per server, a policy and pins per server), with tool-definition
 * pinning, approvals by MCP elicitation, the servers' own sampling/elicitation/roots requests
 * decided, a Streamable HTTP listener and bearer-token authentication.
 *
 * @example
 * ```ts
 * import { McpGateway, StrictStdioServerTransport } from 'agent-warden/mcp';
 * const gateway = await McpGateway.start({ upstream: { transport: 'stdio', command: 'node', args: ['server.js'] }, policy });
 * await gateway.connect(new StrictStdioServerTransport(), 'stdio'); // refuses messages whose JSON repeats a key
 * ```
 */
export { McpGateway, GATEWAY_POLICY, PIN_RULE, type McpGatewayOptions, type McpServerOptions, type DownstreamTransport, type GatewaySession } from './gateway.js';
export { UpstreamServer } from './upstream-server.js';
export { checkServerName, namespacedName, splitNamespaced, NAMESPACE_SEPARATOR, SERVER_NAME } from './namespace.js';
export { readMcpConfig, parseMcpConfig, CONFIG_FILE_NAME, MAX_CONFIG_BYTES, MAX_SERVERS, type McpConfig, type McpConfigServer, type McpConfigAuth, type McpConfigVerify } from './config-file.js';
export { prepareMcpConfig } from './config-start.js';
export { createBearerAuth, bearerChallenge, protectedResourceMetadata, type BearerAuth, type BearerAuthOptions, type BearerResult } from './inbound-auth.js';
export { askByElicitation, hostApprovalOf, type ElicitationAnswer, type ApprovalChannel } from './approval-flow.js';
export { ServerRequestForwarder, SERVER_REQUEST_METHODS, type ServerRequestMethod, type ForwarderDeps } from './server-requests.js';
export { connectUpstream, listAllTools, serverKey, serverLabel, upstreamSpecOf, MAX_TOOLS, MAX_TOOL_PAGES, type UpstreamSpec } from './upstream.js';
export { canonicalToolDefinition, comparePins, describeCheck, pinTool, pinsOf, PINNED_FIELDS, type PinCheck, type PinReport, type PinStatus, type PinnedField, type ServerPins, type ToolDefinition, type ToolPin } from './pin.js';
export { lockPathFor, parseLock, readLockFile, writeServerPins, LOCK_FILE_NAME, MAX_LOCK_BYTES, MAX_LOCK_SERVERS, MAX_LOCK_TOOLS, type McpLock } from './lock-file.js';
export { alwaysDenied } from './hide.js';
export { approvalAnswer, approvalForm, APPROVE_FIELD } from './approval.js';
export { listenStreamableHttp, parseListenAddress, isLoopbackHost, type HttpListenOptions, type HttpListener, type ListenAddress } from './http-listener.js';
export { StrictStdioServerTransport, duplicateKeyRefusal, INVALID_REQUEST, PARSE_ERROR } from './strict-json.js';
