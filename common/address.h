/* Socket addresses as both programs write them: vsock-sshd's Listen
 * ("vsock:PORT", "vsock:CID:PORT", "unix:PATH"), vsock-proxy's Unix-socket
 * targets ("unix/PATH", "unix%PATH", "vsock-mux/PATH"), and the peers of
 * vsock-sshd -T -C ("CID", "CID:PORT", "unix:UID").  One rule for Unix
 * paths in both: after ':' PATH is written absolute; after '/' or '%'
 * (systemd's host-name forms: a host name cannot start with '/') its
 * leading '/' is implied, so "unix/run/x" and "unix:/run/x" are the same
 * socket.  A path is never relative to a working directory. */
#ifndef VS_ADDRESS_H
#define VS_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

#define VS_VMADDR_CID_ANY UINT32_MAX
/* sizeof(((struct sockaddr_un *)0)->sun_path) */
#define VS_UNIX_PATH_MAX 108

/* The separators after "unix" that name a Unix socket. */
#define VS_ADDRESS_UNIX_SEPS ":/%"

enum vs_address_kind { VS_ADDRESS_VSOCK, VS_ADDRESS_UNIX };

struct vs_address {
    enum vs_address_kind kind;
    uint32_t cid;                /* vsock: VS_VMADDR_CID_ANY unless given */
    uint32_t port;               /* vsock */
    char path[VS_UNIX_PATH_MAX]; /* unix: absolute */
};

/* Whether s is prefix followed by one of the characters of seps and a
 * path, with the rule above.  Returns 1 with the absolute path in
 * path[len]; 0 when s does not start with prefix and one of seps (path
 * untouched); or -EINVAL with a static reason in *why ("empty socket
 * path", "unix socket path must be absolute", "socket path too long"). */
int vs_address_unix_path(const char *s, const char *prefix, const char *seps, char *path,
                         size_t len, const char **why);

/* Parses "vsock:PORT", "vsock:CID:PORT", or "unix" followed by
 * VS_ADDRESS_UNIX_SEPS and a path.  CID and port are decimal, below 2^32-1
 * (VMADDR_CID_ANY and VMADDR_PORT_ANY ask the kernel to choose).  Returns
 * 0, or -EINVAL with a static reason in *why (why may be NULL); *out is
 * written only on success. */
int vs_address_parse(const char *s, struct vs_address *out, const char **why);

/* Formats an address the way vs_address_parse reads it ("unix:PATH" for
 * every Unix spelling). */
void vs_address_format(const struct vs_address *a, char *buf, size_t len);

/* A peer as vsock-sshd -T -C peer= names it: "CID" (port default_port),
 * "CID:PORT", or "unix:UID".  Returns 0 or -EINVAL; *out is written only
 * on success. */
struct vs_peer_address {
    enum vs_address_kind kind;
    uint32_t cid, port; /* vsock */
    uint32_t uid;       /* unix */
};
int vs_address_parse_peer(const char *s, uint32_t default_port, struct vs_peer_address *out);

#endif
