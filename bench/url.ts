/**
 * URL and path facet costs: `scanUrls` over a ~10 KB nested argument object (target p99 under
 * 50 µs), the worst cases it must stay linear on, the host helpers, and `pathFacet`.
 */
import { domainMatches, inCidr, normalizeHost, scanUrls } from '../src/facets/url.js';
import { pathFacet } from '../src/facets/path.js';
import { measure, printTable } from './stats.js';

const PROSE =
  'Summarise the attached report and compare it with last quarter. Keep the tone neutral, list the ' +
  'three biggest risks, and cite the section numbers. Do not include personal data; when a figure ' +
  'is missing say so instead of guessing. The audience is the operations team, so prefer plain words.';

const CODE =
  'export function total(items: Item[]): number {\n  let sum = 0;\n  for (const item of items) sum += item.price * item.qty;\n' +
  '  return Math.round(sum * 100) / 100;\n}\n// see the pricing notes before changing rounding\n';

/**
 * A tool call with ~10 KB of arguments: prose, code, a few URLs and hosts, nested objects and
 * arrays. Round-tripped through JSON like real arguments (flat strings, not concatenation ropes).
 */
function typicalArgs(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(buildArgs())) as Record<string, unknown>;
}

function buildArgs(): Record<string, unknown> {
  return {
    url: 'https://api.example.com/v1/reports?id=42&format=json',
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'agent/1.0' },
    body: {
      title: 'Quarterly operations report',
      summary: PROSE.repeat(9),
      sections: Array.from({ length: 12 }, (_, i) => ({
        heading: `Section ${i + 1}`,
        text: PROSE,
        refs: [`https://docs.example.com/ops/q${i}`, `see ticket OPS-${1000 + i}`],
        owner: { name: 'Operations', email: 'ops@example.com' },
      })),
      snippet: CODE.repeat(8),
      mirror: 'backup.example.org:8443/reports',
      callback: { target: 'http://10.0.3.7:9000/hooks/report' },
      tags: ['quarterly', 'ops', 'internal', 'draft'],
      numbers: Array.from({ length: 40 }, (_, i) => i * 3.5),
    },
  };
}

export async function run(): Promise<void> {
  const args = typicalArgs();
  const size = JSON.stringify(args).length;
  const found = scanUrls(args).urls.length;
  const longProse = JSON.parse(JSON.stringify({ text: PROSE.repeat(500) })) as { text: string };
  const manyUrls = { list: Array.from({ length: 200 }, (_, i) => `https://h${i}.example.com/p?q=${i}`) };
  const hostile = { s: 'a=a='.repeat(25_000) };
  printTable(`URL facet: scanUrls (typical args: ${size} bytes, ${found} URLs found)`, [
    measure(`scanUrls typical ${(size / 1024).toFixed(1)} KB`, () => scanUrls(args)),
    measure('scanUrls one URL', () => scanUrls({ url: 'https://api.example.com/v1/x' })),
    measure(`scanUrls prose ${Math.round(longProse.text.length / 1024)} KB`, () => scanUrls(longProse), { samples: 2_000 }),
    measure('scanUrls 200 distinct URLs', () => scanUrls(manyUrls), { samples: 2_000 }),
    measure('scanUrls hostile 100 KB (a=a=...)', () => scanUrls(hostile), { samples: 500, warmup: 50 }),
  ]);
  printTable('URL facet: host helpers', [
    measure('normalizeHost canonical', () => normalizeHost('api.example.com')),
    measure('normalizeHost 0x7f000001', () => normalizeHost('0x7f000001')),
    measure('domainMatches', () => domainMatches('a.b.example.com', 'example.com')),
    measure('inCidr', () => inCidr('10.1.2.3', '10.0.0.0/8')),
  ]);
  printTable('Path facet: pathFacet', [
    measure('pathFacet relative', () => pathFacet('src/lib/../index.ts', { root: '/workspace' })),
    measure('pathFacet traversal', () => pathFacet('../../etc/passwd', { root: '/workspace' })),
    measure('pathFacet encoded', () => pathFacet('a/%2e%2e/%2e%2e/etc', { root: '/workspace' })),
    measure('pathFacet windows', () => pathFacet('src\\..\\..\\x', { root: 'C:\\work', windows: true })),
    measure('pathFacet realpath', () => pathFacet('package.json', { root: process.cwd(), realpath: true }), { samples: 5_000 }),
  ]);
}
