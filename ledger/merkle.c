/* RFC 6962 / RFC 9162 Merkle tree hash, audit paths and their verification.
 * Iterative throughout: memory is O(log n) and nothing recurses. */
#include "ledger/merkle.h"

#include <string.h>

#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/sha256.h"

/* Perfect subtrees pending on the stack while folding: at most one per bit
 * of a size_t leaf count, plus the leaf being pushed. */
#define FOLD_STACK_MAX 65

void merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[MERKLE_HASH_LEN])
{
    static const uint8_t prefix = 0x00;
    struct ledger_sha256_ctx ctx;
    ledger_sha256_init(&ctx);
    ledger_sha256_update(&ctx, &prefix, 1);
    ledger_sha256_update(&ctx, data, len);
    ledger_sha256_final(&ctx, out);
}

void merkle_node_hash(const uint8_t left[MERKLE_HASH_LEN], const uint8_t right[MERKLE_HASH_LEN],
                      uint8_t out[MERKLE_HASH_LEN])
{
    uint8_t buf[1 + 2 * MERKLE_HASH_LEN];
    buf[0] = 0x01;
    memcpy(buf + 1, left, MERKLE_HASH_LEN);
    memcpy(buf + 1 + MERKLE_HASH_LEN, right, MERKLE_HASH_LEN);
    ledger_sha256(buf, sizeof buf, out);
}

/* MTH(D[lo : lo+n]) for n >= 1. Leaves are pushed left to right and equal
 * sized perfect subtrees merged, so the stack holds the perfect subtrees of
 * n's binary decomposition, largest first. Folding them right to left is
 * exactly the RFC split at the largest power of two below each size. */
static void subtree_root(const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t lo, size_t n,
                         uint8_t out[MERKLE_HASH_LEN])
{
    uint8_t stack[FOLD_STACK_MAX][MERKLE_HASH_LEN];
    size_t sizes[FOLD_STACK_MAX];
    size_t depth = 0;
    WB_ASSERT(n >= 1);
    for (size_t i = 0; i < n; i++) {
        WB_ASSERT(depth < FOLD_STACK_MAX);
        memcpy(stack[depth], leaves[lo + i], MERKLE_HASH_LEN);
        sizes[depth++] = 1;
        while (depth >= 2 && sizes[depth - 1] == sizes[depth - 2]) {
            merkle_node_hash(stack[depth - 2], stack[depth - 1], stack[depth - 2]);
            sizes[depth - 2] *= 2;
            depth--;
        }
    }
    while (depth >= 2) {
        merkle_node_hash(stack[depth - 2], stack[depth - 1], stack[depth - 2]);
        depth--;
    }
    memcpy(out, stack[0], MERKLE_HASH_LEN);
}

/* Largest power of two strictly below n (n >= 2). */
static size_t split_point(size_t n)
{
    size_t k = 1;
    while (k < n - k) k <<= 1;
    return k;
}

int merkle_root(const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n, uint8_t out[MERKLE_HASH_LEN])
{
    if (n == 0) {
        ledger_sha256(NULL, 0, out);
        return WB_OK;
    }
    subtree_root(leaves, 0, n, out);
    return WB_OK;
}

int merkle_audit_path(const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n, size_t index,
                      uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN], size_t *path_len)
{
    if (index >= n) return WB_ERR_INVALID;
    /* Walk down from the root, recording the sibling subtree at each split;
     * RFC 9162 lists them leaf to root, so reverse at the end. */
    size_t lo = 0, size = n, m = index, count = 0;
    while (size > 1) {
        size_t k = split_point(size);
        WB_ASSERT(count < MERKLE_PATH_MAX);
        if (m < k) {
            subtree_root(leaves, lo + k, size - k, path[count++]);
            size = k;
        } else {
            subtree_root(leaves, lo, k, path[count++]);
            lo += k;
            m -= k;
            size -= k;
        }
    }
    for (size_t i = 0; i < count / 2; i++) {
        uint8_t tmp[MERKLE_HASH_LEN];
        memcpy(tmp, path[i], MERKLE_HASH_LEN);
        memcpy(path[i], path[count - 1 - i], MERKLE_HASH_LEN);
        memcpy(path[count - 1 - i], tmp, MERKLE_HASH_LEN);
    }
    *path_len = count;
    return WB_OK;
}

size_t merkle_audit_path_len(size_t index, size_t n)
{
    /* The walk of merkle_verify below, counting instead of hashing. */
    if (index >= n) return 0;
    size_t fn = index, sn = n - 1, count = 0;
    while (sn != 0) {
        if ((fn & 1) || fn == sn) {
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        }
        fn >>= 1;
        sn >>= 1;
        count++;
    }
    return count;
}

int merkle_verify(const uint8_t leaf[MERKLE_HASH_LEN], size_t index, size_t n,
                  const uint8_t (*path)[MERKLE_HASH_LEN], size_t path_len,
                  const uint8_t root[MERKLE_HASH_LEN])
{
    /* RFC 9162 section 2.1.3.2, step by step. */
    if (index >= n || path_len > MERKLE_PATH_MAX) return WB_ERR_VERIFY;
    size_t fn = index, sn = n - 1;
    uint8_t r[MERKLE_HASH_LEN];
    memcpy(r, leaf, MERKLE_HASH_LEN);
    for (size_t i = 0; i < path_len; i++) {
        if (sn == 0) return WB_ERR_VERIFY;
        if ((fn & 1) || fn == sn) {
            merkle_node_hash(path[i], r, r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            merkle_node_hash(r, path[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0 || memcmp(r, root, MERKLE_HASH_LEN) != 0) return WB_ERR_VERIFY;
    return WB_OK;
}

static void paths_rec(const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t lo, size_t size,
                      const size_t *idx, size_t nidx,
                      uint8_t (*paths)[MERKLE_PATH_MAX][MERKLE_HASH_LEN], size_t *lens,
                      uint8_t out[MERKLE_HASH_LEN])
{
    if (nidx == 0 || size == 1) {
        subtree_root(leaves, lo, size, out);
        return;
    }
    size_t k = split_point(size), m = 0;
    while (m < nidx && idx[m] < lo + k) m++;
    uint8_t l[MERKLE_HASH_LEN], r[MERKLE_HASH_LEN];
    paths_rec(leaves, lo, k, idx, m, paths, lens, l);
    paths_rec(leaves, lo + k, size - k, idx + m, nidx - m, paths + m, lens + m, r);
    for (size_t i = 0; i < nidx; i++) {
        WB_ASSERT(lens[i] < MERKLE_PATH_MAX);
        memcpy(paths[i][lens[i]++], i < m ? r : l, MERKLE_HASH_LEN);
    }
    merkle_node_hash(l, r, out);
}

int merkle_audit_paths(const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n, const size_t *indexes,
                       size_t k, uint8_t (*paths)[MERKLE_PATH_MAX][MERKLE_HASH_LEN],
                       size_t *path_lens)
{
    for (size_t i = 0; i < k; i++) {
        if (indexes[i] >= n || (i > 0 && indexes[i] <= indexes[i - 1])) return WB_ERR_INVALID;
        path_lens[i] = 0;
    }
    if (k == 0) return WB_OK;
    uint8_t root[MERKLE_HASH_LEN];
    paths_rec(leaves, 0, n, indexes, k, paths, path_lens, root);
    return WB_OK;
}
