/**
 * Modules that load the first time a synchronous function needs them. The decision and
 * `compilePolicy()` are synchronous, so a part they may never use (the shell facet with its bash
 * parser, the URL facet with the public-suffix list) cannot wait behind an `await import()`; it is
 * loaded with `require()` of the ES module instead (synchronous since Node 22.12, for modules
 * without top-level await), once, when first asked for.
 *
 * Where the module is: in the package build (scripts/build.mjs) each lazy module is an entry of
 * its own named `lazy-<path with dashes>.js` in the same folder as this file's chunk, importing the
 * same shared chunks (one instance of every class); a build that ran tsc file by file, or Node
 * running the TypeScript sources itself, has it at its source path; the test runner, which
 * transforms the sources its own way, is given each one ({@link provideLazyModule}).
 * The list is scripts/lazy-modules.json.
 *
 * A module that cannot be loaded throws `ERR_MODULE_LOAD` on every ask (nothing is cached), so
 * whatever needed it fails closed: the facet engine turns the throw into an evaluation error, and
 * the decision denies.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { WardenError } from '../errors.js';

/** Defined by scripts/build.mjs in the package build: the lazy modules are entries next to this file's chunk. */
declare const __WARDEN_LAZY_ENTRIES__: boolean | undefined;

const provided = new Map<string, unknown>();

/**
 * Hands over an already loaded module for `name`, for a process that runs the TypeScript
 * sources (the test runner), where neither the build's entries nor compiled files exist.
 *
 * @example
 * ```ts
 * provideLazyModule('facets/shell', shellNamespace); // what `await import()` of src/facets/shell.ts gave
 * ```
 */
export function provideLazyModule(name: string, namespace: object): void {
  provided.set(name, namespace);
}

/**
 * Where the module `name` is, for this build of the package (what {@link lazyModule} requires).
 *
 * @example
 * ```ts
 * lazyModuleUrl('facets/shell').href; // file:///.../dist/chunks/lazy-facets-shell.js in the package build
 * ```
 */
export function lazyModuleUrl(name: string): URL {
  return typeof __WARDEN_LAZY_ENTRIES__ === 'boolean' && __WARDEN_LAZY_ENTRIES__ ? new URL(`./lazy-${name.replaceAll('/', '-')}.js`, import.meta.url) : new URL(`../${name}${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
}

/**
 * A getter for the module at `src/<name>.ts`, loaded on the first call and the same object after.
 * `name` must be listed in scripts/lazy-modules.json (a test checks it).
 *
 * @example
 * ```ts
 * // in src/facets/runtime.ts:
 * const shell = lazyModule<typeof import('./shell.js')>('facets/shell');
 * shell().shellFacet('ls'); // loads the shell facet now, not when this file was imported
 * ```
 * @throws WardenError `ERR_MODULE_LOAD` (from the getter) when the module's file is missing or fails to load.
 */
export function lazyModule<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load(name) as T);
}

function load(name: string): unknown {
  const given = provided.get(name);
  if (given !== undefined) return given;
  const url = lazyModuleUrl(name);
  try {
    return createRequire(import.meta.url)(fileURLToPath(url)) as unknown;
  } catch (e) {
    throw new WardenError('ERR_MODULE_LOAD', `Warden could not load its ${name} module (${fileURLToPath(url)}): ${e instanceof Error ? e.message.split('\n')[0] : String(e)}. The install is incomplete or damaged; reinstall agent-warden.`, { cause: e });
  }
}
