/**
 * From a read `warden.mcp.yaml` to what the gateway starts with: each server's policy compiled
 * (the gateway-wide files first, then its own), and the bearer-token verifier built from the key
 * material it names.
 */
import { readFile } from 'node:fs/promises';
import { compileReadSources, loadPolicyFiles, readPolicySources } from '../../enforce/load-files.js';
import type { PolicySet } from '../../policy/policy-set.js';
import type { UpstreamVerification } from '../../supply/upstream-verify.js';
import { WardenError } from '../../errors.js';
import type { McpConfig, McpConfigAuth } from './config-file.js';
import type { McpServerOptions } from './gateway.js';
import { createBearerAuth, type BearerAuth } from './inbound-auth.js';

/**
 * The servers (with compiled policies) and the token verification of a configuration.
 *
 * @example
 * ```ts
 * const config = await readMcpConfig('warden.mcp.yaml');
 * const { servers, auth } = await prepareMcpConfig(config);
 * const gateway = await McpGateway.start({ servers, lockFile: config.lock, ...(auth ? { identity: auth.identity } : {}) });
 * ```
 * @throws WardenError `ERR_POLICY_LOAD` for a policy that does not load, `ERR_MCP_CONFIG` for key
 *   material that cannot be read, `ERR_OPTIONS` for unsafe token settings.
 */
export async function prepareMcpConfig(config: McpConfig): Promise<{ servers: McpServerOptions[]; auth: BearerAuth | null }> {
  const servers: McpServerOptions[] = [];
  for (const s of config.servers) {
    let policy: PolicySet;
    let verify: UpstreamVerification | undefined;
    if (s.verify === undefined) {
      policy = await loadPolicyFiles([...config.policy, ...s.policy]);
    } else {
      // Verified here first, so the policy can hold the server to the permissions its manifest
      // declared; the gateway verifies again right before it starts the process.
      verify = await upstreamVerification(s.verify, config.path);
      const { verifyUpstream } = await import('../../supply/upstream-verify.js');
      const { facts } = await verifyUpstream(verify);
      const sources = await readPolicySources([...config.policy, ...s.policy]);
      if (s.verify.plugin !== undefined) {
        const { permissionPolicy } = await import('../../supply/facts.js');
        sources.push({ name: `${s.name}: the permissions of ${facts.name}@${facts.version} (warden-plugin.json)`, text: permissionPolicy(s.name, facts.permissions) });
      }
      policy = (await compileReadSources(sources)).set;
    }
    const server: McpServerOptions = { name: s.name, upstream: s.upstream, policy, ...(verify !== undefined ? { verify } : {}) };
    if (s.hideDenied !== undefined) server.hideDenied = s.hideDenied;
    if (s.redactResults !== undefined) server.redactResults = s.redactResults;
    if (s.onChange !== undefined) server.onChange = s.onChange;
    if (s.onNew !== undefined) server.onNew = s.onNew;
    servers.push(server);
  }
  if (config.auth === undefined) return { servers, auth: null };
  return { servers, auth: await bearerAuthFor(config.auth, config.path) };
}

/**
 * The bearer-token verifier for `auth:` settings (from a configuration file or the single-server
 * `--auth-*` flags), with its key material read from the file or URL they name. `source` names
 * where the settings came from, for errors.
 *
 * @example
 * ```ts
 * const auth = await bearerAuthFor({ issuer: ['https://idp.example'], audience: ['https://gw.example/mcp'], algorithms: ['EdDSA'], keyFile: '/etc/warden/idp.jwk', requiredScopes: [] }, 'the command line');
 * ```
 * @throws WardenError `ERR_MCP_CONFIG` for key material that cannot be read, `ERR_OPTIONS` for unsafe token settings.
 */
export async function bearerAuthFor(a: McpConfigAuth, source: string): Promise<BearerAuth> {
  const base = { issuer: a.issuer, audience: a.audience, algorithms: a.algorithms, requiredScopes: a.requiredScopes, ...(a.resource !== undefined ? { resource: a.resource } : {}) };
  let auth: BearerAuth;
  if (a.jwksUrl !== undefined) {
    const { RemoteJwks } = await import('../../identity/jwks.js');
    auth = await createBearerAuth({ ...base, jwks: new RemoteJwks(a.jwksUrl) });
  } else if (a.jwksFile !== undefined) {
    auth = await createBearerAuth({ ...base, jwks: (await readJson(a.jwksFile, 'auth.jwksFile', source)) as never });
  } else {
    auth = await createBearerAuth({ ...base, key: (await readJson(a.keyFile as string, 'auth.keyFile', source)) as never });
  }
  return auth;
}

async function upstreamVerification(v: NonNullable<McpConfig['servers'][number]['verify']>, configPath: string): Promise<UpstreamVerification> {
  const out: UpstreamVerification = {};
  if (v.plugin !== undefined) {
    out.plugin = { dir: v.plugin.dir, publishers: v.plugin.publishers };
    if (v.plugin.revocations !== undefined) {
      const { readRevocations } = await import('../../supply/upstream-verify.js');
      out.plugin.revocations = await readRevocations(v.plugin.revocations.file, v.plugin.revocations.issuer);
    }
  }
  if (v.npm !== undefined) {
    out.npm = { tarball: v.npm.tarball, bundle: v.npm.bundle, identities: v.npm.identities };
    if (v.npm.trustedRoot !== undefined) out.npm.trustedRoot = await readJson(v.npm.trustedRoot, 'npm.trustedRoot', configPath);
  }
  if (v.serverJson !== undefined) out.serverJson = v.serverJson;
  return out;
}

async function readJson(file: string, key: string, configPath: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (e) {
    throw new WardenError('ERR_MCP_CONFIG', `${configPath}: ${key}: cannot read ${file} as JSON (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
}
