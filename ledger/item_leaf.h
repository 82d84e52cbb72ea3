/* The item-state leaf: the fixed-width record of one item's state after a
 * block that the item-state tree (state_tree.h) commits to, one per item in
 * registration order. Its exact bytes are in docs/formats.md, "Item-state
 * leaf": 128 bytes, big-endian integers, no optional parts, so that two
 * implementations agree on it byte for byte.
 *
 * A verifier holding a leaf and its audit path under a certified root learns
 * the item's latest event, how many events it has, at which height the
 * latest was committed, who held it and whether customs held it, as of that
 * root's height; with the item's events it can check that it has them all. */
#ifndef LEDGER_ITEM_LEAF_H
#define LEDGER_ITEM_LEAF_H

#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/merkle.h"
#include "ledger/types.h"

#define LEDGER_ITEM_LEAF_LEN 128
#define LEDGER_ITEM_LEAF_VERSION 1

struct ledger_item_leaf {
    uint8_t item_hash[WB_HASH_LEN];      /* SHA-256 of the item id's bytes */
    uint64_t reg_index;                  /* registration order, from 0 */
    uint8_t head[WB_HASH_LEN];           /* id of the item's latest event */
    uint32_t count;                      /* its events, >= 1 */
    uint64_t head_height;                /* height of the block that holds the head */
    uint64_t first_height;               /* height of the block that registered it */
    uint8_t custodian_hash[WB_HASH_LEN]; /* SHA-256 of the custodian's name */
    enum ledger_item_status status;      /* active, in transfer or delivered */
    enum ledger_customs customs;
    enum ledger_movement movement;
};

/* SHA-256 of an item id or organisation name (its bytes, no terminator). */
void ledger_item_leaf_name_hash(const char *name, uint8_t out[WB_HASH_LEN]);

/* The leaf of item state `st` registered as number `reg_index`. */
void ledger_item_leaf_from_state(const struct ledger_item_state *st, uint64_t reg_index,
                                 struct ledger_item_leaf *out);

void ledger_item_leaf_encode(const struct ledger_item_leaf *leaf,
                             uint8_t out[LEDGER_ITEM_LEAF_LEN]);

/* Decodes exactly LEDGER_ITEM_LEAF_LEN bytes. WB_ERR_INVALID (with a reason
 * in msg) for another length, an unknown version, a count of 0, a first
 * height of 0, a head height below the first height, or a status, customs
 * or movement value outside its range. */
WB_MUST_USE int ledger_item_leaf_decode(const uint8_t *buf, size_t len,
                                        struct ledger_item_leaf *out, char *msg, size_t msg_len);

/* The tree's leaf hash: merkle_leaf_hash of the 128 encoded bytes. */
void ledger_item_leaf_hash(const struct ledger_item_leaf *leaf, uint8_t out[MERKLE_HASH_LEN]);

#endif
