/**
 * Reading `kind: CedarPolicy` and `kind: RegoPolicy` documents (see backend.ts for what they are).
 */
import type { Document, Node } from 'yaml';
import { API_VERSION } from './api-version.js';
import { BACKEND_KINDS, type BackendDocument, type BackendLanguage } from './backend.js';
import { openDocument, type NodeReader } from './yaml-reader.js';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const CEDAR_KEYS = ['apiVersion', 'kind', 'name', 'description', 'default', 'policies', 'schema'] as const;
const REGO_KEYS = ['apiVersion', 'kind', 'name', 'description', 'default', 'module', 'query'] as const;

/**
 * The language of a parsed document when its `kind` names one (CedarPolicy, RegoPolicy), else null.
 *
 * @example
 * ```ts
 * backendLanguageOf(doc); // 'cedar' for kind: CedarPolicy
 * ```
 */
export function backendLanguageOf(doc: Document.Parsed): BackendLanguage | null {
  const root = doc.contents as { get?: (key: string, keepScalar?: boolean) => unknown } | null;
  if (root === null || typeof root.get !== 'function') return null;
  const kind = root.get('kind');
  return typeof kind === 'string' ? (BACKEND_KINDS[kind] ?? null) : null;
}

/**
 * Reads a `kind: CedarPolicy` or `kind: RegoPolicy` document, recording issues in the reader.
 * Returns null when it is unusable.
 *
 * @example
 * ```ts
 * const spec = readBackendDocument(doc, reader, 'cedar', 'policies/guards.yaml');
 * ```
 */
export function readBackendDocument(doc: Document.Parsed, reader: NodeReader, language: BackendLanguage, source: string): BackendDocument | null {
  const kind = language === 'cedar' ? 'CedarPolicy' : 'RegoPolicy';
  const head = openDocument(doc, reader, `a ${kind} document`, language === 'cedar' ? CEDAR_KEYS : REGO_KEYS, API_VERSION, 'this version of Warden reads');
  if (!head) return null;
  const { root, top, apiVersion } = head;
  const name = reader.string(top.get('name'), 'name', true, root);
  if (name !== undefined && !NAME_PATTERN.test(name)) {
    reader.error(top.get('name')?.value, 'bad_name', `Policy name "${name}" must start with a letter or digit and use only letters, digits, "_", ".", ":" and "-" (at most 128).`);
  }
  const description = reader.string(top.get('description'), 'description', false);
  const def = reader.oneOf(top.get('default'), 'default', ['deny', 'allow'] as const, false) ?? 'deny';
  const textKey = language === 'cedar' ? 'policies' : 'module';
  const text = reader.string(top.get(textKey), textKey, true, root);
  if (text !== undefined && text.trim() === '') {
    reader.error(top.get(textKey)?.value, 'empty_source', `${textKey} of ${kind} "${name ?? '?'}" is empty; write the ${language === 'cedar' ? 'Cedar policies' : 'Rego module'} (a block scalar: ${textKey}: |).`);
  }
  const schema = language === 'cedar' ? reader.string(top.get('schema'), 'schema', false) : undefined;
  const query = language === 'rego' ? reader.string(top.get('query'), 'query', false) : undefined;
  if (query !== undefined && !/^data(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(query)) {
    reader.error(top.get('query')?.value, 'bad_query', `query "${query}" must name a rule as data.<package>.<rule>, e.g. data.warden.guards.decision.`);
  }
  if (name === undefined || text === undefined || text.trim() === '' || apiVersion !== API_VERSION) return null;
  const spec: BackendDocument = { language, name, default: def, text, source, pos: reader.pos(root as Node) };
  if (description !== undefined) spec.description = description;
  if (schema !== undefined) spec.schema = schema;
  if (query !== undefined) spec.query = query;
  return spec;
}
