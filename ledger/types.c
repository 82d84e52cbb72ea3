/* Names of actions and roles, and attribute lookup on decoded events. */
#include "ledger/types.h"

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
};

static const char *const role_names[] = {
    [LEDGER_ROLE_NONE] = NULL,
    [LEDGER_ROLE_SHIPPER] = "shipper",
    [LEDGER_ROLE_CARRIER] = "carrier",
    [LEDGER_ROLE_CUSTOMS] = "customs",
    [LEDGER_ROLE_AUDITOR] = "auditor",
};

#define ROLE_COUNT (sizeof role_names / sizeof role_names[0])

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
