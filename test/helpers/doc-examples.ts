/**
 * Runs a docs page's TypeScript examples: each ```ts block is written out with its package imports
 * pointed at the sources, imported, and must finish without throwing; each
 * `console.log(...); // value` whose comment is a plain value must print exactly that.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Declares the tests for `page` (relative to the repository root). `imports` maps a package
 * specifier (`agent-warden/identity`) to a source file (`src/identity/index.ts`); `agent-warden`
 * itself maps to src/index.ts.
 */
export function describeDocExamples(
  page: string,
  imports: Record<string, string>,
  minBlocks: number,
  options: {
    /** Skip the page's examples (an absent tool outside CI), saying why. */
    skip?: string | null;
    /** A console.log inside a loop may print more than once: only the first values are checked. */
    extraLogs?: boolean;
    /** Every `// comment` after a console.log is a value to print exactly, not only word-like ones. */
    exactComments?: boolean;
  } = {},
): void {
  const doc = readFileSync(join(root, page), 'utf8');
  const blocks: Array<{ line: number; code: string }> = [];
  for (const m of doc.matchAll(/```ts\n([\s\S]*?)```/g)) blocks.push({ line: doc.slice(0, m.index).split('\n').length, code: m[1] as string });
  const dir = mkdtempSync(join(tmpdir(), 'warden-doc-examples-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const map = { ...imports, 'agent-warden': 'src/index.ts' };

  if (typeof options.skip === 'string') console.warn(`${page} examples skip: ${options.skip}`);
  describe.skipIf(typeof options.skip === 'string')(`${page} examples`, () => {
    it('has examples to run', () => {
      expect(blocks.length).toBeGreaterThanOrEqual(minBlocks);
    });
    for (const block of blocks) {
      it(`runs the example at ${page}:${block.line}`, async () => {
        let code = block.code;
        for (const [spec, file] of Object.entries(map)) code = code.replaceAll(`from '${spec}'`, `from ${JSON.stringify(join(root, file))}`);
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
        const expected = options.exactComments
          ? [...block.code.matchAll(/^\s*console\.log\(.*\);(?: \/\/ (.*))?$/gm)].map((m) => m[1]?.trim() ?? null)
          : [...block.code.matchAll(/console\.log\(.*\);(?: \/\/ (.*))?$/gm)].map((m) => (m[1] !== undefined && /^[\w-]+( [\w-]+)*$/.test(m[1].trim()) ? m[1].trim() : null));
        if (options.extraLogs) expect(logs.length).toBeGreaterThanOrEqual(expected.length);
        else expect(logs).toHaveLength(expected.length);
        expected.forEach((want, i) => {
          if (want !== null) expect(`${(logs[i] as unknown[]).map(String).join(' ')}`).toBe(want);
        });
      });
    }
  });
}
