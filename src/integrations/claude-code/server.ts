/**
 * The hook server: a long-lived process that keeps compiled policies and the decision engine
 * loaded, so each hook process only forwards its input (Node's start-up and the policy engine's
 * imports are most of a cold hook's time).
 *
 * It listens on a Unix socket in a directory only its user can enter, takes one request per
 * connection (`{"v":1,"config":{...},"input":"..."}` and a newline), answers with the hook's
 * result (`{"exitCode":0,"stdout":"...","stderr":""}` and a newline), and exits after a quiet
 * period. It holds `<socket>.lock` while it runs, so one server serves each socket. Each request
 * runs exactly what the hook would run in its own process (HookRuntime.handle): the policy files
 * are read on every request, and every decision is recorded under the audit log's lock file.
 */
import { chmod, unlink } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { isAbsolute } from 'node:path';
import { WardenError } from '../../errors.js';
import { withFileLock } from '../../audit/file-lock.js';
import { HookRuntime, type HookConfig, type HookResult } from './handle.js';
import { MAX_HOOK_INPUT_BYTES } from './hook-input.js';

/** Protocol version; a client and server of one build always agree (the socket name pins the build). */
export const PROTOCOL_VERSION = 1;

/** Largest request line: the hook input (JSON-escaped, so up to twice its size) and the config. */
export const MAX_REQUEST_BYTES = MAX_HOOK_INPUT_BYTES * 2 + 64 * 1024;

/** How long one connection may take to send its request. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Options of {@link serveHooks}.
 *
 * @example
 * ```ts
 * const options: HookServerOptions = { socketPath: '/run/user/1000/warden/hook-3f2a.sock', idleMs: 600_000 };
 * ```
 */
export interface HookServerOptions {
  socketPath: string;
  /** Exit after this long without a request. */
  idleMs: number;
}

/**
 * Runs the hook server until it has been idle for `idleMs` (or gets SIGTERM/SIGINT). Resolves
 * at once, without serving, when another live server holds the socket's lock.
 *
 * @example
 * ```ts
 * await serveHooks({ socketPath, idleMs: 600_000 });
 * ```
 */
export async function serveHooks(options: HookServerOptions): Promise<void> {
  try {
    await withFileLock(`${options.socketPath}.lock`, () => listenUntilIdle(options), { timeoutMs: 0, staleMs: Number.POSITIVE_INFINITY });
  } catch (e) {
    // Another server is running: nothing to do.
    if (e instanceof WardenError && e.code === 'ERR_LOCK_TIMEOUT') return;
    throw e;
  }
}

/** How long a retiring server keeps serving connections that found its socket before it was removed. */
const RETIRE_GRACE_MS = 500;

async function listenUntilIdle({ socketPath, idleMs }: HookServerOptions): Promise<void> {
  const runtime = new HookRuntime();
  // We hold the lock, so a socket file left here belongs to a server that died.
  await unlinkIfThere(socketPath);
  let active = 0;
  let timer: NodeJS.Timeout | null = null;
  let retiring = false;
  await new Promise<void>((resolve, reject) => {
    const server = createServer((socket) => {
      active++;
      if (timer) clearTimeout(timer);
      void serveOne(socket, runtime).finally(() => {
        active--;
        if (!retiring) arm();
      });
    });
    // Retiring removes the socket first, so new hooks find no server (and handle their event
    // themselves) instead of connecting to one that is closing; hooks already connected are served.
    const retire = (): void => {
      if (retiring) return;
      retiring = true;
      if (timer) clearTimeout(timer);
      void unlinkIfThere(socketPath)
        .catch(() => undefined)
        .finally(() => setTimeout(() => server.close(() => resolve()), RETIRE_GRACE_MS));
    };
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => (active === 0 ? retire() : arm()), idleMs);
    };
    process.once('SIGTERM', retire);
    process.once('SIGINT', retire);
    server.on('error', reject);
    server.listen(socketPath, () => {
      chmod(socketPath, 0o600).then(arm, reject);
    });
  });
  await runtime.close();
}

async function unlinkIfThere(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

async function serveOne(socket: Socket, runtime: HookRuntime): Promise<void> {
  let result: HookResult;
  try {
    const request = await readRequest(socket);
    result = await runtime.handle(request.input, request.config);
  } catch (e) {
    result = { exitCode: 2, stdout: '', stderr: `warden: the hook server could not handle the request: ${e instanceof Error ? e.message : String(e)}\n` };
  }
  await new Promise<void>((resolve) => {
    socket.on('error', () => resolve());
    socket.end(`${JSON.stringify(result)}\n`, () => resolve());
  });
}

function readRequest(socket: Socket): Promise<{ config: HookConfig; input: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => fail('the request did not arrive in time'), REQUEST_TIMEOUT_MS);
    function fail(why: string): void {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      reject(new WardenError('ERR_HOOK_SERVER', why));
    }
    socket.on('error', (e) => fail(e.message));
    socket.on('end', () => fail('the connection ended before a whole request arrived'));
    socket.on('data', (chunk: Buffer) => {
      const nl = chunk.indexOf(0x0a);
      size += nl === -1 ? chunk.length : nl;
      if (size > MAX_REQUEST_BYTES) return fail(`the request is over ${MAX_REQUEST_BYTES} bytes`);
      chunks.push(nl === -1 ? chunk : chunk.subarray(0, nl));
      if (nl === -1) return;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.removeAllListeners('end');
      try {
        resolve(parseRequest(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

/**
 * Validates a request line from a hook client.
 *
 * @example
 * ```ts
 * parseRequest('{"v":1,"config":{...},"input":"{...}"}'); // { config, input }
 * ```
 * @throws WardenError `ERR_HOOK_SERVER` for anything but a well-formed request of this protocol.
 */
export function parseRequest(line: string): { config: HookConfig; input: string } {
  const bad = (what: string): never => {
    throw new WardenError('ERR_HOOK_SERVER', `malformed request: ${what}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(line) as unknown;
  } catch {
    return bad('not JSON');
  }
  if (value === null || typeof value !== 'object') return bad('not an object');
  const r = value as Record<string, unknown>;
  if (r.v !== PROTOCOL_VERSION) bad(`protocol version ${String(r.v)}, expected ${PROTOCOL_VERSION}`);
  if (typeof r.input !== 'string') bad('input is not a string');
  const c = r.config as Record<string, unknown> | null;
  if (c === null || typeof c !== 'object') return bad('config is not an object');
  const absolute = (v: unknown): v is string => typeof v === 'string' && isAbsolute(v);
  if (!Array.isArray(c.policyPaths) || !c.policyPaths.every(absolute)) bad('policyPaths must be absolute paths');
  if (!absolute(c.auditPath)) bad('auditPath must be an absolute path');
  if (typeof c.agentId !== 'string') bad('agentId must be a string');
  if (c.projectDir !== null && !absolute(c.projectDir)) bad('projectDir must be an absolute path or null');
  if (c.home !== null && !absolute(c.home)) bad('home must be an absolute path or null');
  if (typeof c.windows !== 'boolean') bad('windows must be a boolean');
  if (c.state !== undefined && c.state !== null && typeof c.state !== 'string') bad('state must be a store url or null');
  if (c.resultModel !== undefined && c.resultModel !== null && !absolute(c.resultModel)) bad('resultModel must be an absolute path or null');
  const config: HookConfig = {
    policyPaths: [...(c.policyPaths as string[])],
    auditPath: c.auditPath as string,
    agentId: c.agentId as string,
    projectDir: c.projectDir as string | null,
    home: c.home as string | null,
    windows: c.windows as boolean,
    state: (c.state as string | null | undefined) ?? null,
    resultModel: (c.resultModel as string | null | undefined) ?? null,
  };
  return { config, input: r.input as string };
}
