/* Fuzz target: the item-state leaf decoder and the item-state tree.
 * First byte even: the rest is a leaf; an accepted leaf re-encodes to the
 * same 128 bytes, and a refused one has a reason.
 * First byte odd: the rest is a script of batches for a tree of at most
 * 512 leaves (each batch: a count byte, then per entry an index-step byte
 * and a value byte; indexes past the count append, with or without a gap). After every batch, accepted
 * or refused, the tree's root and every audit path equal merkle_root and
 * merkle_audit_path over a plain array kept beside it, the root predicted
 * by ledger_state_tree_root_after equals the root after the batch, and a
 * refused batch changed nothing. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "ledger/item_leaf.h"
#include "ledger/merkle.h"
#include "ledger/state_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TREE_MAX 512

static void fail(const char *what)
{
    fprintf(stderr, "state_tree target: %s\n", what);
    abort();
}

static void leaf_case(const uint8_t *data, size_t size)
{
    struct ledger_item_leaf leaf;
    char msg[160] = "";
    int rc = ledger_item_leaf_decode(data, size, &leaf, msg, sizeof msg);
    if (rc == WB_OK) {
        uint8_t back[LEDGER_ITEM_LEAF_LEN];
        ledger_item_leaf_encode(&leaf, back);
        if (size != LEDGER_ITEM_LEAF_LEN || memcmp(back, data, size) != 0)
            fail("an accepted leaf does not re-encode to its bytes");
    } else if (rc != WB_ERR_INVALID || msg[0] == '\0') {
        fail("a refused leaf without WB_ERR_INVALID and a reason");
    }
}

static void value_hash(uint64_t index, uint8_t value, uint8_t out[MERKLE_HASH_LEN])
{
    uint8_t buf[9];
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)(index >> (8 * i));
    buf[8] = value;
    merkle_leaf_hash(buf, sizeof buf, out);
}

static void check_tree(const struct ledger_state_tree *t, const uint8_t (*ref)[MERKLE_HASH_LEN],
                       size_t n)
{
    if (t->count != n) fail("count differs from the reference");
    uint8_t want[MERKLE_HASH_LEN], got[MERKLE_HASH_LEN];
    if (merkle_root(ref, n, want) != WB_OK) fail("reference root");
    ledger_state_tree_root(t, got);
    if (memcmp(want, got, sizeof want) != 0) fail("root differs from merkle_root");
    for (size_t i = 0; i < n; i++) {
        uint8_t pw[MERKLE_PATH_MAX][MERKLE_HASH_LEN], pg[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
        size_t lw, lg;
        if (merkle_audit_path(ref, n, i, pw, &lw) != WB_OK) fail("reference path");
        if (ledger_state_tree_path(t, i, pg, &lg) != WB_OK) fail("path refused");
        if (lw != lg || memcmp(pw, pg, lg * MERKLE_HASH_LEN) != 0)
            fail("audit path differs from merkle_audit_path");
    }
}

static void tree_case(const uint8_t *data, size_t size)
{
    static uint8_t ref[TREE_MAX][MERKLE_HASH_LEN];
    struct ledger_leaf_update batch[256];
    struct ledger_state_tree t;
    ledger_state_tree_init(&t);
    size_t n = 0, pos = 0;
    while (pos < size) {
        size_t k = data[pos++];
        size_t entries = 0;
        uint64_t idx = 0;
        for (; entries < k && pos + 1 < size; entries++, pos += 2) {
            /* Ascending by construction (steps of 1 + byte % 16 from the
             * previous index), except a byte of 255, which repeats it. */
            uint8_t b = data[pos];
            if (entries == 0) idx = b % 16;
            else if (b != 255) idx += 1 + b % 16;
            batch[entries].index = idx;
            value_hash(idx, data[pos + 1], batch[entries].hash);
        }
        uint64_t after = ledger_state_tree_count_after(&t, batch, entries);
        if (after > TREE_MAX) break;
        uint8_t predicted[MERKLE_HASH_LEN], before[MERKLE_HASH_LEN], root[MERKLE_HASH_LEN];
        uint64_t count = 0;
        ledger_state_tree_root(&t, before);
        int prc = ledger_state_tree_root_after(&t, batch, entries, predicted, &count);
        int rc = ledger_state_tree_apply(&t, batch, entries);
        if (prc != rc) fail("root_after and apply disagree on a batch");
        ledger_state_tree_root(&t, root);
        if (rc == WB_OK) {
            if (count != after || memcmp(root, predicted, sizeof root) != 0)
                fail("the predicted root is not the root after the batch");
            for (size_t j = 0; j < entries; j++)
                memcpy(ref[batch[j].index], batch[j].hash, MERKLE_HASH_LEN);
            n = (size_t)after;
        } else {
            if (rc != WB_ERR_INVALID) fail("a batch refused with another error");
            if (memcmp(root, before, sizeof root) != 0) fail("a refused batch changed the root");
        }
        check_tree(&t, (const uint8_t (*)[MERKLE_HASH_LEN])ref, n);
    }
    ledger_state_tree_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    if (data[0] % 2 == 0) leaf_case(data + 1, size - 1);
    else tree_case(data + 1, size - 1);
    return 0;
}
