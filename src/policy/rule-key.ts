/**
 * The key of a rule across policy sets and source views: its policy's name and its own. In a file
 * of its own so the policy diff (agent-warden/lint) does not load the source reader and its YAML
 * parser to make one.
 */

/**
 * The key of rule `rule` of policy `policy`.
 *
 * @example
 * ```ts
 * ruleKey('payments', 'small-refunds'); // 'payments\u0000small-refunds'
 * ```
 */
export function ruleKey(policy: string, rule: string): string {
  return `${policy}\u0000${rule}`;
}
