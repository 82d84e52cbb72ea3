/* Unit tests of node/mempool*.c with real keys, signed events and blocks, and
 * a fake committed-state store standing in for storage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "ledger/genesis.h"
#include "ledger/rules.h"
#include "node/mempool/mempool.h"

#define STORE_MAX 512
#define CHECK_RC(call)                                                                   \
    do {                                                                                 \
        int check_rc_ = (call);                                                          \
        if (check_rc_) fail_msg("%s: %s", #call, wb_strerror(check_rc_));                \
    } while (0)
#define DROPS_MAX 32
#define BIG_EVENTS_MAX 100000
#define BIG_BYTES_MAX (64u << 20)

enum { K_ACME, K_OCEANIC, K_CUSTOMS, K_COUNT };
static const char *const org_names[K_COUNT] = {"acme", "oceanic", "customs"};
static const enum ledger_role org_roles[K_COUNT] = {LEDGER_ROLE_SHIPPER, LEDGER_ROLE_CARRIER,
                                                    LEDGER_ROLE_CUSTOMS};

/* One signed event as a client would submit it. */
struct sev {
    uint8_t bytes[WB_SIGNED_EVENT_MAX];
    size_t len;
    uint8_t id[WB_HASH_LEN];
};

struct drop {
    uint8_t id[WB_HASH_LEN];
    int err;
    char reason[256];
};

struct fx {
    struct ledger_genesis *g;
    uint8_t pk[K_COUNT][WB_PUBKEY_LEN];
    uint8_t sk[K_COUNT][WB_SECKEY_LEN];
    uint64_t nonce;
    /* The fake committed store. */
    struct ledger_item_state store[STORE_MAX];
    size_t store_n;
    uint64_t height;
    uint8_t last_hash[WB_HASH_LEN];
    size_t lookups;
    int lookup_err;                       /* when not 0, every lookup fails with it */
    struct mempool *mp;
    struct drop drops[DROPS_MAX];
    size_t drops_n;
    bool with_result;                     /* commits hand the mempool the check's result */
    int64_t now_ms;                       /* the mempool's clock */
    int64_t next_time_ms;                 /* when not 0: the next mk's event time */
};

/* Event times of the tests start here; the mempool's clock reads it too. */
#define EVENT_BASE_MS INT64_C(1700000100000)

/* ---- fixture --------------------------------------------------------- */

static int store_lookup(void *ctx, const char *item, struct ledger_item_state *st)
{
    struct fx *f = ctx;
    f->lookups++;
    if (f->lookup_err) return f->lookup_err;
    for (size_t i = 0; i < f->store_n; i++)
        if (strcmp(f->store[i].item, item) == 0) {
            *st = f->store[i];
            return WB_OK;
        }
    return WB_ERR_NOT_FOUND;
}

static int64_t fake_clock(void *ctx) { return ((struct fx *)ctx)->now_ms; }

static struct mempool *new_mempool(struct fx *f, size_t events_max, size_t bytes_max)
{
    struct mempool_config cfg = {
        .genesis = f->g,
        .events_max = events_max,
        .bytes_max = bytes_max,
        .lookup = store_lookup,
        .lookup_ctx = f,
        .clock = fake_clock,
        .clock_ctx = f,
    };
    struct mempool *mp;
    int rc = mempool_create(&cfg, &mp);
    if (rc) fail_msg("mempool_create: %s", wb_strerror(rc));
    return mp;
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->g = calloc(1, sizeof *f->g);
    if (!f->g) return -1;
    struct ledger_genesis *g = f->g;
    snprintf(g->chain_name, sizeof g->chain_name, "mempool-test");
    ledger_chain_id(g->chain_name, g->chain_id);
    g->genesis_time_ms = 1700000000000;
    ledger_genesis_set_defaults(g);
    f->now_ms = EVENT_BASE_MS;
    g->org_count = K_COUNT;
    for (int k = 0; k < K_COUNT; k++) {
        uint8_t seed[32] = {(uint8_t)(k + 11)};
        if (crypto_sign_seed_keypair(f->pk[k], f->sk[k], seed) != 0) return -1;
        snprintf(g->orgs[k].name, sizeof g->orgs[k].name, "%s", org_names[k]);
        g->orgs[k].role = org_roles[k];
        g->orgs[k].key_count = 1;
        memcpy(g->orgs[k].keys[0], f->pk[k], WB_PUBKEY_LEN);
    }
    g->validator_count = 1;
    snprintf(g->validators[0].name, sizeof g->validators[0].name, "node0");
    snprintf(g->validators[0].org, sizeof g->validators[0].org, "acme");
    memcpy(g->validators[0].key, f->pk[K_ACME], WB_PUBKEY_LEN);
    f->mp = new_mempool(f, BIG_EVENTS_MAX, BIG_BYTES_MAX);
    *state = f;
    return 0;
}

/* The same fixture, but commits pass mempool_on_commit the block's check
 * result (ids and items), as the node does after validating a block. */
static int fx_setup_result(void **state)
{
    int rc = fx_setup(state);
    if (rc == 0) ((struct fx *)*state)->with_result = true;
    return rc;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    mempool_destroy(f->mp);
    free(f->g);
    free(f);
    return 0;
}

/* ---- events ---------------------------------------------------------- */

/* Signs `action` on `item` by org `key`, following `prev` (NULL: none), with
 * the location and attributes the rules require for that action. */
static void mk(struct fx *f, struct sev *out, int key, const char *item,
               enum ledger_action action, const uint8_t *prev)
{
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.item, sizeof ev.item, "%s", item);
    ev.action = action;
    ev.nonce = ++f->nonce;
    ev.time_ms = f->next_time_ms ? f->next_time_ms : EVENT_BASE_MS + (int64_t)ev.nonce;
    f->next_time_ms = 0;
    memcpy(ev.submitter, f->pk[key], WB_PUBKEY_LEN);
    if (prev) {
        ev.has_prev = true;
        memcpy(ev.prev, prev, WB_HASH_LEN);
    }
    switch (action) {
    case LEDGER_COMMISSION: case LEDGER_LOAD: case LEDGER_DEPART: case LEDGER_ARRIVE:
    case LEDGER_UNLOAD:
        snprintf(ev.location, sizeof ev.location, "NLRTM");
        break;
    case LEDGER_SEAL:
        snprintf(ev.attrs[0].key, sizeof ev.attrs[0].key, "seal");
        snprintf(ev.attrs[0].value, sizeof ev.attrs[0].value, "SL-%llu",
                 (unsigned long long)ev.nonce);
        ev.attr_count = 1;
        break;
    case LEDGER_INSPECT:
        snprintf(ev.attrs[0].key, sizeof ev.attrs[0].key, "result");
        snprintf(ev.attrs[0].value, sizeof ev.attrs[0].value, "ok");
        ev.attr_count = 1;
        break;
    case LEDGER_HANDOVER:
        snprintf(ev.to_org, sizeof ev.to_org, "oceanic");
        break;
    default:
        break;
    }
    int rc = ledger_event_sign(f->g->chain_id, &ev, f->sk[key], out->bytes, sizeof out->bytes,
                               &out->len);
    if (rc) fail_msg("ledger_event_sign(%s): %s", item, wb_strerror(rc));
    memcpy(out->id, ev.id, WB_HASH_LEN);
}

static void commission(struct fx *f, struct sev *out, const char *item)
{
    mk(f, out, K_ACME, item, LEDGER_COMMISSION, NULL);
}

static const char *hex8(const uint8_t *id, char buf[17])
{
    return wb_hex_encode(id, 8, buf, 17);
}

static void add_ok(struct fx *f, const struct sev *e)
{
    char reason[512] = "";
    uint8_t id[WB_HASH_LEN];
    int rc = mempool_add(f->mp, e->bytes, e->len, id, reason, sizeof reason);
    if (rc) fail_msg("mempool_add: expected 0, got %s: %s", wb_strerror(rc), reason);
    if (memcmp(id, e->id, WB_HASH_LEN) != 0) fail_msg("mempool_add: id_out is not the event id");
}

/* Adds bytes that must be refused with `want` and a reason containing
 * `want_reason`; the count and bytes must not change. */
static void add_refused(struct fx *f, const uint8_t *bytes, size_t len, int want,
                        const char *want_reason)
{
    size_t count = mempool_count(f->mp), total = mempool_bytes(f->mp);
    char reason[512] = "";
    uint8_t id[WB_HASH_LEN];
    int rc = mempool_add(f->mp, bytes, len, id, reason, sizeof reason);
    if (rc != want || !strstr(reason, want_reason))
        fail_msg("mempool_add: expected %s with a reason containing \"%s\", got %s: \"%s\"",
                 wb_strerror(want), want_reason, wb_strerror(rc), reason);
    if (mempool_count(f->mp) != count || mempool_bytes(f->mp) != total)
        fail_msg("a refused event changed the mempool: %zu events / %zu bytes, was %zu / %zu",
                 mempool_count(f->mp), mempool_bytes(f->mp), count, total);
}

static void expect_contains(struct fx *f, const struct sev *e, bool want, const char *what)
{
    char h[17];
    if (mempool_contains(f->mp, e->id) != want)
        fail_msg("%s: contains(%s...) is %s, expected %s", what, hex8(e->id, h),
                 want ? "false" : "true", want ? "true" : "false");
}

static void expect_pending(struct fx *f, const char *item, const struct sev *head,
                           uint32_t count)
{
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    int rc = mempool_pending_state(f->mp, item, &st);
    if (rc) fail_msg("pending_state(%s): expected 0, got %s", item, wb_strerror(rc));
    char h1[17], h2[17];
    if (memcmp(st.head, head->id, WB_HASH_LEN) != 0 || st.count != count ||
        strcmp(st.item, item) != 0)
        fail_msg("pending_state(%s): head %s... count %u item '%s'; expected head %s... count %u",
                 item, hex8(st.head, h1), st.count, st.item, hex8(head->id, h2), count);
}

static void expect_not_pending(struct fx *f, const char *item)
{
    struct ledger_item_state st;
    int rc = mempool_pending_state(f->mp, item, &st);
    if (rc != WB_ERR_NOT_FOUND)
        fail_msg("pending_state(%s): expected not found, got %s", item, wb_strerror(rc));
}

/* ---- blocks ---------------------------------------------------------- */

static void on_dropped(void *ctx, const uint8_t id[WB_HASH_LEN], int err, const char *reason)
{
    struct fx *f = ctx;
    if (f->drops_n == DROPS_MAX) fail_msg("more than %d events dropped", DROPS_MAX);
    struct drop *d = &f->drops[f->drops_n++];
    memcpy(d->id, id, WB_HASH_LEN);
    d->err = err;
    snprintf(d->reason, sizeof d->reason, "%s", reason);
}

static struct ledger_item_state *store_slot(struct fx *f, const char *item)
{
    for (size_t i = 0; i < f->store_n; i++)
        if (strcmp(f->store[i].item, item) == 0) return &f->store[i];
    if (f->store_n == STORE_MAX) fail_msg("fake store full");
    struct ledger_item_state *st = &f->store[f->store_n++];
    memset(st, 0, sizeof *st);
    return st;
}

/* Commits a block of these events as storage would (every event must pass
 * the rules in block order), then tells the mempool. Returns on_commit's rc. */
static int commit_bytes(struct fx *f, const uint8_t *const *events, const size_t *lens, size_t n)
{
    struct ledger_block_header h;
    memset(&h, 0, sizeof h);
    h.version = WB_BLOCK_VERSION;
    memcpy(h.chain_id, f->g->chain_id, WB_CHAIN_ID_LEN);
    h.height = f->height + 1;
    h.time_ms = f->g->genesis_time_ms + (int64_t)h.height * 1000;
    memcpy(h.prev_hash, f->last_hash, WB_HASH_LEN);
    uint8_t *buf;
    size_t len;
    int rc = ledger_block_build(&h, events, lens, n, &buf, &len, f->last_hash);
    if (rc) fail_msg("ledger_block_build: %s", wb_strerror(rc));
    struct ledger_block b;
    rc = ledger_block_decode(buf, len, &b);
    if (rc) fail_msg("ledger_block_decode: %s", wb_strerror(rc));
    f->height = h.height;

    /* The check result as ledger_block_check_full gives it: per event its id
     * and its item's state (first-touch order), built here by hand. */
    struct ledger_block_result r = {.event_count = b.event_count};
    struct ledger_item_state **slots = calloc(n ? n : 1, sizeof *slots);
    assert_non_null(slots);
    if (n) {
        r.ids = calloc(n, sizeof *r.ids);
        r.state_of = calloc(n, sizeof *r.state_of);
        r.states = calloc(n, sizeof *r.states);
        assert_true(r.ids && r.state_of && r.states);
    }
    struct ledger_event *ev = malloc(sizeof *ev);
    assert_non_null(ev);
    for (size_t i = 0; i < b.event_count; i++) {
        char why[512] = "";
        rc = ledger_signed_event_open(f->g->chain_id, b.events[i], b.lens[i], true, ev, why,
                                      sizeof why);
        if (rc) fail_msg("block event %zu does not open: %s", i, why);
        struct ledger_item_state *st = store_slot(f, ev->item);
        rc = ledger_rules_check(st, ev, f->g, NULL, h.time_ms, why, sizeof why, NULL);
        if (rc) fail_msg("block event %zu breaks the rules (test bug): %s", i, why);
        ledger_rules_apply(st, ev, f->g, f->height);
        memcpy(r.ids[i], ev->id, WB_HASH_LEN);
        size_t j = 0;
        while (j < r.state_count && slots[j] != st) j++;
        if (j == r.state_count) slots[r.state_count++] = st;
        r.state_of[i] = (uint32_t)j;
    }
    free(ev);
    for (size_t j = 0; j < r.state_count; j++) r.states[j] = *slots[j];
    free(slots);
    rc = mempool_on_commit(f->mp, &b, f->with_result ? &r : NULL, on_dropped, f);
    ledger_block_result_free(&r);
    ledger_block_free(&b);
    free(buf);
    return rc;
}

static void commit(struct fx *f, const struct sev *const *evs, size_t n)
{
    const uint8_t *events[16];
    size_t lens[16];
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++) {
        events[i] = evs[i]->bytes;
        lens[i] = evs[i]->len;
    }
    int rc = commit_bytes(f, events, lens, n);
    if (rc) fail_msg("mempool_on_commit: expected 0, got %s", wb_strerror(rc));
}

static void expect_drop(struct fx *f, size_t i, const struct sev *e, int err,
                        const char *want_reason)
{
    char h1[17], h2[17];
    if (i >= f->drops_n) fail_msg("expected drop #%zu, only %zu dropped", i, f->drops_n);
    const struct drop *d = &f->drops[i];
    if (memcmp(d->id, e->id, WB_HASH_LEN) != 0 || d->err != err ||
        !strstr(d->reason, want_reason))
        fail_msg("drop #%zu: got %s... %s \"%s\"; expected %s... %s with \"%s\"", i,
                 hex8(d->id, h1), wb_strerror(d->err), d->reason, hex8(e->id, h2),
                 wb_strerror(err), want_reason);
}

/* ---- admission ------------------------------------------------------- */

static void admits_valid_events(void **state)
{
    struct fx *f = *state;
    struct sev a, b;
    commission(f, &a, "CSQU3054383");
    commission(f, &b, "urn:epc:id:sscc:0614141.1234567890");
    expect_contains(f, &a, false, "before add");
    add_ok(f, &a);
    add_ok(f, &b);
    assert_int_equal(mempool_count(f->mp), 2);
    assert_int_equal(mempool_bytes(f->mp), a.len + b.len);
    expect_contains(f, &a, true, "after add");
    expect_contains(f, &b, true, "after add");

    expect_pending(f, "CSQU3054383", &a, 1);
    struct ledger_item_state st;
    assert_int_equal(mempool_pending_state(f->mp, "CSQU3054383", &st), WB_OK);
    assert_string_equal(st.custodian, "acme");
    assert_int_equal(st.status, LEDGER_ITEM_ACTIVE);
    assert_int_equal(st.first_height, 0);
    expect_not_pending(f, "urn:never:seen");
}

static void holds_only_the_exact_bytes_it_verified(void **state)
{
    struct fx *f = *state;
    struct sev a;
    commission(f, &a, "CSQU3054383");
    assert_false(mempool_holds(f->mp, a.id, a.bytes, a.len));
    add_ok(f, &a);
    assert_true(mempool_holds(f->mp, a.id, a.bytes, a.len));
    /* Same body, so the same id, but a forged signature: not "known". */
    struct sev forged = a;
    forged.bytes[forged.len - 1] ^= 0x01;
    if (mempool_holds(f->mp, forged.id, forged.bytes, forged.len))
        fail_msg("an event with the same id but a changed signature counts as verified");
    assert_false(mempool_holds(f->mp, a.id, a.bytes, a.len - 1));
}

static void duplicate_is_refused(void **state)
{
    struct fx *f = *state;
    struct sev a;
    commission(f, &a, "urn:dup:1");
    add_ok(f, &a);
    uint8_t id[WB_HASH_LEN];
    memset(id, 0, sizeof id);
    char reason[256] = "";
    assert_int_equal(mempool_add(f->mp, a.bytes, a.len, id, reason, sizeof reason),
                     WB_ERR_DUPLICATE);
    assert_memory_equal(id, a.id, WB_HASH_LEN);
    add_refused(f, a.bytes, a.len, WB_ERR_DUPLICATE, "already pending");
    assert_int_equal(mempool_count(f->mp), 1);
    /* Without reason or id buffers the answer is the same. */
    assert_int_equal(mempool_add(f->mp, a.bytes, a.len, NULL, NULL, 0), WB_ERR_DUPLICATE);
}

static void bad_signature_and_malformed_bytes_are_refused(void **state)
{
    struct fx *f = *state;
    struct sev a;
    commission(f, &a, "urn:sig:1");

    struct sev bad = a;
    bad.bytes[bad.len - 1] ^= 0x01; /* the last signature byte */
    add_refused(f, bad.bytes, bad.len, WB_ERR_SIGNATURE, "signature");
    expect_contains(f, &a, false, "after a bad signature");

    /* Signed for another chain: the signature covers the chain id. */
    struct ledger_genesis *other = malloc(sizeof *other);
    assert_non_null(other);
    *other = *f->g;
    ledger_chain_id("another-chain", other->chain_id);
    struct ledger_genesis *mine = f->g;
    f->g = other;
    struct sev foreign;
    commission(f, &foreign, "urn:sig:2");
    f->g = mine;
    free(other);
    add_refused(f, foreign.bytes, foreign.len, WB_ERR_SIGNATURE, "signature");

    /* Not a SignedEvent at all, and too large to be one. */
    const uint8_t junk[] = {0x0a, 0x03, 'a', 'b'};
    add_refused(f, junk, sizeof junk, WB_ERR_DECODE, "malformed");
    static uint8_t huge[WB_SIGNED_EVENT_MAX + 1];
    add_refused(f, huge, sizeof huge, WB_ERR_TOO_LARGE, "limit");

    /* A container number with a wrong check digit (3 is right). */
    struct sev digit;
    commission(f, &digit, "CSQU3054384");
    add_refused(f, digit.bytes, digit.len, WB_ERR_CHECK_DIGIT, "expected 3");

    assert_int_equal(mempool_count(f->mp), 0);
    add_ok(f, &a); /* the good original is still admitted */
}

static void rule_violations_are_refused_with_reason(void **state)
{
    struct fx *f = *state;
    struct sev e;
    mk(f, &e, K_OCEANIC, "urn:rule:1", LEDGER_COMMISSION, NULL);
    add_refused(f, e.bytes, e.len, WB_ERR_RULE, "only a shipper may commission");

    mk(f, &e, K_ACME, "urn:rule:2", LEDGER_LOAD, NULL);
    add_refused(f, e.bytes, e.len, WB_ERR_RULE, "has not been commissioned");

    struct sev c;
    commission(f, &c, "urn:rule:3");
    add_ok(f, &c);
    mk(f, &e, K_OCEANIC, "urn:rule:3", LEDGER_LOAD, c.id);
    add_refused(f, e.bytes, e.len, WB_ERR_RULE, "is not the custodian");
    mk(f, &e, K_ACME, "urn:rule:3", LEDGER_COMMISSION, NULL);
    add_refused(f, e.bytes, e.len, WB_ERR_RULE, "already commissioned");
    expect_pending(f, "urn:rule:3", &c, 1);
}

static void stale_prev_is_refused(void **state)
{
    struct fx *f = *state;
    /* Against the pending head: two events claim the same prev. */
    struct sev c, s1, s2;
    commission(f, &c, "urn:stale:1");
    add_ok(f, &c);
    mk(f, &s1, K_ACME, "urn:stale:1", LEDGER_SEAL, c.id);
    mk(f, &s2, K_ACME, "urn:stale:1", LEDGER_LOAD, c.id);
    add_ok(f, &s1);
    add_refused(f, s2.bytes, s2.len, WB_ERR_STALE, "stale: the item's head moved on");
    expect_pending(f, "urn:stale:1", &s1, 2);

    /* Against the committed head. */
    struct sev d, x;
    commission(f, &d, "urn:stale:2");
    const struct sev *blk[] = {&d};
    commit(f, blk, 1);
    uint8_t bogus[WB_HASH_LEN];
    memset(bogus, 0x5a, sizeof bogus);
    mk(f, &x, K_ACME, "urn:stale:2", LEDGER_SEAL, bogus);
    add_refused(f, x.bytes, x.len, WB_ERR_STALE, "stale: the item's head moved on");
    mk(f, &x, K_ACME, "urn:stale:2", LEDGER_SEAL, d.id);
    add_ok(f, &x);
    expect_pending(f, "urn:stale:2", &x, 2);
}

static void chain_of_five_admitted_and_taken_in_order(void **state)
{
    struct fx *f = *state;
    const char *item = "CSQU3054383";
    static const enum ledger_action acts[5] = {LEDGER_COMMISSION, LEDGER_SEAL, LEDGER_LOAD,
                                               LEDGER_UNLOAD, LEDGER_HANDOVER};
    struct sev chain[5], other[2];
    const struct sev *order[7];
    size_t n = 0;
    for (int i = 0; i < 5; i++) {
        mk(f, &chain[i], K_ACME, item, acts[i], i ? chain[i - 1].id : NULL);
        add_ok(f, &chain[i]);
        order[n++] = &chain[i];
        expect_pending(f, item, &chain[i], (uint32_t)i + 1);
        if (i == 1 || i == 3) { /* another item's events in between */
            struct sev *o = &other[i / 2];
            commission(f, o, i == 1 ? "urn:other:1" : "urn:other:2");
            add_ok(f, o);
            order[n++] = o;
        }
    }
    assert_int_equal(mempool_count(f->mp), 7);
    struct ledger_item_state st;
    assert_int_equal(mempool_pending_state(f->mp, item, &st), WB_OK);
    assert_int_equal(st.status, LEDGER_ITEM_IN_TRANSFER);
    assert_string_equal(st.transfer_to, "oceanic");

    const uint8_t *events[16];
    size_t lens[16];
    size_t got = mempool_take(f->mp, 16, BIG_BYTES_MAX, events, lens);
    assert_int_equal(got, 7);
    for (size_t i = 0; i < got; i++)
        if (lens[i] != order[i]->len || memcmp(events[i], order[i]->bytes, lens[i]) != 0)
            fail_msg("take: event %zu is not the %zu-th admitted", i, i);
    assert_int_equal(mempool_count(f->mp), 7); /* take does not remove */

    /* The whole chain fits in one block and commits in order. */
    int rc = commit_bytes(f, events, lens, got);
    if (rc) fail_msg("on_commit: %s", wb_strerror(rc));
    assert_int_equal(f->drops_n, 0);
    assert_int_equal(mempool_count(f->mp), 0);
    assert_int_equal(mempool_bytes(f->mp), 0);
    expect_not_pending(f, item);
    assert_int_equal(store_slot(f, item)->count, 5);
}

static void take_respects_count_and_byte_limits(void **state)
{
    struct fx *f = *state;
    struct sev e[6];
    for (int i = 0; i < 6; i++) {
        char item[32];
        snprintf(item, sizeof item, "urn:take:%d", i);
        commission(f, &e[i], item);
        add_ok(f, &e[i]);
    }
    const uint8_t *events[8];
    size_t lens[8];
    assert_int_equal(mempool_take(f->mp, 4, BIG_BYTES_MAX, events, lens), 4);
    for (int i = 0; i < 4; i++) assert_ptr_not_equal(events[i], NULL);
    assert_memory_equal(events[3], e[3].bytes, e[3].len);

    size_t three = e[0].len + e[1].len + e[2].len;
    assert_int_equal(mempool_take(f->mp, 8, three, events, lens), 3);
    assert_int_equal(mempool_take(f->mp, 8, three - 1, events, lens), 2);
    assert_int_equal(lens[0] + lens[1], e[0].len + e[1].len);
    assert_int_equal(mempool_take(f->mp, 0, BIG_BYTES_MAX, events, lens), 0);
    assert_int_equal(mempool_take(f->mp, 8, 1, events, lens), 0);
    assert_int_equal(mempool_count(f->mp), 6);
}

static void take_passes_over_an_event_too_large_for_the_block(void **state)
{
    struct fx *f = *state;
    /* A commission with big attributes, then its seal; then small events. */
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.item, sizeof ev.item, "urn:big:1");
    ev.action = LEDGER_COMMISSION;
    ev.time_ms = EVENT_BASE_MS;
    snprintf(ev.location, sizeof ev.location, "NLRTM");
    memcpy(ev.submitter, f->pk[K_ACME], WB_PUBKEY_LEN);
    ev.nonce = ++f->nonce;
    ev.attr_count = 8;
    for (size_t i = 0; i < ev.attr_count; i++) {
        snprintf(ev.attrs[i].key, sizeof ev.attrs[i].key, "note%zu", i);
        memset(ev.attrs[i].value, 'x', WB_ATTR_VALUE_MAX);
    }
    struct sev big, big_next, small[2];
    assert_int_equal(ledger_event_sign(f->g->chain_id, &ev, f->sk[K_ACME], big.bytes,
                                       sizeof big.bytes, &big.len),
                     WB_OK);
    memcpy(big.id, ev.id, WB_HASH_LEN);
    add_ok(f, &big);
    mk(f, &big_next, K_ACME, "urn:big:1", LEDGER_SEAL, big.id);
    add_ok(f, &big_next);
    commission(f, &small[0], "urn:small:1");
    commission(f, &small[1], "urn:small:2");
    add_ok(f, &small[0]);
    add_ok(f, &small[1]);

    size_t block_bytes = big.len - 1;
    assert_true(small[0].len + small[1].len <= block_bytes);
    const uint8_t *events[8];
    size_t lens[8];
    size_t got = mempool_take(f->mp, 8, block_bytes, events, lens);
    if (got != 2 || memcmp(events[0], small[0].bytes, small[0].len) != 0 ||
        memcmp(events[1], small[1].bytes, small[1].len) != 0)
        fail_msg("take with a %zu-byte block: expected the two small events only, got %zu "
                 "events",
                 block_bytes, got);
    /* With room, the big one leads again. */
    got = mempool_take(f->mp, 8, BIG_BYTES_MAX, events, lens);
    assert_int_equal(got, 4);
    assert_memory_equal(events[0], big.bytes, big.len);
    assert_memory_equal(events[1], big_next.bytes, big_next.len);
}

static void full_by_count_is_busy_and_nothing_grows(void **state)
{
    struct fx *f = *state;
    mempool_destroy(f->mp);
    f->mp = new_mempool(f, 3, BIG_BYTES_MAX);
    struct sev e[4];
    size_t bytes = 0;
    for (int i = 0; i < 4; i++) {
        char item[32];
        snprintf(item, sizeof item, "urn:count:%d", i);
        commission(f, &e[i], item);
        if (i < 3) {
            add_ok(f, &e[i]);
            bytes += e[i].len;
        }
    }
    char want[64];
    snprintf(want, sizeof want, "mempool full: 3 events / %zu bytes", bytes);
    add_refused(f, e[3].bytes, e[3].len, WB_ERR_BUSY, want);
    add_refused(f, e[3].bytes, e[3].len, WB_ERR_BUSY, want);
    expect_contains(f, &e[3], false, "refused while full");
    /* A duplicate is still recognised as one while full. */
    add_refused(f, e[0].bytes, e[0].len, WB_ERR_DUPLICATE, "already pending");

    const struct sev *blk[] = {&e[0]};
    commit(f, blk, 1);
    assert_int_equal(mempool_count(f->mp), 2);
    add_ok(f, &e[3]);
    assert_int_equal(mempool_count(f->mp), 3);
}

static void full_by_bytes_is_busy_and_nothing_grows(void **state)
{
    struct fx *f = *state;
    struct sev e[3];
    for (int i = 0; i < 3; i++) {
        char item[32];
        snprintf(item, sizeof item, "urn:bytes:%d", i);
        commission(f, &e[i], item);
    }
    mempool_destroy(f->mp);
    f->mp = new_mempool(f, 100, e[0].len + e[1].len + e[2].len - 1);
    add_ok(f, &e[0]);
    add_ok(f, &e[1]);
    char want[64];
    snprintf(want, sizeof want, "mempool full: 2 events / %zu bytes", e[0].len + e[1].len);
    add_refused(f, e[2].bytes, e[2].len, WB_ERR_BUSY, want);
    assert_int_equal(mempool_count(f->mp), 2);
    assert_int_equal(mempool_bytes(f->mp), e[0].len + e[1].len);
    expect_contains(f, &e[2], false, "refused while full");
}

/* ---- after a commit -------------------------------------------------- */

static void on_commit_removes_included_events(void **state)
{
    struct fx *f = *state;
    struct sev a, b, c;
    commission(f, &a, "urn:inc:a");
    commission(f, &b, "urn:inc:b");
    commission(f, &c, "urn:inc:c");
    add_ok(f, &a);
    add_ok(f, &b);
    add_ok(f, &c);
    const struct sev *blk[] = {&a, &b};
    commit(f, blk, 2);
    assert_int_equal(f->drops_n, 0);
    assert_int_equal(mempool_count(f->mp), 1);
    assert_int_equal(mempool_bytes(f->mp), c.len);
    expect_contains(f, &a, false, "after commit");
    expect_contains(f, &b, false, "after commit");
    expect_contains(f, &c, true, "untouched by the block");
    expect_not_pending(f, "urn:inc:a");
    expect_pending(f, "urn:inc:c", &c, 1);
}

static void conflicting_event_is_dropped_as_stale(void **state)
{
    struct fx *f = *state;
    struct sev c, s1, s2, y, other;
    commission(f, &c, "urn:race:x");
    const struct sev *first[] = {&c};
    commit(f, first, 1);

    mk(f, &s1, K_ACME, "urn:race:x", LEDGER_SEAL, c.id);
    mk(f, &s2, K_ACME, "urn:race:x", LEDGER_LOAD, s1.id);
    commission(f, &y, "urn:race:y");
    add_ok(f, &s1);
    add_ok(f, &s2);
    add_ok(f, &y);
    expect_pending(f, "urn:race:x", &s2, 3);

    /* Another node's event on x, same prev as s1, is committed first. */
    mk(f, &other, K_CUSTOMS, "urn:race:x", LEDGER_INSPECT, c.id);
    size_t lookups = f->lookups;
    const struct sev *blk[] = {&other};
    commit(f, blk, 1);
    if (f->drops_n != 2)
        fail_msg("expected the 2 pending events of x dropped, got %zu", f->drops_n);
    expect_drop(f, 0, &s1, WB_ERR_STALE, "stale: the item's head moved on");
    expect_drop(f, 1, &s2, WB_ERR_STALE, "stale: the item's head moved on");
    expect_contains(f, &s1, false, "dropped as stale");
    expect_contains(f, &s2, false, "dropped as stale");
    expect_not_pending(f, "urn:race:x");

    /* y was not touched: kept, and its state was not even looked up. */
    expect_contains(f, &y, true, "untouched item");
    expect_pending(f, "urn:race:y", &y, 1);
    assert_int_equal(mempool_count(f->mp), 1);
    assert_int_equal(mempool_bytes(f->mp), y.len);
    if (f->lookups - lookups != 1)
        fail_msg("on_commit looked up %zu item states; only the touched item x needed it",
                 f->lookups - lookups);

    /* x's client can follow the new head. */
    struct sev again;
    mk(f, &again, K_ACME, "urn:race:x", LEDGER_SEAL, other.id);
    add_ok(f, &again);
}

static void partly_committed_chain_is_kept(void **state)
{
    struct fx *f = *state;
    struct sev c, e1, e2;
    commission(f, &c, "urn:part:1");
    mk(f, &e1, K_ACME, "urn:part:1", LEDGER_SEAL, c.id);
    mk(f, &e2, K_ACME, "urn:part:1", LEDGER_LOAD, e1.id);
    add_ok(f, &c);
    add_ok(f, &e1);
    add_ok(f, &e2);
    const struct sev *blk1[] = {&c};
    commit(f, blk1, 1);
    assert_int_equal(f->drops_n, 0);
    assert_int_equal(mempool_count(f->mp), 2);
    expect_pending(f, "urn:part:1", &e2, 3);
    struct ledger_item_state st;
    assert_int_equal(mempool_pending_state(f->mp, "urn:part:1", &st), WB_OK);
    assert_int_equal(st.first_height, f->height);
    assert_int_equal(st.last_height, f->height);

    const struct sev *blk2[] = {&e1, &e2};
    commit(f, blk2, 2);
    assert_int_equal(f->drops_n, 0);
    assert_int_equal(mempool_count(f->mp), 0);
    expect_not_pending(f, "urn:part:1");
}

static void conflicting_commission_is_dropped(void **state)
{
    struct fx *f = *state;
    struct sev mine, theirs, next;
    commission(f, &mine, "urn:twice:1");
    mk(f, &next, K_ACME, "urn:twice:1", LEDGER_SEAL, mine.id);
    commission(f, &theirs, "urn:twice:1");
    add_ok(f, &mine);
    add_ok(f, &next);
    const struct sev *blk[] = {&theirs};
    commit(f, blk, 1);
    assert_int_equal(f->drops_n, 2);
    expect_drop(f, 0, &mine, WB_ERR_RULE, "already commissioned");
    expect_drop(f, 1, &next, WB_ERR_STALE, "stale: the item's head moved on");
    assert_int_equal(mempool_count(f->mp), 0);
}

static void lookup_failure_is_reported(void **state)
{
    struct fx *f = *state;
    struct sev a, b, b2;
    commission(f, &a, "urn:io:a");
    commission(f, &b, "urn:io:b");
    add_ok(f, &b);
    mk(f, &b2, K_ACME, "urn:io:b", LEDGER_SEAL, b.id);
    f->lookup_err = WB_ERR_IO;
    add_refused(f, a.bytes, a.len, WB_ERR_IO, "could not read the committed state");
    /* b's pending state answers without storage. */
    add_ok(f, &b2);

    /* A block touching b (another node's commission of it) while storage
     * cannot be read: b's pending events cannot be re-checked, so they go. */
    struct sev other;
    commission(f, &other, "urn:io:b");
    const uint8_t *events[] = {other.bytes};
    size_t lens[] = {other.len};
    int rc = commit_bytes(f, events, lens, 1);
    assert_int_equal(rc, WB_ERR_IO);
    assert_int_equal(f->drops_n, 2);
    expect_drop(f, 0, &b, WB_ERR_IO, "could not read the committed state");
    expect_drop(f, 1, &b2, WB_ERR_IO, "could not read the committed state");
    assert_int_equal(mempool_count(f->mp), 0);
}

/* Many items with interleaved chains, proposed and committed block by block
 * until the mempool is empty; nothing is dropped and every chain lands. */
static void many_events_flow_through_blocks(void **state)
{
    struct fx *f = *state;
    enum { ITEMS = 120, DEPTH = 5 };
    static const enum ledger_action acts[DEPTH] = {LEDGER_COMMISSION, LEDGER_SEAL, LEDGER_LOAD,
                                                   LEDGER_DEPART, LEDGER_ARRIVE};
    struct sev *last = calloc(ITEMS, sizeof *last);
    assert_non_null(last);
    size_t total = 0;
    for (int d = 0; d < DEPTH; d++)
        for (int i = 0; i < ITEMS; i++) {
            char item[32];
            snprintf(item, sizeof item, "urn:flow:%d", i);
            struct sev e;
            mk(f, &e, K_ACME, item, acts[d], d ? last[i].id : NULL);
            add_ok(f, &e);
            last[i] = e;
            total += e.len;
        }
    assert_int_equal(mempool_count(f->mp), ITEMS * DEPTH);
    assert_int_equal(mempool_bytes(f->mp), total);

    const uint8_t *events[64];
    size_t lens[64];
    size_t blocks = 0;
    while (mempool_count(f->mp) > 0) {
        size_t n = mempool_take(f->mp, 64, 12000, events, lens);
        if (n == 0) fail_msg("take returned nothing with %zu pending", mempool_count(f->mp));
        /* The block's bytes are the mempool's; copy them as a proposal would. */
        int rc = commit_bytes(f, events, lens, n);
        if (rc) fail_msg("on_commit: %s", wb_strerror(rc));
        if (f->drops_n) fail_msg("block %zu dropped events: %s", blocks, f->drops[0].reason);
        if (++blocks > ITEMS * DEPTH) fail_msg("mempool does not drain");
    }
    assert_int_equal(mempool_bytes(f->mp), 0);
    for (int i = 0; i < ITEMS; i++) {
        char item[32];
        snprintf(item, sizeof item, "urn:flow:%d", i);
        struct ledger_item_state *st = store_slot(f, item);
        if (st->count != DEPTH || memcmp(st->head, last[i].id, WB_HASH_LEN) != 0)
            fail_msg("%s: committed count %u, expected %d with the last event as head", item,
                     st->count, DEPTH);
    }
    free(last);
}

/* With a result, the block's ids and items come from it, not from hashing
 * and decoding the events: an id the result gives is what gets removed. A
 * result for another block (event count differs) is ignored. */
static void on_commit_takes_ids_from_the_result(void **state)
{
    struct fx *f = *state;
    struct sev a, b;
    commission(f, &a, "urn:given:a");
    commission(f, &b, "urn:given:b");
    add_ok(f, &a);
    add_ok(f, &b);
    const uint8_t *events[1] = {a.bytes};
    size_t lens[1] = {a.len};
    struct ledger_block_header h = {.version = WB_BLOCK_VERSION, .height = 1,
                                    .time_ms = f->g->genesis_time_ms + 1000};
    memcpy(h.chain_id, f->g->chain_id, WB_CHAIN_ID_LEN);
    uint8_t *buf, hash[WB_HASH_LEN];
    size_t len;
    CHECK_RC(ledger_block_build(&h, events, lens, 1, &buf, &len, hash));
    struct ledger_block blk;
    CHECK_RC(ledger_block_decode(buf, len, &blk));
    struct ledger_item_state st_b;
    memset(&st_b, 0, sizeof st_b);
    snprintf(st_b.item, sizeof st_b.item, "urn:given:b");
    uint8_t ids[1][WB_HASH_LEN];
    uint32_t state_of[1] = {0};
    memcpy(ids[0], b.id, WB_HASH_LEN); /* deliberately b's id for a's bytes */
    struct ledger_block_result r = {.states = &st_b, .state_count = 1, .ids = ids,
                                    .state_of = state_of, .event_count = 1};
    CHECK_RC(mempool_on_commit(f->mp, &blk, &r, on_dropped, f));
    expect_contains(f, &b, false, "removed under the id the result gave");
    expect_contains(f, &a, true, "its id was not in the result");

    r.event_count = 2;                    /* not this block's result: hashed again */
    CHECK_RC(mempool_on_commit(f->mp, &blk, &r, on_dropped, f));
    expect_contains(f, &a, false, "removed under its own id once the result was ignored");
    ledger_block_free(&blk);
    free(buf);
}

#define DAY_MS INT64_C(86400000)

static void admission_uses_the_node_clock(void **state)
{
    struct fx *f = *state;
    struct sev e;
    /* Dated past the clock skew allowance ahead of the node's clock. */
    f->next_time_ms = f->now_ms + f->g->clock_skew_ms + 1;
    mk(f, &e, K_ACME, "urn:clock:1", LEDGER_COMMISSION, NULL);
    add_refused(f, e.bytes, e.len, WB_ERR_RULE, "(rule time_future)");
    /* The same event once the clock caught up. */
    f->now_ms += 1;
    add_ok(f, &e);
    /* Older than the backdating limit by the node's clock. */
    f->next_time_ms = f->now_ms - f->g->backdate_max_ms - 1;
    mk(f, &e, K_ACME, "urn:clock:2", LEDGER_COMMISSION, NULL);
    add_refused(f, e.bytes, e.len, WB_ERR_RULE, "(rule time_backdated)");
    assert_int_equal(mempool_count(f->mp), 1);
}

static void expire_drops_events_past_the_backdating_limit(void **state)
{
    struct fx *f = *state;
    /* Item A: a commission and a seal dated now (EVENT_BASE_MS + n). */
    struct sev a1, a2, b1;
    commission(f, &a1, "urn:late:a");
    add_ok(f, &a1);
    mk(f, &a2, K_ACME, "urn:late:a", LEDGER_SEAL, a1.id);
    add_ok(f, &a2);
    /* Item B, admitted 20 days later, dated then. */
    f->now_ms += 20 * DAY_MS;
    f->next_time_ms = f->now_ms;
    commission(f, &b1, "urn:late:b");
    add_ok(f, &b1);
    /* Nothing to expire while every event is inside the limit. */
    int64_t block_ms = EVENT_BASE_MS + f->g->backdate_max_ms;
    assert_int_equal(mempool_expire(f->mp, block_ms, on_dropped, f), 0);
    assert_int_equal(mempool_count(f->mp), 3);
    assert_int_equal(f->drops_n, 0);
    /* A block 30 days and a second after A's events: A's chain goes. */
    block_ms += 1000;
    assert_int_equal(mempool_expire(f->mp, block_ms, on_dropped, f), 2);
    assert_int_equal(f->drops_n, 2);
    assert_memory_equal(f->drops[0].id, a1.id, WB_HASH_LEN);
    assert_int_equal(f->drops[0].err, WB_ERR_RULE);
    if (!strstr(f->drops[0].reason, "(rule time_backdated)"))
        fail_msg("drop reason: %s", f->drops[0].reason);
    assert_memory_equal(f->drops[1].id, a2.id, WB_HASH_LEN);
    assert_int_equal(f->drops[1].err, WB_ERR_RULE);
    if (!strstr(f->drops[1].reason, "has not been commissioned"))
        fail_msg("drop reason: %s", f->drops[1].reason);
    expect_not_pending(f, "urn:late:a");
    expect_pending(f, "urn:late:b", &b1, 1);
    const uint8_t *events[4];
    size_t lens[4];
    assert_int_equal(mempool_take(f->mp, 4, BIG_BYTES_MAX, events, lens), 1);
    assert_memory_equal(events[0], b1.bytes, b1.len);
    assert_int_equal(mempool_expire(f->mp, block_ms, on_dropped, f), 0);
    assert_int_equal(mempool_expire(f->mp, block_ms, NULL, NULL), 0);
}

static void create_checks_its_config(void **state)
{
    struct fx *f = *state;
    struct mempool_config cfg = {
        .genesis = f->g, .events_max = 1, .bytes_max = 1, .lookup = store_lookup,
    };
    struct mempool *mp = (struct mempool *)1;
    cfg.events_max = 0;
    assert_int_equal(mempool_create(&cfg, &mp), WB_ERR_INVALID);
    assert_null(mp);
    cfg.events_max = 1;
    cfg.bytes_max = 0;
    assert_int_equal(mempool_create(&cfg, &mp), WB_ERR_INVALID);
    cfg.bytes_max = 1;
    cfg.lookup = NULL;
    assert_int_equal(mempool_create(&cfg, &mp), WB_ERR_INVALID);
    cfg.lookup = store_lookup;
    cfg.genesis = NULL;
    assert_int_equal(mempool_create(&cfg, &mp), WB_ERR_INVALID);
    mempool_destroy(NULL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
#define TR(name) {#name " (with result)", name, fx_setup_result, fx_teardown, NULL}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        T(admits_valid_events),
        T(holds_only_the_exact_bytes_it_verified),
        T(duplicate_is_refused),
        T(bad_signature_and_malformed_bytes_are_refused),
        T(rule_violations_are_refused_with_reason),
        T(stale_prev_is_refused),
        T(chain_of_five_admitted_and_taken_in_order),
        T(take_respects_count_and_byte_limits),
        T(take_passes_over_an_event_too_large_for_the_block),
        T(full_by_count_is_busy_and_nothing_grows),
        T(full_by_bytes_is_busy_and_nothing_grows),
        T(on_commit_removes_included_events),
        T(conflicting_event_is_dropped_as_stale),
        T(partly_committed_chain_is_kept),
        T(conflicting_commission_is_dropped),
        T(lookup_failure_is_reported),
        T(many_events_flow_through_blocks),
        T(admission_uses_the_node_clock),
        T(expire_drops_events_past_the_backdating_limit),
        TR(on_commit_removes_included_events),
        TR(conflicting_event_is_dropped_as_stale),
        TR(partly_committed_chain_is_kept),
        TR(conflicting_commission_is_dropped),
        TR(lookup_failure_is_reported),
        TR(many_events_flow_through_blocks),
        TR(on_commit_takes_ids_from_the_result),
        T(create_checks_its_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
