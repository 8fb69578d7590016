/* VM names for vsock-proxy: a names file ("NAME TARGET [PORT]" lines) and
 * libvirt's domain definitions (<vsock><cid address='N'/></vsock>). */
#ifndef VP_NAMES_H
#define VP_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "target.h"

#define VP_NAMES_FILE "/etc/vsock-ssh/hosts"
/* Live definitions first (they carry CIDs libvirt assigned at start), then
 * the persistent ones. */
#define VP_LIBVIRT_DIRS "/run/libvirt/qemu:/etc/libvirt/qemu"
/* The environment variable naming another names file (tests, users); the
 * older VSOCK_SSH_HOSTS is read when it is not set. */
#define VP_NAMES_ENV "VSOCK_PROXY_HOSTS"
#define VP_NAMES_ENV_OLD "VSOCK_SSH_HOSTS"

/* Looks name up in a names file already open as f (origin names it in
 * errors).  Each line is "NAME TARGET [PORT]": TARGET is any target
 * vsock-proxy takes except another name (3, vsock/3, unix/run/vm.sock,
 * vsock-mux/run/fc.sock).  Returns 1 and sets *out when found (port 0 when
 * the line has none), 0 when not, -EINVAL for a malformed file with
 * "ORIGIN line N: ..." in why.  Every line is checked, also after a match. */
int vp_names_file_lookup(FILE *f, const char *origin, const char *name, struct vp_target *out,
                         char *why, size_t whylen);

/* Reads a libvirt domain definition (the XML text in xml): its name and the
 * address of its vsock CID.  Returns 1 with both set, 0 when the domain has
 * no vsock device or no fixed address (auto='yes' before it runs), -EINVAL
 * when the text is not a domain definition we can read. */
int vp_libvirt_domain_cid(const char *xml, char *name, size_t namelen, uint32_t *cid);

/* Resolves name: the names file (VP_NAMES_ENV overrides its path), then
 * every *.xml in the libvirt directories (VSOCK_SSH_LIBVIRT_DIRS, a
 * colon-separated list, overrides them).  Returns 0 with *out (never a
 * name; port 0 unless the names file gives one), -ENOENT when nowhere,
 * -EINVAL for a malformed names file; why gets a message either way. */
int vp_names_resolve(const char *name, struct vp_target *out, char *why, size_t whylen);

#endif
