/**
 * kubectl command lines for the k8s facet. The layers live in their own files: the tokenizer
 * (`k8s-kubectl-tokenize.ts`), the command and flag table (`k8s-kubectl-spec.ts`), what each
 * command means (`k8s-kubectl-commands.ts`); this file is the cobra/pflag parse that ties them.
 *
 * Three layers, each as strict as the real tool: a POSIX-ish tokenizer that refuses anything a
 * shell would expand or split (operators, substitutions, globs, brace expansion, comments,
 * newlines); cobra's subcommand search and pflag's flag grammar (`-n x`, `-nx`, `-n=x`,
 * `--namespace x`, `--namespace=x`, bundled short flags, `--`, flags anywhere, `_` as `-` in
 * long names, last value wins) over a table of kubectl's commands and their flags, where an
 * unknown flag or command fails just as kubectl would; and per-command rules that turn the
 * arguments into API requests.
 */
import { BOOL_FALSE, BOOL_TRUE, bool, DNS_LABEL, fail, kubectlRoot, last, str, type Ctx, type KubectlFacts } from './k8s-kubectl-commands.js';
import type { CommandSpec, FlagSpec } from './k8s-kubectl-spec.js';

export { tokenizeCommandLine } from './k8s-kubectl-tokenize.js';
export type { KubectlFacts } from './k8s-kubectl-commands.js';

// ---------------------------------------------------------------------------------------------
// cobra command search and pflag parsing

function commandName(cmd: CommandSpec): string {
  return cmd.path === '' ? 'kubectl' : `kubectl ${cmd.path}`;
}

function takesValue(cmd: CommandSpec, arg: string): boolean {
  // cobra's stripFlags: an unknown flag is assumed to take a value.
  if (arg.startsWith('--')) {
    const f = cmd.flags.get(arg.slice(2).replace(/_/g, '-'));
    return f === undefined || f.kind === 'value';
  }
  const f = cmd.shorts.get(arg.slice(1));
  return f === undefined || f.kind === 'value';
}

function isValueFlagArg(cmd: CommandSpec, s: string): boolean {
  return (s.startsWith('--') && !s.includes('=') && takesValue(cmd, s)) ||
    (s.startsWith('-') && !s.startsWith('--') && !s.includes('=') && s.length === 2 && takesValue(cmd, s));
}

/** cobra's stripFlags: the words that may name subcommands. */
function commandWords(cmd: CommandSpec, args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const s = args[i] as string;
    if (s === '--') break;
    if (isValueFlagArg(cmd, s)) {
      if (args.length - i - 1 <= 1) break;
      i++;
      continue;
    }
    if (s !== '' && !s.startsWith('-')) out.push(s);
  }
  return out;
}

/** cobra's argsMinusFirstX. */
function withoutFirst(cmd: CommandSpec, args: readonly string[], x: string): string[] {
  for (let i = 0; i < args.length; i++) {
    const s = args[i] as string;
    if (s === '--') break;
    if (isValueFlagArg(cmd, s)) {
      i++;
      continue;
    }
    if (!s.startsWith('-') && s === x) return [...args.slice(0, i), ...args.slice(i + 1)];
  }
  return [...args];
}

function findCommand(args: readonly string[]): { cmd: CommandSpec; rest: string[] } {
  let cmd = kubectlRoot();
  let rest = [...args];
  for (;;) {
    const words = commandWords(cmd, rest);
    const next = words[0] === undefined ? undefined : cmd.children.get(words[0]);
    if (next === undefined || words[0] === undefined) return { cmd, rest };
    rest = withoutFirst(cmd, rest, words[0]);
    cmd = next;
  }
}

function setFlag(ctx: Ctx, f: FlagSpec, value: string): void {
  if (f.kind === 'bool' && !BOOL_TRUE.has(value) && !BOOL_FALSE.has(value)) {
    fail(`invalid boolean '${value}' for --${f.long}`);
  }
  const list = ctx.values.get(f.long);
  if (list === undefined) ctx.values.set(f.long, [value]);
  else list.push(value);
}

function defaultValue(f: FlagSpec): string {
  return f.kind === 'bool' ? 'true' : 'unchanged';
}

/** pflag's parseArgs with interspersed flags. */
function parseFlags(ctx: Ctx, rest: readonly string[]): void {
  const { cmd } = ctx;
  const args: string[] = [];
  let i = 0;
  const lenientUnknown = (): void => {
    if (!cmd.lenient) fail(`unknown flag '${rest[i - 1] ?? ''}' for '${commandName(cmd)}'`);
  };
  while (i < rest.length) {
    const s = rest[i] as string;
    i++;
    if (s.length < 2 || s[0] !== '-') {
      args.push(s);
      continue;
    }
    if (s === '--') {
      ctx.dashAt = args.length;
      args.push(...rest.slice(i));
      break;
    }
    if (s[1] === '-') {
      const body = s.slice(2);
      if (body[0] === '-' || body[0] === '=') fail(`bad flag syntax '${s}'`);
      const eq = body.indexOf('=');
      const name = (eq < 0 ? body : body.slice(0, eq)).replace(/_/g, '-');
      const f = cmd.flags.get(name);
      if (f === undefined) {
        lenientUnknown();
        continue;
      }
      if (eq >= 0) setFlag(ctx, f, body.slice(eq + 1));
      else if (f.kind !== 'value') setFlag(ctx, f, defaultValue(f));
      else if (i < rest.length) setFlag(ctx, f, rest[i++] as string);
      else if (!cmd.lenient) fail(`flag needs an argument: '${s}'`);
      continue;
    }
    // Short flags, possibly bundled (-it, -itn prod, -nprod, -n=prod).
    let shorts = s.slice(1);
    while (shorts.length > 0) {
      const c = shorts[0] as string;
      const f = cmd.shorts.get(c);
      if (f === undefined) {
        if (!cmd.lenient) fail(`unknown shorthand flag '${c}' in '${s}' for '${commandName(cmd)}'`);
        break;
      }
      if (shorts.length > 2 && shorts[1] === '=') {
        setFlag(ctx, f, shorts.slice(2));
        shorts = '';
      } else if (f.kind !== 'value') {
        setFlag(ctx, f, defaultValue(f));
        shorts = shorts.slice(1);
      } else if (shorts.length > 1) {
        setFlag(ctx, f, shorts.slice(1));
        shorts = '';
      } else if (i < rest.length) {
        setFlag(ctx, f, rest[i++] as string);
        shorts = '';
      } else {
        if (!cmd.lenient) fail(`flag needs an argument: '-${c}'`);
        shorts = '';
      }
    }
  }
  ctx.args = args;
}

/** Global flags that hand kubectl credentials of their own: the request acts as whoever they name. */
const CREDENTIAL_FLAGS = ['token', 'username', 'password', 'client-key', 'client-certificate'];

/** Outputs that read their template or column spec from a file (`-o go-template-file=x` or `--template x`, `-o custom-columns-file=x`). */
const TEMPLATE_FILE_OUTPUTS = new Set(['go-template-file', 'jsonpath-file', 'templatefile', 'custom-columns-file']);

/** The TLS trust flags and the local files kubectl reads and writes itself. */
function localFiles(ctx: Ctx): void {
  const out = ctx.out;
  if (str(ctx, 'certificate-authority') !== '') out.trust.push('certificate-authority');
  if (bool(ctx, 'insecure-skip-tls-verify')) out.trust.push('insecure-skip-tls-verify');
  if (str(ctx, 'tls-server-name') !== '') out.trust.push('tls-server-name');
  for (const flag of ['certificate-authority', 'client-key', 'client-certificate']) {
    for (const path of ctx.values.get(flag) ?? []) if (path !== '') out.files.push({ path, access: 'read', flag: `--${flag}` });
  }
  const output = str(ctx, 'output');
  const eq = output.indexOf('=');
  const format = eq < 0 ? output : output.slice(0, eq);
  if (TEMPLATE_FILE_OUTPUTS.has(format)) {
    const path = eq < 0 ? str(ctx, 'template') : output.slice(eq + 1);
    if (path !== '') out.files.push({ path, access: 'read', flag: `-o ${format}` });
  }
  const profile = str(ctx, 'profile');
  if (profile !== '' && profile !== 'none') out.files.push({ path: str(ctx, 'profile-output') || 'profile.pprof', access: 'write', flag: '--profile-output' });
  const cache = str(ctx, 'cache-dir');
  if (cache !== '') out.files.push({ path: cache, access: 'write', flag: '--cache-dir' });
  // klog's flags (kubectl before 1.26 honours them): its log file, or a directory of log files.
  for (const flag of ['log-file', 'log-dir']) {
    for (const path of ctx.values.get(flag) ?? []) if (path !== '') out.files.push({ path, access: 'write', flag: `--${flag}` });
  }
}

function dryRunOf(ctx: Ctx): string {
  const v = last(ctx, 'dry-run');
  if (v === undefined || v === 'none') return '';
  if (v === 'client' || v === 'unchanged') return 'client';
  if (v === 'server') return 'server';
  fail(`invalid --dry-run value '${v}' (none, client or server)`);
}

function impersonation(ctx: Ctx): void {
  const as = str(ctx, 'as');
  ctx.out.impersonate = as;
  // Impersonation is authorized as its own verb on these resources (users, groups and service
  // accounts in the core group; uids and extras in authentication.k8s.io).
  const add = (resource: string, name: string, namespace = '', subresource = ''): void => {
    const group = resource === 'uids' || resource === 'userextras' ? 'authentication.k8s.io' : '';
    ctx.out.objects.push({ verb: 'impersonate', group, version: '', resource, subresource, namespace, name, kind: '' });
  };
  if (as !== '') {
    const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(as);
    if (sa !== null) {
      if (!DNS_LABEL.test(sa[1] as string)) fail(`invalid namespace in --as '${as}'`);
      add('serviceaccounts', sa[2] as string, sa[1] as string);
    }
    else add('users', as);
  }
  for (const g of ctx.values.get('as-group') ?? []) add('groups', g);
  const uid = str(ctx, 'as-uid');
  if (uid !== '') add('uids', uid);
  for (const extra of ctx.values.get('as-user-extra') ?? []) {
    const eq = extra.indexOf('=');
    add('userextras', eq < 0 ? '' : extra.slice(eq + 1), '', eq < 0 ? extra : extra.slice(0, eq));
  }
}

const PROGRAM_NAMES = new Set(['kubectl', 'oc']);

/**
 * `true` when `word` names the kubectl (or `oc`) program: the bare name or a path ending in it.
 *
 * @example
 * ```ts
 * isKubectlProgram('/usr/local/bin/kubectl'); // true
 * ```
 */
export function isKubectlProgram(word: string): boolean {
  const slash = word.lastIndexOf('/');
  return PROGRAM_NAMES.has(slash < 0 ? word : word.slice(slash + 1));
}

/**
 * `true` when `word` is a top-level kubectl subcommand (so `get pods` is read as
 * `kubectl get pods`).
 *
 * @example
 * ```ts
 * isKubectlSubcommand('get'); // true
 * ```
 */
export function isKubectlSubcommand(word: string): boolean {
  return kubectlRoot().children.has(word);
}

/**
 * Interprets kubectl arguments (without the program name) as the API requests kubectl would
 * make. Throws `WardenError('ERR_K8S_PARSE')` where kubectl itself would refuse the command, and
 * where the facet cannot know the answer (plugins, `alpha`).
 *
 * @example
 * ```ts
 * parseKubectlArgs(['-n', 'prod', 'get', 'secret/db'], 'default').objects[0];
 * // { verb: 'get', resource: 'secrets', namespace: 'prod', name: 'db', kind: 'Secret', ... }
 * ```
 */
export function parseKubectlArgs(argv: readonly string[], defaultNamespace: string): KubectlFacts {
  for (const a of argv) if (a.includes('\u0000')) fail('NUL character in argument');
  const { cmd, rest } = findCommand(argv);
  const out: KubectlFacts = {
    objects: [], allNamespaces: false, fromFile: false, subcommand: cmd.path, dryRun: '', path: '', command: [],
    context: '', cluster: '', user: '', kubeconfig: '', server: '', impersonate: '', credentials: [], trust: [], files: [], unknownScope: false,
  };
  const ctx: Ctx = { cmd, args: [], dashAt: -1, values: new Map(), namespace: defaultNamespace, explicitNamespace: false, out };
  parseFlags(ctx, rest);
  if (bool(ctx, 'help')) {
    out.objects.push({ verb: 'help', group: '', version: '', resource: '', subresource: '', namespace: '', name: '', kind: '' });
    return out;
  }
  if (cmd === kubectlRoot()) {
    const first = ctx.args[0];
    if (first === undefined) fail('missing kubectl subcommand');
    fail(`unknown kubectl subcommand '${first}' (plugins are not analysed)`);
  }
  if (cmd.handler === undefined) fail(`incomplete kubectl command '${cmd.path}'`);
  const ns = last(ctx, 'namespace');
  // kubectl treats an empty --namespace as not given.
  if (ns !== undefined && ns !== '' && !cmd.lenient) {
    if (!DNS_LABEL.test(ns)) fail(`invalid namespace '${ns}'`);
    ctx.namespace = ns;
    ctx.explicitNamespace = true;
  }
  out.context = str(ctx, 'context');
  out.cluster = str(ctx, 'cluster');
  out.user = str(ctx, 'user');
  out.kubeconfig = str(ctx, 'kubeconfig');
  out.server = str(ctx, 'server');
  for (const flag of CREDENTIAL_FLAGS) if ((ctx.values.get(flag) ?? []).length > 0) out.credentials.push(flag);
  localFiles(ctx);
  out.dryRun = cmd.lenient ? '' : dryRunOf(ctx);
  cmd.handler(ctx);
  if (out.objects.length === 0) fail(`'${cmd.path}' names no object`);
  if (cmd.lenient) {
    // Local commands act on no namespace.
    for (const o of out.objects) o.namespace = '';
  }
  impersonation(ctx);
  return out;
}
