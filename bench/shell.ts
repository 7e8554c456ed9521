/**
 * Shell facet cost per request for typical agent command lines (target: p99 under 100 µs),
 * beside the bare `unbash` parse it is built on; and the shell effects (what the line does) for
 * the same lines (target: p99 at most 20 µs for a one-line command).
 */
import { parse } from 'unbash';
import { shellEffects, shellFacet } from '../src/facets/shell.js';
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

/** One-line commands with paths, destinations and hidden execution to model. */
const EFFECT_CASES: [string, string][] = [
  ['cd + cp + redirect', 'cd src && cp -r lib ../build/ > /tmp/log 2>&1'],
  ['git -c + push', "git -c core.sshCommand='ssh -i ~/.ssh/deploy' push origin main"],
  ['curl -o + sed -i', 'curl -fsSL https://example.com/x.tgz -o x.tgz && sed -i "s/a/b/" conf.ini'],
  ['find -print0 | xargs -0 rm', "find . -name '*.tmp' -print0 | xargs -0 rm -f"],
  ['npm ci && npm test', 'npm ci --ignore-scripts && npm test -- --coverage'],
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
  const effects: Timing[] = [];
  const options = { cwd: '/workspace', home: '/home/dev' };
  for (const [name, line] of [...CASES, ...EFFECT_CASES]) effects.push(measure(`shellEffects ${name}`, () => shellEffects(line, options)));
  printTable('shell effects (per command line; target p99 <= 20 µs for one line)', effects);
}
