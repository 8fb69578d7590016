/* VM names: the names file, libvirt's answers judged, and resolution. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"
#include "target.h"

static int lookup_target(const char *text, const char *name, struct vp_target *t, char *why)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    int r = vp_names_file_lookup(f, "hosts", name, t, why, 256);
    fclose(f);
    return r;
}

/* For entries that lead to a CID. */
static int lookup(const char *text, const char *name, uint32_t *cid, char *why)
{
    struct vp_target t = {.kind = VP_TARGET_NAME};
    int r = lookup_target(text, name, &t, why);
    if (r == 1) {
        assert_int_equal(t.kind, VP_TARGET_VSOCK);
        *cid = t.cid;
    }
    return r;
}

static void test_name_valid(void **state)
{
    (void)state;
    assert_true(vp_name_valid("web"));
    assert_true(vp_name_valid("web-1.example_vm"));
    assert_true(vp_name_valid("3d"));
    assert_false(vp_name_valid("42")); /* a CID */
    assert_false(vp_name_valid(""));
    assert_false(vp_name_valid("-web"));
    assert_false(vp_name_valid(".hidden"));
    assert_false(vp_name_valid("a b"));
    assert_false(vp_name_valid("a/b"));
    assert_false(vp_name_valid("a%b"));
    char longname[VP_NAME_MAX + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[VP_NAME_MAX] = '\0';
    assert_true(vp_name_valid(longname));
    longname[VP_NAME_MAX] = 'a';
    longname[VP_NAME_MAX + 1] = '\0';
    assert_false(vp_name_valid(longname));
}

static void test_names_file(void **state)
{
    (void)state;
    const char *text = "# VMs on this host\n"
                       "\n"
                       "web 3\n"
                       "  db\t\t4   # the database\n"
                       "web 5\n"
                       "last 6"; /* no final newline */
    uint32_t cid = 0;
    char why[256];
    assert_int_equal(lookup(text, "web", &cid, why), 1);
    assert_int_equal(cid, 3); /* the first entry wins */
    assert_int_equal(lookup(text, "db", &cid, why), 1);
    assert_int_equal(cid, 4);
    assert_int_equal(lookup(text, "last", &cid, why), 1);
    assert_int_equal(cid, 6);
    assert_int_equal(lookup(text, "nosuch", &cid, why), 0);
}

/* NAME TARGET [PORT]: any target but another name, with its own port. */
static void test_names_file_targets(void **state)
{
    (void)state;
    const char *text = "web 3\n"
                       "web2 vsock/4 2222\n"
                       "build unix/run/build.sock\n"
                       "sock unix:/run/x.sock\n"
                       "fc vsock-mux/run/fc.sock 2222\n";
    struct vp_target t;
    char why[256];
    assert_int_equal(lookup_target(text, "web", &t, why), 1);
    assert_int_equal(t.kind, VP_TARGET_VSOCK);
    assert_int_equal(t.cid, 3);
    assert_int_equal(t.port, 0); /* none given: the caller's port */
    assert_int_equal(lookup_target(text, "web2", &t, why), 1);
    assert_int_equal(t.cid, 4);
    assert_int_equal(t.port, 2222);
    assert_int_equal(lookup_target(text, "build", &t, why), 1);
    assert_int_equal(t.kind, VP_TARGET_UNIX);
    assert_string_equal(t.path, "/run/build.sock");
    assert_int_equal(lookup_target(text, "sock", &t, why), 1);
    assert_string_equal(t.path, "/run/x.sock");
    assert_int_equal(lookup_target(text, "fc", &t, why), 1);
    assert_int_equal(t.kind, VP_TARGET_VSOCK_MUX);
    assert_string_equal(t.path, "/run/fc.sock");
    assert_int_equal(t.port, 2222);
}

static void test_names_file_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"web\n", "hosts line 1: expected \"NAME TARGET [PORT]\""},
        {"ok 3\nweb 3 22 extra\n", "hosts line 2: expected \"NAME TARGET [PORT]\""},
        {"web three\n",
         "hosts line 1: 'three' is a name; expected a CID, unix/PATH or vsock-mux/PATH"},
        {"web vm/db\n",
         "hosts line 1: 'vm/db' is a name; expected a CID, unix/PATH or vsock-mux/PATH"},
        {"web qemu:system/db\n", "hosts line 1: 'qemu:system/db' is a name; expected a CID, "
                                 "unix/PATH or vsock-mux/PATH"},
        {"web -1\n", "hosts line 1: '-1': expected CID, vsock/CID, vsock%CID, unix/PATH, "
                     "unix%PATH, unix:PATH, vsock-mux/PATH, vsock-mux%PATH, or a VM name (NAME, "
                     "vm/NAME, vm%NAME, qemu/NAME, qemu:system/NAME, qemu:session/NAME)"},
        {"web 4294967295\n", "hosts line 1: '4294967295': expected CID, vsock/CID, vsock%CID, "
                             "unix/PATH, unix%PATH, unix:PATH, vsock-mux/PATH, vsock-mux%PATH, or "
                             "a VM name (NAME, vm/NAME, vm%NAME, qemu/NAME, qemu:system/NAME, "
                             "qemu:session/NAME)"},
        {"web unix/\n", "hosts line 1: 'unix/': empty socket path"},
        {"web 3 0\n", "hosts line 1: '0' is not a port"},
        {"web 3 x\n", "hosts line 1: 'x' is not a port"},
        {"12 3\n", "hosts line 1: '12' is not a VM name"},
        {"we/b 3\n", "hosts line 1: 'we/b' is not a VM name"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t cid = 0;
        char why[256] = "";
        assert_int_equal(lookup(cases[i].text, "web", &cid, why), -EINVAL);
        assert_string_equal(why, cases[i].msg);
    }
    /* A bad line after the match is still reported. */
    uint32_t cid = 0;
    char why[256];
    assert_int_equal(lookup("web 3\nbad\n", "web", &cid, why), -EINVAL);

    char big[1200];
    memset(big, 'a', sizeof(big) - 2);
    big[sizeof(big) - 2] = '\n';
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(lookup(big, "web", &cid, why), -EINVAL);
    assert_non_null(strstr(why, "line too long"));
}

/* libvirt's answers, judged: every state a domain can be in. */
static void test_libvirt_verdict(void **state)
{
    (void)state;
    static const struct {
        struct vp_libvirt_domain d;
        enum vp_libvirt_verdict v;
        uint32_t cid;
    } cases[] = {
        {{1, 1, 0, 5}, VP_LIBVIRT_CID, 5},
        {{1, 1, 1, 12}, VP_LIBVIRT_CID, 12}, /* auto='yes', assigned at start */
        {{1, 1, 0, 4294967294.0}, VP_LIBVIRT_CID, 4294967294u},
        {{0, 1, 0, 5}, VP_LIBVIRT_STOPPED, 0},
        {{0, 1, 1, NAN}, VP_LIBVIRT_AUTO_STOPPED, 0},
        {{0, 1, 1, 7}, VP_LIBVIRT_AUTO_STOPPED, 0}, /* an address left from its last run */
        {{1, 0, 0, NAN}, VP_LIBVIRT_NO_VSOCK, 0},
        {{0, 0, 0, NAN}, VP_LIBVIRT_NO_VSOCK, 0}, /* starting it would not help */
        {{1, NAN, 0, 5}, VP_LIBVIRT_NO_VSOCK, 0},
        {{1, 1, 1, NAN}, VP_LIBVIRT_NO_CID, 0},
        {{1, 1, 0, 2}, VP_LIBVIRT_NO_CID, 0}, /* the host */
        {{1, 1, 0, 0}, VP_LIBVIRT_NO_CID, 0},
        {{1, 1, 0, 4294967295.0}, VP_LIBVIRT_NO_CID, 0}, /* VMADDR_CID_ANY */
        {{1, 1, 0, 1e12}, VP_LIBVIRT_NO_CID, 0},
        {{1, 1, 0, 5.5}, VP_LIBVIRT_NO_CID, 0},
        {{1, 1, 0, -5}, VP_LIBVIRT_NO_CID, 0},
        {{1, 1, 0, INFINITY}, VP_LIBVIRT_NO_CID, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t cid = 0;
        enum vp_libvirt_verdict v = vp_libvirt_verdict(&cases[i].d, &cid);
        if (v != cases[i].v || cid != cases[i].cid)
            fail_msg("case %zu: verdict %d cid %u, expected %d %u", i, v, cid, cases[i].v,
                     cases[i].cid);
    }
}

static void test_libvirt_uri_local(void **state)
{
    (void)state;
    assert_true(vp_libvirt_uri_local("qemu:///system"));
    assert_true(vp_libvirt_uri_local("qemu:///session"));
    assert_true(vp_libvirt_uri_local("qemu+unix:///system?socket=/run/x"));
    assert_true(vp_libvirt_uri_local("test:///tmp/domains.xml"));
    assert_true(vp_libvirt_uri_local("test:///default"));
    assert_true(vp_libvirt_uri_local("myalias")); /* checked again once opened */
    assert_false(vp_libvirt_uri_local("qemu+ssh://root@host/system"));
    assert_false(vp_libvirt_uri_local("qemu://host/system"));
    assert_false(vp_libvirt_uri_local("qemu+tcp://10.0.0.1:16509/system"));
    assert_false(vp_libvirt_uri_local("qemu://"));
}

static void test_target_names(void **state)
{
    (void)state;
    struct vp_target t;
    const char *why;
    assert_int_equal(vp_target_parse("vm/web", "2222", &t, &why), 0);
    assert_int_equal(t.kind, VP_TARGET_NAME);
    assert_int_equal(t.scope, VP_SCOPE_ALL);
    assert_string_equal(t.name, "web");
    assert_int_equal(t.port, 2222);
    assert_int_equal(vp_target_parse("vm%db", NULL, &t, &why), 0);
    assert_string_equal(t.name, "db");
    assert_int_equal(t.port, 22);
    assert_int_equal(vp_target_parse("web", NULL, &t, &why), 0);
    assert_int_equal(t.kind, VP_TARGET_NAME);
    assert_int_equal(vp_target_parse("42", NULL, &t, &why), 0);
    assert_int_equal(t.kind, VP_TARGET_VSOCK); /* digits are a CID */
    assert_int_equal(vp_target_parse("vm/12", NULL, &t, &why), 0);
    assert_int_equal(t.kind, VP_TARGET_NAME); /* after a prefix, a libvirt domain ID */
    assert_string_equal(t.name, "12");
    assert_int_equal(vp_target_parse("vm/", NULL, &t, &why), -EINVAL);
    assert_int_equal(vp_target_parse("vm/a b", NULL, &t, &why), -EINVAL);
    assert_int_equal(vp_target_parse("-x", NULL, &t, &why), -EINVAL);
}

/* Writes text to dir/name. */
static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Domains for libvirt's test driver (test:///PATH): running unless
 * test:runstate says 5 (shut off). */
static const char domains[] =
    "<node>\n"
    "  <domain type='test'>\n"
    "    <name>web</name><uuid>2b0e5a8c-6d6e-4c43-9d0b-3c6c2f0e7a11</uuid>\n"
    "    <memory>8192</memory><os><type>hvm</type></os>\n"
    "    <devices><vsock model='virtio'><cid auto='no' address='7'/></vsock></devices>\n"
    "  </domain>\n"
    "  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n"
    "    <name>off</name><memory>8192</memory><os><type>hvm</type></os>\n"
    "    <devices><vsock model='virtio'><cid auto='yes'/></vsock></devices>\n"
    "    <test:runstate>5</test:runstate>\n"
    "  </domain>\n"
    "</node>\n";

/* Whether libvirt can be loaded here: the libvirt cases' expectations. */
static bool have_libvirt(void)
{
    return dlopen("libvirt.so.0", RTLD_NOW | RTLD_LOCAL) != NULL;
}

/* Resolution: the names file first, then libvirt (its test driver, through
 * LIBVIRT_DEFAULT_URI), with the environment pointing at fixtures. */
static void test_resolve(void **state)
{
    (void)state;
    char dir[] = "/tmp/vs-names-test.XXXXXX", path[256], uri[300], why[1024];
    struct vp_target t;
    bool libvirt = have_libvirt();
    assert_non_null(mkdtemp(dir));
    write_file(dir, "hosts", "web 3\nsock unix/run/x.sock 2222\n");
    write_file(dir, "domains.xml", domains);
    snprintf(path, sizeof(path), "%s/hosts", dir);
    setenv("VSOCK_PROXY_HOSTS", path, 1);
    snprintf(uri, sizeof(uri), "test://%s/domains.xml", dir);
    setenv("LIBVIRT_DEFAULT_URI", uri, 1);

    /* The names file first: libvirt's "web" (CID 7) is not asked. */
    assert_int_equal(vp_names_resolve("web", VP_SCOPE_ALL, &t, why, sizeof(why)), 0);
    assert_int_equal(t.kind, VP_TARGET_VSOCK);
    assert_int_equal(t.cid, 3);
    assert_int_equal(vp_names_resolve("sock", VP_SCOPE_ALL, &t, why, sizeof(why)), 0);
    assert_int_equal(t.kind, VP_TARGET_UNIX);
    assert_string_equal(t.path, "/run/x.sock");
    assert_int_equal(t.port, 2222);

    /* qemu/NAME is libvirt's alone. */
    int r = vp_names_resolve("web", VP_SCOPE_LIBVIRT, &t, why, sizeof(why));
    if (libvirt) {
        assert_int_equal(r, 0);
        assert_int_equal(t.kind, VP_TARGET_VSOCK);
        assert_int_equal(t.cid, 7);
        assert_int_equal(t.port, 0);
        /* By UUID and by ID (the test driver numbers running domains from 1). */
        assert_int_equal(vp_names_resolve("2b0e5a8c-6d6e-4c43-9d0b-3c6c2f0e7a11", VP_SCOPE_ALL, &t,
                                          why, sizeof(why)),
                         0);
        assert_int_equal(t.cid, 7);
        assert_int_equal(vp_names_resolve("1", VP_SCOPE_ALL, &t, why, sizeof(why)), 0);
        assert_int_equal(t.cid, 7);
        /* Known, with no CID to connect to: not an unknown name. */
        assert_int_equal(vp_names_resolve("off", VP_SCOPE_ALL, &t, why, sizeof(why)), -EHOSTDOWN);
        assert_non_null(strstr(why, "VM 'off' (test://"));
        assert_non_null(strstr(why, "is not running, and libvirt gives it a vsock CID when"));
        assert_int_equal(vp_names_resolve("nosuch", VP_SCOPE_ALL, &t, why, sizeof(why)), -ENOENT);
        char expected[700];
        snprintf(expected, sizeof(expected),
                 "unknown VM name 'nosuch': not in %s/hosts; not under libvirt's %s", dir, uri);
        assert_string_equal(why, expected);
        /* A connection that cannot be opened is said to be one. */
        setenv("LIBVIRT_DEFAULT_URI", "test:///nonexistent/domains.xml", 1);
        assert_int_equal(vp_names_resolve("nosuch", VP_SCOPE_LIBVIRT, &t, why, sizeof(why)),
                         -ENOENT);
        assert_non_null(strstr(why, "unknown VM name 'nosuch': cannot ask "
                                    "test:///nonexistent/domains.xml ("));
    } else {
        assert_int_equal(r, -ENOENT);
        assert_non_null(strstr(why, "unknown VM name 'web': libvirt is not installed ("));
        assert_int_equal(vp_names_resolve("nosuch", VP_SCOPE_ALL, &t, why, sizeof(why)), -ENOENT);
        assert_non_null(strstr(why, "/hosts; libvirt is not installed ("));
    }
    /* Another machine's libvirt: its CIDs mean nothing here. */
    setenv("LIBVIRT_DEFAULT_URI", "qemu+ssh://root@elsewhere/system", 1);
    assert_int_equal(vp_names_resolve("nosuch", VP_SCOPE_ALL, &t, why, sizeof(why)), -EINVAL);
    assert_non_null(strstr(why, "libvirt on another machine"));
    /* ... but the names file still answers first. */
    assert_int_equal(vp_names_resolve("web", VP_SCOPE_ALL, &t, why, sizeof(why)), 0);

    /* A malformed names file is an error, not a silent miss. */
    write_file(dir, "hosts", "web three\n");
    assert_int_equal(vp_names_resolve("db", VP_SCOPE_ALL, &t, why, sizeof(why)), -EINVAL);
    assert_non_null(strstr(why, "line 1: 'three' is a name"));
    /* The older variable still works when the new one is not set. */
    unsetenv("VSOCK_PROXY_HOSTS");
    snprintf(path, sizeof(path), "%s/hosts", dir);
    setenv("VSOCK_SSH_HOSTS", path, 1);
    assert_int_equal(vp_names_resolve("db", VP_SCOPE_ALL, &t, why, sizeof(why)), -EINVAL);
    /* Not a name at all. */
    assert_int_equal(vp_names_resolve("a/b", VP_SCOPE_ALL, &t, why, sizeof(why)), -EINVAL);

    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    unsetenv("VSOCK_SSH_HOSTS");
    unsetenv("LIBVIRT_DEFAULT_URI");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_names_file),
        cmocka_unit_test(test_names_file_malformed),
        cmocka_unit_test(test_libvirt_verdict),
        cmocka_unit_test(test_libvirt_uri_local),
        cmocka_unit_test(test_target_names),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_names_file_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
