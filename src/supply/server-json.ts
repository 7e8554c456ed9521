/**
 * MCP server identity: an MCP registry `server.json` (`name` is `<reverse-DNS namespace>/<server>`,
 * e.g. `io.github.acme/weather`) read strictly, and its namespace held to what verified. The
 * registry stores metadata and signs nothing, so the name is only a claim until it matches: the
 * source repository of verified provenance (`io.github.<owner>` for `https://github.com/<owner>/...`),
 * or a namespace the verified publisher of a signed manifest is accepted for.
 */
import { parseJsonText } from '../lib/json-text.js';
import { SupplyError } from './errors.js';
import { rejectPrototypeKeys } from './manifest.js';

/**
 * The members of server.json Warden reads.
 *
 * @example
 * ```ts
 * const s: ServerJson = { name: 'io.github.acme/weather', namespace: 'io.github.acme', server: 'weather', version: '1.0.0', packages: [{ registryType: 'npm', identifier: '@acme/weather', version: '1.0.0' }] };
 * ```
 */
export interface ServerJson {
  name: string;
  namespace: string;
  server: string;
  version: string;
  packages: Array<{ registryType: string; identifier: string; version?: string }>;
  repository?: { url: string; source?: string };
}

const LABEL = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;
const SERVER = /^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,198}[a-zA-Z0-9])?$/;

/**
 * Parses a server.json text.
 *
 * @example
 * ```ts
 * parseServerJson('{"name":"io.github.acme/weather","version":"1.0.0"}').namespace; // 'io.github.acme'
 * ```
 * @throws SupplyError `malformed`.
 */
export function parseServerJson(text: string): ServerJson {
  const r = parseJsonText(text);
  if (!r.ok) throw new SupplyError('malformed', `server.json is not valid JSON: ${r.error}.`);
  rejectPrototypeKeys(r.value, 'server.json');
  const o = r.value as Record<string, unknown>;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new SupplyError('malformed', 'server.json is not an object.');
  const name = o.name;
  if (typeof name !== 'string' || name.length > 200 || name.split('/').length !== 2) throw new SupplyError('malformed', `server.json: name ${JSON.stringify(name)} is not "<namespace>/<server>" (one slash, at most 200 characters).`);
  const [namespace, server] = name.split('/') as [string, string];
  if (namespace.split('.').length < 2 || !namespace.split('.').every((l) => LABEL.test(l)) || !SERVER.test(server)) {
    throw new SupplyError('malformed', `server.json: name ${JSON.stringify(name)} needs a reverse-DNS namespace (io.github.acme) and a server name of letters, digits, ".", "_" and "-".`);
  }
  if (typeof o.version !== 'string' || o.version === '' || o.version === 'latest') throw new SupplyError('malformed', 'server.json: version must be an exact version.');
  const packages: ServerJson['packages'] = [];
  if (o.packages !== undefined) {
    if (!Array.isArray(o.packages)) throw new SupplyError('malformed', 'server.json: packages must be a list.');
    for (const p of o.packages as Array<Record<string, unknown>>) {
      if (p === null || typeof p !== 'object' || typeof p.registryType !== 'string' || typeof p.identifier !== 'string') throw new SupplyError('malformed', 'server.json: each package has a registryType and an identifier.');
      packages.push({ registryType: p.registryType, identifier: p.identifier, ...(typeof p.version === 'string' ? { version: p.version } : {}) });
    }
  }
  const out: ServerJson = { name, namespace, server, version: o.version, packages };
  const repo = o.repository as Record<string, unknown> | undefined;
  if (repo !== undefined && repo !== null && typeof repo === 'object' && typeof repo.url === 'string') out.repository = { url: repo.url, ...(typeof repo.source === 'string' ? { source: repo.source } : {}) };
  return out;
}

/**
 * The identity a namespace is checked against: verified provenance (its source repository) or a
 * verified signed manifest (its publisher's accepted namespaces).
 *
 * @example
 * ```ts
 * const v: VerifiedIdentity = { repository: 'https://github.com/acme/weather' };
 * const w: VerifiedIdentity = { publisher: 'did:key:z6Mk...', namespaces: ['io.github.acme'] };
 * ```
 */
export type VerifiedIdentity = { repository: string } | { publisher: string; namespaces: readonly string[] };

/**
 * Throws unless the server.json namespace matches the verified identity. Namespaces compare
 * without case (GitHub owners and DNS names have none).
 *
 * @example
 * ```ts
 * checkNamespace(parseServerJson(text), { repository: 'https://github.com/acme/weather' }); // ok for io.github.acme/...
 * ```
 * @throws SupplyError `namespace`.
 */
export function checkNamespace(server: ServerJson, identity: VerifiedIdentity): void {
  const ns = server.namespace.toLowerCase();
  if ('repository' in identity) {
    let owner: string | null = null;
    try {
      const u = new URL(identity.repository);
      const parts = u.pathname.split('/').filter((p) => p !== '');
      if (u.protocol === 'https:' && u.hostname === 'github.com' && u.port === '' && u.username === '' && parts.length === 2) owner = (parts[0] as string).toLowerCase();
    } catch {
      owner = null;
    }
    if (owner === null) throw new SupplyError('namespace', `The verified repository ${JSON.stringify(identity.repository)} is not a https://github.com/<owner>/<repo> URL, so it proves no namespace.`);
    if (ns !== `io.github.${owner}`) throw new SupplyError('namespace', `server.json names ${JSON.stringify(server.name)}, but the provenance proves only the namespace io.github.${owner}.`);
    return;
  }
  if (!identity.namespaces.some((n) => n.toLowerCase() === ns)) {
    throw new SupplyError('namespace', `server.json names ${JSON.stringify(server.name)}, but the publisher ${identity.publisher} is accepted only for ${identity.namespaces.length === 0 ? 'no namespace' : identity.namespaces.join(', ')}.`);
  }
}
