/**
 * SLOs and circuit breakers declared in policy documents (`slos:` and `breakers:` beside the
 * rules), made into the definitions {@link createSre} takes. The policy core checks the sections
 * at load time; here they are checked again by the same functions as `kind: SLO` documents, and
 * any error names the file, line and column of the entry.
 */
import { readFile } from 'node:fs/promises';
import { WardenError } from '../errors.js';
import { formatIssue } from '../policy/issues.js';
import { policySreSections, type SreSectionEntry } from '../policy/sre-spec.js';
import { defineBreaker, type BreakerConfig, type BreakerSpec } from './breaker.js';
import { defineSlo, type SloDefinition, type SloSpec } from './slo.js';

/**
 * The SLOs and breakers the policy sources declare.
 *
 * @example
 * ```ts
 * const { slos, breakers } = policySre([{ name: 'policy.yaml', text }]);
 * const sre = createSre({ slos, breakers });
 * ```
 * @throws WardenError `ERR_SRE_CONFIG` naming file:line:col of the first entry that is wrong.
 */
export function policySre(sources: readonly { name: string; text: string }[]): { slos: SloDefinition[]; breakers: BreakerConfig[] } {
  const slos: SloDefinition[] = [];
  const breakers: BreakerConfig[] = [];
  for (const source of sources) {
    const found = policySreSections(source.name, source.text);
    const first = found.issues[0];
    if (first !== undefined) throw new WardenError('ERR_SRE_CONFIG', formatIssue(first));
    for (const e of found.slos) slos.push(at(e, () => defineSlo(e.spec as unknown as SloSpec)));
    for (const e of found.breakers) breakers.push(at(e, () => defineBreaker(e.spec as unknown as BreakerSpec)));
  }
  return { slos, breakers };
}

/**
 * {@link policySre} of policy files.
 *
 * @example
 * ```ts
 * const sre = createSre({ ...(await loadPolicySre(['policy.yaml'])), store });
 * ```
 * @throws WardenError `ERR_SRE_CONFIG` for an unreadable file or an entry that is wrong.
 */
export async function loadPolicySre(paths: readonly string[]): Promise<{ slos: SloDefinition[]; breakers: BreakerConfig[] }> {
  const sources: { name: string; text: string }[] = [];
  for (const path of paths) {
    try {
      sources.push({ name: path, text: await readFile(path, 'utf8') });
    } catch (e) {
      throw new WardenError('ERR_SRE_CONFIG', `Cannot read policy file ${path}: ${e instanceof Error ? e.message : String(e)}.`);
    }
  }
  return policySre(sources);
}

function at<T>(entry: SreSectionEntry, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof WardenError) throw new WardenError('ERR_SRE_CONFIG', `${entry.pos.file}:${entry.pos.line}:${entry.pos.col}: ${e.message}`, { cause: e });
    throw e;
  }
}
