/* A client's watch (watch.h). */
#include "node/api/watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/wb_error.h"
#include "ledger/event.h"
#include "node/api/respond.h"
#include "storage/store.h"

static void send_batch(struct node_watch *w, struct net_link *link,
                       const struct node_chain *chain, uint64_t height,
                       Waybill__HistoryEntry **events, size_t count)
{
    Waybill__WatchBatch wb = WAYBILL__WATCH_BATCH__INIT;
    wb.height = height;
    wb.n_events = count;
    wb.events = events;
    wb.last_height = node_chain_height(chain);
    wb.next_height = w->height;
    Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
    r.id = w->id;
    r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_WATCH;
    r.watch = &wb;
    node_respond(link, &r);
}

/* Whether signed event ev is about `item` ("" = any). */
static bool wants(const char *item, const uint8_t *ev, size_t len)
{
    if (!item[0]) return true;
    const uint8_t *body;
    size_t body_len;
    uint8_t sig[WB_SIG_LEN];
    if (ledger_signed_event_split(ev, len, &body, &body_len, sig) != WB_OK) return false;
    Waybill__EventBody *b = waybill__event_body__unpack(NULL, body_len, body);
    bool want = b && b->item && strcmp(b->item, item) == 0;
    if (b) waybill__event_body__free_unpacked(b, NULL);
    return want;
}

void node_watch_pump(struct node_watch *w, struct net_link *link, const struct node_env *env,
                     const struct node_chain *chain)
{
    Waybill__HistoryEntry *entries = NULL;
    Waybill__HistoryEntry **ptrs = NULL;
    size_t cap = 0;
    for (unsigned blocks = 0; w->watching && blocks < NODE_WATCH_BLOCKS_PER_PUMP &&
                              w->height <= node_chain_height(chain) &&
                              w->unacked < NODE_WATCH_WINDOW &&
                              net_link_queued_bytes(link) < NODE_WATCH_QUEUE_BYTES;
         blocks++) {
        uint64_t h = w->height;
        uint8_t *raw;
        size_t raw_len;
        Waybill__Block *blk = NULL;
        if (store_get_block(env->store, h, &raw, &raw_len) == WB_OK) {
            blk = waybill__block__unpack(NULL, raw_len, raw);
            free(raw);
        }
        if (!blk) {
            WB_WARN("api", "h=%llu watch: cannot read the block; ending the watch",
                    (unsigned long long)h);
            node_respond_error(link, w->id, WB_ERR_STORE, "cannot read a committed block");
            w->watching = false;
            break;
        }
        if (blk->n_events > cap) {
            free(entries);
            free(ptrs);
            cap = blk->n_events;
            entries = calloc(cap, sizeof *entries);
            ptrs = calloc(cap, sizeof *ptrs);
            if (!entries || !ptrs) {
                waybill__block__free_unpacked(blk, NULL);
                cap = 0;
                break;
            }
        }
        size_t i = w->index, count = 0, bytes = 0;
        for (; i < blk->n_events && bytes < NODE_WATCH_BATCH_BYTES; i++) {
            if (!wants(w->item, blk->events[i].data, blk->events[i].len)) continue;
            waybill__history_entry__init(&entries[count]);
            entries[count].signed_event = blk->events[i];
            entries[count].height = h;
            entries[count].index = (uint32_t)i;
            ptrs[count] = &entries[count];
            bytes += blk->events[i].len + 24;
            count++;
        }
        if (i >= blk->n_events) {
            w->height = h + 1;
            w->index = 0;
        } else {
            w->index = (uint32_t)i;
        }
        if (count) {
            w->unacked++;
            send_batch(w, link, chain, h, ptrs, count);
        }
        waybill__block__free_unpacked(blk, NULL);
    }
    free(entries);
    free(ptrs);
}

void node_watch_start(struct node_watch *w, struct net_link *link, const struct node_env *env,
                      const struct node_chain *chain, uint64_t req_id,
                      const Waybill__WatchRequest *rq)
{
    if (w->watching) {
        node_respond_error(link, req_id, WB_ERR_BUSY, "this connection is watching already");
        return;
    }
    if (rq->item && strlen(rq->item) > WB_ITEM_MAX) {
        node_respond_error(link, req_id, WB_ERR_INVALID, "the item filter is not an item id");
        return;
    }
    uint64_t last = node_chain_height(chain);
    w->watching = true;
    w->id = req_id;
    w->height = rq->from_height ? rq->from_height : last + 1;
    w->index = 0;
    w->unacked = 0;
    snprintf(w->item, sizeof w->item, "%s", rq->item ? rq->item : "");
    WB_DEBUG("api", "h=%llu %s watches from %llu", (unsigned long long)last,
             net_link_peer_addr(link), (unsigned long long)w->height);
    send_batch(w, link, chain, 0, NULL, 0);
    node_watch_pump(w, link, env, chain);
}

void node_watch_ack(struct node_watch *w, struct net_link *link, const struct node_env *env,
                    const struct node_chain *chain, const Waybill__WatchAck *a)
{
    if (!w->watching || a->watch_id != w->id || w->unacked == 0) return;
    w->unacked--;
    node_watch_pump(w, link, env, chain);
}
