/* The threaded executor: the threads of one run share an atomic counter of
 * the next job, so a slow job delays only its own thread. */
#include "common/exec_threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include "common/wb_assert.h"

struct exec_run {
    wb_job_fn job;
    void *arg;
    size_t n_jobs;
    atomic_size_t next;
};

static void *exec_worker(void *p)
{
    struct exec_run *r = p;
    for (;;) {
        size_t i = atomic_fetch_add_explicit(&r->next, 1, memory_order_relaxed);
        if (i >= r->n_jobs) break;
        r->job(r->arg, i);
    }
    return NULL;
}

static void exec_threads_run(void *ctx, wb_job_fn job, void *arg, size_t n_jobs)
{
    const struct wb_exec_threads *te = ctx;
    unsigned threads = te->threads;
    if (threads < 1) threads = 1;
    if (threads > WB_EXEC_THREADS_MAX) threads = WB_EXEC_THREADS_MAX;
    if (threads > n_jobs) threads = (unsigned)n_jobs;
    struct exec_run r = {.job = job, .arg = arg, .n_jobs = n_jobs};
    atomic_init(&r.next, 0);
    pthread_t tid[WB_EXEC_THREADS_MAX];
    bool started[WB_EXEC_THREADS_MAX] = {false};
    /* Thread 0 is the caller. pthread_join gives the happens-before edge
     * that makes every job's writes visible on return. */
    for (unsigned t = 1; t < threads; t++)
        started[t] = pthread_create(&tid[t], NULL, exec_worker, &r) == 0;
    exec_worker(&r);
    for (unsigned t = 1; t < threads; t++)
        if (started[t]) {
            /* Joining a thread started here, once, cannot fail (EDEADLK,
             * EINVAL and ESRCH need another joiner or a bad id). */
            int rc = pthread_join(tid[t], NULL);
            WB_ASSERT(rc == 0);
        }
}

struct wb_executor wb_exec_threads(struct wb_exec_threads *te)
{
    return (struct wb_executor){.run = exec_threads_run, .ctx = te};
}

unsigned wb_exec_threads_cpus(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1) return 1;
    if (cpus > WB_EXEC_THREADS_MAX) return WB_EXEC_THREADS_MAX;
    return (unsigned)cpus;
}
