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
  | { facet: 'shell' }
  | { facet: 'path'; root: string; realpath: boolean; home?: string; windows: boolean }
  | { facet: 'k8s'; verb?: string; defaultNamespace?: string }
);

/** The option keys each facet binding accepts. */
export const BINDING_OPTION_KEYS: Record<BoundFacet, readonly string[]> = {
  sql: ['from', 'dialect'],
  shell: ['from'],
  path: ['from', 'root', 'realpath', 'home', 'windows'],
  k8s: ['from', 'verb', 'defaultNamespace'],
};

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
