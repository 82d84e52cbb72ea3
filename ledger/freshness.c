/* The freshness proof (freshness.h). */
#include "ledger/freshness.h"

#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "ledger/block.h"
#include "ledger/cert.h"
#include "ledger/item_leaf.h"
#include "ledger/merkle.h"
#include "ledger/sha256.h"

#define FRESH_WHY_MAX 256

static int check_header(const struct ledger_genesis *g, const struct ledger_gov_epoch *set,
                        const Waybill__ProofFreshness *f, const struct ledger_fresh_events *ev,
                        struct ledger_block_header *h, char *msg, size_t msg_len)
{
    unsigned long long height = (unsigned long long)f->height;
    char why[FRESH_WHY_MAX] = "";
    if (ledger_header_parse(f->header.data, f->header.len, h, why, sizeof why))
        return wb_failf(WB_ERR_VERIFY, msg, msg_len, "block %llu: %s", height,
                        why[0] ? why : "the header does not decode");
    if (ledger_header_check_version(h, g->header_version, why, sizeof why))
        return wb_failf(WB_ERR_VERIFY, msg, msg_len, "block %llu: %s", height, why);
    if (h->version != WB_BLOCK_VERSION_STATE)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "block %llu: a version %u header commits to no item state", height,
                        (unsigned)h->version);
    if (memcmp(h->chain_id, g->chain_id, WB_CHAIN_ID_LEN) != 0)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len, "block %llu is from another chain",
                        height);
    if (h->height != f->height)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "the proof names height %llu, its header height %llu", height,
                        (unsigned long long)h->height);
    if (h->height < ev->last_height)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "block %llu is below the item's last event (height %llu)", height,
                        (unsigned long long)ev->last_height);
    uint8_t hash[WB_HASH_LEN];
    ledger_sha256(f->header.data, f->header.len, hash);
    int crc;
    if (set) {
        uint8_t keys[WB_VALIDATORS_MAX][WB_PUBKEY_LEN];
        for (size_t i = 0; i < set->count; i++)
            memcpy(keys[i], set->validators[i].key, WB_PUBKEY_LEN);
        crc = ledger_cert_verify_set_bytes(g->chain_id, (const uint8_t(*)[WB_PUBKEY_LEN])keys,
                                           set->count, f->cert.data, f->cert.len, h->height,
                                           hash, why, sizeof why);
    } else {
        crc = ledger_cert_verify_bytes(g, f->cert.data, f->cert.len, h->height, hash, why,
                                       sizeof why);
    }
    if (crc)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len, "block %llu: %s", height, why);
    return WB_OK;
}

static int check_leaf(const Waybill__ProofFreshness *f, const struct ledger_block_header *h,
                      const struct ledger_fresh_events *ev, struct ledger_item_leaf *leaf,
                      char *msg, size_t msg_len)
{
    char why[FRESH_WHY_MAX] = "";
    if (ledger_item_leaf_decode(f->leaf.data, f->leaf.len, leaf, why, sizeof why))
        return wb_failf(WB_ERR_VERIFY, msg, msg_len, "%s", why);
    uint8_t item_hash[WB_HASH_LEN];
    ledger_item_leaf_name_hash(ev->item, item_hash);
    if (memcmp(leaf->item_hash, item_hash, WB_HASH_LEN) != 0)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len, "leaf: it is not the leaf of item %s",
                        ev->item);
    if (leaf->reg_index >= h->item_count)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "leaf: registration index %llu, but block %llu counts %llu items",
                        (unsigned long long)leaf->reg_index, (unsigned long long)h->height,
                        (unsigned long long)h->item_count);
    if (f->n_state_path > MERKLE_PATH_MAX ||
        f->n_state_path != merkle_audit_path_len(leaf->reg_index, h->item_count))
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "leaf: an audit path of %zu hashes, leaf %llu of %llu needs %zu",
                        f->n_state_path, (unsigned long long)leaf->reg_index,
                        (unsigned long long)h->item_count,
                        merkle_audit_path_len(leaf->reg_index, h->item_count));
    uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
    for (size_t i = 0; i < f->n_state_path; i++) {
        if (f->state_path[i].len != MERKLE_HASH_LEN)
            return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                            "leaf: audit path hash %zu is %zu bytes, expected %d", i,
                            f->state_path[i].len, MERKLE_HASH_LEN);
        memcpy(path[i], f->state_path[i].data, MERKLE_HASH_LEN);
    }
    uint8_t leaf_hash[MERKLE_HASH_LEN];
    merkle_leaf_hash(f->leaf.data, f->leaf.len, leaf_hash);
    if (merkle_verify(leaf_hash, leaf->reg_index, h->item_count,
                      (const uint8_t (*)[MERKLE_HASH_LEN])path, f->n_state_path,
                      h->state_root) != WB_OK)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "leaf: its audit path does not lead to the state root of block %llu",
                        (unsigned long long)h->height);
    return WB_OK;
}

/* The leaf against the bundle's events: a bundle that left out the newest
 * events (or added some) fails here. */
static int check_events(const struct ledger_item_leaf *leaf, const struct ledger_fresh_events *ev,
                        uint64_t height, char *msg, size_t msg_len)
{
    char a[17], b[17];
    if (leaf->count != ev->count)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "the item has %llu events as of block %llu, the bundle holds %llu",
                        (unsigned long long)leaf->count, (unsigned long long)height,
                        (unsigned long long)ev->count);
    if (memcmp(leaf->head, ev->head, WB_HASH_LEN) != 0)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "the item's latest event as of block %llu is %s..., the bundle's last "
                        "is %s...",
                        (unsigned long long)height, wb_hex_encode(leaf->head, 8, a, sizeof a),
                        wb_hex_encode(ev->head, 8, b, sizeof b));
    if (leaf->head_height != ev->last_height || leaf->first_height != ev->first_height)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "the leaf places the item's events at heights %llu to %llu, the "
                        "bundle at %llu to %llu",
                        (unsigned long long)leaf->first_height,
                        (unsigned long long)leaf->head_height,
                        (unsigned long long)ev->first_height,
                        (unsigned long long)ev->last_height);
    const struct ledger_item_state *st = ev->state;
    if (!st) return WB_OK;
    uint8_t custodian[WB_HASH_LEN];
    ledger_item_leaf_name_hash(st->custodian, custodian);
    if (memcmp(leaf->custodian_hash, custodian, WB_HASH_LEN) != 0)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "the leaf's custodian as of block %llu is not %s, the bundle's",
                        (unsigned long long)height, st->custodian);
    if (leaf->status != st->status || leaf->customs != st->customs ||
        leaf->movement != st->movement)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "the leaf's status, customs status or movement as of block %llu is not "
                        "what the bundle's events give (customs %s, movement %s)",
                        (unsigned long long)height, ledger_customs_name(st->customs),
                        ledger_movement_name(st->movement));
    return WB_OK;
}

int ledger_freshness_verify(const struct ledger_genesis *g, const Waybill__ProofFreshness *f,
                            const struct ledger_fresh_events *ev, struct ledger_fresh_result *out,
                            char *msg, size_t msg_len)
{
    return ledger_freshness_verify_set(g, NULL, f, ev, out, msg, msg_len);
}

int ledger_freshness_verify_set(const struct ledger_genesis *g, const struct ledger_gov_epoch *set,
                                const Waybill__ProofFreshness *f,
                                const struct ledger_fresh_events *ev,
                                struct ledger_fresh_result *out, char *msg, size_t msg_len)
{
    if (!g || !f || !ev || !ev->item || !out || (set && (set->count == 0 ||
                                                          set->count > WB_VALIDATORS_MAX)))
        return wb_failf(WB_ERR_VERIFY, msg, msg_len, "no freshness proof");
    struct ledger_block_header h;
    int rc = check_header(g, set, f, ev, &h, msg, msg_len);
    if (rc) return rc;
    struct ledger_item_leaf leaf;
    rc = check_leaf(f, &h, ev, &leaf, msg, msg_len);
    if (rc) return rc;
    rc = check_events(&leaf, ev, h.height, msg, msg_len);
    if (rc) return rc;
    memset(out, 0, sizeof *out);
    out->height = h.height;
    out->time_ms = h.time_ms;
    out->reg_index = leaf.reg_index;
    out->item_count = h.item_count;
    out->leaf = leaf;
    return WB_OK;
}
