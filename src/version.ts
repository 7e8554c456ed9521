/** The package version, kept in step with package.json. */
export const VERSION = '0.1.0';

/** Replaced by scripts/build.mjs with a digest of the sources and the locked dependencies. */
declare const __WARDEN_BUILD_ID__: string | undefined;

/**
 * Which build of Warden this is: a digest of the sources and the locked dependency versions that
 * the package build bundled (two builds of one version differ when their code does), or
 * `unbundled` when running from the TypeScript sources. The compiled-policy cache keys on it.
 *
 * @example
 * ```ts
 * BUILD_ID; // '3f2a9c0d1e2b4a5c' in a built package, 'unbundled' under vitest
 * ```
 */
export const BUILD_ID: string = typeof __WARDEN_BUILD_ID__ === 'string' ? __WARDEN_BUILD_ID__ : 'unbundled';
