/* The metrics endpoint: an HTTP/1.1 server (libmicrohttpd, in a thread of
 * its own) answering GET and HEAD of /metrics (the Prometheus text format,
 * registry.h), /healthz and /readyz (health.h: 200 "ok" or 503 with one
 * line saying why) from the snapshot on a board (snapshot.h). It never
 * touches the node's state: the board is all it reads. This file is the
 * only one that sees libmicrohttpd's types. */
#ifndef NODE_METRICS_HTTP_H
#define NODE_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/addr.h"
#include "common/wb_error.h"
#include "node/metrics/snapshot.h"

#define METRICS_HTTP_CONNECTIONS_MAX 32u  /* concurrent connections */
#define METRICS_HTTP_TIMEOUT_S 10u        /* an idle connection is closed after this */

struct metrics_http;

/* Resolves addr (a name once, here: start-up only) and serves on it,
 * reading board (borrowed: it must outlive the server). Unless public_ok,
 * the address it resolves to must be a loopback one. Returns 0 and *out,
 * WB_ERR_NOT_FOUND (the name did not resolve), WB_ERR_PERMISSION (not
 * loopback), WB_ERR_IO (cannot listen: in use, say; the server's own line
 * is logged before), WB_ERR_NOMEM; msg (len bytes) says what failed. */
WB_MUST_USE int metrics_http_start(const struct wb_addr *addr, bool public_ok,
                                   struct metrics_board *board, struct metrics_http **out,
                                   char *msg, size_t len);

/* Stops the server: closes its connections, joins its thread, frees it.
 * NULL is allowed. */
void metrics_http_stop(struct metrics_http *h);

#endif
