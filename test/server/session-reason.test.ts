/**
 * `warden serve` with the flow-guards example: a rule that reads `session` fails closed when the
 * request names no session, and its reason says what to do (pass context.session); with a session,
 * labels accumulate across calls of that session only.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, tempDir, type Running } from './fixture.js';

describe('warden serve: flow-guards and the session of a call', () => {
  let s: Running;
  beforeAll(async () => {
    const dir = tempDir();
    copyFileSync(join('examples', 'policies', 'flow-guards.yaml'), join(dir, 'flow-guards.yaml'));
    s = await startServer({ policy: [join(dir, 'flow-guards.yaml')] }, dir);
  });
  afterAll(async () => s.close());

  // [case, tool, the rule that denies]
  const noSession: Array<[name: string, tool: string, rule: string]> = [
    ['a tool outside the inventory', 'mystery_tool', 'no-unknown-tools-once-tainted'],
    ['an egress tool', 'post_webhook', 'no-egress-after-private-and-untrusted'],
  ];

  it.each(noSession)('without a session, %s is denied, and the reason says to pass context.session', async (_name, tool, rule) => {
    const r = await s.post('/v1/decide', { tool, args: {} });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ allowed: false, effect: 'deny', rule, policy: 'flow-guards' });
    expect(r.body.reason).toContain('reads session state, but the request names no session');
    expect(r.body.reason).toContain('Pass the call\'s session id as context.session');
    expect(r.body.reason).not.toContain('guard optional fields with has()');
    expect(r.body.errors).toEqual([{ code: 'condition_error', rule, policy: 'flow-guards', message: 'Unknown variable: session' }]);
  });

  it('without a session, a known tool that reads no session state is still allowed', async () => {
    const r = await s.post('/v1/decide', { tool: 'search_docs', args: {} });
    expect(r.body).toMatchObject({ allowed: true, rule: 'known-tools' });
  });

  it('with context.session, labels accumulate across that session\'s calls and not another\'s', async () => {
    const call = (tool: string, session: string): Promise<{ status: number; body: Record<string, unknown> }> => s.post('/v1/decide', { tool, args: {}, context: { session } });
    expect((await call('mystery_tool', 'flow-a')).body).toMatchObject({ allowed: false, rule: null });
    expect((await call('post_webhook', 'flow-a')).body).toMatchObject({ allowed: true, rule: 'known-tools' });
    expect((await call('read_customer', 'flow-a')).body).toMatchObject({ allowed: true });
    expect((await call('fetch_url', 'flow-a')).body).toMatchObject({ allowed: true });
    const tainted = await call('post_webhook', 'flow-a');
    expect(tainted.body).toMatchObject({ allowed: false, rule: 'no-egress-after-private-and-untrusted', errors: [] });
    expect(tainted.body.reason).toMatch(/^This session has read private data/);
    expect((await call('mystery_tool', 'flow-a')).body).toMatchObject({ allowed: false, rule: 'no-unknown-tools-once-tainted', errors: [] });
    expect((await call('post_webhook', 'flow-b')).body).toMatchObject({ allowed: true, rule: 'known-tools' });
  });
});
