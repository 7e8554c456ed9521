/**
 * A subpath costs nothing when unused: importing Warden's root entry point loads none of the
 * identity code nor its bundled libraries (jose, @ipld/dag-cbor and cborg, multiformats). Checked
 * at run time, on the build the test run made (test/global-setup.ts), by recording every module
 * Node resolves and finding the chunks that hold each library.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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

/** Text that only each library's (or the identity code's) own code contains. */
const MARKERS: Record<string, string> = {
  jose: 'JWSSignatureVerificationFailed',
  'cborg (dag-cbor)': 'CBOR decode error',
  'identity signatures': 'agent-warden/sig/v1',
  'identity UCAN': 'ucan/dlg@1.0.0',
};

describe('agent-warden/identity costs nothing when unused', () => {
  const dist = dirname(dirname(inject('wardenCli')));
  const files = [join(dist, 'identity', 'index.js'), ...readdirSync(join(dist, 'chunks')).map((f) => join(dist, 'chunks', f))];
  const holder = (marker: string): string[] => files.filter((f) => readFileSync(f, 'utf8').includes(marker)).map((f) => pathToFileURL(f).href);
  const root = loadedBy(join(dist, 'index.js'));
  const identity = loadedBy(join(dist, 'identity', 'index.js'));

  for (const [what, marker] of Object.entries(MARKERS)) {
    it(`the identity subpath loads ${what}; the root entry point does not`, () => {
      const chunks = holder(marker);
      expect(chunks.length).toBeGreaterThan(0);
      expect(chunks.some((c) => identity.includes(c))).toBe(true);
      expect(chunks.filter((c) => root.includes(c))).toEqual([]);
    });
  }

  it('the root entry point loads no identity module and no identity dependency from node_modules', () => {
    expect(root.length).toBeGreaterThan(1);
    expect(root.filter((u) => /\/node_modules\/(jose|@ipld|multiformats|cborg)\//.test(u) || u.includes('/identity/'))).toEqual([]);
  });
});
