/* Unit tests of ledger/sigcheck.c: every item gets the result a one-by-one
 * check gives, whatever the executor (none, jobs run backwards, threads),
 * for good signatures, forged ones, foreign keys, undecodable bytes and
 * empty slots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/exec_threads.h"
#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "ledger/event.h"
#include "ledger/sigcheck.h"

#define N_EVENTS 301
#define N_KEYS 3

struct fixture {
    uint8_t chain[WB_CHAIN_ID_LEN];
    uint8_t other_chain[WB_CHAIN_ID_LEN];
    uint8_t pk[N_KEYS][WB_PUBKEY_LEN];
    uint8_t sk[N_KEYS][WB_SECKEY_LEN];
    uint8_t (*bytes)[WB_SIGNED_EVENT_MAX];
    size_t lens[N_EVENTS];
    int8_t want[N_EVENTS];
};

/* Event i: signed by key i % N_KEYS; every 7th signed for another chain,
 * every 11th with a flipped signature bit, every 13th cut short (does not
 * split), every 17th absent. */
static int fx_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->bytes = calloc(N_EVENTS, sizeof *f->bytes);
    if (!f->bytes) return -1;
    randombytes_buf(f->chain, sizeof f->chain);
    memcpy(f->other_chain, f->chain, sizeof f->chain);
    f->other_chain[0] ^= 1;
    for (int k = 0; k < N_KEYS; k++) crypto_sign_keypair(f->pk[k], f->sk[k]);
    for (size_t i = 0; i < N_EVENTS; i++) {
        struct ledger_event ev;
        memset(&ev, 0, sizeof ev);
        snprintf(ev.item, sizeof ev.item, "CSQU3054383");
        ev.action = LEDGER_INSPECT;
        strcpy(ev.location, "NLRTM");
        ev.time_ms = 1795000000000 + (int64_t)i;
        memcpy(ev.submitter, f->pk[i % N_KEYS], WB_PUBKEY_LEN);
        ev.nonce = i;
        const uint8_t *chain = i % 7 == 3 ? f->other_chain : f->chain;
        if (ledger_event_sign(chain, &ev, f->sk[i % N_KEYS], f->bytes[i],
                              WB_SIGNED_EVENT_MAX, &f->lens[i]) != WB_OK)
            return -1;
        f->want[i] = i % 7 == 3 ? 0 : 1;
        if (i % 11 == 5) {
            f->bytes[i][f->lens[i] - 9] ^= 0x20;
            f->want[i] = 0;
        }
        if (i % 13 == 6) {
            f->lens[i] -= 10;
            f->want[i] = -1;
        }
        if (i % 17 == 8) {
            f->lens[i] = 0;
            f->want[i] = -1;
        }
    }
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fixture *f = *state;
    free(f->bytes);
    free(f);
    return 0;
}

static void fill(const struct fixture *f, struct ledger_sigcheck *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        items[i].signed_event = f->lens[i] ? f->bytes[i] : NULL;
        items[i].len = f->lens[i];
        items[i].valid = 42; /* overwritten by every run */
    }
}

/* A test executor that runs the jobs last to first on the caller's thread:
 * the results must not depend on the order either. */
static void run_backwards(void *ctx, wb_job_fn job, void *arg, size_t n_jobs)
{
    size_t *runs = ctx;
    (*runs)++;
    for (size_t i = n_jobs; i-- > 0;) job(arg, i);
}

static void check_items(const struct fixture *f, const struct ledger_sigcheck *items, size_t n,
                        const char *how)
{
    for (size_t i = 0; i < n; i++)
        if (items[i].valid != f->want[i])
            fail_msg("%s: event %zu valid=%d, want %d", how, i, items[i].valid, f->want[i]);
}

static void results_match_one_by_one_for_any_executor(void **state)
{
    struct fixture *f = *state;
    /* The expectations agree with a plain check of each event. */
    for (size_t i = 0; i < N_EVENTS; i++) {
        if (f->want[i] < 0) continue;
        struct ledger_event ev;
        int rc = ledger_signed_event_open(f->chain, f->bytes[i], f->lens[i], true, &ev, NULL, 0);
        if ((rc == WB_OK) != (f->want[i] == 1))
            fail_msg("event %zu: open says %s, fixture expects %d", i, wb_strerror(rc),
                     f->want[i]);
    }
    struct ledger_sigcheck items[N_EVENTS];
    fill(f, items, N_EVENTS);
    ledger_sigcheck_run(f->chain, items, N_EVENTS, NULL);
    check_items(f, items, N_EVENTS, "inline");

    size_t runs = 0;
    struct wb_executor backwards = {.run = run_backwards, .ctx = &runs};
    fill(f, items, N_EVENTS);
    ledger_sigcheck_run(f->chain, items, N_EVENTS, &backwards);
    check_items(f, items, N_EVENTS, "jobs last to first");
    assert_int_equal(runs, 1);

    static const unsigned threads[] = {0, 1, 2, 3, 8, WB_EXEC_THREADS_MAX + 5};
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        struct wb_exec_threads te = {.threads = threads[t]};
        struct wb_executor ex = wb_exec_threads(&te);
        char how[32];
        snprintf(how, sizeof how, "%u threads", threads[t]);
        fill(f, items, N_EVENTS);
        ledger_sigcheck_run(f->chain, items, N_EVENTS, &ex);
        check_items(f, items, N_EVENTS, how);
    }
}

/* One job per LEDGER_SIGCHECK_PER_JOB items, the last one partial. */
static void jobs_of_consecutive_items(void **state)
{
    struct fixture *f = *state;
    struct ledger_sigcheck items[N_EVENTS];
    size_t runs = 0;
    struct wb_executor backwards = {.run = run_backwards, .ctx = &runs};
    static const size_t ns[] = {1, LEDGER_SIGCHECK_PER_JOB, LEDGER_SIGCHECK_PER_JOB + 1, N_EVENTS};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        fill(f, items, N_EVENTS);
        ledger_sigcheck_run(f->chain, items, ns[k], &backwards);
        check_items(f, items, ns[k], "a prefix");
        for (size_t i = ns[k]; i < N_EVENTS; i++)
            if (items[i].valid != 42) fail_msg("n=%zu: item %zu past the end touched", ns[k], i);
    }
    assert_int_equal(runs, sizeof ns / sizeof ns[0]);
}

static void fewer_items_than_threads_and_none(void **state)
{
    struct fixture *f = *state;
    struct ledger_sigcheck items[2];
    struct wb_exec_threads te = {.threads = 8};
    struct wb_executor ex = wb_exec_threads(&te);
    fill(f, items, 2);
    ledger_sigcheck_run(f->chain, items, 2, &ex);
    assert_int_equal(items[0].valid, f->want[0]);
    assert_int_equal(items[1].valid, f->want[1]);
    size_t runs = 0;
    struct wb_executor backwards = {.run = run_backwards, .ctx = &runs};
    ledger_sigcheck_run(f->chain, items, 0, &backwards); /* nothing to do, nothing touched */
    ledger_sigcheck_run(f->chain, items, 0, &ex);
    ledger_sigcheck_run(f->chain, items, 0, NULL);
    assert_int_equal(runs, 0);
    assert_int_equal(items[0].valid, f->want[0]);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(results_match_one_by_one_for_any_executor, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(jobs_of_consecutive_items, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(fewer_items_than_threads_and_none, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
