/**
 * Snapshots: a value serialized once to canonical JSON and parsed back into a deep-frozen copy.
 *
 * The enforcement pipeline decides, approves, records and runs the snapshot of a request, never
 * the caller's live objects: a getter, a Proxy or a concurrent mutation cannot make the policy see
 * one value and the tool run with another, because every part of the call reads the same copy,
 * made from one read of each value.
 */
import { canonicalJsonProfile, type CanonicalProfile } from './canonical-json.js';
import { sha256Hex } from './hash.js';

/**
 * One value, frozen: its canonical text, a deep-frozen copy parsed from that text, and the text's digest.
 *
 * @example
 * ```ts
 * const s = takeSnapshot({ tool: 'read_file', args: { path: '/tmp/a' } });
 * s.text;   // '{"args":{"path":"/tmp/a"},"tool":"read_file"}'
 * s.digest; // 'sha256:…' (computed on first read)
 * Object.isFrozen(s.value); // true
 * ```
 */
export interface Snapshot<T = unknown> {
  /** RFC 8785 canonical JSON of the value. */
  readonly text: string;
  /** What the serializer saw besides the text (the audit writer's redaction proof reads it). */
  readonly profile: CanonicalProfile;
  /** A deep-frozen copy parsed from `text`. */
  readonly value: T;
  /** `sha256:<hex>` of `text`. */
  readonly digest: string;
}

class FrozenSnapshot<T> implements Snapshot<T> {
  readonly value: T;
  #profile: CanonicalProfile | undefined;
  #digest: string | undefined;

  constructor(profile: CanonicalProfile | undefined, value: T) {
    this.#profile = profile;
    this.value = value;
  }

  get profile(): CanonicalProfile {
    // invariant: a snapshot made without its text holds a frozen value of plain JSON data, so
    // serializing it later gives exactly the text it would have had.
    this.#profile ??= canonicalJsonProfile(this.value, { plain: true });
    return this.#profile;
  }

  get text(): string {
    return this.profile.json;
  }

  get digest(): string {
    // Most calls never need it (an allow recorded in memory); approvals and audit records do.
    this.#digest ??= `sha256:${sha256Hex(this.text)}`;
    return this.#digest;
  }
}

/**
 * Serializes `value` once (each getter is read exactly once) and parses the text back into a
 * deep-frozen copy.
 *
 * @example
 * ```ts
 * let reads = 0;
 * const args = { get path() { return reads++ === 0 ? '/tmp/a' : '/etc/passwd'; } };
 * takeSnapshot(args).value; // { path: '/tmp/a' }, and it stays that
 * ```
 * @throws WardenError `ERR_CANONICAL_JSON` when the value is not plain JSON data (a cycle, a function, a bigint, NaN, a Map or class instance, ...).
 */
export function takeSnapshot<T = unknown>(value: unknown): Snapshot<T> {
  const profile = canonicalJsonProfile(value, { plain: true });
  return new FrozenSnapshot<T>(profile, deepFreeze(JSON.parse(profile.json) as T));
}

/** Copies made by {@link frozenValue}, with their canonical text. Only such copies are keys: each was parsed here and deep-frozen, so nobody can change it. */
const frozenValues = new WeakMap<object, CanonicalProfile>();

/**
 * A deep-frozen copy of `value` (as {@link takeSnapshot} makes), remembered with its canonical
 * text: a copy handed back is returned as it is (copying it again would give an equal frozen
 * object), and {@link frozenValueProfile} gives its text without serializing it again. For values
 * that recur on every call, such as an agent's identity.
 *
 * @example
 * ```ts
 * const agent = frozenValue({ id: 'bot', roles: ['reader'] });
 * frozenValue(agent) === agent; // true
 * frozenValueProfile(agent)?.json; // '{"id":"bot","roles":["reader"]}'
 * ```
 * @throws WardenError `ERR_CANONICAL_JSON` as {@link takeSnapshot} does.
 */
export function frozenValue<T>(value: T): T {
  if (value !== null && typeof value === 'object' && frozenValues.has(value)) return value;
  const snapshot = takeSnapshot<T>(value);
  const copy = snapshot.value;
  if (copy !== null && typeof copy === 'object') frozenValues.set(copy, snapshot.profile);
  return copy;
}

/**
 * The canonical profile of a copy {@link frozenValue} made, or undefined for any other value.
 *
 * @example
 * ```ts
 * const text = frozenValueProfile(agent)?.json ?? canonicalJson(agent);
 * ```
 */
export function frozenValueProfile(value: unknown): CanonicalProfile | undefined {
  return value !== null && typeof value === 'object' ? frozenValues.get(value) : undefined;
}

/**
 * A snapshot of a value that is itself a fresh result of `JSON.parse` which nobody else holds
 * (the CLI's and the hook's own parse of their input): it is frozen in place instead of copied,
 * and its canonical text is made only if something asks for it. Never pass an object anyone else
 * can reach: it is frozen, and a getter or Proxy in it would be read again.
 *
 * @example
 * ```ts
 * const s = adoptParsedJson<{ tool: string }>(JSON.parse(line));
 * ```
 */
export function adoptParsedJson<T = unknown>(parsed: unknown): Snapshot<T> {
  return new FrozenSnapshot<T>(undefined, deepFreeze(parsed as T));
}

/**
 * A fresh, mutable copy of a snapshot's value (parsed again from its text), for code that may
 * mutate what it is given, such as a governed function.
 *
 * @example
 * ```ts
 * const args = thawedCopy(snapshot) as { path: string };
 * ```
 */
export function thawedCopy<T>(snapshot: Snapshot<T>): T {
  return JSON.parse(snapshot.text) as T;
}

/**
 * Freezes a value and everything reachable from it (plain data parsed from JSON).
 *
 * @example
 * ```ts
 * const frozen = deepFreeze(JSON.parse('{"a":[1]}'));
 * ```
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) deepFreeze(value[i] as unknown);
    } else {
      for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
    }
  }
  return value;
}

/**
 * The event being handed to a sink right now, and its request's snapshot. One slot, not a map:
 * sinks prepare a record synchronously inside `write()`, and a slot costs the collector nothing.
 */
let current: { event: object | null; snapshot: Snapshot | null } = { event: null, snapshot: null };

/**
 * Declares that `event.request` is exactly `snapshot.value` (so `snapshot.text` is its canonical
 * JSON) while `write` runs, so the sink can reuse the text instead of serializing the request
 * again. Only the pipeline's record stage calls this.
 *
 * @example
 * ```ts
 * const pending = withRequestSnapshot(event, snapshot, () => sink.write(event));
 * ```
 */
export function withRequestSnapshot<T>(event: object, snapshot: Snapshot, write: () => T): T {
  const outer = current;
  current = { event, snapshot };
  try {
    return write();
  } finally {
    current = outer;
  }
}

/**
 * The snapshot of `event.request` when the pipeline is handing this very event to a sink, or
 * undefined (a sink then serializes the request itself).
 *
 * @example
 * ```ts
 * const text = requestSnapshotOf(event)?.text ?? canonicalJson(event.request);
 * ```
 */
export function requestSnapshotOf(event: object): Snapshot | undefined {
  return current.event === event ? (current.snapshot ?? undefined) : undefined;
}
