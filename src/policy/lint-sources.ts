/**
 * The sources, read again for lint: what the compiled rules do not carry (where each tool entry
 * and each condition is written, and the facet bindings).
 */
import { isAgtDocument, readAgtDocument } from './agt.js';
import type { PolicySource } from './compile.js';
import { readPolicyDocument, type PolicySpec, type RuleSpec } from './document.js';
import { parseJsonSource } from './json-source.js';
import { MAX_SOURCE_CHARS, parseSource, type NodeReader } from './yaml-reader.js';
import { ruleKey } from './rule-key.js';

export interface SourceRule {
  spec: RuleSpec;
  reader: NodeReader;
}

export interface SourceView {
  rules: Map<string, SourceRule>;
  specs: PolicySpec[];
}

export { ruleKey };

export function readSources(sources: readonly PolicySource[]): SourceView {
  const rules = new Map<string, SourceRule>();
  const specs: PolicySpec[] = [];
  for (const source of sources) {
    let text: unknown;
    try {
      // The same text the compiler read: a document object is read as its indented JSON.
      text = 'text' in source ? source.text : JSON.stringify(source.document, null, 2);
    } catch {
      continue; // the compiler has reported this source already
    }
    if (typeof text !== 'string') continue;
    // As the compiler reads it: plain JSON (a document object's text) takes the fast reader, which
    // gives the YAML parser's nodes and positions; anything else the YAML parser.
    const { reader, documents } = (text.length <= MAX_SOURCE_CHARS ? parseJsonSource(source.name, text) : null) ?? parseSource(source.name, text);
    for (const doc of documents) {
      if (doc.errors.length > 0) continue;
      // The same dispatch as the compiler: AGT documents are read in their own format.
      const spec = isAgtDocument(doc) ? readAgtDocument(doc, reader) : readPolicyDocument(doc, reader);
      if (!spec) continue;
      specs.push(spec);
      for (const r of spec.rules) rules.set(ruleKey(spec.name, r.name), { spec: r, reader });
    }
  }
  return { rules, specs };
}
