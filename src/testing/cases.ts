/**
 * Reading test-case sources: Warden `PolicyTest` documents and Agent Governance Toolkit
 * fixtures, told apart per YAML document. Pure: text in, cases and issues out.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { WardenError } from '../errors.js';
import { formatIssue, type PolicyIssue } from '../policy/issues.js';
import { kindOf, MAX_SOURCE_CHARS, parseSource } from '../policy/yaml-reader.js';
import type { SourcePos } from '../policy/source-pos.js';
import { looksLikeAgtFixture, readAgtFixture } from './agt-fixture.js';
import { inlineAliases, newDataBudget } from './node-data.js';
import { nestingProblem } from '../policy/yaml-nesting.js';
import { hasKey, type ReadContext } from './read-context.js';
import type { PolicyTestCase } from './types.js';
import { POLICY_TEST_KIND, readWardenTestDocument } from './warden-cases.js';

/**
 * The cases of one source and every issue found reading it.
 *
 * @example
 * ```ts
 * const { cases, issues }: ParsedPolicyTests = parsePolicyTests('a.test.yaml', text);
 * ```
 */
export interface ParsedPolicyTests {
  /** The cases that read cleanly. Run none of a source whose issues include an error. */
  cases: PolicyTestCase[];
  issues: PolicyIssue[];
}

/**
 * Reads the test cases in one YAML or JSON source. Each document is either a `warden/v1`
 * `PolicyTest` (it has `apiVersion`), an AGT fixture (it has `input` or `expected_verdict`), or a
 * list of AGT fixtures. Never throws; issues carry file:line:col.
 *
 * @example
 * ```ts
 * const { cases, issues } = parsePolicyTests('policy.test.yaml', text);
 * if (issues.some((i) => i.severity === 'error')) throw new PolicyTestLoadError(issues);
 * ```
 */
export function parsePolicyTests(file: string, text: string): ParsedPolicyTests {
  if (text.length <= MAX_SOURCE_CHARS) {
    const deep = nestingProblem(text);
    if (deep) {
      const issue: PolicyIssue = { severity: 'error', code: 'too_deep', file, ...positionOf(text, deep.offset), message: `${deep.message} Nothing of this file was read.` };
      return { cases: [], issues: [issue] };
    }
  }
  const { reader, documents } = parseSource(file, text);
  const budget = newDataBudget();
  const cases: PolicyTestCase[] = [];
  if (documents.length === 0 && reader.issues.length === 0) {
    reader.error(0, 'empty_source', `The file holds no test cases. Write a ${POLICY_TEST_KIND} document (warden init writes policy.test.yaml) or remove the file.`);
  }
  for (const doc of documents) {
    if (doc.errors.length > 0) continue;
    inlineAliases(doc);
    const ctx: ReadContext = { reader, doc, budget };
    const root = doc.contents as Node | null;
    if (root === null || (isScalar(root) && root.value === null)) {
      reader.error(root ?? doc.range[0], 'empty_document', 'The document is empty; remove the stray "---" or write cases.');
      continue;
    }
    if (isSeq(root)) {
      if (root.items.length === 0) reader.error(root, 'no_cases', 'The list of fixtures is empty; a test file with no case tests nothing.');
      for (const item of root.items as Node[]) {
        if (!isMap(item) || hasKey(item, 'apiVersion') || !looksLikeAgtFixture(item)) {
          reader.error(item, 'unknown_format', `Every entry of a top-level list must be an AGT fixture ({ id, input, expected_verdict }), got ${isMap(item) ? 'a mapping without input or expected_verdict' : kindOf(item)}.`);
          continue;
        }
        const c = readAgtFixture(item, ctx, file);
        if (c) cases.push(c);
      }
    } else if (isMap(root) && hasKey(root, 'apiVersion')) {
      cases.push(...readWardenTestDocument(root, ctx, file));
    } else if (isMap(root) && looksLikeAgtFixture(root)) {
      const c = readAgtFixture(root, ctx, file);
      if (c) cases.push(c);
    } else {
      reader.error(
        root,
        'unknown_format',
        `This is not a test document: write "apiVersion: warden/v1" and "kind: ${POLICY_TEST_KIND}" with a list of cases, or an AGT fixture ({ id, input, expected_verdict }) or a list of them. Got ${kindOf(root)}.`,
      );
    }
  }
  const seen = new Map<string, SourcePos>();
  for (const c of cases) {
    const prior = seen.get(c.name);
    const at = c.where ?? { file, line: 0, col: 0 };
    if (prior) {
      const message = `Case name "${c.name}" is already used at line ${prior.line} of this file; case names must be unique so results can be told apart.`;
      reader.issues.push({ severity: 'error', code: 'duplicate_case', ...at, message });
    }
    else seen.set(c.name, at);
  }
  return { cases, issues: reader.issues };
}

/** 1-based line:col of an offset, for an issue found before the parser ran. */
function positionOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

/**
 * Thrown when test-case files do not load (or hold no case). Nothing is run.
 *
 * @example
 * ```ts
 * try { await loadPolicyTestFiles(['tests/']); }
 * catch (e) { if (e instanceof PolicyTestLoadError) for (const i of e.issues) console.error(formatIssue(i)); }
 * ```
 */
export class PolicyTestLoadError extends WardenError {
  readonly issues: PolicyIssue[];

  constructor(issues: PolicyIssue[]) {
    const errors = issues.filter((i) => i.severity === 'error');
    const shown = errors.slice(0, 20).map(formatIssue).join('\n');
    const more = errors.length > 20 ? `\n... and ${errors.length - 20} more` : '';
    super('ERR_POLICY_TEST_LOAD', `Test cases failed to load (${errors.length} error${errors.length === 1 ? '' : 's'}); nothing was run:\n${shown}${more}`);
    this.name = 'PolicyTestLoadError';
    this.issues = issues;
  }
}
