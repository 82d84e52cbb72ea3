/* Unit tests of the risk engine (risk/engine.c) beyond the scenario
 * library (tests/unit/risk_scenarios.c): offline the ledger-wide flags are
 * not evaluable and say why; the same input gives the same report; the
 * score is the sum of the policy's weights; flags beyond RISK_FLAGS_MAX are
 * counted and scored; a chain that does not replay is refused; 101 items
 * against the baseline their own dwells make flag only the long one; and a
 * 1,000-event chain is assessed (its time printed, as information). */
#include <time.h>

#include "tests/unit/risk_scenario.h"

/* Text of a journey built by a test, growing. */
struct text {
    char *buf;
    size_t len, cap;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(struct text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        assert_true(n >= 0);
        if (t->buf && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t want = t->cap ? 2 * t->cap : 4096;
        while (want < t->len + (size_t)n + 1) want *= 2;
        t->buf = realloc(t->buf, want);
        assert_non_null(t->buf);
        t->cap = want;
    }
}

static struct rs_scenario *load_text(const char *name, const char *text)
{
    struct rs_scenario *s = calloc(1, sizeof *s);
    assert_non_null(s);
    if (rs_load_text(s, name, text)) fail_msg("%s", s->err);
    ledger_evidence_finish(&s->ev);
    return s;
}

static void drop(struct rs_scenario *s)
{
    rs_free(s);
    free(s);
}

static int assess(struct rs_scenario *s, const struct risk_policy *p,
                  const struct risk_context *ctx, struct risk_report *out)
{
    struct risk_input in;
    if (rs_input(s, &in)) fail_msg("%s", s->err);
    char msg[256] = "";
    int rc = risk_assess(&in, p, ctx, out, msg, sizeof msg);
    if (rc) print_message("risk_assess: %s: %s\n", wb_strerror(rc), msg);
    return rc;
}

/* A container with a little of everything: an unsealed handover, a late
 * record, a custody gap, a watch-listed call and a tamper. */
static const char busy_journey[] =
    "device ES-1 eseal acme seal=SL-1\n"
    "+0h acme commission NLRTM temp_max=8\n"
    "+1h acme handover to=oceanic\n"
    "+30h oceanic receive\n"
    "+31h oceanic attach ES-1\n"
    "+32h oceanic report ES-1 seal_status armed seal=SL-1\n"
    "+33h oceanic seal seal=SL-1\n"
    "+34h oceanic load NLRTM\n"
    "+35h oceanic depart NLRTM\n"
    "+13d oceanic arrive IRBND\n"
    "+13d1h oceanic report ES-1 seal_status opened\n"
    "+13d2h customs inspect result=ok recorded=+15d\n"
    "expect-not CLONED_ID\n";

/* ---- offline --------------------------------------------------------------------------- */

static void offline_ledger_wide_not_evaluable(void **state)
{
    (void)state;
    struct rs_scenario *s = load_text("busy", busy_journey);
    struct risk_report r;
    assert_int_equal(assess(s, &s->policy, NULL, &r), WB_OK);
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++) {
        bool wide = risk_flag_ledger_wide((enum risk_flag_code)c);
        if (wide) {
            if (!r.not_evaluable[c] || strcmp(r.not_evaluable_why[c], "needs the ledger: offline"))
                fail_msg("%s offline: not_evaluable %d, why '%s'",
                         risk_flag_name((enum risk_flag_code)c), r.not_evaluable[c],
                         r.not_evaluable_why[c]);
            assert_int_equal(r.counts[c], 0);
        }
    }
    /* The item's own flags are judged offline all the same. */
    assert_true(r.counts[RISK_SEAL_TAMPER] == 1);
    assert_true(r.counts[RISK_UNSEALED_MOVE] == 1);
    assert_false(r.not_evaluable[RISK_SEAL_TAMPER]);
    risk_report_free(&r);

    /* Online with a context that lacks a callback: that callback's flags
     * are not evaluable; the others are judged. */
    struct risk_context ctx;
    rs_context(s, &ctx);
    ctx.seal_items = NULL;
    ctx.container_refs = NULL;
    assert_int_equal(assess(s, &s->policy, &ctx, &r), WB_OK);
    assert_true(r.not_evaluable[RISK_SEAL_REUSE]);
    assert_true(r.not_evaluable[RISK_CLONED_ID]);
    assert_string_equal(r.not_evaluable_why[RISK_SEAL_REUSE], "needs the ledger: offline");
    assert_false(r.not_evaluable[RISK_NEW_PARTY]);
    risk_report_free(&r);
    drop(s);
}

/* ---- determinism ----------------------------------------------------------------------- */

static void same_input_same_report(void **state)
{
    (void)state;
    struct rs_scenario *s = load_text("busy", busy_journey);
    struct risk_policy p;
    risk_policy_defaults(&p);
    p.watch_country_count = 1;
    snprintf(p.watch_countries[0], sizeof p.watch_countries[0], "IR");
    struct risk_context ctx;
    rs_context(s, &ctx);
    struct risk_report a, b;
    assert_int_equal(assess(s, &p, &ctx, &a), WB_OK);
    assert_int_equal(assess(s, &p, &ctx, &b), WB_OK);
    assert_true(a.flag_count >= 5);
    assert_int_equal(a.flag_count, b.flag_count);
    assert_int_equal(a.flags_dropped, b.flags_dropped);
    assert_int_equal(a.score, b.score);
    assert_memory_equal(a.counts, b.counts, sizeof a.counts);
    assert_memory_equal(a.not_evaluable, b.not_evaluable, sizeof a.not_evaluable);
    assert_memory_equal(a.not_evaluable_why, b.not_evaluable_why, sizeof a.not_evaluable_why);
    assert_memory_equal(a.policy_hash, b.policy_hash, sizeof a.policy_hash);
    /* every byte of every flag, padding included (calloc'd, written by
     * field): the report is the same bytes */
    assert_memory_equal(a.flags, b.flags, a.flag_count * sizeof a.flags[0]);
    uint8_t h[RISK_POLICY_HASH_LEN];
    risk_policy_hash(&p, h);
    assert_memory_equal(a.policy_hash, h, sizeof h);
    risk_report_free(&a);
    risk_report_free(&b);
    drop(s);
}

/* ---- scores ---------------------------------------------------------------------------- */

static void score_is_the_sum_of_weights(void **state)
{
    (void)state;
    struct rs_scenario *s = load_text("busy", busy_journey);
    struct risk_policy p;
    risk_policy_defaults(&p);
    p.watch_country_count = 1;
    snprintf(p.watch_countries[0], sizeof p.watch_countries[0], "IR");
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++) p.weight[c] = 100u + c;
    p.weight[RISK_LATE_OR_BACKDATED] = 0;
    struct risk_report r;
    assert_int_equal(assess(s, &p, NULL, &r), WB_OK);
    uint32_t want = 0;
    size_t total = 0;
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++) {
        want += r.counts[c] * p.weight[c];
        total += r.counts[c];
    }
    assert_int_equal(total, r.flag_count + r.flags_dropped);
    size_t per_code[RISK_FLAG_COUNT] = {0};
    for (size_t i = 0; i < r.flag_count; i++) per_code[r.flags[i].code]++;
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++) assert_int_equal(per_code[c], r.counts[c]);
    /* the flags this journey raises, one each */
    assert_int_equal(r.counts[RISK_UNSEALED_MOVE], 1);
    assert_int_equal(r.counts[RISK_CUSTODY_GAP], 1);
    assert_int_equal(r.counts[RISK_SEAL_TAMPER], 1);
    assert_int_equal(r.counts[RISK_HIGH_RISK_ROUTING], 1);
    assert_int_equal(r.counts[RISK_LATE_OR_BACKDATED], 1);
    assert_int_equal(r.score, want);
    assert_int_equal(r.score, 100 + RISK_UNSEALED_MOVE + 100 + RISK_CUSTODY_GAP + 100 +
                                  RISK_SEAL_TAMPER + 100 + RISK_HIGH_RISK_ROUTING + 0);
    risk_report_free(&r);
    /* The default weights by severity: tamper 10, routing 5, gap 5,
     * unsealed 3, late 1. */
    risk_policy_defaults(&p);
    p.watch_country_count = 1;
    snprintf(p.watch_countries[0], sizeof p.watch_countries[0], "IR");
    assert_int_equal(assess(s, &p, NULL, &r), WB_OK);
    assert_int_equal(r.score, 10 + 5 + 5 + 3 + 1);
    risk_report_free(&r);
    drop(s);
}

/* ---- more flags than kept ------------------------------------------------------------ */

static void flags_beyond_the_cap_are_counted(void **state)
{
    (void)state;
    enum { LATE = RISK_FLAGS_MAX + 44 };
    struct text t = {0};
    text_add(&t, "+0h acme commission NLRTM\n+1h acme seal seal=SL-1\n");
    /* each inspection recorded 25 h after the time it gives */
    for (int i = 0; i < LATE; i++)
        text_add(&t, "+%dm customs inspect result=ok recorded=+%dm\n", 120 + i, 120 + i + 25 * 60);
    text_add(&t, "expect LATE_OR_BACKDATED\n");
    struct rs_scenario *s = load_text("late", t.buf);
    struct risk_policy p;
    risk_policy_defaults(&p);
    p.weight[RISK_LATE_OR_BACKDATED] = 7;
    struct risk_report r;
    assert_int_equal(assess(s, &p, NULL, &r), WB_OK);
    assert_int_equal(r.flag_count, RISK_FLAGS_MAX);
    assert_int_equal(r.flags_dropped, LATE - RISK_FLAGS_MAX);
    assert_int_equal(r.counts[RISK_LATE_OR_BACKDATED], LATE);
    assert_int_equal(r.score, 7 * LATE);
    /* the kept ones are the first, in chain order */
    assert_int_equal(r.flags[0].event_index[0], 2);
    assert_int_equal(r.flags[RISK_FLAGS_MAX - 1].event_index[0], 1 + RISK_FLAGS_MAX);
    risk_report_free(&r);
    drop(s);
    free(t.buf);
}

/* ---- refused input --------------------------------------------------------------------- */

static void not_a_chain_is_refused(void **state)
{
    (void)state;
    struct rs_scenario *s = load_text("busy", busy_journey);
    struct risk_input in;
    if (rs_input(s, &in)) fail_msg("%s", s->err);
    struct risk_report r;
    char msg[256] = "";
    /* from the second event: no commission */
    in.events = s->revs + 1;
    in.count = s->n - 1;
    in.evidence = NULL;
    assert_int_equal(risk_assess(&in, &s->policy, NULL, &r, msg, sizeof msg), WB_ERR_INVALID);
    assert_non_null(strstr(msg, "starts with its commission"));
    assert_int_equal(r.flag_count, 0);
    assert_int_equal(r.score, 0);
    risk_report_free(&r);
    /* an event left out: the links break */
    struct risk_event *gap = calloc(s->n - 1, sizeof *gap);
    assert_non_null(gap);
    gap[0] = s->revs[0];
    memcpy(gap + 1, s->revs + 2, (s->n - 2) * sizeof *gap);
    in.events = gap;
    in.count = s->n - 1;
    in.evidence = NULL;
    assert_int_equal(risk_assess(&in, &s->policy, NULL, &r, msg, sizeof msg), WB_ERR_INVALID);
    assert_non_null(strstr(msg, "event 1 (receive): its prev is not the event before it"));
    risk_report_free(&r);
    free(gap);
    /* evidence of another length */
    in.events = s->revs;
    in.count = s->n - 1;
    in.evidence = &s->ev;
    assert_int_equal(risk_assess(&in, &s->policy, NULL, &r, msg, sizeof msg), WB_ERR_INVALID);
    assert_non_null(strstr(msg, "the evidence is of"));
    risk_report_free(&r);
    /* what the replay relies on is checked, not trusted (a history is a
     * node's word): a report that does not decode, a bad device key */
    struct ledger_event *copy = calloc(s->n, sizeof *copy);
    struct risk_event *revs = calloc(s->n, sizeof *revs);
    assert_non_null(copy);
    assert_non_null(revs);
    for (size_t k = 0; k < s->n; k++) {
        copy[k] = s->events[k];
        revs[k] = s->revs[k];
        revs[k].ev = &copy[k];
    }
    assert_int_equal(copy[4].action, LEDGER_SEAL_STATUS);
    copy[4].device_report_len = 3;
    in.events = revs;
    in.count = s->n;
    in.evidence = NULL;
    assert_int_equal(risk_assess(&in, &s->policy, NULL, &r, msg, sizeof msg), WB_ERR_INVALID);
    assert_non_null(strstr(msg, "event 4 (seal_status): its device report does not decode"));
    risk_report_free(&r);
    copy[4] = s->events[4];
    assert_int_equal(copy[3].action, LEDGER_DEVICE_ATTACH);
    snprintf(copy[3].attrs[0].value, sizeof copy[3].attrs[0].value, "not-a-key");
    assert_int_equal(risk_assess(&in, &s->policy, NULL, &r, msg, sizeof msg), WB_ERR_INVALID);
    assert_non_null(strstr(msg, "event 3 (device_attach): attribute device is not a device key"));
    risk_report_free(&r);
    free(copy);
    free(revs);
    in.events = s->revs;
    /* no events */
    in.count = 0;
    assert_int_equal(risk_assess(&in, &s->policy, NULL, &r, msg, sizeof msg), WB_ERR_INVALID);
    risk_report_free(&r);
    drop(s);
}

/* Without evidence, what needs it is not evaluable; the rest is judged. */
static void no_evidence(void **state)
{
    (void)state;
    struct rs_scenario *s = load_text("busy", busy_journey);
    struct risk_input in;
    if (rs_input(s, &in)) fail_msg("%s", s->err);
    in.evidence = NULL;
    struct risk_report r;
    char msg[256] = "";
    assert_int_equal(risk_assess(&in, &s->policy, NULL, &r, msg, sizeof msg), WB_OK);
    assert_true(r.not_evaluable[RISK_SEAL_TAMPER]);
    assert_string_equal(r.not_evaluable_why[RISK_SEAL_TAMPER], "the device evidence was not given");
    assert_int_equal(r.counts[RISK_SEAL_TAMPER], 0);
    assert_int_equal(r.counts[RISK_UNSEALED_MOVE], 1);
    risk_report_free(&r);
    drop(s);
}

/* ---- 101 items against their own baseline ------------------------------------------- */

static const struct risk_dist *shared_baseline(void *ctx, const char *key)
{
    return risk_baselines_find(ctx, key);
}

static char *dwell_item(int i, bool long_stay)
{
    struct text t = {0};
    int stay_h = long_stay ? 20 * 24 : 30 + i % 12;
    text_add(&t, "item urn:waybill:dwell:%d\n", i);
    text_add(&t, "+0h acme commission BEANR\n+1h acme seal seal=SL-%d\n", i);
    text_add(&t, "+2h acme load BEANR\n+3h acme depart BEANR\n+13h acme arrive NLRTM\n");
    for (int h = 13 + 5 * 24; h < 13 + stay_h; h += 5 * 24)
        text_add(&t, "+%dh customs inspect result=ok\n", h);
    text_add(&t, "+%dh acme depart NLRTM\n+%dh acme arrive BEANR\n", 13 + stay_h, 23 + stay_h);
    text_add(&t, "expect-not CLONED_ID\n");
    return t.buf;
}

static void only_the_long_dwell_of_101(void **state)
{
    (void)state;
    enum { ITEMS = 101, LONG = 57 };
    struct risk_baselines b;
    risk_baselines_init(&b);
    /* The node's part: every item's dwell samples into the baselines. */
    for (int i = 0; i < ITEMS; i++) {
        char *text = dwell_item(i, i == LONG);
        struct rs_scenario *s = load_text("dwell", text);
        const struct ledger_event *evs[64];
        assert_true(s->n <= 64);
        for (size_t k = 0; k < s->n; k++) evs[k] = &s->events[k];
        struct risk_sample sm[8];
        size_t n = risk_samples_of_chain(evs, s->n, sm, 8);
        for (size_t k = 0; k < n && k < 8; k++)
            if (strcmp(sm[k].key, "dwell NLRTM") == 0)
                assert_int_equal(risk_baselines_add(&b, sm[k].key, sm[k].ms), WB_OK);
        drop(s);
        free(text);
    }
    const struct risk_dist *d = risk_baselines_find(&b, "dwell NLRTM");
    assert_non_null(d);
    assert_int_equal(d->count, ITEMS);
    /* The engine's: each item judged against them. */
    struct risk_context ctx = {.ctx = &b, .baseline = shared_baseline};
    struct risk_policy p;
    risk_policy_defaults(&p);
    int flagged = 0;
    for (int i = 0; i < ITEMS; i++) {
        char *text = dwell_item(i, i == LONG);
        struct rs_scenario *s = load_text("dwell", text);
        struct risk_report r;
        assert_int_equal(assess(s, &p, &ctx, &r), WB_OK);
        if (r.counts[RISK_ABNORMAL_DWELL]) {
            flagged++;
            assert_int_equal(i, LONG);
            assert_int_equal(r.counts[RISK_ABNORMAL_DWELL], 1);
            const struct risk_flag *f = NULL;
            for (size_t k = 0; k < r.flag_count; k++)
                if (r.flags[k].code == RISK_ABNORMAL_DWELL) f = &r.flags[k];
            assert_non_null(f);
            assert_int_equal(f->basis, RISK_BASIS_BASELINE);
            if (!strstr(f->basis_text, "p95 of 101 dwells at NLRTM ("))
                fail_msg("basis_text: %s", f->basis_text);
        }
        assert_int_equal(r.counts[RISK_SILENT_PERIOD], 0);
        risk_report_free(&r);
        drop(s);
        free(text);
    }
    assert_int_equal(flagged, 1);
    risk_baselines_free(&b);
}

/* ---- a long chain -------------------------------------------------------------------- */

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* 1,000 events: shuttles between Rotterdam and Antwerp with customs
 * inspections and a tracker's position reports of 16 fixes each. */
static void thousand_events(void **state)
{
    (void)state;
    struct text t = {0};
    text_add(&t, "device TR-1 tracker acme\n");
    text_add(&t, "+0m acme commission NLRTM temp_max=8\n+10m acme seal seal=SL-1\n");
    text_add(&t, "+20m acme attach TR-1\n");
    int n = 3, minute = 30;
    const char *at = "NLRTM", *to = "BEANR";
    while (n < 1000) {
        const char *steps[] = {"load %s", "depart %s", "arrive %s", "unload %s"};
        for (int k = 0; k < 4 && n < 1000; k++, n++, minute += 60) {
            char what[32];
            snprintf(what, sizeof what, steps[k], k < 2 ? at : to);
            text_add(&t, "+%dm acme %s\n", minute, what);
            if (k == 1 && n + 1 < 1000) { /* underway: 16 fixes */
                minute += 60;
                text_add(&t, "+%dm acme report TR-1 position", minute);
                for (int f = 0; f < 16; f++)
                    text_add(&t, " 51.6,4.45@+%dm", minute - 60 + 3 + f * 3);
                text_add(&t, "\n");
                n++;
            }
        }
        if (n < 1000) {
            text_add(&t, "+%dm customs inspect result=ok\n", minute);
            n++;
            minute += 60;
        }
        const char *x = at;
        at = to;
        to = x;
    }
    text_add(&t, "expect-not IMPOSSIBLE_TRAVEL\n");
    struct rs_scenario *s = load_text("thousand", t.buf);
    assert_int_equal(s->n, 1000);
    struct rs_scenario *ctx_s = s;
    struct risk_context ctx;
    rs_context(ctx_s, &ctx);
    struct risk_report r;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = assess(s, &s->policy, &ctx, &r);
    double took = ms_since(&t0);
    assert_int_equal(rc, WB_OK);
    if (r.counts[RISK_IMPOSSIBLE_TRAVEL] || r.counts[RISK_SILENT_PERIOD]) {
        char got[8192];
        rs_flags_text(&r, got, sizeof got);
        fail_msg("the shuttle raised %s", got);
    }
    print_message("risk_assess of a 1,000-event chain (%zu position fixes): %.2f ms\n",
                  s->ev.obs_count, took);
    risk_report_free(&r);
    drop(s);
    free(t.buf);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(offline_ledger_wide_not_evaluable),
        cmocka_unit_test(same_input_same_report),
        cmocka_unit_test(score_is_the_sum_of_weights),
        cmocka_unit_test(flags_beyond_the_cap_are_counted),
        cmocka_unit_test(not_a_chain_is_refused),
        cmocka_unit_test(no_evidence),
        cmocka_unit_test(only_the_long_dwell_of_101),
        cmocka_unit_test(thousand_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
