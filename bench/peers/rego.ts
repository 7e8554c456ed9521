/**
 * The OPA peer: the neutral rules (rules.ts) written as Rego, compiled to WebAssembly by a real
 * `opa build -t wasm`, and evaluated in-process with `@open-policy-agent/opa-wasm`.
 *
 * Mapping (one Rego rule body per bench rule, so OPA sees as many rules as Warden):
 * - a rule of effect E at position i -> `E_hits contains i if { input.tool == "<tool>"; <comparisons> }`
 *   (`deny_hits` or `allow_hits`); each comparison -> `input.args.<field> <op> <literal>`.
 * - deny-overrides and first-in-order -> `decision` takes the least index of `deny_hits`, else of
 *   `allow_hits`, and names it through the `rule_names` array; neither -> the default, a deny by
 *   no rule.
 * - request -> `input` = `{ tool, args }`, as Warden receives it.
 * One difference no corpus here reaches: a comparison on a missing field is undefined in Rego, so
 * the rule does not apply; in Warden it is an evaluation error, which makes a deny rule apply.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { checkRules, type BenchRequest, type BenchRule, type Verdict } from './rules.js';

/** The Rego package and the entrypoint the bench evaluates. */
export const REGO_PACKAGE = 'warden_bench';
export const REGO_ENTRYPOINT = `${REGO_PACKAGE}/decision`;

/** The Rego module for `rules`. */
export function toRego(rules: readonly BenchRule[]): string {
  checkRules(rules);
  const lines = [`package ${REGO_PACKAGE}`, '', 'import rego.v1', ''];
  rules.forEach((r, i) => {
    lines.push(`${r.effect}_hits contains ${i} if {`, `\tinput.tool == ${JSON.stringify(r.tool)}`);
    for (const c of r.when) lines.push(`\tinput.args.${c.field} ${c.op} ${JSON.stringify(c.value)}`);
    lines.push('}', '');
  });
  // An effect no rule has still needs its (empty) set, so that count() below is defined.
  for (const effect of ['deny', 'allow'] as const) {
    if (!rules.some((r) => r.effect === effect)) lines.push(`${effect}_hits contains x if { some x in [] }`, '');
  }
  lines.push(
    `rule_names := ${JSON.stringify(rules.map((r) => r.name))}`,
    '',
    'default decision := {"effect": "deny", "rule": null}',
    '',
    'decision := {"effect": "deny", "rule": rule_names[min(deny_hits)]} if count(deny_hits) > 0',
    '',
    'decision := {"effect": "allow", "rule": rule_names[min(allow_hits)]} if {',
    '\tcount(deny_hits) == 0',
    '\tcount(allow_hits) > 0',
    '}',
    '',
  );
  return lines.join('\n');
}

/**
 * Compiles a Rego module to a wasm policy with `opa build -t wasm` and returns `policy.wasm`
 * from the bundle it writes.
 */
export function compileRego(opa: string, source: string, entrypoint: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'warden-rego-'));
  try {
    const file = join(dir, 'policy.rego');
    const out = join(dir, 'bundle.tar.gz');
    writeFileSync(file, source);
    try {
      execFileSync(opa, ['build', '-t', 'wasm', '-e', entrypoint, '-o', out, file], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    } catch (e) {
      // opa prints its errors on stdout.
      const { stdout, stderr } = e as { stdout?: Buffer; stderr?: Buffer };
      const said = `${stdout?.toString('utf8') ?? ''}${stderr?.toString('utf8') ?? ''}`.trim();
      throw new Error(`opa build -t wasm failed: ${said || (e instanceof Error ? e.message : String(e))}`, { cause: e });
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

/** A loaded Rego policy and the call the bench times. */
export interface RegoPeer {
  name: 'opa-wasm';
  policy: LoadedPolicy;
  compileMs: number;
  input(request: BenchRequest): BenchRequest;
  evaluate(input: BenchRequest): unknown;
  verdict(input: BenchRequest): Verdict;
}

/** Translates, compiles and loads `rules`. */
export async function loadRego(opa: string, rules: readonly BenchRule[]): Promise<RegoPeer> {
  const t0 = performance.now();
  const wasm = compileRego(opa, toRego(rules), REGO_ENTRYPOINT);
  const compileMs = performance.now() - t0;
  const policy = await loadPolicy(wasm);
  const entry = (policy.entrypoints as Record<string, number>)[REGO_ENTRYPOINT];
  if (entry === undefined) throw new Error(`the compiled policy has no entrypoint ${REGO_ENTRYPOINT}`);
  const evaluate = (input: BenchRequest): unknown => policy.evaluate(input, entry);
  return {
    name: 'opa-wasm',
    policy,
    compileMs,
    input: (r) => ({ tool: r.tool, args: r.args }),
    evaluate,
    verdict(input) {
      const rs = evaluate(input) as Array<{ result?: { effect?: unknown; rule?: unknown } }>;
      const result = rs[0]?.result;
      if (rs.length !== 1 || !result || (result.effect !== 'allow' && result.effect !== 'deny') || (result.rule !== null && typeof result.rule !== 'string')) {
        throw new Error(`opa-wasm returned ${JSON.stringify(rs)}, not one { effect, rule } result`);
      }
      return { effect: result.effect, rule: result.rule };
    },
  };
}
