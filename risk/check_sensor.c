/* SENSOR_EXCURSION (docs/risk.md, "Declared sensor ranges"): device
 * readings outside the range the commission declared for the item. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/device.h"
#include "ledger/evidence.h"
#include "risk/checks.h"

#define MEASURES 5 /* enum ledger_measure, NONE included */

/* The commission attributes that declare a range, by measure. */
static const struct {
    const char *key;
    enum ledger_measure measure;
    bool max;
} range_attrs[] = {
    {"temp_min", LEDGER_MEASURE_TEMPERATURE, false},
    {"temp_max", LEDGER_MEASURE_TEMPERATURE, true},
    {"humidity_min", LEDGER_MEASURE_HUMIDITY, false},
    {"humidity_max", LEDGER_MEASURE_HUMIDITY, true},
    {"shock_max", LEDGER_MEASURE_SHOCK, true},
    {"light_max", LEDGER_MEASURE_LIGHT, true},
};

struct range {
    bool has_min, has_max;
    int64_t min_milli, max_milli;
};

/* "-12.5" -> -12500: an optional minus, digits, up to 3 decimals. */
static bool parse_milli(const char *s, int64_t *out)
{
    bool neg = *s == '-';
    if (neg) s++;
    if (*s < '0' || *s > '9') return false;
    int64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > INT64_C(1000000000000)) return false;
        v = v * 10 + (*s - '0');
    }
    v *= 1000;
    if (*s == '.') {
        s++;
        int64_t scale = 100;
        if (*s < '0' || *s > '9') return false;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (scale == 0) return false;
            v += (*s - '0') * scale;
            scale /= 10;
        }
    }
    if (*s) return false;
    *out = neg ? -v : v;
    return true;
}

struct excursion {
    struct risk_flag *f;
    bool above;
    int64_t bound, extreme;
    int64_t first_ms, last_ms;
    size_t readings;
    const char *custodian;
};

static void excursion_words(struct excursion *x, enum ledger_measure m)
{
    char bound[32], ext[32], t1[LEDGER_TIME_MAX], t2[LEDGER_TIME_MAX], who[WB_ORG_MAX + 32] = "";
    const char *unit = ledger_measure_unit(m);
    ledger_evidence_milli_text(x->bound, bound, sizeof bound);
    ledger_evidence_milli_text(x->extreme, ext, sizeof ext);
    if (x->custodian[0]) snprintf(who, sizeof who, " while in the custody of '%s'", x->custodian);
    const char *side = x->above ? "above the declared maximum" : "below the declared minimum";
    if (x->readings == 1)
        risk__text(x->f, "A %s reading of %s %s at %s is %s of %s %s%s.", ledger_measure_name(m),
                   ext, unit, risk__time(x->first_ms, t1, sizeof t1), side, bound, unit, who);
    else
        risk__text(x->f,
                   "%zu %s readings from %s to %s were %s of %s %s, %s %s %s%s.", x->readings,
                   ledger_measure_name(m), risk__time(x->first_ms, t1, sizeof t1),
                   risk__time(x->last_ms, t2, sizeof t2), side, bound, unit,
                   x->above ? "up to" : "down to", ext, unit, who);
    risk__basis(x->f, RISK_BASIS_POLICY, "declared at commission: %s %s %s",
                x->above ? "max" : "min", bound, unit);
}

int risk__check_sensor_excursion(struct risk__run *r)
{
    struct range ranges[MEASURES] = {0};
    const struct ledger_event *c = r->steps[0].ev;
    const char *bad = NULL, *bad_value = NULL;
    bool any = false;
    for (size_t k = 0; k < sizeof range_attrs / sizeof range_attrs[0]; k++) {
        const char *v = ledger_event_attr(c, range_attrs[k].key);
        if (!v) continue;
        int64_t milli;
        if (!parse_milli(v, &milli)) {
            if (!bad) {
                bad = range_attrs[k].key;
                bad_value = v;
            }
            continue;
        }
        struct range *g = &ranges[range_attrs[k].measure];
        if (range_attrs[k].max) {
            g->has_max = true;
            g->max_milli = milli;
        } else {
            g->has_min = true;
            g->min_milli = milli;
        }
        any = true;
    }
    if (!r->has_reports[LEDGER_READING]) return WB_OK;
    if (!any) {
        if (bad)
            risk__not_evaluable(r, RISK_SENSOR_EXCURSION,
                                "the commission's %s '%s' is not a number", bad, bad_value);
        else
            risk__not_evaluable(r, RISK_SENSOR_EXCURSION,
                                "no sensor range declared at commission (temp_min, temp_max, "
                                "humidity_min, humidity_max, shock_max, light_max)");
        return WB_OK;
    }
    const struct ledger_evidence *e = r->evidence;
    if (!e) {
        risk__not_evaluable(r, RISK_SENSOR_EXCURSION, "the device evidence was not given");
        return WB_OK;
    }
    struct excursion run[MEASURES] = {0};
    for (size_t i = 0; i < e->obs_count; i++) {
        const struct ledger_evidence_obs *o = &e->obs[i];
        const struct ledger_evidence_report *rep = &e->reports[o->report];
        if (rep->kind != LEDGER_READING || o->measure >= MEASURES) continue;
        enum ledger_measure m = (enum ledger_measure)o->measure;
        const struct range *g = &ranges[m];
        bool above = g->has_max && o->value_milli > g->max_milli;
        bool below = g->has_min && o->value_milli < g->min_milli;
        struct excursion *x = &run[m];
        if (x->f && (!(above || below) || x->above != above)) x->f = NULL;
        if (!above && !below) continue;
        const char *who = ledger_evidence_custodian(e, o->custodian);
        if (!x->f) {
            x->f = risk__raise(r, RISK_SENSOR_EXCURSION, o->time_ms, who);
            x->above = above;
            x->bound = above ? g->max_milli : g->min_milli;
            x->extreme = o->value_milli;
            x->first_ms = o->time_ms;
            x->readings = 0;
            x->custodian = who;
        }
        x->readings++;
        x->last_ms = o->time_ms;
        x->f->time_ms = o->time_ms;
        if (above ? o->value_milli > x->extreme : o->value_milli < x->extreme)
            x->extreme = o->value_milli;
        risk__name_event(r, x->f, rep->event_no);
        excursion_words(x, m);
    }
    /* Reports whose readings the evidence counted but did not keep: their
     * range, when of one measure. */
    for (size_t i = 0; i < e->report_count; i++) {
        const struct ledger_evidence_report *rep = &e->reports[i];
        if (rep->kind != LEDGER_READING || rep->obs_kept == rep->obs_count || rep->measure_mixed ||
            rep->measure >= MEASURES)
            continue;
        const struct range *g = &ranges[rep->measure];
        bool above = g->has_max && rep->max_milli > g->max_milli;
        bool below = g->has_min && rep->min_milli < g->min_milli;
        if (!above && !below) continue;
        struct excursion x = {
            .above = above,
            .bound = above ? g->max_milli : g->min_milli,
            .extreme = above ? rep->max_milli : rep->min_milli,
            .first_ms = rep->first_ms,
            .last_ms = rep->last_ms,
            .readings = rep->obs_count,
            .custodian = ledger_evidence_custodian(e, rep->custodian_first),
        };
        x.f = risk__raise(r, RISK_SENSOR_EXCURSION, rep->last_ms, x.custodian);
        risk__name_event(r, x.f, rep->event_no);
        excursion_words(&x, rep->measure);
    }
    return WB_OK;
}
