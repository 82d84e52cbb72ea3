/* Receiving a vote: every check into locals first (type, validator,
 * height, round bounds, duplicate, signature), then into the vote set. A
 * vote of this height for the current round, or for a past round already
 * kept, may be stored with its signature unchecked: it counts nowhere until
 * a threshold needs it (cons__reach). */
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "consensus/internal.h"

void cons__note_height(struct cons *c, uint32_t v, uint64_t height)
{
    if (height > c->ahead[v]) c->ahead[v] = height;
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->ahead[i] > c->height) k++;
    /* f+1 validators signed at a later height: at least one honest node
     * decided this height, so its block and certificate can be fetched. */
    if (k >= c->faulty + 1) cons__emit_sync(c);
}

/* DESIGN.md section 4: "Proposals and votes are signed and checked here
 * (signature, validator membership, height and round)"; "Messages for a
 * later round of this height, or for the next height, are kept (bounded
 * per validator) rather than dropped; messages for old heights are answered
 * from storage (the certificate) or ignored"; "A duplicate vote is not
 * counted twice; two different votes by one validator for one (height,
 * round, type) are kept as evidence and never both counted." */
void cons__recv_vote(struct cons *c, const struct cons_vote *v, bool verified)
{
    if (v->type != CONS_PREVOTE && v->type != CONS_PRECOMMIT) {
        c->stats.rejected_malformed++;
        return;
    }
    if (v->validator >= c->n) {
        c->stats.rejected_non_validator++;
        return;
    }
    if (v->round >= CONS_ROUND_LIMIT) {
        c->stats.rejected_malformed++;
        return;
    }
    if (v->height < c->height) {
        c->stats.rejected_height++;
        return;
    }
    if (v->height > c->height) {
        struct cons_msg m = {.kind = CONS_MSG_VOTE, .vote = *v};
        if (v->height == c->height + 1 && cons__held_has(c, &m)) {
            /* Checked when it was first held; a re-sent copy still says
             * its sender is ahead (the sync hint repeats while it holds). */
            c->stats.duplicates++;
            cons__note_height(c, v->validator, v->height);
            return;
        }
        if (!verified && cons__vote_verify(c, v) != WB_OK) {
            c->stats.rejected_signature++;
            return;
        }
        cons__note_height(c, v->validator, v->height);
        if (v->height == c->height + 1)
            cons__held_put(c, &m);
        else
            c->stats.rejected_height++;
        return;
    }
    struct cons__round *rs = cons__round_find(c, v->round);
    if (rs && cons__vote_unsettled_copy(c, rs, v)) {
        /* The value held unchecked, under other signature bytes: one of
         * the two may be forged. Check this one; if good, it stands in. */
        if (!verified && cons__vote_verify(c, v) != WB_OK) {
            c->stats.rejected_signature++;
            return;
        }
        cons__vote_confirm(c, rs, v);
        c->stats.duplicates++;
        return;
    }
    int cmp = rs ? cons__vote_compare(c, rs, v) : WB_OK;
    if (cmp == WB_ERR_DUPLICATE) {
        if (CONS_SEAM(c, COUNT_DUPLICATES) && cons__vote_store(c, rs, v, true) == WB_OK) return;
        c->stats.duplicates++;
        return;
    }
    /* A conflict is evidence only between two validly signed votes: the
     * one held is checked first, and if forged it gives way. */
    if (cmp == WB_ERR_EXISTS && !cons__vote_settle(c, rs, v->type, v->validator)) cmp = WB_OK;
    bool late = !verified && cmp == WB_OK && rs && v->round <= c->round;
    if (!verified && !late && cons__vote_verify(c, v) != WB_OK) {
        c->stats.rejected_signature++;
        return;
    }
    rs = cons__round_for(c, v->round, v->validator);
    if (!rs) {
        c->stats.rejected_round++;
        return;
    }
    /* Not a duplicate (checked above, and a slot keeps what it holds):
     * stored, or kept as evidence against its first vote. */
    int rc = cons__vote_store(c, rs, v, !late);
    WB_ASSERT(rc == WB_OK || rc == WB_ERR_EXISTS);
}
