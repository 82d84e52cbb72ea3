/* Device evidence of one item (ledger/evidence.h): the custody timeline,
 * the reports and their observations, the plan versions and the TAMPER
 * findings, built from the item's accepted events one at a time. */
#include "ledger/evidence.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/rules.h"

#define SEAL_NONE UINT16_MAX
#define SHORT_HEX 9

const char *ledger_evidence_finding_name(enum ledger_evidence_finding_kind k)
{
    return k == LEDGER_FINDING_TAMPER ? "TAMPER" : NULL;
}

int ledger_evidence_init(struct ledger_evidence *e)
{
    memset(e, 0, sizeof *e);
    e->scratch = malloc(sizeof *e->scratch);
    return e->scratch ? WB_OK : WB_ERR_NOMEM;
}

void ledger_evidence_free(struct ledger_evidence *e)
{
    free(e->custody);
    free(e->devices);
    free(e->reports);
    free(e->obs);
    free(e->seals);
    free(e->plans);
    free(e->findings);
    free(e->unseals);
    free(e->scratch);
    memset(e, 0, sizeof *e);
}

/* Makes room for `more` elements of `size` bytes beyond *count in *arr.
 * Nothing of the evidence changes but the capacity, so a later failure
 * leaves it as it was. */
static int reserve(void **arr, size_t *cap, size_t count, size_t more, size_t size)
{
    if (more <= *cap - count) return WB_OK;
    size_t want = *cap ? *cap : 8;
    while (want - count < more) {
        if (want > SIZE_MAX / 2 / size) return WB_ERR_NOMEM;
        want *= 2;
    }
    void *p = realloc(*arr, want * size);
    if (!p) return WB_ERR_NOMEM;
    *arr = p;
    *cap = want;
    return WB_OK;
}

/* RESERVE(e, devices, device, 1): room for 1 more in e->devices, whose
 * count and capacity are e->device_count and e->device_cap. */
#define RESERVE(e, arr, n, more) \
    reserve((void **)&(e)->arr, &(e)->n##_cap, (e)->n##_count, (more), sizeof *(e)->arr)

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* ---- custody ------------------------------------------------------------------ */

uint32_t ledger_evidence_custodian_at(const struct ledger_evidence *e, int64_t t_ms)
{
    /* custody is sorted by from_ms, ties in chain order: the last entry at
     * or before t. */
    size_t lo = 0, hi = e->custody_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->custody[mid].from_ms <= t_ms) lo = mid + 1;
        else hi = mid;
    }
    return lo == 0 ? WB_EVIDENCE_NONE : (uint32_t)(lo - 1);
}

const char *ledger_evidence_custodian(const struct ledger_evidence *e, uint32_t i)
{
    return i < e->custody_count ? e->custody[i].org : "";
}

/* Records a change of custodian (room reserved). */
static void custody_push(struct ledger_evidence *e, int64_t from_ms, uint64_t height,
                         const char *org)
{
    WB_ASSERT(e->custody_count < e->custody_cap);
    size_t at = e->custody_count;
    while (at > 0 && e->custody[at - 1].from_ms > from_ms) at--;
    memmove(&e->custody[at + 1], &e->custody[at], (e->custody_count - at) * sizeof *e->custody);
    struct ledger_evidence_custody *c = &e->custody[at];
    c->from_ms = from_ms;
    c->height = height;
    copy_str(c->org, sizeof c->org, org);
    e->custody_count++;
}

/* ---- devices -------------------------------------------------------------------- */

static long device_index(const struct ledger_evidence *e, const uint8_t key[WB_PUBKEY_LEN])
{
    for (size_t i = 0; i < e->device_count; i++)
        if (memcmp(e->devices[i].key, key, WB_PUBKEY_LEN) == 0) return (long)i;
    return -1;
}

/* The device's entry, added when new (room reserved), its registration
 * filled in from gov when gov knows it and it was not known yet. */
static struct ledger_evidence_device *device_get(struct ledger_evidence *e,
                                                 const uint8_t key[WB_PUBKEY_LEN],
                                                 const struct ledger_gov *gov, uint32_t *index)
{
    long i = device_index(e, key);
    if (i < 0) {
        WB_ASSERT(e->device_count < e->device_cap);
        i = (long)e->device_count++;
        struct ledger_evidence_device *d = &e->devices[i];
        memset(d, 0, sizeof *d);
        memcpy(d->key, key, WB_PUBKEY_LEN);
    }
    struct ledger_evidence_device *d = &e->devices[i];
    const struct ledger_gov_device *reg = gov ? ledger_gov_device_find(gov, key) : NULL;
    if (reg && !d->known) {
        d->known = true;
        copy_str(d->owner, sizeof d->owner, reg->owner);
        d->kind = reg->kind;
        copy_str(d->serial, sizeof d->serial, reg->serial);
        copy_str(d->seal, sizeof d->seal, reg->seal);
    }
    *index = (uint32_t)i;
    return d;
}

/* Attribute device= of attach and detach: 64 lowercase hex digits (as the
 * rules read it). */
static bool device_attr_key(const struct ledger_event *ev, uint8_t out[WB_PUBKEY_LEN])
{
    const char *v = ledger_event_attr(ev, "device");
    if (!v || strlen(v) != 2 * WB_PUBKEY_LEN) return false;
    for (const char *p = v; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
    return wb_hex_decode(v, out, WB_PUBKEY_LEN) == WB_OK;
}

/* ---- observations --------------------------------------------------------------- */

/* The index of seal number s among the observed ones, added when new (room
 * reserved); SEAL_NONE for "" or when the table is full. */
static uint16_t seal_index(struct ledger_evidence *e, const char *s)
{
    if (!s[0]) return SEAL_NONE;
    for (size_t i = 0; i < e->seal_count; i++)
        if (strcmp(e->seals[i], s) == 0) return (uint16_t)i;
    if (e->seal_count >= SEAL_NONE || e->seal_count >= e->seal_cap) return SEAL_NONE;
    copy_str(e->seals[e->seal_count], sizeof e->seals[0], s);
    return (uint16_t)e->seal_count++;
}

const char *ledger_evidence_obs_seal(const struct ledger_evidence *e,
                                     const struct ledger_evidence_obs *o)
{
    return o->seal < e->seal_count ? e->seals[o->seal] : "";
}

/* A finding candidate from observation `ob` of report `ri` (room reserved;
 * counted as dropped beyond the bound). */
static void finding_push(struct ledger_evidence *e, const struct ledger_evidence_device *d,
                         uint32_t di, uint32_t ri, const struct ledger_device_obs *ob)
{
    if (e->finding_count >= WB_EVIDENCE_FINDINGS_MAX) {
        e->findings_dropped++;
        return;
    }
    WB_ASSERT(e->finding_count < e->finding_cap);
    struct ledger_evidence_finding *f = &e->findings[e->finding_count++];
    memset(f, 0, sizeof *f);
    f->kind = LEDGER_FINDING_TAMPER;
    f->state = ob->seal_state;
    f->device = di;
    f->report = ri;
    memcpy(f->event, e->reports[ri].event, WB_HASH_LEN);
    f->time_ms = ob->time_ms;
    f->arming_ms = d->arming_ms;
    f->armed = d->armed_seen;
    const char *seal = ob->seal[0] ? ob->seal : d->armed_seal[0] ? d->armed_seal : d->seal;
    copy_str(f->seal, sizeof f->seal, seal);
}

/* The tamper rule's step for one seal observation of device d. */
static void seal_step(struct ledger_evidence *e, struct ledger_evidence_device *d, uint32_t di,
                      uint32_t ri, const struct ledger_device_obs *ob)
{
    enum ledger_seal_state s = ob->seal_state;
    if (s == LEDGER_SEAL_ARMED) {
        d->armed_seen = true;
        d->arming_ms = ob->time_ms;
        copy_str(d->armed_seal, sizeof d->armed_seal, ob->seal);
    } else if ((s == LEDGER_SEAL_OPENED || s == LEDGER_SEAL_TAMPERED) && d->last_state != s) {
        finding_push(e, d, di, ri, ob);
    }
    d->last_state = s;
}

/* Records report r carried by ev (room reserved). */
static void report_add(struct ledger_evidence *e, const struct ledger_event *ev, uint64_t height,
                       const char *gateway, const struct ledger_gov *gov,
                       const struct ledger_device_report *r)
{
    uint32_t di;
    struct ledger_evidence_device *d = device_get(e, r->device, gov, &di);
    if (!d->attached_seen) {
        /* A device whose attach was not fed (the rules let none report
         * without one): its arming is its attachment in the item state. */
        for (size_t i = 0; i < e->state.device_count; i++)
            if (memcmp(e->state.devices[i].device, r->device, WB_PUBKEY_LEN) == 0)
                d->arming_ms = e->state.devices[i].attached_time_ms;
        d->attached_seen = true;
    }
    WB_ASSERT(e->report_count < e->report_cap);
    uint32_t ri = (uint32_t)e->report_count++;
    struct ledger_evidence_report *rep = &e->reports[ri];
    memset(rep, 0, sizeof *rep);
    memcpy(rep->event, ev->id, WB_HASH_LEN);
    rep->event_no = e->state.count;
    rep->height = height;
    rep->event_time_ms = ev->time_ms;
    rep->kind = r->kind;
    copy_str(rep->gateway, sizeof rep->gateway, gateway);
    rep->device = di;
    rep->device_seq = r->seq;
    rep->obs_count = (uint32_t)r->obs_count;
    rep->obs_first = (uint32_t)e->obs_count;
    rep->first_ms = r->obs[0].time_ms;
    rep->last_ms = r->obs[r->obs_count - 1].time_ms;
    rep->measure = r->obs[0].measure;
    rep->min_milli = rep->max_milli = r->obs[0].value_milli;
    rep->custodian_first = rep->custodian_last = WB_EVIDENCE_NONE;
    for (size_t k = 0; k < r->obs_count; k++) {
        const struct ledger_device_obs *ob = &r->obs[k];
        if (r->kind == LEDGER_READING) {
            if (ob->measure != rep->measure) rep->measure_mixed = true;
            if (ob->value_milli < rep->min_milli) rep->min_milli = ob->value_milli;
            if (ob->value_milli > rep->max_milli) rep->max_milli = ob->value_milli;
        }
        if (r->kind == LEDGER_SEAL_STATUS) seal_step(e, d, di, ri, ob);
        e->obs_total++;
        if (e->obs_count >= WB_EVIDENCE_OBS_MAX) {
            e->obs_dropped++;
            continue;
        }
        WB_ASSERT(e->obs_count < e->obs_cap);
        struct ledger_evidence_obs *o = &e->obs[e->obs_count++];
        memset(o, 0, sizeof *o);
        o->time_ms = ob->time_ms;
        o->report = ri;
        o->custodian = WB_EVIDENCE_NONE;
        o->seal = SEAL_NONE;
        if (r->kind == LEDGER_SEAL_STATUS) {
            o->seal_state = (uint8_t)ob->seal_state;
            o->seal = seal_index(e, ob->seal);
        } else if (r->kind == LEDGER_POSITION) {
            o->lat_e6 = ob->lat_e6;
            o->lon_e6 = ob->lon_e6;
            o->accuracy_m = ob->accuracy_m;
            copy_str(o->locode, sizeof o->locode, ob->locode);
        } else {
            o->measure = (uint8_t)ob->measure;
            o->value_milli = ob->value_milli;
        }
        rep->obs_kept++;
    }
}

/* ---- add ------------------------------------------------------------------------- */

static int refuse(const struct ledger_evidence *e, const struct ledger_event *ev, char *msg,
                  size_t msg_len, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int refuse(const struct ledger_evidence *e, const struct ledger_event *ev, char *msg,
                  size_t msg_len, const char *fmt, ...)
{
    if (msg && msg_len) {
        const char *act = ledger_action_name(ev->action);
        int n = snprintf(msg, msg_len, "event %" PRIu32 " (%s): ", e->events, act ? act : "?");
        if (n >= 0 && (size_t)n < msg_len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(msg + n, msg_len - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return WB_ERR_INVALID;
}

/* Room for everything ev may add, so nothing fails after the first change. */
static int reserve_for(struct ledger_evidence *e, const struct ledger_event *ev, size_t n_obs)
{
    size_t keep = n_obs;
    if (e->obs_count + keep > WB_EVIDENCE_OBS_MAX)
        keep = e->obs_count < WB_EVIDENCE_OBS_MAX ? WB_EVIDENCE_OBS_MAX - e->obs_count : 0;
    size_t finds = ev->action == LEDGER_SEAL_STATUS ? n_obs : 0;
    if (e->finding_count + finds > WB_EVIDENCE_FINDINGS_MAX)
        finds = WB_EVIDENCE_FINDINGS_MAX - e->finding_count;
    if (RESERVE(e, custody, custody, 1) || RESERVE(e, devices, device, 1) ||
        RESERVE(e, unseals, unseal, 1) || RESERVE(e, plans, plan, 1) ||
        RESERVE(e, reports, report, 1) || RESERVE(e, obs, obs, keep) ||
        RESERVE(e, findings, finding, finds) ||
        RESERVE(e, seals, seal, ev->action == LEDGER_SEAL_STATUS ? n_obs : 0))
        return WB_ERR_NOMEM;
    return WB_OK;
}

int ledger_evidence_add(struct ledger_evidence *e, const struct ledger_event *ev,
                        uint64_t height, const struct ledger_genesis *reg,
                        const struct ledger_gov *gov, char *msg, size_t msg_len)
{
    WB_ASSERT(!e->finished);
    int org_i = ledger_genesis_org_of_key(reg, ev->submitter);
    char h[SHORT_HEX];
    if (org_i < 0)
        return refuse(e, ev, msg, msg_len, "submitter key %s... is not a member key of the "
                                           "registry in effect",
                      wb_hex_encode(ev->submitter, 4, h, sizeof h));
    if (e->events > 0 && strcmp(ev->item, e->state.item) != 0)
        return refuse(e, ev, msg, msg_len, "the event is about item %s, not %s", ev->item,
                      e->state.item);
    const char *org = reg->orgs[org_i].name;

    /* What ledger_rules_apply and the rest rely on, into locals first. */
    uint8_t key[WB_PUBKEY_LEN];
    struct ledger_plan plan;
    const struct ledger_device_report *r = NULL;
    char why[200] = "";
    bool link = ev->action == LEDGER_DEVICE_ATTACH || ev->action == LEDGER_DEVICE_DETACH;
    if (link && !device_attr_key(ev, key))
        return refuse(e, ev, msg, msg_len, "attribute device is not a device key");
    if (ev->action == LEDGER_DEVICE_ATTACH && e->state.device_count >= WB_ITEM_DEVICES_MAX)
        return refuse(e, ev, msg, msg_len, "item %s has %d devices attached already",
                      e->state.item, WB_ITEM_DEVICES_MAX);
    if (ev->action == LEDGER_SEAL && !ledger_event_attr(ev, "seal"))
        return refuse(e, ev, msg, msg_len, "a seal without its attribute seal");
    if (ledger_action_is_report(ev->action)) {
        if (ledger_device_report_decode(ev->device_report, ev->device_report_len, e->scratch,
                                        why, sizeof why) != WB_OK)
            return refuse(e, ev, msg, msg_len, "%s", why);
        if (e->scratch->kind != ev->action)
            return refuse(e, ev, msg, msg_len, "its device report holds %s observations",
                          ledger_action_name(e->scratch->kind));
        r = e->scratch;
    }
    if (ev->action == LEDGER_PLAN_SET && ledger_plan_decode(ev, &plan, why, sizeof why) != WB_OK)
        return refuse(e, ev, msg, msg_len, "%s", why);
    if (reserve_for(e, ev, r ? r->obs_count : 0) != WB_OK) return WB_ERR_NOMEM;

    /* Everything fits: commit. */
    if (r) report_add(e, ev, height, org, gov, r);
    if (ev->action == LEDGER_DEVICE_ATTACH) {
        uint32_t di;
        struct ledger_evidence_device *d = device_get(e, key, gov, &di);
        d->attached_seen = true;
        d->armed_seen = false;
        d->armed_seal[0] = '\0';
        d->arming_ms = ev->time_ms;
        d->last_state = LEDGER_SEAL_STATE_NONE;
    }
    if (ev->action == LEDGER_UNSEAL) e->unseals[e->unseal_count++] = ev->time_ms;
    if (ev->action == LEDGER_PLAN_SET) {
        struct ledger_evidence_plan *p = &e->plans[e->plan_count++];
        memset(p, 0, sizeof *p);
        memcpy(p->event, ev->id, WB_HASH_LEN);
        p->event_no = e->state.count;
        p->height = height;
        p->time_ms = ev->time_ms;
        copy_str(p->set_by, sizeof p->set_by, org);
        p->plan = plan;
    }
    char before[WB_ORG_MAX + 1];
    copy_str(before, sizeof before, e->state.custodian);
    bool first = e->state.count == 0;
    ledger_rules_apply(&e->state, ev, reg, height);
    if (e->state.custodian[0] && (first || strcmp(before, e->state.custodian) != 0))
        custody_push(e, ev->time_ms, height, e->state.custodian);
    e->events++;
    return WB_OK;
}

/* ---- finish ------------------------------------------------------------------------- */

static bool unseal_covers(const struct ledger_evidence *e, const struct ledger_evidence_finding *f)
{
    int64_t until = f->time_ms > INT64_MAX - WB_EVIDENCE_UNSEAL_GRACE_MS
                        ? INT64_MAX
                        : f->time_ms + WB_EVIDENCE_UNSEAL_GRACE_MS;
    for (size_t i = 0; i < e->unseal_count; i++)
        if (e->unseals[i] > f->arming_ms && e->unseals[i] <= until) return true;
    return false;
}

/* "device ES-1 (eseal) owned by 'acme'" or "device 1a2b3c4d... of unknown
 * owner (no device registry)". */
static void device_words(const struct ledger_evidence_device *d, char *out, size_t cap)
{
    char h[SHORT_HEX];
    if (!d->known) {
        snprintf(out, cap, "device %s... of unknown owner (no device registry)",
                 wb_hex_encode(d->key, 4, h, sizeof h));
        return;
    }
    const char *kind = ledger_device_kind_name(d->kind);
    snprintf(out, cap, "device %s (%s) owned by '%s'", d->serial, kind ? kind : "?", d->owner);
}

static void finding_words(const struct ledger_evidence *e, struct ledger_evidence_finding *f)
{
    const struct ledger_evidence_device *d = &e->devices[f->device];
    char t[LEDGER_TIME_MAX], a[LEDGER_TIME_MAX], who[WB_ORG_MAX + 64], dev[200], seal[64];
    uint32_t c = ledger_evidence_custodian_at(e, f->time_ms);
    copy_str(f->custodian, sizeof f->custodian, ledger_evidence_custodian(e, c));
    copy_str(f->owner, sizeof f->owner, d->known ? d->owner : "");
    if (f->custodian[0]) snprintf(who, sizeof who, "in the custody of '%s'", f->custodian);
    else snprintf(who, sizeof who, "before the item had a custodian");
    if (f->seal[0]) snprintf(seal, sizeof seal, "seal %s", f->seal);
    else snprintf(seal, sizeof seal, "an unnumbered seal");
    device_words(d, dev, sizeof dev);
    ledger_time_format(f->time_ms, t);
    if (f->state == LEDGER_SEAL_TAMPERED) {
        snprintf(f->reason, sizeof f->reason, "%s reported tampered at %s while %s; %s", seal, t,
                 who, dev);
        return;
    }
    ledger_time_format(f->arming_ms, a);
    snprintf(f->reason, sizeof f->reason,
             "%s reported opened at %s while %s with no unseal between %s at %s and %d h after "
             "the opening; %s",
             seal, t, who, f->armed ? "its arming" : "the device's attachment", a,
             WB_EVIDENCE_UNSEAL_GRACE_MS / 3600000, dev);
}

void ledger_evidence_finish(struct ledger_evidence *e)
{
    WB_ASSERT(!e->finished);
    e->finished = true;
    for (size_t i = 0; i < e->obs_count; i++)
        e->obs[i].custodian = ledger_evidence_custodian_at(e, e->obs[i].time_ms);
    for (size_t i = 0; i < e->report_count; i++) {
        struct ledger_evidence_report *r = &e->reports[i];
        r->custodian_first = ledger_evidence_custodian_at(e, r->first_ms);
        r->custodian_last = ledger_evidence_custodian_at(e, r->last_ms);
    }
    size_t kept = 0;
    for (size_t i = 0; i < e->finding_count; i++) {
        struct ledger_evidence_finding *f = &e->findings[i];
        f->covered = f->state == LEDGER_SEAL_OPENED && unseal_covers(e, f);
        if (f->covered) continue;
        finding_words(e, f);
        if (kept != i) e->findings[kept] = *f;
        kept++;
    }
    e->finding_count = kept;
}

/* ---- text ----------------------------------------------------------------------------- */

char *ledger_evidence_milli_text(int64_t milli, char *out, size_t cap)
{
    uint64_t a = milli < 0 ? (uint64_t)0 - (uint64_t)milli : (uint64_t)milli;
    unsigned frac = (unsigned)(a % 1000);
    const char *sign = milli < 0 ? "-" : "";
    if (frac == 0) snprintf(out, cap, "%s%" PRIu64, sign, a / 1000);
    else if (frac % 100 == 0) snprintf(out, cap, "%s%" PRIu64 ".%u", sign, a / 1000, frac / 100);
    else if (frac % 10 == 0) snprintf(out, cap, "%s%" PRIu64 ".%02u", sign, a / 1000, frac / 10);
    else snprintf(out, cap, "%s%" PRIu64 ".%03u", sign, a / 1000, frac);
    return out;
}

char *ledger_evidence_e6_text(int32_t e6, char *out, size_t cap)
{
    uint32_t a = e6 < 0 ? (uint32_t)0 - (uint32_t)e6 : (uint32_t)e6;
    snprintf(out, cap, "%s%" PRIu32 ".%06" PRIu32, e6 < 0 ? "-" : "", a / 1000000, a % 1000000);
    return out;
}

char *ledger_evidence_obs_text(const struct ledger_evidence *e,
                               const struct ledger_evidence_obs *o, char *out, size_t cap)
{
    WB_ASSERT(cap >= 1);
    out[0] = '\0';
    if (o->report >= e->report_count) return out;
    enum ledger_action kind = e->reports[o->report].kind;
    if (kind == LEDGER_SEAL_STATUS) {
        const char *s = ledger_seal_state_name((enum ledger_seal_state)o->seal_state);
        const char *n = ledger_evidence_obs_seal(e, o);
        if (n[0]) snprintf(out, cap, "%s, seal %s", s ? s : "?", n);
        else snprintf(out, cap, "%s", s ? s : "?");
    } else if (kind == LEDGER_POSITION) {
        char lat[24], lon[24];
        size_t n = (size_t)snprintf(out, cap, "%s, %s", ledger_evidence_e6_text(o->lat_e6, lat, sizeof lat),
                                    ledger_evidence_e6_text(o->lon_e6, lon, sizeof lon));
        if (n < cap && o->accuracy_m)
            n += (size_t)snprintf(out + n, cap - n, " (accuracy %" PRIu32 " m)", o->accuracy_m);
        if (n < cap && o->locode[0]) snprintf(out + n, cap - n, " at %s", o->locode);
    } else {
        char v[32];
        enum ledger_measure m = (enum ledger_measure)o->measure;
        const char *name = ledger_measure_name(m), *unit = ledger_measure_unit(m);
        snprintf(out, cap, "%s %s %s", name ? name : "?",
                 ledger_evidence_milli_text(o->value_milli, v, sizeof v), unit ? unit : "");
    }
    return out;
}
