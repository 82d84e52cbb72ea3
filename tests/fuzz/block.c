/* Fuzz target: Block bytes through ledger_block_decode (accepted bytes
 * and their header decode and re-encode to themselves), then
 * ledger_block_check as block 1 of the fixed chain over an empty state
 * (every item new), with and without the resulting item states.
 *
 * The first input byte picks the chain: bit 0 its header version (0: the
 * genesis of version 1, 1: of version 2, checked against an item-state
 * tree), bits 1-2 how many items were registered before the block (0 to 3:
 * the tree's leaves, or the context's item count in version 1). The rest is
 * the block. On the version 2 chain a block that passes keeps what its
 * header promises: ledger_block_check_full's leaves are strictly ascending,
 * one per item state, the new items numbered on from the tree, and the root
 * over the tree's leaves and them (merkle_root over a plain array) is the
 * header's state root, their count its item count; the check with
 * state_unset (the proposer's) computes the same root and passes exactly
 * when the checked one does or differs only in the state fields. Every
 * block is also checked on the other chain: a header of one version is
 * refused on the chain of the other. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "fuzz_fixture.h"
#include "ledger/block.h"
#include "ledger/item_leaf.h"
#include "ledger/merkle.h"
#include "ledger/state_tree.h"
#include "ledger/validate.h"
#include "proto/waybill.pb-c.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PRIOR_MAX 3

static struct fx fixture;
/* trees[k]: the item-state tree of k items registered before the block. */
static struct ledger_state_tree trees[PRIOR_MAX + 1];
static uint8_t prior_leaves[PRIOR_MAX][MERKLE_HASH_LEN];

static void fail(const char *what, const char *msg)
{
    fprintf(stderr, "block target: %s (%s)\n", what, msg);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fx_init(&fixture);
    for (int i = 0; i < PRIOR_MAX; i++) {
        uint8_t b = (uint8_t)(0xe0 + i);
        merkle_leaf_hash(&b, 1, prior_leaves[i]);
    }
    for (int k = 0; k <= PRIOR_MAX; k++) {
        ledger_state_tree_init(&trees[k]);
        if (ledger_state_tree_build(&trees[k], (const uint8_t(*)[MERKLE_HASH_LEN])prior_leaves,
                                    (uint64_t)k) != WB_OK)
            fail("cannot build the prior tree", "");
    }
    return 0;
}

static int empty_state(void *ctx, const char *item, struct ledger_item_state *st)
{
    (void)ctx;
    (void)st;
    if (strlen(item) > WB_ITEM_MAX) fail("lookup of an item id over the limit", item);
    return WB_ERR_NOT_FOUND;
}

static void context(uint32_t version, unsigned prior, struct ledger_block_ctx *bc)
{
    memset(bc, 0, sizeof *bc);
    bc->genesis = fx_genesis(&fixture, version);
    bc->height = FX_BLOCK_HEIGHT;
    bc->prev_time_ms = FX_GENESIS_MS;
    bc->now_ms = FX_NOW_MS;
    bc->drift_max_ms = FX_DRIFT_MS;
    bc->events_max = FX_EVENTS_MAX;
    bc->lookup = empty_state;
    if (version == WB_BLOCK_VERSION_STATE)
        bc->tree = &trees[prior];
    else
        bc->item_count = prior;
}

/* What ledger_block_check's item states promise for a block of new items. */
static void check_states(const struct ledger_item_state *states, size_t n, const struct ledger_block *b,
                         unsigned prior)
{
    if (n > b->event_count) fail("more item states than events", "");
    for (size_t i = 0; i < n; i++) {
        if (strlen(states[i].item) == 0 || strlen(states[i].item) > WB_ITEM_MAX)
            fail("item state without a valid item", "");
        if (states[i].count == 0 || states[i].last_height != FX_BLOCK_HEIGHT ||
            states[i].first_height != FX_BLOCK_HEIGHT)
            fail("item state not advanced by the block", states[i].item);
        /* Every item is new: numbered on from the items before, in first-touch order. */
        if (states[i].reg_index != prior + i) fail("registration index out of order", states[i].item);
    }
}

/* What a version 2 block that passed promises about the state after it. */
static void check_v2_result(const struct ledger_block *b, const struct ledger_block_result *r,
                            unsigned prior)
{
    const struct ledger_block_header *h = &b->header;
    if (h->version != WB_BLOCK_VERSION_STATE || !h->has_state)
        fail("a block passed on the version 2 chain without a version 2 header", "");
    if (r->leaf_count != r->state_count) fail("leaves and item states differ in number", "");
    if (r->leaf_count && !r->leaves) fail("leaves counted but not handed out", "");
    for (size_t j = 1; j < r->leaf_count; j++)
        if (r->leaves[j].index <= r->leaves[j - 1].index) fail("leaves not strictly ascending", "");
    /* One leaf per state, at its registration index, the hash of its leaf. */
    uint8_t (*all)[MERKLE_HASH_LEN] = malloc((prior + r->leaf_count + 1) * MERKLE_HASH_LEN);
    if (!all) fail("out of memory", "");
    memcpy(all, prior_leaves, prior * MERKLE_HASH_LEN);
    for (size_t i = 0; i < r->state_count; i++) {
        const struct ledger_item_state *st = &r->states[i];
        size_t j = 0;
        while (j < r->leaf_count && r->leaves[j].index != st->reg_index) j++;
        if (j == r->leaf_count) fail("an item state without its leaf", st->item);
        struct ledger_item_leaf leaf;
        ledger_item_leaf_from_state(st, st->reg_index, &leaf);
        uint8_t hash[MERKLE_HASH_LEN];
        ledger_item_leaf_hash(&leaf, hash);
        if (memcmp(hash, r->leaves[j].hash, MERKLE_HASH_LEN) != 0)
            fail("a leaf is not its item state's", st->item);
        if (st->reg_index < prior || st->reg_index >= prior + r->leaf_count)
            fail("a new item's registration index outside the new range", st->item);
        memcpy(all[st->reg_index], hash, MERKLE_HASH_LEN);
    }
    uint64_t count = prior + r->leaf_count;
    uint8_t root[MERKLE_HASH_LEN];
    if (merkle_root((const uint8_t(*)[MERKLE_HASH_LEN])all, (size_t)count, root) != WB_OK)
        fail("out of memory", "");
    free(all);
    if (memcmp(root, h->state_root, WB_HASH_LEN) != 0 || memcmp(root, r->state_root, WB_HASH_LEN))
        fail("the header's state root is not the root over the leaves", "");
    if (h->item_count != count || r->item_count != count)
        fail("the header's item count is not the leaves'", "");
    uint8_t after[MERKLE_HASH_LEN];
    uint64_t count_after;
    if (ledger_state_tree_root_after(&trees[prior], r->leaves, r->leaf_count, after,
                                     &count_after) != WB_OK ||
        memcmp(after, root, WB_HASH_LEN) != 0 || count_after != count)
        fail("root_after of the leaves is not the header's state root", "");
}

/* Field by field (the structs' padding and the bytes after a string's end
 * are nobody's promise). */
static bool same_states(const struct ledger_item_state *a, const struct ledger_item_state *b,
                        size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].item, b[i].item) != 0 || memcmp(a[i].head, b[i].head, WB_HASH_LEN) != 0 ||
            strcmp(a[i].custodian, b[i].custodian) != 0 || a[i].status != b[i].status ||
            a[i].customs != b[i].customs || a[i].movement != b[i].movement ||
            strcmp(a[i].transfer_to, b[i].transfer_to) != 0 || strcmp(a[i].seal, b[i].seal) != 0 ||
            strcmp(a[i].location, b[i].location) != 0 || a[i].count != b[i].count ||
            a[i].first_height != b[i].first_height || a[i].last_height != b[i].last_height ||
            a[i].reg_index != b[i].reg_index ||
            a[i].commission_time_ms != b[i].commission_time_ms ||
            a[i].latest_time_ms != b[i].latest_time_ms)
            return false;
    return true;
}

/* The checks of one block on the chain of `version`; returns the verdict. */
static int check_on(const struct ledger_block *b, uint32_t version, unsigned prior)
{
    struct ledger_block_ctx bc;
    context(version, prior, &bc);
    uint8_t root_before[MERKLE_HASH_LEN];
    ledger_state_tree_root(&trees[prior], root_before);

    char msg[512] = "";
    struct ledger_item_state *states = NULL;
    size_t n_states = 0;
    int rc = ledger_block_check(&bc, b, &states, &n_states, msg, sizeof msg);
    if (rc == WB_OK) {
        check_states(states, n_states, b, prior);
        if (b->header.version != version) fail("a header of the other version passed", "");
    } else if (rc == WB_ERR_INVALID) {
        if (!msg[0]) fail("invalid block without a reason", "");
        if (states || n_states) fail("states handed out for an invalid block", msg);
        if (b->header.version != version && strncmp(msg, "block header version ", 21) != 0)
            fail("a header of the other version refused for another reason", msg);
    } else if (rc != WB_ERR_NOMEM) {
        fail("check: unexpected code", wb_strerror(rc));
    }

    /* The same check without states_out must agree. */
    char msg2[512] = "";
    int rc2 = ledger_block_check(&bc, b, NULL, NULL, msg2, sizeof msg2);
    if (rc2 != rc || strcmp(msg, msg2) != 0) fail("check differs without states_out", msg2);

    /* And ledger_block_check_full, which hands out the rest. */
    struct ledger_block_result r;
    char msg3[512] = "";
    int rc3 = ledger_block_check_full(&bc, b, &r, msg3, sizeof msg3);
    if (rc3 != rc || strcmp(msg, msg3) != 0) fail("check_full differs from check", msg3);
    if (rc3 == WB_OK) {
        if (r.state_count != n_states || !same_states(r.states, states, n_states))
            fail("check_full's states differ from check's", "");
        if (r.event_count != b->event_count || (b->event_count && (!r.ids || !r.state_of)))
            fail("check_full without every event's id and state", "");
        for (size_t i = 0; i < r.event_count; i++)
            if (r.state_of[i] >= r.state_count) fail("event of no item state", "");
        if (version == WB_BLOCK_VERSION_STATE) check_v2_result(b, &r, prior);
    } else {
        struct ledger_block_result zero;
        memset(&zero, 0, sizeof zero);
        if (memcmp(&r, &zero, sizeof r) != 0) fail("check_full left a result on failure", msg3);
    }

    if (version == WB_BLOCK_VERSION_STATE && b->header.version == WB_BLOCK_VERSION_STATE) {
        /* As the proposer checks its own block before the header carries the
         * state: the same root is computed, and the verdict is the checked
         * one's unless only the state fields differ. */
        bc.state_unset = true;
        struct ledger_block_result u;
        char msg4[512] = "";
        int rc4 = ledger_block_check_full(&bc, b, &u, msg4, sizeof msg4);
        if (rc == WB_OK && rc4 != WB_OK) fail("the proposer's check refuses a valid block", msg4);
        if (rc4 == WB_OK) {
            bool match = memcmp(u.state_root, b->header.state_root, WB_HASH_LEN) == 0 &&
                         u.item_count == b->header.item_count;
            if (rc == WB_OK && !match) fail("the proposer's check computes another root", "");
            if (rc == WB_ERR_INVALID && match)
                fail("a block whose state fields match refused only when checked", msg);
            if (rc == WB_ERR_INVALID && strncmp(msg, "block header ", 13) != 0)
                fail("a block refused for other than its state fields", msg);
        } else if (rc4 == WB_ERR_INVALID && rc == WB_ERR_INVALID && strcmp(msg, msg4) != 0) {
            fail("the proposer's check refuses for another reason", msg4);
        }
        ledger_block_result_free(&u);
    }
    ledger_block_result_free(&r);
    free(states);

    uint8_t root_after[MERKLE_HASH_LEN];
    ledger_state_tree_root(&trees[prior], root_after);
    if (memcmp(root_before, root_after, MERKLE_HASH_LEN) != 0 || trees[prior].count != prior)
        fail("the check changed the tree", "");
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    uint32_t version = (data[0] & 1) ? WB_BLOCK_VERSION_STATE : WB_BLOCK_VERSION;
    unsigned prior = (data[0] >> 1) & PRIOR_MAX;
    data++;
    size--;

    struct ledger_block b;
    int rc = ledger_block_decode(data, size, &b);
    if (rc) {
        if (rc != WB_ERR_DECODE && rc != WB_ERR_NOMEM) fail("decode: unexpected code", "");
        return 0;
    }
    if (b.event_count != b.header.event_count) fail("event count differs from header", "");
    if (ledger_header_check_version(&b.header, b.header.version, NULL, 0) != WB_OK)
        fail("decoded a header that is not of its own version", "");
    fx_assert_canonical(&waybill__block__descriptor, data, size, "block");
    fx_assert_canonical(&waybill__block_header__descriptor, b.header_bytes, b.header_len,
                        "block header");
    uint8_t hash[WB_HASH_LEN];
    ledger_sha256(b.header_bytes, b.header_len, hash);
    if (memcmp(hash, b.hash, WB_HASH_LEN) != 0) fail("block hash is not the header hash", "");
    for (size_t i = 0; i < b.event_count; i++)
        if (!b.events[i] && b.lens[i]) fail("event without bytes", "");

    int rc_this = check_on(&b, version, prior);
    uint32_t other = version == WB_BLOCK_VERSION ? WB_BLOCK_VERSION_STATE : WB_BLOCK_VERSION;
    int rc_other = check_on(&b, other, prior);
    if (rc_this == WB_OK && rc_other == WB_OK) fail("a block valid on both chains", "");
    ledger_block_free(&b);
    return 0;
}
