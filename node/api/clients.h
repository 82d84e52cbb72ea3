/* The connected clients of the API, by link and by connection id (a
 * connection id is never reused, so an answer for a gone connection finds
 * no client). The table is written only by clients.c; a client's waiter
 * count by waiters.c and its watch by watch.c. */
#ifndef NODE_API_CLIENTS_H
#define NODE_API_CLIENTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "node/api/watch.h"
#include "node/net/net.h"

struct node_client {
    struct net_link *link;
    uint64_t conn_id;
    uint8_t key[WB_PUBKEY_LEN];       /* the client key it authenticated with */
    size_t waiters;                   /* its submits waiting for a commit (waiters.c) */
    struct node_watch watch;          /* its watch, if any (watch.c) */
};

struct node_clients {
    struct node_client *table;
    size_t count, max;
    uint64_t next_conn_id;
};

WB_MUST_USE int node_clients_init(struct node_clients *cs, size_t max);
/* A new client on link; NULL when the table is full. */
struct node_client *node_clients_add(struct node_clients *cs, struct net_link *link);
/* The client of link leaves the table. */
void node_clients_remove(struct node_clients *cs, struct net_link *link);
struct node_client *node_clients_by_link(struct node_clients *cs, struct net_link *link);
struct node_client *node_clients_by_conn(struct node_clients *cs, uint64_t conn_id);
void node_clients_free(struct node_clients *cs);

#endif
