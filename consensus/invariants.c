/* The core's state invariants, asserted at entry and exit of every step
 * (cons_step) and after each state transition that can break them. A
 * failure is a bug of the core, never bad input: input is checked and
 * rejected before it reaches the state. Pre- and postconditions local to one
 * transition sit in the function that makes it. */
#include <string.h>

#include "common/quorum.h"
#include "common/wb_assert.h"
#include "consensus/internal.h"

int cons__hrs_cmp(uint64_t h1, uint32_t r1, uint8_t s1, uint64_t h2, uint32_t r2, uint8_t s2)
{
    if (h1 != h2) return h1 < h2 ? -1 : 1;
    if (r1 != r2) return r1 < r2 ? -1 : 1;
    if (s1 != s2) return s1 < s2 ? -1 : 1;
    return 0;
}

/* One vote slot: the conflicting vote exists only beside a first one and
 * differs from it; a slot counts once (more only under a test seam). */
static void assert_slot(const struct cons *c, const struct cons__vslot *s)
{
    WB_ASSERT(s->state <= CONS__VOTE_HASH && s->alt_state <= CONS__VOTE_HASH);
    if (s->state == CONS__VOTE_NONE) {
        WB_ASSERT(s->alt_state == CONS__VOTE_NONE);
        WB_ASSERT(s->weight == 0 && !s->checked);
        return;
    }
    /* An unchecked vote has no conflicting one beside it: a conflict is
     * checked against it first (recv_vote.c). */
    if (!s->checked) WB_ASSERT(s->alt_state == CONS__VOTE_NONE);
    WB_ASSERT(s->weight == 1 || (CONS_SEAM(c, COUNT_DUPLICATES) && s->weight >= 1));
    if (s->alt_state == CONS__VOTE_NONE) return;
    WB_ASSERT(!(s->state == CONS__VOTE_NIL && s->alt_state == CONS__VOTE_NIL));
    WB_ASSERT(!(s->state == CONS__VOTE_HASH && s->alt_state == CONS__VOTE_HASH &&
                memcmp(s->hash, s->alt_hash, WB_HASH_LEN) == 0));
    (void)c;
}

static void assert_round(const struct cons *c, const struct cons__round *rs)
{
    WB_ASSERT(rs->round < CONS_ROUND_LIMIT);
    if (rs->proposal.present) {
        WB_ASSERT(rs->proposal.valid_round >= -1);
        WB_ASSERT((int64_t)rs->proposal.valid_round < (int64_t)rs->round);
    }
    for (uint8_t type = CONS_PREVOTE; type <= CONS_PRECOMMIT; type++) {
        for (size_t v = 0; v < c->n; v++) assert_slot(c, &rs->votes[type - 1][v]);
        /* A vote set never holds more than one vote per validator. */
        WB_ASSERT(cons__tally_any(c, rs, type) <= c->n || CONS_SEAM(c, COUNT_DUPLICATES));
    }
    /* First-time flags are set only once their quorum was there. */
    if (rs->prevote_timer_armed || rs->polka_seen)
        WB_ASSERT(cons__tally_any(c, rs, CONS_PREVOTE) >= c->quorum);
    if (rs->precommit_timer_armed)
        WB_ASSERT(cons__tally_any(c, rs, CONS_PRECOMMIT) >= c->quorum);
}

void cons__assert_invariants(const struct cons *c)
{
    /* The validator set and its arithmetic (common/quorum.h). */
    WB_ASSERT(c->n >= 1 && c->n <= c->cap && c->cap <= CONS_VALIDATORS_MAX);
    WB_ASSERT(!c->next_known || (c->next_n >= 1 && c->next_n <= c->cap));
    WB_ASSERT(c->quorum == wb_quorum(c->n) && c->faulty == wb_faulty(c->n));
    WB_ASSERT(3 * c->faulty < c->n && 2 * c->quorum > c->n + c->faulty);
    WB_ASSERT(c->n - c->faulty >= c->quorum);
    WB_ASSERT(c->self == CONS_NOT_VALIDATOR || c->self < c->n);
    WB_ASSERT(c->height >= 1);
    WB_ASSERT(c->round < CONS_ROUND_LIMIT);
    if (!c->started) {
        WB_ASSERT(c->round == 0 && c->step == CONS_STEP_NONE);
        return;
    }
    WB_ASSERT(c->set_height == c->height || c->set_pending);
    if (c->set_pending) {
        /* Waiting for the height's set: nothing started, nothing signed. */
        WB_ASSERT(c->round == 0 && c->step == CONS_STEP_NONE && c->self == CONS_NOT_VALIDATOR);
        return;
    }
    WB_ASSERT(c->step >= CONS_STEP_PROPOSE && c->step <= CONS_STEP_PRECOMMIT);
    /* Waiting for work is round 0, step propose, nothing proposed. */
    if (c->waiting) WB_ASSERT(c->round == 0 && c->step == CONS_STEP_PROPOSE && !c->proposed);
    /* Locks: -1 or a round reached; a lock is always a valid value too
     * (rule_polka sets both), and the valid value only moves up from it. */
    WB_ASSERT(c->locked_round >= -1 && c->valid_round >= -1);
    WB_ASSERT((int64_t)c->locked_round <= (int64_t)c->round);
    WB_ASSERT((int64_t)c->valid_round <= (int64_t)c->round);
    WB_ASSERT(c->locked_round <= c->valid_round);
    /* The record never runs ahead of what this core did at this height. */
    const struct cons_safety *s = &c->safety;
    if (s->height == c->height && c->self != CONS_NOT_VALIDATOR)
        WB_ASSERT(cons__hrs_cmp(s->height, s->round, s->step, c->height, c->round, c->step) <=
                  0);
    /* Round slots: distinct rounds, the current one present. */
    bool current = false;
    for (size_t i = 0; i < c->slot_count; i++) {
        const struct cons__round *rs = &c->rounds[i];
        if (!rs->used) continue;
        assert_round(c, rs);
        if (rs->round == c->round) current = true;
        for (size_t j = i + 1; j < c->slot_count; j++)
            WB_ASSERT(!c->rounds[j].used || c->rounds[j].round != rs->round);
    }
    WB_ASSERT(current);
    /* Block table: one entry per hash among the live ones. */
    for (size_t i = 0; i < c->block_cap; i++) {
        const struct cons__block *b = &c->blocks[i];
        if (!b->used) continue;
        WB_ASSERT(b->validity <= CONS__BLOCK_INVALID);
        WB_ASSERT(b->bytes != NULL && b->len > 0);
        if (b->stale) continue;
        for (size_t j = i + 1; j < c->block_cap; j++) {
            const struct cons__block *o = &c->blocks[j];
            WB_ASSERT(!o->used || o->stale || memcmp(o->hash, b->hash, WB_HASH_LEN) != 0);
        }
    }
}

/* The update handed out: the durable record covers every message of this
 * node it lists (what is sent was signed at or below the record the driver
 * writes first), and a decision carries a quorum of precommits for its
 * block from distinct validators, by index. */
void cons__assert_update(const struct cons *c, const struct cons_update *up)
{
    const struct cons_safety *durable = &c->out_safety;
    for (size_t i = 0; i < up->msg_count; i++) {
        const struct cons_msg *m = &up->msgs[i];
        uint64_t h;
        uint32_t r;
        uint8_t step;
        /* Own messages: of this height's index, or of the height before
         * the last change (the set, so the index, may differ). */
        uint64_t mh = m->kind == CONS_MSG_VOTE ? m->vote.height : m->proposal.height;
        uint32_t self = mh == c->set_height       ? c->self
                        : mh == c->prev_set_height ? c->prev_self
                                                   : CONS_NOT_VALIDATOR;
        if (self == CONS_NOT_VALIDATOR) continue;
        if (m->kind == CONS_MSG_VOTE) {
            if (m->vote.validator != self) continue;
            h = m->vote.height;
            r = m->vote.round;
            step = m->vote.type == CONS_PREVOTE ? CONS_STEP_PREVOTE : CONS_STEP_PRECOMMIT;
        } else {
            WB_ASSERT(m->kind == CONS_MSG_PROPOSAL);
            if (m->proposal.proposer != self) continue;
            WB_ASSERT(mh != c->set_height ||
                      m->proposal.proposer ==
                          cons_proposer(c->n, m->proposal.height, m->proposal.round));
            h = m->proposal.height;
            r = m->proposal.round;
            step = CONS_STEP_PROPOSE;
        }
        /* Round 0's proposal and prevote may instead be covered by the
         * durable record's reservation (docs/consensus.md, "One flush per
         * height"). */
        bool reserved = cons__reserved(durable->reserve_height, h, r, step);
        WB_ASSERT(CONS_SEAM(c, SEND_BEFORE_PERSIST) || reserved ||
                  cons__hrs_cmp(h, r, step, durable->height, durable->round, durable->step) <=
                      0);
    }
    if (up->persist) WB_ASSERT(memcmp(up->persist, &c->safety, sizeof c->safety) == 0);
    const struct cons_decision *d = up->decision;
    if (d) {
        WB_ASSERT(d->height + 1 <= c->height);
        WB_ASSERT(d->precommit_count >= c->decided_quorum || CONS_SEAM(c, COUNT_DUPLICATES));
        WB_ASSERT(d->precommit_count <= c->decided_n);
        WB_ASSERT(d->block != NULL && d->block_len > 0);
        for (size_t i = 0; i < d->precommit_count; i++) {
            const struct cons_vote *v = &d->precommits[i];
            WB_ASSERT(v->type == CONS_PRECOMMIT && !v->nil && v->height == d->height &&
                      v->round == d->round && memcmp(v->hash, d->hash, WB_HASH_LEN) == 0);
            WB_ASSERT(v->validator < c->decided_n);
            WB_ASSERT(i == 0 || d->precommits[i - 1].validator < v->validator);
        }
    }
    WB_ASSERT(up->msg_count <= CONS_UPDATE_MSGS_MAX && up->timer_count <= CONS_UPDATE_TIMERS_MAX);
    WB_ASSERT(up->evidence_count <= CONS_UPDATE_EVIDENCE_MAX);
    WB_ASSERT(up->validate_count <= c->block_cap);
    for (size_t i = 0; i < up->timer_count; i++)
        WB_ASSERT(up->timers[i].step >= CONS_STEP_PROPOSE &&
                  up->timers[i].step <= CONS_STEP_PRECOMMIT && up->timers[i].delay_ms > 0);
}
