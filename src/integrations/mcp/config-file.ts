/**
 * `warden.mcp.yaml`: one gateway in front of several MCP servers, each with its own policy. Read
 * strictly: an unknown key, a repeated key, a server without a policy, a server that is both a
 * command and a URL, or a name that cannot be a tool prefix is an error naming where it is; nothing
 * is guessed.
 *
 * ```yaml
 * apiVersion: warden/v1
 * kind: McpGateway
 * servers:
 *   fs:
 *     command: npx
 *     args: [-y, "@modelcontextprotocol/server-filesystem", /workspace]
 *     policy: [policies/fs.yaml]
 *   tickets:
 *     url: https://tickets.example/mcp
 *     headers: { Authorization: "Bearer ${TICKETS_TOKEN}" }
 *     policy: [policies/tickets.yaml]
 * ```
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { lazyModule } from '../../lib/lazy-module.js';
import { WardenError } from '../../errors.js';
import { LOCK_FILE_NAME } from './lock-file.js';
import { checkServerName } from './namespace.js';
import type { UpstreamSpec } from './upstream.js';

// yaml loads with the first configuration read (src/lib/lazy-module.ts).
const yamlParser = lazyModule<typeof import('../../lib/yaml-parse.js')>('lib/yaml-parse');

/** The file name `warden mcp-proxy --config` reads by default. */
export const CONFIG_FILE_NAME = 'warden.mcp.yaml';
/** Largest configuration file read. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Most servers behind one gateway. */
export const MAX_SERVERS = 64;

/**
 * One server of a configuration, its paths resolved against the file's directory.
 *
 * @example
 * ```ts
 * const s: McpConfigServer = { name: 'fs', upstream: { transport: 'stdio', command: 'node', args: ['fs.js'] }, policy: ['/etc/warden/fs.yaml'] };
 * ```
 */
export interface McpConfigServer {
  name: string;
  upstream: UpstreamSpec;
  /** Policy files and directories for this server (after the gateway-wide ones). */
  policy: string[];
  hideDenied?: boolean;
  redactResults?: boolean;
  onChange?: 'block' | 'warn';
  onNew?: 'block' | 'pin';
  /** `verify: required` and what to verify against (paths resolved); absent: not verified. */
  verify?: McpConfigVerify;
}

/**
 * A server's `verify: required` with its `plugin` or `npm` and `serverJson` (see docs/supply-chain.md).
 *
 * @example
 * ```ts
 * const v: McpConfigVerify = { plugin: { dir: '/srv/servers/weather', publishers: [{ did: 'did:key:z6Mk...', namespaces: ['io.github.acme'] }] }, serverJson: '/srv/servers/weather/server.json' };
 * ```
 */
export interface McpConfigVerify {
  plugin?: { dir: string; publishers: Array<{ did: string; namespaces?: string[] }>; revocations?: { file: string; issuer: string } };
  npm?: { tarball: string; bundle: string; identities: Array<{ issuer: string; repository?: string; workflow?: string; ref?: string; subject?: string }>; trustedRoot?: string };
  serverJson?: string;
}

/**
 * Bearer-token settings of a configuration (see createBearerAuth); key material by path or URL.
 *
 * @example
 * ```ts
 * const a: McpConfigAuth = { issuer: ['https://idp.example'], audience: ['https://gw.example/mcp'], algorithms: ['EdDSA'], jwksUrl: 'https://idp.example/jwks.json', requiredScopes: [] };
 * ```
 */
export interface McpConfigAuth {
  issuer: string[];
  audience: string[];
  algorithms: string[];
  /** A JWKS at an https URL (fetched, cached). */
  jwksUrl?: string;
  /** A JWKS file. */
  jwksFile?: string;
  /** One public JWK in a file. */
  keyFile?: string;
  requiredScopes: string[];
  resource?: string;
}

/**
 * A read and checked `warden.mcp.yaml`.
 *
 * @example
 * ```ts
 * const config = await readMcpConfig('warden.mcp.yaml');
 * config.servers.map((s) => s.name); // ['fs', 'tickets']
 * ```
 */
export interface McpConfig {
  /** The file read. */
  path: string;
  servers: McpConfigServer[];
  /** Policy files for every server (deny rules here apply to all of them). */
  policy: string[];
  audit?: string;
  agentId?: string;
  /** The pin lock file: `lock`, else warden-mcp.lock.json beside the configuration. */
  lock: string;
  listen?: string;
  allowRemote: boolean;
  hideDenied?: boolean;
  redactResults?: boolean;
  onChange?: 'block' | 'warn';
  onNew?: 'block' | 'pin';
  approvalTimeoutMs?: number;
  auth?: McpConfigAuth;
}

const TOP_KEYS = ['apiVersion', 'kind', 'servers', 'policy', 'audit', 'agentId', 'lock', 'listen', 'allowRemote', 'hideDenied', 'redactResults', 'onChange', 'onNew', 'approvalTimeout', 'auth'];
const SERVER_KEYS = ['command', 'args', 'env', 'cwd', 'url', 'headers', 'policy', 'hideDenied', 'redactResults', 'onChange', 'onNew', 'verify', 'plugin', 'npm', 'serverJson'];
const AUTH_KEYS = ['issuer', 'audience', 'algorithms', 'jwksUrl', 'jwksFile', 'keyFile', 'requiredScopes', 'resource'];

/**
 * Reads and checks a gateway configuration file.
 *
 * @example
 * ```ts
 * const config = await readMcpConfig('/etc/warden/warden.mcp.yaml');
 * ```
 * @throws WardenError `ERR_MCP_CONFIG` naming the file and the key that is wrong.
 */
export async function readMcpConfig(path: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<McpConfig> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_CONFIG_BYTES) throw new WardenError('ERR_MCP_CONFIG', `${path}: the file is ${bytes.length} bytes; the limit is ${MAX_CONFIG_BYTES}.`);
    text = bytes.toString('utf8');
  } catch (e) {
    if (e instanceof WardenError) throw e;
    throw new WardenError('ERR_MCP_CONFIG', `${path}: cannot read the MCP gateway configuration (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
  return parseMcpConfig(text, resolve(path), env);
}

/**
 * Checks the text of a configuration; relative paths are resolved against `path`'s directory, and
 * `${NAME}` in `env` and `headers` values is replaced by that environment variable (an unset one
 * is an error).
 *
 * @example
 * ```ts
 * parseMcpConfig('apiVersion: warden/v1\nkind: McpGateway\nservers:\n  fs: { command: node, args: [fs.js], policy: [fs.yaml] }\n', '/srv/warden.mcp.yaml');
 * ```
 * @throws WardenError `ERR_MCP_CONFIG`.
 */
export function parseMcpConfig(text: string, path: string, env: Readonly<Record<string, string | undefined>> = {}): McpConfig {
  const fail = (where: string, what: string): never => {
    throw new WardenError('ERR_MCP_CONFIG', `${path}: ${where === '' ? '' : `${where}: `}${what}`);
  };
  let doc: unknown;
  // Outside the try: a YAML library that cannot load is ERR_MODULE_LOAD, not a verdict on the file.
  const { parse } = yamlParser();
  try {
    doc = parse(text, { uniqueKeys: true, maxAliasCount: 0, prettyErrors: true, strict: true });
  } catch (e) {
    return fail('', `not valid YAML (${e instanceof Error ? e.message.split('\n')[0] : String(e)}).`);
  }
  const top = objectAt(doc, '', fail);
  keysAt(top, TOP_KEYS, '', fail);
  if (top.apiVersion !== 'warden/v1') fail('apiVersion', `must be warden/v1, not ${JSON.stringify(top.apiVersion)}.`);
  if (top.kind !== 'McpGateway') fail('kind', `must be McpGateway, not ${JSON.stringify(top.kind)}.`);
  const base = dirname(path);
  const at = (p: string): string => (isAbsolute(p) ? p : join(base, p));
  const servers = objectAt(top.servers, 'servers', fail);
  const names = Object.keys(servers);
  if (names.length === 0) fail('servers', 'name at least one server.');
  if (names.length > MAX_SERVERS) fail('servers', `at most ${MAX_SERVERS} servers, not ${names.length}.`);
  const common = top.policy === undefined ? [] : stringList(top.policy, 'policy', fail).map(at);
  const seen = new Set<string>();
  const out: McpConfigServer[] = names.map((name) => {
    const where = `servers.${name}`;
    try {
      checkServerName(name);
    } catch (e) {
      fail(where, (e as Error).message);
    }
    if (seen.has(name.toLowerCase())) fail(where, 'two servers have this name (names are compared without case).');
    seen.add(name.toLowerCase());
    const s = objectAt(servers[name], where, fail);
    keysAt(s, SERVER_KEYS, where, fail);
    if ((s.command === undefined) === (s.url === undefined)) fail(where, 'give either command (a stdio server) or url (a Streamable HTTP server), not both or neither.');
    let upstream: UpstreamSpec;
    if (s.command !== undefined) {
      if (s.headers !== undefined) fail(`${where}.headers`, 'headers are for url servers.');
      const command = nonEmpty(s.command, `${where}.command`, fail);
      upstream = { transport: 'stdio', command, args: s.args === undefined ? [] : stringList(s.args, `${where}.args`, fail, true) };
      if (s.env !== undefined) upstream.env = { ...inheritedEnv(env), ...expandMap(s.env, `${where}.env`, env, fail) };
      if (s.cwd !== undefined) upstream.cwd = at(nonEmpty(s.cwd, `${where}.cwd`, fail));
    } else {
      for (const k of ['args', 'env', 'cwd']) if (s[k] !== undefined) fail(`${where}.${k}`, `${k} is for command servers.`);
      const url = nonEmpty(s.url, `${where}.url`, fail);
      let parsed: URL | null = null;
      try {
        parsed = new URL(url);
      } catch {
        fail(`${where}.url`, `${JSON.stringify(url)} is not a URL.`);
      }
      if (parsed !== null && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') fail(`${where}.url`, `must be http: or https:, not ${parsed.protocol}`);
      upstream = { transport: 'streamable-http', url, ...(s.headers !== undefined ? { headers: expandMap(s.headers, `${where}.headers`, env, fail) } : {}) };
    }
    const policy = s.policy === undefined ? [] : stringList(s.policy, `${where}.policy`, fail).map(at);
    if (policy.length === 0 && common.length === 0) fail(where, 'has no policy: give it policy: [files], or a gateway-wide policy.');
    const server: McpConfigServer = { name, upstream, policy };
    const flags = flagsOf(s, where, fail);
    Object.assign(server, flags);
    const verify = verifyOf(s, where, at, fail);
    if (verify !== null) server.verify = verify;
    return server;
  });
  const config: McpConfig = { path, servers: out, policy: common, lock: top.lock === undefined ? join(base, LOCK_FILE_NAME) : at(nonEmpty(top.lock, 'lock', fail)), allowRemote: false };
  Object.assign(config, flagsOf(top, '', fail));
  if (top.audit !== undefined) config.audit = at(nonEmpty(top.audit, 'audit', fail));
  if (top.agentId !== undefined) config.agentId = nonEmpty(top.agentId, 'agentId', fail);
  if (top.listen !== undefined) config.listen = nonEmpty(String(top.listen), 'listen', fail);
  if (top.allowRemote !== undefined) config.allowRemote = bool(top.allowRemote, 'allowRemote', fail);
  if (top.approvalTimeout !== undefined) {
    const n = top.approvalTimeout;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > 86_400) fail('approvalTimeout', 'must be a number of seconds between 0 and 86400.');
    config.approvalTimeoutMs = Math.round((n as number) * 1000);
  }
  if (top.auth !== undefined) config.auth = authOf(top.auth, at, fail);
  return config;
}

function authOf(value: unknown, at: (p: string) => string, fail: (where: string, what: string) => never): McpConfigAuth {
  const a = objectAt(value, 'auth', fail);
  keysAt(a, AUTH_KEYS, 'auth', fail);
  const one = (v: unknown, where: string): string[] => (typeof v === 'string' ? [nonEmpty(v, where, fail)] : stringList(v, where, fail));
  if (a.issuer === undefined) fail('auth.issuer', 'is required: the authorization server whose tokens are accepted.');
  if (a.audience === undefined) fail('auth.audience', 'is required: this gateway as a resource (RFC 8707), so a token minted for another service is refused.');
  if (a.algorithms === undefined) fail('auth.algorithms', 'is required: the signature algorithms accepted (for example [EdDSA] or [RS256]).');
  const keys = ['jwksUrl', 'jwksFile', 'keyFile'].filter((k) => a[k] !== undefined);
  if (keys.length !== 1) fail('auth', 'give exactly one of jwksUrl, jwksFile and keyFile.');
  const out: McpConfigAuth = { issuer: one(a.issuer, 'auth.issuer'), audience: one(a.audience, 'auth.audience'), algorithms: stringList(a.algorithms, 'auth.algorithms', fail), requiredScopes: a.requiredScopes === undefined ? [] : stringList(a.requiredScopes, 'auth.requiredScopes', fail) };
  if (a.jwksUrl !== undefined) {
    const url = nonEmpty(a.jwksUrl, 'auth.jwksUrl', fail);
    if (!url.startsWith('https://')) fail('auth.jwksUrl', 'must be an https URL.');
    out.jwksUrl = url;
  }
  if (a.jwksFile !== undefined) out.jwksFile = at(nonEmpty(a.jwksFile, 'auth.jwksFile', fail));
  if (a.keyFile !== undefined) out.keyFile = at(nonEmpty(a.keyFile, 'auth.keyFile', fail));
  if (a.resource !== undefined) out.resource = nonEmpty(a.resource, 'auth.resource', fail);
  return out;
}

const PLUGIN_KEYS = ['dir', 'publishers', 'revocations'];
const NPM_KEYS = ['tarball', 'bundle', 'identities', 'trustedRoot'];
const IDENTITY_KEYS = ['issuer', 'repository', 'workflow', 'ref', 'subject'];

function verifyOf(s: Record<string, unknown>, where: string, at: (p: string) => string, fail: (where: string, what: string) => never): McpConfigVerify | null {
  const given = ['plugin', 'npm', 'serverJson'].filter((k) => s[k] !== undefined);
  if (s.verify === undefined) {
    if (given.length > 0) fail(where, `${given.join(' and ')} ${given.length === 1 ? 'says' : 'say'} what to verify against; add verify: required (nothing is verified without it).`);
    return null;
  }
  if (s.verify !== 'required') fail(`${where}.verify`, `must be required, not ${JSON.stringify(s.verify)} (leave it out to run the server unverified).`);
  if ((s.plugin === undefined) === (s.npm === undefined)) fail(where, 'verify: required needs exactly one of plugin (a signed plugin directory) and npm (a tarball and its provenance bundle).');
  const out: McpConfigVerify = {};
  if (s.plugin !== undefined) {
    const p = objectAt(s.plugin, `${where}.plugin`, fail);
    keysAt(p, PLUGIN_KEYS, `${where}.plugin`, fail);
    if (!Array.isArray(p.publishers) || p.publishers.length === 0) fail(`${where}.plugin.publishers`, 'must list the accepted publishers: [did:key:..., { did, namespaces }].');
    const publishers = (p.publishers as unknown[]).map((x, i) => {
      const w = `${where}.plugin.publishers[${i}]`;
      if (typeof x === 'string') return { did: nonEmpty(x, w, fail) };
      const o = objectAt(x, w, fail);
      keysAt(o, ['did', 'namespaces'], w, fail);
      return { did: nonEmpty(o.did, `${w}.did`, fail), ...(o.namespaces !== undefined ? { namespaces: stringList(o.namespaces, `${w}.namespaces`, fail) } : {}) };
    });
    out.plugin = { dir: at(nonEmpty(p.dir, `${where}.plugin.dir`, fail)), publishers };
    if (p.revocations !== undefined) {
      const r = objectAt(p.revocations, `${where}.plugin.revocations`, fail);
      keysAt(r, ['file', 'issuer'], `${where}.plugin.revocations`, fail);
      out.plugin.revocations = { file: at(nonEmpty(r.file, `${where}.plugin.revocations.file`, fail)), issuer: nonEmpty(r.issuer, `${where}.plugin.revocations.issuer`, fail) };
    }
  } else {
    const n = objectAt(s.npm, `${where}.npm`, fail);
    keysAt(n, NPM_KEYS, `${where}.npm`, fail);
    if (!Array.isArray(n.identities) || n.identities.length === 0) fail(`${where}.npm.identities`, 'must list the accepted identities: [{ issuer, repository, workflow, ref }].');
    const identities = (n.identities as unknown[]).map((x, i) => {
      const w = `${where}.npm.identities[${i}]`;
      const o = objectAt(x, w, fail);
      keysAt(o, IDENTITY_KEYS, w, fail);
      const id: { issuer: string; repository?: string; workflow?: string; ref?: string; subject?: string } = { issuer: nonEmpty(o.issuer, `${w}.issuer`, fail) };
      for (const k of ['repository', 'workflow', 'ref', 'subject'] as const) if (o[k] !== undefined) id[k] = nonEmpty(o[k], `${w}.${k}`, fail);
      if (id.repository === undefined && id.subject === undefined) fail(w, 'names a repository or a subject.');
      return id;
    });
    out.npm = { tarball: at(nonEmpty(n.tarball, `${where}.npm.tarball`, fail)), bundle: at(nonEmpty(n.bundle, `${where}.npm.bundle`, fail)), identities };
    if (n.trustedRoot !== undefined) out.npm.trustedRoot = at(nonEmpty(n.trustedRoot, `${where}.npm.trustedRoot`, fail));
  }
  if (s.serverJson !== undefined) out.serverJson = at(nonEmpty(s.serverJson, `${where}.serverJson`, fail));
  return out;
}

/**
 * The single-server command line's `--auth-*` and `--upstream-header` flags, checked with exactly
 * the rules of a configuration file's `auth:` and a url server's `headers:` (so both spell the same
 * settings the same way). Relative key files resolve against `cwd`; `${NAME}` in a header value is
 * that environment variable (an unset one is an error). Errors name the flag.
 *
 * @example
 * ```ts
 * parseMcpFlagSettings({ auth: { issuer: ['https://idp.example'], audience: ['https://gw.example/mcp'], algorithms: ['EdDSA'], jwksFile: 'jwks.json' } }, process.cwd());
 * ```
 * @throws WardenError `ERR_MCP_OPTIONS`.
 */
export function parseMcpFlagSettings(
  raw: { auth?: Record<string, unknown>; headers?: readonly string[] },
  cwd: string,
  env: Readonly<Record<string, string | undefined>> = {},
): { auth?: McpConfigAuth; headers?: Record<string, string> } {
  const flag = (where: string): string => (where === 'auth' ? 'the --auth-* flags' : where.startsWith('auth.') ? `--auth-${where.slice(5).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : `--upstream-header ${where.replace(/^headers\.?/, '')}`.trim());
  const fail = (where: string, what: string): never => {
    throw new WardenError('ERR_MCP_OPTIONS', `${flag(where)}: ${what}`);
  };
  const out: { auth?: McpConfigAuth; headers?: Record<string, string> } = {};
  if (raw.auth !== undefined) out.auth = authOf(raw.auth, (p) => (isAbsolute(p) ? p : join(cwd, p)), fail);
  if (raw.headers !== undefined) {
    const headers: Record<string, unknown> = {};
    for (const h of raw.headers) {
      const colon = h.indexOf(':');
      const name = colon > 0 ? h.slice(0, colon).trim() : '';
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) fail('headers', `${JSON.stringify(h)} is not "Name: value".`);
      if (Object.hasOwn(headers, name)) fail('headers', `${name} is given twice.`);
      headers[name] = h.slice(colon + 1).trim();
    }
    out.headers = expandMap(headers, 'headers', env, fail);
  }
  return out;
}

type Flags = Pick<McpConfigServer, 'hideDenied' | 'redactResults' | 'onChange' | 'onNew'>;

function flagsOf(o: Record<string, unknown>, where: string, fail: (where: string, what: string) => never): Flags {
  const p = (k: string): string => (where === '' ? k : `${where}.${k}`);
  const out: Flags = {};
  if (o.hideDenied !== undefined) out.hideDenied = bool(o.hideDenied, p('hideDenied'), fail);
  if (o.redactResults !== undefined) out.redactResults = bool(o.redactResults, p('redactResults'), fail);
  if (o.onChange !== undefined) out.onChange = oneOf(o.onChange, ['block', 'warn'] as const, p('onChange'), fail);
  if (o.onNew !== undefined) out.onNew = oneOf(o.onNew, ['block', 'pin'] as const, p('onNew'), fail);
  return out;
}

function objectAt(v: unknown, where: string, fail: (where: string, what: string) => never): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(where, `must be a mapping, not ${v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v}.`);
  return v as Record<string, unknown>;
}

function keysAt(o: Record<string, unknown>, allowed: readonly string[], where: string, fail: (where: string, what: string) => never): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(where, `unknown key ${JSON.stringify(k)}; the keys are ${allowed.join(', ')}.`);
}

function nonEmpty(v: unknown, where: string, fail: (where: string, what: string) => never): string {
  if (typeof v !== 'string' || v === '') fail(where, 'must be a non-empty string.');
  return v as string;
}

function bool(v: unknown, where: string, fail: (where: string, what: string) => never): boolean {
  if (typeof v !== 'boolean') fail(where, `must be true or false, not ${JSON.stringify(v)}.`);
  return v as boolean;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], where: string, fail: (where: string, what: string) => never): T {
  if (!(allowed as readonly unknown[]).includes(v)) fail(where, `must be ${allowed.join(' or ')}, not ${JSON.stringify(v)}.`);
  return v as T;
}

function stringList(v: unknown, where: string, fail: (where: string, what: string) => never, allowEmptyStrings = false): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && (allowEmptyStrings || x !== ''))) fail(where, 'must be a list of strings.');
  return [...(v as string[])];
}

function expandMap(v: unknown, where: string, env: Readonly<Record<string, string | undefined>>, fail: (where: string, what: string) => never): Record<string, string> {
  const o = objectAt(v, where, fail);
  const out: Record<string, string> = {};
  for (const [k, raw] of Object.entries(o)) {
    if (typeof raw !== 'string') fail(`${where}.${k}`, 'must be a string.');
    out[k] = (raw as string).replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const value = Object.hasOwn(env, name) ? env[name] : undefined;
      if (value === undefined) fail(`${where}.${k}`, `the environment variable ${name} is not set.`);
      return value as string;
    });
  }
  return out;
}

function inheritedEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
