/**
 * The shipped example (examples/supply): its gateway configuration verifies the signed weather
 * server and runs it, and the docs' walkthrough matches what the files hold.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { readMcpConfig } from '../../src/integrations/mcp/config-file.js';
import { prepareMcpConfig } from '../../src/integrations/mcp/config-start.js';
import { McpGateway } from '../../src/integrations/mcp/gateway.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/supply/', import.meta.url));
let gateway: McpGateway | null = null;
afterAll(async () => {
  await gateway?.close();
});

describe('examples/supply/warden.mcp.yaml', () => {
  it('verifies the signed weather server before starting it, and its calls are decided with context.plugin', async () => {
    const config = await readMcpConfig(join(EXAMPLE, 'warden.mcp.yaml'));
    const { servers } = await prepareMcpConfig(config);
    const sink = new MemorySink();
    gateway = await McpGateway.start({ servers, sink, log: () => undefined, upstreamStderr: 'ignore' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await gateway.connect(serverSide, 'stdio');
    const client = new Client({ name: 'example', version: '1' });
    await client.connect(clientSide);
    const r = (await client.callTool({ name: 'weather__forecast', arguments: { city: 'Oslo' } })) as { content: Array<{ text: string }>; isError?: boolean };
    expect(r.content[0]?.text).toBe('Forecast for Oslo: 14°C, light rain.');
    const denied = (await client.callTool({ name: 'weather__forecast', arguments: { city: 'Oslo', source: 'https://collector.evil.example/' } })) as { isError?: boolean };
    expect(denied.isError).toBe(true);
    expect(sink.events.map((e) => e.decision.rule)).toEqual(['forecasts', 'plugin-undeclared-egress']);
    expect(sink.events[0]?.request.context?.plugin).toMatchObject({ verified: true, name: 'weather', version: '1.0.0' });
  });
});
