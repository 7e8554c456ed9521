/**
 * What the shell facet knows about particular programs: wrappers that run another command
 * (`sudo`, `env`, `timeout`, `xargs`, ...), shells that run code from a string, a file or stdin,
 * builtins that run strings as code (`eval`, `trap`, `alias`), and language interpreters given
 * inline code. Each handler reads the program's real option grammar; an option it does not know
 * makes the whole input unparsed rather than a guess at which word is the command.
 *
 * Internal to `facets/shell.ts`; not part of the public surface.
 */
import { hasOption, longOptions, optionValue, parseOptions, type OptionSpec, type ParsedOptions } from './shell-options.js';
import { syntheticWord, type WordFacts } from './shell-words.js';

/** What the command reads on stdin, as far as the facet can see. */
export type Stdin = { readonly kind: 'text'; readonly text: string | null } | { readonly kind: 'other' };

/** Facts a program handler can raise. */
export type ProgramFact = 'dynamic' | 'runsScript' | 'inlineCode' | 'background';

/** Shell dialect nested code is parsed as. */
export type Dialect = 'bash' | 'zsh';

/** The analyzer, as the program handlers see it. */
export interface CommandSink {
  /** Analyzes a command that a wrapper runs (recorded and dispatched like any other). */
  run(words: readonly WordFacts[], stdin: Stdin, appended: boolean): void;
  /**
   * Analyzes a string the shell will run as code; `null` means the string is not static.
   * `sameShell`: the code runs in this shell (`eval`), so a `cd` in it carries over.
   */
  code(source: string | null, dialect: Dialect, sameShell?: boolean): void;
  /** Runs `fn` with the working directory changed to `dir` (null: unknown), for the effects. */
  withCwd(dir: WordFacts | null, fn: () => void): void;
  mark(fact: ProgramFact): void;
  /** Stops the analysis: the input is reported unparsed with this message. */
  fail(message: string): never;
  readonly dialect: Dialect;
}

interface Call {
  readonly name: string;
  readonly words: readonly WordFacts[];
  readonly stdin: Stdin;
  /** Extra arguments arrive at run time (`xargs`), so a missing operand is not "absent". */
  readonly appended: boolean;
  readonly sink: CommandSink;
}

type Handler = (call: Call) => void;

// Variables whose value the shell or the loader later runs as code, or loads code from.
const CODE_VARIABLES = new Set([
  'BASH_ENV',
  'ENV',
  'PS0',
  'PS1',
  'PS2',
  'PS3',
  'PS4',
  'PROMPT_COMMAND',
  'SHELLOPTS',
  'BASHOPTS',
  'LD_PRELOAD',
  'LD_AUDIT',
  'DYLD_INSERT_LIBRARIES',
]);

/**
 * True when assigning `name` lets a later program run code taken from its value.
 *
 * @example
 * ```ts
 * isCodeVariable('BASH_ENV'); // true
 * isCodeVariable('HOME');     // false
 * ```
 */
export function isCodeVariable(name: string): boolean {
  return CODE_VARIABLES.has(name) || name.startsWith('BASH_FUNC_');
}

function read(call: Call, start: number, spec: OptionSpec): Extract<ParsedOptions, { kind: 'ok' }> | undefined {
  const parsed = parseOptions(call.words, start, spec, call.name);
  if (parsed.kind === 'error') call.sink.fail(parsed.message);
  if (parsed.kind === 'dynamic') {
    call.sink.mark('dynamic');
    return undefined;
  }
  return parsed;
}

/** Runs `words[index..]` as the wrapped command. */
function wrap(call: Call, index: number, words: readonly WordFacts[] = call.words): void {
  if (index >= words.length) {
    // The command would come from the appended run-time arguments.
    if (call.appended) call.sink.mark('dynamic');
    return;
  }
  call.sink.run(words.slice(index), call.stdin, call.appended);
}

/** Skips `NAME=value` words (env, sudo); returns the next index, or undefined when unknowable. */
function skipAssignments(call: Call, start: number): number | undefined {
  let i = start;
  for (; i < call.words.length; i++) {
    const w = call.words[i] as WordFacts;
    const known = w.value ?? w.prefix;
    const eq = known.indexOf('=');
    if (eq === -1 && w.value !== null) break;
    // A run-time word might lack `=` (so be the command) or split into more words: unknowable.
    if (eq === -1 || !w.singleField) {
      call.sink.mark('dynamic');
      return undefined;
    }
    if (isCodeVariable(known.slice(0, eq))) call.sink.mark('dynamic');
  }
  return i;
}

// ---------------------------------------------------------------------------------------------
// Wrappers

const ENV_SPEC: OptionSpec = {
  flags: 'i0v',
  values: 'uCSa',
  dashKey: 'i',
  long: longOptions(
    'ignore-environment:i',
    'null:0',
    'unset=u',
    'chdir=C',
    'split-string=S',
    'argv0=a',
    'block-signal?=',
    'default-signal?=',
    'ignore-signal?=',
    'list-signal-handling',
    'debug:v',
    'help',
    'version',
  ),
};

/** Most times `env -S` may nest (`env -S 'env -S ...'`). */
const MAX_SPLIT_DEPTH = 4;

/**
 * GNU `env -S` splitting: whitespace separates, `'...'` and `"..."` quote, `\_` is a space
 * inside double quotes and a separator outside, `\c` ends the string, `#` starting a word starts
 * a comment, `${VAR}` expands (so that piece is not static). Returns null for what env rejects.
 */
function splitEnvString(text: string): WordFacts[] | null {
  const out: WordFacts[] = [];
  let cur = '';
  let started = false;
  let dynamic = false;
  let i = 0;
  const push = (): void => {
    if (started) out.push(dynamic ? { ...syntheticWord(null, cur), singleField: true } : syntheticWord(cur));
    cur = '';
    started = false;
    dynamic = false;
  };
  const ESC: Record<string, string> = { f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '#': '#', $: '$', '"': '"', "'": "'", '\\': '\\' };
  let quote: '' | "'" | '"' = '';
  for (; i < text.length; i++) {
    const c = text[i] as string;
    if (quote === "'") {
      if (c === "'") quote = '';
      else if (c === '\\' && (text[i + 1] === "'" || text[i + 1] === '\\')) cur += text[++i];
      else cur += c;
      continue;
    }
    if (c === '\\') {
      const n = text[i + 1];
      if (n === undefined) return null;
      i++;
      if (n === 'c') {
        if (quote !== '') return null;
        break;
      }
      if (n === '_') {
        if (quote === '"') cur += ' ';
        else push();
        continue;
      }
      const e = ESC[n];
      if (e === undefined) return null;
      cur += e;
      started = true;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = '';
      else if (c === '$') {
        if (text[i + 1] !== '{') return null;
        const close = text.indexOf('}', i);
        if (close === -1) return null;
        cur += text.slice(i, close + 1);
        dynamic = true;
        i = close;
      } else cur += c;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\f' || c === '\v' || c === '\r') {
      push();
      continue;
    }
    if (c === '#' && !started) break;
    started = true;
    if (c === "'" || c === '"') quote = c;
    else if (c === '$') {
      if (text[i + 1] !== '{') return null;
      const close = text.indexOf('}', i);
      if (close === -1) return null;
      cur += text.slice(i, close + 1);
      dynamic = true;
      i = close;
    } else cur += c;
  }
  if (quote !== '') return null;
  push();
  return out;
}

/** The words with an `env -S string` replaced by what it splits into; null when it cannot be split. */
function expandSplitString(call: Call): WordFacts[] | null | undefined {
  for (let i = 1; i < call.words.length; i++) {
    const v = call.words[i]?.value;
    if (v === null || v === undefined || !v.startsWith('-') || v === '--') return undefined;
    let text: string | null | undefined;
    let used = 1;
    if (v === '-S' || v === '--split-string' || v === '--split-strin' || v === '--split-s') {
      text = call.words[i + 1]?.value;
      used = 2;
    } else if (v.startsWith('-S')) text = v.slice(2);
    else if (v.startsWith('--split-string=')) text = v.slice('--split-string='.length);
    else if (!v.startsWith('--') && v.includes('S')) return null;
    else continue;
    if (text === undefined || text === null) return null;
    const split = splitEnvString(text);
    if (split === null) return null;
    return [...call.words.slice(0, i), ...split, ...call.words.slice(i + used)];
  }
  return undefined;
}

/** The word of the last `-C dir` / `--chdir=dir` among `words[1..end)`, or null when not static. */
function chdirWord(words: readonly WordFacts[], end: number, letter: string, long: string): WordFacts | null {
  let found: WordFacts | null = null;
  for (let i = 1; i < end; i++) {
    const v = words[i]?.value;
    if (v === null || v === undefined || !v.startsWith('-')) continue;
    if (v.startsWith('--')) {
      const eq = v.indexOf('=');
      if (!long.startsWith(eq === -1 ? v : v.slice(0, eq)) || v.length < 4) continue;
      found = eq === -1 ? (words[++i] ?? null) : syntheticWord(v.slice(eq + 1));
    } else {
      const at = v.indexOf(letter);
      if (at === -1) continue;
      found = at === v.length - 1 ? (words[++i] ?? null) : syntheticWord(v.slice(at + 1));
    }
  }
  return found;
}

function env(call: Call, depth = 0): void {
  const parsed = read(call, 1, ENV_SPEC);
  if (parsed === undefined) return;
  if (hasOption(parsed.options, 'S')) {
    const words = depth < MAX_SPLIT_DEPTH ? expandSplitString(call) : null;
    if (words === null || words === undefined) call.sink.fail('env -S splits its argument with its own quoting rules; this one is not resolved');
    env({ ...call, words }, depth + 1);
    return;
  }
  if (hasOption(parsed.options, 'help', 'version')) return;
  const next = skipAssignments(call, parsed.next);
  if (next === undefined) return;
  if (hasOption(parsed.options, 'C')) {
    // `env -C dir cmd` runs cmd in dir.
    call.sink.withCwd(chdirWord(call.words, parsed.next, 'C', '--chdir'), () => wrap(call, next));
    return;
  }
  wrap(call, next);
}

const SUDO_SPEC: OptionSpec = {
  flags: 'AbBEeHiKklnNPSsVv',
  values: 'aCcDgpRrTtUu',
  optionalValues: 'h',
  long: longOptions(
    'askpass:A',
    'background:b',
    'bell:B',
    'close-from=C',
    'chdir=D',
    'preserve-env?=E',
    'edit:e',
    'group=g',
    'set-home:H',
    'help:h',
    'host=host',
    'login:i',
    'remove-timestamp:K',
    'reset-timestamp:k',
    'list:l',
    'non-interactive:n',
    'no-update:N',
    'preserve-groups:P',
    'prompt=p',
    'chroot=R',
    'role=r',
    'stdin:S',
    'shell:s',
    'type=t',
    'command-timeout=T',
    'other-user=U',
    'user=u',
    'auth-type=a',
    'login-class=c',
    'version:V',
    'validate:v',
  ),
};

function sudo(call: Call): void {
  const parsed = read(call, 1, SUDO_SPEC);
  if (parsed === undefined) return;
  const o = parsed.options;
  // Edit, list, validate, version and help modes run no command (`-h` alone is help).
  if (hasOption(o, 'e', 'l', 'v', 'V', 'K')) return;
  if (o.some((x) => x.key === 'h' && x.value === undefined)) return;
  if (hasOption(o, 'b')) call.sink.mark('background');
  const next = skipAssignments(call, parsed.next);
  if (next === undefined) return;
  if (next >= call.words.length && hasOption(o, 's', 'i')) {
    call.sink.mark('runsScript');
    return;
  }
  if (hasOption(o, 'D')) {
    call.sink.withCwd(chdirWord(call.words, parsed.next, 'D', '--chdir'), () => wrap(call, next));
    return;
  }
  wrap(call, next);
}

const DOAS_SPEC: OptionSpec = { flags: 'Lns', values: 'aCu', long: [] };

function doas(call: Call): void {
  const parsed = read(call, 1, DOAS_SPEC);
  if (parsed === undefined) return;
  if (hasOption(parsed.options, 'C', 'L')) return;
  if (parsed.next >= call.words.length && hasOption(parsed.options, 's')) {
    call.sink.mark('runsScript');
    return;
  }
  wrap(call, parsed.next);
}

/** A wrapper whose options come first, then `operands` fixed words, then the command. */
function simpleWrapper(spec: OptionSpec, operands = 0, noCommand: readonly string[] = ['help', 'version']): Handler {
  return (call) => {
    const parsed = read(call, 1, spec);
    if (parsed === undefined) return;
    if (hasOption(parsed.options, ...noCommand)) return;
    const start = parsed.next + operands;
    for (let i = parsed.next; i < Math.min(start, call.words.length); i++) {
      // A run-time operand could split into several words and shift the command.
      if (!(call.words[i] as WordFacts).singleField) {
        call.sink.mark('dynamic');
        return;
      }
    }
    wrap(call, start);
  };
}

const HELP_VERSION = longOptions('help', 'version');

const nohup = simpleWrapper({ flags: '', values: '', long: HELP_VERSION });

const pkexec = simpleWrapper({ flags: '', values: '', long: longOptions('user=u', 'disable-internal-agent', 'keep-cwd', 'help', 'version') });

const timeout = simpleWrapper(
  {
    flags: 'fpv',
    values: 'ks',
    long: longOptions('kill-after=k', 'signal=s', 'foreground:f', 'preserve-status:p', 'verbose:v', 'help', 'version'),
  },
  1,
);

const nice = simpleWrapper({ flags: '', values: 'n', numeric: true, long: longOptions('adjustment=n', 'help', 'version') });

const commandBuiltin = simpleWrapper({ flags: 'pvV', values: '', long: [] }, 0, ['v', 'V']);

const builtinBuiltin = simpleWrapper({ flags: '', values: '', long: [] });

const execBuiltin = simpleWrapper({ flags: 'cl', values: 'a', long: [] });

const timeProgram = simpleWrapper({
  flags: 'apqvV',
  values: 'fo',
  long: longOptions('format=f', 'output=o', 'append:a', 'verbose:v', 'portability:p', 'quiet:q', 'help', 'version'),
});

const setsid = simpleWrapper({ flags: 'cfwhV', values: '', long: longOptions('ctty:c', 'fork:f', 'wait:w', 'help:h', 'version:V') }, 0, ['h', 'V']);

const stdbuf = simpleWrapper({ flags: '', values: 'ioe', long: longOptions('input=i', 'output=o', 'error=e', 'help', 'version') });

const ionice = simpleWrapper(
  {
    flags: 'thV',
    values: 'cnpPu',
    long: longOptions('class=c', 'classdata=n', 'ignore:t', 'pid=p', 'pgid=P', 'uid=u', 'help:h', 'version:V'),
  },
  0,
  ['p', 'P', 'u', 'h', 'V'],
);

const taskset = simpleWrapper(
  { flags: 'acphV', values: '', long: longOptions('all-tasks:a', 'cpu-list:c', 'pid:p', 'help:h', 'version:V') },
  1,
  ['p', 'h', 'V'],
);

const chrt = simpleWrapper(
  {
    flags: 'abdefiormRpvhV',
    values: 'TPD',
    long: longOptions(
      'all-tasks:a',
      'batch:b',
      'deadline:d',
      'ext:e',
      'fifo:f',
      'idle:i',
      'other:o',
      'rr:r',
      'reset-on-fork:R',
      'sched-runtime=T',
      'sched-period=P',
      'sched-deadline=D',
      'pid:p',
      'max:m',
      'verbose:v',
      'help:h',
      'version:V',
    ),
  },
  1,
  ['p', 'm', 'h', 'V'],
);

const unbuffer = simpleWrapper({ flags: 'p', values: '', long: [] }, 0, []);

const CHROOT_SPEC: OptionSpec = { flags: '', values: '', long: longOptions('groups=', 'userspec=', 'skip-chdir', 'help', 'version') };

function chroot(call: Call): void {
  const parsed = read(call, 1, CHROOT_SPEC);
  if (parsed === undefined || hasOption(parsed.options, 'help', 'version')) return;
  const root = call.words[parsed.next];
  if (root !== undefined && !root.singleField) {
    call.sink.mark('dynamic');
    return;
  }
  // With no command, chroot starts an interactive shell reading stdin.
  if (parsed.next + 1 >= call.words.length && !call.appended) call.sink.mark('runsScript');
  else wrap(call, parsed.next + 1);
}

const XARGS_SPEC: OptionSpec = {
  flags: '0oprtx',
  values: 'aEdILnPs',
  optionalValues: 'eil',
  long: longOptions(
    'null:0',
    'arg-file=a',
    'delimiter=d',
    'eof?=e',
    'replace?=i',
    'max-lines?=l',
    'max-args=n',
    'max-procs=P',
    'interactive:p',
    'no-run-if-empty:r',
    'max-chars=s',
    'verbose:t',
    'exit:x',
    'open-tty:o',
    'process-slot-var=',
    'show-limits',
    'help',
    'version',
  ),
};

/** Words containing a run-time replacement string (`{}`) are not static. */
function replaced(words: readonly WordFacts[], token: string, under?: readonly WordFacts[], name?: string): WordFacts[] {
  return words.map((w) => {
    if (w.value === null || !w.value.includes(token)) return w;
    const out: WordFacts = { ...w, value: null, prefix: w.value.slice(0, w.value.indexOf(token)), pattern: null, runtime: true };
    if (under === undefined || w.value !== token) return out;
    // `find S -name .env -exec cat {} +`: every file it names is a `.env` under S, so the word is
    // the glob S/**/.env (a start point with a glob or a variable stays "anything under it").
    const start = under.length === 1 ? under[0] : undefined;
    if (name !== undefined && start !== undefined && start.value !== null && !/[*?[\]{}]/.test(start.value)) {
      const base = start.value.replace(/\/+$/, '');
      const text = `${base === '' ? '' : base}/**/${name}`;
      return { ...out, text, prefix: '', tilde: start.tilde, pattern: text };
    }
    return { ...out, under };
  });
}

/**
 * The file name every file a `find` expression selects must have: the value of its one `-name`
 * when the expression is a plain conjunction (no `-o`, `!`, `-not` or `,`) and the name is literal
 * text. Undefined otherwise (the files are then anything under the start points).
 */
function literalName(words: readonly WordFacts[]): string | undefined {
  let name: string | undefined;
  for (let i = 1; i < words.length; i++) {
    const v = words[i]?.value;
    if (v === null || v === undefined) return undefined;
    if (v === '-exec' || v === '-execdir' || v === '-ok' || v === '-okdir') {
      while (i + 1 < words.length && words[i + 1]?.value !== ';' && words[i + 1]?.value !== '+') i++;
      i++;
      continue;
    }
    if (v === '-o' || v === '-or' || v === '!' || v === '-not' || v === ',') return undefined;
    if (v === '-name' && name === undefined) {
      const n = words[i + 1]?.value;
      if (n === null || n === undefined || n === '' || /[*?[\]\\/]/.test(n)) return undefined;
      name = n;
      i++;
    }
  }
  return name;
}

function xargs(call: Call): void {
  const parsed = read(call, 1, XARGS_SPEC);
  if (parsed === undefined || hasOption(parsed.options, 'help', 'version', 'show-limits')) return;
  let words = call.words;
  let token: string | null | undefined = optionValue(parsed.options, 'I');
  if (token === undefined && hasOption(parsed.options, 'i')) token = optionValue(parsed.options, 'i') ?? '{}';
  if (token === null) {
    call.sink.mark('dynamic');
    return;
  }
  if (token !== undefined && token !== '') words = replaced(words, token);
  const rest = parsed.next < words.length ? words.slice(parsed.next) : [syntheticWord('echo')];
  // Arguments read from stdin are appended to (or substituted into) the command at run time;
  // xargs consumes stdin itself, so the command does not read it as a script.
  call.sink.run(rest, { kind: 'other' }, true);
}

function busybox(call: Call): void {
  const applet = call.words[1];
  if (applet === undefined) return;
  if (applet.value === null) {
    call.sink.mark('dynamic');
    return;
  }
  if (applet.value.startsWith('-')) {
    if (['--list', '--list-full', '--install', '--help', '--show'].includes(applet.value)) return;
    call.sink.fail(`busybox: unrecognized option '${applet.value}'`);
  }
  wrap(call, 1);
}

const FIND_ACTIONS = new Set(['-exec', '-execdir', '-ok', '-okdir']);

/**
 * Where `find` starts: the words after its leading options (`-H`, `-L`, `-P`, `-D x`, `-O n`)
 * up to the first expression word; `.` when none.
 *
 * @example
 * ```ts
 * findStartPoints(words); // { starts: [word('src')], next: 2 }
 * ```
 */
export function findStartPoints(words: readonly WordFacts[]): { starts: WordFacts[]; next: number } {
  let i = 1;
  while (i < words.length) {
    const v = words[i]?.value;
    if (v === '-H' || v === '-L' || v === '-P') i++;
    else if (v === '-D' || v === '-O' || (v !== undefined && v !== null && /^-O[0-9]$/.test(v))) i += v.length > 2 ? 1 : 2;
    else break;
  }
  const starts: WordFacts[] = [];
  for (; i < words.length; i++) {
    const w = words[i] as WordFacts;
    const v = w.value ?? w.prefix;
    if (v.startsWith('-') || v === '(' || v === '!' || v === ',') break;
    starts.push(w);
  }
  return { starts: starts.length > 0 ? starts : [syntheticWord('.')], next: i };
}

function find(call: Call): void {
  const words = call.words;
  const { starts } = findStartPoints(words);
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as WordFacts;
    if (w.value === null) {
      // An unquoted expansion could become `-exec ...` at run time.
      if (!w.singleField) {
        call.sink.mark('dynamic');
        return;
      }
      continue;
    }
    if (!FIND_ACTIONS.has(w.value)) continue;
    let end = i + 1;
    while (end < words.length && words[end]?.value !== ';' && words[end]?.value !== '+') end++;
    // find substitutes each file name for `{}`, even inside a larger argument; alone, it is some
    // file under the start points.
    const command = replaced(words.slice(i + 1, end), '{}', starts, literalName(words));
    // -execdir runs the command in each file's directory.
    if (w.value === '-execdir' || w.value === '-okdir') call.sink.withCwd(null, () => call.sink.run(command, call.stdin, false));
    else call.sink.run(command, call.stdin, false);
    i = end;
  }
}

const WATCH_SPEC: OptionSpec = {
  flags: 'bcCegprtwxhv',
  values: 'nqs',
  optionalValues: 'd',
  long: longOptions(
    'beep:b',
    'color:c',
    'no-color:C',
    'differences?=d',
    'errexit:e',
    'chgexit:g',
    'interval=n',
    'precise:p',
    'equexit=q',
    'no-rerun:r',
    'shotsdir=s',
    'no-title:t',
    'no-wrap:w',
    'exec:x',
    'help:h',
    'version:v',
  ),
};

function watch(call: Call): void {
  const parsed = read(call, 1, WATCH_SPEC);
  if (parsed === undefined || hasOption(parsed.options, 'h', 'v')) return;
  if (hasOption(parsed.options, 'x')) {
    wrap(call, parsed.next);
    return;
  }
  // Without --exec, watch joins its arguments and hands them to `sh -c`.
  callCode(call, call.words.slice(parsed.next), 'bash');
}

const FLOCK_SPEC: OptionSpec = {
  flags: 'sexnuoFhV',
  values: 'wEc',
  long: longOptions(
    'shared:s',
    'exclusive:x',
    'unlock:u',
    'nonblock:n',
    'close:o',
    'no-fork:F',
    'timeout=w',
    'conflict-exit-code=E',
    'command=c',
    'verbose',
    'help:h',
    'version:V',
  ),
};

function flock(call: Call): void {
  const parsed = read(call, 1, FLOCK_SPEC);
  if (parsed === undefined || hasOption(parsed.options, 'h', 'V')) return;
  const code = optionValue(parsed.options, 'c');
  if (code !== undefined) {
    call.sink.code(code, 'bash');
    return;
  }
  const after = call.words[parsed.next + 1];
  if (after?.value === '-c' || after?.value === '--command') {
    const text = call.words[parsed.next + 2];
    if (text !== undefined) call.sink.code(text.value, 'bash');
    return;
  }
  if (after !== undefined && after.value === null && !after.singleField) {
    call.sink.mark('dynamic');
    return;
  }
  wrap(call, parsed.next + 1);
}

const SU_SPEC: OptionSpec = {
  flags: 'lmpfPhV',
  values: 'cgGswu',
  dashKey: 'l',
  permute: true,
  long: longOptions(
    'login:l',
    'preserve-environment:p',
    'shell=s',
    'command=c',
    'session-command=c',
    'group=g',
    'supp-group=G',
    'fast:f',
    'pty:P',
    'whitelist-environment=w',
    'user=u',
    'help:h',
    'version:V',
  ),
};

/** `su` and `runuser`: `-c` runs a string through the target user's shell. */
function su(call: Call): void {
  const parsed = read(call, 1, SU_SPEC);
  if (parsed === undefined || hasOption(parsed.options, 'h', 'V')) return;
  const code = optionValue(parsed.options, 'c');
  if (code !== undefined) {
    call.sink.code(code, 'bash');
    return;
  }
  if (call.name === 'runuser' && hasOption(parsed.options, 'u')) {
    const words = parsed.operands.map((i) => call.words[i] as WordFacts);
    wrap(call, 0, words);
    return;
  }
  // Without -c, su starts the user's shell, which reads commands from stdin.
  call.sink.mark('runsScript');
}

/**
 * Values of options that carry a command line, wherever they appear: `-c cmd`, `-qc cmd`,
 * `--command=cmd`, `--command cmd`. A run-time value is reported as `null`.
 */
function codeOptions(words: readonly WordFacts[], letters: string, longs: readonly string[]): (string | null)[] {
  const found: (string | null)[] = [];
  for (let i = 1; i < words.length; i++) {
    const v = words[i]?.value;
    if (v === null || v === undefined || !v.startsWith('-')) continue;
    if (v.startsWith('--')) {
      const eq = v.indexOf('=');
      const name = eq === -1 ? v : v.slice(0, eq);
      if (!longs.includes(name)) continue;
      if (eq !== -1) found.push(v.slice(eq + 1));
      else found.push(words[++i]?.value ?? null);
    } else if (letters.includes(v[v.length - 1] as string)) {
      found.push(words[++i]?.value ?? null);
    }
  }
  return found;
}

/** netcat variants: `-e prog` / `--exec` run a program, `-c` / `--sh-exec` run a string through sh. */
function netcat(call: Call): void {
  for (const code of codeOptions(call.words, 'ec', ['--exec', '--sh-exec', '--lua-exec'])) call.sink.code(code, 'bash');
}

/** `script -c cmd` runs the command through the shell while recording the session. */
function scriptProgram(call: Call): void {
  for (const code of codeOptions(call.words, 'c', ['--command'])) call.sink.code(code, 'bash');
}

/** socat `EXEC:cmd` and `SYSTEM:cmd` addresses run commands (options follow after a comma). */
function socat(call: Call): void {
  for (const w of call.words.slice(1)) {
    const known = w.value ?? w.prefix;
    const colon = known.indexOf(':');
    const kind = colon === -1 ? '' : known.slice(0, colon).toUpperCase();
    if (kind !== 'EXEC' && kind !== 'SYSTEM') continue;
    if (w.value === null) {
      call.sink.code(null, 'bash');
      continue;
    }
    const rest = w.value.slice(colon + 1);
    const comma = rest.indexOf(',');
    call.sink.code(comma === -1 ? rest : rest.slice(0, comma), 'bash');
  }
}

// ---------------------------------------------------------------------------------------------
// Shells

/** Shells whose code a bash parser reads (`zsh` with its own checks). */
export const POSIX_SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'rbash', 'dash', 'ash', 'hush', 'ksh', 'mksh', 'lksh', 'pdksh', 'oksh', 'loksh', 'yash', 'posh', 'zsh']);

/** Shells whose syntax is not bash's: their code cannot be analysed with a bash parser. */
export const FOREIGN_SHELLS: ReadonlySet<string> = new Set(['fish', 'csh', 'tcsh', 'pwsh', 'powershell', 'nu', 'elvish', 'xonsh', 'osh', 'ysh', 'cmd.exe']);

/** Script paths that are really stdin, so a here-string fed to them is the script. */
export const STDIN_PATHS: ReadonlySet<string> = new Set(['/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);

const BASH_LONG_VALUE = new Set(['--rcfile', '--init-file']);
const BASH_LONG_FLAGS = new Set([
  '--login',
  '--norc',
  '--noprofile',
  '--posix',
  '--restricted',
  '--verbose',
  '--version',
  '--help',
  '--debugger',
  '--dump-strings',
  '--dump-po-strings',
  '--noediting',
  '--pretty-print',
]);

/**
 * How a POSIX shell was invoked: `-c` given, the index of its first operand (the `-c` string or
 * the script), `-s` given; `dynamic` when a run-time word hides the options; `error` for an
 * unknown long option.
 *
 * @example
 * ```ts
 * shellInvocation('bash', words); // { hasC: true, operand: 2, fromStdin: false }
 * ```
 */
export function shellInvocation(name: string, words: readonly WordFacts[]): { hasC: boolean; operand: number; fromStdin: boolean; dynamic?: true; error?: string } {
  const valueLetters = name === 'ksh' ? 'oOR' : name === 'mksh' ? 'oOT' : 'oO';
  let hasC = false;
  let fromStdin = false;
  let i = 1;
  while (i < words.length) {
    const w = words[i] as WordFacts;
    const v = w.value;
    if (v === null) {
      if (w.singleField && w.prefix !== '' && !w.prefix.startsWith('-') && !w.prefix.startsWith('+')) break;
      return { hasC, operand: i, fromStdin, dynamic: true };
    }
    if (v === '--' || v === '-') {
      i++;
      break;
    }
    if (v.startsWith('--')) {
      if (BASH_LONG_VALUE.has(v)) {
        i += 2;
        continue;
      }
      if (BASH_LONG_FLAGS.has(v)) {
        i++;
        continue;
      }
      return { hasC, operand: i, fromStdin, error: `${name}: unrecognized option '${v}'` };
    }
    if ((!v.startsWith('-') && !v.startsWith('+')) || v.length === 1) break;
    let consumed = 1;
    for (let j = 1; j < v.length; j++) {
      const ch = v[j] as string;
      if (valueLetters.includes(ch)) {
        const next = words[i + consumed];
        if (next !== undefined && next.value === null && !next.singleField) return { hasC, operand: i, fromStdin, dynamic: true };
        consumed++;
      } else if (ch === 'c' && v[0] === '-') {
        hasC = true;
      } else if (ch === 's' && v[0] === '-') {
        fromStdin = true;
      }
    }
    i += consumed;
  }
  return { hasC, operand: i, fromStdin };
}

function shell(call: Call): void {
  const { words, sink } = call;
  const dialect: Dialect = call.name === 'zsh' ? 'zsh' : 'bash';
  const inv = shellInvocation(call.name, words);
  if (inv.error !== undefined) sink.fail(inv.error);
  if (inv.dynamic === true) {
    sink.mark('dynamic');
    return;
  }
  const i = inv.operand;
  if (inv.hasC) {
    const text = words[i];
    if (text === undefined) {
      if (call.appended) sink.mark('dynamic');
      return;
    }
    sink.code(text.value, dialect);
    return;
  }
  sink.mark('runsScript');
  const script = words[i]?.value;
  if ((script === undefined || inv.fromStdin || STDIN_PATHS.has(script ?? '')) && call.stdin.kind === 'text') sink.code(call.stdin.text, dialect);
}

function foreignShell(call: Call): void {
  if (call.words.length > 1) call.sink.fail(`${call.name}: code for this shell cannot be analyzed`);
  call.sink.mark('runsScript');
}

// ---------------------------------------------------------------------------------------------
// Builtins that run strings as code

/** Joins static words with spaces and analyzes them as code, as `eval` and `watch` do. */
function callCode(call: Call, words: readonly WordFacts[], dialect: Dialect, sameShell = false): void {
  if (words.length === 0) {
    if (call.appended) call.sink.mark('dynamic');
    return;
  }
  const values: string[] = [];
  for (const w of words) {
    if (w.value === null) {
      call.sink.code(null, dialect);
      return;
    }
    values.push(w.value);
  }
  call.sink.code(values.join(' '), dialect, sameShell);
}

function evalBuiltin(call: Call): void {
  const start = call.words[1]?.value === '--' ? 2 : 1;
  callCode(call, call.words.slice(start), call.sink.dialect, true);
}

function source(call: Call): void {
  call.sink.mark('runsScript');
  const file = call.words[call.words[1]?.value === '--' ? 2 : 1]?.value;
  if (file !== undefined && file !== null && STDIN_PATHS.has(file) && call.stdin.kind === 'text') call.sink.code(call.stdin.text, call.sink.dialect, true);
}

function isUnsignedInteger(v: string): boolean {
  if (v === '') return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function trap(call: Call): void {
  let i = 1;
  const first = call.words[1]?.value;
  if (first === '-l' || first === '-p' || first === '-P' || first === '-lp' || first === '-pl') return;
  if (first === '--') i = 2;
  const operands = call.words.slice(i);
  const action = operands[0];
  // One operand, or a leading number, means "reset these signals" (POSIX), not an action.
  if (action === undefined || operands.length < 2) return;
  if (action.value === null) {
    call.sink.code(null, call.sink.dialect);
    return;
  }
  if (action.value === '-' || action.value === '' || isUnsignedInteger(action.value)) return;
  call.sink.code(action.value, call.sink.dialect);
}

function alias(call: Call): void {
  for (const w of call.words.slice(1)) {
    const known = w.value ?? w.prefix;
    const eq = known.indexOf('=');
    if (eq === -1) {
      if (w.value === null) call.sink.code(null, call.sink.dialect);
      continue;
    }
    // An alias body is code the shell may run later (expand_aliases, or an interactive shell).
    call.sink.code(w.value === null ? null : w.value.slice(eq + 1), call.sink.dialect);
  }
}

const MAPFILE_SPEC: OptionSpec = { flags: 't', values: 'dnOsuCc', long: [] };

function mapfile(call: Call): void {
  const parsed = read(call, 1, MAPFILE_SPEC);
  if (parsed === undefined) return;
  const callback = optionValue(parsed.options, 'C');
  if (callback !== undefined) call.sink.code(callback, call.sink.dialect);
}

function hash(call: Call): void {
  // `hash -p /usr/bin/curl ls` makes the name `ls` run curl from then on.
  if (call.words.some((w) => w.value === null || (w.value.startsWith('-') && w.value.includes('p')))) call.sink.mark('dynamic');
}

function enable(call: Call): void {
  // `enable -f lib.so name` loads a shared object into the shell.
  for (const w of call.words.slice(1)) {
    if (w.value === null) {
      call.sink.mark('dynamic');
      return;
    }
    if (w.value.startsWith('-') && w.value.includes('f')) call.sink.mark('runsScript');
    if (!w.value.startsWith('-')) return;
  }
}

// Builtins that evaluate a name or arithmetic text, where an array subscript such as
// `a[$(cmd)]` runs the substitution even though it arrived as a quoted string.
const SUBSCRIPT_BUILTINS = new Set(['let', 'declare', 'typeset', 'local', 'export', 'readonly', 'read', 'unset', 'test', '[', 'getopts', 'wait', 'printf']);

function subscriptCode(call: Call): void {
  for (const w of call.words.slice(1)) {
    if (w.value !== null && (w.value.includes('$(') || w.value.includes('`'))) {
      if (call.name === 'printf' && !call.words.some((x) => x.value === '-v')) return;
      call.sink.mark('dynamic');
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Language interpreters: inline code (`-c`, `-e`) or a program read from stdin.

const PYTHON_SPEC: OptionSpec = {
  flags: 'bBdEhiIOqsSuvVxRP?',
  values: 'cmWX',
  long: longOptions('check-hash-based-pycs=', 'help:h', 'help-env', 'help-xoptions', 'help-all', 'version:V'),
};

function python(call: Call): void {
  const parsed = parseOptions(call.words, 1, PYTHON_SPEC, call.name);
  // An option this table does not know might take the code: assume inline code.
  if (parsed.kind !== 'ok') {
    call.sink.mark('inlineCode');
    return;
  }
  const o = parsed.options;
  if (hasOption(o, 'c')) {
    call.sink.mark('inlineCode');
    return;
  }
  if (hasOption(o, 'm', 'h', 'V', 'help-env', 'help-xoptions', 'help-all')) return;
  const script = call.words[parsed.next];
  if (script === undefined || script.value === '-') call.sink.mark('inlineCode');
}

const NODE_VALUE_OPTIONS = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '-C',
  '--conditions',
  '--input-type',
  '--env-file',
  '--title',
  '--stack-size',
  '--max-old-space-size',
]);
const NODE_EVAL = new Set(['-e', '--eval', '-p', '--print', '-pe', '-ep']);
const NODE_NO_PROGRAM = new Set(['-v', '--version', '-h', '--help', '--check', '-c', '--test', '--run']);

function node(call: Call): void {
  const words = call.words;
  for (let i = 1; i < words.length; i++) {
    const v = words[i]?.value;
    if (v === null || v === undefined) {
      call.sink.mark('inlineCode');
      return;
    }
    if (NODE_EVAL.has(v) || v.startsWith('--eval=') || v.startsWith('--print=') || v === '-') {
      call.sink.mark('inlineCode');
      return;
    }
    if (NODE_NO_PROGRAM.has(v)) return;
    if (v === '--' || !v.startsWith('-')) return;
    if (NODE_VALUE_OPTIONS.has(v)) i++;
  }
  // No script: node reads its program from stdin.
  call.sink.mark('inlineCode');
}

function bun(call: Call): void {
  if (call.words.some((w) => w.value !== null && (NODE_EVAL.has(w.value) || w.value.startsWith('--eval=') || w.value.startsWith('--print=')))) {
    call.sink.mark('inlineCode');
  }
}

function deno(call: Call): void {
  const sub = call.words.slice(1).find((w) => w.value === null || !w.value.startsWith('-'));
  if (sub === undefined) return;
  if (sub.value === null || sub.value === 'eval' || sub.value === 'repl') call.sink.mark('inlineCode');
  else if (sub.value === 'run' && call.words.some((w) => w.value === '-')) call.sink.mark('inlineCode');
}

/**
 * Interpreters with clustered single-letter options (perl, ruby, php, lua): inline code when any
 * cluster holds a code letter before a letter that takes a value, or when no program file is named.
 */
function clusterInterpreter(codeLetters: string, valueLetters: string): Handler {
  return (call) => {
    let operand = false;
    for (const w of call.words.slice(1)) {
      const v = w.value;
      if (v === null) {
        if (!operand) call.sink.mark('inlineCode');
        return;
      }
      if (v === '-') {
        call.sink.mark('inlineCode');
        return;
      }
      if (v.startsWith('--')) continue;
      if (!v.startsWith('-')) {
        operand = true;
        continue;
      }
      for (let j = 1; j < v.length; j++) {
        const ch = v[j] as string;
        if (codeLetters.includes(ch)) {
          call.sink.mark('inlineCode');
          return;
        }
        if (valueLetters.includes(ch)) break;
      }
    }
    if (!operand) call.sink.mark('inlineCode');
  };
}

function awk(call: Call): void {
  let fromFile = false;
  let inline = false;
  for (const w of call.words.slice(1)) {
    const v = w.value;
    if (v === null) continue;
    if (v === '-e' || v.startsWith('--source')) inline = true;
    else if (v.startsWith('-f') || v.startsWith('--file') || v === '-E' || v.startsWith('--exec')) fromFile = true;
  }
  // Without -f, the first operand is the program text itself.
  if (inline || !fromFile) call.sink.mark('inlineCode');
}

function evalFlag(call: Call): void {
  if (call.words.some((w) => w.value === '-e')) call.sink.mark('inlineCode');
}

/** npm's options that take the next word as their value (`--registry URL`), for npm, npx and their kin. */
export const NPM_VALUE_OPTIONS: ReadonlySet<string> = new Set(['--registry', '--prefix', '-C', '--cache', '--userconfig', '--globalconfig', '--script-shell', '--node-options', '--tag', '--workspace', '-w', '--loglevel', '--otp', '--access', '--scope', '--save-prefix', '--omit', '--include', '--install-strategy', '--before', '--call', '-c', '--package', '-p', '--location', '--shell', '--editor', '--git', '--init-module', '--pack-destination', '--filter', '--dir', '--cwd', '--reporter', '--network-concurrency']);

/**
 * `npx cmd args`, `npm exec cmd`, `npm x cmd`: the package's program runs with the arguments, and
 * a program of that name on the PATH or in node_modules/.bin runs as itself (`npx node -e ...` is
 * `node -e ...`), so the rest of the line is that command too. With `-c`/`--call` the command is
 * code the effects model parses.
 */
function npx(call: Call, from = 1): void {
  for (let i = from; i < call.words.length; i++) {
    const w = call.words[i] as WordFacts;
    const v = w.value;
    if (v === null) {
      // An option or a command only known at run time.
      call.sink.mark('dynamic');
      return;
    }
    if (v === '--') {
      wrap(call, i + 1);
      return;
    }
    if (!v.startsWith('-') || v === '-') {
      wrap(call, i);
      return;
    }
    if (v === '-c' || v === '--call' || v.startsWith('--call=')) return;
    if (!v.includes('=') && NPM_VALUE_OPTIONS.has(v)) i++;
  }
}

/** `npm exec ...` / `npm x ...`: as npx after the subcommand (npm's own options may come first). */
function npm(call: Call): void {
  for (let i = 1; i < call.words.length; i++) {
    const v = (call.words[i] as WordFacts).value;
    if (v === null) return;
    if (v.startsWith('-')) {
      if (!v.includes('=') && NPM_VALUE_OPTIONS.has(v)) i++;
      continue;
    }
    if (v === 'exec' || v === 'x') npx(call, i + 1);
    return;
  }
}

/** `git bisect run cmd args`: git runs the command at each step, as xargs would. */
function git(call: Call): void {
  for (let i = 1; i + 1 < call.words.length; i++) {
    if (call.words[i]?.value === 'bisect' && call.words[i + 1]?.value === 'run') {
      wrap(call, i + 2);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------

const PROGRAMS = new Map<string, Handler>([
  ['git', git],
  ['npx', npx],
  ['bunx', npx],
  ['pnpx', npx],
  ['npm', npm],
  ['env', env],
  ['sudo', sudo],
  ['doas', doas],
  ['nohup', nohup],
  ['pkexec', pkexec],
  ['timeout', timeout],
  ['nice', nice],
  ['xargs', xargs],
  ['busybox', busybox],
  ['command', commandBuiltin],
  ['builtin', builtinBuiltin],
  ['exec', execBuiltin],
  ['time', timeProgram],
  ['setsid', setsid],
  ['stdbuf', stdbuf],
  ['ionice', ionice],
  ['taskset', taskset],
  ['chrt', chrt],
  ['unbuffer', unbuffer],
  ['chroot', chroot],
  ['find', find],
  ['watch', watch],
  ['flock', flock],
  ['su', su],
  ['runuser', su],
  ['eval', evalBuiltin],
  ['source', source],
  ['.', source],
  ['trap', trap],
  ['alias', alias],
  ['mapfile', mapfile],
  ['readarray', mapfile],
  ['enable', enable],
  ['hash', hash],
  ['nc', netcat],
  ['ncat', netcat],
  ['netcat', netcat],
  ['nc.traditional', netcat],
  ['nc.openbsd', netcat],
  ['socat', socat],
  ['script', scriptProgram],
  ['python', python],
  ['pypy', python],
  ['node', node],
  ['nodejs', node],
  ['bun', bun],
  ['deno', deno],
  ['perl', clusterInterpreter('eE', 'IMmi0lFCdDVx')],
  ['ruby', clusterInterpreter('e', 'IrCEFx0lTWK')],
  ['php', clusterInterpreter('rRBE', 'cdfzt')],
  ['lua', clusterInterpreter('e', 'l')],
  ['luajit', clusterInterpreter('e', 'lbjO')],
  ['awk', awk],
  ['gawk', awk],
  ['mawk', awk],
  ['nawk', awk],
  ['osascript', evalFlag],
  ['rscript', evalFlag],
]);

for (const name of SUBSCRIPT_BUILTINS) PROGRAMS.set(name, subscriptCode);
for (const name of POSIX_SHELLS) PROGRAMS.set(name, shell);
for (const name of FOREIGN_SHELLS) PROGRAMS.set(name, foreignShell);
// GNU tools installed with a `g` prefix (macOS Homebrew).
for (const name of ['env', 'nohup', 'timeout', 'nice', 'xargs', 'stdbuf', 'chroot', 'find', 'time']) {
  PROGRAMS.set(`g${name}`, PROGRAMS.get(name) as Handler);
}

// zsh precommand modifiers: the rest of the line is the command.
const ZSH_PRECOMMANDS: ReadonlyMap<string, number> = new Map([
  ['noglob', 1],
  ['nocorrect', 1],
  ['-', 1],
  ['repeat', 2],
]);

/**
 * The name used to look a program up: no `.exe`, no version suffix (`python3.12` is `python`).
 *
 * @example
 * ```ts
 * lookupName('python3.12'); // 'python'
 * ```
 */
export function lookupName(name: string): string {
  const n = name.endsWith('.exe') ? name.slice(0, -4) : name;
  let end = n.length;
  while (end > 1) {
    const c = n.charCodeAt(end - 1);
    if (c === 46 || (c >= 48 && c <= 57)) end--;
    else break;
  }
  return n.slice(0, end);
}

/**
 * Applies what the facet knows about the program `name` (lower-case basename) to its words:
 * wrapped commands, nested code, and the script and inline-code facts.
 *
 * @example
 * ```ts
 * analyzeProgram('sudo', words, { kind: 'other' }, false, sink); // calls sink.run for the wrapped command
 * ```
 */
export function analyzeProgram(name: string, words: readonly WordFacts[], stdin: Stdin, appended: boolean, sink: CommandSink): void {
  if (sink.dialect === 'zsh') {
    const skip = ZSH_PRECOMMANDS.get(name);
    if (skip !== undefined) {
      wrap({ name, words, stdin, appended, sink }, skip);
      return;
    }
  }
  const key = PROGRAMS.has(name) ? name : lookupName(name);
  const handler = PROGRAMS.get(key);
  if (handler !== undefined) handler({ name: key, words, stdin, appended, sink });
}
