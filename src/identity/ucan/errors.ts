/** UCAN validation errors, named as the UCAN 1.0 specification and its fixtures name them. */

/**
 * The names a failed UCAN validation carries.
 *
 * @example
 * ```ts
 * const name: UcanErrorName = 'InvalidAudience';
 * ```
 */
export type UcanErrorName = 'InvalidClaim' | 'UnavailableProof' | 'Expired' | 'TooEarly' | 'InvalidAudience' | 'InvalidSubject' | 'InvalidSignature' | 'MatchError';

/**
 * A UCAN that did not validate. Builders throw it; `verifyUcanInvocation` returns its name and
 * message instead of throwing.
 *
 * @example
 * ```ts
 * try { delegateUcan(me, options); } catch (e) { if (e instanceof UcanError) console.log(e.name, e.message); }
 * ```
 */
export class UcanError extends Error {
  override readonly name: UcanErrorName;

  constructor(name: UcanErrorName, message: string) {
    super(message);
    this.name = name;
  }
}
