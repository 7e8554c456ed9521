/**
 * Key rotation and revocation. A rotation is a statement signed by the old key naming the new one
 * (and countersigned by the new key, so nobody can rotate to a key they do not hold). A revocation
 * list is signed by the identity that keeps it and checked on every verification.
 */
import { WardenError } from '../errors.js';
import type { AgentKey } from './agent-key.js';
import { IdentityError } from './errors.js';
import { isEd25519DidKey } from './did-key.js';
import { sign, verify } from './sign.js';

/**
 * A rotation statement: `previous` hands over to `next` at `at`.
 *
 * @example
 * ```ts
 * const statement: RotationStatement = rotateKey(oldKey, newKey, { now: new Date() });
 * ```
 */
export interface RotationStatement {
  kind: 'agent-warden/key-rotation';
  version: 1;
  previous: string;
  next: string;
  /** ISO-8601 time of the rotation. */
  at: string;
  reason?: string;
  /** base64url Ed25519 signatures (purpose `key-rotation`) over the statement without `signatures`. */
  signatures: { previous: string; next: string };
}

/**
 * Signs a rotation from `previous` to `next`.
 *
 * @example
 * ```ts
 * const statement = rotateKey(oldKey, createIdentity(), { now: new Date(), reason: 'scheduled' });
 * ```
 */
export function rotateKey(previous: AgentKey, next: AgentKey, options: { now: Date; reason?: string }): RotationStatement {
  if (previous.did === next.did) throw new WardenError('ERR_IDENTITY_KEY', 'A rotation needs a new key; both keys are the same.');
  const body: Omit<RotationStatement, 'signatures'> = { kind: 'agent-warden/key-rotation', version: 1, previous: previous.did, next: next.did, at: isoOf(options.now) };
  if (options.reason !== undefined) body.reason = String(options.reason);
  return { ...body, signatures: { previous: sign(previous, 'key-rotation', body), next: sign(next, 'key-rotation', body) } };
}

/**
 * Checks both signatures of a rotation statement; returns who handed over to whom and when.
 *
 * @example
 * ```ts
 * const { previous, next } = verifyRotation(JSON.parse(text));
 * ```
 * @throws IdentityError `malformed` or `signature`.
 */
export function verifyRotation(statement: unknown): { previous: string; next: string; at: Date } {
  const s = statement as Partial<RotationStatement> | null;
  if (s === null || typeof s !== 'object' || s.kind !== 'agent-warden/key-rotation' || s.version !== 1 || !isEd25519DidKey(s.previous) || !isEd25519DidKey(s.next) || typeof s.at !== 'string' || s.signatures === null || typeof s.signatures !== 'object') {
    throw new IdentityError('malformed', 'This is not a key rotation statement ({ kind: "agent-warden/key-rotation", version: 1, previous, next, at, signatures }).');
  }
  const { signatures, ...body } = s as RotationStatement;
  if (!verify(body.previous, 'key-rotation', body, String(signatures.previous))) throw new IdentityError('signature', `The rotation is not signed by the previous key ${body.previous}.`);
  if (!verify(body.next, 'key-rotation', body, String(signatures.next))) throw new IdentityError('signature', `The rotation is not countersigned by the new key ${body.next}.`);
  return { previous: body.previous, next: body.next, at: dateOf(body.at) };
}

/**
 * One revoked identity, key or delegation.
 *
 * @example
 * ```ts
 * const entry: RevocationEntry = { id: 'did:key:z6Mk...', at: '2026-01-01T00:00:00.000Z', reason: 'key leaked' };
 * ```
 */
export interface RevocationEntry {
  /** A DID (its fragment ignored), or a UCAN delegation's CID. */
  id: string;
  /** ISO-8601 time of the revocation. */
  at: string;
  reason?: string;
}

/**
 * A signed revocation list. `sequence` grows with each version, so an older list cannot be
 * replayed over a newer one.
 *
 * @example
 * ```ts
 * const list: RevocationList = createRevocationList(admin, [], { now: new Date() });
 * ```
 */
export interface RevocationList {
  kind: 'agent-warden/revocation-list';
  version: 1;
  issuer: string;
  sequence: number;
  issuedAt: string;
  entries: RevocationEntry[];
  /** base64url Ed25519 signature (purpose `revocation-list`) over the list without `signature`. */
  signature: string;
}

/**
 * Makes a signed revocation list.
 *
 * @example
 * ```ts
 * const list = createRevocationList(admin, [{ id: leaked.did, at: new Date().toISOString() }], { now: new Date() });
 * ```
 */
export function createRevocationList(issuer: AgentKey, entries: RevocationEntry[], options: { now: Date; sequence?: number }): RevocationList {
  const body: Omit<RevocationList, 'signature'> = {
    kind: 'agent-warden/revocation-list',
    version: 1,
    issuer: issuer.did,
    sequence: options.sequence ?? 1,
    issuedAt: isoOf(options.now),
    entries: entries.map((e) => (e.reason === undefined ? { id: String(e.id), at: String(e.at) } : { id: String(e.id), at: String(e.at), reason: String(e.reason) })),
  };
  return { ...body, signature: sign(issuer, 'revocation-list', body) };
}

/**
 * A new version of `list` with `entry` added (sequence + 1), signed by `issuer` (the list's own).
 *
 * @example
 * ```ts
 * const next = addRevocation(list, admin, { id: leaked.did, at: new Date().toISOString(), reason: 'leaked' }, new Date());
 * ```
 */
export function addRevocation(list: RevocationList, issuer: AgentKey, entry: RevocationEntry, now: Date): RevocationList {
  if (list.issuer !== issuer.did) throw new WardenError('ERR_IDENTITY_KEY', `The revocation list is kept by ${list.issuer}; ${issuer.did} cannot add to it.`);
  const entries = list.entries.filter((e) => e.id !== entry.id).concat([entry]);
  return createRevocationList(issuer, entries, { now, sequence: list.sequence + 1 });
}

/**
 * Checks a revocation list's signature (and, when given, that its issuer is the trusted one and its
 * sequence is not older than one already seen); returns the revocations to check against.
 *
 * @example
 * ```ts
 * const revocations = verifyRevocationList(JSON.parse(text), { issuer: admin.did });
 * revocations.isRevoked('did:key:z6Mk...'); // true or false
 * ```
 * @throws IdentityError `malformed`, `issuer` or `signature`.
 */
export function verifyRevocationList(list: unknown, options: { issuer?: string; minSequence?: number } = {}): Revocations {
  const l = list as Partial<RevocationList> | null;
  if (l === null || typeof l !== 'object' || l.kind !== 'agent-warden/revocation-list' || l.version !== 1 || !isEd25519DidKey(l.issuer) || !Number.isSafeInteger(l.sequence) || typeof l.issuedAt !== 'string' || !Array.isArray(l.entries) || typeof l.signature !== 'string') {
    throw new IdentityError('malformed', 'This is not a revocation list ({ kind: "agent-warden/revocation-list", version: 1, issuer, sequence, issuedAt, entries, signature }).');
  }
  if (options.issuer !== undefined && l.issuer !== options.issuer) throw new IdentityError('issuer', `The revocation list is signed by ${l.issuer}, not by the trusted ${options.issuer}.`);
  if (options.minSequence !== undefined && (l.sequence as number) < options.minSequence) throw new IdentityError('expired', `The revocation list is version ${l.sequence}, older than version ${options.minSequence} already seen.`);
  const { signature, ...body } = l as RevocationList;
  if (!verify(body.issuer, 'revocation-list', body, signature)) throw new IdentityError('signature', `The revocation list does not verify with its issuer ${body.issuer}.`);
  return new Revocations(body.entries.map((e) => String(e.id)), body.sequence);
}

/**
 * The revoked ids of a verified list: DIDs (compared without their fragment) and UCAN CIDs.
 *
 * @example
 * ```ts
 * const none = Revocations.none();
 * none.isRevoked('did:key:z6Mk...'); // false
 * ```
 */
export class Revocations {
  readonly #ids: ReadonlySet<string>;
  readonly sequence: number;

  constructor(ids: Iterable<string>, sequence = 0) {
    this.#ids = new Set([...ids].map(baseOf));
    this.sequence = sequence;
  }

  /** An empty set of revocations. */
  static none(): Revocations {
    return new Revocations([]);
  }

  /** True when `id` (a DID, with or without fragment, or a CID) is revoked. */
  isRevoked(id: string): boolean {
    return this.#ids.has(baseOf(id));
  }

  /** How many ids are revoked. */
  get size(): number {
    return this.#ids.size;
  }
}

function baseOf(id: string): string {
  const hash = id.indexOf('#');
  return hash === -1 ? id : id.slice(0, hash);
}

function isoOf(d: Date): string {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new WardenError('ERR_OPTIONS', 'now must be a valid Date.');
  return d.toISOString();
}

function dateOf(s: string): Date {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new IdentityError('malformed', `${JSON.stringify(s)} is not an ISO-8601 time.`);
  return d;
}
