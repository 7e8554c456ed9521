/** warden.mcp.yaml is read strictly: every way to get it wrong is an error naming where. */
import { describe, expect, it } from 'vitest';
import { parseMcpConfig } from '../../../src/integrations/mcp/config-file.js';
import { checkServerName, namespacedName, splitNamespaced } from '../../../src/integrations/mcp/namespace.js';

const PATH = '/srv/gw/warden.mcp.yaml';
const head = 'apiVersion: warden/v1\nkind: McpGateway\n';

describe('parseMcpConfig', () => {
  it('reads two servers, resolves paths against the file, and keeps the gateway-wide policy apart', () => {
    const config = parseMcpConfig(
      `${head}policy: [common.yaml]
audit: logs
agentId: ide
listen: 127.0.0.1:8931
hideDenied: true
approvalTimeout: 60
servers:
  fs:
    command: npx
    args: [-y, "@modelcontextprotocol/server-filesystem", /workspace]
    cwd: work
    policy: [policies/fs.yaml]
    redactResults: true
  tickets:
    url: https://tickets.example/mcp
    headers: { Authorization: "Bearer \${TICKETS_TOKEN}" }
    policy: [/etc/warden/tickets.yaml]
    onNew: pin
`,
      PATH,
      { TICKETS_TOKEN: 't0k' },
    );
    expect(config).toEqual({
      path: PATH,
      policy: ['/srv/gw/common.yaml'],
      audit: '/srv/gw/logs',
      agentId: 'ide',
      listen: '127.0.0.1:8931',
      allowRemote: false,
      hideDenied: true,
      approvalTimeoutMs: 60_000,
      lock: '/srv/gw/warden-mcp.lock.json',
      servers: [
        { name: 'fs', upstream: { transport: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/workspace'], cwd: '/srv/gw/work' }, policy: ['/srv/gw/policies/fs.yaml'], redactResults: true },
        { name: 'tickets', upstream: { transport: 'streamable-http', url: 'https://tickets.example/mcp', headers: { Authorization: 'Bearer t0k' } }, policy: ['/etc/warden/tickets.yaml'], onNew: 'pin' },
      ],
    });
  });

  it('lets a server rely on the gateway-wide policy alone', () => {
    expect(parseMcpConfig(`${head}policy: [all.yaml]\nservers:\n  fs: { command: node }\n`, PATH).servers[0]?.policy).toEqual([]);
  });

  it('merges a server env over the gateway environment', () => {
    const config = parseMcpConfig(`${head}servers:\n  fs: { command: node, env: { MODE: "\${M}-x" }, policy: [p.yaml] }\n`, PATH, { M: 'ro', HOME: '/home/me' });
    expect(config.servers[0]?.upstream).toMatchObject({ env: { HOME: '/home/me', M: 'ro', MODE: 'ro-x' } });
  });

  it('reads auth settings', () => {
    const config = parseMcpConfig(`${head}listen: 0.0.0.0:8931\nauth:\n  issuer: https://idp.example\n  audience: https://gw.example/mcp\n  algorithms: [ES256]\n  jwksUrl: https://idp.example/jwks.json\n  requiredScopes: [mcp]\nservers:\n  fs: { command: node, policy: [p.yaml] }\n`, PATH);
    expect(config.auth).toEqual({ issuer: ['https://idp.example'], audience: ['https://gw.example/mcp'], algorithms: ['ES256'], jwksUrl: 'https://idp.example/jwks.json', requiredScopes: ['mcp'] });
  });

  const bad: Array<[string, string, string]> = [
    ['not YAML', 'servers: [', 'not valid YAML'],
    ['a repeated key', `${head}servers:\n  fs: { command: node, policy: [p.yaml] }\n  fs: { command: node, policy: [q.yaml] }\n`, 'not valid YAML'],
    ['a YAML alias (no alias expansion)', `${head}x: &a [p.yaml]\nservers:\n  fs: { command: node, policy: *a }\n`, 'not valid YAML'],
    ['another apiVersion', 'apiVersion: warden/v2\nkind: McpGateway\nservers: {}\n', 'apiVersion: must be warden/v1'],
    ['another kind', 'apiVersion: warden/v1\nkind: Policy\nservers: {}\n', 'kind: must be McpGateway'],
    ['an unknown top-level key', `${head}serverz: {}\n`, 'unknown key "serverz"'],
    ['no servers', `${head}servers: {}\n`, 'servers: name at least one server.'],
    ['servers as a list', `${head}servers: [fs]\n`, 'servers: must be a mapping, not a list.'],
    ['an unknown server key', `${head}servers:\n  fs: { command: node, policy: [p.yaml], sandbox: true }\n`, 'servers.fs: unknown key "sandbox"'],
    ['both command and url', `${head}servers:\n  fs: { command: node, url: "http://x/mcp", policy: [p.yaml] }\n`, 'give either command'],
    ['neither command nor url', `${head}servers:\n  fs: { policy: [p.yaml] }\n`, 'give either command'],
    ['a url that is not http', `${head}servers:\n  fs: { url: "file:///etc/passwd", policy: [p.yaml] }\n`, 'must be http: or https:'],
    ['a url that does not parse', `${head}servers:\n  fs: { url: "not a url", policy: [p.yaml] }\n`, 'is not a URL'],
    ['headers on a command server', `${head}servers:\n  fs: { command: node, headers: { a: b }, policy: [p.yaml] }\n`, 'headers are for url servers'],
    ['args on a url server', `${head}servers:\n  fs: { url: "http://x/mcp", args: [a], policy: [p.yaml] }\n`, 'args is for command servers'],
    ['a server with no policy at all', `${head}servers:\n  fs: { command: node }\n`, 'servers.fs: has no policy'],
    ['an empty policy list', `${head}servers:\n  fs: { command: node, policy: [] }\n`, 'servers.fs: has no policy'],
    ['a policy that is not a list', `${head}servers:\n  fs: { command: node, policy: p.yaml }\n`, 'must be a list of strings'],
    ['a name with an underscore', `${head}servers:\n  my_fs: { command: node, policy: [p.yaml] }\n`, 'Server name "my_fs" is not allowed'],
    ['a name with a dot', `${head}servers:\n  my.fs: { command: node, policy: [p.yaml] }\n`, 'Server name "my.fs" is not allowed'],
    ['a name over 32 characters', `${head}servers:\n  ${'a'.repeat(33)}: { command: node, policy: [p.yaml] }\n`, 'is not allowed'],
    ['two names differing in case', `${head}servers:\n  fs: { command: node, policy: [p.yaml] }\n  FS: { command: node, policy: [p.yaml] }\n`, 'two servers have this name'],
    ['an unset environment variable', `${head}servers:\n  t: { url: "http://x/mcp", headers: { A: "\${NOPE}" }, policy: [p.yaml] }\n`, 'the environment variable NOPE is not set'],
    ['hideDenied as a string', `${head}hideDenied: "yes"\nservers:\n  fs: { command: node, policy: [p.yaml] }\n`, 'hideDenied: must be true or false'],
    ['an unknown onChange mode', `${head}servers:\n  fs: { command: node, policy: [p.yaml], onChange: ignore }\n`, 'onChange: must be block or warn'],
    ['a negative approvalTimeout', `${head}approvalTimeout: -1\nservers:\n  fs: { command: node, policy: [p.yaml] }\n`, 'approvalTimeout: must be a number of seconds'],
    ['auth without an audience', `${head}auth: { issuer: https://i, algorithms: [EdDSA], jwksUrl: https://i/j }\nservers:\n  fs: { command: node, policy: [p.yaml] }\n`, 'auth.audience: is required'],
    ['auth without an issuer', `${head}auth: { audience: https://a, algorithms: [EdDSA], jwksUrl: https://i/j }\nservers:\n  fs: { command: node, policy: [p.yaml] }\n`, 'auth.issuer: is required'],
    ['auth without algorithms', `${head}auth: { issuer: https://i, audience: https://a, jwksUrl: https://i/j }\nservers:\n  fs: { command: node, policy: [p.yaml] }\n`, 'auth.algorithms: is required'],
    ['auth with two key sources', `${head}auth: { issuer: https://i, audience: https://a, algorithms: [EdDSA], jwksUrl: https://i/j, keyFile: k.json }\nservers:\n  fs: { command: node, policy: [p.yaml] }\n`, 'exactly one of jwksUrl, jwksFile and keyFile'],
    ['auth with no key source', `${head}auth: { issuer: https://i, audience: https://a, algorithms: [EdDSA] }\nservers:\n  fs: { command: node, policy: [p.yaml] }\n`, 'exactly one of jwksUrl, jwksFile and keyFile'],
    ['a JWKS over plain http', `${head}auth: { issuer: https://i, audience: https://a, algorithms: [EdDSA], jwksUrl: "http://i/j" }\nservers:\n  fs: { command: node, policy: [p.yaml] }\n`, 'must be an https URL'],
    ['an unknown auth key', `${head}auth: { issuer: https://i, audience: https://a, algorithms: [EdDSA], jwksUrl: https://i/j, anonymous: true }\nservers:\n  fs: { command: node, policy: [p.yaml] }\n`, 'unknown key "anonymous"'],
    ['a prototype key as a server name', `${head}servers:\n  __proto__: { command: node, policy: [p.yaml] }\n`, 'is not allowed'],
  ];
  it.each(bad)('refuses %s', (_label, text, message) => {
    expect(() => parseMcpConfig(text, PATH, {})).toThrow(expect.objectContaining({ code: 'ERR_MCP_CONFIG', message: expect.stringContaining(message) }));
  });
});

describe('namespaced names', () => {
  const splits: Array<[string, { server: string; tool: string } | null]> = [
    ['github__search_issues', { server: 'github', tool: 'search_issues' }],
    ['fs__a__b', { server: 'fs', tool: 'a__b' }],
    ['my-fs__read_file', { server: 'my-fs', tool: 'read_file' }],
    ['search', null],
    ['__search', null],
    ['fs__', null],
    ['my_fs__read', null],
    ['fs.x__read', null],
    ['-fs__read', null],
    ['fs\u200b__read', null],
    ['ｆｓ__read', null],
  ];
  it.each(splits)('splits %s', (name, expected) => {
    expect(splitNamespaced(name)).toEqual(expected);
  });

  it('puts the server first', () => {
    expect(namespacedName('github', 'search_issues')).toBe('github__search_issues');
  });

  const names: Array<[unknown, boolean]> = [
    ['github', true],
    ['my-fs', true],
    ['a', true],
    ['A1', true],
    ['a'.repeat(32), true],
    ['a'.repeat(33), false],
    ['', false],
    ['my_fs', false],
    ['-fs', false],
    ['fs/x', false],
    ['fs x', false],
    [42, false],
  ];
  it.each(names)('server name %j is allowed: %s', (name, ok) => {
    if (ok) expect(() => checkServerName(name)).not.toThrow();
    else expect(() => checkServerName(name)).toThrow(expect.objectContaining({ code: 'ERR_MCP_CONFIG' }));
  });
});
