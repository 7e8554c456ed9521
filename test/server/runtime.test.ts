import { describe, expect, it } from 'vitest';
import { createIdentity } from '../../src/identity/agent-key.js';
import { parseKillTarget } from '../../src/runtime/kill.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { ADMIN_TOKEN, startServer } from './fixture.js';

describe('warden serve with a runtime', () => {
  it('a signed kill of the token subject denies its next call; other callers are unaffected', async () => {
    const store = createMemoryStore();
    const ops = createIdentity();
    const runtime = createRuntime({ store, signers: [ops.did] });
    const s = await startServer({ store, runtime });
    try {
      expect((await s.post('/v1/decide', { tool: 'read_file', args: {} })).body.allowed).toBe(true);
      await runtime.kill.kill(parseKillTarget('agent:bot-1'), { reason: 'runaway loop', key: ops });
      const killed = await s.post('/v1/decide', { tool: 'read_file', args: {} });
      expect(killed.body).toMatchObject({ allowed: false, effect: 'deny' });
      expect(killed.body.reason).toContain('runaway loop');
      expect((await s.post('/v1/decide', { tool: 'read_file', args: {} }, { authorization: `Bearer ${ADMIN_TOKEN}` })).body.allowed).toBe(true);
    } finally {
      await s.close();
      await runtime.close?.();
    }
  });
});
