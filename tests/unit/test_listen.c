#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

struct listen_case {
    const char *in;
    int rc;
    enum vs_listen_kind kind;
    uint32_t cid, port;
    const char *path;
};

static void test_listen_table(void **state)
{
    (void)state;
    static const struct listen_case cases[] = {
        {"vsock:22", 0, VS_LISTEN_VSOCK, VS_VMADDR_CID_ANY, 22, NULL},
        {"vsock:0", 0, VS_LISTEN_VSOCK, VS_VMADDR_CID_ANY, 0, NULL},
        {"vsock:3:2222", 0, VS_LISTEN_VSOCK, 3, 2222, NULL},
        {"vsock:1:4294967294", 0, VS_LISTEN_VSOCK, 1, 4294967294u, NULL},
        {"unix:/run/vsock-sshd.sock", 0, VS_LISTEN_UNIX, 0, 0, "/run/vsock-sshd.sock"},
        {"unix/run/vsock-sshd.sock", 0, VS_LISTEN_UNIX, 0, 0, "/run/vsock-sshd.sock"},
        {"unix//run/x.sock", 0, VS_LISTEN_UNIX, 0, 0, "/run/x.sock"},
        {"vsock:4294967295", -EINVAL, 0, 0, 0, NULL},
        {"vsock:-1", -EINVAL, 0, 0, 0, NULL},
        {"vsock:+5", -EINVAL, 0, 0, 0, NULL},
        {"vsock:22x", -EINVAL, 0, 0, 0, NULL},
        {"vsock: 22", -EINVAL, 0, 0, 0, NULL},
        {"vsock::22", -EINVAL, 0, 0, 0, NULL},
        {"vsock:3:", -EINVAL, 0, 0, 0, NULL},
        {"vsock:1:2:3", -EINVAL, 0, 0, 0, NULL},
        {"vsock", -EINVAL, 0, 0, 0, NULL},
        {"unix:", -EINVAL, 0, 0, 0, NULL},
        {"unix:rel", -EINVAL, 0, 0, 0, NULL},
        {"tcp:22", -EINVAL, 0, 0, 0, NULL},
        {"", -EINVAL, 0, 0, 0, NULL},
        {"unix:/"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaa",
         -EINVAL, 0, 0, 0, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct listen_case *c = &cases[i];
        struct vs_listen_addr a = {.port = 777};
        const char *why = NULL;
        int r = vs_listen_parse(c->in, &a, &why);
        if (r != c->rc)
            fail_msg("'%s': rc %d, expected %d", c->in, r, c->rc);
        if (r < 0) {
            assert_non_null(why);
            assert_int_equal(a.port, 777); /* untouched on failure */
            continue;
        }
        assert_int_equal(a.kind, c->kind);
        if (c->kind == VS_LISTEN_VSOCK) {
            assert_int_equal(a.cid, c->cid);
            assert_int_equal(a.port, c->port);
        } else {
            assert_string_equal(a.path, c->path);
        }
        /* Formatted as parsed; unix/PATH comes back as unix:/PATH. */
        char buf[160], want[160];
        vs_listen_format(&a, buf, sizeof(buf));
        if (strncmp(c->in, "unix/", 5) == 0)
            snprintf(want, sizeof(want), "unix:%s", a.path);
        else
            snprintf(want, sizeof(want), "%s", c->in);
        assert_string_equal(buf, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_listen_table)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
