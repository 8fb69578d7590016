#include "match.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"

int vs_match_ctx_build(struct vs_match_ctx *ctx, const struct vs_user *u,
                       const struct vs_container *ctr, const struct vs_peer *peer, bool with_groups)
{
    memset(ctx, 0, sizeof(*ctx));
    /* A container's account is USER+CONTAINER to Match User: the
     * container's root names its accounts, so a block written for the
     * guest's alice does not apply to a container's. */
    if (ctr != NULL) {
        snprintf(ctx->login_buf, sizeof(ctx->login_buf), "%s+%s", u->name, ctr->name);
        ctx->users[ctx->n_users++] = ctx->login_buf;
        ctx->container = ctr->name;
    } else {
        ctx->users[ctx->n_users++] = u->name;
    }
    ctx->n_peers = vs_peer_match_names(peer, ctx->peer_buf, ctx->peers);
    if (with_groups && ctr != NULL) {
        ctx->groups = calloc(ctr->n_group_names + 1, sizeof(*ctx->groups));
        if (ctx->groups == NULL)
            return -ENOMEM;
        for (unsigned i = 0; i < ctr->n_group_names; i++) {
            if ((ctx->groups[i] = strdup(ctr->group_names[i])) == NULL) {
                vs_match_ctx_free(ctx);
                return -ENOMEM;
            }
            ctx->n_groups = i + 1;
        }
    } else if (with_groups) {
        int n = vs_user_group_names(u, &ctx->groups);
        if (n < 0)
            return n;
        ctx->n_groups = (unsigned)n;
    }
    return 0;
}

void vs_match_ctx_free(struct vs_match_ctx *ctx)
{
    for (unsigned i = 0; i < ctx->n_groups; i++)
        free(ctx->groups[i]);
    free(ctx->groups);
    memset(ctx, 0, sizeof(*ctx));
}
