/**
 * Signed agent-to-agent messages: an envelope naming sender (DID), recipient, nonce, time, purpose
 * and the SHA-256 digest of the payload's canonical JSON, signed by the sender for the purpose
 * `agent-message`. Verification checks the signature, recipient, purpose, time window and digest,
 * and remembers the nonce in the same replay store as DPoP.
 */
import { WardenError } from '../errors.js';
import { canonicalJson } from '../lib/canonical-json.js';
import type { AgentKey } from './agent-key.js';
import { randomNonce, sha256, toBase64url } from './bytes.js';
import { isEd25519DidKey, publicKeyFromDidKey } from './did-key.js';
import { IdentityError } from './errors.js';
import { defaultReplayStore, replayKey, type ReplayStore } from './replay-store.js';
import type { Revocations } from './rotation.js';
import { sign, verify } from './sign.js';

/**
 * A signed message.
 *
 * @example
 * ```ts
 * const message: AgentMessage = signAgentMessage(me, { to: 'did:key:z6MkPeer', purpose: 'task.request', payload: { task: 'summarize' }, now: new Date() });
 * ```
 */
export interface AgentMessage {
  v: 1;
  /** The sender's DID. */
  from: string;
  /** The recipient (a DID or another id the recipient knows itself by). */
  to: string;
  /** A random nonce, base64url; each (sender, nonce) is accepted once. */
  nonce: string;
  /** When it was signed, milliseconds since the epoch. */
  ts: number;
  /** What the message is for (`task.request`); checked by the recipient. */
  purpose: string;
  /** `sha256:<hex>` of the payload's canonical JSON. */
  digest: string;
  /** The payload, plain JSON data. */
  payload: unknown;
  /** base64url Ed25519 signature over the envelope without `payload` and `sig`. */
  sig: string;
}

/**
 * Signs a message to `to`.
 *
 * @example
 * ```ts
 * const m = signAgentMessage(me, { to: peer.did, purpose: 'task.request', payload: { id: 7 }, now: new Date() });
 * ```
 */
export function signAgentMessage(key: AgentKey, message: { to: string; purpose: string; payload: unknown; now: Date; nonce?: string }): AgentMessage {
  if (typeof message.to !== 'string' || message.to === '') throw new WardenError('ERR_OPTIONS', 'A message needs a recipient (to).');
  const envelope = {
    v: 1 as const,
    from: key.did,
    to: message.to,
    nonce: message.nonce ?? toBase64url(randomNonce(16)),
    ts: message.now.getTime(),
    purpose: String(message.purpose),
    digest: payloadDigest(message.payload),
  };
  return { ...envelope, payload: message.payload, sig: sign(key, 'agent-message', envelope) };
}

/**
 * Options of {@link verifyAgentMessage}.
 *
 * @example
 * ```ts
 * const options: AgentMessageOptions = { recipient: me.did, purpose: 'task.request', now: new Date() };
 * ```
 */
export interface AgentMessageOptions {
  /** Who this verifier is: the message's `to` must be exactly this (or one of these). */
  recipient: string | readonly string[];
  /** The purposes accepted. */
  purpose: string | readonly string[];
  now: Date;
  /** How old a message may be; default 5 minutes. */
  maxAgeMs?: number;
  /** How far in the future its time may be; default 30 seconds. */
  clockSkewMs?: number;
  /** Where nonces are remembered; default the process-wide store. */
  replay?: ReplayStore;
  /** Revoked senders. */
  revocations?: Revocations;
  /** Keys of senders that are not did:key (a did:web resolved beforehand): their raw Ed25519 keys. */
  resolveKey?: (did: string) => readonly Uint8Array[] | undefined;
}

/**
 * A verified message.
 *
 * @example
 * ```ts
 * const { from, payload } = await verifyAgentMessage(message, options);
 * ```
 */
export interface VerifiedAgentMessage {
  from: string;
  to: string;
  purpose: string;
  nonce: string;
  ts: number;
  payload: unknown;
}

/**
 * Verifies a signed message (signature, recipient, purpose, time window, digest, nonce).
 *
 * @example
 * ```ts
 * const verified = await verifyAgentMessage(message, { recipient: me.did, purpose: 'task.request', now: new Date() });
 * ```
 * @throws IdentityError naming the failed check.
 */
export async function verifyAgentMessage(message: unknown, options: AgentMessageOptions): Promise<VerifiedAgentMessage> {
  const checked = checkAgentMessage(message, options);
  const verdict = await (options.replay ?? defaultReplayStore()).remember(replayKey('message', checked.from, checked.nonce), checked.ts + (options.maxAgeMs ?? 300_000) + 1, options.now.getTime());
  if (verdict === 'replayed') throw new IdentityError('replayed', `The message nonce ${JSON.stringify(checked.nonce)} from ${checked.from} was already used.`);
  if (verdict !== 'fresh') throw new IdentityError('replay_store_full', 'The replay store is full of live entries; denying rather than forgetting one.');
  return checked;
}

/**
 * Every check of {@link verifyAgentMessage} except the nonce's (synchronous; the caller remembers the nonce).
 *
 * @example
 * ```ts
 * const checked = checkAgentMessage(message, options);
 * ```
 */
export function checkAgentMessage(message: unknown, options: AgentMessageOptions): VerifiedAgentMessage {
  const m = message as Partial<AgentMessage> | null;
  if (m === null || typeof m !== 'object' || m.v !== 1 || typeof m.from !== 'string' || typeof m.to !== 'string' || typeof m.nonce !== 'string' || m.nonce === '' || m.nonce.length > 256 || typeof m.ts !== 'number' || !Number.isSafeInteger(m.ts) || typeof m.purpose !== 'string' || typeof m.digest !== 'string' || typeof m.sig !== 'string') {
    throw new IdentityError('malformed', 'This is not a signed agent message ({ v: 1, from, to, nonce, ts, purpose, digest, payload, sig }).');
  }
  const envelope = { v: 1 as const, from: m.from, to: m.to, nonce: m.nonce, ts: m.ts, purpose: m.purpose, digest: m.digest };
  const keys = isEd25519DidKey(m.from) ? [publicKeyFromDidKey(m.from)] : options.resolveKey?.(m.from);
  if (keys === undefined || keys.length === 0) throw new IdentityError('unknown_issuer', `The sender ${JSON.stringify(m.from)} cannot be resolved to a key; its signature cannot be checked.`);
  if (!keys.some((k) => verify(k, 'agent-message', envelope, m.sig as string))) throw new IdentityError('signature', `The message is not signed by ${m.from} for an agent message.`);
  if (options.revocations?.isRevoked(m.from) === true) throw new IdentityError('revoked', `The sender ${m.from} is revoked.`);
  const recipients = typeof options.recipient === 'string' ? [options.recipient] : options.recipient;
  if (!recipients.includes(m.to)) throw new IdentityError('recipient', `The message is for ${JSON.stringify(m.to)}, not for this recipient.`);
  const purposes = typeof options.purpose === 'string' ? [options.purpose] : options.purpose;
  if (!purposes.includes(m.purpose)) throw new IdentityError('purpose', `The message is for the purpose ${JSON.stringify(m.purpose)}, which this recipient does not accept.`);
  const now = options.now.getTime();
  if (m.ts > now + (options.clockSkewMs ?? 30_000)) throw new IdentityError('not_yet_valid', 'The message is dated in the future.');
  if (m.ts < now - (options.maxAgeMs ?? 300_000)) throw new IdentityError('expired', 'The message is too old.');
  let digest: string;
  try {
    digest = payloadDigest(m.payload);
  } catch {
    throw new IdentityError('malformed', 'The message payload is not plain JSON data.');
  }
  if (digest !== m.digest) throw new IdentityError('digest', 'The message payload is not the one that was signed (its digest differs).');
  return { from: m.from, to: m.to, purpose: m.purpose, nonce: m.nonce, ts: m.ts, payload: m.payload };
}

/**
 * `sha256:<hex>` of a payload's canonical JSON.
 *
 * @example
 * ```ts
 * payloadDigest({ a: 1 }); // 'sha256:015abd7f...'
 * ```
 */
export function payloadDigest(payload: unknown): string {
  return `sha256:${sha256(canonicalJson(payload)).toString('hex')}`;
}
