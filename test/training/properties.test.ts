/**
 * Laws of rewards, gaps and the JSONL form, over random episodes of the toy environment's tools.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { policyGaps } from '../../src/training/gaps.js';
import { policyReward } from '../../src/training/reward.js';
import { parseTrajectoryJsonl, trajectoryJsonl, type Trajectory } from '../../src/training/trajectory.js';
import { flowPolicy, stepPolicy } from './fixtures.js';

const step = stepPolicy();
const flow = flowPolicy();

const call = fc.oneof(
  fc.record({ tool: fc.constant('read_file'), args: fc.record({ path: fc.constantFrom('/secrets/api-key', '/tmp/a', '/docs/x') }) }),
  fc.record({ tool: fc.constant('write_file'), args: fc.record({ path: fc.constantFrom('/tmp/a', '/etc/passwd'), content: fc.string({ maxLength: 8 }) }) }),
  fc.record({ tool: fc.constant('http_upload'), args: fc.record({ file: fc.constantFrom('/tmp/a', '/secrets/api-key'), url: fc.constant('https://x.example/u') }) }),
  fc.record({ tool: fc.constantFrom('search_docs', 'rm_rf'), args: fc.record({ query: fc.string({ maxLength: 8 }) }) }),
);
const episode: fc.Arbitrary<Trajectory> = fc
  .tuple(fc.array(fc.tuple(call, fc.option(fc.double({ min: -1, max: 1, noNaN: true }).map((v) => (Object.is(v, -0) ? 0 : v)), { nil: undefined })), { maxLength: 12 }), fc.option(fc.constantFrom('c1', 'c2'), { nil: null }))
  .map(([calls, checkpoint]) => ({
    id: 'ep',
    checkpoint,
    calls: calls.map(([c, reward], i) => ({ step: i, ts: new Date(Date.UTC(2026, 5, 1, 0, 0, i)).toISOString(), tool: c.tool, args: c.args as Record<string, unknown>, ...(reward === undefined ? {} : { reward }) })),
  }));

describe('reward laws', () => {
  it('is deterministic: a copy of the trajectory scores the same, item for item', () => {
    fc.assert(
      fc.property(episode, (t) => {
        expect(policyReward(structuredClone(t), flow, { terminateOn: 'critical' })).toEqual(policyReward(t, flow, { terminateOn: 'critical' }));
      }),
    );
  });

  it('sums: reward is the task reward minus every penalty', () => {
    fc.assert(
      fc.property(episode, (t) => {
        const r = policyReward(t, flow);
        const penalty = r.items.reduce((a, i) => a + i.penalty, 0);
        expect(r.reward).toBeCloseTo(r.task - penalty, 9);
        expect(r.task).toBeCloseTo(t.calls.reduce((a, c) => a + (c.reward ?? 0), 0), 9);
      }),
    );
  });

  it('adding a deny-only document never takes a penalty away (deny overrides)', () => {
    fc.assert(
      fc.property(episode, (t) => {
        const under = new Set(policyReward(t, flow).items.map((i) => i.index));
        for (const i of policyReward(t, step).items) expect(under.has(i.index)).toBe(true);
      }),
    );
  });

  it('gaps are exactly the flow penalties of calls the step policy allowed', () => {
    fc.assert(
      fc.property(episode, (t) => {
        const stepItems = new Set(policyReward(t, step).items.map((i) => i.index));
        const flowItems = policyReward(t, flow).items.filter((i) => i.kind === 'flow' && !stepItems.has(i.index)).map((i) => i.index);
        expect(policyGaps(t, step, flow).map((g) => g.index)).toEqual(flowItems);
      }),
    );
  });

  // -0 is written as 0 (JSON has no negative zero), so the generator leaves it out.
  it('JSONL round-trips every trajectory', () => {
    fc.assert(
      fc.property(episode, (t) => {
        expect(parseTrajectoryJsonl(trajectoryJsonl([t]))).toEqual(t.calls.length === 0 ? [] : [t]);
      }),
    );
  });
});
