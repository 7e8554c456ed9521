#!/usr/bin/env node
/**
 * The package build: type declarations from tsc, JavaScript from esbuild.
 *
 * Why a bundle: a Warden process is often short-lived (the Claude Code hook runs once per tool
 * call, `warden check` once per request), and loading ~200 small files (ours and yaml's, cel-js's,
 * unbash's) cost more than running the decision. esbuild builds every public entry (each subpath
 * export and the `warden` command) in one pass with code splitting, so each entry and each
 * `await import()` loads only the chunks it needs, and entries share chunks (one copy of the
 * policy engine, one class identity). `warden check` is built again as the only entry of a split
 * of its own (dist/check/): the shared split cut its path into ~40 small chunks, each a
 * resolution and an instantiation per process. The hook, which runs once per tool call, is built
 * again the same way (dist/hook/), its engine as one script run with a code cache of its own (see
 * src/integrations/claude-code/in-process-script.ts).
 *
 * The pure-JavaScript libraries the engine uses are bundled in (see BUNDLED); the rest stay
 * ordinary dependencies resolved from node_modules (see EXTERNAL: WebAssembly, very large or
 * optional packages, peers). A bare import of anything else fails the build, so a dependency is
 * never bundled by accident. The licences of the bundled packages are copied into
 * dist/THIRD_PARTY_LICENSES.txt.
 *
 * Usage: node scripts/build.mjs [--out <dir>] [--no-types] [--metafile <file>]
 *   --out       where to write (default: dist); tests build into a private temporary directory
 *   --no-types  skip the declaration files (tests need only the JavaScript)
 *   --metafile  also write esbuild's metafile (which source went into which chunk) to <file>
 */
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** Bundled into dist (pure JavaScript, loaded on the decision path). Their own dependencies come along. */
export const BUNDLED = ['@marcbachmann/cel-js', 'commander', 'ipaddr.js', 're2js', 'tldts', 'tldts-core', 'unbash', 'yaml', 'jose', '@ipld/dag-cbor', 'cborg', 'multiformats'];

/** The hook's bundle entry, under the output directory (see main()). */
const HOOK_ENTRY = 'hook/main';
/** `warden check`'s bundle entry (its command module, registered into the main build's commander). */
const CHECK_ENTRY = 'check/main';

/**
 * Modules a synchronous function loads on first use (src/lib/lazy-module.ts), by their path under
 * src/ without extension. Each becomes an entry of every build, `lazy-<path with dashes>.js` in the
 * build's chunk folder, and so does the loader itself: its code then sits in that folder too (as
 * an entry, or in a chunk shared with the entries that import it), where it looks for them.
 */
const lazyList = JSON.parse(readFileSync(join(ROOT, 'scripts', 'lazy-modules.json'), 'utf8'));
export const LAZY_MODULES = lazyList.modules;
/** The lazy modules the hook's and `warden check`'s own builds bundle into their chunks (see inlineLazyModules). */
const INLINE_LAZY = lazyList.inline;
const LAZY_LOADER = 'lib/lazy-module';

/** The lazy modules' entries (and the loader's) for a build whose chunks go to `chunkDir`. */
function lazyEntries(chunkDir) {
  const entries = {};
  for (const name of [...LAZY_MODULES, LAZY_LOADER]) {
    const src = join(ROOT, 'src', `${name}.ts`);
    if (!existsSync(src)) throw new Error(`build: the lazy module ${name} has no source ${relative(ROOT, src)}`);
    entries[`${chunkDir}/lazy-${name.replaceAll('/', '-')}`] = src;
  }
  return entries;
}

/**
 * For the hook's and `warden check`'s own builds: the loader replaced by one that imports the
 * lazy modules listed as "inline" statically, as before they were lazy. Those builds exist for one
 * short-lived process whose policy nearly always reads them (the starter policy reads the shell
 * and URL facets): measured with callgrind on a warm hook event, extra entries (more, smaller
 * chunks, plus require()'s loader) cost 7% more instructions, and require() inside the bundle
 * (esbuild's lazily initialised modules, whose code V8's code cache does not hold) 23% more.
 */
const inlineLazyModules = inlineLazyLoader('import');

/**
 * The hook's script (dist/hook/in-process.cjs) bundles the same modules, but each initialises when
 * first asked for, as lazyModule() does elsewhere: a bundled `require()` of an ES module is
 * esbuild's lazy wrapper (`init_x()`), and the script's V8 code cache, made after an event ran,
 * holds the code of whatever that event initialised. An event that needs no URL or Kubernetes
 * facet, detector or RE2 pattern then neither runs their module code (the public-suffix trie, the
 * output detectors' tables) nor deserializes it.
 */
const inlineLazyModulesOnFirstUse = inlineLazyLoader('require');

/** The inline loader plugin; `how`: 'import' (initialised with the loader) or 'require' (on first use). */
function inlineLazyLoader(how) {
  return {
    name: `inline-lazy-modules-${how}`,
    setup(b) {
      const loader = join(ROOT, 'src', `${LAZY_LOADER}.ts`);
      b.onLoad({ filter: /[\\/]lib[\\/]lazy-module\.ts$/ }, (args) => {
        if (args.path !== loader) return undefined;
        const imports = how === 'import' ? INLINE_LAZY.map((name, i) => `import * as m${i} from ${JSON.stringify(`../${name}.ts`)};`).join('\n') : '';
        const table = INLINE_LAZY.map((name, i) => `  ${JSON.stringify(name)}: ${how === 'import' ? `() => m${i}` : `() => require(${JSON.stringify(`../${name}.ts`)})`},`).join('\n');
        const contents = `import { WardenError } from '../errors.js';
${imports}
const TABLE = {
${table}
};
export function provideLazyModule() {}
export function lazyModuleUrl(name) { return new URL(\`bundled:\${name}\`); }
const failed = new Map();
export function lazyModule(name) {
  let loaded;
  return () => {
    if (loaded !== undefined) return loaded;
    const get = Object.hasOwn(TABLE, name) ? TABLE[name] : undefined;
    if (get === undefined) throw new WardenError('ERR_MODULE_LOAD', \`Warden could not load its \${name} module: this build does not have it.\`);
    // A module whose initialisation threw is never handed out half-initialised: every ask fails.
    const failure = failed.get(name);
    if (failure !== undefined) throw new WardenError('ERR_MODULE_LOAD', \`Warden could not load its \${name} module: \${failure}\`);
    try {
      return (loaded = get());
    } catch (e) {
      failed.set(name, e instanceof Error ? e.message.split('\\n')[0] : String(e));
      throw new WardenError('ERR_MODULE_LOAD', \`Warden could not load its \${name} module: \${failed.get(name)}\`, { cause: e });
    }
  };
}
`;
        return { contents, loader: 'js', resolveDir: dirname(loader) };
      });
    },
  };
}

/** Fails when a build with the inline loader reaches a lazyModule() call for a module it does not bundle. */
function checkInlineCoverage(metafile, label) {
  const missing = [];
  for (const input of Object.keys(metafile.inputs)) {
    const file = resolve(process.cwd(), input);
    if (!file.startsWith(join(ROOT, 'src')) || file === join(ROOT, 'src', `${LAZY_LOADER}.ts`)) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/lazyModule<[^>]*>\('([^']+)'\)/g)) if (!INLINE_LAZY.includes(m[1])) missing.push(`${relative(ROOT, file)} asks for ${m[1]}`);
  }
  if (missing.length > 0) throw new Error(`build: ${label} reaches lazy modules it does not bundle (add them to "inline" in scripts/lazy-modules.json):\n  ${missing.join('\n  ')}`);
}

/** Fails when the loader's code did not land in the chunk folder, where it looks for the lazy entries. */
function checkLazyLayout(metafile, coreMetafile, outDir, chunkDir) {
  const loaderSrc = relative(process.cwd(), join(ROOT, 'src', `${LAZY_LOADER}.ts`));
  const holders = [...Object.entries(metafile.outputs), ...Object.entries(coreMetafile.outputs)].filter(([, o]) => Object.keys(o.inputs).includes(loaderSrc)).map(([f]) => f);
  // The metafile's paths are relative to esbuild's working directory, the process's.
  const want = relative(process.cwd(), join(outDir, chunkDir));
  const wrong = holders.filter((f) => dirname(f) !== want);
  if (holders.length === 0 || wrong.length > 0) throw new Error(`build: the lazy-module loader must be in ${want}/, found in ${holders.join(', ') || 'no output'}`);
  for (const name of LAZY_MODULES) {
    const file = `${want}/lazy-${name.replaceAll('/', '-')}.js`;
    if (!(file in metafile.outputs)) throw new Error(`build: the lazy module ${name} has no entry ${file}`);
  }
}

/** The package's root entry, whose static closure is built as a few layer chunks (see buildCore). */
const CORE_ENTRY = 'index';
/** The entries the root's modules are grouped by (see buildCore): the `warden` command, and subpaths that use a part of the root. */
const LAYER_KEYS = ['cli/main', 'facets/index', 'sandbox/index', 'integrations/mcp/index', 'audit/index', 'integrations/claude-code/index'];
/** A group of the root's modules with less source than this goes into the base layer (see buildCore). */
const LAYER_MIN_BYTES = 8 * 1024;
/** What an output imports a layer's chunk as until link() writes the chunk's path relative to that output. */
const layerPlaceholder = (layer) => `__warden_layer_${layer}__`;

/**
 * The root entry's static closure (every module `import('agent-warden')` evaluates) as a few
 * layer chunks, dist/chunks/base.js, core.js and root-<entries>.js, which every other output
 * imports instead of holding those modules.
 *
 * Why: esbuild's code splitting makes one chunk per set of entries sharing code, and with ~125
 * entries (subpaths, lazy modules, every `await import()` target) the root's ~90 modules came in
 * 48 chunks. Node pays for each module it loads (a resolution, a read, a compile, a link):
 * measured with callgrind, the same code cost ~150M instructions as 48 chunks and ~55M as one
 * file. esbuild cannot be told "these modules go together", so the build does it in steps: each
 * layer's modules are bundled into one file exporting each module's exports under a prefixed name,
 * and in the later builds each of those modules is replaced by a module re-exporting its own names
 * from the layer's chunk (live bindings, one instance of every class). Each layer is closed under
 * static imports with the layers before it, so a layer never imports the rest of the build
 * statically; its dynamic imports point at entries of the main build (existing ones, or
 * `chunks/dyn-<path>.js` added for them). One layer for the whole closure made the subpaths that
 * use little of it (facets, sandbox) load all of it; grouped by LAYER_KEYS, each of those loads
 * the layers it uses, and the root loads 9 files.
 */
async function buildCore(common, define, entries, outDir) {
  const srcOf = (file) => resolve(ROOT, file);
  const scanOptions = { ...common, outdir: join(outDir, '.layer-scan'), write: false, plugins: [dynamicImportsExternal(() => undefined), onlyKnownPackages] };
  const closureOf = async (entry) => new Set(Object.keys((await build({ ...scanOptions, entryPoints: [entry] })).metafile.inputs).map(srcOf));
  const root = await closureOf(entries[CORE_ENTRY]);
  const foreign = [...root].filter((m) => !m.startsWith(join(ROOT, 'src', '')));
  if (foreign.length > 0) throw new Error(`build: the core chunk would bundle third-party code statically: ${foreign.map((m) => relative(ROOT, m)).join(', ')}`);
  // The layers: the root's modules grouped by which of LAYER_KEYS reach them, so each of those
  // entries loads just the part of the root it uses. If module a imports b, every entry reaching a
  // reaches b: b's group has a superset of a's keys, and building the groups from the most keys to
  // the fewest builds every import before its importer. The group every key reaches (errors.ts,
  // version.ts: what the `warden` command loads before it picks a command) is the first layer,
  // "base"; groups under LAYER_MIN_BYTES of source (loading a file costs about as much as a few KB
  // of code in it) go into it too, with what they import.
  const keys = await Promise.all(LAYER_KEYS.map((k) => closureOf(entries[k])));
  const signature = (m) => keys.map((c) => (c.has(m) ? '1' : '0')).join('');
  const groups = new Map();
  for (const m of [...root].sort()) groups.set(signature(m), [...(groups.get(signature(m)) ?? []), m]);
  const imports = new Map();
  for (const [file, input] of Object.entries((await build({ ...scanOptions, entryPoints: [entries[CORE_ENTRY]] })).metafile.inputs)) imports.set(srcOf(file), input.imports.filter((i) => i.kind === 'import-statement' && !i.external).map((i) => srcOf(i.path)));
  const base = new Set();
  const toBase = (m) => {
    if (base.has(m)) return;
    base.add(m);
    for (const i of imports.get(m) ?? []) toBase(i);
  };
  for (const [sig, ms] of groups) if (!sig.includes('0') || ms.reduce((n, m) => n + readFileSync(m).length, 0) < LAYER_MIN_BYTES) ms.forEach(toBase);
  const rest = [...groups].map(([sig, ms]) => [sig, ms.filter((m) => !base.has(m))]).filter(([, ms]) => ms.length > 0);
  rest.sort(([x], [y]) => y.split('1').length - x.split('1').length || (x < y ? -1 : 1));
  const layerName = (sig) => (sig.includes('1') ? `root-${LAYER_KEYS.filter((_, i) => sig[i] === '1').map((k) => k.replace(/\/index$/, '').replace(/^integrations\//, '').replaceAll('/', '-')).join('-')}` : 'core');
  const layers = [{ name: 'base', modules: [...base].sort() }, ...rest.map(([sig, ms]) => ({ name: layerName(sig), modules: ms }))];
  // Each module's export names (types are gone in JavaScript), from one splitting build of them all
  // as entries: a module re-exporting with `export *` lists the names it ends up with.
  const exportsOf = new Map();
  for (const o of Object.values((await build({ ...scanOptions, entryPoints: [...root] })).metafile.outputs)) if (o.entryPoint) exportsOf.set(srcOf(o.entryPoint), o.exports);
  const prefix = new Map([...root].sort().map((m, i) => [m, `m${i}$`]));
  /** Replaces each of a layer's modules with re-exports of its names from the layer's chunk. */
  const proxy = (layer) => {
    const set = new Set(layer.modules);
    const placeholder = layerPlaceholder(layer.name);
    return {
      name: `layer-proxy-${layer.name}`,
      setup(b) {
        b.onResolve({ filter: new RegExp(`^${placeholder}$`) }, (args) => ({ path: args.path, external: true }));
        b.onLoad({ filter: /\.ts$/ }, (args) => {
          if (!set.has(args.path)) return undefined;
          const names = exportsOf.get(args.path);
          return { contents: `export { ${names.map((n) => `${prefix.get(args.path)}${n} as ${n}`).join(', ')} } from '${placeholder}';\n`, loader: 'js', resolveDir: dirname(args.path) };
        });
      },
    };
  };
  // The layers' dynamic imports: the main build's entry for that module, or one added for it.
  const entryOf = new Map(Object.entries(entries).map(([name, src]) => [resolve(src), name]));
  const dynamicEntries = {};
  const dynamicTarget = (file) => {
    let name = entryOf.get(file);
    if (name === undefined) {
      name = `chunks/dyn-${relative(join(ROOT, 'src'), file).replace(/\.ts$/, '').replaceAll('/', '-')}`;
      dynamicEntries[name] = file;
    }
    return `${relative('chunks', name).replace(/^(?!\.)/, './')}.js`;
  };
  const metafiles = [];
  const proxies = [];
  for (const layer of layers) {
    const barrel = layer.modules.map((m) => `export { ${exportsOf.get(m).map((n) => `${n} as ${prefix.get(m)}${n}`).join(', ')} } from ${JSON.stringify(m)};`).join('\n');
    const out = await build({
      ...common,
      splitting: false,
      outdir: undefined,
      outfile: join(outDir, 'chunks', `${layer.name}.js`),
      stdin: { contents: barrel, resolveDir: ROOT, sourcefile: `warden-${layer.name}.js`, loader: 'js' },
      plugins: [...proxies, dynamicImportsExternal(dynamicTarget), onlyKnownPackages],
      define,
    });
    metafiles.push(out.metafile);
    proxies.push(proxy(layer));
  }
  /** Writes into every output that imports a layer's chunk the chunk's path relative to that output. */
  const link = (metafile) => {
    for (const file of [...Object.keys(metafile.outputs), ...metafiles.flatMap((m) => Object.keys(m.outputs))]) {
      if (!file.endsWith('.js')) continue;
      const abs = resolve(ROOT, file);
      let text = readFileSync(abs, 'utf8');
      if (!text.includes('__warden_layer_')) continue;
      for (const layer of layers) {
        const rel = relative(dirname(abs), join(outDir, 'chunks', `${layer.name}.js`));
        text = text.replaceAll(`"${layerPlaceholder(layer.name)}"`, JSON.stringify(rel.startsWith('.') ? rel : `./${rel}`));
      }
      if (text.includes('__warden_layer_')) throw new Error(`build: ${file} imports a layer the build did not link`);
      writeFileSync(abs, text);
    }
  };
  const inputs = Object.assign({}, ...metafiles.map((m) => m.inputs));
  const outputs = Object.assign({}, ...metafiles.map((m) => m.outputs));
  return { metafile: { inputs, outputs }, entries: dynamicEntries, proxies, link };
}

/** Marks `await import()` of our own modules external, at the path `target(file)` returns (undefined: as written). */
function dynamicImportsExternal(target) {
  return {
    name: 'dynamic-imports-external',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const file = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
        return { path: target(file) ?? args.path, external: true };
      });
    },
  };
}

/** Resolved from node_modules at run time: runtime dependencies that are not bundled, and peers. */
export const EXTERNAL = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];

function parseArgs(argv) {
  const out = { outDir: join(ROOT, 'dist'), types: true, metafile: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out.outDir = resolve(argv[++i]);
    else if (argv[i] === '--metafile') out.metafile = resolve(argv[++i]);
    else if (argv[i] === '--no-types') out.types = false;
    else throw new Error(`build: unknown argument ${argv[i]}`);
  }
  return out;
}

/** Every public entry: each subpath export's JavaScript file and the `warden` binary, mapped back to src. */
function entryPoints() {
  // The hook server's process entry (started by path, see server-address.ts) is an entry too.
  const outputs = new Set([pkg.bin.warden, './dist/integrations/claude-code/server-main.js']);
  for (const target of Object.values(pkg.exports)) if (typeof target === 'object' && target.import) outputs.add(target.import);
  const entries = {};
  for (const out of outputs) {
    const m = /^\.\/dist\/(.+)\.js$/.exec(out);
    if (!m) throw new Error(`build: ${out} is not a ./dist/*.js path`);
    const src = join(ROOT, 'src', `${m[1]}.ts`);
    if (!existsSync(src)) throw new Error(`build: ${out} has no source ${relative(ROOT, src)}`);
    entries[m[1]] = src;
  }
  return entries;
}

/** Fails on a bare import that is neither bundled nor external (a dev dependency reached by accident). */
const onlyKnownPackages = {
  name: 'only-known-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { external: true };
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      if (EXTERNAL.includes(name)) return { external: true };
      const inPackage = BUNDLED.includes(name) || args.importer.includes(`${join('node_modules', '')}`);
      if (!inPackage) return { errors: [{ text: `"${args.path}" is neither a bundled nor a runtime dependency (scripts/build.mjs)` }] };
      return undefined;
    });
  },
};

/**
 * For the hook's script (run through node:vm, see src/integrations/claude-code/in-process-script.ts): a dynamic import() of
 * a Node built-in or a runtime dependency (node:child_process, pg, ioredis) becomes a require()
 * when it runs. A script's own import() needs vm's main-context loader, which Node marks
 * experimental and warns about on the hook's stderr.
 */
const dynamicImportAsRequire = {
  name: 'dynamic-import-as-require',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      return args.path.startsWith('node:') || EXTERNAL.includes(name) ? { path: args.path, namespace: 'required-at-run-time' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'required-at-run-time' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/** A digest of everything that decides what the bundle does: the sources and the locked dependency tree. */
function buildId() {
  const h = createHash('sha256');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.ts')) h.update(`${relative(ROOT, full)}\0`).update(readFileSync(full)).update('\0');
    }
  };
  walk(join(ROOT, 'src'));
  h.update(readFileSync(join(ROOT, 'package-lock.json')));
  return h.digest('hex').slice(0, 16);
}

async function main() {
  const { outDir, types, metafile } = parseArgs(process.argv.slice(2));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  if (types) {
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--emitDeclarationOnly', '--declarationMap', 'false', '--outDir', outDir], { cwd: ROOT, stdio: 'inherit' });
    if (tsc.status !== 0) process.exit(tsc.status ?? 1);
    checkDeclarations(outDir);
  }
  const common = {
    // Source paths in the output (chunk comments, the hook script's module names) are relative to the checkout.
    absWorkingDir: ROOT,
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22.12',
    // No source maps: Node scans every chunk for one at load, and the install carries them. The
    // bundle is not minified (the hook's script only of whitespace), so stack traces keep their function names.
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    // Prefer each bundled package's ES module build: esbuild then hoists it into the chunk instead of
    // wrapping a CommonJS module and copying its exports at load. yaml's ES build is its "browser"
    // one: the same parser, without the Node-only debug logging (LOG_TOKENS, LOG_STREAM).
    mainFields: ['module', 'main'],
    alias: { yaml: join(ROOT, 'node_modules', 'yaml', 'browser', 'index.js') },
    plugins: [onlyKnownPackages],
    // Bundled CommonJS packages (yaml, tldts) may call require() for Node built-ins. It is made on
    // the first call: createRequire() in every chunk's top level cost ~0.5 ms a chunk, and the
    // first one loads the CommonJS loader's internals, on every import of the package.
    banner: { js: "import { createRequire as __wardenCreateRequire } from 'node:module';\nvar __wardenRequire;\nfunction require(id) { return (__wardenRequire ??= __wardenCreateRequire(import.meta.url))(id); }" },
  };
  const id = JSON.stringify(buildId());
  const define = { __WARDEN_BUILD_ID__: id, __WARDEN_LAZY_ENTRIES__: 'true', __WARDEN_HOOK_BUNDLE__: JSON.stringify(`../${HOOK_ENTRY}.js`), __WARDEN_CHECK_BUNDLE__: JSON.stringify(`../${CHECK_ENTRY}.js`) };
  const entries = { ...entryPoints(), ...lazyEntries('chunks') };
  const core = await buildCore(common, define, entries, outDir);
  const result = await build({
    ...common,
    entryPoints: { ...entries, ...core.entries },
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [...core.proxies, ...common.plugins],
    define,
  });
  core.link(result.metafile);
  // The hook's engine (what an event handled in process runs: src/integrations/claude-code/in-process.ts)
  // as one script, dist/hook/in-process.cjs, run through node:vm with a V8 code cache made after an
  // event ran (src/integrations/claude-code/in-process-script.ts), so the functions an event runs
  // are not compiled again on every tool call. Modules in it initialise only when imported
  // (esbuild's lazy wrappers for a script with dynamic imports). Same sources, same build id.
  const { outdir: _outdir, splitting: _splitting, banner: _banner, ...single } = common;
  const hookScript = join(outDir, 'hook', 'in-process.cjs');
  const script = await build({
    ...single,
    entryPoints: [join(ROOT, 'src', 'integrations', 'claude-code', 'in-process.ts')],
    outfile: hookScript,
    format: 'cjs',
    // Whitespace and comments only (names stay, for stack traces): a cold event parses the whole
    // script, and every event reads it and hashes it for V8's compilation cache (2.5 MB -> 1.9 MB;
    // callgrind: -31M instructions on a cold hook event, a warm one unchanged).
    minifyWhitespace: true,
    plugins: [dynamicImportAsRequire, onlyKnownPackages, inlineLazyModulesOnFirstUse],
    // The script's wrapper passes the script's own URL under this name.
    define: { __WARDEN_BUILD_ID__: id, 'import.meta.url': '__wardenModuleUrl' },
  });
  checkInlineCoverage(script.metafile, "the hook's script");
  // Before its digest is taken: the script is read as ASCII (see asciiOnly).
  asciiOnlyFile(hookScript);
  if (metafile !== null) writeFileSync(`${metafile}.hook-script.json`, JSON.stringify(script.metafile));
  // A script run through node:vm without a module loader cannot import() at run time.
  const imports = Object.values(script.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path));
  if (imports.length > 0) throw new Error(`build: the hook's script would import() at run time: ${imports.join(', ')}`);
  // The hook's own split: one entry, so what an event loads comes in a few chunks, not ~50 shared
  // ones (a resolution and an instantiation each, on every tool call); a hook a server answers
  // loads only the client's.
  const hook = await build({
    ...common,
    entryPoints: { [HOOK_ENTRY]: join(ROOT, 'src', 'cli', 'hook-entry.ts') },
    chunkNames: 'hook/chunks/[name]-[hash]',
    plugins: [onlyKnownPackages, inlineLazyModules],
    define: { __WARDEN_BUILD_ID__: id, __WARDEN_HOOK_SCRIPT_DIGEST__: JSON.stringify(createHash('sha256').update(readFileSync(hookScript)).digest('hex')) },
  });
  checkInlineCoverage(hook.metafile, 'the hook build');
  if (metafile !== null) writeFileSync(`${metafile}.hook.json`, JSON.stringify(hook.metafile));
  // in-process-script.ts finds the script at ../in-process.cjs from its own chunk.
  const loader = Object.entries(hook.metafile.outputs).find(([, o]) => o.entryPoint?.endsWith('claude-code/in-process-script.ts'));
  if (!loader || dirname(resolve(ROOT, loader[0])) !== join(outDir, 'hook', 'chunks')) throw new Error(`build: the hook's script loader is not a chunk in hook/chunks/ (${loader?.[0] ?? 'absent'})`);
  // `warden check` the same way: one request per process in scripts and CI.
  const check = await build({
    ...common,
    entryPoints: { [CHECK_ENTRY]: join(ROOT, 'src', 'cli', 'check.ts') },
    chunkNames: 'check/chunks/[name]-[hash]',
    plugins: [onlyKnownPackages, inlineLazyModules],
    define: { __WARDEN_BUILD_ID__: id },
  });
  checkInlineCoverage(check.metafile, 'the warden check build');
  checkLazyLayout(result.metafile, core.metafile, outDir, 'chunks');
  writeFileSync(join(outDir, 'THIRD_PARTY_LICENSES.txt'), licences({ inputs: { ...result.metafile.inputs, ...core.metafile.inputs } }));
  // The sandbox's per-exec supervisor ships as C source, compiled on the user's machine on first use (src/sandbox/supervisor-build.ts).
  mkdirSync(join(outDir, 'native'), { recursive: true });
  writeFileSync(join(outDir, 'native', 'warden-supervise.c'), readFileSync(join(ROOT, 'src', 'sandbox', 'native', 'warden-supervise.c')));
  if (metafile !== null) writeFileSync(metafile, JSON.stringify(result.metafile));
  if (metafile !== null) writeFileSync(`${metafile}.core.json`, JSON.stringify(core.metafile));
  // The chunks find their package scope here, not in the package's own 9 KB package.json: Node reads
  // the nearest package.json for every module it loads (its "type"), and parsing the package's
  // exports map again for each chunk cost ~12% of `import('agent-warden')`'s instructions (callgrind).
  writeFileSync(join(outDir, 'package.json'), '{\n  "type": "module"\n}\n');
  asciiOnly(outDir);
  const main = join(outDir, 'cli', 'main.js');
  if (!readFileSync(main, 'utf8').startsWith('#!/usr/bin/env node')) throw new Error('build: dist/cli/main.js lost its #! line');
}

/**
 * Rewrites every character outside ASCII in the built JavaScript as a `\\uXXXX` escape. esbuild
 * escapes them in strings but keeps them in comments and regular-expression literals (a few in
 * unbash, tldts and cel-js), and V8 holds a source with even one of them as a two-byte string: the
 * hook's 2.5 MB script then costs a UTF-8 decode into 5 MB on every tool call (10% of a warm
 * hook event's instructions, callgrind), where an ASCII source is copied as is. The escape means
 * the same character in a comment, a string, a template, an identifier and a regular expression
 * (with or without the `u` flag, a surrogate pair's two escapes are one code point).
 */
function asciiOnly(outDir) {
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (/\.(c|m)?js$/.test(e.name)) asciiOnlyFile(full);
    }
  };
  walk(outDir);
}

/** {@link asciiOnly} for one file. */
function asciiOnlyFile(file) {
  const text = readFileSync(file, 'utf8');
  if (!/[^\t-\x7f]/.test(text)) return;
  // invariant: an escape means the same character; these two forms are where it would not (a
  // tagged template's raw text, a backslash before the character), and the build refuses them.
  if (/String\.raw`[^`]*[^\t-\x7f]/.test(text) || /\\[^\t-\x7f]/.test(text)) throw new Error(`build: ${file} has a non-ASCII character in a String.raw template or after a backslash; it cannot be escaped as is`);
  writeFileSync(file, text.replace(/[^\t-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/**
 * The public declarations (each export's `types`, and what they import) may name only Node's
 * modules, runtime dependencies and peers: a bundled package is not installed for users, so a type
 * imported from it would not resolve in their type check.
 */
function checkDeclarations(outDir) {
  const problems = [];
  for (const target of Object.values(pkg.exports)) {
    if (typeof target !== 'object' || !target.types) continue;
    const stack = [join(outDir, target.types.replace(/^\.\/dist\//, ''))];
    const seen = new Set();
    while (stack.length > 0) {
      const file = stack.pop();
      if (seen.has(file) || !existsSync(file)) continue;
      seen.add(file);
      // Comments (TSDoc examples) import things too; only the declarations count.
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      for (const m of code.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        const spec = m[1];
        if (spec.startsWith('.')) stack.push(resolve(dirname(file), spec.replace(/\.js$/, '.d.ts')));
        else if (!spec.startsWith('node:')) {
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
          if (!EXTERNAL.includes(name)) problems.push(`${relative(outDir, file)} imports "${spec}", which users do not install`);
        }
      }
    }
  }
  if (problems.length > 0) throw new Error(`build: public declarations reach bundled packages:\n  ${[...new Set(problems)].join('\n  ')}`);
}

/** The licence text of every package whose code is in the bundle. */
function licences(metafile) {
  const names = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) names.add(m[1]);
  }
  const parts = [];
  for (const name of [...names].sort()) {
    const dir = join(ROOT, 'node_modules', name);
    const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    parts.push(`${name}@${meta.version} (${meta.license ?? 'see below'})\n\n${file ? readFileSync(join(dir, file), 'utf8').trim() : '(no licence file shipped)'}\n`);
  }
  return `Third-party code bundled into agent-warden's dist/ (scripts/build.mjs).\n\n${parts.join(`\n${'-'.repeat(72)}\n\n`)}`;
}

await main();
