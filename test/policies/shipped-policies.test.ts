/**
 * The shipped policies (examples/policies/*.yaml and the Claude Code starter `warden init
 * claude-code` writes) against an adversarial corpus written to each policy's stated intent: the
 * attack families of issue 10 and THREATS.md with variants, and about a third benign work. Every
 * case must get the decision its intent calls for; an attack that is allowed fails the test by
 * name. The few benign cases the policies knowingly refuse are listed with the reason, and counted
 * as false denies in the figures this file prints.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyFiles } from '../../src/enforce/load-files.js';
import type { PolicySet } from '../../src/policy/policy-set.js';
import { CLAUDE_CODE_STARTER_POLICY } from '../../src/integrations/claude-code/starter-policy.js';
import { asExpected, ClaudeCodeBench, decidePlain, rate, tally, type Outcome } from './corpus/run.js';
import type { CorpusCase } from './corpus/types.js';
import { SQL_AGENT } from './corpus/sql-agent.js';
import { CODING_AGENT_SHELL } from './corpus/coding-agent-shell.js';
import { EGRESS_ALLOWLIST } from './corpus/egress-allowlist.js';
import { WORKSPACE_FILES } from './corpus/workspace-files.js';
import { K8S_READ_ONLY } from './corpus/k8s-read-only.js';
import { CLAUDE_CODE_STARTER } from './corpus/claude-code-starter.js';

const dir = join(import.meta.dirname, '..', '..', 'examples', 'policies');

/** Benign cases a policy refuses on purpose, with why; keyed by the command or path. */
const KNOWN_FALSE_DENIES: Record<string, { effect: string; why: string }> = {
  'find . -name "*.tmp" -delete': { effect: 'deny', why: 'find -delete of the project root may delete files under .warden/ (the -name filter could match them)' },
  "grep -rn TODO --include='*.md' docs": { effect: 'deny', why: "the search reads every file named *.md, and *.md names .env.md too (a .env.* file)" },
  'pip install -e .': { effect: 'deny', why: 'pip writes into the Python environment, a place the line does not name: it may be anywhere, .warden/ included' },
  'for f in src/*.ts; do wc -l "$f"; done': { effect: 'deny', why: 'a loop variable is not bound to its list: "$f" may be any path, a .env file included' },
  'diff <(sort a.txt) <(sort b.txt)': { effect: 'deny', why: 'a process substitution is a /dev/fd path only known when the line runs, so it may be any file' },
  'wc -l $(git ls-files src)': { effect: 'deny', why: 'the operands come from a command substitution: they may name any file, a .env file included' },
  'node scripts/gen.js > src/generated.ts': { effect: 'deny', why: 'no-write-then-run refuses any write next to a script it runs, not only a write of that script' },
  'rg -g "*.ts" useEffect': { effect: 'deny', why: 'the search reads every file named *.ts, and *.ts names .env.ts too (a .env.* file)' },
};

const label = (c: CorpusCase): string => `${c.expect} [${c.family}] ${c.tool} ${JSON.stringify(c.args)}${c.cwd !== undefined ? ` in ${c.cwd}` : ''}`;
const keyOf = (c: CorpusCase): string => String(c.args.command ?? c.args.query ?? c.args.path ?? c.args.file_path ?? c.args.url ?? '');

const figures: string[] = [];
const all: Outcome[] = [];

function plain(file: string, cases: CorpusCase[]): void {
  describe(file, () => {
    let set: PolicySet;
    // Each case is decided once, by its own test; the figures use those decisions (and decide any
    // case a filter skipped), so a large corpus does not run twice or inside a hook's time limit.
    const decided = new Map<CorpusCase, Outcome>();
    beforeAll(async () => {
      set = await loadPolicyFiles([join(dir, file)]);
    });
    it('loads without warnings', () => {
      expect(set.warnings).toEqual([]);
    });
    describe('decides', () => {
      it.each(cases.map((c) => [label(c), c] as const))('%s', (_label, c) => {
        const o = decidePlain(set, [c])[0] as Outcome;
        decided.set(c, o);
        const known = c.family === 'benign' ? KNOWN_FALSE_DENIES[keyOf(c)] : undefined;
        expect(asExpected(o.effect)).toBe(known !== undefined ? asExpected(known.effect) : c.expect);
      });
    });
    it('no attack is allowed, and at most 5% of the benign cases are refused', () => {
      const outcomes = cases.map((c) => decided.get(c) ?? (decidePlain(set, [c])[0] as Outcome));
      all.push(...outcomes);
      const t = tally(outcomes);
      figures.push(`${file}: ${outcomes.length} cases (${t.attacks} attacks, ${t.benign} benign): escapes ${rate(t.escapes.length, t.attacks)}, weaker than intended ${rate(t.weaker.length, t.attacks)}, false denies ${rate(t.falseDenies.length, t.benign)}`);
      expect(t.escapes.map((o) => label(o.case))).toEqual([]);
      expect(t.weaker.map((o) => label(o.case))).toEqual([]);
      expect(t.benign / outcomes.length).toBeGreaterThanOrEqual(0.3);
      expect(t.falseDenies.length / t.benign).toBeLessThanOrEqual(0.05);
    });
  });
}

plain('sql-agent.yaml', SQL_AGENT);
plain('coding-agent-shell.yaml', CODING_AGENT_SHELL);
plain('egress-allowlist.yaml', EGRESS_ALLOWLIST);
plain('workspace-files.yaml', WORKSPACE_FILES);
plain('k8s-read-only.yaml', K8S_READ_ONLY);

describe('the Claude Code starter, as the hook sees it', () => {
  let bench: ClaudeCodeBench;
  const decided = new Map<CorpusCase, Outcome>();
  beforeAll(() => {
    bench = new ClaudeCodeBench(CLAUDE_CODE_STARTER_POLICY);
  });
  afterAll(() => bench.close());
  it('loads without warnings', () => {
    expect(bench.set.warnings).toEqual([]);
  });
  it.each(CLAUDE_CODE_STARTER.map((c) => [label(c), c] as const))('%s', (_label, c) => {
    const o = bench.decide(c);
    decided.set(c, o);
    const known = c.family === 'benign' ? KNOWN_FALSE_DENIES[keyOf(c)] : undefined;
    expect(asExpected(o.effect)).toBe(known !== undefined ? asExpected(known.effect) : c.expect);
  });
  it('no attack is allowed, and at most 5% of the benign cases are refused', () => {
    const outcomes = CLAUDE_CODE_STARTER.map((c) => decided.get(c) ?? bench.decide(c));
    all.push(...outcomes);
    const t = tally(outcomes);
    figures.push(`claude-code starter: ${outcomes.length} cases (${t.attacks} attacks, ${t.benign} benign): escapes ${rate(t.escapes.length, t.attacks)}, weaker than intended ${rate(t.weaker.length, t.attacks)}, false denies ${rate(t.falseDenies.length, t.benign)}`);
    expect(t.escapes.map((o) => label(o.case))).toEqual([]);
    expect(t.weaker.map((o) => label(o.case))).toEqual([]);
    expect(t.benign / outcomes.length).toBeGreaterThanOrEqual(0.25);
    expect(t.falseDenies.length / t.benign).toBeLessThanOrEqual(0.05);
  });
});

afterAll(() => {
  const t = tally(all);
  figures.push(`all shipped policies: ${all.length} cases (${t.attacks} attacks, ${t.benign} benign): escapes ${rate(t.escapes.length, t.attacks)}, false denies ${rate(t.falseDenies.length, t.benign)}`);
  console.log(figures.join('\n'));
});
