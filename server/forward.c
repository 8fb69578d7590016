#include "forward.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libssh/callbacks.h>

#include "chanio.h"
#include "conn.h"
#include "fdutil.h"
#include "log.h"
#include "policy.h"
#include "signals.h"
#include "util.h"

enum tun_kind { TUN_DIRECT, TUN_FORWARDED, TUN_AGENT };
enum tun_state {
    TS_CONNECTING, /* direct: the helper resolves and connects; msg unanswered */
    TS_OPENING,    /* forwarded/agent: our CHANNEL_OPEN awaits the client */
    TS_OPEN,
    TS_DONE,
};

struct tunnel {
    struct vs_fwd *f;
    enum tun_kind kind;
    enum tun_state state;
    unsigned id;
    char what[400]; /* for the log */

    ssh_message msg; /* TS_CONNECTING */
    pid_t helper;
    int helper_fd;

    ssh_channel ch;
    struct ssh_channel_callbacks_struct cb;
    int fd;

    /* The channel pump (chanio.h): client -> socket, socket -> client. */
    struct vs_chan_in in;
    struct vs_chan_out out;
    bool client_eof, wr_shut; /* wr_shut: the socket's write side is done */
    bool eof_sent;
    bool remote_closed;
    int pidx;

    /* forwarded-tcpip: what the CHANNEL_OPEN names */
    const char *listen_host;
    uint32_t listen_port;
    char orig[INET6_ADDRSTRLEN];
    uint32_t orig_port;
};

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
    struct vs_conn *c;
    struct tunnel **t;
    unsigned nt, max_t;
    struct fwd_listener *l;
    unsigned max_l;
    unsigned next_id;
};

static const struct vs_config *cfg(const struct vs_fwd *f)
{
    return f->c->cfg;
}

/* ---- tunnels ----------------------------------------------------------- */

static void tunnel_free(struct tunnel *t)
{
    if (t->msg != NULL) {
        ssh_message_reply_default(t->msg);
        ssh_message_free(t->msg);
    }
    if (t->helper > 0)
        kill(t->helper, SIGKILL); /* reaped by the connection's SIGCHLD handling */
    vs_close(t->helper_fd);
    vs_close(t->fd);
    if (t->ch != NULL) {
        ssh_remove_channel_callbacks(t->ch, &t->cb);
        ssh_channel_free(t->ch); /* sends CLOSE if the channel is still open */
    }
    if (t->state != TS_CONNECTING || t->in.bytes || t->out.bytes)
        log_verbose("forward %u: %s closed, in %llu out %llu bytes", t->id, t->what,
                    (unsigned long long)t->in.bytes, (unsigned long long)t->out.bytes);
    t->f->c->bytes_in += t->in.bytes;
    t->f->c->bytes_out += t->out.bytes;
    vs_chan_in_free(&t->in);
    vs_chan_out_free(&t->out);
    free(t);
}

static struct tunnel *tunnel_new(struct vs_fwd *f, enum tun_kind kind)
{
    if (f->nt >= f->max_t)
        return NULL;
    struct tunnel *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    if (vs_chan_in_init(&t->in, VS_TUNNEL_BUF, true) < 0 ||
        vs_chan_out_init(&t->out, VS_TUNNEL_BUF, false, true) < 0) {
        vs_chan_in_free(&t->in);
        vs_chan_out_free(&t->out);
        free(t);
        return NULL;
    }
    t->f = f;
    t->kind = kind;
    t->id = f->next_id++;
    t->fd = t->helper_fd = -1;
    t->pidx = -1;
    f->t[f->nt++] = t;
    return t;
}

static void log_write_failed(const struct tunnel *t)
{
    log_debug("forward %u: write: %s", t->id, strerror(t->in.write_errno));
}

static int on_data(ssh_session session, ssh_channel channel, void *data, uint32_t len,
                   int is_stderr, void *userdata)
{
    struct tunnel *t = userdata;
    (void)session;
    (void)channel;
    (void)is_stderr;

    if (t->fd < 0)
        vs_chan_in_close(&t->in); /* nobody will read it: keep the window moving */
    bool was_closed = t->in.closed;
    uint32_t used = vs_chan_in_take(&t->in, t->fd, data, len);
    if (t->in.closed && !was_closed) {
        t->wr_shut = true;
        log_write_failed(t);
    }
    return (int)used;
}

static void on_eof(ssh_session session, ssh_channel channel, void *userdata)
{
    struct tunnel *t = userdata;
    (void)session;
    (void)channel;
    t->client_eof = true;
}

static void on_close(ssh_session session, ssh_channel channel, void *userdata)
{
    struct tunnel *t = userdata;
    (void)session;
    (void)channel;
    t->remote_closed = true;
}

static void attach_channel(struct tunnel *t, ssh_channel ch)
{
    t->ch = ch;
    t->cb = (struct ssh_channel_callbacks_struct){
        .userdata = t,
        .channel_data_function = on_data,
        .channel_eof_function = on_eof,
        .channel_close_function = on_close,
    };
    ssh_callbacks_init(&t->cb);
    ssh_set_channel_callbacks(ch, &t->cb);
}

/* Moves what the socket has to the client, within the buffer and window. */
static void pump_out(struct tunnel *t)
{
    if (t->out.eof || t->remote_closed)
        return;
    int r = vs_chan_out_pump(&t->out, t->ch, t->fd);
    if (r == -EPIPE) {
        t->state = TS_DONE;
    } else if (r == 1 && t->out.read_errno != 0) {
        /* Reset by the far side: nothing more will come either way. */
        log_debug("forward %u: read: %s", t->id, strerror(t->out.read_errno));
        t->wr_shut = true;
        vs_chan_in_close(&t->in);
    }
}

static void tunnel_opened(struct tunnel *t)
{
    t->state = TS_OPEN;
    log_verbose("forward %u: %s open", t->id, t->what);
}

/* The open or the end of a tunnel, after a loop round. */
static void tunnel_step(struct tunnel *t)
{
    struct vs_conn *c = t->f->c;

    if (c->dead) {
        t->state = TS_DONE;
        return;
    }
    if (t->state == TS_OPENING) {
        int rc = t->kind == TUN_AGENT
                     ? ssh_channel_open_auth_agent(t->ch)
                     : ssh_channel_open_reverse_forward(t->ch, t->listen_host, (int)t->listen_port,
                                                        t->orig, (int)t->orig_port);
        if (rc == SSH_AGAIN)
            return;
        if (rc != SSH_OK) {
            log_info("forward %u: %s: the client refused the channel", t->id, t->what);
            t->state = TS_DONE;
            return;
        }
        tunnel_opened(t);
    }
    if (t->state != TS_OPEN)
        return;
    if (t->remote_closed) {
        t->state = TS_DONE;
        return;
    }
    if (t->in.overflow) {
        log_info("forward %u: the client sent more than the channel window allows; "
                 "disconnecting",
                 t->id);
        c->dead = true;
        t->state = TS_DONE;
        return;
    }
    if (vs_chan_out_pending(&t->out) && vs_chan_out_flush(&t->out, t->ch) == -EPIPE) {
        t->state = TS_DONE;
        return;
    }
    /* Half-close both ways, each once everything before it has gone. */
    if (t->client_eof && !vs_chan_in_pending(&t->in) && !t->wr_shut) {
        shutdown(t->fd, SHUT_WR);
        t->wr_shut = true;
        vs_chan_in_close(&t->in);
    }
    if (t->out.eof && !vs_chan_out_pending(&t->out) && !t->eof_sent) {
        ssh_channel_send_eof(t->ch);
        t->eof_sent = true;
    }
    if (t->eof_sent && (t->client_eof || t->wr_shut))
        t->state = TS_DONE; /* both directions finished: CLOSE */
}

/* ---- direct-tcpip: resolve and connect without blocking the loop -------- */

struct connect_result {
    int err;     /* 0: a connected socket comes with it */
    int gai_err; /* getaddrinfo's error, when err is 0 and no socket came */
};

static void send_result(int sock, const struct connect_result *r, int fd)
{
    (void)vs_send_with_fd(sock, r, sizeof(*r), fd);
}

/* In a child process: getaddrinfo() and connect() may block there. Tries
 * every address in order, as OpenSSH does, and passes back the first
 * connected socket or the last error. */
static void __attribute__((noreturn)) connect_helper(int sock, const char *host, uint32_t port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    struct connect_result r = {.err = ECONNREFUSED};
    char portstr[16];

    vs_signals_reset_for_exec();
    alarm(VS_CONNECT_TIMEOUT_S);
    snprintf(portstr, sizeof(portstr), "%u", port);
    int g = getaddrinfo(host, portstr, &hints, &res);
    if (g != 0) {
        r = (struct connect_result){.gai_err = g, .err = g == EAI_SYSTEM ? errno : 0};
        send_result(sock, &r, -1);
        _exit(0);
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            r.err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            r.err = 0;
            send_result(sock, &r, fd);
            _exit(0);
        }
        r.err = errno;
        close(fd);
    }
    send_result(sock, &r, -1);
    _exit(0);
}

static int start_connect(struct tunnel *t, const char *host, uint32_t port)
{
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = -errno;
        close(sp[0]);
        close(sp[1]);
        return e;
    }
    if (pid == 0) {
        close(sp[0]);
        connect_helper(sp[1], host, port);
    }
    close(sp[1]);
    vs_set_nonblock(sp[0]);
    t->helper = pid;
    t->helper_fd = sp[0];
    return 0;
}

static void connect_done(struct tunnel *t)
{
    struct connect_result r = {.err = EPIPE};
    int fd = -1;

    long n = vs_recv_with_fd(t->helper_fd, &r, sizeof(r), &fd, 0);
    if (n == -EAGAIN)
        return;
    t->helper_fd = vs_close(t->helper_fd);
    t->helper = 0; /* it exits by itself now */
    if (n != (ssize_t)sizeof(r) || fd < 0) {
        vs_close(fd);
        const char *why = n != (ssize_t)sizeof(r)        ? "no answer in time"
                          : r.gai_err != 0 && r.err == 0 ? gai_strerror(r.gai_err)
                                                         : strerror(r.err);
        /* libssh can only say "administratively prohibited"; the real
         * reason is in our log. */
        log_info("forward %u: %s: connect failed: %s", t->id, t->what, why);
        ssh_message_reply_default(t->msg);
        ssh_message_free(t->msg);
        t->msg = NULL;
        t->state = TS_DONE;
        return;
    }
    vs_set_nonblock(fd);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ssh_channel ch = ssh_message_channel_request_open_reply_accept(t->msg);
    ssh_message_free(t->msg);
    t->msg = NULL;
    t->fd = fd;
    if (ch == NULL) {
        log_error("forward %u: cannot confirm the channel", t->id);
        t->state = TS_DONE;
        return;
    }
    attach_channel(t, ch);
    tunnel_opened(t);
}

static void refuse_open(ssh_message msg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void refuse_open(ssh_message msg, const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log_info("refused %s", buf);
    ssh_message_reply_default(msg);
    ssh_message_free(msg);
}

void vs_fwd_channel_open(struct vs_conn *c, ssh_message msg)
{
    struct vs_fwd *f = c->fwd;
    char host[128], orig[48];

    int type = ssh_message_subtype(msg);
    if (type == SSH_CHANNEL_UNKNOWN) {
        /* libssh does not parse direct-streamlocal@openssh.com (Unix
         * sockets) or tun@openssh.com: their arguments never reach us. */
        refuse_open(msg, "a channel of a type libssh does not parse: Unix-socket (streamlocal) "
                         "and tun forwarding are not available");
        return;
    }
    if (type != SSH_CHANNEL_DIRECT_TCPIP) {
        refuse_open(msg, "a %s channel: not supported",
                    type == SSH_CHANNEL_X11 ? "x11" : "forwarded-tcpip or auth-agent");
        return;
    }
    const char *dest = ssh_message_channel_request_open_destination(msg);
    int port = ssh_message_channel_request_open_destination_port(msg);
    const char *o = ssh_message_channel_request_open_originator(msg);
    vs_printable(host, sizeof(host), dest ? dest : "");
    vs_printable(orig, sizeof(orig), o ? o : "");

    if (!(cfg(f)->allow_tcp_forwarding & VS_FWD_LOCAL)) {
        refuse_open(msg, "direct-tcpip to %s port %d: AllowTcpForwarding forbids it", host, port);
        return;
    }
    if (dest == NULL || *dest == '\0' || port <= 0 || port > 65535) {
        refuse_open(msg, "direct-tcpip to '%s' port %d: no such destination", host, port);
        return;
    }
    if (!vs_permit_open_allowed(cfg(f), dest, (uint32_t)port)) {
        refuse_open(msg, "direct-tcpip to %s port %d: not in PermitOpen", host, port);
        return;
    }
    struct tunnel *t = tunnel_new(f, TUN_DIRECT);
    if (t == NULL) {
        refuse_open(msg, "direct-tcpip to %s port %d: MaxForwardChannels (%d) reached", host, port,
                    cfg(f)->max_forward_channels);
        return;
    }
    snprintf(t->what, sizeof(t->what), "direct-tcpip to %s port %d from %s port %d", host, port,
             orig, ssh_message_channel_request_open_originator_port(msg));
    t->msg = msg;
    t->state = TS_CONNECTING;
    int r = start_connect(t, dest, (uint32_t)port);
    if (r < 0) {
        log_error_errno(r, "forward %u: cannot start connecting", t->id);
        t->state = TS_DONE; /* tunnel_free refuses the open */
    }
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

void vs_fwd_global_request(struct vs_conn *c, ssh_message msg)
{
    switch (ssh_message_subtype(msg)) {
    case SSH_GLOBAL_REQUEST_TCPIP_FORWARD:
        tcpip_forward(c->fwd, msg);
        return;
    case SSH_GLOBAL_REQUEST_CANCEL_TCPIP_FORWARD:
        cancel_tcpip_forward(c->fwd, msg);
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

static void accept_on(struct vs_fwd *f, struct fwd_listener *l, int fd)
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
    struct tunnel *t = tunnel_new(f, l->kind == LS_AGENT ? TUN_AGENT : TUN_FORWARDED);
    ssh_channel ch = t ? ssh_channel_new(f->c->ssh) : NULL;
    if (ch == NULL) {
        if (t == NULL)
            log_info("refused a forwarded connection: MaxForwardChannels (%d) reached",
                     cfg(f)->max_forward_channels);
        else
            t->state = TS_DONE;
        close(s);
        return;
    }
    t->fd = s;
    attach_channel(t, ch);
    if (l->kind == LS_AGENT) {
        snprintf(t->what, sizeof(t->what), "agent connection of session %u", l->session_id);
    } else {
        int one = 1;
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (u.sa.sa_family == AF_INET6) {
            inet_ntop(AF_INET6, &u.in6.sin6_addr, t->orig, sizeof(t->orig));
            t->orig_port = ntohs(u.in6.sin6_port);
        } else {
            inet_ntop(AF_INET, &u.in.sin_addr, t->orig, sizeof(t->orig));
            t->orig_port = ntohs(u.in.sin_port);
        }
        /* The client finds its forward by the address it asked for. */
        t->listen_host = l->host;
        t->listen_port = l->port;
        snprintf(t->what, sizeof(t->what), "forwarded-tcpip on %s port %u from %s port %u", l->host,
                 l->port, t->orig, t->orig_port);
    }
    t->state = TS_OPENING;
    tunnel_step(t);
}

/* ---- agent sockets ----------------------------------------------------- */

int vs_fwd_agent_start(struct vs_conn *c, unsigned session_id, char *path, size_t len)
{
    struct vs_fwd *f = c->fwd;
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

void vs_fwd_agent_stop(struct vs_conn *c, unsigned session_id)
{
    struct vs_fwd *f = c->fwd;
    for (unsigned i = 0; f != NULL && i < f->max_l; i++)
        if (f->l[i].kind == LS_AGENT && f->l[i].session_id == session_id)
            fwd_listener_close(&f->l[i]);
}

/* ---- the loop ---------------------------------------------------------- */

size_t vs_fwd_max_pollfds(const struct vs_config *c)
{
    return (size_t)c->max_forward_channels + 2 * (size_t)c->max_forwards + (size_t)c->max_sessions;
}

int vs_fwd_poll_prepare(struct vs_fwd *f, struct pollfd *p)
{
    int n = 0;
    bool can_send = !f->c->dead;

    for (unsigned i = 0; i < f->max_l; i++) {
        struct fwd_listener *l = &f->l[i];
        for (int k = 0; k < l->nfd; k++) {
            l->pidx[k] = n;
            p[n++] = (struct pollfd){.fd = l->fd[k], .events = POLLIN};
        }
    }
    for (unsigned i = 0; i < f->nt; i++) {
        struct tunnel *t = f->t[i];
        short ev = 0;
        int fd = t->fd;
        t->pidx = -1;
        if (t->state == TS_CONNECTING) {
            fd = t->helper_fd;
            ev = POLLIN;
        } else if (t->state == TS_OPEN) {
            if (can_send && !t->remote_closed && vs_chan_out_wants_input(&t->out, t->ch))
                ev |= POLLIN;
            if (!t->wr_shut && vs_chan_in_pending(&t->in))
                ev |= POLLOUT;
        }
        if (ev != 0 && fd >= 0) {
            t->pidx = n;
            p[n++] = (struct pollfd){.fd = fd, .events = ev};
        }
    }
    return n;
}

void vs_fwd_poll_handle(struct vs_fwd *f, const struct pollfd *p, int n)
{
    for (unsigned i = 0; i < f->max_l; i++) {
        struct fwd_listener *l = &f->l[i];
        for (int k = 0; k < l->nfd; k++)
            /* A listener made during this round has no entry yet (-1). */
            if (l->pidx[k] >= 0 && l->pidx[k] < n && (p[l->pidx[k]].revents & POLLIN))
                accept_on(f, l, l->fd[k]);
    }
    /* Tunnels accepted just now have no entry this round: their pidx is -1. */
    for (unsigned i = 0; i < f->nt; i++) {
        struct tunnel *t = f->t[i];
        if (t->pidx < 0 || t->pidx >= n)
            continue;
        short re = p[t->pidx].revents;
        t->pidx = -1;
        if (re == 0)
            continue;
        if (t->state == TS_CONNECTING) {
            connect_done(t);
            continue;
        }
        if (t->state != TS_OPEN)
            continue;
        if ((re & (POLLOUT | POLLERR)) && vs_chan_in_pump(&t->in, t->ch, t->fd) == -EPIPE) {
            t->wr_shut = true;
            log_write_failed(t);
        }
        if (re & (POLLIN | POLLHUP | POLLERR))
            pump_out(t);
    }
}

void vs_fwd_step(struct vs_fwd *f)
{
    unsigned kept = 0;
    for (unsigned i = 0; i < f->nt; i++) {
        struct tunnel *t = f->t[i];
        tunnel_step(t);
        if (t->state == TS_DONE)
            tunnel_free(t);
        else
            f->t[kept++] = t;
    }
    f->nt = kept;
    if (f->c->dead)
        for (unsigned i = 0; i < f->max_l; i++)
            if (f->l[i].kind != LS_FREE)
                fwd_listener_close(&f->l[i]);
}

int vs_fwd_new(struct vs_conn *c)
{
    struct vs_fwd *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -ENOMEM;
    f->c = c;
    f->max_t = (unsigned)c->cfg->max_forward_channels;
    f->max_l = (unsigned)c->cfg->max_forwards + (unsigned)c->cfg->max_sessions;
    f->t = calloc(f->max_t + 1, sizeof(*f->t));
    f->l = calloc(f->max_l + 1, sizeof(*f->l));
    if (f->t == NULL || f->l == NULL) {
        free(f->t);
        free(f->l);
        free(f);
        return -ENOMEM;
    }
    c->fwd = f;
    return 0;
}

void vs_fwd_free(struct vs_conn *c)
{
    struct vs_fwd *f = c->fwd;
    if (f == NULL)
        return;
    for (unsigned i = 0; i < f->nt; i++)
        tunnel_free(f->t[i]);
    for (unsigned i = 0; i < f->max_l; i++)
        if (f->l[i].kind != LS_FREE)
            fwd_listener_close(&f->l[i]);
    free(f->t);
    free(f->l);
    free(f);
    c->fwd = NULL;
}
