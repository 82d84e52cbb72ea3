/* The durations the node's parts measure on the loop, kept for the metrics
 * snapshot (node/metrics/metrics.h copies them out): how long each block
 * check took (node/chain/check.c) and each height's commit latency
 * (node/driver/driver.c). State: struct node_metrics_record, written only
 * through the functions below, on the loop's thread; node.c owns one and
 * points env->metrics at it. Below every part: it calls nothing of the node. */
#ifndef NODE_METRICS_RECORD_H
#define NODE_METRICS_RECORD_H

#include <stdint.h>

#include "node/metrics/hist.h"

struct node_metrics_record {
    /* From the moment this node first held a proposal of a height (its own
     * block built, or another's proposal taken up for checking) to that
     * height's block stored. */
    struct metrics_hist commit_latency;
    /* One block check (ledger_block_check_full on the chain's head). */
    struct metrics_hist block_check;
};

/* Empty histograms with the bounds docs/operating.md lists. */
void node_metrics_record_init(struct node_metrics_record *r);

/* A height's commit latency, ns nanoseconds. r may be NULL (not recorded). */
void node_metrics_record_commit(struct node_metrics_record *r, uint64_t ns);

/* A block check of ns nanoseconds. r may be NULL (not recorded). */
void node_metrics_record_check(struct node_metrics_record *r, uint64_t ns);

#endif
