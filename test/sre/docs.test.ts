/**
 * docs/sre.md's and docs/telemetry.md's examples run: each ```ts block is written out with its
 * imports pointed at the sources, imported, and must finish without throwing; each
 * `console.log(...); // value` must print exactly that value. The SRE YAML blocks parse.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSreDocuments } from '../../src/sre/documents.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'warden-sre-doc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SUBPATHS: Record<string, string> = {
  'agent-warden/sre': 'src/sre/index.ts',
  'agent-warden/telemetry': 'src/telemetry/index.ts',
  'agent-warden/metrics': 'src/telemetry/metrics-index.ts',
  'agent-warden': 'src/index.ts',
};

for (const page of ['docs/sre.md', 'docs/telemetry.md']) {
  const doc = readFileSync(join(root, page), 'utf8');
  const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => ({ line: doc.slice(0, m.index).split('\n').length, code: m[1] as string }));
  describe(`${page} examples`, () => {
    it('has examples to run', () => {
      expect(blocks.length).toBeGreaterThanOrEqual(2);
    });
    for (const block of blocks) {
      it(`runs the example at ${page}:${block.line}`, async () => {
        let code = block.code;
        for (const [spec, file] of Object.entries(SUBPATHS)) code = code.replaceAll(`from '${spec}'`, `from ${JSON.stringify(join(root, file))}`);
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
        const expected = [...block.code.matchAll(/^\s*console\.log\(.*\);(?: \/\/ (.*))?$/gm)].map((m) => m[1]?.trim() ?? null);
        expect(logs).toHaveLength(expected.length);
        expected.forEach((want, i) => {
          if (want !== null) expect((logs[i] as unknown[]).map(String).join(' ')).toBe(want);
        });
      });
    }
  });
}

describe('docs/sre.md SRE documents', () => {
  const doc = readFileSync(join(root, 'docs/sre.md'), 'utf8');
  const yaml = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string).filter((b) => /^kind: (SLO|CircuitBreaker|ChaosExperiment)$/m.test(b));
  it('parses each SRE YAML example', () => {
    expect(yaml.length).toBeGreaterThan(0);
    for (const text of yaml) expect(() => parseSreDocuments(text, 'docs/sre.md')).not.toThrow();
  });
});
