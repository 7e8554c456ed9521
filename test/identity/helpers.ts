/**
 * Shared setup of the identity tests: an issuer that signs access tokens (optionally bound to a
 * DPoP key), DPoP keys that sign proofs, and a policy that reads the verified identity.
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { createHash } from 'node:crypto';
import { compilePolicy } from '../../src/policy/compile.js';
import type { PolicySet } from '../../src/policy/policy-set.js';
import { jwkThumbprint, type PublicJwk } from '../../src/identity/index.js';

export const ISSUER = 'https://idp.example';
export const AUDIENCE = 'https://tools.example';
export const NOW = new Date('2026-06-01T12:00:00.000Z');
export const NOW_S = Math.floor(NOW.getTime() / 1000);

/** An Ed25519 token issuer. */
export function makeIssuer(): { privateKey: KeyObject; jwk: PublicJwk; token(claims: Record<string, unknown>, opts?: { alg?: string; kid?: string; iat?: number; exp?: number; iss?: string; aud?: string }): Promise<string> } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as PublicJwk), kid: 'k1' };
  return {
    privateKey,
    jwk,
    token: (claims, opts = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: opts.alg ?? 'EdDSA', kid: opts.kid ?? 'k1' })
        .setIssuer(opts.iss ?? ISSUER)
        .setAudience(opts.aud ?? AUDIENCE)
        .setIssuedAt(opts.iat ?? NOW_S - 10)
        .setExpirationTime(opts.exp ?? NOW_S + 600)
        .sign(privateKey),
  };
}

/** A DPoP key that signs proofs. */
export function makeDpopKey(kind: 'ed25519' | 'ec' = 'ed25519'): { jwk: PublicJwk; jkt: string; proof(p: { method: string; url: string; token?: string; iat?: number; jti?: string; nonce?: string; typ?: string; alg?: string; extraHeader?: Record<string, unknown> }): Promise<string> } {
  const pair = kind === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = pair.publicKey.export({ format: 'jwk' }) as PublicJwk;
  return {
    jwk,
    jkt: jwkThumbprint(jwk),
    proof: (p) => {
      const claims: Record<string, unknown> = { htm: p.method, htu: p.url, jti: p.jti ?? randomUUID(), iat: p.iat ?? NOW_S };
      if (p.token !== undefined) claims.ath = createHash('sha256').update(p.token).digest('base64url');
      if (p.nonce !== undefined) claims.nonce = p.nonce;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: p.alg ?? (kind === 'ed25519' ? 'EdDSA' : 'ES256'), typ: p.typ ?? 'dpop+jwt', jwk, ...(p.extraHeader ?? {}) })
        .sign(pair.privateKey);
    },
  };
}

/** The policy the pipeline tests decide with: refunds need proof of possession, email a short delegation. */
export function identityPolicy(): PolicySet {
  return compilePolicy([
    {
      name: 'identity.yaml',
      text: `apiVersion: warden/v1
kind: Policy
name: identity
default: deny
rules:
  - name: refunds-need-proof-of-possession
    tools: [refund]
    when: "has(agent.verified) && agent.verified.method in ['dpop', 'ucan', 'local', 'message']"
    effect: allow
  - name: email-under-a-short-delegation
    tools: [send_email]
    when: "has(agent.delegation) && agent.delegation.depth <= 2"
    effect: allow
  - name: lookups-by-anyone-verified
    tools: [lookup]
    when: "has(agent.verified)"
    effect: allow
  - name: unverified-agents-may-read-the-menu
    tools: [menu]
    when: "!has(agent.verified)"
    effect: allow
`,
    },
  ]);
}
