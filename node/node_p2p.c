/* Validator links: consensus messages out and in, event gossip, status
 * exchange, and block sync for a node that is behind (DESIGN.md section 6). */
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/quorum.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/canon.h"
#include "ledger/cert.h"
#include "node/node_internal.h"
#include "proto/waybill.pb-c.h"

/* ---- sending -------------------------------------------------------------- */

/* net_send to one peer. A failure other than an oversized message has
 * closed the link already (net.h); the peer gets everything again when it
 * reconnects, so only the oversized case is worth a line. */
static void send_one(struct net_link *link, const uint8_t *buf, size_t len)
{
    int rc = net_send(link, buf, len);
    if (rc == WB_ERR_TOO_LARGE)
        WB_WARN("p2p", "a %zu-byte message is over the frame limit; not sent to %s", len,
                net_link_peer_addr(link));
    else if (rc)
        WB_DEBUG("p2p", "send to %s failed: %s", net_link_peer_addr(link), wb_strerror(rc));
}

static void send_peer_message(struct node *n, struct net_link *only, const Waybill__PeerMessage *m)
{
    size_t len = waybill__peer_message__get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        WB_ERROR("p2p", "out of memory encoding a peer message");
        return;
    }
    waybill__peer_message__pack(m, buf);
    if (only) send_one(only, buf, len);
    else net_broadcast(n->p2p, buf, len);
    free(buf);
}

void node_p2p_broadcast_msg(struct node *n, const struct cons_msg *m)
{
    uint8_t *buf;
    size_t len;
    if (cons_msg_encode(m, &buf, &len) != 0) {
        WB_ERROR("p2p", "cannot encode a consensus message");
        return;
    }
    net_broadcast(n->p2p, buf, len);
    free(buf);
}

void node_p2p_send_own(struct node *n, struct net_link *only)
{
    if (!n->cons_ready) return;
    const struct cons_msg *msgs;
    size_t count;
    cons_own_messages(&n->cons, &msgs, &count);
    for (size_t i = 0; i < count; i++) {
        uint8_t *buf;
        size_t len;
        if (cons_msg_encode(&msgs[i], &buf, &len) != 0) continue;
        if (only) send_one(only, buf, len);
        else net_broadcast(n->p2p, buf, len);
        free(buf);
    }
}

static void send_status(struct node *n, struct net_link *only)
{
    Waybill__PeerStatus st = WAYBILL__PEER_STATUS__INIT;
    st.height = n->last_height;
    st.round = n->cons_ready ? cons_round(&n->cons) : 0;
    Waybill__PeerMessage m = WAYBILL__PEER_MESSAGE__INIT;
    m.msg_case = WAYBILL__PEER_MESSAGE__MSG_STATUS;
    m.status = &st;
    send_peer_message(n, only, &m);
}

void node_p2p_broadcast_status(struct node *n)
{
    n->last_status_ms = node_now_ms(n);
    send_status(n, NULL);
}

/* ---- gossip ----------------------------------------------------------------- */

void node_p2p_gossip_flush(struct node *n)
{
    uv_timer_stop(&n->gossip_timer);
    if (n->gossip_count == 0) return;
    ProtobufCBinaryData *evs = calloc(n->gossip_count, sizeof *evs);
    if (evs) {
        for (size_t i = 0; i < n->gossip_count; i++) {
            evs[i].data = n->gossip[i];
            evs[i].len = n->gossip_lens[i];
        }
        Waybill__EventBatch batch = WAYBILL__EVENT_BATCH__INIT;
        batch.n_events = n->gossip_count;
        batch.events = evs;
        Waybill__PeerMessage m = WAYBILL__PEER_MESSAGE__INIT;
        m.msg_case = WAYBILL__PEER_MESSAGE__MSG_EVENTS;
        m.events = &batch;
        send_peer_message(n, NULL, &m);
        free(evs);
    }
    for (size_t i = 0; i < n->gossip_count; i++) free(n->gossip[i]);
    n->gossip_count = 0;
    n->gossip_bytes = 0;
}

void node_p2p_on_gossip_timer(uv_timer_t *t)
{
    node_p2p_gossip_flush(t->data);
}

void node_p2p_gossip_add(struct node *n, const uint8_t *ev, size_t len)
{
    /* A batch must fit one frame (with room for the envelope). */
    if (n->gossip_bytes + len + 16 > n->cfg->limits.frame_bytes_max - NODE_FRAME_OVERHEAD_MIN)
        node_p2p_gossip_flush(n);
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return; /* peers still get the event inside the block */
    memcpy(copy, ev, len);
    n->gossip[n->gossip_count] = copy;
    n->gossip_lens[n->gossip_count] = len;
    n->gossip_count++;
    n->gossip_bytes += len + 16;
    if (n->gossip_count == NODE_GOSSIP_BATCH_EVENTS) node_p2p_gossip_flush(n);
    else if (!uv_is_active((uv_handle_t *)&n->gossip_timer) &&
             uv_timer_start(&n->gossip_timer, node_p2p_on_gossip_timer, NODE_GOSSIP_FLUSH_MS,
                            0) != 0)
        node_p2p_gossip_flush(n); /* no timer: send now rather than never */
}

/* A peer that just linked up missed the gossip of what is pending here
 * (e.g. events submitted during a partition, or while it was down): one
 * batch of the oldest pending events, so whoever proposes next has them. */
static void send_pending(struct node *n, struct net_link *link)
{
    size_t max = NODE_GOSSIP_BATCH_EVENTS;
    const uint8_t **evs = calloc(max, sizeof *evs);
    size_t *lens = calloc(max, sizeof *lens);
    ProtobufCBinaryData *pb = calloc(max, sizeof *pb);
    size_t budget = n->cfg->limits.frame_bytes_max - NODE_FRAME_OVERHEAD_MIN;
    size_t count = evs && lens && pb ? mempool_take(n->mempool, max, budget / 2, evs, lens) : 0;
    if (count) {
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
        send_peer_message(n, link, &m);
    }
    free(evs);
    free(lens);
    free(pb);
}

static void on_events(struct node *n, const Waybill__EventBatch *batch)
{
    size_t admitted = 0;
    for (size_t i = 0; i < batch->n_events; i++) {
        int rc = mempool_add(n->mempool, batch->events[i].data, batch->events[i].len, NULL,
                             NULL, 0);
        if (rc == 0) admitted++;
    }
    if (admitted) node_cons_on_mempool_grew(n);
}

/* ---- block sync ---------------------------------------------------------------- */

static struct node_peer *peer_of_link(struct node *n, struct net_link *link)
{
    for (size_t i = 0; i < n->peer_count; i++)
        if (n->peers[i].link == link) return &n->peers[i];
    return NULL;
}

/* The height at least f+1 peers claim to have reached: at least one of
 * them is honest, so one lying validator cannot make us chase a height that
 * does not exist. 0 when fewer peers are connected. */
static uint64_t sync_target(const struct node *n)
{
    size_t f = wb_faulty(n->genesis->validator_count);
    if (n->peer_count < f + 1) return 0;
    uint64_t h[NODE_PEERS_LINKS_MAX];
    for (size_t i = 0; i < n->peer_count; i++) h[i] = n->peers[i].height;
    /* partial selection sort: the f+1 largest come first */
    for (size_t i = 0; i <= f; i++)
        for (size_t j = i + 1; j < n->peer_count; j++)
            if (h[j] > h[i]) {
                uint64_t t = h[i];
                h[i] = h[j];
                h[j] = t;
            }
    return h[f];
}

void node_p2p_sync_check(struct node *n)
{
    int64_t now = node_now_ms(n);
    if (n->sync_inflight && now < n->sync_deadline_ms) return;
    n->sync_inflight = false;
    uint64_t target = sync_target(n);
    if (target <= n->last_height) return;
    /* A network one height ahead is normal in steady state (we are about to
     * decide the same height ourselves); fetch when further behind, when the
     * core says so, or when no progress was made for a while. */
    bool behind = target >= n->last_height + 2 || n->sync_hint != 0 ||
                  now - n->last_progress_ms > 1000;
    if (!behind) return;
    /* Ask the peers that claim the target in turn, so a peer that does not
     * answer (or lied) costs one timeout, not every request. */
    struct node_peer *p = NULL;
    for (size_t k = 1; k <= n->peer_count && !p; k++) {
        size_t i = (n->sync_rr + k) % n->peer_count;
        if (n->peers[i].height >= target) {
            p = &n->peers[i];
            n->sync_rr = i;
        }
    }
    if (!p) return;
    Waybill__BlockRequest rq = WAYBILL__BLOCK_REQUEST__INIT;
    rq.from_height = n->last_height + 1;
    uint64_t want = target - n->last_height;
    rq.max_blocks = want < NODE_SYNC_BATCH ? (uint32_t)want : NODE_SYNC_BATCH;
    Waybill__PeerMessage m = WAYBILL__PEER_MESSAGE__INIT;
    m.msg_case = WAYBILL__PEER_MESSAGE__MSG_BLOCK_REQUEST;
    m.block_request = &rq;
    send_peer_message(n, p->link, &m);
    n->sync_inflight = true;
    n->sync_link = p->link;
    n->sync_until = rq.from_height + rq.max_blocks - 1;
    n->sync_deadline_ms = now + NODE_SYNC_TIMEOUT_MS;
    n->sync_hint = 0;
    WB_INFO("sync", "h=%llu behind (validators reached %llu); asking validator %u for blocks "
            "%llu..%llu", (unsigned long long)n->last_height, (unsigned long long)target,
            p->validator, (unsigned long long)rq.from_height, (unsigned long long)n->sync_until);
}

static void serve_blocks(struct node *n, struct net_link *link, const Waybill__BlockRequest *rq)
{
    uint64_t h = rq->from_height ? rq->from_height : 1;
    uint32_t max = rq->max_blocks ? rq->max_blocks : 1;
    if (max > NODE_SYNC_BATCH) max = NODE_SYNC_BATCH;
    size_t sent_bytes = 0;
    for (uint32_t i = 0; i < max && h <= n->last_height && sent_bytes < NODE_SYNC_REPLY_BYTES;
         i++, h++) {
        uint8_t *block = NULL, *cert = NULL;
        size_t block_len, cert_len;
        if (store_get_block(n->store, h, &block, &block_len) != 0 ||
            store_get_cert(n->store, h, &cert, &cert_len) != 0) {
            free(block);
            break;
        }
        Waybill__CommitCert *c = waybill__commit_cert__unpack(NULL, cert_len, cert);
        if (c) {
            Waybill__BlockReply rep = WAYBILL__BLOCK_REPLY__INIT;
            rep.height = h;
            rep.block.data = block;
            rep.block.len = block_len;
            rep.cert = c;
            Waybill__PeerMessage m = WAYBILL__PEER_MESSAGE__INIT;
            m.msg_case = WAYBILL__PEER_MESSAGE__MSG_BLOCK_REPLY;
            m.block_reply = &rep;
            send_peer_message(n, link, &m);
            waybill__commit_cert__free_unpacked(c, NULL);
        }
        sent_bytes += block_len + cert_len;
        free(block);
        free(cert);
    }
}

static void on_block_reply(struct node *n, const Waybill__BlockReply *rep)
{
    char msg[256];
    if (rep->height != n->last_height + 1 || !rep->cert) return; /* not the one we need */
    struct ledger_block b;
    if (ledger_block_decode(rep->block.data, rep->block.len, &b) != 0) {
        WB_WARN("sync", "h=%llu block reply does not decode", (unsigned long long)rep->height);
        return;
    }
    int rc = ledger_cert_verify(n->genesis, rep->cert, rep->height, b.hash, msg, sizeof msg);
    if (rc) {
        WB_WARN("sync", "h=%llu block reply: certificate: %s", (unsigned long long)rep->height,
                msg);
        goto out;
    }
    struct ledger_item_state *states = NULL;
    size_t count = 0;
    rc = node_check_block(n, &b, false, &states, &count, msg, sizeof msg);
    if (rc) {
        WB_ERROR("sync", "h=%llu certified block fails local checks: %s",
                 (unsigned long long)rep->height, msg);
        free(states);
        goto out;
    }
    size_t cert_len = waybill__commit_cert__get_packed_size(rep->cert);
    uint8_t *cert = malloc(cert_len ? cert_len : 1);
    if (cert) {
        waybill__commit_cert__pack(rep->cert, cert);
        rc = node_commit_block(n, &b, rep->block.data, rep->block.len, cert, cert_len, states,
                               count);
        free(cert);
        if (rc == 0) {
            struct cons_event ev = {.kind = CONS_EV_SYNCED, .now_ms = node_now_ms(n)};
            ev.synced.height = rep->height;
            node_cons_feed(n, &ev);
        } else if (node_storage_is_fault(rc)) {
            node_storage_append_failed(n, rc, rep->height, rep->block.data, rep->block.len,
                                       NULL, 0);
        } else {
            WB_ERROR("sync", "h=%llu cannot append synced block: %s",
                     (unsigned long long)rep->height, wb_strerror(rc));
        }
    }
    free(states);
out:
    ledger_block_free(&b);
    if (n->last_height >= n->sync_until) n->sync_inflight = false;
}

/* ---- incoming ------------------------------------------------------------------ */

static void on_frame(void *ctx, struct net_link *link, const uint8_t *data, size_t len)
{
    struct node *n = ctx;
    /* Proposals, votes and the certificates of block replies are signed or
     * verified: one encoding only (ledger/canon.h), as for every such message. */
    ProtobufCMessage *pm;
    char why[160];
    struct node_peer *p = peer_of_link(n, link);
    if (ledger_pb_decode(&waybill__peer_message__descriptor, NULL, data, len, "peer message",
                         &pm, why, sizeof why) != 0) {
        WB_WARN("p2p", "undecodable message from validator %u (%s); closing link",
                p ? p->validator : 0, why);
        net_link_close(link);
        return;
    }
    Waybill__PeerMessage *m = (Waybill__PeerMessage *)pm;
    struct cons_event ev = {.now_ms = node_now_ms(n)};
    switch (m->msg_case) {
    case WAYBILL__PEER_MESSAGE__MSG_PROPOSAL:
        if (cons_proposal_from_pb(m->proposal, &ev.proposal) == 0) {
            ev.kind = CONS_EV_PROPOSAL;
            node_cons_feed(n, &ev);
        }
        break;
    case WAYBILL__PEER_MESSAGE__MSG_VOTE:
        if (cons_vote_from_pb(m->vote, &ev.vote) == 0) {
            ev.kind = CONS_EV_VOTE;
            node_cons_feed(n, &ev);
        }
        break;
    case WAYBILL__PEER_MESSAGE__MSG_EVENTS:
        on_events(n, m->events);
        break;
    case WAYBILL__PEER_MESSAGE__MSG_STATUS:
        if (p) p->height = m->status->height;
        node_p2p_sync_check(n);
        break;
    case WAYBILL__PEER_MESSAGE__MSG_BLOCK_REQUEST:
        serve_blocks(n, link, m->block_request);
        break;
    case WAYBILL__PEER_MESSAGE__MSG_BLOCK_REPLY:
        on_block_reply(n, m->block_reply);
        node_p2p_sync_check(n);
        break;
    default:
        break;
    }
    waybill__peer_message__free_unpacked(m, NULL);
}

static void on_link_up(void *ctx, struct net_link *link, const uint8_t peer_pk[32])
{
    struct node *n = ctx;
    int v = ledger_genesis_validator_of_key(n->genesis, peer_pk);
    if (v < 0 || n->peer_count == NODE_PEERS_LINKS_MAX) {
        net_link_close(link);
        return;
    }
    struct node_peer *p = &n->peers[n->peer_count++];
    p->link = link;
    p->validator = (uint32_t)v;
    p->height = 0;
    WB_INFO("p2p", "h=%llu link up with validator %d (%s, %s)",
            (unsigned long long)n->last_height, v, n->genesis->validators[v].name,
            net_link_peer_addr(link));
    send_status(n, link);
    node_p2p_send_own(n, link);
    send_pending(n, link);
}

static void on_link_down(void *ctx, struct net_link *link, int reason)
{
    struct node *n = ctx;
    for (size_t i = 0; i < n->peer_count; i++) {
        if (n->peers[i].link != link) continue;
        WB_INFO("p2p", "h=%llu link down with validator %u: %s",
                (unsigned long long)n->last_height, n->peers[i].validator,
                reason ? wb_strerror(reason) : "closed");
        n->peers[i] = n->peers[--n->peer_count];
        if (n->sync_inflight && n->sync_link == link) {
            /* Its answer will not come (e.g. the link lost the one-link
             * rule right after a heal): ask another peer now rather than
             * after the request's timeout. */
            n->sync_inflight = false;
            n->sync_link = NULL;
            node_p2p_sync_check(n);
        }
        return;
    }
}

static bool authorize_validator(void *ctx, const uint8_t pk[32])
{
    struct node *n = ctx;
    int v = ledger_genesis_validator_of_key(n->genesis, pk);
    return v >= 0 && (uint32_t)v != n->self;
}

int node_p2p_start(struct node *n)
{
    struct net_config nc = {
        .name = "p2p",
        .authorize = authorize_validator,
        .ctx = n,
        .unique_peers = true,
        .keepalive_ms = NODE_P2P_KEEPALIVE_MS,
        .idle_timeout_ms = NODE_P2P_IDLE_TIMEOUT_MS,
        .handshake_timeout_ms = NODE_P2P_HANDSHAKE_TIMEOUT_MS,
        .reconnect_max_ms = NODE_P2P_RECONNECT_MAX_MS,
        .on_link_up = on_link_up,
        .on_frame = on_frame,
        .on_link_down = on_link_down,
    };
    int rc = node_net_open(n, &nc, &n->cfg->p2p_listen, &n->p2p);
    if (rc) return rc;
    char addr[WB_ADDR_STR_MAX];
    if (n->cfg->peer_count > 0) {
        for (size_t i = 0; i < n->cfg->peer_count; i++) {
            wb_addr_format(&n->cfg->peers[i], addr, sizeof addr);
            if ((rc = net_dial(n->p2p, addr, NULL, true))) return rc;
        }
    } else {
        for (size_t i = 0; i < n->genesis->validator_count; i++) {
            if (i == n->self) continue;
            rc = net_dial(n->p2p, n->genesis->validators[i].p2p, n->genesis->validators[i].key,
                          true);
            if (rc) {
                WB_ERROR("p2p", "cannot dial validator %zu at %s: %s", i,
                         n->genesis->validators[i].p2p, wb_strerror(rc));
                return rc;
            }
        }
    }
    return WB_OK;
}
