/* A histogram of durations with fixed bucket bounds, the shape Prometheus
 * exposes: a count per bucket, the number of observations and their sum,
 * in integer nanoseconds so that totals are exact. Plain data: the loop
 * fills one and a copy travels in the snapshot (snapshot.h). */
#ifndef NODE_METRICS_HIST_H
#define NODE_METRICS_HIST_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_HIST_BOUNDS_MAX 16

struct metrics_hist {
    size_t bound_count;
    uint64_t bounds_ns[METRICS_HIST_BOUNDS_MAX];     /* upper bounds, ascending (le) */
    /* Observations per bucket, not cumulative: counts[i] those in
     * (bounds_ns[i-1], bounds_ns[i]], counts[bound_count] those above the last. */
    uint64_t counts[METRICS_HIST_BOUNDS_MAX + 1];
    uint64_t count;                                  /* observations */
    uint64_t sum_ns;                                 /* their sum */
};

/* An empty histogram with the n bounds (1..METRICS_HIST_BOUNDS_MAX, strictly
 * ascending, asserted), copied. */
void metrics_hist_init(struct metrics_hist *h, const uint64_t *bounds_ns, size_t n);

/* Counts one observation of ns nanoseconds. */
void metrics_hist_observe(struct metrics_hist *h, uint64_t ns);

#endif
