/**
 * What a GNU sed script does besides editing the stream: the commands it runs (`e`, the `e` flag
 * of `s`), the files it writes (`w`, `W`, the `w` flag of `s`) and reads (`r`, `R`). A script
 * this reader does not understand is reported as such, never as harmless.
 *
 * Internal to the shell effects; not part of the public surface.
 */

/**
 * What a sed script does outside its stream.
 *
 * @example
 * ```ts
 * scanSed('s/a/b/w out.txt'); // { ok: true, exec: [], writes: ['out.txt'], reads: [] }
 * ```
 */
export interface SedFindings {
  /** False when the script could not be read; nothing else is then reliable. */
  ok: boolean;
  /** Commands it runs: the text of `e command`, or null when it runs the pattern space. */
  exec: (string | null)[];
  writes: string[];
  reads: string[];
}

const SPECIAL_OUTPUT = new Set(['/dev/stdout', '/dev/stderr']);

/**
 * Reads a sed script (GNU syntax: addresses, `!`, blocks, every command and `s` flag).
 *
 * @example
 * ```ts
 * scanSed('1e id').exec; // ['id']
 * ```
 */
export function scanSed(script: string): SedFindings {
  const out: SedFindings = { ok: true, exec: [], writes: [], reads: [] };
  let i = 0;
  const n = script.length;
  const fail = (): SedFindings => ({ ok: false, exec: [], writes: [], reads: [] });
  const skipSpace = (): void => {
    while (i < n && (script[i] === ' ' || script[i] === '\t')) i++;
  };
  /** Text to the end of the line (a filename or a command). */
  const restOfLine = (): string => {
    skipSpace();
    const end = script.indexOf('\n', i);
    const text = script.slice(i, end === -1 ? n : end);
    i = end === -1 ? n : end;
    return text;
  };
  /** Up to an unescaped `delim`; false when it never comes. */
  const delimited = (delim: string): boolean => {
    while (i < n) {
      const c = script[i];
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (c === delim) {
        i++;
        return true;
      }
      i++;
    }
    return false;
  };
  const address = (): boolean => {
    const c = script[i];
    if (c === undefined) return true;
    if (/[0-9]/.test(c)) {
      while (i < n && /[0-9~]/.test(script[i] as string)) i++;
    } else if (c === '$') i++;
    else if (c === '/' || c === '\\') {
      const delim = c === '/' ? '/' : script[i + 1];
      if (delim === undefined || delim === '\n' || delim === '\\') return false;
      i += c === '/' ? 1 : 2;
      if (!delimited(delim)) return false;
      while (i < n && (script[i] === 'I' || script[i] === 'M')) i++;
    } else if ((c === '+' || c === '~') && /[0-9]/.test(script[i + 1] ?? '')) {
      i++;
      while (i < n && /[0-9]/.test(script[i] as string)) i++;
    }
    return true;
  };
  const endOfCommand = (): boolean => {
    skipSpace();
    const c = script[i];
    if (c === undefined || c === ';' || c === '\n' || c === '}' || c === '#') return true;
    return false;
  };
  let guard = 0;
  while (i < n) {
    // invariant: every pass consumes at least one character, so the loop is linear.
    if (++guard > n + 1) return fail();
    const c = script[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === ';') {
      i++;
      continue;
    }
    if (c === '#') {
      const end = script.indexOf('\n', i);
      i = end === -1 ? n : end;
      continue;
    }
    if (!address()) return fail();
    skipSpace();
    if (script[i] === ',') {
      i++;
      skipSpace();
      if (!address()) return fail();
      skipSpace();
    }
    while (script[i] === '!' || script[i] === ' ') i++;
    const cmd = script[i];
    if (cmd === undefined) return fail();
    i++;
    switch (cmd) {
      case '{':
      case '}':
      case '=':
      case 'd':
      case 'D':
      case 'g':
      case 'G':
      case 'h':
      case 'H':
      case 'n':
      case 'N':
      case 'p':
      case 'P':
      case 'x':
      case 'z':
      case 'F':
        break;
      case 'l':
      case 'L':
      case 'q':
      case 'Q':
        skipSpace();
        while (i < n && /[0-9]/.test(script[i] as string)) i++;
        break;
      case ':':
      case 'b':
      case 't':
      case 'T':
      case 'v':
        while (i < n && script[i] !== ';' && script[i] !== '\n') i++;
        break;
      case 'a':
      case 'i':
      case 'c': {
        // Text to the end of the line; a backslash before the newline continues it.
        while (i < n) {
          if (script[i] === '\\') {
            i += 2;
            continue;
          }
          if (script[i] === '\n') break;
          i++;
        }
        break;
      }
      case 'r':
      case 'R':
        out.reads.push(restOfLine());
        break;
      case 'w':
      case 'W': {
        const f = restOfLine();
        if (!SPECIAL_OUTPUT.has(f)) out.writes.push(f);
        break;
      }
      case 'e': {
        const text = restOfLine();
        out.exec.push(text === '' ? null : text);
        break;
      }
      case 's': {
        const delim = script[i];
        if (delim === undefined || delim === '\n' || delim === '\\') return fail();
        i++;
        if (!delimited(delim) || !delimited(delim)) return fail();
        while (i < n) {
          const f = script[i] as string;
          if (/[gpiImM0-9]/.test(f)) i++;
          else if (f === 'e') {
            out.exec.push(null);
            i++;
          } else if (f === 'w') {
            i++;
            const file = restOfLine();
            if (!SPECIAL_OUTPUT.has(file)) out.writes.push(file);
          } else break;
        }
        break;
      }
      case 'y': {
        const delim = script[i];
        if (delim === undefined || delim === '\n' || delim === '\\') return fail();
        i++;
        if (!delimited(delim) || !delimited(delim)) return fail();
        break;
      }
      default:
        return fail();
    }
    if (!endOfCommand()) return fail();
  }
  return out;
}
