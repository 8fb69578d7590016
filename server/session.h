/* Session channels: shell, exec and subsystem requests, PTYs, the child's
 * data in both directions with flow control, signals, and the exact end of a
 * session: every byte of output, then exit-status or exit-signal, then EOF,
 * then CLOSE.  A channel type (channel.h). */
#ifndef VS_SESSION_H
#define VS_SESSION_H

#include "channel.h"

/* Bytes of client input held for a child that is slow to read its stdin;
 * beyond it the data waits in libssh, which then stops opening the window. */
#define VS_STDIN_BUF (64 * 1024)
/* Largest read from a child per poll round. */
#define VS_OUTPUT_CHUNK (64 * 1024)
/* After SIGHUP, how long a session's processes get before SIGKILL. */
#define VS_HANGUP_GRACE_MS 2000
/* Most pollfds one session uses. */
#define VS_SESSION_MAX_POLLFDS 3

extern const struct vs_chan_type vs_chan_session;

#endif
