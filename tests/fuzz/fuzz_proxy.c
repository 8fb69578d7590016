/* libFuzzer target: what vsock-proxy parses itself, from users and files:
 * the target argument and port (systemd's and libvirt's host-name forms),
 * the names file, a libvirt URI (is it this machine's?) with the verdict on
 * a domain's state, and the hybrid-vsock muxer's answer line.  The first
 * byte picks which ('0' to '3' in the seeds).  libvirt's own answers are
 * parsed by libvirt and libxml2, not by us. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 256 * 1024)
        return 0;
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    struct vp_target t;
    const char *why;
    char msg[512];

    switch (data[0] % 4) {
    case 0: { /* TARGET [PORT]: split at the first space */
        char *port = strchr(text, ' ');
        if (port != NULL)
            *port++ = '\0';
        if (vp_target_parse(text, port, &t, &why) == 0 && t.kind == VP_TARGET_NAME &&
            !vp_name_or_id_valid(t.name))
            abort(); /* a name the parser let through that the lookup refuses */
        break;
    }
    case 1: { /* a names file */
        FILE *f = fmemopen(text, size - 1 > 0 ? size - 1 : 1, "r");
        if (f != NULL) {
            (void)vp_names_file_lookup(f, "fuzz", "web", &t, msg, sizeof(msg));
            fclose(f);
        }
        break;
    }
    case 2: { /* a libvirt URI; the bytes after it (if any), a domain's state */
        (void)vp_libvirt_uri_local(text);
        size_t n = strlen(text) + 1;
        struct vp_libvirt_domain d;
        if (size - 1 >= n + sizeof(d)) {
            memcpy(&d, text + n, sizeof(d));
            uint32_t cid = 0;
            if (vp_libvirt_verdict(&d, &cid) == VP_LIBVIRT_CID && (cid < 3 || cid == UINT32_MAX))
                abort(); /* never a CID that is not a guest's */
        }
        break;
    }
    default:
        (void)vp_mux_answer(text);
        break;
    }
    free(text);
    return 0;
}
