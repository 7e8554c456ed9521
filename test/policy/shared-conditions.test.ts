/**
 * A compile compiles each distinct condition text once and gives every rule that writes it the
 * same compiled condition: what is shared depends on the text alone; each rule keeps its own name,
 * position, issues, explanation and plan.
 */
import { describe, it, expect } from 'vitest';
import { compilePolicy, PolicyLoadError, type PolicyIssue } from '../../src/policy/index.js';
import { compilePolicyPlan } from '../../src/policy/compile.js';

function issuesOf(text: string): PolicyIssue[] {
  try {
    compilePolicy([{ name: 'p.yaml', text }]);
  } catch (e) {
    if (e instanceof PolicyLoadError) return e.issues;
    throw e;
  }
  throw new Error('expected a PolicyLoadError');
}

function policy(rules: string): string {
  return `apiVersion: warden/v1\nkind: Policy\nname: p\nrules:\n${rules}`;
}

describe('rules that write the same condition text', () => {
  it.each([
    ['a syntax error', 'args.x >', 'cel_syntax'],
    ['a type error', "args.x + 1 == 'a' + 1", 'cel_type'],
    ['a banned call', "args.x.matches('a+')", 'cel_banned_function'],
    ['a bad literal pattern', "glob(args.x, '[')", 'bad_pattern'],
  ])('each reports %s at its own rule, line and column', (_what, condition, code) => {
    const text = policy(
      `  - name: first\n    tools: [a]\n    when: "${condition}"\n    effect: deny\n` +
        `  - name: second\n    tools: [b]\n    when: "${condition}"\n    effect: deny\n` +
        `  - name: third\n    tools: [c]\n    unless: "${condition}"\n    effect: allow\n`,
    );
    const issues = issuesOf(text).filter((i) => i.severity === 'error');
    expect(issues.map((i) => i.code)).toEqual([code, code, code]);
    expect(issues.map((i) => i.line)).toEqual([7, 11, 15]);
    // The text sits at the same place on its line in each rule; "unless:" is two characters longer than "when:".
    const [a, b, c] = issues.map((i) => i.col);
    expect([b, c]).toEqual([a, (a ?? 0) + 2]);
    expect(issues[0]?.message).toMatch(/^when of rule "first": /);
    expect(issues[1]?.message).toMatch(/^when of rule "second": /);
    expect(issues[2]?.message).toMatch(/^unless of rule "third": /);
  });

  it('reports the error at each rule when one rule writes it as when and another as unless in a flow mapping', () => {
    const text = policy(`  - { name: one, tools: [a], when: "args.x >", effect: deny }\n  - { name: two, tools: [a], unless: "args.x >", effect: deny }\n`);
    const issues = issuesOf(text);
    expect(issues.map((i) => [i.code, i.line, i.message.split(':')[0]])).toEqual([
      ['cel_syntax', 5, 'when of rule "one"'],
      ['cel_syntax', 6, 'unless of rule "two"'],
    ]);
  });

  const shared = policy(
    `  - name: deny-a\n    tools: [t]\n    when: "args.owner.name == 'root'"\n    effect: deny\n` +
      `  - name: deny-b\n    tools: [t]\n    when: "args.owner.name == 'root'"\n    effect: deny\n` +
      `  - name: warn-c\n    tools: [t]\n    when: "args.owner.name == 'root'"\n    unless: "args.size > 10"\n    effect: warn\n` +
      `  - name: allow-t\n    tools: [t]\n    effect: allow\n`,
  );
  const set = compilePolicy([{ name: 'p.yaml', text: shared }]);

  it('explains each rule with its own name, line and expression', () => {
    const e = set.explain({ tool: 't', args: { owner: { name: 'root' }, size: 1 } });
    expect(e.decision).toMatchObject({ effect: 'deny', rule: 'deny-a' });
    expect(e.rules.map((r) => [r.rule, r.line, r.status, r.when?.expression, r.when?.result])).toEqual([
      ['deny-a', 5, 'matched', "args.owner.name == 'root'", true],
      ['deny-b', 9, 'matched', "args.owner.name == 'root'", true],
      ['warn-c', 13, 'matched', "args.owner.name == 'root'", true],
      ['allow-t', 18, 'matched', undefined, undefined],
    ]);
  });

  it('fails closed at each rule on its own when the shared condition cannot be evaluated', () => {
    const request = { tool: 't', args: { size: 1 } };
    const d = set.decide(request);
    expect(d.effect).toBe('deny');
    expect(d.rule).toBe('deny-a');
    expect(d.reason).toContain('Rule "deny-a" of policy "p"');
    const e = set.explain(request);
    expect(e.rules.filter((r) => r.status === 'error').map((r) => [r.rule, r.line, r.appliedOnError])).toEqual([
      ['deny-a', 5, true],
      ['deny-b', 9, true],
      ['warn-c', 13, false],
    ]);
  });

  it('gives each rule what its own conditions read: the shared text alone, or the union with its unless', () => {
    const byName = new Map(set.rules.map((r) => [r.name, r]));
    expect([...(byName.get('deny-a')?.reads ?? [])]).toEqual(['args.owner.name']);
    expect([...(byName.get('deny-b')?.reads ?? [])]).toEqual(['args.owner.name']);
    expect([...(byName.get('warn-c')?.reads ?? [])]).toEqual(['args.owner.name', 'args.size']);
    expect([...(byName.get('warn-c')?.variables ?? [])]).toEqual(['args']);
    expect([...(byName.get('allow-t')?.reads ?? [])]).toEqual([]);
    expect([...(byName.get('allow-t')?.variables ?? [])]).toEqual([]);
  });

  it('writes each rule its own plan entry, none sharing an array with another', () => {
    const { plan } = compilePolicyPlan([{ name: 'p.yaml', text: shared }], []);
    const [a, b, c] = plan.rules;
    expect([a?.name, a?.pos.line, a?.when?.text]).toEqual(['deny-a', 5, "args.owner.name == 'root'"]);
    expect([b?.name, b?.pos.line, b?.when?.text]).toEqual(['deny-b', 9, "args.owner.name == 'root'"]);
    expect(c?.unless).toEqual({ text: 'args.size > 10', variables: ['args'], reads: ['args.size'], guards: [] });
    expect(a?.when).toEqual(b?.when);
    expect(a?.when?.reads).not.toBe(b?.when?.reads);
  });
});
