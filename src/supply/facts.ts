/**
 * Verification results as facts a policy reads (`context.plugin`), and the deny rules that hold a
 * verified plugin's tools to the permissions its manifest declared.
 */
import type { PluginPermissions } from './manifest.js';
import type { VerifiedPlugin } from './verify-plugin.js';

/**
 * What rules see as `context.plugin` for a call to a verified plugin's or server's tool. The
 * enforcement point sets it (the MCP gateway for an upstream with `verify`), replacing anything
 * the caller passed under that key.
 *
 * @example
 * ```ts
 * const f: PluginFacts = { verified: true, publisher: 'did:key:z6Mk...', name: 'weather', version: '1.0.0', permissions: { tools: ['forecast'], egress: ['api.weather.example'], paths: [] } };
 * ```
 */
export interface PluginFacts {
  verified: boolean;
  /** The signing did:key, or the provenance's source repository URL. */
  publisher: string;
  name: string;
  version: string;
  /** Declared permissions; for provenance-verified servers (no manifest) all three lists are empty. */
  permissions: PluginPermissions;
}

/**
 * The facts of a plugin that verified (verifyPlugin, loadVerifiedPlugin), for the context of the
 * calls your own code makes to it through `govern()` or a Governor.
 *
 * @example
 * ```ts
 * const { module, plugin } = await loadVerifiedPlugin('plugins/weather', { publishers: [acme.did] });
 * const forecast = govern(module.forecast, { tool: 'forecast', governor, context: { plugin: pluginFacts(plugin) } });
 * ```
 */
export function pluginFacts(plugin: VerifiedPlugin): PluginFacts {
  return { verified: true, publisher: plugin.publisher, name: plugin.manifest.name, version: plugin.manifest.pluginVersion, permissions: plugin.permissions };
}

/**
 * The text of a warden/v1 policy that denies what a plugin did not declare: a tool outside
 * `permissions.tools`, a network destination (any URL in the arguments, or a shell command's) whose
 * host is not one of `permissions.egress` or is not known, and a read, write or delete of a path not
 * certainly within one of `permissions.paths` (for tools whose path arguments the policy binds).
 * Deny rules only: another policy still has to allow.
 *
 * @example
 * ```ts
 * const text = permissionPolicy('weather', { tools: ['forecast'], egress: ['api.weather.example'], paths: [] }, ['weather__*']);
 * ```
 */
export function permissionPolicy(name: string, p: PluginPermissions, tools: readonly string[] = ['*']): string {
  const list = (xs: readonly string[]): string => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
  const scope = list(tools);
  const rules = [
    `  - name: plugin-undeclared-tool\n    tools: ${scope}\n    when: "!(tool in ${list(p.tools).replaceAll('"', "'")})"\n    effect: deny\n    reason: The plugin's signed manifest does not declare this tool`,
    `  - name: plugin-undeclared-egress\n    tools: ${scope}\n    when: "effects.network.exists(d, !d.known || !(d.host in ${list(p.egress).replaceAll('"', "'")}))"\n    effect: deny\n    reason: The plugin reaches a host its signed manifest does not declare`,
    `  - name: plugin-undeclared-path\n    tools: ${scope}\n    when: "[effects.reads, effects.writes, effects.deletes].exists(l, l.exists(e, !${list(p.paths).replaceAll('"', "'")}.exists(r, effectWithin(e, r))))"\n    effect: deny\n    reason: The plugin touches a path its signed manifest does not declare`,
  ];
  return `apiVersion: warden/v1\nkind: Policy\nname: ${JSON.stringify(`plugin-permissions-${name}`)}\nrules:\n${rules.join('\n')}\n`;
}
