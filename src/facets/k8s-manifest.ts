/**
 * Kubernetes manifests for the k8s facet: YAML or JSON text with one or many documents, or
 * already-parsed objects and arrays. Every document counts, and so does every item of a list:
 * like kubectl, any object with an `items` field is a list whose items are the real objects,
 * whatever its `kind` says.
 *
 * Parsing is strict where YAML readers disagree: duplicate keys, merge keys (`<<`), `%YAML 1.1`
 * directives, unresolved tags, and non-string `kind`/`apiVersion`/`namespace`/`name` fail
 * closed. YAML is read from its syntax tree, never converted whole: a large `spec` costs only its
 * parse. Anchors and aliases in the fields the facet reads (`metadata: *meta`, `namespace: *ns`,
 * `items: [*a, *b]`) are resolved as kubectl's YAML reader resolves them, up to
 * {@link MAX_ALIAS_RESOLUTIONS} per manifest; aliases elsewhere are never expanded.
 */
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml';
import { WardenError } from '../errors.js';
import type { K8sObjectFacts } from './k8s.js';
import { lookupKind } from './k8s-resources.js';

// Limits on manifest structure (text size is bounded by the facet).
const MANIFEST_MAX_OBJECTS = 10_000;
const MAX_LIST_DEPTH = 8;
const MAX_BRACKET_DEPTH = 512;
/** Most aliases resolved in one manifest's read fields (an alias can repeat a whole list of objects). */
const MAX_ALIAS_RESOLUTIONS = 1_000;
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The facts a manifest yields, before the facet assembles its result.
 *
 * @example
 * ```ts
 * const f: ManifestFacts = parseManifest({ apiVersion: 'v1', kind: 'Secret' }, 'create', 'default');
 * ```
 */
export interface ManifestFacts {
  objects: K8sObjectFacts[];
  /** `true` when some object's kind is not a built-in one, so its scope is a guess. */
  unknownScope: boolean;
}

function fail(message: string): never {
  throw new WardenError('ERR_K8S_PARSE', message);
}

function own(obj: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function noMergeKey(obj: object, where: string): void {
  if (Object.prototype.hasOwnProperty.call(obj, '<<')) fail(`YAML merge key '<<' in ${where} is not supported`);
}

function optionalString(obj: object, key: string, where: string): string {
  const v = own(obj, key);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') fail(`${where}.${key} is not a string`);
  return v;
}

interface Walk {
  verb: string;
  defaultNamespace: string;
  objects: K8sObjectFacts[];
  unknownScope: boolean;
}

function parseApiVersion(apiVersion: string, where: string): { group: string; version: string } {
  const parts = apiVersion.split('/');
  if (parts.length === 1 && parts[0] !== '') return { group: '', version: parts[0] as string };
  if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') {
    return { group: (parts[0] as string).toLowerCase(), version: parts[1] as string };
  }
  fail(`${where}: invalid apiVersion '${apiVersion}'`);
}

function collect(value: unknown, depth: number, where: string, w: Walk): void {
  if (depth > MAX_LIST_DEPTH) fail(`${where}: lists nested deeper than ${MAX_LIST_DEPTH}`);
  if (Array.isArray(value)) {
    value.forEach((item: unknown, i) => collect(item, depth + 1, `${where}[${i}]`, w));
    return;
  }
  if (!isPlainObject(value)) fail(`${where} is not an object`);
  noMergeKey(value, where);
  const kind = own(value, 'kind');
  if (typeof kind !== 'string' || kind === '') fail(`${where} has no kind`);
  const apiVersion = own(value, 'apiVersion');
  if (typeof apiVersion !== 'string' || apiVersion === '') fail(`${where} has no apiVersion`);
  const items = own(value, 'items');
  if (items !== undefined) {
    // kubectl decodes any object carrying `items` as a list, so the container is never applied.
    if (!Array.isArray(items)) fail(`${where}.items is not a list`);
    items.forEach((item: unknown, i) => collect(item, depth + 1, `${where}.items[${i}]`, w));
    return;
  }
  const { group, version } = parseApiVersion(apiVersion, where);
  const metadata = own(value, 'metadata');
  let name = '';
  let namespace = '';
  if (metadata !== undefined && metadata !== null) {
    if (!isPlainObject(metadata)) fail(`${where}.metadata is not an object`);
    noMergeKey(metadata, `${where}.metadata`);
    name = optionalString(metadata, 'name', `${where}.metadata`);
    namespace = optionalString(metadata, 'namespace', `${where}.metadata`);
  }
  if (name === '.' || name === '..' || name.includes('/') || name.includes('%')) fail(`${where}: invalid name '${name}'`);
  if (namespace !== '' && !DNS_LABEL.test(namespace)) fail(`${where}: invalid namespace '${namespace}'`);
  const info = lookupKind(group, kind);
  if (info === undefined) w.unknownScope = true;
  if (info?.resource === 'namespaces' && group === '') {
    if (name !== '' && !DNS_LABEL.test(name)) fail(`${where}: invalid namespace name '${name}'`);
    namespace = name;
  }
  else if (info?.namespaced === false) namespace = '';
  else if (namespace === '') namespace = w.defaultNamespace;
  if (w.objects.length >= MANIFEST_MAX_OBJECTS) fail(`manifest has more than ${MANIFEST_MAX_OBJECTS} objects`);
  w.objects.push({
    verb: w.verb,
    group,
    version,
    resource: info?.resource ?? '',
    subresource: '',
    namespace,
    name,
    kind: info?.kind ?? kind,
  });
}

// Stands in for any value the facet does not read: never a string, so reading it fails.
const OPAQUE = Object.freeze({ opaque: true });

/** The YAML document being read and how many more aliases may be resolved in it. */
interface YamlContext {
  doc: Document.Parsed;
  aliases: { left: number };
}

/** The node an alias stands for (bounded); any other node as it is. */
function deref(node: unknown, ctx: YamlContext, where: string): unknown {
  let n = node;
  for (let hops = 0; isAlias(n); hops++) {
    if (--ctx.aliases.left < 0) fail(`${where}: more than ${MAX_ALIAS_RESOLUTIONS} YAML aliases to resolve`);
    if (hops > 16) fail(`${where}: YAML alias chain too long`);
    const target = n.resolve(ctx.doc);
    if (target === undefined) fail(`${where}: YAML alias *${n.source} has no anchor`);
    n = target;
  }
  return n;
}

function yamlScalar(raw: unknown, ctx: YamlContext, where: string): unknown {
  if (raw === null || raw === undefined) return null;
  const node = deref(raw, ctx, where);
  return isScalar(node) ? node.value : OPAQUE;
}

/**
 * The parts of a YAML map the facet reads, as a plain object: `kind`, `apiVersion`, `metadata`
 * (`name`, `namespace`) and `items`; a merge key (`<<`) is refused. Keys are checked for
 * duplicates here, in linear time, instead of by the YAML library (quadratic on big maps).
 */
function yamlMap(raw: unknown, ctx: YamlContext, depth: number, where: string, read: (key: string, value: unknown, into: Record<string, unknown>) => void): unknown {
  if (raw === null || raw === undefined) return null;
  const node = deref(raw, ctx, where);
  if (!isMap(node)) return isScalar(node) ? node.value : isSeq(node) ? yamlItems(node, ctx, depth, where) : OPAQUE;
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const pair of node.items) {
    const k = deref(pair.key, ctx, where);
    if (!isScalar(k)) continue; // a collection as a key never names a field the facet reads
    const key = String(k.value);
    if (key === '<<') fail(`YAML merge key '<<' in ${where} is not supported`);
    if (seen.has(key)) fail(`${where}: duplicate key '${key}'`);
    seen.add(key);
    read(key, pair.value, out);
  }
  return out;
}

function yamlItems(raw: unknown, ctx: YamlContext, depth: number, where: string): unknown {
  if (depth > MAX_LIST_DEPTH) fail(`${where}: lists nested deeper than ${MAX_LIST_DEPTH}`);
  const node = raw === null || raw === undefined ? raw : deref(raw, ctx, where);
  if (!isSeq(node)) return yamlScalar(node, ctx, where);
  return node.items.map((item, i) => yamlObject(item, ctx, depth + 1, `${where}[${i}]`));
}

function yamlObject(node: unknown, ctx: YamlContext, depth: number, where: string): unknown {
  return yamlMap(node, ctx, depth, where, (key, value, into) => {
    if (key === 'kind' || key === 'apiVersion') into[key] = yamlScalar(value, ctx, `${where}.${key}`);
    else if (key === 'items') into.items = yamlItems(value, ctx, depth, `${where}.items`);
    else if (key === 'metadata') {
      into.metadata = yamlMap(value, ctx, depth, `${where}.metadata`, (mk, mv, meta) => {
        if (mk === 'name' || mk === 'namespace') meta[mk] = yamlScalar(mv, ctx, `${where}.metadata.${mk}`);
      });
    }
  });
}

function documentsOf(text: string): unknown[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    // kubectl reads a leading '{' as JSON, never as YAML flow syntax.
    try {
      return [JSON.parse(text) as unknown];
    } catch (e) {
      fail(`invalid JSON manifest: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // The YAML composer recurses per flow level and is slow to reach its stack limit; a cheap
  // bracket count (quotes ignored, so it can only over-count) refuses such input up front.
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_BRACKET_DEPTH) fail(`brackets nested deeper than ${MAX_BRACKET_DEPTH}`);
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  const docs = parseAllDocuments(text, { merge: false, uniqueKeys: false, prettyErrors: false });
  const values: unknown[] = [];
  let index = 0;
  const aliases = { left: MAX_ALIAS_RESOLUTIONS };
  for (const doc of docs) {
    const where = `document ${index}`;
    index++;
    const first = doc.errors[0] ?? doc.warnings[0];
    if (first !== undefined) fail(`${where}: ${first.message}`);
    if (doc.directives.yaml.explicit && doc.directives.yaml.version !== '1.2') {
      fail(`${where}: %YAML ${doc.directives.yaml.version} directive is not supported`);
    }
    values.push(yamlObject(doc.contents, { doc, aliases }, 0, where));
  }
  return values;
}

/**
 * Reads every object of a manifest (text, object, or array of objects). Empty YAML documents
 * are skipped; a manifest with no object at all, or any document that is not a Kubernetes
 * object (no `kind` or `apiVersion`), fails. Known kinds map to their resource; cluster-scoped
 * kinds get namespace `''`; a Namespace object's namespace is its own name; an object with no
 * namespace gets `defaultNamespace`. Unknown kinds (custom resources) keep their kind with
 * resource `''`, because the plural cannot be known without the cluster.
 *
 * @example
 * ```ts
 * parseManifest('kind: Secret\napiVersion: v1\nmetadata: {name: s}\n', 'create', 'default').objects[0];
 * // { verb: 'create', resource: 'secrets', kind: 'Secret', namespace: 'default', name: 's', ... }
 * ```
 */
export function parseManifest(input: unknown, verb: string, defaultNamespace: string): ManifestFacts {
  const w: Walk = { verb, defaultNamespace, objects: [], unknownScope: false };
  if (typeof input === 'string') {
    const docs = documentsOf(input);
    docs.forEach((doc, i) => {
      if (doc === null || doc === undefined) return;
      collect(doc, 0, `document ${i}`, w);
    });
  } else {
    collect(input, 0, 'manifest', w);
  }
  if (w.objects.length === 0) fail('manifest has no objects');
  return { objects: w.objects, unknownScope: w.unknownScope };
}
