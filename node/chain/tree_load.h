/* Rebuilding the item-state tree at start-up from the store's
 * registration-order index: leaf i is the state of the item registered as
 * number i. Used by chain.c (and the start-up benchmark, bench/store/). */
#ifndef NODE_CHAIN_TREE_LOAD_H
#define NODE_CHAIN_TREE_LOAD_H

#include "common/wb_error.h"
#include "ledger/state_tree.h"
#include "node/env.h"

/* Replaces *tree by the tree over every item the store holds, read in
 * registration order (store_items_by_reg, which checks that index i names
 * an item whose state says registration index i; tree_load checks it
 * again). Only env->store is used. Returns 0, WB_ERR_STORE (logged),
 * WB_ERR_NOMEM or a read error; *tree is unchanged on failure. */
WB_MUST_USE int node_tree_load(struct ledger_state_tree *tree, const struct node_env *env);

#endif
