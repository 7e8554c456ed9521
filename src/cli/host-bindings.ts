/**
 * `--host <host>` for `warden lint` and `warden test`: the facet bindings and request context an
 * enforcement point supplies, so a policy is checked as that host decides it (the Claude Code
 * hook binds Bash to the shell facet and the file tools to the path facet, and puts the project
 * directory and the session's cwd in `context.claudeCode`).
 */
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { FacetBinding } from '../facets/bindings.js';

/** Hosts whose bindings the CLI can apply. */
export const HOSTS = ['claude-code'] as const;

/** What a host adds: its bindings, and the context it gives every request. */
export interface HostSetup {
  bindings: FacetBinding[];
  /** Context keys the host sets on every request (a request's own keys win). */
  context: Record<string, unknown>;
}

/**
 * The bindings and context of `host`, with `root` as the project directory (the working directory
 * by default), or an error message naming the hosts there are.
 *
 * @example
 * ```ts
 * const setup = await hostSetup('claude-code', '/repo');
 * // setup.context: { host: 'claude-code', claudeCode: { projectDir: '/repo', cwd: '/repo' } }
 * ```
 */
export async function hostSetup(host: string, root: string = process.cwd()): Promise<HostSetup | string> {
  if (host !== 'claude-code') return `--host "${host}" is not one of ${HOSTS.join(', ')}.`;
  const { claudeCodeBindings } = await import('../integrations/claude-code/mapping.js');
  const projectDir = resolve(root);
  return {
    bindings: claudeCodeBindings({ root: projectDir, home: homedir() }),
    context: { host: 'claude-code', claudeCode: { projectDir, cwd: projectDir } },
  };
}

/**
 * `request` with the host's context under it: keys the request sets itself win, and
 * `context.claudeCode` is merged key by key (a case may give its own `cwd`).
 *
 * @example
 * ```ts
 * withHostContext({ tool: 'Bash', args: { command: 'ls' } }, setup.context);
 * ```
 */
export function withHostContext(request: unknown, context: Record<string, unknown>): unknown {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) return request;
  const r = request as Record<string, unknown>;
  const own = r.context !== null && typeof r.context === 'object' && !Array.isArray(r.context) ? (r.context as Record<string, unknown>) : {};
  const merged: Record<string, unknown> = { ...context, ...own };
  for (const [k, v] of Object.entries(context)) {
    const mine = own[k];
    if (v !== null && typeof v === 'object' && mine !== null && typeof mine === 'object' && !Array.isArray(mine)) merged[k] = { ...(v as object), ...(mine as object) };
  }
  return { ...r, context: merged };
}
