/* The node's metrics part: it owns the measurements' recorder (record.h),
 * the board the HTTP server reads (snapshot.h) and the server (http.h), and
 * fills the snapshot on the loop from the other parts' accessors (chain,
 * driver, p2p, hold, api, the mempool, the store) plus a few readings of
 * its own (the data folder's file system, the process's memory). node.c
 * publishes on each housekeeping tick and after each commit. State: struct
 * node_metrics, written only by metrics.c, on the loop's thread (the
 * server's thread reads the board alone). */
#ifndef NODE_METRICS_METRICS_H
#define NODE_METRICS_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "node/api/api.h"
#include "node/chain/chain.h"
#include "node/chain/hold.h"
#include "node/driver/driver.h"
#include "node/env.h"
#include "node/metrics/http.h"
#include "node/metrics/record.h"
#include "node/metrics/snapshot.h"
#include "node/p2p/p2p.h"

/* The file system, the store's map and the process's memory are read at
 * most this often (a commit's publish reuses the last reading). */
#define NODE_METRICS_IO_EVERY_MS 1000

struct node_metrics {
    const struct node_env *env;
    const struct node_chain *chain;
    const struct node_driver *driver;
    const struct node_p2p *p2p;
    const struct node_hold *hold;
    const struct node_api *api;
    struct node_metrics_record record; /* env->metrics points here */
    bool started;                      /* the board and the server are up */
    struct metrics_board board;
    struct metrics_http *http;
    struct metrics_snapshot snap;      /* the loop's copy: filled, then published */
    int64_t io_ms;                     /* when the readings of the file system etc. were taken */
};

/* Prepares the recorder and keeps the parts (borrowed: they outlive the
 * metrics; they need not be initialised yet). Cannot fail. */
void node_metrics_init(struct node_metrics *m, const struct node_env *env,
                       const struct node_chain *chain, const struct node_driver *driver,
                       const struct node_p2p *p2p, const struct node_hold *hold,
                       const struct node_api *api);

/* With [metrics] listen set: publishes a first snapshot and starts the
 * server. Without: does nothing. Returns 0, or the server's error (logged
 * with what failed). */
WB_MUST_USE int node_metrics_start(struct node_metrics *m);

/* Fills the snapshot from the parts and publishes it (nothing before the
 * start). now_ms: the loop's clock. */
void node_metrics_publish(struct node_metrics *m, int64_t now_ms);

/* Stops the server (its thread joined) and releases the board. Safe to
 * call when not started. */
void node_metrics_stop(struct node_metrics *m);

#endif
