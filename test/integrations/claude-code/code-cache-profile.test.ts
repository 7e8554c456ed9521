/**
 * When the built hook writes its engine's code cache (nextCodeCache, in-process-script.ts): after
 * an event that ran on a verified compiled-policy entry, not after the one that compiled the policy
 * (whose compiler code later events would deserialize and never run); again once per new kind of
 * event; and on the first event when the compiled-policy cache cannot help, so such a setup still
 * gets a code cache. The file's integrity is tested on the built hook (test/cli/hook-code-cache.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { nextCodeCache } from '../../../src/integrations/claude-code/in-process-script.js';
import type { CacheStatus } from '../../../src/enforce/compiled-cache.js';

type Used = { profiles: string[]; warm: boolean } | undefined;
type Next = { profiles: string[]; warm: boolean } | null;

const BASH = 'PreToolUse:Bash';
const READ = 'PreToolUse:Read';
const sixteen = Array.from({ length: 16 }, (_, i) => `PreToolUse:mcp__t${i}`);

const rows: Array<[string, Used, string, CacheStatus[], Next]> = [
  // No usable cache (none yet, or V8 refused it).
  ['no cache, a warm event: write', undefined, BASH, ['hit'], { profiles: [BASH], warm: true }],
  ['no cache, the event compiled and stored the policy: wait for a warm one', undefined, BASH, ['written'], null],
  ['no cache, the event replaced a damaged entry: wait', undefined, BASH, ['replaced'], null],
  ['no cache, the entry could not be stored: write (every event compiles)', undefined, BASH, ['not-stored'], { profiles: [BASH], warm: false }],
  ['no cache, a policy that is never cached: write', undefined, BASH, ['not-cacheable'], { profiles: [BASH], warm: false }],
  ['no cache, no compiled-policy cache at all: write', undefined, BASH, [], { profiles: [BASH], warm: false }],
  ['no cache, one load hit and one compiled: wait', undefined, BASH, ['hit', 'written'], null],
  // A cache was used.
  ['a warm cache of this kind: keep', { profiles: [BASH], warm: true }, BASH, ['hit'], null],
  ['a warm cache, a new kind: extend', { profiles: [BASH], warm: true }, READ, ['hit'], { profiles: [BASH, READ], warm: true }],
  ['a warm cache, a new kind that compiled: keep (no compiler code in it)', { profiles: [BASH], warm: true }, READ, ['written'], null],
  ['a cache made without a compiled-policy cache, now a warm event: rewrite as warm', { profiles: [BASH], warm: false }, BASH, ['hit'], { profiles: [BASH], warm: true }],
  ['a cache made without a compiled-policy cache, still none: keep', { profiles: [BASH], warm: false }, BASH, [], null],
  ['a cache holding the most kinds: keep', { profiles: sixteen, warm: true }, READ, ['hit'], null],
  ['a cache one short of the most kinds: extend', { profiles: sixteen.slice(1), warm: true }, READ, ['hit'], { profiles: [...sixteen.slice(1), READ], warm: true }],
];

describe('nextCodeCache', () => {
  it.each(rows)('%s', (_, used, profile, statuses, expected) => {
    expect(nextCodeCache(used, profile, statuses)).toEqual(expected);
  });

  it('never changes the record it was given', () => {
    const used = { profiles: [BASH], warm: true };
    nextCodeCache(used, READ, ['hit']);
    expect(used).toEqual({ profiles: [BASH], warm: true });
  });
});
