/**
 * A real node:http server hosting the dashboard mount beside a tiny decide endpoint built on the
 * real Governor, whose approval handler is the approval queue's: a caller of /v1/decide blocks on
 * a require_approval decision until someone answers in the dashboard. Everything runs on one
 * SQLite store, a file audit log and a runtime with a kill switch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileAuditSink, type FileAuditSink } from '../../src/audit/file-sink.js';
import { generateKeyPair } from '../../src/audit/keys.js';
import { createDashboard, type DashboardOptions } from '../../src/dashboard/index.js';
import { Governor } from '../../src/enforce/governor.js';
import type { Verdict } from '../../src/enforce/verdict.js';
import { createIdentity } from '../../src/identity/agent-key.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { createRuntime, type Runtime } from '../../src/runtime/runtime.js';
import { openApprovalQueue, type ApprovalItem, type ApprovalQueue } from '../../src/server/approval-queue.js';
import { createSre } from '../../src/sre/runtime.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';

export const POLICY = `apiVersion: warden/v1
kind: Policy
name: dashboard-tests
default: deny
rules:
  - name: approve-payments
    tools: [pay]
    effect: require_approval
    approvers: [finance]
    reason: Payments need finance
  - name: allow-reads
    tools: [read]
    effect: allow
`;

/** Logins of the fixture: alice approves payments and may kill; viewer only watches. */
export const ALICE = { name: 'alice', token: 'alice-token-0123456789abcdef', roles: ['finance', 'kill'] };
export const VIEWER = { name: 'viewer', token: 'viewer-token-0123456789abcdef', roles: [] as string[] };

export interface Fixture {
  base: string;
  queue: ApprovalQueue;
  runtime: Runtime;
  sink: FileAuditSink;
  auditDir: string;
  /** Calls the decide endpoint as `agent`; resolves when the decision is final (after any approval). */
  decide(tool: string, args: Record<string, unknown>, agent?: string): Promise<Pick<Verdict, 'allowed' | 'effect' | 'reason' | 'call'> & { approval?: Verdict['approval'] }>;
  /** Resolves with the first pending item once the queue lists one (reads the store; no fixed wait). */
  parked(): Promise<ApprovalItem>;
  close(): Promise<void>;
}

/** `extra`: dashboard options, or a function of the server's base URL giving them (for an OIDC redirect URI). */
export async function startFixture(extra: Partial<DashboardOptions> | ((base: string) => Partial<DashboardOptions> | Promise<Partial<DashboardOptions>>) = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-dashboard-'));
  const auditDir = join(dir, 'audit');
  const store: Store = openSqliteStore({ path: join(dir, 'state.db') });
  const ops = createIdentity();
  const runtime = createRuntime({ store, signers: [ops.did], watchMs: 20 });
  const queue = await openApprovalQueue({ store, pollMs: 20 });
  const auditKeys = generateKeyPair();
  const sink = await openFileAuditSink({ path: join(auditDir, 'main.jsonl'), fsync: 'never', checkpointIntervalMs: 0, signingKey: auditKeys.privateKey, checkpointEvery: 3 });
  const policy = compilePolicy([{ name: 'policy.yaml', text: POLICY }]);
  const sre = createSre({ slos: [{ name: 'payments', tools: ['pay'], objective: 0.99 }] });
  const governor = new Governor({ policy, sink, runtime, monitors: [sre], approvalHandler: queue.handler({ timeoutMs: 120_000 }), approvalTimeoutMs: 120_000 });
  const mounted: { ui?: ReturnType<typeof createDashboard> } = {};

  const server: Server = createServer((req, res) => {
    const ui = mounted.ui;
    if (ui !== undefined && req.url?.startsWith(ui.prefix)) {
      void ui.handle(req, res);
      return;
    }
    if (req.method === 'POST' && req.url === '/v1/decide') {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => {
        void (async () => {
          const { tool, args, agent } = JSON.parse(body) as { tool: string; args: Record<string, unknown>; agent: string };
          const v = await governor.check({ tool, args, agent: { id: agent } });
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ allowed: v.allowed, effect: v.effect, reason: v.reason, call: v.call, approval: v.approval }));
        })();
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mounted.ui = createDashboard({ logins: [ALICE, VIEWER], queue, audit: auditDir, runtime, killKey: ops, sre, policyRevision: 'rev-42', verifyCacheMs: 1, auditPublicKey: auditKeys.publicKey, ...(typeof extra === 'function' ? await extra(base) : extra) });

  return {
    base,
    queue,
    runtime,
    sink,
    auditDir,
    async decide(tool, args, agent = 'bot-1') {
      const r = await fetch(`${base}/v1/decide`, { method: 'POST', body: JSON.stringify({ tool, args, agent }) });
      return (await r.json()) as Awaited<ReturnType<Fixture['decide']>>;
    },
    async parked() {
      for (;;) {
        const items = await queue.list();
        if (items.length > 0) return items[0] as ApprovalItem;
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.close();
      await runtime.close();
      await sink.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Logs in with fetch (as a browser would: the login page's cookie and CSRF token, then the form); returns the session cookie and the session's CSRF token. */
export async function login(base: string, token: string): Promise<{ cookie: string; csrf: string }> {
  const page = await fetch(`${base}/ui/login`);
  const loginCookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const loginCsrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const r = await fetch(`${base}/ui/login`, { method: 'POST', redirect: 'manual', headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf: loginCsrf, token }).toString() });
  if (r.status !== 303) throw new Error(`login failed: ${r.status}`);
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const home = await fetch(`${base}/ui/`, { headers: { cookie } });
  const csrf = /name="csrf" value="([^"]+)"/.exec(await home.text())?.[1] ?? '';
  return { cookie, csrf };
}
