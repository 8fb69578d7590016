#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "conn.h"
#include "fdutil.h"
#include "log.h"
#include "peer.h"
#include "signals.h"
#include "util.h"

/* A connection process (one per accepted connection); startup_fd is open
 * until it has authenticated. */
struct conn_proc {
    pid_t pid;
    int startup_fd;
    bool authenticated; /* it wrote its byte (EOF alone means it died first) */
    char peer[64];
};

struct listener_state {
    const struct vs_listener_params *p;
    int fds[VS_MAX_LISTEN];
    struct vs_listen_addr addrs[VS_MAX_LISTEN];
    unsigned n_fds;
    bool activated; /* the sockets are systemd's: never unlinked here */
    struct conn_proc *procs;
    size_t n_procs, cap_procs;
    unsigned n_startups; /* connection processes not yet authenticated */
    struct pollfd *pfd;  /* poll set, rebuilt each round */
    size_t *owner;       /* procs index for each startup fd in pfd */
};

static int open_unix(const struct vs_listen_addr *a)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct stat st;
    VS_CLEANUP_CLOSE int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd < 0)
        return -errno;
    memcpy(sun.sun_path, a->path, strlen(a->path) + 1);
    /* A socket file left by a previous run is replaced, but not one that a
     * running server still answers on, and never a file of another kind. */
    if (lstat(a->path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return -EEXIST;
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int in_use = probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0;
        vs_close(probe);
        if (in_use)
            return -EADDRINUSE;
        unlink(a->path);
    }
    mode_t old = umask(0177); /* the socket is created 0600 */
    int r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
    umask(old);
    if (r < 0)
        return -errno;
    if (chmod(a->path, 0600) < 0 || listen(fd, SOMAXCONN) < 0) {
        r = -errno;
        unlink(a->path);
        return r;
    }
    return VS_TAKE_FD(fd);
}

static int open_vsock(const struct vs_listen_addr *a)
{
    struct sockaddr_vm svm = {.svm_family = AF_VSOCK, .svm_cid = a->cid, .svm_port = a->port};
    VS_CLEANUP_CLOSE int fd = -1;

    fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&svm, sizeof(svm)) < 0 || listen(fd, SOMAXCONN) < 0)
        return -errno;
    return VS_TAKE_FD(fd);
}

static void close_listeners(struct listener_state *st)
{
    for (unsigned i = 0; i < st->n_fds; i++) {
        st->fds[i] = vs_close(st->fds[i]);
        if (st->addrs[i].kind == VS_LISTEN_UNIX && !st->activated)
            unlink(st->addrs[i].path);
    }
    st->n_fds = 0;
}

/* The address of a socket systemd passed, for the log. */
static void activated_name(int fd, char *name, size_t len)
{
    union {
        struct sockaddr sa;
        struct sockaddr_un sun;
        struct sockaddr_vm svm;
    } u = {0};
    socklen_t sl = sizeof(u);

    if (getsockname(fd, &u.sa, &sl) < 0) {
        snprintf(name, len, "descriptor %d", fd);
        return;
    }
    if (u.sa.sa_family != AF_UNIX) {
        struct vs_listen_addr a = {
            .kind = VS_LISTEN_VSOCK, .cid = u.svm.svm_cid, .port = u.svm.svm_port};
        vs_listen_format(&a, name, len);
        return;
    }
    /* A path is NUL-terminated unless it fills sun_path; an abstract name
     * starts with NUL and may hold any byte: "@" and its printable form. */
    size_t off = offsetof(struct sockaddr_un, sun_path), n = sl > off ? sl - off : 0, m = 0;
    char raw[sizeof(u.sun.sun_path) + 1], shown[sizeof(raw) + 4];
    bool abstract = n > 0 && u.sun.sun_path[0] == '\0';

    n = n < sizeof(u.sun.sun_path) ? n : sizeof(u.sun.sun_path);
    if (abstract) {
        for (size_t i = 1; i < n; i++)
            raw[m++] = u.sun.sun_path[i] != '\0' ? u.sun.sun_path[i] : '?';
    } else {
        m = strnlen(u.sun.sun_path, n);
        memcpy(raw, u.sun.sun_path, m);
    }
    raw[m] = '\0';
    vs_printable(shown, sizeof(shown), raw);
    snprintf(name, len, "unix:%s%s", abstract ? "@" : "", shown);
}

static int open_listeners(struct listener_state *st)
{
    const struct vs_config *c = st->p->cfg;
    const struct vs_listener_params *p = st->p;
    char name[160];

    if (p->n_activated > 0) {
        for (unsigned i = 0; i < p->n_activated && i < VS_MAX_LISTEN; i++) {
            activated_name(p->activated[i], name, sizeof(name));
            /* Their kind is of no use here: nothing of them is unlinked. */
            st->addrs[st->n_fds] = (struct vs_listen_addr){.kind = VS_LISTEN_VSOCK};
            st->fds[st->n_fds++] = p->activated[i];
            log_info("listening on %s (from systemd)", name);
        }
        st->activated = true;
        log_info("socket activation: the configuration's Listen addresses are not used");
        return 0;
    }
    for (unsigned i = 0; i < c->n_listen; i++) {
        const struct vs_listen_addr *a = &c->listen[i];
        int fd = a->kind == VS_LISTEN_UNIX ? open_unix(a) : open_vsock(a);
        vs_listen_format(a, name, sizeof(name));
        if (fd < 0) {
            /* What a guest without a vsock device or transport sees (and
             * every test on a development machine, through its filter). */
            if (fd == -EAFNOSUPPORT && a->kind == VS_LISTEN_VSOCK)
                log_error("Cannot listen on %s: this kernel has no vsock support (a guest "
                          "needs a vsock device and its transport: modprobe "
                          "vmw_vsock_virtio_transport)",
                          name);
            else
                log_error_errno(fd, "Cannot listen on %s", name);
            close_listeners(st);
            return fd;
        }
        st->addrs[st->n_fds] = *a;
        st->fds[st->n_fds++] = fd;
        log_info("listening on %s", name);
    }
    return 0;
}

static int add_proc(struct listener_state *st, const struct conn_proc *ch)
{
    if (st->n_procs == st->cap_procs) {
        size_t cap = st->cap_procs ? st->cap_procs * 2 : 64;
        struct conn_proc *n = realloc(st->procs, cap * sizeof(*n));
        if (n == NULL)
            return -ENOMEM;
        st->procs = n;
        st->cap_procs = cap;
    }
    st->procs[st->n_procs++] = *ch;
    return 0;
}

/* The start-up of a connection process is over: it logged in, or ended. */
static void startup_over(struct listener_state *st, struct conn_proc *ch)
{
    if (ch->startup_fd < 0)
        return;
    ch->startup_fd = vs_close(ch->startup_fd);
    st->n_startups--;
}

/* Its start-up pipe is readable: one byte after authentication, or EOF. */
static void startup_readable(struct listener_state *st, struct conn_proc *ch)
{
    char b;
    ssize_t n = read(ch->startup_fd, &b, 1);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n == 1)
        ch->authenticated = true;
    startup_over(st, ch);
}

static void reap(struct listener_state *st)
{
    pid_t pid;
    int status;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < st->n_procs; i++) {
            struct conn_proc *ch = &st->procs[i];
            if (ch->pid != pid)
                continue;
            if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM && !ch->authenticated)
                log_info("connection from %s: LoginGraceTime exceeded", ch->peer);
            else if (WIFSIGNALED(status))
                log_error("connection process for %s died of signal %d", ch->peer,
                          WTERMSIG(status));
            startup_over(st, ch);
            st->procs[i] = st->procs[--st->n_procs];
            break;
        }
    }
}

static void handle_connection(struct listener_state *st, int fd)
{
    const struct vs_config *c = st->p->cfg;
    struct vs_peer peer;
    struct conn_proc ch = {.startup_fd = -1};
    const char *refusal;
    int startup[2];

    if (vs_peer_admit(c, fd, &peer, ch.peer, sizeof(ch.peer), &refusal) < 0) {
        vs_close(fd);
        return;
    }
    if (st->n_startups >= (unsigned)c->max_startups) {
        log_info("refused connection from %s: MaxStartups (%d) unauthenticated connections",
                 ch.peer, c->max_startups);
        vs_close(fd);
        return;
    }
    if (pipe2(startup, O_CLOEXEC) < 0) {
        log_error_errno(-errno, "pipe");
        vs_close(fd);
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        log_error_errno(-errno, "Cannot fork for %s", ch.peer);
        vs_close(fd);
        vs_close(startup[0]);
        vs_close(startup[1]);
        return;
    }
    if (pid == 0) {
        /* The connection process: nothing of the listener's stays. */
        for (unsigned i = 0; i < st->n_fds; i++)
            vs_close(st->fds[i]);
        for (size_t i = 0; i < st->n_procs; i++)
            vs_close(st->procs[i].startup_fd);
        free(st->procs);
        free(st->pfd);
        free(st->owner);
        vs_close(startup[0]);
        if (vs_signals_init() < 0)
            _exit(1);
        struct vs_conn_params cp = {.cfg = c,
                                    .bind = *st->p->bind,
                                    .fd = fd,
                                    .peer = peer,
                                    .refusal = refusal,
                                    .auth_notify_fd = startup[1]};
        int rc = vs_conn_run(&cp) < 0 ? 1 : 0;
#ifdef VS_SANITIZE
        exit(rc); /* let LeakSanitizer check the connection process too */
#else
        _exit(rc);
#endif
    }
    vs_close(fd);
    vs_close(startup[1]);
    ch.pid = pid;
    ch.startup_fd = startup[0];
    vs_set_nonblock(ch.startup_fd);
    if (add_proc(st, &ch) < 0) {
        /* Cannot track it: it runs on, only MaxStartups does not count it. */
        vs_close(ch.startup_fd);
        return;
    }
    st->n_startups++;
    log_verbose("connection from %s (process %ld)", ch.peer, (long)pid);
}

static void accept_all(struct listener_state *st, int lfd)
{
    /* Bursts are normal (Ansible forks, parallel tools): take all that wait. */
    for (int i = 0; i < 64; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                log_error_errno(-errno, "accept");
            return;
        }
        handle_connection(st, fd);
    }
}

/* Loads the NSS modules of the group database once, here: each
 * connection's initgroups() then finds them loaded (the children inherit
 * them) instead of loading them after its fork, with what they link
 * (Debian's "group: files systemd": libnss_systemd, libcap, libm; about
 * 2 ms and 36 page faults a connection).  The answer does not matter. */
static void nss_preload(void)
{
    gid_t gids[1];
    int n = 1;

    (void)getgrouplist("root", 0, gids, &n);
}

int vs_listener_run(const struct vs_listener_params *p)
{
    struct listener_state st = {.p = p};
    int r;

    r = open_listeners(&st);
    if (r < 0)
        return r;
    nss_preload();
    for (;;) {
        size_t want = 1 + st.n_fds + st.n_procs;
        struct pollfd *np = realloc(st.pfd, want * sizeof(*st.pfd));
        size_t *no = realloc(st.owner, want * sizeof(*st.owner));
        if (np != NULL)
            st.pfd = np;
        if (no != NULL)
            st.owner = no;
        if (np == NULL || no == NULL) {
            r = -ENOMEM;
            break;
        }
        nfds_t n = 0;
        st.pfd[n++] = (struct pollfd){.fd = vs_signals_fd(), .events = POLLIN};
        for (unsigned i = 0; i < st.n_fds; i++)
            st.pfd[n++] = (struct pollfd){.fd = st.fds[i], .events = POLLIN};
        for (size_t i = 0; i < st.n_procs; i++)
            if (st.procs[i].startup_fd >= 0) {
                st.owner[n] = i;
                st.pfd[n++] = (struct pollfd){.fd = st.procs[i].startup_fd, .events = POLLIN};
            }
        if (poll(st.pfd, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            r = log_error_errno(-errno, "poll");
            break;
        }
        for (nfds_t i = 1 + st.n_fds; i < n; i++)
            if (st.pfd[i].revents != 0)
                startup_readable(&st, &st.procs[st.owner[i]]);
        if (st.pfd[0].revents & POLLIN) {
            unsigned sigs = vs_signals_take();
            if (sigs & VS_SIGBIT(SIGCHLD))
                reap(&st);
            if (sigs & (VS_SIGBIT(SIGTERM) | VS_SIGBIT(SIGINT))) {
                log_info("received %s, exiting", sigs & VS_SIGBIT(SIGTERM) ? "SIGTERM" : "SIGINT");
                r = 0;
                break;
            }
            if (sigs & VS_SIGBIT(SIGHUP)) {
                log_info("received SIGHUP, re-reading the configuration");
                if (p->reload(p->cfg, p->bind, p->reload_userdata) == 0)
                    log_info("configuration reloaded; it applies to new connections (%s)",
                             st.activated ? "the sockets systemd passed stay"
                                          : "Listen changes need a restart");
            }
        }
        for (unsigned i = 0; i < st.n_fds; i++)
            if (st.pfd[1 + i].revents & POLLIN)
                accept_all(&st, st.fds[i]);
    }
    close_listeners(&st);
    for (size_t i = 0; i < st.n_procs; i++)
        vs_close(st.procs[i].startup_fd);
    free(st.procs);
    free(st.pfd);
    free(st.owner);
    return r;
}
