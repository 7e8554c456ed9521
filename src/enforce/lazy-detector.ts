/**
 * The argument detector loadPolicyFiles() injects, loaded only when a policy reads `detect`: the
 * detectors compile their rule tables on load, which a policy that never reads them should not pay
 * for (the Claude Code hook's PreToolUse is a short-lived process).
 */
import type { ArgumentDetector } from '../facets/types.js';

let loaded: ArgumentDetector | null = null;

/**
 * Scans arguments with agent-warden/detect's `argumentDetector` once {@link loadDetector} has
 * run; before that it throws, so the `detect` variable is an error (deny rules apply).
 *
 * @example
 * ```ts
 * await loadDetector();
 * lazyDetector({ body: 'hello' }); // { injection: { detected: false, ... }, ... }
 * ```
 */
export const lazyDetector: ArgumentDetector = (args) => {
  if (loaded === null) throw new Error('the argument detector was not loaded');
  return loaded(args);
};

/**
 * Loads the argument detector for {@link lazyDetector} (once per process).
 *
 * @example
 * ```ts
 * if (staged.readsDetect) await loadDetector();
 * ```
 */
export async function loadDetector(): Promise<void> {
  loaded ??= (await import('../detect/arguments.js')).argumentDetector;
}
