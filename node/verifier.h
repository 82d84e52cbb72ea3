/* Signature checks of incoming events on a worker thread, so the event loop
 * (consensus) never waits behind them; results return in submission order. */
#ifndef NODE_VERIFIER_H
#define NODE_VERIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "ledger/types.h"

/* Where an event came from, so the loop knows how to finish its admission. */
enum verifier_kind {
    VERIFIER_SUBMIT = 1,              /* a client's submission: it gets an answer */
    VERIFIER_GOSSIP = 2,              /* a peer's gossip: nobody is answered */
};

/* What the loop needs to finish an admission. The verifier copies it in
 * verifier_submit and hands it back untouched. */
struct verifier_ticket {
    enum verifier_kind kind;
    uint64_t conn_id;                 /* SUBMIT: the client connection to answer */
    uint64_t req_id;                  /* SUBMIT: the request id to answer with */
    bool no_wait;                     /* SUBMIT: answer at admission, not at commit */
    uint64_t height;                  /* the committed height when the job went in */
    uint8_t id[WB_HASH_LEN];          /* the event id, when the caller computed it */
};

/* A checked job as the loop sees it (read-only for the callbacks). */
struct verifier_job {
    struct verifier_job *next;        /* the verifier's queue link */
    struct verifier_ticket ticket;
    /* ledger_signed_event_open(chain_id, bytes, len, verify = true, ...):
     * 0 when the event decodes and its signature verifies for its submitter
     * on the chain, else that call's error (WB_ERR_DECODE, WB_ERR_INVALID,
     * WB_ERR_CHECK_DIGIT, WB_ERR_SIGNATURE, ...); or WB_ERR_EXISTS, never
     * returned by that call, when cfg.skip said the check was not needed
     * (nothing was checked). */
    int rc;
    /* The message that call wrote when rc != 0 (NULL when rc == 0, or when
     * no memory was left to keep it). */
    char *reason;
    size_t len;
    uint8_t bytes[];                  /* the SignedEvent bytes, as submitted */
};

/* Called on the loop thread for each checked job, in submission order. The
 * job is valid during the call only (the verifier frees it afterwards). The
 * callback may call verifier_submit, but not verifier_close. */
typedef void (*verifier_done_fn)(void *ctx, const struct verifier_job *job);

/* Called on the loop thread after each run of done calls (at most batch_max
 * of them), e.g. to act once on everything the run admitted. May be NULL. */
typedef void (*verifier_batch_fn)(void *ctx);

/* Called on the WORKER thread before a job is checked, with the event id
 * (SHA-256 of the body of the job's bytes, which split as a SignedEvent):
 * true means the check is not needed any more (e.g. the event is committed
 * already, its block checked it), and the job is delivered with rc =
 * WB_ERR_EXISTS without a check. It may only read state that is safe to read
 * from another thread while the loop runs (the store is). */
typedef bool (*verifier_skip_fn)(void *ctx, const struct verifier_ticket *ticket,
                                 const uint8_t id[WB_HASH_LEN]);

/* Called on the loop thread once verifier_close has finished. */
typedef void (*verifier_closed_fn)(void *ctx);

struct verifier_config {
    uint8_t chain_id[WB_CHAIN_ID_LEN]; /* signatures are checked for this chain */
    size_t jobs_max;                  /* jobs submitted and not yet delivered, >= 1 */
    size_t bytes_max;                 /* their signed-event bytes, >= WB_SIGNED_EVENT_MAX */
    size_t batch_max;                 /* done calls per loop turn, >= 1 */
    /* Added to the worker thread's nice value (0 = unchanged; a positive
     * value lets the kernel favour the loop thread). If the kernel refuses,
     * the worker logs a warning once and runs at the loop's priority. */
    int nice;
    verifier_done_fn done;            /* required */
    verifier_batch_fn batch_done;     /* may be NULL */
    verifier_skip_fn skip;            /* may be NULL: every job is checked */
    void *ctx;                        /* passed to every callback */
};

/* Counters, kept on the loop thread. */
struct verifier_stats {
    uint64_t submitted;               /* jobs accepted by verifier_submit */
    uint64_t delivered;               /* done calls made */
    uint64_t refused;                 /* verifier_submit calls answered WB_ERR_BUSY */
    uint64_t skipped;                 /* jobs delivered with WB_ERR_EXISTS (cfg.skip) */
    size_t jobs_peak;                 /* most jobs outstanding at once */
};

/* Threading: every function below must be called on the loop's thread. */
struct verifier;

/* Creates a verifier on `loop` and starts its worker thread (with every
 * signal blocked: the loop thread handles signals). cfg is copied.
 * Returns 0 and *out, WB_ERR_INVALID (a NULL argument or done, a limit out
 * of range), WB_ERR_NOMEM, or WB_ERR_IO (the thread, lock or uv_async_t
 * could not be set up; nothing is left behind). */
int verifier_create(uv_loop_t *loop, const struct verifier_config *cfg, struct verifier **out);

/* Queues a copy of signed_event (len bytes; the caller keeps its buffer)
 * with a copy of *ticket for the worker. The result arrives later through
 * cfg.done. reason (may be NULL) receives a sentence for every error.
 * Returns 0, WB_ERR_BUSY when jobs_max jobs or bytes_max bytes are
 * outstanding (submitted and not yet delivered), WB_ERR_TOO_LARGE over
 * WB_SIGNED_EVENT_MAX bytes, WB_ERR_INVALID for an empty event, or
 * WB_ERR_NOMEM. On error nothing is queued. */
int verifier_submit(struct verifier *v, const struct verifier_ticket *ticket,
                    const uint8_t *signed_event, size_t len, char *reason, size_t reason_len);

/* Jobs submitted and not yet delivered, and their signed-event bytes. */
size_t verifier_jobs(const struct verifier *v);
size_t verifier_bytes(const struct verifier *v);

/* The counters so far. */
void verifier_get_stats(const struct verifier *v, struct verifier_stats *st);

/* Stops the worker (it finishes the check in progress, at most one event),
 * joins it, frees every job not yet delivered without calling done, and
 * closes the uv_async_t. From this call on no done or batch_done call is
 * made. closed(ctx) (may be NULL) runs on the loop once the handle is
 * closed; the verifier's memory is freed then: v is invalid after this
 * call. NULL v is a no-op. */
void verifier_close(struct verifier *v, verifier_closed_fn closed, void *ctx);

#endif
