/**
 * `warden hook claude-code`: the process Claude Code starts for each hook event.
 *
 * It reads the event from standard input and has it handled by this build's hook server when one
 * is running (fast: nothing heavy is imported here), else handles it in this process (the decision
 * engine is loaded on demand, see in-process.ts) and starts a server for the next events. Both paths run the same
 * code (HookRuntime.handle) against the same files, so the answer does not depend on which ran.
 * Once the input has been sent to a server, a failure is not retried elsewhere: it exits 2.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { HookResult } from './handle.js';
import { MAX_HOOK_INPUT_BYTES } from './hook-input.js';
import { applyFailureMode, failureModeOf, type HookFailureMode } from './on-failure.js';
import { resolveHookConfig, type HookCommandOptions } from './options.js';
import { serverEntry, serverSocketPath, socketIsOurs } from './server-address.js';

declare const __WARDEN_HOOK_SCRIPT_DIGEST__: string | undefined;

/** Default quiet period after which the hook server exits. */
export const DEFAULT_SERVER_IDLE_MS = 10 * 60_000;

/** How long a hook waits for the server's answer before failing closed. */
const REPLY_TIMEOUT_MS = 20_000;

/** Largest answer accepted from the server. */
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

/**
 * Options of `warden hook claude-code`.
 *
 * @example
 * ```ts
 * const opts: HookRunOptions = { policy: ['.warden/policy.yaml'], server: false };
 * ```
 */
export interface HookRunOptions extends HookCommandOptions {
  /** Use (and start) the hook server. Default true; `--no-server` or `WARDEN_HOOK_SERVER=off` turn it off. */
  server?: boolean;
  /** What a failure of Warden itself answers: `block` (default; exit 2) or `defer` (PreToolUse answers `ask`). `--on-failure`, else `$WARDEN_ON_FAILURE`. */
  onFailure?: HookFailureMode;
  /**
   * Decide through a running `warden serve` instead of a local policy: `--remote <url>`,
   * `--remote-token-file <file>`, `--remote-timeout <ms>` (else `$WARDEN_REMOTE_URL`,
   * `$WARDEN_REMOTE_TOKEN_FILE`; default timeout 10000 ms). See remote-hook.ts.
   */
  remote?: { url?: string; tokenFile?: string; timeoutMs?: number };
}

/** How long a remote decision may take by default (above the service's own work, below Claude Code's hook timeout). */
const DEFAULT_REMOTE_TIMEOUT_MS = 10_000;

/**
 * The process's streams and surroundings, injectable for tests.
 *
 * @example
 * ```ts
 * const io: HookIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
 * ```
 */
export interface HookIo {
  stdin: AsyncIterable<unknown>;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/**
 * Runs one hook event and returns the exit code (0, or 2 on any failure, which blocks the call;
 * with `onFailure: 'defer'` a failed PreToolUse event is answered `ask` with exit code 0 instead).
 *
 * @example
 * ```ts
 * process.exitCode = await runClaudeCodeHook({}, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
 * ```
 */
export async function runClaudeCodeHook(opts: HookRunOptions, io: HookIo): Promise<number> {
  let result: HookResult;
  let text = '';
  try {
    text = await readAll(io.stdin);
    const config = resolveHookConfig(opts, io.env, io.cwd);
    const remote = remoteOf(opts, io.env, io.cwd, config.projectDir);
    // Loaded only with --remote: the local path never imports the HTTP client.
    if (remote !== null) {
      result = await (await import('./remote-hook.js')).runRemoteHook(text, config, remote);
    } else {
      result = await dispatch(JSON.stringify({ v: 1, config, input: text }), opts, io, async () =>
        // The built hook runs the engine as a script with a code cache of its own (scripts/build.mjs).
        typeof __WARDEN_HOOK_SCRIPT_DIGEST__ === 'string'
          ? (await import('./in-process-script.js')).handleInProcessScript(text, config, io.env)
          : (await import('./in-process.js')).handleInProcess(text, config, io.env),
      );
    }
  } catch (e) {
    result = { exitCode: 2, stdout: '', stderr: `warden: ${e instanceof Error ? e.message : String(e)}\n` };
  }
  const failure = failureModeOf(opts.onFailure, io.env);
  if (failure.problem !== null) result = { ...result, stderr: `${result.stderr}warden: ${failure.problem}\n` };
  result = applyFailureMode(result, text, failure.mode);
  await write(io.stdout, result.stdout);
  await write(io.stderr, result.stderr);
  return result.exitCode;
}

/** The remote service to decide through, or null (decide locally); throws on half a configuration. */
function remoteOf(opts: HookRunOptions, env: Readonly<Record<string, string | undefined>>, cwd: string, projectDir: string | null): { url: string; tokenFile: string; timeoutMs: number } | null {
  const url = opts.remote?.url ?? (env.WARDEN_REMOTE_URL || undefined);
  const flagFile = opts.remote?.tokenFile;
  const envFile = env.WARDEN_REMOTE_TOKEN_FILE || undefined;
  if (url === undefined) {
    if (flagFile !== undefined || envFile !== undefined || opts.remote?.timeoutMs !== undefined) throw new Error('a remote token file or timeout was given without the service: pass --remote <url> (or WARDEN_REMOTE_URL)');
    return null;
  }
  if (flagFile === undefined && envFile === undefined) throw new Error('--remote needs the service\'s bearer token: pass --remote-token-file <file> (or WARDEN_REMOTE_TOKEN_FILE)');
  if (opts.sandbox !== undefined) throw new Error('--sandbox runs commands in this process and cannot be combined with --remote');
  const tokenFile = flagFile !== undefined ? resolve(cwd, flagFile) : resolve(projectDir ?? cwd, envFile as string);
  return { url, tokenFile, timeoutMs: opts.remote?.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS };
}

async function dispatch(line: string, opts: HookRunOptions, io: HookIo, inProcess: () => Promise<HookResult>): Promise<HookResult> {
  const debug = truthy(io.env.WARDEN_HOOK_DEBUG) ? (r: HookResult, how: string): HookResult => ({ ...r, stderr: `${r.stderr}warden: debug: ${how}\n` }) : (r: HookResult): HookResult => r;
  const socket = serverWanted(opts, io.env) ? serverSocketPath(io.env) : null;
  if (socket === null) return debug(await inProcess(), 'handled in process (no hook server)');
  // invariant: the event goes only to a socket that is this user's and no one else's to write.
  const reply: Reply = socketIsOurs(socket) ? await askServer(socket, `${line}\n`) : { kind: 'unavailable' };
  if (reply.kind === 'answer') return debug(reply.result, `answered by the hook server at ${socket}`);
  if (reply.kind === 'failed') return { exitCode: 2, stdout: '', stderr: `warden: the hook server failed, so the call is blocked: ${reply.message}\n` };
  const started = await startServer(socket, io.env);
  return debug(await inProcess(), `handled in process (hook server ${started ? 'starting' : 'not started'} at ${socket})`);
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && !['', '0', 'off', 'false', 'no'].includes(v.trim().toLowerCase());
}

function serverWanted(opts: HookRunOptions, env: Readonly<Record<string, string | undefined>>): boolean {
  // invariant: "run it for you" is handled in this process: a hook server of another version would not know the mode and let the host run the command.
  if (opts.sandbox !== undefined) return false;
  return opts.server !== false && (env.WARDEN_HOOK_SERVER === undefined || truthy(env.WARDEN_HOOK_SERVER));
}

type Reply = { kind: 'answer'; result: HookResult } | { kind: 'unavailable' } | { kind: 'failed'; message: string };

function askServer(socketPath: string, line: string): Promise<Reply> {
  return new Promise((resolve) => {
    let sent = false;
    let settled = false;
    const chunks: Buffer[] = [];
    let size = 0;
    const socket = connect(socketPath);
    const finish = (reply: Reply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const timer = setTimeout(() => finish({ kind: 'failed', message: `no answer within ${REPLY_TIMEOUT_MS} ms` }), REPLY_TIMEOUT_MS);
    socket.once('connect', () => {
      sent = true;
      socket.write(line);
    });
    // Before the input is sent nothing happened yet: the caller may handle it itself.
    socket.on('error', (e) => finish(sent ? { kind: 'failed', message: e.message } : { kind: 'unavailable' }));
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REPLY_BYTES) return finish({ kind: 'failed', message: 'the answer is too large' });
      chunks.push(chunk);
    });
    socket.on('end', () => finish(parseReply(Buffer.concat(chunks).toString('utf8'))));
  });
}

function parseReply(text: string): Reply {
  let v: unknown;
  try {
    v = JSON.parse(text) as unknown;
  } catch {
    return { kind: 'failed', message: 'the answer is not JSON (the connection was cut?)' };
  }
  const r = v as Partial<HookResult> | null;
  if (r === null || typeof r !== 'object' || (r.exitCode !== 0 && r.exitCode !== 2) || typeof r.stdout !== 'string' || typeof r.stderr !== 'string') {
    return { kind: 'failed', message: 'the answer is malformed' };
  }
  return { kind: 'answer', result: { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr } };
}

/** Starts this build's server in the background unless one holds the socket's lock already. */
async function startServer(socketPath: string, env: Readonly<Record<string, string | undefined>>): Promise<boolean> {
  const entry = serverEntry();
  if (entry === null || lockHolderAlive(`${socketPath}.lock`)) return false;
  // Loaded only here: most hooks never start a server.
  const { spawn } = await import('node:child_process');
  const idle = Number(env.WARDEN_HOOK_SERVER_IDLE_MS ?? DEFAULT_SERVER_IDLE_MS);
  const idleMs = Number.isSafeInteger(idle) && idle >= 100 ? idle : DEFAULT_SERVER_IDLE_MS;
  try {
    const child = spawn(process.execPath, [entry, '--socket', socketPath, '--idle-ms', String(idleMs)], {
      detached: true,
      stdio: 'ignore',
      cwd: dirname(socketPath),
      env: { ...env },
    });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    // No server this time; this event is handled in process regardless.
    return false;
  }
}

function lockHolderAlive(lockPath: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(lockPath, 'utf8').split(' ')[0]);
  } catch {
    // No lock: no server.
    return false;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readAll(stream: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_HOOK_INPUT_BYTES) throw new Error(`the hook input is over ${MAX_HOOK_INPUT_BYTES} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve) => {
    stream.write(text, () => resolve());
  });
}
