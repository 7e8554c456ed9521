/**
 * Host selectors: an SLO or an experiment can cover the calls of one host (`context.host`) only.
 * Two Governors with different hosts share one SRE runtime, as an MCP gateway and a Claude Code
 * hook of one process would.
 */
import { describe, expect, it } from 'vitest';
import { GovernanceDenied } from '../../src/enforce/denied.js';
import { Governor } from '../../src/enforce/governor.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { createSre } from '../../src/sre/runtime.js';

const policy = compilePolicy([{ name: 'p.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: p\nrules:\n  - name: all\n    tools: ["*"]\n    effect: allow\n' }]);

describe('host selectors', () => {
  it('an SLO with hosts counts and disables only that host\'s calls; other hosts and calls without one are not covered', async () => {
    const sre = createSre({ slos: [{ name: 'cc-search', tools: ['search'], hosts: ['claude-code'], objective: 0.9, window: '1h', minimumCalls: 3 }] });
    const via = (host: string | null) => new Governor({ policy, agent: { id: 'bot' }, monitors: [sre], ...(host === null ? {} : { context: { host } }) }).wrap('search', async (_a: object) => {
      throw new Error('down');
    });
    const claude = via('claude-code');
    const mcp = via('mcp');
    const bare = via(null);
    for (let i = 0; i < 3; i++) await mcp({}).catch(() => undefined);
    for (let i = 0; i < 3; i++) await bare({}).catch(() => undefined);
    expect(sre.status().slos[0]).toMatchObject({ total: 0, bad: 0, exhausted: false });
    for (let i = 0; i < 3; i++) await claude({}).catch(() => undefined);
    expect(sre.status().slos[0]).toMatchObject({ total: 3, bad: 3, exhausted: true });
    await expect(claude({})).rejects.toBeInstanceOf(GovernanceDenied);
    await expect(mcp({})).rejects.toThrow('down');
  });

  it('an experiment with hosts faults only that host\'s calls', async () => {
    const sre = createSre({});
    const chaosPolicy = compilePolicy([{ name: 'p.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: p\nrules:\n  - name: all\n    tools: ["*"]\n    effect: allow\n' }]);
    const mcpGov = new Governor({ policy: chaosPolicy, agent: { id: 'bot' }, monitors: [sre], context: { host: 'mcp' } });
    const ccGov = new Governor({ policy: chaosPolicy, agent: { id: 'bot' }, monitors: [sre], context: { host: 'claude-code' } });
    await sre.startExperiment({ name: 'mcp-only', tools: ['search'], hosts: ['mcp'], fault: { error: { name: 'ECONNRESET' } }, duration: '5m' }, { pipeline: mcpGov.pipeline, agent: { id: 'oncall' } });
    await expect(mcpGov.wrap('search', async (_a: object) => 'ok')({})).rejects.toThrow(/injected by chaos experiment "mcp-only"/);
    await expect(ccGov.wrap('search', async (_a: object) => 'ok')({})).resolves.toBe('ok');
  });

  it('refuses hosts that are not a list of names or globs', () => {
    expect(() => createSre({ slos: [{ name: 's', tools: ['x'], hosts: 'mcp' as never, objective: 0.9 }] })).toThrow(expect.objectContaining({ code: 'ERR_SRE_CONFIG', message: expect.stringContaining('hosts must be a list') }));
  });
});
