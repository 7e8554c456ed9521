/**
 * `verify: required` in the MCP gateway: a real MCP server (a stdio process on the MCP SDK) shipped
 * as a signed plugin directory with a server.json. Verification happens before the process is
 * spawned (the server's top level writes a marker file, which must not exist after a refusal); a
 * verified server's calls carry `context.plugin`, and a call outside the declared permissions is
 * denied and recorded.
 */
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/enforce/memory-sink.js';
import { createIdentity, type AgentKey } from '../../../src/identity/agent-key.js';
import { createRevocationList } from '../../../src/identity/rotation.js';
import { readMcpConfig } from '../../../src/integrations/mcp/config-file.js';
import { prepareMcpConfig } from '../../../src/integrations/mcp/config-start.js';
import { McpGateway } from '../../../src/integrations/mcp/gateway.js';
import { loadPolicyFiles } from '../../../src/enforce/load-files.js';
import { signPlugin } from '../../../src/supply/sign-plugin.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SDK = join(ROOT, 'node_modules', '@modelcontextprotocol', 'sdk', 'dist', 'esm');
const NOW = new Date('2026-12-01T00:00:00Z');
const acme = createIdentity();
const mallory = createIdentity();

const temps: string[] = [];
const gateways: McpGateway[] = [];
afterAll(async () => {
  await Promise.allSettled(gateways.map((g) => g.close()));
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

const SHELL = { name: 'shell', description: 'Runs a command.', inputSchema: { type: 'object' } };
const FORECAST = { name: 'forecast', description: 'The weather forecast for a city, from a weather service URL.', inputSchema: { type: 'object', properties: { city: { type: 'string' }, source: { type: 'string' } }, required: ['city'] } };

/** A real stdio MCP server; its top level writes `marker` before it serves. */
function serverScript(marker: string): string {
  const url = (p: string): string => pathToFileURL(join(SDK, p)).href;
  return `import { writeFileSync } from 'node:fs';
import { Server } from ${JSON.stringify(url('server/index.js'))};
import { StdioServerTransport } from ${JSON.stringify(url('server/stdio.js'))};
import { ListToolsRequestSchema, CallToolRequestSchema } from ${JSON.stringify(url('types.js'))};
writeFileSync(${JSON.stringify(marker)}, 'started');
const server = new Server({ name: 'weather', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [${JSON.stringify(FORECAST)}, ${JSON.stringify(SHELL)}] }));
server.setRequestHandler(CallToolRequestSchema, async (r) => ({ content: [{ type: 'text', text: 'sunny in ' + String(r.params.arguments?.city) }] }));
await server.connect(new StdioServerTransport());
`;
}

interface Plugin {
  base: string;
  dir: string;
  marker: string;
}

async function makeServer(signer: AgentKey, namespace = 'io.github.acme', signedTools: Array<{ name: string } & Record<string, unknown>> = [FORECAST, SHELL]): Promise<Plugin> {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'warden-mcp-verify-')));
  temps.push(base);
  const dir = join(base, 'weather');
  const marker = join(base, 'started.txt');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir);
  writeFileSync(join(dir, 'server.mjs'), serverScript(marker));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'weather', version: '1.0.0', type: 'module', dependencies: { '@modelcontextprotocol/sdk': '1.32.2' } }));
  const sdk = (JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; integrity: string }> }).packages['node_modules/@modelcontextprotocol/sdk'];
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'weather', version: '1.0.0', lockfileVersion: 3, packages: { '': { name: 'weather', version: '1.0.0' }, 'node_modules/@modelcontextprotocol/sdk': { version: sdk?.version, integrity: sdk?.integrity } } }));
  writeFileSync(join(dir, 'server.json'), JSON.stringify({ $schema: 'https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json', name: `${namespace}/weather`, description: 'Weather forecasts', version: '1.0.0', packages: [{ registryType: 'npm', identifier: 'weather', version: '1.0.0', transport: { type: 'stdio' } }] }));
  await signPlugin(dir, { name: 'weather', pluginVersion: '1.0.0', entry: ['server.mjs'], tools: signedTools, permissions: { tools: ['forecast'], egress: ['api.weather.example'], paths: [] } }, signer, { now: NOW });
  writeFileSync(join(base, 'policy.yaml'), `apiVersion: warden/v1
kind: Policy
name: weather
rules:
  - name: only-acme
    tools: ["*"]
    when: "!has(context.plugin) || context.plugin.verified != true || context.plugin.publisher != '${acme.did}'"
    effect: deny
    reason: Only plugins verified as Acme's may run
  - name: allow
    tools: ["*"]
    effect: allow
`);
  return { base, dir, marker };
}

function config(p: Plugin, verify: string): string {
  const file = join(p.base, 'warden.mcp.yaml');
  writeFileSync(file, `apiVersion: warden/v1
kind: McpGateway
servers:
  weather:
    command: ${process.execPath}
    args: [weather/server.mjs]
    cwd: .
    policy: [policy.yaml]
${verify}`);
  return file;
}

const REQUIRED = (publishers = `[{ did: "${acme.did}", namespaces: [io.github.acme] }]`): string => `    verify: required
    plugin:
      dir: weather
      publishers: ${publishers}
    serverJson: weather/server.json
`;

async function startFromConfig(file: string): Promise<{ gateway: McpGateway; sink: MemorySink; client: Client }> {
  const { servers } = await prepareMcpConfig(await readMcpConfig(file));
  const sink = new MemorySink();
  const gateway = await McpGateway.start({ servers, sink, log: () => undefined, upstreamStderr: 'ignore' });
  gateways.push(gateway);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await gateway.connect(serverSide, 'stdio');
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(clientSide);
  return { gateway, sink, client };
}

function textOf(r: unknown): string {
  return ((r as { content: Array<{ text: string }> }).content[0] as { text: string }).text;
}

describe('verify: required in warden.mcp.yaml', () => {
  it('starts a verified server, and its calls carry context.plugin for the policy', async () => {
    const p = await makeServer(acme);
    const { client, sink } = await startFromConfig(config(p, REQUIRED()));
    expect(existsSync(p.marker)).toBe(true);
    const r = await client.callTool({ name: 'weather__forecast', arguments: { city: 'Oslo' } });
    expect(textOf(r)).toBe('sunny in Oslo');
    const decided = sink.events.find((e) => e.request.tool === 'forecast');
    expect(decided?.decision.effect).toBe('allow');
    expect(decided?.request.context?.plugin).toMatchObject({ verified: true, publisher: acme.did, name: 'weather', version: '1.0.0', permissions: { egress: ['api.weather.example'] } });
  });

  it('denies and records a call that reaches a host the manifest does not declare', async () => {
    const p = await makeServer(acme);
    const { client, sink } = await startFromConfig(config(p, REQUIRED()));
    const ok = await client.callTool({ name: 'weather__forecast', arguments: { city: 'Oslo', source: 'https://api.weather.example/v1' } });
    expect(textOf(ok)).toBe('sunny in Oslo');
    const r = await client.callTool({ name: 'weather__forecast', arguments: { city: 'Oslo', source: 'https://evil.example/collect' } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('plugin-undeclared-egress');
    expect(sink.events.some((e) => e.request.tool === 'forecast' && e.decision.rule === 'plugin-undeclared-egress' && e.decision.effect === 'deny')).toBe(true);
  });

  it('denies and records a tool the manifest does not declare', async () => {
    const p = await makeServer(acme);
    const { client, sink } = await startFromConfig(config(p, REQUIRED()));
    const r = await client.callTool({ name: 'weather__shell', arguments: {} });
    expect(r.isError).toBe(true);
    expect(sink.events.some((e) => e.request.tool === 'shell' && e.decision.rule === 'plugin-undeclared-tool')).toBe(true);
  });

  const REFUSED: Array<[string, (p: Plugin) => void, string, string?]> = [
    ['a server file changed after signing', (p) => writeFileSync(join(p.dir, 'server.mjs'), `${readFileSync(join(p.dir, 'server.mjs'), 'utf8')}\n// changed\n`), 'file_changed'],
    ['a dependency added after signing', (p) => {
      const lock = JSON.parse(readFileSync(join(p.dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
      lock.packages['node_modules/evil'] = { version: '1.0.0', integrity: `sha512-${'A'.repeat(86)}==` };
      writeFileSync(join(p.dir, 'package-lock.json'), JSON.stringify(lock));
    }, 'dependency_added'],
    ['a server.json changed after signing', (p) => writeFileSync(join(p.dir, 'server.json'), JSON.stringify({ name: 'io.github.acme/weather', version: '1.0.1' })), 'file_changed'],
  ];
  it.each(REFUSED)('refuses to start %s, before the process is spawned', async (_name, tamper, reason) => {
    const p = await makeServer(acme);
    tamper(p);
    await expect(startFromConfig(config(p, REQUIRED()))).rejects.toMatchObject({ code: 'ERR_SUPPLY', reason });
    expect(existsSync(p.marker)).toBe(false);
  });

  it('refuses a signed server.json claiming a namespace its publisher is not accepted for', async () => {
    const p = await makeServer(acme, 'io.github.modelcontextprotocol');
    await expect(startFromConfig(config(p, REQUIRED()))).rejects.toMatchObject({ code: 'ERR_SUPPLY', reason: 'namespace' });
    expect(existsSync(p.marker)).toBe(false);
  });

  it('stops a verified server that lists a tool definition its manifest did not sign', async () => {
    const p = await makeServer(acme, 'io.github.acme', [{ ...FORECAST, description: 'The forecast.' }, SHELL]);
    await expect(startFromConfig(config(p, REQUIRED()))).rejects.toMatchObject({ code: 'ERR_SUPPLY', reason: 'tool_definition' });
  });

  it('stops a verified server that lists a tool its manifest does not name', async () => {
    const p = await makeServer(acme, 'io.github.acme', [FORECAST]);
    await expect(startFromConfig(config(p, REQUIRED()))).rejects.toMatchObject({ code: 'ERR_SUPPLY', reason: 'tool_definition', message: expect.stringContaining('"shell", which is not in its signed manifest') });
  });

  it('refuses a server signed by a key that is not accepted', async () => {
    const p = await makeServer(mallory);
    await expect(startFromConfig(config(p, REQUIRED()))).rejects.toMatchObject({ code: 'ERR_SUPPLY', reason: 'publisher' });
    expect(existsSync(p.marker)).toBe(false);
  });

  it('refuses a server whose publisher is on the revocation list', async () => {
    const p = await makeServer(acme);
    const ops = createIdentity();
    writeFileSync(join(p.base, 'revoked.json'), JSON.stringify(createRevocationList(ops, [{ id: acme.did, at: NOW.toISOString() }], { now: NOW })));
    const file = config(p, `${REQUIRED()}`.replace('    serverJson', `      revocations: { file: revoked.json, issuer: "${ops.did}" }\n    serverJson`));
    await expect(startFromConfig(file)).rejects.toMatchObject({ code: 'ERR_SUPPLY', reason: 'revoked' });
    expect(existsSync(p.marker)).toBe(false);
  });

  const BAD_CONFIG: Array<[string, string]> = [
    ['verify: optional', '    verify: optional\n    plugin: { dir: weather, publishers: [x] }\n'],
    ['plugin without verify: required', `    plugin: { dir: weather, publishers: ["${acme.did}"] }\n`],
    ['verify: required with nothing to verify against', '    verify: required\n'],
    ['verify: required with both plugin and npm', `    verify: required\n    plugin: { dir: weather, publishers: ["${acme.did}"] }\n    npm: { tarball: a.tgz, bundle: b.json, identities: [{ issuer: x, subject: y }] }\n`],
    ['an empty publisher list', '    verify: required\n    plugin: { dir: weather, publishers: [] }\n'],
    ['an unknown key under plugin', `    verify: required\n    plugin: { dir: weather, publishers: ["${acme.did}"], trustAll: true }\n`],
    ['an npm identity with only an issuer', '    verify: required\n    npm: { tarball: a.tgz, bundle: b.json, identities: [{ issuer: x }] }\n'],
  ];
  it.each(BAD_CONFIG)('rejects the configuration with %s', async (_name, yaml) => {
    const p = await makeServer(acme);
    await expect(readMcpConfig(config(p, yaml))).rejects.toMatchObject({ code: 'ERR_MCP_CONFIG' });
  });
});

describe('verify: required with npm provenance', () => {
  const FIX = join(ROOT, 'test', 'fixtures', 'supply');
  const npm = (subject: string, serverJson = ''): string => `    verify: required
    npm:
      tarball: ${join(FIX, 'sigstore-1.0.0.tgz')}
      bundle: ${join(FIX, 'sigstore-1.0.0.publish.sigstore.json')}
      identities: [{ issuer: "https://github.com/login/oauth", subject: "${subject}" }]
${serverJson}`;

  it('starts the server when the tarball verifies against an accepted identity', async () => {
    const p = await makeServer(acme);
    writeFileSync(join(p.base, 'policy.yaml'), 'apiVersion: warden/v1\nkind: Policy\nname: p\nrules:\n  - name: verified-only\n    tools: ["*"]\n    when: "has(context.plugin) && context.plugin.verified == true && context.plugin.name == \'sigstore\'"\n    effect: allow\n');
    const { client, sink } = await startFromConfig(config(p, npm('brian@dehamer.com')));
    expect(textOf(await client.callTool({ name: 'weather__forecast', arguments: { city: 'Oslo' } }))).toBe('sunny in Oslo');
    expect(sink.events.find((e) => e.request.tool === 'forecast')?.request.context?.plugin).toMatchObject({ verified: true, publisher: 'brian@dehamer.com', name: 'sigstore', version: '1.0.0' });
  });

  it('refuses to start when the provenance names another signer', async () => {
    const p = await makeServer(acme);
    await expect(startFromConfig(config(p, npm('someone@else.example')))).rejects.toMatchObject({ code: 'ERR_SUPPLY', reason: 'subject' });
    expect(existsSync(p.marker)).toBe(false);
  });

  it('refuses a server.json namespace that provenance without a source repository cannot prove', async () => {
    const p = await makeServer(acme);
    await expect(startFromConfig(config(p, npm('brian@dehamer.com', '    serverJson: weather/server.json\n')))).rejects.toMatchObject({ code: 'ERR_SUPPLY', reason: 'namespace' });
    expect(existsSync(p.marker)).toBe(false);
  });
});

describe('verify in the gateway options', () => {
  it('verifies every server before spawning any: a bad one keeps the good one from starting too', async () => {
    const good = await makeServer(acme);
    const bad = await makeServer(acme);
    writeFileSync(join(bad.dir, 'server.mjs'), `${readFileSync(join(bad.dir, 'server.mjs'), 'utf8')}\n// changed\n`);
    const policy = await loadPolicyFiles([join(good.base, 'policy.yaml')]);
    const server = (p: Plugin, name: string) => ({ name, upstream: { transport: 'stdio' as const, command: process.execPath, args: [join(p.dir, 'server.mjs')] }, policy, verify: { plugin: { dir: p.dir, publishers: [acme.did] } } });
    await expect(McpGateway.start({ servers: [server(good, 'good'), server(bad, 'bad')], log: () => undefined, upstreamStderr: 'ignore' })).rejects.toMatchObject({ code: 'ERR_SUPPLY', reason: 'file_changed' });
    expect(existsSync(good.marker)).toBe(false);
    expect(existsSync(bad.marker)).toBe(false);
  });

  it('sets context.plugin from verification, replacing what a caller could claim', async () => {
    const p = await makeServer(acme);
    const policy = await loadPolicyFiles([join(p.base, 'policy.yaml')]);
    const sink = new MemorySink();
    const gateway = await McpGateway.start({ upstream: { transport: 'stdio', command: process.execPath, args: [join(p.dir, 'server.mjs')] }, serverName: 'weather', policy, sink, verify: { plugin: { dir: p.dir, publishers: [acme.did] } }, log: () => undefined, upstreamStderr: 'ignore' });
    gateways.push(gateway);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await gateway.connect(serverSide, 'stdio');
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(clientSide);
    const r = await client.callTool({ name: 'forecast', arguments: { city: 'Bergen', plugin: { verified: true, publisher: mallory.did } } });
    expect(textOf(r)).toBe('sunny in Bergen');
    expect(sink.events.find((e) => e.request.tool === 'forecast')?.request.context?.plugin).toMatchObject({ verified: true, publisher: acme.did });
  });

  it('runs an unverified server with no context.plugin, so a rule requiring a verified publisher denies it', async () => {
    const p = await makeServer(acme);
    const policy = await loadPolicyFiles([join(p.base, 'policy.yaml')]);
    const sink = new MemorySink();
    const gateway = await McpGateway.start({ upstream: { transport: 'stdio', command: process.execPath, args: [join(p.dir, 'server.mjs')] }, policy, sink, log: () => undefined, upstreamStderr: 'ignore' });
    gateways.push(gateway);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await gateway.connect(serverSide, 'stdio');
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(clientSide);
    const r = await client.callTool({ name: 'forecast', arguments: { city: 'Bergen' } });
    expect(r.isError).toBe(true);
    expect(sink.events.find((e) => e.request.tool === 'forecast')?.decision.rule).toBe('only-acme');
  });
});
