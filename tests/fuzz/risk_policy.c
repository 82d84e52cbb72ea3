/* Fuzz target: a risk policy file through risk_policy_parse, and what it
 * accepts through the canonical text, the hash and back to JSON.
 *
 * Checks: a refusal is WB_ERR_INVALID with a non-empty message of printable
 * ASCII and *p unchanged; an accepted policy has every field within the
 * bounds docs/risk-policy.md gives (written out here again, not taken from
 * policy.c), watch-lists of valid, distinct, sorted codes; its text is the
 * same on every call, sized by a call with cap 0, and its hash is the
 * SHA-256 of that text, the same on every call; written back to JSON (by
 * the small writer below, durations in the largest exact unit) it parses
 * again to the same bytes and the same hash. */
#include <jansson.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "ledger/country.h"
#include "ledger/ids.h"
#include "ledger/plan.h"
#include "risk/flags.h"
#include "risk/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MSG_LEN 512
#define TEXT_CAP 8192
#define DAY_MS (86400 * INT64_C(1000))
#define DURATION_MAX_MS (3650 * DAY_MS)

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "risk_policy target: %s (%s)\n", what, detail);
    abort();
}

static void check_duration(int64_t ms, const char *name)
{
    if (ms < 0 || ms > DURATION_MAX_MS) fail("duration out of 0 .. 3650 d", name);
}

static void check_uint(uint32_t v, uint32_t lo, uint32_t hi, const char *name)
{
    if (v < lo || v > hi) fail("integer out of its bounds", name);
}

static void check_list(const char *list, size_t width, size_t count, size_t len,
                       const char *name)
{
    if (count > RISK_WATCH_MAX) fail("watch-list too long", name);
    for (size_t i = 0; i < count; i++) {
        const char *s = list + i * width;
        if (strnlen(s, width) != len) fail("watch-list entry of the wrong length", name);
        bool ok = len == 2 ? ledger_country_find(s) != NULL : ledger_locode_ok(s, len);
        if (!ok) fail("watch-list entry not a code", s);
        if (i > 0 && strcmp(list + (i - 1) * width, s) >= 0)
            fail("watch-list not sorted or not distinct", s);
    }
}

static void check_bounds(const struct risk_policy *p)
{
    check_duration(p->custody_gap_ms, "custody_gap");
    check_duration(p->silent_terminal_ms, "silent.terminal");
    check_duration(p->silent_land_ms, "silent.land");
    check_uint(p->silent_sea_knots, 1, 100, "silent.sea_knots");
    check_duration(p->silent_sea_slack_ms, "silent.sea_slack");
    for (size_t m = 0; m < RISK_MODES; m++) check_uint(p->speed_kmh[m], 1, 10000, "speed_kmh");
    check_duration(p->window_slack_ms, "route.window_slack");
    check_uint(p->transshipments_max, 0, 100, "transshipment.max");
    check_uint(p->detour_ratio_pct, 100, 1000, "transshipment.detour_ratio_pct");
    check_duration(p->dwell_transship_ms, "dwell.transship");
    check_duration(p->dwell_import_ms, "dwell.import");
    check_uint(p->baseline_percentile, 50, 100, "baselines.percentile");
    check_uint(p->baseline_min_samples, 1, 1000000, "baselines.min_samples");
    check_duration(p->late_record_ms, "late.record");
    check_duration(p->future_ms, "late.future");
    check_uint(p->new_party_chains, 0, 1000, "new_party.chains");
    check_duration(p->new_party_age_ms, "new_party.age");
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++) check_uint(p->weight[c], 0, 1000, "weights");
    check_list(&p->watch_countries[0][0], sizeof p->watch_countries[0], p->watch_country_count,
               2, "watch.countries");
    check_list(&p->watch_locodes[0][0], sizeof p->watch_locodes[0], p->watch_locode_count, 5,
               "watch.locodes");
}

/* ---- a small writer: the policy back to a file -------------------------- */

static json_t *duration(int64_t ms)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"d", DAY_MS}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
    size_t u = 0;
    while (ms % units[u].ms != 0) u++;
    char s[32];
    snprintf(s, sizeof s, "%lld%s", (long long)(ms / units[u].ms), units[u].unit);
    return json_string(s);
}

static json_t *list(const char *codes, size_t width, size_t count)
{
    json_t *a = json_array();
    for (size_t i = 0; i < count; i++) json_array_append_new(a, json_string(codes + i * width));
    return a;
}

static char *policy_json(const struct risk_policy *p, size_t *len)
{
    json_t *weights = json_object();
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++)
        json_object_set_new(weights, risk_flag_name((enum risk_flag_code)c),
                            json_integer(p->weight[c]));
    json_t *root = json_pack(
        "{s:i, s:o,"
        " s:{s:o, s:o, s:I, s:o},"
        " s:{s:I, s:I, s:I, s:I, s:I, s:I},"
        " s:{s:o}, s:{s:I, s:I}, s:{s:o, s:o}, s:{s:I, s:I}, s:{s:o, s:o}, s:{s:I, s:o},"
        " s:o, s:{s:o, s:o}}",
        "version", 1, "custody_gap", duration(p->custody_gap_ms),
        "silent", "terminal", duration(p->silent_terminal_ms), "land", duration(p->silent_land_ms),
        "sea_knots", (json_int_t)p->silent_sea_knots, "sea_slack",
        duration(p->silent_sea_slack_ms),
        "speed_kmh", "unknown", (json_int_t)p->speed_kmh[LEDGER_MODE_NONE], "sea",
        (json_int_t)p->speed_kmh[LEDGER_MODE_SEA], "inland_water",
        (json_int_t)p->speed_kmh[LEDGER_MODE_INLAND_WATER], "rail",
        (json_int_t)p->speed_kmh[LEDGER_MODE_RAIL], "road",
        (json_int_t)p->speed_kmh[LEDGER_MODE_ROAD], "air",
        (json_int_t)p->speed_kmh[LEDGER_MODE_AIR],
        "route", "window_slack", duration(p->window_slack_ms),
        "transshipment", "max", (json_int_t)p->transshipments_max, "detour_ratio_pct",
        (json_int_t)p->detour_ratio_pct,
        "dwell", "transship", duration(p->dwell_transship_ms), "import",
        duration(p->dwell_import_ms),
        "baselines", "percentile", (json_int_t)p->baseline_percentile, "min_samples",
        (json_int_t)p->baseline_min_samples,
        "late", "record", duration(p->late_record_ms), "future", duration(p->future_ms),
        "new_party", "chains", (json_int_t)p->new_party_chains, "age",
        duration(p->new_party_age_ms),
        "weights", weights,
        "watch", "countries",
        list(&p->watch_countries[0][0], sizeof p->watch_countries[0], p->watch_country_count),
        "locodes",
        list(&p->watch_locodes[0][0], sizeof p->watch_locodes[0], p->watch_locode_count));
    if (!root) fail("writer: json_pack failed", "");
    char *s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!s) fail("writer: json_dumps failed", "");
    *len = strlen(s);
    return s;
}

/* ---- the target ------------------------------------------------------------ */

static void check_accepted(const struct risk_policy *p)
{
    check_bounds(p);
    static char t1[TEXT_CAP], t2[TEXT_CAP];
    size_t len = risk_policy_text(p, t1, sizeof t1);
    if (len >= sizeof t1) fail("text longer than expected", "");
    if (risk_policy_text(p, NULL, 0) != len) fail("text sized differently with cap 0", "");
    if (risk_policy_text(p, t2, sizeof t2) != len || memcmp(t1, t2, len + 1) != 0)
        fail("text differs between calls", "");
    uint8_t h1[RISK_POLICY_HASH_LEN], h2[RISK_POLICY_HASH_LEN], want[crypto_hash_sha256_BYTES];
    risk_policy_hash(p, h1);
    risk_policy_hash(p, h2);
    if (memcmp(h1, h2, sizeof h1) != 0) fail("hash differs between calls", "");
    crypto_hash_sha256(want, (const unsigned char *)t1, len);
    if (memcmp(h1, want, sizeof want) != 0) fail("hash is not the SHA-256 of the text", t1);

    size_t jlen;
    char *json = policy_json(p, &jlen);
    static struct risk_policy back;
    char msg[MSG_LEN] = "";
    if (risk_policy_parse(json, jlen, &back, msg, sizeof msg) != WB_OK) fail(msg, json);
    uint8_t h3[RISK_POLICY_HASH_LEN];
    risk_policy_hash(&back, h3);
    if (memcmp(h1, h3, sizeof h1) != 0) fail("written back, the policy hashes differently", json);
    if (memcmp(p, &back, sizeof back) != 0) fail("written back, the policy parses differently", json);
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct risk_policy p, before;
    /* Not a policy anyone writes: a refusal must leave every byte of it. */
    memset(&p, 0xa5, sizeof p);
    memcpy(&before, &p, sizeof p);
    char msg[MSG_LEN];
    memset(msg, 0, sizeof msg);
    int rc = risk_policy_parse((const char *)data, size, &p, msg, sizeof msg);
    if (rc == WB_OK) {
        check_accepted(&p);
        return 0;
    }
    if (rc != WB_ERR_INVALID) fail("unexpected return code", wb_strerror(rc));
    if (!memchr(msg, '\0', sizeof msg)) fail("message not terminated", "");
    if (!msg[0]) fail("refusal without a message", "");
    for (const char *c = msg; *c; c++)
        if (*c < 0x20 || *c > 0x7e) fail("message not printable ASCII", msg);
    if (memcmp(&p, &before, sizeof p) != 0) fail("refused, but *p changed", msg);
    return 0;
}
