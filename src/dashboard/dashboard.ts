/**
 * The dashboard: a node:http mount (`{ prefix, handle }`) that `warden serve` (or any node:http
 * server) routes `/ui` to. Server-rendered pages, no scripts, login required for everything but
 * the login form and the stylesheet; every POST needs the session's CSRF token and a same-origin
 * request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listAuditFiles } from '../audit/files.js';
import { tailAuditLog } from '../audit/query.js';
import type { KeyInput } from '../audit/keys.js';
import type { AuditDecisionRecord } from '../audit/record.js';
import { verifyAuditLog } from '../audit/verify.js';
import { WardenError } from '../errors.js';
import type { AgentKey } from '../identity/agent-key.js';
import { rejectUnknownKeys } from '../lib/options.js';
import { matchKill } from '../runtime/kill.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ApprovalQueue } from '../server/approval-queue.js';
import type { SreRuntime } from '../sre/runtime.js';
import { html, layout, redirect, sendHtml, securityHeaders, STYLE, type Html } from './html.js';
import { OidcClient, OidcError, type DashboardOidcOptions, type OidcFailure } from './oidc.js';
import { agentsPage, approvalsPage, decisionsPage, errorPage, killConfirmPage, landingPage, loginPage, oidcErrorPage, overviewPage, type AgentRow, type OverviewData } from './pages.js';
import { safeEqual, Sessions, type DashboardLogin, type SessionUser } from './session.js';

/**
 * Options of {@link createDashboard}.
 *
 * @example
 * ```ts
 * const o: DashboardOptions = {
 *   logins: [{ name: 'alice', token: process.env.ALICE_TOKEN!, roles: ['finance', 'kill'] }],
 *   secret: process.env.WARDEN_UI_SECRET,
 *   queue, runtime, killKey: opsKey, sre, audit: '.warden/audit/warden.jsonl', policyRevision: 'sha256:…',
 * };
 * ```
 */
export interface DashboardOptions {
  /** Who may log in with a token: each a name, a secret token (16+ characters) and roles. No anonymous access: give logins, oidc, or both. */
  logins?: readonly DashboardLogin[];
  /** Log in through an OpenID Connect provider (authorization code with PKCE); roles come from a claim. See docs/server.md. */
  oidc?: DashboardOidcOptions;
  /** The HMAC key sessions are signed with (32+ bytes; share it between instances). Default: random per process, so a restart logs everyone out. */
  secret?: string | Uint8Array;
  /** Where the dashboard is mounted (default `/ui`). */
  prefix?: string;
  /** How long a session lasts (default 8 hours). */
  sessionTtlMs?: number;
  /** Secure cookies: `auto` (default) when the request came over TLS; true behind a TLS-terminating proxy. */
  secureCookies?: boolean | 'auto';
  /** The approval queue the Approvals page lists and answers. */
  queue?: ApprovalQueue;
  /** The audit log (its active file, or its directory): the Decisions page tails it, the overview verifies it. */
  audit?: string;
  /** How many of the last records the Decisions page filters (default 1000). */
  scanRecords?: number;
  /** How long a verification of the audit log is reused (default 10000 ms). */
  verifyCacheMs?: number;
  /** The public key audit checkpoints are signed with: the overview then checks every signature too. */
  auditPublicKey?: KeyInput;
  /** The runtime: agents' trust, ring and kill state, and the kill switch. */
  runtime?: Runtime;
  /** The key that signs kills made from the dashboard (one of the runtime's signers). Without it there is no kill button. */
  killKey?: AgentKey;
  /** The role a login needs to kill (default `kill`). */
  killRole?: string;
  /** Agents listed even before they appear in the audit log. */
  agents?: readonly string[];
  /** SLOs and breakers. */
  sre?: SreRuntime;
  /** The policy revision in force (a bundle revision or policy digest), or a function reading it. */
  policyRevision?: string | (() => string | null);
  /** The clock sessions expire by (ms since the epoch); default Date.now. */
  clock?: () => number;
}

/**
 * A node:http mount.
 *
 * @example
 * ```ts
 * const ui: DashboardMount = createDashboard({ logins });
 * http.createServer((req, res) => (req.url?.startsWith(ui.prefix) ? ui.handle(req, res) : notFound(res)));
 * ```
 */
export interface DashboardMount {
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const KEYS = ['logins', 'oidc', 'secret', 'prefix', 'sessionTtlMs', 'secureCookies', 'queue', 'audit', 'scanRecords', 'verifyCacheMs', 'runtime', 'killKey', 'killRole', 'agents', 'sre', 'policyRevision', 'auditPublicKey', 'clock'];

/**
 * Creates the dashboard mount.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createDashboard } from 'agent-warden/dashboard';
 * const ui = createDashboard({ logins: [{ name: 'alice', token: 'a-long-random-token-for-alice', roles: ['kill'] }] });
 * const server = createServer((req, res) => void ui.handle(req, res));
 * ```
 * @throws WardenError `ERR_OPTIONS` for unknown or invalid options (no logins, a short token, a short secret).
 */
export function createDashboard(options: DashboardOptions): DashboardMount {
  rejectUnknownKeys(options, KEYS, 'ERR_OPTIONS', 'dashboard options');
  if (options === null || typeof options !== 'object') throw new WardenError('ERR_OPTIONS', 'createDashboard needs { logins, ... }.');
  const prefix = options.prefix ?? '/ui';
  if (typeof prefix !== 'string' || !/^\/[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(prefix)) throw new WardenError('ERR_OPTIONS', `The dashboard prefix is a path like /ui; got ${JSON.stringify(prefix)}.`);
  const ttl = options.sessionTtlMs ?? 8 * 3_600_000;
  const scan = options.scanRecords ?? 1000;
  const verifyCacheMs = options.verifyCacheMs ?? 10_000;
  for (const [name, v, max] of [['sessionTtlMs', ttl, 30 * 86_400_000], ['scanRecords', scan, 100_000], ['verifyCacheMs', verifyCacheMs, 86_400_000]] as const) {
    if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new WardenError('ERR_OPTIONS', `${name} must be a whole number from 1 to ${max}; got ${String(v)}.`);
  }
  const secure = options.secureCookies ?? 'auto';
  if (secure !== true && secure !== false && secure !== 'auto') throw new WardenError('ERR_OPTIONS', 'secureCookies is true, false or "auto".');
  if (options.clock !== undefined && typeof options.clock !== 'function') throw new WardenError('ERR_OPTIONS', 'clock must be a function returning milliseconds since the epoch.');
  if (options.killKey !== undefined && options.runtime === undefined) throw new WardenError('ERR_OPTIONS', 'killKey needs runtime: the kill switch lives in the runtime.');
  const oidc = options.oidc === undefined ? null : new OidcClient(options.oidc);
  if (oidc !== null && !options.oidc!.redirectUri.endsWith(`${prefix}/oidc/callback`)) throw new WardenError('ERR_OPTIONS', `The oidc redirectUri must be this dashboard's ${prefix}/oidc/callback.`);
  const sessions = new Sessions(options.logins ?? [], options.secret, ttl, secure, prefix, oidc !== null);
  const app = new Dashboard(options, prefix, sessions, scan, verifyCacheMs, oidc);
  return Object.freeze({ prefix, handle: (req: IncomingMessage, res: ServerResponse) => app.handle(req, res) });
}

class Dashboard {
  readonly #o: DashboardOptions;
  readonly #prefix: string;
  readonly #sessions: Sessions;
  readonly #scan: number;
  readonly #verifyCacheMs: number;
  readonly #killRole: string;
  #verified: { at: number; result: Promise<OverviewData['audit']> } | null = null;

  readonly #oidc: OidcClient | null;

  constructor(o: DashboardOptions, prefix: string, sessions: Sessions, scan: number, verifyCacheMs: number, oidc: OidcClient | null) {
    this.#oidc = oidc;
    this.#o = o;
    this.#prefix = prefix;
    this.#sessions = sessions;
    this.#scan = scan;
    this.#verifyCacheMs = verifyCacheMs;
    this.#killRole = o.killRole ?? 'kill';
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.#route(req, res);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // Nothing internal leaks: the page says what failed in one line.
      sendHtml(res, 500, layout({ prefix: this.#prefix, title: 'Error', user: null, csrf: null, body: errorPage(`The dashboard could not answer: ${messageOf(e)}`) }));
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const p = this.#prefix;
    if (url.pathname !== p && !url.pathname.startsWith(`${p}/`)) return this.#page(res, 404, 'Not found', null, errorPage('No such page.'));
    const path = url.pathname.slice(p.length) || '/';
    const method = req.method ?? 'GET';
    const now = (this.#o.clock ?? Date.now)();

    if (path === '/style.css' && method === 'GET') {
      securityHeaders(res);
      res.writeHead(200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'max-age=3600' });
      res.end(STYLE);
      return;
    }
    if (path === '/login') return this.#login(req, res, method, now);
    if (this.#oidc !== null && path === '/oidc/start' && method === 'GET') return this.#oidcStart(req, res, now);
    if (this.#oidc !== null && path === '/oidc/callback' && method === 'GET') return this.#oidcCallback(req, res, url, now);

    const user = this.#sessions.user(req, now);
    if (user === null) {
      if (method === 'GET' || method === 'HEAD') return redirect(res, `${p}/login`);
      return this.#page(res, 401, 'Log in', null, errorPage('Log in first.'));
    }
    if (method === 'POST') {
      const form = await this.#form(req, res, user);
      if (form === null) return;
      if (path === '/logout') return redirect(res, `${p}/login`, [this.#sessions.end(req)]);
      if (path === '/approvals/answer') return this.#answer(res, user, form);
      if (path === '/agents/kill') return this.#kill(res, user, form);
      return this.#page(res, 404, 'Not found', user, errorPage('No such action.'));
    }
    if (method !== 'GET' && method !== 'HEAD') return this.#page(res, 405, 'Not allowed', user, errorPage(`${method} is not allowed here.`));
    if (path === '/') return this.#page(res, 200, 'Overview', user, overviewPage(p, await this.#overview()), 10);
    if (path === '/decisions') return this.#decisions(res, user, url);
    if (path === '/approvals') return this.#approvals(res, user, url);
    if (path === '/agents') return this.#agents(res, user, url);
    if (path === '/agents/kill') return this.#killConfirm(res, user, url);
    return this.#page(res, 404, 'Not found', user, errorPage('No such page.'));
  }

  async #oidcStart(req: IncomingMessage, res: ServerResponse, now: number): Promise<void> {
    const oidc = this.#oidc as OidcClient;
    let begun;
    try {
      begun = await oidc.begin(now);
    } catch (e) {
      return this.#oidcRefused(req, res, e, null);
    }
    return redirect(res, begun.url, [this.#sessions.oidcPendingCookie(req, begun.pending, now)]);
  }

  async #oidcCallback(req: IncomingMessage, res: ServerResponse, url: URL, now: number): Promise<void> {
    const oidc = this.#oidc as OidcClient;
    let who;
    try {
      who = await oidc.finish(url.searchParams, this.#sessions.oidcPending(req), now);
    } catch (e) {
      return this.#oidcRefused(req, res, e, e instanceof OidcError ? e.subject : null);
    }
    oidc.report({ ok: true, code: null, reason: null, message: 'logged in', subject: who.name, roles: who.roles });
    res.setHeader('Set-Cookie', [this.#sessions.oidcPendingEnd(req), this.#sessions.startOidc(req, who, now)]);
    // The browser arrived here from the provider's site: a redirect would still be cross-site, so the Strict session cookie is landed by a same-site refresh.
    sendHtml(res, 200, layout({ prefix: this.#prefix, title: 'Logged in', user: null, csrf: null, body: landingPage(this.#prefix), refreshSeconds: 0, refreshTo: `${this.#prefix}/` }));
  }

  /** A refused OIDC login: no session, the login cookie cleared, the code shown and reported. */
  #oidcRefused(req: IncomingMessage, res: ServerResponse, e: unknown, subject: string | null): void {
    const reason: OidcFailure = e instanceof OidcError ? e.reason : 'token_invalid';
    const message = e instanceof OidcError ? e.message : 'The login could not be completed.';
    (this.#oidc as OidcClient).report({ ok: false, code: 'ERR_OIDC', reason, message, subject, roles: [] });
    const status = reason === 'no_role' ? 403 : reason === 'issuer_unreachable' || reason === 'login_capacity' ? 503 : 401;
    res.setHeader('Set-Cookie', this.#sessions.oidcPendingEnd(req));
    this.#page(res, status, 'Login refused', null, oidcErrorPage(this.#prefix, `ERR_OIDC:${reason}`, message));
  }

  #page(res: ServerResponse, status: number, title: string, user: SessionUser | null, body: Html, refreshSeconds?: number): void {
    sendHtml(res, status, layout({ prefix: this.#prefix, title, user: user?.name ?? null, csrf: user?.csrf ?? null, body, ...(refreshSeconds === undefined ? {} : { refreshSeconds }) }));
  }

  async #login(req: IncomingMessage, res: ServerResponse, method: string, now: number): Promise<void> {
    if (method === 'POST') {
      const body = await readForm(req, res);
      if (body === null) return;
      if (!sameOrigin(req) || !this.#sessions.loginCsrfOk(req, body.get('csrf'))) return this.#page(res, 403, 'Log in', null, errorPage('The login form expired or came from another site; load the login page again.'));
      const login = this.#sessions.check(body.get('token') ?? '');
      if (login === null) {
        const { cookie, csrf } = this.#sessions.loginForm(req);
        res.setHeader('Set-Cookie', cookie);
        return this.#page(res, 401, 'Log in', null, loginPage(this.#prefix, csrf, true, this.#loginWays()));
      }
      return redirect(res, `${this.#prefix}/`, [this.#sessions.start(req, login, now)]);
    }
    const { cookie, csrf } = this.#sessions.loginForm(req);
    res.setHeader('Set-Cookie', cookie);
    return this.#page(res, 200, 'Log in', null, loginPage(this.#prefix, csrf, false, this.#loginWays()));
  }

  #loginWays(): { tokens: boolean; oidc: string | null } {
    return { tokens: (this.#o.logins ?? []).length > 0, oidc: this.#oidc === null ? null : new URL(this.#oidc.issuer).host };
  }

  /** A POST's form, once its origin and CSRF token check out; otherwise answers 403 and returns null. */
  async #form(req: IncomingMessage, res: ServerResponse, user: SessionUser): Promise<URLSearchParams | null> {
    if (!sameOrigin(req)) {
      this.#page(res, 403, 'Refused', user, errorPage('This request came from another site, so it was refused.'));
      return null;
    }
    const form = await readForm(req, res);
    if (form === null) return null;
    const csrf = form.get('csrf');
    // invariant: every state change carries this session's CSRF token (SameSite=Strict is the first line, this the second).
    if (csrf === null || !safeEqual(csrf, user.csrf)) {
      this.#page(res, 403, 'Refused', user, errorPage('The form is missing its CSRF token (or it is from another session); reload the page and try again.'));
      return null;
    }
    return form;
  }

  async #decisions(res: ServerResponse, user: SessionUser, url: URL): Promise<void> {
    const filter = { tool: param(url, 'tool'), effect: param(url, 'effect'), agent: param(url, 'agent') };
    if (this.#o.audit === undefined) return this.#page(res, 200, 'Decisions', user, decisionsPage(this.#prefix, filter, null, 0, null));
    let records: AuditDecisionRecord[];
    let scanned = 0;
    try {
      const files = await listAuditFiles(this.#o.audit);
      const active = files[files.length - 1] as string;
      records = [];
      for await (const r of tailAuditLog(active, { lines: this.#scan, onMalformed: () => undefined })) {
        scanned++;
        if (r.type !== 'decision') continue;
        if (filter.tool !== '' && r.request.tool !== filter.tool) continue;
        if (filter.effect !== '' && r.decision.effect !== filter.effect && r.outcome?.effect !== filter.effect) continue;
        if (filter.agent !== '' && r.agent?.id !== filter.agent) continue;
        records.push(r);
      }
      records.reverse();
      records = records.slice(0, 200);
    } catch (e) {
      return this.#page(res, 200, 'Decisions', user, decisionsPage(this.#prefix, filter, null, 0, `The audit log cannot be read: ${messageOf(e)}`));
    }
    return this.#page(res, 200, 'Decisions', user, decisionsPage(this.#prefix, filter, records, scanned, null), 5);
  }

  async #approvals(res: ServerResponse, user: SessionUser, url: URL): Promise<void> {
    const queue = this.#o.queue;
    const notice = noticeOf(url);
    if (queue === undefined) return this.#page(res, 200, 'Approvals', user, approvalsPage(this.#prefix, user.csrf, null, notice));
    let items;
    try {
      items = await queue.list({ limit: 200 });
    } catch (e) {
      return this.#page(res, 503, 'Approvals', user, errorPage(`The approval queue cannot be read: ${messageOf(e)}`));
    }
    return this.#page(res, 200, 'Approvals', user, approvalsPage(this.#prefix, user.csrf, items, notice));
  }

  async #answer(res: ServerResponse, user: SessionUser, form: URLSearchParams): Promise<void> {
    const queue = this.#o.queue;
    if (queue === undefined) return this.#page(res, 404, 'Approvals', user, errorPage('No approval queue configured.'));
    const decision = form.get('decision');
    const id = form.get('id') ?? '';
    const digest = form.get('digest');
    if ((decision !== 'approve' && decision !== 'deny') || digest === null) return this.#page(res, 400, 'Approvals', user, errorPage('An answer needs an id, the request digest shown, and approve or deny.'));
    try {
      const note = (form.get('note') ?? '').slice(0, 1000);
      // invariant: the answer is bound to the digest the page showed, and recorded under the login's own name.
      await queue.answer(id, decision, { by: user.name, roles: user.roles, note, requestDigest: digest });
    } catch (e) {
      const status = e instanceof WardenError && e.code === 'ERR_APPROVAL_FORBIDDEN' ? 403 : e instanceof WardenError && e.code.startsWith('ERR_APPROVAL_') ? 409 : 503;
      return this.#page(res, status, 'Approvals', user, errorPage(messageOf(e)));
    }
    return redirect(res, `${this.#prefix}/approvals?done=${decision === 'approve' ? 'approved' : 'denied'}&id=${encodeURIComponent(id)}`);
  }

  async #agents(res: ServerResponse, user: SessionUser, url: URL): Promise<void> {
    const runtime = this.#o.runtime;
    const mayKill = this.#mayKill(user);
    if (runtime === undefined) return this.#page(res, 200, 'Agents', user, agentsPage(this.#prefix, null, false, null));
    const ids = new Set<string>(this.#o.agents ?? []);
    let killState: Awaited<ReturnType<Runtime['kill']['read']>> | null = null;
    let killError: string | null = null;
    try {
      killState = await runtime.kill.read();
      if (!killState.ok) killError = killState.error;
    } catch (e) {
      killError = messageOf(e);
    }
    if (killState?.ok === true) for (const e of killState.state?.entries ?? []) if (e.scope === 'agent') ids.add(e.id);
    if (this.#o.audit !== undefined) {
      try {
        const files = await listAuditFiles(this.#o.audit);
        for await (const r of tailAuditLog(files[files.length - 1] as string, { lines: this.#scan, onMalformed: () => undefined })) if (r.type === 'decision' && r.agent?.id) ids.add(r.agent.id);
      } catch {
        // the agents known otherwise are still listed
      }
    }
    const rows: AgentRow[] = [];
    for (const id of [...ids].sort().slice(0, 500)) {
      const row: AgentRow = { id, trust: null, tier: null, ring: null, killed: null, error: killError === null ? null : `kill state unreadable: ${killError}` };
      if (killState?.ok === true && killState.state !== null) row.killed = matchKill(killState.state, id, null)?.reason ?? null;
      try {
        const facts = await runtime.enrich({ id });
        row.trust = facts.trust;
        row.tier = facts.tier;
        row.ring = facts.ring;
      } catch (e) {
        row.error = messageOf(e);
      }
      rows.push(row);
    }
    return this.#page(res, 200, 'Agents', user, agentsPage(this.#prefix, rows, mayKill, noticeOf(url)));
  }

  #killConfirm(res: ServerResponse, user: SessionUser, url: URL): void {
    if (!this.#mayKill(user)) return this.#page(res, 403, 'Kill', user, errorPage(`Killing needs the ${this.#killRole} role (and a kill key configured).`));
    const agent = param(url, 'agent');
    if (agent === '') return this.#page(res, 400, 'Kill', user, errorPage('Name the agent to kill.'));
    return this.#page(res, 200, 'Confirm kill', user, killConfirmPage(this.#prefix, user.csrf, agent));
  }

  async #kill(res: ServerResponse, user: SessionUser, form: URLSearchParams): Promise<void> {
    const runtime = this.#o.runtime;
    const key = this.#o.killKey;
    if (runtime === undefined || key === undefined || !this.#mayKill(user)) return this.#page(res, 403, 'Kill', user, errorPage(`Killing needs the ${this.#killRole} role (and a kill key configured).`));
    const agent = form.get('agent') ?? '';
    const reason = (form.get('reason') ?? '').trim().slice(0, 500);
    // invariant: a kill is made only from the confirmation page, which repeats the target.
    if (agent === '' || agent.length > 2000 || form.get('confirm') !== agent) return this.#page(res, 400, 'Kill', user, errorPage('Confirm the kill on its confirmation page.'));
    if (reason === '') return this.#page(res, 400, 'Kill', user, errorPage('Say why (the reason is shown in every denial).'));
    try {
      await runtime.kill.kill({ scope: 'agent', id: agent }, { reason: `${reason} (killed from the dashboard by ${user.name})`, key });
    } catch (e) {
      return this.#page(res, 503, 'Kill', user, errorPage(`The kill failed: ${messageOf(e)}`));
    }
    return redirect(res, `${this.#prefix}/agents?done=killed&id=${encodeURIComponent(agent)}`);
  }

  #mayKill(user: SessionUser): boolean {
    return this.#o.killKey !== undefined && this.#o.runtime !== undefined && user.roles.includes(this.#killRole);
  }

  async #overview(): Promise<OverviewData> {
    const o = this.#o;
    let policyRevision: string | null;
    try {
      policyRevision = typeof o.policyRevision === 'function' ? o.policyRevision() : (o.policyRevision ?? null);
    } catch (e) {
      policyRevision = `unreadable: ${messageOf(e)}`;
    }
    let kill: OverviewData['kill'] = { configured: false };
    if (o.runtime !== undefined) {
      try {
        const r = await o.runtime.kill.read();
        kill = r.ok ? { configured: true, ok: true, epoch: r.state?.epoch ?? null, active: r.state?.entries.length ?? 0, error: null } : { configured: true, ok: false, epoch: null, active: 0, error: r.error };
      } catch (e) {
        kill = { configured: true, ok: false, epoch: null, active: 0, error: messageOf(e) };
      }
    }
    let pending: number | null = null;
    if (o.queue !== undefined) pending = (await o.queue.list({ limit: 1000 }).catch(() => [])).length;
    const status = o.sre?.status();
    return {
      policyRevision,
      audit: await this.#verify(),
      kill,
      pending,
      slos: status === undefined ? null : status.slos.map((s) => ({ name: s.name, objective: s.objective, total: s.total, bad: s.bad, budgetRemaining: s.budgetRemaining, exhausted: s.exhausted, firing: s.alerts.filter((a) => a.firing).map((a) => a.name) })),
      breakers: status === undefined ? null : status.breakers.map((b) => ({ name: b.name, state: b.state, consecutiveFailures: b.consecutiveFailures })),
    };
  }

  /** The audit log verified (reused for verifyCacheMs: verifying reads the whole log). */
  #verify(): Promise<OverviewData['audit']> {
    const audit = this.#o.audit;
    if (audit === undefined) return Promise.resolve({ configured: false });
    const now = Date.now();
    if (this.#verified !== null && now - this.#verified.at < this.#verifyCacheMs) return this.#verified.result;
    const result = (async (): Promise<OverviewData['audit']> => {
      try {
        const key = this.#o.auditPublicKey;
        const r = await verifyAuditLog(await listAuditFiles(audit), key === undefined ? {} : { publicKey: key });
        const problem = r.firstBad === undefined ? null : `${r.firstBad.reason} at seq ${r.firstBad.seq} (${r.firstBad.file}:${r.firstBad.line}): ${r.firstBad.message}`;
        const signatures = key === undefined ? `${r.signaturesUnchecked} checkpoint signature(s) not checked (no public key given)` : `${r.signaturesChecked} checkpoint signature(s) verified`;
        return { configured: true, ok: r.ok, records: r.records, head: r.head === null ? null : `seq ${r.head.seq} ${r.head.hash}`, signatures, problem, error: null };
      } catch (e) {
        return { configured: true, ok: false, records: 0, head: null, signatures: '', problem: null, error: messageOf(e) };
      }
    })();
    this.#verified = { at: now, result };
    return result;
  }
}

/** Reads an urlencoded form (at most 64 KiB); answers 413/415 itself and returns null when it cannot. */
async function readForm(req: IncomingMessage, res: ServerResponse): Promise<URLSearchParams | null> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    securityHeaders(res);
    res.writeHead(415, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Forms are application/x-www-form-urlencoded.\n');
    req.resume();
    return null;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) {
      securityHeaders(res);
      res.writeHead(413, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      res.end('The form is too large.\n');
      return null;
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** A POST with an Origin (browsers send one) must come from this host; without one (a non-browser client), the CSRF token decides. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (origin === 'null') return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function param(url: URL, name: string): string {
  return (url.searchParams.get(name) ?? '').slice(0, 2000);
}

function noticeOf(url: URL): Html | null {
  const done = url.searchParams.get('done');
  const id = param(url, 'id');
  if (done === 'approved' || done === 'denied' || done === 'killed') return html`<p class="notice" id="notice">${done} ${id}</p>`;
  return null;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
