/**
 * `warden serve`: the decision service (src/server). With no flags beyond --policy it runs on the
 * embedded default: a file audit log and a SQLite state store, no other process, listening on
 * loopback, callers authenticated with a token from a token file (made on first run).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { loadPublicKey } from '../audit/keys.js';
import { WardenError } from '../errors.js';
import type { ServerAuthOptions, ServerJwtOptions } from '../server/auth.js';
import { parseTokenFile } from '../server/auth.js';
import { openApiDocument } from '../server/routes.js';
import { EXIT, reportFatal } from './output.js';

/** Where the embedded default keeps its token when no authentication is configured. */
export const DEFAULT_TOKEN_FILE = '.warden/serve.token';

interface ServeFlags {
  policy?: string[];
  watch?: boolean;
  watchPoll: string;
  policyManifest?: string;
  bundle?: string;
  bundleKey?: string;
  bundlePoll: string;
  bundlePush?: boolean;
  listen: string;
  tokenFile?: string;
  jwtIssuer?: string;
  jwtAudience?: string;
  jwtJwks?: string;
  jwtKey?: string;
  jwtSecretFile?: string;
  audit: string;
  auditPostgres?: string;
  auditStream: string;
  auditSchema?: string;
  store: string;
  storeSchema?: string;
  redis?: string;
  redisPrefix?: string;
  config?: string;
  approvalTimeout: string;
  backendTimeout: string;
  dashboard?: string;
  dashboardSecretFile?: string;
  oidcIssuer?: string;
  oidcClientId?: string;
  oidcClientSecretFile?: string;
  oidcRolesClaim?: string;
  oidcRoleMap?: string;
  oidcRedirectUri?: string;
  killKey?: string;
  idDir?: string;
  maxBody: string;
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  openapi?: boolean;
}

/**
 * Registers `warden serve`.
 *
 * @example
 * ```ts
 * registerServeCommand(program); // warden serve --policy policies/ --listen 127.0.0.1:8181
 * ```
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      `Run the decision service: POST /v1/decide, /v1/decide/batch, /access/v1/evaluation(s), /v1/outcome; GET /healthz, /readyz, /metrics. Every call is decided by the pipeline and recorded. Callers authenticate with a bearer token: --token-file, or JWTs (--jwt-*); with neither, WARDEN_SERVE_TOKEN from the environment (subject "service"), else a token for subject "local" written to ${DEFAULT_TOKEN_FILE} on first run. Calls that require approval wait in the approval queue (warden approvals, or the dashboard with --dashboard). See docs/server.md.`,
    )
    .option('-p, --policy <paths...>', 'policy files or directories')
    .option('--watch', 'reload the --policy files when they change (a change that does not load is refused; the last good policy keeps serving)')
    .option('--watch-poll <duration>', 'with --watch, also compare the files every interval (a backup for lost file-system watches; 0 turns it off)', '2s')
    .option('--policy-manifest <file>', 'with --watch, strict mode: activate only the policy whose digest this manifest names (warden manifest); write the files first and the manifest last')
    .option('--bundle <path|url>', 'a signed policy bundle (file or http(s) URL), polled for new revisions')
    .option('--bundle-key <file>', 'the Ed25519 public key (PEM) trusted to sign bundles')
    .option('--bundle-poll <duration>', 'how often to look for a new bundle (500ms, 30s, 5m)', '30s')
    .option('--bundle-push', 'also accept bundles pushed to POST /v1/bundle (authenticated)')
    .option('--listen <host:port>', 'where to listen (loopback by default)', '127.0.0.1:8181')
    .option('--token-file <file>', 'static bearer tokens, one "<subject> <token>" per line')
    .option('--jwt-issuer <iss>', 'the JWT issuer callers\' tokens must name')
    .option('--jwt-audience <aud>', 'the JWT audience callers\' tokens must name')
    .option('--jwt-jwks <file|url>', 'the issuer\'s key set (a JSON file, or an https URL)')
    .option('--jwt-key <file>', 'the issuer\'s public key as a JWK (JSON file)')
    .option('--jwt-secret-file <file>', 'an HMAC secret (at least 32 bytes) for HS256 tokens')
    .option('--audit <path>', 'the audit log (a directory or .jsonl file)', '.warden/serve-audit')
    .option('--audit-postgres <url>', 'record in PostgreSQL instead of files (one chain per --audit-stream, shared by every instance; HMAC key from WARDEN_AUDIT_HMAC_KEY)')
    .option('--audit-stream <id>', 'the audit stream with --audit-postgres', 'warden')
    .option('--audit-schema <name>', 'with --audit-postgres: the schema of the audit tables (default public)')
    .option('--store <url>', 'the state store (sqlite:<path>, memory:, postgres://..., redis://...); also holds the approval queue', 'sqlite:.warden/serve-state.db')
    .option('--store-schema <name>', 'with a postgres:// store: the schema of its tables (default public)')
    .option('--redis <url>', 'with a postgres:// store: keep counters, kill epochs and the broadcast in this Redis')
    .option('--redis-prefix <prefix>', 'with Redis: the prefix of every key and channel (default warden:), so deployments can share one Redis')
    .option('--config <file>', 'the runtime config (JSON: signers, approvers, trust, rings): enables the kill switch, rings and trust in the service')
    .option('--backend-timeout <duration>', 'how long a PostgreSQL or Redis connection or statement may take before the call that needs it is denied (a stalled backend answers with denials after this long)', '5s')
    .option('--approval-timeout <duration>', 'how long a call that requires approval waits in the queue (warden approvals, the dashboard) before it is denied', '5m')
    .option('--dashboard <file>', 'serve the dashboard at /ui for these logins: one "<name> <token> [role,role...]" per line (tokens of 16+ characters)')
    .option('--dashboard-secret-file <file>', 'the key dashboard sessions are signed with (32+ bytes; share it between instances); default random per process')
    .option('--oidc-issuer <url>', 'also let people log in to the dashboard through this OpenID Connect provider (https; its discovery document must name exactly this issuer)')
    .option('--oidc-client-id <id>', 'the dashboard\'s client id at the provider')
    .option('--oidc-client-secret-file <file>', 'the client secret (a confidential client); without it, a public client with PKCE only')
    .option('--oidc-roles-claim <claim>', 'the ID token claim holding the person\'s roles (a name or a dotted path such as realm_access.roles); without a role there is no access', 'roles')
    .option('--oidc-role-map <file>', 'a JSON object mapping claim values to lists of dashboard roles ({"warden-ops": ["kill"]}); only mapped values count')
    .option('--oidc-redirect-uri <url>', 'the callback registered at the provider (default http(s)://<listen>/ui/oidc/callback; required when listening on all interfaces)')
    .option('--kill-key <name>', 'the identity (warden id new) that signs kills made from the dashboard; one of the runtime config\'s signers')
    .option('--id-dir <dir>', 'where identity keys are kept (for --kill-key)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option('--client-ca <file>', 'require client certificates issued by this CA (mutual TLS; needs --tls-cert)')
    .option('--max-body <bytes>', 'largest request body', String(1024 * 1024))
    .option('--openapi', 'print the OpenAPI 3.1 document of the service and exit')
    .action(async (flags: ServeFlags) => {
      process.exitCode = await runServe(flags);
    });
}

async function runServe(flags: ServeFlags): Promise<number> {
  if (flags.openapi === true) {
    process.stdout.write(`${JSON.stringify(openApiDocument(), null, 2)}\n`);
    return EXIT.ok;
  }
  try {
    const { host, port } = parseListen(flags.listen);
    if ((flags.policy === undefined) === (flags.bundle === undefined)) throw new WardenError('ERR_USAGE', 'Give --policy <paths...> or --bundle <path|url> with --bundle-key <file>.');
    if (flags.watch === true && flags.policy === undefined) throw new WardenError('ERR_USAGE', '--watch goes with --policy: bundles are polled (--bundle-poll) or pushed (--bundle-push) instead.');
    if (flags.policyManifest !== undefined && flags.watch !== true) throw new WardenError('ERR_USAGE', '--policy-manifest goes with --watch: it says which policy a reload may activate.');
    const watchPollMs = durationMs(flags.watchPoll, '--watch-poll');
    const backendTimeoutMs = durationMs(flags.backendTimeout, '--backend-timeout');
    if (backendTimeoutMs === 0) throw new WardenError('ERR_USAGE', '--backend-timeout 0 would deny every call that needs PostgreSQL or Redis: give a duration such as 2s.');
    if (watchPollMs !== 0 && watchPollMs < 100) throw new WardenError('ERR_USAGE', `--watch-poll must be 0 (off) or at least 100ms; got ${JSON.stringify(flags.watchPoll)}.`);
    if (flags.bundle !== undefined && flags.bundleKey === undefined) throw new WardenError('ERR_USAGE', '--bundle needs --bundle-key <public key file>: a bundle is activated only when it verifies.');
    const maxBodyBytes = Number(flags.maxBody);
    if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1024) throw new WardenError('ERR_USAGE', `--max-body must be a whole number of bytes, at least 1024; got ${JSON.stringify(flags.maxBody)}.`);
    if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new WardenError('ERR_USAGE', '--tls-cert and --tls-key go together.');
    if (flags.oidcIssuer === undefined && [flags.oidcClientId, flags.oidcClientSecretFile, flags.oidcRoleMap, flags.oidcRedirectUri].some((x) => x !== undefined)) throw new WardenError('ERR_USAGE', 'The --oidc-* options go with --oidc-issuer <url>.');
    if (flags.auditSchema !== undefined && flags.auditPostgres === undefined) throw new WardenError('ERR_USAGE', '--audit-schema goes with --audit-postgres <url>.');
    if (flags.clientCa !== undefined && flags.tlsCert === undefined) throw new WardenError('ERR_USAGE', '--client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first.');
    const tls = flags.tlsCert === undefined ? undefined : { cert: await readSmall(flags.tlsCert), key: await readSmall(flags.tlsKey as string), ...(flags.clientCa !== undefined ? { clientCa: await readSmall(flags.clientCa) } : {}) };
    const auth = await authOf(flags);
    const approvalTimeoutMs = durationMs(flags.approvalTimeout, '--approval-timeout');
    const { createDecisionServer } = await import('../server/decision-server.js');
    const { openStore } = await import('../store/open.js');
    const opened: Array<{ close(): Promise<void> | void }> = [];
    const closeAll = async (): Promise<void> => {
      for (const c of opened.reverse()) await c.close();
    };
    let server: Awaited<ReturnType<typeof createDecisionServer>> | undefined;
    try {
      const store = await openStore(flags.store, { ...(await import('./runtime-io.js')).storeOptionsOf(flags, flags.store), timeoutMs: backendTimeoutMs });
      opened.push(store);
      const { openApprovalQueue } = await import('../server/approval-queue.js');
      const queue = await openApprovalQueue({ store });
      opened.push(queue);
      const runtime = flags.config === undefined ? undefined : await runtimeOf(flags.config, store);
      const sink = flags.auditPostgres === undefined ? undefined : await postgresSink(flags.auditPostgres, flags.auditStream, flags.auditSchema, backendTimeoutMs);
      if (sink !== undefined) opened.push(sink);
      const mounts = flags.dashboard === undefined && flags.oidcIssuer === undefined ? [] : [await dashboardOf(flags, { queue, runtime, revision: () => (server === undefined ? null : revisionOf(server.status())) })];
      server = await createDecisionServer({
        ...(flags.policy !== undefined ? { policy: flags.policy } : {}),
        ...(flags.watch === true ? { watch: { pollMs: watchPollMs, ...(flags.policyManifest !== undefined ? { manifest: flags.policyManifest } : {}) } } : {}),
        ...(flags.bundle !== undefined ? { bundle: { source: flags.bundle, publicKey: await loadPublicKey(flags.bundleKey as string), pollIntervalMs: durationMs(flags.bundlePoll), push: flags.bundlePush === true } } : {}),
        auth,
        host,
        port,
        ...(sink !== undefined ? { sink } : { audit: flags.audit }),
        store,
        approvalHandler: queue.handler({ timeoutMs: approvalTimeoutMs }),
        approvalTimeoutMs,
        ...(runtime !== undefined ? { runtime } : {}),
        ...(mounts.length > 0 ? { mounts } : {}),
        maxBodyBytes,
        ...(tls !== undefined ? { tls } : {}),
      });
    } catch (e) {
      await closeAll();
      throw e;
    }
    const { url } = await server.listen();
    const status = server.status();
    console.error(`warden serve: listening on ${url} (${status.ready ? `${status.source}${status.revision === null ? '' : ` revision ${status.revision}`}, ${status.digest}${status.watching ? ', watching for changes' : ''}` : 'NOT READY: no verified policy yet, every call is denied'}; audit ${flags.auditPostgres === undefined ? flags.audit : `postgres stream ${flags.auditStream}`}; store ${flags.store.replace(/\/\/[^@/]*@/, '//***@')}${flags.dashboard === undefined && flags.oidcIssuer === undefined ? '' : `; dashboard ${url}/ui${flags.oidcIssuer === undefined ? '' : ` (OIDC login through ${flags.oidcIssuer})`}`})`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
    await closeAll();
    return EXIT.ok;
  } catch (e) {
    return reportFatal(e);
  }
}

/** The revision the dashboard shows: the bundle's, else the policy digest; null before a policy is active. */
function revisionOf(st: { ready: boolean; revision: unknown; digest: string }): string | null {
  if (st.revision !== null && st.revision !== undefined) return String(st.revision);
  return st.ready ? st.digest : null;
}

/** The runtime (kill switch, rings, trust) over the service's own store, from a runtime config with signers. */
async function runtimeOf(configPath: string, store: import('../store/types.js').Store): Promise<import('../runtime/runtime.js').Runtime> {
  const { readRuntimeConfig } = await import('./runtime-io.js');
  const { createRuntime } = await import('../runtime/runtime.js');
  const config = await readRuntimeConfig({ config: configPath });
  if (config.signers === undefined || config.signers.length === 0) throw new WardenError('ERR_USAGE', `The runtime config ${configPath} lists no signers: list the DIDs that sign kills and elevations ("signers": ["did:key:..."]).`);
  return createRuntime({
    store,
    signers: config.signers,
    ...(config.approvers === undefined ? {} : { approvers: config.approvers }),
    ...(config.trust === undefined ? {} : { trust: config.trust }),
    ...(config.rings === undefined ? {} : { rings: config.rings }),
    ...(config.maxElevationMs === undefined ? {} : { maxElevationMs: config.maxElevationMs }),
  });
}

/** The PostgreSQL audit sink; its HMAC key (the same on every instance) comes from the environment, never the command line. */
async function postgresSink(url: string, stream: string, schema: string | undefined, timeoutMs: number): Promise<import('../audit/postgres-sink.js').PostgresAuditSink> {
  const hmacKey = process.env.WARDEN_AUDIT_HMAC_KEY;
  if (hmacKey === undefined || hmacKey.length < 16) throw new WardenError('ERR_USAGE', '--audit-postgres needs WARDEN_AUDIT_HMAC_KEY in the environment: a secret of at least 16 characters, the same on every instance.');
  const { openPostgresAuditSink } = await import('../audit/postgres-sink.js');
  return openPostgresAuditSink({ url, stream, hmacKey, timeoutMs, ...(schema === undefined ? {} : { schema }) });
}

/** The dashboard mount: logins from a file (`<name> <token> [role,role...]`) and/or OIDC, the queue, the runtime and the audit log. */
async function dashboardOf(flags: ServeFlags, parts: { queue: import('../server/approval-queue.js').ApprovalQueue; runtime: import('../runtime/runtime.js').Runtime | undefined; revision: () => string | null }): Promise<import('../dashboard/dashboard.js').DashboardMount> {
  const logins: Array<{ name: string; token: string; roles: string[] }> = [];
  const oidc = await oidcOf(flags);
  const path = flags.dashboard;
  if (path !== undefined) {
    (await readSmall(path)).split(/\r?\n/).forEach((line, i) => {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) return;
      const [name, token, roles, ...extra] = t.split(/\s+/);
      if (name === undefined || token === undefined || extra.length > 0) throw new WardenError('ERR_USAGE', `${path}:${i + 1}: a login is "<name> <token> [role,role...]".`);
      logins.push({ name, token, roles: roles === undefined ? [] : roles.split(',').filter((r) => r !== '') });
    });
  }
  if (path !== undefined && logins.length === 0) throw new WardenError('ERR_USAGE', `${path} lists no logins: the dashboard has no anonymous access, so give at least one "<name> <token> [roles]".`);
  if (flags.killKey !== undefined && parts.runtime === undefined) throw new WardenError('ERR_USAGE', '--kill-key needs --config <runtime config>: the kill switch lives in the runtime, with its signers.');
  const killKey = flags.killKey === undefined ? undefined : await (await import('./runtime-io.js')).loadKey(flags.killKey, flags.idDir);
  const { createDashboard } = await import('../dashboard/dashboard.js');
  return createDashboard({
    logins,
    ...(oidc !== undefined ? { oidc } : {}),
    ...(flags.dashboardSecretFile !== undefined ? { secret: (await readSmall(flags.dashboardSecretFile)).trim() } : {}),
    queue: parts.queue,
    ...(flags.auditPostgres === undefined ? { audit: flags.audit } : {}),
    ...(parts.runtime !== undefined ? { runtime: parts.runtime } : {}),
    ...(killKey !== undefined ? { killKey } : {}),
    policyRevision: parts.revision,
  });
}

/** The dashboard's OIDC options from the --oidc-* flags, or undefined without --oidc-issuer. */
async function oidcOf(flags: ServeFlags): Promise<import('../dashboard/oidc.js').DashboardOidcOptions | undefined> {
  const given = [flags.oidcClientId, flags.oidcClientSecretFile, flags.oidcRoleMap, flags.oidcRedirectUri].some((x) => x !== undefined);
  if (flags.oidcIssuer === undefined) {
    if (given) throw new WardenError('ERR_USAGE', 'The --oidc-* options go with --oidc-issuer <url>.');
    return undefined;
  }
  if (flags.oidcClientId === undefined) throw new WardenError('ERR_USAGE', '--oidc-issuer needs --oidc-client-id <id>: the client registered at the provider.');
  let redirectUri = flags.oidcRedirectUri;
  if (redirectUri === undefined) {
    const { host, port } = parseListen(flags.listen);
    if (['0.0.0.0', '::'].includes(host)) throw new WardenError('ERR_USAGE', `Listening on ${flags.listen}, the dashboard cannot tell its own address: give --oidc-redirect-uri https://<public host>/ui/oidc/callback.`);
    redirectUri = `${flags.tlsCert === undefined ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${port}/ui/oidc/callback`;
  }
  let roleMap: Record<string, string[]> | undefined;
  if (flags.oidcRoleMap !== undefined) {
    try {
      roleMap = JSON.parse(await readSmall(flags.oidcRoleMap)) as Record<string, string[]>;
    } catch (e) {
      if (e instanceof WardenError) throw e;
      throw new WardenError('ERR_USAGE', `${flags.oidcRoleMap} is not JSON: give an object mapping claim values to lists of roles.`);
    }
  }
  return {
    issuer: flags.oidcIssuer,
    clientId: flags.oidcClientId,
    ...(flags.oidcClientSecretFile !== undefined ? { clientSecret: (await readSmall(flags.oidcClientSecretFile)).trim() } : {}),
    redirectUri,
    ...(flags.oidcRolesClaim !== undefined ? { rolesClaim: flags.oidcRolesClaim } : {}),
    ...(roleMap !== undefined ? { roleMap } : {}),
  };
}

/** `host:port`, `[v6]:port`. */
function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value);
  const port = Number(m?.[3]);
  if (m === null || port > 65535) throw new WardenError('ERR_USAGE', `--listen ${JSON.stringify(value)} is not host:port (127.0.0.1:8181, [::1]:8181).`);
  return { host: (m[1] ?? m[2]) as string, port };
}

function durationMs(value: string, flag = '--bundle-poll'): number {
  const m = /^(\d{1,9})(ms|s|m|h)?$/.exec(value);
  if (m === null) throw new WardenError('ERR_USAGE', `${flag} ${JSON.stringify(value)} is not a duration (500ms, 30s, 5m, 1h).`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
}

async function authOf(flags: ServeFlags): Promise<ServerAuthOptions> {
  const auth: ServerAuthOptions = {};
  const jwtGiven = [flags.jwtIssuer, flags.jwtAudience, flags.jwtJwks, flags.jwtKey, flags.jwtSecretFile].some((x) => x !== undefined);
  if (jwtGiven) {
    if (flags.jwtIssuer === undefined || flags.jwtAudience === undefined) throw new WardenError('ERR_USAGE', 'JWT verification needs --jwt-issuer and --jwt-audience.');
    const jwt: ServerJwtOptions = { issuer: flags.jwtIssuer, audience: flags.jwtAudience };
    if (flags.jwtJwks !== undefined) jwt.jwks = /^https:\/\//.test(flags.jwtJwks) ? flags.jwtJwks : (JSON.parse(await readSmall(flags.jwtJwks)) as ServerJwtOptions['jwks']);
    if (flags.jwtKey !== undefined) jwt.key = JSON.parse(await readSmall(flags.jwtKey)) as ServerJwtOptions['key'];
    if (flags.jwtSecretFile !== undefined) jwt.secret = new TextEncoder().encode((await readSmall(flags.jwtSecretFile)).trim());
    auth.jwt = jwt;
  }
  // A deployment passes its token in the environment (WARDEN_SERVE_TOKEN, subject "service"), never on the command line.
  const envToken = process.env.WARDEN_SERVE_TOKEN;
  if (flags.tokenFile === undefined && envToken !== undefined && envToken !== '') {
    auth.tokens = parseTokenFile(`service ${envToken.trim()}`, 'WARDEN_SERVE_TOKEN');
    return auth;
  }
  const tokenFile = flags.tokenFile ?? (jwtGiven ? undefined : await ensureDefaultTokenFile());
  if (tokenFile !== undefined) auth.tokens = parseTokenFile(await readSmall(tokenFile), tokenFile);
  return auth;
}

/** The embedded default's token file: made once (mode 0600) with a random token for subject "local". */
async function ensureDefaultTokenFile(): Promise<string> {
  const exists = await stat(DEFAULT_TOKEN_FILE).then(() => true, () => false);
  if (!exists) {
    await mkdir(dirname(DEFAULT_TOKEN_FILE), { recursive: true });
    await writeFile(DEFAULT_TOKEN_FILE, `# warden serve tokens: "<subject> <token>" per line\nlocal ${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
    await chmod(DEFAULT_TOKEN_FILE, 0o600);
    console.error(`warden serve: wrote a token for subject "local" to ${DEFAULT_TOKEN_FILE} (send it as Authorization: Bearer <token>).`);
  }
  return DEFAULT_TOKEN_FILE;
}

async function readSmall(path: string): Promise<string> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (e) {
    throw new WardenError('ERR_SERVER', `Cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
  }
  if (text.length > 1024 * 1024) throw new WardenError('ERR_SERVER', `${path} is over 1 MiB.`);
  return text.toString('utf8');
}
