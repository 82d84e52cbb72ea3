/* Event gossip (gossip.h). */
#include "node/p2p/gossip.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "node/mempool/mempool.h"
#include "node/p2p/wire.h"

int node_gossip_init(struct node_gossip *g, const struct node_env *env, struct net *net)
{
    memset(g, 0, sizeof *g);
    g->env = env;
    g->net = net;
    g->events = calloc(NODE_GOSSIP_BATCH_EVENTS, sizeof *g->events);
    g->lens = calloc(NODE_GOSSIP_BATCH_EVENTS, sizeof *g->lens);
    if (!g->events || !g->lens) return WB_ERR_NOMEM;
    int rc = uv_timer_init(env->loop, &g->timer);
    if (rc) {
        WB_ERROR("p2p", "cannot create the gossip timer: %s", uv_strerror(rc));
        return WB_ERR_IO;
    }
    g->timer.data = g;
    g->timer_inited = true;
    return WB_OK;
}

static void send_batch(struct node_gossip *g, struct net_link *only, const uint8_t *const *evs,
                       const size_t *lens, size_t count)
{
    ProtobufCBinaryData *pb = calloc(count, sizeof *pb);
    if (!pb) {
        WB_ERROR("p2p", "out of memory sending %zu events to peers", count);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        pb[i].data = (uint8_t *)evs[i];
        pb[i].len = lens[i];
    }
    Waybill__EventBatch batch = WAYBILL__EVENT_BATCH__INIT;
    batch.n_events = count;
    batch.events = pb;
    Waybill__PeerMessage m = WAYBILL__PEER_MESSAGE__INIT;
    m.msg_case = WAYBILL__PEER_MESSAGE__MSG_EVENTS;
    m.events = &batch;
    node_wire_send(g->net, only, &m);
    free(pb);
}

void node_gossip_flush(struct node_gossip *g)
{
    if (g->timer_inited) uv_timer_stop(&g->timer);
    if (g->count == 0) return;
    send_batch(g, NULL, (const uint8_t *const *)g->events, g->lens, g->count);
    for (size_t i = 0; i < g->count; i++) free(g->events[i]);
    g->count = 0;
    g->bytes = 0;
}

static void on_timer(uv_timer_t *t)
{
    node_gossip_flush(t->data);
}

void node_gossip_add(struct node_gossip *g, const uint8_t *ev, size_t len)
{
    if (!g->events) return; /* stopped */
    /* A batch must fit one frame (with room for the envelope). */
    if (g->bytes + len + 16 > g->env->cfg->limits.frame_bytes_max - NODE_FRAME_OVERHEAD_MIN)
        node_gossip_flush(g);
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return; /* peers still get the event inside the block */
    memcpy(copy, ev, len);
    g->events[g->count] = copy;
    g->lens[g->count] = len;
    g->count++;
    g->bytes += len + 16;
    if (g->count == NODE_GOSSIP_BATCH_EVENTS) node_gossip_flush(g);
    else if (!uv_is_active((uv_handle_t *)&g->timer) &&
             uv_timer_start(&g->timer, on_timer, NODE_GOSSIP_FLUSH_MS, 0) != 0)
        node_gossip_flush(g); /* no timer: send now rather than never */
}

/* A peer that just linked up missed the gossip of what is pending here
 * (e.g. events submitted during a partition, or while it was down): one
 * batch of the oldest pending events, so whoever proposes next has them. */
void node_gossip_send_pending(struct node_gossip *g, struct net_link *link)
{
    size_t max = NODE_GOSSIP_BATCH_EVENTS;
    const uint8_t **evs = calloc(max, sizeof *evs);
    size_t *lens = calloc(max, sizeof *lens);
    size_t budget = g->env->cfg->limits.frame_bytes_max - NODE_FRAME_OVERHEAD_MIN;
    size_t count = evs && lens ? mempool_take(g->env->mempool, max, budget / 2, evs, lens) : 0;
    if (count) send_batch(g, link, evs, lens, count);
    free(evs);
    free(lens);
}

size_t node_gossip_receive(struct node_gossip *g, const Waybill__EventBatch *batch)
{
    size_t admitted = 0;
    for (size_t i = 0; i < batch->n_events; i++)
        if (mempool_add(g->env->mempool, batch->events[i].data, batch->events[i].len, NULL, NULL,
                        0) == 0)
            admitted++;
    return admitted;
}

void node_gossip_stop(struct node_gossip *g)
{
    for (size_t i = 0; i < g->count; i++) free(g->events[i]);
    g->count = 0;
    free(g->events);
    free(g->lens);
    g->events = NULL;
    g->lens = NULL;
    if (g->timer_inited) {
        uv_timer_stop(&g->timer);
        uv_close((uv_handle_t *)&g->timer, NULL);
        g->timer_inited = false;
    }
}
