import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { fsRealpathResolver } from '../../src/enforce/realpath-resolver.js';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { EMPTY_PATH_FACTS, pathFacet, pathWithin, type PathFacetOptions } from '../../src/facets/path.js';

const WS: PathFacetOptions = { root: '/workspace' };
const WIN: PathFacetOptions = { root: 'C:\\work', windows: true };

// [what the case pins, input, options, resolved, insideRoot, traversal]
const POSIX: [string, unknown, PathFacetOptions, string, boolean, boolean][] = [
  ['a relative path resolves against the root', 'src/index.ts', WS, '/workspace/src/index.ts', true, false],
  ['the root itself is inside', '/workspace', WS, '/workspace', true, false],
  ['the root with a trailing slash is inside', '/workspace/', WS, '/workspace', true, false],
  ['"." is the root', '.', WS, '/workspace', true, false],
  ['"./" is the root', './', WS, '/workspace', true, false],
  ['a sibling sharing the prefix is outside', '/workspace-evil/x', WS, '/workspace-evil/x', false, false],
  ['a sibling sharing the prefix, relative', '../workspace-evil/x', WS, '/workspace-evil/x', false, true],
  ['".." leaves the root', '..', WS, '/', false, true],
  ['"../etc" leaves the root', '../etc/passwd', WS, '/etc/passwd', false, true],
  ['".." inside a longer path leaves the root', 'src/../../etc/passwd', WS, '/etc/passwd', false, true],
  ['".." that stays inside is inside, but flagged', 'src/../lib/x', WS, '/workspace/lib/x', true, true],
  ['".." out and back in is inside, but flagged', 'a/../../workspace/x', WS, '/workspace/x', true, true],
  ['an absolute path with ".." out', '/workspace/a/../../etc', WS, '/etc', false, true],
  ['an absolute path elsewhere', '/etc/passwd', WS, '/etc/passwd', false, false],
  ['duplicate and dot segments are normalized', 'a//b/./c', WS, '/workspace/a/b/c', true, false],
  ['duplicate leading slashes are one slash', '//workspace//a', WS, '/workspace/a', true, false],
  ['".." cannot climb above "/"', '/../../../workspace/a', WS, '/workspace/a', true, true],
  ['percent-encoded dots that escape', '%2e%2e/%2e%2e/etc', WS, '/workspace/%2e%2e/%2e%2e/etc', false, true],
  ['upper-case percent-encoded dots', '%2E%2E/etc', WS, '/workspace/%2E%2E/etc', false, true],
  ['percent-encoded slashes that escape', '..%2f..%2fetc', WS, '/workspace/..%2f..%2fetc', false, true],
  ['double percent-encoding that escapes', '%252e%252e/etc', WS, '/workspace/%252e%252e/etc', false, true],
  ['overlong UTF-8 dots that escape', '%c0%ae%c0%ae/etc', WS, '/workspace/%c0%ae%c0%ae/etc', false, true],
  ['percent-encoding that stays inside', 'a%2fb.txt', WS, '/workspace/a%2fb.txt', true, false],
  ['fullwidth dots and slash (NFKC) that escape', '．．／etc', WS, '/workspace/．．／etc', false, true],
  ['a file: URL to outside', 'file:///etc/passwd', WS, '/workspace/file:/etc/passwd', false, false],
  ['a file: URL inside', 'file:///workspace/a.txt', WS, '/workspace/file:/workspace/a.txt', true, false],
  ['a file: URL with a remote host', 'file://server/workspace/a', WS, '/workspace/file:/server/workspace/a', false, false],
  ['backslash traversal on POSIX is refused (a tool may treat \\ as a separator)', 'a\\..\\..\\x', WS, '/workspace/a\\..\\..\\x', false, true],
  ['backslashes that stay inside', 'a\\b', WS, '/workspace/a\\b', true, false],
  ['"~" without home is never inside', '~/x', WS, '/workspace/~/x', false, false],
  ['"~" alone without home', '~', WS, '/workspace/~', false, false],
  ['"~user" is never inside', '~root/.ssh', { ...WS, home: '/workspace' }, '/workspace/~root/.ssh', false, false],
  ['"~" with a home inside the root', '~/notes.md', { ...WS, home: '/workspace/me' }, '/workspace/me/notes.md', true, false],
  ['"~" with a home outside the root', '~/.ssh/id_rsa', { ...WS, home: '/home/agent' }, '/home/agent/.ssh/id_rsa', false, false],
  ['a home of "/" makes "~/etc" the system /etc', '~/etc/passwd', { ...WS, home: '/' }, '/etc/passwd', false, false],
  ['a home of "/" with a root of "/"', '~/etc/passwd', { root: '/', home: '/' }, '/etc/passwd', true, false],
  ['"$HOME" is expanded like "~"', '$HOME/.bashrc', { ...WS, home: '/home/agent' }, '/home/agent/.bashrc', false, false],
  ['"${HOME}" is expanded like "~"', '${HOME}/x', { ...WS, home: '/workspace' }, '/workspace/x', true, false],
  ['"$HOME" without home is never inside', '$HOME/x', WS, '/workspace/$HOME/x', false, false],
  ['a root of "/" holds every absolute path', '/etc/passwd', { root: '/' }, '/etc/passwd', true, false],
  ['".." from a root of "/" stays inside', '../../x', { root: '/' }, '/x', true, true],
  ['a root given with dots and slashes is normalized', 'a', { root: '/srv//data/./ws/' }, '/srv/data/ws/a', true, false],
  ['unicode names are ordinary', 'docs/résumé.txt', WS, '/workspace/docs/résumé.txt', true, false],
  ['a name that merely starts with dots is not traversal', '..foo/x', WS, '/workspace/..foo/x', true, false],
];

const WINDOWS: [string, unknown, PathFacetOptions, string, boolean, boolean][] = [
  ['a relative path resolves against the drive root', 'src\\a.txt', WIN, 'C:\\work\\src\\a.txt', true, false],
  ['forward slashes are separators too', 'src/a.txt', WIN, 'C:\\work\\src\\a.txt', true, false],
  ['drive letter and case do not matter', 'c:\\WORK\\A.txt', WIN, 'C:\\WORK\\A.txt', true, false],
  ['the root itself is inside', 'C:\\work', WIN, 'C:\\work', true, false],
  ['backslash traversal leaves the root', '..\\..\\x', WIN, 'C:\\x', false, true],
  ['mixed-separator traversal', 'a/..\\../x', WIN, 'C:\\x', false, true],
  ['traversal that stays inside is flagged', 'a\\..\\b', WIN, 'C:\\work\\b', true, true],
  ['a sibling sharing the prefix is outside', 'C:\\work-evil\\x', WIN, 'C:\\work-evil\\x', false, false],
  ['another drive is outside', 'D:\\work\\x', WIN, 'D:\\work\\x', false, false],
  ['a drive-relative path is never inside (its base is unknown)', 'C:x', WIN, 'C:x', false, false],
  ['a rooted path uses the root drive', '\\work\\x', WIN, 'C:\\work\\x', true, false],
  ['a UNC path is outside a drive root', '\\\\server\\share\\x', WIN, '\\\\server\\share\\x', false, false],
  ['a device path is never inside', '\\\\?\\C:\\work\\x', WIN, '\\\\?\\C:\\work\\x', false, false],
  ['a "..." segment is ambiguous: not inside, and flagged', 'a\\...\\b', WIN, 'C:\\work\\a\\...\\b', false, true],
  ['a ".. " segment (trailing space) is ambiguous and flagged', 'a\\.. \\..\\x', WIN, 'C:\\work\\a\\x', false, true],
  ['a UNC root holds its own paths', '\\\\srv\\share\\ws\\a', { root: '\\\\srv\\share\\ws', windows: true }, '\\\\srv\\share\\ws\\a', true, false],
  ['percent-encoded backslash traversal', '..%5c..%5cx', WIN, 'C:\\work\\..%5c..%5cx', false, true],
  ['fullwidth reverse solidus traversal (best fit)', '..＼..＼x', WIN, 'C:\\work\\..＼..＼x', false, true],
  ['a file: URL with a drive', 'file:///D:/x', WIN, 'C:\\work\\file:\\D:\\x', false, false],
];

const INVALID: [string, unknown, unknown, string][] = [
  ['an empty path', '', WS, 'path facet: the path is empty'],
  ['a NUL byte', 'a\u0000b', WS, 'path facet: the path contains a NUL byte'],
  ['a percent-encoded NUL byte', 'a%00.txt', WS, 'path facet: the path decodes to a NUL byte'],
  ['a number', 42, WS, 'path facet: the path is not a string'],
  ['undefined', undefined, WS, 'path facet: the path is not a string'],
  ['an object', { path: '/workspace/a' }, WS, 'path facet: the path is not a string'],
  ['a path over the length limit', 'a/'.repeat(2049), WS, 'path facet: the path is longer than 4096 characters'],
  ['a relative root', 'a', { root: 'workspace' }, 'path facet: root must be an absolute POSIX path'],
  ['an empty root', 'a', { root: '' }, 'path facet: root must be an absolute POSIX path'],
  ['a POSIX root with windows: true', 'a', { root: '/workspace', windows: true }, 'path facet: root must be an absolute Windows path'],
  ['a relative home', '~/a', { root: '/workspace', home: 'me' }, 'path facet: home must be an absolute path'],
  ['missing options', 'a', undefined, 'path facet: missing options'],
];

function pick(f: ReturnType<typeof pathFacet>): [string, boolean, boolean] {
  return [f.resolved, f.insideRoot, f.traversal];
}

describe('pathFacet: POSIX table (THREATS class 5)', () => {
  it.each(POSIX)('%s', (_name, input, options, resolved, inside, traversal) => {
    const f = pathFacet(input, options);
    expect(f.parsed).toBe(true);
    expect(f.error).toBe('');
    expect(pick(f)).toEqual([resolved, inside, traversal]);
  });
});

describe('pathFacet: Windows table', () => {
  it.each(WINDOWS)('%s', (_name, input, options, resolved, inside, traversal) => {
    const f = pathFacet(input, options);
    expect(f.parsed).toBe(true);
    expect(pick(f)).toEqual([resolved, inside, traversal]);
  });
});

describe('pathFacet: inputs that do not parse', () => {
  it.each(INVALID)('refuses %s', (_name, input, options, error) => {
    const f = pathFacet(input, options as PathFacetOptions);
    expect(f.parsed).toBe(false);
    expect(f.insideRoot).toBe(false);
    expect(f.error).toBe(error);
  });
});

describe('pathFacet: facts shape', () => {
  it('reports every field for a plain relative path', () => {
    expect(pathFacet('src/a.ts', WS)).toEqual({
      raw: 'src/a.ts',
      resolved: '/workspace/src/a.ts',
      root: '/workspace',
      insideRoot: true,
      traversal: false,
      parsed: true,
      error: '',
      absolute: false,
      tilde: false,
      encoded: false,
      lexicalInsideRoot: true,
      realpathChecked: false,
      realResolved: '',
      realInsideRoot: false,
      symlinkEscape: false,
      decoded: '/workspace/src/a.ts',
      readings: ['/workspace/src/a.ts'],
      unknownReading: false,
    });
  });

  it('flags tilde, absolute and encoded readings', () => {
    expect(pathFacet('~/x', { ...WS, home: '/workspace' }).tilde).toBe(true);
    expect(pathFacet('/workspace/x', WS).absolute).toBe(true);
    expect(pathFacet('%2e%2e/x', WS).encoded).toBe(true);
    expect(pathFacet('C:\\work\\x', WIN).absolute).toBe(true);
  });

  it('EMPTY_PATH_FACTS is frozen and inside nothing', () => {
    expect(Object.isFrozen(EMPTY_PATH_FACTS)).toBe(true);
    expect(EMPTY_PATH_FACTS.insideRoot).toBe(false);
    expect(EMPTY_PATH_FACTS.parsed).toBe(false);
  });
});

describe('pathWithin', () => {
  const CASES: [string, string, boolean][] = [
    ['/workspace/a', '/workspace', true],
    ['/workspace', '/workspace', true],
    ['/workspace/', '/workspace/', true],
    ['/workspace-evil', '/workspace', false],
    ['/workspace/../etc', '/workspace', false],
    ['/workspace/a/../b', '/workspace', true],
    ['/workspace/%2e%2e/etc', '/workspace', false],
    ['/etc', '/', true],
    ['a/b', '/workspace', false],
    ['/workspace/a', 'workspace', false],
    ['', '/workspace', false],
    ['/workspace/a\u0000', '/workspace', false],
    ['C:\\Work\\x', 'c:\\work', true],
    ['C:\\work-evil', 'C:\\work', false],
    ['D:\\work\\x', 'C:\\work', false],
    ['C:\\work\\..\\x', 'C:\\work', false],
  ];
  it.each(CASES)('pathWithin(%j, %j) is %s', (p, dir, expected) => {
    expect(pathWithin(p, dir)).toBe(expected);
  });
});

describe('pathFacet: realpath check (symlinks)', () => {
  let base = '';
  let ws = '';
  let outside = '';

  beforeAll(() => {
    base = realpathSync(mkdtempSync(nodePath.join(tmpdir(), 'warden-path-')));
    ws = nodePath.join(base, 'ws');
    outside = nodePath.join(base, 'outside');
    mkdirSync(nodePath.join(ws, 'sub'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(nodePath.join(ws, 'file.txt'), 'x');
    writeFileSync(nodePath.join(outside, 'secret'), 'x');
    symlinkSync(outside, nodePath.join(ws, 'out'));
    symlinkSync(nodePath.join(ws, 'sub'), nodePath.join(ws, 'inlink'));
    symlinkSync(nodePath.join(outside, 'missing'), nodePath.join(ws, 'dangling'));
    symlinkSync('../outside/secret', nodePath.join(ws, 'relout'));
    symlinkSync(nodePath.join(ws, 'loop2'), nodePath.join(ws, 'loop1'));
    symlinkSync(nodePath.join(ws, 'loop1'), nodePath.join(ws, 'loop2'));
    symlinkSync(ws, nodePath.join(base, 'wslink'));
  });

  afterAll(() => {
    rmSync(base, { recursive: true, force: true });
  });

  // [case, path, insideRoot, realInsideRoot, symlinkEscape, error contains]
  const CASES: [string, string, boolean, boolean, boolean, string][] = [
    ['a real file inside', 'file.txt', true, true, false, ''],
    ['a path that does not exist yet', 'new/dir/file.txt', true, true, false, ''],
    ['a path under a file (ENOTDIR)', 'file.txt/x', true, true, false, ''],
    ['a symlink to a directory inside', 'inlink/x', true, true, false, ''],
    ['a symlink to a directory outside', 'out/secret', false, false, true, ''],
    ['the outward symlink itself', 'out', false, false, true, ''],
    ['a relative symlink outside', 'relout', false, false, true, ''],
    ['a dangling symlink pointing outside', 'dangling', false, false, true, 'dangling symlink'],
    ['a new file under a dangling symlink', 'dangling/x', false, false, true, 'dangling symlink'],
    ['a symlink loop', 'loop1', false, false, false, 'realpath check failed'],
    ['lexically outside stays outside', '../outside/secret', false, false, false, ''],
  ];

  it.each(CASES)('%s', (_name, p, inside, realInside, escape, error) => {
    const f = pathFacet(p, { root: ws, realpath: true, resolver: fsRealpathResolver });
    expect(f.realpathChecked).toBe(true);
    expect([f.insideRoot, f.realInsideRoot, f.symlinkEscape]).toEqual([inside, realInside, escape]);
    if (error === '') expect(f.error).toBe('');
    else expect(f.error).toContain(error);
  });

  it('resolves the real path of a file inside', () => {
    expect(pathFacet('inlink/x', { root: ws, realpath: true, resolver: fsRealpathResolver }).realResolved).toBe(nodePath.join(ws, 'sub', 'x'));
  });

  it('accepts a root that is itself a symlink', () => {
    const f = pathFacet('file.txt', { root: nodePath.join(base, 'wslink'), realpath: true, resolver: fsRealpathResolver });
    expect([f.insideRoot, f.realInsideRoot, f.symlinkEscape]).toEqual([true, true, false]);
  });

  it('does not touch the file system without realpath', () => {
    const f = pathFacet('out/secret', { root: ws });
    expect([f.insideRoot, f.realpathChecked, f.symlinkEscape]).toEqual([true, false, false]);
  });

  it('fails the realpath check closed when no resolver is injected', () => {
    const f = pathFacet('file.txt', { root: ws, realpath: true });
    expect([f.insideRoot, f.realpathChecked, f.realInsideRoot]).toEqual([false, false, false]);
    expect(f.error).toMatch(/needs a resolver/);
  });

  it('fails the realpath check closed when the resolver throws or answers nothing', () => {
    const throwing = pathFacet('file.txt', { root: ws, realpath: true, resolver: { platform: 'posix', real: () => { throw new Error('EIO'); } } });
    expect([throwing.insideRoot, throwing.realInsideRoot]).toEqual([false, false]);
    expect(throwing.error).toMatch(/realpath check failed: EIO/);
    const empty = pathFacet('file.txt', { root: ws, realpath: true, resolver: { platform: 'posix', real: () => '' } });
    expect(empty.insideRoot).toBe(false);
  });

  it('refuses the realpath check for Windows paths on a POSIX host', () => {
    const f = pathFacet('a', { root: 'C:\\work', windows: true, realpath: true, resolver: fsRealpathResolver });
    expect(f.insideRoot).toBe(process.platform === 'win32');
    if (process.platform !== 'win32') expect(f.error).toBe('path facet: the realpath check needs paths of this platform');
  });
});

describe('pathFacet: properties', () => {
  const segment = fc.constantFrom('a', 'b', '..', '.', '', '%2e%2e', '%2f', '~', '\\', '..\\', '$HOME', 'C:', '．．', 'workspace', 'workspace-evil');
  const pathArb = fc.array(segment, { maxLength: 8 }).map((s) => s.join('/'));

  it('never throws, whatever the input and options', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (input, options) => {
        const f = pathFacet(input, options as PathFacetOptions);
        expect(typeof f.insideRoot).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.oneof(pathArb, fc.string()), fc.oneof(fc.constant('/workspace'), fc.constant('C:\\work'), fc.string()), fc.boolean(), fc.option(fc.string()), (p, root, windows, home) => {
        const f = pathFacet(p, home === null ? { root, windows } : { root, windows, home });
        if (!f.parsed) expect(f.insideRoot).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('is never inside when plain POSIX resolution leaves the root (differential against node:path)', () => {
    fc.assert(
      fc.property(pathArb, (p) => {
        const f = pathFacet(p, WS);
        if (!f.insideRoot) return;
        const plain = nodePath.posix.resolve('/workspace', p);
        expect(plain === '/workspace' || plain.startsWith('/workspace/')).toBe(true);
        expect(f.resolved === '/workspace' || f.resolved.startsWith('/workspace/')).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with node:path on paths with no encoding, tilde or backslash', () => {
    const plainSegment = fc.constantFrom('a', 'b', '..', '.', '', 'workspace', 'workspace-evil');
    fc.assert(
      fc.property(fc.array(plainSegment, { maxLength: 8 }), fc.boolean(), (segs, abs) => {
        const p = (abs ? '/' : '') + segs.join('/');
        if (p === '') return;
        const f = pathFacet(p, WS);
        expect(f.resolved).toBe(nodePath.posix.resolve('/workspace', p));
        const plain = f.resolved;
        expect(f.insideRoot).toBe(plain === '/workspace' || plain.startsWith('/workspace/'));
      }),
      { numRuns: 2000 },
    );
  });

  it('pathWithin matches insideRoot for absolute paths', () => {
    fc.assert(
      fc.property(pathArb, (p) => {
        const abs = `/${p}`;
        expect(pathWithin(abs, '/workspace')).toBe(pathFacet(abs, WS).insideRoot);
      }),
    );
  });
});
