/**
 * Internal: PostgreSQL statements through libpg-query, the PostgreSQL server's own parser compiled
 * to WebAssembly. The parse tree is walked iteratively (no recursion, so nesting depth cannot
 * overflow the stack) to find every statement, table and function.
 */
import { SqlAnalysisError, StatementCollector, type StatementExtras } from './sql-collect.js';
import type { PgScanToken, PostgresParser } from './sql-parsers.js';

type ScanToken = PgScanToken;

/** Statement node types that stay part of the statement around them instead of opening one. */
const INLINE_STATEMENTS: ReadonlySet<string> = new Set(['SelectStmt', 'ReturnStmt', 'PLAssignStmt']);

/** DROP object kinds whose names are relations (reported as tables). */
const RELATION_OBJECTS: ReadonlySet<string> = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_SEQUENCE',
  'OBJECT_INDEX',
  'OBJECT_FOREIGN_TABLE',
]);

/**
 * libpg-query writes its parse tree recursively inside WebAssembly. A tree deep enough to exhaust
 * the stack there (about 5 000 levels of `a+a+...` with a deep caller) leaves the module corrupt
 * for every later call, so inputs that might build such a tree are refused before parsing. The
 * estimate per statement is: chaining tokens (operators, casts, JOIN, UNION, IS, ...) plus three
 * per level of bracket nesting; it can only over-count.
 */
const MAX_ESTIMATED_DEPTH = 2_000;

/**
 * Keywords that build a tree node around another without brackets (binary operators, set
 * operations, joins, CASE nesting; a nested CASE level has at least CASE, WHEN and THEN).
 */
const CHAIN_KEYWORDS: ReadonlySet<string> = new Set([
  'JOIN', 'UNION', 'INTERSECT', 'EXCEPT', 'IS', 'ISNULL', 'NOTNULL', 'COLLATE', 'AT', 'LIKE', 'ILIKE', 'SIMILAR',
  'BETWEEN', 'IN', 'NOT', 'OVERLAPS', 'OPERATOR', 'CASE', 'WHEN', 'THEN', 'ELSE',
]);

/** Tokens that never deepen the tree. */
const FLAT_TOKENS: ReadonlySet<string> = new Set([
  'IDENT', 'SCONST', 'USCONST', 'ICONST', 'FCONST', 'BCONST', 'XCONST', 'PARAM', 'C_COMMENT', 'SQL_COMMENT', 'ASCII_44', 'ASCII_46',
]);

/**
 * A cheap upper bound of {@link scannedDepthBound} from the raw text, strings and comments
 * included: every operator-like character, three per opening bracket, and every run of letters
 * that spells a chaining keyword.
 */
function roughDepthBound(sql: string): number {
  let n = 0;
  let word = '';
  let longWord = false;
  for (let i = 0; i <= sql.length; i++) {
    const c = i < sql.length ? sql.charCodeAt(i) : 0x20;
    const upper = c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
    if ((upper >= 0x41 && upper <= 0x5a) || c === 0x5f) {
      if (word.length < 9) word += String.fromCharCode(upper);
      else longWord = true;
      continue;
    }
    if (word !== '') {
      if (!longWord && CHAIN_KEYWORDS.has(word)) n++;
      word = '';
      longWord = false;
    }
    if (c === 0x28 || c === 0x5b) n += 3; // ( [
    else if (c > 0x20 && c < 0x7f && !(c >= 0x30 && c <= 0x39) && !RAW_FLAT.has(c)) n++;
  }
  return n;
}

/** Characters that never make an operator token: ) ] , ; ' " $ */
const RAW_FLAT: ReadonlySet<number> = new Set([0x29, 0x5d, 0x2c, 0x3b, 0x27, 0x22, 0x24]);

/** The largest per-statement depth estimate over the scanner's tokens. */
function scannedDepthBound(tokens: ScanToken[]): number {
  let worst = 0;
  let chain = 0;
  let depth = 0;
  let maxDepth = 0;
  const close = (): void => {
    worst = Math.max(worst, chain + 3 * maxDepth);
    chain = 0;
  };
  for (const t of tokens) {
    if (t.tokenName === 'ASCII_59') {
      close();
      maxDepth = depth; // a ; inside brackets (CREATE RULE ... DO (a; b)) keeps the enclosing depth
    } else if (t.text === '(' || t.text === '[') {
      depth++;
      if (depth > maxDepth) maxDepth = depth;
    } else if (t.text === ')' || t.text === ']') {
      depth--;
    } else if (FLAT_TOKENS.has(t.tokenName)) {
      continue;
    } else if (t.keywordName !== 'NO_KEYWORD' && t.keywordName !== '') {
      if (CHAIN_KEYWORDS.has(t.text.toUpperCase())) chain++;
    } else {
      chain++;
    }
  }
  close();
  return worst;
}

/** Most parse-tree nodes visited for one input (a 100 000-character input stays far below). */
const MAX_NODES = 5_000_000;

interface Frame {
  value: unknown;
  entry: number;
  /** Names of the common table expressions visible here; an unqualified match is not a table. */
  scope: readonly string[];
  /** Property or node type the value was found under. */
  key: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Obj, k: string): string {
  const v = o[k];
  return typeof v === 'string' ? v : '';
}

/** `{ String: { sval } }` items, as in a qualified name, joined with dots. */
function joinNames(items: unknown): string {
  if (!Array.isArray(items)) return '';
  const parts: string[] = [];
  for (const item of items) {
    const s = isObj(item) ? item.String : undefined;
    if (isObj(s) && typeof s.sval === 'string') parts.push(s.sval);
  }
  return parts.join('.');
}

/**
 * A function's name parts joined with dots; a part that itself holds a dot or a double quote (a
 * quoted identifier such as `"pg_catalog.lo_import"`) is written in double quotes, so it can never
 * pass for a schema-qualified built-in.
 */
/** PostgreSQL's object-identifier alias types, whose input functions read the system catalogs. */
const REG_TYPES: ReadonlySet<string> = new Set(['regclass', 'regcollation', 'regconfig', 'regdictionary', 'regnamespace', 'regoper', 'regoperator', 'regproc', 'regprocedure', 'regrole', 'regtype']);

function functionName(items: unknown): string {
  if (!Array.isArray(items)) return '';
  const parts: string[] = [];
  for (const item of items) {
    const s = isObj(item) ? item.String : undefined;
    if (!isObj(s) || typeof s.sval !== 'string') continue;
    parts.push(s.sval.includes('.') || s.sval.includes('"') ? `"${s.sval.replaceAll('"', '""')}"` : s.sval);
  }
  return parts.join('.');
}

/** The text of a literal argument (a string or number constant, possibly cast), or null. */
function literalText(arg: unknown): string | null {
  let node = arg;
  for (let i = 0; i < 4 && isObj(node) && isObj(node.TypeCast); i++) node = node.TypeCast.arg;
  const c = isObj(node) && isObj(node.A_Const) ? node.A_Const : undefined;
  if (!c) return null;
  for (const [k, field] of [['sval', 'sval'], ['ival', 'ival'], ['fval', 'fval'], ['bsval', 'bsval']] as const) {
    const v = c[k];
    if (isObj(v)) {
      const inner = v[field];
      if (typeof inner === 'string') return inner;
      if (typeof inner === 'number') return String(inner);
      if (k === 'ival') return '0'; // libpg-query omits a zero ival
    }
  }
  return null;
}

/** `OBJECT_FOREIGN_TABLE` -> `foreign table`. */
function objectName(objtype: string): string {
  if (objtype === 'OBJECT_MATVIEW') return 'materialized view';
  return objtype.replace(/^OBJECT_/, '').toLowerCase().replaceAll('_', ' ');
}

/** `CreateForeignServerStmt` -> `foreign server` (fallback object for node types not listed). */
function objectFromType(type: string, prefix: string): string {
  const core = type.slice(prefix.length).replace(/Stmt$/, '');
  let out = '';
  for (const ch of core) {
    out += ch >= 'A' && ch <= 'Z' ? (out === '' ? '' : ' ') + ch.toLowerCase() : ch;
  }
  return out;
}

const TRANSACTION_VERBS: Readonly<Record<string, readonly [string, string]>> = {
  TRANS_STMT_BEGIN: ['BEGIN', ''],
  TRANS_STMT_START: ['BEGIN', ''],
  TRANS_STMT_COMMIT: ['COMMIT', ''],
  TRANS_STMT_ROLLBACK: ['ROLLBACK', ''],
  TRANS_STMT_SAVEPOINT: ['SAVEPOINT', ''],
  TRANS_STMT_RELEASE: ['RELEASE', ''],
  TRANS_STMT_ROLLBACK_TO: ['ROLLBACK', 'savepoint'],
  TRANS_STMT_PREPARE: ['PREPARE', 'transaction'],
  TRANS_STMT_COMMIT_PREPARED: ['COMMIT', 'transaction'],
  TRANS_STMT_ROLLBACK_PREPARED: ['ROLLBACK', 'transaction'],
};

const CREATE_OBJECTS: Readonly<Record<string, string>> = {
  CreateStmt: 'table',
  ViewStmt: 'view',
  IndexStmt: 'index',
  CreateExtensionStmt: 'extension',
  CreateSchemaStmt: 'schema',
  CreateSeqStmt: 'sequence',
  CreatedbStmt: 'database',
  CreateTrigStmt: 'trigger',
  RuleStmt: 'rule',
  CreateDomainStmt: 'domain',
  CompositeTypeStmt: 'type',
  CreateEnumStmt: 'type',
  CreateRangeStmt: 'type',
  CreatePolicyStmt: 'policy',
  CreateCastStmt: 'cast',
  CreateEventTrigStmt: 'event trigger',
  CreateFdwStmt: 'foreign data wrapper',
  CreateForeignServerStmt: 'server',
  CreateForeignTableStmt: 'foreign table',
  CreateTableSpaceStmt: 'tablespace',
  CreatePLangStmt: 'language',
  CreateAmStmt: 'access method',
  CreateStatsStmt: 'statistics',
};

/** Verbs of utility statements with no object, by node type. */
const PLAIN_VERBS: Readonly<Record<string, string>> = {
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
  ExplainStmt: 'EXPLAIN',
  PrepareStmt: 'PREPARE',
  ExecuteStmt: 'EXECUTE',
  DeallocateStmt: 'DEALLOCATE',
  CopyStmt: 'COPY',
  CallStmt: 'CALL',
  DoStmt: 'DO',
  TruncateStmt: 'TRUNCATE',
  LockStmt: 'LOCK',
  ClusterStmt: 'CLUSTER',
  ReindexStmt: 'REINDEX',
  CheckPointStmt: 'CHECKPOINT',
  DiscardStmt: 'DISCARD',
  ListenStmt: 'LISTEN',
  UnlistenStmt: 'UNLISTEN',
  NotifyStmt: 'NOTIFY',
  LoadStmt: 'LOAD',
  DeclareCursorStmt: 'DECLARE',
  ClosePortalStmt: 'CLOSE',
  RefreshMatViewStmt: 'REFRESH',
  ReassignOwnedStmt: 'REASSIGN',
  ImportForeignSchemaStmt: 'IMPORT',
  SecLabelStmt: 'SECURITY_LABEL',
  ReturnStmt: 'RETURN',
};

/**
 * Every branch of a set operation needs a WHERE for the statement to count as having one.
 * Iterative: a long UNION chain is a deep tree.
 */
function selectHasWhere(body: Obj): boolean {
  const pending: Obj[] = [body];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    const op = str(node, 'op');
    if (op !== '' && op !== 'SETOP_NONE') {
      const l = node.larg;
      const r = node.rarg;
      if (!isObj(l) || !isObj(r)) return false;
      pending.push(l, r);
    } else if (node.whereClause === undefined || node.whereClause === null) {
      return false;
    }
  }
  return true;
}

/** Verb and extras of a statement node. Never SELECT for a statement that writes. */
function describe(type: string, body: Obj): { verb: string; extras: StatementExtras } {
  switch (type) {
    case 'SelectStmt':
      if (isObj(body.intoClause)) return { verb: 'CREATE', extras: { object: 'table', hasWhere: selectHasWhere(body) } };
      return { verb: 'SELECT', extras: { hasWhere: selectHasWhere(body) } };
    case 'UpdateStmt':
    case 'DeleteStmt':
      return { verb: PLAIN_VERBS[type] ?? type, extras: { hasWhere: body.whereClause !== undefined && body.whereClause !== null } };
    case 'CopyStmt':
      return { verb: 'COPY', extras: { object: body.is_from === true ? 'from' : 'to', program: body.is_program === true, file: str(body, 'filename') } };
    case 'LoadStmt':
      return { verb: 'LOAD', extras: { file: str(body, 'filename') } };
    case 'TransactionStmt': {
      const [verb, object] = TRANSACTION_VERBS[str(body, 'kind')] ?? ['TRANSACTION', ''];
      return { verb, extras: { object } };
    }
    case 'VariableSetStmt': {
      const kind = str(body, 'kind');
      const verb = kind === 'VAR_RESET' || kind === 'VAR_RESET_ALL' ? 'RESET' : 'SET';
      return { verb, extras: { object: str(body, 'name').toLowerCase() } };
    }
    case 'VariableShowStmt':
      return { verb: 'SHOW', extras: { object: str(body, 'name').toLowerCase() } };
    case 'ConstraintsSetStmt':
      return { verb: 'SET', extras: { object: 'constraints' } };
    case 'VacuumStmt':
      return { verb: body.is_vacuumcmd === true ? 'VACUUM' : 'ANALYZE', extras: {} };
    case 'FetchStmt':
      return { verb: body.ismove === true ? 'MOVE' : 'FETCH', extras: {} };
    case 'GrantStmt':
      return { verb: body.is_grant === true ? 'GRANT' : 'REVOKE', extras: { object: objectName(str(body, 'objtype')) } };
    case 'GrantRoleStmt':
      return { verb: body.is_grant === true ? 'GRANT' : 'REVOKE', extras: { object: 'role' } };
    case 'CommentStmt':
      return { verb: 'COMMENT', extras: { object: objectName(str(body, 'objtype')) } };
    case 'CreateTableAsStmt':
      return { verb: 'CREATE', extras: { object: objectName(str(body, 'objtype') || 'OBJECT_TABLE') } };
    case 'CreateFunctionStmt':
      return { verb: 'CREATE', extras: { object: body.is_procedure === true ? 'procedure' : 'function' } };
    case 'CreateRoleStmt': {
      const t = str(body, 'stmt_type');
      return { verb: 'CREATE', extras: { object: t === 'ROLESTMT_USER' ? 'user' : t === 'ROLESTMT_GROUP' ? 'group' : 'role' } };
    }
    case 'DefineStmt':
      return { verb: 'CREATE', extras: { object: objectName(str(body, 'kind')) } };
    case 'DropStmt':
      return { verb: 'DROP', extras: { object: objectName(str(body, 'removeType')) } };
    case 'DropOwnedStmt':
      return { verb: 'DROP', extras: { object: 'owned' } };
    case 'DropdbStmt':
      return { verb: 'DROP', extras: { object: 'database' } };
    case 'RenameStmt':
      return { verb: 'ALTER', extras: { object: objectName(str(body, 'renameType')) } };
    case 'AlterTableStmt':
      return { verb: 'ALTER', extras: { object: objectName(str(body, 'objtype') || 'OBJECT_TABLE') } };
    case 'AlterObjectSchemaStmt':
    case 'AlterOwnerStmt':
      return { verb: 'ALTER', extras: { object: objectName(str(body, 'objectType')) } };
    case 'AlterSystemStmt':
      return { verb: 'ALTER', extras: { object: 'system' } };
    default:
      break;
  }
  const plain = PLAIN_VERBS[type];
  if (plain !== undefined) return { verb: plain, extras: {} };
  const created = CREATE_OBJECTS[type];
  if (created !== undefined) return { verb: 'CREATE', extras: { object: created } };
  for (const prefix of ['Create', 'Alter', 'Drop']) {
    if (type.startsWith(prefix)) return { verb: prefix.toUpperCase(), extras: { object: objectFromType(type, prefix) } };
  }
  // invariant: an unknown statement kind is named after itself, never SELECT.
  return { verb: objectFromType(type, '').toUpperCase().replaceAll(' ', '_') || 'UNKNOWN', extras: {} };
}

/**
 * Parses `sql` as PostgreSQL and records every statement into `out`. Returns an error message
 * instead when the SQL does not parse or the parser instance refuses (after a trap).
 *
 * @example
 * ```ts
 * const c = new StatementCollector();
 * analysePostgres('SELECT 1; DROP TABLE x', c, parsers.postgres!); // undefined (ok); c.finish() has SELECT and DROP
 * ```
 */
export function analysePostgres(sql: string, out: StatementCollector, parser: PostgresParser): string | undefined {
  if (parser.failure !== '') return parser.failure;
  if (roughDepthBound(sql) > MAX_ESTIMATED_DEPTH) {
    const estimate = scannedDepthBound(parser.scan(sql));
    if (estimate > MAX_ESTIMATED_DEPTH) {
      return `statement too deeply nested (or too long an operator chain) to analyse safely: estimated depth ${estimate}, limit ${MAX_ESTIMATED_DEPTH}`;
    }
  }
  const parsed = parser.parse(sql);
  if ('error' in parsed) return parsed.error;
  const tree = parsed.tree;
  const stmts = isObj(tree) && Array.isArray(tree.stmts) ? tree.stmts : [];
  if (stmts.length === 0) return 'no SQL statement found (only comments or whitespace)';
  if (sql.includes('\\')) {
    const ambiguous = ambiguousBackslashString(parser.scan(sql));
    if (ambiguous !== undefined) return ambiguous;
  }
  new PostgresWalker(out).walk(stmts);
  return undefined;
}

/**
 * With standard_conforming_strings off (a session setting an earlier statement may have made), a
 * backslash escapes the quote in '...' strings, and `'a\'' ; DROP TABLE x; --'` becomes two
 * statements. The parser reads with it on. Where the two readings split a string differently,
 * what the server runs depends on session state: refuse rather than guess.
 */
function ambiguousBackslashString(tokens: Array<{ tokenName: string; text: string }>): string | undefined {
  for (const t of tokens) {
    if (t.tokenName !== 'SCONST' || t.text[0] !== "'" || !t.text.includes('\\')) continue;
    let i = 1;
    let end = -1;
    while (i < t.text.length) {
      const ch = t.text[i];
      if (ch === '\\') i += 2;
      else if (ch === "'" && t.text[i + 1] === "'") i += 2;
      else if (ch === "'") {
        end = i + 1;
        break;
      } else i++;
    }
    if (end !== t.text.length) {
      return "a string literal has a backslash before a quote, and reads differently when standard_conforming_strings is off; write E'...' or double the quote instead";
    }
  }
  return undefined;
}

class PostgresWalker {
  readonly #out: StatementCollector;
  readonly #stack: Frame[] = [];
  #visited = 0;
  /** Position of the statement being opened, for names that carry no location of their own. */
  #stmtPos = 0;

  constructor(out: StatementCollector) {
    this.#out = out;
  }

  walk(stmts: unknown[]): void {
    for (const raw of stmts) {
      if (!isObj(raw)) continue;
      this.#stmtPos = typeof raw.stmt_location === 'number' ? raw.stmt_location : 0;
      const wrapped = raw.stmt;
      const [type, body] = unwrap(wrapped);
      if (type === '' || !body) throw new SqlAnalysisError('unexpected PostgreSQL parse tree (statement without a type)');
      this.#openStatement(type, body, -1, []);
      this.#drain();
    }
  }

  #openStatement(type: string, body: Obj, parent: number, scope: readonly string[]): void {
    const { verb, extras } = describe(type, body);
    const entry = this.#out.open(verb, parent, extras);
    if (type === 'ExplainStmt' || type === 'PrepareStmt') {
      // The statement an EXPLAIN runs or a PREPARE stores counts as a statement of its own.
      const [innerType, innerBody] = unwrap(body.query);
      if (innerType !== '' && innerBody) this.#openStatement(innerType, innerBody, entry, scope);
      return;
    }
    if (type === 'DropStmt' && RELATION_OBJECTS.has(str(body, 'removeType')) && Array.isArray(body.objects)) {
      let i = 0;
      for (const o of body.objects) {
        const list = isObj(o) && isObj(o.List) ? o.List.items : undefined;
        this.#out.table(entry, joinNames(list), this.#stmtPos + i++ / 1000);
      }
    }
    this.#stack.push({ value: body, entry, scope, key: type });
  }

  #drain(): void {
    const stack = this.#stack;
    for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
      if (++this.#visited > MAX_NODES) throw new SqlAnalysisError('SQL parse tree too large to analyse');
      const { value, entry, scope, key } = frame;
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) {
          const v = value[i];
          if (typeof v === 'object' && v !== null) stack.push({ value: v, entry, scope, key });
        }
        continue;
      }
      if (!isObj(value)) continue;
      const keys = Object.keys(value);
      const only = keys.length === 1 ? keys[0] : undefined;
      if (only !== undefined && only[0] !== undefined && only[0] >= 'A' && only[0] <= 'Z') {
        // A node wrapped in its type name, e.g. { SelectStmt: {...} }.
        const body = value[only];
        if (!isObj(body)) continue;
        if (only.endsWith('Stmt') && !INLINE_STATEMENTS.has(only)) {
          this.#openStatement(only, body, entry, scope);
        } else {
          stack.push({ value: body, entry, scope, key: only });
        }
        continue;
      }
      this.#facts(value, entry, scope, key);
      this.#children(value, keys, entry, scope);
    }
  }

  /** Tables and functions named by this node itself. */
  #facts(node: Obj, entry: number, scope: readonly string[], key: string): void {
    const pos = typeof node.location === 'number' ? node.location : this.#stmtPos;
    // SELECT ... FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE locks the rows it reads.
    if (Array.isArray(node.lockingClause) && node.lockingClause.length > 0) this.#out.addClass(entry, 'lock');
    if (typeof node.relname === 'string') {
      // Only RangeVar carries relname in a raw parse tree.
      const schema = str(node, 'schemaname');
      const catalog = str(node, 'catalogname');
      if (schema === '' && catalog === '' && scope.includes(node.relname)) return;
      this.#out.table(entry, [catalog, schema, node.relname].filter((p) => p !== '').join('.'), pos);
      return;
    }
    if ((key === 'FuncCall' || key === 'funccall') && Array.isArray(node.funcname)) {
      let name = functionName(node.funcname);
      // Written as SQL syntax (EXTRACT(... FROM ...), TRIM(...)): the parser added pg_catalog, the author did not.
      if (node.funcformat === 'COERCE_SQL_SYNTAX' && name.startsWith('pg_catalog.')) name = name.slice('pg_catalog.'.length);
      this.#out.func(entry, name, pos, Array.isArray(node.args) ? node.args.map(literalText) : []);
      return;
    }
    if (key === 'TypeCast' && isObj(node.typeName)) {
      // A cast to an object-identifier type ('pg_authid'::regclass) runs the type's input
      // function, which looks the name up in the system catalogs: reported as that call.
      const type = functionName(node.typeName.names).split('.').pop() ?? '';
      if (REG_TYPES.has(type)) this.#out.func(entry, `${type}in`, pos, [literalText(node.arg)]);
      return;
    }
    if (key === 'SQLValueFunction') {
      const op = str(node, 'op').replace(/^SVFOP_/, '').replace(/_N$/, '');
      this.#out.func(entry, op, pos);
    } else if (key === 'CoalesceExpr') {
      this.#out.func(entry, 'coalesce', pos);
    } else if (key === 'MinMaxExpr') {
      this.#out.func(entry, str(node, 'op') === 'IS_LEAST' ? 'least' : 'greatest', pos);
    }
  }

  /** Pushes the children of `node`, giving common table expressions their scope. */
  #children(node: Obj, keys: string[], entry: number, scope: readonly string[]): void {
    const stack = this.#stack;
    const withClause = node.withClause;
    const ctes = isObj(withClause) && Array.isArray(withClause.ctes) ? withClause.ctes : undefined;
    let inner = scope;
    const ctePushes: Frame[] = [];
    if (ctes) {
      const names = ctes.map((c) => (isObj(c) && isObj(c.CommonTableExpr) ? str(c.CommonTableExpr, 'ctename') : ''));
      const recursive = isObj(withClause) && withClause.recursive === true;
      inner = [...scope, ...names];
      // A CTE sees the CTEs before it; a recursive WITH makes all of them visible to each other.
      names.forEach((_, i) => {
        const cte = ctes[i];
        if (typeof cte === 'object' && cte !== null) {
          ctePushes.push({ value: cte, entry, scope: recursive ? inner : [...scope, ...names.slice(0, i)], key: 'ctes' });
        }
      });
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i] as string;
      if (k === 'withClause' && ctes) {
        for (let j = ctePushes.length - 1; j >= 0; j--) stack.push(ctePushes[j] as Frame);
        continue;
      }
      const v = node[k];
      if (typeof v === 'object' && v !== null) stack.push({ value: v, entry, scope: inner, key: k });
    }
  }
}

function unwrap(wrapped: unknown): [string, Obj | undefined] {
  if (!isObj(wrapped)) return ['', undefined];
  const keys = Object.keys(wrapped);
  const type = keys.length === 1 ? (keys[0] as string) : '';
  const body = type === '' ? undefined : wrapped[type];
  return [type, isObj(body) ? body : undefined];
}
