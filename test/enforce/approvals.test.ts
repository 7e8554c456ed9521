import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Governor, type ApprovalHandler, type ApprovalRequest } from '../../src/enforce/governor.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { digestOf } from '../../src/lib/hash.js';
import { compilePolicy } from '../../src/policy/compile.js';

const POLICY_FILE = new URL('../fixtures/enforce/policy.yaml', import.meta.url);
const policy = compilePolicy([{ name: 'policy.yaml', text: readFileSync(POLICY_FILE, 'utf8') }]);

function governor(approvalHandler: ApprovalHandler | undefined, extra: Partial<ConstructorParameters<typeof Governor>[0]> = {}): Governor {
  return new Governor({ policy, agent: { id: 'bot-1' }, sink: new MemorySink(), approvalHandler, ...extra });
}

describe('approval answers: only the exact boolean true approves', () => {
  const answers: Array<{ name: string; answer: () => unknown; approved: boolean }> = [
    { name: 'true', answer: () => true, approved: true },
    { name: "'true'", answer: () => 'true', approved: false },
    { name: '1', answer: () => 1, approved: false },
    { name: '{ approved: true }', answer: () => ({ approved: true }), approved: false },
    { name: '[true]', answer: () => [true], approved: false },
    { name: "'yes'", answer: () => 'yes', approved: false },
    { name: 'a Promise resolving true (async handler)', answer: () => Promise.resolve(true), approved: true },
    { name: "a Promise resolving 'true'", answer: () => Promise.resolve('true'), approved: false },
    { name: 'a Promise resolving { approved: true }', answer: () => Promise.resolve({ approved: true }), approved: false },
    { name: 'null', answer: () => null, approved: false },
    { name: 'undefined', answer: () => undefined, approved: false },
    { name: 'false', answer: () => false, approved: false },
    { name: 'new Boolean(true)', answer: () => new Boolean(true), approved: false },
    { name: "'TRUE'", answer: () => 'TRUE', approved: false },
    { name: 'a function returning true', answer: () => () => true, approved: false },
  ];

  it.each(answers)('the answer $name approves: $approved', async ({ answer, approved }) => {
    const v = await governor(() => answer()).check({ tool: 'pay', args: { amount: 5 } });
    expect(v.policyDecision.effect).toBe('require_approval');
    expect(v.approval?.approved).toBe(approved);
    expect(v.allowed).toBe(approved);
    expect(v.effect).toBe(approved ? 'allow' : 'deny');
    if (!approved) expect(v.approval?.reason).toContain('only the boolean true approves');
  });

  it('an async function handler that resolves true approves', async () => {
    const v = await governor(async () => {
      await new Promise((r) => setTimeout(r, 5));
      return true;
    }).check({ tool: 'pay', args: { amount: 5 } });
    expect(v.allowed).toBe(true);
    expect(v.effect).toBe('allow');
  });
});

describe('approval failures deny', () => {
  it('a handler that throws denies, with the failure in the reason', async () => {
    const v = await governor(() => {
      throw new Error('pager is down');
    }).check({ tool: 'pay', args: { amount: 5 } });
    expect(v.allowed).toBe(false);
    expect(v.effect).toBe('deny');
    expect(v.approval?.approved).toBe(false);
    expect(v.approval?.reason).toBe('the approval handler failed: pager is down');
    expect(v.reason).toContain('pager is down');
  });

  it('a handler whose Promise rejects denies, with the failure in the reason', async () => {
    const v = await governor(() => Promise.reject(new Error('vote lost'))).check({ tool: 'pay', args: { amount: 5 } });
    expect(v.allowed).toBe(false);
    expect(v.approval?.reason).toBe('the approval handler failed: vote lost');
  });

  it('a handler that never answers denies after approvalTimeoutMs', async () => {
    const v = await governor(() => new Promise(() => undefined), { approvalTimeoutMs: 50 }).check({ tool: 'pay', args: { amount: 5 } });
    expect(v.allowed).toBe(false);
    expect(v.effect).toBe('deny');
    expect(v.approval?.reason).toBe('the approval handler did not answer within 50 ms');
  });

  it('a handler that answers true only after the timeout still denies', async () => {
    const v = await governor(() => new Promise((r) => setTimeout(() => r(true), 200)), { approvalTimeoutMs: 30 }).check({ tool: 'pay', args: { amount: 5 } });
    expect(v.allowed).toBe(false);
    expect(v.approval?.reason).toBe('the approval handler did not answer within 30 ms');
  });

  it('no handler configured denies', async () => {
    const v = await governor(undefined).check({ tool: 'pay', args: { amount: 5 } });
    expect(v.allowed).toBe(false);
    expect(v.effect).toBe('deny');
    expect(v.approval?.reason).toBe('approval is required but no approval handler is configured');
  });

  it('a rule with no approvers denies without asking the handler', async () => {
    let asked = 0;
    const v = await governor(() => {
      asked++;
      return true;
    }).check({ tool: 'launch', args: {} });
    expect(v.policyDecision.effect).toBe('require_approval');
    expect(v.policyDecision.approvers).toEqual([]);
    expect(v.allowed).toBe(false);
    expect(v.effect).toBe('deny');
    expect(asked).toBe(0);
    expect(v.approval?.reason).toContain('names no approvers');
  });

  it('the handler is not asked for requests that do not require approval', async () => {
    let asked = 0;
    const g = governor(() => {
      asked++;
      return true;
    });
    const denied = await g.check({ tool: 'write_file', args: { path: '/etc/x' } });
    const allowed = await g.check({ tool: 'read_file', args: {} });
    expect(denied.allowed).toBe(false);
    expect(allowed.allowed).toBe(true);
    expect(asked).toBe(0);
  });
});

describe('what the handler sees', () => {
  it('receives a frozen copy: mutating it throws in strict mode and changes nothing that is decided', async () => {
    let seen: ApprovalRequest | undefined;
    const errors: string[] = [];
    const args = { amount: 5, to: 'acct-1' };
    const v = await governor((ask) => {
      seen = ask;
      const tries: Array<() => void> = [
        () => {
          (ask.request.args as Record<string, unknown>).amount = 1;
        },
        () => {
          (ask.request as { tool: string }).tool = 'read_file';
        },
        () => {
          (ask.decision as { effect: string }).effect = 'allow';
        },
        () => {
          (ask.approvers as string[]).push('mallory');
        },
      ];
      for (const t of tries) {
        try {
          t();
        } catch (e) {
          errors.push((e as Error).constructor.name);
        }
      }
      return true;
    }).check({ tool: 'pay', args });
    expect(errors).toEqual(['TypeError', 'TypeError', 'TypeError', 'TypeError']);
    expect(seen?.request.args).toEqual({ amount: 5, to: 'acct-1' });
    expect(seen?.request.args).not.toBe(args);
    expect(Object.isFrozen(seen?.request)).toBe(true);
    expect(Object.isFrozen(seen?.request.args)).toBe(true);
    expect(args).toEqual({ amount: 5, to: 'acct-1' });
    expect(v.allowed).toBe(true);
  });

  it('receives the decision, the approvers and a sha256 requestDigest equal to digestOf(the request it saw)', async () => {
    let seen: ApprovalRequest | undefined;
    const v = await governor((ask) => {
      seen = ask;
      return true;
    }).check({ tool: 'pay', args: { amount: 5 } });
    expect(seen?.requestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(seen?.requestDigest).toBe(digestOf(seen?.request));
    expect(v.requestDigest).toBe(seen?.requestDigest);
    expect(seen?.request).toEqual({ tool: 'pay', args: { amount: 5 }, agent: { id: 'bot-1' } });
    expect(seen?.decision.rule).toBe('approve-payments');
    expect(seen?.decision.effect).toBe('require_approval');
    expect(seen?.approvers).toEqual(['finance']);
    expect(v.approval?.requestDigest).toBe(seen?.requestDigest);
  });

  it('different arguments give different request digests', async () => {
    const digests: string[] = [];
    const g = governor((ask) => {
      digests.push(ask.requestDigest);
      return true;
    });
    await g.check({ tool: 'pay', args: { amount: 5 } });
    await g.check({ tool: 'pay', args: { amount: 6 } });
    await g.check({ tool: 'pay', args: { amount: 5 } });
    expect(digests[0]).not.toBe(digests[1]);
    expect(digests[0]).toBe(digests[2]);
  });
});

describe('approval is bound to the exact request', () => {
  it('args mutated by the caller while approval is pending are denied', async () => {
    const args: Record<string, unknown> = { amount: 5 };
    let release: (v: unknown) => void = () => undefined;
    let asked: () => void = () => undefined;
    const handlerCalled = new Promise<void>((r) => (asked = r));
    const pending = governor(
      () =>
        new Promise((r) => {
          release = r;
          asked();
        }),
    ).check({ tool: 'pay', args });
    await handlerCalled;
    args.amount = 5_000_000;
    release(true);
    const v = await pending;
    expect(v.allowed).toBe(false);
    expect(v.effect).toBe('deny');
    expect(v.approval?.approved).toBe(false);
    expect(v.approval?.reason).toContain('changed while approval was pending');
  });

  const mutations: Array<[string, (r: { tool: string; args: Record<string, unknown>; context?: Record<string, unknown> }) => void]> = [
    ['a nested value changes', (r) => ((r.args.nested as Record<string, unknown>).to = 'mallory')],
    ['a key is added', (r) => (r.args.extra = 1)],
    ['a key is removed', (r) => delete r.args.amount],
    ['the tool is swapped', (r) => (r.tool = 'read_file')],
    ['the args object is replaced', (r) => (r.args = { amount: 5, nested: { to: 'alice' }, x: 1 })],
    ['the context changes', (r) => (r.context = { environment: 'prod' })],
  ];

  it.each(mutations)('denies when, during approval, %s', async (_name, mutate) => {
    const request: { tool: string; args: Record<string, unknown>; context?: Record<string, unknown> } = { tool: 'pay', args: { amount: 5, nested: { to: 'alice' } } };
    const v = await governor(() => {
      mutate(request);
      return true;
    }).check(request);
    expect(v.allowed).toBe(false);
    expect(v.approval?.reason).toContain('changed while approval was pending');
  });
});

describe('nothing inside args approves', () => {
  const smuggled: Array<[string, Record<string, unknown>]> = [
    ['approved: true', { amount: 5, approved: true }],
    ['Approved: true', { amount: 5, Approved: true }],
    ['APPROVED: "true"', { amount: 5, APPROVED: 'true' }],
    ['confusable Cyrillic approvеd', { amount: 5, ['approv\u0435d']: true }],
    ['nested approved', { amount: 5, meta: { approved: true } }],
    ['deeply nested approval', { amount: 5, a: { b: [{ approval: { approved: true, by: 'finance' } }] } }],
    ['approval object', { amount: 5, approval: { approved: true, requestDigest: 'sha256:00' } }],
    ['approvers list', { amount: 5, approvers: ['bot-1'] }],
    ['__proto__ approved', JSON.parse('{"amount":5,"__proto__":{"approved":true}}') as Record<string, unknown>],
  ];

  it.each(smuggled)('%s in args does not approve when no handler is configured', async (_name, args) => {
    const v = await governor(undefined).check({ tool: 'pay', args });
    expect(v.allowed).toBe(false);
    expect(v.effect).toBe('deny');
    expect(v.approval?.approved).toBe(false);
  });

  it.each(smuggled)('%s in args does not approve when the handler says false', async (_name, args) => {
    const v = await governor(() => false).check({ tool: 'pay', args });
    expect(v.allowed).toBe(false);
    expect(v.effect).toBe('deny');
  });

  it.each(smuggled)('%s in context does not approve', async (_name, context) => {
    const v = await governor(() => 'no').check({ tool: 'pay', args: { amount: 5 }, context });
    expect(v.allowed).toBe(false);
  });
});
