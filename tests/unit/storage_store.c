/* Unit tests of storage/store: bulk append and read back, refusals that leave
 * the store unchanged, map growth, genesis binding, safety record, evidence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "common/hex.h"
#include "common/log.h"
#include "storage/store.h"
#include "tests/unit/storage_support.h"

struct fx {
    char dir[64];
    struct tc_chain c;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || tc_tmpdir(f->dir) != 0) return -1;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    tc_chain_free(&f->c);
    tc_rmtree(f->dir);
    free(f);
    return 0;
}


static void append(struct store *s, const struct tc_block *tb)
{
    int rc = store_append(s, &tb->b, tb->bytes, tb->len, tb->cert, tb->cert_len, tb->states,
                          tb->n_states);
    if (rc)
        fail_msg("store_append of height %" PRIu64 ": %s", tb->b.header.height,
                 wb_strerror(rc));
}

/* ledger_block_check over the store (store_state_lookup) must give the
 * states the model gave. */
static void check_states_via_store(struct store *s, struct tc_chain *c_before,
                                   const struct tc_block *tb, int64_t prev_time_ms,
                                   const uint8_t prev_hash[WB_HASH_LEN])
{
    struct ledger_block_ctx bc;
    memset(&bc, 0, sizeof bc);
    bc.genesis = c_before->g;
    bc.height = tb->b.header.height;
    memcpy(bc.prev_hash, prev_hash, WB_HASH_LEN);
    bc.prev_time_ms = prev_time_ms;
    bc.now_ms = tb->b.header.time_ms;
    bc.drift_max_ms = 1000;
    bc.events_max = TC_EVENTS_MAX;
    bc.lookup = store_state_lookup;
    bc.sig_known = tc_sig_known_all;
    bc.ctx = s;
    CHECK_OK(store_item_count(s, &bc.item_count));
    struct ledger_item_state *states;
    size_t n;
    char msg[512] = "";
    int rc = ledger_block_check(&bc, &tb->b, &states, &n, msg, sizeof msg);
    if (rc) fail_msg("ledger_block_check over the store: %s: %s", wb_strerror(rc), msg);
    assert_int_equal(n, tb->n_states);
    for (size_t k = 0; k < n; k++)
        if (!tc_states_equal(&states[k], &tb->states[k]))
            fail_msg("height %" PRIu64 " state %zu (%s): computed over the store differs",
                     tb->b.header.height, k, states[k].item);
    free(states);
}

#define BULK_BLOCKS 100
#define BULK_EVENTS 100
#define BULK_ITEMS 500

/* 10,000 events in 100 blocks, read back by height, event id and item. */
static void bulk_append_and_read_back(void **state)
{
    struct fx *f = *state;
    assert_int_equal(tc_chain_init(&f->c, BULK_ITEMS), 0);
    struct store_options opt;
    store_options_init(&opt);
    opt.no_sync = true;
    struct store *s;
    CHECK_OK(store_open(f->dir, &opt, &s));
    CHECK_OK(store_bind_genesis(s, f->c.g->hash));

    uint8_t *blocks[BULK_BLOCKS + 1] = {0}, *certs[BULK_BLOCKS + 1] = {0};
    size_t block_lens[BULK_BLOCKS + 1], cert_lens[BULK_BLOCKS + 1];
    uint8_t hashes[BULK_BLOCKS + 1][WB_HASH_LEN];
    for (uint64_t h = 1; h <= BULK_BLOCKS; h++) {
        int64_t prev_time = f->c.last_time_ms;
        uint8_t prev_hash[WB_HASH_LEN];
        memcpy(prev_hash, f->c.last_hash, WB_HASH_LEN);
        struct tc_block tb;
        tc_build_block_ok(&f->c, BULK_EVENTS, &tb);
        if (h % 10 == 1) check_states_via_store(s, &f->c, &tb, prev_time, prev_hash);
        append(s, &tb);
        blocks[h] = tb.bytes;
        block_lens[h] = tb.len;
        certs[h] = tb.cert;
        cert_lens[h] = tb.cert_len;
        memcpy(hashes[h], tb.b.hash, WB_HASH_LEN);
        tb.bytes = NULL;
        tb.cert = NULL;
        tc_block_free(&tb);
    }
    store_close(s);
    CHECK_OK(store_open(f->dir, NULL, &s));
    CHECK_OK(store_bind_genesis(s, f->c.g->hash));

    uint64_t last;
    uint8_t last_hash[WB_HASH_LEN];
    int64_t last_time;
    CHECK_OK(store_last(s, &last, last_hash, &last_time));
    assert_int_equal(last, BULK_BLOCKS);
    assert_memory_equal(last_hash, f->c.last_hash, WB_HASH_LEN);
    assert_int_equal(last_time, f->c.last_time_ms);

    /* Expected history per item, in block order. */
    struct ref_list {
        size_t n;
        struct store_event_ref *refs;
    } *want = calloc(BULK_ITEMS, sizeof *want);
    assert_non_null(want);
    size_t events_seen = 0;
    for (uint64_t h = 1; h <= BULK_BLOCKS; h++) {
        uint8_t *got;
        size_t len;
        CHECK_OK(store_get_block(s, h, &got, &len));
        if (len != block_lens[h] || memcmp(got, blocks[h], len) != 0)
            fail_msg("block %" PRIu64 ": stored bytes differ from the appended ones", h);
        free(got);
        CHECK_OK(store_get_cert(s, h, &got, &len));
        if (len != cert_lens[h] || memcmp(got, certs[h], len) != 0)
            fail_msg("cert %" PRIu64 ": stored bytes differ from the appended ones", h);
        free(got);
        uint64_t hh;
        CHECK_OK(store_height_of_hash(s, hashes[h], &hh));
        assert_int_equal(hh, h);

        struct ledger_block b;
        CHECK_OK(ledger_block_decode(blocks[h], block_lens[h], &b));
        for (uint32_t i = 0; i < b.event_count; i++) {
            const uint8_t *body;
            size_t body_len;
            uint8_t sig[WB_SIG_LEN], id[WB_HASH_LEN];
            CHECK_OK(ledger_signed_event_split(b.events[i], b.lens[i], &body, &body_len, sig));
            ledger_sha256(body, body_len, id);
            uint64_t eh;
            uint32_t ei;
            CHECK_OK(store_event_location(s, id, &eh, &ei));
            if (eh != h || ei != i)
                fail_msg("event %u of block %" PRIu64 " located at %" PRIu64 "/%u", i, h, eh,
                         ei);
            uint8_t *ev;
            size_t ev_len;
            eh = 0;
            ei = 99999;
            CHECK_OK(store_get_event(s, id, &ev, &ev_len, &eh, &ei));
            if (ev_len != b.lens[i] || memcmp(ev, b.events[i], ev_len) != 0)
                fail_msg("event %u of block %" PRIu64 ": stored bytes differ", i, h);
            assert_int_equal(eh, h);
            assert_int_equal(ei, i);
            free(ev);

            struct ledger_event dec;
            char msg[256];
            CHECK_OK(ledger_signed_event_open(f->c.g->chain_id, b.events[i], b.lens[i], false,
                                              &dec, msg, sizeof msg));
            size_t item = tc_item_index(dec.item, BULK_ITEMS);
            assert_true(item != SIZE_MAX);
            struct ref_list *rl = &want[item];
            rl->refs = realloc(rl->refs, (rl->n + 1) * sizeof rl->refs[0]);
            assert_non_null(rl->refs);
            memcpy(rl->refs[rl->n].id, id, WB_HASH_LEN);
            rl->refs[rl->n].height = h;
            rl->refs[rl->n].index = i;
            rl->n++;
            events_seen++;
        }
        ledger_block_free(&b);
    }
    assert_int_equal(events_seen, BULK_BLOCKS * BULK_EVENTS);

    for (size_t item = 0; item < BULK_ITEMS; item++) {
        char name[WB_ITEM_MAX + 1];
        tc_item_name(item, name);
        struct ledger_item_state st;
        CHECK_OK(store_item_state(s, name, &st));
        if (st.count != want[item].n)
            fail_msg("item %s: stored count %u, blocks hold %zu events", name, st.count,
                     want[item].n);
        if (!tc_states_equal(&st, &f->c.model[item]))
            fail_msg("item %s: stored state differs from the model", name);
        assert_memory_equal(st.head, want[item].refs[want[item].n - 1].id, WB_HASH_LEN);
        struct store_event_ref *refs;
        size_t n;
        CHECK_OK(store_item_history(s, name, &refs, &n));
        assert_int_equal(n, want[item].n);
        for (size_t k = 0; k < n; k++) {
            if (memcmp(refs[k].id, want[item].refs[k].id, WB_HASH_LEN) != 0 ||
                refs[k].height != want[item].refs[k].height ||
                refs[k].index != want[item].refs[k].index)
                fail_msg("item %s history entry %zu: got %" PRIu64 "/%u, expected %" PRIu64
                         "/%u",
                         name, k, refs[k].height, refs[k].index, want[item].refs[k].height,
                         want[item].refs[k].index);
        }
        free(refs);
        free(want[item].refs);
    }
    free(want);

    /* Things never stored. */
    struct ledger_item_state st;
    struct store_event_ref *refs;
    size_t n;
    uint8_t *got;
    size_t len;
    uint64_t hh;
    uint32_t ii;
    uint8_t zero[WB_HASH_LEN] = {0};
    CHECK_RC(store_item_state(s, "urn:waybill:test:never", &st), WB_ERR_NOT_FOUND);
    CHECK_RC(store_item_history(s, "urn:waybill:test:never", &refs, &n), WB_ERR_NOT_FOUND);
    CHECK_RC(store_get_block(s, BULK_BLOCKS + 1, &got, &len), WB_ERR_NOT_FOUND);
    CHECK_RC(store_get_block(s, 0, &got, &len), WB_ERR_NOT_FOUND);
    CHECK_RC(store_get_cert(s, BULK_BLOCKS + 1, &got, &len), WB_ERR_NOT_FOUND);
    CHECK_RC(store_height_of_hash(s, zero, &hh), WB_ERR_NOT_FOUND);
    CHECK_RC(store_event_location(s, zero, &hh, &ii), WB_ERR_NOT_FOUND);
    CHECK_RC(store_get_event(s, zero, &got, &len, NULL, NULL), WB_ERR_NOT_FOUND);

    for (uint64_t h = 1; h <= BULK_BLOCKS; h++) {
        free(blocks[h]);
        free(certs[h]);
    }
    store_close(s);
}

/* Snapshot of what the store says, to show a refused append changed nothing. */
struct snapshot {
    uint64_t last;
    uint8_t hash[WB_HASH_LEN];
    struct ledger_item_state states[8];
    int state_rc[8];
};

static void take_snapshot(struct store *s, size_t n_items, struct snapshot *snap)
{
    memset(snap, 0, sizeof *snap);
    CHECK_OK(store_last(s, &snap->last, snap->hash, NULL));
    for (size_t i = 0; i < n_items; i++) {
        char name[WB_ITEM_MAX + 1];
        tc_item_name(i, name);
        snap->state_rc[i] = store_item_state(s, name, &snap->states[i]);
    }
}

static void expect_unchanged(struct store *s, size_t n_items, const struct snapshot *before,
                             const struct tc_block *refused, const char *what)
{
    struct snapshot now;
    take_snapshot(s, n_items, &now);
    if (now.last != before->last || memcmp(now.hash, before->hash, WB_HASH_LEN) != 0)
        fail_msg("%s: last block moved from %" PRIu64 " to %" PRIu64, what, before->last,
                 now.last);
    for (size_t i = 0; i < n_items; i++) {
        if (now.state_rc[i] != before->state_rc[i] ||
            (now.state_rc[i] == WB_OK && !tc_states_equal(&now.states[i], &before->states[i])))
            fail_msg("%s: state of item %zu changed", what, i);
    }
    uint8_t *got;
    size_t len;
    CHECK_RC(store_get_block(s, before->last + 1, &got, &len), WB_ERR_NOT_FOUND);
    CHECK_RC(store_get_cert(s, before->last + 1, &got, &len), WB_ERR_NOT_FOUND);
    uint64_t h;
    int hrc = store_height_of_hash(s, refused->b.hash, &h);
    if (hrc == WB_OK && h > before->last)
        fail_msg("%s: the refused block's hash got indexed at %" PRIu64, what, h);
    if (hrc != WB_OK && hrc != WB_ERR_NOT_FOUND)
        fail_msg("%s: block index lookup: %s", what, wb_strerror(hrc));
    for (size_t i = 0; i < refused->n_events; i++) {
        uint32_t idx;
        int rc = store_event_location(s, refused->ids[i], &h, &idx);
        /* An event the store already held keeps its old place. */
        if (rc == WB_OK && h > before->last)
            fail_msg("%s: event %zu of the refused block got indexed at %" PRIu64, what, i, h);
        if (rc != WB_OK && rc != WB_ERR_NOT_FOUND)
            fail_msg("%s: event lookup: %s", what, wb_strerror(rc));
    }
}

/* Appends a block and expects WB_ERR_INVALID with nothing changed. */
static void expect_refused(struct store *s, size_t n_items, const struct ledger_block *b,
                           const uint8_t *bytes, size_t len, const uint8_t *cert,
                           size_t cert_len, const struct ledger_item_state *states,
                           size_t n_states, const struct tc_block *ids_of, const char *what)
{
    struct snapshot before;
    take_snapshot(s, n_items, &before);
    int rc = store_append(s, b, bytes, len, cert, cert_len, states, n_states);
    if (rc != WB_ERR_INVALID)
        fail_msg("%s: store_append gave %s, expected %s", what, wb_strerror(rc),
                 wb_strerror(WB_ERR_INVALID));
    expect_unchanged(s, n_items, &before, ids_of, what);
}

/* A block at `height` over the events of tb, with prev hash `prev`. */
static void rebuild(struct tc_chain *c, const struct tc_block *tb, uint64_t height,
                    const uint8_t prev[WB_HASH_LEN], struct tc_block *out)
{
    memset(out, 0, sizeof *out);
    struct ledger_block_header h = tb->b.header;
    h.height = height;
    memcpy(h.prev_hash, prev, WB_HASH_LEN);
    uint8_t hash[WB_HASH_LEN];
    CHECK_OK(ledger_block_build(&h, tb->b.events, tb->b.lens, tb->b.event_count, &out->bytes,
                                &out->len, hash));
    CHECK_OK(ledger_block_decode(out->bytes, out->len, &out->b));
    CHECK_OK(tc_cert(c, height, hash, &out->cert, &out->cert_len));
    out->n_events = tb->n_events;
    out->ids = malloc(tb->n_events * sizeof *out->ids);
    assert_non_null(out->ids);
    memcpy(out->ids, tb->ids, tb->n_events * sizeof *out->ids);
}

/* Wrong height, wrong prev hash, a certificate of another block, states
 * that do not match, an event already stored: refused, store unchanged. */
static void append_refusals_leave_store_unchanged(void **state)
{
    struct fx *f = *state;
    const size_t n_items = 3;
    assert_int_equal(tc_chain_init(&f->c, n_items), 0);
    struct store *s;
    CHECK_OK(store_open(f->dir, NULL, &s));
    struct tc_block b1, b2, b3;
    tc_build_block_ok(&f->c, 6, &b1);
    tc_build_block_ok(&f->c, 6, &b2);
    tc_build_block_ok(&f->c, 5, &b3);
    append(s, &b1);

    expect_refused(s, n_items, &b3.b, b3.bytes, b3.len, b3.cert, b3.cert_len, b3.states,
                   b3.n_states, &b3, "height 3 after 1");
    expect_refused(s, n_items, &b1.b, b1.bytes, b1.len, b1.cert, b1.cert_len, b1.states,
                   b1.n_states, &b1, "height 1 again");

    uint8_t wrong_prev[WB_HASH_LEN];
    memset(wrong_prev, 0xab, sizeof wrong_prev);
    struct tc_block forged;
    rebuild(&f->c, &b2, 2, wrong_prev, &forged);
    expect_refused(s, n_items, &forged.b, forged.bytes, forged.len, forged.cert,
                   forged.cert_len, b2.states, b2.n_states, &forged, "wrong prev hash");
    expect_refused(s, n_items, &b2.b, b2.bytes, b2.len, forged.cert, forged.cert_len,
                   b2.states, b2.n_states, &b2, "certificate of another block at this height");
    tc_block_free(&forged);
    expect_refused(s, n_items, &b2.b, b2.bytes, b2.len, b3.cert, b3.cert_len, b2.states,
                   b2.n_states, &b2, "certificate of another height");
    const uint8_t junk[] = {0xff, 0xff, 0xff};
    expect_refused(s, n_items, &b2.b, b2.bytes, b2.len, junk, sizeof junk, b2.states,
                   b2.n_states, &b2, "certificate that does not decode");

    struct ledger_item_state bad[8];
    memcpy(bad, b2.states, b2.n_states * sizeof bad[0]);
    bad[0].count++;
    expect_refused(s, n_items, &b2.b, b2.bytes, b2.len, b2.cert, b2.cert_len, bad, b2.n_states,
                   &b2, "state count off by one");
    memcpy(bad, b2.states, b2.n_states * sizeof bad[0]);
    bad[1].head[0] ^= 1;
    expect_refused(s, n_items, &b2.b, b2.bytes, b2.len, b2.cert, b2.cert_len, bad, b2.n_states,
                   &b2, "state head not the last event");
    expect_refused(s, n_items, &b2.b, b2.bytes, b2.len, b2.cert, b2.cert_len, b2.states,
                   b2.n_states - 1, &b2, "a state missing");

    /* Block 1's events again at height 2, with states that would pass the
     * state checks: only the chain check can refuse it (the first event of
     * an item the store holds names no prev), inside the transaction. */
    struct tc_block again;
    rebuild(&f->c, &b1, 2, b1.b.hash, &again);
    struct ledger_item_state dup_states[8];
    memcpy(dup_states, b1.states, b1.n_states * sizeof dup_states[0]);
    for (size_t k = 0; k < b1.n_states; k++) {
        dup_states[k].count *= 2;
        dup_states[k].last_height = 2;
    }
    expect_refused(s, n_items, &again.b, again.bytes, again.len, again.cert, again.cert_len,
                   dup_states, b1.n_states, &again, "events already stored");
    tc_block_free(&again);

    append(s, &b2);
    append(s, &b3);
    /* An empty block (a proposer with nothing to propose) is a block too. */
    struct tc_block empty;
    tc_build_block_ok(&f->c, 0, &empty);
    append(s, &empty);
    uint64_t last, hh;
    uint8_t last_hash[WB_HASH_LEN];
    CHECK_OK(store_last(s, &last, last_hash, NULL));
    assert_int_equal(last, 4);
    assert_memory_equal(last_hash, empty.b.hash, WB_HASH_LEN);
    CHECK_OK(store_height_of_hash(s, empty.b.hash, &hh));
    assert_int_equal(hh, 4);
    tc_block_free(&empty);
    tc_block_free(&b1);
    tc_block_free(&b2);
    tc_block_free(&b3);
    store_close(s);
}

#define GROWTH_BLOCKS 60

/* A store opened with a 64 KiB map takes 60 blocks: MAP_FULL grows the map. */
static void map_grows_when_full(void **state)
{
    struct fx *f = *state;
    assert_int_equal(tc_chain_init(&f->c, 40), 0);
    struct store_options opt;
    store_options_init(&opt);
    opt.map_size_initial = 64 << 10;
    opt.no_sync = true;
    struct store *s;
    CHECK_OK(store_open(f->dir, &opt, &s));
    uint8_t hashes[GROWTH_BLOCKS + 11][WB_HASH_LEN];
    for (uint64_t h = 1; h <= GROWTH_BLOCKS; h++) {
        struct tc_block tb;
        tc_build_block_ok(&f->c, 24, &tb);
        append(s, &tb);
        memcpy(hashes[h], tb.b.hash, WB_HASH_LEN);
        tc_block_free(&tb);
    }
    store_close(s);

    char path[128];
    snprintf(path, sizeof path, "%s/data.mdb", f->dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    if (st.st_size <= (off_t)(64 << 10))
        fail_msg("data file is %lld bytes: the map never grew", (long long)st.st_size);

    /* Reopened with the same small initial size, the map fits the file. */
    CHECK_OK(store_open(f->dir, &opt, &s));
    for (uint64_t h = GROWTH_BLOCKS + 1; h <= GROWTH_BLOCKS + 10; h++) {
        struct tc_block tb;
        tc_build_block_ok(&f->c, 24, &tb);
        append(s, &tb);
        memcpy(hashes[h], tb.b.hash, WB_HASH_LEN);
        tc_block_free(&tb);
    }
    uint64_t last;
    CHECK_OK(store_last(s, &last, NULL, NULL));
    assert_int_equal(last, GROWTH_BLOCKS + 10);
    for (uint64_t h = 1; h <= last; h++) {
        uint64_t got;
        CHECK_OK(store_height_of_hash(s, hashes[h], &got));
        assert_int_equal(got, h);
    }
    for (size_t i = 0; i < f->c.n_items; i++) {
        char name[WB_ITEM_MAX + 1];
        tc_item_name(i, name);
        struct ledger_item_state is;
        CHECK_OK(store_item_state(s, name, &is));
        if (!tc_states_equal(&is, &f->c.model[i]))
            fail_msg("item %s: state after growth differs from the model", name);
    }
    store_close(s);

    /* A map that may not grow far enough refuses cleanly. */
    char dir2[64];
    assert_int_equal(tc_tmpdir(dir2), 0);
    struct tc_chain c2;
    assert_int_equal(tc_chain_init(&c2, 40), 0);
    opt.map_size_max = 128 << 10;
    CHECK_OK(store_open(dir2, &opt, &s));
    int rc = WB_OK;
    uint64_t appended = 0;
    for (int k = 0; k < 200 && rc == WB_OK; k++) {
        struct tc_block tb;
        tc_build_block_ok(&c2, 24, &tb);
        rc = store_append(s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, tb.states,
                          tb.n_states);
        if (rc == WB_OK) appended++;
        tc_block_free(&tb);
    }
    CHECK_RC(rc, WB_ERR_TOO_LARGE);
    CHECK_OK(store_last(s, &last, NULL, NULL));
    assert_int_equal(last, appended);
    store_close(s);
    tc_chain_free(&c2);
    tc_rmtree(dir2);
}

/* Reader threads checking snapshots while the writer appends and grows the map. */
#define READERS 2

struct reader {
    struct store *s;
    atomic_bool *stop;
    unsigned long reads;
    uint64_t max_seen;
    char error[256];
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    while (!atomic_load(r->stop)) {
        uint64_t h, hh;
        uint8_t hash[WB_HASH_LEN];
        int rc = store_last(r->s, &h, hash, NULL);
        if (rc) {
            snprintf(r->error, sizeof r->error, "store_last: %s", wb_strerror(rc));
            break;
        }
        if (h == 0) continue;
        uint8_t *blk;
        size_t len;
        rc = store_get_block(r->s, h, &blk, &len);
        if (rc) {
            snprintf(r->error, sizeof r->error, "block %" PRIu64 " (the last): %s", h,
                     wb_strerror(rc));
            break;
        }
        struct ledger_block b;
        rc = ledger_block_decode(blk, len, &b);
        free(blk);
        if (rc) {
            snprintf(r->error, sizeof r->error, "block %" PRIu64 " does not decode", h);
            break;
        }
        bool same = memcmp(b.hash, hash, WB_HASH_LEN) == 0;
        ledger_block_free(&b);
        if (!same) {
            snprintf(r->error, sizeof r->error, "block %" PRIu64 " is not the last block", h);
            break;
        }
        rc = store_height_of_hash(r->s, hash, &hh);
        if (rc || hh != h) {
            snprintf(r->error, sizeof r->error, "block index of %" PRIu64 ": %s", h,
                     wb_strerror(rc));
            break;
        }
        r->reads++;
        if (h > r->max_seen) r->max_seen = h;
    }
    return NULL;
}

static void concurrent_reads_during_growth(void **state)
{
    struct fx *f = *state;
    assert_int_equal(tc_chain_init(&f->c, 30), 0);
    struct store_options opt;
    store_options_init(&opt);
    opt.map_size_initial = 64 << 10;
    opt.no_sync = true;
    struct store *s;
    CHECK_OK(store_open(f->dir, &opt, &s));
    atomic_bool stop;
    atomic_init(&stop, false);
    struct reader readers[READERS];
    pthread_t threads[READERS];
    for (int k = 0; k < READERS; k++) {
        memset(&readers[k], 0, sizeof readers[k]);
        readers[k].s = s;
        readers[k].stop = &stop;
        assert_int_equal(pthread_create(&threads[k], NULL, reader_main, &readers[k]), 0);
    }
    for (int h = 1; h <= 40; h++) {
        struct tc_block tb;
        tc_build_block_ok(&f->c, 20, &tb);
        append(s, &tb);
        tc_block_free(&tb);
    }
    atomic_store(&stop, true);
    for (int k = 0; k < READERS; k++) pthread_join(threads[k], NULL);
    for (int k = 0; k < READERS; k++) {
        if (readers[k].error[0]) fail_msg("reader %d: %s", k, readers[k].error);
        print_message("reader %d: %lu consistent reads, up to height %" PRIu64 "\n", k,
                      readers[k].reads, readers[k].max_seen);
    }
    store_close(s);
}

static void genesis_binding(void **state)
{
    struct fx *f = *state;
    uint8_t a[WB_HASH_LEN], b[WB_HASH_LEN];
    memset(a, 0x11, sizeof a);
    memset(b, 0x22, sizeof b);
    struct store *s;
    CHECK_OK(store_open(f->dir, NULL, &s));
    CHECK_OK(store_bind_genesis(s, a));
    CHECK_OK(store_bind_genesis(s, a));
    CHECK_RC(store_bind_genesis(s, b), WB_ERR_CONFIG);
    store_close(s);
    CHECK_OK(store_open(f->dir, NULL, &s));
    CHECK_RC(store_bind_genesis(s, b), WB_ERR_CONFIG);
    CHECK_OK(store_bind_genesis(s, a));
    uint64_t last = 99;
    uint8_t hash[WB_HASH_LEN];
    int64_t t = 7;
    CHECK_OK(store_last(s, &last, hash, &t));
    assert_int_equal(last, 0);
    assert_int_equal(t, 0);
    store_close(s);
}

static void directory_is_exclusive(void **state)
{
    struct fx *f = *state;
    struct store *s, *s2 = NULL;
    CHECK_OK(store_open(f->dir, NULL, &s));
    CHECK_RC(store_open(f->dir, NULL, &s2), WB_ERR_BUSY);
    assert_null(s2);
    store_close(s);
    CHECK_OK(store_open(f->dir, NULL, &s2));
    store_close(s2);

    /* Missing parents are created. */
    char nested[128];
    snprintf(nested, sizeof nested, "%s/node0/data", f->dir);
    CHECK_OK(store_open(nested, NULL, &s));
    store_close(s);
    struct stat st;
    assert_int_equal(stat(nested, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
}

static void safety_record_and_evidence(void **state)
{
    struct fx *f = *state;
    struct store_options opt;
    store_options_init(&opt);
    opt.no_sync = true; /* the safety record is synced regardless */
    struct store *s;
    CHECK_OK(store_open(f->dir, &opt, &s));
    uint8_t *got;
    size_t len;
    CHECK_RC(store_safety_get(s, &got, &len), WB_ERR_NOT_FOUND);
    const uint8_t rec1[] = "height 5 round 0 prevote";
    uint8_t rec2[300];
    for (size_t i = 0; i < sizeof rec2; i++) rec2[i] = (uint8_t)(i * 7);
    CHECK_OK(store_safety_put(s, rec1, sizeof rec1));
    CHECK_OK(store_safety_get(s, &got, &len));
    assert_int_equal(len, sizeof rec1);
    assert_memory_equal(got, rec1, len);
    free(got);
    CHECK_OK(store_safety_put(s, rec2, sizeof rec2));
    CHECK_RC(store_safety_put(s, rec2, 0), WB_ERR_INVALID);
    uint8_t *big = calloc(1, STORE_SAFETY_MAX + 1);
    assert_non_null(big);
    CHECK_RC(store_safety_put(s, big, STORE_SAFETY_MAX + 1), WB_ERR_TOO_LARGE);
    free(big);

    uint64_t n = 99;
    CHECK_OK(store_evidence_count(s, &n));
    assert_int_equal(n, 0);
    const uint8_t ev1[] = "two votes", ev2[] = "two other votes";
    CHECK_OK(store_evidence_put(s, 5, 1, 2, 3, ev1, sizeof ev1));
    CHECK_OK(store_evidence_put(s, 5, 1, 2, 3, ev2, sizeof ev2));
    CHECK_OK(store_evidence_count(s, &n));
    assert_int_equal(n, 1);
    CHECK_OK(store_evidence_put(s, 5, 1, 2, 0, ev2, sizeof ev2));
    CHECK_OK(store_evidence_put(s, 5, 1, 1, 3, ev2, sizeof ev2));
    CHECK_OK(store_evidence_put(s, 6, 0, 2, 3, ev2, sizeof ev2));
    CHECK_RC(store_evidence_put(s, 6, 0, 2, 3, ev2, 0), WB_ERR_INVALID);
    store_close(s);

    CHECK_OK(store_open(f->dir, NULL, &s));
    CHECK_OK(store_safety_get(s, &got, &len));
    assert_int_equal(len, sizeof rec2);
    assert_memory_equal(got, rec2, len);
    free(got);
    CHECK_OK(store_evidence_count(s, &n));
    assert_int_equal(n, 4);
    store_close(s);
}

/* The last transaction id of the store in `dir` (the store must be closed). */
static size_t last_txnid(const char *dir)
{
    MDB_env *env;
    MDB_envinfo info;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
    assert_int_equal(mdb_env_info(env, &info), 0);
    mdb_env_close(env);
    return info.me_last_txnid;
}

/* store_release_pages is one more transaction that rewrites meta "last"
 * unchanged, so that the next append may reuse the pages the last one freed
 * (LMDB reuses a commit's freed pages only after a later commit). */
static void release_pages_is_one_transaction_that_changes_nothing(void **state)
{
    struct fx *f = *state;
    assert_int_equal(tc_chain_init(&f->c, 5), 0);
    struct store *s;
    CHECK_OK(store_open(f->dir, NULL, &s));
    CHECK_OK(store_bind_genesis(s, f->c.g->hash));
    struct tc_block b1, b2;
    tc_build_block_ok(&f->c, 5, &b1);
    tc_build_block_ok(&f->c, 5, &b2);
    CHECK_RC(store_release_pages(s), WB_ERR_NOT_FOUND); /* empty: nothing to rewrite */
    append(s, &b1);
    store_close(s);
    size_t before = last_txnid(f->dir);
    CHECK_OK(store_open(f->dir, NULL, &s));
    append(s, &b2);
    CHECK_OK(store_release_pages(s));
    uint64_t h;
    uint8_t hash[WB_HASH_LEN];
    int64_t t;
    CHECK_OK(store_last(s, &h, hash, &t));
    assert_int_equal(h, 2);
    assert_memory_equal(hash, b2.b.hash, WB_HASH_LEN);
    assert_true(t == b2.b.header.time_ms);
    store_close(s);
    size_t after = last_txnid(f->dir);
    if (after - before != 2)
        fail_msg("append and release made %zu transactions, expected 2",
                 after - before);
    tc_block_free(&b1);
    tc_block_free(&b2);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    /* WB_TEST_LOG=warn shows why each refusal was refused. */
    const char *lv = getenv("WB_TEST_LOG");
    int level = lv ? wb_log_level_parse(lv) : -1;
    wb_log_set_level(level >= 0 ? (enum wb_log_level)level : WB_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(bulk_append_and_read_back, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(append_refusals_leave_store_unchanged, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(map_grows_when_full, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(concurrent_reads_during_growth, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(genesis_binding, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(directory_is_exclusive, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(safety_record_and_evidence, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(release_pages_is_one_transaction_that_changes_nothing, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
