/* What every part of the node reads and none of them owns: the event loop,
 * the config, the genesis, this validator's index, the store handle, the
 * mempool and the measurements' recorder. node.c fills it at start-up and frees what it holds at the end;
 * the parts (node/chain, node/driver, node/p2p, node/api) keep a pointer to
 * it and never write it. The clock lives here too. */
#ifndef NODE_ENV_H
#define NODE_ENV_H

#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "ledger/genesis.h"
#include "node/config.h"

struct store;
struct mempool;
struct node_metrics_record;

struct node_env {
    uv_loop_t *loop;
    const struct node_config *cfg;
    /* The registry in effect for the next block: the genesis file until the
     * chain is loaded, then the chain's governance view (node_chain_view),
     * whose contents change as governance events commit. */
    const struct ledger_genesis *genesis;
    const uint8_t *self_key;          /* this node's public key (its index depends on
                                         the height: node_chain_self_at) */
    struct store *store;
    struct mempool *mempool;
    /* Durations the parts measure (node/metrics/record.h): written only
     * through its functions, on the loop's thread. */
    struct node_metrics_record *metrics;
};

/* Wall-clock milliseconds since the epoch: block times, timeouts, ages. */
static inline int64_t node_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Monotonic nanoseconds (an arbitrary origin): durations. */
static inline uint64_t node_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
