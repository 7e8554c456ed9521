import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCheckpoint } from '../../src/audit/checkpoint.js';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { listAuditFiles } from '../../src/audit/files.js';
import { generateKeyPair, type AuditKeyPair } from '../../src/audit/keys.js';
import { computeRecordHash, type AuditCheckpointRecord, type AuditDecisionRecord, type AuditRecord } from '../../src/audit/record.js';
import { verifyAuditLog, type VerifyReason } from '../../src/audit/verify.js';
import { canonicalJson } from '../../src/lib/canonical-json.js';
import { decisionEvent, linesOf, tempDir, writeLines } from './helpers.js';

let dir: string;
let cleanup: () => void;
let keys: AuditKeyPair;
let original: string[];
let otherStream: string[];
const logFile = (): string => join(dir, 'main.jsonl');

/** Re-serializes a record after `change`, with a freshly computed hash (what a careful forger does). */
function rehash(line: string, change: (r: AuditRecord) => void): string {
  const r = JSON.parse(line) as AuditRecord;
  change(r);
  r.hash = computeRecordHash(r);
  return canonicalJson(r);
}

function at(lines: string[], seq: number): string {
  return lines[seq - 1] as string;
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  keys = generateKeyPair();
  // seq: 1 2 3 [4 checkpoint] 5 6 7 [8 checkpoint] 9 10 [11 checkpoint on close]
  const sink = await openFileAuditSink({ path: logFile(), signingKey: keys.privateKey, checkpointEvery: 3 });
  for (let i = 1; i <= 8; i++) await sink.write(decisionEvent(i));
  await sink.close();
  original = linesOf(logFile());
  const other = await openFileAuditSink({ path: join(dir, 'other.jsonl') });
  for (let i = 1; i <= 8; i++) await other.write(decisionEvent(i + 100));
  await other.close();
  otherStream = linesOf(join(dir, 'other.jsonl'));
});
afterAll(() => cleanup());

describe('an intact log', () => {
  it('verifies with counts, head and signatures', async () => {
    expect(original.map((l) => (JSON.parse(l) as AuditRecord).type)).toEqual([
      'decision', 'decision', 'decision', 'checkpoint', 'decision', 'decision', 'decision', 'checkpoint', 'decision', 'decision', 'checkpoint',
    ]);
    const result = await verifyAuditLog([logFile()], { publicKey: keys.publicKey });
    expect(result).toMatchObject({ ok: true, records: 11, decisions: 8, checkpoints: 3, signaturesChecked: 3, signaturesUnchecked: 0, stream: 'main', files: 1 });
    expect(result.head).toEqual({ seq: 11, hash: (JSON.parse(at(original, 11)) as AuditRecord).hash });
    expect(result.firstBad).toBeUndefined();
  });

  it('reports signatures as unchecked without a public key', async () => {
    expect(await verifyAuditLog([logFile()])).toMatchObject({ ok: true, signaturesChecked: 0, signaturesUnchecked: 3 });
  });

  it('reaches an expected head', async () => {
    const cp = JSON.parse(at(original, 8)) as AuditCheckpointRecord;
    expect(await verifyAuditLog([logFile()], { expectCheckpoint: { seq: cp.checkpoint.seq, hash: cp.checkpoint.hash } })).toMatchObject({ ok: true });
  });

  it('verifies an empty log as intact with zero records', async () => {
    const file = join(dir, 'empty.jsonl');
    writeFileSync(file, '');
    expect(await verifyAuditLog([file])).toMatchObject({ ok: true, records: 0, stream: null, head: null });
  });
});

interface TamperCase {
  name: string;
  tamper: (lines: string[]) => string[];
  reason: VerifyReason;
  seq: number;
  line?: number;
  options?: () => Parameters<typeof verifyAuditLog>[1];
}

const tamperCases: TamperCase[] = [
  {
    name: 'a field edited in place',
    tamper: (l) => l.map((x, i) => (i === 4 ? x.replace('"n":4', '"n":40') : x)),
    reason: 'edited',
    seq: 5,
    line: 5,
  },
  {
    name: 'a field edited and the hash recomputed',
    tamper: (l) => l.map((x, i) => (i === 4 ? rehash(x, (r) => ((r as AuditDecisionRecord).request.tool = 'delete_everything')) : x)),
    reason: 'edited',
    seq: 5,
    line: 5,
  },
  {
    name: 'the decision effect flipped from deny to allow',
    tamper: (l) => l.map((x, i) => (i === 0 ? x.replace('"effect":"deny"', '"effect":"allow"') : x)),
    reason: 'edited',
    seq: 1,
  },
  { name: 'a line deleted', tamper: (l) => l.filter((_, i) => i !== 4), reason: 'deleted', seq: 5, line: 5 },
  { name: 'the first line deleted', tamper: (l) => l.slice(1), reason: 'deleted', seq: 1, line: 1 },
  { name: 'two lines deleted', tamper: (l) => l.filter((_, i) => i !== 4 && i !== 5), reason: 'deleted', seq: 5 },
  { name: 'a line duplicated', tamper: (l) => [...l.slice(0, 5), l[4] as string, ...l.slice(5)], reason: 'inserted', seq: 5, line: 6 },
  {
    name: 'a forged record inserted with a valid hash and link',
    tamper: (l) => {
      const prev = JSON.parse(l[4] as string) as AuditRecord;
      const forged = rehash(l[5] as string, (r) => {
        (r as AuditDecisionRecord).request.args = { path: '/etc/shadow' };
        r.prev = prev.hash;
      });
      return [...l.slice(0, 5), forged, ...l.slice(5)];
    },
    reason: 'inserted',
    seq: 6,
    line: 7,
  },
  {
    name: 'a record of another log inserted',
    tamper: (l) => [...l.slice(0, 5), rehash(otherStream[6] as string, (r) => (r.stream = 'main')), ...l.slice(5)],
    reason: 'inserted',
    seq: 7,
    line: 6,
  },
  { name: 'a record of another stream in place', tamper: (l) => [...l.slice(0, 4), otherStream[4] as string, ...l.slice(5)], reason: 'inserted', seq: 5 },
  { name: 'two adjacent lines swapped', tamper: (l) => [...l.slice(0, 4), l[5] as string, l[4] as string, ...l.slice(6)], reason: 'reordered', seq: 5, line: 5 },
  { name: 'two distant lines swapped', tamper: (l) => [...l.slice(0, 1), l[5] as string, ...l.slice(2, 5), l[1] as string, ...l.slice(6)], reason: 'reordered', seq: 2, line: 2 },
  {
    name: 'a checkpoint signature changed (hash recomputed)',
    tamper: (l) =>
      l.map((x, i) =>
        i === 10
          ? rehash(x, (r) => {
              const c = (r as AuditCheckpointRecord).checkpoint;
              c.signature = `${c.signature.startsWith('A') ? 'B' : 'A'}${c.signature.slice(1)}`;
            })
          : x,
      ),
    reason: 'bad_signature',
    seq: 11,
    options: () => ({ publicKey: keys.publicKey }),
  },
  {
    name: 'a checkpoint signature changed (hash left alone)',
    tamper: (l) => l.map((x, i) => (i === 10 ? x.replace(/"signature":"./, (m) => `${m.slice(0, -1)}${m.endsWith('A') ? 'B' : 'A'}`) : x)),
    reason: 'edited',
    seq: 11,
  },
  {
    name: 'a checkpoint re-signed by another key',
    tamper: (l) => {
      const other = generateKeyPair();
      return l.map((x, i) =>
        i === 10
          ? rehash(x, (r) => {
              const c = (r as AuditCheckpointRecord).checkpoint;
              (r as AuditCheckpointRecord).checkpoint = signCheckpoint({ stream: c.stream, seq: c.seq, hash: c.hash }, other.privateKey);
            })
          : x,
      );
    },
    reason: 'bad_signature',
    seq: 11,
    options: () => ({ publicKey: keys.publicKey }),
  },
  {
    name: 'a checkpoint that signs another head',
    tamper: (l) =>
      l.map((x, i) =>
        i === 10
          ? rehash(x, (r) => {
              const earlier = JSON.parse(l[2] as string) as AuditRecord;
              (r as AuditCheckpointRecord).checkpoint = signCheckpoint({ stream: 'main', seq: 3, hash: earlier.hash }, keys.privateKey);
            })
          : x,
      ),
    reason: 'bad_signature',
    seq: 11,
  },
  {
    name: 'records removed after an anchored checkpoint',
    tamper: (l) => l.slice(0, 5),
    reason: 'truncated',
    seq: 6,
    options: () => {
      const cp = JSON.parse(at(original, 8)) as AuditCheckpointRecord;
      return { expectCheckpoint: { seq: cp.checkpoint.seq, hash: cp.checkpoint.hash } };
    },
  },
  {
    name: 'the tail rewritten after an anchored head',
    tamper: (l) => l.map((x, i) => (i === 6 ? rehash(x, (r) => ((r as AuditDecisionRecord).request.tool = 'rm')) : x)).slice(0, 7),
    reason: 'edited',
    seq: 7,
    options: () => {
      const cp = JSON.parse(at(original, 8)) as AuditCheckpointRecord;
      return { expectCheckpoint: { seq: cp.checkpoint.seq, hash: cp.checkpoint.hash } };
    },
  },
  { name: 'an empty line', tamper: (l) => [...l.slice(0, 3), '', ...l.slice(3)], reason: 'malformed', seq: 4, line: 4 },
  { name: 'a line that is not JSON', tamper: (l) => [...l.slice(0, 3), 'hello', ...l.slice(3)], reason: 'malformed', seq: 4, line: 4 },
  { name: 'a line with a CR before the newline', tamper: (l) => l.map((x, i) => (i === 2 ? `${x}\r` : x)), reason: 'edited', seq: 3 },
];

describe('tampering is caught at the first bad seq with its reason', () => {
  it.each(tamperCases)('$name -> $reason at seq $seq', async ({ tamper, reason, seq, line, options }) => {
    const file = join(dir, 'tampered.jsonl');
    writeLines(file, tamper([...original]));
    const result = await verifyAuditLog([file], options?.());
    expect(result.ok).toBe(false);
    expect(result.firstBad).toMatchObject({ reason, seq, file });
    if (line !== undefined) expect(result.firstBad?.line).toBe(line);
    expect(result.firstBad?.message.length).toBeGreaterThan(10);
  });

  it('a final line without its newline is torn', async () => {
    const file = join(dir, 'torn.jsonl');
    writeFileSync(file, `${original.join('\n')}\n${(original[0] as string).slice(0, 40)}`);
    const result = await verifyAuditLog([file]);
    expect(result).toMatchObject({ ok: false, records: 11, firstBad: { reason: 'torn', seq: 12, line: 12 } });
  });

  it('records counted are those verified before the problem', async () => {
    const file = join(dir, 'tampered.jsonl');
    writeLines(file, original.filter((_, i) => i !== 4));
    expect(await verifyAuditLog([file])).toMatchObject({ records: 4, head: { seq: 4 } });
  });
});

describe('any single-byte change to any record makes verify fail (property)', () => {
  it('holds for every byte position and replacement', async () => {
    const bytes = readFileSync(logFile());
    const file = join(dir, 'mutated.jsonl');
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (pos, delta) => {
        const mutated = Buffer.from(bytes);
        mutated[pos] = ((bytes[pos] as number) + delta) % 256;
        writeFileSync(file, mutated);
        const result = await verifyAuditLog([file]);
        expect(result.ok).toBe(false);
      }),
      { numRuns: 400 },
    );
  });
});

describe('rotated logs', () => {
  it('verify as one chain in order, and report out-of-order files as reordered', async () => {
    const { dir: rdir, cleanup: rclean } = tempDir();
    try {
      const sink = await openFileAuditSink({ path: join(rdir, 'main.jsonl'), rotateBytes: 4096 });
      for (let i = 0; i < 30; i++) await sink.write(decisionEvent(i));
      await sink.close();
      const files = await listAuditFiles(rdir);
      expect(files.length).toBeGreaterThan(2);
      expect(await verifyAuditLog(files)).toMatchObject({ ok: true, records: 30 });
      const swapped = [files[1] as string, files[0] as string, ...files.slice(2)];
      expect((await verifyAuditLog(swapped)).firstBad).toMatchObject({ reason: 'reordered', seq: 1, file: files[1] });
      const missingFirst = files.slice(1);
      expect((await verifyAuditLog(missingFirst)).firstBad).toMatchObject({ reason: 'deleted', seq: 1 });
      const missingMiddle = [files[0] as string, ...files.slice(2)];
      expect((await verifyAuditLog(missingMiddle)).firstBad).toMatchObject({ reason: 'deleted', file: files[2] });
    } finally {
      rclean();
    }
  });
});

describe('usage errors', () => {
  it('rejects a missing file with ERR_AUDIT_NOT_FOUND', async () => {
    await expect(verifyAuditLog([join(dir, 'nope.jsonl')])).rejects.toMatchObject({ code: 'ERR_AUDIT_NOT_FOUND' });
    await expect(verifyAuditLog([])).rejects.toMatchObject({ code: 'ERR_AUDIT_NOT_FOUND' });
  });

  it('rejects a malformed expected head with ERR_AUDIT_OPTIONS', async () => {
    await expect(verifyAuditLog([logFile()], { expectCheckpoint: { seq: 0, hash: 'x' } })).rejects.toMatchObject({ code: 'ERR_AUDIT_OPTIONS' });
  });
});
