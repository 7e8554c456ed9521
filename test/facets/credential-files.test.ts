/**
 * isCredentialFile: the one list of credential files the shipped policies share, read the way the
 * path helpers read paths (case, `\`, trailing dots, streams, `..`, `//`, percent-encoding), with
 * example files and look-alike names left alone.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/policy/compile.js';
import { PathMatchers } from '../../src/facets/path-match.js';
import { isCredentialPath, mayBeCredentialFile } from '../../src/facets/credential-files.js';

const m = new PathMatchers();

describe('isCredentialFile(path)', () => {
  // [path, is a credential file]
  const CASES: Array<[path: string, credential: boolean]> = [
    // the list
    ['/home/a/.ssh/id_rsa', true],
    ['/home/a/.ssh/config', true],
    ['/home/a/.ssh', true],
    ['~/.ssh/authorized_keys', true],
    ['/repo/.env', true],
    ['/repo/config/.env.production', true],
    ['/home/a/.aws/credentials', true],
    ['/home/a/.netrc', true],
    ['C:\\Users\\a\\_netrc', true],
    ['/repo/.npmrc', true],
    ['/home/a/.pgpass', true],
    ['/home/a/.kube/config', true],
    ['/home/a/.config/gcloud/application_default_credentials.json', true],
    ['/home/a/.docker/config.json', true],
    ['/repo/deploy/server.pem', true],
    ['/repo/certs/tls.key', true],
    ['/repo/infra/terraform.tfstate', true],
    ['/home/a/.bash_history', true],
    ['/etc/shadow', true],
    ['/proc/self/environ', true],
    ['/var/run/secrets/kubernetes.io/serviceaccount/token', true],
    // spelled to slip past a literal match
    ['/REPO/.ENV', true],
    ['/home/a/.SSH/known_hosts', true],
    ['C:\\Users\\A\\.AWS\\credentials', true],
    ['/repo/.env.', true],
    ['/repo/.env ', true],
    ['/repo/.env::$DATA', true],
    ['/repo/src/../.env', true],
    ['/repo//.npmrc', true],
    ['/repo/./.pgpass', true],
    ['/repo/%2eenv', true],
    ['/repo/%252enpmrc', true],
    ['/repo/%2eenv.example', true],
    ['/repo/.env.example~1', true],
    ['/repo/ID_ED25519', true],
    // benign: look-alikes, examples, public keys, paths that only pass near a credential
    ['/repo/docs/ssh-guide.md', false],
    ['/repo/env.example', false],
    ['/repo/.env.example', false],
    ['/repo/.ENV.Sample', false],
    ['/repo/.env.template.local', false],
    ['/repo/src/environment.ts', false],
    ['/repo/src/credentials.ts', false],
    ['/repo/.docker/Dockerfile', false],
    ['/home/a/.ssh/../notes.txt', false],
    ['/repo/deploy/id_ed25519.pub', false],
    ['/etc/passwd', false],
    ['/repo/.github/workflows/ci.yml', false],
    ['/repo/.envrc.example', false],
    ['/repo/secrets.md', false],
    ['', false],
  ];

  it.each(CASES)('%j: %s', (path, credential) => {
    expect(isCredentialPath(m, path)).toBe(credential);
    expect(mayBeCredentialFile(m, { path, known: true, recursive: false })).toBe(path === '' ? false : credential);
  });
});

describe('isCredentialFile(effect)', () => {
  // [case, effect, may touch a credential file]
  const CASES: Array<[name: string, effect: Record<string, unknown>, credential: boolean]> = [
    ['grep -r over a project', { path: '/repo', known: true, recursive: true }, false],
    ['grep -r over a project\'s src', { path: '/repo/src', known: true, recursive: true }, false],
    ['grep -r over /home', { path: '/home', known: true, recursive: true }, true],
    ['grep -r over /', { path: '/', known: true, recursive: true }, true],
    ['grep -r over /etc', { path: '/etc', known: true, recursive: true }, true],
    ['grep -r over ~/.ssh', { path: '/home/a/.ssh', known: true, recursive: true }, true],
    ['cp -r of a .docker directory', { path: '/repo/.docker', known: true, recursive: true }, true],
    ['grep -r over /var/run', { path: '/var/run', known: true, recursive: true }, true],
    ['an unknown path that could be anywhere', { path: '$X', known: false, recursive: false, within: '' }, true],
    ['an unknown path under a directory (it may be .env)', { path: 'src/$X', known: false, recursive: false, within: '/repo/src' }, true],
    ['a glob that names only .ts files', { path: 'src/*.ts', known: false, recursive: false, within: '/repo/src', glob: '/repo/src/*.ts' }, false],
    ['a glob that may name .env', { path: '.e*', known: false, recursive: false, within: '/repo', glob: '/repo/.e*' }, true],
    ['a glob that may name a key', { path: 'keys/*', known: false, recursive: false, within: '/repo/keys', glob: '/repo/keys/*' }, true],
    ['a malformed effect', { path: 7 }, true],
  ];

  it.each(CASES)('%s', (_name, effect, credential) => {
    expect(mayBeCredentialFile(m, effect)).toBe(credential);
  });
});

describe('isCredentialFile in a policy', () => {
  const set = compilePolicy([
    {
      name: 'p.yaml',
      text: `apiVersion: warden/v1
kind: Policy
name: p
default: deny
facets:
  - tools: [read_file]
    path: { from: args.path, root: /repo, access: read }
rules:
  - name: by-name
    tools: [check]
    when: "isCredentialFile(args.path)"
    effect: deny
  - name: by-effect
    tools: [read_file]
    when: "effects.reads.exists(r, isCredentialFile(r))"
    effect: deny
  - name: rest
    tools: [check, read_file]
    effect: allow
`,
    },
  ]);

  it('loads without warnings', () => {
    expect(set.warnings).toEqual([]);
  });

  it.each([
    ['check', '/repo/.env', 'deny'],
    ['check', '/repo/.env.example', 'allow'],
    ['read_file', '/repo/.aws/credentials', 'deny'],
    ['read_file', '/repo/src/%2eenv', 'deny'],
    ['read_file', '/repo/docs/ssh-guide.md', 'allow'],
  ])('%s %s: %s', (tool, path, effect) => {
    expect(set.decide({ tool, args: { path } }).effect).toBe(effect);
  });

  it('is a type error on a number', () => {
    expect(() => compilePolicy([{ name: 'q.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: q\ndefault: deny\nrules:\n  - name: r\n    when: "isCredentialFile(1)"\n    effect: deny\n' }])).toThrow();
  });
});
