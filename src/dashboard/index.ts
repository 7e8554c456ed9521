/**
 * The Warden dashboard: a node:http mount for `warden serve` (or any node:http server) where
 * people watch decisions, answer the approval queue, see agents' trust, ring and kill state and
 * kill one, and see SLOs, breakers, the policy revision and whether the audit log verifies.
 * Server-rendered, no scripts, login required; see docs/dashboard.md.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createDashboard } from 'agent-warden/dashboard';
 * const ui = createDashboard({ logins: [{ name: 'alice', token: 'a-long-random-token-for-alice' }], audit: '.warden/audit' });
 * createServer((req, res) => void ui.handle(req, res)).listen(8181, '127.0.0.1');
 * ```
 */
export { createDashboard } from './dashboard.js';
export type { DashboardOptions, DashboardMount } from './dashboard.js';
export type { DashboardLogin } from './session.js';
export { escapeHtml, CSP as DASHBOARD_CSP } from './html.js';
export { OidcError } from './oidc.js';
export type { DashboardOidcOptions, OidcFailure, OidcLoginEvent } from './oidc.js';
