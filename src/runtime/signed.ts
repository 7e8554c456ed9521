/**
 * Signed runtime documents (the kill state, elevation grants, revival approvals): signatures over
 * canonical JSON with a purpose of their own (src/identity/sign.ts), checked against the DIDs the
 * runtime is configured to trust. A document signed by anyone else, or for another purpose, does
 * not verify.
 */
import type { AgentKey } from '../identity/agent-key.js';
import { sign, verify } from '../identity/sign.js';
import type { JsonValue } from '../store/types.js';

/** The signature purposes of runtime documents. */
export const PURPOSES = Object.freeze({ kill: 'warden.kill-state', elevation: 'warden.ring-elevation', revive: 'warden.revive-approval' } as const);

/**
 * A payload with its signer and signature, as stored.
 *
 * @example
 * ```ts
 * const d: SignedDocument = { payload: { epoch: 3 }, signer: 'did:key:z6Mk...', signature: 'b64url...' };
 * ```
 */
export interface SignedDocument {
  payload: JsonValue;
  signer: string;
  signature: string;
}

export function signDocument(key: AgentKey, purpose: string, payload: JsonValue): SignedDocument {
  return { payload, signer: key.did, signature: sign(key, purpose, payload) };
}

/**
 * The payload when `value` is a document signed for `purpose` by one of `signers`; otherwise a
 * reason it is not.
 */
export function openDocument(value: unknown, purpose: string, signers: ReadonlySet<string>): { payload: JsonValue } | { error: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: 'it is not a signed document' };
  const d = value as Partial<Record<string, unknown>>;
  const signer = Object.hasOwn(d, 'signer') ? d.signer : undefined;
  const signature = Object.hasOwn(d, 'signature') ? d.signature : undefined;
  if (typeof signer !== 'string' || typeof signature !== 'string' || !Object.hasOwn(d, 'payload')) return { error: 'it is not a signed document' };
  if (!signers.has(signer)) return { error: `its signer ${signer.slice(0, 80)} is not a trusted runtime signer` };
  let ok: boolean;
  try {
    ok = verify(signer, purpose, d.payload, signature);
  } catch {
    ok = false;
  }
  return ok ? { payload: d.payload as JsonValue } : { error: 'its signature does not verify' };
}
