#include "policy.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pattern.h"

bool vs_shell_unrestricted(const char *shell)
{
    static const char *const standard[] = {"sh",   "bash", "dash", "zsh",  "ksh", "ksh93",
                                           "mksh", "ash",  "yash", "fish", "csh", "tcsh"};
    const char *base = strrchr(shell, '/');
    base = base ? base + 1 : shell;
    for (size_t i = 0; i < sizeof(standard) / sizeof(standard[0]); i++)
        if (strcmp(base, standard[i]) == 0)
            return true;
    return false;
}

bool vs_user_allowed(const struct vs_config *c, const struct vs_user_facts *u, const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    if (u->server_euid != 0 && u->uid != u->server_euid) {
        *why = "server is not running as root and can only start sessions as its own user";
        return false;
    }
    if (u->uid == 0 && !c->permit_root_login) {
        *why = "root login refused by PermitRootLogin";
        return false;
    }
    char login[336]; /* USER (255 at most) + CONTAINER */
    const char *names[2] = {u->name, login};
    unsigned n = 1;
    if (u->container != NULL) {
        snprintf(login, sizeof(login), "%s+%s", u->name, u->container);
        n = 2;
    }
    /* Each name on its own: a negation of one (which the configuration
     * does not let DenyUsers have today) must never cancel the other. */
    if (vs_pattern_match(c->deny_users, c->n_deny_users, &names[0], 1) ||
        vs_pattern_match(c->deny_users, c->n_deny_users, &names[n - 1], 1)) {
        *why = "user listed in DenyUsers";
        return false;
    }
    /* AllowUsers admits a container's account only by USER+CONTAINER (a
     * pattern such as "alice+*" or "*"): "alice" was written for the
     * guest's alice, and the container's root names its own accounts. */
    if (c->n_allow_users > 0 &&
        !vs_pattern_match(c->allow_users, c->n_allow_users, &names[n - 1], 1)) {
        *why = "user not listed in AllowUsers";
        return false;
    }
    if (!u->shell_valid) {
        *why = u->container != NULL ? "user's shell is not listed in the container's /etc/shells"
                                    : "user's shell is not listed in /etc/shells";
        return false;
    }
    return true;
}

bool vs_env_accepted(const struct vs_config *c, const char *name)
{
    if (name[0] == '\0' || isdigit((unsigned char)name[0]))
        return false;
    for (const char *p = name; *p != '\0'; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return vs_pattern_match(c->accept_env, c->n_accept_env, &name, 1);
}

/* ---- PermitOpen / PermitListen ---------------------------------------- */

/* No entries means any; "none" anywhere refuses; otherwise the first match
 * admits. Hosts are compared as the client wrote them, without resolving,
 * as OpenSSH does. */
static bool permit_match(char *const *list, unsigned n, bool host_optional, const char *host,
                         uint32_t port)
{
    if (n == 0)
        return true;
    for (unsigned i = 0; i < n; i++) {
        char h[256], p[16];
        const char *why;
        if (strcasecmp(list[i], "any") == 0)
            return true;
        if (strcasecmp(list[i], "none") == 0)
            continue;
        if (!vs_permit_split(list[i], host_optional, h, sizeof(h), p, sizeof(p), &why))
            continue;
        bool port_match = strcmp(p, "*") == 0 || (uint32_t)atoi(p) == port;
        bool host_match = h[0] == '\0' || strcmp(h, "*") == 0 || strcasecmp(h, host) == 0;
        if (port_match && host_match)
            return true;
    }
    return false;
}

bool vs_permit_open_allowed(const struct vs_config *c, const char *host, uint32_t port)
{
    return permit_match(c->permit_open, c->n_permit_open, false, host, port);
}

bool vs_permit_listen_allowed(const struct vs_config *c, const char *host, uint32_t port)
{
    return permit_match(c->permit_listen, c->n_permit_listen, true, host, port);
}

bool vs_account_usable(const struct vs_account_facts *f, const char **why)
{
    if (f->password != NULL && (f->password[0] == '!' || strncmp(f->password, "*LK*", 4) == 0)) {
        *why = "the account is locked";
        return false;
    }
    if (f->expire_day >= 0 && f->today >= f->expire_day) {
        *why = "the account has expired";
        return false;
    }
    if (f->nologin && f->uid != 0) {
        *why = "logins are disabled (/etc/nologin)";
        return false;
    }
    return true;
}
