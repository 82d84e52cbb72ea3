/* Opening one of the node's two endpoints (validator links, client API)
 * with the node's identity, chain and frame limits. */
#ifndef NODE_NET_OPEN_H
#define NODE_NET_OPEN_H

#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/types.h"
#include "node/env.h"
#include "node/net/net.h"

/* The node's signing identity (node.c holds it; wiped at shutdown). */
struct node_identity {
    uint8_t pk[WB_PUBKEY_LEN];
    uint8_t sk[WB_SECKEY_LEN];
};

/* Completes nc with the chain, identity and frame limits, creates the
 * endpoint in *out and listens on `listen`. On a listen failure *out is
 * still set (the caller closes it). The secret key copy in nc is wiped. */
WB_MUST_USE int node_net_open(const struct node_env *env, const struct node_identity *id,
                              struct net_config *nc, const struct wb_addr *listen,
                              struct net **out);

#endif
