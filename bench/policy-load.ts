/**
 * Policy load cost against the load limits: compiling policies of growing size (time and heap
 * growth), up to the defaults, and how fast an oversized policy is refused (before it is parsed).
 * Each row is the best of three runs, run with --expose-gc so the heap is measured from a clean start.
 *
 * Run: `npm run bench -- policy-load`
 */
import { performance } from 'node:perf_hooks';
import { compilePolicy, type PolicySource } from '../src/policy/compile.js';
import { PolicyLoadError } from '../src/policy/issues.js';
import { DEFAULT_LOAD_LIMITS } from '../src/policy/load-limits.js';

/** One document of `n` rules, each a tool and a two-clause condition (about 130 characters a rule). */
function policyText(name: string, n: number): string {
  let text = `apiVersion: warden/v1\nkind: Policy\nname: ${name}\nrules:\n`;
  for (let i = 0; i < n; i++) text += `  - name: r${i}\n    tools: [tool_${i}]\n    effect: deny\n    when: "args.path.startsWith('/etc/${i}') && args.mode == 'w${i}'"\n`;
  return text;
}

function measureLoad(sources: PolicySource[]): { ms: number; heapMB: number; outcome: string } {
  let best = { ms: Infinity, heapMB: 0, outcome: '' };
  for (let run = 0; run < 3; run++) {
    (globalThis as { gc?: () => void }).gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    let outcome: string;
    try {
      outcome = `${compilePolicy(sources).rules.length} rules`;
    } catch (e) {
      outcome = e instanceof PolicyLoadError ? `refused: ${e.issues.find((i) => i.severity === 'error')?.code ?? '?'}` : String(e);
    }
    const ms = performance.now() - t0;
    const heapMB = (process.memoryUsage().heapUsed - heap0) / 1e6;
    if (ms < best.ms) best = { ms, heapMB, outcome };
  }
  return best;
}

export async function run(): Promise<void> {
  const rows: Array<{ name: string; chars: number; r: ReturnType<typeof measureLoad> }> = [];
  const one = (name: string, sources: PolicySource[]): void => {
    const chars = sources.reduce((n, s) => n + ('text' in s ? s.text.length : 0), 0);
    rows.push({ name, chars, r: measureLoad(sources) });
  };
  one('100 rules, one file', [{ name: 'p.yaml', text: policyText('p', 100) }]);
  one('1,000 rules, one file', [{ name: 'p.yaml', text: policyText('p', 1_000) }]);
  one('7,500 rules, one file (near maxSourceChars)', [{ name: 'p.yaml', text: policyText('p', 7_500) }]);
  one('10,000 rules in 4 files (at maxRules)', Array.from({ length: 4 }, (_, i) => ({ name: `p${i}.yaml`, text: policyText(`p${i}`, 2_500) })));
  one('10,001 rules in 4 files (one over maxRules)', Array.from({ length: 4 }, (_, i) => ({ name: `p${i}.yaml`, text: policyText(`p${i}`, i === 0 ? 2_501 : 2_500) })));
  const huge = policyText('huge', 80_000);
  one('a 10 MB policy (over maxSourceChars)', [{ name: 'huge.yaml', text: huge }]);
  console.log(`\n## policy load against the load limits (defaults: ${JSON.stringify(DEFAULT_LOAD_LIMITS)})`);
  const w = Math.max(...rows.map((x) => x.name.length));
  console.log(`${'case'.padEnd(w)}  ${'chars'.padStart(11)}  ${'ms'.padStart(9)}  ${'heap MB'.padStart(8)}  outcome`);
  for (const { name, chars, r } of rows) {
    console.log(`${name.padEnd(w)}  ${chars.toLocaleString('en-US').padStart(11)}  ${r.ms.toFixed(1).padStart(9)}  ${r.heapMB.toFixed(1).padStart(8)}  ${r.outcome}`);
  }
}
