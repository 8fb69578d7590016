/* The root monitor of a logged-in connection: its fork, the table of
 * operations it answers and their wire format, and the connection's side
 * of that wire.  It is the connection process's root parent, with one job
 * (docs/architecture.md): it holds the PAM session (pam.h, opened before
 * the fork), writes the login records of PTY sessions (loginrec.h), hangs
 * up the session processes if the connection dies of a signal, and at the
 * end writes the last records, closes the PAM session and exits with the
 * connection's status.
 *
 * The connection runs as the user: what it sends is a claim.  Each message
 * is one packet on a Unix SOCK_SEQPACKET socket, of exactly its operation's
 * size, peeked before it is read.  Only an operation that takes one (a
 * record start) may bring a descriptor, the channel for its answer, and it
 * is answered only on a Unix stream socket, never waiting; descriptors sent
 * with anything else are dropped by the kernel, never installed.  Each
 * operation is one entry of monitor.c's table: its code, size, whether it
 * takes an answer channel, a validator of the message (pure) and a handler
 * (which checks the claim against the system: the process's parent and
 * owner, the terminal's owner and identity). */
#ifndef VS_MONITOR_H
#define VS_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct vs_login;
struct vs_user;

/* The operations' codes on the wire (tests/integration/liar.py sends them
 * too: they do not change). */
enum vs_mon_op {
    VS_MON_RECORD_END = 0,   /* a PTY session ended: its logout records */
    VS_MON_RECORD_START = 1, /* a PTY session started: its login records; answered */
    VS_MON_PROC_START = 2,   /* a session's process was forked: hang it up if we die */
    VS_MON_PROC_END = 3,     /* and was reaped */
    VS_MON_ENTERED = 4,      /* the connection entered its container: check it; answered */
};

/* The most groups a container's account may have for the monitor's check
 * (VS_MON_ENTERED); more refuses the login. */
#define VS_MON_MAX_GROUPS 1024

/* The one message layout, in host byte order: 40 bytes. */
struct vs_mon_msg {
    uint32_t op;   /* enum vs_mon_op */
    int32_t pid;   /* the session's process */
    char line[32]; /* "pts/N", NUL-terminated (VS_MON_RECORD_*); else ignored */
};

struct vs_monitor_params {
    const struct vs_user *user;
    /* The login: its host (for the records) and its PAM handle, which the
     * monitor closes at the end (vs_pam_close); in the child, its channel to
     * the monitor (monitor_fd, monitor_pid). */
    struct vs_login *login;
    /* The connection's MaxSessions: the most PTY sessions and session
     * processes it may have at once, which is what the monitor's tables
     * hold. */
    unsigned max_sessions;
    /* The fds the monitor must not keep (the SSH socket, ...), ending -1. */
    const int *close_fds;
    /* Whether PTY sessions get login records: not in a container, whose
     * terminals are not the guest's (/dev/pts/N names another one here). */
    bool records;
    /* A container's login: what the connection's process must be once in
     * (VS_MON_ENTERED), as the guest sees it: user->uid, gid and the
     * groups (n_groups of them), and whether the account is the
     * container's root (which keeps its bounding set of capabilities). */
    bool container, container_root;
    gid_t gid;
    const gid_t *groups;
    unsigned n_groups;
};

/* Forks.  The monitor is the PARENT and never returns from here: it
 * answers the child until the child ends, then ends the login and exits
 * with the child's status.  The call returns only in the CHILD, with 0,
 * p->login holding the channel to the monitor: the caller carries on as
 * the monitor's child.  Without root there is nothing to watch over:
 * returns 0 without forking.  On failure nothing is forked, -errno is
 * returned and why says what failed (the PAM session is the caller's to
 * close). */
int vs_monitor_start_as_parent(const struct vs_monitor_params *p, char *why, size_t len);

/* The connection's side: tells the monitor op about pid (and line, for the
 * records).  An operation answered waits for the answer, 2 s at most; the
 * others never block.  Best effort; without a monitor, nothing. */
void vs_monitor_tell(const struct vs_login *l, enum vs_mon_op op, pid_t pid, const char *line);

/* Login records (loginrec.h), asked for by a session's side: the
 * records start in the session's own process (child.c), before anything of
 * the user's runs, so that its first command already finds itself in utmp,
 * and end in the connection's process when it reaps the session
 * (session.c).  The session on tty ("/dev/pts/N"), whose process is pid, started: waits
 * (at most 2 s) until the monitor has written its records.  Best effort: a
 * login without a record is still a login.  Without a monitor: nothing. */
void vs_monitor_record_start(const struct vs_login *l, pid_t pid, const char *tty);

/* That session ended (reaped): its logout records.  Never blocks; best
 * effort. */
void vs_monitor_record_end(const struct vs_login *l, pid_t pid, const char *tty);

/* After entering a container and dropping to its account (become.c): asks
 * the monitor, which is outside it and no seccomp filter of the container
 * binds, to check from the guest's /proc that this process really is the
 * account (uids, gids, groups) with no capability it may not have; a
 * filter copied from a hostile container's leader could have faked any of
 * the calls that made it so.  Returns 0 when confirmed; otherwise the
 * monitor has killed this process or will (-EPERM). */
int vs_monitor_confirm_entered(const struct vs_login *l);

/* A session's process was forked (before it runs anything) or reaped: if
 * the connection dies without hanging up (killed, crashed), the monitor
 * sends SIGHUP to those still running, through a pidfd it took when told
 * (so never to a process that reused the pid). */
void vs_monitor_proc_started(const struct vs_login *l, pid_t pid);
void vs_monitor_proc_reaped(const struct vs_login *l, pid_t pid);

/* Whether the monitor acts on a message of len bytes at msg (as read),
 * that came with a descriptor or not: a known operation, exactly its size,
 * a descriptor only where it takes one, and content its validator accepts.
 * A pure function of the bytes (the handler then checks the claim);
 * unit-tested. */
bool vs_monitor_msg_acceptable(const void *msg, size_t len, bool with_fd);

#endif
