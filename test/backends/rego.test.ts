/**
 * Rego documents in a Warden policy set (src/backends/rego.ts): compiled once by a real
 * `opa build -t wasm`, evaluated by opa-wasm; the result contract, fail-closed evaluation, load
 * errors, the authenticated wasm cache, and .cedar/.rego files read by loadPolicyFiles().
 * Needs the opa binary `.ci/run` installs; outside CI without it these tests skip with a message.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findOpa } from '../../bench/peers/opa-binary.js';
import { regoBackend } from '../../src/backends/rego.js';
import type { Effect } from '../../src/decision.js';
import { CompiledPolicyCache } from '../../src/enforce/compiled-cache.js';
import { loadPolicyFiles } from '../../src/enforce/load-files.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { PolicyLoadError } from '../../src/policy/issues.js';

const opa = findOpa();
if (!opa.ok && process.env.CI) throw new Error(opa.reason);
if (!opa.ok) console.warn(`test/backends/rego.test.ts skips: ${opa.reason}`);
const env = opa.ok ? { WARDEN_OPA: opa.path } : {};
// loadPolicyFiles() finds opa as a user's process does: through WARDEN_OPA (or PATH).
if (opa.ok) process.env.WARDEN_OPA = opa.path;
const rego = opa.ok ? await regoBackend({ env }) : null;

const MODULE = `apiVersion: warden/v1
kind: RegoPolicy
name: guards
module: |
  package warden.guards
  import rego.v1

  decision := {"effect": "deny", "rule": "no-prod", "reason": "Nobody writes to prod from an agent."} if {
    input.tool == "write_file"
    startswith(input.args.path, "/prod/")
  }

  decision := {"effect": "require_approval", "rule": "big-payments", "approvers": ["finance"]} if {
    input.tool == "pay"
    input.args.amount > 1000
  }

  decision := {"effect": "allow", "rule": "reads"} if input.tool == "read_file"

  decision := {"effect": "allow", "rule": "admins"} if {
    input.tool == "deploy"
    "admin" in input.agent.roles
  }

  decision := {"effect": "deny", "rule": "frozen"} if {
    input.tool == "deploy"
    input.context.frozen == true
  }

  decision := {"effect": "deny", "rule": "too-late"} if {
    input.tool == "clock"
    input.now >= "2026-06-01T00:00:00"
  }
`;

describe.skipIf(!opa.ok)('Rego documents decide', () => {
  const set = rego ? compilePolicy([{ name: 'guards.yaml', text: MODULE }], { backends: { rego } }) : null;
  const rows: Array<{ name: string; request: unknown; effect: Effect; rule: string | null; now?: Date; benign?: boolean }> = [
    { name: 'a read', request: { tool: 'read_file', args: { path: '/etc/hosts' } }, effect: 'allow', rule: 'reads', benign: true },
    { name: 'an admin deploys', request: { tool: 'deploy', args: {}, agent: { id: 'ops', roles: ['admin'] } }, effect: 'allow', rule: 'admins', benign: true },
    { name: 'the decision time reaches input.now', request: { tool: 'clock', args: {} }, now: new Date('2026-07-01T00:00:00Z'), effect: 'deny', rule: 'too-late' },
    { name: 'no decision time: input.now is absent and the rule does not apply', request: { tool: 'clock', args: {} }, effect: 'deny', rule: null },
    { name: 'a small payment has no opinion, so the default denies', request: { tool: 'pay', args: { amount: 5 } }, effect: 'deny', rule: null },
    { name: 'a prod write', request: { tool: 'write_file', args: { path: '/prod/db' } }, effect: 'deny', rule: 'no-prod' },
    { name: 'a big payment', request: { tool: 'pay', args: { amount: 5000 } }, effect: 'require_approval', rule: 'big-payments' },
    { name: 'a non-admin deploys', request: { tool: 'deploy', args: {}, agent: { id: 'dev', roles: ['dev'] } }, effect: 'deny', rule: null },
    // Two rules of one complete definition disagree: opa-wasm reports a conflict; the call is denied.
    { name: 'an admin deploys while frozen (conflicting values)', request: { tool: 'deploy', args: {}, agent: { id: 'ops', roles: ['admin'] }, context: { frozen: true } }, effect: 'deny', rule: null },
    { name: 'a prod path that is not a string', request: { tool: 'write_file', args: { path: 7 } }, effect: 'deny', rule: null },
  ];
  for (const row of rows) {
    it(`${row.name}: ${row.effect}`, () => {
      const d = (set as NonNullable<typeof set>).decide(row.request, row.now ? { now: row.now } : {});
      expect({ effect: d.effect, rule: d.rule }).toEqual({ effect: row.effect, rule: row.rule });
    });
  }

  it('carries the reason and approvers the module gives', () => {
    const s = set as NonNullable<typeof set>;
    expect(s.decide({ tool: 'write_file', args: { path: '/prod/x' } }).reason).toBe('Nobody writes to prod from an agent.');
    expect(s.decide({ tool: 'pay', args: { amount: 2000 } }).approvers).toEqual(['finance']);
  });

  it('denies, naming the error, when evaluation fails (a conflict)', () => {
    const d = (set as NonNullable<typeof set>).decide({ tool: 'deploy', args: {}, agent: { id: 'ops', roles: ['admin'] }, context: { frozen: true } });
    expect(d.errors).toEqual([expect.objectContaining({ code: 'policy_error', policy: 'guards', message: expect.stringContaining('conflict') })]);
  });
});

describe.skipIf(!opa.ok)('Rego results outside the contract deny', () => {
  const results: Array<[string, string]> = [
    ['a string', '"allow"'],
    ['an unknown effect', '{"effect": "permit"}'],
    ['an unknown key', '{"effect": "allow", "why": "x"}'],
    ['approvers on an allow', '{"effect": "allow", "approvers": ["a"]}'],
    ['a rule that is not a string', '{"effect": "allow", "rule": 1}'],
    ['null', 'null'],
    ['a list', '["allow"]'],
  ];
  for (const [name, value] of results) {
    it(`${name} is a deny with the reason`, () => {
      const text = `apiVersion: warden/v1\nkind: RegoPolicy\nname: r\ndefault: allow\nmodule: |\n  package t\n  import rego.v1\n  decision := ${value}\n`;
      const d = compilePolicy([{ name: 'r.yaml', text }], { backends: { rego: rego as NonNullable<typeof rego> } }).decide({ tool: 'x', args: {} });
      expect(d.effect).toBe('deny');
      expect(d.errors[0]?.code).toBe('policy_error');
    });
  }

  it('an undefined decision is no opinion (the default applies)', () => {
    const text = `apiVersion: warden/v1\nkind: RegoPolicy\nname: r\ndefault: allow\nmodule: |\n  package t\n  import rego.v1\n  decision := {"effect": "deny"} if input.tool == "never"\n`;
    expect(compilePolicy([{ name: 'r.yaml', text }], { backends: { rego: rego as NonNullable<typeof rego> } }).decide({ tool: 'x', args: {} }).effect).toBe('allow');
  });

  it('queries the rule the document names', () => {
    const text = `apiVersion: warden/v1\nkind: RegoPolicy\nname: r\nquery: data.t.verdict\nmodule: |\n  package t\n  import rego.v1\n  verdict := {"effect": "allow", "rule": "v"}\n`;
    expect(compilePolicy([{ name: 'r.yaml', text }], { backends: { rego: rego as NonNullable<typeof rego> } }).decide({ tool: 'x', args: {} }).rule).toBe('v');
  });
});

describe.skipIf(!opa.ok)('Rego documents that do not load', () => {
  const issueOf = (text: string): { code: string; message: string } => {
    try {
      compilePolicy([{ name: 'r.yaml', text }], { backends: { rego: rego as NonNullable<typeof rego> } });
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyLoadError);
      return (e as PolicyLoadError).issues[0] as { code: string; message: string };
    }
    throw new Error('expected the load to fail');
  };
  const doc = (module: string, extra = '') => `apiVersion: warden/v1\nkind: RegoPolicy\nname: r\n${extra}module: |\n${module.split('\n').map((l) => `  ${l}`).join('\n')}\n`;

  it('a syntax error, with opa saying where', () => {
    const issue = issueOf(doc('package t\nimport rego.v1\ndecision := {'));
    expect(issue.code).toBe('backend_error');
    expect(issue.message).toContain('opa could not compile');
  });
  it('a module without the queried rule', () => {
    expect(issueOf(doc('package t\nimport rego.v1\nother := 1')).code).toBe('backend_error');
  });
  it('a module using a builtin the in-process runtime lacks, named at load rather than failing every call', () => {
    const issue = issueOf(doc('package t\nimport rego.v1\ndecision := {"effect": "deny"} if time.clock(time.parse_rfc3339_ns(input.now))[0] < 6'));
    expect(issue.code).toBe('backend_error');
    expect(issue.message).toContain('time.parse_rfc3339_ns');
  });
  it('a module without a package line', () => {
    expect(issueOf(doc('import rego.v1\ndecision := 1')).message).toContain('no package line');
  });
  it('a query that is not a rule path', () => {
    expect(issueOf(doc('package t\ndecision := 1', 'query: "t.decision; true"\n')).code).toBe('bad_query');
  });
  it('without the engine', () => {
    try {
      compilePolicy([{ name: 'r.yaml', text: doc('package t\ndecision := 1') }]);
      throw new Error('expected the load to fail');
    } catch (e) {
      expect((e as PolicyLoadError).issues[0]).toMatchObject({ code: 'backend_missing' });
    }
  });
  it('without an opa binary, saying how to get one', async () => {
    await expect(regoBackend({ env: { PATH: '/nonexistent' } })).rejects.toMatchObject({ code: 'ERR_MISSING_DEPENDENCY', message: expect.stringContaining('WARDEN_OPA') });
  });
});

describe.skipIf(!opa.ok)('policy files in Cedar and Rego beside YAML', () => {
  it('loadPolicyFiles reads .cedar and .rego files as documents named after the file, and attaches the engines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-backends-'));
    writeFileSync(join(dir, 'base.yaml'), 'apiVersion: warden/v1\nkind: Policy\nname: base\nrules:\n  - { name: reads, tools: [read_file], effect: allow }\n  - { name: writes, tools: [write_file], effect: allow }\n');
    writeFileSync(join(dir, 'guards.cedar'), 'forbid (principal, action == Action::"write_file", resource) when { context.args.path like "/prod/*" };\n');
    writeFileSync(join(dir, 'money.rego'), 'package money\nimport rego.v1\ndecision := {"effect": "deny", "rule": "no-pay"} if {\n  input.tool == "write_file"\n  input.args.path == "/ledger"\n}\n');
    writeFileSync(join(dir, 'money_test.rego'), 'package money\nthis is not loaded\n');
    const set = await loadPolicyFiles([dir]);
    expect(set.policies.map((p) => [p.name, p.language ?? 'yaml'])).toEqual([
      ['base', 'yaml'],
      ['guards', 'cedar'],
      ['money', 'rego'],
    ]);
    expect(set.decide({ tool: 'write_file', args: { path: '/prod/x' } })).toMatchObject({ effect: 'deny', policy: 'guards' });
    expect(set.decide({ tool: 'write_file', args: { path: '/ledger' } })).toMatchObject({ effect: 'deny', policy: 'money', rule: 'no-pay' });
    expect(set.decide({ tool: 'write_file', args: { path: '/tmp/x' } })).toMatchObject({ effect: 'allow', policy: 'base' });
  });

  it('a compiled-policy cache never serves a set without its Cedar or Rego documents, and keeps the compiled wasm authenticated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-backends-cache-'));
    const cacheDir = join(dir, 'cache');
    mkdirSync(join(dir, 'p'));
    writeFileSync(join(dir, 'p', 'base.yaml'), 'apiVersion: warden/v1\nkind: Policy\nname: base\nrules:\n  - { name: writes, tools: [write_file], effect: allow }\n');
    writeFileSync(join(dir, 'p', 'guards.rego'), 'package guards\nimport rego.v1\ndecision := {"effect": "deny", "rule": "no-etc"} if startswith(input.args.path, "/etc/")\n');
    for (let round = 0; round < 2; round++) {
      const cache = CompiledPolicyCache.open(cacheDir);
      const set = await loadPolicyFiles([join(dir, 'p')], { cache });
      expect(set.decide({ tool: 'write_file', args: { path: '/etc/passwd' } })).toMatchObject({ effect: 'deny', policy: 'guards' });
    }
    const blobs = readdirSync(cacheDir).filter((n) => n.endsWith('.blob'));
    expect(blobs).toHaveLength(1);
    // A tampered module is not used: the next load compiles again and still denies.
    writeFileSync(join(cacheDir, blobs[0] as string), Buffer.alloc(64, 1));
    const set = await loadPolicyFiles([join(dir, 'p')], { cache: CompiledPolicyCache.open(cacheDir) });
    expect(set.decide({ tool: 'write_file', args: { path: '/etc/passwd' } })).toMatchObject({ effect: 'deny', policy: 'guards' });
  });
});
