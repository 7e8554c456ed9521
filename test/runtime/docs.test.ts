/**
 * docs/trust.md's and docs/runtime.md's TypeScript examples run: each ```ts block is written out
 * with its imports pointed at the sources, imported, and must finish without throwing; each
 * `console.log(...); // value` must print that value.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'warden-runtime-doc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SUBPATHS: Record<string, string> = { store: 'src/store/index.ts', trust: 'src/trust/index.ts', runtime: 'src/runtime/index.ts', identity: 'src/identity/index.ts' };

for (const page of ['docs/trust.md', 'docs/runtime.md']) {
  const doc = readFileSync(join(root, page), 'utf8');
  const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => ({ line: doc.slice(0, m.index).split('\n').length, code: m[1] as string }));
  describe(`${page} examples`, () => {
    it('has examples to run', () => {
      expect(blocks.length).toBeGreaterThanOrEqual(2);
    });
    for (const block of blocks) {
      it(`runs the example at ${page}:${block.line}`, async () => {
        let code = block.code.replaceAll("from 'agent-warden'", `from ${JSON.stringify(join(root, 'src/index.ts'))}`);
        for (const [sub, path] of Object.entries(SUBPATHS)) code = code.replaceAll(`from 'agent-warden/${sub}'`, `from ${JSON.stringify(join(root, path))}`);
        const file = join(dir, `${page.replace(/\W/g, '-')}-${block.line}.ts`);
        writeFileSync(file, `${code}\nexport {};\n`);
        const logs: unknown[][] = [];
        const original = console.log;
        console.log = (...args: unknown[]) => void logs.push(args);
        try {
          await import(file);
        } finally {
          console.log = original;
        }
        const expected = [...block.code.matchAll(/console\.log\(.*\);(?: \/\/ (.*))?$/gm)].map((m) => (m[1] !== undefined && /^[\w-]+( [\w-]+)*$/.test(m[1].trim()) ? m[1].trim() : null));
        // A console.log inside a loop prints more than once; the values checked are those before it.
        expect(logs.length).toBeGreaterThanOrEqual(expected.length);
        expected.forEach((want, i) => {
          if (want !== null) expect(`${(logs[i] as unknown[]).map(String).join(' ')}`).toBe(want);
        });
      });
    }
  });
}
