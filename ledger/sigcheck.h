/* Checks the signatures of many signed events as independent jobs of an
 * executor: the bulk of the customs verifier's work, done before its
 * in-order replay. The threads, if any, are the caller's (common/executor.h). */
#ifndef LEDGER_SIGCHECK_H
#define LEDGER_SIGCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "common/executor.h"
#include "ledger/types.h"

/* Items per executor job: one job costs about a dozen checks to hand to a
 * new thread, so it holds more than that. */
#define LEDGER_SIGCHECK_PER_JOB 32

/* One event to check. */
struct ledger_sigcheck {
    const uint8_t *signed_event; /* in: SignedEvent bytes (NULL with len 0: nothing to check) */
    size_t len;                  /* in */
    int8_t valid;                /* out: as ledger_signed_event_open with verify_sig says:
                                  * 1 the signature verifies for the body's submitter key,
                                  * 0 it does not (WB_ERR_SIGNATURE), -1 not checked (the
                                  * bytes do not split, the body does not decode, or a
                                  * job found no memory for its decoding) */
};

/* Checks items[0..n) against chain_id (wb_event_sig_verify with the key the
 * body names) as ceil(n / LEDGER_SIGCHECK_PER_JOB) jobs of ex, each job a
 * run of consecutive items; ex NULL checks them one by one on the caller's
 * thread. Every item ends with a result, and the results never depend on
 * the executor. */
void ledger_sigcheck_run(const uint8_t chain_id[WB_CHAIN_ID_LEN], struct ledger_sigcheck *items,
                         size_t n, const struct wb_executor *ex);

#endif
