/* The score table (scores.h): marking items dirty as blocks commit,
 * re-assessing them with the risk engine off the commit path, and the
 * listings and organisation aggregates the client API answers from. */
#include "node/risk/scores.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/wb_assert.h"
#include "ledger/event.h"
#include "ledger/evidence.h"
#include "node/risk/scan.h"
#include "storage/store.h"

static void *libc_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    if (n == 0) {
        free(p);
        return NULL;
    }
    return realloc(p, n);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int node_scores_init(struct node_scores *s, const struct node_risk_alloc *alloc,
                     const struct risk_policy *p, const struct node_scores_deps *deps)
{
    memset(s, 0, sizeof *s);
    s->alloc = alloc ? *alloc : (struct node_risk_alloc){.realloc = libc_realloc};
    s->policy = *p;
    risk_policy_hash(p, s->policy_hash);
    s->deps = *deps;
    node_risk__strtab_init(&s->items);
    node_risk__strtab_init(&s->orgs);
    return WB_OK;
}

static void item_clear(const struct node_risk_alloc *a, struct node_scores__item *it)
{
    node_risk__free(a, it->flags);
    node_risk__free(a, it->held);
    node_risk__free(a, it->hand);
    it->flags = NULL;
    it->held = NULL;
    it->hand = NULL;
    it->nflags = it->nheld = it->nhand = 0;
}

void node_scores_free(struct node_scores *s)
{
    const struct node_risk_alloc *a = &s->alloc;
    if (!a->realloc) return;
    for (size_t i = 0; i < s->items.count; i++) item_clear(a, &s->table[i]);
    node_risk__free(a, s->table);
    node_risk__free(a, s->queue);
    node_risk__free(a, s->block_time);
    node_risk__free(a, s->evs);
    node_risk__free(a, s->revs);
    node_risk__strtab_free(a, &s->items);
    node_risk__strtab_free(a, &s->orgs);
    memset(s, 0, sizeof *s);
}

/* ---- marking ---------------------------------------------------------------------------- */

/* The id of item name (len bytes), adding an empty entry when new. */
static int item_id(struct node_scores *s, const char *name, size_t len, uint32_t *id)
{
    size_t n = s->items.count;
    int rc = node_risk__grow(&s->alloc, (void **)&s->table, &s->table_cap, n + 1,
                             sizeof *s->table, 256);
    if (rc == WB_OK) rc = node_risk__strtab_intern(&s->alloc, &s->items, name, len, id);
    if (rc) return rc;
    if (*id == n) memset(&s->table[n], 0, sizeof s->table[n]);
    return WB_OK;
}

static int mark(struct node_scores *s, const char *name, size_t len)
{
    if (len == 0 || len > WB_ITEM_MAX || memchr(name, '\0', len)) return WB_ERR_DECODE;
    if (len == strlen(WB_GOV_CHAIN) && memcmp(name, WB_GOV_CHAIN, len) == 0) return WB_OK;
    uint32_t id;
    int rc = item_id(s, name, len, &id);
    if (rc || s->table[id].dirty) return rc;
    /* Compact the queue before it grows. */
    if (s->queue_head && s->queue_head + s->queue_count == s->queue_cap) {
        memmove(s->queue, s->queue + s->queue_head, s->queue_count * sizeof *s->queue);
        s->queue_head = 0;
    }
    rc = node_risk__grow(&s->alloc, (void **)&s->queue, &s->queue_cap,
                         s->queue_head + s->queue_count + 1, sizeof *s->queue, 256);
    if (rc) return rc;
    s->queue[s->queue_head + s->queue_count++] = id;
    s->table[id].dirty = true;
    return WB_OK;
}

static int set_block_time(struct node_scores *s, uint64_t height, int64_t time_ms)
{
    if (height >= SIZE_MAX / 2) return WB_ERR_TOO_LARGE;
    size_t cap = s->block_time_cap;
    int rc = node_risk__grow(&s->alloc, (void **)&s->block_time, &s->block_time_cap,
                             (size_t)height + 1, sizeof *s->block_time, 1024);
    if (rc) return rc;
    if (s->block_time_cap > cap)
        memset(s->block_time + cap, 0, (s->block_time_cap - cap) * sizeof *s->block_time);
    s->block_time[height] = time_ms;
    return WB_OK;
}

int node_scores_mark_all(struct node_scores *s, uint64_t height, int64_t time_ms)
{
    s->head_height = height;
    s->head_time_ms = time_ms;
    struct ledger_item_state *page = malloc(STORE_REG_LIMIT_MAX * sizeof *page);
    if (!page) return WB_ERR_NOMEM;
    int rc = WB_OK;
    for (uint64_t from = 0;;) {
        size_t n = 0;
        rc = store_items_by_reg(s->deps.store, from, STORE_REG_LIMIT_MAX, page, &n);
        for (size_t i = 0; rc == WB_OK && i < n; i++)
            rc = mark(s, page[i].item, strlen(page[i].item));
        if (rc || n < STORE_REG_LIMIT_MAX) break;
        from += n;
    }
    free(page);
    return rc;
}

int node_scores_on_block(struct node_scores *s, const struct ledger_block *b)
{
    s->head_height = b->header.height;
    s->head_time_ms = b->header.time_ms;
    int rc = set_block_time(s, b->header.height, b->header.time_ms);
    for (size_t i = 0; rc == WB_OK && i < b->event_count; i++) {
        const uint8_t *body;
        size_t body_len;
        uint8_t sig[WB_SIG_LEN];
        struct node_risk_scan sc;
        rc = ledger_signed_event_split(b->events[i], b->lens[i], &body, &body_len, sig);
        if (rc == WB_OK) rc = node_risk__scan(body, body_len, &sc);
        if (rc) return WB_ERR_DECODE;
        if (ledger_action_is_gov(sc.action) || sc.item_len == 0) continue;
        rc = mark(s, sc.item, sc.item_len);
        /* A seal number shared with other items changes their SEAL_REUSE. */
        if (rc == WB_OK && sc.seal_attr && sc.seal_len && sc.seal_len <= WB_ATTR_VALUE_MAX) {
            char seal[WB_ATTR_VALUE_MAX + 1], item[WB_ITEM_MAX + 1];
            memcpy(seal, sc.seal, sc.seal_len);
            seal[sc.seal_len] = '\0';
            size_t il = sc.item_len < WB_ITEM_MAX ? sc.item_len : WB_ITEM_MAX;
            memcpy(item, sc.item, il);
            item[il] = '\0';
            const char *others[NODE_RISK_SEAL_ITEMS_MAX];
            uint64_t total;
            size_t n = node_risk_seal_items(s->deps.risk, seal, item, others,
                                            NODE_RISK_SEAL_ITEMS_MAX, &total);
            for (size_t k = 0; rc == WB_OK && k < n; k++)
                rc = mark(s, others[k], strlen(others[k]));
        }
    }
    return rc;
}

/* ---- the context, from the risk index --------------------------------------------------- */

static const struct risk_dist *cx_baseline(void *ctx, const char *key)
{
    return node_risk_baseline(ctx, key);
}

static size_t cx_seal_items(void *ctx, const char *seal, const char *item,
                            char (*out)[WB_ITEM_MAX + 1], size_t cap)
{
    const char *ids[NODE_RISK_SEAL_ITEMS_MAX];
    uint64_t total;
    size_t n = node_risk_seal_items(ctx, seal, item, ids, NODE_RISK_SEAL_ITEMS_MAX, &total);
    size_t k = 0;
    for (; k < n && k < cap; k++) snprintf(out[k], sizeof out[k], "%s", ids[k]);
    for (; k < cap && k < total; k++) out[k][0] = '\0';
    return (size_t)total;
}

static size_t cx_container_refs(void *ctx, const char *container, struct risk_container_ref *out,
                                size_t cap)
{
    struct node_risk_ref refs[NODE_RISK_CONTAINER_REFS_MAX];
    uint64_t total;
    size_t n = node_risk_container_refs(ctx, container, refs, NODE_RISK_CONTAINER_REFS_MAX,
                                        &total);
    size_t k = 0;
    for (; k < n && k < cap; k++) {
        memset(&out[k], 0, sizeof out[k]);
        snprintf(out[k].item, sizeof out[k].item, "%s", refs[k].item);
        snprintf(out[k].location, sizeof out[k].location, "%s", refs[k].location);
        out[k].time_ms = refs[k].time_ms;
        memcpy(out[k].event, refs[k].event, WB_HASH_LEN);
    }
    for (; k < cap && k < total; k++) memset(&out[k], 0, sizeof out[k]);
    return (size_t)total;
}

static bool cx_party(void *ctx, const char *org, struct risk_party *out)
{
    return node_risk_party(ctx, org, out);
}

/* ---- one assessment --------------------------------------------------------------------- */

static int block_time_of(struct node_scores *s, uint64_t height, int64_t *out)
{
    if (height < s->block_time_cap && s->block_time[height]) {
        *out = s->block_time[height];
        return WB_OK;
    }
    uint8_t *bytes;
    size_t len;
    int rc = store_get_block(s->deps.store, height, &bytes, &len);
    if (rc) return rc;
    struct ledger_block b;
    rc = ledger_block_decode(bytes, len, &b);
    free(bytes);
    if (rc) return rc == WB_ERR_NOMEM ? rc : WB_ERR_STORE;
    *out = b.header.time_ms;
    ledger_block_free(&b);
    return set_block_time(s, height, *out);
}

static uint32_t org_id(struct node_scores *s, const char *org, int *rc)
{
    uint32_t id = NODE_SCORES_NONE;
    if (!org || !org[0] || *rc) return NODE_SCORES_NONE;
    *rc = node_risk__strtab_intern(&s->alloc, &s->orgs, org, strlen(org), &id);
    return *rc ? NODE_SCORES_NONE : id;
}

/* Keeps what rep and the chain say about item `it`. */
static int keep(struct node_scores *s, struct node_scores__item *it, const struct risk_report *rep,
                const struct ledger_evidence *e, size_t count)
{
    const struct node_risk_alloc *a = &s->alloc;
    int rc = WB_OK;
    item_clear(a, it);
    it->score = rep->score;
    it->flag_total = (uint32_t)(rep->flag_count + rep->flags_dropped);
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++)
        it->counts[c] = rep->counts[c] > UINT16_MAX ? UINT16_MAX : (uint16_t)rep->counts[c];
    if (rep->flag_count) {
        it->flags = a->realloc(a->ctx, NULL, rep->flag_count * sizeof *it->flags);
        if (!it->flags) return WB_ERR_NOMEM;
        for (size_t i = 0; i < rep->flag_count; i++) {
            const struct risk_flag *f = &rep->flags[i];
            it->flags[i] = (struct node_scores_flag){
                .time_ms = f->time_ms, .org = org_id(s, f->custodian, &rc), .code = (uint8_t)f->code};
        }
        it->nflags = (uint32_t)rep->flag_count;
    }
    if (e->custody_count) {
        it->held = a->realloc(a->ctx, NULL, e->custody_count * sizeof *it->held);
        if (!it->held) return WB_ERR_NOMEM;
        for (size_t i = 0; i < e->custody_count; i++) {
            uint32_t o = org_id(s, e->custody[i].org, &rc);
            bool seen = o == NODE_SCORES_NONE;
            for (uint32_t k = 0; k < it->nheld && !seen; k++) seen = it->held[k] == o;
            if (!seen) it->held[it->nheld++] = o;
        }
    }
    size_t hands = 0;
    for (size_t i = 0; i < count; i++) hands += s->evs[i].action == LEDGER_HANDOVER;
    if (hands) {
        it->hand = a->realloc(a->ctx, NULL, hands * sizeof *it->hand);
        if (!it->hand) return WB_ERR_NOMEM;
        for (size_t i = 0; i < count; i++) {
            const struct ledger_event *ev = &s->evs[i];
            if (ev->action == LEDGER_HANDOVER) {
                it->hand[it->nhand++] = (struct node_scores_handover){
                    .given_ms = ev->time_ms,
                    .from = org_id(s, s->revs[i].org, &rc),
                    .to = org_id(s, ev->to_org, &rc)};
            } else if (ev->action == LEDGER_RECEIVE && it->nhand &&
                       !it->hand[it->nhand - 1].received) {
                it->hand[it->nhand - 1].received = true;
                it->hand[it->nhand - 1].received_ms = ev->time_ms;
            }
        }
    }
    return rc;
}

static int assess(struct node_scores *s, uint32_t id, char *msg, size_t msg_len)
{
    const char *name = node_risk__strtab_str(&s->items, id);
    struct store_event_ref *refs = NULL;
    size_t count = 0;
    int rc = store_item_history(s->deps.store, name, &refs, &count);
    if (rc) return wb_failf(rc, msg, msg_len, "reading its history: %s", wb_strerror(rc));
    if (count > s->evs_cap) {
        void *e = s->alloc.realloc(s->alloc.ctx, s->evs, count * sizeof *s->evs);
        if (e) s->evs = e;
        void *r = e ? s->alloc.realloc(s->alloc.ctx, s->revs, count * sizeof *s->revs) : NULL;
        if (r) s->revs = r;
        if (!r) {
            free(refs);
            return wb_failf(WB_ERR_NOMEM, msg, msg_len, "out of memory");
        }
        s->evs_cap = count;
    }
    const struct ledger_gov *gov = s->deps.gov;
    for (size_t i = 0; i < count && rc == WB_OK; i++) {
        uint8_t *bytes;
        size_t len;
        rc = store_get_event_at(s->deps.store, refs[i].height, refs[i].index, refs[i].id, &bytes,
                                &len);
        if (rc) {
            rc = wb_failf(rc, msg, msg_len, "reading event %zu: %s", i, wb_strerror(rc));
            break;
        }
        const uint8_t *body;
        size_t body_len;
        uint8_t sig[WB_SIG_LEN];
        rc = ledger_signed_event_split(bytes, len, &body, &body_len, sig);
        if (rc == WB_OK) rc = ledger_event_decode(body, body_len, &s->evs[i], msg, msg_len);
        free(bytes);
        if (rc) break;
        int64_t bt = 0;
        rc = block_time_of(s, refs[i].height, &bt);
        if (rc) {
            rc = wb_failf(rc, msg, msg_len, "reading block %llu: %s",
                     (unsigned long long)refs[i].height, wb_strerror(rc));
            break;
        }
        const struct ledger_gov_key *k = gov ? ledger_gov_key_find(gov, s->evs[i].submitter) : NULL;
        s->revs[i] = (struct risk_event){.ev = &s->evs[i], .height = refs[i].height,
                                         .block_time_ms = bt, .org = k ? k->org : NULL};
    }
    free(refs);
    if (rc) return rc;

    struct ledger_evidence e;
    rc = ledger_evidence_init(&e);
    for (size_t i = 0; i < count && rc == WB_OK; i++)
        rc = ledger_evidence_add(&e, &s->evs[i], s->revs[i].height, s->deps.g, gov, msg, msg_len);
    if (rc == WB_OK) ledger_evidence_finish(&e);
    struct risk_report rep;
    memset(&rep, 0, sizeof rep);
    if (rc == WB_OK) {
        struct risk_context ctx = {.ctx = (void *)s->deps.risk,
                                   .baseline = cx_baseline,
                                   .seal_items = cx_seal_items,
                                   .container_refs = cx_container_refs,
                                   .party = cx_party};
        struct risk_input in = {.events = s->revs, .count = count, .g = s->deps.g,
                                .evidence = &e, .as_of_ms = s->head_time_ms};
        rc = risk_assess(&in, &s->policy, &ctx, &rep, msg, msg_len);
    }
    struct node_scores__item *it = &s->table[id];
    if (rc == WB_OK) {
        rc = keep(s, it, &rep, &e, count);
        if (rc) rc = wb_failf(rc, msg, msg_len, "out of memory");
    }
    risk_report_free(&rep);
    ledger_evidence_free(&e);
    return rc;
}

size_t node_scores_work(struct node_scores *s, uint64_t budget_ns)
{
    uint64_t t0 = mono_ns();
    while (s->queue_count) {
        uint32_t id = s->queue[s->queue_head++];
        if (--s->queue_count == 0) s->queue_head = 0;
        struct node_scores__item *it = &s->table[id];
        it->dirty = false;
        char msg[256] = "";
        uint64_t a0 = mono_ns();
        int rc = assess(s, id, msg, sizeof msg);
        s->stats.ns += mono_ns() - a0;
        s->stats.assessed++;
        if (rc) {
            s->stats.failed++;
            if (!it->err)
                WB_WARN("risk", "h=%llu item %s cannot be scored: %s",
                        (unsigned long long)s->head_height, node_risk__strtab_str(&s->items, id),
                        msg[0] ? msg : wb_strerror(rc));
            item_clear(&s->alloc, it);
            it->err = rc;
            it->height = 0;
        } else {
            it->err = 0;
            it->height = s->head_height;
        }
        if (mono_ns() - t0 >= budget_ns) break;
    }
    return s->queue_count;
}

/* ---- answers ---------------------------------------------------------------------------- */

static struct node_scores_entry entry_of(const struct node_scores *s, uint32_t id)
{
    const struct node_scores__item *it = &s->table[id];
    return (struct node_scores_entry){.item = node_risk__strtab_str(&s->items, id),
                                      .score = it->score,
                                      .flag_total = it->flag_total,
                                      .counts = it->counts,
                                      .height = it->height};
}

bool node_scores_item(const struct node_scores *s, const char *item, struct node_scores_entry *out)
{
    uint32_t id;
    if (!node_risk__strtab_find(&s->items, item, strlen(item), &id) || !s->table[id].height)
        return false;
    *out = entry_of(s, id);
    return true;
}

/* Queue order: score descending, then item id ascending. */
static int by_score(const void *pa, const void *pb)
{
    const struct node_scores_entry *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return strcmp(a->item, b->item);
}

/* Whether (score, item) comes after the cursor (after_score, after_item). */
static bool past(uint32_t score, const char *item, uint32_t after_score, const char *after_item)
{
    if (!after_item || !after_item[0]) return true;
    if (score != after_score) return score < after_score;
    return strcmp(item, after_item) > 0;
}

int node_scores_list(const struct node_scores *s, bool flagged, uint32_t min_score,
                     uint32_t after_score, const char *after_item, struct node_scores_entry *out,
                     size_t cap, size_t *n, bool *more)
{
    WB_ASSERT(cap <= NODE_SCORES_LIST_MAX);
    *n = 0;
    *more = false;
    size_t m = 0;
    for (size_t i = 0; i < s->items.count; i++) {
        const struct node_scores__item *it = &s->table[i];
        if (it->height && it->score >= min_score && (!flagged || it->score > 0)) m++;
    }
    if (m == 0) return WB_OK;
    struct node_scores_entry *all = malloc(m * sizeof *all);
    if (!all) return WB_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < s->items.count; i++) {
        const struct node_scores__item *it = &s->table[i];
        if (!it->height || it->score < min_score || (flagged && it->score == 0)) continue;
        struct node_scores_entry e = entry_of(s, (uint32_t)i);
        if (past(e.score, e.item, after_score, after_item)) all[k++] = e;
    }
    qsort(all, k, sizeof *all, by_score);
    *n = k < cap ? k : cap;
    memcpy(out, all, *n * sizeof *out);
    *more = k > cap;
    free(all);
    return WB_OK;
}

static int cmp_i64(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return a < b ? -1 : a > b;
}

/* The median (the lower of the middle two) and the greatest of n delays,
 * sorted here; 0 and 0 for none. */
static void median_worst(int64_t *d, size_t n, int64_t *median, int64_t *worst)
{
    *median = *worst = 0;
    if (!n) return;
    qsort(d, n, sizeof *d, cmp_i64);
    *median = d[(n - 1) / 2];
    *worst = d[n - 1];
}

static int by_org_item(const void *pa, const void *pb)
{
    const struct node_scores_org_item *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return strcmp(a->item, b->item);
}

int node_scores_org(const struct node_scores *s, const char *org, size_t top,
                    struct node_scores_org *out)
{
    memset(out, 0, sizeof *out);
    out->known = node_risk_party(s->deps.risk, org, &out->party);
    if (top > NODE_SCORES_TOP_MAX) top = NODE_SCORES_TOP_MAX;
    uint32_t o;
    if (!node_risk__strtab_find(&s->orgs, org, strlen(org), &o)) return WB_OK;
    /* Two passes: count, then fill. */
    size_t held = 0, given = 0, recv = 0;
    for (size_t i = 0; i < s->items.count; i++) {
        const struct node_scores__item *it = &s->table[i];
        if (!it->height) continue;
        for (uint32_t k = 0; k < it->nheld; k++) held += it->held[k] == o;
        for (uint32_t k = 0; k < it->nhand; k++) {
            given += it->hand[k].from == o && it->hand[k].received;
            recv += it->hand[k].to == o && it->hand[k].received;
        }
    }
    struct node_scores_org_item *items = malloc((held ? held : 1) * sizeof *items);
    int64_t *gd = malloc((given ? given : 1) * sizeof *gd);
    int64_t *rd = malloc((recv ? recv : 1) * sizeof *rd);
    if (!items || !gd || !rd) {
        free(items);
        free(gd);
        free(rd);
        return WB_ERR_NOMEM;
    }
    size_t ni = 0, ng = 0, nr = 0;
    for (size_t i = 0; i < s->items.count; i++) {
        const struct node_scores__item *it = &s->table[i];
        if (!it->height) continue;
        bool was = false;
        for (uint32_t k = 0; k < it->nheld && !was; k++) was = it->held[k] == o;
        for (uint32_t k = 0; k < it->nhand; k++) {
            const struct node_scores_handover *h = &it->hand[k];
            int64_t d = h->received && h->received_ms > h->given_ms ? h->received_ms - h->given_ms
                                                                     : 0;
            if (h->from == o) {
                out->given++;
                if (h->received) {
                    out->given_received++;
                    gd[ng++] = d;
                }
            }
            if (h->to == o && h->received) {
                out->received++;
                rd[nr++] = d;
            }
        }
        if (!was) continue;
        uint32_t w = 0;
        for (uint32_t k = 0; k < it->nflags; k++) {
            if (it->flags[k].org != o) continue;
            out->flags[it->flags[k].code]++;
            w += s->policy.weight[it->flags[k].code];
        }
        out->weight_sum += w;
        items[ni++] = (struct node_scores_org_item){.item = node_risk__strtab_str(&s->items, i),
                                                    .score = it->score,
                                                    .weight = w,
                                                    .counts = it->counts};
    }
    out->items_held = (uint32_t)ni;
    out->score_x100 = ni ? out->weight_sum * 100 / ni : 0;
    median_worst(gd, ng, &out->given_median_ms, &out->given_worst_ms);
    median_worst(rd, nr, &out->received_median_ms, &out->received_worst_ms);
    qsort(items, ni, sizeof *items, by_org_item);
    out->top_count = ni < top ? ni : top;
    memcpy(out->top, items, out->top_count * sizeof *items);
    free(items);
    free(gd);
    free(rd);
    return WB_OK;
}

void node_scores_stats(const struct node_scores *s, struct node_scores_stats *out)
{
    *out = s->stats;
    out->items = s->items.count;
    out->orgs = s->orgs.count;
    size_t per = 0;
    for (size_t i = 0; i < s->items.count; i++)
        per += s->table[i].nflags * sizeof(struct node_scores_flag) +
               s->table[i].nheld * sizeof(uint32_t) +
               s->table[i].nhand * sizeof(struct node_scores_handover);
    out->bytes = sizeof *s + node_risk__strtab_bytes(&s->items) +
                 node_risk__strtab_bytes(&s->orgs) + s->table_cap * sizeof *s->table +
                 s->queue_cap * sizeof *s->queue + s->block_time_cap * sizeof *s->block_time +
                 s->evs_cap * (sizeof *s->evs + sizeof *s->revs) + per;
}
