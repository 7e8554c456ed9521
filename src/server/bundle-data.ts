/**
 * Data files in bundles: JSON or YAML files under `data/`, listed and hashed in the signed manifest
 * like the policy files. At activation each becomes a `kind: PolicyData` document named after its
 * path (`data/acl/hosts.json` is `acl.hosts`), so Rego documents read it as `data.acl.hosts` and
 * the set's digest covers it.
 */
import { parseJsonText } from '../lib/json-text.js';
import { API_VERSION } from '../policy/api-version.js';
import type { PolicySource } from '../policy/compile.js';
import { BundleError } from './bundle-format.js';

/** The prefix of data files in a bundle. */
export const BUNDLE_DATA_PREFIX = 'data/';

/** Extensions of data files. */
export const BUNDLE_DATA_EXTENSIONS = ['.json', '.yaml', '.yml'];

/** Deepest nesting of arrays and objects in a data file. */
const MAX_DATA_DEPTH = 64;

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * True when a bundle file name is a data file's (under `data/`).
 *
 * @example
 * ```ts
 * isBundleDataFile('data/acl/hosts.json'); // true
 * ```
 */
export function isBundleDataFile(name: string): boolean {
  return name.startsWith(BUNDLE_DATA_PREFIX);
}

/**
 * The data path a data file stands for (`data/acl/hosts.json` -> `acl.hosts`).
 *
 * @example
 * ```ts
 * bundleDataPath('data/teams.yaml'); // 'teams'
 * ```
 * @throws BundleError `malformed` when the name is not `data/<identifier>/.../<identifier>.(json|yaml|yml)` with at most 8 parts.
 */
export function bundleDataPath(name: string): string {
  const ext = BUNDLE_DATA_EXTENSIONS.find((e) => name.endsWith(e));
  const parts = ext === undefined ? [] : name.slice(BUNDLE_DATA_PREFIX.length, -ext.length).split('/');
  if (ext === undefined || parts.length === 0 || parts.length > 8 || !parts.every((p) => SEGMENT.test(p))) {
    throw new BundleError(
      'malformed',
      `The data file ${JSON.stringify(name)} must be named data/<name>[/<name>...].json, .yaml or .yml, each name letters, digits and "_" (not starting with a digit), at most 8 parts: it is read by policies as data.<name>.<name>.`,
    );
  }
  return parts.join('.');
}

/**
 * The data files of a verified bundle as `kind: PolicyData` sources for the compile.
 *
 * @example
 * ```ts
 * const sources = await bundleDataSources([{ name: 'data/acl/hosts.json', text: '["a.example"]' }]);
 * // [{ name: 'data/acl/hosts.json', document: { apiVersion: 'warden/v1', kind: 'PolicyData', name: 'acl.hosts', data: ['a.example'] } }]
 * ```
 * @throws BundleError `data_invalid` when a file is not JSON (repeated keys refused) or YAML
 *   (one document, no aliases, unique keys); `malformed` for a bad name.
 */
export async function bundleDataSources(files: ReadonlyArray<{ name: string; text: string }>): Promise<PolicySource[]> {
  const out: PolicySource[] = [];
  // Loaded here, not at import: policy-data.ts brings the YAML reader (and yaml) with it.
  const { POLICY_DATA_KIND } = await import('../policy/policy-data.js');
  for (const { name, text } of files) {
    const path = bundleDataPath(name);
    let data: unknown;
    if (name.endsWith('.json')) {
      const parsed = parseJsonText(text);
      if (!parsed.ok) throw new BundleError('data_invalid', `The data file ${JSON.stringify(name)} is not JSON with unique keys (${parsed.error}).`);
      data = parsed.value;
    } else {
      data = await parseYamlData(name, text);
    }
    if (deeperThan(data, MAX_DATA_DEPTH)) throw new BundleError('data_invalid', `The data file ${JSON.stringify(name)} nests deeper than ${MAX_DATA_DEPTH} levels; flatten it.`);
    out.push({ name, document: { apiVersion: API_VERSION, kind: POLICY_DATA_KIND, name: path, data } });
  }
  return out;
}

async function parseYamlData(name: string, text: string): Promise<unknown> {
  // The YAML reader loads only for a bundle that has YAML data; it refuses deep nesting before parsing.
  const { parseSource } = await import('../policy/yaml-reader.js');
  const { reader, documents } = parseSource(name, text);
  const problem = reader.issues.find((i) => i.severity === 'error');
  if (problem !== undefined) throw new BundleError('data_invalid', `The data file ${JSON.stringify(name)} is not valid YAML (line ${problem.line}): ${problem.message}`);
  if (documents.length !== 1) throw new BundleError('data_invalid', `The data file ${JSON.stringify(name)} holds ${documents.length} YAML documents; it must hold exactly one.`);
  try {
    return (documents[0] as (typeof documents)[number]).toJS({ maxAliasCount: 0 }) as unknown;
  } catch (e) {
    throw new BundleError('data_invalid', `The data file ${JSON.stringify(name)} cannot be read as plain data (${e instanceof Error ? e.message : String(e)}); write it without YAML aliases.`);
  }
}

/** True when `value` nests deeper than `max` arrays and objects (it stops looking past `max`). */
function deeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (max === 0) return true;
  return Object.values(value).some((v) => deeperThan(v, max - 1));
}
