/* An executor: how a pure layer (ledger/, consensus/) hands independent jobs
 * to whoever owns the threads. The pure layers start no threads; the caller
 * passes an executor in, or none to have the jobs run one by one. */
#ifndef WB_EXECUTOR_H
#define WB_EXECUTOR_H

#include <stddef.h>

/* One job: `i` is its index in [0, n_jobs) of the run. Jobs of one run must
 * be independent of each other (each writes only what index i owns). */
typedef void (*wb_job_fn)(void *arg, size_t i);

struct wb_executor {
    /* Runs job(arg, i) exactly once for every i in [0, n_jobs), in any
     * order and on any threads, and returns when every job has finished
     * (their writes then visible to the caller). It cannot fail: a job it
     * cannot hand to another thread it runs itself. */
    void (*run)(void *ctx, wb_job_fn job, void *arg, size_t n_jobs);
    void *ctx;
};

/* Runs the jobs through ex, or, with ex NULL, on the caller's thread one by
 * one in index order. n_jobs 0 runs nothing. */
void wb_executor_run(const struct wb_executor *ex, wb_job_fn job, void *arg, size_t n_jobs);

#endif
