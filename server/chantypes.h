/* The list of channel types (channel.h): what the connection looks a
 * client's CHANNEL_OPEN up in, and the types it opens itself for accepted
 * sockets (forward.h).  One line each in chantypes.c. */
#ifndef VS_CHANTYPES_H
#define VS_CHANTYPES_H

#include "channel.h"

/* Every channel type, for the connection to find one by what opens it. */
extern const struct vs_chan_type *const vs_chan_types[];
extern const unsigned vs_n_chan_types;

/* The type that a client's CHANNEL_OPEN of libssh subtype opens, or NULL. */
const struct vs_chan_type *vs_chan_type_for_open(int subtype);

/* What the connection opens for a socket accepted on a tcpip-forward
 * listener or a session's agent socket. */
const struct vs_chan_type *vs_chan_type_for_accepted(bool agent);

#endif
