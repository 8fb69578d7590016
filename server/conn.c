#include "conn.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "account.h"
#include "become.h"
#include "channel.h"
#include "chantypes.h"
#include "child.h"
#include "container.h"
#include "fdutil.h"
#include "forward.h"
#include "log.h"
#include "login.h"
#include "match.h"
#include "policy.h"
#include "signals.h"
#include "util.h"

/* Authentication attempts before the connection is dropped (sshd's MaxAuthTries). */
#define VS_MAX_AUTH_TRIES 6

/* Where a channel's pollfds are in this round. */
struct chan_slot {
    int base, count;
};

/* The connection, owned here alone: channels see it only through ctx
 * (channel.h) and report back by return values. */
struct vs_conn {
    const struct vs_config *base; /* the server's configuration */
    const struct vs_config *cfg;  /* once the user is known: with Match applied */
    struct vs_config matched;     /* that configuration (it borrows) */
    struct vs_config match_vals;  /* the values Match blocks set; owned */
    bool have_match;
    ssh_session ssh;
    ssh_bind bind; /* the listener's, with the host keys; the SFTP process frees it */
    ssh_event event;
    struct vs_peer peer;
    char peer_str[64];
    const char *refusal; /* admitted only to be refused with this (vs_peer_check) */
    char login_host[40]; /* vs_peer_name(VS_PEER_FOR_HOST): PAM_RHOST, utmp's host */
    char ssh_connection[128], ssh_client[96];
    struct vs_user user;
    char login_name[336];    /* as the client asked: USER or USER+CONTAINER */
    struct vs_container ctr; /* the container a USER+CONTAINER login is into */
    struct vs_login login;   /* account checks, PAM session, utmp (login.h) */
    bool authenticated;
    bool dead; /* the SSH connection is gone: every channel hangs up */
    int auth_notify_fd;
    unsigned auth_attempts;

    /* Made once the user is known, sized by the connection's own
     * configuration (Match applied: MaxSessions and the rest may differ
     * from the server's). */
    struct vs_chan_ctx ctx;
    struct vs_fwd *fwd; /* listeners (forward.h) */
    struct vs_channel **chans;
    unsigned n_chans, max_chans;
    unsigned in_pool[VS_POOL_COUNT]; /* open now, against the pool's limit */
    unsigned opened[VS_POOL_COUNT];  /* in all: the next channel's id */
    struct pollfd *pfd;
    size_t max_pfd;
    struct chan_slot *slots;

    uint64_t bytes_in, bytes_out;
    int64_t started_ms;
    int64_t alive_since_ms; /* ClientAliveInterval: last input or ask; 0 not yet */
    unsigned alive_unanswered;
};

/* Applies the Match blocks that this user and peer match, always on top of
 * the server's configuration (a refused attempt's user must not leave its
 * blocks behind for the next): c->cfg becomes the connection's own
 * configuration.  Returns 0 or a negative errno: a user whose groups cannot
 * all be read is refused, since a Group criterion (negated ones too) would
 * be decided without them. */
static int apply_match(struct vs_conn *c, const struct vs_user *u, const struct vs_container *ctr)
{
    if (c->have_match) {
        vs_config_free(&c->match_vals);
        c->have_match = false;
    }
    c->cfg = c->base;
    if (c->base->n_matches == 0)
        return 0;
    struct vs_match_ctx ctx;
    int r = vs_match_ctx_build(&ctx, u, ctr, &c->peer, vs_config_uses_groups(c->base));
    if (r < 0)
        return r;
    r = vs_config_match(c->base, &ctx, &c->matched, &c->match_vals);
    vs_match_ctx_free(&ctx);
    c->have_match = true;
    c->cfg = &c->matched;
    return r;
}

/* Tells the client why it was refused (a USERAUTH_BANNER, which ssh prints),
 * the reason already printable. */
static void refusal_banner(struct vs_conn *c, const char *user, const char *why)
{
    char text[700];
    snprintf(text, sizeof(text), "vsock-sshd: user %s refused: %s\n", user, why);
    ssh_string s = ssh_string_from_char(text);
    if (s != NULL) {
        ssh_send_issue_banner(c->ssh, s);
        ssh_string_free(s);
    }
}

/* Null authentication: vsock already told us who the peer is; what remains
 * is which account the session may start as, and whether that account may
 * log in now.  Once it is settled the connection process becomes that
 * user, so that everything it does from here on (forwarded connections,
 * listeners, agent sockets, sessions) is done with the user's identity and
 * nothing else. */
/* The account the login name asks for: the guest's, or with USER+CONTAINER
 * one of the container's, found running first (c->ctr).  Returns 0, or a
 * negative errno with why (printable) set; *tell when the client is told
 * it too: what is wrong with the container it named (the issue's "no such
 * container", "not running"), never whether an account exists. */
static int find_account(struct vs_conn *c, const char *login, struct vs_user *u, char *why,
                        size_t len, bool *tell)
{
    *tell = false;
    char user[256], ctr[VS_CONTAINER_NAME_MAX + 1];
    const char *bad = NULL;
    int r = vs_login_name_split(login, user, sizeof(user), ctr, sizeof(ctr), &bad);
    if (r < 0) {
        snprintf(why, len, "%s", bad);
        *tell = strchr(login, '+') != NULL;
        return r;
    }
    if (ctr[0] == '\0') {
        r = vs_user_lookup(user, u);
        if (r < 0)
            snprintf(why, len, "%s", r == -ENOENT ? "no such user" : strerror(-r));
        return r;
    }
    if ((r = vs_container_find(c->base, ctr, &c->ctr, why, len)) < 0) {
        *tell = true;
        return r;
    }
    r = vs_container_user_lookup(&c->ctr, user, u);
    if (r < 0) {
        vs_login_why(why, len, "%s", r == -ENOENT ? "no such user in the container" : strerror(-r));
        vs_container_close(&c->ctr);
    }
    return r;
}

/* Null authentication: vsock already told us who the peer is; what remains
 * is which account the session may start as, and whether that account may
 * log in now.  Once it is settled the connection process becomes that
 * user, so that everything it does from here on (forwarded connections,
 * listeners, agent sockets, sessions) is done with the user's identity and
 * nothing else; in a container, inside it (become.h). */
static bool auth_none(struct vs_conn *c, const char *user)
{
    char name[72], why_buf[512] = "";
    const char *why = NULL;
    struct vs_user u;

    vs_printable(name, sizeof(name), user);
    if (c->authenticated)
        return strcmp(user, c->login_name) == 0;
    if (c->refusal != NULL) {
        /* Admitted only to be told why it may not log in (peer.h). */
        log_info("refused user %s: %s", name, c->refusal);
        refusal_banner(c, name, c->refusal);
        c->dead = true;
        return false;
    }
    bool tell;
    int r = find_account(c, user, &u, why_buf, sizeof(why_buf), &tell);
    if (r < 0) {
        log_info("refused user %s: %s", name, why_buf);
        if (tell)
            refusal_banner(c, name, why_buf);
        return false;
    }
    const struct vs_container *ctr = c->ctr.pidfd >= 0 ? &c->ctr : NULL;
    if (ctr != NULL && vs_config_group_without_container(c->base)) {
        log_info("refused user %s: a Match block with a Group criterion and no Container one "
                 "cannot decide a container's login (add Container to it)",
                 name);
        goto refused;
    }
    /* The connection's own configuration first: Match may restrict who
     * logs in (AllowUsers, DenyUsers, PermitRootLogin by Peer, say). */
    r = apply_match(c, &u, ctr);
    if (r < 0) {
        log_info("refused user %s: %s", name,
                 r == -EINVAL ? "its Match settings cannot be applied"
                              : "its groups cannot be read, so Match Group cannot be decided");
        goto refused;
    }
    /* A container's account is nobody's own on the guest, whatever its
     * uid: a Unix-socket peer enters a container only as root or as
     * AllowPeers unix:UID lets it. */
    if (!vs_peer_may_become(c->cfg, &c->peer, ctr != NULL ? VS_UID_NOBODYS : u.uid, &why)) {
        log_info("refused user %s: %s", name, why);
        goto refused;
    }
    struct vs_user_facts facts;
    vs_user_facts_of(&u, ctr, geteuid(), &facts);
    if (!vs_user_allowed(c->cfg, &facts, &why)) {
        log_info("refused user %s: %s", name, why);
        goto refused;
    }
    r = ctr != NULL
            ? vs_account_check_container(&c->login, ctr, &u, c->login_host, why_buf,
                                         sizeof(why_buf))
            : vs_account_check(&c->login, c->cfg, &u, c->login_host, why_buf, sizeof(why_buf));
    if (r < 0) {
        log_info("refused user %s: %s", name, why_buf);
        if (r == -EACCES)
            refusal_banner(c, name, why_buf);
        vs_login_free(&c->login);
        goto refused;
    }
    /* As root: PAM session and monitor, then the user for good (become.h). */
    int close_fds[] = {ssh_get_fd(c->ssh), c->auth_notify_fd, -1};
    const struct vs_become_params become = {.user = &u,
                                            .login = &c->login,
                                            .chroot_directory = c->cfg->chroot_directory,
                                            .max_sessions = (unsigned)c->cfg->max_sessions,
                                            .close_fds = close_fds,
                                            .container = ctr,
                                            .grace_seconds = (unsigned)c->cfg->login_grace_time};
    if (vs_user_become(&become, why_buf, sizeof(why_buf)) < 0) {
        log_error("cannot become user %s: %s", name, why_buf);
        vs_login_free(&c->login);
        vs_user_free(&u);
        vs_container_close(&c->ctr);
        c->dead = true;
        return false;
    }
    c->user = u;
    snprintf(c->login_name, sizeof(c->login_name), "%s", user);
    c->authenticated = true;
    alarm(0); /* LoginGraceTime is over */
    if (c->auth_notify_fd >= 0) {
        (void)!write(c->auth_notify_fd, "A", 1);
        c->auth_notify_fd = vs_close(c->auth_notify_fd);
    }
    if (ctr != NULL)
        log_info("accepted user %s in container %s (%s, leader %d)", u.name, ctr->name,
                 ctr->runtime, (int)ctr->leader);
    else
        log_info("accepted user %s", u.name);
    /* Inside now: the connection needs no handle on the leader. */
    vs_container_close(&c->ctr);
    return true;
refused:
    vs_user_free(&u);
    vs_container_close(&c->ctr);
    return false;
}

/* ---- channels: the connection's table ------------------------------------- */

static unsigned pool_limit(const struct vs_config *cfg, enum vs_chan_pool pool)
{
    return (unsigned)(pool == VS_POOL_SESSION ? cfg->max_sessions : cfg->max_forward_channels);
}

/* The tables, sized by the connection's own configuration once the user is
 * known and Match applied.  Returns 0 or -ENOMEM. */
static int setup_channels(struct vs_conn *c)
{
    const struct vs_config *cfg = c->cfg;
    unsigned most_fds[VS_POOL_COUNT] = {0};

    for (unsigned i = 0; i < vs_n_chan_types; i++) {
        const struct vs_chan_type *t = vs_chan_types[i];
        if (t->max_pollfds > most_fds[t->pool])
            most_fds[t->pool] = t->max_pollfds;
    }
    c->max_chans = 0;
    c->max_pfd = 2 + vs_fwd_max_pollfds(cfg); /* the SSH socket, the signal pipe */
    for (int p = 0; p < VS_POOL_COUNT; p++) {
        c->max_chans += pool_limit(cfg, p);
        c->max_pfd += (size_t)pool_limit(cfg, p) * most_fds[p];
    }
    c->ctx = (struct vs_chan_ctx){
        .ssh = c->ssh,
        .bind = c->bind,
        .cfg = cfg,
        .user = &c->user,
        .login = &c->login,
        .ssh_connection = c->ssh_connection,
        .ssh_client = c->ssh_client,
    };
    c->fwd = vs_fwd_new(cfg);
    c->ctx.fwd = c->fwd;
    c->chans = calloc(c->max_chans + 1, sizeof(*c->chans));
    c->slots = calloc(c->max_chans + 1, sizeof(*c->slots));
    struct pollfd *pfd = realloc(c->pfd, c->max_pfd * sizeof(*pfd));
    if (pfd != NULL)
        c->pfd = pfd;
    if (c->fwd == NULL || c->chans == NULL || c->slots == NULL || pfd == NULL)
        return log_error_errno(-ENOMEM, "cannot set up the connection's channels");
    return 0;
}

/* A new channel of type t in the table, within its pool's limit (logged
 * when refused).  NULL if refused. */
static struct vs_channel *add_channel(struct vs_conn *c, const struct vs_chan_type *t)
{
    unsigned limit = pool_limit(c->cfg, t->pool);
    if (c->in_pool[t->pool] >= limit || c->n_chans >= c->max_chans) {
        log_info("refused a %s channel: %s (%u) reached", t->name,
                 t->pool == VS_POOL_SESSION ? "MaxSessions" : "MaxForwardChannels", limit);
        return NULL;
    }
    struct vs_channel *ch = vs_channel_new(t, &c->ctx, c->opened[t->pool]);
    if (ch == NULL) {
        log_error("refused a %s channel: out of memory", t->name);
        return NULL;
    }
    c->opened[t->pool]++;
    c->in_pool[t->pool]++;
    c->chans[c->n_chans++] = ch;
    return ch;
}

static void free_channel(struct vs_conn *c, struct vs_channel *ch)
{
    c->bytes_in += vs_channel_bytes_in(ch);
    c->bytes_out += vs_channel_bytes_out(ch);
    c->in_pool[ch->type->pool]--;
    vs_channel_free(ch);
}

/* Removes the newest channel, whose open failed. */
static void drop_last_channel(struct vs_conn *c)
{
    free_channel(c, c->chans[--c->n_chans]);
}

static struct vs_channel *find_channel(struct vs_conn *c, ssh_channel sc)
{
    for (unsigned i = 0; i < c->n_chans; i++)
        if (c->chans[i]->ch == sc)
            return c->chans[i];
    return NULL;
}

static void refuse_open(ssh_message msg, const char *why)
{
    log_info("refused %s", why);
    ssh_message_reply_default(msg);
    ssh_message_free(msg);
}

/* A client's CHANNEL_OPEN. Takes msg: the type answers it (now, or when it
 * knows, as a direct-tcpip open once connected) and frees it. */
static void handle_channel_open(struct vs_conn *c, ssh_message msg)
{
    int sub = ssh_message_subtype(msg);
    const struct vs_chan_type *t = vs_chan_type_for_open(sub);

    if (t == NULL && sub == SSH_CHANNEL_UNKNOWN) {
        /* libssh does not parse direct-streamlocal@openssh.com (Unix
         * sockets) or tun@openssh.com: their arguments never reach us. */
        refuse_open(msg, "a channel of a type libssh does not parse: Unix-socket (streamlocal) "
                         "and tun forwarding are not available");
        return;
    }
    if (t == NULL) {
        refuse_open(msg, sub == SSH_CHANNEL_X11 ? "an x11 channel: not supported"
                                                : "a forwarded-tcpip or auth-agent channel: not "
                                                  "supported");
        return;
    }
    struct vs_channel *ch = add_channel(c, t);
    if (ch == NULL) {
        ssh_message_reply_default(msg);
        ssh_message_free(msg);
        return;
    }
    if (t->open(ch, msg) < 0)
        drop_last_channel(c);
}

/* A connection to one of our listeners (forward.h): a channel we open. */
static void on_accept(void *arg, const struct vs_accepted *a)
{
    struct vs_conn *c = arg;
    const struct vs_chan_type *t = vs_chan_type_for_accepted(a->agent);
    struct vs_channel *ch = c->dead ? NULL : add_channel(c, t);
    if (ch == NULL) {
        close(a->fd);
        return;
    }
    if (t->start(ch, a) < 0)
        drop_last_channel(c);
}

/* ---- requests ------------------------------------------------------------- */

static void handle_auth(struct vs_conn *c, ssh_message msg)
{
    if (++c->auth_attempts > VS_MAX_AUTH_TRIES) {
        log_info("too many authentication attempts, disconnecting");
        c->dead = true;
        return;
    }
    bool ok = ssh_message_subtype(msg) == SSH_AUTH_METHOD_NONE &&
              auth_none(c, ssh_message_auth_user(msg));
    /* Once: a client may pipeline several "none" requests, each answered
     * with success once authenticated, and the tables must not be made
     * again under channels that exist. */
    if (ok && c->chans == NULL && setup_channels(c) < 0) {
        c->dead = true;
        ok = false;
    }
    if (ok)
        ssh_message_auth_reply_success(msg, 0);
    else
        ssh_message_reply_default(msg);
}

/* libssh queues what the client asks for (the server callbacks are not set
 * on purpose: with them, libssh must answer before the callback returns,
 * and a direct-tcpip open could not wait for its connect()). */
static void handle_message(struct vs_conn *c, ssh_message msg)
{
    int type = ssh_message_type(msg);

    if (type == SSH_REQUEST_AUTH) {
        handle_auth(c, msg);
    } else if (!c->authenticated || c->dead) {
        ssh_message_reply_default(msg); /* services: accepted; the rest: refused */
    } else if (type == SSH_REQUEST_CHANNEL_OPEN) {
        handle_channel_open(c, msg);
        return;
    } else if (type == SSH_REQUEST_CHANNEL) {
        struct vs_channel *ch = find_channel(c, ssh_message_channel_request_channel(msg));
        if (ch != NULL && vs_channel_request(ch, msg) == 0)
            ssh_message_channel_request_reply_success(msg);
        else
            ssh_message_reply_default(msg);
    } else if (type == SSH_REQUEST_GLOBAL) {
        vs_fwd_global_request(c->fwd, msg);
    } else {
        ssh_message_reply_default(msg);
    }
    ssh_message_free(msg);
}

/* libssh queues every request it parses, without bound.  A round reads at
 * most VS_SSH_READS_PER_ROUND times 4 KiB, which holds at most about 1,500
 * requests, so the whole queue is answered every round and never carries
 * over (answering only part of it let a burst of requests grow the
 * connection process by 350 bytes each: 72 MB for 200,000).  More than
 * this many in one round is a flood: the client is dropped. */
#define VS_MESSAGES_PER_ROUND_MAX 4096

static void handle_messages(struct vs_conn *c)
{
    ssh_message msg;
    unsigned n = 0;
    while (!c->dead && (msg = ssh_message_get(c->ssh)) != NULL) {
        if (++n > VS_MESSAGES_PER_ROUND_MAX) {
            log_info("more than %d requests at once: the client floods, disconnecting",
                     VS_MESSAGES_PER_ROUND_MAX);
            ssh_message_free(msg);
            c->dead = true;
            return;
        }
        handle_message(c, msg);
    }
}

/* ---- the loop ------------------------------------------------------------- */

/* ClientAliveInterval: after that long without a byte from the client, ask
 * for an answer; after ClientAliveCountMax unanswered asks, hang up. Returns
 * the poll timeout it needs. */
static int client_alive(struct vs_conn *c, bool input)
{
    int iv = c->cfg->client_alive_interval;
    if (iv <= 0 || c->dead || !c->authenticated)
        return -1;
    if (input || c->alive_since_ms == 0) {
        c->alive_since_ms = vs_now_ms();
        c->alive_unanswered = 0;
    }
    int64_t left = (int64_t)iv * 1000 - (vs_now_ms() - c->alive_since_ms);
    if (left > 0)
        return (int)left;
    if (c->alive_unanswered >= (unsigned)c->cfg->client_alive_count_max) {
        log_info("client not responding (ClientAliveCountMax %d), disconnecting",
                 c->cfg->client_alive_count_max);
        c->dead = true;
        return -1;
    }
    ssh_send_keepalive(c->ssh);
    c->alive_unanswered++;
    c->alive_since_ms = vs_now_ms();
    return iv * 1000;
}

static void reap(struct vs_conn *c)
{
    pid_t pid;
    int status;

    /* A pid no channel claims is a direct-tcpip's connect helper. */
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (unsigned i = 0; i < c->n_chans; i++)
            if (vs_channel_reaped(c->chans[i], pid, status))
                break;
}

static void check_alive(struct vs_conn *c)
{
    if (c->dead)
        return;
    int st = ssh_get_status(c->ssh);
    /* libssh may close the socket without saying so in the status: with
     * 0.11, a client gone just as the key exchange ends leaves a session
     * that is "connected" and has no socket, and poll() would ignore its
     * fd of -1 until LoginGraceTime. */
    if ((st & (SSH_CLOSED | SSH_CLOSED_ERROR)) || !ssh_is_connected(c->ssh) ||
        ssh_get_fd(c->ssh) == SSH_INVALID_SOCKET) {
        c->dead = true;
        log_debug("connection closed by peer: %s", ssh_get_error(c->ssh));
    }
}

/* Advances every channel and frees the finished ones; lowers *timeout to
 * what they need.  Once the connection is dead every channel hangs up
 * first; a channel that finds the client breaking the protocol kills the
 * connection, and then the others are stepped again, so that all of them
 * have hung up (and asked for their timers) before poll() may sleep. */
static void step_channels(struct vs_conn *c, int *timeout)
{
    for (int pass = 0; pass < 2; pass++) {
        bool was_dead = c->dead;
        if (c->dead) {
            for (unsigned i = 0; i < c->n_chans; i++)
                vs_channel_hangup(c->chans[i]);
            vs_fwd_close_all(c->fwd);
        }
        unsigned kept = 0;
        for (unsigned i = 0; i < c->n_chans; i++) {
            struct vs_channel *ch = c->chans[i];
            int r = vs_channel_step(ch, timeout);
            if (r == -ECONNABORTED)
                c->dead = true;
            if (r == VS_CHAN_DONE)
                free_channel(c, ch);
            else
                c->chans[kept++] = ch;
        }
        c->n_chans = kept;
        if (c->dead == was_dead)
            return;
    }
}

/* dopoll rounds per wake-up of the SSH socket (4 KiB each, see read_ssh). */
#define VS_SSH_READS_PER_ROUND 16

/* libssh first: its callbacks record requests, data and EOF/CLOSE. */
static void read_ssh(struct vs_conn *c)
{
    /* libssh reads the socket 4 KiB at a time, one read per dopoll: drain
     * what is there before going back to poll(), within a bound so that
     * channels get their turn. */
    for (int i = 0; i < VS_SSH_READS_PER_ROUND; i++) {
        int rc = ssh_event_dopoll(c->event, 0);
        if (rc == SSH_ERROR) {
            check_alive(c);
            break;
        }
        if (rc != SSH_OK)
            break; /* SSH_AGAIN: nothing more to read now */
    }
}

static void handle_signals(struct vs_conn *c)
{
    unsigned sigs = vs_signals_take();
    if (sigs & VS_SIGBIT(SIGCHLD))
        reap(c);
    if ((sigs & (VS_SIGBIT(SIGTERM) | VS_SIGBIT(SIGINT))) && !c->dead) {
        /* Hang up the channels first; the DISCONNECT goes out when they
         * are gone (ssh_disconnect() frees every channel, and they still
         * hold theirs). */
        log_info("terminating on signal");
        c->dead = true;
    }
}

static int event_loop(struct vs_conn *c)
{
    bool input = false;
    for (;;) {
        struct pollfd *pfd = c->pfd;
        int n = 0;

        /* First (also for what the last round's handlers did): they may
         * decide the connection is dead, which the channels must see in
         * this same round. */
        check_alive(c);
        int timeout = client_alive(c, input);
        input = false;
        step_channels(c, &timeout);
        if (c->dead && c->n_chans == 0)
            break;

        if (!c->dead) {
            int flags = ssh_get_poll_flags(c->ssh);
            short ev = (short)(((flags & SSH_READ_PENDING) ? POLLIN : 0) |
                               ((flags & SSH_WRITE_PENDING) ? POLLOUT : 0));
            pfd[n++] = (struct pollfd){.fd = ssh_get_fd(c->ssh), .events = ev};
        }
        int sig_idx = n;
        pfd[n++] = (struct pollfd){.fd = vs_signals_fd(), .events = POLLIN};
        /* Channels opened during this round have no slot: next round. */
        unsigned n_slotted = c->n_chans;
        for (unsigned i = 0; i < n_slotted; i++) {
            int k = vs_channel_poll_prepare(c->chans[i], &pfd[n]);
            c->slots[i] = (struct chan_slot){n, k};
            n += k;
        }
        int fwd_base = n;
        n += vs_fwd_poll_prepare(c->fwd, &pfd[n]);

        if (poll(pfd, (nfds_t)n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            return log_error_errno(-errno, "poll");
        }
        if (!c->dead && pfd[0].revents != 0) {
            input = (pfd[0].revents & POLLIN) != 0;
            read_ssh(c);
        }
        if (pfd[sig_idx].revents & POLLIN)
            handle_signals(c);
        if (!c->dead)
            handle_messages(c);
        for (unsigned i = 0; i < n_slotted; i++)
            vs_channel_poll_handle(c->chans[i], &pfd[c->slots[i].base], c->slots[i].count);
        vs_fwd_poll_handle(c->fwd, &pfd[fwd_base], n - fwd_base, on_accept, c);
    }
    return 0;
}

int vs_conn_run(const struct vs_conn_params *p)
{
    struct vs_conn c = {
        .base = p->cfg,
        .cfg = p->cfg,
        .refusal = p->refusal,
        .bind = p->bind,
        .peer = p->peer,
        .auth_notify_fd = p->auth_notify_fd,
        .login = {.monitor_fd = -1},
        .ctr = {.pidfd = -1, .root_fd = -1},
    };
    int rc = -EIO;

    c.started_ms = vs_now_ms();
    vs_peer_name(&c.peer, VS_PEER_FOR_LOG, c.peer_str, sizeof(c.peer_str));
    vs_peer_name(&c.peer, VS_PEER_FOR_HOST, c.login_host, sizeof(c.login_host));
    vs_peer_env(&c.peer, c.ssh_connection, sizeof(c.ssh_connection), c.ssh_client,
                sizeof(c.ssh_client));
    vs_log_set_prefix(c.peer_str);
    if (p->cfg->login_grace_time > 0)
        alarm((unsigned)p->cfg->login_grace_time); /* SIGALRM's default action ends us */

    /* Until the user is known: the SSH socket and the signal pipe. */
    c.max_pfd = 2;
    c.pfd = calloc(c.max_pfd, sizeof(*c.pfd));
    c.ssh = ssh_new();
    if (c.ssh == NULL || c.pfd == NULL) {
        vs_close(p->fd);
        goto out;
    }
    if (ssh_bind_accept_fd(p->bind, c.ssh, p->fd) != SSH_OK) {
        log_error("cannot set up the connection: %s", ssh_get_error(p->bind));
        vs_close(p->fd);
        goto out;
    }
    /* libssh refuses to send USERAUTH_FAILURE with an empty method list, and a
     * client waiting for that reply hangs until LoginGraceTime.  So a refused
     * "none" names keyboard-interactive, which has no handler and is always
     * refused: the client ends with "Permission denied", exit 255. */
    ssh_set_auth_methods(c.ssh, SSH_AUTH_METHOD_NONE | SSH_AUTH_METHOD_INTERACTIVE);
    if (ssh_handle_key_exchange(c.ssh) != SSH_OK) {
        log_info("key exchange failed: %s", ssh_get_error(c.ssh));
        goto out;
    }
    /* ssh_channel_write() flushes; non-blocking keeps it from waiting on a slow client. */
    ssh_set_blocking(c.ssh, 0);
    c.event = ssh_event_new();
    if (c.event == NULL || ssh_event_add_session(c.event, c.ssh) != SSH_OK) {
        log_error("cannot create the event loop");
        goto out;
    }
    rc = event_loop(&c);
    /* The peak memory of this process: what a hostile client made it
     * hold, for operators (and for the tests, whose sampling can miss a
     * connection dropped within milliseconds). */
    struct rusage ru = {0};
    getrusage(RUSAGE_SELF, &ru);
    log_info("connection closed: user %s, %u sessions, in %llu out %llu bytes, %.3f s, peak RSS "
             "%ld kB",
             c.user.name ? c.user.name : "-", c.opened[VS_POOL_SESSION],
             (unsigned long long)c.bytes_in, (unsigned long long)c.bytes_out,
             (double)(vs_now_ms() - c.started_ms) / 1000.0, ru.ru_maxrss);
out:
    /* Channels are left only when the loop failed. */
    while (c.n_chans > 0)
        drop_last_channel(&c);
    if (c.event != NULL) {
        ssh_event_remove_session(c.event, c.ssh);
        ssh_event_free(c.event);
    }
    if (c.ssh != NULL) {
        ssh_disconnect(c.ssh);
        ssh_free(c.ssh);
    }
    vs_fwd_free(c.fwd);
    if (c.have_match)
        vs_config_free(&c.match_vals);
    free(c.chans);
    free(c.slots);
    free(c.pfd);
    vs_user_free(&c.user);
    vs_container_close(&c.ctr);
    vs_login_free(&c.login);
    vs_close(c.auth_notify_fd);
    return rc;
}
