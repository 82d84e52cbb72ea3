/* The committed chain as this node knows it: the last stored block's height,
 * hash and time, the item-state tree after it (every item's leaf in
 * registration order, ledger/state_tree.h), when it last changed, and what
 * was committed since start-up and since the last summary line. Written only
 * by chain.c, through node_chain_advance (the commit path,
 * node/chain/commit.c) and node_chain_take_summary (the summary line);
 * everyone else reads it with the accessors below. */
#ifndef NODE_CHAIN_CHAIN_H
#define NODE_CHAIN_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/gov.h"
#include "ledger/state_tree.h"
#include "ledger/types.h"
#include "ledger/validate.h"
#include "node/env.h"

struct node_chain {
    uint64_t height;                  /* last committed height (0: none) */
    uint8_t hash[WB_HASH_LEN];        /* its block hash (zeros at height 0) */
    int64_t time_ms;                  /* its block time (genesis time at 0) */
    int64_t progress_ms;              /* when height last changed (start-up time at first) */
    uint64_t blocks_committed;        /* since start-up (decided or synced) */
    uint64_t events_committed;        /* since start-up */
    int64_t summary_ms;               /* when the last summary was taken */
    uint64_t summary_blocks;          /* committed since then */
    uint64_t summary_events;
    uint64_t item_count;              /* items registered up to block `height` */
    bool has_tree;                    /* the chain's headers are version 2 */
    struct ledger_state_tree tree;    /* header version 2 only: the items after it */
    /* The governance state after block `height` (ledger/gov.h): its view is
     * the registry the next block is checked with, its epochs the
     * validator set of every height up to height + 2. */
    struct ledger_gov gov;
    /* node_chain_reserve's copy of a block's governance result, which
     * node_chain_advance installs (so that installing cannot fail). */
    struct ledger_gov gov_next;
    bool has_gov_next;
};

/* Reads the head from the store (genesis time for an empty chain) and the
 * number of items; on a chain of header version 2 also rebuilds the
 * item-state tree from the registration-order index (node/chain/tree_load.c),
 * which must give the head's state root and item count. A chain of version
 * 1 keeps no tree. Returns 0, WB_ERR_STORE (the stored states or the head
 * disagree, logged), WB_ERR_NOMEM or a read error. */
WB_MUST_USE int node_chain_load(struct node_chain *c, const struct node_env *env);
void node_chain_free(struct node_chain *c);

/* Makes room in the tree for the block whose check gave r, and copies its
 * governance result (r->gov_after), before the block is stored, so that
 * node_chain_advance cannot fail once it is. Returns 0 or WB_ERR_NOMEM. */
WB_MUST_USE int node_chain_reserve(struct node_chain *c, const struct ledger_block_result *r);

/* Block b (height head + 1), whose check against this chain gave r, is
 * stored: it becomes the head, its item count the chain's, (version 2)
 * its leaves go into the tree, and the governance state moves to the
 * block (the copy node_chain_reserve made when it had governance events). */
void node_chain_advance(struct node_chain *c, const struct ledger_block *b,
                        const struct ledger_block_result *r, int64_t now_ms);

/* What was committed since the last call (or start-up), and how long ago
 * that was in ms; starts the next period at now_ms. */
void node_chain_take_summary(struct node_chain *c, int64_t now_ms, uint64_t *blocks,
                             uint64_t *events, int64_t *period_ms);

static inline uint64_t node_chain_height(const struct node_chain *c) { return c->height; }
static inline const uint8_t *node_chain_hash(const struct node_chain *c) { return c->hash; }
static inline int64_t node_chain_time_ms(const struct node_chain *c) { return c->time_ms; }
static inline int64_t node_chain_progress_ms(const struct node_chain *c)
{
    return c->progress_ms;
}
static inline uint64_t node_chain_blocks_committed(const struct node_chain *c)
{
    return c->blocks_committed;
}
static inline uint64_t node_chain_events_committed(const struct node_chain *c)
{
    return c->events_committed;
}
/* The item-state tree, or NULL on a chain of header version 1. */
static inline const struct ledger_state_tree *node_chain_tree(const struct node_chain *c)
{
    return c->has_tree ? &c->tree : NULL;
}
static inline uint64_t node_chain_item_count(const struct node_chain *c)
{
    return c->item_count;
}
/* The governance state after the head, and its view: the registry
 * (members, keys, validators, parameters) the next block is checked with.
 * Both stay at the same address for the chain's life (node_chain_advance
 * replaces their contents), so a part may keep the pointers. */
static inline const struct ledger_gov *node_chain_gov(const struct node_chain *c)
{
    return &c->gov;
}
static inline const struct ledger_genesis *node_chain_view(const struct node_chain *c)
{
    return &c->gov.view;
}
/* The validator set that signs `height`, or NULL when it is not known yet
 * (beyond head + 2). */
const struct ledger_gov_epoch *node_chain_validators_at(const struct node_chain *c,
                                                        uint64_t height);
/* The keys of the set that signs `height` into keys (index i = validator
 * i of that height) and their count into *n. Returns 0, or WB_ERR_NOT_FOUND
 * when the set is not known yet. */
WB_MUST_USE int node_chain_set_keys(const struct node_chain *c, uint64_t height,
                                    uint8_t keys[WB_VALIDATORS_MAX][WB_PUBKEY_LEN], size_t *n);
/* This node's index in the set that signs `height` (key pk), or
 * UINT32_MAX when it is not a validator there or the set is not known. */
uint32_t node_chain_self_at(const struct node_chain *c, uint64_t height,
                            const uint8_t pk[WB_PUBKEY_LEN]);

#endif
