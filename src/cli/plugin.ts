/**
 * `warden plugin sign|verify|inspect`: signed plugin manifests and npm provenance, offline.
 * Exit 0 when verified (or signed), 1 when verification failed (with its reason), 2 for a usage
 * error.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileKeyStore } from '../identity/key-store.js';
import type { Failed } from '../supply/errors.js';
import { DEFAULT_IDENTITY_DIR, ioOf, nowFlag, readBytes, readJsonFile, runCommand, usage, type Io } from './identity-io.js';

interface SignOptions {
  key: string;
  dir: string;
  entry?: string[];
  tools?: string;
  allowTool?: string[];
  egress?: string[];
  path?: string[];
  now?: string;
  json?: boolean;
}

interface VerifyOptions {
  publisher?: string[];
  namespace?: string[];
  revocations?: string;
  revocationIssuer?: string;
  serverJson?: string;
  npm?: string;
  bundle?: string;
  issuer?: string;
  repository?: string;
  workflow?: string;
  ref?: string;
  subject?: string;
  trustedRoot?: string;
  json?: boolean;
}

/**
 * Adds `warden plugin` and its subcommands to a commander program.
 *
 * @example
 * ```ts
 * registerPluginCommand(new Command('warden'));
 * ```
 */
export function registerPluginCommand(program: Command): void {
  const plugin = program.command('plugin').description('signed plugin manifests and npm provenance: sign, verify, inspect (offline)');
  plugin
    .command('sign')
    .description('hash every file and locked dependency of a plugin directory and sign warden-plugin.json with an identity key')
    .argument('<dir>', 'the plugin directory (with package.json and package-lock.json)')
    .option('--key <name>', 'the identity key that signs (warden id new <name>)', 'default')
    .option('--dir <dir>', 'the key store directory', DEFAULT_IDENTITY_DIR)
    .option('--entry <files...>', 'entry points, relative to the plugin directory (default: package.json main, else index.js)')
    .option('--tools <file>', 'a JSON list of the tool definitions the plugin provides (MCP Tool objects)')
    .option('--allow-tool <names...>', 'permission: tools the plugin may be called as (default: the names in --tools)')
    .option('--egress <hosts...>', 'permission: hosts the plugin may reach')
    .option('--path <dirs...>', 'permission: absolute directories the plugin may read and write')
    .option('--now <iso>', 'the signing time (default now)')
    .option('--json', 'print the manifest as JSON')
    .action(async (dir: string, opts: SignOptions, command: Command) => {
      const io = ioOf(command);
      await runCommand(io, 'plugin sign', async () => {
        const { signPlugin } = await import('../supply/sign-plugin.js');
        const pkg = (await readJsonFile(join(dir, 'package.json'))) as { name?: unknown; version?: unknown; main?: unknown };
        if (typeof pkg?.name !== 'string' || typeof pkg.version !== 'string') throw usage(`${join(dir, 'package.json')} needs a name and a version.`);
        const tools = opts.tools === undefined ? [] : await readJsonFile(opts.tools);
        if (!Array.isArray(tools) || !tools.every((t) => t !== null && typeof t === 'object' && typeof (t as { name?: unknown }).name === 'string')) throw usage('--tools must be a JSON list of tool definitions, each with a name.');
        const entry = opts.entry ?? [typeof pkg.main === 'string' ? pkg.main.replace(/^\.\//, '') : 'index.js'];
        const key = await new FileKeyStore(opts.dir).load(opts.key);
        const manifest = await signPlugin(dir, {
          name: pkg.name,
          pluginVersion: pkg.version,
          entry,
          tools: tools as Array<{ name: string }>,
          permissions: { tools: opts.allowTool ?? (tools as Array<{ name: string }>).map((t) => t.name), egress: opts.egress ?? [], paths: opts.path ?? [] },
        }, key, { now: nowFlag(opts.now) });
        if (opts.json === true) io.out(`${JSON.stringify(manifest, null, 2)}\n`);
        else io.out(`SIGNED  ${manifest.name}@${manifest.pluginVersion} by ${manifest.publisher}\n  ${Object.keys(manifest.files).length} files, ${Object.keys(manifest.dependencies).length} dependencies -> ${join(dir, 'warden-plugin.json')}\n`);
        return 0;
      });
    });
  plugin
    .command('verify')
    .description('verify a plugin directory against its signed manifest, or (--npm) a tarball against its Sigstore provenance; exit 0 verified, 1 not (with the reason)')
    .argument('[dir]', 'the plugin directory (not with --npm)')
    .option('--publisher <dids...>', 'accepted publishers (did:key)')
    .option('--namespace <namespaces...>', 'MCP registry namespaces the accepted publishers may use (io.github.acme), for --server-json')
    .option('--revocations <file>', 'a signed revocation list (warden id revoke)')
    .option('--revocation-issuer <did>', 'who keeps the revocation list (its signature must verify with this DID)')
    .option('--server-json <file>', "an MCP server.json whose namespace must match the verified identity")
    .option('--npm <tarball>', 'an npm package tarball (.tgz) to verify instead of a directory')
    .option('--bundle <file>', 'the Sigstore provenance bundle of --npm')
    .option('--issuer <url>', 'accepted OIDC issuer of the signing certificate', 'https://token.actions.githubusercontent.com')
    .option('--repository <url>', 'accepted source repository (https://github.com/owner/repo)')
    .option('--workflow <path>', 'accepted workflow file (.github/workflows/release.yml)')
    .option('--ref <ref>', 'accepted git ref (refs/heads/main, refs/tags/v1.0.0)')
    .option('--subject <san>', 'accepted certificate subject (an email or URI), instead of a repository')
    .option('--trusted-root <file>', 'a Sigstore trusted_root.json (default: the pinned public-good root)')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string | undefined, opts: VerifyOptions, command: Command) => {
      const io = ioOf(command);
      await runCommand(io, 'plugin verify', async () => (opts.npm !== undefined ? verifyNpm(io, dir, opts) : verifyDir(io, dir, opts)));
    });
  plugin
    .command('inspect')
    .description("print a plugin's manifest: publisher, permissions, files, dependencies (NOT a verification)")
    .argument('<dir>', 'the plugin directory')
    .option('--json', 'print the manifest as JSON')
    .action(async (dir: string, opts: { json?: boolean }, command: Command) => {
      const io = ioOf(command);
      await runCommand(io, 'plugin inspect', async () => {
        const { parseManifest } = await import('../supply/manifest.js');
        const m = parseManifest(Buffer.from(await readBytes(join(dir, 'warden-plugin.json'))).toString('utf8'));
        if (opts.json === true) {
          io.out(`${JSON.stringify(m, null, 2)}\n`);
          return 0;
        }
        io.out(`${m.name}@${m.pluginVersion}  (not verified: run warden plugin verify)\n  publisher  ${m.publisher}\n  signed at  ${m.signedAt}\n  entry      ${m.entry.join(', ')}\n  tools      ${m.tools.map((t) => t.name).join(', ') || '(none)'}\n  may call   ${m.permissions.tools.join(', ') || '(none)'}\n  egress     ${m.permissions.egress.join(', ') || '(none)'}\n  paths      ${m.permissions.paths.join(', ') || '(none)'}\n  files      ${Object.keys(m.files).length}\n  deps       ${Object.keys(m.dependencies).length}\n`);
        return 0;
      });
    });
}

async function verifyDir(io: Io, dir: string | undefined, opts: VerifyOptions): Promise<number> {
  if (dir === undefined) throw usage('Give the plugin directory, or --npm <tarball> --bundle <file>.');
  if (opts.publisher === undefined || opts.publisher.length === 0) throw usage('Give the accepted publishers: --publisher did:key:...');
  const { verifyUpstream, readRevocations } = await import('../supply/upstream-verify.js');
  const { verifyPlugin } = await import('../supply/verify-plugin.js');
  const { SupplyError } = await import('../supply/errors.js');
  if ((opts.revocations === undefined) !== (opts.revocationIssuer === undefined)) throw usage('--revocations needs --revocation-issuer (who keeps the list), and the other way round.');
  const publishers = opts.publisher.map((did) => ({ did, namespaces: opts.namespace ?? [] }));
  try {
    const revocations = opts.revocations === undefined ? undefined : await readRevocations(opts.revocations, opts.revocationIssuer as string);
    const plugin = { dir, publishers, ...(revocations !== undefined ? { revocations } : {}) };
    if (opts.serverJson !== undefined) {
      const { facts } = await verifyUpstream({ plugin, serverJson: opts.serverJson });
      return report(io, opts, { ok: true, name: facts.name, version: facts.version, publisher: facts.publisher, permissions: facts.permissions });
    }
    const r = await verifyPlugin(dir, plugin);
    return report(io, opts, r.ok ? { ok: true, name: r.manifest.name, version: r.manifest.pluginVersion, publisher: r.publisher, permissions: r.permissions } : r);
  } catch (e) {
    if (e instanceof SupplyError) return report(io, opts, { ok: false, code: 'ERR_SUPPLY', reason: e.reason, message: e.message });
    throw e;
  }
}

async function verifyNpm(io: Io, dir: string | undefined, opts: VerifyOptions): Promise<number> {
  if (dir !== undefined) throw usage('Give either a plugin directory or --npm <tarball>, not both.');
  if (opts.bundle === undefined) throw usage('--npm needs --bundle <file>: the Sigstore provenance bundle (npm view <pkg> dist.attestations names where to get it).');
  if (opts.repository === undefined && opts.subject === undefined) throw usage('Say whose provenance is accepted: --repository https://github.com/owner/repo (with --workflow and --ref), or --subject.');
  const { verifyNpmProvenance } = await import('../supply/provenance.js');
  const identity = { issuer: opts.issuer ?? 'https://token.actions.githubusercontent.com', ...pick(opts, ['repository', 'workflow', 'ref', 'subject']) };
  const trustedRoot = opts.trustedRoot === undefined ? undefined : await readJsonFile(opts.trustedRoot);
  const r = await verifyNpmProvenance({ tarball: await readBytes(opts.npm as string), bundle: Buffer.from(await readBytes(opts.bundle)).toString('utf8'), identities: [identity], ...(trustedRoot !== undefined ? { trustedRoot } : {}) });
  if (r.ok && opts.serverJson !== undefined) {
    const { checkNamespace, parseServerJson } = await import('../supply/server-json.js');
    const { SupplyError } = await import('../supply/errors.js');
    try {
      if (r.identity.repository === undefined) throw new SupplyError('namespace', 'The provenance names no source repository, so it proves no server.json namespace.');
      checkNamespace(parseServerJson(await readFile(opts.serverJson, 'utf8')), { repository: r.identity.repository });
    } catch (e) {
      if (e instanceof SupplyError) return report(io, opts, { ok: false, code: 'ERR_SUPPLY', reason: e.reason, message: e.message });
      throw e;
    }
  }
  return report(io, opts, r.ok ? { ok: true, package: r.package, identity: r.identity, signedAt: r.signedAt.toISOString(), predicateType: r.predicateType } : r);
}

function report(io: Io, opts: { json?: boolean }, r: ({ ok: true } & Record<string, unknown>) | Failed): number {
  if (opts.json === true) io.out(`${JSON.stringify(r)}\n`);
  else if (r.ok) io.out(`VERIFIED  ${JSON.stringify(r.package ?? { name: r.name, version: r.version })}\n  ${r.publisher !== undefined ? `publisher ${String(r.publisher)}` : `identity ${JSON.stringify(r.identity)}`}\n`);
  else io.out(`NOT VERIFIED  ${r.code} ${r.reason}: ${r.message}\n`);
  return r.ok ? 0 : 1;
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
