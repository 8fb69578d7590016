/* May this account log in now: the one place that decides it, once the
 * policy (policy.h) has allowed the user.  A locked account never may;
 * then PAM's account stack decides (pam.h), or, without PAM, shadow's
 * expiry and /etc/nologin, as OpenSSH's sshd without PAM. */
#ifndef VS_ACCOUNT_H
#define VS_ACCOUNT_H

#include <stddef.h>

#include "config.h"
#include "user.h"

struct vs_login;

/* Starts the login's state (login.h: host, no monitor, PAM's handle when
 * UsePAM) and checks the account.  A locked account (a password starting
 * with '!' or "*LK*") never may log in, with PAM or without: null
 * authentication runs no PAM auth stack, and PAM's account stack does not
 * look at the password.  Then with UsePAM (and a root server) PAM's
 * account stack decides; without, the account must not have expired, and
 * /etc/nologin refuses everyone but root.  Returns 0, or -EACCES with the
 * reason (for the log and the client, printable) in why; other -errno on
 * failure.  The caller frees l (vs_login_free) on failure too. */
int vs_account_check(struct vs_login *l, const struct vs_config *cfg, const struct vs_user *u,
                     const char *host, char *why, size_t len);

struct vs_container;
/* The same for an account of a container (container.h), from its own
 * /etc/shadow and /etc/nologin, without PAM whatever UsePAM says: the
 * guest's PAM stack would look the name up among the guest's accounts. */
int vs_account_check_container(struct vs_login *l, const struct vs_container *c,
                               const struct vs_user *u, const char *host, char *why, size_t len);

#endif
