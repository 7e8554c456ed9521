/**
 * The constants of the test-case formats, in a module of their own: the public declarations of
 * `agent-warden/testing` then need no YAML parser types.
 */
import type { Effect } from '../decision.js';

/**
 * The `kind` of a test document.
 *
 * @example
 * ```ts
 * POLICY_TEST_KIND; // 'PolicyTest'
 * ```
 */
export const POLICY_TEST_KIND = 'PolicyTest';

/**
 * The verdicts an AGT fixture may expect.
 *
 * @example
 * ```ts
 * AGT_VERDICTS.includes('log'); // true
 * ```
 */
export const AGT_VERDICTS = ['allow', 'deny', 'require_approval', 'warn', 'log'] as const;

/**
 * An AGT verdict.
 *
 * @example
 * ```ts
 * const v: AgtVerdict = 'log';
 * ```
 */
export type AgtVerdict = (typeof AGT_VERDICTS)[number];

/**
 * The Warden effect an AGT verdict expects: `log` lets the call through (and records it) in that
 * toolkit, so it is expected as `allow`.
 *
 * @example
 * ```ts
 * AGT_VERDICT_EFFECT.log; // 'allow'
 * ```
 */
export const AGT_VERDICT_EFFECT: Readonly<Record<AgtVerdict, Effect>> = Object.freeze({
  allow: 'allow',
  deny: 'deny',
  require_approval: 'require_approval',
  warn: 'warn',
  log: 'allow',
});
