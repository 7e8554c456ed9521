/**
 * Reading the `facets:` section of a policy document into validated {@link FacetBinding}s, with
 * every problem reported at its file:line:col.
 */
import { isScalar, isSeq, type Node, type Pair, type Scalar } from 'yaml';
import { BINDING_OPTION_KEYS, BOUND_FACETS, parseArgPath, type BoundFacet, type FacetBinding } from '../facets/bindings.js';
import { SQL_DIALECTS } from '../facets/sql.js';
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
    const m = reader.mapping(item, `a facet binding of policy "${policy}"`, ['tools', ...BOUND_FACETS]);
    if (!m) continue;
    const tools = reader.stringList(m.get('tools'), 'tools of a facet binding');
    if (!m.get('tools')) reader.error(item, 'missing_key', 'A facet binding needs tools: [...] naming the tools whose arguments it reads.');
    else if (tools && tools.values.length === 0) reader.error(m.get('tools')?.value, 'empty_tools', 'tools of a facet binding is empty; list the tools it applies to.');
    const facets = BOUND_FACETS.filter((f) => m.has(f));
    if (facets.length !== 1) {
      reader.error(item, 'facet_binding', `A facet binding names exactly one facet (${BOUND_FACETS.join(', ')}); this one names ${facets.length === 0 ? 'none' : facets.join(' and ')}. Write one binding per facet.`);
      continue;
    }
    const facet = facets[0] as BoundFacet;
    const optsNode = m.get(facet)?.value;
    const opts = reader.mapping(optsNode, `the ${facet} binding`, BINDING_OPTION_KEYS[facet]);
    if (!opts || !tools || tools.values.length === 0) continue;
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
      out.push({ ...base, facet });
    } else if (facet === 'path') {
      const root = reader.string(opts.get('root'), 'root of the path binding', true, optsNode ?? item);
      if (root !== undefined && !root.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(root)) {
        reader.error(opts.get('root')?.value, 'bad_root', `root "${root}" must be an absolute path.`);
        continue;
      }
      const realpath = bool(opts.get('realpath'), reader, 'realpath of the path binding');
      const windows = bool(opts.get('windows'), reader, 'windows of the path binding');
      const home = reader.string(opts.get('home'), 'home of the path binding', false);
      if (root !== undefined && realpath !== null && windows !== null) out.push({ ...base, facet, root, realpath, windows, ...(home !== undefined ? { home } : {}) });
    } else {
      const verb = reader.string(opts.get('verb'), 'verb of the k8s binding', false);
      const defaultNamespace = reader.string(opts.get('defaultNamespace'), 'defaultNamespace of the k8s binding', false);
      out.push({ ...base, facet, ...(verb !== undefined ? { verb } : {}), ...(defaultNamespace !== undefined ? { defaultNamespace } : {}) });
    }
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
