#include "activation.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdutil.h"
#include "log.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* A decimal number without sign, spaces or leading zeros' ambiguity
 * ("007" is 7, as systemd reads it); false on anything else or overflow. */
static bool parse_decimal(const char *s, uint64_t limit, uint64_t *out)
{
    uint64_t v = 0;

    if (s == NULL || *s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > limit)
            return false;
    }
    *out = v;
    return true;
}

int vs_activation_parse(const char *listen_pid, const char *listen_fds, pid_t self, unsigned max,
                        const char **why)
{
    uint64_t pid, n;

    if (listen_pid == NULL)
        return 0;
    if (!parse_decimal(listen_pid, INT32_MAX, &pid) || pid == 0) {
        *why = "LISTEN_PID is not a process ID";
        return -EINVAL;
    }
    if (pid != (uint64_t)self)
        return 0; /* inherited by a process it was not meant for */
    if (listen_fds == NULL) {
        *why = "LISTEN_PID is set but LISTEN_FDS is not";
        return -EINVAL;
    }
    if (!parse_decimal(listen_fds, INT32_MAX, &n)) {
        *why = "LISTEN_FDS is not a number";
        return -EINVAL;
    }
    if (n == 0) {
        *why = "LISTEN_FDS is 0: no socket was passed";
        return -EINVAL;
    }
    if (n > max) {
        *why = "LISTEN_FDS: more sockets than vsock-sshd can listen on";
        return -EINVAL;
    }
    return (int)n;
}

static int sockopt(int fd, int opt)
{
    int v = -1;
    socklen_t len = sizeof(v);

    if (getsockopt(fd, SOL_SOCKET, opt, &v, &len) < 0)
        return -errno;
    return v;
}

/* Whether fd is what vsock-sshd can serve; logs why not. */
static int check_socket(int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return log_error_errno(-errno, "socket activation: descriptor %d", fd);
    if (!S_ISSOCK(st.st_mode)) {
        log_error("socket activation: descriptor %d is not a socket", fd);
        return -ENOTSOCK;
    }
    int domain = sockopt(fd, SO_DOMAIN), type = sockopt(fd, SO_TYPE);
    if (domain != AF_VSOCK && domain != AF_UNIX) {
        log_error("socket activation: descriptor %d is neither a vsock nor a Unix socket "
                  "(ListenStream=vsock::PORT or a path)",
                  fd);
        return -EAFNOSUPPORT;
    }
    if (type != SOCK_STREAM) {
        log_error("socket activation: descriptor %d is not a stream socket (ListenStream=)", fd);
        return -EPROTOTYPE;
    }
    if (sockopt(fd, SO_ACCEPTCONN) != 1) {
        log_error("socket activation: descriptor %d is not listening (the socket unit must "
                  "have Accept=no to start vsock-sshd -D; Accept=yes runs vsock-sshd -i)",
                  fd);
        return -EINVAL;
    }
    return 0;
}

int vs_activation_take(int *fds, unsigned max)
{
    const char *why = NULL;
    int n = vs_activation_parse(getenv("LISTEN_PID"), getenv("LISTEN_FDS"), getpid(), max, &why);

    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (n < 0) {
        log_error("socket activation: %s", why);
        return n;
    }
    for (int i = 0; i < n; i++) {
        int fd = VS_LISTEN_FDS_START + i, r = check_socket(fd);
        if (r == 0 && (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || vs_set_nonblock(fd) < 0))
            r = log_error_errno(-errno, "socket activation: descriptor %d", fd);
        if (r < 0)
            return r;
        fds[i] = fd;
    }
    return n;
}
