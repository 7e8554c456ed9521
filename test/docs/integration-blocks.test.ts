/**
 * The runnable blocks of docs/integrations/*.md, as a user pastes them into a project that installed
 * the package: every ```ts runnable block is type-checked by tsc against the built package (its
 * declaration files, found through package.json `exports` as `agent-warden/...`), then run by Node
 * against the built JavaScript. A block runs in a directory of its own holding the files its page
 * names (```yaml file=policy.yaml blocks), with the hosts' own mock models the block itself
 * builds. It must exit 0, and each `console.log(...); // value` must print exactly that value.
 * A ```ts check block is only type-checked: its host has no mock model to run it with.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PAGES = join(ROOT, 'docs', 'integrations');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface Block {
  page: string;
  line: number;
  code: string;
  /** False for a ```ts check block: type-checked only (its host's model is a cloud service with no mock). */
  run: boolean;
  /** The page's named files (```<lang> file=<name>), written beside the block. */
  files: Record<string, string>;
}

/**
 * The ```ts runnable and ```ts check blocks of a markdown text, each with the named files the page
 * showed before it.
 *
 * @example
 * ```ts
 * runnableBlocks('ai-sdk.md', text); // [{ page: 'ai-sdk.md', line: 50, code: '...', files: { 'policy.yaml': '...' } }]
 * ```
 */
function runnableBlocks(page: string, text: string): Block[] {
  const files: Record<string, string> = {};
  const blocks: Block[] = [];
  for (const m of text.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const info = (m[1] ?? '').trim().split(/\s+/);
    const body = m[2] ?? '';
    const named = info.find((w) => w.startsWith('file='));
    if (named !== undefined) files[named.slice('file='.length)] = body;
    if (info[0] === 'ts' && (info.includes('runnable') || info.includes('check'))) blocks.push({ page, line: text.slice(0, m.index).split('\n').length, code: body, run: info.includes('runnable'), files: { ...files } });
  }
  return blocks;
}

/** What each `console.log(...); // value` of a block must print, in order (null: not checked). */
function expectedLogs(code: string): Array<string | null> {
  return [...code.matchAll(/^\s*console\.log\(.*\);(?: \/\/ (.*))?$/gm)].map((m) => m[1]?.trim() ?? null);
}

const blocks = readdirSync(PAGES)
  .filter((f) => f.endsWith('.md'))
  .sort()
  .flatMap((f) => runnableBlocks(f, readFileSync(join(PAGES, f), 'utf8')));

function fileOf(block: Block): string {
  return `${block.page.replace(/\.md$/, '')}-${block.line}/example.ts`;
}

describe('the runnable blocks of docs/integrations', () => {
  let work = '';
  let typeErrors = '';

  beforeAll(() => {
    // The package as the global setup built it (dist/ JavaScript, package.json, node_modules), with its declaration files added.
    const pkg = dirname(dirname(dirname(inject('wardenCli'))));
    const decl = spawnSync(process.execPath, [TSC, '-p', join(ROOT, 'tsconfig.build.json'), '--emitDeclarationOnly', '--outDir', join(pkg, 'dist')], { cwd: ROOT, encoding: 'utf8' });
    if (decl.status !== 0) throw new Error(`the package's declaration files did not build:\n${decl.stdout}${decl.stderr}`);
    // A user's project: the package installed as agent-warden, beside the packages the repository has (the hosts).
    work = mkdtempSync(join(tmpdir(), 'warden-doc-blocks-'));
    const modules = join(work, 'node_modules');
    mkdirSync(modules);
    for (const entry of readdirSync(join(ROOT, 'node_modules'))) if (entry !== 'agent-warden' && !entry.startsWith('.')) symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry));
    symlinkSync(pkg, join(modules, 'agent-warden'), 'dir');
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'docs-user', private: true, type: 'module' }));
    const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023'], types: ['node'], strict: true, skipLibCheck: true, noEmit: true, verbatimModuleSyntax: true, allowImportingTsExtensions: true };
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: blocks.map(fileOf) }));
    for (const block of blocks) {
      const dir = dirname(join(work, fileOf(block)));
      mkdirSync(dir, { recursive: true });
      for (const [name, body] of Object.entries(block.files)) writeFileSync(join(dir, name), body);
      writeFileSync(join(work, fileOf(block)), block.code);
    }
    const check = spawnSync(process.execPath, [TSC, '-p', join(work, 'tsconfig.json'), '--pretty', 'false'], { cwd: work, encoding: 'utf8' });
    typeErrors = `${check.stdout}${check.stderr}`;
  }, 600_000);

  afterAll(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('tags every TypeScript block of the pages runnable (or check), so none goes unchecked', () => {
    const untagged = readdirSync(PAGES)
      .filter((f) => f.endsWith('.md'))
      .flatMap((f) => [...readFileSync(join(PAGES, f), 'utf8').matchAll(/^```(?:ts|typescript)\b([^\n]*)$/gm)].filter((m) => !/\b(runnable|check)\b/.test(m[1] ?? '')).map(() => f));
    expect(untagged).toEqual([]);
    expect(blocks.length).toBeGreaterThanOrEqual(12);
  });

  it('found the type checker\'s verdict for every block (tsc ran)', () => {
    // tsc prints nothing when every block is fine; anything it printed is named by a block's file.
    const stray = typeErrors.split('\n').filter((l) => l.trim() !== '' && !blocks.some((b) => l.startsWith(fileOf(b))) && !l.startsWith(' '));
    expect(stray).toEqual([]);
  });

  it.each(blocks.map((b) => [`${b.page}:${b.line}${b.run ? '' : ' (type-check only)'}`, b] as const))('type-checks and runs %s', async (_where, block) => {
    const file = fileOf(block);
    expect(typeErrors.split('\n').filter((l) => l.startsWith(file)).join('\n')).toBe('');
    if (!block.run) return;
    const run = await runNode(join(work, file));
    expect(run.stderr === '' || run.code === 0 ? '' : run.stderr.slice(-4000)).toBe('');
    expect(run.code).toBe(0);
    const printed = run.stdout.split('\n').filter((l) => l !== '');
    const expected = expectedLogs(block.code);
    expect(printed).toHaveLength(expected.length);
    expected.forEach((want, i) => {
      if (want !== null) expect(printed[i]).toBe(want);
    });
  }, 120_000);
});

function runNode(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok, fail) => {
    // Only what a user's shell would have: the test runner's variables are none of the example's business.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dirname(file), NODE_NO_WARNINGS: '1' };
    const child = spawn(process.execPath, [file], { cwd: dirname(file), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', fail);
    child.once('close', (code) => ok({ code, stdout, stderr }));
  });
}
