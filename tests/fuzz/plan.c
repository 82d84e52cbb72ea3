/* Fuzz target: a plan_set event's attributes through ledger_plan_decode,
 * and what decodes through ledger_plan_encode and back.
 *
 * Input: byte 0, bit 0: the event has a location (NLRTM), which a plan
 * refuses; the rest is attributes, one "key=value" per line (lines without
 * '=' or over the attribute limits are skipped, at most WB_ATTRS_MAX
 * taken), as the gov target reads them.
 *
 * Checks: decode returns 0 or WB_ERR_INVALID with a message starting
 * "plan_set: " and a zeroed plan; an accepted plan keeps every promise of
 * plan.h (no location; the attributes are corridor_km and stop1..stopN,
 * each once; corridor 1 to WB_PLAN_CORRIDOR_KM_MAX; 2 to
 * WB_PLAN_STOPS_MAX stops, each a LOCODE of the form, FROM <= TO, FROM not
 * before the previous stop's, a mode on every stop but the last and none
 * on it); it encodes as corridor_km then stop1..stopN and decodes back to
 * the same plan, and encoding that plan again writes the same attributes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "ledger/plan.h"
#include "ledger/types.h"
#include "tests/fuzz/fuzz_attrs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *msg)
{
    fprintf(stderr, "plan target: %s (%s)\n", what, msg);
    abort();
}

/* A UN/LOCODE as written, checked independently of plan.c. */
static bool locode_form(const char *s)
{
    if (strnlen(s, 6) != 5) return false;
    for (int i = 0; i < 5; i++) {
        bool letter = s[i] >= 'A' && s[i] <= 'Z', digit = s[i] >= '2' && s[i] <= '9';
        if (!(letter || (i >= 2 && digit))) return false;
    }
    return true;
}

/* How many of ev's attributes are named key. */
static size_t attr_times(const struct ledger_event *ev, const char *key)
{
    size_t n = 0;
    for (size_t i = 0; i < ev->attr_count; i++) n += strcmp(ev->attrs[i].key, key) == 0;
    return n;
}

static void check_plan(const struct ledger_event *ev, const struct ledger_plan *p)
{
    if (ev->location[0]) fail("a plan with a location accepted", ev->location);
    if (p->corridor_km < 1 || p->corridor_km > WB_PLAN_CORRIDOR_KM_MAX)
        fail("corridor out of range", "");
    if (p->stop_count < 2 || p->stop_count > WB_PLAN_STOPS_MAX) fail("stop count", "");
    if (ev->attr_count != p->stop_count + 1) fail("an attribute is not accounted for", "");
    if (attr_times(ev, "corridor_km") != 1) fail("corridor_km not there once", "");
    for (size_t i = 0; i < p->stop_count; i++) {
        const struct ledger_plan_stop *s = &p->stops[i];
        char key[32];
        snprintf(key, sizeof key, "stop%zu", i + 1);
        if (attr_times(ev, key) != 1) fail("a stop not there once", key);
        if (!locode_form(s->locode)) fail("a stop is not a LOCODE", key);
        if (s->arrive_to_ms < s->arrive_from_ms) fail("window ends before it starts", key);
        if (i > 0 && s->arrive_from_ms < p->stops[i - 1].arrive_from_ms)
            fail("window starts before the previous stop's", key);
        bool last = i + 1 == p->stop_count;
        if (last ? s->leg_mode != LEDGER_MODE_NONE : !ledger_mode_name(s->leg_mode))
            fail("mode of a stop", key);
    }
    static const struct ledger_plan_stop zero;
    for (size_t i = p->stop_count; i < WB_PLAN_STOPS_MAX; i++)
        if (memcmp(&p->stops[i], &zero, sizeof zero) != 0) fail("an unused stop is set", "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static struct ledger_event ev, out, again;
    static struct ledger_plan p, q, r;
    static const struct ledger_plan zero;
    memset(&ev, 0, sizeof ev);
    ev.action = LEDGER_PLAN_SET;
    snprintf(ev.item, sizeof ev.item, "%s", "CSQU3054383");
    if (data[0] & 1) snprintf(ev.location, sizeof ev.location, "%s", "NLRTM");
    fuzz_parse_attrs(data + 1, size - 1, &ev);

    char msg[512] = "";
    int rc = ledger_plan_decode(&ev, &p, msg, sizeof msg);
    if (rc) {
        if (rc != WB_ERR_INVALID) fail("unexpected return code", wb_strerror(rc));
        if (strncmp(msg, "plan_set: ", 10) != 0 || !msg[10])
            fail("refused without a message naming plan_set", msg);
        if (memcmp(&p, &zero, sizeof p) != 0) fail("plan not zeroed on error", msg);
        return 0;
    }
    check_plan(&ev, &p);

    /* One meaning: encode and decode again give the same plan. */
    memset(&out, 0, sizeof out);
    rc = ledger_plan_encode(&p, &out, msg, sizeof msg);
    if (rc) fail("a decoded plan does not encode", msg);
    if (out.action != LEDGER_PLAN_SET || out.location[0]) fail("encode set another event", "");
    if (out.attr_count != p.stop_count + 1 || strcmp(out.attrs[0].key, "corridor_km") != 0)
        fail("encode wrote other attributes", out.attrs[0].key);
    for (size_t i = 0; i < p.stop_count; i++) {
        char key[32];
        snprintf(key, sizeof key, "stop%zu", i + 1);
        if (strcmp(out.attrs[i + 1].key, key) != 0) fail("stops out of order", key);
    }
    rc = ledger_plan_decode(&out, &q, msg, sizeof msg);
    if (rc) fail("an encoded plan does not decode", msg);
    if (memcmp(&p, &q, sizeof p) != 0) fail("encode/decode changed the plan", "");
    memset(&again, 0, sizeof again);
    rc = ledger_plan_encode(&q, &again, msg, sizeof msg);
    if (rc) fail("a re-decoded plan does not encode", msg);
    if (again.attr_count != out.attr_count ||
        memcmp(again.attrs, out.attrs, out.attr_count * sizeof out.attrs[0]) != 0)
        fail("encoding is not a fixed point", "");
    rc = ledger_plan_decode(&again, &r, msg, sizeof msg);
    if (rc || memcmp(&r, &p, sizeof p) != 0) fail("third decode differs", msg);
    return 0;
}
