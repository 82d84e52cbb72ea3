/* Heights and rounds: entering a height (fresh, resumed from the safety
 * record, or waiting for work when idle), StartRound, and deciding a block. */
#include <string.h>

#include "common/wb_assert.h"
#include "consensus/internal.h"

static void wait_for_work(struct cons *c);

/* The restored safety record reserved round 0 of this height, so this node
 * may not sign there: it starts the height at round 1 instead (after its
 * wait for work, when quiet), where f+1 such nodes draw the others after
 * them (docs/consensus.md, "One flush per height"). */
static bool round0_blocked(const struct cons *c)
{
    return c->self != CONS_NOT_VALIDATOR && c->height == c->blocked_height;
}

/* DESIGN.md section 4: "decide v (commit it with those precommits as its
 * certificate), h = h + 1, reset locks/valid values, round 0". Also the
 * restart half of "Safety needs persistence": a record for this height
 * resumes its round, step and locks. */
static void begin_height(struct cons *c);

void cons__start_height(struct cons *c, uint64_t height)
{
    /* Heights only go up: the first one (START), the next (a decision) or
     * one the driver synced to. */
    WB_ASSERT(height > c->height || (height == c->height && c->step == CONS_STEP_NONE));
    c->height = height;
    c->round = 0;
    c->step = CONS_STEP_NONE;
    c->locked_round = -1;
    c->valid_round = -1;
    memset(c->locked_hash, 0, WB_HASH_LEN);
    memset(c->valid_hash, 0, WB_HASH_LEN);
    c->proposed = false;
    c->build_pending = false;
    c->sync_hinted = false;
    cons__rounds_clear(c);
    /* Requests of the height that ended are void; messages already in the
     * update still go out, so the blocks they point to stay until the next
     * step, unreachable by hash. */
    c->out_validate_count = 0;
    c->out_build_set = false;
    cons__blocks_clear(c, true);
    c->waiting = false;
    c->prev_self = c->self;
    c->prev_set_height = c->set_height;
    /* The set of this height, and the own index in it. Known whenever the
     * driver keeps the commit order (cons.h); if not, the height waits,
     * step none, until a later step finds it (cons__height_resume_set). */
    c->set_pending = !cons__set_enter(c, height);
    if (c->set_pending) return;
    begin_height(c);
}

void cons__height_resume_set(struct cons *c)
{
    WB_ASSERT(c->set_pending && c->step == CONS_STEP_NONE && c->round == 0);
    if (!cons__set_enter(c, c->height)) return;
    c->set_pending = false;
    begin_height(c);
}

/* The height's first round (or the resumed one), with its set known. */
static void begin_height(struct cons *c)
{
    uint64_t height = c->height;
    if (c->self != CONS_NOT_VALIDATOR && c->safety.height == height)
        cons__resume(c);
    else if (c->cfg.wait_for_work && !CONS_SEAM(c, SKIP_IDLE_WAIT))
        wait_for_work(c);
    else
        cons__start_round(c, round0_blocked(c) ? 1 : 0);
    WB_ASSERT(c->height == height && c->step != CONS_STEP_NONE);
    cons__held_replay(c);
}

/* Enters round r at step propose, nothing sent or armed yet. */
static void enter_round(struct cons *c, uint32_t round)
{
    /* Rounds only go up; round 0 is entered once per height. */
    WB_ASSERT(round < CONS_ROUND_LIMIT);
    WB_ASSERT(round > c->round || (round == 0 && c->round == 0 && c->step == CONS_STEP_NONE));
    c->round = round;
    c->step = CONS_STEP_PROPOSE;
    c->proposed = false;
    c->build_pending = false;
    c->waiting = false;
    c->stats.rounds_started++;
    cons__rounds_trim(c);
    (void)cons__round_current(c);
    WB_ASSERT(cons__round_find(c, round) != NULL);
}

/* DESIGN.md section 4: "Start of round r: step = propose. The proposer
 * proposes validValue if it has one, else a fresh block from its mempool,
 * and broadcasts PROPOSAL(h, r, block, validRound). Others arm the propose
 * timeout." The proposer arms it too: its fresh block comes back from the
 * driver asynchronously, and a driver that never answers must not stall the
 * round (once the proposal is out the proposer prevotes at once, so the
 * timer then finds step != propose and does nothing). A validValue whose
 * bytes this node no longer holds (after a restart the record keeps only its
 * hash) cannot be re-proposed; a fresh block is proposed instead, which is
 * safe: the lock rules of the other validators decide what they prevote. */
static void begin_propose(struct cons *c)
{
    if (c->self != CONS_NOT_VALIDATOR && !c->proposed && !c->build_pending &&
        cons_proposer(c->n, c->height, c->round) == c->self) {
        struct cons__block *b =
            c->valid_round >= 0 ? cons__block_find(c, c->valid_hash) : NULL;
        if (b && b->validity == CONS__BLOCK_VALID)
            cons__send_proposal(c, b, c->valid_round);
        else
            cons__emit_build(c);
    }
    cons__arm(c, CONS_STEP_PROPOSE);
}

void cons__start_round(struct cons *c, uint32_t round)
{
    enter_round(c, round);
    begin_propose(c);
}

/* Quiet when idle (cons.h): round 0 of a fresh height, step propose, but no
 * block asked for and no propose timeout armed until there is work (or a
 * message of this height says someone else has some). The driver is told
 * once, in this update. */
static void wait_for_work(struct cons *c)
{
    enter_round(c, 0);
    c->waiting = true;
    c->stats.idle_waits++;
    c->out_wait_for_work = c->height;
}

/* Ends the wait: round 0 starts as cons__start_round starts it. If a
 * message moved the step on meanwhile (a proposal was prevoted), the
 * propose timeout has nothing left to do and is not armed. */
void cons__wake(struct cons *c, bool by_message)
{
    if (!c->waiting) return;
    c->waiting = false;
    if (by_message)
        c->stats.woken_by_message++;
    else
        c->stats.woken_by_work++;
    if (c->round == 0 && c->step == CONS_STEP_PROPOSE) {
        if (round0_blocked(c))
            cons__start_round(c, 1);
        else
            begin_propose(c);
    }
}

/* DESIGN.md section 4: "Proposal v of (h, any round r') and q precommits
 * for id(v) at r': decide v (commit it with those precommits as its
 * certificate)". The certificate lists every precommit for id(v) at r'
 * this node holds (at least q, distinct validators, by index). */
void cons__decide(struct cons *c, struct cons__round *rs, struct cons__block *b)
{
    /* Preconditions: one decision per update, for a block this node holds
     * and validated, with q precommits for it in one round of this height. */
    WB_ASSERT(!c->out_decided);
    WB_ASSERT(rs->used && b->used && !b->stale && b->bytes != NULL);
    WB_ASSERT(b->validity == CONS__BLOCK_VALID);
    WB_ASSERT(cons__tally(c, rs, CONS_PRECOMMIT, b->hash) >= c->quorum);
    uint64_t height = c->height;
    c->decided_n = c->n;
    c->decided_quorum = c->quorum;
    struct cons_decision *d = &c->out_decision;
    memset(d, 0, sizeof *d);
    d->height = c->height;
    d->round = rs->round;
    memcpy(d->hash, b->hash, WB_HASH_LEN);
    size_t k = 0;
    for (uint32_t v = 0; v < c->n; v++) {
        const struct cons__vslot *s = &rs->votes[CONS_PRECOMMIT - 1][v];
        /* Only precommits whose signatures were checked: the certificate
         * must verify everywhere. */
        if (s->state != CONS__VOTE_HASH || !s->checked ||
            memcmp(s->hash, b->hash, WB_HASH_LEN) != 0)
            continue;
        cons__vote_from_slot(c, rs, CONS_PRECOMMIT, v, &c->decided_votes[k++]);
    }
    /* The certificate lists each validator once: a quorum of them unless
     * the test seam counted one vote twice. */
    WB_ASSERT(k <= c->n);
    WB_ASSERT(k >= c->quorum || CONS_SEAM(c, COUNT_DUPLICATES));
    d->precommit_count = k;
    d->precommits = c->decided_votes;
    /* The bytes move out of the table, which the new height clears. */
    c->decided_block = b->bytes;
    d->block = b->bytes;
    d->block_len = b->len;
    b->bytes = NULL;
    cons__block_drop(c, b);
    c->out_decided = true;
    c->stats.decisions++;
    cons__start_height(c, c->height + 1);
    WB_ASSERT(c->height > height && c->out_decided);
}
