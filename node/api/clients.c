/* The connected clients (clients.h). */
#include "node/api/clients.h"

#include <stdlib.h>
#include <string.h>

int node_clients_init(struct node_clients *cs, size_t max)
{
    memset(cs, 0, sizeof *cs);
    cs->table = calloc(max ? max : 1, sizeof *cs->table);
    if (!cs->table) return WB_ERR_NOMEM;
    cs->max = max;
    return WB_OK;
}

struct node_client *node_clients_add(struct node_clients *cs, struct net_link *link)
{
    if (cs->count == cs->max) return NULL;
    struct node_client *c = &cs->table[cs->count++];
    memset(c, 0, sizeof *c);
    c->link = link;
    c->conn_id = ++cs->next_conn_id;
    return c;
}

void node_clients_remove(struct node_clients *cs, struct net_link *link)
{
    for (size_t i = 0; i < cs->count; i++) {
        if (cs->table[i].link != link) continue;
        cs->table[i] = cs->table[--cs->count];
        return;
    }
}

struct node_client *node_clients_by_link(struct node_clients *cs, struct net_link *link)
{
    for (size_t i = 0; i < cs->count; i++)
        if (cs->table[i].link == link) return &cs->table[i];
    return NULL;
}

struct node_client *node_clients_by_conn(struct node_clients *cs, uint64_t conn_id)
{
    for (size_t i = 0; i < cs->count; i++)
        if (cs->table[i].conn_id == conn_id) return &cs->table[i];
    return NULL;
}

void node_clients_free(struct node_clients *cs)
{
    free(cs->table);
    memset(cs, 0, sizeof *cs);
}
