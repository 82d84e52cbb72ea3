/* The API's risk context request (docs/formats.md, "Risk context"): what
 * the node's risk index (node/risk/index.h) says about the seal numbers,
 * the container number, the organisations and the baselines a client names,
 * for the risk engine it runs. Changes no state. */
#ifndef NODE_API_RISK_CONTEXT_H
#define NODE_API_RISK_CONTEXT_H

#include <stdint.h>

#include "node/api/reads.h"
#include "node/net/net.h"
#include "proto/waybill.pb-c.h"

/* Answers q on link with a RiskContext: one entry per name asked, in the
 * order asked, as of the index's height. Refuses with WB_ERR_INVALID a
 * request naming more than NODE_RISK_REQ_SEALS_MAX seals,
 * NODE_RISK_REQ_ORGS_MAX organisations or NODE_RISK_REQ_KEYS_MAX baseline
 * keys, or a name longer than its kind can be; with WB_ERR_INTERNAL while
 * the index is incomplete (it failed to take a block in). */
void node_read_risk_context(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                            const Waybill__RiskContextRequest *q);

#endif
