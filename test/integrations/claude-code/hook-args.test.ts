/**
 * `warden hook` parses its own arguments (so an entry can skip commander): the same options as
 * its help, anything else is a usage error (exit 2, which blocks).
 */
import { describe, expect, it } from 'vitest';
import { parseHookArgs } from '../../../src/cli/hook.js';

describe('parseHookArgs', () => {
  const ok: Array<[string[], unknown]> = [
    [['claude-code'], { host: 'claude-code', options: {} }],
    [['claude-code', '--policy', 'a.yaml', 'b/'], { host: 'claude-code', options: { policy: ['a.yaml', 'b/'] } }],
    [['claude-code', '-p', 'a.yaml', '--no-server'], { host: 'claude-code', options: { policy: ['a.yaml'], server: false } }],
    [['claude-code', '--policy=a.yaml', '--policy', 'b.yaml'], { host: 'claude-code', options: { policy: ['a.yaml', 'b.yaml'] } }],
    [['claude-code', '--audit', 'log.jsonl', '--agent-id=coder', '--root', '/repo'], { host: 'claude-code', options: { audit: 'log.jsonl', agentId: 'coder', root: '/repo' } }],
    [['claude-code', '--state', 'sqlite:.warden/state.db'], { host: 'claude-code', options: { state: 'sqlite:.warden/state.db' } }],
    [['claude-code', '--result-model', '.warden/model.json'], { host: 'claude-code', options: { resultModel: '.warden/model.json' } }],
    [['--agent-id', 'x', 'claude-code'], { host: 'claude-code', options: { agentId: 'x' } }],
    [['claude-code', '--on-failure', 'defer'], { host: 'claude-code', options: { onFailure: 'defer' } }],
    [['claude-code', '--on-failure=block'], { host: 'claude-code', options: { onFailure: 'block' } }],
    [['claude-code', '--remote', 'http://127.0.0.1:8181', '--remote-token-file=t'], { host: 'claude-code', options: { remote: { url: 'http://127.0.0.1:8181', tokenFile: 't' } } }],
    [['claude-code', '--remote=https://warden.internal', '--remote-token-file', 't', '--remote-timeout', '2500'], { host: 'claude-code', options: { remote: { url: 'https://warden.internal', tokenFile: 't', timeoutMs: 2500 } } }],
  ];

  it.each(ok)('%j', (args, expected) => {
    expect(parseHookArgs(args)).toEqual(expected);
  });

  const bad: Array<[string[], string]> = [
    [[], 'missing the host'],
    [['cursor'], 'unknown hook host "cursor"'],
    [['claude-code', 'extra'], 'unexpected argument extra'],
    [['claude-code', '--policy'], '--policy needs at least one path'],
    [['claude-code', '--policy', '--no-server'], '--policy needs at least one path'],
    [['claude-code', '--policy='], '--policy needs at least one path'],
    [['claude-code', '--audit'], '--audit needs a value'],
    [['claude-code', '--audit', '--root', '/x'], '--audit needs a value'],
    [['claude-code', '--state'], '--state needs a value'],
    [['claude-code', '--result-model'], '--result-model needs a value'],
    [['claude-code', '--remote'], '--remote needs a value'],
    [['claude-code', '--remote', '--remote-token-file', 't'], '--remote needs a value'],
    [['claude-code', '--remote-token-file='], '--remote-token-file needs a value'],
    [['claude-code', '--remote-timeout', 'soon'], '--remote-timeout needs a positive number'],
    [['claude-code', '--remote-timeout', '-5'], '--remote-timeout needs a positive number'],
    [['claude-code', '--agent-id='], '--agent-id needs a value'],
    [['claude-code', '--polcy', 'x'], 'unknown option --polcy'],
    [['claude-code', '--server'], 'unknown option --server'],
    [['claude-code', '-x'], 'unknown option -x'],
    [['claude-code', '--on-failure', 'allow'], '--on-failure needs block or defer'],
    [['claude-code', '--on-failure'], '--on-failure needs block or defer'],
    [['claude-code', '--on-failure=Defer'], '--on-failure needs block or defer'],
  ];

  it.each(bad)('%j is a usage error: %s', (args, message) => {
    const r = parseHookArgs(args);
    expect(typeof r).toBe('string');
    expect(r).toContain(message);
  });
});
