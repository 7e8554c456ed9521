import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GovernanceDenied } from '../../src/enforce/denied.js';
import { Governor } from '../../src/enforce/governor.js';
import { govern } from '../../src/enforce/govern.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import type { DecisionEvent, DecisionSink } from '../../src/decision.js';
import { WardenError } from '../../src/errors.js';
import { compilePolicy } from '../../src/policy/compile.js';

const POLICY_FILE = new URL('../fixtures/enforce/policy.yaml', import.meta.url);
const policy = compilePolicy([{ name: 'policy.yaml', text: readFileSync(POLICY_FILE, 'utf8') }]);

const rejecting: DecisionSink = {
  write: () => Promise.reject(new Error('disk full')),
  writeSync: () => {
    throw new Error('disk full');
  },
};

describe('audit failure with the default onAuditFailure (deny)', () => {
  const sinks: Array<[string, DecisionSink]> = [
    ['rejects', { write: () => Promise.reject(new Error('disk full')) }],
    [
      'throws synchronously from write()',
      {
        write: () => {
          throw new Error('disk full');
        },
      },
    ],
    ['rejects with a non-Error', { write: () => Promise.reject('disk full') }],
  ];

  it.each(sinks)('a sink whose write %s turns an allow into a deny naming the failure, recorded: false', async (_name, sink) => {
    const g = new Governor({ policy, sink });
    const v = await g.check({ tool: 'read_file', args: {} });
    expect(v.policyDecision.effect).toBe('allow');
    expect(v.effect).toBe('deny');
    expect(v.allowed).toBe(false);
    expect(v.recorded).toBe(false);
    expect(v.reason).toContain('could not be recorded');
    expect(v.reason).toContain('disk full');
    expect(v.errors.map((e) => e.code)).toContain('audit_failure');
    expect(v.errors.find((e) => e.code === 'audit_failure')?.message).toBe('disk full');
  });

  it('a deny stays a deny, recorded: false, with the failure named', async () => {
    const g = new Governor({ policy, sink: rejecting });
    const v = await g.check({ tool: 'write_file', args: { path: '/etc/x' } });
    expect(v.effect).toBe('deny');
    expect(v.recorded).toBe(false);
    expect(v.reason).toContain('disk full');
  });

  it('an approved request whose record fails is denied', async () => {
    const g = new Governor({ policy, sink: rejecting, approvalHandler: () => true });
    const v = await g.check({ tool: 'pay', args: { amount: 1 } });
    expect(v.approval?.approved).toBe(true);
    expect(v.allowed).toBe(false);
    expect(v.effect).toBe('deny');
    expect(v.recorded).toBe(false);
  });

  it('a governed async function does not run when its decision cannot be recorded', async () => {
    let ran = 0;
    const g = new Governor({ policy, sink: rejecting });
    const read = govern(
      async () => {
        ran++;
      },
      { tool: 'read_file', governor: g },
    );
    const e = await read().then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(GovernanceDenied);
    expect((e as GovernanceDenied).decision.reason).toContain('disk full');
    expect(ran).toBe(0);
  });

  it('an unknown onAuditFailure value is refused when the Governor is made (never a silent default)', () => {
    expect(() => new Governor({ policy, sink: rejecting, onAuditFailure: 'allow' as unknown as 'deny' })).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS' }));
  });
});

describe("audit failure with onAuditFailure: 'allow-and-warn'", () => {
  it('allows, recorded: false, adds a warning and calls onWarning', async () => {
    const warnings: string[] = [];
    const g = new Governor({ policy, sink: rejecting, onAuditFailure: 'allow-and-warn', onWarning: (w) => warnings.push(w.message) });
    const v = await g.check({ tool: 'read_file', args: {} });
    expect(v.effect).toBe('allow');
    expect(v.allowed).toBe(true);
    expect(v.recorded).toBe(false);
    expect(v.warnings).toHaveLength(1);
    expect(v.warnings[0]?.code).toBe('audit_failure');
    expect(v.warnings[0]?.message).toContain('disk full');
    expect(v.warnings[0]?.message).toContain('allow-and-warn');
    expect(warnings).toEqual(v.warnings.map((w) => w.message));
  });

  it('does not turn a deny into an allow', async () => {
    const g = new Governor({ policy, sink: rejecting, onAuditFailure: 'allow-and-warn' });
    const v = await g.check({ tool: 'write_file', args: { path: '/etc/x' } });
    expect(v.allowed).toBe(false);
    expect(v.effect).toBe('deny');
    expect(v.recorded).toBe(false);
  });

  it('a governed sync function runs, with the warning delivered', () => {
    const warnings: string[] = [];
    const g = new Governor({ policy, sink: rejecting, onAuditFailure: 'allow-and-warn', onWarning: (w) => warnings.push(w.message) });
    const read = govern(() => 'contents', { tool: 'read_file', governor: g });
    expect(read()).toBe('contents');
    expect(warnings).toHaveLength(1);
  });
});

describe('sync recording', () => {
  it('a sink without writeSync used by a sync governed function denies and the function does not run', () => {
    let ran = 0;
    const events: DecisionEvent[] = [];
    const g = new Governor({ policy, sink: { write: async (e) => void events.push(e) } });
    const read = govern(
      () => {
        ran++;
      },
      { tool: 'read_file', governor: g },
    );
    let err: unknown;
    try {
      read();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GovernanceDenied);
    expect((err as GovernanceDenied).decision.reason).toContain('cannot record synchronously');
    expect((err as GovernanceDenied).decision.errors.map((e) => e.code)).toContain('audit_failure');
    expect(ran).toBe(0);
    expect(events).toHaveLength(0);
  });

  it('checkSync with a sink without writeSync: deny, recorded: false', () => {
    const g = new Governor({ policy, sink: { write: async () => undefined } });
    const v = g.checkSync({ tool: 'read_file', args: {} });
    expect(v.allowed).toBe(false);
    expect(v.recorded).toBe(false);
  });

  it('the same sink used by an async governed function records and runs', async () => {
    const events: DecisionEvent[] = [];
    const g = new Governor({ policy, sink: { write: async (e) => void events.push(e) } });
    const read = govern(async () => 'ok', { tool: 'read_file', governor: g });
    expect(await read()).toBe('ok');
    expect(events).toHaveLength(1);
  });

  it('checkSync with a MemorySink records synchronously', () => {
    const sink = new MemorySink();
    const g = new Governor({ policy, sink });
    const v = g.checkSync({ tool: 'read_file', args: {} });
    expect(v.allowed).toBe(true);
    expect(v.recorded).toBe(true);
    expect(sink.events).toHaveLength(1);
  });
});

describe('MemorySink capacity', () => {
  it('when full, the next decision is denied (async), recorded: false, and nothing is evicted', async () => {
    const sink = new MemorySink({ capacity: 2 });
    const g = new Governor({ policy, sink });
    expect((await g.check({ tool: 'read_file', args: { n: 1 } })).allowed).toBe(true);
    expect((await g.check({ tool: 'read_file', args: { n: 2 } })).allowed).toBe(true);
    const v = await g.check({ tool: 'read_file', args: { n: 3 } });
    expect(v.allowed).toBe(false);
    expect(v.effect).toBe('deny');
    expect(v.recorded).toBe(false);
    expect(v.reason).toContain('full');
    expect(sink.events.map((e) => e.request.args)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('when full, a sync governed call is denied and does not run', () => {
    let ran = 0;
    const sink = new MemorySink({ capacity: 1 });
    const g = new Governor({ policy, sink });
    const read = govern(
      () => {
        ran++;
      },
      { tool: 'read_file', governor: g },
    );
    read();
    expect(() => read()).toThrow(GovernanceDenied);
    expect(ran).toBe(1);
  });

  it('writeSync throws ERR_AUDIT_WRITE when full', () => {
    const sink = new MemorySink({ capacity: 1 });
    sink.writeSync({ ts: '2026-01-01T00:00:00.000Z', agent: null, request: { tool: 't', args: {} }, decision: { effect: 'deny', allowed: false, rule: null, policy: null, reason: 'r', approvers: [], errors: [], policyDigest: '' } });
    const event: DecisionEvent = {
      ts: '2026-01-01T00:00:00.000Z',
      agent: null,
      request: { tool: 't', args: {} },
      decision: { effect: 'deny', allowed: false, rule: null, policy: null, reason: 'r', approvers: [], errors: [], policyDigest: '' },
    };
    let err: unknown;
    try {
      sink.writeSync(event);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).code).toBe('ERR_AUDIT_WRITE');
  });
});
