/* Vote sets: one slot per validator and vote type in each round, so a
 * round never holds more than n votes of a type; tallies and quorums by
 * block hash; duplicates and conflicting votes (evidence); and the votes
 * kept unchecked until a count needs them (docs/consensus.md, "Verifying
 * only the votes a step needs"). */
#include <string.h>

#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "consensus/internal.h"

static bool slot_matches(const struct cons__vslot *s, const uint8_t *hash)
{
    if (!hash) return s->state == CONS__VOTE_NIL;
    return s->state == CONS__VOTE_HASH && memcmp(s->hash, hash, WB_HASH_LEN) == 0;
}

static bool alt_matches(const struct cons__vslot *s, const uint8_t *hash)
{
    if (!hash) return s->alt_state == CONS__VOTE_NIL;
    return s->alt_state == CONS__VOTE_HASH && memcmp(s->alt_hash, hash, WB_HASH_LEN) == 0;
}

/* Whether slot s counts for `match` (its first vote, or for the proof of
 * lock its conflicting one), regardless of checking; the weight it adds. */
static size_t slot_weight(const struct cons__vslot *s, enum cons__match match,
                          const uint8_t *hash)
{
    switch (match) {
    case CONS__MATCH_ANY:
        return s->state != CONS__VOTE_NONE ? s->weight : 0;
    case CONS__MATCH_VALUE:
        return slot_matches(s, hash) ? s->weight : 0;
    case CONS__MATCH_POL:
    default:
        return slot_matches(s, hash) || alt_matches(s, hash) ? 1 : 0;
    }
}

/* The checked count, and what the unchecked first votes would add. */
static size_t count(const struct cons *c, const struct cons__round *rs, uint8_t type,
                    enum cons__match match, const uint8_t *hash, size_t *unchecked)
{
    const struct cons__vslot *vs = rs->votes[type - 1];
    size_t k = 0, u = 0;
    for (size_t v = 0; v < c->n; v++) {
        const struct cons__vslot *s = &vs[v];
        if (s->state == CONS__VOTE_NONE) continue;
        if (s->checked)
            k += slot_weight(s, match, hash);
        else
            u += slot_weight(s, match, hash); /* no conflicting vote beside it */
    }
    if (unchecked) *unchecked = u;
    return k;
}

size_t cons__tally_potential(const struct cons *c, const struct cons__round *rs, uint8_t type,
                             enum cons__match match, const uint8_t *hash)
{
    size_t unchecked;
    size_t k = count(c, rs, type, match, hash, &unchecked);
    return k + unchecked;
}

size_t cons__tally(const struct cons *c, const struct cons__round *rs, uint8_t type,
                   const uint8_t *hash)
{
    return count(c, rs, type, CONS__MATCH_VALUE, hash, NULL);
}

size_t cons__tally_any(const struct cons *c, const struct cons__round *rs, uint8_t type)
{
    return count(c, rs, type, CONS__MATCH_ANY, NULL, NULL);
}

bool cons__vote_settle(struct cons *c, struct cons__round *rs, uint8_t type, uint32_t v)
{
    struct cons__vslot *s = &rs->votes[type - 1][v];
    WB_ASSERT(s->state != CONS__VOTE_NONE);
    if (s->checked) return true;
    WB_ASSERT(s->alt_state == CONS__VOTE_NONE);
    struct cons_vote vote;
    cons__vote_from_slot(c, rs, type, v, &vote);
    if (cons__vote_verify(c, &vote) == WB_OK) {
        s->checked = true;
        return true;
    }
    c->stats.rejected_signature++;
    memset(s, 0, sizeof *s);
    return false;
}

bool cons__reach(struct cons *c, struct cons__round *rs, uint8_t type, enum cons__match match,
                 const uint8_t *hash, size_t need)
{
    size_t unchecked;
    size_t k = count(c, rs, type, match, hash, &unchecked);
    if (k >= need) return true;
    if (k + unchecked < need) return false;
    struct cons__vslot *vs = rs->votes[type - 1];
    for (uint32_t v = 0; v < c->n && k < need; v++) {
        struct cons__vslot *s = &vs[v];
        if (s->state == CONS__VOTE_NONE || s->checked) continue;
        size_t w = slot_weight(s, match, hash);
        if (w && cons__vote_settle(c, rs, type, v)) k += w;
    }
    /* Postcondition: the count is of checked votes only. */
    WB_ASSERT(k == count(c, rs, type, match, hash, NULL));
    return k >= need;
}

bool cons__quorum_hash(struct cons *c, struct cons__round *rs, uint8_t type,
                       uint8_t hash[WB_HASH_LEN])
{
    size_t unchecked;
    if (count(c, rs, type, CONS__MATCH_ANY, NULL, &unchecked) + unchecked < c->quorum)
        return false;
    const struct cons__vslot *vs = rs->votes[type - 1];
    for (size_t v = 0; v < c->n; v++) {
        if (vs[v].state != CONS__VOTE_HASH) continue;
        uint8_t x[WB_HASH_LEN];
        memcpy(x, vs[v].hash, WB_HASH_LEN); /* the slot may be emptied below */
        if (cons__reach(c, rs, type, CONS__MATCH_VALUE, x, c->quorum)) {
            memcpy(hash, x, WB_HASH_LEN);
            return true;
        }
    }
    return false;
}

int cons__vote_compare(const struct cons *c, const struct cons__round *rs,
                       const struct cons_vote *v)
{
    (void)c;
    const struct cons__vslot *s = &rs->votes[v->type - 1][v->validator];
    if (s->state == CONS__VOTE_NONE) return WB_OK;
    /* The same value is the same vote: it is counted once whatever the
     * signature bytes (both cannot be valid and differ for Ed25519 anyway);
     * so is the conflicting value already kept. */
    const uint8_t *hash = v->nil ? NULL : v->hash;
    if (slot_matches(s, hash) || alt_matches(s, hash)) return WB_ERR_DUPLICATE;
    return WB_ERR_EXISTS;
}

size_t cons__tally_pol(const struct cons *c, const struct cons__round *rs, uint8_t type,
                       const uint8_t hash[WB_HASH_LEN])
{
    return count(c, rs, type, CONS__MATCH_POL, hash, NULL);
}

bool cons__vote_unsettled_copy(const struct cons *c, const struct cons__round *rs,
                               const struct cons_vote *v)
{
    (void)c;
    const struct cons__vslot *s = &rs->votes[v->type - 1][v->validator];
    return s->state != CONS__VOTE_NONE && !s->checked && slot_matches(s, v->nil ? NULL : v->hash) &&
           memcmp(s->sig, v->signature, WB_SIG_LEN) != 0;
}

void cons__vote_confirm(struct cons *c, struct cons__round *rs, const struct cons_vote *v)
{
    WB_ASSERT(cons__vote_unsettled_copy(c, rs, v));
    struct cons__vslot *s = &rs->votes[v->type - 1][v->validator];
    memcpy(s->sig, v->signature, WB_SIG_LEN);
    s->checked = true;
}

size_t cons__pol_messages(const struct cons *c, const struct cons__round *rs,
                          const uint8_t hash[WB_HASH_LEN], struct cons_msg *out, size_t cap)
{
    size_t k = 0;
    for (uint8_t type = CONS_PREVOTE; type <= CONS_PRECOMMIT; type++) {
        const struct cons__vslot *vs = rs->votes[type - 1];
        for (uint32_t v = 0; v < c->n && k < cap; v++) {
            const uint8_t *sig;
            /* Checked votes only: the receivers' proof must verify. */
            if (slot_matches(&vs[v], hash) && vs[v].checked)
                sig = vs[v].sig;
            else if (alt_matches(&vs[v], hash))
                sig = vs[v].alt_sig;
            else
                continue;
            struct cons_msg *m = &out[k++];
            memset(m, 0, sizeof *m);
            m->kind = CONS_MSG_VOTE;
            m->vote.type = type;
            m->vote.height = c->height;
            m->vote.round = rs->round;
            memcpy(m->vote.hash, hash, WB_HASH_LEN);
            m->vote.validator = v;
            memcpy(m->vote.signature, sig, WB_SIG_LEN);
        }
    }
    return k;
}

void cons__vote_from_slot(const struct cons *c, const struct cons__round *rs, uint8_t type,
                          uint32_t v, struct cons_vote *out)
{
    const struct cons__vslot *s = &rs->votes[type - 1][v];
    memset(out, 0, sizeof *out);
    out->type = type;
    out->height = c->height;
    out->round = rs->round;
    out->nil = s->state == CONS__VOTE_NIL;
    if (!out->nil) memcpy(out->hash, s->hash, WB_HASH_LEN);
    out->validator = v;
    memcpy(out->signature, s->sig, WB_SIG_LEN);
}

int cons__vote_store(struct cons *c, struct cons__round *rs, const struct cons_vote *v,
                     bool checked)
{
    /* Preconditions: a vote of this height for this slot's round. */
    WB_ASSERT(v->type == CONS_PREVOTE || v->type == CONS_PRECOMMIT);
    WB_ASSERT(v->validator < c->n && v->height == c->height);
    WB_ASSERT(rs->used && rs->round == v->round);
    struct cons__vslot *s = &rs->votes[v->type - 1][v->validator];
    /* A checked vote of the value held unchecked under other bytes takes
     * its place: the held one may be forged (for instance under this
     * node's own index, before it voted). */
    if (checked && cons__vote_unsettled_copy(c, rs, v)) {
        cons__vote_confirm(c, rs, v);
        return WB_OK;
    }
    int cmp = cons__vote_compare(c, rs, v);
    /* Evidence is two validly signed votes: a conflict has the vote held
     * checked first, and a forged one gives way. */
    if (cmp == WB_ERR_EXISTS && !s->checked && !cons__vote_settle(c, rs, v->type, v->validator))
        cmp = WB_OK;
    if (cmp == WB_ERR_DUPLICATE) {
        if (CONS_SEAM(c, COUNT_DUPLICATES) && s->weight < UINT8_MAX) {
            s->weight++;
            return WB_OK;
        }
        return WB_ERR_DUPLICATE;
    }
    if (cmp == WB_ERR_EXISTS) {
        /* Two signed values from one validator for one (h, r, type): the
         * first stays counted, the second is kept as the evidence (reported
         * once) and counts nowhere but in cons__tally_pol, in place of the
         * first. A third value is dropped. */
        WB_ASSERT(checked && s->checked);
        if (s->alt_state == CONS__VOTE_NONE) {
            struct cons_vote first;
            cons__vote_from_slot(c, rs, v->type, v->validator, &first);
            s->alt_state = v->nil ? CONS__VOTE_NIL : CONS__VOTE_HASH;
            if (!v->nil) memcpy(s->alt_hash, v->hash, WB_HASH_LEN);
            memcpy(s->alt_sig, v->signature, WB_SIG_LEN);
            cons__emit_evidence(c, &first, v);
        }
        return WB_ERR_EXISTS;
    }
    WB_ASSERT(s->state == CONS__VOTE_NONE && s->alt_state == CONS__VOTE_NONE);
    s->state = v->nil ? CONS__VOTE_NIL : CONS__VOTE_HASH;
    s->weight = 1;
    s->checked = checked;
    if (!v->nil) memcpy(s->hash, v->hash, WB_HASH_LEN);
    memcpy(s->sig, v->signature, WB_SIG_LEN);
    /* Postcondition: one more vote of this type, still at most n. */
    WB_ASSERT(cons__tally_any(c, rs, v->type) <= c->n || CONS_SEAM(c, COUNT_DUPLICATES));
    return WB_OK;
}

int cons__vote_verify(struct cons *c, const struct cons_vote *v)
{
    return cons__vote_verify_key(c, v, c->keys[v->validator]);
}

int cons__vote_verify_key(struct cons *c, const struct cons_vote *v,
                          const uint8_t key[WB_PUBKEY_LEN])
{
    c->stats.signatures_checked++;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t len = wb_sigmsg_vote(msg, c->cfg.chain_id, v->type, v->height, v->round,
                                v->nil ? NULL : v->hash);
    return wb_verify(msg, len, key, v->signature);
}
