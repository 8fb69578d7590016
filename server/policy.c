#include "policy.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

bool vs_peer_allowed(const struct vs_config *c, const struct vs_peer *peer, const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    if (peer->kind == VS_PEER_UNIX)
        return true;

    bool local = peer->cid == VS_VMADDR_CID_LOCAL || peer->cid == peer->local_cid;
    for (unsigned i = 0; i < c->n_allow_peers; i++)
        if (c->allow_peers[i] == peer->cid)
            return true;
    if (local) {
        *why = "connection from inside this machine (list its CID in AllowPeers to admit it)";
        return false;
    }
    if (c->allow_peers_any)
        return true;
    *why = "CID not in AllowPeers";
    return false;
}

void vs_peer_format(const struct vs_peer *peer, char *buf, size_t len)
{
    if (peer->kind == VS_PEER_VSOCK)
        snprintf(buf, len, "vsock:%u:%u", peer->cid, peer->port);
    else if (peer->uid == (uid_t)-1)
        snprintf(buf, len, "unix");
    else
        snprintf(buf, len, "unix:uid=%ld,pid=%ld", (long)peer->uid, (long)peer->pid);
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
