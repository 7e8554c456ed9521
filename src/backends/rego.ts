/**
 * The Rego engine for `kind: RegoPolicy` documents: the module is compiled to WebAssembly once, at
 * load, by a real `opa build -t wasm`, and evaluated in-process with `@open-policy-agent/opa-wasm`
 * (an optional peer). Never a process per decision.
 *
 * Contract of a Rego document (docs/policy-languages.md):
 * - `input` is `{ tool, args, agent, context, now }` (`now` an RFC 3339 string, when the decision
 *   has a time).
 * - the queried rule (`data.<package>.decision` unless the document names another) is undefined
 *   for no opinion, or an object `{ "effect": "allow" | "deny" | "require_approval", "rule": ...,
 *   "reason": ..., "approvers": [...] }` (`rule`, `reason` and `approvers` optional). Any other
 *   value, or an evaluation error (a builtin the wasm runtime lacks, a conflict), is a deny.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { BackendDocument, BackendEvaluator, BackendFactory, BackendInput, BackendVerdict } from '../policy/backend.js';
import { WardenError } from '../errors.js';
import { rejectUnknownKeys } from '../lib/options.js';

/** The package the Rego engine needs, with the range this version of Warden supports. */
export const OPA_WASM_PACKAGE = '@open-policy-agent/opa-wasm@^1.10.0';

/**
 * Where compiled Rego modules are kept between loads (the compiled-policy cache provides one,
 * authenticated). Keys are digests of the opa version, the module and the query.
 *
 * @example
 * ```ts
 * const memory = new Map<string, Uint8Array>();
 * const cache: RegoWasmCache = { get: (k) => memory.get(k) ?? null, set: (k, v) => void memory.set(k, v) };
 * ```
 */
export interface RegoWasmCache {
  get(key: string): Uint8Array | null;
  set(key: string, wasm: Uint8Array): void;
}

/**
 * Options of {@link regoBackend}.
 *
 * @example
 * ```ts
 * const options: RegoBackendOptions = { opa: '/usr/local/bin/opa' };
 * ```
 */
export interface RegoBackendOptions {
  /** The opa binary that compiles Rego to WebAssembly; default `WARDEN_OPA`, else `opa` on PATH. */
  opa?: string;
  /** Compiled modules kept between loads; default none (compiled at every load). */
  cache?: RegoWasmCache | null;
  /** The environment to read `WARDEN_OPA` and `PATH` from; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

interface LoadedRego {
  entrypoints: Record<string, number>;
  evaluate(input: unknown, entrypoint: number): Array<{ result: unknown }>;
  setData(data: object): void;
  wasmInstance: { exports: { builtins(): number; opa_json_dump(addr: number): number } };
  mem: { buffer: ArrayBuffer };
}

interface OpaWasm {
  loadPolicySync(wasm: Uint8Array): LoadedRego;
  /** The builtins the JavaScript runtime provides to a compiled module (the rest are compiled in or missing). */
  implemented: ReadonlySet<string>;
}

let opaWasm: OpaWasm | null = null;

/**
 * Loads opa-wasm (once per process), finds the opa compiler, and returns the engine for
 * `kind: RegoPolicy` documents.
 *
 * @example
 * ```ts
 * import { compilePolicy } from 'agent-warden';
 * import { regoBackend } from 'agent-warden/backends';
 * const set = compilePolicy(sources, { backends: { rego: await regoBackend({ opa: '/usr/local/bin/opa' }) } });
 * ```
 * @throws WardenError `ERR_MISSING_DEPENDENCY` when @open-policy-agent/opa-wasm is not installed or
 *   no opa binary is found; `ERR_OPTIONS` for an unknown option.
 */
export async function regoBackend(options: RegoBackendOptions = {}): Promise<BackendFactory> {
  rejectUnknownKeys(options, ['opa', 'cache', 'env'], 'ERR_OPTIONS', 'regoBackend options');
  if (opaWasm === null) {
    try {
      const require = createRequire(import.meta.url);
      const mod = require('@open-policy-agent/opa-wasm') as Omit<OpaWasm, 'implemented'>;
      // The package exports only its entry; its builtins table is read by path, to check modules at load.
      const builtins = require(join(dirname(require.resolve('@open-policy-agent/opa-wasm')), 'builtins', 'index.js')) as Record<string, unknown>;
      opaWasm = { loadPolicySync: (w) => mod.loadPolicySync(w), implemented: new Set(Object.keys(builtins)) };
    } catch (e) {
      throw new WardenError(
        'ERR_MISSING_DEPENDENCY',
        `Rego policies need the optional package @open-policy-agent/opa-wasm, which did not load (${e instanceof Error ? e.message.split('\n')[0] : String(e)}). Install it beside agent-warden: npm install ${OPA_WASM_PACKAGE}`,
        { cause: e },
      );
    }
  }
  const wasm = opaWasm;
  const opa = findOpa(options.opa, options.env ?? process.env);
  const version = opaVersion(opa);
  const cache = options.cache ?? null;
  return (doc) => loadRegoDocument(wasm, doc, { opa, version, cache });
}

function findOpa(given: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const candidates = given !== undefined ? [given] : env.WARDEN_OPA ? [env.WARDEN_OPA] : (env.PATH ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, 'opa'));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  const where = given !== undefined ? `at ${given}` : env.WARDEN_OPA ? `at WARDEN_OPA=${env.WARDEN_OPA}` : 'on PATH';
  throw new WardenError(
    'ERR_MISSING_DEPENDENCY',
    `Rego policies are compiled to WebAssembly by the opa binary, and there is none ${where}. Install opa (https://www.openpolicyagent.org/docs/latest/#running-opa) and put it on PATH, or set WARDEN_OPA to its path.`,
  );
}

function opaVersion(opa: string): string {
  try {
    const out = execFileSync(opa, ['version'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return /^Version: (.+)$/m.exec(out)?.[1] ?? 'unknown';
  } catch (e) {
    throw new WardenError('ERR_MISSING_DEPENDENCY', `The opa binary at ${opa} did not run (${e instanceof Error ? e.message.split('\n')[0] : String(e)}). Check that it is opa for this machine.`, { cause: e });
  }
}

function loadRegoDocument(wasm: OpaWasm, doc: BackendDocument, tools: { opa: string; version: string; cache: RegoWasmCache | null }): BackendEvaluator {
  const pkg = /^\s*package\s+([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*$/m.exec(doc.text)?.[1];
  if (pkg === undefined) throw new Error('the Rego module has no package line (package warden.example).');
  const query = doc.query ?? `data.${pkg}.decision`;
  const entrypoint = query.slice('data.'.length).replaceAll('.', '/');
  const key = createHash('sha256').update(`${tools.version}\0${entrypoint}\0${doc.text}`).digest('hex');
  let bytes = tools.cache?.get(key) ?? null;
  if (bytes === null) {
    bytes = compileRegoToWasm(tools.opa, doc.text, entrypoint);
    tools.cache?.set(key, bytes);
  }
  const policy = wasm.loadPolicySync(bytes);
  // The set's data documents, once at load: evaluations read them as `data.<path>`.
  if (doc.data !== undefined) policy.setData(doc.data);
  // A builtin the JavaScript runtime lacks would fail every evaluation that reaches it: refuse it now.
  const missing = requiredBuiltins(policy).filter((b) => !wasm.implemented.has(b));
  if (missing.length > 0) {
    throw new Error(`the module uses ${missing.join(', ')}, which opa-wasm cannot evaluate in-process (it is not compiled into WebAssembly and the JavaScript runtime does not provide it). Rewrite those parts without it.`);
  }
  const entry = policy.entrypoints[entrypoint];
  if (entry === undefined) throw new Error(`the compiled module has no rule ${query}; define it, or name the rule to query with query: data.<package>.<rule>.`);
  return {
    language: 'rego',
    decide(input: BackendInput): BackendVerdict {
      const { now, ...rest } = input;
      let results: Array<{ result: unknown }>;
      try {
        results = policy.evaluate(now === undefined ? rest : { ...rest, now: now.toISOString() }, entry);
      } catch (e) {
        // opa-wasm throws strings and plain objects as well as Errors.
        throw new Error(thrownMessage(e), { cause: e });
      }
      if (!Array.isArray(results) || results.length === 0) return { effect: null, rule: null };
      if (results.length > 1) throw new Error(`${query} has ${results.length} results; it must have one`);
      return regoVerdict((results[0] as { result: unknown }).result, query);
    },
  };
}

/** The names of the builtins a compiled module calls out to the JavaScript runtime for. */
function requiredBuiltins(policy: LoadedRego): string[] {
  const exports = policy.wasmInstance.exports;
  const at = exports.opa_json_dump(exports.builtins());
  const bytes = new Uint8Array(policy.mem.buffer);
  let end = at;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return Object.keys(JSON.parse(new TextDecoder().decode(bytes.subarray(at, end))) as Record<string, number>);
}

function thrownMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (e !== null && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

/** The verdict a rule's value stands for; anything but the documented object is an error (a deny). */
function regoVerdict(value: unknown, query: string): BackendVerdict {
  if (value === undefined) return { effect: null, rule: null };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${query} is ${JSON.stringify(value)}; it must be undefined or an object { effect, rule?, reason?, approvers? }`);
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) {
    if (!['effect', 'rule', 'reason', 'approvers'].includes(k)) throw new Error(`${query} has the key "${k}"; it may hold effect, rule, reason and approvers`);
  }
  if (v.effect !== 'allow' && v.effect !== 'deny' && v.effect !== 'require_approval') throw new Error(`${query}.effect is ${JSON.stringify(v.effect)}; it must be "allow", "deny" or "require_approval"`);
  if (v.rule !== undefined && typeof v.rule !== 'string') throw new Error(`${query}.rule must be a string`);
  if (v.reason !== undefined && typeof v.reason !== 'string') throw new Error(`${query}.reason must be a string`);
  if (v.approvers !== undefined && (!Array.isArray(v.approvers) || v.approvers.some((a) => typeof a !== 'string'))) throw new Error(`${query}.approvers must be a list of strings`);
  if (v.approvers !== undefined && v.effect !== 'require_approval') throw new Error(`${query}.approvers applies to effect "require_approval" only`);
  return {
    effect: v.effect,
    rule: typeof v.rule === 'string' ? v.rule : null,
    reason: typeof v.reason === 'string' ? v.reason : null,
    ...(v.approvers !== undefined ? { approvers: v.approvers as string[] } : {}),
  };
}

/**
 * `opa build -t wasm` of one module with one entrypoint (`package/path/rule`); returns the
 * bundle's policy.wasm.
 *
 * @example
 * ```ts
 * const wasm = compileRegoToWasm('/usr/local/bin/opa', 'package t\ndecision := 1', 't/decision');
 * ```
 * @throws Error with opa's own message when the module does not compile.
 */
export function compileRegoToWasm(opa: string, module: string, entrypoint: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'warden-rego-'));
  try {
    const file = join(dir, 'policy.rego');
    const out = join(dir, 'bundle.tar.gz');
    writeFileSync(file, module);
    try {
      execFileSync(opa, ['build', '-t', 'wasm', '-e', entrypoint, '-o', out, file], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    } catch (e) {
      // opa prints its errors on stdout.
      const { stdout, stderr } = e as { stdout?: Buffer; stderr?: Buffer };
      const said = `${stdout?.toString('utf8') ?? ''}${stderr?.toString('utf8') ?? ''}`.trim().replaceAll(file, 'module');
      throw new Error(`opa could not compile the module to WebAssembly: ${said || (e instanceof Error ? e.message : String(e))}`, { cause: e });
    }
    return tarEntry(gunzipSync(readFileSync(out)), 'policy.wasm');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One file of an uncompressed (ustar) tar archive, by name with or without a leading slash. */
function tarEntry(tar: Uint8Array, name: string): Uint8Array {
  const text = new TextDecoder();
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    const entry = text.decode(header.subarray(0, 100)).replace(/\0.*$/s, '');
    if (entry === '') break;
    const size = parseInt(text.decode(header.subarray(124, 136)).replace(/\0.*$/s, '').trim(), 8);
    if (!Number.isFinite(size)) throw new Error(`the opa bundle has an unreadable tar header at byte ${at}`);
    if (entry.replace(/^\/+/, '') === name) return tar.slice(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`the opa bundle holds no ${name}`);
}
