/* Unit tests of risk/baseline.c: the distribution's buckets and
 * percentiles, its canonical bytes, the samples a chain gives (dwells and
 * transits, with the mode), and the sorted set of baselines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "risk/baseline.h"

#define MIN_ 60000LL
#define HOUR (3600000LL)
#define DAY (24 * HOUR)

static void percentiles_come_from_bucket_bounds(void **state)
{
    (void)state;
    struct risk_dist d;
    int64_t ms;
    memset(&d, 0, sizeof d);
    assert_false(risk_dist_percentile(&d, 95, &ms));
    for (int i = 0; i < 100; i++) risk_dist_add(&d, 2 * DAY);
    risk_dist_add(&d, 20 * DAY);
    assert_int_equal(d.count, 101);
    assert_true(risk_dist_percentile(&d, 95, &ms));
    /* the bound of 2 days' bucket: within a quarter-octave above 2 d */
    assert_true(ms > 2 * DAY && ms <= 2 * DAY * 1189 / 1000 + 1);
    int64_t p100;
    assert_true(risk_dist_percentile(&d, 100, &p100));
    assert_true(p100 > 20 * DAY);
    assert_false(risk_dist_percentile(&d, 0, &ms));
    assert_false(risk_dist_percentile(&d, 101, &ms));
    /* the edges: under a minute, and beyond the last bound */
    memset(&d, 0, sizeof d);
    risk_dist_add(&d, -5);
    risk_dist_add(&d, 59999);
    assert_true(risk_dist_percentile(&d, 100, &ms));
    assert_int_equal(ms, MIN_);
    risk_dist_add(&d, 400 * DAY);
    assert_true(risk_dist_percentile(&d, 100, &ms));
    assert_int_equal(ms, INT64_MAX);
    /* nearest rank: of 1, 2, ..., 100 minutes the p50 is 50 minutes' bucket */
    memset(&d, 0, sizeof d);
    for (int i = 1; i <= 100; i++) risk_dist_add(&d, i * MIN_);
    assert_true(risk_dist_percentile(&d, 50, &ms));
    assert_true(ms > 50 * MIN_ && ms <= 50 * MIN_ * 1190 / 1000);
}

static void bytes_are_canonical(void **state)
{
    (void)state;
    struct risk_dist d, back;
    memset(&d, 0, sizeof d);
    for (int i = 0; i < 1000; i++) risk_dist_add(&d, (int64_t)i * 37 * MIN_);
    uint8_t buf[RISK_DIST_ENC_MAX];
    size_t n = risk_dist_encode(&d, buf);
    assert_true(n <= RISK_DIST_ENC_MAX);
    assert_int_equal(risk_dist_decode(buf, n, &back), WB_OK);
    assert_memory_equal(&d, &back, sizeof d);
    /* an empty one: 65 zero bytes */
    memset(&d, 0, sizeof d);
    n = risk_dist_encode(&d, buf);
    assert_int_equal(n, 1 + RISK_DIST_BUCKETS);
    assert_int_equal(risk_dist_decode(buf, n, &back), WB_OK);
    /* refused: trailing byte, short, a count that is not the buckets' sum, an
     * overlong varint */
    assert_int_equal(risk_dist_decode(buf, n - 1, &back), WB_ERR_DECODE);
    uint8_t longer[RISK_DIST_ENC_MAX + 1];
    memcpy(longer, buf, n);
    longer[n] = 0;
    assert_int_equal(risk_dist_decode(longer, n + 1, &back), WB_ERR_DECODE);
    buf[0] = 1;
    assert_int_equal(risk_dist_decode(buf, n, &back), WB_ERR_DECODE);
    uint8_t overlong[1 + 1 + RISK_DIST_BUCKETS] = {0x80, 0x00};
    assert_int_equal(risk_dist_decode(overlong, sizeof overlong, &back), WB_ERR_DECODE);
    static const uint8_t zero[sizeof back] = {0};
    assert_memory_equal(&back, zero, sizeof back);
}

static struct ledger_event *ev_at(struct ledger_event *ev, enum ledger_action a, const char *loc,
                                  int64_t t)
{
    memset(ev, 0, sizeof *ev);
    ev->action = a;
    snprintf(ev->location, sizeof ev->location, "%s", loc);
    ev->time_ms = t;
    return ev;
}

static void chains_give_dwells_and_transits(void **state)
{
    (void)state;
    static struct ledger_event e[12];
    const struct ledger_event *p[12];
    size_t n = 0;
    p[n] = ev_at(&e[n], LEDGER_COMMISSION, "CNSHA", 0), n++;
    p[n] = ev_at(&e[n], LEDGER_LOAD, "CNSHA", 1 * HOUR), n++;
    e[n - 1].attr_count = 1;
    snprintf(e[n - 1].attrs[0].key, sizeof e[n - 1].attrs[0].key, "mode");
    snprintf(e[n - 1].attrs[0].value, sizeof e[n - 1].attrs[0].value, "sea");
    p[n] = ev_at(&e[n], LEDGER_DEPART, "CNSHA", 2 * HOUR), n++;
    p[n] = ev_at(&e[n], LEDGER_ARRIVE, "SGSIN", 5 * DAY), n++;
    p[n] = ev_at(&e[n], LEDGER_UNLOAD, "SGSIN", 5 * DAY + HOUR), n++;
    p[n] = ev_at(&e[n], LEDGER_LOAD, "SGSIN", 7 * DAY), n++;
    p[n] = ev_at(&e[n], LEDGER_DEPART, "SGSIN", 7 * DAY + HOUR), n++;
    p[n] = ev_at(&e[n], LEDGER_ARRIVE, "NLRTM", 30 * DAY), n++;
    p[n] = ev_at(&e[n], LEDGER_UNLOAD, "NLRTM", 30 * DAY + HOUR), n++;
    p[n] = ev_at(&e[n], LEDGER_DELIVER, "NLRTM", 33 * DAY), n++;
    struct risk_sample s[8];
    size_t k = risk_samples_of_chain(p, n, s, 8);
    assert_int_equal(k, 4);
    assert_string_equal(s[0].key, "transit CNSHA SGSIN sea");
    assert_int_equal(s[0].ms, 5 * DAY - 2 * HOUR);
    assert_int_equal(s[0].from_event, 2);
    assert_int_equal(s[0].to_event, 3);
    assert_string_equal(s[1].key, "dwell SGSIN");
    assert_int_equal(s[1].ms, 2 * DAY + HOUR);
    assert_string_equal(s[2].key, "transit SGSIN NLRTM any"); /* the second load names no mode */
    assert_string_equal(s[3].key, "dwell NLRTM");
    assert_int_equal(s[3].ms, 3 * DAY);
    /* a short out array: the count is still all of them */
    assert_int_equal(risk_samples_of_chain(p, n, s, 1), 4);
    assert_string_equal(s[0].key, "transit CNSHA SGSIN sea");
    /* GLN locations give no samples */
    ev_at(&e[3], LEDGER_ARRIVE, "4012345000009", 5 * DAY);
    assert_int_equal(risk_samples_of_chain(p, n, s, 8), 2);
}

static void baselines_are_sorted_and_found(void **state)
{
    (void)state;
    struct risk_baselines b;
    risk_baselines_init(&b);
    static const char *const keys[] = {"dwell NLRTM", "dwell CNSHA", "transit CNSHA NLRTM sea",
                                       "dwell SGSIN", "dwell CNSHA"};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(risk_baselines_add(&b, keys[i], (int64_t)(i + 1) * DAY), WB_OK);
    assert_int_equal(b.count, 4);
    for (size_t i = 1; i < b.count; i++)
        assert_true(strcmp(b.entries[i - 1].key, b.entries[i].key) < 0);
    const struct risk_dist *d = risk_baselines_find(&b, "dwell CNSHA");
    assert_non_null(d);
    assert_int_equal(d->count, 2);
    assert_null(risk_baselines_find(&b, "dwell DEHAM"));
    assert_null(risk_baselines_find(&b, NULL));
    char big[RISK_KEY_MAX + 1];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(risk_baselines_add(&b, big, 1), WB_ERR_INVALID);
    assert_int_equal(risk_baselines_add(&b, "", 1), WB_ERR_INVALID);
    for (int i = 0; i < 500; i++) {
        char k[RISK_KEY_MAX];
        snprintf(k, sizeof k, "dwell X%04d", (i * 7919) % 500);
        assert_int_equal(risk_baselines_add(&b, k, i), WB_OK);
    }
    assert_int_equal(b.count, 504);
    for (size_t i = 1; i < b.count; i++)
        assert_true(strcmp(b.entries[i - 1].key, b.entries[i].key) < 0);
    risk_baselines_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(percentiles_come_from_bucket_bounds),
        cmocka_unit_test(bytes_are_canonical),
        cmocka_unit_test(chains_give_dwells_and_transits),
        cmocka_unit_test(baselines_are_sorted_and_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
