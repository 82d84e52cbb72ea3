/* Unit tests of common/executor.c and common/exec_threads.c: inline runs go
 * in index order on the caller's thread; the threaded executor runs every
 * job exactly once whatever the thread count, really runs jobs at the same
 * time, and leaves every job's writes visible when it returns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "common/exec_threads.h"
#include "common/executor.h"

#define N_MAX 1000

struct count_ctx {
    atomic_uint runs[N_MAX];
    size_t order[N_MAX];   /* inline only: the index of the k-th call */
    size_t calls;
    pthread_t caller;
    bool off_caller;       /* some job ran on another thread */
    uint64_t out[N_MAX];   /* written by job i, read after the run */
};

static void count_job(void *arg, size_t i)
{
    struct count_ctx *c = arg;
    atomic_fetch_add(&c->runs[i], 1);
    if (!pthread_equal(pthread_self(), c->caller)) c->off_caller = true;
    c->out[i] = (uint64_t)i * 2654435761u;
}

static void inline_order(void *arg, size_t i)
{
    struct count_ctx *c = arg;
    c->order[c->calls++] = i;
    count_job(arg, i);
}

static void no_executor_runs_in_order_on_the_caller(void **state)
{
    (void)state;
    struct count_ctx *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->caller = pthread_self();
    wb_executor_run(NULL, inline_order, c, 7);
    assert_int_equal(c->calls, 7);
    for (size_t k = 0; k < 7; k++) assert_int_equal(c->order[k], k);
    assert_false(c->off_caller);
    /* An executor without a run function is no executor. */
    struct wb_executor none = {.run = NULL, .ctx = NULL};
    wb_executor_run(&none, inline_order, c, 3);
    assert_int_equal(c->calls, 10);
    wb_executor_run(NULL, inline_order, c, 0);
    assert_int_equal(c->calls, 10);
    free(c);
}

static void threads_run_every_job_once(void **state)
{
    (void)state;
    static const unsigned threads[] = {0, 1, 2, 3, 16, 100};
    static const size_t ns[] = {0, 1, 5, 17, N_MAX};
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
            struct count_ctx *c = calloc(1, sizeof *c);
            assert_non_null(c);
            c->caller = pthread_self();
            struct wb_exec_threads te = {.threads = threads[t]};
            struct wb_executor ex = wb_exec_threads(&te);
            wb_executor_run(&ex, count_job, c, ns[k]);
            for (size_t i = 0; i < N_MAX; i++) {
                unsigned want = i < ns[k] ? 1 : 0;
                if (atomic_load(&c->runs[i]) != want)
                    fail_msg("%u threads, %zu jobs: job %zu ran %u times", threads[t], ns[k], i,
                             atomic_load(&c->runs[i]));
                if (c->out[i] != (want ? (uint64_t)i * 2654435761u : 0))
                    fail_msg("%u threads, %zu jobs: job %zu's write not seen", threads[t],
                             ns[k], i);
            }
            if (threads[t] <= 1 && c->off_caller)
                fail_msg("%u threads: a job ran off the caller's thread", threads[t]);
            free(c);
        }
    }
}

/* Job 0 waits until job 1 has run: two jobs that need each other finish
 * only when they run on two threads at once (or it gives up after 10 s). */
struct meet_ctx {
    atomic_bool one_done;
    bool met;
};

static void meet_job(void *arg, size_t i)
{
    struct meet_ctx *m = arg;
    if (i == 1) {
        atomic_store(&m->one_done, true);
        return;
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        if (atomic_load(&m->one_done)) {
            m->met = true;
            return;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec - start.tv_sec < 10);
}

static void two_threads_run_at_once(void **state)
{
    (void)state;
    struct meet_ctx m = {.met = false};
    atomic_init(&m.one_done, false);
    struct wb_exec_threads te = {.threads = 2};
    struct wb_executor ex = wb_exec_threads(&te);
    wb_executor_run(&ex, meet_job, &m, 2);
    assert_true(m.met);
}

static void thread_count_of_this_machine(void **state)
{
    (void)state;
    unsigned t = wb_exec_threads_cpus();
    assert_true(t >= 1 && t <= WB_EXEC_THREADS_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_executor_runs_in_order_on_the_caller),
        cmocka_unit_test(threads_run_every_job_once),
        cmocka_unit_test(two_threads_run_at_once),
        cmocka_unit_test(thread_count_of_this_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
