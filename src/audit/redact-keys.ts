/**
 * Which key names hold secrets. One classifier serves object keys (`{ apiKey: ... }`) and the
 * keys of `key=value` pairs inside text (`API_KEY=...`), so both agree.
 *
 * A key is folded first (invisible characters dropped, NFKC, Cyrillic and Greek look-alikes to
 * Latin: `pаssword`, `ｐａｓｓｗｏｒｄ`), then split into lower-case words at separators, case
 * changes and digits (`x-api-key`, `apiKey`, `API_KEY`, `password2`). It is a secret when it ends
 * with a secret stem (`dbpassword`, `accessToken`; as an object key also letter-spaced,
 * `p_a_s_s_w_o_r_d`, while text keys need the stem unbroken), or when a secret word is
 * followed only by words that still describe the secret (`password_confirmation`, `secret_value`).
 * A secret word followed by a word that describes something else is metadata, not the secret
 * (`token_count`, `max_tokens`, `secret_name`, `password_min_length`, `private_key_id`).
 */
import { foldText } from './redact-fold.js';
import { stripMarkers } from './redact-kinds.js';

/** Key names a caller adds (`extraKeys`), as lower-case word lists. */
export type ExtraKeys = ReadonlyArray<readonly string[]>;

// Longest first where one stem ends another, so the most specific kind wins.
const STEMS: ReadonlyArray<readonly [string, string]> = [
  ['secretaccesskey', 'aws_secret_access_key'],
  ['password', 'password'],
  ['passwd', 'password'],
  ['passphrase', 'password'],
  ['passcode', 'password'],
  ['privatekey', 'private_key'],
  ['accountkey', 'azure_storage_key'],
  ['apikey', 'api_key'],
  ['accesskey', 'api_key'],
  ['secretkey', 'secret'],
  ['secrets', 'secret'],
  ['secret', 'secret'],
  ['credentials', 'secret'],
  ['credential', 'secret'],
  ['token', 'token'],
  ['authorization', 'authorization'],
  ['cookies', 'cookie'],
  ['cookie', 'cookie'],
];

// Short words that are secrets only as a whole word: `pass` but not `bypass`, `auth` but not `oauth`.
const WORDS: ReadonlyMap<string, string> = new Map([
  ['pwd', 'password'],
  ['pass', 'password'],
  ['auth', 'authorization'],
]);

// A word after the secret word that makes the key describe the secret rather than hold it.
const METADATA = new Set(
  (
    'id ids name names type types kind count counts length len size min max minimum maximum policy policies rule rules ' +
    'required require enabled enable disabled disable expiry expires expiration expired exp ttl lifetime timeout in at ' +
    'age date time timestamp created updated changed rotated reset url uri urls endpoint path paths file filename files ' +
    'dir directory location env var field fields label hint prompt placeholder format pattern regex strength algorithm ' +
    'algo alg method methods mode version ref arn provider source header headers param parameter index idx usage used ' +
    'limit limits budget domain secure samesite httponly flag flags status state valid validity present exists ' +
    'supported fingerprint kid issuer audience scope scopes prefix suffix rate description desc help title message ' +
    'error errors store manager backend service server host port'
  ).split(' '),
);

// `nextPageToken`, `NextToken`, `continuation_token`: opaque cursors, not credentials.
const CURSOR_WORDS = new Set(['page', 'next', 'prev', 'previous', 'continuation', 'pagination', 'cursor', 'sync', 'resume']);

/**
 * The redaction kind of a key name, or null when the key does not hold a secret.
 *
 * @example
 * ```ts
 * classifyKey('x-api-key'); // 'api_key'
 * classifyKey('accessToken'); // 'token'
 * classifyKey('max_tokens'); // null
 * classifyKey('p\u0430ssword'); // 'password' (Cyrillic а)
 * ```
 */
export function classifyKey(key: string, extra: ExtraKeys = []): string | null {
  const folded = foldText(stripMarkers(key));
  if (extra.length === 0 && !HINT.test(folded.replace(SEPARATORS, ''))) return null;
  return classifyWords(splitWords(folded), extra);
}

// Every stem and word above contains one of these: a key without any is not a secret key (fast path).
const HINT_STEMS: readonly string[] = ['pass', 'pwd', 'secret', 'token', 'key', 'auth', 'cookie', 'credential'];
// invariant: an alternation of literals, linear.
const HINT = new RegExp(HINT_STEMS.join('|'), 'i');
const SEPARATORS = /[^A-Za-z0-9]+/g;

/**
 * A HINT stem whose letters may be apart in JSON text, with only what `classifyKey` removes before
 * its HINT test between them: separators (non-alphanumerics), which JSON text writes either as
 * themselves or, for `"`, `\` and controls, as an escape (`\"`, `\\`, `\n`, `\u001f`) whose letters
 * are not part of the key's words.
 * invariant: linear. Each gap is a star over units that begin with different characters (a
 * non-alphanumeric other than `\`, or `\` and then `u` and four hex digits or one other
 * character), so a gap is read one way only; each attempt starts at a stem's first letter and
 * crosses at most as many gaps as the stem has letters.
 */
const SPLIT_HINT = new RegExp(
  HINT_STEMS.map((stem) => stem.split('').join('(?:[^A-Za-z0-9\\\\]|\\\\u[0-9a-fA-F]{4}|\\\\[^u])*')).join('|'),
  'i',
);

/**
 * False proves that no key and no string value inside a canonical JSON text classifies as a
 * secret key (without extra keys), provided the text folds to itself (see `viewDiffers`) and
 * holds no `[REDACTED:` marker. True means "perhaps": classify the strings one by one.
 *
 * Why false is a proof: `classifyKey(x)` is null unless HINT matches `x` with its separators
 * removed (folding and marker stripping leave such an `x` unchanged). A HINT match there is a
 * stem's letters in `x` with only separators between them; in the JSON text `x` appears with its
 * letters as they are and each separator as itself or an escape, which is exactly what
 * SPLIT_HINT allows between the letters. (It may also match across two strings: a false "perhaps".)
 *
 * @example
 * ```ts
 * jsonMayNameSecretKey('{"path":"/tmp/a"}'); // false
 * jsonMayNameSecretKey('{"p-a-s-s":"x"}'); // true
 * ```
 */
export function jsonMayNameSecretKey(json: string): boolean {
  return SPLIT_HINT.test(json);
}

/**
 * Classifies a key that is already folded ASCII (the detectors' view of a text).
 *
 * @example
 * ```ts
 * classifyFoldedKey('DB_PASSWORD', []); // 'password'
 * ```
 */
export function classifyFoldedKey(key: string, extra: ExtraKeys): string | null {
  return classifyWords(splitWords(key), extra);
}

/**
 * Normalizes caller-supplied key names to word lists, the form `classifyKey` compares.
 *
 * @example
 * ```ts
 * normalizeExtraKeys(['customerSSN', '']); // [['customer', 'ssn']]
 * ```
 */
export function normalizeExtraKeys(keys: readonly string[]): ExtraKeys {
  const out: string[][] = [];
  for (const k of keys) {
    const words = splitWords(foldText(k));
    if (words.length > 0) out.push(words);
  }
  return out;
}

/**
 * Splits a key into lower-case words at non-alphanumerics, lower-to-upper case changes, acronym
 * ends (`APIKey` → `api key`) and letter/digit changes.
 *
 * @example
 * ```ts
 * splitWords('xAPIKey_v2'); // ['x', 'api', 'key', 'v', '2']
 * ```
 */
export function splitWords(key: string): string[] {
  const words: string[] = [];
  let start = -1;
  let prev = 0; // 0 other, 1 lower, 2 upper, 3 digit
  for (let i = 0; i <= key.length; i++) {
    const t = i < key.length ? charType(key.charCodeAt(i)) : 0;
    let boundary = t === 0 || (prev !== 0 && ((prev === 1 && t === 2) || (prev === 3) !== (t === 3)));
    // invariant: an upper-case run followed by lower case starts a new word at its last capital.
    if (!boundary && prev === 2 && t === 2 && i + 1 < key.length && charType(key.charCodeAt(i + 1)) === 1) boundary = true;
    if (boundary && start >= 0) {
      words.push(key.slice(start, i).toLowerCase());
      start = -1;
    }
    if (t !== 0 && start < 0) start = i;
    prev = t;
  }
  return words;
}

function charType(c: number): number {
  if (c >= 0x61 && c <= 0x7a) return 1;
  if (c >= 0x41 && c <= 0x5a) return 2;
  if (c >= 0x30 && c <= 0x39) return 3;
  return 0;
}

function classifyWords(words: readonly string[], extra: ExtraKeys): string | null {
  if (words.length === 0) return null;
  const joined = words.join('');
  for (const e of extra) if (endsWithWords(words, e) || joined === e.join('')) return 'secret';
  for (const [stem, kind] of STEMS) {
    if (joined.endsWith(stem)) return refine(kind, joined, words, words.length - 1);
  }
  for (let i = words.length - 1; i >= 0; i--) {
    const kind = wordKind(words, i);
    if (kind === null) continue;
    for (let j = i + 1; j < words.length; j++) if (METADATA.has(words[j] ?? '')) return null;
    return refine(kind, joined, words, i);
  }
  return null;
}

function wordKind(words: readonly string[], i: number): string | null {
  const w = words[i] ?? '';
  const short = WORDS.get(w);
  if (short !== undefined) return short;
  // The word itself (`accesstoken`), or with the one or two words before it (`api`+`key`).
  const candidates = [w, (words[i - 1] ?? '') + w, (words[i - 2] ?? '') + (words[i - 1] ?? '') + w];
  for (const c of candidates) for (const [stem, kind] of STEMS) if (c.endsWith(stem)) return kind;
  return null;
}

function refine(kind: string, joined: string, words: readonly string[], at: number): string | null {
  if (kind === 'token' && CURSOR_WORDS.has(words[at - 1] ?? '') && (words[at] ?? '') === 'token') return null;
  if ((kind === 'secret' || kind === 'api_key') && joined.includes('aws') && joined.includes('secret')) return 'aws_secret_access_key';
  return kind;
}

function endsWithWords(words: readonly string[], tail: readonly string[]): boolean {
  if (tail.length > words.length) return false;
  const offset = words.length - tail.length;
  for (let i = 0; i < tail.length; i++) if (words[offset + i] !== tail[i]) return false;
  return true;
}
