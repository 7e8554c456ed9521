/**
 * The Cedar peer: the neutral rules (rules.ts) written as Cedar policies, validated against a
 * schema in strict mode at load, parsed once into cedar-wasm's policy-set cache
 * (`preparsePolicySet`), and evaluated with `statefulIsAuthorized`.
 *
 * Mapping:
 * - request -> principal `Agent::"bench"`, action `Action::"<tool>"`, resource `Call::"bench"`,
 *   context `{ args }`, no entities.
 * - a rule -> `permit` (allow) or `forbid` (deny) `(principal, action == Action::"<tool>", resource)`
 *   with `when { context.args.<field> <op> <literal> && ... }`; its policy id is the rule name.
 * - deny-overrides and default deny are Cedar's own. Cedar names every satisfied policy of the
 *   winning effect (`diagnostics.reason`); the deciding rule is the first of them in rule order,
 *   which is Warden's choice. An empty reason is the default deny (no rule).
 * - schema: one action per rule tool (principal Agent, resource Call), context `args` typed from
 *   the corpus (integers Long, strings String; an attribute is required when every request has it).
 * One difference no corpus here reaches: a policy whose condition errors is skipped by Cedar (and
 * reported in diagnostics.errors); in Warden an error makes a deny rule apply.
 */
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { checkRules, type BenchRequest, type BenchRule, type Verdict } from './rules.js';

/** The Cedar policies for `rules`, keyed by policy id (the rule name). */
export function toCedarPolicies(rules: readonly BenchRule[]): Record<string, string> {
  checkRules(rules);
  const out: Record<string, string> = {};
  for (const r of rules) {
    const head = `${r.effect === 'allow' ? 'permit' : 'forbid'} (principal, action == Action::${JSON.stringify(r.tool)}, resource)`;
    const when = r.when.map((c) => `context.args.${c.field} ${c.op} ${JSON.stringify(c.value)}`);
    out[r.name] = when.length === 0 ? `${head};` : `${head}\nwhen { ${when.join(' && ')} };`;
  }
  return out;
}

/** The Cedar schema (JSON form) for `rules` and the argument shapes of `requests`. */
export function toCedarSchema(rules: readonly BenchRule[], requests: readonly BenchRequest[]): cedar.SchemaJson<string> {
  const attributes: Record<string, cedar.TypeOfAttribute<string>> = {};
  const seen = new Map<string, { type: 'Long' | 'String'; count: number }>();
  for (const req of requests) {
    for (const [k, v] of Object.entries(req.args)) {
      const type = typeof v === 'number' && Number.isSafeInteger(v) ? 'Long' : typeof v === 'string' ? 'String' : null;
      if (type === null) throw new Error(`args.${k} = ${JSON.stringify(v)} has no Cedar type here (Cedar has no floating-point numbers)`);
      const s = seen.get(k);
      if (s && s.type !== type) throw new Error(`args.${k} is a ${s.type} in one request and a ${type} in another`);
      seen.set(k, { type, count: (s?.count ?? 0) + 1 });
    }
  }
  for (const [k, s] of seen) attributes[k] = { type: s.type, required: s.count === requests.length };
  const context: cedar.Type<string> = { type: 'Record', attributes: { args: { type: 'Record', attributes } } };
  const actions: Record<string, cedar.ActionType<string>> = {};
  for (const r of rules) actions[r.tool] = { appliesTo: { principalTypes: ['Agent'], resourceTypes: ['Call'], context } };
  return { '': { entityTypes: { Agent: {}, Call: {} }, actions } };
}

/** A preparsed Cedar policy set and the call the bench times. */
export interface CedarPeer {
  name: 'cedar-wasm';
  validateMs: number;
  parseMs: number;
  input(request: BenchRequest): cedar.StatefulAuthorizationCall;
  evaluate(input: cedar.StatefulAuthorizationCall): cedar.AuthorizationAnswer;
  verdict(input: cedar.StatefulAuthorizationCall): Verdict;
}

function errorsText(errors: readonly { message: string }[]): string {
  return errors.map((e) => e.message).join('; ');
}

/**
 * Validates `rules` against their schema (strict mode), then parses them once under `id`.
 * cedar-wasm keeps preparsed sets in the wasm instance's thread-local cache, keyed by id; the
 * same id replaces the earlier set.
 */
export function loadCedar(id: string, rules: readonly BenchRule[], requests: readonly BenchRequest[]): CedarPeer {
  const staticPolicies = toCedarPolicies(rules);
  const schema = toCedarSchema(rules, requests);
  const v0 = performance.now();
  const validation = cedar.validate({ schema, policies: { staticPolicies }, validationSettings: { mode: 'strict' } });
  const validateMs = performance.now() - v0;
  if (validation.type === 'failure') throw new Error(`Cedar could not validate the bench policies: ${errorsText(validation.errors)}`);
  if (validation.validationErrors.length > 0) {
    throw new Error(`Cedar's validator rejected the bench policies: ${validation.validationErrors.map((e) => `${e.policyId}: ${e.error.message}`).join('; ')}`);
  }
  const p0 = performance.now();
  const parsed = cedar.preparsePolicySet(id, { staticPolicies });
  const parseMs = performance.now() - p0;
  if (parsed.type === 'failure') throw new Error(`Cedar could not parse the bench policies: ${errorsText(parsed.errors)}`);
  const order = new Map(rules.map((r, i) => [r.name, i]));
  const evaluate = (call: cedar.StatefulAuthorizationCall): cedar.AuthorizationAnswer => cedar.statefulIsAuthorized(call);
  return {
    name: 'cedar-wasm',
    validateMs,
    parseMs,
    input: (r) => ({
      principal: { type: 'Agent', id: 'bench' },
      action: { type: 'Action', id: r.tool },
      resource: { type: 'Call', id: 'bench' },
      context: { args: r.args },
      preparsedPolicySetId: id,
      entities: [],
    }),
    evaluate,
    verdict(call) {
      const answer = evaluate(call);
      if (answer.type === 'failure') throw new Error(`Cedar could not authorize: ${errorsText(answer.errors)}`);
      const { decision, diagnostics } = answer.response;
      if (diagnostics.errors.length > 0) throw new Error(`Cedar skipped policies that errored: ${diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`).join('; ')}`);
      let rule: string | null = null;
      for (const id of diagnostics.reason) if (rule === null || (order.get(id) ?? Infinity) < (order.get(rule) ?? Infinity)) rule = id;
      return { effect: decision, rule };
    },
  };
}
