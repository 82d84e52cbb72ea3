/* Rebuilding the item-state tree at start-up from the stored item states:
 * every state's leaf at its registration index. Used by chain.c only. */
#ifndef NODE_CHAIN_TREE_LOAD_H
#define NODE_CHAIN_TREE_LOAD_H

#include "common/wb_error.h"
#include "ledger/state_tree.h"
#include "node/env.h"

/* Replaces *tree by the tree over every item the store holds. The stored
 * registration indexes must be 0..n-1, each once; otherwise WB_ERR_STORE
 * (logged). Returns 0, WB_ERR_STORE, WB_ERR_NOMEM or a read error. */
WB_MUST_USE int node_tree_load(struct ledger_state_tree *tree, const struct node_env *env);

#endif
