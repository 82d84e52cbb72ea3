/* The client API (api.h). */
#include "node/api/api.h"

#include <string.h>

#include "common/hex.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "node/api/api_submit.h"
#include "node/api/respond.h"
#include "node/api/risk_context.h"
#include "node/api/scores.h"
#include "node/mempool/mempool.h"
#include "proto/waybill.pb-c.h"
#include "storage/store.h"

/* ---- submits ------------------------------------------------------------------ */

static int api_location(void *ctx, const uint8_t id[WB_HASH_LEN], uint64_t *height,
                        uint32_t *index)
{
    return store_event_location(ctx, id, height, index);
}

/* A submit of an event that is committed already answers where it is (a
 * client retrying after a lost answer gets it again instead of a second
 * record); one that is pending, from this client or another, waits for it
 * like the first submit did. */
static void on_submit(struct node_api *a, struct node_client *c, uint64_t req_id,
                      const Waybill__SubmitRequest *s)
{
    char reason[512];
    struct api_submit_outcome out;
    api_submit_admit(api_location, a->env->store, a->env->mempool, s->signed_event.data,
                     s->signed_event.len, &out, reason, sizeof reason);
    char hex[65];
    switch (out.kind) {
    case API_SUBMIT_ALREADY_COMMITTED:
        WB_DEBUG("api", "h=%llu event %.16s is committed already at %llu:%u",
                 (unsigned long long)node_chain_height(a->chain), wb_hex_encode(out.id, 32, hex, sizeof hex),
                 (unsigned long long)out.height, (unsigned)out.index);
        node_respond_submit(c->link, req_id, out.id, out.height, out.index, true, true);
        return;
    case API_SUBMIT_REFUSED:
        WB_DEBUG("api", "h=%llu rejected event %.16s: %s", (unsigned long long)node_chain_height(a->chain),
                 wb_hex_encode(out.id, 32, hex, sizeof hex), reason);
        node_respond_error(c->link, req_id, out.err, reason);
        return;
    case API_SUBMIT_ADMITTED:
        node_p2p_gossip_add(a->p2p, s->signed_event.data, s->signed_event.len);
        break;
    case API_SUBMIT_PENDING:
        break;
    }
    /* The client is answered or registered as a waiter before the mempool's
     * growth can start a block: a single validator decides and commits inside
     * node_driver_on_mempool_grew, and a waiter added after that would never
     * hear of the commit. */
    if (s->no_wait) {
        node_respond_submit(c->link, req_id, out.id, 0, 0, false, false);
    } else {
        int rc = node_waiters_add(&a->waiters, out.id, c, req_id);
        if (rc) node_respond_error(c->link, req_id, rc, "too many clients waiting for commits; retry");
    }
    if (out.kind == API_SUBMIT_ADMITTED) node_driver_on_mempool_grew(a->driver);
}

/* ---- commits ------------------------------------------------------------------ */

void node_api_on_block(struct node_api *a, const struct ledger_block *b,
                       const uint8_t (*ids)[WB_HASH_LEN])
{
    for (size_t i = 0; i < b->event_count; i++)
        node_waiters_committed(&a->waiters, ids[i], b->header.height, (uint32_t)i);
    node_api_watch_pump(a);
}

void node_api_on_dropped(void *ctx, const uint8_t id[WB_HASH_LEN], int err, const char *reason)
{
    struct node_api *a = ctx;
    node_waiters_dropped(&a->waiters, id, err, reason);
}

void node_api_watch_pump(struct node_api *a)
{
    /* A send may close a link, but its client leaves the table only in
     * on_link_down, which runs from the loop later. */
    for (size_t i = 0; i < a->clients.count; i++) {
        struct node_client *c = &a->clients.table[i];
        if (c->watch.watching) node_watch_pump(&c->watch, c->link, a->env, a->chain);
    }
}

/* ---- links ---------------------------------------------------------------------- */

/* Whether a connection signed by a device key may make request rq: a
 * device reads nothing of the ledger but an item's head. */
static bool device_may(Waybill__ClientRequest__ReqCase rq)
{
    return rq == WAYBILL__CLIENT_REQUEST__REQ_SUBMIT || rq == WAYBILL__CLIENT_REQUEST__REQ_HEAD;
}

static void on_frame(void *ctx, struct net_link *link, const uint8_t *data, size_t len)
{
    struct node_api *a = ctx;
    struct node_client *c = node_clients_by_link(&a->clients, link);
    if (!c) return;
    Waybill__ClientRequest *rq = waybill__client_request__unpack(NULL, len, data);
    if (!rq) {
        WB_WARN("api", "undecodable request from %s; closing", net_link_peer_addr(link));
        net_link_close(link);
        return;
    }
    /* A key revoked (or whose organisation was removed) since the link came
     * up, or before it: every request is answered with why, nothing else. */
    char why[256];
    if (ledger_gov_key_refusal(node_chain_gov(a->chain), c->key, why, sizeof why) != WB_OK) {
        if (rq->req_case != WAYBILL__CLIENT_REQUEST__REQ_WATCH_ACK)
            node_respond_error(link, rq->id, WB_ERR_RULE, why);
        waybill__client_request__free_unpacked(rq, NULL);
        return;
    }
    const struct ledger_gov_device *dev = ledger_gov_device_find(node_chain_gov(a->chain), c->key);
    if (dev && ledger_genesis_org_of_key(a->env->genesis, c->key) < 0 && !device_may(rq->req_case)) {
        if (rq->req_case != WAYBILL__CLIENT_REQUEST__REQ_WATCH_ACK)
            node_respond_error(link, rq->id, WB_ERR_RULE,
                               "this connection is signed by a device's key, which may only "
                               "submit events and ask an item's head; connect with a member's "
                               "client key");
        waybill__client_request__free_unpacked(rq, NULL);
        return;
    }
    const struct node_reads *rd = &a->reads;
    switch (rq->req_case) {
    case WAYBILL__CLIENT_REQUEST__REQ_SUBMIT:
        on_submit(a, c, rq->id, rq->submit);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_HEAD:
        node_read_head(rd, link, rq->id, rq->head->item);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_HISTORY:
        node_read_history(rd, link, rq->id, rq->history->item);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_PROOF:
        node_read_proof(rd, link, rq->id, rq->proof->item);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_BLOCK:
        node_read_block(rd, link, rq->id, rq->block->height);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_STATUS:
        node_read_status(rd, link, rq->id);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_ITEMS:
        if (rq->items->flagged || rq->items->min_score)
            node_read_scored_items(rd, link, rq->id, rq->items);
        else
            node_read_items(rd, link, rq->id, rq->items);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_WATCH:
        node_watch_start(&c->watch, link, a->env, a->chain, rq->id, rq->watch);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_WATCH_ACK:
        node_watch_ack(&c->watch, link, a->env, a->chain, rq->watch_ack);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_RISK_CONTEXT:
        node_read_risk_context(rd, link, rq->id, rq->risk_context);
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_RISK_ORG:
        node_read_risk_org(rd, link, rq->id, rq->risk_org);
        break;
    default:
        node_respond_error(link, rq->id, WB_ERR_INVALID, "unknown request");
        break;
    }
    waybill__client_request__free_unpacked(rq, NULL);
}

static void on_link_up(void *ctx, struct net_link *link, const uint8_t peer_pk[32])
{
    struct node_api *a = ctx;
    struct node_client *c = node_clients_add(&a->clients, link);
    if (!c) {
        WB_WARN("api", "too many clients; refusing %s", net_link_peer_addr(link));
        net_link_close(link);
        return;
    }
    memcpy(c->key, peer_pk, WB_PUBKEY_LEN);
}

static void on_link_down(void *ctx, struct net_link *link, int reason)
{
    struct node_api *a = ctx;
    (void)reason;
    /* Its waiters stay until their events resolve; answers to a gone
     * connection are dropped (waiters.h). */
    node_clients_remove(&a->clients, link);
}

/* A member's client key; also one the chain revoked, whose requests are
 * then answered with the revocation (on_frame), so that its holder learns
 * why rather than seeing the connection fail. And a registered device's
 * key (retired or not), which may submit and ask heads only (on_frame):
 * what it signs reaches the rules, and device_key_reports_only says why it
 * is refused. */
static bool authorize_member(void *ctx, const uint8_t pk[32])
{
    struct node_api *a = ctx;
    if (ledger_genesis_org_of_key(a->env->genesis, pk) >= 0) return true;
    const struct ledger_gov *gv = node_chain_gov(a->chain);
    const struct ledger_gov_key *k = ledger_gov_key_find(gv, pk);
    if (k) return !k->validator;
    return ledger_gov_device_find(gv, pk) != NULL;
}


/* ---- start and stop ------------------------------------------------------------ */

int node_api_init(struct node_api *a, const struct node_env *env,
                  const struct node_chain *chain, struct node_driver *driver,
                  struct node_p2p *p2p, const struct node_hold *hold,
                  const struct node_risk *risk, const struct node_scores *scores)
{
    memset(a, 0, sizeof *a);
    a->env = env;
    a->chain = chain;
    a->driver = driver;
    a->p2p = p2p;
    a->reads = (struct node_reads){.env = env, .chain = chain, .driver = driver, .p2p = p2p,
                                   .hold = hold, .risk = risk, .scores = scores};
    int rc = node_clients_init(&a->clients, env->cfg->limits.api_clients_max);
    if (rc) return rc;
    return node_waiters_init(&a->waiters, &a->clients);
}

int node_api_start(struct node_api *a, const struct node_identity *id)
{
    struct net_config nc = {
        .name = "api",
        .authorize = authorize_member,
        .ctx = a,
        .links_max = a->env->cfg->limits.api_clients_max + 16,
        .on_link_up = on_link_up,
        .on_frame = on_frame,
        .on_link_down = on_link_down,
    };
    int rc = node_net_open(a->env, id, &nc, &a->env->cfg->api_listen, &a->net);
    a->reads.api_net = a->net;
    return rc;
}

static void on_net_closed(void *ctx)
{
    struct node_api *a = ctx;
    a->closed(a->closed_ctx);
}

void node_api_close(struct node_api *a, void (*done)(void *ctx), void *ctx)
{
    if (!a->net) {
        done(ctx);
        return;
    }
    a->closed = done;
    a->closed_ctx = ctx;
    net_close(a->net, on_net_closed);
}

void node_api_free(struct node_api *a)
{
    node_waiters_free(&a->waiters);
    node_clients_free(&a->clients);
}
