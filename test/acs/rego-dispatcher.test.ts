/**
 * ACS `type: rego` policies through the specification's own mapping (input = the canonical policy
 * input, the query's value = the verdict), compiled once by a real opa and evaluated in-process
 * with opa-wasm: the IFC no-write-down rule of section 11 on the corpus's spec-18 manifest.
 */
import { describe, expect, it } from 'vitest';
import { findOpa } from '../../bench/peers/opa-binary.js';
import { acsRegoDispatcher, evaluateAcs, loadAcsManifest } from '../../src/acs/index.js';
import { WardenError } from '../../src/errors.js';

const opa = findOpa();
if (!opa.ok && process.env.CI) throw new Error(opa.reason);
if (!opa.ok) console.warn(`test/acs/rego-dispatcher.test.ts skips: ${opa.reason}`);

const MANIFEST = loadAcsManifest(`agent_control_specification_version: 0.3.1-beta
policies:
  p:
    type: rego
    query: data.acs.verdict
intervention_points:
  pre_tool_call:
    tool_name_from: $snap.tool_call.name
    policy:
      id: p
    policy_target: $snap.tool_call.args
  input:
    policy: { id: p, query: data.acs.input_verdict }
    policy_target: $snap.input
tools:
  search:
    type: Tool
    clearance: internal
    security_labels:
      sink: retrieval
`);

const IFC = `package acs

import rego.v1

levels := {"public": 0, "internal": 1, "confidential": 2, "secret": 3}

default verdict := {"decision": "deny", "reason": "ifc_clearance_violation"}

verdict := {"decision": "allow", "result_labels": [input.tool.clearance]} if {
  clearance := levels[input.tool.clearance]
  labels := input.snapshot.ifc.source_labels
  is_array(labels)
  count(labels) > 0
  every l in labels { levels[l] <= clearance }
}

input_verdict := {"decision": "warn", "reason": "long_input"} if count(input.policy_target.value.text) > 20
input_verdict := {"decision": "allow"} if count(input.policy_target.value.text) <= 20
`;

describe.skipIf(!opa.ok)('acsRegoDispatcher (real opa + opa-wasm)', () => {
  const policy = opa.ok ? acsRegoDispatcher(MANIFEST, { modules: { p: IFC }, opa: opa.path }) : () => null;
  const call = (labels: unknown) => ({ interventionPoint: 'pre_tool_call', snapshot: { ...(labels !== undefined ? { ifc: { source_labels: labels } } : {}), tool_call: { id: 'c', name: 'search', args: { q: 'memo' } } } });

  it.each([
    ['internal data to an internal sink (corpus spec-18 case-01)', ['internal'], 'allow', null],
    ['public and internal data', ['public', 'internal'], 'allow', null],
    ['confidential data to an internal sink (corpus spec-18 case-02)', ['confidential'], 'deny', 'ifc_clearance_violation'],
    ['one secret label among public ones', ['public', 'secret'], 'deny', 'ifc_clearance_violation'],
    ['an unknown label', ['internal', 'top-secret'], 'deny', 'ifc_clearance_violation'],
    ['a label in another case', ['Internal'], 'deny', 'ifc_clearance_violation'],
    ['an empty label list', [], 'deny', 'ifc_clearance_violation'],
    ['labels that are not a list', 'internal', 'deny', 'ifc_clearance_violation'],
    ['no labels at all', undefined, 'deny', 'ifc_clearance_violation'],
  ])('%s -> %s', (_n, labels, decision, reason) => {
    const r = evaluateAcs(MANIFEST, call(labels), { policy });
    expect(r.verdict.decision).toBe(decision);
    expect(r.verdict.reason).toBe(reason);
    if (decision === 'allow') expect(r.verdict.resultLabels).toEqual(['internal']);
  });

  it('uses the binding query at input', () => {
    expect(evaluateAcs(MANIFEST, { interventionPoint: 'input', snapshot: { input: { text: 'hi' } } }, { policy }).verdict.decision).toBe('allow');
    expect(evaluateAcs(MANIFEST, { interventionPoint: 'input', snapshot: { input: { text: 'a much longer message than that' } } }, { policy }).verdict).toMatchObject({ decision: 'warn', reason: 'long_input' });
  });

  it('fails closed when the query is undefined for the input (no verdict)', () => {
    const r = evaluateAcs(MANIFEST, { interventionPoint: 'input', snapshot: { input: { text: 42 } } }, { policy });
    expect(r.verdict).toMatchObject({ decision: 'deny', reason: 'runtime_error:policy_output_invalid' });
  });

  it('refuses at construction a rego policy without a module, and one that does not compile', () => {
    expect(() => acsRegoDispatcher(MANIFEST, { modules: {}, opa: opa.ok ? opa.path : '' })).toThrow(/options.modules has no module/);
    let thrown: unknown;
    try {
      acsRegoDispatcher(MANIFEST, { modules: { p: 'package acs\nverdict := {' }, opa: opa.ok ? opa.path : '' });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(WardenError);
    expect((thrown as WardenError).message).toMatch(/^runtime_error:manifest_invalid: policy p: opa could not compile/);
  });
});
