/* The risk engine's ledger-wide context from a node (risk_context.h). */
#include "cli/risk_context.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/print.h"
#include "ledger/ids.h"

static void reason(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reason(struct client *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof c->reason, fmt, ap);
    va_end(ap);
}

/* The node's text, made safe for a message. */
static const char *safe(const char *s, char *buf, size_t cap)
{
    return print_safe(s ? s : "", buf, cap);
}

static size_t len_of(const char *s) { return s ? strlen(s) : 0; }

/* ---- the request ------------------------------------------------------------------------ */

static int check_request(struct client *c, const char *item, const char *const *seals,
                         size_t n_seals, const char *container, const char *const *orgs,
                         size_t n_orgs, const char *const *keys, size_t n_keys)
{
    if (n_seals > RISK_CONTEXT_SEALS_MAX || n_orgs > RISK_CONTEXT_ORGS_MAX ||
        n_keys > RISK_CONTEXT_KEYS_MAX) {
        reason(c, "a risk context request names at most %d seal numbers, %d organisations and %d "
                  "baseline keys (this one %zu, %zu and %zu)",
               RISK_CONTEXT_SEALS_MAX, RISK_CONTEXT_ORGS_MAX, RISK_CONTEXT_KEYS_MAX, n_seals,
               n_orgs, n_keys);
        return WB_ERR_INVALID;
    }
    if (len_of(item) > WB_ITEM_MAX || len_of(container) > WB_ITEM_MAX) {
        reason(c, "an item id or container number is longer than %d bytes", WB_ITEM_MAX);
        return WB_ERR_INVALID;
    }
    for (size_t i = 0; i < n_seals; i++)
        if (!seals[i] || strlen(seals[i]) > RISK_CONTEXT_SEAL_MAX) {
            reason(c, "seal number %zu is missing or longer than %d bytes", i + 1,
                   RISK_CONTEXT_SEAL_MAX);
            return WB_ERR_INVALID;
        }
    for (size_t i = 0; i < n_orgs; i++)
        if (!orgs[i] || strlen(orgs[i]) > WB_ORG_MAX) {
            reason(c, "organisation %zu is missing or longer than %d bytes", i + 1, WB_ORG_MAX);
            return WB_ERR_INVALID;
        }
    for (size_t i = 0; i < n_keys; i++)
        if (!keys[i] || strlen(keys[i]) >= RISK_KEY_MAX) {
            reason(c, "baseline key %zu is missing or longer than %d bytes", i + 1,
                   RISK_KEY_MAX - 1);
            return WB_ERR_INVALID;
        }
    return WB_OK;
}

/* ---- the answer ------------------------------------------------------------------------- */

static bool same(const char *got, const char *want) { return strcmp(got ? got : "", want) == 0; }

static bool item_ok(const char *s)
{
    enum ledger_id_kind kind;
    return s && s[0] && strlen(s) <= WB_ITEM_MAX &&
           ledger_item_id_check(s, &kind, NULL, 0) == WB_OK;
}

static bool location_ok(const char *s)
{
    return s && (s[0] == '\0' || (strlen(s) <= WB_LOCATION_MAX &&
                                  ledger_location_check(s, NULL, 0) == WB_OK));
}

static int take_seals(struct client *c, const Waybill__RiskContext *m, const char *item,
                      const char *const *seals, size_t n, struct risk_context_data *d)
{
    char buf[160];
    if (m->n_seals != n) {
        reason(c, "the risk context answers %zu seal numbers, %zu were asked", m->n_seals, n);
        return WB_ERR_PROTOCOL;
    }
    for (size_t i = 0; i < n; i++) {
        const Waybill__RiskContext__SealUse *s = m->seals[i];
        struct risk_context_seal *out = &d->seals[i];
        if (!same(s->seal, seals[i])) {
            reason(c, "the risk context answers seal '%s' where '%s' was asked",
                   safe(s->seal, buf, sizeof buf), seals[i]);
            return WB_ERR_PROTOCOL;
        }
        if (s->n_items > RISK_CONTEXT_SEAL_ITEMS_MAX || s->total < s->n_items) {
            reason(c, "the risk context lists %zu items of seal '%s' and counts %llu (a node "
                      "lists at most %d, and never more than it counts)",
                   s->n_items, seals[i], (unsigned long long)s->total,
                   RISK_CONTEXT_SEAL_ITEMS_MAX);
            return WB_ERR_PROTOCOL;
        }
        for (size_t k = 0; k < s->n_items; k++) {
            if (!item_ok(s->items[k]) || (item[0] && strcmp(s->items[k], item) == 0)) {
                reason(c, "the risk context names '%s' among the items of seal '%s': %s",
                       safe(s->items[k], buf, sizeof buf), seals[i],
                       item_ok(s->items[k]) ? "the item asked about, which it leaves out"
                                            : "not an item id");
                return WB_ERR_PROTOCOL;
            }
            snprintf(out->items[k], sizeof out->items[k], "%s", s->items[k]);
        }
        snprintf(out->seal, sizeof out->seal, "%s", seals[i]);
        out->total = s->total;
        out->item_count = s->n_items;
    }
    d->seal_count = n;
    return WB_OK;
}

static int take_container(struct client *c, const Waybill__RiskContext *m, const char *container,
                          struct risk_context_data *d)
{
    char buf[160];
    bool asked = container && container[0];
    if (m->n_containers != (asked ? 1u : 0u)) {
        reason(c, "the risk context answers %zu container numbers, %d %s asked", m->n_containers,
               asked ? 1 : 0, asked ? "was" : "were");
        return WB_ERR_PROTOCOL;
    }
    if (!asked) return WB_OK;
    const Waybill__RiskContext__ContainerUse *u = m->containers[0];
    if (!same(u->container, container)) {
        reason(c, "the risk context answers container '%s' where '%s' was asked",
               safe(u->container, buf, sizeof buf), container);
        return WB_ERR_PROTOCOL;
    }
    if (u->n_refs > RISK_CONTEXT_REFS_MAX || u->total < u->n_refs) {
        reason(c, "the risk context lists %zu references to container %s and counts %llu (a "
                  "node lists at most %d, and never more than it counts)",
               u->n_refs, container, (unsigned long long)u->total, RISK_CONTEXT_REFS_MAX);
        return WB_ERR_PROTOCOL;
    }
    for (size_t k = 0; k < u->n_refs; k++) {
        const Waybill__RiskContext__ContainerRef *x = u->refs[k];
        if (!item_ok(x->item) || !location_ok(x->location) || x->event.len != WB_HASH_LEN) {
            reason(c, "reference %zu to container %s is malformed (item '%s', location '%s', "
                      "event id of %zu bytes)",
                   k + 1, container, safe(x->item, buf, 64), safe(x->location, buf + 80, 64),
                   x->event.len);
            return WB_ERR_PROTOCOL;
        }
        struct risk_container_ref *r = &d->refs[k];
        snprintf(r->item, sizeof r->item, "%s", x->item);
        snprintf(r->location, sizeof r->location, "%s", x->location);
        r->time_ms = x->time_ms;
        memcpy(r->event, x->event.data, WB_HASH_LEN);
    }
    d->has_container = true;
    snprintf(d->container, sizeof d->container, "%s", container);
    d->container_total = u->total;
    d->ref_count = u->n_refs;
    return WB_OK;
}

static int take_parties(struct client *c, const Waybill__RiskContext *m, const char *const *orgs,
                        size_t n, struct risk_context_data *d)
{
    char buf[160];
    if (m->n_parties != n) {
        reason(c, "the risk context answers %zu organisations, %zu were asked", m->n_parties, n);
        return WB_ERR_PROTOCOL;
    }
    for (size_t i = 0; i < n; i++) {
        const Waybill__RiskContext__Party *p = m->parties[i];
        if (!same(p->org, orgs[i])) {
            reason(c, "the risk context answers organisation '%s' where '%s' was asked",
                   safe(p->org, buf, sizeof buf), orgs[i]);
            return WB_ERR_PROTOCOL;
        }
        if (!p->known && (p->first_seen_ms || p->chains_completed)) {
            reason(c, "the risk context gives organisation '%s' a history and says the ledger "
                      "never saw it",
                   orgs[i]);
            return WB_ERR_PROTOCOL;
        }
        struct risk_context_party *out = &d->parties[i];
        snprintf(out->org, sizeof out->org, "%s", orgs[i]);
        out->known = p->known;
        out->party.first_seen_ms = p->first_seen_ms;
        out->party.chains_completed = p->chains_completed;
    }
    d->party_count = n;
    return WB_OK;
}

static int take_baselines(struct client *c, const Waybill__RiskContext *m,
                          const char *const *keys, size_t n, struct risk_context_data *d)
{
    char buf[160];
    if (m->n_baselines != n) {
        reason(c, "the risk context answers %zu baselines, %zu were asked", m->n_baselines, n);
        return WB_ERR_PROTOCOL;
    }
    for (size_t i = 0; i < n; i++) {
        const Waybill__RiskContext__Baseline *b = m->baselines[i];
        struct risk_context_baseline *out = &d->baselines[i];
        if (!same(b->key, keys[i])) {
            reason(c, "the risk context answers baseline '%s' where '%s' was asked",
                   safe(b->key, buf, sizeof buf), keys[i]);
            return WB_ERR_PROTOCOL;
        }
        if (b->dist.len && risk_dist_decode(b->dist.data, b->dist.len, &out->dist) != WB_OK) {
            reason(c, "the baseline '%s' of the risk context does not decode", keys[i]);
            return WB_ERR_PROTOCOL;
        }
        snprintf(out->key, sizeof out->key, "%s", keys[i]);
        out->known = b->dist.len != 0;
    }
    d->baseline_count = n;
    return WB_OK;
}

int risk_context_fetch(struct client *c, const char *item, const char *const *seals,
                       size_t n_seals, const char *container, const char *const *orgs,
                       size_t n_orgs, const char *const *keys, size_t n_keys,
                       struct risk_context_data *out)
{
    memset(out, 0, sizeof *out);
    item = item ? item : "";
    int rc = check_request(c, item, seals, n_seals, container, orgs, n_orgs, keys, n_keys);
    if (rc) return rc;
    snprintf(out->item, sizeof out->item, "%s", item);
    out->seals = calloc(n_seals ? n_seals : 1, sizeof *out->seals);
    out->parties = calloc(n_orgs ? n_orgs : 1, sizeof *out->parties);
    out->baselines = calloc(n_keys ? n_keys : 1, sizeof *out->baselines);
    if (!out->seals || !out->parties || !out->baselines) {
        risk_context_data_free(out);
        reason(c, "out of memory");
        return WB_ERR_NOMEM;
    }

    Waybill__RiskContextRequest q = WAYBILL__RISK_CONTEXT_REQUEST__INIT;
    q.item = (char *)item;
    q.n_seals = n_seals;
    q.seals = (char **)seals;
    q.container = (char *)(container ? container : "");
    q.n_orgs = n_orgs;
    q.orgs = (char **)orgs;
    q.n_baseline_keys = n_keys;
    q.baseline_keys = (char **)keys;
    Waybill__ClientRequest req = WAYBILL__CLIENT_REQUEST__INIT;
    req.req_case = WAYBILL__CLIENT_REQUEST__REQ_RISK_CONTEXT;
    req.risk_context = &q;
    Waybill__ClientResponse *resp;
    rc = client_call(c, &req, WAYBILL__CLIENT_RESPONSE__RESP_RISK_CONTEXT, &resp);
    if (rc) return rc;
    const Waybill__RiskContext *m = resp->risk_context;
    if (!m) {
        reason(c, "the risk context answer is empty");
        rc = WB_ERR_PROTOCOL;
    }
    if (rc == WB_OK) rc = take_seals(c, m, item, seals, n_seals, out);
    if (rc == WB_OK) rc = take_container(c, m, container, out);
    if (rc == WB_OK) rc = take_parties(c, m, orgs, n_orgs, out);
    if (rc == WB_OK) rc = take_baselines(c, m, keys, n_keys, out);
    if (rc == WB_OK) out->height = m->height;
    waybill__client_response__free_unpacked(resp, NULL);
    return rc;
}

/* ---- answering the engine ------------------------------------------------------------------ */

static const struct risk_dist *cb_baseline(void *ctx, const char *key)
{
    const struct risk_context_data *d = ctx;
    for (size_t i = 0; i < d->baseline_count; i++)
        if (d->baselines[i].known && strcmp(d->baselines[i].key, key) == 0)
            return &d->baselines[i].dist;
    return NULL;
}

static size_t cb_seal_items(void *ctx, const char *seal, const char *item,
                            char (*out)[WB_ITEM_MAX + 1], size_t cap)
{
    const struct risk_context_data *d = ctx;
    for (size_t i = 0; i < d->seal_count; i++) {
        const struct risk_context_seal *s = &d->seals[i];
        if (strcmp(s->seal, seal) != 0) continue;
        uint64_t total = s->total;
        size_t n = 0;
        for (size_t k = 0; k < s->item_count; k++) {
            if (item && strcmp(s->items[k], item) == 0) {
                total--; /* the fetched item was left out by the node; this one here */
                continue;
            }
            if (n < cap) snprintf(out[n++], sizeof out[0], "%s", s->items[k]);
        }
        for (size_t k = n; k < cap && k < total; k++) out[k][0] = '\0';
        return (size_t)total;
    }
    return 0;
}

static size_t cb_container_refs(void *ctx, const char *container, struct risk_container_ref *out,
                                size_t cap)
{
    const struct risk_context_data *d = ctx;
    if (!d->has_container || strcmp(d->container, container) != 0) return 0;
    size_t n = 0;
    for (; n < d->ref_count && n < cap; n++) out[n] = d->refs[n];
    for (size_t k = n; k < cap && k < d->container_total; k++) memset(&out[k], 0, sizeof out[k]);
    return (size_t)d->container_total;
}

static bool cb_party(void *ctx, const char *org, struct risk_party *out)
{
    const struct risk_context_data *d = ctx;
    for (size_t i = 0; i < d->party_count; i++) {
        if (strcmp(d->parties[i].org, org) != 0) continue;
        if (!d->parties[i].known) break;
        *out = d->parties[i].party;
        return true;
    }
    memset(out, 0, sizeof *out);
    return false;
}

void risk_context_of(const struct risk_context_data *d, struct risk_context *ctx)
{
    ctx->ctx = (void *)d;
    ctx->baseline = cb_baseline;
    ctx->seal_items = cb_seal_items;
    ctx->container_refs = cb_container_refs;
    ctx->party = cb_party;
}

void risk_context_data_free(struct risk_context_data *d)
{
    free(d->seals);
    free(d->parties);
    free(d->baselines);
    memset(d, 0, sizeof *d);
}
