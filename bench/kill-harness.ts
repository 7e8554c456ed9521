/**
 * Drives governed child processes (bench/kill-child.mjs) for the kill-propagation test and bench:
 * spawns them, sends commands, and waits for their answers.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Child {
  pid: number;
  send(cmd: object): void;
  /** The next message that satisfies `match`. */
  next(match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exit(): Promise<void>;
}

export async function spawnChild(script: string, env: Record<string, string>): Promise<Child> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--no-warnings', script], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const messages: Record<string, unknown>[] = [];
  const waiters: { match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const failed = new Promise<never>((_, reject) => child.on('exit', (code) => (code !== 0 ? reject(new Error(`child exited ${code}: ${stderr}`)) : undefined)));
  failed.catch(() => undefined);
  createInterface({ input: child.stdout }).on('line', (line) => {
    const m = JSON.parse(line) as Record<string, unknown>;
    const i = waiters.findIndex((w) => w.match(m));
    if (i >= 0) waiters.splice(i, 1)[0]?.resolve(m);
    else messages.push(m);
  });
  const next = (match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    const i = messages.findIndex(match);
    if (i >= 0) return Promise.resolve(messages.splice(i, 1)[0] as Record<string, unknown>);
    return Promise.race([new Promise<Record<string, unknown>>((resolve) => waiters.push({ match, resolve })), failed]);
  };
  await next((m) => m.ready === true);
  return {
    pid: child.pid as number,
    send: (cmd) => child.stdin.write(`${JSON.stringify(cmd)}\n`),
    next,
    exit: async () => {
      child.stdin.write('{"op":"exit"}\n');
      await new Promise((resolve) => child.on('close', resolve));
    },
  };
}
