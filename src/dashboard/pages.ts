/**
 * The dashboard's pages, as functions from data to HTML. Every value from a record, the queue or
 * the store is interpolated through the escaping template (html.ts); no page carries a script.
 */
import type { AuditDecisionRecord } from '../audit/record.js';
import type { ApprovalItem } from '../server/approval-queue.js';
import { html, type Html } from './html.js';

/** What the overview shows. */
export interface OverviewData {
  policyRevision: string | null;
  audit: { configured: false } | { configured: true; ok: boolean; records: number; head: string | null; signatures: string; problem: string | null; error: string | null };
  kill: { configured: false } | { configured: true; ok: boolean; epoch: number | null; active: number; error: string | null };
  pending: number | null;
  slos: Array<{ name: string; objective: number; total: number; bad: number; budgetRemaining: number; exhausted: boolean; firing: string[] }> | null;
  breakers: Array<{ name: string; state: string; consecutiveFailures: number }> | null;
}

/** One agent row. */
export interface AgentRow {
  id: string;
  trust: number | null;
  tier: string | null;
  ring: number | null;
  /** Why it is killed (the kill entry's reason), or null. */
  killed: string | null;
  error: string | null;
}

/** The login page: the token form (when token logins exist) and the single-sign-on link (when OIDC is configured). */
export function loginPage(prefix: string, csrf: string, failed: boolean, ways: { tokens: boolean; oidc: string | null } = { tokens: true, oidc: null }): Html {
  const sso = ways.oidc === null ? html`` : html`<p><a id="oidc-login" href="${prefix}/oidc/start">Log in with ${ways.oidc}</a></p>`;
  if (!ways.tokens) return sso;
  return html`${failed ? html`<p class="error">That token is not valid.</p>` : ''}${sso}
<form method="post" action="${prefix}/login"><input type="hidden" name="csrf" value="${csrf}">
<label>Token <input type="password" name="token" autocomplete="current-password" required></label> <button type="submit">Log in</button></form>`;
}

/** A refused OIDC login: what to do, and the stable code (nothing from the provider or the token). */
export function oidcErrorPage(prefix: string, code: string, message: string): Html {
  return html`<p class="error" id="error">${message}</p><p>Error code: <code id="error-code">${code}</code></p><p><a href="${prefix}/login">Back to the login page</a></p>`;
}

/** The page that lands a new session: a same-site refresh, so the SameSite=Strict cookie is sent. */
export function landingPage(prefix: string): Html {
  return html`<p id="landing">Logged in. <a href="${prefix}/">Continue to the dashboard</a>.</p>`;
}

export function overviewPage(prefix: string, d: OverviewData): Html {
  const audit =
    d.audit.configured === false
      ? html`<td>no audit log configured</td>`
      : d.audit.error !== null
        ? html`<td class="bad" id="audit-status">cannot verify: ${d.audit.error}</td>`
        : d.audit.ok
          ? html`<td class="ok" id="audit-status">intact: ${d.audit.records} records${d.audit.head === null ? '' : html`, head ${d.audit.head}`}</td>`
          : html`<td class="bad" id="audit-status">BROKEN: ${d.audit.problem}</td>`;
  const kill =
    d.kill.configured === false
      ? html`<td>no runtime configured</td>`
      : d.kill.error !== null || !d.kill.ok
        ? html`<td class="bad" id="kill-status">kill state does not verify (${d.kill.error}); every decision is denied</td>`
        : html`<td id="kill-status">epoch ${d.kill.epoch ?? 0}, ${d.kill.active} active kill(s)</td>`;
  return html`<table><tbody>
<tr><th>Policy revision</th><td id="policy-revision">${d.policyRevision ?? 'not given'}</td></tr>
<tr><th>Audit log</th>${audit}</tr>
${d.audit.configured && d.audit.signatures !== '' ? html`<tr><th>Checkpoint signatures</th><td id="audit-signatures">${d.audit.signatures}</td></tr>` : ''}
<tr><th>Kill switch</th>${kill}</tr>
<tr><th>Pending approvals</th><td><a href="${prefix}/approvals">${d.pending === null ? 'no queue configured' : d.pending}</a></td></tr>
</tbody></table>
<h2>SLOs</h2>${
    d.slos === null
      ? html`<p>No SRE runtime configured.</p>`
      : html`<table><thead><tr><th>SLO</th><th>objective</th><th>calls</th><th>bad</th><th>budget left</th><th>alerts firing</th></tr></thead><tbody>${d.slos.map(
          (s) =>
            html`<tr><td>${s.name}</td><td>${s.objective}</td><td>${s.total}</td><td>${s.bad}</td><td class="${s.exhausted ? 'bad' : 'ok'}">${(s.budgetRemaining * 100).toFixed(1)}%</td><td>${s.firing.join(', ')}</td></tr>`,
        )}</tbody></table>`
  }
<h2>Circuit breakers</h2>${
    d.breakers === null
      ? html`<p>No SRE runtime configured.</p>`
      : d.breakers.length === 0
        ? html`<p>No breaker has seen a call.</p>`
        : html`<table><thead><tr><th>breaker</th><th>state</th><th>consecutive failures</th></tr></thead><tbody>${d.breakers.map(
            (b) => html`<tr><td>${b.name}</td><td class="${b.state === 'closed' ? 'ok' : 'bad'}">${b.state}</td><td>${b.consecutiveFailures}</td></tr>`,
          )}</tbody></table>`
  }`;
}

export function decisionsPage(prefix: string, filter: { tool: string; effect: string; agent: string }, records: AuditDecisionRecord[] | null, scanned: number, error: string | null): Html {
  const form = html`<form method="get" action="${prefix}/decisions">
<label>tool <input name="tool" value="${filter.tool}"></label>
<label>effect <select name="effect">${['', 'allow', 'deny', 'require_approval', 'warn'].map((e) => html`<option value="${e}"${filter.effect === e ? html` selected` : ''}>${e === '' ? 'any' : e}</option>`)}</select></label>
<label>agent <input name="agent" value="${filter.agent}"></label> <button type="submit">Filter</button></form>`;
  if (error !== null) return html`${form}<p class="error">${error}</p>`;
  if (records === null) return html`${form}<p>No audit log configured.</p>`;
  return html`${form}<p>${records.length} matching of the last ${scanned} records, newest first; refreshes every 5 s.</p>
<table id="decisions"><thead><tr><th>time</th><th>agent</th><th>tool</th><th>arguments</th><th>policy</th><th>final</th><th>rule</th><th>reason</th><th>approved by</th></tr></thead><tbody>${records.map((r) => {
    const final = r.outcome?.effect ?? r.decision.effect;
    return html`<tr data-call="${r.call ?? ''}"><td>${r.ts}</td><td>${r.agent?.id ?? ''}</td><td>${r.request.tool}</td><td><pre>${clip(JSON.stringify(r.request.args))}</pre></td><td class="${r.decision.effect}">${r.decision.effect}</td><td class="${final}">${final}</td><td>${r.decision.rule ?? ''}</td><td>${r.outcome?.reason ?? r.decision.reason}</td><td class="approver">${r.outcome?.approval?.by ?? ''}</td></tr>`;
  })}</tbody></table>`;
}

export function approvalsPage(prefix: string, csrf: string, items: ApprovalItem[] | null, notice: Html | null): Html {
  if (items === null) return html`<p>No approval queue configured.</p>`;
  return html`${notice ?? ''}${items.length === 0 ? html`<p id="no-approvals">Nothing is waiting for approval.</p>` : ''}${items.map(
    (i) => html`<section class="approval" id="approval-${i.id}"><h2>${i.tool} <small>${i.id}</small></h2>
<table><tbody>
<tr><th>caller</th><td>${i.caller ?? '(no identity)'}</td></tr>
<tr><th>rule</th><td>${i.rule ?? ''} — ${i.reason}</td></tr>
<tr><th>approvers</th><td>${i.approvers.join(', ')}</td></tr>
<tr><th>expires</th><td>${new Date(i.expiresAt).toISOString()}</td></tr>
<tr><th>request digest</th><td><code>${i.requestDigest}</code></td></tr>
<tr><th>arguments</th><td><pre class="args">${JSON.stringify(i.args, null, 2)}</pre></td></tr>
${i.context === null ? '' : html`<tr><th>context</th><td><pre>${JSON.stringify(i.context, null, 2)}</pre></td></tr>`}
</tbody></table>
<form method="post" action="${prefix}/approvals/answer"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="id" value="${i.id}"><input type="hidden" name="digest" value="${i.requestDigest}">
<label>note <input name="note" maxlength="1000"></label>
<button type="submit" name="decision" value="approve">Approve</button> <button type="submit" name="decision" value="deny">Deny</button></form></section>`,
  )}`;
}

export function agentsPage(prefix: string, rows: AgentRow[] | null, mayKill: boolean, notice: Html | null): Html {
  if (rows === null) return html`<p>No runtime configured.</p>`;
  return html`${notice ?? ''}<table id="agents"><thead><tr><th>agent</th><th>trust</th><th>tier</th><th>ring</th><th>kill state</th><th></th></tr></thead><tbody>${rows.map(
    (a) => html`<tr data-agent="${a.id}"><td>${a.id}</td><td>${a.trust ?? ''}</td><td>${a.tier ?? ''}</td><td>${a.ring ?? ''}</td><td class="${a.killed === null ? 'ok' : 'bad'}">${a.killed === null ? 'running' : html`killed: ${a.killed}`}</td>
<td>${a.error === null ? '' : html`<span class="error">${a.error}</span>`}${mayKill && a.killed === null ? html`<a class="kill" href="${prefix}/agents/kill?agent=${encodeURIComponent(a.id)}">Kill…</a>` : ''}</td></tr>`,
  )}</tbody></table>${mayKill ? '' : html`<p>Killing needs the kill role.</p>`}`;
}

export function killConfirmPage(prefix: string, csrf: string, agent: string): Html {
  return html`<p>Kill agent <strong id="kill-target">${agent}</strong>? Every process sharing the store denies its next call, and its calls in flight are aborted. Reviving it needs another approver's signed approval (<code>warden revive</code>).</p>
<form method="post" action="${prefix}/agents/kill"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="agent" value="${agent}"><input type="hidden" name="confirm" value="${agent}">
<label>reason <input name="reason" required maxlength="500"></label> <button class="danger" type="submit">Yes, kill ${agent}</button> <a href="${prefix}/agents">Cancel</a></form>`;
}

export function errorPage(message: string): Html {
  return html`<p class="error" id="error">${message}</p>`;
}

function clip(s: string | undefined): string {
  if (s === undefined) return '';
  return s.length > 500 ? `${s.slice(0, 500)}…` : s;
}
