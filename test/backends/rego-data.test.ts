/**
 * `kind: PolicyData` documents (src/policy/policy-data.ts): the data tree Rego documents read as
 * `data.<path>`. Load errors need no engine; the Rego cases need the opa binary `.ci/run` installs
 * (outside CI without it they skip with a message, as test/backends/rego.test.ts does).
 */
import { describe, expect, it } from 'vitest';
import { findOpa } from '../../bench/peers/opa-binary.js';
import { regoBackend } from '../../src/backends/rego.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { PolicyLoadError } from '../../src/policy/issues.js';

const opa = findOpa();
if (!opa.ok && process.env.CI) throw new Error(opa.reason);
if (!opa.ok) console.warn(`test/backends/rego-data.test.ts skips its Rego cases: ${opa.reason}`);
const rego = opa.ok ? await regoBackend({ env: { WARDEN_OPA: opa.path } }) : null;

const HOSTS_MODULE = `apiVersion: warden/v1
kind: RegoPolicy
name: hosts
module: |
  package hosts
  import rego.v1
  blocked if data.teams[input.args.team].blocked == true
  decision := {"effect": "allow", "rule": "listed-host"} if {
    input.args.host in data.acl.hosts
    not blocked
  }
  decision := {"effect": "deny", "rule": "blocked-team", "reason": "team is blocked"} if blocked
`;
const data = (name: string, value: string): string => `apiVersion: warden/v1\nkind: PolicyData\nname: ${name}\ndata: ${value}\n`;

function issueCodes(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof PolicyLoadError) return e.issues.filter((i) => i.severity === 'error').map((i) => i.code);
    throw e;
  }
  return [];
}

describe('PolicyData documents: load errors', () => {
  // [what, data sources, issue codes]
  const cases: Array<[string, string[], string[]]> = [
    ['one document', [data('acl.hosts', '[a.example]')], []],
    ['two documents at separate paths', [data('acl.hosts', '[a.example]'), data('acl.ports', '[443]')], []],
    ['a mapping value', [data('teams', '{finance: {blocked: false}}')], []],
    ['two documents at the same path', [data('acl.hosts', '[a.example]'), data('acl.hosts', '[b.example]')], ['data_conflict']],
    ['one document inside another one\'s value', [data('acl', '{hosts: [a.example]}'), data('acl.hosts', '[b.example]')], ['data_conflict']],
    ['a name that is not a dotted path of identifiers', [data('acl/hosts', '[a]')], ['bad_name']],
    ['a name starting with a digit', [data('1acl', '[a]')], ['bad_name']],
    ['a name with an empty part', [data('acl..hosts', '[a]')], ['bad_name']],
    ['no data member', ['apiVersion: warden/v1\nkind: PolicyData\nname: acl\n'], ['missing_field']],
    ['an unknown member', ['apiVersion: warden/v1\nkind: PolicyData\nname: acl\ndata: 1\nextra: 2\n'], ['unknown_key']],
    ['another apiVersion', ['apiVersion: warden/v2\nkind: PolicyData\nname: acl\ndata: 1\n'], ['unknown_api_version']],
    ['a YAML alias (data is read without expanding aliases)', ['apiVersion: warden/v1\nkind: PolicyData\nname: acl\ndata: {a: &x [1], b: *x}\n'], ['data_invalid']],
  ];
  it.each(cases)('%s -> %j', (_what, sources, codes) => {
    const all = [{ name: 'allow.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: base\nrules:\n  - name: r\n    tools: [x]\n    effect: allow\n' }, ...sources.map((text, i) => ({ name: `data-${i}.yaml`, text }))];
    expect(issueCodes(() => compilePolicy(all))).toEqual(codes);
  });

  it('puts the data into the set digest: the same policies with other data are another policy', () => {
    const base = { name: 'allow.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: base\nrules: []\n' };
    const a = compilePolicy([base, { name: 'd.yaml', text: data('acl.hosts', '[a.example]') }]);
    const b = compilePolicy([base, { name: 'd.yaml', text: data('acl.hosts', '[b.example]') }]);
    expect(a.digest).not.toBe(b.digest);
  });
});

describe.skipIf(rego === null)('PolicyData documents: read by Rego as data.<path>', () => {
  const set = () =>
    compilePolicy(
      [
        { name: 'hosts.yaml', text: HOSTS_MODULE },
        { name: 'acl.yaml', text: data('acl.hosts', '[a.example, b.example]') },
        { name: 'teams.json', text: JSON.stringify({ apiVersion: 'warden/v1', kind: 'PolicyData', name: 'teams', data: { ops: { blocked: true }, dev: { blocked: false } } }) },
      ],
      { backends: { rego: rego! } },
    );

  // [args, effect, rule]
  const cases: Array<[Record<string, unknown>, string, string | null]> = [
    [{ host: 'a.example' }, 'allow', 'listed-host'],
    [{ host: 'b.example' }, 'allow', 'listed-host'],
    [{ host: 'c.example' }, 'deny', null],
    [{ host: 'A.EXAMPLE' }, 'deny', null],
    [{ host: ['a.example'] }, 'deny', null],
    [{}, 'deny', null],
    [{ host: 'a.example', team: 'ops' }, 'deny', 'blocked-team'],
    [{ host: 'a.example', team: 'dev' }, 'allow', 'listed-host'],
    [{ host: 'a.example', team: 'nobody' }, 'allow', 'listed-host'],
  ];
  it.each(cases)('%j -> %s (%s)', (args, effect, rule) => {
    const d = set().decide({ tool: 'fetch', args });
    expect(d.effect).toBe(effect);
    expect(d.rule).toBe(rule);
  });

  it('a module reading data that no PolicyData document holds has no opinion (the default denies)', () => {
    const d = compilePolicy([{ name: 'hosts.yaml', text: HOSTS_MODULE }], { backends: { rego: rego! } }).decide({ tool: 'fetch', args: { host: 'a.example' } });
    expect(d.effect).toBe('deny');
    expect(d.rule).toBeNull();
  });
});
