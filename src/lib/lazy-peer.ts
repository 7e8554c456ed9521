/**
 * Optional peer dependencies (the libraries an adapter wraps: `@langchain/core`, the MCP SDK,
 * prom-client) loaded the first time a function needs them, not when the adapter's subpath is
 * imported. Importing `@langchain/core` or the MCP SDK costs several hundred milliseconds in a
 * fresh process; an application that uses the adapter has loaded them already and pays nothing
 * more, and one that only imports the subpath (a CLI listing commands, a bundle's type check)
 * does not pay for them at all.
 *
 * The peer is resolved as an ES module import would resolve it (`import.meta.resolve`, the
 * "import" condition) and loaded with `require()` of that file (synchronous since Node 22.12), so
 * it is the same module instance the application imports: `instanceof` and class identity hold
 * (a plain `require('@langchain/core/tools')` would load the CommonJS build, a second copy).
 *
 * A peer that cannot be loaded throws `ERR_MISSING_DEPENDENCY` on every ask (nothing is cached),
 * so whatever needed it fails: no governed tool is made, no call runs.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { WardenError } from '../errors.js';

/** Made on first use: createRequire() at import would cost every importer the CommonJS loader's setup. */
let requireHere: NodeJS.Require | undefined;

/**
 * A getter for the peer module `specifier`, loaded on the first call and the same object after.
 * `install` is what the error tells the user to install when it is missing; `missing`, when given,
 * is the whole message for a peer that is not installed (one that is installed but fails to load
 * is always reported with its own error).
 *
 * @example
 * ```ts
 * const tools = lazyPeer<typeof import('@langchain/core/tools')>('@langchain/core/tools', '@langchain/core');
 * new (tools().DynamicTool)({ name: 'x', description: 'x', func: async () => '' });
 * ```
 * @throws WardenError `ERR_MISSING_DEPENDENCY` (from the getter) when the peer is not installed or fails to load.
 */
export function lazyPeer<T>(specifier: string, install: string, missing?: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= loadPeer(specifier, install, missing) as T);
}

/**
 * Loads the peer module `specifier` now (see {@link lazyPeer}), as the same instance an `import` of it gives.
 *
 * @example
 * ```ts
 * const { Server } = loadPeer('@modelcontextprotocol/sdk/server/index.js', '@modelcontextprotocol/sdk zod') as typeof import('@modelcontextprotocol/sdk/server/index.js');
 * ```
 * @throws WardenError `ERR_MISSING_DEPENDENCY` when the peer is not installed or fails to load.
 */
export function loadPeer(specifier: string, install: string, missing?: string): unknown {
  try {
    return (requireHere ??= createRequire(import.meta.url))(fileURLToPath(import.meta.resolve(specifier))) as unknown;
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    const notInstalled = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && missing !== undefined;
    const message = notInstalled
      ? missing
      : `This feature needs ${specifier}, which could not be loaded (${e instanceof Error ? e.message.split('\n')[0] : String(e)}). Install it beside agent-warden: npm install ${install}`;
    throw new WardenError('ERR_MISSING_DEPENDENCY', message, { cause: e });
  }
}
