/* Unit tests of store_append_checked: it writes exactly the records
 * store_append writes, and refuses ids, state indices and blocks that do not
 * agree with the states, the head of the chain or the stored state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/hex.h"
#include "common/log.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/store_lmdb_internal.h"
#include "tests/unit/storage_support.h"

#define SAME_BLOCKS 12
#define SAME_EVENTS 40
#define SAME_ITEMS 30
#define REFUSE_ITEMS 3

struct fx {
    char dir_a[64], dir_b[64];
    struct tc_chain c;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || tc_tmpdir(f->dir_a) != 0 || tc_tmpdir(f->dir_b) != 0) return -1;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    tc_chain_free(&f->c);
    tc_rmtree(f->dir_a);
    tc_rmtree(f->dir_b);
    free(f);
    return 0;
}

/* What the node does before store_append_checked: ledger_block_check_full of
 * tb over the store's committed state (the state before tb). */
static void check_over_store(struct store *s, const struct tc_chain *c, const struct tc_block *tb,
                             struct ledger_block_result *r)
{
    uint64_t last;
    uint8_t last_hash[WB_HASH_LEN];
    int64_t last_time;
    CHECK_OK(store_last(s, &last, last_hash, &last_time));
    struct ledger_block_ctx bc;
    memset(&bc, 0, sizeof bc);
    bc.genesis = c->g;
    bc.height = last + 1;
    memcpy(bc.prev_hash, last_hash, WB_HASH_LEN);
    bc.prev_time_ms = last ? last_time : c->g->genesis_time_ms;
    bc.now_ms = tb->b.header.time_ms;
    bc.drift_max_ms = 1000;
    bc.events_max = TC_EVENTS_MAX;
    bc.lookup = store_state_lookup;
    bc.sig_known = tc_sig_known_all;
    bc.ctx = s;
    CHECK_OK(store_item_count(s, &bc.item_count));
    char msg[512] = "";
    int rc = ledger_block_check_full(&bc, &tb->b, r, msg, sizeof msg);
    if (rc)
        fail_msg("ledger_block_check_full of height %" PRIu64 " over the store: %s: %s",
                 tb->b.header.height, wb_strerror(rc), msg);
    /* The result agrees with what the test chain knows of the block. */
    assert_int_equal(r->event_count, tb->n_events);
    assert_int_equal(r->state_count, tb->n_states);
    for (size_t k = 0; k < r->state_count; k++)
        if (!tc_states_equal(&r->states[k], &tb->states[k]))
            fail_msg("height %" PRIu64 ": state %zu of the check differs from the chain's",
                     tb->b.header.height, k);
    for (size_t i = 0; i < r->event_count; i++) {
        if (memcmp(r->ids[i], tb->ids[i], WB_HASH_LEN) != 0)
            fail_msg("height %" PRIu64 ": id of event %zu differs", tb->b.header.height, i);
        char name[WB_ITEM_MAX + 1];
        tc_item_name(tb->items[i], name);
        if (r->state_of[i] >= r->state_count ||
            strcmp(r->states[r->state_of[i]].item, name) != 0)
            fail_msg("height %" PRIu64 ": event %zu is of item %s, the check says state %u",
                     tb->b.header.height, i, name, (unsigned)r->state_of[i]);
    }
}

/* Every key and value of every database of the two stores, in order. */
static void expect_same_records(struct store *a, struct store *b)
{
    static const char *const names[STORE__DB_COUNT] = {
        "blocks", "certs", "block_index", "event_log", "event_ids", "items", "evidence", "meta"};
    MDB_txn *ta, *tb;
    CHECK_OK(store__read_begin(a, &ta));
    CHECK_OK(store__read_begin(b, &tb));
    for (int d = 0; d < STORE__DB_COUNT; d++) {
        MDB_cursor *ca, *cb;
        assert_int_equal(mdb_cursor_open(ta, a->dbi[d], &ca), 0);
        assert_int_equal(mdb_cursor_open(tb, b->dbi[d], &cb), 0);
        MDB_val ka, va, kb, vb;
        size_t n = 0;
        int ra = mdb_cursor_get(ca, &ka, &va, MDB_FIRST);
        int rb = mdb_cursor_get(cb, &kb, &vb, MDB_FIRST);
        while (ra == 0 && rb == 0) {
            if (ka.mv_size != kb.mv_size || memcmp(ka.mv_data, kb.mv_data, ka.mv_size) != 0)
                fail_msg("database %s: record %zu has another key", names[d], n);
            if (va.mv_size != vb.mv_size || memcmp(va.mv_data, vb.mv_data, va.mv_size) != 0)
                fail_msg("database %s: record %zu has another value", names[d], n);
            n++;
            ra = mdb_cursor_get(ca, &ka, &va, MDB_NEXT);
            rb = mdb_cursor_get(cb, &kb, &vb, MDB_NEXT);
        }
        if (ra != MDB_NOTFOUND || rb != MDB_NOTFOUND)
            fail_msg("database %s: one store has more records after %zu (%s / %s)", names[d],
                     n, ra ? "end" : "more", rb ? "end" : "more");
        if (d != STORE__DB_EVIDENCE && n == 0)
            fail_msg("database %s: empty in both, the test wrote nothing there", names[d]);
        mdb_cursor_close(ca);
        mdb_cursor_close(cb);
    }
    store__read_end(a, ta);
    store__read_end(b, tb);
}

/* The same chain appended with store_append into one store and with
 * store_append_checked (over the result of checking each block against the
 * store) into another: the two hold the same records, byte for byte. */
static void checked_append_stores_the_same_records(void **state)
{
    struct fx *f = *state;
    assert_int_equal(tc_chain_init(&f->c, SAME_ITEMS), 0);
    struct store_options opt;
    store_options_init(&opt);
    opt.no_sync = true;
    struct store *a, *b;
    CHECK_OK(store_open(f->dir_a, &opt, &a));
    CHECK_OK(store_open(f->dir_b, &opt, &b));
    CHECK_OK(store_bind_genesis(a, f->c.g->hash));
    CHECK_OK(store_bind_genesis(b, f->c.g->hash));
    for (uint64_t h = 1; h <= SAME_BLOCKS; h++) {
        struct tc_block tb;
        char msg[512];
        /* Sizes vary; one empty block; some blocks carry two events of an item. */
        size_t n = h == 5 ? 0 : (size_t)(h * 7) % SAME_EVENTS + 1;
        int rc = tc_build_block(&f->c, n, &tb, msg, sizeof msg);
        if (rc) fail_msg("building block %" PRIu64 ": %s: %s", h, wb_strerror(rc), msg);
        struct ledger_block_result r;
        check_over_store(b, &f->c, &tb, &r);
        CHECK_OK(store_append(a, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, tb.states,
                              tb.n_states));
        CHECK_OK(store_append_checked(b, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, &r));
        ledger_block_result_free(&r);
        tc_block_free(&tb);
    }
    expect_same_records(a, b);
    store_close(a);
    store_close(b);
}

/* What the store says, to show that a refused append changed nothing. */
struct snapshot {
    uint64_t last;
    uint8_t hash[WB_HASH_LEN];
    struct ledger_item_state states[REFUSE_ITEMS];
    int state_rc[REFUSE_ITEMS];
};

static void take_snapshot(struct store *s, struct snapshot *snap)
{
    memset(snap, 0, sizeof *snap);
    CHECK_OK(store_last(s, &snap->last, snap->hash, NULL));
    for (size_t i = 0; i < REFUSE_ITEMS; i++) {
        char name[WB_ITEM_MAX + 1];
        tc_item_name(i, name);
        snap->state_rc[i] = store_item_state(s, name, &snap->states[i]);
    }
}

/* store_append_checked of (tb's block, r) must give `want` and change nothing. */
static void expect_refused(struct store *s, const struct tc_block *tb,
                           const struct ledger_block_result *r, int want, const char *what)
{
    struct snapshot before, after;
    take_snapshot(s, &before);
    int rc = store_append_checked(s, &tb->b, tb->bytes, tb->len, tb->cert, tb->cert_len, r);
    if (rc != want)
        fail_msg("%s: store_append_checked gave %s, expected %s", what, wb_strerror(rc),
                 wb_strerror(want));
    take_snapshot(s, &after);
    if (after.last != before.last || memcmp(after.hash, before.hash, WB_HASH_LEN) != 0)
        fail_msg("%s: the last block moved from %" PRIu64 " to %" PRIu64, what, before.last,
                 after.last);
    for (size_t i = 0; i < REFUSE_ITEMS; i++)
        if (after.state_rc[i] != before.state_rc[i] ||
            (after.state_rc[i] == WB_OK && !tc_states_equal(&after.states[i], &before.states[i])))
            fail_msg("%s: the state of item %zu changed", what, i);
    uint8_t *got;
    size_t len;
    if (store_get_block(s, before.last + 1, &got, &len) != WB_ERR_NOT_FOUND)
        fail_msg("%s: a block got stored at height %" PRIu64, what, before.last + 1);
    for (size_t i = 0; r && i < r->event_count && i < tb->n_events; i++) {
        uint64_t h;
        uint32_t idx;
        if (store_event_location(s, r->ids[i], &h, &idx) == WB_OK && h > before.last)
            fail_msg("%s: given id %zu got indexed at height %" PRIu64, what, i, h);
    }
}

/* A private copy of r (arrays and all), to spoil one thing in. */
static void result_copy(const struct ledger_block_result *r, struct ledger_block_result *out)
{
    *out = *r;
    size_t ne = r->event_count ? r->event_count : 1, ns = r->state_count ? r->state_count : 1;
    out->ids = malloc(ne * sizeof *out->ids);
    out->state_of = malloc(ne * sizeof *out->state_of);
    out->states = malloc(ns * sizeof *out->states);
    assert_true(out->ids && out->state_of && out->states);
    memcpy(out->ids, r->ids, r->event_count * sizeof *out->ids);
    memcpy(out->state_of, r->state_of, r->event_count * sizeof *out->state_of);
    memcpy(out->states, r->states, r->state_count * sizeof *out->states);
}

/* The event index of the last event of state k's item. */
static size_t last_event_of(const struct ledger_block_result *r, uint32_t k)
{
    size_t last = SIZE_MAX;
    for (size_t i = 0; i < r->event_count; i++)
        if (r->state_of[i] == k) last = i;
    assert_true(last != SIZE_MAX);
    return last;
}

/* Given ids and state indices that disagree with the states, the chain or the
 * stored state are refused with the store unchanged; the true ones pass. */
static void checked_append_refuses_what_does_not_match(void **state)
{
    struct fx *f = *state;
    assert_int_equal(tc_chain_init(&f->c, REFUSE_ITEMS), 0);
    struct store *s;
    CHECK_OK(store_open(f->dir_a, NULL, &s));
    struct tc_block b1, b2, b3;
    char msg[512];
    /* 6 events over 3 items: every item has two events in each block. */
    CHECK_OK(tc_build_block(&f->c, 6, &b1, msg, sizeof msg));
    CHECK_OK(tc_build_block(&f->c, 6, &b2, msg, sizeof msg));
    CHECK_OK(tc_build_block(&f->c, 6, &b3, msg, sizeof msg));
    struct ledger_block_result r1, r2, bad;
    check_over_store(s, &f->c, &b1, &r1);

    expect_refused(s, &b1, NULL, WB_ERR_INVALID, "no result");

    result_copy(&r1, &bad);
    bad.event_count--;
    expect_refused(s, &b1, &bad, WB_ERR_INVALID, "one id fewer than events");
    ledger_block_result_free(&bad);

    result_copy(&r1, &bad);
    bad.ids[last_event_of(&bad, 1)][0] ^= 1;
    expect_refused(s, &b1, &bad, WB_ERR_INVALID, "the id of an item's head differs");
    ledger_block_result_free(&bad);

    result_copy(&r1, &bad);
    bad.state_of[0] = (uint32_t)bad.state_count;
    expect_refused(s, &b1, &bad, WB_ERR_INVALID, "a state index out of range");
    ledger_block_result_free(&bad);

    /* Both events of item 0 said to be item 1's: item 0 is untouched. */
    result_copy(&r1, &bad);
    for (size_t i = 0; i < bad.event_count; i++)
        if (bad.state_of[i] == 0) bad.state_of[i] = 1;
    expect_refused(s, &b1, &bad, WB_ERR_INVALID, "events moved to another item");
    ledger_block_result_free(&bad);

    /* Two events of one block given the same id (an earlier event's id for a
     * head's place would fail the head check; this one is not a head). */
    result_copy(&r1, &bad);
    size_t head0 = last_event_of(&bad, 0), other = SIZE_MAX;
    for (size_t i = 0; i < bad.event_count; i++)
        if (i != last_event_of(&bad, bad.state_of[i]) && i != head0) other = i;
    assert_true(other != SIZE_MAX);
    memcpy(bad.ids[other], bad.ids[head0], WB_HASH_LEN);
    expect_refused(s, &b1, &bad, WB_ERR_INVALID, "one id given for two events");
    ledger_block_result_free(&bad);

    /* A result for another block: block 2 with block 1's result, at height 1. */
    expect_refused(s, &b2, &r1, WB_ERR_INVALID, "block 2 as the first block");

    CHECK_OK(store_append_checked(s, &b1.b, b1.bytes, b1.len, b1.cert, b1.cert_len, &r1));
    check_over_store(s, &f->c, &b2, &r2);

    /* Block 1's result again for block 2: its ids are stored already and its
     * states do not follow the stored ones. */
    expect_refused(s, &b2, &r1, WB_ERR_INVALID, "the previous block's result");
    /* Block 1 again, with its own (true) result: not the next height. */
    expect_refused(s, &b1, &r1, WB_ERR_INVALID, "block 1 again");
    /* The certificate of another block. */
    struct tc_block b2_cert3 = b2;
    b2_cert3.cert = b3.cert;
    b2_cert3.cert_len = b3.cert_len;
    expect_refused(s, &b2_cert3, &r2, WB_ERR_INVALID, "certificate of block 3");
    /* A state's count that does not follow the stored count. */
    result_copy(&r2, &bad);
    bad.states[2].count += 2;
    expect_refused(s, &b2, &bad, WB_ERR_INVALID, "a count that skips the stored one");
    ledger_block_result_free(&bad);

    CHECK_OK(store_append_checked(s, &b2.b, b2.bytes, b2.len, b2.cert, b2.cert_len, &r2));
    uint64_t last;
    uint8_t last_hash[WB_HASH_LEN];
    CHECK_OK(store_last(s, &last, last_hash, NULL));
    assert_int_equal(last, 2);
    assert_memory_equal(last_hash, b2.b.hash, WB_HASH_LEN);
    for (size_t i = 0; i < r2.event_count; i++) {
        uint64_t h;
        uint32_t idx;
        CHECK_OK(store_event_location(s, r2.ids[i], &h, &idx));
        assert_int_equal(h, 2);
        assert_int_equal(idx, i);
    }
    ledger_block_result_free(&r1);
    ledger_block_result_free(&r2);
    tc_block_free(&b1);
    tc_block_free(&b2);
    tc_block_free(&b3);
    store_close(s);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    /* WB_TEST_LOG=warn shows why each refusal was refused. */
    const char *lv = getenv("WB_TEST_LOG");
    int level = lv ? wb_log_level_parse(lv) : -1;
    wb_log_set_level(level >= 0 ? (enum wb_log_level)level : WB_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(checked_append_stores_the_same_records, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(checked_append_refuses_what_does_not_match, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
