/**
 * The answers the hook writes are the hooks contract's shapes: PreToolUse permission decisions and
 * the UserPromptSubmit block, typed against @anthropic-ai/claude-agent-sdk.
 */
import type { SyncHookJSONOutput } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import type { Decision, Effect } from '../../../src/decision.js';
import { permissionDecisionOf, preToolUseOutput, promptOutput, reasonText } from '../../../src/integrations/claude-code/output.js';

function decision(effect: Effect, extra: Partial<Decision> = {}): Decision {
  return { effect, allowed: effect === 'allow' || effect === 'warn', rule: 'r1', policy: 'p1', reason: 'because', approvers: [], errors: [], policyDigest: 'sha256:x', ...extra };
}

describe('PreToolUse output', () => {
  const table: Array<[Effect, 'allow' | 'deny' | 'ask']> = [
    ['deny', 'deny'],
    ['require_approval', 'ask'],
    ['warn', 'allow'],
    ['allow', 'allow'],
  ];

  it.each(table)('%s -> %s', (effect, expected) => {
    expect(permissionDecisionOf(effect)).toBe(expected);
    const out: SyncHookJSONOutput = preToolUseOutput(decision(effect));
    expect(out).toEqual({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: expected, permissionDecisionReason: expect.stringMatching(/^Warden: /) as unknown } });
  });

  it.each(['', 'Allow', 'ALLOW', 'approve', 'allowed', 'defer'])('an effect that is not exactly allow, warn or require_approval (%j) denies', (effect) => {
    expect(permissionDecisionOf(effect)).toBe('deny');
  });

  it('the reason names the rule and policy', () => {
    expect(preToolUseOutput(decision('deny')).hookSpecificOutput.permissionDecisionReason).toBe('Warden: because [rule r1 of policy p1]');
  });

  it('a warning says so', () => {
    expect(reasonText(decision('warn'))).toBe('Warden: warning: because [rule r1 of policy p1]');
  });

  it('a default decision has no rule part', () => {
    expect(reasonText(decision('deny', { rule: null, reason: 'No rule allows tool "X".' }))).toBe('Warden: No rule allows tool "X".');
  });

  it('an invalid request says what was invalid', () => {
    const d = decision('deny', { rule: null, policy: null, reason: 'invalid_request', errors: [{ code: 'invalid_request', rule: null, policy: null, message: 'request.args must be an object' }] });
    expect(reasonText(d)).toBe('Warden: the request is invalid: request.args must be an object');
  });

  it('a long reason is clipped to 2000 characters', () => {
    expect(reasonText(decision('deny', { reason: 'x'.repeat(5000) }))).toHaveLength(2000);
  });
});

describe('UserPromptSubmit output', () => {
  it('deny blocks with the reason', () => {
    const out: SyncHookJSONOutput | null = promptOutput(decision('deny'));
    expect(out).toEqual({ decision: 'block', reason: 'Warden: because [rule r1 of policy p1]' });
  });

  it('require_approval blocks too: a prompt cannot ask', () => {
    expect(promptOutput(decision('require_approval'))?.reason).toBe(
      'Warden: because [rule r1 of policy p1] (the rule requires approval, which a prompt cannot ask for, so it is blocked)',
    );
  });

  it.each(['allow', 'warn'] as const)('%s lets the prompt through (no output)', (effect) => {
    expect(promptOutput(decision(effect))).toBeNull();
  });
});

describe('reasonText with a rule that has no reason of its own', () => {
  it('does not name the rule twice', () => {
    expect(reasonText(decision('allow', { reason: 'Rule "r1" of policy "p1" allows this call.' }))).toBe('Warden: Rule "r1" of policy "p1" allows this call.');
  });
});
