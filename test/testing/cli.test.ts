/**
 * `warden test` and the `warden init` test scaffold, run as a user runs them: a child process of
 * the CLI built (with tsconfig.build.json) into a private temporary directory.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { STARTER_POLICY } from '../../src/cli/templates/starter-policy.js';
import { STARTER_TESTS } from '../../src/cli/templates/starter-tests.js';
import { loadPolicyFiles } from '../../src/enforce/load-files.js';
import type { PolicyTestRunJson } from '../../src/testing/report.js';
import { FORMAT_ERRORS } from './format-errors.table.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIX = fileURLToPath(new URL('../fixtures/testing', import.meta.url));
const fx = (...p: string[]): string => join(FIX, ...p);
const POLICY = fx('policy.yaml');

let main = '';
const temps: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'warden-test-cli-'));
  temps.push(d);
  return d;
}

beforeAll(() => {
  main = inject('wardenCli');
}, 180_000);

afterAll(() => {
    for (const d of temps) rmSync(d, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function warden(args: string[], cwd?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end('');
  });
}

describe.concurrent('warden test', () => {
  it('exits 0 and prints a summary when every case passes', async () => {
    const r = await warden(['test', POLICY, '--cases', fx('pass.test.yaml')]);
    expect(r.code).toBe(0);
    const digest = (await loadPolicyFiles([POLICY])).digest;
    expect(r.stdout).toBe(`OK: 5 passed, 0 failed (5 cases in 1 file; policy ${digest})\n`);
    expect(r.stderr).toBe('');
  });

  it('exits 1 and shows each failure: name, file:line, expected, got, the deciding rule and the reason', async () => {
    const r = await warden(['test', POLICY, '--cases', fx('fail.test.yaml')]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      'FAIL  expects allow but the env rule denies',
      `      at        ${fx('fail.test.yaml')}:5:5`,
      '      expected  allow',
      '      got       deny, rule no-env-files (policy shop)',
      '      reason    Secrets stay secret',
      '      mismatch  effect: expected allow, got deny',
      '      matched   shop/no-env-files, shop/allow-reads',
    ]);
    expect(r.stdout).toContain('mismatch  rule: expected allow-reads, got no-env-files');
    expect(r.stdout).toContain('mismatch  reason: expected text "approval", got "Secrets stay secret"');
    expect(lines.at(-2)).toMatch(/^FAILED: 1 passed, 3 failed \(4 cases in 1 file; policy sha256:[0-9a-f]{64}\)$/);
  });

  it('--verbose lists the passing cases too', async () => {
    const r = await warden(['test', POLICY, '--cases', fx('suite'), '--verbose']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 3)).toEqual([
      `PASS  suite a reads  (${fx('suite', 'a.test.yaml')}:4:5)`,
      `PASS  suite b denies writes  (${fx('suite', 'nested', 'b.test.json')}:6:5)`,
      `PASS  suite c reads  (${fx('suite', 'nested', 'c.test.yml')}:4:5)`,
    ]);
  });

  it('exits 2 for invalid case files, listing every error with file:line:col, and runs nothing', async () => {
    const r = await warden(['test', POLICY, '--cases', fx('invalid'), fx('pass.test.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${fx('invalid', 'bad-effect.test.json')}:5:110: error[unknown_value]: expect.effect of case "an effect that does not exist" is "permit"`);
    expect(r.stderr).toContain(`${fx('invalid', 'typo.test.yaml')}:6:5: error[unknown_key]: Unknown key "expcet" in a case. Did you mean "expect"?`);
    expect(r.stderr).toContain('did not load (3 errors); no case was run');
  });

  it('exits 2 for an invalid policy with file:line:col, and reports the case errors in the same run', async () => {
    const r = await warden(['test', fx('invalid', 'bad-policy.yaml'), '--cases', fx('invalid', 'typo.test.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${fx('invalid', 'bad-policy.yaml')}:6:13: error[unknown_value]:`);
    expect(r.stderr).toContain(`${fx('invalid', 'typo.test.yaml')}:6:5: error[unknown_key]:`);
  });

  it.each([
    ['a missing policy', ['test', '/nonexistent/policy.yaml', '--cases', fx('pass.test.yaml')], 'Cannot read /nonexistent/policy.yaml'],
    ['missing cases', ['test', POLICY, '--cases', '/nonexistent/cases'], 'Cannot read /nonexistent/cases'],
    ['no --cases', ['test', POLICY], "required option '-c, --cases <paths...>' not specified"],
    ['--json with --junit', ['test', POLICY, '--cases', fx('pass.test.yaml'), '--json', '--junit'], 'Give --json or --junit, not both'],
    ['a --now without a zone', ['test', POLICY, '--cases', fx('pass.test.yaml'), '--now', '2026-01-01T00:00:00'], '--now: "2026-01-01T00:00:00" is not an RFC 3339 time with a zone'],
  ])('exits 2 for %s', async (_what, args, says) => {
    const r = await warden(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(says);
  });

  it('reports every format error of the table through the CLI, each at its file:line:col', async () => {
    const d = tempDir();
    const expected = FORMAT_ERRORS.map((c, i) => {
      const file = join(d, `${String(i).padStart(2, '0')}.test.${c.file?.endsWith('.json') ? 'json' : 'yaml'}`);
      writeFileSync(file, c.text);
      return `${file}:${c.line}:${c.col}: error[${c.code}]:`;
    });
    const r = await warden(['test', POLICY, '--cases', d]);
    expect(r.code).toBe(2);
    for (const line of expected) expect(r.stderr).toContain(line);
  });

  it('--now is the time for cases that give none', async () => {
    const d = tempDir();
    const file = join(d, 'deploy.test.yaml');
    writeFileSync(file, 'apiVersion: warden/v1\nkind: PolicyTest\ncases:\n  - name: deploy\n    request: { tool: deploy, agent: { id: a } }\n    expect: { effect: allow, rule: deploys-before-freeze }\n');
    expect((await warden(['test', POLICY, '--cases', file, '--now', '2026-03-01T00:00:00Z'])).code).toBe(0);
    expect((await warden(['test', POLICY, '--cases', file, '--now', '2026-12-25T00:00:00+01:00'])).code).toBe(1);
    const none = await warden(['test', POLICY, '--cases', file]);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('error     [condition_error] rule deploys-before-freeze:');
  });

  it('--json prints the summary and every result', async () => {
    const r = await warden(['test', POLICY, '--cases', fx('fail.test.yaml'), '--json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as PolicyTestRunJson;
    expect(Object.keys(json)).toEqual(['passed', 'failed', 'total', 'policyDigest', 'files', 'results']);
    expect([json.passed, json.failed, json.total, json.files]).toEqual([1, 3, 4, [fx('fail.test.yaml')]]);
    expect(json.results.map((x) => [x.name, x.passed, x.line, x.mismatches.map((m) => m.field)])).toEqual([
      ['expects allow but the env rule denies', false, 5, ['effect']],
      ['right effect, wrong rule', false, 9, ['rule']],
      ['right effect and rule, wrong reason', false, 13, ['reason']],
      ['passes among failures', true, 17, []],
    ]);
    expect(json.results[0]?.got).toEqual({ effect: 'deny', rule: 'no-env-files', policy: 'shop', reason: 'Secrets stay secret', errors: [] });
  });

  it('--json on invalid input prints the issues as JSON and exits 2', async () => {
    const r = await warden(['test', POLICY, '--cases', fx('invalid', 'typo.test.yaml'), '--json']);
    expect(r.code).toBe(2);
    const json = JSON.parse(r.stdout) as { error: string; issues: Array<{ file: string; line: number; col: number; code: string }> };
    expect(json.error).toBe('invalid_input');
    expect(json.issues.map((i) => [i.line, i.col, i.code])).toEqual([
      [6, 5, 'unknown_key'],
      [4, 5, 'missing_key'],
    ]);
  });

  it('--junit prints a JUnit report with a failure per failed case', async () => {
    const r = await warden(['test', POLICY, '--cases', fx('fail.test.yaml'), fx('pass.test.yaml'), '--junit']);
    expect(r.code).toBe(1);
    expect(r.stdout.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="warden test" tests="9" failures="3" errors="0">\n')).toBe(true);
    expect(r.stdout).toContain(`<testsuite name="shop-failing" file="${fx('fail.test.yaml')}" tests="4" failures="3" errors="0" skipped="0">`);
    expect(r.stdout).toContain(`<testsuite name="shop-passing" file="${fx('pass.test.yaml')}" tests="5" failures="0" errors="0" skipped="0">`);
    expect(r.stdout.match(/<failure type="decision_mismatch"/g)).toHaveLength(3);
    expect(r.stdout.match(/<testcase /g)).toHaveLength(9);
    expect(r.stdout.trimEnd().endsWith('</testsuites>')).toBe(true);
  });

  it('--junit on invalid input reports one errored case and exits 2', async () => {
    const r = await warden(['test', fx('invalid', 'bad-policy.yaml'), '--cases', fx('pass.test.yaml'), '--junit']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('<testsuites name="warden test" tests="1" failures="0" errors="1">');
    expect(r.stdout).toContain(`${fx('invalid', 'bad-policy.yaml')}:6:13: error[unknown_value]`);
  });

  it('runs AGT fixtures (JSON files named directly, YAML lists in a directory) and warns about a strategy it does not apply', async () => {
    const r = await warden(['test', fx('agt', 'policy.yaml'), '--cases', fx('agt', 'allow_select.json'), fx('agt', 'deny_prod_sql.json'), fx('agt'), '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as PolicyTestRunJson;
    expect([json.passed, json.failed, json.files.length]).toEqual([8, 0, 3]);
    expect(json.results.every((x) => x.format === 'agt')).toBe(true);
    expect(r.stderr).toContain(`${fx('agt', 'allow_select.json')}:13:71: warning[strategy_ignored]:`);
  });
});

describe.concurrent('warden init writes tests beside the starter policy', () => {
  it('init then warden test policy.yaml --cases policy.test.yaml passes every case', async () => {
    const d = tempDir();
    const init = await warden(['init', '--dir', d]);
    expect(init.code).toBe(0);
    expect(readFileSync(join(d, 'policy.yaml'), 'utf8')).toBe(STARTER_POLICY);
    expect(readFileSync(join(d, 'policy.test.yaml'), 'utf8')).toBe(STARTER_TESTS);
    expect(init.stdout).toContain(`warden test ${join(d, 'policy.yaml')} --cases ${join(d, 'policy.test.yaml')}`);
    const r = await warden(['test', 'policy.yaml', '--cases', 'policy.test.yaml'], d);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: 13 passed, 0 failed \(13 cases in 1 file; policy sha256:[0-9a-f]{64}\)\n$/);
  });

  it('the scaffolded directory works as both the policy and the cases (test files are not loaded as policies)', async () => {
    const d = tempDir();
    expect((await warden(['init', '--dir', d])).code).toBe(0);
    expect((await warden(['test', d, '--cases', d])).code).toBe(0);
  });

  it('refuses to overwrite policy.test.yaml without --force and writes nothing, then overwrites both with it', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'policy.test.yaml'), '# mine\n');
    const again = await warden(['init', '--dir', d]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${join(d, 'policy.test.yaml')} already exists; nothing was written. Use --force`);
    expect(existsSync(join(d, 'policy.yaml'))).toBe(false);
    expect(readFileSync(join(d, 'policy.test.yaml'), 'utf8')).toBe('# mine\n');
    const forced = await warden(['init', '--dir', d, '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(d, 'policy.test.yaml'), 'utf8')).toBe(STARTER_TESTS);
    expect(readFileSync(join(d, 'policy.yaml'), 'utf8')).toBe(STARTER_POLICY);
  });

  it('names both files when both exist', async () => {
    const d = tempDir();
    mkdirSync(d, { recursive: true });
    expect((await warden(['init', '--dir', d])).code).toBe(0);
    const again = await warden(['init', '--dir', d]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${join(d, 'policy.yaml')} and ${join(d, 'policy.test.yaml')} already exist; nothing was written.`);
  });

  it('a starter case fails once the rule it pins is changed, naming the rule now deciding', async () => {
    const d = tempDir();
    expect((await warden(['init', '--dir', d])).code).toBe(0);
    const policy = readFileSync(join(d, 'policy.yaml'), 'utf8').replace("tools: [\"read_*\", \"search_*\", \"list_*\", \"get_*\"]", 'tools: ["search_*", "list_*", "get_*"]');
    writeFileSync(join(d, 'policy.yaml'), policy);
    const r = await warden(['test', 'policy.yaml', '--cases', 'policy.test.yaml'], d);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL  reads inside the workspace are allowed');
    expect(r.stdout).toContain('got       deny, decided by the default (no rule) of policy starter');
    expect(r.stdout).toContain('FAILED: 12 passed, 1 failed');
  });
});
