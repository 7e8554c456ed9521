/**
 * The adapter subpaths of the built package load the library they wrap (`@langchain/core`, the
 * MCP SDK), `agent-warden/lint` its analysis and `agent-warden/training` the sandbox when first
 * used, not when imported; what they then
 * load is the instance the application imports; and a part that cannot be loaded fails what needed
 * it (ERR_MISSING_DEPENDENCY, ERR_MODULE_LOAD) instead of running without it. Checked on the build
 * the test run made (test/global-setup.ts), with a resolve hook listing every module Node loads,
 * never with timings.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let pkg = '';
let dir = '';

beforeAll(() => {
  pkg = dirname(dirname(dirname(inject('wardenCli'))));
  dir = mkdtempSync(join(tmpdir(), 'warden-lazy-peers-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `script` (an ES module; `mark()` starts a new phase) in the package folder `cwd`; returns
 * its output and, per phase, the packages of node_modules and the bundle's sources it loaded.
 */
function run(cwd: string, script: string): { status: number | null; stdout: string; stderr: string; phases: Array<{ packages: Set<string>; sources: Set<string> }> } {
  const prelude = `import { registerHooks } from 'node:module';
import { writeFileSync as __write } from 'node:fs';
const __seen = [[]];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); __seen[__seen.length - 1].push(r.url); return r; } });
const mark = () => __seen.push([]);
process.on('exit', () => __write(process.env.TRACE_OUT, JSON.stringify(__seen)));`;
  const out = join(dir, `seen-${Math.random().toString(36).slice(2)}.json`);
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `${prelude}\n${script}`], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: dir, TRACE_OUT: out } });
  const seen = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as string[][]) : [];
  const phases = seen.map((urls) => {
    const packages = new Set<string>();
    const sources = new Set<string>();
    for (const url of urls) {
      if (!url.startsWith('file:')) continue;
      const file = fileURLToPath(url);
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file.slice(file.lastIndexOf('node_modules/')));
      if (m && !file.startsWith(join(pkg, 'dist')) && !file.startsWith(join(cwd, 'dist'))) packages.add(m[1] as string);
      else if (file.endsWith('.js')) for (const s of readFileSync(file, 'utf8').matchAll(/^\/\/ (\S+\.[cm]?[jt]s)$/gm)) if ((s[1] as string).startsWith('src/')) sources.add(s[1] as string);
    }
    return { packages, sources };
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, phases };
}

const POLICY = `apiVersion: warden/v1
kind: Policy
name: p
rules:
  - name: lookups
    tools: [lookup]
    effect: allow
`;

/** Governs a LangChain tool the application made, with the subpath imported first (phase 0) and used after. */
const LANGCHAIN_SCRIPT = `const lc = await import('agent-warden/langchain');
mark();
const { compilePolicy, Governor } = await import('agent-warden');
const { DynamicStructuredTool, tool } = await import('@langchain/core/tools');
const { ToolMessage } = await import('@langchain/core/messages');
const { z } = await import('zod');
mark();
const governor = new Governor({ policy: compilePolicy([{ name: 'p.yaml', text: ${JSON.stringify(POLICY)} }]), agent: { id: 'a' } });
const mk = (name) => tool(async ({ q }) => 'ran ' + q, { name, description: name, schema: z.object({ q: z.string() }) });
const [lookup, wipe] = lc.governLangChainTools([mk('lookup'), mk('wipe')], { governor });
const ok = await lookup.invoke({ q: 'x' });
const denied = await wipe.invoke({ id: 't1', name: 'wipe', args: { q: 'y' }, type: 'tool_call' });
console.log(JSON.stringify({ sameClass: lookup instanceof DynamicStructuredTool, ok, deniedIsMessage: denied instanceof ToolMessage, status: denied.status }));`;

describe('adapter subpaths load the library they wrap on first use', () => {
  it('agent-warden/langchain loads no @langchain/core at import; governed tools are the application\'s classes and decide as before', () => {
    const r = run(pkg, LANGCHAIN_SCRIPT);
    expect(r.stderr).toBe('');
    const imported = r.phases[0] as { packages: Set<string> };
    expect([...imported.packages].filter((p) => p.startsWith('@langchain/') || p === 'langchain')).toEqual([]);
    expect(JSON.parse(r.stdout)).toEqual({ sameClass: true, ok: 'ran x', deniedIsMessage: true, status: 'error' });
  });

  it('agent-warden/mcp loads neither the MCP SDK nor zod at import', () => {
    const r = run(pkg, `await import('agent-warden/mcp'); console.log('ok');`);
    expect(r.status).toBe(0);
    const imported = r.phases[0] as { packages: Set<string> };
    expect(imported.packages.has('@modelcontextprotocol/sdk')).toBe(false);
    expect(imported.packages.has('zod')).toBe(false);
  });

  it('agent-warden/lint loads neither the compiler nor a facet at import; lintPolicy loads them and reports as before', () => {
    const r = run(pkg, `const l = await import('agent-warden/lint'); mark(); const rep = l.lintPolicy([{ name: 'p.yaml', text: ${JSON.stringify(POLICY)} }]); console.log(JSON.stringify({ loaded: rep.loaded, rules: rep.rules }));`);
    expect(r.stderr).toBe('');
    const imported = r.phases[0] as { sources: Set<string> };
    const linted = r.phases[1] as { sources: Set<string> };
    for (const src of ['src/policy/compile.ts', 'src/policy/lint-analyze.ts', 'src/facets/shell.ts', 'src/policy/yaml-reader.ts', 'src/policy/cel.ts']) expect(imported.sources.has(src), src).toBe(false);
    expect(linted.sources.has('src/policy/lint-analyze.ts')).toBe(true);
    expect(JSON.parse(r.stdout)).toEqual({ loaded: true, rules: 1 });
  });

  it('agent-warden/training loads no sandbox at import', () => {
    const r = run(pkg, `const t = await import('agent-warden/training'); console.log(typeof t.shadowShell);`);
    expect(r.stdout.trim()).toBe('function');
    const imported = r.phases[0] as { sources: Set<string>; packages: Set<string> };
    for (const src of ['src/sandbox/sandbox.ts', 'src/sandbox/egress-proxy.ts']) expect(imported.sources.has(src), src).toBe(false);
    expect(imported.sources.has('src/training/shadow-shell.ts')).toBe(true);
  });

  it('agent-warden/server loads neither the service nor the JWT verifier at import; static tokens never load jose', () => {
    const r = run(
      pkg,
      `const s = await import('agent-warden/server');
mark();
const auth = s.createAuthenticator({ tokens: [{ subject: 'ci', token: 'a-long-random-token-1234' }] });
const ok = await auth({ headers: { authorization: 'Bearer a-long-random-token-1234' }, rawHeaders: ['Authorization', 'Bearer a-long-random-token-1234'] }, new Date());
const bad = await auth({ headers: { authorization: 'Bearer a-long-random-token-9999' }, rawHeaders: ['Authorization', 'Bearer a-long-random-token-9999'] }, new Date());
console.log(JSON.stringify({ ok: ok.ok, bad: bad.ok }));`,
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, bad: false });
    const imported = r.phases[0] as { sources: Set<string>; packages: Set<string> };
    const used = r.phases[1] as { sources: Set<string> };
    for (const src of ['src/server/decision-server.ts', 'src/identity/token.ts', 'src/identity/jwks.ts', 'src/store/open.ts']) expect(imported.sources.has(src), src).toBe(false);
    for (const src of ['src/identity/token.ts', 'src/identity/jwks.ts']) expect(used.sources.has(src), src).toBe(false);
  });
});

describe('a lazily loaded part that is missing fails what needed it', () => {
  let broken = '';
  beforeAll(() => {
    // A copy of the build whose node_modules lacks the LangChain and MCP packages, and whose lint engine is gone.
    broken = join(dir, 'broken');
    mkdirSync(join(broken, 'node_modules'), { recursive: true });
    cpSync(join(pkg, 'dist'), join(broken, 'dist'), { recursive: true });
    writeFileSync(join(broken, 'package.json'), readFileSync(join(ROOT, 'package.json')));
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name === '@langchain' || name === 'langchain' || name === '@modelcontextprotocol' || name.startsWith('.')) continue;
      symlinkSync(join(ROOT, 'node_modules', name), join(broken, 'node_modules', name), 'dir');
    }
    rmSync(join(broken, 'dist', 'chunks', 'lazy-policy-lint-engine.js'));
    rmSync(join(broken, 'dist', 'chunks', 'lazy-sandbox-sandbox.js'));
    rmSync(join(broken, 'dist', 'chunks', 'lazy-identity-token.js'));
    for (const f of readdirSync(join(broken, 'dist', 'chunks')).filter((n) => n.startsWith('decision-server-'))) rmSync(join(broken, 'dist', 'chunks', f));
  });

  it('governLangChainTools and wardenMiddleware throw ERR_MISSING_DEPENDENCY without @langchain/core, and make nothing', () => {
    const r = run(
      broken,
      `const lc = await import('agent-warden/langchain');
const { compilePolicy, Governor } = await import('agent-warden');
const governor = new Governor({ policy: compilePolicy([{ name: 'p.yaml', text: ${JSON.stringify(POLICY)} }]), agent: { id: 'a' } });
const t = { name: 'lookup', description: 'd', lc_namespace: ['x'], _call: async () => 'ran', invoke: async () => 'ran' };
const codes = [];
for (const f of [() => lc.governLangChainTools([t], { governor }), () => lc.governLangChainTool(t, { governor }), () => lc.wardenMiddleware({ governor })]) {
  try { f(); codes.push('made'); } catch (e) { codes.push(e.code); }
}
console.log(JSON.stringify(codes));`,
    );
    expect(JSON.parse(r.stdout)).toEqual(['ERR_MISSING_DEPENDENCY', 'ERR_MISSING_DEPENDENCY', 'ERR_MISSING_DEPENDENCY']);
  });

  it('McpGateway.start rejects with ERR_MISSING_DEPENDENCY without the MCP SDK, before starting any server', () => {
    const marker = join(dir, 'started');
    const r = run(
      broken,
      `const { McpGateway } = await import('agent-warden/mcp');
const { compilePolicy } = await import('agent-warden');
const policy = compilePolicy([{ name: 'p.yaml', text: ${JSON.stringify(POLICY)} }]);
try { await McpGateway.start({ upstream: { transport: 'stdio', command: process.execPath, args: ['-e', ${JSON.stringify(`require('node:fs').writeFileSync(${JSON.stringify(marker)}, '')`)}] }, policy }); console.log('started'); }
catch (e) { console.log(e.code); }`,
    );
    expect(r.stdout.trim()).toBe('ERR_MISSING_DEPENDENCY');
    expect(() => readFileSync(marker)).toThrow();
  });

  it('lintPolicy, analyzePolicySet and convertAgtPolicies throw ERR_MODULE_LOAD without the lint engine; the rest of the subpath works', () => {
    const r = run(
      broken,
      `const l = await import('agent-warden/lint');
const codes = [];
for (const f of [() => l.lintPolicy([{ name: 'p.yaml', text: 'x: 1' }]), () => l.analyzePolicySet(null, []), () => l.convertAgtPolicies([])]) {
  try { f(); codes.push('ran'); } catch (e) { codes.push(e.code); }
}
console.log(JSON.stringify({ codes, checks: Object.keys(l.LINT_CHECKS).length > 0, sarif: l.toSarif([], { version: '0' }).version }));`,
    );
    expect(JSON.parse(r.stdout)).toEqual({ codes: ['ERR_MODULE_LOAD', 'ERR_MODULE_LOAD', 'ERR_MODULE_LOAD'], checks: true, sarif: '2.1.0' });
  });

  it('shadowShell throws ERR_MODULE_LOAD without the sandbox, and makes no tool', () => {
    const r = run(
      broken,
      `const t = await import('agent-warden/training');
try { const s = t.shadowShell({ workspace: process.cwd() }); console.log(typeof s.tool); } catch (e) { console.log(e.code); }`,
    );
    expect(r.stdout.trim()).toBe('ERR_MODULE_LOAD');
  });

  it('createDecisionServer rejects with ERR_MODULE_LOAD without the service, and serves nothing', () => {
    const r = run(broken, `const s = await import('agent-warden/server'); try { await s.createDecisionServer({ policy: ['none'], auth: { tokens: [{ subject: 'ci', token: 'a-long-random-token-1234' }] } }); console.log('made'); } catch (e) { console.log(e.code); }`);
    expect(r.stdout.trim()).toBe('ERR_MODULE_LOAD');
  });

  it('createAuthenticator with JWT settings throws ERR_MODULE_LOAD without the verifier; static tokens still authenticate', () => {
    const r = run(
      broken,
      `const s = await import('agent-warden/server');
let jwt;
try { s.createAuthenticator({ jwt: { issuer: 'https://idp.test', audience: 'warden', secret: new Uint8Array(32).fill(7), algorithms: ['HS256'] } }); jwt = 'made'; } catch (e) { jwt = e.code; }
let rsa;
try { s.createAuthenticator({ jwt: { issuer: 'https://idp.test', audience: 'warden', jwks: { keys: [] } } }); rsa = 'made'; } catch (e) { rsa = e.code; }
const auth = s.createAuthenticator({ tokens: [{ subject: 'ci', token: 'a-long-random-token-1234' }] });
console.log(JSON.stringify({ jwt, rsa, statics: (await auth({ headers: { authorization: 'Bearer a-long-random-token-1234' }, rawHeaders: ['Authorization', 'Bearer a-long-random-token-1234'] }, new Date())).ok }));`,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ rsa: 'ERR_MODULE_LOAD', statics: true });
  });
});
