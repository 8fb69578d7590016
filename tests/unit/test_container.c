/* container.h's pure parts: the USER+CONTAINER login name, and the
 * parsers of a container's /etc/passwd and /etc/group (hostile text: a
 * container's root writes them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "container.h"

static void test_login_name(void **state)
{
    (void)state;
    static const struct {
        const char *login, *user, *container; /* user NULL: refused */
    } cases[] = {
        {"root", "root", ""},
        {"root+penguin", "root", "penguin"},
        {"alice+my-ctr_1.x", "alice", "my-ctr_1.x"},
        {"a+B9", "a", "B9"},
        {"root+", NULL, NULL},
        {"+penguin", NULL, NULL},
        {"root+pen+guin", NULL, NULL},
        {"root++penguin", NULL, NULL},
        {"root+-penguin", NULL, NULL},
        {"root+.penguin", NULL, NULL},
        {"root+../etc", NULL, NULL},
        {"root+pen/guin", NULL, NULL},
        {"root+pen guin", NULL, NULL},
        {"root+pen:guin", NULL, NULL},
        {"root+p\xc3\xa9nguin", NULL, NULL},
        {"root+p\nx", NULL, NULL},
        /* 64 characters: the most */
        {"u+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "u",
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
        {"u+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char user[256], ctr[VS_CONTAINER_NAME_MAX + 1];
        const char *why = NULL;
        int r = vs_login_name_split(cases[i].login, user, sizeof(user), ctr, sizeof(ctr), &why);
        if (cases[i].user == NULL) {
            if (r != -22 || why == NULL)
                fail_msg("case %zu (%s): accepted", i, cases[i].login);
            continue;
        }
        if (r != 0)
            fail_msg("case %zu (%s): refused: %s", i, cases[i].login, why);
        assert_string_equal(user, cases[i].user);
        assert_string_equal(ctr, cases[i].container);
    }
    /* A user part longer than the caller's buffer is refused, not cut. */
    char user[4], ctr[8];
    assert_int_equal(vs_login_name_split("alice+x", user, sizeof(user), ctr, sizeof(ctr), NULL),
                     -22);
    assert_int_equal(vs_login_name_split("alice", user, sizeof(user), ctr, sizeof(ctr), NULL), -22);
}

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "broken\n"
                             "bin:x:1:1::/bin\n"             /* six fields: skipped */
                             "evil:x:0:0::/:/bin/sh:extra\n" /* eight: skipped */
                             "alice:x:1000:100:Alice:/home/alice:/bin/bash\n"
                             "nohome:x:1001:1001:::\n"
                             "badid:x:-1:0::/:/bin/sh\n"
                             "bigid:x:4294967295:0::/:/bin/sh\n"
                             "nl\0hidden:x:0:0::/:/bin/sh\n"
                             "last:x:7:7::/l:/bin/sh"; /* no final newline */

static void test_passwd(void **state)
{
    (void)state;
    struct vs_user u;
    size_t len = sizeof(passwd) - 1;
    assert_int_equal(vs_passwd_find(passwd, len, "alice", &u), 0);
    assert_string_equal(u.home, "/home/alice");
    assert_string_equal(u.shell, "/bin/bash");
    assert_int_equal(u.uid, 1000);
    assert_int_equal(u.gid, 100);
    vs_user_free(&u);
    assert_int_equal(vs_passwd_find(passwd, len, "nohome", &u), 0);
    assert_string_equal(u.home, "/");
    assert_string_equal(u.shell, "/bin/sh");
    vs_user_free(&u);
    assert_int_equal(vs_passwd_find(passwd, len, "last", &u), 0);
    assert_int_equal(u.uid, 7);
    vs_user_free(&u);
    assert_int_equal(vs_passwd_find(passwd, len, "bin", &u), -2);
    assert_int_equal(vs_passwd_find(passwd, len, "evil", &u), -2);
    assert_int_equal(vs_passwd_find(passwd, len, "badid", &u), -22);
    assert_int_equal(vs_passwd_find(passwd, len, "bigid", &u), -22);
    /* A line with a NUL in it is no entry (nor its tail after the NUL). */
    assert_int_equal(vs_passwd_find(passwd, len, "nl", &u), -2);
    assert_int_equal(vs_passwd_find(passwd, len, "hidden", &u), -2);
    assert_int_equal(vs_passwd_find(passwd, len, "nobody", &u), -2);
    assert_int_equal(vs_passwd_find("", 0, "root", &u), -2);
}

static const char group[] = "root:x:0:\n"
                            "users:x:100:\n"
                            "wheel:x:10:bob,alice\n"
                            "audio:x:29:alice\n"
                            "alicex:x:30:alicex\n"
                            "dup:x:29:alice\n" /* a gid seen again: once */
                            "bad:x:nope:alice\n"
                            "short:x:31\n"
                            "video:x:44:carol,alice,dave\n";

static void test_group(void **state)
{
    (void)state;
    gid_t *gids;
    char **names;
    unsigned ng, nn;
    assert_int_equal(vs_group_find(group, sizeof(group) - 1, "alice", 100, &gids, &ng, &names, &nn),
                     0);
    assert_int_equal(ng, 4);
    assert_int_equal(gids[0], 100);
    assert_int_equal(gids[1], 10);
    assert_int_equal(gids[2], 29);
    assert_int_equal(gids[3], 44);
    assert_int_equal(nn, 4); /* one name per gid, as getgrgid gives it: not "dup" */
    assert_string_equal(names[0], "users");
    assert_string_equal(names[1], "wheel");
    assert_string_equal(names[2], "audio");
    assert_string_equal(names[3], "video");
    for (unsigned i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    free(gids);
    /* A primary gid without a group entry: the gid, no name. */
    assert_int_equal(vs_group_find("", 0, "zed", 5000, &gids, &ng, &names, &nn), 0);
    assert_int_equal(ng, 1);
    assert_int_equal(gids[0], 5000);
    assert_int_equal(nn, 0);
    free(names);
    free(gids);
}

static void test_cgroup_path(void **state)
{
    (void)state;
    char p[64];
    assert_int_equal(vs_cgroup_unified_path("0::/machine.slice/a.scope\n", p, sizeof(p)), 0);
    assert_string_equal(p, "/machine.slice/a.scope");
    assert_int_equal(vs_cgroup_unified_path("0::/\n", p, sizeof(p)), 0);
    assert_string_equal(p, "/");
    /* systemd-nspawn's named hierarchy for a payload that is not systemd */
    assert_int_equal(
        vs_cgroup_unified_path("1:name=systemd:/m/payload\n0::/m/payload\n", p, sizeof(p)), 0);
    assert_string_equal(p, "/m/payload");
    /* a v1 controller: not joined */
    assert_int_equal(vs_cgroup_unified_path("4:memory:/m\n0::/m\n", p, sizeof(p)), -95);
    /* a second unified line (the kernel refuses a newline in a cgroup name;
     * the parser does not rely on it) */
    assert_int_equal(vs_cgroup_unified_path("0::/m/x\n0::/evil\n", p, sizeof(p)), -22);
    assert_int_equal(vs_cgroup_unified_path("", p, sizeof(p)), -22);
    assert_int_equal(vs_cgroup_unified_path("0::relative\n", p, sizeof(p)), -95);
    assert_int_equal(vs_cgroup_unified_path("x:name=a:/b\n0::/m\n", p, sizeof(p)), -22);
    char small[4];
    assert_int_equal(vs_cgroup_unified_path("0::/toolong\n", small, sizeof(small)), -22);
}

static void test_cap_mask(void **state)
{
    (void)state;
    unsigned long long m;
    assert_int_equal(vs_parse_cap_mask("00000000a80425fb", &m), 0);
    assert_true(m == 0xa80425fbULL);
    assert_int_equal(vs_parse_cap_mask("\t000001ffffffffff\n", &m), 0);
    assert_true(m == 0x1ffffffffffULL);
    assert_int_equal(vs_parse_cap_mask("", &m), -22);
    assert_int_equal(vs_parse_cap_mask("zz", &m), -22);
    assert_int_equal(vs_parse_cap_mask("ffffffffffffffffff", &m), -22);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login_name), cmocka_unit_test(test_passwd),
        cmocka_unit_test(test_group),      cmocka_unit_test(test_cgroup_path),
        cmocka_unit_test(test_cap_mask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
