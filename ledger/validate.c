/* Block validity: header fields against the chain, then every event opened
 * and run through the custody rules in block order over a per-block overlay
 * of item states. */
#include "ledger/validate.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/event.h"
#include "ledger/item_leaf.h"
#include "ledger/rules.h"

#define VALIDATE_REASON_MAX 384

/* Open-addressing index (slot = position + 1, 0 = empty). Hashes are
 * SipHash keyed with the block's own hash, which the proposer cannot know
 * before choosing the events, so it cannot grind colliding ids or items. */
struct index_table {
    uint32_t *slot;
    size_t mask;
    uint8_t key[crypto_shorthash_KEYBYTES];
};

static int table_init(struct index_table *t, size_t n, const uint8_t block_hash[WB_HASH_LEN])
{
    size_t cap = 16;
    while (cap < 2 * n) cap <<= 1;
    t->slot = calloc(cap, sizeof *t->slot);
    if (!t->slot) return WB_ERR_NOMEM;
    t->mask = cap - 1;
    memcpy(t->key, block_hash, sizeof t->key);
    return WB_OK;
}

static void table_free(struct index_table *t)
{
    free(t->slot);
    t->slot = NULL;
}

static size_t table_hash(const struct index_table *t, const void *data, size_t len)
{
    uint8_t h[crypto_shorthash_BYTES];
    int rc = crypto_shorthash(h, data, len, t->key);
    WB_ASSERT(rc == 0);
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof h; i++) v = v << 8 | h[i];
    return (size_t)v;
}

/* The overlay: item states as this block leaves them, in first-touch order. */
struct overlay {
    struct index_table index;
    struct ledger_item_state *states;
    size_t n, cap;
};

/* Returns the position of `item` in the overlay, or -1 with *slot_out the
 * free slot where it belongs. */
static long overlay_find(const struct overlay *o, const char *item, size_t *slot_out)
{
    size_t s = table_hash(&o->index, item, strlen(item)) & o->index.mask;
    for (;; s = (s + 1) & o->index.mask) {
        uint32_t v = o->index.slot[s];
        if (v == 0) break;
        if (strcmp(o->states[v - 1].item, item) == 0) return (long)(v - 1);
    }
    *slot_out = s;
    return -1;
}

static int overlay_add(struct overlay *o, size_t slot, const struct ledger_item_state *st,
                       size_t *pos)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 16;
        struct ledger_item_state *p = realloc(o->states, cap * sizeof *p);
        if (!p) return WB_ERR_NOMEM;
        o->states = p;
        o->cap = cap;
    }
    o->states[o->n] = *st;
    o->index.slot[slot] = (uint32_t)(o->n + 1);
    *pos = o->n++;
    return WB_OK;
}

/* Records `id` of event i; returns the index of an earlier event with the
 * same id, or -1. */
static long ids_insert(struct index_table *t, uint8_t (*ids)[WB_HASH_LEN], size_t i)
{
    size_t s = table_hash(t, ids[i], WB_HASH_LEN) & t->mask;
    for (;; s = (s + 1) & t->mask) {
        uint32_t v = t->slot[s];
        if (v == 0) break;
        if (memcmp(ids[v - 1], ids[i], WB_HASH_LEN) == 0) return (long)(v - 1);
    }
    t->slot[s] = (uint32_t)(i + 1);
    return -1;
}

static int check_header(const struct ledger_block_ctx *bc, const struct ledger_block *b,
                        char *msg, size_t msg_len)
{
    const struct ledger_block_header *h = &b->header;
    const struct ledger_genesis *g = bc->genesis;
    char a[17], c[17];
    char why[96];
    if (ledger_header_check_version(h, g->header_version, why, sizeof why))
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "block %s", why);
    if (h->version == WB_BLOCK_VERSION_STATE && !bc->tree)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "no item-state tree to check a version %u block against",
                        (unsigned)h->version);
    if (memcmp(h->chain_id, g->chain_id, WB_CHAIN_ID_LEN) != 0)
        return wb_failf(
            WB_ERR_INVALID, msg, msg_len, "block is for chain %s..., this chain is %s...",
            wb_hex_encode(h->chain_id, 8, a, sizeof a), wb_hex_encode(g->chain_id, 8, c, sizeof c));
    if (h->height != bc->height)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "block height %llu, expected %llu",
                        (unsigned long long)h->height, (unsigned long long)bc->height);
    if (memcmp(h->prev_hash, bc->prev_hash, WB_HASH_LEN) != 0)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "block prev hash %s... does not match block %llu's hash %s...",
                        wb_hex_encode(h->prev_hash, 8, a, sizeof a),
                        (unsigned long long)(bc->height - 1),
                        wb_hex_encode(bc->prev_hash, 8, c, sizeof c));
    if (h->time_ms <= bc->prev_time_ms)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "block time %lld ms is not after the previous block's time %lld ms",
                        (long long)h->time_ms, (long long)bc->prev_time_ms);
    uint64_t drift = bc->drift_max_ms > 0 ? (uint64_t)bc->drift_max_ms : 0;
    if (h->time_ms > bc->now_ms && (uint64_t)h->time_ms - (uint64_t)bc->now_ms > drift)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "block time %lld ms is %llu ms ahead of the local clock; at most %llu "
                        "ms allowed",
                        (long long)h->time_ms,
                        (unsigned long long)((uint64_t)h->time_ms - (uint64_t)bc->now_ms),
                        (unsigned long long)drift);
    size_t validators = bc->validator_count ? bc->validator_count : g->validator_count;
    if (h->proposer >= validators)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "block proposer %u is not a validator index (%zu "
                        "validators)",
                        (unsigned)h->proposer, validators);
    if (b->event_count != h->event_count)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "block carries %zu events but its header says %u", b->event_count,
                        (unsigned)h->event_count);
    if (b->event_count > bc->events_max)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "block carries %zu events, the limit is %u",
                        b->event_count, (unsigned)bc->events_max);
    if (g->block_events_max && b->event_count > g->block_events_max)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "block carries %zu events, the chain's limit is %u (block_events_max)",
                        b->event_count, (unsigned)g->block_events_max);
    return WB_OK;
}

static int leaf_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct ledger_leaf_update *)a)->index;
    uint64_t y = ((const struct ledger_leaf_update *)b)->index;
    return x < y ? -1 : x > y;
}

/* The item-state tree after the block: the leaves of the block's states as
 * a batch, the root and count they give, compared with a version 2
 * header's (unless it is not filled in yet); kept in `out` when given. */
static int check_state(const struct ledger_block_ctx *bc, const struct ledger_block *b,
                       const struct overlay *ov, struct ledger_block_result *out, char *msg,
                       size_t msg_len)
{
    struct ledger_leaf_update *leaves = ov->n ? malloc(ov->n * sizeof *leaves) : NULL;
    if (ov->n && !leaves) return WB_ERR_NOMEM;
    for (size_t j = 0; j < ov->n; j++) {
        struct ledger_item_leaf leaf;
        ledger_item_leaf_from_state(&ov->states[j], ov->states[j].reg_index, &leaf);
        leaves[j].index = ov->states[j].reg_index;
        ledger_item_leaf_hash(&leaf, leaves[j].hash);
    }
    if (ov->n > 1) qsort(leaves, ov->n, sizeof *leaves, leaf_cmp);
    uint8_t root[WB_HASH_LEN];
    uint64_t count;
    int rc = ledger_state_tree_root_after(bc->tree, leaves, ov->n, root, &count);
    if (rc) {
        free(leaves);
        /* The states come from the store and this check: a batch the tree
         * refuses means they disagree with it. */
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "the block's item states do not fit the item-state tree (%llu items): %s",
                        (unsigned long long)bc->tree->count, wb_strerror(rc));
    }
    const struct ledger_block_header *h = &b->header;
    if (h->version == WB_BLOCK_VERSION_STATE && !bc->state_unset) {
        char a[17], c[17];
        if (h->item_count != count) {
            free(leaves);
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "block header counts %llu items, the block leaves %llu",
                            (unsigned long long)h->item_count, (unsigned long long)count);
        }
        if (memcmp(h->state_root, root, WB_HASH_LEN) != 0) {
            free(leaves);
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "block header state root %s... is not the item-state root %s... "
                            "after the block",
                            wb_hex_encode(h->state_root, 8, a, sizeof a),
                            wb_hex_encode(root, 8, c, sizeof c));
        }
    }
    if (!out) {
        free(leaves);
        return WB_OK;
    }
    out->leaves = leaves;
    out->leaf_count = ov->n;
    memcpy(out->state_root, root, WB_HASH_LEN);
    out->item_count = count;
    return WB_OK;
}

/* The check itself. With `out`, the per-event results are handed out in it
 * (and the states with them); without, only the states when states_out is
 * given. */
static int block_check(const struct ledger_block_ctx *bc, const struct ledger_block *b,
                       struct ledger_block_result *out, struct ledger_item_state **states_out,
                       size_t *states_n, char *msg, size_t msg_len)
{
    int rc = check_header(bc, b, msg, msg_len);
    if (rc) return rc;

    const struct ledger_genesis *g = bc->genesis;
    size_t n = b->event_count;
    struct overlay ov = {0};
    struct index_table id_index = {0};
    uint8_t (*ids)[WB_HASH_LEN] = NULL;
    uint32_t *state_of = NULL;
    /* The governance state after this block's governance events so far:
     * made from bc->gov at the first of them. */
    struct ledger_gov *gov_after = NULL;
    struct ledger_event *ev = malloc(sizeof *ev);
    if (!ev) return WB_ERR_NOMEM;
    rc = WB_ERR_NOMEM;
    if (n > 0) {
        ids = malloc(n * sizeof *ids);
        if (!ids) goto free_all;
        if (out) {
            state_of = malloc(n * sizeof *state_of);
            if (!state_of) goto free_all;
        }
    }
    if (table_init(&id_index, n, b->hash) || table_init(&ov.index, n, b->hash)) goto free_all;

    uint64_t reg_next = bc->tree ? bc->tree->count : bc->item_count;
    char reason[VALIDATE_REASON_MAX], idh[9];
    for (size_t i = 0; i < n; i++) {
        const uint8_t *body;
        size_t body_len;
        uint8_t sig[WB_SIG_LEN];
        if (ledger_signed_event_split(b->events[i], b->lens[i], &body, &body_len, sig)) {
            rc = wb_failf(WB_ERR_INVALID, msg, msg_len,
                          "event %zu: not a signed event (does not decode)", i);
            goto free_all;
        }
        reason[0] = '\0';
        int drc = ledger_event_decode(body, body_len, ev, reason, sizeof reason);
        if (drc) {
            rc = wb_failf(WB_ERR_INVALID, msg, msg_len, "event %zu: %s", i,
                          reason[0] ? reason : wb_strerror(drc));
            goto free_all;
        }
        const char *act = ledger_action_name(ev->action);
        wb_hex_encode(ev->id, 4, idh, sizeof idh);
        memcpy(ids[i], ev->id, WB_HASH_LEN);
        long dup = ids_insert(&id_index, ids, i);
        if (dup >= 0) {
            rc = wb_failf(WB_ERR_INVALID, msg, msg_len,
                          "event %zu (%s, %s): duplicate of event %ld", i, idh, act, dup);
            goto free_all;
        }
        if (!bc->sig_known || !bc->sig_known(bc->ctx, ev->id, b->events[i], b->lens[i])) {
            if (wb_event_sig_verify(g->chain_id, body, body_len, ev->submitter, sig)) {
                rc = wb_failf(WB_ERR_INVALID, msg, msg_len,
                              "event %zu (%s, %s): signature does not verify against its "
                              "submitter key",
                              i, idh, act);
                goto free_all;
            }
        }

        if (bc->gov && ledger_gov_key_refusal(bc->gov, ev->submitter, reason, sizeof reason)) {
            rc = wb_failf(WB_ERR_INVALID, msg, msg_len, "event %zu (%s, %s): %s", i, idh, act,
                          reason);
            goto free_all;
        }
        bool gov_event = ledger_action_is_gov(ev->action);
        if (gov_event && !bc->gov) {
            rc = wb_failf(WB_ERR_INVALID, msg, msg_len,
                          "event %zu (%s, %s): governance events need the governance state, "
                          "which this check was not given",
                          i, idh, act);
            goto free_all;
        }

        size_t slot, pos;
        long found = overlay_find(&ov, ev->item, &slot);
        if (found >= 0) {
            pos = (size_t)found;
        } else {
            struct ledger_item_state st;
            memset(&st, 0, sizeof st);
            int lrc = bc->lookup ? bc->lookup(bc->ctx, ev->item, &st) : WB_ERR_NOT_FOUND;
            if (lrc == WB_ERR_NOT_FOUND) {
                /* A new item: registered after every item before it, in
                 * the order of first events in the block. */
                memset(&st, 0, sizeof st);
                st.reg_index = reg_next++;
            } else if (lrc) {
                rc = wb_failf(WB_ERR_INVALID, msg, msg_len,
                              "event %zu (%s, %s): cannot read the state of item %s: %s", i, idh,
                              act, ev->item, wb_strerror(lrc));
                goto free_all;
            }
            if (overlay_add(&ov, slot, &st, &pos)) {
                rc = WB_ERR_NOMEM;
                goto free_all;
            }
        }
        /* The time rules judge against the block's own time: the same on
         * every node, whenever the block is checked. */
        if (ledger_rules_check(&ov.states[pos], ev, g, bc->gov, b->header.time_ms, reason, sizeof reason,
                               NULL)) {
            rc = wb_failf(WB_ERR_INVALID, msg, msg_len, "event %zu (%s, %s): %s", i, idh, act,
                          reason);
            goto free_all;
        }
        if (gov_event) {
            /* Governance events change the state for the next block's
             * events: item events of this block are judged by g, and
             * the governance events by the state they leave, in order. */
            if (!gov_after) {
                gov_after = malloc(sizeof *gov_after);
                if (!gov_after) {
                    rc = WB_ERR_NOMEM;
                    goto free_all;
                }
                if (ledger_gov_clone(gov_after, bc->gov)) {
                    free(gov_after);
                    gov_after = NULL;
                    rc = WB_ERR_NOMEM;
                    goto free_all;
                }
            }
            int grc = ledger_gov_check(gov_after, ev, bc->height, b->header.time_ms, reason,
                                       sizeof reason);
            if (grc == WB_ERR_RULE) {
                rc = wb_failf(WB_ERR_INVALID, msg, msg_len, "event %zu (%s, %s): %s", i, idh,
                              act, reason);
                goto free_all;
            }
            if (grc) {
                rc = grc;
                goto free_all;
            }
            rc = ledger_gov_apply(gov_after, ev, bc->height, b->header.time_ms, NULL);
            if (rc) goto free_all;
        }
        ledger_rules_apply(&ov.states[pos], ev, g, bc->height);
        if (state_of) state_of[i] = (uint32_t)pos;
    }
    if (gov_after) ledger_gov_advance(gov_after, bc->height, b->header.time_ms);

    if (bc->tree) {
        rc = check_state(bc, b, &ov, out, msg, msg_len);
        if (rc) goto free_all;
    } else if (out) {
        out->item_count = reg_next;
    }
    if (out) {
        out->states = ov.states;
        out->state_count = ov.n;
        out->ids = ids;
        out->state_of = state_of;
        out->event_count = n;
        out->gov_after = gov_after;
        gov_after = NULL;
        ov.states = NULL;
        ids = NULL;
        state_of = NULL;
    } else if (states_out) {
        *states_out = ov.states;
        *states_n = ov.n;
        ov.states = NULL;
    }
    rc = WB_OK;
free_all:
    if (gov_after) {
        ledger_gov_free(gov_after);
        free(gov_after);
    }
    free(ov.states);
    table_free(&ov.index);
    table_free(&id_index);
    free(state_of);
    free(ids);
    free(ev);
    return rc;
}

int ledger_block_check(const struct ledger_block_ctx *bc, const struct ledger_block *b,
                       struct ledger_item_state **states_out, size_t *states_n, char *msg,
                       size_t msg_len)
{
    if (states_out) {
        *states_out = NULL;
        *states_n = 0;
    }
    return block_check(bc, b, NULL, states_out, states_n, msg, msg_len);
}

int ledger_block_check_full(const struct ledger_block_ctx *bc, const struct ledger_block *b,
                            struct ledger_block_result *out, char *msg, size_t msg_len)
{
    WB_ASSERT(out != NULL);
    memset(out, 0, sizeof *out);
    return block_check(bc, b, out, NULL, NULL, msg, msg_len);
}

void ledger_block_result_free(struct ledger_block_result *r)
{
    if (!r) return;
    free(r->states);
    free(r->ids);
    free(r->state_of);
    free(r->leaves);
    if (r->gov_after) {
        ledger_gov_free(r->gov_after);
        free(r->gov_after);
    }
    memset(r, 0, sizeof *r);
}
