/* The channel types (channel.h): one line per type. */
#include "chantypes.h"
#include "session.h"
#include "tunnel.h"

const struct vs_chan_type *const vs_chan_types[] = {
    &vs_chan_session,
    &vs_chan_direct_tcpip,
    &vs_chan_forwarded_tcpip,
    &vs_chan_agent,
};
const unsigned vs_n_chan_types = sizeof(vs_chan_types) / sizeof(vs_chan_types[0]);

const struct vs_chan_type *vs_chan_type_for_open(int subtype)
{
    for (unsigned i = 0; i < vs_n_chan_types; i++)
        if (vs_chan_types[i]->client_open == subtype)
            return vs_chan_types[i];
    return NULL;
}

const struct vs_chan_type *vs_chan_type_for_accepted(bool agent)
{
    return agent ? &vs_chan_agent : &vs_chan_forwarded_tcpip;
}
