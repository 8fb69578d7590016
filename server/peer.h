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

/* Whether a vsock peer is a privileged process: its source port is
 * reserved (<= VS_LAST_RESERVED_PORT), which its kernel lets only
 * CAP_NET_BIND_SERVICE bind.  False for Unix-socket peers. */
bool vs_peer_privileged(const struct vs_peer *peer);

enum vs_peer_verdict {
    VS_PEER_ADMIT,
    VS_PEER_REFUSE, /* closed at once */
    /* A CID AllowPeers admits, from a source port it does not: the key
     * exchange runs so that the client can be told why (one line) and
     * what to do; every login is refused. */
    VS_PEER_EXPLAIN,
};

/* AllowPeers' verdict on a peer.  A vsock peer is the host (CID 2) by
 * default, and only a privileged process of it (a reserved source port)
 * unless the entry says CID:any; a connection from inside this guest (CID
 * 1, our own CID, or any peer when our own CID is 2, as for a nested VM
 * made inside the guest) is admitted only when that CID is listed
 * explicitly, never by "any" or the default. A Unix socket peer is
 * admitted (the socket's file mode bounds who connects;
 * vs_peer_may_become() which account). *why gets a static, printable
 * reason unless admitted. */
enum vs_peer_verdict vs_peer_check(const struct vs_config *c, const struct vs_peer *peer,
                                   const char **why);

/* The one way a peer is named, by what the name is for. */
enum vs_peer_purpose {
    VS_PEER_FOR_LOG,   /* logs: "vsock:CID:PORT", "unix:uid=U,pid=P" */
    VS_PEER_FOR_HOST,  /* PAM_RHOST, utmp's host: "vsock:CID", "unix:UID" */
    VS_PEER_FOR_MATCH, /* Match Peer's first name: "CID", "unix:UID" */
};
/* A Unix-socket peer whose credentials are unknown is "unix" for all. */
void vs_peer_name(const struct vs_peer *peer, enum vs_peer_purpose purpose, char *buf, size_t len);

/* Whether this peer may start sessions as the account uid.  A vsock peer is
 * admitted as a whole (AllowPeers); a Unix-socket peer may become root's or
 * its own account only, or any if AllowPeers lists unix:UID or unix:any:
 * whoever can open the socket (systemd's SocketMode= is 0666 by default)
 * must not become somebody else. *why gets a static reason when not.
 * uid VS_UID_NOBODYS is an account that is no peer's own (a container's:
 * its uid 1000 is not the guest's). */
#define VS_UID_NOBODYS ((uid_t)-1)
bool vs_peer_may_become(const struct vs_config *c, const struct vs_peer *peer, uid_t uid,
                        const char **why);

/* Describes a connected socket's peer (vsock or Unix). Returns 0 or -errno. */
int vs_peer_from_socket(int fd, struct vs_peer *out);

/* Identifies fd's peer and applies AllowPeers: returns 0 with *peer, its
 * log name in name and in *refusal NULL, or the reason every login of this
 * connection is to be refused (VS_PEER_EXPLAIN); -EPERM when refused now,
 * or -errno when the peer cannot be identified; either failure is logged. */
int vs_peer_admit(const struct vs_config *c, int fd, struct vs_peer *peer, char *name,
                  size_t namelen, const char **refusal);

/* The names Match Peer patterns are matched against (config.h's
 * vs_match_ctx): for a vsock peer "CID" and "CID:privileged" or
 * "CID:unprivileged", for a Unix-socket peer "unix:UID".  buf holds them.
 * Returns how many (at most VS_MATCH_PEER_NAMES). */
unsigned vs_peer_match_names(const struct vs_peer *peer, char buf[][32], const char **names);

/* SSH_CONNECTION ("CID PORT LOCALCID LOCALPORT"; what sshd says of a peer
 * without an IP address for a Unix socket) and SSH_CLIENT. */
void vs_peer_env(const struct vs_peer *peer, char *connection, size_t clen, char *client,
                 size_t cllen);

#endif
