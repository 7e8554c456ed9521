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
import { compileRegoToWasm } from '../../src/backends/rego.js';
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
 * Compiles a Rego module to a wasm policy with `opa build -t wasm` (Warden's own Rego engine does
 * the same at load: src/backends/rego.ts).
 */
export function compileRego(opa: string, source: string, entrypoint: string): Uint8Array {
  return compileRegoToWasm(opa, source, entrypoint);
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
