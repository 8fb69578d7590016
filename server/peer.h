/* The peer of a connection: read from the socket (vsock CID and port, or a
 * Unix socket's credentials), admitted or refused by AllowPeers, named in
 * logs, and turned into SSH_CONNECTION / SSH_CLIENT.  The listener and
 * inetd mode both admit through vs_peer_admit(). */
#ifndef VS_PEER_H
#define VS_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

enum vs_peer_kind { VS_PEER_VSOCK, VS_PEER_UNIX };

struct vs_peer {
    enum vs_peer_kind kind;
    uint32_t cid, port;             /* vsock: the peer's address */
    uint32_t local_cid, local_port; /* vsock: our address on this connection */
    uid_t uid;                      /* unix: SO_PEERCRED, (uid_t)-1 if unknown */
    pid_t pid;
};

/* Returns true if the peer may connect. A vsock peer is the host (CID 2) by
 * default; a connection from inside this guest (CID 1, our own CID, or any
 * peer when our own CID is 2, as for a nested VM made inside the guest) is
 * admitted only when that CID is listed explicitly, never by "any" or the
 * default. A Unix socket peer is admitted (the socket's file mode bounds who
 * connects; vs_peer_may_become() which account). *why gets a static reason
 * when refused. */
bool vs_peer_allowed(const struct vs_config *c, const struct vs_peer *peer, const char **why);

/* Formats the peer for logs: "vsock:CID:PORT" or "unix:uid=U,pid=P". */
void vs_peer_format(const struct vs_peer *peer, char *buf, size_t len);

/* Whether this peer may start sessions as the account uid.  A vsock peer is
 * admitted as a whole (AllowPeers); a Unix-socket peer may become root's or
 * its own account only, or any if AllowPeers lists unix:UID or unix:any:
 * whoever can open the socket (systemd's SocketMode= is 0666 by default)
 * must not become somebody else. *why gets a static reason when not. */
bool vs_peer_may_become(const struct vs_config *c, const struct vs_peer *peer, uid_t uid,
                        const char **why);

/* Describes a connected socket's peer (vsock or Unix). Returns 0 or -errno. */
int vs_peer_from_socket(int fd, struct vs_peer *out);

/* Identifies fd's peer and applies AllowPeers: returns 0 with *peer and its
 * log name in name, -EPERM when refused, or -errno when the peer cannot be
 * identified; either failure is logged. */
int vs_peer_admit(const struct vs_config *c, int fd, struct vs_peer *peer, char *name,
                  size_t namelen);

/* SSH_CONNECTION ("CID PORT LOCALCID LOCALPORT"; what sshd says of a peer
 * without an IP address for a Unix socket) and SSH_CLIENT. */
void vs_peer_env(const struct vs_peer *peer, char *connection, size_t clen, char *client,
                 size_t cllen);

#endif
