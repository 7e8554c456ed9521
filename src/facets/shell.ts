/**
 * The shell facet: a command line in, the commands it would run out.
 *
 * The line is parsed with `unbash` (a bash parser) and every simple command anywhere counts:
 * lists, pipelines, subshells, groups, `if`/`while`/`for`/`case` bodies, function bodies, command
 * and process substitutions. Words are resolved as the shell would (quotes, escapes, `$'...'`),
 * wrappers are seen through (`env`, `sudo`, `doas`, `nohup`, `timeout`, `nice`, `xargs`,
 * `busybox`, `command`, `builtin`, `exec`, `time`, `setsid`, `stdbuf`, `ionice`, `chrt`,
 * `taskset`, `unbuffer`, `chroot`, `runuser -u`, `find -exec`, `watch -x`, `flock`), and code run
 * from a string (`bash -c`, `sh -c`, `zsh -c`, `eval`, `trap`, `alias`, `mapfile -C`, `su -c`,
 * `flock -c`, `watch`, `script -c`, `nc -e`/`-c`, `socat EXEC:`/`SYSTEM:`, a here-string or
 * here-document fed to a shell) is parsed in turn, to a bounded depth.
 *
 * What is not known before the line runs is reported, not guessed: a command name that depends
 * on an expansion sets `dynamic`, and a line that cannot be parsed or resolved safely sets
 * `parsed: false` with the reason.
 */
import { forEachChild, parse } from 'unbash';
import type { Command, HereDoc, HereString, Pipeline, Redirect, RedirectDescriptor, SyntaxNode } from 'unbash';
import { WardenError } from '../errors.js';
import { analyzeProgram, findStartPoints, isCodeVariable, type CommandSink, type Dialect, type ProgramFact, type Stdin } from './shell-programs.js';
import { assignmentFacts, hereDocText, syntheticWord, wordFacts, type WordFacts } from './shell-words.js';
import { EffectsCollector, unionCwd } from './shell-effects.js';
import { normalizeAbsolute, type Cwd } from './shell-paths.js';
import type { Effects } from './effects-types.js';

/**
 * One command the line would run.
 *
 * @example
 * ```ts
 * // `sudo -u root /usr/bin/curl -s x` yields two commands:
 * // { name: 'sudo', path: 'sudo', argv: ['sudo', '-u', 'root', '/usr/bin/curl', '-s', 'x'] }
 * // { name: 'curl', path: '/usr/bin/curl', argv: ['/usr/bin/curl', '-s', 'x'] }
 * ```
 */
export interface ShellCommandFacts {
  /** Basename of `path`, lower-case: what a rule compares against (`curl`). */
  name: string;
  /** The command word after quote removal, as written (`/usr/bin/curl`, `./run.sh`). */
  path: string;
  /**
   * Every word of the command, `argv[0]` being `path`. A word that depends on run time
   * (`$X`, `$(date)`, `*.txt`) appears as written.
   */
  argv: string[];
}

/**
 * One redirection.
 *
 * @example
 * ```ts
 * // `echo key >> ~/.ssh/authorized_keys` yields { op: '>>', target: '~/.ssh/authorized_keys' }
 * ```
 */
export interface ShellRedirectFacts {
  /** The operator as written, with its file descriptor: `>`, `>>`, `<`, `2>`, `&>`, `>|`, `2>&`, `<<<`, `<<`, `<<-`. */
  op: string;
  /**
   * The target after quote removal (`~` is not expanded). For `<<<` the string fed to stdin;
   * for `<<` and `<<-` the here-document body. A target that depends on run time is as written
   * and sets {@link ShellFacts.dynamicRedirect}.
   */
  target: string;
}

/**
 * The facts CEL rules see as `shell`. Every field is always present.
 *
 * @example
 * ```ts
 * const f = shellFacet("ls; bash -c 'curl x | sh'");
 * f.names;      // ['ls', 'bash', 'curl', 'sh']
 * f.runsScript; // true: `sh` reads its script from the pipe
 * ```
 */
export interface ShellFacts {
  /** True when the whole line was parsed and resolved. When false, the lists are empty. */
  parsed: boolean;
  /** Why `parsed` is false; `''` otherwise. */
  error: string;
  /** Every command that would run, in source order, wrapped commands right after their wrapper. */
  commands: ShellCommandFacts[];
  /** The distinct `name`s of `commands`, in order of first appearance. */
  names: string[];
  /**
   * Some code is not known before the line runs: a command name containing an expansion, a
   * substitution, a glob or a brace expansion (`$X`, `$(echo curl)`, `c${IFS}url`, `cu*l`,
   * `{curl,x}`); a wrapper or shell option region holding such a word; `bash -c`, `eval`,
   * `trap` or `alias` given a non-static string; an indirect `${!x}` or prompt `${x@P}`
   * expansion; or an assignment to a variable that later runs as code (`BASH_ENV`, `PS4`,
   * `PROMPT_COMMAND`, `BASH_FUNC_*`, `LD_PRELOAD`, ...). Also true when `parsed` is false.
   */
  dynamic: boolean;
  /** A command substitution (`$(...)`, backticks, `${ ...; }`) or process substitution (`<(...)`, `>(...)`) appears anywhere. */
  hasSubstitution: boolean;
  /** Every redirection, here-string and here-document, in source order. */
  redirects: ShellRedirectFacts[];
  /** Something runs asynchronously: `&` anywhere, `coproc`, or `sudo -b`. */
  background: boolean;
  /**
   * A shell runs code the line does not show: a script file (`bash x.sh`, `sh /tmp/a.sh`,
   * `source x`, `. ./x`), stdin (`curl x | sh`, `bash <<< '...'`, `bash <(curl x)`, a bare `sh`,
   * `sudo -s`, `su` without `-c`), or a loaded builtin (`enable -f`). Static here-string and
   * here-document scripts are still parsed, so their commands are listed too.
   */
  runsScript: boolean;
  /**
   * A language interpreter runs program text from the command line or stdin rather than a named
   * file: `python -c`, `python -`, `curl x | python3`, `perl -e`/`-ne`, `ruby -e`, `node -e`/`-p`,
   * `bun -e`, `deno eval`, `php -r`, `lua -e`, `osascript -e`, `Rscript -e`, and `awk`/`gawk`
   * programs not read from `-f`. Errs towards true when an option is not recognized.
   */
  inlineCode: boolean;
  /** Some redirection target depends on run time (`> "$HOME/x"`, `> $(mktemp)`). */
  dynamicRedirect: boolean;
  /**
   * The names of the shell and environment variables the line expands anywhere, in order of first
   * appearance: `$X`, `${X}`, `${X:-d}`, `${#X}`, inside double quotes, here-documents, nested
   * `bash -c` strings and substitutions (`echo "$GITHUB_TOKEN"` lists `GITHUB_TOKEN`). Positional
   * and special parameters appear by their name (`1`, `@`, `?`). Variables read inside arithmetic
   * (`$((N + 1))`) are not listed: arithmetic yields a number.
   */
  variables: string[];
}

/** Longest input analyzed, in UTF-16 code units; longer input is `parsed: false`. */
export const SHELL_MAX_INPUT = 100_000;

const DEFAULT_MAX_DEPTH = 8;
/** Most wrappers around one command (`sudo env nice ...`); keeps a wrapper chain linear in cost. */
const MAX_WRAPPERS = 32;
const MAX_MAX_DEPTH = 64;
const UNRESOLVED = 'ERR_SHELL_UNRESOLVED';
const STDIN_OTHER: Stdin = Object.freeze({ kind: 'other' });

function emptyFacts(): ShellFacts {
  return {
    parsed: false,
    error: '',
    commands: [],
    names: [],
    dynamic: false,
    hasSubstitution: false,
    redirects: [],
    background: false,
    runsScript: false,
    inlineCode: false,
    dynamicRedirect: false,
    variables: [],
  };
}

/**
 * The facts when no shell binding applies to the tool: nothing parsed, no error.
 *
 * @example
 * ```ts
 * const facts = binding === undefined ? EMPTY_SHELL_FACTS : shellFacet(value);
 * ```
 */
export const EMPTY_SHELL_FACTS: ShellFacts = deepFreeze(emptyFacts());

function deepFreeze(facts: ShellFacts): ShellFacts {
  Object.freeze(facts.commands);
  Object.freeze(facts.names);
  Object.freeze(facts.redirects);
  return Object.freeze(facts);
}

function failure(error: string): ShellFacts {
  // Nothing about the code is known statically, so `dynamic` holds too.
  return { ...emptyFacts(), error, dynamic: true };
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function descriptorText(d: RedirectDescriptor | undefined): string {
  if (d === undefined) return '';
  return d.type === 'FileDescriptor' ? String(d.value) : `{${d.name}}`;
}

function arithmeticBody(text: string): string {
  return text.startsWith('$((') ? text.slice(3, -2) : text.startsWith('$[') ? text.slice(2, -1) : text;
}

/** zsh expansions that re-interpret a value as a pattern or code, which a bash parse cannot see. */
const ZSH_VALUE_FLAGS = ['$~', '$=', '$^', '${~', '${=', '${^', '${('];

class Analyzer implements CommandSink {
  readonly commands: ShellCommandFacts[] = [];
  readonly names: string[] = [];
  readonly redirects: ShellRedirectFacts[] = [];
  private readonly nameSet = new Set<string>();
  private readonly flags: Record<ProgramFact, boolean> = { dynamic: false, runsScript: false, inlineCode: false, background: false };
  private hasSubstitution = false;
  private dynamicRedirect = false;
  private readonly variables = new Set<string>();
  private depth = 0;
  private wrappers = 0;
  dialect: Dialect = 'bash';
  /** Collects effects when the caller asked for them (`shellEffects`); null for the facts alone. */
  fx: EffectsCollector | null = null;

  constructor(private readonly maxDepth: number) {}

  /**
   * Working-directory flow for the effects: a `cd` carries over to what runs after it in the same
   * shell, not out of a subshell, a pipeline stage, a substitution or a background job; after
   * `a && b` or `a || b`, any state the chain passed through is possible. True when the node was
   * visited here.
   */
  private flow(node: SyntaxNode, fx: EffectsCollector): boolean {
    switch (node.type) {
      case 'AndOr': {
        // `a && b` runs b in the state a's success leaves; `a || b` in the state its failure
        // leaves (a failed `cd` changes nothing). Afterwards any state the chain passed through holds.
        const seen: Cwd[] = [fx.cwd];
        let failed: Cwd = fx.cwd;
        node.commands.forEach((c, k) => {
          if (k > 0 && node.operators[k - 1] === '||') fx.cwd = failed;
          fx.cdFailed = undefined;
          this.visit(c);
          failed = fx.cdFailed === undefined ? fx.cwd : fx.cdFailed;
          fx.cdFailed = undefined;
          seen.push(fx.cwd, failed);
        });
        fx.cwd = unionCwd(seen);
        return true;
      }
      case 'Pipeline': {
        if (node.commands.length < 2) return false;
        this.timeKeyword(node);
        const before = fx.cwd;
        node.commands.forEach((c, k) => {
          // What `xargs` in this stage appends comes from the previous stage's output.
          fx.pipeUnder = k > 0 && nullSeparatedXargs(c) ? pipeSource(node.commands[k - 1] as SyntaxNode) : undefined;
          try {
            this.visit(c);
          } finally {
            fx.pipeUnder = undefined;
          }
          fx.cwd = before;
        });
        return true;
      }
      case 'Statement':
      case 'Subshell':
      case 'CommandExpansion':
      case 'ProcessSubstitution':
      case 'ArithmeticCommandExpansion':
      case 'Coproc': {
        if (node.type === 'Statement' && node.background !== true) {
          this.own(node);
          forEachChild(node, this.visit);
          // A `cd` that fails leaves the directory as it was, and the next statement runs anyway.
          if (fx.cdFailed !== undefined) fx.cwd = unionCwd([fx.cwd, fx.cdFailed]);
          fx.cdFailed = undefined;
          return true;
        }
        // A background job, a subshell or a substitution runs in a child process.
        const before = fx.cwd;
        this.own(node);
        forEachChild(node, this.visit);
        fx.cwd = before;
        return true;
      }
      case 'If':
      case 'While':
      case 'For':
      case 'ArithmeticFor':
      case 'Select':
      case 'Case':
      case 'Function': {
        // Branches and loops: a directory change inside makes the directory unknown there and after.
        if (changesDirectory(node)) fx.cwd = null;
        return false;
      }
      case 'Command': {
        // A command's words, substitutions and redirections are evaluated before it runs: a `cd`
        // it performs applies to what follows, not to its own redirections.
        const before = fx.cwd;
        this.command(node);
        const after = fx.cwd;
        fx.cwd = before;
        forEachChild(node, this.visit);
        fx.cwd = after;
        return true;
      }
      default:
        return false;
    }
  }

  facts(): ShellFacts {
    return {
      parsed: true,
      error: '',
      commands: this.commands,
      names: this.names,
      dynamic: this.flags.dynamic,
      hasSubstitution: this.hasSubstitution,
      redirects: this.redirects,
      background: this.flags.background,
      runsScript: this.flags.runsScript,
      inlineCode: this.flags.inlineCode,
      dynamicRedirect: this.dynamicRedirect,
      variables: [...this.variables],
    };
  }

  readonly visit = (node: SyntaxNode): void => {
    if (this.fx !== null && this.flow(node, this.fx)) return;
    this.own(node);
    forEachChild(node, this.visit);
  };

  /** The facts one node contributes by itself (its children are visited separately). */
  private own(node: SyntaxNode): void {
    switch (node.type) {
      case 'Script': {
        const err = node.errors?.[0];
        if (err !== undefined) this.fail(`syntax error at offset ${err.pos}${this.depth > 0 ? ` of nested code (depth ${this.depth})` : ''}: ${err.message}`);
        break;
      }
      case 'Statement':
        if (node.background === true) this.flags.background = true;
        break;
      case 'Coproc':
        this.flags.background = true;
        break;
      case 'Pipeline':
        this.timeKeyword(node);
        break;
      case 'Command':
        this.command(node);
        break;
      case 'Redirect':
        this.redirect(node);
        break;
      case 'HereString':
      case 'HereDoc':
        this.input(node);
        break;
      case 'CommandExpansion':
      case 'ProcessSubstitution':
      case 'ArithmeticCommandExpansion':
        this.hasSubstitution = true;
        if (node.script === undefined) this.fail(`could not parse the substitution ${node.text.slice(0, 40)}`);
        break;
      case 'ArithmeticExpansion':
        if (node.expression === undefined && arithmeticBody(node.text).trim() !== '') this.fail(`could not parse the arithmetic ${node.text.slice(0, 40)}`);
        break;
      case 'ArithmeticCommand':
        if (node.expression === undefined && node.body.trim() !== '') this.fail(`could not parse the arithmetic command ((${node.body.slice(0, 40)}))`);
        break;
      case 'Assignment':
        if (isCodeVariable(node.name)) this.flags.dynamic = true;
        break;
      case 'SimpleExpansion':
        this.variables.add(node.text.slice(1));
        break;
      case 'ParameterExpansion':
        this.variables.add(node.parameter);
        this.parameter(node.text, node.prefix === '!' && node.operation?.type !== 'Names', node.operation?.type === 'Transform' && node.operation.operand.text === 'P');
        break;
      case 'ExtendedGlob':
        if (this.dialect === 'zsh') this.fail(`zsh glob qualifiers can run code: ${node.text.slice(0, 40)}`);
        break;
      case 'Word':
        if (this.dialect === 'zsh' && ZSH_VALUE_FLAGS.some((f) => node.text.includes(f))) {
          this.fail(`zsh expansion flags are not resolved: ${node.text.slice(0, 40)}`);
        }
        break;
      default:
        break;
    }
  }

  private parameter(text: string, indirect: boolean, prompt: boolean): void {
    // `${!x}` and `${x@P}` evaluate the value of x, and a subscript or `$(...)` inside it runs.
    if (indirect || prompt) this.flags.dynamic = true;
    if (this.dialect === 'zsh' && ZSH_VALUE_FLAGS.some((f) => text.startsWith(f))) {
      this.fail(`zsh expansion flags are not resolved: ${text.slice(0, 40)}`);
    }
  }

  private record(name: string, path: string, argv: string[]): void {
    this.commands.push({ name, path, argv });
    if (!this.nameSet.has(name)) {
      this.nameSet.add(name);
      this.names.push(name);
    }
  }

  private timeKeyword(node: Pipeline): void {
    const time = node.prefixes.find((p) => p.type === 'Time');
    if (time === undefined) return;
    this.record('time', 'time', time.posix === undefined ? ['time'] : ['time', '-p']);
  }

  private command(node: Command): void {
    if (node.name === undefined) {
      // `NAME=value` alone: it holds for the commands after it in this shell.
      if (this.fx !== null) for (const p of node.prefix) if (p.type === 'Assignment') this.fx.assignment(assignmentFacts(p), 'sh', this);
      return;
    }
    const words: WordFacts[] = [wordFacts(node.name)];
    for (const arg of node.suffix) {
      if (arg.type === 'Word') words.push(wordFacts(arg));
      else if (arg.type === 'Assignment') words.push(assignmentFacts(arg));
    }
    if (this.fx !== null) {
      const head = words[0] as WordFacts;
      const program = (head.value ?? head.text).slice((head.value ?? head.text).lastIndexOf('/') + 1).toLowerCase();
      for (const p of node.prefix) if (p.type === 'Assignment') this.fx.assignment(assignmentFacts(p), program, this);
    }
    this.run(words, this.stdinOf(node), false);
  }

  private stdinOf(node: Command): Stdin {
    let stdin: Stdin = STDIN_OTHER;
    // prefix then suffix is source order; reading them directly avoids the derived `redirects` array.
    for (const r of node.prefix.length === 0 ? node.suffix : [...node.prefix, ...node.suffix]) {
      if (r.type !== 'Redirect' && r.type !== 'HereString' && r.type !== 'HereDoc') continue;
      const fd = r.descriptor === undefined ? (r.operator.startsWith('<') ? 0 : 1) : r.descriptor.type === 'FileDescriptor' ? r.descriptor.value : -1;
      if (fd !== 0) continue;
      if (r.type === 'HereString') stdin = { kind: 'text', text: r.target === undefined ? null : wordFacts(r.target).value };
      else if (r.type === 'HereDoc') stdin = { kind: 'text', text: hereDocText(r) };
      else stdin = STDIN_OTHER;
    }
    return stdin;
  }

  private redirect(node: Redirect): void {
    const op = descriptorText(node.descriptor) + node.operator;
    if (node.target === undefined) {
      this.redirects.push({ op, target: '' });
      return;
    }
    const target = wordFacts(node.target);
    this.fx?.redirect(op, target);
    if (target.value === null) this.dynamicRedirect = true;
    this.redirects.push({ op, target: target.value ?? target.text });
  }

  private input(node: HereString | HereDoc): void {
    const op = descriptorText(node.descriptor) + node.operator;
    if (node.type === 'HereString') {
      const target = node.target === undefined ? undefined : wordFacts(node.target);
      this.redirects.push({ op, target: target === undefined ? '' : (target.value ?? target.text) });
    } else {
      this.redirects.push({ op, target: hereDocText(node) ?? node.body.text });
    }
  }

  run(words: readonly WordFacts[], stdin: Stdin, appended: boolean): void {
    const head = words[0];
    if (head === undefined) return;
    const path = head.value;
    // invariant: a command whose name is not static is never listed; it only sets `dynamic`.
    if (path === null || (head.tilde && !path.includes('/')) || (this.dialect === 'zsh' && path.startsWith('='))) {
      this.flags.dynamic = true;
      this.fx?.dynamicCommand(words, this, stdin);
      return;
    }
    const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
    this.record(
      name,
      path,
      words.map((w) => w.value ?? w.text),
    );
    if (this.wrappers >= MAX_WRAPPERS) this.fail(`more than ${MAX_WRAPPERS} nested wrapper commands`);
    this.wrappers++;
    const restore = this.fx?.program(name, words, stdin, appended, this);
    try {
      analyzeProgram(name, words, stdin, appended, this);
    } finally {
      this.wrappers--;
      if (restore !== undefined) this.fx?.endProgram(restore);
    }
  }

  withCwd(dir: WordFacts | null, fn: () => void): void {
    if (this.fx === null) fn();
    else this.fx.inDirectory(dir, fn);
  }

  code(source: string | null, dialect: Dialect, sameShell = false): void {
    if (source === null) {
      this.flags.dynamic = true;
      this.fx?.fact('dynamic');
      return;
    }
    // Code run by another shell process keeps its `cd`s to itself.
    const cwd = this.fx?.cwd;
    if (this.fx !== null && !sameShell) {
      try {
        this.nested(source, dialect);
      } finally {
        this.fx.cwd = cwd ?? null;
      }
      return;
    }
    this.nested(source, dialect);
  }

  private nested(source: string, dialect: Dialect): void {
    if (this.depth >= this.maxDepth) this.fail(`nested shell code is deeper than maxDepth (${this.maxDepth})`);
    if (source.includes('\0')) this.fail('nested shell code contains a NUL character');
    const saved = this.dialect;
    this.dialect = dialect;
    this.depth++;
    try {
      this.visit(parse(source));
    } finally {
      this.depth--;
      this.dialect = saved;
    }
  }

  mark(fact: ProgramFact): void {
    this.flags[fact] = true;
    this.fx?.fact(fact);
  }

  fail(message: string): never {
    throw new WardenError(UNRESOLVED, message);
  }
}

// find primaries that only select or print names (no -printf, -exec, -fprint: their output could be any text).
const FIND_SELECTORS = new Set(['-name', '-iname', '-path', '-ipath', '-wholename', '-iwholename', '-type', '-xtype', '-maxdepth', '-mindepth', '-size', '-mtime', '-mmin', '-newer', '-empty', '-print', '-print0', '-not', '!', '-o', '-or', '-a', '-and', '(', ')', '-prune', '-readable', '-writable', '-executable', '-regex', '-iregex', '-perm', '-user', '-group']);

/** The stage is `xargs -0` (or `--null`): names arrive whole, so none can split into `..`. */
function nullSeparatedXargs(node: SyntaxNode): boolean {
  if (node.type !== 'Command' || node.name === undefined) return false;
  const name = wordFacts(node.name).value;
  if (name === null || name.slice(name.lastIndexOf('/') + 1) !== 'xargs') return false;
  for (const a of node.suffix) {
    if (a.type !== 'Word') return false;
    const v = wordFacts(a).value;
    if (v === null || !v.startsWith('-')) return false;
    if (v === '--null' || (!v.startsWith('--') && /^-[a-zA-Z]*0/.test(v))) return true;
  }
  return false;
}

/**
 * The directories a pipeline stage prints paths under, when it prints only file names, each
 * ended by a NUL (so a name with a space or newline cannot split into `..`): `find ... -print0`
 * with selectors only, `git ls-files -z`, `grep -lZ`, `rg -l0`/`rg --files -0`. Undefined otherwise.
 */
function pipeSource(node: SyntaxNode): WordFacts[] | undefined {
  if (node.type !== 'Command' || node.name === undefined || node.prefix.length > 0) return undefined;
  const words: WordFacts[] = [wordFacts(node.name)];
  for (const a of node.suffix) {
    if (a.type !== 'Word') return undefined;
    words.push(wordFacts(a));
  }
  if (words.some((w) => w.value === null)) return undefined;
  const v = words.map((w) => w.value as string);
  const name = (v[0] as string).slice((v[0] as string).lastIndexOf('/') + 1);
  if (name === 'find') {
    const { starts, next } = findStartPoints(words);
    if (!v.includes('-print0')) return undefined;
    for (let i = next; i < v.length; i++) {
      const x = v[i] as string;
      if (!FIND_SELECTORS.has(x)) return undefined;
      if (!['-print', '-print0', '-not', '!', '-o', '-or', '-a', '-and', '(', ')', '-prune', '-readable', '-writable', '-executable', '-empty'].includes(x)) i++;
    }
    return starts;
  }
  const nul = v.some((x) => x === '-z' || x === '-Z' || x === '-0' || x === '--null' || x === '--null-data' || (/^-[a-zA-Z0]+$/.test(x) && /[zZ0]/.test(x)));
  if (!nul) return undefined;
  if (name === 'git' && v[1] === 'ls-files' && v.slice(2).every((x) => x.startsWith('-'))) return [syntheticWord('.')];
  if ((name === 'grep' || name === 'rg') && v.some((x) => /^-[a-zA-Z0]*l[a-zA-Z0]*$/.test(x) || x === '--files-with-matches' || x === '--files')) {
    const ops = v.slice(1).filter((x) => !x.startsWith('-'));
    const dirs = name === 'rg' && v.includes('--files') ? ops : ops.slice(1);
    return dirs.length === 0 ? [syntheticWord('.')] : dirs.map((d) => syntheticWord(d));
  }
  return undefined;
}

const CWD_CHANGERS = new Set(['cd', 'pushd', 'popd', 'chdir', 'eval', 'source', '.', 'builtin', 'command', 'exec']);

/** True when some command in `node` may change the shell's working directory. */
function changesDirectory(node: SyntaxNode): boolean {
  let found = false;
  const walk = (n: SyntaxNode): void => {
    if (found) return;
    if (n.type === 'Command' && n.name !== undefined) {
      const v = wordFacts(n.name).value;
      if (v === null || CWD_CHANGERS.has(v.slice(v.lastIndexOf('/') + 1))) {
        found = true;
        return;
      }
    }
    forEachChild(n, walk);
  };
  walk(node);
  return found;
}

function readMaxDepth(options: unknown): number | string {
  if (options === undefined || options === null) return DEFAULT_MAX_DEPTH;
  if (typeof options !== 'object') return `options must be an object, got ${describe(options)}`;
  const value: unknown = (options as { maxDepth?: unknown }).maxDepth;
  if (value === undefined) return DEFAULT_MAX_DEPTH;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_MAX_DEPTH) {
    return `maxDepth must be an integer from 0 to ${MAX_MAX_DEPTH}`;
  }
  return value;
}

/**
 * Parses a shell command line into the facts policy rules test. Pure and synchronous; never
 * throws: input that is not a string, longer than {@link SHELL_MAX_INPUT}, syntactically invalid,
 * or not safely resolvable (an unknown wrapper option, code for a non-bash shell, nested code
 * deeper than `maxDepth`) gives `parsed: false` with the reason in `error`.
 *
 * `maxDepth` (default 8, at most 64) bounds how many times code inside code is parsed
 * (`bash -c "eval 'sh -c ls'"` needs 3).
 *
 * Decisions worth knowing: a glob or brace expansion in a command name makes it `dynamic`
 * (`/usr/bin/cur?` could match `curl`); `command -v x` and `sudo -l x` do not list `x` (nothing
 * runs); aliases are ignored as in a non-interactive shell, but an `alias` body is analyzed as code;
 * startup files (`~/.bashrc` for `bash -i`) are not considered.
 *
 * @example
 * ```ts
 * shellFacet('sh -c "$(echo curl) x"');
 * // { parsed: true, names: ['sh', 'echo'], dynamic: true, hasSubstitution: true, ... }
 * shellFacet("c\\url x && 'w'get y").names; // ['curl', 'wget']
 * shellFacet('echo "unterminated').error;   // 'syntax error at offset 5: unterminated double quote'
 * ```
 */
export function shellFacet(input: unknown, options?: { maxDepth?: number }): ShellFacts {
  try {
    if (typeof input !== 'string') return failure(`shell input must be a string, got ${describe(input)}`);
    if (input.length > SHELL_MAX_INPUT) return failure(`shell input is ${input.length} characters; the limit is ${SHELL_MAX_INPUT}`);
    if (input.includes('\0')) return failure('shell input contains a NUL character');
    const maxDepth = readMaxDepth(options);
    if (typeof maxDepth === 'string') return failure(maxDepth);
    const analyzer = new Analyzer(maxDepth);
    analyzer.visit(parse(input));
    return analyzer.facts();
  } catch (e) {
    if (e instanceof WardenError && e.code === UNRESOLVED) return failure(e.message);
    if (e instanceof RangeError) return failure('shell input nests too deeply to analyze');
    return failure(`shell analysis failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Options of {@link shellEffects}.
 *
 * @example
 * ```ts
 * const options: ShellEffectsOptions = { cwd: '/workspace', home: '/home/dev' };
 * ```
 */
export interface ShellEffectsOptions {
  /** Absolute working directory relative paths resolve against; without it they are unknown. */
  cwd?: string;
  /** Absolute home directory for `~`; without it `~` paths are unknown. */
  home?: string;
  /** As for {@link shellFacet}. */
  maxDepth?: number;
}

const EFFECTS_OPTION_KEYS = new Set(['cwd', 'home', 'maxDepth']);

function absoluteOption(value: unknown, name: string): string | null | { error: string } {
  if (value === undefined) return null;
  if (typeof value !== 'string' || !value.startsWith('/') || value.includes('\0') || value.length > 4096) return { error: `${name} must be an absolute POSIX path` };
  return normalizeAbsolute(value);
}

/**
 * Text that may change how the shell expands globs (dotglob, nocaseglob, extglob, globstar,
 * GLOBIGNORE, options given to a shell). Matching it only costs precision: globs are then known
 * by their directory alone.
 */
const GLOB_OPTIONS = /shopt|GLOBIGNORE|[Gg]lob|\bset\b|-O|\+O|BASHOPTS|SHELLOPTS|BASH_ENV|\bENV\b|zsh|ksh|fish/;

/**
 * What a command line does: the code it runs, the destinations it reaches, the paths it reads,
 * writes and deletes (absolute, normalized, resolved against `cwd`, following `cd` where it can),
 * and the privilege it gains, from the same parse as {@link shellFacet} and the program models
 * (which arguments of `git`, `cp`, `curl`, `sed`, `find`, ... are paths, destinations or code).
 * Returns `{ error }` when the line cannot be parsed or resolved (the caller must deny), never an
 * empty result for a line it could not read.
 *
 * @example
 * ```ts
 * const r = shellEffects('cd src && cp a.ts ~/.bashrc', { cwd: '/w', home: '/h' });
 * // r.effects.writes: [{ path: '/h/.bashrc', ... }, { path: '/h/.bashrc/a.ts', ... }]
 * shellEffects("git -c core.sshCommand='sh -c id' fetch").effects?.exec[0].via; // 'git -c core.sshCommand'
 * ```
 */
export function shellEffects(input: unknown, options?: ShellEffectsOptions): { effects: Effects } | { error: string } {
  try {
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object') return { error: 'shell effects: options must be an object' };
      for (const k of Object.keys(options)) if (!EFFECTS_OPTION_KEYS.has(k)) return { error: `shell effects: unknown option "${k}"` };
    }
    const cwd = absoluteOption(options?.cwd, 'cwd');
    const home = absoluteOption(options?.home, 'home');
    if (cwd !== null && typeof cwd === 'object') return cwd;
    if (home !== null && typeof home === 'object') return home;
    if (typeof input !== 'string') return { error: `shell input must be a string, got ${describe(input)}` };
    if (input.length > SHELL_MAX_INPUT) return { error: `shell input is ${input.length} characters; the limit is ${SHELL_MAX_INPUT}` };
    if (input.includes('\0')) return { error: 'shell input contains a NUL character' };
    const maxDepth = readMaxDepth(options);
    if (typeof maxDepth === 'string') return { error: maxDepth };
    const analyzer = new Analyzer(maxDepth);
    const fx = new EffectsCollector(cwd === null ? null : [cwd], home, !GLOB_OPTIONS.test(input));
    analyzer.fx = fx;
    analyzer.visit(parse(input));
    return { effects: fx.build() };
  } catch (e) {
    if (e instanceof WardenError && e.code === UNRESOLVED) return { error: e.message };
    if (e instanceof RangeError) return { error: `shell effects: ${e.message.startsWith('more than') ? e.message : 'the input nests too deeply to analyze'}` };
    return { error: `shell effects failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
