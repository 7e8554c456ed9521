/** Strict times for cases, and the pre-parse nesting guard. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePolicyTests } from '../../src/testing/cases.js';
import { MAX_FLOW_DEPTH, MAX_INDENT, MAX_INDICATORS_PER_LINE, nestingProblem } from '../../src/policy/yaml-nesting.js';
import { parseTestTime } from '../../src/testing/time.js';

describe('parseTestTime', () => {
  it.each([
    ['2026-01-31T12:00:00Z', '2026-01-31T12:00:00.000Z'],
    ['2026-01-31t12:00:00z', '2026-01-31T12:00:00.000Z'],
    ['2026-01-31T12:00Z', '2026-01-31T12:00:00.000Z'],
    ['2026-01-31T13:00:00+01:00', '2026-01-31T12:00:00.000Z'],
    ['2026-01-31T00:30:00-05:30', '2026-01-31T06:00:00.000Z'],
    ['2026-01-31T12:00:00.123456789Z', '2026-01-31T12:00:00.123Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['0050-06-01T00:00:00Z', '0050-06-01T00:00:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    const t = parseTestTime(text);
    expect(t instanceof Date ? t.toISOString() : t).toBe(iso);
  });

  it.each([
    ['2026-01-31T12:00:00', 'with a zone'],
    ['2026-01-31', 'with a zone'],
    ['2026-01-31 12:00:00Z', 'with a zone'],
    ['Jan 31 2026', 'with a zone'],
    ['1767225600', 'with a zone'],
    ['2026-02-29T00:00:00Z', 'February 2026 has no day 29'],
    ['1900-02-29T00:00:00Z', 'February 1900 has no day 29'],
    ['2026-04-31T00:00:00Z', 'April 2026 has no day 31'],
    ['2026-13-01T00:00:00Z', 'month 13 does not exist'],
    ['2026-00-01T00:00:00Z', 'month 0 does not exist'],
    ['2026-01-00T00:00:00Z', 'has no day 0'],
    ['2026-01-01T24:00:00Z', 'is not a time of day'],
    ['2026-01-01T12:60:00Z', 'is not a time of day'],
    ['2026-01-01T12:00:60Z', 'is not a time of day'],
    ['2026-01-01T12:00:00+24:00', 'zone offset +24:00 does not exist'],
    ['2026-01-01T12:00:00.1234567890Z', 'with a zone'],
    [`2026-01-01T12:00:00.${'1'.repeat(80)}Z`, 'at most 64'],
  ])('refuses %s', (text, says) => {
    const t = parseTestTime(text);
    expect(typeof t).toBe('string');
    expect(t).toContain(says);
  });

  it('reads back every instant it is given in ISO form', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
        const t = parseTestTime(d.toISOString());
        expect(t instanceof Date && t.getTime()).toBe(d.getTime());
      }),
    );
  });

  it('reads the same instant whatever offset it is written in', () => {
    fc.assert(
      fc.property(fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }), (offset) => {
        const base = Date.UTC(2026, 5, 15, 12, 0, 0);
        const local = new Date(base + offset * 60_000);
        const pad = (n: number) => String(n).padStart(2, '0');
        const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
        const text = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:00${zone}`;
        const t = parseTestTime(text);
        expect(t instanceof Date && t.getTime()).toBe(base);
      }),
    );
  });
});

describe('the nesting guard refuses what could overflow the YAML parser, before parsing', () => {
  it.each([
    ['flow brackets', `${'['.repeat(MAX_FLOW_DEPTH + 1)}${']'.repeat(MAX_FLOW_DEPTH + 1)}`, 1, MAX_FLOW_DEPTH + 1, 'Brackets nest more than'],
    ['mixed flow brackets', `x: ${'{ a: ['.repeat(60)}1${'] }'.repeat(60)}`, 1, 3 + 6 * 50 + 1, 'Brackets nest more than'],
    ['compact block sequences', `${'- '.repeat(MAX_INDICATORS_PER_LINE + 1)}x`, 1, 2 * MAX_INDICATORS_PER_LINE + 1, 'nesting indicators'],
    ['deep indentation', `a:\n${' '.repeat(MAX_INDENT + 1)}b: 1\n`, 2, MAX_INDENT + 1, 'indented more than'],
    ['a thousand nested lists', `${'['.repeat(1000)}${']'.repeat(1000)}`, 1, MAX_FLOW_DEPTH + 1, 'Brackets nest more than'],
    ['brackets after a quote inside plain text', `[a 'b ${'['.repeat(200)}`, 1, 6 + MAX_FLOW_DEPTH, 'Brackets nest more than'],
    ['brackets after a # that is not a comment', `[#${'['.repeat(200)}`, 1, 2 + MAX_FLOW_DEPTH, 'Brackets nest more than'],
    ['brackets on the line after an unclosed quote', `a: "x\n${'['.repeat(200)}`, 2, MAX_FLOW_DEPTH + 1, 'Brackets nest more than'],
    ['indicators after a quote that opens nothing', `x: it's ${'- '.repeat(150)}`, 1, 9 + 2 * (MAX_INDICATORS_PER_LINE - 1), 'nesting indicators'],
  ])('refuses %s with the position where the limit is crossed', (_what, text, line, col, says) => {
    const { cases, issues } = parsePolicyTests('deep.test.yaml', text);
    expect(cases).toEqual([]);
    expect(issues).toEqual([{ severity: 'error', code: 'too_deep', file: 'deep.test.yaml', line, col, message: expect.stringContaining(says) as string }]);
  });

  it('survives many refused files in one process (the parser never sees them)', () => {
    for (let i = 0; i < 20; i++) expect(parsePolicyTests('d.yaml', `${'['.repeat(5000)}${']'.repeat(5000)}`).issues[0]?.code).toBe('too_deep');
    expect(parsePolicyTests('ok.yaml', 'id: f\ninput: { action: t }\nexpected_verdict: allow\n').cases).toHaveLength(1);
  });

  it.each([
    ['brackets inside double quotes', `x: "${'['.repeat(500)}"`],
    ['brackets inside single quotes', `x: '${'{'.repeat(500)}'`],
    ['brackets in a comment', `x: 1 # ${'['.repeat(500)}`],
    ['escaped quotes inside a quoted string', `x: "a \\" ${'['.repeat(500)}"`],
    ['doubled single quotes', `x: 'it''s ${'['.repeat(500)}'`],
    ['closed brackets, many times over', '[1] '.repeat(1000)],
    ['hyphens inside words', `x: ${'a-b '.repeat(500)}`],
  ])('lets through %s', (_what, text) => {
    expect(nestingProblem(text)).toBeNull();
  });
});
