/**
 * Supply-chain bench: what verification costs before a plugin or server starts, beside what it is
 * built from. A plugin: Warden's full check of the example weather server (manifest, signature,
 * 98 locked dependencies, every file re-hashed) beside only hashing the same files with node:crypto
 * (the floor: reading and SHA-256). Provenance: Warden's check of sigstore@1.0.0 (bundle, trust
 * root, Sigstore verification, identity, subject and package) beside `@sigstore/verify` alone on
 * the same bundle (its signature, chain and log checks, nothing about who or what).
 *
 * Run: `npm run bench -- supply`
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { PUBLIC_GOOD_TRUSTED_ROOT } from '../src/supply/sigstore-trusted-root.js';
import { verifyNpmProvenance } from '../src/supply/provenance.js';
import { verifyPlugin } from '../src/supply/verify-plugin.js';
import { parseManifest } from '../src/supply/manifest.js';
import { measureAsync, printTable } from './stats.js';

/** Runs the supply benches and prints their tables. */
export async function run(): Promise<void> {
  // Under dist-bench/bench/: the repository is two levels up.
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const plugin = join(root, 'examples', 'supply', 'weather');
  const manifest = parseManifest(readFileSync(join(plugin, 'warden-plugin.json'), 'utf8'));
  const files = Object.keys(manifest.files);
  const publishers = [manifest.publisher];
  const check = await verifyPlugin(plugin, { publishers });
  if (!check.ok) throw new Error(`the example plugin does not verify: ${check.message}`);
  const pluginRows = [
    await measureAsync(`verifyPlugin (${files.length} files, ${Object.keys(manifest.dependencies).length} deps)`, () => verifyPlugin(plugin, { publishers }), { samples: 300, warmup: 30 }),
    await measureAsync('sha256 of the same files only', async () => {
      for (const f of files) createHash('sha256').update(await readFile(join(plugin, f))).digest('hex');
    }, { samples: 300, warmup: 30 }),
  ];
  printTable(`plugin verification (load ${loadavg()[0]?.toFixed(1)})`, pluginRows);

  const fixtures = join(root, 'test', 'fixtures', 'supply');
  const tarball = readFileSync(join(fixtures, 'sigstore-1.0.0.tgz'));
  const bundleText = readFileSync(join(fixtures, 'sigstore-1.0.0.publish.sigstore.json'), 'utf8');
  const identities = [{ issuer: 'https://github.com/login/oauth', subject: 'brian@dehamer.com' }];
  const first = await verifyNpmProvenance({ tarball, bundle: bundleText, identities });
  if (!first.ok) throw new Error(`the provenance fixture does not verify: ${first.message}`);
  const trust = toTrustMaterial(TrustedRoot.fromJSON(PUBLIC_GOOD_TRUSTED_ROOT));
  const provenanceRows = [
    await measureAsync('verifyNpmProvenance (sigstore@1.0.0, 91 KB)', () => verifyNpmProvenance({ tarball, bundle: bundleText, identities }), { samples: 200, warmup: 20 }),
    await measureAsync('@sigstore/verify alone (same bundle)', async () => new Verifier(trust).verify(toSignedEntity(bundleFromJSON(JSON.parse(bundleText)))), { samples: 200, warmup: 20 }),
  ];
  printTable(`npm provenance, offline (load ${loadavg()[0]?.toFixed(1)})`, provenanceRows);
}
