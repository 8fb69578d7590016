/* VM names for vsock-proxy: a names file ("NAME TARGET [PORT]" lines), then
 * libvirt, asked through its API (libvirt.so.0, loaded with dlopen only
 * when a name gets that far: vsock-proxy does not depend on it). */
#ifndef VP_NAMES_H
#define VP_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "target.h"

#define VP_NAMES_FILE "/etc/vsock-ssh/hosts"
/* The environment variable naming another names file (tests, users); the
 * older VSOCK_SSH_HOSTS is read when it is not set. */
#define VP_NAMES_ENV "VSOCK_PROXY_HOSTS"
#define VP_NAMES_ENV_OLD "VSOCK_SSH_HOSTS"
/* libvirt's connections, tried in this order (session only when not root),
 * unless VP_LIBVIRT_URI_ENV names the one to ask instead. */
#define VP_LIBVIRT_SYSTEM "qemu:///system"
#define VP_LIBVIRT_SESSION "qemu:///session"
#define VP_LIBVIRT_URI_ENV "LIBVIRT_DEFAULT_URI"

/* Looks name up in a names file already open as f (origin names it in
 * errors).  Each line is "NAME TARGET [PORT]": TARGET is any target
 * vsock-proxy takes except another name (3, vsock/3, unix/run/vm.sock,
 * vsock-mux/run/fc.sock).  Returns 1 and sets *out when found (port 0 when
 * the line has none), 0 when not, -EINVAL for a malformed file with
 * "ORIGIN line N: ..." in why.  Every line is checked, also after a match. */
int vp_names_file_lookup(FILE *f, const char *origin, const char *name, struct vp_target *out,
                         char *why, size_t whylen);

/* Resolves name in scope: for VP_SCOPE_ALL the names file (VP_NAMES_ENV
 * overrides its path), then libvirt; for the others libvirt only.  libvirt
 * is asked read-only, by name, then UUID, then ID, under VP_LIBVIRT_SYSTEM
 * and (not as root) VP_LIBVIRT_SESSION, or only under the URI in
 * VP_LIBVIRT_URI_ENV for VP_SCOPE_ALL and VP_SCOPE_LIBVIRT; the CID is the
 * <cid address=...> of the domain's live XML.  It never starts libvirt's
 * session daemon (LIBVIRT_AUTOSTART=0 unless set).
 * Returns 0 with *out (never a name; port 0 unless the names file gives
 * one), -ENOENT when the name is nowhere, -EHOSTDOWN for a domain without
 * a CID to connect to (not running, no vsock device), -EINVAL for a
 * malformed names file or a URI not on this machine; why gets a message
 * in every case, with whatever libvirt said made printable. */
int vp_names_resolve(const char *name, enum vp_name_scope scope, struct vp_target *out, char *why,
                     size_t whylen);

/* ---- pure parts of the libvirt lookup, for the tests ---------------------- */

/* Whether a libvirt URI is one of this machine's: no host part ("qemu:///
 * system", "test:///path"; not "qemu+ssh://host/system"), since a CID from
 * another machine means nothing here.  A URI without "//" (an alias, which
 * libvirt resolves) passes; the URI of the opened connection is checked
 * again. */
int vp_libvirt_uri_local(const char *uri);

/* What libvirt says of a domain: virDomainIsActive() and XPath numbers
 * from its XML (virDomainGetXMLDesc()). */
struct vp_libvirt_domain {
    int active;      /* 1 running, 0 not */
    double vsock;    /* count(/domain/devices/vsock) */
    double auto_yes; /* count(/domain/devices/vsock/cid[@auto='yes']) */
    double address;  /* number(/domain/devices/vsock/cid/@address): NaN if none */
};

enum vp_libvirt_verdict {
    VP_LIBVIRT_CID,          /* running, with a guest CID: connect */
    VP_LIBVIRT_NO_VSOCK,     /* no vsock device (running or not) */
    VP_LIBVIRT_AUTO_STOPPED, /* not running; its CID is assigned at start */
    VP_LIBVIRT_STOPPED,      /* not running (a fixed CID) */
    VP_LIBVIRT_NO_CID,       /* running, but no address (or not a guest CID) */
};

/* The verdict on d; *cid is set for VP_LIBVIRT_CID only.  A guest CID is 3
 * to 0xfffffffe (0-2 are the hypervisor, loopback and the host). */
enum vp_libvirt_verdict vp_libvirt_verdict(const struct vp_libvirt_domain *d, uint32_t *cid);

#endif
