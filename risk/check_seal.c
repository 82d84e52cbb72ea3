/* Seal flags (docs/risk.md): SEAL_MISMATCH, SEAL_TAMPER, UNSEALED_MOVE and
 * the ledger-wide SEAL_REUSE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "ledger/evidence.h"
#include "risk/checks.h"

/* The device's name in a sentence: its serial, else its key's first digits. */
static void device_name(const struct ledger_evidence_device *d, char *out, size_t cap)
{
    char h[9];
    if (d->serial[0]) snprintf(out, cap, "%s", d->serial);
    else snprintf(out, cap, "%s...", wb_hex_encode(d->key, 4, h, sizeof h));
}

/* The seal changes of the chain by time (a seal, an unseal, the
 * commission): what was the active seal at a time. */
struct seal_change {
    int64_t t;
    uint32_t step;
    const char *seal;                     /* "" unsealed */
};

static int seal_change_cmp(const void *a, const void *b)
{
    const struct seal_change *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->step < y->step ? -1 : x->step > y->step;
}

static const struct seal_change *seal_at(const struct seal_change *c, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c[mid].t <= t) lo = mid + 1;
        else hi = mid;
    }
    return lo == 0 ? NULL : &c[lo - 1];
}

/* Observations of e-seals whose seal number differs from the item's
 * active seal at the observation's time (when the item had one). */
static int observed_mismatch(struct risk__run *r)
{
    const struct ledger_evidence *e = r->evidence;
    if (!e || e->obs_count == 0) return WB_OK;
    size_t n = 0;
    for (size_t i = 0; i < r->count; i++) {
        enum ledger_action a = r->steps[i].ev->action;
        if (a == LEDGER_SEAL || a == LEDGER_UNSEAL || a == LEDGER_COMMISSION) n++;
    }
    struct seal_change *c = calloc(n ? n : 1, sizeof *c);
    if (!c) return WB_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < r->count; i++) {
        const struct ledger_event *ev = r->steps[i].ev;
        if (ev->action != LEDGER_SEAL && ev->action != LEDGER_UNSEAL &&
            ev->action != LEDGER_COMMISSION)
            continue;
        c[k].t = ev->time_ms;
        c[k].step = (uint32_t)i;
        c[k].seal = ev->action == LEDGER_SEAL ? ledger_event_attr(ev, "seal") : "";
        k++;
    }
    qsort(c, k, sizeof *c, seal_change_cmp);
    uint32_t last_report = RISK__NONE;
    const char *last_seen = NULL;
    const struct seal_change *last_active = NULL;
    for (size_t i = 0; i < e->obs_count; i++) {
        const struct ledger_evidence_obs *o = &e->obs[i];
        const struct ledger_evidence_report *rep = &e->reports[o->report];
        if (rep->kind != LEDGER_SEAL_STATUS) continue;
        const char *seen = ledger_evidence_obs_seal(e, o);
        if (!seen[0]) continue;
        const struct seal_change *active = seal_at(c, k, o->time_ms);
        if (!active || !active->seal[0] || strcmp(active->seal, seen) == 0) continue;
        /* one flag per report, and one per run of the same disagreement */
        if (o->report == last_report ||
            (last_active == active && last_seen && strcmp(last_seen, seen) == 0))
            continue;
        last_report = o->report;
        last_seen = seen;
        last_active = active;
        char dev[80], t[LEDGER_TIME_MAX], ts[LEDGER_TIME_MAX];
        device_name(&e->devices[rep->device], dev, sizeof dev);
        struct risk_flag *f = risk__raise(r, RISK_SEAL_MISMATCH, o->time_ms,
                                          risk__custodian_at(r, o->time_ms));
        risk__name_event(r, f, rep->event_no);
        risk__name_event(r, f, active->step);
        risk__text(f,
                   "The e-seal %s reported seal number '%s' at %s, but the item's active seal "
                   "then was '%s' (sealed at %s), with no unseal and reseal between.",
                   dev, seen, risk__time(o->time_ms, t, sizeof t), active->seal,
                   risk__time(active->t, ts, sizeof ts));
        risk__basis(f, RISK_BASIS_POLICY, "seal number differs from the active seal");
    }
    free(c);
    return WB_OK;
}

int risk__check_seal_mismatch(struct risk__run *r)
{
    for (size_t i = 0; i < r->count; i++) {
        const struct risk__step *s = &r->steps[i];
        enum ledger_action a = s->ev->action;
        if (a == LEDGER_SEAL || a == LEDGER_UNSEAL || a == LEDGER_COMMISSION) continue;
        const char *v = ledger_event_attr(s->ev, "seal");
        if (!v || strcmp(v, s->seal_before) == 0) continue;
        char t[LEDGER_TIME_MAX], ts[LEDGER_TIME_MAX], at[80] = "";
        if (s->ev->location[0]) {
            char pl[64];
            snprintf(at, sizeof at, " at %s", risk__place(s->ev->location, pl, sizeof pl));
        }
        struct risk_flag *f = risk__raise(r, RISK_SEAL_MISMATCH, s->time_ms, s->custodian);
        risk__name_event(r, f, s->index);
        if (s->seal_from != RISK__NONE) {
            risk__name_event(r, f, s->seal_from);
            risk__text(f,
                       "The %s%s at %s names seal '%s', but the item's active seal is '%s' "
                       "(sealed at %s), with no unseal and reseal between.",
                       risk__event_noun(a), at, risk__time(s->time_ms, t, sizeof t), v,
                       s->seal_before, risk__time(r->steps[s->seal_from].time_ms, ts, sizeof ts));
        } else {
            risk__text(f, "The %s%s at %s names seal '%s', but the item had no active seal.",
                       risk__event_noun(a), at, risk__time(s->time_ms, t, sizeof t), v);
        }
        risk__basis(f, RISK_BASIS_POLICY, "seal number differs from the active seal");
    }
    return observed_mismatch(r);
}

int risk__check_seal_tamper(struct risk__run *r)
{
    const struct ledger_evidence *e = r->evidence;
    if (!e) {
        if (r->has_reports[LEDGER_SEAL_STATUS])
            risk__not_evaluable(r, RISK_SEAL_TAMPER, "the device evidence was not given");
        return WB_OK;
    }
    for (size_t i = 0; i < e->finding_count; i++) {
        const struct ledger_evidence_finding *fd = &e->findings[i];
        if (fd->kind != LEDGER_FINDING_TAMPER) continue;
        const struct ledger_evidence_device *d = &e->devices[fd->device];
        char dev[80], t[LEDGER_TIME_MAX], ta[LEDGER_TIME_MAX], seal[WB_SEAL_NUMBER_MAX + 8];
        device_name(d, dev, sizeof dev);
        snprintf(seal, sizeof seal, "%s%s", fd->seal[0] ? " " : "", fd->seal);
        struct risk_flag *f = risk__raise(r, RISK_SEAL_TAMPER, fd->time_ms, fd->custodian);
        risk__name_event(r, f, e->reports[fd->report].event_no);
        char who[WB_ORG_MAX + 40] = "";
        if (fd->custodian[0])
            snprintf(who, sizeof who, " while in the custody of '%s'", fd->custodian);
        if (fd->state == LEDGER_SEAL_TAMPERED)
            risk__text(f, "The e-seal%s (device %s) reported it was tampered with at %s%s.", seal,
                       dev, risk__time(fd->time_ms, t, sizeof t), who);
        else
            risk__text(f,
                       "The e-seal%s (device %s) reported it was opened at %s%s, with no "
                       "authorised unseal between its %s at %s and 1 h after the opening.",
                       seal, dev, risk__time(fd->time_ms, t, sizeof t), who,
                       fd->armed ? "arming" : "attachment",
                       risk__time(fd->arming_ms, ta, sizeof ta));
        risk__basis(f, RISK_BASIS_POLICY, "device evidence: TAMPER finding");
    }
    for (size_t i = 0; i < e->findings_dropped; i++) {
        struct risk_flag *f = risk__raise(r, RISK_SEAL_TAMPER, 0, "");
        risk__text(f, "The device evidence holds a further TAMPER finding that it counted but "
                      "did not keep.");
        risk__basis(f, RISK_BASIS_POLICY, "device evidence: TAMPER finding");
    }
    return WB_OK;
}

/* ---- UNSEALED_MOVE ----------------------------------------------------------------- */

static bool is_move(enum ledger_action a)
{
    return a == LEDGER_LOAD || a == LEDGER_DEPART || a == LEDGER_HANDOVER;
}

static void move_words(const struct risk__step *s, char *out, size_t cap)
{
    char pl[64];
    switch (s->ev->action) {
    case LEDGER_LOAD:
        snprintf(out, cap, "loaded at %s", risk__place(s->ev->location, pl, sizeof pl));
        break;
    case LEDGER_DEPART:
        snprintf(out, cap, "departed from %s", risk__place(s->ev->location, pl, sizeof pl));
        break;
    default:
        snprintf(out, cap, "handed over to '%s'", s->ev->to_org);
        break;
    }
}

/* One flag per unsealed stretch (from the commission or an unseal to the
 * next seal) that holds a load, departure or handover: it names the first
 * moves of the stretch and counts the rest. */
static void unsealed_stretch(struct risk__run *r, uint32_t first, uint32_t last, unsigned moves,
                             bool sealed_after)
{
    const struct risk__step *s = &r->steps[first];
    struct risk_flag *f = risk__raise(r, RISK_UNSEALED_MOVE, r->steps[last].time_ms, s->custodian);
    for (uint32_t i = first; i <= last; i++)
        if (is_move(r->steps[i].ev->action)) risk__name_event(r, f, i);
    char what[120], t[LEDGER_TIME_MAX], more[160] = "";
    move_words(s, what, sizeof what);
    if (moves > 1)
        snprintf(more, sizeof more, "; %u more loads, departures or handovers followed %s", moves - 1,
                 sealed_after ? "before it was sealed" : "and it has not been sealed since");
    risk__text(f, "The item was %s at %s with no active seal%s.", what,
               risk__time(s->time_ms, t, sizeof t), more);
    risk__basis(f, RISK_BASIS_POLICY, "load, departure or handover with no active seal");
}

int risk__check_unsealed_move(struct risk__run *r)
{
    uint32_t first = RISK__NONE, last = RISK__NONE;
    unsigned moves = 0;
    for (size_t i = 0; i < r->count; i++) {
        const struct risk__step *s = &r->steps[i];
        if (s->ev->action == LEDGER_SEAL && first != RISK__NONE) {
            unsealed_stretch(r, first, last, moves, true);
            first = RISK__NONE;
            moves = 0;
        }
        if (!is_move(s->ev->action) || s->seal_before[0]) continue;
        if (first == RISK__NONE) first = (uint32_t)i;
        last = (uint32_t)i;
        moves++;
    }
    if (first != RISK__NONE) unsealed_stretch(r, first, last, moves, false);
    return WB_OK;
}

/* ---- SEAL_REUSE (ledger-wide) -------------------------------------------------------- */

#define REUSE_NAMED 3 /* other items named in the sentence */

static void reuse_one(struct risk__run *r, const char *seal, uint32_t named_at)
{
    char other[REUSE_NAMED][WB_ITEM_MAX + 1];
    size_t n = r->ctx->seal_items(r->ctx->ctx, seal, r->steps[0].ev->item, other, REUSE_NAMED);
    if (n == 0) return;
    const struct risk__step *s = &r->steps[named_at];
    struct risk_flag *f = risk__raise(r, RISK_SEAL_REUSE, s->time_ms, s->custodian);
    for (size_t i = 0; i < r->count; i++) {
        const struct ledger_event *ev = r->steps[i].ev;
        const char *v = ledger_event_attr(ev, "seal");
        if (v && strcmp(v, seal) == 0) risk__name_event(r, f, (uint32_t)i);
    }
    risk__name_event(r, f, named_at);
    char list[REUSE_NAMED * (WB_ITEM_MAX + 4)] = "";
    size_t len = 0, shown = n < REUSE_NAMED ? n : REUSE_NAMED;
    for (size_t k = 0; k < shown; k++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", k ? ", " : "", other[k]);
    risk__text(f, "Seal %s of this item is also named on %zu other item%s: %s%s.", seal, n,
               n == 1 ? "" : "s", list, n > shown ? ", ..." : "");
    risk__basis(f, RISK_BASIS_POLICY, "one seal number on two items");
}

int risk__check_seal_reuse(struct risk__run *r)
{
    if (!r->ctx->seal_items) {
        risk__not_evaluable(r, RISK_SEAL_REUSE, "needs the ledger: offline");
        return WB_OK;
    }
    /* Each distinct seal number the item carried (its seal events), then
     * those its e-seals reported and no seal event named. */
    for (size_t i = 0; i < r->count; i++) {
        const struct ledger_event *ev = r->steps[i].ev;
        if (ev->action != LEDGER_SEAL) continue;
        const char *seal = ledger_event_attr(ev, "seal");
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = r->steps[j].ev->action == LEDGER_SEAL &&
                   strcmp(ledger_event_attr(r->steps[j].ev, "seal"), seal) == 0;
        if (!seen) reuse_one(r, seal, (uint32_t)i);
    }
    const struct ledger_evidence *e = r->evidence;
    for (size_t k = 0; e && k < e->seal_count; k++) {
        const char *seal = e->seals[k];
        bool sealed = false;
        for (size_t i = 0; i < r->count && !sealed; i++)
            sealed = r->steps[i].ev->action == LEDGER_SEAL &&
                     strcmp(ledger_event_attr(r->steps[i].ev, "seal"), seal) == 0;
        if (sealed) continue;
        uint32_t at = RISK__NONE;
        for (size_t i = 0; i < e->obs_count && at == RISK__NONE; i++)
            if (e->obs[i].seal == k) at = e->reports[e->obs[i].report].event_no;
        if (at != RISK__NONE) reuse_one(r, seal, at);
    }
    return WB_OK;
}
