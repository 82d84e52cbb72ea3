/* Signature checks of many events, cut into jobs of consecutive items for
 * the caller's executor. No threads here: ledger/ is pure. */
#include "ledger/sigcheck.h"

#include <stdbool.h>
#include <stdlib.h>

#include "common/wb_error.h"
#include "ledger/event.h"

struct sigcheck_run {
    const uint8_t *chain_id;
    struct ledger_sigcheck *items;
    size_t n;
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

/* Job j: items [j * PER_JOB, (j + 1) * PER_JOB), with one decoding buffer
 * (an event is several KiB: too large for a worker thread's stack). */
static void sigcheck_job(void *arg, size_t j)
{
    struct sigcheck_run *r = arg;
    size_t first = j * LEDGER_SIGCHECK_PER_JOB;
    size_t end = first + LEDGER_SIGCHECK_PER_JOB;
    if (end > r->n) end = r->n;
    struct ledger_event *ev = malloc(sizeof *ev);
    for (size_t i = first; i < end; i++) sigcheck_one(r->chain_id, &r->items[i], ev);
    free(ev);
}

void ledger_sigcheck_run(const uint8_t chain_id[WB_CHAIN_ID_LEN], struct ledger_sigcheck *items,
                         size_t n, const struct wb_executor *ex)
{
    struct sigcheck_run r = {.chain_id = chain_id, .items = items, .n = n};
    size_t jobs = n / LEDGER_SIGCHECK_PER_JOB + (n % LEDGER_SIGCHECK_PER_JOB != 0);
    wb_executor_run(ex, sigcheck_job, &r, jobs);
}
