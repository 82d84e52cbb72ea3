/* The freshness proof a node adds to an item's proof bundle
 * (ledger/freshness.h says what a verifier checks): the latest block's
 * version 2 header and stored certificate, the item's leaf and its audit
 * path in the chain's item-state tree. Built on the event loop right after
 * the bundle, so both describe the same committed height. */
#ifndef NODE_API_FRESHNESS_H
#define NODE_API_FRESHNESS_H

#include "common/wb_error.h"
#include "ledger/item_leaf.h"
#include "ledger/merkle.h"
#include "node/chain/chain.h"
#include "node/env.h"
#include "proto/waybill.pb-c.h"

/* The proof and the bytes its fields point into. */
struct node_freshness {
    Waybill__ProofFreshness pb;
    uint8_t *block;                       /* the stored block (the header points into it) */
    uint8_t *cert;
    uint8_t leaf[LEDGER_ITEM_LEAF_LEN];
    uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
    ProtobufCBinaryData path_pb[MERKLE_PATH_MAX];
};

/* Fills *f for `item` as of the chain's head. WB_ERR_NOT_FOUND when the
 * chain's headers are version 1, nothing is committed or the item is not
 * on the chain; else 0, WB_ERR_NOMEM or WB_ERR_STORE. Free with
 * node_freshness_free whatever the result. */
WB_MUST_USE int node_freshness_build(const struct node_env *env, const struct node_chain *chain,
                                     const char *item, struct node_freshness *f);
void node_freshness_free(struct node_freshness *f);

#endif
