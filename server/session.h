/* Session channels: shell, exec and subsystem requests, PTYs, the child's
 * data in both directions with flow control, signals, and the exact end of a
 * session: every byte of output, then exit-status or exit-signal, then EOF,
 * then CLOSE. */
#ifndef VS_SESSION_H
#define VS_SESSION_H

#include <poll.h>
#include <stdbool.h>
#include <sys/types.h>

#include <libssh/libssh.h>

struct vs_conn;
struct vs_session;

/* Bytes of client input held for a child that is slow to read its stdin;
 * beyond it the data waits in libssh, which then stops opening the window. */
#define VS_STDIN_BUF (64 * 1024)
/* Largest read from a child per poll round. */
#define VS_OUTPUT_CHUNK (64 * 1024)
/* After SIGHUP, how long a session's processes get before SIGKILL. */
#define VS_HANGUP_GRACE_MS 2000
/* Most pollfds one session uses. */
#define VS_SESSION_MAX_POLLFDS 3

/* Opens a session channel and adds it to c->sessions (within MaxSessions).
 * Returns the channel for libssh, or NULL (logged). */
ssh_channel vs_session_open(struct vs_conn *c);

/* A channel request (pty-req, env, shell, exec, subsystem, window-change)
 * for this session. Returns 0 to answer success, or a negative errno to
 * refuse it. */
int vs_session_request(struct vs_session *s, ssh_message msg);
/* The session whose channel this is, or NULL. */
struct vs_session *vs_session_find(struct vs_conn *c, ssh_channel ch);

/* Fills up to VS_SESSION_MAX_POLLFDS entries; returns how many. */
int vs_session_poll_prepare(struct vs_session *s, struct pollfd *p);
/* Acts on the entries vs_session_poll_prepare filled. */
void vs_session_poll_handle(struct vs_session *s, const struct pollfd *p, int n);
/* Offers a reaped child; returns true if it was this session's. */
bool vs_session_reaped(struct vs_session *s, pid_t pid, int status);
/* Advances the session after a loop round: finishing, hang-up timers.
 * Returns the poll timeout in ms it needs (-1 for none). */
int vs_session_step(struct vs_session *s);
/* The connection is gone: stop talking to the channel, hang up the child. */
void vs_session_hangup(struct vs_session *s);
/* True once the session is over and may be freed. */
bool vs_session_finished(const struct vs_session *s);
/* Frees the session; the caller removes it from c->sessions. */
void vs_session_free(struct vs_session *s);

#endif
