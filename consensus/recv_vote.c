/* Receiving a vote: every check into locals first (type, validator,
 * height, round bounds, duplicate, signature), then into the vote set. A
 * vote of this height for the current round, or for a past round already
 * kept, may be stored with its signature unchecked: it counts nowhere until
 * a threshold needs it (cons__reach). */
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "consensus/internal.h"

/* A message of a later height (vote or proposal, as m): the next height's
 * is held (verified against that height's set when known, else unchecked
 * with its index), a later one only noted for the sync hint when it
 * verifies against the latest set known (the index of a later set may
 * differ: then it is not counted). Its sender index is below cap. */
void cons__recv_later(struct cons *c, const struct cons_msg *m, bool verified)
{
    bool vote = m->kind == CONS_MSG_VOTE;
    uint64_t height = vote ? m->vote.height : m->proposal.height;
    uint32_t v = vote ? m->vote.validator : m->proposal.proposer;
    if (c->set_pending && height == c->height) {
        /* This height's set is not known yet: held unchecked, verified
         * when the height starts. */
        if (cons__held_has(c, m))
            c->stats.duplicates++;
        else
            cons__held_put(c, m, false);
        return;
    }
    bool next = height == c->height + 1;
    bool known = cons__next_set(c);
    if (next && cons__held_has(c, m)) {
        /* Checked when it was first held (or to be, once the set is
         * known); a re-sent copy still says its sender is ahead (the sync
         * hint repeats while it holds). */
        c->stats.duplicates++;
        if (known && v < c->next_n) cons__note_signer(c, c->next_keys[v], v, height);
        return;
    }
    if (next && !known) {
        cons__held_put(c, m, false);
        return;
    }
    size_t n = known ? c->next_n : c->n;
    const uint8_t (*keys)[WB_PUBKEY_LEN] = known ? c->next_keys : c->keys;
    if (v >= n) {
        c->stats.rejected_non_validator++;
        return;
    }
    if (!vote && v != cons_proposer(n, height, m->proposal.round)) {
        c->stats.rejected_malformed++;
        return;
    }
    if (!verified && (vote ? cons__vote_verify_key(c, &m->vote, keys[v])
                           : cons__proposal_verify_key(c, &m->proposal, keys[v])) != WB_OK) {
        c->stats.rejected_signature++;
        /* A height whose set this core cannot know yet (two or more above
         * it, with sets per height): its signers may all be validators
         * this node has never heard of (a set replaced while it was
         * behind), so no f+1 of a known set would ever tell it to catch
         * up. Such a message is a hint of its own, unauthenticated: at
         * most one per sync_hint_interval_ms, and block sync checks every
         * certificate, so a forged one costs a fetch, never safety. */
        if (!next && c->cfg.valset) {
            c->stats.ahead_unverified++;
            cons__emit_sync(c);
        }
        return;
    }
    cons__note_signer(c, keys[v], v, height);
    if (next)
        cons__held_put(c, m, true);
    else
        c->stats.rejected_height++;
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
    /* The set of a later height may be larger: checked there. */
    if (v->validator >= (v->height > c->height || c->set_pending ? c->cap : c->n)) {
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
    if (v->height > c->height || c->set_pending) {
        /* A height whose set is not known yet is held as the next one. */
        struct cons_msg m = {.kind = CONS_MSG_VOTE, .vote = *v};
        cons__recv_later(c, &m, verified);
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
