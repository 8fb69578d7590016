#include "peer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/vm_sockets.h>

#include "log.h"

int vs_peer_from_socket(int fd, struct vs_peer *out)
{
    union {
        struct sockaddr sa;
        struct sockaddr_vm vm;
        struct sockaddr_un un;
    } peer = {0}, local = {0};
    socklen_t plen = sizeof(peer), llen = sizeof(local);
    struct vs_peer p = {0};

    if (getpeername(fd, &peer.sa, &plen) < 0 || getsockname(fd, &local.sa, &llen) < 0)
        return -errno;
    if (peer.sa.sa_family == AF_VSOCK) {
        p.kind = VS_PEER_VSOCK;
        p.cid = peer.vm.svm_cid;
        p.port = peer.vm.svm_port;
        p.local_cid = local.vm.svm_cid;
        p.local_port = local.vm.svm_port;
    } else if (peer.sa.sa_family == AF_UNIX) {
        struct ucred cred;
        socklen_t clen = sizeof(cred);
        p.kind = VS_PEER_UNIX;
        p.uid = (uid_t)-1;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
            p.uid = cred.uid;
            p.pid = cred.pid;
        }
    } else {
        return -EAFNOSUPPORT;
    }
    *out = p;
    return 0;
}

bool vs_peer_privileged(const struct vs_peer *peer)
{
    return peer->kind == VS_PEER_VSOCK && peer->port <= VS_LAST_RESERVED_PORT;
}

/* What the client of an unprivileged peer is told (one line, in the
 * USERAUTH banner ssh prints). */
#define WHY_UNPRIVILEGED_HOST                                                                      \
    "this guest admits only privileged host processes (a vsock source port of 1023 or less): "     \
    "on the host, connect as root or as a member of group vsock-ssh (sudo adduser $USER "          \
    "vsock-ssh, then log in again), or let every host process in with 'AllowPeers host:any' "      \
    "in the guest's /etc/vsock-ssh/vsock-sshd_config"
#define WHY_UNPRIVILEGED                                                                           \
    "this server admits this peer only from a privileged process (a vsock source port of 1023 "    \
    "or less): connect as root or as a member of group vsock-ssh, or list the peer as CID:any "    \
    "in AllowPeers"

enum vs_peer_verdict vs_peer_check(const struct vs_config *c, const struct vs_peer *peer,
                                   const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    if (peer->kind == VS_PEER_UNIX)
        return VS_PEER_ADMIT; /* the socket's mode decides; the account, vs_peer_may_become() */

    /* From inside this machine: loopback (CID 1), our own CID, or any peer
     * when our side is CID 2, the host's: then we are the host of a nested
     * VM, which a process in this guest can make with /dev/vhost-vsock and
     * give any CID it likes. */
    bool local = peer->cid == VS_VMADDR_CID_LOCAL || peer->cid == peer->local_cid ||
                 peer->local_cid == VS_VMADDR_CID_HOST;
    bool listed = false, any_port = false;
    for (unsigned i = 0; i < c->n_allow_peers; i++)
        if (c->allow_peers[i].cid == peer->cid && !(local && c->allow_peers_default)) {
            listed = true;
            any_port |= c->allow_peers[i].any_port;
        }
    if (!listed && local) {
        *why = "connection from inside this machine (list its CID in AllowPeers to admit it)";
        return VS_PEER_REFUSE;
    }
    if (!listed && !c->allow_peers_any) {
        *why = "CID not in AllowPeers";
        return VS_PEER_REFUSE;
    }
    if (!listed)
        any_port = c->allow_peers_any_port;
    if (!any_port && !vs_peer_privileged(peer)) {
        *why = peer->cid == VS_VMADDR_CID_HOST && !local ? WHY_UNPRIVILEGED_HOST : WHY_UNPRIVILEGED;
        return VS_PEER_EXPLAIN;
    }
    return VS_PEER_ADMIT;
}

unsigned vs_peer_match_names(const struct vs_peer *peer, char buf[][32], const char **names)
{
    vs_peer_name(peer, VS_PEER_FOR_MATCH, buf[0], 32);
    names[0] = buf[0];
    if (peer->kind == VS_PEER_UNIX)
        return 1;
    snprintf(buf[1], 32, "%u:%s", peer->cid,
             vs_peer_privileged(peer) ? "privileged" : "unprivileged");
    names[0] = buf[0];
    names[1] = buf[1];
    return 2;
}

void vs_peer_name(const struct vs_peer *peer, enum vs_peer_purpose purpose, char *buf, size_t len)
{
    if (peer->kind == VS_PEER_VSOCK) {
        if (purpose == VS_PEER_FOR_LOG)
            snprintf(buf, len, "vsock:%u:%u", peer->cid, peer->port);
        else if (purpose == VS_PEER_FOR_HOST)
            snprintf(buf, len, "vsock:%u", peer->cid);
        else
            snprintf(buf, len, "%u", peer->cid);
    } else if (peer->uid == (uid_t)-1) {
        snprintf(buf, len, "unix");
    } else if (purpose == VS_PEER_FOR_LOG) {
        snprintf(buf, len, "unix:uid=%ld,pid=%ld", (long)peer->uid, (long)peer->pid);
    } else {
        snprintf(buf, len, "unix:%ld", (long)peer->uid);
    }
}

bool vs_peer_may_become(const struct vs_config *c, const struct vs_peer *peer, uid_t uid,
                        const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    if (peer->kind != VS_PEER_UNIX)
        return true;
    if (peer->uid == (uid_t)-1) {
        *why = "a Unix-socket peer whose uid is unknown";
        return false;
    }
    if (peer->uid == 0 || peer->uid == uid || c->allow_unix_any)
        return true;
    for (unsigned i = 0; i < c->n_allow_unix_uids; i++)
        if (c->allow_unix_uids[i] == (uint32_t)peer->uid)
            return true;
    *why = "a Unix-socket peer may log in only as its own account (no container's) unless it "
           "is root (AllowPeers unix:UID lets that uid log in as others)";
    return false;
}

int vs_peer_admit(const struct vs_config *c, int fd, struct vs_peer *peer, char *name,
                  size_t namelen, const char **refusal)
{
    const char *why = NULL;
    int r = vs_peer_from_socket(fd, peer);
    if (r == -ENOTSOCK || r == -EAFNOSUPPORT)
        return log_error_errno(r, "The connection is not a vsock or Unix socket");
    if (r < 0)
        return log_error_errno(r, "Cannot identify a connection's peer");
    vs_peer_name(peer, VS_PEER_FOR_LOG, name, namelen);
    *refusal = NULL;
    switch (vs_peer_check(c, peer, &why)) {
    case VS_PEER_ADMIT:
        return 0;
    case VS_PEER_EXPLAIN:
        *refusal = why;
        return 0;
    case VS_PEER_REFUSE:
        break;
    }
    log_info("refused connection from %s: %s", name, why);
    return -EPERM;
}

void vs_peer_env(const struct vs_peer *p, char *connection, size_t clen, char *client, size_t cllen)
{
    if (p->kind == VS_PEER_VSOCK) {
        /* The CIDs stand where OpenSSH puts IP addresses. */
        snprintf(connection, clen, "%u %u %u %u", p->cid, p->port, p->local_cid, p->local_port);
        snprintf(client, cllen, "%u %u %u", p->cid, p->port, p->local_port);
    } else {
        /* What sshd says of a peer that has no IP address. */
        snprintf(connection, clen, "UNKNOWN 65535 UNKNOWN 65535");
        snprintf(client, cllen, "UNKNOWN 65535 65535");
    }
}
