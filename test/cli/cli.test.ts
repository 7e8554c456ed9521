/**
 * The `warden` command, run as a user runs it: a child process of the built CLI.
 *
 * The CLI is compiled once, before the suite, into a private temporary directory (the same
 * tsconfig.build.json as `npm run build`), so the suite always exercises the current sources and
 * never races another suite that builds or reads dist/ at the same time.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { STARTER_POLICY } from '../../src/cli/templates/starter-policy.js';
import { loadPolicyFiles } from '../../src/enforce/load-files.js';
import { PolicyStore } from '../../src/enforce/policy-store.js';
import type { Decision } from '../../src/decision.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIX = fileURLToPath(new URL('../fixtures/cli', import.meta.url));
const fx = (name: string): string => join(FIX, name);
const POLICY = fx('policy.yaml');
const NOW = '2026-03-01T12:00:00Z';

let main = '';
const temps: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'warden-cli-'));
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

function warden(args: string[], input?: string, cwd?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

async function expected(request: string, policy = POLICY): Promise<Decision> {
  const set = await loadPolicyFiles([policy]);
  return set.decide(JSON.parse(readFileSync(request, 'utf8')) as unknown, { now: new Date(NOW) });
}

describe.concurrent('the built CLI', () => {
  it('is what package.json names as the warden binary', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin.warden).toBe('./dist/cli/main.js');
    expect(readFileSync(join(ROOT, 'src', 'cli', 'main.ts'), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });
});

describe.concurrent('warden check exit codes', () => {
  const cases: Array<{ name: string; request: string; code: number; effect: string }> = [
    { name: 'allowed: 0', request: 'allow.json', code: 0, effect: 'allow' },
    { name: 'denied: 1', request: 'deny.json', code: 1, effect: 'deny' },
    { name: 'require_approval: 1', request: 'approval.json', code: 1, effect: 'require_approval' },
  ];

  it.each(cases)('$name', async ({ request, code, effect }) => {
    const r = await warden(['check', '--policy', POLICY, '--request', fx(request), '--now', NOW, '--json']);
    expect(r.code).toBe(code);
    expect((JSON.parse(r.stdout) as Decision).effect).toBe(effect);
  });

  it('prints a readable decision without --json', async () => {
    const r = await warden(['check', '--policy', POLICY, '--request', fx('deny.json'), '--now', NOW]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('DENY  write_file');
    expect(r.stdout).toContain('no-etc-writes (policy cli-tests)');
    expect(r.stdout).toContain('No writes under /etc');
  });

  it('a require_approval decision names its approvers in the readable output', async () => {
    const r = await warden(['check', '--policy', POLICY, '--request', fx('approval.json'), '--now', NOW]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe('APPROVAL REQUIRED  send_email');
    expect(r.stdout).toContain('approvers: security-team');
  });

  it.each(['allow.json', 'deny.json', 'approval.json', 'no-tool.json'])('--json prints exactly the Decision JSON for %s', async (request) => {
    const r = await warden(['check', '--policy', POLICY, '--request', fx(request), '--now', NOW, '--json']);
    const d = await expected(fx(request));
    expect(r.stdout).toBe(`${JSON.stringify(d)}\n`);
    expect(Object.keys(JSON.parse(r.stdout) as object)).toEqual(['effect', 'allowed', 'rule', 'policy', 'reason', 'approvers', 'errors', 'policyDigest']);
  });

  it('--json decision for a deny carries the rule, reason and policy digest', async () => {
    const r = await warden(['check', '--policy', POLICY, '--request', fx('deny.json'), '--now', NOW, '--json']);
    const set = await loadPolicyFiles([POLICY]);
    expect(JSON.parse(r.stdout)).toEqual({
      effect: 'deny',
      allowed: false,
      rule: 'no-etc-writes',
      policy: 'cli-tests',
      reason: 'No writes under /etc',
      approvers: [],
      errors: [],
      policyDigest: set.digest,
    });
  });

  it('--request - reads the request from standard input', async () => {
    const r = await warden(['check', '--policy', POLICY, '--request', '-', '--now', NOW, '--json'], readFileSync(fx('deny.json'), 'utf8'));
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as Decision).rule).toBe('no-etc-writes');
  });

  it('--request - with an allowed request on standard input exits 0', async () => {
    const r = await warden(['check', '--policy', POLICY, '--request', '-', '--json'], '{"tool":"read_file","args":{}}');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Decision).allowed).toBe(true);
  });

  it('a policy directory works like a file', async () => {
    const d = tempDir();
    copyFileSync(POLICY, join(d, 'policy.yaml'));
    const r = await warden(['check', '--policy', d, '--request', fx('allow.json'), '--json']);
    expect(r.code).toBe(0);
  });
});

describe.concurrent('warden check invalid input: exit 2', () => {
  const policies: Array<[string, string, string]> = [
    ['an unknown effect', 'bad-policy.yaml', ':7:13:'],
    ['a CEL syntax error', 'bad-cel.yaml', ':7:'],
  ];

  it.each(policies)('an invalid policy (%s) exits 2 and stderr names file:line:col', async (_name, file, where) => {
    const r = await warden(['check', '--policy', fx(file), '--request', fx('allow.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${fx(file)}${where}`);
    expect(r.stdout).toBe('');
  });

  it('a valid policy beside an invalid one still exits 2 (never partly applied)', async () => {
    const r = await warden(['check', '--policy', POLICY, fx('bad-policy.yaml'), '--request', fx('allow.json'), '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${fx('bad-policy.yaml')}:7:13`);
  });

  it('a missing policy file exits 2 and names it', async () => {
    const missing = join(tempDir(), 'nope.yaml');
    const r = await warden(['check', '--policy', missing, '--request', fx('allow.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(missing);
  });

  it('an empty policy directory exits 2', async () => {
    const r = await warden(['check', '--policy', tempDir(), '--request', fx('allow.json')]);
    expect(r.code).toBe(2);
  });

  it('invalid request JSON exits 2 and says where', async () => {
    const r = await warden(['check', '--policy', POLICY, '--request', fx('bad-json.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(fx('bad-json.json'));
    expect(r.stderr).toContain('not a valid JSON request');
    // It is still a decision (a denial, recorded when --audit is given), printed as any other.
    expect(r.stdout).toContain('reason:  invalid_request');
  });

  it.each([
    ['the same key twice at the top', '{"tool":"read_file","args":{},"tool":"write_file"}', 'tool'],
    ['the same argument twice', '{"tool":"write_file","args":{"path":"/tmp/x","path":"/etc/passwd"}}', 'path'],
    ['a repeat spelled with an escape', '{"tool":"write_file","args":{"path":"/tmp/x","\\u0070ath":"/etc/passwd"}}', 'path'],
  ])('a request whose JSON repeats a key (%s) is an invalid_request denial (exit 2), on neither value', async (_name, input, key) => {
    const r = await warden(['check', '--policy', POLICY, '--request', '-', '--json'], input);
    expect(r.code).toBe(2);
    const d = JSON.parse(r.stdout) as Decision;
    expect([d.effect, d.reason, d.rule]).toEqual(['deny', 'invalid_request', null]);
    expect(d.errors[0]?.message).toContain(`the key "${key}" appears twice in one object`);
    expect(r.stderr).toContain(`the key "${key}" appears twice in one object`);
  });

  it('invalid request JSON on standard input exits 2', async () => {
    const r = await warden(['check', '--policy', POLICY, '--request', '-'], '{"tool":');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('standard input');
  });

  it.each(['no-tool.json', 'array-args.json'])('a request failing validation (%s) exits 2 with reason invalid_request', async (request) => {
    const r = await warden(['check', '--policy', POLICY, '--request', fx(request), '--json']);
    expect(r.code).toBe(2);
    const d = JSON.parse(r.stdout) as Decision;
    expect(d.effect).toBe('deny');
    expect(d.allowed).toBe(false);
    expect(d.reason).toBe('invalid_request');
    expect(d.errors.map((e) => e.code)).toEqual(['invalid_request']);
  });

  it.each([
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"read_file"'],
    ['null', 'null'],
  ])('a request that is %s exits 2', async (_name, input) => {
    const r = await warden(['check', '--policy', POLICY, '--request', '-', '--json'], input);
    expect(r.code).toBe(2);
  });

  it('a missing --request exits 2 and says what to pass', async () => {
    const r = await warden(['check', '--policy', POLICY]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--request');
  });

  it('a missing request file exits 2', async () => {
    const r = await warden(['check', '--policy', POLICY, '--request', join(tempDir(), 'none.json')]);
    expect(r.code).toBe(2);
  });

  it('both --request and --requests exits 2', async () => {
    const r = await warden(['check', '--policy', POLICY, '--request', fx('allow.json'), '--requests', fx('batch.jsonl')]);
    expect(r.code).toBe(2);
  });

  it('a missing --policy exits 2', async () => {
    const r = await warden(['check', '--request', fx('allow.json')]);
    expect(r.code).toBe(2);
  });

  it('an invalid --now exits 2', async () => {
    const r = await warden(['check', '--policy', POLICY, '--request', fx('allow.json'), '--now', 'yesterday']);
    expect(r.code).toBe(2);
  });
});

describe.concurrent('warden check --requests (batch)', () => {
  it('prints one JSON decision per request line, skipping blank lines, and exits with the highest code', async () => {
    const r = await warden(['check', '--policy', POLICY, '--requests', fx('batch.jsonl'), '--now', NOW]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const out = lines.map((l) => JSON.parse(l) as Decision & { line: number });
    expect(out.map((d) => [d.line, d.effect, d.rule])).toEqual([
      [1, 'allow', 'allow-reads'],
      [2, 'deny', 'no-etc-writes'],
      [4, 'allow', 'allow-internal-email'],
    ]);
    const set = await loadPolicyFiles([POLICY]);
    expect(out[1]).toEqual({ line: 2, ...set.decide({ tool: 'write_file', args: { path: '/etc/passwd' } }) });
  });

  it('a batch of only allowed requests exits 0', async () => {
    const d = tempDir();
    const file = join(d, 'ok.jsonl');
    writeFileSync(file, '{"tool":"read_file","args":{}}\n{"tool":"write_file","args":{"path":"/tmp/x"}}\n');
    const r = await warden(['check', '--policy', POLICY, '--requests', file]);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
  });

  it('an invalid line is an invalid_request decision on its line and the batch exits 2', async () => {
    const r = await warden(['check', '--policy', POLICY, '--requests', fx('batch-invalid.jsonl')]);
    expect(r.code).toBe(2);
    const out = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Decision & { line: number });
    expect(out.map((d) => [d.line, d.effect, d.reason === 'invalid_request'])).toEqual([
      [1, 'allow', false],
      [2, 'deny', true],
      [3, 'deny', false],
    ]);
  });

  it('a line whose JSON repeats a key is an invalid_request denial on its line', async () => {
    const input = ['{"tool":"read_file","args":{}}', '{"tool":"read_file","args":{"path":"/a"},"tool":"write_file"}', '{"tool":"read_file","args":{}}'].join('\n');
    const r = await warden(['check', '--policy', POLICY, '--requests', '-'], input);
    expect(r.code).toBe(2);
    const out = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Decision & { line: number });
    expect(out.map((d) => [d.line, d.effect, d.reason])).toEqual([
      [1, 'allow', expect.any(String)],
      [2, 'deny', 'invalid_request'],
      [3, 'allow', expect.any(String)],
    ]);
    expect(out[1]?.errors[0]?.message).toContain('the key "tool" appears twice');
  });

  it('a missing batch file exits 2 and names it', async () => {
    const missing = join(tempDir(), 'none.jsonl');
    const r = await warden(['check', '--policy', POLICY, '--requests', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(missing);
    expect(r.stdout).toBe('');
  });

  it('--requests - reads the batch from standard input', async () => {
    const r = await warden(['check', '--policy', POLICY, '--requests', '-'], readFileSync(fx('batch.jsonl'), 'utf8'));
    expect(r.code).toBe(1);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(3);
  });
});

describe.concurrent('warden lint', () => {
  it('exits 1 on errors and prints file:line:col', async () => {
    const r = await warden(['lint', fx('bad-policy.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${fx('bad-policy.yaml')}:7:13: error[unknown_value]`);
  });

  it('exits 1 on a CEL error and points into the expression', async () => {
    const r = await warden(['lint', fx('bad-cel.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${fx('bad-cel.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:7:\\d+: error\\[cel_syntax\\]`));
  });

  it('exits 0 with warnings (allow_all, never_matches) printed with file:line:col', async () => {
    const r = await warden(['lint', fx('lint-warnings.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${fx('lint-warnings.yaml')}:5:5: warning[allow_all]`);
    expect(r.stdout).toContain(`${fx('lint-warnings.yaml')}:8:5: warning[never_matches]`);
  });

  it('--json reports counts and issues', async () => {
    const r = await warden(['lint', '--json', fx('lint-warnings.yaml')]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { errors: number; warnings: number; issues: Array<{ code: string }> };
    expect(out.errors).toBe(0);
    expect(out.warnings).toBe(2);
    expect(out.issues.map((i) => i.code).sort()).toEqual(['allow_all', 'never_matches']);
  });

  it('exits 0 with no findings on a clean policy', async () => {
    const r = await warden(['lint', POLICY]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no findings');
  });

  it('reports errors from every file of a mixed set', async () => {
    const r = await warden(['lint', POLICY, fx('bad-policy.yaml'), fx('bad-cel.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(fx('bad-policy.yaml'));
    expect(r.stdout).toContain(fx('bad-cel.yaml'));
  });

  it('a missing file is not a clean lint', async () => {
    const r = await warden(['lint', join(tempDir(), 'missing.yaml')]);
    expect(r.code).not.toBe(0);
  });
});

describe.concurrent('warden explain', () => {
  it('lists every rule with its status and the decision', async () => {
    const r = await warden(['explain', '--policy', POLICY, '--request', fx('deny.json'), '--now', NOW]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe('DENY  write_file');
    expect(r.stdout).toContain('Rules considered:');
    for (const rule of ['allow-reads', 'no-etc-writes', 'allow-writes', 'approve-external-email', 'allow-internal-email']) {
      expect(r.stdout).toContain(`cli-tests/${rule} [`);
    }
    expect(r.stdout).toMatch(/cli-tests\/allow-reads \[allow\] line \d+: tool mismatch/);
    expect(r.stdout).toMatch(/cli-tests\/no-etc-writes \[deny\] line \d+: matched/);
  });

  it('--json gives the decision and one entry per rule', async () => {
    const r = await warden(['explain', '--policy', POLICY, '--request', fx('allow.json'), '--now', NOW, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { decision: Decision; rules: Array<{ rule: string; status: string }> };
    expect(out.decision).toEqual(await expected(fx('allow.json')));
    expect(out.rules.map((x) => [x.rule, x.status])).toEqual([
      ['allow-reads', 'matched'],
      ['no-etc-writes', 'tool_mismatch'],
      ['allow-writes', 'tool_mismatch'],
      ['approve-external-email', 'tool_mismatch'],
      ['allow-internal-email', 'tool_mismatch'],
    ]);
  });

  it('exits 2 for a request that fails validation', async () => {
    const r = await warden(['explain', '--policy', POLICY, '--request', fx('no-tool.json')]);
    expect(r.code).toBe(2);
  });
});

describe.concurrent('warden init', () => {
  it('writes policy.yaml into the directory, refuses to overwrite without --force, overwrites with it', async () => {
    const d = tempDir();
    const file = join(d, 'policy.yaml');
    const first = await warden(['init', '--dir', d]);
    expect(first.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(STARTER_POLICY);
    expect(first.stdout).toContain('warden lint');

    writeFileSync(file, '# my edits\n');
    const again = await warden(['init', '--dir', d]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--force');
    expect(readFileSync(file, 'utf8')).toBe('# my edits\n');

    const forced = await warden(['init', '--dir', d, '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(STARTER_POLICY);
  });

  it('writes into the current directory by default', async () => {
    const d = tempDir();
    const r = await warden(['init'], undefined, d);
    expect(r.code).toBe(0);
    expect(existsSync(join(d, 'policy.yaml'))).toBe(true);
  });

  it('the starter policy passes warden lint with no errors', async () => {
    const d = tempDir();
    expect((await warden(['init', '--dir', d])).code).toBe(0);
    const r = await warden(['lint', '--json', join(d, 'policy.yaml')]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { errors: number }).errors).toBe(0);
  });

  it('the starter policy decides: reads allowed, unknown tools denied, credential paths denied', async () => {
    const d = tempDir();
    expect((await warden(['init', '--dir', d])).code).toBe(0);
    const p = join(d, 'policy.yaml');
    const check = async (req: object): Promise<number | null> => (await warden(['check', '--policy', p, '--request', '-', '--json'], JSON.stringify(req))).code;
    expect(await check({ tool: 'read_file', args: { path: '/workspace/a' } })).toBe(0);
    expect(await check({ tool: 'format_disk', args: {} })).toBe(1);
    expect(await check({ tool: 'read_file', args: { path: '/home/u/.env' } })).toBe(1);
    expect(await check({ tool: 'send_email', args: { to: 'x@evil.test' } })).toBe(1);
  });
});

describe.concurrent('warden demo', () => {
  it('exits 0 and shows allows, denies and an approval (recording under its own working directory, not the checkout)', async () => {
    const cwd = tempDir();
    const r = await warden(['demo'], undefined, cwd);
    expect(r.code).toBe(0);
    expect(existsSync(join(cwd, '.warden', 'audit'))).toBe(true);
    expect(r.stdout).toContain('ALLOW');
    expect(r.stdout).toContain('DENY');
    expect(r.stdout).toContain('Approved.');
    expect(r.stdout).toMatch(/approved refund .*bound to sha256:/);
    expect(r.stdout).toMatch(/rejected refund .*"approved":true/);
    // The session scene: an injected page cannot make the agent send the customer record out.
    // search_docs carries no flow label: the scan of its result detects the injection and marks the session.
    expect(r.stdout).toMatch(/detected: asks the model to ignore, forget or override its earlier instructions .*\n\s+session demo-chat-1 is marked: untrusted/);
    expect(r.stdout).toContain('in the session scene, injected instructions detected in: search_docs; stopped: post_webhook (no-egress-after-private-and-untrusted).');
  });

  it('writes a compliance report of its own run beside its audit log', async () => {
    const cwd = tempDir();
    const r = await warden(['demo'], undefined, cwd);
    expect(r.stdout).toMatch(/Compliance report of this run: .*compliance-report\.md: \d+ controls satisfied/);
    const report = readFileSync(join(cwd, '.warden', 'audit', 'compliance-report.md'), 'utf8');
    expect(report).toContain('# Warden compliance report');
    // 19 decisions and the outcomes of the 11 calls that ran (with what their results carried).
    expect(report).toMatch(/Audit log: .*30 records, verifies/);
    // The breaker scene's refusal was decided outside the policy, so re-deciding under the policy does not count it as a difference.
    expect(report).not.toContain('recorded decisions differ from what the policy decides now');
  });
});

describe.concurrent('usage errors exit 2', () => {
  it.each([
    ['an unknown option', ['check', '--policy', POLICY, '--request', fx('allow.json'), '--frobnicate']],
    ['an unknown top-level option', ['--frobnicate']],
    ['an unknown command', ['frobnicate']],
    ['lint with no paths', ['lint']],
    ['explain without --request', ['explain', '--policy', POLICY]],
  ])('%s exits 2', async (_name, args) => {
    const r = await warden(args);
    expect(r.code).toBe(2);
    expect(r.stderr.length).toBeGreaterThan(0);
  });

  it('--help exits 0', async () => {
    const r = await warden(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('check');
  });
});

describe('optional packages', () => {
  it('warden mcp-proxy without @modelcontextprotocol/sdk installed says what to install (exit 2), once', async () => {
    const { cpSync, mkdirSync, readdirSync, symlinkSync } = await import('node:fs');
    const build = join(main, '..', '..', '..');
    const bare = tempDir();
    cpSync(join(build, 'dist'), join(bare, 'dist'), { recursive: true });
    cpSync(join(build, 'package.json'), join(bare, 'package.json'));
    // Every installed package but the MCP SDK (an optional peer).
    mkdirSync(join(bare, 'node_modules', '@modelcontextprotocol'), { recursive: true });
    for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
      if (entry !== '@modelcontextprotocol') symlinkSync(join(ROOT, 'node_modules', entry), join(bare, 'node_modules', entry), 'dir');
    }
    for (const entry of readdirSync(join(ROOT, 'node_modules', '@modelcontextprotocol'))) {
      if (entry !== 'sdk') symlinkSync(join(ROOT, 'node_modules', '@modelcontextprotocol', entry), join(bare, 'node_modules', '@modelcontextprotocol', entry), 'dir');
    }
    const r = await new Promise<Run>((resolve, reject) => {
      const child = spawn(process.execPath, [join(bare, 'dist', 'cli', 'main.js'), 'mcp-proxy', '--policy', POLICY, '--', 'true'], { cwd: bare, timeout: 60_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('warden: The MCP gateway needs the optional package @modelcontextprotocol/sdk (and its peer zod). Install them beside agent-warden: npm install @modelcontextprotocol/sdk zod\n');
  });
});

describe('warden manifest', () => {
  it('prints the manifest naming the digest of the policy as it loads', async () => {
    const r = await warden(['manifest', POLICY]);
    expect(r.code).toBe(0);
    const digest = (await loadPolicyFiles([POLICY])).digest;
    expect(r.stdout).toBe(`${JSON.stringify({ apiVersion: 'warden/v1', kind: 'PolicyManifest', digest })}\n`);
  });

  it('--out writes it where a strict PolicyStore reads it, and the store activates that policy', async () => {
    const out = join(tempDir(), '.manifest.json');
    const r = await warden(['manifest', POLICY, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Wrote ${out}`);
    const store = await PolicyStore.open([POLICY], { manifest: out });
    expect(store.current().digest).toBe((await loadPolicyFiles([POLICY])).digest);
    store.close();
  });

  it('a policy that does not load gets no manifest (exit 2)', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'p.yaml'), 'apiVersion: warden/v1\nkind: Policy\nname: p\nrules:\n  - name: r\n    effect: alow\n');
    const r = await warden(['manifest', join(d, 'p.yaml'), '--out', join(d, '.manifest.json')]);
    expect(r.code).toBe(2);
    expect(existsSync(join(d, '.manifest.json'))).toBe(false);
  });
});
