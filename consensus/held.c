/* Next-height messages, kept (at most CONS_NEXT_PER_VALIDATOR per
 * validator index) until this node reaches that height, then replayed:
 * verified against the next height's set, or held unchecked while that set
 * is not known yet (valset.c verifies them once it is; replay verifies what
 * is left). */
#include <stdlib.h>
#include <string.h>

#include "consensus/internal.h"

static uint32_t sender_of(const struct cons_msg *m)
{
    return m->kind == CONS_MSG_VOTE ? m->vote.validator : m->proposal.proposer;
}

static bool same_msg(const struct cons_msg *a, const struct cons_msg *b)
{
    if (a->kind != b->kind) return false;
    if (a->kind == CONS_MSG_VOTE) {
        const struct cons_vote *x = &a->vote, *y = &b->vote;
        return x->type == y->type && x->height == y->height && x->round == y->round &&
               x->nil == y->nil && (x->nil || memcmp(x->hash, y->hash, WB_HASH_LEN) == 0) &&
               memcmp(x->signature, y->signature, WB_SIG_LEN) == 0;
    }
    const struct cons_proposal *x = &a->proposal, *y = &b->proposal;
    return x->height == y->height && x->round == y->round && x->valid_round == y->valid_round &&
           memcmp(x->hash, y->hash, WB_HASH_LEN) == 0 &&
           memcmp(x->signature, y->signature, WB_SIG_LEN) == 0;
}

bool cons__held_has(const struct cons *c, const struct cons_msg *m)
{
    const struct cons__held *h = &c->held[(size_t)sender_of(m) * CONS_NEXT_PER_VALIDATOR];
    for (size_t i = 0; i < CONS_NEXT_PER_VALIDATOR; i++)
        if (h[i].used && same_msg(&h[i].msg, m)) return true;
    return false;
}

void cons__held_drop(struct cons__held *h)
{
    free(h->bytes);
    memset(h, 0, sizeof *h);
}

void cons__held_put(struct cons *c, const struct cons_msg *m, bool checked)
{
    struct cons__held *h = &c->held[(size_t)sender_of(m) * CONS_NEXT_PER_VALIDATOR];
    struct cons__held *free_slot = NULL;
    /* Everything held is for the next height (replay empties it when the
     * height changes), so the first messages of a validator are kept. */
    for (size_t i = 0; i < CONS_NEXT_PER_VALIDATOR && !free_slot; i++)
        if (!h[i].used) free_slot = &h[i];
    if (!free_slot) {
        c->stats.next_height_dropped++;
        return;
    }
    uint8_t *bytes = NULL;
    if (m->kind == CONS_MSG_PROPOSAL) {
        bytes = malloc(m->proposal.block_len);
        if (!bytes) {
            c->stats.next_height_dropped++;
            return;
        }
        memcpy(bytes, m->proposal.block, m->proposal.block_len);
    }
    free_slot->used = true;
    free_slot->checked = checked;
    if (!checked) {
        c->held_unchecked++;
        c->stats.held_unverified++;
    }
    free_slot->msg = *m;
    free_slot->bytes = bytes;
    if (bytes) free_slot->msg.proposal.block = bytes;
}

void cons__held_replay(struct cons *c)
{
    size_t total = c->cap * CONS_NEXT_PER_VALIDATOR;
    for (size_t i = 0; i < total; i++) {
        struct cons__held *h = &c->held[i];
        if (!h->used) continue;
        uint64_t height =
            h->msg.kind == CONS_MSG_VOTE ? h->msg.vote.height : h->msg.proposal.height;
        if (height > c->height) continue;
        /* Take it out first: the handlers may hold messages of their own. */
        struct cons__held copy = *h;
        memset(h, 0, sizeof *h);
        if (!copy.checked) c->held_unchecked--;
        /* Unchecked ones are verified now, against this height's set. */
        if (height == c->height) {
            if (copy.msg.kind == CONS_MSG_VOTE)
                cons__recv_vote(c, &copy.msg.vote, copy.checked);
            else
                cons__recv_proposal(c, &copy.msg.proposal, copy.checked);
        }
        cons__held_drop(&copy);
    }
}

void cons__held_clear(struct cons *c)
{
    size_t total = c->cap * CONS_NEXT_PER_VALIDATOR;
    for (size_t i = 0; i < total; i++)
        if (c->held[i].used) cons__held_drop(&c->held[i]);
    c->held_unchecked = 0;
}
