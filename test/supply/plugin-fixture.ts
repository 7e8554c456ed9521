/** A small real plugin on disk (module code, package.json, a lockfile with two dependencies) for the supply tests. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PluginSpec } from '../../src/supply/sign-plugin.js';

export const LOCK = {
  name: 'weather',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'weather', version: '1.0.0', dependencies: { 'left-pad': '1.3.0' } },
    'node_modules/left-pad': { version: '1.3.0', resolved: 'https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz', integrity: 'sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEJ6HPjRwPHXK2J7VxsbS0WwHMeunzeOgnrTMgKxoq9Yoqg==' },
    'node_modules/ms': { version: '2.1.3', resolved: 'https://registry.npmjs.org/ms/-/ms-2.1.3.tgz', integrity: 'sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==' },
  },
};

export const SPEC: PluginSpec = {
  name: 'weather',
  pluginVersion: '1.0.0',
  entry: ['index.mjs'],
  tools: [{ name: 'forecast', description: 'Weather forecast for a city', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } }],
  permissions: { tools: ['forecast'], egress: ['api.weather.example'], paths: [] },
};

/** Makes a plugin directory; its top level writes `marker` (an absolute path) when imported. */
export function makePlugin(marker: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-plugin-'));
  writeFileSync(join(dir, 'index.mjs'), `import { writeFileSync } from 'node:fs';\nimport { city } from './lib/city.mjs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport const forecast = (c) => \`sunny in \${city(c)}\`;\n`);
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'lib', 'city.mjs'), 'export const city = (c) => String(c).trim();\n');
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'weather', version: '1.0.0', type: 'module', dependencies: { 'left-pad': '1.3.0' } }, null, 2)}\n`);
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(LOCK, null, 2)}\n`);
  return dir;
}
