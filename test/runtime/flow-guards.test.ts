/**
 * examples/policies/flow-guards.yaml through the real pipeline with a real store: call sequences
 * (private data, untrusted content, egress, in every order; across sessions; after a declassification
 * approved or refused) and the decision each call gets. The session is `context.session`, set by
 * the enforcement point; the call's arguments and other context keys never name it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Pipeline } from '../../src/enforce/pipeline.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { loadSession } from '../../src/runtime/session.js';

const PACK = readFileSync(new URL('../../examples/policies/flow-guards.yaml', import.meta.url), 'utf8');
const policy = compilePolicy([{ name: 'flow-guards.yaml', text: PACK }]);

/** One call: [session id or null, tool, expected effect, options]. */
type Step = [string | null, string, 'allow' | 'deny', { approve?: boolean; context?: Record<string, unknown>; args?: Record<string, unknown> }?];

const P = 'read_customer';
const U = 'fetch_url';
const E = 'post_webhook';

const SEQUENCES: Array<[string, Step[]]> = [
  // attacks
  ['private, then untrusted, then egress', [['s', P, 'allow'], ['s', U, 'allow'], ['s', E, 'deny']]],
  ['untrusted, then private, then egress', [['s', U, 'allow'], ['s', P, 'allow'], ['s', E, 'deny']]],
  ['one tool bringing both (an email), then egress', [['s', 'read_email', 'allow'], ['s', E, 'deny']]],
  ['private, untrusted, then the other egress tool', [['s', 'query_db', 'allow'], ['s', U, 'allow'], ['s', 'send_email', 'deny']]],
  ['private and untrusted, then egress repeated', [['s', P, 'allow'], ['s', U, 'allow'], ['s', E, 'deny'], ['s', E, 'deny']]],
  ['taint, then a clean-looking session under other context keys (ignored)', [['s', P, 'allow'], ['s', U, 'allow'], ['s', E, 'deny', { context: { session_id: 'fresh', sessionId: 'fresh', Session: 'fresh' } }]]],
  ['taint, then labels claimed in the arguments (ignored)', [['s', P, 'allow'], ['s', U, 'allow'], ['s', E, 'deny', { args: { session: { labels: [] }, declassified: true, approved: true } }]]],
  ['declassification refused', [['s', P, 'allow'], ['s', U, 'allow'], ['s', 'declassify_session', 'deny', { approve: false }], ['s', E, 'deny']]],
  ['declassified, then untrusted again, then egress', [['s', P, 'allow'], ['s', U, 'allow'], ['s', 'declassify_session', 'allow', { approve: true }], ['s', U, 'allow'], ['s', E, 'deny']]],
  ['no session id: egress is refused (no state, no allow)', [[null, E, 'deny']]],
  ['unknown tool in a tainted session', [['s', P, 'allow'], ['s', U, 'allow'], ['s', 'exfil_tool', 'deny']]],
  // benign
  ['egress first, then private, then untrusted', [['s', E, 'allow'], ['s', P, 'allow'], ['s', U, 'allow']]],
  ['private, then egress', [['s', P, 'allow'], ['s', E, 'allow']]],
  ['untrusted, then egress', [['s', U, 'allow'], ['s', E, 'allow']]],
  ['across sessions: private in one, untrusted in another', [['a', P, 'allow'], ['b', U, 'allow'], ['a', E, 'allow'], ['b', E, 'allow']]],
  ['a tainted session does not taint another', [['a', P, 'allow'], ['a', U, 'allow'], ['b', E, 'allow'], ['a', E, 'deny']]],
  ['tainted, then a tool that sends nothing', [['s', P, 'allow'], ['s', U, 'allow'], ['s', 'search_docs', 'allow']]],
  ['declassified with an approval, then egress', [['s', P, 'allow'], ['s', U, 'allow'], ['s', 'declassify_session', 'allow', { approve: true }], ['s', E, 'allow']]],
  ['no session id: a tool that sends nothing', [[null, 'search_docs', 'allow']]],
];

describe('flow guards: call sequences and their decisions', () => {
  it.each(SEQUENCES)('%s', async (_, steps) => {
    const store = createMemoryStore();
    const pipeline = new Pipeline({ policy, sink: new MemorySink(), agent: { id: 'bot' }, state: { store } });
    const got: string[] = [];
    for (const [session, tool, , opts] of steps) {
      const context = { ...(opts?.context ?? {}), ...(session !== null ? { session } : {}) };
      const input = { request: { tool, args: opts?.args ?? {}, context }, approvalHandler: () => opts?.approve === true };
      const { verdict } = await pipeline.decide(input);
      got.push(`${tool}:${verdict.allowed ? 'allow' : 'deny'}`);
    }
    expect(got).toEqual(steps.map(([, tool, want]) => `${tool}:${want}`));
  });
});

it('a refusal names the rule and says how to declassify', async () => {
  const store = createMemoryStore();
  const pipeline = new Pipeline({ policy, state: { store } });
  await pipeline.decide({ request: { tool: P, args: {}, context: { session: 's' } } });
  await pipeline.decide({ request: { tool: U, args: {}, context: { session: 's' } } });
  const { verdict } = await pipeline.decide({ request: { tool: E, args: {}, context: { session: 's' } } });
  expect(verdict.rule).toBe('no-egress-after-private-and-untrusted');
  expect(verdict.reason).toContain('declassify_session');
});

it('composed with a permissive policy, an unknown tool in a tainted session is refused by the pack', async () => {
  const open = 'apiVersion: warden/v1\nkind: Policy\nname: open\ndefault: allow\n';
  const composed = compilePolicy([{ name: 'flow-guards.yaml', text: PACK.replace('default: deny', 'default: allow') }, { name: 'open.yaml', text: open }]);
  const pipeline = new Pipeline({ policy: composed, state: { store: createMemoryStore() } });
  expect((await pipeline.decide({ request: { tool: 'exfil_tool', args: {}, context: { session: 's' } } })).verdict.allowed).toBe(true);
  await pipeline.decide({ request: { tool: P, args: {}, context: { session: 's' } } });
  await pipeline.decide({ request: { tool: U, args: {}, context: { session: 's' } } });
  const { verdict } = await pipeline.decide({ request: { tool: 'exfil_tool', args: {}, context: { session: 's' } } });
  expect([verdict.allowed, verdict.rule]).toEqual([false, 'no-unknown-tools-once-tainted']);
});

it('concurrent calls of one session serialize: no egress is admitted after both labels in the committed order', async () => {
  for (let round = 0; round < 20; round++) {
    const store = createMemoryStore();
    const pipeline = new Pipeline({ policy, state: { store } });
    const order = [P, U, E, E, P, U, E].sort(() => (round % 2 === 0 ? 1 : -1) * (round % 3) - 0.5);
    const verdicts = await Promise.all(order.map((tool) => pipeline.decide({ request: { tool, args: {}, context: { session: 's' } } })));
    const { view } = await loadSession(store, 's');
    let tainted = { p: false, u: false };
    for (const h of view.history) {
      if (h.tool === E) expect(tainted.p && tainted.u).toBe(false);
      if (h.tool === P) tainted = { ...tainted, p: true };
      if (h.tool === U) tainted = { ...tainted, u: true };
    }
    // every allowed call is in the history, and only those
    expect(view.history.length).toBe(verdicts.filter((v) => v.verdict.allowed).length);
  }
});

it('a session store that fails denies the call, saying so', async () => {
  const store = createMemoryStore();
  await store.close();
  const pipeline = new Pipeline({ policy, state: { store } });
  const { verdict } = await pipeline.decide({ request: { tool: 'search_docs', args: {}, context: { session: 's' } } });
  expect(verdict.allowed).toBe(false);
  expect(verdict.errors.map((e) => e.code)).toContain('session_error');
});

it('without a state store, a session id gives no session: rules that read it deny, the rest decide as usual', async () => {
  const pipeline = new Pipeline({ policy });
  const egress = (await pipeline.decide({ request: { tool: E, args: {}, context: { session: 's' } } })).verdict;
  expect([egress.allowed, egress.rule]).toEqual([false, 'no-egress-after-private-and-untrusted']);
  expect((await pipeline.decide({ request: { tool: 'search_docs', args: {}, context: { session: 's' } } })).verdict.allowed).toBe(true);
});

it('a session id that is not usable is a denial (session_error)', async () => {
  const pipeline = new Pipeline({ policy, state: { store: createMemoryStore() } });
  for (const session of ['', 7, 'x'.repeat(300), 'a\u0000b']) {
    const { verdict } = await pipeline.decide({ request: { tool: 'search_docs', args: {}, context: { session } } });
    expect([verdict.allowed, verdict.errors.map((e) => e.code)]).toEqual([false, ['session_error']]);
  }
});
