/* The item-state tree (state_tree.h): level arrays, batch updates that walk
 * up only the changed paths, audit paths read off the levels. */
#include "ledger/state_tree.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_assert.h"
#include "ledger/sha256.h"

/* A changed node of one level while a batch is walked up. */
struct tree_change {
    uint64_t index;
    uint8_t hash[MERKLE_HASH_LEN];
};

/* Nodes on level i of a tree of n leaves. */
static uint64_t level_size(uint64_t n, unsigned i)
{
    for (unsigned l = 0; l < i && n > 1; l++) n = (n + 1) / 2;
    return n;
}

/* Levels of a tree of n leaves: 0 for none, else 1 + ceil(log2 n). */
static unsigned level_count(uint64_t n)
{
    if (n == 0) return 0;
    unsigned levels = 1;
    while (n > 1) {
        n = (n + 1) / 2;
        levels++;
    }
    return levels;
}

void ledger_state_tree_init(struct ledger_state_tree *t)
{
    memset(t, 0, sizeof *t);
}

void ledger_state_tree_free(struct ledger_state_tree *t)
{
    for (unsigned i = 0; i < LEDGER_STATE_TREE_LEVELS_MAX; i++) free(t->level[i]);
    free(t->scratch);
    memset(t, 0, sizeof *t);
}

/* Room for `need` nodes on level i; contents kept. */
static int level_reserve(struct ledger_state_tree *t, unsigned i, uint64_t need)
{
    if (t->cap[i] >= need) return WB_OK;
    uint64_t cap = t->cap[i] ? t->cap[i] : 16;
    while (cap < need) cap *= 2;
    if (cap > SIZE_MAX / MERKLE_HASH_LEN) return WB_ERR_NOMEM;
    void *p = realloc(t->level[i], (size_t)cap * MERKLE_HASH_LEN);
    if (!p) return WB_ERR_NOMEM;
    t->level[i] = p;
    t->cap[i] = cap;
    return WB_OK;
}

int ledger_state_tree_build(struct ledger_state_tree *t, const uint8_t (*leaves)[MERKLE_HASH_LEN],
                            uint64_t n)
{
    ledger_state_tree_free(t);
    if (n == 0) return WB_OK;
    if (!leaves) return WB_ERR_INVALID;
    unsigned levels = level_count(n);
    for (unsigned i = 0; i < levels; i++) {
        if (level_reserve(t, i, level_size(n, i)) != WB_OK) {
            ledger_state_tree_free(t);
            return WB_ERR_NOMEM;
        }
    }
    memcpy(t->level[0], leaves, (size_t)n * MERKLE_HASH_LEN);
    for (unsigned i = 0; i + 1 < levels; i++) {
        uint64_t below = level_size(n, i), above = level_size(n, i + 1);
        for (uint64_t j = 0; j < above; j++) {
            if (2 * j + 1 < below)
                merkle_node_hash(t->level[i][2 * j], t->level[i][2 * j + 1], t->level[i + 1][j]);
            else
                memcpy(t->level[i + 1][j], t->level[i][2 * j], MERKLE_HASH_LEN);
        }
    }
    t->count = n;
    t->levels = levels;
    return WB_OK;
}

int ledger_state_tree_leaf(const struct ledger_state_tree *t, uint64_t index,
                           uint8_t out[MERKLE_HASH_LEN])
{
    if (index >= t->count) return WB_ERR_INVALID;
    memcpy(out, t->level[0][index], MERKLE_HASH_LEN);
    return WB_OK;
}

void ledger_state_tree_root(const struct ledger_state_tree *t, uint8_t out[MERKLE_HASH_LEN])
{
    if (t->count == 0) {
        ledger_sha256(NULL, 0, out);
        return;
    }
    memcpy(out, t->level[t->levels - 1][0], MERKLE_HASH_LEN);
}

uint64_t ledger_state_tree_count_after(const struct ledger_state_tree *t,
                                       const struct ledger_leaf_update *u, size_t k)
{
    if (k && u[k - 1].index >= t->count) return u[k - 1].index + 1;
    return t->count;
}

/* Strictly ascending, and every index from the count to the new count
 * present (a strictly ascending batch ending at new_count - 1 covers
 * [count, new_count) exactly when that many of its entries are >= count). */
static bool batch_valid(const struct ledger_state_tree *t, const struct ledger_leaf_update *u,
                        size_t k, uint64_t new_count)
{
    size_t added = 0;
    for (size_t j = 0; j < k; j++) {
        if (j && u[j].index <= u[j - 1].index) return false;
        if (u[j].index >= t->count) added++;
    }
    return added == new_count - t->count;
}

/* Node `index` of level i as the tree was before the batch. */
static const uint8_t *old_node(const struct ledger_state_tree *t, unsigned i, uint64_t index)
{
    WB_ASSERT(i < t->levels && index < level_size(t->count, i));
    return t->level[i][index];
}

/* Walks the batch up level by level, reading the tree as it was, and
 * writes the root of the new tree to `root`; the tree is not changed. */
static int predict(const struct ledger_state_tree *t, const struct ledger_leaf_update *u,
                   size_t k, uint64_t new_count, uint8_t root[MERKLE_HASH_LEN])
{
    struct tree_change *cur = malloc(k * sizeof *cur), *next = malloc(k * sizeof *next);
    if (!cur || !next) {
        free(cur);
        free(next);
        return WB_ERR_NOMEM;
    }
    for (size_t j = 0; j < k; j++) {
        cur[j].index = u[j].index;
        memcpy(cur[j].hash, u[j].hash, MERKLE_HASH_LEN);
    }
    size_t n_cur = k;
    for (unsigned i = 0;; i++) {
        uint64_t size = level_size(new_count, i);
        if (size == 1) {
            /* The top: node 0 changed (it covers every changed leaf). */
            WB_ASSERT(n_cur == 1 && cur[0].index == 0);
            memcpy(root, cur[0].hash, MERKLE_HASH_LEN);
            break;
        }
        size_t n_next = 0;
        for (size_t j = 0; j < n_cur; j++) {
            uint64_t idx = cur[j].index, parent = idx / 2;
            if (n_next && next[n_next - 1].index == parent) continue; /* done with its sibling */
            const uint8_t *left, *right = NULL;
            if (idx % 2 == 0) {
                left = cur[j].hash;
                if (idx + 1 < size)
                    right = (j + 1 < n_cur && cur[j + 1].index == idx + 1) ? cur[j + 1].hash
                                                                        : old_node(t, i, idx + 1);
            } else {
                left = old_node(t, i, idx - 1); /* a changed left sibling came first */
                right = cur[j].hash;
            }
            next[n_next].index = parent;
            if (right) merkle_node_hash(left, right, next[n_next].hash);
            else memcpy(next[n_next].hash, left, MERKLE_HASH_LEN);
            n_next++;
        }
        struct tree_change *swap = cur;
        cur = next;
        next = swap;
        n_cur = n_next;
    }
    free(cur);
    free(next);
    return WB_OK;
}

/* The batch written into the tree (levels and scratch reserved): the
 * leaves first, then level by level the parents of what changed, each
 * hashed from its children as they are now. No allocation. */
static void apply_walk(struct ledger_state_tree *t, const struct ledger_leaf_update *u,
                       size_t k, uint64_t new_count)
{
    uint64_t *idx = t->scratch;
    for (size_t j = 0; j < k; j++) {
        idx[j] = u[j].index;
        memcpy(t->level[0][u[j].index], u[j].hash, MERKLE_HASH_LEN);
    }
    size_t n = k;
    for (unsigned i = 0; level_size(new_count, i) > 1; i++) {
        uint64_t size = level_size(new_count, i);
        size_t m = 0;
        for (size_t j = 0; j < n; j++) {
            uint64_t parent = idx[j] / 2;
            if (m && idx[m - 1] == parent) continue;
            idx[m++] = parent;
        }
        for (size_t j = 0; j < m; j++) {
            uint64_t p = idx[j];
            if (2 * p + 1 < size)
                merkle_node_hash(t->level[i][2 * p], t->level[i][2 * p + 1], t->level[i + 1][p]);
            else
                memcpy(t->level[i + 1][p], t->level[i][2 * p], MERKLE_HASH_LEN);
        }
        n = m;
    }
}

int ledger_state_tree_root_after(const struct ledger_state_tree *t,
                                 const struct ledger_leaf_update *u, size_t k,
                                 uint8_t root[MERKLE_HASH_LEN], uint64_t *count)
{
    if (k && !u) return WB_ERR_INVALID;
    uint64_t new_count = ledger_state_tree_count_after(t, u, k);
    if (!batch_valid(t, u, k, new_count)) return WB_ERR_INVALID;
    if (count) *count = new_count;
    if (k == 0) {
        ledger_state_tree_root(t, root);
        return WB_OK;
    }
    return predict(t, u, k, new_count, root);
}

int ledger_state_tree_reserve(struct ledger_state_tree *t, uint64_t count, size_t batch_max)
{
    unsigned levels = level_count(count);
    if (levels > LEDGER_STATE_TREE_LEVELS_MAX) return WB_ERR_NOMEM;
    for (unsigned i = 0; i < levels; i++)
        if (level_reserve(t, i, level_size(count, i)) != WB_OK) return WB_ERR_NOMEM;
    if (t->scratch_cap < batch_max) {
        if (batch_max > SIZE_MAX / sizeof *t->scratch) return WB_ERR_NOMEM;
        uint64_t *p = realloc(t->scratch, batch_max * sizeof *p);
        if (!p) return WB_ERR_NOMEM;
        t->scratch = p;
        t->scratch_cap = batch_max;
    }
    return WB_OK;
}

int ledger_state_tree_apply(struct ledger_state_tree *t, const struct ledger_leaf_update *u,
                            size_t k)
{
    if (k && !u) return WB_ERR_INVALID;
    uint64_t new_count = ledger_state_tree_count_after(t, u, k);
    if (!batch_valid(t, u, k, new_count)) return WB_ERR_INVALID;
    if (k == 0) return WB_OK;
    if (level_count(new_count) > LEDGER_STATE_TREE_LEVELS_MAX) return WB_ERR_INVALID;
    /* Reserving first keeps the tree unchanged when memory runs out. */
    if (ledger_state_tree_reserve(t, new_count, k) != WB_OK) return WB_ERR_NOMEM;
    apply_walk(t, u, k, new_count);
    t->count = new_count;
    t->levels = level_count(new_count);
    return WB_OK;
}

int ledger_state_tree_path(const struct ledger_state_tree *t, uint64_t index,
                           uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN], size_t *path_len)
{
    if (index >= t->count) return WB_ERR_INVALID;
    size_t len = 0;
    for (unsigned i = 0; i + 1 < t->levels; i++) {
        uint64_t sibling = index ^ 1;
        if (sibling < level_size(t->count, i)) {
            if (len == MERKLE_PATH_MAX) return WB_ERR_INVALID;
            memcpy(path[len++], t->level[i][sibling], MERKLE_HASH_LEN);
        }
        index /= 2;
    }
    *path_len = len;
    return WB_OK;
}
