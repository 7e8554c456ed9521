/**
 * The host side of the sandbox's egress: the proxy on its Unix socket, spoken to with raw requests
 * (the bytes a command inside could send), a real pipeline with a real policy, and a real HTTP
 * server on the host's loopback as the one allowlisted destination. An adversarial table (about a
 * third benign): every denied row must answer 403 (400 for bytes that are not HTTP), be recorded
 * as denied, and never reach a server.
 */
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pipeline } from '../../src/enforce/pipeline.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { EgressProxy, plainTarget } from '../../src/sandbox/egress-proxy.js';
import { decideEgress, parseConnectAuthority, resolveHost, specialAddress } from '../../src/sandbox/egress-decide.js';
import { egressPolicy, freshDir } from './helpers.js';

interface Hit {
  method: string;
  url: string;
  host: string;
  body: string;
}

function startServer(hits: Hit[]): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString('utf8')));
    req.on('end', () => {
      hits.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '', body });
      res.end(`served ${req.method} ${req.url} host=${req.headers.host} body=${body.length}\n`);
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, port: (server.address() as { port: number }).port })));
}

/** Writes `text` to the proxy; for a tunnel, `inner` once the 200 arrives. Resolves with everything read when the proxy closes. */
function exchange(socketPath: string, text: string, inner?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let got = '';
    let sent = false;
    s.on('data', (b: Buffer) => {
      got += b.toString('latin1');
      if (inner !== undefined && !sent && got.startsWith('HTTP/1.1 200') && got.includes('\r\n\r\n')) {
        sent = true;
        s.write(inner);
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(got));
    s.write(text);
  });
}

const inner = 'GET /through-tunnel HTTP/1.1\r\nHost: tunnel\r\nConnection: close\r\n\r\n';

interface Row {
  name: string;
  benign: boolean;
  /** The raw request; P is the test server's port, Q the name-only port. */
  req: (P: number, Q: number) => string;
  tunnel?: boolean;
  status: number;
  /** The record's host, when one is expected. */
  host?: string;
  /** Text the answer must hold (the reason of a denial, the server's reply). */
  says: string | RegExp;
}

const get = (target: string, host: string | null, extra = ''): string => `GET ${target} HTTP/1.1\r\n${host !== null ? `Host: ${host}\r\n` : ''}${extra}Connection: close\r\n\r\n`;
const tunnel = (authority: string): string => `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`;

const ROWS: Row[] = [
  // Benign: the allowlisted server, reached by address and by name, through a tunnel and as plain HTTP.
  { name: 'plain GET to the allowlisted address', benign: true, req: (P) => get(`http://127.0.0.1:${P}/a?b=1`, `127.0.0.1:${P}`), status: 200, host: '127.0.0.1', says: /served GET \/a\?b=1 host=127\.0\.0\.1:\d+/ },
  { name: 'plain GET to the allowlisted name', benign: true, req: (P) => get(`http://localhost:${P}/n`, `localhost:${P}`), status: 200, host: 'localhost', says: /served GET \/n host=localhost:\d+/ },
  { name: 'plain GET without a Host header', benign: true, req: (P) => get(`http://127.0.0.1:${P}/h`, null), status: 200, host: '127.0.0.1', says: /served GET \/h host=127\.0\.0\.1:\d+/ },
  { name: 'plain POST with a body', benign: true, req: (P) => `POST http://127.0.0.1:${P}/p HTTP/1.1\r\nHost: 127.0.0.1:${P}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`, status: 200, host: '127.0.0.1', says: 'served POST /p' },
  { name: 'CONNECT to the allowlisted address', benign: true, req: (P) => tunnel(`127.0.0.1:${P}`), tunnel: true, status: 200, host: '127.0.0.1', says: 'served GET /through-tunnel' },
  { name: 'CONNECT to the allowlisted name', benign: true, req: (P) => tunnel(`localhost:${P}`), tunnel: true, status: 200, host: 'localhost', says: 'served GET /through-tunnel' },
  { name: 'upper-case host name is the same host', benign: true, req: (P) => get(`http://LOCALHOST:${P}/u`, `LocalHost:${P}`), status: 200, host: 'localhost', says: 'served GET /u' },
  { name: 'hex spelling of the allowed address is that address', benign: true, req: (P) => tunnel(`0x7f000001:${P}`), tunnel: true, status: 200, host: '127.0.0.1', says: 'served GET /through-tunnel' },
  { name: 'trailing dot on the allowed name', benign: true, req: (P) => tunnel(`localhost.:${P}`), tunnel: true, status: 200, host: 'localhost', says: 'served GET /through-tunnel' },
  { name: 'CONNECT with the first bytes of the tunnel in the same packet', benign: true, req: (P) => `${tunnel(`127.0.0.1:${P}`)}${inner}`, status: 200, host: '127.0.0.1', says: 'served GET /through-tunnel' },
  { name: 'HEAD request', benign: true, req: (P) => `HEAD http://127.0.0.1:${P}/head HTTP/1.1\r\nHost: 127.0.0.1:${P}\r\nConnection: close\r\n\r\n`, status: 200, host: '127.0.0.1', says: 'HTTP/1.1 200' },
  { name: 'chunked PUT body', benign: true, req: (P) => `PUT http://127.0.0.1:${P}/c HTTP/1.1\r\nHost: 127.0.0.1:${P}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, status: 200, host: '127.0.0.1', says: 'served PUT /c host=' },
  { name: 'percent-encoded path and a proxy credential header (not passed on)', benign: true, req: (P) => get(`http://127.0.0.1:${P}/a%20b`, `127.0.0.1:${P}`, 'Proxy-Authorization: Basic eDp5\r\n'), status: 200, host: '127.0.0.1', says: 'served GET /a%20b' },
  // Denied destinations.
  { name: 'CONNECT to a host that is not allowlisted', benign: false, req: () => tunnel('evil.example:443'), status: 403, host: 'evil.example', says: 'No rule allows tool "egress"' },
  { name: 'plain GET to a host that is not allowlisted', benign: false, req: () => get('http://evil.example/x', 'evil.example'), status: 403, host: 'evil.example', says: 'No rule allows tool "egress"' },
  { name: 'CONNECT to the metadata address', benign: false, req: () => tunnel('169.254.169.254:80'), status: 403, host: '169.254.169.254', says: 'Cloud metadata endpoints are never reachable' },
  { name: 'metadata address in decimal', benign: false, req: () => tunnel('2852039166:80'), status: 403, host: '169.254.169.254', says: 'Cloud metadata' },
  { name: 'metadata address in octal', benign: false, req: () => tunnel('0251.0376.0251.0376:80'), status: 403, host: '169.254.169.254', says: 'Cloud metadata' },
  { name: 'metadata address as IPv4-mapped IPv6', benign: false, req: () => tunnel('[::ffff:169.254.169.254]:80'), status: 403, host: '169.254.169.254', says: 'Cloud metadata' },
  { name: 'metadata by name in a plain GET', benign: false, req: () => get('http://metadata.google.internal/computeMetadata/v1/', 'metadata.google.internal'), status: 403, host: 'metadata.google.internal', says: 'Cloud metadata' },
  { name: 'IPv6 loopback literal (not allowlisted)', benign: false, req: (P) => tunnel(`[::1]:${P}`), status: 403, host: '::1', says: 'No rule allows' },
  { name: 'IPv6 unspecified address', benign: false, req: (P) => tunnel(`[::]:${P}`), status: 403, host: '::', says: 'No rule allows' },
  { name: 'IPv6 link-local', benign: false, req: () => tunnel('[fe80::1]:80'), status: 403, host: 'fe80::1', says: 'No rule allows' },
  { name: '0 (this host) on the allowed port', benign: false, req: (P) => tunnel(`0:${P}`), status: 403, host: '0.0.0.0', says: 'No rule allows' },
  { name: 'allowed port on a private address', benign: false, req: (P) => tunnel(`10.0.0.1:${P}`), status: 403, host: '10.0.0.1', says: 'No rule allows' },
  { name: 'a name allowed by name only resolves to loopback (rebinding)', benign: false, req: (_P, Q) => tunnel(`localhost:${Q}`), status: 403, host: 'localhost', says: /resolved to 127\.0\.0\.1 is not a public address.*no policy rule allows tcp:\/\/127\.0\.0\.1:\d+/ },
  { name: 'the same by plain GET', benign: false, req: (_P, Q) => get(`http://localhost:${Q}/`, `localhost:${Q}`), status: 403, host: 'localhost', says: 'resolved to 127.0.0.1' },
  // Request-line tricks.
  { name: 'userinfo naming the allowed host before a denied one', benign: false, req: (P) => get(`http://127.0.0.1:${P}@evil.example/`, 'evil.example'), status: 403, says: 'userinfo' },
  { name: 'userinfo before the allowed host', benign: false, req: (P) => get(`http://evil.example@127.0.0.1:${P}/`, `127.0.0.1:${P}`), status: 403, says: 'userinfo' },
  { name: 'empty userinfo', benign: false, req: (P) => get(`http://@127.0.0.1:${P}/`, `127.0.0.1:${P}`), status: 403, says: 'userinfo' },
  { name: 'userinfo in CONNECT', benign: false, req: (P) => tunnel(`user@127.0.0.1:${P}`), status: 403, says: 'CONNECT needs host:port' },
  { name: 'Host header names another host', benign: false, req: (P) => get(`http://127.0.0.1:${P}/`, 'evil.example'), status: 403, says: 'does not name the host of the request line' },
  { name: 'Host header names another port', benign: false, req: (P) => get(`http://127.0.0.1:${P}/`, '127.0.0.1:1'), status: 403, says: 'does not name the host' },
  { name: 'Host header with userinfo', benign: false, req: (P) => get(`http://127.0.0.1:${P}/`, `x@127.0.0.1:${P}`), status: 403, says: 'does not name the host' },
  { name: 'origin-form request (not a proxy request)', benign: false, req: (P) => get('/direct', `127.0.0.1:${P}`), status: 403, says: 'this is a proxy' },
  { name: 'absolute https:// URI (must be CONNECT)', benign: false, req: (P) => get(`https://127.0.0.1:${P}/`, `127.0.0.1:${P}`), status: 403, says: 'use CONNECT' },
  { name: 'CONNECT without a port', benign: false, req: () => tunnel('127.0.0.1'), status: 403, says: 'CONNECT needs host:port' },
  { name: 'CONNECT with a port out of range', benign: false, req: () => tunnel('127.0.0.1:99999'), status: 403, says: 'port 99999 is out of range' },
  { name: 'CONNECT with a path', benign: false, req: (P) => tunnel(`127.0.0.1:${P}/x`), status: 403, says: 'CONNECT needs host:port' },
  { name: 'bytes that are not HTTP', benign: false, req: () => 'HELLO THERE\r\n\r\n', status: 400, says: 'could not be read' },
];

describe('the egress proxy (raw requests, real pipeline and server)', () => {
  const hits: Hit[] = [];
  const otherHits: Hit[] = [];
  let server: Server;
  let other: Server;
  let P = 0;
  let Q = 0;
  let proxy: EgressProxy;
  let sink: MemorySink;
  let socketPath = '';

  beforeAll(async () => {
    ({ server, port: P } = await startServer(hits));
    ({ server: other, port: Q } = await startServer(otherHits));
    sink = new MemorySink();
    const pipeline = new Pipeline({ policy: egressPolicy(P, Q), sink });
    socketPath = join(freshDir('warden-egress-'), 'proxy.sock');
    proxy = await EgressProxy.listen({ socketPath, decide: (t) => decideEgress(t, { tool: 'egress', decide: async (request) => (await pipeline.decide({ request })).verdict, resolve: resolveHost, context: { command: 'test' } }) });
  });
  afterAll(async () => {
    await proxy.close();
    server.close();
    other.close();
  });

  it('has about a third benign rows', () => {
    expect(ROWS.filter((r) => r.benign).length / ROWS.length).toBeGreaterThan(0.3);
  });

  for (const row of ROWS) {
    it(`${row.benign ? 'passes' : 'refuses'}: ${row.name}`, async () => {
      const before = proxy.connections.length;
      const hitsBefore = hits.length;
      const answer = await exchange(socketPath, row.req(P, Q), row.tunnel === true ? inner : undefined);
      expect(answer.slice(0, 12), answer).toBe(`HTTP/1.1 ${row.status}`);
      if (typeof row.says === 'string') expect(answer).toContain(row.says);
      else expect(answer).toMatch(row.says);
      await expect.poll(() => proxy.connections.length).toBe(before + 1);
      const rec = proxy.connections[before];
      expect(rec?.allowed).toBe(row.benign);
      if (row.host !== undefined) expect(rec?.host).toBe(row.host);
      if (row.benign) {
        expect(hits.length).toBe(hitsBefore + 1);
        expect(rec?.address).toBe('127.0.0.1');
        await expect.poll(() => proxy.connections[before]?.bytesReceived ?? 0).toBeGreaterThan(0);
        expect(proxy.connections[before]?.bytesSent).toBeGreaterThan(0);
      } else {
        expect(hits.length).toBe(hitsBefore);
        expect(rec?.bytesSent).toBe(0);
        expect(rec?.reason.length).toBeGreaterThan(0);
      }
      expect(otherHits).toEqual([]);
    });
  }

  it('passes each request of a kept-alive connection through its own decision and record', async () => {
    const before = proxy.connections.length;
    const two = `GET http://127.0.0.1:${P}/one HTTP/1.1\r\nHost: 127.0.0.1:${P}\r\n\r\nGET http://evil.example/two HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`;
    const answer = await exchange(socketPath, two);
    expect(answer).toContain('served GET /one');
    expect(answer).toContain('HTTP/1.1 403');
    await expect.poll(() => proxy.connections.length).toBe(before + 2);
    expect(proxy.connections.slice(before).map((c) => [c.host, c.allowed])).toEqual([
      ['127.0.0.1', true],
      ['evil.example', false],
    ]);
  });

  it('records every decision in the audit sink under the egress tool, with the destination as a URL', () => {
    const urls = sink.events.filter((e) => e.request.tool === 'egress').map((e) => (e.request.args as { url: string }).url);
    expect(urls).toContain(`tcp://127.0.0.1:${P}`);
    expect(urls).toContain('tcp://169.254.169.254:80');
    // The rebinding row: the name, then the address it resolved to, both decided.
    expect(urls).toContain(`tcp://localhost:${Q}`);
    expect(urls).toContain(`tcp://127.0.0.1:${Q}`);
  });
});

describe('the proxy fails closed', () => {
  it('denies when the pipeline throws, and when the resolver fails or finds nothing', async () => {
    const allow = async () => ({ allowed: true, rule: 'r', reason: 'ok', call: 'c' }) as never;
    const t = { scheme: 'tcp' as const, host: 'example.com', port: 443, path: '', method: 'CONNECT' };
    const thrown = await decideEgress(t, { tool: 'egress', decide: async () => Promise.reject(new Error('store down')), resolve: resolveHost });
    expect(thrown).toMatchObject({ allowed: false, reason: expect.stringContaining('store down') });
    const unresolved = await decideEgress(t, { tool: 'egress', decide: allow, resolve: async () => Promise.reject(new Error('ENOTFOUND')) });
    expect(unresolved).toMatchObject({ allowed: false, reason: expect.stringContaining('could not be resolved') });
    const empty = await decideEgress(t, { tool: 'egress', decide: allow, resolve: async () => [] });
    expect(empty).toMatchObject({ allowed: false, reason: expect.stringContaining('no address') });
    const benign = await decideEgress(t, { tool: 'egress', decide: allow, resolve: async () => ['93.184.216.34'] });
    expect(benign).toMatchObject({ allowed: true, address: '93.184.216.34' });
  });

  it("does not let a policy's default allow reach a non-public address: only a rule that allows it does", async () => {
    const pipeline = new Pipeline({ policy: egressPolicy(1, 2, 'allow'), sink: new MemorySink() });
    const deps = { tool: 'egress', decide: async (request: unknown) => (await pipeline.decide({ request })).verdict, resolve: resolveHost };
    for (const host of ['127.0.0.1', '10.1.2.3', '::1', '100.64.0.1', '224.0.0.1']) {
      const v = await decideEgress({ scheme: 'tcp', host, port: 9, path: '', method: 'CONNECT' }, deps);
      expect(v, host).toMatchObject({ allowed: false, reason: expect.stringContaining('not the policy') });
    }
    // A public address under the same default is allowed (no connection is made here).
    expect(await decideEgress({ scheme: 'tcp', host: '93.184.216.34', port: 443, path: '', method: 'CONNECT' }, deps)).toMatchObject({ allowed: true });
  });

  it('answers 403 and records when the decision itself throws inside the proxy', async () => {
    const socketPath = join(freshDir('warden-egress-'), 'p.sock');
    const proxy = await EgressProxy.listen({ socketPath, decide: async () => Promise.reject(new Error('boom')) });
    const answer = await exchange(socketPath, tunnel('example.com:443'));
    expect(answer).toMatch(/^HTTP\/1\.1 403/);
    expect(answer).toContain('the decision failed (boom)');
    const { connections } = await proxy.close();
    expect(connections).toMatchObject([{ allowed: false, host: 'example.com', port: 443 }]);
  });

  it('denies past maxConnections and counts what it did not record', async () => {
    const socketPath = join(freshDir('warden-egress-'), 'p.sock');
    const proxy = await EgressProxy.listen({ socketPath, maxConnections: 1, decide: async () => ({ allowed: false, reason: 'no', address: null, calls: [] }) });
    await exchange(socketPath, tunnel('a.example:443'));
    const answer = await exchange(socketPath, tunnel('b.example:443'));
    expect(answer).toContain('too many connections');
    const closed = await proxy.close();
    expect(closed.connections).toHaveLength(1);
    expect(closed.overLimit).toBe(1);
  });
});

describe('address and authority parsing', () => {
  it.each([
    ['127.0.0.1', true],
    ['0.0.0.0', true],
    ['10.0.0.1', true],
    ['172.16.0.1', true],
    ['192.168.1.1', true],
    ['100.64.0.1', true],
    ['169.254.169.254', true],
    ['255.255.255.255', true],
    ['224.0.0.251', true],
    ['::1', true],
    ['::', true],
    ['fc00::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['64:ff9b::a9fe:a9fe', true],
    ['2002:7f00:1::', true],
    ['not-an-ip', true],
    ['93.184.216.34', false],
    ['8.8.8.8', false],
    ['2606:4700:4700::1111', false],
    ['::ffff:8.8.8.8', false],
  ])('specialAddress(%s) is %s', (address, special) => {
    expect(specialAddress(address)).toBe(special);
  });

  it.each([
    ['example.com:443', { host: 'example.com', port: 443 }],
    ['[::1]:22', { host: '::1', port: 22 }],
    ['0177.0.0.1:80', { host: '127.0.0.1', port: 80 }],
    ['EXAMPLE.com.:443', { host: 'example.com', port: 443 }],
    ['example.com', null],
    ['example.com:0', null],
    ['example.com:443/x', null],
    ['a b:443', null],
    ['exa%6dple.com:443', null],
    ['[::1:22', null],
  ])('parseConnectAuthority(%s)', (authority, want) => {
    const got = parseConnectAuthority(authority);
    if (want === null) expect(got).toHaveProperty('error');
    else expect(got).toEqual(want);
  });

  it('plainTarget reads the request line the way it will be sent', () => {
    expect(plainTarget('GET', 'http://Example.com:8080/a/../b?q=1#frag', 'example.com:8080')).toEqual({ scheme: 'http', host: 'example.com', port: 8080, path: '/b?q=1', method: 'GET' });
    expect(plainTarget('GET', 'http://example.com\\@evil.example/', undefined)).toMatchObject({ host: 'example.com' });
    expect(plainTarget('GET', 'ftp://example.com/', undefined)).toHaveProperty('error');
  });
});
