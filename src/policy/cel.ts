/**
 * The CEL environment of policy conditions: declared variables, Warden's functions, and the
 * static checks a condition must pass before it is compiled.
 */
import { Environment } from '@marcbachmann/cel-js';
import type { RE2JS } from 're2js';
import { WardenError } from '../errors.js';
import { checkGlob, compileGlob, type GlobMatcher } from '../lib/glob.js';
import { compileRe2 } from './regex.js';

/** Variables every condition may read, with their CEL types. */
export const CORE_VARIABLES: ReadonlyArray<readonly [string, string]> = [
  ['tool', 'string'],
  ['args', 'map'],
  ['agent', 'map'],
  ['context', 'map'],
  ['now', 'google.protobuf.Timestamp'],
  // The session's accumulated state (labels, calls per tool, history), passed in per decision.
  ['session', 'map'],
  // The flow labels the policy gives the requested tool (reads, ingests, egress, declassifies, known).
  ['flow', 'map'],
  // Runtime state the pipeline's monitors supply (circuit breakers, SLOs); empty maps when none do.
  ['breaker', 'map'],
  ['slo', 'map'],
  // What verified about the plugin or MCP server serving the tool (`context.plugin`, set by the
  // enforcement point that verified it); an empty map when nothing did, so reading it fails.
  ['plugin', 'map'],
];

/** A function a later layer (facets) adds to the environment. */
export interface CelFunction {
  signature: string;
  handler: (...args: never[]) => unknown;
}

/** A variable a later layer (facets) adds to the environment. */
export interface CelVariable {
  name: string;
  type: string;
}

/** Parse-time limits on a condition. */
const LIMITS = { maxAstNodes: 2_000, maxDepth: 64, maxListElements: 1_000, maxMapEntries: 1_000, maxCallArguments: 16 };

/** Most entries a per-policy pattern cache holds; beyond it, patterns are compiled per call. */
const PATTERN_CACHE_LIMIT = 1_000;

/** Comprehension macros: their receiver is iterated. */
const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** Calls that must never run on request data, with what to write instead. */
const BANNED_CALLS: Record<string, string> = {
  matches: 'matches() runs JavaScript\'s backtracking regular-expression engine, which hostile input can stall; write re2(text, pattern) instead (RE2 syntax, linear time)',
};

/** A condition compiled to a closure. */
export type CompiledCondition = (activation: Record<string, unknown>) => unknown;

/** What the static analysis found in a condition. */
export interface ConditionInfo {
  /** Top-level variables the condition reads (`args`, `sql`, ...). */
  variables: Set<string>;
  /** Field paths read, rooted at a variable (`args.path`, `sql.verbs`), longest static prefix. */
  reads: Set<string>;
  /** Field paths tested with has() (`args.path`). */
  guards: Set<string>;
  /** Constant value when the condition reads no variable and evaluates without error. */
  constant?: unknown;
}

/** A problem found while compiling a condition; `offset` is within the expression text. */
export class ConditionError extends WardenError {
  readonly offset: number;
  readonly kind: 'syntax' | 'type' | 'banned' | 'cost' | 'pattern';

  constructor(kind: ConditionError['kind'], message: string, offset: number) {
    super('ERR_CONDITION', message);
    this.kind = kind;
    this.offset = offset;
  }
}

interface AstNode {
  op: string;
  args: unknown;
  start?: number;
  pos?: number;
}

/**
 * Builds a CEL environment for one compiled PolicySet. Pattern caches live in the environment,
 * so nothing is shared between sets.
 *
 * @example
 * ```ts
 * const cel = new ConditionCompiler();
 * const { evaluate } = cel.compile("tool == 'x'");
 * evaluate({ tool: 'x', args: new Map(), agent: new Map(), context: new Map() }); // true
 * ```
 */
export class ConditionCompiler {
  readonly #env: Environment;
  readonly #globs = new Map<string, GlobMatcher>();
  readonly #regexes = new Map<string, RE2JS>();

  constructor(extra: { variables?: readonly CelVariable[]; functions?: readonly CelFunction[] } = {}) {
    let env = new Environment({ limits: LIMITS, homogeneousAggregateLiterals: false });
    for (const [name, type] of CORE_VARIABLES) env = env.registerVariable(name, type);
    for (const v of extra.variables ?? []) env = env.registerVariable(v.name, v.type);
    env = env
      .registerFunction('glob(string, string): bool', (text: string, pattern: string) => this.#glob(pattern).test(text))
      .registerFunction('re2(string, string): bool', (text: string, pattern: string) => this.#regex(pattern).matcher(text).find());
    for (const f of extra.functions ?? []) env = env.registerFunction(f.signature, f.handler as (...a: unknown[]) => unknown);
    this.#env = env;
  }

  /**
   * Parses, type-checks and statically checks `expression`.
   * @throws ConditionError with the offset of the problem.
   */
  compile(expression: string, options?: { anyType?: boolean }): { evaluate: CompiledCondition; info: ConditionInfo } {
    const parsed = this.#parseAndCheck(expression, options);
    const variables = new Set<string>();
    this.#walk(parsed.ast as unknown as AstNode, [], variables);
    const reads = new Set<string>();
    const guards = new Set<string>();
    collectPaths(parsed.ast as unknown as AstNode, [], reads, guards);
    const info: ConditionInfo = { variables, reads, guards };
    if (variables.size === 0) {
      try {
        info.constant = parsed({});
      } catch {
        // A constant expression that errors stays non-constant: it errors at evaluation too.
        info.constant = undefined;
      }
    }
    return { evaluate: parsed as unknown as CompiledCondition, info };
  }

  /**
   * Parses and type-checks a condition that {@link compile} accepted before, under this same build
   * and environment (a verified plan's: see policy/plan.ts), without the static analysis again: the
   * plan carries what it found, and its checks (banned calls, loop costs, literal patterns) passed
   * then. Patterns compile on first use.
   *
   * @example
   * ```ts
   * const evaluate = new ConditionCompiler().compileAnalysed("tool == 'x'");
   * evaluate({ tool: 'x' }); // true
   * ```
   * @throws ConditionError when it no longer parses or type-checks (the rule then fails like one whose condition errors).
   */
  compileAnalysed(expression: string): CompiledCondition {
    return this.#parseAndCheck(expression) as unknown as CompiledCondition;
  }

  #parseAndCheck(expression: string, options?: { anyType?: boolean }): ReturnType<Environment['parse']> {
    let parsed: ReturnType<Environment['parse']>;
    try {
      parsed = this.#env.parse(expression);
    } catch (e) {
      throw new ConditionError('syntax', `CEL syntax error: ${summary(e)}`, offsetOf(e));
    }
    // Checking also fixes the expression's types, so evaluation does not type-check it on every call.
    const checked = parsed.check();
    if (!checked.valid) {
      const err = checked.error;
      throw new ConditionError('type', `CEL type error: ${summary(err)}`, offsetOf(err));
    }
    if (options?.anyType !== true && checked.type !== 'bool' && checked.type !== 'dyn') {
      throw new ConditionError('type', `A condition must be a bool, but this expression is a ${String(checked.type)}; compare it with something (e.g. == 'x').`, 0);
    }
    return parsed;
  }

  #walk(node: AstNode, loopVars: string[], variables: Set<string>): void {
    const { op } = node;
    if (op === 'id') {
      const name = node.args as string;
      if (!loopVars.includes(name)) variables.add(name);
      return;
    }
    if (op === 'value') return;
    if (op === 'in' && loopVars.length > 0) {
      const haystack = (node.args as unknown[])[1];
      if (readsOther(haystack, loopVars)) {
        throw new ConditionError(
          'cost',
          '"in" over request data inside a loop costs the square of the request size; test membership outside the loop, or over a literal list.',
          node.start ?? 0,
        );
      }
    }
    if (op === 'call' || op === 'rcall') {
      const parts = node.args as unknown[];
      const name = parts[0] as string;
      const banned = BANNED_CALLS[name];
      if (banned !== undefined) throw new ConditionError('banned', banned, node.start ?? 0);
      if (op === 'rcall' && COMPREHENSIONS.has(name)) {
        const receiver = parts[1] as AstNode;
        const macroArgs = (parts[2] as AstNode[]) ?? [];
        this.#walk(receiver, loopVars, variables);
        // invariant: an inner loop ranges over data derived only from the outer element, or over a
        // literal of the policy's own (its size is fixed at load), so the total work stays linear
        // in the size of the request.
        const literal = !readsOther(receiver, []);
        if (loopVars.length > 0 && !literal && (!readsAny(receiver, loopVars) || readsOther(receiver, loopVars))) {
          throw new ConditionError(
            'cost',
            `Nested ${name}() iterates over data that does not come from the enclosing loop variable, so its cost grows with the square of the request size; iterate over a field of the outer element, or split the condition.`,
            node.start ?? 0,
          );
        }
        const iter = macroArgs[0];
        const bound = iter && iter.op === 'id' ? [iter.args as string] : [];
        for (const a of macroArgs.slice(1)) this.#walk(a, [...loopVars, ...bound], variables);
        return;
      }
      if ((name === 'glob' || name === 're2') && op === 'call') this.#precompile(name, parts[1] as AstNode[]);
      if ((name === 'pathMatches' || name === 'pathMayMatch') && op === 'call') checkPathCall(parts[1] as AstNode[]);
      for (let i = 1; i < parts.length; i++) this.#walkAny(parts[i], loopVars, variables);
      return;
    }
    this.#walkAny(node.args, loopVars, variables);
  }

  #walkAny(value: unknown, loopVars: string[], variables: Set<string>): void {
    if (Array.isArray(value)) for (const v of value) this.#walkAny(v, loopVars, variables);
    else if (value !== null && typeof value === 'object' && typeof (value as AstNode).op === 'string') {
      this.#walk(value as AstNode, loopVars, variables);
    }
  }

  /** Literal patterns are compiled at load, so a bad one is a load error. */
  #precompile(name: string, callArgs: AstNode[]): void {
    const pattern = callArgs[1];
    if (!pattern || pattern.op !== 'value' || typeof pattern.args !== 'string') return;
    try {
      if (name === 'glob') this.#glob(pattern.args);
      else this.#regex(pattern.args);
    } catch (e) {
      throw new ConditionError('pattern', e instanceof Error ? e.message : String(e), pattern.start ?? 0);
    }
  }

  #glob(pattern: string): GlobMatcher {
    const hit = this.#globs.get(pattern);
    if (hit) return hit;
    const m = compileGlob(pattern);
    if (this.#globs.size < PATTERN_CACHE_LIMIT) this.#globs.set(pattern, m);
    return m;
  }

  #regex(pattern: string): RE2JS {
    const hit = this.#regexes.get(pattern);
    if (hit) return hit;
    const re = compileRe2(pattern);
    if (this.#regexes.size < PATTERN_CACHE_LIMIT) this.#regexes.set(pattern, re);
    return re;
  }
}

const PATH_OPTION_KEYS = new Set(['fold', 'decode']);

/** A literal pattern or options map of pathMatches/pathMayMatch is checked at load, so a typo is a load error. */
function checkPathCall(callArgs: AstNode[]): void {
  const pattern = callArgs[1];
  if (pattern && pattern.op === 'value' && typeof pattern.args === 'string') {
    try {
      // Validated only: the path matcher compiles the pattern its own way when it runs.
      checkGlob(pattern.args);
    } catch (e) {
      throw new ConditionError('pattern', e instanceof Error ? e.message : String(e), pattern.start ?? 0);
    }
  }
  const options = callArgs[2];
  if (!options || options.op !== 'map') return;
  for (const entry of (options.args as AstNode[][]) ?? []) {
    const [key, value] = entry;
    if (key?.op !== 'value' || typeof key.args !== 'string') continue;
    if (!PATH_OPTION_KEYS.has(key.args)) {
      throw new ConditionError('pattern', `Unknown path matching option "${key.args}"; the options are fold and decode.`, key.start ?? 0);
    }
    if (value?.op === 'value' && typeof value.args !== 'boolean') {
      throw new ConditionError('pattern', `Path matching option "${key.args}" must be true or false.`, value.start ?? 0);
    }
  }
}

function readsAny(node: unknown, names: string[]): boolean {
  if (Array.isArray(node)) return node.some((n) => readsAny(n, names));
  if (node === null || typeof node !== 'object') return false;
  const n = node as AstNode;
  if (n.op === 'id') return names.includes(n.args as string);
  return readsAny(n.args, names);
}

/** The static field path of a member chain (`args.a.b`, `args['k']`), or null when it is not one. */
function pathOf(node: AstNode, loopVars: readonly string[]): string | null {
  if (node.op === 'id') {
    const name = node.args as string;
    return loopVars.includes(name) ? null : name;
  }
  if (node.op === '.' || node.op === '[]') {
    const [object, field] = node.args as [AstNode, unknown];
    const base = pathOf(object, loopVars);
    if (base === null) return null;
    if (node.op === '.' && typeof field === 'string') return `${base}.${field}`;
    const index = field as AstNode;
    if (index && index.op === 'value' && typeof index.args === 'string') return `${base}.${index.args}`;
    return base;
  }
  return null;
}

/** Collects every maximal field path a condition reads, and the paths it guards with has(). */
function collectPaths(node: unknown, loopVars: string[], reads: Set<string>, guards: Set<string>): void {
  if (Array.isArray(node)) {
    for (const n of node) collectPaths(n, loopVars, reads, guards);
    return;
  }
  if (node === null || typeof node !== 'object' || typeof (node as AstNode).op !== 'string') return;
  const n = node as AstNode;
  if (n.op === 'id' || n.op === '.' || n.op === '[]') {
    const path = pathOf(n, loopVars);
    if (path !== null) {
      reads.add(path);
      // A dynamic index still reads its own operands.
      if (n.op === '[]') collectPaths((n.args as unknown[])[1], loopVars, reads, guards);
      return;
    }
    collectPaths(n.args, loopVars, reads, guards);
    return;
  }
  if (n.op === 'call' || n.op === 'rcall') {
    const parts = n.args as unknown[];
    const name = parts[0] as string;
    if (n.op === 'call' && name === 'has') {
      const target = (parts[1] as AstNode[])[0];
      const path = target ? pathOf(target, loopVars) : null;
      if (path !== null) guards.add(path);
      return;
    }
    if (n.op === 'rcall' && COMPREHENSIONS.has(name)) {
      collectPaths(parts[1], loopVars, reads, guards);
      const macroArgs = (parts[2] as AstNode[]) ?? [];
      const iter = macroArgs[0];
      const bound = iter && iter.op === 'id' ? [iter.args as string] : [];
      collectPaths(macroArgs.slice(1), [...loopVars, ...bound], reads, guards);
      return;
    }
    for (let i = 1; i < parts.length; i++) collectPaths(parts[i], loopVars, reads, guards);
    return;
  }
  collectPaths(n.args, loopVars, reads, guards);
}

/** True when the node reads a variable other than the loop variables. */
function readsOther(node: unknown, loopVars: string[]): boolean {
  if (Array.isArray(node)) return node.some((n) => readsOther(n, loopVars));
  if (node === null || typeof node !== 'object') return false;
  const n = node as AstNode;
  if (n.op === 'id') return !loopVars.includes(n.args as string);
  return readsOther(n.args, loopVars);
}

function summary(e: unknown): string {
  if (e && typeof e === 'object' && 'summary' in e && typeof e.summary === 'string') return e.summary;
  if (e instanceof Error) return e.message.split('\n')[0] ?? e.message;
  return String(e);
}

function offsetOf(e: unknown): number {
  if (e && typeof e === 'object' && 'range' in e) {
    const r = (e as { range?: { start?: number } }).range;
    if (r && typeof r.start === 'number') return r.start;
  }
  return 0;
}

/** The message of an evaluation error, one line. */
export function evaluationMessage(e: unknown): string {
  return summary(e);
}
