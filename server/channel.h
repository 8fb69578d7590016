/* Channels: one struct vs_channel per SSH channel, owning libssh's
 * callbacks for it and its pump pair (chanio.h), and a table of channel
 * types (in the spirit of dropbear's ChanType) that says what differs:
 * how a channel opens, which requests it answers, which fds it polls, how
 * it advances and how it ends.  The connection (conn.c) owns the channels
 * and runs every one through the same calls; a channel sees the connection
 * only through a const vs_chan_ctx and reports back by return values.
 *
 * A new channel type is one file that fills a struct vs_chan_type and is
 * listed in vs_chan_types[] (chantypes.c).
 *
 * Callbacks (libssh's) only record state and move bytes into buffers
 * (chanio.h's re-entrancy rule); fds and channels are closed and freed by
 * the loop, never inside a callback. */
#ifndef VS_CHANNEL_H
#define VS_CHANNEL_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "chanio.h"
#include "config.h"

struct vs_accepted; /* forward.h */
struct vs_fwd;
struct vs_login;
struct vs_user;

/* What a channel may know of its connection.  Read-only for channels:
 * they change nothing of the connection's; what they need from it (drop
 * the connection, an agent socket) goes through return values and the
 * functions of the object pointed to. */
struct vs_chan_ctx {
    ssh_session ssh;
    ssh_bind bind; /* the listener's, with the host keys (child.h) */
    const struct vs_config *cfg;
    const struct vs_user *user;
    struct vs_login *login; /* the monitor's side of the login (login.h) */
    struct vs_fwd *fwd;     /* listeners: agent sockets (forward.h) */
    const char *ssh_connection, *ssh_client;
};

/* Which limit a type's channels count against. */
enum vs_chan_pool {
    VS_POOL_SESSION, /* MaxSessions */
    VS_POOL_TUNNEL,  /* MaxForwardChannels */
    VS_POOL_COUNT,
};

/* What a type's step reports. */
enum vs_chan_step {
    VS_CHAN_LIVE = 0,
    VS_CHAN_DONE = 1, /* finished: the connection frees it */
    /* or -ECONNABORTED: the client broke the protocol, drop the connection */
};

struct vs_channel;

struct vs_chan_type {
    const char *name; /* "session", "direct-tcpip", ... for the log */
    /* libssh's subtype of a client's CHANNEL_OPEN that opens this type
     * (SSH_CHANNEL_SESSION, ...), or -1 for a type only the server opens. */
    int client_open;
    enum vs_chan_pool pool;
    /* Sizes of the pump pair (chanio.h): inbound buffer, and each of
     * n_out outbound ones (a session's stdout and stderr; a socket's). */
    uint32_t in_cap, out_cap;
    unsigned n_out;
    bool sockets; /* the fds are sockets (send/recv) */
    /* Client-opened: answers msg (now, or later from step/handle) and
     * frees it.  Returns 0, or -errno after refusing it. */
    int (*open)(struct vs_channel *ch, ssh_message msg);
    /* Server-opened, from an accepted socket.  Returns 0 or -errno. */
    int (*start)(struct vs_channel *ch, const struct vs_accepted *a);
    /* Adds type-specific libssh callbacks (signals, agent requests) to cb;
     * NULL for none. */
    void (*callbacks)(struct ssh_channel_callbacks_struct *cb);
    /* A channel request; 0 answers success, -errno refuses.  NULL: every
     * request is refused. */
    int (*request)(struct vs_channel *ch, ssh_message msg);
    /* The client sent EOF (after every byte of its data). NULL: nothing. */
    void (*eof)(struct vs_channel *ch);
    /* Writing client input to the channel's fd failed (in.write_errno). */
    void (*input_failed)(struct vs_channel *ch);
    /* Fills at most max_pollfds entries; returns how many. */
    unsigned max_pollfds;
    int (*poll_prepare)(struct vs_channel *ch, struct pollfd *p);
    void (*poll_handle)(struct vs_channel *ch, const struct pollfd *p, int n);
    /* Advances after a round; *timeout_ms is lowered to what it needs.
     * Returns enum vs_chan_step or -ECONNABORTED. */
    int (*step)(struct vs_channel *ch, int *timeout_ms);
    /* Offers a reaped child; true if it was this channel's. NULL: none. */
    bool (*reaped)(struct vs_channel *ch, pid_t pid, int status);
    /* The connection is gone: stop talking to the channel, hang up. */
    void (*hangup)(struct vs_channel *ch);
    /* Frees the type's state (the channel and its pumps are channel.c's). */
    void (*free)(struct vs_channel *ch);
};

struct vs_channel {
    const struct vs_chan_type *type;
    const struct vs_chan_ctx *ctx;
    void *priv; /* the type's state */
    unsigned id;
    ssh_channel ch; /* NULL until it exists (a direct-tcpip still connecting) */
    struct ssh_channel_callbacks_struct cb;
    /* The pump pair (chanio.h): client input for in_fd; out[i] from out_fd[i]. */
    struct vs_chan_in in;
    struct vs_chan_out out[2];
    int in_fd;          /* -1: client input is held (not started yet) */
    bool client_eof;    /* the client sent EOF */
    bool remote_closed; /* the client sent CLOSE */
    bool conn_gone;     /* the connection is gone (vs_channel_hangup) */
};

/* A channel of this type, with its pumps; no libssh channel yet.  NULL
 * when out of memory. */
struct vs_channel *vs_channel_new(const struct vs_chan_type *type, const struct vs_chan_ctx *ctx,
                                  unsigned id);
/* Gives the channel its libssh channel and sets the callbacks on it. */
void vs_channel_attach(struct vs_channel *c, ssh_channel ch);
/* Removes the callbacks, frees the libssh channel (which sends CLOSE if
 * it is still open), the type's state and the pumps. */
void vs_channel_free(struct vs_channel *c);

/* The connection is gone: every channel hangs up, once. */
void vs_channel_hangup(struct vs_channel *c);

/* What the connection's loop calls; they dispatch to the type. */
int vs_channel_request(struct vs_channel *c, ssh_message msg);
int vs_channel_poll_prepare(struct vs_channel *c, struct pollfd *p);
void vs_channel_poll_handle(struct vs_channel *c, const struct pollfd *p, int n);
int vs_channel_step(struct vs_channel *c, int *timeout_ms);
bool vs_channel_reaped(struct vs_channel *c, pid_t pid, int status);

/* Bytes taken from the client and handed to it, for the connection's log. */
uint64_t vs_channel_bytes_in(const struct vs_channel *c);
uint64_t vs_channel_bytes_out(const struct vs_channel *c);

/* Lowers *timeout to ms when ms is a timeout (>= 0) and shorter. */
static inline void vs_timeout_min(int *timeout, int ms)
{
    if (ms >= 0 && (*timeout < 0 || ms < *timeout))
        *timeout = ms;
}

#endif
