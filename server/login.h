/* The login of one connection: the state its parts share, from the account
 * check to the end of its last session, and the headers of those parts.
 * Each part owns one job, in its own file (include the one you need):
 *
 *   account.h   may the account log in now (locked, expired, /etc/nologin,
 *               or PAM's account stack);
 *   pam.h       every libpam call: the service file, the account stack,
 *               credentials, the session and the environment they give;
 *   become.h    the change of identity, in one place and in order: PAM
 *               session and monitor (as root), groups, credentials again,
 *               ChrootDirectory, the checked drop, non-dumpable, death
 *               signal;
 *   monitor.h   the root monitor: its fork, its table of operations and
 *               their wire format;
 *   loginrec.h  utmp, wtmp and lastlog records of PTY sessions.
 *
 * Process tree (docs/architecture.md): the connection process is root
 * until authentication.  vs_user_become() opens the PAM session there and
 * forks: the parent stays root as the monitor, the child carries on with
 * the connection as the user. */
#ifndef VS_LOGIN_H
#define VS_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vs_login {
    void *pam;        /* pam_handle_t *, NULL without PAM (pam.h) */
    bool pam_cred;    /* pam_setcred(PAM_ESTABLISH_CRED) succeeded on it */
    bool pam_session; /* pam_open_session succeeded on it */
    int monitor_fd;   /* the connection's end of its monitor's socket, -1 without one */
    pid_t monitor_pid;
    bool no_records; /* a container's login: no utmp, wtmp or lastlog (monitor.h) */
    char **env;      /* the PAM environment ("NAME=value"), NULL if none */
    char host[64];   /* vs_peer_name(VS_PEER_FOR_HOST): PAM_RHOST and ut_host */
};

/* Formats a reason for the log and the client into why, made printable
 * (vs_printable): what PAM modules and paths say is not ours to trust. */
void vs_login_why(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
