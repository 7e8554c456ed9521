/**
 * A Warden policy set (YAML rules, and Cedar and Rego documents in it) as the policy dispatcher of
 * an ACS intervention point. Warden decides tool calls, so the mapping exists only at
 * `pre_tool_call` with a projected tool; bound anywhere else it fails closed
 * (`runtime_error:policy_invocation_failed`).
 *
 * Mapping (docs/acs.md): `tool` is the projected tool's name, `args` the policy target (an
 * object), `agent` the snapshot's `envelope.agent` (or what `options.agent` returns), `context`
 * `{ acs: { annotations, tool, ifc } }`. Warden's effect maps to the decision: allow -> allow,
 * warn -> warn, deny -> deny, require_approval -> escalate; the deciding rule id (or
 * `warden_default`) is the reason and Warden's reason text the message.
 */
import type { Decision } from '../decision.js';
import { rejectUnknownKeys } from '../lib/options.js';
import type { AcsPolicyDispatcher, AcsPolicyInput } from './evaluate.js';

/**
 * What the dispatcher needs of a policy set: its `decide`.
 *
 * @example
 * ```ts
 * const set: AcsDecider = compilePolicy(sources);
 * ```
 */
export interface AcsDecider {
  decide(request: unknown, options?: { now?: Date } | null): Decision;
}

/**
 * Options of {@link wardenAcsDispatcher}.
 *
 * @example
 * ```ts
 * const options: WardenAcsOptions = { agent: (pi) => ({ id: String((pi.snapshot.actor as { id?: unknown })?.id) }) };
 * ```
 */
export interface WardenAcsOptions {
  /** The agent the request names; default the snapshot's `envelope.agent`, when it is an object. */
  agent?: (policyInput: AcsPolicyInput) => unknown;
}

const EFFECT_TO_DECISION = { allow: 'allow', warn: 'warn', deny: 'deny', require_approval: 'escalate' } as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Makes an ACS policy dispatcher that asks a Warden policy set.
 *
 * @example
 * ```ts
 * const set = compilePolicy([{ name: 'p.yaml', text: yamlText }]);
 * const result = evaluateAcs(manifest, { interventionPoint: 'pre_tool_call', snapshot }, { policy: wardenAcsDispatcher(set) });
 * ```
 * @throws WardenError `ERR_OPTIONS` for an unknown option.
 */
export function wardenAcsDispatcher(set: AcsDecider, options: WardenAcsOptions = {}): AcsPolicyDispatcher {
  rejectUnknownKeys(options, ['agent'], 'ERR_OPTIONS', 'wardenAcsDispatcher options');
  return (invocation) => {
    const pi = invocation.input;
    if (pi.intervention_point !== 'pre_tool_call') throw new Error(`a Warden policy set decides tool calls; it is bound at ${pi.intervention_point}, where no tool call is decided`);
    if (pi.tool === null || typeof pi.tool.name !== 'string') throw new Error('pre_tool_call has no projected tool: give the intervention point a tool_name_from');
    if (!isObject(pi.policy_target.value)) throw new Error('the policy target is not an object of tool arguments');
    const agent = options.agent !== undefined ? options.agent(pi) : isObject(pi.snapshot.envelope) && isObject(pi.snapshot.envelope.agent) ? pi.snapshot.envelope.agent : undefined;
    const request = {
      tool: pi.tool.name,
      args: pi.policy_target.value,
      ...(agent !== undefined ? { agent } : {}),
      context: { acs: { annotations: pi.annotations, tool: pi.tool, ifc: pi.snapshot.ifc ?? null } },
    };
    const decision = set.decide(request);
    return { decision: EFFECT_TO_DECISION[decision.effect], reason: decision.rule ?? 'warden_default', message: decision.reason };
  };
}
