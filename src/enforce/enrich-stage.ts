/**
 * The `enrich` stage: what the runtime knows about the agent, for the policy to read as
 * `agent.trust` (0-1000), `agent.tier` and `agent.ring` (0-3). These always come from the runtime
 * (its trust ledger, ring configuration and elevations in the store), never from the caller: any
 * values the enforcement point passed are replaced. A store that cannot be read denies the call.
 */
import type { AgentIdentity } from '../decision.js';
import type { CallState, Core } from './call.js';

/** enrich: sets agent.trust, agent.tier and agent.ring from the runtime. */
export function enrichStage(call: CallState, core: Core): void | Promise<void> {
  const runtime = core.runtime;
  const agent = call.agent;
  if (runtime === null || agent === null || call.decision !== null) return;
  const facts = runtime.enrich(agent);
  if (facts instanceof Promise) return facts.then((f) => apply(call, agent, f));
  apply(call, agent, facts);
}

function apply(call: CallState, agent: Readonly<AgentIdentity>, facts: { trust: number; tier: string; ring: number }): void {
  // invariant: the numbers the policy reads are the runtime's, checked here once more.
  if (!Number.isInteger(facts.trust) || facts.trust < 0 || facts.trust > 1000 || !Number.isInteger(facts.ring) || facts.ring < 0 || facts.ring > 3 || typeof facts.tier !== 'string') {
    throw new Error(`the runtime returned malformed facts (${JSON.stringify(facts)})`);
  }
  call.agent = Object.freeze({ ...agent, trust: facts.trust, tier: facts.tier, ring: facts.ring });
}
