/**
 * The pipeline's host approvals: a call deferred to its host (per-call `approval: 'defer'`) and the
 * host's answer (`hostApproval`), which approves only the exact request it was given for.
 */
import { describe, expect, it } from 'vitest';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { MemoryPendingApprovals } from '../../src/enforce/pending-approvals.js';
import { Pipeline } from '../../src/enforce/pipeline.js';
import { compilePolicy } from '../../src/policy/compile.js';

const policy = compilePolicy([
  {
    name: 'p.yaml',
    text: `
apiVersion: warden/v1
kind: Policy
name: p
default: deny
rules:
  - name: wire-needs-finance
    tools: [wire]
    effect: require_approval
    approvers: [finance]
  - name: nobody-approves
    tools: [purge]
    effect: require_approval
  - name: reads
    tools: [read]
    effect: allow
`,
  },
]);

const request = (args: Record<string, unknown>, tool = 'wire'): { tool: string; args: Record<string, unknown>; context: Record<string, unknown> } => ({ tool, args, context: { host: 'test', callId: 'c-1' } });

async function deferred(pipeline: Pipeline, args: Record<string, unknown>): Promise<string> {
  const { verdict } = await pipeline.decide({ request: request(args), approval: 'defer' });
  expect(verdict).toMatchObject({ effect: 'require_approval', allowed: false, recorded: true });
  return verdict.requestDigest;
}

describe('per-call defer', () => {
  it('leaves require_approval to the host even when the pipeline has an approval handler, and records it', async () => {
    const sink = new MemorySink();
    let asked = 0;
    const pipeline = new Pipeline({ policy, sink, approvalHandler: () => ++asked > 0 });
    await deferred(pipeline, { amount: 5 });
    expect(asked).toBe(0);
    expect(sink.events[0]?.outcome).toMatchObject({ executed: false, effect: 'require_approval' });
    expect(sink.events[0]?.call).toBe('c-1');
  });

  it("'handler' for one call asks the handler even when the pipeline defers", async () => {
    const pipeline = new Pipeline({ policy, approval: 'defer', approvalHandler: () => true });
    const { verdict } = await pipeline.decide({ request: request({ amount: 5 }), approval: 'handler' });
    expect(verdict).toMatchObject({ effect: 'allow', allowed: true });
  });
});

describe("the host's answer", () => {
  it('approves the exact request it was given for, and records who answered', async () => {
    const sink = new MemorySink();
    const pipeline = new Pipeline({ policy, sink });
    const digest = await deferred(pipeline, { amount: 5 });
    const { verdict } = await pipeline.decide({ request: request({ amount: 5 }), hostApproval: { requestDigest: digest, by: 'alice', via: 'test resume r-1' } });
    expect(verdict).toMatchObject({ effect: 'allow', allowed: true, approval: { approved: true, by: 'alice', requestDigest: digest } });
    expect(sink.events[1]?.outcome?.approval).toEqual({ approved: true, reason: 'approved through test resume r-1', requestDigest: digest, by: 'alice' });
  });

  // Each answer must deny, with the reason it names.
  const refusals: Array<{ name: string; args: Record<string, unknown>; answer: (digest: string) => unknown; reason: string }> = [
    { name: 'a changed argument', args: { amount: 5000 }, answer: (d) => ({ requestDigest: d, via: 'x' }), reason: 'different request' },
    { name: 'an added argument', args: { amount: 5, to: 'attacker' }, answer: (d) => ({ requestDigest: d, via: 'x' }), reason: 'different request' },
    { name: 'a digest of another call', args: { amount: 5 }, answer: () => ({ requestDigest: 'sha256:' + '0'.repeat(64), via: 'x' }), reason: 'different request' },
    { name: 'a digest differing in case', args: { amount: 5 }, answer: (d) => ({ requestDigest: d.toUpperCase(), via: 'x' }), reason: 'different request' },
    { name: 'no paused call (empty digest)', args: { amount: 5 }, answer: () => ({ requestDigest: '', via: 'x' }), reason: 'matches no paused call' },
    { name: 'a digest that is not text', args: { amount: 5 }, answer: () => ({ requestDigest: 42, via: 'x' }), reason: 'matches no paused call' },
    { name: 'an answer that is not an object', args: { amount: 5 }, answer: () => 'yes', reason: 'matches no paused call' },
    { name: 'a rejection by the person', args: { amount: 5 }, answer: (d) => ({ requestDigest: d, via: 'x', approved: false }), reason: 'rejected through x' },
    { name: 'an approved flag that is the string "true"', args: { amount: 5 }, answer: (d) => ({ requestDigest: d, via: 'x', approved: 'true' }), reason: 'rejected through x' },
    { name: 'an approved flag of 1', args: { amount: 5 }, answer: (d) => ({ requestDigest: d, via: 'x', approved: 1 }), reason: 'rejected through x' },
  ];
  it.each(refusals)('denies $name', async ({ args, answer, reason }) => {
    const sink = new MemorySink();
    const pipeline = new Pipeline({ policy, sink });
    const digest = await deferred(pipeline, { amount: 5 });
    const { verdict } = await pipeline.decide({ request: request(args), hostApproval: answer(digest) as never });
    expect(verdict).toMatchObject({ effect: 'deny', allowed: false, approval: { approved: false } });
    expect(verdict.approval?.reason).toContain(reason);
    expect(sink.events[1]?.outcome).toMatchObject({ executed: false, effect: 'deny' });
  });

  it('denies a different identity than the one that was paused', async () => {
    const pipeline = new Pipeline({ policy, agent: { id: 'bot' } });
    const digest = await deferred(pipeline, { amount: 5 });
    const { verdict } = await pipeline.decide({ request: request({ amount: 5 }), agent: { id: 'other-bot' }, hostApproval: { requestDigest: digest, via: 'x' } });
    expect(verdict.allowed).toBe(false);
  });

  it('cannot approve a rule that names no approvers', async () => {
    const pipeline = new Pipeline({ policy });
    const { verdict: paused } = await pipeline.decide({ request: request({}, 'purge'), approval: 'defer' });
    const { verdict } = await pipeline.decide({ request: request({}, 'purge'), hostApproval: { requestDigest: paused.requestDigest, via: 'x' } });
    expect(verdict.allowed).toBe(false);
    expect(verdict.approval?.reason).toContain('names no approvers');
  });

  it('does not turn a denial into an allow, and leaves an allow an allow', async () => {
    const pipeline = new Pipeline({ policy });
    const denied = await pipeline.decide({ request: request({}, 'delete_everything'), hostApproval: { requestDigest: 'sha256:x', via: 'x' } });
    expect(denied.verdict).toMatchObject({ effect: 'deny', allowed: false });
    const read = await pipeline.decide({ request: request({}, 'read'), hostApproval: { requestDigest: 'sha256:x', via: 'x' } });
    expect(read.verdict).toMatchObject({ effect: 'allow', allowed: true });
    expect(read.verdict.approval).toBeUndefined();
  });
});

describe('MemoryPendingApprovals', () => {
  it('answers once per pause', () => {
    const pending = new MemoryPendingApprovals();
    pending.put('wire\u0000c-1', 'sha256:a');
    expect(pending.take('wire\u0000c-1')).toBe('sha256:a');
    expect(pending.take('wire\u0000c-1')).toBeUndefined();
  });

  it('drops the oldest pause when full (its resume is then denied)', () => {
    const pending = new MemoryPendingApprovals({ max: 2 });
    pending.put('a', '1');
    pending.put('b', '2');
    pending.put('c', '3');
    expect([pending.take('a'), pending.take('b'), pending.take('c'), pending.size]).toEqual([undefined, '2', '3', 0]);
  });

  it.each([{ max: 0 }, { max: 1.5 }, { maxSize: 3 }])('rejects the options %o', (options) => {
    expect(() => new MemoryPendingApprovals(options as { max?: number })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }) as Error);
  });
});
