/**
 * The file-system realpath resolver walks a path one component at a time; a batch (one decision)
 * walks a shared prefix once. Its answers must equal `fs.realpathSync`'s (with the missing tail
 * appended), refuse dangling symlinks, and never outlive a decision: a symlink swapped between two
 * decisions is seen by the second.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsRealpathResolver } from '../../src/enforce/realpath-resolver.js';
import { compilePolicyWithBindings } from '../../src/policy/compile.js';
import { claudeCodeBindings, requestFor } from '../../src/integrations/claude-code/mapping.js';
import { CLAUDE_CODE_STARTER_POLICY } from '../../src/integrations/claude-code/starter-policy.js';
import type { HookInput } from '../../src/integrations/claude-code/hook-input.js';
import type { PolicySet } from '../../src/policy/policy-set.js';

const posix = process.platform !== 'win32';
let base = '';
let ws = '';
let out = '';

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'warden-realpath-')));
  ws = join(base, 'ws');
  out = join(base, 'outside');
  mkdirSync(join(ws, 'sub', 'deep'), { recursive: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(ws, 'file.txt'), 'x');
  writeFileSync(join(out, 'secret'), 'x');
  symlinkSync(out, join(ws, 'out'));
  symlinkSync('../outside', join(ws, 'relout'));
  symlinkSync(join(ws, 'sub'), join(ws, 'inlink'));
  symlinkSync(join(ws, 'out'), join(ws, 'chain'));
  symlinkSync(join(out, 'missing'), join(ws, 'dangling'));
  symlinkSync(join(ws, 'loop2'), join(ws, 'loop1'));
  symlinkSync(join(ws, 'loop1'), join(ws, 'loop2'));
  symlinkSync('/', join(ws, 'rootlink'));
});

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

describe.runIf(posix)('fsRealpathResolver', () => {
  // [case, path (spelled under the temp dir, or absolute), the real path (under the temp dir, or absolute) or an error substring]
  const table: Array<[name: string, path: string, expected: { real: string } | { error: string }]> = [
    // benign
    ['a plain file', 'ws/file.txt', { real: 'ws/file.txt' }],
    ['a plain directory', 'ws/sub/deep', { real: 'ws/sub/deep' }],
    ['a missing file in a directory', 'ws/sub/new.ts', { real: 'ws/sub/new.ts' }],
    ['a missing tail of several components', 'ws/a/b/c', { real: 'ws/a/b/c' }],
    ['a symlink to a directory inside', 'ws/inlink/deep', { real: 'ws/sub/deep' }],
    ['duplicate slashes and ./', 'ws//sub/./deep/', { real: 'ws/sub/deep' }],
    ['the root', '/', { real: '/' }],
    // adversarial
    ['a symlink out of the root', 'ws/out/secret', { real: 'outside/secret' }],
    ['the outward symlink itself', 'ws/out', { real: 'outside' }],
    ['a relative symlink out', 'ws/relout/secret', { real: 'outside/secret' }],
    ['a chain of symlinks', 'ws/chain/secret', { real: 'outside/secret' }],
    ['a new file behind an outward symlink', 'ws/out/new', { real: 'outside/new' }],
    ['.. after a symlink is the target\'s parent', 'ws/out/../ws/file.txt', { real: 'ws/file.txt' }],
    ['.. after a symlink into the root', 'ws/inlink/../file.txt', { real: 'ws/file.txt' }],
    ['.. out of a symlink to /', 'ws/rootlink/etc/..', { real: '/' }],
    ['a symlink to /', 'ws/rootlink/etc', { real: '/etc' }],
    ['a missing tail with .. after an outward symlink', 'ws/out/a/../b', { real: 'outside/b' }],
    ['a dangling symlink', 'ws/dangling', { error: 'dangling symlink' }],
    ['a new file under a dangling symlink', 'ws/dangling/x', { error: 'dangling symlink' }],
    ['a symlink loop', 'ws/loop1/x', { error: 'ELOOP' }],
    ['a path under a regular file', 'ws/file.txt/x', { real: 'ws/file.txt/x' }],
    ['a relative path', 'relative/file.txt', { error: 'not an absolute path' }],
  ];
  const at = (s: string): string => (s.startsWith('/') ? s : s.startsWith('relative/') ? s : `${base}/${s}`);
  const want = (s: string): string => (s.startsWith('/') ? s : join(base, s));

  it.each(table)('%s', (_name, p, expected) => {
    for (const r of [fsRealpathResolver, fsRealpathResolver.batch?.() ?? fsRealpathResolver]) {
      if ('real' in expected) expect(r.real(at(p))).toBe(want(expected.real));
      else expect(() => r.real(at(p))).toThrow(expected.error);
    }
  });

  it('one batch answers every path of the table as fresh resolvers do, in any order', () => {
    const batch = fsRealpathResolver.batch?.();
    expect(batch).toBeDefined();
    const answer = (r: { real: (p: string) => string }, p: string): string => {
      try {
        return r.real(p);
      } catch (err) {
        return `error: ${String(err)}`;
      }
    };
    for (const [, p] of [...table, ...[...table].reverse()]) {
      expect(answer(batch ?? fsRealpathResolver, at(p))).toBe(answer(fsRealpathResolver, at(p)));
    }
  });

  it('sees a symlink swapped between two batches', () => {
    const link = join(ws, 'swap');
    symlinkSync(join(ws, 'sub'), link);
    try {
      const first = fsRealpathResolver.batch?.() ?? fsRealpathResolver;
      expect(first.real(join(link, 'x'))).toBe(join(ws, 'sub', 'x'));
      unlinkSync(link);
      symlinkSync(out, link);
      const second = fsRealpathResolver.batch?.() ?? fsRealpathResolver;
      expect(second.real(join(link, 'x'))).toBe(join(out, 'x'));
      expect(fsRealpathResolver.real(join(link, 'x'))).toBe(join(out, 'x'));
    } finally {
      rmSync(link, { force: true });
    }
  });
});

describe.runIf(posix)('realpath: true decisions with the starter policy see a swapped symlink', () => {
  let project = '';
  let set: PolicySet;

  beforeAll(() => {
    project = join(base, 'repo');
    mkdirSync(join(project, 'src', 'pkg'), { recursive: true });
    mkdirSync(join(base, 'home'), { recursive: true });
    set = compilePolicyWithBindings([{ name: 'policy.yaml', text: CLAUDE_CODE_STARTER_POLICY }], claudeCodeBindings({ root: project, home: join(base, 'home') }), { resolver: fsRealpathResolver });
  });

  function decide(command: string, cwd = project): string {
    const input: HookInput = { hook_event_name: 'PreToolUse', session_id: 's1', cwd, tool_name: 'Bash', tool_input: { command }, tool_use_id: 'toolu_1' };
    const { request, agent } = requestFor(input, { agentId: 'claude-code', projectDir: project });
    return set.decide({ ...request, agent }).effect;
  }

  function decideFile(tool: string, file: string): string {
    const input: HookInput = { hook_event_name: 'PreToolUse', session_id: 's1', cwd: project, tool_name: tool, tool_input: { file_path: file, content: 'x' }, tool_use_id: 'toolu_1' };
    const { request, agent } = requestFor(input, { agentId: 'claude-code', projectDir: project });
    return set.decide({ ...request, agent }).effect;
  }

  // [case, command, working directory under the project]
  const swaps: Array<[name: string, command: string, cwd: string]> = [
    ['a delete through the link', 'rm -rf link/x', ''],
    ['a write through the link', 'echo x > link/y', ''],
    ['a delete from a directory under the link', 'rm -rf ../../link/x', 'src/pkg'],
  ];

  it.each(swaps)('%s: allowed while the link points inside, denied once it points outside', (_name, command, cwd) => {
    const link = join(project, 'link');
    const at = cwd === '' ? project : join(project, cwd);
    symlinkSync(join(project, 'src'), link);
    try {
      expect(decide(command, at)).toBe('allow');
      unlinkSync(link);
      symlinkSync(out, link);
      expect(decide(command, at)).toBe('deny');
      unlinkSync(link);
      symlinkSync(join(project, 'src'), link);
      expect(decide(command, at)).toBe('allow');
    } finally {
      rmSync(link, { force: true });
    }
  });

  it('a Write through a swapped link is denied by the second decision', () => {
    const link = join(project, 'link');
    symlinkSync(join(project, 'src'), link);
    try {
      expect(decideFile('Write', join(link, 'new.ts'))).toBe('allow');
      unlinkSync(link);
      symlinkSync(out, link);
      expect(decideFile('Write', join(link, 'new.ts'))).toBe('deny');
    } finally {
      rmSync(link, { force: true });
    }
  });

  it('a working directory that is itself a link out of the project does not hide where a delete lands (the agent can make that link)', () => {
    const link = join(project, 'cwdlink');
    symlinkSync(out, link);
    try {
      expect(decide('rm -rf secret', link)).toBe('deny');
      expect(decide('echo x > notes.txt', link)).toBe('deny');
      mkdirSync(join(out, 'deeper'), { recursive: true });
      expect(decide('rm -rf ../secret', join(link, 'deeper'))).toBe('deny');
      expect(decide('rm -rf x', join(link, 'deeper'))).toBe('deny');
    } finally {
      rmSync(link, { force: true });
    }
  });
});
