/* vsock-proxy targets: the host-name forms of systemd's ssh proxy, and
 * libvirt's (qemu/NAME, qemu:system/NAME, qemu:session/NAME). */
#ifndef VP_TARGET_H
#define VP_TARGET_H

#include <stdint.h>

#include "address.h"

/* Longest VM name accepted. */
#define VP_NAME_MAX 64

/* Whether s is a VM name: 1 to VP_NAME_MAX of [A-Za-z0-9._-], starting with
 * a letter or digit, and not all digits (that is a CID). */
int vp_name_valid(const char *s);

/* Whether s is what may follow vm/ or qemu/: a VM name, or up to
 * VP_NAME_MAX digits (a libvirt domain ID; bare digits are a CID). */
int vp_name_or_id_valid(const char *s);

enum vp_target_kind { VP_TARGET_VSOCK, VP_TARGET_UNIX, VP_TARGET_VSOCK_MUX, VP_TARGET_NAME };

/* Where a name is looked up (names.h). */
enum vp_name_scope {
    VP_SCOPE_ALL,     /* NAME, vm/NAME, vm%NAME: the names file, then libvirt */
    VP_SCOPE_LIBVIRT, /* qemu/NAME: libvirt only (system, then session) */
    VP_SCOPE_SYSTEM,  /* qemu:system/NAME: libvirt's qemu:///system only */
    VP_SCOPE_SESSION, /* qemu:session/NAME: libvirt's qemu:///session only */
};

struct vp_target {
    enum vp_target_kind kind;
    enum vp_name_scope scope;    /* name */
    uint32_t cid;                /* vsock */
    uint32_t port;               /* vsock, vsock-mux, name; 0: not given (names file) */
    char path[VS_UNIX_PATH_MAX]; /* unix, vsock-mux: absolute */
    char name[VP_NAME_MAX + 1];  /* name: resolved to a CID by vp_names_resolve() */
};

/* Parses TARGET and the optional PORT argument (NULL: 22; ignored for unix).
 * TARGET is CID, vsock/CID, vsock%CID, unix/PATH, unix%PATH, vsock-mux/PATH,
 * vsock-mux%PATH, or a VM name: NAME, vm/NAME, vm%NAME, or libvirt's
 * qemu/NAME, qemu:system/NAME, qemu:session/NAME (see names.h); after a
 * prefix, NAME may also be all digits (a libvirt domain ID).  PATH follows
 * vsock-sshd's rule (common/address.h): after '/' or '%' its leading '/'
 * is implied, as systemd has it (unix/run/x is /run/x); unix:PATH, as
 * vsock-sshd's Listen spells it, must be absolute (unix:/run/x).
 * Returns 0, or -EINVAL with a static reason in *why. *out written only on
 * success. No socket is touched. */
int vp_target_parse(const char *target, const char *port, struct vp_target *out, const char **why);

/* The hybrid-vsock muxer's answer line (without its newline): "OK" or
 * "OK <assigned host port>" accepts the connection.  Returns 0, or -EPROTO
 * for anything else. */
int vp_mux_answer(const char *line);

#endif
