/**
 * The program table of the shell's effects: every modelled program by name, and what an unknown
 * program is (code Warden cannot see, whose path-like arguments it may read, write or delete).
 *
 * Internal to the shell effects; not part of the public surface.
 */
import { FILE_MODELS } from './shell-fx-files.js';
import { FIND_MODEL } from './shell-fx-find.js';
import { GIT_MODELS } from './shell-fx-git.js';
import { NET_MODELS } from './shell-fx-net.js';
import { RUN_MODELS } from './shell-fx-run.js';
import { SIMPLE_MODELS } from './shell-fx-simple.js';
import { TEXT_MODELS } from './shell-fx-text.js';
import type { FxCall, FxModel } from './shell-fx-api.js';
import { lookupName } from './shell-programs.js';
import type { WordFacts } from './shell-words.js';
import { lazyModule } from '../lib/lazy-module.js';

// Only a line that runs kubectl needs the k8s facet (and its YAML parser for manifests): it loads
// then, so a line without kubectl neither initialises nor (in the hook's code cache) carries them.
const k8sModule = lazyModule<typeof import('./k8s.js')>('facets/k8s');
const k8sEffectsModule = lazyModule<typeof import('./k8s-effects.js')>('facets/k8s-effects');

/** kubectl in a shell line: the k8s facet reads its arguments; `-f` files and the kubeconfig are read. */
const kubectl: FxModel = (call) => {
  const argv: string[] = [];
  for (const w of call.words) {
    if (w.value === null) {
      call.fx.exec('kubectl', w.text, 'kubectl', 'a kubectl argument is only known when the line runs', false, 'runtime');
      return;
    }
    argv.push(w.value);
  }
  const facts = k8sModule().k8sFacet(argv);
  if (!facts.parsed) {
    call.fx.exec('kubectl', argv.join(' '), 'kubectl', `kubectl: ${facts.error}`, false, 'hidden');
    return;
  }
  const e = k8sEffectsModule().k8sEffects(facts);
  for (const x of e.exec) call.fx.exec(x.program, x.code, x.via, x.reason, x.known, x.kind ?? 'remote');
  for (const n of e.network) {
    if (n.known) call.fx.host(n.host, n.port, n.scheme, n.via);
    else call.fx.unknownHost(n.host, n.scheme, n.via);
  }
  for (let i = 1; i < call.words.length; i++) {
    const v = call.words[i]?.value ?? '';
    const next = call.words[i + 1];
    if ((v === '-f' || v === '--filename' || v === '-k' || v === '--kustomize' || v === '--kubeconfig') && next !== undefined && next.value !== '-') {
      if (next.value !== null && next.value.includes('://')) call.fx.url(next, `kubectl ${v}`, 'https', 443);
      else call.fx.path('read', next, `kubectl ${v}`, v === '-k' || v === '--kustomize');
    }
  }
  // `kubectl cp pod:/x ./y` writes ./y; `kubectl cp ./y pod:/x` reads ./y.
  if (facts.subcommand === 'cp') {
    const ops = call.words.slice(2).filter((w) => !(w.value ?? '').startsWith('-'));
    const [src, dest] = ops;
    const remote = (w: WordFacts | undefined): boolean => w !== undefined && /^[^/.~][^/]*:/.test(w.value ?? '');
    if (src !== undefined && !remote(src)) call.fx.path('read', src, 'kubectl cp', true);
    if (dest !== undefined && !remote(dest)) call.fx.path('write', dest, 'kubectl cp', true);
  }
};

// GNU tools installed with a `g` prefix (macOS Homebrew coreutils, findutils, sed, tar, ...).
const GNU_PREFIXED = new Set([
  'gls', 'gcp', 'gmv', 'grm', 'gcat', 'ghead', 'gtail', 'gdate', 'gsort', 'gwc', 'gcut', 'gtr', 'gtimeout', 'gstat', 'greadlink',
  'grealpath', 'gdu', 'gdf', 'gln', 'gtouch', 'gmkdir', 'grmdir', 'gchmod', 'gchown', 'gchgrp', 'gtee', 'gdd', 'ginstall', 'gshred',
  'gsplit', 'gcsplit', 'gbase64', 'gmd5sum', 'gsha256sum', 'gsha1sum', 'gstdbuf', 'gnohup', 'gnice', 'gchroot', 'gtruncate', 'guniq',
  'gxargs', 'gsed', 'gtar', 'gfind', 'gawk', 'genv', 'gnl', 'god', 'gpaste', 'gjoin', 'gcomm', 'gfold', 'gfmt', 'gtac', 'gexpand',
]);

const MODELS: ReadonlyMap<string, FxModel> = new Map<string, FxModel>([
  ...SIMPLE_MODELS,
  ...FILE_MODELS,
  ...TEXT_MODELS,
  ...NET_MODELS,
  ...RUN_MODELS,
  ...GIT_MODELS,
  ['find', FIND_MODEL],
  ['gfind', FIND_MODEL],
  ['kubectl', kubectl],
  ['oc', kubectl],
]);

/**
 * The model of program `name` (lower-case basename), or undefined for an unknown program.
 * `python3.12` finds `python`; GNU tools installed with a `g` prefix find the tool.
 *
 * @example
 * ```ts
 * modelFor('python3'); // the python model
 * modelFor('frobnicate'); // undefined
 * ```
 */
export function modelFor(name: string): FxModel | undefined {
  return MODELS.get(name) ?? MODELS.get(lookupName(name)) ?? (GNU_PREFIXED.has(name) ? MODELS.get(name.slice(1)) : undefined);
}

/**
 * An unknown program: code Warden cannot see runs, and each argument that looks like a path may
 * be read, written or deleted (with everything under it), each URL or host may be reached.
 *
 * @example
 * ```ts
 * unknownProgram(call); // exec { program: 'frobnicate', known: false }, reads/writes/deletes of its path arguments
 * ```
 */
export function unknownProgram(call: FxCall, execReported = false): void {
  const head = call.words[0] as WordFacts;
  if (!execReported) {
    call.fx.exec(call.name, head.value ?? head.text, 'program', `${call.name} is not a program Warden models, so what it runs, reads, writes and reaches is not known`, false, 'program');
  }
  call.fx.unknownArguments(call, 1, call.name);
}
