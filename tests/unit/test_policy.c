#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "peer.h"
#include "pattern.h"
#include "policy.h"

static void config_from(struct vs_config *c, const char *const *lines)
{
    char err[256];
    vs_config_init(c);
    for (; *lines != NULL; lines++)
        if (vs_config_apply_line(c, *lines, VS_SRC_FILE, "t", 1, err, sizeof(err)) != 0)
            fail_msg("%s", err);
    vs_config_finish(c);
}

struct peer_case {
    const char *config[4];
    uint32_t cid, port, local_cid;
    enum vs_peer_verdict verdict;
};

#define A VS_PEER_ADMIT
#define R VS_PEER_REFUSE
#define E VS_PEER_EXPLAIN

/* AllowPeers: CID x source port x configuration.  A port of 1023 or less
 * is a privileged process of the peer (CAP_NET_BIND_SERVICE on its side). */
static void test_peer_table(void **state)
{
    (void)state;
    static const struct peer_case cases[] = {
        /* Default: only privileged host processes. */
        {{NULL}, 2, 1023, 3, A},
        {{NULL}, 2, 1, 3, A},
        {{NULL}, 2, 1024, 3, E},       /* any host user: told why */
        {{NULL}, 2, 3321730399, 3, E}, /* an automatically bound port */
        {{NULL}, 2, 1u << 30, 3, E},   /* hybrid vsock: the VMM's port */
        {{NULL}, 1, 1023, 3, R},       /* loopback inside the guest */
        {{NULL}, 3, 1023, 3, R},       /* the guest's own CID */
        {{NULL}, 4, 1023, 3, R},       /* another VM */
        {{NULL}, 0, 1023, 3, R},       /* the hypervisor */
        /* host:any / 2:any: every host process. */
        {{"AllowPeers host:any", NULL}, 2, 5000, 3, A},
        {{"AllowPeers 2:any", NULL}, 2, 1023, 3, A},
        {{"AllowPeers 2:any", NULL}, 4, 5000, 3, R},
        {{"AllowPeers host", NULL}, 2, 5000, 3, E},
        {{"AllowPeers 2 2:any", NULL}, 2, 5000, 3, A}, /* either entry admits */
        {{"AllowPeers 2:any 2", NULL}, 2, 5000, 3, A},
        {{"AllowPeers 1", NULL}, 1, 1023, 3, A},
        {{"AllowPeers 1", NULL}, 1, 5000, 3, E}, /* a guest user on loopback */
        {{"AllowPeers local:any", NULL}, 1, 5000, 3, A},
        {{"AllowPeers 1", NULL}, 2, 1023, 3, R},
        {{"AllowPeers local host", NULL}, 1, 1023, 3, A},
        {{"AllowPeers 3", NULL}, 3, 1023, 3, A},
        {{"AllowPeers 5 7", NULL}, 7, 1023, 3, A},
        {{"AllowPeers 5 7", NULL}, 7, 1024, 3, E},
        {{"AllowPeers 5 7", NULL}, 6, 1023, 3, R},
        /* any: every other machine, but never this one unless listed. */
        {{"AllowPeers any", NULL}, 2, 1023, 3, A},
        {{"AllowPeers any", NULL}, 2, 1024, 3, E},
        {{"AllowPeers any", NULL}, 99, 1023, 3, A},
        {{"AllowPeers any:any", NULL}, 99, 70000, 3, A},
        {{"AllowPeers any:any", NULL}, 1, 70000, 3, R},
        {{"AllowPeers any", NULL}, 1, 1023, 3, R},
        {{"AllowPeers any", NULL}, 3, 1023, 3, R},
        {{"AllowPeers any 1", NULL}, 1, 1023, 3, A},
        {{"AllowPeers any:any 2", NULL}, 2, 5000, 3, E}, /* the CID's own entry decides */
        /* Our side is CID 2: we are the host of a nested VM that a process
         * in this guest made (/dev/vhost-vsock); its guest picks any CID.
         * Local, so admitted only when listed explicitly. */
        {{NULL}, 3, 1023, 2, R},
        {{NULL}, 2, 1023, 2, R}, /* loopback to CID 2 without a virtio device */
        {{"AllowPeers any:any", NULL}, 5, 1023, 2, R},
        {{"AllowPeers 5", NULL}, 5, 1023, 2, A},
        {{"AllowPeers 2", NULL}, 2, 1023, 2, A}, /* written by the administrator */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vs_config c;
        struct vs_peer p = {.kind = VS_PEER_VSOCK,
                            .cid = cases[i].cid,
                            .port = cases[i].port,
                            .local_cid = cases[i].local_cid,
                            .local_port = 22};
        const char *why = NULL;
        config_from(&c, cases[i].config);
        enum vs_peer_verdict v = vs_peer_check(&c, &p, &why);
        if (v != cases[i].verdict)
            fail_msg("case %zu: cid %u port %u: got %d, want %d", i, cases[i].cid, cases[i].port, v,
                     cases[i].verdict);
        if (v != A)
            assert_non_null(why);
        /* The refusal the client sees says how to get in. */
        if (v == E && cases[i].cid == 2)
            assert_non_null(strstr(why, "vsock-ssh"));
        if (v == E)
            assert_non_null(strstr(why, ":any"));
        vs_config_free(&c);
    }
}

/* The names Match Peer patterns see. */
static void test_peer_match_names(void **state)
{
    (void)state;
    char buf[VS_MATCH_PEER_NAMES][32];
    const char *names[VS_MATCH_PEER_NAMES];
    struct vs_peer p = {.kind = VS_PEER_VSOCK, .cid = 2, .port = 1023};
    assert_int_equal(vs_peer_match_names(&p, buf, names), 2);
    assert_string_equal(names[0], "2");
    assert_string_equal(names[1], "2:privileged");
    p.port = 1024;
    assert_int_equal(vs_peer_match_names(&p, buf, names), 2);
    assert_string_equal(names[1], "2:unprivileged");
    p = (struct vs_peer){.kind = VS_PEER_UNIX, .uid = 1000};
    assert_int_equal(vs_peer_match_names(&p, buf, names), 1);
    assert_string_equal(names[0], "unix:1000");
}

static void test_peer_unix(void **state)
{
    (void)state;
    struct vs_config c;
    static const char *const none[] = {NULL};
    struct vs_peer p = {.kind = VS_PEER_UNIX, .uid = 1000, .pid = 5};
    char buf[64];
    config_from(&c, none);
    assert_int_equal(vs_peer_check(&c, &p, NULL), VS_PEER_ADMIT);
    vs_peer_name(&p, VS_PEER_FOR_LOG, buf, sizeof(buf));
    assert_string_equal(buf, "unix:uid=1000,pid=5");
    vs_peer_name(&p, VS_PEER_FOR_HOST, buf, sizeof(buf));
    assert_string_equal(buf, "unix:1000");
    p = (struct vs_peer){.kind = VS_PEER_VSOCK, .cid = 2, .port = 1234};
    vs_peer_name(&p, VS_PEER_FOR_LOG, buf, sizeof(buf));
    assert_string_equal(buf, "vsock:2:1234");
    vs_peer_name(&p, VS_PEER_FOR_HOST, buf, sizeof(buf));
    assert_string_equal(buf, "vsock:2");
    vs_peer_name(&p, VS_PEER_FOR_MATCH, buf, sizeof(buf));
    assert_string_equal(buf, "2");
    vs_config_free(&c);
}

/* Which accounts a peer may become: a Unix-socket peer root's or its own,
 * others only through AllowPeers unix:UID or unix:any. */
static void test_peer_may_become(void **state)
{
    (void)state;
    static const struct {
        const char *config[3];
        int kind;
        uid_t peer_uid, target;
        bool ok;
    } cases[] = {
        {{NULL}, VS_PEER_UNIX, 1000, 1000, true},
        {{NULL}, VS_PEER_UNIX, 1000, 0, false}, /* the finding: uid 1000 as root */
        {{NULL}, VS_PEER_UNIX, 1000, 1001, false},
        {{NULL}, VS_PEER_UNIX, 0, 1000, true},
        {{NULL}, VS_PEER_UNIX, (uid_t)-1, 0, false}, /* no credentials */
        {{"AllowPeers unix:1000", NULL}, VS_PEER_UNIX, 1000, 0, true},
        {{"AllowPeers unix:1000", NULL}, VS_PEER_UNIX, 1001, 0, false},
        {{"AllowPeers unix:any", NULL}, VS_PEER_UNIX, 1001, 0, true},
        {{"AllowPeers 2 unix:5", NULL}, VS_PEER_UNIX, 5, 7, true},
        /* A container's account is no peer's own, whatever its uid. */
        {{NULL}, VS_PEER_UNIX, 1000, VS_UID_NOBODYS, false},
        {{NULL}, VS_PEER_UNIX, 0, VS_UID_NOBODYS, true},
        {{"AllowPeers unix:1000", NULL}, VS_PEER_UNIX, 1000, VS_UID_NOBODYS, true},
        {{NULL}, VS_PEER_VSOCK, 0, 0, true}, /* vsock: AllowPeers admitted it whole */
        {{NULL}, VS_PEER_VSOCK, 0, 1000, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vs_config c;
        struct vs_peer p = {.kind = cases[i].kind, .uid = cases[i].peer_uid, .cid = 2};
        const char *why = NULL;
        config_from(&c, cases[i].config);
        bool ok = vs_peer_may_become(&c, &p, cases[i].target, &why);
        if (ok != cases[i].ok)
            fail_msg("case %zu: got %d", i, ok);
        if (!ok)
            assert_non_null(why);
        vs_config_free(&c);
    }
}

struct user_case {
    const char *config[4];
    const char *name;
    uid_t uid;
    bool shell_valid;
    uid_t server_euid;
    bool allowed;
    const char *why_contains;
};

/* Each case's configuration, then vs_user_allowed() on its account. */
static void check_user_cases(const struct user_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct user_case *u = &cases[i];
        struct vs_config c;
        /* "user+container": the container's account user. */
        char name[64];
        snprintf(name, sizeof(name), "%s", u->name);
        char *plus = strchr(name, '+');
        if (plus != NULL)
            *plus = '\0';
        struct vs_user_facts f = {.name = name,
                                  .container = plus != NULL ? plus + 1 : NULL,
                                  .uid = u->uid,
                                  .shell_valid = u->shell_valid,
                                  .server_euid = u->server_euid};
        const char *why = NULL;
        config_from(&c, u->config);
        bool ok = vs_user_allowed(&c, &f, &why);
        if (ok != u->allowed)
            fail_msg("case %zu (%s): got %d", i, u->name, ok);
        if (!ok && strstr(why, u->why_contains) == NULL)
            fail_msg("case %zu: reason '%s'", i, why);
        vs_config_free(&c);
    }
}

static void test_user_table(void **state)
{
    (void)state;
    static const struct user_case cases[] = {
        {{NULL}, "root", 0, true, 0, true, NULL},
        {{NULL}, "alice", 1000, true, 0, true, NULL},
        {{NULL}, "daemon", 1, false, 0, false, "shell"},
        {{"PermitRootLogin no", NULL}, "root", 0, true, 0, false, "PermitRootLogin"},
        {{"PermitRootLogin no", NULL}, "alice", 1000, true, 0, true, NULL},
        {{"AllowUsers alice", NULL}, "alice", 1000, true, 0, true, NULL},
        {{"AllowUsers alice", NULL}, "bob", 1001, true, 0, false, "AllowUsers"},
        {{"AllowUsers al*", NULL}, "alfred", 1002, true, 0, true, NULL},
        {{"AllowUsers a?ice", NULL}, "alice", 1000, true, 0, true, NULL},
        {{"DenyUsers bob", NULL}, "bob", 1001, true, 0, false, "DenyUsers"},
        {{"DenyUsers bob", NULL}, "alice", 1000, true, 0, true, NULL},
        /* DenyUsers wins over AllowUsers. */
        {{"AllowUsers *", "DenyUsers root", NULL}, "root", 0, true, 0, false, "DenyUsers"},
        /* A server that is not root can only be itself. */
        {{NULL}, "alice", 1000, true, 1000, true, NULL},
        {{NULL}, "bob", 1001, true, 1000, false, "not running as root"},
        {{NULL}, "root", 0, true, 1000, false, "not running as root"},
    };
    check_user_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* A container's account: DenyUsers lists it by USER and by USER+CONTAINER
 * (so that DenyUsers root never fails open for root+penguin), AllowUsers
 * only by USER+CONTAINER (AllowUsers alice, written for the guest's alice,
 * admits no container's account of that name). */
static void test_user_container_table(void **state)
{
    (void)state;
    static const struct user_case cases[] = {
        {{NULL}, "root+penguin", 0, true, 0, true, NULL},
        {{"PermitRootLogin no", NULL}, "root+penguin", 0, true, 0, false, "PermitRootLogin"},
        {{"DenyUsers root", NULL}, "root+penguin", 0, true, 0, false, "DenyUsers"},
        {{"DenyUsers *+*", NULL}, "alice+penguin", 1000, true, 0, false, "DenyUsers"},
        {{"DenyUsers *+*", NULL}, "alice", 1000, true, 0, true, NULL},
        {{"DenyUsers *+penguin", NULL}, "alice+puffin", 1000, true, 0, true, NULL},
        {{"DenyUsers *+penguin", NULL}, "alice+penguin", 1000, true, 0, false, "DenyUsers"},
        {{"AllowUsers alice", NULL}, "alice+penguin", 1000, true, 0, false, "AllowUsers"},
        {{"AllowUsers alice", NULL}, "alice", 1000, true, 0, true, NULL},
        {{"AllowUsers alice alice+*", NULL}, "alice+penguin", 1000, true, 0, true, NULL},
        {{"AllowUsers *", NULL}, "bob+penguin", 1001, true, 0, true, NULL},
        {{"AllowUsers alice*", NULL}, "alice+penguin", 1000, true, 0, true, NULL},
        {{"AllowUsers alice+*", NULL}, "bob+penguin", 1001, true, 0, false, "AllowUsers"},
        {{"AllowUsers alice+penguin", NULL}, "alice+penguin", 1000, true, 0, true, NULL},
        {{"AllowUsers alice+penguin", NULL}, "alice+puffin", 1000, true, 0, false, "AllowUsers"},
        {{"AllowUsers alice+penguin", NULL}, "alice", 1000, true, 0, false, "AllowUsers"},
        {{"AllowUsers *+penguin", NULL}, "bob+penguin", 1001, true, 0, true, NULL},
        {{NULL}, "alice+penguin", 1000, false, 0, false, "container's /etc/shells"},
    };
    check_user_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_env(void **state)
{
    (void)state;
    struct vs_config c;
    static const char *const def[] = {NULL};
    static const char *const custom[] = {"AcceptEnv TZ GIT_*", NULL};
    config_from(&c, def);
    assert_true(vs_env_accepted(&c, "LANG"));
    assert_true(vs_env_accepted(&c, "LC_ALL"));
    assert_false(vs_env_accepted(&c, "LD_PRELOAD"));
    assert_false(vs_env_accepted(&c, "PATH"));
    assert_false(vs_env_accepted(&c, "LANGUAGE"));
    assert_false(vs_env_accepted(&c, "LC_X=Y"));
    assert_false(vs_env_accepted(&c, "LC_ ALL"));
    assert_false(vs_env_accepted(&c, ""));
    vs_config_free(&c);
    config_from(&c, custom);
    assert_true(vs_env_accepted(&c, "TZ"));
    assert_true(vs_env_accepted(&c, "GIT_DIR"));
    assert_false(vs_env_accepted(&c, "LANG"));
    assert_false(vs_env_accepted(&c, "1TZ"));
    vs_config_free(&c);
}

/* PermitOpen and PermitListen, as tables: hosts compared as written. */
static void test_permits(void **state)
{
    (void)state;
    struct vs_config c;
    static const char *const none[] = {NULL};
    static const char *const open_list[] = {"PermitOpen localhost:80 [::1]:8080 *:443 db:*", NULL};
    static const char *const open_none[] = {"PermitOpen none", NULL};
    static const char *const listen_list[] = {"PermitListen 8080 localhost:9000", NULL};

    config_from(&c, none);
    assert_true(vs_permit_open_allowed(&c, "anything", 1));
    assert_true(vs_permit_listen_allowed(&c, "", 0));
    vs_config_free(&c);

    config_from(&c, open_list);
    assert_true(vs_permit_open_allowed(&c, "localhost", 80));
    assert_true(vs_permit_open_allowed(&c, "LOCALHOST", 80));
    assert_false(vs_permit_open_allowed(&c, "127.0.0.1", 80)); /* not resolved */
    assert_false(vs_permit_open_allowed(&c, "localhost", 81));
    assert_true(vs_permit_open_allowed(&c, "::1", 8080));
    assert_true(vs_permit_open_allowed(&c, "example.org", 443));
    assert_true(vs_permit_open_allowed(&c, "db", 5432));
    assert_false(vs_permit_open_allowed(&c, "db2", 5432));
    vs_config_free(&c);

    config_from(&c, open_none);
    assert_false(vs_permit_open_allowed(&c, "localhost", 80));
    vs_config_free(&c);

    config_from(&c, listen_list);
    assert_true(vs_permit_listen_allowed(&c, "localhost", 8080));
    assert_true(vs_permit_listen_allowed(&c, "", 8080));
    assert_true(vs_permit_listen_allowed(&c, "localhost", 9000));
    assert_false(vs_permit_listen_allowed(&c, "0.0.0.0", 9000));
    assert_false(vs_permit_listen_allowed(&c, "localhost", 0)); /* port 0 needs * */
    vs_config_free(&c);

    const char *why = NULL;
    assert_true(vs_permit_valid("[fe80::1]:22", false, &why));
    assert_false(vs_permit_valid("22", false, &why));
    assert_true(vs_permit_valid("22", true, &why));
    assert_false(vs_permit_valid("h:x", true, &why));
    assert_non_null(why);
}

/* Which shells get the built-in SFTP server (it bypasses the shell). */
static void test_shell_unrestricted(void **state)
{
    (void)state;
    assert_true(vs_shell_unrestricted("/bin/sh"));
    assert_true(vs_shell_unrestricted("/bin/bash"));
    assert_true(vs_shell_unrestricted("/usr/bin/zsh"));
    assert_true(vs_shell_unrestricted("/bin/dash"));
    assert_false(vs_shell_unrestricted("/bin/rbash"));
    assert_false(vs_shell_unrestricted("/usr/bin/git-shell"));
    assert_false(vs_shell_unrestricted("/usr/bin/scponly"));
    assert_false(vs_shell_unrestricted("/usr/sbin/nologin"));
    assert_false(vs_shell_unrestricted("/bin/bash-restricted"));
    assert_false(vs_shell_unrestricted(""));
}

/* Without PAM: OpenSSH's allowed_user() rules on locked, expired, nologin. */
static void test_account_table(void **state)
{
    (void)state;
    static const struct {
        uid_t uid;
        const char *password;
        long expire, today;
        bool nologin, ok;
        const char *why;
    } cases[] = {
        {1000, "*", -1, 20000, false, true, NULL},
        {1000, NULL, -1, 20000, false, true, NULL}, /* shadow unreadable */
        {1000, "$6$salt$hash", -1, 20000, false, true, NULL},
        {1000, "!", -1, 20000, false, false, "locked"},
        {1000, "!$6$salt$hash", -1, 20000, false, false, "locked"},
        {1000, "*LK*", -1, 20000, false, false, "locked"},
        {0, "!", -1, 20000, false, false, "locked"},
        {1000, "*", 0, 20000, false, false, "expired"}, /* chage -E 0 */
        {1000, "*", 20000, 20000, false, false, "expired"},
        {1000, "*", 20001, 20000, false, true, NULL},
        {1000, "*", -1, 20000, true, false, "nologin"},
        {0, "*", -1, 20000, true, true, NULL}, /* root ignores nologin */
        {0, "*", 5, 20000, true, false, "expired"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vs_account_facts f = {.uid = cases[i].uid,
                                     .password = cases[i].password,
                                     .expire_day = cases[i].expire,
                                     .today = cases[i].today,
                                     .nologin = cases[i].nologin};
        const char *why = NULL;
        bool ok = vs_account_usable(&f, &why);
        if (ok != cases[i].ok)
            fail_msg("case %zu: expected %s", i, cases[i].ok ? "usable" : "refused");
        if (!ok && strstr(why, cases[i].why) == NULL)
            fail_msg("case %zu: reason '%s' lacks '%s'", i, why, cases[i].why);
    }
}

/* The one pattern matcher (AllowUsers, DenyUsers, AcceptEnv, Match):
 * OpenSSH's match_pattern_list over several names and lists. */
static void test_pattern_match(void **state)
{
    (void)state;
    static const struct {
        const char *lists[3];
        const char *names[3];
        bool match;
    } cases[] = {
        {{"alice"}, {"alice"}, true},
        {{"alice"}, {"bob"}, false},
        {{"a*,b?b"}, {"bob"}, true},
        {{"a*", "b?b"}, {"bob"}, true}, /* several lists are one list */
        {{"*,!bob"}, {"bob"}, false},
        {{"*,!bob"}, {"alice"}, true},
        {{"*", "!bob"}, {"bob"}, false},
        {{"!bob", "*"}, {"bob"}, false}, /* wherever the negation stands */
        {{"!bob"}, {"alice"}, false},    /* negations alone match nothing */
        {{"!bob"}, {"bob"}, false},
        {{"staff,!untrusted"}, {"users", "staff", "untrusted"}, false},
        {{"staff,!untrusted"}, {"users", "staff"}, true},
        {{"*"}, {NULL}, false},   /* no names: nothing to match */
        {{",,a,,"}, {"a"}, true}, /* empty items skipped */
        {{""}, {"a"}, false},
        {{"!"}, {"a"}, false},
        {{"[ab]c"}, {"bc"}, true}, /* fnmatch(3) globs */
        {{"a,b"}, {"a,b"}, false}, /* ',' separates, it never matches */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned nl = 0, nn = 0;
        while (nl < 3 && cases[i].lists[nl] != NULL)
            nl++;
        while (nn < 3 && cases[i].names[nn] != NULL)
            nn++;
        bool m = vs_pattern_match((char *const *)cases[i].lists, nl, cases[i].names, nn);
        if (m != cases[i].match)
            fail_msg("case %zu: got %d", i, m);
    }
}

/* AllowUsers, DenyUsers and AcceptEnv take one glob per word, as in
 * OpenSSH: a word starting with "!" or holding a comma is a configuration
 * error.  Read as a pattern list, "DenyUsers * !root" admitted root. */
static void test_user_lists_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "DenyUsers * !root",    "DenyUsers alice !a*", "DenyUsers *,!root",
        "AllowUsers alice,bob", "AllowUsers * !guest", "AcceptEnv LC_* !LC_SECRET*",
        "AcceptEnv LANG,LC_*",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vs_config c;
        char err[512] = "";
        vs_config_init(&c);
        int r = vs_config_apply_line(&c, bad[i], VS_SRC_FILE, "test", 1, err, sizeof(err));
        if (r != -EINVAL || strstr(err, "without '!' or commas") == NULL)
            fail_msg("'%s': got %d '%s'", bad[i], r, err);
        vs_config_free(&c);
    }
    /* One glob per word still works, as before. */
    static const struct user_case cases[] = {
        {{"DenyUsers adm* root", NULL}, "root", 0, true, 0, false, "DenyUsers"},
        {{"DenyUsers adm* root", NULL}, "admin", 1000, true, 0, false, "DenyUsers"},
        {{"DenyUsers adm* root", NULL}, "alice", 1000, true, 0, true, NULL},
        {{"AllowUsers alice b?b", NULL}, "bob", 1001, true, 0, true, NULL},
        {{"AllowUsers alice b?b", NULL}, "carol", 1002, true, 0, false, "AllowUsers"},
    };
    check_user_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_peer_table),
                                       cmocka_unit_test(test_peer_match_names),
                                       cmocka_unit_test(test_peer_unix),
                                       cmocka_unit_test(test_peer_may_become),
                                       cmocka_unit_test(test_shell_unrestricted),
                                       cmocka_unit_test(test_user_table),
                                       cmocka_unit_test(test_user_container_table),
                                       cmocka_unit_test(test_env),
                                       cmocka_unit_test(test_permits),
                                       cmocka_unit_test(test_account_table),
                                       cmocka_unit_test(test_pattern_match),
                                       cmocka_unit_test(test_user_lists_refused)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
