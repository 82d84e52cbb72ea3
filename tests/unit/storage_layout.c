/* Unit tests of the store's layout (4): the event log keyed by position and
 * appended at its end, the event id index by id epoch and 8-byte prefix (ids
 * sharing a prefix, epochs rolling over), items values that start with the
 * head's position, item histories through the log's chain, and the layout
 * record: a new store gets it, a store of layout 1, 2, 3 or of an unknown
 * layout is refused unchanged, an empty store without it takes it. (The
 * registration-order index of layout 4: storage_items.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <lmdb.h>

#include "common/bytes.h"
#include "common/log.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/store_lmdb_internal.h"
#include "storage/store_open_internal.h"
#include "tests/unit/storage_support.h"

#define LAYOUT_ITEMS 16
#define LAYOUT_BLOCKS 6
#define LAYOUT_EVENTS 12

struct fx {
    char dir[64];
    struct tc_chain c;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || tc_tmpdir(f->dir) != 0 || tc_chain_init(&f->c, LAYOUT_ITEMS) != 0) return -1;
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


/* The result a checker would hand store_append_checked for tb, with tb's
 * ids (the caller may have changed them) and state indices by item name. */
static void result_of(const struct tc_block *tb, struct ledger_block_result *r,
                      uint32_t *state_of)
{
    memset(r, 0, sizeof *r);
    r->states = tb->states;
    r->state_count = tb->n_states;
    r->ids = tb->ids;
    r->event_count = tb->n_events;
    r->state_of = state_of;
    for (size_t i = 0; i < tb->n_events; i++) {
        char name[WB_ITEM_MAX + 1];
        tc_item_name(tb->items[i], name);
        state_of[i] = UINT32_MAX;
        for (size_t k = 0; k < tb->n_states; k++)
            if (strcmp(tb->states[k].item, name) == 0) state_of[i] = (uint32_t)k;
        assert_true(state_of[i] != UINT32_MAX);
    }
}

/* Raw LMDB access to a closed store's files. */
struct raw {
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta;
};

static void raw_open(struct raw *r, const char *dir)
{
    assert_int_equal(mdb_env_create(&r->env), 0);
    assert_int_equal(mdb_env_set_maxdbs(r->env, 16), 0);
    assert_int_equal(mdb_env_open(r->env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(r->env, NULL, 0, &r->txn), 0);
    assert_int_equal(mdb_dbi_open(r->txn, "meta", 0, &r->meta), 0);
}

static void raw_commit(struct raw *r)
{
    assert_int_equal(mdb_txn_commit(r->txn), 0);
    mdb_env_close(r->env);
}

/* The layout record of a closed store: its value, or 0 when absent. */
static uint32_t raw_layout(const char *dir)
{
    struct raw r;
    raw_open(&r, dir);
    MDB_val k = {.mv_size = strlen(STORE__META_LAYOUT), .mv_data = STORE__META_LAYOUT}, v;
    int mrc = mdb_get(r.txn, r.meta, &k, &v);
    uint32_t layout = 0;
    if (mrc == 0) {
        assert_int_equal(v.mv_size, 4);
        layout = wb_get_u32be(v.mv_data);
    } else {
        assert_int_equal(mrc, MDB_NOTFOUND);
    }
    raw_commit(&r);
    return layout;
}

static void raw_set_layout(const char *dir, uint32_t layout)
{
    struct raw r;
    raw_open(&r, dir);
    MDB_val k = {.mv_size = strlen(STORE__META_LAYOUT), .mv_data = STORE__META_LAYOUT};
    if (layout == 0) {
        assert_int_equal(mdb_del(r.txn, r.meta, &k, NULL), 0);
    } else {
        uint8_t val[4];
        wb_put_u32be(val, layout);
        MDB_val v = {.mv_size = 4, .mv_data = val};
        assert_int_equal(mdb_put(r.txn, r.meta, &k, &v, 0), 0);
    }
    raw_commit(&r);
}

/* Whether a closed store has the database `name`. */
static bool raw_has_db(const char *dir, const char *name)
{
    struct raw r;
    raw_open(&r, dir);
    MDB_dbi dbi;
    int mrc = mdb_dbi_open(r.txn, name, 0, &dbi);
    if (mrc != MDB_NOTFOUND) assert_int_equal(mrc, 0);
    raw_commit(&r);
    return mrc == 0;
}

/* Removes the database `name` of a closed store (as a layout 3 store lacks
 * items_reg). */
static void raw_drop_db(const char *dir, const char *name)
{
    struct raw r;
    raw_open(&r, dir);
    MDB_dbi dbi;
    assert_int_equal(mdb_dbi_open(r.txn, name, 0, &dbi), 0);
    assert_int_equal(mdb_drop(r.txn, dbi, 1), 0);
    raw_commit(&r);
}

/* Appends LAYOUT_BLOCKS blocks through store_append; keeps copies of them. */
static void fill(struct fx *f, struct store *s, struct tc_block *tbs)
{
    for (int h = 0; h < LAYOUT_BLOCKS; h++) {
        tc_build_block_ok(&f->c, LAYOUT_EVENTS, &tbs[h]);
        CHECK_OK(store_append(s, &tbs[h].b, tbs[h].bytes, tbs[h].len, tbs[h].cert,
                              tbs[h].cert_len, tbs[h].states, tbs[h].n_states));
    }
}

/* The event log holds one record per event, keyed by (height, index) in
 * append order, naming the event's id and its item's previous event; the id
 * index holds one position per event. Every read path agrees with them. */
static void log_and_index_hold_every_event_in_order(void **state)
{
    struct fx *f = *state;
    struct store *s;
    CHECK_OK(store_open(f->dir, NULL, &s));
    struct tc_block tbs[LAYOUT_BLOCKS];
    fill(f, s, tbs);

    MDB_txn *txn;
    CHECK_OK(store__read_begin(s, &txn));
    MDB_cursor *cur;
    assert_int_equal(mdb_cursor_open(txn, s->dbi[STORE__DB_EVENT_LOG], &cur), 0);
    MDB_val k, v;
    size_t n = 0;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (int h = 0; h < LAYOUT_BLOCKS; h++)
        for (size_t i = 0; i < tbs[h].n_events; i++, n++) {
            assert_int_equal(mrc, 0);
            assert_int_equal(k.mv_size, STORE__POS_LEN);
            assert_int_equal(wb_get_u64be(k.mv_data), (uint64_t)h + 1);
            assert_int_equal(wb_get_u32be((const uint8_t *)k.mv_data + 8), i);
            assert_int_equal(v.mv_size, STORE__LOG_VAL_LEN);
            assert_memory_equal(v.mv_data, tbs[h].ids[i], WB_HASH_LEN);
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
    assert_int_equal(mrc, MDB_NOTFOUND);
    mdb_cursor_close(cur);
    MDB_stat st;
    assert_int_equal(mdb_stat(txn, s->dbi[STORE__DB_EVENT_IDS], &st), 0);
    assert_int_equal(st.ms_entries, n);
    store__read_end(s, txn);

    /* Event by id (location and bytes), block by height and by hash. */
    for (int h = 0; h < LAYOUT_BLOCKS; h++) {
        for (size_t i = 0; i < tbs[h].n_events; i++) {
            uint64_t height;
            uint32_t index;
            uint8_t *ev;
            size_t len;
            CHECK_OK(store_get_event(s, tbs[h].ids[i], &ev, &len, &height, &index));
            assert_int_equal(height, (uint64_t)h + 1);
            assert_int_equal(index, i);
            assert_int_equal(len, tbs[h].b.lens[i]);
            assert_memory_equal(ev, tbs[h].b.events[i], len);
            free(ev);
            /* By position, without and with the id. */
            CHECK_OK(store_get_event_at(s, (uint64_t)h + 1, (uint32_t)i, NULL, &ev, &len));
            assert_int_equal(len, tbs[h].b.lens[i]);
            assert_memory_equal(ev, tbs[h].b.events[i], len);
            free(ev);
            CHECK_OK(store_get_event_at(s, (uint64_t)h + 1, (uint32_t)i, tbs[h].ids[i], &ev,
                                        &len));
            assert_memory_equal(ev, tbs[h].b.events[i], len);
            free(ev);
            size_t other = (i + 1) % tbs[h].n_events;
            if (other != i)
                CHECK_RC(store_get_event_at(s, (uint64_t)h + 1, (uint32_t)i, tbs[h].ids[other],
                                            &ev, &len),
                         WB_ERR_NOT_FOUND);
        }
        uint8_t *none;
        size_t none_len;
        CHECK_RC(store_get_event_at(s, (uint64_t)h + 1, (uint32_t)tbs[h].n_events, NULL, &none,
                                    &none_len),
                 WB_ERR_NOT_FOUND);
        uint64_t height;
        CHECK_OK(store_height_of_hash(s, tbs[h].b.hash, &height));
        assert_int_equal(height, (uint64_t)h + 1);
        uint8_t *blk;
        size_t len;
        CHECK_OK(store_get_block(s, (uint64_t)h + 1, &blk, &len));
        assert_int_equal(len, tbs[h].len);
        assert_memory_equal(blk, tbs[h].bytes, len);
        free(blk);
    }
    uint8_t unknown[WB_HASH_LEN];
    memcpy(unknown, tbs[0].ids[0], WB_HASH_LEN);
    unknown[WB_HASH_LEN - 1] ^= 1; /* same prefix, another id */
    uint64_t height;
    uint32_t index;
    CHECK_RC(store_event_location(s, unknown, &height, &index), WB_ERR_NOT_FOUND);
    uint8_t *none;
    size_t none_len;
    CHECK_RC(store_get_event_at(s, LAYOUT_BLOCKS + 1, 0, NULL, &none, &none_len),
             WB_ERR_NOT_FOUND);

    /* Each item's history, commission first, is the model's events of it in
     * chain order, and its state is the model's. */
    for (size_t it = 0; it < LAYOUT_ITEMS; it++) {
        char name[WB_ITEM_MAX + 1];
        tc_item_name(it, name);
        struct store_event_ref *refs;
        size_t nrefs;
        int rc = store_item_history(s, name, &refs, &nrefs);
        if (f->c.model[it].count == 0) {
            assert_int_equal(rc, WB_ERR_NOT_FOUND);
            continue;
        }
        CHECK_OK(rc);
        size_t want = 0;
        for (int h = 0; h < LAYOUT_BLOCKS; h++)
            for (size_t i = 0; i < tbs[h].n_events; i++) {
                if (tbs[h].items[i] != it) continue;
                assert_true(want < nrefs);
                assert_memory_equal(refs[want].id, tbs[h].ids[i], WB_HASH_LEN);
                assert_int_equal(refs[want].height, (uint64_t)h + 1);
                assert_int_equal(refs[want].index, i);
                uint8_t *ev;
                size_t len;
                CHECK_OK(store_get_event_at(s, refs[want].height, refs[want].index,
                                            refs[want].id, &ev, &len));
                assert_memory_equal(ev, tbs[h].b.events[i], len);
                free(ev);
                want++;
            }
        assert_int_equal(nrefs, want);
        assert_int_equal(nrefs, f->c.model[it].count);
        free(refs);
        struct ledger_item_state got;
        CHECK_OK(store_item_state(s, name, &got));
        assert_true(tc_states_equal(&got, &f->c.model[it]));
    }
    store_close(s);
    for (int h = 0; h < LAYOUT_BLOCKS; h++) tc_block_free(&tbs[h]);
}

/* Two ids that share the index's 8-byte prefix (given to
 * store_append_checked, which takes the caller's ids) are both found, at
 * their own positions. A block that gives an id already stored for an
 * event is refused, leaving the store as it was: the next event of that
 * item names the event's true id as prev, not the one given. */
static void ids_sharing_a_prefix(void **state)
{
    struct fx *f = *state;
    struct store *s;
    CHECK_OK(store_open(f->dir, NULL, &s));
    struct tc_block tb;
    tc_build_block_ok(&f->c, 4, &tb); /* items i, i, j, j */
    struct ledger_block_result r;
    uint32_t state_of[4];
    result_of(&tb, &r, state_of);
    /* Event 3 (item j's head) gets event 0's prefix; its state names it. */
    memcpy(tb.ids[3], tb.ids[0], STORE__ID_PREFIX_LEN);
    memcpy(tb.states[state_of[3]].head, tb.ids[3], WB_HASH_LEN);
    CHECK_OK(store_append_checked(s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, &r));
    for (uint32_t i = 0; i < 4; i++) {
        uint64_t height;
        uint32_t index;
        CHECK_OK(store_event_location(s, tb.ids[i], &height, &index));
        assert_int_equal(height, 1);
        assert_int_equal(index, i);
    }
    char name[WB_ITEM_MAX + 1];
    tc_item_name(tb.items[2], name);
    struct store_event_ref *refs;
    size_t n;
    CHECK_OK(store_item_history(s, name, &refs, &n));
    assert_int_equal(n, 2);
    assert_memory_equal(refs[0].id, tb.ids[2], WB_HASH_LEN);
    assert_memory_equal(refs[1].id, tb.ids[3], WB_HASH_LEN);
    free(refs);

    /* The next block claims, for its first event, the id stored at (1, 2). */
    struct tc_block tb2;
    tc_build_block_ok(&f->c, 4, &tb2);
    memcpy(tb2.ids[0], tb.ids[2], WB_HASH_LEN);
    uint32_t state_of2[4];
    result_of(&tb2, &r, state_of2);
    CHECK_RC(store_append_checked(s, &tb2.b, tb2.bytes, tb2.len, tb2.cert, tb2.cert_len, &r),
             WB_ERR_INVALID);
    uint64_t last;
    CHECK_OK(store_last(s, &last, NULL, NULL));
    assert_int_equal(last, 1);
    store_close(s);
    tc_block_free(&tb);
    tc_block_free(&tb2);
}

/* A history whose chain in the log is cut is corruption, not a short answer. */
static void cut_chain_is_corruption(void **state)
{
    struct fx *f = *state;
    struct store *s;
    CHECK_OK(store_open(f->dir, NULL, &s));
    struct tc_block tbs[LAYOUT_BLOCKS];
    fill(f, s, tbs);
    store_close(s);
    /* Remove the log record of the first event of block 1 (item 0's first). */
    struct raw r;
    raw_open(&r, f->dir);
    MDB_dbi log;
    assert_int_equal(mdb_dbi_open(r.txn, "event_log", 0, &log), 0);
    uint8_t pos[STORE__POS_LEN];
    store__pos_put(pos, 1, 0);
    MDB_val k = {.mv_size = sizeof pos, .mv_data = pos};
    assert_int_equal(mdb_del(r.txn, log, &k, NULL), 0);
    raw_commit(&r);

    CHECK_OK(store_open(f->dir, NULL, &s));
    char name[WB_ITEM_MAX + 1];
    tc_item_name(tbs[0].items[0], name);
    struct store_event_ref *refs;
    size_t n;
    CHECK_RC(store_item_history(s, name, &refs, &n), WB_ERR_STORE);
    uint64_t height;
    uint32_t index;
    CHECK_RC(store_event_location(s, tbs[0].ids[0], &height, &index), WB_ERR_STORE);
    store_close(s);
    for (int h = 0; h < LAYOUT_BLOCKS; h++) tc_block_free(&tbs[h]);
}

/* A new store records layout 4; one with blocks and no layout record
 * (layout 1), one of layout 2 or 3 and one of an unknown layout are
 * refused, unchanged; an empty store without the record takes it. */
static void layout_record(void **state)
{
    struct fx *f = *state;
    struct store *s;
    CHECK_OK(store_open(f->dir, NULL, &s));
    store_close(s);
    assert_int_equal(raw_layout(f->dir), STORE__LAYOUT);

    /* An empty store from before the record: takes it. */
    raw_set_layout(f->dir, 0);
    CHECK_OK(store_open(f->dir, NULL, &s));
    struct tc_block tb;
    tc_build_block_ok(&f->c, 4, &tb);
    CHECK_OK(store_append(s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, tb.states,
                          tb.n_states));
    store_close(s);
    assert_int_equal(raw_layout(f->dir), STORE__LAYOUT);

    /* With a block and no record: layout 1, refused; the store unchanged. */
    raw_set_layout(f->dir, 0);
    CHECK_RC(store_open(f->dir, NULL, &s), WB_ERR_CONFIG);
    assert_int_equal(raw_layout(f->dir), 0);
    CHECK_RC(store_open(f->dir, NULL, &s), WB_ERR_CONFIG);

    raw_set_layout(f->dir, STORE__LAYOUT + 1);
    CHECK_RC(store_open(f->dir, NULL, &s), WB_ERR_CONFIG);
    assert_int_equal(raw_layout(f->dir), STORE__LAYOUT + 1);

    /* A store of layout 2 (items values without the head's position,
     * event_ids without epochs) is refused, unchanged. */
    assert_int_equal(STORE__LAYOUT, 4);
    raw_set_layout(f->dir, 2);
    CHECK_RC(store_open(f->dir, NULL, &s), WB_ERR_CONFIG);
    assert_int_equal(raw_layout(f->dir), 2);

    /* A store of layout 3 (no registration-order index) is refused,
     * unchanged: no items_reg is created in it. */
    assert_true(raw_has_db(f->dir, "items_reg"));
    raw_drop_db(f->dir, "items_reg");
    raw_set_layout(f->dir, 3);
    CHECK_RC(store_open(f->dir, NULL, &s), WB_ERR_CONFIG);
    assert_int_equal(raw_layout(f->dir), 3);
    assert_false(raw_has_db(f->dir, "items_reg"));

    /* Back at layout 4 it opens and holds the block. */
    raw_set_layout(f->dir, STORE__LAYOUT);
    CHECK_OK(store_open(f->dir, NULL, &s));
    uint64_t height;
    uint32_t index;
    CHECK_OK(store_event_location(s, tb.ids[3], &height, &index));
    assert_int_equal(height, 1);
    assert_int_equal(index, 3);
    store_close(s);
    tc_block_free(&tb);
}

/* The id epoch record of an open store: epoch and events in it. */
static void epoch_of(struct store *s, uint32_t *epoch, uint32_t *events)
{
    MDB_txn *txn;
    CHECK_OK(store__read_begin(s, &txn));
    MDB_val k = {.mv_size = strlen(STORE__META_ID_EPOCH), .mv_data = STORE__META_ID_EPOCH}, v;
    int mrc = mdb_get(txn, s->dbi[STORE__DB_META], &k, &v);
    if (mrc == MDB_NOTFOUND) {
        *epoch = *events = UINT32_MAX; /* no record */
    } else {
        assert_int_equal(mrc, 0);
        assert_int_equal(v.mv_size, STORE__ID_EPOCH_LEN);
        *epoch = wb_get_u32be(v.mv_data);
        *events = wb_get_u32be((const uint8_t *)v.mv_data + 4);
    }
    store__read_end(s, txn);
}

/* Every event_ids entry: its key names the epoch `want_epoch[height]` and
 * the first bytes of the id the event log holds at its position; one entry
 * per event. */
static void ids_in_epochs(struct store *s, const uint32_t *want_epoch, size_t want_entries)
{
    MDB_txn *txn;
    CHECK_OK(store__read_begin(s, &txn));
    MDB_cursor *cur;
    assert_int_equal(mdb_cursor_open(txn, s->dbi[STORE__DB_EVENT_IDS], &cur), 0);
    MDB_val k, v;
    size_t n = 0;
    uint32_t prev_epoch = 0;
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
        assert_int_equal(k.mv_size, STORE__ID_KEY_LEN);
        assert_int_equal(v.mv_size, STORE__POS_LEN);
        uint32_t epoch = wb_get_u32be(k.mv_data);
        uint64_t height = wb_get_u64be(v.mv_data);
        assert_int_equal(epoch, want_epoch[height]);
        assert_true(epoch >= prev_epoch); /* epochs are the key's first bytes */
        prev_epoch = epoch;
        MDB_val rec;
        CHECK_OK(store__get(txn, s->dbi[STORE__DB_EVENT_LOG], v.mv_data, STORE__POS_LEN, &rec,
                            "log"));
        assert_memory_equal((const uint8_t *)k.mv_data + 4, rec.mv_data, STORE__ID_PREFIX_LEN);
    }
    assert_int_equal(n, want_entries);
    mdb_cursor_close(cur);
    store__read_end(s, txn);
}

#define ROLL_EPOCH 10u
#define ROLL_BLOCKS 7

/* With epochs of 10 events: blocks of 4 events fill an epoch with two
 * blocks (8) and the third starts the next one (a block never spans two);
 * a block of 12, more than an epoch, gets one of its own; an empty block
 * changes nothing. Every event is found through the epochs, an unknown id
 * with a stored id's prefix is not, histories are whole; reopened with the
 * default size, the store reads the same and fills the current epoch on. */
static void id_epochs_roll_over(void **state)
{
    struct fx *f = *state;
    struct store *s;
    CHECK_OK(store__open_with(f->dir, NULL, ROLL_EPOCH, &s));
    uint32_t epoch, events;
    epoch_of(s, &epoch, &events);
    assert_int_equal(epoch, UINT32_MAX); /* none before the first event */

    static const size_t sizes[ROLL_BLOCKS] = {4, 4, 4, 0, 12, 2, 4};
    /* After each block: epoch and events in it. */
    static const uint32_t want_e[ROLL_BLOCKS] = {0, 0, 1, 1, 2, 3, 3};
    static const uint32_t want_n[ROLL_BLOCKS] = {4, 8, 4, 4, 12, 2, 6};
    uint32_t epoch_at[ROLL_BLOCKS + 2] = {0};
    struct tc_block tbs[ROLL_BLOCKS + 1];
    size_t total = 0;
    for (int h = 0; h < ROLL_BLOCKS; h++) {
        tc_build_block_ok(&f->c, sizes[h], &tbs[h]);
        CHECK_OK(store_append(s, &tbs[h].b, tbs[h].bytes, tbs[h].len, tbs[h].cert,
                              tbs[h].cert_len, tbs[h].states, tbs[h].n_states));
        epoch_of(s, &epoch, &events);
        assert_int_equal(epoch, want_e[h]);
        assert_int_equal(events, want_n[h]);
        epoch_at[h + 1] = want_e[h];
        total += sizes[h];
    }
    ids_in_epochs(s, epoch_at, total);

    uint8_t unknown[WB_HASH_LEN];
    memcpy(unknown, tbs[0].ids[1], WB_HASH_LEN);
    unknown[WB_HASH_LEN - 1] ^= 1; /* epoch 0's prefix, another id */
    for (int pass = 0; pass < 2; pass++) {
        for (int h = 0; h < ROLL_BLOCKS; h++)
            for (size_t i = 0; i < tbs[h].n_events; i++) {
                uint64_t height;
                uint32_t index;
                uint8_t *ev;
                size_t len;
                CHECK_OK(store_get_event(s, tbs[h].ids[i], &ev, &len, &height, &index));
                assert_int_equal(height, (uint64_t)h + 1);
                assert_int_equal(index, i);
                assert_memory_equal(ev, tbs[h].b.events[i], len);
                free(ev);
            }
        uint64_t height;
        uint32_t index;
        CHECK_RC(store_event_location(s, unknown, &height, &index), WB_ERR_NOT_FOUND);
        for (size_t it = 0; it < LAYOUT_ITEMS; it++) {
            char name[WB_ITEM_MAX + 1];
            tc_item_name(it, name);
            struct store_event_ref *refs;
            size_t n;
            int rc = store_item_history(s, name, &refs, &n);
            if (f->c.model[it].count == 0) {
                assert_int_equal(rc, WB_ERR_NOT_FOUND);
                continue;
            }
            CHECK_OK(rc);
            assert_int_equal(n, f->c.model[it].count);
            assert_memory_equal(refs[n - 1].id, f->c.model[it].head, WB_HASH_LEN);
            free(refs);
        }
        if (pass == 1) break;
        /* The epoch size is not on disk: reopened with the default, the
         * same answers, and the next block joins epoch 3. */
        store_close(s);
        CHECK_OK(store_open(f->dir, NULL, &s));
    }
    tc_build_block_ok(&f->c, 8, &tbs[ROLL_BLOCKS]);
    CHECK_OK(store_append(s, &tbs[ROLL_BLOCKS].b, tbs[ROLL_BLOCKS].bytes, tbs[ROLL_BLOCKS].len,
                          tbs[ROLL_BLOCKS].cert, tbs[ROLL_BLOCKS].cert_len,
                          tbs[ROLL_BLOCKS].states, tbs[ROLL_BLOCKS].n_states));
    epoch_of(s, &epoch, &events);
    assert_int_equal(epoch, 3);
    assert_int_equal(events, 14);
    epoch_at[ROLL_BLOCKS + 1] = 3;
    ids_in_epochs(s, epoch_at, total + 8);
    store_close(s);
    for (int h = 0; h <= ROLL_BLOCKS; h++) tc_block_free(&tbs[h]);
}

/* Each items value is the position of the item's head (where the event log
 * holds the state's head id) followed by the encoded state. */
static void items_value_starts_with_the_head_position(void **state)
{
    struct fx *f = *state;
    struct store *s;
    CHECK_OK(store_open(f->dir, NULL, &s));
    struct tc_block tbs[LAYOUT_BLOCKS];
    fill(f, s, tbs);
    MDB_txn *txn;
    CHECK_OK(store__read_begin(s, &txn));
    size_t seen = 0;
    for (size_t it = 0; it < LAYOUT_ITEMS; it++) {
        if (f->c.model[it].count == 0) continue;
        char name[WB_ITEM_MAX + 1];
        tc_item_name(it, name);
        MDB_val v;
        CHECK_OK(store__get(txn, s->dbi[STORE__DB_ITEMS], name, strlen(name), &v, "item"));
        assert_true(v.mv_size > STORE__ITEM_POS_LEN);
        const uint8_t *p = v.mv_data;
        uint8_t enc[1024];
        size_t len;
        CHECK_OK(ledger_item_state_encode(&f->c.model[it], enc, sizeof enc, &len));
        assert_int_equal(v.mv_size, STORE__ITEM_POS_LEN + len);
        assert_memory_equal(p + STORE__ITEM_POS_LEN, enc, len);
        uint64_t height;
        uint32_t index;
        CHECK_OK(store_event_location(s, f->c.model[it].head, &height, &index));
        assert_int_equal(wb_get_u64be(p), height);
        assert_int_equal(wb_get_u32be(p + 8), index);
        assert_int_equal(height, f->c.model[it].last_height);
        seen++;
    }
    assert_true(seen > 0);
    store__read_end(s, txn);
    store_close(s);
    for (int h = 0; h < LAYOUT_BLOCKS; h++) tc_block_free(&tbs[h]);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const char *lv = getenv("WB_TEST_LOG");
    int level = lv ? wb_log_level_parse(lv) : -1;
    wb_log_set_level(level >= 0 ? (enum wb_log_level)level : WB_LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(log_and_index_hold_every_event_in_order, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(ids_sharing_a_prefix, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(cut_chain_is_corruption, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(layout_record, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(id_epochs_roll_over, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(items_value_starts_with_the_head_position, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
