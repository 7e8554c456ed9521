/**
 * Nothing loads before it verifies: {@link loadVerifiedPlugin} verifies the plugin directory
 * against its signed manifest and only then imports the entry point. A plugin that fails is never
 * imported, so none of its module code (top-level statements included) runs.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SupplyError } from './errors.js';
import { verifyPlugin, type VerifiedPlugin, type VerifyPluginOptions } from './verify-plugin.js';

/**
 * Options of {@link loadVerifiedPlugin}: those of verifyPlugin, and which entry point to import.
 *
 * @example
 * ```ts
 * const options: LoadPluginOptions = { publishers: [acme.did], entry: 'index.mjs' };
 * ```
 */
export interface LoadPluginOptions extends VerifyPluginOptions {
  /** The entry point to import; one of the manifest's `entry`. Default: its first. */
  entry?: string;
}

/**
 * Verifies the plugin in `dir`, then imports its entry point; returns the module and what verified.
 *
 * The verification and the import read the same files at two moments: keep plugin directories
 * where the agent and the plugin cannot write (a directory only the operator owns).
 *
 * @example
 * ```ts
 * const { module, plugin } = await loadVerifiedPlugin('plugins/weather', { publishers: [acme.did] });
 * ```
 * @throws SupplyError with the reason of the failed check; the plugin was not imported.
 */
export async function loadVerifiedPlugin(dir: string, options: LoadPluginOptions): Promise<{ module: Record<string, unknown>; plugin: VerifiedPlugin }> {
  const { entry, ...verifyOptions } = options;
  const result = await verifyPlugin(dir, verifyOptions);
  if (!result.ok) throw new SupplyError(result.reason, result.message);
  const chosen = entry ?? result.manifest.entry[0];
  if (chosen === undefined || !result.manifest.entry.includes(chosen)) {
    throw new SupplyError('entry', `${JSON.stringify(chosen ?? '')} is not an entry point of the signed manifest (${result.manifest.entry.join(', ') || 'none declared'}).`);
  }
  const module = (await import(pathToFileURL(join(dir, ...chosen.split('/'))).href)) as Record<string, unknown>;
  return { module, plugin: result };
}
