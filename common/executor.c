/* Running jobs through an executor, or inline when there is none. */
#include "common/executor.h"

#include "common/wb_assert.h"

void wb_executor_run(const struct wb_executor *ex, wb_job_fn job, void *arg, size_t n_jobs)
{
    WB_ASSERT(job != NULL);
    if (n_jobs == 0) return;
    if (ex && ex->run) {
        ex->run(ex->ctx, job, arg, n_jobs);
        return;
    }
    for (size_t i = 0; i < n_jobs; i++) job(arg, i);
}
