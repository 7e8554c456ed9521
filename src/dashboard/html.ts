/**
 * HTML for the dashboard: one escaping function every interpolated value goes through, a tagged
 * template that escapes by default (only values made by `html` itself pass unescaped), the page
 * layout, and the response headers (a strict Content-Security-Policy: no script runs at all).
 */
import type { ServerResponse } from 'node:http';

/** Markup that is already safe (built by {@link html}); everything else is escaped when interpolated. */
export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/**
 * Escapes text for an HTML text node or a double-quoted attribute value.
 *
 * @example
 * ```ts
 * escapeHtml('<img src=x onerror="alert(1)">'); // '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
 * ```
 */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => ESCAPES[c] as string);
}

/**
 * A template tag: interpolated values are escaped unless they are {@link Html}; arrays are joined.
 *
 * @example
 * ```ts
 * const row = html`<td>${userText}</td>`; // userText escaped
 * ```
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] as string;
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + (strings[i + 1] as string);
  return new Html(out);
}

function piece(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(piece).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(v);
}

/**
 * The Content-Security-Policy of every dashboard response: no script, no inline style, nothing from elsewhere.
 *
 * @example
 * ```ts
 * res.setHeader('Content-Security-Policy', CSP);
 * ```
 */
export const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Headers every dashboard response carries. */
export function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  // same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` on the dashboard's own forms, which the origin check refuses.
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** Sends a page. */
export function sendHtml(res: ServerResponse, status: number, body: Html): void {
  securityHeaders(res);
  const bytes = Buffer.from(`<!doctype html>\n${body.text}`, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': bytes.length });
  res.end(bytes);
}

/** Sends a 303 redirect to a path under the dashboard. */
export function redirect(res: ServerResponse, location: string, cookies: string[] = []): void {
  securityHeaders(res);
  if (cookies.length > 0) res.setHeader('Set-Cookie', cookies);
  res.writeHead(303, { Location: location, 'Content-Length': 0 });
  res.end();
}

/** The page frame: title, navigation (when logged in), the optional refresh, the body. */
export function layout(options: { prefix: string; title: string; user: string | null; csrf: string | null; refreshSeconds?: number; refreshTo?: string; body: Html }): Html {
  const { prefix, title, user, csrf, body } = options;
  const nav =
    user === null
      ? html``
      : html`<nav><a href="${prefix}/">Overview</a> <a href="${prefix}/decisions">Decisions</a> <a href="${prefix}/approvals">Approvals</a> <a href="${prefix}/agents">Agents</a>
<form class="logout" method="post" action="${prefix}/logout"><input type="hidden" name="csrf" value="${csrf}"><span>${user}</span> <button type="submit">Log out</button></form></nav>`;
  const refresh = options.refreshSeconds === undefined ? html`` : html`<meta http-equiv="refresh" content="${options.refreshTo === undefined ? String(options.refreshSeconds) : `${options.refreshSeconds};url=${options.refreshTo}`}">`;
  return html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${refresh}<title>${title} · Warden</title><link rel="stylesheet" href="${prefix}/style.css"></head>
<body><header><strong>Warden</strong> ${nav}</header><main><h1>${title}</h1>
${body}</main></body></html>`;
}

/** The stylesheet (served from the dashboard itself: the CSP allows no inline style). */
export const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
header{display:flex;gap:1em;align-items:center;padding:.6em 1em;background:#1f2937;color:#fff}
header a{color:#cfe3ff;margin-right:.8em}nav{display:flex;align-items:center;gap:.4em;flex:1}
form.logout{margin-left:auto;display:inline}main{padding:1em 1.5em}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
pre{margin:0;white-space:pre-wrap;word-break:break-all;max-width:60em}
.deny,.bad{color:#a40000;font-weight:600}.allow,.ok{color:#0a6b14;font-weight:600}.require_approval,.warn{color:#8a5a00;font-weight:600}
.notice{padding:.5em;background:#eef6ff;border:1px solid #9cc3f5}.error{padding:.5em;background:#fff0f0;border:1px solid #e5a0a0}
button.danger{background:#a40000;color:#fff}`;
