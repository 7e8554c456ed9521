/**
 * The shape of an adversarial corpus case: a request to a shipped policy and the decision the
 * policy's stated intent calls for. `allow` cases are benign (they measure false denies); `deny`
 * and `ask` cases are attacks (an `allow` or `warn` for one is an escape).
 */
export type Expected = 'allow' | 'deny' | 'ask';

export interface CorpusCase {
  /** The attack family (issue 10 and THREATS.md), or `benign`. */
  family: string;
  tool: string;
  args: Record<string, unknown>;
  expect: Expected;
  /** The session's directory, for the Claude Code starter (`$P` is the project, `$H` the home). */
  cwd?: string;
}

/** Shorthand for a table row: `[family, tool, args, expect]`. */
export type Row = [family: string, tool: string, args: Record<string, unknown>, expect: Expected, cwd?: string];

export function rows(list: readonly Row[]): CorpusCase[] {
  return list.map(([family, tool, args, expect, cwd]) => ({ family, tool, args, expect, ...(cwd !== undefined ? { cwd } : {}) }));
}
