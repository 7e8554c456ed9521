/**
 * SRE documents: `kind: SLO`, `kind: CircuitBreaker` and `kind: ChaosExperiment`, in YAML (or
 * JSON) files beside the policy, several to a file separated by `---`. Each document is
 * `apiVersion: warden/v1`, its kind, and the members of the spec it declares.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseAllDocuments } from 'yaml';
import { WardenError } from '../errors.js';
import { defineBreaker, type BreakerConfig, type BreakerSpec } from './breaker.js';
import { defineExperiment, type ExperimentDefinition, type ExperimentSpec } from './chaos.js';
import { defineSlo, type SloDefinition, type SloSpec } from './slo.js';

/**
 * What a set of SRE documents declares.
 *
 * @example
 * ```ts
 * const { slos, breakers } = parseSreDocuments(text, 'sre.yaml');
 * const sre = createSre({ slos, breakers });
 * ```
 */
export interface SreDocuments {
  slos: SloDefinition[];
  breakers: BreakerConfig[];
  experiments: ExperimentDefinition[];
}

/** Largest SRE file read: 1 MiB. */
const MAX_BYTES = 1024 * 1024;
const KINDS = ['SLO', 'CircuitBreaker', 'ChaosExperiment'];

/**
 * Parses SRE documents from text. `source` names the file in errors.
 *
 * @example
 * ```ts
 * parseSreDocuments('apiVersion: warden/v1\nkind: SLO\nname: search\ntools: [search]\nobjective: 0.99\n', 'inline').slos.length; // 1
 * ```
 * @throws WardenError `ERR_SRE_CONFIG` naming the file, the line and the member.
 */
export function parseSreDocuments(text: string, source: string): SreDocuments {
  if (text.length > MAX_BYTES) throw new WardenError('ERR_SRE_CONFIG', `${source} is larger than 1 MiB; SRE documents are small.`);
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  const out: SreDocuments = { slos: [], breakers: [], experiments: [] };
  if (!Array.isArray(docs)) throw new WardenError('ERR_SRE_CONFIG', `${source} is not YAML.`);
  for (const doc of docs) {
    const at = (offset: number | undefined): string => {
      const p = lines.linePos(offset ?? 0);
      return `${source}:${p.line}:${p.col}`;
    };
    const error = doc.errors[0];
    if (error !== undefined) throw new WardenError('ERR_SRE_CONFIG', `${at(error.pos[0])}: ${error.message.split('\n')[0] ?? 'invalid YAML'}`);
    let value: unknown;
    try {
      // No aliases: an SRE document has no need of them, and expanding them is how YAML bombs work.
      value = doc.toJS({ maxAliasCount: 0 });
    } catch (e) {
      throw new WardenError('ERR_SRE_CONFIG', `${at(doc.contents?.range?.[0])}: ${e instanceof Error ? e.message : String(e)}; write the values out (no YAML aliases).`);
    }
    if (value === null || value === undefined) continue;
    const where = at(doc.contents?.range?.[0]);
    if (typeof value !== 'object' || Array.isArray(value)) throw new WardenError('ERR_SRE_CONFIG', `${where}: a document must be a mapping with apiVersion, kind and name.`);
    const { apiVersion, kind, ...spec } = value as Record<string, unknown>;
    if (apiVersion !== 'warden/v1') throw new WardenError('ERR_SRE_CONFIG', `${where}: apiVersion must be "warden/v1"; got ${JSON.stringify(apiVersion)}.`);
    try {
      if (kind === 'SLO') out.slos.push(defineSlo(spec as unknown as SloSpec));
      else if (kind === 'CircuitBreaker') out.breakers.push(defineBreaker(spec as unknown as BreakerSpec));
      else if (kind === 'ChaosExperiment') out.experiments.push(defineExperiment(spec as unknown as ExperimentSpec));
      else throw new WardenError('ERR_SRE_CONFIG', `kind must be one of ${KINDS.join(', ')}; got ${JSON.stringify(kind)}.`);
    } catch (e) {
      if (e instanceof WardenError) throw new WardenError('ERR_SRE_CONFIG', `${where}: ${e.message}`, { cause: e });
      throw e;
    }
  }
  return out;
}

/**
 * Reads SRE documents from files (all of them, or nothing: the first invalid one throws).
 *
 * @example
 * ```ts
 * const { slos, breakers } = await loadSreFiles(['sre.yaml']);
 * ```
 * @throws WardenError `ERR_SRE_CONFIG` for an unreadable or invalid file.
 */
export async function loadSreFiles(paths: readonly string[]): Promise<SreDocuments> {
  const out: SreDocuments = { slos: [], breakers: [], experiments: [] };
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new WardenError('ERR_SRE_CONFIG', `Cannot read SRE file ${path}: ${e instanceof Error ? e.message : String(e)}.`);
    }
    const docs = parseSreDocuments(text, path);
    out.slos.push(...docs.slos);
    out.breakers.push(...docs.breakers);
    out.experiments.push(...docs.experiments);
  }
  return out;
}
