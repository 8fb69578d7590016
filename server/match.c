#include "match.h"

#include <stdlib.h>
#include <string.h>

int vs_match_ctx_build(struct vs_match_ctx *ctx, const struct vs_user *u,
                       const struct vs_peer *peer, bool with_groups)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->user = u->name;
    ctx->n_peers = vs_peer_match_names(peer, ctx->peer_buf, ctx->peers);
    if (with_groups) {
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
