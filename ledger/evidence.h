/* Device evidence of one item (docs/devices.md, "Evidence and findings"):
 * what its devices observed, who held the item at each observation, its
 * route plans, and the findings they add up to. Fed the item's accepted
 * events in chain order, one at a time (the verifier's callback and
 * `waybill history` drive it alike), it keeps:
 *
 *  - the custody timeline: after each event the running item state
 *    (ledger_rules_apply, so custody follows the rules' own logic) names a
 *    custodian; each change is recorded with the event's time. The
 *    custodian AT TIME t is the one the latest change dated at or before t
 *    made (the later in chain order among changes of one time), so an
 *    observation a gateway carried after a receive, but made before it, is
 *    credited to the organisation that held the item then;
 *  - per report event (seal_status, position, reading) a summary and its
 *    observations, compactly (48 bytes each), with the device's key and,
 *    from the registry in effect for the event, its owner, kind, serial;
 *  - every plan_set as a plan version: who set it, when, its block, the
 *    stops;
 *  - findings. The one finding so far is TAMPER: an e-seal observation
 *    'tampered' (always), or 'opened' not covered by an authorised
 *    unseal (below).
 *
 * Authorised unseal. A seal's ARMING is its device's latest 'armed'
 * observation before the opening, or, when it reported none since it was
 * attached, the device_attach event (its time). An 'opened' observation at
 * time t is covered when the item's chain holds an unseal event (the rules
 * let only the custodian or customs unseal, docs/rules.md) whose event
 * time u satisfies   arming < u <= t + WB_EVIDENCE_UNSEAL_GRACE_MS.
 * Any unseal of the item counts, whatever seal number it names: an item
 * carries one recorded seal at a time, and an unseal records that the
 * item was opened with authority, which is what opens its e-seal. An
 * unseal before the arming belongs to an earlier sealing; one after the
 * grace is a later act. An opening is the first 'opened' observation of a
 * device since its arming; the further 'opened' reports of the same
 * opening are shown but are no new finding (the same holds for a run of
 * 'tampered'). Reports are evidence, never gates: a finding is shown, the
 * event stays accepted.
 *
 * Pure: no I/O, no clock, no globals. Allocates through malloc; every
 * list is bounded (the _MAX constants below). */
#ifndef LEDGER_EVIDENCE_H
#define LEDGER_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/device.h"
#include "ledger/genesis.h"
#include "ledger/gov.h"
#include "ledger/plan.h"
#include "ledger/types.h"

/* How long after an 'opened' observation an unseal may be dated and still
 * cover it: 1 h. The unseal event and the seal's report are written
 * independently (a custodian's or customs' client records the unseal, the
 * device's own clock dates the opening and a gateway carries it later), so
 * the paperwork may follow the doors by minutes and the two clocks differ
 * by up to the chain's clock skew (10 min by default). An hour covers
 * both; an unseal hours after the opening is not the act that opened it. */
#define WB_EVIDENCE_UNSEAL_GRACE_MS (60 * 60 * 1000)

/* Bounds. Observations beyond WB_EVIDENCE_OBS_MAX are counted in their
 * report's summary and still judged for findings, but not kept one by one
 * (obs_dropped counts them); findings beyond WB_EVIDENCE_FINDINGS_MAX are
 * counted in findings_dropped. A tracker reporting every 5 minutes makes
 * 8,640 observations in 30 days: the bound is about ten years of it. */
#define WB_EVIDENCE_OBS_MAX (1u << 20)
#define WB_EVIDENCE_FINDINGS_MAX 1024u
#define WB_EVIDENCE_REASON_MAX 768
/* Room for one observation's values as text (ledger_evidence_obs_text). */
#define WB_EVIDENCE_TEXT_MAX 96
/* No custodian (an observation before the commission), no seal number. */
#define WB_EVIDENCE_NONE UINT32_MAX

enum ledger_evidence_finding_kind {
    LEDGER_FINDING_NONE = 0,
    LEDGER_FINDING_TAMPER,
};

/* "TAMPER"; NULL for an unknown value. */
const char *ledger_evidence_finding_name(enum ledger_evidence_finding_kind k);

/* One change of custodian: from the time of the event that made it. */
struct ledger_evidence_custody {
    int64_t from_ms;                     /* the event's time */
    uint64_t height;                     /* its block */
    char org[WB_ORG_MAX + 1];
};

/* A device that reported on the item or was attached to it. */
struct ledger_evidence_device {
    uint8_t key[WB_PUBKEY_LEN];
    bool known;                          /* found in a registry given to add */
    char owner[WB_ORG_MAX + 1];          /* the organisation that registered it; "" unknown */
    enum ledger_device_kind kind;        /* NONE when unknown */
    char serial[WB_DEVICE_SERIAL_MAX + 1];
    char seal[WB_SEAL_NUMBER_MAX + 1];   /* an e-seal's registered seal number, else "" */
    /* The tamper rule's running state (read-only, for tests): */
    int64_t arming_ms;                   /* the arming (above); valid when armed_seen or attached */
    bool attached_seen;                  /* a device_attach was fed */
    bool armed_seen;                     /* an 'armed' observation since that attach */
    char armed_seal[WB_SEAL_NUMBER_MAX + 1]; /* the seal number of that arming */
    enum ledger_seal_state last_state;   /* its last seal observation; NONE before one */
};

/* One report event. */
struct ledger_evidence_report {
    uint8_t event[WB_HASH_LEN];          /* the event's id */
    uint32_t event_no;                   /* its place in the item's chain, 0 = commission */
    uint64_t height;
    int64_t event_time_ms;
    enum ledger_action kind;             /* LEDGER_SEAL_STATUS, _POSITION or _READING */
    char gateway[WB_ORG_MAX + 1];        /* the submitter's organisation: who carried it */
    uint32_t device;                     /* index into devices */
    uint64_t device_seq;                 /* the report's seq */
    uint32_t obs_count;                  /* observations in the report */
    uint32_t obs_first;                  /* index of its first kept one in obs */
    uint32_t obs_kept;                   /* how many of them are kept (obs_count unless dropped) */
    int64_t first_ms, last_ms;           /* its first and last observation's time */
    /* Readings: the least and greatest value, in thousandths of the unit
     * of `measure` (the first observation's; a tracker may mix measures,
     * then measure_mixed is set and the range is over all of them). */
    enum ledger_measure measure;
    bool measure_mixed;
    int64_t min_milli, max_milli;
    /* Set by finish: the custodian at its first and last observation. */
    uint32_t custodian_first, custodian_last; /* into custody, or WB_EVIDENCE_NONE */
};

/* One observation, compactly: only the fields of its report's kind mean
 * anything (as struct ledger_device_obs). */
struct ledger_evidence_obs {
    int64_t time_ms;
    int64_t value_milli;                 /* reading */
    int32_t lat_e6, lon_e6;              /* position */
    uint32_t accuracy_m;                 /* position; 0: not given */
    uint32_t report;                     /* index into reports */
    uint32_t custodian;                  /* into custody, or WB_EVIDENCE_NONE; set by finish */
    uint16_t seal;                       /* into seals, or UINT16_MAX: not given */
    uint8_t seal_state;                  /* enum ledger_seal_state */
    uint8_t measure;                     /* enum ledger_measure */
    char locode[WB_LOCODE_LEN + 1];      /* position; "" when not given */
};

/* One version of the route plan (a plan_set event). */
struct ledger_evidence_plan {
    uint8_t event[WB_HASH_LEN];
    uint32_t event_no;
    uint64_t height;
    int64_t time_ms;                     /* the event's time */
    char set_by[WB_ORG_MAX + 1];         /* the submitter's organisation */
    struct ledger_plan plan;
};

struct ledger_evidence_finding {
    enum ledger_evidence_finding_kind kind;
    enum ledger_seal_state state;        /* LEDGER_SEAL_OPENED or LEDGER_SEAL_TAMPERED */
    uint32_t device;                     /* index into devices */
    uint32_t report;                     /* index into reports */
    uint8_t event[WB_HASH_LEN];          /* the report event's id */
    int64_t time_ms;                     /* the observation's time */
    int64_t arming_ms;                   /* the arming the opening follows */
    bool armed;                          /* the arming is an 'armed' observation, not the attach */
    char seal[WB_SEAL_NUMBER_MAX + 1];   /* the observation's seal number, else its arming's,
                                            else the registered one; "" if none is known */
    /* Set by finish: */
    char custodian[WB_ORG_MAX + 1];      /* at the observation's time; "" before any */
    char owner[WB_ORG_MAX + 1];          /* the device's owner; "" unknown */
    char reason[WB_EVIDENCE_REASON_MAX]; /* one sentence, see ledger_evidence_finish */
    bool covered;                        /* (internal) an unseal covers it: dropped by finish */
};

/* The evidence of one item. Fields are read-only outside evidence.c; the
 * arrays are owned by it and valid until ledger_evidence_free. */
struct ledger_evidence {
    struct ledger_item_state state;      /* the item after the events fed so far */
    uint32_t events;                     /* events fed */
    bool finished;
    struct ledger_evidence_custody *custody;
    size_t custody_count, custody_cap;
    struct ledger_evidence_device *devices;
    size_t device_count, device_cap;
    struct ledger_evidence_report *reports;
    size_t report_count, report_cap;
    struct ledger_evidence_obs *obs;
    size_t obs_count, obs_cap;
    size_t obs_total;                    /* observations in all reports */
    size_t obs_dropped;                  /* of them, not kept (over WB_EVIDENCE_OBS_MAX) */
    char (*seals)[WB_SEAL_NUMBER_MAX + 1]; /* distinct seal numbers observed */
    size_t seal_count, seal_cap;
    struct ledger_evidence_plan *plans;  /* every version, in chain order */
    size_t plan_count, plan_cap;
    struct ledger_evidence_finding *findings; /* in observation order */
    size_t finding_count, finding_cap;
    size_t findings_dropped;
    int64_t *unseals;                    /* event times of the item's unseal events */
    size_t unseal_count, unseal_cap;
    struct ledger_device_report *scratch; /* the report being decoded (about 9 KB) */
};

/* Starts empty evidence (as before the commission). Returns 0 or
 * WB_ERR_NOMEM. Free with ledger_evidence_free in any case. */
WB_MUST_USE int ledger_evidence_init(struct ledger_evidence *e);
void ledger_evidence_free(struct ledger_evidence *e);

/* Feeds the item's next accepted event ev, of block `height`. reg is the
 * registry that judged it (the governance view in effect for its block,
 * or genesis): its submitter must be a member there. gov is the
 * governance state in effect for its block, for the device registry, or
 * NULL: then devices are shown with owner, kind and serial unknown. (A
 * device is looked up at each of its events; what a later event's
 * registry knows fills in what an earlier one did not.)
 * The events must be one item's, in chain order, each one the rules
 * accepted after the ones before. What add relies on is checked rather
 * than trusted (history is a node's word): a submitter not in reg, an
 * event of another item, a device report that does not decode, a
 * device_attach or device_detach without a device key, more than
 * WB_ITEM_DEVICES_MAX devices attached at once, a seal without its seal
 * attribute or a plan_set whose plan does not decode is WB_ERR_INVALID
 * with a sentence in msg ("event 4 (device_attach): ..."), and e is left
 * as before the call. Returns 0, WB_ERR_INVALID or WB_ERR_NOMEM (e as
 * before then too). Not after ledger_evidence_finish. */
WB_MUST_USE int ledger_evidence_add(struct ledger_evidence *e, const struct ledger_event *ev,
                                    uint64_t height, const struct ledger_genesis *reg,
                                    const struct ledger_gov *gov, char *msg, size_t msg_len);

/* After the last event: sets the custodian of every kept observation and
 * of each report's first and last one (the custodian at their time, as the
 * whole chain gives it, so an event fed later but dated earlier counts),
 * drops the 'opened' findings an unseal covers, and writes each finding's
 * custodian, owner and reason, e.g.
 *   "seal CSQU3054383-S1 reported opened at 2026-03-20T08:00:00.000Z while
 *    in the custody of 'oceanic' with no unseal between its arming at
 *    2026-03-01T06:00:00.000Z and 1 h after the opening; device ES-1
 *    (eseal) owned by 'acme'"
 *   "seal ... reported tampered at ... while in the custody of 'oceanic';
 *    device ES-1 (eseal) owned by 'acme'"
 * (an unknown owner reads "device 1a2b3c4d... of unknown owner (no device
 * registry)"). Allocates nothing; call it once. */
void ledger_evidence_finish(struct ledger_evidence *e);

/* The index into e->custody of the custodian at time t_ms, or
 * WB_EVIDENCE_NONE before the first. Valid at any time (with the events
 * fed so far). */
uint32_t ledger_evidence_custodian_at(const struct ledger_evidence *e, int64_t t_ms);

/* The organisation of custody index i, or "" for WB_EVIDENCE_NONE. */
const char *ledger_evidence_custodian(const struct ledger_evidence *e, uint32_t i);

/* The seal number an observation gave, or "" when none. */
const char *ledger_evidence_obs_seal(const struct ledger_evidence *e,
                                     const struct ledger_evidence_obs *o);

/* An observation's values in human units, by its report's kind:
 *   seal_status "opened, seal CSQU3054383-S1" ("intact" without a number)
 *   position    "51.916667, 4.500000 (accuracy 20 m) at NLRTM" (accuracy
 *               and place only when given)
 *   reading     "temperature 4.5 C" (thousandths, trailing zeros dropped)
 * Returns out (cap >= 1; truncated to fit). */
char *ledger_evidence_obs_text(const struct ledger_evidence *e,
                               const struct ledger_evidence_obs *o, char *out, size_t cap);

/* A value in thousandths as a decimal: 4500 -> "4.5", -1250 -> "-1.25",
 * 0 -> "0". Returns out (cap >= 1). */
char *ledger_evidence_milli_text(int64_t milli, char *out, size_t cap);

/* Microdegrees as a decimal with 6 places: 51916667 -> "51.916667",
 * -500000 -> "-0.500000". Returns out (cap >= 1). */
char *ledger_evidence_e6_text(int32_t e6, char *out, size_t cap);

#endif
