/* Checked blocks this node holds for a height not yet decided: every block
 * it validated for the consensus core, and the block it built itself, kept
 * with what the check learnt until that height is decided, so that the
 * decision takes the checked block to the commit path without a second
 * check. Written only by vcache.c; the driver owns one. */
#ifndef NODE_DRIVER_VCACHE_H
#define NODE_DRIVER_VCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/chain/check.h"

#define NODE_VCACHE 4 /* checked blocks kept until decided */

struct node_vcache_entry {
    bool used;
    uint64_t height;
    uint8_t hash[WB_HASH_LEN];
    struct node_checked checked;
};

struct node_vcache {
    struct node_vcache_entry entries[NODE_VCACHE];
    size_t next;                      /* the entry replaced next when none is free */
};

/* Keeps cb (takes it over: *cb is zeroed) as the block (height, hash). It
 * replaces an entry of the same (height, hash), else takes a free one; when
 * none is free (four blocks of one height, proposals of different rounds),
 * one is replaced round-robin, and should it be decided after all, its
 * decision checks it again. */
void node_vcache_put(struct node_vcache *vc, uint64_t height, const uint8_t hash[WB_HASH_LEN],
                     struct node_checked *cb);

/* Takes the block (height, hash) out: on true *out owns it (the caller
 * frees it with node_checked_free) and its entry is free again. */
bool node_vcache_take(struct node_vcache *vc, uint64_t height, const uint8_t hash[WB_HASH_LEN],
                      struct node_checked *out);

/* Frees the blocks of heights up to `height` (they can no longer be decided). */
void node_vcache_drop_upto(struct node_vcache *vc, uint64_t height);

/* Frees every block. */
void node_vcache_clear(struct node_vcache *vc);

#endif
