/* Listeners the connection keeps for the client: tcpip-forward (ssh -R,
 * -O forward) with cancel-tcpip-forward, and per-session agent sockets
 * (ssh -A); the global requests that make them.  A connection to one of
 * them is handed to the connection (vs_fwd_accept_fn), which opens a
 * channel for it (tunnel.h).  Every socket is made after the connection
 * process has become the session user. */
#ifndef VS_FORWARD_H
#define VS_FORWARD_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "config.h"

struct vs_fwd;

/* A socket accepted for the client: what a channel the server opens is
 * made from (tunnel.h). */
struct vs_accepted {
    int fd;             /* connected, non-blocking; whoever gets it closes it */
    bool agent;         /* an agent socket's connection (auth-agent@openssh.com) */
    unsigned session;   /* agent: the session the socket belongs to */
    const char *host;   /* tcp: the forward's address as the client asked for it */
    uint32_t port;      /* tcp: the port listened on */
    const char *orig;   /* tcp: the connecting peer's address */
    uint32_t orig_port; /* tcp */
};
typedef void (*vs_fwd_accept_fn)(void *arg, const struct vs_accepted *a);

/* The listeners of one connection, within cfg's limits (MaxForwards, and
 * one agent socket per session); cfg is the connection's, Match applied,
 * and must outlive them.  NULL when out of memory. */
struct vs_fwd *vs_fwd_new(const struct vs_config *cfg);
/* Closes every listener (removing agent sockets) and frees. */
void vs_fwd_free(struct vs_fwd *f);
/* Closes every listener: the connection is gone. */
void vs_fwd_close_all(struct vs_fwd *f);

/* A GLOBAL_REQUEST: tcpip-forward, cancel-tcpip-forward, keepalive and the
 * rest. Answers; the caller frees msg. */
void vs_fwd_global_request(struct vs_fwd *f, ssh_message msg);

/* Agent forwarding for one session: creates a private directory and socket
 * for the user and writes its path. Returns 0 or -errno (-EPERM when the
 * configuration forbids it, -EEXIST if the session has one). */
int vs_fwd_agent_start(struct vs_fwd *f, unsigned session_id, char *path, size_t len);
/* Removes the session's agent socket, if any. */
void vs_fwd_agent_stop(struct vs_fwd *f, unsigned session_id);

/* Most pollfds vs_fwd_poll_prepare may fill under this configuration. */
size_t vs_fwd_max_pollfds(const struct vs_config *cfg);
int vs_fwd_poll_prepare(struct vs_fwd *f, struct pollfd *p);
/* Accepts on the listeners poll found ready, handing each connection to fn. */
void vs_fwd_poll_handle(struct vs_fwd *f, const struct pollfd *p, int n, vs_fwd_accept_fn fn,
                        void *arg);

#endif
