/* Unit tests of the signing rule and the safety record: persist comes with
 * every new signature, the record round-trips, and a node restarted from
 * its record (crash right after persisting, or right before) never signs
 * two different things for one (height, round, step). */
#include "tests/unit/consensus_support.h"

#include "consensus/internal.h"

static const uint8_t HASH_A[WB_HASH_LEN] = {0xaa, 1};

static void sign_bytes_of_vote(const struct tv *t, const struct cons_vote *v, uint8_t *msg,
                               size_t *len)
{
    *len = wb_sigmsg_vote(msg, t->chain, v->type, v->height, v->round, v->nil ? NULL : v->hash);
}

static void record_round_trip(void **state)
{
    (void)state;
    struct cons_safety s, back;
    memset(&s, 0, sizeof s);
    s.height = 9;
    s.round = 3;
    s.step = CONS_STEP_PRECOMMIT;
    s.locked_round = 2;
    memset(s.locked_hash, 7, WB_HASH_LEN);
    s.valid_round = -1;
    s.signed_len = 40;
    memset(s.signed_msg, 9, 40);
    memset(s.signature, 5, WB_SIG_LEN);
    s.reserve_height = 10;
    uint8_t buf[CONS_SAFETY_MAX];
    size_t len;
    assert_int_equal(cons_safety_encode(&s, buf, sizeof buf, &len), WB_OK);
    assert_int_equal(cons_safety_decode(buf, len, &back), WB_OK);
    assert_memory_equal(&s, &back, sizeof s);
    assert_int_equal(cons_safety_decode(buf, len - 1, &back), WB_ERR_DECODE);
    /* A step out of range is refused. */
    Waybill__SafetyRecord *r = waybill__safety_record__unpack(NULL, len, buf);
    assert_non_null(r);
    r->step = 4;
    uint8_t bad[CONS_SAFETY_MAX];
    size_t bad_len = waybill__safety_record__pack(r, bad);
    waybill__safety_record__free_unpacked(r, NULL);
    assert_int_equal(cons_safety_decode(bad, bad_len, &back), WB_ERR_DECODE);
}

/* The one signing function: below the record refuses; at the record signs
 * again only identical bytes (same signature back); above signs and
 * updates the record. */
static void signing_rule(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 0, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 5, NULL), WB_OK);
    c.height = 5;
    c.round = 2;
    uint8_t m1[WB_SIGMSG_MAX], m2[WB_SIGMSG_MAX], sig1[WB_SIG_LEN], sig2[WB_SIG_LEN];
    size_t l1 = wb_sigmsg_vote(m1, t.chain, CONS_PREVOTE, 5, 2, HASH_A);
    size_t l2 = wb_sigmsg_vote(m2, t.chain, CONS_PREVOTE, 5, 2, NULL);
    assert_int_equal(cons__sign(&c, CONS_STEP_PREVOTE, m1, l1, sig1), WB_OK);
    assert_true(c.safety_dirty);
    assert_int_equal(c.safety.height, 5);
    assert_int_equal(c.safety.round, 2);
    assert_int_equal(c.safety.step, CONS_STEP_PREVOTE);
    c.safety_dirty = false;
    /* Same (h, r, step), same bytes: the stored signature, no new record. */
    assert_int_equal(cons__sign(&c, CONS_STEP_PREVOTE, m1, l1, sig2), WB_OK);
    assert_memory_equal(sig1, sig2, WB_SIG_LEN);
    assert_false(c.safety_dirty);
    /* Same (h, r, step), different bytes: refused. */
    assert_int_equal(cons__sign(&c, CONS_STEP_PREVOTE, m2, l2, sig2), WB_ERR_REFUSED);
    /* Below: an earlier step, round or height. */
    assert_int_equal(cons__sign(&c, CONS_STEP_PROPOSE, m1, l1, sig2), WB_ERR_REFUSED);
    c.round = 1;
    assert_int_equal(cons__sign(&c, CONS_STEP_PRECOMMIT, m1, l1, sig2), WB_ERR_REFUSED);
    c.round = 2;
    c.height = 4;
    assert_int_equal(cons__sign(&c, CONS_STEP_PRECOMMIT, m1, l1, sig2), WB_ERR_REFUSED);
    c.height = 5;
    /* Above: signs. */
    size_t l3 = wb_sigmsg_vote(m2, t.chain, CONS_PRECOMMIT, 5, 2, NULL);
    assert_int_equal(cons__sign(&c, CONS_STEP_PRECOMMIT, m2, l3, sig2), WB_OK);
    assert_int_equal(wb_verify(m2, l3, t.pk[0], sig2), WB_OK);
    assert_true(c.safety_dirty);
    cons_free(&c);
}

/* Every update that carries a newly signed message also carries the record
 * covering it, and the record is the one for the last message. */
static void persist_with_every_signature(void **state)
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
    assert_null(up.persist);
    tv_to_prevote(&t, &c, 1, HASH_A, &up);
    assert_non_null(up.persist);
    const struct cons_vote *pv = tv_sent_vote(&up, CONS_PREVOTE);
    uint8_t msg[WB_SIGMSG_MAX];
    size_t len;
    sign_bytes_of_vote(&t, pv, msg, &len);
    assert_int_equal(up.persist->signed_len, len);
    assert_memory_equal(up.persist->signed_msg, msg, len);
    assert_memory_equal(up.persist->signature, pv->signature, WB_SIG_LEN);
    /* A duplicate of an incoming message changes nothing: no record. */
    struct cons_vote v = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, 2);
    tv_feed_vote(&c, &v, &up);
    assert_null(up.persist);
    tv_feed_vote(&c, &v, &up);
    assert_null(up.persist);
    cons_free(&c);
}

/* Drives a fresh node 0 (n = 4) to have prevoted HASH_A at (1, 0), keeping
 * the record from before and from that update. */
static void prevote_and_records(const struct tv *t, struct cons_safety *before,
                                struct cons_safety *after, struct cons_vote *sent)
{
    struct cons_config cfg;
    tv_config(t, 0, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    *before = *cons_safety_record(&c);
    tv_to_prevote(t, &c, 1, HASH_A, &up);
    assert_non_null(up.persist);
    *after = *up.persist;
    *sent = *tv_sent_vote(&up, CONS_PREVOTE);
    cons_free(&c);
}

/* Crash right after the record was persisted (the prevote may or may not
 * have left): the restarted node resumes in step prevote holding that
 * prevote, re-sends it byte for byte, and signs nothing else at
 * (1, 0, prevote) whatever it is fed. */
static void restart_after_persist(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_safety before, after;
    struct cons_vote sent;
    prevote_and_records(&t, &before, &after, &sent);

    struct cons_config cfg;
    tv_config(&t, 0, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, &after), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    assert_int_equal(cons_round(&c), 0);
    assert_int_equal(cons_current_step(&c), CONS_STEP_PREVOTE);
    const struct cons_msg *own;
    size_t own_n;
    cons_own_messages(&c, &own, &own_n);
    assert_int_equal(own_n, 1);
    assert_int_equal(own[0].kind, CONS_MSG_VOTE);
    assert_memory_equal(&own[0].vote, &sent, sizeof sent);

    /* The propose timeout (it would prevote nil) and the proposal again
     * (a different block this time) must not produce another prevote. */
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PROPOSE, &up);
    assert_null(tv_sent_vote(&up, CONS_PREVOTE));
    static const uint8_t other[] = "another block";
    const uint8_t hash_b[WB_HASH_LEN] = {0xbb};
    struct cons_proposal p = tv_proposal(&t, 1, 0, -1, hash_b, other, sizeof other);
    tv_feed_proposal(&c, &p, &up);
    assert_int_equal(up.validate_count, 1);
    tv_feed_valid(&c, 1, hash_b, CONS_BLOCK_VALID, &up);
    assert_null(tv_sent_vote(&up, CONS_PREVOTE));
    assert_null(up.persist);
    assert_int_equal(cons_get_stats(&c)->sign_refused, 0);

    /* Its restored prevote counts: with two more for A there are q prevotes
     * (the prevote timer is armed), but the proposal it holds now is B, so
     * there is no polka for its proposal and the timeout precommits nil. */
    for (uint32_t v = 2; v <= 3; v++) {
        struct cons_vote pv = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, v);
        tv_feed_vote(&c, &pv, &up);
    }
    assert_int_equal(up.timer_count, 1);
    assert_int_equal(up.timers[0].step, CONS_STEP_PREVOTE);
    assert_null(tv_sent_vote(&up, CONS_PRECOMMIT));
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PREVOTE, &up);
    const struct cons_vote *pc = tv_sent_vote(&up, CONS_PRECOMMIT);
    assert_non_null(pc);
    assert_true(pc->nil);
    assert_non_null(up.persist);
    assert_int_equal(up.persist->step, CONS_STEP_PRECOMMIT);
    cons_free(&c);
}

/* Crash right before the record was persisted: nothing of that update was
 * sent (persist comes first), so the durable record is the older one and
 * the node may sign at (1, 0, prevote) afresh. It signs exactly one prevote
 * there, and after that record is persisted, only that one. */
static void restart_before_persist(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_safety before, after;
    struct cons_vote sent;
    prevote_and_records(&t, &before, &after, &sent);
    assert_int_equal(before.height, 0);

    struct cons_config cfg;
    tv_config(&t, 0, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, &before), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    assert_int_equal(cons_current_step(&c), CONS_STEP_PROPOSE);
    const struct cons_msg *own;
    size_t own_n;
    cons_own_messages(&c, &own, &own_n);
    assert_int_equal(own_n, 0);
    /* This time the propose timeout comes first: prevote nil, with its record. */
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PROPOSE, &up);
    const struct cons_vote *pv = tv_sent_vote(&up, CONS_PREVOTE);
    assert_non_null(pv);
    assert_true(pv->nil);
    assert_non_null(up.persist);
    struct cons_safety second = *up.persist;
    struct cons_vote nil_vote = *pv;
    cons_free(&c);

    /* Crash again, after persisting that: the nil prevote is what it holds. */
    assert_int_equal(cons_init(&c, &cfg, 1, &second), WB_OK);
    tv_start(&c, &up);
    cons_own_messages(&c, &own, &own_n);
    assert_int_equal(own_n, 1);
    assert_memory_equal(&own[0].vote, &nil_vote, sizeof nil_vote);
    static const uint8_t block[] = "opaque block bytes";
    struct cons_proposal p = tv_proposal(&t, 1, 0, -1, HASH_A, block, sizeof block);
    tv_feed_proposal(&c, &p, &up);
    tv_feed_valid(&c, 1, HASH_A, CONS_BLOCK_VALID, &up);
    assert_null(tv_sent_vote(&up, CONS_PREVOTE));
    cons_free(&c);
}

/* A proposer that crashed after persisting its proposal does not propose a
 * different block for that round after the restart. */
static void restarted_proposer_does_not_repropose(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 1, &cfg); /* proposer of (1, 0) */
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_update up;
    tv_start(&c, &up);
    assert_non_null(up.build);
    assert_int_equal(up.build->height, 1);
    assert_int_equal(up.build->round, 0);
    static const uint8_t block[] = "built block";
    struct cons_event ev = {.kind = CONS_EV_BLOCK_READY};
    ev.block_ready.height = 1;
    ev.block_ready.round = 0;
    memcpy(ev.block_ready.hash, HASH_A, WB_HASH_LEN);
    ev.block_ready.block = block;
    ev.block_ready.block_len = sizeof block;
    tv_step(&c, &ev, &up);
    const struct cons_proposal *p = tv_sent_proposal(&up);
    assert_non_null(p);
    assert_non_null(up.persist);
    assert_non_null(tv_sent_vote(&up, CONS_PREVOTE)); /* its own block is valid */
    struct cons_safety rec = *up.persist;
    /* The record covers the last signature of the update: the prevote. */
    assert_int_equal(rec.step, CONS_STEP_PREVOTE);
    cons_free(&c);

    /* A record from between the two (proposal signed, prevote not):
     * rebuild it by signing only the proposal. */
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    c.started = true;
    c.height = 1;
    uint8_t msg[WB_SIGMSG_MAX], sig[WB_SIG_LEN];
    size_t len = wb_sigmsg_proposal(msg, t.chain, 1, 0, -1, HASH_A);
    assert_int_equal(cons__sign(&c, CONS_STEP_PROPOSE, msg, len, sig), WB_OK);
    struct cons_safety mid = c.safety;
    cons_free(&c);

    assert_int_equal(cons_init(&c, &cfg, 1, &mid), WB_OK);
    tv_start(&c, &up);
    assert_null(up.build);
    ev.block_ready.hash[0] = 0xcc;
    tv_step(&c, &ev, &up);
    assert_null(tv_sent_proposal(&up));
    /* The propose timeout still moves it on. */
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PROPOSE, &up);
    assert_non_null(tv_sent_vote(&up, CONS_PREVOTE));
    cons_free(&c);
}

/* Node 0 (n = 4, not the proposer of (1, 0)) prevotes and precommits HASH_A
 * at (1, 0) and decides it; *pc gets the record that came with its
 * precommit. The core is then at height 2. */
static void decide_height_1(const struct tv *t, struct cons *c, struct cons_safety *pc)
{
    struct cons_update up;
    tv_start(c, &up);
    tv_to_prevote(t, c, 1, HASH_A, &up);
    for (uint32_t v = 1; v <= 2; v++) {
        struct cons_vote pv = tv_vote(t, CONS_PREVOTE, 1, 0, HASH_A, v);
        tv_feed_vote(c, &pv, &up);
    }
    assert_non_null(tv_sent_vote(&up, CONS_PRECOMMIT));
    assert_non_null(up.persist);
    *pc = *up.persist;
    for (uint32_t v = 1; v <= 2 && !up.decision; v++) {
        struct cons_vote pc_vote = tv_vote(t, CONS_PRECOMMIT, 1, 0, HASH_A, v);
        tv_feed_vote(c, &pc_vote, &up);
    }
    assert_non_null(up.decision);
    assert_int_equal(cons_height(c), 2);
}

/* One flush per height: the record of a precommit at h reserves round 0 of
 * h + 1, whose prevote then goes out with no record of its own; the record
 * in memory still holds it (for re-sending), and the next precommit is
 * persisted again, reserving h + 2. */
static void precommit_record_covers_next_round0(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 0, &cfg);
    struct cons c;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    struct cons_safety pc;
    decide_height_1(&t, &c, &pc);
    assert_int_equal(pc.step, CONS_STEP_PRECOMMIT);
    assert_int_equal(pc.height, 1);
    assert_int_equal(pc.reserve_height, 2);

    static const uint8_t HASH_B[WB_HASH_LEN] = {0xbb, 2};
    struct cons_update up;
    tv_to_prevote(&t, &c, 2, HASH_B, &up);
    assert_null(up.persist); /* covered by pc */
    const struct cons_safety *mem = cons_safety_record(&c);
    assert_int_equal(mem->height, 2);
    assert_int_equal(mem->round, 0);
    assert_int_equal(mem->step, CONS_STEP_PREVOTE);
    /* The precommit is a lock: persisted, and it reserves height 3. */
    for (uint32_t v = 1; v <= 2; v++) {
        struct cons_vote pv = tv_vote(&t, CONS_PREVOTE, 2, 0, HASH_B, v);
        tv_feed_vote(&c, &pv, &up);
    }
    assert_non_null(tv_sent_vote(&up, CONS_PRECOMMIT));
    assert_non_null(up.persist);
    assert_int_equal(up.persist->height, 2);
    assert_int_equal(up.persist->step, CONS_STEP_PRECOMMIT);
    assert_int_equal(up.persist->reserve_height, 3);
    cons_free(&c);
}

/* A node restarted from a record that reserved round 0 of the height it
 * resumes may have signed there before the crash: it signs nothing at
 * round 0 (no prevote for a round-0 proposal), starts the height at round
 * 1 (after its wait for work, when quiet) and signs there with a record
 * of its own. */
static void restart_under_reservation_skips_round0(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_safety pc;
    {
        struct cons_config cfg;
        tv_config(&t, 0, &cfg);
        struct cons c;
        assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
        decide_height_1(&t, &c, &pc);
        cons_free(&c);
    }
    static const uint8_t HASH_B[WB_HASH_LEN] = {0xbb, 3};
    static const uint8_t block[] = "round 0 block";
    for (int quiet = 0; quiet <= 1; quiet++) {
        struct cons_config cfg;
        tv_config(&t, 0, &cfg);
        cfg.wait_for_work = quiet;
        struct cons c;
        assert_int_equal(cons_init(&c, &cfg, 2, &pc), WB_OK);
        struct cons_update up;
        tv_start(&c, &up);
        if (quiet) {
            assert_int_equal(up.wait_for_work, 2);
            struct cons_event ev = {.kind = CONS_EV_WORK};
            ev.work.height = 2;
            tv_step(&c, &ev, &up);
        }
        assert_int_equal(c.round, 1);
        /* A late proposal of round 0 gets no prevote from this node. */
        struct cons_proposal p = tv_proposal(&t, 2, 0, -1, HASH_B, block, sizeof block);
        tv_feed_proposal(&c, &p, &up);
        if (up.validate_count) tv_feed_valid(&c, 2, HASH_B, CONS_BLOCK_VALID, &up);
        const struct cons_vote *pv = tv_sent_vote(&up, CONS_PREVOTE);
        assert_true(pv == NULL || pv->round >= 1);
        /* Round 1's propose timeout: a nil prevote at round 1, persisted. */
        tv_feed_timeout(&c, 2, 1, CONS_STEP_PROPOSE, &up);
        pv = tv_sent_vote(&up, CONS_PREVOTE);
        assert_non_null(pv);
        assert_int_equal(pv->round, 1);
        assert_non_null(up.persist);
        assert_int_equal(up.persist->round, 1);
        assert_int_equal(up.persist->step, CONS_STEP_PREVOTE);
        cons_free(&c);
    }
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(record_round_trip),
        cmocka_unit_test(signing_rule),
        cmocka_unit_test(persist_with_every_signature),
        cmocka_unit_test(restart_after_persist),
        cmocka_unit_test(restart_before_persist),
        cmocka_unit_test(restarted_proposer_does_not_repropose),
        cmocka_unit_test(precommit_record_covers_next_round0),
        cmocka_unit_test(restart_under_reservation_skips_round0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
