/**
 * Who may use the gateway over HTTP: bearer tokens verified as OAuth 2.1 resource-server access
 * tokens (the MCP authorization specification): a signed JWT from a pinned issuer, for this
 * gateway's audience (RFC 8707 resource), unexpired, signed with an allowlisted asymmetric
 * algorithm, carrying the required scopes. No token is a 401 with the RFC 9728 pointer to the
 * protected-resource metadata; never anonymous.
 *
 * The same tokens are verified again in each call's `identify` stage (the gateway's `identity`),
 * so every decision record names the verified agent.
 */
import { WardenError } from '../../errors.js';
import { rejectUnknownKeys } from '../../lib/options.js';
import type { CredentialVerifier } from '../../identity/credential.js';
import type { AgentTokenOptions, VerifiedToken } from '../../identity/token.js';

/**
 * Options of {@link createBearerAuth}.
 *
 * @example
 * ```ts
 * const options: BearerAuthOptions = { issuer: 'https://idp.example', audience: 'https://gateway.example/mcp', algorithms: ['EdDSA'], jwks };
 * ```
 */
export interface BearerAuthOptions extends Omit<AgentTokenOptions, 'now' | 'issuer' | 'audience'> {
  /** The authorization server(s) whose tokens are accepted (`iss`). Required. */
  issuer: string | string[];
  /** This gateway as a resource (`aud`), RFC 8707. Required: a token for another service is refused. */
  audience: string | string[];
  /** Scopes every token must carry (`scope`, space-separated, or `scp`). Default none. */
  requiredScopes?: string[];
  /** The resource identifier the metadata document advertises. Default the first audience. */
  resource?: string;
}

/**
 * What the HTTP listener gets from a request's Authorization header.
 *
 * @example
 * ```ts
 * const r = await auth.authenticate(req.headers.authorization, new Date());
 * if (!r.ok) { res.writeHead(r.status, { 'www-authenticate': challenge(r) }); }
 * ```
 */
export type BearerResult =
  | { ok: true; token: string; agentId: string; issuer: string; scopes: string[]; expiresAt?: number }
  | { ok: false; status: 401 | 403; error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | null; description: string };

/**
 * Verifies bearer tokens at the gateway's HTTP listener and, through `identity`, in every call's
 * pipeline. Made by {@link createBearerAuth}.
 *
 * @example
 * ```ts
 * const auth = await createBearerAuth({ issuer, audience, algorithms: ['EdDSA'], jwks });
 * const gateway = await McpGateway.start({ servers, identity: auth.identity });
 * await listenStreamableHttp(gateway, { host: '0.0.0.0', port: 8931, auth });
 * ```
 */
export interface BearerAuth {
  /** The verifier for `McpGateway.start({ identity })`. */
  readonly identity: CredentialVerifier;
  readonly issuers: readonly string[];
  readonly resource: string;
  readonly requiredScopes: readonly string[];
  authenticate(header: string | string[] | undefined, now: Date): Promise<BearerResult>;
}

const OPTION_KEYS = ['issuer', 'audience', 'algorithms', 'jwks', 'key', 'maxTokenAge', 'clockTolerance', 'typ', 'requiredClaims', 'requiredScopes', 'resource'];
/** Longest Authorization header read. */
const MAX_HEADER = 16 * 1024 + 16;

/**
 * Builds the bearer verification for the gateway (loads the identity module on first use).
 *
 * @example
 * ```ts
 * const auth = await createBearerAuth({ issuer: 'https://idp.example', audience: 'https://gw.example/mcp', algorithms: ['ES256'], jwks: new RemoteJwks('https://idp.example/jwks.json') });
 * ```
 * @throws WardenError `ERR_MCP_OPTIONS` for missing issuer or audience or an unknown key;
 *   `ERR_OPTIONS` for unsafe token options (no algorithm allowlist, `none`, HMAC, no key).
 */
export async function createBearerAuth(options: BearerAuthOptions): Promise<BearerAuth> {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_MCP_OPTIONS', 'auth is an object: { issuer, audience, algorithms, jwks | key }.');
  rejectUnknownKeys(options, OPTION_KEYS, 'ERR_MCP_OPTIONS', 'the gateway auth options');
  const issuers = listOf(options.issuer, 'issuer');
  const audiences = listOf(options.audience, 'audience');
  const requiredScopes = options.requiredScopes ?? [];
  if (!Array.isArray(requiredScopes) || !requiredScopes.every((s) => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) throw new WardenError('ERR_MCP_OPTIONS', 'requiredScopes must be a list of scope tokens (RFC 6749 section 3.3).');
  const { requiredScopes: _s, resource: _r, ...tokenOptions } = options;
  const tokens: Omit<AgentTokenOptions, 'now'> = { ...tokenOptions, issuer: issuers, audience: audiences };
  const [{ createTokenVerifier }, { createIdentityVerifier }] = await Promise.all([import('../../identity/token.js'), import('../../identity/verifier.js')]);
  const verify = createTokenVerifier(tokens);
  const identity = createIdentityVerifier({ tokens });
  const resource = options.resource ?? (audiences[0] as string);
  return {
    identity,
    issuers,
    resource,
    requiredScopes,
    authenticate: async (header, now) => {
      if (header === undefined) return { ok: false, status: 401, error: null, description: 'This MCP gateway requires a bearer token (Authorization: Bearer <token>).' };
      if (Array.isArray(header) || header.length > MAX_HEADER) return { ok: false, status: 401, error: 'invalid_request', description: 'Send one Authorization header of at most 16 KiB.' };
      const m = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
      if (!m) return { ok: false, status: 401, error: 'invalid_request', description: 'The Authorization header must be "Bearer <token>".' };
      const token = m[1] as string;
      let verified: VerifiedToken;
      try {
        verified = await verify(token, now);
      } catch (e) {
        return { ok: false, status: 401, error: 'invalid_token', description: `The token did not verify: ${e instanceof Error ? e.message : String(e)}` };
      }
      // RFC 9449: a DPoP-bound token is not a bearer token.
      if (verified.boundJkt !== null) return { ok: false, status: 401, error: 'invalid_token', description: 'The token is bound to a DPoP key (cnf.jkt); this gateway accepts bearer tokens only.' };
      const scopes = scopesOf(verified.claims);
      const missing = requiredScopes.filter((s) => !scopes.includes(s));
      if (missing.length > 0) return { ok: false, status: 403, error: 'insufficient_scope', description: `The token lacks the scope${missing.length === 1 ? '' : 's'} ${missing.join(' ')}.` };
      const exp = verified.claims.exp;
      return { ok: true, token, agentId: verified.agentId, issuer: verified.issuer, scopes, ...(typeof exp === 'number' ? { expiresAt: exp } : {}) };
    },
  };
}

/**
 * The `WWW-Authenticate` value for a refusal (RFC 6750 section 3, RFC 9728 section 5.1).
 *
 * @example
 * ```ts
 * bearerChallenge({ ok: false, status: 401, error: null, description: '…' }, 'http://127.0.0.1:8931/.well-known/oauth-protected-resource/mcp');
 * // 'Bearer resource_metadata="http://127.0.0.1:8931/.well-known/oauth-protected-resource/mcp"'
 * ```
 */
export function bearerChallenge(result: Extract<BearerResult, { ok: false }>, metadataUrl: string, scopes: readonly string[] = []): string {
  const parts = [`resource_metadata="${quoted(metadataUrl)}"`];
  if (result.error !== null) parts.push(`error="${result.error}"`, `error_description="${quoted(result.description)}"`);
  if (scopes.length > 0) parts.push(`scope="${quoted(scopes.join(' '))}"`);
  return `Bearer ${parts.join(', ')}`;
}

/**
 * The OAuth 2.0 Protected Resource Metadata document (RFC 9728) for the gateway.
 *
 * @example
 * ```ts
 * protectedResourceMetadata(auth); // { resource: 'https://gw.example/mcp', authorization_servers: ['https://idp.example'], ... }
 * ```
 */
export function protectedResourceMetadata(auth: BearerAuth): Record<string, unknown> {
  return {
    resource: auth.resource,
    authorization_servers: [...auth.issuers],
    bearer_methods_supported: ['header'],
    ...(auth.requiredScopes.length > 0 ? { scopes_supported: [...auth.requiredScopes] } : {}),
  };
}

function scopesOf(claims: Record<string, unknown>): string[] {
  const scope = claims.scope;
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  const scp = claims.scp;
  if (typeof scp === 'string') return scp.split(' ').filter(Boolean);
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === 'string');
  return [];
}

function listOf(value: unknown, what: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string' && v !== '')) {
    throw new WardenError('ERR_MCP_OPTIONS', `auth.${what} is required (a non-empty string or list): a gateway that accepts tokens must pin who issues them and who they are for.`);
  }
  return list as string[];
}

/** A quoted-string body: no quotes, backslashes or control characters. */
function quoted(text: string): string {
  let out = '';
  for (const ch of text.slice(0, 300)) {
    const code = ch.charCodeAt(0);
    // Header values carry visible ASCII only (a token's claims may hold anything).
    out += ch === '"' || ch === '\\' ? "'" : code < 0x20 || code >= 0x7f ? '?' : ch;
  }
  return out;
}
