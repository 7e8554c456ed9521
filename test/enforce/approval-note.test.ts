/**
 * ask.note(): an approval handler tells the pipeline who answered (and why not) for the record;
 * a note never approves, and what is noted after the answer was judged changes nothing recorded.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Governor, type ApprovalHandler, type ApprovalRequest } from '../../src/enforce/governor.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { compilePolicy } from '../../src/policy/compile.js';

const policy = compilePolicy([{ name: 'policy.yaml', text: readFileSync(new URL('../fixtures/enforce/policy.yaml', import.meta.url), 'utf8') }]);

async function decide(handler: ApprovalHandler) {
  const sink = new MemorySink();
  const v = await new Governor({ policy, agent: { id: 'bot-1' }, sink, approvalHandler: handler }).check({ tool: 'pay', args: { amount: 5 } });
  return { v, recorded: sink.events[0]?.outcome?.approval };
}

describe('approval notes', () => {
  it('records who approved', async () => {
    const { v, recorded } = await decide((ask) => {
      ask.note?.({ by: 'alice' });
      return true;
    });
    expect(v.allowed).toBe(true);
    expect(recorded).toEqual({ approved: true, reason: 'approved', requestDigest: v.requestDigest, by: 'alice' });
  });

  it('records who refused and why', async () => {
    const { v, recorded } = await decide((ask) => {
      ask.note?.({ by: 'bob', reason: 'denied by bob: freeze' });
      return false;
    });
    expect(v.allowed).toBe(false);
    expect(recorded).toMatchObject({ approved: false, reason: 'denied by bob: freeze', by: 'bob' });
  });

  it.each([
    ['a note saying approved with the answer "yes"', 'yes'],
    ['a note saying approved with the answer 1', 1],
    ['a note saying approved with no answer', undefined],
  ])('never approves: %s', async (_name, answer) => {
    const { v } = await decide((ask) => {
      ask.note?.({ by: 'alice', reason: 'approved' });
      return answer;
    });
    expect(v.allowed).toBe(false);
    expect(v.approval?.approved).toBe(false);
  });

  it('ignores a note made after the answer was judged, and notes that are not text', async () => {
    let later: ApprovalRequest | undefined;
    const { v, recorded } = await decide((ask) => {
      later = ask;
      ask.note?.({ by: 42 as unknown as string, reason: { toString: () => 'x' } as unknown as string });
      return true;
    });
    later?.note?.({ by: 'mallory' });
    expect(v.approval).toEqual({ approved: true, reason: 'approved', requestDigest: v.requestDigest });
    expect(recorded?.by).toBeUndefined();
  });

  it('cuts a long name to 200 characters', async () => {
    const { recorded } = await decide((ask) => {
      ask.note?.({ by: 'a'.repeat(500) });
      return true;
    });
    expect(recorded?.by).toBe('a'.repeat(200));
  });
});
