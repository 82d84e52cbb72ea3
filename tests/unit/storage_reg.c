/* Unit tests of the registration-order index (items_reg, layout 4): every
 * item the blocks register gets its entry, in the order of its first event;
 * store_item_count and the pager store_items_by_reg walk the items in that
 * order with their states; an append whose new items do not take exactly
 * the next indexes, in order, or that changes a stored item's index is
 * refused and leaves the store unchanged (through both appends); and a
 * damaged index (entries swapped, one missing, one naming no item) is
 * reported as corruption. */
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
#include "tests/unit/storage_support.h"

/* Blocks of 16 events touch 8 items (two events each): blocks 1 and 2
 * register items 0..7 and 8..15, block 3 registers 16..19 and then moves
 * 0..3 on (the cursor wraps), so it mixes new and stored items. */
#define N_ITEMS 20
#define N_EVENTS 16

struct fx {
    char dir[64];
    struct tc_chain c;
    struct store *s;
};

static struct store *open_store(const char *dir)
{
    struct store_options opt;
    store_options_init(&opt);
    opt.no_sync = true;
    struct store *s = NULL;
    CHECK_OK(store_open(dir, &opt, &s));
    return s;
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || tc_tmpdir(f->dir) != 0 || tc_chain_init(&f->c, N_ITEMS) != 0) return -1;
    struct store_options opt;
    store_options_init(&opt);
    opt.no_sync = true;
    if (store_open(f->dir, &opt, &f->s) != 0) return -1;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->s);
    tc_chain_free(&f->c);
    tc_rmtree(f->dir);
    free(f);
    return 0;
}

static void append_ok(struct store *s, const struct tc_block *tb)
{
    CHECK_OK(store_append(s, &tb->b, tb->bytes, tb->len, tb->cert, tb->cert_len, tb->states,
                          tb->n_states));
}

static void fill(struct fx *f, size_t blocks)
{
    for (size_t k = 0; k < blocks; k++) {
        struct tc_block tb;
        tc_build_block_ok(&f->c, N_EVENTS, &tb);
        append_ok(f->s, &tb);
        tc_block_free(&tb);
    }
}

/* The index of the state of item `i` in tb's states. */
static size_t state_of_item(const struct tc_block *tb, size_t i)
{
    char name[WB_ITEM_MAX + 1];
    tc_item_name(i, name);
    for (size_t k = 0; k < tb->n_states; k++)
        if (strcmp(tb->states[k].item, name) == 0) return k;
    fail_msg("block has no state for item %zu", i);
    return SIZE_MAX;
}

/* Walks the pager with pages of `limit` and checks it against the model:
 * item i is number i (the test chain registers them in id order), each
 * once, with the model's state; the walk ends at the count. */
static void walk_and_compare(struct fx *f, size_t limit)
{
    uint64_t count;
    CHECK_OK(store_item_count(f->s, &count));
    assert_int_equal(count, f->c.n_registered);
    struct ledger_item_state *page = calloc(limit, sizeof *page);
    assert_non_null(page);
    uint64_t from = 0;
    size_t n = limit, calls = 0;
    while (n == limit) {
        CHECK_OK(store_items_by_reg(f->s, from, limit, page, &n));
        assert_true(n <= limit);
        calls++;
        for (size_t k = 0; k < n; k++) {
            uint64_t i = from + k;
            assert_int_equal(page[k].reg_index, i);
            char name[WB_ITEM_MAX + 1];
            tc_item_name((size_t)i, name);
            assert_string_equal(page[k].item, name);
            if (!tc_states_equal(&page[k], &f->c.model[i]))
                fail_msg("item %" PRIu64 ": the pager's state differs from the model's", i);
        }
        from += n;
    }
    assert_int_equal(from, count);
    assert_int_equal(calls, count / limit + 1);
    free(page);
}

static void pages_walk_the_items_in_registration_order(void **state)
{
    struct fx *f = *state;
    uint64_t count = 99;
    CHECK_OK(store_item_count(f->s, &count));
    assert_int_equal(count, 0);
    fill(f, 1);
    walk_and_compare(f, 3);
    fill(f, 2);
    assert_int_equal(f->c.n_registered, N_ITEMS);
    walk_and_compare(f, 1);
    walk_and_compare(f, 7);
    walk_and_compare(f, N_ITEMS);
    walk_and_compare(f, STORE_REG_LIMIT_MAX);
    /* Later blocks move stored items on: the pager gives their new states,
     * their indexes unchanged. */
    fill(f, 3);
    assert_int_equal(f->c.n_registered, N_ITEMS);
    walk_and_compare(f, 6);
}

static void pager_edges(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state page[4];
    size_t n = 99;
    CHECK_OK(store_items_by_reg(f->s, 0, 4, page, &n));
    assert_int_equal(n, 0);
    fill(f, 1);
    n = 99;
    CHECK_OK(store_items_by_reg(f->s, 8, 4, page, &n));
    assert_int_equal(n, 0);
    CHECK_OK(store_items_by_reg(f->s, UINT64_MAX, 4, page, &n));
    assert_int_equal(n, 0);
    CHECK_OK(store_items_by_reg(f->s, 6, 4, page, &n));
    assert_int_equal(n, 2);
    assert_int_equal(page[0].reg_index, 6);
    assert_int_equal(page[1].reg_index, 7);
    CHECK_RC(store_items_by_reg(f->s, 0, 0, page, &n), WB_ERR_INVALID);
    CHECK_RC(store_items_by_reg(f->s, 0, STORE_REG_LIMIT_MAX + 1, page, &n), WB_ERR_INVALID);
    CHECK_RC(store_items_by_reg(f->s, 0, 4, NULL, &n), WB_ERR_INVALID);
    CHECK_RC(store_item_count(f->s, NULL), WB_ERR_INVALID);
}

/* The store after blocks 1 and 2 is as it was: height 2, 16 items. */
static void expect_unchanged(struct fx *f)
{
    uint64_t height, count;
    CHECK_OK(store_last(f->s, &height, NULL, NULL));
    assert_int_equal(height, 2);
    CHECK_OK(store_item_count(f->s, &count));
    assert_int_equal(count, 16);
    struct ledger_item_state page[N_ITEMS];
    size_t n;
    CHECK_OK(store_items_by_reg(f->s, 0, N_ITEMS, page, &n));
    assert_int_equal(n, 16);
    char name[WB_ITEM_MAX + 1];
    tc_item_name(16, name);
    struct ledger_item_state st;
    CHECK_RC(store_item_state(f->s, name, &st), WB_ERR_NOT_FOUND);
}

/* store_append of tb with state k's registration index set to `reg` is
 * refused, the store unchanged. */
static void refused_with(struct fx *f, struct tc_block *tb, size_t k, uint64_t reg)
{
    uint64_t keep = tb->states[k].reg_index;
    tb->states[k].reg_index = reg;
    CHECK_RC(store_append(f->s, &tb->b, tb->bytes, tb->len, tb->cert, tb->cert_len, tb->states,
                          tb->n_states),
             WB_ERR_INVALID);
    tb->states[k].reg_index = keep;
    expect_unchanged(f);
}

static void wrong_indexes_are_refused(void **state)
{
    struct fx *f = *state;
    fill(f, 2);
    struct tc_block tb;
    tc_build_block_ok(&f->c, N_EVENTS, &tb);
    /* Block 3 registers 16..19 (first), then moves 0..3. */
    size_t first_new = state_of_item(&tb, 16), last_new = state_of_item(&tb, 19);
    size_t old0 = state_of_item(&tb, 0), old3 = state_of_item(&tb, 3);
    assert_int_equal(tb.states[first_new].reg_index, 16);
    assert_int_equal(tb.states[last_new].reg_index, 19);
    assert_int_equal(tb.states[old0].reg_index, 0);
    /* A gap: the first new item skips index 16. */
    refused_with(f, &tb, first_new, 17);
    /* Past the end: the last new item skips 19. */
    refused_with(f, &tb, last_new, 20);
    /* A new item taking a stored item's index. */
    refused_with(f, &tb, first_new, 0);
    refused_with(f, &tb, last_new, 15);
    /* A stored item whose index changes, to another's or to a fresh one. */
    refused_with(f, &tb, old0, 1);
    refused_with(f, &tb, old3, 20);
    /* The new items out of the order of their first events: 16 and 17
     * swapped, the set of indexes still 16..19. */
    size_t second_new = state_of_item(&tb, 17);
    tb.states[first_new].reg_index = 17;
    tb.states[second_new].reg_index = 16;
    CHECK_RC(store_append(f->s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, tb.states,
                          tb.n_states),
             WB_ERR_INVALID);
    tb.states[first_new].reg_index = 16;
    tb.states[second_new].reg_index = 17;
    expect_unchanged(f);

    /* The block as checked goes in, and with it entries 16..19. */
    append_ok(f->s, &tb);
    tc_block_free(&tb);
    walk_and_compare(f, 5);
}

/* The ledger_block_result store_append_checked takes, from what the test
 * chain knows of tb (its states, ids and items); free with free_result. */
static void result_of(const struct tc_block *tb, struct ledger_block_result *r)
{
    memset(r, 0, sizeof *r);
    r->states = tb->states;
    r->state_count = tb->n_states;
    r->ids = tb->ids;
    r->event_count = tb->n_events;
    r->state_of = calloc(tb->n_events, sizeof r->state_of[0]);
    assert_non_null(r->state_of);
    for (size_t i = 0; i < tb->n_events; i++)
        r->state_of[i] = (uint32_t)state_of_item(tb, tb->items[i]);
}

static void wrong_indexes_are_refused_by_the_checked_append(void **state)
{
    struct fx *f = *state;
    fill(f, 2);
    struct tc_block tb;
    tc_build_block_ok(&f->c, N_EVENTS, &tb);
    struct ledger_block_result r;
    result_of(&tb, &r);
    size_t first_new = state_of_item(&tb, 16), old0 = state_of_item(&tb, 0);
    tb.states[first_new].reg_index = 17;
    CHECK_RC(store_append_checked(f->s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, &r),
             WB_ERR_INVALID);
    tb.states[first_new].reg_index = 16;
    expect_unchanged(f);
    tb.states[old0].reg_index = 16;
    CHECK_RC(store_append_checked(f->s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, &r),
             WB_ERR_INVALID);
    tb.states[old0].reg_index = 0;
    expect_unchanged(f);
    CHECK_OK(store_append_checked(f->s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, &r));
    free(r.state_of);
    tc_block_free(&tb);
    walk_and_compare(f, 4);
}

/* Raw LMDB access to items_reg of a closed store. */
struct raw {
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi reg;
};

static void raw_open(struct raw *r, const char *dir)
{
    assert_int_equal(mdb_env_create(&r->env), 0);
    assert_int_equal(mdb_env_set_maxdbs(r->env, 16), 0);
    assert_int_equal(mdb_env_open(r->env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(r->env, NULL, 0, &r->txn), 0);
    assert_int_equal(mdb_dbi_open(r->txn, "items_reg", 0, &r->reg), 0);
}

static void raw_commit(struct raw *r)
{
    assert_int_equal(mdb_txn_commit(r->txn), 0);
    mdb_env_close(r->env);
}

static void raw_put(struct raw *r, uint64_t index, const char *item)
{
    uint8_t key[STORE__REG_KEY_LEN];
    wb_put_u64be(key, index);
    MDB_val k = {.mv_size = sizeof key, .mv_data = key};
    MDB_val v = {.mv_size = strlen(item), .mv_data = (void *)item};
    assert_int_equal(mdb_put(r->txn, r->reg, &k, &v, 0), 0);
}

static void raw_del(struct raw *r, uint64_t index)
{
    uint8_t key[STORE__REG_KEY_LEN];
    wb_put_u64be(key, index);
    MDB_val k = {.mv_size = sizeof key, .mv_data = key};
    assert_int_equal(mdb_del(r->txn, r->reg, &k, NULL), 0);
}

/* A damaged index is corruption (WB_ERR_STORE), for the pager, the count
 * and an append that registers items. */
static void a_damaged_index_is_corruption(void **state)
{
    struct fx *f = *state;
    fill(f, 2);
    struct ledger_item_state page[N_ITEMS];
    size_t n;
    uint64_t count;
    char a[WB_ITEM_MAX + 1], b[WB_ITEM_MAX + 1];
    tc_item_name(0, a);
    tc_item_name(1, b);

    /* Entries 0 and 1 swapped: each names an item whose state says the
     * other index. The count still reads. */
    store_close(f->s);
    struct raw r;
    raw_open(&r, f->dir);
    raw_put(&r, 0, b);
    raw_put(&r, 1, a);
    raw_commit(&r);
    f->s = open_store(f->dir);
    CHECK_OK(store_item_count(f->s, &count));
    assert_int_equal(count, 16);
    CHECK_RC(store_items_by_reg(f->s, 0, 4, page, &n), WB_ERR_STORE);
    CHECK_RC(store_items_by_reg(f->s, 1, 1, page, &n), WB_ERR_STORE);
    CHECK_OK(store_items_by_reg(f->s, 2, 4, page, &n));
    assert_int_equal(n, 4);

    /* Repaired, then entry 5 missing: the count (15 entries, last key 15)
     * and the pager across it fail, and so does an append that registers
     * items (it cannot tell the next index). */
    store_close(f->s);
    raw_open(&r, f->dir);
    raw_put(&r, 0, a);
    raw_put(&r, 1, b);
    raw_del(&r, 5);
    raw_commit(&r);
    f->s = open_store(f->dir);
    CHECK_RC(store_item_count(f->s, &count), WB_ERR_STORE);
    CHECK_RC(store_items_by_reg(f->s, 0, 8, page, &n), WB_ERR_STORE);
    struct tc_block tb;
    tc_build_block_ok(&f->c, N_EVENTS, &tb);
    CHECK_RC(store_append(f->s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, tb.states,
                          tb.n_states),
             WB_ERR_STORE);

    /* Repaired, then an entry past the end naming an item without a state. */
    store_close(f->s);
    raw_open(&r, f->dir);
    char c5[WB_ITEM_MAX + 1];
    tc_item_name(5, c5);
    raw_put(&r, 5, c5);
    raw_put(&r, 16, "urn:waybill:test:never");
    raw_commit(&r);
    f->s = open_store(f->dir);
    CHECK_OK(store_item_count(f->s, &count));
    assert_int_equal(count, 17);
    CHECK_OK(store_items_by_reg(f->s, 0, 16, page, &n));
    assert_int_equal(n, 16);
    CHECK_RC(store_items_by_reg(f->s, 16, 1, page, &n), WB_ERR_STORE);
    tc_block_free(&tb);
}

int main(void)
{
    wb_log_set_level(WB_LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pages_walk_the_items_in_registration_order, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(pager_edges, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(wrong_indexes_are_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(wrong_indexes_are_refused_by_the_checked_append,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(a_damaged_index_is_corruption, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
