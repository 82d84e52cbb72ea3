/* Unit tests of node/verifier.c with real keys, signed events and a libuv loop,
 * and of the mempool entry points it feeds (add_verified, precheck). */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>
#include <uv.h>

#include "common/wb_error.h"
#include "ledger/event.h"
#include "ledger/genesis.h"
#include "node/mempool.h"
#include "node/verifier.h"

#define RESULTS_MAX 4096
#define WATCHDOG_MS 20000
#define CLIENTS_MAX 4

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

/* What a done callback saw. */
struct result {
    struct verifier_ticket ticket;
    int rc;
    char reason[512];
    bool had_reason;
    size_t len;
    uint8_t first_byte;
    size_t batch;                         /* which batch_done run it belonged to */
};

/* A stand-in for the daemon's client table: answers go to connected
 * clients only. */
struct client {
    uint64_t conn_id;
    size_t answers;
    int last_rc;
};

#define ADMIT_REASON_MAX 600

struct fx {
    struct ledger_genesis *g;
    uint8_t pk[K_COUNT][WB_PUBKEY_LEN];
    uint8_t sk[K_COUNT][WB_SECKEY_LEN];
    uint64_t nonce;
    uv_loop_t loop;
    uv_timer_t watchdog;
    bool watchdog_fired;
    struct verifier *v;
    bool closed;
    struct result results[RESULTS_MAX];
    size_t results_n;
    size_t batches;                       /* batch_done calls */
    size_t in_batch;                      /* done calls since the last batch_done */
    size_t batch_largest;
    /* For the admission tests: a mempool fed from the done callback. */
    struct mempool *mp;
    struct client clients[CLIENTS_MAX];
    size_t clients_n;
    size_t answers_dropped;
    size_t admitted;
    char refused_reason[ADMIT_REASON_MAX]; /* the last refusal of on_done_admit */
    /* For the skip test: ids the skip callback spares, and what it saw. */
    uint8_t skip_ids[4][WB_HASH_LEN];
    size_t skip_ids_n;
    size_t skip_calls;
    bool skip_on_loop_thread;             /* a skip call ran on the test's thread */
    pthread_t loop_thread;
};

/* ---- fixture --------------------------------------------------------- */

static int no_state(void *ctx, const char *item, struct ledger_item_state *st)
{
    (void)ctx;
    (void)item;
    (void)st;
    return WB_ERR_NOT_FOUND;
}

static struct mempool *new_mempool(struct fx *f, size_t events_max, size_t bytes_max)
{
    struct mempool_config cfg = {
        .genesis = f->g,
        .events_max = events_max,
        .bytes_max = bytes_max,
        .lookup = no_state,
        .lookup_ctx = f,
    };
    struct mempool *mp;
    int rc = mempool_create(&cfg, &mp);
    if (rc) fail_msg("mempool_create: %s", wb_strerror(rc));
    return mp;
}

static void on_watchdog(uv_timer_t *t)
{
    struct fx *f = t->data;
    f->watchdog_fired = true;
    uv_stop(&f->loop);
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->g = calloc(1, sizeof *f->g);
    if (!f->g) return -1;
    struct ledger_genesis *g = f->g;
    snprintf(g->chain_name, sizeof g->chain_name, "verifier-test");
    ledger_chain_id(g->chain_name, g->chain_id);
    g->genesis_time_ms = 1700000000000;
    g->org_count = K_COUNT;
    for (int k = 0; k < K_COUNT; k++) {
        uint8_t seed[32] = {(uint8_t)(k + 21)};
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
    if (uv_loop_init(&f->loop) != 0) return -1;
    if (uv_timer_init(&f->loop, &f->watchdog) != 0) return -1;
    f->watchdog.data = f;
    *state = f;
    return 0;
}

static void on_closed(void *ctx)
{
    struct fx *f = ctx;
    f->closed = true;
}

/* Closes the verifier (if open) and runs the loop until its handle closed. */
static void close_verifier(struct fx *f)
{
    if (!f->v) return;
    verifier_close(f->v, on_closed, f);
    f->v = NULL;
    while (!f->closed) uv_run(&f->loop, UV_RUN_ONCE);
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    close_verifier(f);
    uv_close((uv_handle_t *)&f->watchdog, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&f->loop) != 0) fail_msg("the loop still has handles after teardown");
    mempool_destroy(f->mp);
    free(f->g);
    free(f);
    return 0;
}

/* ---- events ---------------------------------------------------------- */

/* Signs `action` on `item` by org `key`, following `prev` (NULL: none), with
 * what the rules require for that action. */
static void mk(struct fx *f, struct sev *out, int key, const char *item,
               enum ledger_action action, const uint8_t *prev)
{
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.item, sizeof ev.item, "%s", item);
    ev.action = action;
    ev.nonce = ++f->nonce;
    ev.time_ms = 1700000100000 + (int64_t)ev.nonce;
    memcpy(ev.submitter, f->pk[key], WB_PUBKEY_LEN);
    if (prev) {
        ev.has_prev = true;
        memcpy(ev.prev, prev, WB_HASH_LEN);
    }
    switch (action) {
    case LEDGER_COMMISSION: case LEDGER_LOAD:
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

/* The same event with one bit of its signature (the last bytes) flipped. */
static void forge(const struct sev *good, struct sev *out)
{
    *out = *good;
    out->bytes[out->len - 1] ^= 0x01;
}

/* ---- verifier helpers --------------------------------------------------- */

static void on_done(void *ctx, const struct verifier_job *job)
{
    struct fx *f = ctx;
    if (f->results_n == RESULTS_MAX) fail_msg("more than %d results", RESULTS_MAX);
    struct result *r = &f->results[f->results_n++];
    r->ticket = job->ticket;
    r->rc = job->rc;
    r->had_reason = job->reason != NULL;
    snprintf(r->reason, sizeof r->reason, "%s", job->reason ? job->reason : "");
    r->len = job->len;
    r->first_byte = job->len ? job->bytes[0] : 0;
    r->batch = f->batches;
    f->in_batch++;
}

static void on_batch(void *ctx)
{
    struct fx *f = ctx;
    if (f->in_batch > f->batch_largest) f->batch_largest = f->in_batch;
    f->in_batch = 0;
    f->batches++;
}

static bool skip_listed(void *ctx, const struct verifier_ticket *t, const uint8_t id[WB_HASH_LEN])
{
    struct fx *f = ctx;
    (void)t;
    /* Runs on the worker while the test thread waits in the loop: the
     * counters are read only after the results are in. */
    f->skip_calls++;
    if (pthread_equal(pthread_self(), f->loop_thread)) f->skip_on_loop_thread = true;
    for (size_t i = 0; i < f->skip_ids_n; i++)
        if (memcmp(f->skip_ids[i], id, WB_HASH_LEN) == 0) return true;
    return false;
}

static void open_verifier_skip(struct fx *f, size_t jobs_max, size_t bytes_max,
                               size_t batch_max, verifier_done_fn done, verifier_skip_fn skip)
{
    struct verifier_config cfg = {
        .jobs_max = jobs_max,
        .bytes_max = bytes_max,
        .batch_max = batch_max,
        .nice = 10,
        .done = done,
        .batch_done = on_batch,
        .skip = skip,
        .ctx = f,
    };
    memcpy(cfg.chain_id, f->g->chain_id, WB_CHAIN_ID_LEN);
    int rc = verifier_create(&f->loop, &cfg, &f->v);
    if (rc) fail_msg("verifier_create: expected 0, got %s", wb_strerror(rc));
}

static void open_verifier(struct fx *f, size_t jobs_max, size_t bytes_max, size_t batch_max,
                          verifier_done_fn done)
{
    open_verifier_skip(f, jobs_max, bytes_max, batch_max, done, NULL);
}

static void submit_ok(struct fx *f, const struct sev *e, uint64_t req_id)
{
    struct verifier_ticket t = {.kind = VERIFIER_SUBMIT, .conn_id = 1, .req_id = req_id};
    memcpy(t.id, e->id, WB_HASH_LEN);
    char reason[256] = "";
    int rc = verifier_submit(f->v, &t, e->bytes, e->len, reason, sizeof reason);
    if (rc)
        fail_msg("verifier_submit(job %llu): expected 0, got %s: %s", (unsigned long long)req_id,
                 wb_strerror(rc), reason);
}

/* Runs the loop until at least `count` results arrived; fails on the
 * watchdog. */
static void wait_for(struct fx *f, size_t count)
{
    uv_timer_start(&f->watchdog, on_watchdog, WATCHDOG_MS, 0);
    while (f->results_n < count && !f->watchdog_fired) uv_run(&f->loop, UV_RUN_ONCE);
    uv_timer_stop(&f->watchdog);
    if (f->watchdog_fired)
        fail_msg("only %zu of %zu results arrived within %d ms", f->results_n, count,
                 WATCHDOG_MS);
}

/* wait_for, and then exactly `count` results must be in. */
static void run_until(struct fx *f, size_t count)
{
    wait_for(f, count);
    if (f->results_n != count)
        fail_msg("expected %zu results, got %zu", count, f->results_n);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- tests: the verifier ---------------------------------------------------- */

static void test_create_refuses_bad_config(void **state)
{
    struct fx *f = *state;
    struct verifier_config cfg = {.jobs_max = 1, .bytes_max = WB_SIGNED_EVENT_MAX,
                                  .batch_max = 1, .done = on_done, .ctx = f};
    /* Any non-NULL value: a refused create must set *out to NULL. */
    struct verifier *v = (struct verifier *)(uintptr_t)1;
    struct verifier_config bad = cfg;
    bad.jobs_max = 0;
    assert_int_equal(verifier_create(&f->loop, &bad, &v), WB_ERR_INVALID);
    assert_null(v);
    bad = cfg;
    bad.bytes_max = WB_SIGNED_EVENT_MAX - 1;
    assert_int_equal(verifier_create(&f->loop, &bad, &v), WB_ERR_INVALID);
    bad = cfg;
    bad.batch_max = 0;
    assert_int_equal(verifier_create(&f->loop, &bad, &v), WB_ERR_INVALID);
    bad = cfg;
    bad.done = NULL;
    assert_int_equal(verifier_create(&f->loop, &bad, &v), WB_ERR_INVALID);
    assert_int_equal(verifier_create(NULL, &cfg, &v), WB_ERR_INVALID);
}

/* A good event verifies; a flipped signature bit, an event signed for
 * another chain, a body that breaks the item format, and bytes that are no
 * SignedEvent each come back with the error and message of
 * ledger_signed_event_open. The ticket comes back untouched. */
static void test_results_for_good_and_bad_events(void **state)
{
    struct fx *f = *state;
    open_verifier(f, 64, 1u << 20, 8, on_done);
    struct sev good, forged, other_chain, bad_digit, garbage;
    commission(f, &good, "CSQU3054383");
    forge(&good, &forged);
    /* Signed by a member key, but for another chain. */
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.item, sizeof ev.item, "CSQU3054383");
    ev.action = LEDGER_COMMISSION;
    ev.nonce = 99;
    snprintf(ev.location, sizeof ev.location, "NLRTM");
    memcpy(ev.submitter, f->pk[K_ACME], WB_PUBKEY_LEN);
    uint8_t other_id[WB_CHAIN_ID_LEN];
    ledger_chain_id("another-chain", other_id);
    assert_int_equal(ledger_event_sign(other_id, &ev, f->sk[K_ACME], other_chain.bytes,
                                       sizeof other_chain.bytes, &other_chain.len),
                     WB_OK);
    commission(f, &bad_digit, "CSQU3054384");
    memset(garbage.bytes, 0x5a, 40);
    garbage.len = 40;

    const struct sev *in[5] = {&good, &forged, &other_chain, &bad_digit, &garbage};
    struct verifier_ticket t = {.kind = VERIFIER_SUBMIT, .conn_id = 77, .no_wait = true,
                                .height = 12};
    for (uint64_t i = 0; i < 5; i++) {
        t.req_id = 1000 + i;
        t.kind = i % 2 ? VERIFIER_GOSSIP : VERIFIER_SUBMIT;
        memset(t.id, (int)i, WB_HASH_LEN);
        assert_int_equal(verifier_submit(f->v, &t, in[i]->bytes, in[i]->len, NULL, 0), WB_OK);
    }
    assert_int_equal(verifier_jobs(f->v), 5);
    run_until(f, 5);
    assert_int_equal(verifier_jobs(f->v), 0);
    assert_int_equal(verifier_bytes(f->v), 0);

    for (size_t i = 0; i < 5; i++) {
        struct result *r = &f->results[i];
        /* What the same call gives on the loop thread. */
        struct ledger_event scratch;
        char want_msg[512] = "";
        int want = ledger_signed_event_open(f->g->chain_id, in[i]->bytes, in[i]->len, true,
                                            &scratch, want_msg, sizeof want_msg);
        if (r->rc != want || strcmp(r->reason, want_msg) != 0 || r->had_reason != (want != 0))
            fail_msg("job %zu: got %s \"%s\", expected %s \"%s\"", i, wb_strerror(r->rc),
                     r->reason, wb_strerror(want), want_msg);
        if (r->ticket.req_id != 1000 + i || r->ticket.conn_id != 77 || !r->ticket.no_wait ||
            r->ticket.height != 12 || r->ticket.kind != (i % 2 ? VERIFIER_GOSSIP
                                                                : VERIFIER_SUBMIT) ||
            r->ticket.id[0] != (uint8_t)i || r->ticket.id[WB_HASH_LEN - 1] != (uint8_t)i)
            fail_msg("job %zu: the ticket came back changed", i);
        if (r->len != in[i]->len || r->first_byte != in[i]->bytes[0])
            fail_msg("job %zu: the bytes came back changed", i);
    }
    assert_int_equal(f->results[0].rc, WB_OK);
    assert_int_equal(f->results[1].rc, WB_ERR_SIGNATURE);
    assert_int_equal(f->results[2].rc, WB_ERR_SIGNATURE);
    assert_int_equal(f->results[3].rc, WB_ERR_CHECK_DIGIT);
    assert_int_equal(f->results[4].rc, WB_ERR_DECODE);
    struct verifier_stats st;
    verifier_get_stats(f->v, &st);
    assert_int_equal(st.submitted, 5);
    assert_int_equal(st.delivered, 5);
    assert_int_equal(st.refused, 0);
    assert_int_equal(st.jobs_peak, 5);
}

/* Many jobs, one in seven forged, submitted while earlier ones are already
 * being checked: results arrive in submission order with the right verdict,
 * in runs of at most batch_max, each run followed by batch_done. */
#define FIFO_JOBS 3000
#define FIFO_BATCH 64
static void test_fifo_order_across_many_jobs(void **state)
{
    struct fx *f = *state;
    open_verifier(f, FIFO_JOBS, FIFO_JOBS * (size_t)WB_SIGNED_EVENT_MAX, FIFO_BATCH, on_done);
    struct sev *evs = malloc(sizeof *evs * FIFO_JOBS);
    assert_non_null(evs);
    for (size_t i = 0; i < FIFO_JOBS; i++) {
        commission(f, &evs[i], "CSQU3054383");
        if (i % 7 == 3) forge(&evs[i], &evs[i]);
    }
    /* Half now, the rest after the first results are in. */
    for (size_t i = 0; i < FIFO_JOBS / 2; i++) submit_ok(f, &evs[i], i);
    wait_for(f, 10);
    for (size_t i = FIFO_JOBS / 2; i < FIFO_JOBS; i++) submit_ok(f, &evs[i], i);
    run_until(f, FIFO_JOBS);
    for (size_t i = 0; i < FIFO_JOBS; i++) {
        struct result *r = &f->results[i];
        int want = i % 7 == 3 ? WB_ERR_SIGNATURE : WB_OK;
        if (r->ticket.req_id != i)
            fail_msg("result %zu is job %llu: completions out of submission order", i,
                     (unsigned long long)r->ticket.req_id);
        if (r->rc != want)
            fail_msg("job %zu: got %s, expected %s", i, wb_strerror(r->rc), wb_strerror(want));
        if (memcmp(r->ticket.id, evs[i].id, WB_HASH_LEN) != 0)
            fail_msg("job %zu: its ticket carries another event's id", i);
    }
    if (f->batch_largest > FIFO_BATCH)
        fail_msg("a run delivered %zu results; batch_max is %d", f->batch_largest, FIFO_BATCH);
    if (f->in_batch != 0) fail_msg("%zu results were not followed by batch_done", f->in_batch);
    if (f->batches < FIFO_JOBS / FIFO_BATCH)
        fail_msg("%zu batch_done calls for %d results of at most %d", f->batches, FIFO_JOBS,
                 FIFO_BATCH);
    free(evs);
}

/* The bound counts jobs submitted and not yet delivered, by number and by
 * bytes; over it verifier_submit answers busy with a reason and queues
 * nothing; once results are delivered there is room again. */
static void test_queue_bound(void **state)
{
    struct fx *f = *state;
    struct sev e[6];
    for (int i = 0; i < 6; i++) commission(f, &e[i], "CSQU3054383");
    open_verifier(f, 4, 64u << 10, 4, on_done);
    for (int i = 0; i < 4; i++) submit_ok(f, &e[i], (uint64_t)i);
    char reason[256] = "";
    struct verifier_ticket t = {.kind = VERIFIER_SUBMIT, .req_id = 4};
    int rc = verifier_submit(f->v, &t, e[4].bytes, e[4].len, reason, sizeof reason);
    if (rc != WB_ERR_BUSY || !strstr(reason, "busy") || !strstr(reason, "signature check"))
        fail_msg("fifth job over a bound of 4: expected busy with a reason, got %s: \"%s\"",
                 wb_strerror(rc), reason);
    assert_int_equal(verifier_jobs(f->v), 4);
    /* Checked by the worker is not delivered: still no room. */
    usleep(50 * 1000);
    assert_int_equal(verifier_submit(f->v, &t, e[4].bytes, e[4].len, NULL, 0), WB_ERR_BUSY);
    run_until(f, 4);
    assert_int_equal(verifier_jobs(f->v), 0);
    submit_ok(f, &e[4], 4);
    run_until(f, 5);
    struct verifier_stats st;
    verifier_get_stats(f->v, &st);
    assert_int_equal(st.refused, 2);
    assert_int_equal(st.submitted, 5);
    close_verifier(f);

    /* By bytes: as many events as fit in the limit, then not one more. */
    f->closed = false;
    f->results_n = 0;
    open_verifier(f, 100, WB_SIGNED_EVENT_MAX, 4, on_done);
    size_t fit = WB_SIGNED_EVENT_MAX / e[0].len;
    assert_true(fit >= 2 && fit < 100);
    for (size_t i = 0; i < fit; i++) submit_ok(f, &e[i % 6], i);
    assert_int_equal(verifier_bytes(f->v), fit * e[0].len);
    rc = verifier_submit(f->v, &t, e[5].bytes, e[5].len, reason, sizeof reason);
    if (rc != WB_ERR_BUSY) fail_msg("over the byte bound: expected busy, got %s", wb_strerror(rc));
    run_until(f, fit);

    /* Sizes outside what an event can be are refused, not queued. */
    uint8_t big[WB_SIGNED_EVENT_MAX + 1] = {0};
    assert_int_equal(verifier_submit(f->v, &t, big, sizeof big, NULL, 0), WB_ERR_TOO_LARGE);
    assert_int_equal(verifier_submit(f->v, &t, big, 0, NULL, 0), WB_ERR_INVALID);
    assert_int_equal(verifier_jobs(f->v), 0);
}

static void on_done_must_not_run(void *ctx, const struct verifier_job *job)
{
    (void)ctx;
    fail_msg("done called for job %llu after verifier_close",
             (unsigned long long)job->ticket.req_id);
}

/* Closing with thousands of jobs queued returns promptly (the worker stops
 * after the check in progress), delivers none of them, frees all of them
 * (ASan's leak check runs on the SAN=1 build) and then runs `closed`. */
static void test_close_with_jobs_queued(void **state)
{
    struct fx *f = *state;
    open_verifier(f, 10000, 10000u * WB_SIGNED_EVENT_MAX, 16, on_done_must_not_run);
    struct sev e;
    commission(f, &e, "CSQU3054383");
    for (uint64_t i = 0; i < 5000; i++) submit_ok(f, &e, i);
    /* Give the worker time to be mid-way, with results waiting for the loop. */
    usleep(20 * 1000);
    double t0 = now_s();
    verifier_close(f->v, on_closed, f);
    f->v = NULL;
    double took = now_s() - t0;
    if (took > 1.0) fail_msg("verifier_close took %.3f s with 5000 jobs queued", took);
    assert_false(f->closed);
    uv_timer_start(&f->watchdog, on_watchdog, WATCHDOG_MS, 0);
    while (!f->closed && !f->watchdog_fired) uv_run(&f->loop, UV_RUN_ONCE);
    uv_timer_stop(&f->watchdog);
    if (!f->closed) fail_msg("the closed callback did not run");
    assert_int_equal(f->results_n, 0);
}

/* A verifier that never got a job closes as well. */
static void test_close_idle(void **state)
{
    struct fx *f = *state;
    open_verifier(f, 1, WB_SIGNED_EVENT_MAX, 1, on_done);
    close_verifier(f);
    assert_true(f->closed);
    verifier_close(NULL, on_closed, f);
}

/* Reads the nice value (field 19 of /proc/self/task/TID/stat) of every
 * thread of this process; returns how many threads have `nice`. */
static int threads_with_nice(int nice)
{
    DIR *d = opendir("/proc/self/task");
    if (!d) fail_msg("cannot open /proc/self/task: %s", strerror(errno));
    int found = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[300], buf[1024];
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", de->d_name);
        FILE *fp = fopen(path, "r");
        if (!fp) continue;
        size_t n = fread(buf, 1, sizeof buf - 1, fp);
        fclose(fp);
        buf[n] = '\0';
        /* The command name may hold spaces: count fields after its ')'. */
        char *p = strrchr(buf, ')');
        if (!p) continue;
        int field = 2, value = 0;
        for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " ")) {
            if (++field == 19) {
                value = atoi(tok);
                break;
            }
        }
        if (field == 19 && value == nice) found++;
    }
    closedir(d);
    return found;
}

/* The worker runs 10 nicer than the thread that created it (the loop). */
static void test_worker_runs_nicer(void **state)
{
    struct fx *f = *state;
    errno = 0;
    int base = getpriority(PRIO_PROCESS, 0);
    assert_false(base == -1 && errno != 0);
    /* Run already nice (above 9) the worker could not be told apart. */
    if (base > 9) skip();
    int want = base + 10;
    open_verifier(f, 4, WB_SIGNED_EVENT_MAX, 1, on_done);
    /* The worker sets its priority as it starts: one checked job proves it ran. */
    struct sev e;
    commission(f, &e, "CSQU3054383");
    submit_ok(f, &e, 1);
    run_until(f, 1);
    if (threads_with_nice(want) != 1)
        fail_msg("expected one thread at nice %d (the loop's %d + 10), found %d", want, base,
                 threads_with_nice(want));
}

/* A job whose event cfg.skip names (on the worker thread, by the id of the
 * event's body) comes back WB_ERR_EXISTS without a check, even when its
 * signature is forged; the others are checked as usual; order holds; bytes
 * that do not split reach the check without a skip call. */
static void test_skip_spares_the_check(void **state)
{
    struct fx *f = *state;
    f->loop_thread = pthread_self();
    struct sev good, forged, listed_good, listed_forged, garbage;
    commission(f, &good, "CSQU3054383");
    forge(&good, &forged);
    commission(f, &listed_good, "MSCU1234566");
    commission(f, &listed_forged, "MSKU9070323");
    forge(&listed_forged, &listed_forged);
    memset(garbage.bytes, 0x5a, 40);
    garbage.len = 40;
    memcpy(f->skip_ids[0], listed_good.id, WB_HASH_LEN);
    memcpy(f->skip_ids[1], listed_forged.id, WB_HASH_LEN);
    f->skip_ids_n = 2;
    open_verifier_skip(f, 16, 1u << 20, 16, on_done, skip_listed);
    const struct sev *in[] = {&good, &listed_forged, &forged, &listed_good, &garbage};
    const int want[] = {WB_OK, WB_ERR_EXISTS, WB_ERR_SIGNATURE, WB_ERR_EXISTS, WB_ERR_DECODE};
    for (size_t i = 0; i < 5; i++) submit_ok(f, in[i], i);
    run_until(f, 5);
    for (size_t i = 0; i < 5; i++) {
        struct result *r = &f->results[i];
        if (r->ticket.req_id != i || r->rc != want[i] || (r->rc == WB_ERR_EXISTS && r->had_reason))
            fail_msg("result %zu: job %llu %s%s, expected job %zu %s", i,
                     (unsigned long long)r->ticket.req_id, wb_strerror(r->rc),
                     r->had_reason ? " with a reason" : "", i, wb_strerror(want[i]));
    }
    assert_int_equal(f->skip_calls, 4);
    assert_false(f->skip_on_loop_thread);
    struct verifier_stats st;
    verifier_get_stats(f->v, &st);
    assert_int_equal(st.skipped, 2);
}

/* ---- tests: admission of checked events ----------------------------------- */

/* mempool_add_verified with the worker's verdict gives exactly what
 * mempool_add gives on the same bytes: result, reason and id, for good,
 * forged, malformed and rule-breaking events. */
static void test_add_verified_equals_add(void **state)
{
    struct fx *f = *state;
    struct sev c, forged, digit, garbage, seal, seal_forged;
    commission(f, &c, "CSQU3054383");
    forge(&c, &forged);
    commission(f, &digit, "CSQU3054384");
    memset(garbage.bytes, 0x5a, 40);
    garbage.len = 40;
    mk(f, &seal, K_ACME, "CSQU3054383", LEDGER_SEAL, c.id);
    forge(&seal, &seal_forged);
    struct sev no_commission;
    mk(f, &no_commission, K_OCEANIC, "MSCU1234566", LEDGER_LOAD, NULL);
    /* In this order: the forged commission first (refused), then the good
     * one, the forged seal, the seal, the same seal again (duplicate), a
     * load on an item nobody commissioned (rules), a bad check digit and
     * garbage. */
    const struct sev *in[] = {&forged, &c, &seal_forged, &seal, &seal,
                              &no_commission, &digit, &garbage};
    size_t n = sizeof in / sizeof in[0];
    struct mempool *inline_mp = new_mempool(f, 100, 1u << 20);
    f->mp = new_mempool(f, 100, 1u << 20);
    for (size_t i = 0; i < n; i++) {
        char want_reason[512] = "", got_reason[512] = "", open_msg[512] = "";
        uint8_t want_id[WB_HASH_LEN], got_id[WB_HASH_LEN];
        int want = mempool_add(inline_mp, in[i]->bytes, in[i]->len, want_id, want_reason,
                               sizeof want_reason);
        /* What the worker computes. */
        struct ledger_event scratch;
        int open_rc = ledger_signed_event_open(f->g->chain_id, in[i]->bytes, in[i]->len, true,
                                               &scratch, open_msg, sizeof open_msg);
        int got = mempool_add_verified(f->mp, in[i]->bytes, in[i]->len, open_rc,
                                       open_rc ? open_msg : NULL, got_id, got_reason,
                                       sizeof got_reason);
        if (got != want || strcmp(got_reason, want_reason) != 0 ||
            memcmp(got_id, want_id, WB_HASH_LEN) != 0)
            fail_msg("event %zu: mempool_add gave %s \"%s\", mempool_add_verified %s \"%s\"", i,
                     wb_strerror(want), want_reason, wb_strerror(got), got_reason);
    }
    assert_int_equal(mempool_count(f->mp), 2);
    assert_int_equal(mempool_count(inline_mp), 2);
    assert_true(mempool_holds(f->mp, seal.id, seal.bytes, seal.len));

    /* A verdict without a message gets the same fallback reason. */
    char reason[512];
    struct sev other;
    commission(f, &other, "MSCU1234566");
    assert_int_equal(mempool_add_verified(f->mp, other.bytes, other.len, WB_ERR_SIGNATURE, NULL,
                                          NULL, reason, sizeof reason),
                     WB_ERR_SIGNATURE);
    assert_non_null(strstr(reason, "does not verify for the submitter key"));
    mempool_destroy(inline_mp);
}

/* Verdict 0 is trusted (the signature is not checked twice), but every
 * check that comes before the signature in mempool_add still wins over the
 * verdict: duplicate and full come first, as they do inline. */
static void test_add_verified_order_of_checks(void **state)
{
    struct fx *f = *state;
    f->mp = new_mempool(f, 2, 1u << 20);
    struct sev a, a_forged, b, c;
    commission(f, &a, "CSQU3054383");
    forge(&a, &a_forged);
    commission(f, &b, "MSCU1234566");
    commission(f, &c, "MSKU9070323");
    char reason[512];
    /* Trusted: forged bytes with verdict 0 are admitted (no second check). */
    assert_int_equal(mempool_add_verified(f->mp, a_forged.bytes, a_forged.len, WB_OK, NULL,
                                          NULL, reason, sizeof reason),
                     WB_OK);
    /* Same id pending: duplicate, whatever the verdict. */
    assert_int_equal(mempool_add_verified(f->mp, a.bytes, a.len, WB_ERR_SIGNATURE, "x", NULL,
                                          reason, sizeof reason),
                     WB_ERR_DUPLICATE);
    assert_non_null(strstr(reason, "already pending"));
    assert_int_equal(mempool_add_verified(f->mp, b.bytes, b.len, WB_OK, NULL, NULL, reason,
                                          sizeof reason),
                     WB_OK);
    /* Full: busy before the verdict. */
    assert_int_equal(mempool_add_verified(f->mp, c.bytes, c.len, WB_ERR_SIGNATURE, "x", NULL,
                                          reason, sizeof reason),
                     WB_ERR_BUSY);
    assert_non_null(strstr(reason, "mempool full"));
    assert_int_equal(mempool_count(f->mp), 2);
}

/* mempool_precheck answers the cheap refusals with mempool_add's reasons. */
static void test_precheck(void **state)
{
    struct fx *f = *state;
    f->mp = new_mempool(f, 1, 1u << 20);
    struct sev a, b;
    commission(f, &a, "CSQU3054383");
    commission(f, &b, "MSCU1234566");
    char reason[512] = "";
    assert_int_equal(mempool_precheck(f->mp, a.id, a.len, reason, sizeof reason), WB_OK);
    assert_int_equal(mempool_precheck(f->mp, NULL, WB_SIGNED_EVENT_MAX + 1, reason,
                                      sizeof reason),
                     WB_ERR_TOO_LARGE);
    assert_int_equal(mempool_add(f->mp, a.bytes, a.len, NULL, NULL, 0), WB_OK);
    assert_int_equal(mempool_precheck(f->mp, a.id, a.len, reason, sizeof reason),
                     WB_ERR_DUPLICATE);
    assert_non_null(strstr(reason, "already pending"));
    /* Without an id only the limits count: the mempool of one is full. */
    assert_int_equal(mempool_precheck(f->mp, NULL, a.len, NULL, 0), WB_ERR_BUSY);
    char want[512] = "";
    assert_int_equal(mempool_add(f->mp, b.bytes, b.len, NULL, want, sizeof want), WB_ERR_BUSY);
    assert_int_equal(mempool_precheck(f->mp, b.id, b.len, reason, sizeof reason), WB_ERR_BUSY);
    assert_string_equal(reason, want);
}

/* What the daemon does on completion, in small: admit with the verdict, then
 * answer the client if it is still connected. */
static void on_done_admit(void *ctx, const struct verifier_job *job)
{
    struct fx *f = ctx;
    on_done(ctx, job);
    char reason[512];
    int rc = mempool_add_verified(f->mp, job->bytes, job->len, job->rc, job->reason, NULL,
                                  reason, sizeof reason);
    if (rc == WB_OK) f->admitted++;
    else snprintf(f->refused_reason, sizeof f->refused_reason, "%s: %s", wb_strerror(rc), reason);
    struct client *c = NULL;
    for (size_t i = 0; i < f->clients_n; i++)
        if (f->clients[i].conn_id == job->ticket.conn_id) c = &f->clients[i];
    if (!c) {
        f->answers_dropped++;
        return;
    }
    c->answers++;
    c->last_rc = rc;
}

/* Client 1 sends an item's chain (commission, seal, inspect by customs,
 * load) and disconnects before any result is in; client 2 sends one event.
 * Every event is admitted, in chain order (event k+1 only after k), client
 * 1's answers are dropped and client 2 gets its answer. */
static void test_job_whose_client_is_gone(void **state)
{
    struct fx *f = *state;
    f->mp = new_mempool(f, 100, 1u << 20);
    f->clients[0] = (struct client){.conn_id = 1};
    f->clients[1] = (struct client){.conn_id = 2};
    f->clients_n = 2;
    open_verifier(f, 16, 1u << 20, 2, on_done_admit);
    struct sev chain[4], other;
    commission(f, &chain[0], "CSQU3054383");
    mk(f, &chain[1], K_ACME, "CSQU3054383", LEDGER_SEAL, chain[0].id);
    mk(f, &chain[2], K_CUSTOMS, "CSQU3054383", LEDGER_INSPECT, chain[1].id);
    mk(f, &chain[3], K_ACME, "CSQU3054383", LEDGER_LOAD, chain[2].id);
    commission(f, &other, "MSCU1234566");
    struct verifier_ticket t = {.kind = VERIFIER_SUBMIT, .conn_id = 1};
    for (int i = 0; i < 4; i++) {
        t.req_id = (uint64_t)i;
        assert_int_equal(verifier_submit(f->v, &t, chain[i].bytes, chain[i].len, NULL, 0), WB_OK);
    }
    t.conn_id = 2;
    t.req_id = 9;
    assert_int_equal(verifier_submit(f->v, &t, other.bytes, other.len, NULL, 0), WB_OK);
    /* Client 1 goes away while its jobs wait. */
    f->clients[0] = f->clients[1];
    f->clients_n = 1;
    run_until(f, 5);
    if (f->admitted != 5)
        fail_msg("%zu of 5 events admitted (last refusal: %s): the chain was not delivered "
                 "in order", f->admitted, f->refused_reason);
    struct ledger_item_state st;
    assert_int_equal(mempool_pending_state(f->mp, "CSQU3054383", &st), WB_OK);
    assert_int_equal(st.count, 4);
    assert_memory_equal(st.head, chain[3].id, WB_HASH_LEN);
    assert_int_equal(f->answers_dropped, 4);
    assert_int_equal(f->clients[0].answers, 1);
    assert_int_equal(f->clients[0].last_rc, WB_OK);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        T(test_create_refuses_bad_config),
        T(test_results_for_good_and_bad_events),
        T(test_fifo_order_across_many_jobs),
        T(test_queue_bound),
        T(test_close_with_jobs_queued),
        T(test_close_idle),
        T(test_worker_runs_nicer),
        T(test_skip_spares_the_check),
        T(test_add_verified_equals_add),
        T(test_add_verified_order_of_checks),
        T(test_precheck),
        T(test_job_whose_client_is_gone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
