/* Unit tests of the node's score table (node/risk/scores.h): journeys of
 * real signed events in blocks checked by ledger_block_check_full,
 * appended to a real store and fed to the risk index and the score table
 * as the commit path does; then the items' scores against the engine's
 * own report, the seal shared by a later item re-judging the earlier one,
 * the queue's order, filters and cursor, an organisation's aggregates,
 * and a rebuild from the store giving the same table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <time.h>

#include "tests/unit/node_risk_support.h"

#define HOUR_MS INT64_C(3600000)
#define CRATE_A "urn:example:crate:a"
#define CRATE_B "urn:example:crate:b"
#define CRATE_C "urn:example:crate:c"
#define CRATE_D "urn:example:crate:d"

static void settle(struct rx *x)
{
    while (node_scores_work(&x->sc, UINT64_MAX)) {}
    assert_int_equal(node_scores_pending(&x->sc), 0);
    assert_int_equal(node_scores_height(&x->sc), x->height);
}

static struct node_scores_entry entry(const struct node_scores *s, const char *item)
{
    struct node_scores_entry e;
    if (!node_scores_item(s, item, &e)) fail_msg("%s is not scored", item);
    return e;
}

/* A score is the sum of the default weights of the flags counted. */
static void expect_score_is_the_weights(const struct node_scores_entry *e)
{
    uint32_t sum = 0, n = 0;
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++) {
        sum += e->counts[c] * risk_flag_default_weight((enum risk_flag_code)c);
        n += e->counts[c];
    }
    assert_int_equal(e->score, sum);
    assert_int_equal(e->flag_total, n);
}

/* Four crates: A and B sealed with one seal number (B later), C received
 * 30 h after its handover, D clean; all handed from acme to oceanic. */
static void journeys(struct rx *x)
{
    const char *crates[] = {CRATE_A, CRATE_B, CRATE_C, CRATE_D};
    const char *seals[] = {"seal=SL-1", "seal=SL-2", "seal=SL-3", "seal=SL-4"};
    for (int i = 0; i < 4; i++) rx_ev(x, TC_ACME, crates[i], LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    rx_commit(x);
    for (int i = 0; i < 4; i++) {
        rx_ev(x, TC_ACME, crates[i], LEDGER_SEAL, NULL, NULL, i == 1 ? "seal=SL-9" : seals[i], NULL);
        rx_ev(x, TC_ACME, crates[i], LEDGER_HANDOVER, NULL, "oceanic", NULL);
    }
    rx_ev(x, TC_ACME, CRATE_A, LEDGER_UNSEAL, NULL, NULL, "seal=SL-1", NULL);
    rx_commit(x);
    rx_ev(x, TC_OCEANIC, CRATE_A, LEDGER_RECEIVE, NULL, NULL, NULL);
    rx_ev(x, TC_OCEANIC, CRATE_B, LEDGER_RECEIVE, NULL, NULL, NULL);
    rx_ev(x, TC_OCEANIC, CRATE_D, LEDGER_RECEIVE, NULL, NULL, NULL);
    rx_commit(x);
    x->t += 30 * HOUR_MS;
    rx_ev(x, TC_OCEANIC, CRATE_C, LEDGER_RECEIVE, NULL, NULL, NULL);
    rx_commit(x);
}

static void scores_follow_the_engine(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    rx_init_scores(x);
    journeys(x);
    settle(x);
    struct node_scores_entry a = entry(&x->sc, CRATE_A), c = entry(&x->sc, CRATE_C),
                             d = entry(&x->sc, CRATE_D);
    assert_int_equal(c.counts[RISK_CUSTODY_GAP], 1);
    assert_int_equal(d.counts[RISK_CUSTODY_GAP], 0);
    assert_int_equal(a.counts[RISK_SEAL_REUSE], 0);
    expect_score_is_the_weights(&a);
    expect_score_is_the_weights(&c);
    expect_score_is_the_weights(&d);
    assert_true(c.score > d.score);
    assert_int_equal(c.height, x->height);
    struct node_scores_entry none;
    assert_false(node_scores_item(&x->sc, "urn:example:never", &none));
    rx_free(x);
    free(x);
}

static void a_seal_named_later_rejudges_the_earlier_item(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    rx_init_scores(x);
    journeys(x);
    settle(x);
    uint32_t before = entry(&x->sc, CRATE_D).score;
    /* A new crate sealed with D's seal number: D is judged again, unmoved. */
    const char *e_item = "urn:example:crate:e";
    rx_ev(x, TC_ACME, e_item, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    rx_ev(x, TC_ACME, e_item, LEDGER_SEAL, NULL, NULL, "seal=SL-4", NULL);
    rx_commit(x);
    assert_int_equal(node_scores_pending(&x->sc), 2);
    settle(x);
    struct node_scores_entry e = entry(&x->sc, e_item), d = entry(&x->sc, CRATE_D);
    assert_int_equal(d.counts[RISK_SEAL_REUSE], 1);
    assert_int_equal(e.counts[RISK_SEAL_REUSE], 1);
    assert_int_equal(d.score, before + risk_flag_default_weight(RISK_SEAL_REUSE));
    assert_int_equal(d.height, x->height);
    rx_free(x);
    free(x);
}

static void the_queue_is_highest_first_filtered_and_paged(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    rx_init_scores(x);
    journeys(x);
    settle(x);
    struct node_scores_entry out[NODE_SCORES_LIST_MAX];
    size_t n;
    bool more;
    CHECK_OK(node_scores_list(&x->sc, true, 0, 0, "", out, 10, &n, &more));
    assert_int_equal(n, 4);
    assert_false(more);
    for (size_t i = 1; i < n; i++)
        assert_true(out[i - 1].score > out[i].score ||
                    (out[i - 1].score == out[i].score && strcmp(out[i - 1].item, out[i].item) < 0));
    assert_string_equal(out[0].item, CRATE_C);
    /* min_score: only those at or above */
    uint32_t min = out[1].score;
    size_t want = 0;
    for (size_t i = 0; i < n; i++) want += out[i].score >= min;
    struct node_scores_entry f[NODE_SCORES_LIST_MAX];
    size_t fn;
    CHECK_OK(node_scores_list(&x->sc, false, min, 0, "", f, 10, &fn, &more));
    assert_int_equal(fn, want);
    for (size_t i = 0; i < fn; i++) assert_true(f[i].score >= min);
    /* pages of one, by the cursor, give the same order */
    char after[WB_ITEM_MAX + 1] = "";
    uint32_t after_score = 0;
    for (size_t i = 0; i < n; i++) {
        struct node_scores_entry one[1];
        CHECK_OK(node_scores_list(&x->sc, true, 0, after_score, after, one, 1, &fn, &more));
        assert_int_equal(fn, 1);
        assert_string_equal(one[0].item, out[i].item);
        assert_int_equal(more, i + 1 < n);
        snprintf(after, sizeof after, "%s", one[0].item);
        after_score = one[0].score;
    }
    rx_free(x);
    free(x);
}

static void org_aggregates_add_up(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    rx_init_scores(x);
    journeys(x);
    settle(x);
    struct node_scores_org *o = malloc(sizeof *o);
    CHECK_OK(node_scores_org(&x->sc, "oceanic", 10, o));
    assert_true(o->known);
    assert_int_equal(o->items_held, 4);
    assert_int_equal(o->received, 4);
    assert_int_equal(o->given, 0);
    /* three received within seconds, one 30 h later */
    assert_true(o->received_worst_ms >= 30 * HOUR_MS);
    assert_true(o->received_median_ms < HOUR_MS);
    assert_int_equal(o->flags[RISK_CUSTODY_GAP], 0); /* raised while acme held C */
    uint64_t w = 0;
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++) w += o->flags[c] * risk_flag_default_weight(c);
    assert_int_equal(o->weight_sum, w);
    assert_int_equal(o->score_x100, w * 100 / 4);
    assert_int_equal(o->top_count, 4);
    for (size_t i = 1; i < o->top_count; i++) assert_true(o->top[i - 1].score >= o->top[i].score);

    CHECK_OK(node_scores_org(&x->sc, "acme", 2, o));
    assert_int_equal(o->items_held, 4);
    assert_int_equal(o->given, 4);
    assert_int_equal(o->given_received, 4);
    assert_int_equal(o->flags[RISK_CUSTODY_GAP], 1);
    assert_int_equal(o->top_count, 2);
    assert_string_equal(o->top[0].item, CRATE_C);
    assert_true(o->top[0].weight >= risk_flag_default_weight(RISK_CUSTODY_GAP));

    CHECK_OK(node_scores_org(&x->sc, "nobody", 10, o));
    assert_false(o->known);
    assert_int_equal(o->items_held, 0);
    assert_int_equal(o->score_x100, 0);
    free(o);
    rx_free(x);
    free(x);
}

static void a_rebuild_from_the_store_gives_the_same_table(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    rx_init_scores(x);
    journeys(x);
    settle(x);
    struct risk_policy p;
    risk_policy_defaults(&p);
    struct node_scores_deps deps = {.store = x->store, .gov = &x->gov, .g = &x->gov.view,
                                    .risk = &x->idx};
    struct node_scores *re = malloc(sizeof *re);
    CHECK_OK(node_scores_init(re, NULL, &p, &deps));
    CHECK_OK(node_scores_mark_all(re, x->height, x->last_time_ms));
    assert_int_equal(node_scores_pending(re), 4);
    struct node_scores_entry e;
    assert_false(node_scores_item(re, CRATE_A, &e)); /* pending: not judged yet */
    while (node_scores_work(re, 1)) {} /* one at a time, as the loop's turns do */
    const char *crates[] = {CRATE_A, CRATE_B, CRATE_C, CRATE_D};
    for (int i = 0; i < 4; i++) {
        struct node_scores_entry a = entry(&x->sc, crates[i]), b = entry(re, crates[i]);
        assert_int_equal(a.score, b.score);
        assert_memory_equal(a.counts, b.counts, RISK_FLAG_COUNT * sizeof *a.counts);
    }
    struct node_scores_org *o1 = malloc(sizeof *o1), *o2 = malloc(sizeof *o2);
    CHECK_OK(node_scores_org(&x->sc, "oceanic", 10, o1));
    CHECK_OK(node_scores_org(re, "oceanic", 10, o2));
    assert_int_equal(o1->weight_sum, o2->weight_sum);
    assert_int_equal(o1->items_held, o2->items_held);
    assert_int_equal(o1->received_worst_ms, o2->received_worst_ms);
    struct node_scores_stats st;
    node_scores_stats(re, &st);
    assert_int_equal(st.assessed, 4);
    assert_int_equal(st.failed, 0);
    free(o1);
    free(o2);
    node_scores_free(re);
    free(re);
    rx_free(x);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scores_follow_the_engine),
        cmocka_unit_test(a_seal_named_later_rejudges_the_earlier_item),
        cmocka_unit_test(the_queue_is_highest_first_filtered_and_paged),
        cmocka_unit_test(org_aggregates_add_up),
        cmocka_unit_test(a_rebuild_from_the_store_gives_the_same_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
