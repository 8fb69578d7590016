#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <signal.h>
#include <unistd.h>
#include <utmp.h>

#include "fdutil.h"
#include "monitor.h"
#include "sftp_server.h"
#include "signals.h"
#include "user.h"
#include "util.h"

#define USER_PATH "/usr/local/bin:/usr/bin:/bin:/usr/games"
#define ROOT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- in the child, after fork ------------------------------------------ */

static void die(const char *what, int err) __attribute__((noreturn));
static void die(const char *what, int err)
{
    dprintf(STDERR_FILENO, "vsock-sshd: %s: %s\n", what, strerror(err));
    _exit(1);
}

/* The built-in SFTP server parses every request of the user in this
 * process, which no exec replaces (under ChrootDirectory there may be
 * nothing to exec): before it reads anything, every copy of the host keys
 * it inherited goes.  libssh burns a key as it frees it (ssh_key_free,
 * explicit_bzero of the private parts); ssh_free() also burns the session's
 * cipher keys and only close()s our copy of the SSH socket, as
 * ssh_bind_free() does its listening socket, which a bind given to
 * ssh_bind_accept_fd() does not have: nothing is sent, nothing shut down,
 * and the connection's process goes on using both.  Done before the fds
 * are closed, so that the socket's number is still the socket.  What
 * loading the key files left in freed memory was cleared then, and keys
 * are generated in a process of their own (hostkey.c). */
static void forget_host_keys(const struct vs_spawn_req *r)
{
    ssh_free(r->ssh);
    ssh_bind_free(r->bind);
}

/* Confirms the identity the connection already took (become.h): its groups
 * are set (initgroups and PAM's, or the container's), so never initgroups
 * again, which would read NSS, in a container from its files. */
static void drop_privileges(const struct vs_user *u)
{
    int r = vs_privileges_drop(u, true);
    if (r < 0)
        die("cannot become the session user", -r);
}

/* Sets or replaces "NAME=value" in envp (n entries, room for max-1). */
static void env_set(char **envp, size_t *n, size_t max, char *entry)
{
    size_t len = strcspn(entry, "=");
    for (size_t i = 0; i < *n; i++)
        if (strncmp(envp[i], entry, len + 1) == 0) {
            envp[i] = entry;
            return;
        }
    if (*n + 1 < max)
        envp[(*n)++] = entry;
}

/* The login environment, then the client's accepted variables on top, as
 * OpenSSH's sshd applies AcceptEnv, then the PAM session's (pam_env,
 * pam_systemd's XDG_RUNTIME_DIR), which, as in sshd, may not set SSH_*.
 * Runs in the child: leaks do not matter. */
static void build_env(const struct vs_spawn_req *r, char **envp, size_t max)
{
    const struct vs_user *u = r->user;
    size_t n = 0;
    char *s;

#define SET(...)                                                                                   \
    do {                                                                                           \
        if (asprintf(&s, __VA_ARGS__) >= 0)                                                        \
            env_set(envp, &n, max, s);                                                             \
    } while (0)
    SET("HOME=%s", u->home);
    SET("USER=%s", u->name);
    SET("LOGNAME=%s", u->name);
    SET("SHELL=%s", u->shell);
    SET("PATH=%s", u->uid == 0 ? ROOT_PATH : USER_PATH);
    SET("MAIL=/var/mail/%s", u->name);
    SET("SSH_CONNECTION=%s", r->ssh_connection);
    if (r->original_command != NULL)
        SET("SSH_ORIGINAL_COMMAND=%s", r->original_command);
    SET("SSH_CLIENT=%s", r->ssh_client);
    if (r->auth_sock != NULL)
        SET("SSH_AUTH_SOCK=%s", r->auth_sock);
    if (r->pty_slave >= 0) {
        SET("SSH_TTY=%s", r->tty_name);
        SET("TERM=%s", r->term && *r->term ? r->term : "dumb");
    }
#undef SET
    for (unsigned i = 0; i < r->n_env; i++)
        env_set(envp, &n, max, r->env[i]);
    for (char *const *e = r->pam_env; e != NULL && *e != NULL; e++)
        if (strncmp(*e, "SSH_", 4) != 0 && strchr(*e, '=') != NULL)
            env_set(envp, &n, max, *e);
    envp[n] = NULL;
}

/* The fd at which a child keeps its parent's pidfd across close_range. */
#define PARENT_FD 3

static void child_exec(const struct vs_spawn_req *r, pid_t parent, int parent_fd, int in_fd,
                       int out_fd, int err_fd)
{
    const struct vs_user *u = r->user;
    char *envp[VS_MAX_ENV + VS_MAX_PAM_ENV + 16];
    char argv0[256];
    const char *base = strrchr(u->shell, '/');

    /* Every child, before anything else: one that execs holds them until
     * the exec, and in a container its PID is visible there. */
    forget_host_keys(r);
    vs_signals_reset_for_exec();
    if (r->pty_slave >= 0) {
        if (login_tty(r->pty_slave) < 0) /* setsid, controlling tty, fds 0-2 */
            die("login_tty", errno);
    } else {
        if (setsid() < 0)
            die("setsid", errno);
        if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
            die("dup2", errno);
    }
    /* A login on a PTY is in utmp before the user's first command runs;
     * the connection's process ends the record when it reaps this one
     * (session.c). */
    if (r->pty_slave >= 0)
        vs_monitor_record_start(r->login, getpid(), r->tty_name);
    /* Nothing of the server's (the connection socket, keys' files, other
     * sessions' pipes) may leak into user code: all goes but the parent's
     * pidfd, which goes below. */
    if (parent_fd >= 0 && dup2(parent_fd, PARENT_FD) < 0)
        die("dup2", errno);
    if (syscall(SYS_close_range, PARENT_FD + 1, ~0U, 0) < 0) /* musl has no wrapper */
        for (int fd = PARENT_FD + 1; fd < 65536; fd++)
            close(fd);
    if (parent_fd < 0)
        close(PARENT_FD);

    drop_privileges(u);
    /* If the connection process dies without hanging up (crash, SIGKILL),
     * the command gets the SIGHUP it would have sent.  Set after the drop,
     * which clears it. */
    if (prctl(PR_SET_PDEATHSIG, SIGHUP) < 0)
        die("prctl", errno);
    /* Gone already?  Its pidfd says, in a container too, where the parent
     * is outside the child's PID namespace and getppid() says 0 whether it
     * lives or not. */
    if (parent_fd >= 0) {
        struct pollfd gone = {.fd = PARENT_FD, .events = POLLIN};
        if (poll(&gone, 1, 0) != 0)
            _exit(129);
        close(PARENT_FD);
    } else if (getppid() != parent) {
        _exit(129); /* a kernel before pidfds (5.3): no container there */
    }

    if (r->internal_sftp) {
        /* No exec: this process still holds the connection's memory, less
         * the host keys (forget_host_keys).  The setuid above made it
         * non-dumpable; say so explicitly so that no later change can make
         * it readable. */
        if (prctl(PR_SET_DUMPABLE, 0) < 0)
            die("prctl", errno);
        if (chdir(u->home) < 0 && chdir("/") < 0)
            die("chdir /", errno);
        _exit(vs_sftp_serve(STDIN_FILENO, STDOUT_FILENO, u->home));
    }
    build_env(r, envp, VS_ARRAY_SIZE(envp));
    if (chdir(u->home) < 0) {
        dprintf(STDERR_FILENO, "Could not chdir to home directory %s: %s\n", u->home,
                strerror(errno));
        if (chdir("/") < 0)
            die("chdir /", errno);
    }
    base = base ? base + 1 : u->shell;
    if (r->command == NULL) {
        snprintf(argv0, sizeof(argv0), "-%s", base);
        char *const argv[] = {argv0, NULL};
        execve(u->shell, argv, envp);
    } else {
        snprintf(argv0, sizeof(argv0), "%s", base);
        char *const argv[] = {argv0, "-c", (char *)r->command, NULL};
        execve(u->shell, argv, envp);
    }
    dprintf(STDERR_FILENO, "vsock-sshd: %s: %s\n", u->shell, strerror(errno));
    _exit(127);
}

static int make_pipe(int p[2], int our_end)
{
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    int r = vs_set_nonblock(p[our_end]);
    if (r < 0) {
        p[0] = vs_close(p[0]);
        p[1] = vs_close(p[1]);
    }
    return r;
}

int vs_child_spawn(const struct vs_spawn_req *r, struct vs_spawned *out)
{
    int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1};
    int err = 0;
    pid_t pid;

    if (r->pty_slave < 0 && ((err = make_pipe(in, 1)) < 0 || (err = make_pipe(o, 0)) < 0 ||
                             (err = make_pipe(e, 0)) < 0))
        goto fail;
    /* The child's way to tell that we died before it could ask for
     * SIGHUP (pidfd_open's fds are close-on-exec). */
    pid_t parent = getpid();
    int parent_fd = (int)syscall(SYS_pidfd_open, parent, 0);
    if (parent_fd < 0 && errno != ENOSYS) {
        err = -errno;
        goto fail;
    }
    pid = fork();
    if (pid < 0) {
        err = -errno;
        parent_fd = vs_close(parent_fd);
        goto fail;
    }
    if (pid == 0)
        child_exec(r, parent, parent_fd, in[0], o[1], e[1]);
    vs_close(parent_fd);

    vs_close(in[0]);
    vs_close(o[1]);
    vs_close(e[1]);
    *out = (struct vs_spawned){.pid = pid, .in_fd = in[1], .out_fd = o[0], .err_fd = e[0]};
    return 0;
fail:
    for (int i = 0; i < 2; i++) {
        vs_close(in[i]);
        vs_close(o[i]);
        vs_close(e[i]);
    }
    return err;
}
