/* The freshness proof of a proof bundle (freshness.h). */
#include "node/api/freshness.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "ledger/block.h"
#include "ledger/state_tree.h"
#include "storage/store.h"

int node_freshness_build(const struct node_env *env, const struct node_chain *chain,
                         const char *item, struct node_freshness *f)
{
    memset(f, 0, sizeof *f);
    waybill__proof_freshness__init(&f->pb);
    uint64_t height = node_chain_height(chain);
    if (env->genesis->header_version != WB_BLOCK_VERSION_STATE || height == 0)
        return WB_ERR_NOT_FOUND;
    struct ledger_item_state st;
    int rc = store_item_state(env->store, item, &st);
    if (rc) return rc;
    const struct ledger_state_tree *tree = node_chain_tree(chain);
    struct ledger_item_leaf leaf;
    ledger_item_leaf_from_state(&st, st.reg_index, &leaf);
    uint8_t want[MERKLE_HASH_LEN], have[MERKLE_HASH_LEN];
    ledger_item_leaf_hash(&leaf, want);
    /* The stored state and the tree both describe the head: they agree, or
     * the node's own state is broken. */
    if (ledger_state_tree_leaf(tree, st.reg_index, have) != WB_OK ||
        memcmp(want, have, sizeof want) != 0) {
        WB_ERROR("api", "item %s: its stored state is not its leaf in the item-state tree",
                 item);
        return WB_ERR_STORE;
    }
    size_t path_len;
    rc = ledger_state_tree_path(tree, st.reg_index, f->path, &path_len);
    if (rc) return WB_ERR_STORE;
    size_t block_len, cert_len;
    rc = store_get_block(env->store, height, &f->block, &block_len);
    if (rc == WB_OK) rc = store_get_cert(env->store, height, &f->cert, &cert_len);
    if (rc) return rc == WB_ERR_NOT_FOUND ? WB_ERR_STORE : rc;
    struct ledger_block b;
    if (ledger_block_decode(f->block, block_len, &b) != WB_OK) {
        WB_ERROR("api", "the stored block %llu does not decode", (unsigned long long)height);
        return WB_ERR_STORE;
    }
    /* The header bytes as the block carries them: copied, the decoded
     * block goes. */
    uint8_t *header = malloc(b.header_len);
    if (!header) {
        ledger_block_free(&b);
        return WB_ERR_NOMEM;
    }
    memcpy(header, b.header_bytes, b.header_len);
    f->pb.header.data = header;
    f->pb.header.len = b.header_len;
    ledger_block_free(&b);
    free(f->block);
    f->block = header;
    ledger_item_leaf_encode(&leaf, f->leaf);
    f->pb.height = height;
    f->pb.cert.data = f->cert;
    f->pb.cert.len = cert_len;
    f->pb.leaf.data = f->leaf;
    f->pb.leaf.len = sizeof f->leaf;
    for (size_t i = 0; i < path_len; i++) {
        f->path_pb[i].data = f->path[i];
        f->path_pb[i].len = MERKLE_HASH_LEN;
    }
    f->pb.n_state_path = path_len;
    f->pb.state_path = path_len ? f->path_pb : NULL;
    return WB_OK;
}

void node_freshness_free(struct node_freshness *f)
{
    free(f->block);
    free(f->cert);
    memset(f, 0, sizeof *f);
}
