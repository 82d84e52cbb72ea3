/* The journey harness of the node's risk tests (node_risk.c, node_scores.c):
 * real signed events in blocks checked by ledger_block_check_full,
 * appended to a real store and fed to the risk index (and, after
 * rx_init_scores, the score table) as the commit path does. Static
 * functions: include it in one test program. */
#ifndef TESTS_UNIT_NODE_RISK_SUPPORT_H
#define TESTS_UNIT_NODE_RISK_SUPPORT_H

#include "common/hex.h"
#include "ledger/gov.h"
#include "ledger/validate.h"
#include "node/risk/index.h"
#include "node/risk/replay.h"
#include "node/risk/scores.h"
#include "storage/store.h"
#include "tests/unit/storage_support.h"

#define RX_ITEMS_MAX 320
#define RX_BLOCK_MAX 64
#define DAY_MS INT64_C(86400000)
#define CONT "CSQU3054383"       /* ISO 6346, check digit right */
#define CONT2 "MSCU1234566"

/* A journey harness: the committed item states, the block being built,
 * the governance state, a store and the index fed as blocks commit. */
struct rx {
    struct tc_chain c;                   /* genesis (acme, oceanic, customs) and keys */
    struct ledger_gov gov;
    size_t n;                            /* items known */
    struct ledger_item_state st[RX_ITEMS_MAX];   /* committed */
    struct ledger_item_state work[RX_ITEMS_MAX]; /* with the pending block's events */
    size_t pending;
    uint8_t (*evs)[WB_SIGNED_EVENT_MAX];
    size_t lens[RX_BLOCK_MAX];
    int64_t t;                           /* the next event's time */
    int64_t last_event_ms;
    uint64_t height, registered;
    uint8_t last_hash[WB_HASH_LEN];
    int64_t last_time_ms;
    int64_t block_time[256];             /* by height */
    char dir[64];
    struct store *store;
    struct node_risk idx;
    bool with_scores;                    /* rx_init_scores: sc is fed too */
    struct node_scores sc;
    uint64_t nonce;
};

static size_t rx_slot(struct rx *x, const char *item)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->work[i].item, item) == 0) return i;
    assert_true(x->n < RX_ITEMS_MAX);
    memset(&x->work[x->n], 0, sizeof x->work[x->n]);
    memset(&x->st[x->n], 0, sizeof x->st[x->n]);
    snprintf(x->work[x->n].item, sizeof x->work[x->n].item, "%s", item);
    snprintf(x->st[x->n].item, sizeof x->st[x->n].item, "%s", item);
    return x->n++;
}

static int rx_lookup(void *ctx, const char *item, struct ledger_item_state *st)
{
    struct rx *x = ctx;
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->st[i].item, item) == 0 && x->st[i].count) {
            *st = x->st[i];
            return WB_OK;
        }
    return WB_ERR_NOT_FOUND;
}

static void rx_init(struct rx *x)
{
    memset(x, 0, sizeof *x);
    if (tc_chain_init(&x->c, 1) != 0) fail_msg("tc_chain_init");
    CHECK_OK(ledger_gov_init(&x->gov, x->c.g));
    x->evs = malloc(RX_BLOCK_MAX * sizeof *x->evs);
    assert_non_null(x->evs);
    x->t = TC_GENESIS_TIME_MS + 60000;
    x->last_time_ms = TC_GENESIS_TIME_MS;
    if (tc_tmpdir(x->dir) != 0) fail_msg("tmpdir");
    struct store_options opt;
    store_options_init(&opt);
    opt.no_sync = true;
    CHECK_OK(store_open(x->dir, &opt, &x->store));
    CHECK_OK(store_bind_genesis(x->store, x->c.g->hash));
    CHECK_OK(node_risk_init(&x->idx, NULL));
}

/* Adds the score table (node/risk/scores.h, the default policy) fed
 * with every block after the index. */
static inline void rx_init_scores(struct rx *x)
{
    struct risk_policy p;
    risk_policy_defaults(&p);
    struct node_scores_deps deps = {.store = x->store, .gov = &x->gov, .g = &x->gov.view,
                                    .risk = &x->idx};
    CHECK_OK(node_scores_init(&x->sc, NULL, &p, &deps));
    x->with_scores = true;
}

static void rx_free(struct rx *x)
{
    if (x->with_scores) node_scores_free(&x->sc);
    node_risk_free(&x->idx);
    store_close(x->store);
    tc_rmtree(x->dir);
    ledger_gov_free(&x->gov);
    tc_chain_free(&x->c);
    free(x->evs);
}

/* Adds to the pending block the event of org about item: action at loc
 * (NULL: none), to_org for a handover, then attributes "key=value" up to a
 * NULL. Its time is x->t, which moves on by a second. */
static void rx_ev(struct rx *x, int org, const char *item, enum ledger_action a, const char *loc,
                  const char *to_org, ...)
{
    assert_true(x->pending < RX_BLOCK_MAX);
    size_t i = rx_slot(x, item);
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.item, sizeof ev.item, "%s", item);
    ev.action = a;
    if (loc) snprintf(ev.location, sizeof ev.location, "%s", loc);
    if (to_org) snprintf(ev.to_org, sizeof ev.to_org, "%s", to_org);
    ev.time_ms = x->t;
    x->last_event_ms = x->t;
    x->t += 1000;
    ev.nonce = ++x->nonce;
    memcpy(ev.submitter, x->c.org_pk[org], WB_PUBKEY_LEN);
    if (x->work[i].count) {
        ev.has_prev = true;
        memcpy(ev.prev, x->work[i].head, WB_HASH_LEN);
    }
    va_list ap;
    va_start(ap, to_org);
    for (const char *kv; (kv = va_arg(ap, const char *));) {
        const char *eq = strchr(kv, '=');
        assert_non_null(eq);
        struct ledger_attr *at = &ev.attrs[ev.attr_count++];
        snprintf(at->key, sizeof at->key, "%.*s", (int)(eq - kv), kv);
        snprintf(at->value, sizeof at->value, "%s", eq + 1);
    }
    va_end(ap);
    CHECK_OK(ledger_event_sign(x->c.g->chain_id, &ev, x->c.org_sk[org], x->evs[x->pending],
                               WB_SIGNED_EVENT_MAX, &x->lens[x->pending]));
    ledger_rules_apply(&x->work[i], &ev, &x->gov.view, x->height + 1);
    x->pending++;
}

/* Builds, checks, certifies and stores the pending block, then feeds it to
 * the index as the commit path does (the governance state after it). */
static void rx_commit(struct rx *x)
{
    uint64_t height = x->height + 1;
    int64_t time_ms = x->last_time_ms + 1000;
    if (x->pending && x->last_event_ms + 1000 > time_ms) time_ms = x->last_event_ms + 1000;
    const uint8_t *ptrs[RX_BLOCK_MAX];
    for (size_t i = 0; i < x->pending; i++) ptrs[i] = x->evs[i];
    struct ledger_block_header h = {.version = WB_BLOCK_VERSION, .height = height,
                                    .time_ms = time_ms,
                                    .proposer = (uint32_t)(height % TC_VALIDATORS)};
    memcpy(h.chain_id, x->c.g->chain_id, WB_CHAIN_ID_LEN);
    memcpy(h.prev_hash, x->last_hash, WB_HASH_LEN);
    uint8_t *bytes = NULL, hash[WB_HASH_LEN], *cert = NULL;
    size_t len = 0, cert_len = 0;
    CHECK_OK(ledger_block_build(&h, ptrs, x->lens, x->pending, &bytes, &len, hash));
    struct ledger_block b;
    CHECK_OK(ledger_block_decode(bytes, len, &b));
    struct ledger_block_ctx bc = {.genesis = &x->gov.view, .height = height,
                                  .prev_time_ms = x->last_time_ms, .now_ms = time_ms,
                                  .drift_max_ms = 1000, .events_max = TC_EVENTS_MAX,
                                  .item_count = x->registered, .gov = &x->gov,
                                  .lookup = rx_lookup, .ctx = x};
    memcpy(bc.prev_hash, x->last_hash, WB_HASH_LEN);
    struct ledger_block_result res;
    char msg[512];
    int rc = ledger_block_check_full(&bc, &b, &res, msg, sizeof msg);
    if (rc) fail_msg("block %llu: %s: %s", (unsigned long long)height, wb_strerror(rc), msg);
    CHECK_OK(tc_cert(&x->c, height, hash, &cert, &cert_len));
    CHECK_OK(store_append_checked(x->store, &b, bytes, len, cert, cert_len, &res));
    for (size_t k = 0; k < res.state_count; k++) {
        size_t i = rx_slot(x, res.states[k].item);
        if (x->st[i].count == 0) x->registered++;
        x->st[i] = res.states[k];
    }
    if (res.gov_after) {
        struct ledger_gov next;
        CHECK_OK(ledger_gov_clone(&next, res.gov_after));
        ledger_gov_free(&x->gov);
        x->gov = next;
    } else {
        ledger_gov_advance(&x->gov, height, time_ms);
    }
    CHECK_OK(node_risk_on_block(&x->idx, &b, &x->gov));
    if (x->with_scores) CHECK_OK(node_scores_on_block(&x->sc, &b));
    assert_int_equal(node_risk_height(&x->idx), height);
    ledger_block_result_free(&res);
    ledger_block_free(&b);
    free(bytes);
    free(cert);
    x->height = height;
    memcpy(x->last_hash, hash, WB_HASH_LEN);
    x->last_time_ms = time_ms;
    x->block_time[height] = time_ms;
    x->pending = 0;
    memcpy(x->work, x->st, sizeof x->st);
}

#endif
