#include "forward.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdutil.h"
#include "log.h"
#include "policy.h"
#include "util.h"

/* A socket this connection listens on for the client: ssh -R (tcp) or the
 * agent socket of ssh -A. */
enum fwd_listener_kind { LS_FREE, LS_TCP, LS_AGENT };

struct fwd_listener {
    enum fwd_listener_kind kind;
    int fd[2];
    int nfd;
    int pidx[2];
    char host[256]; /* tcp: the address as the client sent it */
    uint32_t req_port, port;
    unsigned session_id; /* agent */
    char dir[64], path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct vs_fwd {
    const struct vs_config *cfg;
    struct fwd_listener *l;
    unsigned max_l;
};

static const struct vs_config *cfg(const struct vs_fwd *f)
{
    return f->cfg;
}

/* ---- listeners: tcpip-forward ------------------------------------------ */

static void fwd_listener_close(struct fwd_listener *l)
{
    for (int i = 0; i < l->nfd; i++)
        vs_close(l->fd[i]);
    if (l->kind == LS_AGENT) {
        unlink(l->path);
        rmdir(l->dir);
    }
    *l = (struct fwd_listener){.kind = LS_FREE};
}

static struct fwd_listener *fwd_listener_slot(struct vs_fwd *f, enum fwd_listener_kind kind)
{
    unsigned tcp = 0;
    for (unsigned i = 0; i < f->max_l; i++)
        tcp += f->l[i].kind == LS_TCP;
    if (kind == LS_TCP && tcp >= (unsigned)cfg(f)->max_forwards)
        return NULL;
    for (unsigned i = 0; i < f->max_l; i++)
        if (f->l[i].kind == LS_FREE) {
            f->l[i] = (struct fwd_listener){.kind = kind, .fd = {-1, -1}, .pidx = {-1, -1}};
            return &f->l[i];
        }
    return NULL;
}

static int bind_one(int family, const void *addr, uint32_t port, uint32_t *bound)
{
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } u = {0};
    socklen_t len;
    int one = 1;

    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        u.in6.sin6_family = AF_INET6;
        u.in6.sin6_port = htons((uint16_t)port);
        memcpy(&u.in6.sin6_addr, addr, sizeof(u.in6.sin6_addr));
        len = sizeof(u.in6);
    } else {
        u.in.sin_family = AF_INET;
        u.in.sin_port = htons((uint16_t)port);
        memcpy(&u.in.sin_addr, addr, sizeof(u.in.sin_addr));
        len = sizeof(u.in);
    }
    if (bind(fd, &u.sa, len) < 0 || listen(fd, 128) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    len = sizeof(u);
    if (getsockname(fd, &u.sa, &len) == 0)
        *bound = ntohs(family == AF_INET6 ? u.in6.sin6_port : u.in.sin_port);
    return fd;
}

/* Binds what GatewayPorts makes of the client's address: loopback (no),
 * every address (yes), or the address itself (clientspecified). Port 0
 * takes the port the first bind got for the others too. */
static int listen_tcp(struct vs_fwd *f, struct fwd_listener *l)
{
    struct in_addr v4;
    struct in6_addr v6;
    bool any = cfg(f)->gateway_ports == VS_GW_YES;
    const char *h = l->host;

    if (cfg(f)->gateway_ports == VS_GW_CLIENTSPECIFIED) {
        if (*h == '\0' || strcmp(h, "*") == 0 || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0)
            any = true;
        else if (strcmp(h, "localhost") != 0 && strcmp(h, "127.0.0.1") != 0 &&
                 strcmp(h, "::1") != 0) {
            int fam = inet_pton(AF_INET, h, &v4) == 1    ? AF_INET
                      : inet_pton(AF_INET6, h, &v6) == 1 ? AF_INET6
                                                         : 0;
            if (fam == 0)
                return -EADDRNOTAVAIL; /* names are not resolved for listening */
            int fd =
                bind_one(fam, fam == AF_INET ? (void *)&v4 : (void *)&v6, l->req_port, &l->port);
            if (fd < 0)
                return fd;
            l->fd[l->nfd++] = fd;
            return 0;
        }
    }
    if (any) {
        v4.s_addr = htonl(INADDR_ANY);
        v6 = in6addr_any;
    } else {
        v4.s_addr = htonl(INADDR_LOOPBACK);
        v6 = in6addr_loopback;
    }
    uint32_t port = l->req_port;
    int fd = bind_one(AF_INET, &v4, port, &l->port);
    if (fd < 0)
        return fd;
    l->fd[l->nfd++] = fd;
    /* IPv6 as well where the guest has it; its absence is no failure. */
    fd = bind_one(AF_INET6, &v6, l->port, &port);
    if (fd >= 0)
        l->fd[l->nfd++] = fd;
    return 0;
}

static void tcpip_forward(struct vs_fwd *f, ssh_message msg)
{
    const char *addr = ssh_message_global_request_address(msg);
    int port = ssh_message_global_request_port(msg);
    char host[128];

    vs_printable(host, sizeof(host), addr ? addr : "");
    if (!(cfg(f)->allow_tcp_forwarding & VS_FWD_REMOTE)) {
        log_info("refused tcpip-forward on %s port %d: AllowTcpForwarding forbids it", host, port);
        goto refuse;
    }
    if (port < 0 || port > 65535 || (addr && strlen(addr) >= sizeof(f->l[0].host))) {
        log_info("refused tcpip-forward on '%s' port %d: invalid address", host, port);
        goto refuse;
    }
    if (!vs_permit_listen_allowed(cfg(f), addr ? addr : "", (uint32_t)port)) {
        log_info("refused tcpip-forward on %s port %d: not in PermitListen", host, port);
        goto refuse;
    }
    struct fwd_listener *l = fwd_listener_slot(f, LS_TCP);
    if (l == NULL) {
        log_info("refused tcpip-forward on %s port %d: MaxForwards (%d) reached", host, port,
                 cfg(f)->max_forwards);
        goto refuse;
    }
    snprintf(l->host, sizeof(l->host), "%s", addr ? addr : "");
    l->req_port = (uint32_t)port;
    int r = listen_tcp(f, l);
    if (r < 0) {
        log_info("refused tcpip-forward on %s port %d: %s", host, port, strerror(-r));
        fwd_listener_close(l);
        goto refuse;
    }
    log_info("listening for forwarded connections on %s port %u", host, l->port);
    ssh_message_global_request_reply_success(msg, (uint16_t)l->port);
    return;
refuse:
    ssh_message_reply_default(msg);
}

static void cancel_tcpip_forward(struct vs_fwd *f, ssh_message msg)
{
    const char *addr = ssh_message_global_request_address(msg);
    int port = ssh_message_global_request_port(msg);

    for (unsigned i = 0; i < f->max_l; i++) {
        struct fwd_listener *l = &f->l[i];
        if (l->kind == LS_TCP && strcmp(l->host, addr ? addr : "") == 0 &&
            (l->port == (uint32_t)port || l->req_port == (uint32_t)port)) {
            log_info("cancelled the forward on %s port %u", l->host, l->port);
            fwd_listener_close(l);
            ssh_message_global_request_reply_success(msg, 0);
            return;
        }
    }
    ssh_message_reply_default(msg);
}

void vs_fwd_global_request(struct vs_fwd *f, ssh_message msg)
{
    switch (ssh_message_subtype(msg)) {
    case SSH_GLOBAL_REQUEST_TCPIP_FORWARD:
        tcpip_forward(f, msg);
        return;
    case SSH_GLOBAL_REQUEST_CANCEL_TCPIP_FORWARD:
        cancel_tcpip_forward(f, msg);
        return;
    case SSH_GLOBAL_REQUEST_KEEPALIVE:
        break; /* any answer tells the client we are alive */
    default:
        /* streamlocal-forward@openssh.com among others: libssh does not
         * hand us their arguments. */
        log_verbose("refused a global request libssh does not parse");
        break;
    }
    ssh_message_reply_default(msg);
}

/* A connection to one of our listeners becomes a channel the connection
 * opens to the client (tunnel.h). */
static void accept_on(struct fwd_listener *l, int fd, vs_fwd_accept_fn fn, void *arg)
{
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } u;
    socklen_t len = sizeof(u);
    int s = accept4(fd, &u.sa, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (s < 0)
        return;
    char orig[INET6_ADDRSTRLEN] = "";
    struct vs_accepted a = {.fd = s, .agent = l->kind == LS_AGENT, .session = l->session_id};
    if (!a.agent) {
        if (u.sa.sa_family == AF_INET6) {
            inet_ntop(AF_INET6, &u.in6.sin6_addr, orig, sizeof(orig));
            a.orig_port = ntohs(u.in6.sin6_port);
        } else {
            inet_ntop(AF_INET, &u.in.sin_addr, orig, sizeof(orig));
            a.orig_port = ntohs(u.in.sin_port);
        }
        /* The client finds its forward by the address it asked for. */
        a.host = l->host;
        a.port = l->port;
        a.orig = orig;
    }
    fn(arg, &a);
}

/* ---- agent sockets ----------------------------------------------------- */

int vs_fwd_agent_start(struct vs_fwd *f, unsigned session_id, char *path, size_t len)
{
    if (f == NULL)
        return -EPERM;
    if (!cfg(f)->allow_agent_forwarding)
        return -EPERM;
    for (unsigned i = 0; i < f->max_l; i++)
        if (f->l[i].kind == LS_AGENT && f->l[i].session_id == session_id)
            return -EEXIST;
    struct fwd_listener *l = fwd_listener_slot(f, LS_AGENT);
    if (l == NULL)
        return -ENOSPC;
    l->session_id = session_id;
    /* We are the user already: the directory is the user's, mode 0700. */
    snprintf(l->dir, sizeof(l->dir), "/tmp/ssh-XXXXXXXXXX");
    if (mkdtemp(l->dir) == NULL) {
        int e = -errno;
        *l = (struct fwd_listener){.kind = LS_FREE};
        return e;
    }
    snprintf(l->path, sizeof(l->path), "%s/agent.%d", l->dir, (int)getpid());
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    memcpy(sun.sun_path, l->path, sizeof(l->path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    mode_t old = umask(0177);
    int r = fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 64) < 0
                ? -errno
                : 0;
    umask(old);
    if (r < 0) {
        vs_close(fd);
        fwd_listener_close(l);
        return r;
    }
    l->fd[l->nfd++] = fd;
    snprintf(path, len, "%s", l->path);
    log_verbose("session %u: agent socket %s", session_id, l->path);
    return 0;
}

void vs_fwd_agent_stop(struct vs_fwd *f, unsigned session_id)
{
    for (unsigned i = 0; f != NULL && i < f->max_l; i++)
        if (f->l[i].kind == LS_AGENT && f->l[i].session_id == session_id)
            fwd_listener_close(&f->l[i]);
}

/* ---- the loop ---------------------------------------------------------- */

size_t vs_fwd_max_pollfds(const struct vs_config *c)
{
    return 2 * (size_t)c->max_forwards + (size_t)c->max_sessions;
}

int vs_fwd_poll_prepare(struct vs_fwd *f, struct pollfd *p)
{
    int n = 0;
    for (unsigned i = 0; f != NULL && i < f->max_l; i++) {
        struct fwd_listener *l = &f->l[i];
        for (int k = 0; k < l->nfd; k++) {
            l->pidx[k] = n;
            p[n++] = (struct pollfd){.fd = l->fd[k], .events = POLLIN};
        }
    }
    return n;
}

void vs_fwd_poll_handle(struct vs_fwd *f, const struct pollfd *p, int n, vs_fwd_accept_fn fn,
                        void *arg)
{
    for (unsigned i = 0; f != NULL && i < f->max_l; i++) {
        struct fwd_listener *l = &f->l[i];
        for (int k = 0; k < l->nfd; k++)
            /* A listener made during this round has no entry yet (-1). */
            if (l->pidx[k] >= 0 && l->pidx[k] < n && (p[l->pidx[k]].revents & POLLIN))
                accept_on(l, l->fd[k], fn, arg);
    }
}

void vs_fwd_close_all(struct vs_fwd *f)
{
    for (unsigned i = 0; f != NULL && i < f->max_l; i++)
        if (f->l[i].kind != LS_FREE)
            fwd_listener_close(&f->l[i]);
}

struct vs_fwd *vs_fwd_new(const struct vs_config *cfg)
{
    struct vs_fwd *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->cfg = cfg;
    f->max_l = (unsigned)cfg->max_forwards + (unsigned)cfg->max_sessions;
    f->l = calloc(f->max_l + 1, sizeof(*f->l));
    if (f->l == NULL) {
        free(f);
        return NULL;
    }
    return f;
}

void vs_fwd_free(struct vs_fwd *f)
{
    if (f == NULL)
        return;
    vs_fwd_close_all(f);
    free(f->l);
    free(f);
}
