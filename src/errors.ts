/**
 * Errors with stable codes a caller can switch on.
 *
 * @example
 * ```ts
 * try { await loadPolicyFiles(['policy.yaml']); }
 * catch (e) { if (e instanceof WardenError && e.code === 'ERR_POLICY_LOAD') console.error(e.message); }
 * ```
 */
export class WardenError extends Error {
  /** Stable, machine-readable code (`ERR_...`). */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WardenError';
    this.code = code;
  }
}
