/* A struct wb_executor (common/executor.h) on POSIX threads: each run starts
 * its threads and joins them before it returns. This is where the threads of
 * the pure layers' parallel work live; ledger/ and consensus/ never include
 * it, their callers (the CLI, the node) do and pass the executor in. */
#ifndef WB_EXEC_THREADS_H
#define WB_EXEC_THREADS_H

#include "common/executor.h"

#define WB_EXEC_THREADS_MAX 16

struct wb_exec_threads {
    unsigned threads; /* used by a run, the caller's among them: clamped to
                       * 1..WB_EXEC_THREADS_MAX and to the run's job count */
};

/* An executor over te (which must outlive it): a run of n jobs uses
 * min(te->threads, n) threads, the caller's and up to threads - 1 started
 * for it, each taking the next job not yet taken until none is left, so
 * every job runs once whatever the count. A thread that cannot be started
 * leaves the jobs to the others (with none started the caller runs them
 * all). Runs may be made from several threads at once. */
struct wb_executor wb_exec_threads(struct wb_exec_threads *te);

/* The number of threads worth using on this machine: the online CPUs,
 * clamped to 1..WB_EXEC_THREADS_MAX. */
unsigned wb_exec_threads_cpus(void);

#endif
