/* Route flags (docs/risk.md): ROUTE_DEVIATION, EXCESS_TRANSSHIPMENT,
 * ABNORMAL_DWELL and HIGH_RISK_ROUTING. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/evidence.h"
#include "risk/baseline.h"
#include "risk/checks.h"

/* Below this direct distance a detour ratio means nothing (a yard move). */
#define DETOUR_DIRECT_MIN_KM 100.0

static double place_km(const char *a, const char *b)
{
    const struct ledger_locode *x = risk__coords(a), *y = risk__coords(b);
    if (!x || !y) return -1.0;
    return ledger_geo_distance_m(x->lat_e6, x->lon_e6, y->lat_e6, y->lon_e6) / 1000.0;
}

static void stop_list(const struct ledger_plan *pl, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t k = 0; k < pl->stop_count && len < cap; k++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", k ? ", " : "", pl->stops[k].locode);
}

/* ---- ROUTE_DEVIATION ----------------------------------------------------------------- */

static void judge_arrival(struct risk__run *r, const struct risk__step *s)
{
    const struct risk__plan *pv = &r->plans[s->plan];
    const struct ledger_plan *pl = &pv->plan;
    const int64_t slack = r->p->window_slack_ms;
    char place[64], t[LEDGER_TIME_MAX], tp[LEDGER_TIME_MAX], sl[32];
    risk__dur(slack, sl, sizeof sl);
    const struct ledger_plan_stop *best = NULL;
    int64_t best_off = INT64_MAX;
    bool stop = false;
    for (size_t k = 0; k < pl->stop_count; k++) {
        const struct ledger_plan_stop *st = &pl->stops[k];
        if (strcmp(st->locode, s->ev->location) != 0) continue;
        stop = true;
        int64_t off = 0;
        if (s->time_ms < st->arrive_from_ms - slack) off = st->arrive_from_ms - s->time_ms;
        else if (s->time_ms > st->arrive_to_ms + slack) off = s->time_ms - st->arrive_to_ms;
        if (off < best_off) {
            best_off = off;
            best = st;
        }
    }
    if (stop && best_off == 0) return;
    struct risk_flag *f = risk__raise(r, RISK_ROUTE_DEVIATION, s->time_ms, s->custodian);
    risk__name_event(r, f, s->index);
    risk__name_event(r, f, pv->index);
    risk__place(s->ev->location, place, sizeof place);
    if (!stop) {
        char stops[WB_PLAN_STOPS_MAX * 7 + 1];
        stop_list(pl, stops, sizeof stops);
        risk__text(f,
                   "The item arrived at %s at %s, which is not a stop of its route plan (%s; set "
                   "by '%s' at %s).",
                   place, risk__time(s->time_ms, t, sizeof t), stops, pv->set_by,
                   risk__time(r->steps[pv->index].time_ms, tp, sizeof tp));
        risk__basis(f, RISK_BASIS_POLICY, "arrival at a place not in the plan");
        return;
    }
    char from[LEDGER_TIME_MAX], to[LEDGER_TIME_MAX], off[32];
    bool early = s->time_ms < best->arrive_from_ms;
    risk__text(f,
               "The item arrived at %s at %s, %s %s its planned window (%s to %s, with %s of "
               "slack).",
               place, risk__time(s->time_ms, t, sizeof t), risk__dur(best_off, off, sizeof off),
               early ? "before" : "after", risk__time(best->arrive_from_ms, from, sizeof from),
               risk__time(best->arrive_to_ms, to, sizeof to), sl);
    risk__basis(f, RISK_BASIS_POLICY, "window_slack %s", sl);
}

/* Distance from the fix to the plan's line in metres, or a negative value
 * when the line cannot be drawn (a stop the coordinate table lacks: the
 * fix might lie on that leg). */
static double corridor_distance_m(const struct ledger_plan *pl, const struct ledger_evidence_obs *o)
{
    const struct ledger_locode *prev = NULL;
    double best = -1.0;
    for (size_t k = 0; k < pl->stop_count; k++) {
        const struct ledger_locode *l = risk__coords(pl->stops[k].locode);
        if (!l) return -1.0;
        if (prev) {
            double d = ledger_geo_segment_distance_m(o->lat_e6, o->lon_e6, prev->lat_e6,
                                                     prev->lon_e6, l->lat_e6, l->lon_e6);
            if (best < 0 || d < best) best = d;
        }
        prev = l;
    }
    return best;
}

struct off_run {
    struct risk_flag *f;
    int32_t plan;
    const struct ledger_evidence_obs *first, *last;
    double farthest_m;
    size_t fixes;
};

static void off_run_words(struct risk__run *r, struct off_run *run)
{
    const struct ledger_plan *pl = &r->plans[run->plan].plan;
    char t1[LEDGER_TIME_MAX], t2[LEDGER_TIME_MAX], more[120] = "";
    if (run->fixes > 1)
        snprintf(more, sizeof more, "; %zu fixes in a row were off the route, up to %s", run->fixes,
                 risk__time(run->last->time_ms, t2, sizeof t2));
    risk__text(run->f,
               "A position fix at %s put the item %.0f km from its planned route (%.4f, %.4f), "
               "outside the plan's %u km corridor%s.",
               risk__time(run->first->time_ms, t1, sizeof t1), run->farthest_m / 1000.0,
               run->first->lat_e6 / 1e6, run->first->lon_e6 / 1e6, pl->corridor_km, more);
    risk__basis(run->f, RISK_BASIS_POLICY, "corridor %u km", pl->corridor_km);
}

static size_t judge_fixes(struct risk__run *r)
{
    const struct ledger_evidence *e = r->evidence;
    size_t judged = 0;
    struct off_run run = {0};
    for (size_t i = 0; e && i < e->obs_count; i++) {
        const struct ledger_evidence_obs *o = &e->obs[i];
        const struct ledger_evidence_report *rep = &e->reports[o->report];
        if (rep->kind != LEDGER_POSITION) continue;
        int32_t plan = r->steps[rep->event_no].plan;
        if (plan < 0) continue;
        const struct ledger_plan *pl = &r->plans[plan].plan;
        bool at_stop = false;
        for (size_t k = 0; o->locode[0] && k < pl->stop_count; k++)
            at_stop = at_stop || strcmp(o->locode, pl->stops[k].locode) == 0;
        double d = at_stop ? 0.0 : corridor_distance_m(pl, o);
        if (d < 0) continue;
        judged++;
        bool off = d - (double)o->accuracy_m > (double)pl->corridor_km * 1000.0;
        if (run.f && (!off || plan != run.plan)) run.f = NULL;
        if (!off) continue;
        if (!run.f) {
            run.f = risk__raise(r, RISK_ROUTE_DEVIATION, o->time_ms,
                                risk__custodian_at(r, o->time_ms));
            run.plan = plan;
            run.first = o;
            run.farthest_m = d;
            run.fixes = 0;
            risk__name_event(r, run.f, r->plans[plan].index);
        }
        /* a flag beyond the report's room is worded in the spare: keep it whole */
        run.last = o;
        run.fixes++;
        if (d > run.farthest_m) run.farthest_m = d;
        run.f->time_ms = o->time_ms;
        risk__name_event(r, run.f, rep->event_no);
        off_run_words(r, &run);
    }
    return judged;
}

int risk__check_route_deviation(struct risk__run *r)
{
    if (r->plan_count == 0) {
        risk__not_evaluable(r, RISK_ROUTE_DEVIATION, "no route plan on the chain");
        return WB_OK;
    }
    size_t judged = 0;
    for (size_t i = 0; i < r->count; i++) {
        const struct risk__step *s = &r->steps[i];
        if (s->ev->action != LEDGER_ARRIVE || s->plan < 0) continue;
        judged++;
        judge_arrival(r, s);
    }
    judged += judge_fixes(r);
    bool fixes = r->has_reports[LEDGER_POSITION];
    if (judged == 0 && fixes && r->evidence)
        risk__not_evaluable(r, RISK_ROUTE_DEVIATION,
                            "a stop of the plan is not in the coordinate table: the corridor "
                            "cannot be drawn");
    return WB_OK;
}

/* ---- EXCESS_TRANSSHIPMENT ------------------------------------------------------------ */

int risk__check_excess_transshipment(struct risk__run *r)
{
    const char *origin = r->steps[0].ev->location;
    uint32_t ts[WB_PLAN_STOPS_MAX];
    size_t n_ts = 0, shown = 0;
    char places[200] = "", pl[64];
    size_t len = 0;
    uint32_t last_ts = RISK__NONE;
    for (size_t i = 0; i < r->count; i++) {
        const struct risk__step *u = &r->steps[i];
        if (u->ev->action != LEDGER_UNLOAD || strcmp(u->ev->location, origin) == 0) continue;
        const struct risk__step *next = NULL;
        for (size_t j = i + 1; j < r->count && !next; j++)
            if (r->steps[j].ev->action == LEDGER_LOAD) next = &r->steps[j];
        if (!next || strcmp(next->ev->location, u->ev->location) != 0) continue;
        if (shown < WB_PLAN_STOPS_MAX) ts[shown++] = (uint32_t)i;
        if (n_ts < 5 && len < sizeof places)
            len += (size_t)snprintf(places + len, sizeof places - len, "%s%s", n_ts ? ", " : "",
                                    risk__place(u->ev->location, pl, sizeof pl));
        n_ts++;
        last_ts = next->index;
    }
    if (n_ts > r->p->transshipments_max) {
        const struct risk__step *s = &r->steps[last_ts];
        struct risk_flag *f = risk__raise(r, RISK_EXCESS_TRANSSHIPMENT, s->time_ms, s->custodian);
        for (size_t k = 0; k < shown; k++) risk__name_event(r, f, ts[k]);
        risk__text(f, "The item was transshipped %zu times (unloaded and loaded again at %s%s), "
                      "more than the policy's %u.",
                   n_ts, places, n_ts > 5 ? ", ..." : "", r->p->transshipments_max);
        risk__basis(f, RISK_BASIS_POLICY, "transshipments_max %u", r->p->transshipments_max);
    }

    /* The legs against the direct way, when every leg can be measured. */
    double legs_km = 0;
    size_t legs = 0;
    uint32_t first = RISK__NONE, last = RISK__NONE;
    for (size_t i = 0; i < r->count; i++) {
        const struct risk__step *d = &r->steps[i];
        if (d->ev->action != LEDGER_DEPART || d->leg_to == RISK__NONE) continue;
        double km = place_km(d->ev->location, r->steps[d->leg_to].ev->location);
        if (strcmp(d->ev->location, r->steps[d->leg_to].ev->location) == 0) km = 0;
        if (km < 0) return WB_OK;
        legs_km += km;
        legs++;
        if (first == RISK__NONE) first = (uint32_t)i;
        last = d->leg_to;
    }
    if (legs < 2) return WB_OK;
    const char *from = r->steps[first].ev->location, *to = r->steps[last].ev->location;
    double direct = place_km(from, to);
    if (direct < DETOUR_DIRECT_MIN_KM) return WB_OK;
    double pct = legs_km * 100.0 / direct;
    if (pct <= (double)r->p->detour_ratio_pct) return WB_OK;
    const struct risk__step *s = &r->steps[last];
    struct risk_flag *f = risk__raise(r, RISK_EXCESS_TRANSSHIPMENT, s->time_ms, s->custodian);
    risk__name_event(r, f, first);
    risk__name_event(r, f, last);
    char pf[64], pt[64];
    risk__text(f,
               "The item travelled %.0f km in %zu legs from %s to %s, %.0f %% of the direct %.0f "
               "km (limit %u %%).",
               legs_km, legs, risk__place(from, pf, sizeof pf), risk__place(to, pt, sizeof pt), pct,
               direct, r->p->detour_ratio_pct);
    risk__basis(f, RISK_BASIS_POLICY, "detour_ratio %u %%", r->p->detour_ratio_pct);
    return WB_OK;
}

/* ---- ABNORMAL_DWELL ------------------------------------------------------------------ */

#define DWELL_PREFIX "dwell "

static void judge_dwell(struct risk__run *r, const struct risk_sample *sm)
{
    const struct risk_policy *p = r->p;
    const char *place = sm->key + strlen(DWELL_PREFIX);
    const struct risk__step *a = &r->steps[sm->from_event], *b = &r->steps[sm->to_event];
    bool leaves = b->ev->action == LEDGER_DEPART;
    int64_t limit = leaves ? p->dwell_transship_ms : p->dwell_import_ms;
    enum risk_basis basis = RISK_BASIS_DEFAULT;
    char basis_text[RISK_BASIS_MAX], why[112], d[24], th[24];
    risk__dur(limit, d, sizeof d);
    if (!r->ctx || !r->ctx->baseline) {
        snprintf(why, sizeof why, "no baselines %s", r->ctx ? "given" : "offline");
    } else {
        const struct risk_dist *dist = r->ctx->baseline(r->ctx->ctx, sm->key);
        uint64_t have = dist ? dist->count : 0;
        int64_t pms;
        if (have >= p->baseline_min_samples && have > 0 &&
            risk_dist_percentile(dist, p->baseline_percentile, &pms)) {
            limit = pms;
            basis = RISK_BASIS_BASELINE;
            snprintf(why, sizeof why, "p%u of %llu dwells at %s (%s)", p->baseline_percentile,
                     (unsigned long long)have, place, risk__dur(pms, th, sizeof th));
        } else {
            snprintf(why, sizeof why, "%llu sample%s at %s, fewer than %u",
                     (unsigned long long)have, have == 1 ? "" : "s", place,
                     p->baseline_min_samples);
        }
    }
    if (basis == RISK_BASIS_BASELINE) snprintf(basis_text, sizeof basis_text, "%s", why);
    else snprintf(basis_text, sizeof basis_text, "default %s: %s", d, why);
    if (sm->ms <= limit) return;
    struct risk_flag *f = risk__raise(r, RISK_ABNORMAL_DWELL, b->time_ms, a->custodian);
    risk__name_event(r, f, a->index);
    risk__name_event(r, f, b->index);
    char pl[64], t1[LEDGER_TIME_MAX], t2[LEDGER_TIME_MAX], stay[32];
    char than[RISK_BASIS_MAX + 40];
    if (basis == RISK_BASIS_BASELINE) snprintf(than, sizeof than, "the %s", why);
    else snprintf(than, sizeof than, "the default of %s (%s)", d, why);
    risk__text(f, "The item stayed %s at %s, from its arrival at %s to its %s at %s, longer than %s.",
               risk__dur(sm->ms, stay, sizeof stay), risk__place(place, pl, sizeof pl),
               risk__time(a->time_ms, t1, sizeof t1), leaves ? "departure" : "delivery",
               risk__time(b->time_ms, t2, sizeof t2), than);
    risk__basis(f, basis, "%s", basis_text);
}

int risk__check_abnormal_dwell(struct risk__run *r)
{
    const struct ledger_event **evs = calloc(r->count, sizeof *evs);
    size_t cap = r->count;
    struct risk_sample *sm = calloc(cap, sizeof *sm);
    if (!evs || !sm) {
        free(evs);
        free(sm);
        return WB_ERR_NOMEM;
    }
    for (size_t i = 0; i < r->count; i++) evs[i] = r->steps[i].ev;
    size_t n = risk_samples_of_chain(evs, r->count, sm, cap);
    if (n > cap) {
        struct risk_sample *more = realloc(sm, n * sizeof *sm);
        if (!more) {
            free(evs);
            free(sm);
            return WB_ERR_NOMEM;
        }
        sm = more;
        cap = n;
        n = risk_samples_of_chain(evs, r->count, sm, cap);
    }
    for (size_t k = 0; k < n && k < cap; k++) {
        if (strncmp(sm[k].key, DWELL_PREFIX, strlen(DWELL_PREFIX)) != 0) continue;
        if (sm[k].from_event >= r->count || sm[k].to_event >= r->count) continue;
        judge_dwell(r, &sm[k]);
    }
    free(evs);
    free(sm);
    return WB_OK;
}

/* ---- HIGH_RISK_ROUTING --------------------------------------------------------------- */

enum hit_kind { HIT_VISITED, HIT_PLANNED, HIT_FIX };

struct hit {
    char place[WB_LOCATION_MAX + 1];
    enum hit_kind kind;                   /* of the first */
    uint32_t steps[RISK_FLAG_EVENTS_MAX];
    size_t n_steps, count;
    int64_t first_ms, last_ms;
};

/* Why place is watched: "a place on the policy's watch-list" or "in IR, a
 * country on the policy's watch-list"; NULL when it is not. */
static const char *watched(const struct risk_policy *p, const char *place, char *buf, size_t cap)
{
    for (size_t k = 0; k < p->watch_locode_count && k < RISK_WATCH_MAX; k++)
        if (strcmp(p->watch_locodes[k], place) == 0) return "a place on the policy's watch-list";
    char cc[3];
    if (!risk__country(place, cc)) return NULL;
    for (size_t k = 0; k < p->watch_country_count && k < RISK_WATCH_MAX; k++)
        if (strcmp(p->watch_countries[k], cc) == 0) {
            snprintf(buf, cap, "in %s, a country on the policy's watch-list", cc);
            return buf;
        }
    return NULL;
}

static int hit_add(struct hit **hits, size_t *n, size_t *cap, const struct risk_policy *p,
                   const char *place, enum hit_kind kind, uint32_t step, int64_t t)
{
    char buf[80];
    if (!place[0] || !watched(p, place, buf, sizeof buf)) return WB_OK;
    struct hit *h = NULL;
    for (size_t k = 0; k < *n && !h; k++)
        if (strcmp((*hits)[k].place, place) == 0) h = &(*hits)[k];
    if (!h) {
        if (*n == *cap) {
            size_t want = *cap ? 2 * *cap : 8;
            struct hit *more = realloc(*hits, want * sizeof *more);
            if (!more) return WB_ERR_NOMEM;
            *hits = more;
            *cap = want;
        }
        h = &(*hits)[(*n)++];
        memset(h, 0, sizeof *h);
        snprintf(h->place, sizeof h->place, "%s", place);
        h->kind = kind;
        h->first_ms = t;
    }
    bool dup = false;
    for (size_t k = 0; k < h->n_steps; k++) dup = dup || h->steps[k] == step;
    if (!dup && h->n_steps < RISK_FLAG_EVENTS_MAX) h->steps[h->n_steps++] = step;
    h->count++;
    if (t > h->last_ms) h->last_ms = t;
    return WB_OK;
}

int risk__check_high_risk_routing(struct risk__run *r)
{
    const struct risk_policy *p = r->p;
    if (p->watch_country_count == 0 && p->watch_locode_count == 0) return WB_OK;
    struct hit *hits = NULL;
    size_t n = 0, cap = 0;
    int rc = WB_OK;
    size_t pk = 0; /* the next plan version, in chain order as the steps */
    for (size_t i = 0; i < r->count && rc == WB_OK; i++) {
        const struct risk__step *s = &r->steps[i];
        rc = hit_add(&hits, &n, &cap, p, s->ev->location, HIT_VISITED, s->index, s->time_ms);
        if (s->ev->action != LEDGER_PLAN_SET || pk >= r->plan_count) continue;
        const struct ledger_plan *pl = &r->plans[pk++].plan;
        for (size_t k = 0; k < pl->stop_count && rc == WB_OK; k++)
            rc = hit_add(&hits, &n, &cap, p, pl->stops[k].locode, HIT_PLANNED, s->index,
                         s->time_ms);
    }
    const struct ledger_evidence *e = r->evidence;
    for (size_t i = 0; e && i < e->obs_count && rc == WB_OK; i++) {
        const struct ledger_evidence_obs *o = &e->obs[i];
        if (e->reports[o->report].kind != LEDGER_POSITION || !o->locode[0]) continue;
        rc = hit_add(&hits, &n, &cap, p, o->locode, HIT_FIX, e->reports[o->report].event_no,
                     o->time_ms);
    }
    for (size_t k = 0; k < n && rc == WB_OK; k++) {
        const struct hit *h = &hits[k];
        const struct risk__step *s = &r->steps[h->steps[0]];
        struct risk_flag *f = risk__raise(r, RISK_HIGH_RISK_ROUTING, h->last_ms,
                                          risk__custodian_at(r, h->first_ms));
        for (size_t j = 0; j < h->n_steps; j++) risk__name_event(r, f, h->steps[j]);
        char pl[64], why[80], t[LEDGER_TIME_MAX], more[64] = "";
        risk__place(h->place, pl, sizeof pl);
        const char *w = watched(p, h->place, why, sizeof why);
        if (h->count > 1) snprintf(more, sizeof more, " (%zu records name it)", h->count);
        if (h->kind == HIT_PLANNED)
            risk__text(f, "The route plan set by '%s' at %s names %s as a stop, %s%s.", s->org,
                       risk__time(s->time_ms, t, sizeof t), pl, w, more);
        else if (h->kind == HIT_FIX)
            risk__text(f, "A position fix put the item at %s at %s, %s%s.", pl,
                       risk__time(h->first_ms, t, sizeof t), w, more);
        else
            risk__text(f, "The item was at %s at %s, %s%s.", pl,
                       risk__time(h->first_ms, t, sizeof t), w, more);
        risk__basis(f, RISK_BASIS_POLICY, "watch-list");
    }
    free(hits);
    return rc;
}
