/**
 * The `git` model: what a git command reads, writes, deletes and reaches, and every way it can
 * run a command it was handed: `-c` configuration (`core.sshCommand`, `alias.x=!sh`,
 * `core.hooksPath`, filters, drivers, helpers), `git config` writing such a setting for a later
 * call, `--upload-pack`/`--receive-pack`/`--exec`, `ext::` remotes, `submodule foreach`,
 * `bisect run`, `rebase -x`, `difftool -x`, `grep -O`, `filter-branch` filters, editors, and the
 * repository's hooks on commit, checkout, merge, rebase, am and push.
 *
 * Repository-wide changes (`reset --hard`, `checkout <branch>`, `pull`) are reported as a
 * recursive write of the working directory: the model assumes git runs at the top of the work
 * tree (or is pointed there with `-C`).
 *
 * Internal to the shell effects; not part of the public surface.
 */
import { joined, subWord, withValue, type FxCall, type FxModel } from './shell-fx-api.js';
import { syntheticWord, type WordFacts } from './shell-words.js';

/** Configuration keys that only change how git looks or which commit it makes. */
const HARMLESS_KEYS = new Set([
  'user.name', 'user.email', 'user.signingkey', 'author.name', 'author.email', 'committer.name', 'committer.email',
  'core.autocrlf', 'core.eol', 'core.filemode', 'core.ignorecase', 'core.quotepath', 'core.whitespace', 'core.safecrlf',
  'core.symlinks', 'core.precomposeunicode', 'core.longpaths', 'core.compression', 'core.abbrev', 'core.commentchar',
  'core.commentstring', 'core.untrackedcache', 'core.splitindex', 'core.preloadindex', 'core.logallrefupdates', 'core.bare',
  'core.excludesfile', 'core.checkstat', 'core.trustctime', 'core.sparsecheckout',
  'init.defaultbranch', 'pull.rebase', 'pull.ff', 'pull.twohead', 'push.default', 'push.autosetupremote', 'push.followtags',
  'fetch.prune', 'fetch.prunetags', 'fetch.parallel', 'fetch.writecommitgraph', 'merge.conflictstyle', 'merge.ff', 'merge.log',
  'merge.renames', 'merge.autostash', 'rebase.autostash', 'rebase.autosquash', 'rebase.updaterefs', 'diff.algorithm',
  'diff.colormoved', 'diff.renames', 'diff.mnemonicprefix', 'diff.noprefix', 'diff.context', 'diff.indentheuristic',
  'log.date', 'log.decorate', 'log.follow', 'log.abbrevcommit', 'branch.autosetupmerge', 'branch.autosetuprebase', 'branch.sort',
  'tag.sort', 'commit.gpgsign', 'tag.gpgsign', 'commit.verbose', 'commit.cleanup', 'help.autocorrect', 'gc.auto', 'gc.autodetach',
  'rerere.enabled', 'rerere.autoupdate', 'column.ui', 'feature.manyfiles', 'index.version', 'pack.threads', 'protocol.version',
  'submodule.recurse', 'status.short', 'status.branch', 'status.showuntrackedfiles', 'status.submodulesummary', 'format.pretty',
  'credential.usehttppath', 'http.sslverify', 'http.postbuffer', 'http.lowspeedlimit', 'http.lowspeedtime', 'advice.detachedhead',
  'maintenance.auto', 'checkout.defaultremote', 'clone.defaultremotename', 'safe.bareRepository', 'transfer.fsckobjects',
]);
const HARMLESS_PREFIXES = ['color.', 'advice.', 'i18n.', 'status.', 'blame.', 'grep.', 'interactive.singlekey', 'am.', 'apply.whitespace'];

/** Keys whose value is a command git runs (or that enables one: `protocol.allow`). */
const COMMAND_KEYS = new Set([
  'core.sshcommand', 'core.pager', 'core.editor', 'core.askpass', 'core.gitproxy', 'core.fsmonitor', 'sequence.editor', 'diff.external',
  'gpg.program', 'uploadpack.packobjectshook', 'web.browser', 'interactive.difffilter', 'credential.helper', 'sendemail.smtpserver',
  'sendemail.tocmd', 'sendemail.cccmd', 'sendemail.sendmailcmd', 'ssh.variant', 'merge.tool', 'diff.tool', 'protocol.allow',
]);

/** The merge strategies built into git; any other `-s <name>` runs a `git-merge-<name>` program from PATH. */
const BUILTIN_STRATEGIES = new Set(['ort', 'recursive', 'resolve', 'octopus', 'ours', 'subtree']);

/** How a configuration value is used. */
type KeyUse = 'harmless' | 'command' | 'path' | 'destination' | 'unknown';

/** The use of configuration `key` (lower case) with `value`. */
function keyUse(key: string, value: string | null): KeyUse {
  if (HARMLESS_KEYS.has(key) || HARMLESS_PREFIXES.some((p) => key.startsWith(p))) return 'harmless';
  const parts = key.split('.');
  const section = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (section === 'alias') return value !== null && !value.startsWith('!') ? 'harmless' : 'command';
  if (section === 'branch' && (last === 'remote' || last === 'merge' || last === 'rebase' || last === 'pushremote' || last === 'description')) return 'harmless';
  if (section === 'remote' && (last === 'url' || last === 'pushurl' || last === 'proxy')) return 'destination';
  if (section === 'remote' && (last === 'fetch' || last === 'push' || last === 'tagopt' || last === 'prune' || last === 'mirror' || last === 'skipdefaultupdate')) return 'harmless';
  if ((section === 'http' || section === 'https') && last === 'proxy') return 'destination';
  if (section === 'url' && (last === 'insteadof' || last === 'pushinsteadof')) return 'destination';
  if (key === 'core.fsmonitor' && value !== null && /^(true|false|yes|no|on|off|1|0)$/i.test(value)) return 'harmless';
  if (key === 'core.hookspath' || key === 'init.templatedir' || key === 'include.path' || (section === 'includeif' && last === 'path') || key === 'core.worktree' || key === 'core.attributesfile' || key === 'safe.directory') return 'path';
  if (COMMAND_KEYS.has(key)) return 'command';
  if ((section === 'diff' && (last === 'command' || last === 'textconv')) || (section === 'merge' && last === 'driver') || (section === 'filter' && (last === 'clean' || last === 'smudge' || last === 'process'))) return 'command';
  if (section === 'credential' && last === 'helper') return 'command';
  if (section === 'gpg' && last === 'program') return 'command';
  if (section === 'pager' || ((section === 'browser' || section === 'man' || section === 'mergetool' || section === 'difftool') && (last === 'cmd' || last === 'path'))) return 'command';
  if (section === 'remote' && (last === 'uploadpack' || last === 'receivepack')) return 'command';
  if (section === 'protocol' && last === 'allow') return 'command';
  return 'unknown';
}

/** Reports one configuration setting: harmless, a command git will run, a path it loads, or a destination. */
function configSetting(call: FxCall, pair: WordFacts, via: string, later: boolean): void {
  const known = pair.value ?? pair.prefix;
  const eq = known.indexOf('=');
  const key = (eq === -1 ? known : known.slice(0, eq)).toLowerCase();
  const valueWord = eq === -1 ? syntheticWord('true') : subWord(pair, eq + 1);
  if (pair.value === null && eq === -1) {
    call.fx.exec('git', pair.text, via, 'git is given configuration only known when the line runs', false, 'runtime');
    return;
  }
  setting(call, key, valueWord, `${via} ${key}`, later);
}

function setting(call: FxCall, key: string, valueWord: WordFacts, via: string, later: boolean): void {
  const value = valueWord.value;
  const when = later ? 'a later git command runs' : 'git runs';
  switch (keyUse(key, value)) {
    case 'harmless':
      return;
    case 'command': {
      const code = value !== null && key.startsWith('alias.') ? value.slice(1) : value;
      call.fx.exec('git', code ?? valueWord.text, via, `${when} the command set in ${key}`, code !== null, 'hidden');
      if (code !== null && !key.startsWith('protocol.') && key !== 'ssh.variant' && key !== 'merge.tool' && key !== 'diff.tool') call.sink.code(code, 'bash');
      return;
    }
    case 'path':
      call.fx.exec('git', value ?? valueWord.text, via, `${when} hooks, templates or configuration from the path set in ${key}`, false, 'hidden');
      return;
    case 'destination': {
      // url.<base>.insteadOf = <prefix>: URLs that start with the prefix go to <base>, which is in the key.
      const rewrite = /^url\.(.+)\.(?:push)?insteadof$/.exec(key);
      if (rewrite !== null) {
        const base = rewrite[1] as string;
        if (base.includes('://')) call.fx.url(syntheticWord(base), `${via} ${key}`, '', 0);
        else call.fx.unknownHost(base, '', `${via} ${key}`);
      }
      if (value !== null && value.includes('://')) call.fx.url(valueWord, via, '', 0);
      else call.fx.unknownHost(value ?? valueWord.text, '', via);
      return;
    }
    default:
      call.fx.exec('git', value ?? valueWord.text, via, `${key} is not a git setting Warden models; settings can make git run commands`, false, 'hidden');
  }
}

/** A repository argument: URL, scp-style remote, `ext::` or `helper::` remote, local path, or remote name. */
function repository(call: FxCall, w: WordFacts, via: string, nameIsRemote: boolean): void {
  const v = w.value;
  if (v === null) {
    call.fx.unknownHost(w.text, '', via);
    return;
  }
  const helper = /^([A-Za-z][A-Za-z0-9+.-]*)::(.*)$/s.exec(v);
  if (helper !== null) {
    const [, transport, address] = helper as unknown as [string, string, string];
    if (transport === 'ext') {
      call.fx.exec('git', address, `${via} ext::`, 'git runs the command of an ext:: remote', true, 'hidden');
      call.sink.code(address.replace(/%S/g, 'git-upload-pack').replace(/%s/g, 'upload-pack').replace(/%G\S*/g, ''), 'bash');
    } else {
      call.fx.exec(`git-remote-${transport}`, address, `${via} ${transport}::`, `git runs the remote helper git-remote-${transport}`, false, 'hidden');
      call.fx.unknownHost(address, transport, via);
    }
    return;
  }
  if (v.includes('://')) {
    call.fx.url(w, via, '', 0);
    return;
  }
  const scp = /^(?:[^@/]+@)?(\[[^\]]+\]|[^:/]+):/.exec(v);
  if (scp !== null && !/^[A-Za-z]:[\\/]/.test(v)) {
    call.fx.host((scp[1] as string).replace(/^\[|\]$/g, ''), 22, 'ssh', via);
    return;
  }
  if (nameIsRemote && !v.includes('/') && !v.startsWith('.') && !v.startsWith('~')) {
    call.fx.unknownHost(v, '', `${via} (configured remote)`);
    return;
  }
  call.fx.path('read', w, via, true);
}

/** Options whose next word is their value, per subcommand (so operands are found correctly). */
const VALUE_OPTION_LISTS: Readonly<Record<string, readonly string[]>> = {
  '*': ['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--config-env', '--list-cmds', '--attr-source'],
  clone: ['-o', '--origin', '-b', '--branch', '-u', '--upload-pack', '--reference', '--reference-if-able', '--separate-git-dir', '--depth', '--shallow-since', '--shallow-exclude', '-j', '--jobs', '--filter', '--template', '-c', '--config', '--server-option', '--bundle-uri', '--ref-format', '--revision'],
  fetch: ['--upload-pack', '--depth', '--deepen', '--shallow-since', '--shallow-exclude', '-j', '--jobs', '--refmap', '-o', '--server-option', '--negotiation-tip', '--filter', '--recurse-submodules-default', '--submodule-prefix'],
  pull: ['--upload-pack', '--depth', '--deepen', '--shallow-since', '--shallow-exclude', '-j', '--jobs', '-o', '--server-option', '-s', '--strategy', '-X', '--strategy-option', '--refmap', '--negotiation-tip', '--cleanup'],
  push: ['--receive-pack', '--exec', '--repo', '-o', '--push-option', '--signed', '--force-with-lease', '--recurse-submodules'],
  'ls-remote': ['--upload-pack', '--sort', '-o', '--server-option'],
  commit: ['-m', '--message', '-F', '--file', '-C', '--reuse-message', '-c', '--reedit-message', '--fixup', '--squash', '--author', '--date', '-t', '--template', '--cleanup', '--trailer', '-S', '--gpg-sign', '--pathspec-from-file'],
  rebase: ['-x', '--exec', '--onto', '-s', '--strategy', '-X', '--strategy-option', '-C', '--whitespace', '--empty', '--rebase-merges'],
  difftool: ['-x', '--extcmd', '-t', '--tool'],
  archive: ['-o', '--output', '--remote', '--exec', '--format', '--prefix', '--add-file', '--add-virtual-file', '--mtime'],
  'format-patch': ['-o', '--output-directory', '--subject-prefix', '--start-number', '--suffix', '--to', '--cc', '--from', '--in-reply-to', '--base', '--signature-file', '-v', '--reroll-count', '--range-diff', '--interdiff', '--creation-factor', '--filename-max-length', '--cover-letter-format', '--description-file'],
  grep: ['-e', '-f', '-A', '-B', '-C', '--max-depth', '-m', '--max-count', '--threads', '--color'],
  config: ['-f', '--file', '--blob', '--type', '--default', '--comment', '--value', '--url'],
  tag: ['-m', '--message', '-F', '--file', '-u', '--local-user', '--cleanup', '--sort', '--format', '--contains', '--no-contains', '--points-at', '--merged', '--no-merged', '--color'],
  worktree: ['-b', '-B', '--reason', '--orphan'],
  'checkout-index': ['--prefix', '--stage'],
  apply: ['--directory', '-p', '-C', '--exclude', '--include', '--whitespace', '--build-fake-ancestor'],
  submodule: ['-b', '--branch', '--name', '--reference', '--depth', '-j', '--jobs'],
  clean: ['-e', '--exclude'],
  rm: ['--pathspec-from-file'],
  add: ['--chmod', '--pathspec-from-file'],
  checkout: ['-b', '-B', '--orphan', '--conflict', '--pathspec-from-file'],
  switch: ['-c', '--create', '-C', '--force-create', '--orphan', '--conflict'],
  restore: ['-s', '--source', '--conflict', '--pathspec-from-file'],
  reset: ['--pathspec-from-file'],
  merge: ['-m', '-F', '--file', '-s', '--strategy', '-X', '--strategy-option', '--cleanup', '--into-name'],
  log: ['--output', '-n', '--max-count', '--skip', '--since', '--after', '--until', '--before', '--author', '--committer', '--grep', '--format', '--pretty', '--date', '-L', '-G', '-S'],
  diff: ['--output', '-U', '--unified', '--inter-hunk-context', '--src-prefix', '--dst-prefix', '--line-prefix', '-O', '--relative', '--diff-filter', '--word-diff-regex', '--color-moved-ws', '--anchored', '-G', '-S'],
  show: ['--output', '--format', '--pretty', '-U', '--unified'],
  bundle: [],
  init: ['--template', '--separate-git-dir', '-b', '--initial-branch', '--object-format', '--ref-format', '--shared'],
  stash: ['-m', '--message', '--pathspec-from-file'],
  notes: ['-m', '--message', '-F', '--file', '-C', '--reuse-message', '-c', '--reedit-message', '--ref', '-s', '--strategy'],
  blame: ['--contents', '-L', '-S', '--ignore-rev', '--ignore-revs-file', '--date', '--abbrev'],
  annotate: ['--contents', '-L', '-S', '--ignore-rev', '--ignore-revs-file', '--date', '--abbrev'],
  'cherry-pick': ['-m', '--mainline', '--strategy', '-X', '--strategy-option', '--cleanup'],
  revert: ['-m', '--mainline', '--strategy', '-X', '--strategy-option', '--cleanup'],
  'filter-branch': ['--setup', '--subdirectory-filter', '--env-filter', '--tree-filter', '--index-filter', '--parent-filter', '--msg-filter', '--commit-filter', '--tag-name-filter', '--prune-empty', '--original', '-d', '--state-branch'],
};

const VALUE_OPTIONS: ReadonlyMap<string, ReadonlySet<string>> = new Map(Object.entries(VALUE_OPTION_LISTS).map(([k, v]) => [k, new Set(v)]));
const NO_VALUES: ReadonlySet<string> = new Set();

/** Options (`--name` or `--name=value` or `-x`) of `words[from..]`, with values, and the operands. */
function split(words: readonly WordFacts[], from: number, sub: string): { options: Map<string, WordFacts[]>; operands: WordFacts[]; afterDashes: WordFacts[] } {
  const takes = VALUE_OPTIONS.get(sub) ?? NO_VALUES;
  const options = new Map<string, WordFacts[]>();
  const operands: WordFacts[] = [];
  const afterDashes: WordFacts[] = [];
  const add = (k: string, v: WordFacts): void => {
    const list = options.get(k) ?? [];
    list.push(v);
    options.set(k, list);
  };
  for (let i = from; i < words.length; i++) {
    const w = words[i] as WordFacts;
    const v = w.value;
    if (v === '--') {
      for (let j = i + 1; j < words.length; j++) afterDashes.push(words[j] as WordFacts);
      break;
    }
    if (v === null || !v.startsWith('-') || v === '-') {
      operands.push(w);
      continue;
    }
    const eq = v.indexOf('=');
    if (v.startsWith('--') && eq !== -1) {
      add(v.slice(0, eq), subWord(w, eq + 1));
      continue;
    }
    if (takes.has(v)) {
      add(v, words[i + 1] ?? syntheticWord(''));
      i++;
      continue;
    }
    if (!v.startsWith('--') && v.length > 2) {
      // A cluster of short options, as git's parse-options reads it: `-am msg` is `-a -m msg`,
      // `-qu<cmd>` is `-q -u<cmd>`; the first letter that takes a value takes the rest of the word
      // (`-mwip`) or, when nothing is left, the next word.
      let j = 1;
      for (; j < v.length; j++) {
        const short = `-${v[j] as string}`;
        if (!takes.has(short)) {
          add(short, syntheticWord(''));
          continue;
        }
        if (j + 1 < v.length) add(short, subWord(w, j + 1));
        else add(short, words[++i] ?? syntheticWord(''));
        break;
      }
      continue;
    }
    add(v, syntheticWord(''));
  }
  return { options, operands, afterDashes };
}

const HOOKS: Readonly<Record<string, string>> = {
  commit: 'pre-commit, prepare-commit-msg, commit-msg, post-commit',
  merge: 'pre-merge-commit, prepare-commit-msg, commit-msg, post-merge',
  pull: 'pre-merge-commit, post-merge, post-checkout, post-rewrite',
  checkout: 'post-checkout',
  switch: 'post-checkout',
  rebase: 'pre-rebase, post-checkout, post-rewrite',
  am: 'applypatch-msg, pre-applypatch, post-applypatch, post-rewrite',
  'cherry-pick': 'prepare-commit-msg, commit-msg, post-commit',
  revert: 'prepare-commit-msg, commit-msg, post-commit',
  push: 'pre-push',
  worktree: 'post-checkout',
  gc: 'pre-auto-gc',
  bisect: 'post-checkout',
};

/** Subcommands that only read the repository. */
const READ_ONLY = new Set([
  'status', 'log', 'diff', 'show', 'blame', 'annotate', 'ls-files', 'ls-tree', 'rev-parse', 'rev-list', 'describe', 'shortlog', 'cat-file',
  'reflog', 'whatchanged', 'name-rev', 'merge-base', 'for-each-ref', 'show-ref', 'count-objects', 'fsck', 'var', 'help', 'version',
  'check-ignore', 'check-attr', 'check-ref-format', 'cherry', 'range-diff', 'diff-tree', 'diff-files', 'diff-index', 'verify-commit',
  'verify-tag', 'verify-pack', 'show-branch', 'request-pull', 'grep', 'merge-tree', 'hash-object', 'column', 'stripspace', 'get-tar-commit-id',
  'interpret-trailers', 'mailinfo', 'mailsplit', 'patch-id', 'unpack-file', 'show-index', 'for-each-repo', 'diagnose',
]);
/** Read-only subcommands that print the contents of a `<rev>:<path>` operand (`git show HEAD:.env`). */
const REVISION_READERS = new Set(['show', 'cat-file', 'diff', 'log', 'blame', 'annotate', 'whatchanged', 'diff-tree', 'grep', 'unpack-file', 'range-diff']);

/**
 * `<rev>:<path>`, `:<path>` and `:<stage>:<path>` operands name a file's contents in a commit or
 * the index: reported as reads of that path (relative to the top of the work tree, where the model
 * assumes git runs). The part after the first colon and the part after the last are both read, so
 * a revision that itself holds a colon (`:/fix: typo`, `HEAD^{/a:b}:x`) cannot hide the path.
 */
function revisionPaths(call: FxCall, operands: readonly WordFacts[], via: string): void {
  for (const w of operands) {
    const v = w.value;
    if (v === null) continue;
    const first = v.indexOf(':');
    if (first === -1 || v.includes('://')) continue;
    const afterFirst = v.slice(first + 1).replace(/^[0-3]:/, '');
    const afterLast = v.slice(v.lastIndexOf(':') + 1);
    for (const path of new Set([afterFirst, afterLast])) {
      if (path === '' || path.startsWith('/')) continue;
      call.fx.path('read', withValue(w, path.replace(/^\.\//, '')), `${via} <rev>:<path>`, true);
    }
  }
}

/** Subcommands that change the working tree (reported as a recursive write of it). */
const TREE_WRITERS = new Set(['checkout', 'switch', 'restore', 'reset', 'merge', 'pull', 'rebase', 'cherry-pick', 'revert', 'stash', 'am', 'apply', 'bisect', 'sparse-checkout', 'read-tree', 'checkout-index']);
/** Subcommands that change only what is under `.git`. */
const GIT_DIR_WRITERS = new Set(['commit', 'add', 'branch', 'tag', 'notes', 'update-ref', 'update-index', 'gc', 'prune', 'pack-refs', 'repack', 'replace', 'fetch', 'remote', 'maintenance', 'symbolic-ref', 'mktag', 'mktree', 'commit-tree', 'write-tree', 'unpack-objects', 'index-pack', 'prune-packed', 'multi-pack-index', 'commit-graph', 'rerere', 'fast-import', 'worktree', 'lfs', 'push', 'ls-remote']);

/** `git [global options] subcommand ...`. */
const git: FxModel = (call) => {
  const words = call.words;
  const dirs: WordFacts[] = [];
  let changesDirectory = false;
  let i = 1;
  for (; i < words.length; i++) {
    const w = words[i] as WordFacts;
    const v = w.value;
    if (v === null) {
      call.fx.exec('git', w.text, 'git', 'a git option or subcommand is only known when the line runs', false, 'runtime');
      call.fx.unknownArguments(call, i, 'git');
      return;
    }
    if (!v.startsWith('-')) break;
    if (v === '-C') {
      dirs.push(words[++i] ?? syntheticWord('.'));
      changesDirectory = true;
    }
    else if (v === '-c') configSetting(call, words[++i] ?? syntheticWord(''), 'git -c', false);
    else if (v === '--config-env' || v.startsWith('--config-env=')) {
      const pair = v.includes('=') ? v.slice(v.indexOf('=') + 1) : (words[++i]?.value ?? '');
      call.fx.exec('git', pair, 'git --config-env', 'git takes configuration from an environment variable', false, 'hidden');
    } else if (v.startsWith('--exec-path=')) {
      call.fx.exec('git', v.slice(12), 'git --exec-path', 'git runs its subcommands from the given directory', false, 'hidden');
    } else if (v === '--git-dir' || v === '--work-tree' || v === '--namespace' || v === '--super-prefix' || v === '--list-cmds' || v === '--attr-source') {
      if (v === '--work-tree') dirs.push(words[i + 1] ?? syntheticWord('.'));
      if (v === '--git-dir') otherRepository(call, words[i + 1] ?? syntheticWord(''));
      i++;
    } else if (v.startsWith('--work-tree=')) dirs.push(subWord(w, 12));
    else if (v.startsWith('--git-dir=')) otherRepository(call, subWord(w, 10));
    else if (v === '--version' || v === '-v' || v === '--help' || v === '-h' || v === '--html-path' || v === '--man-path' || v === '--info-path' || v === '--exec-path') return;
  }
  const subWordFacts = words[i];
  if (subWordFacts === undefined) return;
  const sub = subWordFacts.value as string;
  const run = (): void => {
    // `-C <dir>`: git reads that repository's configuration and hooks, which can name commands
    // (core.fsmonitor runs on `status`); reported as the project code of that directory.
    if (changesDirectory) {
      call.fx.pathText('read', '.git/config', 'git -C');
      call.fx.exec('git', '.git/config', 'git -C', "git reads the configuration and hooks of the repository it is pointed at, which can make it run commands (core.fsmonitor, core.hooksPath)", false, 'project');
    }
    subcommand(call, sub, i + 1);
  };
  const nest = (k: number): void => {
    if (k >= dirs.length) run();
    else call.fx.inDirectory(dirs[k] as WordFacts, () => nest(k + 1));
  };
  nest(0);
};

/** `--template`: git copies the template's hooks (and configuration) into the new repository. */
function templateWrites(call: FxCall, dir: WordFacts, via: string): void {
  call.fx.inDirectory(dir, () => {
    call.fx.pathText('write', '.git/hooks', `${via} --template`, true);
    call.fx.pathText('write', '.git/config', `${via} --template`);
  });
}

/** `--git-dir`: git reads that repository's configuration, which can name commands (core.fsmonitor, hooks). */
function otherRepository(call: FxCall, dir: WordFacts): void {
  call.fx.exec('git', dir.value ?? dir.text, 'git --git-dir', 'git reads the configuration of the given repository, which can make it run commands (core.fsmonitor, core.hooksPath)', false, 'hidden');
}

function editor(call: FxCall, sub: string): void {
  call.fx.exec('git', 'core.editor', 'editor', `git ${sub} starts an editor for the message`, false, 'hidden');
}

function hooks(call: FxCall, sub: string, extra = ''): void {
  const names = HOOKS[sub];
  if (names === undefined) return;
  call.fx.exec('git', `.git/hooks: ${names}${extra}`, 'hook', `git ${sub} runs the repository's hooks (${names}) when they exist; a hook is a file anyone who can write the repository controls`, false, 'hook');
}

function subcommand(call: FxCall, sub: string, from: number): void {
  const words = call.words;
  const { options, operands, afterDashes } = split(words, from, sub);
  const opt = (...names: string[]): WordFacts[] => names.flatMap((n) => options.get(n) ?? []);
  const flag = (...names: string[]): boolean => names.some((n) => options.has(n));
  const via = `git ${sub}`;
  // Options that run a command, on whichever subcommand accepts them.
  for (const w of opt('--upload-pack', '--receive-pack', '--exec', ...(sub === 'clone' || sub === 'fetch' || sub === 'pull' || sub === 'ls-remote' ? ['-u'] : []))) {
    call.fx.exec('git', w.value ?? w.text, `${via} ${sub === 'push' || sub === 'archive' ? '--exec' : '--upload-pack'}`, `${via} runs the given program (on the remote, or here for a local repository)`, w.value !== null, 'hidden');
    call.sink.code(w.value, 'bash');
  }
  if (sub === 'clone' || sub === 'init') {
    for (const t of opt('--template')) call.fx.exec('git', t.value ?? t.text, `${via} --template`, `${via} copies hooks from the template directory`, false, 'hook');
  }
  if (sub === 'clone') for (const c of opt('-c', '--config')) configSetting(call, c, 'git clone -c', false);
  for (const o of opt('--output', ...(sub === 'archive' ? ['-o'] : []))) call.fx.path('write', o, via);
  // The file names pathspecs; git prints the ones that match nothing, so the file's text is shown.
  for (const f of opt('--pathspec-from-file')) if (f.value !== '-') call.fx.path('read', f, `${via} --pathspec-from-file`);
  if (sub === 'merge' || sub === 'pull' || sub === 'rebase' || sub === 'cherry-pick' || sub === 'revert') {
    for (const st of opt(...(sub === 'cherry-pick' || sub === 'revert' ? [] : ['-s']), '--strategy')) {
      if (st.value !== null && BUILTIN_STRATEGIES.has(st.value)) continue;
      call.fx.exec('git', `git-merge-${st.value ?? st.text}`, `${via} --strategy`, `${via} runs the merge strategy program git-merge-${st.value ?? st.text} from PATH (only ${[...BUILTIN_STRATEGIES].join(', ')} are built in)`, false, 'program');
    }
  }
  if (flag('--ext-diff')) call.fx.exec('git', 'diff.external', `${via} --ext-diff`, `${via} runs the configured external diff program`, false, 'hidden');
  if (flag('--textconv') && sub !== 'cat-file') call.fx.exec('git', 'diff.<driver>.textconv', `${via} --textconv`, `${via} runs the textconv programs the configuration names`, false, 'hidden');
  switch (sub) {
    case 'clone': {
      const [repo, dir] = operands;
      if (repo !== undefined) repository(call, repo, via, false);
      if (flag('--recurse-submodules', '--recursive')) call.fx.unknownHost('<submodule URLs>', '', `${via} --recurse-submodules`);
      const target = dir ?? (repo?.value !== null && repo?.value !== undefined ? syntheticWord(repo.value.replace(/\/+$/, '').replace(/\.git$/, '').split(/[/:]/).pop() ?? '.') : repo);
      if (target !== undefined) call.fx.path('write', target, via, true);
      if (target !== undefined && flag('--template')) templateWrites(call, target, via);
      if (!flag('--no-checkout', '-n') && flag('--template')) hooks(call, 'checkout');
      return;
    }
    case 'fetch':
    case 'pull':
    case 'push':
    case 'ls-remote': {
      const repo = operands[0];
      if (flag('--all', '--multiple')) call.fx.unknownHost('<all configured remotes>', '', `${via} --all`);
      else if (repo !== undefined && !(sub === 'ls-remote' && repo.value === '.')) repository(call, repo, via, true);
      else call.fx.unknownHost('<default remote>', '', `${via} (configured remote)`);
      for (const r of opt('--repo')) repository(call, r, via, true);
      if (sub === 'pull') {
        call.fx.pathText('write', '.', via, true);
        if (flag('--rebase', '-r')) hooks(call, 'rebase');
        hooks(call, 'pull');
      } else if (sub === 'push') {
        if (!flag('--no-verify')) hooks(call, 'push');
        call.fx.pathText('write', '.git', via, true);
      } else if (sub === 'fetch') call.fx.pathText('write', '.git', via, true);
      return;
    }
    case 'archive':
      for (const r of opt('--remote')) repository(call, r, via, true);
      call.fx.pathText('read', '.', via, true);
      // The operands after the tree-ish are the paths whose contents go into the archive.
      for (const p of [...operands.slice(1), ...afterDashes]) call.fx.path('read', p, via, true);
      revisionPaths(call, operands.slice(0, 1), via);
      return;
    case 'submodule': {
      const action = operands[0]?.value;
      if (action === 'foreach') {
        const cmdStart = words.findIndex((w, k) => k >= from && w.value === 'foreach') + 1;
        let k = cmdStart;
        while (words[k]?.value === '--recursive' || words[k]?.value === '-q' || words[k]?.value === '--quiet') k++;
        const code = joined(words, k);
        call.fx.exec('sh', code ?? '', 'git submodule foreach', 'git runs the command in every submodule', code !== null, 'hidden');
        call.fx.inDirectory(null, () => call.sink.code(code, 'bash'));
        return;
      }
      if (action === 'add') {
        const [, url, path] = operands;
        if (url !== undefined) repository(call, url, via, false);
        if (path !== undefined) call.fx.path('write', path, via, true);
      } else if (action === 'update' || action === 'sync' || action === 'init' || action === undefined || action === 'status' || action === 'summary') {
        if (action === 'update') {
          call.fx.unknownHost('<submodule URLs>', '', `${via} update`);
          hooks(call, 'checkout');
        }
      }
      call.fx.pathText('write', '.', via, true);
      return;
    }
    case 'bisect': {
      if (operands[0]?.value === 'run') {
        const k = words.findIndex((w, n) => n >= from && w.value === 'run') + 1;
        // git runs the words as a command, as xargs would; it hands a first word with shell syntax
        // in it (`'curl x|sh'`) to `sh -c`, so only a plain static program name is the command itself.
        const first = words[k]?.value;
        if (first === undefined || first === null || !/^[A-Za-z0-9_./+-]+$/.test(first)) {
          call.fx.exec('sh', joined(words, k) ?? '', 'git bisect run', 'git runs the command at each bisection step', joined(words, k) !== null, 'hidden');
          if (first !== undefined && first !== null) call.sink.code(joined(words, k), 'bash');
        }
        if (k < words.length) call.sink.run(words.slice(k), { kind: 'other' }, false);
      }
      call.fx.pathText('write', '.', via, true);
      hooks(call, 'bisect');
      return;
    }
    case 'rebase':
      for (const x of opt('-x', '--exec')) {
        call.fx.exec('sh', x.value ?? x.text, 'git rebase --exec', 'git runs the command after each rebased commit', x.value !== null, 'hidden');
        call.sink.code(x.value, 'bash');
      }
      if (flag('-i', '--interactive')) call.fx.exec('git', 'sequence.editor', 'editor', 'git rebase -i starts the sequence editor', false, 'hidden');
      call.fx.pathText('write', '.', via, true);
      if (!flag('--no-verify')) hooks(call, 'rebase');
      return;
    case 'difftool':
    case 'mergetool': {
      const cmds = opt('-x', '--extcmd');
      if (cmds.length === 0) call.fx.exec('git', 'difftool/mergetool', via, `${via} runs the configured diff or merge tool`, false, 'hidden');
      for (const x of cmds) {
        call.fx.exec('sh', x.value ?? x.text, 'git difftool --extcmd', 'git runs the command for each changed file', x.value !== null, 'hidden');
        call.sink.code(x.value, 'bash');
      }
      if (sub === 'mergetool') call.fx.pathText('write', '.', via, true);
      call.fx.pathText('read', '.', via, true);
      return;
    }
    case 'filter-branch':
      for (const [k, list] of options) {
        if (!k.endsWith('-filter') && k !== '--setup') continue;
        for (const f of list) {
          call.fx.exec('sh', f.value ?? f.text, `git filter-branch ${k}`, 'git filter-branch runs the filter for every commit', f.value !== null, 'hidden');
          if (k !== '--subdirectory-filter') call.sink.code(f.value, 'bash');
        }
      }
      call.fx.pathText('write', '.', via, true);
      return;
    case 'grep':
      // -O[pager] / --open-files-in-pager[=pager]: the value is only ever attached.
      for (let k = from; k < words.length; k++) {
        const w = words[k] as WordFacts;
        const v = w.value ?? w.prefix;
        if (v === '--') break;
        const at = v.startsWith('--open-files-in-pager') ? (v.includes('=') ? v.indexOf('=') + 1 : v.length) : /^-[a-zA-Z]*O/.test(v) && !v.startsWith('--') ? v.indexOf('O') + 1 : -1;
        if (at === -1) continue;
        const pager = at >= v.length && w.value !== null ? null : subWord(w, at);
        call.fx.exec('sh', pager === null ? 'core.pager' : (pager.value ?? pager.text), 'git grep -O', 'git grep opens the matching files with the given pager', pager !== null && pager.value !== null, 'hidden');
        if (pager !== null) call.sink.code(pager.value, 'bash');
      }
      for (const f of opt('-f')) call.fx.path('read', f, via);
      call.fx.pathText('read', '.', via, true);
      for (const p of afterDashes) call.fx.path('read', p, via, true);
      // --no-index searches the named files and directories as plain files, wherever they are: every
      // operand after the pattern (the first operand, unless -e or -f gave it) is read.
      if (flag('--no-index')) for (const p of operands.slice(flag('-e', '-f') ? 0 : 1)) call.fx.path('read', p, `${via} --no-index`, true);
      revisionPaths(call, operands, via);
      return;
    case 'config':
      config(call, options, operands);
      return;
    case 'commit':
      if (!flag('-m', '--message', '-F', '--file', '-C', '--reuse-message', '--no-edit', '--fixup') || flag('-e', '--edit', '-c', '--reedit-message')) editor(call, sub);
      for (const f of opt('-F', '--file', '-t', '--template')) if (f.value !== '-') call.fx.path('read', f, via);
      hooks(call, sub, flag('--no-verify', '-n') ? ' (--no-verify skips pre-commit and commit-msg)' : '');
      call.fx.pathText('write', '.git', via, true);
      for (const p of [...operands, ...afterDashes]) call.fx.path('read', p, via, true);
      return;
    case 'tag':
      if (flag('-a', '--annotate', '-s', '--sign') && !flag('-m', '--message', '-F', '--file')) editor(call, sub);
      for (const f of opt('-F', '--file')) if (f.value !== '-') call.fx.path('read', f, via);
      call.fx.pathText('write', '.git', via, true);
      return;
    case 'add':
      if (flag('-e', '--edit')) editor(call, sub);
      for (const p of [...operands, ...afterDashes]) call.fx.path('read', p, via, true);
      call.fx.pathText('write', '.git', via, true);
      return;
    case 'rm': {
      const cached = flag('--cached');
      for (const p of [...operands, ...afterDashes]) call.fx.path(cached ? 'read' : 'delete', p, via, flag('-r'));
      call.fx.pathText('write', '.git', via, true);
      return;
    }
    case 'mv': {
      const all = [...operands, ...afterDashes];
      const dest = all[all.length - 1];
      for (const s of all.slice(0, -1)) {
        call.fx.path('delete', s, via, true);
        if (dest !== undefined && dest.value !== null && s.value !== null) call.fx.path('write', withValue(dest, `${dest.value.replace(/\/+$/, '')}/${s.value.replace(/\/+$/, '').split('/').pop() ?? ''}`), via, true);
      }
      if (dest !== undefined) call.fx.path('write', dest, via, true);
      call.fx.pathText('write', '.git', via, true);
      return;
    }
    case 'clean': {
      if (flag('-n', '--dry-run')) return;
      const paths = [...operands, ...afterDashes];
      if (paths.length === 0) call.fx.pathText('delete', '.', via, true);
      for (const p of paths) call.fx.path('delete', p, via, true);
      return;
    }
    case 'init': {
      const dir = operands[0] ?? syntheticWord('.');
      call.fx.path('write', dir, via, true);
      if (flag('--template')) templateWrites(call, dir, via);
      return;
    }
    case 'worktree': {
      const action = operands[0]?.value;
      const path = operands[1];
      if (action === 'add' && path !== undefined) {
        call.fx.path('write', path, via, true);
        hooks(call, 'worktree');
      } else if (action === 'remove' && path !== undefined) call.fx.path('delete', path, via, true);
      else if (action === 'move' && path !== undefined) {
        call.fx.path('delete', path, via, true);
        const dest = operands[2];
        if (dest !== undefined) call.fx.path('write', dest, via, true);
      }
      call.fx.pathText('write', '.git', via, true);
      return;
    }
    case 'format-patch': {
      const out = opt('-o', '--output-directory');
      if (out.length > 0) for (const o of out) call.fx.path('write', o, via, true);
      else if (!flag('--stdout')) call.fx.pathText('write', '.', `${via} (patch files)`, true);
      call.fx.pathText('read', '.', via, true);
      return;
    }
    case 'bundle':
      if (operands[0]?.value === 'create' && operands[1] !== undefined) call.fx.path('write', operands[1], via);
      else if (operands[1] !== undefined) call.fx.path('read', operands[1], via);
      call.fx.pathText('read', '.', via, true);
      return;
    case 'bugreport':
      call.fx.pathText('write', '.', `${via} (report file)`, true);
      return;
    case 'send-email':
    case 'imap-send':
    case 'instaweb':
    case 'daemon':
    case 'credential':
    case 'credential-store':
    case 'credential-cache':
    case 'hook':
    case 'svn':
    case 'p4':
    case 'cvsimport':
    case 'cvsexportcommit':
    case 'cvsserver':
    case 'archimport':
    case 'quiltimport':
    case 'web--browse':
    case 'upload-pack':
    case 'receive-pack':
    case 'shell':
      // The credential commands print or store what the credential helper holds (~/.git-credentials, a keychain).
      if (sub.startsWith('credential')) call.fx.path('read', { value: null, text: '<stored git credentials>', singleField: false, prefix: '', tilde: false, pattern: null }, via);
      call.fx.exec('git', sub, via, `${via} runs programs, hooks or helpers, or serves the network`, false, 'program');
      call.fx.unknownHost(`<${sub} destination>`, '', via);
      call.fx.unknownArguments(call, from, via);
      return;
    default:
      break;
  }
  if (TREE_WRITERS.has(sub)) {
    // A new branch from where HEAD is (`checkout -b x`, `switch -c x`) changes no file.
    if ((sub === 'checkout' || sub === 'switch') && flag('-b', '-B', '-c', '-C', '--create', '--force-create', '--orphan') && operands.length <= 1 && afterDashes.length === 0 && !flag('--orphan')) {
      call.fx.pathText('write', '.git', via, true);
      hooks(call, sub);
      return;
    }
    const paths = [...afterDashes, ...(sub === 'restore' || sub === 'apply' ? operands : [])];
    if (paths.length > 0 && (sub === 'restore' || sub === 'checkout')) for (const p of paths) call.fx.path('write', p, via, true);
    else call.fx.pathText('write', '.', `${via} (tracked files)`, true);
    if (sub === 'apply' || sub === 'am') for (const p of operands) call.fx.path('read', p, via);
    // --unsafe-paths lets a patch write outside the work tree: where is in the patch, not on the line.
    if (sub === 'apply' && flag('--unsafe-paths')) call.fx.path('write', { value: null, text: '<paths named in the patch>', singleField: false, prefix: '', tilde: false, pattern: null }, `${via} --unsafe-paths`, true);
    if (sub === 'checkout-index') for (const p of opt('--prefix')) call.fx.path('write', p, `${via} --prefix`, true);
    const noVerify = flag('--no-verify');
    if (!(sub === 'checkout' && afterDashes.length > 0) && !(sub === 'merge' && noVerify)) hooks(call, sub);
    return;
  }
  if (GIT_DIR_WRITERS.has(sub)) {
    call.fx.pathText('write', '.git', via, true);
    if (sub === 'lfs') call.fx.exec('git-lfs', sub, via, 'git runs the git-lfs program', false, 'program');
    if (sub === 'remote') {
      const action = operands[0]?.value;
      if (action === 'add' || action === 'set-url') {
        const url = operands[operands.length - 1];
        if (url !== undefined && operands.length >= 3) repository(call, url, `${via} ${action} (used by later fetch and push)`, false);
      } else if (action === 'update' || action === 'show' || action === 'prune') {
        call.fx.unknownHost(operands[1]?.value ?? '<configured remotes>', '', `${via} ${action}`);
      }
    }
    if (sub === 'gc') hooks(call, 'gc');
    // `maintenance start`/`register` add the repository to the global config and install a
    // scheduler entry (cron, systemd timers, launchd, schtasks) that runs git later; `unregister`
    // and `stop` change them back.
    if (sub === 'maintenance' && ['start', 'register', 'stop', 'unregister'].includes(operands[0]?.value ?? '')) {
      call.fx.pathText('write', '~/.gitconfig', `${via} ${operands[0]?.value ?? ''}`);
      if (operands[0]?.value === 'start' || operands[0]?.value === 'stop') call.fx.path('write', { value: null, text: '<the system scheduler>', singleField: false, prefix: '', tilde: false, pattern: null }, `${via} ${operands[0]?.value ?? ''}`);
    }
    if (sub === 'notes') for (const f of opt('-F', '--file')) if (f.value !== '-') call.fx.path('read', f, via);
    return;
  }
  if (READ_ONLY.has(sub)) {
    for (const p of afterDashes) call.fx.path('read', p, via, true);
    if (REVISION_READERS.has(sub)) revisionPaths(call, operands, via);
    // hash-object stores the files it is given (with -w) in the object database, from where a push sends them.
    if (sub === 'hash-object' && !flag('--stdin-paths')) for (const p of operands) call.fx.path('read', p, via);
    if (['diff', 'show', 'log', 'blame', 'annotate', 'cat-file', 'grep', 'range-diff', 'diff-tree', 'diff-files', 'diff-index', 'whatchanged'].includes(sub)) call.fx.pathText('read', '.', via, true);
    if (sub === 'diff' && flag('--no-index')) for (const p of operands) call.fx.path('read', p, via, true);
    // blame --contents reads the file and prints it, line by line; -S and --ignore-revs-file read lists.
    if (sub === 'blame' || sub === 'annotate') for (const f of opt('--contents', '-S', '--ignore-revs-file')) if (f.value !== '-') call.fx.path('read', f, via);
    return;
  }
  // An alias from the configuration, or a `git-<name>` program on PATH.
  call.fx.exec('git', sub, via, `git ${sub} is not a git command Warden models: an alias (which can run a shell command) or a git-${sub} program`, false, 'program');
  call.fx.unknownArguments(call, from, via);
}

/** `git config`: reads; or writes a setting (to the repository, `--global` or `--system` file) a later call uses. */
function config(call: FxCall, options: Map<string, WordFacts[]>, operands: WordFacts[]): void {
  const flag = (...names: string[]): boolean => names.some((n) => options.has(n));
  const file = (options.get('-f') ?? options.get('--file') ?? [])[0];
  const target = (): void => {
    if (file !== undefined) call.fx.path('write', file, 'git config');
    else if (flag('--global')) call.fx.pathText('write', '~/.gitconfig', 'git config --global');
    else if (flag('--system')) call.fx.pathText('write', '/etc/gitconfig', 'git config --system');
    else call.fx.pathText('write', '.git/config', 'git config');
  };
  if (flag('-e', '--edit')) {
    call.fx.exec('git', 'core.editor', 'editor', 'git config --edit starts an editor on the configuration', false, 'hidden');
    target();
    return;
  }
  let ops = operands;
  const verb = ops[0]?.value;
  // The subcommand syntax (git 2.46+): get, set, unset, list, rename-section, remove-section, edit.
  if (verb === 'get' || verb === 'list' || verb === 'get-urlmatch') return;
  if (verb === 'edit') {
    call.fx.exec('git', 'core.editor', 'editor', 'git config edit starts an editor on the configuration', false, 'hidden');
    target();
    return;
  }
  if (verb === 'set' || verb === 'unset' || verb === 'rename-section' || verb === 'remove-section') ops = ops.slice(1);
  const reading = flag('--get', '--get-all', '--get-regexp', '--get-urlmatch', '-l', '--list', '--get-color', '--get-colorbool', '--show-origin', '--show-scope') && verb !== 'set';
  if (reading) return;
  const removing = flag('--unset', '--unset-all', '--remove-section', '--rename-section') || verb === 'unset' || verb === 'remove-section' || verb === 'rename-section';
  if (!removing && ops.length < 2 && verb !== 'set') return; // `git config key`: a read
  target();
  if (removing) return;
  const key = ops[0];
  const value = ops[1];
  if (key === undefined || value === undefined) return;
  if (key.value === null) {
    call.fx.exec('git', key.text, 'git config', 'git config sets a key only known when the line runs; a later git call may run it', false, 'runtime');
    return;
  }
  setting(call, key.value.toLowerCase(), value, `git config ${key.value.toLowerCase()}`, true);
}

/**
 * The git model, by name.
 *
 * @example
 * ```ts
 * GIT_MODELS.get('git');
 * ```
 */
export const GIT_MODELS: ReadonlyMap<string, FxModel> = new Map<string, FxModel>([['git', git]]);
