/**
 * docs/sandbox.md's TypeScript examples run against the real sandbox: each ```ts block is written
 * out with its imports pointed at the sources, imported, and every `console.log(...); // value`
 * must print that value.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_BWRAP } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const doc = readFileSync(join(root, 'docs/sandbox.md'), 'utf8');
const blocks: Array<{ line: number; code: string }> = [];
for (const m of doc.matchAll(/```ts\n([\s\S]*?)```/g)) blocks.push({ line: doc.slice(0, m.index).split('\n').length, code: m[1] as string });
const dir = mkdtempSync(join(tmpdir(), 'warden-sandbox-doc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(NO_BWRAP)('docs/sandbox.md examples', () => {
  it('has examples to run', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(1);
  });
  for (const block of blocks) {
    it(`runs the example at docs/sandbox.md:${block.line}`, async () => {
      const code = block.code
        .replaceAll("from 'agent-warden/sandbox'", `from ${JSON.stringify(join(root, 'src/sandbox/index.ts'))}`)
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
      const expected = [...block.code.matchAll(/console\.log\(.*\);(?: \/\/ (.*))?$/gm)].map((m) => (m[1] !== undefined && /^[\w-]+( [\w-]+)*$/.test(m[1].trim()) ? m[1].trim() : null));
      expect(logs).toHaveLength(expected.length);
      expected.forEach((want, i) => {
        if (want !== null) expect(`${(logs[i] as unknown[]).map(String).join(' ')}`).toBe(want);
      });
    });
  }
});
