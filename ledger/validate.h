/* Block validity: the deterministic function of (committed state, block)
 * that consensus asks about, plus the one local clock check. */
#ifndef LEDGER_VALIDATE_H
#define LEDGER_VALIDATE_H

#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/genesis.h"
#include "ledger/gov.h"
#include "ledger/state_tree.h"

/* Looks up an item's committed state (before this block). Returns 0 and
 * fills *st, or WB_ERR_NOT_FOUND (the item is new: *st untouched), or another
 * error (which makes the block invalid to this node only: an I/O failure). */
typedef int (*ledger_state_lookup_fn)(void *ctx, const char *item,
                                      struct ledger_item_state *st);

/* Says whether this node already verified the signature of exactly these
 * SignedEvent bytes (its mempool did). The id alone is not enough: it hashes
 * the body only, so a copy of a known body with a forged signature must not
 * pass as known. May be NULL: every signature is then checked. */
typedef bool (*ledger_sig_known_fn)(void *ctx, const uint8_t id[WB_HASH_LEN],
                                    const uint8_t *signed_event, size_t len);

struct ledger_block_ctx {
    const struct ledger_genesis *genesis;
    uint64_t height;                      /* the height this block must have */
    uint8_t prev_hash[WB_HASH_LEN];       /* hash of block height-1, zeros for 1 */
    int64_t prev_time_ms;                 /* time of block height-1 (genesis time for 1) */
    int64_t now_ms;                       /* local clock */
    int64_t drift_max_ms;                 /* block time may be at most this ahead of now */
    uint32_t events_max;
    size_t validator_count;               /* validators of this height; 0 = the genesis's count */
    /* Items registered before this block: a new item's registration index
     * counts on from here (from tree->count when a tree is given). */
    uint64_t item_count;
    /* The item-state tree as of height - 1 (ledger/state_tree.h), or NULL.
     * Required when the genesis has header version 2: the check then
     * computes the tree's root and count after the block and compares them
     * with the header's, unless state_unset (the proposer's own block,
     * whose header is filled in from the result). */
    const struct ledger_state_tree *tree;
    bool state_unset;
    /* The governance state after block height - 1 (ledger/gov.h), or NULL:
     * governance events are then refused. bc->genesis is its view. Events
     * on the governance chain are checked with ledger_gov_check and applied
     * to a copy, in block order; every event's submitter key is checked
     * with ledger_gov_key_refusal (a revoked key, a removed organisation). */
    const struct ledger_gov *gov;
    ledger_state_lookup_fn lookup;
    ledger_sig_known_fn sig_known;
    void *ctx;
};

/* Checks a decoded block: version, chain id, height, prev hash, time
 * (> prev_time_ms and <= now_ms + drift_max_ms), proposer index in range,
 * event count limit, no duplicate event ids, each event decodes, signature
 * (unless sig_known), and the rules applied in block order (events of one
 * item inside one block follow each other) with the block's time as the
 * time rules' reference. Returns 0 or WB_ERR_INVALID with
 * a reason in msg naming the event index where one is at fault.
 * If states_out is not NULL, it receives the resulting item states, one per
 * distinct item touched, in first-touch order (*states_n of them; caller
 * frees *states_out). */
WB_MUST_USE int ledger_block_check(const struct ledger_block_ctx *bc, const struct ledger_block *b,
                                   struct ledger_item_state **states_out, size_t *states_n,
                                   char *msg, size_t msg_len);

/* What checking a valid block learnt about it, kept so that the steps after
 * the check (storage, the mempool, answering clients) need not decode or
 * hash its events again. All arrays are malloc'd and owned by the struct
 * (NULL when the block has no events); free with ledger_block_result_free. */
struct ledger_block_result {
    struct ledger_item_state *states;     /* resulting item states, first-touch order */
    size_t state_count;
    uint8_t (*ids)[WB_HASH_LEN];          /* ids[i] = SHA-256(body of event i) */
    uint32_t *state_of;                   /* event i is of item states[state_of[i]] */
    size_t event_count;                   /* = b->event_count */
    /* With a tree in the context: the leaf of every state, ascending by
     * registration index (a batch for ledger_state_tree_apply), and the
     * tree's root after the block. item_count, with a tree or without: the
     * items registered after the block. */
    struct ledger_leaf_update *leaves;
    size_t leaf_count;
    uint8_t state_root[WB_HASH_LEN];
    uint64_t item_count;
    /* The block has governance events: the governance state after it
     * (malloc'd; ledger_block_result_free frees it). NULL otherwise: the
     * state is bc->gov's, advanced to this block (ledger_gov_advance). */
    struct ledger_gov *gov_after;
};

/* ledger_block_check that also hands out the per-event results: on 0, *out
 * holds the states as ledger_block_check gives them, every event's id and
 * the index of its item's state. On any error *out is zeroed (nothing to
 * free). Returns what ledger_block_check returns. */
WB_MUST_USE int ledger_block_check_full(const struct ledger_block_ctx *bc,
                                        const struct ledger_block *b,
                                        struct ledger_block_result *out, char *msg, size_t msg_len);

/* Frees what r holds and zeroes it. NULL and a zeroed struct are no-ops. */
void ledger_block_result_free(struct ledger_block_result *r);

#endif
