/**
 * The Claude Agent SDK adapter with the real SDK: `query()` runs the real Claude Code binary the
 * SDK ships, whose model is a local server speaking the Anthropic Messages API (the SDK has no mock
 * model; this is the documented wire shape). The tool is an in-process SDK MCP tool, so every real
 * run is counted.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createSdkMcpServer, query, tool, type CanUseTool } from '@anthropic-ai/claude-agent-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Governor } from '../../../src/enforce/governor.js';
import { MemorySink } from '../../../src/enforce/memory-sink.js';
import { governClaudeAgent, type GovernClaudeAgentOptions } from '../../../src/integrations/claude-agent-sdk/index.js';
import { compilePolicy } from '../../../src/policy/compile.js';
import { startFakeAnthropic, type FakeAnthropic, type Turn } from '../../helpers/fake-anthropic.js';

const policy = compilePolicy([
  {
    name: 'shop.yaml',
    text: `
apiVersion: warden/v1
kind: Policy
name: shop
default: deny
rules:
  - name: no-big-refunds
    tools: [mcp__shop__refund]
    when: "args.amount > 100"
    effect: deny
    reason: Refunds over 100 are never made by agents
  - name: approve-refunds
    tools: [mcp__shop__refund]
    when: "args.amount > 10"
    effect: require_approval
    approvers: [finance]
    reason: Refunds over 10 need finance
  - name: small-refunds
    tools: [mcp__shop__refund]
    effect: allow
`,
  },
]);

// The SDK runs a native Claude Code binary from a per-platform package; without it nothing here can run.
const binary = (() => {
  try {
    const sdk = createRequire(import.meta.url).resolve('@anthropic-ai/claude-agent-sdk');
    return join(dirname(sdk), '..', `claude-agent-sdk-${process.platform}-${process.arch}`, 'claude');
  } catch {
    return '';
  }
})();
const available = binary !== '' && existsSync(binary);
if (!available && process.env.CI) throw new Error(`The Claude Agent SDK's binary for ${process.platform}-${process.arch} is missing (${binary}); CI must run these tests: npm ci installs it.`);
if (!available) console.warn(`claude-agent-sdk tests skipped: no Claude Code binary at ${binary} (run npm ci on linux-x64 or darwin).`);

let home: string;
let api: FakeAnthropic | undefined;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'warden-claude-sdk-'));
});
afterEach(async () => {
  await api?.close();
  api = undefined;
  rmSync(home, { recursive: true, force: true });
});

/** Runs one query with the shop's refund tool; returns what ran and the final result text. */
async function runShop(turns: Turn[], governed: Omit<GovernClaudeAgentOptions, 'governor'>, governor: Governor): Promise<{ ran: unknown[]; result: string }> {
  api = await startFakeAnthropic(turns, 'mcp__shop__');
  const ran: unknown[] = [];
  const shop = createSdkMcpServer({
    name: 'shop',
    tools: [
      tool('refund', 'Refund an order', { order: z.string(), amount: z.number() }, async (args) => {
        ran.push(args);
        return { content: [{ type: 'text', text: `refunded ${args.amount} on ${args.order}` }] };
      }),
    ],
  });
  let result = '';
  const env = { ...process.env, HOME: home, ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'sk-test', ENABLE_TOOL_SEARCH: 'false', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1' };
  for await (const message of query({ prompt: 'sort out the refunds', options: { mcpServers: { shop }, cwd: home, settingSources: [], maxTurns: 4, env, ...governClaudeAgent({ governor, ...governed }) } })) {
    if (message.type === 'result' && message.subtype === 'success') result = message.result;
  }
  return { ran, result };
}

/** What the model was sent back for a tool use id (the tool_result's text). */
function toolResult(id: string): string {
  for (const request of api?.seen ?? []) {
    for (const m of request.messages) {
      if (!Array.isArray(m.content)) continue;
      for (const part of m.content as Array<{ type?: string; tool_use_id?: string; content?: unknown }>) {
        if (part.type === 'tool_result' && part.tool_use_id === id) return JSON.stringify(part.content);
      }
    }
  }
  return '(none)';
}

const refund = (id: string, amount: number): Turn => ({ tools: [{ id, name: 'mcp__shop__refund', input: { order: `O-${id}`, amount } }] });

describe.skipIf(!available)('governClaudeAgent with the real Claude Agent SDK', () => {
  it('runs an allowed call, denies a denied one with the reason the model sees, and records both with their outcome', async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink, agent: { id: 'claude-agent' } });
    const { ran } = await runShop([{ tools: [...(refund('toolu_small', 5) as { tools: never[] }).tools, ...(refund('toolu_big', 500) as { tools: never[] }).tools] }, { text: 'done' }], {}, governor);
    expect(ran).toEqual([{ order: 'O-toolu_small', amount: 5 }]);
    expect(toolResult('toolu_big')).toContain('Refunds over 100 are never made by agents');
    expect(sink.events.map((e) => [e.call, e.decision.rule, e.outcome?.executed, e.agent?.id]).sort()).toEqual([
      ['toolu_big', 'no-big-refunds', false, 'claude-agent'],
      ['toolu_small', 'small-refunds', true, 'claude-agent'],
    ]);
    expect(sink.outcomes.map((o) => [o.call, o.outcome.status])).toEqual([['toolu_small', 'ok']]);
  }, 60_000);

  it("require_approval asks through canUseTool; the person's allow runs exactly the paused call, recorded with who approved", async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink });
    const asked: string[] = [];
    const canUseTool: CanUseTool = async (name, input, { toolUseID }) => {
      asked.push(`${name} ${toolUseID} ${JSON.stringify(input)}`);
      return { behavior: 'allow', updatedInput: input };
    };
    const { ran } = await runShop([refund('toolu_mid', 50), { text: 'done' }], { canUseTool, approver: 'alice@example.com' }, governor);
    expect(asked).toEqual(['mcp__shop__refund toolu_mid {"order":"O-toolu_mid","amount":50}']);
    expect(ran).toEqual([{ order: 'O-toolu_mid', amount: 50 }]);
    expect(sink.events.map((e) => [e.call, e.decision.effect, e.outcome?.executed])).toEqual([
      ['toolu_mid', 'require_approval', false],
      ['toolu_mid', 'require_approval', true],
    ]);
    expect(sink.events[1]?.outcome).toMatchObject({ effect: 'allow', approval: { approved: true, by: 'alice@example.com', requestDigest: sink.events[1]?.outcome?.approval?.requestDigest } });
  }, 60_000);

  it('an approval whose updatedInput changes the paused call is a denial, and the call never runs', async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink });
    const canUseTool: CanUseTool = async (_name, input) => ({ behavior: 'allow', updatedInput: { ...input, amount: 99 } });
    const { ran } = await runShop([refund('toolu_mid', 50), { text: 'done' }], { canUseTool }, governor);
    expect(ran).toEqual([]);
    expect(sink.events.at(-1)?.outcome).toMatchObject({ executed: false, effect: 'deny', approval: { approved: false } });
    expect(sink.events.at(-1)?.outcome?.approval?.reason).toContain('different request');
    expect(toolResult('toolu_mid')).toContain('different request');
  }, 60_000);

  it("the person's deny never runs the call, is recorded as a rejection by them, and the model gets their message", async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink });
    const canUseTool: CanUseTool = async () => ({ behavior: 'deny', message: 'finance says no' });
    const { ran } = await runShop([refund('toolu_mid', 50), { text: 'done' }], { canUseTool, approver: 'bob' }, governor);
    expect(ran).toEqual([]);
    expect(sink.events.at(-1)?.outcome).toMatchObject({ executed: false, effect: 'deny', approval: { approved: false, by: 'bob' } });
    expect(toolResult('toolu_mid')).toContain('finance says no');
  }, 60_000);

  it("without a canUseTool, the Governor's blocking approval handler answers", async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink, approvalHandler: (ask) => ask.request.args.amount === 50 });
    const { ran } = await runShop([{ tools: [...(refund('toolu_a', 50) as { tools: never[] }).tools, ...(refund('toolu_b', 60) as { tools: never[] }).tools] }, { text: 'done' }], {}, governor);
    expect(ran).toEqual([{ order: 'O-toolu_a', amount: 50 }]);
    expect(sink.events.filter((e) => e.outcome?.approval !== undefined).map((e) => [e.call, e.outcome?.approval?.approved]).sort()).toEqual([
      ['toolu_a', true],
      ['toolu_b', false],
    ]);
  }, 60_000);
});

describe.skipIf(!available)('governClaudeAgent and the built-in tools', () => {
  it('a built-in Bash call the policy denies never runs, and is recorded under its tool use id', async () => {
    const sink = new MemorySink();
    const governor = new Governor({ policy, sink });
    const marker = join(home, 'ran.txt');
    await runShop([{ tools: [{ id: 'toolu_bash', name: 'Bash', input: { command: `touch ${marker}`, description: 'make a file' } }] }, { text: 'done' }], {}, governor);
    expect(existsSync(marker)).toBe(false);
    expect(sink.events.map((e) => [e.call, e.request.tool, e.decision.effect, e.outcome?.executed])).toEqual([['toolu_bash', 'Bash', 'deny', false]]);
    expect(toolResult('toolu_bash')).toContain('Warden denied \\"Bash\\"');
  }, 60_000);
});

describe('governClaudeAgent options', () => {
  const governor = new Governor({ policy });
  const bad: Array<{ name: string; options: unknown }> = [
    { name: 'no governor', options: {} },
    { name: 'a canUseTool that is not a function', options: { governor, canUseTool: 'ask' } },
    { name: 'an empty approver', options: { governor, approver: '' } },
    { name: 'an unknown key', options: { governor, onDeny: 'throw' } },
  ];
  it.each(bad)('rejects $name with ERR_INTEGRATION_OPTIONS', ({ options }) => {
    expect(() => governClaudeAgent(options as GovernClaudeAgentOptions)).toThrow(expect.objectContaining({ code: 'ERR_INTEGRATION_OPTIONS' }) as Error);
  });

  it('blocks the tool call when the PreToolUse hook itself fails (onFailure: block)', () => {
    const { hooks } = governClaudeAgent({ governor });
    expect(hooks.PreToolUse?.[0]?.onFailure).toBe('block');
  });
});
