/* What a Match block is matched against, built in one place for a
 * connection (conn.c) and for -T -C (main.c), so both see the same names.
 * Each Match criterion (config.c's criteria[]) reads its names from the
 * context: a new criterion fills its field here. */
#ifndef VS_MATCH_H
#define VS_MATCH_H

#include <stdbool.h>

#include "config.h"
#include "peer.h"
#include "user.h"

struct vs_container;

/* Fills ctx for this account and peer, in the container ctr (its groups
 * then read from its /etc/group: vs_container_user_lookup) or the guest
 * (ctr NULL); with_groups reads every group of the account (only worth it
 * when a block has a Group criterion).  Returns
 * 0, or a negative errno when a group cannot be read (the caller refuses
 * the login: a criterion decided without one of the groups could admit
 * what it means to exclude).  ctx borrows u; free it with
 * vs_match_ctx_free(). */
int vs_match_ctx_build(struct vs_match_ctx *ctx, const struct vs_user *u,
                       const struct vs_container *ctr, const struct vs_peer *peer,
                       bool with_groups);
void vs_match_ctx_free(struct vs_match_ctx *ctx);

#endif
