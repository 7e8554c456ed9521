// A small MCP server shipped as a signed Warden plugin: one tool, `forecast`, answered offline.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { readFileSync } from 'node:fs';

const tools = JSON.parse(readFileSync(new URL('./tools.json', import.meta.url), 'utf8'));
const server = new Server({ name: 'weather', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
server.setRequestHandler(CallToolRequestSchema, async (request) => {
  const city = String(request.params.arguments?.city ?? 'nowhere');
  return { content: [{ type: 'text', text: `Forecast for ${city}: 14°C, light rain.` }] };
});
await server.connect(new StdioServerTransport());
