/* Checks the signatures of many signed events on several threads: the bulk
 * of the customs verifier's work, done before its in-order replay. */
#ifndef LEDGER_SIGCHECK_H
#define LEDGER_SIGCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/types.h"

#define LEDGER_SIGCHECK_THREADS_MAX 16

/* One event to check. */
struct ledger_sigcheck {
    const uint8_t *signed_event; /* in: SignedEvent bytes (NULL with len 0: nothing to check) */
    size_t len;                  /* in */
    int8_t valid;                /* out: as ledger_signed_event_open with verify_sig says:
                                  * 1 the signature verifies for the body's submitter key,
                                  * 0 it does not (WB_ERR_SIGNATURE), -1 not checked (the
                                  * bytes do not split or the body does not decode) */
};

/* Checks items[0..n) against chain_id (wb_event_sig_verify with the key the
 * body names) on up to `threads` threads, the caller's among them; threads is
 * clamped to 1..LEDGER_SIGCHECK_THREADS_MAX. A thread that cannot be started
 * or cannot get memory leaves its share to the caller or marks it -1, so
 * every item ends with a result; the results never depend on `threads`. */
void ledger_sigcheck_run(const uint8_t chain_id[WB_CHAIN_ID_LEN], struct ledger_sigcheck *items,
                         size_t n, unsigned threads);

/* The number of threads worth using on this machine: the online CPUs,
 * clamped to 1..LEDGER_SIGCHECK_THREADS_MAX. */
unsigned ledger_sigcheck_threads(void);

#endif
