/**
 * The kubectl tokenizer of the k8s facet: a command line split into words the way a POSIX shell
 * would for one simple command, refusing anything a shell would expand, split or chain.
 */
import { WardenError } from '../errors.js';

const MAX_TOKENS = 10_000;

function fail(message: string): never {
  throw new WardenError('ERR_K8S_PARSE', message);
}

/**
 * Splits a command line into words the way a POSIX shell would for a simple command: single
 * quotes, double quotes (with `\\`, `\"`, `` \` ``, `\$` escapes) and backslashes. Anything that
 * would make the shell do more than run one command with literal words throws: `;`, `&`, `|`,
 * `<`, `>`, `(`, `)`, `$`, backticks, unquoted `*`, `?`, `[`, brace expansion (`{a,b}`), a `#`
 * comment, newlines and control characters.
 *
 * @example
 * ```ts
 * tokenizeCommandLine(`kubectl get 'my pod' -n "prod"`); // ['kubectl', 'get', 'my pod', '-n', 'prod']
 * ```
 */
export function tokenizeCommandLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let braceOpen = false;
  let braceSep = false;
  const n = line.length;
  let i = 0;
  const end = (): void => {
    if (inWord) {
      if (out.length >= MAX_TOKENS) fail(`more than ${MAX_TOKENS} words`);
      out.push(cur);
    }
    cur = '';
    inWord = false;
    braceOpen = false;
    braceSep = false;
  };
  while (i < n) {
    const c = line[i] as string;
    const code = c.charCodeAt(0);
    if (c === ' ' || c === '\t') {
      end();
      i++;
      continue;
    }
    if (c === '\n') fail('newline in command line (more than one command)');
    if (code < 0x20 || code === 0x7f) fail('control character in command line');
    if (c === '\\') {
      const d = line[i + 1];
      if (d === undefined) fail('trailing backslash');
      i += 2;
      if (d === '\n') continue; // line continuation
      if (d.charCodeAt(0) < 0x20 || d === '\x7f') fail('control character in command line');
      cur += d;
      inWord = true;
      continue;
    }
    if (c === "'") {
      const j = line.indexOf("'", i + 1);
      if (j < 0) fail('unterminated single quote');
      const s = line.slice(i + 1, j);
      for (let k = 0; k < s.length; k++) {
        const sc = s.charCodeAt(k);
        if ((sc < 0x20 && sc !== 0x09) || sc === 0x7f) fail('control character in quoted word');
      }
      cur += s;
      inWord = true;
      i = j + 1;
      continue;
    }
    if (c === '"') {
      inWord = true;
      i++;
      let closed = false;
      while (i < n) {
        const d = line[i] as string;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '$' || d === '`') fail('expansion inside double quotes');
        if (d === '\\') {
          const e = line[i + 1];
          if (e === undefined) fail('unterminated double quote');
          if (e === '\n') {
            i += 2;
            continue;
          }
          if (e === '"' || e === '\\' || e === '$' || e === '`') {
            cur += e;
            i += 2;
            continue;
          }
          cur += '\\';
          i++;
          continue;
        }
        const dc = d.charCodeAt(0);
        if ((dc < 0x20 && d !== '\t') || dc === 0x7f) fail('control character in quoted word');
        cur += d;
        i++;
      }
      if (!closed) fail('unterminated double quote');
      continue;
    }
    if (';&|<>()`$'.includes(c)) fail(`shell operator or expansion '${c}' (use the shell facet)`);
    if ('*?['.includes(c)) fail(`unquoted glob character '${c}'`);
    if (c === '#' && !inWord) fail("'#' comment in command line");
    if (c === '{') braceOpen = true;
    else if (braceOpen && (c === ',' || (c === '.' && line[i + 1] === '.'))) braceSep = true;
    else if (c === '}' && braceOpen && braceSep) fail('brace expansion in command line');
    cur += c;
    inWord = true;
    i++;
  }
  end();
  return out;
}
