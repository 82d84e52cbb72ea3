/* Unit tests of the chain check of both appends (layout 3 probes no id
 * index): every event's prev must be its item's head before it (the stored
 * head for the item's first event in the block, the item's previous event
 * in the block after that) and the first event of a new item has no prev.
 * A block that breaks this is refused, by store_append (which opens the
 * events) and by store_append_checked (which reads prev from the bytes),
 * leaving the store as it was; this is also what refuses an event already
 * stored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/log.h"
#include "storage/store.h"
#include "tests/unit/storage_support.h"

#define LINK_ITEMS 8
#define LINK_MAX_EVENTS 4

struct fx {
    char dir[64];
    struct tc_chain c;
    struct store *s;
    struct tc_block b1;           /* items 0, 0, 1, 1 */
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || tc_tmpdir(f->dir) != 0 || tc_chain_init(&f->c, LINK_ITEMS) != 0) return -1;
    if (store_open(f->dir, NULL, &f->s) != WB_OK) return -1;
    char msg[256];
    if (tc_build_block(&f->c, 4, &f->b1, msg, sizeof msg) != WB_OK) return -1;
    if (store_append(f->s, &f->b1.b, f->b1.bytes, f->b1.len, f->b1.cert, f->b1.cert_len,
                     f->b1.states, f->b1.n_states) != WB_OK)
        return -1;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->s);
    tc_block_free(&f->b1);
    tc_chain_free(&f->c);
    tc_rmtree(f->dir);
    free(f);
    return 0;
}

/* One event to put in a crafted block: item, and prev (NULL: none). Or, with
 * copy set, the SignedEvent bytes of a stored event as they are. */
struct link_event {
    size_t item;
    const uint8_t *prev;
    const uint8_t *copy;
    size_t copy_len;
};

/* Builds block c->height + 1 of the given events (signed by customs as
 * inspections; storage does not apply the rules) with states that pass
 * every state check: per item, the committed state (or a new one) counting
 * the block's events, head = its last event. The chain's model is not
 * changed. */
static void craft_block(struct tc_chain *c, const struct link_event *evs, size_t n,
                        struct tc_block *tb)
{
    assert_true(n >= 1 && n <= LINK_MAX_EVENTS);
    memset(tb, 0, sizeof *tb);
    const uint64_t height = c->height + 1;
    const int64_t time_ms = c->last_time_ms + 1000;
    uint8_t buf[LINK_MAX_EVENTS][WB_SIGNED_EVENT_MAX];
    const uint8_t *ptrs[LINK_MAX_EVENTS];
    size_t lens[LINK_MAX_EVENTS];
    tb->ids = calloc(n, sizeof *tb->ids);
    tb->items = calloc(n, sizeof *tb->items);
    tb->states = calloc(n, sizeof *tb->states);
    assert_non_null(tb->ids);
    assert_non_null(tb->items);
    assert_non_null(tb->states);
    tb->n_events = n;
    for (size_t j = 0; j < n; j++) {
        if (evs[j].copy) {
            memcpy(buf[j], evs[j].copy, evs[j].copy_len);
            lens[j] = evs[j].copy_len;
            const uint8_t *body;
            size_t body_len;
            uint8_t sig[WB_SIG_LEN];
            CHECK_OK(ledger_signed_event_split(buf[j], lens[j], &body, &body_len, sig));
            ledger_sha256(body, body_len, tb->ids[j]);
        } else {
            struct ledger_event ev;
            memset(&ev, 0, sizeof ev);
            tc_item_name(evs[j].item, ev.item);
            ev.action = LEDGER_INSPECT;
            ev.time_ms = c->last_time_ms + 1;
            ev.nonce = ++c->nonce;
            snprintf(ev.attrs[0].key, sizeof ev.attrs[0].key, "result");
            snprintf(ev.attrs[0].value, sizeof ev.attrs[0].value, "ok");
            ev.attr_count = 1;
            ev.has_prev = evs[j].prev != NULL;
            if (ev.has_prev) memcpy(ev.prev, evs[j].prev, WB_HASH_LEN);
            memcpy(ev.submitter, c->org_pk[TC_CUSTOMS], WB_PUBKEY_LEN);
            CHECK_OK(ledger_event_sign(c->g->chain_id, &ev, c->org_sk[TC_CUSTOMS], buf[j],
                                       sizeof buf[j], &lens[j]));
            memcpy(tb->ids[j], ev.id, WB_HASH_LEN);
        }
        ptrs[j] = buf[j];
        tb->items[j] = evs[j].item;
        /* The item's state in this block: found or added. */
        char name[WB_ITEM_MAX + 1];
        tc_item_name(evs[j].item, name);
        struct ledger_item_state *st = NULL;
        for (size_t k = 0; k < tb->n_states; k++)
            if (strcmp(tb->states[k].item, name) == 0) st = &tb->states[k];
        if (!st) {
            st = &tb->states[tb->n_states++];
            *st = c->model[evs[j].item];
            if (st->count == 0) {
                memset(st, 0, sizeof *st);
                snprintf(st->item, sizeof st->item, "%s", name);
                st->first_height = height;
            }
        }
        st->count++;
        st->last_height = height;
        memcpy(st->head, tb->ids[j], WB_HASH_LEN);
    }
    struct ledger_block_header h;
    memset(&h, 0, sizeof h);
    h.version = WB_BLOCK_VERSION;
    memcpy(h.chain_id, c->g->chain_id, WB_CHAIN_ID_LEN);
    h.height = height;
    h.time_ms = time_ms;
    memcpy(h.prev_hash, c->last_hash, WB_HASH_LEN);
    uint8_t hash[WB_HASH_LEN];
    CHECK_OK(ledger_block_build(&h, ptrs, lens, n, &tb->bytes, &tb->len, hash));
    CHECK_OK(ledger_block_decode(tb->bytes, tb->len, &tb->b));
    CHECK_OK(tc_cert(c, height, hash, &tb->cert, &tb->cert_len));
}

/* The result a checker would hand store_append_checked for tb. */
static void result_of(const struct tc_block *tb, struct ledger_block_result *r,
                      uint32_t state_of[LINK_MAX_EVENTS])
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

/* Both appends refuse tb and the store keeps height 1, the items' states
 * and no trace of tb's new events. */
static void expect_both_refuse(struct fx *f, struct tc_block *tb, const char *what)
{
    struct ledger_block_result r;
    uint32_t state_of[LINK_MAX_EVENTS];
    result_of(tb, &r, state_of);
    int rc = store_append(f->s, &tb->b, tb->bytes, tb->len, tb->cert, tb->cert_len,
                          tb->states, tb->n_states);
    if (rc != WB_ERR_INVALID) fail_msg("%s: store_append gave %s", what, wb_strerror(rc));
    rc = store_append_checked(f->s, &tb->b, tb->bytes, tb->len, tb->cert, tb->cert_len, &r);
    if (rc != WB_ERR_INVALID)
        fail_msg("%s: store_append_checked gave %s", what, wb_strerror(rc));
    uint64_t last;
    CHECK_OK(store_last(f->s, &last, NULL, NULL));
    assert_int_equal(last, 1);
    for (size_t k = 0; k < tb->n_states; k++) {
        struct ledger_item_state st;
        size_t it = tc_item_index(tb->states[k].item, LINK_ITEMS);
        rc = store_item_state(f->s, tb->states[k].item, &st);
        if (f->c.model[it].count == 0) {
            assert_int_equal(rc, WB_ERR_NOT_FOUND);
        } else {
            CHECK_OK(rc);
            assert_true(tc_states_equal(&st, &f->c.model[it]));
        }
    }
    for (size_t i = 0; i < tb->n_events; i++) {
        bool stored_before = false;
        for (size_t j = 0; j < f->b1.n_events; j++)
            if (memcmp(tb->ids[i], f->b1.ids[j], WB_HASH_LEN) == 0) stored_before = true;
        uint64_t h;
        uint32_t idx;
        rc = store_event_location(f->s, tb->ids[i], &h, &idx);
        if (stored_before) {
            CHECK_OK(rc);
            assert_int_equal(h, 1);
        } else {
            assert_int_equal(rc, WB_ERR_NOT_FOUND);
        }
    }
}

/* An event whose prev is an older event of its item, not its head; in the
 * block, a second event of an item naming the stored head instead of the
 * block's first event of the item. */
static void prev_not_the_head_is_refused(void **state)
{
    struct fx *f = *state;
    const uint8_t *item0_first = f->b1.ids[0], *item0_head = f->b1.ids[1];
    const uint8_t *item1_head = f->b1.ids[3];
    struct tc_block tb;
    struct link_event older[] = {{.item = 0, .prev = item0_first}};
    craft_block(&f->c, older, 1, &tb);
    expect_both_refuse(f, &tb, "prev is the item's first event, not its head");
    tc_block_free(&tb);

    struct link_event twice[] = {{.item = 1, .prev = item1_head}, {.item = 1, .prev = item1_head}};
    craft_block(&f->c, twice, 2, &tb);
    expect_both_refuse(f, &tb, "second event of the item names the stored head");
    tc_block_free(&tb);

    /* A prev that is no event at all. */
    uint8_t junk[WB_HASH_LEN];
    memset(junk, 0x5a, sizeof junk);
    struct link_event unknown[] = {{.item = 1, .prev = item1_head}, {.item = 0, .prev = junk}};
    craft_block(&f->c, unknown, 2, &tb);
    expect_both_refuse(f, &tb, "prev is no stored event");
    tc_block_free(&tb);

    /* The same shapes with the right prevs pass, through the checked
     * append (prev read from the bytes), and the histories follow. */
    struct link_event good[] = {{.item = 0, .prev = item0_head}, {.item = 1, .prev = item1_head}};
    craft_block(&f->c, good, 2, &tb);
    struct ledger_block_result r;
    uint32_t state_of[LINK_MAX_EVENTS];
    result_of(&tb, &r, state_of);
    CHECK_OK(store_append_checked(f->s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, &r));
    char name[WB_ITEM_MAX + 1];
    tc_item_name(0, name);
    struct store_event_ref *refs;
    size_t n;
    CHECK_OK(store_item_history(f->s, name, &refs, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(refs[0].id, item0_first, WB_HASH_LEN);
    assert_memory_equal(refs[1].id, item0_head, WB_HASH_LEN);
    assert_memory_equal(refs[2].id, tb.ids[0], WB_HASH_LEN);
    assert_int_equal(refs[2].height, 2);
    assert_int_equal(refs[2].index, 0);
    free(refs);
    tc_block_free(&tb);
}

/* The first event of an item the store has never seen names a prev. */
static void new_item_with_a_prev_is_refused(void **state)
{
    struct fx *f = *state;
    struct tc_block tb;
    struct link_event evs[] = {{.item = 5, .prev = f->b1.ids[1]}};
    craft_block(&f->c, evs, 1, &tb);
    expect_both_refuse(f, &tb, "new item whose first event has a prev");
    tc_block_free(&tb);

    /* Also after an event of another item that is right. */
    struct link_event two[] = {{.item = 0, .prev = f->b1.ids[1]}, {.item = 6, .prev = f->b1.ids[3]}};
    craft_block(&f->c, two, 2, &tb);
    expect_both_refuse(f, &tb, "second event: new item with a prev");
    tc_block_free(&tb);
}

/* An event without prev for an item the store holds (a second first event). */
static void stored_item_without_prev_is_refused(void **state)
{
    struct fx *f = *state;
    struct tc_block tb;
    struct link_event evs[] = {{.item = 1, .prev = NULL}};
    craft_block(&f->c, evs, 1, &tb);
    expect_both_refuse(f, &tb, "stored item, event without prev");
    tc_block_free(&tb);
}

/* Stored events again, byte for byte, in a new block: item 1's first event
 * (no prev, but the item has a head), item 0's head (its prev is no longer
 * the head), and the pair of item 0 in order. */
static void stored_events_again_are_refused(void **state)
{
    struct fx *f = *state;
    struct tc_block tb;
    const struct tc_block *b1 = &f->b1;
    struct link_event first[] = {{.item = 1, .copy = b1->b.events[2], .copy_len = b1->b.lens[2]}};
    craft_block(&f->c, first, 1, &tb);
    expect_both_refuse(f, &tb, "a stored first event again");
    tc_block_free(&tb);

    struct link_event head[] = {{.item = 0, .copy = b1->b.events[1], .copy_len = b1->b.lens[1]}};
    craft_block(&f->c, head, 1, &tb);
    expect_both_refuse(f, &tb, "a stored head again");
    tc_block_free(&tb);

    struct link_event pair[] = {{.item = 0, .copy = b1->b.events[0], .copy_len = b1->b.lens[0]},
                                {.item = 0, .copy = b1->b.events[1], .copy_len = b1->b.lens[1]}};
    craft_block(&f->c, pair, 2, &tb);
    expect_both_refuse(f, &tb, "an item's stored events again, in order");
    tc_block_free(&tb);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    /* WB_TEST_LOG=warn shows why each block was refused. */
    const char *lv = getenv("WB_TEST_LOG");
    int level = lv ? wb_log_level_parse(lv) : -1;
    wb_log_set_level(level >= 0 ? (enum wb_log_level)level : WB_LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(prev_not_the_head_is_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(new_item_with_a_prev_is_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(stored_item_without_prev_is_refused, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(stored_events_again_are_refused, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
