/* The Waybill daemon: wires the consensus core to libuv TCP links, timers,
 * the LMDB store, the mempool and the client API (DESIGN.md sections 4-7). */
#ifndef NODE_NODE_H
#define NODE_NODE_H

#include "common/wb_error.h"
#include "node/config.h"

/* Runs a node from a loaded config until SIGINT or SIGTERM, then shuts down
 * cleanly (links closed, store closed). Returns 0 after a clean shutdown, or
 * a negative wb_err when start-up fails (the reason is logged). */
WB_MUST_USE int node_run(const struct node_config *cfg);

#endif
