/* The change of identity of a connection's process, all of it, in one
 * place and in this order:
 *  1. as root, PAM's credentials and session (pam.h), then the fork of the
 *     root monitor that holds them (monitor.h): the caller goes on as its
 *     child;
 *  2. initgroups;
 *  3. PAM's credentials again (for the groups they give) and the PAM
 *     environment;
 *  4. ChrootDirectory, with OpenSSH's ownership rules;
 *  5. the checked drop to the user (user.h: setgid, setuid, proven not to
 *     be reversible);
 *  6. non-dumpable: the host key is in this process's memory;
 *  7. PR_SET_PDEATHSIG, so that the login ends with its monitor.
 * A login into a container (container.h) has no PAM session (the guest's
 * stack knows nothing of the container's accounts), no login records and
 * no ChrootDirectory; steps 2-4 are ctrjoin.h's vs_container_enter (its
 * cgroup, namespaces, bounding set, LSM profile, no_new_privs, seccomp
 * filters and groups, from its own /etc/group), and the container's root
 * keeps only its bounding set of capabilities.
 * Nothing else in the server changes a process's identity but a session's
 * child (child.c), which only confirms it (vs_privileges_drop on a process
 * that already is the user). */
#ifndef VS_BECOME_H
#define VS_BECOME_H

#include <stddef.h>

#include "user.h"

struct vs_container;
struct vs_login;

struct vs_become_params {
    const struct vs_user *user;
    /* From vs_account_check (account.h): its PAM handle.  Gets the
     * monitor's channel and the PAM environment. */
    struct vs_login *login;
    /* ChrootDirectory, its %h, %u and %% not yet expanded; NULL or "none":
     * none. */
    const char *chroot_directory;
    /* MaxSessions: what the monitor's tables hold. */
    unsigned max_sessions;
    /* The fds the monitor must not keep (the SSH socket, the listener's
     * notice pipe), ending with -1. */
    const int *close_fds;
    /* The container the login is into (its account is user), or NULL. */
    const struct vs_container *container;
    /* LoginGraceTime, seconds (0: none): an alarm does not survive the
     * monitor's fork, and entering a container may wait (become.c). */
    unsigned grace_seconds;
};

/* Becomes p->user, as above.  Returns 0 in the connection's process (the
 * monitor's child, when the server is root: the monitor itself never
 * returns), now the user's for good; or a negative errno with why (for the
 * log, printable) set: before the fork nothing is left open, after it the
 * process must not go on (the caller ends the connection).  A server that
 * is not root opens no PAM session and forks no monitor: it must already
 * be the user. */
int vs_user_become(const struct vs_become_params *p, char *why, size_t len);

/* Frees what this process holds of the login: an unused PAM handle (a
 * login refused before its session), the PAM environment, the monitor's
 * socket.  What the monitor holds (the session, the records) it ends
 * itself. */
void vs_login_free(struct vs_login *l);

#endif
