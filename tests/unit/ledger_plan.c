/* Unit tests of ledger/plan.c: transport mode names, the decode of a
 * plan_set event's attributes (good plans, and every refusal plan.h's
 * comment implies, each naming its attribute) and the encode, with the
 * round trip between them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/wb_error.h"
#include "ledger/plan.h"
#include "ledger/types.h"

#define MAR1_MS INT64_C(1772323200000) /* 2026-03-01T00:00:00Z */
#define MAR2_MS INT64_C(1772409600000) /* 2026-03-02T00:00:00Z */
#define APR1_MS INT64_C(1775001600000) /* 2026-04-01T00:00:00Z */
#define DAY_MS INT64_C(86400000)
#define MSG_MAX 256

#define STOP1 "CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea"
#define STOP2 "NLRTM 2026-04-01T00:00:00Z 2026-04-01T12:30:00.5Z -"

static const struct ledger_plan zero_plan;

/* A plan_set event with the attributes given as key, value pairs (NULL
 * ends them). */
static void mk(struct ledger_event *ev, ...)
{
    memset(ev, 0, sizeof *ev);
    ev->action = LEDGER_PLAN_SET;
    snprintf(ev->item, sizeof ev->item, "%s", "CSQU3054383");
    va_list ap;
    va_start(ap, ev);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k) break;
        const char *v = va_arg(ap, const char *);
        assert_true(ev->attr_count < WB_ATTRS_MAX);
        struct ledger_attr *a = &ev->attrs[ev->attr_count++];
        snprintf(a->key, sizeof a->key, "%s", k);
        snprintf(a->value, sizeof a->value, "%s", v);
    }
    va_end(ap);
}

/* Sets or adds attribute key. */
static void set_attr(struct ledger_event *ev, const char *key, const char *value)
{
    for (size_t i = 0; i < ev->attr_count; i++)
        if (strcmp(ev->attrs[i].key, key) == 0) {
            snprintf(ev->attrs[i].value, sizeof ev->attrs[i].value, "%s", value);
            return;
        }
    assert_true(ev->attr_count < WB_ATTRS_MAX);
    struct ledger_attr *a = &ev->attrs[ev->attr_count++];
    snprintf(a->key, sizeof a->key, "%s", key);
    snprintf(a->value, sizeof a->value, "%s", value);
}

/* Drops attribute key. */
static void drop_attr(struct ledger_event *ev, const char *key)
{
    for (size_t i = 0; i < ev->attr_count; i++)
        if (strcmp(ev->attrs[i].key, key) == 0) {
            memmove(&ev->attrs[i], &ev->attrs[i + 1],
                    (ev->attr_count - i - 1) * sizeof ev->attrs[0]);
            ev->attr_count--;
            return;
        }
    fail_msg("no attribute %s to drop", key);
}

/* A plan of n stops a day apart: corridor_km, then stop1..stopN, modes
 * cycling through all five, '-' on the last. */
static void mk_stops(struct ledger_event *ev, size_t n, const char *corridor)
{
    static const char *const codes[] = {"CNSHA", "SGSIN", "LKCMB", "EGSUZ", "NLRTM",
                                        "DEHAM", "BEANR", "USLAX", "JPTYO", "KRPUS"};
    static const char *const modes[] = {"sea", "inland_water", "rail", "road", "air"};
    mk(ev, "corridor_km", corridor, NULL);
    for (size_t i = 0; i < n; i++) {
        char key[16], value[WB_ATTR_VALUE_MAX + 1];
        snprintf(key, sizeof key, "stop%zu", i + 1);
        snprintf(value, sizeof value, "%s 2026-03-%02zuT00:00:00Z 2026-03-%02zuT06:00:00Z %s",
                 codes[i % 10], i + 1, i + 1, i + 1 == n ? "-" : modes[i % 5]);
        set_attr(ev, key, value);
    }
}

static void expect_refused(const struct ledger_event *ev, const char *want)
{
    struct ledger_plan p;
    char msg[MSG_MAX];
    memset(msg, 0, sizeof msg);
    memset(&p, 0x5a, sizeof p);
    int rc = ledger_plan_decode(ev, &p, msg, sizeof msg);
    if (rc != WB_ERR_INVALID)
        fail_msg("decode returned %s ('%s'), want invalid: %s", wb_strerror(rc), msg, want);
    if (!strstr(msg, want)) fail_msg("message '%s' does not say '%s'", msg, want);
    if (strncmp(msg, "plan_set: ", 10) != 0) fail_msg("message '%s' does not name plan_set", msg);
    if (memcmp(&p, &zero_plan, sizeof p) != 0) fail_msg("plan not zeroed after '%s'", msg);
}

static void decode_ok(const struct ledger_event *ev, struct ledger_plan *p)
{
    char msg[MSG_MAX] = "";
    int rc = ledger_plan_decode(ev, p, msg, sizeof msg);
    if (rc) fail_msg("decode: %s: %s", wb_strerror(rc), msg);
}

/* ---- names -------------------------------------------------------------------------- */

static void mode_names(void **state)
{
    (void)state;
    static const char *const names[] = {NULL, "sea", "inland_water", "rail", "road", "air"};
    for (int m = 1; m <= LEDGER_MODE_AIR; m++) {
        const char *n = ledger_mode_name((enum ledger_mode)m);
        assert_non_null(n);
        assert_string_equal(n, names[m]);
        assert_int_equal(ledger_mode_parse(n), m);
    }
    assert_null(ledger_mode_name(LEDGER_MODE_NONE));
    assert_null(ledger_mode_name((enum ledger_mode)(LEDGER_MODE_AIR + 1)));
    assert_null(ledger_mode_name((enum ledger_mode)-1));
    static const char *const unknown[] = {"", "-", "SEA", "Sea", "sea ", "inland-water",
                                          "inland", "truck", "none"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        if (ledger_mode_parse(unknown[i]) != LEDGER_MODE_NONE)
            fail_msg("mode '%s' parsed", unknown[i]);
    assert_int_equal(ledger_mode_parse(NULL), LEDGER_MODE_NONE);
}

/* ---- decode --------------------------------------------------------------------------- */

static void decode_two_stops(void **state)
{
    (void)state;
    struct ledger_event ev;
    mk(&ev, "corridor_km", "50", "stop1", STOP1, "stop2", STOP2, NULL);
    struct ledger_plan p;
    decode_ok(&ev, &p);
    assert_int_equal(p.corridor_km, 50);
    assert_int_equal(p.stop_count, 2);
    assert_string_equal(p.stops[0].locode, "CNSHA");
    assert_int_equal(p.stops[0].arrive_from_ms, MAR1_MS);
    assert_int_equal(p.stops[0].arrive_to_ms, MAR2_MS);
    assert_int_equal(p.stops[0].leg_mode, LEDGER_MODE_SEA);
    assert_string_equal(p.stops[1].locode, "NLRTM");
    assert_int_equal(p.stops[1].arrive_from_ms, APR1_MS);
    assert_int_equal(p.stops[1].arrive_to_ms, APR1_MS + 12 * 3600000 + 30 * 60000 + 500);
    assert_int_equal(p.stops[1].leg_mode, LEDGER_MODE_NONE);
    /* the unused stops stay zero */
    for (size_t i = 2; i < WB_PLAN_STOPS_MAX; i++)
        assert_memory_equal(&p.stops[i], &zero_plan.stops[i], sizeof p.stops[i]);

    /* attribute order does not matter */
    mk(&ev, "stop2", STOP2, "corridor_km", "50", "stop1", STOP1, NULL);
    struct ledger_plan q;
    decode_ok(&ev, &q);
    assert_memory_equal(&p, &q, sizeof p);

    /* the corridor's bounds; a window of one instant; a stop's FROM equal
     * to the previous one's */
    mk(&ev, "corridor_km", "1", "stop1", "CNSHA 2026-03-01T00:00:00Z 2026-03-01T00:00:00Z air",
       "stop2", "CNSHA 2026-03-01T00:00:00Z 2026-03-01T00:00:00.001Z -", NULL);
    decode_ok(&ev, &p);
    assert_int_equal(p.corridor_km, 1);
    assert_int_equal(p.stops[0].arrive_to_ms, MAR1_MS);
    assert_int_equal(p.stops[1].arrive_to_ms, MAR1_MS + 1);
    set_attr(&ev, "corridor_km", "2000");
    decode_ok(&ev, &p);
    assert_int_equal(p.corridor_km, WB_PLAN_CORRIDOR_KM_MAX);
    /* a later stop's window may end before the previous one's ends */
    mk(&ev, "corridor_km", "5", "stop1", "CNSHA 2026-03-01T00:00:00Z 2026-04-01T00:00:00Z road",
       "stop2", "SGSIN 2026-03-02T00:00:00Z 2026-03-02T00:00:00Z -", NULL);
    decode_ok(&ev, &p);
}

static void decode_most_stops(void **state)
{
    (void)state;
    struct ledger_event ev;
    mk_stops(&ev, WB_PLAN_STOPS_MAX, "300");
    assert_int_equal(ev.attr_count, WB_ATTRS_MAX);
    struct ledger_plan p;
    decode_ok(&ev, &p);
    assert_int_equal(p.corridor_km, 300);
    assert_int_equal(p.stop_count, WB_PLAN_STOPS_MAX);
    for (size_t i = 0; i < WB_PLAN_STOPS_MAX; i++) {
        assert_int_equal(p.stops[i].arrive_from_ms, MAR1_MS + (int64_t)i * DAY_MS);
        assert_int_equal(p.stops[i].arrive_to_ms, MAR1_MS + (int64_t)i * DAY_MS + 6 * 3600000);
        enum ledger_mode want = i + 1 == WB_PLAN_STOPS_MAX ? LEDGER_MODE_NONE
                                                           : (enum ledger_mode)(i % 5 + 1);
        assert_int_equal(p.stops[i].leg_mode, want);
    }
    assert_string_equal(p.stops[14].locode, "NLRTM");
}

static void decode_refuses_corridor(void **state)
{
    (void)state;
    struct ledger_event ev;
    mk(&ev, "corridor_km", "50", "stop1", STOP1, "stop2", STOP2, NULL);
    drop_attr(&ev, "corridor_km");
    expect_refused(&ev, "plan_set: attribute corridor_km is required (1 to 2000)");
    mk_stops(&ev, WB_PLAN_STOPS_MAX, "50");
    drop_attr(&ev, "corridor_km");
    expect_refused(&ev, "plan_set: attribute corridor_km is required (1 to 2000)");
    static const char *const bad[] = {"0",   "2001", "-5", "+5",  "05",  "5km", "5 ", " 5",
                                      "",    "1e3",  "abc", "5.0", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mk(&ev, "corridor_km", bad[i], "stop1", STOP1, "stop2", STOP2, NULL);
        expect_refused(&ev, "plan_set: corridor_km must be an integer from 1 to 2000");
    }
}

static void decode_refuses_stop_numbering(void **state)
{
    (void)state;
    struct ledger_event ev;
    /* a gap: stop1, stop3 */
    mk(&ev, "corridor_km", "50", "stop1", STOP1, "stop3", STOP2, NULL);
    expect_refused(&ev, "plan_set: attribute 'stop3' is not one a plan takes (corridor_km, "
                        "stop1..stopN numbered without gaps)");
    /* starting at stop2, or stop0, or written stop01 */
    mk(&ev, "corridor_km", "50", "stop2", STOP1, "stop3", STOP2, NULL);
    expect_refused(&ev, "attribute 'stop2' is not one a plan takes");
    mk(&ev, "corridor_km", "50", "stop0", STOP1, "stop1", STOP1, "stop2", STOP2, NULL);
    expect_refused(&ev, "attribute 'stop0' is not one a plan takes");
    mk(&ev, "corridor_km", "50", "stop1", STOP1, "stop02", STOP2, NULL);
    expect_refused(&ev, "attribute 'stop02' is not one a plan takes");
    /* one stop, none */
    mk(&ev, "corridor_km", "50", "stop1", STOP2, NULL);
    expect_refused(&ev, "plan_set: a plan has 2 to 15 stops (stop1..stopN), not 1");
    mk(&ev, "corridor_km", "50", NULL);
    expect_refused(&ev, "plan_set: a plan has 2 to 15 stops (stop1..stopN), not 0");
}

static void decode_refuses_too_many_stops(void **state)
{
    (void)state;
    /* An event holds WB_ATTRS_MAX attributes: stop1..stop16 without the
     * corridor is the most stops one can carry; the corridor is missed
     * first. */
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    ev.action = LEDGER_PLAN_SET;
    for (size_t i = 0; i < WB_ATTRS_MAX; i++) {
        snprintf(ev.attrs[i].key, sizeof ev.attrs[i].key, "stop%zu", i + 1);
        snprintf(ev.attrs[i].value, sizeof ev.attrs[i].value,
                 "CNSHA 2026-03-%02zuT00:00:00Z 2026-03-%02zuT00:00:00Z %s", i + 1, i + 1,
                 i + 1 == WB_ATTRS_MAX ? "-" : "sea");
    }
    ev.attr_count = WB_ATTRS_MAX;
    expect_refused(&ev, "plan_set: attribute corridor_km is required");
}

static void decode_refuses_stops(void **state)
{
    (void)state;
    struct {
        const char *stop1, *stop2, *want;
    } bad[] = {
        /* the LOCODE */
        {"cnsha 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea", STOP2,
         "plan_set: stop1: the stop is not a UN/LOCODE (such as NLRTM)"},
        {STOP1, "NLRT1 2026-04-01T00:00:00Z 2026-04-01T00:00:00Z -",
         "plan_set: stop2: the stop is not a UN/LOCODE"},
        {"CNSH 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea", STOP2,
         "stop1: the stop is not a UN/LOCODE"},
        {"CNSHAX 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea", STOP2,
         "stop1: the stop is not a UN/LOCODE"},
        {"1NSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea", STOP2,
         "stop1: the stop is not a UN/LOCODE"},
        {"QQSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea", STOP2,
         "stop1: the stop is not a UN/LOCODE"},      /* QQ is no country */
        {"ZZZZZ 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea", STOP2,
         "stop1: the stop is not a UN/LOCODE"},      /* the unknown-place placeholder */
        /* the times */
        {"CNSHA 2026-02-30T00:00:00Z 2026-03-02T00:00:00Z sea", STOP2,
         "plan_set: stop1: FROM and TO must be RFC 3339 UTC times such as "
         "2026-03-01T00:00:00Z"},
        {"CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00+01:00 sea", STOP2,
         "stop1: FROM and TO must be RFC 3339 UTC times"},
        {"CNSHA 2026-03-01T00:00:00 2026-03-02T00:00:00Z sea", STOP2,
         "stop1: FROM and TO must be RFC 3339 UTC times"},
        {"CNSHA 2026-03-01 2026-03-02T00:00:00Z sea", STOP2,
         "stop1: FROM and TO must be RFC 3339 UTC times"},
        {STOP1, "NLRTM 2026-04-01T24:00:00Z 2026-04-02T00:00:00Z -",
         "stop2: FROM and TO must be RFC 3339 UTC times"},
        {STOP1, "NLRTM 2026-04-01T00:00:00.1234Z 2026-04-02T00:00:00Z -",
         "stop2: FROM and TO must be RFC 3339 UTC times"},
        {"CNSHA 2026-03-02T00:00:00Z 2026-03-01T00:00:00Z sea", STOP2,
         "plan_set: stop1: arrival window ends before it starts"},
        {"CNSHA 2026-03-01T00:00:00.001Z 2026-03-01T00:00:00Z sea", STOP2,
         "stop1: arrival window ends before it starts"},
        {"CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea",
         "NLRTM 2026-02-28T23:59:59.999Z 2026-04-01T00:00:00Z -",
         "plan_set: stop2: its window starts before the previous stop's"},
        /* the mode */
        {"CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z -", STOP2,
         "plan_set: stop1: '-' is the mode of the last stop only; name the mode of the leg to "
         "the next stop"},
        {STOP1, "NLRTM 2026-04-01T00:00:00Z 2026-04-01T00:00:00Z rail",
         "plan_set: stop2: the last stop has mode '-' (no leg leaves it)"},
        {"CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z truck", STOP2,
         "plan_set: stop1: the mode must be sea, inland_water, rail, road or air ('-' on the "
         "last stop)"},
        {"CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z SEA", STOP2,
         "stop1: the mode must be sea, inland_water, rail, road or air"},
        {STOP1, "NLRTM 2026-04-01T00:00:00Z 2026-04-01T00:00:00Z --",
         "stop2: the mode must be sea, inland_water, rail, road or air"},
        {"CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z inland_waterway_x", STOP2,
         "plan_set: stop1: unknown transport mode"},
        /* the fields */
        {"CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z", STOP2,
         "plan_set: stop1: must be \"LOCODE FROM TO MODE\" (four fields, one space apart)"},
        {"CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea extra", STOP2,
         "stop1: must be \"LOCODE FROM TO MODE\""},
        {"CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea ", STOP2,
         "stop1: must be \"LOCODE FROM TO MODE\""},
        {STOP1, "", "stop2: must be \"LOCODE FROM TO MODE\""},
        {"CNSHA  2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea", STOP2,
         "stop1: must be \"LOCODE FROM TO MODE\""},
        {"CNSHA 2026-03-01T00:00:00Z  2026-03-02T00:00:00Z", STOP2,
         "plan_set: stop1: has an empty field (one space apart)"},
        {" CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z", STOP2,
         "stop1: has an empty field"},
        {"CNSHA\t2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea x", STOP2,
         "stop1: the stop is not a UN/LOCODE"},
    };
    struct ledger_event ev;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mk(&ev, "corridor_km", "50", "stop1", bad[i].stop1, "stop2", bad[i].stop2, NULL);
        expect_refused(&ev, bad[i].want);
    }
    /* a stop in the middle of a long plan is named by its number */
    mk_stops(&ev, 12, "50");
    set_attr(&ev, "stop9", "DEHAM 2026-03-09T00:00:00Z 2026-03-09T06:00:00Z -");
    expect_refused(&ev, "plan_set: stop9: '-' is the mode of the last stop only");
    mk_stops(&ev, 12, "50");
    set_attr(&ev, "stop11", "DEHAM 2026-03-09T00:00:00Z 2026-03-09T06:00:00Z rail");
    expect_refused(&ev, "plan_set: stop11: its window starts before the previous stop's");
}

static void decode_refuses_other_attributes_and_location(void **state)
{
    (void)state;
    struct ledger_event ev;
    mk(&ev, "corridor_km", "50", "stop1", STOP1, "stop2", STOP2, "note", "fragile", NULL);
    expect_refused(&ev, "plan_set: attribute 'note' is not one a plan takes (corridor_km, "
                        "stop1..stopN numbered without gaps)");
    mk(&ev, "Corridor_km", "50", "corridor_km", "50", "stop1", STOP1, "stop2", STOP2, NULL);
    expect_refused(&ev, "attribute 'Corridor_km' is not one a plan takes");
    mk(&ev, "corridor_km", "50", "stop1", STOP1, "stop2", STOP2, "Stop3", STOP2, NULL);
    expect_refused(&ev, "attribute 'Stop3' is not one a plan takes");
    /* location not empty */
    mk(&ev, "corridor_km", "50", "stop1", STOP1, "stop2", STOP2, NULL);
    snprintf(ev.location, sizeof ev.location, "%s", "NLRTM");
    expect_refused(&ev, "plan_set: a plan has no location of its own; its stops are in "
                        "attributes stop1..stopN");
    /* the same event without a location decodes */
    ev.location[0] = '\0';
    struct ledger_plan p;
    decode_ok(&ev, &p);
}

/* The event codec refuses a key given twice; the plan's decode does not
 * lean on it (it depends on nothing but the event): a repeated corridor or
 * stop would otherwise be ignored, unseen by whoever reads the plan. */
static void decode_refuses_a_repeated_attribute(void **state)
{
    (void)state;
    struct ledger_event ev;
    mk(&ev, "corridor_km", "50", "stop1", STOP1, "stop2", STOP2, "stop2",
       "DEHAM 2026-04-01T00:00:00Z 2026-04-01T00:00:00Z -", NULL);
    expect_refused(&ev, "plan_set: attribute 'stop2' appears twice");
    mk(&ev, "corridor_km", "50", "stop1", STOP1, "corridor_km", "2000", "stop2", STOP2, NULL);
    expect_refused(&ev, "plan_set: attribute 'corridor_km' appears twice");
    mk(&ev, "corridor_km", "50", "stop1", STOP1, "stop1", STOP1, "stop2", STOP2, NULL);
    expect_refused(&ev, "plan_set: attribute 'stop1' appears twice");
}

/* ---- encode ------------------------------------------------------------------------------ */

static void encode_decode_round_trip(void **state)
{
    (void)state;
    struct ledger_event ev, out, again;
    struct ledger_plan p, q, r;
    char msg[MSG_MAX] = "";
    /* decode -> encode -> decode */
    for (size_t n = 2; n <= WB_PLAN_STOPS_MAX; n++) {
        mk_stops(&ev, n, n == WB_PLAN_STOPS_MAX ? "2000" : "1");
        decode_ok(&ev, &p);
        memset(&out, 0, sizeof out);
        out.action = LEDGER_LOAD;
        snprintf(out.location, sizeof out.location, "%s", "NLRTM");
        out.attr_count = 3;
        snprintf(out.item, sizeof out.item, "%s", "CSQU3054383");
        out.time_ms = 1234;
        if (ledger_plan_encode(&p, &out, msg, sizeof msg)) fail_msg("encode: %s", msg);
        assert_int_equal(out.action, LEDGER_PLAN_SET);
        assert_string_equal(out.location, "");
        assert_string_equal(out.item, "CSQU3054383");
        assert_int_equal(out.time_ms, 1234);
        assert_int_equal(out.attr_count, n + 1);
        assert_string_equal(out.attrs[0].key, "corridor_km");
        for (size_t i = 0; i < n; i++) {
            char key[16];
            snprintf(key, sizeof key, "stop%zu", i + 1);
            assert_string_equal(out.attrs[i + 1].key, key);
        }
        decode_ok(&out, &q);
        assert_memory_equal(&p, &q, sizeof p);
        /* and once more: the encoding is a fixed point */
        memset(&again, 0, sizeof again);
        if (ledger_plan_encode(&q, &again, msg, sizeof msg)) fail_msg("encode: %s", msg);
        assert_memory_equal(again.attrs, out.attrs, sizeof out.attrs);
        decode_ok(&again, &r);
        assert_memory_equal(&r, &p, sizeof p);
    }
    /* the exact text written */
    mk(&ev, "corridor_km", "50", "stop1", STOP1, "stop2", STOP2, NULL);
    decode_ok(&ev, &p);
    memset(&out, 0, sizeof out);
    assert_int_equal(ledger_plan_encode(&p, &out, msg, sizeof msg), WB_OK);
    assert_string_equal(out.attrs[0].value, "50");
    assert_string_equal(out.attrs[1].value,
                        "CNSHA 2026-03-01T00:00:00.000Z 2026-03-02T00:00:00.000Z sea");
    assert_string_equal(out.attrs[2].value,
                        "NLRTM 2026-04-01T00:00:00.000Z 2026-04-01T12:30:00.500Z -");
    /* a plan built by hand, the longest stop value: inland_water, years 9999 */
    memset(&p, 0, sizeof p);
    p.corridor_km = 77;
    p.stop_count = 2;
    memcpy(p.stops[0].locode, "XZ9ZZ", 6);
    p.stops[0].arrive_from_ms = -62167219200000; /* 0000-01-01T00:00:00Z */
    p.stops[0].arrive_to_ms = 253402300799999;   /* 9999-12-31T23:59:59.999Z */
    p.stops[0].leg_mode = LEDGER_MODE_INLAND_WATER;
    memcpy(p.stops[1].locode, "AD222", 6);
    p.stops[1].arrive_from_ms = 253402300799999;
    p.stops[1].arrive_to_ms = 253402300799999;
    memset(&out, 0, sizeof out);
    if (ledger_plan_encode(&p, &out, msg, sizeof msg)) fail_msg("encode: %s", msg);
    assert_string_equal(out.attrs[1].value,
                        "XZ9ZZ 0000-01-01T00:00:00.000Z 9999-12-31T23:59:59.999Z inland_water");
    decode_ok(&out, &q);
    assert_memory_equal(&p, &q, sizeof p);
}

static void encode_refuses_invalid_plans(void **state)
{
    (void)state;
    struct ledger_event base;
    mk(&base, "corridor_km", "50", "stop1", STOP1, "stop2", STOP2, NULL);
    struct ledger_plan good;
    decode_ok(&base, &good);
    struct {
        const char *what, *want;
    } cases[] = {
        {"1 stop", "plan_set: a plan has 2 to 15 stops"},
        {"16 stops", "plan_set: a plan has 2 to 15 stops"},
        {"corridor 0", "plan_set: corridor_km must be an integer from 1 to 2000"},
        {"corridor 2001", "plan_set: corridor_km must be an integer from 1 to 2000"},
        {"bad locode", "plan_set: stop2: the stop is not a UN/LOCODE"},
        {"window reversed", "plan_set: stop1: arrival window ends before it starts"},
        {"stops out of order", "plan_set: stop2: its window starts before the previous"},
        {"no mode mid-route", "plan_set: stop1: '-' is the mode of the last stop only"},
        {"mode on the last stop", "plan_set: stop2: the last stop has mode '-'"},
        {"unknown mode", "plan_set: stop1: '-' is the mode of the last stop only"},
        {"year 10000", "plan_set: stop2: FROM and TO must be RFC 3339 UTC times"},
        {"before year 0", "plan_set: stop1: FROM and TO must be RFC 3339 UTC times"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ledger_plan p = good;
        const char *w = cases[i].what;
        if (strcmp(w, "1 stop") == 0) p.stop_count = 1;
        if (strcmp(w, "16 stops") == 0) p.stop_count = WB_PLAN_STOPS_MAX + 1;
        if (strcmp(w, "corridor 0") == 0) p.corridor_km = 0;
        if (strcmp(w, "corridor 2001") == 0) p.corridor_km = WB_PLAN_CORRIDOR_KM_MAX + 1;
        if (strcmp(w, "bad locode") == 0) memcpy(p.stops[1].locode, "nlrtm", 6);
        if (strcmp(w, "window reversed") == 0) p.stops[0].arrive_to_ms = MAR1_MS - 1;
        if (strcmp(w, "stops out of order") == 0) {
            p.stops[1].arrive_from_ms = MAR1_MS - 1;
            p.stops[1].arrive_to_ms = MAR1_MS;
        }
        if (strcmp(w, "no mode mid-route") == 0) p.stops[0].leg_mode = LEDGER_MODE_NONE;
        if (strcmp(w, "mode on the last stop") == 0) p.stops[1].leg_mode = LEDGER_MODE_AIR;
        if (strcmp(w, "unknown mode") == 0) p.stops[0].leg_mode = (enum ledger_mode)99;
        if (strcmp(w, "year 10000") == 0) p.stops[1].arrive_to_ms = 253402300800000;
        if (strcmp(w, "before year 0") == 0) p.stops[0].arrive_from_ms = -62167219200001;
        struct ledger_event out;
        memset(&out, 0, sizeof out);
        char msg[MSG_MAX];
        memset(msg, 0, sizeof msg);
        int rc = ledger_plan_encode(&p, &out, msg, sizeof msg);
        if (rc != WB_ERR_INVALID) fail_msg("%s: encode returned %s", w, wb_strerror(rc));
        if (!strstr(msg, cases[i].want)) fail_msg("%s: message '%s'", w, msg);
        if (out.attr_count != 0) fail_msg("%s: %zu attributes left", w, out.attr_count);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mode_names),
        cmocka_unit_test(decode_two_stops),
        cmocka_unit_test(decode_most_stops),
        cmocka_unit_test(decode_refuses_corridor),
        cmocka_unit_test(decode_refuses_stop_numbering),
        cmocka_unit_test(decode_refuses_too_many_stops),
        cmocka_unit_test(decode_refuses_stops),
        cmocka_unit_test(decode_refuses_other_attributes_and_location),
        cmocka_unit_test(decode_refuses_a_repeated_attribute),
        cmocka_unit_test(encode_decode_round_trip),
        cmocka_unit_test(encode_refuses_invalid_plans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
