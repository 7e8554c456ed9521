/**
 * What each kubectl command means: the rules that turn a command's arguments and flags into the
 * API requests kubectl would make, and the command table they are registered in (`kubectlRoot()`).
 */
import { WardenError } from '../errors.js';
import type { K8sObjectFacts } from './k8s.js';
import { parseRestPath } from './k8s-rest.js';
import type { ResolvedResource } from './k8s-resources.js';
import { lookupGroupResource, resolveResourceArg } from './k8s-resources.js';
import { build, CREATE_SUB, FILE, LABEL, PRINT, SET_BASE, type CommandSpec, type Def } from './k8s-kubectl-spec.js';

/** A DNS-1123 label: what a namespace or a name must be. */
export const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/** Stops the parse the way kubectl would refuse the command. */
export function fail(message: string): never {
  throw new WardenError('ERR_K8S_PARSE', message);
}

/**
 * What kubectl would do, before the facet assembles its result; the fields mean what the
 * same-named fields of `K8sFacts` mean.
 *
 * @example
 * ```ts
 * const f: KubectlFacts = parseKubectlArgs(['proxy'], 'default'); // f.objects[0].verb === 'proxy'
 * ```
 */
export interface KubectlFacts {
  objects: K8sObjectFacts[];
  allNamespaces: boolean;
  fromFile: boolean;
  subcommand: string;
  dryRun: string;
  path: string;
  command: string[];
  context: string;
  cluster: string;
  user: string;
  kubeconfig: string;
  server: string;
  impersonate: string;
  credentials: string[];
  trust: string[];
  files: K8sLocalFile[];
  unknownScope: boolean;
}

/** A local file kubectl itself reads or writes (not a cluster object). */
export interface K8sLocalFile {
  path: string;
  access: 'read' | 'write';
  /** The flag that names it (`--profile-output`, `-o go-template-file`, ...). */
  flag: string;
}

export interface Ctx {
  cmd: CommandSpec;
  args: string[];
  /** Index in `args` where `--` stood, or -1. */
  dashAt: number;
  values: Map<string, string[]>;
  namespace: string;
  explicitNamespace: boolean;
  out: KubectlFacts;
}

export type Handler = (ctx: Ctx) => void;

/** The spellings pflag accepts for true and false. */
export const BOOL_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
export const BOOL_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** The last value given for flag `long`. */
export function last(ctx: Ctx, long: string): string | undefined {
  const v = ctx.values.get(long);
  return v === undefined ? undefined : v[v.length - 1];
}
/** The last value of flag `long`, or `''`. */
export function str(ctx: Ctx, long: string): string {
  return last(ctx, long) ?? '';
}
/** Whether boolean flag `long` was given as true. */
export function bool(ctx: Ctx, long: string): boolean {
  const v = last(ctx, long);
  return v !== undefined && BOOL_TRUE.has(v);
}
function fromFile(ctx: Ctx): boolean {
  return ctx.values.has('filename') || ctx.values.has('kustomize');
}

function checkName(name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('%')) {
    fail(`invalid resource name '${name}'`);
  }
  return name;
}

interface Target {
  res: ResolvedResource;
  name: string;
}

/** kubectl's SplitResourceArgument: comma list, empties and duplicates dropped. */
function splitTypes(arg: string): string[] {
  const out: string[] = [];
  for (const s of arg.split(',')) if (s !== '' && !out.includes(s)) out.push(s);
  return out;
}

function resolveType(arg: string): ResolvedResource {
  if (arg === '') fail('empty resource type');
  return resolveResourceArg(arg);
}

/** kubectl's ResourceTypeOrNameArgs: `TYPE[,TYPE] [NAME...]` or `TYPE/NAME...`. */
function typeNameArgs(args: readonly string[]): Target[] {
  if (args.length === 0) return [];
  const slashed = args.filter((a) => a.includes('/')).length;
  if (slashed > 0) {
    if (slashed !== args.length) fail('resource/name arguments cannot be mixed with a separate resource type');
    return args.map((a) => {
      const parts = a.split('/');
      if (parts.length !== 2) fail(`'${a}' has more than one '/'`);
      const types = splitTypes(parts[0] as string);
      if (types.length !== 1 || parts[1] === '') fail(`'${a}' must name one resource type and one name`);
      return { res: resolveType(types[0] as string), name: checkName(parts[1] as string) };
    });
  }
  const types = splitTypes(args[0] as string);
  if (types.length === 0) fail('no resource type given');
  const names = args.slice(1).map(checkName);
  const out: Target[] = [];
  for (const t of types) {
    const res = resolveType(t);
    if (names.length === 0) out.push({ res, name: '' });
    else for (const nm of names) out.push({ res, name: nm });
  }
  return out;
}

/** kubectl's ResourceNames(defaultType, arg): a bare name is of `defaultType`. */
function typedName(arg: string, defaultType: string): Target {
  if (!arg.includes('/')) return { res: resolveType(defaultType), name: checkName(arg) };
  const t = typeNameArgs([arg])[0];
  if (t === undefined) fail(`invalid argument '${arg}'`);
  return t;
}

function builtin(group: string, resource: string): ResolvedResource {
  const info = lookupGroupResource(group, resource);
  if (info === undefined) fail(`internal: no built-in ${group}/${resource}`);
  return info;
}

function push(ctx: Ctx, verb: string, res: ResolvedResource | undefined, name: string, subresource = ''): void {
  const out = ctx.out;
  if (res === undefined) {
    out.objects.push({ verb, group: '', version: '', resource: '', subresource, namespace: '', name: '', kind: '' });
    return;
  }
  if (res.namespaced === undefined) out.unknownScope = true;
  const allNs = bool(ctx, 'all-namespaces');
  let namespace: string;
  if (res.resource === 'namespaces' && res.group === '') {
    if (name !== '' && !DNS_LABEL.test(name)) fail(`invalid namespace name '${name}'`);
    namespace = name;
  } else if (res.namespaced === false) {
    namespace = '';
  } else if (allNs) {
    namespace = '';
    out.allNamespaces = true;
  } else {
    namespace = ctx.namespace;
  }
  out.objects.push({
    verb,
    group: res.group,
    version: res.version,
    resource: res.resource,
    subresource,
    namespace,
    name,
    kind: res.kind,
  });
}

/** Objects named by `-f`/`-k`: the content is unknown, so resource and name stay empty. */
function pushFile(ctx: Ctx, verb: string): void {
  ctx.out.fromFile = true;
  ctx.out.unknownScope = true;
  // With an explicit -n kubectl refuses objects from another namespace; without, each object
  // keeps its own, which the facet cannot see.
  const namespace = bool(ctx, 'all-namespaces') ? '' : ctx.explicitNamespace ? ctx.namespace : '';
  if (bool(ctx, 'all-namespaces')) ctx.out.allNamespaces = true;
  ctx.out.objects.push({ verb, group: '', version: '', resource: '', subresource: '', namespace, name: '', kind: '' });
}

function positional(ctx: Ctx): string[] {
  return ctx.dashAt < 0 ? ctx.args : ctx.args.slice(0, ctx.dashAt);
}

/**
 * Resource arguments or `-f`, never both (kubectl refuses the mix). `verb` gets the target, or
 * `undefined` for the objects of a file.
 */
function targetsOrFile(ctx: Ctx, args: readonly string[], verb: (t: Target | undefined) => string, sub = ''): void {
  const file = fromFile(ctx);
  const targets = typeNameArgs(args);
  if (file && targets.length > 0) fail('resource arguments cannot be combined with -f/-k');
  if (file) {
    pushFile(ctx, verb(undefined));
    return;
  }
  if (targets.length === 0) fail(`'${ctx.cmd.path}' needs a resource type or -f`);
  for (const t of targets) push(ctx, verb(t), t.res, t.name, sub);
}

function raw(ctx: Ctx, method: string): boolean {
  const r = last(ctx, 'raw');
  if (r === undefined) return false;
  if (ctx.args.length > 0) fail('arguments cannot be combined with --raw');
  const facts = parseRestPath(r, method);
  ctx.out.objects.push(...facts.objects);
  ctx.out.allNamespaces = facts.allNamespaces;
  ctx.out.path = facts.path;
  ctx.out.unknownScope = facts.unknownScope;
  return true;
}

/** kubectl's GetResourcesAndPairs: resources first, then `k=v` / `k-` pairs. */
function splitPairs(args: readonly string[], isPair: (s: string) => boolean): { resources: string[]; pairs: string[] } {
  const resources: string[] = [];
  const pairs: string[] = [];
  for (const s of args) {
    if (isPair(s)) pairs.push(s);
    else if (pairs.length > 0) fail(`resources must come before changes: '${s}'`);
    else resources.push(s);
  }
  return { resources, pairs };
}
const labelPair = (s: string): boolean => (s.includes('=') && s[0] !== '=') || (s.endsWith('-') && s !== '-');
const taintPair = (s: string): boolean => s.includes('=') || s.includes(':') || s.endsWith('-');

// ---------------------------------------------------------------------------------------------
// Handlers

// A file names its objects, so reading them is `get`.
const readVerb = (watch: boolean) => (t: Target | undefined): string => (watch ? 'watch' : t !== undefined && t.name === '' ? 'list' : 'get');

const get: Handler = (ctx) => {
  if (raw(ctx, 'get')) return;
  const watch = bool(ctx, 'watch') || bool(ctx, 'watch-only');
  targetsOrFile(ctx, ctx.args, readVerb(watch), str(ctx, 'subresource').toLowerCase());
};
const describe: Handler = (ctx) => targetsOrFile(ctx, ctx.args, readVerb(false));
const fixed = (verb: string, sub = ''): Handler => (ctx) => targetsOrFile(ctx, positional(ctx), () => verb, sub);

const del: Handler = (ctx) => {
  if (raw(ctx, 'delete')) return;
  targetsOrFile(ctx, ctx.args, () => 'delete');
};
const create: Handler = (ctx) => {
  if (raw(ctx, 'post')) return;
  if (ctx.args.length > 0) fail(`unexpected arguments for 'create': ${ctx.args.join(' ')}`);
  if (!fromFile(ctx)) fail("'create' needs -f, -k, --raw or a resource subcommand");
  pushFile(ctx, 'create');
};
const replace: Handler = (ctx) => {
  if (raw(ctx, 'put')) return;
  if (ctx.args.length > 0) fail(`unexpected arguments for 'replace': ${ctx.args.join(' ')}`);
  if (!fromFile(ctx)) fail("'replace' needs -f or -k");
  pushFile(ctx, 'update');
  if (bool(ctx, 'force')) {
    pushFile(ctx, 'delete');
    pushFile(ctx, 'create');
  }
};
const apply: Handler = (ctx) => {
  if (ctx.args.length > 0) fail(`unexpected arguments for 'apply': ${ctx.args.join(' ')}`);
  if (!fromFile(ctx)) fail("'apply' needs -f or -k");
  pushFile(ctx, 'apply');
  if (bool(ctx, 'prune')) pushFile(ctx, 'delete');
};
const fileOnly = (verb: string): Handler => (ctx) => {
  if (!fromFile(ctx)) fail(`'${ctx.cmd.path}' needs -f or -k`);
  if (positional(ctx).length > 0) fail(`unexpected arguments for '${ctx.cmd.path}'`);
  pushFile(ctx, verb);
};

/** `kubectl create <type> NAME`: one new object of a fixed resource. */
const createNamed = (group: string, resource: string, extra?: (ctx: Ctx) => void): Handler => (ctx) => {
  const pos = positional(ctx);
  if (pos.length !== 1) fail(`'${ctx.cmd.path}' takes exactly one NAME`);
  push(ctx, 'create', builtin(group, resource), checkName(pos[0] as string));
  if (ctx.dashAt >= 0) ctx.out.command = ctx.args.slice(ctx.dashAt);
  extra?.(ctx);
};

const createToken: Handler = (ctx) => {
  const pos = positional(ctx);
  if (pos.length !== 1) fail("'create token' takes exactly one service account name");
  push(ctx, 'create', builtin('', 'serviceaccounts'), checkName(pos[0] as string), 'token');
};

/** `--from=cronjob/NAME` reads the source object. */
const readFrom = (ctx: Ctx): void => {
  const from = str(ctx, 'from');
  if (from !== '') {
    const t = typedName(from, 'cronjobs');
    push(ctx, 'get', t.res, t.name);
  }
};

/** Commands that run against one pod found from `POD` or `TYPE/NAME`. */
function podTarget(ctx: Ctx, arg: string, verb: string, sub: string): void {
  const t = typedName(arg, 'pods');
  if (t.res.resource === 'pods' && t.res.group === '') {
    push(ctx, verb, t.res, t.name, sub);
  } else {
    // kubectl picks a pod of the named object; which one is decided by the cluster.
    push(ctx, verb, builtin('', 'pods'), '', sub);
    push(ctx, 'get', t.res, t.name);
  }
}

const logs: Handler = (ctx) => {
  const pos = positional(ctx);
  if (pos.length > 2) fail("'logs' takes a pod and at most a container");
  if (pos.length === 0) {
    if (str(ctx, 'selector') === '') fail("'logs' needs a pod or -l");
    push(ctx, 'get', builtin('', 'pods'), '', 'log');
    return;
  }
  podTarget(ctx, pos[0] as string, 'get', 'log');
};
const exec: Handler = (ctx) => {
  const pos = positional(ctx);
  if (fromFile(ctx)) {
    if (pos.length > 0) fail("'exec' takes -f or a pod, not both");
    pushFile(ctx, 'create');
    ctx.out.objects[0] = { ...(ctx.out.objects[0] as K8sObjectFacts), resource: 'pods', kind: 'Pod', version: 'v1', subresource: 'exec' };
  } else {
    if (pos.length !== 1) fail("'exec' takes one pod, then '--' and the command");
    podTarget(ctx, pos[0] as string, 'create', 'exec');
  }
  const command = ctx.dashAt < 0 ? [] : ctx.args.slice(ctx.dashAt);
  if (command.length === 0) fail("'exec' needs a command after '--'");
  ctx.out.command = command;
};
const attach: Handler = (ctx) => {
  const pos = positional(ctx);
  if (pos.length !== 1) fail("'attach' takes one pod");
  podTarget(ctx, pos[0] as string, 'create', 'attach');
};
const portForward: Handler = (ctx) => {
  const pos = ctx.args;
  if (pos.length < 2) fail("'port-forward' takes a pod and at least one port");
  podTarget(ctx, pos[0] as string, 'port-forward', 'portforward');
};
const proxy: Handler = (ctx) => {
  if (ctx.args.length > 0) fail("'proxy' takes no arguments");
  push(ctx, 'proxy', undefined, '');
};
const cp: Handler = (ctx) => {
  const pos = ctx.args;
  if (pos.length !== 2) fail("'cp' takes a source and a destination");
  const specs = pos.map((arg) => {
    const colon = arg.indexOf(':');
    if (colon === 0) fail(`invalid file spec '${arg}'`);
    if (colon < 0) return undefined;
    const pod = arg.slice(0, colon).split('/');
    if (pod.length > 2) fail(`invalid file spec '${arg}'`);
    return pod.length === 2 ? { namespace: pod[0] as string, name: pod[1] as string } : { namespace: '', name: pod[0] as string };
  });
  const remote = specs.filter((s) => s !== undefined);
  if (remote.length !== 1) fail("'cp' needs exactly one side of the form [namespace/]pod:path");
  const spec = remote[0] as { namespace: string; name: string };
  if (spec.namespace !== '') {
    if (!DNS_LABEL.test(spec.namespace)) fail(`invalid namespace '${spec.namespace}'`);
    ctx.namespace = spec.namespace;
  }
  push(ctx, 'create', builtin('', 'pods'), checkName(spec.name), 'exec');
};

const autoscale: Handler = (ctx) => {
  if (fromFile(ctx)) {
    pushFile(ctx, 'create');
    return;
  }
  const targets = typeNameArgs(ctx.args);
  const target = targets[0];
  if (targets.length !== 1 || target === undefined || target.name === '') fail("'autoscale' takes one TYPE NAME");
  push(ctx, 'create', builtin('autoscaling', 'horizontalpodautoscalers'), str(ctx, 'name') || target.name);
  push(ctx, 'get', target.res, target.name);
};
const expose: Handler = (ctx) => {
  if (fromFile(ctx)) {
    if (ctx.args.length > 0) fail("'expose' takes -f or TYPE NAME, not both");
    pushFile(ctx, 'create');
    return;
  }
  const targets = typeNameArgs(ctx.args);
  const target = targets[0];
  if (targets.length !== 1 || target === undefined || target.name === '') fail("'expose' takes one TYPE NAME");
  push(ctx, 'create', builtin('', 'services'), str(ctx, 'name') || target.name);
  push(ctx, 'get', target.res, target.name);
};

const label: Handler = (ctx) => {
  const { resources } = splitPairs(ctx.args, labelPair);
  targetsOrFile(ctx, resources, () => (bool(ctx, 'list') ? 'get' : 'patch'));
};
const taint: Handler = (ctx) => {
  const { resources } = splitPairs(ctx.args, taintPair);
  targetsOrFile(ctx, resources, () => 'patch');
};
const nodes: Handler = (ctx) => {
  const names = ctx.args.map((a) => typedName(a, 'nodes'));
  if (names.length === 0 && str(ctx, 'selector') === '') fail(`'${ctx.cmd.path}' needs a node name or -l`);
  const list = names.length > 0 ? names : [{ res: builtin('', 'nodes'), name: '' }];
  for (const t of list) push(ctx, 'patch', t.res, t.name);
  if (ctx.cmd.name === 'drain') {
    // Drain evicts (or deletes) every pod on the node, in every namespace.
    const saved = ctx.namespace;
    ctx.namespace = '';
    if (bool(ctx, 'disable-eviction')) push(ctx, 'delete', builtin('', 'pods'), '');
    else push(ctx, 'create', builtin('', 'pods'), '', 'eviction');
    ctx.namespace = saved;
    ctx.out.allNamespaces = true;
  }
};
const top = (resource: 'pods' | 'nodes', kind: string): Handler => (ctx) => {
  if (ctx.args.length > 1) fail(`'${ctx.cmd.path}' takes at most one name`);
  const name = ctx.args[0] === undefined ? '' : checkName(ctx.args[0]);
  push(ctx, name === '' ? 'list' : 'get', { resource, kind, group: 'metrics.k8s.io', version: 'v1beta1', namespaced: resource === 'pods' }, name);
};
const run: Handler = (ctx) => {
  const pos = positional(ctx);
  if (pos.length === 0) fail("'run' needs a pod name");
  const name = checkName(pos[0] as string);
  const pods = builtin('', 'pods');
  push(ctx, 'create', pods, name);
  ctx.out.command = [...pos.slice(1), ...(ctx.dashAt < 0 ? [] : ctx.args.slice(ctx.dashAt))];
  if (bool(ctx, 'stdin') || bool(ctx, 'tty') || bool(ctx, 'attach')) push(ctx, 'create', pods, name, 'attach');
  if (bool(ctx, 'expose')) push(ctx, 'create', builtin('', 'services'), name);
  if (bool(ctx, 'rm')) push(ctx, 'delete', pods, name);
};
const debug: Handler = (ctx) => {
  const pos = positional(ctx);
  ctx.out.command = ctx.dashAt < 0 ? [] : ctx.args.slice(ctx.dashAt);
  const pods = builtin('', 'pods');
  const interactive = bool(ctx, 'stdin') || bool(ctx, 'attach');
  if (fromFile(ctx)) {
    pushFile(ctx, 'patch');
    return;
  }
  if (pos.length === 0) fail("'debug' needs a pod or node/NAME");
  for (const arg of pos) {
    const t = typedName(arg, 'pods');
    const copyTo = str(ctx, 'copy-to');
    if (t.res.resource === 'nodes' && t.res.group === '') {
      // A privileged pod on the node, in the current namespace.
      push(ctx, 'create', pods, '');
      push(ctx, 'get', t.res, t.name);
      if (interactive) push(ctx, 'create', pods, '', 'attach');
    } else if (copyTo !== '') {
      push(ctx, 'create', pods, checkName(copyTo));
      push(ctx, 'get', t.res, t.name);
      if (bool(ctx, 'replace')) push(ctx, 'delete', t.res, t.name);
      if (interactive) push(ctx, 'create', pods, copyTo, 'attach');
    } else {
      push(ctx, 'patch', t.res, t.name, 'ephemeralcontainers');
      if (interactive) push(ctx, 'create', t.res, t.name, 'attach');
    }
  }
};
const rollout = (verb: string): Handler => (ctx) => {
  const v = verb === 'watch' && last(ctx, 'watch') !== undefined && !bool(ctx, 'watch') ? 'get' : verb;
  targetsOrFile(ctx, ctx.args, () => v);
};
const setResources = (split: (args: readonly string[]) => string[]): Handler => (ctx) =>
  targetsOrFile(ctx, split(ctx.args), () => 'patch');
const certificate: Handler = (ctx) => {
  if (fromFile(ctx)) {
    if (ctx.args.length > 0) fail("'certificate' takes -f or names, not both");
    pushFile(ctx, 'update');
    return;
  }
  if (ctx.args.length === 0) fail(`'${ctx.cmd.path}' needs a CSR name`);
  for (const a of ctx.args) {
    const t = typedName(a, 'certificatesigningrequests');
    push(ctx, 'update', t.res, t.name, 'approval');
  }
};
const events: Handler = (ctx) => {
  if (ctx.args.length > 0) fail("'events' takes no positional arguments");
  push(ctx, bool(ctx, 'watch') ? 'watch' : 'list', builtin('', 'events'), '');
};
const clusterInfo: Handler = (ctx) => {
  if (ctx.args.length > 0) fail("'cluster-info' takes no arguments");
  // cluster-info reads kube-system unless -n says otherwise, not the context's namespace.
  if (!ctx.explicitNamespace) ctx.namespace = 'kube-system';
  push(ctx, 'list', builtin('', 'services'), '');
};
const clusterInfoDump: Handler = (ctx) => {
  if (ctx.args.length > 0) fail("'cluster-info dump' takes no arguments");
  push(ctx, 'list', builtin('', 'nodes'), '');
  const listed = str(ctx, 'namespaces').split(',').filter((s) => s !== '');
  const namespaces = bool(ctx, 'all-namespaces') ? [''] : listed.length > 0 ? listed : ['kube-system', ctx.namespace];
  for (const ns of namespaces) {
    if (ns !== '' && !DNS_LABEL.test(ns)) fail(`invalid namespace '${ns}'`);
    ctx.namespace = ns;
    for (const r of ['events', 'replicationcontrollers', 'services', 'pods']) push(ctx, 'list', builtin('', r), '');
    for (const r of ['daemonsets', 'deployments', 'replicasets']) push(ctx, 'list', builtin('apps', r), '');
    push(ctx, 'get', builtin('', 'pods'), '', 'log');
  }
};
const named = (verb: string, group = '', resource = ''): Handler => (ctx) => {
  push(ctx, verb, resource === '' ? undefined : builtin(group, resource), '');
};
const authCanI: Handler = (ctx) => {
  if (bool(ctx, 'list')) push(ctx, 'create', builtin('authorization.k8s.io', 'selfsubjectrulesreviews'), '');
  else {
    if (ctx.args.length === 0) fail("'auth can-i' needs a verb and a resource");
    push(ctx, 'create', builtin('authorization.k8s.io', 'selfsubjectaccessreviews'), '');
  }
};
const wait: Handler = (ctx) => targetsOrFile(ctx, ctx.args, () => 'watch');
const applyView: Handler = (ctx) => targetsOrFile(ctx, ctx.args, readVerb(false));

/** The kubectl command tree, built on first use: most processes that load the facets never parse kubectl. */
let rootSpec: CommandSpec | null = null;

/**
 * The root of the kubectl command tree.
 *
 * @example
 * ```ts
 * kubectlRoot().children.has('get'); // true
 * ```
 */
export function kubectlRoot(): CommandSpec {
  // invariant: built once from constants, never changed after; every caller sees the same tree.
  rootSpec ??= build('', '', {
  children: {
    get: {
      flags: [...PRINT, 'no-headers', 'show-labels', 'show-kind', 'L|label-columns=v', 'sort-by=v', 'server-print',
        'use-openapi-print-columns', ...FILE, 'raw=v', 'w|watch', 'watch-only', 'output-watch-events', 'chunk-size=v',
        'ignore-not-found', 'l|selector=v', 'field-selector=v', 'A|all-namespaces', 'subresource=v'],
      handler: get,
    },
    describe: { flags: [...FILE, 'l|selector=v', 'A|all-namespaces', 'show-events', 'chunk-size=v'], handler: describe },
    create: {
      flags: [...FILE, ...PRINT, 'edit', 'raw=v', 'windows-line-endings', 'save-config', 'l|selector=v', 'validate=?',
        'dry-run=?', 'field-manager=v', 'record'],
      handler: create,
      children: {
        clusterrole: { flags: [...CREATE_SUB, 'verb=v', 'resource=v', 'resource-name=v', 'non-resource-url=v', 'aggregation-rule=v'], handler: createNamed('rbac.authorization.k8s.io', 'clusterroles') },
        clusterrolebinding: { flags: [...CREATE_SUB, 'clusterrole=v', 'user=v', 'group=v', 'serviceaccount=v'], handler: createNamed('rbac.authorization.k8s.io', 'clusterrolebindings') },
        configmap: { aliases: ['cm'], flags: [...CREATE_SUB, 'from-file=v', 'from-literal=v', 'from-env-file=v', 'append-hash'], handler: createNamed('', 'configmaps') },
        cronjob: { aliases: ['cj'], flags: [...CREATE_SUB, 'image=v', 'schedule=v', 'restart=v'], handler: createNamed('batch', 'cronjobs') },
        deployment: { aliases: ['deploy'], flags: [...CREATE_SUB, 'image=v', 'port=v', 'r|replicas=v'], handler: createNamed('apps', 'deployments') },
        ingress: { aliases: ['ing'], flags: [...CREATE_SUB, 'class=v', 'rule=v', 'default-backend=v', 'annotation=v'], handler: createNamed('networking.k8s.io', 'ingresses') },
        job: { flags: [...CREATE_SUB, 'image=v', 'from=v'], handler: createNamed('batch', 'jobs', readFrom) },
        namespace: { aliases: ['ns'], flags: CREATE_SUB, handler: createNamed('', 'namespaces') },
        poddisruptionbudget: { aliases: ['pdb'], flags: [...CREATE_SUB, 'min-available=v', 'max-unavailable=v', 'selector=v'], handler: createNamed('policy', 'poddisruptionbudgets') },
        priorityclass: { aliases: ['pc'], flags: [...CREATE_SUB, 'value=v', 'global-default', 'description=v', 'preemption-policy=v'], handler: createNamed('scheduling.k8s.io', 'priorityclasses') },
        quota: { aliases: ['resourcequota'], flags: [...CREATE_SUB, 'hard=v', 'scopes=v'], handler: createNamed('', 'resourcequotas') },
        role: { flags: [...CREATE_SUB, 'verb=v', 'resource=v', 'resource-name=v'], handler: createNamed('rbac.authorization.k8s.io', 'roles') },
        rolebinding: { flags: [...CREATE_SUB, 'clusterrole=v', 'role=v', 'user=v', 'group=v', 'serviceaccount=v'], handler: createNamed('rbac.authorization.k8s.io', 'rolebindings') },
        secret: {
          children: {
            generic: { flags: [...CREATE_SUB, 'from-file=v', 'from-literal=v', 'from-env-file=v', 'type=v', 'append-hash'], handler: createNamed('', 'secrets') },
            tls: { flags: [...CREATE_SUB, 'cert=v', 'key=v', 'append-hash'], handler: createNamed('', 'secrets') },
            'docker-registry': { flags: [...CREATE_SUB, 'docker-server=v', 'docker-username=v', 'docker-password=v', 'docker-email=v', 'from-file=v', 'from-env-file=v', 'append-hash'], handler: createNamed('', 'secrets') },
          },
        },
        service: {
          aliases: ['svc'],
          children: {
            clusterip: { flags: [...CREATE_SUB, 'tcp=v', 'clusterip=v'], handler: createNamed('', 'services') },
            nodeport: { flags: [...CREATE_SUB, 'tcp=v', 'node-port=v'], handler: createNamed('', 'services') },
            loadbalancer: { flags: [...CREATE_SUB, 'tcp=v'], handler: createNamed('', 'services') },
            externalname: { flags: [...CREATE_SUB, 'tcp=v', 'external-name=v'], handler: createNamed('', 'services') },
          },
        },
        serviceaccount: { aliases: ['sa'], flags: CREATE_SUB, handler: createNamed('', 'serviceaccounts') },
        token: { flags: [...PRINT, 'audience=v', 'bound-object-kind=v', 'bound-object-name=v', 'bound-object-uid=v', 'duration=v'], handler: createToken },
      },
    },
    apply: {
      flags: [...FILE, ...PRINT, 'overwrite', 'prune', 'prune-allowlist=v', 'prune-whitelist=v', 'all', 'l|selector=v',
        'cascade=?', 'grace-period=v', 'force', 'timeout=v', 'wait', 'validate=?', 'dry-run=?', 'server-side',
        'force-conflicts', 'field-manager=v', 'openapi-patch', 'record', 'applyset=v', 'subresource=v'],
      handler: apply,
      children: {
        'edit-last-applied': { flags: [...FILE, ...PRINT, 'windows-line-endings', 'field-manager=v'], handler: fixed('patch') },
        'set-last-applied': { flags: [...FILE, ...PRINT, 'create-annotation', 'dry-run=?'], handler: fileOnly('patch') },
        'view-last-applied': { flags: [...FILE, 'o|output=v', 'all', 'l|selector=v'], handler: applyView },
      },
    },
    edit: { flags: [...FILE, ...PRINT, 'output-patch', 'windows-line-endings', 'save-config', 'validate=?', 'field-manager=v', 'subresource=v', 'record'], handler: (ctx) => targetsOrFile(ctx, ctx.args, () => 'patch', str(ctx, 'subresource').toLowerCase()) },
    delete: {
      flags: [...FILE, 'l|selector=v', 'field-selector=v', 'A|all-namespaces', 'all', 'cascade=?', 'ignore-not-found', 'now',
        'force', 'grace-period=v', 'timeout=v', 'wait', 'o|output=v', 'raw=v', 'dry-run=?', 'i|interactive', 'chunk-size=v'],
      handler: del,
    },
    replace: { flags: [...FILE, ...PRINT, 'force', 'grace-period=v', 'timeout=v', 'wait', 'cascade=?', 'raw=v', 'save-config', 'validate=?', 'dry-run=?', 'field-manager=v', 'subresource=v', 'record'], handler: replace },
    patch: { flags: [...FILE, ...PRINT, 'p|patch=v', 'patch-file=v', 'type=v', 'local', 'dry-run=?', 'field-manager=v', 'subresource=v', 'record'], handler: (ctx) => targetsOrFile(ctx, ctx.args, () => 'patch', str(ctx, 'subresource').toLowerCase()) },
    logs: {
      flags: ['f|follow', 'p|previous', 'c|container=v', 'all-containers', 'all-pods', 'since=v', 'since-time=v', 'tail=v', 'timestamps',
        'limit-bytes=v', 'l|selector=v', 'max-log-requests=v', 'prefix', 'ignore-errors', 'insecure-skip-tls-verify-backend', 'pod-running-timeout=v'],
      handler: logs,
    },
    exec: { flags: ['c|container=v', 'i|stdin', 't|tty', 'q|quiet', 'pod-running-timeout=v', 'f|filename=v', 'p|pod=v'], handler: exec },
    attach: { flags: ['c|container=v', 'i|stdin', 't|tty', 'q|quiet', 'pod-running-timeout=v'], handler: attach },
    'port-forward': { flags: ['address=v', 'pod-running-timeout=v'], handler: portForward },
    proxy: {
      flags: ['p|port=v', 'address=v', 'accept-hosts=v', 'accept-paths=v', 'reject-paths=v', 'reject-methods=v', 'api-prefix=v',
        'disable-filter', 'w|www=v', 'P|www-prefix=v', 'u|unix-socket=v', 'keepalive=v', 'append-server-path'],
      handler: proxy,
    },
    cp: { flags: ['c|container=v', 'no-preserve', 'retries=v'], handler: cp },
    scale: { flags: [...FILE, ...PRINT, 'all', 'l|selector=v', 'current-replicas=v', 'resource-version=v', 'replicas=v', 'timeout=v', 'dry-run=?', 'record'], handler: fixed('patch', 'scale') },
    autoscale: { flags: [...FILE, ...PRINT, 'name=v', 'min=v', 'max=v', 'cpu-percent=v', 'cpu=v', 'memory=v', 'dry-run=?', 'save-config', 'field-manager=v', 'record'], handler: autoscale },
    rollout: {
      children: {
        status: { flags: [...FILE, 'l|selector=v', 'w|watch', 'revision=v', 'timeout=v'], handler: rollout('watch') },
        history: { flags: [...FILE, ...PRINT, 'l|selector=v', 'revision=v'], handler: rollout('get') },
        undo: { flags: [...FILE, ...PRINT, 'l|selector=v', 'to-revision=v', 'dry-run=?'], handler: rollout('patch') },
        restart: { flags: [...FILE, ...PRINT, 'l|selector=v', 'field-manager=v', 'dry-run=?'], handler: rollout('patch') },
        pause: { flags: [...FILE, ...PRINT, 'l|selector=v', 'field-manager=v', 'dry-run=?'], handler: rollout('patch') },
        resume: { flags: [...FILE, ...PRINT, 'l|selector=v', 'field-manager=v', 'dry-run=?'], handler: rollout('patch') },
      },
    },
    label: { flags: LABEL, handler: label },
    annotate: { flags: LABEL, handler: label },
    taint: { flags: [...PRINT, 'overwrite', 'all', 'l|selector=v', 'validate=?', 'dry-run=?', 'field-manager=v'], handler: taint },
    cordon: { flags: ['l|selector=v', 'dry-run=?'], handler: nodes },
    uncordon: { flags: ['l|selector=v', 'dry-run=?'], handler: nodes },
    drain: {
      flags: ['force', 'ignore-daemonsets', 'delete-emptydir-data', 'delete-local-data', 'grace-period=v', 'timeout=v', 'l|selector=v',
        'pod-selector=v', 'disable-eviction', 'skip-wait-for-delete-timeout=v', 'chunk-size=v', 'dry-run=?'],
      handler: nodes,
    },
    top: {
      children: {
        node: { aliases: ['nodes', 'no'], flags: ['l|selector=v', 'sort-by=v', 'no-headers', 'use-protocol-buffers', 'show-capacity'], handler: top('nodes', 'NodeMetrics') },
        pod: { aliases: ['pods', 'po'], flags: ['A|all-namespaces', 'l|selector=v', 'field-selector=v', 'sort-by=v', 'containers', 'no-headers', 'use-protocol-buffers', 'sum'], handler: top('pods', 'PodMetrics') },
      },
    },
    run: {
      flags: [...PRINT, 'image=v', 'port=v', 'env=v', 'l|labels=v', 'annotations=v', 'i|stdin', 't|tty', 'attach', 'rm', 'restart=v',
        'command', 'overrides=v', 'expose', 'q|quiet', 'image-pull-policy=v', 'privileged', 'leave-stdin-open', 'pod-running-timeout=v',
        'dry-run=?', 'field-manager=v', 'save-config', 'cascade=?', 'force', 'grace-period=v', 'timeout=v', 'wait', ...FILE],
      handler: run,
    },
    expose: {
      flags: [...FILE, ...PRINT, 'port=v', 'protocol=v', 'target-port=v', 'name=v', 'external-ip=v', 'type=v', 'load-balancer-ip=v',
        'selector=v', 'l|labels=v', 'session-affinity=v', 'cluster-ip=v', 'override-type=v', 'overrides=v', 'dry-run=?', 'save-config',
        'field-manager=v', 'record'],
      handler: expose,
    },
    set: {
      children: {
        image: { flags: SET_BASE, handler: setResources((a) => splitPairs(a, labelPair).resources) },
        env: { flags: [...SET_BASE, 'e|env=v', 'c|containers=v', 'from=v', 'prefix=v', 'keys=v', 'list', 'resolve', 'overwrite'], handler: setResources((a) => splitPairs(a, labelPair).resources) },
        resources: { flags: [...SET_BASE, 'c|containers=v', 'limits=v', 'requests=v'], handler: setResources((a) => [...a]) },
        selector: { flags: [...SET_BASE, 'resource-version=v'], handler: setResources((a) => a.slice(0, -1)) },
        serviceaccount: { aliases: ['sa'], flags: SET_BASE, handler: setResources((a) => a.slice(0, -1)) },
        subject: { flags: [...SET_BASE, 'serviceaccount=v', 'user=v', 'group=v'], handler: setResources((a) => [...a]) },
      },
    },
    auth: {
      children: {
        'can-i': { flags: ['A|all-namespaces', 'q|quiet', 'list', 'no-headers', 'subresource=v'], handler: authCanI },
        whoami: { flags: PRINT, handler: named('create', 'authentication.k8s.io', 'selfsubjectreviews') },
        reconcile: { flags: [...FILE, ...PRINT, 'remove-extra-permissions', 'remove-extra-subjects', 'dry-run=?'], handler: fileOnly('reconcile') },
      },
    },
    debug: {
      flags: ['f|filename=v', 'arguments-only', 'attach', 'c|container=v', 'copy-to=v', 'replace', 'env=v', 'image=v', 'keep-labels',
        'keep-annotations', 'keep-liveness', 'keep-readiness', 'keep-startup', 'keep-init-containers', 'set-image=v',
        'image-pull-policy=v', 'i|stdin', 'q|quiet', 'same-node', 'share-processes', 'target=v', 't|tty', 'profile=v', 'custom=v'],
      handler: debug,
    },
    diff: { flags: [...FILE, 'server-side', 'force-conflicts', 'field-manager=v', 'l|selector=v', 'prune', 'prune-allowlist=v', 'show-managed-fields', 'concurrency=v'], handler: fileOnly('diff') },
    wait: { flags: [...FILE, ...PRINT, 'A|all-namespaces', 'all', 'l|selector=v', 'field-selector=v', 'for=v', 'timeout=v', 'local'], handler: wait },
    explain: { flags: ['recursive', 'api-version=v', 'output=v'], handler: named('explain') },
    events: { flags: [...PRINT, 'A|all-namespaces', 'chunk-size=v', 'for=v', 'types=v', 'w|watch', 'no-headers'], handler: events },
    certificate: {
      children: {
        approve: { flags: [...FILE, ...PRINT, 'force'], handler: certificate },
        deny: { flags: [...FILE, ...PRINT, 'force'], handler: certificate },
      },
    },
    'cluster-info': {
      handler: clusterInfo,
      children: { dump: { flags: [...PRINT, 'A|all-namespaces', 'namespaces=v', 'output-directory=v', 'pod-running-timeout=v'], handler: clusterInfoDump } },
    },
    'api-resources': { flags: ['namespaced', 'api-group=v', 'cached', 'categories=v', 'no-headers', 'o|output=v', 'sort-by=v', 'verbs=v'], handler: named('api-resources') },
    'api-versions': { handler: named('api-versions') },
    version: { flags: ['client', 'o|output=v'], handler: named('version') },
    config: {
      lenient: true,
      handler: named('config'),
      children: Object.fromEntries(
        ['current-context', 'delete-cluster', 'delete-context', 'delete-user', 'get-clusters', 'get-contexts', 'get-users',
          'rename-context', 'set', 'set-cluster', 'set-context', 'set-credentials', 'unset', 'use-context', 'view'].map((c) => [
          c,
          { lenient: true, handler: named('config'), aliases: c === 'use-context' ? ['use'] : [] } satisfies Def,
        ]),
      ),
    },
    completion: { lenient: true, handler: named('completion') },
    kustomize: { lenient: true, handler: named('kustomize') },
    plugin: { lenient: true, handler: named('plugin'), children: { list: { lenient: true, handler: named('plugin') } } },
    options: { lenient: true, handler: named('options') },
    help: { lenient: true, handler: named('help') },
  },
});
  return rootSpec;
}
