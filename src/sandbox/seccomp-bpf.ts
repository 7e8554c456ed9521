/**
 * The seccomp filter a sandboxed command runs under, as the classic BPF program the kernel takes
 * (`struct sock_filter[]`, what libseccomp's `seccomp_export_bpf` writes). bubblewrap loads it with
 * `--seccomp FD` just before it executes the command, after its own namespace set-up, so the
 * command and every process it starts are bound by it (a seccomp filter is inherited and cannot be
 * removed).
 *
 * What it refuses (`EPERM`), because a sandboxed command has no business with them and each is a
 * known way to widen a sandbox or attack the kernel: new namespaces (`unshare`, `setns`, `clone`
 * with a `CLONE_NEW*` flag; `clone3` answers `ENOSYS` so C libraries fall back to `clone`, whose
 * flags the filter can read), mounts and the new mount API, `ptrace` and cross-process memory
 * access, the kernel keyring, `bpf`, `perf_event_open`, `userfaultfd`, `io_uring` (its operations
 * bypass seccomp), kernel modules and `kexec`, file handles (`open_by_handle_at`, the
 * "shocker" escape), `reboot`, swap, `acct`, `syslog`, `quotactl`, port I/O. A system call of
 * another architecture than the one the filter was built for kills the process; on x86-64, the
 * x32 ABI (system call numbers with bit 30 set) is refused.
 *
 * Pure: the bytes depend only on the architecture.
 */
import { WardenError } from '../errors.js';

/** Architectures the filter is built for (Node's `process.arch` names). */
export const SECCOMP_ARCHES = ['x64', 'arm64'] as const;
export type SeccompArch = (typeof SECCOMP_ARCHES)[number];

/** `AUDIT_ARCH_*` values (linux/audit.h) the kernel reports in `seccomp_data.arch`. */
const AUDIT_ARCH: Record<SeccompArch, number> = { x64: 0xc000003e, arm64: 0xc00000b7 };

/** System calls refused with EPERM, with their numbers on each architecture (asm/unistd_64.h, asm-generic/unistd.h). */
export const SECCOMP_DENIED: Readonly<Record<string, Readonly<Partial<Record<SeccompArch, number>>>>> = Object.freeze({
  ptrace: { x64: 101, arm64: 117 },
  process_vm_readv: { x64: 310, arm64: 270 },
  process_vm_writev: { x64: 311, arm64: 271 },
  mount: { x64: 165, arm64: 40 },
  umount2: { x64: 166, arm64: 39 },
  pivot_root: { x64: 155, arm64: 41 },
  unshare: { x64: 272, arm64: 97 },
  setns: { x64: 308, arm64: 268 },
  keyctl: { x64: 250, arm64: 219 },
  add_key: { x64: 248, arm64: 217 },
  request_key: { x64: 249, arm64: 218 },
  bpf: { x64: 321, arm64: 280 },
  perf_event_open: { x64: 298, arm64: 241 },
  userfaultfd: { x64: 323, arm64: 282 },
  kexec_load: { x64: 246, arm64: 104 },
  kexec_file_load: { x64: 320, arm64: 294 },
  init_module: { x64: 175, arm64: 105 },
  finit_module: { x64: 313, arm64: 273 },
  delete_module: { x64: 176, arm64: 106 },
  open_by_handle_at: { x64: 304, arm64: 265 },
  name_to_handle_at: { x64: 303, arm64: 264 },
  reboot: { x64: 169, arm64: 142 },
  swapon: { x64: 167, arm64: 224 },
  swapoff: { x64: 168, arm64: 225 },
  acct: { x64: 163, arm64: 89 },
  syslog: { x64: 103, arm64: 116 },
  quotactl: { x64: 179, arm64: 60 },
  lookup_dcookie: { x64: 212, arm64: 18 },
  iopl: { x64: 172 },
  ioperm: { x64: 173 },
  open_tree: { x64: 428, arm64: 428 },
  move_mount: { x64: 429, arm64: 429 },
  fsopen: { x64: 430, arm64: 430 },
  fsconfig: { x64: 431, arm64: 431 },
  fsmount: { x64: 432, arm64: 432 },
  fspick: { x64: 433, arm64: 433 },
  mount_setattr: { x64: 442, arm64: 442 },
  io_uring_setup: { x64: 425, arm64: 425 },
  io_uring_enter: { x64: 426, arm64: 426 },
  io_uring_register: { x64: 427, arm64: 427 },
});

const CLONE: Record<SeccompArch, number> = { x64: 56, arm64: 220 };
const CLONE3 = 435;
/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME (linux/sched.h). */
const CLONE_NEW_ANY = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080;

const EPERM = 1;
const ENOSYS = 38;

// Classic BPF opcodes (linux/filter.h) and seccomp return values (linux/seccomp.h).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;
const RET_KILL_PROCESS = 0x80000000;
const RET_ERRNO = 0x00050000;
const RET_ALLOW = 0x7fff0000;
// Offsets in struct seccomp_data: nr (int), arch (u32), instruction_pointer (u64), args[6] (u64).
const OFF_NR = 0;
const OFF_ARCH = 4;
/** The low 32 bits of args[0] (little-endian on both architectures). */
const OFF_ARG0_LO = 16;

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/**
 * The filter for `arch` as the bytes of a `struct sock_filter` array (8 bytes per instruction:
 * u16 code, u8 jt, u8 jf, u32 k, little-endian), ready to hand to `bwrap --seccomp`.
 *
 * @example
 * ```ts
 * const bytes = seccompFilter('x64'); // bytes.length % 8 === 0
 * ```
 * @throws WardenError ERR_SANDBOX_UNAVAILABLE for an architecture the filter is not built for.
 */
export function seccompFilter(arch: string): Uint8Array {
  if (!(SECCOMP_ARCHES as readonly string[]).includes(arch)) {
    throw new WardenError('ERR_SANDBOX_UNAVAILABLE', `No seccomp filter is built for the ${JSON.stringify(arch)} architecture (only ${SECCOMP_ARCHES.join(', ')}); run on one of those or allow unsandboxed execution explicitly.`);
  }
  const a = arch as SeccompArch;
  const denied = Object.values(SECCOMP_DENIED)
    .map((nrs) => nrs[a])
    .filter((n): n is number => n !== undefined);
  const prog: Insn[] = [];
  const ins = (code: number, k: number, jt = 0, jf = 0): void => void prog.push({ code, jt, jf, k });
  // Layout, with jump offsets counted from the next instruction:
  //   0 ld arch; 1 jeq ARCH ? +1 : +0; 2 ret KILL; 3 ld nr; [x64: 4 jge 0x40000000 -> EPERM]
  //   per denied nr: jeq nr -> EPERM; jeq clone3 -> ENOSYS; jeq clone ? next : ALLOW;
  //   ld arg0; jset CLONE_NEW_ANY -> EPERM; ret ALLOW; ret EPERM; ret ENOSYS
  ins(LD_W_ABS, OFF_ARCH);
  ins(JEQ_K, AUDIT_ARCH[a], 1, 0);
  ins(RET_K, RET_KILL_PROCESS);
  ins(LD_W_ABS, OFF_NR);
  const jumps: { at: number; to: 'eperm' | 'enosys' | 'allow'; branch: 'jt' | 'jf' }[] = [];
  if (a === 'x64') {
    jumps.push({ at: prog.length, to: 'eperm', branch: 'jt' });
    ins(JGE_K, 0x40000000);
  }
  for (const nr of denied) {
    jumps.push({ at: prog.length, to: 'eperm', branch: 'jt' });
    ins(JEQ_K, nr);
  }
  jumps.push({ at: prog.length, to: 'enosys', branch: 'jt' });
  ins(JEQ_K, CLONE3);
  jumps.push({ at: prog.length, to: 'allow', branch: 'jf' });
  ins(JEQ_K, CLONE[a]);
  ins(LD_W_ABS, OFF_ARG0_LO);
  jumps.push({ at: prog.length, to: 'eperm', branch: 'jt' });
  ins(JSET_K, CLONE_NEW_ANY);
  const target = { allow: prog.length, eperm: prog.length + 1, enosys: prog.length + 2 };
  ins(RET_K, RET_ALLOW);
  ins(RET_K, RET_ERRNO | EPERM);
  ins(RET_K, RET_ERRNO | ENOSYS);
  for (const j of jumps) {
    const offset = target[j.to] - (j.at + 1);
    // invariant: classic BPF jump offsets are one byte; the program is far shorter than 256.
    if (offset > 255) throw new RangeError('seccomp filter too long for its jumps');
    (prog[j.at] as Insn)[j.branch] = offset;
  }
  const out = new Uint8Array(prog.length * 8);
  const view = new DataView(out.buffer);
  prog.forEach((p, i) => {
    view.setUint16(i * 8, p.code, true);
    view.setUint8(i * 8 + 2, p.jt);
    view.setUint8(i * 8 + 3, p.jf);
    view.setUint32(i * 8 + 4, p.k, true);
  });
  return out;
}
