#include "tunnel.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdutil.h"
#include "forward.h"
#include "log.h"
#include "policy.h"
#include "signals.h"
#include "util.h"

enum tun_state {
    TS_CONNECTING, /* direct: the helper resolves and connects; msg unanswered */
    TS_OPENING,    /* forwarded/agent: our CHANNEL_OPEN awaits the client */
    TS_OPEN,
    TS_DONE,
};

struct tunnel {
    struct vs_channel *c;
    enum tun_state state;
    char what[400]; /* for the log */

    ssh_message msg; /* TS_CONNECTING */
    pid_t helper;
    int helper_fd;

    /* The socket, both ways, is the channel's in_fd. */
    bool wr_shut; /* the socket's write side is done */
    bool eof_sent;
    int pidx;

    /* forwarded-tcpip: what the CHANNEL_OPEN names */
    char listen_host[256];
    uint32_t listen_port;
    char orig[64];
    uint32_t orig_port;
};

static struct tunnel *tunnel_of(struct vs_channel *ch)
{
    return ch->priv;
}

static struct tunnel *tunnel_new(struct vs_channel *ch)
{
    struct tunnel *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->c = ch;
    t->helper_fd = -1;
    t->pidx = -1;
    ch->priv = t;
    return t;
}

static void free_tunnel(struct vs_channel *ch)
{
    struct tunnel *t = tunnel_of(ch);
    if (t == NULL)
        return;
    if (t->msg != NULL) {
        ssh_message_reply_default(t->msg);
        ssh_message_free(t->msg);
    }
    if (t->helper > 0)
        kill(t->helper, SIGKILL); /* reaped by the connection's SIGCHLD handling */
    vs_close(t->helper_fd);
    ch->in_fd = vs_close(ch->in_fd); /* the socket */
    if (t->state != TS_CONNECTING || ch->in.bytes || ch->out[0].bytes)
        log_verbose("forward %u: %s closed, in %llu out %llu bytes", ch->id, t->what,
                    (unsigned long long)ch->in.bytes, (unsigned long long)ch->out[0].bytes);
    free(t);
    ch->priv = NULL;
}

static void input_failed(struct vs_channel *ch)
{
    tunnel_of(ch)->wr_shut = true;
    log_debug("forward %u: write: %s", ch->id, strerror(ch->in.write_errno));
}

/* Moves what the socket has to the client, within the buffer and window. */
static void pump_out(struct tunnel *t)
{
    struct vs_channel *ch = t->c;
    if (ch->out[0].eof || ch->remote_closed)
        return;
    int r = vs_chan_out_pump(&ch->out[0], ch->ch, t->c->in_fd);
    if (r == -EPIPE) {
        t->state = TS_DONE;
    } else if (r == 1 && ch->out[0].read_errno != 0) {
        /* Reset by the far side: nothing more will come either way. */
        log_debug("forward %u: read: %s", ch->id, strerror(ch->out[0].read_errno));
        t->wr_shut = true;
        vs_chan_in_close(&ch->in);
    }
}

static void opened(struct tunnel *t)
{
    t->state = TS_OPEN;
    log_verbose("forward %u: %s open", t->c->id, t->what);
}

/* A channel we open (forwarded-tcpip, auth-agent) waits for the client. */
static int step_opening(struct tunnel *t)
{
    struct vs_channel *ch = t->c;
    int rc = ch->type == &vs_chan_agent
                 ? ssh_channel_open_auth_agent(ch->ch)
                 : ssh_channel_open_reverse_forward(ch->ch, t->listen_host, (int)t->listen_port,
                                                    t->orig, (int)t->orig_port);
    if (rc == SSH_AGAIN)
        return VS_CHAN_LIVE;
    if (rc != SSH_OK) {
        log_info("forward %u: %s: the client refused the channel", ch->id, t->what);
        t->state = TS_DONE;
        return VS_CHAN_DONE;
    }
    opened(t);
    return VS_CHAN_LIVE;
}

/* The open or the end of a tunnel, after a loop round. */
static int step(struct vs_channel *ch, int *timeout_ms)
{
    struct tunnel *t = tunnel_of(ch);
    (void)timeout_ms;

    if (ch->conn_gone)
        t->state = TS_DONE;
    if (t->state == TS_OPENING && step_opening(t) == VS_CHAN_DONE)
        return VS_CHAN_DONE;
    if (t->state == TS_DONE)
        return VS_CHAN_DONE;
    if (t->state != TS_OPEN)
        return VS_CHAN_LIVE;
    if (ch->remote_closed)
        return VS_CHAN_DONE;
    if (ch->in.overflow) {
        log_info("forward %u: the client sent more than the channel window allows; "
                 "disconnecting",
                 ch->id);
        t->state = TS_DONE;
        return -ECONNABORTED;
    }
    if (vs_chan_out_pending(&ch->out[0]) && vs_chan_out_flush(&ch->out[0], ch->ch) == -EPIPE)
        return VS_CHAN_DONE;
    /* Half-close both ways, each once everything before it has gone. */
    if (ch->client_eof && !vs_chan_in_pending(&ch->in) && !t->wr_shut) {
        shutdown(t->c->in_fd, SHUT_WR);
        t->wr_shut = true;
        vs_chan_in_close(&ch->in);
    }
    if (ch->out[0].eof && !vs_chan_out_pending(&ch->out[0]) && !t->eof_sent) {
        ssh_channel_send_eof(ch->ch);
        t->eof_sent = true;
    }
    if (t->eof_sent && (ch->client_eof || t->wr_shut))
        return VS_CHAN_DONE; /* both directions finished: CLOSE */
    return VS_CHAN_LIVE;
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
 * connected socket or the last error.  It runs no exec, and getaddrinfo()
 * may load NSS modules, in a container from the container's files: every
 * copy of the host keys goes first (libssh burns them as it frees the
 * session and the bind: child.h). */
static void __attribute__((noreturn))
connect_helper(const struct vs_chan_ctx *ctx, int sock, const char *host, uint32_t port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    struct connect_result r = {.err = ECONNREFUSED};
    char portstr[16];

    ssh_free(ctx->ssh);
    ssh_bind_free(ctx->bind);
    vs_signals_reset_for_exec();
    /* Nor anything else of the connection's (the monitor's socket,
     * listeners, other channels): only its answer's socket. */
    if (dup2(sock, 3) < 0)
        _exit(1);
    sock = 3;
    if (syscall(SYS_close_range, 4, ~0U, 0) < 0)
        for (int fd = 4; fd < 65536; fd++)
            close(fd);
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
        connect_helper(t->c->ctx, sp[1], host, port);
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
        log_info("forward %u: %s: connect failed: %s", t->c->id, t->what, why);
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
    t->c->in_fd = fd;
    if (ch == NULL) {
        log_error("forward %u: cannot confirm the channel", t->c->id);
        t->state = TS_DONE;
        return;
    }
    vs_channel_attach(t->c, ch);
    opened(t);
}

static int refuse(ssh_message msg, const char *host, int port, const char *why)
{
    log_info("refused direct-tcpip to %s port %d: %s", host, port, why);
    ssh_message_reply_default(msg);
    ssh_message_free(msg);
    return -EPERM;
}

static int open_direct(struct vs_channel *ch, ssh_message msg)
{
    const struct vs_config *cfg = ch->ctx->cfg;
    char host[128], orig[48];

    const char *dest = ssh_message_channel_request_open_destination(msg);
    int port = ssh_message_channel_request_open_destination_port(msg);
    const char *o = ssh_message_channel_request_open_originator(msg);
    vs_printable(host, sizeof(host), dest ? dest : "");
    vs_printable(orig, sizeof(orig), o ? o : "");

    if (!(cfg->allow_tcp_forwarding & VS_FWD_LOCAL))
        return refuse(msg, host, port, "AllowTcpForwarding forbids it");
    if (dest == NULL || *dest == '\0' || port <= 0 || port > 65535) {
        log_info("refused direct-tcpip to '%s' port %d: no such destination", host, port);
        ssh_message_reply_default(msg);
        ssh_message_free(msg);
        return -EINVAL;
    }
    if (!vs_permit_open_allowed(cfg, dest, (uint32_t)port))
        return refuse(msg, host, port, "not in PermitOpen");
    struct tunnel *t = tunnel_new(ch);
    if (t == NULL)
        return refuse(msg, host, port, "out of memory");
    snprintf(t->what, sizeof(t->what), "direct-tcpip to %s port %d from %s port %d", host, port,
             orig, ssh_message_channel_request_open_originator_port(msg));
    t->msg = msg;
    t->state = TS_CONNECTING;
    int r = start_connect(t, dest, (uint32_t)port);
    if (r < 0) {
        log_error_errno(r, "forward %u: cannot start connecting", ch->id);
        t->state = TS_DONE; /* free_tunnel refuses the open */
    }
    return 0;
}

/* ---- forwarded-tcpip and auth-agent: channels we open ---------------------- */

static int start_accepted(struct vs_channel *ch, const struct vs_accepted *a)
{
    struct tunnel *t = tunnel_new(ch);
    ssh_channel sc = t ? ssh_channel_new(ch->ctx->ssh) : NULL;
    if (sc == NULL) {
        close(a->fd);
        return -ENOMEM;
    }
    ch->in_fd = a->fd;
    vs_channel_attach(ch, sc);
    if (a->agent) {
        snprintf(t->what, sizeof(t->what), "agent connection of session %u", a->session);
    } else {
        int one = 1;
        setsockopt(a->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        snprintf(t->listen_host, sizeof(t->listen_host), "%s", a->host);
        t->listen_port = a->port;
        snprintf(t->orig, sizeof(t->orig), "%s", a->orig);
        t->orig_port = a->orig_port;
        snprintf(t->what, sizeof(t->what), "forwarded-tcpip on %s port %u from %s port %u", a->host,
                 a->port, a->orig, a->orig_port);
    }
    t->state = TS_OPENING;
    return step_opening(t) == VS_CHAN_DONE ? -ECONNREFUSED : 0;
}

/* ---- the loop ------------------------------------------------------------ */

static int poll_prepare(struct vs_channel *ch, struct pollfd *p)
{
    struct tunnel *t = tunnel_of(ch);
    short ev = 0;
    int fd = t->c->in_fd;

    t->pidx = -1;
    if (t->state == TS_CONNECTING) {
        fd = t->helper_fd;
        ev = POLLIN;
    } else if (t->state == TS_OPEN) {
        if (!ch->conn_gone && !ch->remote_closed && vs_chan_out_wants_input(&ch->out[0], ch->ch))
            ev |= POLLIN;
        if (!t->wr_shut && vs_chan_in_pending(&ch->in))
            ev |= POLLOUT;
    }
    if (ev == 0 || fd < 0)
        return 0;
    t->pidx = 0;
    p[0] = (struct pollfd){.fd = fd, .events = ev};
    return 1;
}

static void poll_handle(struct vs_channel *ch, const struct pollfd *p, int n)
{
    struct tunnel *t = tunnel_of(ch);
    if (t->pidx < 0 || t->pidx >= n)
        return;
    short re = p[t->pidx].revents;
    t->pidx = -1;
    if (re == 0)
        return;
    if (t->state == TS_CONNECTING) {
        connect_done(t);
        return;
    }
    if (t->state != TS_OPEN)
        return;
    if ((re & (POLLOUT | POLLERR)) && vs_chan_in_pump(&ch->in, ch->ch, t->c->in_fd) == -EPIPE)
        input_failed(ch);
    if (re & (POLLIN | POLLHUP | POLLERR))
        pump_out(t);
}

#define TUNNEL_TYPE                                                                                \
    .pool = VS_POOL_TUNNEL, .in_cap = VS_TUNNEL_BUF, .out_cap = VS_TUNNEL_BUF, .n_out = 1,         \
    .sockets = true, .input_failed = input_failed, .max_pollfds = 1, .poll_prepare = poll_prepare, \
    .poll_handle = poll_handle, .step = step, .free = free_tunnel

const struct vs_chan_type vs_chan_direct_tcpip = {
    .name = "direct-tcpip",
    .client_open = SSH_CHANNEL_DIRECT_TCPIP,
    .open = open_direct,
    TUNNEL_TYPE,
};

const struct vs_chan_type vs_chan_forwarded_tcpip = {
    .name = "forwarded-tcpip",
    .client_open = -1,
    .start = start_accepted,
    TUNNEL_TYPE,
};

const struct vs_chan_type vs_chan_agent = {
    .name = "auth-agent",
    .client_open = -1,
    .start = start_accepted,
    TUNNEL_TYPE,
};
