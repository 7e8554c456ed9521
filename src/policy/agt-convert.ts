/**
 * Converting AGT policies (`apiVersion: governance.toolkit/v1`) into the equivalent `warden/v1`
 * documents: the same rules, in the same order, with the same conditions, so the converted text
 * loads and decides exactly as the AGT file does. The output is plain Warden policy to edit on.
 */
import { Document, isMap, isScalar, isSeq, type Node } from 'yaml';
import { WardenError } from '../errors.js';
import { readAgtPolicy, isAgtDocument, AGT_API_VERSION, AGT_NOT_TARGETED_RULE, type AgtPolicy } from './agt.js';
import { compilePolicy, type PolicySource } from './compile.js';
import { API_VERSION } from './document.js';
import { PolicyLoadError, type PolicyIssue } from './issues.js';
import { parseSource } from './yaml-reader.js';

/**
 * The result of converting AGT policies.
 *
 * @example
 * ```ts
 * const out: AgtConversion = convertAgtPolicies([{ name: 'agt.yaml', text }]);
 * process.stdout.write(out.text);
 * ```
 */
export interface AgtConversion {
  /** The `warden/v1` YAML: one document per AGT document, in order, separated by `---`. */
  text: string;
  /** Warnings met while loading the AGT sources (they hold for the converted text too). */
  warnings: PolicyIssue[];
  /** The converted policies, in order. */
  policies: Array<{ name: string; source: string; rules: number }>;
}

/**
 * Converts AGT policy sources into equivalent `warden/v1` YAML. Every source document must be an
 * AGT policy; the whole input must load (as compilePolicy loads it) before anything is converted.
 *
 * @example
 * ```ts
 * const { text } = convertAgtPolicies([{ name: 'agt.yaml', text: agtYaml }]);
 * const set = compilePolicy([{ name: 'converted.yaml', text }]); // decides as the AGT file does
 * ```
 * @throws PolicyLoadError when a source is not an AGT policy or does not load.
 */
export function convertAgtPolicies(sources: readonly PolicySource[]): AgtConversion {
  const texts = sources.map((s) => ({ name: s.name, text: sourceText(s) }));
  const notAgt: PolicyIssue[] = [];
  for (const { name, text } of texts) {
    const { reader, documents } = parseSource(name, text);
    for (const doc of documents) {
      if (doc.errors.length > 0 || isAgtDocument(doc)) continue;
      const root = doc.contents;
      const version = isMap(root) ? root.items.find((p) => isScalar(p.key) && p.key.value === 'apiVersion')?.value : undefined;
      const said = isScalar(version) ? `apiVersion "${String(version.value)}"` : 'no apiVersion';
      const hint = isScalar(version) && version.value === API_VERSION ? ' It is already a Warden policy.' : '';
      notAgt.push({ severity: 'error', code: 'not_agt_policy', ...reader.pos((root as Node | null) ?? doc.range[0]), message: `This document has ${said}; warden convert reads AGT policies (apiVersion: ${AGT_API_VERSION}).${hint}` });
    }
  }
  if (notAgt.length > 0) throw new PolicyLoadError(notAgt);
  // The same load the AGT files get everywhere else: any error stops the conversion.
  const loaded = compilePolicy(texts);
  const out: string[] = [];
  const policies: AgtConversion['policies'] = [];
  for (const { name, text } of texts) {
    const { reader, documents } = parseSource(name, text);
    for (const doc of documents) {
      const agt = readAgtPolicy(doc, reader);
      if (!agt) throw new WardenError('ERR_AGT_CONVERT', `${name}: the AGT policy loaded but could not be read again for conversion.`);
      out.push(emit(agt, name));
      policies.push({ name: agt.spec.name, source: name, rules: agt.spec.rules.length });
    }
  }
  const converted = out.join('---\n');
  // invariant: the converted text loads, with the same rules in the same order.
  let check;
  try {
    check = compilePolicy([{ name: '(converted)', text: converted }]);
  } catch (e) {
    throw new WardenError('ERR_AGT_CONVERT', `The converted policy does not load (a Warden bug; please report it): ${e instanceof Error ? e.message : String(e)}`);
  }
  const same = check.rules.length === loaded.rules.length && check.rules.every((r, i) => r.name === loaded.rules[i]?.name && r.whenText === loaded.rules[i]?.whenText && r.effect === loaded.rules[i]?.effect);
  if (!same) throw new WardenError('ERR_AGT_CONVERT', 'The converted policy does not hold the same rules as the AGT source (a Warden bug; please report it).');
  return { text: converted, warnings: [...loaded.warnings], policies };
}

function sourceText(source: PolicySource): string {
  if ('text' in source) return source.text;
  try {
    return JSON.stringify(source.document, null, 2) ?? 'null';
  } catch (e) {
    throw new PolicyLoadError([{ severity: 'error', code: 'bad_sources', file: source.name, line: 0, col: 0, message: `The document could not be serialized: ${e instanceof Error ? e.message : String(e)}` }]);
  }
}

function emit(agt: AgtPolicy, source: string): string {
  const { spec } = agt;
  const rules = spec.rules.map((r) => {
    const rule: Record<string, unknown> = { name: r.name };
    if (r.when) rule.when = r.when.text;
    rule.effect = r.effect;
    if (r.reason !== undefined) rule.reason = r.reason;
    if (r.effect === 'require_approval' && r.approvers.length > 0) rule.approvers = [...r.approvers];
    return rule;
  });
  const body: Record<string, unknown> = { apiVersion: API_VERSION, kind: 'Policy', name: spec.name };
  if (spec.description !== undefined) body.description = spec.description;
  body.default = spec.default;
  body.rules = rules;
  const doc = new Document(body);
  const header = [
    ` Converted by "warden convert" from ${oneLine(source)} (apiVersion ${AGT_API_VERSION}${agt.version !== undefined ? `, version ${oneLine(agt.version)}` : ''}).`,
    ' Rules are in AGT priority order (highest first); deny overrides everything, and a rule that',
    ' AGT would rank below a matching higher-priority, less restrictive rule steps aside (!(...)).',
    ' AGT context: arguments at the top level (args.x), action.type = the action argument or the tool.',
  ];
  if (agt.targets !== null) header.push(` AGT agents: ${oneLine(agt.targets.join(', '))}: every rule is limited to these agents (agent.did, or agent.id without a DID).`);
  if (agt.disabled.length > 0) header.push(` Left out (enabled: false in the AGT source): ${agt.disabled.map((r) => r.name).join(', ')}.`);
  doc.commentBefore = header.join('\n');
  const seq = doc.get('rules', true);
  if (isSeq(seq)) {
    const infos = new Map(agt.rules.map((r) => [r.name, r]));
    for (const item of seq.items) {
      if (!isMap(item)) continue;
      const when = item.get('when', true);
      // CEL holds single quotes: double-quote it so YAML never reinterprets a character.
      if (isScalar(when)) when.type = 'QUOTE_DOUBLE';
      const name = item.get('name');
      if (name === AGT_NOT_TARGETED_RULE) {
        item.commentBefore = ' Added: AGT applies this policy only to the agents it lists, and denies every other agent.';
        continue;
      }
      const info = typeof name === 'string' ? infos.get(name) : undefined;
      if (!info) continue;
      const lines = [` AGT: action ${info.action}, priority ${info.priority}, condition: ${oneLine(info.condition)}`];
      if (info.yieldsTo.length > 0) lines.push(` steps aside when a higher-priority, less restrictive rule matches: ${info.yieldsTo.join(', ')}`);
      item.commentBefore = lines.join('\n');
    }
  }
  return doc.toString({ lineWidth: 0 });
}

/** Text safe inside one YAML comment line: any line break would end the comment and start YAML. */
function oneLine(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    out += code < 0x20 || code === 0x7f || code === 0x85 || code === 0x2028 || code === 0x2029 ? ' ' : ch;
  }
  return out.replace(/ {2,}/g, ' ').trim();
}
