/* Tunnels: channel types (channel.h) that carry one socket each way, with
 * a bounded buffer per direction and half-close in both directions:
 *   direct-tcpip      the client's (ssh -L, -D, -W): we connect, in a helper
 *                     process so that name resolution never blocks the loop;
 *   forwarded-tcpip   ours, for a connection accepted on a tcpip-forward
 *                     listener (ssh -R);
 *   auth-agent        ours, for a connection to a session's agent socket
 *                     (ssh -A).
 * Every socket is made by the connection process after it has become the
 * session user, so a tunnel reaches exactly what the user could by hand. */
#ifndef VS_TUNNEL_H
#define VS_TUNNEL_H

#include "channel.h"

/* Bytes held per direction of one tunnel; beyond them data waits in libssh
 * (whose window then stays closed) or in the socket. */
#define VS_TUNNEL_BUF (64 * 1024)
/* How long name resolution and connect() of a direct-tcpip open may take. */
#define VS_CONNECT_TIMEOUT_S 30

extern const struct vs_chan_type vs_chan_direct_tcpip;
extern const struct vs_chan_type vs_chan_forwarded_tcpip;
extern const struct vs_chan_type vs_chan_agent;

#endif
