import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParsers, type SqlParsers } from '../../src/facets/sql.js';
import { compilePolicy } from '../../src/policy/compile.js';

const root = join(import.meta.dirname, '..', '..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
}

/** Every ```yaml block that is a whole warden/v1 policy. */
function policyBlocks(file: string): Array<{ file: string; line: number; text: string }> {
  const text = readFileSync(file, 'utf8');
  const out: Array<{ file: string; line: number; text: string }> = [];
  const re = /```yaml\n([\s\S]*?)```/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = m[1] ?? '';
    if (body.includes('apiVersion: warden/v1')) out.push({ file, line: text.slice(0, m.index).split('\n').length, text: body });
  }
  return out;
}

describe('documentation', () => {
  it('opens the README with the two commands a fresh clone runs', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock.trim().split('\n')).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
  });

  const blocks = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))].flatMap(policyBlocks);

  it('has policy examples to check', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  let sqlParsers: SqlParsers;
  beforeAll(async () => {
    sqlParsers = await loadSqlParsers();
  });

  it.each(blocks.map((b) => [`${b.file.slice(root.length + 1)}:${b.line}`, b] as const))('compiles the policy example at %s', (_where, block) => {
    expect(() => compilePolicy([{ name: 'doc', text: block.text }], { sqlParsers })).not.toThrow();
  });
});
