import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assembleRecord,
  buildDecisionBodyEncoded,
  chainRecord,
  computeRecordHash,
  encodeMembers,
  GENESIS_HASH,
  parseRecordLine,
  type AuditRecord,
} from '../../src/audit/record.js';
import { canonicalJson } from '../../src/lib/canonical-json.js';
import { sha256Hex } from '../../src/lib/hash.js';
import { decisionEvent } from './helpers.js';

const hmacKey = Buffer.from('0123456789abcdef0123456789abcdef', 'utf8');

function chained(i: number, prev = GENESIS_HASH): { record: AuditRecord; line: string } {
  const { body, members } = buildDecisionBodyEncoded(decisionEvent(i), { hmacKey });
  return chainRecord(body, { seq: i, stream: 'main', prev }, members);
}

describe('record hashing', () => {
  it('GENESIS_HASH is sha256: followed by 64 zeros', () => {
    expect(GENESIS_HASH).toBe(`sha256:${'0'.repeat(64)}`);
  });

  it('hash is sha256 over canonicalJson of the record without hash, and the line is canonicalJson(record)', () => {
    const { record, line } = chained(1);
    const { hash, ...rest } = record;
    expect(hash).toBe(`sha256:${sha256Hex(canonicalJson(rest))}`);
    expect(computeRecordHash(record)).toBe(hash);
    expect(line).toBe(canonicalJson(record));
  });

  it('every field sits inside the hash: changing any top-level field changes it', () => {
    const { record } = chained(1);
    for (const key of Object.keys(record).filter((k) => k !== 'hash')) {
      const changed = { ...record, [key]: key === 'seq' ? 99 : 'changed' } as AuditRecord;
      expect(computeRecordHash(changed), key).not.toBe(record.hash);
    }
  });

  it('assembleRecord equals canonicalJson for any members (property)', () => {
    const key = fc.string({ maxLength: 8 }).filter((k) => k !== 'hash');
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue(), { maxKeys: 12 }), (obj) => {
        const plain = JSON.parse(JSON.stringify(obj)) as Record<string, unknown>;
        const { line, hash } = assembleRecord(encodeMembers(plain));
        expect(hash).toBe(`sha256:${sha256Hex(canonicalJson(plain))}`);
        expect(line).toBe(canonicalJson({ ...plain, hash }));
      }),
      { numRuns: 300 },
    );
  });

  it('any JSON arguments give a line that is canonical and verifies against its hash (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 }), fc.string({ maxLength: 20 }), (args, tool) => {
        const plain = JSON.parse(JSON.stringify(args)) as Record<string, unknown>;
        const { body, members } = buildDecisionBodyEncoded(decisionEvent(1, { request: { tool, args: plain } }), { hmacKey });
        const { record, line } = chainRecord(body, { seq: 1, stream: 'main', prev: GENESIS_HASH }, members);
        expect(line).toBe(canonicalJson(record));
        expect(parseRecordLine(Buffer.from(line)).ok).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('chainRecord links seq and prev as given', () => {
    const first = chained(1);
    const second = chained(2, first.record.hash);
    expect(second.record.seq).toBe(2);
    expect(second.record.prev).toBe(first.record.hash);
  });
});

describe('log injection through field contents', () => {
  const forged = `x\n{"seq":2,"type":"decision","hash":"sha256:${'0'.repeat(64)}"}\r\n\u2028\u0000`;
  it.each([
    ['a tool argument', { request: { tool: 'write_file', args: { content: forged } } }],
    ['the tool name', { request: { tool: forged, args: {} } }],
    ['the agent id', { agent: { id: forged } }],
    ['an argument key', { request: { tool: 't', args: { [forged]: 1 } } }],
  ])('a newline in %s stays inside one escaped line', (_name, overrides) => {
    const event = { ...decisionEvent(1), ...overrides } as ReturnType<typeof decisionEvent>;
    const { body, members } = buildDecisionBodyEncoded(event, { hmacKey });
    const { line } = chainRecord(body, { seq: 1, stream: 'main', prev: GENESIS_HASH }, members);
    expect(line.includes('\n')).toBe(false);
    expect(line.includes('\r')).toBe(false);
    expect(line.includes('\u0000')).toBe(false);
    const parsed = parseRecordLine(Buffer.from(line));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.record.seq).toBe(1);
  });
});

describe('argsDigest', () => {
  it('is HMAC-SHA-256 with the log secret over canonicalJson of the unredacted {tool, args, context}', () => {
    const event = decisionEvent(3, { request: { tool: 'http', args: { url: 'https://x.test', password: 'hunter2-hunter2' }, context: { env: 'prod' } } });
    const { body } = buildDecisionBodyEncoded(event, { hmacKey });
    const expected = createHmac('sha256', hmacKey).update(canonicalJson({ tool: 'http', args: { url: 'https://x.test', password: 'hunter2-hunter2' }, context: { env: 'prod' } })).digest('hex');
    expect(body.argsDigest).toBe(`hmac-sha256:${expected}`);
  });

  it('tells identical requests apart from different ones, and depends on the secret', () => {
    const a = buildDecisionBodyEncoded(decisionEvent(1), { hmacKey }).body.argsDigest;
    const again = buildDecisionBodyEncoded(decisionEvent(1), { hmacKey }).body.argsDigest;
    const other = buildDecisionBodyEncoded(decisionEvent(2), { hmacKey }).body.argsDigest;
    const otherKey = buildDecisionBodyEncoded(decisionEvent(1), { hmacKey: Buffer.alloc(32, 7) }).body.argsDigest;
    expect(again).toBe(a);
    expect(other).not.toBe(a);
    expect(otherKey).not.toBe(a);
  });

  it('follows a key changed in place (the imported key is not reused for new bytes)', () => {
    const key = Buffer.from(hmacKey);
    const event = decisionEvent(1);
    const text = canonicalJson({ args: event.request.args, context: event.request.context, tool: event.request.tool });
    const before = buildDecisionBodyEncoded(event, { hmacKey: key }).body.argsDigest;
    key[0] = (key[0] as number) ^ 0xff;
    const after = buildDecisionBodyEncoded(event, { hmacKey: key }).body.argsDigest;
    expect(before).toBe(`hmac-sha256:${createHmac('sha256', hmacKey).update(text).digest('hex')}`);
    expect(after).toBe(`hmac-sha256:${createHmac('sha256', Buffer.from(key)).update(text).digest('hex')}`);
    expect(after).not.toBe(before);
  });
});

describe('redaction in the record', () => {
  // Built from parts so this file itself holds no credential-shaped literal.
  const secret = ['ghp', '_', 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'].join('');

  it('replaces secrets before serialization and lists where', () => {
    const event = decisionEvent(1, { request: { tool: 'git_push', args: { remote: 'origin', token: 'plain-value', note: `use ${secret} here` } } });
    const { body, members } = buildDecisionBodyEncoded(event, { hmacKey });
    const { line } = chainRecord(body, { seq: 1, stream: 'main', prev: GENESIS_HASH }, members);
    expect(line.includes(secret)).toBe(false);
    expect(line.includes('plain-value')).toBe(false);
    expect(body.request.args.remote).toBe('origin');
    const paths = body.redactions.map((r) => r.path).sort();
    expect(paths).toEqual(['$.request.args.note', '$.request.args.token']);
  });

  it('redacts secrets echoed in the decision reason', () => {
    const event = decisionEvent(1);
    event.decision = { ...event.decision, reason: `denied: argument held ${secret}` };
    const { body } = buildDecisionBodyEncoded(event, { hmacKey });
    expect(body.decision.reason.includes(secret)).toBe(false);
    expect(body.redactions.some((r) => r.path === '$.decision.reason')).toBe(true);
  });

  it('throws (nothing is built) when the redactor refuses the value', () => {
    const deep: Record<string, unknown> = {};
    let cursor = deep;
    for (let i = 0; i < 200; i++) {
      const next: Record<string, unknown> = {};
      cursor.x = next;
      cursor = next;
    }
    const event = decisionEvent(1, { request: { tool: 't', args: deep } });
    expect(() => buildDecisionBodyEncoded(event, { hmacKey })).toThrow(expect.objectContaining({ code: 'ERR_REDACTION_LIMIT' }));
  });
});

describe('record size limit', () => {
  it('records an oversize request without its arguments, keeping the digest of the full request', () => {
    const event = decisionEvent(1, { request: { tool: 'upload', args: { blob: 'a'.repeat(20_000) } } });
    const { body } = buildDecisionBodyEncoded(event, { hmacKey, maxRecordBytes: 8192 });
    expect(body.request).toEqual({ tool: 'upload', args: { $omitted: { bytes: expect.any(Number) as number } } });
    expect(body.redactions).toContainEqual({ path: '$.request.args', kind: 'oversize' });
    const full = buildDecisionBodyEncoded(event, { hmacKey }).body;
    expect(body.argsDigest).toBe(full.argsDigest);
  });

  it('refuses a record that is too large even without arguments', () => {
    const event = decisionEvent(1);
    event.decision = { ...event.decision, reason: 'r'.repeat(20_000) };
    expect(() => buildDecisionBodyEncoded(event, { hmacKey, maxRecordBytes: 8192 })).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_RECORD_TOO_LARGE' }));
  });
});

describe('parseRecordLine', () => {
  const { line } = chained(1);
  const cases: Array<[string, string, 'malformed' | 'edited']> = [
    ['not JSON', '{"seq":1', 'malformed'],
    ['a JSON array', '[1,2]', 'malformed'],
    ['a missing seq', line.replace('"seq":1,', ''), 'malformed'],
    ['a changed field', line.replace('"tool":"write_file"', '"tool":"rm_rf_files"'), 'edited'],
    ['whitespace added', line.replace('"seq":1', '"seq": 1'), 'edited'],
    ['an escape spelled differently', line.replace('"tool":"write_file"', '"tool":"write\\u005ffile"'), 'edited'],
    ['a duplicate key', line.replace('"seq":1,', '"seq":1,"seq":1,'), 'edited'],
    ['an unknown type', line.replace('"type":"decision"', '"type":"other"'), 'malformed'],
  ];
  it.each(cases)('rejects %s', (_name, text, reason) => {
    expect(text).not.toBe(line);
    const r = parseRecordLine(Buffer.from(text));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(reason);
  });

  it('rejects invalid UTF-8 as malformed', () => {
    const bytes = Buffer.from(line);
    bytes[10] = 0xff;
    const r = parseRecordLine(bytes);
    expect(r).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('accepts keys that are not in insertion order only in canonical order (slow path agrees)', () => {
    const event = decisionEvent(1, { request: { tool: 't', args: { '10': 'a', '9': 'b', b: 1, a: 2 } } });
    const { body, members } = buildDecisionBodyEncoded(event, { hmacKey });
    const { line: l } = chainRecord(body, { seq: 1, stream: 'main', prev: GENESIS_HASH }, members);
    expect(parseRecordLine(Buffer.from(l)).ok).toBe(true);
  });
});
