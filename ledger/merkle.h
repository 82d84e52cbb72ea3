/* RFC 6962 / RFC 9162 Merkle trees: leaf = SHA-256(0x00 || data),
 * node = SHA-256(0x01 || left || right), split at the largest power of two
 * below n. Inclusion proofs are RFC 9162 audit paths (leaf to root). */
#ifndef LEDGER_MERKLE_H
#define LEDGER_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"

#define MERKLE_HASH_LEN 32
#define MERKLE_PATH_MAX 64

void merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[MERKLE_HASH_LEN]);
void merkle_node_hash(const uint8_t left[MERKLE_HASH_LEN], const uint8_t right[MERKLE_HASH_LEN],
                      uint8_t out[MERKLE_HASH_LEN]);

/* Root over n leaf hashes (n = 0: SHA-256 of the empty string).
 * Returns 0 or WB_ERR_NOMEM. */
WB_MUST_USE int merkle_root(const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n,
                            uint8_t out[MERKLE_HASH_LEN]);

/* Audit path for leaf `index` of n (index < n): writes *path_len hashes.
 * Returns 0, WB_ERR_INVALID or WB_ERR_NOMEM. */
WB_MUST_USE int merkle_audit_path(const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n, size_t index,
                                  uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN], size_t *path_len);

/* Audit paths of k leaves at once (indexes strictly ascending, each < n):
 * every tree node is hashed once, O(n + k log n) in all. */
WB_MUST_USE int merkle_audit_paths(const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n,
                                   const size_t *indexes, size_t k,
                                   uint8_t (*paths)[MERKLE_PATH_MAX][MERKLE_HASH_LEN],
                                   size_t *path_lens);

/* Length of the audit path of leaf `index` in a tree of n leaves (index <
 * n; 0 otherwise): the number of hashes merkle_audit_path writes and
 * merkle_verify consumes. */
size_t merkle_audit_path_len(size_t index, size_t n);

/* RFC 9162 section 2.1.3.2 verification of leaf hash `leaf` at `index` in a
 * tree of size n. Returns 0 or WB_ERR_VERIFY. */
WB_MUST_USE int merkle_verify(const uint8_t leaf[MERKLE_HASH_LEN], size_t index, size_t n,
                              const uint8_t (*path)[MERKLE_HASH_LEN], size_t path_len,
                              const uint8_t root[MERKLE_HASH_LEN]);

#endif
