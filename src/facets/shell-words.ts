/**
 * Static evaluation of shell words for the shell facet: what a word is after quote removal when
 * nothing in it depends on run-time state, and how many fields it can expand to.
 *
 * Internal to `facets/shell.ts`; not part of the public surface.
 */
import type { Assignment, DoubleQuotedChild, HereDoc, Word, WordPart } from 'unbash';

/** What the facet knows about one word before the shell runs. */
export interface WordFacts {
  /** The word after quote removal and escape processing, or `null` when it depends on run time. */
  readonly value: string | null;
  /** The word as written in the source. */
  readonly text: string;
  /** True when the word always becomes exactly one argument (no unquoted expansion, glob or brace). */
  readonly singleField: boolean;
  /** The static text before the first run-time part (all of `value` when static). */
  readonly prefix: string;
  /** True when the word begins with an unquoted `~` (tilde expansion applies). */
  readonly tilde: boolean;
  /**
   * For a word whose only run-time parts are globs (`*`, `?`, `[...]`), brace expansions and
   * extended globs without a `/`: the word as a glob pattern (quoted text escaped, a brace or
   * extended glob as `*`). `null` or absent otherwise. Lets the effects layer bound where a
   * globbed path can be.
   */
  readonly pattern?: string | null;
  /**
   * The word stands for some file under these start points (find's `{}`): the effects layer
   * reports it as everything under them.
   */
  readonly under?: readonly WordFacts[];
  /** The word is substituted at run time by the program that runs the command (`xargs -I {}`). */
  readonly runtime?: boolean;
}

/**
 * Builds the facts of a word the facet made up itself (a default command, a replaced argument).
 *
 * @example
 * ```ts
 * syntheticWord('echo'); // { value: 'echo', text: 'echo', singleField: true, prefix: 'echo', tilde: false }
 * ```
 */
export function syntheticWord(value: string | null, text = value ?? ''): WordFacts {
  return { value, text, singleField: true, prefix: value ?? '', tilde: false };
}

// A word without parts is a plain literal; these characters would have produced parts, so
// seeing one unescaped means the parser gave up on the word (nesting budget) and it is not static.
const STRUCTURAL = new Set(['$', '`', "'", '"', '*', '?']);

function bareIsPlain(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\') {
      i++;
      continue;
    }
    if (STRUCTURAL.has(ch)) return false;
  }
  return true;
}

/** True for a quoted expansion that still yields several fields: `"$@"`, `"${a[@]}"`, `"${!p@}"`. */
function expandsToManyFields(part: DoubleQuotedChild): boolean {
  if (part.type === 'SimpleExpansion') return part.text === '$@';
  if (part.type === 'ParameterExpansion') {
    return part.parameter === '@' || part.index?.text === '@' || part.operation?.type === 'Names';
  }
  return false;
}

interface Accumulator {
  value: string;
  static: boolean;
  singleField: boolean;
  prefix: string;
  prefixOpen: boolean;
  /** The word as a glob pattern while only globs are dynamic; null once anything else is. */
  pattern: string | null;
}

const GLOB_SPECIAL = /[*?[\\\]]/g;

function addStatic(acc: Accumulator, text: string): void {
  acc.value += text;
  if (acc.prefixOpen) acc.prefix += text;
  if (acc.pattern !== null) acc.pattern += text.replace(GLOB_SPECIAL, (c) => `\\${c}`);
}

function addDynamic(acc: Accumulator, singleField: boolean, prefixText?: string, patternText: string | null = null): void {
  acc.static = false;
  if (!singleField) acc.singleField = false;
  if (acc.prefixOpen && prefixText !== undefined) acc.prefix += prefixText;
  acc.prefixOpen = false;
  acc.pattern = acc.pattern === null || patternText === null ? null : acc.pattern + patternText;
}

/** A brace or extended glob stays within one path segment when it has no `/` and no `..`. */
function segmentWildcard(text: string): string | null {
  return text.includes('/') || text.includes('..') ? null : '*';
}

function addQuotedChildren(acc: Accumulator, children: readonly DoubleQuotedChild[], translatable: boolean): void {
  for (const child of children) {
    // invariant: `$"..."` may be replaced by a message catalogue at run time, so it is never static.
    if (child.type === 'Literal' && !translatable) addStatic(acc, child.value);
    else addDynamic(acc, !expandsToManyFields(child));
  }
  if (translatable) addDynamic(acc, true);
}

function addPart(acc: Accumulator, part: WordPart): void {
  switch (part.type) {
    case 'Literal':
    case 'SingleQuoted':
      addStatic(acc, part.value);
      return;
    case 'AnsiCQuoted':
      // bash truncates `$'a\0b'` at the NUL; a NUL surviving here means the decoders disagree.
      if (part.value.includes('\0')) addDynamic(acc, true);
      else addStatic(acc, part.value);
      return;
    case 'DoubleQuoted':
      addQuotedChildren(acc, part.parts, false);
      return;
    case 'LocaleString':
      addQuotedChildren(acc, part.parts, true);
      return;
    case 'ProcessSubstitution':
      // Expands to one `/dev/fd/N` path: never an option, always one field.
      addDynamic(acc, true, '/dev/fd/');
      return;
    case 'Glob':
      addDynamic(acc, false, undefined, part.text);
      return;
    case 'BraceExpansion':
    case 'ExtendedGlob':
      addDynamic(acc, false, undefined, segmentWildcard(part.text));
      return;
    default:
      // Unquoted expansions: any number of fields.
      addDynamic(acc, false);
  }
}

function startsWithTilde(word: Word): boolean {
  const first = word.parts?.[0];
  if (first === undefined) return word.text.startsWith('~');
  return first.type === 'Literal' && first.text.startsWith('~');
}

/**
 * Static facts of a word: its value after quote removal, or `null` when any part depends on run time.
 *
 * @example
 * ```ts
 * wordFacts(parse("'c'url").commands[0].command.name).value; // 'curl'
 * ```
 */
export function wordFacts(word: Word): WordFacts {
  const parts = word.parts;
  if (parts === undefined) {
    const plain = bareIsPlain(word.text);
    const value = plain ? word.value : null;
    return { value, text: word.text, singleField: plain, prefix: value ?? '', tilde: word.text.startsWith('~') };
  }
  const acc: Accumulator = { value: '', static: true, singleField: true, prefix: '', prefixOpen: true, pattern: '' };
  for (const part of parts) addPart(acc, part);
  return {
    value: acc.static ? acc.value : null,
    text: word.text,
    singleField: acc.singleField,
    prefix: acc.prefix,
    tilde: startsWithTilde(word),
    pattern: acc.static ? null : acc.pattern,
  };
}

/**
 * Static facts of an assignment written as an argument (`export A=1`): `name=value` when static.
 *
 * @example
 * ```ts
 * assignmentFacts(assignment).value; // 'A=1'
 * ```
 */
export function assignmentFacts(assignment: Assignment): WordFacts {
  const head = assignment.text.slice(0, assignment.text.indexOf('=') + 1);
  if (assignment.value.type === 'ArrayValue') return { ...syntheticWord(null, assignment.text), prefix: head };
  const inner = wordFacts(assignment.value);
  const value = inner.value === null ? null : head + inner.value;
  return { value, text: assignment.text, singleField: true, prefix: head + inner.prefix, tilde: false };
}

function unescapeHereDoc(text: string): string {
  // In an unquoted here-document only `\$`, `` \` ``, `\\` and `\<newline>` are escapes.
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    const next = text[i + 1];
    if (ch === '\\' && (next === '$' || next === '`' || next === '\\')) {
      out += next;
      i++;
    } else if (ch === '\\' && next === '\n') {
      i++;
    } else {
      out += ch;
    }
  }
  return out;
}

function stripLeadingTabs(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/^\t+/, ''))
    .join('\n');
}

/**
 * The text a here-document feeds to stdin, or `null` when it contains expansions.
 *
 * @example
 * ```ts
 * hereDocText(heredoc); // 'curl x\n'
 * ```
 */
export function hereDocText(doc: HereDoc): string | null {
  let text: string;
  if (doc.delimiter?.quoted === true) {
    text = doc.body.text;
  } else if (doc.body.parts !== undefined) {
    text = '';
    for (const part of doc.body.parts) {
      if (part.type !== 'Literal') return null;
      text += part.value;
    }
  } else {
    if (!bareIsPlainHereDoc(doc.body.text)) return null;
    text = unescapeHereDoc(doc.body.text);
  }
  return doc.operator === '<<-' ? stripLeadingTabs(text) : text;
}

function bareIsPlainHereDoc(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '$' || ch === '`') return false;
  }
  return true;
}
