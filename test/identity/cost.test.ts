/**
 * A subpath costs nothing when unused: importing Warden's root entry point loads neither the
 * identity modules nor their dependencies (jose, @ipld/dag-cbor, multiformats, cborg). Checked at
 * run time, on the build the test run made, by recording every module Node resolves.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

function loadedBy(entry: string): string[] {
  const script = `
import { registerHooks } from 'node:module';
const seen = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
await import(${JSON.stringify(pathToFileURL(entry).href)});
process.stdout.write(JSON.stringify(seen));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the import failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

const IDENTITY_DEPS = /\/node_modules\/(jose|@ipld\/dag-cbor|multiformats|cborg)\//;

describe('agent-warden/identity costs nothing when unused', () => {
  const dist = dirname(dirname(inject('wardenCli')));

  it('the root entry point loads no identity module and none of its dependencies', () => {
    const seen = loadedBy(join(dist, 'index.js'));
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.filter((u) => IDENTITY_DEPS.test(u) || u.includes('/dist/identity/'))).toEqual([]);
  });

  it('the identity subpath does load them (the check above can fail)', () => {
    const seen = loadedBy(join(dist, 'identity', 'index.js'));
    expect(seen.some((u) => /\/node_modules\/jose\//.test(u))).toBe(true);
    expect(seen.some((u) => /\/node_modules\/@ipld\/dag-cbor\//.test(u))).toBe(true);
  });
});
