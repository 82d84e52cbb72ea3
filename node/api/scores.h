/* The API's score requests (docs/risk.md, "Scores"): the officer's queue
 * (an ITEMS request with flagged or min_score) and an organisation's risk
 * (RiskOrg), answered from the node's score table (node/risk/scores.h).
 * Change no state. */
#ifndef NODE_API_SCORES_H
#define NODE_API_SCORES_H

#include <stdint.h>

#include "node/api/reads.h"
#include "node/net/net.h"
#include "proto/waybill.pb-c.h"

/* A page of the judged items with score > 0 (q->flagged) and >= q->min_score,
 * highest score first, then item id, after the cursor (q->after_score,
 * q->after), at most q->limit (0: 100; at most 1000), each with its state
 * and score, and the table's height and pending count. */
void node_read_scored_items(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                            const Waybill__ItemsRequest *q);

/* Organisation q->org's aggregates and its top q->top items (0: 10; at most
 * NODE_SCORES_TOP_MAX). Refuses an empty or over-long name (WB_ERR_INVALID). */
void node_read_risk_org(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                        const Waybill__RiskOrgRequest *q);

#endif
