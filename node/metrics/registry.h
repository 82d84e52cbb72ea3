/* Every metric the node exposes, in one table (registry.c): its name, type,
 * help text and where its value lies in the snapshot. docs/operating.md,
 * "Metrics and health", lists the same names with their meaning. */
#ifndef NODE_METRICS_REGISTRY_H
#define NODE_METRICS_REGISTRY_H

#include <stddef.h>

#include "common/wb_error.h"
#include "node/metrics/expo.h"
#include "node/metrics/snapshot.h"

/* Appends every metric of snapshot s to b in the text format, in the
 * table's order; metrics whose value is not known (s says so: the file
 * system did not answer, the process's memory could not be read) are left
 * out. Returns expo_buf_err(b). */
WB_MUST_USE int metrics_registry_write(const struct metrics_snapshot *s, struct expo_buf *b);

/* The number of metric families in the table, and the name of the i-th
 * (NULL past the end): for tests and docs checks. */
size_t metrics_registry_count(void);
const char *metrics_registry_name(size_t i);

#endif
