#include "match.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The peer's names live here, with the context that points at them. */
struct peer_names {
    char buf[VS_MATCH_PEER_NAMES][32];
};

int vs_match_ctx_build(struct vs_match_ctx *ctx, const struct vs_user *u,
                       const struct vs_peer *peer, bool with_groups)
{
    struct vs_match_ctx c = {.user = u->name};
    struct peer_names *pn = calloc(1, sizeof(*pn));
    char **groups = NULL;

    if (pn == NULL)
        return -ENOMEM;
    c.n_peers = vs_peer_match_names(peer, pn->buf, c.peers);
    if (with_groups) {
        int n = vs_user_group_names(u, &groups);
        if (n < 0) {
            free(pn);
            return n;
        }
        c.groups = groups;
        c.n_groups = (unsigned)n;
    }
    c.storage = pn;
    *ctx = c;
    return 0;
}

void vs_match_ctx_free(struct vs_match_ctx *ctx)
{
    for (unsigned i = 0; i < ctx->n_groups; i++)
        free(ctx->groups[i]);
    free(ctx->groups);
    free(ctx->storage);
    memset(ctx, 0, sizeof(*ctx));
}
