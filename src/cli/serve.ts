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
  store: string;
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
      `Run the decision service: POST /v1/decide, /v1/decide/batch, /access/v1/evaluation(s), /v1/outcome; GET /healthz, /readyz, /metrics. Every call is decided by the pipeline and recorded. Callers authenticate with a bearer token: --token-file, or JWTs (--jwt-*); with neither, a token for subject "local" is written to ${DEFAULT_TOKEN_FILE} on first run. See docs/server.md.`,
    )
    .option('-p, --policy <paths...>', 'policy files or directories')
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
    .option('--store <url>', 'the state store (sqlite:<path>, memory:, postgres://..., redis://...)', 'sqlite:.warden/serve-state.db')
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
    if (flags.bundle !== undefined && flags.bundleKey === undefined) throw new WardenError('ERR_USAGE', '--bundle needs --bundle-key <public key file>: a bundle is activated only when it verifies.');
    const maxBodyBytes = Number(flags.maxBody);
    if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1024) throw new WardenError('ERR_USAGE', `--max-body must be a whole number of bytes, at least 1024; got ${JSON.stringify(flags.maxBody)}.`);
    if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new WardenError('ERR_USAGE', '--tls-cert and --tls-key go together.');
    if (flags.clientCa !== undefined && flags.tlsCert === undefined) throw new WardenError('ERR_USAGE', '--client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first.');
    const tls = flags.tlsCert === undefined ? undefined : { cert: await readSmall(flags.tlsCert), key: await readSmall(flags.tlsKey as string), ...(flags.clientCa !== undefined ? { clientCa: await readSmall(flags.clientCa) } : {}) };
    const auth = await authOf(flags);
    const { createDecisionServer } = await import('../server/decision-server.js');
    const server = await createDecisionServer({
      ...(flags.policy !== undefined ? { policy: flags.policy } : {}),
      ...(flags.bundle !== undefined ? { bundle: { source: flags.bundle, publicKey: await loadPublicKey(flags.bundleKey as string), pollIntervalMs: durationMs(flags.bundlePoll), push: flags.bundlePush === true } } : {}),
      auth,
      host,
      port,
      audit: flags.audit,
      store: flags.store,
      maxBodyBytes,
      ...(tls !== undefined ? { tls } : {}),
    });
    const { url } = await server.listen();
    const status = server.status();
    console.error(`warden serve: listening on ${url} (${status.ready ? `${status.source}${status.revision === null ? '' : ` revision ${status.revision}`}, ${status.digest}` : 'NOT READY: no verified policy yet, every call is denied'}; audit ${flags.audit}; store ${flags.store})`);
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
    return EXIT.ok;
  } catch (e) {
    return reportFatal(e);
  }
}

/** `host:port`, `[v6]:port`. */
function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value);
  const port = Number(m?.[3]);
  if (m === null || port > 65535) throw new WardenError('ERR_USAGE', `--listen ${JSON.stringify(value)} is not host:port (127.0.0.1:8181, [::1]:8181).`);
  return { host: (m[1] ?? m[2]) as string, port };
}

function durationMs(value: string): number {
  const m = /^(\d{1,9})(ms|s|m|h)?$/.exec(value);
  if (m === null) throw new WardenError('ERR_USAGE', `--bundle-poll ${JSON.stringify(value)} is not a duration (500ms, 30s, 5m, 1h).`);
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
