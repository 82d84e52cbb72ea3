/* The risk index (index.h): its state, what each committed event adds to
 * it, and the lookups the client API answers from. */
#include "node/risk/index.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hex.h"
#include "common/wb_assert.h"
#include "ledger/event.h"
#include "ledger/ids.h"
#include "node/risk/scan.h"

/* Other items' references kept per container: the rest of the 16 is the
 * container item's own. */
#define RING_MAX (NODE_RISK_CONTAINER_REFS_MAX - 1)
#define NO_PARTY UINT32_MAX

static void *libc_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    if (n == 0) {
        free(p);
        return NULL;
    }
    return realloc(p, n);
}

int node_risk_init(struct node_risk *r, const struct node_risk_alloc *alloc)
{
    memset(r, 0, sizeof *r);
    r->alloc = alloc ? *alloc : (struct node_risk_alloc){.realloc = libc_realloc};
    node_risk__strtab_init(&r->items);
    node_risk__strtab_init(&r->seal_names);
    node_risk__strtab_init(&r->container_names);
    node_risk__strtab_init(&r->org_names);
    node_risk__map_init(&r->seal_item);
    node_risk__map_init(&r->open_of);
    risk_baselines_init(&r->baselines);
    r->ev = r->alloc.realloc(r->alloc.ctx, NULL, sizeof *r->ev);
    return r->ev ? WB_OK : WB_ERR_NOMEM;
}

void node_risk_free(struct node_risk *r)
{
    const struct node_risk_alloc *a = &r->alloc;
    if (!a->realloc) return; /* never initialised */
    for (size_t i = 0; i < r->container_names.count; i++) {
        node_risk__free(a, r->containers[i].own);
        node_risk__free(a, r->containers[i].ring);
    }
    node_risk__free(a, r->containers);
    node_risk__free(a, r->seals);
    node_risk__free(a, r->parties);
    node_risk__free(a, r->open);
    node_risk__free(a, r->ev);
    node_risk__strtab_free(a, &r->items);
    node_risk__strtab_free(a, &r->seal_names);
    node_risk__strtab_free(a, &r->container_names);
    node_risk__strtab_free(a, &r->org_names);
    node_risk__map_free(a, &r->seal_item);
    node_risk__map_free(a, &r->open_of);
    risk_baselines_free(&r->baselines);
    memset(r, 0, sizeof *r);
}

/* ---- parties ----------------------------------------------------------------------- */

/* The party of submitter key pk (creating it, first seen at block_ms, at
 * its organisation's first event), or NO_PARTY for a key the registry
 * does not know (not in a checked block). */
static int party_of_key(struct node_risk *r, const struct ledger_gov *gov, const uint8_t *pk,
                        int64_t block_ms, uint32_t *party)
{
    struct node_risk__key *k = &r->keys[pk[0]];
    if (k->used && memcmp(k->pk, pk, WB_PUBKEY_LEN) == 0) {
        *party = k->party;
        return WB_OK;
    }
    *party = NO_PARTY;
    const struct ledger_gov_key *gk = gov ? ledger_gov_key_find(gov, pk) : NULL;
    if (gk) {
        size_t n = r->org_names.count;
        int rc = node_risk__grow(&r->alloc, (void **)&r->parties, &r->party_cap, n + 1,
                                 sizeof *r->parties, 16);
        if (rc == WB_OK)
            rc = node_risk__strtab_intern(&r->alloc, &r->org_names, gk->org, strlen(gk->org),
                                          party);
        if (rc) return rc;
        if (*party == n) r->parties[n] = (struct node_risk__party){.first_seen_ms = block_ms};
    }
    memcpy(k->pk, pk, WB_PUBKEY_LEN);
    k->party = *party;
    k->used = true;
    return WB_OK;
}

/* ---- items with something open ------------------------------------------------------- */

static uint64_t item_key(uint32_t item) { return (uint64_t)item + 1; }

/* The index into r->open of item's entry, or SIZE_MAX. */
static size_t open_find(const struct node_risk *r, uint32_t item)
{
    uint32_t at;
    return node_risk__map_get(&r->open_of, item_key(item), &at) ? at : SIZE_MAX;
}

/* A new entry for item (not open yet): its index in *at. */
static int open_add(struct node_risk *r, uint32_t item, size_t *at)
{
    WB_ASSERT(open_find(r, item) == SIZE_MAX);
    if (r->open_count >= UINT32_MAX) return WB_ERR_TOO_LARGE;
    int rc = node_risk__grow(&r->alloc, (void **)&r->open, &r->open_cap, r->open_count + 1,
                             sizeof *r->open, 64);
    if (rc == WB_OK) rc = node_risk__map_put(&r->alloc, &r->open_of, item_key(item),
                                             (uint32_t)r->open_count);
    if (rc) return rc;
    struct node_risk__open *o = &r->open[r->open_count];
    memset(o, 0, sizeof *o);
    o->item = item;
    risk_sampler_init(&o->sampler);
    *at = r->open_count++;
    return WB_OK;
}

/* Whether a sampler remembers nothing: it then answers every event as a
 * fresh one would (the fields of a closed arrive or depart are not read
 * again, and the load's mode is read only by the next depart). */
static bool sampler_closed(const struct risk_sampler *s)
{
    return !s->arrived && !s->departed && s->load_mode == LEDGER_MODE_NONE;
}

/* Drops entry `at` when nothing of it is open any more: the last entry
 * takes its place. */
static void open_drop_if_closed(struct node_risk *r, size_t at)
{
    struct node_risk__open *o = &r->open[at];
    if (o->handover_from || !sampler_closed(&o->sampler)) return;
    bool had = node_risk__map_del(&r->open_of, item_key(o->item));
    WB_ASSERT(had);
    size_t last = --r->open_count;
    if (at != last) {
        r->open[at] = r->open[last];
        /* Replacing a present key's value allocates nothing. */
        int rc = node_risk__map_put(&r->alloc, &r->open_of, item_key(r->open[at].item),
                                    (uint32_t)at);
        WB_ASSERT(rc == WB_OK);
    }
}

/* ---- seals and containers ------------------------------------------------------------- */

static int seal_named(struct node_risk *r, const char *seal, uint32_t item)
{
    size_t n = r->seal_names.count;
    uint32_t id;
    int rc = node_risk__grow(&r->alloc, (void **)&r->seals, &r->seal_cap, n + 1,
                             sizeof *r->seals, 64);
    if (rc == WB_OK) rc = node_risk__strtab_intern(&r->alloc, &r->seal_names, seal,
                                                   strlen(seal), &id);
    if (rc) return rc;
    if (id == n) memset(&r->seals[id], 0, sizeof r->seals[id]);
    uint64_t pair = ((uint64_t)id + 1) << 32 | item;
    if (node_risk__map_get(&r->seal_item, pair, NULL)) return WB_OK; /* counted already */
    rc = node_risk__map_put(&r->alloc, &r->seal_item, pair, 0);
    if (rc) return rc;
    struct node_risk__seal *s = &r->seals[id];
    s->total++;
    if (s->count < NODE_RISK_SEAL_ITEMS_MAX) s->items[s->count++] = item;
    return WB_OK;
}

/* A reference to container number `name` by ev (of item), the container
 * item's own (own) or another item's. */
static int container_ref(struct node_risk *r, const char *name, uint32_t item,
                         const struct ledger_event *ev, bool own)
{
    size_t n = r->container_names.count;
    uint32_t id;
    int rc = node_risk__grow(&r->alloc, (void **)&r->containers, &r->container_cap, n + 1,
                             sizeof *r->containers, 64);
    if (rc == WB_OK) rc = node_risk__strtab_intern(&r->alloc, &r->container_names, name,
                                                   strlen(name), &id);
    if (rc) return rc;
    struct node_risk__container *c = &r->containers[id];
    if (id == n) memset(c, 0, sizeof *c);
    struct node_risk__ref ref = {.item = item, .time_ms = ev->time_ms};
    memcpy(ref.location, ev->location, sizeof ref.location);
    memcpy(ref.event, ev->id, WB_HASH_LEN);
    if (own) {
        if (!c->own) {
            c->own = r->alloc.realloc(r->alloc.ctx, NULL, sizeof *c->own);
            if (!c->own) return WB_ERR_NOMEM;
        }
        *c->own = ref;
    } else if (c->ring_count < RING_MAX) {
        size_t cap = c->ring_cap;
        rc = node_risk__grow(&r->alloc, (void **)&c->ring, &cap, c->ring_count + 1u,
                             sizeof *c->ring, 1);
        if (rc) return rc;
        c->ring_cap = (uint8_t)(cap < RING_MAX ? cap : RING_MAX);
        c->ring[c->ring_count++] = ref;
    } else {
        c->ring[c->next] = ref;
        c->next = (uint8_t)((c->next + 1) % RING_MAX);
    }
    c->total++;
    return WB_OK;
}

/* Attribute device= of an attach: 64 lowercase hex digits, as the rules
 * read it. */
static bool device_of(const struct ledger_event *ev, uint8_t key[WB_PUBKEY_LEN])
{
    const char *v = ledger_event_attr(ev, "device");
    if (!v || strlen(v) != 2 * WB_PUBKEY_LEN) return false;
    for (const char *p = v; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
    return wb_hex_decode(v, key, WB_PUBKEY_LEN) == WB_OK;
}

static bool is_container_number(const char *s, size_t len)
{
    enum ledger_id_kind kind;
    return len == 11 && ledger_item_id_check(s, &kind, NULL, 0) == WB_OK &&
           kind == LEDGER_ID_CONTAINER;
}

/* The actions that say where an item is. */
static bool locates(enum ledger_action a)
{
    return a == LEDGER_COMMISSION || a == LEDGER_LOAD || a == LEDGER_DEPART ||
           a == LEDGER_ARRIVE || a == LEDGER_UNLOAD;
}

static bool samples(enum ledger_action a)
{
    return a == LEDGER_LOAD || a == LEDGER_DEPART || a == LEDGER_ARRIVE || a == LEDGER_DELIVER;
}

/* ---- one event ------------------------------------------------------------------------ */

/* What the decoded event ev of item (id `item`, entry `at` in open or
 * SIZE_MAX) adds: the seals and containers it names, its sample. */
static int take_decoded(struct node_risk *r, const struct ledger_gov *gov,
                        const struct ledger_event *ev, uint32_t item, size_t *at)
{
    int rc = WB_OK;
    const char *seal = ledger_event_attr(ev, "seal");
    if (seal && seal[0]) rc = seal_named(r, seal, item);
    uint8_t dev[WB_PUBKEY_LEN];
    if (rc == WB_OK && ev->action == LEDGER_DEVICE_ATTACH && gov && device_of(ev, dev)) {
        const struct ledger_gov_device *d = ledger_gov_device_find(gov, dev);
        if (d && d->kind == LEDGER_DEVICE_ESEAL && d->seal[0]) rc = seal_named(r, d->seal, item);
    }
    const char *cont = ledger_event_attr(ev, "container");
    if (rc == WB_OK && cont && strcmp(cont, ev->item) != 0 &&
        is_container_number(cont, strlen(cont)))
        rc = container_ref(r, cont, item, ev, false);
    if (rc == WB_OK && locates(ev->action) && is_container_number(ev->item, strlen(ev->item)))
        rc = container_ref(r, ev->item, item, ev, true);
    if (rc || !samples(ev->action)) return rc;
    struct risk_sampler fresh, *s = &fresh;
    if (*at != SIZE_MAX) s = &r->open[*at].sampler;
    else risk_sampler_init(&fresh);
    struct risk_sample one;
    /* The chain index only names a sample's ends, which the index does
     * not keep. */
    if (risk_sampler_add(s, ev, 0, &one)) rc = risk_baselines_add(&r->baselines, one.key, one.ms);
    if (rc == WB_OK && *at == SIZE_MAX && !sampler_closed(&fresh)) {
        rc = open_add(r, item, at);
        if (rc == WB_OK) r->open[*at].sampler = fresh;
    }
    return rc;
}

static int take_event(struct node_risk *r, const struct ledger_gov *gov, int64_t block_ms,
                      const uint8_t *bytes, size_t len)
{
    const uint8_t *body;
    size_t body_len;
    uint8_t sig[WB_SIG_LEN];
    struct node_risk_scan sc;
    int rc = ledger_signed_event_split(bytes, len, &body, &body_len, sig);
    if (rc == WB_OK) rc = node_risk__scan(body, body_len, &sc);
    if (rc) return WB_ERR_DECODE;
    uint32_t party = NO_PARTY;
    if (sc.submitter && (rc = party_of_key(r, gov, sc.submitter, block_ms, &party))) return rc;
    enum ledger_action a = sc.action;
    if (ledger_action_is_gov(a) || sc.item_len == 0) return WB_OK;
    if (sc.item_len > WB_ITEM_MAX || memchr(sc.item, '\0', sc.item_len)) return WB_ERR_DECODE;
    char name[WB_ITEM_MAX + 1];
    memcpy(name, sc.item, sc.item_len);
    name[sc.item_len] = '\0';

    uint32_t item = 0;
    bool have_item = node_risk__strtab_find(&r->items, sc.item, sc.item_len, &item);
    size_t at = have_item ? open_find(r, item) : SIZE_MAX;
    bool decode = sc.seal_attr || sc.container_attr || a == LEDGER_LOAD || a == LEDGER_DEPART ||
                  a == LEDGER_ARRIVE || a == LEDGER_DEVICE_ATTACH ||
                  (a == LEDGER_DELIVER && at != SIZE_MAX) ||
                  (locates(a) && is_container_number(name, sc.item_len));
    bool custody = (a == LEDGER_HANDOVER && party != NO_PARTY) ||
                   (a == LEDGER_RECEIVE && at != SIZE_MAX);
    if (!have_item && (decode || custody)) {
        rc = node_risk__strtab_intern(&r->alloc, &r->items, name, sc.item_len, &item);
        if (rc) return rc;
    }

    /* Custody, from the scan alone. */
    if (a == LEDGER_HANDOVER && party != NO_PARTY) {
        if (at == SIZE_MAX && (rc = open_add(r, item, &at))) return rc;
        r->open[at].handover_from = party + 1;
    } else if (a == LEDGER_RECEIVE && at != SIZE_MAX && r->open[at].handover_from) {
        r->parties[r->open[at].handover_from - 1].chains_completed++;
        r->open[at].handover_from = 0;
    } else if (a == LEDGER_DELIVER && party != NO_PARTY) {
        r->parties[party].chains_completed++;
    }

    if (decode) {
        r->stats.decoded++;
        rc = ledger_event_decode(body, body_len, r->ev, NULL, 0);
        if (rc == WB_OK) rc = take_decoded(r, gov, r->ev, item, &at);
        if (rc) return rc;
    }
    if (at != SIZE_MAX) open_drop_if_closed(r, at);
    return WB_OK;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int node_risk_on_block(struct node_risk *r, const struct ledger_block *b,
                       const struct ledger_gov *gov)
{
    WB_ASSERT(b->header.height == r->height + 1);
    r->height = b->header.height;
    if (r->failed) return WB_OK; /* said once, at the block that failed */
    uint64_t t0 = mono_ns();
    int rc = WB_OK;
    for (size_t i = 0; i < b->event_count && rc == WB_OK; i++)
        rc = take_event(r, gov, b->header.time_ms, b->events[i], b->lens[i]);
    r->stats.blocks++;
    r->stats.events += b->event_count;
    r->stats.ns += mono_ns() - t0;
    if (rc) {
        r->failed = rc;
        r->failed_height = b->header.height;
    }
    return rc;
}

/* ---- lookups ---------------------------------------------------------------------------- */

size_t node_risk_seal_items(const struct node_risk *r, const char *seal, const char *item,
                            const char **out, size_t cap, uint64_t *total)
{
    uint32_t id, skip = UINT32_MAX;
    *total = 0;
    if (!node_risk__strtab_find(&r->seal_names, seal, strlen(seal), &id)) return 0;
    const struct node_risk__seal *s = &r->seals[id];
    *total = s->total;
    uint32_t it;
    if (item && item[0] && node_risk__strtab_find(&r->items, item, strlen(item), &it) &&
        node_risk__map_get(&r->seal_item, ((uint64_t)id + 1) << 32 | it, NULL)) {
        skip = it;
        (*total)--;
    }
    size_t n = 0;
    for (uint32_t k = 0; k < s->count && n < cap; k++)
        if (s->items[k] != skip) out[n++] = node_risk__strtab_str(&r->items, s->items[k]);
    return n;
}

static struct node_risk_ref ref_out(const struct node_risk *r, const struct node_risk__ref *x)
{
    return (struct node_risk_ref){.item = node_risk__strtab_str(&r->items, x->item),
                                  .location = x->location,
                                  .time_ms = x->time_ms,
                                  .event = x->event};
}

size_t node_risk_container_refs(const struct node_risk *r, const char *container,
                                struct node_risk_ref *out, size_t cap, uint64_t *total)
{
    uint32_t id;
    *total = 0;
    if (!node_risk__strtab_find(&r->container_names, container, strlen(container), &id)) return 0;
    const struct node_risk__container *c = &r->containers[id];
    *total = c->total;
    size_t n = 0;
    if (c->own && n < cap) out[n++] = ref_out(r, c->own);
    for (size_t k = 0; k < c->ring_count && n < cap; k++)
        out[n++] = ref_out(r, &c->ring[(c->next + k) % c->ring_count]);
    return n;
}

bool node_risk_party(const struct node_risk *r, const char *org, struct risk_party *out)
{
    uint32_t id;
    memset(out, 0, sizeof *out);
    if (!node_risk__strtab_find(&r->org_names, org, strlen(org), &id)) return false;
    out->first_seen_ms = r->parties[id].first_seen_ms;
    out->chains_completed = r->parties[id].chains_completed;
    return true;
}

const struct risk_dist *node_risk_baseline(const struct node_risk *r, const char *key)
{
    return risk_baselines_find(&r->baselines, key);
}

void node_risk_stats(const struct node_risk *r, struct node_risk_stats *out)
{
    *out = r->stats;
    out->seals = r->seal_names.count;
    out->containers = r->container_names.count;
    out->parties = r->org_names.count;
    out->items = r->items.count;
    out->open = r->open_count;
    out->baselines = r->baselines.count;
    size_t refs = 0;
    for (size_t i = 0; i < r->container_names.count; i++)
        refs += r->containers[i].ring_cap + (r->containers[i].own ? 1u : 0u);
    out->bytes = sizeof *r + sizeof *r->ev + node_risk__strtab_bytes(&r->items) +
                 node_risk__strtab_bytes(&r->seal_names) +
                 node_risk__strtab_bytes(&r->container_names) +
                 node_risk__strtab_bytes(&r->org_names) + node_risk__map_bytes(&r->seal_item) +
                 node_risk__map_bytes(&r->open_of) + r->seal_cap * sizeof *r->seals +
                 r->container_cap * sizeof *r->containers + refs * sizeof(struct node_risk__ref) +
                 r->party_cap * sizeof *r->parties + r->open_cap * sizeof *r->open +
                 r->baselines.cap * sizeof *r->baselines.entries;
}
