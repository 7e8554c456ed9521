/**
 * Kubernetes REST paths for the k8s facet: `/api/v1/namespaces/x/pods/y/exec`, `/apis/apps/v1/...`,
 * `watch` and `proxy` paths, query strings, full `https://host:6443/...` URLs.
 *
 * The split follows the API server's own request-info rules (API prefix, group, version, the
 * `watch`/`proxy` special verbs, `namespaces/{ns}`, then resource/name/subresource), so the facts
 * are what the server's authorizer would see. Anything whose meaning depends on how a proxy or
 * client normalises the path fails closed instead: encoded slashes or backslashes, dot segments
 * (also percent-encoded), empty segments, double encoding, `;` path parameters, control and
 * invisible characters. A `fieldSelector=metadata.name=x` list keeps name `''` (the server
 * would authorize it as name `x`; an empty name never satisfies a name-scoped allow rule).
 */
import { WardenError } from '../errors.js';
import type { K8sObjectFacts } from './k8s.js';
import { lookupGroupResource } from './k8s-resources.js';

/**
 * The facts a REST path yields, before the facet assembles its result.
 *
 * @example
 * ```ts
 * const f: RestFacts = parseRestPath('/api/v1/pods', 'get'); // f.allNamespaces === true
 * ```
 */
export interface RestFacts {
  objects: K8sObjectFacts[];
  allNamespaces: boolean;
  /** The decoded path (no query), `/`-joined. */
  path: string;
  /** `host[:port]` of a full URL, lower-case; `''` for a bare path. */
  server: string;
  /** `'server'` when the query asks for `dryRun=All`. */
  dryRun: string;
  /** `true` when the resource is not a built-in one, so its scope is a guess. */
  unknownScope: boolean;
}

const HTTP_METHODS = new Set(['get', 'head', 'post', 'put', 'patch', 'delete']);
// API verbs accepted in place of a method, so callers can pass either.
const VERB_TO_METHOD: Readonly<Record<string, string>> = {
  get: 'get',
  list: 'get',
  watch: 'get',
  create: 'post',
  update: 'put',
  patch: 'patch',
  delete: 'delete',
  deletecollection: 'delete',
};
const METHOD_TO_VERB: Readonly<Record<string, string>> = {
  get: 'get',
  head: 'get',
  post: 'create',
  put: 'update',
  patch: 'patch',
  delete: 'delete',
};
// Subresources whose GET upgrades to a stream that runs code in the pod: the API server (1.31+)
// also authorizes them as `create`, and so does the facet, whatever the method.
const CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const FORMAT_CHARS = /\p{Cf}/u;

/** C0 and C1 controls, DEL, and invisible format characters (zero-width, bidi). */
function hasBadChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return FORMAT_CHARS.test(s);
}

function fail(message: string): never {
  throw new WardenError('ERR_K8S_PARSE', message);
}

/**
 * Normalises the HTTP method (or API verb) that accompanies a REST path to a lower-case HTTP
 * method; absent means GET.
 *
 * @example
 * ```ts
 * restMethod('POST'); // 'post'
 * restMethod('update'); // 'put'
 * ```
 */
export function restMethod(verb: string | undefined): string {
  if (verb === undefined || verb === '') return 'get';
  const v = verb.toLowerCase();
  if (HTTP_METHODS.has(v)) return v;
  const m = VERB_TO_METHOD[v];
  if (m === undefined) fail(`unsupported HTTP method or verb '${verb}' for a REST path`);
  return m;
}

function decodeSegment(raw: string): string {
  if (/%(?:2f|5c)/i.test(raw)) fail(`encoded '/' or '\\' in path segment '${raw}'`);
  let seg: string;
  try {
    seg = decodeURIComponent(raw);
  } catch {
    fail(`malformed percent-encoding in path segment '${raw}'`);
  }
  if (seg.includes('%')) fail(`path segment '${raw}' is percent-encoded twice`);
  if (seg === '.' || seg === '..') fail(`dot segment '${raw}' in path`);
  if (hasBadChars(seg)) fail(`control or invisible character in path segment '${raw}'`);
  return seg;
}

function decodeQueryPart(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    fail(`malformed percent-encoding in query '${raw}'`);
  }
}

/** First value of each query key, as Go's `url.Values.Get` sees it. */
function parseQuery(query: string): Map<string, string> {
  const out = new Map<string, string>();
  if (query === '') return out;
  // Go rejects ';' separators but other parsers split on them; either reading is a guess.
  if (query.includes(';')) fail("';' in query string");
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeQueryPart(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeQueryPart(eq < 0 ? '' : pair.slice(eq + 1));
    if (!out.has(key)) out.set(key, value);
  }
  return out;
}

function splitUrl(input: string): { server: string; rest: string } {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/.exec(input);
  if (m === null) return { server: '', rest: input };
  const scheme = (m[1] ?? '').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') fail(`unsupported URL scheme '${scheme}'`);
  const authority = (m[2] ?? '').toLowerCase();
  const at = authority.lastIndexOf('@');
  const server = at >= 0 ? authority.slice(at + 1) : authority;
  if (server === '') fail('URL has no host');
  const rest = input.slice(m[0].length);
  return { server, rest: rest === '' || rest[0] === '?' || rest[0] === '#' ? `/${rest}` : rest };
}

/**
 * Parses a Kubernetes API request path (or full URL) with the HTTP method that carries it.
 * Throws `WardenError('ERR_K8S_PARSE')` on anything ambiguous; the facet turns that into
 * `parsed: false`.
 *
 * Verb rules (the API server's): a `watch` or `proxy` prefix segment is the verb; otherwise GET
 * is `get` with a name and `list` without one (`watch` when the query has `watch` set to
 * anything but `0`/`false`), POST `create`, PUT `update`, PATCH `patch`, DELETE `delete` or
 * `deletecollection` without a name. `exec`, `attach` and `portforward` on pods are `create`.
 * For the `namespaces` resource the namespace is the object's own name. A non-resource path
 * (`/healthz`, `/api`, `/apis/apps`) has resource `''` and the lower-case method as its verb.
 *
 * @example
 * ```ts
 * parseRestPath('/api/v1/namespaces/%70roduction/secrets', 'get').objects[0];
 * // { verb: 'list', resource: 'secrets', namespace: 'production', ... }
 * ```
 */
export function parseRestPath(input: string, method: string): RestFacts {
  const { server, rest } = splitUrl(input);
  let pathAndQuery = rest;
  const hash = pathAndQuery.indexOf('#');
  if (hash >= 0) pathAndQuery = pathAndQuery.slice(0, hash);
  const qm = pathAndQuery.indexOf('?');
  const rawPath = qm >= 0 ? pathAndQuery.slice(0, qm) : pathAndQuery;
  const query = parseQuery(qm >= 0 ? pathAndQuery.slice(qm + 1) : '');
  if (!rawPath.startsWith('/')) fail('REST path must start with /');
  // ';' starts path parameters that some proxies strip; '\\' is a separator to others.
  if (/[\s\\;]/.test(rawPath) || hasBadChars(rawPath)) fail("whitespace, backslash, ';' or control character in REST path");
  const rawSegs = rawPath.slice(1).split('/');
  if (rawSegs.length > 0 && rawSegs[rawSegs.length - 1] === '') rawSegs.pop();
  if (rawSegs.some((s) => s === '')) fail('empty segment (//) in REST path');
  const segs = rawSegs.map(decodeSegment);
  const path = `/${segs.join('/')}`;
  const dryRun = query.get('dryRun') === 'All' ? 'server' : '';
  const nonResource = (): RestFacts => ({
    objects: [{ verb: method, group: '', version: '', resource: '', subresource: '', namespace: '', name: '', kind: '' }],
    allNamespaces: false,
    path,
    server,
    dryRun,
    unknownScope: false,
  });

  // invariant: the structure below mirrors the API server's RequestInfoFactory.
  if (segs.length < 3) return nonResource();
  const prefix = segs[0];
  let parts: string[];
  let group = '';
  if (prefix === 'api') {
    parts = segs.slice(1);
  } else if (prefix === 'apis') {
    if (segs.length < 4) return nonResource();
    group = (segs[1] ?? '').toLowerCase();
    parts = segs.slice(2);
  } else {
    return nonResource();
  }
  const version = (parts[0] ?? '').toLowerCase();
  parts = parts.slice(1);

  let verb: string;
  let special = false;
  const head = parts[0] ?? '';
  if (head === 'watch' || head === 'proxy') {
    if (parts.length < 2) fail(`'${head}' path names no resource`);
    verb = head;
    special = true;
    parts = parts.slice(1);
  } else {
    verb = METHOD_TO_VERB[method] ?? fail(`unsupported HTTP method '${method}'`);
  }

  let namespace = '';
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      namespace = parts[1] ?? '';
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) parts = parts.slice(2);
    }
  }
  const resource = (parts[0] ?? '').toLowerCase();
  const name = parts[1] ?? '';
  const subresource = parts.length >= 3 && verb !== 'proxy' ? (parts[2] ?? '') : '';
  if (namespace !== '' && !DNS_LABEL.test(namespace)) fail(`invalid namespace '${namespace}'`);

  if (name === '' && verb === 'get') {
    const w = query.get('watch');
    verb = w !== undefined && w !== '0' && w.toLowerCase() !== 'false' ? 'watch' : 'list';
  }
  if (name === '' && verb === 'delete') verb = 'deletecollection';
  if (!special && group === '' && resource === 'pods' && CONNECT_SUBRESOURCES.has(subresource)) verb = 'create';

  const info = lookupGroupResource(group, resource);
  const namespaced = info?.namespaced;
  const allNamespaces = namespace === '' && resource !== 'namespaces' && namespaced !== false;
  return {
    objects: [{ verb, group, version, resource, subresource, namespace, name, kind: info?.kind ?? '' }],
    allNamespaces,
    path,
    server,
    dryRun,
    unknownScope: info === undefined,
  };
}
