/**
 * The effects of the path and SQL facets: a path binding's path is read, written or deleted as
 * its `access` says (every access when it does not say), under every reading of the path; SQL
 * effects are the SQL facet's own (`sql-effects.ts`).
 */
import type { FacetBinding } from './bindings.js';
import type { Effects } from './effects-types.js';
import { emptyEffects } from './effects.js';
import type { PathFacts } from './path.js';
import type { SqlFacts } from './sql-facts.js';
import { sqlEffects } from './sql-effects.js';

/**
 * The effects of a path binding's facts: each known reading of the path (as written, decoded,
 * its real path) under each access of the binding; an unknown reading (`~` without a home, a
 * drive letter on a POSIX root, a failed realpath check) as an unknown path that could be anywhere.
 *
 * @example
 * ```ts
 * pathEffects(pathFacet('/w/%2eenv', { root: '/w' }), binding, 'Read').reads.map((r) => r.path); // ['/w/%2eenv', '/w/.env']
 * ```
 */
export function pathEffects(facts: PathFacts, b: Extract<FacetBinding, { facet: 'path' }>, tool: string): Effects | { error: string } {
  if (!facts.parsed) return { error: `the path facet could not read argument ${b.from.text}: ${facts.error}` };
  const e = emptyEffects();
  const recursive = b.recursive === true;
  const via = `${tool} ${b.from.text}`;
  const known = [...facts.readings];
  if (facts.realResolved !== '' && !known.includes(facts.realResolved)) known.push(facts.realResolved);
  const unknown = facts.unknownReading || (facts.realpathChecked && facts.error !== '');
  // invariant: no access given means every access: a binding that does not say what its tool does
  // is read at its most dangerous, so a write_file bound without `access` still shows its write.
  for (const access of b.access ?? ['read', 'write', 'delete']) {
    const list = access === 'read' ? e.reads : access === 'write' ? e.writes : e.deletes;
    for (const path of known) list.push({ path, via, known: true, recursive, within: path });
    if (unknown) list.push({ path: facts.raw, via, known: false, recursive, within: '' });
  }
  if (unknown) {
    e.complete = false;
    e.unknown.push(facts.error !== '' ? `${via}: ${facts.error}` : `${via}: ${facts.raw} may name a location that cannot be known (~ without a home, a drive letter)`);
  }
  if (b.access === undefined) {
    e.complete = false;
    e.unknown.push(`${via}: the binding does not say what the tool does with the path (access), so it counts as read, written and deleted`);
  }
  return e;
}

/**
 * The SQL facet's contribution to `effects`: {@link sqlEffects} of its facts (statements that
 * run code, server files, connections, privilege).
 *
 * @example
 * ```ts
 * sqlContribution(sqlFacet("SELECT lo_import('/etc/passwd')", { dialect: 'postgresql', parsers })).reads[0].path; // '/etc/passwd'
 * ```
 */
export function sqlContribution(facts: SqlFacts): Effects {
  return sqlEffects(facts);
}
