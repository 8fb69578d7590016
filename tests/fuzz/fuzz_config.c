/* libFuzzer target: vsock-sshd's configuration, as a file and as -o
 * options, and the policy decisions made from it.  The first byte picks
 * where the lines come from; whatever the bytes, parsing must terminate,
 * stay in bounds, and leave a configuration that the decisions, -T and
 * vs_config_free() handle. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "container.h"
#include "peer.h"
#include "pattern.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 64 * 1024)
        return 0;
    if (devnull == NULL)
        devnull = fopen("/dev/null", "w");
    enum vs_config_source src = (data[0] & 1) ? VS_SRC_CMDLINE : VS_SRC_FILE;
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    struct vs_config c;
    char err[600];
    vs_config_init(&c);
    for (char *save, *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save))
        (void)vs_config_apply_line(&c, line, src, "fuzz", 1, err, sizeof(err));
    vs_config_finish(&c);
    vs_config_dump(&c, devnull);

    /* The decisions, on names and addresses taken from the input too. */
    const char *name = (const char *)data + 1;
    char host[64];
    snprintf(host, sizeof(host), "%.*s", (int)(size - 1 < 63 ? size - 1 : 63), name);
    struct vs_peer p = {.kind = (data[0] & 2) ? VS_PEER_UNIX : VS_PEER_VSOCK,
                        .cid = data[0] >> 2,
                        .port = (data[0] & 1) ? 1023 : 1024,
                        .local_cid = data[0] & 3,
                        .uid = data[0]};
    const char *why;
    (void)vs_peer_check(&c, &p, &why);
    (void)vs_peer_may_become(&c, &p, 0, &why);
    struct vs_user_facts u = {.name = host,
                              .container = (data[0] & 2) ? host : NULL,
                              .uid = data[0],
                              .shell_valid = data[0] & 1};
    (void)vs_user_allowed(&c, &u, &why);
    (void)vs_env_accepted(&c, host);
    (void)vs_permit_open_allowed(&c, host, data[0]);
    (void)vs_permit_listen_allowed(&c, host, data[0]);
    (void)vs_permit_valid(host, data[0] & 1, &why);
    (void)vs_config_subsystem(&c, host);
    (void)vs_shell_unrestricted(host);
    /* Match blocks, for a user, group and peer taken from the input. */
    /* The peer's real names and the input as a third, and the input as
     * the name of several groups. */
    char *groups[] = {host, host, (char *)"root"};
    struct vs_match_ctx ctx = {.users = {host},
                               .n_users = 1,
                               .container = (data[0] & 2) ? host : NULL,
                               .groups = groups,
                               .n_groups = 1 + (data[0] & 1) * 2};
    ctx.n_peers = vs_peer_match_names(&p, ctx.peer_buf, ctx.peers);
    if (ctx.n_peers < VS_MATCH_PEER_NAMES)
        ctx.peers[ctx.n_peers++] = host;
    /* A container's login name and account files: the input as hostile
     * text (a container's root writes them). */
    char user[256], ctr[VS_CONTAINER_NAME_MAX + 1], path[128];
    (void)vs_login_name_split(host, user, sizeof(user), ctr, sizeof(ctr), NULL);
    struct vs_user acct;
    if (vs_passwd_find(text, size - 1, host, &acct) == 0)
        vs_user_free(&acct);
    gid_t *gids;
    char **gnames;
    unsigned ng, nn;
    if (vs_group_find(text, size - 1, host, data[0], &gids, &ng, &gnames, &nn) == 0) {
        for (unsigned i = 0; i < nn; i++)
            free(gnames[i]);
        free(gnames);
        free(gids);
    }
    (void)vs_cgroup_unified_path(text, path, sizeof(path));
    struct vs_config matched, vals;
    (void)vs_config_match(&c, &ctx, &matched, &vals);
    vs_config_dump(&matched, devnull);
    vs_config_free(&vals);
    /* The addresses of common/address.c: Listen's, and -T -C's peers. */
    struct vs_address a;
    if (vs_address_parse(host, &a, &why) == 0) {
        char buf[160];
        vs_address_format(&a, buf, sizeof(buf));
    }
    struct vs_peer_address pa;
    (void)vs_address_parse_peer(host, VS_LAST_RESERVED_PORT, &pa);
    /* The pattern matcher with the input as patterns and as a name. */
    char *lists[] = {host};
    const char *names[] = {host, "root"};
    (void)vs_pattern_match(lists, 1, names, 2);
    vs_config_free(&c);
    free(text);
    return 0;
}
