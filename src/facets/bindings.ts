/**
 * The `facets:` section of a policy document: which tools' arguments feed which facet.
 *
 * ```yaml
 * facets:
 *   - tools: [query_db, "pg_*"]
 *     sql: { from: args.query, dialect: postgresql }
 *   - tools: [bash]
 *     shell: { from: args.command }
 *   - tools: [read_file, write_file]
 *     path: { from: args.path, root: /workspace }
 *   - tools: [kubectl]
 *     k8s: { from: args.command }
 * ```
 */
import type { SqlDialect } from './sql.js';

/** Facets that are bound to tools (URLs need no binding: every argument is scanned). */
export const BOUND_FACETS = ['sql', 'shell', 'path', 'k8s'] as const;
export type BoundFacet = (typeof BOUND_FACETS)[number];

/** Binding kinds a `facets:` entry may name: the bound facets, and `prose` (arguments that are text, not targets). */
export const BINDING_KINDS = [...BOUND_FACETS, 'prose'] as const;
export type BindingKind = (typeof BINDING_KINDS)[number];

/** What a tool does with the path a path binding reads. */
export const PATH_ACCESS = ['read', 'write', 'delete'] as const;
export type PathAccessMode = (typeof PATH_ACCESS)[number];

/**
 * A value taken from the request: a fixed absolute path, or a reference to a request field
 * (`context.cwd`, `args.cwd`) read per decision.
 */
export type RequestValue = { kind: 'literal'; value: string } | { kind: 'field'; text: string; root: 'context' | 'args'; keys: string[] };

/** Where a facet reads its input: a path of keys into `args`. */
export interface ArgPath {
  text: string;
  keys: string[];
}

/** One facet binding, validated. */
export type FacetBinding = {
  tools: string[];
  /** Where the binding is written (file and 1-based line and column). */
  pos: { file: string; line: number; col: number };
  from: ArgPath;
} & (
  | { facet: 'sql'; dialect: SqlDialect }
  | {
      facet: 'shell';
      /** The working directory relative paths resolve against, for `effects`; unknown when absent. */
      cwd?: RequestValue;
      /** The home directory `~` resolves against, for `effects`; unknown when absent. */
      home?: string;
      /**
       * Follow symlinks in the paths the line reads, writes and deletes (with the compile
       * options' resolver): `echo x > link/x` through a link out of the project also writes where
       * the link points. Set by host bindings whose paths are this machine's (the Claude Code hook).
       */
      realpath?: boolean;
    }
  | {
      facet: 'path';
      root: string;
      realpath: boolean;
      home?: string;
      windows: boolean;
      /**
       * What the tool does with the path, for `effects`. Absent means every access (read, write
       * and delete): a tool whose binding does not say what it does is taken at its most dangerous.
       */
      access?: PathAccessMode[];
      /** The tool acts on everything under the path (a search, a directory listing). */
      recursive?: boolean;
      /** The path the tool uses when the argument is absent (`.` for a search of the root). */
      default?: string;
    }
  | { facet: 'k8s'; verb?: string; defaultNamespace?: string }
  /** Arguments that are text for people or content the tool stores, not targets: not read for network destinations in `effects`. */
  | { facet: 'prose'; also: ArgPath[] }
);

/** The option keys each binding kind accepts. */
export const BINDING_OPTION_KEYS: Record<BindingKind, readonly string[]> = {
  sql: ['from', 'dialect'],
  shell: ['from', 'cwd', 'home'],
  path: ['from', 'root', 'realpath', 'home', 'windows', 'access', 'recursive', 'default'],
  k8s: ['from', 'verb', 'defaultNamespace'],
  prose: ['from'],
};

/**
 * `context.cwd` / `args.cwd` to a field reference, an absolute path to a literal; null otherwise.
 *
 * @example
 * ```ts
 * parseRequestValue('context.cwd'); // { kind: 'field', root: 'context', keys: ['cwd'], ... }
 * ```
 */
export function parseRequestValue(text: string): RequestValue | null {
  if (text.startsWith('/')) return { kind: 'literal', value: text };
  const m = /^(context|args)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)$/.exec(text.trim());
  if (m === null) return null;
  const keys = (m[2] as string).slice(1).split('.');
  return keys.length <= 16 ? { kind: 'field', text, root: m[1] as 'context' | 'args', keys } : null;
}

/** `args.a.b` (also `args["a-b"]`) to its keys; null when it is not such a path. */
export function parseArgPath(text: string): ArgPath | null {
  const keys: string[] = [];
  let rest = text.trim();
  if (!rest.startsWith('args')) return null;
  rest = rest.slice(4);
  while (rest.length > 0) {
    let m = /^\.([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
    if (!m) m = /^\[\s*'([^'\\]*)'\s*\]/.exec(rest) ?? /^\[\s*"([^"\\]*)"\s*\]/.exec(rest);
    if (!m) return null;
    keys.push(m[1] as string);
    rest = rest.slice(m[0].length);
  }
  return keys.length > 0 && keys.length <= 16 ? { text, keys } : null;
}
