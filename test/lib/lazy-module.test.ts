/**
 * src/lib/lazy-module.ts in the sources: the modules it loads are the instances the rest of the
 * code imports, a module it cannot load is ERR_MODULE_LOAD every time, and every name the sources
 * ask for is one the build makes an entry of. The built package (require() of the entries, and what
 * each subpath loads) is tested in test/cli/lazy-loading.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lazyModule } from '../../src/lib/lazy-module.js';
import * as shell from '../../src/facets/shell.js';
import * as cel from '../../src/policy/cel.js';
import { WardenError } from '../../src/errors.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LISTED = (JSON.parse(readFileSync(join(ROOT, 'scripts', 'lazy-modules.json'), 'utf8')) as { modules: string[] }).modules;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('lazyModule', () => {
  it('gives the same module instance the sources import', () => {
    expect(lazyModule<typeof shell>('facets/shell')()).toBe(shell);
    expect(lazyModule<typeof cel>('policy/cel')().ConditionCompiler).toBe(cel.ConditionCompiler);
  });

  it('throws ERR_MODULE_LOAD naming the module when it cannot be loaded, on every call', () => {
    const missing = lazyModule<object>('facets/no-such-module');
    for (let i = 0; i < 2; i++) {
      let thrown: unknown;
      try {
        missing();
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(WardenError);
      expect((thrown as WardenError).code).toBe('ERR_MODULE_LOAD');
      expect((thrown as WardenError).message).toContain('facets/no-such-module');
    }
  });

  it('is asked only for modules scripts/lazy-modules.json lists, each with a source file', () => {
    const asked = new Map<string, string[]>();
    for (const file of sources(join(ROOT, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/lazyModule<[^>]*>\('([^']+)'\)/g)) asked.set(m[1] as string, [...(asked.get(m[1] as string) ?? []), relative(ROOT, file)]);
    }
    // The scanner sees the call sites (not blind).
    expect(asked.get('facets/shell')).toContain('src/facets/runtime.ts');
    for (const [name, files] of asked) expect(LISTED, `${files.join(', ')} ask for ${name}`).toContain(name);
    for (const name of LISTED) expect(existsSync(join(ROOT, 'src', `${name}.ts`)), name).toBe(true);
  });
});
