/* Event gossip: events admitted from clients go to every validator in
 * batches (one per loop turn, at most NODE_GOSSIP_BATCH_EVENTS or one frame
 * each), and a validator that links up gets one batch of the oldest pending
 * events. Events from peers' batches are offered to the mempool. Written
 * only by gossip.c; node/p2p/p2p.c owns one. */
#ifndef NODE_P2P_GOSSIP_H
#define NODE_P2P_GOSSIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/wb_error.h"
#include "node/env.h"
#include "node/net/net.h"
#include "proto/waybill.pb-c.h"

#define NODE_GOSSIP_FLUSH_MS 0 /* next loop turn: batches what one read brought */
#define NODE_GOSSIP_BATCH_EVENTS 512

struct node_gossip {
    const struct node_env *env;
    struct net *net;
    uv_timer_t timer;
    bool timer_inited;
    uint8_t **events;                 /* copies, not yet sent */
    size_t *lens;
    size_t count;
    size_t bytes;
};

WB_MUST_USE int node_gossip_init(struct node_gossip *g, const struct node_env *env,
                                 struct net *net);

/* Queues a copy of signed event ev for the next batch. */
void node_gossip_add(struct node_gossip *g, const uint8_t *ev, size_t len);

/* Sends the queued batch now. */
void node_gossip_flush(struct node_gossip *g);

/* Sends link one batch of the oldest pending events. */
void node_gossip_send_pending(struct node_gossip *g, struct net_link *link);

/* Offers a peer's batch to the mempool; returns how many were admitted. */
size_t node_gossip_receive(struct node_gossip *g, const Waybill__EventBatch *batch);

/* Closes the timer and frees the queue (node shutdown). */
void node_gossip_stop(struct node_gossip *g);

#endif
