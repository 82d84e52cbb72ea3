/* The load generator's side of the client API: one libuv loop, a query link
 * and several submit links to every node (node/net.h), many submissions in
 * flight, answers matched by request id, and status polling. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lg.h"
#include "common/wb_error.h"
#include "proto/waybill.pb-c.h"

/* Request ids: queries carry LG_ID_RPC with their slot in the low byte,
 * status polls LG_ID_STATUS with the node index, submissions the load tag
 * in bits 48..55 and event index + 1 below. */
#define LG_ID_RPC (UINT64_C(1) << 63)
#define LG_ID_STATUS (UINT64_C(1) << 62)
#define LG_ID_EVENT_MASK ((UINT64_C(1) << 48) - 1)
#define LG_TICK_MS 1
/* An open-loop phase with this many events unanswered has overloaded the
 * network: the run stops rather than fill the nodes' mempools. */
#define LG_OPEN_INFLIGHT_MAX 50000u
#define LG_MEM_SAMPLE_NS (250 * INT64_C(1000000))

static struct lg_node *node_of_key(struct lg *lg, const uint8_t pk[32])
{
    for (size_t i = 0; i < lg->nodes; i++)
        if (memcmp(lg->node[i].key, pk, 32) == 0) return &lg->node[i];
    return NULL;
}

static bool lg_authorize(void *ctx, const uint8_t peer_pk[32])
{
    return node_of_key(ctx, peer_pk) != NULL;
}

/* ---- submissions -------------------------------------------------------------- */

size_t lg_pos_event(const struct lg_load *ld, size_t pos)
{
    return (pos % ld->items) * ld->per_item + pos / ld->items;
}

struct net_link *lg_item_link(struct lg *lg, size_t item)
{
    struct lg_node *n = &lg->node[item % lg->nodes];
    return n->load[(item / lg->nodes) % lg->links_per_node];
}

int lg_track_init(struct lg_track *tr, const struct lg_load *ld)
{
    memset(tr, 0, sizeof *tr);
    tr->load = ld;
    tr->state = calloc(ld->count, sizeof *tr->state);
    tr->sched_ns = calloc(ld->count, sizeof *tr->sched_ns);
    tr->ack_ns = calloc(ld->count, sizeof *tr->ack_ns);
    tr->height = calloc(ld->count, sizeof *tr->height);
    if (!tr->state || !tr->sched_ns || !tr->ack_ns || !tr->height) {
        lg_track_free(tr);
        return WB_ERR_NOMEM;
    }
    return WB_OK;
}

void lg_track_free(struct lg_track *tr)
{
    free(tr->state);
    free(tr->sched_ns);
    free(tr->ack_ns);
    free(tr->height);
    memset(tr, 0, sizeof *tr);
}

static void run_update_complete(struct lg_phase_run *ru)
{
    if (ru->next == ru->end) ru->sending_done = true;
    ru->complete = ru->sending_done && ru->inflight == 0;
}

/* Sends the event at load position pos, due at sched_ns. */
static void send_pos(struct lg *lg, size_t pos, int64_t sched_ns)
{
    struct lg_phase_run *ru = &lg->run;
    struct lg_track *tr = ru->tr;
    const struct lg_load *ld = tr->load;
    size_t e = lg_pos_event(ld, pos);
    Waybill__SubmitRequest sr = WAYBILL__SUBMIT_REQUEST__INIT;
    sr.signed_event.data = (uint8_t *)lg_load_event(ld, e);
    sr.signed_event.len = ld->lens[e];
    Waybill__ClientRequest rq = WAYBILL__CLIENT_REQUEST__INIT;
    rq.id = ((uint64_t)ru->tag << 48) | (uint64_t)(e + 1);
    rq.req_case = WAYBILL__CLIENT_REQUEST__REQ_SUBMIT;
    rq.submit = &sr;
    uint8_t buf[LG_SLOT + 64];
    size_t len = waybill__client_request__get_packed_size(&rq);
    if (len > sizeof buf) {
        lg_fail(lg, "a submit request of %zu bytes is over the buffer", len);
        return;
    }
    waybill__client_request__pack(&rq, buf);
    struct net_link *link = lg_item_link(lg, e / ld->per_item);
    if (!link) {
        lg_fail(lg, "no link for item %zu", e / ld->per_item);
        return;
    }
    int rc = net_send(link, buf, len);
    if (rc) {
        lg_fail(lg, "cannot send a submission to %s: %s", net_link_peer_addr(link),
                wb_strerror(rc));
        return;
    }
    tr->state[e] = LG_EV_SENT;
    tr->sched_ns[e] = sched_ns;
    ru->inflight++;
    if (ru->inflight > ru->inflight_max) ru->inflight_max = ru->inflight;
}

static void rate_send(struct lg *lg, int64_t now)
{
    struct lg_phase_run *ru = &lg->run;
    while (ru->next < ru->end && !lg->failed) {
        int64_t due = ru->t0_ns + (int64_t)((double)(ru->next - ru->first) * 1e9 / ru->rate);
        if (due > now) break;
        send_pos(lg, ru->next, due);
        ru->next++;
    }
    if (ru->inflight > LG_OPEN_INFLIGHT_MAX)
        lg_fail(lg, "open loop at %.0f events/s: %zu events unanswered; the network cannot "
                    "keep up",
                ru->rate, ru->inflight);
    run_update_complete(ru);
}

static void refill(struct lg *lg, int64_t now)
{
    struct lg_phase_run *ru = &lg->run;
    if (ru->mode == LG_MODE_WINDOW) {
        while (ru->inflight < ru->window && ru->next < ru->end && !lg->failed)
            send_pos(lg, ru->next++, now);
    } else if (ru->mode == LG_MODE_SEQ) {
        if (ru->inflight == 0 && ru->next < ru->end) send_pos(lg, ru->next++, now);
    }
    run_update_complete(ru);
}

static void on_submit_answer(struct lg *lg, uint64_t id, const Waybill__ClientResponse *r,
                             int64_t now)
{
    struct lg_phase_run *ru = &lg->run;
    unsigned tag = (unsigned)((id >> 48) & 0xff);
    uint64_t e1 = id & LG_ID_EVENT_MASK;
    struct lg_track *tr = tag < 2 ? lg->tracks[tag] : NULL;
    if (!tr || tr != ru->tr || e1 == 0 || e1 > tr->load->count ||
        tr->state[e1 - 1] != LG_EV_SENT) {
        lg_fail(lg, "an answer with id %llu matches no submission in flight",
                (unsigned long long)id);
        return;
    }
    size_t e = (size_t)(e1 - 1);
    const struct lg_load *ld = tr->load;
    if (r->code == 0 && r->resp_case == WAYBILL__CLIENT_RESPONSE__RESP_SUBMIT && r->submit &&
        r->submit->committed && r->submit->event_id.len == WB_HASH_LEN &&
        memcmp(r->submit->event_id.data, ld->ids[e], WB_HASH_LEN) == 0) {
        tr->state[e] = LG_EV_ACKED;
        tr->ack_ns[e] = now;
        tr->height[e] = r->submit->height;
        ru->acked++;
        ru->last_ack_ns = now;
    } else {
        tr->state[e] = LG_EV_REJECTED;
        ru->rejected++;
        if (!ru->first_reject[0])
            snprintf(ru->first_reject, sizeof ru->first_reject,
                     "event %zu of item %s: code %d: %s", e % ld->per_item,
                     ld->item_ids[e / ld->per_item], (int)r->code,
                     r->reason && r->reason[0] ? r->reason : "answer is no commit");
    }
    ru->inflight--;
    refill(lg, now);
}

int lg_submit_run(struct lg *lg, enum lg_mode mode, struct lg_track *tr, int tag, size_t first,
                  size_t end, size_t window, double rate, int64_t deadline_ns)
{
    struct lg_phase_run *ru = &lg->run;
    memset(ru, 0, sizeof *ru);
    ru->mode = mode;
    ru->tr = tr;
    ru->tag = tag;
    ru->first = ru->next = first;
    ru->end = end;
    ru->window = window ? window : 1;
    ru->rate = rate;
    ru->t0_ns = lg_now_ns();
    lg->tracks[tag] = tr;
    if (mode == LG_MODE_RATE && rate <= 0) return WB_ERR_INVALID;
    if (mode == LG_MODE_RATE) rate_send(lg, ru->t0_ns);
    else refill(lg, ru->t0_ns);
    int rc = lg_pump_until(lg, &ru->complete, deadline_ns);
    ru->mode = LG_MODE_IDLE;
    return rc;
}

/* ---- queries ------------------------------------------------------------------- */

static int send_request(struct lg *lg, struct net_link *link, Waybill__ClientRequest *req)
{
    if (!link) {
        lg_fail(lg, "no query link");
        return WB_ERR_CLOSED;
    }
    size_t len = waybill__client_request__get_packed_size(req);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        lg_fail(lg, "out of memory");
        return WB_ERR_NOMEM;
    }
    waybill__client_request__pack(req, buf);
    int rc = net_send(link, buf, len);
    free(buf);
    if (rc) lg_fail(lg, "cannot send a query to %s: %s", net_link_peer_addr(link), wb_strerror(rc));
    return rc;
}

int lg_rpc_send(struct lg *lg, size_t node, void *reqp)
{
    Waybill__ClientRequest *req = reqp;
    for (int i = 0; i < LG_RPC_MAX; i++) {
        struct lg_rpc *s = &lg->rpc[i];
        if (s->used) continue;
        s->id = LG_ID_RPC | (++lg->rpc_seq << 8) | (uint64_t)i;
        req->id = s->id;
        if (send_request(lg, lg->node[node].control, req) != WB_OK) return -1;
        s->used = true;
        s->done = false;
        s->resp = NULL;
        return i;
    }
    lg_fail(lg, "more than %d queries in flight", LG_RPC_MAX);
    return -1;
}

int lg_rpc_take(struct lg *lg, int slot, int64_t deadline_ns, void **resp)
{
    *resp = NULL;
    struct lg_rpc *s = &lg->rpc[slot];
    int rc = lg_pump_until(lg, &s->done, deadline_ns);
    if (rc == WB_OK) *resp = s->resp;
    else if (s->resp) waybill__client_response__free_unpacked(s->resp, NULL);
    s->resp = NULL;
    s->used = s->done = false;
    return rc;
}

int lg_call(struct lg *lg, size_t node, void *req, void **resp, uint32_t timeout_ms)
{
    *resp = NULL;
    int slot = lg_rpc_send(lg, node, req);
    if (slot < 0) return WB_ERR_IO;
    return lg_rpc_take(lg, slot, lg_now_ns() + (int64_t)timeout_ms * 1000000, resp);
}

static void send_status(struct lg *lg, size_t i)
{
    struct lg_node *n = &lg->node[i];
    if (n->status_inflight || !n->control) return;
    Waybill__StatusRequest sr = WAYBILL__STATUS_REQUEST__INIT;
    Waybill__ClientRequest rq = WAYBILL__CLIENT_REQUEST__INIT;
    rq.id = LG_ID_STATUS | i;
    rq.req_case = WAYBILL__CLIENT_REQUEST__REQ_STATUS;
    rq.status = &sr;
    if (send_request(lg, n->control, &rq) == WB_OK) n->status_inflight = true;
}

static void on_status_answer(struct lg *lg, uint64_t id, const Waybill__ClientResponse *r,
                             int64_t now)
{
    size_t i = (size_t)(id & 0xff);
    if (i >= lg->nodes || !lg->node[i].status_inflight) {
        lg_fail(lg, "an unexpected status answer (id %llu)", (unsigned long long)id);
        return;
    }
    struct lg_node *n = &lg->node[i];
    n->status_inflight = false;
    if (r->code != 0 || r->resp_case != WAYBILL__CLIENT_RESPONSE__RESP_STATUS || !r->status) {
        lg_fail(lg, "node %s answered a status request with code %d: %s", n->name,
                (int)r->code, r->reason ? r->reason : "");
        return;
    }
    n->height = r->status->height;
    n->committed = r->status->events_committed;
    n->status_ns = now;
    if (n->target && !n->reached_ns && n->committed >= n->target) {
        n->reached_ns = now;
        n->reached_height = n->height;
    }
}

static bool status_idle(const struct lg *lg)
{
    for (size_t i = 0; i < lg->nodes; i++)
        if (lg->node[i].status_inflight) return false;
    return true;
}

int lg_poll_status(struct lg *lg, uint32_t timeout_ms)
{
    int64_t deadline = lg_now_ns() + (int64_t)timeout_ms * 1000000;
    for (int round = 0; round < 2; round++) {
        /* First let any poll already in flight land, then ask afresh. */
        if (round == 1)
            for (size_t i = 0; i < lg->nodes; i++) send_status(lg, i);
        while (!status_idle(lg)) {
            if (lg->failed) return WB_ERR_IO;
            if (lg_now_ns() > deadline) return WB_ERR_TIMEOUT;
            uv_run(&lg->loop, UV_RUN_ONCE);
        }
    }
    return lg->failed ? WB_ERR_IO : WB_OK;
}

/* ---- the loop ------------------------------------------------------------------- */

static void sample_memory(struct lg *lg)
{
    for (size_t i = 0; i < lg->nodes; i++) {
        uint64_t hwm, rss, anon;
        if (lg_proc_mem(lg->node[i].pid, &hwm, &rss, &anon) != WB_OK) continue;
        if (anon > lg->rss_anon_max_kb[i]) lg->rss_anon_max_kb[i] = anon;
        if (rss > lg->rss_max_kb[i]) lg->rss_max_kb[i] = rss;
    }
}

static void on_tick(uv_timer_t *t)
{
    struct lg *lg = t->data;
    int64_t now = lg_now_ns();
    if (lg->run.mode == LG_MODE_RATE && !lg->run.sending_done) rate_send(lg, now);
    if (lg->poll_every_ns && now - lg->last_poll_ns >= lg->poll_every_ns) {
        lg->last_poll_ns = now;
        for (size_t i = 0; i < lg->nodes; i++) send_status(lg, i);
    }
    if (lg->sample_mem && now - lg->last_mem_ns >= LG_MEM_SAMPLE_NS) {
        lg->last_mem_ns = now;
        sample_memory(lg);
    }
}

int lg_pump_until(struct lg *lg, const bool *flag, int64_t deadline_ns)
{
    while (!*flag) {
        if (lg->failed) return WB_ERR_IO;
        if (lg_now_ns() > deadline_ns) return WB_ERR_TIMEOUT;
        uv_run(&lg->loop, UV_RUN_ONCE);
    }
    return WB_OK;
}

/* ---- links ---------------------------------------------------------------------- */

static void on_frame(void *ctx, struct net_link *link, const uint8_t *data, size_t len)
{
    struct lg *lg = ctx;
    (void)link;
    int64_t now = lg_now_ns();
    Waybill__ClientResponse *r = waybill__client_response__unpack(NULL, len, data);
    if (!r) {
        lg_fail(lg, "an answer from %s does not decode", net_link_peer_addr(link));
        return;
    }
    if (r->id & LG_ID_RPC) {
        struct lg_rpc *s = &lg->rpc[r->id & 0xff];
        if (!s->used || s->done || s->id != r->id) {
            lg_fail(lg, "an answer with id %llu matches no query", (unsigned long long)r->id);
            waybill__client_response__free_unpacked(r, NULL);
            return;
        }
        s->resp = r;
        s->done = true;
        return;
    }
    if (r->id & LG_ID_STATUS) on_status_answer(lg, r->id, r, now);
    else on_submit_answer(lg, r->id, r, now);
    waybill__client_response__free_unpacked(r, NULL);
}

static void on_link_up(void *ctx, struct net_link *link, const uint8_t peer_pk[32])
{
    struct lg *lg = ctx;
    struct lg_node *n = node_of_key(lg, peer_pk);
    if (!n) {
        net_link_close(link);
        return;
    }
    if (!n->control) n->control = link;
    else if (n->load_up < lg->links_per_node) n->load[n->load_up++] = link;
    else {
        net_link_close(link);
        return;
    }
    size_t up = 0;
    for (size_t i = 0; i < lg->nodes; i++)
        up += (lg->node[i].control != NULL) + lg->node[i].load_up;
    if (up == lg->nodes * (lg->links_per_node + 1)) lg->all_up = true;
}

static void on_link_down(void *ctx, struct net_link *link, int reason)
{
    struct lg *lg = ctx;
    for (size_t i = 0; i < lg->nodes; i++) {
        struct lg_node *n = &lg->node[i];
        bool mine = n->control == link;
        if (mine) n->control = NULL;
        for (size_t k = 0; k < n->load_up; k++)
            if (n->load[k] == link) {
                n->load[k] = NULL;
                mine = true;
            }
        if (mine && !lg->closing)
            lg_fail(lg, "lost a link to node %s: %s", n->name,
                    reason ? wb_strerror(reason) : "closed");
    }
}

static void on_dial_fail(void *ctx, const char *addr, int err, const char *why,
                         bool will_retry)
{
    struct lg *lg = ctx;
    if (!will_retry && !lg->closing)
        lg_fail(lg, "cannot connect to %s: %s%s%s", addr, wb_strerror(err), why ? ": " : "",
                why ? why : "");
}

int lg_connect(struct lg *lg, const struct lg_org *id_org, size_t links_per_node,
               uint32_t timeout_ms)
{
    if (links_per_node == 0 || links_per_node > LG_LOAD_LINKS_MAX) return WB_ERR_INVALID;
    lg->links_per_node = links_per_node;
    if (uv_loop_init(&lg->loop) != 0) return WB_ERR_IO;
    lg->loop_inited = true;
    struct net_config nc;
    memset(&nc, 0, sizeof nc);
    nc.name = "bench";
    memcpy(nc.chain_id, lg->genesis->chain_id, WB_CHAIN_ID_LEN);
    memcpy(nc.identity_pk, id_org->pk, WB_PUBKEY_LEN);
    memcpy(nc.identity_sk, id_org->sk, WB_SECKEY_LEN);
    nc.authorize = lg_authorize;
    nc.ctx = lg;
    nc.frame_max = LG_FRAME_MAX;
    nc.send_queue_max = LG_SEND_QUEUE_MAX;
    nc.links_max = (uint32_t)(lg->nodes * (links_per_node + 1) + 8);
    nc.on_link_up = on_link_up;
    nc.on_frame = on_frame;
    nc.on_link_down = on_link_down;
    nc.on_dial_fail = on_dial_fail;
    int rc = net_create(&lg->loop, &nc, &lg->net);
    memset(nc.identity_sk, 0, sizeof nc.identity_sk);
    if (rc) {
        lg_fail(lg, "cannot create the client endpoint: %s", wb_strerror(rc));
        return rc;
    }
    if (uv_timer_init(&lg->loop, &lg->tick) != 0) return WB_ERR_IO;
    lg->tick.data = lg;
    lg->tick_on = true;
    uv_timer_start(&lg->tick, on_tick, LG_TICK_MS, LG_TICK_MS);
    for (size_t i = 0; i < lg->nodes; i++)
        for (size_t k = 0; k <= links_per_node; k++) {
            rc = net_dial(lg->net, lg->node[i].api, lg->node[i].key, false);
            if (rc) {
                lg_fail(lg, "cannot dial %s: %s", lg->node[i].api, wb_strerror(rc));
                return rc;
            }
        }
    return lg_pump_until(lg, &lg->all_up, lg_now_ns() + (int64_t)timeout_ms * 1000000);
}

static void on_net_closed(void *ctx)
{
    struct lg *lg = ctx;
    lg->net = NULL;
}

void lg_disconnect(struct lg *lg)
{
    if (!lg->loop_inited) return;
    lg->closing = true;
    if (lg->tick_on) {
        uv_timer_stop(&lg->tick);
        uv_close((uv_handle_t *)&lg->tick, NULL);
        lg->tick_on = false;
    }
    if (lg->net) net_close(lg->net, on_net_closed);
    for (int i = 0; i < LG_RPC_MAX; i++)
        if (lg->rpc[i].resp) waybill__client_response__free_unpacked(lg->rpc[i].resp, NULL);
    uv_run(&lg->loop, UV_RUN_DEFAULT);
    uv_loop_close(&lg->loop);
    lg->loop_inited = false;
}
