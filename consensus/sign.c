/* The signing rule and the safety record: the one function that signs,
 * own votes and proposals built on it, and resuming from a record. */
#include <string.h>

#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "consensus/internal.h"

/* DESIGN.md section 4: "before a node sends any signed proposal or vote it
 * durably records (h, r, step, locked/valid values, what it signed), so a
 * crash and restart can never make it sign two different things for one
 * (h, r, step). Asked to sign at an (h, r, step) below the record: refuse.
 * At the same (h, r, step): re-send the stored signature if the bytes are
 * identical, refuse otherwise."
 * Signs msg at (current height, current round, step). On success the record
 * is updated and handed to the driver to persist with this update, before
 * the messages of the update are sent, with one exception that keeps the
 * rule: the proposal and prevote of round 0 of height h + 1 are covered by
 * the durable record of a precommit at h, whose reserve_height already
 * forbids a restarted node to sign them (docs/consensus.md, "One flush per
 * height"), so they are sent without a record of their own. */
int cons__sign(struct cons *c, uint8_t step, const uint8_t *msg, size_t len,
               uint8_t sig[WB_SIG_LEN])
{
    struct cons_safety *s = &c->safety;
    if (c->self == CONS_NOT_VALIDATOR || len > WB_SIGMSG_MAX) return WB_ERR_REFUSED;
    int cmp = s->height == 0
                  ? 1
                  : cons__hrs_cmp(c->height, c->round, step, s->height, s->round, s->step);
    if (cmp < 0) return WB_ERR_REFUSED;
    if (cmp == 0) {
        if (len != s->signed_len || memcmp(msg, s->signed_msg, len) != 0) return WB_ERR_REFUSED;
        memcpy(sig, s->signature, WB_SIG_LEN);
        return WB_OK;
    }
    /* The restored record reserved this: what was signed under it before
     * the restart is unknown, so nothing is. */
    if (cons__reserved(c->blocked_height, c->height, c->round, step)) return WB_ERR_REFUSED;
    int rc = wb_sign(msg, len, c->cfg.secret_key, sig);
    if (rc) return rc;
    WB_ASSERT(step >= CONS_STEP_PROPOSE && step <= CONS_STEP_PRECOMMIT);
    s->height = c->height;
    s->round = c->round;
    s->step = step;
    s->locked_round = c->locked_round;
    memcpy(s->locked_hash, c->locked_hash, WB_HASH_LEN);
    s->valid_round = c->valid_round;
    memcpy(s->valid_hash, c->valid_hash, WB_HASH_LEN);
    memcpy(s->signed_msg, msg, len);
    s->signed_len = len;
    memcpy(s->signature, sig, WB_SIG_LEN);
    if (step == CONS_STEP_PRECOMMIT) s->reserve_height = c->height + 1;
    /* Under a durable reservation the record need not be written: a crash
     * now restores the reserving record, which forbids this (h, 0, step).
     * The record in memory still holds this signature, for re-sending. */
    if (!cons__reserved(c->covered_height, c->height, c->round, step)) c->safety_dirty = true;
    /* Postcondition: the record is at what was just signed, so the driver
     * persists it before this update's messages go out (or a durable
     * reservation covers it). */
    WB_ASSERT(cons__hrs_cmp(s->height, s->round, s->step, c->height, c->round, step) == 0);
    return WB_OK;
}

void cons__send_vote(struct cons *c, uint8_t type, const uint8_t *hash)
{
    /* A prevote leaves step propose, a precommit step prevote. */
    WB_ASSERT(type == CONS_PREVOTE || type == CONS_PRECOMMIT);
    WB_ASSERT(c->step == (type == CONS_PREVOTE ? CONS_STEP_PROPOSE : CONS_STEP_PREVOTE));
    if (c->self == CONS_NOT_VALIDATOR) return;
    struct cons_msg m = {.kind = CONS_MSG_VOTE};
    struct cons_vote *v = &m.vote;
    v->type = type;
    v->height = c->height;
    v->round = c->round;
    v->nil = hash == NULL;
    if (hash) memcpy(v->hash, hash, WB_HASH_LEN);
    v->validator = c->self;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t len = wb_sigmsg_vote(msg, c->cfg.chain_id, type, c->height, c->round, hash);
    uint8_t step = type == CONS_PREVOTE ? CONS_STEP_PREVOTE : CONS_STEP_PRECOMMIT;
    if (cons__sign(c, step, msg, len, v->signature) != WB_OK) {
        c->stats.sign_refused++;
        return;
    }
    /* New, or the very vote re-sent from the record (WB_ERR_DUPLICATE). A
     * different value in this slot cannot be one this core signed (the rule
     * above refuses that): it came from the network under this node's key,
     * which someone else holds too, and the evidence of it is out
     * (WB_ERR_EXISTS). The vote still goes out, as it would have first. */
    int rc = cons__vote_store(c, cons__round_current(c), v, true);
    WB_ASSERT(rc == WB_OK || rc == WB_ERR_DUPLICATE || rc == WB_ERR_EXISTS);
    cons__emit_msg(c, &m);
}

void cons__send_proposal(struct cons *c, struct cons__block *b, int32_t valid_round)
{
    /* Only the proposer of (h, r), once, in step propose, a block it holds
     * as valid, with a valid round below the round. */
    WB_ASSERT(c->self != CONS_NOT_VALIDATOR);
    WB_ASSERT(cons_proposer(c->n, c->height, c->round) == c->self);
    WB_ASSERT(c->step == CONS_STEP_PROPOSE && !c->proposed);
    WB_ASSERT(b->validity == CONS__BLOCK_VALID && !b->stale);
    WB_ASSERT(valid_round >= -1 && (int64_t)valid_round < (int64_t)c->round);
    c->proposed = true;
    struct cons_msg m = {.kind = CONS_MSG_PROPOSAL};
    struct cons_proposal *p = &m.proposal;
    p->height = c->height;
    p->round = c->round;
    p->valid_round = valid_round;
    p->proposer = c->self;
    memcpy(p->hash, b->hash, WB_HASH_LEN);
    p->block = b->bytes;
    p->block_len = b->len;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t len = wb_sigmsg_proposal(msg, c->cfg.chain_id, c->height, c->round, valid_round,
                                    b->hash);
    if (cons__sign(c, CONS_STEP_PROPOSE, msg, len, p->signature) != WB_OK) {
        c->stats.sign_refused++;
        return;
    }
    struct cons__round *rs = cons__round_current(c);
    rs->proposal.present = true;
    rs->proposal.valid_round = valid_round;
    memcpy(rs->proposal.hash, b->hash, WB_HASH_LEN);
    memcpy(rs->proposal.sig, p->signature, WB_SIG_LEN);
    b->pinned = true;
    cons__emit_msg(c, &m);
    /* The proof of lock for a valid round: the prevotes this node saw. */
    struct cons__round *prs = valid_round >= 0 ? cons__round_find(c, (uint32_t)valid_round) : NULL;
    if (prs) {
        /* Leave room for the votes that may follow in this update; the rest
         * of the proof goes out with the periodic re-send. */
        struct cons_msg pol[CONS_VALIDATORS_MAX];
        size_t room = CONS_UPDATE_MSGS_MAX - c->out_msg_count;
        size_t cap = room > 8 ? room - 8 : 0;
        if (cap > CONS_VALIDATORS_MAX) cap = CONS_VALIDATORS_MAX;
        size_t k = cons__pol_messages(c, prs, b->hash, pol, cap);
        for (size_t i = 0; i < k; i++) cons__emit_msg(c, &pol[i]);
    }
}

/* Rebuilds the own vote or proposal the record says was signed last (the
 * record keeps its exact sign bytes, read by cons__safety_signed). */
static void restore_own(struct cons *c)
{
    const struct cons_safety *s = &c->safety;
    struct cons__signed own;
    if (!cons__safety_signed(s, c->cfg.chain_id, &own)) return;
    struct cons__round *rs = cons__round_current(c);
    if (s->step == CONS_STEP_PROPOSE) {
        /* cons_init refused a record with a valid round out of range. */
        WB_ASSERT(own.valid_round >= -1 && (int64_t)own.valid_round < (int64_t)s->round);
        rs->proposal.present = true;
        rs->proposal.valid_round = own.valid_round;
        memcpy(rs->proposal.hash, own.hash, WB_HASH_LEN);
        memcpy(rs->proposal.sig, s->signature, WB_SIG_LEN);
        return;
    }
    struct cons_vote v = {0};
    v.type = s->step == CONS_STEP_PREVOTE ? CONS_PREVOTE : CONS_PRECOMMIT;
    v.height = s->height;
    v.round = s->round;
    v.nil = own.nil;
    if (!v.nil) memcpy(v.hash, own.hash, WB_HASH_LEN);
    v.validator = c->self;
    memcpy(v.signature, s->signature, WB_SIG_LEN);
    /* The height's round slots were cleared just before. */
    int rc = cons__vote_store(c, rs, &v, true);
    WB_ASSERT(rc == WB_OK);
}

/* Restart with a record for the current height: continue at its round and
 * step with its locks, holding the message signed last (re-sent by
 * cons_own_messages), so whatever comes next is signed above the record. */
void cons__resume(struct cons *c)
{
    const struct cons_safety *s = &c->safety;
    WB_ASSERT(s->height == c->height && c->self != CONS_NOT_VALIDATOR);
    WB_ASSERT(c->round == 0 && c->step == CONS_STEP_NONE); /* a fresh height */
    c->round = s->round < CONS_ROUND_LIMIT ? s->round : CONS_ROUND_LIMIT - 1;
    c->step = s->step ? s->step : CONS_STEP_PROPOSE;
    c->locked_round = s->locked_round;
    memcpy(c->locked_hash, s->locked_hash, WB_HASH_LEN);
    c->valid_round = s->valid_round;
    memcpy(c->valid_hash, s->valid_hash, WB_HASH_LEN);
    /* The precommit that takes a lock is signed before the same rule sets
     * the valid value (rule_polka), so its record may hold the lock alone:
     * the lock's polka is the valid value of that round. */
    if (c->locked_round > c->valid_round) {
        c->valid_round = c->locked_round;
        memcpy(c->valid_hash, c->locked_hash, WB_HASH_LEN);
    }
    c->stats.rounds_started++;
    (void)cons__round_current(c);
    restore_own(c);
    if (c->step == CONS_STEP_PROPOSE) {
        /* Only a proposer records step propose: it proposed already. */
        c->proposed = true;
        cons__arm(c, CONS_STEP_PROPOSE);
    }
}
