/* A client's watch: committed events streamed from a cursor into storage,
 * so a slow watcher costs no memory. Batches go out while fewer than
 * NODE_WATCH_WINDOW are unacknowledged and the link's queue is short.
 * State: struct node_watch, one per client, written only by watch.c. */
#ifndef NODE_API_WATCH_H
#define NODE_API_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger/types.h"
#include "node/chain/chain.h"
#include "node/env.h"
#include "node/net/net.h"
#include "proto/waybill.pb-c.h"

#define NODE_WATCH_WINDOW 8u          /* unacknowledged watch batches per client */
#define NODE_WATCH_BATCH_BYTES (256u << 10) /* event bytes per watch batch */
#define NODE_WATCH_QUEUE_BYTES (512u << 10) /* no batch while more is queued */
#define NODE_WATCH_BLOCKS_PER_PUMP 64u /* blocks read per client per pump */

struct node_watch {
    bool watching;
    uint64_t id;                      /* the WatchRequest's id */
    uint64_t height;                  /* next block to send from */
    uint32_t index;                   /* next event of that block */
    uint32_t unacked;                 /* batches sent, not acknowledged */
    char item[WB_ITEM_MAX + 1];       /* "" = every item */
};

/* A WatchRequest on link: starts the watch (or refuses a second one). */
void node_watch_start(struct node_watch *w, struct net_link *link, const struct node_env *env,
                      const struct node_chain *chain, uint64_t req_id,
                      const Waybill__WatchRequest *rq);

/* A WatchAck: one batch fewer unacknowledged; sends what is owed. */
void node_watch_ack(struct node_watch *w, struct net_link *link, const struct node_env *env,
                    const struct node_chain *chain, const Waybill__WatchAck *a);

/* Sends what the watcher is owed and may take now (after a commit, on the tick). */
void node_watch_pump(struct node_watch *w, struct net_link *link, const struct node_env *env,
                     const struct node_chain *chain);

#endif
