/* The SFTP request decoder and reply encoder, with malformed input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sftp_codec.h"

static uint8_t buf[VS_SFTP_MAX_PACKET];
static struct vs_sftp_req req;

/* Starts a request body (no length word) in buf. */
static struct vs_sftp_wr body(uint8_t type, uint32_t id)
{
    struct vs_sftp_wr w = {buf, 0, sizeof(buf), false};
    vs_sftp_put_u8(&w, type);
    vs_sftp_put_u32(&w, id);
    return w;
}

static int decode(const struct vs_sftp_wr *w)
{
    assert_false(w->overflow);
    return vs_sftp_decode(w->buf, w->len, &req);
}

static void test_open(void **state)
{
    (void)state;
    struct vs_sftp_wr w = body(VS_FXP_OPEN, 7);
    vs_sftp_put_str(&w, "dir/file");
    vs_sftp_put_u32(&w, VS_FXF_WRITE | VS_FXF_CREAT | VS_FXF_TRUNC);
    struct vs_sftp_attrs a = {.flags = VS_FILEXFER_ATTR_PERMISSIONS, .perm = 0640};
    vs_sftp_put_attrs(&w, &a);
    assert_int_equal(decode(&w), 0);
    assert_int_equal(req.type, VS_FXP_OPEN);
    assert_int_equal(req.id, 7);
    assert_string_equal(req.path, "dir/file");
    assert_int_equal(req.pflags, VS_FXF_WRITE | VS_FXF_CREAT | VS_FXF_TRUNC);
    assert_int_equal(req.attrs.flags, VS_FILEXFER_ATTR_PERMISSIONS);
    assert_int_equal(req.attrs.perm, 0640);
}

static void test_attrs_round_trip(void **state)
{
    (void)state;
    struct vs_sftp_attrs a = {
        .flags = VS_FILEXFER_ATTR_SIZE | VS_FILEXFER_ATTR_UIDGID | VS_FILEXFER_ATTR_PERMISSIONS |
                 VS_FILEXFER_ATTR_ACMODTIME,
        .size = 0x123456789aULL,
        .uid = 1000,
        .gid = 100,
        .perm = 0100755,
        .atime = 1700000000,
        .mtime = 1600000000,
    };
    struct vs_sftp_wr w = body(VS_FXP_SETSTAT, 1);
    vs_sftp_put_str(&w, "/x");
    vs_sftp_put_attrs(&w, &a);
    assert_int_equal(decode(&w), 0);
    assert_int_equal(req.attrs.flags, a.flags);
    assert_int_equal(req.attrs.size, a.size);
    assert_int_equal(req.attrs.uid, a.uid);
    assert_int_equal(req.attrs.gid, a.gid);
    assert_int_equal(req.attrs.perm, a.perm);
    assert_int_equal(req.attrs.atime, a.atime);
    assert_int_equal(req.attrs.mtime, a.mtime);
}

/* Extended attribute pairs are skipped; their count cannot make the
 * decoder run past the packet or loop for long. */
static void test_attrs_extended(void **state)
{
    (void)state;
    struct vs_sftp_wr w = body(VS_FXP_SETSTAT, 1);
    vs_sftp_put_str(&w, "/x");
    vs_sftp_put_u32(&w, VS_FILEXFER_ATTR_EXTENDED | VS_FILEXFER_ATTR_PERMISSIONS);
    vs_sftp_put_u32(&w, 0600);
    vs_sftp_put_u32(&w, 1);
    vs_sftp_put_str(&w, "name@example.com");
    vs_sftp_put_str(&w, "value");
    assert_int_equal(decode(&w), 0);
    assert_int_equal(req.attrs.flags, VS_FILEXFER_ATTR_PERMISSIONS);
    assert_int_equal(req.attrs.perm, 0600);

    w = body(VS_FXP_SETSTAT, 1);
    vs_sftp_put_str(&w, "/x");
    vs_sftp_put_u32(&w, VS_FILEXFER_ATTR_EXTENDED);
    vs_sftp_put_u32(&w, 0xffffffff);
    assert_int_equal(decode(&w), -EBADMSG);
}

/* Every prefix of a valid request is refused, never read past. */
static void test_truncated(void **state)
{
    (void)state;
    struct vs_sftp_wr w = body(VS_FXP_WRITE, 42);
    vs_sftp_put_u32(&w, VS_SFTP_HANDLE_LEN);
    vs_sftp_put_bytes(&w, "\0\0\0\1\0\0\0\1", VS_SFTP_HANDLE_LEN);
    vs_sftp_put_u64(&w, 4096);
    vs_sftp_put_str(&w, "payload");
    size_t full = w.len;
    assert_int_equal(decode(&w), 0);
    assert_int_equal(req.data.len, 7);
    assert_memory_equal(req.data.p, "payload", 7);

    for (size_t n = 0; n < full; n++) {
        /* A heap copy of exactly n bytes, so ASan sees any over-read. */
        uint8_t *p = malloc(n ? n : 1);
        assert_non_null(p);
        memcpy(p, buf, n);
        assert_int_equal(vs_sftp_decode(p, n, &req), -EBADMSG);
        assert_int_equal(req.id_decoded, n >= 5);
        if (n >= 5)
            assert_int_equal(req.id, 42);
        free(p);
    }
}

/* Fields a request type does not carry never keep a previous request's
 * values (found by the fuzz target). */
static void test_no_stale_fields(void **state)
{
    (void)state;
    struct vs_sftp_wr w = body(VS_FXP_WRITE, 1);
    vs_sftp_put_str(&w, "12345678");
    vs_sftp_put_u64(&w, 99);
    vs_sftp_put_str(&w, "data");
    assert_int_equal(decode(&w), 0);
    assert_non_null(req.handle.p);

    w = body(VS_FXP_STAT, 2);
    vs_sftp_put_str(&w, "/");
    assert_int_equal(decode(&w), 0);
    assert_null(req.handle.p);
    assert_null(req.data.p);
    assert_int_equal(req.offset, 0);
    assert_int_equal(req.attrs.flags, 0);
}

static void test_huge_string_length(void **state)
{
    (void)state;
    struct vs_sftp_wr w = body(VS_FXP_STAT, 3);
    vs_sftp_put_u32(&w, 0xffffffff);
    vs_sftp_put_bytes(&w, "abc", 3);
    assert_int_equal(decode(&w), -EBADMSG);
    assert_true(req.id_decoded);

    w = body(VS_FXP_READ, 3);
    vs_sftp_put_u32(&w, 0x7fffffff); /* handle length */
    assert_int_equal(decode(&w), -EBADMSG);
}

static void test_paths(void **state)
{
    (void)state;
    static char long_path[VS_SFTP_PATH_MAX + 2];

    struct vs_sftp_wr w = body(VS_FXP_REMOVE, 1);
    vs_sftp_put_u32(&w, 5);
    vs_sftp_put_bytes(&w, "a\0/etc", 5);
    assert_int_equal(decode(&w), -EBADMSG);

    memset(long_path, 'a', VS_SFTP_PATH_MAX);
    long_path[VS_SFTP_PATH_MAX] = '\0';
    w = body(VS_FXP_REMOVE, 1);
    vs_sftp_put_str(&w, long_path);
    assert_int_equal(decode(&w), 0);
    assert_int_equal(strlen(req.path), VS_SFTP_PATH_MAX);

    long_path[VS_SFTP_PATH_MAX] = 'a';
    w = body(VS_FXP_REMOVE, 1);
    vs_sftp_put_str(&w, long_path);
    assert_int_equal(decode(&w), -ENAMETOOLONG);
    assert_true(req.id_decoded);

    w = body(VS_FXP_RENAME, 9);
    vs_sftp_put_str(&w, "old");
    vs_sftp_put_str(&w, "");
    assert_int_equal(decode(&w), 0);
    assert_string_equal(req.path, "old");
    assert_string_equal(req.path2, "");
}

static void test_unknown_type(void **state)
{
    (void)state;
    struct vs_sftp_wr w = body(99, 5);
    assert_int_equal(decode(&w), -EOPNOTSUPP);
    assert_true(req.id_decoded);
    assert_int_equal(req.id, 5);

    /* Reply types are not requests. */
    w = body(VS_FXP_STATUS, 5);
    assert_int_equal(decode(&w), -EOPNOTSUPP);

    assert_int_equal(vs_sftp_decode(buf, 0, &req), -EBADMSG);
    assert_false(req.id_decoded);
}

static void test_extended(void **state)
{
    (void)state;
    struct vs_sftp_wr w = body(VS_FXP_EXTENDED, 11);
    vs_sftp_put_str(&w, "posix-rename@openssh.com");
    vs_sftp_put_str(&w, "a");
    vs_sftp_put_str(&w, "b");
    assert_int_equal(decode(&w), 0);
    assert_int_equal(req.ext, VS_EXT_POSIX_RENAME);
    assert_string_equal(req.path, "a");
    assert_string_equal(req.path2, "b");

    w = body(VS_FXP_EXTENDED, 12);
    vs_sftp_put_str(&w, "no-such@example.com");
    vs_sftp_put_str(&w, "whatever");
    assert_int_equal(decode(&w), 0);
    assert_int_equal(req.ext, VS_EXT_UNKNOWN);

    /* A prefix of a known name is not that name. */
    w = body(VS_FXP_EXTENDED, 13);
    vs_sftp_put_str(&w, "limits@openssh");
    assert_int_equal(decode(&w), 0);
    assert_int_equal(req.ext, VS_EXT_UNKNOWN);

    w = body(VS_FXP_EXTENDED, 14);
    vs_sftp_put_str(&w, "copy-data");
    vs_sftp_put_u32(&w, 8);
    vs_sftp_put_bytes(&w, "12345678", 8);
    vs_sftp_put_u64(&w, 10);
    vs_sftp_put_u64(&w, 0);
    vs_sftp_put_u32(&w, 8);
    vs_sftp_put_bytes(&w, "abcdefgh", 8);
    vs_sftp_put_u64(&w, 20);
    assert_int_equal(decode(&w), 0);
    assert_int_equal(req.ext, VS_EXT_COPY_DATA);
    assert_int_equal(req.offset, 10);
    assert_int_equal(req.length, 0);
    assert_int_equal(req.offset2, 20);
    assert_memory_equal(req.handle2.p, "abcdefgh", 8);

    /* Every announced extension decodes to its own code. */
    for (unsigned i = 0; i < vs_sftp_n_extensions; i++) {
        w = body(VS_FXP_EXTENDED, 15);
        vs_sftp_put_str(&w, vs_sftp_extensions[i].name);
        vs_sftp_put_bytes(&w,
                          "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                          "\0\0\0\0\0\0\0\0",
                          40);
        assert_int_equal(decode(&w), 0);
        assert_int_equal(req.ext, vs_sftp_extensions[i].ext);
    }
}

static void test_id_lists(void **state)
{
    (void)state;
    struct vs_sftp_wr w = body(VS_FXP_EXTENDED, 1);
    vs_sftp_put_str(&w, "users-groups-by-id@openssh.com");
    vs_sftp_put_u32(&w, 8);
    vs_sftp_put_u32(&w, 0);
    vs_sftp_put_u32(&w, 1000);
    vs_sftp_put_u32(&w, 0);
    assert_int_equal(decode(&w), 0);
    assert_int_equal(req.n_uids, 2);
    assert_int_equal(req.n_gids, 0);
    assert_int_equal(vs_sftp_id_at(req.uids, 1), 1000);

    w = body(VS_FXP_EXTENDED, 1);
    vs_sftp_put_str(&w, "users-groups-by-id@openssh.com");
    vs_sftp_put_u32(&w, 3); /* not a multiple of 4 */
    vs_sftp_put_bytes(&w, "abc", 3);
    vs_sftp_put_u32(&w, 0);
    assert_int_equal(decode(&w), -EBADMSG);

    w = body(VS_FXP_EXTENDED, 1);
    vs_sftp_put_str(&w, "users-groups-by-id@openssh.com");
    vs_sftp_put_u32(&w, 4 * (VS_SFTP_MAX_IDS + 1));
    for (unsigned i = 0; i <= VS_SFTP_MAX_IDS; i++)
        vs_sftp_put_u32(&w, i);
    vs_sftp_put_u32(&w, 0);
    assert_int_equal(decode(&w), -EBADMSG);
}

static void test_writer_bounds(void **state)
{
    (void)state;
    uint8_t small[10];
    memset(small, 0xee, sizeof(small));
    struct vs_sftp_wr w = {small, 0, 8, false};
    vs_sftp_put_u32(&w, 1);
    vs_sftp_put_str(&w, "toolong"); /* its length word fits, its bytes do not */
    assert_true(w.overflow);
    assert_int_equal(w.len, 8);
    assert_int_equal(small[8], 0xee);
    vs_sftp_put_u8(&w, 1); /* stays overflowed, writes nothing */
    assert_int_equal(w.len, 8);
    assert_int_equal(small[8], 0xee);

    uint8_t pkt[64];
    w = (struct vs_sftp_wr){pkt, 0, sizeof(pkt), false};
    size_t p = vs_sftp_begin_packet(&w, VS_FXP_STATUS);
    vs_sftp_put_u32(&w, 9);
    vs_sftp_end_packet(&w, p);
    assert_int_equal(w.len, 9);
    assert_memory_equal(pkt, "\0\0\0\5\145\0\0\0\11", 9);
}

static void test_status_from_errno(void **state)
{
    (void)state;
    static const struct {
        int err;
        enum vs_fx_status st;
    } cases[] = {
        {0, VS_FX_OK},
        {ENOENT, VS_FX_NO_SUCH_FILE},
        {ENOTDIR, VS_FX_NO_SUCH_FILE},
        {EACCES, VS_FX_PERMISSION_DENIED},
        {EPERM, VS_FX_PERMISSION_DENIED},
        {EROFS, VS_FX_PERMISSION_DENIED},
        {ENAMETOOLONG, VS_FX_BAD_MESSAGE},
        {EOPNOTSUPP, VS_FX_OP_UNSUPPORTED},
        {EEXIST, VS_FX_FAILURE},
        {ENOSPC, VS_FX_FAILURE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(vs_sftp_status_from_errno(cases[i].err), cases[i].st);
}

static void test_longname(void **state)
{
    (void)state;
    char out[256];
    struct stat st = {.st_mode = S_IFREG | 04755, .st_nlink = 1, .st_size = 1234};
    time_t now = 1700000000;

    st.st_mtime = now - 3600;
    vs_sftp_longname(out, sizeof(out), "prog", &st, "alice", "staff", now);
    assert_non_null(strstr(out, "-rwsr-xr-x"));
    assert_non_null(strstr(out, " alice "));
    assert_non_null(strstr(out, " staff "));
    assert_non_null(strstr(out, " 1234 "));
    assert_true(strlen(out) > 5 && strcmp(out + strlen(out) - 5, " prog") == 0);

    st = (struct stat){.st_mode = S_IFDIR | 01777, .st_uid = 4242, .st_gid = 77};
    st.st_mtime = now - 400 * 24 * 3600; /* over six months: the year, no time */
    vs_sftp_longname(out, sizeof(out), "tmp", &st, NULL, NULL, now);
    assert_non_null(strstr(out, "drwxrwxrwt"));
    assert_non_null(strstr(out, " 4242 "));
    assert_non_null(strstr(out, " 77 "));
    assert_null(strchr(out, ':'));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open),
        cmocka_unit_test(test_attrs_round_trip),
        cmocka_unit_test(test_attrs_extended),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_no_stale_fields),
        cmocka_unit_test(test_huge_string_length),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_unknown_type),
        cmocka_unit_test(test_extended),
        cmocka_unit_test(test_id_lists),
        cmocka_unit_test(test_writer_bounds),
        cmocka_unit_test(test_status_from_errno),
        cmocka_unit_test(test_longname),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
