/**
 * Program models as data: for each program that only reads, writes or deletes the files it is
 * given, its options (which take values, and what those values are), what its operands are, and
 * which options make it recursive. Only programs whose every option that runs code, writes or
 * connects is listed are here, so an option not in a table only changes output.
 *
 * Internal to the shell effects; not part of the public surface.
 */
import type { PathAccess } from './effects.js';
import { argSpec, has, parseArgs, values, type ArgSpec, type FxCall, type FxModel } from './shell-fx-api.js';
import { syntheticWord } from './shell-words.js';
import { escapeGlob } from './path-glob.js';

/** What a simple program does, as data. */
interface Simple {
  /** Its options. */
  readonly spec: ArgSpec;
  /** What it does to its file operands. */
  readonly operands: PathAccess | 'none';
  /** Leading operands that are not files (a pattern, a filter, a mode), unless one of `skipUnless` is given. */
  readonly skip?: number;
  readonly skipUnless?: readonly string[];
  /** Option keys whose value is a file read / written. */
  readonly reads?: readonly string[];
  readonly writes?: readonly string[];
  /** Option keys whose value is a command the program runs through a shell. */
  readonly execs?: readonly string[];
  /** Option keys that make the operand effects recursive; `always` when the program always recurses. */
  readonly recursive?: readonly string[] | 'always';
  /** The operand assumed when none is given (`rg` searches `.`). */
  readonly defaultOperand?: string;
  /** `defaultOperand` applies only with one of these options (`grep -r`). */
  readonly defaultWhen?: readonly string[];
  /**
   * Option keys whose value is a file-name glob that picks what a recursive search reads
   * (`grep --include=.npmrc`, `rg -g .env`): each is also a read of `<operand>/**` + `/<glob>`, so a
   * rule sees which names the search targets, not only the directory.
   */
  readonly names?: readonly string[];
}

function simple(s: Simple): FxModel {
  return (call: FxCall) => {
    const p = parseArgs(call.words, 1, s.spec);
    const via = call.name;
    for (const w of values(p, ...(s.reads ?? []))) call.fx.path('read', w, `${via} option`);
    // `--files0-from F` reads the files F lists, which the line does not name.
    if (has(p, 'files0-from')) call.fx.path('read', { value: null, text: '<files listed in --files0-from>', singleField: false, prefix: '', tilde: false, pattern: null }, `${via} --files0-from`);
    for (const w of values(p, ...(s.writes ?? []))) call.fx.path('write', w, `${via} option`);
    for (const w of values(p, ...(s.execs ?? []))) {
      call.fx.exec(call.name, w.value ?? w.text, `${call.name} option`, `${call.name} runs the command given in an option`, w.value !== null, 'hidden');
      call.sink.code(w.value, 'bash');
    }
    if (s.operands === 'none') return;
    const recursive = s.recursive === 'always' || (s.recursive !== undefined && has(p, ...s.recursive));
    const skip = s.skipUnless !== undefined && has(p, ...s.skipUnless) ? 0 : (s.skip ?? 0);
    const files = p.operands.slice(skip);
    if (files.length === 0 && s.defaultOperand !== undefined && (s.defaultWhen === undefined || has(p, ...s.defaultWhen))) {
      call.fx.path(s.operands, syntheticWord(s.defaultOperand), via, recursive);
    }
    for (const w of files) call.fx.path(s.operands, w, via, recursive);
    if (!recursive || s.names === undefined) return;
    const dirs = files.length > 0 ? files : s.defaultOperand !== undefined ? [syntheticWord(s.defaultOperand)] : [];
    for (const g of values(p, ...s.names)) {
      // A negated glob (`rg -g '!x'`) excludes; a glob with a `/` is a path pattern: neither names a file.
      // The program reads the value as a glob itself, quoted or not.
      const name = g.value ?? g.pattern;
      if (typeof name !== 'string' || name === '' || name.startsWith('!') || name.includes('/')) continue;
      for (const d of dirs) {
        if (d.value === null) continue;
        // `**` then the name, with no `/` between: the program's own matching lets a leading `*`
        // match a leading dot (`--include='*npmrc'` reads `.npmrc`), unlike the shell's.
        const pattern = `${escapeGlob(d.value.replace(/\/+$/, '') || '/')}/**${/^[*?[]/.test(name) ? '' : '/'}${name}`;
        call.fx.path('read', { value: null, text: pattern, singleField: true, prefix: '', tilde: d.value.startsWith('~'), pattern }, `${via} ${g.text}`);
      }
    }
  };
}

const HELP = ['help', 'version'];

/** Programs that have no effects at all (their operands are not files). */
const INERT = [
  'echo', 'printf', 'true', 'false', ':', 'pwd', 'seq', 'yes', 'sleep', 'whoami', 'id', 'groups', 'uname', 'arch', 'nproc',
  'tty', 'basename', 'dirname', 'expr', 'test', '[', '[[', 'which', 'type', 'whereis', 'cal', 'locale',
  'getconf', 'uptime', 'free', 'ps', 'pgrep', 'pidof', 'w', 'who', 'users', 'jobs', 'wait', 'kill', 'exit', 'return', 'shift',
  'break', 'continue', 'getopts', 'times', 'umask', 'ulimit', 'set', 'shopt', 'unset', 'read', 'history', 'help', 'logout',
  'let', 'tr', 'clear', 'reset', 'lsb_release', 'env_parallel', 'nl_langinfo', 'factor', 'numfmt', 'hash', 'mapfile',
  'readarray', 'dirs', 'disown', 'fg', 'bg', 'suspend', 'caller', 'compgen', 'complete', 'compopt', 'bind', 'fc',
  'command', 'builtin', 'exec', 'time', 'nohup', 'timeout', 'nice', 'ionice', 'taskset', 'chrt', 'stdbuf', 'unbuffer',
  'setsid', 'busybox', 'watch', 'xargs', 'eval', 'trap', 'alias', 'unalias', 'noglob', 'nocorrect', 'repeat', '-',
] as const;

const inert: FxModel = () => undefined;

const lessFiles = simple({ spec: argSpec({ short: 'b:h:j:k:o:O:p:P:t:T:x:y:z:#:aABcCdeEfFgGiIJKLmMnNqQrRsSuUVwWX~', long: ['log-file=/o', 'LOG-FILE=/O', 'lesskey-file=/k', 'tag-file=/T', ...HELP] }), operands: 'read', reads: ['k', 'T'], writes: ['o', 'O'] });

/**
 * less: reads its files, and runs the commands of a `+cmd` / `++cmd` argument as if typed, where
 * `!` and `|` run a shell, `v` an editor, `s` and `o` write a file. Only moving and searching
 * (`+G`, `+F`, `+g`, `+<n>`, `+/text`, `+?text`, `+&text`) is not code.
 */
const lessModel: FxModel = (call) => {
  for (const w of call.words.slice(1)) {
    const v = w.value;
    if (!(v ?? w.prefix).startsWith('+')) continue;
    const cmd = (v ?? w.prefix).replace(/^\+\+?/, '');
    if (v !== null && /^(|[GFgpP%]|[0-9]+[gGpP%]?|[/?&].*)$/s.test(cmd)) continue;
    call.fx.exec('less', v ?? w.text, 'less +cmd', 'less runs the commands of a +cmd argument as if typed; ! and | run a shell', false, 'hidden');
  }
  lessFiles(call);
};

/** Variables that configure where programs and files are, never where credentials are kept. */
const PLAIN_VARIABLES = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'PWD', 'OLDPWD', 'LANG', 'LANGUAGE', 'TERM', 'TZ', 'EDITOR', 'VISUAL', 'PAGER', 'HOSTNAME', 'TMPDIR', 'NODE_ENV', 'NODE_PATH', 'PYTHONPATH', 'VIRTUAL_ENV', 'GOPATH', 'GOROOT', 'JAVA_HOME', 'CARGO_HOME', 'CI', 'SHLVL', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_RUNTIME_DIR', 'COLUMNS', 'LINES']);

/**
 * A variable that holds a location or a setting, never a credential (`PATH`, `HOME`, `LC_ALL`);
 * false for `null` (a name only known at run time).
 *
 * @example
 * ```ts
 * isPlainVariable('HOME'); // true
 * ```
 */
export function isPlainVariable(name: string | null): boolean {
  return name !== null && (PLAIN_VARIABLES.has(name) || /^LC_[A-Z]+$/.test(name));
}

/**
 * printenv: it prints the environment, where tokens and keys live (reported as a read of
 * `/proc/self/environ`), unless every variable it names is a plain location or setting (`PATH`, `HOME`, `LC_*`).
 */
const printsEnvironment: FxModel = (call) => {
  const names = call.words.slice(1).filter((w) => w.value === null || !w.value.startsWith('-'));
  if (names.length > 0 && names.every((w) => isPlainVariable(w.value))) return;
  call.fx.pathText('read', '/proc/self/environ', `${call.name} (the environment)`);
};

/**
 * The simple programs, by name.
 *
 * @example
 * ```ts
 * SIMPLE_MODELS.get('cat'); // reads its operands
 * ```
 */
export const SIMPLE_MODELS: ReadonlyMap<string, FxModel> = new Map<string, FxModel>([
  ...INERT.map((n): [string, FxModel] => [n, inert]),
  ['printenv', printsEnvironment],
  ['cat', simple({ spec: argSpec({ short: 'AbeEnstTuv', long: ['show-all', 'number-nonblank', 'show-ends', 'number', 'squeeze-blank', 'show-tabs', 'show-nonprinting', ...HELP] }), operands: 'read' })],
  ['tac', simple({ spec: argSpec({ short: 'brs:', long: ['before', 'regex', 'separator=/s', ...HELP] }), operands: 'read' })],
  ['head', simple({ spec: argSpec({ short: 'c:n:qvz', long: ['bytes=/c', 'lines=/n', 'quiet', 'silent', 'verbose', 'zero-terminated', ...HELP] }), operands: 'read' })],
  ['tail', simple({ spec: argSpec({ short: 'c:fFn:qs:vz', long: ['bytes=/c', 'follow=?', 'lines=/n', 'max-unchanged-stats=', 'pid=', 'quiet', 'retry', 'silent', 'sleep-interval=/s', 'verbose', 'zero-terminated', ...HELP] }), operands: 'read' })],
  ['less', lessModel],
    ['more', simple({ spec: argSpec({ short: 'dflcpsun:', long: ['lines=/n', ...HELP] }), operands: 'read' })],
  ['wc', simple({ spec: argSpec({ short: 'clmwL', long: ['bytes', 'chars', 'lines', 'words', 'max-line-length', 'files0-from=', 'total=', ...HELP] }), operands: 'read', reads: ['files0-from'] })],
  ['nl', simple({ spec: argSpec({ short: 'b:d:f:h:i:l:n:ps:v:w:', long: [...HELP] }), operands: 'read' })],
  ['od', simple({ spec: argSpec({ short: 'A:j:N:S:t:w::bcdfiloxsv', long: [...HELP] }), operands: 'read' })],
  ['hexdump', simple({ spec: argSpec({ short: 'e:f:n:s:bcCdovx', long: [...HELP] }), operands: 'read', reads: ['f'] })],
  ['hd', simple({ spec: argSpec({ short: 'e:f:n:s:bcCdovx', long: [...HELP] }), operands: 'read', reads: ['f'] })],
  ['strings', simple({ spec: argSpec({ short: 'afdwsn:t:e:T:', long: ['all', 'bytes=/n', 'radix=/t', 'encoding=/e', 'target=/T', ...HELP] }), operands: 'read' })],
  ['file', simple({ spec: argSpec({ short: 'bcEhiklLNnprsvzZ0e:F:f:m:P:', long: ['files-from=/f', 'magic-file=/m', 'separator=/F', ...HELP] }), operands: 'read', reads: ['f', 'm'] })],
  ['stat', simple({ spec: argSpec({ short: 'LfctZc:', long: ['format=/c', 'printf=', 'dereference', 'file-system', 'terse', 'cached=', ...HELP] }), operands: 'read' })],
  ...['md5sum', 'sha1sum', 'sha224sum', 'sha256sum', 'sha384sum', 'sha512sum', 'b2sum', 'cksum', 'sum', 'shasum'].map((n): [string, FxModel] => [
    n,
    simple({ spec: argSpec({ short: 'bctwzra:l:', long: ['binary', 'check', 'tag', 'text', 'warn', 'zero', 'quiet', 'status', 'strict', 'ignore-missing', 'algorithm=/a', 'length=/l', 'base64', 'raw', 'untagged', ...HELP] }), operands: 'read' }),
  ]),
  ...['base64', 'base32', 'basenc'].map((n): [string, FxModel] => [n, simple({ spec: argSpec({ short: 'diw:', long: ['decode', 'ignore-garbage', 'wrap=/w', ...HELP] }), operands: 'read' })]),
  ['cut', simple({ spec: argSpec({ short: 'b:c:d:f:nsz', long: ['bytes=/b', 'characters=/c', 'delimiter=/d', 'fields=/f', 'complement', 'only-delimited', 'output-delimiter=', 'zero-terminated', ...HELP] }), operands: 'read' })],
  [
    'sort',
    simple({
      spec: argSpec({
        short: 'bdfgiMhnRrVcCmsuzk:o:S:t:T:',
        long: ['ignore-leading-blanks', 'dictionary-order', 'ignore-case', 'general-numeric-sort', 'ignore-nonprinting', 'month-sort', 'human-numeric-sort', 'numeric-sort', 'random-sort', 'random-source=', 'reverse', 'sort=', 'version-sort', 'batch-size=', 'check=?', 'compress-program=', 'debug', 'files0-from=', 'key=/k', 'merge', 'output=/o', 'stable', 'buffer-size=/S', 'field-separator=/t', 'temporary-directory=/T', 'parallel=', 'unique', 'zero-terminated', ...HELP],
      }),
      operands: 'read',
      reads: ['random-source', 'files0-from'],
      writes: ['o', 'T'],
      execs: ['compress-program'],
    }),
  ],
  ['comm', simple({ spec: argSpec({ short: '123iz', long: ['check-order', 'nocheck-order', 'output-delimiter=', 'total', 'zero-terminated', ...HELP] }), operands: 'read' })],
  ['join', simple({ spec: argSpec({ short: '1:2:a:e:ij:o:t:v:z', long: ['ignore-case', 'check-order', 'nocheck-order', 'header', 'zero-terminated', ...HELP] }), operands: 'read' })],
  ['paste', simple({ spec: argSpec({ short: 'd:sz', long: ['delimiters=/d', 'serial', 'zero-terminated', ...HELP] }), operands: 'read' })],
  ['column', simple({ spec: argSpec({ short: 'c:s:o:tnR:H:O:T:W:xeJN:l:dLr:E:', long: [...HELP] }), operands: 'read' })],
  ['fold', simple({ spec: argSpec({ short: 'bsw:', long: ['bytes', 'spaces', 'width=/w', ...HELP] }), operands: 'read' })],
  ['fmt', simple({ spec: argSpec({ short: 'cp:stuw:g:', long: ['crown-margin', 'prefix=/p', 'split-only', 'tagged-paragraph', 'uniform-spacing', 'width=/w', 'goal=/g', ...HELP] }), operands: 'read' })],
  ['pr', simple({ spec: argSpec({ short: 'abcdD:e::fFh:i::JlL:mn::N:o:rsStTvw:W:', long: [...HELP] }), operands: 'read' })],
  ['rev', simple({ spec: argSpec({ short: '0', long: [...HELP] }), operands: 'read' })],
  ['expand', simple({ spec: argSpec({ short: 'it:', long: ['initial', 'tabs=/t', ...HELP] }), operands: 'read' })],
  ['unexpand', simple({ spec: argSpec({ short: 'at:', long: ['all', 'first-only', 'tabs=/t', ...HELP] }), operands: 'read' })],
  ['tsort', simple({ spec: argSpec({ long: [...HELP] }), operands: 'read' })],
  ['shuf', simple({ spec: argSpec({ short: 'ei:n:o:rz', long: ['echo/e', 'input-range=/i', 'head-count=/n', 'output=/o', 'random-source=', 'repeat', 'zero-terminated', ...HELP] }), operands: 'read', skipUnless: [], reads: ['random-source'], writes: ['o'] })],
  ['look', simple({ spec: argSpec({ short: 'bdft:', long: [...HELP] }), operands: 'read', skip: 1 })],
  [
    'diff',
    simple({
      spec: argSpec({
        short: 'aBbcC:dD:eEF:fhHiI:lL:NnpPqrsS:tTuU:vwW:x:X:yZ0123456789',
        long: ['normal', 'brief', 'report-identical-files', 'context=?', 'unified=?', 'ed', 'rcs', 'side-by-side', 'width=/W', 'left-column', 'suppress-common-lines', 'show-c-function', 'show-function-line=/F', 'label=/L', 'expand-tabs', 'initial-tab', 'tabsize=', 'suppress-blank-empty', 'paginate', 'recursive/r', 'no-dereference', 'new-file', 'unidirectional-new-file', 'ignore-file-name-case', 'no-ignore-file-name-case', 'exclude=/x', 'exclude-from=/X', 'starting-file=/S', 'from-file=', 'to-file=', 'ignore-case', 'ignore-tab-expansion', 'ignore-trailing-space', 'ignore-space-change', 'ignore-all-space', 'ignore-blank-lines', 'ignore-matching-lines=/I', 'text', 'strip-trailing-cr', 'ifdef=/D', 'old-group-format=', 'new-group-format=', 'unchanged-group-format=', 'changed-group-format=', 'line-format=', 'old-line-format=', 'new-line-format=', 'unchanged-line-format=', 'minimal', 'horizon-lines=', 'speed-large-files', 'color=?', 'palette=', ...HELP],
      }),
      operands: 'read',
      reads: ['X', 'from-file', 'to-file'],
      recursive: ['r'],
    }),
  ],
  ['cmp', simple({ spec: argSpec({ short: 'bi:ln:s', long: ['print-bytes', 'ignore-initial=/i', 'verbose', 'bytes=/n', 'quiet', 'silent', ...HELP] }), operands: 'read' })],
  [
    'grep',
    simple({
      spec: argSpec({
        short: 'EFGPiywxvcLloqsbnHhZTzrRaIUVue:f:m:A:B:C:d:D:',
        long: ['extended-regexp', 'fixed-strings', 'basic-regexp', 'perl-regexp', 'regexp=/e', 'file=/f', 'ignore-case', 'no-ignore-case', 'word-regexp', 'line-regexp', 'null-data', 'no-messages', 'invert-match', 'max-count=/m', 'byte-offset', 'line-number', 'line-buffered', 'with-filename', 'no-filename', 'label=', 'only-matching', 'quiet', 'silent', 'binary-files=', 'text', 'directories=/d', 'devices=/D', 'recursive/r', 'dereference-recursive/R', 'include=', 'exclude=', 'exclude-from=', 'exclude-dir=', 'files-without-match', 'files-with-matches', 'count', 'initial-tab', 'null', 'before-context=/B', 'after-context=/A', 'context=/C', 'color=?', 'colour=?', 'binary', ...HELP],
      }),
      operands: 'read',
      skip: 1,
      skipUnless: ['e', 'f'],
      reads: ['f', 'exclude-from'],
      recursive: ['r', 'R'],
      names: ['include'],
      defaultOperand: '.',
      defaultWhen: ['r', 'R'],
    }),
  ],
  [
    'rg',
    simple({
      spec: argSpec({
        short: 'abcFhHiIlLnNoOpqsSuUvVwxz0.e:f:g:t:T:A:B:C:j:m:M:r:E:d:',
        long: ['regexp=/e', 'file=/f', 'glob=/g', 'iglob=', 'type=/t', 'type-not=/T', 'type-add=', 'type-clear=', 'after-context=/A', 'before-context=/B', 'context=/C', 'threads=/j', 'max-count=/m', 'max-columns=/M', 'replace=/r', 'encoding=/E', 'max-depth=/d', 'maxdepth=/d', 'max-filesize=', 'ignore-file=', 'colors=', 'color=', 'sort=', 'sortr=', 'path-separator=', 'pre=', 'pre-glob=', 'context-separator=', 'field-match-separator=', 'field-context-separator=', 'dfa-size-limit=', 'regex-size-limit=', 'engine=', 'hostname-bin=', 'hyperlink-format=', 'files', 'type-list', 'hidden', 'no-ignore', 'follow/L', 'json', 'no-heading', 'heading', 'vimgrep', 'count-matches', 'files-with-matches', 'files-without-match', 'fixed-strings', 'ignore-case', 'smart-case', 'case-sensitive', 'invert-match', 'line-number', 'no-line-number', 'only-matching', 'passthru', 'pcre2', 'search-zip', 'stats', 'trim', 'unrestricted', 'word-regexp', 'line-regexp', 'multiline', 'multiline-dotall', 'null', 'null-data', 'one-file-system', 'quiet', 'no-messages', 'debug', 'trace', 'text', 'binary', 'crlf', 'column', 'byte-offset', 'with-filename', 'no-filename', 'no-config', 'no-ignore-vcs', 'no-ignore-dot', 'no-ignore-global', 'no-ignore-parent', 'no-ignore-files', 'no-ignore-exclude', 'no-require-git', 'sort-files', 'pretty', 'include-zero', 'glob-case-insensitive', ...HELP],
      }),
      operands: 'read',
      skip: 1,
      skipUnless: ['e', 'f', 'files', 'type-list'],
      reads: ['f', 'ignore-file'],
      execs: ['pre', 'hostname-bin'],
      recursive: 'always',
      names: ['g', 'iglob'],
      defaultOperand: '.',
    }),
  ],
  [
    'ls',
    simple({
      spec: argSpec({
        short: 'aAbBcCdDfFgGhHiklLmnNopqQrRsStTuUvwxXZ1I:T:w:',
        long: ['all', 'almost-all', 'author', 'escape', 'block-size=', 'ignore-backups', 'color=?', 'colour=?', 'directory', 'dired', 'classify=?', 'file-type', 'format=', 'full-time', 'group-directories-first', 'no-group', 'human-readable', 'si', 'dereference-command-line', 'dereference-command-line-symlink-to-dir', 'hide=', 'hyperlink=?', 'indicator-style=', 'inode', 'ignore=/I', 'kibibytes', 'dereference', 'numeric-uid-gid', 'literal', 'hide-control-chars', 'show-control-chars', 'quote-name', 'quoting-style=', 'reverse', 'recursive/R', 'size', 'sort=', 'time=', 'time-style=', 'tabsize=/T', 'width=/w', 'context', 'zero', ...HELP],
      }),
      operands: 'read',
      recursive: ['R'],
    }),
  ],
  ['tree', simple({ spec: argSpec({ short: 'adlfxACDFgiJnNpqQrsStuUvhXL:P:I:o:H:T:', long: ['charset=', 'filelimit=', 'timefmt=', 'sort=', 'dirsfirst', 'filesfirst', 'noreport', 'prune', 'matchdirs', 'fromfile', 'gitignore', 'du', 'si', 'inodes', 'device', 'info', 'infofile=', 'metafirst', 'hintro=', 'houtro=', 'nolinks', 'ignore-case', ...HELP] }), operands: 'read', writes: ['o'], recursive: 'always', defaultOperand: '.' })],
  ['du', simple({ spec: argSpec({ short: 'abBcDd:hHklLmPsSt:xX:0', long: ['null', 'all', 'apparent-size', 'block-size=/B', 'bytes', 'total', 'dereference-args', 'max-depth=/d', 'files0-from=', 'human-readable', 'inodes', 'dereference', 'count-links', 'no-dereference', 'separate-dirs', 'si', 'summarize', 'threshold=/t', 'time=?', 'time-style=', 'exclude-from=/X', 'exclude=', 'one-file-system', ...HELP] }), operands: 'read', reads: ['X', 'files0-from'], recursive: 'always', defaultOperand: '.' })],
  ['df', simple({ spec: argSpec({ short: 'aB:hHiklPt:Tx:', long: ['all', 'block-size=/B', 'human-readable', 'si', 'inodes', 'local', 'no-sync', 'output=?', 'portability', 'sync', 'total', 'type=/t', 'print-type', 'exclude-type=/x', ...HELP] }), operands: 'read' })],
  ...['realpath', 'readlink'].map((n): [string, FxModel] => [n, simple({ spec: argSpec({ short: 'eEfmLnPqsvz', long: ['canonicalize', 'canonicalize-existing', 'canonicalize-missing', 'logical', 'physical', 'quiet', 'relative-to=', 'relative-base=', 'strip', 'no-symlinks', 'zero', 'no-newline', 'silent', 'verbose', ...HELP] }), operands: 'read' })]),
  ['getfacl', simple({ spec: argSpec({ short: 'acdeEnpPRstL', long: [...HELP] }), operands: 'read', recursive: ['R'] })],
  ['getcap', simple({ spec: argSpec({ short: 'rvhn', long: [...HELP] }), operands: 'read', recursive: ['r'] })],
  ['lsattr', simple({ spec: argSpec({ short: 'RVadlpv', long: [...HELP] }), operands: 'read', recursive: ['R'] })],
  ['iconv', simple({ spec: argSpec({ short: 'f:t:clso:', long: ['from-code=/f', 'to-code=/t', 'list', 'silent', 'output=/o', ...HELP] }), operands: 'read', writes: ['o'] })],
  ['sha256', simple({ spec: argSpec({ short: 'qrs:ct', long: [] }), operands: 'read' })],
  ['md5', simple({ spec: argSpec({ short: 'qrs:ct', long: [] }), operands: 'read' })],
  // Writers.
  ['rm', simple({ spec: argSpec({ short: 'dfiIrRv', long: ['force/f', 'interactive=?', 'one-file-system', 'no-preserve-root', 'preserve-root=?', 'recursive/r', 'dir/d', 'verbose/v', ...HELP] }), operands: 'delete', recursive: ['r', 'R'] })],
  ['unlink', simple({ spec: argSpec({ long: [...HELP] }), operands: 'delete' })],
  ['truncate', simple({ spec: argSpec({ short: 'cor:s:', long: ['no-create/c', 'io-blocks/o', 'reference=/r', 'size=/s', ...HELP] }), operands: 'write', reads: ['r'] })],
  ['touch', simple({ spec: argSpec({ short: 'acd:fhmr:t:', long: ['no-create/c', 'date=/d', 'no-dereference/h', 'reference=/r', 'time=', ...HELP] }), operands: 'write', reads: ['r'] })],
  ['tee', simple({ spec: argSpec({ short: 'aip', long: ['append/a', 'ignore-interrupts/i', 'output-error=?', ...HELP] }), operands: 'write' })],
  ['mkfifo', simple({ spec: argSpec({ short: 'm:Z', long: ['mode=/m', 'context=?', ...HELP] }), operands: 'write' })],
  ['setfacl', simple({ spec: argSpec({ short: 'bkndRLPtvm:M:x:X:', long: ['modify=/m', 'modify-file=/M', 'remove=/x', 'remove-file=/X', 'set=', 'set-file=', 'remove-all/b', 'remove-default/k', 'recursive/R', 'restore=', 'test', 'physical', 'logical', 'mask', 'no-mask', ...HELP] }), operands: 'write', reads: ['M', 'X', 'set-file', 'restore'], recursive: ['R'] })],
]);
