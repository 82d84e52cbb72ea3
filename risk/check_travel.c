/* Time and travel flags (docs/risk.md): SILENT_PERIOD, IMPOSSIBLE_TRAVEL
 * and the ledger-wide CLONED_ID. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "ledger/ids.h"
#include "risk/checks.h"

#define KNOT_KMH 1.852

static double place_km(const char *a, const char *b)
{
    const struct ledger_locode *x = risk__coords(a), *y = risk__coords(b);
    if (!x || !y) return -1.0;
    return ledger_geo_distance_m(x->lat_e6, x->lon_e6, y->lat_e6, y->lon_e6) / 1000.0;
}

/* Where the leg of step s (underway) goes: its arrival's place, else the
 * plan's next stop after the departure's place; NULL when unknown. */
static const char *leg_destination(const struct risk__run *r, const struct risk__step *s)
{
    if (s->leg_to != RISK__NONE) return r->steps[s->leg_to].ev->location;
    const struct risk__step *d = &r->steps[s->leg_from];
    if (d->plan < 0) return NULL;
    const struct ledger_plan *pl = &r->plans[d->plan].plan;
    for (size_t k = 0; k + 1 < pl->stop_count; k++)
        if (strcmp(pl->stops[k].locode, d->ev->location) == 0) return pl->stops[k + 1].locode;
    return NULL;
}

/* The silence allowed after step s, by the item's situation then; basis
 * and situation receive the words. */
static int64_t silence_limit(const struct risk__run *r, const struct risk__step *s, char *basis,
                             size_t bcap, char *where, size_t wcap)
{
    const struct risk_policy *p = r->p;
    char lim[32], pl[64], pl2[64];
    if (s->movement_after != LEDGER_MOVE_UNDERWAY || s->leg_from == RISK__NONE) {
        bool loaded = s->movement_after == LEDGER_MOVE_LOADED;
        snprintf(where, wcap, "%s at %s", loaded ? "loaded" : "at rest",
                 risk__place(s->location, pl, sizeof pl));
        snprintf(basis, bcap, "%s: terminal limit %s", loaded ? "loaded" : "at rest",
                 risk__dur(p->silent_terminal_ms, lim, sizeof lim));
        return p->silent_terminal_ms;
    }
    const struct risk__step *d = &r->steps[s->leg_from];
    const char *to = leg_destination(r, s);
    if (to)
        snprintf(where, wcap, "underway from %s to %s", risk__place(d->ev->location, pl, sizeof pl),
                 risk__place(to, pl2, sizeof pl2));
    else
        snprintf(where, wcap, "underway from %s", risk__place(d->ev->location, pl, sizeof pl));
    enum ledger_mode m = s->leg_mode;
    if (m == LEDGER_MODE_ROAD || m == LEDGER_MODE_RAIL || m == LEDGER_MODE_AIR) {
        snprintf(basis, bcap, "underway by %s: land limit %s", ledger_mode_name(m),
                 risk__dur(p->silent_land_ms, lim, sizeof lim));
        return p->silent_land_ms;
    }
    double km = to ? place_km(d->ev->location, to) : -1.0;
    if (km < 0 || p->silent_sea_knots == 0) {
        snprintf(basis, bcap, "underway, distance unknown: terminal limit %s",
                 risk__dur(p->silent_terminal_ms, lim, sizeof lim));
        return p->silent_terminal_ms;
    }
    double hours = km / ((double)p->silent_sea_knots * KNOT_KMH);
    int64_t limit = (int64_t)(hours * (double)RISK__HOUR_MS) + p->silent_sea_slack_ms;
    char slack[32];
    snprintf(basis, bcap, "underway%s%s: %.0f km at %u kn + %s = %s",
             m == LEDGER_MODE_NONE ? "" : " by ", m == LEDGER_MODE_NONE ? "" : ledger_mode_name(m),
             km, p->silent_sea_knots, risk__dur(p->silent_sea_slack_ms, slack, sizeof slack),
             risk__dur(limit, lim, sizeof lim));
    return limit;
}

int risk__check_silent_period(struct risk__run *r)
{
    char basis[RISK_BASIS_MAX], where[200], gap[32], lim[32], t1[LEDGER_TIME_MAX],
        t2[LEDGER_TIME_MAX];
    for (size_t k = 0; k + 1 < r->count; k++) {
        const struct risk__step *a = &r->steps[r->by_time[k]], *b = &r->steps[r->by_time[k + 1]];
        if (a->status_after == LEDGER_ITEM_DELIVERED) continue;
        int64_t d = b->time_ms - a->time_ms;
        int64_t limit = silence_limit(r, a, basis, sizeof basis, where, sizeof where);
        if (d <= limit) continue;
        struct risk_flag *f = risk__raise(r, RISK_SILENT_PERIOD, b->time_ms, a->custodian);
        risk__name_event(r, f, a->index);
        risk__name_event(r, f, b->index);
        risk__text(f,
                   "Nothing was recorded about the item for %s, from the %s at %s to the %s at "
                   "%s, while it was %s (limit %s).",
                   risk__dur(d, gap, sizeof gap), risk__event_noun(a->ev->action),
                   risk__time(a->time_ms, t1, sizeof t1), risk__event_noun(b->ev->action),
                   risk__time(b->time_ms, t2, sizeof t2), where, risk__dur(limit, lim, sizeof lim));
        risk__basis(f, RISK_BASIS_POLICY, "%s", basis);
    }
    /* From the last event to the reference time, for an item not delivered. */
    const struct risk__step *last = &r->steps[r->by_time[r->count - 1]];
    const struct risk__step *now = &r->steps[r->count - 1];
    int64_t d = r->in->as_of_ms - last->time_ms;
    if (now->status_after == LEDGER_ITEM_DELIVERED || d <= 0) return WB_OK;
    int64_t limit = silence_limit(r, now, basis, sizeof basis, where, sizeof where);
    if (d <= limit) return WB_OK;
    struct risk_flag *f = risk__raise(r, RISK_SILENT_PERIOD, last->time_ms, now->custodian);
    risk__name_event(r, f, last->index);
    risk__text(f,
               "Nothing has been recorded about the item for %s, since the %s at %s (as of %s), "
               "while it was %s (limit %s).",
               risk__dur(d, gap, sizeof gap), risk__event_noun(last->ev->action),
               risk__time(last->time_ms, t1, sizeof t1), risk__time(r->in->as_of_ms, t2, sizeof t2),
               where, risk__dur(limit, lim, sizeof lim));
    risk__basis(f, RISK_BASIS_POLICY, "%s", basis);
    return WB_OK;
}

/* ---- IMPOSSIBLE_TRAVEL ------------------------------------------------------------- */

/* The events whose order the movement rules force: each follows the one
 * before in fact, so it cannot be dated before it (a late report of
 * another kind, an inspection say, can). */
static bool sequenced(enum ledger_action a)
{
    return a == LEDGER_COMMISSION || a == LEDGER_LOAD || a == LEDGER_DEPART ||
           a == LEDGER_ARRIVE || a == LEDGER_UNLOAD || a == LEDGER_DELIVER;
}

static void time_backwards(struct risk__run *r)
{
    const struct risk__step *prev = NULL;
    char t1[LEDGER_TIME_MAX], t2[LEDGER_TIME_MAX], gap[32];
    for (size_t i = 0; i < r->count; i++) {
        const struct risk__step *s = &r->steps[i];
        if (!sequenced(s->ev->action)) continue;
        if (prev && s->time_ms < prev->time_ms) {
            struct risk_flag *f = risk__raise(r, RISK_IMPOSSIBLE_TRAVEL, prev->time_ms, s->custodian);
            risk__name_event(r, f, prev->index);
            risk__name_event(r, f, s->index);
            risk__text(f,
                       "The %s is dated %s, %s before the %s it follows (%s): the item's time "
                       "runs backwards.",
                       risk__event_noun(s->ev->action), risk__time(s->time_ms, t1, sizeof t1),
                       risk__dur(prev->time_ms - s->time_ms, gap, sizeof gap),
                       risk__event_noun(prev->ev->action), risk__time(prev->time_ms, t2, sizeof t2));
            risk__basis(f, RISK_BASIS_POLICY, "movement dated before the movement it follows");
        }
        if (!prev || s->time_ms >= prev->time_ms) prev = s;
    }
}

/* The leg mode at a point, LEDGER_MODE_NONE when the item was not on a leg
 * of known mode. */
static enum ledger_mode point_mode(const struct risk__run *r, const struct risk__point *q)
{
    const struct risk__step *s = &r->steps[q->step];
    if (q->fix) {
        uint32_t at = risk__step_at(r, q->time_ms);
        if (at == RISK__NONE) return LEDGER_MODE_NONE;
        s = &r->steps[at];
        if (s->movement_after != LEDGER_MOVE_UNDERWAY) return LEDGER_MODE_NONE;
    }
    return s->leg_from != RISK__NONE ? s->leg_mode : LEDGER_MODE_NONE;
}

static void point_words(const struct risk__point *q, char *out, size_t cap)
{
    char pl[64], lat[16], lon[16];
    if (!q->fix) {
        snprintf(out, cap, "%s", risk__place(q->place, pl, sizeof pl));
        return;
    }
    snprintf(lat, sizeof lat, "%.4f", q->lat_e6 / 1e6);
    snprintf(lon, sizeof lon, "%.4f", q->lon_e6 / 1e6);
    if (q->place[0])
        snprintf(out, cap, "%s, %s (a position fix near %s)", lat, lon, q->place);
    else
        snprintf(out, cap, "%s, %s (a position fix)", lat, lon);
}

int risk__check_impossible_travel(struct risk__run *r)
{
    time_backwards(r);
    struct risk__point *pts;
    size_t n;
    if (risk__points(r, true, &pts, &n) != WB_OK) return WB_ERR_NOMEM;
    size_t judged = 0, unjudged = 0;
    char lacking[WB_LOCATION_MAX + 1] = "";
    char wa[96], wb[96], t1[LEDGER_TIME_MAX], t2[LEDGER_TIME_MAX], dur[32];
    for (size_t k = 0; k + 1 < n; k++) {
        const struct risk__point *a = &pts[k], *b = &pts[k + 1];
        if (!a->fix && !b->fix && strcmp(a->place, b->place) == 0) continue;
        if (!a->has_coords || !b->has_coords) {
            unjudged++;
            if (!lacking[0])
                snprintf(lacking, sizeof lacking, "%s", !a->has_coords ? a->place : b->place);
            continue;
        }
        judged++;
        double d = ledger_geo_distance_m(a->lat_e6, a->lon_e6, b->lat_e6, b->lon_e6);
        double eff = d - a->radius_m - b->radius_m;
        if (eff <= 0) continue;
        int64_t dt = b->time_ms - a->time_ms;
        enum ledger_mode ma = point_mode(r, a), mb = point_mode(r, b), m;
        if (ma == LEDGER_MODE_NONE) m = mb;
        else if (mb == LEDGER_MODE_NONE) m = ma;
        else m = risk__speed_kmh(r->p, ma) >= risk__speed_kmh(r->p, mb) ? ma : mb;
        uint32_t limit = risk__speed_kmh(r->p, m);
        double kmh = dt > 0 ? (eff / 1000.0) / ((double)dt / (double)RISK__HOUR_MS) : INFINITY;
        if (kmh <= (double)limit) continue;
        struct risk_flag *f =
            risk__raise(r, RISK_IMPOSSIBLE_TRAVEL, b->time_ms, risk__custodian_at(r, b->time_ms));
        risk__name_event(r, f, a->step);
        risk__name_event(r, f, b->step);
        point_words(a, wa, sizeof wa);
        point_words(b, wb, sizeof wb);
        char speed[48];
        if (dt > 0) snprintf(speed, sizeof speed, "%.0f km/h", kmh);
        else snprintf(speed, sizeof speed, "no time at all");
        char by[48];
        if (m == LEDGER_MODE_NONE) snprintf(by, sizeof by, "any transport");
        else snprintf(by, sizeof by, "travel by %s", ledger_mode_name(m));
        risk__text(f,
                   "The item was at %s at %s and at %s at %s: %.0f km in %s (%s), faster than %s "
                   "allows (%u km/h).",
                   wa, risk__time(a->time_ms, t1, sizeof t1), wb,
                   risk__time(b->time_ms, t2, sizeof t2), d / 1000.0, risk__dur(dt, dur, sizeof dur),
                   speed, by, limit);
        risk__basis(f, RISK_BASIS_POLICY, "%s limit %u km/h",
                    m == LEDGER_MODE_NONE ? "unknown mode" : ledger_mode_name(m), limit);
    }
    free(pts);
    if (judged == 0 && unjudged > 0)
        risk__not_evaluable(r, RISK_IMPOSSIBLE_TRAVEL,
                            "no two places of the chain with coordinates to compare: %s %s", lacking,
                            strlen(lacking) == 13 ? "is a GLN, which has none"
                                                  : "is not in the coordinate table");
    return WB_OK;
}

/* ---- CLONED_ID (ledger-wide) ------------------------------------------------------- */

#define CLONE_REFS_MAX 64 /* references judged per item */

/* The item's point nearest in time to t on side `after` (false: at or
 * before), with coordinates; NULL if none. */
static const struct risk__point *nearest(const struct risk__point *p, size_t n, int64_t t,
                                         bool after)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p[mid].time_ms <= t) lo = mid + 1;
        else hi = mid;
    }
    if (!after) {
        for (size_t k = lo; k > 0; k--)
            if (p[k - 1].has_coords) return &p[k - 1];
        return NULL;
    }
    for (size_t k = lo; k < n; k++)
        if (p[k].has_coords) return &p[k];
    return NULL;
}

int risk__check_cloned_id(struct risk__run *r)
{
    enum ledger_id_kind kind = LEDGER_ID_INVALID;
    const char *item = r->steps[0].ev->item;
    if (ledger_item_id_check(item, &kind, NULL, 0) != WB_OK || kind != LEDGER_ID_CONTAINER)
        return WB_OK;
    if (!r->ctx->container_refs) {
        risk__not_evaluable(r, RISK_CLONED_ID, "needs the ledger: offline");
        return WB_OK;
    }
    struct risk_container_ref *refs = calloc(CLONE_REFS_MAX, sizeof *refs);
    if (!refs) return WB_ERR_NOMEM;
    size_t n_refs = r->ctx->container_refs(r->ctx->ctx, item, refs, CLONE_REFS_MAX);
    if (n_refs > CLONE_REFS_MAX) n_refs = CLONE_REFS_MAX;
    struct risk__point *pts = NULL;
    size_t n = 0;
    if (n_refs && risk__points(r, true, &pts, &n) != WB_OK) {
        free(refs);
        return WB_ERR_NOMEM;
    }
    const uint32_t limit = risk__speed_kmh(r->p, LEDGER_MODE_NONE);
    int64_t start = r->steps[0].time_ms;
    int64_t end = r->in->as_of_ms;
    for (size_t i = 0; i < r->count; i++)
        if (r->steps[i].ev->action == LEDGER_DELIVER) {
            end = r->steps[i].time_ms;
            break;
        }
    for (size_t k = 0; k < n_refs; k++) {
        const struct risk_container_ref *ref = &refs[k];
        const struct ledger_locode *at = risk__coords(ref->location);
        if (!at || ref->time_ms < start || ref->time_ms > end) continue;
        const struct risk__point *own[2] = {nearest(pts, n, ref->time_ms, false),
                                            nearest(pts, n, ref->time_ms, true)};
        for (int side = 0; side < 2; side++) {
            const struct risk__point *q = own[side];
            if (!q) continue;
            double d = ledger_geo_distance_m(at->lat_e6, at->lon_e6, q->lat_e6, q->lon_e6);
            double eff = d - RISK__PLACE_RADIUS_M - q->radius_m;
            if (eff <= 0) continue;
            int64_t dt = llabs(ref->time_ms - q->time_ms);
            double kmh = dt > 0 ? (eff / 1000.0) / ((double)dt / (double)RISK__HOUR_MS) : INFINITY;
            if (kmh <= (double)limit) continue;
            struct risk_flag *f = risk__raise(r, RISK_CLONED_ID, ref->time_ms,
                                              risk__custodian_at(r, ref->time_ms));
            risk__name_event(r, f, q->step);
            char pl[64], wq[96], t1[LEDGER_TIME_MAX], t2[LEDGER_TIME_MAX], h[9], dur[32];
            point_words(q, wq, sizeof wq);
            risk__text(f,
                       "Container %s is named at %s at %s on item %s (event %s...), while this "
                       "item's own chain puts it at %s at %s: %.0f km apart in %s, faster than "
                       "any transport (%u km/h).",
                       item, risk__place(ref->location, pl, sizeof pl),
                       risk__time(ref->time_ms, t1, sizeof t1), ref->item,
                       wb_hex_encode(ref->event, 4, h, sizeof h), wq,
                       risk__time(q->time_ms, t2, sizeof t2), d / 1000.0,
                       risk__dur(dt, dur, sizeof dur), limit);
            risk__basis(f, RISK_BASIS_POLICY, "unknown mode limit %u km/h", limit);
            break;
        }
    }
    free(pts);
    free(refs);
    return WB_OK;
}
