/**
 * Replay rebuilds sessions: a stream the real pipeline wrote under examples/policies/flow-guards.yaml
 * (with a state store, so flow rules saw each session's labels) replays under the same policy with
 * no change, because each call is decided with the session the calls before it built, including
 * the labels an outcome added. Decided alone (`sessions: false`), the same stream shows the flow
 * rule failing closed on egress production allowed. A candidate without the trifecta rule shows exactly the egress production
 * refused as deny->allow.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { Pipeline } from '../../src/enforce/pipeline.js';
import { compilePolicy } from '../../src/policy/compile.js';
import type { PolicySet } from '../../src/policy/policy-set.js';
import { readReplayRecords } from '../../src/replay/read-log.js';
import { MAX_REPLAY_SESSIONS, replay, type ReplayRecord } from '../../src/replay/replay.js';
import { createMemoryStore } from '../../src/store/memory.js';

const FLOW = readFileSync(join(import.meta.dirname, '../../examples/policies/flow-guards.yaml'), 'utf8');
const HMAC = Buffer.from('replay-sessions-secret-0123456789');

let dir = '';
let log = '';
let flow: PolicySet;
/** What production decided, per call in order: [session, tool, effect]. */
const produced: Array<[string, string, string]> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-replay-sessions-'));
  log = join(dir, 'audit.jsonl');
  flow = compilePolicy([{ name: 'flow-guards.yaml', text: FLOW }]);
  const sink = await openFileAuditSink({ path: log, fsync: 'never', hmacKey: HMAC });
  let t = Date.UTC(2026, 0, 5, 9);
  // A person approves every declassification (the exact boolean true, as approval requires).
  const pipeline = new Pipeline({ policy: flow, sink, state: { store: createMemoryStore() }, clock: () => new Date((t += 1000)), approvalHandler: () => true });
  const call = async (session: string, tool: string, outcomeLabels?: string[]): Promise<void> => {
    const { verdict } = await pipeline.decide({ request: { tool, args: {}, context: { session } } });
    produced.push([session, tool, verdict.effect]);
    if (verdict.allowed) await pipeline.observe({ call: verdict.call, tool }, { status: 'ok', ...(outcomeLabels ? { labels: outcomeLabels } : {}) });
  };
  // a: the trifecta across calls: egress refused after private + untrusted.
  await call('a', 'post_webhook');
  await call('a', 'read_customer');
  await call('a', 'post_webhook');
  await call('a', 'fetch_url');
  await call('a', 'post_webhook');
  await call('a', 'send_email');
  // b: untrusted content arrives through an outcome (an output scanner's label), not a tool label.
  await call('b', 'query_db');
  await call('b', 'search_docs', ['untrusted']);
  await call('b', 'send_email');
  // c: a tool outside the inventory: refused by default, and once tainted by no-unknown-tools-once-tainted too.
  await call('c', 'mystery_tool');
  await call('c', 'read_email');
  await call('c', 'mystery_tool');
  // d: tainted, then declassified with an approval (recorded as require_approval, executed): egress again.
  await call('d', 'read_customer');
  await call('d', 'fetch_url');
  await call('d', 'declassify_session');
  await call('d', 'post_webhook');
  await sink.close();
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('replay rebuilds each session from the stream', () => {
  it('the stream holds what the scenario needs: production denied egress after the trifecta, per session', () => {
    expect(produced.filter(([, , e]) => e === 'deny')).toEqual([
      ['a', 'post_webhook', 'deny'],
      ['a', 'send_email', 'deny'],
      ['b', 'send_email', 'deny'],
      // Outside the inventory: refused by default, and by no-unknown-tools-once-tainted once tainted.
      ['c', 'mystery_tool', 'deny'],
      ['c', 'mystery_tool', 'deny'],
    ]);
  });

  it('production let session d send again after an approved declassification', () => {
    // The verdicts: the declassification was approved (its record keeps the policy's require_approval, executed).
    expect(produced.filter(([s]) => s === 'd').map(([, , e]) => e)).toEqual(['allow', 'allow', 'allow', 'allow']);
  });

  it('replays the same policy with no change, four sessions rebuilt', async () => {
    const report = await replay(readReplayRecords([log]), flow);
    expect(report.decisions).toBe(produced.length);
    expect(report.changed).toBe(0);
    expect(report.unchanged).toBe(produced.length);
    expect(report.sessions).toEqual({ rebuilt: 4, dropped: 0 });
  });

  it('decided alone (sessions: false), the trifecta rule fails closed on the egress production allowed: allow->deny', async () => {
    const report = await replay(readReplayRecords([log]), flow, { sessions: false, examplesPerGroup: 10 });
    expect(report.sessions).toEqual({ rebuilt: 0, dropped: 0 });
    // The two posts of session a before it was tainted and d's post after its declassification; the rule reads session only for egress.
    expect(report.changes).toEqual({ 'allow->deny': 3 });
    expect(report.groups.flatMap((g) => g.examples.map((e) => e.tool))).toEqual(['post_webhook', 'post_webhook', 'post_webhook']);
  });

  it('a candidate without the trifecta rule allows exactly the three egress calls production refused for it', async () => {
    const loosened = compilePolicy([{ name: 'flow-guards.yaml', text: FLOW.replace(/ {2}- name: no-egress-after-private-and-untrusted[\s\S]*?\n\n/, '') }]);
    const report = await replay(readReplayRecords([log]), loosened, { examplesPerGroup: 10 });
    expect(report.changed).toBe(3);
    expect(report.changes).toEqual({ 'deny->allow': 3 });
    const examples = report.groups.flatMap((g) => g.examples.map((e) => e.tool));
    expect(examples.sort()).toEqual(['post_webhook', 'send_email', 'send_email']);
  });

  it('with a baseline, each policy builds its own session from its own flow labels', async () => {
    const relabelled = compilePolicy([{ name: 'flow-guards.yaml', text: FLOW.replace('  - name: fetch_url\n    labels: { ingests: [untrusted] }', '  - name: fetch_url') }]);
    const report = await replay(readReplayRecords([log]), relabelled, { baseline: flow, examplesPerGroup: 10 });
    // Under the candidate, fetch_url no longer taints session a: its two later egress calls are allowed; b and c are unchanged.
    expect(report.changes).toEqual({ 'deny->allow': 2 });
    expect(report.groups.flatMap((g) => g.examples.map((e) => e.tool)).sort()).toEqual(['post_webhook', 'send_email']);
  });

  it('a session idle for more than a day starts empty, as it expires in the store', async () => {
    const at = (h: number): string => new Date(Date.UTC(2026, 0, 5, h)).toISOString();
    const rec = (ts: string, tool: string, effect: 'allow' | 'deny', call: string): ReplayRecord => ({ type: 'decision', ts, call, agent: null, request: { tool, args: {}, context: { session: 's' } }, decision: { effect, rule: null, policy: null }, redactions: [] });
    const records: ReplayRecord[] = [rec(at(0), 'read_customer', 'allow', 'c1'), rec(at(1), 'fetch_url', 'allow', 'c2'), rec(at(1 + 25), 'post_webhook', 'allow', 'c3')];
    const report = await replay(records, flow);
    // Had the session lived on, the post would be denied (deny != recorded allow).
    expect(report.changed).toBe(0);
    const lived = await replay([records[0] as ReplayRecord, records[1] as ReplayRecord, rec(at(2), 'post_webhook', 'allow', 'c3')], flow);
    expect(lived.changes).toEqual({ 'allow->deny': 1 });
  });

  it('ignores outcome labels of a call it never saw allowed, and of a record without a call id', async () => {
    const ts = new Date(Date.UTC(2026, 0, 5)).toISOString();
    const records: ReplayRecord[] = [
      { type: 'decision', ts, call: 'x1', agent: null, request: { tool: 'read_customer', args: {}, context: { session: 's' } }, decision: { effect: 'allow', rule: null, policy: null }, redactions: [] },
      { type: 'outcome', call: 'unknown-call', outcome: { labels: ['untrusted'] } },
      { type: 'outcome', outcome: { labels: ['untrusted'] } },
      { type: 'decision', ts, call: 'x2', agent: null, request: { tool: 'send_email', args: {}, context: { session: 's' } }, decision: { effect: 'allow', rule: null, policy: null }, redactions: [] },
    ];
    const report = await replay(records, flow);
    expect(report.changed).toBe(0);
  });

  it('refuses a sessions option that is not a boolean', async () => {
    await expect(replay([], flow, { sessions: 'yes' as unknown as boolean })).rejects.toMatchObject({ code: 'ERR_REPLAY_OPTIONS' });
  });

  it('keeps at most MAX_REPLAY_SESSIONS sessions and counts the ones it dropped', async () => {
    const ts = new Date(Date.UTC(2026, 0, 5)).toISOString();
    function* records(): Generator<ReplayRecord> {
      for (let i = 0; i <= MAX_REPLAY_SESSIONS; i++) yield { type: 'decision', ts, agent: null, request: { tool: 'search_docs', args: {}, context: { session: `s${i}` } }, decision: { effect: 'allow', rule: 'known-tools', policy: 'flow-guards' }, redactions: [] };
    }
    const report = await replay(records(), flow);
    expect(report.sessions).toEqual({ rebuilt: MAX_REPLAY_SESSIONS + 1, dropped: 1 });
  });
});
