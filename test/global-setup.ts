/**
 * Builds the CLI once for the whole test run, into a private temp dir (never dist/), and hands
 * its path to every test file through `inject('wardenCli')`. Removed when the run ends, when it
 * also checks that no test wrote into the checkout.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of the built CLI's main.js. */
    wardenCli: string;
  }
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export default function setup(project: TestProject): () => void {
  // Tests never write into the checkout: whatever appears at its top level during the run is a failure.
  const before = new Set(readdirSync(ROOT));
  const build = mkdtempSync(join(tmpdir(), 'warden-cli-build-'));
  // The built CLI resolves its dependencies and the demo policy relative to itself.
  symlinkSync(join(ROOT, 'node_modules'), join(build, 'node_modules'), 'dir');
  symlinkSync(join(ROOT, 'examples'), join(build, 'examples'), 'dir');
  copyFileSync(join(ROOT, 'package.json'), join(build, 'package.json'));
  // The package build (scripts/build.mjs, as `npm run build`) without the declaration files; the
  // metafiles beside dist/ say which sources each output holds (test/cli/lazy-loading.test.ts).
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--no-types', '--out', join(build, 'dist'), '--metafile', join(build, 'meta.json')], { cwd: ROOT, encoding: 'utf8' });
  const main = join(build, 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`the CLI did not build (${main} is missing):\n${r.stdout}${r.stderr}`);
  project.provide('wardenCli', main);
  return () => {
    rmSync(build, { recursive: true, force: true });
    const added = readdirSync(ROOT).filter((name) => !before.has(name));
    if (added.length > 0) throw new Error(`tests wrote into the checkout: ${added.join(', ')} appeared in ${ROOT}; write under a temporary directory instead`);
  };
}
