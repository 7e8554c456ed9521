/**
 * The Cedar engine for `kind: CedarPolicy` documents: `@cedar-policy/cedar-wasm` (an optional
 * peer), the policy set parsed once at load and evaluated in-process.
 *
 * Mapping of a Warden request (docs/policy-languages.md has the full table):
 * - principal `Agent::"<agent.id>"` (the empty id for a caller with no identity), with attributes
 *   `roles` (set of strings), `labels` (record), `verified` (bool), and `ring`, `trust`, `did` when
 *   present; its parents are `Role::"<role>"` for each role, so `principal in Role::"admin"` works.
 * - action `Action::"<tool>"`; resource `Tool::"<tool>"`.
 * - context `{ tool, args, context }`: the tool name (for patterns: `context.tool like "delete_*"`),
 *   and the request's args and context as Cedar records. Integers stay
 *   Longs; a fraction becomes a `decimal` when Cedar can hold it (at most 4 places), else the call
 *   is denied; JSON nulls are left out of records; an object key Cedar reserves (`__entity`,
 *   `__extn`, `__expr`) is refused, so arguments can never forge an entity reference.
 * - verdict: a satisfied `permit` is an allow; a satisfied `forbid` a deny (or `require_approval`
 *   when every satisfied forbid is annotated `@effect("require_approval")`, with `@approvers("a,b")`);
 *   neither is no opinion. `@id("...")` names a policy, `@reason("...")` gives the reason. A policy
 *   that errors during evaluation is, as in Warden's YAML rules, applied when it is a forbid (fail
 *   closed) and ignored when it is a permit.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { BackendDocument, BackendEvaluator, BackendFactory, BackendInput, BackendVerdict } from '../policy/backend.js';
import { WardenError } from '../errors.js';

/** The package the Cedar engine needs, with the range this version of Warden supports. */
export const CEDAR_PACKAGE = '@cedar-policy/cedar-wasm@^4.13.0';

interface CedarPolicyInfo {
  effect: 'permit' | 'forbid';
  approval: boolean;
  approvers: string[];
  reason: string | null;
}

/** The subset of cedar-wasm's API used here (its own types stay out of Warden's public types). */
interface CedarWasm {
  policySetTextToParts(text: string): { type: 'success'; policies: string[]; policy_templates: string[] } | { type: 'failure'; errors: Array<{ message: string }> };
  policyToJson(policy: string): { type: 'success'; json: { effect: 'permit' | 'forbid'; annotations?: Record<string, string | null> } } | { type: 'failure'; errors: Array<{ message: string }> };
  validate(call: unknown): { type: 'success'; validationErrors: Array<{ policyId: string; error: { message: string } }> } | { type: 'failure'; errors: Array<{ message: string }> };
  preparsePolicySet(id: string, policies: unknown): { type: 'success' } | { type: 'failure'; errors: Array<{ message: string }> };
  preparseSchema(name: string, schema: unknown): { type: 'success' } | { type: 'failure'; errors: Array<{ message: string }> };
  statefulIsAuthorized(call: unknown):
    | { type: 'success'; response: { decision: 'allow' | 'deny'; diagnostics: { reason: string[]; errors: Array<{ policyId: string; error: { message: string } }> } } }
    | { type: 'failure'; errors: Array<{ message: string }> };
  getCedarVersion(): string;
}

let loaded: CedarWasm | null = null;

/**
 * Loads cedar-wasm (once per process) and returns the engine for `kind: CedarPolicy` documents.
 *
 * @example
 * ```ts
 * import { compilePolicy } from 'agent-warden';
 * import { cedarBackend } from 'agent-warden/backends';
 * const set = compilePolicy(sources, { backends: { cedar: await cedarBackend() } });
 * ```
 * @throws WardenError `ERR_MISSING_DEPENDENCY` when @cedar-policy/cedar-wasm is not installed.
 */
export async function cedarBackend(): Promise<BackendFactory> {
  if (loaded === null) {
    try {
      // The nodejs build is CommonJS and instantiates its WebAssembly synchronously when required.
      loaded = createRequire(import.meta.url)('@cedar-policy/cedar-wasm/nodejs') as CedarWasm;
    } catch (e) {
      throw new WardenError(
        'ERR_MISSING_DEPENDENCY',
        `Cedar policies need the optional package @cedar-policy/cedar-wasm, which did not load (${e instanceof Error ? e.message.split('\n')[0] : String(e)}). Install it beside agent-warden: npm install ${CEDAR_PACKAGE}`,
        { cause: e },
      );
    }
  }
  const cedar = loaded;
  return (doc) => loadCedarDocument(cedar, doc);
}

function messages(errors: ReadonlyArray<{ message: string }>): string {
  return errors.map((e) => e.message).join('; ');
}

function loadCedarDocument(cedar: CedarWasm, doc: BackendDocument): BackendEvaluator {
  const parts = cedar.policySetTextToParts(doc.text);
  if (parts.type === 'failure') throw new Error(`the Cedar policies do not parse: ${messages(parts.errors)}`);
  if (parts.policy_templates.length > 0) throw new Error('Cedar templates are not supported in a CedarPolicy document; write static policies.');
  if (parts.policies.length === 0) throw new Error('the document holds no Cedar policy.');
  const staticPolicies: Record<string, string> = {};
  const infos = new Map<string, CedarPolicyInfo>();
  parts.policies.forEach((text, i) => {
    const json = cedar.policyToJson(text);
    if (json.type === 'failure') throw new Error(`Cedar policy ${i + 1} does not parse: ${messages(json.errors)}`);
    const a = json.json.annotations ?? {};
    const id = a.id ?? `policy${i}`;
    if (infos.has(id)) throw new Error(`two Cedar policies have the id "${id}"; give each @id("...") a unique value.`);
    const effect = a.effect ?? null;
    if (effect !== null && effect !== 'require_approval') throw new Error(`policy "${id}": @effect can only be "require_approval" (on a forbid), not ${JSON.stringify(effect)}.`);
    if (effect === 'require_approval' && json.json.effect !== 'forbid') throw new Error(`policy "${id}": @effect("require_approval") applies to forbid policies only.`);
    const approvers = (a.approvers ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (approvers.length > 0 && effect !== 'require_approval') throw new Error(`policy "${id}": @approvers needs @effect("require_approval").`);
    staticPolicies[id] = text;
    infos.set(id, { effect: json.json.effect, approval: effect === 'require_approval', approvers, reason: a.reason ?? null });
  });
  const digest = createHash('sha256').update(doc.text).update('\0').update(doc.schema ?? '').digest('hex').slice(0, 32);
  const setId = `warden:${doc.name}:${digest}`;
  let schemaName: string | undefined;
  if (doc.schema !== undefined) {
    const v = cedar.validate({ schema: doc.schema, policies: { staticPolicies }, validationSettings: { mode: 'strict' } });
    if (v.type === 'failure') throw new Error(`the Cedar schema or policies could not be validated: ${messages(v.errors)}`);
    if (v.validationErrors.length > 0) throw new Error(`Cedar's validator (strict mode) rejects the policies: ${v.validationErrors.map((e) => `${e.policyId}: ${e.error.message}`).join('; ')}`);
    schemaName = setId;
    const s = cedar.preparseSchema(schemaName, doc.schema);
    if (s.type === 'failure') throw new Error(`the Cedar schema does not parse: ${messages(s.errors)}`);
  }
  const parsed = cedar.preparsePolicySet(setId, { staticPolicies });
  if (parsed.type === 'failure') throw new Error(`the Cedar policies do not parse: ${messages(parsed.errors)}`);
  const order = [...infos.keys()];
  return {
    language: 'cedar',
    decide(input: BackendInput): BackendVerdict {
      const call = {
        ...cedarRequest(input),
        preparsedPolicySetId: setId,
        ...(schemaName !== undefined ? { preparsedSchemaName: schemaName, validateRequest: true } : {}),
      };
      const answer = cedar.statefulIsAuthorized(call);
      if (answer.type === 'failure') throw new Error(messages(answer.errors));
      const { decision, diagnostics } = answer.response;
      // A forbid that failed to evaluate applies (fail closed); a permit that failed does not.
      const erroredForbids = diagnostics.errors.filter((e) => infos.get(e.policyId)?.effect === 'forbid');
      if (erroredForbids.length > 0) {
        const first = erroredForbids[0] as { policyId: string; error: { message: string } };
        return { effect: 'deny', rule: first.policyId, reason: `Cedar policy "${first.policyId}" of policy "${doc.name}" denies this call because it could not be evaluated: ${first.error.message}` };
      }
      const satisfied = order.filter((id) => diagnostics.reason.includes(id));
      if (decision === 'allow') {
        const id = satisfied[0] ?? null;
        return { effect: 'allow', rule: id, reason: id === null ? null : (infos.get(id)?.reason ?? null) };
      }
      if (satisfied.length === 0) return { effect: null, rule: null };
      const hard = satisfied.find((id) => infos.get(id)?.approval !== true);
      const id = hard ?? (satisfied[0] as string);
      const info = infos.get(id) as CedarPolicyInfo;
      if (hard === undefined) return { effect: 'require_approval', rule: id, reason: info.reason, approvers: [...new Set(satisfied.flatMap((s) => infos.get(s)?.approvers ?? []))] };
      return { effect: 'deny', rule: id, reason: info.reason };
    },
  };
}

/** The Cedar principal, action, resource, context and entities for a request. */
function cedarRequest(input: BackendInput): { principal: Uid; action: Uid; resource: Uid; context: Record<string, unknown>; entities: unknown[] } {
  const agent = input.agent as Record<string, unknown>;
  const id = typeof agent.id === 'string' ? agent.id : '';
  const roles = Array.isArray(agent.roles) ? (agent.roles as unknown[]).filter((r): r is string => typeof r === 'string') : [];
  const attrs: Record<string, unknown> = {
    roles,
    labels: cedarValue(agent.labels ?? {}, 'agent.labels'),
    verified: agent.verified !== undefined && agent.verified !== null,
  };
  for (const key of ['ring', 'trust', 'did'] as const) {
    if (agent[key] !== undefined && agent[key] !== null) attrs[key] = cedarValue(agent[key], `agent.${key}`);
  }
  const principal = { type: 'Agent', id };
  const entities: unknown[] = [{ uid: principal, attrs, parents: roles.map((r) => ({ type: 'Role', id: r })) }];
  for (const r of new Set(roles)) entities.push({ uid: { type: 'Role', id: r }, attrs: {}, parents: [] });
  const context: Record<string, unknown> = { tool: input.tool, args: cedarValue(input.args, 'args'), context: cedarValue(input.context, 'context') };
  return { principal, action: { type: 'Action', id: input.tool }, resource: { type: 'Tool', id: input.tool }, context, entities };
}

interface Uid {
  type: string;
  id: string;
}

const RESERVED_KEYS = new Set(['__entity', '__extn', '__expr']);
const DECIMAL = /^-?\d+(\.\d{1,4})?$/;
/** Cedar decimals hold at most this magnitude (i64 with four implied places). */
const DECIMAL_LIMIT = 922_337_203_685_477;

/** A request value as Cedar JSON; throws (and the call is denied) on what Cedar cannot hold faithfully. */
function cedarValue(v: unknown, where: string): unknown {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v;
    const text = String(v);
    if (Number.isFinite(v) && Math.abs(v) < DECIMAL_LIMIT && DECIMAL.test(text)) return { __extn: { fn: 'decimal', arg: text.includes('.') ? text : `${text}.0` } };
    throw new Error(`${where} is ${text}, which Cedar cannot hold exactly (integers up to 2^53, or decimals with at most 4 places)`);
  }
  if (Array.isArray(v)) {
    return v.map((x, i) => {
      if (x === null) throw new Error(`${where}[${i}] is null, which a Cedar set cannot hold`);
      return cedarValue(x, `${where}[${i}]`);
    });
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (RESERVED_KEYS.has(k)) throw new Error(`${where} has the key "${k}", which Cedar reserves (it would be read as an entity or extension value, not as data)`);
      if (x === null) continue;
      // defineProperty: a key such as "__proto__" stays an ordinary attribute.
      Object.defineProperty(out, k, { value: cedarValue(x, `${where}.${k}`), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  throw new Error(`${where} has a value Cedar cannot hold`);
}
