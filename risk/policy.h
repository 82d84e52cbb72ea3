/* The risk policy (docs/risk.md, "Policy"): every threshold, weight and
 * watch-list the risk engine (risk/risk.h) judges with, read from a JSON
 * file in the node's config folder or taken from the defaults below, and
 * its hash, which every risk output names so that two customs offices can
 * tell whether they judged with the same rules. Pure: parses from memory. */
#ifndef RISK_POLICY_H
#define RISK_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "risk/flags.h"

#define RISK_WATCH_MAX 64             /* entries of each watch-list */
#define RISK_POLICY_FILE_MAX (64u << 10)
#define RISK_POLICY_HASH_LEN 32

/* Speed limits by transport mode, km/h (IMPOSSIBLE_TRAVEL). The index is
 * enum ledger_mode (ledger/plan.h); [LEDGER_MODE_NONE] is the limit when
 * the mode is not known. */
#define RISK_MODES 6

struct risk_policy {
    /* CUSTODY_GAP: a handover not received within this, or received later */
    int64_t custody_gap_ms;                  /* default 24 h */
    /* SILENT_PERIOD: no event for longer than this, at rest or loaded at a
     * terminal; underway by land; underway at sea: the sea leg's distance at
     * silent_sea_knots plus silent_sea_slack_ms (unknown distance: the
     * terminal limit) */
    int64_t silent_terminal_ms;              /* 7 d */
    int64_t silent_land_ms;                  /* 72 h */
    uint32_t silent_sea_knots;               /* 10 */
    int64_t silent_sea_slack_ms;             /* 3 d */
    /* IMPOSSIBLE_TRAVEL: km/h by mode (sea 56 = 30 kn, inland water 30,
     * rail 160, road 120, air 1000; unknown mode: 1000) */
    uint32_t speed_kmh[RISK_MODES];
    /* ROUTE_DEVIATION: arrival this far outside the planned window */
    int64_t window_slack_ms;                 /* 12 h */
    /* EXCESS_TRANSSHIPMENT: more transshipments than this, or the legs'
     * length over the direct distance above detour_ratio_pct / 100 (on
     * great circles, which the sea lanes exceed: Shanghai - Singapore -
     * Rotterdam is 161 % of the direct line, a normal route; a call at
     * Santos on the way is over 300 %) */
    uint32_t transshipments_max;             /* 1 */
    uint32_t detour_ratio_pct;               /* 200 */
    /* ABNORMAL_DWELL defaults (arrive -> the next depart or delivery) when
     * a port's baseline has fewer than baseline_min_samples samples */
    int64_t dwell_transship_ms;              /* 7 d: the item leaves again */
    int64_t dwell_import_ms;                 /* 14 d: the item's last port */
    /* Baselines: the percentile above which a dwell or transit is abnormal,
     * and the samples a baseline needs before it replaces the default */
    uint32_t baseline_percentile;            /* 95 */
    uint32_t baseline_min_samples;           /* 30 */
    /* LATE_OR_BACKDATED: recorded (block time) this long after the event
     * time, or dated this far after it was recorded */
    int64_t late_record_ms;                  /* 24 h */
    int64_t future_ms;                       /* 5 min */
    /* NEW_PARTY: fewer completed chains than this, or first seen on the
     * ledger less than new_party_age_ms ago */
    uint32_t new_party_chains;               /* 3 */
    int64_t new_party_age_ms;                /* 30 d */
    /* Item score: the weight of each flag code (sum over the flags raised) */
    uint32_t weight[RISK_FLAG_COUNT];
    /* HIGH_RISK_ROUTING watch-lists: ISO 3166-1 countries, UN/LOCODEs */
    size_t watch_country_count;
    char watch_countries[RISK_WATCH_MAX][3];
    size_t watch_locode_count;
    char watch_locodes[RISK_WATCH_MAX][6];
};

/* The defaults (docs/risk.md lists them; ../shared research study's
 * proposed thresholds). */
void risk_policy_defaults(struct risk_policy *p);

/* Parses a policy file (JSON, len bytes, docs/risk-policy.md) over the
 * defaults: every member optional, unknown ones refused, each value
 * checked. Returns 0 (*p is the defaults with the file's values) or
 * WB_ERR_INVALID with a sentence naming the member in msg; on error *p is
 * unchanged. */
WB_MUST_USE int risk_policy_parse(const char *json, size_t len, struct risk_policy *p, char *msg,
                                  size_t msg_len);

/* SHA-256 of the policy's canonical text (risk_policy_text): equal for two
 * files that set the same values however written, defaults included. */
void risk_policy_hash(const struct risk_policy *p, uint8_t hash[RISK_POLICY_HASH_LEN]);

/* The canonical text: one "name=value" line per setting in a fixed order,
 * durations in milliseconds, watch-lists sorted (docs/risk-policy.md).
 * Writes at most cap - 1 bytes and a NUL; returns the whole text's length
 * (without NUL), as snprintf does: call with cap 0 to size it. */
size_t risk_policy_text(const struct risk_policy *p, char *out, size_t cap);

#endif
