/* Route plans (docs/devices.md, "Route plans"): the shipper (the
 * organisation that commissioned the item) or its current custodian
 * records where the item is meant to go, with an event plan_set on the
 * item's chain. A plan is the ordered stops, each a UN/LOCODE with its
 * planned arrival window and the transport mode of the leg that leaves
 * it, and the corridor: how far off the direct line between two stops
 * still counts as on route. Each plan_set replaces the plan in effect;
 * the chain keeps every version. Pure: no I/O, no clock.
 *
 * Attributes of plan_set (nothing else; location empty):
 *   corridor_km=N     1 .. WB_PLAN_CORRIDOR_KM_MAX
 *   stop1=LOCODE FROM TO MODE  ... stopN=...   2 .. WB_PLAN_STOPS_MAX stops,
 *                     numbered from 1 without gaps. FROM and TO are RFC
 *                     3339 UTC times (FROM <= TO; each stop's FROM not
 *                     before the previous stop's FROM), MODE is the mode
 *                     of the leg to the next stop, "-" on the last stop
 *                     (and only there). Fields are separated by one space.
 * e.g. stop1="CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea". */
#ifndef LEDGER_PLAN_H
#define LEDGER_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/types.h"

#define WB_PLAN_STOPS_MAX 15         /* 1 attribute for the corridor, 15 for stops */
#define WB_PLAN_CORRIDOR_KM_MAX 2000

enum ledger_mode {
    LEDGER_MODE_NONE = 0,
    LEDGER_MODE_SEA,
    LEDGER_MODE_INLAND_WATER,
    LEDGER_MODE_RAIL,
    LEDGER_MODE_ROAD,
    LEDGER_MODE_AIR,
};

/* "sea", "inland_water", "rail", "road", "air"; NULL / NONE otherwise. */
const char *ledger_mode_name(enum ledger_mode m);
enum ledger_mode ledger_mode_parse(const char *s);

struct ledger_plan_stop {
    char locode[6];                  /* UN/LOCODE, 5 characters */
    int64_t arrive_from_ms;          /* planned arrival window */
    int64_t arrive_to_ms;
    enum ledger_mode leg_mode;       /* the leg to the next stop; NONE on the last */
};

struct ledger_plan {
    uint32_t corridor_km;
    size_t stop_count;
    struct ledger_plan_stop stops[WB_PLAN_STOPS_MAX];
};

/* Decodes the attributes of a plan_set event into *p, checking everything
 * the comment above states. Returns 0, or WB_ERR_INVALID with a sentence
 * naming the attribute ("plan_set: stop3: arrival window ends before it
 * starts"). Depends on nothing but the event. */
WB_MUST_USE int ledger_plan_decode(const struct ledger_event *ev, struct ledger_plan *p,
                                   char *msg, size_t msg_len);

/* Writes *p as ev's attributes (corridor_km first, then stop1..stopN) and
 * sets ev->action to LEDGER_PLAN_SET; item, submitter, prev, time are the
 * caller's. Returns 0 or WB_ERR_INVALID (a plan decode would refuse). */
WB_MUST_USE int ledger_plan_encode(const struct ledger_plan *p, struct ledger_event *ev,
                                   char *msg, size_t msg_len);

#endif
