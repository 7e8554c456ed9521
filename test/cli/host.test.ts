/**
 * `warden lint --host claude-code` and `warden test --host claude-code`: the starter policy
 * `warden init claude-code` writes is analysed and tested as the hook decides it (its facet
 * bindings and request context), and without the flag lint still says the bindings are missing.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { CLAUDE_CODE_STARTER_POLICY } from '../../src/integrations/claude-code/starter-policy.js';
import { withHostContext } from '../../src/cli/host-bindings.js';

let dir = '';
const main = (): string => inject('wardenCli');

const CASES = `apiVersion: warden/v1
kind: PolicyTest
name: starter
cases:
  - name: ls runs
    request: { tool: Bash, args: { command: ls } }
    expect: { effect: allow, rule: shell }
  - name: the policy is protected from a glob
    request: { tool: Bash, args: { command: "rm -rf .war*" } }
    expect: { effect: deny, rule: protect-warden-and-hooks }
  - name: a case can give the session's cwd
    request: { tool: Bash, args: { command: "rm -rf ../.." }, context: { claudeCode: { cwd: SRC } } }
    expect: { effect: deny, rule: no-deletes-outside-project }
  - name: a file tool resolves against the project
    request: { tool: Write, args: { file_path: .warden/policy.yaml, content: x } }
    expect: { effect: deny, rule: protect-warden-and-hooks }
`;

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'warden-host-')));
  mkdirSync(join(dir, '.warden'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, '.warden', 'policy.yaml'), CLAUDE_CODE_STARTER_POLICY);
  writeFileSync(join(dir, 'cases.test.yaml'), CASES.replace('SRC', join(dir, 'src')));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('--host claude-code', () => {
  it('the starter lints clean as the hook sees it', async () => {
    const r = await runCli(main(), ['lint', '--host', 'claude-code', '.warden/policy.yaml'], { cwd: dir });
    const rules = CLAUDE_CODE_STARTER_POLICY.split('\n').filter((l) => /^ {2}- name: /.test(l)).length;
    expect({ code: r.code, out: r.stdout.trim() }).toEqual({ code: 0, out: `OK: the policy loads (${rules} rules), no findings.` });
  });

  it('without --host, lint reports the facets nothing binds', async () => {
    const r = await runCli(main(), ['lint', '.warden/policy.yaml'], { cwd: dir });
    expect(r.stdout).toContain('warning[unbound_facet]');
  });

  it('the starter passes its cases as the hook decides them', async () => {
    const r = await runCli(main(), ['test', '--host', 'claude-code', '.warden/policy.yaml', '--cases', 'cases.test.yaml'], { cwd: dir });
    expect({ code: r.code, last: r.stdout.trim().split('\n').at(-1)?.slice(0, 22) }).toEqual({ code: 0, last: 'OK: 4 passed, 0 failed' });
  });

  it('without --host the same cases fail (no bindings, no project directory)', async () => {
    const r = await runCli(main(), ['test', '.warden/policy.yaml', '--cases', 'cases.test.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
  });

  it('an unknown host is a usage error', async () => {
    const lint = await runCli(main(), ['lint', '--host', 'cursor', '.warden/policy.yaml'], { cwd: dir });
    expect({ code: lint.code, err: lint.stderr.trim() }).toEqual({ code: 2, err: 'warden lint: --host "cursor" is not one of claude-code.' });
    const test = await runCli(main(), ['test', '--host', 'cursor', '.warden/policy.yaml', '--cases', 'cases.test.yaml'], { cwd: dir });
    expect(test.code).toBe(2);
  });
});

describe('withHostContext', () => {
  const host = { host: 'claude-code', claudeCode: { projectDir: '/p', cwd: '/p' } };
  it('adds the host context, keeping what the request sets itself, key by key', () => {
    expect(withHostContext({ tool: 't', args: {} }, host)).toEqual({ tool: 't', args: {}, context: host });
    expect(withHostContext({ tool: 't', context: { claudeCode: { cwd: '/p/src' }, x: 1 } }, host)).toEqual({
      tool: 't',
      context: { host: 'claude-code', x: 1, claudeCode: { projectDir: '/p', cwd: '/p/src' } },
    });
  });
  it('leaves a request that is not an object as it is (the decision denies it as invalid)', () => {
    expect(withHostContext('x', host)).toBe('x');
    expect(withHostContext(null, host)).toBe(null);
  });
});
