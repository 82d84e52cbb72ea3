/* Histograms of durations (hist.h). */
#include "node/metrics/hist.h"

#include <string.h>

#include "common/wb_assert.h"

void metrics_hist_init(struct metrics_hist *h, const uint64_t *bounds_ns, size_t n)
{
    WB_ASSERT(n >= 1 && n <= METRICS_HIST_BOUNDS_MAX);
    memset(h, 0, sizeof *h);
    for (size_t i = 0; i < n; i++) {
        WB_ASSERT(i == 0 || bounds_ns[i] > bounds_ns[i - 1]);
        h->bounds_ns[i] = bounds_ns[i];
    }
    h->bound_count = n;
}

void metrics_hist_observe(struct metrics_hist *h, uint64_t ns)
{
    size_t i = 0;
    while (i < h->bound_count && ns > h->bounds_ns[i]) i++;
    h->counts[i]++;
    h->count++;
    h->sum_ns += ns;
}
