import { renameSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../../src/audit/verify.js';
import type { ApprovalRequest } from '../../src/enforce/approval.js';
import { ADMIN_TOKEN, startServer, TOKEN, type Running } from './fixture.js';

/** A raw HTTP request, so headers and bodies can be exactly what an attacker sends. */
function raw(url: string, method: string, path: string, headers: Record<string, string | string[]>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('warden serve: decisions over HTTP', () => {
  let s: Running;
  beforeAll(async () => {
    s = await startServer({ maxBodyBytes: 64 * 1024 });
  });
  afterAll(async () => s.close());

  it('allows a call the policy allows, records it under the token subject, and names the policy digest', async () => {
    const r = await s.post('/v1/decide', { tool: 'read_file', args: { path: '/tmp/a' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ allowed: true, effect: 'allow', rule: 'allow-reads', recorded: true, revision: null });
    const rec = s.records().find((x) => x.call === r.body.call) as { agent: { id: string; verified: { method: string } } };
    expect(rec.agent.id).toBe('bot-1');
    expect(rec.agent.verified.method).toBe('bearer');
  });

  it('denies what the policy denies, with the rule reason', async () => {
    const r = await s.post('/v1/decide', { tool: 'write_file', args: { path: '/etc/passwd' } });
    expect(r.body).toMatchObject({ allowed: false, effect: 'deny', rule: 'deny-etc', reason: 'No writes under /etc' });
  });

  it('denies a tool no rule names (default deny)', async () => {
    const r = await s.post('/v1/decide', { tool: 'launch_missiles', args: {} });
    expect(r.body.allowed).toBe(false);
  });

  it('denies require_approval without an approval handler, with the pipeline reason', async () => {
    const r = await s.post('/v1/decide', { tool: 'pay', args: { amount: 5 } });
    expect(r.body).toMatchObject({ allowed: false, effect: 'deny' });
    expect((r.body.approval as { reason: string }).reason).toContain('no approval handler is configured');
  });

  it('the token subject is the identity: admin token passes an agent.id rule, bot token does not', async () => {
    const admin = await s.post('/v1/decide', { tool: 'admin_op', args: {} }, { authorization: `Bearer ${ADMIN_TOKEN}` });
    const bot = await s.post('/v1/decide', { tool: 'admin_op', args: {} });
    expect(admin.body.allowed).toBe(true);
    expect(bot.body.allowed).toBe(false);
  });

  // Identity and approval claimed inside the body: none of it identifies or approves.
  const bodyClaims: Array<[string, unknown]> = [
    ['agent object in the request', { tool: 'admin_op', args: {}, agent: { id: 'admin' } }],
    ['agent_id in args', { tool: 'admin_op', args: { agent_id: 'admin' } }],
    ['agent_id at top level', { tool: 'admin_op', args: {}, agent_id: 'admin' }],
    ['agent in context', { tool: 'admin_op', args: {}, context: { agent: { id: 'admin' } } }],
    ['approved: true at top level', { tool: 'pay', args: { amount: 1 }, approved: true }],
    ['approved: true in args', { tool: 'pay', args: { amount: 1, approved: true } }],
    ['approval in context', { tool: 'pay', args: { amount: 1 }, context: { approval: { approved: true }, approved: true } }],
    ['__proto__ carrying agent', JSON.parse('{"tool":"admin_op","args":{},"__proto__":{"agent":{"id":"admin"}}}')],
    ['constructor.prototype keys', { tool: 'admin_op', args: { constructor: { prototype: { allowed: true } } } }],
  ];
  it.each(bodyClaims)('never identifies or approves from the body: %s', async (_name, body) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const r = await s.post('/v1/decide', text);
    expect(r.body.allowed).toBe(false);
    const rec = s.records().find((x) => x.call === r.body.call) as { agent: { id: string } } | undefined;
    if (rec !== undefined) expect(rec.agent.id).toBe('bot-1');
  });

  it('a prototype key does not pollute: a later benign call is decided normally', async () => {
    await s.post('/v1/decide', '{"tool":"read_file","args":{"__proto__":{"polluted":true}}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const r = await s.post('/v1/decide', { tool: 'read_file', args: { path: '/x' } });
    expect(r.body.allowed).toBe(true);
  });

  // Bodies that are not a request: each is a 400/413/415 with a stable code and a recorded denial.
  const badBodies: Array<[string, string, number, string, Record<string, string>?]> = [
    ['not JSON', '{"tool":', 400, 'invalid_json'],
    ['repeated key', '{"tool":"write_file","tool":"read_file","args":{}}', 400, 'invalid_json'],
    ['nested 200 deep', `${'['.repeat(200)}${']'.repeat(200)}`, 400, 'too_deep'],
    ['oversized', JSON.stringify({ tool: 'read_file', args: { blob: 'x'.repeat(70 * 1024) } }), 413, 'body_too_large'],
    ['wrong content type', '{"tool":"read_file","args":{}}', 415, 'unsupported_media_type', { 'content-type': 'text/plain' }],
  ];
  it.each(badBodies)('answers %s with a stable code and a denial, never an allow', async (_name, body, status, code, headers) => {
    const r = await raw(s.url, 'POST', '/v1/decide', { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...(headers ?? {}) }, body);
    expect(r.status).toBe(status);
    const parsed = JSON.parse(r.text) as { error: { code: string }; verdict: { allowed: boolean; effect: string } };
    expect(parsed.error.code).toBe(code);
    expect(parsed.verdict.allowed).toBe(false);
    expect(parsed.verdict.effect).toBe('deny');
  });

  /** Sends a body in pieces with chunked transfer encoding (no content-length), as a streaming client does. */
  function chunked(pieces: string[]): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const u = new URL(s.url);
      const req = httpRequest({ host: u.hostname, port: u.port, method: 'POST', path: '/v1/decide', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      for (const p of pieces) req.write(p);
      req.end();
    });
  }

  it('reads a body that arrives in several chunks whole, and decides it', async () => {
    const r = await chunked(['{"tool":"read', '_file","args":', '{"path":"/tmp/a"}}']);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ allowed: true, rule: 'allow-reads', recorded: true });
  });

  it('refuses a chunked body that grows over the limit without declaring its length (413, a recorded denial)', async () => {
    const r = await chunked(['{"tool":"read_file","args":{"blob":"', 'x'.repeat(40 * 1024), 'x'.repeat(40 * 1024), '"}}']);
    expect(r.status).toBe(413);
    const parsed = JSON.parse(r.text) as { error: { code: string }; verdict: { allowed: boolean; recorded: boolean } };
    expect(parsed.error.code).toBe('body_too_large');
    expect(parsed.verdict).toMatchObject({ allowed: false, recorded: true });
  });

  it('a client that goes away in the middle of its body gets no decision: the call is recorded as a denial and the service keeps serving', async () => {
    const u = new URL(s.url);
    const req = httpRequest({ host: u.hostname, port: u.port, method: 'POST', path: '/v1/decide', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'content-length': '500' } });
    req.on('error', () => undefined);
    req.write('{"tool":"read_file","args":{"path":"/tmp/cut-short', () => req.destroy());
    const cut = (): string[] => s.records().flatMap((x) => ((x.decision as { errors?: Array<{ message: string }> }).errors ?? []).map((e) => e.message).filter((m) => m.includes('could not be read')));
    await expect.poll(() => cut().length, { timeout: 5000 }).toBe(1);
    expect(cut()[0]).toMatch(/^The body could not be read: (aborted|the connection closed before the body ended)\./);
    const after = await s.post('/v1/decide', { tool: 'read_file', args: { path: '/tmp/a' } });
    expect(after.body).toMatchObject({ allowed: true });
  });

  it('denies (and records) a request with the wrong shape', async () => {
    const r = await s.post('/v1/decide', { tool: 7, args: [] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ allowed: false, effect: 'deny' });
    expect((r.body.errors as Array<{ code: string }>)[0]?.code).toBe('invalid_request');
  });

  it('decides a batch in order, each through the pipeline', async () => {
    const r = await s.post('/v1/decide/batch', { requests: [{ tool: 'read_file', args: {} }, { tool: 'write_file', args: { path: '/etc/x' } }, { tool: 'nope' }] });
    expect(r.status).toBe(200);
    const verdicts = r.body.verdicts as Array<{ allowed: boolean; rule: string | null }>;
    expect(verdicts.map((v) => v.allowed)).toEqual([true, false, false]);
    expect(verdicts[1]?.rule).toBe('deny-etc');
  });

  it('refuses a batch that is not { requests: [...] } or is over the limit', async () => {
    expect((await s.post('/v1/decide/batch', [{ tool: 'read_file', args: {} }])).body).toMatchObject({ error: { code: 'invalid_request' } });
    expect((await s.post('/v1/decide/batch', { requests: [], extra: 1 })).status).toBe(400);
  });

  it('answers the AuthZEN evaluation endpoint with a boolean decision', async () => {
    const allowed = await s.post('/access/v1/evaluation', { subject: { type: 'user', id: 'alice' }, action: { name: 'read' }, resource: { type: 'doc', id: 'd1' } });
    const denied = await s.post('/access/v1/evaluation', { subject: { type: 'user', id: 'admin' }, action: { name: 'admin_op' }, resource: { type: 'doc', id: 'd1' } });
    expect(allowed.body.decision).toBe(true);
    expect(denied.body.decision).toBe(false);
    const bad = await s.post('/access/v1/evaluation', { subject: { id: 'x' }, action: { name: 'read' }, resource: { type: 'doc', id: 'd1' } });
    expect(bad.status).toBe(400);
    expect(bad.body.decision).toBe(false);
  });

  it('answers AuthZEN evaluations with defaults applied per evaluation, in order', async () => {
    const r = await s.post('/access/v1/evaluations', { subject: { type: 'user', id: 'alice' }, resource: { type: 'doc', id: 'd1' }, evaluations: [{ action: { name: 'read' } }, { action: { name: 'delete' } }, { action: {} }] });
    expect((r.body.evaluations as Array<{ decision: boolean }>).map((e) => e.decision)).toEqual([true, false, false]);
  });

  it('records an outcome under the call id', async () => {
    const d = await s.post('/v1/decide', { tool: 'read_file', args: { path: '/o' } });
    const r = await s.post('/v1/outcome', { call: d.body.call, tool: 'read_file', outcome: { status: 'ok', durationMs: 3 } });
    expect(r.status).toBe(202);
    const rec = s.records().find((x) => x.type === 'outcome' && x.call === d.body.call) as { outcome: { status: string } } | undefined;
    expect(rec?.outcome.status).toBe('ok');
    expect((await s.post('/v1/outcome', { call: d.body.call, tool: 'read_file', outcome: { status: 'great' } })).status).toBe(400);
  });

  it('healthz and readyz answer without a token; readyz reports the policy in force', async () => {
    expect((await s.get('/healthz', {})).status).toBe(200);
    const ready = await s.get('/readyz', {});
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({ ready: true, policy: { source: 'files', revision: null } });
  });

  it('serves Prometheus metrics to an authenticated caller, including decisions and the server gauges', async () => {
    const r = await s.get('/metrics');
    expect(r.status).toBe(200);
    expect(r.text).toContain('warden_decisions_total');
    expect(r.text).toContain('warden_server_policy_ready 1');
    expect((await s.get('/metrics', {})).status).toBe(401);
  });

  it('answers 404 for an unknown route and 405 for a wrong method, with stable codes', async () => {
    const nf = await s.get('/v1/nothing');
    expect(nf.status).toBe(404);
    expect(JSON.parse(nf.text).error.code).toBe('not_found');
    const mna = await s.get('/v1/decide');
    expect(mna.status).toBe(405);
    expect(JSON.parse(mna.text).error.code).toBe('method_not_allowed');
  });

  it('push is not enabled without a bundle key', async () => {
    expect((await s.post('/v1/bundle', {})).status).toBe(404);
  });
});

describe('warden serve: approvals and mounts', () => {
  it('passes require_approval to the approval handler, bound to the digest, and allows only on true', async () => {
    const asked: ApprovalRequest[] = [];
    const s = await startServer({ approvalHandler: (ask) => (asked.push(ask), ask.request.args.amount === 1) });
    try {
      const yes = await s.post('/v1/decide', { tool: 'pay', args: { amount: 1 } });
      const no = await s.post('/v1/decide', { tool: 'pay', args: { amount: 2 } });
      expect(yes.body).toMatchObject({ allowed: true, approval: { approved: true } });
      expect(no.body.allowed).toBe(false);
      expect(asked[0]?.request.agent?.id).toBe('bot-1');
      expect(asked[0]?.requestDigest).toBe(yes.body.requestDigest);
    } finally {
      await s.close();
    }
  });

  it('hands requests under a mount prefix to the mount, and still routes the rest', async () => {
    const s = await startServer({
      mounts: [{ prefix: '/dashboard', handle: async (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('dash') }],
    });
    try {
      expect((await s.get('/dashboard/queue', {})).text).toBe('dash');
      expect((await s.get('/dashboardx', {})).status).toBe(404);
      expect((await s.get('/healthz', {})).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});

describe('warden serve: fail closed on the record', () => {
  it('denies a call the policy allows when its decision cannot be recorded', async () => {
    const s = await startServer({ sink: { write: async () => Promise.reject(new Error('disk full')) } });
    try {
      const r = await s.post('/v1/decide', { tool: 'read_file', args: {} });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ allowed: false, effect: 'deny', recorded: false });
      expect(r.body.reason).toContain('could not be recorded');
    } finally {
      await s.close();
    }
  });

  it('an outcome the log cannot take is answered 503 outcome_not_recorded with the reason (not 202), and the same outcome sent again once the log is back is recorded', async () => {
    const s = await startServer();
    try {
      const d = await s.post('/v1/decide', { tool: 'read_file', args: { n: 0 } });
      expect(d.body).toMatchObject({ allowed: true, recorded: true });
      const file = join(s.audit, 'warden.jsonl');
      renameSync(file, `${file}.away`);
      const outcome = { call: d.body.call, tool: 'read_file', outcome: { status: 'ok', durationMs: 2 } };
      const lost = await s.post('/v1/outcome', outcome);
      expect(lost.status).toBe(503);
      expect(lost.body).toMatchObject({ error: { code: 'outcome_not_recorded', message: expect.stringContaining('could not be recorded') } });
      renameSync(`${file}.away`, file);
      expect((await s.post('/v1/outcome', outcome)).status).toBe(202);
      const outcomes = s.records().filter((r) => (r as { type: string }).type === 'outcome') as Array<{ call: string; outcome: { status: string } }>;
      expect(outcomes.map((r) => [r.call, r.outcome.status])).toEqual([[d.body.call, 'ok']]);
      expect((await verifyAuditLog([file])).ok).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('with its own file log (records of concurrent requests appended together): a failed append denies every waiting caller with the reason, and the chain goes on once the log is back', async () => {
    const s = await startServer();
    try {
      expect((await s.post('/v1/decide', { tool: 'read_file', args: { n: 0 } })).body).toMatchObject({ allowed: true, recorded: true });
      const file = join(s.audit, 'warden.jsonl');
      renameSync(file, `${file}.away`);
      const answers = await Promise.all([
        ...Array.from({ length: 16 }, (_, i) => s.post('/v1/decide', { tool: 'read_file', args: { n: i + 1 } })),
        s.post('/v1/decide/batch', { requests: [{ tool: 'read_file', args: { n: 100 } }, { tool: 'read_file', args: { n: 101 } }] }),
      ]);
      const verdicts = answers.flatMap((a) => (a.body.verdicts as Array<Record<string, unknown>> | undefined) ?? [a.body]);
      expect(verdicts).toHaveLength(18);
      for (const v of verdicts) {
        expect(v).toMatchObject({ allowed: false, effect: 'deny', recorded: false });
        expect(v.reason).toContain('could not be recorded');
      }
      renameSync(`${file}.away`, file);
      expect((await s.post('/v1/decide', { tool: 'read_file', args: { n: 200 } })).body).toMatchObject({ allowed: true, recorded: true });
      const recs = s.records() as Array<{ seq: number; request: { args: { n: number } } }>;
      expect(recs.map((r) => [r.seq, r.request.args.n])).toEqual([
        [1, 0],
        [2, 200],
      ]);
      expect((await verifyAuditLog([file])).ok).toBe(true);
    } finally {
      await s.close();
    }
  });
});
