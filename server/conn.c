#include "conn.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libssh/callbacks.h>

#include "fdutil.h"
#include "forward.h"
#include "log.h"
#include "match.h"
#include "session.h"
#include "signals.h"
#include "util.h"

/* Applies the Match blocks that this user and peer match, always on top of
 * the server's configuration (a refused attempt's user must not leave its
 * blocks behind for the next): c->cfg becomes the connection's own
 * configuration.  Returns 0 or a negative errno: a user whose groups cannot
 * all be read is refused, since a Group criterion (negated ones too) would
 * be decided without them. */
static int apply_match(struct vs_conn *c, const struct vs_user *u)
{
    if (c->have_match) {
        vs_config_free(&c->match_vals);
        c->have_match = false;
    }
    c->cfg = c->base;
    if (c->base->n_matches == 0)
        return 0;
    struct vs_match_ctx ctx;
    int r = vs_match_ctx_build(&ctx, u, &c->peer, vs_config_uses_groups(c->base));
    if (r < 0)
        return r;
    r = vs_config_match(c->base, &ctx, &c->matched, &c->match_vals);
    vs_match_ctx_free(&ctx);
    c->have_match = true;
    c->cfg = &c->matched;
    return r;
}

/* ChrootDirectory, with OpenSSH's rules: every component of the path a
 * directory owned by root and writable by nobody else.  Done as root,
 * before the privilege drop.  Returns 0 or a negative errno (logged). */
static int enter_chroot(const char *spec, const struct vs_user *u)
{
    char path[4096];
    size_t n = 0;

    for (const char *s = spec; *s != '\0' && n + 1 < sizeof(path); s++) {
        const char *add = NULL;
        if (s[0] == '%' && s[1] == 'h')
            add = u->home;
        else if (s[0] == '%' && s[1] == 'u')
            add = u->name;
        else if (s[0] == '%' && s[1] == '%')
            add = "%";
        if (add != NULL) {
            n += (size_t)snprintf(path + n, sizeof(path) - n, "%s", add);
            s++;
        } else {
            path[n++] = *s;
        }
        if (n >= sizeof(path))
            return log_error_errno(-ENAMETOOLONG, "ChrootDirectory %s", spec);
    }
    path[n] = '\0';
    if (path[0] != '/')
        return log_error_errno(-EINVAL, "ChrootDirectory %s: not an absolute path", path);
    char part[4096];
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        snprintf(part, sizeof(part), "%.*s", (int)(i ? i : 1), path);
        struct stat st;
        if (stat(part, &st) < 0)
            return log_error_errno(-errno, "ChrootDirectory %s", part);
        if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) != 0) {
            log_error("bad ownership or modes for chroot directory component %s: it must be a "
                      "directory owned by root and writable by nobody else",
                      part);
            return -EPERM;
        }
    }
    if (chroot(path) < 0 || chdir("/") < 0)
        return log_error_errno(-errno, "chroot %s", path);
    log_verbose("user %s chrooted to %s", u->name, path);
    return 0;
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

/* As root, after the account checks: PAM's credentials and session and
 * their monitor (login.h), sized for this connection's MaxSessions; then
 * in the connection's own process the groups, PAM's credentials again (for
 * the groups they give) and its environment, ChrootDirectory, and the
 * privilege drop.  Returns 0, or a negative errno with the connection
 * marked dead (logged). */
static int become_user(struct vs_conn *c, struct vs_user *u, const char *name)
{
    char why[512] = "";
    int close_fds[] = {ssh_get_fd(c->ssh), c->auth_notify_fd, -1};
    int r =
        vs_login_open(&c->login, u, (unsigned)c->cfg->max_sessions, close_fds, why, sizeof(why));
    if (r < 0) {
        log_error("refused user %s: cannot open the login session: %s", name, why);
        return r;
    }
    /* From here on: the connection's process, soon the user's. */
    bool root = geteuid() == 0;
    if (root && initgroups(u->name, u->gid) < 0)
        return log_error_errno(-errno, "initgroups for user %s", name);
    r = vs_login_setcred(&c->login);
    const char *jail = c->cfg->chroot_directory;
    if (r == 0 && jail != NULL && strcmp(jail, "none") != 0)
        r = enter_chroot(jail, u);
    if (r == 0)
        r = vs_privileges_drop(u, root);
    /* The host key is in our memory: the user may not read it. */
    if (r == 0 && prctl(PR_SET_DUMPABLE, 0) < 0)
        r = -errno;
    /* If the monitor dies, so does the login: hang up as on SIGTERM.  Set
     * after the drop, which clears it. */
    if (r == 0 && c->login.monitor_fd >= 0 &&
        (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != c->login.monitor_pid))
        r = -ESRCH;
    if (r < 0)
        return log_error_errno(r, "cannot become user %s", name);
    return 0;
}

/* Null authentication: vsock already told us who the peer is; what remains
 * is which account the session may start as, and whether that account may
 * log in now.  Once it is settled the connection process becomes that
 * user, so that everything it does from here on (forwarded connections,
 * listeners, agent sockets, sessions) is done with the user's identity and
 * nothing else. */
static bool auth_none(struct vs_conn *c, const char *user)
{
    char name[72], why_buf[512] = "";
    const char *why = NULL;
    struct vs_user u;

    vs_printable(name, sizeof(name), user);
    if (c->authenticated)
        return strcmp(user, c->user.name) == 0;
    if (c->refusal != NULL) {
        /* Admitted only to be told why it may not log in (peer.h). */
        log_info("refused user %s: %s", name, c->refusal);
        refusal_banner(c, name, c->refusal);
        c->dead = true;
        return false;
    }
    int r = vs_user_lookup(user, &u);
    if (r < 0) {
        log_info("refused user %s: %s", name, r == -ENOENT ? "no such user" : strerror(-r));
        return false;
    }
    /* The connection's own configuration first: Match may restrict who
     * logs in (AllowUsers, DenyUsers, PermitRootLogin by Peer, say). */
    r = apply_match(c, &u);
    if (r < 0) {
        log_info("refused user %s: %s", name,
                 r == -EINVAL ? "its Match settings cannot be applied"
                              : "its groups cannot be read, so Match Group cannot be decided");
        vs_user_free(&u);
        return false;
    }
    if (!vs_peer_may_become(c->cfg, &c->peer, u.uid, &why)) {
        log_info("refused user %s: %s", name, why);
        vs_user_free(&u);
        return false;
    }
    struct vs_user_facts facts = {.name = u.name,
                                  .uid = u.uid,
                                  .shell_valid = vs_shell_listed(u.shell),
                                  .server_euid = geteuid()};
    if (!vs_user_allowed(c->cfg, &facts, &why)) {
        log_info("refused user %s: %s", name, why);
        vs_user_free(&u);
        return false;
    }
    r = vs_login_account(&c->login, c->cfg, &u, c->login_host, why_buf, sizeof(why_buf));
    if (r < 0) {
        log_info("refused user %s: %s", name, why_buf);
        if (r == -EACCES)
            refusal_banner(c, name, why_buf);
        vs_login_free(&c->login);
        vs_user_free(&u);
        return false;
    }
    if (become_user(c, &u, name) < 0) {
        vs_login_free(&c->login);
        vs_user_free(&u);
        c->dead = true;
        return false;
    }
    c->user = u;
    c->authenticated = true;
    alarm(0); /* LoginGraceTime is over */
    if (c->auth_notify_fd >= 0) {
        (void)!write(c->auth_notify_fd, "A", 1);
        c->auth_notify_fd = vs_close(c->auth_notify_fd);
    }
    log_info("accepted user %s", u.name);
    return true;
}

static void handle_auth(struct vs_conn *c, ssh_message msg)
{
    if (++c->auth_attempts > VS_MAX_AUTH_TRIES) {
        log_info("too many authentication attempts, disconnecting");
        c->dead = true;
        return;
    }
    if (ssh_message_subtype(msg) == SSH_AUTH_METHOD_NONE &&
        auth_none(c, ssh_message_auth_user(msg)))
        ssh_message_auth_reply_success(msg, 0);
    else
        ssh_message_reply_default(msg);
}

static void handle_channel_open(struct vs_conn *c, ssh_message msg)
{
    if (ssh_message_subtype(msg) != SSH_CHANNEL_SESSION) {
        vs_fwd_channel_open(c, msg); /* answers and frees it */
        return;
    }
    ssh_channel ch = vs_session_open(c);
    if (ch == NULL || ssh_message_channel_request_open_reply_accept_channel(msg, ch) != SSH_OK)
        ssh_message_reply_default(msg);
    ssh_message_free(msg);
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
        struct vs_session *s = vs_session_find(c, ssh_message_channel_request_channel(msg));
        if (s != NULL && vs_session_request(s, msg) == 0)
            ssh_message_channel_request_reply_success(msg);
        else
            ssh_message_reply_default(msg);
    } else if (type == SSH_REQUEST_GLOBAL) {
        vs_fwd_global_request(c, msg);
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

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (unsigned i = 0; i < c->n_sessions; i++)
            if (vs_session_reaped(c->sessions[i], pid, status))
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

/* dopoll rounds per wake-up of the SSH socket (4 KiB each, see below). */
#define VS_SSH_READS_PER_ROUND 16

struct poll_slot {
    struct vs_session *s;
    int base, count;
};

static int event_loop(struct vs_conn *c)
{
    size_t max_fds =
        2 + (size_t)c->cfg->max_sessions * VS_SESSION_MAX_POLLFDS + vs_fwd_max_pollfds(c->cfg);
    VS_CLEANUP_FREE struct pollfd *pfd = calloc(max_fds, sizeof(*pfd));
    VS_CLEANUP_FREE struct poll_slot *slots =
        calloc((size_t)c->cfg->max_sessions + 1, sizeof(*slots));

    c->sessions = calloc((size_t)c->cfg->max_sessions + 1, sizeof(*c->sessions));
    if (pfd == NULL || slots == NULL || c->sessions == NULL)
        return -ENOMEM;
    bool input = false;
    for (;;) {
        int n = 0, n_slots = 0;

        /* First (also for what the last round's handlers did): they may
         * decide the connection is dead, which the sessions and forwards
         * must see in this same round. */
        check_alive(c);
        int timeout = client_alive(c, input);
        input = false;

        /* Advance sessions and free the finished ones. */
        bool was_dead = c->dead;
        unsigned kept = 0;
        for (unsigned i = 0; i < c->n_sessions; i++) {
            struct vs_session *s = c->sessions[i];
            int t = vs_session_step(s);
            if (t >= 0 && (timeout < 0 || t < timeout))
                timeout = t;
            if (vs_session_finished(s))
                vs_session_free(s);
            else
                c->sessions[kept++] = s;
        }
        c->n_sessions = kept;
        vs_fwd_step(c->fwd);
        if (c->dead && c->n_sessions == 0)
            break;
        /* A step found the connection dead (a client that ignores the
         * window): every session must see it, and hang up, before poll()
         * could sleep with nothing left to wake it. */
        if (c->dead && !was_dead)
            continue;

        if (!c->dead) {
            int flags = ssh_get_poll_flags(c->ssh);
            short ev = (short)(((flags & SSH_READ_PENDING) ? POLLIN : 0) |
                               ((flags & SSH_WRITE_PENDING) ? POLLOUT : 0));
            pfd[n++] = (struct pollfd){.fd = ssh_get_fd(c->ssh), .events = ev};
        }
        int sig_idx = n;
        pfd[n++] = (struct pollfd){.fd = vs_signals_fd(), .events = POLLIN};
        for (unsigned i = 0; i < c->n_sessions; i++) {
            int k = vs_session_poll_prepare(c->sessions[i], &pfd[n]);
            slots[n_slots++] = (struct poll_slot){c->sessions[i], n, k};
            n += k;
        }
        int fwd_base = n;
        n += vs_fwd_poll_prepare(c->fwd, &pfd[n]);

        if (poll(pfd, (nfds_t)n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            return log_error_errno(-errno, "poll");
        }

        /* libssh first: its callbacks record requests, data and EOF/CLOSE. */
        if (!c->dead && pfd[0].revents != 0) {
            input = (pfd[0].revents & POLLIN) != 0;
            /* libssh reads the socket 4 KiB at a time, one read per
             * dopoll: drain what is there before going back to poll(),
             * within a bound so that sessions get their turn. */
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
        if (pfd[sig_idx].revents & POLLIN) {
            unsigned sigs = vs_signals_take();
            if (sigs & VS_SIGBIT(SIGCHLD))
                reap(c);
            if ((sigs & (VS_SIGBIT(SIGTERM) | VS_SIGBIT(SIGINT))) && !c->dead) {
                /* Hang up the sessions first; the DISCONNECT goes out when
                 * they are gone (ssh_disconnect() frees every channel, and
                 * the sessions still hold theirs). */
                log_info("terminating on signal");
                c->dead = true;
            }
        }
        if (!c->dead)
            handle_messages(c);
        /* Sessions opened during this round have no slot yet: next round. */
        for (int i = 0; i < n_slots; i++)
            vs_session_poll_handle(slots[i].s, &pfd[slots[i].base], slots[i].count);
        vs_fwd_poll_handle(c->fwd, &pfd[fwd_base], n - fwd_base);
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
    };
    int rc = -EIO;

    c.started_ms = vs_now_ms();
    vs_peer_format(&c.peer, c.peer_str, sizeof(c.peer_str));
    if (c.peer.kind == VS_PEER_VSOCK)
        snprintf(c.login_host, sizeof(c.login_host), "vsock:%u", c.peer.cid);
    else
        snprintf(c.login_host, sizeof(c.login_host), "unix:%ld", (long)c.peer.uid);
    vs_peer_env(&c.peer, c.ssh_connection, sizeof(c.ssh_connection), c.ssh_client,
                sizeof(c.ssh_client));
    vs_log_set_prefix(c.peer_str);
    if (p->cfg->login_grace_time > 0)
        alarm((unsigned)p->cfg->login_grace_time); /* SIGALRM's default action ends us */

    c.ssh = ssh_new();
    if (c.ssh == NULL) {
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
    if (vs_fwd_new(&c) < 0) {
        log_error("out of memory");
        goto out;
    }
    c.event = ssh_event_new();
    if (c.event == NULL || ssh_event_add_session(c.event, c.ssh) != SSH_OK) {
        log_error("cannot create the event loop");
        goto out;
    }
    rc = event_loop(&c);
    log_info("connection closed: user %s, %u sessions, in %llu out %llu bytes, %.3f s",
             c.user.name ? c.user.name : "-", c.total_sessions, (unsigned long long)c.bytes_in,
             (unsigned long long)c.bytes_out, (double)(vs_now_ms() - c.started_ms) / 1000.0);
out:
    if (c.event != NULL) {
        ssh_event_remove_session(c.event, c.ssh);
        ssh_event_free(c.event);
    }
    if (c.ssh != NULL) {
        ssh_disconnect(c.ssh);
        ssh_free(c.ssh);
    }
    vs_fwd_free(&c);
    if (c.have_match)
        vs_config_free(&c.match_vals);
    free(c.sessions);
    vs_user_free(&c.user);
    vs_login_free(&c.login);
    vs_close(c.auth_notify_fd);
    return rc;
}
