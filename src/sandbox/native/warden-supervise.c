/*
 * warden-supervise: the per-exec supervisor of Warden's sandbox (docs/sandbox.md, "Every exec
 * decided"). It runs inside bubblewrap as the sandbox's command and:
 *
 *   1. forks; the child sets no_new_privs, applies a Landlock ruleset (file-system writes only
 *      below the writable paths, TCP bind/connect as asked, signals and abstract sockets scoped),
 *      installs a seccomp filter that answers execve and execveat with SECCOMP_RET_USER_NOTIF,
 *      hands the listener descriptor to the parent over a socketpair, and executes the command;
 *   2. the parent receives each notification, reads the program path, argv and working directory
 *      of the calling process from /proc/<pid>/{mem,cwd,fd}, checks the notification is still
 *      valid (the pid was not reused), writes one JSON line to the decision channel (a descriptor
 *      from Warden) and waits for "<id> allow" or "<id> deny";
 *   3. allow: the system call continues (SECCOMP_USER_NOTIF_FLAG_CONTINUE); anything else (deny,
 *      a malformed or late answer, the channel closed, the decision timeout): EPERM.
 *
 * The child's own first execve (of the command Warden already decided) is allowed without asking
 * and reported as "initial". The parent exits with the child's status (128 + signal when killed).
 * When the parent dies, the kernel fails every pending and later execve of the sandbox with ENOSYS.
 *
 * Usage: warden-supervise --channel FD [--timeout-ms N] [--write PATH]... [--dev-write PATH]...
 *                         [--net any|none|connect:PORT] [--landlock require|prefer|off] -- PROGRAM ARG...
 *
 * Before anything else it writes one line: {"type":"ready","landlock":{...}} saying what is in force.
 * Exit 125 (and a message on stderr) when it cannot set up what it was asked for.
 *
 * Linux only; x86-64 and arm64. Build: cc -O2 -o warden-supervise warden-supervise.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#if defined(__x86_64__)
#define SUP_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SUP_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "warden-supervise is built for x86-64 and arm64 only"
#endif

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* Landlock (linux/landlock.h), defined here so older headers still build it. */
#define LL_CREATE_RULESET 444
#define LL_ADD_RULE 445
#define LL_RESTRICT_SELF 446
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_REMOVE_DIR (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR (1ULL << 6)
#define LL_FS_MAKE_DIR (1ULL << 7)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_MAKE_FIFO (1ULL << 10)
#define LL_FS_MAKE_BLOCK (1ULL << 11)
#define LL_FS_MAKE_SYM (1ULL << 12)
#define LL_FS_REFER (1ULL << 13)
#define LL_FS_TRUNCATE (1ULL << 14)
#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)

struct ll_ruleset_attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};
struct ll_path_beneath_attr {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));
struct ll_net_port_attr {
  uint64_t allowed_access;
  uint64_t port;
};

/* Bounds: an exec whose arguments pass them is denied (reported as "oversized"). */
#define MAX_ARGS 4096
#define MAX_ARGV_BYTES (256 * 1024)
#define MAX_PATHS 64
#define LINE_MAX_BYTES (MAX_ARGV_BYTES * 6 + 3 * PATH_MAX * 6 + 1024)

struct options {
  int channel;
  long timeout_ms;
  const char *write[MAX_PATHS];
  int nwrite;
  const char *dev_write[MAX_PATHS];
  int ndev_write;
  int net_mode; /* 0 any, 1 none, 2 connect:port */
  long net_port;
  int landlock; /* 0 off, 1 prefer, 2 require */
  char **argv;
};

struct landlock_state {
  int abi;
  int fs;
  int net;
  int scoped;
  char error[160];
};

static void die(const char *what) {
  fprintf(stderr, "warden-supervise: %s: %s\n", what, strerror(errno));
  _exit(125);
}

static void usage(const char *why) {
  fprintf(stderr, "warden-supervise: %s\n", why);
  _exit(125);
}

static void parse(int argc, char **argv, struct options *o) {
  memset(o, 0, sizeof *o);
  o->channel = -1;
  o->timeout_ms = 10000;
  o->landlock = 1;
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (v == NULL) usage("an option is missing its value");
    if (strcmp(a, "--channel") == 0) o->channel = atoi(v);
    else if (strcmp(a, "--timeout-ms") == 0) o->timeout_ms = atol(v);
    else if (strcmp(a, "--write") == 0) {
      if (o->nwrite >= MAX_PATHS || v[0] != '/') usage("bad --write");
      o->write[o->nwrite++] = v;
    } else if (strcmp(a, "--dev-write") == 0) {
      if (o->ndev_write >= MAX_PATHS || v[0] != '/') usage("bad --dev-write");
      o->dev_write[o->ndev_write++] = v;
    } else if (strcmp(a, "--net") == 0) {
      if (strcmp(v, "any") == 0) o->net_mode = 0;
      else if (strcmp(v, "none") == 0) o->net_mode = 1;
      else if (strncmp(v, "connect:", 8) == 0) {
        o->net_mode = 2;
        o->net_port = atol(v + 8);
        if (o->net_port <= 0 || o->net_port > 65535) usage("bad --net port");
      } else usage("bad --net");
    } else if (strcmp(a, "--landlock") == 0) {
      if (strcmp(v, "off") == 0) o->landlock = 0;
      else if (strcmp(v, "prefer") == 0) o->landlock = 1;
      else if (strcmp(v, "require") == 0) o->landlock = 2;
      else usage("bad --landlock");
    } else usage("unknown option");
    i++;
  }
  if (o->channel < 0 || fcntl(o->channel, F_GETFD) < 0) usage("--channel must name an open descriptor");
  if (o->timeout_ms <= 0) usage("bad --timeout-ms");
  if (i >= argc) usage("no program after --");
  o->argv = argv + i;
}

/* Applies the Landlock ruleset to the calling thread (the child, before exec). */
static void apply_landlock(const struct options *o, struct landlock_state *st) {
  memset(st, 0, sizeof *st);
  int abi = (int)syscall(LL_CREATE_RULESET, NULL, 0, LL_CREATE_RULESET_VERSION);
  if (abi < 0) {
    snprintf(st->error, sizeof st->error, "Landlock is not available on this kernel (%s)", strerror(errno));
    return;
  }
  st->abi = abi;
  if (o->landlock == 0) return;
  struct ll_ruleset_attr attr = {0};
  uint64_t write = LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR | LL_FS_MAKE_REG |
                   LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO | LL_FS_MAKE_BLOCK | LL_FS_MAKE_SYM;
  if (abi >= 2) write |= LL_FS_REFER;
  if (abi >= 3) write |= LL_FS_TRUNCATE;
  attr.handled_access_fs = write;
  size_t size = offsetof(struct ll_ruleset_attr, handled_access_net);
  if (abi >= 4 && o->net_mode != 0) {
    attr.handled_access_net = o->net_mode == 1 ? (LL_NET_BIND_TCP | LL_NET_CONNECT_TCP) : LL_NET_CONNECT_TCP;
    size = offsetof(struct ll_ruleset_attr, scoped);
  }
  if (abi >= 6) {
    attr.scoped = LL_SCOPE_SIGNAL | LL_SCOPE_ABSTRACT_UNIX_SOCKET;
    size = sizeof attr;
  }
  int rs = (int)syscall(LL_CREATE_RULESET, &attr, size, 0);
  if (rs < 0) {
    snprintf(st->error, sizeof st->error, "landlock_create_ruleset: %s", strerror(errno));
    return;
  }
  for (int pass = 0; pass < 2; pass++) {
    const char *const *paths = pass == 0 ? o->write : o->dev_write;
    int n = pass == 0 ? o->nwrite : o->ndev_write;
    uint64_t allowed = pass == 0 ? write : (write & (LL_FS_WRITE_FILE | LL_FS_TRUNCATE));
    for (int i = 0; i < n; i++) {
      struct ll_path_beneath_attr pb = {.allowed_access = allowed, .parent_fd = open(paths[i], O_PATH | O_CLOEXEC)};
      if (pb.parent_fd < 0) {
        snprintf(st->error, sizeof st->error, "open %.100s: %s", paths[i], strerror(errno));
        close(rs);
        return;
      }
      /* A regular file may only carry file rights. */
      struct stat sb;
      if (fstat(pb.parent_fd, &sb) == 0 && !S_ISDIR(sb.st_mode)) pb.allowed_access &= (LL_FS_WRITE_FILE | LL_FS_TRUNCATE);
      int r = (int)syscall(LL_ADD_RULE, rs, LL_RULE_PATH_BENEATH, &pb, 0);
      close(pb.parent_fd);
      if (r < 0) {
        snprintf(st->error, sizeof st->error, "landlock_add_rule %.100s: %s", paths[i], strerror(errno));
        close(rs);
        return;
      }
    }
  }
  if (attr.handled_access_net != 0 && o->net_mode == 2) {
    struct ll_net_port_attr np = {.allowed_access = LL_NET_CONNECT_TCP, .port = (uint64_t)o->net_port};
    if (syscall(LL_ADD_RULE, rs, LL_RULE_NET_PORT, &np, 0) < 0) {
      snprintf(st->error, sizeof st->error, "landlock_add_rule port: %s", strerror(errno));
      close(rs);
      return;
    }
  }
  if (syscall(LL_RESTRICT_SELF, rs, 0) < 0) {
    snprintf(st->error, sizeof st->error, "landlock_restrict_self: %s", strerror(errno));
    close(rs);
    return;
  }
  close(rs);
  st->fs = 1;
  st->net = attr.handled_access_net != 0;
  st->scoped = attr.scoped != 0;
}

static int install_filter(void) {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SUP_AUDIT_ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
  };
  struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

static void send_fd(int sock, int fd, const void *data, size_t len) {
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (sendmsg(sock, &msg, 0) < 0) die("sendmsg");
}

static int recv_fd(int sock, void *data, size_t len) {
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = data, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  if (n != (ssize_t)len) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

/* A growing output buffer for one JSON line. */
struct buf {
  char *p;
  size_t len, cap;
  int over;
};

static void put(struct buf *b, const char *s, size_t n) {
  if (b->over) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    if (cap > LINE_MAX_BYTES) {
      b->over = 1;
      return;
    }
    char *p = realloc(b->p, cap);
    if (p == NULL) {
      b->over = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* A JSON string; bytes >= 0x80 pass as they are (Warden rejects a line that is not UTF-8). */
static void put_json(struct buf *b, const char *s, size_t n) {
  put(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      put(b, esc, 2);
    } else if (c < 0x20 || c == 0x7f) {
      snprintf(esc, sizeof esc, "\\u%04x", c);
      put(b, esc, 6);
    } else put(b, (const char *)&c, 1);
  }
  put(b, "\"", 1);
}

/* Reads a NUL-terminated string at addr of the target's memory into out (at most max bytes). Returns its length, -1 on error, -2 when too long. */
static ssize_t read_string(int mem, uint64_t addr, char *out, size_t max) {
  size_t got = 0;
  while (got < max) {
    size_t want = max - got < 256 ? max - got : 256;
    ssize_t n = pread(mem, out + got, want, (off_t)(addr + got));
    if (n <= 0) return -1;
    void *z = memchr(out + got, 0, (size_t)n);
    if (z != NULL) return (char *)z - out;
    got += (size_t)n;
  }
  return -2;
}

static ssize_t read_link(const char *path, char *out, size_t max) {
  ssize_t n = readlink(path, out, max - 1);
  if (n < 0) return -1;
  out[n] = 0;
  return n;
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Answer read from the channel: 1 allow, 0 deny (or malformed, late, timed out), -1 channel gone. */
static char inbuf[256];
static size_t inlen;

static int await_answer(int ch, unsigned long long id, long timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    char *nl;
    while ((nl = memchr(inbuf, '\n', inlen)) != NULL) {
      *nl = 0;
      char want[64];
      int verdict = -2;
      snprintf(want, sizeof want, "%llu allow", id);
      if (strcmp(inbuf, want) == 0) verdict = 1;
      snprintf(want, sizeof want, "%llu deny", id);
      if (strcmp(inbuf, want) == 0) verdict = 0;
      size_t used = (size_t)(nl - inbuf) + 1;
      memmove(inbuf, inbuf + used, inlen - used);
      inlen -= used;
      /* invariant: only the exact answer to this request counts; a late answer to an earlier one is dropped. */
      if (verdict >= 0) return verdict;
    }
    if (inlen == sizeof inbuf) return 0; /* a line longer than any answer: malformed */
    long long left = deadline - now_ms();
    if (left <= 0) return 0;
    struct pollfd p = {.fd = ch, .events = POLLIN};
    int r = poll(&p, 1, (int)left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    ssize_t n = read(ch, inbuf + inlen, sizeof inbuf - inlen);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    inlen += (size_t)n;
  }
}

static int respond_errno(int listener, uint64_t id, int err) {
  struct seccomp_notif_resp resp;
  memset(&resp, 0, sizeof resp);
  resp.id = id;
  resp.error = -err;
  return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* ENOENT or ENOTDIR when the program file is not there for the calling process; 0 otherwise. */
static int missing_errno(pid_t pid, int execveat, int dirfd, const char *dir, const char *path, size_t plen) {
  if (plen == 0) return 0; /* execveat(fd, "", AT_EMPTY_PATH): the descriptor itself */
  char base[64];
  if (path[0] == '/') snprintf(base, sizeof base, "/");
  else if (execveat && dirfd != AT_FDCWD && dir[0] != 0) snprintf(base, sizeof base, "/proc/%d/fd/%d", pid, dirfd);
  else snprintf(base, sizeof base, "/proc/%d/cwd", pid);
  int bfd = open(base, O_PATH | O_CLOEXEC);
  if (bfd < 0) return 0;
  struct stat st;
  int r = fstatat(bfd, path, &st, 0);
  int e = errno;
  close(bfd);
  if (r == 0) return 0;
  return e == ENOENT || e == ENOTDIR ? e : 0;
}

static int respond(int listener, uint64_t id, int allow) {
  struct seccomp_notif_resp resp;
  memset(&resp, 0, sizeof resp);
  resp.id = id;
  if (allow) resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  else resp.error = -EPERM;
  return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

int main(int argc, char **argv) {
  struct options o;
  parse(argc, argv, &o);
  signal(SIGPIPE, SIG_IGN);
  fcntl(o.channel, F_SETFD, FD_CLOEXEC);
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) die("socketpair");
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    close(sp[0]);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("no_new_privs");
    struct landlock_state ll;
    apply_landlock(&o, &ll);
    if (o.landlock == 2 && !ll.fs) {
      fprintf(stderr, "warden-supervise: Landlock is required but not in force: %s\n", ll.error[0] ? ll.error : "unknown");
      _exit(125);
    }
    int listener = install_filter();
    if (listener < 0) die("seccomp user notification");
    send_fd(sp[1], listener, &ll, sizeof ll);
    close(listener);
    close(sp[1]);
    execv(o.argv[0], o.argv);
    fprintf(stderr, "warden-supervise: exec %s: %s\n", o.argv[0], strerror(errno));
    _exit(127);
  }
  close(sp[1]);
  /* invariant: the supervisor's descriptors (the channel) are out of the sandbox's reach: not dumpable means /proc/<pid>/fd and mem are root-owned and closed to processes without CAP_SYS_PTRACE. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  struct landlock_state ll;
  int listener = recv_fd(sp[0], &ll, sizeof ll);
  close(sp[0]);
  if (listener < 0) {
    int status = 0;
    waitpid(child, &status, 0);
    _exit(WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 125);
  }
  {
    struct buf b = {0};
    char num[64];
    puts_(&b, "{\"type\":\"ready\",\"landlock\":{\"abi\":");
    snprintf(num, sizeof num, "%d", ll.abi);
    puts_(&b, num);
    puts_(&b, ll.fs ? ",\"fs\":true" : ",\"fs\":false");
    puts_(&b, ll.net ? ",\"net\":true" : ",\"net\":false");
    puts_(&b, ll.scoped ? ",\"scoped\":true" : ",\"scoped\":false");
    puts_(&b, ",\"error\":");
    put_json(&b, ll.error, strlen(ll.error));
    puts_(&b, "}}\n");
    if (b.over || write_all(o.channel, b.p, b.len) < 0) {
      /* Nobody to decide: nothing runs. */
      kill(child, SIGKILL);
      _exit(125);
    }
    free(b.p);
  }
  int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
  if (pidfd < 0) die("pidfd_open");
  struct seccomp_notif_sizes sizes;
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) die("seccomp notif sizes");
  struct seccomp_notif *req = calloc(1, sizes.seccomp_notif > sizeof *req ? sizes.seccomp_notif : sizeof *req);
  char *argbuf = malloc(MAX_ARGV_BYTES + 1);
  if (req == NULL || argbuf == NULL) die("malloc");
  int channel_open = 1;
  int initial_done = 0;
  unsigned long long next_id = 0;
  for (;;) {
    struct pollfd p[2] = {{.fd = listener, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
    int r = poll(p, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die("poll");
    if (p[0].revents & POLLIN) {
      memset(req, 0, sizes.seccomp_notif);
      if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
        if (errno == EINTR || errno == ENOENT) continue;
        die("seccomp notification receive");
      }
      unsigned long long id = ++next_id;
      int execveat = req->data.nr == __NR_execveat;
      uint64_t path_addr = execveat ? req->data.args[1] : req->data.args[0];
      uint64_t argv_addr = execveat ? req->data.args[2] : req->data.args[1];
      int dirfd = execveat ? (int)req->data.args[0] : AT_FDCWD;
      int flags = execveat ? (int)req->data.args[4] : 0;
      char file[64];
      static char path[PATH_MAX], cwd[PATH_MAX], dir[PATH_MAX];
      const char *why = NULL;
      struct buf b = {0};
      snprintf(file, sizeof file, "/proc/%d/mem", req->pid);
      int mem = open(file, O_RDONLY | O_CLOEXEC);
      ssize_t plen = -1;
      if (mem < 0) why = "unreadable";
      else plen = read_string(mem, path_addr, path, sizeof path);
      if (why == NULL && plen < 0) why = plen == -2 ? "oversized" : "unreadable";
      snprintf(file, sizeof file, "/proc/%d/cwd", req->pid);
      if (why == NULL && read_link(file, cwd, sizeof cwd) < 0) why = "unreadable";
      dir[0] = 0;
      if (why == NULL && execveat && dirfd != AT_FDCWD && (path[0] != '/' || plen == 0)) {
        snprintf(file, sizeof file, "/proc/%d/fd/%d", req->pid, dirfd);
        if (read_link(file, dir, sizeof dir) < 0) why = "unreadable";
      }
      char num[96];
      snprintf(num, sizeof num, "{\"type\":\"exec\",\"id\":%llu,\"pid\":%u,\"syscall\":\"%s\"", id, req->pid, execveat ? "execveat" : "execve");
      puts_(&b, num);
      if (why == NULL) {
        puts_(&b, ",\"path\":");
        put_json(&b, path, (size_t)plen);
        puts_(&b, ",\"cwd\":");
        put_json(&b, cwd, strlen(cwd));
        if (execveat) {
          puts_(&b, ",\"dir\":");
          if (dirfd == AT_FDCWD || dir[0] == 0) puts_(&b, "null");
          else put_json(&b, dir, strlen(dir));
          snprintf(num, sizeof num, ",\"flags\":%d", flags);
          puts_(&b, num);
        }
        puts_(&b, ",\"argv\":[");
        size_t total = 0;
        for (int i = 0;; i++) {
          uint64_t ptr = 0;
          if (argv_addr == 0) break;
          if (pread(mem, &ptr, sizeof ptr, (off_t)(argv_addr + (uint64_t)i * sizeof ptr)) != (ssize_t)sizeof ptr) {
            why = "unreadable";
            break;
          }
          if (ptr == 0) break;
          if (i >= MAX_ARGS) {
            why = "oversized";
            break;
          }
          ssize_t n = read_string(mem, ptr, argbuf, MAX_ARGV_BYTES - total + 1 > 0 ? MAX_ARGV_BYTES - total + 1 : 1);
          if (n < 0) {
            why = n == -2 ? "oversized" : "unreadable";
            break;
          }
          total += (size_t)n + 1;
          if (total > MAX_ARGV_BYTES) {
            why = "oversized";
            break;
          }
          if (i > 0) puts_(&b, ",");
          put_json(&b, argbuf, (size_t)n);
        }
        puts_(&b, "]");
      }
      if (mem >= 0) close(mem);
      if (b.over && why == NULL) why = "oversized";
      /* invariant: what was read belongs to the process that asked: the notification is still pending (its pid was not reused meanwhile). */
      if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0) {
        free(b.p);
        continue;
      }
      int initial = !initial_done && (pid_t)req->pid == child;
      if (initial) initial_done = 1;
      int allow = 0;
      int missing = why == NULL && !initial ? missing_errno(req->pid, execveat, dirfd, dir, path, (size_t)plen) : 0;
      if (missing != 0) {
        /* Nothing to run there (a shell or execvp trying each PATH directory): never continued,
           so a file created meanwhile still does not run. Warden is asked all the same, so that a
           program the policy denies is refused (EPERM) and recorded even where it is absent;
           otherwise the answer is the kernel's own error. */
        int err = missing;
        snprintf(num, sizeof num, ",\"missing\":%d}\n", missing);
        puts_(&b, num);
        if (channel_open) {
          if (b.over || write_all(o.channel, b.p, b.len) < 0) channel_open = 0;
          else {
            int v = await_answer(o.channel, id, o.timeout_ms);
            if (v < 0) channel_open = 0;
            if (v != 1) err = EPERM;
          }
        }
        free(b.p);
        if (respond_errno(listener, req->id, err) < 0 && errno != ENOENT) die("seccomp notification answer");
        continue;
      } else if (why != NULL) {
        /* Denied here; Warden is told, so the record says why. */
        struct buf e = {0};
        snprintf(num, sizeof num, "{\"type\":\"exec\",\"id\":%llu,\"pid\":%u,\"error\":\"%s\"}\n", id, req->pid, why);
        puts_(&e, num);
        if (channel_open && write_all(o.channel, e.p, e.len) < 0) channel_open = 0;
        free(e.p);
      } else if (initial) {
        /* The command Warden decided before the run: allowed, reported. */
        puts_(&b, ",\"initial\":true}\n");
        allow = 1;
        if (channel_open && (b.over || write_all(o.channel, b.p, b.len) < 0)) channel_open = 0;
      } else if (channel_open) {
        puts_(&b, "}\n");
        if (b.over || write_all(o.channel, b.p, b.len) < 0) channel_open = 0;
        else {
          int v = await_answer(o.channel, id, o.timeout_ms);
          if (v < 0) channel_open = 0;
          allow = v == 1;
        }
      }
      free(b.p);
      /* ENOENT: the process died meanwhile; nothing to answer. */
      if (respond(listener, req->id, allow) < 0 && errno != ENOENT) die("seccomp notification answer");
    }
    if (p[1].revents & POLLIN) {
      int status = 0;
      if (waitpid(child, &status, 0) == child) {
        if (WIFSIGNALED(status)) _exit(128 + WTERMSIG(status));
        _exit(WEXITSTATUS(status));
      }
    }
  }
}
