/** `warden bundle build|sign|verify`: signed policy bundles for `warden serve --bundle`. */
import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { loadPrivateKey, loadPublicKey } from '../audit/keys.js';
import { WardenError } from '../errors.js';
import { buildBundle } from '../server/bundle-build.js';
import { BundleError, bundleText, MAX_BUNDLE_BYTES } from '../server/bundle-format.js';
import { signBundle } from '../server/bundle-sign.js';
import { parseBundle, verifyBundle } from '../server/bundle-verify.js';
import { EXIT, reportFatal } from './output.js';

/**
 * Registers `warden bundle`.
 *
 * @example
 * ```ts
 * registerBundleCommand(program); // warden bundle build policies/ --revision 3 --out policy.bundle.json
 * ```
 */
export function registerBundleCommand(program: Command): void {
  const bundle = program.command('bundle').description('Signed policy bundles: build one from policy files, sign it with an Ed25519 key (warden keygen), verify it as warden serve does.');
  bundle
    .command('build')
    .description('Pack policy files (and data files with --data) with a manifest of their SHA-256 hashes and a revision (unsigned).')
    .argument('<paths...>', 'policy files or directories')
    .requiredOption('--revision <n>', 'the revision: a positive whole number, higher than the bundle it replaces')
    .requiredOption('--out <file>', 'where to write the bundle')
    .option('--data <paths...>', 'data files or directories (.json, .yaml, .yml) to include under data/, hashed and signed like the policies; Rego policies read data/acl/hosts.json as data.acl.hosts')
    .action(async (paths: string[], opts: { revision: string; out: string; data?: string[] }) => {
      process.exitCode = await run(async () => {
        if (!/^[1-9]\d{0,15}$/.test(opts.revision)) throw new WardenError('ERR_USAGE', `--revision must be a positive whole number; got ${JSON.stringify(opts.revision)}.`);
        const built = await buildBundle(paths, Number(opts.revision), opts.data ?? []);
        await writeAtomically(opts.out, bundleText(built));
        console.error(`Wrote ${opts.out}: revision ${built.manifest.revision}, ${built.manifest.files.length} file(s), unsigned (warden bundle sign ${opts.out} --key <private key>).`);
      });
    });
  bundle
    .command('sign')
    .description('Sign the bundle manifest with an Ed25519 private key (a PEM file, as warden keygen writes).')
    .argument('<bundle>', 'the bundle file')
    .requiredOption('--key <file>', 'the Ed25519 private key (PEM)')
    .option('--out <file>', 'write the signed bundle here instead of replacing the input')
    .action(async (file: string, opts: { key: string; out?: string }) => {
      process.exitCode = await run(async () => {
        const signed = signBundle(parseBundle(await readBounded(file)), await loadPrivateKey(opts.key));
        await writeAtomically(opts.out ?? file, bundleText(signed));
        console.error(`Signed ${opts.out ?? file} (revision ${signed.manifest.revision}) with ${(signed.signatures.at(-1) as { keyid: string }).keyid}.`);
      });
    });
  bundle
    .command('verify')
    .description('Verify a bundle as warden serve does: signature by the key, every file against the signed manifest. Exit 0 and print the revision, or exit 2 with the reason.')
    .argument('<bundle>', 'the bundle file')
    .requiredOption('--key <file>', 'the Ed25519 public key trusted to sign bundles (PEM)')
    .action(async (file: string, opts: { key: string }) => {
      process.exitCode = await run(async () => {
        const v = verifyBundle(await readBounded(file), await loadPublicKey(opts.key));
        process.stdout.write(`${JSON.stringify({ ok: true, revision: v.revision, keyid: v.keyid, manifest: v.manifestDigest, files: v.sources.map((s) => s.name), data: v.data.map((s) => s.name) })}\n`);
      });
    });
}

async function run(fn: () => Promise<void>): Promise<number> {
  try {
    await fn();
    return EXIT.ok;
  } catch (e) {
    if (e instanceof BundleError) {
      process.stdout.write(`${JSON.stringify({ ok: false, reason: e.reason, message: e.message })}\n`);
      console.error(`warden: ${e.message}`);
      return EXIT.invalid;
    }
    return reportFatal(e);
  }
}

async function readBounded(file: string): Promise<string> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    throw new BundleError('unreadable', `Cannot read the bundle ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
  }
  if (data.length > MAX_BUNDLE_BYTES) throw new BundleError('too_large', `The bundle ${file} is over ${MAX_BUNDLE_BYTES} bytes.`);
  return data.toString('utf8');
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, { flag: 'wx', mode: 0o644 });
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw new WardenError('ERR_INPUT', `Cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`, { cause: e });
  }
}
