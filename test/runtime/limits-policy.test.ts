/**
 * The `limits:` section and tool labels as a policy document holds them: what loads, what is a load
 * error (never a silently ignored limit), which limits a call draws from, and plans that keep both.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy, compilePolicyPlan } from '../../src/policy/compile.js';
import { PolicyLoadError } from '../../src/policy/issues.js';
import { policySetFromPlan } from '../../src/policy/plan.js';

const HEAD = 'apiVersion: warden/v1\nkind: Policy\nname: lim\ndefault: allow\n';

function load(body: string) {
  return compilePolicy([{ name: 'lim.yaml', text: HEAD + body }]);
}

function loadError(body: string): string[] {
  try {
    load(body);
  } catch (e) {
    if (e instanceof PolicyLoadError) return e.issues.filter((i) => i.severity === 'error').map((i) => i.code);
    throw e;
  }
  return [];
}

const REFUNDS = `limits:
  - name: refunds
    tools: [refund]
    key: [agent.id, args.account]
    budget: { max: 100, amount: args.amount, per: 1d }
  - name: calls
    rate: { limit: 10, per: 1m }
`;

describe('a limits section that is wrong does not load', () => {
  const rows: Array<[string, string, string]> = [
    ['no rate and no budget', 'limits:\n  - name: x\n', 'limit_kind'],
    ['both rate and budget', 'limits:\n  - name: x\n    rate: { limit: 1, per: 1s }\n    budget: { max: 1, amount: "1" }\n', 'limit_kind'],
    ['a zero limit', 'limits:\n  - name: x\n    rate: { limit: 0, per: 1s }\n', 'bad_limit'],
    ['a negative limit', 'limits:\n  - name: x\n    rate: { limit: -5, per: 1s }\n', 'bad_limit'],
    ['a limit written as text', 'limits:\n  - name: x\n    rate: { limit: "10", per: 1s }\n', 'bad_limit'],
    ['a NaN limit', 'limits:\n  - name: x\n    rate: { limit: .nan, per: 1s }\n', 'bad_limit'],
    ['an infinite budget', 'limits:\n  - name: x\n    budget: { max: .inf, amount: "1" }\n', 'bad_limit'],
    ['a zero burst', 'limits:\n  - name: x\n    rate: { limit: 1, per: 1s, burst: 0 }\n', 'bad_limit'],
    ['a period without a unit', 'limits:\n  - name: x\n    rate: { limit: 1, per: 60 }\n', 'bad_duration'],
    ['a period with an unknown unit', 'limits:\n  - name: x\n    rate: { limit: 1, per: 1w }\n', 'bad_duration'],
    ['a zero period', 'limits:\n  - name: x\n    rate: { limit: 1, per: 0s }\n', 'bad_duration'],
    ['a rate without a period', 'limits:\n  - name: x\n    rate: { limit: 1 }\n', 'missing_key'],
    ['a budget without an amount', 'limits:\n  - name: x\n    budget: { max: 5 }\n', 'missing_key'],
    ['a misspelt key', 'limits:\n  - name: x\n    rate: { limit: 1, per: 1s, brust: 2 }\n', 'unknown_key'],
    ['a misspelt limit key', 'limits:\n  - name: x\n    tool: [a]\n    rate: { limit: 1, per: 1s }\n', 'unknown_key'],
    ['a key that is not a list', 'limits:\n  - name: x\n    key: agent.id\n    rate: { limit: 1, per: 1s }\n', 'wrong_type'],
    ['an empty key list', 'limits:\n  - name: x\n    key: []\n    rate: { limit: 1, per: 1s }\n', 'wrong_type'],
    ['an empty tools list (would cover nothing)', 'limits:\n  - name: x\n    tools: []\n    rate: { limit: 1, per: 1s }\n', 'empty_tools'],
    ['a tool glob', 'limits:\n  - name: x\n    tools: ["pay_*"]\n    rate: { limit: 1, per: 1s }\n', 'bad_glob'],
    ['a key that is not CEL', 'limits:\n  - name: x\n    key: ["agent.id +"]\n    rate: { limit: 1, per: 1s }\n', 'cel_syntax'],
    ['a key reading a facet', 'limits:\n  - name: x\n    key: ["sql.tables"]\n    rate: { limit: 1, per: 1s }\n', 'cel_type'],
    ['a when that is not a bool', 'limits:\n  - name: x\n    when: "args.a + 1"\n    rate: { limit: 1, per: 1s }\n', 'cel_type'],
    ['two limits with one name', 'limits:\n  - name: x\n    rate: { limit: 1, per: 1s }\n  - name: x\n    rate: { limit: 2, per: 1s }\n', 'duplicate_limit'],
    ['a bad limit name', 'limits:\n  - name: "x y"\n    rate: { limit: 1, per: 1s }\n', 'bad_name'],
    ['limits that are not a list', 'limits: { name: x }\n', 'wrong_type'],
    ['a label that is not a word', 'tools:\n  - name: a\n    labels: { reads: ["Private Data"] }\n', 'bad_label'],
    ['egress as text', 'tools:\n  - name: a\n    labels: { egress: "yes" }\n', 'wrong_type'],
    ['a misspelt label key', 'tools:\n  - name: a\n    labels: { egres: true }\n', 'unknown_key'],
  ];
  it.each(rows)('%s', (_, body, code) => {
    expect(loadError(body)).toContain(code);
  });

  const fine: Array<[string, string]> = [
    ['a rate with a burst', 'limits:\n  - name: x\n    rate: { limit: 100, per: 1h, burst: 5 }\n'],
    ['a total budget', 'limits:\n  - name: x\n    budget: { max: 5, amount: args.n }\n'],
    ['a constant amount', 'limits:\n  - name: x\n    budget: { max: 5, amount: 1, per: 250ms }\n'],
    ['a key with a tool and a session', 'limits:\n  - name: x\n    key: [tool, session.id]\n    rate: { limit: 1, per: 1d }\n'],
    ['an inventory mixing names and labelled entries', 'tools:\n  - a\n  - name: b\n    labels: { reads: [private], egress: true }\n'],
  ];
  it.each(fine)('%s loads', (_, body) => {
    expect(loadError(body)).toEqual([]);
  });
});

describe('the limits a call draws from', () => {
  const set = load(REFUNDS);
  const call = (args: Record<string, unknown>, tool = 'refund') => set.limitDemands({ tool, args, agent: { id: 'a1' } });

  it('lists each limit covering the tool with its counter key and amount', () => {
    expect(call({ amount: 30, account: 'acc:1' })).toEqual({
      demands: [
        { policy: 'lim', limit: 'refunds', kind: 'budget', key: 'l3:lim|s7:refunds|s2:a1|s5:acc:1', amount: 30, shape: { limit: 100, periodMs: 86_400_000, burst: 100 } },
        { policy: 'lim', limit: 'calls', kind: 'rate', key: 'l3:lim|s5:calls', amount: 1, shape: { limit: 10, periodMs: 60_000, burst: 10 } },
      ],
    });
  });

  it('a limit scoped to other tools is not drawn', () => {
    expect(call({}, 'search')).toEqual({ demands: [expect.objectContaining({ limit: 'calls' })] });
  });

  const refusals: Array<[string, Record<string, unknown>, string]> = [
    ['a negative amount (a refund of the budget)', { amount: -50, account: 'x' }, 'the amount is negative (-50)'],
    ['an amount given as text', { amount: '30', account: 'x' }, 'the amount is a string, not a number'],
    ['an absent amount', { account: 'x' }, 'No such key: amount'],
    ['a null amount', { amount: null, account: 'x' }, 'the amount is null, not a number'],
    ['an absent key field', { amount: 1 }, 'No such key: account'],
    ['a key field that is a list', { amount: 1, account: ['a', 'b'] }, 'key part 3 is a list'],
    ['a key field that is a fraction', { amount: 1, account: 1.5 }, 'key part 3 is 1.5, not a safe integer'],
    ['a key field that is null', { amount: 1, account: null }, 'key part 3 is null'],
  ];
  it.each(refusals)('%s is an error, never a skipped limit', (_, args, error) => {
    const d = call(args);
    expect(d).toEqual({ error: expect.stringContaining(error), policy: 'lim', limit: 'refunds' });
  });

  it('a NaN or infinite amount never reaches a limit (the request is invalid)', () => {
    expect(call({ amount: Number.NaN, account: 'x' })).toEqual({ error: expect.stringContaining('NaN'), policy: '', limit: '' });
    expect(call({ amount: Number.POSITIVE_INFINITY, account: 'x' })).toEqual({ error: expect.stringContaining('Infinity'), policy: '', limit: '' });
  });

  it('an amount of zero is drawn (and costs nothing)', () => {
    expect(call({ amount: 0, account: 'x' })).toHaveProperty('demands');
  });

  it('a key reading the session errors without a session (a denial, not one shared counter)', () => {
    const s = load('limits:\n  - name: x\n    key: [session.id]\n    rate: { limit: 1, per: 1d }\n');
    expect(s.limitDemands({ tool: 't', args: {} })).toEqual({ error: expect.any(String), policy: 'lim', limit: 'x' });
    expect(s.limitDemands({ tool: 't', args: {} }, { session: { id: 's1', labels: [], calls: {}, history: [] } })).toEqual({ demands: [expect.objectContaining({ key: 'l3:lim|s1:x|s2:s1' })] });
  });

  it('a when that errors makes the call an error; one that is false skips the limit', () => {
    const s = load('limits:\n  - name: big\n    when: "args.amount > 100"\n    rate: { limit: 1, per: 1d }\n');
    expect(s.limitDemands({ tool: 't', args: { amount: 5 } })).toEqual({ demands: [] });
    expect(s.limitDemands({ tool: 't', args: { amount: 500 } })).toEqual({ demands: [expect.objectContaining({ limit: 'big' })] });
    expect(s.limitDemands({ tool: 't', args: {} })).toEqual({ error: expect.stringContaining('amount'), policy: 'lim', limit: 'big' });
  });

  it('the same limit name in two documents names two counters', () => {
    const two = compilePolicy([
      { name: 'a.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: a\ndefault: allow\nlimits:\n  - name: x\n    rate: { limit: 1, per: 1d }\n' },
      { name: 'b.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: b\ndefault: allow\nlimits:\n  - name: x\n    rate: { limit: 1, per: 1d }\n' },
    ]);
    const d = two.limitDemands({ tool: 't', args: {} });
    expect('demands' in d && d.demands.map((x) => x.key)).toEqual(['l1:a|s1:x', 'l1:b|s1:x']);
  });
});

describe('flow labels', () => {
  const set = compilePolicy([
    { name: 'a.yaml', text: HEAD + 'tools:\n  - plain\n  - name: mail\n    labels: { reads: [private], ingests: [untrusted] }\n' },
    { name: 'b.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: b\ndefault: allow\ntools:\n  - name: mail\n    labels: { egress: true, reads: [pii] }\n' },
  ]);
  it('compose across documents by union', () => {
    expect(set.flowLabels('mail')).toEqual({ known: true, reads: ['pii', 'private'], ingests: ['untrusted'], egress: true, declassifies: [] });
  });
  it('a tool in an inventory without labels is known and carries none', () => {
    expect(set.flowLabels('plain')).toEqual({ known: true, reads: [], ingests: [], egress: false, declassifies: [] });
  });
  it('a tool no inventory names is unknown', () => {
    expect(set.flowLabels('other').known).toBe(false);
  });
  it('a session view that is malformed is absent to conditions (deny rules apply)', () => {
    const s = load('rules:\n  - name: tainted\n    when: "\'private\' in session.labels"\n    effect: deny\n');
    expect(s.decide({ tool: 't', args: {} }, { session: { id: 's', labels: ['x'], calls: {}, history: [] } }).effect).toBe('allow');
    expect(s.decide({ tool: 't', args: {} }).effect).toBe('deny');
    expect(s.decide({ tool: 't', args: {} }, { session: { id: '', labels: [], calls: {}, history: [] } }).effect).toBe('deny');
    expect(s.decide({ tool: 't', args: {} }, { session: { id: 's', labels: [1], calls: {}, history: [] } as never }).effect).toBe('deny');
  });
  it('conditions read session.calls and session.history', () => {
    const s = load('rules:\n  - name: third\n    when: "has(session.calls.fetch) && session.calls.fetch >= 3"\n    effect: deny\n  - name: after-mail\n    when: "session.history.exists(h, h.tool == \'mail\')"\n    effect: deny\n');
    const view = (calls: Record<string, number>, tools: string[]) => ({ id: 's', labels: [], calls, history: tools.map((tool) => ({ tool, labels: [], at: '2026-01-01T00:00:00.000Z' })) });
    expect(s.decide({ tool: 'fetch', args: {} }, { session: view({ fetch: 2 }, []) }).effect).toBe('allow');
    expect(s.decide({ tool: 'fetch', args: {} }, { session: view({ fetch: 3 }, []) }).rule).toBe('third');
    expect(s.decide({ tool: 'x', args: {} }, { session: view({}, ['mail']) }).rule).toBe('after-mail');
  });
});

it('a plan keeps the limits and labels (a cached plan never drops a limit)', () => {
  const text = HEAD + REFUNDS + 'tools:\n  - name: refund\n    labels: { egress: true }\n';
  const { set, plan } = compilePolicyPlan([{ name: 'lim.yaml', text }], []);
  const again = policySetFromPlan(JSON.parse(JSON.stringify(plan)));
  const request = { tool: 'refund', args: { amount: 5, account: 'a' }, agent: { id: 'x' } };
  expect(again.limitDemands(request)).toEqual(set.limitDemands(request));
  expect(again.flowLabels('refund')).toEqual(set.flowLabels('refund'));
  expect(again.hasLimits).toBe(true);
});
