/**
 * Caller-supplied authority against the runtime (THREATS.md classes 1, 2, 3 and 14): nothing the
 * caller or the model puts in the request or the asserted identity can raise trust or ring, lift a
 * kill, or stand in for an elevation. About a third of the rows are benign and must be allowed
 * (false denies count too).
 */
import { describe, expect, it } from 'vitest';
import { Pipeline } from '../../src/enforce/pipeline.js';
import { parseKillTarget } from '../../src/runtime/index.js';
import { memoryRuntime, ops, RING_POLICY } from './helpers.js';

type Row = [label: string, agent: Record<string, unknown>, request: Record<string, unknown>, allowed: boolean];

const deploy = (extra: Record<string, unknown> = {}, context?: Record<string, unknown>) => ({ tool: 'deploy', args: { env: 'prod', ...extra }, ...(context === undefined ? {} : { context }) });

const ROWS: Row[] = [
  // An untrusted agent (no events: trust 0, ring 3) trying to look privileged.
  ['asserted ring 0', { id: 'mallory', ring: 0 }, deploy(), false],
  ['asserted ring -1', { id: 'mallory', ring: -1 }, deploy(), false],
  ['asserted ring "0"', { id: 'mallory', ring: '0' }, deploy(), false],
  ['asserted ring 0.5', { id: 'mallory', ring: 0.5 }, deploy(), false],
  ['asserted trust 1000 and tier trusted', { id: 'mallory', trust: 1000, tier: 'trusted' }, deploy(), false],
  ['asserted trust as a string', { id: 'mallory', trust: '1000' }, deploy(), false],
  ['ring in the arguments', { id: 'mallory' }, deploy({ ring: 0, agent: { ring: 0 } }), false],
  ['elevation in the arguments', { id: 'mallory' }, deploy({ elevation: { to: 1, expiresAt: 9e15 } }), false],
  ['approved flag in the arguments', { id: 'mallory' }, deploy({ approved: true, Approved: true, 'approv\u0435d': true }), false],
  ['agent in the context', { id: 'mallory' }, deploy({}, { agent: { id: 'trusted-bot', ring: 0 }, ring: 0 }), false],
  ['__proto__ carrying a ring', { id: 'mallory' }, JSON.parse('{"tool":"deploy","args":{"__proto__":{"ring":0}},"context":{"__proto__":{"ring":0}}}') as Record<string, unknown>, false],
  ['another agent\'s id with a suffix', { id: 'trusted-bot ' }, deploy(), false],
  ['a confusable of the trusted id', { id: 'trusted-b\u043et' }, deploy(), false],
  ['a killed agent reading (policy allows read)', { id: 'killed-bot' }, { tool: 'read', args: {} }, false],
  ['a killed agent claiming another session', { id: 'killed-bot' }, { tool: 'read', args: {}, context: { session: 'fresh' } }, false],
  ['a killed session under another agent', { id: 'other-bot' }, { tool: 'read', args: {}, context: { session: 'dead-session' } }, false],
  // Benign: must be allowed.
  ['a trusted agent deploys', { id: 'trusted-bot' }, deploy(), true],
  ['a trusted agent asserting a worse ring still gets its own', { id: 'trusted-bot', ring: 3, trust: 0 }, deploy(), true],
  ['an untrusted agent reads', { id: 'mallory' }, { tool: 'read', args: {} }, true],
  ['an agent in a live session reads', { id: 'other-bot' }, { tool: 'read', args: {}, context: { session: 'live-session' } }, true],
  ['a trusted agent with harmless extra arguments', { id: 'trusted-bot' }, deploy({ note: 'ring 0 please', approved: false }), true],
  ['an elevated agent deploys', { id: 'elevated-bot' }, deploy(), true],
  ['the killed agent\'s namesake with a different id', { id: 'killed-bot-2' }, { tool: 'read', args: {} }, true],
];

describe('caller-supplied authority cannot raise trust or ring, or escape a kill', () => {
  const { runtime } = memoryRuntime();
  const ready = (async () => {
    await runtime.trust?.record('trusted-bot', { kind: 'baseline', value: 950 });
    await runtime.elevations.elevate('elevated-bot', { to: 1, forMs: 600_000, reason: 'release', key: ops });
    await runtime.kill.kill(parseKillTarget('agent:killed-bot'), { reason: 'contained', key: ops });
    await runtime.kill.kill(parseKillTarget('session:dead-session'), { reason: 'leaked token', key: ops });
  })();

  it('has benign rows (about a third) to measure false denies', () => {
    const benign = ROWS.filter((r) => r[3]).length;
    expect(benign / ROWS.length).toBeGreaterThan(0.25);
  });

  it.each(ROWS)('%s: allowed=%s', async (_label, agent, request, allowed) => {
    await ready;
    const pipeline = new Pipeline({ policy: RING_POLICY, runtime, onWarning: () => undefined });
    const { verdict } = await pipeline.decide({ request, agent: agent as never });
    expect(verdict.allowed).toBe(allowed);
  });
});
