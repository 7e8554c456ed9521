/**
 * Static analysis: every finding with cases that must raise it and cases that must not, the SARIF
 * shape, the policy diff, and laws (a rule lint calls shadowed or duplicate never decides; a glob
 * lint says covers another matches everything the other matches).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/policy/compile.js';
import {
  LINT_CHECKS,
  analyzePolicySet,
  diffDecisions,
  diffPolicySets,
  formatFinding,
  lintPolicy,
  toSarif,
  type LintFinding,
  type LintReport,
} from '../../src/policy/lint.js';
import { compileGlob } from '../../src/lib/glob.js';
import { nestedQuantifierAt } from '../../src/policy/lint-regex.js';
import { globCovers } from '../../src/policy/lint-scope.js';

const HEAD = 'apiVersion: warden/v1\nkind: Policy\n';

/** A policy document from a name, optional extra top-level YAML, and rules in YAML. */
function doc(name: string, rules: string, extra = ''): string {
  return `${HEAD}name: ${name}\n${extra}rules:\n${rules}`;
}

function lint(...texts: string[]): LintReport {
  return lintPolicy(texts.map((text, i) => ({ name: `p${i}.yaml`, text })));
}

function findings(report: LintReport, code: string): LintFinding[] {
  return report.findings.filter((f) => f.code === code);
}

function rulesWith(report: LintReport, code: string): string[] {
  return findings(report, code).map((f) => f.rule ?? '');
}

describe('shadowed_rule', () => {
  const positive: Array<[string, string[], string]> = [
    [
      'an unconditional deny on the same tool',
      [doc('p', '  - { name: no-writes, tools: [write_file], effect: deny }\n  - { name: allow-writes, tools: [write_file], effect: allow }\n')],
      'allow-writes',
    ],
    ['a deny of every tool over a warn', [doc('p', '  - { name: lockdown, effect: deny }\n  - { name: warn-x, tools: [x], effect: warn }\n')], 'warn-x'],
    [
      'a deny glob matching every literal of the allow',
      [doc('p', '  - { name: no-writes, tools: ["write_*"], effect: deny }\n  - { name: allow-some, tools: [write_file, write_log], effect: allow }\n')],
      'allow-some',
    ],
    ['a ** deny over a glob with slashes', [doc('p', '  - { name: all, tools: ["**"], effect: deny }\n  - { name: a, tools: ["mcp/*"], effect: allow }\n')], 'a'],
    ['a * deny over a slash-free glob', [doc('p', '  - { name: all, tools: ["*"], effect: deny }\n  - { name: a, tools: ["read_*"], effect: allow }\n')], 'a'],
    ['a prefix glob over a longer prefix glob', [doc('p', '  - { name: fs, tools: ["fs_**"], effect: deny }\n  - { name: a, tools: ["fs_read*"], effect: allow }\n')], 'a'],
    [
      'an unconditional require_approval over an allow',
      [doc('p', '  - { name: ask, tools: [pay], effect: require_approval, approvers: [cfo] }\n  - { name: allow-pay, tools: [pay], effect: allow }\n')],
      'allow-pay',
    ],
    ['a deny over a require_approval', [doc('p', '  - { name: no-pay, tools: [pay], effect: deny }\n  - { name: ask, tools: [pay], effect: require_approval, approvers: [cfo] }\n')], 'ask'],
    ['a warn over an allow', [doc('p', '  - { name: w, tools: [x], effect: warn }\n  - { name: a, tools: [x], effect: allow }\n')], 'a'],
    ['a deny whose condition is the constant true', [doc('p', '  - { name: d, tools: [x], when: "true", effect: deny }\n  - { name: a, tools: [x], effect: allow }\n')], 'a'],
    ['a deny whose unless is the constant false', [doc('p', '  - { name: d, tools: [x], unless: "false", effect: deny }\n  - { name: a, tools: [x], effect: allow }\n')], 'a'],
    [
      'a conditional allow under an unconditional deny',
      [doc('p', '  - { name: d, tools: [x], effect: deny }\n  - { name: a, tools: [x], when: "args.ok == true", effect: allow }\n')],
      'a',
    ],
    ['a deny in another document', [doc('p', '  - { name: d, tools: [x], effect: deny }\n'), doc('q', '  - { name: a, tools: [x], effect: allow }\n')], 'a'],
    ['the allow comes before the deny in the file', [doc('p', '  - { name: a, tools: [x], effect: allow }\n  - { name: d, tools: [x, y], effect: deny }\n')], 'a'],
  ];

  it.each(positive)('reports %s', (_label, texts, rule) => {
    const r = lint(...texts);
    expect(rulesWith(r, 'shadowed_rule')).toEqual([rule]);
    const f = findings(r, 'shadowed_rule')[0] as LintFinding;
    expect(f.severity).toBe('warning');
    expect(f.related).toHaveLength(1);
    expect(f.message).toContain('never decides');
    expect(f.message).toMatch(/Remove "[^"]+", or give/);
  });

  const negative: Array<[string, string[]]> = [
    ['the deny has a condition', [doc('p', '  - { name: d, tools: [x], when: "args.a == 1", effect: deny }\n  - { name: a, tools: [x], effect: allow }\n')]],
    ['the deny has an unless', [doc('p', '  - { name: d, tools: [x], unless: "args.a == 1", effect: deny }\n  - { name: a, tools: [x], effect: allow }\n')]],
    ['the allow names a tool the deny does not cover', [doc('p', '  - { name: d, tools: [write_file], effect: deny }\n  - { name: a, tools: [write_file, read_file], effect: allow }\n')]],
    ['a * deny against an allow of every tool (names with / escape *)', [doc('p', '  - { name: d, tools: ["*"], effect: deny }\n  - { name: a, effect: allow, when: "args.x == 1" }\n')]],
    ['a * deny against a glob that matches slashes', [doc('p', '  - { name: d, tools: ["*"], effect: deny }\n  - { name: a, tools: ["mcp/**"], effect: allow }\n')]],
    ['two unrelated globs', [doc('p', '  - { name: d, tools: ["read_*"], effect: deny }\n  - { name: a, tools: ["*_file"], effect: allow }\n')]],
    ['a prefix glob over a glob that crosses a slash', [doc('p', '  - { name: d, tools: ["fs_*"], effect: deny }\n  - { name: a, tools: ["fs_a/*"], effect: allow }\n')]],
    ['an allow before a warn (allow is the weaker)', [doc('p', '  - { name: a, tools: [x], effect: allow }\n  - { name: w, tools: [x], effect: warn, when: "args.a == 1" }\n')]],
    ['two denies (a deny is never reported as shadowed)', [doc('p', '  - { name: d1, tools: [x], effect: deny }\n  - { name: d2, tools: [x], when: "args.a == 1", effect: deny }\n')]],
    ['a glob deny that does not match the literal', [doc('p', '  - { name: d, tools: ["write_*"], effect: deny }\n  - { name: a, tools: [rewrite_file], effect: allow }\n')]],
  ];

  it.each(negative)('does not report %s', (_label, texts) => {
    expect(rulesWith(lint(...texts), 'shadowed_rule')).toEqual([]);
  });

  it('names the overriding rule and its position', () => {
    const f = findings(lint(doc('p', '  - { name: no-writes, tools: [write_file], effect: deny }\n  - { name: allow-writes, tools: [write_file], effect: allow }\n')), 'shadowed_rule')[0];
    expect(f).toMatchObject({ file: 'p0.yaml', line: 6, col: 5, policy: 'p', rule: 'allow-writes', related: [{ file: 'p0.yaml', line: 5, col: 5 }] });
    expect(f?.message).toContain('rule "no-writes" at p0.yaml:5:5 (deny, no condition, tools [write_file])');
  });
});

describe('globCovers', () => {
  const table: Array<[string, string, boolean]> = [
    ['read_*', 'read_*', true],
    ['**', 'a/**', true],
    ['***', 'x', true],
    ['*', 'read_*', true],
    ['*', 'a/*', false],
    ['*', 'a**', false],
    ['fs_**', 'fs_read/*', true],
    ['fs_*', 'fs_read?', true],
    ['fs_*', 'fs_a/b*', false],
    ['fs_*', 'f*', false],
    ['read_*', '*_file', false],
    ['a?*', 'abc*', false],
    ['[ab]*', 'a*', false],
  ];
  it.each(table)('globCovers(%j, %j) is %s', (outer, inner, expected) => {
    expect(globCovers(outer, inner)).toBe(expected);
  });

  it('is sound: whatever the inner glob matches, the outer one matches when it says it covers', () => {
    const piece = fc.constantFrom('a', 'b', '/', '_', '*', '**', '?', '[ab]', '[!a]');
    const glob = fc.array(piece, { minLength: 1, maxLength: 5 }).map((p) => p.join(''));
    const text = fc.array(fc.constantFrom('a', 'b', '/', '_', 'c'), { maxLength: 7 }).map((p) => p.join(''));
    fc.assert(
      fc.property(glob, glob, fc.array(text, { minLength: 1, maxLength: 20 }), (outer, inner, texts) => {
        if (!globCovers(outer, inner)) return;
        const o = compileGlob(outer);
        const i = compileGlob(inner);
        for (const t of texts) if (i.test(t)) expect(o.test(t)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('duplicate_definition', () => {
  const positive: Array<[string, string[]]> = [
    ['the same rule twice in one document', [doc('p', '  - { name: a1, tools: [x], when: "args.a == 1", effect: allow }\n  - { name: a2, tools: [x], when: "args.a == 1", effect: allow }\n')]],
    ['the same rule in two documents', [doc('p', '  - { name: a, tools: [x], effect: deny, when: "args.a == 1" }\n'), doc('q', '  - { name: a, tools: [x], effect: deny, when: "args.a == 1" }\n')]],
    ['tools listed in another order', [doc('p', '  - { name: a1, tools: [x, y], unless: "args.a == 1", effect: warn }\n  - { name: a2, tools: [y, x], unless: "args.a == 1", effect: warn }\n')]],
    ['conditions with other surrounding space', [doc('p', '  - { name: a1, tools: [x], when: "args.a == 1", effect: allow }\n  - { name: a2, tools: [x], when: "  args.a == 1 ", effect: allow }\n')]],
    ['two rules on every tool with different reasons', [doc('p', '  - { name: a1, when: "args.a == 1", effect: deny, reason: one }\n  - { name: a2, when: "args.a == 1", effect: deny, reason: two }\n')]],
  ];
  it.each(positive)('reports %s, on the later rule', (_label, texts) => {
    const r = lint(...texts);
    const f = findings(r, 'duplicate_definition');
    expect(f).toHaveLength(1);
    expect(f[0]?.rule).toMatch(/^a2?$/);
    expect(f[0]?.line).toBe(texts.length === 2 ? 5 : 6);
    expect(f[0]?.file).toBe(texts.length === 2 ? 'p1.yaml' : 'p0.yaml');
    expect(f[0]?.related).toEqual([{ file: 'p0.yaml', line: 5, col: 5 }]);
    expect(f[0]?.message).toContain('Remove one of them');
  });

  const negative: Array<[string, string]> = [
    ['different conditions', '  - { name: a1, tools: [x], when: "args.a == 1", effect: allow }\n  - { name: a2, tools: [x], when: "args.a == 2", effect: allow }\n'],
    ['different effects', '  - { name: a1, tools: [x], when: "args.a == 1", effect: allow }\n  - { name: a2, tools: [x], when: "args.a == 1", effect: warn }\n'],
    ['different tools', '  - { name: a1, tools: [x], when: "args.a == 1", effect: allow }\n  - { name: a2, tools: [x, y], when: "args.a == 1", effect: allow }\n'],
    ['the same text as when and as unless', '  - { name: a1, tools: [x], when: "args.a == 1", effect: allow }\n  - { name: a2, tools: [x], unless: "args.a == 1", effect: allow }\n'],
    ['every tool against one tool', '  - { name: a1, when: "args.a == 1", effect: allow }\n  - { name: a2, tools: [x], when: "args.a == 1", effect: allow }\n'],
  ];
  it.each(negative)('does not report %s', (_label, rules) => {
    expect(findings(lint(doc('p', rules)), 'duplicate_definition')).toEqual([]);
  });
});

describe('unknown_tool', () => {
  const inv = 'tools: [read_file, write_file, query_db, mcp/github/create_issue]\n';
  const positive: Array<[string, string[], Array<[number, number]>, string]> = [
    ['a misspelt literal, with a suggestion', [doc('p', '  - { name: r, tools: [raed_file], effect: allow }\n', inv)], [[6, 24]], 'Did you mean "read_file"?'],
    ['a glob that matches nothing declared', [doc('p', '  - { name: r, tools: ["delete_*"], effect: deny }\n', inv)], [[6, 24]], 'matches no tool'],
    ['one bad entry among good ones', [doc('p', '  - { name: r, tools: [read_file, exec, "write_*"], effect: allow }\n', inv)], [[6, 35]], '"exec"'],
    ['an inventory declared in another document', [doc('p', '  - { name: r, tools: [launch], effect: allow }\n'), doc('q', '  - { name: s, tools: [read_file], effect: allow }\n', inv)], [[5, 24]], 'p1.yaml'],
    [
      'a facet binding of an undeclared tool',
      [doc('p', '  - { name: r, tools: [query_db], effect: allow }\n', `${inv}facets:\n  - tools: [query_pg]\n    sql: { from: args.query, dialect: postgresql }\n`)],
      [[6, 5]],
      'The sql binding names tool "query_pg"',
    ],
  ];
  it.each(positive)('reports %s', (_label, texts, where, text) => {
    const f = findings(lint(...texts), 'unknown_tool');
    expect(f.map((x) => [x.line, x.col])).toEqual(where);
    expect(f[0]?.severity).toBe('warning');
    expect(f[0]?.message).toContain(text);
  });

  const negative: Array<[string, string]> = [
    ['no document declares an inventory', doc('p', '  - { name: r, tools: [anything], effect: allow }\n')],
    ['every literal is declared', doc('p', '  - { name: r, tools: [read_file, write_file], effect: allow }\n', inv)],
    ['globs match declared tools', doc('p', '  - { name: r, tools: ["*_file", "mcp/**"], effect: allow }\n', inv)],
    ['a rule on every tool', doc('p', '  - { name: r, effect: deny, when: "args.a == 1" }\n', inv)],
  ];
  it.each(negative)('does not report when %s', (_label, text) => {
    expect(findings(lint(text), 'unknown_tool')).toEqual([]);
  });
});

describe('no_approvers and allow_all are reported once', () => {
  it('a require_approval without approvers is one no_approvers finding', () => {
    const r = lint(doc('p', '  - { name: ask, tools: [pay], effect: require_approval }\n'));
    expect(r.findings.map((f) => f.code)).toEqual(['no_approvers']);
  });
  it('a require_approval with approvers is no finding', () => {
    expect(lint(doc('p', '  - { name: ask, tools: [pay], effect: require_approval, approvers: [cfo] }\n')).findings).toEqual([]);
  });
  it('an allow of every tool with no condition is one allow_all finding', () => {
    const r = lint(doc('p', '  - { name: all, effect: allow }\n'));
    expect(r.findings.map((f) => f.code)).toEqual(['allow_all']);
  });
  it('a scoped or conditional allow is no finding', () => {
    expect(lint(doc('p', '  - { name: r, tools: [read_file], effect: allow }\n  - { name: c, effect: allow, when: "args.ok == true" }\n')).findings).toEqual([]);
  });
  it('analyzePolicySet leaves the compile warnings to set.warnings', () => {
    const sources = [{ name: 'p.yaml', text: doc('p', '  - { name: all, effect: allow }\n  - { name: ask, tools: [pay], effect: require_approval }\n') }];
    expect(analyzePolicySet(compilePolicy(sources), sources)).toEqual([]);
  });
});

describe('unguarded_facet and unbound_facet', () => {
  const sqlBinding = 'facets:\n  - tools: [query_db, "pg_*"]\n    sql: { from: args.query, dialect: postgresql }\n';
  const pathBinding = 'facets:\n  - tools: [read_file, write_file]\n    path: { from: args.path, root: /workspace }\n';
  const shellBinding = 'facets:\n  - tools: [bash]\n    shell: { from: args.command }\n';
  const k8sBinding = 'facets:\n  - tools: [kubectl]\n    k8s: { from: args.command }\n';
  const readOnly = '  - { name: read-only, tools: [query_db], when: "sql.verbs.exists(v, v != \'SELECT\')", effect: deny }\n  - { name: allow-db, tools: [query_db], effect: allow }\n';

  const positive: Array<[string, string, string[]]> = [
    ['a deny that reads sql, with no guard', doc('p', readOnly, sqlBinding), ['read-only']],
    ['an allow that is true on empty facts', doc('p', '  - { name: selects, tools: [query_db], when: "sql.verbs.all(v, v == \'SELECT\')", effect: allow }\n', sqlBinding), ['selects']],
    [
      'a guard that covers only some of the tools read',
      doc('p', '  - { name: guard, tools: [query_db], when: "!sql.parsed", effect: deny }\n  - { name: ro, tools: [query_db, pg_main], when: "\'DROP\' in sql.verbs", effect: deny }\n', sqlBinding),
      ['ro'],
    ],
    [
      'a "guard" that needs another condition too',
      doc('p', '  - { name: guard, tools: [query_db], when: "!sql.parsed && args.strict == true", effect: deny }\n' + readOnly, sqlBinding),
      ['read-only'],
    ],
    [
      'a require_approval is not a guard',
      doc('p', '  - { name: ask, tools: [query_db], when: "!sql.parsed", effect: require_approval, approvers: [dba] }\n' + readOnly, sqlBinding),
      ['read-only'],
    ],
    ['a shell rule', doc('p', '  - { name: no-curl, tools: [bash], when: "\'curl\' in shell.names", effect: deny }\n  - { name: ok, tools: [bash], effect: allow }\n', shellBinding), ['no-curl']],
    ['a k8s rule', doc('p', '  - { name: ro, tools: [kubectl], when: "k8s.verb == \'delete\'", effect: deny }\n  - { name: ok, tools: [kubectl], effect: allow }\n', k8sBinding), ['ro']],
    ['a path rule on every tool', doc('p', '  - { name: no-trav, when: "path.traversal", effect: deny }\n  - { name: ok, tools: [read_file], effect: allow }\n', pathBinding), ['no-trav']],
  ];
  it.each(positive)('reports %s', (_label, text, rules) => {
    const r = lint(text);
    expect(rulesWith(r, 'unguarded_facet')).toEqual(rules);
    const f = findings(r, 'unguarded_facet')[0] as LintFinding;
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/Add the guard: - name: unparsable-(sql|shell|path|k8s), tools: \[.+\], when: "!(sql|shell|path|k8s)\.parsed", effect: deny\./);
  });

  it('names the tools the guard must cover', () => {
    const text = doc('p', '  - { name: guard, tools: [query_db], when: "!sql.parsed", effect: deny }\n  - { name: ro, tools: [query_db, pg_main], when: "\'DROP\' in sql.verbs", effect: deny }\n', sqlBinding);
    expect(findings(lint(text), 'unguarded_facet')[0]?.message).toContain('reads sql for pg_main, but no deny rule covering it');
  });

  const negative: Array<[string, string]> = [
    ['a !sql.parsed guard', doc('p', '  - { name: guard, tools: [query_db], when: "!sql.parsed", effect: deny }\n' + readOnly, sqlBinding)],
    ['a sql.parsed == false guard', doc('p', '  - { name: guard, tools: [query_db], when: "sql.parsed == false", effect: deny }\n' + readOnly, sqlBinding)],
    ['a guard in a disjunction', doc('p', '  - { name: guard, tools: [query_db], when: "args.force == true || !sql.parsed", effect: deny }\n' + readOnly, sqlBinding)],
    ['a deny unless sql.parsed', doc('p', '  - { name: guard, tools: [query_db], unless: "sql.parsed", effect: deny }\n' + readOnly, sqlBinding)],
    ['a glob guard over the literal', doc('p', '  - { name: guard, tools: ["*"], when: "!sql.parsed", effect: deny }\n' + readOnly, sqlBinding)],
    ['a guard in another document', `${doc('p', readOnly, sqlBinding)}\n---\n${doc('q', '  - { name: guard, tools: [query_db, "pg_*"], when: "!sql.parsed", effect: deny }\n')}`],
    ['a deny that applies itself when sql does not parse', doc('p', '  - { name: ro, tools: [query_db], when: "!sql.parsed || sql.verbs.exists(v, v != \'SELECT\')", effect: deny }\n  - { name: ok, tools: [query_db], effect: allow }\n', sqlBinding)],
    ['a path rule that denies when outside the root (false when unparsed)', doc('p', '  - { name: out, tools: [read_file, write_file], when: "!path.insideRoot", effect: deny }\n  - { name: trav, tools: [read_file], when: "path.traversal", effect: deny }\n', pathBinding)],
    ['an allow that requires sql.parsed', doc('p', '  - { name: selects, tools: [query_db], when: "sql.parsed && sql.verbs.all(v, v == \'SELECT\') && args.x == 1", effect: allow }\n', sqlBinding)],
    ['an allow that is false on empty facts', doc('p', '  - { name: in-root, tools: [read_file], when: "path.insideRoot", effect: allow }\n', pathBinding)],
    ['a rule that reads only sql.parsed and sql.error', doc('p', '  - { name: why, tools: [query_db], when: "!sql.parsed && sql.error != \'\'", effect: warn }\n', sqlBinding)],
    ['a glob rule with a glob guard on the same glob', doc('p', '  - { name: g, tools: ["pg_*"], when: "!sql.parsed", effect: deny }\n  - { name: ro, tools: ["pg_*"], when: "\'DROP\' in sql.verbs", effect: deny }\n', sqlBinding)],
    ['rules that read only urls (no binding, no guard needed)', doc('p', '  - { name: meta, when: "urls.exists(u, u.metadata)", effect: deny }\n')],
  ];
  it.each(negative)('does not report %s', (_label, text) => {
    const r = lint(text);
    expect(r.errors).toBe(0);
    expect(findings(r, 'unguarded_facet')).toEqual([]);
    expect(findings(r, 'unbound_facet')).toEqual([]);
  });

  const unbound: Array<[string, string, string]> = [
    ['a facet with no binding at all', doc('p', '  - { name: ro, tools: [query_db], when: "!sql.parsed || \'DROP\' in sql.verbs", effect: deny }\n'), 'for [query_db]'],
    ['a tool the binding does not name', doc('p', '  - { name: ro, tools: [query_db, run_sql], when: "!sql.parsed || \'DROP\' in sql.verbs", effect: deny }\n', sqlBinding), 'for run_sql'],
    ['a guard on a tool the binding does not name (it denies every call)', doc('p', '  - { name: ro, tools: [query_db, run_sql], when: "!sql.parsed", effect: deny }\n', sqlBinding), 'for run_sql'],
  ];
  it.each(unbound)('unbound_facet: reports %s', (_label, text, fragment) => {
    const f = findings(lint(text), 'unbound_facet');
    expect(f.map((x) => x.rule)).toEqual(['ro']);
    expect(f[0]?.message).toContain(fragment);
    expect(f[0]?.message).toContain('Bind it');
  });
});

describe('backtracking_regex', () => {
  const nested: Array<[string, number]> = [
    ['^(a+)+$', 1],
    ['(a*)*', 0],
    ['x(?:ab+)*', 1],
    ['(x|y+){2,}', 0],
    ['((a+)b)*', 0],
    ['^(\\w+\\s?)*$', 1],
    ['(?P<n>a+)+', 0],
    ['(?i)(a+)+', 4],
    ['([a-z]+)*', 0],
    ['(a+?)+?', 0],
  ];
  it.each(nested)('nestedQuantifierAt(%j) is %i', (pattern, at) => {
    expect(nestedQuantifierAt(pattern)).toBe(at);
  });

  const linear = ['a+b+', '(ab)+', '(a+)?', '(a+){3}', '(a+){2,5}', '[(a+)+]', '\\(a+\\)+', '(?i)abc+', '\\Q(a+)+\\E', '[\\]a+]+', '(a)(b+)', 'a{2,}b*', '[[:alpha:]]+', ')a+(', '(unclosed+'];
  it.each(linear)('nestedQuantifierAt(%j) is -1', (pattern) => {
    expect(nestedQuantifierAt(pattern)).toBe(-1);
  });

  it('never throws and always ends, on any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('(', ')', '[', ']', '\\', '+', '*', '?', '{', '}', ',', '1', 'a', '|', '^', ':', 'Q', 'E', 'P', '<', '>') }), (p) => {
        const at = nestedQuantifierAt(p);
        expect(at).toBeGreaterThanOrEqual(-1);
        expect(at).toBeLessThan(Math.max(p.length, 1));
      }),
      { numRuns: 3000 },
    );
  });

  it('reports an re2() literal as info at the pattern in the file', () => {
    const r = lint(doc('p', "  - name: bad\n    tools: [x]\n    when: \"re2(args.s, '^(a+)+$')\"\n    effect: deny\n"));
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ severity: 'info', code: 'backtracking_regex', line: 7, col: 24, rule: 'bad' });
    expect(r.infos).toBe(1);
  });

  it('reports one in an unless, with a block scalar', () => {
    const r = lint(doc('p', "  - name: bad\n    tools: [x]\n    unless: |\n      args.ok == true &&\n      re2(args.s, '(x*)*y')\n    effect: deny\n"));
    expect(r.findings.map((f) => [f.code, f.line, f.col])).toEqual([['backtracking_regex', 9, 19]]);
  });

  it('does not report linear patterns, glob(), or patterns that are not literals', () => {
    const r = lint(doc('p', "  - name: ok\n    tools: [x]\n    when: \"re2(args.s, '^a+b+$') || glob(args.p, '**/*') || re2(args.s, args.pattern)\"\n    effect: deny\n"));
    expect(r.findings).toEqual([]);
  });
});

describe('lintPolicy', () => {
  it('reports load errors and skips the analysis when the policy does not load', () => {
    const r = lint(doc('p', '  - { name: a, tools: [x], effect: alow }\n  - { name: b, tools: [x], effect: allow }\n'));
    expect(r).toMatchObject({ loaded: false, rules: 0, errors: 1, warnings: 0, infos: 0 });
    expect(r.findings[0]).toMatchObject({ severity: 'error', code: 'unknown_value', line: 5 });
  });

  it('is clean on a careful policy', () => {
    const r = lint(
      doc(
        'p',
        '  - { name: guard, tools: [query_db], when: "!sql.parsed", effect: deny }\n  - { name: ro, tools: [query_db], when: "sql.verbs.exists(v, v != \'SELECT\')", effect: deny }\n  - { name: ok, tools: [query_db], effect: allow }\n',
        'tools: [query_db]\nfacets:\n  - tools: [query_db]\n    sql: { from: args.query, dialect: postgresql }\n',
      ),
    );
    expect(r).toEqual({ loaded: true, rules: 3, findings: [], errors: 0, warnings: 0, infos: 0 });
  });

  it('sorts findings by file, line and column', () => {
    const r = lint(
      doc('p', '  - { name: d, tools: [x], effect: deny }\n  - { name: a, tools: [x], effect: allow }\n  - { name: a2, tools: [x], effect: allow }\n  - { name: all, effect: allow }\n'),
    );
    expect(r.findings.map((f) => [f.line, f.code])).toEqual([
      [6, 'shadowed_rule'],
      [7, 'duplicate_definition'],
      [7, 'shadowed_rule'],
      [8, 'allow_all'],
    ]);
    expect(formatFinding(r.findings[0] as LintFinding)).toMatch(/^p0\.yaml:6:5: warning\[shadowed_rule\]: Rule "a"/);
  });

  it('stops the pairwise checks at the comparison budget and says so', () => {
    const rules = Array.from({ length: 40 }, (_, i) => `  - { name: d${i}, tools: [t${i}], effect: deny }\n  - { name: a${i}, tools: [t${i}, u], effect: allow }\n`).join('');
    const r = lintPolicy([{ name: 'big.yaml', text: doc('p', rules) }], { maxComparisons: 100 });
    expect(r.findings.map((f) => f.code)).toContain('lint_truncated');
    expect(findings(r, 'lint_truncated')[0]?.severity).toBe('info');
    const full = lintPolicy([{ name: 'big.yaml', text: doc('p', rules) }]);
    expect(full.findings).toEqual([]);
  });

  it('reads document objects as well as text', () => {
    const document = { apiVersion: 'warden/v1', kind: 'Policy', name: 'obj', rules: [{ name: 'd', tools: ['x'], effect: 'deny' }, { name: 'a', tools: ['x'], effect: 'allow' }] };
    const r = lintPolicy([{ name: 'obj.json', document }]);
    expect(r.findings.map((f) => [f.code, f.file, f.rule])).toEqual([['shadowed_rule', 'obj.json', 'a']]);
  });

  it('has a catalogue entry for every code it produces', () => {
    for (const code of ['shadowed_rule', 'unknown_tool', 'duplicate_definition', 'unguarded_facet', 'unbound_facet', 'backtracking_regex', 'lint_truncated', 'allow_all', 'no_approvers', 'never_matches']) {
      expect(LINT_CHECKS[code]?.summary.length ?? 0).toBeGreaterThan(10);
    }
  });
});

describe('laws', () => {
  const TOOLS = ['read_file', 'write_file', 'mcp/x', 'run'];
  const PATTERNS = ['read_file', 'write_file', 'mcp/x', 'run', '*', '**', '*_file', 'mcp/*', 'w*'];
  const CONDS = [undefined, 'args.a == 1', 'args.b == true', 'true'];
  const EFFECTS = ['allow', 'deny', 'warn', 'require_approval'] as const;
  const rule = fc.record({
    effect: fc.constantFrom(...EFFECTS),
    tools: fc.option(fc.uniqueArray(fc.constantFrom(...PATTERNS), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    when: fc.constantFrom(...CONDS),
    unless: fc.constantFrom(undefined, 'args.a == 2'),
  });

  it('a rule lint reports as shadowed or duplicate never decides any request', () => {
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 8 }), fc.option(fc.nat(), { nil: undefined }), (generated, copy) => {
        // Half the runs repeat one of the rules, so duplicates are common too.
        const rules = copy === undefined ? generated : [...generated, generated[copy % generated.length] as (typeof generated)[number]];
        const document = {
          apiVersion: 'warden/v1',
          kind: 'Policy',
          name: 'law',
          rules: rules.map((r, i) => ({
            name: `r${i}`,
            effect: r.effect,
            ...(r.tools ? { tools: r.tools } : {}),
            ...(r.when ? { when: r.when } : {}),
            ...(r.unless ? { unless: r.unless } : {}),
            ...(r.effect === 'require_approval' ? { approvers: ['x'] } : {}),
          })),
        };
        const sources = [{ name: 'law.json', document }];
        const report = lintPolicy(sources);
        const dead = new Set(report.findings.filter((f) => f.code === 'shadowed_rule' || f.code === 'duplicate_definition').map((f) => f.rule));
        if (dead.size === 0) return;
        const set = compilePolicy(sources);
        for (const tool of TOOLS) {
          for (const args of [{}, { a: 1 }, { a: 2 }, { b: true }, { a: 1, b: true }]) {
            const d = set.decide({ tool, args });
            expect(dead.has(d.rule ?? '')).toBe(false);
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('toSarif', () => {
  const report = lint(
    doc('p', '  - { name: d, tools: [x], effect: deny }\n  - { name: a, tools: [x], effect: allow }\n  - name: re\n    tools: [y]\n    when: "re2(args.s, \'(a+)+\')"\n    effect: deny\n'),
  );

  it('writes SARIF 2.1.0 with the fields code scanning requires', () => {
    const log = toSarif(report.findings, { version: '9.9.9' });
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0];
    expect(run?.tool.driver).toMatchObject({ name: 'warden', version: '9.9.9' });
    expect(run?.tool.driver.rules.map((r) => r.id)).toEqual(['shadowed_rule', 'backtracking_regex']);
    expect(run?.tool.driver.rules[1]?.defaultConfiguration.level).toBe('note');
    expect(run?.results).toEqual([
      {
        ruleId: 'shadowed_rule',
        ruleIndex: 0,
        level: 'warning',
        message: { text: report.findings[0]?.message },
        locations: [{ physicalLocation: { artifactLocation: { uri: 'p0.yaml' }, region: { startLine: 6, startColumn: 5 } } }],
        relatedLocations: [{ id: 0, physicalLocation: { artifactLocation: { uri: 'p0.yaml' }, region: { startLine: 5, startColumn: 5 } } }],
      },
      {
        ruleId: 'backtracking_regex',
        ruleIndex: 1,
        level: 'note',
        message: { text: report.findings[1]?.message },
        locations: [{ physicalLocation: { artifactLocation: { uri: 'p0.yaml' }, region: { startLine: 9, startColumn: 24 } } }],
      },
    ]);
  });

  it('maps errors to level error, a line 0 to line 1, and paths to URIs', () => {
    const findings: LintFinding[] = [
      { severity: 'error', code: 'file_not_found', file: '/abs/dir/my policy.yaml', line: 0, col: 0, message: 'Cannot read it.' },
      { severity: 'error', code: 'file_not_found', file: 'rel\\dir\\p#1.yaml', line: 3, col: 2, message: 'x' },
    ];
    const log = toSarif(findings, { version: '1' });
    const r = log.runs[0]?.results ?? [];
    expect(r.map((x) => x.level)).toEqual(['error', 'error']);
    expect(r.map((x) => x.locations[0]?.physicalLocation.artifactLocation.uri)).toEqual(['file:///abs/dir/my%20policy.yaml', 'rel/dir/p%231.yaml']);
    expect(r[0]?.locations[0]?.physicalLocation.region).toEqual({ startLine: 1, startColumn: 1 });
    expect(log.runs[0]?.tool.driver.rules).toHaveLength(1);
    expect(log.runs[0]?.tool.driver.rules[0]?.shortDescription.text).toBe('Policy load error: file_not_found.');
  });

  it('uses the caller-supplied URI mapping', () => {
    const log = toSarif(report.findings, { version: '1', uriOf: (f) => `policies/${f}` });
    expect(log.runs[0]?.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('policies/p0.yaml');
  });
});

describe('diffPolicySets', () => {
  const before = compilePolicy([
    {
      name: 'old.yaml',
      text: doc(
        'p',
        '  - { name: keep, tools: [a], effect: allow }\n  - { name: gone, tools: [b], effect: allow }\n  - { name: edit, tools: [c], when: "args.x == 1", effect: deny, reason: old }\n  - { name: ask, tools: [d], effect: require_approval, approvers: [x] }\n',
      ),
    },
  ]);
  const after = compilePolicy([
    {
      name: 'new.yaml',
      text: doc(
        'p',
        '  - { name: keep, tools: [a], effect: allow }\n  - { name: edit, tools: [c, e], unless: "args.x == 2", effect: warn, reason: new }\n  - { name: ask, tools: [d], effect: require_approval, approvers: [x, y] }\n  - { name: fresh, tools: ["f_*"], effect: deny }\n',
        'default: allow\n',
      ),
    },
    { name: 'q.yaml', text: doc('q', '  - { name: q1, tools: [z], effect: allow }\n') },
  ]);

  it('lists added, removed and changed rules field by field', () => {
    const d = diffPolicySets(before, after);
    expect(d.identical).toBe(false);
    expect(d.unchanged).toBe(1);
    expect(d.added.map((r) => `${r.policy}/${r.rule}`)).toEqual(['p/fresh', 'q/q1']);
    expect(d.added[0]).toMatchObject({ effect: 'deny', tools: ['f_*'], when: null, file: 'new.yaml', line: 9 });
    expect(d.removed.map((r) => `${r.policy}/${r.rule}`)).toEqual(['p/gone']);
    expect(d.changed.map((c) => [c.rule, c.fields])).toEqual([
      [
        'edit',
        [
          { field: 'effect', before: 'deny', after: 'warn' },
          { field: 'tools', before: ['c'], after: ['c', 'e'] },
          { field: 'when', before: 'args.x == 1', after: null },
          { field: 'unless', before: null, after: 'args.x == 2' },
          { field: 'reason', before: 'old', after: 'new' },
        ],
      ],
      ['ask', [{ field: 'approvers', before: ['x'], after: ['x', 'y'] }]],
    ]);
    expect(d.policies).toEqual({ added: ['q'], removed: [], defaults: [{ policy: 'p', before: 'deny', after: 'allow' }] });
  });

  it('says identical for the same sources, whatever the file names and the order of tools', () => {
    const x = compilePolicy([{ name: 'a.yaml', text: doc('p', '  - { name: r, tools: [a, b], when: "args.x == 1", effect: deny }\n') }]);
    const y = compilePolicy([{ name: 'b.yaml', text: doc('p', '  - { name: r, tools: [b, a], when: " args.x == 1", effect: deny }\n') }]);
    expect(diffPolicySets(x, y)).toEqual({ added: [], removed: [], changed: [], unchanged: 1, policies: { added: [], removed: [], defaults: [] }, identical: true });
  });
});

describe('diffDecisions', () => {
  const before = compilePolicy([{ name: 'old.yaml', text: doc('p', '  - { name: reads, tools: [read], effect: allow }\n  - { name: writes, tools: [write], effect: allow }\n') }]);
  const after = compilePolicy([
    {
      name: 'new.yaml',
      text: doc('p', '  - { name: reads2, tools: [read], effect: allow }\n  - { name: no-etc, tools: [write], when: "args.p.startsWith(\'/etc\')", effect: deny }\n  - { name: writes, tools: [write], effect: allow }\n  - { name: run, tools: [run], effect: allow }\n'),
    },
  ]);
  const requests = [
    { request: { tool: 'write', args: { p: '/etc/x' } }, label: 'one' },
    { request: { tool: 'write', args: { p: '/tmp/x' } } },
    { request: { tool: 'read', args: {} } },
    { request: { tool: 'run', args: {} } },
    { request: { tool: 'other', args: {} } },
    { request: 'not a request' },
  ];

  it('reports each moved decision with its kind, and counts', () => {
    const d = diffDecisions(before, after, requests);
    expect(d.total).toBe(6);
    expect(d.unchanged).toBe(3);
    expect(d.kinds).toEqual({ 'allow->deny': 1, 'allow->allow': 1, 'deny->allow': 1 });
    expect(d.truncated).toBe(false);
    expect(d.moved).toEqual([
      { index: 0, label: 'one', tool: 'write', kind: 'allow->deny', before: { effect: 'allow', rule: 'writes', policy: 'p' }, after: { effect: 'deny', rule: 'no-etc', policy: 'p' } },
      { index: 2, label: '#3', tool: 'read', kind: 'allow->allow', before: { effect: 'allow', rule: 'reads', policy: 'p' }, after: { effect: 'allow', rule: 'reads2', policy: 'p' } },
      { index: 3, label: '#4', tool: 'run', kind: 'deny->allow', before: { effect: 'deny', rule: null, policy: 'p' }, after: { effect: 'allow', rule: 'run', policy: 'p' } },
    ]);
  });

  it('caps the list of moves but keeps the counts whole', () => {
    const d = diffDecisions(before, after, requests, { maxMoves: 1 });
    expect(d.moved).toHaveLength(1);
    expect(d.truncated).toBe(true);
    expect(Object.values(d.kinds).reduce((a, b) => a + b, 0)).toBe(3);
  });
});

describe('docs/lint.md', () => {
  const text = readFileSync(fileURLToPath(new URL('../../docs/lint.md', import.meta.url)), 'utf8');
  const blocks = [...text.matchAll(/```yaml\n# warden lint: ([a-z_, ]+)\n([\s\S]*?)```/g)].map((m) => [m[1] as string, m[2] as string] as const);

  it('has an example for every static check', () => {
    expect(blocks.map(([codes]) => codes).sort()).toEqual(['backtracking_regex', 'duplicate_definition', 'shadowed_rule', 'unguarded_facet', 'unknown_tool']);
  });

  it.each(blocks)('the %s example produces exactly that finding', (codes, yaml) => {
    const r = lintPolicy([{ name: 'doc.yaml', text: yaml }]);
    expect(r.findings.map((f) => f.code)).toEqual(codes.split(',').map((c) => c.trim()));
  });
});
