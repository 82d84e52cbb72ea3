/* The commit path (commit.h). */
#include "node/chain/commit.h"

#include "common/hex.h"
#include "common/log.h"
#include "node/mempool/mempool.h"
#include "storage/store.h"

int node_commit_block(struct node_commit *cm, const struct node_checked *cb,
                      const uint8_t *block, size_t block_len, const uint8_t *cert,
                      size_t cert_len)
{
    const struct ledger_block *b = &cb->block;
    /* Room first: once the block is stored, the tree must take it. */
    int rc = node_chain_reserve(cm->chain, &cb->result);
    if (rc) return rc;
    rc = store_append_checked(cm->env->store, b, block, block_len, cert, cert_len, &cb->result);
    if (rc) return rc;
    node_chain_advance(cm->chain, b, &cb->result, node_now_ms());
    char hex[65];
    WB_DEBUG("cons", "h=%llu committed block %.16s with %zu events",
             (unsigned long long)b->header.height, wb_hex_encode(b->hash, 32, hex, sizeof hex),
             b->event_count);
    cm->listener.on_block(cm->listener.ctx, b, (const uint8_t(*)[WB_HASH_LEN])cb->result.ids);
    int mrc = mempool_on_commit(cm->env->mempool, b, &cb->result, cm->listener.on_dropped,
                                cm->listener.ctx);
    if (mrc == WB_OK && cb->result.gov_after)
        /* Keys may be revoked or organisations removed: no pending event
         * of theirs may reach a block. */
        mrc = mempool_recheck_all(cm->env->mempool, cm->listener.on_dropped, cm->listener.ctx);
    if (mrc) /* the mempool stays consistent: it dropped what it could not re-check */
        WB_WARN("cons", "h=%llu mempool re-check after the commit read no item state: %s",
                (unsigned long long)b->header.height, wb_strerror(mrc));
    if (cb->result.gov_after) {
        const struct ledger_gov *gv = node_chain_gov(cm->chain);
        const struct ledger_gov_epoch *last = &gv->epochs[gv->epoch_count - 1];
        WB_INFO("gov", "h=%llu governance changed: %zu members, %zu validators in the registry; "
                "the set from height %llu has %zu validators",
                (unsigned long long)b->header.height, gv->view.org_count,
                gv->view.validator_count, (unsigned long long)last->from_height, last->count);
        if (cm->listener.on_gov) cm->listener.on_gov(cm->listener.ctx, gv);
    }
    /* After the answers and the status are on their way: one flush that
     * keeps the file from holding an extra copy of the block's pages. */
    if (b->event_count < NODE_RELEASE_PAGES_EVENTS_MIN) return WB_OK;
    int prc = store_release_pages(cm->env->store);
    if (prc)
        WB_WARN("cons", "h=%llu releasing the append's pages failed: %s (disk space only)",
                (unsigned long long)b->header.height, wb_strerror(prc));
    return WB_OK;
}
