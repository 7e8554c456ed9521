import { createIdentity } from '../../src/identity/agent-key.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime/index.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';

export const ops = createIdentity();
export const lead = createIdentity();
export const stranger = createIdentity();

/** A policy on the facts the runtime adds: ring-1 tools need agent.ring <= 1, a trust floor for payments. */
export const RING_POLICY = compilePolicy([
  {
    name: 'rings.yaml',
    text: `apiVersion: warden/v1
kind: Policy
name: rings
default: deny
rules:
  - name: deploy-needs-ring-1
    tools: [deploy]
    when: "agent.ring <= 1"
    effect: allow
    reason: ring 1 deploys
  - name: pay-needs-trust
    tools: [pay]
    when: "agent.trust >= 500 && agent.tier != 'probation'"
    effect: allow
    reason: trusted enough to pay
  - name: read-anyone
    tools: [read, slow]
    effect: allow
    reason: reading is fine
`,
  },
]);

export function memoryRuntime(extra: Partial<RuntimeOptions> = {}, clock?: () => number): { store: Store; runtime: Runtime } {
  const store = createMemoryStore(clock === undefined ? {} : { clock });
  return { store, runtime: createRuntime({ store, signers: [ops.did], approvers: [lead.did], ...extra }) };
}
