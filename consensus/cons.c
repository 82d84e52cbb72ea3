/* The core's entry points: init, free, the step function's dispatch, the
 * update being assembled, and accessors. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/quorum.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "consensus/internal.h"

uint32_t cons_proposer(size_t n, uint64_t height, uint32_t round)
{
    WB_ASSERT(n > 0);
    return (uint32_t)((height + round) % n);
}

static int config_check(const struct cons_config *cfg, uint64_t next_height)
{
    if (!cfg->timeout_propose_ms || !cfg->timeout_prevote_ms || !cfg->timeout_precommit_ms)
        return WB_ERR_CONFIG;
    if (cfg->block_bytes_max == 0 || next_height == 0) return WB_ERR_CONFIG;
    /* Per-height sets: checked as the driver answers them (valset.c). */
    if (cfg->valset) return cfg->valset_max <= CONS_VALIDATORS_MAX ? WB_OK : WB_ERR_CONFIG;
    if (cfg->validator_count == 0 || cfg->validator_count > CONS_VALIDATORS_MAX)
        return WB_ERR_CONFIG;
    if (!cfg->validator_keys) return WB_ERR_CONFIG;
    if (cfg->self != CONS_NOT_VALIDATOR && cfg->self >= cfg->validator_count)
        return WB_ERR_CONFIG;
    /* A key listed twice would let one signer count twice. */
    for (size_t i = 0; i < cfg->validator_count; i++)
        for (size_t j = i + 1; j < cfg->validator_count; j++)
            if (memcmp(cfg->validator_keys[i], cfg->validator_keys[j], WB_PUBKEY_LEN) == 0)
                return WB_ERR_CONFIG;
    return WB_OK;
}

static int alloc_tables(struct cons *c)
{
    size_t n = c->cap;
    c->slot_count =
        1 + CONS_PAST_ROUNDS + CONS_PINNED_ROUNDS + CONS_FUTURE_ROUNDS_PER_VALIDATOR * n;
    c->block_cap = c->slot_count + 3;
    c->own_cap = 3 * c->slot_count + 2 * n + 1 + 2 * n;
    c->rounds = calloc(c->slot_count, sizeof *c->rounds);
    struct cons__vslot *vs = calloc(c->slot_count * 2 * n, sizeof *vs);
    c->blocks = calloc(c->block_cap, sizeof *c->blocks);
    c->held = calloc(n * CONS_NEXT_PER_VALIDATOR, sizeof *c->held);
    c->out_validate = calloc(c->block_cap, sizeof *c->out_validate);
    c->decided_votes = calloc(n, sizeof *c->decided_votes);
    c->own = calloc(c->own_cap, sizeof *c->own);
    if (!c->rounds || !vs || !c->blocks || !c->held || !c->out_validate || !c->decided_votes ||
        !c->own) {
        free(vs);
        return WB_ERR_NOMEM;
    }
    for (size_t i = 0; i < c->slot_count; i++) {
        c->rounds[i].votes[0] = vs + (2 * i) * n;
        c->rounds[i].votes[1] = vs + (2 * i + 1) * n;
    }
    return WB_OK;
}

static void free_tables(struct cons *c)
{
    if (c->blocks) cons__blocks_clear(c, false);
    if (c->held) cons__held_clear(c);
    if (c->rounds) free(c->rounds[0].votes[0]);
    free(c->rounds);
    free(c->blocks);
    free(c->held);
    free(c->out_validate);
    free(c->decided_votes);
    free(c->own);
    free(c->decided_block);
}

int cons_init(struct cons *c, const struct cons_config *cfg, uint64_t next_height,
              const struct cons_safety *restored)
{
    memset(c, 0, sizeof *c);
    int rc = config_check(cfg, next_height);
    if (rc) return rc;
    c->cfg = *cfg;
    c->cfg.validator_keys = NULL; /* copied below; the caller's array may go away */
    if (crypto_sign_ed25519_sk_to_pk(c->own_key, cfg->secret_key) != 0) {
        rc = WB_ERR_CONFIG;
        goto err_wipe;
    }
    if (cfg->valset) {
        c->cap = cfg->valset_max ? cfg->valset_max : CONS_VALIDATORS_MAX;
        rc = cons__set_init(c, next_height);
        if (rc) goto err_wipe;
    } else {
        c->cap = cfg->validator_count;
        c->n = cfg->validator_count;
        memcpy(c->keys, cfg->validator_keys, c->n * WB_PUBKEY_LEN);
        c->self = cfg->self;
        rc = cons__set_init(c, next_height);
        WB_ASSERT(rc == WB_OK); /* the fixed set is always known */
    }
    /* The proposer check is about the height the record resumes; with sets
     * per height, a record of an earlier height (not resumed) was made
     * under that height's set, which this check does not have. */
    uint32_t rec_self = c->self;
    if (cfg->valset && restored && restored->height != next_height) rec_self = CONS_NOT_VALIDATOR;
    if (restored && !cons__safety_restorable(restored, c->cfg.chain_id, c->n, rec_self)) {
        rc = WB_ERR_CONFIG;
        goto err_wipe;
    }
    if (!c->cfg.sync_hint_interval_ms) c->cfg.sync_hint_interval_ms = cfg->timeout_propose_ms;
    rc = alloc_tables(c);
    if (rc) goto err_after_alloc;
    if (restored) {
        c->safety = *restored;
        c->blocked_height = restored->reserve_height;
        c->out_safety = *restored; /* durable already */
    } else {
        c->safety.locked_round = -1;
        c->safety.valid_round = -1;
        c->out_safety = c->safety;
    }
    c->height = next_height;
    c->locked_round = -1;
    c->valid_round = -1;
    cons__assert_invariants(c);
    return WB_OK;
err_after_alloc:
    free_tables(c);
err_wipe:
    sodium_memzero(c->cfg.secret_key, sizeof c->cfg.secret_key);
    memset(c, 0, sizeof *c);
    return rc;
}

void cons_free(struct cons *c)
{
    free_tables(c);
    sodium_memzero(c, sizeof *c);
}

/* ---- the update being built --------------------------------------------- */

static void update_begin(struct cons *c)
{
    c->out_msg_count = 0;
    c->out_timer_count = 0;
    c->out_evidence_count = 0;
    c->out_build_set = false;
    c->out_validate_count = 0;
    c->out_decided = false;
    c->out_sync_from = 0;
    c->out_wait_for_work = 0;
    free(c->decided_block);
    c->decided_block = NULL;
    for (size_t i = 0; i < c->block_cap; i++) {
        struct cons__block *b = &c->blocks[i];
        b->pinned = false;
        if (b->used && b->stale) cons__block_drop(c, b);
    }
}

static void update_finish(struct cons *c, struct cons_update *up)
{
    memset(up, 0, sizeof *up);
    bool emit = CONS_SEAM_PERSIST(c, c->safety_dirty);
    c->safety_dirty = false;
    if (emit) {
        c->out_safety = c->safety;
        up->persist = &c->out_safety;
        /* Durable before anything of this update is sent, so before any
         * later step signs under it. */
        c->covered_height = c->out_safety.reserve_height;
    }
    up->msgs = c->out_msgs;
    up->msg_count = c->out_msg_count;
    up->timers = c->out_timers;
    up->timer_count = c->out_timer_count;
    up->decision = c->out_decided ? &c->out_decision : NULL;
    up->evidence = c->out_evidence;
    up->evidence_count = c->out_evidence_count;
    up->build = c->out_build_set ? &c->out_build : NULL;
    up->validate = c->out_validate;
    up->validate_count = c->out_validate_count;
    up->sync_from = c->out_sync_from;
    /* A request of a height this update already left is void. */
    up->wait_for_work =
        c->waiting && c->out_wait_for_work == c->height ? c->out_wait_for_work : 0;
}

void cons__emit_msg(struct cons *c, const struct cons_msg *m)
{
    /* At most a proposal and two votes per round, over a bounded number of
     * round changes per event: exceeding the bound is a logic error. */
    WB_ASSERT(c->out_msg_count < CONS_UPDATE_MSGS_MAX);
    if (c->out_msg_count < CONS_UPDATE_MSGS_MAX) c->out_msgs[c->out_msg_count++] = *m;
}

void cons__emit_timer(struct cons *c, uint8_t step, uint32_t delay_ms)
{
    WB_ASSERT(c->out_timer_count < CONS_UPDATE_TIMERS_MAX);
    if (c->out_timer_count >= CONS_UPDATE_TIMERS_MAX) return;
    struct cons_timer *t = &c->out_timers[c->out_timer_count++];
    t->height = c->height;
    t->round = c->round;
    t->step = step;
    t->delay_ms = delay_ms;
}

void cons__emit_evidence(struct cons *c, const struct cons_vote *a, const struct cons_vote *b)
{
    c->stats.equivocations++;
    /* More conflicts in one event than the list holds can only come from a
     * replay of many held messages; the rest is counted, not listed. */
    if (c->out_evidence_count >= CONS_UPDATE_EVIDENCE_MAX) return;
    struct cons_evidence *e = &c->out_evidence[c->out_evidence_count++];
    e->a = *a;
    e->b = *b;
}

void cons__emit_build(struct cons *c)
{
    c->out_build.height = c->height;
    c->out_build.round = c->round;
    c->out_build_set = true;
    c->build_pending = true;
}

void cons__emit_validate(struct cons *c, struct cons__block *b)
{
    WB_ASSERT(c->out_validate_count < c->block_cap);
    if (c->out_validate_count >= c->block_cap) return;
    struct cons_validate_request *r = &c->out_validate[c->out_validate_count++];
    r->height = c->height;
    memcpy(r->hash, b->hash, WB_HASH_LEN);
    r->block = b->bytes;
    r->block_len = b->len;
    b->pinned = true;
}

void cons__emit_sync(struct cons *c)
{
    if (c->sync_hinted && c->now_ms - c->last_sync_hint_ms < c->cfg.sync_hint_interval_ms)
        return;
    c->sync_hinted = true;
    c->last_sync_hint_ms = c->now_ms;
    c->out_sync_from = c->height;
}

/* ---- the step function ---------------------------------------------------- */

int cons_step(struct cons *c, const struct cons_event *ev, struct cons_update *up)
{
    if (!ev || !up) return WB_ERR_INVALID;
    if (ev->kind == CONS_EV_START ? c->started : !c->started) return WB_ERR_INVALID;
    cons__assert_invariants(c);
    uint64_t height0 = c->height;
    uint32_t round0 = c->round;
    uint8_t step0 = c->step;
    update_begin(c);
    if (ev->now_ms > c->now_ms) c->now_ms = ev->now_ms;
    /* Sets the driver did not know at the last step may be known now. */
    if (c->started && c->set_pending) {
        cons__height_resume_set(c);
    } else if (c->started && c->held_unchecked > 0) {
        /* Verifies what is held if the set is known now; else it waits. */
        bool known = cons__next_set(c);
        (void)known;
    }
    switch (ev->kind) {
    case CONS_EV_START:
        c->started = true;
        cons__start_height(c, c->height);
        break;
    case CONS_EV_PROPOSAL:
        cons__recv_proposal(c, &ev->proposal, false);
        break;
    case CONS_EV_VOTE:
        cons__recv_vote(c, &ev->vote, false);
        break;
    case CONS_EV_TIMEOUT:
        cons__on_timeout(c, ev);
        break;
    case CONS_EV_BLOCK_READY:
        cons__on_block_ready(c, ev);
        break;
    case CONS_EV_BLOCK_VALIDATED:
        cons__on_block_validated(c, ev);
        break;
    case CONS_EV_SYNCED:
        /* The driver appended `height` itself (block sync): this height is
         * over for us, whatever round we were in. */
        if (ev->synced.height >= c->height) cons__start_height(c, ev->synced.height + 1);
        break;
    case CONS_EV_WORK:
        /* Stale (another height) or not waiting: nothing to do. */
        if (ev->work.height == c->height) cons__wake(c, false);
        break;
    default:
        update_finish(c, up);
        return WB_ERR_INVALID;
    }
    cons__progress(c);
    update_finish(c, up);
    /* Postconditions: (height, round, step) never goes back, a started core
     * is in a step, and the update is one the driver may act on. */
    WB_ASSERT(c->started);
    WB_ASSERT(cons__hrs_cmp(c->height, c->round, c->step, height0, round0, step0) >= 0);
    WB_ASSERT(!up->decision || up->decision->height >= height0);
    cons__assert_invariants(c);
    cons__assert_update(c, up);
    return WB_OK;
}

/* ---- re-delivery and accessors ---------------------------------------------- */

/* Gossip: the proposal and votes of the current round that others signed,
 * checked.
 * Tendermint's liveness assumes a message one honest node received reaches
 * every honest node; a byzantine validator that sends to some peers only and
 * then moves on to the next height would otherwise leave honest nodes in
 * different rounds, none with q messages to time out on. */
static size_t relay_current_round(struct cons *c, struct cons_msg *out, size_t cap)
{
    struct cons__round *rs = cons__round_find(c, c->round);
    if (!rs || c->set_pending) return 0;
    size_t k = 0;
    uint32_t proposer = cons_proposer(c->n, c->height, rs->round);
    if (rs->proposal.present && proposer != c->self && k < cap) {
        struct cons__block *b = cons__block_find(c, rs->proposal.hash);
        if (b) {
            struct cons_msg *m = &out[k++];
            memset(m, 0, sizeof *m);
            m->kind = CONS_MSG_PROPOSAL;
            m->proposal.height = c->height;
            m->proposal.round = rs->round;
            m->proposal.valid_round = rs->proposal.valid_round;
            m->proposal.proposer = proposer;
            memcpy(m->proposal.hash, rs->proposal.hash, WB_HASH_LEN);
            memcpy(m->proposal.signature, rs->proposal.sig, WB_SIG_LEN);
            m->proposal.block = b->bytes;
            m->proposal.block_len = b->len;
        }
    }
    for (uint8_t type = CONS_PREVOTE; type <= CONS_PRECOMMIT; type++)
        for (uint32_t v = 0; v < c->n && k < cap; v++) {
            if (v == c->self || rs->votes[type - 1][v].state == CONS__VOTE_NONE) continue;
            /* Only what is validly signed is passed on: a vote kept
             * unchecked is checked now (a re-send is rare: on reconnect and
             * while the height does not move). */
            if (!CONS_SEAM(c, RELAY_UNCHECKED) && !cons__vote_settle(c, rs, type, v)) continue;
            struct cons_msg *m = &out[k++];
            memset(m, 0, sizeof *m);
            m->kind = CONS_MSG_VOTE;
            cons__vote_from_slot(c, rs, type, v, &m->vote);
        }
    return k;
}

void cons_own_messages(struct cons *c, const struct cons_msg **msgs, size_t *count)
{
    size_t k = 0;
    uint32_t self = c->self;
    if (c->started && self != CONS_NOT_VALIDATOR) {
        for (size_t i = 0; i < c->slot_count; i++) {
            struct cons__round *rs = &c->rounds[i];
            if (!rs->used) continue;
            if (rs->proposal.present && cons_proposer(c->n, c->height, rs->round) == self) {
                struct cons__block *b = cons__block_find(c, rs->proposal.hash);
                if (b && k < c->own_cap) {
                    struct cons_msg *m = &c->own[k++];
                    memset(m, 0, sizeof *m);
                    m->kind = CONS_MSG_PROPOSAL;
                    m->proposal.height = c->height;
                    m->proposal.round = rs->round;
                    m->proposal.valid_round = rs->proposal.valid_round;
                    m->proposal.proposer = self;
                    memcpy(m->proposal.hash, rs->proposal.hash, WB_HASH_LEN);
                    memcpy(m->proposal.signature, rs->proposal.sig, WB_SIG_LEN);
                    m->proposal.block = b->bytes;
                    m->proposal.block_len = b->len;
                    struct cons__round *prs =
                        rs->round == c->round && rs->proposal.valid_round >= 0
                            ? cons__round_find(c, (uint32_t)rs->proposal.valid_round)
                            : NULL;
                    if (prs)
                        k += cons__pol_messages(c, prs, rs->proposal.hash, c->own + k,
                                                c->own_cap - k);
                }
            }
            for (uint8_t type = CONS_PREVOTE; type <= CONS_PRECOMMIT; type++) {
                if (rs->votes[type - 1][self].state == CONS__VOTE_NONE || k >= c->own_cap)
                    continue;
                /* This node's votes are stored checked; an unchecked one
                 * under its index came from the network (a forgery, or the
                 * key held elsewhere too): passed on only if validly signed. */
                if (!cons__vote_settle(c, rs, type, self)) continue;
                struct cons_msg *m = &c->own[k++];
                memset(m, 0, sizeof *m);
                m->kind = CONS_MSG_VOTE;
                cons__vote_from_slot(c, rs, type, self, &m->vote);
            }
        }
    }
    if (c->started) k += relay_current_round(c, c->own + k, c->own_cap - k);
    *msgs = c->own;
    *count = k;
}

uint64_t cons_height(const struct cons *c) { return c->height; }
uint32_t cons_round(const struct cons *c) { return c->round; }
enum cons_step cons_current_step(const struct cons *c) { return (enum cons_step)c->step; }
bool cons_waiting(const struct cons *c) { return c->waiting; }
const struct cons_stats *cons_get_stats(const struct cons *c) { return &c->stats; }
const struct cons_safety *cons_safety_record(const struct cons *c) { return &c->safety; }
