/* Block sync (sync.h). */
#include "node/p2p/sync.h"

#include <stdlib.h>
#include <string.h>

#include "common/exec_threads.h"
#include "common/log.h"
#include "common/quorum.h"
#include "ledger/cert.h"
#include "node/p2p/wire.h"
#include "storage/store.h"


static uint64_t head(const struct node_sync *s) { return node_chain_height(s->commit->chain); }

void node_sync_init(struct node_sync *s, const struct node_env *env, struct net *net,
                    struct node_commit *commit, struct node_hold *hold,
                    struct node_driver *driver)
{
    memset(s, 0, sizeof *s);
    s->env = env;
    s->net = net;
    s->commit = commit;
    s->hold = hold;
    s->driver = driver;
}

uint64_t node_sync_target(size_t validator_count, const struct node_peer *peers, size_t count)
{
    size_t f = wb_faulty(validator_count);
    if (count < f + 1) return 0;
    uint64_t h[NODE_PEERS_LINKS_MAX];
    if (count > NODE_PEERS_LINKS_MAX) count = NODE_PEERS_LINKS_MAX;
    for (size_t i = 0; i < count; i++) h[i] = peers[i].height;
    /* partial selection sort: the f+1 largest come first */
    for (size_t i = 0; i <= f; i++)
        for (size_t j = i + 1; j < count; j++)
            if (h[j] > h[i]) {
                uint64_t t = h[i];
                h[i] = h[j];
                h[j] = t;
            }
    return h[f];
}

bool node_sync_busy(const struct node_sync *s)
{
    return s->inflight && node_now_ms() < s->deadline_ms;
}

void node_sync_check(struct node_sync *s, const struct node_peer *peers, size_t count)
{
    int64_t now = node_now_ms();
    if (s->inflight && now < s->deadline_ms) return;
    s->inflight = false;
    uint64_t last = head(s);
    uint64_t target = node_sync_target(s->env->genesis->validator_count, peers, count);
    if (target <= last) return;
    /* A network one height ahead is normal in steady state (we are about to
     * decide the same height ourselves); fetch when further behind, when the
     * core says so, or when no progress was made for a while. */
    bool behind = target >= last + 2 || node_driver_sync_hint(s->driver) != 0 ||
                  now - node_chain_progress_ms(s->commit->chain) > 1000;
    if (!behind) return;
    /* Ask the peers that claim the target in turn, so a peer that does not
     * answer (or lied) costs one timeout, not every request. */
    const struct node_peer *p = NULL;
    for (size_t k = 1; k <= count && !p; k++) {
        size_t i = (s->rr + k) % count;
        if (peers[i].height >= target) {
            p = &peers[i];
            s->rr = i;
        }
    }
    if (!p) return;
    Waybill__BlockRequest rq = WAYBILL__BLOCK_REQUEST__INIT;
    rq.from_height = last + 1;
    uint64_t want = target - last;
    rq.max_blocks = want < NODE_SYNC_BATCH ? (uint32_t)want : NODE_SYNC_BATCH;
    Waybill__PeerMessage m = WAYBILL__PEER_MESSAGE__INIT;
    m.msg_case = WAYBILL__PEER_MESSAGE__MSG_BLOCK_REQUEST;
    m.block_request = &rq;
    node_wire_send(s->net, p->link, &m);
    s->inflight = true;
    s->link = p->link;
    s->until = rq.from_height + rq.max_blocks - 1;
    s->deadline_ms = now + NODE_SYNC_TIMEOUT_MS;
    node_driver_sync_hint_spent(s->driver);
    WB_INFO("sync", "h=%llu behind (validators reached %llu); asking validator %u for blocks "
            "%llu..%llu", (unsigned long long)last, (unsigned long long)target, p->validator,
            (unsigned long long)rq.from_height, (unsigned long long)s->until);
}

void node_sync_serve(struct node_sync *s, struct net_link *link, const Waybill__BlockRequest *rq)
{
    uint64_t h = rq->from_height ? rq->from_height : 1;
    uint32_t max = rq->max_blocks ? rq->max_blocks : 1;
    if (max > NODE_SYNC_BATCH) max = NODE_SYNC_BATCH;
    size_t sent_bytes = 0;
    uint64_t last = head(s);
    for (uint32_t i = 0; i < max && h <= last && sent_bytes < NODE_SYNC_REPLY_BYTES; i++, h++) {
        uint8_t *block = NULL, *cert = NULL;
        size_t block_len, cert_len;
        if (store_get_block(s->env->store, h, &block, &block_len) != 0 ||
            store_get_cert(s->env->store, h, &cert, &cert_len) != 0) {
            free(block);
            break;
        }
        /* The stored bytes, as they are: nothing is decoded or re-encoded. */
        Waybill__BlockReply rep = WAYBILL__BLOCK_REPLY__INIT;
        rep.height = h;
        /* Whether the loop stops after this one (the requester then asks
         * for the next blocks at once instead of waiting for its timeout). */
        rep.last = !(i + 1 < max && h + 1 <= last &&
                     sent_bytes + block_len + cert_len < NODE_SYNC_REPLY_BYTES);
        rep.block.data = block;
        rep.block.len = block_len;
        rep.cert.data = cert;
        rep.cert.len = cert_len;
        Waybill__PeerMessage m = WAYBILL__PEER_MESSAGE__INIT;
        m.msg_case = WAYBILL__PEER_MESSAGE__MSG_BLOCK_REPLY;
        m.block_reply = &rep;
        node_wire_send(s->net, link, &m);
        sent_bytes += block_len + cert_len;
        free(block);
        free(cert);
    }
}

/* The rules check of a certified block. Its events' signatures, which no
 * mempool here checked, are checked first on every CPU when there are
 * enough of them to be worth the threads (catching up is bound by them). */
static int check_synced(struct node_sync *s, struct node_checked *cb, char *msg, size_t msg_len)
{
    size_t n = cb->block.event_count;
    struct ledger_sigcheck *sigs =
        n >= NODE_SYNC_PARALLEL_MIN ? calloc(n, sizeof *sigs) : NULL;
    if (!sigs) return node_check_rules(s->env, s->commit->chain, false, cb, msg, msg_len);
    for (size_t i = 0; i < n; i++) {
        sigs[i].signed_event = cb->block.events[i];
        sigs[i].len = cb->block.lens[i];
    }
    struct wb_exec_threads threads = {.threads = wb_exec_threads_cpus()};
    struct wb_executor exec = wb_exec_threads(&threads);
    ledger_sigcheck_run(s->env->genesis->chain_id, sigs, n, &exec);
    int rc = node_check_rules_presigned(s->env, s->commit->chain, sigs, n, cb, msg, msg_len);
    free(sigs);
    return rc;
}

void node_sync_on_reply(struct node_sync *s, const Waybill__BlockReply *rep)
{
    char msg[256];
    if (rep->height != head(s) + 1 || !rep->cert.len) return; /* not the one we need */
    struct node_checked cb;
    int rc = node_check_decode(rep->block.data, rep->block.len, NULL, &cb, msg, sizeof msg);
    if (rc) {
        WB_WARN("sync", "h=%llu block reply does not decode", (unsigned long long)rep->height);
        goto out;
    }
    /* The certificate first, against the set that signs its height: a reply that is not certified costs a few
     * signatures, not one per event. Its bytes are checked to be the
     * canonical encoding and stored as they came. */
    size_t n = 0;
    rc = node_chain_set_keys(s->commit->chain, rep->height, s->set_keys, &n);
    if (rc == WB_OK)
        rc = ledger_cert_verify_set_bytes(s->env->genesis->chain_id,
                                          (const uint8_t(*)[WB_PUBKEY_LEN])s->set_keys, n,
                                          rep->cert.data, rep->cert.len, rep->height,
                                          cb.block.hash, msg, sizeof msg);
    else
        snprintf(msg, sizeof msg, "the validator set of height %llu is not known",
                 (unsigned long long)rep->height);
    if (rc) {
        WB_WARN("sync", "h=%llu block reply: certificate: %s", (unsigned long long)rep->height,
                msg);
        node_checked_free(&cb);
        goto out;
    }
    rc = check_synced(s, &cb, msg, sizeof msg);
    if (rc) {
        WB_ERROR("sync", "h=%llu certified block fails local checks: %s",
                 (unsigned long long)rep->height, msg);
        goto out;
    }
    rc = node_commit_block(s->commit, &cb, rep->block.data, rep->block.len, rep->cert.data,
                           rep->cert.len);
    node_checked_free(&cb);
    if (rc == 0) {
        struct cons_event ev = {.kind = CONS_EV_SYNCED, .now_ms = node_now_ms()};
        ev.synced.height = rep->height;
        node_driver_feed(s->driver, &ev);
    } else if (node_hold_is_fault(rc)) {
        node_hold_append_failed(s->hold, rc, rep->height, rep->block.data, rep->block.len, NULL,
                                0);
    } else {
        WB_ERROR("sync", "h=%llu cannot append synced block: %s",
                 (unsigned long long)rep->height, wb_strerror(rc));
    }
out:
    if (head(s) >= s->until || rep->last) s->inflight = false;
}

void node_sync_on_link_down(struct node_sync *s, struct net_link *link,
                            const struct node_peer *peers, size_t count)
{
    if (!s->inflight || s->link != link) return;
    /* Its answer will not come (e.g. the link lost the one-link rule right
     * after a heal): ask another peer now rather than after the request's
     * timeout. */
    s->inflight = false;
    s->link = NULL;
    node_sync_check(s, peers, count);
}
