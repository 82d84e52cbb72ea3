/* Signature checks of many events, split over threads: thread t checks the
 * items t, t + T, t + 2T, ... so every thread gets a similar share. */
#include "ledger/sigcheck.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/wb_error.h"
#include "ledger/event.h"

struct sigcheck_share {
    const uint8_t *chain_id;
    struct ledger_sigcheck *items;
    size_t n;
    size_t first;
    size_t step;
};

static void sigcheck_one(const uint8_t *chain_id, struct ledger_sigcheck *it,
                         struct ledger_event *ev)
{
    it->valid = -1;
    if (!it->signed_event || !ev) return;
    int rc = ledger_signed_event_open(chain_id, it->signed_event, it->len, true, ev, NULL, 0);
    if (rc == WB_OK) it->valid = 1;
    else if (rc == WB_ERR_SIGNATURE) it->valid = 0;
}

static void *sigcheck_share_run(void *arg)
{
    struct sigcheck_share *sh = arg;
    struct ledger_event *ev = malloc(sizeof *ev);
    for (size_t i = sh->first; i < sh->n; i += sh->step)
        sigcheck_one(sh->chain_id, &sh->items[i], ev);
    free(ev);
    return NULL;
}

void ledger_sigcheck_run(const uint8_t chain_id[WB_CHAIN_ID_LEN], struct ledger_sigcheck *items,
                         size_t n, unsigned threads)
{
    if (threads < 1) threads = 1;
    if (threads > LEDGER_SIGCHECK_THREADS_MAX) threads = LEDGER_SIGCHECK_THREADS_MAX;
    if (threads > n) threads = n ? (unsigned)n : 1;
    struct sigcheck_share sh[LEDGER_SIGCHECK_THREADS_MAX];
    pthread_t tid[LEDGER_SIGCHECK_THREADS_MAX];
    bool started[LEDGER_SIGCHECK_THREADS_MAX] = {false};
    for (unsigned t = 0; t < threads; t++)
        sh[t] = (struct sigcheck_share){
            .chain_id = chain_id, .items = items, .n = n, .first = t, .step = threads};
    /* Share 0 is the caller's; a share whose thread did not start is too. */
    for (unsigned t = 1; t < threads; t++)
        started[t] = pthread_create(&tid[t], NULL, sigcheck_share_run, &sh[t]) == 0;
    sigcheck_share_run(&sh[0]);
    for (unsigned t = 1; t < threads; t++) {
        if (started[t]) pthread_join(tid[t], NULL);
        else sigcheck_share_run(&sh[t]);
    }
}

unsigned ledger_sigcheck_threads(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1) return 1;
    if (cpus > LEDGER_SIGCHECK_THREADS_MAX) return LEDGER_SIGCHECK_THREADS_MAX;
    return (unsigned)cpus;
}
