/* Rebuilding the risk index at start-up: the stored blocks 1..head, in
 * order, through node_risk_on_block, the function the commit path calls,
 * so that a restarted node holds the index every other node holds. One
 * block is in memory at a time. */
#ifndef NODE_RISK_REPLAY_H
#define NODE_RISK_REPLAY_H

#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/gov.h"
#include "node/risk/index.h"
#include "storage/store.h"

/* Feeds r (empty: height 0) the blocks 1..head of store s, with gov the
 * governance state after head, and logs at INFO how many blocks and events
 * it took in and how long that took. Returns 0, a read error of the store,
 * WB_ERR_STORE (a stored block does not decode; logged) or what
 * node_risk_on_block returns. */
WB_MUST_USE int node_risk_replay(struct node_risk *r, struct store *s, uint64_t head,
                                 const struct ledger_gov *gov);

#endif
