/**
 * The UCAN 1.0 envelope: DAG-CBOR `[signature, { h: varsig-header, "ucan/<tag>@<version>": payload }]`,
 * signed by the payload's issuer over the DAG-CBOR bytes of the second element. Warden signs and
 * verifies Ed25519 over DAG-CBOR (varsig `34 01 ed01 ed01 13 71`); any other header is refused.
 */
import * as dagCbor from '@ipld/dag-cbor';
import { createHash, type KeyObject } from 'node:crypto';
import { CID } from 'multiformats/cid';
import { create as createDigest } from 'multiformats/hashes/digest';
import { signBytes, verifyBytes } from '../ed25519.js';
import { UcanError } from './errors.js';

/** The varsig v1 header of an Ed25519 signature (SHA-512 inside EdDSA) over DAG-CBOR. */
export const VARSIG_ED25519_DAG_CBOR = new Uint8Array([0x34, 0x01, 0xed, 0x01, 0xed, 0x01, 0x13, 0x71]);

/** The envelope tags Warden reads (1.0.0, and the release candidate's). */
export const DELEGATION_TAGS = ['ucan/dlg@1.0.0', 'ucan/dlg@1.0.0-rc.1'] as const;
/** See {@link DELEGATION_TAGS}. */
export const INVOCATION_TAGS = ['ucan/inv@1.0.0', 'ucan/inv@1.0.0-rc.1'] as const;

/** Largest envelope read. */
export const MAX_ENVELOPE_BYTES = 64 * 1024;

/**
 * A decoded envelope.
 *
 * @example
 * ```ts
 * const { tag, payload } = decodeEnvelope(bytes);
 * ```
 */
export interface Envelope {
  signature: Uint8Array;
  header: Uint8Array;
  tag: string;
  payload: Record<string, unknown>;
  /** The DAG-CBOR bytes the signature covers. */
  signed: Uint8Array;
  /** The envelope's CID (CIDv1, DAG-CBOR, SHA-256), as text. */
  cid: string;
}

/**
 * The CID of envelope bytes: CIDv1, DAG-CBOR (0x71), SHA-256.
 *
 * @example
 * ```ts
 * cidOf(bytes); // 'bafyrei...'
 * ```
 */
export function cidOf(bytes: Uint8Array): string {
  return cidLink(bytes).toString();
}

/** The CID of envelope bytes as a link (what a `prf` list holds). Typed loosely: CID is not a public type. */
export function cidLink(bytes: Uint8Array): object {
  return CID.createV1(0x71, createDigest(0x12, new Uint8Array(createHash('sha256').update(bytes).digest())));
}

/**
 * Encodes and signs an envelope.
 *
 * @example
 * ```ts
 * const bytes = encodeEnvelope(me.privateKey, 'ucan/dlg@1.0.0', payload);
 * ```
 */
export function encodeEnvelope(privateKey: KeyObject, tag: string, payload: Record<string, unknown>): Uint8Array {
  const sigPayload = { h: VARSIG_ED25519_DAG_CBOR, [tag]: payload };
  const signed = dagCbor.encode(sigPayload);
  return dagCbor.encode([signBytes(privateKey, signed), sigPayload]);
}

/**
 * Decodes an envelope (strict DAG-CBOR) and checks its shape; the signature is not checked here.
 *
 * @example
 * ```ts
 * const envelope = decodeEnvelope(bytes, INVOCATION_TAGS);
 * ```
 * @throws UcanError `InvalidClaim` for anything that is not an envelope with one of `tags`.
 */
export function decodeEnvelope(bytes: unknown, tags: readonly string[]): Envelope {
  if (!(bytes instanceof Uint8Array)) throw new UcanError('InvalidClaim', 'A UCAN must be given as bytes (a DAG-CBOR envelope).');
  if (bytes.length > MAX_ENVELOPE_BYTES) throw new UcanError('InvalidClaim', `The UCAN is ${bytes.length} bytes; the limit is ${MAX_ENVELOPE_BYTES}.`);
  let value: unknown;
  try {
    value = dagCbor.decode(bytes);
  } catch (e) {
    throw new UcanError('InvalidClaim', `The UCAN is not DAG-CBOR: ${e instanceof Error ? e.message : String(e)}.`);
  }
  if (!Array.isArray(value) || value.length !== 2 || !(value[0] instanceof Uint8Array) || value[1] === null || typeof value[1] !== 'object' || Array.isArray(value[1])) {
    throw new UcanError('InvalidClaim', 'The UCAN is not an envelope [signature, { h, "ucan/...": payload }].');
  }
  const sigPayload = value[1] as Record<string, unknown>;
  const keys = Object.keys(sigPayload);
  const tag = keys.find((k) => k !== 'h');
  if (keys.length !== 2 || !(sigPayload.h instanceof Uint8Array) || tag === undefined) throw new UcanError('InvalidClaim', 'The UCAN envelope must hold exactly a varsig header "h" and one payload.');
  if (!tags.includes(tag)) throw new UcanError('InvalidClaim', `The UCAN is a ${JSON.stringify(tag)}; expected ${tags.join(' or ')}.`);
  const payload = sigPayload[tag];
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload) || payload instanceof Uint8Array) throw new UcanError('InvalidClaim', `The ${tag} payload is not a map.`);
  // invariant: the signature is checked over the canonical re-encoding of what is interpreted, never over other bytes.
  return { signature: value[0], header: sigPayload.h, tag, payload: payload as Record<string, unknown>, signed: dagCbor.encode(sigPayload), cid: cidOf(bytes) };
}

/** True when the envelope's signature verifies with `publicKey` under a header Warden supports. */
export function envelopeSignatureValid(envelope: Envelope, publicKey: KeyObject): boolean {
  const h = envelope.header;
  if (h.length !== VARSIG_ED25519_DAG_CBOR.length || !h.every((b, i) => b === VARSIG_ED25519_DAG_CBOR[i])) return false;
  return verifyBytes(publicKey, envelope.signed, envelope.signature);
}
