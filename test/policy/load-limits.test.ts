/**
 * Load limits: a legal but huge policy is refused before the expensive work (parsing, compiling
 * conditions), with a `too_large` issue at the place the limit is crossed; the limits are raised
 * through CompileOptions, whose unknown keys are refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicyFiles } from '../../src/enforce/load-files.js';
import { WardenError } from '../../src/errors.js';
import { compilePolicy, type CompileOptions } from '../../src/policy/compile.js';
import { PolicyLoadError, type PolicyIssue } from '../../src/policy/issues.js';
import { DEFAULT_LOAD_LIMITS, positionAt } from '../../src/policy/load-limits.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A policy with `n` rules, each with a condition of about `cond` characters. */
function policy(n: number, name = 'big', cond = 0): string {
  let text = `apiVersion: warden/v1\nkind: Policy\nname: ${name}\nrules:\n`;
  for (let i = 0; i < n; i++) {
    text += `  - name: r${i}\n    tools: [t${i}]\n    effect: deny\n`;
    if (cond > 0) text += `    when: "args.x == '${'a'.repeat(Math.max(1, cond - 12))}'"\n`;
  }
  return text;
}

function issuesOf(fn: () => unknown): PolicyIssue[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof PolicyLoadError) return e.issues.filter((i) => i.severity === 'error');
    throw e;
  }
  throw new Error('expected a PolicyLoadError');
}

describe('load limits', () => {
  it('a source over maxSourceChars is too_large at the line and column where it crosses the limit', () => {
    const text = `# ${'x'.repeat(50)}\n# ${'y'.repeat(50)}\n# ${'z'.repeat(50)}\n`;
    const [issue, ...rest] = issuesOf(() => compilePolicy([{ name: 'p.yaml', text }], { loadLimits: { maxSourceChars: 60 } }));
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ code: 'too_large', file: 'p.yaml', line: 2, col: 8 });
    expect(issue?.message).toMatch(/159 characters; the limit is 60/);
    expect(issue?.message).toMatch(/raise loadLimits\.maxSourceChars/);
  });

  it('a 10 MB policy is refused by the default limit without being parsed (not at 0:0)', () => {
    const text = `apiVersion: warden/v1\nkind: Policy\nname: huge\nrules:\n${'  # padding\n'.repeat(900_000)}`;
    const [issue] = issuesOf(() => compilePolicy([{ name: 'huge.yaml', text }]));
    expect(issue?.code).toBe('too_large');
    expect(issue?.line).toBeGreaterThan(1);
    expect(issue?.col).toBeGreaterThan(0);
    expect(positionAt(text, DEFAULT_LOAD_LIMITS.maxSourceChars, 'huge.yaml')).toEqual({ file: 'huge.yaml', line: issue?.line, col: issue?.col });
  });

  it('sources over maxTotalSourceChars together: the source that crosses it is too_large, where it crosses', () => {
    const a = policy(3, 'a');
    const b = policy(3, 'b');
    const limit = a.length + 40;
    const issues = issuesOf(() => compilePolicy([{ name: 'a.yaml', text: a }, { name: 'b.yaml', text: b }], { loadLimits: { maxTotalSourceChars: limit } }));
    expect(issues).toEqual([expect.objectContaining({ code: 'too_large', ...positionAt(b, 40, 'b.yaml') })]);
    expect(issues[0]?.message).toMatch(/maxTotalSourceChars/);
  });

  it('one rule over maxRules is too_large at that rule, across documents', () => {
    const a = policy(2, 'a');
    const b = policy(2, 'b');
    const issues = issuesOf(() => compilePolicy([{ name: 'a.yaml', text: a }, { name: 'b.yaml', text: b }], { loadLimits: { maxRules: 3 } }));
    expect(issues).toEqual([expect.objectContaining({ code: 'too_large', file: 'b.yaml', line: 8, col: 5 })]);
    expect(issues[0]?.message).toMatch(/Rule "r1" is rule number 4 of this load; the limit is 3 rules/);
  });

  it('exactly maxRules rules load', () => {
    expect(compilePolicy([{ name: 'p.yaml', text: policy(3) }], { loadLimits: { maxRules: 3 } }).rules).toHaveLength(3);
  });

  it('conditions over maxConditionChars together are too_large at the condition that crosses it', () => {
    const text = policy(4, 'c', 40);
    const issues = issuesOf(() => compilePolicy([{ name: 'c.yaml', text }], { loadLimits: { maxConditionChars: 100 } }));
    expect(issues).toEqual([expect.objectContaining({ code: 'too_large', file: 'c.yaml' })]);
    // The third rule's condition crosses 100 characters: rules take four lines from line 5, `when` last.
    expect(issues[0]).toMatchObject({ line: 16, col: 11 });
    expect(issues[0]?.message).toMatch(/crossed in rule "r2"/);
  });

  it('loadPolicyFiles refuses a file certainly over the limit at a real position, having read only its start', async () => {
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, `apiVersion: warden/v1\n${'# padding\n'.repeat(20_000)}`);
    const err = await loadPolicyFiles([file], { loadLimits: { maxSourceChars: 1000 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyLoadError);
    const issue = (err as PolicyLoadError).issues[0];
    expect(issue).toMatchObject({ code: 'too_large', file });
    expect(issue?.line).toBeGreaterThan(1);
    expect(issue?.message).toMatch(/more than 3,000 bytes/);
  });

  it('loadPolicyFiles leaves a file within three bytes per character to the exact check', async () => {
    const file = join(dir, 'near.yaml');
    const text = policy(2, 'near');
    writeFileSync(file, text);
    await expect(loadPolicyFiles([file], { loadLimits: { maxSourceChars: text.length } })).resolves.toBeDefined();
    const err = await loadPolicyFiles([file], { loadLimits: { maxSourceChars: text.length - 1 } }).catch((e: unknown) => e);
    expect((err as PolicyLoadError).issues[0]).toMatchObject({ code: 'too_large', ...positionAt(text, text.length - 1, file) });
  });
});

describe('CompileOptions refuse unknown keys', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['a misspelt option', { loadlimits: {} }, /Unknown key "loadlimits" in compile options\. Did you mean "loadLimits"\? Accepted keys: backends, detector, limits, loadLimits, resolver, sqlParsers\./],
    ['a PolicyStore option passed to compilePolicy', { watch: true }, /Unknown key "watch" in compile options/],
    ['an unknown load limit', { loadLimits: { maxRule: 1 } }, /Unknown key "maxRule" in loadLimits\. Accepted keys: maxConditionChars, maxRules, maxSourceChars, maxTotalSourceChars\./],
    ['an unknown request limit', { limits: { maxdepth: 1 } }, /Unknown key "maxdepth" in limits \(request limits\)\. Did you mean "maxDepth"\?/],
    ['a load limit of zero', { loadLimits: { maxSourceChars: 0 } }, /maxSourceChars must be a positive integer/],
    ['a fractional load limit', { loadLimits: { maxRules: 1.5 } }, /maxRules must be a positive integer/],
    ['a negative request limit', { limits: { maxDepth: -1 } }, /maxDepth must be a non-negative integer/],
    ['options that are not an object', 'fast', /compile options must be an object/],
  ];
  it.each(cases)('refuses %s with ERR_OPTIONS', (_name, options, message) => {
    const err = (() => {
      try {
        compilePolicy([{ name: 'p.yaml', text: policy(1) }], options as CompileOptions);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).code).toBe('ERR_OPTIONS');
    expect((err as WardenError).message).toMatch(message);
  });

  it('loadPolicyFiles refuses them too, before reading any file', async () => {
    await expect(loadPolicyFiles([join(dir, 'does-not-exist.yaml')], { loadLimits: { maxRule: 1 } } as never)).rejects.toMatchObject({ code: 'ERR_OPTIONS' });
  });
});
