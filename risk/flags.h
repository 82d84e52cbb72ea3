/* The risk flags (docs/risk.md, "Flags"): a stable code each, a default
 * severity and weight, and a line saying what it means. Pure, static. */
#ifndef RISK_FLAGS_H
#define RISK_FLAGS_H

#include <stdbool.h>

enum risk_flag_code {
    RISK_SEAL_MISMATCH = 0,     /* a seal number differs from the active seal */
    RISK_SEAL_TAMPER,           /* an e-seal reported opened/tampered (device evidence) */
    RISK_UNSEALED_MOVE,         /* loaded, departed or handed over with no active seal */
    RISK_CUSTODY_GAP,           /* a handover not received in time */
    RISK_SILENT_PERIOD,         /* no event for too long */
    RISK_IMPOSSIBLE_TRAVEL,     /* faster than the mode allows, or time running backwards */
    RISK_ROUTE_DEVIATION,       /* off the plan: a stop, the corridor, the window */
    RISK_EXCESS_TRANSSHIPMENT,  /* too many transshipments, or a long detour */
    RISK_ABNORMAL_DWELL,        /* too long at a port */
    RISK_LATE_OR_BACKDATED,     /* recorded long after the event, or dated ahead */
    RISK_CUSTOMS_BYPASS,        /* delivered across a frontier without clear; custody change while held */
    RISK_SENSOR_EXCURSION,      /* a reading outside the item's declared range */
    RISK_HIGH_RISK_ROUTING,     /* an event at a watch-listed country or place */
    RISK_CLONED_ID,             /* ledger-wide: one container number in two places at once */
    RISK_SEAL_REUSE,            /* ledger-wide: one seal number on two items */
    RISK_NEW_PARTY,             /* ledger-wide: a party with little history */
    RISK_FLAG_COUNT
};

enum risk_severity {
    RISK_LOW = 1,
    RISK_MEDIUM = 2,
    RISK_HIGH = 3,
    RISK_CRITICAL = 4,
};

/* "SEAL_MISMATCH" ...; NULL outside the enum. parse: RISK_FLAG_COUNT if
 * unknown. */
const char *risk_flag_name(enum risk_flag_code c);
enum risk_flag_code risk_flag_parse(const char *name);
/* "low", "medium", "high", "critical"; NULL otherwise. */
const char *risk_severity_name(enum risk_severity s);
enum risk_severity risk_flag_severity(enum risk_flag_code c);
/* The default weight of a flag in an item's score (by severity: 1, 3, 5, 10). */
unsigned risk_flag_default_weight(enum risk_flag_code c);
/* Whether the flag needs ledger-wide context (other items, parties): not
 * evaluable offline, from one bundle. */
bool risk_flag_ledger_wide(enum risk_flag_code c);
/* One sentence: what the flag means (for --help and docs). */
const char *risk_flag_meaning(enum risk_flag_code c);

#endif
