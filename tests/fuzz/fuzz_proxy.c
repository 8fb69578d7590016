/* libFuzzer target: what vsock-proxy reads from users and from files: the
 * target argument and port, the names file, libvirt's domain XML and the
 * hybrid-vsock muxer's answer line.  The first byte picks which. */
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
        (void)vp_target_parse(text, port, &t, &why);
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
    case 2: { /* a libvirt domain definition */
        char name[VP_NAME_MAX * 4];
        uint32_t cid;
        (void)vp_libvirt_domain_cid(text, name, sizeof(name), &cid);
        break;
    }
    default:
        (void)vp_mux_answer(text);
        break;
    }
    free(text);
    return 0;
}
