#include "account.h"

#include <errno.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "login.h"
#include "pam.h"
#include "policy.h"

#define NOLOGIN_PATH "/etc/nologin"

/* The account's shadow entry, its strings in buf.  shadow is readable by
 * root only; a server that is not root has no view of it (and runs
 * sessions only as itself), nor has an account shadow does not list. */
static void shadow_facts(const struct vs_user *u, struct vs_account_facts *f, char *buf, size_t len)
{
    struct spwd sp, *res = NULL;

    *f = (struct vs_account_facts){
        .uid = u->uid, .expire_day = -1, .today = (long)(time(NULL) / 86400)};
    if (getspnam_r(u->name, &sp, buf, len, &res) == 0 && res != NULL) {
        f->password = sp.sp_pwdp;
        f->expire_day = sp.sp_expire;
    }
}

/* A locked password refuses the login with PAM and without: null
 * authentication runs no auth stack, where pam_unix would see the lock,
 * and pam_unix's account stack does not look.  The reason says how an
 * account that merely has no password ("!" is what useradd gives it) is
 * made one that may log in without one. */
static int account_locked(const struct vs_user *u, const struct vs_account_facts *all, char *why,
                          size_t len)
{
    struct vs_account_facts f = {
        .uid = all->uid, .password = all->password, .expire_day = -1, .today = all->today};
    const char *reason;

    if (vs_account_usable(&f, &reason))
        return 0;
    vs_login_why(why, len,
                 "%s (its password field starts with '%s'; for an account without a password "
                 "use '*': usermod -p '*' %s)",
                 reason, f.password != NULL && f.password[0] == '!' ? "!" : "*LK*", u->name);
    return -EACCES;
}

int vs_account_check(struct vs_login *l, const struct vs_config *cfg, const struct vs_user *u,
                     const char *host, char *why, size_t len)
{
    struct vs_account_facts f;
    char buf[4096];
    const char *reason;

    snprintf(l->host, sizeof(l->host), "%s", host);
    l->monitor_fd = -1;
    l->pam_cred = l->pam_session = false;
    shadow_facts(u, &f, buf, sizeof(buf));
    int r = account_locked(u, &f, why, len);
    if (r < 0)
        return r;
    /* UsePAM is never yes in a build without PAM (config.c). */
    if (cfg->use_pam && geteuid() == 0)
        return vs_pam_account(l, u->name, why, len);
    /* Without PAM: OpenSSH's expiry and /etc/nologin rules. */
    f.nologin = access(NOLOGIN_PATH, F_OK) == 0;
    if (vs_account_usable(&f, &reason))
        return 0;
    vs_login_why(why, len, "%s", reason);
    return -EACCES;
}

int vs_account_check_container(struct vs_login *l, const struct vs_container *c,
                               const struct vs_user *u, const char *host, char *why, size_t len)
{
    struct vs_account_facts f;
    char *buf;
    const char *reason;

    snprintf(l->host, sizeof(l->host), "%s", host);
    l->monitor_fd = -1;
    l->pam_cred = l->pam_session = false;
    vs_container_account_facts(c, u, &f, &buf);
    int r = account_locked(u, &f, why, len);
    if (r == 0 && !vs_account_usable(&f, &reason)) {
        vs_login_why(why, len, "%s", reason);
        r = -EACCES;
    }
    free(buf);
    return r;
}
