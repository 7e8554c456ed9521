/**
 * `createDecisionServer()`: the decision service. Every decision goes through one Pipeline (the
 * same one the Governor uses): the server authenticates the caller, reads a bounded, strictly
 * parsed body, and hands the pipeline the request with the caller's verified identity; it never
 * builds a decision or a record itself. Until a policy is active, the pipeline decides against an
 * empty policy set (default deny) and /readyz answers 503.
 */
import type { KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { openFileAuditSink } from '../audit/file-sink.js';
import { toPublicKey } from '../audit/keys.js';
import type { AgentIdentity, DecisionSink, Outcome, WardenWarning } from '../decision.js';
import type { ApprovalHandler } from '../enforce/approval.js';
import { Pipeline, type CallInput, type DecidedCall, type PipelineRuntime } from '../enforce/pipeline.js';
import type { CallMonitor } from '../monitor.js';
import type { Verdict } from '../enforce/verdict.js';
import { WardenError } from '../errors.js';
import type { CredentialVerifier } from '../identity/credential.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import type { WardenMetrics } from '../telemetry/metrics.js';
import { ActivePolicy, type ActivePolicyStatus, type PolicyWatchOptions } from './active-policy.js';
import { createAuthenticator, type ServerAuthOptions } from './auth.js';
import { MAX_BUNDLE_BYTES } from './bundle-format.js';
import { startBundlePoller } from './bundle-poll.js';
import { answerError, answerJson, readBoundedBody, readJsonBody, TOO_LARGE, type BodyProblem } from './http-io.js';
import { openApiDocument, ROUTES, type RouteSpec } from './routes.js';
import { ServerMetrics } from './server-metrics.js';

/**
 * A handler mounted under a path prefix (the dashboard): it gets every request whose path starts
 * with `prefix`, and does its own authentication.
 *
 * @example
 * ```ts
 * const mount: ServerMount = { prefix: '/dashboard', handle: async (req, res) => { res.end('hi'); } };
 * ```
 */
export interface ServerMount {
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/**
 * Options of {@link createDecisionServer}. Give `policy` or `bundle`.
 *
 * @example
 * ```ts
 * const options: DecisionServerOptions = { policy: ['policies/'], auth: { tokens: [{ subject: 'bot', token }] }, audit: '.warden/serve-audit', store: 'sqlite:.warden/state.db' };
 * ```
 */
export interface DecisionServerOptions {
  /** Policy files or directories, loaded at start (and reloaded on change with `watch`). */
  policy?: string[];
  /**
   * Watch the `policy` files and reload them on change: a change that loads and compiles is
   * activated atomically; one that does not leaves the last good policy serving, and readyz and
   * the metrics report it. `true` uses the defaults (100 ms debounce, a stat poll every 2 s, no
   * manifest); with `manifest`, only the set whose digest the manifest names is activated.
   * Default off: the policy is loaded once.
   */
  watch?: boolean | PolicyWatchOptions;
  /** A signed bundle: a path or an http(s) URL, the public key trusted to sign it, and how often to look for a new one. */
  bundle?: { source: string; publicKey: KeyObject | string; pollIntervalMs?: number; push?: boolean };
  /** How callers authenticate (required). */
  auth: ServerAuthOptions;
  /** Where to listen; default 127.0.0.1:8181 (loopback). Port 0 picks a free port. */
  host?: string;
  port?: number;
  /** Where decisions are recorded: a sink, or the path of a file audit log (default `.warden/serve-audit`). */
  sink?: DecisionSink;
  audit?: string;
  /** The state store (limits, sessions): a Store or a url for openStore(); default `sqlite:.warden/serve-state.db`. */
  store?: Store | string;
  /** Answers require_approval decisions; without it they are denied with the pipeline's reason. */
  approvalHandler?: ApprovalHandler;
  approvalTimeoutMs?: number;
  /** The runtime (kill switch, trust, rings: `createRuntime()` from agent-warden/runtime), passed to the pipeline. */
  runtime?: PipelineRuntime;
  /** More call monitors for the pipeline (`createSre()`, tracing), beside the service's own metrics. */
  monitors?: CallMonitor[];
  /** Handlers for path prefixes (the dashboard). */
  mounts?: ServerMount[];
  /**
   * Serve HTTPS with this certificate and key (PEM). With `clientCa`, every client must present a
   * certificate that CA issued (mutual TLS), in addition to its bearer token.
   */
  tls?: { cert: string | Buffer; key: string | Buffer; clientCa?: string | Buffer };
  /** Largest request body; default 1 MiB. */
  maxBodyBytes?: number;
  /** Most requests in one batch; default 1000. */
  maxBatch?: number;
  clock?: () => Date;
  onWarning?: (warning: WardenWarning) => void;
}

/**
 * A running (or ready to run) decision service.
 *
 * @example
 * ```ts
 * const server = await createDecisionServer({ policy: ['policy.yaml'], auth: { tokens } });
 * const { url } = await server.listen();
 * await server.close();
 * ```
 */
export interface DecisionServer {
  /** Starts listening; resolves with the bound address. */
  listen(): Promise<{ host: string; port: number; url: string }>;
  /** The bound address, once listening. */
  readonly address: { host: string; port: number; url: string } | null;
  /** The pipeline every decision goes through. */
  readonly pipeline: Pipeline;
  /** What policy is in force. */
  status(): ActivePolicyStatus;
  /** Looks for a new bundle now (as the poll interval would); resolves once it was judged. A service without a bundle does nothing. */
  pollBundle(): Promise<void>;
  /** Stops listening and polling, and closes the sink and store it opened. */
  close(): Promise<void>;
}

const OPTION_KEYS = ['policy', 'watch', 'bundle', 'auth', 'host', 'port', 'sink', 'audit', 'store', 'approvalHandler', 'approvalTimeoutMs', 'runtime', 'monitors', 'mounts', 'tls', 'maxBodyBytes', 'maxBatch', 'clock', 'onWarning'];
const DEFAULT_AUDIT = '.warden/serve-audit';
const DEFAULT_STORE = 'sqlite:.warden/serve-state.db';
const KNOWN_PATHS = new Map<string, RouteSpec[]>();
for (const r of ROUTES) KNOWN_PATHS.set(r.path, [...(KNOWN_PATHS.get(r.path) ?? []), r]);

/**
 * Creates the decision service: loads the policy (or the first bundle), opens the sink and the
 * state store, and builds the pipeline. Call `listen()` to serve.
 *
 * @example
 * ```ts
 * const server = await createDecisionServer({ policy: ['policies/'], auth: { tokens: [{ subject: 'ci', token: 'a-long-random-token-1234' }] }, port: 0 });
 * console.log((await server.listen()).url);
 * ```
 * @throws WardenError `ERR_SERVER` for bad options; PolicyLoadError when the given policy files do not load.
 */
export async function createDecisionServer(options: DecisionServerOptions): Promise<DecisionServer> {
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_SERVER', 'Pass the options as an object: { policy | bundle, auth, ... }.');
  rejectUnknownKeys(options, OPTION_KEYS, 'ERR_SERVER', 'decision server options');
  if ((options.policy === undefined) === (options.bundle === undefined)) throw new WardenError('ERR_SERVER', 'Give exactly one of policy (files or directories) and bundle (a signed bundle and its key).');
  const watch = options.watch === undefined || options.watch === false ? null : options.watch === true ? {} : options.watch;
  if (watch !== null && (typeof watch !== 'object' || options.policy === undefined)) throw new WardenError('ERR_SERVER', 'watch goes with policy (files or directories): true, or { debounceMs?, pollMs?, manifest? }. Bundles are polled with bundle.pollIntervalMs instead.');
  if (watch !== null) rejectUnknownKeys(watch, ['debounceMs', 'pollMs', 'manifest'], 'ERR_SERVER', 'watch options');
  const authenticate = createAuthenticator(options.auth);
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const maxBatch = options.maxBatch ?? 1000;
  for (const mount of options.mounts ?? []) {
    if (typeof mount?.prefix !== 'string' || !mount.prefix.startsWith('/') || mount.prefix === '/' || typeof mount.handle !== 'function') throw new WardenError('ERR_SERVER', 'Each mount is { prefix: "/something", handle(req, res) }.');
    if (ROUTES.some((r) => r.path.startsWith(mount.prefix))) throw new WardenError('ERR_SERVER', `The mount prefix ${mount.prefix} would hide a service route.`);
  }
  const tls = options.tls;
  if (tls !== undefined && (tls === null || typeof tls !== 'object' || tls.cert === undefined || tls.key === undefined)) throw new WardenError('ERR_SERVER', 'tls needs { cert, key } (PEM), and optionally clientCa for mutual TLS.');
  const bundleKey = options.bundle === undefined ? null : toPublicKey(options.bundle.publicKey, 'the bundle key');
  const clock = options.clock ?? (() => new Date());
  const warn = options.onWarning ?? ((w: WardenWarning) => process.stderr.write(`warden serve: ${w.code}: ${w.message}\n`));


  const active = new ActivePolicy();
  if (options.policy !== undefined && watch === null) await active.activateFiles(options.policy);
  if (options.policy !== undefined && watch !== null) {
    // A save caught mid-write is read again (not a refusal); a dead watch is re-armed; the rest are refused reloads.
    const codes: Record<string, string> = { watch_failed: 'policy_watch_failed', non_atomic_write: 'policy_read_again' };
    await active.watchFiles(options.policy, watch, (w) => warn({ code: codes[w.code] ?? 'policy_reload_refused', message: `${w.message} (${w.code})` }), clock);
  }

  const opened: Array<{ close(): Promise<void> }> = [];
  let sink: DecisionSink;
  try {
    // One append (and fsync) for the records of every request answered in the same event-loop turn.
    sink = options.sink ?? (await openFileAuditSink({ path: options.audit ?? DEFAULT_AUDIT, gather: 'turn' }));
  } catch (e) {
    active.close();
    throw e;
  }
  if (options.sink === undefined) opened.push(sink as { close(): Promise<void> });
  let store: Store;
  try {
    store = typeof options.store === 'object' ? options.store : await openStore(options.store ?? DEFAULT_STORE);
  } catch (e) {
    active.close();
    await Promise.all(opened.map((o) => o.close()));
    throw e;
  }
  if (typeof options.store !== 'object') opened.push(store);

  const decisionMetrics = await loadDecisionMetrics();
  const serverMetrics = new ServerMetrics(active);

  // The identify stage accepts exactly the credentials this server authenticated (by object identity).
  const verifiedBy = new WeakMap<object, AgentIdentity>();
  const identity: CredentialVerifier = {
    required: true,
    verifyCredential(credential) {
      const agent = typeof credential === 'object' && credential !== null ? verifiedBy.get(credential) : undefined;
      if (agent === undefined) throw new Error('the credential was not authenticated by this service');
      return agent;
    },
  };
  const pipeline = new Pipeline({
    policy: active,
    sink,
    identity,
    state: { store },
    monitors: [...(options.monitors ?? []), ...(decisionMetrics !== null ? [decisionMetrics] : [])],
    ...(options.runtime !== undefined ? { runtime: options.runtime } : {}),
    clock,
    onWarning: warn,
    ...(options.approvalHandler !== undefined ? { approvalHandler: options.approvalHandler } : {}),
    ...(options.approvalTimeoutMs !== undefined ? { approvalTimeoutMs: options.approvalTimeoutMs } : {}),
  });

  const poller = options.bundle === undefined || bundleKey === null ? null : startBundlePoller(active, options.bundle.source, bundleKey, options.bundle.pollIntervalMs ?? 30_000, clock, warn);
  if (poller !== null) await poller.first;

  // One credential per authenticated agent object (a static token's agent is one object for the
  // service's life; a JWT's is one object while the authenticator remembers the token): it never
  // leaves this process, so it can be reused.
  const callers = new WeakMap<AgentIdentity, Pick<CallInput, 'agent' | 'credential'>>();
  const callerInput = (agent: AgentIdentity): Pick<CallInput, 'agent' | 'credential'> => {
    const known = callers.get(agent);
    if (known !== undefined) return known;
    const credential = { type: 'bearer' as const, token: 'authenticated by warden serve' };
    verifiedBy.set(credential, agent);
    // The asserted agent names the caller on records of requests too malformed to verify anything for.
    const caller = { agent: { id: agent.id }, credential };
    callers.set(agent, caller);
    return caller;
  };

  /** One call through the pipeline; the bundle revision in force goes into its context. */
  const decide = async (request: unknown, agent: AgentIdentity, invalid?: string): Promise<Verdict> => (await decideAs(request, callerInput(agent), invalid)).verdict;
  /** {@link decide} for a caller already looked up (a batch looks it up once), answering the pipeline's own promise. */
  const decideAs = (request: unknown, caller: Pick<CallInput, 'agent' | 'credential'>, invalid?: string): Promise<DecidedCall> => {
    stampRevision(request, active.revision);
    const input: CallInput = { request, agent: caller.agent, credential: caller.credential, parsedJson: true };
    if (invalid !== undefined) input.invalid = invalid;
    return pipeline.decide(input);
  };
  const answerVerdict = (verdict: Verdict): Record<string, unknown> => ({ ...verdict, requestDigest: verdict.requestDigest, revision: active.revisionOf(verdict.policyDigest) });

  const handlers: Record<RouteSpec['operationId'], (req: IncomingMessage, res: ServerResponse, agent: AgentIdentity | null) => Promise<number>> = {
    async decide(req, res, agent) {
      const body = await readJsonBody(req, maxBody);
      if ('problem' in body) {
        const verdict = await decide({}, agent as AgentIdentity, body.problem.message);
        answerError(res, body.problem, { verdict: answerVerdict(verdict) });
        return body.problem.status;
      }
      const { verdict } = await decideAs(body.value, callerInput(agent as AgentIdentity));
      answerJson(res, 200, answerVerdict(verdict));
      return 200;
    },
    async decideBatch(req, res, agent) {
      const body = await readJsonBody(req, maxBody);
      if ('problem' in body) return fail(res, body.problem);
      const list = (body.value as { requests?: unknown } | null)?.requests;
      if (!isPlainObject(body.value) || Object.keys(body.value).length !== 1 || !Array.isArray(list)) return fail(res, invalidRequest('The body must be { "requests": [ { tool, args, context? }, ... ] }.'));
      if (list.length > maxBatch) return fail(res, { status: 413, code: 'body_too_large', message: `A batch holds at most ${maxBatch} requests; got ${list.length}.` });
      // Every request of the batch through the pipeline in this turn (so their records share one
      // append), with the caller looked up once; no promise of our own per request.
      const caller = callerInput(agent as AgentIdentity);
      const decided = await Promise.all(list.map((r) => decideAs(r, caller)));
      answerJson(res, 200, { verdicts: decided.map((d) => answerVerdict(d.verdict)), revision: active.revision });
      return 200;
    },
    async authzenEvaluation(req, res, agent) {
      const body = await readJsonBody(req, maxBody);
      if ('problem' in body) return fail(res, body.problem, { decision: false });
      const mapped = authzenRequest(body.value, {});
      const verdict = typeof mapped === 'string' ? await decide({}, agent as AgentIdentity, mapped) : await decide(mapped, agent as AgentIdentity);
      if (typeof mapped === 'string') return fail(res, invalidRequest(mapped), { decision: false });
      answerJson(res, 200, authzenAnswer(verdict, active.revisionOf(verdict.policyDigest)));
      return 200;
    },
    async authzenEvaluations(req, res, agent) {
      const body = await readJsonBody(req, maxBody);
      if ('problem' in body) return fail(res, body.problem);
      const v = body.value as Record<string, unknown>;
      if (!isPlainObject(v) || !Array.isArray(v.evaluations)) return fail(res, invalidRequest('The body must hold an "evaluations" list.'));
      const semantic = evaluationsSemantic(v.options);
      if (semantic.problem !== undefined) return fail(res, invalidRequest(semantic.problem));
      if (v.evaluations.length > maxBatch) return fail(res, { status: 413, code: 'body_too_large', message: `At most ${maxBatch} evaluations; got ${v.evaluations.length}.` });
      const defaults = { subject: v.subject, action: v.action, resource: v.resource, context: v.context };
      const evaluate = async (e: unknown): Promise<ReturnType<typeof authzenAnswer>> => {
        const mapped = authzenRequest(e, defaults);
        const verdict = typeof mapped === 'string' ? await decide({}, agent as AgentIdentity, mapped) : await decide(mapped, agent as AgentIdentity);
        return authzenAnswer(verdict, active.revisionOf(verdict.policyDigest));
      };
      const list = v.evaluations as unknown[];
      if (semantic.value === 'execute_all') {
        answerJson(res, 200, { evaluations: await Promise.all(list.map(evaluate)) });
        return 200;
      }
      // Short-circuit semantics run in order and stop after the first deny (or permit): the answer
      // holds the evaluations made, the deciding one last; the rest were not decided or recorded.
      const stopOn = semantic.value === 'permit_on_first_permit';
      const answers: Array<ReturnType<typeof authzenAnswer>> = [];
      for (const e of list) {
        const answer = await evaluate(e);
        answers.push(answer);
        if (answer.decision === stopOn) break;
      }
      answerJson(res, 200, { evaluations: answers });
      return 200;
    },
    async outcome(req, res, agent) {
      const body = await readJsonBody(req, maxBody);
      if ('problem' in body) return fail(res, body.problem);
      const v = body.value as { call?: unknown; tool?: unknown; outcome?: { status?: unknown } };
      if (!isPlainObject(v) || typeof v.call !== 'string' || v.call === '' || typeof v.tool !== 'string' || !isPlainObject(v.outcome) || !['ok', 'error', 'aborted'].includes(v.outcome.status as string)) {
        return fail(res, invalidRequest('The body must be { "call": "<id>", "tool": "<name>", "outcome": { "status": "ok" | "error" | "aborted", ... } }.'));
      }
      const receipt = await pipeline.observeRecorded({ call: v.call, tool: v.tool, agent: { id: (agent as AgentIdentity).id, ...(agent?.verified ? { verified: agent.verified } : {}) } }, v.outcome as unknown as Outcome);
      // An outcome that was not written is answered as such, so the caller can send it again.
      if (!receipt.recorded) return fail(res, { status: 503, code: 'outcome_not_recorded', message: receipt.reason ?? 'The outcome could not be recorded.' });
      answerJson(res, 202, { accepted: true });
      return 202;
    },
    async bundlePush(req, res) {
      if (options.bundle?.push !== true || bundleKey === null) return fail(res, { status: 404, code: 'not_found', message: 'Pushing bundles is not enabled on this service (start it with --bundle-key and --bundle-push).' });
      const text = await readText(req, MAX_BUNDLE_BYTES);
      if (typeof text !== 'string') return fail(res, text);
      const result = await active.offerBundle(text, bundleKey, clock);
      if (!result.ok) {
        answerError(res, { status: 409, code: 'bundle_refused', message: result.error.message }, { reason: result.error.reason });
        return 409;
      }
      answerJson(res, 200, { revision: result.revision, changed: result.changed });
      return 200;
    },
    async health(_req, res) {
      answerJson(res, 200, { status: 'ok' });
      return 200;
    },
    async ready(_req, res) {
      const status = active.status();
      const code = status.ready ? 200 : 503;
      answerJson(res, code, { ready: status.ready, policy: status });
      return code;
    },
    async metrics(_req, res) {
      const text = serverMetrics.text() + (decisionMetrics === null ? '' : await decisionMetrics.registry.metrics());
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
      res.end(text);
      return 200;
    },
    async openapi(_req, res) {
      answerJson(res, 200, openApiDocument());
      return 200;
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    for (const mount of options.mounts ?? []) {
      if (path === mount.prefix || path.startsWith(`${mount.prefix}/`)) return mount.handle(req, res);
    }
    const candidates = KNOWN_PATHS.get(path);
    if (candidates === undefined) {
      req.resume();
      fail(res, { status: 404, code: 'not_found', message: `No route ${path}; see /openapi.json.` });
      serverMetrics.count('unknown', 404);
      return;
    }
    const route = candidates.find((r) => r.method === req.method);
    if (route === undefined) {
      req.resume();
      fail(res, { status: 405, code: 'method_not_allowed', message: `${path} answers ${candidates.map((r) => r.method).join(', ')}.` }, {}, { allow: candidates.map((r) => r.method).join(', ') });
      serverMetrics.count(path, 405);
      return;
    }
    let agent: AgentIdentity | null = null;
    if (route.auth) {
      const auth = await authenticate(req, clock());
      if (!auth.ok) {
        req.resume();
        fail(res, { status: 401, code: 'unauthenticated', message: `Authentication failed: ${auth.reason}. Send Authorization: Bearer <token>.` }, {}, { 'www-authenticate': 'Bearer' });
        serverMetrics.count(route.path, 401);
        return;
      }
      agent = auth.agent;
    }
    const status = await handlers[route.operationId](req, res, agent);
    serverMetrics.count(route.path, status);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((e: unknown) => {
      warn({ code: 'server_error', message: `A request failed: ${e instanceof Error ? e.message : String(e)}` });
      if (!res.headersSent) answerError(res, { status: 500, code: 'internal', message: 'The service failed answering this request; treat it as a denial.' });
      else res.destroy();
    });
  };
  const timeouts = { requestTimeout: 30_000, headersTimeout: 10_000 };
  const server: Server =
    tls === undefined
      ? createServer(timeouts, onRequest)
      : (createTlsServer(
          { ...timeouts, cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2', ...(tls.clientCa !== undefined ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}) },
          onRequest,
        ) as unknown as Server);
  server.keepAliveTimeout = 5_000;

  let address: DecisionServer['address'] = null;
  return {
    get address() {
      return address;
    },
    pipeline,
    status: () => active.status(),
    pollBundle: () => poller?.poll() ?? Promise.resolve(),
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', (e) => reject(new WardenError('ERR_SERVER', `Cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 8181}: ${e.message}.`, { cause: e })));
        server.listen(options.port ?? 8181, options.host ?? '127.0.0.1', () => {
          const a = server.address() as AddressInfo;
          const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
          address = { host: a.address, port: a.port, url: `${tls === undefined ? 'http' : 'https'}://${host}:${a.port}` };
          resolve(address);
        });
      });
    },
    async close() {
      poller?.stop();
      active.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const o of opened) await o.close();
    },
  };
}

/** The pipeline's decision metrics, when prom-client (an optional peer) is installed; else null. */
async function loadDecisionMetrics(): Promise<WardenMetrics | null> {
  try {
    return (await import('../telemetry/metrics.js')).createMetrics();
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return null;
    throw e;
  }
}

function fail(res: ServerResponse, problem: BodyProblem, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): number {
  answerError(res, problem, extra, headers);
  return problem.status;
}

function invalidRequest(message: string): BodyProblem {
  return { status: 400, code: 'invalid_request', message };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Puts the bundle revision in force into the request's context (a caller's own value never stands). */
function stampRevision(request: unknown, revision: number | null): void {
  if (!isPlainObject(request)) return;
  const context = Object.prototype.hasOwnProperty.call(request, 'context') ? request.context : undefined;
  if (revision === null) {
    if (isPlainObject(context) && Object.prototype.hasOwnProperty.call(context, 'bundleRevision')) delete context.bundleRevision;
    return;
  }
  if (context === undefined) request.context = { bundleRevision: revision };
  else if (isPlainObject(context)) context.bundleRevision = revision;
}

/** The AuthZEN evaluations semantics (Authorization API 1.0, "Evaluations semantics"). */
const EVALUATIONS_SEMANTICS = ['execute_all', 'deny_on_first_deny', 'permit_on_first_permit'] as const;

/**
 * The semantic an evaluations request asks for in `options.evaluations_semantic` (default
 * `execute_all`), or why the options are refused: options that are not an object, and a
 * semantic that is not one of the three (a typo never falls back to another one). Other option
 * keys are the caller's metadata and are ignored, as the specification allows.
 */
function evaluationsSemantic(options: unknown): { value: (typeof EVALUATIONS_SEMANTICS)[number]; problem?: undefined } | { value?: undefined; problem: string } {
  if (options === undefined) return { value: 'execute_all' };
  if (!isPlainObject(options)) return { problem: 'options must be an object, such as { "evaluations_semantic": "deny_on_first_deny" }.' };
  if (!Object.prototype.hasOwnProperty.call(options, 'evaluations_semantic')) return { value: 'execute_all' };
  const semantic = options.evaluations_semantic;
  const known = EVALUATIONS_SEMANTICS.find((s) => s === semantic);
  if (known === undefined) return { problem: `options.evaluations_semantic must be one of ${EVALUATIONS_SEMANTICS.join(', ')}; got ${JSON.stringify(semantic)}.` };
  return { value: known };
}

/** An AuthZEN evaluation as a pipeline request: the action's name is the tool; subject, action and resource are the arguments. */
function authzenRequest(value: unknown, defaults: Record<string, unknown>): { tool: string; args: Record<string, unknown>; context?: Record<string, unknown> } | string {
  if (!isPlainObject(value)) return 'An evaluation is an object { subject, action, resource, context? }.';
  const pick = (k: string): unknown => (Object.prototype.hasOwnProperty.call(value, k) ? value[k] : defaults[k]);
  const subject = pick('subject');
  const action = pick('action');
  const resource = pick('resource');
  const context = pick('context');
  const entity = (e: unknown): boolean => isPlainObject(e) && typeof e.type === 'string' && typeof e.id === 'string' && (e.properties === undefined || isPlainObject(e.properties));
  if (!entity(subject)) return 'subject must be { type, id, properties? } with string type and id.';
  if (!entity(resource)) return 'resource must be { type, id, properties? } with string type and id.';
  if (!isPlainObject(action) || typeof action.name !== 'string' || action.name === '') return 'action must be { name, properties? } with a non-empty name.';
  if (context !== undefined && !isPlainObject(context)) return 'context must be an object.';
  const unknown = Object.keys(value).find((k) => !['subject', 'action', 'resource', 'context'].includes(k));
  if (unknown !== undefined) return `An evaluation has the unknown member ${JSON.stringify(unknown)}.`;
  return { tool: action.name, args: { subject, action, resource }, ...(context !== undefined ? { context: { ...context } } : {}) };
}

function authzenAnswer(verdict: Verdict, revision: number | null): { decision: boolean; context: Record<string, unknown> } {
  return { decision: verdict.allowed === true, context: { id: verdict.call, reason_admin: { en: verdict.reason }, effect: verdict.effect, revision } };
}

/** Reads a body as text, bounded. */
async function readText(req: IncomingMessage, max: number): Promise<string | BodyProblem> {
  const body = await readBoundedBody(req, max);
  if (body === TOO_LARGE) return { status: 413, code: 'body_too_large', message: `The bundle is larger than ${max} bytes.` };
  if (body instanceof Error) return { status: 400, code: 'invalid_request', message: `The body could not be read: ${body.message}.` };
  return body.toString('utf8');
}
