/**
 * Internal: a lexer for MySQL, MariaDB and SQLite that follows the server's own rules for
 * comments, quoting and statement separators.
 *
 * node-sql-parser's grammars disagree with the servers on exactly the points an attacker uses:
 * MySQL runs the inside of a `/*! ... *\/` comment, treats `--x` as two minus signs and not a
 * comment, and escapes quotes with backslashes; SQLite has no backslash escapes. So the servers'
 * rules are applied here first: comments are removed, executable comments are opened, statements
 * are split, and each statement is re-emitted in a plain form that node-sql-parser reads the same
 * way the server does. Hand-written scanning, no regular expressions: linear in the input.
 */
import { SQL_MAX_STATEMENTS } from './sql-collect.js';

/**
 * Lexical rules to follow. MariaDB shares MySQL's.
 *
 * @example
 * ```ts
 * const rules: LexRules = 'sqlite';
 * ```
 */
export type LexRules = 'mysql' | 'sqlite';

/**
 * One token of a statement.
 *
 * @example
 * ```ts
 * // "it's" in MySQL: { kind: 'string', text: "'it''s'", value: "it's", upper: '', space: true, pos: 7 }
 * ```
 */
export interface Token {
  kind: 'word' | 'string' | 'ident' | 'punct';
  /** Text to hand to node-sql-parser (strings and quoted names re-quoted canonically). */
  text: string;
  /** Decoded value: the contents of a string or quoted name, the raw text otherwise. */
  value: string;
  /** ASCII upper case of a word; '' for other kinds. */
  upper: string;
  /** Whitespace or a comment came before this token. */
  space: boolean;
  /** Offset in the input. */
  pos: number;
}

/**
 * The tokens of one statement, without its terminating semicolon.
 *
 * @example
 * ```ts
 * const first: LexedStatement | undefined = lexed.ok ? lexed.statements[0] : undefined;
 * ```
 */
export type LexedStatement = Token[];

/**
 * Result of lexing an input.
 *
 * @example
 * ```ts
 * const r: LexResult = lexSql("SELECT 'x", 'mysql'); // { ok: false, error: 'unterminated string literal ...' }
 * ```
 */
export type LexResult = { ok: true; statements: LexedStatement[] } | { ok: false; error: string };

/**
 * Deepest parenthesis nesting handed to node-sql-parser, whose recursive descent would overflow the stack.
 *
 * @example
 * ```ts
 * lexSql('SELECT ' + '('.repeat(MAX_PAREN_DEPTH + 1), 'mysql').ok; // false
 * ```
 */
export const MAX_PAREN_DEPTH = 100;

const SPACE_MYSQL = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);
const SPACE_SQLITE = new Set([0x20, 0x09, 0x0a, 0x0c, 0x0d]);

function isWordChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || // 0-9
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    c === 0x5f || // _
    c === 0x24 || // $
    c >= 0x80 // MySQL and SQLite both take every non-ASCII character as part of a name
  );
}

/**
 * Space-like and invisible characters (no-break and other Unicode spaces, zero-width and bidi
 * controls, BOM). MySQL and SQLite read them as part of a name; node-sql-parser trims or splits on
 * some of them. Outside quotes they only serve to disguise, so they are refused.
 */
function isDisguise(c: number): boolean {
  return (
    c === 0x00a0 || c === 0x00ad || c === 0x1680 || c === 0x180e || (c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f) ||
    (c >= 0x205f && c <= 0x206f) || c === 0x3000 || c === 0xfeff
  );
}

function asciiUpper(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x61 && c <= 0x7a ? String.fromCharCode(c - 32) : s[i];
  }
  return out;
}

/** How node-sql-parser reads a single-quoted string: backslash escapes and doubled quotes. */
function quoteString(value: string): string {
  let out = "'";
  for (const ch of value) {
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "''";
    else if (ch === '\0') out += '\\0';
    else out += ch;
  }
  return out + "'";
}

/**
 * Inverse of the canonical quoting applied to strings handed to node-sql-parser, which returns
 * string values verbatim.
 *
 * @example
 * ```ts
 * unquoteCanonical("it''s \\\\ x"); // "it's \\ x"
 * ```
 */
export function unquoteCanonical(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    const next = raw[i + 1];
    if (ch === '\\' && next !== undefined) {
      out += next === '0' ? '\0' : next;
      i++;
    } else if (ch === "'" && next === "'") {
      out += "'";
      i++;
    } else {
      out += ch;
    }
  }
  return out;
}

const MYSQL_ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  b: '\b',
  n: '\n',
  r: '\r',
  t: '\t',
  Z: '\x1a',
  '%': '\\%',
  _: '\\_',
};

/**
 * Splits `src` into statements of tokens, by the rules of `rules`.
 * `backslashEscapes: false` lexes as a MySQL server in NO_BACKSLASH_ESCAPES / ANSI_QUOTES mode would.
 *
 * @example
 * ```ts
 * lexSql("SELECT 1 --1; DROP TABLE x", 'mysql'); // two statements: MySQL's `--1` is not a comment
 * ```
 */
export function lexSql(src: string, rules: LexRules, backslashEscapes = true): LexResult & { escapedQuote?: boolean } {
  const mysql = rules === 'mysql';
  const spaces = mysql ? SPACE_MYSQL : SPACE_SQLITE;
  const n = src.length;
  const statements: LexedStatement[] = [];
  let tokens: Token[] = [];
  let space = false;
  let inExecutable = false;
  let depth = 0;
  let escapedQuote = false;
  let sawBegin = false;
  const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });
  const push = (kind: Token['kind'], text: string, value: string, pos: number): void => {
    const upper = kind === 'word' ? asciiUpper(text) : '';
    if (upper === 'BEGIN') sawBegin = true;
    tokens.push({ kind, text, value, upper, space, pos });
    space = false;
  };

  let i = 0;
  while (i < n) {
    const c = src.charCodeAt(i);
    const next = i + 1 < n ? src.charCodeAt(i + 1) : -1;
    if (spaces.has(c)) {
      space = true;
      i++;
      continue;
    }
    // Line comments: MySQL `#`; `--` (MySQL only when followed by whitespace, a control character or the end).
    const dashComment = c === 0x2d && next === 0x2d && (!mysql || i + 2 >= n || src.charCodeAt(i + 2) <= 0x20 || src.charCodeAt(i + 2) === 0x7f);
    if ((mysql && c === 0x23) || dashComment) {
      const end = src.indexOf('\n', i);
      i = end < 0 ? n : end;
      space = true;
      continue;
    }
    if (c === 0x2f && next === 0x2a) {
      const bang = src[i + 2] === '!' ? i + 3 : src[i + 2] === 'M' && src[i + 3] === '!' ? i + 4 : -1;
      if (inExecutable) return fail(`comment inside an executable comment at character ${i + 1}`);
      if (mysql && bang >= 0) {
        // MySQL and MariaDB execute the inside of /*! ... */ (and MariaDB's /*M! ... */); a
        // version number may follow the bang. Treat every version as current: see more, not less.
        let j = bang;
        while (j < n && j < bang + 6 && src.charCodeAt(j) >= 0x30 && src.charCodeAt(j) <= 0x39) j++;
        inExecutable = true;
        space = true;
        i = j;
        continue;
      }
      const end = src.indexOf('*/', i + 2);
      if (end < 0) {
        if (mysql) return fail(`unterminated /* comment starting at character ${i + 1}`);
        i = n; // SQLite ends an unterminated comment at the end of input
      } else {
        i = end + 2;
      }
      space = true;
      continue;
    }
    if (inExecutable && c === 0x2a && next === 0x2f) {
      inExecutable = false;
      space = true;
      i += 2;
      continue;
    }
    if (c === 0x27 || (c === 0x22 && mysql)) {
      // A string: 'x' (both), "x" (MySQL without ANSI_QUOTES).
      const quote = src[i] as string;
      let value = '';
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const ch = src[j] as string;
        if (ch === '\\' && mysql && backslashEscapes && j + 1 < n) {
          const e = src[j + 1] as string;
          if (e === quote) escapedQuote = true;
          value += MYSQL_ESCAPES[e] ?? e;
          j += 2;
          continue;
        }
        if (ch === quote) {
          if (src[j + 1] === quote) {
            value += quote;
            j += 2;
            continue;
          }
          closed = true;
          j++;
          break;
        }
        value += ch;
        j++;
      }
      if (!closed) return fail(`unterminated string literal starting at character ${i + 1}`);
      push('string', quoteString(value), value, i);
      i = j;
      continue;
    }
    if (c === 0x60 || (c === 0x22 && !mysql) || (c === 0x5b && !mysql)) {
      // A quoted name: `x` (both), "x" and [x] (SQLite).
      const close = c === 0x5b ? ']' : (src[i] as string);
      let value = '';
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const ch = src[j] as string;
        if (ch === close) {
          if (close !== ']' && src[j + 1] === close) {
            value += close;
            j += 2;
            continue;
          }
          closed = true;
          j++;
          break;
        }
        value += ch;
        j++;
      }
      if (!closed) return fail(`unterminated quoted identifier starting at character ${i + 1}`);
      if (value.includes('`')) return fail(`quoted identifier containing a backtick at character ${i + 1} is not supported`);
      push('ident', '`' + value + '`', value, i);
      i = j;
      continue;
    }
    if (c === 0x3b) {
      if (!(sawBegin && insideTriggerBody(tokens, rules))) {
        if (tokens.length > 0) {
          if (statements.length >= SQL_MAX_STATEMENTS) return fail(`more than ${SQL_MAX_STATEMENTS} statements; split the input`);
          statements.push(tokens);
        }
        tokens = [];
        depth = 0;
        sawBegin = false;
        space = false;
        i++;
        continue;
      }
      push('punct', ';', ';', i);
      i++;
      continue;
    }
    if (isWordChar(c)) {
      let j = i;
      for (; j < n && isWordChar(src.charCodeAt(j)); j++) {
        const w = src.charCodeAt(j);
        if (w >= 0x80 && isDisguise(w)) {
          const hex = w.toString(16).toUpperCase().padStart(4, '0');
          return fail(`invisible or space-like character U+${hex} outside a quoted string at character ${j + 1}`);
        }
      }
      const text = src.slice(i, j);
      push('word', text, text, i);
      i = j;
      continue;
    }
    if (!mysql && c === 0x23) {
      // node-sql-parser would read '#' as the start of a comment; SQLite does not.
      return fail(`'#' outside a string at character ${i + 1} is not supported in SQLite`);
    }
    if (c === 0x28) {
      depth++;
      if (depth > MAX_PAREN_DEPTH) return fail(`parentheses nested deeper than ${MAX_PAREN_DEPTH} levels`);
    } else if (c === 0x29) {
      depth--;
    }
    const ch = src[i] as string;
    // `--` that MySQL does not take as a comment is two minus signs; keep them apart so the
    // parser does not take them as a comment either.
    if (ch === '-' && next === 0x2d) {
      push('punct', ch, ch, i);
      space = true;
      i++;
      continue;
    }
    push('punct', ch, ch, i);
    i++;
  }
  if (inExecutable) return fail('unterminated executable comment (/*! without */)');
  if (tokens.length > 0) {
    if (statements.length >= SQL_MAX_STATEMENTS) return fail(`more than ${SQL_MAX_STATEMENTS} statements; split the input`);
    statements.push(tokens);
  }
  return { ok: true, statements, escapedQuote };
}

/**
 * SQLite's CREATE TRIGGER ... BEGIN ...; ...; END holds semicolons: like sqlite3_complete(), a
 * semicolon ends such a statement only right after END. Called only once a BEGIN has been seen,
 * and looks at a bounded number of tokens, so lexing stays linear.
 */
function insideTriggerBody(tokens: Token[], rules: LexRules): boolean {
  if (rules !== 'sqlite' || tokens[0]?.upper !== 'CREATE') return false;
  let k = 1;
  if (tokens[k]?.upper === 'TEMP' || tokens[k]?.upper === 'TEMPORARY') k++;
  if (tokens[k]?.upper !== 'TRIGGER') return false;
  return tokens[tokens.length - 1]?.upper !== 'END';
}

/**
 * The text node-sql-parser gets for `tokens` (comments gone, names and strings re-quoted).
 *
 * @example
 * ```ts
 * emitTokens(tokens); // "SELECT 'it''s' FROM `t`"
 * ```
 */
export function emitTokens(tokens: readonly Token[]): string {
  let out = '';
  tokens.forEach((t, k) => {
    out += (k > 0 && t.space ? ' ' : '') + t.text;
  });
  return out;
}
