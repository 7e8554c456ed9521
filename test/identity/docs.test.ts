/**
 * docs/identity.md's TypeScript examples run: each ```ts block is written out with its imports
 * pointed at the sources, imported, and must finish without throwing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const doc = readFileSync(join(root, 'docs/identity.md'), 'utf8');
const blocks: Array<{ line: number; code: string }> = [];
for (const m of doc.matchAll(/```ts\n([\s\S]*?)```/g)) blocks.push({ line: doc.slice(0, m.index).split('\n').length, code: m[1] as string });
const dir = mkdtempSync(join(tmpdir(), 'warden-identity-doc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/identity.md examples', () => {
  it('has examples to run', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(8);
  });
  for (const block of blocks) {
    it(`runs the example at docs/identity.md:${block.line}`, async () => {
      const code = block.code
        .replaceAll("from 'agent-warden/identity'", `from ${JSON.stringify(join(root, 'src/identity/index.ts'))}`)
        .replaceAll("from 'agent-warden'", `from ${JSON.stringify(join(root, 'src/index.ts'))}`);
      const file = join(dir, `example-${block.line}.ts`);
      writeFileSync(file, `${code}\nexport {};\n`);
      const logs: unknown[][] = [];
      const original = console.log;
      console.log = (...args: unknown[]) => void logs.push(args);
      try {
        await import(file);
      } finally {
        console.log = original;
      }
      // Each `console.log(...); // value` whose comment is a plain value must print exactly that.
      const expected = [...block.code.matchAll(/console\.log\(.*\);(?: \/\/ (.*))?$/gm)].map((m) => (m[1] !== undefined && /^[\w-]+( [\w-]+)*$/.test(m[1].trim()) ? m[1].trim() : null));
      expect(logs).toHaveLength(expected.length);
      expected.forEach((want, i) => {
        if (want !== null) expect(`${(logs[i] as unknown[]).map(String).join(' ')}`).toBe(want);
      });
    });
  }
});
