/* global process, performance */
// One governed process for the kill-propagation test and bench (test/runtime/propagation.test.ts,
// bench/kill.ts). It opens the store named by STORE_URL (with REDIS_URL and PG_SCHEMA when given),
// runs a Pipeline under a runtime trusting SIGNER, and answers line-delimited JSON commands on
// standard input: {"op":"call","agent":A} starts an allowed call as A that waits for its abort
// signal and reports when it fired; {"op":"decide","agent":A} reports one decision for A;
// {"op":"exit"} ends. Times are performance.timeOrigin + performance.now() (ms since the epoch,
// sub-millisecond), comparable across processes on one machine.
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const dist = process.env.WARDEN_DIST;
const load = (rel) => import(pathToFileURL(join(dist, rel)).href);
const { Pipeline, compilePolicy } = await load('index.js');
const { createRuntime } = await load('runtime/index.js');
const { openStore } = await load('store/index.js');

const now = () => performance.timeOrigin + performance.now();
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const options = {};
if (process.env.REDIS_URL) options.redis = process.env.REDIS_URL;
if (process.env.PG_SCHEMA) options.schema = process.env.PG_SCHEMA;
if (process.env.REDIS_PREFIX) options.prefix = process.env.REDIS_PREFIX;
const store = await openStore(process.env.STORE_URL, options);
const runtime = createRuntime({ store, signers: [process.env.SIGNER], trust: false, watchMs: Number(process.env.WATCH_MS ?? 100) });
const policy = compilePolicy([{ name: 'p.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: p\ndefault: deny\nrules:\n  - name: ok\n    tools: [slow, read]\n    effect: allow\n    reason: fine\n' }]);
const pipeline = new Pipeline({ policy, runtime });
// Subscriptions start on the first decision; make one so the broadcast is listened to before "ready".
await pipeline.decide({ request: { tool: 'read', args: {} }, agent: { id: 'warm-up' } });
say({ ready: true, pid: process.pid });

for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line);
  if (cmd.op === 'exit') break;
  if (cmd.op === 'call') {
    const { verdict, signal } = await pipeline.decide({ request: { tool: 'slow', args: {} }, agent: { id: cmd.agent } });
    if (!verdict.allowed || signal === undefined) {
      say({ started: cmd.agent, allowed: false, reason: verdict.reason });
      continue;
    }
    signal.addEventListener('abort', () => {
      say({ aborted: cmd.agent, at: now() });
      void pipeline.observe({ call: verdict.call, tool: 'slow' }, { status: 'aborted' });
    }, { once: true });
    say({ started: cmd.agent, allowed: true });
  } else if (cmd.op === 'decide') {
    const t0 = now();
    const { verdict } = await pipeline.decide({ request: { tool: 'read', args: {} }, agent: { id: cmd.agent } });
    say({ decided: cmd.agent, allowed: verdict.allowed, rule: verdict.rule, ms: now() - t0 });
  }
}
await runtime.close();
await store.close();
process.exit(0);
