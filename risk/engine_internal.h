/* Inside the risk engine (risk/risk.h): the item's chain replayed once into
 * a timeline of steps (the item state around each event, by the ledger's
 * own ledger_rules_apply), and the helpers every flag check shares to raise
 * a flag, word it and find places. Built by risk/run.c; read by the flag
 * checks (risk/checks.h). Pure. */
#ifndef RISK_ENGINE_INTERNAL_H
#define RISK_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/locode.h"
#include "ledger/plan.h"
#include "ledger/types.h"
#include "risk/risk.h"

#define RISK__NONE UINT32_MAX
/* How far from a UN/LOCODE's coordinates the item may be while "at" the
 * place: a port or terminal spreads over tens of kilometres around the
 * point UN/LOCODE gives (which is rounded to a minute of arc). */
#define RISK__PLACE_RADIUS_M 25000.0
#define RISK__HOUR_MS INT64_C(3600000)
#define RISK__DAY_MS INT64_C(86400000)

/* One event of the chain with the item state around it. */
struct risk__step {
    const struct ledger_event *ev;
    const struct risk_event *in;          /* the caller's entry */
    uint32_t index;                       /* its number in the chain, 0: commission */
    int64_t time_ms;                      /* the event's time */
    const char *org;                      /* the submitter's organisation (the registry's) */
    const char *custodian;                /* after the event; "" before any */
    const char *seal_before;              /* the active seal before the event; "" none */
    uint32_t seal_from;                   /* the seal event that set it, or RISK__NONE */
    char location[WB_LOCATION_MAX + 1];   /* the item's location after the event */
    enum ledger_movement movement_before, movement_after;
    enum ledger_customs customs_before, customs_after;
    enum ledger_item_status status_before, status_after;
    bool out_of_order;                    /* dated before an earlier event (a late report) */
    int32_t plan;                         /* into run.plans: the plan in effect at the event, -1 */
    /* While underway (after a depart, before its arrive): the leg. */
    uint32_t leg_from;                    /* the depart that started it, or RISK__NONE */
    uint32_t leg_to;                      /* its arrive, or RISK__NONE (not yet arrived) */
    enum ledger_mode leg_mode;            /* its mode, LEDGER_MODE_NONE unknown */
};

/* A route plan version (a plan_set event). */
struct risk__plan {
    struct ledger_plan plan;
    uint32_t index;                       /* the plan_set's number in the chain */
    const char *set_by;
};

struct risk__run {
    const struct risk_input *in;
    const struct risk_policy *p;
    const struct risk_context *ctx;       /* NULL offline */
    const struct ledger_evidence *evidence; /* NULL: none given */
    struct risk_report *out;
    struct risk__step *steps;             /* in->count of them */
    size_t count;
    uint32_t *by_time;                    /* step indexes by (time, chain order) */
    struct risk__custody {                /* each change of custodian, by time (ties: chain order) */
        int64_t from_ms;
        const char *org;
    } *custody;
    size_t custody_count;
    struct risk__plan *plans;
    size_t plan_count;
    bool has_reports[LEDGER_ACTION_COUNT]; /* whether the chain holds seal_status, ... events */
    struct risk_flag spare;               /* where flags beyond RISK_FLAGS_MAX are worded */
};

/* Replays in's events into r (steps, plans), checking that they are one
 * item's chain from its commission: every event the item's, the first a
 * commission, each next one linked by prev to the one before, every
 * submitter a member of in->g. Returns 0, WB_ERR_INVALID with a sentence
 * in msg, or WB_ERR_NOMEM. Free with risk__run_free in any case. */
WB_MUST_USE int risk__run_build(struct risk__run *r, char *msg, size_t msg_len);
void risk__run_free(struct risk__run *r);

/* Raises a flag of `code`: counted and scored at once; the flag returned is
 * the report's next one, or r->spare when RISK_FLAGS_MAX are kept already
 * (worded all the same, then dropped). time_ms and custodian ("" or NULL:
 * none) are the flag's; basis is RISK_BASIS_POLICY until risk__basis. */
struct risk_flag *risk__raise(struct risk__run *r, enum risk_flag_code code, int64_t time_ms,
                              const char *custodian);
/* Names event `index` of the chain in f (at most RISK_FLAG_EVENTS_MAX, each
 * once; more are left out). */
void risk__name_event(const struct risk__run *r, struct risk_flag *f, uint32_t index);
/* The flag's sentence (printf), made to end in a full stop. */
void risk__text(struct risk_flag *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void risk__basis(struct risk_flag *f, enum risk_basis basis, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Marks code not evaluable with why (the first reason given stays). */
void risk__not_evaluable(struct risk__run *r, enum risk_flag_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* What a sentence calls an event of action a: "handover", "inspection". */
const char *risk__event_noun(enum ledger_action a);
/* A duration as a person reads it: "45 s", "45 min", "30 h" (from 2 h),
 * "7 d", "3.2 d" (from 48 h); one decimal at most, ".0" dropped. */
char *risk__dur(int64_t ms, char *out, size_t cap);
/* A time as RFC 3339 UTC (ledger_time_format). */
char *risk__time(int64_t ms, char *out, size_t cap);
/* A place: "NLRTM (Rotterdam)" when the coordinate table names it, else the
 * code as written. */
char *risk__place(const char *code, char *out, size_t cap);
/* The coordinates of a location, or NULL (a GLN, or a place the table
 * lacks). */
const struct ledger_locode *risk__coords(const char *location);
/* The country of a location: the first two letters of a UN/LOCODE into
 * cc[3]; false for a GLN or anything else. */
WB_MUST_USE bool risk__country(const char *location, char cc[3]);
/* The speed limit of a mode, km/h (the policy's; NONE: the unknown-mode
 * limit). */
uint32_t risk__speed_kmh(const struct risk_policy *p, enum ledger_mode m);
/* The custodian of the item at time t: the custodian after the latest event
 * dated at or before t (chain order among ties), "" before the commission. */
const char *risk__custodian_at(const struct risk__run *r, int64_t t_ms);
/* The index of the step whose state holds at time t (as risk__custodian_at),
 * or RISK__NONE before the first. */
uint32_t risk__step_at(const struct risk__run *r, int64_t t_ms);

/* A place the item was at, at a time: a located event (its location) or a
 * device's position fix. */
struct risk__point {
    int64_t time_ms;
    uint32_t step;                        /* the event, or the report that carried the fix */
    uint32_t seq;                         /* order among points of one time */
    bool fix;                             /* a position fix, not an event's location */
    bool has_coords;
    int32_t lat_e6, lon_e6;
    double radius_m;                      /* how far off the point the item may be */
    char place[WB_LOCATION_MAX + 1];      /* the location, or the fix's UN/LOCODE; "" none */
};

/* The item's points in time order (ties: chain order): every event with a
 * location and, when with_fixes, every kept position observation of the
 * evidence. *out is malloc'd (free it); NULL with *n 0 when there are none.
 * Returns 0 or WB_ERR_NOMEM. */
WB_MUST_USE int risk__points(const struct risk__run *r, bool with_fixes, struct risk__point **out,
                             size_t *n);

#endif
