/* Rebuilding the item-state tree from the store (tree_load.h). */
#include "node/chain/tree_load.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "ledger/item_leaf.h"
#include "storage/store.h"

/* Room for at least `want` leaf hashes in *hash (capacity *cap). */
static int leaves_reserve(uint8_t (**hash)[MERKLE_HASH_LEN], uint64_t *cap, uint64_t want)
{
    if (want <= *cap) return WB_OK;
    uint64_t c = *cap ? *cap : 1024;
    while (c < want) {
        if (c > UINT64_MAX / 2) return WB_ERR_NOMEM;
        c *= 2;
    }
    if (c > SIZE_MAX / MERKLE_HASH_LEN) return WB_ERR_NOMEM;
    void *h = realloc(*hash, (size_t)c * MERKLE_HASH_LEN);
    if (!h) return WB_ERR_NOMEM;
    *hash = h;
    *cap = c;
    return WB_OK;
}

int node_tree_load(struct ledger_state_tree *tree, const struct node_env *env)
{
    uint64_t expect;
    int rc = store_item_count(env->store, &expect);
    if (rc) return rc;
    struct ledger_item_state *page = malloc(STORE_REG_LIMIT_MAX * sizeof *page);
    if (!page) return WB_ERR_NOMEM;
    uint8_t (*hash)[MERKLE_HASH_LEN] = NULL;
    uint64_t cap = 0, count = 0;
    /* The count as the capacity: a store being appended to meanwhile only
     * makes the array grow. */
    rc = leaves_reserve(&hash, &cap, expect ? expect : 1);
    size_t n = STORE_REG_LIMIT_MAX;
    while (rc == WB_OK && n == STORE_REG_LIMIT_MAX) {
        rc = store_items_by_reg(env->store, count, STORE_REG_LIMIT_MAX, page, &n);
        if (rc == WB_OK) rc = leaves_reserve(&hash, &cap, count + n);
        for (size_t j = 0; rc == WB_OK && j < n; j++, count++) {
            if (page[j].reg_index != count) {
                WB_ERROR("node", "stored item %s is number %llu in registration order, but its "
                         "state says %llu",
                         page[j].item, (unsigned long long)count,
                         (unsigned long long)page[j].reg_index);
                rc = WB_ERR_STORE;
                break;
            }
            struct ledger_item_leaf leaf;
            ledger_item_leaf_from_state(&page[j], count, &leaf);
            ledger_item_leaf_hash(&leaf, hash[count]);
        }
    }
    free(page);
    if (rc == WB_OK && count < expect) {
        WB_ERROR("node", "the store counts %llu items, but its registration index gave %llu",
                 (unsigned long long)expect, (unsigned long long)count);
        rc = WB_ERR_STORE;
    }
    if (rc == WB_OK) {
        struct ledger_state_tree t;
        ledger_state_tree_init(&t);
        rc = ledger_state_tree_build(&t, (const uint8_t (*)[MERKLE_HASH_LEN])hash, count);
        if (rc == WB_OK) {
            ledger_state_tree_free(tree);
            *tree = t;
        }
    }
    free(hash);
    return rc;
}
