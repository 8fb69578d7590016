#include "user.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int vs_user_lookup(const char *name, struct vs_user *out)
{
    struct passwd pw, *res = NULL;
    char buf[16384];
    int r = getpwnam_r(name, &pw, buf, sizeof(buf), &res);

    if (res == NULL)
        return r == 0 || r == ENOENT || r == ESRCH ? -ENOENT : -r;
    struct vs_user u = {
        .name = strdup(pw.pw_name),
        .home = strdup(pw.pw_dir && *pw.pw_dir ? pw.pw_dir : "/"),
        .shell = strdup(pw.pw_shell && *pw.pw_shell ? pw.pw_shell : "/bin/sh"),
        .uid = pw.pw_uid,
        .gid = pw.pw_gid,
    };
    if (u.name == NULL || u.home == NULL || u.shell == NULL) {
        vs_user_free(&u);
        return -ENOMEM;
    }
    *out = u;
    return 0;
}

void vs_user_free(struct vs_user *u)
{
    free(u->name);
    free(u->home);
    free(u->shell);
    memset(u, 0, sizeof(*u));
}

bool vs_shell_listed(const char *shell)
{
    bool found = false;
    const char *s;

    setusershell();
    while ((s = getusershell()) != NULL)
        if (strcmp(s, shell) == 0) {
            found = true;
            break;
        }
    endusershell();
    return found;
}

unsigned vs_user_group_names(const struct vs_user *u, char **names, unsigned max)
{
    gid_t gids[256];
    int ng = (int)(sizeof(gids) / sizeof(gids[0]));
    unsigned n = 0;

    if (getgrouplist(u->name, u->gid, gids, &ng) < 0)
        ng = (int)(sizeof(gids) / sizeof(gids[0])); /* the first ones */
    for (int i = 0; i < ng && n < max; i++) {
        struct group gr, *res = NULL;
        char buf[4096];
        if (getgrgid_r(gids[i], &gr, buf, sizeof(buf), &res) == 0 && res != NULL &&
            (names[n] = strdup(gr.gr_name)) != NULL)
            n++;
    }
    return n;
}

int vs_privileges_drop(const struct vs_user *u, bool groups_set)
{
    if (geteuid() != 0)
        /* Already this user (the connection dropped after authentication,
         * or the server never was root): nothing to change. */
        return getuid() == u->uid ? 0 : -EPERM;
    if ((!groups_set && initgroups(u->name, u->gid) < 0) || setgid(u->gid) < 0 ||
        setuid(u->uid) < 0)
        return -errno;
    if (getuid() != u->uid || geteuid() != u->uid || getgid() != u->gid || getegid() != u->gid)
        return -EPERM;
    if (u->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
        return -EPERM;
    return 0;
}
