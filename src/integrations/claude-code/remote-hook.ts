/**
 * `warden hook claude-code --remote <url>`: one hook event decided by a running `warden serve`
 * instead of a local policy. PreToolUse and UserPromptSubmit are decided (and recorded in the
 * service's audit log) by the service; PostToolUse and PostToolUseFailure send the call's outcome
 * to it. The service identifies this hook by its bearer token, so the agent in records is the
 * token's subject.
 *
 * Loaded only when `--remote` (or WARDEN_REMOTE_URL) is given: the local hook's cold path never
 * pays for the HTTP client. Everything that goes wrong (a token file that cannot be read, a
 * service that is down, slow or refuses the token, an answer that is not a verdict, an outcome
 * not accepted) is exit 2 with the reason, as the local hook fails.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Outcome } from '../../decision.js';
import { WardenError } from '../../errors.js';
import { remoteGovernor } from '../../server/remote-governor.js';
import type { HookConfig, HookResult } from './handle.js';
import { parseHookText } from './hook-input.js';
import { boundedResponse, requestFor } from './mapping.js';
import { postToolUseInjectionOutput, preToolUseOutput, promptOutput } from './output.js';

/**
 * Where the hook's decisions are made: the service's URL, the file holding its bearer token, and
 * how long to wait for an answer.
 *
 * @example
 * ```ts
 * const remote: HookRemote = { url: 'http://127.0.0.1:8181', tokenFile: '/home/dev/.warden/serve.token', timeoutMs: 10_000 };
 * ```
 */
export interface HookRemote {
  url: string;
  tokenFile: string;
  timeoutMs: number;
}

/** Largest token file read. */
const MAX_TOKEN_FILE = 16 * 1024;

/**
 * Handles one hook event through the decision service.
 *
 * @example
 * ```ts
 * const r = await runRemoteHook(stdinText, config, { url: 'http://127.0.0.1:8181', tokenFile: 'serve.token', timeoutMs: 10_000 });
 * process.stdout.write(r.stdout); process.exitCode = r.exitCode;
 * ```
 */
export async function runRemoteHook(text: string, config: HookConfig, remote: HookRemote): Promise<HookResult> {
  try {
    const input = parseHookText(text);
    const unrecorded: string[] = [];
    const governor = remoteGovernor({ url: remote.url, token: await readToken(remote.tokenFile), timeoutMs: remote.timeoutMs, onWarning: (w) => void (w.code === 'outcome_not_recorded' && unrecorded.push(w.message)) });
    const projectDir = config.projectDir ?? input.cwd;
    const { request } = requestFor(input, { agentId: config.agentId, projectDir, ...(config.home !== null ? { home: config.home } : {}) });
    switch (input.hook_event_name) {
      case 'PreToolUse':
      case 'UserPromptSubmit': {
        const { verdict } = await governor.decideCall({ request });
        // invariant: only a verdict the service recorded is answered; a local denial (timeout, unreachable, 401) blocks with its reason.
        if (!verdict.recorded) return blocked(verdict.reason);
        if (input.hook_event_name === 'PreToolUse') return { exitCode: 0, stdout: `${JSON.stringify(preToolUseOutput(verdict))}\n`, stderr: '' };
        const block = promptOutput(verdict);
        return { exitCode: 0, stdout: block ? `${JSON.stringify(block)}\n` : '', stderr: '' };
      }
      case 'PostToolUse':
      case 'PostToolUseFailure': {
        const call = typeof request.context.callId === 'string' ? request.context.callId : randomUUID();
        const scan = input.hook_event_name === 'PostToolUse' ? (await import('../../detect/output.js')).scanOutput(input.tool_response) : null;
        const detected = scan === null ? {} : { ...(scan.labels.length > 0 ? { labels: scan.labels } : {}), ...(scan.findings.length > 0 ? { findings: scan.findings } : {}) };
        const outcome: Outcome =
          input.hook_event_name === 'PostToolUse'
            ? { status: 'ok', result: boundedResponse(input.tool_response), ...detected }
            : { status: input.is_interrupt === true ? 'aborted' : 'error', error: { name: input.is_interrupt === true ? 'Interrupted' : 'ToolError', message: input.error.slice(0, 500) } };
        await governor.pipeline.observe({ call, tool: request.tool }, outcome);
        // invariant: an outcome the service did not record (unreachable, refused, 503 outcome_not_recorded) blocks, as the local hook does.
        if (unrecorded.length > 0) return blocked(unrecorded[0] as string);
        const warn = scan !== null && scan.injection ? postToolUseInjectionOutput(request.tool, scan.findings) : null;
        return { exitCode: 0, stdout: warn === null ? '' : `${JSON.stringify(warn)}\n`, stderr: '' };
      }
    }
  } catch (e) {
    return { exitCode: 2, stdout: '', stderr: `warden: ${e instanceof WardenError || e instanceof Error ? e.message : String(e)}\n` };
  }
}

function blocked(reason: string): HookResult {
  return { exitCode: 2, stdout: '', stderr: `warden: the decision service did not decide, so the call is blocked: ${reason}\n` };
}

/** The bearer token: the first non-comment line of the file (a `warden serve` token file's `<subject> <token>` line gives its token). */
async function readToken(path: string): Promise<string> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_TOKEN_FILE) throw new WardenError('ERR_HOOK_CONFIG', `Invalid hook configuration: the remote token file ${path} is over ${MAX_TOKEN_FILE} bytes.`);
    text = bytes.toString('utf8');
  } catch (e) {
    if (e instanceof WardenError) throw e;
    throw new WardenError('ERR_HOOK_CONFIG', `Invalid hook configuration: cannot read the remote token file ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)}).`);
  }
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  const words = line?.split(/\s+/) ?? [];
  const token = words.length === 2 ? words[1] : words.length === 1 ? words[0] : undefined;
  if (token === undefined || token === '') throw new WardenError('ERR_HOOK_CONFIG', `Invalid hook configuration: the remote token file ${path} holds no token (one line: the token, or "<subject> <token>").`);
  return token;
}
