/**
 * The speed paths of the audit writer, the verifier, canonical JSON and the redaction proof, each
 * against the slow path it must agree with (property tests). Proposed as test/audit/fast-paths.test.ts.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { canonicalJson, canonicalJsonProfile } from '../../src/lib/canonical-json.js';
import {
  buildDecisionBodyEncoded,
  chainLine,
  checkDecisionLine,
  GENESIS_HASH,
  parseRecordLine,
  prepareDecisionRecord,
  writeChainedLine,
} from '../../src/audit/record.js';
import { redactDetailed, redactionIsNoop } from '../../src/audit/redact.js';
import { scanUrls } from '../../src/facets/url.js';
import type { DecisionEvent } from '../../src/decision.js';

const hmacKey = Buffer.from('0123456789abcdef0123456789abcdef');
const prev = `sha256:${'12'.repeat(32)}`;

// Strings that reach every branch of the redaction proof: triggers, split key names, escapes, markers.
const tricky = fc.constantFrom(
  'ghp_' + 'a1B2'.repeat(9), 'password', 'p-a-s-s-w-o-r-d', 'Bearer abcdefgh12345678', 'key', 'x-api-key', 'postgres://u:pw@h/db',
  '[REDACTED:token]', 'ｐａｓｓｗｏｒｄ', 'p\u200bassword', '%70assword', '\\u0070assword', 'pa\nss', 'to\tken', 'AKIA' + 'A'.repeat(16),
  'eyJhbGciOiJI.eyJzdWIi.sig', '123-45-6789', 'sk-' + 'aB'.repeat(20), 'name', 'value', '/tmp/x', 'hello world', 'pa"ss', 'pa\\ss',
);
const str = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 8 }), tricky);
const json = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    str,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), str), tie('v'), { maxKeys: 4 }),
  ),
})).v;
const eventArb: fc.Arbitrary<DecisionEvent> = fc.record({
  ts: fc.oneof(fc.constant('2025-01-01T00:00:00.000Z'), str),
  agent: fc.oneof(fc.constant(null), fc.record({ id: str, roles: fc.array(str, { maxLength: 2 }) })),
  request: fc.record({ tool: str, args: fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), str), json, { maxKeys: 6 }), context: fc.option(fc.dictionary(str, json, { maxKeys: 3 }), { nil: undefined }) }),
  decision: fc.record({
    effect: fc.constantFrom('allow' as const, 'deny' as const),
    allowed: fc.boolean(),
    rule: fc.option(str),
    policy: fc.option(str),
    reason: str,
    approvers: fc.array(str, { maxLength: 2 }),
    errors: fc.constant([]),
    policyDigest: fc.constant(`sha256:${'ab'.repeat(32)}`),
  }),
  outcome: fc.option(fc.record({ executed: fc.boolean(), effect: fc.constantFrom('allow', 'deny'), reason: str }), { nil: undefined }),
}) as fc.Arbitrary<DecisionEvent>;

function outcomeOf(fn: () => string): { ok: true; value: string } | { ok: false; code: string; message: string } {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    return { ok: false, code: (e as { code?: string }).code ?? '', message: (e as Error).message };
  }
}

describe('audit writer fast path', () => {
  it('writes exactly the line and hash of buildDecisionBodyEncoded + chainLine, or throws the same error (property)', () => {
    const proven = new Map<string, Set<string>>();
    fc.assert(
      fc.property(
        eventArb,
        fc.integer({ min: 1, max: 1e9 }),
        fc.constantFrom<{ entropy?: boolean; extraKeys?: string[] } | undefined>(undefined, { entropy: true }, { extraKeys: ['ssn'] }),
        fc.constantFrom('main', 'str"eam', 'ünï'),
        fc.constantFrom(undefined, 4096),
        fc.option(fc.string({ minLength: 3000, maxLength: 5000 })),
        (event, seq, redaction, stream, maxRecordBytes, pad) => {
          if (pad !== null) event.request.args.pad = pad;
          const cacheKey = JSON.stringify(redaction ?? null);
          const cache = proven.get(cacheKey) ?? new Set<string>();
          proven.set(cacheKey, cache);
          const options = { hmacKey, redaction, maxRecordBytes };
          const slow = outcomeOf(() => chainLine(buildDecisionBodyEncoded(event, options).members, { seq, stream, prev }).line);
          for (let round = 0; round < 2; round++) {
            const fast = outcomeOf(() => {
              const prepared = prepareDecisionRecord(event, options, stream, cache);
              const out = Buffer.alloc(prepared.maxBytes + 7);
              const { end, hash } = writeChainedLine(prepared, seq, prev, out, 7);
              expect(out[end - 1]).toBe(0x0a);
              const line = out.subarray(7, end - 1).toString('utf8');
              expect(hash).toBe(`sha256:${createHash('sha256').update(line.replace(`"hash":"${hash}",`, '')).digest('hex')}`);
              return line;
            });
            expect(fast).toEqual(slow);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('redaction proof', () => {
  it('a value proven clean redacts to itself with no finding (property)', () => {
    fc.assert(
      fc.property(json, (value) => {
        let profile;
        try {
          profile = canonicalJsonProfile(value);
        } catch {
          return;
        }
        const described = { texts: [profile.json], repeating: 0, depth: profile.depth, undefinedMembers: profile.undefinedMembers, binary: profile.binary, fixedKeys: 0, fixedKeyChars: 0 };
        if (!redactionIsNoop(described)) return;
        const r = redactDetailed(value);
        expect(r.findings).toEqual([]);
        expect(canonicalJson(r.value)).toBe(profile.json);
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['a token', { t: 'ghp_' + 'a1B2'.repeat(9) }],
    ['a secret key name split by separators', { 'p-a-s-s-w-o-r-d': 'x' }],
    ['a key name split by an escaped control character', { 'pa\nss': 'x' }],
    ['a key name written with a fullwidth letter', { 'ｐassword': 'x' }],
    ['a percent-escaped letter', { t: '%70assword=x' }],
    ['a \\u escape written out', { t: '\\u0070assword=x' }],
    ['a marker', { t: '[REDACTED:ssn]' }],
    ['bytes', { b: Buffer.from('password=hunter2') }],
  ])('does not prove %s clean', (_name, value) => {
    let profile;
    try {
      profile = canonicalJsonProfile(value);
    } catch {
      return;
    }
    expect(redactionIsNoop({ texts: [profile.json], repeating: 0, depth: profile.depth, undefinedMembers: profile.undefinedMembers, binary: profile.binary, fixedKeys: 0, fixedKeyChars: 0 })).toBe(false);
  });

  /** The proof for `{ agent: value }` with the agent a recurring part, asked twice with one memory. */
  function recurringProof(value: unknown, proven: Set<string>): boolean[] {
    const profile = canonicalJsonProfile(value);
    const described = { texts: [profile.json], repeating: 1, depth: 1 + profile.depth, undefinedMembers: profile.undefinedMembers, binary: profile.binary, fixedKeys: 1, fixedKeyChars: 'agent'.length };
    return [redactionIsNoop(described, undefined, proven), redactionIsNoop(described, undefined, proven)];
  }

  // A recurring part whose text has a detector's trigger word is settled by the redactor's walk.
  it.each([
    ['a static-token issuer (benign)', { id: 'bench', verified: { issuer: 'warden-serve:token-file', keyId: null, method: 'bearer' } }, true],
    ['the words token, key and auth as values (benign)', { id: 'ci', note: 'rotates the token key for auth' }, true],
    ['a keyId member (benign)', { id: 'ci', verified: { keyId: 'k1', method: 'jwt' } }, true],
    ['a bearer credential in a value', { id: 'ci', note: 'Bearer abcdefgh12345678' }, false],
    ['a password key', { id: 'ci', password: 'hunter2' }],
    ['a password key in fullwidth letters', { id: 'ci', 'ｐａｓｓｗｏｒｄ': 'hunter2' }, false],
    ['a { name, value } pair naming a secret', { id: 'ci', env: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }, false],
    ['a [name, value] header tuple', { id: 'ci', headers: [['Authorization', 'token abc']] }, false],
    ['a GitHub token', { id: 'ghp_' + 'a1B2'.repeat(9) }, false],
    ['a URL with a password', { id: 'ci', db: 'postgres://app:s3cret@db/app' }, false],
    ['a key=value secret', { id: 'ci', note: 'token=abc123' }, false],
    ['a secret under a zero-width split', { id: 'ci', note: 'gh\u200bp_' + 'a1B2'.repeat(9) }, false],
  ])('a recurring part with %s: proven only when the walk finds nothing, the same on the second ask', (_name, value, clean = false) => {
    const proven = new Set<string>();
    const r = redactDetailed({ agent: value });
    expect(r.findings.length === 0).toBe(clean);
    expect(recurringProof(value, proven)).toEqual([clean, clean]);
  });

  it('a recurring part proven by the walk redacts to itself with no finding (property)', () => {
    const proven = new Set<string>();
    fc.assert(
      fc.property(json, (value) => {
        let profile;
        try {
          profile = canonicalJsonProfile(value);
        } catch {
          return;
        }
        const proofs = recurringProof(value, proven);
        expect(proofs[1]).toBe(proofs[0]);
        if (!proofs[0]) return;
        const r = redactDetailed({ agent: value });
        expect(r.findings).toEqual([]);
        expect(canonicalJson(r.value)).toBe(`{"agent":${profile.json}}`);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('verify fast path', () => {
  function rehash(text: string): string {
    const m = /,"hash":"sha256:[0-9a-f]{64}"/.exec(text);
    if (m === null) return text;
    const without = text.slice(0, m.index) + text.slice(m.index + m[0].length);
    return `${text.slice(0, m.index)},"hash":"sha256:${createHash('sha256').update(without).digest('hex')}"${text.slice(m.index + m[0].length)}`;
  }
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('byte' as const), pos: fc.nat(), val: fc.nat(255) }),
    fc.record({ kind: fc.constant('insert' as const), pos: fc.nat(), text: fc.constantFrom(' ', '\\u0041', '\\/', '0', '-', 'e1', '.0', '\\ud800', ',', '"', '\u00e9', '\\"') }),
  );
  it('accepts a line only when parseRecordLine accepts it, with the same fields; accepts what the writer writes (property)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(eventArb, fc.integer({ min: 1, max: 1e6 }), fc.array(mutation, { maxLength: 2 }), (event, seq, mutations) => {
        let line: string;
        try {
          line = chainLine(buildDecisionBodyEncoded(event, { hmacKey }).members, { seq, stream: 'main', prev }).line;
        } catch {
          return;
        }
        const candidates = [Buffer.from(line)];
        for (const m of mutations) {
          if (m.kind === 'byte') {
            const b = Buffer.from(line);
            b[m.pos % b.length] = m.val;
            candidates.push(b);
          } else {
            const p = m.pos % line.length;
            candidates.push(Buffer.from(rehash(line.slice(0, p) + m.text + line.slice(p))));
          }
        }
        for (const bytes of candidates) {
          const fast = checkDecisionLine(bytes);
          if (fast === null) continue;
          accepted++;
          const slow = parseRecordLine(bytes);
          expect(slow.ok).toBe(true);
          if (slow.ok) expect({ seq: slow.record.seq, stream: slow.record.stream, prev: slow.record.prev, hash: slow.record.hash, type: slow.record.type }).toEqual({ ...fast, type: 'decision' });
        }
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(300);
  });

  it('rejects an escaped lone surrogate even with a matching hash (no canonical form)', () => {
    const { members } = buildDecisionBodyEncoded(
      { ts: 't', agent: null, request: { tool: 'x', args: { s: 'ok' } }, decision: { effect: 'allow', allowed: true, rule: null, policy: null, reason: 'r', approvers: [], errors: [], policyDigest: GENESIS_HASH } },
      { hmacKey },
    );
    const line = rehash(chainLine(members, { seq: 1, stream: 'main', prev: GENESIS_HASH }).line.replace('"ok"', '"\\ud800"'));
    expect(checkDecisionLine(Buffer.from(line))).toBeNull();
    expect(parseRecordLine(Buffer.from(line))).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('url scan: repeated strings', () => {
  it('finds the same URLs whether a string appears once or many times (property)', () => {
    const piece = fc.constantFrom('https://a.example/x', 'evil.com', 'ops@example.com', '::1', '[::1]:80', 'localhost', 'see ', '. ', 'item.price', 'metadata', '127.1:80');
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 5 }).map((a) => a.join('')), { minLength: 1, maxLength: 5 }), fc.integer({ min: 2, max: 5 }), (texts, times) => {
        const once = scanUrls({ v: texts });
        const many = scanUrls({ v: Array.from({ length: times }, () => texts).flat() });
        expect(many).toEqual(once);
      }),
      { numRuns: 500 },
    );
  });
});
