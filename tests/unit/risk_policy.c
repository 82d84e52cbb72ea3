/* Unit tests of risk/policy.c: the defaults, the policy file (every member,
 * one message naming the member per kind of mistake, *p untouched on
 * error), the canonical text and the hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/wb_error.h"
#include "ledger/plan.h"
#include "risk/flags.h"
#include "risk/policy.h"

#define MSG_LEN 512
#define TEXT_CAP 4096
#define H (3600 * INT64_C(1000))
#define D (24 * H)

#define assert_msg_has(msg, want)                                                 \
    do {                                                                          \
        if (!strstr((msg), (want)))                                               \
            fail_msg("message \"%s\" does not contain \"%s\"", (msg), (want));    \
    } while (0)

/* The canonical text of the defaults, written out: a change of a default,
 * a name or the order shows here (and changes every policy's hash). */
static const char default_text[] =
    "version=1\n"
    "custody_gap_ms=86400000\n"
    "silent.terminal_ms=604800000\n"
    "silent.land_ms=259200000\n"
    "silent.sea_knots=10\n"
    "silent.sea_slack_ms=259200000\n"
    "speed_kmh.unknown=1000\n"
    "speed_kmh.sea=56\n"
    "speed_kmh.inland_water=30\n"
    "speed_kmh.rail=160\n"
    "speed_kmh.road=120\n"
    "speed_kmh.air=1000\n"
    "route.window_slack_ms=43200000\n"
    "transshipment.max=1\n"
    "transshipment.detour_ratio_pct=200\n"
    "dwell.transship_ms=604800000\n"
    "dwell.import_ms=1209600000\n"
    "baselines.percentile=95\n"
    "baselines.min_samples=30\n"
    "late.record_ms=86400000\n"
    "late.future_ms=300000\n"
    "new_party.chains=3\n"
    "new_party.age_ms=2592000000\n"
    "weights.SEAL_MISMATCH=10\n"
    "weights.SEAL_TAMPER=10\n"
    "weights.UNSEALED_MOVE=3\n"
    "weights.CUSTODY_GAP=5\n"
    "weights.SILENT_PERIOD=3\n"
    "weights.IMPOSSIBLE_TRAVEL=10\n"
    "weights.ROUTE_DEVIATION=3\n"
    "weights.EXCESS_TRANSSHIPMENT=3\n"
    "weights.ABNORMAL_DWELL=3\n"
    "weights.LATE_OR_BACKDATED=1\n"
    "weights.CUSTOMS_BYPASS=10\n"
    "weights.SENSOR_EXCURSION=5\n"
    "weights.HIGH_RISK_ROUTING=5\n"
    "weights.CLONED_ID=10\n"
    "weights.SEAL_REUSE=5\n"
    "weights.NEW_PARTY=1\n"
    "watch.countries=\n"
    "watch.locodes=\n";

/* SHA-256 of default_text, as docs/risk-policy.md gives it. */
#define DEFAULT_HASH "2a74c749561137d4540c4c1a891c0c2ae548a200daf4e6d204522e485c216d5b"

static void hash_hex(const struct risk_policy *p, char out[2 * RISK_POLICY_HASH_LEN + 1])
{
    uint8_t h[RISK_POLICY_HASH_LEN];
    risk_policy_hash(p, h);
    sodium_bin2hex(out, 2 * RISK_POLICY_HASH_LEN + 1, h, sizeof h);
}

static void parse_ok(const char *json, struct risk_policy *p)
{
    char msg[MSG_LEN] = "";
    int rc = risk_policy_parse(json, strlen(json), p, msg, sizeof msg);
    if (rc != WB_OK) fail_msg("policy %s refused: %s", json, msg);
}

/* A policy none of whose values is a default, to see *p left alone. */
static void sentinel(struct risk_policy *p)
{
    memset(p, 0x5a, sizeof *p);
}

static void expect_refused(const char *json, size_t len, const char *want)
{
    struct risk_policy p, before;
    sentinel(&p);
    before = p;
    char msg[MSG_LEN] = "";
    int rc = risk_policy_parse(json, len, &p, msg, sizeof msg);
    if (rc != WB_ERR_INVALID)
        fail_msg("policy %.*s: expected WB_ERR_INVALID, got %d (%s)", (int)(len > 200 ? 200 : len),
                 json, rc, msg);
    assert_msg_has(msg, want);
    if (memcmp(&p, &before, sizeof p) != 0)
        fail_msg("policy %.*s: refused but *p changed", (int)(len > 200 ? 200 : len), json);
}

#define REFUSED(json, want) expect_refused((json), strlen(json), (want))

/* ---- defaults ------------------------------------------------------------ */

static void test_defaults_are_the_documented_values(void **state)
{
    (void)state;
    struct risk_policy p;
    risk_policy_defaults(&p);
    assert_int_equal(p.custody_gap_ms, 24 * H);
    assert_int_equal(p.silent_terminal_ms, 7 * D);
    assert_int_equal(p.silent_land_ms, 72 * H);
    assert_int_equal(p.silent_sea_knots, 10);
    assert_int_equal(p.silent_sea_slack_ms, 3 * D);
    assert_int_equal(p.speed_kmh[LEDGER_MODE_SEA], 56);
    assert_int_equal(p.speed_kmh[LEDGER_MODE_INLAND_WATER], 30);
    assert_int_equal(p.speed_kmh[LEDGER_MODE_RAIL], 160);
    assert_int_equal(p.speed_kmh[LEDGER_MODE_ROAD], 120);
    assert_int_equal(p.speed_kmh[LEDGER_MODE_AIR], 1000);
    assert_int_equal(p.speed_kmh[LEDGER_MODE_NONE], 1000);
    assert_int_equal(p.window_slack_ms, 12 * H);
    assert_int_equal(p.transshipments_max, 1);
    assert_int_equal(p.detour_ratio_pct, 200);
    assert_int_equal(p.dwell_transship_ms, 7 * D);
    assert_int_equal(p.dwell_import_ms, 14 * D);
    assert_int_equal(p.baseline_percentile, 95);
    assert_int_equal(p.baseline_min_samples, 30);
    assert_int_equal(p.late_record_ms, 24 * H);
    assert_int_equal(p.future_ms, 5 * 60 * 1000);
    assert_int_equal(p.new_party_chains, 3);
    assert_int_equal(p.new_party_age_ms, 30 * D);
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++)
        if (p.weight[c] != risk_flag_default_weight((enum risk_flag_code)c))
            fail_msg("weight of %s: %u, expected the flag's default %u",
                     risk_flag_name((enum risk_flag_code)c), p.weight[c],
                     risk_flag_default_weight((enum risk_flag_code)c));
    assert_int_equal(p.watch_country_count, 0);
    assert_int_equal(p.watch_locode_count, 0);
}

static void test_default_text_is_stable(void **state)
{
    (void)state;
    struct risk_policy p;
    risk_policy_defaults(&p);
    char text[TEXT_CAP];
    size_t len = risk_policy_text(&p, text, sizeof text);
    assert_int_equal(len, strlen(default_text));
    assert_string_equal(text, default_text);
    char hex[2 * RISK_POLICY_HASH_LEN + 1];
    hash_hex(&p, hex);
    assert_string_equal(hex, DEFAULT_HASH);
}

static void test_hash_is_sha256_of_the_text(void **state)
{
    (void)state;
    struct risk_policy p;
    parse_ok("{\"custody_gap\":\"2h\",\"watch\":{\"countries\":[\"NL\",\"BE\"]}}", &p);
    char text[TEXT_CAP];
    size_t len = risk_policy_text(&p, text, sizeof text);
    uint8_t want[crypto_hash_sha256_BYTES], got[RISK_POLICY_HASH_LEN];
    crypto_hash_sha256(want, (const unsigned char *)text, len);
    risk_policy_hash(&p, got);
    assert_memory_equal(got, want, sizeof want);
}

static void test_text_sizes_and_truncates_like_snprintf(void **state)
{
    (void)state;
    struct risk_policy p;
    risk_policy_defaults(&p);
    size_t full = risk_policy_text(&p, NULL, 0);
    assert_int_equal(full, strlen(default_text));
    char small[11];
    memset(small, 'x', sizeof small);
    assert_int_equal(risk_policy_text(&p, small, sizeof small), full);
    assert_string_equal(small, "version=1\n");
    char one[1] = {'x'};
    assert_int_equal(risk_policy_text(&p, one, 1), full);
    assert_int_equal(one[0], '\0');
}

/* ---- the file ------------------------------------------------------------- */

static void test_empty_object_is_the_defaults(void **state)
{
    (void)state;
    struct risk_policy p, d;
    risk_policy_defaults(&d);
    sentinel(&p);
    parse_ok("{}", &p);
    assert_memory_equal(&p, &d, sizeof p);
    parse_ok(" { \"version\" : 1 } \n", &p);
    assert_memory_equal(&p, &d, sizeof p);
}

/* Parsed over the defaults, not over what *p held. */
static void test_parse_starts_from_the_defaults(void **state)
{
    (void)state;
    struct risk_policy p, d;
    parse_ok("{\"custody_gap\":\"2h\",\"watch\":{\"countries\":[\"IR\"]}}", &p);
    parse_ok("{\"silent\":{\"land\":\"1d\"}}", &p);
    risk_policy_defaults(&d);
    d.silent_land_ms = D;
    assert_memory_equal(&p, &d, sizeof p);
}

static const char full_example[] =
    "{\n"
    "  \"version\": 1,\n"
    "  \"custody_gap\": \"36h\",\n"
    "  \"silent\": {\"terminal\": \"5d\", \"land\": \"48h\", \"sea_knots\": 12,\n"
    "             \"sea_slack\": \"2d\"},\n"
    "  \"speed_kmh\": {\"sea\": 60, \"inland_water\": 25, \"rail\": 140, \"road\": 100,\n"
    "                \"air\": 950, \"unknown\": 1100},\n"
    "  \"route\": {\"window_slack\": \"6h\"},\n"
    "  \"transshipment\": {\"max\": 2, \"detour_ratio_pct\": 150},\n"
    "  \"dwell\": {\"transship\": \"5d\", \"import\": \"10d\"},\n"
    "  \"baselines\": {\"percentile\": 99, \"min_samples\": 50},\n"
    "  \"late\": {\"record\": \"12h\", \"future\": \"90s\"},\n"
    "  \"new_party\": {\"chains\": 5, \"age\": \"60d\"},\n"
    "  \"weights\": {\"SEAL_MISMATCH\": 20, \"NEW_PARTY\": 0, \"HIGH_RISK_ROUTING\": 1000},\n"
    "  \"watch\": {\"countries\": [\"KP\", \"IR\", \"SY\"],\n"
    "            \"locodes\": [\"NLRTM\", \"AEJEA\", \"BEANR\"]}\n"
    "}\n";

static void test_full_example_parses(void **state)
{
    (void)state;
    struct risk_policy p, want;
    parse_ok(full_example, &p);
    risk_policy_defaults(&want);
    want.custody_gap_ms = 36 * H;
    want.silent_terminal_ms = 5 * D;
    want.silent_land_ms = 48 * H;
    want.silent_sea_knots = 12;
    want.silent_sea_slack_ms = 2 * D;
    want.speed_kmh[LEDGER_MODE_SEA] = 60;
    want.speed_kmh[LEDGER_MODE_INLAND_WATER] = 25;
    want.speed_kmh[LEDGER_MODE_RAIL] = 140;
    want.speed_kmh[LEDGER_MODE_ROAD] = 100;
    want.speed_kmh[LEDGER_MODE_AIR] = 950;
    want.speed_kmh[LEDGER_MODE_NONE] = 1100;
    want.window_slack_ms = 6 * H;
    want.transshipments_max = 2;
    want.detour_ratio_pct = 150;
    want.dwell_transship_ms = 5 * D;
    want.dwell_import_ms = 10 * D;
    want.baseline_percentile = 99;
    want.baseline_min_samples = 50;
    want.late_record_ms = 12 * H;
    want.future_ms = 90 * 1000;
    want.new_party_chains = 5;
    want.new_party_age_ms = 60 * D;
    want.weight[RISK_SEAL_MISMATCH] = 20;
    want.weight[RISK_NEW_PARTY] = 0;
    want.weight[RISK_HIGH_RISK_ROUTING] = 1000;
    /* Stored sorted. */
    want.watch_country_count = 3;
    memcpy(want.watch_countries[0], "IR", 3);
    memcpy(want.watch_countries[1], "KP", 3);
    memcpy(want.watch_countries[2], "SY", 3);
    want.watch_locode_count = 3;
    memcpy(want.watch_locodes[0], "AEJEA", 6);
    memcpy(want.watch_locodes[1], "BEANR", 6);
    memcpy(want.watch_locodes[2], "NLRTM", 6);
    assert_memory_equal(&p, &want, sizeof p);

    char text[TEXT_CAP];
    risk_policy_text(&p, text, sizeof text);
    assert_non_null(strstr(text, "\nwatch.countries=IR,KP,SY\nwatch.locodes=AEJEA,BEANR,NLRTM\n"));
    assert_non_null(strstr(text, "\nlate.future_ms=90000\n"));
}

static void test_example_file_is_the_defaults(void **state)
{
    (void)state;
    FILE *f = fopen("config/risk-policy.example.json", "rb");
    if (!f) fail_msg("config/risk-policy.example.json: cannot open (run from the repository)");
    static char buf[RISK_POLICY_FILE_MAX + 1];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(len > 0 && len <= RISK_POLICY_FILE_MAX);
    struct risk_policy p, d;
    char msg[MSG_LEN] = "";
    if (risk_policy_parse(buf, len, &p, msg, sizeof msg) != WB_OK)
        fail_msg("config/risk-policy.example.json: %s", msg);
    risk_policy_defaults(&d);
    char got[2 * RISK_POLICY_HASH_LEN + 1];
    hash_hex(&p, got);
    assert_string_equal(got, DEFAULT_HASH);
    assert_memory_equal(&p, &d, sizeof p);
}

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t ms;
    } cases[] = {
        {"0s", 0},          {"0ms", 0},          {"500ms", 500},
        {"90s", 90000},     {"15m", 900000},     {"2h", 2 * H},
        {"3d", 3 * D},      {"3650d", 3650 * D}, {"315360000000ms", 3650 * D},
        {"0024h", 24 * H},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"custody_gap\":\"%s\"}", cases[i].text);
        struct risk_policy p;
        parse_ok(json, &p);
        if (p.custody_gap_ms != cases[i].ms)
            fail_msg("\"%s\": %lld ms, expected %lld", cases[i].text,
                     (long long)p.custody_gap_ms, (long long)cases[i].ms);
    }
    static const char *const bad[] = {
        "",    "h",    "24",   "24H",  "24 h", " 24h", "24h ", "-1h", "+1h",  "1.5h",
        "1e3s", "24hh", "1w",   "3651d", "315360000001ms", "87601h", "1000000000000ms",
        "0x10s", "24hours",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"custody_gap\":\"%s\"}", bad[i]);
        REFUSED(json, "custody_gap: expected a duration from \"0s\" to \"3650d\"");
    }
    REFUSED("{\"custody_gap\":86400000}", "custody_gap: expected a duration");
}

/* The bounds of every integer, at and beyond each end. */
static void test_integer_bounds(void **state)
{
    (void)state;
    static const struct {
        const char *group, *key;
        long long min, max;
    } cases[] = {
        {"silent", "sea_knots", 1, 100},
        {"speed_kmh", "sea", 1, 10000},
        {"speed_kmh", "inland_water", 1, 10000},
        {"speed_kmh", "rail", 1, 10000},
        {"speed_kmh", "road", 1, 10000},
        {"speed_kmh", "air", 1, 10000},
        {"speed_kmh", "unknown", 1, 10000},
        {"transshipment", "max", 0, 100},
        {"transshipment", "detour_ratio_pct", 100, 1000},
        {"baselines", "percentile", 50, 100},
        {"baselines", "min_samples", 1, 1000000},
        {"new_party", "chains", 0, 1000},
        {"weights", "CUSTODY_GAP", 0, 1000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[160], want[96];
        struct risk_policy p;
        snprintf(json, sizeof json, "{\"%s\":{\"%s\":%lld}}", cases[i].group, cases[i].key,
                 cases[i].min);
        parse_ok(json, &p);
        snprintf(json, sizeof json, "{\"%s\":{\"%s\":%lld}}", cases[i].group, cases[i].key,
                 cases[i].max);
        parse_ok(json, &p);
        snprintf(want, sizeof want, "%s.%s: expected an integer from %lld to %lld",
                 cases[i].group, cases[i].key, cases[i].min, cases[i].max);
        snprintf(json, sizeof json, "{\"%s\":{\"%s\":%lld}}", cases[i].group, cases[i].key,
                 cases[i].min - 1);
        REFUSED(json, want);
        snprintf(json, sizeof json, "{\"%s\":{\"%s\":%lld}}", cases[i].group, cases[i].key,
                 cases[i].max + 1);
        REFUSED(json, want);
        snprintf(json, sizeof json, "{\"%s\":{\"%s\":%lld.0}}", cases[i].group, cases[i].key,
                 cases[i].min);
        REFUSED(json, want);
        snprintf(json, sizeof json, "{\"%s\":{\"%s\":\"%lld\"}}", cases[i].group, cases[i].key,
                 cases[i].min);
        REFUSED(json, want);
    }
}

static void test_refusals_name_the_member(void **state)
{
    (void)state;
    REFUSED("{\"bogus\":1}", "bogus: unknown member");
    REFUSED("{\"silent\":{\"termnal\":\"7d\"}}", "silent.termnal: unknown member");
    REFUSED("{\"silent\":{\"terminal\":7}}", "silent.terminal: expected a duration");
    REFUSED("{\"silent\":{\"terminal\":\"7w\"}}", "silent.terminal: expected a duration");
    REFUSED("{\"silent\":[]}", "silent: expected a JSON object");
    REFUSED("{\"speed_kmh\":{\"none\":5}}", "speed_kmh.none: unknown member");
    REFUSED("{\"speed_kmh\":5}", "speed_kmh: expected a JSON object");
    REFUSED("{\"route\":{\"window_slack\":null}}", "route.window_slack: expected a duration");
    REFUSED("{\"dwell\":{\"import\":\"14d\",\"export\":\"1d\"}}", "dwell.export: unknown member");
    REFUSED("{\"late\":{\"future\":true}}", "late.future: expected a duration");
    REFUSED("{\"new_party\":{\"age\":\"30d\",\"chains\":-1}}",
            "new_party.chains: expected an integer from 0 to 1000");
    /* A setting of a group is not taken at the top level, nor the reverse. */
    REFUSED("{\"terminal\":\"7d\"}", "terminal: unknown member");
    REFUSED("{\"silent\":{\"custody_gap\":\"1d\"}}", "silent.custody_gap: unknown member");
    REFUSED("{\"version\":2}", "version: expected 1");
    REFUSED("{\"version\":\"1\"}", "version: expected 1");
    REFUSED("{\"version\":1.0}", "version: expected 1");
    REFUSED("{\"weights\":{\"seal_mismatch\":1}}",
            "weights.seal_mismatch: unknown member: not a flag name");
    REFUSED("{\"weights\":{\"SEAL_MISMATCH\":1001}}",
            "weights.SEAL_MISMATCH: expected an integer from 0 to 1000");
    REFUSED("{\"weights\":[]}", "weights: expected a JSON object");
    REFUSED("{\"watch\":{\"ports\":[]}}", "watch.ports: unknown member");
    REFUSED("{\"watch\":[]}", "watch: expected a JSON object");
    REFUSED("{\"watch\":{\"countries\":\"NL\"}}", "watch.countries: expected an array");
    REFUSED("{\"watch\":{\"countries\":[\"NL\",\"QQ\"]}}",
            "watch.countries[1]: expected a country code of ISO 3166-1");
    REFUSED("{\"watch\":{\"countries\":[\"nl\"]}}", "watch.countries[0]: expected a country code");
    REFUSED("{\"watch\":{\"countries\":[\"NLD\"]}}", "watch.countries[0]: expected a country code");
    REFUSED("{\"watch\":{\"countries\":[1]}}", "watch.countries[0]: expected a country code");
    REFUSED("{\"watch\":{\"countries\":[\"NL\",\"IR\",\"NL\"]}}",
            "watch.countries[2]: NL is listed twice (also watch.countries[0])");
    REFUSED("{\"watch\":{\"locodes\":[\"NLRTM\",\"ZZZZZ\"]}}",
            "watch.locodes[1]: expected a UN/LOCODE");
    REFUSED("{\"watch\":{\"locodes\":[\"NLRT\"]}}", "watch.locodes[0]: expected a UN/LOCODE");
    REFUSED("{\"watch\":{\"locodes\":[\"nlrtm\"]}}", "watch.locodes[0]: expected a UN/LOCODE");
    REFUSED("{\"watch\":{\"locodes\":[\"QQRTM\"]}}", "watch.locodes[0]: expected a UN/LOCODE");
    REFUSED("{\"watch\":{\"locodes\":[\"BEANR\",\"NLRTM\",\"BEANR\"]}}",
            "watch.locodes[2]: BEANR is listed twice (also watch.locodes[0])");
    /* A long unknown member is echoed shortened, never beyond the path. */
    REFUSED("{\"silent\":{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":1}}",
            "silent.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...: unknown member");
}

static void test_watch_list_limits(void **state)
{
    (void)state;
    /* RISK_WATCH_MAX distinct codes are taken; one more is refused. */
    char json[4096];
    size_t n = 0;
    n += (size_t)snprintf(json + n, sizeof json - n, "{\"watch\":{\"locodes\":[");
    for (int i = 0; i <= RISK_WATCH_MAX; i++)
        n += (size_t)snprintf(json + n, sizeof json - n, "%s\"NLA%c%c\"", i ? "," : "",
                              'A' + i / 26, 'A' + i % 26);
    n += (size_t)snprintf(json + n, sizeof json - n, "]}}");
    REFUSED(json, "watch.locodes: expected an array of at most 64");

    n = (size_t)snprintf(json, sizeof json, "{\"watch\":{\"locodes\":[");
    for (int i = RISK_WATCH_MAX - 1; i >= 0; i--)
        n += (size_t)snprintf(json + n, sizeof json - n, "\"NLA%c%c\"%s", 'A' + i / 26,
                              'A' + i % 26, i ? "," : "");
    snprintf(json + n, sizeof json - n, "]}}");
    struct risk_policy p;
    parse_ok(json, &p);
    assert_int_equal(p.watch_locode_count, RISK_WATCH_MAX);
    for (size_t i = 1; i < p.watch_locode_count; i++)
        if (strcmp(p.watch_locodes[i - 1], p.watch_locodes[i]) >= 0)
            fail_msg("watch_locodes not sorted at %zu: %s, %s", i, p.watch_locodes[i - 1],
                     p.watch_locodes[i]);
    parse_ok("{\"watch\":{\"countries\":[],\"locodes\":[]}}", &p);
    assert_int_equal(p.watch_country_count, 0);
}

static void test_refusals_of_the_file_as_a_whole(void **state)
{
    (void)state;
    REFUSED("", "policy: empty input");
    expect_refused(NULL, 0, "policy: empty input");
    REFUSED("[]", "policy: expected a JSON object");
    REFUSED("{\"custody_gap\":", "policy: invalid JSON at line 1");
    REFUSED("{\"custody_gap\":\"24h\",\"custody_gap\":\"1d\"}", "duplicate object key");
    REFUSED("{\"silent\":{\"land\":\"1d\",\"land\":\"2d\"}}", "duplicate object key");
    REFUSED("{} {}", "policy: invalid JSON");
    /* Bytes of the input that jansson quotes come back printable. */
    struct risk_policy p;
    char msg[MSG_LEN] = "";
    static const char ctl[] = "{\"a\x01\x7f\":}";
    assert_int_equal(risk_policy_parse(ctl, sizeof ctl - 1, &p, msg, sizeof msg), WB_ERR_INVALID);
    for (const char *c = msg; *c; c++)
        if (*c < 0x20 || *c > 0x7e) fail_msg("message has byte 0x%02x: %s", (unsigned char)*c, msg);
    /* Over RISK_POLICY_FILE_MAX, whatever it holds. */
    size_t big = RISK_POLICY_FILE_MAX + 1;
    char *buf = malloc(big);
    assert_non_null(buf);
    memset(buf, ' ', big);
    buf[0] = '{';
    buf[big - 1] = '}';
    expect_refused(buf, big, "policy: 65537 bytes, limit 65536");
    /* At the limit it is read. */
    buf[big - 2] = '}';
    char m2[MSG_LEN] = "";
    assert_int_equal(risk_policy_parse(buf, big - 1, &p, m2, sizeof m2), WB_OK);
    free(buf);
    /* msg may be NULL. */
    assert_int_equal(risk_policy_parse("[]", 2, &p, NULL, 0), WB_ERR_INVALID);
}

/* ---- the hash ------------------------------------------------------------- */

static void test_same_values_hash_equal(void **state)
{
    (void)state;
    static const char *const files[] = {
        "{\"custody_gap\":\"1d\",\"silent\":{\"land\":\"2d\"},"
        "\"watch\":{\"countries\":[\"NL\",\"IR\"],\"locodes\":[\"NLRTM\",\"BEANR\"]},"
        "\"weights\":{\"NEW_PARTY\":2}}",
        "{\n  \"weights\": {\"NEW_PARTY\": 2},\n  \"watch\": {\"locodes\": [\"BEANR\", "
        "\"NLRTM\"], \"countries\": [\"IR\", \"NL\"]},\n  \"silent\": {\"land\": \"48h\"},\n"
        "  \"custody_gap\": \"24h\"\n}\n",
        "{\"version\":1,\"custody_gap\":\"86400s\",\"silent\":{\"land\":\"2880m\","
        "\"terminal\":\"7d\"},\"watch\":{\"countries\":[\"IR\",\"NL\"],\"locodes\":[\"NLRTM\","
        "\"BEANR\"]},\"weights\":{\"NEW_PARTY\":2,\"SEAL_MISMATCH\":10},"
        "\"speed_kmh\":{\"sea\":56}}",
        "{\"custody_gap\":\"86400000ms\",\"silent\":{\"land\":\"172800000ms\"},"
        "\"watch\":{\"countries\":[\"IR\",\"NL\"],\"locodes\":[\"BEANR\",\"NLRTM\"]},"
        "\"weights\":{\"NEW_PARTY\":2}}",
    };
    char first[2 * RISK_POLICY_HASH_LEN + 1], hex[2 * RISK_POLICY_HASH_LEN + 1];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct risk_policy p;
        parse_ok(files[i], &p);
        hash_hex(&p, i ? hex : first);
        if (i && strcmp(hex, first) != 0)
            fail_msg("file %zu hashes %s, file 0 %s", i, hex, first);
    }
    /* Written-out defaults hash as the defaults. */
    struct risk_policy p;
    parse_ok("{\"custody_gap\":\"24h\",\"late\":{\"future\":\"300s\"},\"speed_kmh\":"
             "{\"unknown\":1000},\"weights\":{\"CLONED_ID\":10}}",
             &p);
    hash_hex(&p, hex);
    assert_string_equal(hex, DEFAULT_HASH);
}

/* A hand-built policy hashes the same whatever order its lists are in. */
static void test_text_sorts_hand_built_lists(void **state)
{
    (void)state;
    struct risk_policy a, b;
    risk_policy_defaults(&a);
    a.watch_country_count = 2;
    memcpy(a.watch_countries[0], "NL", 3);
    memcpy(a.watch_countries[1], "BE", 3);
    b = a;
    memcpy(b.watch_countries[0], "BE", 3);
    memcpy(b.watch_countries[1], "NL", 3);
    uint8_t ha[RISK_POLICY_HASH_LEN], hb[RISK_POLICY_HASH_LEN];
    risk_policy_hash(&a, ha);
    risk_policy_hash(&b, hb);
    assert_memory_equal(ha, hb, sizeof ha);
    char text[TEXT_CAP];
    risk_policy_text(&a, text, sizeof text);
    assert_non_null(strstr(text, "\nwatch.countries=BE,NL\n"));
}

/* Each of these changes one value from the defaults: every hash differs
 * from the defaults' and from every other's. */
static void test_any_changed_value_changes_the_hash(void **state)
{
    (void)state;
    static const char *const files[] = {
        "{\"custody_gap\":\"25h\"}",
        "{\"silent\":{\"terminal\":\"6d\"}}",
        "{\"silent\":{\"land\":\"71h\"}}",
        "{\"silent\":{\"sea_knots\":11}}",
        "{\"silent\":{\"sea_slack\":\"2d\"}}",
        "{\"speed_kmh\":{\"sea\":55}}",
        "{\"speed_kmh\":{\"inland_water\":31}}",
        "{\"speed_kmh\":{\"rail\":161}}",
        "{\"speed_kmh\":{\"road\":121}}",
        "{\"speed_kmh\":{\"air\":999}}",
        "{\"speed_kmh\":{\"unknown\":999}}",
        "{\"route\":{\"window_slack\":\"13h\"}}",
        "{\"transshipment\":{\"max\":2}}",
        "{\"transshipment\":{\"detour_ratio_pct\":161}}",
        "{\"dwell\":{\"transship\":\"8d\"}}",
        "{\"dwell\":{\"import\":\"15d\"}}",
        "{\"baselines\":{\"percentile\":90}}",
        "{\"baselines\":{\"min_samples\":31}}",
        "{\"late\":{\"record\":\"25h\"}}",
        "{\"late\":{\"future\":\"6m\"}}",
        "{\"new_party\":{\"chains\":4}}",
        "{\"new_party\":{\"age\":\"31d\"}}",
        "{\"custody_gap\":\"86400001ms\"}",
        "{\"watch\":{\"countries\":[\"NL\"]}}",
        "{\"watch\":{\"countries\":[\"BE\"]}}",
        "{\"watch\":{\"countries\":[\"BE\",\"NL\"]}}",
        "{\"watch\":{\"locodes\":[\"NLRTM\"]}}",
        /* The same letters as a country list do not hash as a locode list. */
        "{\"watch\":{\"locodes\":[\"BEANR\"]}}",
    };
    enum { N_FILES = sizeof files / sizeof files[0] };
    static uint8_t hashes[N_FILES + 2 * RISK_FLAG_COUNT + 1][RISK_POLICY_HASH_LEN];
    size_t n = 0;
    struct risk_policy p;
    risk_policy_defaults(&p);
    risk_policy_hash(&p, hashes[n++]);
    for (size_t i = 0; i < N_FILES; i++) {
        parse_ok(files[i], &p);
        risk_policy_hash(&p, hashes[n++]);
    }
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++)
        for (unsigned d = 0; d < 2; d++) {
            char json[96];
            unsigned w = risk_flag_default_weight((enum risk_flag_code)c);
            snprintf(json, sizeof json, "{\"weights\":{\"%s\":%u}}",
                     risk_flag_name((enum risk_flag_code)c), d ? w + 1 : w - 1);
            parse_ok(json, &p);
            risk_policy_hash(&p, hashes[n++]);
        }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (memcmp(hashes[i], hashes[j], RISK_POLICY_HASH_LEN) == 0)
                fail_msg("policies %zu and %zu hash equal (0: the defaults, then the files, "
                         "then the weights)",
                         j, i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_are_the_documented_values),
        cmocka_unit_test(test_default_text_is_stable),
        cmocka_unit_test(test_hash_is_sha256_of_the_text),
        cmocka_unit_test(test_text_sizes_and_truncates_like_snprintf),
        cmocka_unit_test(test_empty_object_is_the_defaults),
        cmocka_unit_test(test_parse_starts_from_the_defaults),
        cmocka_unit_test(test_full_example_parses),
        cmocka_unit_test(test_example_file_is_the_defaults),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_integer_bounds),
        cmocka_unit_test(test_refusals_name_the_member),
        cmocka_unit_test(test_watch_list_limits),
        cmocka_unit_test(test_refusals_of_the_file_as_a_whole),
        cmocka_unit_test(test_same_values_hash_equal),
        cmocka_unit_test(test_text_sorts_hand_built_lists),
        cmocka_unit_test(test_any_changed_value_changes_the_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
