/* Block bytes of the current height, by hash, with their validity as the
 * driver reported it; the answers to build and validation requests. The
 * core trusts hashes: the driver's validation checks the bytes hash to it. */
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "consensus/internal.h"

struct cons__block *cons__block_find(struct cons *c, const uint8_t hash[WB_HASH_LEN])
{
    for (size_t i = 0; i < c->block_cap; i++)
        if (c->blocks[i].used && !c->blocks[i].stale &&
            memcmp(c->blocks[i].hash, hash, WB_HASH_LEN) == 0)
            return &c->blocks[i];
    return NULL;
}

void cons__block_drop(struct cons *c, struct cons__block *b)
{
    (void)c;
    free(b->bytes);
    memset(b, 0, sizeof *b);
}

void cons__blocks_clear(struct cons *c, bool keep_pinned)
{
    for (size_t i = 0; i < c->block_cap; i++) {
        struct cons__block *b = &c->blocks[i];
        if (!b->used) continue;
        if (keep_pinned && b->pinned)
            b->stale = true;
        else
            cons__block_drop(c, b);
    }
}

/* A block is still needed while a kept proposal, the lock or the valid
 * value refers to it, or the update being built points at it. */
static bool block_needed(struct cons *c, const struct cons__block *b)
{
    if (b->pinned) return true;
    if (b->stale) return false;
    if (c->locked_round >= 0 && memcmp(c->locked_hash, b->hash, WB_HASH_LEN) == 0) return true;
    if (c->valid_round >= 0 && memcmp(c->valid_hash, b->hash, WB_HASH_LEN) == 0) return true;
    for (size_t i = 0; i < c->slot_count; i++) {
        const struct cons__round *rs = &c->rounds[i];
        if (rs->used && rs->proposal.present &&
            memcmp(rs->proposal.hash, b->hash, WB_HASH_LEN) == 0)
            return true;
    }
    return false;
}

struct cons__block *cons__block_put(struct cons *c, const uint8_t hash[WB_HASH_LEN],
                                    const uint8_t *bytes, size_t len)
{
    struct cons__block *b = cons__block_find(c, hash);
    if (b) return b;
    for (size_t i = 0; i < c->block_cap && !b; i++)
        if (!c->blocks[i].used) b = &c->blocks[i];
    for (size_t i = 0; i < c->block_cap && !b; i++)
        if (!block_needed(c, &c->blocks[i])) {
            cons__block_drop(c, &c->blocks[i]);
            b = &c->blocks[i];
        }
    if (!b) return NULL;
    uint8_t *copy = malloc(len);
    if (!copy) return NULL;
    memcpy(copy, bytes, len);
    memset(b, 0, sizeof *b);
    b->used = true;
    memcpy(b->hash, hash, WB_HASH_LEN);
    b->bytes = copy;
    b->len = len;
    return b;
}

void cons__block_request(struct cons *c, struct cons__block *b)
{
    if (b->validity != CONS__BLOCK_UNKNOWN) return;
    b->validity = CONS__BLOCK_PENDING;
    cons__emit_validate(c, b);
}

/* DESIGN.md section 4: "Start of round r: ... The proposer proposes
 * validValue if it has one, else a fresh block from its mempool, and
 * broadcasts PROPOSAL(h, r, block, validRound)." This is the fresh block,
 * built by the driver for the (h, r) it was asked for. */
void cons__on_block_ready(struct cons *c, const struct cons_event *ev)
{
    if (ev->block_ready.height != c->height || ev->block_ready.round != c->round ||
        c->step != CONS_STEP_PROPOSE || c->proposed || c->self == CONS_NOT_VALIDATOR ||
        cons_proposer(c->n, c->height, c->round) != c->self)
        return;
    if (!ev->block_ready.block || ev->block_ready.block_len == 0 ||
        ev->block_ready.block_len > c->cfg.block_bytes_max)
        return;
    c->build_pending = false;
    struct cons__block *b = cons__block_find(c, ev->block_ready.hash);
    /* Bytes received under this hash that differ from ours cannot be trusted. */
    if (b && (b->len != ev->block_ready.block_len ||
              memcmp(b->bytes, ev->block_ready.block, b->len) != 0))
        cons__block_drop(c, b);
    b = cons__block_put(c, ev->block_ready.hash, ev->block_ready.block,
                                            ev->block_ready.block_len);
    if (!b) return;
    /* The driver built it from its committed state: valid by construction. */
    b->validity = CONS__BLOCK_VALID;
    cons__send_proposal(c, b, -1);
}

/* DESIGN.md section 4: "Validity is a deterministic function of the
 * committed state and the block, plus one local check" (computed by the
 * driver); "it decides only once it holds the block and has validated it". */
void cons__on_block_validated(struct cons *c, const struct cons_event *ev)
{
    if (ev->validated.height != c->height) return;
    struct cons__block *b = cons__block_find(c, ev->validated.hash);
    if (!b || b->validity != CONS__BLOCK_PENDING) return;
    switch (ev->validated.result) {
    case CONS_BLOCK_VALID:
        b->validity = CONS__BLOCK_VALID;
        break;
    case CONS_BLOCK_INVALID:
        b->validity = CONS__BLOCK_INVALID;
        break;
    case CONS_BLOCK_BAD_HASH:
    default:
        cons__block_drop(c, b);
        break;
    }
}
