/* An item's device evidence as text and JSON (cli/evidence_print.h). */
#include "cli/evidence_print.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/print.h"
#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/device.h"
#include "ledger/plan.h"

#define EP_REPORT_COLS 11
#define EP_SEAL_COLS 7
#define EP_STOP_COLS 5
#define EP_NAME_MAX 80

static const struct ledger_evidence_device *ep_device(const struct ledger_evidence *e,
                                                      uint32_t i)
{
    return &e->devices[i];
}

/* The device's serial, or its key's first hex digits when no registry
 * named it. */
static const char *ep_device_label(const struct ledger_evidence_device *d, char *out, size_t cap)
{
    char h[PRINT_SHORT_HEX];
    if (d->known) return print_safe(d->serial, out, cap);
    snprintf(out, cap, "%s...", print_short_hex(d->key, h));
    return out;
}

static const char *ep_kind(const struct ledger_evidence_device *d)
{
    const char *k = d->known ? ledger_device_kind_name(d->kind) : NULL;
    return k ? k : "?";
}

static const char *ep_owner(const struct ledger_evidence_device *d, char *out, size_t cap)
{
    return d->known ? print_safe(d->owner, out, cap) : "unknown";
}

/* "acme", or "acme -> oceanic" when custody changed within the report. */
static const char *ep_custodians(const struct ledger_evidence *e,
                                 const struct ledger_evidence_report *r, char *out, size_t cap)
{
    char a[EP_NAME_MAX], b[EP_NAME_MAX];
    const char *first = ledger_evidence_custodian(e, r->custodian_first);
    const char *last = ledger_evidence_custodian(e, r->custodian_last);
    print_safe(first[0] ? first : "-", a, sizeof a);
    if (strcmp(first, last) == 0) snprintf(out, cap, "%s", a);
    else snprintf(out, cap, "%s -> %s", a, print_safe(last[0] ? last : "-", b, sizeof b));
    return out;
}

/* What a report says in a few words: the range of its readings, or its
 * last observation. */
static const char *ep_summary(const struct ledger_evidence *e,
                              const struct ledger_evidence_report *r, char *out, size_t cap)
{
    if (r->kind == LEDGER_READING) {
        char lo[32], hi[32];
        const char *name = ledger_measure_name(r->measure);
        const char *unit = ledger_measure_unit(r->measure);
        ledger_evidence_milli_text(r->min_milli, lo, sizeof lo);
        ledger_evidence_milli_text(r->max_milli, hi, sizeof hi);
        if (r->measure_mixed) snprintf(out, cap, "mixed measures, %s .. %s", lo, hi);
        else if (r->min_milli == r->max_milli)
            snprintf(out, cap, "%s %s %s", name ? name : "?", lo, unit ? unit : "");
        else snprintf(out, cap, "%s %s .. %s %s", name ? name : "?", lo, hi, unit ? unit : "");
        return out;
    }
    if (!r->obs_kept) return "-";
    char t[WB_EVIDENCE_TEXT_MAX];
    const struct ledger_evidence_obs *o = &e->obs[r->obs_first + r->obs_kept - 1];
    snprintf(out, cap, "%s%s", r->obs_count > 1 ? "last " : "",
             ledger_evidence_obs_text(e, o, t, sizeof t));
    return out;
}

static void ep_reports(const struct ledger_evidence *e, struct print_table *t)
{
    static const char *const header[EP_REPORT_COLS] = {
        "#", "HEIGHT", "DEVICE", "KIND", "OWNER", "REPORT", "OBS", "FROM", "TO", "CUSTODIAN",
        "SUMMARY"};
    print_table_init(t, EP_REPORT_COLS, header);
    for (size_t i = 0; i < e->report_count; i++) {
        const struct ledger_evidence_report *r = &e->reports[i];
        const struct ledger_evidence_device *d = ep_device(e, r->device);
        char no[16], height[24], dev[EP_NAME_MAX], owner[EP_NAME_MAX], n[16];
        char from[PRINT_TIME_MAX], to[PRINT_TIME_MAX], cust[2 * EP_NAME_MAX + 8];
        char summary[WB_EVIDENCE_TEXT_MAX + 16];
        snprintf(no, sizeof no, "%" PRIu32, r->event_no);
        snprintf(height, sizeof height, "%" PRIu64, r->height);
        snprintf(n, sizeof n, "%" PRIu32, r->obs_count);
        const char *row[EP_REPORT_COLS] = {no,
                                           height,
                                           ep_device_label(d, dev, sizeof dev),
                                           ep_kind(d),
                                           ep_owner(d, owner, sizeof owner),
                                           ledger_action_name(r->kind),
                                           n,
                                           print_time(r->first_ms, from),
                                           print_time(r->last_ms, to),
                                           ep_custodians(e, r, cust, sizeof cust),
                                           ep_summary(e, r, summary, sizeof summary)};
        print_table_add(t, row);
    }
}

/* Every seal_status observation; returns how many. */
static size_t ep_seals(const struct ledger_evidence *e, struct print_table *t)
{
    static const char *const header[EP_SEAL_COLS] = {"TIME",      "DEVICE", "SEAL", "STATE",
                                                     "CUSTODIAN", "OWNER",  "EVENT"};
    print_table_init(t, EP_SEAL_COLS, header);
    size_t n = 0;
    for (size_t i = 0; i < e->obs_count; i++) {
        const struct ledger_evidence_obs *o = &e->obs[i];
        const struct ledger_evidence_report *r = &e->reports[o->report];
        if (r->kind != LEDGER_SEAL_STATUS) continue;
        const struct ledger_evidence_device *d = ep_device(e, r->device);
        char when[PRINT_TIME_MAX], dev[EP_NAME_MAX], owner[EP_NAME_MAX], cust[EP_NAME_MAX];
        char event[PRINT_SHORT_HEX + 24], id[PRINT_SHORT_HEX];
        const char *seal = ledger_evidence_obs_seal(e, o);
        const char *state = ledger_seal_state_name((enum ledger_seal_state)o->seal_state);
        const char *c = ledger_evidence_custodian(e, o->custodian);
        snprintf(event, sizeof event, "#%" PRIu32 " %s", r->event_no,
                 print_short_hex(r->event, id));
        const char *row[EP_SEAL_COLS] = {print_time(o->time_ms, when),
                                         ep_device_label(d, dev, sizeof dev),
                                         seal[0] ? seal : "-",
                                         state ? state : "?",
                                         c[0] ? print_safe(c, cust, sizeof cust) : "-",
                                         ep_owner(d, owner, sizeof owner),
                                         event};
        print_table_add(t, row);
        n++;
    }
    return n;
}

static void ep_stops(const struct ledger_plan *p, struct print_table *t)
{
    static const char *const header[EP_STOP_COLS] = {"STOP", "LOCODE", "ARRIVE FROM",
                                                     "ARRIVE TO", "LEG"};
    print_table_init(t, EP_STOP_COLS, header);
    for (size_t i = 0; i < p->stop_count; i++) {
        const struct ledger_plan_stop *s = &p->stops[i];
        char no[24], from[PRINT_TIME_MAX], to[PRINT_TIME_MAX];
        snprintf(no, sizeof no, "%zu", i + 1);
        const char *mode = ledger_mode_name(s->leg_mode);
        const char *row[EP_STOP_COLS] = {no, s->locode, print_time(s->arrive_from_ms, from),
                                         print_time(s->arrive_to_ms, to), mode ? mode : "-"};
        print_table_add(t, row);
    }
}

/* Prints table t (if it has rows beyond its header) and frees it. */
static int ep_table_out(struct print_table *t, FILE *f)
{
    int rc = t->rows > 1 || t->failed ? print_table_out(t, f) : WB_OK;
    print_table_free(t);
    return rc;
}

int evidence_print_text(const struct ledger_evidence *e, FILE *f)
{
    int rc = WB_OK;
    struct print_table t;
    if (e->report_count == 0) {
        fprintf(f, "Evidence: no device reports\n");
    } else {
        fprintf(f, "Evidence: %zu device report%s (%zu observation%s) from %zu device%s\n",
                e->report_count, e->report_count == 1 ? "" : "s", e->obs_total,
                e->obs_total == 1 ? "" : "s", e->device_count, e->device_count == 1 ? "" : "s");
        ep_reports(e, &t);
        rc = ep_table_out(&t, f);
        if (e->obs_dropped)
            fprintf(f, "(%zu observations beyond the first %u are counted, not kept)\n",
                    e->obs_dropped, WB_EVIDENCE_OBS_MAX);
        size_t seals = ep_seals(e, &t);
        if (seals) fprintf(f, "Seal observations:\n");
        if (ep_table_out(&t, f) != WB_OK) rc = WB_ERR_NOMEM;
    }
    fputc('\n', f);
    if (e->plan_count == 0) {
        fprintf(f, "Plan: none recorded\n");
    } else {
        const struct ledger_evidence_plan *p = &e->plans[e->plan_count - 1];
        char when[PRINT_TIME_MAX], by[EP_NAME_MAX];
        fprintf(f,
                "Plan: %zu version%s; in effect: version %zu, set by %s at %s (#%" PRIu32
                ", height %" PRIu64 "), corridor %" PRIu32 " km\n",
                e->plan_count, e->plan_count == 1 ? "" : "s", e->plan_count,
                print_safe(p->set_by, by, sizeof by), print_time(p->time_ms, when), p->event_no,
                p->height, p->plan.corridor_km);
        ep_stops(&p->plan, &t);
        if (ep_table_out(&t, f) != WB_OK) rc = WB_ERR_NOMEM;
    }
    fputc('\n', f);
    if (e->finding_count == 0 && e->findings_dropped == 0) {
        fprintf(f, "Findings: none\n");
        return rc;
    }
    fprintf(f, "Findings: %zu\n", e->finding_count + e->findings_dropped);
    for (size_t i = 0; i < e->finding_count; i++) {
        const struct ledger_evidence_finding *x = &e->findings[i];
        char reason[WB_EVIDENCE_REASON_MAX], id[PRINT_SHORT_HEX];
        fprintf(f, "%s: %s (report #%" PRIu32 ", %s)\n", ledger_evidence_finding_name(x->kind),
                print_safe(x->reason, reason, sizeof reason), e->reports[x->report].event_no,
                print_short_hex(x->event, id));
    }
    if (e->findings_dropped)
        fprintf(f, "(%zu more beyond the first %u are counted, not kept)\n", e->findings_dropped,
                WB_EVIDENCE_FINDINGS_MAX);
    return rc;
}

/* ---- JSON ---------------------------------------------------------------------- */

/* Sets key to value (stealing it); false when either is missing. */
static bool ep_set(json_t *o, const char *key, json_t *value)
{
    if (!o || !value) {
        json_decref(value);
        return false;
    }
    return json_object_set_new(o, key, value) == 0;
}

static json_t *ep_text_or_null(const char *s) { return s[0] ? print_json_text(s) : json_null(); }

static bool ep_time(json_t *o, const char *name, int64_t ms)
{
    char key[48], when[PRINT_TIME_MAX];
    snprintf(key, sizeof key, "%s_ms", name);
    return ep_set(o, key, json_integer((json_int_t)ms)) &&
           ep_set(o, name, json_string(print_time(ms, when)));
}

static json_t *ep_device_json(const struct ledger_evidence_device *d)
{
    json_t *o = json_object();
    const char *kind = d->known ? ledger_device_kind_name(d->kind) : NULL;
    bool ok = ep_set(o, "key", print_json_hex(d->key, WB_PUBKEY_LEN)) &&
              ep_set(o, "known", json_boolean(d->known)) &&
              ep_set(o, "owner", d->known ? print_json_text(d->owner) : json_null()) &&
              ep_set(o, "kind", kind ? json_string(kind) : json_null()) &&
              ep_set(o, "serial", d->known ? print_json_text(d->serial) : json_null()) &&
              ep_set(o, "seal", ep_text_or_null(d->seal));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *ep_report_json(const struct ledger_evidence *e,
                              const struct ledger_evidence_report *r)
{
    json_t *o = json_object();
    const char *c1 = ledger_evidence_custodian(e, r->custodian_first);
    const char *c2 = ledger_evidence_custodian(e, r->custodian_last);
    bool ok = ep_set(o, "seq", json_integer((json_int_t)r->event_no)) &&
              ep_set(o, "event", print_json_hex(r->event, WB_HASH_LEN)) &&
              ep_set(o, "height", json_integer((json_int_t)r->height)) &&
              ep_time(o, "time", r->event_time_ms) &&
              ep_set(o, "action", json_string(ledger_action_name(r->kind))) &&
              ep_set(o, "gateway", print_json_text(r->gateway)) &&
              ep_set(o, "device", ep_device_json(ep_device(e, r->device))) &&
              ep_set(o, "device_seq", json_integer((json_int_t)r->device_seq)) &&
              ep_set(o, "observations", json_integer((json_int_t)r->obs_count)) &&
              ep_set(o, "observations_kept", json_integer((json_int_t)r->obs_kept)) &&
              ep_time(o, "first_time", r->first_ms) && ep_time(o, "last_time", r->last_ms) &&
              ep_set(o, "custodian_first", ep_text_or_null(c1)) &&
              ep_set(o, "custodian_last", ep_text_or_null(c2));
    if (ok && r->kind == LEDGER_READING) {
        const char *m = r->measure_mixed ? NULL : ledger_measure_name(r->measure);
        const char *u = r->measure_mixed ? NULL : ledger_measure_unit(r->measure);
        ok = ep_set(o, "measure", m ? json_string(m) : json_null()) &&
             ep_set(o, "unit", u ? json_string(u) : json_null()) &&
             ep_set(o, "min_milli", json_integer((json_int_t)r->min_milli)) &&
             ep_set(o, "max_milli", json_integer((json_int_t)r->max_milli));
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *ep_obs_json(const struct ledger_evidence *e, const struct ledger_evidence_obs *o)
{
    const struct ledger_evidence_report *r = &e->reports[o->report];
    const struct ledger_evidence_device *d = ep_device(e, r->device);
    char text[WB_EVIDENCE_TEXT_MAX];
    json_t *j = json_object();
    const char *cust = ledger_evidence_custodian(e, o->custodian);
    bool ok = ep_set(j, "report", json_integer((json_int_t)o->report)) &&
              ep_set(j, "seq", json_integer((json_int_t)r->event_no)) &&
              ep_set(j, "device", print_json_hex(d->key, WB_PUBKEY_LEN)) &&
              ep_set(j, "kind", json_string(ledger_action_name(r->kind))) &&
              ep_time(j, "time", o->time_ms) &&
              ep_set(j, "custodian", ep_text_or_null(cust)) &&
              ep_set(j, "text", print_json_text(ledger_evidence_obs_text(e, o, text, sizeof text)));
    if (ok && r->kind == LEDGER_SEAL_STATUS) {
        const char *s = ledger_seal_state_name((enum ledger_seal_state)o->seal_state);
        ok = ep_set(j, "state", s ? json_string(s) : json_null()) &&
             ep_set(j, "seal", ep_text_or_null(ledger_evidence_obs_seal(e, o)));
    } else if (ok && r->kind == LEDGER_POSITION) {
        ok = ep_set(j, "lat_e6", json_integer(o->lat_e6)) &&
             ep_set(j, "lon_e6", json_integer(o->lon_e6)) &&
             ep_set(j, "accuracy_m",
                    o->accuracy_m ? json_integer((json_int_t)o->accuracy_m) : json_null()) &&
             ep_set(j, "locode", ep_text_or_null(o->locode));
    } else if (ok) {
        enum ledger_measure m = (enum ledger_measure)o->measure;
        const char *name = ledger_measure_name(m), *unit = ledger_measure_unit(m);
        ok = ep_set(j, "measure", name ? json_string(name) : json_null()) &&
             ep_set(j, "unit", unit ? json_string(unit) : json_null()) &&
             ep_set(j, "value_milli", json_integer((json_int_t)o->value_milli));
    }
    if (!ok) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static json_t *ep_plan_json(const struct ledger_evidence *e, size_t i)
{
    const struct ledger_evidence_plan *p = &e->plans[i];
    json_t *stops = json_array();
    for (size_t k = 0; stops && k < p->plan.stop_count; k++) {
        const struct ledger_plan_stop *s = &p->plan.stops[k];
        const char *mode = ledger_mode_name(s->leg_mode);
        json_t *so = json_object();
        if (!ep_set(so, "locode", json_string(s->locode)) ||
            !ep_time(so, "arrive_from", s->arrive_from_ms) ||
            !ep_time(so, "arrive_to", s->arrive_to_ms) ||
            !ep_set(so, "leg_mode", mode ? json_string(mode) : json_null()) ||
            json_array_append_new(stops, so) != 0) {
            json_decref(so);
            json_decref(stops);
            stops = NULL;
        }
    }
    json_t *o = json_object();
    bool ok = ep_set(o, "version", json_integer((json_int_t)(i + 1))) &&
              ep_set(o, "in_effect", json_boolean(i + 1 == e->plan_count)) &&
              ep_set(o, "seq", json_integer((json_int_t)p->event_no)) &&
              ep_set(o, "event", print_json_hex(p->event, WB_HASH_LEN)) &&
              ep_set(o, "height", json_integer((json_int_t)p->height)) &&
              ep_time(o, "time", p->time_ms) && ep_set(o, "set_by", print_json_text(p->set_by)) &&
              ep_set(o, "corridor_km", json_integer((json_int_t)p->plan.corridor_km)) &&
              ep_set(o, "stops", stops);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *ep_finding_json(const struct ledger_evidence *e,
                               const struct ledger_evidence_finding *x)
{
    const struct ledger_evidence_device *d = ep_device(e, x->device);
    const char *state = ledger_seal_state_name(x->state);
    json_t *o = json_object();
    bool ok = ep_set(o, "kind", json_string(ledger_evidence_finding_name(x->kind))) &&
              ep_set(o, "state", state ? json_string(state) : json_null()) &&
              ep_set(o, "device", print_json_hex(d->key, WB_PUBKEY_LEN)) &&
              ep_set(o, "serial", d->known ? print_json_text(d->serial) : json_null()) &&
              ep_set(o, "seal", ep_text_or_null(x->seal)) && ep_time(o, "time", x->time_ms) &&
              ep_time(o, "arming_time", x->arming_ms) &&
              ep_set(o, "arming", json_string(x->armed ? "armed" : "attached")) &&
              ep_set(o, "custodian", ep_text_or_null(x->custodian)) &&
              ep_set(o, "owner", ep_text_or_null(x->owner)) &&
              ep_set(o, "event", print_json_hex(x->event, WB_HASH_LEN)) &&
              ep_set(o, "seq", json_integer((json_int_t)e->reports[x->report].event_no)) &&
              ep_set(o, "reason", print_json_text(x->reason));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Appends value to arr (stealing it); false when either is missing. */
static bool ep_append(json_t *arr, json_t *value)
{
    if (!arr || !value) {
        json_decref(value);
        return false;
    }
    return json_array_append_new(arr, value) == 0;
}

json_t *evidence_print_json(const struct ledger_evidence *e)
{
    json_t *reports = json_array(), *obs = json_array(), *plans = json_array(),
           *findings = json_array();
    bool ok = reports && obs && plans && findings;
    for (size_t i = 0; ok && i < e->report_count; i++)
        ok = ep_append(reports, ep_report_json(e, &e->reports[i]));
    for (size_t i = 0; ok && i < e->obs_count; i++) ok = ep_append(obs, ep_obs_json(e, &e->obs[i]));
    for (size_t i = 0; ok && i < e->plan_count; i++) ok = ep_append(plans, ep_plan_json(e, i));
    for (size_t i = 0; ok && i < e->finding_count; i++)
        ok = ep_append(findings, ep_finding_json(e, &e->findings[i]));
    if (!ok) {
        json_decref(reports);
        json_decref(obs);
        json_decref(plans);
        json_decref(findings);
        return NULL;
    }
    return json_pack("{s:o, s:o, s:I, s:o, s:o, s:I}", "reports", reports, "observations", obs,
                     "observations_dropped", (json_int_t)e->obs_dropped, "plans", plans,
                     "findings", findings, "findings_dropped", (json_int_t)e->findings_dropped);
}
