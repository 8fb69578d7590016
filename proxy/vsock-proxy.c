/* vsock-proxy: an ssh ProxyCommand that connects to a VM over vsock (or a
 * Unix socket, or a hybrid-vsock muxer) and either passes the connected socket
 * to ssh (--fdpass, for ProxyUseFdpass) or relays bytes both ways. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/vm_sockets.h>

#include "fdutil.h"
#include "names.h"
#include "util.h"

#ifndef VS_VERSION
#define VS_VERSION "unknown"
#endif

/* The reserved vsock ports tried, from the top down, as rresvport(3) does:
 * a guest sees a source port of 1023 or less only from a process its host
 * kernel let bind one (CAP_NET_BIND_SERVICE). */
#define RESERVED_PORT_HIGH 1023u
#define RESERVED_PORT_LOW 512u
/* Set in the environment of the privileged copy we exec, so that a copy
 * that lacks the capability after all never execs itself again. */
#define REEXEC_ENV "VSOCK_PROXY_REEXEC"

#define RELAY_CHUNK (256 * 1024)
#define RELAY_PIPE_SIZE (1024 * 1024)
#define MUX_LINE_MAX 128

static const char *prog = "vsock-proxy";

static int errorf(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "vsock-proxy: <message>[: <strerror>]" and returns -1. err is a
 * positive errno or 0. */
static int errorf(int err, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (err != 0)
        fprintf(stderr, ": %s", strerror(err));
    fputc('\n', stderr);
    return -1;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: %s [--fdpass] [--timeout SEC] TARGET [PORT]\n"
        "\n"
        "Connects ssh to a virtual machine over vsock. TARGET is one of:\n"
        "  CID, vsock/CID, vsock%%CID        AF_VSOCK, PORT defaults to 22\n"
        "  unix/PATH, unix%%PATH, unix:PATH   a Unix socket (PORT is ignored)\n"
        "  vsock-mux/PATH, vsock-mux%%PATH    hybrid vsock (Firecracker, cloud-hypervisor)\n"
        "  NAME, vm/NAME, vm%%NAME            a VM by name: " VP_NAMES_FILE "\n"
        "                                    (NAME TARGET [PORT] lines; " VP_NAMES_ENV "=FILE\n"
        "                                    reads another), then libvirt: qemu:///system,\n"
        "                                    then qemu:///session if not root (or the one URI\n"
        "                                    in " VP_LIBVIRT_URI_ENV "), by name, UUID or ID\n"
        "  qemu/NAME, qemu:system/NAME,      libvirt's own forms: libvirt only (system then\n"
        "  qemu:session/NAME                 session; system only; session only)\n"
        "\n"
        "scp, rsync, sftp, sshfs and git read a '/' before the ':' as a local path, and\n"
        "the first ':' as the end of the host name: with them use vsock%%CID or vm%%NAME.\n"
        "\n"
        "  --fdpass        pass the connected socket to ssh (ProxyUseFdpass yes) and exit\n"
        "  --timeout SEC   give up connecting after SEC seconds\n"
        "  --help, --version\n"
        "\n"
        "Example: ssh -o ProxyCommand='%s --fdpass %%n %%p' -o ProxyUseFdpass=yes vsock/3\n"
        "Exit status: 0 connected (or passed on), 1 cannot connect (also a VM that is not running\n"
        "or has no vsock device), 2 bad arguments, an unknown name, a malformed names file.\n",
        prog, prog);
}

/* Milliseconds left until deadline_ms (vs_now_ms() time), -1 for none. */
static int remaining_ms(int64_t deadline_ms)
{
    if (deadline_ms < 0)
        return -1;
    int64_t ms = deadline_ms - vs_now_ms();
    return ms < 0 ? 0 : (int)ms;
}

static void describe(const struct vp_target *t, char *buf, size_t len)
{
    switch (t->kind) {
    case VP_TARGET_VSOCK:
        snprintf(buf, len, "vsock CID %u port %u", t->cid, t->port);
        break;
    case VP_TARGET_UNIX:
        snprintf(buf, len, "%s", t->path);
        break;
    case VP_TARGET_VSOCK_MUX:
        snprintf(buf, len, "hybrid vsock %s port %u", t->path, t->port);
        break;
    case VP_TARGET_NAME:
        snprintf(buf, len, "VM %s port %u", t->name, t->port);
        break;
    }
}

/* Explains a failed connect() in the words of the target kind. */
static int connect_error(const struct vp_target *t, int err)
{
    char what[160];
    describe(t, what, sizeof(what));
    switch (err) {
    case ENODEV:
    case EHOSTUNREACH:
    case ENETUNREACH:
        if (t->kind == VP_TARGET_VSOCK)
            return errorf(0, "no such CID %u (is the VM running, with a vsock device?)", t->cid);
        break;
    case ECONNREFUSED:
    case ECONNRESET:
        if (t->kind == VP_TARGET_VSOCK)
            return errorf(0, "nothing is listening on port %u of CID %u", t->port, t->cid);
        struct stat st;
        if (stat(t->path, &st) == 0 && !S_ISSOCK(st.st_mode))
            return errorf(0, "%s is not a socket", t->path);
        return errorf(0, "nothing is listening on %s", t->path);
    case ENOENT:
        return errorf(0, "%s: no such socket", t->path);
    case ETIMEDOUT:
        return errorf(0, "timed out connecting to %s", what);
    }
    return errorf(err, "cannot connect to %s", what);
}

/* ---- privileged source ports -------------------------------------------- */

static int vsock_socket(void)
{
    return socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

/* Whether CAP_NET_BIND_SERVICE is in our permitted set. */
static bool may_bind_reserved(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {{0}};
    if (syscall(SYS_capget, &h, d) < 0)
        return false;
    return (d[CAP_TO_INDEX(CAP_NET_BIND_SERVICE)].permitted & CAP_TO_MASK(CAP_NET_BIND_SERVICE)) !=
           0;
}

/* Lets go of every capability, for good (an ordinary user's copy given
 * cap_net_bind_service is then that user again).  Returns 0 or -errno. */
static int drop_capabilities(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {{0}};
    (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (syscall(SYS_capset, &h, d) < 0)
        return -errno;
    if (syscall(SYS_capget, &h, d) < 0)
        return -errno;
    for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
        if (d[i].permitted != 0 || d[i].effective != 0 || d[i].inheritable != 0)
            return -EPERM;
    return 0;
}

/* A vsock socket bound to a free reserved port, highest first.  Returns
 * the socket, or -1 when none could be had (no capability after all, as
 * in a user namespace, or every port in use: said on stderr), and the
 * connection then comes from an ordinary port. */
static int bind_reserved(void)
{
    VS_CLEANUP_CLOSE int fd = vsock_socket();
    if (fd < 0)
        return -1; /* connect_target() says why */
    for (unsigned port = RESERVED_PORT_HIGH; port >= RESERVED_PORT_LOW; port--) {
        struct sockaddr_vm a = {
            .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port};
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
            return VS_TAKE_FD(fd);
        if (errno == EACCES || errno == EPERM)
            return -1;
        if (errno != EADDRINUSE)
            return errorf(errno, "warning: cannot bind a reserved vsock port");
    }
    errorf(0,
           "warning: every reserved vsock port (%u-%u) is in use: connecting from an "
           "unprivileged one",
           RESERVED_PORT_LOW, RESERVED_PORT_HIGH);
    return -1;
}

/* An ordinary user without the capability: the packages' privileged copy
 * (VP_PRIVILEGED_PROXY, runnable by group vsock-ssh only) does the work
 * instead, where this user may run it.  Returns only if it cannot. */
static void exec_privileged_copy(char **argv)
{
#ifdef VP_PRIVILEGED_PROXY
    if (getenv(REEXEC_ENV) != NULL || access(VP_PRIVILEGED_PROXY, X_OK) != 0)
        return;
    char *argv0 = argv[0];
    argv[0] = (char *)VP_PRIVILEGED_PROXY; /* what ps shows is what runs */
    if (setenv(REEXEC_ENV, "1", 1) == 0)
        execv(VP_PRIVILEGED_PROXY, argv);
    argv[0] = argv0;
    unsetenv(REEXEC_ENV);
#else
    (void)argv;
#endif
}

/* For a target that may be vsock (a CID, or a name that may resolve to
 * one): a socket bound to a reserved port if this process may bind one,
 * else -1.  Then, whatever happened, an ordinary user's process holds no
 * capability any more: nothing after this (names files, libvirt, the
 * relay) runs privileged.  Returns -2 when the capabilities could not be
 * dropped (said on stderr). */
static int privileged_source(const struct vp_target *t, char **argv)
{
    int fd = -1;
    bool maybe_vsock = t->kind == VP_TARGET_VSOCK || t->kind == VP_TARGET_NAME;
    if (maybe_vsock) {
        if (!may_bind_reserved())
            exec_privileged_copy(argv);
        else
            fd = bind_reserved();
    }
    if (getuid() != 0) {
        int r = drop_capabilities();
        if (r < 0) {
            vs_close(fd);
            errorf(-r, "cannot drop capabilities");
            return -2;
        }
    }
    return fd;
}

/* Connects with an optional deadline; a vsock target through bound_fd
 * when it is >= 0 (a socket bound to a reserved port, taken over).
 * Returns the connected (blocking) fd or -1 after printing the reason. */
static int connect_target(const struct vp_target *t, int bound_fd, int64_t deadline)
{
    VS_CLEANUP_CLOSE int bound = bound_fd;
    VS_CLEANUP_CLOSE int fd = -1;
    union {
        struct sockaddr sa;
        struct sockaddr_un un;
        struct sockaddr_vm vm;
    } addr = {0};
    socklen_t addrlen;

    if (t->kind == VP_TARGET_VSOCK) {
        /* Named with the target: what a name resolved to shows (the test
         * suite, whose filter makes every kernel look like this, relies
         * on it). */
        fd = bound >= 0 ? VS_TAKE_FD(bound) : vsock_socket();
        if (fd < 0 && (errno == EAFNOSUPPORT || errno == EINVAL))
            return errorf(0,
                          "cannot connect to CID %u port %u: this kernel has no vsock support "
                          "(on a host load vhost_vsock, in a guest the virtio vsock transport)",
                          t->cid, t->port);
        addr.vm.svm_family = AF_VSOCK;
        addr.vm.svm_cid = t->cid;
        addr.vm.svm_port = t->port;
        addrlen = sizeof(addr.vm);
    } else {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        addr.un.sun_family = AF_UNIX;
        memcpy(addr.un.sun_path, t->path, strlen(t->path) + 1);
        addrlen = sizeof(addr.un);
    }
    if (fd < 0)
        return errorf(errno, "cannot create socket");

    if (connect(fd, &addr.sa, addrlen) < 0) {
        if (errno != EINPROGRESS && errno != EAGAIN)
            return connect_error(t, errno);
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int r;
        while ((r = poll(&p, 1, remaining_ms(deadline))) < 0 && errno == EINTR)
            ;
        if (r < 0)
            return errorf(errno, "poll");
        if (r == 0)
            return connect_error(t, ETIMEDOUT);
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            return errorf(errno, "getsockopt");
        if (err != 0)
            return connect_error(t, err);
    }
    /* The rest of the work (handshake, relay) picks its own modes. */
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
        return errorf(errno, "fcntl");
    return VS_TAKE_FD(fd);
}

/* Hybrid vsock: "CONNECT <port>\n", then exactly one "OK ...\n" line, read byte
 * by byte so that nothing of the stream behind it is consumed. */
static int mux_handshake(int fd, const struct vp_target *t, int64_t deadline)
{
    char line[MUX_LINE_MAX];
    int n = snprintf(line, sizeof(line), "CONNECT %u\n", t->port);
    size_t len = 0;

    if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != n)
        return errorf(errno, "hybrid vsock %s: cannot send CONNECT", t->path);
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, remaining_ms(deadline));
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return errorf(0, "hybrid vsock %s: timed out waiting for the muxer's answer", t->path);
        char c;
        ssize_t got = read(fd, &c, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && errno != ECONNRESET)
            return errorf(errno, "hybrid vsock %s: read", t->path);
        if (got <= 0)
            return errorf(0,
                          "hybrid vsock %s: the muxer closed the connection without OK "
                          "(is anything listening on guest port %u?)",
                          t->path, t->port);
        if (c == '\n')
            break;
        if (len + 1 >= sizeof(line))
            return errorf(0, "hybrid vsock %s: the muxer's answer is too long", t->path);
        line[len++] = c;
    }
    line[len] = '\0';
    if (vp_mux_answer(line) < 0) {
        char shown[MUX_LINE_MAX];
        vs_printable(shown, sizeof(shown), line); /* the muxer's bytes, on a terminal */
        return errorf(0, "hybrid vsock %s: the muxer refused: '%s'", t->path, shown);
    }
    return 0;
}

/* Passes fd to ssh over stdout: one data byte with SCM_RIGHTS, as
 * ProxyUseFdpass requires. */
static int pass_fd(int fd)
{
    char byte = 0;
    int r = vs_send_with_fd(STDOUT_FILENO, &byte, 1, fd);
    if (r == -ENOTSOCK)
        return errorf(0, "--fdpass needs ssh's ProxyUseFdpass yes (stdout is not a socket)");
    if (r < 0)
        return errorf(-r, "cannot pass the connection to ssh");
    return 0;
}

/* One direction of the relay. splice() moves bytes without copying them
 * through user space whenever one side is a pipe (ssh gives us pipes);
 * otherwise read()/write() through a fixed buffer. */
struct direction {
    int src, dst;
    bool use_splice;
    bool blocked; /* splice: the destination is full, wait for it */
    bool done;
    char *buf;
    size_t len, off;
};

static bool is_pipe(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* Moves what is available. woke_for_dst tells which readiness brought us
 * here: a splice() EAGAIN on the first attempt then means the other end is
 * the one to wait for (an empty source or a full destination look alike).
 * Returns 1 on EOF of src (all data delivered), 2 when the reader of dst went
 * away, 0 to continue, -1 on error (printed). */
static int pump(struct direction *d, bool woke_for_dst)
{
    for (bool first = true;; first = false) {
        if (d->use_splice) {
            ssize_t n =
                splice(d->src, NULL, d->dst, NULL, RELAY_CHUNK, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0)
                continue;
            if (n == 0)
                return 1;
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                d->blocked = first && !woke_for_dst;
                return 0;
            }
            if (errno == EINVAL || errno == ENOSYS) {
                d->use_splice = false; /* e.g. a socket family without splice support */
                continue;
            }
            if (errno == EPIPE)
                return 2;
            return errorf(errno, "relay");
        }
        if (d->len > d->off) {
            ssize_t n = write(d->dst, d->buf + d->off, d->len - d->off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                return 0;
            if (n < 0 && errno == EPIPE)
                return 2;
            if (n < 0)
                return errorf(errno, "relay: write");
            d->off += (size_t)n;
            continue;
        }
        d->len = d->off = 0;
        if (d->buf == NULL && (d->buf = malloc(RELAY_CHUNK)) == NULL)
            return errorf(ENOMEM, "relay");
        ssize_t n = read(d->src, d->buf, RELAY_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n < 0)
            return errorf(errno, "relay: read");
        if (n == 0)
            return 1;
        d->len = (size_t)n;
    }
}

/* Whether d waits for its destination to drain rather than for input. */
static bool waits_for_dst(const struct direction *d)
{
    return d->use_splice ? d->blocked : d->len > d->off;
}

static int relay(int sock)
{
    struct direction up = {.src = STDIN_FILENO, .dst = sock};
    struct direction down = {.src = sock, .dst = STDOUT_FILENO};
    int rc = 0;

    up.use_splice = is_pipe(STDIN_FILENO);
    down.use_splice = is_pipe(STDOUT_FILENO);
    /* Bigger pipes mean fewer wake-ups of ssh and of us per megabyte (the
     * default 64 KiB holds a quarter of one splice).  Best effort: the
     * limit is /proc/sys/fs/pipe-max-size. */
    if (up.use_splice)
        (void)fcntl(STDIN_FILENO, F_SETPIPE_SZ, RELAY_PIPE_SIZE);
    if (down.use_splice)
        (void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, RELAY_PIPE_SIZE);
    if (vs_set_nonblock(STDIN_FILENO) < 0 || vs_set_nonblock(STDOUT_FILENO) < 0 ||
        vs_set_nonblock(sock) < 0)
        return errorf(errno, "fcntl");

    while (!up.done || !down.done) {
        struct pollfd p[2];
        struct direction *owner[2];
        int n = 0;
        struct direction *dirs[2] = {&up, &down};
        for (int i = 0; i < 2; i++) {
            struct direction *d = dirs[i];
            if (d->done)
                continue;
            if (waits_for_dst(d))
                p[n] = (struct pollfd){.fd = d->dst, .events = POLLOUT};
            else
                p[n] = (struct pollfd){.fd = d->src, .events = POLLIN};
            owner[n++] = d;
        }
        if (poll(p, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            rc = errorf(errno, "poll");
            break;
        }
        for (int i = 0; i < n; i++) {
            struct direction *d = owner[i];
            if (p[i].revents == 0 || d->done)
                continue;
            int r = pump(d, p[i].events == POLLOUT);
            if (r < 0) {
                rc = -1;
                goto out;
            }
            if (r == 2) /* ssh (or the server) stopped reading: nothing left to do */
                goto out;
            if (r == 1) {
                d->done = true;
                /* Half-close: the peer sees EOF, the other direction goes on. */
                if (d == &up)
                    shutdown(sock, SHUT_WR);
                else
                    close(STDOUT_FILENO);
            }
        }
    }
out:
    free(up.buf);
    free(down.buf);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"fdpass", no_argument, NULL, 'f'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {0},
    };
    bool fdpass = false;
    uint32_t timeout = 0;
    struct vp_target target;
    const char *why;
    int c;

    while ((c = getopt_long(argc, argv, "+", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            fdpass = true;
            break;
        case 't':
            if (vs_parse_u32(optarg, 86400, &timeout) < 0 || timeout == 0) {
                errorf(0, "--timeout: '%s': expected seconds from 1 to 86400", optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("vsock-proxy %s\n", VS_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind < 1 || argc - optind > 2) {
        usage(stderr);
        return 2;
    }
    if (vp_target_parse(argv[optind], argv[optind + 1], &target, &why) < 0) {
        errorf(0, "'%s%s%s': %s", argv[optind], argv[optind + 1] ? " " : "",
               argv[optind + 1] ? argv[optind + 1] : "", why);
        return 2;
    }
    /* Before any file is read: the reserved port, then no capability. */
    VS_CLEANUP_CLOSE int bound = privileged_source(&target, argv);
    if (bound == -2)
        return 1;
    /* (Before libvirt, which may write to a daemon that went away.) */
    signal(SIGPIPE, SIG_IGN);
    if (target.kind == VP_TARGET_NAME) {
        /* A port in the names file stands in for ssh's default 22; any
         * other port on the command line (ssh -p) wins over it. */
        uint32_t asked = target.port;
        char why_name[1024];
        int r = vp_names_resolve(target.name, target.scope, &target, why_name, sizeof(why_name));
        if (r < 0) {
            errorf(0, "%s", why_name);
            return r == -EHOSTDOWN ? 1 : 2; /* a VM that is there, without a CID to reach */
        }
        if (target.port == 0 || asked != 22)
            target.port = asked;
    }

    int64_t deadline = timeout > 0 ? vs_now_ms() + (int64_t)timeout * 1000 : -1;
    VS_CLEANUP_CLOSE int fd = connect_target(&target, VS_TAKE_FD(bound), deadline);
    if (fd < 0)
        return 1;
    if (target.kind == VP_TARGET_VSOCK_MUX && mux_handshake(fd, &target, deadline) < 0)
        return 1;
    if (fdpass)
        return pass_fd(fd) < 0 ? 1 : 0;
    return relay(fd) < 0 ? 1 : 0;
}
