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
