/**
 * docs/testing.md: its test-case examples (```yml blocks) load and pass against its policy example,
 * and its AGT fixture example reads cleanly. (Its ```yaml policy block is also compiled by
 * test/docs/docs.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/policy/compile.js';
import { parsePolicyTests } from '../../src/testing/cases.js';
import { runPolicyTests } from '../../src/testing/run.js';

const DOC = fileURLToPath(new URL('../../docs/testing.md', import.meta.url));
const text = readFileSync(DOC, 'utf8');

function blocks(lang: string): string[] {
  const out: string[] = [];
  const re = new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? '');
  return out;
}

describe('docs/testing.md', () => {
  const policies = blocks('yaml').filter((b) => b.includes('kind: Policy\n'));
  const tests = blocks('yml').filter((b) => b.includes('kind: PolicyTest'));

  it('has a policy example and a test example', () => {
    expect([policies.length, tests.length]).toEqual([1, 1]);
  });

  it('its test cases load and all pass against its policy', () => {
    const set = compilePolicy(policies.map((p, i) => ({ name: `doc-policy-${i}`, text: p })));
    const { cases, issues } = parsePolicyTests('docs/testing.md', tests[0] ?? '');
    expect(issues).toEqual([]);
    const run = runPolicyTests(set, cases);
    expect(run.results.filter((r) => !r.passed).map((r) => [r.case.name, r.mismatches])).toEqual([]);
    expect(run.passed).toBe(4);
  });

  it('its AGT fixture example reads as one fixture with no issue', () => {
    const fixture = blocks('json').find((b) => b.includes('"expected_verdict"')) ?? '';
    const { cases, issues } = parsePolicyTests('fixture.json', fixture);
    expect(issues).toEqual([]);
    expect(cases.map((c) => [c.name, c.format, c.request.tool, c.request.agent, c.expect])).toEqual([
      ['allow-select-production', 'agt', 'sql_execute', { id: 'did:web:analytics-agent', did: 'did:web:analytics-agent' }, { effect: 'allow', rule: 'production-reads' }],
    ]);
  });
});
