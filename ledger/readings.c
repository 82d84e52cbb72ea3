/* One line of a readings file; see readings.h. */
#include "ledger/readings.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ledger/ids.h"

#define READING_ACCURACY_MAX 1000000
/* |value| in the measure's unit: far beyond any sensor, and value * 1000
 * fits an int64 exactly enough. */
#define READING_VALUE_ABS_MAX 1e12

static const char *const reading_common[] = {"time", "kind", "item", NULL};
static const char *const reading_seal[] = {"state", "seal", NULL};
static const char *const reading_position[] = {"lat", "lon", "accuracy_m", "locode", NULL};
static const char *const reading_measure[] = {"measure", "value", "unit", NULL};

static bool reading_in(const char *const *list, const char *key)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], key) == 0) return true;
    return false;
}

/* The string member `key`: NULL when absent; a member that is not a
 * string is refused. (jansson refuses a NUL inside a string: the file is
 * parsed without JSON_ALLOW_NUL.) */
static int reading_string(json_t *o, const char *key, bool required, const char **out,
                          char *msg, size_t msg_len)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v) {
        if (!required) return WB_OK;
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "%s is required", key);
    }
    if (!json_is_string(v))
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "%s: expected a string", key);
    *out = json_string_value(v);
    return WB_OK;
}

/* The number member `key` (integer or real), required. */
static int reading_number(json_t *o, const char *key, double *out, char *msg, size_t msg_len)
{
    json_t *v = json_object_get(o, key);
    if (!v) return wb_failf(WB_ERR_INVALID, msg, msg_len, "%s is required", key);
    if (!json_is_number(v))
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "%s: expected a number", key);
    *out = json_number_value(v);
    if (!isfinite(*out))
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "%s: expected a finite number", key);
    return WB_OK;
}

/* Degrees to millionths, in -limit .. limit degrees. */
static int reading_degrees(json_t *o, const char *key, double limit, int32_t *out, char *msg,
                           size_t msg_len)
{
    double d;
    int rc = reading_number(o, key, &d, msg, msg_len);
    if (rc != WB_OK) return rc;
    double e6 = round(d * 1e6);
    if (!(e6 >= -limit * 1e6 && e6 <= limit * 1e6))
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "%s: %.6f is out of range %g .. %g", key,
                        d, -limit, limit);
    *out = (int32_t)e6;
    return WB_OK;
}

static int reading_seal_status(json_t *o, struct ledger_device_obs *obs, char *msg,
                               size_t msg_len)
{
    const char *state, *seal;
    int rc = reading_string(o, "state", true, &state, msg, msg_len);
    if (rc == WB_OK) rc = reading_string(o, "seal", false, &seal, msg, msg_len);
    if (rc != WB_OK) return rc;
    obs->seal_state = ledger_seal_state_parse(state);
    if (obs->seal_state == LEDGER_SEAL_STATE_NONE)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "state: expected armed, intact, opened or tampered, got '%.40s'", state);
    if (seal) {
        if (!ledger_seal_number_ok(seal, strlen(seal)))
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "seal: '%.40s' is not an ISO 17712 seal number (1 to %d of A-Z, "
                            "0-9 and '-')",
                            seal, WB_SEAL_NUMBER_MAX);
        snprintf(obs->seal, sizeof obs->seal, "%s", seal);
    } else if (obs->seal_state == LEDGER_SEAL_ARMED) {
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "seal is required when state is armed");
    }
    return WB_OK;
}

static int reading_position_obs(json_t *o, struct ledger_device_obs *obs, char *msg,
                                size_t msg_len)
{
    int rc = reading_degrees(o, "lat", 90, &obs->lat_e6, msg, msg_len);
    if (rc == WB_OK) rc = reading_degrees(o, "lon", 180, &obs->lon_e6, msg, msg_len);
    if (rc != WB_OK) return rc;
    json_t *acc = json_object_get(o, "accuracy_m");
    if (acc) {
        if (!json_is_integer(acc) || json_integer_value(acc) < 0 ||
            json_integer_value(acc) > READING_ACCURACY_MAX)
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "accuracy_m: expected whole metres, 0 .. %d", READING_ACCURACY_MAX);
        obs->accuracy_m = (uint32_t)json_integer_value(acc);
    }
    const char *loc;
    rc = reading_string(o, "locode", false, &loc, msg, msg_len);
    if (rc != WB_OK) return rc;
    if (loc) {
        if (!ledger_locode_ok(loc, strlen(loc)))
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "locode: '%.40s' is not a UN/LOCODE (5 characters such as NLRTM)",
                            loc);
        snprintf(obs->locode, sizeof obs->locode, "%s", loc);
    }
    return WB_OK;
}

static int reading_reading(json_t *o, struct ledger_device_obs *obs, char *msg, size_t msg_len)
{
    const char *measure, *unit;
    double value;
    int rc = reading_string(o, "measure", true, &measure, msg, msg_len);
    if (rc == WB_OK) rc = reading_number(o, "value", &value, msg, msg_len);
    if (rc == WB_OK) rc = reading_string(o, "unit", false, &unit, msg, msg_len);
    if (rc != WB_OK) return rc;
    obs->measure = ledger_measure_parse(measure);
    if (obs->measure == LEDGER_MEASURE_NONE)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "measure: expected temperature, humidity, shock or light, got '%.40s'",
                        measure);
    const char *want = ledger_measure_unit(obs->measure);
    if (unit && strcmp(unit, want) != 0)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "unit: %s is measured in %s, not '%.20s'", measure, want, unit);
    if (fabs(value) > READING_VALUE_ABS_MAX)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "value: %g is out of range", value);
    obs->value_milli = (int64_t)llround(value * 1000.0);
    return WB_OK;
}

static int reading_object(json_t *o, struct ledger_reading *r, char *msg, size_t msg_len)
{
    const char *kind, *time, *item;
    int rc = reading_string(o, "kind", true, &kind, msg, msg_len);
    if (rc == WB_OK) rc = reading_string(o, "time", true, &time, msg, msg_len);
    if (rc == WB_OK) rc = reading_string(o, "item", false, &item, msg, msg_len);
    if (rc != WB_OK) return rc;
    r->kind = ledger_action_parse(kind);
    if (!ledger_action_is_report(r->kind))
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "kind: expected seal_status, position or reading, got '%.40s'", kind);
    const char *const *own = r->kind == LEDGER_SEAL_STATUS ? reading_seal
                             : r->kind == LEDGER_POSITION  ? reading_position
                                                           : reading_measure;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if (!reading_in(reading_common, key) && !reading_in(own, key))
            return wb_failf(WB_ERR_INVALID, msg, msg_len, "unknown field '%.40s' for kind %s",
                            key, kind);
    }
    if (!ledger_time_parse(time, strlen(time), &r->obs.time_ms))
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "time: expected RFC 3339 UTC such as 2026-03-01T00:05:00Z, got '%.40s'",
                        time);
    if (item) {
        char why[160];
        enum ledger_id_kind ik;
        if (strlen(item) > WB_ITEM_MAX || ledger_item_id_check(item, &ik, why, sizeof why) != WB_OK)
            return wb_failf(WB_ERR_INVALID, msg, msg_len, "item: %s",
                            strlen(item) > WB_ITEM_MAX ? "too long" : why);
        snprintf(r->item, sizeof r->item, "%s", item);
    }
    if (r->kind == LEDGER_SEAL_STATUS) rc = reading_seal_status(o, &r->obs, msg, msg_len);
    else if (r->kind == LEDGER_POSITION) rc = reading_position_obs(o, &r->obs, msg, msg_len);
    else rc = reading_reading(o, &r->obs, msg, msg_len);
    if (rc != WB_OK) return rc;
    return ledger_device_obs_check(r->kind, &r->obs, msg, msg_len);
}

int ledger_reading_parse(const char *line, size_t len, struct ledger_reading *r, char *msg,
                         size_t msg_len)
{
    memset(r, 0, sizeof *r);
    if (len > WB_READING_LINE_MAX)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "the line is over %d bytes",
                        WB_READING_LINE_MAX);
    json_error_t err;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
    if (!o) return wb_failf(WB_ERR_INVALID, msg, msg_len, "not JSON: %s", err.text);
    int rc;
    if (!json_is_object(o))
        rc = wb_failf(WB_ERR_INVALID, msg, msg_len, "expected a JSON object");
    else
        rc = reading_object(o, r, msg, msg_len);
    json_decref(o);
    if (rc != WB_OK) memset(r, 0, sizeof *r);
    return rc;
}
