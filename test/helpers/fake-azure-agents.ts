/**
 * A local HTTPS server speaking the part of the Azure AI Foundry Agents REST API that the
 * `@azure/ai-agents` client uses for a run with client-side function tools, in the shapes the
 * client's own (de)serializers read: `POST /threads`, `POST /threads/{t}/runs`,
 * `GET /threads/{t}/runs/{r}`, `POST .../submit_tool_outputs`, `POST .../cancel` and
 * `GET /threads/{t}/messages`, each with `?api-version=v1` and a bearer token; a create or a
 * submission with `stream: true` is answered with the run's server-sent events. Its "model" is a
 * script per run: steps that ask for tool calls (`requires_action` / `submit_tool_outputs`), then
 * a final assistant message listing the tool outputs it received, so a test sees what the model saw.
 *
 * The client refuses bearer tokens over plain HTTP, so the server speaks TLS with a certificate
 * made by openssl for 127.0.0.1, and the client trusts it through its `agent` option.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** A tool call as the service sends it (raw JSON: tests put malformed shapes here too). */
export type RawToolCall = Record<string, unknown>;

/** One step of a run's script: tool calls to ask for, or the end (a raw required_action to send as it is). */
export type Step = { toolCalls: RawToolCall[] } | { requiredAction: unknown } | 'end';

export interface FakeRun {
  id: string;
  threadId: string;
  status: string;
  script: Step[];
  /** The current step's tool calls (tests may change them to play a service that changed a call). */
  pending: RawToolCall[] | null;
  rawAction: unknown;
  /** Every submit_tool_outputs body's tool_outputs, in order. */
  submitted: Array<Array<{ tool_call_id: string; output: string }>>;
  /** Status the run goes to after a submit, before the next step is served (default in_progress). */
  polls: number;
}

export interface FakeAzureAgents {
  endpoint: string;
  agent: Agent;
  runs: Map<string, FakeRun>;
  /** Requests, as `METHOD path` (without the query). */
  log: string[];
  /** Script for the next run created. */
  nextScript: Step[];
  /** Fails requests whose `METHOD path` matches, with this status. */
  fail: { match: RegExp; status: number } | null;
  /** Answers GET of a run with another run's id (a confused or hostile service). */
  answerWithOtherRun: boolean;
  messages(threadId: string): string[];
  close(): Promise<void>;
}

export const TOKEN = 'test-token-not-a-secret';

/** A certificate and key for 127.0.0.1 in `dir`, made with openssl. */
function certificate(dir: string): { key: Buffer; cert: Buffer } {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'azure.key', '-out', 'azure.pem', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'azure.key')), cert: readFileSync(join(dir, 'azure.pem')) };
}

export async function startFakeAzureAgents(dir: string): Promise<FakeAzureAgents> {
  const { key, cert } = certificate(dir);
  const runs = new Map<string, FakeRun>();
  const threads = new Map<string, string[]>();
  let counter = 0;
  const state: FakeAzureAgents = {
    endpoint: '',
    agent: new Agent({ ca: cert, keepAlive: false }),
    runs,
    log: [],
    nextScript: ['end'],
    fail: null,
    answerWithOtherRun: false,
    messages: (threadId) => threads.get(threadId) ?? [],
    close: () => new Promise((ok) => server.close(() => ok())),
  };

  const runJson = (run: FakeRun, id = run.id): Record<string, unknown> => ({
    id,
    object: 'thread.run',
    thread_id: run.threadId,
    assistant_id: 'asst_fake',
    status: run.status,
    required_action: run.status !== 'requires_action' ? null : run.rawAction !== undefined ? run.rawAction : { type: 'submit_tool_outputs', submit_tool_outputs: { tool_calls: run.pending } },
    last_error: null,
    model: 'scripted',
    instructions: '',
    tools: [],
    created_at: 1_700_000_000,
    expires_at: 1_700_000_600,
    started_at: 1_700_000_000,
    completed_at: run.status === 'completed' ? 1_700_000_100 : null,
    cancelled_at: run.status === 'cancelled' ? 1_700_000_100 : null,
    failed_at: null,
    incomplete_details: null,
    usage: null,
    max_prompt_tokens: null,
    max_completion_tokens: null,
    truncation_strategy: null,
    tool_choice: null,
    response_format: null,
    metadata: {},
    parallel_tool_calls: true,
  });

  /** The run takes its next scripted step. */
  const advance = (run: FakeRun): void => {
    const step = run.script.shift() ?? 'end';
    if (step === 'end') {
      run.status = 'completed';
      run.pending = null;
      // The model's last message: every tool output it was given, so a test can read what it saw.
      const seen = run.submitted.flat().map((o) => `${o.tool_call_id}=${o.output}`);
      threads.get(run.threadId)?.push(`outputs seen: ${seen.join(' | ')}`);
      return;
    }
    run.status = 'requires_action';
    if ('requiredAction' in step) {
      run.rawAction = step.requiredAction;
      run.pending = null;
    } else {
      run.rawAction = undefined;
      run.pending = step.toolCalls;
    }
  };

  const server: Server = createServer({ key, cert }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const line = `${req.method} ${url.pathname}`;
      state.log.push(line);
      const send = (status: number, json: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const error = (status: number, code: string, message: string): void => send(status, { error: { code, message } });
      /** The run's events as server-sent events (what `.stream()` reads): the state it moved to, then done. */
      const stream = (run: FakeRun, first: string | null): void => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        if (first !== null) res.write(`event: ${first}\ndata: ${JSON.stringify(runJson(run))}\n\n`);
        if (run.status === 'queued' || run.status === 'in_progress') advance(run);
        res.write(`event: thread.run.${run.status}\ndata: ${JSON.stringify(runJson(run))}\n\n`);
        res.end('event: done\ndata: [DONE]\n\n');
      };
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return error(401, 'unauthorized', 'no or wrong bearer token');
      if (url.searchParams.get('api-version') !== 'v1') return error(400, 'bad_api_version', `api-version ${String(url.searchParams.get('api-version'))}`);
      if (state.fail !== null && state.fail.match.test(line)) return error(state.fail.status, 'server_error', 'scripted failure');
      let json: Record<string, unknown>;
      try {
        json = body === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
      } catch {
        return error(400, 'bad_json', 'the body is not JSON');
      }
      const parts = url.pathname.split('/').filter((p) => p !== '');
      if (req.method === 'POST' && parts.length === 1 && parts[0] === 'threads') {
        const id = `thread_${++counter}`;
        threads.set(id, []);
        return send(200, { id, object: 'thread', created_at: 1_700_000_000, metadata: {} });
      }
      if (parts[0] !== 'threads' || parts[1] === undefined || !threads.has(parts[1])) return error(404, 'not_found', 'no such thread');
      const threadId = parts[1];
      if (req.method === 'GET' && parts.length === 3 && parts[2] === 'messages') {
        const data = (threads.get(threadId) ?? []).map((text, i) => ({
          id: `msg_${i}`,
          object: 'thread.message',
          created_at: 1_700_000_000,
          thread_id: threadId,
          status: 'completed',
          incomplete_details: null,
          completed_at: 1_700_000_001,
          incomplete_at: null,
          role: 'assistant',
          content: [{ type: 'text', text: { value: text, annotations: [] } }],
          assistant_id: 'asst_fake',
          run_id: null,
          attachments: null,
          metadata: {},
        }));
        return send(200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
      }
      if (parts[2] !== 'runs') return error(404, 'not_found', 'no such route');
      if (req.method === 'POST' && parts.length === 3) {
        if (typeof json.assistant_id !== 'string') return error(400, 'invalid_request', 'assistant_id is required');
        const run: FakeRun = { id: `run_${++counter}`, threadId, status: 'queued', script: [...state.nextScript], pending: null, rawAction: undefined, submitted: [], polls: 0 };
        runs.set(run.id, run);
        if (json.stream === true) return stream(run, 'thread.run.created');
        return send(200, runJson(run));
      }
      const run = parts[3] !== undefined ? runs.get(parts[3]) : undefined;
      if (run === undefined || run.threadId !== threadId) return error(404, 'not_found', 'no such run');
      if (req.method === 'GET' && parts.length === 4) {
        // A queued or in-progress run moves on when it is read, as the service's would by itself.
        if (run.status === 'queued' || run.status === 'in_progress') advance(run);
        return send(200, runJson(run, state.answerWithOtherRun ? 'run_other' : run.id));
      }
      if (req.method === 'POST' && parts[4] === 'cancel') {
        run.status = 'cancelled';
        run.pending = null;
        return send(200, runJson(run));
      }
      if (req.method === 'POST' && parts[4] === 'submit_tool_outputs') {
        if (run.status !== 'requires_action') return error(400, 'invalid_request', `run is ${run.status}, not requires_action`);
        const outputs = json.tool_outputs;
        if (!Array.isArray(outputs)) return error(400, 'invalid_request', 'tool_outputs is required');
        // As the service: every asked call answered, once, and nothing else.
        const asked = (run.pending ?? []).map((c) => c.id);
        const given = outputs.map((o: { tool_call_id?: unknown }) => o.tool_call_id);
        if (given.length !== asked.length || asked.some((id) => !given.includes(id))) return error(400, 'invalid_request', `tool outputs ${JSON.stringify(given)} do not answer ${JSON.stringify(asked)}`);
        run.submitted.push(outputs as Array<{ tool_call_id: string; output: string }>);
        run.status = 'in_progress';
        run.pending = null;
        if (json.stream === true) return stream(run, null);
        return send(200, runJson(run));
      }
      return error(404, 'not_found', 'no such route');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  state.endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
