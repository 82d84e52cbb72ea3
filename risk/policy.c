/* The risk policy (risk/policy.h): its defaults, the JSON policy file over
 * them (docs/risk-policy.md), and the canonical text and hash. The settings
 * are one table: the file's members, the order of the text and the bounds
 * of each value all come from it. */
#include "risk/policy.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/country.h"
#include "ledger/ids.h"
#include "ledger/plan.h"
#include "ledger/sha256.h"

#define MS_PER_S INT64_C(1000)
#define MS_PER_MIN (60 * MS_PER_S)
#define MS_PER_H (60 * MS_PER_MIN)
#define MS_PER_D (24 * MS_PER_H)
/* The longest duration a policy takes: 3650 days, about ten years. */
#define DURATION_MAX_MS (3650 * MS_PER_D)
#define POLICY_VERSION 1
#define WEIGHT_MAX 1000

/* Text from the file echoed into a message: printable ASCII, truncated. */
#define ECHO_MAX 40
#define ECHO_BUF (ECHO_MAX + 4)
/* "watch.countries[63]", "weights.<40 echoed characters...>". */
#define PATH_LEN 64

_Static_assert(RISK_MODES == LEDGER_MODE_AIR + 1, "speed_kmh has one limit per ledger_mode");

/* ---- the settings -------------------------------------------------------- */

enum setting_kind {
    SETTING_DURATION,   /* int64_t ms; in the file a string "24h" */
    SETTING_UINT,       /* uint32_t; in the file an integer */
};

struct setting {
    const char *group;  /* the object it sits in; NULL: the top level */
    const char *key;    /* its member there */
    const char *text;   /* its name in the canonical text */
    enum setting_kind kind;
    size_t offset;      /* of the field in struct risk_policy */
    int64_t min, max;
};

#define DUR(g, k, t, f, lo) \
    {g, k, t, SETTING_DURATION, offsetof(struct risk_policy, f), lo, DURATION_MAX_MS}
#define UINT(g, k, t, f, lo, hi) {g, k, t, SETTING_UINT, offsetof(struct risk_policy, f), lo, hi}

/* The canonical text lists them in this order, then the weights, then the
 * watch-lists. Changing the order or a name changes every policy's hash. */
static const struct setting settings[] = {
    DUR(NULL, "custody_gap", "custody_gap_ms", custody_gap_ms, 0),
    DUR("silent", "terminal", "silent.terminal_ms", silent_terminal_ms, 0),
    DUR("silent", "land", "silent.land_ms", silent_land_ms, 0),
    UINT("silent", "sea_knots", "silent.sea_knots", silent_sea_knots, 1, 100),
    DUR("silent", "sea_slack", "silent.sea_slack_ms", silent_sea_slack_ms, 0),
    UINT("speed_kmh", "unknown", "speed_kmh.unknown", speed_kmh[LEDGER_MODE_NONE], 1, 10000),
    UINT("speed_kmh", "sea", "speed_kmh.sea", speed_kmh[LEDGER_MODE_SEA], 1, 10000),
    UINT("speed_kmh", "inland_water", "speed_kmh.inland_water",
         speed_kmh[LEDGER_MODE_INLAND_WATER], 1, 10000),
    UINT("speed_kmh", "rail", "speed_kmh.rail", speed_kmh[LEDGER_MODE_RAIL], 1, 10000),
    UINT("speed_kmh", "road", "speed_kmh.road", speed_kmh[LEDGER_MODE_ROAD], 1, 10000),
    UINT("speed_kmh", "air", "speed_kmh.air", speed_kmh[LEDGER_MODE_AIR], 1, 10000),
    DUR("route", "window_slack", "route.window_slack_ms", window_slack_ms, 0),
    UINT("transshipment", "max", "transshipment.max", transshipments_max, 0, 100),
    UINT("transshipment", "detour_ratio_pct", "transshipment.detour_ratio_pct",
         detour_ratio_pct, 100, 1000),
    DUR("dwell", "transship", "dwell.transship_ms", dwell_transship_ms, 0),
    DUR("dwell", "import", "dwell.import_ms", dwell_import_ms, 0),
    UINT("baselines", "percentile", "baselines.percentile", baseline_percentile, 50, 100),
    UINT("baselines", "min_samples", "baselines.min_samples", baseline_min_samples, 1, 1000000),
    DUR("late", "record", "late.record_ms", late_record_ms, 0),
    DUR("late", "future", "late.future_ms", future_ms, 0),
    UINT("new_party", "chains", "new_party.chains", new_party_chains, 0, 1000),
    DUR("new_party", "age", "new_party.age_ms", new_party_age_ms, 0),
};
#define SETTING_COUNT (sizeof settings / sizeof settings[0])

#undef DUR
#undef UINT

static int64_t setting_get(const struct risk_policy *p, const struct setting *s)
{
    const char *base = (const char *)p + s->offset;
    if (s->kind == SETTING_DURATION) {
        int64_t v;
        memcpy(&v, base, sizeof v);
        return v;
    }
    uint32_t v;
    memcpy(&v, base, sizeof v);
    return v;
}

static void setting_set(struct risk_policy *p, const struct setting *s, int64_t v)
{
    WB_ASSERT(v >= s->min && v <= s->max);
    char *base = (char *)p + s->offset;
    if (s->kind == SETTING_DURATION) {
        memcpy(base, &v, sizeof v);
    } else {
        uint32_t u = (uint32_t)v;
        memcpy(base, &u, sizeof u);
    }
}

static const struct setting *setting_find(const char *group, const char *key)
{
    for (size_t i = 0; i < SETTING_COUNT; i++) {
        const struct setting *s = &settings[i];
        bool same_group = group ? s->group && strcmp(s->group, group) == 0 : !s->group;
        if (same_group && strcmp(s->key, key) == 0) return s;
    }
    return NULL;
}

static bool is_group(const char *key)
{
    for (size_t i = 0; i < SETTING_COUNT; i++)
        if (settings[i].group && strcmp(settings[i].group, key) == 0) return true;
    return false;
}

/* ---- defaults -------------------------------------------------------------- */

void risk_policy_defaults(struct risk_policy *p)
{
    memset(p, 0, sizeof *p);
    p->custody_gap_ms = 24 * MS_PER_H;
    p->silent_terminal_ms = 7 * MS_PER_D;
    p->silent_land_ms = 72 * MS_PER_H;
    p->silent_sea_knots = 10;
    p->silent_sea_slack_ms = 3 * MS_PER_D;
    p->speed_kmh[LEDGER_MODE_NONE] = 1000;
    p->speed_kmh[LEDGER_MODE_SEA] = 56;
    p->speed_kmh[LEDGER_MODE_INLAND_WATER] = 30;
    p->speed_kmh[LEDGER_MODE_RAIL] = 160;
    p->speed_kmh[LEDGER_MODE_ROAD] = 120;
    p->speed_kmh[LEDGER_MODE_AIR] = 1000;
    p->window_slack_ms = 12 * MS_PER_H;
    p->transshipments_max = 1;
    p->detour_ratio_pct = 200;
    p->dwell_transship_ms = 7 * MS_PER_D;
    p->dwell_import_ms = 14 * MS_PER_D;
    p->baseline_percentile = 95;
    p->baseline_min_samples = 30;
    p->late_record_ms = 24 * MS_PER_H;
    p->future_ms = 5 * MS_PER_MIN;
    p->new_party_chains = 3;
    p->new_party_age_ms = 30 * MS_PER_D;
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++)
        p->weight[c] = risk_flag_default_weight((enum risk_flag_code)c);
    /* memset left both watch-lists empty. */
}

/* ---- parsing helpers ------------------------------------------------------ */

static const char *echo(const char *s, char out[ECHO_BUF])
{
    size_t i = 0;
    for (; s[i] && i < ECHO_MAX; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (s[i]) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
    return out;
}

static void path_of(char path[PATH_LEN], const char *group, const char *key)
{
    char e[ECHO_BUF];
    if (group)
        snprintf(path, PATH_LEN, "%s.%s", group, echo(key, e));
    else
        snprintf(path, PATH_LEN, "%s", echo(key, e));
}

static int unknown(const char *group, const char *key, char *msg, size_t msg_len)
{
    char path[PATH_LEN];
    path_of(path, group, key);
    return wb_failf(WB_ERR_INVALID, msg, msg_len, "%s: unknown member", path);
}

/* "90s", "15m", "2h", "3d", "500ms": decimal digits and one unit, nothing
 * else, at most DURATION_MAX_MS. */
static bool parse_duration(const char *s, size_t len, int64_t *ms)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"ms", 1}, {"s", MS_PER_S}, {"m", MS_PER_MIN}, {"h", MS_PER_H}, {"d", MS_PER_D}};
    size_t digits = 0;
    int64_t v = 0;
    while (digits < len && s[digits] >= '0' && s[digits] <= '9') {
        /* DURATION_MAX_MS has 12 digits; more cannot be in range. */
        if (digits == 12) return false;
        v = v * 10 + (s[digits] - '0');
        digits++;
    }
    if (digits == 0) return false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t ulen = strlen(units[i].unit);
        if (len - digits != ulen || memcmp(s + digits, units[i].unit, ulen) != 0) continue;
        if (v > DURATION_MAX_MS / units[i].ms) return false;
        *ms = v * units[i].ms;
        return true;
    }
    return false;
}

static int parse_setting(const struct setting *s, json_t *v, struct risk_policy *p, char *msg,
                         size_t msg_len)
{
    char path[PATH_LEN];
    path_of(path, s->group, s->key);
    if (s->kind == SETTING_DURATION) {
        int64_t ms;
        if (!json_is_string(v) ||
            !parse_duration(json_string_value(v), json_string_length(v), &ms) || ms < s->min)
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "%s: expected a duration from \"0s\" to \"3650d\": digits and one "
                            "unit of ms, s, m, h or d, such as \"24h\"",
                            path);
        setting_set(p, s, ms);
        return WB_OK;
    }
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
    if (n < s->min || n > s->max)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "%s: expected an integer from %" PRId64
                        " to %" PRId64, path, s->min, s->max);
    setting_set(p, s, (int64_t)n);
    return WB_OK;
}

/* One of the setting groups ("silent", "speed_kmh", ...). */
static int parse_group(const char *group, json_t *obj, struct risk_policy *p, char *msg,
                       size_t msg_len)
{
    if (!json_is_object(obj))
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "%s: expected a JSON object", group);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        const struct setting *s = setting_find(group, key);
        if (!s) return unknown(group, key, msg, msg_len);
        int rc = parse_setting(s, v, p, msg, msg_len);
        if (rc) return rc;
    }
    return WB_OK;
}

static int parse_weights(json_t *obj, struct risk_policy *p, char *msg, size_t msg_len)
{
    if (!json_is_object(obj))
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "weights: expected a JSON object of flag names and integers");
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        enum risk_flag_code c = risk_flag_parse(key);
        char path[PATH_LEN];
        path_of(path, "weights", key);
        if (c == RISK_FLAG_COUNT)
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "%s: unknown member: not a flag name such as SEAL_MISMATCH", path);
        json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
        if (n < 0 || n > WEIGHT_MAX)
            return wb_failf(WB_ERR_INVALID, msg, msg_len, "%s: expected an integer from 0 to %d",
                            path, WEIGHT_MAX);
        p->weight[c] = (uint32_t)n;
    }
    return WB_OK;
}

static int cmp_code(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* watch.countries or watch.locodes: an array of distinct codes, checked by
 * `ok`, stored sorted. */
static int parse_watch_list(json_t *arr, const char *name, size_t width, size_t code_len,
                            bool (*ok)(const char *s, size_t n), const char *what, char *list,
                            size_t *count, char *msg, size_t msg_len)
{
    if (!json_is_array(arr) || json_array_size(arr) > RISK_WATCH_MAX)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "watch.%s: expected an array of at most %d %s",
                        name, RISK_WATCH_MAX, what);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || json_string_length(v) != code_len ||
            !ok(json_string_value(v), code_len))
            return wb_failf(WB_ERR_INVALID, msg, msg_len, "watch.%s[%zu]: expected %s", name, i,
                            what);
        const char *s = json_string_value(v);
        for (size_t j = 0; j < i; j++)
            if (strcmp(list + j * width, s) == 0)
                return wb_failf(WB_ERR_INVALID, msg, msg_len,
                                "watch.%s[%zu]: %s is listed twice (also watch.%s[%zu])", name, i,
                                s, name, j);
        memcpy(list + i * width, s, code_len + 1);
    }
    *count = json_array_size(arr);
    qsort(list, *count, width, cmp_code);
    return WB_OK;
}

static bool country_ok(const char *s, size_t n)
{
    return n == 2 && ledger_country_find(s) != NULL;
}

static int parse_watch(json_t *obj, struct risk_policy *p, char *msg, size_t msg_len)
{
    if (!json_is_object(obj))
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "watch: expected a JSON object with countries and locodes");
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int rc;
        if (strcmp(key, "countries") == 0)
            rc = parse_watch_list(v, "countries", sizeof p->watch_countries[0], 2, country_ok,
                                  "a country code of ISO 3166-1 alpha-2 in capitals, such as NL",
                                  &p->watch_countries[0][0], &p->watch_country_count, msg,
                                  msg_len);
        else if (strcmp(key, "locodes") == 0)
            rc = parse_watch_list(v, "locodes", sizeof p->watch_locodes[0], 5, ledger_locode_ok,
                                  "a UN/LOCODE in capitals, such as NLRTM",
                                  &p->watch_locodes[0][0], &p->watch_locode_count, msg, msg_len);
        else
            rc = unknown("watch", key, msg, msg_len);
        if (rc) return rc;
    }
    return WB_OK;
}

static int parse_root(json_t *root, struct risk_policy *p, char *msg, size_t msg_len)
{
    if (!json_is_object(root))
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "policy: expected a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        int rc;
        const struct setting *s;
        if (strcmp(key, "version") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) != POLICY_VERSION)
                return wb_failf(WB_ERR_INVALID, msg, msg_len, "version: expected %d",
                                POLICY_VERSION);
            rc = WB_OK;
        } else if (strcmp(key, "weights") == 0) {
            rc = parse_weights(v, p, msg, msg_len);
        } else if (strcmp(key, "watch") == 0) {
            rc = parse_watch(v, p, msg, msg_len);
        } else if (is_group(key)) {
            rc = parse_group(key, v, p, msg, msg_len);
        } else if ((s = setting_find(NULL, key)) != NULL) {
            rc = parse_setting(s, v, p, msg, msg_len);
        } else {
            rc = unknown(NULL, key, msg, msg_len);
        }
        if (rc) return rc;
    }
    return WB_OK;
}

/* jansson's messages may quote bytes of the input. */
static void printable(char *msg, size_t msg_len)
{
    if (!msg || msg_len == 0) return;
    for (size_t i = 0; i < msg_len && msg[i]; i++)
        if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] > 0x7e) msg[i] = '?';
}

int risk_policy_parse(const char *json, size_t len, struct risk_policy *p, char *msg,
                      size_t msg_len)
{
    if (!json || len == 0) return wb_failf(WB_ERR_INVALID, msg, msg_len, "policy: empty input");
    if (len > RISK_POLICY_FILE_MAX)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "policy: %zu bytes, limit %u", len,
                        RISK_POLICY_FILE_MAX);
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        int rc = wb_failf(WB_ERR_INVALID, msg, msg_len,
                          "policy: invalid JSON at line %d column %d: %s", jerr.line,
                          jerr.column, jerr.text);
        printable(msg, msg_len);
        return rc;
    }
    /* Into a copy first: *p changes only when the whole file is good. */
    struct risk_policy next;
    risk_policy_defaults(&next);
    int rc = parse_root(root, &next, msg, msg_len);
    json_decref(root);
    if (rc) return rc;
    /* Every byte, padding included: equal policies compare equal. */
    memcpy(p, &next, sizeof *p);
    return WB_OK;
}

/* ---- canonical text and hash ------------------------------------------------ */

/* Appends to out like snprintf, counting what did not fit. */
struct text_out {
    char *buf;
    size_t cap, len;
};

static void put(struct text_out *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text_out *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *at = t->len < t->cap ? t->buf + t->len : NULL;
    size_t room = t->len < t->cap ? t->cap - t->len : 0;
    int n = vsnprintf(at, room, fmt, ap);
    va_end(ap);
    WB_ASSERT(n >= 0);
    t->len += (size_t)n;
}

static void put_list(struct text_out *t, const char *name, const char *list, size_t width,
                     size_t count)
{
    WB_ASSERT(count <= RISK_WATCH_MAX);
    char sorted[RISK_WATCH_MAX][8];
    WB_ASSERT(width <= sizeof sorted[0]);
    for (size_t i = 0; i < count; i++) {
        memset(sorted[i], 0, sizeof sorted[i]);
        memcpy(sorted[i], list + i * width, strnlen(list + i * width, width));
    }
    qsort(sorted, count, sizeof sorted[0], cmp_code);
    put(t, "%s=", name);
    for (size_t i = 0; i < count; i++) put(t, "%s%s", i ? "," : "", sorted[i]);
    put(t, "\n");
}

size_t risk_policy_text(const struct risk_policy *p, char *out, size_t cap)
{
    struct text_out t = {out, cap, 0};
    if (out && cap) out[0] = '\0';
    put(&t, "version=%d\n", POLICY_VERSION);
    for (size_t i = 0; i < SETTING_COUNT; i++)
        put(&t, "%s=%" PRId64 "\n", settings[i].text, setting_get(p, &settings[i]));
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++)
        put(&t, "weights.%s=%" PRIu32 "\n", risk_flag_name((enum risk_flag_code)c), p->weight[c]);
    put_list(&t, "watch.countries", &p->watch_countries[0][0], sizeof p->watch_countries[0],
             p->watch_country_count);
    put_list(&t, "watch.locodes", &p->watch_locodes[0][0], sizeof p->watch_locodes[0],
             p->watch_locode_count);
    return t.len;
}

void risk_policy_hash(const struct risk_policy *p, uint8_t hash[RISK_POLICY_HASH_LEN])
{
    /* Version line, 22 settings and 16 weights of at most about 60 bytes,
     * two lists of 64 codes: well under 4 KiB. */
    char text[4096];
    size_t len = risk_policy_text(p, text, sizeof text);
    WB_ASSERT(len < sizeof text);
    _Static_assert(RISK_POLICY_HASH_LEN == WB_HASH_LEN, "the policy hash is a SHA-256");
    ledger_sha256((const uint8_t *)text, len, hash);
}
