/**
 * `warden replay` run as a user runs it: a child process of the CLI, built once into a private
 * temporary directory (the same tsconfig.build.json as `npm run build`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { buildDecisionBodyEncoded, chainLine, GENESIS_HASH } from '../../src/audit/record.js';
import { compilePolicy } from '../../src/policy/compile.js';
import type { ReplayReport } from '../../src/replay/replay.js';

const HMAC = Buffer.from('replay-cli-secret-0123456789abcdef');

const CURRENT = `apiVersion: warden/v1
kind: Policy
name: current
rules:
  - name: reads
    tools: [read_file]
    effect: allow
  - name: mail
    tools: [send_email]
    effect: allow
  - name: shell
    tools: [bash]
    effect: require_approval
    approvers: [ops]
`;

const POLICIES: Record<string, string> = {
  'same.yaml': CURRENT,
  // read_file loses its allow: allow -> deny only.
  'tighten.yaml': CURRENT.replace('  - name: reads\n    tools: [read_file]\n    effect: allow\n', ''),
  // delete_file gains an allow: deny -> allow only.
  'loosen.yaml': `${CURRENT}  - name: deletes\n    tools: [delete_file]\n    effect: allow\n`,
  // delete_file now needs approval: deny -> require_approval, within the "stopped" side.
  'sideways.yaml': `${CURRENT}  - name: deletes\n    tools: [delete_file]\n    effect: require_approval\n    approvers: [ops]\n`,
  // A deny rule that reads the redacted password of every send_email: indeterminate only.
  'secretive.yaml': `${CURRENT}  - name: weak-mail\n    tools: [send_email]\n    when: "args.password == 'x'"\n    effect: deny\n`,
  'broken.yaml': 'apiVersion: warden/v1\nkind: Policy\nname: broken\nrules:\n  - name: x\n    effect: maybe\n',
};

const TOOLS = ['read_file', 'send_email', 'delete_file', 'bash'] as const;
const RECORDS = 40;

let main = '';
let dir = '';
const p = (name: string): string => join(dir, name);

function writeLog(file: string, extraLines: string[] = []): void {
  const current = compilePolicy([{ name: 'same.yaml', text: CURRENT }]);
  let prev = GENESIS_HASH;
  let out = '';
  for (let i = 0; i < RECORDS; i++) {
    const tool = TOOLS[i % TOOLS.length] as string;
    const args: Record<string, unknown> = tool === 'send_email' ? { to: `u${i}@example.com`, password: `pw-${i}` } : tool === 'bash' ? { command: 'ls' } : { path: `/w/${i}` };
    const request = { tool, args, agent: { id: `agent-${i % 3}` }, context: { environment: 'prod' } };
    const ts = new Date(Date.UTC(2025, 5, 1) + i * 1000);
    const { members } = buildDecisionBodyEncoded({ ts: ts.toISOString(), agent: request.agent, request, decision: current.decide(request, { now: ts }) }, { hmacKey: HMAC });
    const c = chainLine(members, { seq: i + 1, stream: 'cli', prev });
    prev = c.hash;
    out += `${c.line}\n`;
  }
  writeFileSync(file, out + extraLines.map((l) => `${l}\n`).join(''));
}

beforeAll(async () => {
  main = inject('wardenCli');

  dir = mkdtempSync(join(tmpdir(), 'warden-replay-cli-'));
  for (const [name, text] of Object.entries(POLICIES)) writeFileSync(p(name), text);
  writeLog(p('log.jsonl'));
  writeLog(p('bad.jsonl'), ['not a record']);
  // A directory written by the real sink, rotated into several files.
  const sink = await openFileAuditSink({ path: p('rotated'), fsync: 'never', rotateBytes: 4096, hmacKey: HMAC });
  const current = compilePolicy([{ name: 'same.yaml', text: CURRENT }]);
  for (let i = 0; i < 30; i++) {
    const request = { tool: 'delete_file', args: { path: `/w/${i}` } };
    await sink.write({ ts: new Date(Date.UTC(2025, 5, 2) + i).toISOString(), agent: null, request, decision: current.decide(request) });
  }
  await sink.close();
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function warden(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

const count = (text: string, needle: string): number => text.split(needle).length - 1;

describe.concurrent('warden replay --fail-on exit codes', () => {
  const cases: Array<[string, string, string | null, number]> = [
    ['no change, no --fail-on', 'same.yaml', null, 0],
    ['no change, every class', 'same.yaml', 'deny-to-allow,allow-to-deny,any,indeterminate,malformed', 0],
    ['allow->deny without --fail-on', 'tighten.yaml', null, 0],
    ['allow->deny, --fail-on allow-to-deny', 'tighten.yaml', 'allow-to-deny', 1],
    ['allow->deny, --fail-on deny-to-allow', 'tighten.yaml', 'deny-to-allow', 0],
    ['allow->deny, --fail-on any', 'tighten.yaml', 'any', 1],
    ['allow->deny, --fail-on indeterminate', 'tighten.yaml', 'indeterminate', 0],
    ['deny->allow, --fail-on deny-to-allow', 'loosen.yaml', 'deny-to-allow', 1],
    ['deny->allow, --fail-on allow-to-deny', 'loosen.yaml', 'allow-to-deny', 0],
    ['deny->allow, --fail-on any', 'loosen.yaml', 'any', 1],
    ['deny->allow, --fail-on allow-to-deny,deny-to-allow', 'loosen.yaml', 'allow-to-deny,deny-to-allow', 1],
    ['deny->require_approval, --fail-on deny-to-allow', 'sideways.yaml', 'deny-to-allow', 0],
    ['deny->require_approval, --fail-on allow-to-deny', 'sideways.yaml', 'allow-to-deny', 0],
    ['deny->require_approval, --fail-on any', 'sideways.yaml', 'any', 1],
    ['indeterminate, --fail-on indeterminate', 'secretive.yaml', 'indeterminate', 1],
    ['indeterminate, --fail-on any', 'secretive.yaml', 'any', 0],
    ['indeterminate, --fail-on deny-to-allow,allow-to-deny', 'secretive.yaml', 'deny-to-allow,allow-to-deny', 0],
  ];
  it.each(cases)('%s: exit %#', async (_name, policy, failOn, code) => {
    const r = await warden(['replay', '--policy', policy, 'log.jsonl', ...(failOn === null ? [] : ['--fail-on', failOn])]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(code);
  });

  it('a malformed line fails --fail-on malformed (exit 1) and nothing else', async () => {
    expect((await warden(['replay', '--policy', 'same.yaml', 'bad.jsonl', '--fail-on', 'malformed'])).code).toBe(1);
    const r = await warden(['replay', '--policy', 'same.yaml', 'bad.jsonl', '--fail-on', 'any,deny-to-allow,allow-to-deny,indeterminate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('bad.jsonl:41: the line is not JSON');
  });

  it('states what failed at the end of the terminal report', async () => {
    const r = await warden(['replay', '--policy', 'loosen.yaml', 'log.jsonl', '--fail-on', 'deny-to-allow']);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('FAIL deny-to-allow: 10 decisions moved from deny or require_approval to allow or warn');
  });
});

describe.concurrent('warden replay usage errors exit 2', () => {
  const cases: Array<[string, string[], string]> = [
    ['an unknown --fail-on value', ['--policy', 'same.yaml', 'log.jsonl', '--fail-on', 'deny-to-allow,sometimes'], '--fail-on "sometimes" is not one of'],
    ['two output formats', ['--policy', 'same.yaml', 'log.jsonl', '--json', '--junit'], 'Choose one of --json, --markdown and --junit'],
    ['no candidate policy', ['log.jsonl'], 'Give the candidate policy'],
    ['a missing log file', ['--policy', 'same.yaml', 'missing.jsonl'], 'Cannot read missing.jsonl: no such file or directory'],
    ['a missing policy file', ['--policy', 'nope.yaml', 'log.jsonl'], 'Cannot read nope.yaml'],
    ['a policy that does not load', ['--policy', 'broken.yaml', 'log.jsonl'], 'broken.yaml'],
    ['a baseline that does not load', ['--policy', 'same.yaml', '--baseline', 'broken.yaml', 'log.jsonl'], 'broken.yaml'],
    ['a policy passed where a log belongs', ['--policy', 'same.yaml', 'loosen.yaml', 'log.jsonl'], 'loosen.yaml looks like a policy'],
    ['a negative --examples', ['--policy', 'same.yaml', 'log.jsonl', '--examples', '-1'], '--examples'],
    ['a non-numeric --examples', ['--policy', 'same.yaml', 'log.jsonl', '--examples', 'many'], '--examples "many" is not an integer from 0 to 1000'],
    ['no log at all', ['--policy', 'same.yaml'], "missing required argument 'logs'"],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const r = await warden(['replay', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });
});

describe.concurrent('warden replay output formats', () => {
  it('--no-sessions decides each record alone: no session is rebuilt', async () => {
    const sessioned = await warden(['replay', '--policy', 'loosen.yaml', 'log.jsonl', '--json']);
    const alone = await warden(['replay', '--policy', 'loosen.yaml', 'log.jsonl', '--json', '--no-sessions']);
    expect([sessioned.code, alone.code]).toEqual([0, 0]);
    expect((JSON.parse(alone.stdout) as ReplayReport).sessions).toEqual({ rebuilt: 0, dropped: 0 });
    expect((JSON.parse(sessioned.stdout) as ReplayReport).decisions).toBe((JSON.parse(alone.stdout) as ReplayReport).decisions);
  });

  it('--json prints the whole report', async () => {
    const r = await warden(['replay', '--policy', 'loosen.yaml', 'log.jsonl', '--json', '--examples', '2']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as ReplayReport;
    expect(Object.keys(report)).toEqual([
      'mode',
      'candidate',
      'baseline',
      'read',
      'decisions',
      'checkpoints',
      'malformed',
      'unchanged',
      'unchangedOtherRule',
      'changed',
      'indeterminate',
      'changes',
      'groups',
      'indeterminateExamples',
      'malformedExamples',
      'firstTs',
      'lastTs',
      'sessions',
    ]);
    expect([report.read, report.decisions, report.unchanged, report.changed, report.indeterminate]).toEqual([40, 40, 30, 10, 0]);
    expect(report.changes).toEqual({ 'deny->allow': 10 });
    expect(report.groups).toHaveLength(1);
    expect(report.groups[0]).toMatchObject({ rule: 'deletes', policy: 'current', effect: 'allow', count: 10, changes: { 'deny->allow': 10 } });
    expect(report.groups[0]?.examples.map((e) => e.seq)).toEqual([3, 7]);
  });

  it('--baseline compares two policies instead of the recorded decisions', async () => {
    const r = await warden(['replay', '--policy', 'same.yaml', '--baseline', 'tighten.yaml', 'log.jsonl', '--json']);
    const report = JSON.parse(r.stdout) as ReplayReport;
    expect(report.mode).toBe('baseline');
    expect(report.baseline?.policies).toEqual(['current']);
    expect(report.changes).toEqual({ 'deny->allow': 10 });
  });

  it('--markdown prints a PR comment: summary table, changes by kind, one section per rule', async () => {
    const r = await warden(['replay', '--policy', 'tighten.yaml', 'log.jsonl', '--markdown', '--fail-on', 'allow-to-deny']);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('## Policy replay');
    expect(r.stdout).toContain('**10 of 40 decisions change**');
    expect(r.stdout).toContain('**Fails** `--fail-on allow-to-deny`:');
    expect(lines).toContain('| Changed | 10 |');
    expect(lines).toContain('| &nbsp;&nbsp;allow → deny | 10 |');
    expect(lines).toContain('### Now deny by default of `current`: 10 decisions');
    expect(lines.filter((l) => l.startsWith('| 1 ') || l.startsWith('| 5 ') || l.startsWith('| 9 '))).toHaveLength(3);
  });

  it('--junit prints a testcase per changed decision plus a summary, failing the --fail-on kinds', async () => {
    const r = await warden(['replay', '--policy', 'loosen.yaml', 'log.jsonl', '--junit', '--fail-on', 'deny-to-allow']);
    expect(r.code).toBe(1);
    expect(r.stdout.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="warden replay" tests="11" failures="10" errors="0" skipped="0">')).toBe(true);
    expect(count(r.stdout, '<testcase ')).toBe(11);
    expect(count(r.stdout, '<failure type="deny-to-allow"')).toBe(10);
    expect(count(r.stdout, 'classname="warden.replay.deny-to-allow"')).toBe(10);
    expect(r.stdout).toContain('name="seq 3 delete_file: deny -&gt; allow"');
    expect(r.stdout.endsWith('  </testsuite>\n</testsuites>\n')).toBe(true);
  });

  it('--junit passes changes not listed in --fail-on and skips indeterminate records', async () => {
    const passing = await warden(['replay', '--policy', 'loosen.yaml', 'log.jsonl', '--junit', '--fail-on', 'allow-to-deny']);
    expect(passing.code).toBe(0);
    expect(count(passing.stdout, '<failure')).toBe(0);
    expect(count(passing.stdout, '<testcase ')).toBe(11);
    const skipped = await warden(['replay', '--policy', 'secretive.yaml', 'log.jsonl', '--junit']);
    expect(skipped.stdout).toContain('tests="11" failures="0" errors="0" skipped="10"');
    expect(count(skipped.stdout, '<skipped ')).toBe(10);
  });

  it('prints the terminal report by default, and no progress bar when stderr is not a terminal', async () => {
    const r = await warden(['replay', '--policy', 'loosen.yaml', 'log.jsonl']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Replayed 40 decisions (2025-06-01T00:00:00.000Z .. 2025-06-01T00:00:39.000Z) against the recorded decisions.');
    expect(r.stdout).toContain('Changed decisions by the rule that now decides them:');
    expect(r.stdout).toContain('ALLOW by rule deletes (policy current): 10 decisions (deny -> allow 10)');
  });

  it('reads a log directory as its stream: rotated files in chain order, then the active file', async () => {
    expect(readdirSync(p('rotated')).filter((f) => /^warden\.\d{6}\.jsonl$/.test(f)).length).toBeGreaterThan(1);
    const r = await warden(['replay', '--policy', 'loosen.yaml', 'rotated', '--json']);
    const report = JSON.parse(r.stdout) as ReplayReport;
    expect([report.decisions, report.changed, report.malformed]).toEqual([30, 30, 0]);
    expect(report.firstTs).toBe(new Date(Date.UTC(2025, 5, 2)).toISOString());
    expect(report.lastTs).toBe(new Date(Date.UTC(2025, 5, 2) + 29).toISOString());
  });

  it('reads each file once when a file and its directory are both given', async () => {
    const r = await warden(['replay', '--policy', 'same.yaml', 'rotated', ...readdirSync(p('rotated')).filter((f) => f.endsWith('.jsonl')).map((f) => join('rotated', f)), '--json']);
    expect((JSON.parse(r.stdout) as ReplayReport).decisions).toBe(30);
  });
});
