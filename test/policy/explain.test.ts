import { describe, it, expect } from 'vitest';
import { compilePolicy, type RuleExplanation } from '../../src/policy/index.js';

const text = `apiVersion: warden/v1
kind: Policy
name: p
rules:
  - name: big-writes
    tools: [write]
    when: "args.size > 100"
    unless: "args.path.startsWith('/tmp/')"
    effect: deny
  - name: gated
    tools: [write]
    when: "args.owner == 'root'"
    effect: require_approval
    approvers: [sec]
  - name: reads
    tools: [read]
    effect: allow
  - name: writes
    tools: [write]
    effect: allow
  - name: flagged
    tools: [write]
    when: "args.size > 10"
    effect: warn
`;
const set = compilePolicy([{ name: 'p.yaml', text }]);

function byRule(rules: RuleExplanation[]): Record<string, RuleExplanation> {
  return Object.fromEntries(rules.map((r) => [r.rule, r]));
}

describe('explain()', () => {
  it('lists every rule of the set, in set order, with its policy, effect and line', () => {
    const e = set.explain({ tool: 'write', args: { size: 1, path: '/x', owner: 'me' } });
    expect(e.rules.map((r) => [r.rule, r.policy, r.effect, r.line])).toEqual([
      ['big-writes', 'p', 'deny', 5],
      ['gated', 'p', 'require_approval', 10],
      ['reads', 'p', 'allow', 15],
      ['writes', 'p', 'allow', 18],
      ['flagged', 'p', 'warn', 21],
    ]);
  });

  it('marks a rule whose tools do not cover the request tool_mismatch, with no condition results', () => {
    const r = byRule(set.explain({ tool: 'write', args: { size: 1, path: '/x', owner: 'me' } }).rules);
    expect(r.reads).toEqual({ policy: 'p', rule: 'reads', effect: 'allow', line: 15, status: 'tool_mismatch' });
  });

  it('lists when and unless results for a matched rule', () => {
    const e = set.explain({ tool: 'write', args: { size: 500, path: '/etc/x', owner: 'me' } });
    expect(e.decision).toMatchObject({ effect: 'deny', rule: 'big-writes' });
    expect(byRule(e.rules)['big-writes']).toEqual({
      policy: 'p',
      rule: 'big-writes',
      effect: 'deny',
      line: 5,
      status: 'matched',
      when: { expression: 'args.size > 100', result: true },
      unless: { expression: "args.path.startsWith('/tmp/')", result: false },
    });
  });

  it('marks not_matched when `when` is false, and when `unless` is true', () => {
    const small = byRule(set.explain({ tool: 'write', args: { size: 1, path: '/etc/x', owner: 'me' } }).rules);
    expect(small['big-writes']).toMatchObject({ status: 'not_matched', when: { result: false }, unless: { result: false } });
    const tmp = byRule(set.explain({ tool: 'write', args: { size: 500, path: '/tmp/x', owner: 'me' } }).rules);
    expect(tmp['big-writes']).toMatchObject({ status: 'not_matched', when: { result: true }, unless: { result: true } });
  });

  it('marks a rule with no conditions that covers the tool as matched', () => {
    const r = byRule(set.explain({ tool: 'write', args: { size: 1, path: '/x', owner: 'me' } }).rules);
    expect(r.writes).toEqual({ policy: 'p', rule: 'writes', effect: 'allow', line: 18, status: 'matched' });
  });

  it('marks a condition error as error, with appliedOnError true for deny and require_approval', () => {
    const e = set.explain({ tool: 'write', args: {} });
    const r = byRule(e.rules);
    expect(r['big-writes']).toMatchObject({ status: 'error', appliedOnError: true });
    expect(r['big-writes']?.error).toContain('size');
    expect(r['big-writes']?.when?.result).toEqual(expect.stringMatching(/^error: /));
    expect(r.gated).toMatchObject({ status: 'error', appliedOnError: true });
    expect(r.flagged).toMatchObject({ status: 'error', appliedOnError: false });
    expect(e.decision).toMatchObject({ effect: 'deny', rule: 'big-writes' });
  });

  it('marks a condition error in an allow rule with appliedOnError false', () => {
    const s = compilePolicy([{ name: 'a', document: { apiVersion: 'warden/v1', kind: 'Policy', name: 'a', rules: [{ name: 'open', effect: 'allow', when: 'args.x == 1' }] } }]);
    const e = s.explain({ tool: 't', args: {} });
    expect(e.rules).toEqual([
      expect.objectContaining({ rule: 'open', status: 'error', appliedOnError: false, when: { expression: 'args.x == 1', result: 'error: No such key: x' } }),
    ]);
    expect(e.decision).toMatchObject({ effect: 'deny', rule: null });
  });

  it('a rule whose when is false is not_matched even when its unless cannot be evaluated (as decide() treats it)', () => {
    const s = compilePolicy([
      {
        name: 'w',
        document: { apiVersion: 'warden/v1', kind: 'Policy', name: 'w', default: 'allow', rules: [{ name: 'guard', effect: 'deny', when: 'has(args.a)', unless: 'args.a > 1' }] },
      },
    ]);
    const e = s.explain({ tool: 't', args: {} });
    expect(e.decision).toMatchObject({ effect: 'allow', rule: null, errors: [] });
    expect(e.rules[0]).toMatchObject({ rule: 'guard', status: 'not_matched', when: { expression: 'has(args.a)', result: false } });
    expect(e.rules[0]?.appliedOnError).toBeUndefined();
  });

  it('reports the same decision as decide()', () => {
    const requests = [
      { tool: 'write', args: {} },
      { tool: 'write', args: { size: 500, path: '/etc/x', owner: 'me' } },
      { tool: 'write', args: { size: 50, path: '/etc/x', owner: 'root' } },
      { tool: 'write', args: { size: 50, path: '/etc/x', owner: 'me' } },
      { tool: 'read', args: {} },
      { tool: 'other', args: {} },
    ];
    for (const r of requests) expect(set.explain(r).decision).toEqual(set.decide(r));
  });

  it('evaluates every candidate rule, even after the deciding one', () => {
    const e = set.explain({ tool: 'write', args: { size: 500, path: '/etc/x', owner: 'root' } });
    expect(e.rules.map((r) => [r.rule, r.status])).toEqual([
      ['big-writes', 'matched'],
      ['gated', 'matched'],
      ['reads', 'tool_mismatch'],
      ['writes', 'matched'],
      ['flagged', 'matched'],
    ]);
  });

  it('uses now when passed, and reports an error when a rule reads now without it', () => {
    const s = compilePolicy([
      { name: 'n', document: { apiVersion: 'warden/v1', kind: 'Policy', name: 'n', rules: [{ name: 'late', effect: 'deny', when: "now > timestamp('2030-01-01T00:00:00Z')" }] } },
    ]);
    expect(s.explain({ tool: 't', args: {} }, { now: new Date('2031-01-01T00:00:00Z') }).rules[0]).toMatchObject({ status: 'matched' });
    expect(s.explain({ tool: 't', args: {} }, { now: new Date('2029-01-01T00:00:00Z') }).rules[0]).toMatchObject({ status: 'not_matched' });
    expect(s.explain({ tool: 't', args: {} }).rules[0]).toMatchObject({ status: 'error', appliedOnError: true });
  });

  it('reports a non-bool condition result as an error', () => {
    const s = compilePolicy([{ name: 'b', document: { apiVersion: 'warden/v1', kind: 'Policy', name: 'b', rules: [{ name: 'flag', effect: 'deny', when: 'args.flag' }] } }]);
    const r = s.explain({ tool: 't', args: { flag: 'yes' } }).rules[0];
    expect(r).toMatchObject({ status: 'error', appliedOnError: true });
    expect(r?.error).toContain('not a bool');
  });

  it('lists no rules for an invalid request', () => {
    const e = set.explain({ tool: 'write', args: null });
    expect(e.rules).toEqual([]);
    expect(e.decision).toMatchObject({ effect: 'deny', reason: 'invalid_request' });
  });
});
