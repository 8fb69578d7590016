/* novsock: runs a command, and everything it starts, with AF_VSOCK out of
 * reach.  The development and CI machines are themselves VMs whose vsock
 * peer is someone else's infrastructure: no test may open or listen on
 * AF_VSOCK there.  CTest runs every test through this wrapper, and
 * tests/lib.sh re-executes a test run by hand under it.
 *
 *   novsock COMMAND [ARG]...   run COMMAND under the filter (exit 125 if it
 *                              cannot be installed, 126/127 if COMMAND
 *                              cannot be run)
 *   novsock --check            exit 0 if this process is already under such
 *                              a filter, 1 if not (creates no socket)
 *
 * The filter (seccomp BPF, inherited by every child, kept across execve,
 * setuid and file-capability programs and static binaries alike) makes
 * socket() and socketpair() with domain AF_VSOCK fail with EAFNOSUPPORT,
 * as on a kernel without vsock, and io_uring_setup() fail with ENOSYS (an
 * io_uring socket request would bypass the system call).  A system call
 * of another ABI (x32, i386) kills the process: its numbers differ.
 *
 * As root (CAP_SYS_ADMIN) the filter goes in without no_new_privs, so file
 * capabilities and set-user-ID still apply below it; otherwise the kernel
 * demands no_new_privs, which this sets, and then they do not (tests that
 * need them look at NoNewPrivs in /proc/self/status).
 *
 * --also-family N (for tests/unit/test_novsock.sh) blocks domain N as
 * well, so that the filter's logic can be seen working on a harmless
 * family before it is trusted with AF_VSOCK. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH AUDIT_ARCH_RISCV64
#else
#error "novsock: add this architecture's AUDIT_ARCH (and check it has no socketcall)"
#endif

/* The domain is an int: the kernel looks at the low 32 bits of the
 * argument only, so must the filter. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG0_LOW offsetof(struct seccomp_data, args[0])
#else
#define ARG0_LOW (offsetof(struct seccomp_data, args[0]) + 4)
#endif

/* Where each instruction sits: the jumps below are written as distances
 * between these, so they cannot go stale when an instruction is added. */
enum {
    P_LOAD_ARCH,
    P_ARCH,
    P_LOAD_NR,
#ifdef __x86_64__
    P_X32,
#endif
    P_SOCKET,
    P_SOCKETPAIR,
    P_URING,
    P_ALLOW_NR,
    P_LOAD_DOMAIN,
    P_VSOCK,
    P_ALSO,
    P_ALLOW_DOMAIN,
    P_AFNOSUPPORT,
    P_NOSYS,
    P_KILL,
    P_LEN
};
#define TO(from, to) ((to) - (from)-1)
#define JEQ(at, k, to) [at] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), TO(at, to), 0)

static int install(unsigned also_family)
{
    struct sock_filter f[P_LEN] = {
        [P_LOAD_ARCH] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        [P_ARCH] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 0, TO(P_ARCH, P_KILL)),
        [P_LOAD_NR] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef __x86_64__
        [P_X32] = BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, TO(P_X32, P_KILL), 0),
#endif
        JEQ(P_SOCKET, __NR_socket, P_LOAD_DOMAIN),
        JEQ(P_SOCKETPAIR, __NR_socketpair, P_LOAD_DOMAIN),
        JEQ(P_URING, __NR_io_uring_setup, P_NOSYS),
        [P_ALLOW_NR] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        [P_LOAD_DOMAIN] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LOW),
        JEQ(P_VSOCK, AF_VSOCK, P_AFNOSUPPORT),
        JEQ(P_ALSO, also_family, P_AFNOSUPPORT),
        [P_ALLOW_DOMAIN] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        [P_AFNOSUPPORT] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT),
        [P_NOSYS] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        [P_KILL] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    };
    struct sock_fprog prog = {.len = P_LEN, .filter = f};

    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0)
        return 0;
    if (errno != EACCES)
        return -errno;
    /* Not privileged: the kernel takes a filter only from a process that
     * can gain no privilege by execve. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
        return -errno;
    return 0;
}

/* Whether AF_VSOCK is filtered here, asked without any risk of creating a
 * socket: the kernel rejects the invalid type flags (EINVAL) before it
 * looks at the family, while a filter answers for the family first. */
static int filtered(int family)
{
    errno = 0;
    long r = syscall(SYS_socket, family, -1, 0);
    if (r >= 0) { /* cannot happen: flags -1 are never valid */
        close((int)r);
        return 0;
    }
    return errno == EAFNOSUPPORT;
}

int main(int argc, char **argv)
{
    unsigned also = AF_VSOCK;
    int i = 1;

    if (argc == 2 && strcmp(argv[1], "--check") == 0)
        return filtered(AF_VSOCK) ? 0 : 1;
    if (i + 1 < argc && strcmp(argv[i], "--also-family") == 0) {
        also = (unsigned)strtoul(argv[i + 1], NULL, 10);
        i += 2;
    }
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    if (i >= argc || argv[i][0] == '-') {
        fprintf(stderr, "usage: novsock [--check | [--] COMMAND [ARG]...]\n");
        return 125;
    }
    int r = install(also);
    if (r < 0) {
        fprintf(stderr, "novsock: cannot install the seccomp filter: %s\n", strerror(-r));
        return 125;
    }
    /* Trust it only once it is seen answering. */
    if (!filtered(AF_VSOCK) || !filtered((int)also)) {
        fprintf(stderr, "novsock: the seccomp filter does not answer for AF_VSOCK\n");
        return 125;
    }
    /* What tests/lib.sh looks for together with --check: another filter
     * that happens to refuse AF_VSOCK (systemd's RestrictAddressFamilies=,
     * say) need not cover io_uring or other ABIs, so only ours counts. */
    setenv("VS_NOVSOCK_ACTIVE", "1", 1);
    execvp(argv[i], argv + i);
    r = errno;
    fprintf(stderr, "novsock: cannot run %s: %s\n", argv[i], strerror(r));
    return r == ENOENT ? 127 : 126;
}
