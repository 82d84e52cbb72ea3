/* Building this node's own block when the consensus core asks for one: the
 * pending events the mempool hands out (expired ones dropped first), in a
 * block for the chain's next height. The block is checked once, here, like
 * every block this node takes in (node/chain/check.h), and handed to the
 * listener with the check's result, which the driver keeps for the
 * decision. With an empty mempool at round 0 the build waits a little
 * (at most NODE_EMPTY_BLOCK_WAIT_MS) for the events whose gossip woke the
 * others. Written only by build.c; the driver owns one. */
#ifndef NODE_DRIVER_BUILD_H
#define NODE_DRIVER_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/wb_error.h"
#include "consensus/cons.h"
#include "node/chain/chain.h"
#include "node/chain/check.h"
#include "node/env.h"
#include "node/mempool/mempool.h"

#define NODE_EMPTY_BLOCK_WAIT_MS 1000 /* a proposer with an empty mempool waits at most this long */

struct node_build_listener {
    /* The block for (height, round) is built: block (len bytes, hash) and
     * its check's result cb, both borrowed (take *cb over by zeroing it). */
    void (*on_built)(void *ctx, uint64_t height, uint32_t round, const uint8_t *block,
                     size_t len, const uint8_t hash[WB_HASH_LEN], struct node_checked *cb);
    /* A pending event expired before it could go into a block. */
    mempool_dropped_fn on_dropped;
    void *ctx;
};

struct node_build {
    const struct node_env *env;
    const struct node_chain *chain;
    struct node_build_listener listener;
    uv_timer_t timer;                 /* the wait of an empty mempool */
    bool timer_inited;
    bool pending;                     /* a request waits to be built */
    uint64_t height;
    uint32_t round;
};

WB_MUST_USE int node_build_init(struct node_build *b, const struct node_env *env,
                                const struct node_chain *chain,
                                const struct node_build_listener *listener);

/* The core asked for a block: builds now, or once events arrive or the
 * wait ends. */
void node_build_request(struct node_build *b, const struct cons_build_request *rq);

/* The mempool grew: a request that waits is built now. */
void node_build_on_mempool_grew(struct node_build *b);

/* Forgets a request that waits. */
void node_build_cancel(struct node_build *b);

/* Whether the heartbeat is due at now: the last block is heartbeat_ms old. */
bool node_build_heartbeat_due(const struct node_build *b, int64_t now);

/* Closes the timer (node shutdown). */
void node_build_stop(struct node_build *b);

#endif
