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

/* The account's gids, allocated in *out.  Returns how many or -errno. */
static int group_list(const struct vs_user *u, gid_t **out)
{
    long max = sysconf(_SC_NGROUPS_MAX);
    int n = 64;

    if (max <= 0)
        max = 65536;
    for (;;) {
        gid_t *gids = malloc((size_t)n * sizeof(*gids));
        if (gids == NULL)
            return -ENOMEM;
        int ng = n;
        if (getgrouplist(u->name, u->gid, gids, &ng) >= 0) {
            *out = gids;
            return ng;
        }
        free(gids);
        /* ng is now the number needed (glibc, musl); grow at least 2x. */
        if (n > max + 1)
            return -E2BIG;
        n = ng > n ? ng : n * 2;
    }
}

/* One group's name (allocated in *name, NULL when the gid has none).
 * Returns 0 or -errno; a long entry (a group of many members) gets a
 * bigger buffer, up to 16 MiB. */
static int group_name(gid_t gid, char **name)
{
    for (size_t size = 4096; size <= (16u << 20); size *= 4) {
        struct group gr, *res = NULL;
        char *buf = malloc(size);
        if (buf == NULL)
            return -ENOMEM;
        int r = getgrgid_r(gid, &gr, buf, size, &res);
        if (r == ERANGE) {
            free(buf);
            continue;
        }
        if (r != 0 && r != ENOENT && r != ESRCH) {
            free(buf);
            return -r;
        }
        *name = res != NULL ? strdup(gr.gr_name) : NULL;
        free(buf);
        return res != NULL && *name == NULL ? -ENOMEM : 0;
    }
    return -ERANGE;
}

int vs_user_group_names(const struct vs_user *u, char ***names)
{
    gid_t *gids = NULL;
    int ng = group_list(u, &gids);
    if (ng < 0)
        return ng;
    char **out = calloc((size_t)ng + 1, sizeof(*out));
    int n = 0, r = 0;
    if (out == NULL)
        r = -ENOMEM;
    for (int i = 0; i < ng && r == 0; i++) {
        char *name;
        r = group_name(gids[i], &name);
        if (r == 0 && name != NULL)
            out[n++] = name;
    }
    free(gids);
    if (r < 0) {
        for (int i = 0; i < n; i++)
            free(out[i]);
        free(out);
        return r;
    }
    *names = out;
    return n;
}

int vs_user_expand(const struct vs_user *u, const char *spec, char *out, size_t size)
{
    size_t n = 0;

    if (size == 0)
        return -ENAMETOOLONG;
    out[0] = '\0';
    for (const char *s = spec; *s != '\0'; s++) {
        char one[2] = {*s, '\0'};
        const char *add = one;
        if (s[0] == '%' && (s[1] == 'h' || s[1] == 'u' || s[1] == '%')) {
            add = s[1] == 'h' ? u->home : s[1] == 'u' ? u->name : "%";
            s++;
        }
        size_t k = strlen(add);
        if (k >= size - n) {
            out[0] = '\0';
            return -ENAMETOOLONG;
        }
        memcpy(out + n, add, k + 1);
        n += k;
    }
    return 0;
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
