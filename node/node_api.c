/* The client API (DESIGN.md section 7): member clients connect over the
 * same authenticated transport and send ClientRequest frames; each gets one
 * ClientResponse with the same id. A submit waits for its event to commit
 * (or be dropped) unless the client asked not to wait; one of an event that
 * is committed already is answered with where it is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "ledger/rules.h"
#include "node/api_submit.h"
#include "node/node_internal.h"
#include "proto/waybill.pb-c.h"
#include "storage/proof.h"

/* ---- responses -------------------------------------------------------------- */

static struct node_client *client_by_conn(struct node *n, uint64_t conn_id)
{
    for (size_t i = 0; i < n->client_count; i++)
        if (n->clients[i].conn_id == conn_id) return &n->clients[i];
    return NULL;
}

static struct node_client *client_by_link(struct node *n, struct net_link *link)
{
    for (size_t i = 0; i < n->client_count; i++)
        if (n->clients[i].link == link) return &n->clients[i];
    return NULL;
}

static void send_error(struct net_link *link, uint64_t id, int code, const char *reason);

static void send_response(struct net_link *link, Waybill__ClientResponse *r)
{
    size_t len = waybill__client_response__get_packed_size(r);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        WB_ERROR("api", "out of memory encoding a response");
        return;
    }
    waybill__client_response__pack(r, buf);
    int rc = net_send(link, buf, len);
    free(buf);
    if (rc == WB_ERR_TOO_LARGE && r->code == 0) {
        /* The client is told, rather than left waiting for an answer that
         * cannot be sent. */
        char msg[160];
        snprintf(msg, sizeof msg,
                 "the answer is %zu bytes, more than one frame of this node can carry", len);
        send_error(link, r->id, WB_ERR_TOO_LARGE, msg);
    } else if (rc) {
        WB_WARN("api", "cannot send a response: %s", wb_strerror(rc));
    }
}

static void send_error(struct net_link *link, uint64_t id, int code, const char *reason)
{
    Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
    r.id = id;
    r.code = code;
    r.reason = (char *)(reason ? reason : wb_strerror(code));
    send_response(link, &r);
}

static void send_submit_result(struct net_link *link, uint64_t req_id,
                               const uint8_t id[WB_HASH_LEN], uint64_t height, uint32_t index,
                               bool committed, bool already_committed)
{
    Waybill__SubmitResult sr = WAYBILL__SUBMIT_RESULT__INIT;
    sr.event_id.data = (uint8_t *)id;
    sr.event_id.len = WB_HASH_LEN;
    sr.height = height;
    sr.index = index;
    sr.committed = committed;
    sr.already_committed = already_committed;
    Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
    r.id = req_id;
    r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_SUBMIT;
    r.submit = &sr;
    send_response(link, &r);
}

/* ---- waiters ------------------------------------------------------------------ */

static int add_waiter(struct node *n, const uint8_t id[WB_HASH_LEN], struct node_client *c,
                      uint64_t req_id)
{
    if (n->waiter_count >= NODE_WAITERS_MAX || c->waiters >= NODE_WAITERS_PER_CLIENT)
        return WB_ERR_BUSY;
    uint64_t conn_id = c->conn_id;
    struct node_waiter *w = malloc(sizeof *w);
    if (!w) return WB_ERR_NOMEM;
    w->conn_id = conn_id;
    w->req_id = req_id;
    w->next = idmap_get(n->waiters, id);
    int rc = idmap_put(n->waiters, id, w);
    if (rc) {
        free(w);
        return rc;
    }
    w->all_prev = NULL;
    w->all_next = n->all_waiters;
    if (n->all_waiters) n->all_waiters->all_prev = w;
    n->all_waiters = w;
    n->waiter_count++;
    c->waiters++;
    return WB_OK;
}

static void free_waiter(struct node *n, struct node_waiter *w)
{
    struct node_client *c = client_by_conn(n, w->conn_id);
    if (c) c->waiters--;
    if (w->all_prev) w->all_prev->all_next = w->all_next;
    else n->all_waiters = w->all_next;
    if (w->all_next) w->all_next->all_prev = w->all_prev;
    free(w);
    n->waiter_count--;
}

void node_api_on_committed(struct node *n, const uint8_t id[WB_HASH_LEN], uint64_t height,
                           uint32_t index)
{
    struct node_waiter *w = idmap_del(n->waiters, id);
    while (w) {
        struct node_waiter *next = w->next;
        struct node_client *c = client_by_conn(n, w->conn_id);
        if (c) send_submit_result(c->link, w->req_id, id, height, index, true, false);
        free_waiter(n, w);
        w = next;
    }
}

void node_api_on_dropped(void *ctx, const uint8_t id[WB_HASH_LEN], int err, const char *reason)
{
    struct node *n = ctx;
    struct node_waiter *w = idmap_del(n->waiters, id);
    while (w) {
        struct node_waiter *next = w->next;
        struct node_client *c = client_by_conn(n, w->conn_id);
        if (c) send_error(c->link, w->req_id, err, reason);
        free_waiter(n, w);
        w = next;
    }
}

/* ---- requests ----------------------------------------------------------------- */

static int api_location(void *ctx, const uint8_t id[WB_HASH_LEN], uint64_t *height,
                        uint32_t *index)
{
    return store_event_location(ctx, id, height, index);
}

/* A submit of an event that is committed already answers where it is (a
 * client retrying after a lost answer gets it again instead of a second
 * record); one that is pending, from this client or another, waits for it
 * like the first submit did. */
static void on_submit(struct node *n, struct node_client *c, uint64_t req_id,
                      const Waybill__SubmitRequest *s)
{
    char reason[512];
    struct api_submit_outcome out;
    api_submit_admit(api_location, n->store, n->mempool, s->signed_event.data,
                     s->signed_event.len, &out, reason, sizeof reason);
    char hex[65];
    switch (out.kind) {
    case API_SUBMIT_ALREADY_COMMITTED:
        WB_DEBUG("api", "h=%llu event %.16s is committed already at %llu:%u",
                 (unsigned long long)n->last_height, wb_hex_encode(out.id, 32, hex, sizeof hex),
                 (unsigned long long)out.height, (unsigned)out.index);
        send_submit_result(c->link, req_id, out.id, out.height, out.index, true, true);
        return;
    case API_SUBMIT_REFUSED:
        WB_DEBUG("api", "h=%llu rejected event %.16s: %s", (unsigned long long)n->last_height,
                 wb_hex_encode(out.id, 32, hex, sizeof hex), reason);
        send_error(c->link, req_id, out.err, reason);
        return;
    case API_SUBMIT_ADMITTED:
        node_p2p_gossip_add(n, s->signed_event.data, s->signed_event.len);
        break;
    case API_SUBMIT_PENDING:
        break;
    }
    /* The client is answered or registered as a waiter before the mempool's
     * growth can start a block: a single validator decides and commits inside
     * node_cons_on_mempool_grew, and a waiter added after that would never
     * hear of the commit. */
    if (s->no_wait) {
        send_submit_result(c->link, req_id, out.id, 0, 0, false, false);
    } else {
        int rc = add_waiter(n, out.id, c, req_id);
        if (rc) send_error(c->link, req_id, rc, "too many clients waiting for commits; retry");
    }
    if (out.kind == API_SUBMIT_ADMITTED) node_cons_on_mempool_grew(n);
}

static void on_head(struct node *n, struct node_client *c, uint64_t req_id, const char *item)
{
    struct ledger_item_state st;
    int rc = mempool_pending_state(n->mempool, item, &st);
    if (rc == WB_ERR_NOT_FOUND) rc = store_item_state(n->store, item, &st);
    if (rc) {
        send_error(c->link, req_id, rc,
                   rc == WB_ERR_NOT_FOUND ? "item not found" : wb_strerror(rc));
        return;
    }
    uint8_t buf[1024];
    size_t len;
    Waybill__ItemState *pb = NULL;
    if (ledger_item_state_encode(&st, buf, sizeof buf, &len) == 0)
        pb = waybill__item_state__unpack(NULL, len, buf);
    if (!pb) {
        send_error(c->link, req_id, WB_ERR_INTERNAL, "cannot encode the item state");
        return;
    }
    Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
    r.id = req_id;
    r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_HEAD;
    r.head = pb;
    send_response(c->link, &r);
    waybill__item_state__free_unpacked(pb, NULL);
}

static void on_history(struct node *n, struct node_client *c, uint64_t req_id, const char *item)
{
    struct ledger_item_state st;
    int rc = store_item_state(n->store, item, &st);
    if (rc) {
        send_error(c->link, req_id, rc,
                   rc == WB_ERR_NOT_FOUND ? "item not found" : wb_strerror(rc));
        return;
    }
    struct store_event_ref *refs = NULL;
    size_t count = 0;
    rc = store_item_history(n->store, item, &refs, &count);
    Waybill__HistoryEntry *entries = calloc(count ? count : 1, sizeof *entries);
    Waybill__HistoryEntry **ptrs = calloc(count ? count : 1, sizeof *ptrs);
    uint8_t buf[1024];
    size_t len;
    Waybill__ItemState *pb = NULL;
    if (rc == 0 && entries && ptrs && ledger_item_state_encode(&st, buf, sizeof buf, &len) == 0)
        pb = waybill__item_state__unpack(NULL, len, buf);
    size_t got = 0, bytes = 0;
    for (size_t i = 0; pb && i < count; i++) {
        uint8_t *ev;
        size_t ev_len;
        if (store_get_event(n->store, refs[i].id, &ev, &ev_len, NULL, NULL) != 0) break;
        /* Stop reading once the answer could not be sent anyway. */
        bytes += ev_len + 32;
        if (bytes > n->cfg->limits.frame_bytes_max) {
            free(ev);
            rc = WB_ERR_TOO_LARGE;
            break;
        }
        waybill__history_entry__init(&entries[i]);
        entries[i].signed_event.data = ev;
        entries[i].signed_event.len = ev_len;
        entries[i].height = refs[i].height;
        entries[i].index = refs[i].index;
        ptrs[i] = &entries[i];
        got++;
    }
    if (rc == WB_ERR_TOO_LARGE) {
        send_error(c->link, req_id, rc,
                   "the item's history is larger than one frame of this node can carry");
    } else if (!pb || got != count) {
        send_error(c->link, req_id, rc ? rc : WB_ERR_STORE, "cannot read the item's history");
    } else {
        Waybill__History h = WAYBILL__HISTORY__INIT;
        h.state = pb;
        h.n_events = count;
        h.events = ptrs;
        Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
        r.id = req_id;
        r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_HISTORY;
        r.history = &h;
        send_response(c->link, &r);
    }
    for (size_t i = 0; i < got; i++) free(entries[i].signed_event.data);
    if (pb) waybill__item_state__free_unpacked(pb, NULL);
    free(entries);
    free(ptrs);
    free(refs);
}

static void on_proof(struct node *n, struct node_client *c, uint64_t req_id, const char *item)
{
    uint8_t *bundle;
    size_t len;
    /* Every event of a bundle takes more than 128 bytes (a signature, a key
     * and an id at least): refuse early what could never be sent, rather
     * than build it on the event loop first. */
    struct ledger_item_state st;
    if (store_item_state(n->store, item, &st) == 0 &&
        (uint64_t)st.count * 128 > n->cfg->limits.frame_bytes_max) {
        send_error(c->link, req_id, WB_ERR_TOO_LARGE,
                   "the item's proof bundle is larger than one frame of this node can carry");
        return;
    }
    int rc = store_proof_bundle(n->store, item, &bundle, &len);
    if (rc) {
        send_error(c->link, req_id, rc,
                   rc == WB_ERR_NOT_FOUND ? "item not found" : wb_strerror(rc));
        return;
    }
    Waybill__ProofBundle *pb = waybill__proof_bundle__unpack(NULL, len, bundle);
    free(bundle);
    if (!pb) {
        send_error(c->link, req_id, WB_ERR_INTERNAL, "cannot build the proof bundle");
        return;
    }
    Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
    r.id = req_id;
    r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_PROOF;
    r.proof = pb;
    send_response(c->link, &r);
    waybill__proof_bundle__free_unpacked(pb, NULL);
}

static void on_block(struct node *n, struct node_client *c, uint64_t req_id, uint64_t height)
{
    if (height == 0) height = n->last_height;
    uint8_t *block = NULL, *cert = NULL;
    size_t block_len, cert_len;
    int rc = height == 0 ? WB_ERR_NOT_FOUND : store_get_block(n->store, height, &block, &block_len);
    if (rc == 0) rc = store_get_cert(n->store, height, &cert, &cert_len);
    if (rc) {
        free(block);
        char msg[96];
        snprintf(msg, sizeof msg, "no block at height %llu (last is %llu)",
                 (unsigned long long)height, (unsigned long long)n->last_height);
        send_error(c->link, req_id, rc, rc == WB_ERR_NOT_FOUND ? msg : wb_strerror(rc));
        return;
    }
    struct ledger_block b;
    Waybill__CommitCert *pc = waybill__commit_cert__unpack(NULL, cert_len, cert);
    if (pc && ledger_block_decode(block, block_len, &b) == 0) {
        Waybill__BlockResult br = WAYBILL__BLOCK_RESULT__INIT;
        br.height = height;
        br.block.data = block;
        br.block.len = block_len;
        br.cert = pc;
        br.block_hash.data = b.hash;
        br.block_hash.len = WB_HASH_LEN;
        Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
        r.id = req_id;
        r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_BLOCK;
        r.block = &br;
        send_response(c->link, &r);
        ledger_block_free(&b);
    } else {
        send_error(c->link, req_id, WB_ERR_STORE, "stored block does not decode");
    }
    if (pc) waybill__commit_cert__free_unpacked(pc, NULL);
    free(block);
    free(cert);
}

static void on_status(struct node *n, struct node_client *c, uint64_t req_id)
{
    Waybill__NodeStatus st = WAYBILL__NODE_STATUS__INIT;
    st.name = (char *)n->cfg->name;
    st.validator = n->self;
    st.height = n->last_height;
    st.round = n->cons_ready ? cons_round(&n->cons) : 0;
    st.last_hash.data = n->last_hash;
    st.last_hash.len = WB_HASH_LEN;
    st.peers_connected = (uint32_t)n->peer_count;
    st.mempool_events = (uint32_t)mempool_count(n->mempool);
    st.mempool_bytes = mempool_bytes(n->mempool);
    uint64_t ev_count = 0;
    /* A read failure is logged by the store; the status still answers. */
    if (store_evidence_count(n->store, &ev_count) != WB_OK) ev_count = 0;
    st.evidence_count = ev_count;
    st.chain_id.data = n->genesis->chain_id;
    st.chain_id.len = WB_CHAIN_ID_LEN;
    st.events_committed = n->events_committed;
    st.last_block_time_ms = n->last_height ? n->last_time_ms : 0;
    char storage[sizeof n->store_error + 16];
    st.storage = (char *)node_storage_state(n, storage, sizeof storage);
    Waybill__AdmissionStats adm[2] = {WAYBILL__ADMISSION_STATS__INIT,
                                      WAYBILL__ADMISSION_STATS__INIT};
    struct net *nets[2] = {n->api, n->p2p};
    for (int i = 0; i < 2; i++) {
        if (!nets[i]) continue;
        struct net_stats ns;
        net_get_stats(nets[i], &ns);
        adm[i].accepted = ns.links_accepted;
        adm[i].evicted = ns.pending_evicted;
        adm[i].timed_out = ns.handshake_timeouts;
        adm[i].failed = ns.handshake_failures;
        adm[i].refused = ns.links_refused;
        adm[i].pending = (uint32_t)net_pending(nets[i]);
        adm[i].links_up = (uint32_t)net_links_up(nets[i]);
    }
    st.api_admission = n->api ? &adm[0] : NULL;
    st.p2p_admission = n->p2p ? &adm[1] : NULL;
    Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
    r.id = req_id;
    r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_STATUS;
    r.status = &st;
    send_response(c->link, &r);
}

/* ---- listing ------------------------------------------------------------------ */

static bool api_status_of(Waybill__ItemStatus s, enum ledger_item_status *out)
{
    switch (s) {
    case WAYBILL__ITEM_STATUS__ITEM_ACTIVE:
        *out = LEDGER_ITEM_ACTIVE;
        return true;
    case WAYBILL__ITEM_STATUS__ITEM_IN_TRANSFER:
        *out = LEDGER_ITEM_IN_TRANSFER;
        return true;
    case WAYBILL__ITEM_STATUS__ITEM_DELIVERED:
        *out = LEDGER_ITEM_DELIVERED;
        return true;
    default:
        return false;
    }
}

/* One page of item states (store_items_scan), bounded both in items and in
 * states examined, so one request never holds the loop for long. */
static void on_items(struct node *n, struct node_client *c, uint64_t req_id,
                     const Waybill__ItemsRequest *q)
{
    struct store_items_filter f = {.custodian = q->custodian, .held = q->held,
                                   .location = q->location};
    if (q->filter_status && !api_status_of(q->status, &f.status)) {
        send_error(c->link, req_id, WB_ERR_INVALID, "unknown item status in the filter");
        return;
    }
    f.by_status = q->filter_status;
    size_t limit = q->limit ? q->limit : STORE_ITEMS_LIMIT_DEFAULT;
    if (limit > STORE_ITEMS_LIMIT_MAX) limit = STORE_ITEMS_LIMIT_MAX;
    if (q->after && strlen(q->after) > WB_ITEM_MAX) {
        send_error(c->link, req_id, WB_ERR_INVALID, "the cursor is not an item id");
        return;
    }
    struct ledger_item_state *states = calloc(limit, sizeof *states);
    Waybill__ItemState **pbs = calloc(limit, sizeof *pbs);
    char next[WB_ITEM_MAX + 1];
    size_t got = 0, packed = 0;
    bool more = false;
    int rc = states && pbs ? WB_OK : WB_ERR_NOMEM;
    if (rc == WB_OK)
        rc = store_items_scan(n->store, &f, q->after, limit, STORE_ITEMS_SCAN_MAX, states, &got,
                              &more, next);
    for (; rc == WB_OK && packed < got; packed++) {
        uint8_t buf[1024];
        size_t len;
        if (ledger_item_state_encode(&states[packed], buf, sizeof buf, &len) != WB_OK ||
            !(pbs[packed] = waybill__item_state__unpack(NULL, len, buf)))
            rc = WB_ERR_INTERNAL;
    }
    if (rc) {
        send_error(c->link, req_id, rc, "cannot list the items");
    } else {
        Waybill__ItemsResult ir = WAYBILL__ITEMS_RESULT__INIT;
        ir.n_items = got;
        ir.items = pbs;
        ir.more = more;
        ir.next_after = next;
        Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
        r.id = req_id;
        r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_ITEMS;
        r.items = &ir;
        send_response(c->link, &r);
    }
    for (size_t i = 0; pbs && i < got; i++)
        if (pbs[i]) waybill__item_state__free_unpacked(pbs[i], NULL);
    free(pbs);
    free(states);
}

/* ---- watching ----------------------------------------------------------------- */

static void send_watch_batch(struct node *n, struct node_client *c, uint64_t height,
                             Waybill__HistoryEntry **events, size_t count)
{
    Waybill__WatchBatch wb = WAYBILL__WATCH_BATCH__INIT;
    wb.height = height;
    wb.n_events = count;
    wb.events = events;
    wb.last_height = n->last_height;
    wb.next_height = c->watch_height;
    Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
    r.id = c->watch_id;
    r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_WATCH;
    r.watch = &wb;
    send_response(c->link, &r);
}

/* Whether signed event ev is about `item` ("" = any). */
static bool watch_wants(const char *item, const uint8_t *ev, size_t len)
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

/* Sends one client what it is owed, from storage, while its window and its
 * link's queue allow; reads at most NODE_WATCH_BLOCKS_PER_PUMP blocks. */
static void watch_pump_client(struct node *n, struct node_client *c)
{
    Waybill__HistoryEntry *entries = NULL;
    Waybill__HistoryEntry **ptrs = NULL;
    size_t cap = 0;
    for (unsigned blocks = 0; c->watching && blocks < NODE_WATCH_BLOCKS_PER_PUMP &&
                              c->watch_height <= n->last_height &&
                              c->watch_unacked < NODE_WATCH_WINDOW &&
                              net_link_queued_bytes(c->link) < NODE_WATCH_QUEUE_BYTES;
         blocks++) {
        uint64_t h = c->watch_height;
        uint8_t *raw;
        size_t raw_len;
        Waybill__Block *blk = NULL;
        if (store_get_block(n->store, h, &raw, &raw_len) == WB_OK) {
            blk = waybill__block__unpack(NULL, raw_len, raw);
            free(raw);
        }
        if (!blk) {
            WB_WARN("api", "h=%llu watch: cannot read the block; ending the watch",
                    (unsigned long long)h);
            send_error(c->link, c->watch_id, WB_ERR_STORE, "cannot read a committed block");
            c->watching = false;
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
        size_t i = c->watch_index, count = 0, bytes = 0;
        for (; i < blk->n_events && bytes < NODE_WATCH_BATCH_BYTES; i++) {
            if (!watch_wants(c->watch_item, blk->events[i].data, blk->events[i].len)) continue;
            waybill__history_entry__init(&entries[count]);
            entries[count].signed_event = blk->events[i];
            entries[count].height = h;
            entries[count].index = (uint32_t)i;
            ptrs[count] = &entries[count];
            bytes += blk->events[i].len + 24;
            count++;
        }
        if (i >= blk->n_events) {
            c->watch_height = h + 1;
            c->watch_index = 0;
        } else {
            c->watch_index = (uint32_t)i;
        }
        if (count) {
            c->watch_unacked++;
            send_watch_batch(n, c, h, ptrs, count);
        }
        waybill__block__free_unpacked(blk, NULL);
    }
    free(entries);
    free(ptrs);
}

void node_api_watch_pump(struct node *n)
{
    /* A send may close a link, but its client leaves the array only in
     * on_link_down, which runs from the loop later. */
    for (size_t i = 0; i < n->client_count; i++)
        if (n->clients[i].watching) watch_pump_client(n, &n->clients[i]);
}

static void on_watch(struct node *n, struct node_client *c, uint64_t req_id,
                     const Waybill__WatchRequest *w)
{
    if (c->watching) {
        send_error(c->link, req_id, WB_ERR_BUSY, "this connection is watching already");
        return;
    }
    if (w->item && strlen(w->item) > WB_ITEM_MAX) {
        send_error(c->link, req_id, WB_ERR_INVALID, "the item filter is not an item id");
        return;
    }
    c->watching = true;
    c->watch_id = req_id;
    c->watch_height = w->from_height ? w->from_height : n->last_height + 1;
    c->watch_index = 0;
    c->watch_unacked = 0;
    snprintf(c->watch_item, sizeof c->watch_item, "%s", w->item ? w->item : "");
    WB_DEBUG("api", "h=%llu %s watches from %llu", (unsigned long long)n->last_height,
             net_link_peer_addr(c->link), (unsigned long long)c->watch_height);
    send_watch_batch(n, c, 0, NULL, 0);
    watch_pump_client(n, c);
}

static void on_watch_ack(struct node *n, struct node_client *c, const Waybill__WatchAck *a)
{
    if (!c->watching || a->watch_id != c->watch_id || c->watch_unacked == 0) return;
    c->watch_unacked--;
    watch_pump_client(n, c);
}

/* ---- links ---------------------------------------------------------------------- */

static void on_frame(void *ctx, struct net_link *link, const uint8_t *data, size_t len)
{
    struct node *n = ctx;
    struct node_client *c = client_by_link(n, link);
    if (!c) return;
    Waybill__ClientRequest *rq = waybill__client_request__unpack(NULL, len, data);
    if (!rq) {
        WB_WARN("api", "undecodable request from %s; closing", net_link_peer_addr(link));
        net_link_close(link);
        return;
    }
    switch (rq->req_case) {
    case WAYBILL__CLIENT_REQUEST__REQ_SUBMIT:
        on_submit(n, c, rq->id, rq->submit);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_HEAD:
        on_head(n, c, rq->id, rq->head->item);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_HISTORY:
        on_history(n, c, rq->id, rq->history->item);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_PROOF:
        on_proof(n, c, rq->id, rq->proof->item);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_BLOCK:
        on_block(n, c, rq->id, rq->block->height);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_STATUS:
        on_status(n, c, rq->id);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_ITEMS:
        on_items(n, c, rq->id, rq->items);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_WATCH:
        on_watch(n, c, rq->id, rq->watch);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_WATCH_ACK:
        on_watch_ack(n, c, rq->watch_ack);
        break;
    default:
        send_error(link, rq->id, WB_ERR_INVALID, "unknown request");
        break;
    }
    waybill__client_request__free_unpacked(rq, NULL);
}

static void on_link_up(void *ctx, struct net_link *link, const uint8_t peer_pk[32])
{
    struct node *n = ctx;
    (void)peer_pk;
    if (n->client_count == n->cfg->limits.api_clients_max) {
        WB_WARN("api", "too many clients; refusing %s", net_link_peer_addr(link));
        net_link_close(link);
        return;
    }
    struct node_client *c = &n->clients[n->client_count++];
    c->link = link;
    c->conn_id = ++n->next_conn_id;
    c->waiters = 0;
    c->watching = false;
}

static void on_link_down(void *ctx, struct net_link *link, int reason)
{
    struct node *n = ctx;
    (void)reason;
    for (size_t i = 0; i < n->client_count; i++) {
        if (n->clients[i].link != link) continue;
        /* Its waiters stay until their events resolve; answers to a gone
         * connection are dropped by client_by_conn. */
        n->clients[i] = n->clients[--n->client_count];
        return;
    }
}

static bool authorize_member(void *ctx, const uint8_t pk[32])
{
    struct node *n = ctx;
    return ledger_genesis_org_of_key(n->genesis, pk) >= 0;
}

int node_api_start(struct node *n)
{
    struct net_config nc = {
        .name = "api",
        .authorize = authorize_member,
        .ctx = n,
        .links_max = n->cfg->limits.api_clients_max + 16,
        .on_link_up = on_link_up,
        .on_frame = on_frame,
        .on_link_down = on_link_down,
    };
    return node_net_open(n, &nc, &n->cfg->api_listen, &n->api);
}

void node_api_free(struct node *n)
{
    if (!n->waiters) return;
    while (n->all_waiters) free_waiter(n, n->all_waiters);
    idmap_destroy(n->waiters);
    n->waiters = NULL;
}
