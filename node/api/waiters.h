/* Clients waiting for their submitted events to commit (or be dropped):
 * by event id, several per event, at most NODE_WAITERS_MAX in all and
 * NODE_WAITERS_PER_CLIENT per connection. A waiter outlives its connection
 * until its event resolves; the answer to a gone connection is dropped.
 * Written only by waiters.c. */
#ifndef NODE_API_WAITERS_H
#define NODE_API_WAITERS_H

#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/types.h"
#include "node/api/clients.h"
#include "node/idmap.h"

#define NODE_WAITERS_MAX 200000       /* clients waiting for their events to commit */
#define NODE_WAITERS_PER_CLIENT 16384 /* ... of them on one connection */

struct node_waiter;

struct node_waiters {
    struct node_clients *clients;
    struct idmap *by_id;              /* event id -> struct node_waiter list */
    struct node_waiter *all;          /* every waiter, for shutdown */
    size_t count;
};

WB_MUST_USE int node_waiters_init(struct node_waiters *ws, struct node_clients *clients);
/* Client c waits for event id (request req_id). WB_ERR_BUSY when full. */
WB_MUST_USE int node_waiters_add(struct node_waiters *ws, const uint8_t id[WB_HASH_LEN],
                                 struct node_client *c, uint64_t req_id);
/* Event id is committed at (height, index): its waiters are answered. */
void node_waiters_committed(struct node_waiters *ws, const uint8_t id[WB_HASH_LEN],
                            uint64_t height, uint32_t index);
/* Event id was dropped: its waiters get err and reason. */
void node_waiters_dropped(struct node_waiters *ws, const uint8_t id[WB_HASH_LEN], int err,
                          const char *reason);
void node_waiters_free(struct node_waiters *ws);

#endif
