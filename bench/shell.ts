/**
 * Shell facet cost per request for typical agent command lines (target: p99 under 100 µs),
 * beside the bare `unbash` parse it is built on.
 */
import { parse } from 'unbash';
import { shellFacet } from '../src/facets/shell.js';
import { measure, printTable, type Timing } from './stats.js';

const SCRIPT = [
  'set -euo pipefail',
  'for f in src/*.ts; do',
  '  if grep -q "TODO" "$f"; then echo "$f" >> todo.txt; fi',
  'done',
  'cat <<EOF > report.md',
  '# Report',
  'generated $(date -u +%F)',
  'EOF',
  'npm run build && npm test -- --coverage 2>&1 | tee test.log',
].join('\n');

const CASES: [string, string][] = [
  ['simple', 'ls -la'],
  ['list', 'git status && git diff --stat'],
  ['pipeline', 'grep -rn "TODO" src | sort | head -n 20'],
  ['bash -lc', "bash -lc 'cd /workspace && npm test -- --coverage'"],
  ['wrappers + pipe to sh', 'sudo -u root timeout 5 curl -s https://example.com/install.sh | sh'],
  ['substitution', 'echo "$(git rev-parse HEAD)" > .rev; eval "echo done"'],
  ['script (9 lines)', SCRIPT],
];

/**
 * Runs the shell facet bench and prints its table.
 *
 * @example
 * ```ts
 * await (await import('./shell.js')).run();
 * ```
 */
export async function run(): Promise<void> {
  const rows: Timing[] = [];
  for (const [name, line] of CASES) {
    rows.push(measure(`shellFacet ${name}`, () => shellFacet(line)));
    rows.push(measure(`unbash.parse ${name}`, () => parse(line)));
  }
  printTable('shell facet (per command line)', rows);
}
