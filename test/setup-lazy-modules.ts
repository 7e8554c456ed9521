/**
 * Tests run the TypeScript sources, where the modules src/lib/lazy-module.ts loads with require()
 * on first use have no file it could require (the package build makes them entries; see
 * scripts/build.mjs). Each test file gets them loaded through the test runner instead, the same
 * instances the rest of the sources import. The lazy loading itself is tested on the built
 * package (test/cli/lazy-loading.test.ts, test/lib/lazy-module.test.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { provideLazyModule } from '../src/lib/lazy-module.js';

const { modules } = JSON.parse(readFileSync(new URL('../scripts/lazy-modules.json', import.meta.url), 'utf8')) as { modules: string[] };
const src = fileURLToPath(new URL('../src/', import.meta.url));
for (const name of modules) provideLazyModule(name, (await import(/* @vite-ignore */ `${src}${name}.ts`)) as object);
