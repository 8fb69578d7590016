/* PAM: the one file that calls libpam.  It owns the PAM service file check,
 * the account stack (account.h asks it), the credentials and the session
 * (opened by the connection before the monitor's fork, ended by the
 * monitor: become.h, monitor.h), and the environment they give.  Each
 * takes the login's state (login.h); the handle is l->pam.  Built without
 * libpam, each does nothing and succeeds. */
#ifndef VS_PAM_H
#define VS_PAM_H

#include <stddef.h>

struct vs_login;

/* The PAM service, as /etc/pam.d/vsock-sshd. */
#define VS_PAM_SERVICE "vsock-sshd"

/* Whether the PAM service file exists where libpam looks for it.  Returns
 * 0, or -ENOENT with the paths looked at in why. */
int vs_pam_service_check(char *why, size_t len);

/* Starts PAM for user (PAM_RHOST l->host, PAM_TTY "ssh") and runs the
 * account stack.  Returns 0; -EACCES when the stack refuses, with the
 * reason (and what modules said) in why; -EIO when PAM cannot start.
 * l->pam holds the handle whatever the result, once started (vs_pam_end
 * lets go of it). */
int vs_pam_account(struct vs_login *l, const char *user, char *why, size_t len);

/* As root, before the monitor's fork: establishes the credentials and
 * opens the session, in OpenSSH's sshd's order, on the handle the monitor
 * ends (vs_pam_close).  Returns 0 or -EACCES with why; what did open is
 * marked in l for vs_pam_close.  No handle: 0. */
int vs_pam_open(struct vs_login *l, char *why, size_t len);

/* In the connection's process, as root, after initgroups: pam_setcred
 * again, as OpenSSH's sshd does, since initgroups wiped the supplementary
 * groups it may give; then the PAM environment (l->env), read only now so
 * that what setcred put there is in it; then this process lets go of the
 * handle without deleting or closing anything (the monitor does).  Returns
 * 0 or -EACCES with why.  No handle: 0. */
int vs_pam_reestablish(struct vs_login *l, char *why, size_t len);

/* Closes the session and deletes the credentials, each only if it was
 * opened, and ends the handle: the monitor's last act, or a failed open's
 * undoing.  No handle: nothing. */
void vs_pam_close(struct vs_login *l);

/* Ends a handle that opened nothing (a login refused by its account
 * check).  No handle: nothing. */
void vs_pam_end(struct vs_login *l);

#endif
