/**
 * What an awk program does besides reading its input and printing: the commands it runs
 * (`system()`, `print | "cmd"`, `"cmd" | getline`, gawk's `|&`), the files it writes
 * (`print > file`, `>>`) and reads (`getline < file`), the network (gawk's `/inet/...` files),
 * and the gawk extensions it loads (`@load`, `@include`, indirect calls). A plain `{print $1}`
 * does none of these. A program this reader cannot tokenize is reported as such.
 *
 * Internal to the shell effects; not part of the public surface.
 */

/**
 * What an awk program does outside its stream. `null` entries are targets only known at run time.
 *
 * @example
 * ```ts
 * scanAwk('{ system("id") }').exec; // ['id']
 * ```
 */
export interface AwkFindings {
  ok: boolean;
  exec: (string | null)[];
  writes: (string | null)[];
  reads: (string | null)[];
  /** `/inet/tcp/lport/host/rport` special files, as written. */
  network: string[];
  /** gawk `@load` / `@include` / indirect calls: code this reader cannot see. */
  extensions: string[];
  /** Variables read from `ENVIRON` (`ENVIRON["HOME"]`); `null` for a key only known at run time or the whole array (`for (k in ENVIRON)`). */
  environ: (string | null)[];
}

type Tok = { k: 'str'; v: string } | { k: 'id'; v: string } | { k: 'op'; v: string } | { k: 'num' } | { k: 'nl' } | { k: 're' };

function tokenize(src: string): Tok[] | null {
  const out: Tok[] = [];
  let i = 0;
  const n = src.length;
  const operandEnd = (): boolean => {
    const t = out[out.length - 1];
    if (t === undefined) return false;
    if (t.k === 'str' || t.k === 'num' || t.k === 're') return true;
    if (t.k === 'id') return !['print', 'printf', 'return', 'in', 'case', 'getline'].includes(t.v);
    return t.k === 'op' && (t.v === ')' || t.v === ']' || t.v === '$');
  };
  while (i < n) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '\\' && src[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '\n') {
      out.push({ k: 'nl' });
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= n) return null;
        const d = src[i] as string;
        if (d === '\\') {
          const e = src[i + 1];
          v += e === 'n' ? '\n' : e === 't' ? '\t' : (e ?? '');
          i += 2;
          continue;
        }
        if (d === '"') break;
        if (d === '\n') return null;
        v += d;
        i++;
      }
      i++;
      out.push({ k: 'str', v });
      continue;
    }
    if (c === '/' && !operandEnd()) {
      i++;
      let inBracket = false;
      for (;;) {
        if (i >= n || src[i] === '\n') return null;
        const d = src[i];
        if (d === '\\') {
          i += 2;
          continue;
        }
        if (d === '[') inBracket = true;
        else if (d === ']') inBracket = false;
        else if (d === '/' && !inBracket) break;
        i++;
      }
      i++;
      out.push({ k: 're' });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(src[j] as string)) j++;
      out.push({ k: 'id', v: src.slice(i, j) });
      i = j;
      continue;
    }
    if (/[0-9.]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9.eExXa-fA-F]/.test(src[j] as string)) j++;
      out.push({ k: 'num' });
      i = j;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['|&', '||', '&&', '>>', '>=', '<=', '==', '!=', '++', '--', '+=', '-=', '*=', '/=', '%=', '^=', '**'].includes(two)) {
      out.push({ k: 'op', v: two });
      i += 2;
      continue;
    }
    out.push({ k: 'op', v: c });
    i++;
  }
  return out;
}

/** A redirection target: a string literal's text, or null for an expression. */
function target(t: Tok | undefined): string | null {
  return t !== undefined && t.k === 'str' ? t.v : null;
}

const QUIET_FILES = new Set(['/dev/stdout', '/dev/stderr', '-', '/dev/null']);

/**
 * Reads an awk program's side effects.
 *
 * @example
 * ```ts
 * scanAwk('{ print $1 > "out.txt" }').writes; // ['out.txt']
 * scanAwk('{ print $1 }').ok;                   // true, and nothing found
 * ```
 */
export function scanAwk(program: string): AwkFindings {
  const out: AwkFindings = { ok: true, exec: [], writes: [], reads: [], network: [], extensions: [], environ: [] };
  const toks = tokenize(program);
  if (toks === null) return { ...out, ok: false };
  let depth = 0;
  // Paren depth where the current print statement started, or -1 outside print.
  let printDepth = -1;
  const special = (file: string | null, write: boolean): void => {
    if (file !== null && file.startsWith('/inet')) {
      out.network.push(file);
      return;
    }
    if (file !== null && (QUIET_FILES.has(file) || file.startsWith('/dev/fd/'))) return;
    (write ? out.writes : out.reads).push(file);
  };
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k] as Tok;
    const next = toks[k + 1];
    if (t.k === 'nl' || (t.k === 'op' && (t.v === ';' || t.v === '{' || t.v === '}'))) {
      printDepth = -1;
      continue;
    }
    if (t.k === 'op' && t.v === '(') depth++;
    else if (t.k === 'op' && t.v === ')') depth--;
    else if (t.k === 'id' && (t.v === 'print' || t.v === 'printf')) printDepth = depth;
    else if (t.k === 'id' && t.v === 'system' && next?.k === 'op' && next.v === '(') {
      const arg = toks[k + 2];
      const close = toks[k + 3];
      out.exec.push(arg?.k === 'str' && close?.k === 'op' && close.v === ')' ? arg.v : null);
    } else if (t.k === 'op' && (t.v === '|' || t.v === '|&')) {
      // `"cmd" | getline` runs the left side; `print | "cmd"` the right side.
      const before = toks[k - 1];
      const isInput = next?.k === 'id' && next.v === 'getline';
      const cmd = isInput ? target(before) : target(next);
      if (cmd !== null && cmd.startsWith('/inet')) out.network.push(cmd);
      else out.exec.push(cmd);
    } else if (t.k === 'op' && (t.v === '>' || t.v === '>>') && printDepth !== -1 && depth === printDepth) {
      special(target(next), true);
    } else if (t.k === 'op' && t.v === '<') {
      // `getline < file`, `getline var < file`.
      const b1 = toks[k - 1];
      const b2 = toks[k - 2];
      if ((b1?.k === 'id' && b1.v === 'getline') || (b2?.k === 'id' && b2.v === 'getline')) special(target(next), false);
    } else if (t.k === 'id' && t.v === 'ENVIRON') {
      const key = toks[k + 2];
      const close = toks[k + 3];
      out.environ.push(next?.k === 'op' && next.v === '[' && key?.k === 'str' && close?.k === 'op' && close.v === ']' ? key.v : null);
    } else if (t.k === 'op' && t.v === '@') {
      out.extensions.push(next?.k === 'id' ? `@${next.v}` : '@');
    }
  }
  return out;
}
