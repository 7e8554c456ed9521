import { describe, it, expect } from 'vitest';
import { compilePolicy, PolicyLoadError, formatIssue, type PolicyIssue, type PolicySource } from '../../src/policy/index.js';
import { WardenError } from '../../src/errors.js';

const HEAD = 'apiVersion: warden/v1\nkind: Policy\nname: p\n';

/** The issues of a load that must fail; fails the test when the load succeeds. */
function loadIssues(sources: readonly PolicySource[]): PolicyIssue[] {
  try {
    compilePolicy(sources);
  } catch (e) {
    if (e instanceof PolicyLoadError) return e.issues;
    throw e;
  }
  throw new Error('expected the policy to fail to load, but it loaded');
}

/** The error issues of one YAML text, as { code, line, col }. */
function errorsOf(text: string, name = 'p.yaml'): Array<{ code: string; line: number; col: number }> {
  return loadIssues([{ name, text }])
    .filter((i) => i.severity === 'error')
    .map(({ code, line, col }) => ({ code, line, col }));
}

/** 1-based line and column of the `nth` occurrence of `needle` in `text`. */
function at(text: string, needle: string, nth = 1): { line: number; col: number } {
  let idx = -1;
  for (let k = 0; k < nth; k++) {
    idx = text.indexOf(needle, idx + 1);
    if (idx < 0) throw new Error(`marker ${JSON.stringify(needle)} (#${nth}) not in the text`);
  }
  const before = text.slice(0, idx);
  const line = before.split('\n').length;
  return { line, col: idx - (before.lastIndexOf('\n') + 1) + 1 };
}

function onlyError(text: string): PolicyIssue {
  const errors = loadIssues([{ name: 'p.yaml', text }]).filter((i) => i.severity === 'error');
  expect(errors).toHaveLength(1);
  return errors[0] as PolicyIssue;
}

describe('loading a valid policy', () => {
  it('loads a document with every field and reports its policies and rules', () => {
    const text = `${HEAD}description: the whole language
default: deny
rules:
  - name: allow-reads
    description: reads are fine
    tools: ["read_*", search]
    effect: allow
  - name: no-prod-writes
    tools: [write_file]
    when: "context.environment == 'prod' && !args.path.startsWith('/tmp/')"
    effect: deny
    reason: Agents never write outside /tmp in production
  - name: approve-external-mail
    tools: [send_email]
    unless: "args.to.endsWith('@example.com')"
    effect: require_approval
    approvers: [security-team]
`;
    const set = compilePolicy([{ name: 'p.yaml', text }]);
    expect(set.policies).toEqual([{ name: 'p', default: 'deny', description: 'the whole language', source: 'p.yaml', ruleCount: 3, inventory: null }]);
    expect(set.rules.map((r) => [r.name, r.effect, r.policy])).toEqual([
      ['allow-reads', 'allow', 'p'],
      ['no-prod-writes', 'deny', 'p'],
      ['approve-external-mail', 'require_approval', 'p'],
    ]);
    expect(set.warnings).toEqual([]);
    expect(set.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('defaults a document without default: to deny', () => {
    const set = compilePolicy([{ name: 'p.yaml', text: HEAD }]);
    expect(set.policies[0]?.default).toBe('deny');
  });

  it('loads a JSON source exactly like the equivalent YAML', () => {
    const json = JSON.stringify({ apiVersion: 'warden/v1', kind: 'Policy', name: 'j', rules: [{ name: 'r', tools: ['x'], effect: 'deny' }] });
    const set = compilePolicy([{ name: 'p.json', text: json }]);
    expect(set.policies.map((p) => p.name)).toEqual(['j']);
    expect(set.decide({ tool: 'x', args: {} })).toMatchObject({ effect: 'deny', rule: 'r', policy: 'j' });
  });

  it('loads { name, document } object sources', () => {
    const set = compilePolicy([
      { name: 'inline', document: { apiVersion: 'warden/v1', kind: 'Policy', name: 'o', default: 'deny', rules: [{ name: 'ok', tools: ['read'], effect: 'allow' }] } },
    ]);
    expect(set.policies[0]).toMatchObject({ name: 'o', source: 'inline', ruleCount: 1 });
    expect(set.decide({ tool: 'read', args: {} })).toMatchObject({ effect: 'allow', rule: 'ok', policy: 'o' });
  });

  it('loads several documents of one YAML stream as several policies', () => {
    const text = `${HEAD}rules: []\n---\napiVersion: warden/v1\nkind: Policy\nname: q\n`;
    expect(compilePolicy([{ name: 'p.yaml', text }]).policies.map((p) => p.name)).toEqual(['p', 'q']);
  });

  it('reports an allow rule on every tool with no condition as a warning (allow_all), not an error', () => {
    const text = `${HEAD}rules:\n  - name: everything\n    effect: allow\n`;
    const set = compilePolicy([{ name: 'p.yaml', text }]);
    expect(set.warnings.map(({ severity, code, line, col }) => ({ severity, code, line, col }))).toEqual([
      { severity: 'warning', code: 'allow_all', ...at(text, 'name: everything') },
    ]);
  });

  it('reports a rule whose when is constant false or unless constant true as never_matches', () => {
    const text = `${HEAD}rules:\n  - name: dead\n    tools: [x]\n    when: "1 == 2"\n    effect: deny\n  - name: dead2\n    tools: [x]\n    unless: "true"\n    effect: deny\n`;
    const set = compilePolicy([{ name: 'p.yaml', text }]);
    expect(set.warnings.map(({ code, line, col }) => ({ code, line, col }))).toEqual([
      { code: 'never_matches', ...at(text, 'name: dead') },
      { code: 'never_matches', ...at(text, 'name: dead2') },
    ]);
  });
});

describe('loading is strict: unknown keys', () => {
  it('refuses an unknown top-level key with a "Did you mean" hint, at the key', () => {
    const text = `${HEAD}rule:\n  - name: r\n    effect: deny\n`;
    const issue = onlyError(text);
    expect(issue).toMatchObject({ code: 'unknown_key', file: 'p.yaml', ...at(text, 'rule:') });
    expect(issue.message).toContain('Did you mean "rules"?');
  });

  it('refuses an unknown key in a rule with a "Did you mean" hint, at the key', () => {
    const text = `${HEAD}rules:\n  - name: r\n    tools: [x]\n    whne: "args.a == 1"\n    effect: deny\n`;
    const issue = onlyError(text);
    expect(issue).toMatchObject({ code: 'unknown_key', ...at(text, 'whne:') });
    expect(issue.message).toContain('Did you mean "when"?');
  });

  it('refuses an unknown key with no near match and lists the allowed keys instead of guessing', () => {
    const text = `${HEAD}rules:\n  - name: r\n    colour: red\n    effect: deny\n`;
    const issue = onlyError(text);
    expect(issue).toMatchObject({ code: 'unknown_key', ...at(text, 'colour:') });
    expect(issue.message).not.toContain('Did you mean');
    expect(issue.message).toContain('Allowed keys: name, description, tools, when, unless, effect, reason, approvers');
  });

  it('refuses a misspelled unless (unles) rather than dropping the exception silently', () => {
    const text = `${HEAD}rules:\n  - name: r\n    tools: [x]\n    unles: "args.a == 1"\n    effect: allow\n`;
    expect(errorsOf(text)).toEqual([{ code: 'unknown_key', ...at(text, 'unles:') }]);
  });
});

describe('loading is strict: wrong types', () => {
  const cases: Array<{ name: string; body: string; marker: string; code?: string }> = [
    { name: 'name: 123 (a number, not a string)', body: 'apiVersion: warden/v1\nkind: Policy\nname: 123\n', marker: '123' },
    { name: 'name: true', body: 'apiVersion: warden/v1\nkind: Policy\nname: true\n', marker: 'true' },
    { name: 'tools: "x" (a string, not a list)', body: `${HEAD}rules:\n  - name: r\n    tools: "x"\n    effect: deny\n`, marker: '"x"' },
    { name: 'effect: 5', body: `${HEAD}rules:\n  - name: r\n    effect: 5\n`, marker: '5' },
    { name: 'rules: a mapping', body: `${HEAD}rules: {}\n`, marker: '{}' },
    { name: 'rules: null', body: `${HEAD}rules: ~\n`, marker: '~' },
    { name: 'default: null (no silent deny/allow)', body: `${HEAD}default: ~\n`, marker: '~' },
    { name: 'when: true (a YAML bool, not an expression)', body: `${HEAD}rules:\n  - name: r\n    effect: deny\n    when: true\n`, marker: 'true' },
    { name: 'when: "" (an empty expression)', body: `${HEAD}rules:\n  - name: r\n    effect: deny\n    when: ""\n`, marker: '""' },
    { name: 'reason: 5', body: `${HEAD}rules:\n  - name: r\n    effect: deny\n    reason: 5\n`, marker: '5' },
    { name: 'description: a list', body: `${HEAD}description: [a]\n`, marker: '[a]' },
    { name: 'approvers: a string', body: `${HEAD}rules:\n  - name: r\n    effect: require_approval\n    approvers: sec\n`, marker: 'sec' },
    { name: 'a tool entry that is a number', body: `${HEAD}rules:\n  - name: r\n    tools: [a, 7]\n    effect: deny\n`, marker: '7' },
    { name: 'a rule that is a string', body: `${HEAD}rules:\n  - just-a-string\n`, marker: 'just-a-string' },
    { name: 'a document that is a list', body: '- apiVersion: warden/v1\n', marker: '- apiVersion' },
    { name: 'a document that is a string', body: 'hello\n', marker: 'hello' },
  ];
  it.each(cases)('refuses $name with wrong_type at the value', ({ body, marker }) => {
    expect(errorsOf(body)).toEqual([{ code: 'wrong_type', ...at(body, marker) }]);
  });

  it('names what was found and what to write for tools: "x"', () => {
    const issue = onlyError(`${HEAD}rules:\n  - name: r\n    tools: "x"\n    effect: deny\n`);
    expect(issue.message).toBe('tools of rule "r" must be a list of strings, got the string "x". Write [x].');
  });
});

describe('loading is strict: names, effects, versions', () => {
  it('refuses duplicate rule names, pointing at the second rule and naming the first line', () => {
    const text = `${HEAD}rules:\n  - name: r\n    effect: allow\n    tools: [a]\n  - name: r\n    effect: deny\n`;
    const issue = onlyError(text);
    expect(issue).toMatchObject({ code: 'duplicate_rule', ...at(text, 'name: r', 2) });
    expect(issue.message).toContain(`line ${at(text, 'name: r').line}`);
  });

  it('refuses a duplicate YAML key at the top level, at the second key', () => {
    const text = `${HEAD}default: deny\ndefault: allow\n`;
    expect(errorsOf(text)).toEqual([{ code: 'duplicate_key', ...at(text, 'default: allow') }]);
  });

  it('refuses a duplicate YAML key inside a rule (effect twice), never picking one', () => {
    const text = `${HEAD}rules:\n  - name: r\n    effect: deny\n    effect: allow\n`;
    expect(errorsOf(text)).toEqual([{ code: 'duplicate_key', ...at(text, 'effect: allow') }]);
  });

  it('refuses a duplicate key in a JSON source', () => {
    const text = '{"apiVersion":"warden/v1","kind":"Policy","name":"j","rules":[{"name":"r","effect":"deny","effect":"allow"}]}';
    expect(errorsOf(text, 'p.json')).toEqual([{ code: 'duplicate_key', ...at(text, '"effect":"allow"') }]);
  });

  it('refuses duplicate policy names across sources, in the later source, naming the earlier one', () => {
    const issues = loadIssues([
      { name: 'a.yaml', text: HEAD },
      { name: 'b.yaml', text: `# second\n${HEAD}` },
    ]);
    expect(issues.map(({ code, file, line, col }) => ({ code, file, line, col }))).toEqual([{ code: 'duplicate_policy', file: 'b.yaml', line: 2, col: 1 }]);
    expect(issues[0]?.message).toContain('a.yaml:1');
  });

  it('refuses duplicate policy names within one multi-document source', () => {
    const text = `${HEAD}---\n${HEAD}`;
    expect(errorsOf(text)).toEqual([{ code: 'duplicate_policy', line: 5, col: 1 }]);
  });

  const effectCases = [
    { value: 'permit', hint: undefined },
    { value: 'Deny', hint: 'deny' },
    { value: 'ALLOW', hint: 'allow' },
    { value: 'requireApproval', hint: 'require_approval' },
    { value: 'wran', hint: 'warn' },
    { value: 'warning', hint: undefined },
    { value: 'block', hint: undefined },
  ];
  it.each(effectCases)('refuses the unknown effect "$value" at the value (hint: $hint)', ({ value, hint }) => {
    const text = `${HEAD}rules:\n  - name: r\n    effect: ${value}\n`;
    const issue = onlyError(text);
    expect(issue).toMatchObject({ code: 'unknown_value', ...at(text, value) });
    expect(issue.message).toContain('which is not one of: allow, deny, require_approval, warn.');
    if (hint) expect(issue.message).toContain(`Did you mean "${hint}"?`);
  });

  it.each(['Allow', 'permit', 'DENY', 'open'])('refuses default: %s rather than defaulting silently', (value) => {
    const text = `${HEAD}default: ${value}\n`;
    expect(errorsOf(text)).toEqual([{ code: 'unknown_value', ...at(text, value) }]);
  });

  it('refuses an unknown apiVersion at its value', () => {
    const text = 'apiVersion: warden/v2\nkind: Policy\nname: p\n';
    expect(errorsOf(text)).toEqual([{ code: 'unknown_api_version', line: 1, col: 13 }]);
  });

  it('refuses an unknown kind at its value', () => {
    const text = 'apiVersion: warden/v1\nkind: Polcy\nname: p\n';
    expect(errorsOf(text)).toEqual([{ code: 'unknown_kind', line: 2, col: 7 }]);
  });

  it('refuses a document without apiVersion, kind or name (missing_key at the document)', () => {
    expect(errorsOf('kind: Policy\nname: p\n')).toEqual([{ code: 'missing_key', line: 1, col: 1 }]);
    expect(errorsOf('apiVersion: warden/v1\nname: p\n')).toEqual([{ code: 'missing_key', line: 1, col: 1 }]);
    expect(errorsOf('apiVersion: warden/v1\nkind: Policy\n')).toEqual([{ code: 'missing_key', line: 1, col: 1 }]);
  });

  it('refuses a rule without name or effect, at the rule', () => {
    const text = `${HEAD}rules:\n  - tools: [a]\n`;
    const where = at(text, 'tools: [a]');
    expect(errorsOf(text)).toEqual([
      { code: 'missing_key', ...where },
      { code: 'missing_key', ...where },
    ]);
  });

  it('refuses a rule without effect (an effect is never assumed)', () => {
    const text = `${HEAD}rules:\n  - name: r\n    tools: [a]\n`;
    const issue = onlyError(text);
    expect(issue).toMatchObject({ code: 'missing_key', ...at(text, 'name: r') });
    expect(issue.message).toContain('effect');
  });

  it('refuses a policy or rule name with spaces (bad_name)', () => {
    const text = `${HEAD}rules:\n  - name: "bad name"\n    effect: deny\n`;
    expect(errorsOf(text)).toEqual([{ code: 'bad_name', ...at(text, '"bad name"') }]);
  });

  it('refuses tools: [] (an empty allowlist matches nothing, never everything)', () => {
    const text = `${HEAD}rules:\n  - name: r\n    tools: []\n    effect: allow\n`;
    expect(errorsOf(text)).toEqual([{ code: 'empty_tools', ...at(text, '[]') }]);
  });

  it('refuses tools with only an empty string', () => {
    const text = `${HEAD}rules:\n  - name: r\n    tools: [""]\n    effect: deny\n`;
    expect(errorsOf(text)).toEqual([
      { code: 'wrong_type', ...at(text, '""') },
      { code: 'empty_tools', ...at(text, '[""]') },
    ]);
  });

  it.each(['allow', 'deny', 'warn'])('refuses approvers on a %s rule, at the approvers key', (effect) => {
    const text = `${HEAD}rules:\n  - name: r\n    tools: [a]\n    effect: ${effect}\n    approvers: [sec]\n`;
    expect(errorsOf(text)).toEqual([{ code: 'approvers_without_approval', ...at(text, 'approvers:') }]);
  });

  it('accepts approvers on a require_approval rule and reports them in the decision', () => {
    const text = `${HEAD}rules:\n  - name: r\n    tools: [a]\n    effect: require_approval\n    approvers: [sec, ops]\n`;
    expect(compilePolicy([{ name: 'p.yaml', text }]).decide({ tool: 'a', args: {} }).approvers).toEqual(['sec', 'ops']);
  });
});

describe('loading is strict: conditions', () => {
  const rule = (cond: string) => `${HEAD}rules:\n  - name: r\n    tools: [t]\n    when: ${cond}\n    effect: deny\n`;

  it('refuses a CEL syntax error at the offending token', () => {
    const text = rule('"args.x == "');
    // The parser reports the end of input, just after '== '.
    expect(errorsOf(text)).toEqual([{ code: 'cel_syntax', line: 7, col: 22 }]);
  });

  it('refuses unbalanced parentheses as a syntax error', () => {
    expect(errorsOf(rule('"(args.x == 1"'))[0]?.code).toBe('cel_syntax');
  });

  it("refuses 1 + 'a' as a CEL type error at the expression", () => {
    const text = rule(`"1 + 'a'"`);
    const issue = onlyError(text);
    expect(issue).toMatchObject({ code: 'cel_type', ...at(text, `1 + 'a'`) });
    expect(issue.message).toContain('int + string');
  });

  it('refuses an unknown variable (nosuch == 1) as a type error at the variable', () => {
    const text = rule('nosuch == 1');
    const issue = onlyError(text);
    expect(issue).toMatchObject({ code: 'cel_type', ...at(text, 'nosuch') });
    expect(issue.message).toContain('nosuch');
  });

  it.each([`"'x'"`, '"1 + 2"', '"[true]"', '"args"', '"tool"'])('refuses the non-bool condition %s as a type error', (cond) => {
    const text = rule(cond);
    expect(errorsOf(text)).toEqual([{ code: 'cel_type', line: 7, col: 12 }]);
  });

  it.each([`"args.x.matches('a+')"`, `"matches(args.x, 'a+')"`, `"args.xs.exists(x, x.matches('(a+)+$'))"`])(
    'refuses matches() (backtracking JavaScript regex) in %s with cel_banned_function',
    (cond) => {
      const issue = onlyError(rule(cond));
      // The global form is also unavailable to the type checker; either way it never loads.
      expect(['cel_banned_function', 'cel_type']).toContain(issue.code);
      if (!cond.startsWith('"matches(')) expect(issue.code).toBe('cel_banned_function');
    },
  );

  it.each([
    `"true ? args.x.matches('a') : false"`,
    `"[args.x.matches('a')][0]"`,
    `"{'k': args.x.matches('a')}['k']"`,
    `"!args.x.matches('a')"`,
    `"args.x.matches('a') || true"`,
    `"dyn(args.x).matches('a')"`,
    `"args.xs.map(x, x.matches('a')).exists(b, b)"`,
    `"args.xs.filter(x, x.matches('a')).size() > 0"`,
    `"string(args.x).matches(string(args.p))"`,
  ])('refuses matches() wherever it hides: %s', (cond) => {
    expect(onlyError(rule(cond)).code).toBe('cel_banned_function');
  });

  it('says to use re2() instead of matches()', () => {
    expect(onlyError(rule(`"args.x.matches('a+')"`)).message).toContain('re2(text, pattern)');
  });

  it('refuses a nested comprehension over data not derived from the outer element (cel_cost), at the inner receiver', () => {
    const text = rule('"args.xs.exists(x, args.ys.exists(y, x == y))"');
    expect(errorsOf(text)).toEqual([{ code: 'cel_cost', ...at(text, 'args.ys') }]);
  });

  it('accepts a nested comprehension over a field of the outer element', () => {
    const set = compilePolicy([{ name: 'p.yaml', text: rule('"args.xs.all(x, x.ys.exists(y, y == 1))"') }]);
    expect(set.decide({ tool: 't', args: { xs: [{ ys: [2, 1] }] } })).toMatchObject({ effect: 'deny', rule: 'r' });
  });

  it('refuses an invalid literal re2() pattern at the pattern (bad_pattern)', () => {
    const text = rule(`"re2(args.x, '(a')"`);
    expect(errorsOf(text)).toEqual([{ code: 'bad_pattern', ...at(text, `'(a'`) }]);
  });

  it.each([
    ['a backreference', `'re2(args.x, "(a)\\\\1")'`, '"(a)'],
    ['a lookahead', `"re2(args.x, '(?=a)b')"`, `'(?=a)b'`],
  ])('refuses an RE2-unsupported literal pattern (%s) at load, at the pattern', (_label, cond, marker) => {
    const text = rule(cond);
    expect(errorsOf(text)).toEqual([{ code: 'bad_pattern', ...at(text, marker) }]);
  });

  it('refuses an invalid literal glob() pattern at the pattern (bad_pattern)', () => {
    const text = rule(`"glob(args.x, '[a')"`);
    expect(errorsOf(text)).toEqual([{ code: 'bad_pattern', ...at(text, `'[a'`) }]);
  });

  it('refuses an invalid tool glob, at the offending entry of tools', () => {
    const text = `${HEAD}rules:\n  - name: r\n    tools: [ok, "[abc"]\n    effect: deny\n`;
    expect(errorsOf(text)).toEqual([{ code: 'bad_glob', ...at(text, '"[abc"') }]);
  });

  it('points at the exact line and column inside a block-literal condition', () => {
    const text = `${HEAD}rules:\n  - name: r\n    tools: [t]\n    when: |\n      args.x ==\n        1 + "a"\n    effect: deny\n`;
    expect(errorsOf(text)).toEqual([{ code: 'cel_type', ...at(text, '1 + "a"') }]);
  });

  it('names the part and the rule in the message, as file:line:col: error[code]', () => {
    const text = rule('nosuch == 1');
    const issue = onlyError(text);
    expect(formatIssue(issue)).toMatch(/^p\.yaml:7:11: error\[cel_type\]: when of rule "r": /);
  });

  it('reports errors in unless the same way as in when', () => {
    const text = `${HEAD}rules:\n  - name: r\n    tools: [t]\n    unless: "nosuch"\n    effect: deny\n`;
    expect(errorsOf(text)).toEqual([{ code: 'cel_type', ...at(text, 'nosuch') }]);
  });
});

describe('loading is bounded and takes no YAML shortcuts', () => {
  it('refuses YAML nested 20,000 levels deep with a load error, not a crash', () => {
    const text = `${HEAD}description: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    const codes = errorsOf(text).map((e) => e.code);
    expect(codes).toEqual(['too_deep']);
  });

  it('parses normally again after refusing deep nesting (the parser is never left broken)', () => {
    for (let i = 0; i < 3; i++) expect(errorsOf(`${HEAD}description: ${'['.repeat(1000)}${']'.repeat(1000)}\n`).map((e) => e.code)).toEqual(['too_deep']);
    expect(compilePolicy([{ name: "p.yaml", text: `${HEAD}description: ok\n` }]).policies.map((p) => p.name)).toEqual(["p"]);
  });

  it('refuses a condition nested deeper than the parser limit (cel_syntax)', () => {
    const text = `${HEAD}rules:\n  - name: r\n    effect: deny\n    when: "${'('.repeat(500)}true${')'.repeat(500)}"\n`;
    expect(errorsOf(text).map((e) => e.code)).toEqual(['cel_syntax']);
  });

  it('refuses a condition with more nodes than the parser limit (cel_syntax)', () => {
    const cond = Array.from({ length: 3000 }, (_, i) => `args.a == ${i}`).join(' || ');
    const text = `${HEAD}rules:\n  - name: r\n    effect: deny\n    when: "${cond}"\n`;
    expect(errorsOf(text).map((e) => e.code)).toEqual(['cel_syntax']);
  });

  it('refuses a YAML merge key (<<) as an unknown key instead of merging', () => {
    const text = `${HEAD}rules:\n  - name: r\n    <<: {effect: allow}\n    effect: deny\n`;
    expect(errorsOf(text)).toEqual([{ code: 'unknown_key', ...at(text, '<<') }]);
  });

  it('refuses a YAML alias where a rule is expected', () => {
    const text = `${HEAD}rules:\n  - &r\n    name: r\n    effect: deny\n  - *r\n`;
    expect(errorsOf(text)).toEqual([{ code: 'wrong_type', ...at(text, '*r') }]);
  });

  it('reads a YAML 1.1 boolean word (when: yes) as an expression, which then fails to type-check', () => {
    const text = `${HEAD}rules:\n  - name: r\n    effect: deny\n    when: yes\n`;
    expect(errorsOf(text)).toEqual([{ code: 'cel_type', ...at(text, 'yes') }]);
  });

  it('refuses a non-string mapping key', () => {
    const text = `${HEAD}rules:\n  - name: r\n    effect: deny\n    1: x\n`;
    expect(errorsOf(text)).toEqual([{ code: 'wrong_type', ...at(text, '1: x') }]);
  });
});

describe('a policy that fails to load is never partly applied', () => {
  it('refuses an empty source', () => {
    expect(errorsOf('')).toEqual([{ code: 'empty_source', line: 1, col: 1 }]);
  });

  it('refuses a source holding only comments', () => {
    expect(errorsOf('# nothing here\n')).toEqual([{ code: 'empty_source', line: 1, col: 1 }]);
  });

  it('refuses a stray empty document in a stream', () => {
    expect(errorsOf(`${HEAD}---\n`)).toEqual([{ code: 'empty_document', line: 4, col: 4 }]);
  });

  it('refuses a multi-document stream whose second document is bad (nothing of the first applies)', () => {
    const text = `${HEAD}rules:\n  - name: ok\n    effect: allow\n    tools: [a]\n---\napiVersion: warden/v1\nkind: Policy\nname: q\nrules:\n  - name: r\n    effect: nope\n`;
    expect(errorsOf(text)).toEqual([{ code: 'unknown_value', ...at(text, 'nope') }]);
  });

  it('refuses the whole set when one of several sources is bad', () => {
    const issues = loadIssues([
      { name: 'good.yaml', text: `${HEAD}rules:\n  - name: ok\n    effect: allow\n` },
      { name: 'bad.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: q\nrules:\n  - name: r\n    effect: Deny\n' },
    ]);
    expect(issues.filter((i) => i.severity === 'error').map(({ code, file }) => ({ code, file }))).toEqual([{ code: 'unknown_value', file: 'bad.yaml' }]);
  });

  it('refuses YAML syntax errors (bad indentation) with yaml_syntax', () => {
    const text = `${HEAD}rules:\n  - name: r\n   effect: deny\n`;
    const codes = errorsOf(text).map((e) => e.code);
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(['yaml_syntax']));
  });

  it('refuses a JSON syntax error', () => {
    const codes = errorsOf('{"apiVersion": "warden/v1", "kind": "Policy", "name": "j",', 'p.json').map((e) => e.code);
    expect(codes.length).toBeGreaterThan(0);
    expect(codes.every((c) => c === 'yaml_syntax')).toBe(true);
  });

  it('refuses an invalid { name, document } source, naming the source', () => {
    const issues = loadIssues([{ name: 'inline-doc', document: { apiVersion: 'warden/v1', kind: 'Policy', name: 'o', rules: [{ name: 'r', effect: 'Deny' }] } }]);
    expect(issues.filter((i) => i.severity === 'error').map(({ code, file }) => ({ code, file }))).toEqual([{ code: 'unknown_value', file: 'inline-doc' }]);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['a bigint inside', { apiVersion: 'warden/v1', kind: 'Policy', name: 'o', n: 1n }],
  ])('refuses a { name, document } source whose document is %s', (_label, document) => {
    expect(loadIssues([{ name: 'd', document }]).some((i) => i.severity === 'error')).toBe(true);
  });

  it('collects every error of a document in one PolicyLoadError (a WardenError with code ERR_POLICY_LOAD)', () => {
    const text = 'apiVersion: warden/v2\nkind: Polcy\nname: p\ndefault: Allow\nrules:\n  - name: r\n    effect: Deny\n';
    let caught: unknown;
    try {
      compilePolicy([{ name: 'p.yaml', text }]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PolicyLoadError);
    expect(caught).toBeInstanceOf(WardenError);
    const err = caught as PolicyLoadError;
    expect(err.code).toBe('ERR_POLICY_LOAD');
    expect(err.issues.map((i) => i.code)).toEqual(['unknown_api_version', 'unknown_kind', 'unknown_value', 'unknown_value']);
    expect(err.message).toContain('p.yaml:1:13: error[unknown_api_version]');
    expect(err.message).toContain('nothing of it was applied');
  });
});
