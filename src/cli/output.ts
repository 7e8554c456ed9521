/** Shared CLI plumbing: exit codes, printing decisions and load errors. */
import { PolicyLoadError, formatIssue } from '../policy/issues.js';
import type { Decision } from '../decision.js';

/** Exit codes of every command. */
export const EXIT = Object.freeze({ ok: 0, denied: 1, invalid: 2 });

/** A plain-language label for an effect. */
export function effectLabel(effect: string): string {
  return { allow: 'ALLOW', deny: 'DENY', require_approval: 'APPROVAL REQUIRED', warn: 'WARN' }[effect] ?? effect.toUpperCase();
}

/** Prints one decision for a person. */
export function printDecision(tool: string, d: Decision, out: (s: string) => void = console.log): void {
  out(`${effectLabel(d.effect)}  ${tool}`);
  out(`  rule:    ${d.rule === null ? '(none: the default applied)' : `${d.rule} (policy ${d.policy ?? '?'})`}`);
  out(`  reason:  ${d.reason}`);
  if (d.approvers.length > 0) out(`  approvers: ${d.approvers.join(', ')}`);
  for (const e of d.errors) out(`  error:   [${e.code}]${e.rule ? ` rule ${e.rule}:` : ''} ${e.message}`);
  out(`  policy digest: ${d.policyDigest}`);
}

/** True when the decision refused a malformed request. */
export function isInvalidRequest(d: Decision): boolean {
  return d.reason === 'invalid_request';
}

/**
 * Reports an error that stops a command: a policy that does not load (every issue, with
 * file:line:col) or anything else; returns the exit code to use.
 */
export function reportFatal(e: unknown): number {
  if (e instanceof PolicyLoadError) {
    for (const i of e.issues) console.error(formatIssue(i));
    const n = e.issues.filter((i) => i.severity === 'error').length;
    console.error(`\nThe policy did not load (${n} error${n === 1 ? '' : 's'}); nothing was decided. Fix the errors above and run again (warden lint shows them too).`);
    return EXIT.invalid;
  }
  console.error(`warden: ${e instanceof Error ? e.message : String(e)}`);
  return EXIT.invalid;
}
