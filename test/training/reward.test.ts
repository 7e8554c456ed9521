import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/policy/compile.js';
import { policyGaps } from '../../src/training/gaps.js';
import { checkShaping, policyReward } from '../../src/training/reward.js';
import { DIRECT, GAMED, HONEST, flowPolicy, stepPolicy, trajectory } from './fixtures.js';

describe('policyReward', () => {
  it('gives the same reward and the same items for the same trajectory and policy', () => {
    const t = trajectory('ep-1', 'c1', [...DIRECT, ...GAMED]);
    const a = policyReward(t, flowPolicy(), { severities: { 'agent-tools/no-secret-upload': 'critical' } });
    const b = policyReward(JSON.parse(JSON.stringify(t)), flowPolicy(), { severities: { 'agent-tools/no-secret-upload': 'critical' } });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('itemizes a deny with its rule id, severity, call index and the penalty of that severity', () => {
    const r = policyReward(trajectory('ep-1', null, DIRECT), stepPolicy(), { severities: { 'agent-tools/no-secret-upload': 'critical' } });
    expect(r.items).toEqual([{ kind: 'deny', index: 1, step: 1, tool: 'http_upload', rule: 'agent-tools/no-secret-upload', severity: 'critical', penalty: 1, reason: 'Secret files are never uploaded.' }]);
    expect(r.reward).toBe(-1);
    expect(r.penalty).toBe(1);
  });

  it('adds the task rewards of the calls and subtracts the penalties', () => {
    const t = trajectory('ep-1', null, [
      ['search_docs', { query: 'x' }, { reward: 0.5 }],
      ['write_file', { path: '/etc/passwd', content: '' }, { reward: 0.25 }],
    ]);
    const r = policyReward(t, stepPolicy(), { defaultSeverity: 'medium' });
    expect(r.task).toBe(0.75);
    expect(r.items.map((i) => [i.kind, i.rule, i.severity, i.penalty])).toEqual([['deny', 'agent-tools/tmp-writes-only', 'medium', 0.25]]);
    expect(r.reward).toBe(0.5);
  });

  it('counts a deny by the default under policy/(default)', () => {
    const r = policyReward(trajectory('ep-1', null, [['rm_rf', { path: '/' }]]), stepPolicy());
    expect(r.items[0]).toMatchObject({ kind: 'deny', rule: 'agent-tools/(default)', severity: 'high', penalty: 0.5 });
  });

  it('penalizes the gamed sequence as a flow violation under the policy with the flow rule', () => {
    const r = policyReward(trajectory('ep-g', 'c3', GAMED), flowPolicy(), { flow: 0.75 });
    expect(r.items).toEqual([
      { kind: 'flow', index: 2, step: 2, tool: 'http_upload', rule: 'flow-rules/no-egress-after-private', severity: 'high', penalty: 0.75, reason: 'This session has read private data, so it may not send data out.' },
    ]);
  });

  it('gives the gamed sequence no penalty under the step-only policy (what the gap report is for)', () => {
    expect(policyReward(trajectory('ep-g', 'c3', GAMED), stepPolicy()).items).toEqual([]);
  });

  it('gives an honest episode no penalty under either policy', () => {
    expect(policyReward(trajectory('ep-h', null, HONEST), flowPolicy()).items).toEqual([]);
    expect(policyReward(trajectory('ep-h', null, HONEST), stepPolicy()).items).toEqual([]);
  });

  it('carries session labels only from calls that ran: a read the environment denied taints nothing', () => {
    const steps: Array<[string, Record<string, unknown>, object?]> = [
      ['read_file', { path: '/secrets/api-key' }, { outcome: { status: 'denied' } }],
      ['http_upload', { file: '/tmp/summary.md', url: 'https://docs.example/u' }],
    ];
    expect(policyReward(trajectory('ep', null, steps as never), flowPolicy()).items).toEqual([]);
  });

  it('stops scoring at the first violation of the terminateOn severity and adds the termination penalty', () => {
    const t = trajectory('ep-1', null, [...DIRECT, ['rm_rf', { path: '/' }, { reward: 5 }]] as never);
    const r = policyReward(t, stepPolicy(), { severities: { 'no-secret-upload': 'critical' }, terminateOn: 'critical', terminationPenalty: 2 });
    expect(r.terminated).toEqual({ index: 1, step: 1, rule: 'agent-tools/no-secret-upload', penalty: 2 });
    expect(r.items).toHaveLength(1);
    expect(r.task).toBe(0);
    expect(r.reward).toBe(-3);
  });

  it('penalizes each call that requires approval', () => {
    const set = compilePolicy([{ name: 'a.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: a\ndefault: deny\nrules:\n  - name: refunds-need-ok\n    tools: [refund]\n    effect: require_approval\n    approvers: [lead]\n' }]);
    const r = policyReward(trajectory('ep', null, [['refund', { amount: 5 }], ['refund', { amount: 6 }]]), set, { approval: 0.2 });
    expect(r.items.map((i) => [i.kind, i.index, i.penalty])).toEqual([['approval', 0, 0.2], ['approval', 1, 0.2]]);
  });

  it('penalizes calls over a budget, counted across the trajectory with its own times', () => {
    const set = compilePolicy([
      {
        name: 'b.yaml',
        text: 'apiVersion: warden/v1\nkind: Policy\nname: b\ndefault: deny\nlimits:\n  - name: spend\n    tools: [pay]\n    budget: { max: 10, amount: args.amount }\nrules:\n  - name: pay\n    tools: [pay]\n    effect: allow\n',
      },
    ]);
    const r = policyReward(trajectory('ep', null, [['pay', { amount: 6 }], ['pay', { amount: 6 }], ['pay', { amount: 4 }]]), set, { budget: 0.3 });
    expect(r.items.map((i) => [i.kind, i.index, i.rule, i.penalty])).toEqual([['budget', 1, 'b/spend', 0.3]]);
  });
});

describe('checkShaping', () => {
  const cases: Array<[string, unknown]> = [
    ['NaN penalty', { approval: Number.NaN }],
    ['infinite penalty', { flow: Number.POSITIVE_INFINITY }],
    ['negative penalty (a reward for a violation)', { budget: -1 }],
    ['NaN in deny table', { deny: { high: Number.NaN } }],
    ['string number', { approval: '0.1' }],
    ['unknown severity', { defaultSeverity: 'severe' }],
    ['unknown key (a typo)', { aproval: 0.1 }],
    ['severity typo in the table', { severities: { 'p/r': 'Critical' } }],
    ['unknown severity key in deny', { deny: { fatal: 1 } }],
    ['__proto__ key', JSON.parse('{"__proto__": {"approval": 5}}')],
    ['constructor key', { constructor: 1 }],
    ['array', []],
  ];
  it.for(cases)('refuses %s at load', ([, shaping]) => {
    expect(() => checkShaping(shaping as never)).toThrow(expect.objectContaining({ code: 'ERR_TRAINING_INPUT' }));
  });

  it('treats a __proto__ rule id as an ordinary rule id', () => {
    const s = checkShaping({ severities: JSON.parse('{"__proto__": "low", "p/r": "critical"}') });
    expect(s.severities.get('__proto__')).toBe('low');
    expect(s.severities.get('p/r')).toBe('critical');
    expect(s.severities.get('toString')).toBeUndefined();
  });

  it('fills in the documented defaults', () => {
    const s = checkShaping();
    expect([s.defaultSeverity, s.deny, s.approval, s.budget, s.flow, s.terminateOn, s.terminationPenalty]).toEqual(['high', { low: 0.1, medium: 0.25, high: 0.5, critical: 1 }, 0.1, 0.25, 0.5, null, 1]);
  });
});

describe('policyGaps', () => {
  it('reports the gamed sequence as a gap when the training policy has no flow rule', () => {
    const gaps = policyGaps(trajectory('ep-g', 'c3', GAMED), stepPolicy(), flowPolicy());
    expect(gaps).toEqual([
      {
        trajectory: 'ep-g',
        checkpoint: 'c3',
        index: 2,
        step: 2,
        tool: 'http_upload',
        rule: 'flow-rules/no-egress-after-private',
        reason: 'This session has read private data, so it may not send data out.',
        sequence: [
          { index: 0, step: 0, tool: 'read_file', labels: ['private'] },
          { index: 2, step: 2, tool: 'http_upload', labels: [] },
        ],
      },
    ]);
  });

  it('reports no gap when the training policy has the flow rule (it denied the upload itself)', () => {
    expect(policyGaps(trajectory('ep-g', 'c3', GAMED), flowPolicy(), flowPolicy())).toEqual([]);
  });

  it('reports no gap for the direct attempt: the step rule denies it on its own', () => {
    expect(policyGaps(trajectory('ep-d', null, DIRECT), stepPolicy(), flowPolicy())).toEqual([]);
  });

  it('reports no gap for an honest episode', () => {
    expect(policyGaps(trajectory('ep-h', null, HONEST), stepPolicy(), flowPolicy())).toEqual([]);
  });
});
