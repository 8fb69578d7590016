#include "conn.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libssh/callbacks.h>

#include "log.h"
#include "session.h"
#include "signals.h"
#include "util.h"

int64_t vs_ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Null authentication: vsock already told us who the peer is; what remains
 * is which account the session may start as. */
static int on_auth_none(ssh_session session, const char *user, void *userdata)
{
    struct vs_conn *c = userdata;
    char name[72];
    const char *why = NULL;
    struct vs_user u;

    vs_printable(name, sizeof(name), user);
    if (c->authenticated)
        return strcmp(user, c->user.name) == 0 ? SSH_AUTH_SUCCESS : SSH_AUTH_DENIED;
    if (++c->auth_attempts > VS_MAX_AUTH_TRIES) {
        log_info("too many authentication attempts, disconnecting");
        ssh_disconnect(session);
        return SSH_AUTH_DENIED;
    }
    int r = vs_user_lookup(user, &u);
    if (r < 0) {
        log_info("refused user %s: %s", name, r == -ENOENT ? "no such user" : strerror(-r));
        return SSH_AUTH_DENIED;
    }
    struct vs_user_facts facts = {.name = u.name,
                                  .uid = u.uid,
                                  .shell_valid = vs_shell_listed(u.shell),
                                  .server_euid = geteuid()};
    if (!vs_user_allowed(c->cfg, &facts, &why)) {
        log_info("refused user %s: %s", name, why);
        vs_user_free(&u);
        return SSH_AUTH_DENIED;
    }
    c->user = u;
    c->authenticated = true;
    alarm(0); /* LoginGraceTime is over */
    if (c->auth_notify_fd >= 0) {
        (void)!write(c->auth_notify_fd, "A", 1);
        c->auth_notify_fd = vs_close(c->auth_notify_fd);
    }
    log_info("accepted user %s", u.name);
    return SSH_AUTH_SUCCESS;
}

static ssh_channel on_session_open(ssh_session session, void *userdata)
{
    struct vs_conn *c = userdata;
    (void)session;
    if (!c->authenticated)
        return NULL;
    return vs_session_open(c);
}

static void format_addresses(struct vs_conn *c)
{
    const struct vs_peer *p = &c->peer;
    vs_peer_format(p, c->peer_str, sizeof(c->peer_str));
    if (p->kind == VS_PEER_VSOCK) {
        /* The CIDs stand where OpenSSH puts IP addresses. */
        snprintf(c->ssh_connection, sizeof(c->ssh_connection), "%u %u %u %u", p->cid, p->port,
                 p->local_cid, p->local_port);
        snprintf(c->ssh_client, sizeof(c->ssh_client), "%u %u %u", p->cid, p->port, p->local_port);
    } else {
        /* What sshd says of a peer that has no IP address. */
        snprintf(c->ssh_connection, sizeof(c->ssh_connection), "UNKNOWN 65535 UNKNOWN 65535");
        snprintf(c->ssh_client, sizeof(c->ssh_client), "UNKNOWN 65535 65535");
    }
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
    if ((st & (SSH_CLOSED | SSH_CLOSED_ERROR)) || !ssh_is_connected(c->ssh)) {
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
    size_t max_fds = 2 + (size_t)c->cfg->max_sessions * VS_SESSION_MAX_POLLFDS;
    struct pollfd *pfd = calloc(max_fds, sizeof(*pfd));
    struct poll_slot *slots = calloc((size_t)c->cfg->max_sessions + 1, sizeof(*slots));
    int ssh_fd = ssh_get_fd(c->ssh);

    c->sessions = calloc((size_t)c->cfg->max_sessions + 1, sizeof(*c->sessions));
    if (pfd == NULL || slots == NULL || c->sessions == NULL) {
        free(pfd);
        free(slots);
        return -ENOMEM;
    }
    for (;;) {
        int timeout = -1, n = 0, n_slots = 0;

        /* Advance sessions and free the finished ones. */
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
        if (c->dead && c->n_sessions == 0)
            break;

        if (!c->dead) {
            int flags = ssh_get_poll_flags(c->ssh);
            short ev = (short)(((flags & SSH_READ_PENDING) ? POLLIN : 0) |
                               ((flags & SSH_WRITE_PENDING) ? POLLOUT : 0));
            pfd[n++] = (struct pollfd){.fd = ssh_fd, .events = ev};
        }
        int sig_idx = n;
        pfd[n++] = (struct pollfd){.fd = vs_signals_fd(), .events = POLLIN};
        for (unsigned i = 0; i < c->n_sessions; i++) {
            int k = vs_session_poll_prepare(c->sessions[i], &pfd[n]);
            slots[n_slots++] = (struct poll_slot){c->sessions[i], n, k};
            n += k;
        }

        if (poll(pfd, (nfds_t)n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            free(pfd);
            free(slots);
            return log_error_errno(-errno, "poll");
        }

        /* libssh first: its callbacks record requests, data and EOF/CLOSE. */
        if (!c->dead && pfd[0].revents != 0) {
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
        /* Sessions opened during this round have no slot yet: next round. */
        for (int i = 0; i < n_slots; i++)
            vs_session_poll_handle(slots[i].s, &pfd[slots[i].base], slots[i].count);
        check_alive(c);
    }
    free(pfd);
    free(slots);
    return 0;
}

int vs_conn_run(const struct vs_conn_params *p)
{
    struct vs_conn c = {
        .cfg = p->cfg,
        .peer = p->peer,
        .auth_notify_fd = p->auth_notify_fd,
    };
    struct ssh_server_callbacks_struct cb = {
        .userdata = &c,
        .auth_none_function = on_auth_none,
        .channel_open_request_session_function = on_session_open,
    };
    int rc = 1;

    clock_gettime(CLOCK_MONOTONIC, &c.started);
    format_addresses(&c);
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
    ssh_callbacks_init(&cb);
    ssh_set_server_callbacks(c.ssh, &cb);
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
    rc = event_loop(&c) < 0 ? 1 : 0;
    log_info("connection closed: user %s, %u sessions, in %llu out %llu bytes, %.3f s",
             c.user.name ? c.user.name : "-", c.total_sessions, (unsigned long long)c.bytes_in,
             (unsigned long long)c.bytes_out, (double)vs_ms_since(&c.started) / 1000.0);
out:
    if (c.event != NULL) {
        ssh_event_remove_session(c.event, c.ssh);
        ssh_event_free(c.event);
    }
    if (c.ssh != NULL) {
        ssh_disconnect(c.ssh);
        ssh_free(c.ssh);
    }
    free(c.sessions);
    vs_user_free(&c.user);
    vs_close(c.auth_notify_fd);
    return rc;
}
