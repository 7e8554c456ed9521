/**
 * Reading the `facets:` section of a policy document into validated {@link FacetBinding}s, with
 * every problem reported at its file:line:col.
 */
import { isScalar, isSeq, type Node, type Pair, type Scalar } from 'yaml';
import { BINDING_KINDS, BINDING_OPTION_KEYS, PATH_ACCESS, parseArgPath, parseRequestValue, type ArgPath, type BindingKind, type FacetBinding, type PathAccessMode } from '../facets/bindings.js';
import { SQL_DIALECTS } from '../facets/sql-parsers.js';
import type { NodeReader } from './yaml-reader.js';

/** Reads the `facets:` list of a document, recording issues in the reader. */
export function readFacetBindings(pair: Pair<Scalar, Node | null> | undefined, reader: NodeReader, policy: string): FacetBinding[] {
  if (!pair) return [];
  const seq = pair.value;
  if (!isSeq(seq)) {
    reader.error(seq ?? pair.key, 'wrong_type', `facets of policy "${policy}" must be a list of bindings like { tools: [bash], shell: { from: args.command } }.`);
    return [];
  }
  const out: FacetBinding[] = [];
  for (const item of seq.items as Node[]) {
    const m = reader.mapping(item, `a facet binding of policy "${policy}"`, ['tools', ...BINDING_KINDS]);
    if (!m) continue;
    const tools = reader.stringList(m.get('tools'), 'tools of a facet binding');
    if (!m.get('tools')) reader.error(item, 'missing_key', 'A facet binding needs tools: [...] naming the tools whose arguments it reads.');
    else if (tools && tools.values.length === 0) reader.error(m.get('tools')?.value, 'empty_tools', 'tools of a facet binding is empty; list the tools it applies to.');
    const facets = BINDING_KINDS.filter((f) => m.has(f));
    if (facets.length !== 1) {
      reader.error(item, 'facet_binding', `A facet binding names exactly one facet (${BINDING_KINDS.join(', ')}); this one names ${facets.length === 0 ? 'none' : facets.join(' and ')}. Write one binding per facet.`);
      continue;
    }
    const facet = facets[0] as BindingKind;
    const optsNode = m.get(facet)?.value;
    const opts = reader.mapping(optsNode, `the ${facet} binding`, BINDING_OPTION_KEYS[facet]);
    if (!opts || !tools || tools.values.length === 0) continue;
    if (facet === 'prose') {
      const paths = prosePaths(opts.get('from'), reader, optsNode ?? item);
      if (paths !== null) out.push({ tools: tools.values, pos: reader.pos(item), from: paths[0] as ArgPath, also: paths.slice(1), facet });
      continue;
    }
    const fromText = reader.string(opts.get('from'), `from of the ${facet} binding`, true, optsNode ?? item);
    if (fromText === undefined) continue;
    const from = parseArgPath(fromText);
    if (!from) {
      reader.error(opts.get('from')?.value, 'bad_from', `from "${fromText}" must name an argument as args.<key>[.<key>...] (e.g. args.query).`);
      continue;
    }
    const base = { tools: tools.values, pos: reader.pos(item), from };
    if (facet === 'sql') {
      const dialect = reader.oneOf(opts.get('dialect'), 'dialect of the sql binding', SQL_DIALECTS, true, optsNode ?? item);
      if (dialect) out.push({ ...base, facet, dialect });
    } else if (facet === 'shell') {
      const cwdText = reader.string(opts.get('cwd'), 'cwd of the shell binding', false);
      const cwd = cwdText === undefined ? undefined : parseRequestValue(cwdText);
      if (cwd === null) {
        reader.error(opts.get('cwd')?.value, 'bad_cwd', `cwd "${cwdText ?? ''}" must be an absolute path or a request field such as context.cwd or args.cwd.`);
        continue;
      }
      const home = reader.string(opts.get('home'), 'home of the shell binding', false);
      if (home !== undefined && !home.startsWith('/')) {
        reader.error(opts.get('home')?.value, 'bad_root', `home "${home}" must be an absolute path.`);
        continue;
      }
      out.push({ ...base, facet, ...(cwd !== undefined ? { cwd } : {}), ...(home !== undefined ? { home } : {}) });
    } else if (facet === 'path') {
      const root = reader.string(opts.get('root'), 'root of the path binding', true, optsNode ?? item);
      if (root !== undefined && !root.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(root)) {
        reader.error(opts.get('root')?.value, 'bad_root', `root "${root}" must be an absolute path.`);
        continue;
      }
      const realpath = bool(opts.get('realpath'), reader, 'realpath of the path binding');
      const windows = bool(opts.get('windows'), reader, 'windows of the path binding');
      const home = reader.string(opts.get('home'), 'home of the path binding', false);
      const access = accessList(opts.get('access'), reader);
      const recursive = opts.has('recursive') ? bool(opts.get('recursive'), reader, 'recursive of the path binding') : false;
      const dflt = reader.string(opts.get('default'), 'default of the path binding', false);
      if (root !== undefined && realpath !== null && windows !== null && access !== null && recursive !== null) {
        out.push({
          ...base,
          facet,
          root,
          realpath,
          windows,
          ...(home !== undefined ? { home } : {}),
          ...(access !== undefined ? { access } : {}),
          ...(recursive ? { recursive } : {}),
          ...(dflt !== undefined ? { default: dflt } : {}),
        });
      }
    } else {
      const verb = reader.string(opts.get('verb'), 'verb of the k8s binding', false);
      const defaultNamespace = reader.string(opts.get('defaultNamespace'), 'defaultNamespace of the k8s binding', false);
      out.push({ ...base, facet, ...(verb !== undefined ? { verb } : {}), ...(defaultNamespace !== undefined ? { defaultNamespace } : {}) });
    }
  }
  return out;
}

/** `access: write` or `access: [read, write]`; undefined when absent (every access), null on error. */
function accessList(pair: Pair<Scalar, Node | null> | undefined, reader: NodeReader): PathAccessMode[] | undefined | null {
  if (!pair) return undefined;
  const v = pair.value;
  const items = isSeq(v) ? (v.items as Node[]) : [v];
  const out: PathAccessMode[] = [];
  for (const it of items) {
    if (!isScalar(it) || typeof it.value !== 'string' || !(PATH_ACCESS as readonly string[]).includes(it.value)) {
      reader.error(it ?? pair.key, 'unknown_value', `access of the path binding must be ${PATH_ACCESS.join(', ')} or a list of them, got ${isScalar(it) ? JSON.stringify(it.value) : 'a non-string'}.`);
      return null;
    }
    if (!out.includes(it.value as PathAccessMode)) out.push(it.value as PathAccessMode);
  }
  if (out.length === 0) {
    reader.error(v ?? pair.key, 'unknown_value', `access of the path binding is empty; write ${PATH_ACCESS.join(', ')} or a list of them.`);
    return null;
  }
  return out;
}

/** `from: args.x` or `from: [args.x, args.y]` of a prose binding; null on error. */
function prosePaths(pair: Pair<Scalar, Node | null> | undefined, reader: NodeReader, parent: Node): ArgPath[] | null {
  if (!pair) {
    reader.error(parent, 'missing_key', 'from of the prose binding is required.');
    return null;
  }
  const v = pair.value;
  const items = isSeq(v) ? (v.items as Node[]) : [v];
  const out: ArgPath[] = [];
  for (const it of items) {
    const text = isScalar(it) && typeof it.value === 'string' ? it.value : null;
    const p = text === null ? null : parseArgPath(text);
    if (p === null) {
      reader.error(it ?? pair.key, 'bad_from', `from of the prose binding must name arguments as args.<key>[.<key>...], got ${text === null ? 'a non-string' : JSON.stringify(text)}.`);
      return null;
    }
    out.push(p);
  }
  if (out.length === 0) {
    reader.error(v ?? pair.key, 'bad_from', 'from of the prose binding is empty.');
    return null;
  }
  return out;
}

function bool(pair: Pair<Scalar, Node | null> | undefined, reader: NodeReader, where: string): boolean | null {
  if (!pair) return false;
  const v = pair.value;
  if (!isScalar(v) || typeof v.value !== 'boolean') {
    reader.error(v ?? pair.key, 'wrong_type', `${where} must be true or false.`);
    return null;
  }
  return v.value;
}
