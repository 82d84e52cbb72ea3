/* Unit tests of "quiet when idle" (cons_config.wait_for_work): round 0 of a
 * fresh height waits, without a build request or a propose timeout, until
 * CONS_EV_WORK for that height or a message of that height; rounds above 0,
 * resumed heights and cores without the option never wait. */
#include "tests/unit/consensus_support.h"

static const uint8_t HASH_A[WB_HASH_LEN] = {0xaa, 9};
static const uint8_t BLOCK_A[] = "idle block A";

static void start_idle(const struct tv *t, uint32_t self, uint64_t height,
                       const struct cons_safety *restored, struct cons *c,
                       struct cons_update *up)
{
    struct cons_config cfg;
    tv_config(t, self, &cfg);
    cfg.wait_for_work = true;
    assert_int_equal(cons_init(c, &cfg, height, restored), WB_OK);
    tv_start(c, up);
}

static void feed_work(struct cons *c, uint64_t height, struct cons_update *up)
{
    struct cons_event ev = {.kind = CONS_EV_WORK};
    ev.work.height = height;
    tv_step(c, &ev, up);
}

/* The propose timer of (h, r) in the update, or NULL. */
static const struct cons_timer *propose_timer(const struct cons_update *up, uint64_t h,
                                              uint32_t r)
{
    for (size_t i = 0; i < up->timer_count; i++)
        if (up->timers[i].step == CONS_STEP_PROPOSE && up->timers[i].height == h &&
            up->timers[i].round == r)
            return &up->timers[i];
    return NULL;
}

/* Nothing happens while waiting: no request, no timer, no message. */
static void assert_quiet(const struct cons_update *up)
{
    assert_null(up->build);
    assert_int_equal(up->timer_count, 0);
    assert_int_equal(up->msg_count, 0);
    assert_null(up->persist);
}

/* The proposer of (1, 0) waits; a stale WORK does nothing; WORK for its
 * height asks for the block and arms the propose timeout, once. */
static void proposer_waits_for_work(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4); /* proposer of (1, 0) is 1 */
    struct cons c;
    struct cons_update up;
    start_idle(&t, 1, 1, NULL, &c, &up);
    assert_quiet(&up);
    assert_int_equal(up.wait_for_work, 1);
    assert_true(cons_waiting(&c));
    assert_int_equal(cons_round(&c), 0);
    assert_int_equal(cons_current_step(&c), CONS_STEP_PROPOSE);

    feed_work(&c, 2, &up); /* another height */
    assert_quiet(&up);
    assert_true(cons_waiting(&c));

    feed_work(&c, 1, &up);
    assert_false(cons_waiting(&c));
    assert_int_equal(up.wait_for_work, 0);
    assert_non_null(up.build);
    assert_int_equal(up.build->height, 1);
    assert_int_equal(up.build->round, 0);
    assert_non_null(propose_timer(&up, 1, 0));
    assert_int_equal(cons_get_stats(&c)->idle_waits, 1);
    assert_int_equal(cons_get_stats(&c)->woken_by_work, 1);

    feed_work(&c, 1, &up); /* awake already */
    assert_null(up.build);
    assert_int_equal(up.timer_count, 0);
    assert_int_equal(cons_get_stats(&c)->woken_by_work, 1);
    cons_free(&c);
}

/* A non-proposer woken by WORK arms its propose timeout and asks for no
 * block; the timeout then prevotes nil as in any round. */
static void validator_arms_timeout_on_work(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons c;
    struct cons_update up;
    start_idle(&t, 0, 1, NULL, &c, &up);
    assert_quiet(&up);
    /* While waiting no timer of this height was armed: one that fires
     * anyway (a driver's mistake) does nothing. */
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PROPOSE, &up);
    assert_quiet(&up);
    assert_true(cons_waiting(&c));
    feed_work(&c, 1, &up);
    assert_null(up.build);
    const struct cons_timer *tm = propose_timer(&up, 1, 0);
    assert_non_null(tm);
    assert_int_equal(tm->delay_ms, 1000);
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PROPOSE, &up);
    const struct cons_vote *pv = tv_sent_vote(&up, CONS_PREVOTE);
    assert_non_null(pv);
    assert_true(pv->nil);
    cons_free(&c);
}

/* A proposal that arrives while waiting is handled normally: it ends the
 * wait (the propose timeout is armed), is validated and prevoted. */
static void proposal_while_waiting_is_prevoted(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons c;
    struct cons_update up;
    start_idle(&t, 0, 1, NULL, &c, &up);
    struct cons_proposal p = tv_proposal(&t, 1, 0, -1, HASH_A, BLOCK_A, sizeof BLOCK_A);
    tv_feed_proposal(&c, &p, &up);
    assert_false(cons_waiting(&c));
    assert_int_equal(up.validate_count, 1);
    assert_non_null(propose_timer(&up, 1, 0));
    assert_int_equal(cons_get_stats(&c)->woken_by_message, 1);
    tv_feed_valid(&c, 1, HASH_A, CONS_BLOCK_VALID, &up);
    const struct cons_vote *pv = tv_sent_vote(&up, CONS_PREVOTE);
    assert_non_null(pv);
    assert_false(pv->nil);
    assert_memory_equal(pv->hash, HASH_A, WB_HASH_LEN);
    cons_free(&c);
}

/* One vote of this height from another validator (it had work, or its
 * heartbeat came due) ends the wait; the proposer then asks for its block.
 * A vote of an old height does not. */
static void vote_of_this_height_wakes(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4); /* proposer of (5, 0) is 1 */
    struct cons c;
    struct cons_update up;
    start_idle(&t, 1, 5, NULL, &c, &up);
    assert_int_equal(up.wait_for_work, 5);
    struct cons_vote old = tv_vote(&t, CONS_PRECOMMIT, 4, 0, HASH_A, 2);
    tv_feed_vote(&c, &old, &up);
    assert_quiet(&up);
    assert_true(cons_waiting(&c));
    struct cons_vote nil = tv_vote(&t, CONS_PREVOTE, 5, 0, NULL, 2);
    tv_feed_vote(&c, &nil, &up);
    assert_false(cons_waiting(&c));
    assert_non_null(up.build);
    assert_non_null(propose_timer(&up, 5, 0));
    assert_int_equal(cons_get_stats(&c)->woken_by_message, 1);
    cons_free(&c);
}

/* f+1 messages of a later round: the node wakes and jumps to that round,
 * which starts as any round above 0 does (timer armed, no waiting). */
static void later_round_starts_at_once(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4); /* f = 1 */
    struct cons c;
    struct cons_update up;
    start_idle(&t, 0, 1, NULL, &c, &up);
    for (uint32_t v = 2; v <= 3; v++) {
        struct cons_vote pv = tv_vote(&t, CONS_PREVOTE, 1, 2, NULL, v);
        tv_feed_vote(&c, &pv, &up);
    }
    assert_false(cons_waiting(&c));
    assert_int_equal(cons_round(&c), 2);
    assert_non_null(propose_timer(&up, 1, 2));
    cons_free(&c);
}

/* After a decision the next height waits again, in the same update; a
 * message of the next height held before the decision wakes it at once. */
static void next_height_waits_again(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons c;
    struct cons_update up;
    start_idle(&t, 0, 1, NULL, &c, &up);
    tv_to_prevote(&t, &c, 1, HASH_A, &up);
    for (uint32_t v = 1; v <= 2; v++) {
        struct cons_vote pv = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, v);
        tv_feed_vote(&c, &pv, &up);
    }
    assert_non_null(tv_sent_vote(&up, CONS_PRECOMMIT));
    for (uint32_t v = 1; v <= 2; v++) {
        struct cons_vote pc = tv_vote(&t, CONS_PRECOMMIT, 1, 0, HASH_A, v);
        tv_feed_vote(&c, &pc, &up);
    }
    assert_non_null(up.decision);
    assert_int_equal(cons_height(&c), 2);
    assert_true(cons_waiting(&c));
    assert_int_equal(up.wait_for_work, 2);
    assert_null(up.build); /* node 0 is not the proposer of (2, 0) anyway */
    assert_null(propose_timer(&up, 2, 0));

    /* Height 2 decided by block sync: height 3 waits, unless a message of
     * height 3 was held, which wakes it in the same step. */
    struct cons_vote ahead = tv_vote(&t, CONS_PREVOTE, 3, 0, NULL, 3);
    tv_feed_vote(&c, &ahead, &up);
    assert_true(cons_waiting(&c));
    struct cons_event ev = {.kind = CONS_EV_SYNCED};
    ev.synced.height = 2;
    tv_step(&c, &ev, &up);
    assert_int_equal(cons_height(&c), 3);
    assert_false(cons_waiting(&c));
    assert_int_equal(up.wait_for_work, 0);
    assert_non_null(propose_timer(&up, 3, 0));

    /* Without a held message, the next synced height waits. */
    ev.synced.height = 3;
    tv_step(&c, &ev, &up);
    assert_int_equal(cons_height(&c), 4);
    assert_true(cons_waiting(&c));
    assert_int_equal(up.wait_for_work, 4);
    assert_int_equal(up.timer_count, 0);
    cons_free(&c);
}

/* A height this node signed in before a restart was awake: the restarted
 * node resumes it (timer armed, no wait) whatever the option says. */
static void resumed_height_does_not_wait(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons c;
    struct cons_update up;
    start_idle(&t, 0, 1, NULL, &c, &up);
    feed_work(&c, 1, &up);
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PROPOSE, &up);
    assert_non_null(up.persist);
    struct cons_safety rec = *up.persist;
    cons_free(&c);

    start_idle(&t, 0, 1, &rec, &c, &up);
    assert_false(cons_waiting(&c));
    assert_int_equal(up.wait_for_work, 0);
    assert_int_equal(cons_current_step(&c), CONS_STEP_PREVOTE);
    cons_free(&c);

    /* A record of an older height does not count: the fresh height waits. */
    start_idle(&t, 0, 2, &rec, &c, &up);
    assert_true(cons_waiting(&c));
    assert_int_equal(up.wait_for_work, 2);
    cons_free(&c);
}

/* Without the option the core starts round 0 at once, as before, and a
 * WORK event changes nothing. */
static void without_option_no_wait(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 1, &cfg);
    struct cons c;
    struct cons_update up;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    tv_start(&c, &up);
    assert_false(cons_waiting(&c));
    assert_int_equal(up.wait_for_work, 0);
    assert_non_null(up.build);
    assert_non_null(propose_timer(&up, 1, 0));
    feed_work(&c, 1, &up);
    assert_null(up.build);
    assert_int_equal(up.timer_count, 0);
    assert_int_equal(cons_get_stats(&c)->idle_waits, 0);
    cons_free(&c);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(proposer_waits_for_work),
        cmocka_unit_test(validator_arms_timeout_on_work),
        cmocka_unit_test(proposal_while_waiting_is_prevoted),
        cmocka_unit_test(vote_of_this_height_wakes),
        cmocka_unit_test(later_round_starts_at_once),
        cmocka_unit_test(next_height_waits_again),
        cmocka_unit_test(resumed_height_does_not_wait),
        cmocka_unit_test(without_option_no_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
