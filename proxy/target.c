#include "target.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "address.h"
#include "util.h"

int vp_name_valid(const char *s)
{
    size_t n = strlen(s);
    bool digits = true;

    if (n == 0 || n > VP_NAME_MAX || !isalnum((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != '-')
            return 0;
        if (!isdigit(c))
            digits = false;
    }
    return !digits;
}

int vp_name_or_id_valid(const char *s)
{
    size_t n = strspn(s, "0123456789");
    return vp_name_valid(s) || (n > 0 && n <= VP_NAME_MAX && s[n] == '\0');
}

/* A prefix of systemd's forms ("vsock/", "vsock%"). */
static const char *after_prefix(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(s, prefix, n) == 0 && (s[n] == '/' || s[n] == '%'))
        return s + n + 1;
    return NULL;
}

/* The prefixed name forms: systemd's vm/ and vm%, libvirt's qemu/,
 * qemu:system/ and qemu:session/ (libvirt has no '%' forms). */
static const char *name_form(const char *s, enum vp_name_scope *scope)
{
    static const struct {
        const char *prefix;
        enum vp_name_scope scope;
    } forms[] = {
        {"vm/", VP_SCOPE_ALL},
        {"vm%", VP_SCOPE_ALL},
        {"qemu/", VP_SCOPE_LIBVIRT},
        {"qemu:system/", VP_SCOPE_SYSTEM},
        {"qemu:session/", VP_SCOPE_SESSION},
    };
    for (size_t i = 0; i < VS_ARRAY_SIZE(forms); i++) {
        size_t n = strlen(forms[i].prefix);
        if (strncmp(s, forms[i].prefix, n) == 0) {
            *scope = forms[i].scope;
            return s + n;
        }
    }
    return NULL;
}

int vp_mux_answer(const char *line)
{
    uint32_t port;
    if (strcmp(line, "OK") == 0)
        return 0;
    if (strncmp(line, "OK ", 3) != 0)
        return -EPROTO;
    /* Firecracker and cloud-hypervisor send the port they assigned; a muxer
     * that sends something else after "OK " still accepted. */
    (void)vs_parse_u32(line + 3, UINT32_MAX, &port);
    return 0;
}

int vp_target_parse(const char *target, const char *port, struct vp_target *out, const char **why)
{
    struct vp_target t = {0};
    const char *rest, *dummy;

    if (why == NULL)
        why = &dummy;
    if (target == NULL || *target == '\0') {
        *why = "empty target";
        return -EINVAL;
    }
    /* Unix-socket paths by vsock-sshd's rule (address.h); "vsock-mux"
     * before "vsock", its prefix, and without the ':' spelling. */
    int mux = vs_address_unix_path(target, "vsock-mux", "/%", t.path, sizeof(t.path), why);
    int is_unix = mux != 0 ? 0
                           : vs_address_unix_path(target, "unix", VS_ADDRESS_UNIX_SEPS, t.path,
                                                  sizeof(t.path), why);
    if (mux < 0 || is_unix < 0)
        return -EINVAL;
    if (mux > 0) {
        t.kind = VP_TARGET_VSOCK_MUX;
    } else if (is_unix > 0) {
        t.kind = VP_TARGET_UNIX;
    } else if ((rest = name_form(target, &t.scope)) != NULL || vp_name_valid(target)) {
        t.kind = VP_TARGET_NAME;
        if (rest != NULL && !vp_name_or_id_valid(rest)) {
            *why = "bad VM name (letters, digits, '.', '_', '-'; at most 64)";
            return -EINVAL;
        }
        snprintf(t.name, sizeof(t.name), "%s", rest ? rest : target);
    } else {
        rest = after_prefix(target, "vsock");
        t.kind = VP_TARGET_VSOCK;
        /* CID 0xffffffff is VMADDR_CID_ANY, not an address one connects to. */
        if (vs_parse_u32(rest ? rest : target, UINT32_MAX - 1, &t.cid) < 0) {
            *why = "expected CID, vsock/CID, vsock%CID, unix/PATH, unix%PATH, unix:PATH, "
                   "vsock-mux/PATH, vsock-mux%PATH, or a VM name (NAME, vm/NAME, vm%NAME, "
                   "qemu/NAME, qemu:system/NAME, qemu:session/NAME)";
            return -EINVAL;
        }
    }
    t.port = 22;
    if (port != NULL && t.kind != VP_TARGET_UNIX &&
        vs_parse_u32(port, UINT32_MAX - 1, &t.port) < 0) {
        *why = "bad port number";
        return -EINVAL;
    }
    *out = t;
    return 0;
}
