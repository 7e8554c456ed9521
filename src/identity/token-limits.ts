/**
 * The token size limit, in a file of its own: the decision service's authenticator reads it on
 * every request, and a service with static tokens only should not load the JWT verifier (and jose)
 * to get a number.
 */

/**
 * Longest token read.
 *
 * @example
 * ```ts
 * if (token.length > MAX_TOKEN_LENGTH) throw new Error('token too long');
 * ```
 */
export const MAX_TOKEN_LENGTH = 16 * 1024;
