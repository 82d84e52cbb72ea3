/* Unit tests of the core's asserted invariants (consensus/invariants.c):
 * they hold through ordinary steps, a broken state or update trips them
 * (failures counted through wb_assert_set_handler), and cons_init refuses a
 * record the invariants could not hold for. */
#include "tests/unit/consensus_support.h"

#include "common/wb_assert.h"
#include "consensus/internal.h"

static const uint8_t HASH_A[WB_HASH_LEN] = {0xaa, 7};

static int failures;
static void count_failure(const char *expr, const char *file, int line)
{
    (void)expr;
    (void)file;
    (void)line;
    failures++;
}

static int setup(void **state)
{
    (void)state;
    failures = 0;
    wb_assert_set_handler(count_failure);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wb_assert_set_handler(NULL);
    return 0;
}

/* A height decided the ordinary way trips nothing. */
static void invariants_hold_through_a_height(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 2, &cfg);
    struct cons c;
    struct cons_update up;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    tv_start(&c, &up);
    tv_to_prevote(&t, &c, 1, HASH_A, &up);
    for (uint32_t v = 0; v < 4; v++) {
        if (v == 2) continue;
        struct cons_vote pv = tv_vote(&t, CONS_PREVOTE, 1, 0, HASH_A, v);
        tv_feed_vote(&c, &pv, &up);
    }
    assert_int_equal(c.locked_round, 0);
    for (uint32_t v = 0; v < 4 && cons_height(&c) == 1; v++) {
        if (v == 2) continue;
        struct cons_vote pc = tv_vote(&t, CONS_PRECOMMIT, 1, 0, HASH_A, v);
        tv_feed_vote(&c, &pc, &up);
    }
    assert_int_equal(cons_height(&c), 2);
    assert_int_equal(failures, 0);
    cons_free(&c);
}

/* A lock beyond the round, or a lock above the valid value between steps,
 * is caught at the next step's entry. */
static void broken_locks_are_caught(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 2, &cfg);
    struct cons c;
    struct cons_update up;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    tv_start(&c, &up);
    assert_int_equal(failures, 0);
    c.locked_round = 3; /* round is 0 */
    c.valid_round = 3;
    tv_feed_timeout(&c, 1, 7, CONS_STEP_PROPOSE, &up); /* stale: changes nothing */
    assert_true(failures > 0);
    failures = 0;
    c.locked_round = 0;
    c.valid_round = -1;
    tv_feed_timeout(&c, 1, 7, CONS_STEP_PROPOSE, &up);
    assert_true(failures > 0);
    c.locked_round = -1;
    cons_free(&c);
}

/* An own vote signed above the record handed out, and a decision short of a
 * quorum, are refused in an update. */
static void broken_updates_are_caught(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 2, &cfg);
    struct cons c;
    struct cons_update up;
    assert_int_equal(cons_init(&c, &cfg, 1, NULL), WB_OK);
    tv_start(&c, &up);
    tv_feed_timeout(&c, 1, 0, CONS_STEP_PROPOSE, &up);
    assert_non_null(up.persist);
    assert_non_null(tv_sent_vote(&up, CONS_PREVOTE));
    assert_int_equal(failures, 0);

    /* The same update, had the record not been handed out with it. */
    struct cons_safety durable = c.out_safety;
    memset(&c.out_safety, 0, sizeof c.out_safety);
    cons__assert_update(&c, &up);
    assert_true(failures > 0);
    c.out_safety = durable;
    failures = 0;
    cons__assert_update(&c, &up);
    assert_int_equal(failures, 0);

    /* A certificate of two precommits where the quorum is three. */
    struct cons_vote pcs[2] = {tv_vote(&t, CONS_PRECOMMIT, 1, 0, HASH_A, 0),
                               tv_vote(&t, CONS_PRECOMMIT, 1, 0, HASH_A, 1)};
    static const uint8_t block[] = "block";
    struct cons_decision d = {.height = 1, .round = 0, .block = block,
                              .block_len = sizeof block, .precommit_count = 2,
                              .precommits = pcs};
    memcpy(d.hash, HASH_A, WB_HASH_LEN);
    c.height = 2;
    struct cons_update fake = {.decision = &d};
    cons__assert_update(&c, &fake);
    assert_true(failures > 0);
    c.height = 1;
    cons_free(&c);
}

/* Records the core never writes are refused; one that holds a lock alone
 * (signed by the precommit that takes it) resumes with it as the valid
 * value. */
static void records_checked_at_init(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 2, &cfg);
    struct cons c;
    struct cons_update up;
    struct cons_safety rec = {.height = 1, .round = 1, .step = CONS_STEP_PRECOMMIT,
                              .locked_round = 2, .valid_round = 2};
    assert_int_equal(cons_init(&c, &cfg, 1, &rec), WB_ERR_CONFIG);
    rec.locked_round = -1;
    assert_int_equal(cons_init(&c, &cfg, 1, &rec), WB_ERR_CONFIG);
    rec.valid_round = -2;
    assert_int_equal(cons_init(&c, &cfg, 1, &rec), WB_ERR_CONFIG);
    rec.valid_round = -1;
    rec.round = CONS_ROUND_LIMIT;
    assert_int_equal(cons_init(&c, &cfg, 1, &rec), WB_ERR_CONFIG);

    rec.round = 1;
    rec.locked_round = 1;
    memcpy(rec.locked_hash, HASH_A, WB_HASH_LEN);
    assert_int_equal(cons_init(&c, &cfg, 1, &rec), WB_OK);
    tv_start(&c, &up);
    assert_int_equal(cons_round(&c), 1);
    assert_int_equal(c.locked_round, 1);
    assert_int_equal(c.valid_round, 1);
    assert_memory_equal(c.valid_hash, HASH_A, WB_HASH_LEN);
    assert_int_equal(failures, 0);
    cons_free(&c);
}

/* A record at step propose of (1, 1) holding the proposal that validator
 * 2 (its proposer for n = 4) signed there with valid round vr, read back
 * from its encoding as the node does. */
static struct cons_safety proposal_record(const struct tv *t, int32_t vr)
{
    struct cons_safety rec = {.height = 1, .round = 1, .step = CONS_STEP_PROPOSE,
                              .locked_round = -1, .valid_round = -1};
    assert_int_equal(cons_proposer(t->n, 1, 1), 2);
    rec.signed_len = wb_sigmsg_proposal(rec.signed_msg, t->chain, 1, 1, vr, HASH_A);
    assert_int_equal(wb_sign(rec.signed_msg, rec.signed_len, t->sk[2], rec.signature), WB_OK);
    uint8_t buf[CONS_SAFETY_MAX];
    size_t len;
    struct cons_safety back;
    assert_int_equal(cons_safety_encode(&rec, buf, sizeof buf, &len), WB_OK);
    assert_int_equal(cons_safety_decode(buf, len, &back), WB_OK);
    return back;
}

/* The proposal a record holds goes into its round's slot on resume, so its
 * valid round must lie in [-1, round): one at the round, above it or below
 * -1 (the records the safety fuzz target found: they tripped the round-slot
 * invariant at the first step) is refused, as is step propose from a
 * validator that is not the round's proposer. One in range resumes. */
static void restored_proposal_checked_at_init(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 2, &cfg);
    struct cons c;
    struct cons_update up;
    struct cons_safety rec = proposal_record(&t, 1); /* valid round = round */
    assert_int_equal(cons_init(&c, &cfg, 1, &rec), WB_ERR_CONFIG);
    rec = proposal_record(&t, 7); /* above the round */
    assert_int_equal(cons_init(&c, &cfg, 1, &rec), WB_ERR_CONFIG);
    rec = proposal_record(&t, -2); /* below -1 */
    assert_int_equal(cons_init(&c, &cfg, 1, &rec), WB_ERR_CONFIG);
    rec = proposal_record(&t, INT32_MIN);
    assert_int_equal(cons_init(&c, &cfg, 1, &rec), WB_ERR_CONFIG);
    /* Step propose at (1, 1) from validator 1, which does not propose there. */
    rec = proposal_record(&t, 0);
    struct cons_config other;
    tv_config(&t, 1, &other);
    assert_int_equal(cons_init(&c, &other, 1, &rec), WB_ERR_CONFIG);
    assert_int_equal(failures, 0);

    /* In range: resumed at round 1 with the proposal in the round's slot. */
    for (int32_t vr = -1; vr <= 0; vr++) {
        rec = proposal_record(&t, vr);
        assert_int_equal(cons_init(&c, &cfg, 1, &rec), WB_OK);
        tv_start(&c, &up);
        assert_int_equal(cons_round(&c), 1);
        const struct cons__round *rs = cons__round_find(&c, 1);
        assert_non_null(rs);
        assert_true(rs->proposal.present);
        assert_int_equal(rs->proposal.valid_round, vr);
        assert_memory_equal(rs->proposal.hash, HASH_A, WB_HASH_LEN);
        tv_feed_timeout(&c, 1, 1, CONS_STEP_PROPOSE, &up);
        assert_int_equal(failures, 0);
        cons_free(&c);
    }
}

/* A signed record has the step of a signature (cons__sign records nothing
 * else) and reserves at most the next height (a precommit at h writes
 * h + 1). */
static void record_step_and_reservation_checked_at_init(void **state)
{
    (void)state;
    struct tv t;
    tv_init(&t, 4);
    struct cons_config cfg;
    tv_config(&t, 2, &cfg);
    struct cons c;
    struct cons_update up;
    struct cons_safety rec = {.height = 1, .round = 0, .step = CONS_STEP_NONE,
                              .locked_round = -1, .valid_round = -1};
    assert_int_equal(cons_init(&c, &cfg, 1, &rec), WB_ERR_CONFIG);
    /* Nothing signed yet (height 0): a step of none is what it holds. */
    rec.height = 0;
    assert_int_equal(cons_init(&c, &cfg, 1, &rec), WB_OK);
    cons_free(&c);

    rec.height = 3;
    rec.round = 2;
    rec.step = CONS_STEP_PRECOMMIT;
    rec.reserve_height = 5;
    assert_int_equal(cons_init(&c, &cfg, 3, &rec), WB_ERR_CONFIG);
    rec.reserve_height = UINT64_MAX;
    assert_int_equal(cons_init(&c, &cfg, 3, &rec), WB_ERR_CONFIG);
    /* h + 1, a height at or below it (an older precommit), or none (a
     * record written before reservations) resume. */
    const uint64_t ok[] = {4, 3, 0};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        rec.reserve_height = ok[i];
        assert_int_equal(cons_init(&c, &cfg, 3, &rec), WB_OK);
        tv_start(&c, &up);
        assert_int_equal(cons_round(&c), 2);
        assert_int_equal(cons_current_step(&c), CONS_STEP_PRECOMMIT);
        cons_free(&c);
    }
    assert_int_equal(failures, 0);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(invariants_hold_through_a_height, setup, teardown),
        cmocka_unit_test_setup_teardown(broken_locks_are_caught, setup, teardown),
        cmocka_unit_test_setup_teardown(broken_updates_are_caught, setup, teardown),
        cmocka_unit_test_setup_teardown(records_checked_at_init, setup, teardown),
        cmocka_unit_test_setup_teardown(restored_proposal_checked_at_init, setup, teardown),
        cmocka_unit_test_setup_teardown(record_step_and_reservation_checked_at_init, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
