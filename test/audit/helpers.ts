/** Shared fixtures for the audit tests: events, temp dirs, and a runnable build for child processes. */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { DecisionEvent } from '../../src/decision.js';
import type { Effect } from '../../src/decision.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** A fresh temporary directory; removed by the returned cleanup. */
export function tempDir(prefix = 'warden-audit-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const EFFECTS: Effect[] = ['allow', 'deny', 'require_approval', 'warn'];

/** A deterministic decision event number `i`. */
export function decisionEvent(i: number, overrides: Partial<DecisionEvent> = {}): DecisionEvent {
  const effect = EFFECTS[i % EFFECTS.length] as Effect;
  return {
    ts: new Date(Date.UTC(2025, 0, 1, 0, 0, 0) + i * 1000).toISOString(),
    agent: { id: `agent-${i % 3}`, roles: ['coder'] },
    request: { tool: i % 2 === 0 ? 'read_file' : 'write_file', args: { path: `/workspace/file-${i}.txt`, n: i }, context: { environment: 'test' } },
    decision: {
      effect,
      allowed: effect === 'allow' || effect === 'warn',
      rule: `rule-${i % 5}`,
      policy: 'test-policy',
      reason: `decided ${effect} for call ${i}`,
      approvers: effect === 'require_approval' ? ['security'] : [],
      errors: [],
      policyDigest: `sha256:${'ab'.repeat(32)}`,
    },
    ...overrides,
  };
}

/** The lines of a JSONL file (without the final empty string). */
export function linesOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Writes lines back as JSONL. */
export function writeLines(file: string, lines: readonly string[]): void {
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
}

/**
 * Transpiles the import closure of `entries` (paths relative to the repo, `.ts`) into a fresh
 * directory so a child `node` process can run them; bare imports resolve through a symlinked
 * node_modules. Returns the output directory (mirrors the repo layout, `.js` files).
 */
export function buildForChild(entries: readonly string[]): { outDir: string; cleanup: () => void } {
  const { dir: outDir, cleanup } = tempDir('warden-audit-build-');
  symlinkSync(join(REPO, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  const seen = new Set<string>();
  const todo = entries.map((e) => resolve(REPO, e));
  while (todo.length > 0) {
    const file = todo.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const imported of ts.preProcessFile(source, true, true).importedFiles) {
      const spec = imported.fileName;
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
    }
    const output = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      fileName: file,
    }).outputText;
    const target = join(outDir, relative(REPO, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, output);
  }
  return { outDir, cleanup };
}
