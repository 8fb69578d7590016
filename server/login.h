/* A Linux login for an authenticated connection: the account checks (PAM's
 * account stack, or shadow's lock and expiry and /etc/nologin without PAM),
 * the PAM session and its environment, and utmp/wtmp/lastlog records for
 * PTY sessions.
 *
 * Process tree (docs/architecture.md): the connection process is root
 * until authentication.  vs_login_open() opens the PAM session there and
 * forks: the parent stays root as a small monitor that only writes utmp
 * records for the PTYs the child reports and, when the child is gone,
 * closes them and the PAM session; the child carries on with the
 * connection and drops to the user for good. */
#ifndef VS_LOGIN_H
#define VS_LOGIN_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "user.h"

/* The PAM service, as /etc/pam.d/vsock-sshd. */
#define VS_PAM_SERVICE "vsock-sshd"

struct vs_login {
    void *pam;        /* pam_handle_t *, NULL without PAM */
    bool pam_cred;    /* pam_setcred(PAM_ESTABLISH_CRED) succeeded on it */
    bool pam_session; /* pam_open_session succeeded on it */
    int monitor_fd;   /* the child's end of the monitor socket, -1 without one */
    pid_t monitor_pid;
    char **env;    /* the PAM environment ("NAME=value"), NULL if none */
    char host[64]; /* "vsock:CID" or "unix:uid=U": PAM_RHOST and ut_host */
};

/* Whether the PAM service file exists where libpam looks for it.  Returns
 * 0, or -ENOENT with the paths looked at in why. */
int vs_login_pam_check(char *why, size_t len);

/* May the account log in now?  A locked account (a password starting
 * with '!' or "*LK*") never may, with PAM or without: null authentication
 * runs no PAM auth stack, and PAM's account stack does not look at the
 * password.  Then with UsePAM (and a root server) PAM's account stack
 * decides; without, the account must not have expired, and /etc/nologin
 * refuses everyone but root.  Returns 0, or -EACCES with the reason (for
 * the log and the client, printable) in why; other -errno on failure. */
int vs_login_account(struct vs_login *l, const struct vs_config *cfg, const struct vs_user *u,
                     const char *host, char *why, size_t len);

/* Establishes PAM's credentials and opens the PAM session (OpenSSH's
 * order), then forks the monitor, which deletes and closes them at the
 * end.  Returns 0 in the child, which carries on; the monitor never
 * returns.  max_sessions is the connection's MaxSessions: the most PTY
 * sessions and session processes it may have at once, which is what the
 * monitor's tables hold.  close_fds lists the fds the monitor must not keep
 * (the SSH socket, ...), ending with -1.  Without root there is nothing to
 * open or record: returns 0 without forking.  On failure nothing is forked
 * and -errno is returned with why set. */
int vs_login_open(struct vs_login *l, const struct vs_user *u, unsigned max_sessions,
                  const int *close_fds, char *why, size_t len);

/* In the child, as root, after initgroups and before the chroot and the
 * drop: pam_setcred again, as OpenSSH's sshd does, since initgroups wiped
 * the supplementary groups it may give; then the PAM environment (l->env),
 * read only now so that what setcred put there is in it; then the child
 * lets go of the PAM handle (the monitor deletes the credentials and closes
 * the session).  Returns 0 or -EACCES. */
int vs_login_setcred(struct vs_login *l);

/* A PTY session started (pid, tty "/dev/pts/N") or ended: the monitor
 * writes the utmp, wtmp and lastlog records.  A start is sent by the
 * session's own process before it runs anything of the user's, and waits
 * (at most 2 s) until the record is written; an end never blocks.  Best
 * effort: a login without a record is still a login. */
void vs_login_tty(struct vs_login *l, pid_t pid, const char *tty, bool start);

/* A session's process was started (by fork, before it runs anything) or
 * reaped: if the child dies without hanging up (killed, crashed), the
 * monitor sends SIGHUP to those still running (through a pidfd it took
 * when told of the process, so never to a process that reused its pid).
 * Never blocks; best effort. */
void vs_login_proc(struct vs_login *l, pid_t pid, bool start);

/* Frees what the child holds. */
void vs_login_free(struct vs_login *l);

#endif
