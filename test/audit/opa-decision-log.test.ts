/**
 * Warden records exported as OPA decision-log events: real records (written by the file sink,
 * redacted as it redacts) mapped onto the fields OPA documents for a decision-log event.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { generateKeyPair } from '../../src/audit/keys.js';
import { OPA_DECISION_PATH, opaDecisionLogEvents, toOpaDecisionLogEvent, type OpaDecisionLogEvent } from '../../src/audit/opa-decision-log.js';
import { queryAuditLog } from '../../src/audit/query.js';
import type { AuditRecord } from '../../src/audit/record.js';
import { decisionEvent, tempDir } from './helpers.js';

/**
 * The top-level fields of an OPA decision-log event, as OPA's decision-log documentation lists
 * them (labels, decision_id, trace_id, span_id, bundles, path, query, input, result, mapped_result,
 * nd_builtin_cache, erased, masked, error, requested_by, timestamp, metrics, req_id,
 * request_context, intermediate_results, custom).
 */
const OPA_FIELDS = new Set([
  'labels',
  'decision_id',
  'trace_id',
  'span_id',
  'bundles',
  'path',
  'query',
  'input',
  'result',
  'mapped_result',
  'nd_builtin_cache',
  'erased',
  'masked',
  'error',
  'requested_by',
  'timestamp',
  'metrics',
  'req_id',
  'request_context',
  'intermediate_results',
  'custom',
]);

let tmp: { dir: string; cleanup: () => void };
let records: AuditRecord[];

beforeAll(async () => {
  tmp = tempDir('warden-opa-export-');
  const keys = generateKeyPair();
  const sink = await openFileAuditSink({ path: join(tmp.dir, 'main.jsonl'), fsync: 'never', hmacKey: 'opa-export-hmac-key-0123', signingKey: keys.privateKey, checkpointEvery: 3 });
  await sink.write(decisionEvent(0, { call: 'toolu_01ABC' }));
  await sink.write(decisionEvent(1));
  await sink.write(
    decisionEvent(2, {
      request: { tool: 'http_post', args: { url: 'https://api.example.com', headers: { Authorization: 'Bearer sk-live-abcdefghijklmnopqrstuvwx' }, 'x-api-key': 'AKIAIOSFODNN7EXAMPLE', items: ['ok', 'password=hunter2hunter2'] } },
    }),
  );
  await sink.write(decisionEvent(3, { request: { tool: 'upload', args: { blob: 'x'.repeat(2_000_000) } } }));
  await sink.writeOutcome({ ts: new Date(Date.UTC(2025, 0, 2)).toISOString(), call: 'toolu_01ABC', tool: 'read_file', agent: null, outcome: { status: 'ok', durationMs: 4 } });
  await sink.close();
  records = readFileSync(join(tmp.dir, 'main.jsonl'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditRecord);
});
afterAll(() => tmp.cleanup());

/** The value a JSON pointer names in `doc`, or undefined when it names nothing. */
function resolvePointer(doc: unknown, pointer: string): unknown {
  if (!pointer.startsWith('/')) return undefined;
  let at: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

async function eventsOf(): Promise<OpaDecisionLogEvent[]> {
  const out: OpaDecisionLogEvent[] = [];
  for await (const e of opaDecisionLogEvents(records, { labels: { id: 'warden-0' } })) out.push(e);
  return out;
}

describe('OPA decision-log export', () => {
  it('makes one event per decision record and none for checkpoints or outcomes', async () => {
    expect(records.map((r) => r.type)).toEqual(['decision', 'decision', 'decision', 'checkpoint', 'decision', 'outcome', 'checkpoint']);
    const events = await eventsOf();
    expect(events.map((e) => e.req_id)).toEqual([1, 2, 3, 5]);
  });

  it('uses only fields OPA documents for a decision-log event, with their types', async () => {
    for (const e of await eventsOf()) {
      for (const key of Object.keys(e)) expect(OPA_FIELDS.has(key)).toBe(true);
      expect(typeof e.decision_id).toBe('string');
      expect(Object.values(e.labels).every((v) => typeof v === 'string')).toBe(true);
      expect(typeof e.path).toBe('string');
      expect(Number.isNaN(Date.parse(e.timestamp))).toBe(false);
      expect(e.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      expect(Number.isSafeInteger(e.req_id)).toBe(true);
      for (const b of Object.values(e.bundles)) expect(typeof b.revision).toBe('string');
    }
  });

  it('maps a decision record: id, path, input, result, labels, bundle revision, chain position', async () => {
    const [first, second] = await eventsOf();
    const r = records[0] as Extract<AuditRecord, { type: 'decision' }>;
    expect(first).toMatchObject({
      decision_id: 'toolu_01ABC',
      path: OPA_DECISION_PATH,
      input: { agent: { id: 'agent-0', roles: ['coder'] }, tool: 'read_file', args: { path: '/workspace/file-0.txt', n: 0 }, context: { environment: 'test' } },
      result: { allowed: true, effect: 'allow', rule: 'rule-0', policy: 'test-policy', reason: 'decided allow for call 0', approvers: [], errors: [] },
      labels: { app: 'agent-warden', stream: 'main', id: 'warden-0' },
      bundles: { warden: { revision: r.policyDigest } },
      requested_by: 'agent-0',
      timestamp: r.ts,
      req_id: 1,
      custom: { warden: { stream: 'main', seq: 1, prev: r.prev, hash: r.hash, argsDigest: r.argsDigest, call: 'toolu_01ABC' } },
    });
    expect(first?.masked).toBeUndefined();
    expect(first?.erased).toBeUndefined();
    // Without a call id, a UUID derived from the record's hash: stable, and distinct per record.
    expect(second?.decision_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((await eventsOf())[1]?.decision_id).toBe(second?.decision_id);
    expect(second?.result).toMatchObject({ allowed: false, effect: 'deny' });
  });

  it('lists every redacted value as a masked JSON pointer that resolves to the masked value in the event', async () => {
    const events = await eventsOf();
    const e = events[2] as OpaDecisionLogEvent;
    expect(e.masked).toEqual(['/input/args/headers/Authorization', '/input/args/items/1', '/input/args/x-api-key']);
    for (const pointer of e.masked ?? []) {
      const value = resolvePointer(e, pointer);
      expect(typeof value).toBe('string');
      expect(String(value)).not.toMatch(/hunter2|AKIAIOSFODNN7EXAMPLE|sk-live/);
    }
    expect(JSON.stringify(e)).not.toMatch(/hunter2|AKIAIOSFODNN7EXAMPLE|sk-live/);
  });

  it('lists the arguments of an oversize record as erased', async () => {
    const e = (await eventsOf())[3] as OpaDecisionLogEvent;
    expect(e.erased).toEqual(['/input/args', '/input/context']);
    expect(e.input.args).toEqual({ $omitted: { bytes: expect.any(Number) as number } });
  });

  it('masks all of /input when a redaction path cannot be translated (never nothing)', () => {
    const r = { ...(records[0] as Extract<AuditRecord, { type: 'decision' }>), redactions: [{ path: 'weird path', kind: 'password' }] };
    expect(toOpaDecisionLogEvent(r)?.masked).toEqual(['/input']);
  });

  it('escapes ~ and / in pointer segments', () => {
    const r = { ...(records[0] as Extract<AuditRecord, { type: 'decision' }>), redactions: [{ path: '$.request.args["a/b~c"]', kind: 'password' }] };
    expect(toOpaDecisionLogEvent(r)?.masked).toEqual(['/input/args/a~1b~0c']);
  });

  const badOptions: Array<[string, unknown]> = [
    ['a label that is not a string', { labels: { n: 1 } }],
    ['an unknown option', { label: { a: 'b' } }],
    ['an empty bundle name', { bundleName: '' }],
  ];
  it.each(badOptions)('refuses %s (ERR_AUDIT_OPTIONS)', (_n, options) => {
    expect(() => toOpaDecisionLogEvent(records[0] as AuditRecord, options as never)).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_OPTIONS' }));
  });

  it('exports what queryAuditLog reads from a log file', async () => {
    const events: OpaDecisionLogEvent[] = [];
    for await (const e of opaDecisionLogEvents(queryAuditLog([join(tmp.dir, 'main.jsonl')]))) events.push(e);
    expect(events.map((e) => e.req_id)).toEqual([1, 2, 3, 5]);
  });
});
