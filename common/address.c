#include "address.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

int vs_address_unix_path(const char *s, const char *prefix, const char *seps, char *path,
                         size_t len, const char **why)
{
    size_t n = strlen(prefix);
    const char *dummy;

    if (why == NULL)
        why = &dummy;
    if (strncmp(s, prefix, n) != 0 || s[n] == '\0' || strchr(seps, s[n]) == NULL)
        return 0;
    const char *p = s + n + 1;
    if (*p == '\0') {
        *why = "empty socket path";
        return -EINVAL;
    }
    /* "unix:rel" is a Listen typo more likely than a socket at /rel. */
    if (s[n] == ':' && p[0] != '/') {
        *why = "unix socket path must be absolute";
        return -EINVAL;
    }
    if (strlen(p) + (p[0] != '/') >= len) {
        *why = "socket path too long";
        return -EINVAL;
    }
    snprintf(path, len, "%s%s", p[0] == '/' ? "" : "/", p);
    return 1;
}

/* "A:B" into two numbers below 2^32-1; B optional when b_optional (then
 * *b untouched).  Returns 0 or -EINVAL (which part is bad in *bad_a). */
static int parse_pair(const char *s, uint32_t *a, uint32_t *b, bool b_optional, bool *bad_a)
{
    char first[16];
    const char *colon = strchr(s, ':');
    size_t n = colon != NULL ? (size_t)(colon - s) : strlen(s);

    *bad_a = true;
    if (n == 0 || n >= sizeof(first))
        return -EINVAL;
    memcpy(first, s, n);
    first[n] = '\0';
    if (vs_parse_u32(first, UINT32_MAX - 1, a) < 0)
        return -EINVAL;
    *bad_a = false;
    if (colon == NULL)
        return b_optional ? 0 : -EINVAL;
    return vs_parse_u32(colon + 1, UINT32_MAX - 1, b) < 0 ? -EINVAL : 0;
}

int vs_address_parse(const char *s, struct vs_address *out, const char **why)
{
    struct vs_address a = {.kind = VS_ADDRESS_UNIX};
    const char *dummy;

    if (why == NULL)
        why = &dummy;
    int r = vs_address_unix_path(s, "unix", VS_ADDRESS_UNIX_SEPS, a.path, sizeof(a.path), why);
    if (r < 0)
        return r;
    if (r == 0 && strncmp(s, "vsock:", 6) == 0) {
        const char *rest = s + 6;
        bool bad_cid = false;
        a.kind = VS_ADDRESS_VSOCK;
        a.cid = VS_VMADDR_CID_ANY;
        /* vsock:PORT, or vsock:CID:PORT */
        int k = strchr(rest, ':') == NULL ? vs_parse_u32(rest, UINT32_MAX - 1, &a.port)
                                          : parse_pair(rest, &a.cid, &a.port, false, &bad_cid);
        if (k < 0) {
            *why = bad_cid ? "bad vsock CID" : "bad vsock port";
            return -EINVAL;
        }
    } else if (r == 0) {
        *why = "expected vsock:PORT, vsock:CID:PORT, unix:PATH or unix/PATH";
        return -EINVAL;
    }
    *out = a;
    return 0;
}

void vs_address_format(const struct vs_address *a, char *buf, size_t len)
{
    if (a->kind == VS_ADDRESS_UNIX)
        snprintf(buf, len, "unix:%s", a->path);
    else if (a->cid == VS_VMADDR_CID_ANY)
        snprintf(buf, len, "vsock:%u", a->port);
    else
        snprintf(buf, len, "vsock:%u:%u", a->cid, a->port);
}

int vs_address_parse_peer(const char *s, uint32_t default_port, struct vs_peer_address *out)
{
    struct vs_peer_address a = {.kind = VS_ADDRESS_VSOCK, .port = default_port};
    bool bad_first;

    if (strncmp(s, "unix:", 5) == 0) {
        a.kind = VS_ADDRESS_UNIX;
        if (vs_parse_u32(s + 5, UINT32_MAX - 1, &a.uid) < 0)
            return -EINVAL;
    } else if (parse_pair(s, &a.cid, &a.port, true, &bad_first) < 0) {
        return -EINVAL;
    }
    *out = a;
    return 0;
}
