/**
 * A real OpenID provider (the `oidc-provider` package) in the test process, on an ephemeral port,
 * under the host name `localhost` (the dashboard is on `127.0.0.1`, so the redirect back is
 * cross-site, as in production). Its interaction logs in programmatically as the account the test
 * names next and grants what the client asked for. The signing key is the test's, so a test can
 * also forge tokens the provider's published keys verify.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import Provider from 'oidc-provider';

/** The provider's accounts: subject → roles claim (absent: no roles claim at all). */
export const ACCOUNTS: Record<string, { roles?: string[]; groups?: string[] }> = {
  'alice-sub': { roles: ['finance', 'kill'] },
  'viewer-sub': { roles: ['viewer'] },
  'norole-sub': {},
  'empty-sub': { roles: [] },
  'grouped-sub': { groups: ['warden-approvers', 'unrelated'] },
};

export const CLIENT_ID = 'warden-dashboard';
export const CLIENT_SECRET = 'client-secret-0123456789abcdef0123456789';
export const OTHER_CLIENT_ID = 'other-app';

export interface OidcProviderFixture {
  issuer: string;
  /** The provider's signing key (private JWK with kid) and its public half. */
  signingKey: CryptoKey;
  publicJwk: JWK;
  kid: string;
  /** Who the next interaction logs in as. */
  nextAccount: string;
  close(): Promise<void>;
}

/** Starts the provider; `redirectUri` is registered for {@link CLIENT_ID}, `otherRedirectUri` for {@link OTHER_CLIENT_ID}. */
export async function startOidcProvider(redirectUri: string, otherRedirectUri = redirectUri): Promise<OidcProviderFixture> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = 'test-key-1';
  const privateJwk = { ...(await exportJWK(privateKey)), kid, use: 'sig', alg: 'RS256' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };
  const holder: { provider?: Provider } = {};
  const fixture = { nextAccount: 'alice-sub' } as OidcProviderFixture;
  const server: Server = createServer((req, res) => {
    const p = holder.provider as Provider;
    if (req.url?.startsWith('/interaction/')) {
      void (async () => {
        try {
          const details = await p.interactionDetails(req, res);
          if (details.prompt.name === 'login') {
            await p.interactionFinished(req, res, { login: { accountId: fixture.nextAccount } }, { mergeWithLastSubmission: false });
            return;
          }
          const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
          const grant = new p.Grant({ accountId: details.session?.accountId as string, clientId: details.params.client_id as string });
          if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
          if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
          const grantId = await grant.save();
          await p.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        } catch (e) {
          res.writeHead(500).end(String(e));
        }
      })();
      return;
    }
    p.callback()(req, res);
  });
  // Both loopback families: `localhost` may resolve to ::1 or 127.0.0.1.
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '::', ipv6Only: false }, resolve));
  const issuer = `http://localhost:${(server.address() as AddressInfo).port}`;
  holder.provider = new Provider(issuer, {
    clients: [
      { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' },
      { client_id: OTHER_CLIENT_ID, client_secret: `${CLIENT_SECRET}-other`, redirect_uris: [otherRedirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' },
    ],
    jwks: { keys: [privateJwk] },
    cookies: { keys: ['provider-cookie-key-0123456789abcdef'] },
    claims: { openid: ['sub'], profile: ['roles', 'groups'] },
    conformIdTokenClaims: false,
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, id) {
      return { accountId: id, claims: () => ({ sub: id, ...(ACCOUNTS[id] ?? {}) }) };
    },
  });
  Object.assign(fixture, {
    issuer,
    signingKey: privateKey,
    publicJwk,
    kid,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return fixture;
}
