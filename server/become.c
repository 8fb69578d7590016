#include "become.h"
#include "container.h"
#include "ctrjoin.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "login.h"
#include "monitor.h"
#include "pam.h"
#include "user.h"
#include "util.h"

/* ChrootDirectory, with OpenSSH's rules: every component of the path a
 * directory owned by root and writable by nobody else.  Done as root,
 * before the privilege drop.  Returns 0 or a negative errno with why. */
static int enter_chroot(const char *spec, const struct vs_user *u, char *why, size_t len)
{
    char path[4096], part[4096];
    struct stat st;

    if (spec == NULL || strcmp(spec, "none") == 0)
        return 0;
    int r = vs_user_expand(u, spec, path, sizeof(path));
    if (r < 0) {
        vs_login_why(why, len, "ChrootDirectory %s: %s", spec, strerror(-r));
        return r;
    }
    if (path[0] != '/') {
        vs_login_why(why, len, "ChrootDirectory %s: not an absolute path", path);
        return -EINVAL;
    }
    for (size_t i = 1, n = strlen(path); i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        snprintf(part, sizeof(part), "%.*s", (int)i, path);
        if (stat(part, &st) < 0) {
            r = -errno;
            vs_login_why(why, len, "ChrootDirectory %s: %s", part, strerror(-r));
            return r;
        }
        if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) != 0) {
            vs_login_why(why, len,
                         "bad ownership or modes for chroot directory component %s: it must be a "
                         "directory owned by root and writable by nobody else",
                         part);
            return -EPERM;
        }
    }
    if (chroot(path) < 0 || chdir("/") < 0) {
        r = -errno;
        vs_login_why(why, len, "chroot %s: %s", path, strerror(-r));
        return r;
    }
    log_verbose("user %s chrooted to %s", u->name, path);
    return 0;
}

/* The account's ids as the guest sees them, for the monitor: in a
 * container's user namespace, others.  Returns 0 or -errno with why. */
static int guest_ids(const struct vs_become_params *p, struct vs_user *seen, gid_t *groups,
                     unsigned *n_groups, char *why, size_t len)
{
    const struct vs_container *c = p->container;
    int r = 0;
    *seen = *p->user;
    *n_groups = 0;
    if (c == NULL)
        return 0;
    if (c->n_gids > VS_MON_MAX_GROUPS) {
        vs_login_why(why, len, "more than %d groups", VS_MON_MAX_GROUPS);
        return -E2BIG;
    }
    r = vs_container_guest_uid(c, seen->uid, &seen->uid);
    if (r == 0)
        r = vs_container_guest_gid(c, seen->gid, &seen->gid);
    for (unsigned i = 0; r == 0 && i < c->n_gids; i++)
        r = vs_container_guest_gid(c, c->gids[i], &groups[(*n_groups)++]);
    if (r < 0)
        vs_login_why(why, len,
                     "the account's uid, gid or a group is not mapped out of the container");
    return r;
}

/* Step 1, as root: the PAM session, then the monitor's fork.  Returns 0 in
 * the child only; on failure what opened is closed again. */
static int open_login(const struct vs_become_params *p, char *why, size_t len)
{
    struct vs_user seen;
    gid_t groups[VS_MON_MAX_GROUPS];
    unsigned n_groups;
    int r = guest_ids(p, &seen, groups, &n_groups, why, len);
    if (r < 0)
        return r;
    const struct vs_monitor_params mp = {.user = &seen,
                                         .login = p->login,
                                         .max_sessions = p->max_sessions,
                                         .close_fds = p->close_fds,
                                         .records = p->container == NULL,
                                         .container = p->container != NULL,
                                         .container_root =
                                             p->container != NULL && p->user->uid == 0,
                                         .gid = seen.gid,
                                         .groups = groups,
                                         .n_groups = n_groups};
    r = vs_pam_open(p->login, why, len);

    if (r == 0)
        r = vs_monitor_start_as_parent(&mp, why, len);
    if (r < 0)
        vs_pam_close(p->login);
    return r;
}

int vs_user_become(const struct vs_become_params *p, char *why, size_t len)
{
    const struct vs_user *u = p->user;
    struct vs_login *l = p->login;
    bool root = geteuid() == 0;
    int r = 0;

    if (p->container != NULL && !root) {
        vs_login_why(why, len, "a server that is not root enters no container");
        return -EPERM;
    }
    if (p->container != NULL && p->chroot_directory != NULL &&
        strcmp(p->chroot_directory, "none") != 0) {
        vs_login_why(why, len, "ChrootDirectory does not apply to a container's login");
        return -EPERM;
    }
    l->no_records = p->container != NULL;
    if (root && (r = open_login(p, why, len)) < 0)
        return r;
    /* From here on: the connection's process, the monitor's child, whose
     * LoginGraceTime starts again (the caller ends it once in). */
    if (root && p->grace_seconds > 0)
        alarm(p->grace_seconds);
    if (p->container != NULL) {
        if ((r = vs_container_enter(p->container, why, len)) < 0)
            return r;
    } else {
        if (root && initgroups(u->name, u->gid) < 0) {
            r = -errno;
            vs_login_why(why, len, "initgroups: %s", strerror(-r));
            return r;
        }
        if ((r = vs_pam_reestablish(l, why, len)) < 0 ||
            (r = enter_chroot(p->chroot_directory, u, why, len)) < 0)
            return r;
    }
    if ((r = p->container != NULL ? vs_container_drop(u) : vs_privileges_drop(u, root)) < 0) {
        vs_login_why(why, len, "dropping privileges: %s", strerror(-r));
        return r;
    }
    /* The container's seccomp filters, copied from its leader, bind every
     * call above: only the monitor, outside them, can say they did what
     * they say. */
    if (p->container != NULL && (r = vs_monitor_confirm_entered(l)) < 0) {
        vs_login_why(why, len, "the monitor did not confirm the entry into the container");
        return r;
    }
    /* The host key is in our memory: the user may not read it. */
    if (prctl(PR_SET_DUMPABLE, 0) < 0) {
        r = -errno;
        vs_login_why(why, len, "PR_SET_DUMPABLE: %s", strerror(-r));
        return r;
    }
    /* If the monitor dies, so does the login: hang up as on SIGTERM.  Set
     * after the drop, which clears it; the monitor may have died before. */
    if (l->monitor_fd >= 0 &&
        (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != l->monitor_pid)) {
        vs_login_why(why, len, "the monitor is gone");
        return -ESRCH;
    }
    return 0;
}

void vs_login_free(struct vs_login *l)
{
    vs_pam_end(l);
    if (l->env != NULL) {
        for (char **e = l->env; *e != NULL; e++)
            free(*e);
        free(l->env);
        l->env = NULL;
    }
    l->monitor_fd = vs_close(l->monitor_fd);
}
