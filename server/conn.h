/* One SSH connection, run to its end in its own process: key exchange, null
 * authentication, and a poll() loop that owns every fd (the SSH socket, the
 * signal pipe, each channel's fds, the listeners' sockets) and drives
 * libssh as a protocol engine.  Requests come from libssh's message queue
 * and are answered when the answer is known; channels (channel.h) are kept
 * in the connection's table, sized once the user is known and Match
 * applied, and are closed and freed by the loop, never inside a callback.
 * The connection's state is this module's alone. */
#ifndef VS_CONN_H
#define VS_CONN_H

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "config.h"
#include "peer.h"

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
