/* What /healthz and /readyz answer, decided from a published snapshot and
 * the time now (docs/operating.md, "Metrics and health"). Pure: no clock,
 * no I/O; the server passes both in.
 *
 * Healthy: the event loop published a snapshot within the health window
 * (it runs), and at some moment of the last health window a quorum of the
 * validators of the next height had a link up with this node, this node
 * counted when it is one of them.
 *
 * Ready: healthy, no failed write holds consensus, block sync is not
 * catching up (the height f+1 connected validators claim is at most one
 * ahead and no block request waits), and the newest block it holds is at
 * most ready_heartbeats heartbeats old by its block time. */
#ifndef NODE_METRICS_HEALTH_H
#define NODE_METRICS_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "node/metrics/snapshot.h"

/* Room for every reason the two functions write. */
#define METRICS_REASON_MAX 320

/* Whether the node is healthy at now_ms; reason (len bytes) gets "ok" or
 * one line saying why not, e.g. "no quorum: 1 of 4 validators connected,
 * 3 needed (last quorum 12 s ago)". */
WB_MUST_USE bool metrics_healthy(const struct metrics_snapshot *s, int64_t now_ms, char *reason,
                                 size_t len);

/* Whether the node is ready at now_ms; reason as above, e.g. "syncing:
 * at height 10, validators reached 52". */
WB_MUST_USE bool metrics_ready(const struct metrics_snapshot *s, int64_t now_ms, char *reason,
                               size_t len);

#endif
