/**
 * Globs as patterns: an unknown path that only a glob leaves unknown keeps the absolute pattern it
 * expands from, so `pathMayMatch` and `isPrivateKey` can tell `src/*.ts` from `.env` (the shell's
 * rule: a wildcard that starts a name never matches a leading dot), while anything that could
 * change how the glob expands (braces, variables, glob options on the line) keeps only the
 * directory. Also: the names a recursive search picks (`grep --include`, `rg -g`), glob-valued
 * option words, `globEscape`, and the k8s identity flags.
 */
import { describe, expect, it } from 'vitest';
import { shellEffects } from '../../src/facets/shell.js';
import { mayBePrivateKey, PathMatchers } from '../../src/facets/path-match.js';
import { escapeGlob } from '../../src/facets/path-glob.js';
import { k8sFacet } from '../../src/facets/k8s.js';
import { k8sEffects } from '../../src/facets/k8s-effects.js';
import { compilePolicy } from '../../src/policy/compile.js';
import type { Effects } from '../../src/facets/effects-types.js';

const m = new PathMatchers();
const FOLD = { fold: true, decode: true };

function fx(command: string): Effects {
  const r = shellEffects(command, { cwd: '/w', home: '/h' });
  if ('error' in r) throw new Error(r.error);
  return r.effects;
}

describe('an unknown path keeps its glob', () => {
  it.each([
    ['cat src/*.ts', '/w/src/*.ts'],
    ['cat ~/.ss*/id_r*', '/h/.ss*/id_r*'],
    ['cat .en?', '/w/.en?'],
    ['cat /etc/*.conf', '/etc/*.conf'],
    ['cat a[b]/x*', '/w/a[b]/x*'],
    ["cat 'we ird'/*", '/w/we ird/*'],
  ])('%s reads %s', (command, glob) => {
    expect(fx(command).reads[0]).toMatchObject({ known: false, glob });
  });

  it.each([
    ['a brace expansion (it can produce a leading dot)', 'rm -rf {.warden,x}'],
    ['a brace inside a name', 'cat .{e,}nv'],
    ['a variable', 'cat $D/*.ts'],
    ['dotglob set on the line', 'shopt -s dotglob; cat src/*'],
    ['GLOBIGNORE set on the line', 'GLOBIGNORE=x; cat src/*'],
    ['options given to a shell', "bash -O dotglob -c 'cat src/*'"],
    ['a glob that may expand to ..', 'cat .*/x'],
  ])('no glob for %s', (_what, command) => {
    const e = fx(command);
    const paths = [...e.reads, ...e.deletes];
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) expect(p.glob).toBeUndefined();
  });
});

describe('pathMayMatch and isPrivateKey read the glob', () => {
  const read = (command: string): unknown => fx(command).reads.find((r) => !r.known);

  it.each([
    ['cat src/*.ts', '**/.env', false],
    ['cat src/*', '**/.env', false],
    ['cat src/*.ts', '/w/.warden/**', false],
    ['cat .en?', '**/.env', true],
    ['cat .ENV*', '**/.env', true],
    ['cat ~/.ss*/id_r*', '**/.ssh/**', true],
    ['cat ~/.a[w]s/credentials', '**/.aws/**', true],
    ['cat src/*/.env', '**/.env', true],
    ['cat */x', '/w/.warden/x', false],
  ])('%s may match %s: %s', (command, pattern, want) => {
    expect(m.pathMayMatch(read(command), pattern, FOLD)).toBe(want);
  });

  it('a recursive glob may match below what it names', () => {
    const d = fx('rm -rf .war*').deletes[0];
    expect(m.pathMayMatch(d, '/w/.warden/policy.yaml', FOLD)).toBe(true);
    expect(m.pathMayMatch(fx('rm -rf src/*').deletes[0], '/w/.warden/**', FOLD)).toBe(false);
  });

  it.each([
    ['cat src/*.ts', false],
    ['cat src/*.md', false],
    ['cat keys/*', true],
    ['cat keys/*.pem', true],
    ['cat keys/id_*', true],
    ['cat keys/*_rsa', true],
    ['cat ~/.ssh/*', true],
  ])('isPrivateKey of %s: %s', (command, want) => {
    expect(mayBePrivateKey(read(command))).toBe(want);
  });

  it('an effect whose glob lies outside its within is read as its within', () => {
    // invariant: a glob is trusted only below within (a malformed effect reads as anywhere).
    expect(m.pathMayMatch({ path: 'x', known: false, within: '/w/src', glob: '/w/.warden/x' }, '/w/.warden/**')).toBe(false);
    expect(m.pathMayMatch({ path: 'x', known: false, within: '/w', glob: '/elsewhere/*.ts' }, '/w/.warden/**')).toBe(true);
  });
});

describe('the names a recursive search picks', () => {
  it.each([
    ['grep -r token --include=.npmrc .', '**/.npmrc', true],
    ["grep -r token --include='*npmrc' .", '**/.npmrc', true],
    ['grep -r token --include=*npmrc .', '**/.npmrc', true],
    ['rg -g .env SECRET', '**/.env', true],
    ['rg --iglob .ENV SECRET', '**/.env', true],
    ["grep -rn TODO --include='*.md' docs", '**/.npmrc', false],
    ["grep -rn TODO --include='*.md' docs", '**/.env', false],
  ])('%s may read %s: %s', (command, pattern, want) => {
    const named = fx(command).reads.filter((r) => !r.known);
    expect(named.some((r) => m.pathMayMatch(r, pattern, FOLD))).toBe(want);
  });

  it('an excluding glob names nothing', () => {
    expect(fx('rg -g "!node_modules" foo').reads.filter((r) => !r.known)).toEqual([]);
  });

  it('a glob-valued long option is the option, not a file operand', () => {
    const e = fx('grep -rn TODO --include=*.ts src');
    // `**` then the name with no `/` between: the program's own matching lets `*` match a leading dot.
    expect(e.reads.map((r) => r.path)).toEqual(['/w/src', 'src/***.ts']);
  });
});

describe('globEscape', () => {
  it('escapes every glob metacharacter so a literal directory can lead a pattern', () => {
    expect(escapeGlob('/w/a[1]*?{x}\\')).toBe('/w/a\\[1\\]\\*\\?\\{x\\}\\\\');
    expect(m.pathMatches('/w/a[1]/.warden/p', `${escapeGlob('/w/a[1]')}/.warden/**`)).toBe(true);
    expect(m.pathMatches('/w/a1/.warden/p', `${escapeGlob('/w/a[1]')}/.warden/**`)).toBe(false);
  });

  it('is a CEL function', () => {
    const set = compilePolicy([{ name: 'p.yaml', text: 'apiVersion: warden/v1\nkind: Policy\nname: p\nrules:\n  - name: r\n    when: "pathMatches(args.p, globEscape(args.d) + \'/**\')"\n    effect: allow\n' }]);
    expect(set.decide({ tool: 't', args: { p: '/w/a[1]/x', d: '/w/a[1]' } }).effect).toBe('allow');
    expect(set.decide({ tool: 't', args: { p: '/w/a1/x', d: '/w/a[1]' } }).effect).toBe('deny');
  });
});

describe('k8s local files and TLS trust', () => {
  it.each([
    ['kubectl get pods --profile=cpu --profile-output=/home/u/.bashrc', [{ path: '/home/u/.bashrc', access: 'write', flag: '--profile-output' }]],
    ['kubectl get pods --profile=heap', [{ path: 'profile.pprof', access: 'write', flag: '--profile-output' }]],
    ['kubectl get pods --profile=none --profile-output=/x', []],
    ['kubectl get pods --cache-dir=/tmp/c', [{ path: '/tmp/c', access: 'write', flag: '--cache-dir' }]],
    ['kubectl get pods -o go-template-file=/etc/passwd', [{ path: '/etc/passwd', access: 'read', flag: '-o go-template-file' }]],
    ['kubectl get pods -o custom-columns-file=/root/cols', [{ path: '/root/cols', access: 'read', flag: '-o custom-columns-file' }]],
    ['kubectl get pods -o custom-columns=NAME:.metadata.name', []],
    ['kubectl get pods -o jsonpath-file --template /etc/shadow', [{ path: '/etc/shadow', access: 'read', flag: '-o jsonpath-file' }]],
    ['kubectl get pods --certificate-authority=/tmp/ca', [{ path: '/tmp/ca', access: 'read', flag: '--certificate-authority' }]],
    ["kubectl get pods -o go-template='{{.metadata.name}}'", []],
    ['kubectl get pods -n app', []],
  ])('%s: kubectl files %j', (line, files) => {
    expect(k8sFacet(line).files).toEqual(files);
  });

  it('reports the files as effects: reads and writes, known when absolute', () => {
    const e = k8sEffects(k8sFacet('kubectl get pods --profile=cpu --profile-output=/home/u/.bashrc -o go-template-file=t.tmpl'));
    expect(e.writes).toEqual([{ path: '/home/u/.bashrc', via: 'kubectl --profile-output', known: true, recursive: false }]);
    expect(e.reads).toEqual([{ path: 't.tmpl', via: 'kubectl -o go-template-file', known: false }]);
  });

  it.each([
    ['kubectl get pods --insecure-skip-tls-verify', ['insecure-skip-tls-verify']],
    ['kubectl get pods --insecure-skip-tls-verify=false', []],
    ['kubectl get pods --tls-server-name=evil --certificate-authority=/ca', ['certificate-authority', 'tls-server-name']],
    ['kubectl get pods', []],
  ])('%s: trust flags %j', (line, trust) => {
    expect(k8sFacet(line).trust).toEqual(trust);
  });
});

describe('k8s identity flags', () => {
  it('--kubeconfig is a hidden exec effect (credential plugins) and a read of the file', () => {
    const e = k8sEffects(k8sFacet('kubectl get pods -n app --kubeconfig=/tmp/k'));
    expect(e.exec[0]).toMatchObject({ kind: 'hidden', known: false, via: 'kubectl --kubeconfig' });
    expect(e.reads[0]).toMatchObject({ path: '/tmp/k', known: true });
  });

  it('--as and --as-group are privilege (impersonate); --token and the other credential flags too', () => {
    expect(k8sEffects(k8sFacet('kubectl get pods --as=admin')).privilege.map((p) => p.kind)).toEqual(['impersonate']);
    expect(k8sEffects(k8sFacet('kubectl get pods --as-group=system:masters')).privilege.map((p) => p.kind)).toEqual(['impersonate']);
    const f = k8sFacet('kubectl get pods --token=abc --client-key=/k');
    expect(f.credentials).toEqual(['token', 'client-key']);
    expect(k8sEffects(f).privilege.map((p) => p.via)).toEqual(['kubectl --token', 'kubectl --client-key']);
    expect(k8sEffects(k8sFacet('kubectl get pods -n app')).privilege).toEqual([]);
  });
});
