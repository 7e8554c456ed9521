/**
 * The service under bench/serve.ts, in its own thread (its own core): `node` is createDecisionServer
 * (node:http, the shipped server); `hono` is the same decide path (token check, bounded strict body,
 * the same Pipeline) on hono + @hono/node-server, for the framework comparison.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openFileAuditSink } from '../src/audit/file-sink.js';
import { Pipeline } from '../src/enforce/pipeline.js';
import { loadPolicyFiles } from '../src/enforce/load-files.js';
import { createAuthenticator } from '../src/server/auth.js';
import { createDecisionServer } from '../src/server/decision-server.js';
import { parseBody } from '../src/server/http-io.js';
import { createMemoryStore } from '../src/store/memory.js';

interface Data {
  kind: 'node' | 'hono';
  policy: string;
  audit: string;
  token: string;
}

const data = workerData as Data;
const sink = await openFileAuditSink({ path: data.audit, fsync: 'never' });
const auth = { tokens: [{ subject: 'bench', token: data.token }] };
if (data.kind === 'node') {
  const server = await createDecisionServer({ policy: [data.policy], auth, sink, store: createMemoryStore(), port: 0, onWarning: () => undefined });
  const { url } = await server.listen();
  parentPort?.postMessage({ url });
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
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => parentPort?.postMessage({ url: `http://127.0.0.1:${info.port}` }));
  void server;
}
