/** A real decision service on an ephemeral loopback port, with a temporary audit log and memory state. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDecisionServer, type DecisionServer, type DecisionServerOptions } from '../../src/server/decision-server.js';
import { createMemoryStore } from '../../src/store/memory.js';

export const POLICY_YAML = `apiVersion: warden/v1
kind: Policy
name: serve-tests
default: deny
rules:
  - name: allow-reads
    tools: [read_file, read]
    effect: allow
  - name: admin-only
    tools: [admin_op]
    when: "agent.id == 'admin'"
    effect: allow
  - name: approve-payments
    tools: [pay]
    effect: require_approval
    approvers: [finance]
    reason: Payments need finance
  - name: deny-etc
    tools: [write_file]
    when: "args.path.startsWith('/etc/')"
    effect: deny
    reason: No writes under /etc
  - name: allow-writes
    tools: [write_file]
    effect: allow
`;

export const TOKEN = 'tok-bot-0123456789abcdef';
export const ADMIN_TOKEN = 'tok-admin-0123456789abcdef';

export interface Running {
  server: DecisionServer;
  url: string;
  dir: string;
  audit: string;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; text: string }>;
  records(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export function tempDir(prefix = 'warden-serve-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writePolicy(dir: string, text = POLICY_YAML): string {
  const path = join(dir, 'policy.yaml');
  writeFileSync(path, text);
  return path;
}

/** Starts a service; by default under POLICY_YAML with the bot and admin tokens. */
export async function startServer(extra: Partial<DecisionServerOptions> = {}, dir = tempDir()): Promise<Running> {
  const audit = join(dir, 'audit');
  const options: DecisionServerOptions = {
    ...(extra.bundle === undefined ? { policy: [writePolicy(dir)] } : {}),
    auth: { tokens: [{ subject: 'bot-1', token: TOKEN }, { subject: 'admin', token: ADMIN_TOKEN }] },
    audit,
    store: createMemoryStore(),
    port: 0,
    onWarning: () => undefined,
    ...extra,
  };
  const server = await createDecisionServer(options);
  const { url } = await server.listen();
  const auth = { authorization: `Bearer ${TOKEN}` };
  return {
    server,
    url,
    dir,
    audit,
    async post(path, body, headers = auth) {
      const r = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
      const text = await r.text();
      return { status: r.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
    },
    async get(path, headers = auth) {
      const r = await fetch(url + path, { headers });
      return { status: r.status, text: await r.text() };
    },
    records() {
      const file = join(audit, 'warden.jsonl');
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return [];
      }
      return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
