/** The TypeScript examples of docs/audit.md's PostgreSQL section run as pasted, against the live database. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceUp } from '../store/live.js';
import { PG_URL, sql } from './postgres-fixtures.js';

const up = await serviceUp('PostgreSQL', PG_URL, 'a PostgreSQL server on 127.0.0.1:5432 with trust auth and a database named test');
const root = join(import.meta.dirname, '..', '..');
const doc = readFileSync(join(root, 'docs', 'audit.md'), 'utf8');
const section = doc.slice(doc.indexOf('## PostgreSQL (fleets)'), doc.indexOf('## Exporting as OPA decision logs'));
const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
const dir = mkdtempSync(join(tmpdir(), 'warden-pg-docs-'));

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (up) await sql('DROP SCHEMA IF EXISTS warden_docs CASCADE');
});

describe.skipIf(!up)('docs/audit.md, PostgreSQL section', () => {
  it('has an example', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(1);
  });
  blocks.forEach((code, i) => {
    it(`runs example ${i + 1} and prints what its comments say`, async () => {
      const file = join(dir, `example-${i}.ts`);
      writeFileSync(file, `${code.replaceAll("from 'agent-warden/audit'", `from ${JSON.stringify(join(root, 'src', 'audit', 'index.ts'))}`)}\nexport {};\n`);
      const logs: string[] = [];
      const original = console.log;
      console.log = (...args: unknown[]) => void logs.push(args.map(String).join(' '));
      try {
        await import(file);
      } finally {
        console.log = original;
      }
      const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => (m[1] as string).trim());
      expect(logs).toEqual(expected);
    });
  });
});
