/* Names of actions, roles, movement and customs states, and attribute
 * lookup on decoded events. */
#include "ledger/types.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Indexed by enum ledger_action; the names are the lowercase proto names. */
static const char *const action_names[LEDGER_ACTION_COUNT] = {
    [LEDGER_ACTION_NONE] = NULL,
    [LEDGER_COMMISSION] = "commission",
    [LEDGER_SEAL] = "seal",
    [LEDGER_UNSEAL] = "unseal",
    [LEDGER_LOAD] = "load",
    [LEDGER_DEPART] = "depart",
    [LEDGER_ARRIVE] = "arrive",
    [LEDGER_UNLOAD] = "unload",
    [LEDGER_HANDOVER] = "handover",
    [LEDGER_RECEIVE] = "receive",
    [LEDGER_INSPECT] = "inspect",
    [LEDGER_HOLD] = "hold",
    [LEDGER_RELEASE] = "release",
    [LEDGER_CLEAR] = "clear",
    [LEDGER_DELIVER] = "deliver",
    [LEDGER_KEY_ADD] = "key_add",
    [LEDGER_KEY_REVOKE] = "key_revoke",
    [LEDGER_GOV_PROPOSE] = "gov_propose",
    [LEDGER_GOV_APPROVE] = "gov_approve",
    [LEDGER_DEVICE_REGISTER] = "device_register",
    [LEDGER_DEVICE_RETIRE] = "device_retire",
    [LEDGER_DEVICE_ATTACH] = "device_attach",
    [LEDGER_DEVICE_DETACH] = "device_detach",
    [LEDGER_SEAL_STATUS] = "seal_status",
    [LEDGER_POSITION] = "position",
    [LEDGER_READING] = "reading",
    [LEDGER_PLAN_SET] = "plan_set",
};

static const char *const role_names[] = {
    [LEDGER_ROLE_NONE] = NULL,
    [LEDGER_ROLE_SHIPPER] = "shipper",
    [LEDGER_ROLE_CARRIER] = "carrier",
    [LEDGER_ROLE_CUSTOMS] = "customs",
    [LEDGER_ROLE_AUDITOR] = "auditor",
};

#define ROLE_COUNT (sizeof role_names / sizeof role_names[0])

static const char *const movement_names[] = {
    [LEDGER_MOVE_AT_REST] = "at_rest",
    [LEDGER_MOVE_LOADED] = "loaded",
    [LEDGER_MOVE_UNDERWAY] = "underway",
};

static const char *const customs_names[] = {
    [LEDGER_CUSTOMS_NONE] = "none",
    [LEDGER_CUSTOMS_HELD] = "held",
    [LEDGER_CUSTOMS_RELEASED] = "released",
    [LEDGER_CUSTOMS_CLEARED] = "cleared",
};

const char *ledger_action_name(enum ledger_action a)
{
    if ((unsigned)a >= LEDGER_ACTION_COUNT) return NULL;
    return action_names[a];
}

enum ledger_action ledger_action_parse(const char *s)
{
    if (!s) return LEDGER_ACTION_NONE;
    for (unsigned i = 1; i < LEDGER_ACTION_COUNT; i++)
        if (strcmp(s, action_names[i]) == 0) return (enum ledger_action)i;
    return LEDGER_ACTION_NONE;
}

const char *ledger_role_name(enum ledger_role r)
{
    if ((unsigned)r >= ROLE_COUNT) return NULL;
    return role_names[r];
}

enum ledger_role ledger_role_parse(const char *s)
{
    if (!s) return LEDGER_ROLE_NONE;
    for (unsigned i = 1; i < ROLE_COUNT; i++)
        if (strcmp(s, role_names[i]) == 0) return (enum ledger_role)i;
    return LEDGER_ROLE_NONE;
}

const char *ledger_event_attr(const struct ledger_event *ev, const char *key)
{
    if (!ev || !key) return NULL;
    size_t n = ev->attr_count < WB_ATTRS_MAX ? ev->attr_count : WB_ATTRS_MAX;
    for (size_t i = 0; i < n; i++)
        if (strcmp(ev->attrs[i].key, key) == 0) return ev->attrs[i].value;
    return NULL;
}

const char *ledger_movement_name(enum ledger_movement m)
{
    if ((unsigned)m >= sizeof movement_names / sizeof movement_names[0]) return NULL;
    return movement_names[m];
}

const char *ledger_customs_name(enum ledger_customs c)
{
    if ((unsigned)c >= sizeof customs_names / sizeof customs_names[0]) return NULL;
    return customs_names[c];
}

/* Floor division for the calendar arithmetic below. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

char *ledger_time_format(int64_t ms, char out[LEDGER_TIME_MAX])
{
    int64_t days = floor_div(ms, 86400000);
    int64_t rem = ms - days * 86400000;          /* 0 .. 86399999 */
    /* Civil date from days since 1970-01-01 (400-year eras). */
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) y++;
    snprintf(out, LEDGER_TIME_MAX, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y, (int)m,
             (int)d, (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
             (int)(rem % 1000));
    return out;
}

static bool digits_at(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (civil calendar
 * arithmetic with 400-year eras). */
static int64_t days_from_civil(int y, int m, int d)
{
    int64_t yy = m <= 2 ? y - 1 : y;
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t mp = m > 2 ? m - 3 : m + 9;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

bool ledger_time_parse(const char *s, size_t len, int64_t *ms)
{
    int y, mo, d, h, mi, sec, frac = 0;
    if (!s || len < 20 || !digits_at(s, 4, &y) || s[4] != '-' || !digits_at(s + 5, 2, &mo) ||
        s[7] != '-' || !digits_at(s + 8, 2, &d) || s[10] != 'T' || !digits_at(s + 11, 2, &h) ||
        s[13] != ':' || !digits_at(s + 14, 2, &mi) || s[16] != ':' ||
        !digits_at(s + 17, 2, &sec))
        return false;
    size_t pos = 19;
    if (s[pos] == '.') {
        size_t n = 0;
        pos++;
        while (pos + n < len && s[pos + n] >= '0' && s[pos + n] <= '9') n++;
        if (n < 1 || n > 3) return false;
        if (!digits_at(s + pos, n, &frac)) return false;
        for (size_t i = n; i < 3; i++) frac *= 10;
        pos += n;
    }
    if (pos + 1 != len || s[pos] != 'Z') return false;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        sec > 59)
        return false;
    int64_t days = days_from_civil(y, mo, d);
    *ms = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)sec * 1000 + frac;
    return true;
}
