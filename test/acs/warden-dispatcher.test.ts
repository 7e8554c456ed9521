/**
 * A Warden policy set as an ACS policy dispatcher: the demo's YAML policy and a Cedar document
 * (real cedar-wasm) decide pre_tool_call evaluations; elsewhere the dispatcher fails closed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluateAcs, loadAcsManifest, wardenAcsDispatcher } from '../../src/acs/index.js';
import { cedarBackend } from '../../src/backends/cedar.js';
import { DEMO_POLICY } from '../../src/cli/demo.js';
import { compilePolicy } from '../../src/policy/compile.js';

const MANIFEST = loadAcsManifest(`agent_control_specification_version: 0.3.1-beta
policies:
  warden: { type: custom, adapter: warden }
intervention_points:
  pre_tool_call:
    tool_name_from: $snap.tool_call.name
    policy: { id: warden }
    policy_target: $snap.tool_call.args
  input:
    policy: { id: warden }
    policy_target: $snap.input
tools:
  write_file: { type: Tool }
  refund: { type: Tool }
  search_docs: { type: Tool }
  delete_records: { type: Tool }
  shell: { type: Tool }
`);

const yamlSet = compilePolicy([{ name: 'policy.yaml', text: readFileSync(DEMO_POLICY, 'utf8') }]);
const call = (name: string, args: Record<string, unknown>, agent?: unknown) => ({
  interventionPoint: 'pre_tool_call',
  snapshot: { tool_call: { id: 'c1', name, args }, ...(agent !== undefined ? { envelope: { agent } } : {}) },
});

describe('wardenAcsDispatcher with the demo YAML policy', () => {
  const policy = wardenAcsDispatcher(yamlSet);
  const rows: Array<{ name: string; tool: string; args: Record<string, unknown>; agent?: unknown; decision: string; reason: string }> = [
    { name: 'a lookup is allowed', tool: 'search_docs', args: { q: 'refund policy' }, decision: 'allow', reason: 'allow-lookups' },
    { name: 'a workspace write is allowed', tool: 'write_file', args: { path: '/workspace/a.txt', content: 'x' }, decision: 'allow', reason: 'allow-workspace-writes' },
    { name: 'a write outside the workspace is denied', tool: 'write_file', args: { path: '/etc/passwd', content: 'x' }, decision: 'deny', reason: 'files-only-in-workspace' },
    { name: 'a traversal out of the workspace is denied', tool: 'write_file', args: { path: '/workspace/../etc/passwd', content: 'x' }, decision: 'deny', reason: 'files-only-in-workspace' },
    { name: 'a large refund escalates (require_approval)', tool: 'refund', args: { amount: 900 }, decision: 'escalate', reason: 'refunds-over-limit' },
    { name: 'a VIP-desk refund warns', tool: 'refund', args: { amount: 20 }, agent: { id: 'vip-desk', roles: ['support', 'vip'] }, decision: 'warn', reason: 'flag-refunds-for-vip' },
    { name: 'a small refund is allowed', tool: 'refund', args: { amount: 20 }, decision: 'allow', reason: 'allow-small-refunds' },
  ];
  it.each(rows)('$name', (row) => {
    const r = evaluateAcs(MANIFEST, call(row.tool, row.args, row.agent), { policy });
    expect(r.verdict).toMatchObject({ decision: row.decision, reason: row.reason });
    expect(r.verdict.message).toEqual(expect.any(String));
  });

  it('decides as the policy set does on the same request, for every demo row', () => {
    for (const row of rows) {
      const d = yamlSet.decide({ tool: row.tool, args: row.args, ...(row.agent ? { agent: row.agent } : {}), context: { acs: { annotations: {}, tool: { type: 'Tool', name: row.tool }, ifc: null } } });
      expect(evaluateAcs(MANIFEST, call(row.tool, row.args, row.agent), { policy }).verdict.reason).toBe(d.rule);
    }
  });

  it('fails closed where Warden decides no tool call (input)', () => {
    const r = evaluateAcs(MANIFEST, { interventionPoint: 'input', snapshot: { input: { text: 'hi' } } }, { policy });
    expect(r.verdict).toMatchObject({ decision: 'deny', reason: 'runtime_error:policy_invocation_failed' });
  });

  it('fails closed when the tool arguments are not an object', () => {
    const r = evaluateAcs(MANIFEST, { interventionPoint: 'pre_tool_call', snapshot: { tool_call: { name: 'search_docs', args: 'q=1' } } }, { policy });
    expect(r.verdict).toMatchObject({ decision: 'deny', reason: 'runtime_error:policy_invocation_failed' });
  });

  it('denies a delete by its rule, and a tool no rule covers by the default (reason warden_default)', () => {
    expect(evaluateAcs(MANIFEST, call('delete_records', { id: 1 }), { policy }).verdict).toMatchObject({ decision: 'deny', reason: 'no-bulk-deletes' });
    expect(evaluateAcs(MANIFEST, call('shell', { cmd: 'ls' }), { policy }).verdict).toMatchObject({ decision: 'deny', reason: 'warden_default' });
  });

  it('rejects an unknown option', () => {
    expect(() => wardenAcsDispatcher(yamlSet, { agnet: () => null } as never)).toThrow(/Unknown key "agnet"/);
  });
});

describe('wardenAcsDispatcher with a Cedar document', async () => {
  const cedar = await cedarBackend();
  const set = compilePolicy(
    [
      {
        name: 'c.yaml',
        text: `apiVersion: warden/v1\nkind: CedarPolicy\nname: c\npolicies: |\n  @id("lookups")\n  permit (principal, action == Action::"search_docs", resource);\n  @id("no-big-refunds")\n  forbid (principal, action == Action::"refund", resource) when { context.args.amount > 500 };\n  @id("refunds")\n  permit (principal, action == Action::"refund", resource);\n`,
      },
    ],
    { backends: { cedar } },
  );
  const policy = wardenAcsDispatcher(set);
  it.each([
    { tool: 'search_docs', args: { q: 'x' }, decision: 'allow', reason: 'lookups' },
    { tool: 'refund', args: { amount: 10 }, decision: 'allow', reason: 'refunds' },
    { tool: 'refund', args: { amount: 900 }, decision: 'deny', reason: 'no-big-refunds' },
    { tool: 'write_file', args: { path: '/workspace/a' }, decision: 'deny' },
  ])('$tool $args -> $decision', (row) => {
    const r = evaluateAcs(MANIFEST, call(row.tool, row.args), { policy });
    expect(r.verdict.decision).toBe(row.decision);
    if (row.reason) expect(r.verdict.reason).toBe(row.reason);
  });
});
