/* common/address.c: the addresses both programs parse (vsock-sshd's Listen
 * and -T -C peer=, vsock-proxy's Unix-socket targets); server/activation.c:
 * the variables of systemd's socket activation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "activation.h"
#include "address.h"
#include "config.h"

struct listen_case {
    const char *in;
    int rc;
    enum vs_address_kind kind;
    uint32_t cid, port;
    const char *path;
};

static void test_listen_table(void **state)
{
    (void)state;
    static const struct listen_case cases[] = {
        {"vsock:22", 0, VS_ADDRESS_VSOCK, VS_VMADDR_CID_ANY, 22, NULL},
        {"vsock:0", 0, VS_ADDRESS_VSOCK, VS_VMADDR_CID_ANY, 0, NULL},
        {"vsock:3:2222", 0, VS_ADDRESS_VSOCK, 3, 2222, NULL},
        {"vsock:1:4294967294", 0, VS_ADDRESS_VSOCK, 1, 4294967294u, NULL},
        {"unix:/run/vsock-sshd.sock", 0, VS_ADDRESS_UNIX, 0, 0, "/run/vsock-sshd.sock"},
        {"unix/run/vsock-sshd.sock", 0, VS_ADDRESS_UNIX, 0, 0, "/run/vsock-sshd.sock"},
        {"unix//run/x.sock", 0, VS_ADDRESS_UNIX, 0, 0, "/run/x.sock"},
        /* vsock-proxy's scp-friendly spelling names the same socket. */
        {"unix%run/x.sock", 0, VS_ADDRESS_UNIX, 0, 0, "/run/x.sock"},
        {"unix%/run/x.sock", 0, VS_ADDRESS_UNIX, 0, 0, "/run/x.sock"},
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
        {"unix/", -EINVAL, 0, 0, 0, NULL},
        {"unix:rel", -EINVAL, 0, 0, 0, NULL},
        {"unix", -EINVAL, 0, 0, 0, NULL},
        {"unixx/run", -EINVAL, 0, 0, 0, NULL},
        {"tcp:22", -EINVAL, 0, 0, 0, NULL},
        {"", -EINVAL, 0, 0, 0, NULL},
        {"unix:/"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaa",
         -EINVAL, 0, 0, 0, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct listen_case *c = &cases[i];
        struct vs_address a = {.port = 777};
        const char *why = NULL;
        int r = vs_address_parse(c->in, &a, &why);
        if (r != c->rc)
            fail_msg("'%s': rc %d, expected %d", c->in, r, c->rc);
        if (r < 0) {
            assert_non_null(why);
            assert_int_equal(a.port, 777); /* untouched on failure */
            continue;
        }
        assert_int_equal(a.kind, c->kind);
        if (c->kind == VS_ADDRESS_VSOCK) {
            assert_int_equal(a.cid, c->cid);
            assert_int_equal(a.port, c->port);
        } else {
            assert_string_equal(a.path, c->path);
        }
        /* Formatted as parsed; every Unix spelling comes back as unix:/PATH. */
        char buf[160], want[160];
        vs_address_format(&a, buf, sizeof(buf));
        if (c->kind == VS_ADDRESS_UNIX)
            snprintf(want, sizeof(want), "unix:%s", a.path);
        else
            snprintf(want, sizeof(want), "%s", c->in);
        assert_string_equal(buf, want);
    }
}

/* The one rule for a Unix path, whatever the prefix: after ':' written
 * absolute, after '/' or '%' its '/' implied; the reasons users see. */
static void test_unix_path_rule(void **state)
{
    (void)state;
    static const struct {
        const char *in, *prefix, *seps;
        int rc;
        const char *out; /* the path, or the reason */
    } cases[] = {
        {"unix:/a", "unix", ":/%", 1, "/a"},
        {"unix/a", "unix", ":/%", 1, "/a"},
        {"unix%a/b", "unix", ":/%", 1, "/a/b"},
        {"unix:a", "unix", ":/%", -EINVAL, "unix socket path must be absolute"},
        {"unix:", "unix", ":/%", -EINVAL, "empty socket path"},
        {"unix%", "unix", ":/%", -EINVAL, "empty socket path"},
        {"unix:/a", "unix", "/%", 0, NULL}, /* ':' not a separator here */
        {"vsock-mux/run/fc.sock", "vsock-mux", "/%", 1, "/run/fc.sock"},
        {"vsock-mux", "vsock-mux", "/%", 0, NULL},
        {"vsock/3", "vsock-mux", "/%", 0, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[VS_UNIX_PATH_MAX] = "untouched";
        const char *why = NULL;
        int r = vs_address_unix_path(cases[i].in, cases[i].prefix, cases[i].seps, path,
                                     sizeof(path), &why);
        if (r != cases[i].rc)
            fail_msg("'%s': rc %d, expected %d", cases[i].in, r, cases[i].rc);
        if (r > 0)
            assert_string_equal(path, cases[i].out);
        else if (r < 0)
            assert_string_equal(why, cases[i].out);
        if (r <= 0)
            assert_string_equal(path, "untouched");
    }
    /* 107 characters fit sun_path with its NUL; 108 do not. */
    char in[200] = "unix:/", path[VS_UNIX_PATH_MAX];
    const char *why = NULL;
    memset(in + 6, 'a', 106);
    in[112] = '\0';
    assert_int_equal(vs_address_unix_path(in, "unix", ":", path, sizeof(path), &why), 1);
    assert_int_equal(strlen(path), 107);
    strcpy(in, "unix/");
    memset(in + 5, 'a', 107); /* the implied '/' makes it 108 */
    in[112] = '\0';
    assert_int_equal(vs_address_unix_path(in, "unix", "/", path, sizeof(path), &why), -EINVAL);
    assert_string_equal(why, "socket path too long");
}

/* -T -C peer=: CID (a privileged process of it), CID:PORT, unix:UID. */
static void test_peer_spec(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        enum vs_address_kind kind;
        uint32_t cid, port, uid;
    } cases[] = {
        {"2", 0, VS_ADDRESS_VSOCK, 2, 1023, 0},
        {"2:50000", 0, VS_ADDRESS_VSOCK, 2, 50000, 0},
        {"4294967294:0", 0, VS_ADDRESS_VSOCK, 4294967294u, 0, 0},
        {"unix:1000", 0, VS_ADDRESS_UNIX, 0, 0, 1000},
        {"unix:0", 0, VS_ADDRESS_UNIX, 0, 0, 0},
        {"unix:", -EINVAL, 0, 0, 0, 0},
        {"unix:any", -EINVAL, 0, 0, 0, 0},
        {"unix", -EINVAL, 0, 0, 0, 0},
        {"host", -EINVAL, 0, 0, 0, 0},
        {"2:", -EINVAL, 0, 0, 0, 0},
        {":22", -EINVAL, 0, 0, 0, 0},
        {"2:x", -EINVAL, 0, 0, 0, 0},
        {"2:1:1", -EINVAL, 0, 0, 0, 0},
        {"4294967295", -EINVAL, 0, 0, 0, 0},
        {"12345678901234567890:1", -EINVAL, 0, 0, 0, 0},
        {"", -EINVAL, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vs_peer_address a = {.cid = 777};
        int r = vs_address_parse_peer(cases[i].in, 1023, &a);
        if (r != cases[i].rc)
            fail_msg("'%s': rc %d, expected %d", cases[i].in, r, cases[i].rc);
        if (r < 0) {
            assert_int_equal(a.cid, 777);
            continue;
        }
        assert_int_equal(a.kind, cases[i].kind);
        if (a.kind == VS_ADDRESS_VSOCK) {
            assert_int_equal(a.cid, cases[i].cid);
            assert_int_equal(a.port, cases[i].port);
        } else {
            assert_int_equal(a.uid, cases[i].uid);
        }
    }
}

/* LISTEN_PID and LISTEN_FDS as systemd (or anything else) may set them. */
static void test_activation_parse(void **state)
{
    (void)state;
    static const struct {
        const char *pid, *fds;
        int rc;
    } cases[] = {
        {NULL, NULL, 0},     /* not activated */
        {NULL, "1", 0},      /* LISTEN_FDS alone: not for us */
        {"4242", "1", 1},    /* ours */
        {"4242", "16", 16},  /* as many as Listen may name */
        {"04242", "2", 2},   /* leading zeros, as systemd reads them */
        {"4243", "1", 0},    /* another process's (inherited) */
        {"4243", "junk", 0}, /* another process's: its LISTEN_FDS is not read */
        {"4242", "17", -EINVAL},
        {"4242", "0", -EINVAL},
        {"4242", NULL, -EINVAL},
        {"4242", "", -EINVAL},
        {"4242", "-1", -EINVAL},
        {"4242", "+1", -EINVAL},
        {"4242", " 1", -EINVAL},
        {"4242", "1 ", -EINVAL},
        {"4242", "0x1", -EINVAL},
        {"4242", "99999999999999999999", -EINVAL},
        {"0", "1", -EINVAL},
        {"", "1", -EINVAL},
        {"-4242", "1", -EINVAL},
        {"4242x", "1", -EINVAL},
        {"99999999999", "1", -EINVAL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *why = NULL;
        int rc = vs_activation_parse(cases[i].pid, cases[i].fds, 4242, 16, &why);
        if (rc != cases[i].rc)
            fail_msg("LISTEN_PID=%s LISTEN_FDS=%s: %d, expected %d",
                     cases[i].pid ? cases[i].pid : "(unset)",
                     cases[i].fds ? cases[i].fds : "(unset)", rc, cases[i].rc);
        if (rc < 0)
            assert_non_null(why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listen_table), cmocka_unit_test(test_unix_path_rule),
        cmocka_unit_test(test_peer_spec), cmocka_unit_test(test_activation_parse)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
