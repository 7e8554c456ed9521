/**
 * The pure parts of the sandbox: the seccomp program's bytes, profiles per ring, the bubblewrap
 * command line's order, and the program view over a directory of fake programs.
 */
import { chmodSync, mkdirSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seccompFilter, SECCOMP_DENIED } from '../../src/sandbox/seccomp-bpf.js';
import { sandboxProfile, DEFAULT_LIMITS } from '../../src/sandbox/profile.js';
import { bwrapArgs } from '../../src/sandbox/bwrap-args.js';
import { programView, viewMounts } from '../../src/sandbox/program-view.js';
import { WardenError } from '../../src/errors.js';
import { freshDir } from './helpers.js';

/** The program decoded: one {code, jt, jf, k} per 8 bytes. */
function decode(bytes: Uint8Array): { code: number; jt: number; jf: number; k: number }[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  for (let i = 0; i < bytes.length; i += 8) out.push({ code: v.getUint16(i, true), jt: v.getUint8(i + 2), jf: v.getUint8(i + 3), k: v.getUint32(i + 4, true) });
  return out;
}

/** Runs the classic BPF program on a seccomp_data (nr, arch, args[0]) the way the kernel does. */
function evaluate(bytes: Uint8Array, nr: number, arch: number, arg0 = 0): number {
  const prog = decode(bytes);
  const data = new DataView(new ArrayBuffer(64));
  data.setInt32(0, nr, true);
  data.setUint32(4, arch, true);
  data.setUint32(16, arg0, true);
  let a = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf, k } = prog[pc] as { code: number; jt: number; jf: number; k: number };
    if (code === 0x20) a = data.getUint32(k, true);
    else if (code === 0x15) pc += a === k ? jt : jf;
    else if (code === 0x35) pc += a >>> 0 >= k ? jt : jf;
    else if (code === 0x45) pc += (a & k) !== 0 ? jt : jf;
    else if (code === 0x06) return k;
    else throw new Error(`unexpected opcode ${code}`);
  }
  throw new Error('fell off the end');
}

const X64 = 0xc000003e;
const ARM64 = 0xc00000b7;
const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;
const ENOSYS = 0x00050026;
const KILL = 0x80000000;

describe('the seccomp filter', () => {
  it.each([
    ['x64', X64],
    ['arm64', ARM64],
  ] as const)('on %s refuses every listed system call and allows ordinary ones', (arch, audit) => {
    const f = seccompFilter(arch);
    expect(f.length % 8).toBe(0);
    for (const [name, nrs] of Object.entries(SECCOMP_DENIED)) {
      const nr = nrs[arch];
      if (nr !== undefined) expect(evaluate(f, nr, audit), name).toBe(EPERM);
    }
    // read, write, openat, execve, exit_group
    const ordinary = arch === 'x64' ? [0, 1, 257, 59, 231] : [63, 64, 56, 221, 94];
    for (const nr of ordinary) expect(evaluate(f, nr, audit), String(nr)).toBe(ALLOW);
  });

  it('refuses clone with a namespace flag, allows a plain clone, and sends clone3 to the fallback', () => {
    const f = seccompFilter('x64');
    expect(evaluate(f, 56, X64, 0x10000000)).toBe(EPERM); // CLONE_NEWUSER
    expect(evaluate(f, 56, X64, 0x40000000)).toBe(EPERM); // CLONE_NEWNET
    expect(evaluate(f, 56, X64, 0x01200011)).toBe(ALLOW); // fork()'s flags
    expect(evaluate(f, 435, X64)).toBe(ENOSYS);
  });

  it('kills a system call of another architecture and refuses the x32 ABI', () => {
    expect(evaluate(seccompFilter('x64'), 0, ARM64)).toBe(KILL);
    expect(evaluate(seccompFilter('arm64'), 0, X64)).toBe(KILL);
    expect(evaluate(seccompFilter('x64'), 0x40000000 + 1, X64)).toBe(EPERM);
  });

  it('has no filter for an architecture it does not know, and says so', () => {
    expect(() => seccompFilter('ia32')).toThrow(WardenError);
    expect(() => seccompFilter('ia32')).toThrow(/ia32/);
  });
});

describe('profiles per ring', () => {
  it.each([
    [3, { writable: [], network: 'none', sandboxed: true }],
    [2, { writable: ['/w', '/w/cache'], network: 'none', sandboxed: true }],
    [1, { writable: ['/w', '/w/cache'], network: 'host', sandboxed: true }],
    [0, { writable: ['/w', '/w/cache'], network: 'host', sandboxed: false }],
  ] as const)('ring %i', (ring, expected) => {
    expect(sandboxProfile({ ring, workspace: '/w', writable: ['/w/cache'], network: 'host' })).toMatchObject(expected);
  });

  it('defaults to ring 2, offline, with the default limits, and normalizes paths', () => {
    const p = sandboxProfile({ workspace: '/w//x/' });
    expect(p).toMatchObject({ ring: 2, network: 'none', workspace: '/w/x', writable: ['/w/x'] });
    expect(p.limits).toEqual(DEFAULT_LIMITS);
    expect(Object.isFrozen(p)).toBe(true);
  });
});

describe('the bubblewrap command line', () => {
  const layout = {
    roots: [{ path: '/usr', kind: 'dir' as const }, { path: '/bin', kind: 'symlink' as const, target: 'usr/bin' }],
    masks: [{ path: '/etc/shadow', kind: 'file' as const }, { path: '/etc/ssh', kind: 'dir' as const }],
    proc: { readOnly: ['/proc/sys'], masks: [{ path: '/proc/keys', kind: 'file' as const }] },
  };
  const args = bwrapArgs(sandboxProfile({ workspace: '/tmp/ws', readable: ['/data'] }), { layout, view: [{ op: 'ro-bind', src: '/v/0', dest: '/usr/bin' }], seccompFd: 3, infoFd: 4, command: 'ls' });
  const at = (...seq: string[]): number => args.findIndex((_, i) => seq.every((s, j) => args[i + j] === s));

  it('drops every capability, unshares every namespace, and dies with its parent', () => {
    for (const flag of ['--unshare-all', '--die-with-parent', '--new-session']) expect(args).toContain(flag);
    expect(at('--cap-drop', 'ALL')).toBeGreaterThanOrEqual(0);
    expect(args).not.toContain('--share-net');
  });

  it('binds the workspace after the private /tmp, so a workspace under /tmp is not hidden', () => {
    expect(at('--bind', '/tmp/ws', '/tmp/ws')).toBeGreaterThan(at('--tmpfs', '/tmp'));
  });

  it('masks the secrets after binding the system, and puts the program view over it', () => {
    expect(at('--ro-bind', '/dev/null', '/etc/shadow')).toBeGreaterThan(at('--ro-bind', '/usr', '/usr'));
    expect(at('--tmpfs', '/etc/ssh', '--remount-ro', '/etc/ssh')).toBeGreaterThan(0);
    expect(at('--ro-bind', '/v/0', '/usr/bin')).toBeGreaterThan(at('--ro-bind', '/usr', '/usr'));
    expect(at('--symlink', 'usr/bin', '/bin')).toBeGreaterThan(0);
  });

  it('makes /proc/sys read-only and masks /proc/keys after mounting the new /proc', () => {
    expect(at('--ro-bind', '/proc/sys', '/proc/sys')).toBeGreaterThan(at('--proc', '/proc'));
    expect(at('--ro-bind', '/dev/null', '/proc/keys')).toBeGreaterThan(at('--proc', '/proc'));
  });

  it('puts the program view after the readable paths, so granting a directory cannot re-expose denied programs', () => {
    expect(at('--ro-bind', '/v/0', '/usr/bin')).toBeGreaterThan(at('--ro-bind', '/data', '/data'));
  });

  it('ends with the seccomp descriptor and the command', () => {
    expect(at('--seccomp', '3')).toBeGreaterThan(0);
    expect(args.slice(-3)).toEqual(['--setenv', 'WARDEN_COMMAND', 'ls']);
  });

  it('shares the network only when the profile says host', () => {
    const hostNet = bwrapArgs(sandboxProfile({ ring: 1, workspace: '/w', network: 'host' }), { layout, view: [], seccompFd: null, infoFd: 4, command: 'true' });
    expect(hostNet).toContain('--share-net');
    expect(hostNet).not.toContain('--seccomp');
  });
});

describe('the program view', () => {
  const root = freshDir('warden-view-');
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const bin = join(root, 'bin');
  const lib = join(root, 'lib');
  mkdirSync(bin);
  mkdirSync(lib);
  for (const name of ['git', 'curl', 'sh-real', 'python3.11']) {
    writeFileSync(join(bin, name), '#!/bin/true\n');
    chmodSync(join(bin, name), 0o755);
  }
  writeFileSync(join(lib, 'npm-cli.js'), '');
  symlinkSync('sh-real', join(bin, 'sh'));
  symlinkSync('python3.11', join(bin, 'python3'));
  symlinkSync('../lib/npm-cli.js', join(bin, 'npm'));
  symlinkSync('missing', join(bin, 'dangling'));
  symlinkSync('bin', join(root, 'bin-link'));
  mkdirSync(join(bin, 'subdir'));
  const asked: string[] = [];
  const view = programView((name) => {
    asked.push(name);
    return ['git', 'python3', 'npm', 'dangling'].includes(name);
  }, [bin, join(root, 'absent'), join(root, 'bin-link')]);

  it('covers a symlinked program directory by its target, once', () => {
    expect(view.dirs.map((d) => d.dir)).toEqual([bin]);
  });

  it('asks the policy once per program and keeps out what it denies', () => {
    expect(asked.sort()).toEqual(['curl', 'dangling', 'git', 'npm', 'python3', 'python3.11', 'sh-real']);
    expect(view.allowed).toEqual([join(bin, 'git'), join(bin, 'npm'), join(bin, 'python3'), join(bin, 'sh')]);
    expect(view.denied).toBe(3);
  });

  it('always holds sh, binds a link into a masked directory as its file, and keeps a link out of it', () => {
    const entries = view.dirs[0]?.entries ?? [];
    expect(entries.find((e) => e.name === 'sh')).toEqual({ name: 'sh', kind: 'file', src: join(bin, 'sh-real') });
    expect(entries.find((e) => e.name === 'python3')).toEqual({ name: 'python3', kind: 'file', src: join(bin, 'python3.11') });
    expect(entries.find((e) => e.name === 'npm')).toEqual({ name: 'npm', kind: 'symlink', target: '../lib/npm-cli.js' });
  });

  it('becomes one bind of a directory of hard links per program directory', () => {
    const work = join(root, 'work');
    mkdirSync(work);
    const mounts = viewMounts(view, work);
    expect(mounts).toEqual([{ op: 'ro-bind', src: join(work, 'view-0'), dest: bin }]);
    expect(readdirSync(join(work, 'view-0')).sort()).toEqual(['git', 'npm', 'python3', 'sh']);
    expect(statSync(join(work, 'view-0', 'git')).ino).toBe(statSync(join(bin, 'git')).ino);
    expect(readlinkSync(join(work, 'view-0', 'npm'))).toBe('../lib/npm-cli.js');
  });
});
