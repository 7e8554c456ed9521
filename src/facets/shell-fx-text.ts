/**
 * Program models for `sed` and `awk`: their scripts are read (`sed-script.ts`, `awk-program.ts`)
 * for the commands they run and the files they write, so `sed 's/a/b/'` and `awk '{print $1}'`
 * are plain readers while `sed 'e id'`, `sed -i`, `awk '{system("id")}'` are not.
 *
 * Internal to the shell effects; not part of the public surface.
 */
import { scanAwk } from './awk-program.js';
import { scanSed } from './sed-script.js';
import { isPlainVariable } from './shell-fx-simple.js';
import { argSpec, basename, has, parseArgs, values, withValue, type FxCall, type FxModel } from './shell-fx-api.js';
import { syntheticWord, type WordFacts } from './shell-words.js';
import { STDIN_PATHS } from './shell-programs.js';

const SED = argSpec({
  short: 'nrsuzEbl:e:f:i::',
  long: ['quiet/n', 'silent/n', 'regexp-extended/r', 'separate/s', 'unbuffered/u', 'null-data/z', 'zero-terminated/z', 'binary/b', 'line-length=/l', 'expression=/e', 'file=/f', 'in-place=?/i', 'posix', 'sandbox', 'debug', 'follow-symlinks', 'help', 'version'],
});

/**
 * For a program file that is stdin (`-f -`, `-f /dev/stdin`): the here-document's text as a word
 * (analysed like `-e`), null when stdin is not known; undefined when the file is not stdin.
 */
function stdinProgram(call: FxCall, f: WordFacts): WordFacts | null | undefined {
  if (f.value !== '-' && !(f.value !== null && STDIN_PATHS.has(f.value))) return undefined;
  return call.stdin.kind === 'text' && call.stdin.text !== null ? syntheticWord(call.stdin.text) : null;
}

/** `sed`: a script from `-e`, `-f` or the first operand; `-i` rewrites the files (and writes backups). */
const sed: FxModel = (call) => {
  const p = parseArgs(call.words, 1, SED);
  for (const u of p.unknown) call.fx.exec('sed', u, `sed ${u}`, `sed: the option ${u} is not one Warden models`, false, 'hidden');
  const scripts: WordFacts[] = values(p, 'e');
  let files = p.operands;
  if (scripts.length === 0 && !has(p, 'f')) {
    const first = files[0];
    if (first !== undefined) scripts.push(first);
    files = files.slice(1);
  }
  const sandbox = has(p, 'sandbox');
  for (const f of values(p, 'f')) {
    const fromStdin = stdinProgram(call, f);
    if (fromStdin !== undefined) {
      // A here-document is script text on the line; anything else on stdin is not known.
      if (fromStdin !== null) scripts.push(fromStdin);
      else if (!sandbox) call.fx.exec('sed', '', 'stdin', 'sed runs a script read from stdin, which can run commands and write files', false, 'script');
      continue;
    }
    call.fx.path('read', f, 'sed -f');
    if (!sandbox) call.fx.exec('sed', f.value ?? f.text, 'sed -f', 'sed runs a script file, which can run commands and write files', false, 'script');
  }
  for (const s of scripts) script(call, s, sandbox);
  const inPlace = p.options.filter((o) => o.key === 'i');
  for (const f of files) {
    call.fx.path('read', f, 'sed');
    if (inPlace.length === 0) continue;
    call.fx.path('write', f, 'sed -i');
    const suffix = inPlace[inPlace.length - 1]?.value;
    if (suffix !== undefined) backup(call, f, suffix);
  }
};

/** `sed -i.bak`: the backup is `file.bak`, or with `*` the suffix is a name pattern (`-i 'old/*'`). */
function backup(call: FxCall, file: WordFacts, suffix: WordFacts): void {
  if (suffix.value === null || file.value === null) {
    call.fx.path('write', suffix.value === null ? suffix : file, 'sed -i backup');
    return;
  }
  if (suffix.value === '') return;
  const name = suffix.value.includes('*') ? suffix.value.replaceAll('*', basename(file.value)) : null;
  if (name === null) call.fx.path('write', withValue(file, file.value + suffix.value), 'sed -i backup');
  else if (name.includes('/')) call.fx.pathText('write', name, 'sed -i backup');
  else call.fx.path('write', withValue(file, file.value.includes('/') ? `${file.value.slice(0, file.value.lastIndexOf('/') + 1)}${name}` : name), 'sed -i backup');
}

function script(call: FxCall, s: WordFacts, sandbox: boolean): void {
  if (s.value === null) {
    call.fx.exec('sed', s.text, 'sed script', 'the sed script is only known when the line runs; it can run commands and write files', false, 'runtime');
    return;
  }
  const f = scanSed(s.value);
  if (!f.ok) {
    call.fx.exec('sed', s.value, 'sed script', 'sed: the script could not be read, so what it runs and writes is not known', false, 'hidden');
    return;
  }
  // --sandbox makes sed refuse e, w and r.
  if (sandbox) return;
  for (const e of f.exec) {
    call.fx.exec('sh', e ?? '', e === null ? 'sed e (pattern space)' : 'sed e', e === null ? 'sed runs the pattern space as a command' : 'sed runs the command of its e command', e !== null, 'hidden');
    if (e !== null) call.sink.code(e, 'bash');
  }
  for (const w of f.writes) call.fx.pathText('write', w, 'sed w');
  for (const r of f.reads) call.fx.pathText('read', r, 'sed r');
}

const AWK = argSpec({
  short: 'bcCgGhLMnNOPrsStVYZv:F:f:e:E:i:l:d::D::o::p::W:',
  long: ['assign=/v', 'field-separator=/F', 'file=/f', 'source=/e', 'exec=/E', 'include=/i', 'load=/l', 'dump-variables=?/d', 'debug=?/D', 'pretty-print=?/o', 'profile=?/p', 'sandbox/S', 'characters-as-bytes/b', 'traditional/c', 'copyright/C', 'gen-pot/g', 'help/h', 'lint=?/L', 'bignum/M', 'use-lc-numeric/N', 'non-decimal-data/n', 'optimize/O', 'posix/P', 're-interval/r', 'no-optimize/s', 'lint-old/t', 'version/V', 'csv/k'],
});

/** `awk`: the program from `-f`/`-e` or the first operand; other operands are files (or `var=value`). */
const awk: FxModel = (call) => {
  const p = parseArgs(call.words, 1, AWK);
  for (const u of p.unknown) call.fx.exec(call.name, u, `${call.name} ${u}`, `${call.name}: the option ${u} is not one Warden models`, false, 'hidden');
  const sandbox = has(p, 'S');
  let operands = p.operands;
  const programs: WordFacts[] = values(p, 'e');
  for (const f of values(p, 'f', 'E')) {
    const fromStdin = stdinProgram(call, f);
    if (fromStdin !== undefined) {
      if (fromStdin !== null) programs.push(fromStdin);
      else if (!sandbox) call.fx.exec(call.name, '', 'stdin', `${call.name} runs a program read from stdin, which can run commands and write files`, false, 'script');
      continue;
    }
    call.fx.path('read', f, `${call.name} -f`);
    if (!sandbox) call.fx.exec(call.name, f.value ?? f.text, `${call.name} -f`, `${call.name} runs a program file, which can run commands and write files`, false, 'script');
  }
  let inplace = false;
  for (const lib of values(p, 'i', 'l')) {
    if (lib.value === 'inplace') inplace = true;
    else call.fx.exec(call.name, lib.value ?? lib.text, `${call.name} -i/-l`, `${call.name} loads a library or extension`, false, 'module');
  }
  for (const w of values(p, 'd', 'o', 'p')) call.fx.path('write', w, call.name);
  if (programs.length === 0 && !has(p, 'f', 'E')) {
    const first = operands[0];
    if (first !== undefined) programs.push(first);
    operands = operands.slice(1);
  }
  for (const prog of programs) program(call, prog, sandbox);
  for (const w of operands) {
    // `var=value` operands are assignments, not files.
    if (w.value !== null && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w.value)) continue;
    call.fx.path('read', w, call.name);
    if (inplace) call.fx.path('write', w, `${call.name} -i inplace`);
  }
};

function program(call: FxCall, prog: WordFacts, sandbox: boolean): void {
  const name = call.name;
  if (prog.value === null) {
    call.fx.exec(name, prog.text, `${name} program`, `the ${name} program is only known when the line runs; it can run commands and write files`, false, 'runtime');
    return;
  }
  const f = scanAwk(prog.value);
  if (!f.ok) {
    call.fx.exec(name, prog.value, `${name} program`, `${name}: the program could not be read, so what it runs and writes is not known`, false, 'hidden');
    return;
  }
  // --sandbox disables system(), pipes, redirections and extensions.
  if (sandbox) return;
  for (const e of f.exec) {
    call.fx.exec('sh', e ?? '', e === null ? `${name} (command built at run time)` : `${name} system/pipe`, `${name} runs a command through the shell`, e !== null, 'hidden');
    if (e !== null) call.sink.code(e, 'bash');
  }
  for (const w of f.writes) {
    if (w === null) call.fx.path('write', { value: null, text: `<${name} output file>`, singleField: false, prefix: '', tilde: false, pattern: null }, `${name} print >`);
    else call.fx.pathText('write', w, `${name} print >`);
  }
  for (const r of f.reads) {
    if (r === null) call.fx.path('read', { value: null, text: `<${name} input file>`, singleField: false, prefix: '', tilde: false, pattern: null }, `${name} getline <`);
    else call.fx.pathText('read', r, `${name} getline <`);
  }
  for (const net of f.network) {
    const m = /^\/inet[46]?\/(tcp|udp)\/[^/]*\/([^/]+)\/([^/]+)$/.exec(net);
    if (m === null) call.fx.unknownHost(net, 'tcp', `${name} /inet`);
    else call.fx.host(m[2] as string, Number(m[3]) || 0, m[1] as string, `${name} /inet`);
  }
  for (const x of f.extensions) call.fx.exec(name, x, `${name} ${x}`, `${name} loads or calls code this analysis cannot see`, false, 'module');
  // ENVIRON is the environment, where tokens and keys live: as printenv, unless every key is plain.
  if (f.environ.some((v) => !isPlainVariable(v))) call.fx.pathText('read', '/proc/self/environ', `${name} ENVIRON (the environment)`);
}

/**
 * The text-processing models, by name.
 *
 * @example
 * ```ts
 * TEXT_MODELS.get('sed');
 * ```
 */
export const TEXT_MODELS: ReadonlyMap<string, FxModel> = new Map<string, FxModel>([
  ['sed', sed],
  ['gsed', sed],
  ['awk', awk],
  ['gawk', awk],
  ['mawk', awk],
  ['nawk', awk],
  ['busybox-awk', awk],
]);
