import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { listAuditFiles } from '../../src/audit/files.js';
import { generateKeyPair } from '../../src/audit/keys.js';
import { queryAuditLog, tailAuditLog, type AuditQueryFilter, type MalformedLine } from '../../src/audit/query.js';
import type { AuditDecisionRecord, AuditRecord } from '../../src/audit/record.js';
import { decisionEvent, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
let file: string;
beforeEach(async () => {
  ({ dir, cleanup } = tempDir());
  file = join(dir, 'main.jsonl');
  // 12 decisions: agent-(i%3), tool read_file for even i, effect cycles allow/deny/require_approval/warn,
  // ts = 2025-01-01T00:00:00Z + i seconds; a checkpoint every 5 records and on close (15 lines).
  const sink = await openFileAuditSink({ path: file, signingKey: generateKeyPair().privateKey, checkpointEvery: 5 });
  for (let i = 0; i < 12; i++) await sink.write(decisionEvent(i));
  await sink.close();
});
afterEach(() => cleanup());

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const ns = (recs: AuditDecisionRecord[]): unknown[] => recs.map((r) => r.request.args.n);

describe('queryAuditLog', () => {
  it.each<[string, AuditQueryFilter, number[]]>([
    ['no filter (checkpoints skipped)', {}, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]],
    ['agent', { agent: 'agent-1' }, [1, 4, 7, 10]],
    ['tool', { tool: 'write_file' }, [1, 3, 5, 7, 9, 11]],
    ['effect', { effect: 'deny' }, [1, 5, 9]],
    ['since (inclusive)', { since: '2025-01-01T00:00:10Z' }, [10, 11]],
    ['until (exclusive)', { until: new Date('2025-01-01T00:00:02Z') }, [0, 1]],
    ['every filter at once', { agent: 'agent-2', tool: 'write_file', effect: 'deny', since: '2025-01-01T00:00:00Z' }, [5]],
    ['an agent that never acted', { agent: 'nobody' }, []],
  ])('filters by %s', async (_name, filter, expected) => {
    expect(ns(await collect(queryAuditLog([file], filter)))).toEqual(expected);
  });

  it('rejects an invalid date with ERR_AUDIT_OPTIONS', async () => {
    await expect(collect(queryAuditLog([file], { since: 'yesterday-ish' }))).rejects.toMatchObject({ code: 'ERR_AUDIT_OPTIONS' });
  });

  it('throws ERR_AUDIT_MALFORMED on a line that is not a record, or reports it to onMalformed and goes on', async () => {
    appendFileSync(file, 'not a record\n');
    await expect(collect(queryAuditLog([file]))).rejects.toMatchObject({ code: 'ERR_AUDIT_MALFORMED' });
    const problems: MalformedLine[] = [];
    const recs = await collect(queryAuditLog([file], {}, { onMalformed: (m) => problems.push(m) }));
    expect(recs).toHaveLength(12);
    expect(problems).toEqual([{ file, line: 16, message: 'line is not an audit record' }]);
  });

  it('skips a final line still being written', async () => {
    appendFileSync(file, '{"seq":16,"ty');
    expect(await collect(queryAuditLog([file]))).toHaveLength(12);
  });

  it('rejects a missing file with ERR_AUDIT_NOT_FOUND', async () => {
    await expect(collect(queryAuditLog([join(dir, 'nope.jsonl')]))).rejects.toMatchObject({ code: 'ERR_AUDIT_NOT_FOUND' });
  });
});

describe('tailAuditLog', () => {
  it('yields the last N records in order (checkpoints included) and stops without follow', async () => {
    const recs = await collect(tailAuditLog(file, { lines: 3 }));
    expect(recs.map((r) => r.seq)).toEqual([13, 14, 15]);
    expect(recs.map((r) => r.type)).toEqual(['decision', 'decision', 'checkpoint']);
  });

  it('follows appended records across a rotation until aborted', async () => {
    const sink = await openFileAuditSink({ path: join(dir, 'live.jsonl'), rotateBytes: 4096 });
    await sink.write(decisionEvent(0));
    const controller = new AbortController();
    const seen: AuditRecord[] = [];
    let following: () => void = () => undefined;
    const tailing = new Promise<void>((r) => (following = r));
    const done = (async () => {
      for await (const r of tailAuditLog(sink.path, { follow: true, lines: 10, signal: controller.signal, pollMs: 5 })) {
        seen.push(r);
        following();
        if (seen.length === 20) controller.abort();
      }
    })();
    // The tail has read what was there; everything from now on it must follow (across a rotation).
    await tailing;
    for (let i = 1; i < 20; i++) await sink.write(decisionEvent(i));
    await done;
    await sink.close();
    expect(seen.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('reads every file rotated while the reader was away, in order, before the new active file', async () => {
    const sink = await openFileAuditSink({ path: join(dir, 'burst.jsonl'), rotateBytes: 4096 });
    await sink.write(decisionEvent(0));
    const controller = new AbortController();
    const tail = tailAuditLog(sink.path, { follow: true, lines: 1, signal: controller.signal, pollMs: 5 });
    expect((await tail.next()).value?.seq).toBe(1);
    // The reader is suspended at its yield: the writer rotates several times before it looks again.
    for (let i = 1; i < 120; i++) await sink.write(decisionEvent(i));
    await sink.close();
    const rotations = (await listAuditFiles(sink.path)).length - 1;
    expect(rotations).toBeGreaterThan(2);
    const seen: number[] = [];
    for await (const r of tail) {
      seen.push(r.seq);
      if (seen.length === 119) controller.abort();
    }
    expect(seen).toEqual(Array.from({ length: 119 }, (_, i) => i + 2));
  });

  it('rejects a missing file with ERR_AUDIT_NOT_FOUND', async () => {
    await expect(collect(tailAuditLog(join(dir, 'nope.jsonl')))).rejects.toMatchObject({ code: 'ERR_AUDIT_NOT_FOUND' });
  });
});
