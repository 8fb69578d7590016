/* Entering a container (container.h) as its runtime's own exec does:
 * nothing more than that would give.  In the connection's process, as
 * root, after the monitor's fork (become.c), in this order:
 *
 *  1. the leader's cgroup (cgroup v2 only), so that the login counts, and
 *     is frozen and killed, with the container;
 *  2. every namespace of the leader that is not ours (user, mount, PID for
 *     our children, network, IPC, UTS, cgroup, time), in one setns() on
 *     its pidfd, so all of one process;
 *  3. its capability bounding set;
 *  4. its AppArmor profile (another LSM's label: refused unless it is ours);
 *  5. its no_new_privs;
 *  6. its seccomp filters, copied from it (PTRACE_SECCOMP_GET_FILTER,
 *     with the leader held in a ptrace stop only while they are read);
 *  7. the account's groups from the container's /etc/group.
 *
 * The caller then drops to the account with vs_container_drop().  Nothing
 * between 2 and the drop opens a path: the container's files are its
 * root's to shape. */
#ifndef VS_CTRJOIN_H
#define VS_CTRJOIN_H

#include <stddef.h>

#include "container.h"
#include "user.h"

/* Returns 0, or -errno with why (printable) set; on failure the process
 * must not go on (it may be half inside). */
int vs_container_enter(const struct vs_container *c, char *why, size_t len);

/* The drop to the container's account: setresgid and setresuid, always
 * (never judged by geteuid(), which in a user namespace that does not map
 * the guest's root reads 65534 before it), each id checked after; then
 * the permitted and effective capabilities cut to the bounding set for the
 * container's root (as an exec as root in it gets them) and to none for
 * any other account, the inheritable and ambient ones cleared; and for any
 * account but root, proven not reversible.  Returns 0 or -errno. */
int vs_container_drop(const struct vs_user *u);

#endif
