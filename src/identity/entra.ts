/**
 * Microsoft Entra ID (and Entra Agent ID) tokens, verified as ordinary OIDC access tokens: RS256
 * from the tenant's key set, the issuer built from the pinned tenant (v2.0, and v1 when allowed),
 * `tid` equal to the pinned tenant, the audience pinned. The agent is the actor of a
 * user-delegated token (`act.sub`) or the token's subject.
 */
import { WardenError } from '../errors.js';
import { IdentityError } from './errors.js';
import type { JsonWebKeySet } from './jwk.js';
import { RemoteJwks, type JwksFetch } from './jwks.js';
import { createTokenVerifier, type VerifiedToken } from './token.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Options of {@link verifyEntraToken}.
 *
 * @example
 * ```ts
 * const options: EntraTokenOptions = { tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', audience: 'api://warden' };
 * ```
 */
export interface EntraTokenOptions {
  /** The tenant (directory) id the token must come from. */
  tenantId: string;
  /** The audience (`aud`): your API's application id URI or client id. */
  audience: string | string[];
  /** The tenant's keys: a key set or a RemoteJwks; default {@link entraJwks} for the tenant. */
  jwks?: JsonWebKeySet | RemoteJwks;
  /** The fetch the default key set uses. */
  fetch?: JwksFetch;
  /** The login authority; default `https://login.microsoftonline.com` (sovereign clouds differ). */
  authority?: string;
  /** Also accept v1.0 tokens (issuer `https://sts.windows.net/<tid>/`); default true. */
  allowV1?: boolean;
  /** Algorithms; default `['RS256']` (what Entra signs with). */
  algorithms?: string[];
  maxTokenAge?: number | string;
  clockTolerance?: number | string;
  now?: Date;
}

const OPTION_KEYS = ['tenantId', 'audience', 'jwks', 'fetch', 'authority', 'allowV1', 'algorithms', 'maxTokenAge', 'clockTolerance', 'now'];

/**
 * The key set of an Entra tenant (`<authority>/<tid>/discovery/v2.0/keys`), cached.
 *
 * @example
 * ```ts
 * const jwks = entraJwks('72f988bf-86f1-41af-91ab-2d7cd011db47');
 * ```
 */
export function entraJwks(tenantId: string, options: { fetch?: JwksFetch; authority?: string } = {}): RemoteJwks {
  checkTenant(tenantId);
  const authority = (options.authority ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  return new RemoteJwks(`${authority}/${tenantId}/discovery/v2.0/keys`, options.fetch === undefined ? {} : { fetch: options.fetch });
}

/**
 * A verified Entra token: {@link VerifiedToken} and the tenant.
 *
 * @example
 * ```ts
 * const { agentId, tenantId } = await verifyEntraToken(token, options);
 * ```
 */
export interface VerifiedEntraToken extends VerifiedToken {
  tenantId: string;
}

/**
 * Verifies an Entra ID token with the tenant and audience pinned.
 *
 * @example
 * ```ts
 * const verified = await verifyEntraToken(token, { tenantId, audience: 'api://warden' });
 * ```
 * @throws IdentityError (`tenant` for another tenant's token), WardenError `ERR_OPTIONS`.
 */
export async function verifyEntraToken(token: string, options: EntraTokenOptions): Promise<VerifiedEntraToken> {
  return createEntraVerifier(options)(token, options.now ?? new Date());
}

/**
 * An Entra token verifier with its options checked once.
 *
 * @example
 * ```ts
 * const check = createEntraVerifier({ tenantId, audience: 'api://warden' });
 * ```
 */
export function createEntraVerifier(options: EntraTokenOptions): (token: string, now: Date) => Promise<VerifiedEntraToken> {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_OPTIONS', 'Entra options are an object: { tenantId, audience }.');
  for (const k of Object.keys(options)) if (!OPTION_KEYS.includes(k)) throw new WardenError('ERR_OPTIONS', `Unknown Entra option ${JSON.stringify(k)}; the options are ${OPTION_KEYS.join(', ')}.`);
  const tenantId = checkTenant(options.tenantId);
  if (options.audience === undefined || (Array.isArray(options.audience) && options.audience.length === 0)) throw new WardenError('ERR_OPTIONS', 'An Entra verifier must pin the audience (your API\'s application id URI or client id).');
  const authority = (options.authority ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  const issuer = [`${authority}/${tenantId}/v2.0`];
  if (options.allowV1 !== false) issuer.push(`https://sts.windows.net/${tenantId}/`);
  const jwks = options.jwks ?? entraJwks(tenantId, { ...(options.fetch === undefined ? {} : { fetch: options.fetch }), authority });
  const check = createTokenVerifier({
    issuer,
    audience: options.audience,
    algorithms: options.algorithms ?? ['RS256'],
    jwks,
    ...(options.maxTokenAge === undefined ? {} : { maxTokenAge: options.maxTokenAge }),
    ...(options.clockTolerance === undefined ? {} : { clockTolerance: options.clockTolerance }),
  });
  return async (token, now) => {
    const verified = await check(token, now);
    // invariant: the issuer already names the tenant; tid must say the same (a multi-tenant key set signs for every tenant).
    if (verified.claims.tid !== tenantId) throw new IdentityError('tenant', `The token is from tenant ${JSON.stringify(verified.claims.tid)}, not the pinned ${tenantId}.`);
    return { ...verified, tenantId };
  };
}

function checkTenant(tenantId: unknown): string {
  if (typeof tenantId !== 'string' || !GUID.test(tenantId)) throw new WardenError('ERR_OPTIONS', `tenantId must be the tenant's GUID (lower case); got ${JSON.stringify(tenantId)}. "common" and "organizations" are not a pinned tenant.`);
  return tenantId;
}
