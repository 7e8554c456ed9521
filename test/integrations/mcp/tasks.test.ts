/**
 * MCP tasks (spec 2025-11-25, experimental) through the gateway: two real SDK servers whose tools
 * run as tasks (test/fixtures/mcp/task-server.mjs, McpServer + registerToolTask + InMemoryTaskStore)
 * behind one gateway, and the SDK's own client calling them with `task` through
 * `experimental.tasks`. A task-augmented call is decided like a plain one; a denied one creates no
 * task anywhere; the lifecycle reaches the right server under the gateway's own ids; the outcome is
 * recorded when the result is fetched.
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CallToolResultSchema, ElicitRequestSchema, McpError, TaskStatusNotificationSchema, type CallToolResult, type ElicitResult, type TaskStatusNotification } from '@modelcontextprotocol/sdk/types.js';
import { MemorySink } from '../../../src/enforce/memory-sink.js';
import { McpGateway } from '../../../src/integrations/mcp/gateway.js';
import { compilePolicy } from '../../../src/policy/compile.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/mcp/task-server.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const POLICY = `apiVersion: warden/v1
kind: Policy
name: jobs
rules:
  - name: no-wiping
    tools: [wipe]
    effect: deny
    reason: Wiping is off for every agent
  - name: prod-needs-a-person
    tools: [build]
    when: "args.target == 'prod'"
    effect: require_approval
    approvers: [release-manager]
  - name: jobs
    tools: [build, broken, wait, instant]
    effect: allow
`;

describe('MCP tasks through the gateway', () => {
  let dir = '';
  let seenLog = '';
  let gateway: McpGateway;
  let sink: MemorySink;
  const seen = (): string[] => readFileSync(seenLog, 'utf8').split('\n').filter(Boolean);

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'warden-mcp-tasks-')));
    seenLog = join(dir, 'seen.log');
    writeFileSync(seenLog, '');
    const server = (name: string) => ({ name, upstream: { transport: 'stdio' as const, command: process.execPath, args: [FIXTURE], env: { PATH: process.env.PATH ?? '', SEEN_LOG: seenLog, SERVER_NAME: name } }, policy: compilePolicy([{ name: `${name}.yaml`, text: POLICY }]) });
    sink = new MemorySink();
    // A third server that runs no tasks: the SDK's reference filesystem server.
    const fs = { name: 'fs', upstream: { transport: 'stdio' as const, command: process.execPath, args: [join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js'), dir] }, policy: compilePolicy([{ name: 'fs.yaml', text: POLICY.replace('tools: [build, broken, wait, instant]', 'tools: [build, broken, wait, instant, list_directory]') }]) };
    gateway = await McpGateway.start({ servers: [server('alpha'), server('beta'), fs], sink, log: () => undefined, upstreamStderr: 'ignore' });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(options: { approve?: boolean } = {}): Promise<{ client: Client; statuses: TaskStatusNotification['params'][] }> {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await gateway.connect(serverSide, 'stdio');
    const client = new Client({ name: 'test-ide', version: '1.0.0' }, { capabilities: options.approve !== undefined ? { elicitation: {} } : {} });
    if (options.approve !== undefined) client.setRequestHandler(ElicitRequestSchema, async (): Promise<ElicitResult> => ({ action: 'accept', content: { approve: options.approve as boolean } }));
    const statuses: TaskStatusNotification['params'][] = [];
    client.setNotificationHandler(TaskStatusNotificationSchema, async (n) => void statuses.push(n.params));
    await client.connect(clientSide);
    return { client, statuses };
  }

  /** Calls a tool as a task with the SDK's stream and returns what it yielded. */
  async function callAsTask(client: Client, name: string, args: Record<string, unknown>): Promise<{ taskId: string | null; result: CallToolResult | null; error: Error | null }> {
    const out: { taskId: string | null; result: CallToolResult | null; error: Error | null } = { taskId: null, result: null, error: null };
    for await (const m of client.experimental.tasks.callToolStream({ name, arguments: args }, CallToolResultSchema, { task: { ttl: 60_000 } })) {
      if (m.type === 'taskCreated') out.taskId = m.task.taskId;
      if (m.type === 'result') out.result = m.result as CallToolResult;
      if (m.type === 'error') out.error = m.error;
    }
    return out;
  }

  it('a status the server announces before its reply creating the task still reaches the session, under the gateway id', async () => {
    const { client, statuses } = await connect();
    const run = await callAsTask(client, 'beta__instant', { target: 'now' });
    expect(run.error).toBeNull();
    expect(run.result?.content).toEqual([{ type: 'text', text: 'beta instant now' }]);
    await expect.poll(() => statuses.map((s) => [s.taskId, s.status])).toContainEqual([run.taskId, 'completed']);
    expect(statuses.every((s) => s.taskId.startsWith('warden-task-'))).toBe(true);
  });

  it('offers task-run tool calls, list and cancel, and the servers\u2019 tools with their task support', async () => {
    const { client } = await connect();
    expect(client.getServerCapabilities()?.tasks).toEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
    const build = (await client.listTools()).tools.find((t) => t.name === 'beta__build');
    expect(build?.execution).toEqual({ taskSupport: 'optional' });
  });

  it('runs an allowed call as a task on the server it names, under a gateway id, and records its outcome when the result is fetched', async () => {
    const { client, statuses } = await connect();
    const before = sink.outcomes.length;
    const run = await callAsTask(client, 'beta__build', { target: 'docs' });
    expect(run.error).toBeNull();
    expect(run.result?.content).toEqual([{ type: 'text', text: 'beta built docs' }]);
    expect(run.taskId).toMatch(/^warden-task-[0-9a-f]{32}$/);
    expect(seen()).toContain('beta build {"target":"docs"}');
    const decision = sink.events.filter((e) => e.request.tool === 'build').at(-1);
    expect([decision?.decision.effect, decision?.decision.rule, decision?.request.context?.mcp]).toEqual(['allow', 'jobs', expect.objectContaining({ server: 'beta', tool: 'beta__build' })]);
    const outcomes = sink.outcomes.slice(before);
    expect(outcomes.map((o) => [o.call, o.tool, o.outcome.status])).toEqual([[decision?.call, 'build', 'ok']]);
    // Fetching the result again gives it again, but records nothing more.
    expect(((await client.experimental.tasks.getTaskResult(run.taskId as string, CallToolResultSchema)) as CallToolResult).content).toEqual([{ type: 'text', text: 'beta built docs' }]);
    expect(sink.outcomes.length).toBe(before + 1);
    // The server's status notification reached this session under the gateway's id.
    await expect.poll(() => statuses.map((s) => [s.taskId, s.status])).toContainEqual([run.taskId, 'completed']);
  });

  it('denies a task-augmented call exactly like a plain one: no task is created anywhere and the reason reaches the client', async () => {
    const { client } = await connect();
    const plain = (await client.callTool({ name: 'alpha__wipe', arguments: { scope: 'all' } })) as CallToolResult;
    expect(plain.isError).toBe(true);
    const run = await callAsTask(client, 'alpha__wipe', { scope: 'all' });
    expect(run.taskId).toBeNull();
    expect(run.error?.message).toContain('Denied by Warden (rule no-wiping of policy jobs): Wiping is off for every agent');
    expect((plain.content as Array<{ text: string }>)[0]?.text).toBe('Denied by Warden (rule no-wiping of policy jobs): Wiping is off for every agent');
    expect(seen().filter((l) => l.includes('wipe'))).toEqual([]);
    expect(sink.events.filter((e) => e.request.tool === 'wipe').map((e) => e.decision.effect)).toEqual(['deny', 'deny']);
  });

  it('asks for approval by elicitation before the task is created, and creates none when the answer is no', async () => {
    const yes = await connect({ approve: true });
    const approved = await callAsTask(yes.client, 'alpha__build', { target: 'prod' });
    expect(approved.result?.content).toEqual([{ type: 'text', text: 'alpha built prod' }]);
    const answer = sink.events.filter((e) => e.request.tool === 'build').at(-1);
    expect([answer?.decision.effect, answer?.outcome?.effect, answer?.outcome?.approval?.approved]).toEqual(['require_approval', 'allow', true]);
    const no = await connect({ approve: false });
    const refused = await callAsTask(no.client, 'beta__build', { target: 'prod' });
    expect(refused.taskId).toBeNull();
    expect(refused.error?.message).toContain('prod-needs-a-person');
    expect(seen().filter((l) => l.endsWith('{"target":"prod"}'))).toEqual(['alpha build {"target":"prod"}']);
  });

  it('refuses a task-augmented call to a server that runs no tasks, deciding nothing, and still runs the plain call', async () => {
    const { client } = await connect();
    const before = sink.events.length;
    const run = await callAsTask(client, 'fs__list_directory', { path: dir });
    expect([run.taskId, run.error?.message]).toEqual([null, expect.stringContaining('MCP server fs does not run tool calls as tasks; call "fs__list_directory" without a task.')]);
    expect(sink.events.length).toBe(before);
    const plain = (await client.callTool({ name: 'fs__list_directory', arguments: { path: dir } })) as CallToolResult;
    expect((plain.content as Array<{ text: string }>)[0]?.text).toContain('seen.log');
  });

  it('gives a failed task\u2019s error result to the client and records it as an error', async () => {
    const { client } = await connect();
    const run = await callAsTask(client, 'alpha__broken', { why: 'disk full' });
    expect(run.error?.message).toContain('failed');
    const result = (await client.experimental.tasks.getTaskResult(run.taskId as string, CallToolResultSchema)) as CallToolResult;
    expect([result.isError, result.content]).toEqual([true, [{ type: 'text', text: 'alpha failed: disk full' }]]);
    const decision = sink.events.filter((e) => e.request.tool === 'broken').at(-1);
    expect(sink.outcomes.filter((o) => o.call === decision?.call).map((o) => [o.outcome.status, o.outcome.error?.name])).toEqual([['error', 'ToolError']]);
  });

  it('keeps each session to its own tasks: another session, and the server\u2019s own id, name no task', async () => {
    const owner = await connect();
    const other = await connect();
    const run = await callAsTask(owner.client, 'alpha__build', { target: 'lib' });
    const taskId = run.taskId as string;
    expect((await owner.client.experimental.tasks.getTask(taskId)).status).toBe('completed');
    expect((await owner.client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toEqual([taskId]);
    expect((await other.client.experimental.tasks.listTasks()).tasks).toEqual([]);
    const unknown = [taskId, 'warden-task-00000000000000000000000000000000', '', 'alpha__1'];
    for (const id of unknown.slice(1)) await expect(owner.client.experimental.tasks.getTask(id)).rejects.toMatchObject({ code: -32602 });
    for (const id of unknown) {
      await expect(other.client.experimental.tasks.getTask(id)).rejects.toBeInstanceOf(McpError);
      await expect(other.client.experimental.tasks.getTaskResult(id, CallToolResultSchema)).rejects.toMatchObject({ code: -32602 });
      await expect(other.client.experimental.tasks.cancelTask(id)).rejects.toMatchObject({ code: -32602 });
    }
    expect(other.statuses).toEqual([]);
  });

  it('cancels a running task on its server and records the call as aborted', async () => {
    const { client } = await connect();
    const created = await client.request({ method: 'tools/call', params: { name: 'beta__wait', arguments: { for: 'ever' }, task: { ttl: 60_000 } } }, (await import('@modelcontextprotocol/sdk/types.js')).CreateTaskResultSchema);
    const taskId = created.task.taskId;
    expect((await client.experimental.tasks.getTask(taskId)).status).toBe('working');
    expect((await client.experimental.tasks.cancelTask(taskId)).status).toBe('cancelled');
    const decision = sink.events.filter((e) => e.request.tool === 'wait').at(-1);
    expect(sink.outcomes.filter((o) => o.call === decision?.call).map((o) => o.outcome.status)).toEqual(['aborted']);
    expect(seen()).toContain('beta wait {"for":"ever"}');
  });
});
