/**
 * Verification results as policy facts: a user's policy reads `context.plugin` (verified,
 * publisher, permissions), and the permissions policy made from a signed manifest denies a tool
 * that reaches a host or a path the manifest did not declare, read through the URL and path
 * effects (THREATS.md classes 4 and 5), while the declared ones pass.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/policy/compile.js';
import { permissionPolicy, type PluginFacts } from '../../src/supply/facts.js';

const FACTS: PluginFacts = { verified: true, publisher: 'did:key:z6MkAcme', name: 'weather', version: '1.0.0', permissions: { tools: ['forecast', 'write_cache'], egress: ['api.weather.example'], paths: ['/workspace/cache'] } };

const USER = `apiVersion: warden/v1
kind: Policy
name: user
facets:
  - tools: [write_cache]
    path: { from: args.path, root: /workspace, access: write }
rules:
  - name: verified-publisher-only
    tools: ["*"]
    when: "!has(context.plugin) || context.plugin.verified != true || context.plugin.publisher != 'did:key:z6MkAcme'"
    effect: deny
  - name: allow
    tools: ["*"]
    effect: allow
`;

const set = compilePolicy([
  { name: 'permissions.yaml', text: permissionPolicy('weather', FACTS.permissions) },
  { name: 'user.yaml', text: USER },
]);
const decide = (tool: string, args: Record<string, unknown>, context: Record<string, unknown> = { plugin: FACTS }) =>
  set.decide({ tool, args, context, agent: { id: 'agent' } }, { now: new Date('2026-12-01T00:00:00Z') });

describe('context.plugin in a user policy', () => {
  it('allows a call from the verified publisher', () => {
    expect(decide('forecast', { city: 'Oslo' })).toMatchObject({ effect: 'allow', rule: 'allow' });
  });
  const NOT: Array<[string, Record<string, unknown>]> = [
    ['no plugin facts', {}],
    ['verified false', { plugin: { ...FACTS, verified: false } }],
    ['verified as the string "true"', { plugin: { ...FACTS, verified: 'true' } }],
    ['another publisher', { plugin: { ...FACTS, publisher: 'did:key:z6MkMallory' } }],
    ['plugin null', { plugin: null }],
  ];
  it.each(NOT)('denies with %s', (_name, context) => {
    expect(decide('forecast', { city: 'Oslo' }, context).effect).toBe('deny');
  });
});

const EGRESS: Array<[string, unknown, 'allow' | 'deny']> = [
  ['the declared host', { source: 'https://api.weather.example/v1' }, 'allow'],
  ['the declared host in upper case', { source: 'https://API.Weather.Example/v1' }, 'allow'],
  ['the declared host under another key, nested', { options: { links: ['https://api.weather.example/a'] } }, 'allow'],
  ['no URL at all', { city: 'Oslo' }, 'allow'],
  ['another host', { source: 'https://evil.example/collect' }, 'deny'],
  ['a suffix look-alike', { source: 'https://api.weather.example.evil.com/' }, 'deny'],
  ['a prefix look-alike', { source: 'https://evil-api.weather.example/' }, 'deny'],
  ['a subdomain not declared', { source: 'https://x.api.weather.example/' }, 'deny'],
  ['the declared host in the query of another', { source: 'https://evil.example/?ref=api.weather.example' }, 'deny'],
  ['userinfo before another host', { source: 'http://api.weather.example:80@127.0.0.1:6666/' }, 'deny'],
  ['the metadata address', { source: 'http://169.254.169.254/latest/meta-data/' }, 'deny'],
  ['a hidden key with another host', { city: 'Oslo', debug: { callback: 'https://evil.example/x' } }, 'deny'],
  ['an array mixing declared and undeclared hosts', { sources: ['https://api.weather.example/', 'https://evil.example/'] }, 'deny'],
];

describe('egress outside the declared hosts', () => {
  it.each(EGRESS)('%s: %s', (_name, args, effect) => {
    const d = decide('forecast', args as Record<string, unknown>);
    expect(d.effect).toBe(effect);
    if (effect === 'deny') expect(d.rule).toBe('plugin-undeclared-egress');
  });
});

const PATHS: Array<[string, string, 'allow' | 'deny']> = [
  ['inside the declared directory', '/workspace/cache/oslo.json', 'allow'],
  ['relative, inside', 'cache/bergen.json', 'allow'],
  ['a sibling with the same prefix', '/workspace/cache-evil/x', 'deny'],
  ['.. out of the declared directory', '/workspace/cache/../secrets.env', 'deny'],
  ['the parent', '/workspace', 'deny'],
  ['another absolute path', '/etc/passwd', 'deny'],
  ['a doubled slash', '//etc/passwd', 'deny'],
  ['a glob that could leave', '/workspace/cache/../*', 'deny'],
  ['a home path', '~/.ssh/authorized_keys', 'deny'],
];

describe('paths outside the declared directories', () => {
  it.each(PATHS)('%s (%s): %s', (_name, path, effect) => {
    const d = decide('write_cache', { path });
    expect(d.effect).toBe(effect);
    if (effect === 'deny') expect(d.rule).toBe('plugin-undeclared-path');
  });
});

describe('tools outside the declared ones', () => {
  it('denies a tool the manifest does not declare, whatever it is called with', () => {
    expect(decide('shell', { command: 'ls' })).toMatchObject({ effect: 'deny', rule: 'plugin-undeclared-tool' });
    expect(decide('Forecast', { city: 'Oslo' })).toMatchObject({ effect: 'deny', rule: 'plugin-undeclared-tool' });
  });

  it('grants nothing from empty permission lists', () => {
    const none = compilePolicy([{ name: 'p.yaml', text: permissionPolicy('none', { tools: [], egress: [], paths: [] }) }, { name: 'u.yaml', text: USER }]);
    expect(none.decide({ tool: 'forecast', args: {}, context: { plugin: FACTS }, agent: { id: 'a' } }, { now: new Date(0) }).rule).toBe('plugin-undeclared-tool');
  });
});

describe('the plugin variable (context.plugin as a top-level fact)', () => {
  const gate = compilePolicy([
    {
      name: 'gate.yaml',
      text: `apiVersion: warden/v1
kind: Policy
name: gate
rules:
  - name: verified-only
    when: "plugin.verified != true || plugin.publisher != 'did:key:z6MkAcme'"
    effect: deny
  - name: allow
    effect: allow
`,
    },
  ]);
  const decide = (context?: Record<string, unknown>): string => gate.decide({ tool: 'forecast', args: {}, agent: { id: 'a' }, ...(context ? { context } : {}) }).effect;
  it('allows a call whose server verified, from the accepted publisher', () => expect(decide({ plugin: FACTS })).toBe('allow'));
  it('denies when nothing verified (plugin is empty, so reading it fails and the deny applies)', () => expect(decide()).toBe('deny'));
  it('denies a verified plugin from another publisher', () => expect(decide({ plugin: { ...FACTS, publisher: 'did:key:z6MkOther' } })).toBe('deny'));
  it('denies when verified is not exactly true', () => expect(decide({ plugin: { ...FACTS, verified: 'true' } })).toBe('deny'));
  it('denies when plugin is not a map', () => expect(decide({ plugin: 'verified' })).toBe('deny'));
  it('takes nothing from the arguments: a plugin object in args does not verify', () => expect(gate.decide({ tool: 'forecast', args: { plugin: FACTS }, agent: { id: 'a' } }).effect).toBe('deny'));
});
