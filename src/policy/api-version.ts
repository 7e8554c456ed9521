/**
 * The `apiVersion` of Warden's documents, in a module of its own: the package's public
 * declarations then need no YAML parser types.
 */

/**
 * The apiVersion the policy reader reads.
 *
 * @example
 * ```ts
 * API_VERSION; // 'warden/v1'
 * ```
 */
export const API_VERSION = 'warden/v1';
