/* Unit tests of ledger/validate.c: block validity over real signed events,
 * header checks, the in-block overlay of item states, and sig_known. */
#include <setjmp.h>
#include <stdarg.h>
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
#include "ledger/gov.h"
#include "ledger/item_leaf.h"
#include "ledger/merkle.h"
#include "ledger/rules.h"
#include "ledger/state_tree.h"
#include "ledger/validate.h"

#define ITEM_A "CSQU3054383"
#define ITEM_B "urn:epc:id:sscc:0614141.1234567890"
#define GENESIS_MS 1700000000000
#define EVENTS_MAX 16

enum { K_ACME, K_OCEANIC, K_CUSTOMS, K_STRANGER, K_COUNT };
static const char *const org_names[] = {"acme", "oceanic", "customs"};
static const enum ledger_role org_roles[] = {LEDGER_ROLE_SHIPPER, LEDGER_ROLE_CARRIER,
                                             LEDGER_ROLE_CUSTOMS};
#define ORG_COUNT 3
#define N_VALIDATORS 4

struct signed_ev {
    struct ledger_event ev;
    uint8_t bytes[WB_SIGNED_EVENT_MAX];
    size_t len;
};

/* Committed item states the lookup callback serves. */
struct committed {
    size_t n;
    struct ledger_item_state st[4];
    int fail_with;                      /* nonzero: lookup returns this error */
    const uint8_t *known_id;            /* sig_known says true for this id */
    bool know_all;
};

struct fx {
    struct ledger_genesis *g;
    uint8_t pk[K_COUNT][WB_PUBKEY_LEN];
    uint8_t sk[K_COUNT][WB_SECKEY_LEN];
    struct signed_ev evs[EVENTS_MAX];
    size_t n;
    struct committed db;
    struct ledger_block_ctx bc;
    struct ledger_block block;
    bool have_block;
    uint64_t nonce;
    int64_t event_time_ms;                /* when not 0: the time of events added */
};

static int lookup(void *ctx, const char *item, struct ledger_item_state *st)
{
    struct committed *db = ctx;
    if (db->fail_with) return db->fail_with;
    for (size_t i = 0; i < db->n; i++) {
        if (strcmp(db->st[i].item, item) == 0) {
            *st = db->st[i];
            return WB_OK;
        }
    }
    return WB_ERR_NOT_FOUND;
}

static bool sig_known(void *ctx, const uint8_t id[WB_HASH_LEN], const uint8_t *ev, size_t len)
{
    (void)ev;
    (void)len;
    struct committed *db = ctx;
    if (db->know_all) return true;
    return db->known_id && memcmp(db->known_id, id, WB_HASH_LEN) == 0;
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->g = calloc(1, sizeof *f->g);
    if (!f->g) return -1;
    for (int k = 0; k < K_COUNT; k++) {
        uint8_t seed[32] = {(uint8_t)(k + 1)};
        if (crypto_sign_seed_keypair(f->pk[k], f->sk[k], seed) != 0) return -1;
    }
    struct ledger_genesis *g = f->g;
    snprintf(g->chain_name, sizeof g->chain_name, "validate-test");
    ledger_chain_id(g->chain_name, g->chain_id);
    g->genesis_time_ms = GENESIS_MS;
    ledger_genesis_set_defaults(g);
    g->org_count = ORG_COUNT;
    for (int k = 0; k < ORG_COUNT; k++) {
        snprintf(g->orgs[k].name, sizeof g->orgs[k].name, "%s", org_names[k]);
        g->orgs[k].role = org_roles[k];
        g->orgs[k].key_count = 1;
        memcpy(g->orgs[k].keys[0], f->pk[k], WB_PUBKEY_LEN);
    }
    g->validator_count = N_VALIDATORS;
    for (int v = 0; v < N_VALIDATORS; v++) {
        uint8_t seed[32] = {(uint8_t)(100 + v)}, sk[WB_SECKEY_LEN];
        if (crypto_sign_seed_keypair(g->validators[v].key, sk, seed) != 0) return -1;
        snprintf(g->validators[v].name, sizeof g->validators[v].name, "node%d", v);
        snprintf(g->validators[v].org, sizeof g->validators[v].org, "acme");
    }
    f->bc = (struct ledger_block_ctx){
        .genesis = g,
        .height = 1,
        .prev_time_ms = GENESIS_MS,
        .now_ms = GENESIS_MS + 1000,
        .drift_max_ms = 5000,
        .events_max = EVENTS_MAX,
        .lookup = lookup,
        .sig_known = NULL,
        .ctx = &f->db,
    };
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    if (f->have_block) ledger_block_free(&f->block);
    free(f->g);
    free(f);
    return 0;
}

/* Appends a signed event; prev is the id of `prev_ev` (NULL: none). */
static struct signed_ev *add_event(struct fx *f, int key, const char *item,
                                   enum ledger_action a, const char *loc,
                                   const uint8_t *prev, const char *to_org)
{
    assert_true(f->n < EVENTS_MAX);
    struct signed_ev *se = &f->evs[f->n++];
    struct ledger_event *ev = &se->ev;
    memset(ev, 0, sizeof *ev);
    snprintf(ev->item, sizeof ev->item, "%s", item);
    ev->action = a;
    if (loc) snprintf(ev->location, sizeof ev->location, "%s", loc);
    ev->time_ms = f->event_time_ms ? f->event_time_ms : GENESIS_MS + 500;
    memcpy(ev->submitter, f->pk[key], WB_PUBKEY_LEN);
    if (prev) {
        ev->has_prev = true;
        memcpy(ev->prev, prev, WB_HASH_LEN);
    }
    if (to_org) snprintf(ev->to_org, sizeof ev->to_org, "%s", to_org);
    ev->nonce = ++f->nonce;
    int rc = ledger_event_sign(f->g->chain_id, ev, f->sk[key], se->bytes, sizeof se->bytes,
                               &se->len);
    if (rc) fail_msg("ledger_event_sign: %s", wb_strerror(rc));
    return se;
}

/* Builds and decodes a block of f->evs under header h (events root and
 * count filled in). */
static void build_header(struct fx *f, struct ledger_block_header *h)
{
    const uint8_t *ptrs[EVENTS_MAX];
    size_t lens[EVENTS_MAX];
    for (size_t i = 0; i < f->n; i++) {
        ptrs[i] = f->evs[i].bytes;
        lens[i] = f->evs[i].len;
    }
    uint8_t *buf, hash[WB_HASH_LEN];
    size_t len;
    int rc = ledger_block_build(h, ptrs, lens, f->n, &buf, &len, hash);
    if (rc) fail_msg("ledger_block_build: %s", wb_strerror(rc));
    if (f->have_block) ledger_block_free(&f->block);
    rc = ledger_block_decode(buf, len, &f->block);
    free(buf);
    if (rc) fail_msg("ledger_block_decode: %s", wb_strerror(rc));
    f->have_block = true;
    assert_memory_equal(f->block.hash, hash, WB_HASH_LEN);
}

/* Builds and decodes a block of f->evs with the given header fields. */
static void build(struct fx *f, uint64_t height, int64_t time_ms, const uint8_t *prev_hash,
                  const uint8_t *chain_id, uint32_t proposer)
{
    struct ledger_block_header h = {.version = WB_BLOCK_VERSION, .height = height,
                                    .time_ms = time_ms, .proposer = proposer};
    memcpy(h.chain_id, chain_id ? chain_id : f->g->chain_id, WB_CHAIN_ID_LEN);
    if (prev_hash) memcpy(h.prev_hash, prev_hash, WB_HASH_LEN);
    build_header(f, &h);
}

static void build_default(struct fx *f) { build(f, 1, GENESIS_MS + 1000, NULL, NULL, 0); }

static void expect_valid(struct fx *f, struct ledger_item_state **states, size_t *n)
{
    char msg[512] = "";
    int rc = ledger_block_check(&f->bc, &f->block, states, n, msg, sizeof msg);
    if (rc) fail_msg("expected a valid block, got %s: %s", wb_strerror(rc), msg);
}

static void expect_invalid(struct fx *f, const char *want)
{
    char msg[512] = "";
    struct ledger_item_state *states = (struct ledger_item_state *)1;
    size_t n = 99;
    int rc = ledger_block_check(&f->bc, &f->block, &states, &n, msg, sizeof msg);
    if (rc != WB_ERR_INVALID || !strstr(msg, want))
        fail_msg("expected WB_ERR_INVALID with \"%s\", got rc %d (%s), message \"%s\"", want,
                 rc, wb_strerror(rc), msg);
    assert_null(states);
    assert_int_equal(n, 0);
    /* The full check refuses the same way and hands out nothing. */
    char msg_full[512] = "";
    struct ledger_block_result r;
    memset(&r, 0xff, sizeof r);
    rc = ledger_block_check_full(&f->bc, &f->block, &r, msg_full, sizeof msg_full);
    if (rc != WB_ERR_INVALID || strcmp(msg, msg_full) != 0)
        fail_msg("ledger_block_check_full: got rc %d, message \"%s\"; ledger_block_check "
                 "said \"%s\"",
                 rc, msg_full, msg);
    assert_null(r.states);
    assert_null(r.ids);
    assert_null(r.state_of);
    assert_int_equal(r.state_count, 0);
    assert_int_equal(r.event_count, 0);
}

static const char *short_id(const struct signed_ev *se, char out[9])
{
    return wb_hex_encode(se->ev.id, 4, out, 9);
}

static void valid_block_gives_states(void **state)
{
    struct fx *f = *state;
    add_event(f, K_ACME, ITEM_B, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    struct signed_ev *a = add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "DEHAM", NULL, NULL);
    build_default(f);
    struct ledger_item_state *states = NULL;
    size_t n = 0;
    expect_valid(f, &states, &n);
    assert_int_equal(n, 2);
    assert_string_equal(states[0].item, ITEM_B);
    assert_string_equal(states[1].item, ITEM_A);
    assert_string_equal(states[1].custodian, "acme");
    assert_int_equal(states[1].status, LEDGER_ITEM_ACTIVE);
    assert_int_equal(states[1].count, 1);
    assert_int_equal(states[1].first_height, 1);
    assert_memory_equal(states[1].head, a->ev.id, WB_HASH_LEN);
    free(states);
    /* states are optional */
    char msg[256];
    assert_int_equal(ledger_block_check(&f->bc, &f->block, NULL, NULL, msg, sizeof msg), WB_OK);
}

static void empty_block_valid(void **state)
{
    struct fx *f = *state;
    build_default(f);
    struct ledger_item_state *states = NULL;
    size_t n = 7;
    expect_valid(f, &states, &n);
    assert_int_equal(n, 0);
    free(states);
}

static void header_fields_checked(void **state)
{
    struct fx *f = *state;
    add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);

    build(f, 2, GENESIS_MS + 1000, NULL, NULL, 0);
    expect_invalid(f, "block height 2, expected 1");

    uint8_t wrong_prev[WB_HASH_LEN];
    memset(wrong_prev, 0x77, sizeof wrong_prev);
    build(f, 1, GENESIS_MS + 1000, wrong_prev, NULL, 0);
    expect_invalid(f, "block prev hash 7777777777777777... does not match block 0's hash");

    uint8_t other_chain[WB_CHAIN_ID_LEN];
    ledger_chain_id("another-chain", other_chain);
    build(f, 1, GENESIS_MS + 1000, NULL, other_chain, 0);
    expect_invalid(f, "block is for chain");

    build(f, 1, GENESIS_MS, NULL, NULL, 0);
    expect_invalid(f, "block time 1700000000000 ms is not after the previous block's time "
                      "1700000000000 ms");
    build(f, 1, GENESIS_MS - 1, NULL, NULL, 0);
    expect_invalid(f, "is not after the previous block's time");

    build(f, 1, GENESIS_MS + 1000 + 5001, NULL, NULL, 0);
    expect_invalid(f, "block time 1700000006001 ms is 5001 ms ahead of the local clock; at "
                      "most 5000 ms allowed");
    build(f, 1, GENESIS_MS + 1000 + 5000, NULL, NULL, 0);
    expect_valid(f, NULL, NULL);

    build(f, 1, GENESIS_MS + 1000, NULL, NULL, N_VALIDATORS);
    expect_invalid(f, "block proposer 4 is not a validator index");

    build_default(f);
    f->bc.events_max = 0;
    expect_invalid(f, "block carries 1 events, the limit is 0");
}

static void duplicate_event_invalid(void **state)
{
    struct fx *f = *state;
    struct signed_ev *a = add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    add_event(f, K_ACME, ITEM_B, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    f->evs[f->n++] = *a;
    build_default(f);
    char id[9], want[96];
    snprintf(want, sizeof want, "event 2 (%s, commission): duplicate of event 0",
             short_id(a, id));
    expect_invalid(f, want);
}

static void invalid_event_in_middle_named(void **state)
{
    struct fx *f = *state;
    add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    struct signed_ev *bad = add_event(f, K_OCEANIC, ITEM_A, LEDGER_LOAD, "NLRTM",
                                      f->evs[0].ev.id, NULL);
    add_event(f, K_ACME, ITEM_B, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    build_default(f);
    char id[9], want[160];
    snprintf(want, sizeof want, "event 1 (%s, load): load: 'oceanic' is not the custodian",
             short_id(bad, id));
    expect_invalid(f, want);

    /* an undecodable event is named too */
    f->n = 0;
    add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    struct signed_ev *junk = &f->evs[f->n++];
    memset(junk->bytes, 0xff, 8);
    junk->len = 8;
    build_default(f);
    expect_invalid(f, "event 1: not a signed event");
}

static void item_chain_inside_one_block(void **state)
{
    struct fx *f = *state;
    struct signed_ev *e = add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    add_event(f, K_ACME, ITEM_B, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    e = add_event(f, K_ACME, ITEM_A, LEDGER_LOAD, "NLRTM", e->ev.id, NULL);
    e = add_event(f, K_ACME, ITEM_A, LEDGER_HANDOVER, NULL, e->ev.id, "oceanic");
    e = add_event(f, K_OCEANIC, ITEM_A, LEDGER_RECEIVE, NULL, e->ev.id, NULL);
    e = add_event(f, K_OCEANIC, ITEM_A, LEDGER_DEPART, "NLRTM", e->ev.id, NULL);
    build_default(f);
    struct ledger_item_state *states = NULL;
    size_t n = 0;
    expect_valid(f, &states, &n);
    assert_int_equal(n, 2);
    assert_string_equal(states[0].item, ITEM_A);
    assert_string_equal(states[0].custodian, "oceanic");
    assert_int_equal(states[0].count, 5);
    assert_memory_equal(states[0].head, e->ev.id, WB_HASH_LEN);
    assert_string_equal(states[1].item, ITEM_B);
    assert_int_equal(states[1].count, 1);
    free(states);

    /* the same chain out of order is invalid: depart before receive */
    struct signed_ev tmp = f->evs[4];
    f->evs[4] = f->evs[5];
    f->evs[5] = tmp;
    build_default(f);
    char id[9], want[96];
    snprintf(want, sizeof want, "event 4 (%s, depart): depart: prev does not match",
             short_id(&f->evs[4], id));
    expect_invalid(f, want);
}

/* The full check gives the same states as ledger_block_check, plus every
 * event's id and the index of its item's state. */
static void full_check_gives_ids_and_items(void **state)
{
    struct fx *f = *state;
    struct signed_ev *a = add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    add_event(f, K_ACME, ITEM_B, LEDGER_COMMISSION, "DEHAM", NULL, NULL);
    a = add_event(f, K_ACME, ITEM_A, LEDGER_LOAD, "NLRTM", a->ev.id, NULL);
    build_default(f);
    struct ledger_item_state *states = NULL;
    size_t n = 0;
    expect_valid(f, &states, &n);
    struct ledger_block_result r;
    char msg[512] = "";
    int rc = ledger_block_check_full(&f->bc, &f->block, &r, msg, sizeof msg);
    if (rc) fail_msg("ledger_block_check_full: %s: %s", wb_strerror(rc), msg);
    assert_int_equal(r.event_count, 3);
    assert_int_equal(r.state_count, n);
    assert_memory_equal(r.states, states, n * sizeof *states);
    static const uint32_t want_state[3] = {0, 1, 0};
    for (size_t i = 0; i < 3; i++) {
        char got_hex[17], want_hex[17];
        if (memcmp(r.ids[i], f->evs[i].ev.id, WB_HASH_LEN) != 0)
            fail_msg("event %zu: id %s, expected %s", i,
                     wb_hex_encode(r.ids[i], 8, got_hex, sizeof got_hex),
                     wb_hex_encode(f->evs[i].ev.id, 8, want_hex, sizeof want_hex));
        if (r.state_of[i] != want_state[i])
            fail_msg("event %zu: state index %u, expected %u", i, (unsigned)r.state_of[i],
                     (unsigned)want_state[i]);
        assert_string_equal(r.states[r.state_of[i]].item, f->evs[i].ev.item);
    }
    free(states);
    ledger_block_result_free(&r);
    ledger_block_result_free(&r); /* a freed result is zeroed: freeing again is a no-op */
    ledger_block_result_free(NULL);

    /* An empty block: nothing to hand out. */
    f->n = 0;
    build_default(f);
    rc = ledger_block_check_full(&f->bc, &f->block, &r, msg, sizeof msg);
    if (rc) fail_msg("ledger_block_check_full of an empty block: %s: %s", wb_strerror(rc), msg);
    assert_int_equal(r.event_count, 0);
    assert_int_equal(r.state_count, 0);
    assert_null(r.ids);
    assert_null(r.state_of);
    ledger_block_result_free(&r);
}

static void committed_state_from_lookup(void **state)
{
    struct fx *f = *state;
    /* block 1 commissions the item */
    struct signed_ev *c = add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    build_default(f);
    struct ledger_item_state *states = NULL;
    size_t n = 0;
    expect_valid(f, &states, &n);
    assert_int_equal(n, 1);
    f->db.st[f->db.n++] = states[0];
    free(states);
    uint8_t prev_hash[WB_HASH_LEN];
    memcpy(prev_hash, f->block.hash, WB_HASH_LEN);
    uint8_t commission_id[WB_HASH_LEN];
    memcpy(commission_id, c->ev.id, WB_HASH_LEN);

    /* block 2 continues from the committed state */
    f->n = 0;
    f->bc.height = 2;
    memcpy(f->bc.prev_hash, prev_hash, WB_HASH_LEN);
    f->bc.prev_time_ms = GENESIS_MS + 1000;
    f->bc.now_ms = GENESIS_MS + 2000;
    add_event(f, K_ACME, ITEM_A, LEDGER_LOAD, "NLRTM", commission_id, NULL);
    build(f, 2, GENESIS_MS + 2000, prev_hash, NULL, 1);
    expect_valid(f, &states, &n);
    assert_int_equal(n, 1);
    assert_int_equal(states[0].count, 2);
    assert_int_equal(states[0].first_height, 1);
    assert_int_equal(states[0].last_height, 2);
    free(states);

    /* a second commission of the committed item is refused */
    f->n = 0;
    add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    build(f, 2, GENESIS_MS + 2000, prev_hash, NULL, 1);
    expect_invalid(f, "commission: item " ITEM_A " was already commissioned");

    /* a storage failure makes the block invalid here, with the reason */
    f->n = 0;
    add_event(f, K_ACME, ITEM_A, LEDGER_LOAD, "NLRTM", commission_id, NULL);
    build(f, 2, GENESIS_MS + 2000, prev_hash, NULL, 1);
    f->db.fail_with = WB_ERR_STORE;
    expect_invalid(f, "cannot read the state of item " ITEM_A ": storage error");
}

static void sig_known_skips_signature_check(void **state)
{
    struct fx *f = *state;
    add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    struct signed_ev *bad = add_event(f, K_ACME, ITEM_B, LEDGER_COMMISSION, "NLRTM", NULL,
                                      NULL);
    /* SignedEvent ends with the 64 signature bytes (field 2) */
    bad->bytes[bad->len - 1] ^= 0x01;
    build_default(f);
    char id[9], want[128];
    snprintf(want, sizeof want, "event 1 (%s, commission): signature does not verify",
             short_id(bad, id));
    expect_invalid(f, want);

    /* sig_known for another id: still checked */
    f->bc.sig_known = sig_known;
    f->db.known_id = f->evs[0].ev.id;
    expect_invalid(f, want);

    /* sig_known for this id: the mempool verified it, so it is not checked again */
    f->db.known_id = bad->ev.id;
    expect_valid(f, NULL, NULL);
    f->db.known_id = NULL;
    f->db.know_all = true;
    expect_valid(f, NULL, NULL);
}

static void unknown_submitter_invalid(void **state)
{
    struct fx *f = *state;
    struct signed_ev *s = add_event(f, K_STRANGER, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL,
                                    NULL);
    build_default(f);
    char id[9], want[128];
    snprintf(want, sizeof want, "event 0 (%s, commission): commission: submitter key",
             short_id(s, id));
    expect_invalid(f, want);
}

/* The time rules take the block's own time as their reference, not the
 * local clock: the same verdict on every node and at every later check. */
static void event_times_judged_against_block_time(void **state)
{
    struct fx *f = *state;
    char id[9], want[128];
    int64_t block_ms = GENESIS_MS + 1000;
    f->event_time_ms = block_ms + f->g->clock_skew_ms + 1;
    struct signed_ev *a = add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    build_default(f);
    snprintf(want, sizeof want, "event 0 (%s, commission): commission: event time",
             short_id(a, id));
    expect_invalid(f, want);
    expect_invalid(f, "(rule time_future)");
    /* A clock far ahead does not make it valid: the block's time decides. */
    f->bc.now_ms = block_ms + 3600000;
    expect_invalid(f, "(rule time_future)");

    /* Inside the allowance: valid. */
    f->n = 0;
    f->event_time_ms = block_ms + f->g->clock_skew_ms;
    add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    build_default(f);
    expect_valid(f, NULL, NULL);

    /* A block 30 days and a second after its event. */
    f->n = 0;
    f->event_time_ms = GENESIS_MS + 500;
    add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    block_ms = GENESIS_MS + 500 + f->g->backdate_max_ms + 1000;
    f->bc.now_ms = block_ms;
    build(f, 1, block_ms, NULL, NULL, 0);
    expect_invalid(f, "(rule time_backdated)");
    build(f, 1, block_ms - 1000, NULL, NULL, 0);
    expect_valid(f, NULL, NULL);
}

/* ---- header version 2: the item-state tree ------------------------------- */

/* Builds a version 2 block of f->evs at height 1 with the given state root
 * and item count. */
static void build_v2(struct fx *f, const uint8_t root[WB_HASH_LEN], uint64_t item_count)
{
    struct ledger_block_header h = {.version = WB_BLOCK_VERSION_STATE, .height = 1,
                                    .time_ms = GENESIS_MS + 1000, .has_state = true,
                                    .item_count = item_count};
    memcpy(h.chain_id, f->g->chain_id, WB_CHAIN_ID_LEN);
    memcpy(h.state_root, root, WB_HASH_LEN);
    build_header(f, &h);
}

/* A tree of `n` placeholder leaves, and the same hashes in `leaves`. */
static void placeholder_tree(struct ledger_state_tree *t, uint8_t (*leaves)[32], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t data[8] = {(uint8_t)i};
        merkle_leaf_hash(data, sizeof data, leaves[i]);
    }
    ledger_state_tree_init(t);
    assert_int_equal(ledger_state_tree_build(t, (const uint8_t (*)[32])leaves, n), WB_OK);
}

/* Five items registered before; the block moves the one registered fourth
 * (index 3) and commissions two: they get indexes 5 and 6 in the order of
 * their first events, and the header must carry the root over the leaves
 * with leaf 3 replaced and 5, 6 appended. */
static void version_2_header_commits_to_the_item_states(void **state)
{
    struct fx *f = *state;
    f->g->header_version = WB_BLOCK_VERSION_STATE;
    uint8_t leaves[8][32];
    struct ledger_state_tree tree;
    placeholder_tree(&tree, leaves, 5);
    f->bc.tree = &tree;
    /* ITEM_A, committed and registered as number 3. */
    struct signed_ev *c = add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    struct ledger_item_state *stored = &f->db.st[f->db.n++];
    memset(stored, 0, sizeof *stored);
    {
        struct ledger_item_state *tmp = NULL;
        size_t tn = 0;
        build_default(f);
        f->g->header_version = WB_BLOCK_VERSION;
        f->bc.tree = NULL;
        expect_valid(f, &tmp, &tn);
        *stored = tmp[0];
        stored->reg_index = 3;
        free(tmp);
        f->g->header_version = WB_BLOCK_VERSION_STATE;
        f->bc.tree = &tree;
    }
    uint8_t head[WB_HASH_LEN];
    memcpy(head, c->ev.id, sizeof head);
    f->n = 0;
    add_event(f, K_ACME, ITEM_B, LEDGER_COMMISSION, "DEHAM", NULL, NULL);
    add_event(f, K_ACME, ITEM_A, LEDGER_LOAD, "NLRTM", head, NULL);
    add_event(f, K_ACME, "MSCU1234566", LEDGER_COMMISSION, "DEHAM", NULL, NULL);
    /* Header fields unknown yet: the proposer's check computes them. */
    uint8_t zero[32] = {0};
    build_v2(f, zero, 0);
    f->bc.state_unset = true;
    struct ledger_block_result r;
    char msg[512] = "";
    int rc = ledger_block_check_full(&f->bc, &f->block, &r, msg, sizeof msg);
    if (rc) fail_msg("proposer's check: %s", msg);
    f->bc.state_unset = false;
    assert_int_equal(r.state_count, 3);
    assert_string_equal(r.states[0].item, ITEM_B);
    assert_int_equal(r.states[0].reg_index, 5);
    assert_string_equal(r.states[1].item, ITEM_A);
    assert_int_equal(r.states[1].reg_index, 3);
    assert_int_equal(r.states[2].reg_index, 6);
    assert_int_equal(r.leaf_count, 3);
    assert_int_equal(r.leaves[0].index, 3);
    assert_int_equal(r.leaves[1].index, 5);
    assert_int_equal(r.leaves[2].index, 6);
    assert_int_equal(r.item_count, 7);
    /* The root, independently: leaf hashes of the three states in place. */
    const size_t where[3] = {5, 3, 6};
    for (size_t j = 0; j < 3; j++) {
        struct ledger_item_leaf leaf;
        ledger_item_leaf_from_state(&r.states[j], where[j], &leaf);
        ledger_item_leaf_hash(&leaf, leaves[where[j]]);
    }
    uint8_t want[32];
    assert_int_equal(merkle_root((const uint8_t (*)[32])leaves, 7, want), WB_OK);
    assert_memory_equal(r.state_root, want, 32);

    /* The block with those fields is valid, and nothing else is. */
    build_v2(f, want, 7);
    expect_valid(f, NULL, NULL);
    build_v2(f, want, 6);
    expect_invalid(f, "block header counts 6 items, the block leaves 7");
    uint8_t other[32];
    memcpy(other, want, 32);
    other[0] ^= 1;
    build_v2(f, other, 7);
    expect_invalid(f, "is not the item-state root");
    /* Applying the batch gives the tree the header names. */
    assert_int_equal(ledger_state_tree_apply(&tree, r.leaves, r.leaf_count), WB_OK);
    uint8_t after[32];
    ledger_state_tree_root(&tree, after);
    assert_memory_equal(after, want, 32);
    ledger_block_result_free(&r);
    ledger_state_tree_free(&tree);
}

static void header_version_must_be_the_chains(void **state)
{
    struct fx *f = *state;
    add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    struct ledger_state_tree tree;
    ledger_state_tree_init(&tree);
    uint8_t root[32];
    ledger_state_tree_root(&tree, root);
    /* A version 2 block on a version 1 chain. */
    f->bc.tree = &tree;
    build_v2(f, root, 1);
    expect_invalid(f, "block header version 2, expected 1");
    /* A version 1 block on a version 2 chain. */
    f->g->header_version = WB_BLOCK_VERSION_STATE;
    build_default(f);
    expect_invalid(f, "block header version 1, expected 2");
    /* A version 2 chain checked without a tree. */
    f->bc.tree = NULL;
    build_v2(f, root, 1);
    expect_invalid(f, "no item-state tree to check a version 2 block against");
    ledger_state_tree_free(&tree);
}

/* Without a tree, new items count on from the context's item count. */
static void new_items_register_after_the_item_count(void **state)
{
    struct fx *f = *state;
    f->bc.item_count = 41;
    add_event(f, K_ACME, ITEM_B, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "DEHAM", NULL, NULL);
    build_default(f);
    struct ledger_item_state *states = NULL;
    size_t n = 0;
    expect_valid(f, &states, &n);
    assert_int_equal(n, 2);
    assert_int_equal(states[0].reg_index, 41);
    assert_int_equal(states[1].reg_index, 42);
    free(states);
    /* A version 1 check with no tree hands out no leaves. */
    struct ledger_block_result r;
    char msg[256];
    assert_int_equal(ledger_block_check_full(&f->bc, &f->block, &r, msg, sizeof msg), WB_OK);
    assert_null(r.leaves);
    assert_int_equal(r.leaf_count, 0);
    assert_int_equal(r.item_count, 43); /* 41 before, two registered */
    ledger_block_result_free(&r);
}

/* ---- governance ---------------------------------------------------------------- */

/* Appends a signed governance event of *a by key (prev: the chain's head
 * or NULL for its first event). */
static struct signed_ev *add_gov_event(struct fx *f, int key, const struct ledger_gov_action *a,
                                       const uint8_t *prev)
{
    assert_true(f->n < EVENTS_MAX);
    struct signed_ev *se = &f->evs[f->n++];
    struct ledger_event *ev = &se->ev;
    memset(ev, 0, sizeof *ev);
    char msg[256] = "";
    if (ledger_gov_action_encode(a, ev, msg, sizeof msg)) fail_msg("encode: %s", msg);
    ev->time_ms = f->event_time_ms ? f->event_time_ms : GENESIS_MS + 500;
    memcpy(ev->submitter, f->pk[key], WB_PUBKEY_LEN);
    if (prev) {
        ev->has_prev = true;
        memcpy(ev->prev, prev, WB_HASH_LEN);
    }
    ev->nonce = ++f->nonce;
    int rc = ledger_event_sign(f->g->chain_id, ev, f->sk[key], se->bytes, sizeof se->bytes,
                               &se->len);
    if (rc) fail_msg("ledger_event_sign: %s", wb_strerror(rc));
    return se;
}

static struct ledger_gov_action key_add_of(const uint8_t pk[WB_PUBKEY_LEN])
{
    struct ledger_gov_action a;
    memset(&a, 0, sizeof a);
    a.action = LEDGER_KEY_ADD;
    memcpy(a.key, pk, WB_PUBKEY_LEN);
    return a;
}

static struct ledger_gov *gov_new(const struct ledger_genesis *g)
{
    struct ledger_gov *gv = malloc(sizeof *gv);
    assert_non_null(gv);
    assert_int_equal(ledger_gov_init(gv, g), WB_OK);
    return gv;
}

static void gov_delete(struct ledger_gov *gv)
{
    ledger_gov_free(gv);
    free(gv);
}

static void governance_block_gives_gov_after(void **state)
{
    struct fx *f = *state;
    struct ledger_gov *gv = gov_new(f->g);
    f->bc.gov = gv;
    /* oceanic adds a key; an item event in the same block. */
    struct ledger_gov_action a = key_add_of(f->pk[K_STRANGER]);
    struct signed_ev *g1 = add_gov_event(f, K_OCEANIC, &a, NULL);
    add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    build_default(f);
    struct ledger_block_result r;
    char msg[512] = "";
    int rc = ledger_block_check_full(&f->bc, &f->block, &r, msg, sizeof msg);
    if (rc) fail_msg("expected a valid block: %s", msg);
    assert_non_null(r.gov_after);
    assert_int_equal(r.gov_after->height, 1);
    assert_int_equal(r.gov_after->time_ms, GENESIS_MS + 1000);
    assert_int_equal(r.gov_after->event_count, 1);
    assert_memory_equal(r.gov_after->head, g1->ev.id, WB_HASH_LEN);
    const struct ledger_gov_key *k = ledger_gov_key_find(r.gov_after, f->pk[K_STRANGER]);
    assert_non_null(k);
    assert_string_equal(k->org, "oceanic");
    assert_int_equal(k->added_height, 1);
    assert_int_equal(ledger_genesis_org_of_key(&r.gov_after->view, f->pk[K_STRANGER]), 1);
    /* bc->gov is untouched. */
    assert_null(ledger_gov_key_find(gv, f->pk[K_STRANGER]));
    assert_int_equal(gv->event_count, 0);
    /* The governance chain is an item state like any other. */
    assert_int_equal(r.state_count, 2);
    assert_string_equal(r.states[0].item, WB_GOV_CHAIN);
    assert_int_equal(r.states[0].count, 1);
    assert_int_equal(r.states[0].status, LEDGER_ITEM_ACTIVE);
    ledger_block_result_free(&r);
    assert_null(r.gov_after);

    /* Without governance events: no gov_after. */
    f->n = 0;
    add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    build_default(f);
    rc = ledger_block_check_full(&f->bc, &f->block, &r, msg, sizeof msg);
    if (rc) fail_msg("expected a valid block: %s", msg);
    assert_null(r.gov_after);
    ledger_block_result_free(&r);
    /* ledger_block_check frees its copy itself. */
    f->n = 0;
    add_gov_event(f, K_OCEANIC, &a, NULL);
    build_default(f);
    expect_valid(f, NULL, NULL);
    gov_delete(gv);
}

static void governance_changes_take_effect_next_block(void **state)
{
    struct fx *f = *state;
    struct ledger_gov *gv = gov_new(f->g);
    f->bc.gov = gv;
    /* The key acme adds is no member key for this block's item events. */
    struct ledger_gov_action a = key_add_of(f->pk[K_STRANGER]);
    add_gov_event(f, K_ACME, &a, NULL);
    struct signed_ev *s = add_event(f, K_STRANGER, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL,
                                    NULL);
    build_default(f);
    char id[9], want[160];
    snprintf(want, sizeof want, "event 1 (%s, commission): commission: submitter key",
             short_id(s, id));
    expect_invalid(f, want);
    /* Governance events after it in the block see it: the same key twice is refused. */
    f->n = 0;
    struct signed_ev *g1 = add_gov_event(f, K_ACME, &a, NULL);
    struct signed_ev *g2 = add_gov_event(f, K_OCEANIC, &a, g1->ev.id);
    build_default(f);
    snprintf(want, sizeof want, "event 1 (%s, key_add): key_add: key ", short_id(g2, id));
    expect_invalid(f, want);
    expect_invalid(f, "(rule gov_key_new)");
    gov_delete(gv);
}

static void revoked_key_refused_in_a_block(void **state)
{
    struct fx *f = *state;
    struct ledger_gov *gv = gov_new(f->g);
    /* Block 1: acme adds a second key and revokes its first. */
    struct ledger_gov_action a = key_add_of(f->pk[K_STRANGER]);
    struct signed_ev *g1 = add_gov_event(f, K_ACME, &a, NULL);
    struct ledger_gov_action r;
    memset(&r, 0, sizeof r);
    r.action = LEDGER_KEY_REVOKE;
    r.reason = LEDGER_REVOKE_RETIRED;
    memcpy(r.key, f->pk[K_ACME], WB_PUBKEY_LEN);
    add_gov_event(f, K_ACME, &r, g1->ev.id);
    build_default(f);
    f->bc.gov = gv;
    struct ledger_block_result res;
    char msg[512] = "";
    int rc = ledger_block_check_full(&f->bc, &f->block, &res, msg, sizeof msg);
    if (rc) fail_msg("expected a valid block: %s", msg);
    assert_non_null(res.gov_after);
    /* Block 2 under the state after block 1. */
    f->bc.gov = res.gov_after;
    f->bc.genesis = &res.gov_after->view;
    f->bc.height = 2;
    uint8_t h1[WB_HASH_LEN];
    memcpy(h1, f->block.hash, WB_HASH_LEN);
    memcpy(f->bc.prev_hash, h1, WB_HASH_LEN);
    f->bc.prev_time_ms = GENESIS_MS + 1000;
    f->bc.now_ms = GENESIS_MS + 2000;
    f->n = 0;
    f->event_time_ms = GENESIS_MS + 1500;
    struct signed_ev *s = add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    build(f, 2, GENESIS_MS + 2000, h1, NULL, 0);
    char id[9], want[200];
    snprintf(want, sizeof want, "event 0 (%s, commission): key ", short_id(s, id));
    expect_invalid(f, want);
    expect_invalid(f, "of 'acme' was revoked as retired at height 1");
    /* The new key signs. */
    f->n = 0;
    add_event(f, K_STRANGER, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    build(f, 2, GENESIS_MS + 2000, h1, NULL, 0);
    expect_valid(f, NULL, NULL);
    f->bc.genesis = f->g;
    ledger_block_result_free(&res);
    gov_delete(gv);
}

static void governance_event_without_state_invalid(void **state)
{
    struct fx *f = *state;
    struct ledger_gov_action a = key_add_of(f->pk[K_STRANGER]);
    struct signed_ev *s = add_gov_event(f, K_ACME, &a, NULL);
    build_default(f);
    char id[9], want[160];
    snprintf(want, sizeof want, "event 0 (%s, key_add): governance events need",
             short_id(s, id));
    expect_invalid(f, want);
}

static void chain_block_events_max(void **state)
{
    struct fx *f = *state;
    add_event(f, K_ACME, ITEM_A, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    add_event(f, K_ACME, ITEM_B, LEDGER_COMMISSION, "NLRTM", NULL, NULL);
    build_default(f);
    f->g->block_events_max = 2;
    expect_valid(f, NULL, NULL);
    f->g->block_events_max = 1;
    expect_invalid(f, "block carries 2 events, the chain's limit is 1 (block_events_max)");
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(valid_block_gives_states),
        T(empty_block_valid),
        T(header_fields_checked),
        T(duplicate_event_invalid),
        T(invalid_event_in_middle_named),
        T(item_chain_inside_one_block),
        T(full_check_gives_ids_and_items),
        T(committed_state_from_lookup),
        T(sig_known_skips_signature_check),
        T(unknown_submitter_invalid),
        T(event_times_judged_against_block_time),
        T(version_2_header_commits_to_the_item_states),
        T(header_version_must_be_the_chains),
        T(new_items_register_after_the_item_count),
        T(governance_block_gives_gov_after),
        T(governance_changes_take_effect_next_block),
        T(revoked_key_refused_in_a_block),
        T(governance_event_without_state_invalid),
        T(chain_block_events_max),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
