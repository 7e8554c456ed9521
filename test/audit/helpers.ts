/** Shared fixtures for the audit tests: events, temp dirs, and a runnable build for child processes. */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
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
 * Bundles `entries` (paths relative to the repo, `.ts`) into a fresh directory so a child `node`
 * process can run them: each entry lands at its own path with `.js` (`src/store/sqlite.ts` becomes
 * `<outDir>/src/store/sqlite.js`), the code the entries share goes into shared chunks (so every
 * entry sees the same module instances), and bare imports resolve through a symlinked
 * node_modules. A child may import only the entries, not other modules of their closure. The
 * modules loaded on first use (scripts/lazy-modules.json) are entries beside the shared chunks,
 * where the loader looks for them, as in the package build.
 * esbuild does this in a fraction of the time a per-file transpile took, and the child loads a few
 * files instead of a hundred.
 */
export function buildForChild(entries: readonly string[]): { outDir: string; cleanup: () => void } {
  const { dir: outDir, cleanup } = tempDir('warden-audit-build-');
  symlinkSync(join(REPO, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  // The modules src/lib/lazy-module.ts loads on first use are entries next to the shared chunks,
  // where the loader looks for them, as in the package build (scripts/build.mjs).
  const lazy = (JSON.parse(readFileSync(join(REPO, 'scripts', 'lazy-modules.json'), 'utf8')) as { modules: string[] }).modules;
  const entryPoints: Record<string, string> = {};
  for (const e of entries) entryPoints[e.replace(/\.ts$/, '')] = resolve(REPO, e);
  for (const name of [...lazy, 'lib/lazy-module']) entryPoints[`chunks/lazy-${name.replaceAll('/', '-')}`] = join(REPO, 'src', `${name}.ts`);
  buildSync({
    entryPoints,
    outdir: outDir,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    define: { __WARDEN_LAZY_ENTRIES__: 'true' },
    logLevel: 'error',
  });
  return { outDir, cleanup };
}
