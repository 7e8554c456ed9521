/**
 * The SQL parsers as an explicit, loaded object. Loading is the one asynchronous step of the sql
 * facet (the PostgreSQL parser is WebAssembly); it happens before a policy is compiled, and the
 * loaded object is handed to the compiler (`compilePolicy(sources, { sqlParsers })`), so a compiled
 * set never meets a parser that is still loading. Nothing here is module state: each
 * {@link loadSqlParsers} call makes its own instances, and a failure of one instance changes no
 * other.
 *
 * MySQL, MariaDB and SQLite use node-sql-parser, an optional peer dependency (89 MB installed):
 * it is loaded only when asked for, and asking without it installed fails with what to install.
 */
import { createRequire } from 'node:module';
import { WardenError } from '../errors.js';

/**
 * A SQL dialect the facet parses.
 *
 * @example
 * ```ts
 * const d: SqlDialect = 'postgresql';
 * ```
 */
export type SqlDialect = 'postgresql' | 'mysql' | 'mariadb' | 'sqlite';

/**
 * Every supported dialect, for validating a policy's `dialect:`.
 *
 * @example
 * ```ts
 * SQL_DIALECTS.includes('mysql'); // true
 * ```
 */
export const SQL_DIALECTS: readonly SqlDialect[] = Object.freeze(['postgresql', 'mysql', 'mariadb', 'sqlite'] as const);

/**
 * The npm package (and range) MySQL, MariaDB and SQLite parsing needs, for error messages.
 *
 * @example
 * ```ts
 * NODE_SQL_PARSER_PACKAGE; // 'node-sql-parser@^5.4.0'
 * ```
 */
export const NODE_SQL_PARSER_PACKAGE = 'node-sql-parser@^5.4.0';

/**
 * One token of libpg-query's scanner.
 *
 * @example
 * ```ts
 * const t: PgScanToken = { tokenName: 'SELECT', text: 'SELECT', keywordName: 'SELECT' };
 * ```
 */
export interface PgScanToken {
  tokenName: string;
  text: string;
  keywordName: string;
}

/**
 * A loaded PostgreSQL parser instance. `parse` never throws: a syntax error is `{ error }`, and so
 * is every call after the WebAssembly module trapped (see {@link PostgresParser.failure}).
 *
 * @example
 * ```ts
 * const r = parsers.postgres?.parse('SELECT 1');
 * if (r && 'tree' in r) console.log(r.tree);
 * ```
 */
export interface PostgresParser {
  /** The parse tree (libpg-query's JSON), or why there is none. */
  parse(sql: string): { tree: unknown } | { error: string; syntax: boolean };
  /** The scanner's tokens; throws when the instance cannot be used. */
  scan(sql: string): PgScanToken[];
  /** Non-empty while this instance refuses to parse (after a trap, until it is re-instantiated). */
  readonly failure: string;
  /** Resolves when no re-instantiation is under way (for tests and orderly shutdown). */
  settled(): Promise<void>;
}

/**
 * node-sql-parser's per-dialect parser.
 *
 * @example
 * ```ts
 * const p: NodeSqlParser | undefined = parsers.nodeSql('sqlite');
 * ```
 */
export interface NodeSqlParser {
  parse(sql: string, options: { database: string }): { ast: unknown; tableList?: unknown };
}

/**
 * The loaded SQL parsers, to pass as `sqlParsers` when compiling a policy that binds the sql facet
 * (or to `sqlFacet` directly). Make one with {@link loadSqlParsers}.
 *
 * @example
 * ```ts
 * const sqlParsers = await loadSqlParsers({ dialects: ['postgresql'] });
 * const set = compilePolicy(sources, { sqlParsers });
 * ```
 */
export interface SqlParsers {
  /** The dialects this object can parse. */
  readonly dialects: ReadonlySet<SqlDialect>;
  /** The PostgreSQL parser, when `postgresql` was loaded. */
  readonly postgres: PostgresParser | undefined;
  /** The node-sql-parser grammar of a MySQL-family or SQLite dialect, when it was loaded. */
  nodeSql(dialect: 'mysql' | 'mariadb' | 'sqlite'): NodeSqlParser | undefined;
}

/**
 * Options of {@link loadSqlParsers}.
 *
 * @example
 * ```ts
 * const options: LoadSqlParsersOptions = { dialects: ['postgresql', 'sqlite'] };
 * ```
 */
export interface LoadSqlParsersOptions {
  /** Dialects to load; every supported dialect when absent. MySQL, MariaDB and SQLite need node-sql-parser installed. */
  dialects?: readonly SqlDialect[];
}

/**
 * Loads the parsers for `options.dialects` (default: all) into a new {@link SqlParsers}. The
 * PostgreSQL parser is a WebAssembly instance of its own; a trap inside it makes that instance
 * refuse every parse (so every decision that needs it denies) while a fresh instance is made.
 *
 * @example
 * ```ts
 * const sqlParsers = await loadSqlParsers({ dialects: ['postgresql'] });
 * sqlFacet('SELECT 1', { dialect: 'postgresql', parsers: sqlParsers }).parsed; // true
 * ```
 * @throws WardenError `ERR_SQL_PARSER_LOAD` when a parser cannot be loaded (for MySQL, MariaDB and
 * SQLite without node-sql-parser installed, the message says what to install), or the options are wrong.
 */
export async function loadSqlParsers(options: LoadSqlParsersOptions = {}): Promise<SqlParsers> {
  const dialects = checkOptions(options);
  // The analyser (sql.ts) hands itself to the facet engine as it loads: whoever has parsers has it.
  await import('./sql.js');
  const nodeSql = new Map<'mysql' | 'mariadb' | 'sqlite', NodeSqlParser>();
  for (const d of dialects) {
    if (d !== 'postgresql') nodeSql.set(d, loadNodeSqlGrammar(d));
  }
  let postgres: PostgresParser | undefined;
  if (dialects.includes('postgresql')) {
    try {
      postgres = await WasmPostgresParser.load();
    } catch (e) {
      throw new WardenError('ERR_SQL_PARSER_LOAD', `Could not load the PostgreSQL parser (libpg-query): ${e instanceof Error ? e.message : String(e)}. Reinstall agent-warden's dependencies (npm install).`, { cause: e });
    }
  }
  return Object.freeze({
    dialects: new Set(dialects) as ReadonlySet<SqlDialect>,
    postgres,
    nodeSql: (d: 'mysql' | 'mariadb' | 'sqlite') => nodeSql.get(d),
  });
}

function checkOptions(options: unknown): SqlDialect[] {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new WardenError('ERR_SQL_PARSER_LOAD', 'loadSqlParsers takes an options object like { dialects: ["postgresql"] }.');
  }
  const unknown = Object.keys(options).filter((k) => k !== 'dialects');
  if (unknown.length > 0) throw new WardenError('ERR_SQL_PARSER_LOAD', `loadSqlParsers: unknown option ${JSON.stringify(unknown[0])}; the only option is dialects.`);
  const requested = (options as LoadSqlParsersOptions).dialects;
  if (requested === undefined) return [...SQL_DIALECTS];
  if (!Array.isArray(requested)) throw new WardenError('ERR_SQL_PARSER_LOAD', `loadSqlParsers: dialects must be a list of ${SQL_DIALECTS.join(', ')}.`);
  const out: SqlDialect[] = [];
  for (const d of requested as unknown[]) {
    if (typeof d !== 'string' || !(SQL_DIALECTS as readonly string[]).includes(d)) {
      throw new WardenError('ERR_SQL_PARSER_LOAD', `loadSqlParsers: unknown dialect ${JSON.stringify(d)}; supported: ${SQL_DIALECTS.join(', ')}.`);
    }
    if (!out.includes(d as SqlDialect)) out.push(d as SqlDialect);
  }
  return out;
}

const requireCjs = createRequire(import.meta.url);

function loadNodeSqlGrammar(dialect: 'mysql' | 'mariadb' | 'sqlite'): NodeSqlParser {
  let mod: { Parser: new () => NodeSqlParser };
  try {
    // Per-dialect builds: one grammar is about 10 ms to load; the package index loads all of them.
    mod = requireCjs(`node-sql-parser/build/${dialect}`) as { Parser: new () => NodeSqlParser };
  } catch (e) {
    const missing = typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'MODULE_NOT_FOUND';
    const why = missing
      ? `the optional package node-sql-parser is not installed. Install it beside agent-warden: npm install ${NODE_SQL_PARSER_PACKAGE}`
      : `node-sql-parser failed to load: ${e instanceof Error ? e.message : String(e)}`;
    throw new WardenError('ERR_SQL_PARSER_LOAD', `The sql facet cannot parse ${dialect}: ${why}.`, { cause: e });
  }
  return new mod.Parser();
}

/** The emscripten module of libpg-query, as far as this file uses it. */
interface PgModule {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  lengthBytesUTF8(s: string): number;
  stringToUTF8(s: string, p: number, n: number): void;
  UTF8ToString(p: number): string;
  getValue(p: number, type: 'i32'): number;
  _wasm_parse_query_raw(p: number): number;
  _wasm_free_parse_result(p: number): void;
  _wasm_scan(p: number): number;
  _wasm_free_string(p: number): void;
}
type PgFactory = () => Promise<PgModule>;

/** Most fresh instances one parser object makes after traps; then it stays refused. */
const MAX_REINSTANTIATIONS = 100;

/**
 * libpg-query's WebAssembly module, instantiated for this object alone (the package's own entry
 * point shares one instance per process, which a trap would corrupt for everyone).
 */
class WasmPostgresParser implements PostgresParser {
  readonly #factory: PgFactory;
  #module: PgModule | undefined;
  #healthyTree: string;
  #failure = '';
  #reloading: Promise<void> | undefined;
  #reinstantiations = 0;

  private constructor(factory: PgFactory, module: PgModule, healthyTree: string) {
    this.#factory = factory;
    this.#module = module;
    this.#healthyTree = healthyTree;
  }

  static async load(): Promise<WasmPostgresParser> {
    const factory = requireCjs('libpg-query/wasm/libpg-query.js') as PgFactory;
    const module = await factory();
    const healthy = rawParse(module, 'SELECT 1');
    if (!('json' in healthy)) throw new Error(`the parser rejected SELECT 1: ${healthy.error}`);
    return new WasmPostgresParser(factory, module, healthy.json);
  }

  get failure(): string {
    return this.#failure;
  }

  parse(sql: string): { tree: unknown } | { error: string; syntax: boolean } {
    const module = this.#module;
    if (module === undefined || this.#failure !== '') return { error: this.#failure || 'the PostgreSQL parser is not available', syntax: false };
    let r: ReturnType<typeof rawParse>;
    try {
      r = rawParse(module, sql);
    } catch (e) {
      this.#trapped(e);
      return { error: this.#failure, syntax: false };
    }
    if ('error' in r) {
      // A syntax error is an ordinary answer, unless the module no longer parses a plain SELECT.
      if (!this.#healthy(module)) {
        this.#trapped(new Error(r.error));
        return { error: this.#failure, syntax: false };
      }
      return { error: r.error, syntax: true };
    }
    return { tree: JSON.parse(r.json) as unknown };
  }

  scan(sql: string): PgScanToken[] {
    const module = this.#module;
    if (module === undefined || this.#failure !== '') throw new Error(this.#failure || 'the PostgreSQL parser is not available');
    let text: string;
    try {
      text = withCString(module, sql, (p) => {
        const out = module._wasm_scan(p);
        try {
          return module.UTF8ToString(out);
        } finally {
          if (out) module._wasm_free_string(out);
        }
      });
    } catch (e) {
      // Any exception out of the WebAssembly call (a trap, a stack overflow) may leave it corrupt.
      this.#trapped(e);
      throw new Error(this.#failure, { cause: e });
    }
    if (!text.startsWith('{')) throw new Error(text.slice(0, 200));
    const parsed = JSON.parse(text) as { tokens?: PgScanToken[] };
    return Array.isArray(parsed.tokens) ? parsed.tokens : [];
  }

  settled(): Promise<void> {
    return this.#reloading ?? Promise.resolve();
  }

  #healthy(module: PgModule): boolean {
    try {
      const r = rawParse(module, 'SELECT 1');
      return 'json' in r && r.json === this.#healthyTree;
    } catch {
      return false;
    }
  }

  /**
   * A trap inside WebAssembly skips the module's stack-pointer restore, so later calls run on a
   * shifted stack until memory is corrupt (observed: after a few dozen traps a plain SELECT
   * fails). This instance is never trusted again; a fresh one replaces it.
   */
  #trapped(e: unknown): void {
    this.#module = undefined;
    const why = e instanceof Error ? `${e.name}: ${e.message}` : 'unknown error';
    if (this.#reinstantiations >= MAX_REINSTANTIATIONS) {
      this.#failure = `the PostgreSQL parser failed (${why.slice(0, 120)}) and was re-instantiated ${MAX_REINSTANTIATIONS} times already; load the SQL parsers again`;
      return;
    }
    this.#failure = `the PostgreSQL parser failed (${why.slice(0, 120)}) and may be corrupt; SQL is refused until a fresh parser instance is ready`;
    this.#reinstantiations++;
    this.#reloading ??= this.#reinstantiate();
  }

  async #reinstantiate(): Promise<void> {
    // Yield first: the new instance is made after the decision that trapped, never inside it.
    await Promise.resolve();
    try {
      const module = await this.#factory();
      if (this.#healthy(module)) {
        this.#module = module;
        this.#failure = '';
      } else {
        this.#failure = 'the PostgreSQL parser could not be re-instantiated (a fresh instance fails to parse SELECT 1); load the SQL parsers again';
      }
    } catch (e) {
      this.#failure = `the PostgreSQL parser could not be re-instantiated (${e instanceof Error ? e.message.slice(0, 120) : 'unknown error'}); load the SQL parsers again`;
    } finally {
      this.#reloading = undefined;
    }
  }
}

function withCString<T>(module: PgModule, s: string, fn: (p: number) => T): T {
  const n = module.lengthBytesUTF8(s) + 1;
  const p = module._malloc(n);
  if (!p) throw new Error('the PostgreSQL parser ran out of memory');
  try {
    module.stringToUTF8(s, p, n);
    return fn(p);
  } finally {
    module._free(p);
  }
}

/**
 * One call of libpg-query's raw parse: the parse tree's JSON text or the error message. The
 * result struct is { tree, stderr, error } pointers; the error struct is { message, funcname,
 * filename, lineno, cursorpos } with a 1-based cursor position (0 when unknown).
 */
function rawParse(module: PgModule, sql: string): { json: string } | { error: string } {
  return withCString(module, sql, (p) => {
    const result = module._wasm_parse_query_raw(p);
    if (!result) throw new Error('the PostgreSQL parser ran out of memory');
    try {
      const tree = module.getValue(result, 'i32');
      const err = module.getValue(result + 8, 'i32');
      if (err) {
        const messagePtr = module.getValue(err, 'i32');
        const message = messagePtr ? module.UTF8ToString(messagePtr) : 'unknown parse error';
        const cursor = module.getValue(err + 16, 'i32');
        return { error: cursor > 0 ? `${message} (at character ${cursor})` : message };
      }
      if (!tree) throw new Error('the PostgreSQL parser returned no tree');
      return { json: module.UTF8ToString(tree) };
    } finally {
      module._wasm_free_parse_result(result);
    }
  });
}
