/* Clients waiting for commits (waiters.h). */
#include "node/api/waiters.h"

#include <stdlib.h>
#include <string.h>

#include "node/api/respond.h"

struct node_waiter {
    struct node_waiter *next;         /* next waiter on the same event */
    struct node_waiter *all_prev, *all_next;
    uint64_t conn_id;
    uint64_t req_id;
};

int node_waiters_init(struct node_waiters *ws, struct node_clients *clients)
{
    memset(ws, 0, sizeof *ws);
    ws->clients = clients;
    return idmap_create(1024, &ws->by_id);
}

int node_waiters_add(struct node_waiters *ws, const uint8_t id[WB_HASH_LEN],
                     struct node_client *c, uint64_t req_id)
{
    if (ws->count >= NODE_WAITERS_MAX || c->waiters >= NODE_WAITERS_PER_CLIENT)
        return WB_ERR_BUSY;
    struct node_waiter *w = malloc(sizeof *w);
    if (!w) return WB_ERR_NOMEM;
    w->conn_id = c->conn_id;
    w->req_id = req_id;
    w->next = idmap_get(ws->by_id, id);
    int rc = idmap_put(ws->by_id, id, w);
    if (rc) {
        free(w);
        return rc;
    }
    w->all_prev = NULL;
    w->all_next = ws->all;
    if (ws->all) ws->all->all_prev = w;
    ws->all = w;
    ws->count++;
    c->waiters++;
    return WB_OK;
}

static void free_waiter(struct node_waiters *ws, struct node_waiter *w)
{
    struct node_client *c = node_clients_by_conn(ws->clients, w->conn_id);
    if (c) c->waiters--;
    if (w->all_prev) w->all_prev->all_next = w->all_next;
    else ws->all = w->all_next;
    if (w->all_next) w->all_next->all_prev = w->all_prev;
    free(w);
    ws->count--;
}

void node_waiters_committed(struct node_waiters *ws, const uint8_t id[WB_HASH_LEN],
                            uint64_t height, uint32_t index)
{
    struct node_waiter *w = idmap_del(ws->by_id, id);
    while (w) {
        struct node_waiter *next = w->next;
        struct node_client *c = node_clients_by_conn(ws->clients, w->conn_id);
        if (c) node_respond_submit(c->link, w->req_id, id, height, index, true, false);
        free_waiter(ws, w);
        w = next;
    }
}

void node_waiters_dropped(struct node_waiters *ws, const uint8_t id[WB_HASH_LEN], int err,
                          const char *reason)
{
    struct node_waiter *w = idmap_del(ws->by_id, id);
    while (w) {
        struct node_waiter *next = w->next;
        struct node_client *c = node_clients_by_conn(ws->clients, w->conn_id);
        if (c) node_respond_error(c->link, w->req_id, err, reason);
        free_waiter(ws, w);
        w = next;
    }
}

void node_waiters_free(struct node_waiters *ws)
{
    if (!ws->by_id) return;
    while (ws->all) free_waiter(ws, ws->all);
    idmap_destroy(ws->by_id);
    ws->by_id = NULL;
}
