/**
 * One gateway in front of two real MCP servers at once, with bearer-token authentication on:
 * `notes`, a stdio server process (which also asks the client for sampling, elicitation and roots),
 * and `tickets`, a Streamable HTTP server on a real port. The client is the SDK's own, over
 * Streamable HTTP with an Authorization header; tokens are real JWTs signed with jose.
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  ListToolsRequestSchema,
  type CreateMessageRequest,
  type ElicitResult,
} from '@modelcontextprotocol/sdk/types.js';
import { MemorySink } from '../../../src/enforce/memory-sink.js';
import { compilePolicy } from '../../../src/policy/compile.js';
import { McpGateway } from '../../../src/integrations/mcp/gateway.js';
import { listenStreamableHttp, type HttpListener } from '../../../src/integrations/mcp/http-listener.js';
import { createBearerAuth } from '../../../src/integrations/mcp/inbound-auth.js';
import { LOCK_FILE_NAME, readLockFile } from '../../../src/integrations/mcp/lock-file.js';
import { GATEWAY_POLICY, PIN_RULE } from '../../../src/integrations/mcp/upstream-server.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SDK = join(ROOT, 'node_modules', '@modelcontextprotocol', 'sdk', 'dist', 'esm');
const ISSUER = 'https://idp.test';
const AUDIENCE = 'https://gateway.test/mcp';

/** The `notes` server: a stdio process whose tools call back to the client. */
function notesServerScript(): string {
  const url = (p: string): string => pathToFileURL(join(SDK, p)).href;
  return `
import { appendFileSync } from 'node:fs';
import { Server } from ${JSON.stringify(url('server/index.js'))};
import { StdioServerTransport } from ${JSON.stringify(url('server/stdio.js'))};
import { ListToolsRequestSchema, CallToolRequestSchema, ListResourcesRequestSchema, ReadResourceRequestSchema, ListPromptsRequestSchema, GetPromptRequestSchema } from ${JSON.stringify(url('types.js'))};
const log = (name) => appendFileSync(process.env.SEEN_LOG, name + '\\n');
const server = new Server({ name: 'notes', version: '1.0.0' }, { capabilities: { tools: {}, resources: {}, prompts: {} }, instructions: 'Notes are short.' });
server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: [{ uri: 'note://1', name: 'one' }, { uri: 'note://secret', name: 'secret' }] }));
server.setRequestHandler(ReadResourceRequestSchema, async (r) => { log('read ' + r.params.uri); return { contents: [{ uri: r.params.uri, text: 'note text of ' + r.params.uri }] }; });
server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: [{ name: 'summarize', arguments: [{ name: 'style' }] }, { name: 'leak' }] }));
server.setRequestHandler(GetPromptRequestSchema, async (r) => { log('prompt ' + r.params.name); return { messages: [{ role: 'user', content: { type: 'text', text: r.params.name + ' in ' + (r.params.arguments?.style ?? 'plain') } }] }; });
const obj = { type: 'object' };
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [
  { name: 'echo', description: 'Echo.', inputSchema: { type: 'object', properties: { text: { type: 'string' } } }, annotations: { readOnlyHint: true } },
  { name: 'wipe', description: 'Deletes every note.', inputSchema: obj, annotations: { destructiveHint: true } },
  { name: 'ask_model', description: 'Asks the client model.', inputSchema: { type: 'object', properties: { maxTokens: { type: 'number' } } } },
  { name: 'ask_user', description: 'Asks the user.', inputSchema: obj },
  { name: 'list_roots', description: 'Lists the client roots.', inputSchema: obj },
  { name: 'hang_then_die', description: 'Exits without answering.', inputSchema: obj },
] }));
server.setRequestHandler(CallToolRequestSchema, async (r) => {
  const name = r.params.name;
  log(name);
  const text = (t) => ({ content: [{ type: 'text', text: t }] });
  try {
    if (name === 'echo') return text('notes: ' + r.params.arguments?.text);
    if (name === 'wipe') return text('wiped');
    if (name === 'ask_model') {
      const res = await server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'summarize' } }], maxTokens: r.params.arguments?.maxTokens ?? 50 });
      return text('model said: ' + res.content.text);
    }
    if (name === 'ask_user') {
      const res = await server.elicitInput({ mode: 'form', message: 'Your password?', requestedSchema: { type: 'object', properties: { password: { type: 'string' } } } });
      return text('user said: ' + JSON.stringify(res));
    }
    if (name === 'list_roots') return text('roots: ' + (await server.listRoots()).roots.map((x) => x.uri).join(','));
    if (name === 'hang_then_die') { setTimeout(() => process.exit(3), 50); return new Promise(() => {}); }
  } catch (e) {
    return { content: [{ type: 'text', text: 'failed: ' + e.message }], isError: true };
  }
  return text('unknown');
});
await server.connect(new StdioServerTransport());
`;
}

const NOTES_POLICY = `apiVersion: warden/v1
kind: Policy
name: notes
rules:
  - name: no-destructive-tools
    tools: ["*"]
    when: "has(context.mcp.annotations) && has(context.mcp.annotations.destructiveHint) && context.mcp.annotations.destructiveHint == true"
    effect: deny
    reason: Destructive tools are off
  - name: notes-tools
    tools: [echo, wipe, ask_model, ask_user, list_roots, hang_then_die]
    effect: allow
  - name: short-sampling
    tools: [sampling/createMessage]
    when: "args.maxTokens <= 100"
    effect: allow
  - name: longer-sampling-needs-a-person
    tools: [sampling/createMessage]
    when: "args.maxTokens > 100 && args.maxTokens <= 1000"
    effect: require_approval
    approvers: [me]
  - name: roots
    tools: [roots/list]
    effect: allow
  - name: public-notes
    tools: [resources/read]
    when: "args.uri == 'note://1'"
    effect: allow
  - name: summaries
    tools: [prompts/get]
    when: "args.name == 'summarize'"
    effect: allow
`;

const TICKETS_POLICY = `apiVersion: warden/v1
kind: Policy
name: tickets
rules:
  - name: tickets-need-a-lead
    tools: [create_ticket]
    effect: require_approval
    approvers: [lead]
  - name: no-echo-here
    tools: [echo]
    effect: deny
    reason: The tickets server has no business echoing
`;

/** The `tickets` server: Streamable HTTP on a real port, one MCP session per client. */
async function startTicketsServer(seen: string[]): Promise<{ url: string; close: () => Promise<void> }> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http: HttpServer = createServer((req, res) => {
    void (async () => {
      const id = req.headers['mcp-session-id'];
      let transport = typeof id === 'string' ? transports.get(id) : undefined;
      if (!transport) {
        const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => `t-${transports.size + 1}`, onsessioninitialized: (sid) => void transports.set(sid, t) });
        const server = new Server({ name: 'tickets', version: '2.0.0' }, { capabilities: { tools: {} } });
        server.setRequestHandler(ListToolsRequestSchema, async () => ({
          tools: [
            { name: 'echo', description: 'Echo (tickets).', inputSchema: { type: 'object' } },
            { name: 'create_ticket', description: 'Opens a ticket.', inputSchema: { type: 'object', properties: { title: { type: 'string' } } } },
          ],
        }));
        server.setRequestHandler(CallToolRequestSchema, async (r) => {
          seen.push(`${r.params.name}:${JSON.stringify(r.params.arguments ?? {})}`);
          return { content: [{ type: 'text', text: `ticket ${String(r.params.arguments?.title ?? '')} opened` }] };
        });
        await server.connect(t);
        transport = t;
      }
      await transport.handleRequest(req, res);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: async () => {
      await Promise.allSettled([...transports.values()].map((t) => t.close()));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}

interface Keys {
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  publicJwk: JWK;
}

async function token(keys: Keys, claims: Record<string, unknown> = {}, header: { alg?: string } = {}, exp = '5m'): Promise<string> {
  return new SignJWT({ scope: 'mcp:tools', sub: 'alice', ...claims })
    .setProtectedHeader({ alg: header.alg ?? 'EdDSA' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(keys.privateKey);
}

interface ClientHooks {
  elicit?: (message: string) => ElicitResult;
  sample?: (params: CreateMessageRequest['params']) => string;
}

async function connectClient(url: string, bearer: string, hooks: ClientHooks = {}): Promise<{ client: Client; transport: StreamableHTTPClientTransport; asked: string[]; sampled: number[] }> {
  const asked: string[] = [];
  const sampled: number[] = [];
  const client = new Client({ name: 'test-agent', version: '7' }, { capabilities: { elicitation: { form: {} }, sampling: {}, roots: {} } });
  client.setRequestHandler(ElicitRequestSchema, async (r) => {
    const message = (r.params as { message: string }).message;
    asked.push(message);
    return hooks.elicit ? hooks.elicit(message) : { action: 'decline' };
  });
  client.setRequestHandler(CreateMessageRequestSchema, async (r) => {
    sampled.push(r.params.maxTokens);
    return { role: 'assistant', model: 'scripted', content: { type: 'text', text: hooks.sample ? hooks.sample(r.params) : 'a summary' } };
  });
  client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${bearer}` } } });
  await client.connect(transport);
  return { client, transport, asked, sampled };
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ isError: boolean; text: string }> {
  const r = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: Array<{ text?: string }> };
  return { isError: r.isError === true, text: r.content.map((c) => c.text ?? '').join('') };
}

describe('one gateway in front of two servers (stdio and Streamable HTTP), with bearer tokens', () => {
  let dir = '';
  let seenLog = '';
  const ticketsSeen: string[] = [];
  let tickets: { url: string; close: () => Promise<void> };
  let gateway: McpGateway;
  let listener: HttpListener;
  let sink: MemorySink;
  let keys: Keys;
  let alice = '';
  const logs: string[] = [];
  const notesSeen = (): string[] => {
    try {
      return realRead(seenLog);
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'warden-mcp-multi-')));
    seenLog = join(dir, 'notes-seen.log');
    writeFileSync(seenLog, '');
    const script = join(dir, 'notes-server.mjs');
    writeFileSync(script, notesServerScript());
    tickets = await startTicketsServer(ticketsSeen);
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    keys = { privateKey: pair.privateKey, publicJwk: await exportJWK(pair.publicKey) };
    alice = await token(keys);
    const auth = await createBearerAuth({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], key: keys.publicJwk as never, requiredScopes: ['mcp:tools'] });
    sink = new MemorySink();
    gateway = await McpGateway.start({
      servers: [
        { name: 'notes', upstream: { transport: 'stdio', command: process.execPath, args: [script], env: { PATH: process.env.PATH ?? '', SEEN_LOG: seenLog } }, policy: compilePolicy([{ name: 'notes.yaml', text: NOTES_POLICY }]) },
        { name: 'tickets', upstream: { transport: 'streamable-http', url: tickets.url }, policy: compilePolicy([{ name: 'tickets.yaml', text: TICKETS_POLICY }]) },
      ],
      sink,
      identity: auth.identity,
      lockFile: join(dir, LOCK_FILE_NAME),
      log: (m) => logs.push(m),
      upstreamStderr: 'ignore',
    });
    listener = await listenStreamableHttp(gateway, { host: '127.0.0.1', port: 0, auth });
  }, 60_000);

  afterAll(async () => {
    await listener?.close();
    await gateway?.close();
    await tickets?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists both servers\u2019 tools, each under its server\u2019s prefix', async () => {
    const { client } = await connectClient(listener.url, alice);
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(['notes__ask_model', 'notes__ask_user', 'notes__echo', 'notes__hang_then_die', 'notes__list_roots', 'notes__wipe', 'tickets__create_ticket', 'tickets__echo']);
    expect(client.getServerVersion()?.name).toBe('warden-mcp-gateway');
    expect(client.getInstructions()).toBe('## notes (tools notes__*)\nNotes are short.');
  });

  it('routes resources to the server that listed them, and decides each read with that server\u2019s policy', async () => {
    const { client } = await connectClient(listener.url, alice);
    expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(['note://1', 'note://secret']);
    expect((await client.readResource({ uri: 'note://1' })).contents).toEqual([{ uri: 'note://1', text: 'note text of note://1' }]);
    await expect(client.readResource({ uri: 'note://secret' })).rejects.toThrow('No rule allows tool "resources/read"');
    await expect(client.readResource({ uri: 'note://never-listed' })).rejects.toThrow('was not listed by any server behind this gateway');
    expect(notesSeen().filter((l) => l.startsWith('read '))).toEqual(['read note://1']);
  });

  it('namespaces prompts like tools and decides prompts/get with the owning server\u2019s policy', async () => {
    const { client } = await connectClient(listener.url, alice);
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(['notes__summarize', 'notes__leak']);
    expect((await client.getPrompt({ name: 'notes__summarize', arguments: { style: 'terse' } })).messages[0]?.content).toEqual({ type: 'text', text: 'summarize in terse' });
    await expect(client.getPrompt({ name: 'notes__leak' })).rejects.toThrow('No rule allows tool "prompts/get"');
    await expect(client.getPrompt({ name: 'summarize' })).rejects.toThrow('names no server behind this gateway');
    await expect(client.getPrompt({ name: 'tickets__summarize' })).rejects.toThrow();
    expect(notesSeen().filter((l) => l.startsWith('prompt '))).toEqual(['prompt summarize']);
    // Rules see the server's own prompt name, and the record names the server.
    const leak = sink.events.find((e) => e.request.tool === 'prompts/get' && (e.request.args as { name?: string }).name === 'leak');
    expect([leak?.decision.effect, (leak?.request.context?.mcp as { server?: string }).server]).toEqual(['deny', 'notes']);
  });

  it('denies an approval when the client cannot be asked (no elicitation capability), and records why', async () => {
    const client = new Client({ name: 'no-elicit', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(listener.url), { requestInit: { headers: { Authorization: `Bearer ${alice}` } } }));
    const before = ticketsSeen.length;
    const r = await call(client, 'tickets__create_ticket', { title: 'x' });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('the MCP client did not declare the elicitation capability (form mode), so nobody could be asked');
    expect(ticketsSeen.length).toBe(before);
    const answer = sink.events.at(-1);
    expect([answer?.outcome?.effect, answer?.outcome?.executed, answer?.outcome?.approval?.approved]).toEqual(['deny', false, false]);
    expect(answer?.outcome?.approval?.reason).toContain('the MCP client did not declare the elicitation capability');
  });

  it('pins each server under its own key in one lock file', async () => {
    const lock = await readLockFile(join(dir, LOCK_FILE_NAME));
    expect(Object.keys(lock.servers).sort()).toEqual(['name:notes', 'name:tickets']);
    expect(Object.keys(lock.servers['name:tickets']?.tools ?? {}).sort()).toEqual(['create_ticket', 'echo']);
  });

  it('routes a call by its prefix and decides it with that server\u2019s own policy', async () => {
    const { client } = await connectClient(listener.url, alice);
    expect(await call(client, 'notes__echo', { text: 'hi' })).toEqual({ isError: false, text: 'notes: hi' });
    const before = ticketsSeen.length;
    expect(await call(client, 'tickets__echo', { text: 'hi' })).toEqual({ isError: true, text: 'Denied by Warden (rule no-echo-here of policy tickets): The tickets server has no business echoing' });
    expect(ticketsSeen.length).toBe(before);
    const event = sink.events.at(-1);
    expect(event?.request.tool).toBe('echo');
    expect(event?.request.context).toMatchObject({ host: 'mcp', mcp: { server: 'tickets', tool: 'tickets__echo', transport: 'streamable-http', upstream: 'streamable-http' } });
  });

  it('records the verified token subject as the agent of every decision', async () => {
    const { client } = await connectClient(listener.url, alice);
    await call(client, 'notes__echo', { text: 'who' });
    const event = sink.events.filter((e) => e.request.tool === 'echo').at(-1);
    expect(event?.agent?.id).toBe('alice');
    expect(event?.agent?.verified).toMatchObject({ method: 'bearer', issuer: ISSUER });
  });

  const refused: Array<[string, string, string]> = [
    ['a name without a server prefix', 'echo', 'names no server behind this gateway'],
    ['an unknown server prefix', 'github__echo', 'names no server behind this gateway'],
    ['a prefix in another case', 'NOTES__echo', 'names no server behind this gateway'],
    ['a prefix with a single underscore', 'notes_echo', 'names no server behind this gateway'],
    ['an empty tool after the prefix', 'notes__', 'names no server behind this gateway'],
    ['a tool the server does not list', 'notes__delete_all', 'is not in the tool list of MCP server notes'],
    ['a tool of the other server under this prefix', 'notes__create_ticket', 'is not in the tool list of MCP server notes'],
  ];
  it.each(refused)('refuses %s, and records it', async (_label, name, why) => {
    const { client } = await connectClient(listener.url, alice);
    const before = sink.events.length;
    const seenBefore = [notesSeen().length, ticketsSeen.length];
    const r = await call(client, name, {});
    expect(r.isError).toBe(true);
    expect(r.text).toContain(why);
    expect([notesSeen().length, ticketsSeen.length]).toEqual(seenBefore);
    const event = sink.events.slice(before).at(-1);
    expect([event?.decision.rule, event?.decision.policy, event?.outcome?.executed]).toEqual([PIN_RULE, GATEWAY_POLICY, false]);
  });

  it('shows tool annotations to rules: a destructive tool is denied, a read-only one is not', async () => {
    const { client } = await connectClient(listener.url, alice);
    expect(await call(client, 'notes__wipe')).toEqual({ isError: true, text: 'Denied by Warden (rule no-destructive-tools of policy notes): Destructive tools are off' });
    expect(notesSeen()).not.toContain('wipe');
    expect(sink.events.at(-1)?.request.context).toMatchObject({ mcp: { annotations: { destructiveHint: true } } });
  });

  it('asks for approval by elicitation, runs the call once approved, and records who answered', async () => {
    const { client, asked } = await connectClient(listener.url, alice, { elicit: () => ({ action: 'accept', content: { approve: true } }) });
    const before = sink.events.length;
    expect(await call(client, 'tickets__create_ticket', { title: 'disk full' })).toEqual({ isError: false, text: 'ticket disk full opened' });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('Warden: tool "create_ticket" on tickets needs approval.');
    const [deferred, answer] = sink.events.slice(before);
    expect([deferred?.decision.effect, deferred?.outcome?.executed]).toEqual(['require_approval', false]);
    expect(answer?.call).toBe(deferred?.call);
    expect([answer?.decision.rule, answer?.outcome?.effect, answer?.outcome?.executed]).toEqual(['tickets-need-a-lead', 'allow', true]);
    expect(answer?.outcome?.approval).toMatchObject({ approved: true, reason: 'approved through MCP elicitation', requestDigest: expect.stringMatching(/^sha256:/) });
    expect(answer?.outcome?.approval?.by).toMatch(/^agent alice \(issuer https:\/\/idp\.test\), client test-agent 7, session \S+$/);
    expect(answer?.agent?.id).toBe('alice');
    expect(ticketsSeen.at(-1)).toBe('create_ticket:{"title":"disk full"}');
  });

  it('does not run a call whose approval is declined', async () => {
    const { client } = await connectClient(listener.url, alice, { elicit: () => ({ action: 'decline' }) });
    const before = ticketsSeen.length;
    const r = await call(client, 'tickets__create_ticket', { title: 'nope' });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('Approval was not granted: rejected through MCP elicitation: the client answered "decline"');
    expect(ticketsSeen.length).toBe(before);
  });

  it('forwards a server\u2019s sampling request to the calling client when the policy allows it', async () => {
    const { client, sampled } = await connectClient(listener.url, alice, { sample: () => 'three notes' });
    expect(await call(client, 'notes__ask_model', { maxTokens: 50 })).toEqual({ isError: false, text: 'model said: three notes' });
    expect(sampled).toEqual([50]);
    const sampling = sink.events.filter((e) => e.request.tool === 'sampling/createMessage').at(-1);
    expect([sampling?.decision.rule, sampling?.outcome?.executed]).toEqual(['short-sampling', true]);
    expect(sampling?.request.context).toMatchObject({ mcp: { server: 'notes', direction: 'server-to-client' } });
    expect(sampling?.agent?.id).toBe('alice');
  });

  it('refuses a server\u2019s sampling request the policy denies; the client model is never asked', async () => {
    const { client, sampled } = await connectClient(listener.url, alice);
    const r = await call(client, 'notes__ask_model', { maxTokens: 5000 });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('Denied by Warden: No rule allows tool "sampling/createMessage"');
    expect(sampled).toEqual([]);
  });

  it('asks the person before forwarding a server\u2019s sampling request that needs approval', async () => {
    const { client, sampled, asked } = await connectClient(listener.url, alice, { elicit: () => ({ action: 'accept', content: { approve: true } }), sample: () => 'a longer summary' });
    const before = sink.events.length;
    expect(await call(client, 'notes__ask_model', { maxTokens: 500 })).toEqual({ isError: false, text: 'model said: a longer summary' });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('Warden: tool "sampling/createMessage" on notes needs approval.');
    expect(sampled).toEqual([500]);
    const records = sink.events.slice(before).filter((e) => e.request.tool === 'sampling/createMessage');
    expect(records.map((e) => [e.decision.rule, e.outcome?.effect, e.outcome?.executed, e.outcome?.approval?.approved])).toEqual([
      ['longer-sampling-needs-a-person', 'require_approval', false, undefined],
      ['longer-sampling-needs-a-person', 'allow', true, true],
    ]);
    expect(records[1]?.call).toBe(records[0]?.call);
  });

  it('does not forward a server\u2019s sampling request whose approval is declined', async () => {
    const { client, sampled } = await connectClient(listener.url, alice, { elicit: () => ({ action: 'decline' }) });
    const r = await call(client, 'notes__ask_model', { maxTokens: 500 });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('the client answered "decline"');
    expect(sampled).toEqual([]);
  });

  it('refuses a server\u2019s elicitation the policy does not allow (default deny); the person is never asked', async () => {
    const { client, asked } = await connectClient(listener.url, alice, { elicit: () => ({ action: 'accept', content: { password: 'hunter2' } }) });
    const r = await call(client, 'notes__ask_user');
    expect(r.text).toContain('No rule allows tool "elicitation/create"');
    expect(asked).toEqual([]);
  });

  it('forwards a server\u2019s roots/list to the client', async () => {
    const { client } = await connectClient(listener.url, alice);
    expect(await call(client, 'notes__list_roots')).toEqual({ isError: false, text: 'roots: file:///work' });
  });

  it('serves the protected-resource metadata (RFC 9728) without a token', async () => {
    const res = await fetch(new URL('/.well-known/oauth-protected-resource/mcp', listener.url));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ resource: AUDIENCE, authorization_servers: [ISSUER], bearer_methods_supported: ['header'], scopes_supported: ['mcp:tools'] });
  });

  const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  const post = (authorization: string | undefined, extra: Record<string, string> = {}): Promise<Response> =>
    fetch(listener.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(authorization !== undefined ? { authorization } : {}), ...extra }, body: initialize });

  it('answers a request without a token with 401 and where to find the metadata, never anonymously', async () => {
    const res = await post(undefined);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="https://gateway.test/.well-known/oauth-protected-resource/mcp"`);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('requires a bearer token');
  });

  type TokenCase = [string, () => Promise<string>, number, string];
  const hsKey = new TextEncoder().encode('a-shared-secret-that-is-long-enough-0123456789');
  const tokenCases: TokenCase[] = [
    ['a token from another issuer', async () => new SignJWT({ scope: 'mcp:tools' }).setProtectedHeader({ alg: 'EdDSA' }).setIssuer('https://evil.test').setAudience(AUDIENCE).setSubject('alice').setExpirationTime('5m').sign(keys.privateKey), 401, 'invalid_token'],
    ['a token for another audience', async () => new SignJWT({ scope: 'mcp:tools' }).setProtectedHeader({ alg: 'EdDSA' }).setIssuer(ISSUER).setAudience('https://other.test/mcp').setSubject('alice').setExpirationTime('5m').sign(keys.privateKey), 401, 'invalid_token'],
    ['an expired token', async () => token(keys, {}, {}, '-1m'), 401, 'invalid_token'],
    ['a token without exp', async () => new SignJWT({ scope: 'mcp:tools' }).setProtectedHeader({ alg: 'EdDSA' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('alice').sign(keys.privateKey), 401, 'invalid_token'],
    ['a token not valid yet', async () => new SignJWT({ scope: 'mcp:tools' }).setProtectedHeader({ alg: 'EdDSA' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('alice').setNotBefore('10m').setExpirationTime('20m').sign(keys.privateKey), 401, 'invalid_token'],
    ['an HS256 token (algorithm not allowed)', async () => new SignJWT({ scope: 'mcp:tools' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('alice').setExpirationTime('5m').sign(hsKey), 401, 'invalid_token'],
    ['an unsigned alg:none token', async () => `${b64({ alg: 'none' })}.${b64({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', exp: Math.floor(Date.now() / 1000) + 300, scope: 'mcp:tools' })}.`, 401, 'invalid'],
    ['a token signed by another key', async () => token({ privateKey: (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey, publicJwk: {} }), 401, 'invalid_token'],
    ['a token whose payload was changed after signing', async () => tamper(await token(keys), { sub: 'root' }), 401, 'invalid_token'],
    ['a token without the required scope', async () => token(keys, { scope: 'mcp:read' }), 403, 'insufficient_scope'],
    ['a token without a subject', async () => new SignJWT({ scope: 'mcp:tools' }).setProtectedHeader({ alg: 'EdDSA' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(keys.privateKey), 401, 'invalid_token'],
    ['a DPoP-bound token presented as bearer', async () => token(keys, { cnf: { jkt: 'abc' } }), 401, 'invalid_token'],
  ];
  it.each(tokenCases)('refuses %s', async (_label, make, status, error) => {
    const res = await post(`Bearer ${await make()}`);
    expect(res.status).toBe(status);
    expect(res.headers.get('www-authenticate')).toContain(`error="${error}`);
  });

  const schemeCases: Array<[string, (t: string) => string]> = [
    ['the token without a scheme', (t) => t],
    ['Basic instead of Bearer', (t) => `Basic ${t}`],
    ['two tokens', (t) => `Bearer ${t} ${t}`],
    ['a token with a space inside', (t) => `Bearer ${t.slice(0, 10)} ${t.slice(10)}`],
  ];
  it.each(schemeCases)('refuses an Authorization header with %s', async (_label, header) => {
    const res = await post(header(alice));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_request"');
  });

  const accepted: Array<[string, () => Promise<string>]> = [
    ['a valid token', async () => alice],
    ['a valid token with more scopes', async () => token(keys, { scope: 'openid mcp:tools mcp:admin' })],
    ['a valid token with scp as a list', async () => token(keys, { scope: undefined, scp: ['mcp:tools'] })],
    ['a lower-case scheme', async () => alice],
  ];
  it.each(accepted)('accepts %s', async (label, make) => {
    const t = await make();
    const res = await post(`${label === 'a lower-case scheme' ? 'bearer' : 'Bearer'} ${t}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toEqual(expect.any(String));
  });

  it('answers a batch and a message that is not JSON-RPC over HTTP, never leaving the client waiting', async () => {
    const batch = await fetch(listener.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${alice}` }, body: JSON.stringify([JSON.parse(initialize), { jsonrpc: '2.0', id: 2, method: 'ping' }]) });
    const notRpc = await fetch(listener.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${alice}` }, body: '{"hello":"world"}' });
    expect([batch.status, ((await batch.json()) as { error?: { code: number } }).error?.code]).toEqual([400, -32600]);
    expect([notRpc.status, ((await notRpc.json()) as { error?: { code: number } }).error?.code]).toEqual([400, -32700]);
  });

  it('decides each call of a batch sent on a session on its own', async () => {
    const { transport } = await connectClient(listener.url, alice);
    const before = ticketsSeen.length;
    const res = await fetch(listener.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${alice}`, 'mcp-session-id': transport.sessionId as string, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 31, method: 'tools/call', params: { name: 'notes__echo', arguments: { text: 'one' } } },
        { jsonrpc: '2.0', id: 32, method: 'tools/call', params: { name: 'tickets__echo', arguments: { text: 'two' } } },
      ]),
    });
    expect(res.status).toBe(200);
    // Server-sent events: one `data:` line per answer.
    const answers = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as { id: number; result: { isError?: boolean; content: Array<{ text: string }> } });
    expect(answers.map((a) => [a.id, a.result.isError === true, a.result.content[0]?.text]).sort()).toEqual([
      [31, false, 'notes: one'],
      [32, true, 'Denied by Warden (rule no-echo-here of policy tickets): The tickets server has no business echoing'],
    ]);
    expect(ticketsSeen.length).toBe(before);
  });

  it('keeps a session with the principal that opened it: another valid token on it gets 403', async () => {
    const { transport } = await connectClient(listener.url, alice);
    const bob = await token(keys, { sub: 'bob' });
    const res = await fetch(listener.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${bob}`, 'mcp-session-id': transport.sessionId as string, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('belongs to another principal');
  });

  it('fails a call pending on a server that dies, names the server, and keeps serving the other one', async () => {
    const { client } = await connectClient(listener.url, alice);
    const pending = call(client, 'notes__hang_then_die').then(
      () => 'answered',
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    expect(await pending).toContain('MCP server notes exited (or closed the connection) while this call of "hang_then_die" was pending; whether the tool ran is unknown.');
    // The connection's close is handled before its pending requests fail, so the state is settled here.
    expect(gateway.servers().map((s) => [s.name, s.alive])).toEqual([['notes', false], ['tickets', true]]);
    expect(logs).toContain('the MCP server notes closed the connection; its tools are no longer offered, the other servers go on.');
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(['tickets__create_ticket', 'tickets__echo']);
    const r = await call(client, 'notes__echo', { text: 'x' });
    expect(r).toEqual({ isError: true, text: 'MCP server notes is not running (it exited or closed the connection), so its tool "echo" cannot be called; restart the gateway.' });
    const approvedClient = await connectClient(listener.url, alice, { elicit: () => ({ action: 'accept', content: { approve: true } }) });
    expect(await call(approvedClient.client, 'tickets__create_ticket', { title: 'after' })).toEqual({ isError: false, text: 'ticket after opened' });
  }, 30_000);
});

function realRead(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

function b64(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

function tamper(jwt: string, claims: Record<string, unknown>): string {
  const [h, p, s] = jwt.split('.') as [string, string, string];
  const payload = { ...(JSON.parse(Buffer.from(p, 'base64url').toString()) as object), ...claims };
  return `${h}.${b64(payload)}.${s}`;
}

describe('an approval whose deferred decision cannot be recorded', () => {
  it('asks nobody and never runs the call', async () => {
    const seen: string[] = [];
    const tickets = await startTicketsServer(seen);
    // A sink that refuses the require_approval record (the audit log is down at that moment) and takes the rest.
    const written: string[] = [];
    const sink = { write: async (e: { decision: { effect: string } }) => {
      if (e.decision.effect === 'require_approval') throw new Error('disk full');
      written.push(e.decision.effect);
    } };
    const gateway = await McpGateway.start({ servers: [{ name: 'tickets', upstream: { transport: 'streamable-http', url: tickets.url }, policy: compilePolicy([{ name: 't.yaml', text: TICKETS_POLICY }]) }], sink: sink as never, log: () => undefined });
    const listener = await listenStreamableHttp(gateway, { host: '127.0.0.1', port: 0 });
    try {
      const asked: string[] = [];
      const client = new Client({ name: 'c', version: '1' }, { capabilities: { elicitation: { form: {} } } });
      client.setRequestHandler(ElicitRequestSchema, async (r) => {
        asked.push((r.params as { message: string }).message);
        return { action: 'accept', content: { approve: true } };
      });
      await client.connect(new StreamableHTTPClientTransport(new URL(listener.url)));
      const r = await call(client, 'tickets__create_ticket', { title: 'x' });
      expect(r.isError).toBe(true);
      expect(r.text).toContain('The decision could not be recorded (disk full)');
      expect(r.text).toContain('so the call is denied');
      expect(asked).toEqual([]);
      expect(seen).toEqual([]);
    } finally {
      await listener.close();
      await gateway.close();
      await tickets.close();
    }
  }, 30_000);
});

describe('McpGateway.start with several servers refuses what it cannot run', () => {
  const policy = compilePolicy([{ name: 'p.yaml', text: TICKETS_POLICY }]);
  const stdio = { transport: 'stdio' as const, command: process.execPath, args: ['-e', 'process.exit(0)'] };
  const bad: Array<[string, Record<string, unknown>, string, string]> = [
    ['an unknown option', { servers: [{ name: 'a', upstream: stdio, policy }], upstreams: [] }, 'ERR_MCP_OPTIONS', 'Unknown key "upstreams"'],
    ['servers and upstream together', { servers: [{ name: 'a', upstream: stdio, policy }], upstream: stdio, policy }, 'ERR_MCP_OPTIONS', 'not both'],
    ['an empty server list', { servers: [] }, 'ERR_MCP_OPTIONS', 'at least one server'],
    ['a server without a policy', { servers: [{ name: 'a', upstream: stdio }] }, 'ERR_MCP_OPTIONS', 'has no policy'],
    ['a server name with an underscore', { servers: [{ name: 'a_b', upstream: stdio, policy }] }, 'ERR_MCP_CONFIG', 'is not allowed'],
    ['two servers named alike', { servers: [{ name: 'fs', upstream: stdio, policy }, { name: 'FS', upstream: stdio, policy }] }, 'ERR_MCP_CONFIG', 'Two servers are named'],
    ['an unknown server option', { servers: [{ name: 'a', upstream: stdio, policy, sandbox: true }] }, 'ERR_MCP_OPTIONS', 'Unknown key "sandbox"'],
    ['an unknown onChange mode', { servers: [{ name: 'a', upstream: stdio, policy, onChange: 'ignore' }] }, 'ERR_MCP_OPTIONS', 'must be block or warn'],
    ['a server that exits at once (after a good one started)', { servers: [{ name: 'ok', upstream: { transport: 'stdio', command: process.execPath, args: [join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js'), tmpdir()] }, policy }, { name: 'gone', upstream: stdio, policy }] }, 'ERR_MCP_UPSTREAM', 'Could not start the MCP server'],
  ];
  it.each(bad)('refuses %s', async (_label, options, code, message) => {
    await expect(McpGateway.start({ ...(options as object), log: () => undefined, upstreamStderr: 'ignore' } as never)).rejects.toMatchObject({ code, message: expect.stringContaining(message) });
  }, 30_000);

  it('refuses a listener with auth in front of a gateway that verifies no tokens, and the reverse', async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const auth = await createBearerAuth({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], key: (await exportJWK(pair.publicKey)) as never });
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'warden-mcp-multi-opt-')));
    const upstream = { transport: 'stdio' as const, command: process.execPath, args: [join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js'), dir] };
    const plain = await McpGateway.start({ servers: [{ name: 'fs', upstream, policy }], log: () => undefined, upstreamStderr: 'ignore' });
    const verifying = await McpGateway.start({ servers: [{ name: 'fs', upstream, policy }], identity: auth.identity, log: () => undefined, upstreamStderr: 'ignore' });
    try {
      await expect(listenStreamableHttp(plain, { host: '127.0.0.1', port: 0, auth })).rejects.toMatchObject({ code: 'ERR_MCP_OPTIONS', message: expect.stringContaining('verifies no tokens') });
      await expect(listenStreamableHttp(verifying, { host: '127.0.0.1', port: 0 })).rejects.toMatchObject({ code: 'ERR_MCP_OPTIONS', message: expect.stringContaining('every call would be denied') });
      await expect(listenStreamableHttp(plain, { host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'ERR_MCP_LISTEN' });
    } finally {
      await plain.close();
      await verifying.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  const authOptions: Array<[string, Record<string, unknown>, string]> = [
    ['no issuer', { audience: AUDIENCE, algorithms: ['EdDSA'], key: {} }, 'auth.issuer is required'],
    ['no audience', { issuer: ISSUER, algorithms: ['EdDSA'], key: {} }, 'auth.audience is required'],
    ['an empty audience list', { issuer: ISSUER, audience: [], algorithms: ['EdDSA'], key: {} }, 'auth.audience is required'],
    ['an unknown key', { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], key: {}, allowAnonymous: true }, 'Unknown key "allowAnonymous"'],
    ['a scope with a space', { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], key: {}, requiredScopes: ['a b'] }, 'requiredScopes must be a list of scope tokens'],
    ['HS256 in the allowlist', { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], key: {} }, 'is not accepted'],
    ['none in the allowlist', { issuer: ISSUER, audience: AUDIENCE, algorithms: ['none'], key: {} }, 'is not accepted'],
    ['an empty allowlist', { issuer: ISSUER, audience: AUDIENCE, algorithms: [], key: {} }, 'algorithms must list'],
  ];
  it.each(authOptions)('createBearerAuth refuses %s', async (_label, options, message) => {
    await expect(createBearerAuth(options as never)).rejects.toThrow(message);
  });
});
