/**
 * What an ACS evaluation costs (src/acs): loading a manifest, and one pre_tool_call evaluation
 * (path resolution, tool projection, canonical policy input, action identity, verdict
 * normalization) with a function policy and with a Warden policy set as the policy, side by side
 * with the policy set's own decide() on the same call (what a user without ACS runs).
 */
import { acsRegoDispatcher, evaluateAcs, loadAcsManifest, wardenAcsDispatcher } from '../src/acs/index.js';
import { findOpa } from './peers/opa-binary.js';
import { compilePolicy } from '../src/policy/compile.js';
import { measure, printTable } from './stats.js';

const TEXT = `agent_control_specification_version: 0.3.1-beta
policies:
  p: { type: custom, adapter: host }
intervention_points:
  pre_tool_call:
    tool_name_from: $snap.tool_call.name
    policy: { id: p }
    policy_target: $snap.tool_call.args
  input:
    policy: { id: p }
    policy_target: $snap.input
tools:
  refund: { type: Tool, clearance: internal, security_labels: [payments] }
`;

const set = compilePolicy([
  {
    name: 'bench',
    document: { apiVersion: 'warden/v1', kind: 'Policy', name: 'bench', rules: [{ name: 'big', tools: ['refund'], when: 'args.amount > 500', effect: 'require_approval', approvers: ['f'] }, { name: 'refunds', tools: ['refund'], effect: 'allow' }] },
  },
]);

const REGO = `package acs

import rego.v1

levels := {"public": 0, "internal": 1, "confidential": 2, "secret": 3}

default verdict := {"decision": "deny", "reason": "ifc_clearance_violation"}

verdict := {"decision": "allow"} if {
  clearance := levels[input.tool.clearance]
  labels := input.snapshot.ifc.source_labels
  count(labels) > 0
  every l in labels { levels[l] <= clearance }
}
`;

/** The same call with a type: rego policy (opa-wasm, in-process), when an opa binary is here. */
function regoRows(snapshot: unknown): ReturnType<typeof measure>[] {
  const opa = findOpa();
  if (!opa.ok) {
    console.log(`(acs rego rows skipped: ${opa.reason})`);
    return [];
  }
  const manifest = loadAcsManifest(TEXT.replace('p: { type: custom, adapter: host }', 'p: { type: rego, query: data.acs.verdict }'));
  const policy = acsRegoDispatcher(manifest, { modules: { p: REGO }, opa: opa.path });
  return [measure('evaluateAcs pre_tool_call, rego (opa-wasm)', () => evaluateAcs(manifest, { interventionPoint: 'pre_tool_call', snapshot }, { policy }))];
}

/** Runs the ACS bench. */
export async function run(): Promise<void> {
  const manifest = loadAcsManifest(TEXT);
  const snapshot = { tool_call: { id: 'c1', name: 'refund', args: { amount: 20, order: 'A-1', note: 'customer asked twice' } }, ifc: { source_labels: ['internal'] } };
  const request = { interventionPoint: 'pre_tool_call', snapshot };
  const fn = { policy: () => ({ decision: 'allow' }) };
  const warden = { policy: wardenAcsDispatcher(set) };
  const transform = { policy: () => ({ decision: 'transform', reason: 'r', transform: { path: '$policy_target.note', value: '[redacted]' } }) };
  printTable('ACS (src/acs)', [
    measure('loadAcsManifest (small manifest)', () => loadAcsManifest(TEXT), { samples: 5_000 }),
    measure('evaluateAcs pre_tool_call, function policy', () => evaluateAcs(manifest, request, fn)),
    measure('evaluateAcs pre_tool_call, transform', () => evaluateAcs(manifest, request, transform)),
    measure('evaluateAcs pre_tool_call, Warden policy set', () => evaluateAcs(manifest, request, warden)),
    measure('policy set decide() alone, same call', () => set.decide({ tool: 'refund', args: snapshot.tool_call.args })),
    ...regoRows(snapshot),
  ]);
}
