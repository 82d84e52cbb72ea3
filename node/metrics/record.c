/* The parts' measurements (record.h) and their bucket bounds. */
#include "node/metrics/record.h"

#define MS 1000000ull
#define US 1000ull

/* A height takes a few round trips on a healthy network, a round timeout
 * (3 s by default) or more when a round fails. */
static const uint64_t commit_bounds_ns[] = {
    5 * MS, 10 * MS, 25 * MS, 50 * MS, 100 * MS, 250 * MS, 500 * MS,
    1000 * MS, 2500 * MS, 5000 * MS, 10000 * MS, 30000 * MS, 60000 * MS,
};

/* An empty block checks in microseconds, a full one (thousands of
 * signatures) in a second or so. */
static const uint64_t check_bounds_ns[] = {
    100 * US, 500 * US, 1 * MS, 2500 * US, 5 * MS, 10 * MS, 25 * MS,
    50 * MS, 100 * MS, 250 * MS, 500 * MS, 1000 * MS, 2500 * MS, 5000 * MS,
};

void node_metrics_record_init(struct node_metrics_record *r)
{
    metrics_hist_init(&r->commit_latency, commit_bounds_ns,
                      sizeof commit_bounds_ns / sizeof commit_bounds_ns[0]);
    metrics_hist_init(&r->block_check, check_bounds_ns,
                      sizeof check_bounds_ns / sizeof check_bounds_ns[0]);
}

void node_metrics_record_commit(struct node_metrics_record *r, uint64_t ns)
{
    if (r) metrics_hist_observe(&r->commit_latency, ns);
}

void node_metrics_record_check(struct node_metrics_record *r, uint64_t ns)
{
    if (r) metrics_hist_observe(&r->block_check, ns);
}
