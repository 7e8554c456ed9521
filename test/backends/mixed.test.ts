/**
 * One policy set in three languages: the demo's policy split across YAML, Cedar and Rego
 * (examples/demo/mixed/) decides every call of the demo's script as the YAML-only policy does.
 */
import { describe, expect, it } from 'vitest';
import { findOpa } from '../../bench/peers/opa-binary.js';
import { DEMO_POLICY, DEMO_SCRIPT } from '../../src/cli/demo.js';
import { loadPolicyFiles } from '../../src/enforce/load-files.js';

const opa = findOpa();
if (!opa.ok && process.env.CI) throw new Error(opa.reason);
if (!opa.ok) console.warn(`test/backends/mixed.test.ts skips: ${opa.reason}`);
if (opa.ok) process.env.WARDEN_OPA = opa.path;

describe.skipIf(!opa.ok)('the demo policy in YAML, Cedar and Rego at once', () => {
  const agents = [{ id: 'support-bot-7', roles: ['support'] }, { id: 'vip-desk', roles: ['support', 'vip'] }, undefined];

  it('is loaded as three languages', async () => {
    const mixed = await loadPolicyFiles([DEMO_POLICY.replace(/policy\.yaml$/, 'mixed')]);
    expect(mixed.policies.map((p) => p.language ?? 'yaml').sort()).toEqual(['cedar', 'rego', 'yaml']);
  });

  it('decides every demo call, for every agent, as the YAML-only policy does', async () => {
    const yaml = await loadPolicyFiles([DEMO_POLICY]);
    const mixed = await loadPolicyFiles([DEMO_POLICY.replace(/policy\.yaml$/, 'mixed')]);
    const differ: string[] = [];
    for (const agent of agents) {
      for (const step of DEMO_SCRIPT) {
        const request = { tool: step.tool, args: step.args, ...(agent ? { agent } : {}), context: { environment: 'production' } };
        const a = yaml.decide(request);
        const b = mixed.decide(request);
        // Where YAML applied a rule because its condition could not be evaluated, its reason says so.
        const sameReason = a.errors.length > 0 || a.reason === b.reason;
        if (a.effect !== b.effect || !sameReason || a.rule !== b.rule || a.approvers.join() !== b.approvers.join()) {
          differ.push(`${agent?.id ?? 'anonymous'} ${step.tool}: ${a.effect}/${a.rule} (${a.reason}) vs ${b.effect}/${b.rule} (${b.reason})`);
        }
      }
    }
    expect(differ).toEqual([]);
  });
});
