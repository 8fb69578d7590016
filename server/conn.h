/* One SSH connection, run to its end in its own process: key exchange, null
 * authentication, and a poll() loop that owns every fd (the SSH socket, the
 * signal pipe, each session's child fds, each forward's sockets) and drives
 * libssh as a protocol engine.  Requests come from libssh's message queue
 * and are answered when the answer is known; channel callbacks only record
 * state; fds and channels are closed and freed by the loop, never inside a
 * callback. */
#ifndef VS_CONN_H
#define VS_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "child.h"
#include "config.h"
#include "login.h"
#include "peer.h"
#include "policy.h"

/* Authentication attempts before the connection is dropped (sshd's MaxAuthTries). */
#define VS_MAX_AUTH_TRIES 6

struct vs_session;
struct vs_fwd;

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
    char login_host[40]; /* "vsock:CID": PAM_RHOST, utmp's host */
    char ssh_connection[128], ssh_client[96];
    struct vs_user user;
    struct vs_login login; /* account checks, PAM session, utmp (login.h) */
    bool authenticated;
    bool dead; /* the SSH connection is gone */
    int auth_notify_fd;
    unsigned auth_attempts;
    struct vs_session **sessions; /* MaxSessions slots, n_sessions in use */
    unsigned n_sessions, total_sessions;
    uint64_t bytes_in, bytes_out;
    int64_t started_ms;
    struct vs_fwd *fwd;     /* forwarding state, see forward.h */
    int64_t alive_since_ms; /* ClientAliveInterval: last input or ask; 0 not yet */
    unsigned alive_unanswered;
};

struct vs_conn_params {
    const struct vs_config *cfg;
    ssh_bind bind;
    int fd; /* the accepted socket; owned from here on */
    struct vs_peer peer;
    int auth_notify_fd; /* written and closed once authenticated; -1 for none */
    /* NULL, or why every login is refused: a peer whose only fault is
     * something the client should be told (vs_peer_check's VS_PEER_EXPLAIN),
     * static. */
    const char *refusal;
};

/* Runs the connection to its end. Returns 0, or a negative errno when it
 * could not be set up or its loop failed (logged). */
int vs_conn_run(const struct vs_conn_params *p);

#endif
