/**
 * Internal: MySQL, MariaDB and SQLite statements through node-sql-parser, after the server-faithful
 * lexer in `sql-lexer.ts` has removed comments, opened executable comments and split statements.
 *
 * Each statement is parsed on its own and must come back as exactly one statement. A few statement
 * kinds node-sql-parser has no grammar for (SQLite PRAGMA and transactions, MySQL REVOKE, KILL,
 * EXPLAIN of a statement, PREPARE ...) are read here from the tokens, strictly: anything
 * unexpected, and any parenthesis (which could hide a function call), is a parse failure.
 */
import type { StatementCollector } from './sql-collect.js';
import { emitTokens, lexSql, unquoteCanonical, type LexedStatement, type Token } from './sql-lexer.js';
import { readOnlyPragma } from './sql-classify.js';
import type { NodeSqlParser } from './sql-parsers.js';

/**
 * Dialects this back end reads.
 *
 * @example
 * ```ts
 * const d: NodeSqlDialect = 'mariadb';
 * ```
 */
export type NodeSqlDialect = 'mysql' | 'mariadb' | 'sqlite';

/** How deep PREPARE ... FROM '<sql>' may nest (MySQL itself refuses PREPARE inside a prepared statement). */
const MAX_PREPARE_DEPTH = 1;

/** Statement kinds read from tokens, never by node-sql-parser, per rule set. */
const MYSQL_TOKEN_STATEMENTS: ReadonlySet<string> = new Set([
  'REVOKE', 'FLUSH', 'KILL', 'RESET', 'PURGE', 'SAVEPOINT', 'RELEASE', 'DEALLOCATE', 'EXECUTE', 'INSTALL',
  'UNINSTALL', 'SHUTDOWN', 'RESTART', 'STOP', 'CHANGE', 'XA', 'BINLOG', 'BEGIN', 'COMMIT', 'ROLLBACK', 'START',
]);
const SQLITE_TOKEN_STATEMENTS: ReadonlySet<string> = new Set([
  'BEGIN', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'VACUUM', 'REINDEX', 'ANALYZE', 'DETACH',
]);
/** Token-read statements whose second word says what they act on (FLUSH LOGS, START REPLICA, ...). */
const OBJECT_AFTER_VERB: ReadonlySet<string> = new Set(['FLUSH', 'START', 'STOP', 'RESET', 'PURGE', 'INSTALL', 'UNINSTALL', 'CHANGE', 'XA', 'KILL']);
/** MySQL CREATE/ALTER/DROP of these objects (no table, no statement body) may be read from tokens. */
const MYSQL_TOKEN_DDL_OBJECTS: ReadonlySet<string> = new Set([
  'USER', 'ROLE', 'PROCEDURE', 'FUNCTION', 'SERVER', 'DATABASE', 'SCHEMA', 'TABLESPACE', 'LOGFILE',
]);
/** ...and these mean the statement names tables or holds statements, so it may not be. */
const MYSQL_TABLE_DDL_OBJECTS: ReadonlySet<string> = new Set(['TABLE', 'VIEW', 'INDEX', 'TRIGGER', 'EVENT', 'SEQUENCE']);
/** SQLite pragmas whose argument is a table. */
const TABLE_PRAGMAS: ReadonlySet<string> = new Set([
  'table_info', 'table_xinfo', 'table_list', 'index_list', 'foreign_key_list', 'foreign_key_check',
]);
/** Read-only pragmas whose argument says what to report on rather than setting a value. */
const ARGUMENT_PRAGMAS: ReadonlySet<string> = new Set([...TABLE_PRAGMAS, 'index_info', 'index_xinfo', 'integrity_check', 'quick_check']);
/** Words that start a statement EXPLAIN can run (rather than a table EXPLAIN describes). */
const EXPLAINABLE: ReadonlySet<string> = new Set(['SELECT', 'WITH', 'INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'TABLE', 'VALUES']);
const DML_TYPES: ReadonlySet<string> = new Set(['insert', 'replace', 'update', 'delete']);

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Obj, k: string): string {
  const v = o[k];
  return typeof v === 'string' ? v : '';
}

function isName(t: Token | undefined): t is Token {
  return t !== undefined && (t.kind === 'word' || t.kind === 'ident');
}

function isPunct(t: Token | undefined, ch: string): boolean {
  return t !== undefined && t.kind === 'punct' && t.value === ch;
}

/** A dotted name (`a`, `a.b`, `*.*` when `star`) starting at `i`, or undefined. */
function dottedName(tokens: LexedStatement, i: number, star = false): { name: string; next: number } | undefined {
  const part = (t: Token | undefined): string | undefined => (isName(t) ? t.value : star && isPunct(t, '*') ? '*' : undefined);
  let name = part(tokens[i]);
  if (name === undefined) return undefined;
  let j = i + 1;
  while (isPunct(tokens[j], '.')) {
    const p = part(tokens[j + 1]);
    if (p === undefined) return undefined;
    name += '.' + p;
    j += 2;
  }
  return { name, next: j };
}

/** A short, user-facing reason for a node-sql-parser failure on `text`. */
function parserErrorMessage(e: unknown, text: string): string {
  if (e instanceof RangeError) return 'statement nested too deeply for the parser';
  if (e instanceof Error && e.name === 'SyntaxError') {
    const location = (e as Error & { location?: { start?: { offset?: unknown } } }).location;
    const offset = typeof location?.start?.offset === 'number' ? location.start.offset : -1;
    if (offset < 0 || offset >= text.length) return 'syntax error at end of statement';
    const near = text.slice(offset, offset + 30);
    return `syntax error at or near ${JSON.stringify(near)}`;
  }
  const msg = e instanceof Error ? e.message : String(e);
  return msg.length > 200 ? msg.slice(0, 200) + '...' : msg;
}

/**
 * Lexes, splits and parses `sql` in `dialect`, recording every statement into `out` (under
 * `parent`, for a prepared statement's text). Returns an error message on failure.
 *
 * @example
 * ```ts
 * const c = new StatementCollector();
 * analyseNodeSql("SELECT 1 /*! ; DROP TABLE x *\/", 'mysql', parsers.nodeSql('mysql')!, c); // undefined; SELECT and DROP recorded
 * ```
 */
export function analyseNodeSql(sql: string, dialect: NodeSqlDialect, parser: NodeSqlParser, out: StatementCollector, parent = -1, depth = 0): string | undefined {
  const rules = dialect === 'sqlite' ? 'sqlite' : 'mysql';
  const lexed = lexSql(sql, rules);
  if (!lexed.ok) return lexed.error;
  if (lexed.escapedQuote && lexSql(sql, rules, false).ok) {
    // Without backslash escapes (sql_mode NO_BACKSLASH_ESCAPES or ANSI_QUOTES) the same text
    // splits differently: what a server runs depends on its settings, so refuse to guess.
    return "a string uses a backslash-escaped quote (\\' or \\\"), and the SQL reads differently when the server has NO_BACKSLASH_ESCAPES set; double the quote instead ('')";
  }
  if (lexed.statements.length === 0) return 'no SQL statement found (only comments or whitespace)';
  const reader = new StatementReader(dialect, parser, out, depth);
  const many = lexed.statements.length > 1;
  for (let k = 0; k < lexed.statements.length; k++) {
    const err = reader.statement(lexed.statements[k] as LexedStatement, parent);
    if (err !== undefined) return many ? `statement ${k + 1}: ${err}` : err;
  }
  return undefined;
}

interface Frame {
  value: unknown;
  entry: number;
  scope: readonly string[];
  key: string;
}

class StatementReader {
  readonly #dialect: NodeSqlDialect;
  readonly #parser: NodeSqlParser;
  readonly #out: StatementCollector;
  readonly #depth: number;
  /** Position counter: node-sql-parser keeps no locations, so names are ordered as visited. */
  #pos = 0;

  constructor(dialect: NodeSqlDialect, parser: NodeSqlParser, out: StatementCollector, depth: number) {
    this.#dialect = dialect;
    this.#parser = parser;
    this.#out = out;
    this.#depth = depth;
  }

  get #mysql(): boolean {
    return this.#dialect !== 'sqlite';
  }

  /** Records one statement; returns an error message when it cannot be read. */
  statement(tokens: LexedStatement, parent: number): string | undefined {
    if (tokens.length === 0) return 'empty statement';
    const kw = tokens[0]?.upper ?? '';
    if (this.#mysql) {
      if (kw === 'EXPLAIN' || kw === 'DESCRIBE' || kw === 'DESC') return this.#mysqlExplain(tokens, parent);
      if (kw === 'PREPARE') return this.#mysqlPrepare(tokens, parent);
      if (kw === 'DO') return this.#parse([{ ...(tokens[0] as Token), text: 'SELECT', upper: 'SELECT' }, ...tokens.slice(1)], parent, 'DO');
      if (MYSQL_TOKEN_STATEMENTS.has(kw)) return this.#fromTokens(tokens, parent);
    } else {
      if (kw === 'EXPLAIN') {
        const i = tokens[1]?.upper === 'QUERY' && tokens[2]?.upper === 'PLAN' ? 3 : 1;
        if (i >= tokens.length || tokens[i]?.upper === 'EXPLAIN') return 'EXPLAIN needs a statement to explain';
        return this.statement(tokens.slice(i), this.#out.open('EXPLAIN', parent));
      }
      if (kw === 'PRAGMA') return this.#pragma(tokens, parent);
      if (SQLITE_TOKEN_STATEMENTS.has(kw)) return this.#fromTokens(tokens, parent);
    }
    const err = this.#parse(tokens, parent);
    if (err !== undefined && this.#mysql && (kw === 'CREATE' || kw === 'ALTER' || kw === 'DROP' || kw === 'SET')) {
      // node-sql-parser lacks e.g. DROP PROCEDURE and ALTER USER; those name no table.
      const alt = this.#mysqlDdlFromTokens(tokens, parent, kw);
      if (alt) return undefined;
    }
    return err;
  }

  /** Parses the statement with node-sql-parser and records what it finds. */
  #parse(tokens: LexedStatement, parent: number, verb?: string): string | undefined {
    let result: { ast: unknown; tableList?: unknown };
    const text = emitTokens(tokens);
    try {
      result = this.#parser.parse(text, { database: this.#dialect });
    } catch (e) {
      return parserErrorMessage(e, text);
    }
    let ast = result.ast;
    if (Array.isArray(ast)) {
      // invariant: the lexer already split statements; the parser must see exactly one here.
      if (ast.length !== 1) return 'the parser split this statement differently from the server rules; refusing to guess';
      ast = ast[0];
    }
    if (!isObj(ast) || typeof ast.type !== 'string') return 'the parser returned no statement';
    const root = this.#openFromAst(ast, parent, verb);
    const cteNames = this.#walk(ast, root);
    this.#tableListBackstop(result.tableList, root, cteNames);
    return undefined;
  }

  #openFromAst(node: Obj, parent: number, forced?: string): number {
    const type = str(node, 'type').toLowerCase();
    const keyword = str(node, 'keyword').toLowerCase();
    const out = this.#out;
    if (forced !== undefined) return out.open(forced, parent);
    switch (type) {
      case 'select':
        return out.open('SELECT', parent, { hasWhere: selectHasWhere(node) });
      case 'insert':
      case 'replace':
        return out.open(type.toUpperCase(), parent);
      case 'update':
      case 'delete':
        return out.open(type.toUpperCase(), parent, { hasWhere: node.where !== null && node.where !== undefined });
      case 'create':
      case 'drop':
        return out.open(type.toUpperCase(), parent, { object: keyword });
      case 'alter':
        return out.open('ALTER', parent, { object: keyword || 'table' });
      case 'desc': {
        const e = out.open('DESCRIBE', parent, { object: 'table' });
        out.table(e, str(node, 'table'), this.#pos++);
        return e;
      }
      case 'use':
        return out.open('USE', parent, { object: str(node, 'db').toLowerCase() });
      case 'show':
        return out.open('SHOW', parent, { object: keyword });
      case 'load_data': {
        const file = isObj(node.file) ? unquoteCanonical(str(node.file, 'value')) : '';
        return out.open('LOAD_FILE', parent, { object: 'table', file });
      }
      case 'attach': {
        const file = isObj(node.expr) && str(node.expr, 'type').endsWith('string') ? unquoteCanonical(str(node.expr, 'value')) : '';
        return out.open('ATTACH', parent, { object: 'database', file });
      }
      case 'transaction': {
        const action = isObj(node.expr) && isObj(node.expr.action) ? str(node.expr.action, 'value').toLowerCase() : '';
        const verb = action === 'begin' || action === 'start' ? 'BEGIN' : action === '' ? 'TRANSACTION' : action.toUpperCase();
        return out.open(verb, parent);
      }
      case 'set': {
        const first = Array.isArray(node.expr) ? node.expr[0] : undefined;
        const left = isObj(first) && isObj(first.left) ? first.left : undefined;
        const name = left ? (typeof left.prefix === 'string' ? left.prefix : '') + str(left, 'name') : '';
        return out.open('SET', parent, { object: name.toLowerCase() });
      }
      case 'grant': {
        const on = isObj(node.on) ? node.on : undefined;
        const e = out.open('GRANT', parent, { object: on ? str(on, 'object_type').toLowerCase() : '' });
        const levels = on && Array.isArray(on.priv_level) ? on.priv_level : [];
        for (const l of levels) {
          if (!isObj(l)) continue;
          const prefix = str(l, 'prefix');
          out.table(e, (prefix ? prefix + '.' : '') + str(l, 'name'), this.#pos++);
        }
        return e;
      }
      default: {
        // invariant: only a statement node-sql-parser calls a select is reported as SELECT.
        let verb = '';
        for (const ch of type.toUpperCase()) verb += (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ? ch : '_';
        return out.open(verb || 'UNKNOWN', parent);
      }
    }
  }

  /** Walks the AST of one statement; returns every CTE name it defines. */
  #walk(ast: Obj, root: number): Set<string> {
    const out = this.#out;
    const cteNames = new Set<string>();
    const stack: Frame[] = [{ value: ast, entry: root, scope: [], key: '' }];
    const rootNode = ast;
    const rootType = str(ast, 'type').toLowerCase();
    for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
      const { value, scope, key } = frame;
      let { entry } = frame;
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) {
          const v = value[i];
          if (typeof v === 'object' && v !== null) stack.push({ value: v, entry, scope, key });
        }
        continue;
      }
      if (!isObj(value)) continue;
      const type = str(value, 'type').toLowerCase();
      if (value !== rootNode && DML_TYPES.has(type) && 'table' in value) {
        // A statement inside another (a trigger body): a statement of its own.
        entry = this.#openFromAst(value, entry);
      }
      if (key !== 'trigger' && type !== 'column_ref' && 'db' in value) {
        const db = typeof value.db === 'string' ? value.db : '';
        const name = typeof value.table === 'string' ? value.table : typeof value.view === 'string' ? value.view : '';
        if (name !== '' && !(db === '' && scope.includes(name))) out.table(entry, db ? `${db}.${name}` : name, this.#pos++);
      }
      if (type === 'function') {
        out.func(entry, functionName(value.name), this.#pos++, argumentTexts(value.args));
      } else if (type === 'aggr_func') {
        out.func(entry, str(value, 'name'), this.#pos++);
      } else if (type === 'extract') {
        out.func(entry, 'extract', this.#pos++);
      } else if (type === 'assign' && rootType !== 'set' && isObj(value.left) && str(value.left, 'type') === 'var') {
        // `SELECT @a := 1`: an assignment inside a query changes the session, as SET @a = 1 does.
        out.addClass(entry, 'admin');
      } else if (type === 'var' && str(value, 'prefix') === '@@') {
        // `@@datadir`, `@@global.x`: the server's settings, the same rows as this system table.
        out.table(entry, 'performance_schema.global_variables', this.#pos++);
      }
      if (type === 'select' && typeof value.locking_read === 'string' && value.locking_read !== '') {
        // SELECT ... FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE locks the rows it reads.
        out.addClass(entry, 'lock');
      }
      if (key === 'into') {
        const kw = str(value, 'keyword').toUpperCase();
        if (kw === 'OUTFILE' || kw === 'DUMPFILE') {
          const file = isObj(value.expr) ? unquoteCanonical(str(value.expr, 'value')) : '';
          out.setVerb(entry, 'WRITE_FILE', { object: kw.toLowerCase(), file });
        }
        // `SELECT ... INTO @v`: the row lands in session variables, as with SET @v = ... or @v := ...
        if (kw === 'VAR') out.addClass(entry, 'admin');
      }
      let inner = scope;
      const ctes = Array.isArray(value.with) ? value.with : undefined;
      const ctePushes: Frame[] = [];
      if (ctes) {
        const names = ctes.map((c) => (isObj(c) && isObj(c.name) ? str(c.name, 'value') : ''));
        names.forEach((n) => cteNames.add(n));
        const recursive = ctes.some((c) => isObj(c) && c.recursive === true);
        inner = [...scope, ...names];
        ctes.forEach((c, i) => {
          if (isObj(c)) ctePushes.push({ value: c.stmt, entry, scope: recursive ? inner : [...scope, ...names.slice(0, i)], key: 'with' });
        });
      }
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i] as string;
        if (k === 'with' && ctes) {
          for (let j = ctePushes.length - 1; j >= 0; j--) stack.push(ctePushes[j] as Frame);
          continue;
        }
        if (k === 'tableList' || k === 'columnList' || k === 'loc') continue;
        const v = value[k];
        if (typeof v === 'object' && v !== null) stack.push({ value: v, entry, scope: inner, key: k });
      }
    }
    return cteNames;
  }

  /** node-sql-parser's own table list: adds any table the walk above did not recognise. */
  #tableListBackstop(tableList: unknown, root: number, cteNames: Set<string>): void {
    if (!Array.isArray(tableList)) return;
    for (const item of tableList) {
      if (typeof item !== 'string') continue;
      const parts = item.split('::');
      if (parts.length !== 3) continue;
      const db = parts[1] ?? 'null';
      const table = parts[2] ?? 'null';
      if (table === 'null' || table === '') continue;
      if (db === 'null' && cteNames.has(table)) continue;
      this.#out.table(root, db === 'null' ? table : `${db}.${table}`, Number.MAX_SAFE_INTEGER);
    }
  }

  /** Utility statements read from their tokens: verb, and the few names they carry. */
  #fromTokens(tokens: LexedStatement, parent: number): string | undefined {
    if (tokens.some((t) => t.kind === 'punct' && (t.value === '(' || t.value === ';'))) {
      return `cannot read this ${tokens[0]?.upper ?? ''} statement (parentheses are not expected here)`;
    }
    const kw = tokens[0]?.upper ?? '';
    const second = tokens[1]?.upper ?? '';
    const out = this.#out;
    switch (kw) {
      case 'END':
        out.open('COMMIT', parent);
        return undefined;
      case 'START':
        if (second === 'TRANSACTION') out.open('BEGIN', parent);
        else out.open('START', parent, { object: second.toLowerCase() });
        return undefined;
      case 'REVOKE':
        return this.#mysqlRevoke(tokens, parent);
      case 'FLUSH':
        if (tokens.some((t) => t.upper === 'TABLE' || t.upper === 'TABLES')) return 'FLUSH TABLES is not supported';
        out.open('FLUSH', parent, { object: second.toLowerCase() });
        return undefined;
      case 'VACUUM': {
        const into = tokens.findIndex((t) => t.upper === 'INTO');
        const target = into >= 0 ? tokens[into + 1] : undefined;
        if (into >= 0 && (target?.kind !== 'string' || into + 2 !== tokens.length)) return 'VACUUM INTO needs a single string file name';
        out.open('VACUUM', parent, { file: target?.value ?? '' });
        return undefined;
      }
      case 'REINDEX':
      case 'ANALYZE': {
        const e = out.open(kw, parent);
        if (tokens.length > 1) {
          const name = dottedName(tokens, 1);
          if (!name || name.next !== tokens.length) return `cannot read this ${kw} statement`;
          out.table(e, name.name, this.#pos++);
        }
        return undefined;
      }
      case 'DETACH':
        out.open('DETACH', parent, { object: 'database' });
        return undefined;
      default: {
        const objectWord = OBJECT_AFTER_VERB.has(kw) && tokens[1]?.kind === 'word' && !/^[0-9]/.test(second);
        out.open(kw, parent, { object: objectWord ? second.toLowerCase() : '' });
        return undefined;
      }
    }
  }

  /** REVOKE ... [ON [TABLE|FUNCTION|PROCEDURE] level] FROM ...: MySQL's only table-naming form is after ON. */
  #mysqlRevoke(tokens: LexedStatement, parent: number): string | undefined {
    const on = tokens.findIndex((t) => t.upper === 'ON');
    if (on < 0) {
      // REVOKE role FROM user, or REVOKE ALL PRIVILEGES, GRANT OPTION FROM user: no object named.
      this.#out.open('REVOKE', parent);
      return undefined;
    }
    if (tokens[on - 1]?.upper === 'PROXY') {
      this.#out.open('REVOKE', parent, { object: 'proxy' });
      return undefined;
    }
    let i = on + 1;
    let object = 'table';
    const kind = tokens[i]?.upper ?? '';
    if (kind === 'TABLE' || kind === 'FUNCTION' || kind === 'PROCEDURE') {
      object = kind.toLowerCase();
      i++;
    }
    const level = dottedName(tokens, i, true);
    if (!level || tokens[level.next]?.upper !== 'FROM') return 'cannot read this REVOKE statement';
    const e = this.#out.open('REVOKE', parent, { object });
    if (object === 'table') this.#out.table(e, level.name, this.#pos++);
    return undefined;
  }

  /** CREATE/ALTER/DROP of a user, role, routine, server, database, ... read from tokens. */
  #mysqlDdlFromTokens(tokens: LexedStatement, parent: number, kw: string): boolean {
    if (kw === 'SET') {
      if (tokens.some((t) => t.kind === 'punct' && (t.value === '(' || t.value === ';'))) return false;
      this.#out.open('SET', parent, { object: (tokens[1]?.upper ?? '').toLowerCase() });
      return true;
    }
    for (const t of tokens.slice(1)) {
      if (t.kind !== 'word') continue;
      if (MYSQL_TABLE_DDL_OBJECTS.has(t.upper)) return false;
      if (MYSQL_TOKEN_DDL_OBJECTS.has(t.upper)) {
        if (tokens.some((x) => x.kind === 'punct' && (x.value === '(' || x.value === ';'))) return false;
        this.#out.open(kw, parent, { object: t.upper.toLowerCase() });
        return true;
      }
    }
    return false;
  }

  /** EXPLAIN/DESCRIBE: of a statement (which then counts too) or of a table. */
  #mysqlExplain(tokens: LexedStatement, parent: number): string | undefined {
    let i = 1;
    for (;;) {
      const u = tokens[i]?.upper ?? '';
      if (u === 'ANALYZE' || u === 'EXTENDED' || u === 'PARTITIONS') i++;
      else if (u === 'FORMAT' && isPunct(tokens[i + 1], '=') && isName(tokens[i + 2])) i += 3;
      else break;
    }
    const t = tokens[i];
    if (!t) return `${tokens[0]?.upper ?? 'EXPLAIN'} without a statement or table`;
    if (t.upper === 'FOR' && tokens[i + 1]?.upper === 'CONNECTION') {
      if (tokens.some((x) => isPunct(x, '('))) return 'cannot read this EXPLAIN FOR CONNECTION statement';
      this.#out.open('EXPLAIN', parent, { object: 'connection' });
      return undefined;
    }
    if (isPunct(t, '(') || EXPLAINABLE.has(t.upper)) {
      return this.statement(tokens.slice(i), this.#out.open('EXPLAIN', parent));
    }
    // DESCRIBE table [column | 'wild']
    const name = dottedName(tokens, i);
    const rest = name ? tokens.slice(name.next) : [];
    if (!name || rest.length > 1 || rest.some((x) => x.kind === 'punct')) return 'cannot read this DESCRIBE statement';
    const e = this.#out.open('DESCRIBE', parent, { object: 'table' });
    this.#out.table(e, name.name, this.#pos++);
    return undefined;
  }

  /** PREPARE name FROM 'sql' (the SQL is analysed as nested statements) or FROM @variable. */
  #mysqlPrepare(tokens: LexedStatement, parent: number): string | undefined {
    if (!isName(tokens[1]) || tokens[2]?.upper !== 'FROM') return 'cannot read this PREPARE statement';
    const source = tokens[3];
    if (source?.kind === 'string' && tokens.length === 4) {
      if (this.#depth >= MAX_PREPARE_DEPTH) return 'PREPARE inside a prepared statement';
      const e = this.#out.open('PREPARE', parent);
      const err = analyseNodeSql(source.value, this.#dialect, this.#parser, this.#out, e, this.#depth + 1);
      return err === undefined ? undefined : `in the prepared statement text: ${err}`;
    }
    if (isPunct(source, '@') && isName(tokens[4]) && tokens.length === 5) {
      // The text lives in a variable: unknown here; the PREPARE itself is what a rule can see.
      this.#out.open('PREPARE', parent, { object: 'variable' });
      return undefined;
    }
    return 'cannot read this PREPARE statement';
  }

  /** PRAGMA [schema.]name [= value | (value)], value a (signed) word, number, string or name. */
  #pragma(tokens: LexedStatement, parent: number): string | undefined {
    const bad = 'cannot read this PRAGMA statement';
    const qualified = dottedName(tokens, 1);
    if (!qualified) return bad;
    const parts = qualified.name.split('.');
    if (parts.length > 2) return bad;
    const name = (parts[parts.length - 1] ?? '').toLowerCase();
    const schema = parts.length === 2 ? parts[0] : undefined;
    let i = qualified.next;
    let value: Token | undefined;
    if (i < tokens.length) {
      const paren = isPunct(tokens[i], '(');
      if (!paren && !isPunct(tokens[i], '=')) return bad;
      i++;
      if (isPunct(tokens[i], '-') || isPunct(tokens[i], '+')) i++;
      value = tokens[i];
      if (!value || value.kind === 'punct') return bad;
      i++;
      if (paren) {
        if (!isPunct(tokens[i], ')')) return bad;
        i++;
      }
      if (i !== tokens.length) return bad;
    }
    // The query form (and a pragma whose argument names what to report on) only reports, for the
    // pragmas SQLite documents as such; any other pragma, or a value, changes something.
    const reports = readOnlyPragma(name) && (value === undefined || ARGUMENT_PRAGMAS.has(name));
    const e = this.#out.open('PRAGMA', parent, { object: name, classes: [reports ? 'read' : 'admin'] });
    const numeric = value !== undefined && value.kind === 'word' && value.value[0] !== undefined && value.value[0] >= '0' && value.value[0] <= '9';
    if (value && TABLE_PRAGMAS.has(name) && !numeric) {
      this.#out.table(e, schema ? `${schema}.${value.value}` : value.value, this.#pos++);
    }
    return undefined;
  }
}

/**
 * `{ name: [{value}], schema?: {value} }` (or a plain string) -> `schema.name`; a part holding a
 * dot or a double quote is written in double quotes, so it never passes for a qualified name.
 */
function functionName(name: unknown): string {
  if (typeof name === 'string') return name;
  if (!isObj(name)) return '';
  const parts: string[] = [];
  if (isObj(name.schema)) parts.push(str(name.schema, 'value'));
  if (Array.isArray(name.name)) {
    for (const p of name.name) if (isObj(p)) parts.push(str(p, 'value'));
  }
  return parts
    .filter((p) => p !== '')
    .map((p) => (p.includes('.') || p.includes('"') ? `"${p.replaceAll('"', '""')}"` : p))
    .join('.');
}

/** Each argument's text when it is a literal string or number, null otherwise. */
function argumentTexts(args: unknown): Array<string | null> {
  const list = isObj(args) && Array.isArray(args.value) ? args.value : [];
  return list.map((a: unknown) => {
    if (!isObj(a)) return null;
    const t = str(a, 'type');
    if (t.endsWith('string') && typeof a.value === 'string') return unquoteCanonical(a.value);
    if (t === 'number' && (typeof a.value === 'number' || typeof a.value === 'string')) return String(a.value);
    return null;
  });
}

/** Every branch of a UNION chain (`_next`) needs a WHERE. Iterative: chains can be long. */
function selectHasWhere(node: Obj): boolean {
  for (let n: unknown = node; isObj(n); n = n._next) {
    if (n.where === null || n.where === undefined) return false;
  }
  return true;
}
