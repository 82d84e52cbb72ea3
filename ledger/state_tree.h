/* The item-state tree: a dense RFC 6962 Merkle tree over one leaf hash per
 * item, in registration order, kept in memory so that a block changing k
 * items costs O(k log n) hashes rather than O(n).
 *
 * Every level is an array: level 0 holds the leaf hashes, and node j of
 * level i + 1 is SHA-256(0x01 || node 2j || node 2j + 1) of level i, or
 * node 2j itself when level i has no node 2j + 1 (a last node without a
 * sibling is carried up unchanged). That is exactly the RFC 6962 tree head
 * of ledger/merkle.h (split at the largest power of two below n), and the
 * siblings met on the way up are its RFC 9162 audit path, so a path from
 * here verifies with merkle_verify.
 *
 * A block's changes are a batch of leaf updates, strictly ascending by
 * index, that may extend the tree: indexes from the current count up to the
 * new count must all be present (items are only ever added at the end).
 * ledger_state_tree_root_after computes the root the tree would have after
 * a batch without changing it (checking a proposed block);
 * ledger_state_tree_apply makes the change (after the block is stored).
 *
 * Pure: no I/O, no threads, no globals; the caller owns the struct and
 * serialises access. */
#ifndef LEDGER_STATE_TREE_H
#define LEDGER_STATE_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/merkle.h"

/* Enough levels for 2^63 leaves. */
#define LEDGER_STATE_TREE_LEVELS_MAX 64

struct ledger_state_tree {
    uint64_t count;                                      /* leaves */
    unsigned levels;                                     /* arrays in use: 0 when empty */
    uint8_t (*level[LEDGER_STATE_TREE_LEVELS_MAX])[MERKLE_HASH_LEN];
    uint64_t cap[LEDGER_STATE_TREE_LEVELS_MAX];          /* nodes allocated per level */
    uint64_t *scratch;                                   /* apply's changed indexes */
    size_t scratch_cap;
};

/* One leaf of a batch: the new leaf hash of item `index`. */
struct ledger_leaf_update {
    uint64_t index;
    uint8_t hash[MERKLE_HASH_LEN];
};

/* An empty tree (root: SHA-256 of the empty string, as merkle_root). */
void ledger_state_tree_init(struct ledger_state_tree *t);
void ledger_state_tree_free(struct ledger_state_tree *t);

/* Replaces the tree by one over leaves[0..n): every node hashed once.
 * Returns 0 or WB_ERR_NOMEM (the tree is then empty). */
WB_MUST_USE int ledger_state_tree_build(struct ledger_state_tree *t,
                                        const uint8_t (*leaves)[MERKLE_HASH_LEN], uint64_t n);

/* Leaf hash of item `index` (< count). Returns 0 or WB_ERR_INVALID. */
WB_MUST_USE int ledger_state_tree_leaf(const struct ledger_state_tree *t, uint64_t index,
                                       uint8_t out[MERKLE_HASH_LEN]);

void ledger_state_tree_root(const struct ledger_state_tree *t, uint8_t out[MERKLE_HASH_LEN]);

/* The count after a batch: the larger of count and the last index + 1. */
uint64_t ledger_state_tree_count_after(const struct ledger_state_tree *t,
                                       const struct ledger_leaf_update *u, size_t k);

/* Root (and count) the tree would have after the batch u[0..k); the tree is
 * unchanged. WB_ERR_INVALID when the batch is not strictly ascending or
 * leaves a gap after the current count; WB_ERR_NOMEM. */
WB_MUST_USE int ledger_state_tree_root_after(const struct ledger_state_tree *t,
                                             const struct ledger_leaf_update *u, size_t k,
                                             uint8_t root[MERKLE_HASH_LEN], uint64_t *count);

/* Makes room for `count` leaves and batches of `batch_max` entries, so that
 * applying such a batch that gives at most that many leaves cannot run out
 * of memory. Returns 0 or WB_ERR_NOMEM (the tree's leaves and root are
 * unchanged either way). */
WB_MUST_USE int ledger_state_tree_reserve(struct ledger_state_tree *t, uint64_t count,
                                          size_t batch_max);

/* Applies the batch. On an error the tree is unchanged; after a successful
 * ledger_state_tree_reserve for the count the batch gives, the only error
 * left is WB_ERR_INVALID for a batch that does not fit the tree. */
WB_MUST_USE int ledger_state_tree_apply(struct ledger_state_tree *t,
                                        const struct ledger_leaf_update *u, size_t k);

/* RFC 9162 audit path of leaf `index` (< count), leaf to root; it has
 * merkle_audit_path_len(index, count) hashes. Returns 0 or WB_ERR_INVALID. */
WB_MUST_USE int ledger_state_tree_path(const struct ledger_state_tree *t, uint64_t index,
                                       uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN],
                                       size_t *path_len);

#endif
