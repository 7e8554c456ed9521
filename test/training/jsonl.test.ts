import { describe, expect, it } from 'vitest';
import { MAX_TRAJECTORY_LINE_BYTES, parseTrajectoryJsonl, trajectoryJsonl } from '../../src/training/trajectory.js';
import { policyReward } from '../../src/training/reward.js';
import { GAMED, flowPolicy, trajectory } from './fixtures.js';

const line = (o: Record<string, unknown>): string => JSON.stringify({ trajectory: 'ep-1', step: 0, ts: '2026-06-01T00:00:00.000Z', tool: 'read_file', args: { path: '/tmp/a' }, ...o });

describe('trajectory JSONL', () => {
  it('round-trips trajectories through the JSONL form, and the reward does not change', () => {
    const t = trajectory('ep-g', 'c3', GAMED);
    t.calls[0]!.outcome = { status: 'ok', result: { bytes: 12 } };
    t.calls[1]!.decision = { effect: 'allow', rule: 'agent-tools', policy: 'agent-tools', reason: 'ok' };
    t.calls[2]!.reward = 1;
    const back = parseTrajectoryJsonl(trajectoryJsonl([t]), 'x.jsonl');
    expect(back).toEqual([t]);
    expect(policyReward(back[0]!, flowPolicy())).toEqual(policyReward(t, flowPolicy()));
  });

  it('groups interleaved lines by trajectory, keeping each in step order, and ignores blank lines', () => {
    const text = [line({ trajectory: 'a', step: 0 }), '', line({ trajectory: 'b', step: 0 }), line({ trajectory: 'a', step: 3 }), '  '].join('\n');
    const ts = parseTrajectoryJsonl(text);
    expect(ts.map((t) => [t.id, t.calls.map((c) => c.step)])).toEqual([['a', [0, 3]], ['b', [0]]]);
  });

  it('accepts a Windows line ending', () => {
    expect(parseTrajectoryJsonl(`${line({})}\r\n`)[0]!.calls).toHaveLength(1);
  });

  it('keeps a __proto__ key inside args as ordinary data', () => {
    const [t] = parseTrajectoryJsonl(line({}).replace('"args":{', '"args":{"__proto__":{"polluted":true},'));
    const args = t!.calls[0]!.args;
    expect(Object.prototype.hasOwnProperty.call(args, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  // Each malformed input names its line; about a third of the table is benign (must load).
  const cases: Array<[string, string, string | null]> = [
    ['not JSON', `${line({})}\n{"trajectory":`, ':2: the line is not JSON'],
    ['a JSON array', '[1,2]', ':1: the line must be a JSON object'],
    ['a duplicate key', line({}).replace('"tool":"read_file"', '"tool":"read_file","tool":"write_file"'), ':1: the key "tool" appears twice'],
    ['an unknown top-level key', line({ approved: true }), ':1: unknown key "approved"'],
    ['a top-level __proto__ key', line({}).replace('{', '{"__proto__":{"x":1},'), ':1: unknown key "__proto__"'],
    ['a missing ts', line({ ts: undefined }), ':1: `ts` must be an ISO 8601 time'],
    ['a ts without a zone', line({ ts: '2026-06-01T00:00:00' }), ':1: `ts` must be an ISO 8601 time'],
    ['an impossible date', line({ ts: '2026-13-45T00:00:00Z' }), ':1: `ts` must be an ISO 8601 time'],
    ['a negative step', line({ step: -1 }), ':1: `step` must be a whole number'],
    ['a fractional step', line({ step: 1.5 }), ':1: `step` must be a whole number'],
    ['steps out of order', `${line({ step: 2 })}\n${line({ step: 1 })}`, ':2: step 1 of trajectory "ep-1" does not come after step 2'],
    ['a repeated step', `${line({ step: 2 })}\n${line({ step: 2 })}`, ':2: step 2'],
    ['a checkpoint changing within a trajectory', `${line({ checkpoint: 'a' })}\n${line({ checkpoint: 'b', step: 1 })}`, ':2: trajectory "ep-1" was labelled checkpoint "a"'],
    ['args as a string', line({ args: 'rm -rf /' }), ':1: `args` must be a JSON object'],
    ['an empty tool', line({ tool: '' }), ':1: `tool` must be a non-empty string'],
    ['a tool with a newline', line({ tool: 'a\nb' }), ':1: `tool` holds control characters'],
    ['a reward overflowing to Infinity', line({}).replace(/}$/, ',"reward":1e999}'), ':1: `reward` must be a finite number'],
    ['a reward as a string', line({ reward: 'NaN' }), ':1: `reward` must be a finite number'],
    ['an argument overflowing to Infinity', line({}).replace('"path":"/tmp/a"', '"amount":-1e400'), ':1: `args.amount` holds a number out of range'],
    ['a self-reported trust score', line({ agent: { id: 'a', trust: 1000 } }), ':1: unknown key "trust" in `agent`'],
    ['a session in the context', line({ context: { session: 'other' } }), ':1: `context.session` is not accepted'],
    ['an unknown effect', line({ decision: { effect: 'permit', rule: null, policy: null } }), ':1: `decision.effect` must be one of'],
    ['an approval flag in the decision', line({ decision: { effect: 'allow', rule: null, policy: null, approved: true } }), ':1: unknown key "approved" in `decision`'],
    ['an unknown outcome status', line({ outcome: { status: 'success' } }), ':1: `outcome.status` must be'],
    ['a huge line', line({ args: { blob: 'x'.repeat(MAX_TRAJECTORY_LINE_BYTES) } }), ':1: the line is over 1048576 bytes'],
    ['deep nesting', line({ args: JSON.parse(`${'{"a":'.repeat(80)}1${'}'.repeat(80)}`) }), ':1: `args'],
    ['benign: minimal call', line({}), null],
    ['benign: full call', line({ checkpoint: 'c1', agent: { id: 'a', roles: ['r'], labels: { team: 'x' } }, context: { env: 'train' }, decision: { effect: 'deny', rule: 'r', policy: 'p', reason: 'no' }, outcome: { status: 'denied' }, reward: -0.5 }), null],
    ['benign: offset time zone', line({ ts: '2026-06-01T02:00:00+02:00' }), null],
    ['benign: null checkpoint', line({ checkpoint: null }), null],
    ['benign: unicode tool name', line({ tool: 'lire_fichier_é' }), null],
    ['benign: nested arrays of numbers', line({ args: { m: [[1, 2], [3.5, -4]] } }), null],
    ['benign: result with a __proto__ key', line({ outcome: { status: 'ok', result: JSON.parse('{"__proto__": 1}') } }).replace('"result":{}', '"result":{"__proto__":1}'), null],
    ['benign: zero reward', line({ reward: 0 }), null],
  ];
  it.for(cases)('%s', ([, text, error]) => {
    if (error === null) {
      expect(parseTrajectoryJsonl(text, 'in.jsonl')[0]!.calls).toHaveLength(1);
      return;
    }
    let thrown: unknown;
    try {
      parseTrajectoryJsonl(text, 'in.jsonl');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: 'ERR_TRAINING_INPUT' });
    expect((thrown as Error).message).toContain(`in.jsonl${error}`);
  });

  it('normalizes times to UTC, so the same instant scores the same', () => {
    const [t] = parseTrajectoryJsonl(line({ ts: '2026-06-01T02:00:00+02:00' }));
    expect(t!.calls[0]!.ts).toBe('2026-06-01T00:00:00.000Z');
  });
});
