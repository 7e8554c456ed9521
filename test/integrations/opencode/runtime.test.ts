/**
 * The OpenCode adapter inside the real OpenCode runtime (the pinned `opencode-linux-x64` binary .ci/run unpacks, run
 * headless with `opencode run`), driven by a scripted model served as an OpenAI-compatible endpoint
 * on loopback. The plugin file is loaded by OpenCode itself, as a user's `.opencode` plugin is:
 * allowed calls run, denied ones never run and the model reads the reason, and an approval goes
 * through OpenCode's own permission prompt (answered by `run --auto`, or rejected by plain `run`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
// .ci/run unpacks the pinned opencode-linux-x64 binary there (ci_use_opencode in .ci/node.sh), or WARDEN_OPENCODE names one.
const BINARY = process.env.WARDEN_OPENCODE ?? join(ROOT, '.ci', 'opencode-1.18.33', 'bin', 'opencode');
const present = existsSync(BINARY);
if (!present && process.env.CI) throw new Error(`The OpenCode binary is missing at ${BINARY}; CI must run the OpenCode runtime tests (.ci/run installs it with ci_use_opencode).`);
if (!present) console.warn(`OpenCode runtime tests skipped: no binary at ${BINARY}. Run: bash -c 'source .ci/node.sh; ci_use_opencode $OPENCODE_VERSION $OPENCODE_INTEGRITY' (linux x64), or set WARDEN_OPENCODE.`);

const POLICY = `
apiVersion: warden/v1
kind: Policy
name: opencode-test
default: deny
rules:
  - name: no-forbidden-echo
    tools: [bash]
    when: "args.command.contains('forbidden')"
    effect: deny
    reason: The word forbidden is never echoed
  - name: shell-ok
    tools: [bash]
    effect: allow
  - name: refunds-need-finance
    tools: [refund]
    effect: require_approval
    approvers: [finance]
    reason: Refunds need finance
`;

type ToolCall = { id: string; name: string; args: Record<string, unknown> };
type Turn = ToolCall[] | string;

/** A scripted OpenAI-compatible chat completions endpoint: plays its turns for the agent, titles otherwise. */
class ScriptedModel {
  readonly toolMessages: Array<{ id: string; content: string }> = [];
  #turns: Turn[] = [];
  #server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body || '{}') as { tools?: unknown[]; messages?: Array<{ role: string; tool_call_id?: string; content?: unknown }> };
      for (const m of parsed.messages ?? []) {
        if (m.role === 'tool' && typeof m.tool_call_id === 'string' && !this.toolMessages.some((t) => t.id === m.tool_call_id)) this.toolMessages.push({ id: m.tool_call_id, content: JSON.stringify(m.content) });
      }
      const turn: Turn = Array.isArray(parsed.tools) && parsed.tools.length > 0 ? (this.#turns.shift() ?? 'done') : 'title';
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: unknown, finish: string | null = null): void => {
        res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
      };
      if (typeof turn === 'string') {
        chunk({ role: 'assistant', content: turn });
        chunk({}, 'stop');
      } else {
        chunk({ role: 'assistant', tool_calls: turn.map((t, index) => ({ index, id: t.id, type: 'function', function: { name: t.name, arguments: JSON.stringify(t.args) } })) });
        chunk({}, 'tool_calls');
      }
      res.end('data: [DONE]\n\n');
    });
  });

  async listen(): Promise<number> {
    await new Promise<void>((ok) => this.#server.listen(0, '127.0.0.1', ok));
    return (this.#server.address() as AddressInfo).port;
  }
  script(turns: Turn[]): void {
    this.#turns = [...turns];
    this.toolMessages.length = 0;
  }
  close(): Promise<void> {
    return new Promise((ok) => this.#server.close(() => ok()));
  }
}

let dir = '';
let model: ScriptedModel;

beforeAll(async () => {
  if (!present) return;
  model = new ScriptedModel();
  const port = await model.listen();
  dir = mkdtempSync(join(tmpdir(), 'warden-opencode-'));
  const project = join(dir, 'project');
  const home = join(dir, 'home');
  for (const d of [project, home]) rmSync(d, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => Promise.all([fs.mkdir(project, { recursive: true }), fs.mkdir(home, { recursive: true })]));
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  // The user's plugin file, as docs/integrations/opencode.md shows it (imports point at this checkout's sources).
  writeFileSync(
    join(dir, 'warden.ts'),
    `import { appendFileSync } from 'node:fs';
import { tool } from ${JSON.stringify(join(ROOT, 'node_modules/@opencode-ai/plugin/dist/index.js'))};
import { Governor } from ${JSON.stringify(join(ROOT, 'src/enforce/governor.ts'))};
import { loadPolicyFiles } from ${JSON.stringify(join(ROOT, 'src/enforce/load-files.ts'))};
import { openFileAuditSink } from ${JSON.stringify(join(ROOT, 'src/audit/file-sink.ts'))};
import { governOpenCode } from ${JSON.stringify(join(ROOT, 'src/integrations/opencode/index.ts'))};

const governor = new Governor({
  policy: await loadPolicyFiles([${JSON.stringify(join(dir, 'policy.yaml'))}]),
  sink: await openFileAuditSink({ path: ${JSON.stringify(join(dir, 'audit'))} }),
  agent: { id: 'opencode-agent' },
});
const refund = tool({
  description: 'Refund an order',
  args: { order: tool.schema.string(), amount: tool.schema.number() },
  async execute(args) {
    appendFileSync(${JSON.stringify(join(dir, 'refunds.log'))}, JSON.stringify(args) + '\\n');
    return 'refunded ' + args.amount;
  },
});
export const Warden = governOpenCode({ governor, approver: 'tester', tools: { refund } }).plugin;
`,
  );
  // A probe beside Warden: it records that OpenCode loaded it, and every call of the permission.ask
  // hook @opencode-ai/plugin declares (docs/integrations/opencode.md says 1.18 never calls it).
  writeFileSync(
    join(dir, 'probe.ts'),
    `import { appendFileSync } from 'node:fs';
export const PermissionAskProbe = async () => {
  appendFileSync(${JSON.stringify(join(dir, 'probe-loaded.log'))}, 'loaded\\n');
  return { 'permission.ask': async (input) => appendFileSync(${JSON.stringify(join(dir, 'permission-ask.log'))}, JSON.stringify(input) + '\\n') };
};
`,
  );
  writeFileSync(
    join(project, 'opencode.json'),
    JSON.stringify({
      provider: { scripted: { npm: '@ai-sdk/openai-compatible', name: 'Scripted', options: { baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused' }, models: { m: { name: 'm' } } } },
      model: 'scripted/m',
      plugin: [`file://${join(dir, 'probe.ts')}`, `file://${join(dir, 'warden.ts')}`],
      permission: { warden: 'ask' },
      autoupdate: false,
      share: 'disabled',
    }),
  );
}, 60_000);

afterAll(async () => {
  if (!present) return;
  await model.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const home = join(dir, 'home');
  // Only what OpenCode needs: the test runner's own variables are none of its business.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.data'), XDG_CACHE_HOME: join(home, '.cache'), OPENCODE_DISABLE_MODELS_FETCH: '1', OPENCODE_DISABLE_AUTOUPDATE: '1' };
  return new Promise((ok, fail) => {
    const child = spawn(BINARY, ['run', ...args], { cwd: join(dir, 'project'), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', fail);
    child.once('close', (code) => {
      if (code !== 0) console.error(`opencode run exited ${code}:\n${stderr.slice(-4000)}`);
      ok({ code, stdout, stderr });
    });
  });
}

function auditRecords(): Array<Record<string, unknown>> {
  const auditDir = join(dir, 'audit');
  const lines: string[] = [];
  for (const f of existsSync(auditDir) ? readdirSync(auditDir) : []) if (f.endsWith('.jsonl')) lines.push(...readFileSync(join(auditDir, f), 'utf8').split('\n').filter(Boolean));
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

type AuditRecord = { type: string; call: string; decision?: { effect: string }; outcome?: { effect?: string; executed?: boolean; status?: string; approval?: { approved: boolean; by?: string } } };

/** Each record of a call as [type, decided effect, final effect or outcome status, executed, approved by]. */
function recordsOf(callId: string): unknown[][] {
  return (auditRecords() as AuditRecord[]).filter((r) => r.call === callId).map((r) => [r.type, r.decision?.effect, r.outcome?.effect ?? r.outcome?.status, r.outcome?.executed, r.outcome?.approval?.by]);
}

describe.runIf(present)('governOpenCode in the OpenCode runtime', () => {
  it('runs an allowed bash call, never runs a denied one, and the model reads the reason; both are recorded under OpenCode call ids', async () => {
    const marker = join(dir, 'forbidden-ran');
    model.script([
      [{ id: 'call_ok', name: 'bash', args: { command: 'echo governed-hello', description: 'say hello' } }],
      [{ id: 'call_no', name: 'bash', args: { command: `echo forbidden > ${marker}`, description: 'forbidden' } }],
    ]);
    const result = await run(['go']);
    expect(result.code).toBe(0);
    expect(existsSync(marker)).toBe(false);
    const denied = model.toolMessages.find((m) => m.id === 'call_no');
    expect(denied?.content).toContain('Warden denied \\"bash\\": The word forbidden is never echoed');
    expect(model.toolMessages.find((m) => m.id === 'call_ok')?.content).toContain('governed-hello');
    expect(recordsOf('call_ok')).toEqual([
      ['decision', 'allow', 'allow', true, undefined],
      ['outcome', undefined, 'ok', undefined, undefined],
    ]);
    expect(recordsOf('call_no')).toEqual([['decision', 'deny', 'deny', false, undefined]]);
  }, 120_000);

  it('asks for a refund through OpenCode\'s permission prompt and runs it once the prompt is approved (run --auto answers "once")', async () => {
    model.script([[{ id: 'call_refund_yes', name: 'refund', args: { order: 'A-1', amount: 50 } }]]);
    const result = await run(['--auto', 'refund A-1']);
    expect(result.code).toBe(0);
    expect(readFileSync(join(dir, 'refunds.log'), 'utf8')).toContain('"order":"A-1"');
    expect(model.toolMessages.find((m) => m.id === 'call_refund_yes')?.content).toContain('refunded 50');
    expect(recordsOf('call_refund_yes')).toEqual([
      ['decision', 'require_approval', 'require_approval', false, undefined],
      ['decision', 'require_approval', 'allow', true, 'tester'],
      ['outcome', undefined, 'ok', undefined, undefined],
    ]);
    // OpenCode put the request to a person without calling any plugin's permission.ask hook: the
    // reason built-in tools cannot ask through it (docs/integrations/opencode.md, Not covered).
    expect(readFileSync(join(dir, 'probe-loaded.log'), 'utf8')).toContain('loaded');
    expect(existsSync(join(dir, 'permission-ask.log'))).toBe(false);
  }, 120_000);

  it('denies the refund when the prompt is rejected (plain run rejects every prompt), and the refund never runs', async () => {
    model.script([[{ id: 'call_refund_no', name: 'refund', args: { order: 'B-2', amount: 70 } }]]);
    const result = await run(['refund B-2']);
    expect(result.code).toBe(0);
    const refunds = existsSync(join(dir, 'refunds.log')) ? readFileSync(join(dir, 'refunds.log'), 'utf8') : '';
    expect(refunds).not.toContain('B-2');
    expect(recordsOf('call_refund_no')).toEqual([
      ['decision', 'require_approval', 'require_approval', false, undefined],
      ['decision', 'require_approval', 'deny', false, 'tester'],
    ]);
    expect(model.toolMessages.find((m) => m.id === 'call_refund_no')?.content).toContain('Warden denied');
  }, 120_000);
});
