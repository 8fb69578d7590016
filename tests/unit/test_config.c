#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "pattern.h"
#include "policy.h"

static int apply(struct vs_config *c, const char *line, enum vs_config_source src, char *err)
{
    return vs_config_apply_line(c, line, src, "test", 7, err, 256);
}

static void test_defaults(void **state)
{
    (void)state;
    struct vs_config c;
    vs_config_init(&c);
    vs_config_finish(&c);
    assert_int_equal(c.n_listen, 1);
    assert_int_equal(c.listen[0].kind, VS_LISTEN_VSOCK);
    assert_int_equal(c.listen[0].port, 22);
    assert_int_equal(c.listen[0].cid, VS_VMADDR_CID_ANY);
    assert_string_equal(c.hostkeys[0], VS_DEFAULT_HOSTKEY_PATH);
    assert_int_equal(c.permit_root_login, 1);
    assert_int_equal(c.n_allow_peers, 1);
    assert_int_equal(c.allow_peers[0].cid, 2);
    assert_false(c.allow_peers[0].any_port); /* privileged host processes only */
    assert_false(c.allow_peers_any);
    assert_int_equal(c.n_accept_env, 2);
    assert_string_equal(c.accept_env[0], "LANG");
    assert_string_equal(c.accept_env[1], "LC_*");
    assert_true(c.max_sessions >= 10);
    assert_true(c.max_startups >= 50);
    assert_int_equal(c.login_grace_time, 120);
    assert_int_equal(c.log_level, VS_LOG_INFO);
    /* Forwarding works out of the box, as with OpenSSH, within limits. */
    assert_int_equal(c.allow_tcp_forwarding, VS_FWD_ALL);
    assert_int_equal(c.allow_streamlocal_forwarding, VS_FWD_ALL);
    assert_int_equal(c.allow_agent_forwarding, 1);
    assert_int_equal(c.gateway_ports, VS_GW_NO);
    assert_int_equal(c.n_permit_open, 0);
    assert_int_equal(c.n_permit_listen, 0);
    assert_true(c.max_forwards > 0 && c.max_forward_channels > 0);
    assert_int_equal(c.client_alive_interval, 0);
    assert_int_equal(c.client_alive_count_max, 3);
    vs_config_free(&c);
}

/* Every line here must be accepted. */
static void test_good_lines(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "",
        "   ",
        "# comment",
        "  # indented comment",
        "Listen vsock:22",
        "listen=unix:/run/x.sock",
        "Listen = vsock:3:2222 unix:/tmp/a",
        "HostKey /etc/k",
        "AllowUsers alice bob*",
        "DenyUsers mallory",
        "PermitRootLogin no",
        "AllowPeers 2 3 host local",
        "AcceptEnv LANG LC_* TZ",
        "Subsystem sftp /usr/lib/openssh/sftp-server -l INFO",
        "MaxSessions 0",
        "MaxStartups 200",
        "LoginGraceTime 1m30s",
        "LogLevel debug3",
        "PidFile none",
        "PidFile /run/vsock-sshd.pid\n",
        "  LogLevel\tVERBOSE  \n",
        "AllowTcpForwarding local",
        "AllowTcpForwarding all",
        "AllowStreamLocalForwarding no",
        "AllowAgentForwarding no",
        "GatewayPorts clientspecified",
        "PermitOpen localhost:80 [::1]:8080 *:443 db:*",
        "PermitOpen any",
        "PermitOpen none",
        "PermitListen 8080 localhost:9000 *:*",
        "MaxForwards 0",
        "MaxForwardChannels 1000",
        "ClientAliveInterval 1m",
        "ClientAliveCountMax 0",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct vs_config c;
        char err[256] = "";
        vs_config_init(&c);
        int r = apply(&c, lines[i], VS_SRC_FILE, err);
        if (r != 0)
            fail_msg("'%s' rejected: %s", lines[i], err);
        vs_config_free(&c);
    }
}

struct bad_case {
    const char *line;
    const char *expect_in_error;
};

/* Every line here must be refused with an error naming the origin and line. */
static void test_bad_lines(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"Bogus yes", "unknown keyword 'Bogus'"},
        {"Listen", "missing argument"},
        {"Listen tcp:22", "expected vsock:PORT"},
        {"Listen vsock:", "bad vsock port"},
        {"Listen vsock:99999999999", "bad vsock port"},
        {"Listen vsock:4294967295", "bad vsock port"},
        {"Listen vsock:x:22", "bad vsock CID"},
        {"Listen unix:relative/path", "absolute"},
        {"PermitRootLogin prohibit-password", "expected yes or no"},
        {"PermitRootLogin maybe", "expected yes or no"},
        {"AllowPeers 2 three", "expected a CID"},
        {"AllowPeers -1", "expected a CID"},
        {"AllowUsers alice@host", "not supported"},
        {"Subsystem sftp", "expected a name and a command"},
        {"Subsystem sftp internal -l INFO", "internal takes no arguments"},
        {"Subsystem sftp internal-sftp -u 022", "internal-sftp takes no arguments"},
        {"MaxSessions -1", "whole number"},
        {"MaxSessions 100000", "whole number"},
        {"MaxSessions ten", "whole number"},
        {"MaxStartups 0", "whole number"},
        {"MaxStartups 10:30:100", "not supported"},
        {"LoginGraceTime soon", "expected a time"},
        {"LoginGraceTime 2d", "expected a time"},
        {"LoginGraceTime 99999999", "expected a time"},
        {"LogLevel LOUD", "expected QUIET"},
        {"PidFile relative", "absolute path"},
        {"AcceptEnv \"LANG", "bad quoting"},
        {"Match Host bob", "Match: unknown criterion 'Host'"},
        {"AllowTcpForwarding maybe", "expected yes, all, no, local or remote"},
        {"AllowStreamLocalForwarding 1", "expected yes, all, no, local or remote"},
        {"AllowAgentForwarding sometimes", "expected yes or no"},
        {"GatewayPorts always", "expected yes, no or clientspecified"},
        {"PermitOpen localhost", "expected host:port"},
        {"PermitOpen localhost:http", "port must be a number"},
        {"PermitOpen localhost:65536", "port must be a number"},
        {"PermitOpen ::1:80", "brackets"},
        {"PermitOpen [::1]80", "expected [address]:port"},
        {"PermitOpen :80", "expected host:port"},
        {"PermitListen host:", "expected host:port"},
        {"MaxForwards 99999", "whole number"},
        {"MaxForwardChannels -3", "whole number"},
        {"ClientAliveInterval soon", "expected a time"},
        {"ClientAliveCountMax lots", "whole number"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vs_config c;
        char err[256] = "";
        vs_config_init(&c);
        int r = apply(&c, cases[i].line, VS_SRC_FILE, err);
        if (r != -EINVAL)
            fail_msg("'%s' accepted (r=%d)", cases[i].line, r);
        if (strstr(err, cases[i].expect_in_error) == NULL || strstr(err, "test line 7:") != err)
            fail_msg("'%s': unexpected error '%s'", cases[i].line, err);
        vs_config_free(&c);
    }
}

static void test_long_line(void **state)
{
    (void)state;
    struct vs_config c;
    char err[256];
    char *line = malloc(VS_CONFIG_MAX_LINE + 10);
    memset(line, 'a', VS_CONFIG_MAX_LINE + 9);
    line[VS_CONFIG_MAX_LINE + 9] = '\0';
    vs_config_init(&c);
    assert_int_equal(apply(&c, line, VS_SRC_FILE, err), -EINVAL);
    assert_non_null(strstr(err, "too long"));
    free(line);
    vs_config_free(&c);
}

static void test_limits(void **state)
{
    (void)state;
    struct vs_config c;
    char err[256];
    char line[8192] = "AllowPeers";
    for (int i = 0; i <= VS_MAX_PEERS; i++)
        snprintf(line + strlen(line), sizeof(line) - strlen(line), " %d", i + 3);
    vs_config_init(&c);
    assert_int_equal(apply(&c, line, VS_SRC_FILE, err), -EINVAL);
    assert_non_null(strstr(err, "too many"));
    vs_config_free(&c);

    vs_config_init(&c);
    for (int i = 0; i < VS_MAX_LISTEN; i++) {
        snprintf(line, sizeof(line), "Listen vsock:%d", 1000 + i);
        assert_int_equal(apply(&c, line, VS_SRC_FILE, err), 0);
    }
    assert_int_equal(apply(&c, "Listen vsock:1", VS_SRC_FILE, err), -EINVAL);
    assert_non_null(strstr(err, "too many"));
    vs_config_free(&c);
}

/* The command line comes first and wins: single values and whole lists. */
static void test_precedence(void **state)
{
    (void)state;
    struct vs_config c;
    char err[256];
    vs_config_init(&c);
    assert_int_equal(apply(&c, "MaxSessions 3", VS_SRC_CMDLINE, err), 0);
    assert_int_equal(apply(&c, "Listen unix:/a", VS_SRC_CMDLINE, err), 0);
    assert_int_equal(apply(&c, "MaxSessions 5", VS_SRC_FILE, err), 0);
    assert_int_equal(apply(&c, "Listen vsock:22", VS_SRC_FILE, err), 0);
    assert_int_equal(apply(&c, "AllowUsers a", VS_SRC_FILE, err), 0);
    assert_int_equal(apply(&c, "AllowUsers b c", VS_SRC_FILE, err), 0);
    assert_int_equal(apply(&c, "Subsystem x /bin/one", VS_SRC_FILE, err), 0);
    assert_int_equal(apply(&c, "Subsystem x /bin/two", VS_SRC_FILE, err), 0);
    vs_config_finish(&c);
    assert_int_equal(c.max_sessions, 3);
    assert_int_equal(c.n_listen, 1);
    assert_int_equal(c.listen[0].kind, VS_LISTEN_UNIX);
    assert_int_equal(c.n_allow_users, 3);
    assert_string_equal(vs_config_subsystem(&c, "x"), "/bin/one");
    /* sftp is the built-in server unless configured otherwise. */
    assert_string_equal(vs_config_subsystem(&c, "sftp"), VS_SUBSYSTEM_INTERNAL);
    assert_true(vs_subsystem_is_internal(vs_config_subsystem(&c, "sftp")));
    assert_false(vs_subsystem_is_internal("/bin/one"));
    assert_true(vs_subsystem_is_internal("internal-sftp"));
    vs_config_free(&c);
}

static void test_allow_peers_any(void **state)
{
    (void)state;
    struct vs_config c;
    char err[256];
    vs_config_init(&c);
    assert_int_equal(apply(&c, "AllowPeers any", VS_SRC_FILE, err), 0);
    vs_config_finish(&c);
    assert_true(c.allow_peers_any);
    assert_false(c.allow_peers_any_port);
    assert_int_equal(c.n_allow_peers, 0);
    vs_config_free(&c);

    /* CID:any admits any source port; the forms of each CID. */
    vs_config_init(&c);
    assert_int_equal(apply(&c, "AllowPeers host:any 5 local:ANY any:any", VS_SRC_FILE, err), 0);
    assert_int_equal(c.n_allow_peers, 3);
    assert_int_equal(c.allow_peers[0].cid, 2);
    assert_true(c.allow_peers[0].any_port);
    assert_int_equal(c.allow_peers[1].cid, 5);
    assert_false(c.allow_peers[1].any_port);
    assert_int_equal(c.allow_peers[2].cid, 1);
    assert_true(c.allow_peers[2].any_port);
    assert_true(c.allow_peers_any);
    assert_true(c.allow_peers_any_port);
    vs_config_free(&c);
    static const char *const bad[] = {"AllowPeers 2:", "AllowPeers 2:22", "AllowPeers host:all",
                                      "AllowPeers :any", "AllowPeers 2:any:any"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vs_config_init(&c);
        assert_int_equal(apply(&c, bad[i], VS_SRC_FILE, err), -EINVAL);
        assert_non_null(strstr(err, ":any"));
        vs_config_free(&c);
    }
}

static void test_file(void **state)
{
    (void)state;
    char path[] = "/tmp/vs-config-XXXXXX";
    int fd = mkstemp(path);
    struct vs_config c;
    char err[256];
    FILE *f = fdopen(fd, "w");
    fputs("# test\nListen unix:/tmp/s\n\nLogLevel VERBOSE\nNoSuchThing 1\n", f);
    fclose(f);
    vs_config_init(&c);
    assert_int_equal(vs_config_load_file(&c, path, err, sizeof(err)), -EINVAL);
    char expect[300];
    snprintf(expect, sizeof(expect), "%s line 5: unknown keyword 'NoSuchThing'", path);
    assert_string_equal(err, expect);
    vs_config_free(&c);
    vs_config_init(&c);
    unlink(path);
    assert_int_equal(vs_config_load_file(&c, path, err, sizeof(err)), -ENOENT);
    vs_config_free(&c);
}

static void test_dump_roundtrip(void **state)
{
    (void)state;
    struct vs_config c, d;
    char err[256];
    char *buf = NULL;
    size_t len = 0;
    vs_config_init(&c);
    assert_int_equal(apply(&c, "Listen vsock:3:99 unix:/x", VS_SRC_FILE, err), 0);
    assert_int_equal(apply(&c, "Subsystem sftp internal", VS_SRC_FILE, err), 0);
    assert_int_equal(apply(&c, "AllowTcpForwarding remote", VS_SRC_FILE, err), 0);
    assert_int_equal(apply(&c, "PermitOpen [::1]:80 h:*", VS_SRC_FILE, err), 0);
    assert_int_equal(apply(&c, "GatewayPorts clientspecified", VS_SRC_FILE, err), 0);
    vs_config_finish(&c);
    FILE *f = open_memstream(&buf, &len);
    vs_config_dump(&c, f);
    fclose(f);
    /* What -T prints must be a valid configuration giving the same dump. */
    vs_config_init(&d);
    unsigned n = 0;
    for (char *save, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        assert_int_equal(vs_config_apply_line(&d, line, VS_SRC_FILE, "dump", ++n, err, 256), 0);
    vs_config_finish(&d);
    assert_int_equal(d.n_listen, 2);
    assert_int_equal(d.listen[0].cid, 3);
    assert_int_equal(d.listen[0].port, 99);
    assert_string_equal(vs_config_subsystem(&d, "sftp"), "internal");
    assert_int_equal(d.allow_tcp_forwarding, VS_FWD_REMOTE);
    assert_int_equal(d.n_permit_open, 2);
    assert_string_equal(d.permit_open[0], "[::1]:80");
    assert_int_equal(d.gateway_ports, VS_GW_CLIENTSPECIFIED);
    assert_int_equal(d.max_forwards, c.max_forwards);
    free(buf);
    vs_config_free(&c);
    vs_config_free(&d);
}

/* A context for the Match tables: groups and peer names given as lists. */
struct mctx {
    const char *user;
    const char *groups[4];
    const char *peers[2];
};

static struct vs_config matched_for(const struct vs_config *c, const struct mctx *m,
                                    struct vs_config *vals)
{
    struct vs_match_ctx ctx = {.users = {m->user}, .n_users = 1};
    while (ctx.n_groups < 4 && m->groups[ctx.n_groups] != NULL)
        ctx.n_groups++;
    ctx.groups = (char **)m->groups;
    while (ctx.n_peers < 2 && m->peers[ctx.n_peers] != NULL) {
        ctx.peers[ctx.n_peers] = m->peers[ctx.n_peers];
        ctx.n_peers++;
    }
    struct vs_config out;
    assert_int_equal(vs_config_match(c, &ctx, &out, vals), 0);
    return out;
}

static void config_lines(struct vs_config *c, const char *const *lines, size_t n)
{
    char err[256];
    vs_config_init(c);
    for (unsigned i = 0; i < n; i++)
        if (vs_config_apply_line(c, lines[i], VS_SRC_FILE, "f", i + 1, err, 256) != 0)
            fail_msg("line %u: %s", i + 1, err);
    vs_config_finish(c);
}

/* The second review's Match findings: lists add up across blocks (2),
 * negated groups (4); and what Match Peer sees of a vsock peer's port. */
static void test_match_review(void **state)
{
    (void)state;
    struct vs_config c, vals, m;

    /* 2: the first block that sets a list keyword wins; later blocks do not
     * add to it.  Within one block, lines add up as in the global part. */
    static const char *const lists[] = {
        "Match User alice",
        "PermitOpen 127.0.0.1:5432",
        "PermitOpen 127.0.0.1:5433",
        "AllowUsers alice",
        "Match All",
        "PermitOpen any",
        "PermitListen 8080",
        "AllowUsers bob",
    };
    config_lines(&c, lists, sizeof(lists) / sizeof(lists[0]));
    m = matched_for(&c, &(struct mctx){"alice", {"users"}, {"2"}}, &vals);
    assert_int_equal(m.n_permit_open, 2);
    assert_string_equal(m.permit_open[0], "127.0.0.1:5432");
    assert_string_equal(m.permit_open[1], "127.0.0.1:5433");
    assert_false(vs_permit_open_allowed(&m, "127.0.0.1", 7777));
    assert_int_equal(m.n_allow_users, 1);
    assert_string_equal(m.allow_users[0], "alice");
    assert_int_equal(m.n_permit_listen, 1); /* only Match All sets it */
    vs_config_free(&vals);
    m = matched_for(&c, &(struct mctx){"carol", {"users"}, {"2"}}, &vals);
    assert_int_equal(m.n_permit_open, 1);
    assert_string_equal(m.permit_open[0], "any");
    vs_config_free(&vals);
    vs_config_free(&c);

    /* 4: a negated group that is any of the user's groups fails the
     * criterion, wherever it stands among them (OpenSSH's rule). */
    static const char *const groups[] = {"Match Group staff,!untrusted", "ForceCommand /bin/ok"};
    config_lines(&c, groups, 2);
    static const struct {
        struct mctx ctx;
        bool applies;
    } gcases[] = {
        {{"u", {"staff"}, {"2"}}, true},
        {{"u", {"staff", "untrusted"}, {"2"}}, false},
        {{"u", {"untrusted", "staff"}, {"2"}}, false},
        {{"u", {"users", "staff", "untrusted", "x"}, {"2"}}, false},
        {{"u", {"users"}, {"2"}}, false},
        {{"u", {"untrusted"}, {"2"}}, false},
    };
    for (size_t i = 0; i < sizeof(gcases) / sizeof(gcases[0]); i++) {
        m = matched_for(&c, &gcases[i].ctx, &vals);
        if ((m.force_command != NULL) != gcases[i].applies)
            fail_msg("group case %zu: applies %d", i, m.force_command != NULL);
        vs_config_free(&vals);
    }
    vs_config_free(&c);

    /* Peer: a CID pattern covers every port of that peer; CID:privileged
     * and CID:unprivileged tell them apart; who may log in is Match-able. */
    static const char *const peers[] = {
        "Match Peer 2:unprivileged",  "PermitRootLogin no",
        "DenyUsers admin*",           "Match Peer 2",
        "ForceCommand internal-sftp", "PermitRootLogin yes",
        "Match Peer *:privileged",    "PermitTTY no",
    };
    config_lines(&c, peers, sizeof(peers) / sizeof(peers[0]));
    static const struct {
        struct mctx ctx;
        int root, tty;
        unsigned n_deny;
    } pcases[] = {
        {{"u", {"g"}, {"2", "2:unprivileged"}}, 0, 1, 1},
        {{"u", {"g"}, {"2", "2:privileged"}}, 1, 0, 0},
        {{"u", {"g"}, {"1", "1:privileged"}}, 1, 0, 0},
        {{"u", {"g"}, {"unix:0"}}, 1, 1, 0},
    };
    for (size_t i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
        m = matched_for(&c, &pcases[i].ctx, &vals);
        if (m.permit_root_login != pcases[i].root || m.permit_tty != pcases[i].tty ||
            m.n_deny_users != pcases[i].n_deny)
            fail_msg("peer case %zu: root %d tty %d deny %u", i, m.permit_root_login, m.permit_tty,
                     m.n_deny_users);
        /* Match Peer 2 covers both kinds of host peer. */
        bool host = strcmp(pcases[i].ctx.peers[0], "2") == 0;
        if ((m.force_command != NULL) != host)
            fail_msg("peer case %zu: ForceCommand %s", i, m.force_command);
        vs_config_free(&vals);
    }
    vs_config_free(&c);
}

/* Match: criteria, negation, first value wins, only what a block may set. */
static void test_match(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "AllowTcpForwarding yes",
        "Match User alice,bob,!bob",
        "ForceCommand internal-sftp",
        "PermitTTY no",
        "Match Group staff Peer 2,unix:*",
        "ForceCommand /bin/true",
        "AllowTcpForwarding local",
        "PermitOpen localhost:80",
        "Match All",
        "AllowAgentForwarding no",
    };
    struct vs_config c;
    char err[256];
    vs_config_init(&c);
    for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        assert_int_equal(vs_config_apply_line(&c, lines[i], VS_SRC_FILE, "f", i + 1, err, 256), 0);
    vs_config_finish(&c);
    assert_int_equal(c.n_matches, 3);
    assert_null(c.force_command); /* in blocks only */

    static const struct {
        const char *user, *group, *peer;
        const char *force;
        int tty, tcp, agent;
        unsigned n_open;
    } cases[] = {
        {"alice", "users", "2", "internal-sftp", 0, VS_FWD_ALL, 0, 0},
        {"bob", "users", "2", NULL, 1, VS_FWD_ALL, 0, 0}, /* !bob */
        {"carol", "staff", "2", "/bin/true", 1, VS_FWD_LOCAL, 0, 1},
        {"carol", "staff", "3", NULL, 1, VS_FWD_ALL, 0, 0}, /* Peer 2 only */
        {"carol", "staff", "unix:1000", "/bin/true", 1, VS_FWD_LOCAL, 0, 1},
        {"alice", "staff", "2", "internal-sftp", 0, VS_FWD_LOCAL, 0, 1}, /* first wins */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *groups[] = {(char *)cases[i].group};
        struct vs_match_ctx ctx = {.users = {cases[i].user},
                                   .n_users = 1,
                                   .groups = groups,
                                   .n_groups = 1,
                                   .peers = {cases[i].peer},
                                   .n_peers = 1};
        struct vs_config m, vals;
        assert_int_equal(vs_config_match(&c, &ctx, &m, &vals), 0);
        if (cases[i].force == NULL)
            assert_null(m.force_command);
        else
            assert_string_equal(m.force_command, cases[i].force);
        assert_int_equal(m.permit_tty, cases[i].tty);
        assert_int_equal(m.allow_tcp_forwarding, cases[i].tcp);
        assert_int_equal(m.allow_agent_forwarding, cases[i].agent);
        assert_int_equal(m.n_permit_open, cases[i].n_open);
        vs_config_free(&vals);
    }
    vs_config_free(&c);

    /* Refusals: criteria, keywords, -o. */
    vs_config_init(&c);
    assert_int_equal(apply(&c, "Match Host x", VS_SRC_FILE, err), -EINVAL);
    assert_int_equal(apply(&c, "Match User", VS_SRC_FILE, err), -EINVAL);
    assert_int_equal(apply(&c, "Match User a User b", VS_SRC_FILE, err), -EINVAL);
    assert_int_equal(apply(&c, "Match User a", VS_SRC_CMDLINE, err), -EINVAL);
    assert_int_equal(apply(&c, "Match User a", VS_SRC_FILE, err), 0);
    assert_int_equal(apply(&c, "MaxSessions 3", VS_SRC_FILE, err), -EINVAL);
    assert_non_null(strstr(err, "not allowed in a Match block"));
    assert_int_equal(apply(&c, "ChrootDirectory relative", VS_SRC_FILE, err), -EINVAL);
    assert_int_equal(apply(&c, "ChrootDirectory %h", VS_SRC_FILE, err), 0);
    vs_config_free(&c);
}

/* UsePAM: yes where built with PAM, refused "yes" otherwise; no always. */
static void test_use_pam(void **state)
{
    (void)state;
    struct vs_config c;
    char err[256];

    vs_config_init(&c);
    vs_config_finish(&c);
    assert_int_equal(c.use_pam, VS_PAM_DEFAULT);
    vs_config_free(&c);

    vs_config_init(&c);
    assert_int_equal(vs_config_apply_line(&c, "UsePAM no", VS_SRC_FILE, "f", 1, err, 256), 0);
    assert_int_equal(vs_config_apply_line(&c, "UsePAM yes", VS_SRC_FILE, "f", 2, err, 256),
                     VS_PAM_DEFAULT ? 0 : -EINVAL);
    vs_config_finish(&c);
    assert_int_equal(c.use_pam, 0); /* the first value wins */
    vs_config_free(&c);

    vs_config_init(&c);
    assert_int_equal(vs_config_apply_line(&c, "UsePAM maybe", VS_SRC_FILE, "f", 3, err, 256),
                     -EINVAL);
    assert_non_null(strstr(err, "expected yes or no"));
#ifndef VS_HAVE_PAM
    assert_int_equal(vs_config_apply_line(&c, "UsePAM yes", VS_SRC_FILE, "f", 4, err, 256),
                     -EINVAL);
    assert_non_null(strstr(err, "built without PAM"));
#endif
    vs_config_free(&c);
}

/* -T's format and order, defaults included, as scripts read it. */
static void test_dump_defaults(void **state)
{
    (void)state;
    struct vs_config c;
    char *buf = NULL;
    size_t len = 0;
    vs_config_init(&c);
    vs_config_finish(&c);
    FILE *f = open_memstream(&buf, &len);
    vs_config_dump(&c, f);
    fclose(f);
    char want[4096];
    snprintf(want, sizeof(want),
             "listen vsock:22\n"
             "hostkey " VS_DEFAULT_HOSTKEY_PATH "\n"
             "permitrootlogin yes\n"
             "allowpeers 2\n"
             "# allowpeers: a CID without :any admits only privileged processes of that peer "
             "(a vsock source port <= 1023)\n"
             "acceptenv LANG LC_*\n"
             "subsystem sftp internal\n"
             "maxsessions 10\n"
             "maxstartups 100\n"
             "allowtcpforwarding yes\n"
             "allowstreamlocalforwarding yes\n"
             "# allowstreamlocalforwarding has no effect: Unix-socket forwarding is refused "
             "whatever it says (libssh does not pass those requests' arguments to servers)\n"
             "allowagentforwarding yes\n"
             "gatewayports no\n"
             "permitopen any\n"
             "permitlisten any\n"
             "maxforwards 16\n"
             "maxforwardchannels 64\n"
             "clientaliveinterval 0\n"
             "clientalivecountmax 3\n"
             "logingracetime 120\n"
             "loglevel INFO\n"
             "pidfile none\n"
             "permittty yes\n"
             "usepam %s\n"
             "containerruntimes nspawn podman lxc\n"
             "forcecommand none\n"
             "chrootdirectory none\n",
             VS_PAM_DEFAULT ? "yes" : "no");
    assert_string_equal(buf, want);
    free(buf);
    vs_config_free(&c);
}

/* Which keywords a Match block may set, and that each of them, set by a
 * matching block, is what the connection gets (-T -C shows it). */
static void test_match_keywords(void **state)
{
    (void)state;
    static const struct {
        const char *line, *dumped; /* dumped: the -T line the block gives */
        bool allowed;
    } cases[] = {
        {"AllowUsers al*", "allowusers al*", true},
        {"DenyUsers bob", "denyusers bob", true},
        {"PermitRootLogin no", "permitrootlogin no", true},
        {"ForceCommand /bin/x y", "forcecommand /bin/x y", true},
        {"PermitTTY no", "permittty no", true},
        {"ChrootDirectory /srv", "chrootdirectory /srv", true},
        {"AllowTcpForwarding remote", "allowtcpforwarding remote", true},
        {"AllowAgentForwarding no", "allowagentforwarding no", true},
        {"PermitOpen h:1 h:2", "permitopen h:1 h:2", true},
        {"PermitListen 8080", "permitlisten 8080", true},
        {"GatewayPorts clientspecified", "gatewayports clientspecified", true},
        {"Listen vsock:1", NULL, false},
        {"HostKey /k", NULL, false},
        {"AllowPeers 3", NULL, false},
        {"AcceptEnv X", NULL, false},
        {"Subsystem x /bin/x", NULL, false},
        {"MaxSessions 3", NULL, false},
        {"MaxStartups 3", NULL, false},
        {"AllowStreamLocalForwarding no", NULL, false},
        {"MaxForwards 1", NULL, false},
        {"MaxForwardChannels 1", NULL, false},
        {"ClientAliveInterval 1", NULL, false},
        {"ClientAliveCountMax 1", NULL, false},
        {"LoginGraceTime 1", NULL, false},
        {"LogLevel ERROR", NULL, false},
        {"PidFile /p", NULL, false},
        {"UsePAM no", NULL, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vs_config c, m, vals;
        char err[256] = "";
        vs_config_init(&c);
        assert_int_equal(apply(&c, "Match All", VS_SRC_FILE, err), 0);
        int r = apply(&c, cases[i].line, VS_SRC_FILE, err);
        if (!cases[i].allowed) {
            if (r != -EINVAL || strstr(err, "is not allowed in a Match block") == NULL)
                fail_msg("'%s' in a block: %d %s", cases[i].line, r, err);
            vs_config_free(&c);
            continue;
        }
        if (r != 0)
            fail_msg("'%s' in a block: %s", cases[i].line, err);
        vs_config_finish(&c);
        struct vs_match_ctx ctx = {.users = {"u"}, .n_users = 1};
        assert_int_equal(vs_config_match(&c, &ctx, &m, &vals), 0);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        vs_config_dump(&m, f);
        fclose(f);
        char want[128];
        snprintf(want, sizeof(want), "\n%s\n", cases[i].dumped);
        if (strstr(buf, want) == NULL)
            fail_msg("'%s' in a block: -T -C lacks '%s'", cases[i].line, cases[i].dumped);
        free(buf);
        vs_config_free(&vals);
        vs_config_free(&c);
    }
}

/* Match Container, and User against a container's account, whose name for
 * it is USER+CONTAINER only; a guest login matches no Container criterion;
 * a Group criterion decides a container's login only with a Container one
 * (its root makes up the groups). */
static void test_match_container(void **state)
{
    (void)state;
    struct vs_config c;
    char err[256];
    static const char *const lines[] = {
        "Match Container penguin User root+*",
        "PermitTTY no",
        "Match Container pen*,!penguin",
        "ForceCommand /bin/true",
        "Match User *+puffin",
        "AllowTcpForwarding no",
        "Match User alice",
        "AllowAgentForwarding no",
        "Match Group crew Container puffin",
        "PermitListen none",
    };
    vs_config_init(&c);
    for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        assert_int_equal(vs_config_apply_line(&c, lines[i], VS_SRC_FILE, "f", i + 1, err, 256), 0);
    vs_config_finish(&c);
    static const struct {
        const char *user, *container;
        int tty;
        const char *force;
        int tcp, agent;
        unsigned n_open, n_listen;
    } cases[] = {
        {"root", NULL, 1, NULL, VS_FWD_ALL, 1, 0, 0},
        {"root", "penguin", 0, NULL, VS_FWD_ALL, 1, 0, 0},
        {"root", "pengo", 1, "/bin/true", VS_FWD_ALL, 1, 0, 0},
        {"alice", "puffin", 1, NULL, VS_FWD_NONE, 1, 0, 1}, /* Group crew Container puffin */
        {"alice", NULL, 1, NULL, VS_FWD_ALL, 0, 0, 0},
        {"alice", "penguin", 1, NULL, VS_FWD_ALL, 1, 0, 0}, /* not the guest's alice */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char login[64];
        snprintf(login, sizeof(login), "%s+%s", cases[i].user,
                 cases[i].container ? cases[i].container : "");
        char *groups[] = {"crew"};
        struct vs_match_ctx ctx = {.users = {cases[i].container ? login : cases[i].user},
                                   .n_users = 1,
                                   .container = cases[i].container,
                                   .groups = groups,
                                   .n_groups = 1,
                                   .peers = {"2"},
                                   .n_peers = 1};
        struct vs_config m, vals;
        assert_int_equal(vs_config_match(&c, &ctx, &m, &vals), 0);
        if (m.permit_tty != cases[i].tty || m.allow_tcp_forwarding != cases[i].tcp ||
            m.allow_agent_forwarding != cases[i].agent || m.n_permit_open != cases[i].n_open ||
            m.n_permit_listen != cases[i].n_listen ||
            (cases[i].force == NULL) != (m.force_command == NULL) ||
            (cases[i].force != NULL && strcmp(cases[i].force, m.force_command) != 0))
            fail_msg("case %zu (%s): tty %d tcp %d agent %d open %u listen %u force %s", i, login,
                     m.permit_tty, m.allow_tcp_forwarding, m.allow_agent_forwarding,
                     m.n_permit_open, m.n_permit_listen, m.force_command ? m.force_command : "-");
        vs_config_free(&vals);
    }
    /* A Group criterion without a Container one: container logins are
     * refused (conn.c), since the block can neither be trusted nor
     * skipped. */
    assert_false(vs_config_group_without_container(&c));
    assert_int_equal(
        vs_config_apply_line(&c, "Match Group *,!crew", VS_SRC_FILE, "f", 99, err, 256), 0);
    assert_true(vs_config_group_without_container(&c));
    vs_config_free(&c);
    /* ContainerRuntimes: known names, or none alone. */
    vs_config_init(&c);
    assert_int_equal(
        vs_config_apply_line(&c, "ContainerRuntimes podman lxc", VS_SRC_FILE, "f", 1, err, 256), 0);
    vs_config_free(&c);
    vs_config_init(&c);
    assert_int_equal(
        vs_config_apply_line(&c, "ContainerRuntimes none", VS_SRC_FILE, "f", 1, err, 256), 0);
    vs_config_free(&c);
    static const char *const bad[] = {"ContainerRuntimes docker", "ContainerRuntimes none podman",
                                      "ContainerRuntimes podman none"};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vs_config_init(&c);
        if (vs_config_apply_line(&c, bad[i], VS_SRC_FILE, "f", 1, err, 256) != -EINVAL)
            fail_msg("accepted: %s", bad[i]);
        vs_config_free(&c);
    }
}

/* The criteria's messages, which name every criterion. */
static void test_match_errors(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"Match", "Match: missing criteria (User, Group, Peer, Container, All)"},
        {"Match \"\"",
         "Match: criteria come in pairs (User NAMES, Group NAMES, Peer PEERS, Container NAMES) or "
         "All"},
        {"Match Host x", "Match: unknown criterion 'Host' (User, Group, Peer, Container or All)"},
        {"Match User a Group", "Match: criteria come in pairs (User NAMES, Group NAMES, Peer "
                               "PEERS, Container NAMES) or All"},
        {"Match Peer 2 peer 3", "Match: peer given twice"},
        {"Match User a b c d e f g h i j k l m n o p q",
         "Match: missing criteria (User, Group, Peer, Container, All)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vs_config c;
        char err[256] = "";
        vs_config_init(&c);
        int r = apply(&c, cases[i].line, VS_SRC_FILE, err);
        if (r != -EINVAL || strstr(err, cases[i].expect_in_error) == NULL)
            fail_msg("'%s': %d '%s'", cases[i].line, r, err);
        vs_config_free(&c);
    }
}

/* Every criterion a block has must hold; Match All has none.  Group is
 * the one that needs the account's groups read. */
static void test_match_criteria(void **state)
{
    (void)state;
    static const struct {
        const char *match;
        bool groups;
        struct mctx ctx;
        bool applies;
    } cases[] = {
        {"Match All", false, {"u", {"g"}, {"2"}}, true},
        {"Match User u", false, {"u", {"g"}, {"2"}}, true},
        {"match user U", false, {"u", {"g"}, {"2"}}, false}, /* names are case-sensitive */
        {"Match User *,!u", false, {"u", {"g"}, {"2"}}, false},
        {"Match Group g", true, {"u", {"x", "g"}, {"2"}}, true},
        {"Match Group g", true, {"u", {"x"}, {"2"}}, false},
        {"Match Peer 2", false, {"u", {"g"}, {"2", "2:unprivileged"}}, true},
        {"Match Peer 2:privileged", false, {"u", {"g"}, {"2", "2:unprivileged"}}, false},
        {"Match User u Group g Peer unix:*", true, {"u", {"g"}, {"unix:0"}}, true},
        {"Match User u Group g Peer unix:*", true, {"u", {"h"}, {"unix:0"}}, false},
        {"Match User u Group g Peer unix:*", true, {"v", {"g"}, {"unix:0"}}, false},
        {"Match Peer unix:* User u", false, {"u", {"g"}, {"2"}}, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vs_config c, vals, m;
        const char *lines[] = {cases[i].match, "ForceCommand /bin/yes"};
        config_lines(&c, lines, 2);
        if (vs_config_uses_groups(&c) != cases[i].groups)
            fail_msg("'%s': uses groups %d", cases[i].match, !cases[i].groups);
        m = matched_for(&c, &cases[i].ctx, &vals);
        if ((m.force_command != NULL) != cases[i].applies)
            fail_msg("case %zu '%s': applies %d", i, cases[i].match, m.force_command != NULL);
        vs_config_free(&vals);
        vs_config_free(&c);
    }
}

/* Listen reads vsock-proxy's spellings of a Unix socket too. */
static void test_listen_spellings(void **state)
{
    (void)state;
    struct vs_config c;
    char err[256];
    vs_config_init(&c);
    assert_int_equal(apply(&c, "Listen unix:/a unix/b unix%c", VS_SRC_FILE, err), 0);
    assert_int_equal(c.n_listen, 3);
    assert_string_equal(c.listen[0].path, "/a");
    assert_string_equal(c.listen[1].path, "/b");
    assert_string_equal(c.listen[2].path, "/c");
    vs_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),        cmocka_unit_test(test_good_lines),
        cmocka_unit_test(test_bad_lines),       cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_limits),          cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_allow_peers_any), cmocka_unit_test(test_file),
        cmocka_unit_test(test_match),           cmocka_unit_test(test_match_review),
        cmocka_unit_test(test_dump_roundtrip),  cmocka_unit_test(test_use_pam),
        cmocka_unit_test(test_dump_defaults),   cmocka_unit_test(test_match_keywords),
        cmocka_unit_test(test_match_errors),    cmocka_unit_test(test_match_container),
        cmocka_unit_test(test_match_criteria),  cmocka_unit_test(test_listen_spellings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
