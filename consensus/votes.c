/* Vote sets: one slot per validator and vote type in each round, so a
 * round never holds more than n votes of a type; tallies and quorums by
 * block hash; duplicates and conflicting votes (evidence). */
#include <string.h>

#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "consensus/internal.h"

static bool slot_matches(const struct cons__vslot *s, const uint8_t *hash)
{
    if (!hash) return s->state == CONS__VOTE_NIL;
    return s->state == CONS__VOTE_HASH && memcmp(s->hash, hash, WB_HASH_LEN) == 0;
}

size_t cons__tally(const struct cons *c, const struct cons__round *rs, uint8_t type,
                   const uint8_t *hash)
{
    const struct cons__vslot *vs = rs->votes[type - 1];
    size_t k = 0;
    for (size_t v = 0; v < c->n; v++)
        if (slot_matches(&vs[v], hash)) k += vs[v].weight;
    return k;
}

size_t cons__tally_any(const struct cons *c, const struct cons__round *rs, uint8_t type)
{
    const struct cons__vslot *vs = rs->votes[type - 1];
    size_t k = 0;
    for (size_t v = 0; v < c->n; v++)
        if (vs[v].state != CONS__VOTE_NONE) k += vs[v].weight;
    return k;
}

bool cons__quorum_hash(const struct cons *c, const struct cons__round *rs, uint8_t type,
                       uint8_t hash[WB_HASH_LEN])
{
    if (cons__tally_any(c, rs, type) < c->quorum) return false;
    const struct cons__vslot *vs = rs->votes[type - 1];
    for (size_t v = 0; v < c->n; v++) {
        if (vs[v].state != CONS__VOTE_HASH) continue;
        if (cons__tally(c, rs, type, vs[v].hash) >= c->quorum) {
            memcpy(hash, vs[v].hash, WB_HASH_LEN);
            return true;
        }
    }
    return false;
}

static bool alt_matches(const struct cons__vslot *s, const uint8_t *hash)
{
    if (!hash) return s->alt_state == CONS__VOTE_NIL;
    return s->alt_state == CONS__VOTE_HASH && memcmp(s->alt_hash, hash, WB_HASH_LEN) == 0;
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
    const struct cons__vslot *vs = rs->votes[type - 1];
    size_t k = 0;
    for (size_t v = 0; v < c->n; v++)
        if (slot_matches(&vs[v], hash) || alt_matches(&vs[v], hash)) k++;
    return k;
}

size_t cons__pol_messages(const struct cons *c, const struct cons__round *rs,
                          const uint8_t hash[WB_HASH_LEN], struct cons_msg *out, size_t cap)
{
    size_t k = 0;
    for (uint8_t type = CONS_PREVOTE; type <= CONS_PRECOMMIT; type++) {
        const struct cons__vslot *vs = rs->votes[type - 1];
        for (uint32_t v = 0; v < c->n && k < cap; v++) {
            const uint8_t *sig;
            if (slot_matches(&vs[v], hash))
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

int cons__vote_store(struct cons *c, struct cons__round *rs, const struct cons_vote *v)
{
    /* Preconditions: a checked vote of this height for this slot's round. */
    WB_ASSERT(v->type == CONS_PREVOTE || v->type == CONS_PRECOMMIT);
    WB_ASSERT(v->validator < c->n && v->height == c->height);
    WB_ASSERT(rs->used && rs->round == v->round);
    struct cons__vslot *s = &rs->votes[v->type - 1][v->validator];
    int cmp = cons__vote_compare(c, rs, v);
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
    if (!v->nil) memcpy(s->hash, v->hash, WB_HASH_LEN);
    memcpy(s->sig, v->signature, WB_SIG_LEN);
    /* Postcondition: one more vote of this type, still at most n. */
    WB_ASSERT(cons__tally_any(c, rs, v->type) <= c->n || CONS_SEAM(c, COUNT_DUPLICATES));
    return WB_OK;
}

int cons__vote_verify(struct cons *c, const struct cons_vote *v)
{
    c->stats.signatures_checked++;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t len = wb_sigmsg_vote(msg, c->cfg.chain_id, v->type, v->height, v->round,
                                v->nil ? NULL : v->hash);
    return wb_verify(msg, len, c->keys[v->validator], v->signature);
}
