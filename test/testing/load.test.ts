/** Loading case files and directories from disk. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyTestLoadError } from '../../src/testing/cases.js';
import { isTestFileName, loadPolicyTestFiles } from '../../src/testing/load.js';

const FIX = fileURLToPath(new URL('../fixtures/testing', import.meta.url));
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'warden-tests-'));
  temps.push(d);
  return d;
}
const CASE = 'apiVersion: warden/v1\nkind: PolicyTest\ncases: [{ name: NAME, request: { tool: t }, expect: { effect: deny } }]\n';

async function loadError(paths: string[]): Promise<PolicyTestLoadError> {
  try {
    await loadPolicyTestFiles(paths);
  } catch (e) {
    if (e instanceof PolicyTestLoadError) return e;
    throw e;
  }
  throw new Error('expected the load to fail');
}

describe('loadPolicyTestFiles', () => {
  it('searches a directory recursively, in sorted order, for *.test.yaml, *.test.yml and *.test.json only', async () => {
    const { cases, files, warnings } = await loadPolicyTestFiles([join(FIX, 'suite')]);
    expect(files).toEqual([join(FIX, 'suite', 'a.test.yaml'), join(FIX, 'suite', 'nested', 'b.test.json'), join(FIX, 'suite', 'nested', 'c.test.yml')]);
    expect(cases.map((c) => c.name)).toEqual(['suite a reads', 'suite b denies writes', 'suite c reads']);
    expect(warnings).toEqual([]);
  });

  it('reads a file named directly whatever its name, and returns its warnings', async () => {
    const { cases, files, warnings } = await loadPolicyTestFiles([join(FIX, 'agt', 'allow_select.json')]);
    expect(files).toEqual([join(FIX, 'agt', 'allow_select.json')]);
    expect(cases.map((c) => [c.name, c.format])).toEqual([['allow-select-production', 'agt']]);
    expect(warnings.map((w) => [w.code, w.line])).toEqual([['strategy_ignored', 13]]);
  });

  it('reads a file listed twice (directly, and through its directory) once', async () => {
    const a = join(FIX, 'suite', 'a.test.yaml');
    const { files, cases } = await loadPolicyTestFiles([a, join(FIX, 'suite'), a]);
    expect(files).toEqual([a, join(FIX, 'suite', 'nested', 'b.test.json'), join(FIX, 'suite', 'nested', 'c.test.yml')]);
    expect(cases).toHaveLength(3);
  });

  it('reports every error of every file together, with file:line:col, and runs nothing', async () => {
    const e = await loadError([join(FIX, 'invalid'), join(FIX, 'pass.test.yaml')]);
    expect(e.code).toBe('ERR_POLICY_TEST_LOAD');
    expect(e.issues.map((i) => [i.file.slice(FIX.length + 1), i.line, i.col, i.code])).toEqual([
      ['invalid/bad-effect.test.json', 5, 110, 'unknown_value'],
      ['invalid/typo.test.yaml', 6, 5, 'unknown_key'],
      ['invalid/typo.test.yaml', 4, 5, 'missing_key'],
    ]);
    expect(e.message).toContain('Test cases failed to load (3 errors); nothing was run');
  });

  it.each([
    ['no path at all', [], 'no_cases', 'No test case path was given'],
    ['a path that does not exist', ['/nonexistent/warden/cases.test.yaml'], 'file_not_found', 'ENOENT'],
  ])('refuses %s', async (_what, paths, code, says) => {
    const e = await loadError(paths);
    expect(e.issues).toEqual([expect.objectContaining({ severity: 'error', code, message: expect.stringContaining(says) as string })]);
  });

  it('refuses a directory with no case file (a CI step that tests nothing must not pass)', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'policy.yaml'), 'not read');
    writeFileSync(join(d, '.hidden.test.yaml'), CASE.replace('NAME', 'h'));
    const e = await loadError([d]);
    expect(e.issues).toEqual([expect.objectContaining({ code: 'no_cases', file: d })]);
  });

  it('follows a symlink to a case file, and refuses one that points at nothing', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'real.yaml'), CASE.replace('NAME', 'linked'));
    symlinkSync(join(d, 'real.yaml'), join(d, 'link.test.yaml'));
    expect((await loadPolicyTestFiles([d])).cases.map((c) => c.name)).toEqual(['linked']);
    symlinkSync(join(d, 'gone.yaml'), join(d, 'dangling.test.yaml'));
    const e = await loadError([d]);
    expect(e.issues).toEqual([expect.objectContaining({ code: 'file_not_found', file: join(d, 'dangling.test.yaml') })]);
  });

  it('stops at a symlink loop instead of walking it forever', async () => {
    const d = tempDir();
    mkdirSync(join(d, 'a'));
    writeFileSync(join(d, 'a', 'x.test.yaml'), CASE.replace('NAME', 'x'));
    symlinkSync(join(d, 'a'), join(d, 'a', 'loop'));
    const e = await loadError([d]);
    expect(e.issues.some((i) => i.code === 'too_deep')).toBe(true);
  });

  it('refuses a case file over the size limit without reading it', async () => {
    const d = tempDir();
    const f = join(d, 'big.test.yaml');
    writeFileSync(f, `# ${'x'.repeat(10_000_001)}\n`);
    const e = await loadError([f]);
    expect(e.issues).toEqual([expect.objectContaining({ code: 'too_large', file: f })]);
  });

  it('refuses case names used twice in one file, but not across files', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'a.test.yaml'), CASE.replace('NAME', 'same'));
    writeFileSync(join(d, 'b.test.yaml'), CASE.replace('NAME', 'same'));
    expect((await loadPolicyTestFiles([d])).cases.map((c) => [c.name, c.where?.file])).toEqual([
      ['same', join(d, 'a.test.yaml')],
      ['same', join(d, 'b.test.yaml')],
    ]);
  });
});

describe('isTestFileName', () => {
  it.each([
    ['policy.test.yaml', true],
    ['policy.test.yml', true],
    ['policy.test.json', true],
    ['POLICY.TEST.YAML', true],
    ['policy.yaml', false],
    ['policy.test.yaml.bak', false],
    ['test.yaml', false],
    ['policy.tests.yaml', false],
    ['policy.test.toml', false],
  ])('%s -> %s', (name, yes) => {
    expect(isTestFileName(name)).toBe(yes);
  });
});
