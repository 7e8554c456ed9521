/**
 * The `slos:` and `breakers:` sections of a policy document: SLOs and circuit breakers declared
 * beside the rules that read `slo.<name>` and `breaker.<tool>`. Read strictly at load time, so a
 * typo or a bad value is a policy error with its file:line:col like any other; the SRE runtime
 * (agent-warden/sre, `loadPolicySre`) builds them from the plain data this returns. Pure.
 */
import { isMap, isScalar, isSeq, type Node, type Pair, type Scalar } from 'yaml';
import { kindOf, parseSource, type NodeReader } from './yaml-reader.js';
import type { SourcePos } from './source-pos.js';
import type { PolicyIssue } from './issues.js';

/**
 * One SLO or breaker as declared in a policy, as plain data, with where it is written.
 *
 * @example
 * ```ts
 * const e: SreSectionEntry = { spec: { name: 'search', tools: ['search_*'], objective: 0.99 }, pos: { file: 'p.yaml', line: 12, col: 5 } };
 * ```
 */
export interface SreSectionEntry {
  spec: Record<string, unknown>;
  pos: SourcePos;
}

type Check = 'string' | 'strings' | 'ratio-open' | 'ratio' | 'count' | 'duration' | 'boolean' | 'scope' | 'sli';

/** The members of each section and how each is checked (the SRE runtime checks them again). */
export const SLO_MEMBERS: Readonly<Record<string, Check>> = Object.freeze({ name: 'string', description: 'string', tools: 'strings', agents: 'strings', hosts: 'strings', objective: 'ratio-open', window: 'duration', sli: 'sli', disableWhenExhausted: 'boolean', minimumCalls: 'count' });
export const BREAKER_MEMBERS: Readonly<Record<string, Check>> = Object.freeze({ name: 'string', description: 'string', tools: 'strings', failureThreshold: 'count', failureRate: 'ratio', minimumCalls: 'count', window: 'duration', coolDown: 'duration', probes: 'count', probeTimeout: 'duration', slowCall: 'duration', scope: 'scope' });
const REQUIRED: Readonly<Record<'slos' | 'breakers', readonly string[]>> = { slos: ['name', 'tools', 'objective'], breakers: ['name', 'tools'] };
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const DURATION = /^[1-9][0-9]{0,8}(ms|s|m|h|d|w)$/;

/**
 * Reads a `slos:` or `breakers:` section, recording an issue at the exact node for each problem.
 *
 * @example
 * ```ts
 * const slos = readSreSection(top.get('slos'), reader, 'slos', 'search-policy');
 * ```
 */
export function readSreSection(pair: Pair<Scalar, Node | null> | undefined, reader: NodeReader, section: 'slos' | 'breakers', policy: string): SreSectionEntry[] {
  if (!pair) return [];
  const seq = pair.value;
  if (!isSeq(seq)) {
    reader.error(seq ?? pair.key, 'wrong_type', `${section} must be a list, got ${kindOf(seq)}.`);
    return [];
  }
  const members = section === 'slos' ? SLO_MEMBERS : BREAKER_MEMBERS;
  const what = section === 'slos' ? 'an SLO' : 'a circuit breaker';
  const out: SreSectionEntry[] = [];
  const seen = new Map<string, SourcePos>();
  for (const item of seq.items as Node[]) {
    const m = reader.mapping(item, `${what} of policy "${policy}"`, Object.keys(members));
    if (!m) continue;
    let ok = true;
    for (const key of REQUIRED[section]) {
      if (!m.has(key)) {
        reader.error(item, 'missing_key', `${key} of ${what} is required.`);
        ok = false;
      }
    }
    const spec: Record<string, unknown> = {};
    for (const [key, p] of m) {
      const value = p.value;
      const problem = checkValue(members[key] as Check, value);
      if (problem !== null) {
        reader.error(value ?? p.key, 'bad_value', `${key} of ${what}${typeof spec.name === 'string' ? ` "${spec.name}"` : ''} ${problem}`);
        ok = false;
        continue;
      }
      spec[key] = (value as Node).toJSON();
    }
    if (!ok) continue;
    const name = spec.name as string;
    if (!NAME.test(name)) {
      reader.error(m.get('name')?.value, 'bad_name', `The name of ${what} ${JSON.stringify(name)} must start with a letter and use only letters, digits, "-" and "_" (at most 64): rules read it as slo.<name>.`);
      continue;
    }
    const prior = seen.get(name);
    if (prior) {
      reader.error(item, 'duplicate_name', `${what} named "${name}" is already declared at line ${prior.line} of this policy; names must be unique.`);
      continue;
    }
    const pos = reader.pos(item);
    seen.set(name, pos);
    out.push({ spec, pos });
  }
  return out;
}

/** What is wrong with a value (a sentence ending in a period), or null. */
function checkValue(check: Check, node: Node | null): string | null {
  const v: unknown = isScalar(node) ? node.value : undefined;
  switch (check) {
    case 'string':
      return typeof v === 'string' ? null : `must be text, got ${kindOf(node)}.`;
    case 'strings':
      return isSeq(node) && node.items.length > 0 && node.items.every((i) => isScalar(i) && typeof i.value === 'string' && i.value !== '') ? null : 'must be a non-empty list of names or globs, such as ["search_*"].';
    case 'ratio-open':
      return typeof v === 'number' && v > 0 && v < 1 ? null : `must be a ratio strictly between 0 and 1 (99% is 0.99); got ${JSON.stringify(v ?? kindOf(node))}.`;
    case 'ratio':
      return typeof v === 'number' && v > 0 && v <= 1 ? null : `must be a share above 0 and at most 1 (50% is 0.5); got ${JSON.stringify(v ?? kindOf(node))}.`;
    case 'count':
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= 1_000_000 ? null : `must be a whole number from 1 to 1000000; got ${JSON.stringify(v ?? kindOf(node))}.`;
    case 'duration':
      return (typeof v === 'string' && DURATION.test(v)) || (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) ? null : `must be a duration such as "500ms", "30s", "5m", "1h" or "30d"; got ${JSON.stringify(v ?? kindOf(node))}.`;
    case 'boolean':
      return typeof v === 'boolean' ? null : `must be true or false; got ${JSON.stringify(v ?? kindOf(node))}.`;
    case 'scope':
      return v === 'tool' || v === 'shared' ? null : `must be "tool" or "shared"; got ${JSON.stringify(v ?? kindOf(node))}.`;
    case 'sli': {
      if (v === 'success') return null;
      if (isMap(node) && node.items.length === 1) {
        const [only] = node.items;
        const key = isScalar(only?.key) ? only.key.value : undefined;
        if (key === 'latency' && checkValue('duration', (only?.value ?? null) as Node | null) === null) return null;
      }
      return 'must be "success" or { latency: "5s" }.';
    }
  }
}

/**
 * The `slos:` and `breakers:` of every policy document in a source, with the issues found (a
 * source with issues declares nothing: fix them first). Everything is checked again when the SRE
 * runtime is made.
 *
 * @example
 * ```ts
 * const { slos, breakers, issues } = policySreSections('policy.yaml', text);
 * ```
 */
export function policySreSections(file: string, text: string): { slos: SreSectionEntry[]; breakers: SreSectionEntry[]; issues: PolicyIssue[] } {
  const { reader, documents } = parseSource(file, text);
  const slos: SreSectionEntry[] = [];
  const breakers: SreSectionEntry[] = [];
  for (const doc of documents) {
    if (!isMap(doc.contents)) continue;
    // Only the two sections are read here; the rest of the document is compilePolicy's to check.
    const top = new Map<string, Pair<Scalar, Node | null>>();
    for (const p of doc.contents.items) if (isScalar(p.key) && typeof p.key.value === 'string') top.set(p.key.value, p as Pair<Scalar, Node | null>);
    const policy = isScalar(top.get('name')?.value) ? String((top.get('name')?.value as Scalar).value) : '?';
    slos.push(...readSreSection(top.get('slos'), reader, 'slos', policy));
    breakers.push(...readSreSection(top.get('breakers'), reader, 'breakers', policy));
  }
  const issues = reader.issues.filter((i) => i.severity === 'error');
  return issues.length > 0 ? { slos: [], breakers: [], issues } : { slos, breakers, issues: [] };
}
