/* The consensus driver: owns the consensus core and feeds it from a FIFO of
 * inputs, acting on each update in the order cons.h prescribes: persist
 * (fsync) the safety record, send, arm timers, commit a decision, keep
 * evidence, then answer validation and build requests (which queue further
 * inputs) and, when the core waits for work (quiet when idle), tell it once
 * the mempool holds events or the heartbeat is due.
 *
 * Every block the core is to decide is checked once (node/chain/check.h):
 * a proposal when the core asks to validate it, this node's own block when
 * it is built; the checked block is kept (vcache.h) and its decision goes
 * to the commit path without a second check. Only a decided block whose
 * check was lost (replaced in the cache, or validated before a restart) is
 * checked at the decision.
 *
 * State: struct node_driver, written only by driver.c (its parts by
 * timers.c, build.c and vcache.c). Messages leave through the listener's
 * send (the validator links), the events a build drops reach on_dropped,
 * and on_fatal stops the node. */
#ifndef NODE_DRIVER_DRIVER_H
#define NODE_DRIVER_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "consensus/cons.h"
#include "node/chain/chain.h"
#include "node/chain/commit.h"
#include "node/chain/hold.h"
#include "node/driver/build.h"
#include "node/driver/timers.h"
#include "node/driver/vcache.h"
#include "node/env.h"

struct node_driver_listener {
    void (*send)(void *ctx, const struct cons_msg *m);
    mempool_dropped_fn on_dropped;
    void (*on_fatal)(void *ctx);
    void *ctx;
};

struct node_cev;

struct node_driver {
    const struct node_env *env;
    const struct node_chain *chain;
    struct node_commit *commit;
    struct node_hold *hold;
    struct node_driver_listener listener;
    struct cons cons;
    bool inited;                      /* cons_init succeeded: cons_free at the end */
    bool ready;                       /* the core may be stepped */
    bool stopping;
    struct node_cev *q_head, *q_tail; /* inputs not yet stepped */
    bool q_running;
    struct node_cons_timers timers;
    struct node_build build;
    struct node_vcache vcache;
    uint64_t idle_height;             /* the core waits for work here (0: no) */
    uint64_t sync_hint;               /* the core's latest sync_from hint (0: none) */
    /* The height whose first proposal this node held (its own block built,
     * or another's taken up for checking; 0: none yet), and when
     * (node_mono_ns): its commit latency runs from there. */
    uint64_t seen_height;
    uint64_t seen_ns;
    /* The keys of one height's set, handed to the core by the valset
     * callback (it copies them during the call). */
    uint8_t valset_keys[WB_VALIDATORS_MAX][WB_PUBKEY_LEN];
};

WB_MUST_USE int node_driver_init(struct node_driver *d, const struct node_env *env,
                                 const struct node_chain *chain, struct node_commit *commit,
                                 struct node_hold *hold,
                                 const struct node_driver_listener *listener);

/* Starts the core at the chain's next height from the stored safety record
 * (if any), signing with secret key sk (copied into the core; every copy
 * made here is wiped on every path). */
WB_MUST_USE int node_driver_start(struct node_driver *d, const uint8_t sk[WB_SECKEY_LEN]);

/* Steps the core again from what is stored, as a restart would: drops its
 * queue, timers, kept blocks and pending build, frees it and starts it. */
WB_MUST_USE int node_driver_restart(struct node_driver *d, const uint8_t sk[WB_SECKEY_LEN]);

/* Queues one input and runs the queue. Dropped while stopping, before the
 * start or while a storage fault holds the node (peers send again). */
void node_driver_feed(struct node_driver *d, const struct cons_event *ev);

/* The mempool grew: a waiting build goes ahead, a wait for work may end. */
void node_driver_on_mempool_grew(struct node_driver *d);

/* Steps CONS_EV_WORK if the core waits for work and the mempool holds
 * events or the heartbeat is due (also from the housekeeping tick). */
void node_driver_check_idle(struct node_driver *d);

/* The chain reached `height` (a decision or block sync): kept blocks and
 * timers of decided heights go, the sync hint is spent, and the height's
 * commit latency is recorded (env->metrics) when this node held a proposal
 * of it. */
void node_driver_on_committed(struct node_driver *d, uint64_t height);

/* Drops the queued inputs, timers, kept blocks and a pending build (a
 * storage fault begins). */
void node_driver_drop_pending(struct node_driver *d);

/* Stops for shutdown: drops what is pending, closes the build timer. */
void node_driver_stop(struct node_driver *d);

/* Frees the core (after the loop ended). */
void node_driver_free(struct node_driver *d);

/* This validator's latest messages of the current height, to send again. */
void node_driver_own_messages(struct node_driver *d, const struct cons_msg **msgs,
                              size_t *count);

static inline bool node_driver_ready(const struct node_driver *d) { return d->ready; }
static inline uint32_t node_driver_round(const struct node_driver *d)
{
    return d->ready ? cons_round(&d->cons) : 0;
}
static inline uint64_t node_driver_sync_hint(const struct node_driver *d) { return d->sync_hint; }
/* Block sync asked for blocks: the hint is acted on. */
void node_driver_sync_hint_spent(struct node_driver *d);

#endif
