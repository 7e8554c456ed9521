import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../../src/policy/compile.js';
import { alwaysDenied } from '../../../src/integrations/mcp/hide.js';

const POLICY = `
apiVersion: warden/v1
kind: Policy
name: fs
rules:
  - name: no-tree
    tools: [directory_tree, read_secrets]
    effect: deny
  - name: no-writes-outside
    tools: [write_file]
    when: "!args.path.startsWith('/ws/')"
    effect: deny
  - name: reads
    tools: ["read_*"]
    effect: allow
  - name: writes
    tools: [write_file]
    effect: allow
  - name: approve-moves
    tools: [move_file]
    effect: require_approval
    approvers: [ops]
  - name: ops-only
    tools: [delete_file]
    when: "agent.id == 'ops'"
    effect: allow
  - name: edits-only-for-ops
    tools: [edit_file]
    unless: "agent.id == 'ops'"
    effect: deny
`;

describe('alwaysDenied (the --hide-denied rule)', () => {
  const set = compilePolicy([{ name: 'fs.yaml', text: POLICY }]);
  const cases: Array<[string, boolean, string]> = [
    ['directory_tree', true, 'an unconditional deny rule covers it'],
    ['create_directory', true, 'the default denies and no allow, warn or approval rule names it'],
    ['search_files', true, 'the default denies and no allow, warn or approval rule names it'],
    ['read_text_file', false, 'an allow rule covers it'],
    ['read_secrets', true, 'an unconditional deny beats the allow rule that also covers it'],
    ['write_file', false, 'its deny rule has a condition; an allow rule covers it'],
    ['move_file', false, 'it can be approved'],
    ['delete_file', false, 'a conditional allow rule could apply to some agent'],
    ['edit_file', true, 'only a conditional deny rule and the default deny cover it'],
    ['write_file_v2', true, 'nothing covers it and the default denies'],
  ];
  it.each(cases)('%s hidden: %s (%s)', (tool, hidden) => {
    expect(alwaysDenied(set, tool, { id: 'ide' }, { server: 'fs' })).toBe(hidden);
  });

  it('hides nothing under a default-allow policy without unconditional denies, even where a conditional deny applies to empty arguments', () => {
    const open = compilePolicy([{ name: 'open.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: open\ndefault: allow\nrules:\n  - name: careful\n    tools: [rm]\n    when: "!has(args.safe)"\n    effect: deny\n' }]);
    expect(open.decide({ tool: 'rm', args: {} }).effect).toBe('deny');
    expect(['rm', 'ls', 'anything'].map((t) => alwaysDenied(open, t))).toEqual([false, false, false]);
  });

  it('hides every tool when the policy set is empty (every call is denied)', () => {
    expect(alwaysDenied(compilePolicy([]), 'read_file')).toBe(true);
  });
});
