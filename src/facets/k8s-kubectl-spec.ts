/**
 * kubectl's command and flag table, as data: each command's flags (pflag grammar: `s|long=v` for
 * a value, `long=?` for an optional value, `long` for a boolean), its subcommands and aliases,
 * and the handler that turns its arguments into API requests (`k8s-kubectl-commands.ts`).
 */
import type { Handler } from './k8s-kubectl-commands.js';

export type FlagKind = 'bool' | 'value' | 'optional';
export interface FlagSpec {
  long: string;
  short: string;
  kind: FlagKind;
}
export interface CommandSpec {
  name: string;
  path: string;
  flags: Map<string, FlagSpec>;
  shorts: Map<string, FlagSpec>;
  children: Map<string, CommandSpec>;
  handler: Handler | undefined;
  /** Local-only commands: flags are not checked and arguments are not interpreted. */
  lenient: boolean;
}

/** Flag spec strings: `s|long=v` (value), `long=?` (optional value), `long` (bool). */
const GLOBAL_FLAGS = [
  'as=v', 'as-group=v', 'as-uid=v', 'as-user-extra=v', 'cache-dir=v', 'certificate-authority=v',
  'client-certificate=v', 'client-key=v', 'cluster=v', 'context=v', 'disable-compression',
  'insecure-skip-tls-verify', 'kubeconfig=v', 'match-server-version', 'n|namespace=v', 'password=v',
  'username=v', 'profile=v', 'profile-output=v', 'request-timeout=v', 's|server=v', 'tls-server-name=v',
  'token=v', 'user=v', 'warnings-as-errors', 'v|v=v', 'vmodule=v', 'log-flush-frequency=v', 'h|help',
  'add-dir-header', 'alsologtostderr', 'log-backtrace-at=v', 'log-dir=v', 'log-file=v',
  'log-file-max-size=v', 'logtostderr', 'one-output', 'skip-headers', 'skip-log-headers', 'stderrthreshold=v',
];
export const PRINT = ['o|output=v', 'template=v', 'allow-missing-template-keys', 'show-managed-fields'];
export const FILE = ['f|filename=v', 'k|kustomize=v', 'R|recursive'];
export const CREATE_SUB = [...PRINT, 'dry-run=?', 'save-config', 'validate=?', 'field-manager=v'];
export const SET_BASE = [...FILE, ...PRINT, 'all', 'l|selector=v', 'local', 'dry-run=?', 'field-manager=v', 'record'];
export const LABEL = [...FILE, ...PRINT, 'overwrite', 'local', 'list', 'all', 'A|all-namespaces', 'l|selector=v',
  'field-selector=v', 'resource-version=v', 'dry-run=?', 'field-manager=v', 'record'];

function flagMaps(specs: readonly string[]): { flags: Map<string, FlagSpec>; shorts: Map<string, FlagSpec> } {
  const flags = new Map<string, FlagSpec>();
  const shorts = new Map<string, FlagSpec>();
  for (const spec of [...GLOBAL_FLAGS, ...specs]) {
    const eq = spec.indexOf('=');
    const head = eq < 0 ? spec : spec.slice(0, eq);
    const kind: FlagKind = eq < 0 ? 'bool' : spec.slice(eq + 1) === '?' ? 'optional' : 'value';
    const bar = head.indexOf('|');
    const short = bar < 0 ? '' : head.slice(0, bar);
    const long = bar < 0 ? head : head.slice(bar + 1);
    const f: FlagSpec = { long, short, kind };
    flags.set(long, f); // a command's own flag shadows a global one of the same name, as in cobra
    if (short !== '') shorts.set(short, f);
  }
  return { flags, shorts };
}

export interface Def {
  flags?: readonly string[];
  handler?: Handler;
  aliases?: readonly string[];
  children?: Record<string, Def>;
  lenient?: boolean;
}

export function build(name: string, parentPath: string, def: Def): CommandSpec {
  const path = parentPath === '' ? name : `${parentPath} ${name}`;
  const { flags, shorts } = flagMaps(def.flags ?? []);
  const children = new Map<string, CommandSpec>();
  for (const [childName, childDef] of Object.entries(def.children ?? {})) {
    const child = build(childName, name === '' ? '' : path, childDef);
    children.set(childName, child);
    for (const a of childDef.aliases ?? []) children.set(a, child);
  }
  return { name, path, flags, shorts, children, handler: def.handler, lenient: def.lenient ?? false };
}
