/* Unit tests of the node's risk index (node/risk/): journeys of real signed
 * events in blocks checked by ledger_block_check_full and appended to a
 * real store, fed to an index as the commit path does; then what it says
 * about seals, containers, parties and baselines, that a replay of the
 * store at start-up gives the same index, the bounds, the prefilter, a
 * failed allocation, and the cost per event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <time.h>

#include "node/risk/scan.h"
#include "tests/unit/node_risk_support.h"

/* A whole-index dump in a canonical order (first appearance, which is
 * block order): equal dumps, equal answers. */
static char *dump(const struct node_risk *r)
{
    size_t cap = 1 << 20, n = 0;
    char *s = malloc(cap);
    assert_non_null(s);
#define OUT(...) (n += (size_t)snprintf(s + n, cap - n, __VA_ARGS__), assert_true(n < cap))
    OUT("height %llu\n", (unsigned long long)node_risk_height(r));
    for (uint32_t i = 0; i < r->seal_names.count; i++) {
        const char *name = node_risk__strtab_str(&r->seal_names, i), *items[8];
        uint64_t total;
        size_t k = node_risk_seal_items(r, name, NULL, items, 8, &total);
        OUT("seal %s %llu:", name, (unsigned long long)total);
        for (size_t j = 0; j < k; j++) OUT(" %s", items[j]);
        OUT("\n");
    }
    for (uint32_t i = 0; i < r->container_names.count; i++) {
        const char *name = node_risk__strtab_str(&r->container_names, i);
        struct node_risk_ref refs[16];
        uint64_t total;
        size_t k = node_risk_container_refs(r, name, refs, 16, &total);
        OUT("container %s %llu:", name, (unsigned long long)total);
        for (size_t j = 0; j < k; j++) {
            char hex[65];
            OUT(" %s@%s@%lld@%.16s", refs[j].item, refs[j].location, (long long)refs[j].time_ms,
                wb_hex_encode(refs[j].event, 32, hex, sizeof hex));
        }
        OUT("\n");
    }
    for (uint32_t i = 0; i < r->org_names.count; i++) {
        const char *name = node_risk__strtab_str(&r->org_names, i);
        struct risk_party p;
        assert_true(node_risk_party(r, name, &p));
        OUT("party %s %lld %u\n", name, (long long)p.first_seen_ms, p.chains_completed);
    }
    for (size_t i = 0; i < r->baselines.count; i++) {
        uint8_t enc[RISK_DIST_ENC_MAX], hex[2 * RISK_DIST_ENC_MAX + 1];
        size_t len = risk_dist_encode(&r->baselines.entries[i].dist, enc);
        OUT("baseline %s %s\n", r->baselines.entries[i].key,
            wb_hex_encode(enc, len, (char *)hex, sizeof hex));
    }
    OUT("open %zu\n", r->open_count);
#undef OUT
    return s;
}

/* A fresh index from the store, at start-up, must equal the one fed block
 * by block. */
static void expect_replay_equal(struct rx *x)
{
    struct node_risk again;
    CHECK_OK(node_risk_init(&again, NULL));
    CHECK_OK(node_risk_replay(&again, x->store, x->height, &x->gov));
    char *a = dump(&x->idx), *b = dump(&again);
    if (strcmp(a, b) != 0) fail_msg("replayed index differs:\n-- incremental\n%s-- replayed\n%s", a, b);
    free(a);
    free(b);
    node_risk_free(&again);
}

static void seal_items_are(const struct node_risk *r, const char *seal, const char *left_out,
                           uint64_t want_total, const char *const *want, size_t n_want)
{
    const char *got[NODE_RISK_SEAL_ITEMS_MAX];
    uint64_t total;
    size_t n = node_risk_seal_items(r, seal, left_out, got, NODE_RISK_SEAL_ITEMS_MAX, &total);
    if (total != want_total || n != n_want)
        fail_msg("seal %s without %s: %llu items, %zu listed; want %llu, %zu", seal,
                 left_out ? left_out : "-", (unsigned long long)total, n,
                 (unsigned long long)want_total, n_want);
    for (size_t i = 0; i < n; i++)
        if (strcmp(got[i], want[i]) != 0)
            fail_msg("seal %s: item %zu is %s, want %s", seal, i, got[i], want[i]);
}

static void *plain_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    if (n == 0) {
        free(p);
        return NULL;
    }
    return realloc(p, n);
}

/* ---- seals ------------------------------------------------------------------------------ */

static void seal_shared_by_two_items(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    const char *crate = "urn:example:crate:1";
    rx_ev(x, TC_ACME, CONT, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    rx_ev(x, TC_ACME, crate, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    rx_commit(x);
    rx_ev(x, TC_ACME, CONT, LEDGER_SEAL, NULL, NULL, "seal=SL-4711", NULL);
    rx_ev(x, TC_ACME, CONT, LEDGER_LOAD, "NLRTM", NULL, "seal=SL-4711", NULL);
    rx_commit(x);
    rx_ev(x, TC_ACME, CONT, LEDGER_DEPART, "NLRTM", NULL, "seal=SL-4711", NULL);
    rx_ev(x, TC_ACME, crate, LEDGER_SEAL, NULL, NULL, "seal=SL-4711", NULL);
    rx_commit(x);
    /* Named four times by the container, once by the crate: two items. */
    seal_items_are(&x->idx, "SL-4711", NULL, 2, (const char *[]){CONT, crate}, 2);
    seal_items_are(&x->idx, "SL-4711", CONT, 1, (const char *[]){crate}, 1);
    seal_items_are(&x->idx, "SL-4711", crate, 1, (const char *[]){CONT}, 1);
    seal_items_are(&x->idx, "SL-4711", "urn:example:never", 2, (const char *[]){CONT, crate}, 2);
    seal_items_are(&x->idx, "SL-0000", NULL, 0, NULL, 0);
    expect_replay_equal(x);
    rx_free(x);
    free(x);
}

static void eseal_number_from_the_registry(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    uint8_t dpk[WB_PUBKEY_LEN], dsk[WB_SECKEY_LEN];
    uint8_t seed[32] = {0x77};
    assert_int_equal(crypto_sign_seed_keypair(dpk, dsk, seed), 0);
    char hex[65], dev[80];
    snprintf(dev, sizeof dev, "device=%s", wb_hex_encode(dpk, 32, hex, sizeof hex));
    rx_ev(x, TC_ACME, WB_GOV_CHAIN, LEDGER_DEVICE_REGISTER, NULL, NULL, dev, "kind=eseal",
          "serial=ES-0001", "seal=ES-77", NULL);
    rx_ev(x, TC_ACME, CONT, LEDGER_COMMISSION, "CNSHA", NULL, NULL);
    rx_commit(x);
    seal_items_are(&x->idx, "ES-77", NULL, 0, NULL, 0); /* registered, attached to nothing */
    rx_ev(x, TC_ACME, CONT, LEDGER_DEVICE_ATTACH, NULL, NULL, dev, NULL);
    rx_commit(x);
    seal_items_are(&x->idx, "ES-77", NULL, 1, (const char *[]){CONT}, 1);
    /* A mechanical seal of the same number on another item: reuse. */
    rx_ev(x, TC_ACME, CONT2, LEDGER_COMMISSION, "CNSHA", NULL, NULL);
    rx_ev(x, TC_ACME, CONT2, LEDGER_SEAL, NULL, NULL, "seal=ES-77", NULL);
    rx_commit(x);
    seal_items_are(&x->idx, "ES-77", CONT2, 1, (const char *[]){CONT}, 1);
    expect_replay_equal(x);
    rx_free(x);
    free(x);
}

static void seal_keeps_eight_items_and_counts_all(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    char items[12][40];
    for (int i = 0; i < 12; i++) {
        snprintf(items[i], sizeof items[i], "urn:example:box:%02d", i);
        rx_ev(x, TC_ACME, items[i], LEDGER_COMMISSION, "DEHAM", NULL, NULL);
        rx_ev(x, TC_ACME, items[i], LEDGER_SEAL, NULL, NULL, "seal=SL-MANY", NULL);
        if (i % 3 == 2) rx_commit(x);
    }
    const char *first8[8];
    for (int i = 0; i < 8; i++) first8[i] = items[i];
    seal_items_are(&x->idx, "SL-MANY", NULL, 12, first8, 8);
    /* Left out: the item asked about, listed or not, is not counted. */
    seal_items_are(&x->idx, "SL-MANY", items[3], 11,
                   (const char *[]){items[0], items[1], items[2], items[4], items[5], items[6],
                                    items[7]},
                   7);
    seal_items_are(&x->idx, "SL-MANY", items[11], 11, first8, 8);
    expect_replay_equal(x);
    rx_free(x);
    free(x);
}

/* ---- containers ------------------------------------------------------------------------- */

static struct node_risk_ref refs[NODE_RISK_CONTAINER_REFS_MAX];

static void container_own_and_others(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    const char *crate = "urn:example:crate:7";
    rx_ev(x, TC_ACME, CONT, LEDGER_COMMISSION, "CNSHA", NULL, NULL);
    rx_ev(x, TC_ACME, crate, LEDGER_COMMISSION, "CNSHA", NULL, NULL);
    rx_commit(x);
    uint64_t total;
    assert_int_equal(node_risk_container_refs(&x->idx, CONT, refs, 16, &total), 1);
    assert_int_equal(total, 1);
    assert_string_equal(refs[0].item, CONT);
    assert_string_equal(refs[0].location, "CNSHA");
    /* The crate is packed into the container: its load names it. */
    rx_ev(x, TC_ACME, crate, LEDGER_LOAD, "CNSHA", NULL, "container=" CONT, NULL);
    int64_t load_ms = x->last_event_ms;
    rx_ev(x, TC_ACME, CONT, LEDGER_LOAD, "CNSHA", NULL, "vessel=EVER-ACE", NULL);
    int64_t cont_load_ms = x->last_event_ms;
    /* A wrong check digit is no container number: not indexed. */
    rx_ev(x, TC_CUSTOMS, crate, LEDGER_INSPECT, NULL, NULL, "result=ok", "container=CSQU3054384",
          NULL);
    rx_commit(x);
    assert_int_equal(node_risk_container_refs(&x->idx, CONT, refs, 16, &total), 2);
    assert_int_equal(total, 3);
    assert_string_equal(refs[0].item, CONT); /* its own latest first */
    assert_int_equal(refs[0].time_ms, cont_load_ms);
    assert_string_equal(refs[1].item, crate);
    assert_string_equal(refs[1].location, "CNSHA");
    assert_int_equal(refs[1].time_ms, load_ms);
    uint64_t h;
    uint32_t idx;
    uint8_t *ev;
    size_t ev_len;
    /* The reference's id is the crate's load's: it is stored where the load is. */
    CHECK_OK(store_event_location(x->store, refs[1].event, &h, &idx));
    CHECK_OK(store_get_event_at(x->store, h, idx, refs[1].event, &ev, &ev_len));
    free(ev);
    assert_int_equal(node_risk_container_refs(&x->idx, "CSQU3054384", refs, 16, &total), 0);
    assert_int_equal(total, 0);
    expect_replay_equal(x);
    rx_free(x);
    free(x);
}

/* The container's own chain: every event that says where it is counts,
 * and the latest is kept. */
static void container_own_journey(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    rx_ev(x, TC_ACME, CONT, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    rx_ev(x, TC_ACME, CONT, LEDGER_SEAL, NULL, NULL, "seal=SL-1", NULL);
    rx_ev(x, TC_ACME, CONT, LEDGER_HANDOVER, NULL, "oceanic", NULL);
    rx_commit(x);
    rx_ev(x, TC_OCEANIC, CONT, LEDGER_RECEIVE, NULL, NULL, NULL);
    rx_ev(x, TC_OCEANIC, CONT, LEDGER_LOAD, "NLRTM", NULL, "mode=sea", NULL);
    rx_commit(x);
    rx_ev(x, TC_OCEANIC, CONT, LEDGER_DEPART, "NLRTM", NULL, NULL);
    rx_commit(x);
    rx_ev(x, TC_OCEANIC, CONT, LEDGER_ARRIVE, "DEHAM", NULL, NULL);
    rx_commit(x);
    rx_ev(x, TC_OCEANIC, CONT, LEDGER_UNLOAD, "DEHAM", NULL, NULL);
    int64_t unload_ms = x->last_event_ms;
    rx_commit(x);
    uint64_t total;
    assert_int_equal(node_risk_container_refs(&x->idx, CONT, refs, 16, &total), 1);
    assert_int_equal(total, 5); /* commission, load, depart, arrive, unload */
    assert_string_equal(refs[0].item, CONT);
    assert_string_equal(refs[0].location, "DEHAM");
    assert_int_equal(refs[0].time_ms, unload_ms);
    assert_memory_equal(refs[0].event, x->st[rx_slot(x, CONT)].head, WB_HASH_LEN);
    expect_replay_equal(x);
    rx_free(x);
    free(x);
}

static void container_keeps_the_latest(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    char items[20][40];
    for (int i = 0; i < 20; i++) {
        snprintf(items[i], sizeof items[i], "urn:example:pallet:%02d", i);
        rx_ev(x, TC_ACME, items[i], LEDGER_COMMISSION, "BEANR", NULL, NULL);
        rx_ev(x, TC_ACME, items[i], LEDGER_LOAD, "BEANR", NULL, "container=" CONT2, NULL);
        if (i % 4 == 3) rx_commit(x);
    }
    uint64_t total;
    size_t n = node_risk_container_refs(&x->idx, CONT2, refs, 16, &total);
    assert_int_equal(total, 20);
    assert_int_equal(n, NODE_RISK_CONTAINER_REFS_MAX - 1); /* no own chain: 15 others */
    for (size_t k = 0; k < n; k++) assert_string_equal(refs[k].item, items[5 + k]);
    /* A cap below what is kept. */
    assert_int_equal(node_risk_container_refs(&x->idx, CONT2, refs, 3, &total), 3);
    assert_string_equal(refs[0].item, items[5]);
    /* The container itself appears: its own comes first, others stay 15. */
    rx_ev(x, TC_ACME, CONT2, LEDGER_COMMISSION, "BEANR", NULL, NULL);
    rx_commit(x);
    n = node_risk_container_refs(&x->idx, CONT2, refs, 16, &total);
    assert_int_equal(total, 21);
    assert_int_equal(n, 16);
    assert_string_equal(refs[0].item, CONT2);
    assert_string_equal(refs[1].item, items[5]);
    assert_string_equal(refs[15].item, items[19]);
    expect_replay_equal(x);
    rx_free(x);
    free(x);
}

/* ---- parties ---------------------------------------------------------------------------- */

static void parties_first_seen_and_chains(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    const char *a = "urn:example:crate:a", *b = "urn:example:crate:b";
    rx_ev(x, TC_ACME, a, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    rx_ev(x, TC_ACME, b, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    rx_commit(x);
    uint64_t acme_h = x->height;
    struct risk_party p;
    assert_true(node_risk_party(&x->idx, "acme", &p));
    assert_int_equal(p.first_seen_ms, x->block_time[acme_h]);
    assert_int_equal(p.chains_completed, 0);
    assert_false(node_risk_party(&x->idx, "oceanic", &p));
    assert_false(node_risk_party(&x->idx, "customs", &p));
    assert_false(node_risk_party(&x->idx, "nobody", &p));

    rx_ev(x, TC_ACME, a, LEDGER_HANDOVER, NULL, "oceanic", NULL);
    rx_ev(x, TC_ACME, b, LEDGER_HANDOVER, NULL, "oceanic", NULL);
    rx_commit(x);
    assert_true(node_risk_party(&x->idx, "acme", &p));
    assert_int_equal(p.chains_completed, 0); /* not received yet */
    rx_ev(x, TC_OCEANIC, a, LEDGER_RECEIVE, NULL, NULL, NULL);
    rx_commit(x);
    uint64_t oceanic_h = x->height;
    assert_true(node_risk_party(&x->idx, "acme", &p));
    assert_int_equal(p.chains_completed, 1);
    assert_int_equal(p.first_seen_ms, x->block_time[acme_h]);
    assert_true(node_risk_party(&x->idx, "oceanic", &p));
    assert_int_equal(p.first_seen_ms, x->block_time[oceanic_h]);
    assert_int_equal(p.chains_completed, 0);
    rx_ev(x, TC_OCEANIC, a, LEDGER_DELIVER, "NLRTM", NULL, NULL);
    rx_ev(x, TC_OCEANIC, b, LEDGER_RECEIVE, NULL, NULL, NULL);
    rx_commit(x);
    assert_true(node_risk_party(&x->idx, "acme", &p));
    assert_int_equal(p.chains_completed, 2);
    assert_true(node_risk_party(&x->idx, "oceanic", &p));
    assert_int_equal(p.chains_completed, 1);
    struct node_risk_stats st;
    node_risk_stats(&x->idx, &st);
    assert_int_equal(st.open, 0); /* both handovers received */
    expect_replay_equal(x);
    rx_free(x);
    free(x);
}

/* ---- baselines -------------------------------------------------------------------------- */

static void dwell_and_transit_baselines(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    struct node_risk_stats st;
    const char *items[3] = {CONT, CONT2, "urn:example:crate:9"};
    for (int i = 0; i < 3; i++) rx_ev(x, TC_ACME, items[i], LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    rx_commit(x);
    for (int i = 0; i < 3; i++) {
        rx_ev(x, TC_ACME, items[i], LEDGER_LOAD, "NLRTM", NULL, i == 2 ? NULL : "mode=sea", NULL);
        rx_ev(x, TC_ACME, items[i], LEDGER_DEPART, "NLRTM", NULL, NULL);
    }
    rx_commit(x);
    node_risk_stats(&x->idx, &st);
    assert_int_equal(st.open, 3);
    assert_null(node_risk_baseline(&x->idx, "transit NLRTM DEHAM sea"));
    x->t += 2 * DAY_MS;
    for (int i = 0; i < 3; i++) rx_ev(x, TC_ACME, items[i], LEDGER_ARRIVE, "DEHAM", NULL, NULL);
    rx_commit(x);
    const struct risk_dist *d = node_risk_baseline(&x->idx, "transit NLRTM DEHAM sea");
    assert_non_null(d);
    assert_int_equal(d->count, 2);
    d = node_risk_baseline(&x->idx, "transit NLRTM DEHAM any");
    assert_non_null(d);
    assert_int_equal(d->count, 1);
    /* Dwells: 1, 3 and 5 days at DEHAM, ended by a transshipment, a
     * delivery and a transshipment. */
    for (int i = 0; i < 3; i++) {
        x->t += (i == 0 ? 1 : 2) * DAY_MS;
        if (i == 1) {
            rx_ev(x, TC_ACME, items[i], LEDGER_UNLOAD, "DEHAM", NULL, NULL);
            rx_ev(x, TC_ACME, items[i], LEDGER_DELIVER, "DEHAM", NULL, NULL);
        } else {
            rx_ev(x, TC_ACME, items[i], LEDGER_DEPART, "DEHAM", NULL, NULL);
        }
        rx_commit(x);
    }
    d = node_risk_baseline(&x->idx, "dwell DEHAM");
    assert_non_null(d);
    assert_int_equal(d->count, 3);
    int64_t p50, p100;
    assert_true(risk_dist_percentile(d, 50, &p50));
    assert_true(risk_dist_percentile(d, 100, &p100));
    /* Log-spaced buckets: 3 days lies in the bucket up to 2^(log2(3 d / 1 min) rounded up
     * to a quarter), 5 days below the last's bound. */
    assert_true(p50 >= 3 * DAY_MS && p50 < 4 * DAY_MS);
    assert_true(p100 >= 5 * DAY_MS && p100 < 6 * DAY_MS);
    /* The delivered item closed everything; the others departed again. */
    node_risk_stats(&x->idx, &st);
    assert_int_equal(st.open, 2);
    for (int i = 0; i < 3; i += 2) rx_ev(x, TC_ACME, items[i], LEDGER_ARRIVE, "BEANR", NULL, NULL);
    rx_commit(x);
    for (int i = 0; i < 3; i += 2) {
        rx_ev(x, TC_ACME, items[i], LEDGER_UNLOAD, "BEANR", NULL, NULL);
        rx_ev(x, TC_ACME, items[i], LEDGER_DELIVER, "BEANR", NULL, NULL);
    }
    rx_commit(x);
    node_risk_stats(&x->idx, &st);
    assert_int_equal(st.open, 0); /* memory follows open items only */
    assert_int_equal(node_risk_baseline(&x->idx, "dwell BEANR")->count, 2);
    expect_replay_equal(x);
    rx_free(x);
    free(x);
}

/* ---- the prefilter ---------------------------------------------------------------------- */

static void prefilter_reads_action_item_submitter_attrs(void **state)
{
    (void)state;
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.item, sizeof ev.item, CONT);
    ev.action = LEDGER_LOAD;
    snprintf(ev.location, sizeof ev.location, "NLRTM");
    ev.time_ms = 1700000000000;
    memset(ev.submitter, 0xab, WB_PUBKEY_LEN);
    ev.has_prev = true;
    memset(ev.prev, 0x11, WB_HASH_LEN);
    snprintf(ev.attrs[0].key, sizeof ev.attrs[0].key, "vessel");
    snprintf(ev.attrs[0].value, sizeof ev.attrs[0].value, "EVER-ACE");
    snprintf(ev.attrs[1].key, sizeof ev.attrs[1].key, "container");
    snprintf(ev.attrs[1].value, sizeof ev.attrs[1].value, CONT2);
    snprintf(ev.attrs[2].key, sizeof ev.attrs[2].key, "seal");
    snprintf(ev.attrs[2].value, sizeof ev.attrs[2].value, "SL-77");
    ev.attr_count = 3;
    snprintf(ev.to_org, sizeof ev.to_org, "someone");
    ev.nonce = 99;
    uint8_t body[WB_EVENT_BODY_MAX];
    size_t len;
    CHECK_OK(ledger_event_encode(&ev, body, sizeof body, &len));
    struct node_risk_scan sc;
    CHECK_OK(node_risk__scan(body, len, &sc));
    assert_int_equal(sc.action, LEDGER_LOAD);
    assert_int_equal(sc.item_len, strlen(CONT));
    assert_memory_equal(sc.item, CONT, sc.item_len);
    assert_non_null(sc.submitter);
    assert_memory_equal(sc.submitter, ev.submitter, WB_PUBKEY_LEN);
    assert_true(sc.container_attr);
    assert_true(sc.seal_attr);
    assert_int_equal(sc.seal_len, 5);
    assert_memory_equal(sc.seal, "SL-77", 5);
    /* Every truncation of the body either fails or reads a prefix. */
    for (size_t cut = 0; cut < len; cut++) {
        int rc = node_risk__scan(body, cut, &sc);
        assert_true(rc == WB_OK || rc == WB_ERR_DECODE);
    }
    /* Not protobuf at all. */
    uint8_t junk[] = {0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(node_risk__scan(junk, sizeof junk, &sc), WB_ERR_DECODE);
}

static void prefilter_skips_what_cannot_matter(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    const char *crate = "urn:example:crate:5";
    rx_ev(x, TC_ACME, crate, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    rx_commit(x);
    for (int i = 0; i < 6; i++)
        rx_ev(x, TC_CUSTOMS, crate, LEDGER_INSPECT, NULL, NULL, "result=ok", NULL);
    rx_ev(x, TC_CUSTOMS, crate, LEDGER_HOLD, NULL, NULL, NULL);
    rx_ev(x, TC_CUSTOMS, crate, LEDGER_RELEASE, NULL, NULL, NULL);
    rx_commit(x);
    struct node_risk_stats st;
    node_risk_stats(&x->idx, &st);
    assert_int_equal(st.events, 9);
    assert_int_equal(st.decoded, 0); /* a crate's commission, inspections, hold, release */
    struct risk_party p;
    assert_true(node_risk_party(&x->idx, "customs", &p)); /* still seen, from the scan */
    assert_int_equal(p.first_seen_ms, x->block_time[2]);
    rx_ev(x, TC_CUSTOMS, crate, LEDGER_INSPECT, NULL, NULL, "result=ok", "seal=SL-9", NULL);
    rx_commit(x);
    node_risk_stats(&x->idx, &st);
    assert_int_equal(st.decoded, 1); /* it names a seal */
    seal_items_are(&x->idx, "SL-9", NULL, 1, (const char *[]){crate}, 1);
    /* Naming it again adds nothing: not decoded; another seal is. */
    rx_ev(x, TC_CUSTOMS, crate, LEDGER_INSPECT, NULL, NULL, "result=ok", "seal=SL-9", NULL);
    rx_commit(x);
    node_risk_stats(&x->idx, &st);
    assert_int_equal(st.decoded, 1);
    rx_ev(x, TC_CUSTOMS, crate, LEDGER_INSPECT, NULL, NULL, "result=ok", "seal=SL-10", NULL);
    rx_commit(x);
    node_risk_stats(&x->idx, &st);
    assert_int_equal(st.decoded, 2);
    seal_items_are(&x->idx, "SL-10", NULL, 1, (const char *[]){crate}, 1);
    expect_replay_equal(x);
    rx_free(x);
    free(x);
}

/* ---- the tables --------------------------------------------------------------------------- */

static void tables_against_plain_arrays(void **state)
{
    (void)state;
    struct node_risk_alloc a = {.realloc = plain_realloc};
    struct node_risk_map m;
    node_risk__map_init(&m);
    enum { KEYS = 3000 };
    static uint32_t model[KEYS + 1];
    static bool present[KEYS + 1];
    memset(present, 0, sizeof present);
    uint64_t rng = 12345;
    for (int op = 0; op < 200000; op++) {
        rng = rng * 6364136223846793005u + 1442695040888963407u;
        uint64_t key = 1 + (rng >> 33) % KEYS;
        uint32_t v;
        switch ((rng >> 20) % 3) {
        case 0:
            CHECK_OK(node_risk__map_put(&a, &m, key, (uint32_t)op));
            model[key] = (uint32_t)op;
            present[key] = true;
            break;
        case 1:
            assert_int_equal(node_risk__map_del(&m, key), present[key]);
            present[key] = false;
            break;
        default:
            assert_int_equal(node_risk__map_get(&m, key, &v), present[key]);
            if (present[key]) assert_int_equal(v, model[key]);
        }
    }
    size_t n = 0;
    for (uint64_t k = 1; k <= KEYS; k++) {
        uint32_t v;
        assert_int_equal(node_risk__map_get(&m, k, &v), present[k]);
        if (present[k]) {
            assert_int_equal(v, model[k]);
            n++;
        }
    }
    assert_int_equal(m.count, n);
    node_risk__map_free(&a, &m);

    struct node_risk_strtab t;
    node_risk__strtab_init(&t);
    for (uint32_t i = 0; i < 5000; i++) {
        char s[32];
        int len = snprintf(s, sizeof s, "SL-%u", i * 7919u % 100000u);
        uint32_t id;
        CHECK_OK(node_risk__strtab_intern(&a, &t, s, (size_t)len, &id));
        assert_int_equal(id, i);
        CHECK_OK(node_risk__strtab_intern(&a, &t, s, (size_t)len, &id)); /* once only */
        assert_int_equal(id, i);
    }
    for (uint32_t i = 0; i < 5000; i++) {
        char s[32];
        int len = snprintf(s, sizeof s, "SL-%u", i * 7919u % 100000u);
        uint32_t id;
        assert_true(node_risk__strtab_find(&t, s, (size_t)len, &id));
        assert_int_equal(id, i);
        assert_string_equal(node_risk__strtab_str(&t, id), s);
        /* A prefix is another string. */
        assert_false(node_risk__strtab_find(&t, s, (size_t)len - 1, &id) &&
                     strcmp(node_risk__strtab_str(&t, id), s) == 0);
    }
    uint32_t id;
    assert_false(node_risk__strtab_find(&t, "SL-", 3, &id));
    node_risk__strtab_free(&a, &t);
}

/* ---- failures and bounds ---------------------------------------------------------------- */

struct failing {
    int left;                            /* allocations that succeed; then NULL */
};

static void *failing_realloc(void *ctx, void *p, size_t n)
{
    struct failing *f = ctx;
    if (n == 0) {
        free(p);
        return NULL;
    }
    if (f->left-- <= 0) return NULL;
    return realloc(p, n);
}

static void failed_allocation_leaves_the_index_marked(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    for (int i = 0; i < 3; i++) {
        char item[40];
        snprintf(item, sizeof item, "urn:example:crate:f%d", i);
        rx_ev(x, TC_ACME, item, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
        rx_ev(x, TC_ACME, item, LEDGER_SEAL, NULL, NULL, "seal=SL-F", NULL);
        rx_commit(x);
    }
    /* The same blocks into an index whose allocations fail from some point:
     * each point either takes everything or says the index is incomplete. */
    for (int budget = 1; budget < 40; budget++) {
        struct failing f = {.left = budget};
        struct node_risk_alloc al = {.realloc = failing_realloc, .ctx = &f};
        struct node_risk r;
        int rc = node_risk_init(&r, &al);
        if (rc == WB_OK) rc = node_risk_replay(&r, x->store, x->height, &x->gov);
        uint64_t at;
        if (rc == WB_OK) {
            assert_int_equal(node_risk_failed(&r, &at), 0);
            char *a = dump(&x->idx), *b = dump(&r);
            assert_string_equal(a, b);
            free(a);
            free(b);
        } else {
            assert_int_equal(rc, WB_ERR_NOMEM);
            if (node_risk_height(&r) > 0) {
                assert_int_equal(node_risk_failed(&r, &at), WB_ERR_NOMEM);
                assert_true(at >= 1 && at <= x->height);
            }
        }
        node_risk_free(&r);
    }
    rx_free(x);
    free(x);
}

static void failed_index_moves_on_and_stays_failed(void **state)
{
    (void)state;
    struct tc_chain c;
    if (tc_chain_init(&c, 8) != 0) fail_msg("tc_chain_init");
    struct ledger_gov gov;
    CHECK_OK(ledger_gov_init(&gov, c.g));
    struct failing f = {.left = 4};
    struct node_risk_alloc al = {.realloc = failing_realloc, .ctx = &f};
    struct node_risk r;
    CHECK_OK(node_risk_init(&r, &al));
    int failures = 0;
    for (int h = 1; h <= 6; h++) {
        struct tc_block tb;
        tc_build_block_ok(&c, 8, &tb);
        int rc = node_risk_on_block(&r, &tb.b, &gov);
        if (rc) {
            assert_int_equal(rc, WB_ERR_NOMEM);
            failures++;
        }
        assert_int_equal(node_risk_height(&r), (uint64_t)h);
        tc_block_free(&tb);
    }
    uint64_t at;
    assert_int_equal(failures, 1); /* told once */
    assert_int_equal(node_risk_failed(&r, &at), WB_ERR_NOMEM);
    assert_true(at >= 1);
    node_risk_free(&r);
    ledger_gov_free(&gov);
    tc_chain_free(&c);
}

/* ---- cost ------------------------------------------------------------------------------- */

/* Journeys as the benchmark's (bench/lg_load.c): commission, seal,
 * handover, receive, load, depart, arrive two days later, unload, customs
 * unseal, inspect and clear, seal again, deliver; 300 items, 3,900 events.
 * The index's cost per event is printed, what it holds checked, and a
 * replay gives the same. */
static void cost_per_event(void **state)
{
    (void)state;
    struct rx *x = malloc(sizeof *x);
    rx_init(x);
    enum { N = 300, STEPS = 13 };
    char items[N][24];
    for (int i = 0; i < N; i++) snprintf(items[i], sizeof items[i], "urn:example:c:%04d", i);
    for (int step = 0; step < STEPS; step++) {
        if (step == 6) x->t += 2 * DAY_MS;
        for (int i = 0; i < N; i++) {
            char seal[32], seal2[32];
            snprintf(seal, sizeof seal, "seal=SL-%04d", i);
            snprintf(seal2, sizeof seal2, "seal=SL-%04d-2", i);
            const char *it = items[i];
            switch (step) {
            case 0: rx_ev(x, TC_ACME, it, LEDGER_COMMISSION, "NLRTM", NULL, "cargo=parts", NULL); break;
            case 1: rx_ev(x, TC_ACME, it, LEDGER_SEAL, NULL, NULL, seal, NULL); break;
            case 2: rx_ev(x, TC_ACME, it, LEDGER_HANDOVER, NULL, "oceanic", NULL); break;
            case 3: rx_ev(x, TC_OCEANIC, it, LEDGER_RECEIVE, NULL, NULL, NULL); break;
            case 4: rx_ev(x, TC_OCEANIC, it, LEDGER_LOAD, "NLRTM", NULL, "mode=sea", seal, NULL); break;
            case 5: rx_ev(x, TC_OCEANIC, it, LEDGER_DEPART, "NLRTM", NULL, seal, NULL); break;
            case 6: rx_ev(x, TC_OCEANIC, it, LEDGER_ARRIVE, "DEHAM", NULL, seal, NULL); break;
            case 7: rx_ev(x, TC_OCEANIC, it, LEDGER_UNLOAD, "DEHAM", NULL, seal, NULL); break;
            case 8: rx_ev(x, TC_CUSTOMS, it, LEDGER_UNSEAL, NULL, NULL, seal, NULL); break;
            case 9: rx_ev(x, TC_CUSTOMS, it, LEDGER_INSPECT, NULL, NULL, "result=ok", NULL); break;
            case 10: rx_ev(x, TC_OCEANIC, it, LEDGER_SEAL, NULL, NULL, seal2, NULL); break;
            case 11: rx_ev(x, TC_CUSTOMS, it, LEDGER_CLEAR, NULL, NULL, "declaration=D1", NULL); break;
            default: rx_ev(x, TC_OCEANIC, it, LEDGER_DELIVER, "DEHAM", NULL, NULL); break;
            }
            if (x->pending == RX_BLOCK_MAX) rx_commit(x);
        }
    }
    if (x->pending) rx_commit(x);
    struct node_risk_stats st;
    node_risk_stats(&x->idx, &st);
    print_message("risk index: %llu blocks, %llu events, %llu decoded, %.2f us per event; %zu "
                  "seals, %zu items, %zu open, %zu baselines, %zu KiB\n",
                  (unsigned long long)st.blocks, (unsigned long long)st.events,
                  (unsigned long long)st.decoded, (double)st.ns / 1e3 / (double)st.events,
                  st.seals, st.items, st.open, st.baselines, st.bytes / 1024);
    assert_int_equal(st.events, N * STEPS);
    assert_int_equal(st.seals, 2 * N);
    assert_int_equal(st.open, 0);
    assert_int_equal(node_risk_baseline(&x->idx, "transit NLRTM DEHAM sea")->count, N);
    assert_int_equal(node_risk_baseline(&x->idx, "dwell DEHAM")->count, N);
    struct risk_party p;
    assert_true(node_risk_party(&x->idx, "acme", &p));
    assert_int_equal(p.chains_completed, N);
    assert_true(node_risk_party(&x->idx, "oceanic", &p));
    assert_int_equal(p.chains_completed, N);
    expect_replay_equal(x);
    rx_free(x);
    free(x);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seal_shared_by_two_items),
        cmocka_unit_test(eseal_number_from_the_registry),
        cmocka_unit_test(seal_keeps_eight_items_and_counts_all),
        cmocka_unit_test(container_own_and_others),
        cmocka_unit_test(container_own_journey),
        cmocka_unit_test(container_keeps_the_latest),
        cmocka_unit_test(parties_first_seen_and_chains),
        cmocka_unit_test(dwell_and_transit_baselines),
        cmocka_unit_test(prefilter_reads_action_item_submitter_attrs),
        cmocka_unit_test(prefilter_skips_what_cannot_matter),
        cmocka_unit_test(tables_against_plain_arrays),
        cmocka_unit_test(failed_allocation_leaves_the_index_marked),
        cmocka_unit_test(failed_index_moves_on_and_stays_failed),
        cmocka_unit_test(cost_per_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
