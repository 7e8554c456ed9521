/**
 * The shell's effects collector: what the shell analyzer's commands do, as {@link Effects}.
 *
 * The analyzer (`shell.ts`) walks the line and hands every command, after wrappers are seen
 * through, to {@link EffectsCollector.program}; the program's model (the `shell-fx-*.ts` tables)
 * reports paths, destinations, code and privilege through the collector, which resolves words
 * against the working directory it tracks (`cd dir && ...`), `~` against the configured home, and
 * records why anything is unknown.
 *
 * Internal to the shell facet; `shellEffects()` in `shell.ts` is the public entry.
 */
import { EffectsBuilder, type Effects, type PathAccess } from './effects.js';
import type { ExecKind } from './effects-types.js';
import type { CommandSink, Stdin } from './shell-programs.js';
import { changeDirectory, normalizeAbsolute, wordPaths, type Cwd, type PathContext } from './shell-paths.js';
import { syntheticWord, type WordFacts } from './shell-words.js';
import { RUNTIME_ARGUMENT, subWord, type FxCall, type FxSink } from './shell-fx-api.js';
import { envUse } from './shell-fx-env.js';
import { modelFor, unknownProgram } from './shell-fx.js';
import { looksLikeHost, schemeDefaultPort } from './effects-urls.js';
import { normalizeHost } from './url-host.js';
import { parseUrlFacts, urlReadings } from './url.js';
import { percentDecode } from './url-decode.js';

// invariant: anchored, one character class and a literal, linear.
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Most candidate working directories tracked at once; past it the directory is unknown. */
const MAX_CWDS = 4;

/** Directories whose programs are the system's own, so a path there is the program its name says. */
const SYSTEM_DIRS = ['/bin/', '/usr/bin/', '/usr/local/bin/', '/sbin/', '/usr/sbin/', '/usr/local/sbin/', '/opt/homebrew/bin/'];

/**
 * The union of working-directory states: unknown if any is, else every candidate (bounded).
 *
 * @example
 * ```ts
 * unionCwd([['/a'], ['/b']]); // ['/a', '/b']
 * ```
 */
export function unionCwd(states: readonly Cwd[]): Cwd {
  const out = new Set<string>();
  for (const s of states) {
    if (s === null) return null;
    for (const d of s) out.add(d);
  }
  return out.size > MAX_CWDS ? null : [...out];
}

interface Frame {
  name: string;
  /** The model (or the fallback) already reported code for this command. */
  exec: boolean;
  /** The program's model reports its own scripts and inline code (the analyzer's marks are not needed). */
  modelled: boolean;
}

/** Modelled programs whose scripts and shells the analyzer's marks still report (a wrapper starting a shell). */
const MARKS_REPORT = new Set(['sudo', 'sudoedit', 'doas', 'su', 'runuser', 'pkexec', 'chroot', 'env', 'genv', 'nohup', 'timeout', 'nice', 'xargs', 'busybox', 'command', 'builtin', 'exec', 'time', 'setsid', 'stdbuf', 'ionice', 'taskset', 'chrt', 'unbuffer', 'watch', 'flock', 'script', 'eval', 'trap', 'alias', 'mapfile', 'readarray', 'hash']);

/**
 * Collects the effects of one command line (and the code nested in it).
 *
 * @example
 * ```ts
 * const fx = new EffectsCollector(['/workspace'], '/home/dev');
 * // the analyzer calls fx.program(...), fx.redirect(...), ...
 * fx.build();
 * ```
 */
export class EffectsCollector implements FxSink {
  readonly #b = new EffectsBuilder();
  cwd: Cwd;
  readonly home: string | null;
  readonly #frames: Frame[] = [];
  /** Inside `chroot`: absolute paths name other files than they say. */
  #chroot = 0;
  /** After a `cd`: the directory if it failed (the analyzer joins it with the success state). */
  cdFailed: Cwd | undefined;
  /** In a pipeline stage: the directories the previous stage printed file names under (for `xargs`). */
  pipeUnder: readonly WordFacts[] | undefined;

  /** Globs expand as the shell's defaults say (nothing on the line may change the options). */
  readonly #plainGlobs: boolean;

  constructor(cwd: Cwd, home: string | null, plainGlobs = false) {
    this.cwd = cwd;
    this.home = home;
    this.#plainGlobs = plainGlobs;
  }

  get #ctx(): PathContext {
    return { cwd: this.cwd, home: this.home, plainGlobs: this.#plainGlobs };
  }

  /** The effects collected. */
  build(): Effects {
    return this.#b.build();
  }

  // ---- called by the analyzer ------------------------------------------------------------

  /**
   * A command about to run (after wrappers): applies its model. Returns the working directory to
   * restore in {@link endProgram} (a wrapper may change it for the command it runs).
   */
  program(name: string, words: readonly WordFacts[], stdin: Stdin, appended: boolean, sink: CommandSink): Cwd | 'keep' {
    const saved = this.cwd;
    const head = words[0] as WordFacts;
    const path = head.value ?? '';
    const model = path.includes('/') && !SYSTEM_DIRS.some((d) => path.startsWith(d) && !path.slice(d.length).includes('/')) ? undefined : modelFor(name);
    this.#frames.push({ name, exec: false, modelled: model !== undefined && !MARKS_REPORT.has(name) });
    let ws = words;
    // xargs appends what it reads to the command, unless it substitutes it (`-I {}`).
    if (appended && !words.some((w) => w.runtime === true)) ws = [...words, this.pipeUnder === undefined ? RUNTIME_ARGUMENT : { ...RUNTIME_ARGUMENT, under: this.pipeUnder }];
    const call: FxCall = { name, words: ws, stdin, appended, fx: this, sink };
    if (name === 'cd' || name === 'pushd' || name === 'popd' || name === 'chdir') {
      this.#chdir(name, ws);
      return this.cwd;
    }
    // `./git` is whatever file that is, not git.
    if (path.includes('/') && model === undefined) this.path('read', head, 'program file');
    if (model === undefined) unknownProgram(call);
    else model(call);
    // A sourced script runs in this shell and may change its directory; eval's code (analysed
    // as it runs) changes it as it says.
    if (name === 'source' || name === '.') return null;
    if (name === 'eval') return 'keep';
    return saved;
  }

  /** The command's handler is done: restores the working directory a wrapper changed. */
  endProgram(saved: Cwd | 'keep'): void {
    this.#frames.pop();
    if (saved !== 'keep') this.cwd = saved;
  }

  /** The analyzer marked a fact: code it cannot see runs. Reported unless the model already did. */
  fact(fact: 'dynamic' | 'runsScript' | 'inlineCode' | 'background', detail = ''): void {
    if (fact === 'background') return;
    const frame = this.#frames[this.#frames.length - 1];
    if (fact !== 'dynamic' && (frame?.exec === true || frame?.modelled === true)) return;
    const program = frame?.name ?? 'sh';
    const why =
      fact === 'dynamic'
        ? 'code or a command that is only known when the line runs'
        : fact === 'runsScript'
          ? 'a shell runs a script the line does not show'
          : 'an interpreter runs program text the line does not show';
    this.exec(program, detail, fact === 'dynamic' ? 'run time' : fact === 'runsScript' ? 'script' : 'inline code', `${program}: ${why}`, false, fact === 'dynamic' ? 'runtime' : fact === 'runsScript' ? 'script' : 'inline');
  }

  /** A command whose name is only known at run time (`$CMD x`). */
  dynamicCommand(words: readonly WordFacts[], sink: CommandSink, stdin: Stdin): void {
    const head = words[0] as WordFacts;
    this.exec(head.text, head.text, 'command name', `the command name ${head.text} is only known when the line runs`, false, 'runtime');
    unknownProgram({ name: head.text, words, stdin, appended: false, fx: this, sink }, true);
  }

  /** One redirection (`>`, `>>`, `<`, `&>`, ...). */
  redirect(op: string, target: WordFacts | undefined): void {
    if (target === undefined || op.startsWith('<<')) return;
    const isDup = op.endsWith('&') && (target.value === '-' || (target.value !== null && /^[0-9]+-?$/.test(target.value)));
    if (isDup) return;
    const known = target.value ?? target.prefix;
    const dev = /^\/dev\/(tcp|udp)\//.exec(known.startsWith('/') ? normalizeAbsolute(known.endsWith('/') ? `${known}x` : known) : known);
    if (dev !== null) {
      this.#devNet(dev[1] as string, target);
      return;
    }
    const reads = op.includes('<');
    const writes = op.includes('>') || op === '<>';
    if (reads) this.path('read', target, op);
    if (writes) this.path('write', target, op);
  }

  /** `NAME=value` before a command (`program`), or alone (`sh`: the commands after it). */
  assignment(word: WordFacts, program: string, sink?: CommandSink): void {
    const known = word.value ?? word.prefix;
    const eq = known.indexOf('=');
    if (eq <= 0) {
      if (word.value === null) this.incomplete(`an assignment only known at run time: ${word.text}`);
      return;
    }
    const name = known.slice(0, eq).replace(/\+$/, '');
    const use = envUse(name);
    if (use === undefined) return;
    const value = subWord(word, eq + 1);
    const via = `${name}=`;
    const code = value.value ?? value.text;
    const target = program === 'sh' ? 'the commands after it' : program;
    switch (use) {
      case 'proxy': {
        // A list (`GOPROXY=https://a,https://b|direct`, `UV_INDEX='a b'`): each entry is a destination.
        if (value.value === null) {
          this.url(value, via, 'http', 80);
          return;
        }
        for (const p of value.value.split(/[\s,|]+/)) if (p !== '' && p !== 'direct' && p !== 'off') this.url(syntheticWord(p), via, 'http', 80);
        return;
      }
      case 'command':
        this.exec(program, code, via, `${target} runs the command in ${name}`, value.value !== null, 'hidden');
        if (value.value !== null && sink !== undefined) sink.code(value.value, 'bash');
        return;
      case 'file':
        this.exec(program, code, via, `${target} loads or runs the file ${name} names`, false, 'hidden');
        this.path('read', value, via);
        return;
      case 'options':
        if (name === 'NODE_OPTIONS' && value.value !== null && harmlessNodeOptions(value.value)) return;
        this.exec(program, code, via, `${name} passes options to ${target}, and options can load code`, false, 'hidden');
        return;
      case 'search':
        this.exec(program, code, via, `which programs or modules ${target} runs depends on ${name}`, false, 'hidden');
        return;
      case 'config':
        this.exec(program, code, via, `${target} reads configuration, which can hold commands, from where ${name} points`, false, 'hidden');
        return;
      case 'write': {
        // git's trace switches: on (stderr), off, or a descriptor number write no file.
        if (name.startsWith('GIT_') && value.value !== null && /^(|[0-9]|true|false|yes|no|on|off)$/i.test(value.value)) return;
        const socket = /^af_unix:(?:stream:|dgram:)?/.exec(value.value ?? '');
        this.path('write', socket === null ? value : subWord(value, socket[0].length), via, name === 'NODE_V8_COVERAGE');
        return;
      }
    }
  }

  // ---- FxSink ----------------------------------------------------------------------------

  path(access: PathAccess, word: WordFacts, via: string, recursive = false): void {
    if (this.#chroot > 0 && (word.value ?? word.prefix).startsWith('/')) {
      this.#b.path(access, { path: word.value ?? word.text, via, known: false, recursive, within: '' });
      this.incomplete(`${via}: an absolute path inside chroot names a file under the new root`);
      return;
    }
    for (const p of wordPaths(word, this.#ctx)) {
      this.#b.path(access, { path: p.path, via, known: p.known, recursive: recursive || p.recursive, within: p.within, ...(p.glob !== undefined ? { glob: p.glob } : {}) });
      if (!p.known) this.incomplete(`${via}: the path ${p.path} is only known when the line runs`);
    }
  }

  pathText(access: PathAccess, text: string, via: string, recursive = false): void {
    this.path(access, { ...syntheticWord(text), tilde: text.startsWith('~') }, via, recursive);
  }

  url(word: WordFacts, via: string, defaultScheme: string, defaultPort: number): void {
    const text = word.value;
    if (text === null) {
      this.unknownHost(word.text, defaultScheme, via);
      return;
    }
    if (/^file:/i.test(text)) {
      try {
        this.pathText('read', percentDecode(new URL(text).pathname), via);
      } catch {
        this.incomplete(`${via}: a file: URL that does not parse: ${text}`);
      }
      return;
    }
    // A backslash before "@": WHATWG ends the authority at the backslash, curl, git and Python
    // read userinfo up to the "@" (`https://allowed.com\@evil.com`). Both readings are destinations.
    if (text.includes('\\') && text.includes('@')) {
      const readings = urlReadings(text);
      if (readings.length > 1) {
        for (const f of readings) {
          const scheme = f.scheme === '' ? defaultScheme : f.scheme;
          if (f.host === '') this.unknownHost(text, defaultScheme, via);
          else this.#b.network({ host: f.host, port: f.port !== 0 ? f.port : schemeDefaultPort(scheme) || defaultPort, scheme, via, known: true });
        }
        return;
      }
    }
    // The WHATWG parser (what curl-like programs follow) gives host and port directly; the URL
    // facet's parse (address classes, registrable domain) is only needed when it refuses.
    const explicit = SCHEME.exec(text);
    if (explicit !== null || (defaultScheme !== '' && !text.includes('@'))) {
      try {
        const u = new URL(explicit !== null ? text : `${defaultScheme}://${text}`);
        const host = normalizeHost(u.hostname);
        if (host !== '') {
          const scheme = u.protocol.slice(0, -1).toLowerCase();
          const port = u.port !== '' ? Number(u.port) : schemeDefaultPort(scheme) || defaultPort;
          this.#b.network({ host, port, scheme, via, known: true });
          return;
        }
      } catch {
        // fall through to the URL facet's reading
      }
    }
    const f = parseUrlFacts(text);
    if (f === null || f.host === '') {
      this.unknownHost(text, defaultScheme, via);
      return;
    }
    const scheme = f.scheme === '' ? defaultScheme : f.scheme;
    const port = f.port !== 0 ? f.port : schemeDefaultPort(scheme) || defaultPort;
    this.#b.network({ host: f.host, port, scheme, via, known: true });
  }

  host(host: WordFacts | string, port: number, scheme: string, via: string): void {
    const text = typeof host === 'string' ? host : host.value;
    if (text === null) {
      this.unknownHost((host as WordFacts).text, scheme, via);
      return;
    }
    const h = normalizeHost(text.startsWith('[') ? text : text.includes(':') ? `[${text}]` : text);
    if (h === '') {
      this.unknownHost(text, scheme, via);
      return;
    }
    this.#b.network({ host: h, port, scheme, via, known: true });
  }

  unknownHost(text: string, scheme: string, via: string): void {
    this.#b.network({ host: text, port: 0, scheme, via, known: false });
    this.incomplete(`${via}: the destination ${text} is only known when the command runs`);
  }

  exec(program: string, code: string, via: string, reason: string, known: boolean, kind: ExecKind): void {
    const frame = this.#frames[this.#frames.length - 1];
    if (frame !== undefined) frame.exec = true;
    this.#b.exec({ program, code, via, reason, known, kind });
    if (!known) this.incomplete(reason);
  }

  privilege(kind: string, via: string, reason: string): void {
    this.#b.privilege({ kind, via, reason });
  }

  incomplete(reason: string): void {
    this.#b.incomplete(reason);
  }

  inDirectory(dir: WordFacts | null, fn: () => void): void {
    const saved = this.cwd;
    this.cwd = dir === null ? null : changeDirectory(dir, this.#ctx);
    try {
      fn();
    } finally {
      this.cwd = saved;
    }
  }

  /** For a wrapper: the command it runs starts in `dir` (restored by {@link endProgram}). */
  wrappedIn(dir: WordFacts | null): void {
    this.cwd = dir === null ? null : changeDirectory(dir, this.#ctx);
  }

  /** For `chroot`: absolute paths of the wrapped command are unknown until {@link leaveChroot}. */
  enterChroot(): void {
    this.#chroot++;
  }

  leaveChroot(): void {
    this.#chroot--;
  }

  unknownArguments(call: FxCall, from: number, via: string): void {
    for (let i = from; i < call.words.length; i++) {
      const w = call.words[i] as WordFacts;
      let arg = w;
      if (w.value !== null && w.value.startsWith('-')) {
        const eq = w.value.indexOf('=');
        if (eq <= 0) continue;
        arg = subWord(w, eq + 1);
      }
      const v = arg.value;
      if (v === null) {
        for (const access of ['read', 'write', 'delete'] as const) this.path(access, arg, via, true);
        continue;
      }
      if (v.includes('://')) {
        this.url(arg, via, '', 0);
        continue;
      }
      const remote = /^(?:[^@/:\s]+@)?([^@/:\s]+):(?!\/\/)/.exec(v);
      if (remote !== null && !v.startsWith('/') && looksLikeHost(remote[1] as string)) this.host(remote[1] as string, 22, 'ssh', via);
      else if (looksLikeHost(v.split('/')[0] as string)) this.url(arg, via, '', 0);
      if (isPathLike(v)) for (const access of ['read', 'write', 'delete'] as const) this.path(access, arg, via, true);
    }
  }

  // ---- internals -------------------------------------------------------------------------

  #chdir(name: string, words: readonly WordFacts[]): void {
    this.cdFailed = this.cwd;
    if (name === 'popd') {
      this.cwd = null;
      return;
    }
    let i = 1;
    while (i < words.length && /^-[LPe@]+$/.test(words[i]?.value ?? '')) i++;
    if (words[i]?.value === '--') i++;
    const target = words[i];
    if (target !== undefined && target.value === null && !target.singleField) {
      this.cwd = null;
      return;
    }
    this.cwd = changeDirectory(target, this.#ctx);
  }

  #devNet(proto: string, target: WordFacts): void {
    const via = `/dev/${proto}`;
    const v = target.value;
    const m = v === null ? null : /^\/dev\/(?:tcp|udp)\/([^/]+)\/([^/]+)$/.exec(normalizeAbsolute(v));
    // invariant: bash opens /dev/tcp itself only when the name is spelled exactly; a normalized
    // spelling is still reported as the connection it may be.
    if (m === null) {
      this.unknownHost(target.text, proto, via);
      return;
    }
    const port = /^[0-9]{1,5}$/.test(m[2] as string) ? Number(m[2]) : 0;
    this.host(m[1] as string, port, proto, via);
  }
}

/**
 * A value that could name a file: a path with a separator, a dot-name, `~`, or a name with an extension.
 *
 * @example
 * ```ts
 * isPathLike('src/a.ts'); // true
 * isPathLike('--all');    // false for option words; callers skip them first
 * ```
 */
export function isPathLike(v: string): boolean {
  if (v === '' || v === '-') return false;
  return v.includes('/') || v.startsWith('.') || v.startsWith('~') || /\.[A-Za-z0-9_]{1,10}$/.test(v);
}

// NODE_OPTIONS values that only tune the runtime (no code is loaded): anything else counts.
const HARMLESS_NODE_OPTIONS = /^--(max-old-space-size|max-semi-space-size|stack-size|stack-trace-limit|unhandled-rejections|dns-result-order|tls-min-v1\.[0-3]|tls-max-v1\.[23]|max-http-header-size|title)=[A-Za-z0-9._-]+$|^--(enable-source-maps|no-warnings|trace-warnings|no-deprecation|trace-deprecation|throw-deprecation|openssl-legacy-provider|use-openssl-ca|use-bundled-ca|experimental-vm-modules|no-experimental-fetch|trace-uncaught|abort-on-uncaught-exception|preserve-symlinks|preserve-symlinks-main|expose-gc|heapsnapshot-near-heap-limit=[0-9]+)$/;

function harmlessNodeOptions(value: string): boolean {
  const tokens = value.split(/\s+/).filter((t) => t !== '');
  return tokens.every((t) => HARMLESS_NODE_OPTIONS.test(t));
}
