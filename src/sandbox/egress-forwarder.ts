/**
 * The forwarder of a sandbox's egress: a process that listens on 127.0.0.1:{@link EGRESS_PORT}
 * inside the run's network namespace and carries each connection to the host-side proxy's Unix
 * socket. It is started by Warden with `nsenter --net` into the namespace of the sandbox's first
 * process, while bubblewrap holds the command back (`--block-fd`), so it runs outside the sandbox:
 * in the host's mount and PID namespaces, invisible to the command, which can neither signal it,
 * trace it, nor run its binary. What the command can do to it is connect to its port (that is
 * the point), and bind other ports of its own loopback.
 *
 * It is `socat` when the host has it (a C program starting in a few milliseconds), else the Node
 * binary running {@link NODE_FORWARDER}. Neither reads what it carries.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** The port the forwarder listens on inside every sandbox (the sandbox's own loopback). */
export const EGRESS_PORT = 3128;

/**
 * The Node forwarder, run as `node -e NODE_FORWARDER <socket> <port>`: pipes each connection to
 * the socket both ways (half-closes included), prints `listening on` to standard error once bound.
 */
export const NODE_FORWARDER = `const net = require('node:net');
const [sock, port] = process.argv.slice(1);
net.createServer({ allowHalfOpen: true }, (c) => {
  const u = net.connect({ path: sock, allowHalfOpen: true });
  const cut = () => { c.destroy(); u.destroy(); };
  c.on('error', cut); u.on('error', cut);
  c.pipe(u); u.pipe(c);
}).listen(Number(port), '127.0.0.1', () => process.stderr.write('listening on 127.0.0.1:' + port + '\\n'));`;

/** Which forwarder program runs. */
export type ForwarderKind = 'socat' | 'node';

/**
 * A started forwarder.
 *
 * @example
 * ```ts
 * const f = await startForwarder({ pid, socketPath, kind: 'socat' });
 * await f.stop();
 * ```
 */
export interface Forwarder {
  stop(): Promise<void>;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Picks the forwarder: `auto` is socat when `/usr/bin/socat` exists, else node.
 *
 * @example
 * ```ts
 * forwarderKind('auto'); // 'socat' on a host with socat installed
 * ```
 */
export function forwarderKind(choice: 'auto' | ForwarderKind): ForwarderKind {
  if (choice !== 'auto') return choice;
  return executable('/usr/bin/socat') ? 'socat' : 'node';
}

/** `nsenter` from the system directories (never the caller's PATH), or null. */
export function findNsenter(): string | null {
  return ['/usr/bin/nsenter', '/bin/nsenter'].find(executable) ?? null;
}

/**
 * The forwarder's command line after `nsenter --target <pid> --net --`.
 *
 * @example
 * ```ts
 * forwarderArgv('socat', '/tmp/w/egress-1.sock'); // ['/usr/bin/socat', '-d', '-d', 'TCP-LISTEN:3128,bind=127.0.0.1,reuseaddr,fork', 'UNIX-CONNECT:/tmp/w/egress-1.sock']
 * ```
 */
export function forwarderArgv(kind: ForwarderKind, socketPath: string): string[] {
  if (kind === 'socat') return ['/usr/bin/socat', '-d', '-d', `TCP-LISTEN:${EGRESS_PORT},bind=127.0.0.1,reuseaddr,fork`, `UNIX-CONNECT:${socketPath}`];
  return [process.execPath, '-e', NODE_FORWARDER, socketPath, String(EGRESS_PORT)];
}

/**
 * Starts the forwarder in the network namespace of process `pid` and waits until it listens.
 *
 * @example
 * ```ts
 * const f = await startForwarder({ pid: 4242, socketPath: '/tmp/w/egress-1.sock', kind: 'node' });
 * ```
 * @throws Error when nsenter is missing, or the forwarder exits or does not listen within `timeoutMs` (default 10 s).
 */
export async function startForwarder(o: { pid: number; socketPath: string; kind: ForwarderKind; timeoutMs?: number }): Promise<Forwarder> {
  const nsenter = findNsenter();
  if (nsenter === null) throw new Error('nsenter (util-linux) is not installed; it starts the egress forwarder in the sandbox network');
  const child = spawn(nsenter, ['--target', String(o.pid), '--net', '--', ...forwarderArgv(o.kind, o.socketPath)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('close', () => r()));
    child.kill('SIGKILL');
    await gone;
  };
  try {
    await listening(child, o.timeoutMs ?? 10_000);
  } catch (e) {
    await stop();
    throw e;
  }
  // Its log is read and dropped from now on, so a full pipe never stalls it.
  child.stderr?.resume();
  return { stop };
}

function listening(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => done(new Error(`the egress forwarder did not listen within ${timeoutMs} ms`)), timeoutMs);
    const onData = (b: Buffer): void => {
      text += b.toString('utf8');
      if (/listening on/.test(text)) done(null);
      else if (text.length > 16_384) text = text.slice(-4096);
    };
    const onExit = (): void => done(new Error(`the egress forwarder exited before it listened: ${text.trim().slice(-300) || 'no message'}`));
    const onError = (e: Error): void => done(new Error(`the egress forwarder could not start (${e.message})`));
    function done(e: Error | null): void {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      if (e === null) resolve();
      else reject(e);
    }
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}
