/* Unit tests of store_items_scan: pages in item id order that cover every
 * item once, each filter against the chain model, the per-call scan bound
 * with its cursor, and the edges (empty store, past the last item, bad
 * arguments). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/log.h"
#include "storage/store.h"
#include "tests/unit/storage_support.h"

#define N_ITEMS 60
#define N_BLOCKS 6
#define N_EVENTS 25

struct fx {
    char dir[64];
    struct tc_chain c;
    struct store *s;
};

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

static void fill(struct fx *f, size_t blocks)
{
    for (size_t k = 0; k < blocks; k++) {
        struct tc_block tb;
        char msg[512];
        int rc = tc_build_block(&f->c, N_EVENTS, &tb, msg, sizeof msg);
        if (rc) fail_msg("building a block: %s: %s", wb_strerror(rc), msg);
        CHECK_OK(store_append(f->s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, tb.states,
                              tb.n_states));
        tc_block_free(&tb);
    }
}

/* Walks every page of filter flt (limit, scan_max) and checks it against the
 * model: the same items, in order, each once, with the model's state. */
static void walk_and_compare(struct fx *f, const struct store_items_filter *flt, size_t limit,
                             size_t scan_max)
{
    struct ledger_item_state *page = calloc(limit, sizeof *page);
    assert_non_null(page);
    char after[WB_ITEM_MAX + 1] = "", next[WB_ITEM_MAX + 1];
    size_t want = 0, calls = 0;
    bool more = true;
    /* The model's items in id order are its indexes in order (fixed width). */
    size_t mi = 0;
    while (more) {
        size_t n;
        CHECK_OK(store_items_scan(f->s, flt, after, limit, scan_max, page, &n, &more, next));
        assert_true(n <= limit && n <= scan_max);
        if (more) assert_true(strcmp(next, after) > 0);
        for (size_t i = 0; i < n; i++) {
            while (mi < N_ITEMS &&
                   (f->c.model[mi].count == 0 ||
                    (flt && flt->custodian && strcmp(flt->custodian, f->c.model[mi].custodian)) ||
                    (flt && flt->held && !ledger_item_held(&f->c.model[mi])) ||
                    (flt && flt->by_status && f->c.model[mi].status != flt->status) ||
                    (flt && flt->location &&
                     strcmp(flt->location, f->c.model[mi].location))))
                mi++;
            if (mi == N_ITEMS) fail_msg("the scan gave %s, which the filter does not keep",
                                        page[i].item);
            const struct ledger_item_state *m = &f->c.model[mi];
            if (strcmp(page[i].item, m->item) != 0)
                fail_msg("expected %s next, got %s", m->item, page[i].item);
            assert_int_equal(page[i].count, m->count);
            assert_int_equal(page[i].last_height, m->last_height);
            assert_string_equal(page[i].custodian, m->custodian);
            assert_int_equal(page[i].customs, m->customs);
            assert_memory_equal(page[i].head, m->head, WB_HASH_LEN);
            mi++;
            want++;
        }
        snprintf(after, sizeof after, "%s", next);
        assert_true(++calls < 10 * N_ITEMS);
    }
    /* Nothing the filter keeps is left after the last page. */
    for (; mi < N_ITEMS; mi++) {
        const struct ledger_item_state *m = &f->c.model[mi];
        bool keep = m->count && !(flt && flt->custodian && strcmp(flt->custodian, m->custodian)) &&
                    !(flt && flt->held && !ledger_item_held(m)) &&
                    !(flt && flt->by_status && m->status != flt->status) &&
                    !(flt && flt->location && strcmp(flt->location, m->location));
        if (keep) fail_msg("item %s was never listed", m->item);
    }
    (void)want;
    free(page);
}

static void pages_cover_every_item_once_in_order(void **state)
{
    struct fx *f = *state;
    fill(f, N_BLOCKS);
    walk_and_compare(f, NULL, 7, STORE_ITEMS_SCAN_MAX);
    walk_and_compare(f, NULL, 1, STORE_ITEMS_SCAN_MAX);
    walk_and_compare(f, NULL, 1000, STORE_ITEMS_SCAN_MAX);
}

static void filters_keep_what_the_model_says(void **state)
{
    struct fx *f = *state;
    fill(f, N_BLOCKS);
    struct store_items_filter by_cust = {.custodian = f->c.model[0].custodian};
    walk_and_compare(f, &by_cust, 5, STORE_ITEMS_SCAN_MAX);
    struct store_items_filter held = {.held = true};
    walk_and_compare(f, &held, 5, STORE_ITEMS_SCAN_MAX);
    struct store_items_filter active = {.by_status = true, .status = LEDGER_ITEM_ACTIVE};
    walk_and_compare(f, &active, 5, STORE_ITEMS_SCAN_MAX);
    struct store_items_filter transfer = {.by_status = true, .status = LEDGER_ITEM_IN_TRANSFER};
    walk_and_compare(f, &transfer, 5, STORE_ITEMS_SCAN_MAX);
    struct store_items_filter at = {.location = f->c.model[1].location};
    walk_and_compare(f, &at, 5, STORE_ITEMS_SCAN_MAX);
    struct store_items_filter none = {.custodian = "nobody"};
    walk_and_compare(f, &none, 5, STORE_ITEMS_SCAN_MAX);
}

static void the_scan_bound_stops_early_with_a_cursor(void **state)
{
    struct fx *f = *state;
    fill(f, N_BLOCKS);
    /* No item matches: each call examines 4 states and hands back a cursor. */
    struct store_items_filter none = {.custodian = "nobody"};
    struct ledger_item_state page[10];
    char next[WB_ITEM_MAX + 1], want[WB_ITEM_MAX + 1];
    size_t n;
    bool more;
    CHECK_OK(store_items_scan(f->s, &none, NULL, 10, 4, page, &n, &more, next));
    assert_int_equal(n, 0);
    assert_true(more);
    tc_item_name(3, want);
    assert_string_equal(next, want);
    walk_and_compare(f, &none, 10, 4);
    walk_and_compare(f, NULL, 10, 3);
    struct store_items_filter by_cust = {.custodian = f->c.model[0].custodian};
    walk_and_compare(f, &by_cust, 10, 2);
}

static void edges(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state page[4];
    char next[WB_ITEM_MAX + 1];
    size_t n = 99;
    bool more = true;
    CHECK_OK(store_items_scan(f->s, NULL, NULL, 4, 10, page, &n, &more, next));
    assert_int_equal(n, 0);
    assert_false(more);
    assert_string_equal(next, "");
    fill(f, N_BLOCKS);
    char last[WB_ITEM_MAX + 1];
    tc_item_name(N_ITEMS - 1, last);
    CHECK_OK(store_items_scan(f->s, NULL, last, 4, 10, page, &n, &more, next));
    assert_int_equal(n, 0);
    assert_false(more);
    /* A cursor that is no stored id starts at the next one above it. */
    CHECK_OK(store_items_scan(f->s, NULL, "urn:waybill:test:item:000004x", 1, 10, page, &n,
                              &more, next));
    assert_int_equal(n, 1);
    tc_item_name(5, last);
    assert_string_equal(page[0].item, last);
    assert_true(more);
    assert_int_equal(store_items_scan(f->s, NULL, NULL, 0, 10, page, &n, &more, next),
                     WB_ERR_INVALID);
    assert_int_equal(store_items_scan(f->s, NULL, NULL, 4, 0, page, &n, &more, next),
                     WB_ERR_INVALID);
}

int main(void)
{
    wb_log_set_level(WB_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pages_cover_every_item_once_in_order, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(filters_keep_what_the_model_says, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(the_scan_bound_stops_early_with_a_cursor, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(edges, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
