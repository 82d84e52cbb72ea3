/* Rebuilding the item-state tree from the store (tree_load.h). */
#include "node/chain/tree_load.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "ledger/item_leaf.h"
#include "storage/store.h"

/* The leaf hashes by registration index, with which of them are set. */
struct leaf_table {
    uint8_t (*hash)[MERKLE_HASH_LEN];
    bool *set;
    uint64_t cap, count, max_plus_one;
};

static int table_put(struct leaf_table *t, const struct ledger_item_state *st)
{
    uint64_t i = st->reg_index;
    if (i >= t->cap) {
        uint64_t cap = t->cap ? t->cap : 1024;
        while (cap <= i) {
            if (cap > UINT64_MAX / 2 || cap * 2 > SIZE_MAX / MERKLE_HASH_LEN) return WB_ERR_NOMEM;
            cap *= 2;
        }
        void *h = realloc(t->hash, (size_t)cap * MERKLE_HASH_LEN);
        if (!h) return WB_ERR_NOMEM;
        t->hash = h;
        bool *s = realloc(t->set, (size_t)cap * sizeof *s);
        if (!s) return WB_ERR_NOMEM;
        memset(s + t->cap, 0, (size_t)(cap - t->cap) * sizeof *s);
        t->set = s;
        t->cap = cap;
    }
    if (t->set[i]) {
        WB_ERROR("node", "stored item %s has registration index %llu, which another item has",
                 st->item, (unsigned long long)i);
        return WB_ERR_STORE;
    }
    struct ledger_item_leaf leaf;
    ledger_item_leaf_from_state(st, i, &leaf);
    ledger_item_leaf_hash(&leaf, t->hash[i]);
    t->set[i] = true;
    t->count++;
    if (i + 1 > t->max_plus_one) t->max_plus_one = i + 1;
    return WB_OK;
}

int node_tree_load(struct ledger_state_tree *tree, const struct node_env *env)
{
    struct leaf_table t = {0};
    struct ledger_item_state *page = malloc(STORE_ITEMS_LIMIT_MAX * sizeof *page);
    if (!page) return WB_ERR_NOMEM;
    char after[WB_ITEM_MAX + 1] = "";
    bool more = true;
    int rc = WB_OK;
    while (rc == WB_OK && more) {
        size_t n = 0;
        char next[WB_ITEM_MAX + 1];
        rc = store_items_scan(env->store, NULL, after, STORE_ITEMS_LIMIT_MAX,
                              STORE_ITEMS_LIMIT_MAX, page, &n, &more, next);
        for (size_t j = 0; rc == WB_OK && j < n; j++) rc = table_put(&t, &page[j]);
        memcpy(after, next, sizeof after);
        if (rc == WB_OK && more && n == 0 && after[0] == '\0') {
            WB_ERROR("node", "reading the stored items made no progress");
            rc = WB_ERR_STORE;
        }
    }
    free(page);
    if (rc == WB_OK && t.count != t.max_plus_one) {
        WB_ERROR("node",
                 "the store holds %llu items, but their registration indexes reach %llu: "
                 "some are missing",
                 (unsigned long long)t.count, (unsigned long long)t.max_plus_one);
        rc = WB_ERR_STORE;
    }
    if (rc == WB_OK)
        rc = ledger_state_tree_build(tree, (const uint8_t (*)[MERKLE_HASH_LEN])t.hash, t.count);
    free(t.hash);
    free(t.set);
    return rc;
}
