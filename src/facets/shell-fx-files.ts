/**
 * Program models for file utilities whose operands have roles by position or by option: `cp`,
 * `mv`, `install`, `ln`, `rmdir`, `shred`, `mkdir`, `chmod`, `chown`, `chgrp`, `chattr`,
 * `setcap`, `dd`, `uniq`, `xxd`, `jq`, `yq`, `patch`, `split`, `csplit`, `date`, `hostname`,
 * `mknod`, and the archivers and compressors (`tar`, `zip`, `unzip`, `gzip` and kin).
 *
 * Internal to the shell effects; not part of the public surface.
 */
import { argSpec, copyInto, has, parseArgs, values, withValue, type FxCall, type FxModel, type ParsedArgs } from './shell-fx-api.js';
import { syntheticWord, type WordFacts } from './shell-words.js';

const HELP = ['help', 'version'];

/** The target of `-t dir` / `--target-directory`, the no-target flag, and what remains. */
function targets(p: ParsedArgs): { dir: WordFacts | undefined; noTarget: boolean } {
  const dirs = values(p, 't');
  return { dir: dirs[dirs.length - 1], noTarget: has(p, 'T') };
}

/** `cp`, `mv`, `install`: sources read (and deleted for `mv`), the destination written. */
function copier(spec: ReturnType<typeof argSpec>, move: boolean, extra?: (call: FxCall, p: ParsedArgs) => boolean): FxModel {
  return (call) => {
    const p = parseArgs(call.words, 1, spec);
    if (extra !== undefined && extra(call, p)) return;
    const via = call.name;
    const recursive = move || has(p, 'r', 'R', 'a');
    const { dir, noTarget } = targets(p);
    let sources = p.operands;
    let dest: WordFacts | undefined;
    if (dir !== undefined) dest = dir;
    else {
      dest = sources[sources.length - 1];
      sources = sources.slice(0, -1);
    }
    for (const s of sources) {
      call.fx.path('read', s, via, recursive);
      if (move) call.fx.path('delete', s, via, true);
    }
    if (dest !== undefined) copyInto(call.fx, sources, dest, dir !== undefined ? true : noTarget ? false : undefined, recursive, via);
  };
}

const CP = argSpec({
  short: 'abdfHiLlnPpRrsTt:uvxS:Z',
  long: ['archive/a', 'attributes-only', 'backup=?', 'copy-contents', 'dereference/L', 'force/f', 'interactive/i', 'link/l', 'no-clobber/n', 'no-dereference/P', 'preserve=?', 'no-preserve=', 'parents', 'recursive/r', 'reflink=?', 'remove-destination', 'sparse=', 'strip-trailing-slashes', 'symbolic-link/s', 'suffix=/S', 'target-directory=/t', 'no-target-directory/T', 'update=?', 'verbose/v', 'one-file-system/x', 'context=?', 'debug', 'keep-directory-symlink', ...HELP],
});
const MV = argSpec({ short: 'bfinS:t:TuvZ', long: ['backup=?', 'force/f', 'interactive/i', 'no-clobber/n', 'strip-trailing-slashes', 'suffix=/S', 'target-directory=/t', 'no-target-directory/T', 'update=?', 'verbose/v', 'context', 'exchange', 'no-copy', 'debug', ...HELP] });
const INSTALL = argSpec({
  short: 'bcCdDg:m:o:pPsS:t:TvZ',
  long: ['backup=?', 'compare/C', 'directory/d', 'group=/g', 'mode=/m', 'owner=/o', 'preserve-timestamps/p', 'preserve-context', 'strip/s', 'strip-program=', 'suffix=/S', 'target-directory=/t', 'no-target-directory/T', 'verbose/v', 'context=?', 'debug', ...HELP],
});

/** True when a `chmod`-style mode sets the set-user-ID or set-group-ID bit. */
export function setsIdBits(mode: string): boolean {
  if (/^[0-7]{4,}$/.test(mode)) return (Number.parseInt(mode.slice(-4, -3), 8) & 6) !== 0;
  return mode.split(',').some((clause) => /^[ugoa]*[-+=]/.test(clause) && /^[ugoa]*[+=][rwxXst]*s/.test(clause));
}

const install = copier(INSTALL, false, (call, p) => {
  for (const m of values(p, 'm')) {
    if (m.value === null || setsIdBits(m.value)) call.fx.privilege('setuid', 'install -m', `install sets mode ${m.value ?? m.text}, which may set the set-user-ID or set-group-ID bit`);
  }
  if (has(p, 'o', 'g')) call.fx.privilege('chown', 'install -o', 'install sets the owner or group of what it installs');
  for (const prog of values(p, 'strip-program')) call.fx.exec('install', prog.value ?? prog.text, 'install --strip-program', 'install runs the strip program it is given', false, 'hidden');
  if (has(p, 'd')) {
    for (const d of p.operands) call.fx.path('write', d, 'install -d');
    return true;
  }
  return false;
});

const LN = argSpec({ short: 'bdfFinLPrsS:t:Tv', long: ['backup=?', 'directory/d', 'force/f', 'interactive/i', 'logical/L', 'no-dereference/n', 'physical/P', 'relative/r', 'symbolic/s', 'suffix=/S', 'target-directory=/t', 'no-target-directory/T', 'verbose/v', ...HELP] });

/**
 * `ln target... [link]`: the link is written; the target is counted as written too, since a
 * write through the link reaches it (`ln -s ~/.bashrc x; echo >> x`).
 */
const ln: FxModel = (call) => {
  const p = parseArgs(call.words, 1, LN);
  const { dir, noTarget } = targets(p);
  let sources = p.operands;
  let dest: WordFacts | undefined;
  if (dir !== undefined) dest = dir;
  else if (sources.length >= 2) {
    dest = sources[sources.length - 1];
    sources = sources.slice(0, -1);
  } else dest = syntheticWord('.');
  for (const s of sources) call.fx.path('write', s, 'ln target');
  if (dest !== undefined) copyInto(call.fx, sources, dest, dir !== undefined || p.operands.length < 2 ? true : noTarget ? false : undefined, false, 'ln');
};

const link: FxModel = (call) => {
  const ops = parseArgs(call.words, 1, argSpec({ long: HELP })).operands;
  for (const w of ops) call.fx.path('write', w, 'link');
};

const RMDIR = argSpec({ short: 'pv', long: ['ignore-fail-on-non-empty', 'parents/p', 'verbose/v', ...HELP] });
const rmdir: FxModel = (call) => {
  const p = parseArgs(call.words, 1, RMDIR);
  for (const w of p.operands) {
    call.fx.path('delete', w, 'rmdir');
    // -p removes each parent named in the argument too.
    if (has(p, 'p') && w.value !== null) {
      let v = w.value.replace(/\/+$/, '');
      while (v.includes('/')) {
        v = v.slice(0, v.lastIndexOf('/'));
        if (v === '') break;
        call.fx.path('delete', withValue(w, v), 'rmdir -p');
      }
    }
  }
};

const SHRED = argSpec({ short: 'fn:s:uvxz', long: ['force/f', 'iterations=/n', 'random-source=', 'size=/s', 'remove=?/u', 'verbose/v', 'exact/x', 'zero/z', ...HELP] });
const shred: FxModel = (call) => {
  const p = parseArgs(call.words, 1, SHRED);
  for (const w of values(p, 'random-source')) call.fx.path('read', w, 'shred');
  for (const w of p.operands) {
    call.fx.path('write', w, 'shred');
    if (has(p, 'u')) call.fx.path('delete', w, 'shred -u');
  }
};

const MKDIR = argSpec({ short: 'm:pvZ', long: ['mode=/m', 'parents/p', 'verbose/v', 'context=?', ...HELP] });
const mkdir: FxModel = (call) => {
  const p = parseArgs(call.words, 1, MKDIR);
  for (const m of values(p, 'm')) if (m.value === null || setsIdBits(m.value)) call.fx.privilege('setuid', 'mkdir -m', `mkdir sets mode ${m.value ?? m.text}`);
  for (const w of p.operands) call.fx.path('write', w, 'mkdir');
};

const MKNOD = argSpec({ short: 'm:Z', long: ['mode=/m', 'context=?', ...HELP] });
const mknod: FxModel = (call) => {
  const p = parseArgs(call.words, 1, MKNOD);
  const name = p.operands[0];
  if (name !== undefined) call.fx.path('write', name, 'mknod');
  if (p.operands.length > 2) call.fx.privilege('mknod', 'mknod', 'mknod creates a device node');
};

/**
 * `chmod`, `chown`, `chgrp`, `chattr`: the first operand is a mode or owner (unless
 * `--reference`), the rest are written (recursively with `-R`). A mode may look like an option
 * (`chmod -x f`), so options are read by hand.
 */
function attributes(kind: 'chmod' | 'chown' | 'chgrp' | 'chattr'): FxModel {
  const flags = kind === 'chattr' ? /^-[RVfv]+$/ : /^-[cfvRhHLP]+$/;
  return (call) => {
    let recursive = false;
    let reference = false;
    const operands: WordFacts[] = [];
    let optionsDone = false;
    for (let i = 1; i < call.words.length; i++) {
      const w = call.words[i] as WordFacts;
      const v = w.value;
      if (!optionsDone && v !== null) {
        if (v === '--') {
          optionsDone = true;
          continue;
        }
        if (v.startsWith('--')) {
          if (v.startsWith('--reference')) {
            reference = true;
            const eq = v.indexOf('=');
            call.fx.path('read', eq === -1 ? (call.words[++i] ?? syntheticWord('')) : syntheticWord(v.slice(eq + 1)), kind);
          } else if (v === '--recursive') recursive = true;
          else if (v.startsWith('--from')) {
            if (!v.includes('=')) i++;
          }
          continue;
        }
        if (flags.test(v) && !(kind !== 'chown' && kind !== 'chgrp' && operands.length === 0 && /^-[rwxXst]+$/.test(v) && !/[cfvRhHLPV]/.test(v))) {
          if (v.includes('R')) recursive = true;
          continue;
        }
        if (kind === 'chattr' && /^-[pv]$/.test(v)) {
          i++;
          continue;
        }
      }
      operands.push(w);
    }
    const spec = reference ? undefined : operands.shift();
    if (kind === 'chmod' && spec !== undefined && (spec.value === null || setsIdBits(spec.value))) {
      call.fx.privilege('setuid', 'chmod', `chmod ${spec.value ?? spec.text} may set the set-user-ID or set-group-ID bit`);
    }
    if (kind === 'chown' || kind === 'chgrp') call.fx.privilege('chown', kind, `${kind} changes who owns the files`);
    if (kind === 'chattr') call.fx.privilege('chattr', 'chattr', 'chattr changes file attributes such as immutable');
    for (const w of operands) call.fx.path('write', w, kind, recursive);
  };
}

/** `setcap caps file [caps file ...]` or `setcap -r file`. */
const setcap: FxModel = (call) => {
  call.fx.privilege('setcap', 'setcap', 'setcap grants a program capabilities');
  let remove = false;
  const ops: WordFacts[] = [];
  for (let i = 1; i < call.words.length; i++) {
    const w = call.words[i] as WordFacts;
    if (w.value === '-r') remove = true;
    else if (w.value === '-n') i++;
    else if (w.value === '-q' || w.value === '-v') continue;
    else ops.push(w);
  }
  ops.forEach((w, k) => {
    if (remove || k % 2 === 1) call.fx.path('write', w, 'setcap');
  });
};

/** `dd if=... of=...`. */
const dd: FxModel = (call) => {
  for (const w of call.words.slice(1)) {
    const known = w.value ?? w.prefix;
    if (known.startsWith('if=')) call.fx.path('read', w.value === null ? { ...w, prefix: w.prefix.slice(3), tilde: false, pattern: null } : syntheticWord(known.slice(3)), 'dd if=');
    else if (known.startsWith('of=')) call.fx.path('write', w.value === null ? { ...w, prefix: w.prefix.slice(3), tilde: false, pattern: null } : syntheticWord(known.slice(3)), 'dd of=');
    else if (w.value === null && !known.includes('=')) {
      call.fx.path('read', w, 'dd');
      call.fx.path('write', w, 'dd');
    }
  }
};

/** `uniq [in [out]]`, `xxd [in [out]]`: the second operand is written. */
function inOut(spec: ReturnType<typeof argSpec>, via: string): FxModel {
  return (call) => {
    const p = parseArgs(call.words, 1, spec);
    const [input, output] = p.operands;
    if (input !== undefined) call.fx.path('read', input, via);
    if (output !== undefined) call.fx.path('write', output, via);
  };
}

const UNIQ = argSpec({ short: 'cdDf:is:uw:z', long: ['count', 'repeated', 'all-repeated=?', 'skip-fields=/f', 'group=?', 'ignore-case', 'skip-chars=/s', 'unique', 'zero-terminated', 'check-chars=/w', ...HELP] });
const XXD = argSpec({ short: 'abCdeEhiprRuvc:g:l:s:o:n:' });

const JQ = argSpec({ short: 'nrjacCMSesRL:f:', long: ['null-input/n', 'raw-input/R', 'slurp/s', 'compact-output/c', 'raw-output/r', 'raw-output0', 'join-output/j', 'ascii-output/a', 'sort-keys/S', 'color-output/C', 'monochrome-output/M', 'tab', 'indent=', 'unbuffered', 'stream', 'stream-errors', 'seq', 'from-file=/f', 'exit-status/e', 'arg', 'argjson', 'slurpfile', 'rawfile', 'args', 'jsonargs', ...HELP] });

/** `jq [options] filter [files]`: `--arg`, `--argjson`, `--slurpfile`, `--rawfile` take two values; after `--args` operands are values. */
const jq: FxModel = (call) => {
  const words: WordFacts[] = [call.words[0] as WordFacts];
  let argsMode = false;
  for (let i = 1; i < call.words.length; i++) {
    const w = call.words[i] as WordFacts;
    const v = w.value;
    if (v === '--arg' || v === '--argjson') i += 2;
    else if (v === '--slurpfile' || v === '--rawfile') {
      const file = call.words[i + 2];
      if (file !== undefined) call.fx.path('read', file, `jq ${v}`);
      i += 2;
    } else if (v === '--args' || v === '--jsonargs') argsMode = true;
    else if (argsMode && v !== null && !v.startsWith('-')) continue;
    else words.push(w);
  }
  const p = parseArgs(words, 1, JQ);
  for (const f of values(p, 'f')) call.fx.path('read', f, 'jq -f');
  const files = has(p, 'f') ? p.operands : p.operands.slice(1);
  for (const w of files) call.fx.path('read', w, 'jq');
};

const YQ = argSpec({ short: 'iIpPoejMCnrsNvVhx:', long: ['inplace/i', 'indent=/I', 'input-format=/p', 'output-format=/o', 'exit-status/e', 'front-matter=', 'header-preprocess', 'null-input/n', 'unwrapScalar=?/r', 'split-exp=/s', 'no-doc/N', 'expression=', 'from-file=', 'nul-output', 'colors/C', 'no-colors/M', 'prettyPrint/P', 'xml-attribute-prefix=', 'xml-content-name=', 'lua-prefix=', 'lua-suffix=', ...HELP] });
/** `yq [eval|e] [expression] files`: `-i` rewrites the files in place. */
const yq: FxModel = (call) => {
  const p = parseArgs(call.words, 1, YQ);
  let ops = p.operands;
  if (ops[0]?.value === 'eval' || ops[0]?.value === 'e' || ops[0]?.value === 'eval-all' || ops[0]?.value === 'ea') ops = ops.slice(1);
  const files = has(p, 'expression', 'from-file') ? ops : ops.slice(1);
  for (const f of values(p, 'from-file')) call.fx.path('read', f, 'yq');
  for (const w of files) {
    call.fx.path('read', w, 'yq');
    if (has(p, 'i')) call.fx.path('write', w, 'yq -i');
  }
};

const PATCH = argSpec({ short: 'bcCeEfFgnNRstuvZB:d:D:i:o:p:r:V:Y:z:l', long: ['backup/b', 'context/c', 'directory=/d', 'ifdef=/D', 'input=/i', 'output=/o', 'strip=/p', 'reject-file=/r', 'reverse/R', 'forward/N', 'dry-run', 'quiet', 'silent', 'force/f', 'batch/t', 'posix', 'merge=?', 'binary', 'follow-symlinks', 'read-only=', 'backup-if-mismatch', 'no-backup-if-mismatch', 'verbose', 'unified/u', 'normal/n', 'ed/e', 'prefix=/B', 'suffix=/z', 'basename-prefix=/Y', 'version-control=/V', 'remove-empty-files/E', 'ignore-whitespace/l', 'set-utc/Z', 'set-time/T', 'quoting-style=', ...HELP] });
/** `patch`: writes the files the patch names (unknown names, confined to the directory by patch itself). */
const patch: FxModel = (call) => {
  const p = parseArgs(call.words, 1, PATCH);
  for (const w of values(p, 'i')) call.fx.path('read', w, 'patch -i');
  for (const w of values(p, 'o', 'r')) call.fx.path('write', w, 'patch');
  const [target, patchFile] = p.operands;
  if (patchFile !== undefined) call.fx.path('read', patchFile, 'patch');
  if (has(p, 'dry-run')) return;
  if (target !== undefined) call.fx.path('write', target, 'patch');
  else {
    const dirs = values(p, 'd');
    call.fx.inDirectory(dirs.length > 0 ? (dirs[dirs.length - 1] as WordFacts) : syntheticWord('.'), () => call.fx.pathText('write', '.', 'patch (files the patch names)', true));
  }
};

const SPLIT = argSpec({ short: 'a:b:C:dxel:n:t:u', long: ['suffix-length=/a', 'additional-suffix=', 'bytes=/b', 'line-bytes=/C', 'numeric-suffixes=?', 'hex-suffixes=?', 'elide-empty-files/e', 'filter=', 'lines=/l', 'number=/n', 'separator=/t', 'unbuffered/u', 'verbose', ...HELP] });
/** `split [input [prefix]]`: files named prefix + suffix next to the prefix; `--filter` runs a command. */
const split: FxModel = (call) => {
  const p = parseArgs(call.words, 1, SPLIT);
  for (const f of values(p, 'filter')) {
    call.fx.exec('split', f.value ?? f.text, 'split --filter', 'split runs the filter command for each piece', f.value !== null, 'hidden');
    call.sink.code(f.value, 'bash');
  }
  const [input, prefix] = p.operands;
  if (input !== undefined) call.fx.path('read', input, 'split');
  writePrefixed(call, prefix ?? syntheticWord('x'), 'split');
};

/** Files named `prefix*`: an unknown path within the prefix's directory. */
function writePrefixed(call: FxCall, prefix: WordFacts, via: string): void {
  if (prefix.value === null) {
    call.fx.path('write', prefix, via);
    return;
  }
  const escaped = prefix.value.replace(/[*?[\\\]]/g, (c) => `\\${c}`);
  call.fx.path('write', { value: null, text: `${prefix.value}*`, singleField: false, prefix: prefix.value, tilde: prefix.tilde, pattern: `${escaped}*` }, via);
}

const CSPLIT = argSpec({ short: 'b:f:kn:szq', long: ['suffix-format=/b', 'prefix=/f', 'keep-files/k', 'suppress-matched', 'digits=/n', 'quiet', 'silent', 'elide-empty-files/z', ...HELP] });
const csplit: FxModel = (call) => {
  const p = parseArgs(call.words, 1, CSPLIT);
  const input = p.operands[0];
  if (input !== undefined) call.fx.path('read', input, 'csplit');
  const prefixes = values(p, 'f');
  writePrefixed(call, prefixes[prefixes.length - 1] ?? syntheticWord('xx'), 'csplit');
};

/** `date`: `-s`/`--set` sets the clock; `-f`, `-r` read files. */
const DATE = argSpec({ short: 'd:f:I::r:R::s:u', long: ['date=/d', 'debug', 'file=/f', 'iso-8601=?/I', 'reference=/r', 'rfc-email', 'rfc-3339=', 'set=/s', 'utc', 'universal', ...HELP] });
const date: FxModel = (call) => {
  const p = parseArgs(call.words, 1, DATE);
  for (const w of values(p, 'f', 'r')) call.fx.path('read', w, 'date');
  if (has(p, 's')) call.fx.privilege('clock', 'date -s', 'date sets the system clock');
};

const hostname: FxModel = (call) => {
  const p = parseArgs(call.words, 1, argSpec({ short: 'aAbdfiIsyF:', long: ['file=/F', ...HELP] }));
  for (const w of values(p, 'F')) call.fx.path('read', w, 'hostname -F');
  if (p.operands.length > 0 || has(p, 'F', 'b')) call.fx.privilege('hostname', 'hostname', 'hostname sets the host name');
};

// ---- archives and compression --------------------------------------------------------------

const COMPRESSORS = new Map<string, { suffix: string; decompress: boolean; stdout: boolean }>([
  ['gzip', { suffix: '.gz', decompress: false, stdout: false }],
  ['gunzip', { suffix: '.gz', decompress: true, stdout: false }],
  ['zcat', { suffix: '.gz', decompress: true, stdout: true }],
  ['bzip2', { suffix: '.bz2', decompress: false, stdout: false }],
  ['bunzip2', { suffix: '.bz2', decompress: true, stdout: false }],
  ['bzcat', { suffix: '.bz2', decompress: true, stdout: true }],
  ['xz', { suffix: '.xz', decompress: false, stdout: false }],
  ['unxz', { suffix: '.xz', decompress: true, stdout: false }],
  ['xzcat', { suffix: '.xz', decompress: true, stdout: true }],
  ['lzma', { suffix: '.lzma', decompress: false, stdout: false }],
  ['unlzma', { suffix: '.lzma', decompress: true, stdout: false }],
  ['zstd', { suffix: '.zst', decompress: false, stdout: false }],
  ['unzstd', { suffix: '.zst', decompress: true, stdout: false }],
  ['zstdcat', { suffix: '.zst', decompress: true, stdout: true }],
  ['lz4', { suffix: '.lz4', decompress: false, stdout: false }],
  ['brotli', { suffix: '.br', decompress: false, stdout: false }],
  ['compress', { suffix: '.Z', decompress: false, stdout: false }],
  ['uncompress', { suffix: '.Z', decompress: true, stdout: false }],
]);
const COMPRESS = argSpec({ short: 'cdfhklLnNqrtvV0123456789S:o:T:b:B:M:', long: ['stdout/c', 'to-stdout/c', 'decompress/d', 'uncompress/d', 'force/f', 'keep/k', 'list/l', 'test/t', 'recursive/r', 'suffix=/S', 'output=/o', 'quiet/q', 'verbose/v', 'rm', 'threads=/T', 'fast', 'best', 'name/N', 'no-name/n', 'rsyncable', 'synchronous', 'memory=/M', ...HELP] });

/** gzip and kin: the file is replaced by its (de)compressed sibling unless `-c`, `-t`, `-l` or `-k`. */
function compressor(name: string): FxModel {
  const c = COMPRESSORS.get(name) as { suffix: string; decompress: boolean; stdout: boolean };
  return (call) => {
    const p = parseArgs(call.words, 1, COMPRESS);
    const toStdout = c.stdout || has(p, 'c', 't', 'l');
    const decompress = c.decompress || has(p, 'd');
    const recursive = has(p, 'r');
    for (const w of values(p, 'o')) call.fx.path('write', w, name);
    for (const w of p.operands) {
      call.fx.path('read', w, name, recursive);
      if (toStdout) continue;
      if (recursive || w.value === null) call.fx.path('write', w, name, recursive);
      else call.fx.path('write', withValue(w, decompress ? w.value.replace(/\.[^./]*$/, '') : w.value + c.suffix), name);
      if (!has(p, 'k') || has(p, 'rm')) call.fx.path('delete', w, name, recursive);
    }
  };
}

const UNZIP = argSpec({ short: 'cflptTuvzjnoqaCKLMVXZ2d:x:P:', long: [] });
/** `unzip archive [members] [-x excluded] [-d dir]`: writes under dir (or `.`) unless listing or testing. */
const unzip: FxModel = (call) => {
  const xAt = call.words.findIndex((w, i) => i > 0 && w.value === '-x');
  const words = xAt === -1 ? call.words : call.words.slice(0, xAt);
  const p = parseArgs(words, 1, UNZIP);
  const archive = p.operands[0];
  if (archive !== undefined) call.fx.path('read', archive, 'unzip');
  if (has(p, 'l', 't', 'v', 'p', 'c', 'z', 'Z')) return;
  const dirs = values(p, 'd');
  call.fx.path('write', dirs[dirs.length - 1] ?? syntheticWord('.'), 'unzip', true);
};

const ZIP = argSpec({ short: 'rRjJDkTgmquvzoXyFAUWe0123456789@dfib:t:n:P:O:Z:', long: ['recurse-paths/r', 'junk-paths/j', 'test/T', 'unzip-command=', 'move/m', 'delete/d', 'grow/g', 'freshen/f', 'update/u', 'quiet/q', 'verbose/v', 'symlinks/y', 'output-file=/O', 'password=/P', 'temp-path=/b', 'exclude=', 'include=', ...HELP] });
/** `zip archive files... [-x patterns]`: the archive is written, files read (deleted with `-m`); `-TT cmd` runs a command. */
const zip: FxModel = (call) => {
  const cut = call.words.findIndex((w, i) => i > 0 && (w.value === '-x' || w.value === '-i' || w.value === '--exclude' || w.value === '--include'));
  const words = [...(cut === -1 ? call.words : call.words.slice(0, cut))];
  for (let i = 1; i < words.length; i++) {
    const v = words[i]?.value;
    if (v === '-TT' || v === '--unzip-command' || (v !== null && v !== undefined && v.startsWith('--unzip-command='))) {
      const cmd = v.includes('=') ? syntheticWord(v.slice(v.indexOf('=') + 1)) : (words[i + 1] ?? syntheticWord(''));
      call.fx.exec('zip', cmd.value ?? cmd.text, 'zip -TT', 'zip runs the command given to test the archive', cmd.value !== null, 'hidden');
      call.sink.code(cmd.value, 'bash');
      words.splice(i, v.includes('=') ? 1 : 2);
      i--;
    }
  }
  const p = parseArgs(words, 1, ZIP);
  const [archive, ...files] = p.operands;
  for (const w of values(p, 'O')) call.fx.path('write', w, 'zip');
  if (archive !== undefined) call.fx.path('write', archive, 'zip');
  if (has(p, '@')) call.fx.path('read', { value: null, text: '<names from stdin>', singleField: false, prefix: '', tilde: false, pattern: null }, 'zip -@');
  for (const f of files) {
    call.fx.path('read', f, 'zip', has(p, 'r', 'R'));
    if (has(p, 'm')) call.fx.path('delete', f, 'zip -m', has(p, 'r', 'R'));
  }
};

const TAR = argSpec({
  short: 'AcdrtuxC:f:F:g:I:K:L:N:T:V:X:aBGhiJjklmMnOopPRsSUvWwzZb:H:',
  long: [
    'catenate/A', 'concatenate/A', 'create/c', 'diff/d', 'compare/d', 'append/r', 'list/t', 'update/u', 'extract/x', 'get/x', 'delete', 'test-label',
    'directory=/C', 'file=/f', 'info-script=/F', 'new-volume-script=/F', 'listed-incremental=/g', 'use-compress-program=/I', 'starting-file=/K',
    'tape-length=/L', 'newer=/N', 'after-date=/N', 'files-from=/T', 'label=/V', 'exclude-from=/X', 'to-command=', 'checkpoint-action=', 'rsh-command=',
    'rmt-command=', 'index-file=', 'remove-files', 'absolute-names/P', 'to-stdout/O', 'force-local', 'auto-compress/a', 'gzip/z', 'gunzip/z', 'ungzip/z',
    'bzip2/j', 'xz/J', 'lzip', 'lzma', 'lzop', 'zstd', 'compress/Z', 'uncompress/Z', 'keep-old-files/k', 'keep-newer-files', 'overwrite', 'overwrite-dir',
    'unlink-first/U', 'recursive-unlink', 'skip-old-files', 'no-overwrite-dir', 'verbose/v', 'verify/W', 'interactive/w', 'confirmation/w', 'preserve-permissions/p',
    'same-permissions/p', 'same-owner', 'no-same-owner', 'no-same-permissions', 'numeric-owner', 'owner=', 'group=', 'mode=', 'mtime=', 'sort=', 'format=/H',
    'transform=', 'xform=', 'strip-components=', 'exclude=', 'exclude-vcs', 'exclude-vcs-ignores', 'exclude-backups', 'exclude-caches', 'exclude-caches-all',
    'exclude-tag=', 'exclude-tag-all=', 'exclude-tag-under=', 'anchored', 'no-anchored', 'wildcards', 'no-wildcards', 'wildcards-match-slash',
    'ignore-case', 'no-ignore-case', 'recursion', 'no-recursion', 'null', 'no-null', 'dereference/h', 'hard-dereference', 'one-file-system', 'one-top-level=?',
    'checkpoint=?', 'totals=?', 'utc', 'quoting-style=', 'show-transformed-names', 'show-stored-names', 'ignore-zeros/i', 'ignore-failed-read', 'sparse/S',
    'sparse-version=', 'blocking-factor=/b', 'record-size=', 'block-number/R', 'multi-volume/M', 'volno-file=', 'pax-option=', 'posix', 'xattrs', 'no-xattrs',
    'xattrs-include=', 'xattrs-exclude=', 'selinux', 'no-selinux', 'acls', 'no-acls', 'level=', 'occurrence=?', 'hole-detection=', 'warning=', 'no-seek',
    'seek/n', 'atime-preserve=?', 'restrict', 'check-device', 'no-check-device', 'backup=?', 'suffix=', 'full-time', 'delay-directory-restore',
    'no-delay-directory-restore', 'read-full-records/B', 'incremental/G', 'touch/m', 'ignore-command-error', 'no-ignore-command-error', 'check-links/l',
    'keep-directory-symlink', 'no-auto-compress', 'add-file=', 'clamp-mtime', 'set-mtime-format=', ...HELP,
  ],
});

/** Options of tar whose value is a command (run through the shell) or a script. */
const TAR_COMMANDS: ReadonlyArray<[string, string]> = [
  ['to-command', 'tar --to-command'],
  ['I', 'tar --use-compress-program'],
  ['rsh-command', 'tar --rsh-command'],
  ['rmt-command', 'tar --rmt-command'],
  ['F', 'tar --info-script'],
];

/** GNU tar, old-style (`tar xzf a.tar`) or not: reads, writes and the commands it runs. */
const tar: FxModel = (call) => {
  let words = call.words;
  const first = words[1]?.value;
  // Old style: the first word is a cluster of letters without a dash; values follow in order.
  if (first !== null && first !== undefined && first !== '' && !first.startsWith('-') && /^[A-Za-z]+$/.test(first)) {
    const rest: WordFacts[] = [];
    let next = 2;
    for (const ch of first) {
      if ('fCFgIKLNTVXbH'.includes(ch)) {
        rest.push(syntheticWord(`-${ch}`), words[next] ?? syntheticWord(''));
        next++;
      } else rest.push(syntheticWord(`-${ch}`));
    }
    words = [words[0] as WordFacts, ...rest, ...words.slice(next)];
  }
  const p = parseArgs(words, 1, TAR);
  for (const [key, via] of TAR_COMMANDS) {
    for (const v of values(p, key)) {
      call.fx.exec('tar', v.value ?? v.text, via, `${via} runs a command`, key !== 'F' && v.value !== null, 'hidden');
      if (key !== 'F') call.sink.code(v.value, 'bash');
    }
  }
  for (const a of values(p, 'checkpoint-action')) {
    const text = a.value ?? a.prefix;
    if (a.value === null || text.startsWith('exec=')) {
      const cmd = a.value === null ? null : text.slice(5);
      call.fx.exec('tar', cmd ?? a.text, 'tar --checkpoint-action=exec', 'tar runs the checkpoint command', cmd !== null, 'hidden');
      call.sink.code(cmd, 'bash');
    }
  }
  for (const u of p.unknown) call.fx.exec('tar', u, `tar ${u}`, `tar: the option ${u} is not one Warden models`, false, 'hidden');
  for (const w of values(p, 'T', 'X', 'K')) call.fx.path('read', w, 'tar');
  for (const w of values(p, 'index-file', 'volno-file')) call.fx.path('write', w, 'tar');
  for (const w of values(p, 'g')) {
    call.fx.path('read', w, 'tar -g');
    call.fx.path('write', w, 'tar -g');
  }
  const archives = values(p, 'f');
  const create = has(p, 'c', 'r', 'u', 'A', 'delete');
  const extract = has(p, 'x');
  const toStdout = has(p, 'O');
  for (const a of archives) {
    const known = a.value ?? a.prefix;
    // `host:file` is a remote archive reached through rsh, unless --force-local.
    const colon = known.indexOf(':');
    if (!has(p, 'force-local') && colon > 0 && !known.slice(0, colon).includes('/')) {
      call.fx.host(known.slice(0, colon).replace(/^.*@/, ''), 22, 'rsh', 'tar remote archive');
      call.fx.exec('tar', 'rsh', 'tar remote archive', 'tar runs rsh to reach a remote archive', false, 'hidden');
      continue;
    }
    if (known === '-') continue;
    if (create) call.fx.path('write', a, 'tar -f');
    if (!create || has(p, 'r', 'u', 'A', 'delete')) call.fx.path('read', a, 'tar -f');
  }
  const dirs = values(p, 'C');
  const dir = dirs[dirs.length - 1];
  const inDir = (fn: () => void): void => (dir === undefined ? fn() : call.fx.inDirectory(dir, fn));
  inDir(() => {
    if (create) {
      for (const w of p.operands) {
        call.fx.path('read', w, 'tar', !has(p, 'no-recursion'));
        if (has(p, 'remove-files')) call.fx.path('delete', w, 'tar --remove-files', true);
      }
    } else if (extract && !toStdout) {
      if (has(p, 'P')) call.fx.path('write', { value: null, text: '<absolute member names>', singleField: false, prefix: '', tilde: false, pattern: null }, 'tar -x -P', true);
      else call.fx.pathText('write', '.', 'tar -x', true);
    }
  });
};

/**
 * The file-utility models, by name.
 *
 * @example
 * ```ts
 * FILE_MODELS.get('cp');
 * ```
 */
export const FILE_MODELS: ReadonlyMap<string, FxModel> = new Map<string, FxModel>([
  ['cp', copier(CP, false)],
  ['mv', copier(MV, true)],
  ['install', install],
  ['ln', ln],
  ['link', link],
  ['rmdir', rmdir],
  ['shred', shred],
  ['mkdir', mkdir],
  ['mknod', mknod],
  ['chmod', attributes('chmod')],
  ['chown', attributes('chown')],
  ['chgrp', attributes('chgrp')],
  ['chattr', attributes('chattr')],
  ['setcap', setcap],
  ['dd', dd],
  ['uniq', inOut(UNIQ, 'uniq')],
  ['xxd', inOut(XXD, 'xxd')],
  ['jq', jq],
  ['yq', yq],
  ['patch', patch],
  ['split', split],
  ['csplit', csplit],
  ['date', date],
  ['hostname', hostname],
  ['tar', tar],
  ['gtar', tar],
  ['bsdtar', tar],
  ['zip', zip],
  ['unzip', unzip],
  ...[...COMPRESSORS.keys()].map((n): [string, FxModel] => [n, compressor(n)]),
]);

