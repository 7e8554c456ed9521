/**
 * Internal: gathers the statements a SQL analyser finds and turns them into
 * {@link SqlStatementFacts}. Shared by the PostgreSQL and the node-sql-parser back ends so both
 * normalise names, order and propagation the same way.
 */
import { classifyFunction, SQL_CLASSES, verbClasses, type FunctionClass, type SqlClass } from './sql-classify.js';
import type { SqlDialect } from './sql-parsers.js';
import type { SqlCallFacts, SqlStatementFacts } from './sql.js';

/** Verbs that change data; a SELECT that carries one of them (a data-modifying CTE) takes its verb. */
const DATA_WRITE_VERBS: ReadonlySet<string> = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'REPLACE']);

/**
 * Most statements (top-level and nested) one input may hold; beyond it the input is refused.
 *
 * @example
 * ```ts
 * 'SELECT 1;'.repeat(SQL_MAX_STATEMENTS + 1); // refused: more than 1000 statements
 * ```
 */
export const SQL_MAX_STATEMENTS = 1_000;

interface Ref {
  name: string;
  pos: number;
}

interface CallRef {
  name: string;
  pos: number;
  args: Array<string | null>;
}

interface Draft {
  verb: string;
  object: string;
  hasWhere: boolean;
  program: boolean;
  file: string;
  parent: number;
  tables: Ref[];
  functions: Ref[];
  /** Classes the analyser found besides the verb's (a row lock, a pragma that only reports). */
  hints: Set<SqlClass>;
  /** Classes that replace the verb's own, when the analyser knows better. */
  classes: readonly SqlClass[] | undefined;
}

/**
 * What a statement opens with, besides its verb.
 *
 * @example
 * ```ts
 * const extras: StatementExtras = { object: 'table', hasWhere: true };
 * ```
 */
export interface StatementExtras {
  object?: string;
  hasWhere?: boolean;
  program?: boolean;
  file?: string;
  /** The statement's own classes, replacing those of its verb (functions still add theirs). */
  classes?: readonly SqlClass[];
}

/**
 * Thrown inside an analyser to stop with a specific, user-facing reason; sqlFacet turns it into
 * `parsed: false`. Never escapes the facet.
 *
 * @example
 * ```ts
 * throw new SqlAnalysisError('more than 1000 statements; split the input');
 * ```
 */
export class SqlAnalysisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlAnalysisError';
  }
}

/**
 * Collects statements with their tables and functions. A table or function seen inside a nested
 * statement also belongs to every statement around it.
 *
 * @example
 * ```ts
 * const c = new StatementCollector('postgresql');
 * const s = c.open('SELECT', -1);
 * c.table(s, 'Users', 14);
 * c.finish(); // [{ verb: 'SELECT', tables: ['users'], classes: ['read'], ... }]
 * ```
 */
export class StatementCollector {
  readonly #drafts: Draft[] = [];
  readonly #calls: CallRef[] = [];
  readonly #dialect: SqlDialect;
  readonly #classify: boolean;
  /** Classifications made for this input (a name recurs across statements and calls). */
  readonly #known = new Map<string, FunctionClass>();

  /** `dialect` decides how function names are classified; `classify: false` skips that (bench only). */
  constructor(dialect: SqlDialect, classify = true) {
    this.#dialect = dialect;
    this.#classify = classify;
  }

  /** Number of statements opened so far. */
  get size(): number {
    return this.#drafts.length;
  }

  /** Opens a statement; `parent` is -1 for a top-level one. Returns its index. */
  open(verb: string, parent: number, extras: StatementExtras = {}): number {
    if (this.#drafts.length >= SQL_MAX_STATEMENTS) {
      throw new SqlAnalysisError(`more than ${SQL_MAX_STATEMENTS} statements; split the input`);
    }
    const index = this.#drafts.length;
    this.#drafts.push({
      verb,
      object: extras.object ?? '',
      hasWhere: extras.hasWhere ?? false,
      program: extras.program ?? false,
      file: extras.file ?? '',
      parent,
      tables: [],
      functions: [],
      hints: new Set(),
      classes: extras.classes,
    });
    // invariant: a statement that writes through a nested statement is never reported as SELECT.
    if (DATA_WRITE_VERBS.has(verb)) {
      for (let p = parent; p >= 0; ) {
        const d = this.#drafts[p];
        if (!d) break;
        if (d.verb === 'SELECT') d.verb = verb;
        p = d.parent;
      }
    }
    return index;
  }

  /** Replaces the verb of statement `index` (e.g. a SELECT found to write a file). */
  setVerb(index: number, verb: string, extras: StatementExtras = {}): void {
    const d = this.#drafts[index];
    if (!d) return;
    d.verb = verb;
    if (extras.object !== undefined) d.object = extras.object;
    if (extras.file !== undefined) d.file = extras.file;
    if (extras.program !== undefined) d.program = extras.program;
  }

  /** Records a table read or written by statement `index` and its enclosing statements. */
  table(index: number, name: string, pos: number): void {
    if (name === '') return;
    for (let p = index; p >= 0; ) {
      const d = this.#drafts[p];
      if (!d) break;
      d.tables.push({ name, pos });
      p = d.parent;
    }
  }

  /** Adds a class to statement `index` (and so to the statements around it). */
  addClass(index: number, cls: SqlClass): void {
    this.#drafts[index]?.hints.add(cls);
  }

  /**
   * Records a function called by statement `index` and its enclosing statements, with its
   * arguments: the text of each literal (string or number), null for anything else.
   */
  func(index: number, name: string, pos: number, args: Array<string | null> = []): void {
    if (name === '') return;
    if (this.#drafts[index]) this.#calls.push({ name: name.toLowerCase(), pos, args });
    for (let p = index; p >= 0; ) {
      const d = this.#drafts[p];
      if (!d) break;
      d.functions.push({ name, pos });
      p = d.parent;
    }
  }

  /** The facts, each statement's names in source order, lower-cased and deduplicated. */
  finish(): SqlStatementFacts[] {
    if (!this.#classify) return this.#drafts.map((d) => this.#facts(d, []));
    // Classes as bit masks (one bit per class, in SQL_CLASSES order): this runs on every input.
    const masks = this.#drafts.map((d) => {
      let mask = 0;
      for (const c of d.classes ?? verbClasses(d)) mask |= CLASS_BIT[c];
      for (const h of d.hints) mask |= CLASS_BIT[h];
      for (const f of d.functions) mask |= CLASS_BIT[this.#classOf(f.name.toLowerCase()).class];
      return mask;
    });
    // invariant: a statement has every class of the statements nested in it (children come later).
    for (let i = this.#drafts.length - 1; i >= 0; i--) {
      const parent = (this.#drafts[i] as Draft).parent;
      if (parent >= 0) masks[parent] = (masks[parent] as number) | (masks[i] as number);
    }
    return this.#drafts.map((d, i) => this.#facts(d, classList(masks[i] as number)));
  }

  #facts(d: Draft, classes: SqlClass[]): SqlStatementFacts {
    return {
      verb: d.verb,
      tables: orderedNames(d.tables),
      functions: orderedNames(d.functions),
      hasWhere: d.hasWhere,
      object: d.object,
      program: d.program,
      file: d.file,
      nested: d.parent >= 0,
      classes,
    };
  }

  /** Every function call, in source order, each distinct call (name and arguments) once. */
  calls(): SqlCallFacts[] {
    if (!this.#classify) return [];
    const sorted = this.#calls.length > 1 ? this.#calls.slice().sort((a, b) => a.pos - b.pos) : this.#calls;
    const seen = new Set<string>();
    const out: SqlCallFacts[] = [];
    for (const c of sorted) {
      let key = c.name;
      for (const a of c.args) key += a === null ? '\u0000n' : '\u0000s' + a;
      if (seen.has(key)) continue;
      seen.add(key);
      const k = this.#classOf(c.name);
      out.push({ name: c.name, args: c.args, class: k.class, known: k.known, reason: k.reason });
    }
    return out;
  }

  #classOf(name: string): FunctionClass {
    let k = this.#known.get(name);
    if (k === undefined) {
      k = classifyFunction(this.#dialect, name);
      this.#known.set(name, k);
    }
    return k;
  }
}

const CLASS_BIT = Object.fromEntries(SQL_CLASSES.map((c, i) => [c, 1 << i])) as Record<SqlClass, number>;

/** The classes of a mask, in SQL_CLASSES order. */
function classList(mask: number): SqlClass[] {
  const out: SqlClass[] = [];
  for (let i = 0; i < SQL_CLASSES.length; i++) if (mask & (1 << i)) out.push(SQL_CLASSES[i] as SqlClass);
  return out;
}

function orderedNames(refs: Ref[]): string[] {
  // Array.prototype.sort is stable, so refs at the same position keep the order they were seen in.
  const sorted = refs.slice().sort((a, b) => a.pos - b.pos);
  return uniqueInOrder(sorted.map((r) => r.name.toLowerCase()));
}

/**
 * The distinct strings of `items`, in the order each first appears.
 *
 * @example
 * ```ts
 * uniqueInOrder(['a', 'b', 'a']); // ['a', 'b']
 * ```
 */
export function uniqueInOrder(items: Iterable<string>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const item of items) {
    if (!seen.has(item)) {
      seen.add(item);
      out.push(item);
    }
  }
  return out;
}
