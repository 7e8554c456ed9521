import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GovernanceDenied } from '../../src/enforce/denied.js';
import { remoteGovernor } from '../../src/server/remote-governor.js';
import { startServer, TOKEN, type Running } from './fixture.js';

/** A real HTTP server answering every request with `answer` (or never, when answer is null). */
async function fakeService(answer: { status: number; body: string } | null): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    if (answer === null) return; // holds the request open
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('remoteGovernor against a real warden serve', () => {
  let s: Running;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => s.close());

  it('allows and denies as the service decides, naming the service call id', async () => {
    const g = remoteGovernor({ url: s.url, token: TOKEN });
    const yes = await g.check({ tool: 'read_file', args: { path: '/a' } });
    const no = await g.check({ tool: 'write_file', args: { path: '/etc/x' } });
    expect(yes).toMatchObject({ allowed: true, effect: 'allow', rule: 'allow-reads', recorded: true });
    expect(no).toMatchObject({ allowed: false, rule: 'deny-etc' });
    expect(s.records().some((r) => r.call === yes.call)).toBe(true);
  });

  it('wrap() runs the function with what was decided, and throws GovernanceDenied on a denial', async () => {
    const g = remoteGovernor({ url: s.url, token: TOKEN });
    const write = g.wrap('write_file', async (a: { path: string }) => `wrote ${a.path}`);
    expect(await write({ path: '/tmp/ok' })).toBe('wrote /tmp/ok');
    await expect(write({ path: '/etc/shadow' })).rejects.toBeInstanceOf(GovernanceDenied);
  });

  it('observe() records the outcome at the service', async () => {
    const g = remoteGovernor({ url: s.url, token: TOKEN });
    const v = await g.check({ tool: 'read_file', args: {} });
    await g.observe(v, 'read_file', { status: 'error', error: { name: 'E', message: 'boom' } });
    const rec = s.records().find((r) => r.type === 'outcome' && r.call === v.call) as { outcome: { status: string } } | undefined;
    expect(rec?.outcome.status).toBe('error');
  });

  it('observe() tells onWarning when the service did not record the outcome (503), and says nothing when it did', async () => {
    const warnings: Array<{ code: string; message: string }> = [];
    const g = remoteGovernor({ url: s.url, token: TOKEN, onWarning: (w) => warnings.push(w) });
    const v = await g.check({ tool: 'read_file', args: {} });
    await g.observe(v, 'read_file', { status: 'ok' });
    expect(warnings).toEqual([]);
    const f = await fakeService({ status: 503, body: '{"error":{"code":"outcome_not_recorded","message":"the log is gone"}}' });
    try {
      await remoteGovernor({ url: f.url, token: TOKEN, onWarning: (w) => warnings.push(w) }).observe(v, 'read_file', { status: 'ok' });
    } finally {
      await new Promise((r) => f.server.close(r));
    }
    await remoteGovernor({ url: f.url, token: TOKEN, onWarning: (w) => warnings.push(w) }).observe(v, 'read_file', { status: 'ok' });
    expect(warnings.map((w) => w.code)).toEqual(['outcome_not_recorded', 'outcome_not_recorded']);
    expect(warnings[0]?.message).toContain('HTTP 503 (the log is gone)');
    expect(warnings[1]?.message).toContain('could not be reached');
  });

  it('adapters call pipeline.decide: it decides remotely too', async () => {
    const g = remoteGovernor({ url: s.url, token: TOKEN });
    const { verdict, snapshot } = await g.asGovernor().pipeline.decide({ request: { tool: 'read_file', args: { path: '/p' } } });
    expect(verdict.allowed).toBe(true);
    expect(JSON.parse(snapshot!.text)).toEqual({ tool: 'read_file', args: { path: '/p' } });
  });

  it('denies with a wrong token (401), never allowing', async () => {
    const v = await remoteGovernor({ url: s.url, token: 'not-the-token-0123456789' }).check({ tool: 'read_file', args: {} });
    expect(v.allowed).toBe(false);
    expect(v.reason).toContain('HTTP 401');
  });

  it('checkSync always denies: a remote decision cannot be synchronous', () => {
    const v = remoteGovernor({ url: s.url, token: TOKEN }).checkSync({ tool: 'read_file', args: {} });
    expect(v.allowed).toBe(false);
    expect(v.reason).toContain('synchronously');
  });
});

describe('remoteGovernor fails closed', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const sv of servers) {
      sv.closeAllConnections();
      await new Promise((r) => sv.close(r));
    }
  });
  const with_ = async (answer: { status: number; body: string } | null) => {
    const f = await fakeService(answer);
    servers.push(f.server);
    return f.url;
  };

  // [name, service answer (null: never answers), what the reason says]
  const cases: Array<[string, { status: number; body: string } | null, string]> = [
    ['no answer within the timeout', null, 'did not answer within 200 ms'],
    ['HTTP 500', { status: 500, body: '{"error":{"code":"internal","message":"x"}}' }, 'HTTP 500'],
    ['HTTP 503 with an allow-looking body', { status: 503, body: '{"allowed":true,"effect":"allow","reason":"r","call":"c","recorded":true}' }, 'HTTP 503'],
    ['200 that is not JSON', { status: 200, body: 'ok' }, 'not JSON'],
    ['200 with only allowed: true', { status: 200, body: '{"allowed":true}' }, 'without allowed, effect, reason and call'],
    ['200 allowed with effect deny', { status: 200, body: '{"allowed":true,"effect":"deny","reason":"r","call":"c","recorded":true}' }, 'inconsistent'],
    ['200 allowed but not recorded', { status: 200, body: '{"allowed":true,"effect":"allow","reason":"r","call":"c","recorded":false}' }, 'did not record'],
    ['200 with allowed as a string', { status: 200, body: '{"allowed":"true","effect":"allow","reason":"r","call":"c","recorded":true}' }, 'without allowed'],
    ['200 with a list', { status: 200, body: '[true]' }, 'not a verdict'],
  ];
  it.each(cases)('%s -> deny', async (_name, answer, reason) => {
    const url = await with_(answer);
    const v = await remoteGovernor({ url, token: TOKEN, timeoutMs: 200 }).check({ tool: 'read_file', args: {} });
    expect(v.allowed).toBe(false);
    expect(v.effect).toBe('deny');
    expect(v.reason).toContain(reason);
  });

  it('a well-formed allow from a service is believed (the benign case)', async () => {
    const url = await with_({ status: 200, body: '{"allowed":true,"effect":"allow","reason":"r","call":"c","recorded":true,"rule":"x","policy":"p"}' });
    expect((await remoteGovernor({ url, token: TOKEN }).check({ tool: 't', args: {} })).allowed).toBe(true);
  });

  it('connection refused -> deny', async () => {
    const f = await fakeService({ status: 200, body: '{}' });
    await new Promise((r) => f.server.close(r));
    const v = await remoteGovernor({ url: f.url, token: TOKEN }).check({ tool: 'read_file', args: {} });
    expect(v.allowed).toBe(false);
    expect(v.reason).toContain('ECONNREFUSED');
  });

  it('a request with no JSON form is denied locally without asking', async () => {
    const url = await with_({ status: 200, body: '{"allowed":true,"effect":"allow","reason":"r","call":"c","recorded":true}' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const v = await remoteGovernor({ url, token: TOKEN }).check({ tool: 't', args: cyclic });
    expect(v.allowed).toBe(false);
  });

  it('refuses bad options', () => {
    expect(() => remoteGovernor({ url: 'ftp://x', token: TOKEN })).toThrow(/http/);
    expect(() => remoteGovernor({ url: 'http://x', token: '' })).toThrow(/token/);
    expect(() => remoteGovernor({ url: 'http://x', token: TOKEN, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => remoteGovernor({ url: 'http://x', token: TOKEN, onWarning: 'log' as never })).toThrow(/onWarning/);
  });
});
