/**
 * The service under bench/serve.ts, in its own process, so its CPU time can be measured apart from
 * the load generator's (process.cpuUsage() here counts every thread of the server: the event loop,
 * the collector, and the file writes). `node` is createDecisionServer (node:http, the shipped
 * server); `hono` is the same decide path (token check, bounded strict body, the same Pipeline) on
 * hono + @hono/node-server, for the framework comparison.
 *
 * Messages from the parent: `cpu` (answers the process's CPU time so far, in µs, and the part of it
 * spent in the kernel) and `stop`
 * (closes the server and the sink, then exits, so `--cpu-prof` can write its profile).
 */
import { openFileAuditSink } from '../src/audit/file-sink.js';
import type { FsyncPolicy } from '../src/audit/sink-options.js';
import { Pipeline } from '../src/enforce/pipeline.js';
import { loadPolicyFiles } from '../src/enforce/load-files.js';
import { createAuthenticator } from '../src/server/auth.js';
import { createDecisionServer } from '../src/server/decision-server.js';
import { parseBody } from '../src/server/http-io.js';
import { createMemoryStore } from '../src/store/memory.js';

/** What the parent passes (as JSON in argv[2]). */
export interface ServeChildData {
  kind: 'node' | 'hono';
  policy: string;
  audit: string;
  token: string;
  fsync: FsyncPolicy;
}

const data = JSON.parse(process.argv[2] as string) as ServeChildData;
const send = (m: unknown): void => void process.send?.(m);
// As warden serve opens its file sink (gather: 'turn'), with the fsync policy under test.
const sink = await openFileAuditSink({ path: data.audit, fsync: data.fsync, gather: 'turn' });
const auth = { tokens: [{ subject: 'bench', token: data.token }] };
let close: () => Promise<void>;
if (data.kind === 'node') {
  const server = await createDecisionServer({ policy: [data.policy], auth, sink, store: createMemoryStore(), port: 0, onWarning: () => undefined });
  const { url } = await server.listen();
  close = () => server.close();
  send({ url });
} else {
  const { Hono } = await import('hono');
  const { serve } = await import('@hono/node-server');
  const pipeline = new Pipeline({ policy: await loadPolicyFiles([data.policy]), sink, state: { store: createMemoryStore() } });
  const authenticate = createAuthenticator(auth);
  const app = new Hono<{ Bindings: { incoming: import('node:http').IncomingMessage } }>();
  app.post('/v1/decide', async (c) => {
    const who = await authenticate(c.env.incoming, new Date());
    if (!who.ok) return c.json({ error: { code: 'unauthenticated' } }, 401);
    const text = await c.req.text();
    if (text.length > 1024 * 1024) return c.json({ error: { code: 'body_too_large' } }, 413);
    const body = parseBody(text);
    const request = 'value' in body ? body.value : {};
    const { verdict } = await pipeline.decide({ request, agent: { id: who.agent.id }, parsedJson: true, ...('problem' in body ? { invalid: body.problem.message } : {}) });
    return c.json({ ...verdict, requestDigest: verdict.requestDigest, revision: null });
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => send({ url: `http://127.0.0.1:${info.port}` }));
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
}

process.on('message', (m: unknown) => {
  if (m === 'cpu') {
    const u = process.cpuUsage();
    send({ cpuUs: u.user + u.system, systemUs: u.system });
  } else if (m === 'stop') {
    void close()
      .then(() => sink.close())
      .finally(() => process.exit(0));
  }
});
