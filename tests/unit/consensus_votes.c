/* Unit tests of vote counting in the consensus core: quorum thresholds,
 * duplicates, equivocation, and votes that must be ignored and counted as
 * rejected (non-validator, bad signature, other chain, height or round). */
#include "tests/unit/consensus_support.h"

#include "common/quorum.h"
#include "consensus/internal.h"

static const uint8_t HASH_A[WB_HASH_LEN] = {0xaa, 1, 2, 3};
static const uint8_t HASH_B[WB_HASH_LEN] = {0xbb, 4, 5, 6};

static void quorum_formula(void **state)
{
    (void)state;
    /* q = floor(2n/3) + 1: 2f+1 for n = 3f+1 (f = (n-1)/3) */
    const size_t n[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 64};
    const size_t q[] = {1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 9, 43};
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
        if (wb_quorum(n[i]) != q[i])
            fail_msg("n=%zu: quorum %zu, expected %zu", n[i], wb_quorum(n[i]), q[i]);
    }
    /* For every n: two quorums share at least f+1 validators (so an honest
     * one, who never votes for two values), and the n - f honest validators
     * alone make a quorum. */
    for (size_t k = 1; k <= 200; k++) {
        size_t qk = wb_quorum(k), fk = wb_faulty(k);
        if (2 * qk < k + fk + 1)
            fail_msg("n=%zu: two quorums of %zu may share only %zu validators, f=%zu", k, qk,
                     2 * qk - k, fk);
        if (k - fk < qk) fail_msg("n=%zu: %zu honest validators cannot make quorum %zu", k,
                                   k - fk, qk);
    }
    assert_int_equal(wb_faulty(4), 1);
    assert_int_equal(wb_faulty(7), 2);
    assert_int_equal(wb_faulty(10), 3);
    assert_int_equal(cons_proposer(4, 1, 0), 1);
    assert_int_equal(cons_proposer(4, 3, 2), 1);
}

/* For n validators, the node precommits exactly when the q-th prevote for
 * the block arrives, and decides exactly at the q-th precommit. */
static void threshold_for(size_t n)
{
    struct tv t;
    tv_init(&t, n);
    uint32_t self = 0; /* proposer of (1, 0) is 1 */
    struct cons_config cfg;
    tv_config(&t, self, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    tv_to_prevote(&t, &c, 1, HASH_A, &up);
    size_t q = wb_quorum(n);
    size_t have = 1; /* own prevote */
    for (uint32_t v = 1; v < n && have < q; v++) {
        struct cons_vote pv = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, v);
        tv_feed_vote(&c, &pv, &up);
        have++;
        const struct cons_vote *pc = tv_sent_vote(&up, CONS_PRECOMMIT);
        if (have < q && pc)
            fail_msg("n=%zu: precommitted after %zu prevotes, quorum is %zu", n, have, q);
        if (have == q && !pc)
            fail_msg("n=%zu: no precommit after %zu = q prevotes", n, have);
    }
    assert_int_equal(cons_current_step(&c), CONS_STEP_PRECOMMIT);
    have = 1; /* own precommit */
    for (uint32_t v = 1; v < n && have < q; v++) {
        struct cons_vote pc = tv_vote(&t, CONS_PRECOMMIT, 1, 0, HASH_A, v);
        tv_feed_vote(&c, &pc, &up);
        have++;
        if (have < q && up.decision)
            fail_msg("n=%zu: decided after %zu precommits, quorum is %zu", n, have, q);
        if (have == q && !up.decision)
            fail_msg("n=%zu: not decided after %zu = q precommits", n, have);
    }
    assert_non_null(up.decision);
    assert_int_equal(up.decision->height, 1);
    assert_int_equal(up.decision->precommit_count, q);
    assert_memory_equal(up.decision->hash, HASH_A, WB_HASH_LEN);
    assert_int_equal(cons_height(&c), 2);
    cons_free(&c);
}

static void thresholds_n4_n7_n10(void **state)
{
    (void)state;
    threshold_for(4);
    threshold_for(7);
    threshold_for(10);
}

static void duplicates_count_once(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 0, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    tv_to_prevote(&t, &c, 1, HASH_A, &up);
    struct cons_vote pv = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, 2);
    for (int i = 0; i < 5; i++) {
        tv_feed_vote(&c, &pv, &up);
        if (tv_sent_vote(&up, CONS_PRECOMMIT))
            fail_msg("precommitted with 2 distinct prevotes after %d copies of one", i + 1);
    }
    assert_int_equal(cons_get_stats(&c)->duplicates, 4);
    /* The third distinct validator makes the quorum. */
    pv = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, 3);
    tv_feed_vote(&c, &pv, &up);
    assert_non_null(tv_sent_vote(&up, CONS_PRECOMMIT));
    cons_free(&c);
}

static void conflicting_votes_are_evidence_counted_once(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 0, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    tv_to_prevote(&t, &c, 1, HASH_A, &up);
    struct cons_vote a = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_B, 2);
    struct cons_vote b = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, 2);
    tv_feed_vote(&c, &a, &up);
    assert_int_equal(up.evidence_count, 0);
    tv_feed_vote(&c, &b, &up);
    assert_int_equal(up.evidence_count, 1);
    assert_memory_equal(up.evidence[0].a.hash, HASH_B, WB_HASH_LEN);
    assert_memory_equal(up.evidence[0].b.hash, HASH_A, WB_HASH_LEN);
    assert_int_equal(up.evidence[0].a.validator, 2);
    /* The second vote was not counted: own + validator 2's first = no quorum for A. */
    assert_null(tv_sent_vote(&up, CONS_PRECOMMIT));
    /* Reported once, and the evidence encodes. */
    uint8_t *buf;
    size_t len;
    assert_int_equal(cons_evidence_encode(&up.evidence[0], &buf, &len), WB_OK);
    Waybill__Evidence *e = waybill__evidence__unpack(NULL, len, buf);
    assert_non_null(e);
    assert_int_equal(e->a->validator, 2);
    assert_int_equal(e->b->block_hash.len, 32);
    waybill__evidence__free_unpacked(e, NULL);
    free(buf);
    struct cons_vote nil = tv_vote(&t, CONS_PREVOTE, 1, 0, NULL, 2);
    tv_feed_vote(&c, &nil, &up);
    assert_int_equal(up.evidence_count, 0);
    assert_int_equal(cons_get_stats(&c)->equivocations, 1);
    cons_free(&c);
}

/* Each rejected vote is ignored (no quorum forms from it) and counted. */
static void rejected_votes_are_counted(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 5); /* signer 4 is not in the 4-validator set below */
    struct tv set = t;
    set.n = 4;
    struct cons_config cfg;
    tv_config(&set, 0, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    tv_to_prevote(&set, &c, 1, HASH_A, &up);
    const struct cons_stats *st = cons_get_stats(&c);

    struct cons_vote v = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, 4);
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(st->rejected_non_validator, 1);

    v = tv_vote(&set, CONS_PREVOTE, 1, 0, HASH_A, 2);
    v.signature[10] ^= 1;
    tv_feed_vote(&c, &v, &up);
    /* Kept unchecked: it counts nowhere, and no count needs it yet. */
    assert_int_equal(st->rejected_signature, 0);
    assert_int_equal(cons__tally_any(&c, cons__round_find(&c, 0), CONS_PREVOTE), 1);

    /* Signed by validator 3 with validator 2's index: the value held
     * unchecked under other bytes, so this one is checked at once. */
    v = tv_vote(&set, CONS_PREVOTE, 1, 0, HASH_A, 3);
    v.validator = 2;
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(st->rejected_signature, 1);

    uint8_t other_chain[WB_CHAIN_ID_LEN];
    memset(other_chain, 0xc2, sizeof other_chain);
    v = tv_vote_chain(&set, other_chain, CONS_PREVOTE, 1, 0, HASH_A, 2);
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(st->rejected_signature, 2);

    /* A good prevote of validator 3 would make q with validator 2's
     * unchecked one: that one is checked now, fails, and gives way. */
    v = tv_vote(&set, CONS_PREVOTE, 1, 0, HASH_A, 3);
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(st->rejected_signature, 3);
    assert_null(tv_sent_vote(&up, CONS_PRECOMMIT));
    assert_int_equal(cons__tally_any(&c, cons__round_find(&c, 0), CONS_PREVOTE), 2);

    v = tv_vote(&set, CONS_PREVOTE, 0, 0, HASH_A, 2);
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(st->rejected_height, 1);
    v = tv_vote(&set, CONS_PREVOTE, 3, 0, HASH_A, 2);
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(st->rejected_height, 2);

    /* Other rounds are kept but do not count for round 0. */
    v = tv_vote(&set, CONS_PREVOTE, 1, 7, HASH_A, 2);
    tv_feed_vote(&c, &v, &up);
    v = tv_vote(&set, CONS_PREVOTE, 1, 8, HASH_A, 2);
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(cons_round(&c), 0);
    /* A third future round of validator 2, below the two it holds: over the bound. */
    v = tv_vote(&set, CONS_PREVOTE, 1, 3, HASH_A, 2);
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(st->rejected_round, 1);

    v = tv_vote(&set, 9, 1, 0, HASH_A, 2);
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(st->rejected_malformed, 1);

    /* None of that made a quorum: still in prevote, no precommit sent. */
    assert_int_equal(cons_current_step(&c), CONS_STEP_PREVOTE);
    assert_null(tv_sent_vote(&up, CONS_PRECOMMIT));
    cons_free(&c);
}

/* Rounds below the kept window are refused as rejected_round. */
static void past_rounds_beyond_window_rejected(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 0, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    for (uint32_t r = 0; r < 8; r++) {
        assert_int_equal(cons_round(&c), r);
        tv_feed_timeout(&c, 1, r, CONS_STEP_PRECOMMIT, &up);
    }
    assert_int_equal(cons_round(&c), 8);
    struct cons_vote v = tv_vote(&t, CONS_PRECOMMIT, 1, 1, HASH_A, 2);
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(cons_get_stats(&c)->rejected_round, 1);
    /* Within the window (the last CONS_PAST_ROUNDS rounds): kept. */
    v = tv_vote(&t, CONS_PRECOMMIT, 1, 7, HASH_A, 2);
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(cons_get_stats(&c)->rejected_round, 1);
    cons_free(&c);
}

/* f+1 validators at a later round make the node jump there. */
static void round_skip_at_f_plus_one(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 7); /* f = 2 */
    struct cons_config cfg;
    tv_config(&t, 0, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    struct cons_vote v = tv_vote(&t, CONS_PREVOTE, 1, 5, NULL, 2);
    tv_feed_vote(&c, &v, &up);
    v = tv_vote(&t, CONS_PRECOMMIT, 1, 5, NULL, 2);
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(cons_round(&c), 0);
    v = tv_vote(&t, CONS_PREVOTE, 1, 5, NULL, 3);
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(cons_round(&c), 0);
    v = tv_vote(&t, CONS_PREVOTE, 1, 5, NULL, 4);
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(cons_round(&c), 5);
    assert_int_equal(cons_current_step(&c), CONS_STEP_PROPOSE);
    assert_int_equal(up.timer_count, 1);
    assert_int_equal(up.timers[0].round, 5);
    assert_int_equal(up.timers[0].delay_ms, 1000 + 5 * 500);
    cons_free(&c);
}

/* Votes for the next height wait (bounded) and count once the node is there. */
static void next_height_votes_held_and_replayed(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 0, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    /* Height 2, round 0: proposer is 2. */
    static const uint8_t block[] = "next block";
    struct cons_proposal p2 = tv_proposal(&t, 2, 0, -1, HASH_B, block, sizeof block);
    tv_feed_proposal(&c, &p2, &up);
    for (uint32_t v = 1; v <= 3; v++) {
        struct cons_vote pv = tv_vote(&t, CONS_PREVOTE, 2, 0, HASH_B, v);
        tv_feed_vote(&c, &pv, &up);
    }
    /* f+1 = 2 validators are at height 2: a sync hint. */
    assert_int_equal(up.sync_from, 0); /* hinted already with an earlier message */
    for (int i = 0; i < 10; i++) {
        struct cons_vote pv = tv_vote(&t, CONS_PRECOMMIT, 2, (uint32_t)i, NULL, 3);
        tv_feed_vote(&c, &pv, &up);
    }
    assert_true(cons_get_stats(&c)->next_height_dropped > 0);
    /* Decide height 1. */
    tv_to_prevote(&t, &c, 1, HASH_A, &up);
    for (uint32_t v = 1; v <= 2; v++) {
        struct cons_vote pv = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, v);
        tv_feed_vote(&c, &pv, &up);
    }
    for (uint32_t v = 1; v <= 2; v++) {
        struct cons_vote pc = tv_vote(&t, CONS_PRECOMMIT, 1, 0, HASH_A, v);
        tv_feed_vote(&c, &pc, &up);
    }
    assert_non_null(up.decision);
    assert_int_equal(cons_height(&c), 2);
    /* The held proposal is asked to be validated in the same update. */
    assert_int_equal(up.validate_count, 1);
    assert_int_equal(up.validate[0].height, 2);
    assert_memory_equal(up.validate[0].hash, HASH_B, WB_HASH_LEN);
    tv_feed_valid(&c, 2, HASH_B, CONS_BLOCK_VALID, &up);
    /* Prevote for B, and with the 3 held prevotes a quorum: precommit at once. */
    assert_non_null(tv_sent_vote(&up, CONS_PREVOTE));
    const struct cons_vote *pc = tv_sent_vote(&up, CONS_PRECOMMIT);
    assert_non_null(pc);
    assert_memory_equal(pc->hash, HASH_B, WB_HASH_LEN);
    cons_free(&c);
}

static void sync_hint_when_f_plus_one_ahead(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 0, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    struct cons_vote v = tv_vote(&t, CONS_PREVOTE, 5, 0, NULL, 1);
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(up.sync_from, 0);
    v = tv_vote(&t, CONS_PREVOTE, 6, 0, NULL, 2);
    tv_feed_vote(&c, &v, &up);
    assert_int_equal(up.sync_from, 1);
    assert_int_equal(cons_get_stats(&c)->rejected_height, 2);
    /* SYNCED moves the node on. */
    struct cons_event ev = {.kind = CONS_EV_SYNCED};
    ev.synced.height = 4;
    tv_step(&c, &ev, &up);
    assert_int_equal(cons_height(&c), 5);
    assert_int_equal(cons_round(&c), 0);
    cons_free(&c);
}

/* A proposer re-proposing its valid value sends the proof of lock (the q
 * prevotes of its valid round) with the proposal, and re-sends it with its
 * own messages. */
static void proposer_sends_proof_of_lock(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 2, &cfg); /* proposer of (1, 1) */
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    tv_to_prevote(&t, &c, 1, HASH_A, &up);
    for (uint32_t v = 1; v <= 3; v += 2) {
        struct cons_vote pv = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, v);
        tv_feed_vote(&c, &pv, &up);
    }
    assert_non_null(tv_sent_vote(&up, CONS_PRECOMMIT)); /* locked on A at round 0 */
    for (uint32_t v = 1; v <= 3; v += 2) {
        struct cons_vote pc = tv_vote(&t, CONS_PRECOMMIT, 1, 0, NULL, v);
        tv_feed_vote(&c, &pc, &up);
    }
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PRECOMMIT, &up);
    assert_int_equal(cons_round(&c), 1);
    const struct cons_proposal *p = tv_sent_proposal(&up);
    assert_non_null(p);
    assert_int_equal(p->valid_round, 0);
    assert_memory_equal(p->hash, HASH_A, WB_HASH_LEN);
    size_t pol = 0;
    for (size_t i = 0; i < up.msg_count; i++) {
        const struct cons_msg *m = &up.msgs[i];
        if (m->kind == CONS_MSG_VOTE && m->vote.type == CONS_PREVOTE && m->vote.round == 0 &&
            memcmp(m->vote.hash, HASH_A, WB_HASH_LEN) == 0)
            pol++;
    }
    assert_int_equal(pol, 3);
    const struct cons_msg *own;
    size_t own_n;
    cons_own_messages(&c, &own, &own_n);
    pol = 0;
    for (size_t i = 0; i < own_n; i++)
        if (own[i].kind == CONS_MSG_VOTE && own[i].vote.type == CONS_PREVOTE &&
            own[i].vote.round == 0 && own[i].vote.validator != 2)
            pol++;
    assert_int_equal(pol, 2); /* validators 1 and 3, besides its own prevote */
    cons_free(&c);
}

/* A node that counted a byzantine validator's nil prevote at round 0 still
 * completes an honest proposer's proof of lock for A with that validator's
 * conflicting prevote for A: it counts once, for A, and is evidence. */
static void proof_of_lock_counts_conflicting_vote_once(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 0, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    /* Round 0: no proposal seen; it prevotes nil on the timeout. */
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PROPOSE, &up);
    struct cons_vote nil3 = tv_vote(&t, CONS_PREVOTE, 1, 0, NULL, 3);
    tv_feed_vote(&c, &nil3, &up);
    struct cons_vote a2 = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, 2);
    tv_feed_vote(&c, &a2, &up);
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PREVOTE, &up);
    for (uint32_t v = 2; v <= 3; v++) {
        struct cons_vote pc = tv_vote(&t, CONS_PRECOMMIT, 1, 0, NULL, v);
        tv_feed_vote(&c, &pc, &up);
    }
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PRECOMMIT, &up);
    assert_int_equal(cons_round(&c), 1);
    /* Round 1: validator 2 proposes A with valid round 0, and its proof. */
    static const uint8_t block[] = "block A";
    struct cons_proposal p = tv_proposal(&t, 1, 1, 0, HASH_A, block, sizeof block);
    tv_feed_proposal(&c, &p, &up);
    tv_feed_valid(&c, 1, HASH_A, CONS_BLOCK_VALID, &up);
    assert_null(tv_sent_vote(&up, CONS_PREVOTE)); /* 1 of 3 prevotes for A at round 0 */
    struct cons_vote a1 = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, 1);
    tv_feed_vote(&c, &a1, &up);
    assert_null(tv_sent_vote(&up, CONS_PREVOTE));
    struct cons_vote a3 = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, 3);
    tv_feed_vote(&c, &a3, &up);
    assert_int_equal(up.evidence_count, 1);
    const struct cons_vote *pv = tv_sent_vote(&up, CONS_PREVOTE);
    assert_non_null(pv);
    assert_false(pv->nil);
    assert_memory_equal(pv->hash, HASH_A, WB_HASH_LEN);
    assert_int_equal(pv->round, 1);
    /* Validator 3 still counts once everywhere: in the ordinary tallies of
     * round 0 with its first vote (nil), in the proof of lock with its
     * second (A); four validators, four votes. */
    struct cons__round *r0 = cons__round_find(&c, 0);
    assert_non_null(r0);
    assert_int_equal(cons__tally(&c, r0, CONS_PREVOTE, HASH_A), 2);
    assert_int_equal(cons__tally(&c, r0, CONS_PREVOTE, NULL), 2);
    assert_int_equal(cons__tally_any(&c, r0, CONS_PREVOTE), 4);
    assert_int_equal(cons__tally_pol(&c, r0, CONS_PREVOTE, HASH_A), 3);
    cons_free(&c);
}

/* Of the votes of a height only those a threshold needs are checked: with
 * n = 4 (q = 3) a node that voted itself checks two prevotes and two
 * precommits, and the certificate lists what it checked. */
static void only_needed_votes_are_checked(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 0, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    tv_to_prevote(&t, &c, 1, HASH_A, &up);
    const struct cons_stats *st = cons_get_stats(&c);
    assert_int_equal(st->signatures_checked, 1); /* the proposal */
    struct cons_vote pv = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, 1);
    tv_feed_vote(&c, &pv, &up);
    assert_int_equal(st->signatures_checked, 1); /* 2 of q: nothing to check yet */
    assert_null(tv_sent_vote(&up, CONS_PRECOMMIT));
    pv = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, 2);
    tv_feed_vote(&c, &pv, &up);
    assert_int_equal(st->signatures_checked, 3);
    assert_non_null(tv_sent_vote(&up, CONS_PRECOMMIT));
    pv = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, 3);
    tv_feed_vote(&c, &pv, &up);
    assert_int_equal(st->signatures_checked, 3); /* past the threshold: never checked */

    struct cons_vote pc = tv_vote(&t, CONS_PRECOMMIT, 1, 0, HASH_A, 3);
    tv_feed_vote(&c, &pc, &up);
    assert_null(up.decision);
    pc = tv_vote(&t, CONS_PRECOMMIT, 1, 0, HASH_A, 1);
    tv_feed_vote(&c, &pc, &up);
    assert_int_equal(st->signatures_checked, 5);
    assert_non_null(up.decision);
    assert_int_equal(up.decision->precommit_count, 3);
    assert_int_equal(up.decision->precommits[0].validator, 0);
    assert_int_equal(up.decision->precommits[1].validator, 1);
    assert_int_equal(up.decision->precommits[2].validator, 3);
    assert_int_equal(st->rejected_signature, 0);
    cons_free(&c);
}

/* A forged vote held unchecked never counts, never blocks the real one and
 * never makes evidence: the real vote of the same value takes its place
 * once checked; a real vote of another value has the held one checked
 * first, and a forged one gives way. A forged precommit is checked before
 * a decision and is not in the certificate. */
static void forged_votes_give_way(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 0, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    tv_to_prevote(&t, &c, 1, HASH_A, &up);
    const struct cons_stats *st = cons_get_stats(&c);
    struct cons__round *r0 = cons__round_find(&c, 0);

    /* The real vote of the same value takes the place of a forgery held
     * unchecked, which is never checked. */
    struct cons_vote forged = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, 1);
    forged.signature[3] ^= 0x40;
    tv_feed_vote(&c, &forged, &up);
    struct cons_vote real = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, 1);
    tv_feed_vote(&c, &real, &up);
    assert_int_equal(cons__tally(&c, r0, CONS_PREVOTE, HASH_A), 2);
    assert_int_equal(st->rejected_signature, 0);

    /* Re-delivery passes on only what is validly signed: a forged
     * precommit kept unchecked (no count needs it) is checked and dropped. */
    forged = tv_vote(&t, CONS_PRECOMMIT, 1, 0, HASH_A, 3);
    forged.signature[0] ^= 0x01;
    tv_feed_vote(&c, &forged, &up);
    assert_int_equal(st->rejected_signature, 0);
    const struct cons_msg *own;
    size_t own_count;
    cons_own_messages(&c, &own, &own_count);
    bool relayed_1 = false;
    for (size_t i = 0; i < own_count; i++) {
        if (own[i].kind != CONS_MSG_VOTE) continue;
        assert_false(own[i].vote.validator == 3);
        relayed_1 |= own[i].vote.validator == 1;
    }
    assert_true(relayed_1);
    assert_int_equal(st->rejected_signature, 1);

    /* A real vote of another value has the held one checked first: a
     * forgery gives way, and no evidence names its victim. */
    forged = tv_vote(&t, CONS_PREVOTE, 1, 0, NULL, 2);
    forged.signature[9] ^= 0x02;
    tv_feed_vote(&c, &forged, &up);
    real = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, 2);
    tv_feed_vote(&c, &real, &up);
    assert_int_equal(st->rejected_signature, 2);
    assert_int_equal(up.evidence_count, 0);
    assert_int_equal(st->equivocations, 0);
    assert_non_null(tv_sent_vote(&up, CONS_PRECOMMIT)); /* q prevotes for A */

    /* A forged precommit is checked before a decision and is not in the
     * certificate. */
    forged = tv_vote(&t, CONS_PRECOMMIT, 1, 0, HASH_A, 3);
    forged.signature[1] ^= 0x04;
    tv_feed_vote(&c, &forged, &up);
    struct cons_vote pc = tv_vote(&t, CONS_PRECOMMIT, 1, 0, HASH_A, 1);
    tv_feed_vote(&c, &pc, &up);
    assert_null(up.decision); /* the forged one was checked and failed */
    assert_int_equal(st->rejected_signature, 3);
    pc = tv_vote(&t, CONS_PRECOMMIT, 1, 0, HASH_A, 2);
    tv_feed_vote(&c, &pc, &up);
    assert_non_null(up.decision);
    assert_int_equal(up.decision->precommit_count, 3);
    for (size_t i = 0; i < 3; i++) assert_int_not_equal(up.decision->precommits[i].validator, 3);
    cons_free(&c);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quorum_formula),
        cmocka_unit_test(thresholds_n4_n7_n10),
        cmocka_unit_test(duplicates_count_once),
        cmocka_unit_test(conflicting_votes_are_evidence_counted_once),
        cmocka_unit_test(rejected_votes_are_counted),
        cmocka_unit_test(past_rounds_beyond_window_rejected),
        cmocka_unit_test(round_skip_at_f_plus_one),
        cmocka_unit_test(next_height_votes_held_and_replayed),
        cmocka_unit_test(sync_hint_when_f_plus_one_ahead),
        cmocka_unit_test(proposer_sends_proof_of_lock),
        cmocka_unit_test(proof_of_lock_counts_conflicting_vote_once),
        cmocka_unit_test(only_needed_votes_are_checked),
        cmocka_unit_test(forged_votes_give_way),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
