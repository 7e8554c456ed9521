/**
 * The identity verifier the pipeline's `identify` stage calls: one object, configured once, that
 * turns any accepted credential into a verified `agent` (id, DID, how it was verified, and the
 * delegation it acts under) or fails with the reason. Each credential kind is accepted only when
 * its options are given; everything else is refused.
 */
import { CID } from 'multiformats/cid';
import type { AgentDelegation, AgentIdentity, AgentVerification } from '../decision.js';
import { WardenError } from '../errors.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { identityFromPrivateKey } from './agent-key.js';
import { randomNonce, toBase64url } from './bytes.js';
import type { Credential, CredentialContext, CredentialVerifier } from './credential.js';
import { ed25519KeysOf } from './did-document.js';
import { isEd25519DidKey } from './did-key.js';
import { resolveDidWeb, type FetchLike } from './did-web.js';
import { verifyDpopProof, type DpopOptions } from './dpop.js';
import { publicKeyFromRaw, signBytes, verifyBytes } from './ed25519.js';
import { createEntraVerifier, type EntraTokenOptions } from './entra.js';
import { IdentityError, messageOf, type IdentityFailure } from './errors.js';
import { checkAgentMessage, payloadDigest } from './message.js';
import { defaultReplayStore, replayKey, type ReplayStore, type ReplayVerdict } from './replay-store.js';
import type { Revocations } from './rotation.js';
import { createTokenVerifier, type AgentTokenOptions, type VerifiedToken } from './token.js';
import type { UcanErrorName } from './ucan/errors.js';
import { verifyUcanInvocation } from './ucan/verify.js';

/**
 * Options of {@link createIdentityVerifier}.
 *
 * @example
 * ```ts
 * const options: IdentityVerifierOptions = {
 *   required: true,
 *   tokens: { issuer: 'https://idp.example', audience: 'warden', algorithms: ['EdDSA'], jwks },
 *   dpop: { maxAgeSeconds: 60 },
 * };
 * ```
 */
export interface IdentityVerifierOptions {
  /** Deny calls that carry no credential; default false (they get the enforcement point's unverified agent). */
  required?: boolean;
  /** Accept bearer (and, with `dpop`, DPoP-bound) JWTs from this issuer. */
  tokens?: Omit<AgentTokenOptions, 'now'>;
  /** Accept Entra ID tokens from this tenant (instead of `tokens`). */
  entra?: Omit<EntraTokenOptions, 'now'>;
  /** Accept DPoP-bound tokens (RFC 9449) with these proof settings. */
  dpop?: Omit<DpopOptions, 'method' | 'url' | 'accessToken' | 'jkt' | 'replay' | 'now'>;
  /** Accept signed agent messages addressed to `recipient` whose payload is the call. */
  messages?: { recipient: string | string[]; purposes?: string[]; maxAgeMs?: number; clockSkewMs?: number };
  /** Accept UCAN invocations. */
  ucan?: UcanCredentialOptions;
  /** Accept in-process agents' own keys (only these DIDs, when `allow` is given). */
  local?: { allow?: string[] };
  /** Where DPoP jtis, message nonces and UCAN invocations are remembered; default the process-wide store. */
  replay?: ReplayStore;
  /** Revoked identities, keys and delegations, checked on every verification. */
  revocations?: Revocations;
  /** The fetch used to resolve did:web senders of messages; without it, did:web senders are unknown. */
  fetch?: FetchLike;
}

/**
 * UCAN settings of {@link IdentityVerifierOptions}.
 *
 * @example
 * ```ts
 * const ucan: UcanCredentialOptions = { audience: executor.did, maxDepth: 3 };
 * ```
 */
export interface UcanCredentialOptions {
  /** This executor's DID (the invocation's `aud`, or its `sub` when it has none, must be it). */
  audience?: string;
  /** Most delegations in a chain; default 8. */
  maxDepth?: number;
  /** The command a call to `tool` must invoke; default `'/' + tool.toLowerCase()`. */
  commandOf?: (tool: string) => string;
  /** The invocation's `args` must equal the call's arguments; default true. */
  bindArgs?: boolean;
  /** An invocation may be valid for at most this long from now (it must expire); default 3600 s. */
  maxLifetimeSeconds?: number;
}

const OPTION_KEYS = ['required', 'tokens', 'entra', 'dpop', 'messages', 'ucan', 'local', 'replay', 'revocations', 'fetch'];
const DPOP_KEYS = ['nonce', 'maxAgeSeconds', 'clockSkewSeconds', 'algorithms'];
const MAX_ENCODED = 96 * 1024;

/**
 * The verifier behind `PipelineOptions.identity`.
 *
 * @example
 * ```ts
 * const identity = createIdentityVerifier({ required: true, ucan: { audience: executor.did } });
 * const pipeline = new Pipeline({ policy, identity });
 * await pipeline.decide({ request, credential: { type: 'ucan', invocation, proofs } });
 * ```
 */
export class IdentityVerifier implements CredentialVerifier {
  readonly required: boolean;
  readonly #options: IdentityVerifierOptions;
  readonly #token: ((token: string, now: Date) => Promise<VerifiedToken>) | null;
  readonly #method: 'bearer' | 'entra';
  readonly #replay: ReplayStore;

  constructor(options: IdentityVerifierOptions) {
    if (options === null || typeof options !== 'object') throw new WardenError('ERR_OPTIONS', 'Identity options are an object: { required?, tokens?, entra?, dpop?, messages?, ucan?, local?, replay?, revocations? }.');
    for (const k of Object.keys(options)) if (!OPTION_KEYS.includes(k)) throw new WardenError('ERR_OPTIONS', `Unknown identity option ${JSON.stringify(k)}; the options are ${OPTION_KEYS.join(', ')}.`);
    if (options.tokens !== undefined && options.entra !== undefined) throw new WardenError('ERR_OPTIONS', 'Give tokens or entra, not both: one verifier pins one issuer.');
    if (options.dpop !== undefined && options.tokens === undefined && options.entra === undefined) throw new WardenError('ERR_OPTIONS', 'dpop needs tokens or entra: a DPoP proof is checked together with the access token it is bound to.');
    if (options.dpop !== undefined) {
      for (const k of Object.keys(options.dpop)) if (!DPOP_KEYS.includes(k)) throw new WardenError('ERR_OPTIONS', `Unknown dpop option ${JSON.stringify(k)}; the options are ${DPOP_KEYS.join(', ')}.`);
    }
    if (options.messages !== undefined && (options.messages.recipient === undefined || options.messages.recipient.length === 0)) throw new WardenError('ERR_OPTIONS', 'messages.recipient must name who this enforcement point is.');
    if (options.ucan !== undefined && options.ucan.commandOf !== undefined && typeof options.ucan.commandOf !== 'function') throw new WardenError('ERR_OPTIONS', 'ucan.commandOf must be a function from a tool name to a UCAN command.');
    if (options.local !== undefined && options.local.allow !== undefined && !options.local.allow.every(isEd25519DidKey)) throw new WardenError('ERR_OPTIONS', 'local.allow must list Ed25519 did:key identities.');
    this.required = options.required === true;
    this.#options = options;
    this.#token = options.tokens !== undefined ? createTokenVerifier(options.tokens) : options.entra !== undefined ? createEntraVerifier(options.entra) : null;
    this.#method = options.entra !== undefined ? 'entra' : 'bearer';
    this.#replay = options.replay ?? defaultReplayStore();
  }

  /**
   * Verifies one credential for one call.
   *
   * @example
   * ```ts
   * const agent = await identity.verifyCredential({ type: 'bearer', token }, { now: new Date(), sync: false, request: { tool: 't', args: {} } });
   * ```
   */
  verifyCredential(credential: unknown, context: CredentialContext): AgentIdentity | Promise<AgentIdentity> {
    const c = credential as Credential | null;
    if (c === null || typeof c !== 'object' || typeof c.type !== 'string') throw new IdentityError('malformed', 'A credential is an object { type: "bearer" | "dpop" | "message" | "ucan" | "local", ... }.');
    switch (c.type) {
      case 'bearer':
        return this.#async(context, 'a bearer token', () => this.#bearer(c.token, context.now));
      case 'dpop':
        return this.#async(context, 'a DPoP proof', () => this.#dpop(c, context.now));
      case 'message':
        return this.#message(c.message, context);
      case 'ucan':
        return this.#ucan(c, context);
      case 'local':
        return this.#local(c.key);
      default:
        throw new IdentityError('unsupported', `Unknown credential type ${JSON.stringify((c as { type: unknown }).type)}.`);
    }
  }

  #async(context: CredentialContext, what: string, run: () => Promise<AgentIdentity>): Promise<AgentIdentity> | never {
    if (context.sync) throw new IdentityError('unsupported', `${what} is verified asynchronously; govern an async function (decide, not decideSync).`);
    return run();
  }

  async #bearer(token: unknown, now: Date): Promise<AgentIdentity> {
    const verified = await this.#verifyToken(token, now);
    // RFC 9449 section 7.1: a DPoP-bound token must come with its proof; as a bearer token it is refused.
    if (verified.boundJkt !== null) throw new IdentityError('binding', 'The token is bound to a DPoP key (cnf.jkt); present it with its DPoP proof, not as a bearer token.');
    return this.#tokenAgent(verified, { method: this.#method, issuer: verified.issuer, keyId: verified.keyId });
  }

  async #dpop(c: Extract<Credential, { type: 'dpop' }>, now: Date): Promise<AgentIdentity> {
    if (this.#options.dpop === undefined) throw new IdentityError('unsupported', 'This enforcement point does not accept DPoP credentials.');
    const verified = await this.#verifyToken(c.token, now);
    if (verified.boundJkt === null) throw new IdentityError('binding', 'The access token is not bound to a key (it has no cnf.jkt), so a DPoP proof proves nothing about it.');
    const proof = await verifyDpopProof(c.proof, { ...this.#options.dpop, method: c.method, url: c.url, accessToken: c.token, jkt: verified.boundJkt, replay: this.#replay, now });
    return this.#tokenAgent(verified, { method: 'dpop', issuer: verified.issuer, keyId: proof.jkt });
  }

  async #verifyToken(token: unknown, now: Date): Promise<VerifiedToken> {
    if (this.#token === null) throw new IdentityError('unsupported', 'This enforcement point does not accept tokens (no tokens or entra options).');
    if (typeof token !== 'string') throw new IdentityError('malformed', 'The token is not a string.');
    return this.#token(token, now);
  }

  #tokenAgent(t: VerifiedToken, verified: AgentVerification): AgentIdentity {
    this.#checkRevoked(t.agentId);
    const agent: AgentIdentity = { id: t.agentId, verified };
    if (t.agentId.startsWith('did:')) agent.did = t.agentId;
    const roles = t.claims.roles;
    if (Array.isArray(roles) && roles.length <= 64 && roles.every((r) => typeof r === 'string' && r.length <= 256)) agent.roles = [...(roles as string[])];
    return agent;
  }

  #message(message: unknown, context: CredentialContext): AgentIdentity | Promise<AgentIdentity> {
    const options = this.#options.messages;
    if (options === undefined) throw new IdentityError('unsupported', 'This enforcement point does not accept signed agent messages.');
    const from = (message as { from?: unknown } | null)?.from;
    if (typeof from === 'string' && from.startsWith('did:web:')) {
      if (context.sync) throw new IdentityError('unsupported', 'A did:web sender is resolved asynchronously; govern an async function.');
      const fetch = this.#options.fetch;
      if (fetch === undefined) throw new IdentityError('unknown_issuer', `The sender ${from} is a did:web and this verifier has no fetch to resolve it.`);
      return resolveDidWeb(from, { fetch }).then(
        (doc) => this.#checkedMessage(message, context, ed25519KeysOf(doc, 'authentication').map((k) => k.publicKey)),
        (e: unknown) => {
          throw new IdentityError('unknown_issuer', `The sender ${from} cannot be resolved: ${messageOf(e)}`);
        },
      );
    }
    return this.#checkedMessage(message, context, undefined);
  }

  #checkedMessage(message: unknown, context: CredentialContext, webKeys: Uint8Array[] | undefined): AgentIdentity | Promise<AgentIdentity> {
    const options = this.#options.messages as NonNullable<IdentityVerifierOptions['messages']>;
    const checked = checkAgentMessage(message, {
      recipient: options.recipient,
      purpose: options.purposes ?? ['tool-call'],
      now: context.now,
      ...(options.maxAgeMs === undefined ? {} : { maxAgeMs: options.maxAgeMs }),
      ...(options.clockSkewMs === undefined ? {} : { clockSkewMs: options.clockSkewMs }),
      ...(this.#options.revocations === undefined ? {} : { revocations: this.#options.revocations }),
      ...(webKeys === undefined ? {} : { resolveKey: () => webKeys }),
    });
    // invariant: a message identifies only the call it carries; a valid message for another call proves nothing here.
    if (payloadDigest({ args: context.request.args, tool: context.request.tool }) !== (message as { digest: string }).digest) {
      throw new IdentityError('binding', 'The signed message is not this call: its payload must be exactly { tool, args } of the request.');
    }
    const agent: AgentIdentity = { id: checked.from, did: checked.from, verified: { method: 'message', issuer: null, keyId: checked.from.startsWith('did:key:') ? `${checked.from}#${checked.from.slice(8)}` : checked.from } };
    return this.#remember(replayKey('message', checked.from, checked.nonce), checked.ts + (options.maxAgeMs ?? 300_000) + 1, context.now, agent, `the message nonce ${JSON.stringify(checked.nonce)}`);
  }

  #ucan(c: Extract<Credential, { type: 'ucan' }>, context: CredentialContext): AgentIdentity | Promise<AgentIdentity> {
    const options = this.#options.ucan;
    if (options === undefined) throw new IdentityError('unsupported', 'This enforcement point does not accept UCAN invocations.');
    const invocation = bytesOf(c.invocation, 'the invocation');
    if (!Array.isArray(c.proofs) || c.proofs.length > 64) throw new IdentityError('malformed', 'The UCAN proofs must be a list of at most 64 envelopes.');
    const proofs = c.proofs.map((p, i) => bytesOf(p, `proof ${i}`));
    const result = verifyUcanInvocation(invocation, proofs, {
      now: context.now,
      maxDepth: options.maxDepth ?? 8,
      ...(options.audience === undefined ? {} : { audience: options.audience }),
      ...(this.#options.revocations === undefined ? {} : { revocations: this.#options.revocations }),
    });
    if (!result.ok) throw new IdentityError(UCAN_REASONS[result.error.name], `${result.error.name}: ${result.error.message}`);
    const inv = result.invocation;
    const maxLifetime = options.maxLifetimeSeconds ?? 3600;
    const nowS = Math.floor(context.now.getTime() / 1000);
    if (inv.expiration === null) throw new IdentityError('claim', 'The UCAN invocation never expires; a pipeline accepts only invocations with an expiry (exp), so a captured one cannot be replayed forever.');
    if (inv.expiration > nowS + maxLifetime) throw new IdentityError('claim', `The UCAN invocation is valid until ${inv.expiration}, more than ${maxLifetime} s from now.`);
    const command = (options.commandOf ?? ((tool: string) => `/${tool.toLowerCase()}`))(context.request.tool);
    if (inv.command !== command) throw new IdentityError('binding', `The UCAN invokes ${inv.command}; a call to ${JSON.stringify(context.request.tool)} must invoke ${command}.`);
    if (options.bindArgs !== false && canonicalJson(toJson(inv.args)) !== canonicalJson(context.request.args)) {
      throw new IdentityError('binding', 'The UCAN invocation\'s args are not the call\'s arguments.');
    }
    const delegation: AgentDelegation = {
      depth: result.depth,
      chain: result.chain.map((l) => ({ cid: l.cid, issuer: l.issuer, audience: l.audience, subject: l.subject, command: l.command })),
      capabilities: { subject: result.capabilities.subject, command: result.capabilities.command, policy: toJson(result.capabilities.policy) as unknown[] },
    };
    const agent: AgentIdentity = { id: inv.issuer, did: inv.issuer, verified: { method: 'ucan', issuer: result.chain[0]?.issuer ?? inv.issuer, keyId: inv.issuer }, delegation };
    return this.#remember(replayKey('ucan', inv.cid), inv.expiration * 1000 + 1, context.now, agent, `the UCAN invocation ${inv.cid}`);
  }

  #local(key: unknown): AgentIdentity {
    if (this.#options.local === undefined) throw new IdentityError('unsupported', 'This enforcement point does not accept in-process keys.');
    const k = key as { did?: unknown; privateKey?: unknown } | null;
    if (k === null || typeof k !== 'object' || typeof k.did !== 'string' || k.privateKey === undefined) throw new IdentityError('malformed', 'A local credential carries an AgentKey ({ did, privateKey }).');
    let derived;
    try {
      derived = identityFromPrivateKey(k.privateKey as never);
    } catch (e) {
      throw new IdentityError('key', `The local key is not an Ed25519 private key: ${messageOf(e)}`);
    }
    if (derived.did !== k.did) throw new IdentityError('key', `The local key belongs to ${derived.did}, not to the ${k.did} it claims.`);
    // Proof of possession: the key signs a fresh challenge and its public half verifies it.
    const challenge = randomNonce(32);
    if (!verifyBytes(publicKeyFromRaw(derived.publicKey), challenge, signBytes(derived.privateKey, challenge))) {
      throw new IdentityError('signature', 'The local key did not sign a challenge its public key verifies.');
    }
    const allow = this.#options.local.allow;
    if (allow !== undefined && !allow.includes(derived.did)) throw new IdentityError('unknown_issuer', `${derived.did} is not one of the in-process agents this enforcement point accepts.`);
    this.#checkRevoked(derived.did);
    return { id: derived.did, did: derived.did, verified: { method: 'local', issuer: null, keyId: derived.keyId } };
  }

  #remember(key: string, expiresAtMs: number, now: Date, agent: AgentIdentity, what: string): AgentIdentity | Promise<AgentIdentity> {
    this.#checkRevoked(agent.id);
    const settle = (v: ReplayVerdict): AgentIdentity => {
      if (v === 'replayed') throw new IdentityError('replayed', `${what} was already used.`);
      if (v !== 'fresh') throw new IdentityError('replay_store_full', 'The replay store is full of live entries; denying rather than forgetting one.');
      return agent;
    };
    const verdict = this.#replay.remember(key, expiresAtMs, now.getTime());
    return verdict instanceof Promise ? verdict.then(settle) : settle(verdict);
  }

  #checkRevoked(id: string): void {
    if (this.#options.revocations?.isRevoked(id) === true) throw new IdentityError('revoked', `${id} is revoked.`);
  }
}

/**
 * Makes the identity verifier for `PipelineOptions.identity`.
 *
 * @example
 * ```ts
 * const identity = createIdentityVerifier({ required: true, local: { allow: [me.did] } });
 * ```
 * @throws WardenError `ERR_OPTIONS` for unknown or unsafe options.
 */
export function createIdentityVerifier(options: IdentityVerifierOptions): IdentityVerifier {
  return new IdentityVerifier(options);
}

const UCAN_REASONS: Record<UcanErrorName, IdentityFailure> = {
  InvalidClaim: 'claim',
  UnavailableProof: 'claim',
  Expired: 'expired',
  TooEarly: 'not_yet_valid',
  InvalidAudience: 'audience',
  InvalidSubject: 'claim',
  InvalidSignature: 'signature',
  MatchError: 'binding',
};

function bytesOf(v: unknown, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string' && v.length <= MAX_ENCODED && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) return new Uint8Array(Buffer.from(v, v.includes('-') || v.includes('_') ? 'base64url' : 'base64'));
  throw new IdentityError('malformed', `${what} must be DAG-CBOR bytes or their base64.`);
}

/** IPLD data as JSON (bytes and CIDs in their DAG-JSON forms), for records and CEL. */
function toJson(v: unknown): unknown {
  if (v instanceof Uint8Array) return { '/': { bytes: toBase64url(v) } };
  const cid = v !== null && typeof v === 'object' ? CID.asCID(v) : null;
  if (cid !== null) return { '/': cid.toString() };
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(toJson);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}
