/* The flag table; see flags.h. */
#include "risk/flags.h"

#include <string.h>

static const struct {
    const char *name;
    enum risk_severity severity;
    bool ledger_wide;
    const char *meaning;
} risk_flags[RISK_FLAG_COUNT] = {
    [RISK_SEAL_MISMATCH] = {"SEAL_MISMATCH", RISK_CRITICAL, false,
                            "an event names a seal number other than the item's active seal, "
                            "with no unseal and reseal between"},
    [RISK_SEAL_TAMPER] = {"SEAL_TAMPER", RISK_CRITICAL, false,
                          "the item's e-seal reported it was opened with no authorised unseal, "
                          "or tampered with"},
    [RISK_UNSEALED_MOVE] = {"UNSEALED_MOVE", RISK_MEDIUM, false,
                            "the item was loaded, departed or handed over with no active seal"},
    [RISK_CUSTODY_GAP] = {"CUSTODY_GAP", RISK_HIGH, false,
                          "a handover was not received within the policy's limit, or was "
                          "received long after"},
    [RISK_SILENT_PERIOD] = {"SILENT_PERIOD", RISK_MEDIUM, false,
                            "nothing was recorded about the item for longer than its situation "
                            "allows"},
    [RISK_IMPOSSIBLE_TRAVEL] = {"IMPOSSIBLE_TRAVEL", RISK_CRITICAL, false,
                                "the item moved between two places faster than its mode of "
                                "transport can, or its time ran backwards"},
    [RISK_ROUTE_DEVIATION] = {"ROUTE_DEVIATION", RISK_MEDIUM, false,
                              "the item left its route plan: a stop not in the plan, a position "
                              "outside the corridor, or an arrival outside the planned window"},
    [RISK_EXCESS_TRANSSHIPMENT] = {"EXCESS_TRANSSHIPMENT", RISK_MEDIUM, false,
                                   "the item was transshipped more often than the policy "
                                   "allows, or travelled far longer than the direct way"},
    [RISK_ABNORMAL_DWELL] = {"ABNORMAL_DWELL", RISK_MEDIUM, false,
                             "the item stayed at a port longer than items usually do there"},
    [RISK_LATE_OR_BACKDATED] = {"LATE_OR_BACKDATED", RISK_LOW, false,
                                "an event was recorded long after the time it gives, or is "
                                "dated after it was recorded"},
    [RISK_CUSTOMS_BYPASS] = {"CUSTOMS_BYPASS", RISK_CRITICAL, false,
                             "the item was delivered across a customs frontier without a "
                             "clearance, or changed hands while customs held it"},
    [RISK_SENSOR_EXCURSION] = {"SENSOR_EXCURSION", RISK_HIGH, false,
                               "a sensor reading lies outside the range declared for the item"},
    [RISK_HIGH_RISK_ROUTING] = {"HIGH_RISK_ROUTING", RISK_HIGH, false,
                                "the item passed through a country or place on the policy's "
                                "watch-list"},
    [RISK_CLONED_ID] = {"CLONED_ID", RISK_CRITICAL, true,
                        "the item's container number is in use somewhere else at the same time"},
    [RISK_SEAL_REUSE] = {"SEAL_REUSE", RISK_HIGH, true,
                         "the item's seal number was also used on another item"},
    [RISK_NEW_PARTY] = {"NEW_PARTY", RISK_LOW, true,
                        "a party to the item has little history on the ledger"},
};

const char *risk_flag_name(enum risk_flag_code c)
{
    return (unsigned)c < RISK_FLAG_COUNT ? risk_flags[c].name : NULL;
}

enum risk_flag_code risk_flag_parse(const char *name)
{
    for (unsigned c = 0; name && c < RISK_FLAG_COUNT; c++)
        if (strcmp(risk_flags[c].name, name) == 0) return (enum risk_flag_code)c;
    return RISK_FLAG_COUNT;
}

const char *risk_severity_name(enum risk_severity s)
{
    switch (s) {
    case RISK_LOW: return "low";
    case RISK_MEDIUM: return "medium";
    case RISK_HIGH: return "high";
    case RISK_CRITICAL: return "critical";
    }
    return NULL;
}

enum risk_severity risk_flag_severity(enum risk_flag_code c)
{
    return (unsigned)c < RISK_FLAG_COUNT ? risk_flags[c].severity : RISK_LOW;
}

unsigned risk_flag_default_weight(enum risk_flag_code c)
{
    static const unsigned by_severity[] = {[RISK_LOW] = 1, [RISK_MEDIUM] = 3, [RISK_HIGH] = 5,
                                           [RISK_CRITICAL] = 10};
    return by_severity[risk_flag_severity(c)];
}

bool risk_flag_ledger_wide(enum risk_flag_code c)
{
    return (unsigned)c < RISK_FLAG_COUNT && risk_flags[c].ledger_wide;
}

const char *risk_flag_meaning(enum risk_flag_code c)
{
    return (unsigned)c < RISK_FLAG_COUNT ? risk_flags[c].meaning : NULL;
}
