/* Custody, customs and record-keeping flags (docs/risk.md): CUSTODY_GAP,
 * LATE_OR_BACKDATED, CUSTOMS_BYPASS and the ledger-wide NEW_PARTY. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "risk/checks.h"

int risk__check_custody_gap(struct risk__run *r)
{
    const int64_t limit = r->p->custody_gap_ms;
    char lim[32], gap[32], t1[LEDGER_TIME_MAX], t2[LEDGER_TIME_MAX];
    risk__dur(limit, lim, sizeof lim);
    for (size_t i = 0; i < r->count; i++) {
        const struct risk__step *h = &r->steps[i];
        if (h->ev->action != LEDGER_HANDOVER) continue;
        const struct risk__step *rcv = NULL;
        for (size_t j = i + 1; j < r->count && !rcv; j++) {
            enum ledger_action a = r->steps[j].ev->action;
            if (a == LEDGER_RECEIVE) rcv = &r->steps[j];
            if (a == LEDGER_HANDOVER) break;
        }
        struct risk_flag *f;
        if (rcv) {
            int64_t d = rcv->time_ms - h->time_ms;
            if (d <= limit) continue;
            f = risk__raise(r, RISK_CUSTODY_GAP, rcv->time_ms, h->custodian);
            risk__name_event(r, f, h->index);
            risk__name_event(r, f, rcv->index);
            risk__text(f,
                       "'%s' handed the item over to '%s' at %s, and it was received only at %s, "
                       "%s later (limit %s).",
                       h->custodian, h->ev->to_org, risk__time(h->time_ms, t1, sizeof t1),
                       risk__time(rcv->time_ms, t2, sizeof t2), risk__dur(d, gap, sizeof gap), lim);
        } else {
            int64_t d = r->in->as_of_ms - h->time_ms;
            if (d <= limit) continue;
            f = risk__raise(r, RISK_CUSTODY_GAP, h->time_ms, h->custodian);
            risk__name_event(r, f, h->index);
            risk__text(f,
                       "'%s' handed the item over to '%s' at %s, and it has not been received "
                       "by %s, %s later (limit %s).",
                       h->custodian, h->ev->to_org, risk__time(h->time_ms, t1, sizeof t1),
                       risk__time(r->in->as_of_ms, t2, sizeof t2), risk__dur(d, gap, sizeof gap),
                       lim);
        }
        risk__basis(f, RISK_BASIS_POLICY, "custody_gap %s", lim);
    }
    return WB_OK;
}

int risk__check_late_or_backdated(struct risk__run *r)
{
    const struct risk_policy *p = r->p;
    size_t judged = 0;
    char t[LEDGER_TIME_MAX], b[LEDGER_TIME_MAX], d[32], lim[32];
    for (size_t i = 0; i < r->count; i++) {
        const struct risk__step *s = &r->steps[i];
        int64_t block = s->in->block_time_ms;
        if (block <= 0) continue;
        judged++;
        const char *noun = risk__event_noun(s->ev->action);
        if (block - s->time_ms > p->late_record_ms) {
            struct risk_flag *f = risk__raise(r, RISK_LATE_OR_BACKDATED, s->time_ms, s->custodian);
            risk__name_event(r, f, s->index);
            risk__text(f, "The %s dated %s was recorded only at %s, %s later (limit %s).", noun,
                       risk__time(s->time_ms, t, sizeof t), risk__time(block, b, sizeof b),
                       risk__dur(block - s->time_ms, d, sizeof d),
                       risk__dur(p->late_record_ms, lim, sizeof lim));
            risk__basis(f, RISK_BASIS_POLICY, "late_record %s", lim);
        } else if (s->time_ms - block > p->future_ms) {
            struct risk_flag *f = risk__raise(r, RISK_LATE_OR_BACKDATED, s->time_ms, s->custodian);
            risk__name_event(r, f, s->index);
            risk__text(f, "The %s is dated %s, %s after it was recorded at %s (limit %s).", noun,
                       risk__time(s->time_ms, t, sizeof t),
                       risk__dur(s->time_ms - block, d, sizeof d), risk__time(block, b, sizeof b),
                       risk__dur(p->future_ms, lim, sizeof lim));
            risk__basis(f, RISK_BASIS_POLICY, "future %s", lim);
        }
    }
    if (judged == 0)
        risk__not_evaluable(r, RISK_LATE_OR_BACKDATED, "the events' block times were not given");
    return WB_OK;
}

static bool moves_or_changes_hands(enum ledger_action a)
{
    switch (a) {
    case LEDGER_HANDOVER:
    case LEDGER_RECEIVE:
    case LEDGER_LOAD:
    case LEDGER_DEPART:
    case LEDGER_ARRIVE:
    case LEDGER_UNLOAD:
    case LEDGER_DELIVER:
        return true;
    default:
        return false;
    }
}

int risk__check_customs_bypass(struct risk__run *r)
{
    const struct risk__step *c = &r->steps[0];
    char pl[64], po[64], t[LEDGER_TIME_MAX], th[LEDGER_TIME_MAX];
    size_t deliveries = 0, judged = 0;
    uint32_t hold = RISK__NONE;
    for (size_t i = 0; i < r->count; i++) {
        const struct risk__step *s = &r->steps[i];
        enum ledger_action a = s->ev->action;
        if (s->customs_before == LEDGER_CUSTOMS_HELD && moves_or_changes_hands(a)) {
            struct risk_flag *f = risk__raise(r, RISK_CUSTOMS_BYPASS, s->time_ms, s->custodian);
            risk__name_event(r, f, s->index);
            risk__name_event(r, f, hold);
            char what[120];
            if (a == LEDGER_HANDOVER)
                snprintf(what, sizeof what, "handed over to '%s'", s->ev->to_org);
            else if (a == LEDGER_RECEIVE)
                snprintf(what, sizeof what, "received by '%s'", s->org);
            else
                snprintf(what, sizeof what, "given a %s", risk__event_noun(a));
            risk__text(f, "The item was %s at %s while customs held it (hold at %s, no release "
                          "between).",
                       what, risk__time(s->time_ms, t, sizeof t),
                       hold != RISK__NONE ? risk__time(r->steps[hold].time_ms, th, sizeof th)
                                          : "an earlier time");
            risk__basis(f, RISK_BASIS_POLICY, "custody change while held");
        }
        if (a == LEDGER_HOLD) hold = (uint32_t)i;
        if (a != LEDGER_DELIVER) continue;
        deliveries++;
        const char *at = s->ev->location[0] ? s->ev->location : s->location;
        char from_cc[3], to_cc[3];
        if (!risk__country(c->ev->location, from_cc) || !risk__country(at, to_cc)) continue;
        judged++;
        if (strcmp(from_cc, to_cc) == 0 || s->customs_before == LEDGER_CUSTOMS_CLEARED) continue;
        struct risk_flag *f = risk__raise(r, RISK_CUSTOMS_BYPASS, s->time_ms, s->custodian);
        risk__name_event(r, f, s->index);
        risk__name_event(r, f, 0);
        risk__text(f,
                   "The item was delivered at %s in %s at %s, across the frontier from its "
                   "commission at %s in %s, with no customs clearance (customs status: %s).",
                   risk__place(at, pl, sizeof pl), to_cc, risk__time(s->time_ms, t, sizeof t),
                   risk__place(c->ev->location, po, sizeof po), from_cc,
                   ledger_customs_name(s->customs_before));
        risk__basis(f, RISK_BASIS_POLICY, "frontier crossed without clear");
    }
    if (deliveries > 0 && judged == 0)
        risk__not_evaluable(r, RISK_CUSTOMS_BYPASS,
                            "a GLN location has no country: the frontier cannot be told");
    return WB_OK;
}

/* ---- NEW_PARTY (ledger-wide) --------------------------------------------------------- */

/* Customs and auditors are authorities acting on the item, not parties to
 * its trade: they complete no chains, and are not judged. */
static bool is_party(const struct ledger_genesis *g, const char *org)
{
    int i = ledger_genesis_org_by_name(g, org);
    if (i < 0) return true;
    return g->orgs[i].role != LEDGER_ROLE_CUSTOMS && g->orgs[i].role != LEDGER_ROLE_AUDITOR;
}

static void judge_party(struct risk__run *r, const char *org, uint32_t at, bool held)
{
    const struct risk_policy *p = r->p;
    struct risk_party pp = {0};
    bool known = r->ctx->party(r->ctx->ctx, org, &pp);
    int64_t age = r->in->as_of_ms - pp.first_seen_ms;
    if (known && age >= p->new_party_age_ms && pp.chains_completed >= p->new_party_chains) return;
    const struct risk__step *s = &r->steps[at];
    struct risk_flag *f = risk__raise(r, RISK_NEW_PARTY, s->time_ms, s->custodian);
    risk__name_event(r, f, at);
    char t[LEDGER_TIME_MAX], first[LEDGER_TIME_MAX], ago[32], lim[32];
    risk__dur(p->new_party_age_ms, lim, sizeof lim);
    const char *how = held ? "held the item" : "recorded for the item";
    if (!known)
        risk__text(f, "'%s', who %s from %s, has no history on the ledger.", org, how,
                   risk__time(s->time_ms, t, sizeof t));
    else
        risk__text(f,
                   "'%s', who %s from %s, is new on the ledger: first seen %s before this "
                   "assessment (at %s), with %u completed chain%s; the policy takes a party as "
                   "established after %s and %u completed chains.",
                   org, how, risk__time(s->time_ms, t, sizeof t), risk__dur(age, ago, sizeof ago),
                   risk__time(pp.first_seen_ms, first, sizeof first), pp.chains_completed,
                   pp.chains_completed == 1 ? "" : "s", lim, p->new_party_chains);
    risk__basis(f, RISK_BASIS_POLICY, "new_party: under %u chains or %s", p->new_party_chains,
                lim);
}

int risk__check_new_party(struct risk__run *r)
{
    if (!r->ctx->party) {
        risk__not_evaluable(r, RISK_NEW_PARTY, "needs the ledger: offline");
        return WB_OK;
    }
    const struct ledger_genesis *g = r->in->g;
    /* Each organisation once, where it first appears: as the custodian
     * (held) or as the submitter. */
    const char **seen = calloc(2 * r->count, sizeof *seen);
    if (!seen) return WB_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < r->count; i++) {
        const struct risk__step *s = &r->steps[i];
        const char *who[2] = {s->custodian, s->org};
        for (int k = 0; k < 2; k++) {
            const char *org = who[k];
            if (!org || !org[0] || !is_party(g, org)) continue;
            bool dup = false;
            for (size_t j = 0; j < n && !dup; j++) dup = strcmp(seen[j], org) == 0;
            if (dup) continue;
            seen[n++] = org;
            judge_party(r, org, (uint32_t)i, k == 0);
        }
    }
    free(seen);
    return WB_OK;
}
