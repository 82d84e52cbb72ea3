/* The risk engine's replay of one chain and the helpers its flag checks
 * share (risk/engine_internal.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_assert.h"
#include "ledger/device.h"
#include "ledger/evidence.h"
#include "ledger/ids.h"
#include "ledger/rules.h"
#include "risk/engine_internal.h"

/* ---- the replay ------------------------------------------------------------------- */

struct time_key {
    int64_t t;
    uint32_t i;
};

static int time_key_cmp(const void *a, const void *b)
{
    const struct time_key *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int invalid(char *msg, size_t msg_len, size_t i, const struct ledger_event *ev,
                   const char *why)
{
    const char *a = ev ? ledger_action_name(ev->action) : NULL;
    return wb_failf(WB_ERR_INVALID, msg, msg_len, "event %zu (%s): %s", i, a ? a : "?", why);
}

/* Whether the attribute device= is a device key as the rules take it
 * (64 lowercase hex digits). */
static bool device_attr_ok(const struct ledger_event *ev)
{
    const char *v = ledger_event_attr(ev, "device");
    if (!v || strlen(v) != 2 * WB_PUBKEY_LEN) return false;
    for (const char *p = v; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
    return true;
}

/* The mode of the leg that departure d starts: the depart's own attribute
 * mode=, else the load's before it, else the plan's leg from the place. */
static enum ledger_mode leg_mode(const struct risk__run *r, uint32_t d, uint32_t last_load)
{
    const struct risk__step *s = &r->steps[d];
    const char *m = ledger_event_attr(s->ev, "mode");
    if (!m && last_load != RISK__NONE) m = ledger_event_attr(r->steps[last_load].ev, "mode");
    if (m && ledger_mode_parse(m) != LEDGER_MODE_NONE) return ledger_mode_parse(m);
    if (s->plan < 0) return LEDGER_MODE_NONE;
    const struct ledger_plan *pl = &r->plans[s->plan].plan;
    for (size_t k = 0; k + 1 < pl->stop_count; k++)
        if (strcmp(pl->stops[k].locode, s->ev->location) == 0) return pl->stops[k].leg_mode;
    return LEDGER_MODE_NONE;
}

int risk__run_build(struct risk__run *r, char *msg, size_t msg_len)
{
    const struct risk_input *in = r->in;
    if (!in->events || in->count == 0)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "no events: an item's chain starts with its commission");
    if (!in->g) return wb_failf(WB_ERR_INVALID, msg, msg_len, "no genesis given");
    if (in->count > UINT32_MAX - 1)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "%zu events: too many", in->count);
    const struct ledger_evidence *e = in->evidence;
    if (e && !e->finished)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "the evidence is not finished (ledger_evidence_finish)");
    if (e && e->events != in->count)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "the evidence is of %u events, the chain has %zu", e->events, in->count);
    r->evidence = e;
    r->count = in->count;
    r->steps = calloc(in->count, sizeof *r->steps);
    r->by_time = calloc(in->count, sizeof *r->by_time);
    r->custody = calloc(in->count, sizeof *r->custody);
    struct time_key *keys = calloc(in->count, sizeof *keys);
    size_t n_plans = 0;
    for (size_t i = 0; i < in->count; i++)
        if (in->events[i].ev && in->events[i].ev->action == LEDGER_PLAN_SET) n_plans++;
    r->plans = n_plans ? calloc(n_plans, sizeof *r->plans) : NULL;
    struct ledger_item_state *st = calloc(1, sizeof *st);
    /* Without evidence, nothing has checked the reports decode yet. */
    struct ledger_device_report *scratch = e ? NULL : malloc(sizeof *scratch);
    int rc = WB_OK;
    if (!r->steps || !r->by_time || !r->custody || !keys || !st || (n_plans && !r->plans) ||
        (!e && !scratch)) {
        rc = WB_ERR_NOMEM;
        goto done;
    }

    const struct ledger_genesis *g = in->g;
    const char *seal = "", *custodian = "";
    uint32_t seal_from = RISK__NONE, last_load = RISK__NONE, depart = RISK__NONE;
    int32_t plan = -1;
    char why[200];
    for (size_t i = 0; i < in->count; i++) {
        const struct ledger_event *ev = in->events[i].ev;
        if (!ev) {
            rc = invalid(msg, msg_len, i, NULL, "missing");
            goto done;
        }
        if (i == 0 && ev->action != LEDGER_COMMISSION) {
            rc = invalid(msg, msg_len, i, ev, "an item's chain starts with its commission");
            goto done;
        }
        if (i > 0 && ev->action == LEDGER_COMMISSION) {
            rc = invalid(msg, msg_len, i, ev, "an item is commissioned once");
            goto done;
        }
        if (i > 0 && strcmp(ev->item, in->events[0].ev->item) != 0) {
            rc = invalid(msg, msg_len, i, ev, "the event is about another item");
            goto done;
        }
        if (i > 0 && (!ev->has_prev || memcmp(ev->prev, st->head, WB_HASH_LEN) != 0)) {
            rc = invalid(msg, msg_len, i, ev, "its prev is not the event before it");
            goto done;
        }
        int org_i = ledger_genesis_org_of_key(g, ev->submitter);
        if (org_i < 0) {
            rc = invalid(msg, msg_len, i, ev,
                         "its submitter is not a member key of the registry given");
            goto done;
        }
        struct risk__step *s = &r->steps[i];
        s->ev = ev;
        s->in = &in->events[i];
        s->index = (uint32_t)i;
        s->time_ms = ev->time_ms;
        s->org = g->orgs[org_i].name;
        s->seal_before = seal;
        s->seal_from = seal_from;
        s->movement_before = st->movement;
        s->customs_before = st->customs;
        s->status_before = st->status;
        s->out_of_order = i > 0 && ledger_rules_out_of_order(st, ev);
        s->plan = plan;
        s->leg_from = s->leg_to = RISK__NONE;
        if (ev->action == LEDGER_PLAN_SET) {
            struct risk__plan *pv = &r->plans[r->plan_count];
            if (ledger_plan_decode(ev, &pv->plan, why, sizeof why) != WB_OK) {
                rc = invalid(msg, msg_len, i, ev, why);
                goto done;
            }
            pv->index = (uint32_t)i;
            pv->set_by = s->org;
            plan = (int32_t)r->plan_count++;
        }
        if (ev->action == LEDGER_SEAL && !ledger_event_attr(ev, "seal")) {
            rc = invalid(msg, msg_len, i, ev, "a seal without its attribute seal");
            goto done;
        }
        /* What ledger_rules_apply relies on, checked rather than trusted
         * (a history is a node's word), as ledger_evidence_add does. */
        bool link = ev->action == LEDGER_DEVICE_ATTACH || ev->action == LEDGER_DEVICE_DETACH;
        if (link && !device_attr_ok(ev)) {
            rc = invalid(msg, msg_len, i, ev, "attribute device is not a device key");
            goto done;
        }
        if (ev->action == LEDGER_DEVICE_ATTACH && st->device_count >= WB_ITEM_DEVICES_MAX) {
            rc = invalid(msg, msg_len, i, ev, "more devices attached than an item takes");
            goto done;
        }
        if (ledger_action_is_report(ev->action)) {
            r->has_reports[ev->action] = true;
            if (scratch && (ledger_device_report_decode(ev->device_report, ev->device_report_len,
                                                        scratch, why, sizeof why) != WB_OK ||
                            scratch->kind != ev->action)) {
                rc = invalid(msg, msg_len, i, ev, "its device report does not decode");
                goto done;
            }
        }

        ledger_rules_apply(st, ev, g, in->events[i].height);

        if (ev->action == LEDGER_SEAL) {
            seal = ledger_event_attr(ev, "seal");
            seal_from = (uint32_t)i;
        } else if (ev->action == LEDGER_UNSEAL || ev->action == LEDGER_COMMISSION) {
            seal = "";
            seal_from = RISK__NONE;
        }
        WB_ASSERT(strcmp(seal, st->seal) == 0);
        if (strcmp(custodian, st->custodian) != 0) {
            int c = ledger_genesis_org_by_name(g, st->custodian);
            if (c < 0) {
                rc = invalid(msg, msg_len, i, ev, "its custodian is not a member");
                goto done;
            }
            custodian = g->orgs[c].name;
            r->custody[r->custody_count].from_ms = ev->time_ms;
            r->custody[r->custody_count].org = custodian;
            size_t at = r->custody_count++;
            /* sorted by time, ties in chain order */
            while (at > 0 && r->custody[at - 1].from_ms > ev->time_ms) {
                struct risk__custody t = r->custody[at - 1];
                r->custody[at - 1] = r->custody[at];
                r->custody[at] = t;
                at--;
            }
        }
        s->custodian = custodian;
        snprintf(s->location, sizeof s->location, "%s", st->location);
        s->movement_after = st->movement;
        s->customs_after = st->customs;
        s->status_after = st->status;
        if (ev->action == LEDGER_LOAD) last_load = (uint32_t)i;
        if (ev->action == LEDGER_DEPART) {
            depart = (uint32_t)i;
            s->leg_mode = leg_mode(r, depart, last_load);
        }
        if (depart != RISK__NONE) {
            s->leg_from = depart;
            s->leg_mode = r->steps[depart].leg_mode;
        }
        if (ev->action == LEDGER_ARRIVE && depart != RISK__NONE) {
            for (uint32_t k = depart; k <= i; k++) r->steps[k].leg_to = (uint32_t)i;
            depart = RISK__NONE;
        }
        keys[i].t = ev->time_ms;
        keys[i].i = (uint32_t)i;
    }
    qsort(keys, in->count, sizeof *keys, time_key_cmp);
    for (size_t i = 0; i < in->count; i++) r->by_time[i] = keys[i].i;

done:
    free(scratch);
    free(st);
    free(keys);
    return rc;
}

void risk__run_free(struct risk__run *r)
{
    free(r->steps);
    free(r->by_time);
    free(r->custody);
    free(r->plans);
    r->steps = NULL;
    r->by_time = NULL;
    r->custody = NULL;
    r->plans = NULL;
}

uint32_t risk__step_at(const struct risk__run *r, int64_t t_ms)
{
    size_t lo = 0, hi = r->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->steps[r->by_time[mid]].time_ms <= t_ms) lo = mid + 1;
        else hi = mid;
    }
    return lo == 0 ? RISK__NONE : r->by_time[lo - 1];
}

const char *risk__custodian_at(const struct risk__run *r, int64_t t_ms)
{
    size_t lo = 0, hi = r->custody_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->custody[mid].from_ms <= t_ms) lo = mid + 1;
        else hi = mid;
    }
    return lo == 0 ? "" : r->custody[lo - 1].org;
}

/* ---- raising flags ---------------------------------------------------------------- */

struct risk_flag *risk__raise(struct risk__run *r, enum risk_flag_code code, int64_t time_ms,
                              const char *custodian)
{
    struct risk_report *out = r->out;
    WB_ASSERT((unsigned)code < RISK_FLAG_COUNT);
    out->counts[code]++;
    uint32_t w = r->p->weight[code];
    out->score = out->score > UINT32_MAX - w ? UINT32_MAX : out->score + w;
    struct risk_flag *f;
    if (out->flag_count < RISK_FLAGS_MAX) {
        f = &out->flags[out->flag_count++];
    } else {
        out->flags_dropped++;
        f = &r->spare;
    }
    memset(f, 0, sizeof *f);
    f->code = code;
    f->severity = risk_flag_severity(code);
    f->time_ms = time_ms;
    f->basis = RISK_BASIS_POLICY;
    snprintf(f->custodian, sizeof f->custodian, "%s", custodian ? custodian : "");
    return f;
}

void risk__name_event(const struct risk__run *r, struct risk_flag *f, uint32_t index)
{
    if (index >= r->count) return;
    for (size_t k = 0; k < f->event_count; k++)
        if (f->event_index[k] == index) return;
    if (f->event_count >= RISK_FLAG_EVENTS_MAX) return;
    memcpy(f->events[f->event_count], r->steps[index].ev->id, WB_HASH_LEN);
    f->event_index[f->event_count++] = index;
}

/* Cuts s (its buffer cap bytes, vsnprintf wrote want) at a character
 * boundary when it did not fit; with stop, makes it end in a full stop. */
static void finish_text(char *s, size_t cap, int want, bool stop)
{
    size_t len = want < 0 ? 0 : (size_t)want;
    if (len >= cap) {
        size_t pos = cap - 1;
        /* a continuation byte of UTF-8 (10xxxxxx) is not a boundary */
        while (pos > 0 && ((unsigned char)s[pos] & 0xC0) == 0x80) pos--;
        s[pos] = '\0';
        len = pos;
        if (stop && len > 0) {
            while (len > 0 && ((unsigned char)s[len - 1] & 0xC0) == 0x80) len--;
            if (len > 0) len--;
            s[len] = '.';
            s[len + 1] = '\0';
            return;
        }
    }
    if (!stop) return;
    if (len == 0) {
        snprintf(s, cap, ".");
    } else if (s[len - 1] != '.') {
        if (len + 1 < cap) {
            s[len] = '.';
            s[len + 1] = '\0';
        } else {
            s[len - 1] = '.';
        }
    }
}

void risk__text(struct risk_flag *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(f->text, sizeof f->text, fmt, ap);
    va_end(ap);
    finish_text(f->text, sizeof f->text, n, true);
}

void risk__basis(struct risk_flag *f, enum risk_basis basis, const char *fmt, ...)
{
    f->basis = basis;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(f->basis_text, sizeof f->basis_text, fmt, ap);
    va_end(ap);
    finish_text(f->basis_text, sizeof f->basis_text, n, false);
}

void risk__not_evaluable(struct risk__run *r, enum risk_flag_code code, const char *fmt, ...)
{
    struct risk_report *out = r->out;
    if (out->not_evaluable[code]) return;
    out->not_evaluable[code] = true;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out->not_evaluable_why[code], sizeof out->not_evaluable_why[code], fmt, ap);
    va_end(ap);
    finish_text(out->not_evaluable_why[code], sizeof out->not_evaluable_why[code], n, false);
}

/* ---- words ------------------------------------------------------------------------ */

/* "handover", "inspection", ...: what a sentence calls an event. */
const char *risk__event_noun(enum ledger_action a)
{
    switch (a) {
    case LEDGER_COMMISSION: return "commission";
    case LEDGER_SEAL: return "sealing";
    case LEDGER_UNSEAL: return "unsealing";
    case LEDGER_LOAD: return "load";
    case LEDGER_DEPART: return "departure";
    case LEDGER_ARRIVE: return "arrival";
    case LEDGER_UNLOAD: return "unload";
    case LEDGER_HANDOVER: return "handover";
    case LEDGER_RECEIVE: return "receipt";
    case LEDGER_INSPECT: return "inspection";
    case LEDGER_HOLD: return "customs hold";
    case LEDGER_RELEASE: return "customs release";
    case LEDGER_CLEAR: return "customs clearance";
    case LEDGER_DELIVER: return "delivery";
    case LEDGER_DEVICE_ATTACH: return "device attachment";
    case LEDGER_DEVICE_DETACH: return "device detachment";
    case LEDGER_SEAL_STATUS: return "seal report";
    case LEDGER_POSITION: return "position report";
    case LEDGER_READING: return "sensor report";
    case LEDGER_PLAN_SET: return "route plan";
    default: break;
    }
    return "event";
}

/* v with one decimal, ".0" dropped. */
static void one_decimal(char *out, size_t cap, double v, const char *unit)
{
    long tenths = (long)(v * 10.0 + 0.5);
    if (tenths % 10 == 0) snprintf(out, cap, "%ld %s", tenths / 10, unit);
    else snprintf(out, cap, "%ld.%ld %s", tenths / 10, tenths % 10, unit);
}

char *risk__dur(int64_t ms, char *out, size_t cap)
{
    if (ms < 0) {
        char pos[48];
        snprintf(out, cap, "-%s", risk__dur(ms == INT64_MIN ? INT64_MAX : -ms, pos, sizeof pos));
        return out;
    }
    if (ms < 60000) snprintf(out, cap, "%lld s", (long long)((ms + 500) / 1000));
    else if (ms < 2 * RISK__HOUR_MS) snprintf(out, cap, "%lld min", (long long)((ms + 30000) / 60000));
    else if (ms < 48 * RISK__HOUR_MS) one_decimal(out, cap, (double)ms / (double)RISK__HOUR_MS, "h");
    else one_decimal(out, cap, (double)ms / (double)RISK__DAY_MS, "d");
    return out;
}

char *risk__time(int64_t ms, char *out, size_t cap)
{
    char t[LEDGER_TIME_MAX];
    snprintf(out, cap, "%s", ledger_time_format(ms, t));
    return out;
}

const struct ledger_locode *risk__coords(const char *location)
{
    if (!location || strlen(location) != 5) return NULL;
    return ledger_locode_find(location);
}

char *risk__place(const char *code, char *out, size_t cap)
{
    const struct ledger_locode *l = risk__coords(code);
    if (l && l->name && l->name[0]) snprintf(out, cap, "%s (%s)", code, l->name);
    else snprintf(out, cap, "%s", code ? code : "");
    return out;
}

bool risk__country(const char *location, char cc[3])
{
    if (!location || strlen(location) != 5 || !ledger_locode_ok(location, 5)) return false;
    cc[0] = location[0];
    cc[1] = location[1];
    cc[2] = '\0';
    return true;
}

uint32_t risk__speed_kmh(const struct risk_policy *p, enum ledger_mode m)
{
    return (unsigned)m < RISK_MODES ? p->speed_kmh[m] : p->speed_kmh[LEDGER_MODE_NONE];
}

/* ---- points ----------------------------------------------------------------------- */

static int point_cmp(const void *a, const void *b)
{
    const struct risk__point *x = a, *y = b;
    if (x->time_ms != y->time_ms) return x->time_ms < y->time_ms ? -1 : 1;
    if (x->step != y->step) return x->step < y->step ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A fix without an accuracy: what a tracker's GPS usually manages. */
#define FIX_RADIUS_DEFAULT_M 500.0

int risk__points(const struct risk__run *r, bool with_fixes, struct risk__point **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t want = 0;
    for (size_t i = 0; i < r->count; i++)
        if (r->steps[i].ev->location[0]) want++;
    const struct ledger_evidence *e = r->evidence;
    if (with_fixes && e)
        for (size_t i = 0; i < e->obs_count; i++)
            if (e->reports[e->obs[i].report].kind == LEDGER_POSITION) want++;
    if (want == 0) return WB_OK;
    struct risk__point *p = calloc(want, sizeof *p);
    if (!p) return WB_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < r->count; i++) {
        const struct ledger_event *ev = r->steps[i].ev;
        if (!ev->location[0]) continue;
        struct risk__point *q = &p[k];
        q->time_ms = ev->time_ms;
        q->step = (uint32_t)i;
        q->seq = (uint32_t)k;
        snprintf(q->place, sizeof q->place, "%s", ev->location);
        const struct ledger_locode *l = risk__coords(ev->location);
        if (l) {
            q->has_coords = true;
            q->lat_e6 = l->lat_e6;
            q->lon_e6 = l->lon_e6;
            q->radius_m = RISK__PLACE_RADIUS_M;
        }
        k++;
    }
    if (with_fixes && e)
        for (size_t i = 0; i < e->obs_count; i++) {
            const struct ledger_evidence_obs *o = &e->obs[i];
            const struct ledger_evidence_report *rep = &e->reports[o->report];
            if (rep->kind != LEDGER_POSITION) continue;
            struct risk__point *q = &p[k];
            q->time_ms = o->time_ms;
            q->step = rep->event_no;
            q->seq = (uint32_t)k;
            q->fix = true;
            q->has_coords = true;
            q->lat_e6 = o->lat_e6;
            q->lon_e6 = o->lon_e6;
            q->radius_m = o->accuracy_m ? (double)o->accuracy_m : FIX_RADIUS_DEFAULT_M;
            snprintf(q->place, sizeof q->place, "%s", o->locode);
            k++;
        }
    qsort(p, k, sizeof *p, point_cmp);
    *out = p;
    *n = k;
    return WB_OK;
}
