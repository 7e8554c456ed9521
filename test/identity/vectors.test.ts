/**
 * The published vectors, carried as data files with their source (test/identity/vectors/): RFC 8037
 * Appendix A, RFC 7515 Appendix A, RFC 7638, RFC 9449's example proofs, the W3C CCG did:key
 * vectors, and the ucan-wg/spec 1.0 fixtures.
 */
import { createHmac, createPrivateKey, createPublicKey, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { compactVerify, decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import * as dagCbor from '@ipld/dag-cbor';
import {
  cidOf,
  didKeyDocument,
  didKeyFromPublicKey,
  didKeyFromSeed,
  identityFromSeed,
  jwkThumbprint,
  MemoryReplayStore,
  policyMatches,
  publicKeyFromDidKey,
  verifyAgentToken,
  verifyDpopProof,
  verifyUcanInvocation,
  verifyCompactJws,
  IdentityError,
} from '../../src/identity/index.js';
import { encodeEnvelope } from '../../src/identity/ucan/envelope.js';

const vectors = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const b64 = (v: { '/': { bytes: string } }): Uint8Array => new Uint8Array(Buffer.from(v['/'].bytes, 'base64'));

describe('RFC 8037 Appendix A (Ed25519 in JOSE)', () => {
  const v = vectors('rfc8037.json') as Record<string, Record<string, unknown>>;
  const a1 = (v['A.1'] as { jwk: Record<string, string> }).jwk;
  const a2 = (v['A.2'] as { jwk: Record<string, string> }).jwk;
  const a3 = v['A.3'] as { thumbprint: string; sha256Hex: string; thumbprintInput: string };
  const a4 = v['A.4'] as { jws: string; signingInput: string };

  it('A.1/A.2: the private key\'s public half is the published public key', () => {
    const priv = createPrivateKey({ key: a1 as never, format: 'jwk' });
    expect(createPublicKey(priv).export({ format: 'jwk' })).toEqual(a2);
  });

  it('A.3: the thumbprint of the public key', () => {
    expect(jwkThumbprint(a2 as never)).toBe(a3.thumbprint);
    expect(Buffer.from(a3.thumbprint, 'base64url').toString('hex')).toBe(a3.sha256Hex);
  });

  it('A.4: signing reproduces the published JWS byte for byte (Ed25519 is deterministic)', () => {
    const priv = createPrivateKey({ key: a1 as never, format: 'jwk' });
    const sig = nodeSign(null, Buffer.from(a4.signingInput), priv).toString('base64url');
    expect(`${a4.signingInput}.${sig}`).toBe(a4.jws);
  });

  it('A.5: the JWS verifies with the public key under both EdDSA and Ed25519 allowlists', async () => {
    for (const algorithms of [['EdDSA'], ['Ed25519']]) {
      const { payload } = await compactVerify(a4.jws, createPublicKey({ key: a2 as never, format: 'jwk' }), { algorithms: algorithms[0] === 'EdDSA' ? ['EdDSA', 'Ed25519'] : ['Ed25519', 'EdDSA'] });
      expect(Buffer.from(payload).toString()).toBe('Example of Ed25519 signing');
    }
  });

  it('A.5: the synchronous node:crypto verifier accepts the JWS, and refuses it for the wrong key type', () => {
    const pub = createPublicKey({ key: a2 as never, format: 'jwk' });
    expect(verifyCompactJws(a4.jws, pub, ['EdDSA']).payload.toString()).toBe('Example of Ed25519 signing');
    const ec = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' } as never, format: 'jwk' });
    expect(() => verifyCompactJws(a4.jws, ec, ['EdDSA'])).toThrow(/needs a public ed25519 key/);
  });

  it('A.1 seed gives the did:key of the A.2 public key', () => {
    const seed = Buffer.from(a1.d as string, 'base64url');
    expect(didKeyFromSeed(seed)).toBe(didKeyFromPublicKey(Buffer.from(a2.x as string, 'base64url')));
  });
});

describe('RFC 7515 Appendix A (JWS)', () => {
  const v = vectors('rfc7515.json') as Record<string, { jws: string; jwk?: Record<string, string> }>;
  const a1 = v['A.1'] as { jws: string; jwk: Record<string, string> };
  const a3 = v['A.3'] as { jws: string; jwk: Record<string, string> };
  const now = new Date(1300819380 * 1000 - 60_000);

  it('A.1: the HS256 MAC is what the vector says (the transcription is right)', () => {
    const [h, p, s] = a1.jws.split('.') as [string, string, string];
    const mac = createHmac('sha256', Buffer.from(a1.jwk.k as string, 'base64url')).update(`${h}.${p}`).digest('base64url');
    expect(mac).toBe(s);
  });

  it('A.1: an agent-token verifier refuses the HS256 token even when handed its key material as the "public key"', async () => {
    const err = await verifyAgentToken(a1.jws, { algorithms: ['ES256'], key: { kty: 'EC', crv: 'P-256', x: a3.jwk.x as string, y: a3.jwk.y as string }, now }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdentityError);
    expect((err as IdentityError).reason).toBe('algorithm');
  });

  it('A.3: the ES256 JWS verifies with the public key', async () => {
    const { x, y } = a3.jwk;
    const { payload } = await compactVerify(a3.jws, createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y } as never, format: 'jwk' }), { algorithms: ['ES256'] });
    expect(JSON.parse(Buffer.from(payload).toString())).toEqual({ iss: 'joe', exp: 1300819380, 'http://example.com/is_root': true });
  });

  it('A.3: verifyAgentToken checks the signature and then refuses a token that names no agent', async () => {
    const { x, y } = a3.jwk;
    const err = await verifyAgentToken(a3.jws, { algorithms: ['ES256'], key: { kty: 'EC', crv: 'P-256', x: x as string, y: y as string }, issuer: 'joe', now }).catch((e: unknown) => e);
    expect((err as IdentityError).reason).toBe('claim');
  });

  it('A.3 verifies with the synchronous verifier; A.1 (HS256) and A.5 (none) are refused by it whatever the key', () => {
    const { x, y } = a3.jwk;
    const pub = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y } as never, format: 'jwk' });
    expect(JSON.parse(verifyCompactJws(a3.jws, pub, ['ES256']).payload.toString()).iss).toBe('joe');
    expect(() => verifyCompactJws(a1.jws, pub, ['ES256', 'EdDSA'])).toThrow(/not allowed/);
    expect(() => verifyCompactJws((v['A.5'] as { jws: string }).jws, pub, ['ES256'])).toThrow(/Not a compact JWS|not allowed/);
  });

  it('A.5: the unsecured (alg none) JWS is refused', async () => {
    const err = await verifyAgentToken((v['A.5'] as { jws: string }).jws, { algorithms: ['EdDSA'], key: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }, now }).catch((e: unknown) => e);
    expect((err as IdentityError).reason).toBe('algorithm');
  });
});

describe('RFC 7638 (JWK thumbprint)', () => {
  const v = vectors('rfc7638.json') as { jwk: Record<string, string>; thumbprint: string };
  it('computes the section 3.1 thumbprint (ignoring alg and kid)', () => {
    expect(jwkThumbprint(v.jwk as never)).toBe(v.thumbprint);
  });
});

describe('RFC 9449 examples (DPoP)', () => {
  const v = vectors('rfc9449.json') as { publicJwk: Record<string, string>; jkt: string; accessToken: string; proofs: Array<{ name: string; proof: string; method: string; url: string; iat: number; jti: string; accessToken?: string; ath?: string }>; boundAccessTokenJwt: { jwt: string; cnfJkt: string } };

  it('the example key\'s thumbprint is the cnf.jkt of the example access token', () => {
    expect(jwkThumbprint(v.publicJwk as never)).toBe(v.jkt);
    expect((decodeJwt(v.boundAccessTokenJwt.jwt).cnf as { jkt: string }).jkt).toBe(v.jkt);
  });

  for (const p of v.proofs) {
    it(`verifies the ${p.name} proof with every check`, async () => {
      const result = await verifyDpopProof(p.proof, { method: p.method, url: p.url, now: new Date(p.iat * 1000 + 1000), replay: new MemoryReplayStore(), jkt: v.jkt, ...(p.accessToken === undefined ? {} : { accessToken: p.accessToken }) });
      expect(result.jkt).toBe(v.jkt);
      expect(result.jti).toBe(p.jti);
      expect(result.alg).toBe('ES256');
    });
  }

  it('refuses the section 7.1 proof when presented with another access token (ath)', async () => {
    const p = v.proofs[2] as (typeof v.proofs)[number];
    const err = await verifyDpopProof(p.proof, { method: p.method, url: p.url, now: new Date(p.iat * 1000), replay: new MemoryReplayStore(), accessToken: `${v.accessToken}x` }).catch((e: unknown) => e);
    expect((err as IdentityError).reason).toBe('binding');
  });
});

describe('W3C CCG did:key vectors (Ed25519)', () => {
  const v = vectors('did-key-ed25519.json') as { vectors: Record<string, { seed: string; verificationKeyPair: { publicKeyBase58: string }; didDocument: Record<string, unknown> }> };
  for (const [did, vec] of Object.entries(v.vectors)) {
    it(`derives ${did} from its seed, its key from the DID, and its DID document`, () => {
      expect(didKeyFromSeed(Buffer.from(vec.seed, 'hex'))).toBe(did);
      expect(identityFromSeed(Buffer.from(vec.seed, 'hex')).did).toBe(did);
      expect(didKeyFromPublicKey(publicKeyFromDidKey(did))).toBe(did);
      const jwkForm = JSON.stringify(vec.didDocument).includes('JsonWebKey2020');
      expect(didKeyDocument(did, { keyFormat: jwkForm ? 'jwk' : 'base58' })).toEqual(vec.didDocument);
    });
  }
});

describe('ucan-wg/spec 1.0 fixtures', () => {
  const dlg = vectors('ucan-delegation.json') as { fixtures: { principals: Record<string, string>; valid: Array<{ name: string; token: string; cid: string; envelope: { payload: Record<string, unknown>; signature: string } }> } };
  const seedOf = (principal: string): Uint8Array => {
    const bytes = Buffer.from(principal, 'base64');
    expect([bytes[0], bytes[1]]).toEqual([0x80, 0x26]); // varint(0x1300), ed25519-priv
    return new Uint8Array(bytes.subarray(2));
  };

  for (const f of dlg.fixtures.valid) {
    it(`delegation "${f.name}": decodes, verifies, has its CID, and re-encodes byte for byte`, () => {
      const bytes = new Uint8Array(Buffer.from(f.token, 'base64'));
      expect(cidOf(bytes)).toBe(f.cid);
      const [sig, sigPayload] = dagCbor.decode(bytes) as [Uint8Array, Record<string, Record<string, unknown>>];
      const payload = sigPayload['ucan/dlg@1.0.0'] as Record<string, unknown>;
      expect(payload.iss).toBe(f.envelope.payload.iss);
      expect(payload.aud).toBe(f.envelope.payload.aud);
      expect(payload.cmd).toBe(f.envelope.payload.cmd);
      expect(Buffer.from(sig).toString('base64')).toBe(f.envelope.signature);
      const issuer = Object.values(dlg.fixtures.principals).map((p) => identityFromSeed(seedOf(p))).find((k) => k.did === payload.iss);
      expect(issuer).toBeDefined();
      expect(Buffer.from(encodeEnvelope(issuer!.privateKey, 'ucan/dlg@1.0.0', payload))).toEqual(Buffer.from(bytes));
    });
  }

  const inv = vectors('ucan-invocation.json') as { fixtures: { valid: Array<{ name: string; invocation: { '/': { bytes: string } }; proofs: Array<{ '/': { bytes: string } }>; time: number }>; invalid: Array<{ name: string; invocation: { '/': { bytes: string } }; proofs: Array<{ '/': { bytes: string } }>; time: number; error: { name: string } }> } };
  for (const f of inv.fixtures.valid) {
    it(`invocation "${f.name}" is valid`, () => {
      const r = verifyUcanInvocation(b64(f.invocation), f.proofs.map(b64), { now: new Date(f.time * 1000) });
      expect(r.ok ? 'ok' : r.error).toBe('ok');
    });
  }
  for (const f of inv.fixtures.invalid) {
    it(`invocation "${f.name}" fails with ${f.error.name}`, () => {
      const r = verifyUcanInvocation(b64(f.invocation), f.proofs.map(b64), { now: new Date(f.time * 1000) });
      expect(r.ok ? 'ok' : r.error.name).toBe(f.error.name);
    });
  }

  const pol = vectors('ucan-policy.json') as { fixtures: { valid: Array<{ args: unknown; policies: unknown[][] }>; invalid: Array<{ args: unknown; policies: unknown[][] }> } };
  pol.fixtures.valid.forEach((f, i) => {
    it(`policy group ${i} matches its args (${f.policies.length} policies)`, () => {
      expect(f.policies.map((p) => policyMatches(p, f.args))).toEqual(f.policies.map(() => true));
    });
  });
  pol.fixtures.invalid.forEach((f, i) => {
    it(`policy group ${i} does not match its args (${f.policies.length} policies)`, () => {
      expect(f.policies.map((p) => policyMatches(p, f.args))).toEqual(f.policies.map(() => false));
    });
  });
});
