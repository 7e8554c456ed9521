import { describe, it, expect } from 'vitest';
import { compilePolicy, type Decision, type PolicySet } from '../../src/policy/index.js';

/** A policy document in YAML: `rules` is the YAML list body (indented by two spaces). */
function doc(name: string, rules: string, def?: 'allow' | 'deny'): string {
  return `apiVersion: warden/v1\nkind: Policy\nname: ${name}\n${def ? `default: ${def}\n` : ''}rules:${rules.trim() === '' ? ' []' : `\n${rules}`}\n`;
}

function set(...texts: string[]): PolicySet {
  return compilePolicy(texts.map((text, i) => ({ name: `p${i}.yaml`, text })));
}

function rule(name: string, effect: string, extra = ''): string {
  return `  - name: ${name}\n    effect: ${effect}\n${extra}`;
}

const REQ = { tool: 'act', args: {} };

describe('deny-overrides composition', () => {
  const table: Array<{ name: string; effects: string[]; expected: { effect: string; rule: string } }> = [
    { name: 'deny beats allow', effects: ['allow', 'deny'], expected: { effect: 'deny', rule: 'r1' } },
    { name: 'deny beats require_approval', effects: ['require_approval', 'deny'], expected: { effect: 'deny', rule: 'r1' } },
    { name: 'deny beats warn', effects: ['warn', 'deny'], expected: { effect: 'deny', rule: 'r1' } },
    { name: 'require_approval beats allow', effects: ['allow', 'require_approval'], expected: { effect: 'require_approval', rule: 'r1' } },
    { name: 'require_approval beats warn', effects: ['warn', 'require_approval'], expected: { effect: 'require_approval', rule: 'r1' } },
    { name: 'warn beats allow', effects: ['allow', 'warn'], expected: { effect: 'warn', rule: 'r1' } },
    { name: 'deny beats everything', effects: ['allow', 'warn', 'require_approval', 'deny'], expected: { effect: 'deny', rule: 'r3' } },
    { name: 'the first of two deny rules is reported', effects: ['deny', 'deny'], expected: { effect: 'deny', rule: 'r0' } },
  ];

  it.each(table)('within one document: $name', ({ effects, expected }) => {
    const rules = effects.map((e, i) => rule(`r${i}`, e, `    tools: [act]\n${e === 'require_approval' ? '    approvers: [sec]\n' : ''}`)).join('');
    expect(set(doc('p', rules)).decide(REQ)).toMatchObject({ ...expected, policy: 'p' });
  });

  it.each(table)('across documents: $name (rule order does not matter)', ({ effects, expected }) => {
    const texts = effects.map((e, i) => doc(`d${i}`, rule(`r${i}`, e, e === 'require_approval' ? '    approvers: [sec]\n' : '')));
    const d = set(...texts).decide(REQ);
    expect(d).toMatchObject({ ...expected, policy: `d${expected.rule.slice(1)}` });
    // Reversing the sources gives the same effect.
    expect(set(...[...texts].reverse()).decide(REQ).effect).toBe(expected.effect);
  });

  it('a deny rule in another file overrides an allow rule, whatever the order of the files', () => {
    const allow = doc('team', rule('ok', 'allow', '    tools: [act]\n'));
    const deny = doc('org', rule('never', 'deny', '    tools: [act]\n'));
    for (const d of [set(allow, deny).decide(REQ), set(deny, allow).decide(REQ)]) {
      expect(d).toMatchObject({ effect: 'deny', allowed: false, rule: 'never', policy: 'org' });
    }
  });
});

describe('defaults', () => {
  it('denies with rule null when nothing matches and the default is deny', () => {
    const d = set(doc('p', rule('r', 'allow', '    tools: [other]\n'))).decide(REQ);
    expect(d).toEqual({
      effect: 'deny',
      allowed: false,
      rule: null,
      policy: 'p',
      reason: 'No rule allows tool "act", and the default of policy "p" is deny. Add an allow rule for it if it should run.',
      approvers: [],
      errors: [],
      policyDigest: d.policyDigest,
    });
  });

  it('denies when nothing matches and no default is written', () => {
    expect(set(doc('p', '')).decide(REQ)).toMatchObject({ effect: 'deny', rule: null, policy: 'p' });
  });

  it('allows with rule null when nothing matches and the only default is allow', () => {
    expect(set(doc('p', '', 'allow')).decide(REQ)).toMatchObject({ effect: 'allow', allowed: true, rule: null, policy: 'p' });
  });

  it('applies the most restrictive default across documents (deny wins over allow), in any order', () => {
    const open = doc('open', '', 'allow');
    const closed = doc('closed', '', 'deny');
    expect(set(open, closed).decide(REQ)).toMatchObject({ effect: 'deny', rule: null, policy: 'closed' });
    expect(set(closed, open).decide(REQ)).toMatchObject({ effect: 'deny', rule: null, policy: 'closed' });
  });

  it('a document without default counts as deny against an allow document', () => {
    expect(set(doc('open', '', 'allow'), doc('implicit', '')).decide(REQ)).toMatchObject({ effect: 'deny', policy: 'implicit' });
  });

  it('an empty PolicySet (compilePolicy([])) denies everything with a reason', () => {
    const empty = compilePolicy([]);
    for (const tool of ['read_file', 'anything', '*']) {
      const d = empty.decide({ tool, args: {} });
      expect(d).toMatchObject({ effect: 'deny', allowed: false, rule: null, policy: null, approvers: [], errors: [] });
      expect(d.reason).toContain('No policy is loaded');
    }
    expect(empty.policies).toEqual([]);
    expect(empty.rules).toEqual([]);
  });
});

describe('effects and decision fields', () => {
  const s = set(
    doc(
      'p',
      [
        rule('w', 'warn', '    tools: [w]\n    reason: flagged for review\n'),
        rule('a', 'require_approval', '    tools: [a]\n    approvers: [security-team, ops]\n'),
        rule('d', 'deny', '    tools: [d]\n'),
        rule('ok', 'allow', '    tools: [ok]\n'),
      ].join(''),
    ),
  );

  it('warn is allowed:true, with the rule reason', () => {
    expect(s.decide({ tool: 'w', args: {} })).toMatchObject({ effect: 'warn', allowed: true, rule: 'w', policy: 'p', reason: 'flagged for review', approvers: [] });
  });

  it('require_approval is allowed:false and carries the approvers', () => {
    expect(s.decide({ tool: 'a', args: {} })).toMatchObject({ effect: 'require_approval', allowed: false, rule: 'a', approvers: ['security-team', 'ops'] });
  });

  it('deny has a generated reason naming the rule and policy when none is written', () => {
    expect(s.decide({ tool: 'd', args: {} })).toMatchObject({ effect: 'deny', allowed: false, rule: 'd', reason: 'Rule "d" of policy "p" denies this call.', approvers: [] });
  });

  it('allow is allowed:true and lists no approvers or errors', () => {
    expect(s.decide({ tool: 'ok', args: {} })).toMatchObject({ effect: 'allow', allowed: true, rule: 'ok', approvers: [], errors: [] });
  });

  it('every decision carries the digest of the set', () => {
    for (const tool of ['w', 'a', 'd', 'ok', 'none']) expect(s.decide({ tool, args: {} }).policyDigest).toBe(s.digest);
  });

  it('returns a fresh approvers array each time (a caller cannot change the rule)', () => {
    const first = s.decide({ tool: 'a', args: {} });
    first.approvers.push('attacker');
    expect(s.decide({ tool: 'a', args: {} }).approvers).toEqual(['security-team', 'ops']);
  });
});

describe('tool matching', () => {
  const s = set(
    doc(
      'p',
      [
        rule('reads', 'allow', '    tools: ["read_*"]\n'),
        rule('github', 'warn', '    tools: ["mcp__github__*"]\n'),
        rule('any-fs', 'require_approval', '    tools: ["fs/**"]\n'),
        rule('one-char', 'allow', '    tools: ["ls?"]\n'),
        rule('set', 'allow', '    tools: ["[ab]_tool"]\n'),
        rule('exact', 'allow', '    tools: [search, fetch]\n'),
      ].join(''),
    ),
  );
  const cases: Array<[string, string | null]> = [
    ['read_file', 'reads'],
    ['read_', 'reads'],
    ['read', null],
    ['xread_file', null],
    ['READ_file', null],
    ['read_dir/sub', null],
    ['mcp__github__create_issue', 'github'],
    ['mcp__github__', 'github'],
    ['mcp__gitlab__create_issue', null],
    ['fs/a', 'any-fs'],
    ['fs/a/b/c', 'any-fs'],
    ['fs', null],
    ['lsx', 'one-char'],
    ['ls', null],
    ['lsxy', null],
    ['a_tool', 'set'],
    ['b_tool', 'set'],
    ['c_tool', null],
    ['search', 'exact'],
    ['fetch', 'exact'],
    ['searc', null],
    ['search ', null],
  ];
  it.each(cases)('tool %s is decided by rule %s', (tool, expected) => {
    expect(s.decide({ tool, args: {} }).rule).toBe(expected);
  });

  it('a rule without tools applies to every tool', () => {
    const all = set(doc('p', rule('everything', 'deny')));
    for (const tool of ['a', 'read_file', 'x/y', '__proto__', 'constructor']) {
      expect(all.decide({ tool, args: {} })).toMatchObject({ effect: 'deny', rule: 'everything' });
    }
  });

  it('"**" covers every tool, including names with "/"', () => {
    const all = set(doc('p', rule('everything', 'deny', '    tools: ["**"]\n')));
    for (const tool of ['a', 'x/y/z', 'mcp__s__t']) expect(all.decide({ tool, args: {} }).rule).toBe('everything');
  });

  it('exact tool names that look like Object.prototype members are ordinary names', () => {
    const s2 = set(doc('p', rule('ctor', 'allow', '    tools: [constructor, __proto__]\n')));
    expect(s2.decide({ tool: 'constructor', args: {} }).rule).toBe('ctor');
    expect(s2.decide({ tool: '__proto__', args: {} }).rule).toBe('ctor');
    for (const tool of ['toString', 'hasOwnProperty', 'valueOf']) {
      expect(s2.decide({ tool, args: {} })).toMatchObject({ effect: 'deny', rule: null });
    }
  });

  it('an exact and a glob rule covering the same tool are both candidates (deny-overrides between them)', () => {
    const s2 = set(doc('p', rule('exact-ok', 'allow', '    tools: [read_secret]\n') + rule('glob-deny', 'deny', '    tools: ["read_*"]\n')));
    expect(s2.decide({ tool: 'read_secret', args: {} })).toMatchObject({ effect: 'deny', rule: 'glob-deny' });
  });
});

describe('determinism and the digest', () => {
  const a = doc('a', rule('r', 'deny', '    tools: [x]\n    when: "args.n > 2"\n') + rule('ok', 'allow'));
  const b = doc('b', rule('s', 'require_approval', '    tools: [y]\n    approvers: [sec]\n'));

  it('the same request gets the same decision, every time and from a fresh compile', () => {
    const s1 = set(a, b);
    const s2 = set(a, b);
    const requests = [
      { tool: 'x', args: { n: 3 } },
      { tool: 'x', args: { n: 1 } },
      { tool: 'x', args: {} },
      { tool: 'y', args: {} },
      { tool: 'z', args: {} },
    ];
    for (const r of requests) {
      const first: Decision = s1.decide(r);
      for (let i = 0; i < 5; i++) expect(s1.decide(structuredClone(r))).toEqual(first);
      expect(s2.decide(r)).toEqual(first);
    }
  });

  it('the digest is equal for the same sources in any order', () => {
    expect(set(a, b).digest).toBe(set(b, a).digest);
  });

  it('the digest does not depend on the source names', () => {
    const x = compilePolicy([{ name: 'one.yaml', text: a }]);
    const y = compilePolicy([{ name: 'two.yaml', text: a }]);
    expect(x.digest).toBe(y.digest);
  });

  it('the digest changes when one byte of a source changes, even a comment or whitespace', () => {
    const base = set(a, b).digest;
    expect(set(a.replace('n > 2', 'n > 3'), b).digest).not.toBe(base);
    expect(set(`${a}# c\n`, b).digest).not.toBe(base);
    expect(set(`${a} `, b).digest).not.toBe(base);
  });

  it('the digest changes when a source is added or removed', () => {
    expect(set(a).digest).not.toBe(set(a, b).digest);
    expect(compilePolicy([]).digest).not.toBe(set(a).digest);
  });

  it('decisions carry the digest of their own set', () => {
    const s1 = set(a);
    const s2 = set(a, b);
    expect(s1.decide({ tool: 'z', args: {} }).policyDigest).toBe(s1.digest);
    expect(s2.decide({ tool: 'z', args: {} }).policyDigest).toBe(s2.digest);
    expect(s1.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('a compiled set is immutable', () => {
    const s1 = set(a);
    expect(Object.isFrozen(s1.rules)).toBe(true);
    expect(Object.isFrozen(s1.policies)).toBe(true);
    expect(Object.isFrozen(s1.rules[0])).toBe(true);
  });
});
