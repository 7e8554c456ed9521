import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDecisionBody, buildDecisionBodyEncoded, chainLine, chainRecord, encodeMembers, GENESIS_HASH, type AuditDecisionRecord } from '../../src/audit/record.js';
import type { DecisionEvent } from '../../src/decision.js';
import { compilePolicy } from '../../src/policy/compile.js';
import type { PolicySet } from '../../src/policy/policy-set.js';
import type { AgentIdentity, Effect } from '../../src/decision.js';
import { readReplayRecords } from '../../src/replay/read-log.js';
import { replay, type ChangeKind, type ReplayProgress, type ReplayRecord, type ReplayReport } from '../../src/replay/replay.js';

const HMAC = Buffer.from('replay-test-secret-0123456789abcdef');

const CURRENT = `
apiVersion: warden/v1
kind: Policy
name: current
rules:
  - name: reads
    tools: [read_file]
    effect: allow
  - name: writes
    tools: [write_file]
    when: "args.path.startsWith('/workspace/')"
    effect: allow
  - name: mail
    tools: [send_email]
    effect: allow
  - name: fetch
    tools: [http_get]
    effect: allow
  - name: shell-approval
    tools: [bash]
    effect: require_approval
    approvers: [ops]
`;

/** A new deny (read_file under /etc), an allow removed (send_email), a new warn, a loosened approval, a new allow. */
const CANDIDATE = `
apiVersion: warden/v1
kind: Policy
name: candidate
rules:
  - name: reads
    tools: [read_file]
    effect: allow
  - name: no-etc-reads
    tools: [read_file]
    when: "args.path.startsWith('/etc/')"
    effect: deny
    reason: No reads under /etc
  - name: writes
    tools: [write_file]
    when: "args.path.startsWith('/workspace/')"
    effect: allow
  - name: fetch
    tools: [http_get]
    effect: allow
  - name: insecure-fetch
    tools: [http_get]
    when: "args.url.startsWith('http://')"
    effect: warn
  - name: shell-approval
    tools: [bash]
    unless: "'admin' in agent.roles"
    effect: require_approval
    approvers: [ops]
  - name: shell-admin
    tools: [bash]
    when: "'admin' in agent.roles"
    effect: allow
  - name: tmp-deletes
    tools: [delete_file]
    when: "args.path.startsWith('/tmp/')"
    effect: allow
`;

const TOOLS = ['read_file', 'write_file', 'send_email', 'http_get', 'bash', 'delete_file'] as const;
const N = 100_000;
const CHECKPOINT_EVERY = 10_000;
const T0 = Date.UTC(2025, 5, 1);

function compile(name: string, text: string): PolicySet {
  return compilePolicy([{ name: `${name}.yaml`, text }]);
}

/** Request number `i` of the generated log; the oracle below derives every expectation from `i` alone. */
function requestOf(i: number): { tool: string; args: Record<string, unknown>; agent: AgentIdentity; context: Record<string, unknown> } {
  const tool = TOOLS[i % 6] as string;
  let args: Record<string, unknown>;
  switch (tool) {
    case 'read_file':
      args = { path: i % 1200 === 0 ? '/etc/keys/AKIAIOSFODNN7EXAMPLE' : i % 12 === 0 ? `/etc/conf-${i}` : `/workspace/r-${i}` };
      if (i % 1200 === 600) args.token = `tok-${i}`;
      break;
    case 'write_file':
      args = { path: i % 4 === 1 ? `/workspace/w-${i}` : `/other/w-${i}`, content: `line ${i}` };
      if (i % 30 === 1) args.api_key = `key-${i}`;
      break;
    case 'send_email':
      args = { to: `dev-${i}@example.com`, subject: `report ${i}` };
      break;
    case 'http_get':
      args = { url: i % 5 === 0 ? `http://example.com/${i}` : `https://example.com/${i}` };
      break;
    case 'bash':
      args = { command: `ls /workspace/${i}` };
      break;
    default:
      args = { path: i % 5 === 0 ? `/tmp/d-${i}` : `/workspace/d-${i}` };
  }
  return { tool, args, agent: { id: `agent-${i % 7}`, roles: i % 7 === 0 ? ['admin'] : ['dev'] }, context: { environment: 'prod' } };
}

type Outcome = { status: 'unchanged' | 'indeterminate' } | { status: 'changed'; kind: ChangeKind; rule: string | null; effect: Effect };

/** The expected outcome of request `i`, written out by hand from the two policies. */
function oracle(i: number): Outcome {
  switch (i % 6) {
    case 0:
      if (i % 1200 === 0) return { status: 'indeterminate' };
      return i % 12 === 0 ? { status: 'changed', kind: 'allow->deny', rule: 'no-etc-reads', effect: 'deny' } : { status: 'unchanged' };
    case 1:
      return { status: 'unchanged' };
    case 2:
      return { status: 'changed', kind: 'allow->deny', rule: null, effect: 'deny' };
    case 3:
      return i % 5 === 0 ? { status: 'changed', kind: 'allow->warn', rule: 'insecure-fetch', effect: 'warn' } : { status: 'unchanged' };
    case 4:
      return i % 7 === 0 ? { status: 'changed', kind: 'require_approval->allow', rule: 'shell-admin', effect: 'allow' } : { status: 'unchanged' };
    default:
      return i % 5 === 0 ? { status: 'changed', kind: 'deny->allow', rule: 'tmp-deletes', effect: 'allow' } : { status: 'unchanged' };
  }
}

const MALFORMED_LINES = ['this is not json', '{"type":"decision","seq":5}', '', '[1,2]'];
const TORN_TAIL = '{"seq":100011,"ty';

interface GeneratedLog {
  file: string;
  /** seq of decision record i. */
  seqOf: number[];
}

function writeLog(dir: string, current: PolicySet): GeneratedLog {
  const file = join(dir, 'big.jsonl');
  const fd = openSync(file, 'w');
  let prev = GENESIS_HASH;
  let seq = 0;
  let buffer = '';
  const seqOf: number[] = [];
  const push = (line: string): void => {
    buffer += `${line}\n`;
    if (buffer.length > 1 << 20) {
      writeSync(fd, buffer);
      buffer = '';
    }
  };
  for (let i = 0; i < N; i++) {
    const request = requestOf(i);
    const ts = new Date(T0 + i * 1000);
    const event: DecisionEvent = { ts: ts.toISOString(), agent: request.agent, request, decision: current.decide(request, { now: ts }) };
    const { members } = buildDecisionBodyEncoded(event, { hmacKey: HMAC });
    seq += 1;
    seqOf.push(seq);
    const chained = chainLine(members, { seq, stream: 'big', prev });
    prev = chained.hash;
    push(chained.line);
    if ((i + 1) % CHECKPOINT_EVERY === 0) {
      // Replay skips checkpoints without checking them; a placeholder signature is enough here.
      const body = { type: 'checkpoint' as const, ts: ts.toISOString(), checkpoint: { stream: 'big', seq, hash: prev, keyId: `sha256:${'0'.repeat(64)}`, signature: 'AA==' } };
      seq += 1;
      const cp = chainLine(encodeMembers(body), { seq, stream: 'big', prev });
      prev = cp.hash;
      push(cp.line);
    }
    if (i === N / 2) for (const bad of MALFORMED_LINES) push(bad);
  }
  buffer += TORN_TAIL;
  writeSync(fd, buffer);
  closeSync(fd);
  return { file, seqOf };
}

describe('replay over a generated log of 100,000 records', () => {
  let dir = '';
  let log: GeneratedLog;
  let current: PolicySet;
  let candidate: PolicySet;
  let report: ReplayReport;
  let progress: ReplayProgress[] = [];
  let onChangeCalls = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-replay-'));
    current = compile('current', CURRENT);
    candidate = compile('candidate', CANDIDATE);
    log = writeLog(dir, current);
    report = await replay(readReplayRecords([log.file]), candidate, {
      examplesPerGroup: 3,
      progressEvery: 25_000,
      onProgress: (p) => progress.push(p),
      onChange: () => void (onChangeCalls += 1),
    });
  }, 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    progress = [];
  });

  /** Counts derived from the oracle alone. */
  function expected(): { unchanged: number; changed: number; indeterminate: number; changes: Record<string, number>; groups: Map<string, { count: number; effect: Effect; first: number[] }> } {
    let unchanged = 0;
    let changed = 0;
    let indeterminate = 0;
    const changes: Record<string, number> = {};
    const groups = new Map<string, { count: number; effect: Effect; first: number[] }>();
    for (let i = 0; i < N; i++) {
      const o = oracle(i);
      if (o.status === 'unchanged') unchanged++;
      else if (o.status === 'indeterminate') indeterminate++;
      else if (o.status === 'changed') {
        changed++;
        changes[o.kind] = (changes[o.kind] ?? 0) + 1;
        const key = o.rule ?? '(default)';
        const g = groups.get(key) ?? { count: 0, effect: o.effect, first: [] };
        g.count++;
        if (g.first.length < 3) g.first.push(i);
        groups.set(key, g);
      }
    }
    return { unchanged, changed, indeterminate, changes, groups };
  }

  it('counts every line read: decisions, checkpoints and malformed lines', () => {
    expect(report.read).toBe(N + N / CHECKPOINT_EVERY + MALFORMED_LINES.length + 1);
    expect(report.decisions).toBe(N);
    expect(report.checkpoints).toBe(N / CHECKPOINT_EVERY);
    expect(report.malformed).toBe(MALFORMED_LINES.length + 1);
  });

  it('counts unchanged, changed and indeterminate decisions exactly as the oracle says', () => {
    const e = expected();
    expect(report.mode).toBe('recorded');
    expect(report.unchanged).toBe(e.unchanged);
    expect(report.changed).toBe(e.changed);
    expect(report.indeterminate).toBe(e.indeterminate);
    expect(report.unchanged + report.changed + report.indeterminate).toBe(report.decisions);
    expect(e.indeterminate).toBe(Math.ceil(N / 1200));
  });

  it('counts every change kind exactly, in report order', () => {
    const e = expected();
    expect(report.changes).toEqual(e.changes);
    expect(Object.keys(report.changes)).toEqual(['deny->allow', 'require_approval->allow', 'allow->deny', 'allow->warn']);
  });

  it('groups changed decisions by the rule that now decides them, largest first, with exact counts', () => {
    const e = expected();
    const got = report.groups.map((g) => ({ rule: g.rule, policy: g.policy, effect: g.effect, count: g.count }));
    const want = [...e.groups.entries()]
      .map(([rule, g]) => ({ rule: rule === '(default)' ? null : rule, policy: 'candidate', effect: g.effect, count: g.count }))
      .sort((a, b) => b.count - a.count);
    expect(got).toEqual(want);
    for (const g of report.groups) expect(Object.values(g.changes).reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(g.count);
  });

  it('keeps the first three examples of each group, in log order, with the old and new decision', () => {
    const e = expected();
    for (const g of report.groups) {
      const want = e.groups.get(g.rule ?? '(default)')?.first ?? [];
      expect(g.examples.map((x) => x.seq)).toEqual(want.map((i) => log.seqOf[i]));
    }
    const tmp = report.groups.find((g) => g.rule === 'tmp-deletes');
    expect(tmp?.examples[0]).toEqual({
      seq: log.seqOf[5],
      ts: new Date(T0 + 5 * 1000).toISOString(),
      tool: 'delete_file',
      agent: 'agent-5',
      args: '{"path":"/tmp/d-5"}',
      before: { effect: 'deny', rule: null, policy: 'current' },
      after: { effect: 'allow', rule: 'tmp-deletes', policy: 'candidate', reason: 'Rule "tmp-deletes" of policy "candidate" allows this call.' },
      kind: 'deny->allow',
    });
  });

  it('reports the redacted /etc reads as indeterminate, naming the rule and the hidden field', () => {
    expect(report.indeterminateExamples.map((x) => x.seq)).toEqual([0, 1200, 2400].map((i) => log.seqOf[i]));
    expect(report.indeterminateExamples[0]?.indeterminate).toEqual({
      hidden: ['args.path'],
      reason: 'candidate rule "no-etc-reads" of policy "candidate" reads args.path, which was redacted',
    });
  });

  it('lists the malformed lines with file and line number', () => {
    const firstBad = N / 2 + 1 + Math.floor((N / 2 + 1) / CHECKPOINT_EVERY) + 1;
    expect(report.malformedExamples.map((m) => [m.line, m.message.slice(0, 24)])).toEqual([
      [firstBad, 'the line is not JSON (Un'],
      [firstBad + 1, '`ts` is not a string'],
      [firstBad + 2, 'the line is empty'],
      [firstBad + 3, 'not a JSON object'],
      [N + N / CHECKPOINT_EVERY + MALFORMED_LINES.length + 1, 'the file ends mid-line ('],
    ]);
    expect(report.malformedExamples.every((m) => m.file === log.file)).toBe(true);
  });

  it('reports progress every 25,000 items and once at the end, and every change to onChange', () => {
    expect(progress.map((p) => p.read)).toEqual([25_000, 50_000, 75_000, 100_000, report.read]);
    expect(progress.at(-1)).toEqual({ read: report.read, decisions: N, changed: report.changed, indeterminate: report.indeterminate, malformed: report.malformed });
    expect(onChangeCalls).toBe(report.changed + report.indeterminate);
  });

  it('records the time span and both policies', () => {
    expect(report.firstTs).toBe(new Date(T0).toISOString());
    expect(report.lastTs).toBe(new Date(T0 + (N - 1) * 1000).toISOString());
    expect(report.candidate).toEqual({ digest: candidate.digest, policies: ['candidate'] });
    expect(report.baseline).toBeNull();
  });

  it('in baseline mode compares two policies on the same requests: the reverse comparison reverses every kind', async () => {
    const reversed = await replay(readReplayRecords([log.file]), current, { baseline: candidate });
    const e = expected();
    const reverse = (k: string): string => k.split('->').reverse().join('->');
    expect(reversed.mode).toBe('baseline');
    expect(reversed.baseline).toEqual({ digest: candidate.digest, policies: ['candidate'] });
    expect(reversed.changes).toEqual(Object.fromEntries(Object.entries(e.changes).map(([k, n]) => [reverse(k), n])));
    expect(reversed.indeterminate).toBe(e.indeterminate);
    expect(reversed.unchanged).toBe(e.unchanged);
  }, 60_000);

  it('in baseline mode with the candidate as its own baseline, nothing changes', async () => {
    const same = await replay(readReplayRecords([log.file]), candidate, { baseline: candidate });
    expect(same.changed).toBe(0);
    expect(same.changes).toEqual({});
    expect(same.unchanged + same.indeterminate).toBe(N);
  }, 60_000);
});

/** A chained, redacted record built with the real record builder. */
function record(seq: number, event: Partial<DecisionEvent> & { request: DecisionEvent['request'] }, options: { maxRecordBytes?: number } = {}): AuditDecisionRecord {
  const full: DecisionEvent = {
    ts: event.ts ?? new Date(T0 + seq * 1000).toISOString(),
    agent: event.agent ?? { id: 'agent-1', roles: ['dev'] },
    request: event.request,
    decision: event.decision ?? { effect: 'allow', allowed: true, rule: 'old', policy: 'old', reason: 'old', approvers: [], errors: [], policyDigest: `sha256:${'1'.repeat(64)}` },
  };
  return chainRecord(buildDecisionBody(full, { hmacKey: HMAC, ...options }), { seq, stream: 's', prev: GENESIS_HASH }).record as AuditDecisionRecord;
}

describe('replay() as a library', () => {
  const candidate = compile('candidate', CANDIDATE);

  it('accepts a plain array (a sync iterable) as well as an async one', async () => {
    const records = [record(1, { request: { tool: 'send_email', args: { to: 'a@example.com' } } })];
    async function* gen(): AsyncGenerator<ReplayRecord> {
      yield* records;
    }
    const a = await replay(records, candidate);
    const b = await replay(gen(), candidate);
    expect(a).toEqual(b);
    expect(a.changes).toEqual({ 'allow->deny': 1 });
  });

  it('re-decides with now = the record time', async () => {
    const timed = compile(
      'timed',
      `
apiVersion: warden/v1
kind: Policy
name: timed
rules:
  - name: after-cutoff
    tools: [t]
    when: "now >= timestamp('2025-06-01T00:00:10Z')"
    effect: deny
  - name: t
    tools: [t]
    effect: allow
`,
    );
    const records = [5, 10, 15].map((s) => record(s, { ts: new Date(T0 + s * 1000).toISOString(), request: { tool: 't', args: {} } }));
    const r = await replay(records, timed);
    expect(r.unchanged).toBe(1);
    expect(r.changes).toEqual({ 'allow->deny': 2 });
    expect(r.groups[0]?.examples.map((e) => e.seq)).toEqual([10, 15]);
  });

  it('counts a same-effect decision by another rule as unchanged, and says so', async () => {
    const r = await replay([record(1, { request: { tool: 'read_file', args: { path: '/x' } } })], candidate);
    expect(r.unchanged).toBe(1);
    expect(r.unchangedOtherRule).toBe(1);
  });

  it('skips checkpoints and counts items that are not records, never silently', async () => {
    const items = [
      { type: 'checkpoint' },
      { type: 'malformed', file: 'a.jsonl', line: 3, message: 'the line is not JSON' },
      { type: 'decision', seq: 9, ts: 'x', request: { tool: 't' } },
      null,
      record(2, { request: { tool: 'read_file', args: { path: '/x' } } }),
    ] as unknown as ReplayRecord[];
    const r = await replay(items, candidate);
    expect([r.read, r.checkpoints, r.malformed, r.decisions, r.unchanged]).toEqual([5, 1, 3, 1, 1]);
    expect(r.malformedExamples).toEqual([
      { file: 'a.jsonl', line: 3, seq: null, message: 'the line is not JSON' },
      { file: null, line: null, seq: 9, message: '`request.args` is not an object' },
      { file: null, line: null, seq: null, message: 'not a JSON object' },
    ]);
  });

  const shapes: Array<[string, Record<string, unknown>, string]> = [
    ['an unknown effect', { decision: { effect: 'allowed', rule: null, policy: null } }, '`decision.effect` is not allow, deny, require_approval or warn'],
    ['no redactions list', { redactions: undefined }, '`redactions` is not a list (replay cannot tell redacted values from real ones)'],
    ['a tool that is not a string', { request: { tool: 1, args: {} } }, '`request.tool` is not a string'],
    ['a context that is a list', { request: { tool: 't', args: {}, context: [] } }, '`request.context` is not an object'],
    ['an agent that is a string', { agent: 'coder' }, '`agent` is neither an object nor null'],
    ['an unknown type', { type: 'note' }, '`type` is not "decision", "checkpoint" or "outcome"'],
  ];
  it.each(shapes)('counts a record with %s as malformed', async (_name, patch, message) => {
    const bad = { ...record(1, { request: { tool: 't', args: {} } }), ...patch };
    const r = await replay([bad as unknown as ReplayRecord], candidate);
    expect(r.malformed).toBe(1);
    expect(r.decisions).toBe(0);
    expect(r.malformedExamples[0]?.message).toBe(message);
  });

  it('keeps at most examplesPerGroup examples and at most 20 malformed examples', async () => {
    const records: ReplayRecord[] = Array.from({ length: 30 }, (_, i) => record(i + 1, { request: { tool: 'send_email', args: { n: i } } }));
    for (let i = 0; i < 30; i++) records.push({ type: 'malformed', file: 'f', line: i + 1, message: 'bad' });
    const r = await replay(records, candidate, { examplesPerGroup: 0 });
    expect(r.groups[0]?.count).toBe(30);
    expect(r.groups[0]?.examples).toEqual([]);
    expect(r.malformed).toBe(30);
    expect(r.malformedExamples).toHaveLength(20);
  });

  it.each([-1, 1.5, 1001, Number.NaN])('refuses examplesPerGroup %s', async (n) => {
    await expect(replay([], candidate, { examplesPerGroup: n })).rejects.toMatchObject({ code: 'ERR_REPLAY_OPTIONS' });
  });

  it('cuts long arguments in examples to 200 characters', async () => {
    const r = await replay([record(1, { request: { tool: 'send_email', args: { body: 'x'.repeat(5000) } } })], candidate);
    const args = r.groups[0]?.examples[0]?.args ?? '';
    expect(args).toHaveLength(200);
    expect(args.endsWith('…')).toBe(true);
  });

  it('in baseline mode ignores the recorded effect', async () => {
    const recordedDeny = { effect: 'deny' as const, allowed: false, rule: 'x', policy: 'x', reason: 'x', approvers: [], errors: [], policyDigest: `sha256:${'1'.repeat(64)}` };
    const records = [record(1, { request: { tool: 'read_file', args: { path: '/w' } }, decision: recordedDeny })];
    expect((await replay(records, candidate)).changes).toEqual({ 'deny->allow': 1 });
    expect((await replay(records, candidate, { baseline: candidate })).changes).toEqual({});
  });
});
