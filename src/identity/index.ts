/**
 * Agent identity you can verify: did:key and did:web identities, keys and their rotation and
 * revocation, signatures over canonical JSON with domain separation, JWT/JWKS and Entra tokens,
 * DPoP proof of possession, signed agent-to-agent messages, UCAN 1.0 delegation, and the verifier
 * the pipeline's `identify` stage calls.
 *
 * @example
 * ```ts
 * import { createIdentity, createIdentityVerifier } from 'agent-warden/identity';
 * const me = createIdentity();
 * const pipeline = new Pipeline({ policy, identity: createIdentityVerifier({ required: true, local: { allow: [me.did] } }) });
 * await pipeline.decide({ request, credential: { type: 'local', key: me } });
 * ```
 */
export { IdentityError, IDENTITY_FAILURES } from './errors.js';
export type { IdentityFailure } from './errors.js';
export { createIdentity, identityFromSeed, identityFromPrivateKey } from './agent-key.js';
export type { AgentKey } from './agent-key.js';
export { didKeyFromPublicKey, didKeyFromSeed, publicKeyFromDidKey, isEd25519DidKey, didKeyDocument } from './did-key.js';
export type { DidKeyDocument } from './did-key.js';
export { didWebUrl, resolveDidWeb } from './did-web.js';
export type { DidWebOptions, FetchLike } from './did-web.js';
export { parseDidDocument, ed25519KeysOf } from './did-document.js';
export type { DidDocument, VerificationMethod, VerificationRelationship, DidKeyEntry } from './did-document.js';
export { resolveDid, didPublicKeys } from './resolve.js';
export { sign, verify, signingInput, SIGNATURE_DOMAIN, RESERVED_PURPOSES } from './sign.js';
export { FileKeyStore } from './key-store.js';
export type { KeyStore } from './key-store.js';
export { rotateKey, verifyRotation, createRevocationList, addRevocation, verifyRevocationList, Revocations } from './rotation.js';
export type { RotationStatement, RevocationEntry, RevocationList } from './rotation.js';
export { MemoryReplayStore, defaultReplayStore, replayKey } from './replay-store.js';
export type { ReplayStore, ReplayVerdict, MemoryReplayStoreOptions } from './replay-store.js';
export { jwkThumbprint, assertPublicJwk, publicKeyFromJwk } from './jwk.js';
export type { PublicJwk, JsonWebKeySet, JwtClaims, JwsHeader } from './jwk.js';
export { verifyCompactJws, readJwsHeader } from './jws.js';
export type { VerifiedJws } from './jws.js';
export { RemoteJwks } from './jwks.js';
export type { RemoteJwksOptions, JwksFetch } from './jwks.js';
export { verifyAgentToken, createTokenVerifier, ASYMMETRIC_ALGORITHMS } from './token.js';
export type { AgentTokenOptions, VerifiedToken } from './token.js';
export { verifyEntraToken, createEntraVerifier, entraJwks } from './entra.js';
export type { EntraTokenOptions, VerifiedEntraToken } from './entra.js';
export { verifyDpopProof, normalizeHtu } from './dpop.js';
export type { DpopOptions, VerifiedDpopProof } from './dpop.js';
export { signAgentMessage, verifyAgentMessage, checkAgentMessage, payloadDigest } from './message.js';
export type { AgentMessage, AgentMessageOptions, VerifiedAgentMessage } from './message.js';
export { issueUcan, delegateUcan, invokeUcan } from './ucan/build.js';
export type { UcanToken, DelegationSpec, InvocationSpec } from './ucan/build.js';
export { verifyUcanInvocation } from './ucan/verify.js';
export type { UcanVerification, UcanVerifyOptions, UcanLink } from './ucan/verify.js';
export { UcanError } from './ucan/errors.js';
export type { UcanErrorName } from './ucan/errors.js';
export { policyMatches, checkPolicy, globMatches } from './ucan/policy.js';
export type { UcanPolicy } from './ucan/policy.js';
export { isCommand, commandCovers } from './ucan/command.js';
export { cidOf, decodeEnvelope, VARSIG_ED25519_DAG_CBOR } from './ucan/envelope.js';
export { createIdentityVerifier, IdentityVerifier } from './verifier.js';
export type { IdentityVerifierOptions, UcanCredentialOptions } from './verifier.js';
export type { Credential, CredentialContext, CredentialVerifier } from './credential.js';
