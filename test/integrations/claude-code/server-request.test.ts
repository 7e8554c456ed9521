/**
 * The hook server's request line carries the hook's configuration, the session store url
 * included: it reaches the server's runtime as sent, and a mistyped one is refused (the hook then
 * exits 2 like any failed request).
 */
import { describe, expect, it } from 'vitest';
import { parseRequest } from '../../../src/integrations/claude-code/server.js';

const config = { policyPaths: ['/repo/.warden/policy.yaml'], auditPath: '/repo/.warden/audit/claude-code.jsonl', agentId: 'claude-code', projectDir: '/repo', home: null, windows: false };
const line = (c: Record<string, unknown>): string => JSON.stringify({ v: 1, config: c, input: '{}' });

describe('hook server requests', () => {
  it.each([
    ['a sqlite url', 'sqlite:/repo/.warden/state.db', 'sqlite:/repo/.warden/state.db'],
    ['a redis url', 'redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['null (no store)', null, null],
    ['no field (an older client)', undefined, null],
  ])('keeps the state store of %s', (_name, state, expected) => {
    const c = state === undefined ? config : { ...config, state };
    expect(parseRequest(line(c)).config.state).toBe(expected);
  });

  it.each([[42], [['sqlite:/x']], [{ url: 'sqlite:/x' }]])('refuses state %j', (state) => {
    expect(() => parseRequest(line({ ...config, state }))).toThrow(/state must be a store url or null/);
  });
});
