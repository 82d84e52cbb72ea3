/* The committed chain's head, item-state tree and counters (chain.h). */
#include "node/chain/chain.h"

#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/log.h"
#include "common/wb_assert.h"
#include "node/chain/gov_load.h"
#include "node/chain/tree_load.h"
#include "storage/store.h"

/* On a chain of header version 2, the rebuilt tree must be the one the
 * head's header commits to. */
static int check_head_state(const struct node_chain *c, const struct node_env *env)
{
    if (c->height == 0 || env->genesis->header_version != WB_BLOCK_VERSION_STATE) return WB_OK;
    uint8_t *bytes;
    size_t len;
    int rc = store_get_block(env->store, c->height, &bytes, &len);
    if (rc) return rc;
    struct ledger_block b;
    rc = ledger_block_decode(bytes, len, &b);
    free(bytes);
    if (rc) {
        WB_ERROR("node", "the stored block %llu does not decode", (unsigned long long)c->height);
        return WB_ERR_STORE;
    }
    uint8_t root[WB_HASH_LEN];
    ledger_state_tree_root(&c->tree, root);
    if (b.header.item_count != c->tree.count || memcmp(b.header.state_root, root, WB_HASH_LEN)) {
        char want[65], got[65];
        WB_ERROR("node",
                 "the stored item states give %llu items and state root %.16s..., block %llu "
                 "says %llu items and %.16s...",
                 (unsigned long long)c->tree.count, wb_hex_encode(root, 32, got, sizeof got),
                 (unsigned long long)c->height, (unsigned long long)b.header.item_count,
                 wb_hex_encode(b.header.state_root, 32, want, sizeof want));
        rc = WB_ERR_STORE;
    }
    ledger_block_free(&b);
    return rc;
}

int node_chain_load(struct node_chain *c, const struct node_env *env)
{
    memset(c, 0, sizeof *c);
    ledger_state_tree_init(&c->tree);
    int rc = store_last(env->store, &c->height, c->hash, &c->time_ms);
    if (rc) return rc;
    if (c->height == 0) c->time_ms = env->genesis->genesis_time_ms;
    int64_t start = node_now_ms();
    c->has_tree = env->genesis->header_version == WB_BLOCK_VERSION_STATE;
    if (c->has_tree) {
        rc = node_tree_load(&c->tree, env);
        if (rc == WB_OK) rc = check_head_state(c, env);
        c->item_count = c->tree.count;
    } else {
        rc = store_item_count(env->store, &c->item_count);
    }
    if (rc == WB_OK) rc = ledger_gov_init(&c->gov, env->genesis);
    if (rc == WB_OK) rc = node_gov_load(&c->gov, env, c->height, c->time_ms);
    if (rc) {
        node_chain_free(c);
        return rc;
    }
    c->progress_ms = node_now_ms();
    c->summary_ms = c->progress_ms;
    if (c->has_tree)
        WB_INFO("node", "item-state tree of %llu items built in %lld ms",
                (unsigned long long)c->tree.count, (long long)(c->progress_ms - start));
    return WB_OK;
}

void node_chain_free(struct node_chain *c)
{
    ledger_state_tree_free(&c->tree);
    ledger_gov_free(&c->gov);
    if (c->has_gov_next) ledger_gov_free(&c->gov_next);
    c->has_gov_next = false;
}

const struct ledger_gov_epoch *node_chain_validators_at(const struct node_chain *c,
                                                        uint64_t height)
{
    const struct ledger_gov_epoch *e = NULL;
    if (height == 0 || !ledger_gov_validators_at(&c->gov, height, &e)) return NULL;
    return e;
}

int node_chain_set_keys(const struct node_chain *c, uint64_t height,
                        uint8_t keys[WB_VALIDATORS_MAX][WB_PUBKEY_LEN], size_t *n)
{
    const struct ledger_gov_epoch *e = node_chain_validators_at(c, height);
    if (!e) return WB_ERR_NOT_FOUND;
    for (size_t i = 0; i < e->count; i++) memcpy(keys[i], e->validators[i].key, WB_PUBKEY_LEN);
    *n = e->count;
    return WB_OK;
}

uint32_t node_chain_self_at(const struct node_chain *c, uint64_t height,
                            const uint8_t pk[WB_PUBKEY_LEN])
{
    const struct ledger_gov_epoch *e = node_chain_validators_at(c, height);
    if (!e) return UINT32_MAX;
    for (size_t i = 0; i < e->count; i++)
        if (memcmp(e->validators[i].key, pk, WB_PUBKEY_LEN) == 0) return (uint32_t)i;
    return UINT32_MAX;
}

int node_chain_reserve(struct node_chain *c, const struct ledger_block_result *r)
{
    if (c->has_gov_next) {
        ledger_gov_free(&c->gov_next);
        c->has_gov_next = false;
    }
    if (r->gov_after) {
        int rc = ledger_gov_clone(&c->gov_next, r->gov_after);
        if (rc) return rc;
        c->has_gov_next = true;
    }
    if (!c->has_tree) return WB_OK;
    return ledger_state_tree_reserve(&c->tree, r->item_count > c->tree.count ? r->item_count
                                                                           : c->tree.count,
                                     r->leaf_count);
}

void node_chain_advance(struct node_chain *c, const struct ledger_block *b,
                        const struct ledger_block_result *r, int64_t now_ms)
{
    WB_ASSERT(b->header.height == c->height + 1);
    /* The check computed these leaves against this tree, and
     * node_chain_reserve made room: nothing can fail here. */
    if (c->has_tree) {
        int rc = ledger_state_tree_apply(&c->tree, r->leaves, r->leaf_count);
        WB_ASSERT(rc == WB_OK);
    }
    WB_ASSERT(r->item_count >= c->item_count);
    c->item_count = r->item_count;
    c->height = b->header.height;
    memcpy(c->hash, b->hash, WB_HASH_LEN);
    c->time_ms = b->header.time_ms;
    if (r->gov_after) {
        /* node_chain_reserve copied it for this block. */
        WB_ASSERT(c->has_gov_next);
        ledger_gov_free(&c->gov);
        c->gov = c->gov_next;   /* the arrays move; gov and its view keep their address */
        memset(&c->gov_next, 0, sizeof c->gov_next);
        c->has_gov_next = false;
    } else {
        ledger_gov_advance(&c->gov, c->height, c->time_ms);
    }
    c->progress_ms = now_ms;
    c->blocks_committed++;
    c->events_committed += b->event_count;
    c->summary_blocks++;
    c->summary_events += b->event_count;
}

void node_chain_take_summary(struct node_chain *c, int64_t now_ms, uint64_t *blocks,
                             uint64_t *events, int64_t *period_ms)
{
    *blocks = c->summary_blocks;
    *events = c->summary_events;
    *period_ms = now_ms - c->summary_ms;
    c->summary_ms = now_ms;
    c->summary_blocks = 0;
    c->summary_events = 0;
}
