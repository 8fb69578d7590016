/* VM names for vsock-proxy: a names file ("NAME CID" lines) and libvirt's
 * domain definitions (<vsock><cid address='N'/></vsock>). */
#ifndef VP_NAMES_H
#define VP_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VP_NAMES_FILE "/etc/vsock-ssh/hosts"
/* Live definitions first (they carry CIDs libvirt assigned at start), then
 * the persistent ones. */
#define VP_LIBVIRT_DIRS "/run/libvirt/qemu:/etc/libvirt/qemu"
/* Longest VM name accepted. */
#define VP_NAME_MAX 64

/* Whether s is a VM name: 1 to VP_NAME_MAX of [A-Za-z0-9._-], starting with
 * a letter or digit, and not all digits (that is a CID). */
int vp_name_valid(const char *s);

/* Looks name up in a names file already open as f (origin names it in
 * errors).  Returns 1 and sets *cid when found, 0 when not, -EINVAL for a
 * malformed file with "ORIGIN line N: ..." in why. */
int vp_names_file_lookup(FILE *f, const char *origin, const char *name, uint32_t *cid, char *why,
                         size_t whylen);

/* Reads a libvirt domain definition (the XML text in xml): its name and the
 * address of its vsock CID.  Returns 1 with both set, 0 when the domain has
 * no vsock device or no fixed address (auto='yes' before it runs), -EINVAL
 * when the text is not a domain definition we can read. */
int vp_libvirt_domain_cid(const char *xml, char *name, size_t namelen, uint32_t *cid);

/* Resolves name: the names file (VSOCK_SSH_HOSTS overrides its path), then
 * every *.xml in the libvirt directories (VSOCK_SSH_LIBVIRT_DIRS, a
 * colon-separated list, overrides them).  Returns 0 with *cid, -ENOENT when
 * nowhere, -EINVAL for a malformed names file; why gets a message either
 * way. */
int vp_names_resolve(const char *name, uint32_t *cid, char *why, size_t whylen);

#endif
