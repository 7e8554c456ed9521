/**
 * A local HTTP server speaking the Anthropic Messages API (streamed server-sent events, as the
 * documented `message_start` ... `message_stop` sequence), scripted turn by turn: the model that
 * drives a real Claude Agent SDK run in tests, without the network.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One model turn: tool calls (each `{ id, name, input }`), or a text answer. */
export type Turn = { tools: Array<{ id: string; name: string; input: Record<string, unknown> }> } | { text: string };

/** What the model was sent on each scripted turn. */
export interface SeenRequest {
  messages: Array<{ role: string; content: unknown }>;
}

export interface FakeAnthropic {
  url: string;
  /** Requests that consumed a scripted turn, in order. */
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * Starts the server. Streamed requests that offer a tool named with `toolPrefix` take the next
 * scripted turn (a text "done" once the script is used up); anything else (side requests the
 * CLI makes with other models) gets a short text answer.
 */
export async function startFakeAnthropic(turns: Turn[], toolPrefix: string): Promise<FakeAnthropic> {
  const queue = [...turns];
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      let json: { stream?: boolean; model?: string; tools?: Array<{ name?: string }>; messages?: SeenRequest['messages'] } = {};
      try {
        json = JSON.parse(body || '{}') as typeof json;
      } catch {
        // Not JSON: answered like any side request.
      }
      if (!(req.url ?? '').startsWith('/v1/messages') || (req.url ?? '').includes('count_tokens')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ input_tokens: 1 }));
        return;
      }
      const scripted = json.stream === true && (json.tools ?? []).some((t) => typeof t.name === 'string' && t.name.startsWith(toolPrefix));
      let turn: Turn = { text: 'ok' };
      if (scripted) {
        seen.push({ messages: json.messages ?? [] });
        turn = queue.shift() ?? { text: 'done' };
      }
      const message = { id: `msg_${seen.length}`, type: 'message', role: 'assistant', model: json.model ?? 'claude', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } };
      if (json.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...message, content: [{ type: 'text', text: 'text' in turn ? turn.text : 'ok' }], stop_reason: 'end_turn' }));
        return;
      }
      const events: Array<[string, unknown]> = [['message_start', { type: 'message_start', message }]];
      if ('tools' in turn) {
        turn.tools.forEach((t, index) => {
          events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: t.id, name: t.name, input: {} } }]);
          events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(t.input) } }]);
          events.push(['content_block_stop', { type: 'content_block_stop', index }]);
        });
        events.push(['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 1 } }]);
      } else {
        events.push(['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }]);
        events.push(['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: turn.text } }]);
        events.push(['content_block_stop', { type: 'content_block_stop', index: 0 }]);
        events.push(['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } }]);
      }
      events.push(['message_stop', { type: 'message_stop' }]);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const [event, data] of events) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
