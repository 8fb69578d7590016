/* libFuzzer target: the SFTP request decoder on arbitrary packet bodies.
 * Whatever the bytes, decoding must stay inside them, terminate quickly and
 * leave a request whose strings and byte ranges lie within the packet. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "sftp_codec.h"

/* Not CHECK(): the check must stay whatever NDEBUG says. */
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            __builtin_trap();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vs_sftp_req req;

static void check_bytes(struct vs_sftp_bytes b, const uint8_t *data, size_t size)
{
    if (b.p != NULL)
        CHECK(b.p >= data && b.p + b.len <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int r = vs_sftp_decode(data, size, &req);

    CHECK(r == 0 || r == -EBADMSG || r == -ENAMETOOLONG || r == -EOPNOTSUPP);
    CHECK(!req.id_decoded || size >= 5);
    if (r == 0) {
        CHECK(strlen(req.path) <= VS_SFTP_PATH_MAX);
        CHECK(strlen(req.path2) <= VS_SFTP_PATH_MAX);
        check_bytes(req.handle, data, size);
        check_bytes(req.handle2, data, size);
        check_bytes(req.data, data, size);
        check_bytes(req.uids, data, size);
        check_bytes(req.gids, data, size);
        CHECK(req.n_uids <= VS_SFTP_MAX_IDS && req.n_gids <= VS_SFTP_MAX_IDS);
        for (uint32_t i = 0; i < req.n_uids; i++)
            (void)vs_sftp_id_at(req.uids, i);
        for (uint32_t i = 0; i < req.n_gids; i++)
            (void)vs_sftp_id_at(req.gids, i);
    }
    return 0;
}
