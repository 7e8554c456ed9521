/**
 * Making a plugin manifest: hash every file of the plugin directory and every dependency its
 * package-lock.json resolves, and sign the result with the publisher's key.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentKey } from '../identity/agent-key.js';
import { sign } from '../identity/sign.js';
import { fileDigest, pluginFiles } from './files.js';
import { lockedDependencies } from './lockfile.js';
import { checkManifest, MANIFEST_FILE, MANIFEST_KIND, MANIFEST_PURPOSE, toolDefinitionDigest, type PluginManifest, type PluginPermissions } from './manifest.js';

/**
 * What the publisher declares; the files and dependencies are read from the directory.
 *
 * @example
 * ```ts
 * const spec: PluginSpec = { name: 'weather', pluginVersion: '1.0.0', entry: ['index.mjs'], tools: [{ name: 'forecast', inputSchema: { type: 'object' } }], permissions: { tools: ['forecast'], egress: ['api.weather.example'], paths: [] } };
 * ```
 */
export interface PluginSpec {
  name: string;
  pluginVersion: string;
  entry: string[];
  /** Tool definitions (MCP `Tool` objects); the manifest records each one's name and digest. */
  tools: Array<{ name: string } & Record<string, unknown>>;
  permissions: PluginPermissions;
}

/**
 * Builds and signs the manifest of the plugin in `dir`; writes it to `<dir>/warden-plugin.json`
 * unless `write` is false.
 *
 * @example
 * ```ts
 * const manifest = await signPlugin('plugins/weather', spec, publisher, { now: new Date() });
 * ```
 * @throws SupplyError when the directory holds a symlink, has no package-lock.json, or the spec is malformed.
 */
export async function signPlugin(dir: string, spec: PluginSpec, publisher: AgentKey, options: { now: Date; write?: boolean }): Promise<PluginManifest> {
  const files: Record<string, string> = {};
  for (const f of await pluginFiles(dir)) files[f] = await fileDigest(dir, f);
  const body = {
    kind: MANIFEST_KIND,
    version: 1 as const,
    name: spec.name,
    pluginVersion: spec.pluginVersion,
    entry: [...spec.entry],
    tools: spec.tools.map((t) => ({ name: t.name, definition: toolDefinitionDigest(t) })),
    permissions: { tools: [...spec.permissions.tools], egress: [...spec.permissions.egress], paths: [...spec.permissions.paths] },
    files,
    dependencies: await lockedDependencies(dir),
    publisher: publisher.did,
    signedAt: options.now.toISOString(),
  };
  const manifest = checkManifest({ ...body, signature: sign(publisher, MANIFEST_PURPOSE, body) });
  if (options.write !== false) await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
