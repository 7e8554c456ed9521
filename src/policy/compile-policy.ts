/**
 * `compilePolicy` as the package root exports it: the compiler (the YAML reader, document
 * validation, cel-js) loads with the first call, not with `import('agent-warden')`, so an
 * application that imports Warden for its types, its audit log or a compiled-policy cache hit does
 * not pay for it. Synchronous like the compiler itself (src/lib/lazy-module.ts).
 */
import type * as Compiler from './compile.js';
import type { PolicySet } from './policy-set.js';
import { lazyModule } from '../lib/lazy-module.js';

const compiler = lazyModule<typeof Compiler>('policy/compile');

/**
 * Compiles policy sources into an immutable PolicySet.
 *
 * @example
 * ```ts
 * const set = compilePolicy([{ name: 'policy.yaml', text: fs.readFileSync('policy.yaml', 'utf8') }]);
 * set.decide({ tool: 'read_file', args: {} });
 * ```
 * @throws PolicyLoadError listing every error with file:line:col.
 * @throws WardenError `ERR_MODULE_LOAD` when the compiler's own files cannot be loaded (a broken install); no set is made.
 */
export function compilePolicy(sources: readonly Compiler.PolicySource[], options?: Compiler.CompileOptions | null): PolicySet {
  return compiler().compilePolicy(sources, options);
}
