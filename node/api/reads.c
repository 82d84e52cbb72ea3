/* The API's read requests (reads.h). */
#include "node/api/reads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/gov.h"
#include "ledger/rules.h"
#include "node/api/freshness.h"
#include "node/api/respond.h"
#include "node/mempool/mempool.h"
#include "storage/proof.h"
#include "storage/store.h"

void node_read_head(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                    const char *item)
{
    struct ledger_item_state st;
    int rc = mempool_pending_state(rd->env->mempool, item, &st);
    if (rc == WB_ERR_NOT_FOUND) rc = store_item_state(rd->env->store, item, &st);
    if (rc) {
        node_respond_error(link, req_id, rc,
                   rc == WB_ERR_NOT_FOUND ? "item not found" : wb_strerror(rc));
        return;
    }
    uint8_t buf[1024];
    size_t len;
    Waybill__ItemState *pb = NULL;
    if (ledger_item_state_encode(&st, buf, sizeof buf, &len) == 0)
        pb = waybill__item_state__unpack(NULL, len, buf);
    if (!pb) {
        node_respond_error(link, req_id, WB_ERR_INTERNAL, "cannot encode the item state");
        return;
    }
    Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
    r.id = req_id;
    r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_HEAD;
    r.head = pb;
    node_respond(link, &r);
    waybill__item_state__free_unpacked(pb, NULL);
}

void node_read_history(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                       const char *item)
{
    struct ledger_item_state st;
    int rc = store_item_state(rd->env->store, item, &st);
    if (rc) {
        node_respond_error(link, req_id, rc,
                   rc == WB_ERR_NOT_FOUND ? "item not found" : wb_strerror(rc));
        return;
    }
    struct store_event_ref *refs = NULL;
    size_t count = 0;
    rc = store_item_history(rd->env->store, item, &refs, &count);
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
        /* By position: an id lookup would probe every id epoch. */
        if (store_get_event_at(rd->env->store, refs[i].height, refs[i].index, refs[i].id, &ev,
                               &ev_len) != 0)
            break;
        /* Stop reading once the answer could not be sent anyway. */
        bytes += ev_len + 32;
        if (bytes > rd->env->cfg->limits.frame_bytes_max) {
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
        node_respond_error(link, req_id, rc,
                   "the item's history is larger than one frame of this node can carry");
    } else if (!pb || got != count) {
        node_respond_error(link, req_id, rc ? rc : WB_ERR_STORE, "cannot read the item's history");
    } else {
        Waybill__History h = WAYBILL__HISTORY__INIT;
        h.state = pb;
        h.n_events = count;
        h.events = ptrs;
        Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
        r.id = req_id;
        r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_HISTORY;
        r.history = &h;
        node_respond(link, &r);
    }
    for (size_t i = 0; i < got; i++) free(entries[i].signed_event.data);
    if (pb) waybill__item_state__free_unpacked(pb, NULL);
    free(entries);
    free(ptrs);
    free(refs);
}

void node_read_proof(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                     const char *item)
{
    uint8_t *bundle;
    size_t len;
    /* Every event of a bundle takes more than 128 bytes (a signature, a key
     * and an id at least): refuse early what could never be sent, rather
     * than build it on the event loop first. */
    struct ledger_item_state st, gst;
    /* The governance chain's own bundle goes with every other item's when
     * the chain has governance events (ledger/gov_history.h), and counts
     * towards the frame. */
    bool with_gov = strcmp(item, WB_GOV_CHAIN) != 0 &&
                    store_item_state(rd->env->store, WB_GOV_CHAIN, &gst) == 0 && gst.count > 0;
    uint64_t gov_count = with_gov ? gst.count : 0;
    if (store_item_state(rd->env->store, item, &st) == 0 &&
        ((uint64_t)st.count + gov_count) * 128 > rd->env->cfg->limits.frame_bytes_max) {
        node_respond_error(link, req_id, WB_ERR_TOO_LARGE,
                   "the item's proof bundle is larger than one frame of this node can carry");
        return;
    }
    int rc = store_proof_bundle(rd->env->store, item, &bundle, &len);
    if (rc) {
        node_respond_error(link, req_id, rc,
                   rc == WB_ERR_NOT_FOUND ? "item not found" : wb_strerror(rc));
        return;
    }
    Waybill__ProofBundle *pb = waybill__proof_bundle__unpack(NULL, len, bundle);
    free(bundle);
    if (!pb) {
        node_respond_error(link, req_id, WB_ERR_INTERNAL, "cannot build the proof bundle");
        return;
    }
    /* The freshness proof, as of the same head (nothing commits between
     * the two on this loop). Without one the bundle still verifies, with
     * completeness not proven. */
    struct node_freshness fresh;
    rc = node_freshness_build(rd->env, rd->chain, item, &fresh);
    if (rc == WB_OK) pb->freshness = &fresh.pb;
    else if (rc != WB_ERR_NOT_FOUND)
        WB_WARN("api", "item %s: no freshness proof: %s", item, wb_strerror(rc));
    /* The governance section, with its own freshness proof; without it
     * the bundle still verifies where the genesis set signed. */
    Waybill__ProofBundle *gpb = NULL;
    struct node_freshness gfresh;
    bool gfresh_built = false;
    if (with_gov) {
        uint8_t *gbytes;
        size_t glen;
        rc = store_proof_bundle(rd->env->store, WB_GOV_CHAIN, &gbytes, &glen);
        if (rc == WB_OK) {
            gpb = waybill__proof_bundle__unpack(NULL, glen, gbytes);
            free(gbytes);
        } else if (rc != WB_ERR_NOT_FOUND) {
            WB_WARN("api", "item %s: no governance section: %s", item, wb_strerror(rc));
        }
        if (gpb) {
            rc = node_freshness_build(rd->env, rd->chain, WB_GOV_CHAIN, &gfresh);
            gfresh_built = true;
            if (rc == WB_OK) gpb->freshness = &gfresh.pb;
            else if (rc != WB_ERR_NOT_FOUND)
                WB_WARN("api", "governance chain: no freshness proof: %s", wb_strerror(rc));
            pb->governance = gpb;
        }
    }
    Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
    r.id = req_id;
    r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_PROOF;
    r.proof = pb;
    node_respond(link, &r);
    pb->freshness = NULL; /* not the unpacked message's to free */
    pb->governance = NULL; /* freed below */
    waybill__proof_bundle__free_unpacked(pb, NULL);
    node_freshness_free(&fresh);
    if (gpb) {
        gpb->freshness = NULL;
        waybill__proof_bundle__free_unpacked(gpb, NULL);
    }
    if (gfresh_built) node_freshness_free(&gfresh);
}

void node_read_block(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                     uint64_t height)
{
    if (height == 0) height = node_chain_height(rd->chain);
    uint8_t *block = NULL, *cert = NULL;
    size_t block_len, cert_len;
    int rc = height == 0 ? WB_ERR_NOT_FOUND : store_get_block(rd->env->store, height, &block, &block_len);
    if (rc == 0) rc = store_get_cert(rd->env->store, height, &cert, &cert_len);
    if (rc) {
        free(block);
        char msg[96];
        snprintf(msg, sizeof msg, "no block at height %llu (last is %llu)",
                 (unsigned long long)height, (unsigned long long)node_chain_height(rd->chain));
        node_respond_error(link, req_id, rc, rc == WB_ERR_NOT_FOUND ? msg : wb_strerror(rc));
        return;
    }
    struct ledger_block b;
    /* The stored certificate goes out as it is stored; the block is decoded
     * only to name its hash. */
    if (ledger_block_decode(block, block_len, &b) == 0) {
        Waybill__BlockResult br = WAYBILL__BLOCK_RESULT__INIT;
        br.height = height;
        br.block.data = block;
        br.block.len = block_len;
        br.cert.data = cert;
        br.cert.len = cert_len;
        br.block_hash.data = b.hash;
        br.block_hash.len = WB_HASH_LEN;
        Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
        r.id = req_id;
        r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_BLOCK;
        r.block = &br;
        node_respond(link, &r);
        ledger_block_free(&b);
    } else {
        node_respond_error(link, req_id, WB_ERR_STORE, "stored block does not decode");
    }
    free(block);
    free(cert);
}

void node_read_status(const struct node_reads *rd, struct net_link *link, uint64_t req_id)
{
    Waybill__NodeStatus st = WAYBILL__NODE_STATUS__INIT;
    st.name = (char *)rd->env->cfg->name;
    st.validator = node_chain_self_at(rd->chain, node_chain_height(rd->chain) + 1,
                                      rd->env->self_key);
    st.height = node_chain_height(rd->chain);
    st.round = node_driver_round(rd->driver);
    st.last_hash.data = (uint8_t *)node_chain_hash(rd->chain);
    st.last_hash.len = WB_HASH_LEN;
    st.peers_connected = (uint32_t)node_p2p_peer_count(rd->p2p);
    st.mempool_events = (uint32_t)mempool_count(rd->env->mempool);
    st.mempool_bytes = mempool_bytes(rd->env->mempool);
    uint64_t ev_count = 0;
    /* A read failure is logged by the store; the status still answers. */
    if (store_evidence_count(rd->env->store, &ev_count) != WB_OK) ev_count = 0;
    st.evidence_count = ev_count;
    st.chain_id.data = (uint8_t *)rd->env->genesis->chain_id;
    st.chain_id.len = WB_CHAIN_ID_LEN;
    st.events_committed = node_chain_events_committed(rd->chain);
    st.last_block_time_ms = node_chain_height(rd->chain) ? node_chain_time_ms(rd->chain) : 0;
    char storage[sizeof rd->hold->error + 16];
    st.storage = (char *)node_hold_state(rd->hold, storage, sizeof storage);
    Waybill__AdmissionStats adm[2] = {WAYBILL__ADMISSION_STATS__INIT,
                                      WAYBILL__ADMISSION_STATS__INIT};
    struct net *p2p_net = node_p2p_net(rd->p2p);
    struct net *nets[2] = {rd->api_net, p2p_net};
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
    st.api_admission = rd->api_net ? &adm[0] : NULL;
    st.p2p_admission = p2p_net ? &adm[1] : NULL;
    Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
    r.id = req_id;
    r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_STATUS;
    r.status = &st;
    node_respond(link, &r);
}

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
void node_read_items(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                     const Waybill__ItemsRequest *q)
{
    struct store_items_filter f = {.custodian = q->custodian, .held = q->held,
                                   .location = q->location};
    if (q->filter_status && !api_status_of(q->status, &f.status)) {
        node_respond_error(link, req_id, WB_ERR_INVALID, "unknown item status in the filter");
        return;
    }
    f.by_status = q->filter_status;
    size_t limit = q->limit ? q->limit : STORE_ITEMS_LIMIT_DEFAULT;
    if (limit > STORE_ITEMS_LIMIT_MAX) limit = STORE_ITEMS_LIMIT_MAX;
    if (q->after && strlen(q->after) > WB_ITEM_MAX) {
        node_respond_error(link, req_id, WB_ERR_INVALID, "the cursor is not an item id");
        return;
    }
    struct ledger_item_state *states = calloc(limit, sizeof *states);
    Waybill__ItemState **pbs = calloc(limit, sizeof *pbs);
    char next[WB_ITEM_MAX + 1];
    size_t got = 0, packed = 0;
    bool more = false;
    int rc = states && pbs ? WB_OK : WB_ERR_NOMEM;
    if (rc == WB_OK)
        rc = store_items_scan(rd->env->store, &f, q->after, limit, STORE_ITEMS_SCAN_MAX, states, &got,
                              &more, next);
    for (; rc == WB_OK && packed < got; packed++) {
        uint8_t buf[1024];
        size_t len;
        if (ledger_item_state_encode(&states[packed], buf, sizeof buf, &len) != WB_OK ||
            !(pbs[packed] = waybill__item_state__unpack(NULL, len, buf)))
            rc = WB_ERR_INTERNAL;
    }
    if (rc) {
        node_respond_error(link, req_id, rc, "cannot list the items");
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
        node_respond(link, &r);
    }
    for (size_t i = 0; pbs && i < got; i++)
        if (pbs[i]) waybill__item_state__free_unpacked(pbs[i], NULL);
    free(pbs);
    free(states);
}
