/**
 * Program models for programs that run code: shells given a script, `source`, language
 * interpreters (inline code, script files, `-m`, `--require`), build tools and package managers
 * (`make`, `npm`, `npx`, `pnpm`, `yarn`, `bun`, `deno`, `pip`, `uv`), containers (`docker`,
 * `podman`), and the privilege wrappers (`sudo`, `doas`, `su`, `runuser`, `pkexec`, `chroot`) and
 * environment setters (`env`, `export`, `declare`, ...).
 *
 * Internal to the shell effects; not part of the public surface.
 */
import { argSpec, has, joined, parseArgs, subWord, values, type FxCall, type FxModel } from './shell-fx-api.js';
import { NPM_VALUE_OPTIONS, shellInvocation, STDIN_PATHS } from './shell-programs.js';
import { syntheticWord, type WordFacts } from './shell-words.js';

// ---- shells and interpreters ----------------------------------------------------------------

/** Code run from a script file: the file is read and what it does is unknown, so are its arguments. */
function script(call: FxCall, file: WordFacts, index: number, via = 'script'): void {
  // `node /dev/stdin`: the program is what stdin holds, not a file.
  if (file.value !== null && STDIN_PATHS.has(file.value)) {
    fromStdin(call);
    call.fx.unknownArguments(call, index + 1, `${call.name} ${via} arguments`);
    return;
  }
  call.fx.path('read', file, `${call.name} ${via}`);
  call.fx.exec(call.name, file.value ?? file.text, via, `${call.name} runs the script ${file.value ?? file.text}, whose contents are not known`, false, 'script');
  call.fx.unknownArguments(call, index + 1, `${call.name} ${via} arguments`);
}

/**
 * Program text from stdin: known when a static here-document or here-string supplies it. A
 * here-document is program text on the line (`inline`, as `-e` is); a pipe or a redirect feeds
 * the interpreter a script (`script`, via `stdin`).
 */
function fromStdin(call: FxCall, via = 'stdin'): void {
  const text = call.stdin.kind === 'text' ? call.stdin.text : null;
  call.fx.exec(call.name, text ?? '', via, text === null ? `${call.name} runs program text read from stdin` : `${call.name} runs the program text given on stdin`, text !== null, call.stdin.kind === 'text' ? 'inline' : 'script');
}

/** Inline program text (`-c`, `-e`): the text is visible, not analysed (it is not shell). */
function inline(call: FxCall, code: WordFacts | undefined, via: string, argsFrom: number): void {
  const text = code?.value ?? null;
  call.fx.exec(call.name, text ?? code?.text ?? '', via, `${call.name} runs inline program text`, text !== null, 'inline');
  call.fx.unknownArguments(call, argsFrom, `${call.name} arguments`);
}

/** POSIX shells: `-c` code is analysed by the shell facet; a script file or stdin is not visible. */
const posixShell: FxModel = (call) => {
  const inv = shellInvocation(call.name, call.words);
  if (inv.dynamic === true || inv.error !== undefined || inv.hasC) return;
  const file = call.words[inv.operand];
  if (file !== undefined && !(file.value !== null && STDIN_PATHS.has(file.value))) {
    script(call, file, inv.operand);
    return;
  }
  // Static stdin text is parsed by the shell facet as code; anything else is not known.
  if (call.stdin.kind === 'text' && call.stdin.text !== null) return;
  fromStdin(call);
};

/** `source file` / `. file`: runs in this shell. */
const source: FxModel = (call) => {
  const i = call.words[1]?.value === '--' ? 2 : 1;
  const file = call.words[i];
  if (file === undefined) return;
  if (file.value !== null && STDIN_PATHS.has(file.value) && call.stdin.kind === 'text' && call.stdin.text !== null) return;
  script(call, file, i, 'source');
};

const PYTHON = argSpec({ short: 'bBdEhiIOqsSuvVxRP?c:m:W:X:', long: ['check-hash-based-pycs=', 'help/h', 'help-env', 'help-xoptions', 'help-all', 'version/V'], inOrder: true });

const python: FxModel = (call) => {
  const p = parseArgs(call.words, 1, PYTHON);
  if (has(p, 'h', 'V', 'help-env', 'help-xoptions', 'help-all') && !has(p, 'c', 'm')) return;
  // -c and -m end the options; what follows are the program's arguments.
  const at = (key: string): number => call.words.findIndex((w, k) => k > 0 && w.value !== null && w.value.startsWith('-') && !w.value.startsWith('--') && w.value.endsWith(key));
  const c = values(p, 'c')[0];
  if (c !== undefined) {
    inline(call, c, '-c', at('c') + 2);
    return;
  }
  const m = values(p, 'm')[0];
  if (m !== undefined) {
    const module = m.value ?? m.text;
    if (module === 'http.server' || module === 'SimpleHTTPServer') {
      const port = p.operands.find((w) => /^[0-9]+$/.test(w.value ?? ''));
      call.fx.host('0.0.0.0', Number(port?.value) || 8000, 'http', `${call.name} -m ${module} (listens)`);
      call.fx.pathText('read', '.', `${call.name} -m ${module} (serves)`, true);
    }
    if (module === 'pip' || module === 'pip3') {
      // `python -m pip` is pip.
      pipCommand(call, 'pip', at('m') + 2);
      return;
    }
    call.fx.exec(call.name, module, '-m', `${call.name} runs the module ${module}`, false, 'module');
    call.fx.unknownArguments(call, at('m') + 2, `${call.name} -m arguments`);
    return;
  }
  const file = p.operands[0];
  if (file === undefined || file.value === '-') {
    fromStdin(call);
    return;
  }
  script(call, file, p.operandIndex[0] as number);
};

/**
 * Options naming a file or directory node writes: diagnostics, profiles, reports, warnings, the TLS
 * key log (every session key, in the clear), localStorage and start-up snapshots.
 */
const NODE_WRITES = new Set(['--redirect-warnings', '--cpu-prof-dir', '--cpu-prof-name', '--heap-prof-dir', '--heap-prof-name', '--diagnostic-dir', '--report-directory', '--report-dir', '--report-filename', '--tls-keylog', '--localstorage-file', '--trace-event-file-pattern', '--snapshot-blob']);
const NODE_VALUES = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--input-type', '--env-file', '--env-file-if-exists', '--title', '--stack-size', '--max-old-space-size', '--test-reporter', '--test-reporter-destination', '--watch-path', '--inspect-port', '--run', '--experimental-config-file', '--openssl-config', '--experimental-sea-config', ...NODE_WRITES]);
/** The test reporters built into node; any other `--test-reporter` value is a module it loads. */
const NODE_REPORTERS = new Set(['spec', 'tap', 'dot', 'junit', 'lcov']);
const NODE_LOADERS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader']);

const node: FxModel = (call) => {
  const words = call.words;
  // After --test, operands are test files (or globs) and options still follow.
  let testing = false;
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as WordFacts;
    const v = w.value;
    if (v === null) {
      call.fx.exec(call.name, w.text, 'arguments', `${call.name} is given an argument only known when the line runs`, false, 'runtime');
      call.fx.unknownArguments(call, i, call.name);
      return;
    }
    const eq = v.indexOf('=');
    const name = v.startsWith('--') && eq !== -1 ? v.slice(0, eq) : v;
    const value = (): WordFacts | undefined => (name !== v ? syntheticWord(v.slice(eq + 1)) : words[++i]);
    if (v === '-v' || v === '--version' || v === '-h' || v === '--help' || v === '--v8-options') return;
    if (v === '-e' || v === '--eval' || v === '-p' || v === '--print' || v === '-pe' || v === '-ep' || name === '--eval' || name === '--print') {
      inline(call, value(), v.startsWith('--') ? name : '-e', i + 1);
      return;
    }
    if (v === '-') {
      fromStdin(call);
      return;
    }
    if (v === '-c' || v === '--check') {
      const file = words[i + 1];
      if (file !== undefined) call.fx.path('read', file, `${call.name} --check`);
      return;
    }
    if (v === '--test') {
      if (!testing) {
        call.fx.exec(call.name, 'test files', '--test', `${call.name} --test runs the test files it finds`, false, 'project');
        call.fx.pathText('read', '.', `${call.name} --test`, true);
      }
      testing = true;
      continue;
    }
    if (name.startsWith('--inspect')) {
      const addr = name !== v ? v.slice(eq + 1) : '127.0.0.1:9229';
      call.fx.host(addr.includes(':') ? (addr.slice(0, addr.lastIndexOf(':')) || '127.0.0.1') : '127.0.0.1', Number(addr.split(':').pop()) || 9229, 'ws', `${call.name} ${name} (debugger listens)`);
      continue;
    }
    if (NODE_VALUES.has(name)) {
      const val = value();
      if (val === undefined) return;
      if (NODE_LOADERS.has(name)) call.fx.exec(call.name, val.value ?? val.text, name, `${call.name} loads ${val.value ?? val.text} before the program`, false, 'module');
      if (name === '--env-file' || name === '--env-file-if-exists') {
        call.fx.path('read', val, `${call.name} ${name}`);
        call.fx.exec(call.name, val.value ?? val.text, name, `${call.name} takes environment (NODE_OPTIONS too) from the file`, false, 'hidden');
      }
      if (name === '--run') {
        call.fx.exec(call.name, `scripts.${val.value ?? val.text}`, '--run', `${call.name} --run runs a package.json script`, false, 'project');
        return;
      }
      if (name === '--test-reporter' && !(val.value !== null && NODE_REPORTERS.has(val.value))) {
        call.fx.exec(call.name, val.value ?? val.text, name, `${call.name} loads the reporter module ${val.value ?? val.text}`, false, 'module');
        if (val.value === null || /^[./~]|\//.test(val.value)) call.fx.path('read', val, `${call.name} ${name}`);
      }
      if (name === '--test-reporter-destination' && val.value !== 'stdout' && val.value !== 'stderr') call.fx.path('write', val, `${call.name} ${name}`);
      if (NODE_WRITES.has(name)) {
        // --report-filename stdout/stderr prints instead; a snapshot blob is read, or written with --build-snapshot.
        if (!(name === '--report-filename' && (val.value === 'stdout' || val.value === 'stderr'))) call.fx.path('write', val, `${call.name} ${name}`);
        if (name === '--snapshot-blob') call.fx.path('read', val, `${call.name} ${name}`);
      }
      if (name === '--experimental-sea-config') {
        // The configuration names the main script it bundles and the blob it writes, neither on the line.
        call.fx.path('read', val, `${call.name} ${name}`);
        call.fx.exec(call.name, val.value ?? val.text, name, `${call.name} ${name} bundles the script the file names and writes the blob it names`, false, 'hidden');
      }
      if (name === '--openssl-config' || name === '--experimental-config-file') {
        // An OpenSSL configuration can load engines and providers (native code); a node config file sets options, --import among them.
        call.fx.path('read', val, `${call.name} ${name}`);
        call.fx.exec(call.name, val.value ?? val.text, name, `${call.name} takes code-loading settings from the file`, false, 'hidden');
      }
      continue;
    }
    if (v === '--') {
      const file = words[i + 1];
      if (file === undefined) fromStdin(call);
      else script(call, file, i + 1);
      return;
    }
    if (v.startsWith('-')) continue;
    if (testing) {
      call.fx.path('read', w, `${call.name} --test`);
      continue;
    }
    script(call, w, i);
    return;
  }
  if (!testing) fromStdin(call);
};

/**
 * perl, ruby: clustered options; `-e` code; `-M`/`-m`/`-r` modules; `-i` edits files in place;
 * `-n`/`-p` read the operands as input files.
 */
function clustered(codeLetters: string, valueLetters: string, moduleLetters: string, cwdLetter: string): FxModel {
  return (call) => {
    const words = call.words;
    let code: WordFacts | undefined;
    let inPlace = false;
    let loop = false;
    let i = 1;
    for (; i < words.length; i++) {
      const w = words[i] as WordFacts;
      const v = w.value;
      if (v === null) {
        if (code === undefined) {
          call.fx.exec(call.name, w.text, 'arguments', `${call.name} is given an argument only known when the line runs`, false, 'runtime');
          call.fx.unknownArguments(call, i, call.name);
          return;
        }
        break;
      }
      if (v === '--') {
        i++;
        break;
      }
      if (v === '-v' || v === '--version' || v === '-h' || v === '--help' || v === '-V') return;
      if (!v.startsWith('-') || v === '-') break;
      if (v.startsWith('--')) continue;
      for (let j = 1; j < v.length; j++) {
        const ch = v[j] as string;
        if (ch === 'i') {
          inPlace = true;
          break; // the rest is the backup suffix
        }
        if (ch === 'n' || ch === 'p') loop = true;
        const rest = v.slice(j + 1);
        const take = (): WordFacts | undefined => (rest !== '' ? syntheticWord(rest) : words[++i]);
        if (codeLetters.includes(ch)) {
          code = take();
          call.fx.exec(call.name, code?.value ?? code?.text ?? '', `-${ch}`, `${call.name} runs inline program text`, code?.value !== null && code !== undefined, 'inline');
          break;
        }
        if (moduleLetters.includes(ch)) {
          const mod = take();
          call.fx.exec(call.name, mod?.value ?? mod?.text ?? '', `-${ch}`, `${call.name} loads the module ${mod?.value ?? mod?.text ?? ''}`, false, 'module');
          break;
        }
        if (ch === cwdLetter) {
          call.fx.exec(call.name, '', `-${ch}`, `${call.name} changes directory before running`, false, 'hidden');
          take();
          break;
        }
        if (valueLetters.includes(ch)) {
          if (rest === '') i++;
          break;
        }
      }
    }
    if (code === undefined) {
      const file = words[i];
      if (file === undefined || file.value === '-') {
        fromStdin(call);
        return;
      }
      script(call, file, i);
      return;
    }
    for (let k = i; k < words.length; k++) {
      const w = words[k] as WordFacts;
      if (loop) call.fx.path('read', w, call.name);
      if (inPlace) call.fx.path('write', w, `${call.name} -i`);
    }
    if (!loop) call.fx.unknownArguments(call, i, `${call.name} arguments`);
  };
}

const PHP = argSpec({ short: 'ahHilmnqsvwe?B:c:d:E:f:F:r:R:S:t:z:', long: ['help/h', 'version/v', 'ini=?', 'rf=', 'rc=', 're=', 'rz=', 'ri='], inOrder: true });
const php: FxModel = (call) => {
  const p = parseArgs(call.words, 1, PHP);
  if (has(p, 'h', 'v', 'i', 'm', 'ini', 'rf', 'rc', 're', 'rz', 'ri') && p.operands.length === 0 && !has(p, 'r', 'f', 'S')) return;
  for (const s of values(p, 'S')) {
    const addr = s.value ?? '';
    call.fx.host(addr.includes(':') ? addr.slice(0, addr.lastIndexOf(':')) || '0.0.0.0' : addr || '0.0.0.0', Number(addr.split(':').pop()) || 0, 'http', 'php -S (listens)');
    call.fx.exec('php', values(p, 't')[0]?.value ?? '.', 'php -S', 'php -S serves and runs the PHP files of the document root', false, 'project');
  }
  for (const d of values(p, 'd', 'c', 'z')) call.fx.exec('php', d.value ?? d.text, 'php -d/-c/-z', 'php settings and extensions can load code (auto_prepend_file, extensions)', false, 'hidden');
  const code = [...values(p, 'r'), ...values(p, 'B', 'R', 'E')];
  if (code.length > 0) {
    for (const c of code) call.fx.exec('php', c.value ?? c.text, '-r', 'php runs inline program text', c.value !== null, 'inline');
    call.fx.unknownArguments(call, (p.operandIndex[0] ?? call.words.length), 'php arguments');
    return;
  }
  const file = values(p, 'f', 'F')[0] ?? p.operands[0];
  if (has(p, 'l') && file !== undefined) {
    call.fx.path('read', file, 'php -l');
    return;
  }
  if (has(p, 'S')) return;
  if (file === undefined || has(p, 'a')) fromStdin(call);
  else script(call, file, p.operandIndex[0] ?? call.words.length);
};

/** Interpreters with `-e code` and a script operand (lua, Rscript, osascript, ...). */
function evalOrScript(codeFlags: readonly string[], valueFlags: readonly string[]): FxModel {
  return (call) => {
    const words = call.words;
    for (let i = 1; i < words.length; i++) {
      const v = words[i]?.value;
      if (v === null || v === undefined) {
        call.fx.exec(call.name, words[i]?.text ?? '', 'arguments', `${call.name} is given an argument only known when the line runs`, false, 'runtime');
        return;
      }
      if (v === '--version' || v === '-v' || v === '--help' || v === '-h') return;
      if (codeFlags.includes(v)) {
        inline(call, words[i + 1], v, i + 2);
        return;
      }
      if (valueFlags.includes(v)) {
        i++;
        continue;
      }
      if (v === '-') {
        fromStdin(call);
        return;
      }
      if (v.startsWith('-')) continue;
      script(call, words[i] as WordFacts, i);
      return;
    }
    fromStdin(call);
  };
}

// ---- package managers and build tools -------------------------------------------------------

/** npm configuration keys (and `--key` options) whose value is a program, options or a config file. */
const NPM_CODE_KEYS = new Set(['script-shell', 'shell', 'node-options', 'editor', 'git', 'browser', 'viewer', 'init-module', 'onload-script', 'userconfig', 'globalconfig', 'npm-path', 'node-gyp', 'prefix', 'cache']);

interface PmArgs {
  /** Subcommand and its operands (options removed). */
  operands: WordFacts[];
  /** `--key value` / `--key=value` options, by key (without dashes). */
  options: Map<string, WordFacts>;
  flags: Set<string>;
}

/** The flag {@link pmArgs} records for an option whose name is only known at run time. */
const DYNAMIC_OPTION = '<run-time option>';

function pmArgs(words: readonly WordFacts[], from: number, stopAfterCommand: boolean, valueOptions: ReadonlySet<string> = NPM_VALUE_OPTIONS): PmArgs {
  const operands: WordFacts[] = [];
  const options = new Map<string, WordFacts>();
  const flags = new Set<string>();
  for (let i = from; i < words.length; i++) {
    const w = words[i] as WordFacts;
    const v = w.value;
    if (v === '--') {
      for (let k = i + 1; k < words.length; k++) operands.push(words[k] as WordFacts);
      break;
    }
    if (v === null && w.prefix.startsWith('-') && w.prefix.length > 1) {
      // An option whose value (`--location=$X`) or name (`--$X`) is only known at run time.
      const eq = w.prefix.indexOf('=');
      if (eq !== -1) options.set(w.prefix.slice(0, eq).replace(/^-+/, ''), subWord(w, eq + 1));
      else flags.add(DYNAMIC_OPTION);
      continue;
    }
    if (v === null || !v.startsWith('-') || v === '-') {
      operands.push(w);
      // `npx cmd --flag`: options after the command belong to it.
      if (stopAfterCommand) {
        for (let k = i + 1; k < words.length; k++) operands.push(words[k] as WordFacts);
        break;
      }
      continue;
    }
    const eq = v.indexOf('=');
    const key = (eq === -1 ? v : v.slice(0, eq)).replace(/^-+/, '');
    if (eq !== -1) options.set(key, syntheticWord(v.slice(eq + 1)));
    else if (valueOptions.has(v) && i + 1 < words.length) options.set(key, words[++i] as WordFacts);
    else flags.add(key);
  }
  return { operands, options, flags };
}

/** Settings given as `--key=value` that make npm run something else. */
function pmConfigOptions(call: FxCall, a: PmArgs, tool: string): void {
  for (const [key, value] of a.options) {
    // The package cache is written (tarballs, index) wherever --cache points.
    if (key === 'cache') call.fx.path('write', value, `${tool} --cache`, true);
    if (NPM_CODE_KEYS.has(key) && key !== 'prefix' && key !== 'cache') {
      call.fx.exec(tool, value.value ?? value.text, `${tool} --${key}`, `${tool} runs or loads what --${key} names`, false, 'hidden');
    }
  }
}

function registry(call: FxCall, a: PmArgs, tool: string, via: string): void {
  if (a.flags.has('offline')) return;
  const r = a.options.get('registry');
  if (r !== undefined) call.fx.url(r, via, 'https', 443);
  else call.fx.unknownHost(tool === 'pip' || tool === 'uv' ? 'pypi.org' : 'registry.npmjs.org', 'https', `${via} (registry from configuration)`);
}

/** Package specs: URLs, git remotes and GitHub shorthands are destinations; local paths are read. */
function packageSpecs(call: FxCall, specs: readonly WordFacts[], via: string): void {
  for (const s of specs) {
    const v = s.value;
    if (v === null) {
      call.fx.unknownHost(s.text, '', via);
      continue;
    }
    // Local folders and tarballs first: `../pkg` is not a GitHub shorthand, `file:` names a path.
    if (v.startsWith('file:')) call.fx.path('read', syntheticWord(v.replace(/^file:(\/\/(localhost)?(?=\/))?/, '')), via, true);
    else if (v.startsWith('.') || v.startsWith('/') || v.startsWith('~')) call.fx.path('read', s, via, true);
    else if (/^(git\+)?(https?|ssh|git):\/\//.test(v)) call.fx.url(syntheticWord(v.replace(/^git\+/, '')), via, 'https', 443);
    else if (/^(github|gitlab|bitbucket|gist):/.test(v) || /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(#.*)?$/.test(v)) call.fx.host(v.startsWith('gitlab:') ? 'gitlab.com' : v.startsWith('bitbucket:') ? 'bitbucket.org' : 'github.com', 443, 'https', via);
  }
}

/**
 * The command works on the global prefix: `-g`, `--global`, `--global=<anything but false>`,
 * `--location=global`, or a `--location` only known at run time.
 */
function isGlobal(a: PmArgs): boolean {
  if (a.flags.has('g') || a.flags.has('global') || a.flags.has(DYNAMIC_OPTION)) return true;
  for (const k of ['g', 'global']) {
    const v = a.options.get(k);
    if (v !== undefined && v.value !== 'false') return true;
  }
  const location = a.options.get('location');
  return location !== undefined && location.value !== 'project' && location.value !== 'user';
}

function installs(call: FxCall, a: PmArgs, tool: string, sub: string, specs: readonly WordFacts[]): void {
  const via = `${tool} ${sub}`;
  if (!a.flags.has('ignore-scripts')) call.fx.pathText('read', 'package.json', via);
  if (!a.flags.has('ignore-scripts')) call.fx.exec(tool, 'lifecycle scripts (preinstall, install, postinstall, prepare)', via, `${via} runs the lifecycle scripts of the project and of every package it installs`, false, 'project');
  registry(call, a, tool, via);
  packageSpecs(call, specs, via);
  // `npm link` with no package (and `link` of a folder, which runs it there first) writes a
  // symlink and the package's bins into the global prefix.
  if (isGlobal(a) || (tool !== 'bun' && (sub === 'link' || sub === 'ln'))) call.fx.path('write', { value: null, text: '<global package prefix>', singleField: false, prefix: '', tilde: false, pattern: null }, via, true);
  if (!isGlobal(a)) {
    call.fx.pathText('write', 'node_modules', via, true);
    call.fx.pathText('write', 'package.json', via);
    call.fx.pathText('write', tool === 'yarn' ? 'yarn.lock' : tool === 'pnpm' ? 'pnpm-lock.yaml' : tool === 'bun' ? 'bun.lockb' : 'package-lock.json', via);
  }
}

function runsScript(call: FxCall, tool: string, name: string): void {
  // The scripts come from the project's package.json (under --prefix/-C/--dir/--cwd when given).
  call.fx.pathText('read', 'package.json', `${tool} run`);
  call.fx.exec(tool, `scripts.${name}`, `${tool} run`, `${tool} runs the package.json script "${name}" (and its pre/post scripts)`, false, 'project');
  // Without an `env` script of the project's own, `npm run env` (and yarn's) prints the environment.
  if (name === 'env') call.fx.pathText('read', '/proc/self/environ', `${tool} run env (the environment)`);
}

/** `npx`, `npm exec`, `pnpm dlx`, `yarn dlx`, `bunx`: a package's program, downloaded if missing. */
function execPackage(call: FxCall, a: PmArgs, tool: string, operands: readonly WordFacts[], argsIndex: number): void {
  const c = a.options.get('call') ?? a.options.get('c');
  if (c !== undefined) {
    call.fx.exec('sh', c.value ?? c.text, `${tool} -c`, `${tool} runs the command in the package environment`, c.value !== null, 'hidden');
    call.sink.code(c.value, 'bash');
    return;
  }
  const cmd = operands[0];
  if (cmd === undefined) return;
  call.fx.exec(cmd.value ?? cmd.text, joined(operands, 0) ?? cmd.text, tool, `${tool} runs the program of the package ${cmd.value ?? cmd.text}, downloading it if it is missing`, false, 'program');
  if (!a.flags.has('no-install') && !a.flags.has('offline') && !a.flags.has('no')) registry(call, a, tool, tool);
  call.fx.unknownArguments(call, argsIndex, `${tool} arguments`);
}

const INSTALL_WORDS = new Set(['install', 'i', 'in', 'ins', 'inst', 'insta', 'instal', 'isnt', 'isnta', 'isntal', 'isntall', 'add', 'ci', 'clean-install', 'ic', 'install-clean', 'isntall-clean', 'update', 'up', 'upgrade', 'udpate', 'uninstall', 'un', 'unlink', 'remove', 'rm', 'r', 'rebuild', 'rb', 'link', 'ln', 'dedupe', 'ddp', 'prune', 'install-test', 'it', 'install-ci-test', 'cit', 'import', 'fetch']);
const RUN_WORDS = new Set(['run', 'run-script', 'rum', 'urn', 'test', 'tst', 't', 'start', 'stop', 'restart']);
const NETWORK_WORDS = new Set(['view', 'info', 'show', 'v', 'search', 's', 'se', 'find', 'outdated', 'ping', 'whoami', 'access', 'owner', 'author', 'dist-tag', 'dist-tags', 'team', 'token', 'org', 'profile', 'star', 'unstar', 'stars', 'deprecate', 'unpublish', 'hook', 'login', 'logout', 'adduser', 'add-user', 'doctor', 'diff', 'audit', 'publish', 'why', 'npm']);
const LOCAL_WORDS = new Set(['ls', 'list', 'll', 'la', 'root', 'bin', 'prefix', 'help', 'help-search', 'explain', 'completion', 'query', 'sbom', '-v', '--version', '-h', 'licenses', 'fund', 'get']);

/** Everything npm-like: npm, pnpm, yarn, bun (package commands). */
function packageManager(tool: 'npm' | 'pnpm' | 'yarn' | 'bun'): FxModel {
  return (call) => {
    const a = pmArgs(call.words, 1, false);
    if (a.flags.has('v') || a.flags.has('version') || a.flags.has('help') || a.flags.has('h')) {
      if (a.operands.length === 0) return;
    }
    pmConfigOptions(call, a, tool);
    const dir = a.options.get('prefix') ?? a.options.get('C') ?? a.options.get('dir') ?? a.options.get('cwd');
    // `-w <path>` (a workspace named by its folder) runs that folder's package.json scripts.
    const ws = a.options.get('workspace') ?? a.options.get('w');
    const inWorkspace = (): void => {
      if (ws !== undefined && (ws.value === null || /[./~]/.test(ws.value))) call.fx.inDirectory(ws, () => packageCommand(call, a, tool));
      else packageCommand(call, a, tool);
    };
    if (dir !== undefined && !isGlobal(a)) call.fx.inDirectory(dir, inWorkspace);
    else inWorkspace();
  };
}

function packageCommand(call: FxCall, a: PmArgs, tool: 'npm' | 'pnpm' | 'yarn' | 'bun'): void {
  const [subWord, ...rest] = a.operands;
  const sub = subWord?.value;
  if (subWord === undefined) {
    if (tool === 'yarn' || tool === 'bun') installs(call, a, tool, 'install', []);
    return;
  }
  if (sub === null || sub === undefined) {
    call.fx.exec(tool, subWord.text, tool, `the ${tool} subcommand is only known when the line runs`, false, 'runtime');
    return;
  }
  const via = `${tool} ${sub}`;
  const argsIndex = (k: number): number => call.words.indexOf(a.operands[k] as WordFacts);
  if (INSTALL_WORDS.has(sub) && !(tool === 'bun' && sub === 'link' && rest.length === 0)) {
    installs(call, a, tool, sub, rest);
    if (sub === 'install-test' || sub === 'it' || sub === 'install-ci-test' || sub === 'cit') runsScript(call, tool, 'test');
    return;
  }
  if (RUN_WORDS.has(sub)) {
    const name = sub === 'run' || sub === 'run-script' || sub === 'rum' || sub === 'urn' ? rest[0] : syntheticWord(sub === 'tst' || sub === 't' ? 'test' : sub);
    if (name === undefined) return;
    if (tool === 'bun' && name.value !== null && /[./]/.test(name.value)) {
      call.fx.path('read', name, `${via}`);
      call.fx.exec('bun', name.value, 'script', `bun runs the file ${name.value}`, false, 'script');
      return;
    }
    runsScript(call, tool, name.value ?? name.text);
    return;
  }
  if (sub === 'exec' || sub === 'x' || sub === 'dlx') {
    if (tool === 'yarn' && sub === 'exec') {
      const code = joined(rest, 0);
      call.fx.exec('sh', code ?? '', 'yarn exec', 'yarn exec runs the command through the shell', code !== null, 'hidden');
      call.sink.code(code, 'bash');
      return;
    }
    execPackage(call, a, `${tool} ${sub}`, rest, argsIndex(1) + 1);
    return;
  }
  if (sub === 'create' || sub === 'init' || sub === 'innit' || sub === 'c') {
    if (rest.length === 0 && sub !== 'create') {
      call.fx.pathText('write', 'package.json', via);
      return;
    }
    call.fx.exec(tool, `create-${rest[0]?.value ?? ''}`, via, `${via} downloads and runs an initializer package`, false, 'program');
    registry(call, a, tool, via);
    call.fx.pathText('write', '.', via, true);
    return;
  }
  if (sub === 'config' || sub === 'c' || sub === 'set') {
    const action = sub === 'set' ? 'set' : rest[0]?.value;
    const args = sub === 'set' ? rest : rest.slice(1);
    if (action === 'get' || action === 'list' || action === 'ls' || action === undefined) return;
    const rc = isGlobal(a) ? '<global npmrc>' : a.options.get('location')?.value === 'project' ? '.npmrc' : `~/.${tool === 'yarn' ? 'yarnrc' : 'npmrc'}`;
    if (rc.startsWith('<')) call.fx.path('write', { value: null, text: rc, singleField: false, prefix: '', tilde: false, pattern: null }, via);
    else call.fx.pathText('write', rc, via);
    if (action === 'edit') {
      call.fx.exec(tool, 'editor', 'editor', `${via} edit starts an editor`, false, 'hidden');
      return;
    }
    const key = (args[0]?.value ?? '').split('=')[0] ?? '';
    if (args[0]?.value === null || NPM_CODE_KEYS.has(key)) call.fx.exec(tool, (args.map((w) => w.value ?? w.text).join(' ')), via, `a later ${tool} command runs or loads what ${key || 'this setting'} names`, false, 'hidden');
    return;
  }
  if (sub === 'pack' || sub === 'version' || sub === 'publish') {
    if (!a.flags.has('ignore-scripts')) call.fx.pathText('read', 'package.json', via);
    if (!a.flags.has('ignore-scripts')) call.fx.exec(tool, `lifecycle scripts (${sub})`, via, `${via} runs the project's ${sub} lifecycle scripts`, false, 'project');
    if (sub === 'publish') registry(call, a, tool, via);
    if (sub === 'pack') call.fx.path('write', a.options.get('pack-destination') ?? syntheticWord('.'), via, true);
    if (sub === 'version' && rest.length > 0) {
      call.fx.pathText('write', 'package.json', via);
      call.fx.exec('git', '.git/hooks: pre-commit, commit-msg, post-commit', 'hook', `${via} commits and tags with git, which runs the repository hooks`, false, 'hook');
    }
    return;
  }
  if (sub === 'explore') {
    const code = joined(a.operands, 2);
    call.fx.exec('sh', code ?? '', 'npm explore', 'npm explore runs the command in the package directory', code !== null, 'hidden');
    call.fx.inDirectory(null, () => call.sink.code(code, 'bash'));
    return;
  }
  if (sub === 'edit' || sub === 'docs' || sub === 'home' || sub === 'bugs' || sub === 'repo') {
    call.fx.exec(tool, sub === 'edit' ? 'editor' : 'browser', via, `${via} starts an editor or a browser`, false, 'hidden');
    return;
  }
  if (sub === 'pkg' || sub === 'set-script') {
    if (rest[0]?.value === 'get') return;
    call.fx.pathText('write', 'package.json', via);
    return;
  }
  if (sub === 'cache') {
    if (rest[0]?.value === 'add') registry(call, a, tool, via);
    call.fx.path('write', { value: null, text: '<package cache>', singleField: false, prefix: '', tilde: false, pattern: null }, via, true);
    return;
  }
  if (sub === 'audit' && rest[0]?.value === 'fix') {
    installs(call, a, tool, 'audit fix', []);
    return;
  }
  if (NETWORK_WORDS.has(sub)) {
    registry(call, a, tool, via);
    return;
  }
  if (LOCAL_WORDS.has(sub)) return;
  if (tool === 'bun' && /[./]/.test(sub)) {
    script(call, subWord, call.words.indexOf(subWord));
    return;
  }
  // yarn, pnpm and bun run a script or a package binary of that name.
  call.fx.pathText('read', 'package.json', via);
  call.fx.exec(tool, sub, via, `${via} runs a package.json script or a package's program named ${sub}`, false, 'project');
  if (tool !== 'npm') call.fx.unknownArguments(call, argsIndex(1), `${via} arguments`);
}

const npx: FxModel = (call) => {
  const a = pmArgs(call.words, 1, true);
  pmConfigOptions(call, a, 'npx');
  execPackage(call, a, call.name, a.operands, call.words.indexOf(a.operands[0] as WordFacts) + 1);
};

const MAKE = argSpec({
  short: 'bBdeiknpqrRsStvwhLOC:f:E:I:j::l::o:W:',
  long: ['directory=/C', 'file=/f', 'makefile=/f', 'eval=/E', 'include-dir=/I', 'jobs=?/j', 'load-average=?/l', 'max-load=?/l', 'old-file=/o', 'assume-old=/o', 'what-if=/W', 'new-file=/W', 'assume-new=/W', 'just-print/n', 'dry-run/n', 'recon/n', 'question/q', 'touch/t', 'debug=?', 'output-sync=?/O', 'environment-overrides/e', 'ignore-errors/i', 'keep-going/k', 'no-builtin-rules/r', 'no-builtin-variables/R', 'silent/s', 'quiet/s', 'no-silent', 'stop/S', 'no-keep-going/S', 'print-data-base/p', 'print-directory/w', 'no-print-directory', 'always-make/B', 'check-symlink-times/L', 'warn-undefined-variables', 'trace', 'shuffle=?', 'help/h', 'version/v'],
});

/** make: it runs the recipes of its makefile (and `$(shell ...)` while reading it, even with `-n`). */
const make: FxModel = (call) => {
  const p = parseArgs(call.words, 1, MAKE);
  if (has(p, 'h', 'v')) return;
  const dirs = values(p, 'C');
  const body = (): void => {
    const files = values(p, 'f');
    for (const f of files) {
      if (f.value === '-' || (f.value !== null && STDIN_PATHS.has(f.value))) {
        // A makefile fed on standard input is a program fed to make, like a script fed to a shell.
        call.fx.exec('make', call.stdin.kind === 'text' && call.stdin.text !== null ? call.stdin.text : '<standard input>', 'make -f -', 'make runs the recipes of a makefile read from standard input', false, 'hidden');
        continue;
      }
      call.fx.path('read', f, 'make -f');
    }
    const makefile = files.length === 0 ? 'Makefile' : files.map((f) => (f.value === '-' && call.stdin.kind === 'text' ? (call.stdin.text ?? f.text) : (f.value ?? f.text))).join(', ');
    if (files.length === 0) call.fx.pathText('read', 'Makefile', 'make');
    call.fx.exec('make', makefile, 'Makefile recipes', `make runs the recipes of ${makefile} (and its $(shell ...) calls, even with -n)`, false, 'project');
    for (const e of values(p, 'E')) call.fx.exec('make', e.value ?? e.text, 'make --eval', 'make evaluates the given makefile text, which can define and run recipes', false, 'hidden');
    for (const d of values(p, 'I')) call.fx.path('read', d, 'make -I', true);
    if (has(p, 't')) call.fx.pathText('write', '.', 'make -t (touches targets)', true);
    for (const op of p.operands) if (op.value !== null && op.value.includes('=') && /^[A-Za-z_.][A-Za-z0-9_.]*[+:?!]?=/.test(op.value)) call.fx.exec('make', op.value, 'make VAR=value', 'make variables given on the command line can change the commands recipes run', false, 'hidden');
  };
  const nest = (k: number): void => (k >= dirs.length ? body() : call.fx.inDirectory(dirs[k] as WordFacts, () => nest(k + 1)));
  nest(0);
};

/** pip and `uv pip`: installs run build code and reach the index; read-only subcommands do neither. */
const PIP_VALUE_OPTIONS = new Set(['-r', '--requirement', '-c', '--constraint', '-i', '--index-url', '--extra-index-url', '-f', '--find-links', '-t', '--target', '-d', '--dest', '-w', '--wheel-dir', '--prefix', '--root', '--python', '-p', '--cache-dir', '--src', '--platform', '--python-version', '--implementation', '--abi', '--upgrade-strategy', '-e', '--editable', '--log', '--proxy', '--cert', '--client-cert', '--trusted-host', '--timeout', '--retries', '--exists-action', '--progress-bar', '--report', '--config-settings', '-C', '--global-option', '--no-binary', '--only-binary', '--python-platform', '--index', '--default-index', '--group', '-o', '--output-file']);

function pipCommand(call: FxCall, tool: string, from: number): void {
  const a = pmArgs(call.words, from, false, PIP_VALUE_OPTIONS);
  for (const e of [a.options.get('e'), a.options.get('editable')]) if (e !== undefined) packageSpecs(call, [e], `${tool} -e`);
  const proxy = a.options.get('proxy');
  if (proxy !== undefined) call.fx.url(proxy, `${tool} --proxy`, 'http', 80);
  for (const f of [a.options.get('o'), a.options.get('output-file'), a.options.get('log'), a.options.get('report')]) if (f !== undefined && f.value !== '-') call.fx.path('write', f, tool);
  const [subWord, ...rest] = a.operands;
  const sub = subWord?.value;
  if (sub === undefined || sub === null) return;
  const via = `${tool} ${sub}`;
  if (sub === 'install' || sub === 'download' || sub === 'wheel' || sub === 'sync' || sub === 'compile') {
    if (sub !== 'download' || !a.flags.has('no-deps')) call.fx.exec(tool, 'package build scripts (setup.py, build backends)', via, `${via} runs the build code of packages it builds from source`, false, 'project');
    const index = a.options.get('i') ?? a.options.get('index-url');
    if (index !== undefined) call.fx.url(index, via, 'https', 443);
    else if (!a.flags.has('no-index')) call.fx.unknownHost('pypi.org', 'https', `${via} (index from configuration)`);
    for (const x of [a.options.get('extra-index-url'), a.options.get('f'), a.options.get('find-links')]) if (x !== undefined) call.fx.url(x, via, 'https', 443);
    for (const r of [a.options.get('r'), a.options.get('requirement'), a.options.get('c'), a.options.get('constraint')]) if (r !== undefined) call.fx.path('read', r, via);
    packageSpecs(call, rest, via);
    const target = a.options.get('t') ?? a.options.get('target') ?? a.options.get('d') ?? a.options.get('dest') ?? a.options.get('w') ?? a.options.get('wheel-dir');
    if (target !== undefined) call.fx.path('write', target, via, true);
    else call.fx.path('write', { value: null, text: '<python environment>', singleField: false, prefix: '', tilde: false, pattern: null }, via, true);
    return;
  }
  if (sub === 'uninstall') {
    call.fx.path('delete', { value: null, text: '<installed package files>', singleField: false, prefix: '', tilde: false, pattern: null }, via, true);
    return;
  }
  if (['list', 'show', 'freeze', 'check', 'help', 'inspect', 'debug', 'hash', 'tree'].includes(sub)) return;
  if (sub === 'config' || sub === 'cache' || sub === 'search' || sub === 'index') {
    call.fx.exec(tool, via, via, `${via} changes ${tool}'s configuration or cache, or queries the index`, false, 'hidden');
    return;
  }
  call.fx.exec(tool, sub, via, `${via} is not a ${tool} command Warden models`, false, 'program');
}

const pip: FxModel = (call) => {
  if (call.words.length === 2 && (call.words[1]?.value === '--version' || call.words[1]?.value === '-V' || call.words[1]?.value === '--help')) return;
  pipCommand(call, 'pip', 1);
};

const uv: FxModel = (call) => {
  const sub = call.words.slice(1).find((w) => w.value === null || !w.value.startsWith('-'));
  if (sub === undefined) return;
  if (sub.value === 'pip') {
    pipCommand(call, 'uv', call.words.indexOf(sub) + 1);
    return;
  }
  if (sub.value === 'version' || sub.value === 'help' || sub.value === '--version') return;
  call.fx.exec('uv', sub.value ?? sub.text, `uv ${sub.value ?? sub.text}`, `uv ${sub.value ?? sub.text} runs project or package code, or builds it`, false, 'project');
  call.fx.unknownHost('pypi.org', 'https', 'uv (index from configuration)');
  call.fx.unknownArguments(call, call.words.indexOf(sub) + 1, 'uv arguments');
};

// ---- containers ----------------------------------------------------------------------------

const DOCKER_RUNNERS = new Set(['run', 'exec', 'create', 'start', 'attach', 'build', 'buildx', 'compose', 'debug', 'restart', 'commit', 'plugin', 'service', 'stack', 'swarm', 'container', 'image', 'builder', 'sandbox', 'model', 'mcp', 'ai', 'scout', 'init', 'run-command']);
const DOCKER_NETWORK = new Set(['pull', 'push', 'login', 'logout', 'search', 'manifest', 'trust']);
const DOCKER_LOCAL = new Set(['ps', 'images', 'logs', 'inspect', 'version', 'info', 'stats', 'top', 'port', 'diff', 'history', 'events', 'network', 'volume', 'system', 'context', 'stop', 'kill', 'rm', 'rmi', 'pause', 'unpause', 'wait', 'rename', 'update', 'tag', 'container-ls', 'help', 'ls', 'images']);

/** The registry an image reference pulls from. */
function registryOf(image: string): string {
  const first = image.split('/')[0] ?? '';
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first.replace(/:.*$/, '');
  return 'registry-1.docker.io';
}

/** docker, podman, nerdctl: containers run code; mounts read and write the host; flags grant privilege. */
const docker: FxModel = (call) => {
  const words = call.words;
  let i = 1;
  for (; i < words.length; i++) {
    const v = words[i]?.value;
    if (v === null || v === undefined || !v.startsWith('-')) break;
    if (v === '-H' || v === '--host' || v === '-c' || v === '--context' || v === '--config' || v === '-l' || v === '--log-level' || v === '--tlscacert' || v === '--tlscert' || v === '--tlskey') {
      const value = words[++i];
      if ((v === '-H' || v === '--host') && value !== undefined) call.fx.url(value, `${call.name} -H`, 'tcp', 2375);
      if ((v === '-c' || v === '--context') && value !== undefined) call.fx.unknownHost(value.value ?? value.text, 'tcp', `${call.name} --context`);
      if (v === '--config' && value !== undefined) call.fx.path('read', value, `${call.name} --config`, true);
    }
  }
  const subW = words[i];
  if (subW === undefined) return;
  let sub = subW.value ?? '';
  let j = i + 1;
  // `docker container run`, `docker image build`, `docker compose up`.
  if ((sub === 'container' || sub === 'image' || sub === 'buildx') && words[j]?.value !== null && words[j]?.value !== undefined) {
    sub = words[j]?.value as string;
    j++;
  }
  const via = `${call.name} ${sub}`;
  if (subW.value === null) {
    call.fx.exec(call.name, subW.text, call.name, `the ${call.name} subcommand is only known when the line runs`, false, 'runtime');
    return;
  }
  if (DOCKER_LOCAL.has(sub) || sub === '--version' || sub === '--help') return;
  if (DOCKER_NETWORK.has(sub)) {
    const image = words.slice(j).find((w) => w.value === null || !w.value.startsWith('-'));
    if (image?.value !== null && image?.value !== undefined && sub !== 'login' && sub !== 'logout' && sub !== 'search') call.fx.host(registryOf(image.value), 443, 'https', via);
    else if (image !== undefined && (sub === 'login' || sub === 'logout')) call.fx.host(image.value ?? image.text, 443, 'https', via);
    else call.fx.host('registry-1.docker.io', 443, 'https', via);
    return;
  }
  if (sub === 'cp') {
    const ops = words.slice(j).filter((w) => w.value === null || !w.value.startsWith('-'));
    const [src, dest] = ops;
    const inContainer = (w: WordFacts | undefined): boolean => w !== undefined && /^[A-Za-z0-9][A-Za-z0-9_.-]*:/.test(w.value ?? w.prefix);
    if (src !== undefined && !inContainer(src)) call.fx.path('read', src, via, true);
    if (dest !== undefined && !inContainer(dest)) call.fx.path('write', dest, via, true);
    return;
  }
  if (sub === 'save' || sub === 'export') {
    for (let k = j; k < words.length; k++) if (words[k]?.value === '-o' || words[k]?.value === '--output') call.fx.path('write', words[k + 1] ?? syntheticWord(''), via);
    return;
  }
  if (sub === 'load' || sub === 'import') {
    for (let k = j; k < words.length; k++) {
      const v = words[k]?.value;
      if (v === '-i' || v === '--input') call.fx.path('read', words[k + 1] ?? syntheticWord(''), via);
      else if (v !== null && v !== undefined && !v.startsWith('-') && sub === 'import') {
        if (v.includes('://')) call.fx.url(words[k] as WordFacts, via, 'https', 443);
        else call.fx.path('read', words[k] as WordFacts, via);
      }
    }
    return;
  }
  if (!DOCKER_RUNNERS.has(sub)) {
    call.fx.exec(call.name, sub, via, `${via} is not a ${call.name} command Warden models (a plugin or alias runs a program)`, false, 'program');
    return;
  }
  containerRun(call, via, j);
};

function containerRun(call: FxCall, via: string, from: number): void {
  const words = call.words;
  let image: string | null = null;
  for (let k = from; k < words.length; k++) {
    const w = words[k] as WordFacts;
    const v = w.value;
    if (v === null) {
      if (image === null) call.fx.exec(call.name, w.text, via, `${via} is given an argument only known when the line runs`, false, 'runtime');
      continue;
    }
    const eq = v.indexOf('=');
    const name = v.startsWith('--') && eq !== -1 ? v.slice(0, eq) : v;
    const next = (): WordFacts | undefined => (name !== v ? syntheticWord(v.slice(eq + 1)) : words[++k]);
    if (name === '-v' || name === '--volume') {
      const spec = next();
      const host = spec?.value?.split(':')[0];
      if (spec?.value === null) call.fx.path('write', spec, `${via} -v`, true);
      else if (host !== undefined && (host.startsWith('/') || host.startsWith('.') || host.startsWith('~'))) {
        call.fx.pathText('read', host, `${via} -v`, true);
        if (!/:ro(,|$)/.test(spec?.value ?? '')) call.fx.pathText('write', host, `${via} -v`, true);
        if (host === '/var/run/docker.sock' || host === '/run/docker.sock' || host === '/') call.fx.privilege('container', `${via} -v ${host}`, 'the container gets the host root or the container daemon');
      }
    } else if (name === '--mount') {
      const spec = next()?.value ?? '';
      const src = /(?:^|,)(?:source|src)=([^,]+)/.exec(spec)?.[1];
      if (/(?:^|,)type=bind/.test(spec) && src !== undefined) {
        call.fx.pathText('read', src, `${via} --mount`, true);
        if (!/(?:^|,)(readonly|ro)(=true)?(,|$)/.test(spec)) call.fx.pathText('write', src, `${via} --mount`, true);
      }
    } else if (name === '--privileged' || name === '--cap-add' || name === '--pid' || name === '--ipc' || name === '--userns' || name === '--device' || name === '--security-opt' || (name === '--network' && next()?.value === 'host') || name === '--net') {
      if (name === '--cap-add' || name === '--pid' || name === '--ipc' || name === '--userns' || name === '--device' || name === '--security-opt') next();
      call.fx.privilege('container', `${via} ${name}`, `${via} ${name} weakens the container's isolation from the host`);
    } else if (name === '-p' || name === '--publish') {
      const spec = next()?.value ?? '';
      call.fx.host('0.0.0.0', Number(spec.split(':').slice(-2, -1)[0] ?? spec.split(':')[0]) || 0, 'tcp', `${via} -p (listens)`);
    } else if (name === '--env-file' || name === '--label-file' || name === '-f' || name === '--file' || name === '--cidfile' || name === '--secret') {
      const f = next();
      if (f !== undefined) {
        if (name === '--secret') {
          const src = /(?:^|,)(?:src|source)=([^,]+)/.exec(f.value ?? '')?.[1];
          if (src !== undefined) call.fx.pathText('read', src, `${via} --secret`);
        } else if (name === '--cidfile') call.fx.path('write', f, via);
        else call.fx.path('read', f, via);
      }
    } else if (name === '-o' || name === '--output') {
      const o = next();
      const dest = o?.value === null ? o : /(?:^|,)dest=([^,]+)/.exec(o?.value ?? '')?.[1];
      if (dest !== undefined) call.fx.path('write', typeof dest === 'string' ? syntheticWord(dest) : (dest as WordFacts), via, true);
    } else if (v.startsWith('-')) {
      if (['-e', '--env', '-w', '--workdir', '--name', '-u', '--user', '--entrypoint', '-l', '--label', '--network', '--hostname', '-h', '--platform', '-t', '--tag', '--target', '--build-arg', '--memory', '-m', '--cpus', '--restart', '--add-host', '--dns', '--ulimit', '--shm-size', '--gpus', '--pull', '--log-driver', '--log-opt', '--health-cmd', '--stop-signal', '--cache-from', '--cache-to', '--progress', '--expose', '--link', '--tmpfs', '--group-add', '--sysctl', '--ssh', '--detach-keys', '--profile', '--project-name'].includes(name) && name === v) k++;
    } else if (image === null) {
      image = v;
      if (via.endsWith(' build') || via.endsWith(' buildx build')) call.fx.path('read', w, `${via} (context)`, true);
      else if (!via.includes('exec') && !via.includes('compose') && !via.endsWith(' start') && !via.endsWith(' attach') && !via.endsWith(' restart')) call.fx.host(registryOf(v), 443, 'https', `${via} (image registry)`);
    }
  }
  const code = image ?? '';
  call.fx.exec(call.name, code, via, `${via} runs code inside a container (the image's or the given command)`, false, 'remote');
  if (via.includes('build')) call.fx.unknownHost('<hosts the build steps reach>', '', via);
}

// ---- privilege and environment --------------------------------------------------------------

/** The name (basename, lower case) of the command a wrapper runs from `words[i]`. */
function commandName(words: readonly WordFacts[], i: number): string {
  const w = words[i];
  if (w === undefined) return 'sh';
  const v = w.value ?? w.text;
  return v.slice(v.lastIndexOf('/') + 1).toLowerCase();
}

/** `NAME=value` words from `start` on, applied to the command that follows them. */
function assignments(call: FxCall, start: number): void {
  let end = start;
  while (end < call.words.length) {
    const w = call.words[end] as WordFacts;
    const known = w.value ?? w.prefix;
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(known)) break;
    end++;
  }
  const program = commandName(call.words, end);
  for (let k = start; k < end; k++) call.fx.assignment(call.words[k] as WordFacts, program);
}

const SUDO = argSpec({ short: 'AbBEeHiKklnNPSsVvaC:c:D:g:h::p:R:r:T:t:U:u:', long: ['askpass/A', 'background/b', 'bell/B', 'close-from=/C', 'chdir=/D', 'preserve-env=?/E', 'edit/e', 'group=/g', 'set-home/H', 'help/h', 'host=', 'login/i', 'remove-timestamp/K', 'reset-timestamp/k', 'list/l', 'non-interactive/n', 'no-update/N', 'preserve-groups/P', 'prompt=/p', 'chroot=/R', 'role=/r', 'stdin/S', 'shell/s', 'type=/t', 'command-timeout=/T', 'other-user=/U', 'user=/u', 'auth-type=/a', 'login-class=/c', 'version/V', 'validate/v'], inOrder: true });

const sudo: FxModel = (call) => {
  const p = parseArgs(call.words, 1, SUDO);
  if (has(p, 'l', 'V', 'K', 'k') || (has(p, 'h') && values(p, 'h').length === 0)) return;
  const user = values(p, 'u')[0];
  const who = user === undefined ? 'root' : (user.value ?? user.text);
  if (has(p, 'v')) {
    call.fx.privilege('sudo', 'sudo -v', 'sudo -v refreshes the credentials later sudo calls use without a password');
    return;
  }
  call.fx.privilege('sudo', user === undefined ? 'sudo' : `sudo -u ${who}`, `runs the command as ${who}`);
  for (const r of values(p, 'R')) call.fx.path('read', r, 'sudo -R', true);
  if (has(p, 'e') || call.name === 'sudoedit') {
    for (const f of p.operands) call.fx.path('write', f, 'sudoedit');
    call.fx.exec('sudo', 'editor', 'editor', 'sudoedit starts an editor', false, 'hidden');
    return;
  }
  const start = p.operandIndex[0];
  if (start !== undefined) assignments(call, start);
};

const doas: FxModel = (call) => {
  const p = parseArgs(call.words, 1, argSpec({ short: 'LnsC:u:a:', inOrder: true }));
  if (has(p, 'C', 'L')) return;
  const user = values(p, 'u')[0];
  call.fx.privilege('doas', 'doas', `runs the command as ${user?.value ?? 'root'}`);
};

const su: FxModel = (call) => {
  call.fx.privilege(call.name, call.name, `${call.name} runs a shell or command as another user (root by default)`);
};

const pkexec: FxModel = (call) => {
  call.fx.privilege('pkexec', 'pkexec', 'pkexec runs the command as another user (root by default)');
};

const chroot: FxModel = (call) => {
  call.fx.privilege('chroot', 'chroot', 'chroot needs root and runs the command under another root directory');
};

const ENV = argSpec({ short: 'i0vu:C:S:a:', long: ['ignore-environment/i', 'null/0', 'unset=/u', 'chdir=/C', 'split-string=/S', 'argv0=/a', 'block-signal=?', 'default-signal=?', 'ignore-signal=?', 'list-signal-handling', 'debug/v', 'help', 'version'], inOrder: true });

const env: FxModel = (call) => {
  const p = parseArgs(call.words, 1, ENV);
  const start = p.operandIndex[0];
  if (start !== undefined && !has(p, 'S')) assignments(call, start);
  // With no command to run, env prints the environment (where tokens and keys live).
  const runs = has(p, 'S') || p.operands.some((w) => w.value === null || !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w.value));
  if (!runs) call.fx.pathText('read', '/proc/self/environ', 'env (prints the environment)');
};

/** `export`, `declare`, `typeset`, `local`, `readonly`: assignments that hold for what runs after. */
const exportBuiltin: FxModel = (call) => {
  // `export`, `export -p`, `declare -x`, `declare -p` with no names print the variables, the environment among them.
  if (call.words.slice(1).every((w) => w.value !== null && /^-[a-zA-Z]*$/.test(w.value))) call.fx.pathText('read', '/proc/self/environ', `${call.name} (prints the environment)`);
  for (const w of call.words.slice(1)) {
    const known = w.value ?? w.prefix;
    if (/^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(known)) call.fx.assignment(w, 'sh');
  }
};

/** `set` alone prints every shell variable, the environment among them; with arguments it sets options. */
const setBuiltin: FxModel = (call) => {
  if (call.words.length === 1) call.fx.pathText('read', '/proc/self/environ', 'set (prints the variables)');
};

const scriptProgram: FxModel = (call) => {
  const p = parseArgs(call.words, 1, argSpec({ short: 'aefqkVhEB:c:I:O:T:t::m:', long: ['append/a', 'command=/c', 'echo=/E', 'return/e', 'flush/f', 'force', 'log-in=/I', 'log-out=/O', 'log-io=/B', 'log-timing=/T', 'logging-format=/m', 'quiet/q', 'timing=?/t', 'output-limit=', 'help/h', 'version/V'] }));
  for (const w of [...values(p, 'I', 'O', 'B', 'T', 't')]) call.fx.path('write', w, 'script');
  call.fx.path('write', p.operands[0] ?? syntheticWord('typescript'), 'script');
};

const flock: FxModel = (call) => {
  const file = call.words.slice(1).find((w) => w.value === null || !w.value.startsWith('-'));
  if (file !== undefined && !/^[0-9]+$/.test(file.value ?? '')) call.fx.path('write', file, 'flock (lock file)');
};

/** deno: subcommands that run code, format files or fetch modules. */
const deno: FxModel = (call) => {
  const subW = call.words.slice(1).find((w) => w.value === null || !w.value.startsWith('-'));
  if (subW === undefined) {
    if (call.words.some((w) => w.value === '--version' || w.value === '-V' || w.value === '--help' || w.value === '-h')) return;
    fromStdin(call, 'repl');
    return;
  }
  const sub = subW.value;
  const at = call.words.indexOf(subW);
  if (sub === null) {
    call.fx.exec('deno', subW.text, 'deno', 'the deno subcommand is only known when the line runs', false, 'runtime');
    return;
  }
  if (sub === 'eval' || sub === 'e') {
    const code = call.words.slice(at + 1).find((w) => w.value === null || !w.value.startsWith('-'));
    inline(call, code, 'deno eval', call.words.length);
    return;
  }
  if (sub === 'fmt' || sub === 'lint') {
    const files = call.words.slice(at + 1).filter((w) => w.value === null || !w.value.startsWith('-'));
    const writes = sub === 'fmt' ? !call.words.some((w) => w.value === '--check') : call.words.some((w) => w.value === '--fix');
    if (files.length === 0) files.push(syntheticWord('.'));
    for (const f of files) {
      call.fx.path('read', f, `deno ${sub}`, true);
      if (writes) call.fx.path('write', f, `deno ${sub}`, true);
    }
    return;
  }
  if (['info', 'doc', 'check', 'types', 'completions', 'help', 'coverage'].includes(sub)) return;
  const known = ['run', 'task', 'test', 'bench', 'serve', 'repl', 'jupyter', 'install', 'compile', 'cache', 'upgrade', 'uninstall', 'add', 'remove', 'outdated', 'init', 'clean', 'publish', 'vendor', 'x', 'bundle', 'update'];
  const target = known.includes(sub) ? call.words.slice(at + 1).find((w) => w.value === null || !w.value.startsWith('-')) : subW;
  if (target?.value !== null && target?.value !== undefined && /^https?:\/\//.test(target.value)) call.fx.url(target, 'deno', 'https', 443);
  call.fx.exec('deno', target?.value ?? target?.text ?? sub, `deno ${known.includes(sub) ? sub : 'run'}`, `deno ${sub} runs code (a script, a task, tests or a package)`, false, 'project');
  if (sub !== 'run' && known.includes(sub)) call.fx.unknownHost('<module registries>', 'https', `deno ${sub}`);
  call.fx.unknownArguments(call, at + (known.includes(sub) ? 2 : 1), 'deno arguments');
};

/** bun: `bun file.ts`, `bun -e`, and the package commands. */
const bun: FxModel = (call) => {
  const words = call.words;
  for (let i = 1; i < words.length; i++) {
    const v = words[i]?.value;
    if (v === '-e' || v === '--eval' || v === '-p' || v === '--print') {
      inline(call, words[i + 1], v, i + 2);
      return;
    }
    if (v !== null && v !== undefined && (v.startsWith('--eval=') || v.startsWith('--print='))) {
      inline(call, syntheticWord(v.slice(v.indexOf('=') + 1)), v.slice(0, v.indexOf('=')), i + 1);
      return;
    }
  }
  if (words[1]?.value === '--version' || words[1]?.value === '-v' || words[1]?.value === '--help') return;
  packageManager('bun')(call);
};

/**
 * The models of programs that run code, by name.
 *
 * @example
 * ```ts
 * RUN_MODELS.get('npm');
 * ```
 */
export const RUN_MODELS: ReadonlyMap<string, FxModel> = new Map<string, FxModel>([
  ...['sh', 'bash', 'rbash', 'dash', 'ash', 'hush', 'ksh', 'mksh', 'lksh', 'pdksh', 'oksh', 'loksh', 'yash', 'posh', 'zsh'].map((n): [string, FxModel] => [n, posixShell]),
  ['source', source],
  ['.', source],
  ['python', python],
  ['pypy', python],
  ['node', node],
  ['nodejs', node],
  ['perl', clustered('eE', 'IxdDl0C', 'Mm', '')],
  ['ruby', clustered('e', 'IEFxWKTl0', 'r', 'C')],
  ['php', php],
  ['lua', evalOrScript(['-e'], ['-l'])],
  ['luajit', evalOrScript(['-e'], ['-l', '-b', '-j', '-O'])],
  ['rscript', evalOrScript(['-e'], [])],
  ['osascript', evalOrScript(['-e'], ['-l', '-s'])],
  ['npm', packageManager('npm')],
  ['pnpm', packageManager('pnpm')],
  ['yarn', packageManager('yarn')],
  ['yarnpkg', packageManager('yarn')],
  ['bun', bun],
  ['npx', npx],
  ['bunx', npx],
  ['pnpx', npx],
  ['deno', deno],
  ['make', make],
  ['gmake', make],
  ['bmake', make],
  ['remake', make],
  ['pip', pip],
  ['pipx', pip],
  ['uv', uv],
  ['uvx', npx],
  ['docker', docker],
  ['podman', docker],
  ['nerdctl', docker],
  ['sudo', sudo],
  ['sudoedit', sudo],
  ['doas', doas],
  ['su', su],
  ['runuser', su],
  ['pkexec', pkexec],
  ['chroot', chroot],
  ['env', env],
  ['genv', env],
  ['export', exportBuiltin],
  ['declare', exportBuiltin],
  ['typeset', exportBuiltin],
  ['local', exportBuiltin],
  ['readonly', exportBuiltin],
  ['set', setBuiltin],
  ['script', scriptProgram],
  ['flock', flock],
]);
