/* Who may connect and which users a session may start as: the security
 * boundary of null authentication. Pure decisions, no I/O, so they are
 * unit-tested as tables. */
#ifndef VS_POLICY_H
#define VS_POLICY_H

#include <stdbool.h>
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
 * default; a connection from inside this guest (CID 1, or our own CID) is
 * admitted only when that CID is listed explicitly, never by "any". A Unix
 * socket peer is admitted: the socket's file mode is that boundary. *why gets
 * a static reason when refused. */
bool vs_peer_allowed(const struct vs_config *c, const struct vs_peer *peer, const char **why);

/* Formats the peer for logs: "vsock:CID:PORT" or "unix:uid=U,pid=P". */
void vs_peer_format(const struct vs_peer *peer, char *buf, size_t len);

struct vs_user_facts {
    const char *name;
    uid_t uid;
    bool shell_valid;  /* the account's shell is listed in /etc/shells */
    uid_t server_euid; /* the server's effective uid */
};

/* Returns true if a session may start as this user; *why gets a static reason
 * when refused. Order: the server's own identity, then PermitRootLogin, then
 * DenyUsers, then AllowUsers, then the shell. */
bool vs_user_allowed(const struct vs_config *c, const struct vs_user_facts *u, const char **why);

/* Returns true if an "env" request for this variable name is accepted: the
 * name is a valid shell name and matches an AcceptEnv pattern. */
bool vs_env_accepted(const struct vs_config *c, const char *name);

/* True if spec is a valid PermitOpen entry ("host:port", "[v6]:port",
 * "any", "none"; port may be *), or with host_optional a PermitListen entry
 * ("[host:]port"). *why gets a static reason when not. */
bool vs_permit_valid(const char *spec, bool host_optional, const char **why);
/* PermitOpen and PermitListen: may a direct-tcpip open reach host:port, may
 * a tcpip-forward listen on host:port (host as the client sent it)? */
bool vs_permit_open_allowed(const struct vs_config *c, const char *host, uint32_t port);
bool vs_permit_listen_allowed(const struct vs_config *c, const char *host, uint32_t port);

#endif
