/* The benchmark's load: realistic item journeys (commission, custody legs with
 * movement and customs control, delivery), every event signed by the right
 * organisation's client key and chained to the previous one, before the clock
 * starts. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/lg.h"
#include "common/wb_error.h"
#include "ledger/event.h"
#include "ledger/ids.h"

/* UN/LOCODEs of the ports the legs run between. */
static const char *const lg_ports[] = {
    "CNSHA", "SGSIN", "NLRTM", "DEHAM", "BEANR", "USLAX", "USNYC", "JPTYO",
    "KRPUS", "AEJEA", "GBFXT", "ESALG", "ITGOA", "BRSSZ", "ZADUR", "AUMEL",
};
#define LG_PORTS (sizeof lg_ports / sizeof lg_ports[0])

static const char *const lg_vessels[] = {
    "NORDIC AURORA", "BLUE HORIZON", "MAERSK ESSEN", "EVER GIVEN", "CMA CGM RHONE",
};
#define LG_VESSELS (sizeof lg_vessels / sizeof lg_vessels[0])

/* Cargo descriptions a shipper writes; cut to the length that brings the
 * body to its target size. */
static const char lg_cargo[] =
    "HS 847130 portable computers, 1240 cartons on 31 pallets, gross 18420 kg, "
    "net 16950 kg, 61.2 m3, temperature 15-25 C, keep dry, stack max 2 high, "
    "consignee notify party: logistics desk, marks and numbers as per invoice";
static const char lg_remarks[] =
    "documents: commercial invoice, packing list, certificate of origin form A, "
    "insurance certificate; incoterms CIF destination port; freight prepaid; "
    "letter of credit reference on file with the issuing bank";

/* One step of a journey: what is done, by whom, where. */
struct lg_step {
    enum ledger_action action;
    int org;                          /* signer: index into the orgs */
    int to_org;                       /* handover: receiving org, else -1 */
    const char *loc;                  /* NULL when the action needs none */
    unsigned leg;
    bool discrepancy;                 /* inspect result */
};

struct lg_plan {
    struct lg_step *steps;
    size_t n, cap;
};

static void plan_push(struct lg_plan *p, enum ledger_action a, int org, int to_org,
                      const char *loc, unsigned leg, bool discrepancy)
{
    if (p->n == p->cap) return;
    p->steps[p->n++] = (struct lg_step){a, org, to_org, loc, leg, discrepancy};
}

/* A trade journey of exactly p->cap events: commission and seal by the
 * shipper; legs in which the carrier takes the container over, loads,
 * sails, unloads and customs break the seal, inspect, re-seal and clear
 * before the next party receives it (every fourth leg also holds and
 * releases it); customs inspections fill what is left; the last custodian
 * delivers. */
static void plan_trade(struct lg_plan *p, const struct lg_cast *c, size_t item)
{
    size_t n = p->cap;
    const char *origin = lg_ports[item % LG_PORTS];
    plan_push(p, LEDGER_COMMISSION, c->shipper, -1, origin, 0, false);
    if (n >= 3) plan_push(p, LEDGER_SEAL, c->shipper, -1, NULL, 0, false);
    int custodian = c->shipper;
    for (unsigned leg = 0;; leg++) {
        bool hold = leg % 4 == 3;
        size_t len = hold ? 14 : 12;
        if (p->n + len + 1 > n) break;
        int next = custodian == c->shipper ? c->consignee : c->shipper;
        /* Each leg starts where the last one ended (the ledger's load_location). */
        const char *from = lg_ports[(item + 5 * leg) % LG_PORTS];
        const char *to = lg_ports[(item + 5 * (leg + 1)) % LG_PORTS];
        plan_push(p, LEDGER_HANDOVER, custodian, c->carrier, NULL, leg, false);
        plan_push(p, LEDGER_RECEIVE, c->carrier, -1, NULL, leg, false);
        plan_push(p, LEDGER_LOAD, c->carrier, -1, from, leg, false);
        plan_push(p, LEDGER_DEPART, c->carrier, -1, from, leg, false);
        plan_push(p, LEDGER_ARRIVE, c->carrier, -1, to, leg, false);
        plan_push(p, LEDGER_UNLOAD, c->carrier, -1, to, leg, false);
        plan_push(p, LEDGER_UNSEAL, c->customs, -1, NULL, leg, false);
        if (hold) plan_push(p, LEDGER_HOLD, c->customs, -1, NULL, leg, false);
        plan_push(p, LEDGER_INSPECT, c->customs, -1, NULL, leg, hold);
        if (hold) plan_push(p, LEDGER_RELEASE, c->customs, -1, NULL, leg, false);
        plan_push(p, LEDGER_SEAL, c->customs, -1, NULL, leg, false);
        plan_push(p, LEDGER_CLEAR, c->customs, -1, NULL, leg, false);
        plan_push(p, LEDGER_HANDOVER, c->carrier, next, NULL, leg, false);
        plan_push(p, LEDGER_RECEIVE, next, -1, NULL, leg, false);
        custodian = next;
    }
    while (p->n + 1 < n) plan_push(p, LEDGER_INSPECT, c->customs, -1, NULL, 0, false);
    if (p->n < n) plan_push(p, LEDGER_DELIVER, custodian, -1, NULL, 0, false);
}

/* A control journey: commission and seal, then rounds of customs
 * inspection, customs unsealing and the custodian sealing again. */
static void plan_control(struct lg_plan *p, const struct lg_cast *c, size_t item)
{
    plan_push(p, LEDGER_COMMISSION, c->shipper, -1, lg_ports[item % LG_PORTS], 0, false);
    plan_push(p, LEDGER_SEAL, c->shipper, -1, NULL, 0, false);
    for (unsigned round = 1; p->n < p->cap; round++) {
        plan_push(p, LEDGER_INSPECT, c->customs, -1, NULL, round, false);
        plan_push(p, LEDGER_UNSEAL, c->customs, -1, NULL, round, false);
        plan_push(p, LEDGER_SEAL, c->shipper, -1, NULL, round, false);
    }
}

static void add_attr(struct ledger_event *ev, const char *key, const char *value, size_t vlen)
{
    if (ev->attr_count == WB_ATTRS_MAX) return;
    struct ledger_attr *a = &ev->attrs[ev->attr_count++];
    snprintf(a->key, sizeof a->key, "%s", key);
    if (vlen > WB_ATTR_VALUE_MAX) vlen = WB_ATTR_VALUE_MAX;
    memcpy(a->value, value, vlen);
    a->value[vlen] = '\0';
}

/* Fills ev for step k of item `item`, chained to prev (NULL for the first),
 * with attributes that bring the encoded body to about LG_BODY_TARGET.
 * Events are step_ms apart; an unseal names `seal`, the active seal. */
static int fill_event(struct ledger_event *ev, const struct lg_step *s, const struct lg_org *orgs,
                      const char *item_id, size_t item, size_t k, int64_t base_ms,
                      int64_t step_ms, const char *seal, const uint8_t *prev)
{
    char v[WB_ATTR_VALUE_MAX + 1];
    memset(ev, 0, sizeof *ev);
    memcpy(ev->submitter, orgs[s->org].pk, WB_PUBKEY_LEN);
    ev->has_prev = prev != NULL;
    if (prev) memcpy(ev->prev, prev, WB_HASH_LEN);
    randombytes_buf(&ev->nonce, sizeof ev->nonce);
    snprintf(ev->item, sizeof ev->item, "%s", item_id);
    ev->action = s->action;
    if (s->loc) snprintf(ev->location, sizeof ev->location, "%s", s->loc);
    ev->time_ms = base_ms + (int64_t)(item % 3600) * 1000 + (int64_t)k * step_ms;
    if (s->to_org >= 0) snprintf(ev->to_org, sizeof ev->to_org, "%s", orgs[s->to_org].name);
    switch (s->action) {
    case LEDGER_COMMISSION:
        snprintf(v, sizeof v, "BKG%08zu", item);
        add_attr(ev, "booking", v, strlen(v));
        add_attr(ev, "hs_code", "847130", 6);
        break;
    case LEDGER_SEAL:
        snprintf(v, sizeof v, "SL%06zu%03u%03zu", item, s->leg, k % 1000);
        add_attr(ev, "seal", v, strlen(v));
        break;
    case LEDGER_UNSEAL:
        add_attr(ev, "seal", seal, strlen(seal));
        break;
    case LEDGER_DEPART:
        add_attr(ev, "vessel", lg_vessels[(item + s->leg) % LG_VESSELS],
                 strlen(lg_vessels[(item + s->leg) % LG_VESSELS]));
        snprintf(v, sizeof v, "%03uE", 100 + s->leg);
        add_attr(ev, "voyage", v, strlen(v));
        break;
    case LEDGER_INSPECT:
        add_attr(ev, "result", s->discrepancy ? "discrepancy" : "ok",
                 s->discrepancy ? 11 : 2);
        break;
    case LEDGER_CLEAR:
        snprintf(v, sizeof v, "NL-DEC-%08zu-%02u", item, s->leg);
        add_attr(ev, "declaration", v, strlen(v));
        break;
    default:
        break;
    }
    /* Pad with cargo text and remarks up to the target body size. */
    uint8_t buf[WB_EVENT_BODY_MAX];
    size_t len;
    const char *pads[2] = {lg_cargo, lg_remarks};
    const char *keys[2] = {"cargo", "remarks"};
    for (int i = 0; i < 2; i++) {
        int rc = ledger_event_encode(ev, buf, sizeof buf, &len);
        if (rc) return rc;
        /* An attribute costs its value plus about 7 bytes of framing and
         * its key. */
        size_t framing = 7 + strlen(keys[i]);
        if (len + framing + 8 > LG_BODY_TARGET) break;
        size_t want = LG_BODY_TARGET - len - framing;
        size_t have = strlen(pads[i]);
        add_attr(ev, keys[i], pads[i], want < have ? want : have);
    }
    return WB_OK;
}

struct lg_sign_job {
    struct lg_load *ld;
    enum lg_journey journey;
    const struct lg_org *orgs;
    const struct lg_cast *cast;
    const uint8_t *chain_id;
    unsigned index, stride;
    int64_t base_ms, step_ms;
    uint64_t body_bytes, signed_bytes;
    int rc;
    char msg[LG_MSG_MAX];
};

static void *sign_thread(void *arg)
{
    struct lg_sign_job *j = arg;
    struct lg_load *ld = j->ld;
    struct lg_plan plan = {.steps = calloc(ld->per_item, sizeof *plan.steps), .cap = ld->per_item};
    struct ledger_event *ev = malloc(sizeof *ev);
    if (!plan.steps || !ev) {
        j->rc = WB_ERR_NOMEM;
        snprintf(j->msg, sizeof j->msg, "out of memory pre-signing the load");
        goto free_plan;
    }
    for (size_t item = j->index; item < ld->items; item += j->stride) {
        /* The item's number: what its container number, booking, seals and
         * ports are made from. */
        size_t num = ld->item_base + item;
        plan.n = 0;
        if (j->journey == LG_JOURNEY_TRADE) plan_trade(&plan, j->cast, num);
        else plan_control(&plan, j->cast, num);
        if (plan.n != ld->per_item) {
            j->rc = WB_ERR_INTERNAL;
            snprintf(j->msg, sizeof j->msg, "journey of item %zu has %zu steps, expected %zu",
                     num, plan.n, ld->per_item);
            goto free_plan;
        }
        uint8_t prev[WB_HASH_LEN];
        char seal[WB_ATTR_VALUE_MAX + 1] = "";
        for (size_t k = 0; k < ld->per_item; k++) {
            const struct lg_step *s = &plan.steps[k];
            size_t e = item * ld->per_item + k;
            int rc = fill_event(ev, s, j->orgs, ld->item_ids[item], num, k, j->base_ms,
                                j->step_ms, seal, k > 0 ? prev : NULL);
            if (rc == WB_OK && s->action == LEDGER_SEAL)
                snprintf(seal, sizeof seal, "%s", ledger_event_attr(ev, "seal"));
            size_t len = 0;
            uint8_t *slot = ld->arena + e * LG_SLOT;
            if (rc == WB_OK)
                rc = ledger_event_sign(j->chain_id, ev, j->orgs[s->org].sk, slot, LG_SLOT, &len);
            if (rc) {
                j->rc = rc;
                snprintf(j->msg, sizeof j->msg, "cannot sign event %zu of item %s: %s", k,
                         ld->item_ids[item], wb_strerror(rc));
                goto free_plan;
            }
            const uint8_t *body;
            size_t body_len;
            uint8_t sig[WB_SIG_LEN];
            if (ledger_signed_event_split(slot, len, &body, &body_len, sig) != WB_OK) {
                j->rc = WB_ERR_INTERNAL;
                snprintf(j->msg, sizeof j->msg, "signed event %zu of item %s does not split",
                         k, ld->item_ids[item]);
                goto free_plan;
            }
            ld->lens[e] = (uint16_t)len;
            memcpy(ld->ids[e], ev->id, WB_HASH_LEN);
            memcpy(prev, ev->id, WB_HASH_LEN);
            j->body_bytes += body_len;
            j->signed_bytes += len;
        }
    }
free_plan:
    free(ev);
    free(plan.steps);
    return NULL;
}

void lg_load_free(struct lg_load *ld)
{
    free(ld->arena);
    free(ld->lens);
    free(ld->ids);
    free(ld->item_ids);
    memset(ld, 0, sizeof *ld);
}

int lg_load_build(struct lg_load *ld, size_t items, size_t item_base, size_t per_item,
                  enum lg_journey journey, const char *owner, const struct lg_org *orgs,
                  const struct lg_cast *cast, const uint8_t chain_id[WB_CHAIN_ID_LEN],
                  unsigned threads, char *msg, size_t msg_len)
{
    memset(ld, 0, sizeof *ld);
    if (items == 0 || per_item == 0 || items > LG_ITEM_NUMBERS ||
        item_base > LG_ITEM_NUMBERS - items || strlen(owner) != 3) {
        snprintf(msg, msg_len, "bad load shape: %zu items (numbers from %zu) of %zu events",
                 items, item_base, per_item);
        return WB_ERR_INVALID;
    }
    if (threads == 0) threads = 1;
    if (threads > 16) threads = 16;
    ld->items = items;
    ld->item_base = item_base;
    ld->per_item = per_item;
    ld->count = items * per_item;
    ld->threads = threads;
    ld->arena = malloc(ld->count * LG_SLOT);
    ld->lens = calloc(ld->count, sizeof *ld->lens);
    ld->ids = calloc(ld->count, sizeof *ld->ids);
    ld->item_ids = calloc(items, sizeof *ld->item_ids);
    if (!ld->arena || !ld->lens || !ld->ids || !ld->item_ids) {
        lg_load_free(ld);
        snprintf(msg, msg_len, "out of memory for %zu events", items * per_item);
        return WB_ERR_NOMEM;
    }
    for (size_t i = 0; i < items; i++) {
        char first10[11];
        snprintf(first10, sizeof first10, "%sU%06zu", owner, item_base + i);
        int cd = ledger_iso6346_check_digit(first10);
        if (cd < 0) {
            lg_load_free(ld);
            snprintf(msg, msg_len, "owner code %s gives no container number", owner);
            return WB_ERR_INVALID;
        }
        memcpy(ld->item_ids[i], first10, 10);
        ld->item_ids[i][10] = (char)('0' + cd % 10);
        ld->item_ids[i][11] = '\0';
    }

    /* Journeys dated over the past 25 to 5 days: an hour between events
     * where 20 days allow it, closer for long chains. That keeps every event
     * inside the ledger's 30-day backdating limit (and never ahead of the
     * clock) for the whole run. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t base_ms = ((int64_t)ts.tv_sec - 25 * 86400) * 1000;
    int64_t step_ms = (int64_t)20 * 86400 * 1000 / (int64_t)per_item;
    if (step_ms > 3600 * 1000) step_ms = 3600 * 1000;
    struct lg_sign_job jobs[16];
    pthread_t tids[16];
    int64_t t0 = lg_now_ns();
    unsigned started = 0;
    for (unsigned t = 0; t < threads; t++) {
        jobs[t] = (struct lg_sign_job){.ld = ld, .journey = journey, .orgs = orgs, .cast = cast, .chain_id = chain_id,
                                       .index = t, .stride = threads, .base_ms = base_ms,
                                       .step_ms = step_ms};
        if (pthread_create(&tids[t], NULL, sign_thread, &jobs[t]) != 0) break;
        started++;
    }
    /* Threads that could not start leave their items to this one. */
    for (unsigned t = started; t < threads; t++) sign_thread(&jobs[t]);
    for (unsigned t = 0; t < started; t++) pthread_join(tids[t], NULL);
    ld->sign_s = (double)(lg_now_ns() - t0) / 1e9;
    for (unsigned t = 0; t < threads; t++) {
        if (jobs[t].rc) {
            snprintf(msg, msg_len, "%s", jobs[t].msg);
            int rc = jobs[t].rc;
            lg_load_free(ld);
            return rc;
        }
        ld->body_bytes += jobs[t].body_bytes;
        ld->signed_bytes += jobs[t].signed_bytes;
    }
    return WB_OK;
}
