/**
 * Warden's credential redactor: what reaches the audit log, and what a caller strips from tool
 * outputs, passes through here first.
 *
 * Secrets are found by value (token formats, PEM blocks, JWTs, URL passwords, Authorization values,
 * `key=value` pairs, US SSNs in any separator variant; a high-entropy fallback on request) and by
 * key name (`password`, `apiKey`, `x-api-key`, `set-cookie`, confusable and fullwidth spellings
 * included; also `[name, value]` tuples and `{ name, value }` objects). Each span becomes
 * `[REDACTED:<kind>]`; a value under a secret key is replaced whole. Every detector reports spans
 * over the original string, overlapping spans are merged (the most specific detector names the
 * merged span), and the output is built once. The output is re-scanned, and anything still found
 * makes the call throw instead of returning: the caller (the audit writer) turns that into a denial.
 *
 * Values are copied as JSON-like data: arrays and objects by their own enumerable string keys
 * (so a `__proto__` key stays an ordinary own key, a class instance becomes a plain object and a
 * Map or Set, having no such keys, becomes `{}`), Dates are copied, bytes (Buffer, typed arrays,
 * ArrayBuffer) are scanned as Latin-1 text and replaced by a marker string when they hold a
 * secret, and other primitives are kept.
 *
 * Zero-width and other invisible characters are removed for detection only (see redact-fold.ts):
 * a finding's span is mapped back to the original text and covers the invisible characters inside
 * it, so `gh\u200bp_...` is redacted whole; invisible characters outside findings are kept.
 *
 * Limits fail closed: a string longer than `maxStringLength`, nesting deeper than `maxDepth`, a
 * cycle, more than 1,000,000 values or more than 64 Mi characters in total throw
 * `ERR_REDACTION_LIMIT`; nothing over a limit is ever returned unredacted.
 */
import { Buffer } from 'node:buffer';
import { WardenError } from '../errors.js';
import { cannotMatch } from './redact-detectors.js';
import { viewDiffers } from './redact-fold.js';
import { classifyKey, jsonMayNameSecretKey, normalizeExtraKeys } from './redact-keys.js';
import { marker } from './redact-kinds.js';
import { redactText, scanText } from './redact-text.js';
import type { ScanContext } from './redact-detectors.js';

/**
 * One redacted span. `start`/`end` are offsets in the original string at `path`; a value replaced
 * whole because of its key has `start` and `end` of -1. A secret found inside an object key is
 * reported at the member's path (built from the redacted key) with the suffix `#key`.
 *
 * @example
 * ```ts
 * const f: RedactionFinding = { kind: 'authorization', path: '$.args.headers.Authorization', start: -1, end: -1 };
 * ```
 */
export interface RedactionFinding {
  kind: string;
  path: string;
  start: number;
  end: number;
}

/**
 * Options of the redactor.
 *
 * @example
 * ```ts
 * const options: RedactOptions = { entropy: true, maxDepth: 32, maxStringLength: 1 << 20, extraKeys: ['ssn'] };
 * ```
 */
export interface RedactOptions {
  /**
   * Also redact random-looking runs: 20+ base64 characters mixing upper case, lower case and
   * digits at >= 3.5 bits/char, or 32+ hex digits at >= 3 bits/char (so git SHAs too). Default false.
   */
  entropy?: boolean;
  /** Maximum nesting of objects and arrays (`{ a: { b: 1 } }` nests 2). Default 64. */
  maxDepth?: number;
  /** Maximum length, in UTF-16 code units, of any one string or key. Default 4 Mi (4,194,304). */
  maxStringLength?: number;
  /** More key names whose values are secrets (kind `secret`); matched after folding, on whole words. */
  extraKeys?: string[];
}

/**
 * A redacted copy and what was redacted in it.
 *
 * @example
 * ```ts
 * const r: RedactionResult<{ token: string }> = redactDetailed({ token: 'x' });
 * r.findings; // [{ kind: 'token', path: '$.token', start: -1, end: -1 }]
 * ```
 */
export interface RedactionResult<T> {
  value: T;
  findings: RedactionFinding[];
}

const DEFAULT_MAX_DEPTH = 64;
const DEFAULT_MAX_STRING_LENGTH = 4 * 1024 * 1024;
const MAX_NODES = 1_000_000;
const MAX_TOTAL_CHARS = 64 * 1024 * 1024;

/**
 * Returns a redacted deep copy of `value`; the input is never modified.
 *
 * @example
 * ```ts
 * redact({ headers: { Authorization: 'Bearer abc' }, url: 'postgres://app:s3cret@db/app' });
 * // { headers: { Authorization: '[REDACTED:authorization]' }, url: 'postgres://app:[REDACTED:url_password]@db/app' }
 * ```
 * @throws WardenError `ERR_REDACTION_INCOMPLETE` if the re-scan still finds a secret,
 *   `ERR_REDACTION_LIMIT` over a limit, `ERR_REDACTION_OPTIONS` for invalid options.
 */
export function redact<T>(value: T, options?: RedactOptions): T {
  return new Walker(settings(options), null).value(value, '$', 0) as T;
}

/**
 * Like {@link redact}, and also lists every redacted span.
 *
 * @example
 * ```ts
 * const { value, findings } = redactDetailed({ log: 'key=AIza' + 'x'.repeat(35) });
 * // value.log === 'key=[REDACTED:google_api_key]'
 * // findings: [{ kind: 'google_api_key', path: '$.log', start: 4, end: 43 }]
 * ```
 * @throws WardenError as {@link redact} does.
 */
export function redactDetailed<T>(value: T, options?: RedactOptions): RedactionResult<T> {
  const findings: RedactionFinding[] = [];
  const out = new Walker(settings(options), findings).value(value, '$', 0) as T;
  return { value: out, findings };
}

/**
 * Redacts one string.
 *
 * @example
 * ```ts
 * redactString('export GITHUB_TOKEN=ghp_' + 'a'.repeat(36)); // 'export GITHUB_TOKEN=[REDACTED:github_token]'
 * ```
 * @throws WardenError as {@link redact} does.
 */
export function redactString(text: string, options?: RedactOptions): string {
  const s = settings(options);
  requireString(text);
  checkLength(text.length, s, '$');
  return redactText(text, s.ctx).text;
}

/**
 * Lists the secrets in `text` (merged spans, sorted, in offsets of `text`) without redacting.
 *
 * @example
 * ```ts
 * findSecrets('db: postgres://u:pw@h/db'); // [{ kind: 'url_password', start: 17, end: 19 }]
 * ```
 * @throws WardenError `ERR_REDACTION_LIMIT` when `text` is longer than `maxStringLength`.
 */
export function findSecrets(text: string, options?: RedactOptions): Array<{ kind: string; start: number; end: number }> {
  const s = settings(options);
  requireString(text);
  checkLength(text.length, s, '$');
  return scanText(text, s.ctx).map((f) => ({ kind: f.kind, start: f.start, end: f.end }));
}

/**
 * True when a value under this key is a secret and is replaced whole.
 *
 * @example
 * ```ts
 * isSecretKey('API-KEY'); // true
 * isSecretKey('ｐａｓｓｗｏｒｄ'); // true
 * isSecretKey('max_tokens'); // false
 * ```
 */
export function isSecretKey(key: string): boolean {
  return typeof key === 'string' && classifyKey(key) !== null;
}

/**
 * A value described by the canonical JSON texts of its parts, for {@link redactionIsNoop}: the
 * value's own canonical JSON is these texts wrapped in objects whose keys the caller chose (fixed
 * words such as `request`), and its members with an `undefined` value are counted, not shown.
 *
 * @example
 * ```ts
 * const a = canonicalJsonProfile(agent);
 * const r = canonicalJsonProfile(request);
 * const described: DescribedValue = { texts: [a.json, r.json], repeating: 1, depth: 1 + Math.max(a.depth, r.depth), undefinedMembers: 0, binary: 0, fixedKeys: 2, fixedKeyChars: 12 };
 * ```
 */
export interface DescribedValue {
  /** Canonical JSON of each part (`canonicalJsonProfile(part).json`). */
  texts: readonly string[];
  /** How many of the first texts are likely to recur (only those are remembered as proven). */
  repeating: number;
  /** Deepest nesting of the whole value (the wrapper object is 1). */
  depth: number;
  /** Undefined members inside the parts (any: the proof then fails). */
  undefinedMembers: number;
  /** Binary buffers inside the parts (any: the proof then fails). */
  binary: number;
  /** Keys the wrapper adds, also those with an `undefined` value: fixed plain words no detector or key rule reacts to. */
  fixedKeys: number;
  /** Their total length. */
  fixedKeyChars: number;
}

/**
 * True when redacting a value is provably a no-op: {@link redactDetailed} would report no finding
 * and return a copy with the same canonical JSON. Judged from the canonical JSON texts of the
 * value's parts in a few linear passes, instead of a walk that scans every key and string. False
 * means "not proven": redact the value. `proven` remembers texts already judged (it must serve one
 * set of options only; it grows to at most 1024 texts): the decision and agent parts of audit
 * records repeat.
 *
 * Why true is a proof (each step is a condition checked below):
 * - No extra key names and no entropy fallback: only the detectors and the built-in key rules run.
 * - No `undefined` member inside a part (so every key the walk visits is in a text or is a fixed
 *   wrapper key) and no binary buffer (the walk scans bytes as text; canonical JSON shows them as
 *   numbers); nesting no deeper than `maxDepth`. A cycle never gets here: canonicalJson refuses it.
 * - The walk's limits hold: each string and key, the sum of their lengths and the number of values
 *   are all at most the texts' total length plus the wrapper keys (JSON escaping only lengthens).
 * - Each text folds to itself (`viewDiffers` false): no non-ASCII character and no percent or
 *   `\u00XX` escape of a printable character. Every string in the part then folds to itself too:
 *   such a character or escape in a string shows in the text (a `\` is written `\\`, which still
 *   ends in the escape).
 * - No detector trigger in a text (`cannotMatch`): a trigger in a string is made of characters JSON
 *   writes as themselves (letters, digits, `_ - . / : =` and space), so it would show in the text.
 *   Each key and string value then yields no finding.
 * - No marker in a text, and no secret key name (`jsonMayNameSecretKey`): no key, `[name, value]`
 *   tuple or `{ name, value }` pair makes the walk replace a value.
 * - Or, for a recurring text only (one of the first `repeating`), when the three conditions above
 *   fail: the walk itself, over the part parsed back from its text, found nothing. Parsing gives
 *   back exactly the keys and strings the text shows, and with no undefined member or buffer
 *   that is all the walk of the whole value visits in that part; its depth and budgets are the
 *   whole value's, checked above. The verdict is remembered either way (a text the walk found
 *   something in is kept with a NUL prefix), so each recurring text is walked at most once.
 * With no finding, every string and key is copied as it is, so the copy's canonical JSON is the
 * value's own.
 *
 * @example
 * ```ts
 * const r = canonicalJsonProfile({ path: '/tmp/a' });
 * redactionIsNoop({ texts: [r.json], repeating: 0, depth: r.depth, undefinedMembers: 0, binary: 0, fixedKeys: 0, fixedKeyChars: 0 }); // true
 * ```
 */
export function redactionIsNoop(value: DescribedValue, options?: RedactOptions, proven?: Set<string>): boolean {
  const s = options === undefined ? DEFAULT_SETTINGS : settings(options);
  if (s.ctx.entropy || s.ctx.extraKeys.length > 0 || value.undefinedMembers !== 0 || value.binary !== 0 || value.depth > s.maxDepth) return false;
  let length = value.fixedKeys + value.fixedKeyChars;
  for (const text of value.texts) length += text.length;
  if (length > s.maxStringLength || length > MAX_TOTAL_CHARS || length >= MAX_NODES) return false;
  for (let i = 0; i < value.texts.length; i++) {
    const text = value.texts[i] as string;
    const remember = proven !== undefined && i < value.repeating;
    if (remember && proven.has(text)) continue;
    if (textIsClean(text, s.ctx)) {
      if (remember && proven.size < 1024) proven.add(text);
      continue;
    }
    if (!remember) return false;
    // A recurring part with a trigger word in it (an issuer named `...:token-file`, a reason that
    // says "bearer"): the redactor's own walk over it, once, settles it either way.
    const refused = `${REFUSED}${text}`;
    if (proven.has(refused) || proven.size >= 1024) return false;
    if (!walkFindsNothing(text, s)) {
      proven.add(refused);
      return false;
    }
    proven.add(text);
  }
  return true;
}

/** Marks a remembered text the walk found something in; no canonical JSON text starts with it. */
const REFUSED = '\u0000';

/**
 * True when the redactor's walk over the part `text` shows (parsed back, at the depth of a member
 * of the wrapper) finds nothing. The whole value's walk visits exactly these keys and strings in
 * that part, under a fixed wrapper key no key rule reacts to, within limits checked for the whole.
 */
function walkFindsNothing(text: string, s: Settings): boolean {
  const findings: RedactionFinding[] = [];
  try {
    new Walker(s, findings).value(JSON.parse(text) as unknown, '$', 1);
  } catch {
    return false;
  }
  return findings.length === 0;
}

/** The text conditions of {@link redactionIsNoop} for one canonical JSON text. */
function textIsClean(text: string, ctx: ScanContext): boolean {
  return !text.includes('[REDACTED:') && !viewDiffers(text) && cannotMatch(text, ctx) && !jsonMayNameSecretKey(text);
}

interface Settings {
  ctx: ScanContext;
  maxDepth: number;
  maxStringLength: number;
}

function settings(options: RedactOptions | undefined): Settings {
  const o = options ?? {};
  const maxDepth = o.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxStringLength = o.maxStringLength ?? DEFAULT_MAX_STRING_LENGTH;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 0) badOption(`maxDepth must be a non-negative integer`);
  if (!Number.isSafeInteger(maxStringLength) || maxStringLength < 0) badOption(`maxStringLength must be a non-negative integer`);
  const extra = o.extraKeys ?? [];
  if (!Array.isArray(extra) || extra.some((k) => typeof k !== 'string')) badOption('extraKeys must be an array of strings');
  return { ctx: { entropy: o.entropy === true, extraKeys: normalizeExtraKeys(extra) }, maxDepth, maxStringLength };
}

/** `settings(undefined)`, computed once (frozen: shared by every call). */
const DEFAULT_SETTINGS: Settings = Object.freeze({
  ctx: Object.freeze({ entropy: false, extraKeys: Object.freeze([]) as ScanContext['extraKeys'] }),
  maxDepth: DEFAULT_MAX_DEPTH,
  maxStringLength: DEFAULT_MAX_STRING_LENGTH,
});

function badOption(why: string): never {
  throw new WardenError('ERR_REDACTION_OPTIONS', `Invalid redaction options: ${why}.`);
}

function requireString(text: unknown): void {
  if (typeof text !== 'string') throw new WardenError('ERR_REDACTION_OPTIONS', `Expected a string to redact, got ${typeof text}.`);
}

function checkLength(length: number, s: Settings, path: string): void {
  if (length > s.maxStringLength) {
    limit(path, `a string of ${length} characters is longer than maxStringLength (${s.maxStringLength})`);
  }
}

function limit(path: string, why: string): never {
  throw new WardenError('ERR_REDACTION_LIMIT', `Cannot redact ${path}: ${why}. The value must not be recorded.`);
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function joinPath(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function hasContent(v: unknown): boolean {
  return v !== null && v !== undefined;
}

/** One traversal: the copy, its budgets and its findings. */
class Walker {
  private nodes = 0;
  private chars = 0;
  private readonly stack = new Set<object>();

  constructor(
    private readonly s: Settings,
    private readonly findings: RedactionFinding[] | null,
  ) {}

  value(v: unknown, path: string, depth: number): unknown {
    this.nodes += 1;
    if (this.nodes > MAX_NODES) limit(path, `the value holds more than ${MAX_NODES} values`);
    if (typeof v === 'string') return this.string(v, path);
    if (v === null || typeof v !== 'object') return v;
    if (depth + 1 > this.s.maxDepth) limit(path, `objects and arrays nest deeper than maxDepth (${this.s.maxDepth})`);
    if (this.stack.has(v)) limit(path, 'the value contains a cycle');
    this.stack.add(v);
    try {
      return this.container(v, path, depth + 1);
    } finally {
      this.stack.delete(v);
    }
  }

  private string(text: string, path: string): string {
    this.budget(text.length, path);
    const r = redactText(text, this.s.ctx);
    if (this.findings !== null) for (const sp of r.spans) this.findings.push({ kind: sp.kind, path, start: sp.start, end: sp.end });
    return r.text;
  }

  private budget(length: number, path: string): void {
    checkLength(length, this.s, path);
    this.chars += length;
    if (this.chars > MAX_TOTAL_CHARS) limit(path, `the value holds more than ${MAX_TOTAL_CHARS} characters in total`);
  }

  private byKey(kind: string, path: string): string {
    this.findings?.push({ kind, path, start: -1, end: -1 });
    return marker(kind);
  }

  private container(v: object, path: string, depth: number): unknown {
    if (Array.isArray(v)) return this.array(v as unknown[], path, depth);
    if (v instanceof Date) return new Date(v.getTime());
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return this.binary(v, path);
    return this.object(v, path, depth);
  }

  private array(v: unknown[], path: string, depth: number): unknown[] {
    const out: unknown[] = [];
    let tupleKind: string | null = null;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      const p = `${path}[${i}]`;
      const copy = i === 1 && tupleKind !== null && hasContent(item) ? this.byKey(tupleKind, p) : this.value(item, p, depth);
      // A [name, value] header tuple (`[['Authorization', 'Bearer x']]`): the name is a key.
      if (i === 0 && v.length === 2 && typeof copy === 'string') tupleKind = this.keyKind(copy);
      out.push(copy);
    }
    return out;
  }

  /**
   * The kind of a key, judged on its redacted text: the copy and a second redaction of the copy
   * then see the same key (idempotence). Only key-like strings qualify (no whitespace, short).
   */
  private keyKind(redactedKey: string): string | null {
    return redactedKey.length <= 256 && !/\s/.test(redactedKey) ? classifyKey(redactedKey, this.s.ctx.extraKeys) : null;
  }

  private object(v: object, path: string, depth: number): Record<string, unknown> {
    const source = v as Record<string, unknown>;
    const keys = Object.keys(v);
    const pairKind = this.pairKind(source, keys);
    const out = (Object.getPrototypeOf(v) === null ? Object.create(null) : {}) as Record<string, unknown>;
    // Names in use, tracked once a key has been rewritten (only then can two names collide).
    let used: Set<string> | null = null;
    for (const key of keys) {
      this.budget(key.length, path);
      const named = redactText(key, this.s.ctx);
      let name = named.text;
      if (named.spans.length > 0 && used === null) used = new Set(Object.keys(out));
      if (used !== null) {
        for (let n = 2; used.has(name); n++) name = `${named.text}#${n}`;
        used.add(name);
      }
      const p = joinPath(path, name);
      if (this.findings !== null) for (const sp of named.spans) this.findings.push({ kind: sp.kind, path: `${p}#key`, start: sp.start, end: sp.end });
      const child = source[key];
      const kind = classifyKey(named.text, this.s.ctx.extraKeys) ?? (pairKind !== null && key.toLowerCase() === 'value' ? pairKind : null);
      const copy = kind !== null && hasContent(child) ? this.byKey(kind, p) : this.value(child, p, depth);
      // invariant: `__proto__` is the one accessor on Object.prototype; it is defined, not assigned,
      // so it stays an own data key of the copy (and never changes the copy's prototype).
      if (name === '__proto__') Object.defineProperty(out, name, { value: copy, enumerable: true, writable: true, configurable: true });
      else out[name] = copy;
    }
    return out;
  }

  /** `{ name: 'DB_PASSWORD', value: '...' }` (Kubernetes env, HAR headers, AWS tags): the name is the key. */
  private pairKind(source: Record<string, unknown>, keys: readonly string[]): string | null {
    if (keys.length > 8) return null;
    let name: unknown;
    let hasValue = false;
    for (const k of keys) {
      const lower = k.toLowerCase();
      if (lower === 'value') hasValue = true;
      else if (lower === 'name' || lower === 'key') name = source[k];
    }
    return hasValue && typeof name === 'string' && name.length <= 256 ? this.keyKind(redactText(name, this.s.ctx).text) : null;
  }

  /** Bytes are scanned as Latin-1 text; bytes holding a secret are replaced whole by a marker string. */
  private binary(v: ArrayBuffer | ArrayBufferView, path: string): unknown {
    const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    this.budget(bytes.length, path);
    const spans = scanText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'), this.s.ctx);
    const head = spans[0];
    if (head === undefined) return Buffer.isBuffer(v) ? Buffer.from(v) : structuredClone(v);
    if (this.findings !== null) for (const sp of spans) this.findings.push({ kind: sp.kind, path, start: sp.start, end: sp.end });
    return marker(head.kind);
  }
}
