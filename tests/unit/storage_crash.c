/* Crash safety of storage/store: a child appends durable blocks until it is
 * SIGKILLed at a random point; the reopened store must hold whole blocks
 * only, with every index and item state agreeing with the blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "common/log.h"
#include "ledger/item_leaf.h"
#include "ledger/merkle.h"
#include "storage/store.h"
#include "tests/unit/storage_support.h"

#define CRASH_ROUNDS 3
#define CRASH_ITEMS 40
#define CRASH_BLOCKS_MAX 400
#define CRASH_DELAY_MAX_US 800

/* Block sizes vary so the kill lands in transactions of different shapes. */
static size_t crash_block_events(uint64_t height)
{
    return 8 + (size_t)(height % 13) * 3;
}

/* What the child reports on its pipe: 2h when it starts appending block h,
 * 2h + 1 once store_append(h) returned (so block h is durable). */
#define MSG_START(h) (2 * (h))
#define MSG_DONE(h) (2 * (h) + 1)

/* The child: appends blocks with durable commits, reporting each one, and
 * releases the pages after every other one. Never returns. */
static void crash_child(const char *dir, int fd)
{
    struct tc_chain c;
    if (tc_chain_init(&c, CRASH_ITEMS) != 0) _exit(10);
    struct store *s;
    if (store_open(dir, NULL, &s) != WB_OK) _exit(11);
    if (store_bind_genesis(s, c.g->hash) != WB_OK) _exit(12);
    for (uint64_t h = 1; h <= CRASH_BLOCKS_MAX; h++) {
        struct tc_block tb;
        char msg[256];
        if (tc_build_block(&c, crash_block_events(h), &tb, msg, sizeof msg) != WB_OK) _exit(13);
        uint64_t m = MSG_START(h);
        if (write(fd, &m, sizeof m) != (ssize_t)sizeof m) _exit(15);
        if (store_append(s, &tb.b, tb.bytes, tb.len, tb.cert, tb.cert_len, tb.states,
                         tb.n_states) != WB_OK)
            _exit(14);
        tc_block_free(&tb);
        m = MSG_DONE(h);
        if (write(fd, &m, sizeof m) != (ssize_t)sizeof m) _exit(15);
        /* As the node does after larger blocks: a transaction whose meta page
         * is not synced, which a kill may cut without losing block h. */
        if (h % 2 == 1 && store_release_pages(s) != WB_OK) _exit(16);
    }
    store_close(s);
    _exit(0);
}

/* Reads one report; 0 at end of stream. */
static uint64_t read_report(int fd)
{
    uint64_t h;
    size_t got = 0;
    while (got < sizeof h) {
        ssize_t r = read(fd, (uint8_t *)&h + got, sizeof h - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return 0;
        got += (size_t)r;
    }
    return h;
}

struct ref_list {
    size_t n, cap;
    struct store_event_ref *refs;
};

static void ref_push(struct ref_list *rl, const uint8_t id[WB_HASH_LEN], uint64_t h, uint32_t i)
{
    if (rl->n == rl->cap) {
        rl->cap = rl->cap ? 2 * rl->cap : 16;
        rl->refs = realloc(rl->refs, rl->cap * sizeof rl->refs[0]);
        assert_non_null(rl->refs);
    }
    memcpy(rl->refs[rl->n].id, id, WB_HASH_LEN);
    rl->refs[rl->n].height = h;
    rl->refs[rl->n].index = i;
    rl->n++;
}

/* Checks stored block h against the regenerated one and replays it into rep
 * (item states recomputed from the stored bytes alone). */
static void check_stored_block(struct store *s, const struct tc_block *tb, uint64_t h,
                               struct tc_chain *rep, struct ref_list *hist)
{
    uint8_t *got;
    size_t len;
    CHECK_OK(store_get_block(s, h, &got, &len));
    if (len != tb->len || memcmp(got, tb->bytes, len) != 0)
        fail_msg("block %" PRIu64 ": stored bytes differ from the block the child appended", h);
    uint8_t *cert;
    size_t cert_len;
    CHECK_OK(store_get_cert(s, h, &cert, &cert_len));
    if (cert_len != tb->cert_len || memcmp(cert, tb->cert, cert_len) != 0)
        fail_msg("cert %" PRIu64 ": stored bytes differ", h);
    free(cert);
    uint64_t hh;
    CHECK_OK(store_height_of_hash(s, tb->b.hash, &hh));
    assert_int_equal(hh, h);

    struct ledger_block b;
    CHECK_OK(ledger_block_decode(got, len, &b));
    struct ledger_block_ctx bc = tc_block_ctx(rep, b.header.time_ms);
    struct ledger_item_state *states;
    size_t n_states;
    char msg[512] = "";
    int rc = ledger_block_check(&bc, &b, &states, &n_states, msg, sizeof msg);
    if (rc) fail_msg("stored block %" PRIu64 " does not replay: %s", h, msg);
    for (size_t k = 0; k < n_states; k++) {
        struct ledger_item_state *m = &rep->model[tc_item_index(states[k].item, rep->n_items)];
        if (m->count == 0) rep->n_registered++;
        *m = states[k];
    }
    free(states);
    rep->height = h;
    memcpy(rep->last_hash, b.hash, WB_HASH_LEN);
    rep->last_time_ms = b.header.time_ms;

    for (uint32_t i = 0; i < b.event_count; i++) {
        struct ledger_event ev;
        CHECK_OK(ledger_signed_event_open(rep->g->chain_id, b.events[i], b.lens[i], false, &ev,
                                          msg, sizeof msg));
        uint64_t eh;
        uint32_t ei;
        CHECK_OK(store_event_location(s, ev.id, &eh, &ei));
        if (eh != h || ei != i)
            fail_msg("event %u of block %" PRIu64 " indexed at %" PRIu64 "/%u", i, h, eh, ei);
        uint8_t *evb;
        size_t evl;
        CHECK_OK(store_get_event(s, ev.id, &evb, &evl, NULL, NULL));
        if (evl != b.lens[i] || memcmp(evb, b.events[i], evl) != 0)
            fail_msg("event %u of block %" PRIu64 ": stored event bytes differ", i, h);
        free(evb);
        ref_push(&hist[tc_item_index(ev.item, rep->n_items)], ev.id, h, i);
    }
    ledger_block_free(&b);
    free(got);
}

/* Nothing of the block after the last one may be on disk. */
static void check_absent_block(struct store *s, const struct tc_block *tb, uint64_t h)
{
    uint8_t *got;
    size_t len;
    uint64_t hh;
    uint32_t ii;
    CHECK_RC(store_get_block(s, h, &got, &len), WB_ERR_NOT_FOUND);
    CHECK_RC(store_get_cert(s, h, &got, &len), WB_ERR_NOT_FOUND);
    CHECK_RC(store_height_of_hash(s, tb->b.hash, &hh), WB_ERR_NOT_FOUND);
    for (size_t i = 0; i < tb->n_events; i++) {
        int rc = store_event_location(s, tb->ids[i], &hh, &ii);
        if (rc != WB_ERR_NOT_FOUND)
            fail_msg("event %zu of unwritten block %" PRIu64 ": lookup gave %s", i, h,
                     wb_strerror(rc));
    }
}

/* Item states and histories in the store equal those replayed from the blocks. */
static void check_items(struct store *s, const struct tc_chain *rep, struct ref_list *hist)
{
    for (size_t i = 0; i < rep->n_items; i++) {
        char name[WB_ITEM_MAX + 1];
        tc_item_name(i, name);
        struct ledger_item_state st;
        struct store_event_ref *refs;
        size_t n;
        if (rep->model[i].count == 0) {
            CHECK_RC(store_item_state(s, name, &st), WB_ERR_NOT_FOUND);
            CHECK_RC(store_item_history(s, name, &refs, &n), WB_ERR_NOT_FOUND);
            continue;
        }
        CHECK_OK(store_item_state(s, name, &st));
        if (!tc_states_equal(&st, &rep->model[i]))
            fail_msg("item %s: stored state (count %u) differs from the replayed one "
                     "(count %u)",
                     name, st.count, rep->model[i].count);
        CHECK_OK(store_item_history(s, name, &refs, &n));
        if (n != hist[i].n)
            fail_msg("item %s: history has %zu events, blocks hold %zu", name, n, hist[i].n);
        for (size_t k = 0; k < n; k++)
            if (memcmp(refs[k].id, hist[i].refs[k].id, WB_HASH_LEN) != 0 ||
                refs[k].height != hist[i].refs[k].height ||
                refs[k].index != hist[i].refs[k].index)
                fail_msg("item %s: history entry %zu is %" PRIu64 "/%u, blocks say %" PRIu64
                         "/%u",
                         name, k, refs[k].height, refs[k].index, hist[i].refs[k].height,
                         hist[i].refs[k].index);
        free(refs);
    }
}

/* The item-state root a restarted node rebuilds from the store (its
 * registration-order index, as node/chain/tree_load.c reads it), and the
 * root over the states the blocks give when replayed: after any crash they
 * must be the same tree. */
static void check_state_root(struct store *s, const struct tc_chain *rep)
{
    uint64_t count;
    CHECK_OK(store_item_count(s, &count));
    assert_int_equal(count, rep->n_registered);
    uint8_t (*stored)[MERKLE_HASH_LEN] = calloc(count ? count : 1, MERKLE_HASH_LEN);
    uint8_t (*replayed)[MERKLE_HASH_LEN] = calloc(count ? count : 1, MERKLE_HASH_LEN);
    struct ledger_item_state *page = calloc(64, sizeof *page);
    assert_non_null(stored);
    assert_non_null(replayed);
    assert_non_null(page);
    for (uint64_t from = 0; from < count;) {
        size_t n;
        CHECK_OK(store_items_by_reg(s, from, 64, page, &n));
        assert_true(n > 0);
        for (size_t k = 0; k < n; k++) {
            struct ledger_item_leaf leaf;
            ledger_item_leaf_from_state(&page[k], from + k, &leaf);
            ledger_item_leaf_hash(&leaf, stored[from + k]);
        }
        from += n;
    }
    for (size_t i = 0; i < rep->n_items; i++) {
        const struct ledger_item_state *st = &rep->model[i];
        if (st->count == 0) continue;
        assert_true(st->reg_index < count);
        struct ledger_item_leaf leaf;
        ledger_item_leaf_from_state(st, st->reg_index, &leaf);
        ledger_item_leaf_hash(&leaf, replayed[st->reg_index]);
    }
    uint8_t a[MERKLE_HASH_LEN], b[MERKLE_HASH_LEN];
    CHECK_OK(merkle_root((const uint8_t (*)[MERKLE_HASH_LEN])stored, count, a));
    CHECK_OK(merkle_root((const uint8_t (*)[MERKLE_HASH_LEN])replayed, count, b));
    if (memcmp(a, b, sizeof a) != 0)
        fail_msg("the item-state root rebuilt from the store differs from the replayed one "
                 "(%" PRIu64 " items)",
                 count);
    free(page);
    free(replayed);
    free(stored);
}

/* Reopens the killed child's store and checks it against the blocks. */
static void verify_after_crash(const char *dir, uint64_t reported, uint64_t *last_out)
{
    struct store *s;
    CHECK_OK(store_open(dir, NULL, &s));
    struct tc_chain gen, rep;
    assert_int_equal(tc_chain_init(&gen, CRASH_ITEMS), 0);
    assert_int_equal(tc_chain_init(&rep, CRASH_ITEMS), 0);
    CHECK_OK(store_bind_genesis(s, gen.g->hash));
    uint64_t last;
    uint8_t last_hash[WB_HASH_LEN];
    int64_t last_time;
    CHECK_OK(store_last(s, &last, last_hash, &last_time));
    if (last < reported)
        fail_msg("store ends at height %" PRIu64 " but the child had appended %" PRIu64
                 " durably",
                 last, reported);

    struct ref_list *hist = calloc(CRASH_ITEMS, sizeof *hist);
    assert_non_null(hist);
    char msg[512];
    for (uint64_t h = 1; h <= last; h++) {
        struct tc_block tb;
        int rc = tc_build_block(&gen, crash_block_events(h), &tb, msg, sizeof msg);
        if (rc) fail_msg("regenerating block %" PRIu64 ": %s", h, msg);
        check_stored_block(s, &tb, h, &rep, hist);
        tc_block_free(&tb);
    }
    assert_memory_equal(last_hash, rep.last_hash, WB_HASH_LEN);
    assert_int_equal(last_time, rep.last_time_ms);
    check_items(s, &rep, hist);
    check_state_root(s, &rep);

    /* The block the child was writing (or about to) left no trace, and the
     * recovered store takes it now. */
    struct tc_block next;
    int rc = tc_build_block(&gen, crash_block_events(last + 1), &next, msg, sizeof msg);
    if (rc) fail_msg("regenerating block %" PRIu64 ": %s", last + 1, msg);
    check_absent_block(s, &next, last + 1);
    CHECK_OK(store_append(s, &next.b, next.bytes, next.len, next.cert, next.cert_len,
                          next.states, next.n_states));
    uint64_t after;
    CHECK_OK(store_last(s, &after, NULL, NULL));
    assert_int_equal(after, last + 1);
    tc_block_free(&next);

    for (size_t i = 0; i < CRASH_ITEMS; i++) free(hist[i].refs);
    free(hist);
    store_close(s);
    tc_chain_free(&gen);
    tc_chain_free(&rep);
    *last_out = last;
}

/* Kills a durable appender at random points, CRASH_ROUNDS times. */
static void kill_during_append_leaves_whole_blocks(void **state)
{
    (void)state;
    /* WB_CRASH_SEED=n repeats a run's choices (the kill timing still varies). */
    const char *env = getenv("WB_CRASH_SEED");
    unsigned seed = env ? (unsigned)strtoul(env, NULL, 10)
                        : (unsigned)time(NULL) ^ ((unsigned)getpid() << 8);
    print_message("crash seed %u\n", seed);
    for (int round = 0; round < CRASH_ROUNDS; round++) {
        char dir[64];
        assert_int_equal(tc_tmpdir(dir), 0);
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        uint64_t target = 2 + (uint64_t)(rand_r(&seed) % 8);
        useconds_t delay_us = (useconds_t)(rand_r(&seed) % CRASH_DELAY_MAX_US);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            crash_child(dir, fds[1]);
        }
        close(fds[1]);
        /* Wait until `target` blocks are durable and the next append began,
         * then kill a moment later: mostly inside that append. */
        uint64_t done = 0, started = 0, m;
        while ((m = read_report(fds[0])) != 0) {
            if (m & 1) done = m / 2;
            else started = m / 2;
            if (done >= target && started > done) break;
        }
        if (m == 0) {
            int status = 0;
            waitpid(pid, &status, 0);
            fail_msg("round %d: child stopped after %" PRIu64 " blocks (exit status %d)", round,
                     done, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        }
        usleep(delay_us);
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        while ((m = read_report(fds[0])) != 0) {
            if (m & 1) done = m / 2;
            else started = m / 2;
        }
        close(fds[0]);
        if (!WIFSIGNALED(status))
            fail_msg("round %d: child ended by itself (exit status %d) before the kill", round,
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        uint64_t last;
        verify_after_crash(dir, done, &last);
        /* At most the block being appended may have made it, never more. */
        if (last > started || last > done + 1)
            fail_msg("round %d: %" PRIu64 " blocks on disk, but only %" PRIu64
                     " were started and %" PRIu64 " finished",
                     round, last, started, done);
        print_message("round %d: killed %u us after append %" PRIu64 " began; %" PRIu64
                      " appends finished, %" PRIu64 " blocks on disk (%s)\n",
                      round, (unsigned)delay_us, started, done, last,
                      started > done ? (last > done ? "killed after its commit"
                                                    : "killed inside the append")
                                     : "killed between appends");
        tc_rmtree(dir);
    }
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    wb_log_set_level(WB_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kill_during_append_leaves_whole_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
