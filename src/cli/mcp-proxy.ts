/** `warden mcp-proxy`: a governed MCP gateway in front of a real MCP server. */
import type { Store } from '../store/types.js';
import type { OnnxDetector } from '../detect/tier3-onnx.js';
import type { Command } from 'commander';
import { StrictStdioServerTransport } from '../integrations/mcp/strict-json.js';
import { openFileAuditSink, type FileAuditSink } from '../audit/file-sink.js';
import { loadPrivateKey } from '../audit/keys.js';
import { loadPolicyFiles } from '../enforce/load-files.js';
import { WardenError } from '../errors.js';
import { McpGateway } from '../integrations/mcp/gateway.js';
import { listenStreamableHttp, parseListenAddress, type HttpListener } from '../integrations/mcp/http-listener.js';
import { lockPathFor } from '../integrations/mcp/lock-file.js';
import { upstreamSpecOf } from '../integrations/mcp/upstream.js';
import { EXIT, reportFatal } from './output.js';

interface ProxyOptions {
  policy?: string[];
  config?: string;
  audit?: string;
  signingKey?: string;
  agentId?: string;
  serverName?: string;
  hideDenied?: boolean;
  redactResults?: boolean;
  listen?: string;
  allowRemote?: boolean;
  upstreamUrl?: string;
  lock?: string;
  onChange: string;
  onNew: string;
  approvalTimeout?: string;
  poisoning: string;
  results: string;
  resultModel?: string;
  state?: string;
  authIssuer?: string[];
  authAudience?: string[];
  authAlgorithms?: string[];
  authJwksUrl?: string;
  authJwksFile?: string;
  authKeyFile?: string;
  authRequiredScopes?: string[];
  authResource?: string;
  upstreamHeader?: string[];
}

/** Registers `warden mcp-proxy`. */
export function registerMcpProxyCommand(program: Command): void {
  program
    .command('mcp-proxy')
    .description('Run an MCP gateway: every tools/call is decided by the policy before the real server sees it; tool definitions are pinned. One server: its command after --. Several: --config warden.mcp.yaml.')
    .option('-p, --policy <paths...>', 'policy files or directories (one server)')
    .option('-c, --config <file>', 'a gateway configuration (warden.mcp.yaml) naming several servers, each with its own policy')
    .option('--audit <path>', 'record every decision in this audit log (a .jsonl file or a directory)')
    .option('--signing-key <file>', 'Ed25519 private key (warden keygen) to sign checkpoints of the audit log')
    .option('--agent-id <id>', 'the agent id rules see as agent.id (default mcp-client)')
    .option('--server-name <name>', 'the server name rules see as context.server, and its key in the lock file (default: the command line or URL)')
    .option('--hide-denied', 'leave out of tools/list the tools the policy denies for every call')
    .option('--redact-results', 'redact credentials in tool results, resource contents and prompts before the client sees them')
    .option('--listen <host:port>', 'serve Streamable HTTP at http://HOST:PORT/mcp instead of stdio (loopback only unless --allow-remote)')
    .option('--allow-remote', 'allow --listen on a non-loopback address without auth (then anyone who reaches the port can use the tools; --config with auth needs no --allow-remote)')
    .option('--upstream-url <url>', 'the real server is a Streamable HTTP endpoint, not a command')
    .option('--lock <file>', 'the pin lock file (default: warden-mcp.lock.json beside the policy)')
    .option('--on-change <mode>', 'a pinned tool whose definition changed: block or warn', 'block')
    .option('--on-new <mode>', 'a tool that is not pinned yet, on a pinned server: block or pin', 'block')
    .option('--approval-timeout <seconds>', 'how long an approval (MCP elicitation) may take (default 300)')
    .option('--poisoning <mode>', 'a tool whose definition carries instructions to the model: block, warn or off (docs/detection.md)', 'block')
    .option('--results <mode>', 'tool results: mark (record their labels and findings), withhold (also refuse injected ones) or off', 'mark')
    .option('--result-model <json>', 'a tier 3 ONNX model configuration (docs/detection.md) run on every tool result beside tier 1: a result it detects, or cannot score, is marked untrusted (needs onnxruntime-node)')
    .option('--state <url>', 'session state store (sqlite:<file>, memory:, redis://..., postgres://...): flow rules read session.labels, and results that carry injected instructions or secrets mark the session')
    .option('--auth-issuer <urls...>', 'one server over HTTP: require bearer tokens (OAuth 2.1 access tokens) from this issuer (as auth.issuer in warden.mcp.yaml)')
    .option('--auth-audience <uris...>', 'the audience tokens must name: this gateway as a resource (auth.audience)')
    .option('--auth-algorithms <names...>', 'the signature algorithms accepted, for example EdDSA or RS256 (auth.algorithms)')
    .option('--auth-jwks-url <url>', "the issuer's JWKS at an https URL (auth.jwksUrl); or --auth-jwks-file or --auth-key-file")
    .option('--auth-jwks-file <file>', "the issuer's JWKS in a file (auth.jwksFile)")
    .option('--auth-key-file <file>', "the issuer's one public JWK in a file (auth.keyFile)")
    .option('--auth-required-scopes <scopes...>', 'scopes every token must carry (auth.requiredScopes)')
    .option('--auth-resource <uri>', 'the resource URI announced in the RFC 9728 metadata (auth.resource)')
    .option('--upstream-header <header...>', 'with --upstream-url: an HTTP header sent with every request to the real server, "Name: value"; ${NAME} is that environment variable (as headers: in warden.mcp.yaml)')
    .argument('[command...]', 'the MCP server command and its arguments, after --')
    .action(async (command: string[], opts: ProxyOptions) => {
      process.exitCode = await runProxy(command, opts);
    });
}

async function runProxy(command: string[], opts: ProxyOptions): Promise<number> {
  let sink: FileAuditSink | null = null;
  let gateway: McpGateway | null = null;
  let listener = null as HttpListener | null; // set by serveUntilStopped once listening
  let store: Store | null = null;
  let model: OnnxDetector | null = null;
  try {
    if (opts.config !== undefined) return await runFromConfig(command, opts);
    if (opts.policy === undefined) throw new WardenError('ERR_MCP_OPTIONS', 'Give --policy <file> and the server command after --, or --config warden.mcp.yaml for several servers.');
    const flagged = flagSettingsOf(opts);
    const given = upstreamSpecOf(command, opts.upstreamUrl);
    if (flagged.headers !== undefined && given.transport !== 'streamable-http') throw new WardenError('ERR_MCP_OPTIONS', '--upstream-header is for a server given by --upstream-url.');
    // Loaded only when the flags are given: the configuration reader brings the YAML parser.
    const { auth: authSettings, headers } = flagged.auth !== undefined || flagged.headers !== undefined ? (await import('../integrations/mcp/config-file.js')).parseMcpFlagSettings(flagged, process.cwd(), process.env) : {};
    const upstream = headers !== undefined && given.transport === 'streamable-http' ? { ...given, headers } : given;
    const onChange = oneOf('--on-change', opts.onChange, ['block', 'warn'] as const);
    const onNew = oneOf('--on-new', opts.onNew, ['block', 'pin'] as const);
    const detect = { poisoning: oneOf('--poisoning', opts.poisoning, ['block', 'warn', 'off'] as const), results: oneOf('--results', opts.results, ['mark', 'withhold', 'off'] as const) };
    const approvalTimeoutMs = seconds('--approval-timeout', opts.approvalTimeout ?? '300');
    const address = opts.listen === undefined ? null : parseListenAddress(opts.listen);
    if (opts.allowRemote && address === null) throw new WardenError('ERR_MCP_OPTIONS', '--allow-remote only applies with --listen.');
    if (authSettings !== undefined && address === null) throw new WardenError('ERR_MCP_OPTIONS', 'The --auth-* flags apply to the HTTP listener; give --listen too.');
    if (address !== null && !address.loopback && !opts.allowRemote && authSettings === undefined) {
      throw new WardenError('ERR_MCP_LISTEN', `Refusing to listen on ${address.host}: not a loopback address. Use 127.0.0.1, or add --allow-remote and put authentication in front.`);
    }
    if (opts.signingKey !== undefined && opts.audit === undefined) throw new WardenError('ERR_MCP_OPTIONS', '--signing-key needs --audit <path>: it signs checkpoints of that log.');
    const auth = authSettings === undefined ? null : await (await import('../integrations/mcp/config-start.js')).bearerAuthFor(authSettings, 'the --auth-* flags');
    const policy = await loadPolicyFiles(opts.policy);
    const lockFile = opts.lock ?? (await lockPathFor(opts.policy));
    const signingKey = opts.signingKey === undefined ? undefined : await loadPrivateKey(opts.signingKey);
    sink = opts.audit === undefined ? null : await openFileAuditSink({ path: opts.audit, ...(signingKey ? { signingKey } : {}) });
    store = opts.state === undefined ? null : await (await import('../store/open.js')).openStore(opts.state);
    model = await resultModelOf(opts);
    gateway = await McpGateway.start({
      ...(store ? { state: { store } } : {}),
      upstream,
      policy,
      lockFile,
      onChange,
      onNew,
      approvalTimeoutMs,
      detect: model === null ? detect : { ...detect, resultModel: model },
      ...(sink ? { sink } : {}),
      ...(opts.agentId !== undefined ? { agentId: opts.agentId } : {}),
      ...(opts.serverName !== undefined ? { serverName: opts.serverName } : {}),
      ...(opts.hideDenied ? { hideDenied: true } : {}),
      ...(opts.redactResults ? { redactResults: true } : {}),
      ...(auth ? { identity: auth.identity } : {}),
    });
    const reason = await serveUntilStopped(gateway, address, { allowRemote: opts.allowRemote === true, auth, what: `server ${gateway.serverName}` }, (l) => (listener = l));
    return reason === 'upstream' ? EXIT.invalid : EXIT.ok;
  } catch (e) {
    return reportFatal(e);
  } finally {
    await listener?.close().catch((e: unknown) => console.error(`warden mcp-proxy: closing the listener failed: ${String(e)}`));
    await gateway?.close().catch((e: unknown) => console.error(`warden mcp-proxy: closing the gateway failed: ${String(e)}`));
    await sink?.close().catch((e: unknown) => console.error(`warden mcp-proxy: closing the audit log failed: ${String(e)}`));
    await store?.close().catch((e: unknown) => console.error(`warden mcp-proxy: closing the state store failed: ${String(e)}`));
    await model?.release().catch((e: unknown) => console.error(`warden mcp-proxy: releasing the result model failed: ${String(e)}`));
  }
}

/** `--config`: several servers from warden.mcp.yaml; flags given on the command line override the file's. */
async function runFromConfig(command: string[], opts: ProxyOptions): Promise<number> {
  let sink: FileAuditSink | null = null;
  let gateway: McpGateway | null = null;
  let listener = null as HttpListener | null; // set by serveUntilStopped once listening
  let store: Store | null = null;
  let model: OnnxDetector | null = null;
  try {
    if (command.length > 0 || opts.upstreamUrl !== undefined || opts.policy !== undefined || opts.serverName !== undefined) {
      throw new WardenError('ERR_MCP_OPTIONS', '--config names the servers and their policies; leave out --policy, --server-name, --upstream-url and the command after --.');
    }
    const flagged = flagSettingsOf(opts);
    if (flagged.auth !== undefined || flagged.headers !== undefined) throw new WardenError('ERR_MCP_OPTIONS', '--config has its own auth: and headers: settings; leave out the --auth-* and --upstream-header flags.');
    const { readMcpConfig } = await import('../integrations/mcp/config-file.js');
    const { prepareMcpConfig } = await import('../integrations/mcp/config-start.js');
    const config = await readMcpConfig(opts.config as string);
    const listen = opts.listen ?? config.listen;
    const allowRemote = opts.allowRemote === true || config.allowRemote;
    const address = listen === undefined ? null : parseListenAddress(listen);
    if (config.auth !== undefined && address === null) throw new WardenError('ERR_MCP_OPTIONS', `${config.path}: auth applies to the HTTP listener; give listen (or --listen) too.`);
    const { servers, auth } = await prepareMcpConfig(config);
    const audit = opts.audit ?? config.audit;
    if (opts.signingKey !== undefined && audit === undefined) throw new WardenError('ERR_MCP_OPTIONS', '--signing-key needs an audit log (--audit or audit: in the configuration).');
    const signingKey = opts.signingKey === undefined ? undefined : await loadPrivateKey(opts.signingKey);
    sink = audit === undefined ? null : await openFileAuditSink({ path: audit, ...(signingKey ? { signingKey } : {}) });
    store = opts.state === undefined ? null : await (await import('../store/open.js')).openStore(opts.state);
    const approvalTimeoutMs = opts.approvalTimeout !== undefined ? seconds('--approval-timeout', opts.approvalTimeout) : config.approvalTimeoutMs;
    model = await resultModelOf(opts);
    gateway = await McpGateway.start({
      ...(store ? { state: { store } } : {}),
      servers,
      lockFile: opts.lock ?? config.lock,
      onChange: oneOf('--on-change', opts.onChange !== 'block' ? opts.onChange : (config.onChange ?? 'block'), ['block', 'warn'] as const),
      onNew: oneOf('--on-new', opts.onNew !== 'block' ? opts.onNew : (config.onNew ?? 'block'), ['block', 'pin'] as const),
      ...(approvalTimeoutMs !== undefined ? { approvalTimeoutMs } : {}),
      ...(sink ? { sink } : {}),
      ...((opts.agentId ?? config.agentId) !== undefined ? { agentId: (opts.agentId ?? config.agentId) as string } : {}),
      ...(opts.hideDenied || config.hideDenied ? { hideDenied: true } : {}),
      ...(opts.redactResults || config.redactResults ? { redactResults: true } : {}),
      ...(auth ? { identity: auth.identity } : {}),
      detect: { poisoning: oneOf('--poisoning', opts.poisoning, ['block', 'warn', 'off'] as const), results: oneOf('--results', opts.results, ['mark', 'withhold', 'off'] as const), ...(model !== null ? { resultModel: model } : {}) },
    });
    const names = gateway.servers().map((s) => s.name).join(', ');
    const reason = await serveUntilStopped(gateway, address, { allowRemote, auth, what: `servers ${names}` }, (l) => (listener = l));
    return reason === 'upstream' ? EXIT.invalid : EXIT.ok;
  } catch (e) {
    return reportFatal(e);
  } finally {
    await listener?.close().catch((e: unknown) => console.error(`warden mcp-proxy: closing the listener failed: ${String(e)}`));
    await gateway?.close().catch((e: unknown) => console.error(`warden mcp-proxy: closing the gateway failed: ${String(e)}`));
    await sink?.close().catch((e: unknown) => console.error(`warden mcp-proxy: closing the audit log failed: ${String(e)}`));
    await store?.close().catch((e: unknown) => console.error(`warden mcp-proxy: closing the state store failed: ${String(e)}`));
    await model?.release().catch((e: unknown) => console.error(`warden mcp-proxy: releasing the result model failed: ${String(e)}`));
  }
}

/** The tier 3 model of `--result-model`, loaded (onnxruntime-node only then); null without the flag. */
async function resultModelOf(opts: ProxyOptions): Promise<OnnxDetector | null> {
  if (opts.resultModel === undefined) return null;
  return (await import('../detect/tier3-onnx.js')).loadOnnxDetectorFile(opts.resultModel);
}

/**
 * Serves the gateway on stdio (address null) or over MCP Streamable HTTP until the client leaves,
 * a signal arrives or the upstream closes. The HTTP listener is handed to `listening` as soon as it
 * exists, so the caller's `finally` closes it whatever happens next.
 */
async function serveUntilStopped(
  gateway: McpGateway,
  address: { host: string; port: number } | null,
  http: { allowRemote: boolean; auth: NonNullable<Parameters<typeof listenStreamableHttp>[1]['auth']> | null; what: string },
  listening: (listener: HttpListener) => void,
): Promise<'client' | 'signal' | 'upstream'> {
  const stop = stopSignal();
  const upstream = gateway.closed.then(() => 'upstream' as const);
  if (address === null) {
    const clientGone = new Promise<'client'>((resolve) => {
      process.stdin.once('end', () => resolve('client'));
      process.stdin.once('close', () => resolve('client'));
    });
    await gateway.connect(new StrictStdioServerTransport(), 'stdio');
    return Promise.race([clientGone, stop, upstream]);
  }
  const listener = await listenStreamableHttp(gateway, { host: address.host, port: address.port, ...(http.allowRemote ? { allowRemote: true } : {}), ...(http.auth ? { auth: http.auth } : {}) });
  listening(listener);
  process.stderr.write(`warden mcp-proxy: listening on ${listener.url} (MCP Streamable HTTP${http.auth ? ', bearer tokens required' : ''}) for ${http.what}\n`);
  return Promise.race([stop, upstream]);
}

/** The single-server auth flags in the configuration file's vocabulary (auth.issuer, ..., headers), for parseMcpFlagSettings. */
function flagSettingsOf(opts: ProxyOptions): { auth?: Record<string, unknown>; headers?: string[] } {
  const auth: Record<string, unknown> = {};
  const put = (key: string, value: unknown): void => {
    if (value !== undefined) auth[key] = value;
  };
  put('issuer', opts.authIssuer);
  put('audience', opts.authAudience);
  put('algorithms', opts.authAlgorithms);
  put('jwksUrl', opts.authJwksUrl);
  put('jwksFile', opts.authJwksFile);
  put('keyFile', opts.authKeyFile);
  put('requiredScopes', opts.authRequiredScopes);
  put('resource', opts.authResource);
  return { ...(Object.keys(auth).length > 0 ? { auth } : {}), ...(opts.upstreamHeader !== undefined ? { headers: opts.upstreamHeader } : {}) };
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new WardenError('ERR_MCP_OPTIONS', `${flag} must be ${allowed.join(' or ')}, not ${JSON.stringify(value)}.`);
}

function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n) || n <= 0 || n > 86_400) throw new WardenError('ERR_MCP_OPTIONS', `${flag} must be a number of seconds between 0 and 86400, not ${JSON.stringify(value)}.`);
  return Math.round(n * 1000);
}

function stopSignal(): Promise<'signal'> {
  return new Promise((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => resolve('signal'));
  });
}
