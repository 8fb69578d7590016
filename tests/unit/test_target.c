#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "address.h"
#include "target.h"

struct target_case {
    const char *target, *port;
    int rc;
    enum vp_target_kind kind;
    uint32_t cid, tport;
    const char *path; /* or the name */
    enum vp_name_scope scope;
};

static void test_target_table(void **state)
{
    (void)state;
    static const struct target_case cases[] = {
        {"3", NULL, 0, VP_TARGET_VSOCK, 3, 22, NULL},
        {"3", "2222", 0, VP_TARGET_VSOCK, 3, 2222, NULL},
        {"vsock/3", "22", 0, VP_TARGET_VSOCK, 3, 22, NULL},
        {"vsock%42", NULL, 0, VP_TARGET_VSOCK, 42, 22, NULL},
        {"vsock/4294967294", NULL, 0, VP_TARGET_VSOCK, 4294967294u, 22, NULL},
        {"unix/run/vm.sock", "22", 0, VP_TARGET_UNIX, 0, 22, "/run/vm.sock"},
        {"unix//run/vm.sock", NULL, 0, VP_TARGET_UNIX, 0, 22, "/run/vm.sock"},
        {"unix%run/vm.sock", "notaport", 0, VP_TARGET_UNIX, 0, 22, "/run/vm.sock"},
        {"unix:/run/vm.sock", NULL, 0, VP_TARGET_UNIX, 0, 22, "/run/vm.sock"},
        /* unix: as vsock-sshd's Listen has it: absolute (address.h) */
        {"unix:run/vm.sock", NULL, -EINVAL, 0, 0, 0, NULL},
        {"unix:", NULL, -EINVAL, 0, 0, 0, NULL},
        {"vsock-mux:/run/fc.sock", NULL, -EINVAL, 0, 0, 0, NULL},
        {"vsock-mux/run/fc.sock", "1024", 0, VP_TARGET_VSOCK_MUX, 0, 1024, "/run/fc.sock"},
        {"vsock-mux%/run/fc.sock", NULL, 0, VP_TARGET_VSOCK_MUX, 0, 22, "/run/fc.sock"},
        {"", NULL, -EINVAL, 0, 0, 0, NULL},
        /* Anything else that looks like a name is a VM name (names.c):
         * "vsock3" then fails as an unknown VM, with that message. */
        {"vm", NULL, 0, VP_TARGET_NAME, 0, 22, "vm"},
        {"vsock3", "2222", 0, VP_TARGET_NAME, 0, 2222, "vsock3"},
        {"vsock/", NULL, -EINVAL, 0, 0, 0, NULL},
        {"vsock/x", NULL, -EINVAL, 0, 0, 0, NULL},
        {"vsock/-3", NULL, -EINVAL, 0, 0, 0, NULL},
        {"vsock/4294967295", NULL, -EINVAL, 0, 0, 0, NULL},
        {"vsock:3", NULL, -EINVAL, 0, 0, 0, NULL},
        {"3", "4294967295", -EINVAL, 0, 0, 0, NULL},
        {"3", "22a", -EINVAL, 0, 0, 0, NULL},
        {"vsock-mux/x", "", -EINVAL, 0, 0, 0, NULL},
        {"unix/", NULL, -EINVAL, 0, 0, 0, NULL},
        {"vsock-mux%", NULL, -EINVAL, 0, 0, 0, NULL},
        {"unixx/run", NULL, -EINVAL, 0, 0, 0, NULL},
        /* VM names: systemd's forms and libvirt's (libvirt-ssh-proxy's). */
        {"vm/web", NULL, 0, VP_TARGET_NAME, 0, 22, "web", VP_SCOPE_ALL},
        {"vm%web", "2222", 0, VP_TARGET_NAME, 0, 2222, "web", VP_SCOPE_ALL},
        {"web", NULL, 0, VP_TARGET_NAME, 0, 22, "web", VP_SCOPE_ALL},
        {"qemu/web", NULL, 0, VP_TARGET_NAME, 0, 22, "web", VP_SCOPE_LIBVIRT},
        {"qemu:system/web", "2200", 0, VP_TARGET_NAME, 0, 2200, "web", VP_SCOPE_SYSTEM},
        {"qemu:session/Web.1_x-y", NULL, 0, VP_TARGET_NAME, 0, 22, "Web.1_x-y", VP_SCOPE_SESSION},
        /* UUID and ID, as libvirt looks them up */
        {"qemu/2b0e5a8c-6d6e-4c43-9d0b-3c6c2f0e7a11", NULL, 0, VP_TARGET_NAME, 0, 22,
         "2b0e5a8c-6d6e-4c43-9d0b-3c6c2f0e7a11", VP_SCOPE_LIBVIRT},
        {"qemu:system/3", NULL, 0, VP_TARGET_NAME, 0, 22, "3", VP_SCOPE_SYSTEM},
        {"vm/3", NULL, 0, VP_TARGET_NAME, 0, 22, "3", VP_SCOPE_ALL},
        {"qemu", NULL, 0, VP_TARGET_NAME, 0, 22, "qemu", VP_SCOPE_ALL}, /* a bare name */
        {"qemu/", NULL, -EINVAL, 0, 0, 0, NULL},
        {"qemu:system/", NULL, -EINVAL, 0, 0, 0, NULL},
        {"qemu:session/a/b", NULL, -EINVAL, 0, 0, 0, NULL},
        {"qemu:sys/web", NULL, -EINVAL, 0, 0, 0, NULL},
        {"qemu:system%web", NULL, -EINVAL, 0, 0, 0, NULL}, /* libvirt has no '%' forms */
        {"qemu%web", NULL, -EINVAL, 0, 0, 0, NULL},
        {"qemu:web", NULL, -EINVAL, 0, 0, 0, NULL},
        {"qemu:///system", NULL, -EINVAL, 0, 0, 0, NULL},
        {"qemu/-web", NULL, -EINVAL, 0, 0, 0, NULL},
        {"qemu/web", "x", -EINVAL, 0, 0, 0, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct target_case *c = &cases[i];
        struct vp_target t = {.cid = 12345};
        const char *why = NULL;
        int r = vp_target_parse(c->target, c->port, &t, &why);
        if (r != c->rc)
            fail_msg("'%s' '%s': rc %d, expected %d", c->target, c->port ? c->port : "-", r, c->rc);
        if (r < 0) {
            assert_non_null(why);
            assert_int_equal(t.cid, 12345);
            continue;
        }
        assert_int_equal(t.kind, c->kind);
        assert_int_equal(t.port, c->tport);
        if (c->kind == VP_TARGET_VSOCK)
            assert_int_equal(t.cid, c->cid);
        else if (c->kind == VP_TARGET_NAME) {
            assert_string_equal(t.name, c->path);
            if (t.scope != c->scope)
                fail_msg("'%s': scope %d, expected %d", c->target, t.scope, c->scope);
        } else
            assert_string_equal(t.path, c->path);
    }
}

static void test_long_path(void **state)
{
    (void)state;
    char target[300] = "unix/";
    struct vp_target t;
    const char *why;
    memset(target + 5, 'a', 200);
    target[205] = '\0';
    assert_int_equal(vp_target_parse(target, NULL, &t, &why), -EINVAL);
    assert_string_equal(why, "socket path too long");
}

/* vsock-proxy and vsock-sshd read a Unix-socket address the same way:
 * the same socket, or the same refusal, for every spelling. */
static void test_same_unix_rule(void **state)
{
    (void)state;
    static const char *const spellings[] = {
        "unix:/run/vm.sock",
        "unix/run/vm.sock",
        "unix//run/vm.sock",
        "unix%run/vm.sock",
        "unix%/run/vm.sock",
        "unix:run/vm.sock",
        "unix:",
        "unix/",
        "unix%",
        "unix:./vm.sock",
    };
    for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        struct vp_target t;
        struct vs_address a;
        const char *why_proxy = NULL, *why_server = NULL;
        int rp = vp_target_parse(spellings[i], NULL, &t, &why_proxy);
        int rs = vs_address_parse(spellings[i], &a, &why_server);
        if (rp != rs)
            fail_msg("'%s': proxy %d, server %d", spellings[i], rp, rs);
        if (rp == 0) {
            assert_int_equal(t.kind, VP_TARGET_UNIX);
            assert_int_equal(a.kind, VS_ADDRESS_UNIX);
            assert_string_equal(t.path, a.path);
        } else {
            assert_string_equal(why_proxy, why_server);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_target_table),
                                       cmocka_unit_test(test_long_path),
                                       cmocka_unit_test(test_same_unix_rule)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
