/* Storage faults on the commit path. A write the node needs failed (a
 * decided block, the consensus safety record): the node holds consensus at
 * the first height not stored (no votes, no proposals, no appends) while
 * reads and status go on, and retries the write with backoff (0.5 s
 * doubling to 10 s). Once it succeeds (or block sync stored the height) the
 * consensus core is restarted from storage. One ERROR line names the data
 * folder, the error and what the node does; one INFO line the recovery.
 *
 * The state is struct node_hold, written only by hold.c. It tells the
 * driver through its listener: on_hold (drop what is queued for the
 * consensus core) when a fault begins, on_resume (restart the core from
 * storage) when it ends, on_fatal when it cannot go on. */
#ifndef NODE_CHAIN_HOLD_H
#define NODE_CHAIN_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/wb_error.h"
#include "node/chain/commit.h"
#include "node/env.h"

#define NODE_STORE_RETRY_FIRST_MS 500
#define NODE_STORE_RETRY_MAX_MS 10000

struct node_hold_listener {
    void (*on_hold)(void *ctx);
    WB_MUST_USE int (*on_resume)(void *ctx);
    void (*on_fatal)(void *ctx);
    void *ctx;
};

struct node_hold {
    const struct node_env *env;
    struct node_commit *commit;       /* a held decided block is appended through it */
    struct node_hold_listener listener;
    bool stopping;
    bool held;                        /* a write failed: no votes, no appends */
    bool full;                        /* ... because the data folder is full */
    char error[200];                  /* what failed (status: "error: ...") */
    uint64_t held_height;             /* the first height not stored */
    uv_timer_t retry_timer;
    bool retry_inited;
    uint32_t backoff_ms;              /* next retry delay */
    uint32_t retries;                 /* failed retries of this fault */
    uint8_t *block, *cert;            /* the decided block (and cert) to append */
    size_t block_len, cert_len;
    uint64_t block_height;
    uint8_t *safety;                  /* the safety record to write */
    size_t safety_len;
};

void node_hold_init(struct node_hold *h, const struct node_env *env, struct node_commit *commit,
                    const struct node_hold_listener *listener);

/* Whether the node holds: the consensus core must not be stepped. */
static inline bool node_hold_active(const struct node_hold *h) { return h->held; }

/* A block (bytes, height; cert may be NULL for one from block sync, which
 * is not kept: sync brings it again) failed to append with rc; the node
 * holds. Copies what it keeps. */
void node_hold_append_failed(struct node_hold *h, int rc, uint64_t height, const uint8_t *block,
                             size_t block_len, const uint8_t *cert, size_t cert_len);
/* The safety record `rec` could not be written durably: nothing of the
 * update is sent, the node holds and writes rec again on retry. */
void node_hold_safety_failed(struct node_hold *h, int rc, const uint8_t *rec, size_t len);
/* A block was appended: while held, retry at once (the disk writes again). */
void node_hold_on_appended(struct node_hold *h);
/* "ok", "full" or "error: TEXT" into buf. */
const char *node_hold_state(const struct node_hold *h, char *buf, size_t len);
/* Whether rc from an append is a failure of the disk rather than of the block. */
bool node_hold_is_fault(int rc);
/* Full or not, from the failed write's errno and the bytes still free on
 * the data folder's file system (UINT64_MAX when unknown). */
bool node_hold_classify_full(int write_err, uint64_t free_bytes);
/* Closes the retry timer and frees what a fault keeps (node shutdown). */
void node_hold_stop(struct node_hold *h);

#endif
