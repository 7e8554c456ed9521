import { describe, expect, it } from 'vitest';
import { directionOf, failingClass, parseFailOn, replayFailures } from '../../src/replay/fail-on.js';
import { codeSpan, formatReplayMarkdown, formatReplayText, printable, thousands } from '../../src/replay/format.js';
import { junitDocument, junitTestcase, xmlText } from '../../src/replay/junit.js';
import type { ChangeKind, ReplayExample, ReplayReport } from '../../src/replay/replay.js';

describe('--fail-on', () => {
  const directions: Array<[ChangeKind, 'deny-to-allow' | 'allow-to-deny' | null]> = [
    ['deny->allow', 'deny-to-allow'],
    ['deny->warn', 'deny-to-allow'],
    ['require_approval->allow', 'deny-to-allow'],
    ['require_approval->warn', 'deny-to-allow'],
    ['allow->deny', 'allow-to-deny'],
    ['allow->require_approval', 'allow-to-deny'],
    ['warn->deny', 'allow-to-deny'],
    ['warn->require_approval', 'allow-to-deny'],
    ['deny->require_approval', null],
    ['require_approval->deny', null],
    ['allow->warn', null],
    ['warn->allow', null],
  ];
  it.each(directions)('%s is %s', (kind, want) => {
    expect(directionOf(kind)).toBe(want);
  });

  it.each([
    ['deny-to-allow', ['deny-to-allow']],
    [' any , deny-to-allow,any ', ['any', 'deny-to-allow']],
    ['indeterminate,malformed,allow-to-deny', ['indeterminate', 'malformed', 'allow-to-deny']],
  ])('parses %j', (text, want) => {
    expect(parseFailOn(text)).toEqual(want);
  });

  it.each(['', 'deny', 'deny-to-allow,', 'ANY', 'deny_to_allow'])('refuses %j', (text) => {
    expect(() => parseFailOn(text)).toThrow(expect.objectContaining({ code: 'ERR_USAGE' }) as Error);
  });

  it.each([
    ['changed', 'deny->allow', ['allow-to-deny'], null],
    ['changed', 'deny->allow', ['deny-to-allow'], 'deny-to-allow'],
    ['changed', 'deny->allow', ['any'], 'any'],
    ['changed', 'allow->warn', ['deny-to-allow', 'allow-to-deny'], null],
    ['changed', 'allow->warn', ['any'], 'any'],
    ['indeterminate', 'allow->allow', ['any', 'deny-to-allow'], null],
    ['indeterminate', 'allow->allow', ['indeterminate'], 'indeterminate'],
  ] as const)('a %s %s under %j fails as %s', (status, kind, failOn, want) => {
    expect(failingClass({ status, kind: kind as ChangeKind }, failOn)).toBe(want);
  });
});

describe('escaping what came from a record', () => {
  const printables: Array<[string, string]> = [
    ['plain text', 'plain text'],
    ['a\u001b[2Jb', 'a\\u001b[2Jb'],
    ['line\nbreak\r', 'line\\u000abreak\\u000d'],
    ['bidi \u202eevil\u202c', 'bidi \\u202eevil\\u202c'],
    ['isolate \u2066x\u2069', 'isolate \\u2066x\\u2069'],
    ['c1 \u0085 del \u007f', 'c1 \\u0085 del \\u007f'],
    ['sep \u2028', 'sep \\u2028'],
    ['lone \ud800 surrogate', 'lone \\ud800 surrogate'],
    ['lone low \udc00', 'lone low \\udc00'],
    ['pair 😀 ok', 'pair 😀 ok'],
    ['\u0000', '\\u0000'],
  ];
  it.each(printables)('printable(%j)', (input, want) => {
    expect(printable(input)).toBe(want);
  });

  const spans: Array<[string, string]> = [
    ['abc', '`abc`'],
    ['a|b', '`a\\|b`'],
    ['a`b', '``a`b``'],
    ['`x`', '`` `x` ``'],
    ['@octocat', '`@octocat`'],
    ['', '""'],
    ['a\nb', '`a\\u000ab`'],
  ];
  it.each(spans)('codeSpan(%j)', (input, want) => {
    expect(codeSpan(input)).toBe(want);
  });

  it.each([
    ['a < b & "c" \'d\' >', 'a &lt; b &amp; &quot;c&quot; &apos;d&apos; &gt;'],
    ['ctl \u0001 \ud800', 'ctl \\u0001 \\ud800'],
    [']]></x>', ']]&gt;&lt;/x&gt;'],
  ])('xmlText(%j)', (input, want) => {
    expect(xmlText(input)).toBe(want);
  });

  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [100000, '100,000'],
    [1234567, '1,234,567'],
    [-1234, '-1,234'],
  ])('thousands(%d) is %s', (n, want) => {
    expect(thousands(n)).toBe(want);
  });
});

const EXAMPLE: ReplayExample = {
  seq: 7,
  ts: '2025-06-01T00:00:07.000Z',
  tool: 'write_file',
  agent: 'coder\u202e',
  args: '{"path":"/etc/x|y"}',
  before: { effect: 'allow', rule: 'writes', policy: 'prod' },
  after: { effect: 'deny', rule: 'no-etc', policy: 'prod', reason: 'No writes under /etc <b>' },
  kind: 'allow->deny',
};

const REPORT: ReplayReport = {
  mode: 'recorded',
  candidate: { digest: `sha256:${'a'.repeat(64)}`, policies: ['prod'] },
  baseline: null,
  read: 12,
  decisions: 10,
  checkpoints: 1,
  malformed: 1,
  unchanged: 8,
  unchangedOtherRule: 0,
  changed: 1,
  indeterminate: 1,
  changes: { 'allow->deny': 1 },
  groups: [{ rule: 'no-etc', policy: 'prod', effect: 'deny', count: 1, changes: { 'allow->deny': 1 }, examples: [EXAMPLE] }],
  indeterminateExamples: [{ ...EXAMPLE, seq: 8, kind: 'allow->allow', after: { ...EXAMPLE.after, effect: 'allow' }, indeterminate: { hidden: ['args.password'], reason: 'candidate rule "pw" reads args.password' } }],
  malformedExamples: [{ file: 'a.jsonl', line: 3, seq: null, message: 'the line is not JSON' }],
  firstTs: '2025-06-01T00:00:00.000Z',
  lastTs: '2025-06-01T00:00:09.000Z',
  sessions: { rebuilt: 0, dropped: 0 },
};

describe('report formats', () => {
  it('the terminal report escapes recorded text and states the verdict', () => {
    const text = formatReplayText(REPORT, { failOn: ['allow-to-deny'] });
    expect(text).not.toContain('\u202e');
    expect(text).toContain('agent coder\\u202e');
    expect(text).toContain('DENY by rule no-etc (policy prod): 1 decision (allow -> deny 1)');
    expect(text).toContain('hidden: args.password; candidate rule "pw" reads args.password');
    expect(text).toContain('a.jsonl:3: the line is not JSON');
    expect(text.trimEnd().split('\n').at(-1)).toBe('FAIL allow-to-deny: 1 decision moved from allow or warn to deny or require_approval');
    expect(formatReplayText(REPORT, { failOn: ['deny-to-allow'] }).trimEnd().split('\n').at(-1)).toBe('OK: nothing that --fail-on deny-to-allow fails.');
  });

  it('the Markdown report keeps recorded text inside code spans, with pipes escaped', () => {
    const md = formatReplayMarkdown(REPORT);
    expect(md).toContain('| 7 | `2025-06-01T00:00:07.000Z` | `write_file` | `coder\\u202e` | `{"path":"/etc/x\\|y"}` | allow by `writes` (`prod`) | `No writes under /etc <b>` |');
    expect(md).toContain('### Now deny by `no-etc` (`prod`): 1 decision');
    // Every table row has the same number of unescaped cell separators as its header.
    for (const line of md.split('\n').filter((l) => l.startsWith('| 7 ') || l.startsWith('| 8 '))) expect(line.replace(/\\\|/g, '').split('|')).toHaveLength(9);
  });

  it('a JUnit testcase escapes its text and fails only for the listed classes', () => {
    const failing = junitTestcase({ status: 'changed', example: EXAMPLE }, ['allow-to-deny']);
    expect(failing.failed).toBe(true);
    expect(failing.xml).toContain('<testcase classname="warden.replay.allow-to-deny" name="seq 7 write_file: allow -&gt; deny" time="0"><failure type="allow-to-deny"');
    expect(failing.xml).toContain('No writes under /etc &lt;b&gt;');
    expect(failing.xml).not.toContain('\u202e');
    const passing = junitTestcase({ status: 'changed', example: EXAMPLE }, ['deny-to-allow']);
    expect([passing.failed, passing.skipped, passing.xml.includes('<failure')]).toEqual([false, false, false]);
    const { head, tail } = junitDocument(REPORT, ['malformed'], { tests: 2, failures: 0, skipped: 1 });
    expect(head).toContain('<testsuites name="warden replay" tests="3" failures="1" errors="0" skipped="1">');
    expect(head).toContain('<failure type="malformed" message="1 line is not a record (--fail-on malformed)">');
    expect(tail).toBe('  </testsuite>\n</testsuites>\n');
  });

  it('replayFailures lists one sentence per failing class', () => {
    expect(replayFailures(REPORT, ['deny-to-allow', 'allow-to-deny', 'any', 'indeterminate', 'malformed'])).toEqual([
      'allow-to-deny: 1 decision moved from allow or warn to deny or require_approval',
      'any: 1 decision changed',
      'indeterminate: 1 decision could not be replayed (a rule reads redacted data)',
      'malformed: 1 line could not be read as records',
    ]);
  });
});
