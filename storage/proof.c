/* Builds an item's ProofBundle from one read snapshot of the store: events,
 * audit paths over each block's leaves, headers and certificates. */
#include "storage/proof.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "ledger/merkle.h"
#include "storage/store_internal.h"
#include "storage/store_lmdb_internal.h"
#include "storage/store_read_internal.h"

/* Everything the bundle points at; all of it is owned here and freed by
 * proof_parts_free (the packed bundle is a copy). */
struct proof_parts {
    size_t n_events;
    Waybill__ProofEvent *events;
    Waybill__ProofEvent **event_ptrs;
    ProtobufCBinaryData *paths;                 /* per event: audit_path array */
    size_t n_blocks;
    Waybill__ProofBlock *blocks;
    Waybill__ProofBlock **block_ptrs;
};

static void proof_parts_free(struct proof_parts *p)
{
    for (size_t i = 0; i < p->n_events; i++) {
        free(p->events[i].signed_event.data);
        /* The path hashes of one event live in one buffer, owned by element 0. */
        if (p->events[i].n_audit_path) free(p->events[i].audit_path[0].data);
        free(p->events[i].audit_path);
    }
    for (size_t i = 0; i < p->n_blocks; i++) {
        free(p->blocks[i].header.data);
        if (p->blocks[i].cert) waybill__commit_cert__free_unpacked(p->blocks[i].cert, NULL);
    }
    free(p->events);
    free(p->event_ptrs);
    free(p->blocks);
    free(p->block_ptrs);
}

static uint8_t *proof_dup(const uint8_t *src, size_t len)
{
    uint8_t *d = malloc(len ? len : 1);
    if (d && len) memcpy(d, src, len);
    return d;
}

/* The ProofBlock for `height`: header bytes and the decoded certificate. */
static int proof_add_block(struct store *s, MDB_txn *txn, const Waybill__Block *blk,
                           uint64_t height, Waybill__ProofBlock *pb)
{
    waybill__proof_block__init(pb);
    pb->height = height;
    pb->header.data = proof_dup(blk->header.data, blk->header.len);
    if (!pb->header.data) return WB_ERR_NOMEM;
    pb->header.len = blk->header.len;
    uint8_t key[8];
    wb_put_u64be(key, height);
    MDB_val v;
    int rc = store__get(txn, s->dbi[STORE__DB_CERTS], key, sizeof key, &v, "read cert");
    if (rc == WB_ERR_NOT_FOUND) {
        WB_ERROR("store", "h=%llu block without certificate", (unsigned long long)height);
        return WB_ERR_STORE;
    }
    if (rc) return rc;
    pb->cert = waybill__commit_cert__unpack(NULL, v.mv_size, v.mv_data);
    if (!pb->cert) {
        WB_ERROR("store", "h=%llu stored certificate does not decode",
                 (unsigned long long)height);
        return WB_ERR_STORE;
    }
    return WB_OK;
}

/* Fills events [first, end) (all at `height`, in blk) with bytes and paths. */
static int proof_add_events(const Waybill__Block *blk, uint64_t height,
                            const struct store_event_ref *refs, size_t first, size_t end,
                            struct proof_parts *p)
{
    size_t n = blk->n_events;
    uint8_t (*leaves)[MERKLE_HASH_LEN] = malloc((n ? n : 1) * sizeof *leaves);
    if (!leaves) return WB_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        merkle_leaf_hash(blk->events[i].data, blk->events[i].len, leaves[i]);
    int rc = WB_OK;
    size_t want = end - first;
    size_t *idx = malloc((want ? want : 1) * sizeof *idx);
    size_t *plens = malloc((want ? want : 1) * sizeof *plens);
    uint8_t (*paths)[MERKLE_PATH_MAX][MERKLE_HASH_LEN] = malloc((want ? want : 1) * sizeof *paths);
    if (!idx || !plens || !paths) rc = WB_ERR_NOMEM;
    for (size_t k = first; rc == WB_OK && k < end; k++) idx[k - first] = refs[k].index;
    bool batched = rc == WB_OK &&
                   merkle_audit_paths((const uint8_t(*)[MERKLE_HASH_LEN])leaves, n, idx, want,
                                      paths, plens) == WB_OK;
    for (size_t k = first; rc == WB_OK && k < end; k++) {
        Waybill__ProofEvent *pe = &p->events[k];
        if (refs[k].index >= n) {
            WB_ERROR("store", "h=%llu event index %u beyond the block's %zu events",
                     (unsigned long long)height, refs[k].index, n);
            rc = WB_ERR_STORE;
            break;
        }
        const ProtobufCBinaryData *ev = &blk->events[refs[k].index];
        pe->height = height;
        pe->index = refs[k].index;
        pe->signed_event.data = proof_dup(ev->data, ev->len);
        if (!pe->signed_event.data) {
            rc = WB_ERR_NOMEM;
            break;
        }
        pe->signed_event.len = ev->len;
        uint8_t path_buf[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
        uint8_t (*path)[MERKLE_HASH_LEN] = path_buf;
        size_t path_len = 0;
        if (batched) {
            path = paths[k - first];
            path_len = plens[k - first];
        } else {
            rc = merkle_audit_path((const uint8_t(*)[MERKLE_HASH_LEN])leaves, n, refs[k].index,
                                   path_buf, &path_len);
            if (rc) break;
        }
        if (path_len == 0) continue;
        uint8_t *hashes = malloc(path_len * MERKLE_HASH_LEN);
        pe->audit_path = calloc(path_len, sizeof pe->audit_path[0]);
        if (!hashes || !pe->audit_path) {
            free(hashes);
            rc = WB_ERR_NOMEM;
            break;
        }
        memcpy(hashes, path, path_len * MERKLE_HASH_LEN);
        for (size_t j = 0; j < path_len; j++) {
            pe->audit_path[j].data = hashes + j * MERKLE_HASH_LEN;
            pe->audit_path[j].len = MERKLE_HASH_LEN;
        }
        pe->n_audit_path = path_len;
    }
    free(idx);
    free(plens);
    free(paths);
    free(leaves);
    return rc;
}

/* Builds every part from the history, block by block. */
static int proof_build(struct store *s, MDB_txn *txn, const struct store_event_ref *refs,
                       size_t n, struct proof_parts *p)
{
    size_t cap = n ? n : 1;
    p->events = calloc(cap, sizeof p->events[0]);
    p->event_ptrs = calloc(cap, sizeof p->event_ptrs[0]);
    /* At most one block per event. */
    p->blocks = calloc(cap, sizeof p->blocks[0]);
    p->block_ptrs = calloc(cap, sizeof p->block_ptrs[0]);
    if (!p->events || !p->event_ptrs || !p->blocks || !p->block_ptrs) return WB_ERR_NOMEM;
    for (size_t k = 0; k < n; k++) {
        waybill__proof_event__init(&p->events[k]);
        p->event_ptrs[k] = &p->events[k];
    }
    p->n_events = n;

    for (size_t first = 0; first < n;) {
        uint64_t height = refs[first].height;
        size_t end = first + 1;
        while (end < n && refs[end].height == height) end++;
        if (first > 0 && height < refs[first - 1].height) {
            WB_ERROR("store", "history out of block order at h=%llu",
                     (unsigned long long)height);
            return WB_ERR_STORE;
        }
        Waybill__Block *blk;
        int rc = store__block_unpack_txn(s, txn, height, &blk);
        if (rc == WB_ERR_NOT_FOUND) rc = WB_ERR_STORE;
        if (rc) return rc;
        Waybill__ProofBlock *pb = &p->blocks[p->n_blocks];
        p->block_ptrs[p->n_blocks] = pb;
        p->n_blocks++;
        rc = proof_add_block(s, txn, blk, height, pb);
        if (rc == WB_OK) rc = proof_add_events(blk, height, refs, first, end, p);
        waybill__block__free_unpacked(blk, NULL);
        if (rc) return rc;
        first = end;
    }
    return WB_OK;
}

int store_proof_bundle(struct store *s, const char *item, uint8_t **out, size_t *len)
{
    if (!s || !item || !out || !len) return WB_ERR_INVALID;
    MDB_txn *txn;
    int rc = store__read_begin(s, &txn);
    if (rc) return rc;
    struct store_event_ref *refs = NULL;
    size_t n = 0;
    struct proof_parts parts = {0};
    rc = store__history_txn(s, txn, item, &refs, &n);
    if (rc) goto end_read;
    rc = proof_build(s, txn, refs, n, &parts);
    if (rc) goto free_parts;

    Waybill__ProofBundle bundle = WAYBILL__PROOF_BUNDLE__INIT;
    bundle.item = (char *)item;
    bundle.n_events = parts.n_events;
    bundle.events = parts.event_ptrs;
    bundle.n_blocks = parts.n_blocks;
    bundle.blocks = parts.block_ptrs;
    size_t size = waybill__proof_bundle__get_packed_size(&bundle);
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        rc = WB_ERR_NOMEM;
        goto free_parts;
    }
    size_t packed = waybill__proof_bundle__pack(&bundle, buf);
    if (packed != size) {
        free(buf);
        WB_ERROR("store", "proof bundle packed to %zu bytes, expected %zu", packed, size);
        rc = WB_ERR_INTERNAL;
        goto free_parts;
    }
    *out = buf;
    *len = size;

free_parts:
    proof_parts_free(&parts);
    free(refs);
end_read:
    store__read_end(s, txn);
    return rc;
}
