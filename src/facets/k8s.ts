/**
 * The Kubernetes facet: what a kubectl command line, an API request path or a manifest would do
 * to a cluster, as facts a policy rule can test (`k8s.verb`, `k8s.resource`, `k8s.namespace`, ...).
 *
 * Sources, told apart by their shape:
 * - a kubectl command line: a string whose first word is `kubectl` or `oc` (or a path ending in
 *   them), or a kubectl subcommand (`get pods` means `kubectl get pods`); or an argv array of
 *   strings, with or without the leading `kubectl`;
 * - a REST path: a string starting with `/` (`/api/...`, `/apis/...`, or a non-resource path such
 *   as `/healthz`), a full `http(s)://host/...` URL, or either after an upper-case HTTP method
 *   (`POST /api/v1/namespaces/x/pods`);
 * - a manifest: any other string (YAML, or JSON when it starts with `{`), or an already-parsed
 *   object or array of objects.
 *
 * See {@link k8sFacet} for the meaning of every field and the kubectl mapping table.
 */
import { WardenError } from '../errors.js';
import { isKubectlProgram, isKubectlSubcommand, parseKubectlArgs, tokenizeCommandLine } from './k8s-kubectl.js';
import type { K8sLocalFile } from './k8s-kubectl-commands.js';

export type { K8sLocalFile } from './k8s-kubectl-commands.js';
import { parseManifest } from './k8s-manifest.js';
import { parseRestPath, restMethod } from './k8s-rest.js';

/**
 * One API request (or one object of a manifest) the input implies.
 *
 * @example
 * ```ts
 * const o: K8sObjectFacts = { verb: 'get', group: '', version: 'v1', resource: 'secrets', subresource: '',
 *   namespace: 'prod', name: 'db', kind: 'Secret' };
 * ```
 */
export interface K8sObjectFacts {
  /** Lower-case API verb (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, ...). */
  verb: string;
  /** API group; `''` for the core group (and when unknown). */
  group: string;
  /** API version (`v1`); `''` when unknown. */
  version: string;
  /** Plural, lower-case resource (`pods`); `''` when there is none or it cannot be known. */
  resource: string;
  /** Subresource (`exec`, `log`, `status`, `scale`, ...); `''` for none. */
  subresource: string;
  /** Decoded namespace; `''` for cluster-scoped resources, all namespaces, or unknown. */
  namespace: string;
  /** Object name; `''` for collections. */
  name: string;
  /** Kind (`Pod`); `''` when unknown. */
  kind: string;
}

/**
 * The facts the `k8s` CEL variable exposes. Every field is always present. Top-level `verb`,
 * `group`, `version`, `resource`, `subresource`, `namespace`, `name` and `kind` describe the
 * first object; `verbs`, `resources`, `namespaces` and `kinds` are the unions over all objects
 * (without empty strings); `objects` lists each.
 *
 * @example
 * ```ts
 * const f: K8sFacts = k8sFacet('kubectl get pods,secrets -n prod');
 * f.resources; // ['pods', 'secrets']
 * ```
 */
export interface K8sFacts {
  /** `false` when the input could not be understood; then `error` says why and facts are empty. */
  parsed: boolean;
  error: string;
  source: '' | 'kubectl' | 'rest' | 'manifest';
  verb: string;
  group: string;
  version: string;
  resource: string;
  resources: string[];
  subresource: string;
  namespace: string;
  namespaces: string[];
  name: string;
  kind: string;
  kinds: string[];
  /** The request spans every namespace (`-A`, `/api/v1/pods`, `drain`). */
  allNamespaces: boolean;
  objects: K8sObjectFacts[];
  /** Union of the objects' verbs. */
  verbs: string[];
  /** The kubectl command path (`get`, `create secret generic`, `rollout restart`); `''` otherwise. */
  subcommand: string;
  /** Objects come from `-f`/`-k` files the facet cannot read: resource and name are `''`. */
  fromFile: boolean;
  /** `'client'` or `'server'` for a dry run (`--dry-run=...`, `?dryRun=All`); `''` otherwise. */
  dryRun: string;
  /** Decoded REST path (REST input, `kubectl get --raw`); `''` otherwise. */
  path: string;
  /** The command run in the container (`exec`, `run`, `debug`, `create deployment ... --`). */
  command: string[];
  /** `--context`, `--cluster`, `--user`, `--kubeconfig`, `--server` (or a URL's host). */
  context: string;
  cluster: string;
  user: string;
  kubeconfig: string;
  server: string;
  /** The user named by `--as` (an `impersonate` object is added for it, as RBAC sees it). */
  impersonate: string;
  /**
   * Credential flags given on the line (`token`, `username`, `password`, `client-key`,
   * `client-certificate`): the request authenticates as whoever they name, not as configured.
   */
  credentials: string[];
  /**
   * TLS trust flags given on the line (`certificate-authority`, `insecure-skip-tls-verify`,
   * `tls-server-name`): kubectl trusts the server differently from its configuration.
   */
  trust: string[];
  /**
   * Local files kubectl itself reads or writes: `--certificate-authority`, `--client-key`,
   * `--client-certificate` and template files (`-o go-template-file=...`, `--template` with a
   * file output) are read; `--profile-output` (with `--profile`, default `profile.pprof`) and
   * `--cache-dir` are written. Each `{ path, access, flag }`, the path as given.
   */
  files: K8sLocalFile[];
  /**
   * Some object's resource is not a built-in one (a custom resource, `all`, or a file's content),
   * so whether it is namespaced is unknown: kubectl ignores `-n` for cluster-scoped resources.
   */
  unknownScope: boolean;
}

function freezeFacts(f: K8sFacts): K8sFacts {
  for (const v of Object.values(f)) if (Array.isArray(v)) Object.freeze(v);
  return Object.freeze(f);
}

function emptyFacts(): K8sFacts {
  return {
    parsed: false, error: '', source: '', verb: '', group: '', version: '', resource: '', resources: [], subresource: '',
    namespace: '', namespaces: [], name: '', kind: '', kinds: [], allNamespaces: false, objects: [], verbs: [],
    subcommand: '', fromFile: false, dryRun: '', path: '', command: [], context: '', cluster: '', user: '',
    kubeconfig: '', server: '', impersonate: '', credentials: [], trust: [], files: [], unknownScope: false,
  };
}

/**
 * The value of `k8s` when no k8s binding applies to the tool: `parsed` false, `error` `''`, every
 * other field empty. Frozen.
 *
 * @example
 * ```ts
 * EMPTY_K8S_FACTS.parsed; // false
 * ```
 */
export const EMPTY_K8S_FACTS: K8sFacts = freezeFacts(emptyFacts());

/**
 * Largest input accepted, in characters (a string, or the summed length of an argv array).
 *
 * @example
 * ```ts
 * k8sFacet('x'.repeat(K8S_MAX_INPUT + 1)).parsed; // false
 * ```
 */
export const K8S_MAX_INPUT = 1_000_000;
const MAX_ARGV = 10_000;
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const URL_START = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const FLAG_START = /^--?[A-Za-z]/;
const METHOD_LINE = /^(GET|HEAD|POST|PUT|PATCH|DELETE)[ \t]+(\S+)$/;
const MANIFEST_METHOD_VERBS: Readonly<Record<string, string>> = {
  post: 'create',
  put: 'update',
  get: 'get',
  delete: 'delete',
};

type Source = K8sFacts['source'];
type Draft = Partial<Omit<K8sFacts, 'parsed' | 'error' | 'source' | 'objects'>> & {
  objects: K8sObjectFacts[];
  allNamespaces: boolean;
};

function fail(message: string): never {
  throw new WardenError('ERR_K8S_PARSE', message);
}

function failure(source: Source, error: string): K8sFacts {
  return { ...emptyFacts(), source, error };
}

function union(objects: readonly K8sObjectFacts[], key: 'verb' | 'resource' | 'namespace' | 'kind'): string[] {
  const out: string[] = [];
  for (const o of objects) {
    const v = o[key];
    if (v !== '' && !out.includes(v)) out.push(v);
  }
  return out;
}

function assemble(source: Source, d: Draft): K8sFacts {
  const first = d.objects[0];
  if (first === undefined) fail('input names no object');
  return {
    ...emptyFacts(),
    ...d,
    parsed: true,
    error: '',
    source,
    verb: first.verb,
    group: first.group,
    version: first.version,
    resource: first.resource,
    subresource: first.subresource,
    namespace: first.namespace,
    name: first.name,
    kind: first.kind,
    resources: union(d.objects, 'resource'),
    namespaces: union(d.objects, 'namespace'),
    kinds: union(d.objects, 'kind'),
    verbs: union(d.objects, 'verb'),
  };
}

interface Options {
  defaultNamespace: string;
  verb: string | undefined;
}

function kubectl(argv: readonly string[], o: Options): K8sFacts {
  let total = 0;
  for (const a of argv) total += a.length + 1;
  if (total > K8S_MAX_INPUT) fail(`kubectl arguments exceed ${K8S_MAX_INPUT} characters`);
  if (argv.length > MAX_ARGV) fail(`more than ${MAX_ARGV} kubectl arguments`);
  const head = argv[0];
  if (head === undefined) fail('empty kubectl command');
  let args: readonly string[];
  if (isKubectlProgram(head)) args = argv.slice(1);
  else if (isKubectlSubcommand(head) || FLAG_START.test(head)) args = argv;
  else fail(`'${head}' is not kubectl or a kubectl subcommand`);
  return assemble('kubectl', parseKubectlArgs(args, o.defaultNamespace));
}

function rest(input: string, o: Options): K8sFacts {
  const m = METHOD_LINE.exec(input);
  let method = restMethod(o.verb);
  let path = input;
  if (m !== null) {
    // `GET /api/v1/pods`: the line's own method, which must agree with options.verb if both are given.
    const own = restMethod(m[1]);
    if (o.verb !== undefined && o.verb !== '' && own !== method) fail(`method ${m[1] ?? ''} contradicts options.verb '${o.verb}'`);
    method = own;
    path = m[2] ?? '';
  }
  const facts = parseRestPath(path, method);
  return assemble('rest', facts);
}

function manifest(input: unknown, o: Options): K8sFacts {
  const v = o.verb === undefined || o.verb === '' ? 'create' : o.verb.toLowerCase();
  const verb = MANIFEST_METHOD_VERBS[v] ?? v;
  const facts = parseManifest(input, verb, o.defaultNamespace);
  return assemble('manifest', { ...facts, allNamespaces: false });
}

/** Which source a (trimmed) string is, from its shape alone. */
function classify(text: string): Source {
  if (text === '') return '';
  const c = text[0];
  if (c === '{' || c === '[') return 'manifest';
  if (URL_START.test(text) || METHOD_LINE.test(text)) return 'rest';
  // Quotes and backslashes do not hide the program name: `k\ubectl` and `"kubectl"` are kubectl.
  const plain = (/^\S+/.exec(text)?.[0] ?? '').replace(/['"\\]/g, '');
  if (c === '/') return isKubectlProgram(plain) && !/^\/apis?\//.test(plain) ? 'kubectl' : 'rest';
  if (isKubectlProgram(plain) || isKubectlSubcommand(plain) || FLAG_START.test(plain)) return 'kubectl';
  return 'manifest';
}

function fromString(input: string, o: Options): K8sFacts {
  const text = input.trim();
  switch (classify(text)) {
    case 'rest':
      return rest(text, o);
    case 'kubectl':
      return kubectl(tokenizeCommandLine(text), o);
    case 'manifest':
      return manifest(input, o);
    default:
      fail('empty input');
  }
}

function sourceOf(input: unknown): Source {
  if (Array.isArray(input)) return input.every((x) => typeof x === 'string') ? 'kubectl' : 'manifest';
  return typeof input === 'object' && input !== null ? 'manifest' : '';
}

/**
 * Computes the `k8s` facts for a kubectl command line or argv, a REST path or URL, or a manifest.
 * Pure, synchronous, and never throws: anything it cannot understand, or over
 * {@link K8S_MAX_INPUT}, is `parsed: false` with an `error`, and every other field empty.
 *
 * Options: `defaultNamespace` replaces `default` as the namespace used when none is given;
 * `verb` is the HTTP method (or API verb) for a REST path, and the verb for a manifest
 * (default `create`; `POST`/`PUT`/`GET`/`DELETE` map to create/update/get/delete). kubectl
 * lines carry their own verb and ignore `options.verb`.
 *
 * Namespace: the decoded namespace the request targets; the default namespace when none is
 * given; `''` for cluster-scoped resources (nodes, namespaces, clusterroles, persistentvolumes,
 * ...), for all-namespace requests (with `allNamespaces` true) and for `-f` files without `-n`
 * (their objects carry their own namespaces). For the `namespaces` resource it is the namespace
 * object's own name, as the API server's request info has it, so `kubectl delete ns kube-system`
 * reports namespace `kube-system`. Custom resources are assumed namespaced, and `unknownScope`
 * says so.
 *
 * kubectl subcommands map to API verbs as follows (flags may appear anywhere; the last `-n`
 * wins; `-A` wins over `-n`; anything kubectl would reject, an unknown flag, a plugin, or a
 * shell operator in the line is `parsed: false`):
 *
 * | kubectl | facts |
 * | --- | --- |
 * | `get`, `describe` | `get` with a name, `list` without, `watch` with `-w`/`--watch-only`; `--raw PATH` parses PATH as a GET |
 * | `create -f`, `create <type> NAME` | `create` (`create token SA`: `serviceaccounts/token`); `--raw` is a POST |
 * | `apply -f` | `apply` (creates or patches); `--prune` adds a `delete` object |
 * | `replace -f` | `update` (`--force` adds `delete` and `create`); `--raw` is a PUT |
 * | `edit`, `patch`, `label`, `annotate`, `set ...`, `taint`, `cordon`, `uncordon`, `rollout restart/undo/pause/resume` | `patch` |
 * | `scale` | `patch` on the `scale` subresource |
 * | `delete` | `delete` (kubectl deletes one by one, also with `--all`); `--raw` is a DELETE |
 * | `logs` | `get` `pods/log` |
 * | `exec`, `cp` | `create` `pods/exec` (`cp ns/pod:path` takes its namespace from the spec) |
 * | `attach` | `create` `pods/attach` |
 * | `port-forward` | `port-forward` `pods/portforward` |
 * | `proxy` | `proxy`, no resource |
 * | `drain` | `patch` nodes, then `create` `pods/eviction` (or `delete` pods) in all namespaces |
 * | `run` | `create` pods (plus `pods/attach` with `-i`/`-t`, services with `--expose`, `delete` with `--rm`) |
 * | `expose`, `autoscale` | `create` services / horizontalpodautoscalers, `get` the target |
 * | `debug` | `patch` `pods/ephemeralcontainers`; `create` pods for `node/NAME` or `--copy-to` |
 * | `auth can-i` | `create` selfsubjectaccessreviews (`--list`: selfsubjectrulesreviews); `auth whoami`: selfsubjectreviews |
 * | `top pod/node` | `list`/`get` pods/nodes in `metrics.k8s.io` |
 * | `rollout status` | `watch`; `rollout history`: `get`; `wait`: `watch`; `events`: `list` events |
 * | `certificate approve/deny` | `update` `certificatesigningrequests/approval` |
 * | `cluster-info` | `list` services in kube-system; `dump` lists nodes and workloads and reads pod logs |
 * | `diff`, `auth reconcile`, `explain`, `config`, `version`, `api-resources`, ... | their own name, no resource |
 *
 * A `TYPE/NAME` argument for a pod command (`logs deploy/web`) reports the pod request with an
 * empty name (the cluster picks the pod) plus a `get` of the named object. `--as`, `--as-group`,
 * `--as-uid` add `impersonate` objects. REST paths follow the API server's own parsing (see
 * `parseRestPath`): `watch`/`proxy` prefixes, `?watch=true`, subresources; `exec`, `attach` and
 * `portforward` are `create` even over GET; percent-encoding is decoded once, and encoded
 * slashes, dot segments, empty segments and double encoding are `parsed: false`.
 *
 * @example
 * ```ts
 * k8sFacet('kubectl get secrets -n prod');               // verb 'list', resource 'secrets', namespace 'prod'
 * k8sFacet(['kubectl', 'exec', 'web', '--', 'sh']);      // verb 'create', resource 'pods', subresource 'exec'
 * k8sFacet('/api/v1/namespaces/%70roduction/secrets');   // verb 'list', namespace 'production'
 * k8sFacet('/api/v1/namespaces/x/pods/y/exec', { verb: 'POST' }); // verb 'create', subresource 'exec'
 * k8sFacet('kind: ConfigMap\napiVersion: v1\n---\nkind: Secret\napiVersion: v1\n').kinds; // ['ConfigMap', 'Secret']
 * ```
 */
export function k8sFacet(input: unknown, options?: { defaultNamespace?: string; verb?: string }): K8sFacts {
  let source: Source = '';
  try {
    source = typeof input === 'string' ? (input.length > K8S_MAX_INPUT ? '' : classify(input.trim())) : sourceOf(input);
    const dn = options?.defaultNamespace;
    if (dn !== undefined && dn !== '' && (typeof dn !== 'string' || !DNS_LABEL.test(dn))) {
      return failure(source, `invalid defaultNamespace '${String(dn)}'`);
    }
    const verb = options?.verb;
    if (verb !== undefined && typeof verb !== 'string') return failure(source, 'options.verb must be a string');
    const o: Options = { defaultNamespace: dn === undefined || dn === '' ? 'default' : dn, verb };
    if (typeof input === 'string') {
      if (input.length > K8S_MAX_INPUT) return failure('', `input exceeds ${K8S_MAX_INPUT} characters`);
      return fromString(input, o);
    }
    if (Array.isArray(input)) {
      if (input.length === 0) return failure('', 'empty array');
      if (input.every((x) => typeof x === 'string')) return kubectl(input as string[], o);
      return manifest(input, o);
    }
    if (typeof input === 'object' && input !== null) return manifest(input, o);
    return failure('', input === undefined || input === null ? 'no input' : `unsupported input type ${typeof input}`);
  } catch (e) {
    if (e instanceof WardenError) return failure(source, e.message);
    return failure(source, `internal error: ${e instanceof Error ? e.message : String(e)}`);
  }
}
