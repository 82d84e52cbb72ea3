/* The validator links (p2p.h). */
#include "node/p2p/p2p.h"

#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/log.h"
#include "ledger/canon.h"
#include "node/p2p/wire.h"
#include "proto/waybill.pb-c.h"

/* ---- sending -------------------------------------------------------------- */

void node_p2p_broadcast_msg(struct node_p2p *p, const struct cons_msg *m)
{
    if (!p->net) return;
    uint8_t *buf;
    size_t len;
    if (cons_msg_encode(m, &buf, &len) != 0) {
        WB_ERROR("p2p", "cannot encode a consensus message");
        return;
    }
    net_broadcast(p->net, buf, len);
    free(buf);
}

void node_p2p_send_own(struct node_p2p *p, struct net_link *only)
{
    if (!p->net) return;
    const struct cons_msg *msgs;
    size_t count;
    node_driver_own_messages(p->driver, &msgs, &count);
    for (size_t i = 0; i < count; i++) {
        uint8_t *buf;
        size_t len;
        if (cons_msg_encode(&msgs[i], &buf, &len) != 0) {
            WB_ERROR("p2p", "cannot encode a consensus message");
            continue;
        }
        if (only) node_wire_send_bytes(only, buf, len);
        else net_broadcast(p->net, buf, len);
        free(buf);
    }
}

static void send_status(struct node_p2p *p, struct net_link *only)
{
    Waybill__PeerStatus st = WAYBILL__PEER_STATUS__INIT;
    st.height = node_chain_height(p->chain);
    st.round = node_driver_round(p->driver);
    Waybill__PeerMessage m = WAYBILL__PEER_MESSAGE__INIT;
    m.msg_case = WAYBILL__PEER_MESSAGE__MSG_STATUS;
    m.status = &st;
    node_wire_send(p->net, only, &m);
}

void node_p2p_broadcast_status(struct node_p2p *p)
{
    if (!p->net) return;
    p->last_status_ms = node_now_ms();
    send_status(p, NULL);
}

void node_p2p_gossip_add(struct node_p2p *p, const uint8_t *ev, size_t len)
{
    if (p->net) node_gossip_add(&p->gossip, ev, len);
}

void node_p2p_on_tick(struct node_p2p *p, int64_t now)
{
    if (!p->net) return;
    if (now - p->last_status_ms >= NODE_STATUS_EVERY_MS) node_p2p_broadcast_status(p);
    node_sync_check(&p->sync, p->peers, p->peer_count);
}

/* ---- incoming ------------------------------------------------------------------ */

/* This node is no validator of the next height: it follows the chain. */
static bool p2p_follower(const struct node_p2p *p)
{
    return node_chain_self_at(p->chain, node_chain_height(p->chain) + 1, p->env->self_key) ==
           UINT32_MAX;
}

static struct node_peer *peer_of_link(struct node_p2p *p, struct net_link *link)
{
    for (size_t i = 0; i < p->peer_count; i++)
        if (p->peers[i].link == link) return &p->peers[i];
    return NULL;
}

static void on_frame(void *ctx, struct net_link *link, const uint8_t *data, size_t len)
{
    struct node_p2p *p = ctx;
    /* Proposals and votes are signed: one encoding only (ledger/canon.h),
     * as for every such message. */
    ProtobufCMessage *pm;
    char why[160];
    struct node_peer *peer = peer_of_link(p, link);
    if (ledger_pb_decode(&waybill__peer_message__descriptor, NULL, data, len, "peer message",
                         &pm, why, sizeof why) != 0) {
        WB_WARN("p2p", "undecodable message from validator %u (%s); closing link",
                peer ? peer->validator : 0, why);
        net_link_close(link);
        return;
    }
    Waybill__PeerMessage *m = (Waybill__PeerMessage *)pm;
    struct cons_event ev = {.now_ms = node_now_ms()};
    switch (m->msg_case) {
    case WAYBILL__PEER_MESSAGE__MSG_PROPOSAL:
        if (cons_proposal_from_pb(m->proposal, &ev.proposal) == 0) {
            ev.kind = CONS_EV_PROPOSAL;
            node_driver_feed(p->driver, &ev);
        }
        break;
    case WAYBILL__PEER_MESSAGE__MSG_VOTE:
        if (cons_vote_from_pb(m->vote, &ev.vote) == 0) {
            ev.kind = CONS_EV_VOTE;
            node_driver_feed(p->driver, &ev);
        }
        break;
    case WAYBILL__PEER_MESSAGE__MSG_EVENTS:
        if (node_gossip_receive(&p->gossip, m->events)) node_driver_on_mempool_grew(p->driver);
        break;
    case WAYBILL__PEER_MESSAGE__MSG_STATUS:
        if (peer) peer->height = m->status->height;
        node_sync_check(&p->sync, p->peers, p->peer_count);
        break;
    case WAYBILL__PEER_MESSAGE__MSG_BLOCK_REQUEST:
        node_sync_serve(&p->sync, link, m->block_request);
        break;
    case WAYBILL__PEER_MESSAGE__MSG_BLOCK_REPLY:
        node_sync_on_reply(&p->sync, m->block_reply);
        node_sync_check(&p->sync, p->peers, p->peer_count);
        break;
    default:
        break;
    }
    waybill__peer_message__free_unpacked(m, NULL);
}

/* ---- bytes per peer ------------------------------------------------------------- */

static struct node_p2p_traffic *traffic_of(struct node_p2p *p, const uint8_t key[WB_PUBKEY_LEN],
                                           bool add)
{
    for (size_t i = 0; i < p->traffic_count; i++)
        if (memcmp(p->traffic[i].key, key, WB_PUBKEY_LEN) == 0) return &p->traffic[i];
    if (!add || p->traffic_count == NODE_P2P_TRAFFIC_MAX) return NULL;
    struct node_p2p_traffic *t = &p->traffic[p->traffic_count++];
    memset(t, 0, sizeof *t);
    memcpy(t->key, key, WB_PUBKEY_LEN);
    return t;
}

size_t node_p2p_traffic(const struct node_p2p *p, struct node_p2p_traffic_row *rows, size_t max)
{
    size_t n = p->traffic_count < max ? p->traffic_count : max;
    for (size_t i = 0; i < n; i++) {
        const struct node_p2p_traffic *t = &p->traffic[i];
        struct node_p2p_traffic_row *r = &rows[i];
        memcpy(r->key, t->key, WB_PUBKEY_LEN);
        r->received_bytes = t->received_bytes;
        r->sent_bytes = t->sent_bytes;
        r->up = false;
        for (size_t k = 0; k < p->peer_count; k++) {
            if (memcmp(net_link_peer_key(p->peers[k].link), t->key, WB_PUBKEY_LEN) != 0) continue;
            uint64_t rx, tx;
            net_link_bytes(p->peers[k].link, &rx, &tx);
            r->received_bytes += rx;
            r->sent_bytes += tx;
            r->up = true;
        }
    }
    return n;
}

uint64_t node_p2p_sync_target(const struct node_p2p *p)
{
    if (!p->net) return 0;
    return node_sync_target(p->env->genesis->validator_count, p->peers, p->peer_count);
}

bool node_p2p_sync_busy(const struct node_p2p *p)
{
    return p->net && node_sync_busy(&p->sync);
}

/* ---- links ---------------------------------------------------------------------- */

static void on_link_up(void *ctx, struct net_link *link, const uint8_t peer_pk[32])
{
    struct node_p2p *p = ctx;
    const struct ledger_genesis *g = p->env->genesis;
    int v = ledger_genesis_validator_of_key(g, peer_pk);
    if ((v < 0 && !p2p_follower(p)) || p->peer_count == NODE_PEERS_LINKS_MAX) {
        net_link_close(link);
        return;
    }
    struct node_peer *peer = &p->peers[p->peer_count++];
    peer->link = link;
    peer->validator = v >= 0 ? (uint32_t)v : UINT32_MAX;
    peer->height = 0;
    /* Listed from its first link on, so a peer that went away stays listed. */
    (void)traffic_of(p, peer_pk, true);
    char hex[17];
    if (v >= 0)
        WB_INFO("p2p", "h=%llu link up with validator %d (%s, %s)",
                (unsigned long long)node_chain_height(p->chain), v, g->validators[v].name,
                net_link_peer_addr(link));
    else
        WB_INFO("p2p", "h=%llu link up with node %s, which the registry does not list yet (%s)",
                (unsigned long long)node_chain_height(p->chain),
                wb_hex_encode(peer_pk, 8, hex, sizeof hex), net_link_peer_addr(link));
    send_status(p, link);
    node_p2p_send_own(p, link);
    node_gossip_send_pending(&p->gossip, link);
}

static void on_link_down(void *ctx, struct net_link *link, int reason)
{
    struct node_p2p *p = ctx;
    for (size_t i = 0; i < p->peer_count; i++) {
        if (p->peers[i].link != link) continue;
        WB_INFO("p2p", "h=%llu link down with validator %u: %s",
                (unsigned long long)node_chain_height(p->chain), p->peers[i].validator,
                reason ? wb_strerror(reason) : "closed");
        struct node_p2p_traffic *t = traffic_of(p, net_link_peer_key(link), false);
        if (t) {
            uint64_t rx, tx;
            net_link_bytes(link, &rx, &tx);
            t->received_bytes += rx;
            t->sent_bytes += tx;
        }
        p->peers[i] = p->peers[--p->peer_count];
        node_sync_on_link_down(&p->sync, link, p->peers, p->peer_count);
        return;
    }
}

/* A validator of the registry; or, while this node is no validator of
 * its next height (a node that is joining, or one that was removed), any
 * node: a joining node's registry is still the one of the height it has
 * synced to, so it does not know the validators added since, and they are
 * the ones who can serve it the blocks. Nothing it takes from a link is
 * trusted unchecked: synced blocks come with certificates checked against
 * the set of their height, votes and proposals with signatures. */
static bool authorize_validator(void *ctx, const uint8_t pk[32])
{
    struct node_p2p *p = ctx;
    if (memcmp(pk, p->env->self_key, WB_PUBKEY_LEN) == 0) return false;
    return ledger_genesis_validator_of_key(p->env->genesis, pk) >= 0 || p2p_follower(p);
}

/* Dials every validator of the registry not dialed before (nor this node). */
static int dial_validators(struct node_p2p *p)
{
    const struct ledger_genesis *g = p->env->genesis;
    for (size_t i = 0; i < g->validator_count; i++) {
        const struct ledger_validator *v = &g->validators[i];
        if (memcmp(v->key, p->env->self_key, WB_PUBKEY_LEN) == 0) continue;
        bool seen = false;
        for (size_t k = 0; k < p->dialed_count && !seen; k++)
            seen = memcmp(p->dialed[k], v->key, WB_PUBKEY_LEN) == 0;
        if (seen) continue;
        if (p->dialed_count == NODE_P2P_DIALED_MAX) {
            WB_WARN("p2p", "cannot dial validator %s: %d validators dialed already", v->name,
                    NODE_P2P_DIALED_MAX);
            continue;
        }
        int rc = net_dial(p->net, v->p2p, v->key, true);
        if (rc) {
            WB_ERROR("p2p", "cannot dial validator %s at %s: %s", v->name, v->p2p,
                     wb_strerror(rc));
            return rc;
        }
        memcpy(p->dialed[p->dialed_count++], v->key, WB_PUBKEY_LEN);
    }
    return WB_OK;
}

void node_p2p_on_gov(struct node_p2p *p)
{
    if (!p->net || p->env->cfg->peer_count > 0) return;
    int rc = dial_validators(p);
    if (rc) WB_WARN("p2p", "dialing the validators governance added failed: %s", wb_strerror(rc));
}

/* ---- start and stop ------------------------------------------------------------ */

int node_p2p_start(struct node_p2p *p, const struct node_env *env,
                   const struct node_identity *id, const struct node_chain *chain,
                   struct node_commit *commit, struct node_hold *hold,
                   struct node_driver *driver)
{
    memset(p, 0, sizeof *p);
    p->env = env;
    p->chain = chain;
    p->driver = driver;
    struct net_config nc = {
        .name = "p2p",
        .authorize = authorize_validator,
        .ctx = p,
        .unique_peers = true,
        .keepalive_ms = NODE_P2P_KEEPALIVE_MS,
        .idle_timeout_ms = NODE_P2P_IDLE_TIMEOUT_MS,
        .handshake_timeout_ms = NODE_P2P_HANDSHAKE_TIMEOUT_MS,
        .reconnect_max_ms = NODE_P2P_RECONNECT_MAX_MS,
        .on_link_up = on_link_up,
        .on_frame = on_frame,
        .on_link_down = on_link_down,
    };
    int rc = node_net_open(env, id, &nc, &env->cfg->p2p_listen, &p->net);
    if (rc) return rc;
    node_sync_init(&p->sync, env, p->net, commit, hold, driver);
    if ((rc = node_gossip_init(&p->gossip, env, p->net))) return rc;
    const struct node_config *cfg = env->cfg;
    char addr[WB_ADDR_STR_MAX];
    if (cfg->peer_count > 0) {
        for (size_t i = 0; i < cfg->peer_count; i++) {
            wb_addr_format(&cfg->peers[i], addr, sizeof addr);
            if ((rc = net_dial(p->net, addr, NULL, true))) {
                WB_ERROR("p2p", "cannot dial peer %s: %s", addr, wb_strerror(rc));
                return rc;
            }
        }
        return WB_OK;
    }
    return dial_validators(p);
}

static void on_net_closed(void *ctx)
{
    struct node_p2p *p = ctx;
    p->closed(p->closed_ctx);
}

void node_p2p_close(struct node_p2p *p, void (*done)(void *ctx), void *ctx)
{
    node_gossip_stop(&p->gossip);
    if (!p->net) {
        done(ctx);
        return;
    }
    p->closed = done;
    p->closed_ctx = ctx;
    net_close(p->net, on_net_closed);
}
