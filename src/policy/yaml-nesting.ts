/**
 * A cheap scan for nesting deep enough to overflow the YAML parser's stack, run before parsing.
 *
 * Why: the `yaml` parser recurses once per nesting level. A few hundred levels of `[[[...` or
 * `- - - ...` exceed the stack; the parser reports that as an error, but after such an overflow
 * the next regular expression V8 compiles can abort the whole process (observed with Node 20 and
 * yaml 2.9). Test files never need more than the 64 levels of data plus a few of structure, so
 * anything that could come close is refused here, with its position, before the parser sees it.
 */

/** Most unclosed `[` and `{` outside quotes and comments. */
export const MAX_FLOW_DEPTH = 100;

/** Most columns of indentation on one line. */
export const MAX_INDENT = 200;

/** Most block indicators (`- `, `? `, `: `) on one line (`- - - x` nests once per `- `). */
export const MAX_INDICATORS_PER_LINE = 100;

/**
 * Returns the offset and a message for the first place nesting could overflow the parser, or
 * null. Conservative: it counts brackets without fully parsing quotes, so it may refuse a
 * pathological file the parser would have read, never the reverse within its bounds.
 *
 * @example
 * ```ts
 * nestingProblem('['.repeat(500) + ']'.repeat(500)); // { offset: 100, message: '...' }
 * ```
 */
export function nestingProblem(text: string): { offset: number; message: string } | null {
  let flow = 0;
  let indent = 0;
  let inIndent = true;
  let indicators = 0;
  // The last character on this line that is not a space: it decides whether a quote opens a scalar.
  let last = '\n';
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '\n') {
      indent = 0;
      inIndent = true;
      indicators = 0;
      last = '\n';
      // A quoted scalar may continue on the next line, but the parser may also end it there (and
      // read the rest as structure), so the scan counts the next line as structure: conservative.
      quote = null;
      continue;
    }
    if (quote !== null) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else {
          quote = null;
          last = c;
        }
      }
      continue;
    }
    if (inIndent) {
      if (c === ' ') {
        if (++indent > MAX_INDENT) return { offset: i, message: `This line is indented more than ${MAX_INDENT} columns; the YAML parser cannot safely go that deep.` };
        continue;
      }
      inIndent = false;
    }
    if (c === ' ' || c === '\t') continue;
    const prev = text[i - 1];
    if (c === '#' && (last === '\n' || prev === ' ' || prev === '\t')) {
      const end = text.indexOf('\n', i);
      if (end < 0) break;
      i = end - 1;
      continue;
    }
    // A quoted scalar opens only where a value can start; elsewhere a quote is plain text.
    if ((c === '"' || c === "'") && QUOTE_OPENERS.includes(last)) {
      quote = c;
      continue;
    }
    if (c === '[' || c === '{') {
      if (++flow > MAX_FLOW_DEPTH) return { offset: i, message: `Brackets nest more than ${MAX_FLOW_DEPTH} levels deep; the YAML parser cannot safely go that deep.` };
    } else if (c === ']' || c === '}') {
      if (flow > 0) flow--;
    } else if ((c === '-' || c === '?' || c === ':') && (text[i + 1] === ' ' || text[i + 1] === '\n' || i + 1 === text.length)) {
      if (++indicators > MAX_INDICATORS_PER_LINE) return { offset: i, message: `This line holds more than ${MAX_INDICATORS_PER_LINE} nesting indicators ("- ", "? ", ": "); the YAML parser cannot safely go that deep.` };
    }
    last = c;
  }
  return null;
}

/** What may come just before a quote that opens a scalar: the line start or an indicator. */
const QUOTE_OPENERS = ['\n', '[', '{', ',', ':', '-', '?'];
