/**
 * ConditionCompiler.compileAnalysed(), the plan's fast path (no static analysis again), pinned to
 * compile(): the same value or the same error for every expression and activation, and the same
 * refusal for an expression that does not parse or type-check.
 */
import { describe, expect, it } from 'vitest';
import { ConditionCompiler, ConditionError } from '../../src/policy/cel.js';

const act = (args: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  tool: 'Bash',
  args: new Map(Object.entries(args)),
  agent: new Map([['id', 'a1']]),
  context: new Map(),
  session: new Map(),
  flow: new Map(),
  breaker: new Map(),
  slo: new Map(),
  plugin: new Map(),
  ...extra,
});

// [expression, activation]: benign reads, then missing fields, wrong types and hostile text.
const ROWS: Array<[string, Record<string, unknown>]> = [
  ["tool == 'Bash'", act({})],
  ["glob(args.path, '/repo/**')", act({ path: '/repo/src/a.ts' })],
  ["re2(args.command, '^git (status|diff)$')", act({ command: 'git status' })],
  ["args.items.exists(i, i == 'x')", act({ items: ['a', 'x'] })],
  ['true', act({})],
  ["glob(args.path, '/repo/**')", act({ path: '/etc/passwd' })],
  ["args.missing == 'x'", act({})],
  ["has(args.path) && glob(args.path, '/repo/**')", act({})],
  ['args.amount > 5', act({ amount: 'not a number' })],
  ["re2(args.command, 'a+$')", act({ command: `${'a'.repeat(10_000)}b` })],
  ["args.items.all(i, i.startsWith('/repo/'))", act({ items: ['/repo/a', '../../etc/shadow'] })],
  ["args.path.contains('\\u0000')", act({ path: '/repo/a\u0000.txt' })],
];

function outcome(run: () => unknown): { value?: unknown; error?: string } {
  try {
    return { value: run() };
  } catch (e) {
    return { error: e instanceof Error ? e.constructor.name : String(e) };
  }
}

describe('compileAnalysed answers as compile', () => {
  it.each(ROWS)('%s', (expression, activation) => {
    const full = new ConditionCompiler().compile(expression).evaluate;
    const fast = new ConditionCompiler().compileAnalysed(expression);
    expect(outcome(() => fast(activation))).toEqual(outcome(() => full(activation)));
  });

  const BAD: Array<[string, ConditionError['kind']]> = [
    ["tool == 'x' &&", 'syntax'],
    ["tool + 1 == 'x'", 'type'],
    ["'a string'", 'type'],
  ];
  it.each(BAD)('refuses %s as compile does (%s)', (expression, kind) => {
    const e1 = outcome(() => new ConditionCompiler().compile(expression));
    expect(e1.error).toBe('ConditionError');
    let caught: unknown;
    try {
      new ConditionCompiler().compileAnalysed(expression);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConditionError);
    expect((caught as ConditionError).kind).toBe(kind);
  });
});
