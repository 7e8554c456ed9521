/**
 * `kind: PolicyData` documents: plain data a policy set carries (lists of hosts, teams, owners),
 * placed in one data tree by dotted name. Rego documents read the tree as OPA's base document
 * `data` (`data.teams.finance`); it is part of the sources, so the set's digest covers it. YAML
 * rules do not read it (see docs/policy-languages.md).
 */
import type { Document, Node } from 'yaml';
import { API_VERSION } from './api-version.js';
import type { PolicyIssue } from './issues.js';
import type { SourcePos } from './source-pos.js';
import { openDocument, type NodeReader } from './yaml-reader.js';

/** The kind that marks a data document. */
export const POLICY_DATA_KIND = 'PolicyData';

const DATA_KEYS = ['apiVersion', 'kind', 'name', 'description', 'data'] as const;
/** Dotted identifiers, as Rego reads them after `data.`: `teams`, `acl.hosts`. */
const DATA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,7}$/;

/**
 * One read data document: where it goes in the tree, and its value.
 *
 * @example
 * ```ts
 * const entry: PolicyDataEntry = { path: ['acl', 'hosts'], value: ['a.example'], pos: { file: 'data.yaml', line: 1, col: 1 } };
 * ```
 */
export interface PolicyDataEntry {
  path: string[];
  value: unknown;
  pos: SourcePos;
}

/**
 * True when a parsed document says `kind: PolicyData`.
 *
 * @example
 * ```ts
 * if (isPolicyDataDocument(doc)) readPolicyDataDocument(doc, reader);
 * ```
 */
export function isPolicyDataDocument(doc: Document.Parsed): boolean {
  const root = doc.contents as { get?: (key: string) => unknown } | null;
  return root !== null && typeof root.get === 'function' && root.get('kind') === POLICY_DATA_KIND;
}

/**
 * Reads a `kind: PolicyData` document (`name` a dotted path, `data` any YAML/JSON value),
 * recording issues in the reader; null when it is unusable.
 *
 * @example
 * ```ts
 * const entry = readPolicyDataDocument(doc, reader); // { path: ['teams'], value: { finance: ['ana'] }, pos }
 * ```
 */
export function readPolicyDataDocument(doc: Document.Parsed, reader: NodeReader): PolicyDataEntry | null {
  const head = openDocument(doc, reader, 'a PolicyData document', DATA_KEYS, API_VERSION, 'this version of Warden reads');
  if (!head) return null;
  const { root, top, apiVersion } = head;
  const name = reader.string(top.get('name'), 'name', true, root);
  if (name !== undefined && !DATA_NAME.test(name)) {
    reader.error(top.get('name')?.value, 'bad_name', `PolicyData name "${name}" must be a dotted path of identifiers (letters, digits, "_"; not starting with a digit), at most 8 parts, such as teams or acl.hosts.`);
    return null;
  }
  reader.string(top.get('description'), 'description', false);
  const pair = top.get('data');
  if (pair === undefined) {
    reader.error(root, 'missing_field', `PolicyData "${name ?? '?'}" has no data; write data: followed by the value.`);
    return null;
  }
  if (name === undefined || apiVersion !== API_VERSION) return null;
  const node = pair.value as Node | null;
  let value: unknown = null;
  try {
    // Aliases are refused rather than expanded: data is plain values, and expansion can blow up.
    if (node !== null) value = node.toJS(doc, { maxAliasCount: 0 }) as unknown;
  } catch (e) {
    reader.error(node, 'data_invalid', `PolicyData "${name}" cannot be read as plain data (${e instanceof Error ? e.message : String(e)}); write it without YAML aliases or tags.`);
    return null;
  }
  return { path: name.split('.'), value, pos: reader.pos(root) };
}

/**
 * The data tree of a set's data documents: each value at its dotted path. Two documents at the
 * same path, or one inside another's value (`acl` and `acl.hosts`), are a load error: which one
 * wins would otherwise depend on file order.
 *
 * @example
 * ```ts
 * policyDataTree([{ path: ['acl', 'hosts'], value: ['a.example'], pos }], issues); // { acl: { hosts: ['a.example'] } }
 * ```
 */
export function policyDataTree(entries: readonly PolicyDataEntry[], issues: PolicyIssue[]): Record<string, unknown> {
  const tree: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const taken = new Map<string, SourcePos>();
  for (const entry of entries) {
    const key = entry.path.join('.');
    const clash = [...taken].find(([other]) => other === key || other.startsWith(`${key}.`) || key.startsWith(`${other}.`));
    if (clash !== undefined) {
      issues.push({ severity: 'error', code: 'data_conflict', ...entry.pos, message: `PolicyData "${key}" overlaps PolicyData "${clash[0]}" (${clash[1].file}:${clash[1].line}); give each data document its own path.` });
      continue;
    }
    taken.set(key, entry.pos);
    let node = tree;
    for (const part of entry.path.slice(0, -1)) {
      node[part] ??= Object.create(null) as Record<string, unknown>;
      node = node[part] as Record<string, unknown>;
    }
    node[entry.path.at(-1) as string] = entry.value;
  }
  return tree;
}
