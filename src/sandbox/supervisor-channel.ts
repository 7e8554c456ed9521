/**
 * Warden's end of the per-exec supervisor's decision channel: one JSON line per execve or
 * execveat made inside the sandbox (the program path, argv, working directory), one answer line
 * per request (`<id> allow` or `<id> deny`). Each exec is decided as a command line of the tool
 * that ran the sandbox, so the policy's shell rules and effects apply to it as to the first
 * command. Anything unexpected closes the channel, after which the supervisor denies every exec.
 */
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Verdict } from '../enforce/verdict.js';

/**
 * What Landlock enforces in a sandbox, as the supervisor reported it.
 *
 * @example
 * ```ts
 * const l: LandlockState = { abi: 7, fs: true, net: true, scoped: true, error: null };
 * ```
 */
export interface LandlockState {
  /** The kernel's Landlock ABI version; 0 when it has none. */
  abi: number;
  /** File-system writes are limited to the writable paths. */
  fs: boolean;
  /** TCP bind and connect are limited (none at ring 3, the proxy's port with egress). */
  net: boolean;
  /** Signals and abstract Unix sockets are scoped to the sandboxed processes (ABI 6). */
  scoped: boolean;
  /** Why Landlock is not (fully) in force, when it is not. */
  error: string | null;
}

/**
 * One exec inside the sandbox and its decision, as recorded in the run's outcome.
 *
 * @example
 * ```ts
 * const e: ExecRecord = { pid: 12, syscall: 'execve', path: '/usr/bin/curl', argv: ['curl', 'x'], cwd: '/w', command: '/usr/bin/curl x', initial: false, effect: 'deny', reason: 'Network tools are not available to the agent', call: 'c-2' };
 * ```
 */
export interface ExecRecord {
  /** The process id inside the sandbox's PID namespace. */
  pid: number;
  syscall: 'execve' | 'execveat';
  /** The program as the process named it (relative paths resolved against `cwd` or the directory descriptor). */
  path: string | null;
  argv: string[];
  cwd: string | null;
  /** The command line the policy decided (the program path, then argv[1...]). */
  command: string | null;
  /** The sandbox's own command, decided before the run. */
  initial: boolean;
  effect: 'allow' | 'deny';
  reason: string;
  /** The decision's call id (its own record in the audit log); null when no decision was made. */
  call: string | null;
  /** The program was not there (`ENOENT`, `ENOTDIR`): decided without a record of its own, and recorded here only when denied. */
  missing?: true;
}

/**
 * How the channel decides one exec: a command line of the run's tool.
 *
 * @example
 * ```ts
 * const decide: ExecDecider = async (command) => (await pipeline.decide({ request: { tool: 'bash', args: { command } } })).verdict;
 * ```
 */
export type ExecDecider = (command: string) => Promise<Verdict>;

/**
 * Options of {@link superviseChannel}.
 *
 * @example
 * ```ts
 * const o: SuperviseChannelOptions = { decide, decideMissing, timeoutMs: 10_000, maxExecs: 1024 };
 * ```
 */
export interface SuperviseChannelOptions {
  decide: ExecDecider;
  /**
   * Decides an exec of a program that is not there (a shell or `execvp` trying each `PATH`
   * directory): never run whatever the answer, so decided without a record or a charge (the
   * policy alone), to refuse and record a denied program even where the sandbox does not hold it.
   */
  decideMissing: (command: string) => { allowed: boolean; reason: string };
  /** A decision taking longer is a deny. */
  timeoutMs: number;
  /** Execs decided per run; past it each further exec is denied. */
  maxExecs: number;
}

/**
 * The channel's record of a run.
 *
 * @example
 * ```ts
 * const s: SupervisedRun = { ready: null, execs: [], overLimit: 0, failure: null };
 * ```
 */
export interface SupervisedRun {
  /** Landlock as the supervisor applied it; null when the supervisor never said it was ready. */
  ready: { landlock: LandlockState } | null;
  execs: ExecRecord[];
  /** Execs past `maxExecs`, each denied. */
  overLimit: number;
  /** Why the channel was closed early (a malformed line), when it was. */
  failure: string | null;
}

/** Longest line accepted from the supervisor (its own bound is lower). */
const MAX_LINE = 4 * 1024 * 1024;

/**
 * Quotes a word for sh unless it is made only of characters sh never interprets.
 *
 * @example
 * ```ts
 * shellWord('-l');   // '-l'
 * shellWord("it's"); // "'it'\\''s'"
 * ```
 */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The program an exec runs, as an absolute path where it can be told: an absolute path as it is,
 * a relative one against the directory descriptor (execveat) or the working directory.
 *
 * @example
 * ```ts
 * execProgram({ path: './build.sh', cwd: '/w', dir: null }); // '/w/build.sh'
 * ```
 */
export function execProgram(e: { path: string; cwd: string; dir: string | null }): string {
  if (e.path === '') return e.dir ?? '';
  if (e.path.startsWith('/')) return posix.normalize(e.path);
  return posix.join(e.dir ?? e.cwd, e.path);
}

/**
 * The command lines an exec is decided as: the program path with argv[1...], and, when argv[0]
 * names another program than the path (a multi-call binary such as busybox picks its applet by
 * argv[0]), argv[0] with the same arguments too; the exec runs only if every one is allowed.
 *
 * @example
 * ```ts
 * execCommands('/bin/busybox', ['wget', 'http://x']); // ['/bin/busybox http://x', 'wget http://x']
 * ```
 */
export function execCommands(program: string, argv: readonly string[]): string[] {
  const args = argv.slice(1).map(shellWord);
  const out = [[shellWord(program), ...args].join(' ')];
  const argv0 = argv[0];
  if (argv0 !== undefined && argv0.length > 0 && posix.basename(argv0) !== posix.basename(program)) out.push([shellWord(argv0), ...args].join(' '));
  return out;
}

interface ExecLine {
  type: 'exec';
  id: number;
  pid: number;
  syscall: 'execve' | 'execveat';
  path?: string;
  cwd?: string;
  dir?: string | null;
  argv?: string[];
  initial?: true;
  error?: string;
  missing?: number;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function parseLine(text: string): { type: 'ready'; landlock: LandlockState } | ExecLine | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if (o.type === 'ready') {
    const l = o.landlock as Record<string, unknown> | undefined;
    if (l === undefined || l === null || typeof l.abi !== 'number' || typeof l.fs !== 'boolean' || typeof l.net !== 'boolean' || typeof l.scoped !== 'boolean' || typeof l.error !== 'string') return null;
    return { type: 'ready', landlock: { abi: l.abi, fs: l.fs, net: l.net, scoped: l.scoped, error: l.error === '' ? null : l.error } };
  }
  if (o.type !== 'exec' || !Number.isSafeInteger(o.id) || !Number.isSafeInteger(o.pid) || (o.syscall !== undefined && o.syscall !== 'execve' && o.syscall !== 'execveat')) return null;
  if (o.error !== undefined) return typeof o.error === 'string' ? (o as unknown as ExecLine) : null;
  if (typeof o.path !== 'string' || typeof o.cwd !== 'string' || !isStringArray(o.argv) || (o.dir !== undefined && o.dir !== null && typeof o.dir !== 'string')) return null;
  if (o.initial !== undefined && o.initial !== true) return null;
  if (o.missing !== undefined && !Number.isSafeInteger(o.missing)) return null;
  return o as unknown as ExecLine;
}

/**
 * Serves the decision channel of one supervised run: reads the supervisor's lines in order,
 * decides each exec with `options.decide`, answers, and keeps the record. Resolves when the
 * channel ends.
 *
 * @example
 * ```ts
 * const served = superviseChannel(channel, { decide: (cmd) => decideAsTool(cmd), decideMissing: (cmd) => policyOnly(cmd), timeoutMs: 10_000, maxExecs: 1024 });
 * // ... the run ends ...
 * const { execs, ready } = await served;
 * ```
 */
export function superviseChannel(stream: Duplex, options: SuperviseChannelOptions): Promise<SupervisedRun> {
  const run: SupervisedRun = { ready: null, execs: [], overLimit: 0, failure: null };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let queue: Promise<void> = Promise.resolve();
  let closed = false;
  const fail = (why: string): void => {
    run.failure ??= why;
    closed = true;
    // invariant: a closed channel makes the supervisor deny every further exec (its reads end).
    stream.destroy();
  };
  const answer = (id: number, allowed: boolean): void => {
    if (!closed) stream.write(`${id} ${allowed ? 'allow' : 'deny'}\n`);
  };
  const decideAll = async (commands: string[]): Promise<Verdict | null> => {
    let last: Verdict | null = null;
    for (const c of commands) {
      last = await options.decide(c);
      if (!last.allowed) return last;
    }
    return last;
  };
  const handle = async (line: ExecLine | { type: 'ready'; landlock: LandlockState }): Promise<void> => {
    if (line.type === 'ready') {
      run.ready = { landlock: line.landlock };
      return;
    }
    const base = { pid: line.pid, syscall: line.syscall ?? 'execve', path: line.path ?? null, argv: line.argv ?? [], cwd: line.cwd ?? null, initial: line.initial === true };
    if (line.error !== undefined) {
      // Denied by the supervisor itself (its arguments could not be read, or were too large).
      run.execs.push({ ...base, command: null, effect: 'deny', reason: `the supervisor could not read the exec (${line.error})`, call: null });
      return;
    }
    const program = execProgram({ path: line.path as string, cwd: line.cwd as string, dir: line.dir ?? null });
    const commands = execCommands(program, line.argv as string[]);
    if (line.missing !== undefined) {
      let d: { allowed: boolean; reason: string };
      try {
        d = commands.reduce<{ allowed: boolean; reason: string }>((acc, c) => (acc.allowed ? options.decideMissing(c) : acc), { allowed: true, reason: '' });
      } catch (e) {
        d = { allowed: false, reason: `the decision failed: ${(e as Error).message}` };
      }
      if (!d.allowed) run.execs.push({ ...base, command: commands.join(' ; '), effect: 'deny', reason: d.reason, call: null, missing: true });
      answer(line.id, d.allowed);
      return;
    }
    if (line.initial === true) {
      run.execs.push({ ...base, command: commands[0] as string, effect: 'allow', reason: 'the sandbox command, decided before the run', call: null });
      return;
    }
    if (run.execs.length >= options.maxExecs) {
      run.overLimit++;
      answer(line.id, false);
      return;
    }
    let verdict: Verdict | null = null;
    let reason: string;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), options.timeoutMs)));
      const v = await Promise.race([decideAll(commands), timeout]);
      if (v === 'timeout') reason = `the decision took longer than ${options.timeoutMs} ms`;
      else {
        verdict = v;
        reason = v?.reason ?? 'no decision';
      }
    } catch (e) {
      reason = `the decision failed: ${(e as Error).message}`;
    } finally {
      clearTimeout(timer);
    }
    const allowed = verdict?.allowed === true;
    run.execs.push({ ...base, command: commands.join(' ; '), effect: allowed ? 'allow' : 'deny', reason, call: verdict?.call ?? null });
    answer(line.id, allowed);
  };
  const onLine = (buf: Buffer): void => {
    let text: string;
    try {
      text = decoder.decode(buf);
    } catch {
      fail('a line from the supervisor is not UTF-8');
      return;
    }
    const line = parseLine(text);
    if (line === null) {
      fail('a malformed line from the supervisor');
      return;
    }
    queue = queue.then(() => (closed && line.type === 'exec' && line.error === undefined && line.initial !== true ? undefined : handle(line)));
  };
  stream.on('data', (chunk: Buffer) => {
    if (closed) return;
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      const part = chunk.subarray(start, i);
      const whole = pendingLen === 0 ? part : Buffer.concat([...pending, part]);
      pending = [];
      pendingLen = 0;
      start = i + 1;
      onLine(whole);
      if (closed) return;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingLen += chunk.length - start;
      if (pendingLen > MAX_LINE) fail('a line from the supervisor is too long');
    }
  });
  stream.on('error', () => undefined);
  return new Promise((resolve) => {
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      closed = true;
      void queue.then(() => resolve(run));
    };
    stream.once('close', end);
    stream.once('end', end);
  });
}
