/**
 * A glob matcher over paths that can also answer "could some path starting with this text
 * match?" and match a segment whose name is only partly known (a Windows 8.3 short name). Same
 * syntax as `lib/glob.ts` (which validates every pattern first): `*` within a segment, `**`
 * across segments, `?`, `[set]`, `[!set]`, `\` escapes.
 *
 * Internal to the path helpers; runs in time linear in the path for a given pattern.
 */
import { checkGlob } from '../lib/glob.js';

type Token = { k: 'c'; c: string } | { k: '?' } | { k: '*' } | { k: '**' } | { k: 'set'; negate: boolean; chars: string; ranges: [string, string][] };

/**
 * A compiled path pattern.
 *
 * @example
 * ```ts
 * const p = compilePathGlob('/w/.warden/**', false);
 * p.matches('/w/.warden/policy.yaml'); // true
 * p.viablePrefix('/w/');               // true: '/w/.warden/x' starts with it
 * ```
 */
export interface PathGlob {
  readonly pattern: string;
  /** The whole of `text` matches. */
  matches(text: string): boolean;
  /** Some text starting with `prefix` matches. */
  viablePrefix(prefix: string): boolean;
  /** Runs a sequence of steps (see {@link PathStep}); `end` says whether to test a full match or a viable prefix. */
  run(steps: readonly PathStep[], end: 'match' | 'prefix'): boolean;
}

/**
 * One step of input: a known character, any run of non-`/` characters (an unknown segment tail),
 * any run of characters at all (`/` included: an unknown run of segments), any run of non-`/`
 * characters that does not start with `.` (a shell wildcard at the start of a name, which never
 * matches a leading dot), or any run of the given characters (dots and spaces a short name drops).
 *
 * @example
 * ```ts
 * const steps: PathStep[] = [{ ch: 'a' }, { anySegment: true }];
 * ```
 */
export type PathStep = { ch: string } | { anySegment: true } | { anyPath: true } | { leadRun: true } | { skip: string };

/**
 * `text` with every glob metacharacter escaped, so a literal directory (a project path that holds
 * `[` or `*`) can lead a pattern.
 *
 * @example
 * ```ts
 * escapeGlob('/w/a[1]') + '/.warden/**'; // '/w/a\\[1\\]/.warden/**'
 * ```
 */
export function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]{}]/g, '\\$&');
}

function parse(pattern: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        out.push({ k: '**' });
        i++;
      } else out.push({ k: '*' });
    } else if (c === '?') {
      out.push({ k: '?' });
    } else if (c === '\\') {
      out.push({ k: 'c', c: pattern[i + 1] as string });
      i++;
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      let body = pattern.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      let chars = '';
      const ranges: [string, string][] = [];
      for (let j = 0; j < body.length; j++) {
        const a = body[j] as string;
        if (body[j + 1] === '-' && j + 2 < body.length) {
          ranges.push([a, body[j + 2] as string]);
          j += 2;
        } else chars += a;
      }
      out.push({ k: 'set', negate, chars, ranges });
      i = end;
    } else {
      out.push({ k: 'c', c });
    }
  }
  return out;
}

function inSet(t: Extract<Token, { k: 'set' }>, x: string, fold: boolean): boolean {
  const probes = fold ? [x, x.toLowerCase(), x.toUpperCase()] : [x];
  const hit = probes.some((p) => t.chars.includes(p) || t.ranges.some(([a, b]) => p >= a && p <= b));
  return t.negate ? !hit && x !== '/' : hit;
}

/** Next state after token `t` consumes `x`, or -1. */
function consume(t: Token, i: number, x: string, fold: boolean): number {
  switch (t.k) {
    case 'c':
      return t.c === x || (fold && t.c.toLowerCase() === x.toLowerCase()) ? i + 1 : -1;
    case '?':
      return x === '/' ? -1 : i + 1;
    case '*':
      return x === '/' ? -1 : i;
    case '**':
      return i;
    case 'set':
      return inSet(t, x, fold) ? i + 1 : -1;
  }
}

/**
 * Compiles `pattern` (validated by `lib/glob`, so a bad pattern throws the same `ERR_GLOB`).
 * With `fold`, letters compare without case.
 *
 * @example
 * ```ts
 * compilePathGlob('**' + '/.ENV', true).matches('/w/.env'); // true
 * ```
 */
export function compilePathGlob(pattern: string, fold: boolean): PathGlob {
  checkGlob(pattern);
  const tokens = parse(pattern);
  const n = tokens.length;
  const closure = (set: Set<number>): Set<number> => {
    // `*` and `**` may match nothing: their state reaches the next one without input.
    for (const s of [...set]) {
      let i = s;
      while (i < n && (tokens[i] as Token).k.startsWith('*')) {
        i++;
        set.add(i);
      }
    }
    return set;
  };
  const step = (states: Set<number>, x: string): Set<number> => {
    const next = new Set<number>();
    for (const s of states) {
      if (s >= n) continue;
      const to = consume(tokens[s] as Token, s, x, fold);
      if (to >= 0) next.add(to);
    }
    return closure(next);
  };
  // Every state some non-`/` character can lead to, repeatedly: an unknown run inside a segment.
  const anyRun = (states: Set<number>, allowed: ((x: Token) => boolean) | null, chars: string): Set<number> => {
    const out = new Set(states);
    let frontier = [...states];
    while (frontier.length > 0) {
      const added: number[] = [];
      for (const s of frontier) {
        if (s >= n) continue;
        const t = tokens[s] as Token;
        const targets: number[] = [];
        if (allowed !== null) {
          if (allowed(t)) targets.push(t.k === '*' || t.k === '**' ? s : s + 1);
        } else {
          for (let j = 0; j < chars.length; j++) {
            const x = chars[j] as string;
            const to = consume(t, s, x, fold);
            if (to >= 0) targets.push(to);
          }
        }
        for (const to of closure(new Set(targets))) {
          if (!out.has(to)) {
            out.add(to);
            added.push(to);
          }
        }
      }
      frontier = added;
    }
    return out;
  };
  const nonSlash = (t: Token): boolean => !(t.k === 'c' && t.c === '/');
  const run = (steps: readonly PathStep[], end: 'match' | 'prefix'): boolean => {
    let states = closure(new Set([0]));
    for (const st of steps) {
      if ('ch' in st) states = step(states, st.ch);
      else if ('anySegment' in st) states = anyRun(states, nonSlash, '');
      else if ('anyPath' in st) states = anyRun(states, () => true, '');
      else if ('leadRun' in st) {
        // Empty, or a first character that is neither `.` nor `/` and then any run.
        const first = new Set<number>();
        for (const s of states) {
          if (s >= n) continue;
          const t = tokens[s] as Token;
          if (t.k !== 'c' || (t.c !== '.' && t.c !== '/')) {
            first.add(t.k === '*' || t.k === '**' ? s : s + 1);
          }
        }
        states = new Set([...states, ...anyRun(closure(first), nonSlash, '')]);
      }
      else states = anyRun(states, null, st.skip);
      if (states.size === 0) return false;
    }
    return end === 'match' ? states.has(n) : states.size > 0;
  };
  const chars = (text: string): PathStep[] => {
    const out: PathStep[] = [];
    for (let i = 0; i < text.length; i++) out.push({ ch: text[i] as string });
    return out;
  };
  return {
    pattern,
    matches: (text) => run(chars(text), 'match'),
    viablePrefix: (prefix) => run(chars(prefix), 'prefix'),
    run,
  };
}
