import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openFileAuditSink, type AuditWarning } from '../../src/audit/file-sink.js';
import { listAuditFiles } from '../../src/audit/files.js';
import { GENESIS_HASH, type AuditDecisionRecord, type AuditRecord } from '../../src/audit/record.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { decisionEvent, linesOf, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

function records(file: string): AuditRecord[] {
  return linesOf(file).map((l) => JSON.parse(l) as AuditRecord);
}

function expectChain(recs: readonly AuditRecord[], firstSeq = 1, firstPrev = GENESIS_HASH): void {
  let prev = firstPrev;
  recs.forEach((r, i) => {
    expect(r.seq).toBe(firstSeq + i);
    expect(r.prev).toBe(prev);
    prev = r.hash;
  });
}

describe('appending', () => {
  it('writes one canonical line per decision, seq from 1, each prev the hash before it', async () => {
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file });
    for (let i = 0; i < 3; i++) await sink.write(decisionEvent(i));
    await sink.close();
    const recs = records(file);
    expect(recs).toHaveLength(3);
    expectChain(recs);
    expect(recs.map((r) => r.stream)).toEqual(['main', 'main', 'main']);
    expect((recs[1] as AuditDecisionRecord).request.args).toEqual({ path: '/workspace/file-1.txt', n: 1 });
    expect(sink.head).toEqual({ seq: 3, hash: recs[2]?.hash });
  });

  it('turns 500 parallel writes into a gapless chain 1..500 that verifies', async () => {
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file });
    await Promise.all(Array.from({ length: 500 }, (_, i) => sink.write(decisionEvent(i))));
    await sink.close();
    const recs = records(file);
    expectChain(recs);
    expect(recs).toHaveLength(500);
    expect(new Set(recs.map((r) => (r as AuditDecisionRecord).request.args.n)).size).toBe(500);
    const result = await verifyAuditLog([file]);
    expect(result).toMatchObject({ ok: true, records: 500, decisions: 500 });
  });

  it('keeps call order and one chain when writeSync interleaves with queued writes', async () => {
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file });
    const pending: Array<Promise<void>> = [];
    for (let i = 0; i < 100; i++) {
      if (i % 10 === 9) sink.writeSync(decisionEvent(i));
      else pending.push(sink.write(decisionEvent(i)));
    }
    await Promise.all(pending);
    await sink.close();
    const recs = records(file) as AuditDecisionRecord[];
    expectChain(recs);
    expect(recs.map((r) => r.request.args.n)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect((await verifyAuditLog([file])).ok).toBe(true);
  });

  it.each([
    ['always', 'always' as const],
    ['everyMs 5', { everyMs: 5 }],
    ['never', 'never' as const],
  ])('fsync %s produces the same verified chain', async (_name, fsync) => {
    const file = join(dir, 'main.jsonl');
    // The periodic fsync runs on an interval: a fake interval, advanced by hand, makes it run
    // while records are dirty (the writes and the fsync itself stay real).
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const sink = await openFileAuditSink({ path: file, fsync });
      await Promise.all(Array.from({ length: 50 }, (_, i) => sink.write(decisionEvent(i))));
      vi.advanceTimersByTime(10);
      await sink.close();
    } finally {
      vi.useRealTimers();
    }
    expect(await verifyAuditLog([file])).toMatchObject({ ok: true, records: 50 });
  });

  it('rejects writes beyond maxQueue with ERR_AUDIT_QUEUE_FULL and writes the accepted ones', async () => {
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file, maxQueue: 5 });
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => sink.write(decisionEvent(i))));
    await sink.close();
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected']);
    expect((results[5] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_AUDIT_QUEUE_FULL' });
    expect(records(file)).toHaveLength(5);
  });

  it('keeps a field holding a newline and a fake record inside one line: no second record appears', async () => {
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file });
    const forged = `done\n{"seq":2,"stream":"main","type":"decision","prev":"${GENESIS_HASH}","hash":"${GENESIS_HASH}"}\n`;
    await sink.write(decisionEvent(1, { request: { tool: 'echo', args: { text: forged } } }));
    await sink.close();
    const lines = linesOf(file);
    expect(lines).toHaveLength(1);
    expect((JSON.parse(lines[0] as string) as AuditDecisionRecord).request.args.text).toBe(forged);
    expect(await verifyAuditLog([file])).toMatchObject({ ok: true, records: 1 });
  });

  it('rejects writes after close with ERR_AUDIT_CLOSED', async () => {
    const sink = await openFileAuditSink({ path: join(dir, 'main.jsonl') });
    await sink.close();
    await expect(sink.write(decisionEvent(1))).rejects.toMatchObject({ code: 'ERR_AUDIT_CLOSED' });
    expect(() => sink.writeSync(decisionEvent(1))).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_CLOSED' }));
  });
});

describe('opening', () => {
  it('creates missing directories and a 0600 HMAC secret next to the log, and reuses it', async () => {
    const file = join(dir, 'a', 'b', 'main.jsonl');
    const sink = await openFileAuditSink({ path: file });
    await sink.write(decisionEvent(1));
    await sink.close();
    const secretPath = join(dir, 'a', 'b', 'main.secret');
    expect(sink.secretPath).toBe(secretPath);
    expect(statSync(secretPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(secretPath, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    const secret = readFileSync(secretPath, 'utf8');
    const again = await openFileAuditSink({ path: file });
    await again.write(decisionEvent(1));
    await again.close();
    expect(readFileSync(secretPath, 'utf8')).toBe(secret);
    const digests = records(file).map((r) => (r as AuditDecisionRecord).argsDigest);
    expect(digests[0]).toBe(digests[1]);
  });

  it('resumes the chain after a restart', async () => {
    const file = join(dir, 'main.jsonl');
    const first = await openFileAuditSink({ path: file });
    for (let i = 0; i < 5; i++) await first.write(decisionEvent(i));
    await first.close();
    const second = await openFileAuditSink({ path: file });
    expect(second.head.seq).toBe(5);
    await second.write(decisionEvent(5));
    await second.close();
    expectChain(records(file));
    expect(await verifyAuditLog([file])).toMatchObject({ ok: true, records: 6 });
  });

  it('refuses a second writer for the same file in one process, also under another spelling, until the first closes', async () => {
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file });
    await expect(openFileAuditSink({ path: file })).rejects.toMatchObject({ code: 'ERR_AUDIT_IN_USE' });
    await expect(openFileAuditSink({ path: dir, stream: 'main' })).rejects.toMatchObject({ code: 'ERR_AUDIT_IN_USE' });
    await expect(openFileAuditSink({ path: join(dir, '.', 'x', '..', 'main.jsonl') })).rejects.toMatchObject({ code: 'ERR_AUDIT_IN_USE' });
    await sink.close();
    const next = await openFileAuditSink({ path: file });
    await next.close();
  });

  it('names the file after the stream when given a directory', async () => {
    const sink = await openFileAuditSink({ path: dir, stream: 'payments' });
    await sink.write(decisionEvent(1));
    await sink.close();
    expect(sink.path).toBe(join(dir, 'payments.jsonl'));
    expect(records(sink.path)[0]?.stream).toBe('payments');
  });

  it.each([
    ['an empty path', { path: '' }],
    ['a stream with a slash', { path: 'x', stream: 'a/b' }],
    ['a stream that looks rotated', { path: 'x', stream: 'main.000001' }],
    ['a bad fsync policy', { path: 'x', fsync: { everyMs: 0 } }],
    ['a tiny rotation size', { path: 'x', rotateBytes: 10 }],
    ['a short HMAC key', { path: 'x', hmacKey: 'short' }],
  ])('rejects %s with ERR_AUDIT_OPTIONS', async (_name, options) => {
    const o = { ...options, path: options.path === '' ? '' : join(dir, options.path) };
    await expect(openFileAuditSink(o as Parameters<typeof openFileAuditSink>[0])).rejects.toMatchObject({ code: 'ERR_AUDIT_OPTIONS' });
  });

  it.each([
    ['a misspelt option', { fsnyc: 'never' }, /Unknown key "fsnyc" in audit sink options\. Accepted keys: checkpointEvery, checkpointIntervalMs, fsync, gather, hmacKey, lock, maxBatchRecords, maxQueue, maxRecordBytes, now, onWarning, path, redaction, rotateBytes, signingKey, stream\./],
    ['a wrongly cased option', { rotatebytes: 8192 }, /Unknown key "rotatebytes".*Did you mean "rotateBytes"\?/],
    ['an unknown redaction option', { redaction: { entropie: true } }, /Unknown key "entropie" in audit sink option `redaction`\. Accepted keys: entropy, extraKeys\./],
    ['an unknown lock option', { lock: { timeout: 5 } }, /Unknown key "timeout" in audit sink option `lock`\. Accepted keys: staleMs, timeoutMs\./],
    ['an extra key in the fsync policy', { fsync: { everyMs: 50, jitter: 1 } }, /`fsync` must be/],
    ['a negative lock timeout', { lock: { timeoutMs: -1 } }, /lock\.timeoutMs/],
  ])('refuses %s with ERR_AUDIT_OPTIONS naming it, before touching the disk', async (_name, extra, message) => {
    const path = join(dir, 'never-created', 'main.jsonl');
    const err = await openFileAuditSink({ path, ...extra } as Parameters<typeof openFileAuditSink>[0]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_AUDIT_OPTIONS', message: expect.stringMatching(message) });
    expect(existsSync(join(dir, 'never-created'))).toBe(false);
  });

  it('refuses a log written under another stream id', async () => {
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file, stream: 'alpha' });
    await sink.write(decisionEvent(1));
    await sink.close();
    await expect(openFileAuditSink({ path: file, stream: 'beta' })).rejects.toMatchObject({ code: 'ERR_AUDIT_STREAM_MISMATCH' });
  });

  it('fails to open with ERR_AUDIT_OPEN when the directory cannot be created', async () => {
    writeFileSync(join(dir, 'blocker'), 'x');
    await expect(openFileAuditSink({ path: join(dir, 'blocker', 'main.jsonl') })).rejects.toMatchObject({ code: 'ERR_AUDIT_OPEN' });
  });
});

describe('write failures reject and consume no seq', () => {
  it('a full disk (/dev/full) rejects with ERR_AUDIT_WRITE and the head stays put', async () => {
    const file = join(dir, 'full.jsonl');
    symlinkSync('/dev/full', file);
    const sink = await openFileAuditSink({ path: file, fsync: 'never' });
    await expect(sink.write(decisionEvent(1))).rejects.toMatchObject({ code: 'ERR_AUDIT_WRITE', message: expect.stringContaining('disk full') as string });
    expect(() => sink.writeSync(decisionEvent(2))).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_WRITE' }));
    expect(sink.head).toEqual({ seq: 0, hash: GENESIS_HASH });
    await sink.close();
  });

  it('a log file moved away rejects; once it is back, the next record takes the next seq', async () => {
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file });
    await sink.write(decisionEvent(1));
    await sink.write(decisionEvent(2));
    renameSync(file, `${file}.away`);
    await expect(sink.write(decisionEvent(3))).rejects.toMatchObject({ code: 'ERR_AUDIT_WRITE', message: expect.stringContaining('gone') as string });
    expect(() => sink.writeSync(decisionEvent(3))).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_WRITE' }));
    expect(sink.head.seq).toBe(2);
    renameSync(`${file}.away`, file);
    await sink.write(decisionEvent(4));
    await sink.close();
    const recs = records(file) as AuditDecisionRecord[];
    expectChain(recs);
    expect(recs.map((r) => r.request.args.n)).toEqual([1, 2, 4]);
    expect((await verifyAuditLog([file])).ok).toBe(true);
  });

  it('a log file replaced by a directory rejects with ERR_AUDIT_WRITE', async () => {
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file });
    await sink.write(decisionEvent(1));
    rmSync(file);
    mkdirSync(file);
    await expect(sink.write(decisionEvent(2))).rejects.toMatchObject({ code: 'ERR_AUDIT_WRITE', message: expect.stringContaining('no longer the file') as string });
    expect(sink.head.seq).toBe(1);
    await sink.close();
  });

  it('a removed log directory rejects with ERR_AUDIT_WRITE', async () => {
    const logDir = join(dir, 'logs');
    const sink = await openFileAuditSink({ path: join(logDir, 'main.jsonl') });
    await sink.write(decisionEvent(1));
    rmSync(logDir, { recursive: true });
    await expect(sink.write(decisionEvent(2))).rejects.toMatchObject({ code: 'ERR_AUDIT_WRITE' });
    await sink.close();
  });

  it('a redaction failure rejects that write only; its neighbours are chained without a gap', async () => {
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file });
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 100; i++) deep = { nested: deep };
    const results = await Promise.allSettled([
      sink.write(decisionEvent(1)),
      sink.write(decisionEvent(2, { request: { tool: 'x', args: deep } })),
      sink.write(decisionEvent(3)),
    ]);
    await sink.close();
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_REDACTION_LIMIT' });
    const recs = records(file) as AuditDecisionRecord[];
    expectChain(recs);
    expect(recs.map((r) => r.request.args.n)).toEqual([1, 3]);
  });
});

describe('redaction before writing', () => {
  it('no secret reaches the log file, in any field', async () => {
    // Built from parts so this test file holds no credential-shaped literal.
    const github = ['ghp', '_', 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa'].join('');
    const aws = ['AKIA', 'Z7QX3MPL4WRT9KDE'].join('');
    const dbPassword = ['S3cret', 'Passw0rd', '42'].join('-');
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file });
    await sink.write(
      decisionEvent(1, {
        agent: { id: 'coder', labels: { token: dbPassword } },
        request: {
          tool: 'deploy',
          args: { env: { AWS_ACCESS_KEY_ID: aws }, dsn: `postgres://app:${dbPassword}@db:5432/app`, note: `push with ${github}`, password: dbPassword },
          context: { authorization: `Bearer ${github}` },
        },
      }),
    );
    await sink.close();
    const text = readFileSync(file, 'utf8');
    for (const secret of [github, aws, dbPassword]) expect(text.includes(secret), secret.slice(0, 4)).toBe(false);
    const rec = records(file)[0] as AuditDecisionRecord;
    expect(rec.redactions.length).toBeGreaterThanOrEqual(5);
    expect(rec.request.tool).toBe('deploy');
    expect((await verifyAuditLog([file])).ok).toBe(true);
  });
});

describe('torn tails', () => {
  async function writeLog(file: string, n: number): Promise<string> {
    const sink = await openFileAuditSink({ path: file });
    for (let i = 0; i < n; i++) await sink.write(decisionEvent(i));
    await sink.close();
    return readFileSync(file, 'utf8');
  }

  const fragment = '{"agent":{"id":"agent-1"},"argsDigest":"hmac-sha';
  it.each([
    ['a final line without a newline', fragment],
    ['a final complete line that is not JSON', `${fragment}\n`],
    ['an unparsable line followed by a fragment', `${fragment}\n${fragment}`],
    ['NUL bytes left by a crash', '\u0000\u0000\u0000\u0000'],
  ])('moves %s aside byte for byte, reports it, and resumes the chain', async (_name, junk) => {
    const file = join(dir, 'main.jsonl');
    const intact = await writeLog(file, 3);
    appendFileSync(file, junk);
    const before = await verifyAuditLog([file]);
    expect(before.ok).toBe(false);
    expect(before.firstBad?.seq).toBe(4);
    expect(['torn', 'malformed']).toContain(before.firstBad?.reason);
    const warnings: AuditWarning[] = [];
    const sink = await openFileAuditSink({ path: file, onWarning: (w) => warnings.push(w) });
    expect(sink.tornTail).toEqual({ file, offset: Buffer.byteLength(intact), bytes: Buffer.byteLength(junk), movedTo: `${file}.torn` });
    expect(readFileSync(`${file}.torn`, 'utf8')).toBe(junk);
    expect(readFileSync(file, 'utf8')).toBe(intact);
    expect(warnings.map((w) => w.code)).toEqual(['torn_tail']);
    expect(sink.head.seq).toBe(3);
    await sink.write(decisionEvent(3));
    await sink.close();
    expect(await verifyAuditLog([file])).toMatchObject({ ok: true, records: 4 });
  });

  it('uses .torn.1, .torn.2 when earlier .torn files exist', async () => {
    const file = join(dir, 'main.jsonl');
    await writeLog(file, 1);
    writeFileSync(`${file}.torn`, 'older');
    appendFileSync(file, '{"x":');
    const sink = await openFileAuditSink({ path: file });
    await sink.close();
    expect(sink.tornTail?.movedTo).toBe(`${file}.torn.1`);
    expect(readFileSync(`${file}.torn`, 'utf8')).toBe('older');
    expect(readFileSync(`${file}.torn.1`, 'utf8')).toBe('{"x":');
  });

  it('refuses to open a log whose last record does not verify (ERR_AUDIT_CORRUPT)', async () => {
    const file = join(dir, 'main.jsonl');
    await writeLog(file, 2);
    const lines = linesOf(file);
    lines[1] = (lines[1] as string).replace('"n":1', '"n":7');
    writeFileSync(file, `${lines.join('\n')}\n`);
    await expect(openFileAuditSink({ path: file })).rejects.toMatchObject({ code: 'ERR_AUDIT_CORRUPT' });
    // The refused open released the file: a later open (after repair) is not blocked as in use.
    await expect(openFileAuditSink({ path: file })).rejects.toMatchObject({ code: 'ERR_AUDIT_CORRUPT' });
  });

  it('refuses two unparsable final lines instead of guessing', async () => {
    const file = join(dir, 'main.jsonl');
    await writeLog(file, 2);
    appendFileSync(file, 'garbage one\ngarbage two\n');
    await expect(openFileAuditSink({ path: file })).rejects.toMatchObject({ code: 'ERR_AUDIT_CORRUPT' });
  });
});

describe('rotation', () => {
  it('rotates by size into sortable names and keeps one chain across files', async () => {
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file, rotateBytes: 4096, maxBatchRecords: 4 });
    for (let i = 0; i < 60; i++) await sink.write(decisionEvent(i));
    await sink.close();
    const names = readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort();
    expect(names.length).toBeGreaterThan(3);
    expect(names[0]).toBe('main.000001.jsonl');
    expect(names[names.length - 1]).toBe('main.jsonl');
    const files = await listAuditFiles(file);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(names);
    const all = files.flatMap(records);
    expectChain(all);
    expect(all).toHaveLength(60);
    // The first record of each file links to the last record of the previous file.
    for (let k = 1; k < files.length; k++) {
      const prevLast = records(files[k - 1] as string).at(-1);
      const first = records(files[k] as string)[0];
      if (first !== undefined) expect(first.prev).toBe(prevLast?.hash);
    }
    for (const f of files.slice(0, -1)) expect(statSync(f).size).toBeGreaterThanOrEqual(4096);
    expect(await verifyAuditLog(files)).toMatchObject({ ok: true, records: 60, files: files.length });
    expect(await listAuditFiles(dir)).toEqual(files);
    expect(await listAuditFiles(files[0] as string)).toEqual(files);
  });

  it('resumes from the last rotated file when the active file is missing (crash between rename and create)', async () => {
    const file = join(dir, 'main.jsonl');
    const sink = await openFileAuditSink({ path: file, rotateBytes: 4096 });
    for (let i = 0; i < 20; i++) await sink.write(decisionEvent(i));
    await sink.close();
    const before = await listAuditFiles(file);
    const lastRotated = before[before.length - 2] as string;
    // Drop the active file's records: the rotated files alone end at the last rotated record.
    rmSync(file);
    const headSeq = records(lastRotated).at(-1)?.seq ?? 0;
    const again = await openFileAuditSink({ path: file, rotateBytes: 4096 });
    expect(again.head.seq).toBe(headSeq);
    await again.write(decisionEvent(99));
    await again.close();
    const files = await listAuditFiles(file);
    expect(await verifyAuditLog(files)).toMatchObject({ ok: true, records: headSeq + 1 });
    expect(existsSync(file)).toBe(true);
  });
});
