/* The API's read requests: an item's head (pending state first), its
 * history, its proof bundle, a block with its certificate (as stored), the
 * node's status, and pages of item states. Each answers on the client's
 * link; none changes any state. */
#ifndef NODE_API_READS_H
#define NODE_API_READS_H

#include <stdint.h>

#include "node/chain/chain.h"
#include "node/chain/hold.h"
#include "node/driver/driver.h"
#include "node/env.h"
#include "node/net/net.h"
#include "node/p2p/p2p.h"
#include "node/risk/index.h"
#include "node/risk/scores.h"
#include "proto/waybill.pb-c.h"

/* What the reads look at (borrowed; the API fills it at start). */
struct node_reads {
    const struct node_env *env;
    const struct node_chain *chain;
    const struct node_driver *driver;
    const struct node_p2p *p2p;
    const struct node_hold *hold;
    const struct node_risk *risk;     /* the risk index (node/api/risk_context.h) */
    const struct node_scores *scores; /* the score table (node/api/scores.h) */
    struct net *api_net;
};

void node_read_head(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                    const char *item);
void node_read_history(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                       const char *item);
void node_read_proof(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                     const char *item);
/* height 0: the last block. */
void node_read_block(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                     uint64_t height);
void node_read_status(const struct node_reads *rd, struct net_link *link, uint64_t req_id);
void node_read_items(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                     const Waybill__ItemsRequest *q);

#endif
