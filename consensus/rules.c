/* The "upon" rules of DESIGN.md section 4, evaluated after every event
 * until none fires: each rule either changes the state (step, round,
 * height, a first-time flag) or does nothing, so the loop ends. */
#include <string.h>

#include "common/wb_assert.h"
#include "consensus/internal.h"

static bool block_valid(struct cons *c, const uint8_t hash[WB_HASH_LEN])
{
    struct cons__block *b = cons__block_find(c, hash);
    return b && b->validity == CONS__BLOCK_VALID;
}

/* Validity known (valid or invalid): 1 valid, 0 invalid, -1 not yet. */
static int block_verdict(struct cons *c, const uint8_t hash[WB_HASH_LEN])
{
    struct cons__block *b = cons__block_find(c, hash);
    if (!b) return -1;
    if (b->validity == CONS__BLOCK_VALID) return 1;
    if (b->validity == CONS__BLOCK_INVALID) return 0;
    return -1;
}

/* "Proposal v of (h, any round r') and q precommits for id(v) at r':
 * decide v (commit it with those precommits as its certificate), h = h + 1,
 * reset locks/valid values, round 0." Also "A node holding q precommits
 * for a block it has not received fetches the block from a peer; it decides
 * only once it holds the block and has validated it." The block may have
 * come in any proposal of this height: the core counts by hash and the
 * driver's validation checks the bytes hash to it. */
static bool rule_decide(struct cons *c)
{
    if (c->out_decided) return false; /* one decision per update */
    for (size_t i = 0; i < c->slot_count; i++) {
        struct cons__round *rs = &c->rounds[i];
        uint8_t hash[WB_HASH_LEN];
        if (!rs->used || !cons__quorum_hash(c, rs, CONS_PRECOMMIT, hash)) continue;
        struct cons__block *b = cons__block_find(c, hash);
        if (!b) {
            cons__emit_sync(c);
            continue;
        }
        if (b->validity == CONS__BLOCK_UNKNOWN) cons__block_request(c, b);
        if (b->validity != CONS__BLOCK_VALID) continue;
        cons__decide(c, rs, b);
        return true;
    }
    return false;
}

/* "f+1 messages of any kind from round r' > r at height h: jump to round r'." */
static bool rule_round_skip(struct cons *c)
{
    const struct cons__round *best = NULL;
    for (size_t i = 0; i < c->slot_count; i++) {
        const struct cons__round *rs = &c->rounds[i];
        if (!rs->used || rs->round <= c->round) continue;
        if (cons__round_senders(c, rs) < c->faulty + 1) continue;
        if (!best || rs->round > best->round) best = rs;
    }
    if (!best) return false;
    uint32_t target = best->round;
    cons__start_round(c, target);
    WB_ASSERT(c->round == target && c->step == CONS_STEP_PROPOSE);
    return true;
}

/* "On PROPOSAL(h, r, v, -1) in step propose: prevote id(v) if v is valid and
 * (lockedRound = -1 or lockedValue = v); else prevote nil. Step = prevote."
 * "On PROPOSAL(h, r, v, vr) with 0 <= vr < r and q PREVOTEs for id(v) at
 * round vr, in step propose: prevote id(v) if v is valid and (lockedRound <=
 * vr or lockedValue = v); else nil. Step = prevote."
 * The q prevotes at vr are the proposer's proof of lock, sent along with the
 * proposal (cons__send_proposal) and re-sent with its own messages.
 * Validity comes from the driver; until it answers the rule waits (the
 * propose timeout bounds the wait). */
static bool rule_prevote_on_proposal(struct cons *c)
{
    if (c->step != CONS_STEP_PROPOSE) return false;
    struct cons__round *rs = cons__round_find(c, c->round);
    if (!rs || !rs->proposal.present) return false;
    const uint8_t *x = rs->proposal.hash;
    int32_t vr = rs->proposal.valid_round;
    if (vr >= 0) {
        /* The proof of lock: q prevotes for x at vr, or f+1 precommits for x
         * at vr (one of them honest, and an honest precommit for x is only
         * ever made on q prevotes for x: the polka existed). A validator that
         * voted both x and something else at vr (it is byzantine) counts
         * once, for x: which of its votes a node saw first must not decide
         * whether an honest proposer's proof can ever be completed there. */
        struct cons__round *prs = cons__round_find(c, (uint32_t)vr);
        if (!prs) return false;
        if (!cons__reach(c, prs, CONS_PREVOTE, CONS__MATCH_POL, x, c->quorum) &&
            !cons__reach(c, prs, CONS_PRECOMMIT, CONS__MATCH_POL, x, c->faulty + 1))
            return false;
    }
    int verdict = block_verdict(c, x);
    if (verdict < 0) return false;
    bool same_as_lock = c->locked_round >= 0 && memcmp(c->locked_hash, x, WB_HASH_LEN) == 0;
    bool lock_ok = vr < 0 ? (c->locked_round == -1 || same_as_lock)
                          : (c->locked_round <= vr || same_as_lock);
    if (CONS_SEAM(c, SKIP_LOCK_CHECK)) lock_ok = true;
    /* A prevote for x only on the lock rule and a valid block, and only
     * with the proof of lock for a proposal that carries a valid round. */
    bool for_x = verdict == 1 && lock_ok;
    WB_ASSERT(!for_x || same_as_lock || CONS_SEAM(c, SKIP_LOCK_CHECK) ||
              (vr < 0 ? c->locked_round == -1 : c->locked_round <= vr));
    cons__send_vote(c, CONS_PREVOTE, for_x ? x : NULL);
    c->step = CONS_STEP_PREVOTE;
    return true;
}

/* "First time q prevotes (any values) at (h, r) in step prevote: arm
 * prevote timeout." */
static bool rule_prevote_timer(struct cons *c)
{
    if (c->step != CONS_STEP_PREVOTE) return false;
    struct cons__round *rs = cons__round_find(c, c->round);
    if (!rs || rs->prevote_timer_armed) return false;
    if (!cons__reach(c, rs, CONS_PREVOTE, CONS__MATCH_ANY, NULL, c->quorum)) return false;
    rs->prevote_timer_armed = true;
    cons__arm(c, CONS_STEP_PREVOTE);
    return true;
}

/* "First time the proposal v of (h, r) is valid and has q prevotes for
 * id(v) while step >= prevote: if step = prevote, lock (lockedValue = v,
 * lockedRound = r), precommit id(v), step = precommit; in any case
 * validValue = v, validRound = r." */
static bool rule_polka(struct cons *c)
{
    if (c->step < CONS_STEP_PREVOTE) return false;
    struct cons__round *rs = cons__round_find(c, c->round);
    if (!rs || rs->polka_seen || !rs->proposal.present) return false;
    const uint8_t *x = rs->proposal.hash;
    if (!block_valid(c, x) || !cons__reach(c, rs, CONS_PREVOTE, CONS__MATCH_VALUE, x, c->quorum))
        return false;
    rs->polka_seen = true;
    if (c->step == CONS_STEP_PREVOTE) {
        c->locked_round = (int32_t)c->round;
        memcpy(c->locked_hash, x, WB_HASH_LEN);
        cons__send_vote(c, CONS_PRECOMMIT, x);
        c->step = CONS_STEP_PRECOMMIT;
    }
    WB_ASSERT(c->valid_round <= (int32_t)c->round);
    c->valid_round = (int32_t)c->round;
    memcpy(c->valid_hash, x, WB_HASH_LEN);
    /* Postcondition: a lock (if taken now) is this round's valid value. */
    WB_ASSERT(c->locked_round <= c->valid_round);
    return true;
}

/* The valid value from precommits: f+1 precommits for v at a round r' above
 * validRound prove q prevotes for v existed at r' (one of them is honest),
 * which is what "validValue = v, validRound = r'" records when the node sees
 * those prevotes itself. Without it, a polka seen only by nodes that then
 * crashed (their locks survive in their records, the prevotes and the block
 * do not) could never be re-proposed, and the locked nodes would refuse
 * everything else for ever. */
static bool rule_valid_from_precommits(struct cons *c)
{
    for (size_t i = 0; i < c->slot_count; i++) {
        struct cons__round *rs = &c->rounds[i];
        if (!rs->used || rs->round > c->round) continue;
        if (c->valid_round >= 0 && rs->round <= (uint32_t)c->valid_round) continue;
        const struct cons__vslot *vs = rs->votes[CONS_PRECOMMIT - 1];
        for (size_t v = 0; v < c->n; v++) {
            uint8_t x[WB_HASH_LEN];
            if (vs[v].state == CONS__VOTE_HASH)
                memcpy(x, vs[v].hash, WB_HASH_LEN);
            else if (vs[v].alt_state == CONS__VOTE_HASH)
                memcpy(x, vs[v].alt_hash, WB_HASH_LEN);
            else
                continue;
            /* Cheapest first: the count with unchecked votes, the block,
             * then (maybe checking signatures) the count itself. */
            if (cons__tally_potential(c, rs, CONS_PRECOMMIT, CONS__MATCH_POL, x) < c->faulty + 1)
                continue;
            struct cons__block *b = cons__block_find(c, x);
            if (!b) continue;
            if (b->validity == CONS__BLOCK_UNKNOWN) cons__block_request(c, b);
            if (b->validity != CONS__BLOCK_VALID) continue;
            if (!cons__reach(c, rs, CONS_PRECOMMIT, CONS__MATCH_POL, x, c->faulty + 1)) continue;
            WB_ASSERT((int64_t)rs->round > (int64_t)c->valid_round);
            c->valid_round = (int32_t)rs->round;
            memcpy(c->valid_hash, x, WB_HASH_LEN);
            return true;
        }
    }
    return false;
}

/* "q prevotes for nil at (h, r) in step prevote: precommit nil, step =
 * precommit." */
static bool rule_polka_nil(struct cons *c)
{
    if (c->step != CONS_STEP_PREVOTE) return false;
    struct cons__round *rs = cons__round_find(c, c->round);
    if (!rs || !cons__reach(c, rs, CONS_PREVOTE, CONS__MATCH_VALUE, NULL, c->quorum))
        return false;
    cons__send_vote(c, CONS_PRECOMMIT, NULL);
    c->step = CONS_STEP_PRECOMMIT;
    return true;
}

/* "First time q precommits (any values) at (h, r): arm precommit timeout." */
static bool rule_precommit_timer(struct cons *c)
{
    struct cons__round *rs = cons__round_find(c, c->round);
    if (!rs || rs->precommit_timer_armed) return false;
    if (!cons__reach(c, rs, CONS_PRECOMMIT, CONS__MATCH_ANY, NULL, c->quorum)) return false;
    rs->precommit_timer_armed = true;
    cons__arm(c, CONS_STEP_PRECOMMIT);
    return true;
}

/* Quiet when idle: the first message of this height from any validator
 * (kept in a round slot: a proposal or a vote of any round) ends the wait
 * for work. Someone had work or its heartbeat came due, and waiting on
 * would cost a round: its propose timeout runs, ours would not. */
static bool rule_wake(struct cons *c)
{
    if (!c->waiting) return false;
    for (size_t i = 0; i < c->slot_count; i++) {
        struct cons__round *rs = &c->rounds[i];
        if (rs->used && cons__round_senders_reach(c, rs, 1)) {
            cons__wake(c, true);
            return true;
        }
    }
    return false;
}

void cons__progress(struct cons *c)
{
    if (!c->started || c->set_pending) return;
    /* Every rule that fires moves (height, round, step) up or sets a flag
     * that stops it firing again: the loop is bounded. */
    for (;;) {
        if (rule_wake(c)) continue;
        if (rule_decide(c)) continue;
        if (rule_round_skip(c)) continue;
        if (rule_prevote_on_proposal(c)) continue;
        if (rule_prevote_timer(c)) continue;
        if (rule_polka(c)) continue;
        if (rule_polka_nil(c)) continue;
        if (rule_precommit_timer(c)) continue;
        if (rule_valid_from_precommits(c)) continue;
        break;
    }
}
