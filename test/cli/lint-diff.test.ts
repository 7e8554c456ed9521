/**
 * `warden lint` (static analysis, formats, exit codes) and `warden diff`, run as a user runs them:
 * a child process of the CLI built (with tsconfig.build.json) into a private temporary directory.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { SarifLog } from '../../src/policy/sarif.js';

const NOW = '2026-03-01T12:00:00Z';

let build = '';
let main = '';
let dir = '';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function warden(args: string[], cwd = dir, input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

const HEAD = 'apiVersion: warden/v1\nkind: Policy\n';

/** Policies and inputs the suite uses, written into the temporary working directory. */
const FILES: Record<string, string> = {
  'clean.yaml': `${HEAD}name: clean\nrules:\n  - { name: reads, tools: [read_file], effect: allow }\n`,
  'warnings.yaml': `${HEAD}name: warns\ntools: [read_file, write_file]\nrules:\n  - { name: no-writes, tools: [write_file], effect: deny }\n  - { name: allow-writes, tools: [write_file], effect: allow }\n  - { name: allow-raed, tools: [raed_file], effect: allow }\n`,
  'info.yaml': `${HEAD}name: info\nrules:\n  - name: odd\n    tools: [x]\n    when: "re2(args.s, '(a+)+')"\n    effect: deny\n`,
  'broken.yaml': `${HEAD}name: broken\nrules:\n  - { name: r, tools: [x], effect: alow }\n`,
  'old.yaml': `${HEAD}name: files\nrules:\n  - { name: reads, tools: [read_file], effect: allow }\n  - { name: writes, tools: [write_file], effect: allow }\n  - { name: gone, tools: [rm], effect: allow }\n`,
  'new.yaml': `${HEAD}name: files\nrules:\n  - { name: reads, tools: [read_file], effect: allow }\n  - name: no-etc\n    tools: [write_file]\n    when: "args.path.startsWith('/etc/')"\n    effect: deny\n  - { name: writes, tools: [write_file, append_file], effect: allow }\n`,
  'old-dir/a.yaml': `${HEAD}name: a\nrules:\n  - { name: r, tools: [x], effect: allow }\n`,
  'old-dir/b.yaml': `${HEAD}name: b\nrules:\n  - { name: s, tools: [y], effect: allow }\n`,
  'new-a.yaml': `${HEAD}name: a\nrules:\n  - { name: r, tools: [x], effect: deny }\n`,
  'new-b.yaml': `${HEAD}name: b\nrules:\n  - { name: s, tools: [y], effect: allow }\n`,
  'requests.jsonl': [
    JSON.stringify({ tool: 'write_file', args: { path: '/etc/passwd' } }),
    JSON.stringify({ tool: 'write_file', args: { path: '/tmp/a' } }),
    '',
    JSON.stringify({ tool: 'rm', args: {} }),
    JSON.stringify({ tool: 'read_file', args: {} }),
  ].join('\n'),
  'bad.jsonl': `${JSON.stringify({ tool: 'rm', args: {} })}\n{not json\n`,
  'twice.jsonl': `${JSON.stringify({ tool: 'rm', args: {} })}\n{"tool":"read_file","args":{},"tool":"rm"}\n`,
  'files.test.yaml': `apiVersion: warden/v1\nkind: PolicyTest\nname: files-tests\ncases:\n  - name: etc writes\n    request: { tool: write_file, args: { path: /etc/hosts } }\n    expect: { effect: allow }\n  - name: reads\n    request: { tool: read_file, args: { path: /a } }\n    expect: { effect: allow }\n`,
};

beforeAll(() => {
  main = inject('wardenCli');
  build = join(main, '..', '..', '..');
  dir = mkdtempSync(join(tmpdir(), 'warden-lint-diff-'));
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('warden lint', () => {
  it('exits 0 with no findings on a clean policy', async () => {
    const r = await warden(['lint', 'clean.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('OK: the policy loads (1 rules), no findings.\n');
  });

  it('prints each static finding with file:line:col and exits 0 on warnings', async () => {
    const r = await warden(['lint', 'warnings.yaml']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^warnings\.yaml:7:5: warning\[shadowed_rule\]: Rule "allow-writes" \(allow, tools \[write_file\]\) never decides: rule "no-writes" at warnings\.yaml:6:5/);
    expect(lines[1]).toMatch(/^warnings\.yaml:8:33: warning\[unknown_tool\]: Rule "allow-raed" names tool "raed_file".* Did you mean "read_file"\?/);
    expect(lines.at(-1)).toBe('The policy loads (3 rules), with 2 warning(s) worth a look.');
  });

  it('--strict exits 1 on warnings', async () => {
    expect((await warden(['lint', '--strict', 'warnings.yaml'])).code).toBe(1);
  });

  it('--strict still exits 0 when the only findings are infos', async () => {
    const r = await warden(['lint', '--strict', 'info.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('info.yaml:7:24: info[backtracking_regex]');
    expect(r.stdout).toContain('with 0 warning(s), 1 note(s) worth a look');
  });

  it('exits 1 on a load error', async () => {
    const r = await warden(['lint', 'broken.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('broken.yaml:5:36: error[unknown_value]');
  });

  it('exits 1 on a missing file', async () => {
    const r = await warden(['lint', 'missing.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error[file_not_found]');
  });

  it('--format json (and --json) reports counts and every finding', async () => {
    for (const flags of [['--format', 'json'], ['--json']]) {
      const r = await warden(['lint', ...flags, 'warnings.yaml', 'info.yaml']);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as { errors: number; warnings: number; infos: number; rules: number; loaded: boolean; issues: Array<{ code: string; file: string; line: number; rule: string }> };
      // The inventory of one document applies to the whole set, so info.yaml's tool x is unknown too.
      expect(out).toMatchObject({ errors: 0, warnings: 3, infos: 1, rules: 4, loaded: true });
      expect(out.issues.map((i) => [i.file, i.line, i.code, i.rule])).toEqual([
        ['info.yaml', 6, 'unknown_tool', 'odd'],
        ['info.yaml', 7, 'backtracking_regex', 'odd'],
        ['warnings.yaml', 7, 'shadowed_rule', 'allow-writes'],
        ['warnings.yaml', 8, 'unknown_tool', 'allow-raed'],
      ]);
    }
  });

  it('--format sarif writes SARIF 2.1.0 with paths relative to the working directory', async () => {
    const r = await warden(['lint', '--format', 'sarif', join(dir, 'warnings.yaml'), 'broken.yaml']);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.stdout) as SarifLog;
    expect(log.version).toBe('2.1.0');
    const run = log.runs[0];
    expect(run?.tool.driver.name).toBe('warden');
    expect(run?.tool.driver.rules.map((x) => x.id)).toEqual(['unknown_value']);
    expect(run?.results).toHaveLength(1);
    expect(run?.results[0]).toMatchObject({
      ruleId: 'unknown_value',
      ruleIndex: 0,
      level: 'error',
      locations: [{ physicalLocation: { artifactLocation: { uri: 'broken.yaml' }, region: { startLine: 5, startColumn: 36 } } }],
    });
    const ok = JSON.parse((await warden(['lint', '--format', 'sarif', join(dir, 'warnings.yaml')])).stdout) as SarifLog;
    const results = ok.runs[0]?.results ?? [];
    expect(results.map((x) => [x.ruleId, x.level, x.locations[0]?.physicalLocation.artifactLocation.uri, x.locations[0]?.physicalLocation.region.startLine])).toEqual([
      ['shadowed_rule', 'warning', 'warnings.yaml', 7],
      ['unknown_tool', 'warning', 'warnings.yaml', 8],
    ]);
    expect(results[0]?.relatedLocations?.[0]?.physicalLocation.region).toEqual({ startLine: 6, startColumn: 5 });
    for (const x of results) expect(x.message.text.length).toBeGreaterThan(20);
  });

  it('--format sarif writes a file URL for a policy outside the working directory', async () => {
    const r = await warden(['lint', '--format', 'sarif', join(dir, 'info.yaml')], build);
    const log = JSON.parse(r.stdout) as SarifLog;
    expect(log.runs[0]?.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri).toBe(`file://${join(dir, 'info.yaml')}`);
  });

  it('refuses an unknown format with exit 2', async () => {
    const r = await warden(['lint', '--format', 'xml', 'clean.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format "xml" is not one of text, json, sarif');
  });
});

describe.concurrent('warden diff', () => {
  it('lists rules added, removed and changed', async () => {
    const r = await warden(['diff', 'old.yaml', 'new.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      'Rules: 1 added, 1 removed, 1 changed, 1 unchanged.',
      `  + files/no-etc  deny, tools [write_file], when "args.path.startsWith('/etc/')"  (new.yaml:6)`,
      '  - files/gone  allow, tools [rm]  (was old.yaml:7)',
      '  ~ files/writes  (new.yaml:10)',
      '      tools: [write_file] -> [append_file, write_file]',
    ]);
  });

  it('takes several files a side with --old and --new', async () => {
    const r = await warden(['diff', '--old', 'old-dir', '--new', 'new-a.yaml', 'new-b.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Rules: 0 added, 0 removed, 1 changed, 1 unchanged.');
    expect(r.stdout).toContain('      effect: allow -> deny');
  });

  it('--exit-code exits 1 when something differs and 0 when nothing does', async () => {
    expect((await warden(['diff', '--exit-code', 'old.yaml', 'new.yaml'])).code).toBe(1);
    const same = await warden(['diff', '--exit-code', 'old-dir', 'old-dir']);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('The two versions have the same rules.');
  });

  it('--requests shows which decisions move', async () => {
    const r = await warden(['diff', 'old.yaml', 'new.yaml', '--requests', 'requests.jsonl', '--now', NOW]);
    expect(r.code).toBe(0);
    const text = r.stdout.slice(r.stdout.indexOf('\nDecisions:') + 1).trimEnd().split('\n');
    expect(text).toEqual([
      'Decisions: 4 request(s), 2 moved, 2 unchanged.',
      '  allow->deny: 2',
      '  requests.jsonl:1  write_file: allow (files/writes) -> deny (files/no-etc)',
      '  requests.jsonl:4  rm: allow (files/gone) -> deny (default)',
    ]);
  });

  it('--requests reads an audit log: each record with its agent and recorded time', async () => {
    const log = join(dir, `audit-${process.pid}.jsonl`);
    const check = await warden(['check', '--policy', 'old.yaml', '--requests', 'requests.jsonl', '--now', NOW, '--audit', log]);
    expect(check.code).toBe(0);
    const r = await warden(['diff', 'old.yaml', 'new.yaml', '--requests', log, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { decisions: { total: number; unchanged: number; kinds: Record<string, number>; moved: Array<{ label: string; tool: string }> } };
    expect(out.decisions.total).toBe(4);
    expect(out.decisions.kinds).toEqual({ 'allow->deny': 2 });
    expect(out.decisions.moved.map((m) => [m.tool, m.label.replace(log, 'LOG')])).toEqual([
      ['write_file', 'LOG:1 (seq 1)'],
      ['rm', 'LOG:3 (seq 3)'],
    ]);
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean)).toHaveLength(4);
  });

  it('--cases decides the requests of policy test cases', async () => {
    const r = await warden(['diff', 'old.yaml', 'new.yaml', '--cases', 'files.test.yaml', '--now', NOW]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Decisions: 2 request(s), 1 moved, 1 unchanged.');
    expect(r.stdout).toContain('  files.test.yaml:5 case "etc writes" (expects allow)  write_file: allow (files/writes) -> deny (files/no-etc)\n');
  });

  it('--json holds both digests, the rule diff and the decisions', async () => {
    const r = await warden(['diff', '--json', 'old.yaml', 'new.yaml', '--requests', 'requests.jsonl', '--now', NOW]);
    const out = JSON.parse(r.stdout) as {
      old: { paths: string[]; digest: string };
      new: { paths: string[]; digest: string };
      rules: { added: Array<{ rule: string }>; removed: Array<{ rule: string }>; changed: Array<{ rule: string; fields: Array<{ field: string }> }>; identical: boolean };
      decisions: { total: number; moved: unknown[] };
    };
    expect(out.old.paths).toEqual(['old.yaml']);
    expect(out.old.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(out.new.digest).not.toBe(out.old.digest);
    expect(out.rules.added.map((x) => x.rule)).toEqual(['no-etc']);
    expect(out.rules.removed.map((x) => x.rule)).toEqual(['gone']);
    expect(out.rules.changed.map((c) => [c.rule, c.fields.map((f) => f.field)])).toEqual([['writes', ['tools']]]);
    expect(out.rules.identical).toBe(false);
    expect(out.decisions.total).toBe(4);
    expect(out.decisions.moved).toHaveLength(2);
  });

  const usage: Array<[string, string[], string]> = [
    ['one path', ['diff', 'old.yaml'], 'Give the old and the new policy'],
    ['three paths', ['diff', 'old.yaml', 'new.yaml', 'clean.yaml'], 'got 3 paths'],
    ['paths and --old', ['diff', 'old.yaml', '--old', 'old.yaml', '--new', 'new.yaml'], 'not both'],
    ['--old without --new', ['diff', '--old', 'old.yaml'], 'Give both --old'],
    ['a policy that does not load', ['diff', 'old.yaml', 'broken.yaml'], 'error[unknown_value]'],
    ['a bad line of requests', ['diff', 'old.yaml', 'new.yaml', '--requests', 'bad.jsonl'], 'bad.jsonl:2 is not valid JSON'],
    ['a line of requests that repeats a key', ['diff', 'old.yaml', 'new.yaml', '--requests', 'twice.jsonl'], 'twice.jsonl:2 is not valid JSON with unique keys (the key "tool" appears twice in one object'],
    ['a bad --now', ['diff', 'old.yaml', 'new.yaml', '--now', 'yesterday'], '--now "yesterday"'],
  ];
  it.each(usage)('exits 2 on %s', async (_label, args, message) => {
    const r = await warden(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
