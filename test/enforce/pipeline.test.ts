/**
 * The enforcement pipeline: its stages in order, the snapshot every part of a call reads, the
 * one event builder, gates, reports, outcomes, deferred approval, and every failure ending in a
 * recorded denial.
 */
import { describe, expect, it } from 'vitest';
import type { DecisionEvent, DecisionSink, OutcomeEvent, WardenWarning } from '../../src/decision.js';
import { GovernanceDenied } from '../../src/enforce/denied.js';
import { govern } from '../../src/enforce/govern.js';
import { Governor } from '../../src/enforce/governor.js';
import { MemorySink } from '../../src/enforce/memory-sink.js';
import { Pipeline, STAGES } from '../../src/enforce/pipeline.js';
import { digestOf } from '../../src/lib/hash.js';
import { compilePolicy } from '../../src/policy/compile.js';

const policy = compilePolicy([
  {
    name: 'p.yaml',
    document: {
      apiVersion: 'warden/v1',
      kind: 'Policy',
      name: 'p',
      rules: [
        { name: 'no-etc', tools: ['write_file'], when: "args.path.startsWith('/etc/')", effect: 'deny', reason: 'No writes under /etc' },
        { name: 'writes', tools: ['write_file'], effect: 'allow' },
        { name: 'pay', tools: ['pay'], effect: 'require_approval', approvers: ['finance'] },
        { name: 'reads', tools: ['read_file'], effect: 'allow' },
      ],
    },
  },
]);

const FIXED = new Date('2026-06-01T00:00:00.000Z');
let n = 0;
const ids = (): string => `call-${++n}`;

describe('the stages', () => {
  it('run in the documented order', () => {
    expect(STAGES.map((s) => s.name)).toEqual(['snapshot', 'identify', 'kill', 'enrich', 'gate', 'session', 'admit', 'decide', 'approve', 'recheck', 'kill-recheck', 'charge', 'record', 'notify']);
  });
});

describe('one event builder', () => {
  it('hands every sink a frozen event with the call id, the decided request and the final outcome', async () => {
    const sink = new MemorySink();
    const p = new Pipeline({ policy, sink, agent: { id: 'a1' }, clock: () => FIXED, callIds: ids });
    const { verdict } = await p.decide({ request: { tool: 'write_file', args: { path: '/etc/x' } } });
    const event = sink.events[0] as DecisionEvent;
    expect(Object.isFrozen(event)).toBe(true);
    expect(Object.isFrozen(event.request.args)).toBe(true);
    expect(Object.isFrozen(event.decision)).toBe(true);
    expect(event).toEqual({
      ts: '2026-06-01T00:00:00.000Z',
      call: verdict.call,
      agent: { id: 'a1' },
      request: { tool: 'write_file', args: { path: '/etc/x' } },
      decision: verdict.policyDecision,
      outcome: { executed: false, effect: 'deny', reason: 'No writes under /etc' },
    });
  });

  it('uses the host call id (context.callId) when it is an identifier without a secret, and a made one otherwise', async () => {
    const p = new Pipeline({ policy, callIds: () => 'made-1' });
    const cases: Array<[unknown, string]> = [
      ['toolu_01ABC', 'toolu_01ABC'],
      ['call with spaces', 'made-1'],
      ['x'.repeat(257), 'made-1'],
      ['AKIAIOSFODNN7EXAMPLE', 'made-1'],
      [42, 'made-1'],
      ['', 'made-1'],
    ];
    for (const [callId, want] of cases) {
      const { verdict } = await p.decide({ request: { tool: 'read_file', args: {}, context: { callId } } });
      expect(verdict.call).toBe(want);
    }
  });
});

describe('the snapshot is what is decided, shown, recorded and run', () => {
  it('reads each getter once: a value that flips on its second read is never what runs', () => {
    const g = new Governor({ policy, sink: new MemorySink() });
    const ran: string[] = [];
    const write = govern((a: { path: string }) => ran.push(a.path), { tool: 'write_file', governor: g });
    let reads = 0;
    const args = {
      get path() {
        return reads++ === 0 ? '/tmp/ok' : '/etc/passwd';
      },
    };
    write(args);
    expect(ran).toEqual(['/tmp/ok']);
  });

  it('with toArgs, a parameter whose getter flips runs with the decided value or not at all, never the flipped one', async () => {
    const g = new Governor({ policy, sink: new MemorySink() });
    const ran: string[] = [];
    const write = govern(async (target: { path: string }) => void ran.push(target.path), {
      tool: 'write_file',
      governor: g,
      toArgs: (target) => ({ path: (target as { path: string }).path }),
    });
    let reads = 0;
    const target = {
      get path() {
        return reads++ === 0 ? '/tmp/ok' : '/etc/passwd';
      },
    };
    await write(target).catch((e: unknown) => {
      expect(e).toBeInstanceOf(GovernanceDenied);
    });
    expect(ran).not.toContain('/etc/passwd');
  });

  it('with toArgs, parameters that are not plain data are denied as invalid, recorded, and never run', async () => {
    const sink = new MemorySink();
    const g = new Governor({ policy, sink });
    let ran = 0;
    const write = govern(
      async (path: string, _options: unknown) => {
        ran++;
        return path;
      },
      { tool: 'write_file', governor: g, toArgs: (path) => ({ path }) },
    );
    const notData: unknown[] = [() => '/etc/passwd', new Map([['path', '/etc/passwd']]), new (class Options { path = '/etc/passwd'; })(), 10n];
    for (const options of notData) {
      const e = await write('/tmp/ok', options).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(GovernanceDenied);
      expect((e as GovernanceDenied).decision.errors.map((x) => x.code)).toEqual(['invalid_request']);
    }
    expect(ran).toBe(0);
    expect(sink.events).toHaveLength(notData.length);
  });

  it('a Proxy that answers differently on every read is run with what was decided', () => {
    const g = new Governor({ policy, sink: new MemorySink() });
    const ran: string[] = [];
    const write = govern((a: { path: string }) => ran.push(a.path), { tool: 'write_file', governor: g });
    let reads = 0;
    const args = new Proxy({ path: '' }, { get: (_t, k) => (k === 'path' ? (reads++ % 2 === 0 ? '/tmp/ok' : '/etc/passwd') : undefined) });
    write(args);
    expect(ran).toEqual(['/tmp/ok']);
  });

  it('the governed function gets its own mutable copy: mutating it changes neither the record nor the caller', () => {
    const sink = new MemorySink();
    const g = new Governor({ policy, sink });
    const write = govern(
      (a: { path: string }) => {
        a.path = '/etc/mutated';
        return a.path;
      },
      { tool: 'write_file', governor: g },
    );
    const args = { path: '/tmp/ok' };
    expect(write(args)).toBe('/etc/mutated');
    expect(args.path).toBe('/tmp/ok');
    expect(sink.events[0]?.request.args).toEqual({ path: '/tmp/ok' });
  });

  it("binds approval to the digest of what the approver was shown, and the verdict carries it", async () => {
    const p = new Pipeline({ policy, agent: { id: 'a1' }, approvalHandler: () => true });
    const { verdict } = await p.decide({ request: { tool: 'pay', args: { amount: 5 } } });
    expect(verdict.allowed).toBe(true);
    expect(verdict.requestDigest).toBe(digestOf({ agent: { id: 'a1' }, args: { amount: 5 }, tool: 'pay' }));
    expect(verdict.approval?.requestDigest).toBe(verdict.requestDigest);
  });
});

describe('identity never comes from the request', () => {
  it('an agent inside args or context is data; the enforcement point identity is recorded', async () => {
    const sink = new MemorySink();
    const p = new Pipeline({ policy, sink, agent: { id: 'real' } });
    await p.decide({ request: { tool: 'read_file', args: { agent: { id: 'root' }, agent_id: 'root' }, context: { agent: { id: 'root' } }, agent: { id: 'root' } } });
    expect(sink.events[0]?.agent).toEqual({ id: 'real' });
  });
});

describe('gates (the enforcement point\u2019s own checks)', () => {
  it('a gate refusal decides before the policy and is recorded under its own rule', async () => {
    const sink = new MemorySink();
    const p = new Pipeline({ policy, sink });
    const { verdict } = await p.decide({ request: { tool: 'read_file', args: {} }, gate: () => ({ rule: 'mcp-pin', policy: 'warden:mcp-gateway', reason: 'changed since pinned' }) });
    expect(verdict).toMatchObject({ effect: 'deny', allowed: false, rule: 'mcp-pin', policy: 'warden:mcp-gateway', reason: 'changed since pinned', recorded: true });
    expect(sink.events[0]?.decision.rule).toBe('mcp-pin');
  });

  it('is asked again after an approval wait, and a refusal then overrides the approval', async () => {
    let refuse = false;
    const p = new Pipeline({
      policy,
      approvalHandler: async () => {
        refuse = true;
        return true;
      },
    });
    const { verdict } = await p.decide({ request: { tool: 'pay', args: { amount: 1 } }, gate: () => (refuse ? { rule: 'pin', policy: 'gw', reason: 'changed while approval was pending' } : null) });
    expect(verdict).toMatchObject({ allowed: false, rule: 'pin', reason: 'changed while approval was pending' });
  });

  it('a gate that throws denies with a pipeline_error, recorded', async () => {
    const sink = new MemorySink();
    const p = new Pipeline({ policy, sink });
    const { verdict } = await p.decide({
      request: { tool: 'read_file', args: {} },
      gate: () => {
        throw new Error('lock file unreadable');
      },
    });
    expect(verdict.allowed).toBe(false);
    expect(verdict.errors.map((e) => e.code)).toEqual(['pipeline_error']);
    expect(verdict.reason).toContain('lock file unreadable');
    expect(sink.events[0]?.decision.errors[0]?.code).toBe('pipeline_error');
  });
});

describe('deferred approval', () => {
  it('returns require_approval to the enforcement point without asking any handler, and records it as not run', async () => {
    const sink = new MemorySink();
    let asked = 0;
    const p = new Pipeline({
      policy,
      sink,
      approval: 'defer',
      approvalHandler: () => {
        asked++;
        return true;
      },
    });
    const { verdict } = await p.decide({ request: { tool: 'pay', args: { amount: 5 } } });
    expect([verdict.effect, verdict.allowed, asked]).toEqual(['require_approval', false, 0]);
    expect(sink.events[0]?.outcome).toMatchObject({ executed: false, effect: 'require_approval' });
  });
  it('a deferred approval whose record failed is a deny: a host must not put an unrecorded call to a person', async () => {
    const p = new Pipeline({ policy, sink: { write: () => Promise.reject(new Error('disk full')) }, approval: 'defer' });
    const { verdict } = await p.decide({ request: { tool: 'pay', args: { amount: 5 } } });
    expect([verdict.effect, verdict.allowed, verdict.recorded]).toEqual(['deny', false, false]);
    expect(verdict.errors.map((e) => e.code)).toContain('audit_failure');
  });
});

describe('reports (what the enforcement point decided itself)', () => {
  it('go through the same stages and record whether what they report went on', async () => {
    const sink = new MemorySink();
    const p = new Pipeline({ policy, sink });
    await p.report({ request: { tool: 'echo', args: {}, context: { host: 'mcp' } } }, { effect: 'warn', rule: 'mcp-pin', policy: 'gw', reason: 'changed' });
    await p.report({ request: { tool: 'UserPromptSubmit', args: { prompt: 'hi' } } }, { effect: 'allow', rule: null, policy: null, reason: 'recorded, not decided', executed: true });
    expect(sink.events.map((e) => [e.decision.effect, e.outcome?.executed])).toEqual([
      ['warn', false],
      ['allow', true],
    ]);
  });
});

describe('outcomes', () => {
  it('govern() records the outcome of each call it ran, linked by call id; a denied call has none', async () => {
    const sink = new MemorySink();
    const g = new Governor({ policy, sink, callIds: ids });
    const write = govern(async (a: { path: string }) => {
      if (a.path === '/tmp/fail') throw new RangeError('disk quota');
      return a.path;
    }, { tool: 'write_file', governor: g });
    await write({ path: '/tmp/ok' });
    await expect(write({ path: '/tmp/fail' })).rejects.toThrow('disk quota');
    await expect(write({ path: '/etc/x' })).rejects.toBeInstanceOf(GovernanceDenied);
    const [ok, failed] = sink.outcomes as [OutcomeEvent, OutcomeEvent];
    expect(sink.outcomes).toHaveLength(2);
    expect([ok.call, ok.outcome.status]).toEqual([sink.events[0]?.call, 'ok']);
    expect([failed.call, failed.outcome.status, failed.outcome.error]).toEqual([sink.events[1]?.call, 'error', { name: 'RangeError', message: 'disk quota' }]);
    expect(typeof ok.outcome.durationMs).toBe('number');
  });

  it('an outcome that cannot be recorded is a warning, never a throw (the call has already run)', async () => {
    const warnings: WardenWarning[] = [];
    const sink: DecisionSink = { write: async () => undefined, writeOutcome: async () => Promise.reject(new Error('disk full')) };
    const g = new Governor({ policy, sink, onWarning: (w) => warnings.push(w) });
    const write = govern(async (a: { path: string }) => a.path, { tool: 'write_file', governor: g });
    await expect(write({ path: '/tmp/ok' })).resolves.toBe('/tmp/ok');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(warnings.map((w) => w.code)).toEqual(['outcome_not_recorded']);
  });
});

describe('options', () => {
  it.each([
    [{ policy, approvalTimeout: 5 }, 'approvalTimeout'],
    [{ policy, approval: 'ask' }, 'approval'],
    [{ policy, approvalTimeoutMs: -1 }, 'approvalTimeoutMs'],
    [{ policy, approvalTimeoutMs: Number.NaN }, 'approvalTimeoutMs'],
    [{ policy, onAuditFailure: 'allow' }, 'onAuditFailure'],
    [{ policy, agent: { id: 'a', f: () => 1 } }, 'agent'],
    [{}, 'policy'],
  ])('refuses %j when the pipeline is made (never a silent default)', (options, word) => {
    expect(() => new Pipeline(options as never)).toThrow(expect.objectContaining({ code: 'ERR_OPTIONS', message: expect.stringContaining(word) }));
  });
});

describe('audit failures', () => {
  it('deny by default, and the verdict says why; nothing ran', async () => {
    const sink: DecisionSink = { write: async () => Promise.reject(new Error('EIO')) };
    const g = new Governor({ policy, sink });
    let ran = 0;
    const read = govern(async () => ran++, { tool: 'read_file', governor: g });
    const e = await read().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GovernanceDenied);
    expect((e as GovernanceDenied).decision.errors.map((x) => x.code)).toEqual(['audit_failure']);
    expect(ran).toBe(0);
  });
});

describe('replaying what the pipeline recorded', () => {
  it('an unchanged policy replays invalid requests with zero changes: they stay invalid or are indeterminate, never re-decided on a substitute', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openFileAuditSink } = await import('../../src/audit/file-sink.js');
    const { replay } = await import('../../src/replay/replay.js');
    const { readReplayRecords } = await import('../../src/replay/read-log.js');
    const allowAll = compilePolicy([{ name: 'open.yaml', document: { apiVersion: 'warden/v1', kind: 'Policy', name: 'open', rules: [{ name: 'anything', tools: ['*'], effect: 'allow' }] } }]);
    const dir = mkdtempSync(join(tmpdir(), 'warden-replay-invalid-'));
    try {
      const file = join(dir, 'log.jsonl');
      const sink = await openFileAuditSink({ path: file });
      const p = new Pipeline({ policy: allowAll, sink });
      const invalid: unknown[] = [
        { tool: 'write_file', args: ['/etc/passwd'] },
        { tool: 'write_file', args: '/etc/passwd' },
        { tool: 'write_file', args: null },
        { tool: 42, args: {} },
        { tool: 'write_file', args: { path: () => '/etc/passwd' } },
        { tool: 'write_file', args: { big: 10n } },
        'not a request',
      ];
      for (const request of invalid) {
        const { verdict } = await p.decide({ request });
        expect(verdict.errors.map((e) => e.code)).toEqual(['invalid_request']);
      }
      await p.decide({ request: undefined, invalid: 'the text repeats the key "args"' });
      await p.decide({ request: { tool: 'write_file', args: { path: '/tmp/ok' } } });
      await sink.close();
      const report = await replay(readReplayRecords([file]), allowAll);
      expect(report.decisions).toBe(invalid.length + 2);
      expect(report.changed).toBe(0);
      expect(report.malformed).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a handed-over parse (CallInput.parsedJson)', () => {
  it('is frozen in place and decided like a copy; a number JSON.parse read as Infinity is denied and recorded as unrecordable', async () => {
    const sink = new MemorySink();
    const p = new Pipeline({ policy, sink });
    const parsed = JSON.parse('{"tool":"write_file","args":{"path":"/tmp/ok"}}') as { args: { path: string } };
    const { verdict } = await p.decide({ request: parsed, parsedJson: true });
    expect(verdict.allowed).toBe(true);
    expect(Object.isFrozen(parsed.args)).toBe(true);
    const huge = JSON.parse('{"tool":"write_file","args":{"size":1e400}}') as unknown;
    const refused = await p.decide({ request: huge, parsedJson: true });
    expect(refused.verdict.errors.map((e) => e.code)).toEqual(['invalid_request']);
    expect(refused.verdict.recorded).toBe(true);
    expect(sink.events[1]?.unrecordable).toMatch(/no JSON form/);
  });
});
