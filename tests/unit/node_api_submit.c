/* Unit tests of node/api_submit.c: what the client API does with a submitted
 * event. Real keys, signed events and a real mempool; a fake committed store
 * (item states and event locations) stands in for storage. */
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

#include "common/wb_error.h"
#include "ledger/event.h"
#include "ledger/genesis.h"
#include "ledger/rules.h"
#include "node/api/api_submit.h"
#include "node/mempool/mempool.h"

#define ITEMS_MAX 8
#define COMMITTED_MAX 16
#define ITEM "urn:waybill:test:retry-1"

enum { K_ACME, K_OCEANIC, K_COUNT };

struct sev {
    uint8_t bytes[WB_SIGNED_EVENT_MAX];
    size_t len;
    uint8_t id[WB_HASH_LEN];
    struct ledger_event ev;
};

struct committed {
    uint8_t id[WB_HASH_LEN];
    uint64_t height;
    uint32_t index;
};

struct fx {
    struct ledger_genesis *g;
    uint8_t pk[K_COUNT][WB_PUBKEY_LEN];
    uint8_t sk[K_COUNT][WB_SECKEY_LEN];
    uint64_t nonce;
    struct ledger_item_state items[ITEMS_MAX];
    size_t item_n;
    struct committed done[COMMITTED_MAX];
    size_t done_n;
    uint64_t height;
    int location_err;                     /* when not 0, every location lookup fails */
    size_t location_lookups;
    struct mempool *mp;
};

static int state_lookup(void *ctx, const char *item, struct ledger_item_state *st)
{
    struct fx *f = ctx;
    for (size_t i = 0; i < f->item_n; i++)
        if (strcmp(f->items[i].item, item) == 0) {
            *st = f->items[i];
            return WB_OK;
        }
    return WB_ERR_NOT_FOUND;
}

static int location_lookup(void *ctx, const uint8_t id[WB_HASH_LEN], uint64_t *height,
                           uint32_t *index)
{
    struct fx *f = ctx;
    f->location_lookups++;
    if (f->location_err) return f->location_err;
    for (size_t i = 0; i < f->done_n; i++)
        if (memcmp(f->done[i].id, id, WB_HASH_LEN) == 0) {
            *height = f->done[i].height;
            *index = f->done[i].index;
            return WB_OK;
        }
    return WB_ERR_NOT_FOUND;
}

/* The node's clock in these tests: a little after every event's time. */
#define FX_NOW_MS 1700000200000
static int64_t fx_clock(void *ctx)
{
    (void)ctx;
    return FX_NOW_MS;
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->g = calloc(1, sizeof *f->g);
    if (!f->g) return -1;
    struct ledger_genesis *g = f->g;
    ledger_genesis_set_defaults(g);
    static const char *const names[K_COUNT] = {"acme", "oceanic"};
    static const enum ledger_role roles[K_COUNT] = {LEDGER_ROLE_SHIPPER, LEDGER_ROLE_CARRIER};
    snprintf(g->chain_name, sizeof g->chain_name, "api-submit-test");
    ledger_chain_id(g->chain_name, g->chain_id);
    g->genesis_time_ms = 1700000000000;
    g->org_count = K_COUNT;
    for (int k = 0; k < K_COUNT; k++) {
        uint8_t seed[32] = {(uint8_t)(k + 41)};
        if (crypto_sign_seed_keypair(f->pk[k], f->sk[k], seed) != 0) return -1;
        snprintf(g->orgs[k].name, sizeof g->orgs[k].name, "%s", names[k]);
        g->orgs[k].role = roles[k];
        g->orgs[k].key_count = 1;
        memcpy(g->orgs[k].keys[0], f->pk[k], WB_PUBKEY_LEN);
    }
    g->validator_count = 1;
    snprintf(g->validators[0].name, sizeof g->validators[0].name, "node0");
    snprintf(g->validators[0].org, sizeof g->validators[0].org, "acme");
    memcpy(g->validators[0].key, f->pk[K_ACME], WB_PUBKEY_LEN);
    struct mempool_config cfg = {
        .genesis = g,
        .events_max = 64,
        .bytes_max = 1u << 20,
        .lookup = state_lookup,
        .lookup_ctx = f,
        .clock = fx_clock,
    };
    if (mempool_create(&cfg, &f->mp) != WB_OK) return -1;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    mempool_destroy(f->mp);
    free(f->g);
    free(f);
    return 0;
}

/* Signs `action` on ITEM by org `key` after `prev` (NULL: none). */
static void mk(struct fx *f, struct sev *out, int key, enum ledger_action action,
               const struct sev *prev)
{
    struct ledger_event *ev = &out->ev;
    memset(ev, 0, sizeof *ev);
    snprintf(ev->item, sizeof ev->item, "%s", ITEM);
    ev->action = action;
    ev->nonce = ++f->nonce;
    ev->time_ms = 1700000100000 + (int64_t)ev->nonce;
    memcpy(ev->submitter, f->pk[key], WB_PUBKEY_LEN);
    if (prev) {
        ev->has_prev = true;
        memcpy(ev->prev, prev->id, WB_HASH_LEN);
    }
    if (action == LEDGER_COMMISSION) snprintf(ev->location, sizeof ev->location, "NLRTM");
    if (action == LEDGER_SEAL) {
        snprintf(ev->attrs[0].key, sizeof ev->attrs[0].key, "seal");
        snprintf(ev->attrs[0].value, sizeof ev->attrs[0].value, "SL-%llu",
                 (unsigned long long)ev->nonce);
        ev->attr_count = 1;
    }
    if (action == LEDGER_UNSEAL && prev && prev->ev.action == LEDGER_SEAL) {
        ev->attrs[0] = prev->ev.attrs[0]; /* names the seal being removed */
        ev->attr_count = 1;
    }
    int rc = ledger_event_sign(f->g->chain_id, ev, f->sk[key], out->bytes, sizeof out->bytes,
                               &out->len);
    if (rc) fail_msg("ledger_event_sign: %s", wb_strerror(rc));
    memcpy(out->id, ev->id, WB_HASH_LEN);
}

/* The same body with other signature bytes: the same event id, a signature
 * that does not verify. */
static void forge(const struct sev *e, struct sev *out)
{
    const uint8_t *body;
    size_t body_len;
    uint8_t sig[WB_SIG_LEN];
    assert_int_equal(ledger_signed_event_split(e->bytes, e->len, &body, &body_len, sig), WB_OK);
    sig[5] ^= 0x40;
    assert_int_equal(ledger_signed_event_encode(body, body_len, sig, out->bytes,
                                                sizeof out->bytes, &out->len),
                     WB_OK);
    memcpy(out->id, e->id, WB_HASH_LEN);
    out->ev = e->ev;
    assert_true(out->len == e->len && memcmp(out->bytes, e->bytes, e->len) != 0);
}

/* Records e as committed at (height, index): its item's state moves on and
 * the location table knows it. */
static void commit(struct fx *f, const struct sev *e, uint64_t height, uint32_t index)
{
    struct ledger_item_state *st = NULL;
    for (size_t i = 0; i < f->item_n; i++)
        if (strcmp(f->items[i].item, e->ev.item) == 0) st = &f->items[i];
    if (!st) {
        assert_true(f->item_n < ITEMS_MAX);
        st = &f->items[f->item_n++];
        memset(st, 0, sizeof *st);
    }
    char why[256] = "";
    if (ledger_rules_check(st, &e->ev, f->g, NULL, FX_NOW_MS, why, sizeof why, NULL) != WB_OK)
        fail_msg("test setup: the committed event breaks the rules: %s", why);
    ledger_rules_apply(st, &e->ev, f->g, height);
    assert_true(f->done_n < COMMITTED_MAX);
    memcpy(f->done[f->done_n].id, e->id, WB_HASH_LEN);
    f->done[f->done_n].height = height;
    f->done[f->done_n].index = index;
    f->done_n++;
}

static const char *kind_name(enum api_submit_kind k)
{
    switch (k) {
    case API_SUBMIT_ALREADY_COMMITTED:
        return "already committed";
    case API_SUBMIT_ADMITTED:
        return "admitted";
    case API_SUBMIT_PENDING:
        return "pending";
    case API_SUBMIT_REFUSED:
        return "refused";
    }
    return "?";
}

static void submit(struct fx *f, const uint8_t *bytes, size_t len, struct api_submit_outcome *out,
                   char *reason, size_t reason_len)
{
    api_submit_admit(location_lookup, f, f->mp, bytes, len, out, reason, reason_len);
}

static void expect_kind(const struct api_submit_outcome *out, enum api_submit_kind want,
                        const char *reason, const char *what)
{
    if (out->kind != want)
        fail_msg("%s: expected %s, got %s (err %s, reason \"%s\")", what, kind_name(want),
                 kind_name(out->kind), wb_strerror(out->err), reason);
}

/* ---- tests ------------------------------------------------------------------ */

static void new_event_is_admitted_and_a_resubmit_waits_on_it(void **state)
{
    struct fx *f = *state;
    struct sev c;
    mk(f, &c, K_ACME, LEDGER_COMMISSION, NULL);
    struct api_submit_outcome out;
    char reason[512];
    submit(f, c.bytes, c.len, &out, reason, sizeof reason);
    expect_kind(&out, API_SUBMIT_ADMITTED, reason, "first submit");
    assert_memory_equal(out.id, c.id, WB_HASH_LEN);
    assert_int_equal(out.err, 0);
    assert_string_equal(reason, "");
    assert_int_equal(mempool_count(f->mp), 1);

    /* The exact bytes again (a client retrying): pending, not refused as a
     * duplicate, and nothing is added. */
    submit(f, c.bytes, c.len, &out, reason, sizeof reason);
    expect_kind(&out, API_SUBMIT_PENDING, reason, "resubmit of the pending bytes");
    assert_memory_equal(out.id, c.id, WB_HASH_LEN);
    assert_string_equal(reason, "");
    assert_int_equal(mempool_count(f->mp), 1);
    assert_true(mempool_holds(f->mp, c.id, c.bytes, c.len));

    /* The same body with other signature bytes is the same pending event:
     * it waits on it, and the pending bytes stay those verified. */
    struct sev forged;
    forge(&c, &forged);
    submit(f, forged.bytes, forged.len, &out, reason, sizeof reason);
    expect_kind(&out, API_SUBMIT_PENDING, reason, "pending id, other signature bytes");
    assert_memory_equal(out.id, c.id, WB_HASH_LEN);
    assert_int_equal(mempool_count(f->mp), 1);
    assert_true(mempool_holds(f->mp, c.id, c.bytes, c.len));
}

static void committed_event_answers_where_it_is(void **state)
{
    struct fx *f = *state;
    struct sev c, s;
    mk(f, &c, K_ACME, LEDGER_COMMISSION, NULL);
    commit(f, &c, 5, 2);
    mk(f, &s, K_ACME, LEDGER_SEAL, &c);
    commit(f, &s, 6, 0);

    /* The rules alone refuse the commission now (the item exists and its
     * head moved on): the committed check turns that into "committed". */
    char reason[512] = "";
    int rc = mempool_add(f->mp, c.bytes, c.len, NULL, reason, sizeof reason);
    assert_true(rc != WB_OK && rc != WB_ERR_DUPLICATE);
    assert_int_equal(mempool_count(f->mp), 0);

    struct api_submit_outcome out;
    submit(f, c.bytes, c.len, &out, reason, sizeof reason);
    expect_kind(&out, API_SUBMIT_ALREADY_COMMITTED, reason, "resubmit of a committed event");
    assert_memory_equal(out.id, c.id, WB_HASH_LEN);
    assert_int_equal(out.height, 5);
    assert_int_equal(out.index, 2);
    assert_int_equal(out.err, 0);
    assert_string_equal(reason, "");

    submit(f, s.bytes, s.len, &out, reason, sizeof reason);
    expect_kind(&out, API_SUBMIT_ALREADY_COMMITTED, reason, "resubmit of the head");
    assert_int_equal(out.height, 6);
    assert_int_equal(out.index, 0);

    /* Another signature over a committed body records nothing new either. */
    struct sev forged;
    forge(&s, &forged);
    submit(f, forged.bytes, forged.len, &out, reason, sizeof reason);
    expect_kind(&out, API_SUBMIT_ALREADY_COMMITTED, reason, "committed id, other signature");
    assert_int_equal(out.height, 6);
    assert_int_equal(mempool_count(f->mp), 0);
}

static void refusals_keep_their_error_and_reason(void **state)
{
    struct fx *f = *state;
    struct api_submit_outcome out;
    char reason[512];

    /* An envelope that does not split: nothing is looked up. */
    static const uint8_t junk[] = {0x0a, 0x40, 0x01};
    submit(f, junk, sizeof junk, &out, reason, sizeof reason);
    expect_kind(&out, API_SUBMIT_REFUSED, reason, "junk");
    assert_int_equal(out.err, WB_ERR_DECODE);
    assert_non_null(strstr(reason, "does not decode"));
    assert_int_equal(f->location_lookups, 0);
    static const uint8_t zeros[WB_HASH_LEN];
    assert_memory_equal(out.id, zeros, WB_HASH_LEN);

    /* The rules' refusal comes through: a seal of an item nobody commissioned. */
    struct sev seal;
    mk(f, &seal, K_ACME, LEDGER_SEAL, NULL);
    submit(f, seal.bytes, seal.len, &out, reason, sizeof reason);
    expect_kind(&out, API_SUBMIT_REFUSED, reason, "seal of an unknown item");
    assert_int_equal(out.err, WB_ERR_RULE);
    assert_memory_equal(out.id, seal.id, WB_HASH_LEN);
    assert_true(reason[0] != '\0');

    /* A stale prev that is not committed: the mempool's reason. */
    struct sev c, s1, s2;
    mk(f, &c, K_ACME, LEDGER_COMMISSION, NULL);
    commit(f, &c, 1, 0);
    mk(f, &s1, K_ACME, LEDGER_SEAL, &c);
    commit(f, &s1, 2, 0);
    mk(f, &s2, K_ACME, LEDGER_SEAL, &c);
    submit(f, s2.bytes, s2.len, &out, reason, sizeof reason);
    expect_kind(&out, API_SUBMIT_REFUSED, reason, "stale prev");
    assert_int_equal(out.err, WB_ERR_STALE);
    assert_non_null(strstr(reason, "stale"));

    /* A forged signature on a new body is checked, and refused. */
    struct sev fresh, forged;
    mk(f, &fresh, K_ACME, LEDGER_UNSEAL, &s1);
    forge(&fresh, &forged);
    submit(f, forged.bytes, forged.len, &out, reason, sizeof reason);
    expect_kind(&out, API_SUBMIT_REFUSED, reason, "forged new event");
    assert_int_equal(out.err, WB_ERR_SIGNATURE);
    assert_int_equal(mempool_count(f->mp), 0);
}

/* The committed-event lookup comes only after the mempool refused: a new
 * event costs none (the store probes every id epoch for an id it does not
 * hold), and a failing lookup adds its error to the refusal's reason. */
static void lookup_only_after_a_refusal(void **state)
{
    struct fx *f = *state;
    struct api_submit_outcome out;
    char reason[512];
    /* A stale event whose lookup fails: refused with the rules' error, and
     * the reason says the store could not tell. */
    struct sev c, s1, s2;
    mk(f, &c, K_ACME, LEDGER_COMMISSION, NULL);
    commit(f, &c, 1, 0);
    mk(f, &s1, K_ACME, LEDGER_SEAL, &c);
    commit(f, &s1, 2, 0);
    mk(f, &s2, K_ACME, LEDGER_SEAL, &c);
    f->location_err = WB_ERR_STORE;
    f->location_lookups = 0;
    submit(f, s2.bytes, s2.len, &out, reason, sizeof reason);
    expect_kind(&out, API_SUBMIT_REFUSED, reason, "stale event, lookup fails");
    assert_int_equal(out.err, WB_ERR_STALE);
    assert_int_equal(f->location_lookups, 1);
    assert_non_null(strstr(reason, "stale"));
    assert_non_null(strstr(reason, "(cannot tell whether event"));
    assert_memory_equal(out.id, s2.id, WB_HASH_LEN);
    /* No room for the reason: still refused. */
    submit(f, s2.bytes, s2.len, &out, NULL, 0);
    expect_kind(&out, API_SUBMIT_REFUSED, "", "no reason buffer");

    /* A new event (it extends the head) is admitted without a lookup, even
     * while the lookup fails; so is its resubmit. */
    struct sev u;
    mk(f, &u, K_ACME, LEDGER_UNSEAL, &s1);
    f->location_lookups = 0;
    submit(f, u.bytes, u.len, &out, reason, sizeof reason);
    expect_kind(&out, API_SUBMIT_ADMITTED, reason, "new event");
    submit(f, u.bytes, u.len, &out, reason, sizeof reason);
    expect_kind(&out, API_SUBMIT_PENDING, reason, "pending event");
    assert_int_equal(f->location_lookups, 0);

    /* The committed event itself, once the store answers again. */
    f->location_err = 0;
    submit(f, s1.bytes, s1.len, &out, reason, sizeof reason);
    expect_kind(&out, API_SUBMIT_ALREADY_COMMITTED, reason, "after the store recovered");
    assert_int_equal(out.height, 2);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(new_event_is_admitted_and_a_resubmit_waits_on_it),
        T(committed_event_answers_where_it_is),
        T(refusals_keep_their_error_and_reason),
        T(lookup_only_after_a_refusal),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
