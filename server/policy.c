#include "policy.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static bool match_any(char *const *patterns, unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++)
        if (fnmatch(patterns[i], name, 0) == 0)
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
    if (match_any(c->deny_users, c->n_deny_users, u->name)) {
        *why = "user listed in DenyUsers";
        return false;
    }
    if (c->n_allow_users > 0 && !match_any(c->allow_users, c->n_allow_users, u->name)) {
        *why = "user not listed in AllowUsers";
        return false;
    }
    if (!u->shell_valid) {
        *why = "user's shell is not listed in /etc/shells";
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
    return match_any(c->accept_env, c->n_accept_env, name);
}

/* ---- PermitOpen / PermitListen ---------------------------------------- */

/* Splits "host:port", "[v6]:port" or (host optional) "port" into its parts.
 * host is "" when absent. Returns false with *why on a malformed entry. */
static bool split_permit(const char *spec, bool host_optional, char *host, size_t hostlen,
                         char *port, size_t portlen, const char **why)
{
    const char *colon, *h = spec, *hend;

    if (spec[0] == '[') {
        hend = strchr(spec, ']');
        if (hend == NULL || hend[1] != ':') {
            *why = "expected [address]:port";
            return false;
        }
        h = spec + 1;
        colon = hend + 1;
    } else {
        colon = strrchr(spec, ':');
        if (colon != NULL && memchr(spec, ':', (size_t)(colon - spec)) != NULL) {
            *why = "write IPv6 addresses in brackets: [address]:port";
            return false;
        }
        hend = colon;
    }
    if (colon == NULL) {
        if (!host_optional) {
            *why = "expected host:port";
            return false;
        }
        h = hend = spec;
        colon = spec - 1;
    }
    size_t hl = (size_t)(hend - h), pl = strlen(colon + 1);
    if (hl >= hostlen || pl >= portlen || pl == 0 || (hl == 0 && !host_optional)) {
        *why = "expected host:port";
        return false;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    memcpy(port, colon + 1, pl + 1);
    return true;
}

static bool port_ok(const char *port)
{
    if (strcmp(port, "*") == 0)
        return true;
    for (const char *p = port; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return strlen(port) <= 5 && atoi(port) <= 65535;
}

bool vs_permit_valid(const char *spec, bool host_optional, const char **why)
{
    char host[256], port[16];
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    if (strcasecmp(spec, "any") == 0 || strcasecmp(spec, "none") == 0)
        return true;
    if (!split_permit(spec, host_optional, host, sizeof(host), port, sizeof(port), why))
        return false;
    if (!port_ok(port)) {
        *why = "the port must be a number from 0 to 65535 or *";
        return false;
    }
    return true;
}

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
        if (!split_permit(list[i], host_optional, h, sizeof(h), p, sizeof(p), &why))
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
