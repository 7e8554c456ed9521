/** Problems found in policy sources, with where they are and what to do. */
import { WardenError } from '../errors.js';

/** One problem in a policy source. */
export interface PolicyIssue {
  severity: 'error' | 'warning';
  /** Stable code: `unknown_key`, `wrong_type`, `duplicate_rule`, `cel_syntax`, ... */
  code: string;
  file: string;
  line: number;
  col: number;
  message: string;
}

/**
 * Formats an issue as `file:line:col: severity[code]: message`.
 *
 * @example
 * ```ts
 * formatIssue({ severity: 'error', code: 'unknown_key', file: 'p.yaml', line: 3, col: 5, message: 'unknown key "whne"' });
 * // 'p.yaml:3:5: error[unknown_key]: unknown key "whne"'
 * ```
 */
export function formatIssue(issue: PolicyIssue): string {
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.severity}[${issue.code}]: ${issue.message}`;
}

/**
 * Thrown when policy sources do not load. Nothing of a policy that fails to load is applied.
 *
 * @example
 * ```ts
 * try { compilePolicy([{ name: 'p.yaml', text }]); }
 * catch (e) { if (e instanceof PolicyLoadError) for (const i of e.issues) console.error(formatIssue(i)); }
 * ```
 */
export class PolicyLoadError extends WardenError {
  readonly issues: PolicyIssue[];

  constructor(issues: PolicyIssue[]) {
    const errors = issues.filter((i) => i.severity === 'error');
    const shown = errors.slice(0, 20).map(formatIssue).join('\n');
    const more = errors.length > 20 ? `\n... and ${errors.length - 20} more` : '';
    super('ERR_POLICY_LOAD', `Policy failed to load (${errors.length} error${errors.length === 1 ? '' : 's'}); nothing of it was applied:\n${shown}${more}`);
    this.name = 'PolicyLoadError';
    this.issues = issues;
  }
}
