import { describe, expect, it } from 'vitest';
import type { ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import type { ApprovalRequest } from '../../../src/enforce/governor.js';
import { approvalAnswer, approvalForm } from '../../../src/integrations/mcp/approval.js';

const ask: ApprovalRequest = {
  request: { tool: 'move_file', args: { source: '/ws/a', destination: '/ws/b', token: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789' }, agent: { id: 'ide' }, context: { host: 'mcp', mcp: { server: 'fs' } } },
  decision: { effect: 'require_approval', allowed: false, rule: 'approve-moves', policy: 'fs', reason: 'Moves need a person', approvers: ['ops'], errors: [], policyDigest: 'sha256:x' },
  requestDigest: 'sha256:abc',
  approvers: ['ops'],
  call: 'call-1',
};

describe('approvalForm', () => {
  it('asks one required boolean and names the tool, server, rule, approvers and redacted arguments', () => {
    const form = approvalForm(ask);
    expect(form.mode).toBe('form');
    expect(form.requestedSchema).toEqual({
      type: 'object',
      properties: { approve: { type: 'boolean', title: 'Approve this call', description: 'Run move_file once with the arguments shown', default: false } },
      required: ['approve'],
    });
    expect(form.message).toBe(
      [
        'Warden: tool "move_file" on fs needs approval.',
        'Rule: approve-moves (policy fs): Moves need a person',
        'Approvers: ops',
        'Arguments: {"source":"/ws/a","destination":"/ws/b","token":"[REDACTED:token]"}',
        'Request digest: sha256:abc',
        'Approving runs this exact call once.',
      ].join('\n'),
    );
  });

  it('truncates long arguments', () => {
    const form = approvalForm({ ...ask, request: { ...ask.request, args: { text: 'x'.repeat(10_000) } } });
    expect(form.message).toMatch(/… \(10011 characters\)\n/);
  });
});

describe('approvalAnswer', () => {
  const cases: Array<[string, ElicitResult, true | string]> = [
    ['accept with approve: true', { action: 'accept', content: { approve: true } }, true],
    ['accept with approve: false', { action: 'accept', content: { approve: false } }, 'accept without approve: true'],
    ['accept with the string "true"', { action: 'accept', content: { approve: 'true' } }, 'accept without approve: true'],
    ['accept with 1', { action: 'accept', content: { approve: 1 } }, 'accept without approve: true'],
    ['accept with a confusable key (Cyrillic e)', { action: 'accept', content: { 'approvе': true } }, 'accept without approve: true'],
    ['accept with Approve', { action: 'accept', content: { Approve: true } }, 'accept without approve: true'],
    ['accept with no content', { action: 'accept' }, 'accept without approve: true'],
    ['decline', { action: 'decline' }, 'decline'],
    ['decline carrying approve: true', { action: 'decline', content: { approve: true } }, 'decline'],
    ['cancel', { action: 'cancel' }, 'cancel'],
  ];
  it.each(cases)('%s', (_label, result, expected) => {
    expect(approvalAnswer(result)).toBe(expected);
  });
});
