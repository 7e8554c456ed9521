/**
 * Redactor speed: a typical request, a 100 KB log, and 1 MB adversarial inputs that would make a
 * backtracking pattern quadratic (each must stay well under a second). Also compares the native
 * literal-prefix scan the detectors use against re2js (linear-time by construction) on the same
 * 100 KB log: both are linear for these patterns, and the native one is the faster.
 *
 * `npx tsc -p tsconfig.bench.json && node -e "import('./dist-bench/bench/redact.js').then(m=>m.run())"`
 */
import { performance } from 'node:perf_hooks';
import { RE2JS } from 're2js';
import { redact, redactString } from '../src/audit/redact.js';
import { measure, printTable } from './stats.js';

const MB = 1024 * 1024;

function fill(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

function typicalRequest(): unknown {
  return {
    tool: 'http_request',
    args: {
      method: 'POST',
      url: 'https://api.example.com/v1/orders?page=2&limit=50',
      headers: { 'content-type': 'application/json', Authorization: 'Bearer ' + 'tok'.repeat(12), 'x-request-id': '6f1c2a9e-5b7d-4e0a-9c1f-2b3d4e5f6a7b' },
      body: { customer: 'c_1234', items: [{ sku: 'A-1', qty: 2 }, { sku: 'B-7', qty: 1 }], note: 'deliver after 5pm, ring twice' },
      dsn: 'postgres://app:' + 'pw'.repeat(6) + '@db.internal:5432/shop',
    },
    agent: { id: 'orders-bot', roles: ['writer'] },
    context: { environment: 'prod', session: 's-42' },
  };
}

function log100k(): string {
  const lines = [
    '2024-05-01T12:00:00Z INFO request method=GET path=/api/items status=200 duration_ms=12',
    '2024-05-01T12:00:01Z DEBUG headers: {"accept":"*/*","user-agent":"curl/8.4.0"}',
    '2024-05-01T12:00:02Z WARN retrying upstream https://svc.internal:8443/health (attempt 2)',
    '2024-05-01T12:00:03Z INFO commit 3f2a9c1e7b4d5a6f8e9d0c1b2a3f4e5d6c7b8a9f deployed to staging',
    '2024-05-01T12:00:04Z ERROR db connect failed postgres://svc:' + 'x1'.repeat(5) + '@db:5432/app',
    '2024-05-01T12:00:05Z INFO token=' + 'ghp_' + 'Ab1'.repeat(12) + ' used for clone',
  ];
  let out = '';
  let i = 0;
  while (out.length < 100 * 1024) out += (lines[i++ % lines.length] ?? '') + '\n';
  return out;
}

/** One 1 MB input timed call by call (too slow to loop thousands of times): median and slowest, in ms. */
function perCall(fn: () => unknown, runs = 5): { medianMs: number; maxMs: number } {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(runs / 2)] ?? 0, maxMs: times[runs - 1] ?? 0 };
}

/** Runs the redaction benches and prints their tables (ms per op = p50 µs / 1000). */
export async function run(): Promise<void> {
  const request = typicalRequest();
  const log = log100k();
  printTable('redact: typical inputs', [
    measure('typical request object', () => redact(request), { samples: 5_000 }),
    measure('100 KB log', () => redactString(log), { samples: 50, warmup: 10, loopMs: 500 }),
    measure('100 KB log, entropy on', () => redactString(log, { entropy: true }), { samples: 50, warmup: 10, loopMs: 500 }),
  ]);

  const adversarial: Array<[string, string]> = [
    ['1 MB of a', fill('a', MB)],
    ['1 MB BEGIN PRIVATE KEY, no END', fill('-----BEGIN PRIVATE KEY-----', MB)],
    ['1 MB of eyJ', fill('eyJ', MB)],
    ['1 MB of eyJ... .', fill('eyJhbGciOiJIUzI1NiJ9.', MB)],
    ['1 MB of password=', fill('password=', MB)],
    ['1 MB of "password": "', fill('"password": "', MB)],
    ['1 MB of :@:@', fill(':@:@', MB)],
    ['1 MB of ://a:b@', fill('://a:b@', MB)],
    ['1 MB of ghp_ + 35', fill('ghp_' + 'a'.repeat(35) + '.', MB)],
    ['1 MB of sk-', fill('sk-', MB)],
    ['1 MB of --token ', fill('--token ', MB)],
    ['1 MB of bearer ', fill('bearer ', MB)],
    ['1 MB of AKIA', fill('AKIA', MB)],
    ['1 MB of \\"', fill('\\"', MB)],
    ['1 MB zero-width + text', fill('a\u200bb', MB)],
    ['1 MB fullwidth', fill('ｐａｓｓｗｏｒｄ＝', MB)],
    ['1 MB of %5F', fill('%5F', MB)],
    ['1 MB of [REDACTED:', fill('[REDACTED:', MB)],
    ['1 MB of Basic Zm9v', fill('Basic Zm9v', MB)],
    ['1 MB of sig=', fill('sig=', MB)],
    ['1 MB of <password>', fill('<password>', MB)],
    ['1 MB of Authorization: Bearer ', fill('Authorization: Bearer ', MB)],
    ['1 MB of 123-45-6789 ', fill('123-45-6789 ', MB)],
    ['1 MB base64, entropy on', fill('Zm9vYmFyMTIzNDU2Nzg5MA+/', MB)],
  ];
  console.log('\n## redact: 1 MB adversarial inputs (redactString, re-scan included; 5 runs)');
  const w = Math.max(...adversarial.map(([name]) => name.length));
  console.log(`${'case'.padEnd(w)}  ${'ms/op'.padStart(8)}  ${'slowest'.padStart(8)}`);
  for (const [name, text] of adversarial) {
    const opts = name.includes('entropy') ? { entropy: true } : undefined;
    const t = perCall(() => redactString(text, opts));
    console.log(`${name.padEnd(w)}  ${t.medianMs.toFixed(1).padStart(8)}  ${t.maxMs.toFixed(1).padStart(8)}`);
  }

  // Native literal-prefix scan (what the redactor does) against re2js on the same log.
  const native = /ghp_[A-Za-z0-9]{30,}/g;
  const re2 = RE2JS.compile('ghp_[A-Za-z0-9]{30,}');
  printTable('prefix scan on the 100 KB log: native RegExp vs re2js', [
    measure('native RegExp', () => log.match(native)?.length ?? 0, { samples: 200, warmup: 20 }),
    measure('re2js', () => {
      const m = re2.matcher(log);
      let n = 0;
      while (m.find()) n++;
      return n;
    }, { samples: 50, warmup: 5 }),
  ]);
}
