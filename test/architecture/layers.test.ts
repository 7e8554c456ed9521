/**
 * The layering of src/ as ARCHITECTURE.md draws it: no import cycle between top-level folders,
 * and a pure core (src/policy, src/facets) that does no I/O and imports nothing above it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(full));
    else if (e.name.endsWith('.ts')) out.push(full);
  }
  return out;
}

/** Every module specifier a file imports or re-exports, statically or dynamically. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push((m[1] ?? m[2] ?? m[3]) as string);
  return out;
}

/** The top-level unit of a src file: its folder, or the file itself for src/*.ts. */
function unitOf(file: string): string {
  const rel = relative(SRC, file).split(sep);
  return rel.length === 1 ? (rel[0] as string) : (rel[0] as string);
}

interface Edge {
  from: string;
  to: string;
  file: string;
  spec: string;
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) {
        out.push({ from: unitOf(file), to: `pkg:${spec}`, file: relative(SRC, file), spec });
        continue;
      }
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      out.push({ from: unitOf(file), to: unitOf(target), file: relative(SRC, file), spec });
    }
  }
  return out;
}

const ALL = edges();

describe('src/ layering', () => {
  it('finds the imports it checks (the scanner is not blind)', () => {
    expect(ALL.some((e) => e.from === 'enforce' && e.to === 'policy')).toBe(true);
    expect(ALL.some((e) => e.from === 'cli' && e.to.startsWith('pkg:commander'))).toBe(true);
  });

  it('has no import cycle between top-level folders', () => {
    const graph = new Map<string, Set<string>>();
    for (const e of ALL) {
      if (e.to.startsWith('pkg:') || e.from === e.to) continue;
      let set = graph.get(e.from);
      if (!set) graph.set(e.from, (set = new Set()));
      set.add(e.to);
    }
    // A cycle exists when some unit reaches itself; report each with one path.
    const cycles: string[] = [];
    for (const start of graph.keys()) {
      const seen = new Set<string>();
      const stack: { node: string; path: string[] }[] = [{ node: start, path: [start] }];
      while (stack.length > 0) {
        const { node, path } = stack.pop() as { node: string; path: string[] };
        for (const next of graph.get(node) ?? []) {
          if (next === start) cycles.push([...path, start].join(' -> '));
          else if (!seen.has(next)) {
            seen.add(next);
            stack.push({ node: next, path: [...path, next] });
          }
        }
      }
    }
    const explain = cycles.map((c) => {
      const [a, b] = c.split(' -> ');
      const witness = ALL.find((e) => e.from === a && e.to === b);
      return `${c} (e.g. ${witness?.file} imports ${witness?.spec})`;
    });
    expect(explain).toEqual([]);
  });

  const CORE_ALLOWED: Record<string, readonly string[]> = {
    policy: ['policy', 'facets', 'lib', 'decision.ts', 'errors.ts'],
    facets: ['facets', 'lib', 'decision.ts', 'errors.ts'],
    lib: ['lib', 'errors.ts'],
  };
  const IO_MODULES = /^(node:)?(fs|fs\/promises|net|tls|http|https|http2|dgram|dns|dns\/promises|child_process|cluster|worker_threads|timers|timers\/promises|readline|os|process)$/;

  for (const [unit, allowed] of Object.entries(CORE_ALLOWED)) {
    it(`keeps src/${unit} free of I/O modules and of imports from layers above it`, () => {
      const bad = ALL.filter((e) => e.from === unit).filter((e) => (e.to.startsWith('pkg:') ? IO_MODULES.test(e.spec) : !allowed.includes(e.to)));
      expect(bad.map((e) => `${e.file} imports ${e.spec}`)).toEqual([]);
    });
  }

  it('keeps timers, the clock and process state out of src/policy and src/facets', () => {
    const forbidden = /\b(setTimeout|setInterval|setImmediate|Date\.now|performance\.now|process\.(env|platform|cwd|argv|exit|hrtime))\b|new Date\(\s*\)/;
    const found: string[] = [];
    for (const unit of ['policy', 'facets']) {
      for (const file of sourceFiles(join(SRC, unit))) {
        readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            const code = line.replace(/\/\/.*$/, '');
            if (/^\s*\*/.test(code)) return; // documentation
            if (forbidden.test(code)) found.push(`${relative(SRC, file)}:${i + 1}: ${line.trim()}`);
          });
      }
    }
    expect(found).toEqual([]);
  });
});
