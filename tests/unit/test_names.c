/* VM names: the names file, libvirt domain definitions, and resolution. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
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
        {"web -1\n", "hosts line 1: '-1': expected CID, vsock/CID, vsock%CID, unix/PATH, "
                     "unix%PATH, unix:PATH, vsock-mux/PATH, vsock-mux%PATH, or a VM name (NAME, "
                     "vm/NAME, vm%NAME)"},
        {"web 4294967295\n", "hosts line 1: '4294967295': expected CID, vsock/CID, vsock%CID, "
                             "unix/PATH, unix%PATH, unix:PATH, vsock-mux/PATH, vsock-mux%PATH, or "
                             "a VM name (NAME, vm/NAME, vm%NAME)"},
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

static const char persistent[] =
    "<!--\nWARNING: THIS IS AN AUTO-GENERATED FILE. <domain> in a comment\n-->\n"
    "<domain type='kvm'>\n"
    "  <name>web</name>\n"
    "  <uuid>0d0a5f3c-5e7a-4d8e-9d6a-7d6f1a2b3c4d</uuid>\n"
    "  <metadata><app:info xmlns:app='x'><name>other</name></app:info></metadata>\n"
    "  <devices>\n"
    "    <disk type='file'><source file='/x.img'/></disk>\n"
    "    <vsock model='virtio'>\n"
    "      <cid auto=\"no\" address=\"7\"/>\n"
    "    </vsock>\n"
    "  </devices>\n"
    "</domain>\n";

static void test_libvirt_persistent(void **state)
{
    (void)state;
    char name[64];
    uint32_t cid = 0;
    assert_int_equal(vp_libvirt_domain_cid(persistent, name, sizeof(name), &cid), 1);
    assert_string_equal(name, "web");
    assert_int_equal(cid, 7);
}

static void test_libvirt_auto_and_live(void **state)
{
    (void)state;
    char name[64];
    uint32_t cid = 0;
    const char *auto_cid = "<domain type='kvm'><name>db</name><devices>"
                           "<vsock model='virtio'><cid auto='yes'/></vsock></devices></domain>";
    assert_int_equal(vp_libvirt_domain_cid(auto_cid, name, sizeof(name), &cid), 0);
    assert_string_equal(name, "db");

    /* The live state of a running domain: libvirt filled in the address. */
    const char *live = "<domstatus state='running' pid='1234'>\n"
                       "  <monitor path='/run/x.sock'/>\n"
                       "  <domain type='kvm' id='2'>\n"
                       "    <name>db</name>\n"
                       "    <devices>\n"
                       "      <vsock model='virtio'>\n"
                       "        <cid auto='yes' address='12'/>\n"
                       "        <alias name='vsock0'/>\n"
                       "      </vsock>\n"
                       "    </devices>\n"
                       "  </domain>\n"
                       "</domstatus>\n";
    assert_int_equal(vp_libvirt_domain_cid(live, name, sizeof(name), &cid), 1);
    assert_string_equal(name, "db");
    assert_int_equal(cid, 12);

    const char *novsock = "<domain type='kvm'><name>plain</name><devices/></domain>";
    assert_int_equal(vp_libvirt_domain_cid(novsock, name, sizeof(name), &cid), 0);
}

static void test_libvirt_malformed(void **state)
{
    (void)state;
    char name[64];
    uint32_t cid = 0;
    static const char *const bad[] = {
        "",
        "not xml at all",
        "<network><name>default</name></network>",
        "<domain><name>x</name>",                             /* fine: unclosed at end */
        "<domain><name>x</name></devices></domain></domain>", /* too many closes */
        "<domain><!-- unterminated comment <name>x</name></domain>",
        "<domain><name>x</name><devices><vsock><cid address='7'", /* unterminated tag */
        "<domain><devices><vsock><cid address='7'/></vsock></devices></domain>", /* no name */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = vp_libvirt_domain_cid(bad[i], name, sizeof(name), &cid);
        if (i == 3)
            assert_int_equal(r, 0);
        else
            assert_int_equal(r, -EINVAL);
    }
    /* Addresses that are not guest CIDs are ignored. */
    const char *host_cid = "<domain><name>x</name><devices><vsock><cid address='2'/></vsock>"
                           "</devices></domain>";
    assert_int_equal(vp_libvirt_domain_cid(host_cid, name, sizeof(name), &cid), 0);
    /* A <cid> outside <devices><vsock> is not the vsock CID. */
    const char *elsewhere = "<domain><name>x</name><metadata><vsock><cid address='9'/></vsock>"
                            "</metadata></domain>";
    assert_int_equal(vp_libvirt_domain_cid(elsewhere, name, sizeof(name), &cid), 0);
}

static void test_target_names(void **state)
{
    (void)state;
    struct vp_target t;
    const char *why;
    assert_int_equal(vp_target_parse("vm/web", "2222", &t, &why), 0);
    assert_int_equal(t.kind, VP_TARGET_NAME);
    assert_string_equal(t.name, "web");
    assert_int_equal(t.port, 2222);
    assert_int_equal(vp_target_parse("vm%db", NULL, &t, &why), 0);
    assert_string_equal(t.name, "db");
    assert_int_equal(t.port, 22);
    assert_int_equal(vp_target_parse("web", NULL, &t, &why), 0);
    assert_int_equal(t.kind, VP_TARGET_NAME);
    assert_int_equal(vp_target_parse("42", NULL, &t, &why), 0);
    assert_int_equal(t.kind, VP_TARGET_VSOCK); /* digits are a CID */
    assert_int_equal(vp_target_parse("vm/", NULL, &t, &why), -EINVAL);
    assert_int_equal(vp_target_parse("vm/a b", NULL, &t, &why), -EINVAL);
    assert_int_equal(vp_target_parse("vm/12", NULL, &t, &why), -EINVAL);
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

/* Resolution through files: the names file first, then libvirt's
 * directories, with the environment pointing at fixtures. */
static void test_resolve(void **state)
{
    (void)state;
    char dir[] = "/tmp/vs-names-test.XXXXXX", path[256], why[512];
    uint32_t cid = 0;
    struct vp_target t;
    assert_non_null(mkdtemp(dir));
    write_file(dir, "hosts", "web 3\nsock unix/run/x.sock 2222\n");
    snprintf(path, sizeof(path), "%s/qemu", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    /* Domain "web" with CID 7: the names file wins. */
    write_file(dir, "qemu/web2.xml", persistent);
    write_file(dir, "qemu/db.xml",
               "<domain><name>db</name><devices><vsock><cid address='9'/></vsock></devices>"
               "</domain>");
    write_file(dir, "qemu/auto.xml",
               "<domain><name>auto</name><devices><vsock><cid auto='yes'/></vsock></devices>"
               "</domain>");

    snprintf(path, sizeof(path), "%s/hosts", dir);
    setenv("VSOCK_PROXY_HOSTS", path, 1);
    snprintf(path, sizeof(path), "%s/missing:%s/qemu", dir, dir);
    setenv("VSOCK_SSH_LIBVIRT_DIRS", path, 1);

    assert_int_equal(vp_names_resolve("web", &t, why, sizeof(why)), 0);
    assert_int_equal(t.kind, VP_TARGET_VSOCK);
    assert_int_equal(t.cid, 3);
    assert_int_equal(vp_names_resolve("sock", &t, why, sizeof(why)), 0);
    assert_int_equal(t.kind, VP_TARGET_UNIX);
    assert_string_equal(t.path, "/run/x.sock");
    assert_int_equal(t.port, 2222);
    assert_int_equal(vp_names_resolve("db", &t, why, sizeof(why)), 0);
    assert_int_equal(t.kind, VP_TARGET_VSOCK);
    assert_int_equal(t.cid, 9);
    assert_int_equal(t.port, 0);
    assert_int_equal(vp_names_resolve("nosuch", &t, why, sizeof(why)), -ENOENT);
    assert_non_null(strstr(why, "unknown VM name 'nosuch'"));
    assert_int_equal(vp_names_resolve("auto", &t, why, sizeof(why)), -ENOENT);
    assert_non_null(strstr(why, "start it first"));

    /* A malformed names file is an error, not a silent miss. */
    write_file(dir, "hosts", "web three\n");
    assert_int_equal(vp_names_resolve("db", &t, why, sizeof(why)), -EINVAL);
    assert_non_null(strstr(why, "line 1: 'three' is a name"));
    /* The older variable still works when the new one is not set. */
    unsetenv("VSOCK_PROXY_HOSTS");
    snprintf(path, sizeof(path), "%s/hosts", dir);
    setenv("VSOCK_SSH_HOSTS", path, 1);
    assert_int_equal(vp_names_resolve("db", &t, why, sizeof(why)), -EINVAL);
    unsetenv("VSOCK_SSH_HOSTS");
    (void)cid;

    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    unsetenv("VSOCK_SSH_HOSTS");
    unsetenv("VSOCK_SSH_LIBVIRT_DIRS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_names_file),
        cmocka_unit_test(test_names_file_malformed),
        cmocka_unit_test(test_libvirt_persistent),
        cmocka_unit_test(test_libvirt_auto_and_live),
        cmocka_unit_test(test_libvirt_malformed),
        cmocka_unit_test(test_target_names),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_names_file_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
