/* Forwarding: direct-tcpip channels (ssh -L, -D, -W), tcpip-forward
 * listeners with forwarded-tcpip channels back (ssh -R, -O forward), and
 * per-session agent sockets carried on auth-agent@openssh.com channels
 * (ssh -A).  Every socket is made by the connection process after it has
 * become the session user, so a forward reaches exactly what the user could
 * reach by hand.  Each forwarded connection is a tunnel: one channel, one
 * fd, a bounded buffer each way, half-close in both directions. */
#ifndef VS_FORWARD_H
#define VS_FORWARD_H

#include <poll.h>
#include <stddef.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "config.h"

struct vs_conn;
struct vs_fwd;

/* Bytes held per direction of one tunnel; beyond them data waits in libssh
 * (whose window then stays closed) or in the socket. */
#define VS_TUNNEL_BUF (64 * 1024)
/* How long name resolution and connect() of a direct-tcpip open may take. */
#define VS_CONNECT_TIMEOUT_S 30

/* Sets up c->fwd within the configured limits. Returns 0 or -ENOMEM. */
int vs_fwd_new(struct vs_conn *c);
/* Closes every tunnel and listener (removing agent sockets) and frees. */
void vs_fwd_free(struct vs_conn *c);

/* A CHANNEL_OPEN other than "session". Takes msg: it is answered (now, or
 * when the connection to the destination is made or has failed) and freed. */
void vs_fwd_channel_open(struct vs_conn *c, ssh_message msg);
/* A GLOBAL_REQUEST: tcpip-forward, cancel-tcpip-forward, keepalive and the
 * rest. Answers; the caller frees msg. */
void vs_fwd_global_request(struct vs_conn *c, ssh_message msg);

/* Agent forwarding for one session: creates a private directory and socket
 * for the user and writes its path. Returns 0 or -errno (-EPERM when the
 * configuration forbids it, -EEXIST if the session has one). */
int vs_fwd_agent_start(struct vs_conn *c, unsigned session_id, char *path, size_t len);
/* Removes the session's agent socket, if any. */
void vs_fwd_agent_stop(struct vs_conn *c, unsigned session_id);

/* Most pollfds vs_fwd_poll_prepare may fill under this configuration. */
size_t vs_fwd_max_pollfds(const struct vs_config *cfg);
int vs_fwd_poll_prepare(struct vs_fwd *f, struct pollfd *p);
void vs_fwd_poll_handle(struct vs_fwd *f, const struct pollfd *p, int n);
/* Advances tunnels after a loop round (opens in progress, output held
 * back during a key re-exchange, half-closes, the end). */
void vs_fwd_step(struct vs_fwd *f);

#endif
