/**
 * A position in a policy source. Its own module, free of the YAML parser's types, so the public
 * declarations that carry positions (rules, issues, plans) need nothing but Warden's own.
 */

/**
 * A position in a source file (1-based).
 *
 * @example
 * ```ts
 * const pos: SourcePos = { file: '.warden/policy.yaml', line: 12, col: 5 };
 * ```
 */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}
