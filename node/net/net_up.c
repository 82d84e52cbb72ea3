/* A link going up once both identities are verified and accepted: the
 * one-link-per-peer rule (unique_peers), the report (on_link_up), and the
 * link's heartbeats while it is up (keepalive frames, the idle timeout). */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "node/net/net_frame_internal.h"
#include "node/net/net_link_internal.h"
#include "node/net/net_up_internal.h"

#define LOG_MOD "net"

static void net_on_heartbeat(uv_timer_t *t)
{
    struct net_link *l = t->data;
    struct net *net = l->net;
    if (l->closing || l->state != NET_LINK_UP) return;
    uint64_t now = uv_now(net->loop);
    uint32_t idle = net->cfg.idle_timeout_ms, keep = net->cfg.keepalive_ms;
    if (idle && now - l->last_rx_ms >= idle) {
        char what[64];
        snprintf(what, sizeof what, "nothing received for %llu ms",
                 (unsigned long long)(now - l->last_rx_ms));
        net->stats.links_idle++;
        net__link_fail(l, WB_ERR_TIMEOUT, what);
        return;
    }
    if (keep && now - l->last_tx_ms >= keep) {
        net->stats.heartbeats_sent++;
        /* A heartbeat that cannot be queued has failed the link already. */
        WB_IGNORE_RESULT(net__frame_send(l, NULL, 0, false));
    }
}

/* Checks an up link a few times per heartbeat period. */
static void net_heartbeat_start(struct net_link *l)
{
    const struct net_config *c = &l->net->cfg;
    uint32_t period = c->keepalive_ms;
    if (!period || (c->idle_timeout_ms && c->idle_timeout_ms < period)) period = c->idle_timeout_ms;
    if (!period) return;
    period = period / 4 ? period / 4 : 1;
    l->last_rx_ms = l->last_tx_ms = uv_now(l->net->loop);
    int rc = uv_timer_start(&l->timer, net_on_heartbeat, period, period);
    if (rc)
        NET_WARN(l->net, "%s: link %s: no heartbeats: %s", l->net->name, l->addr,
                uv_strerror(rc));
}

void net__link_up(struct net_link *l)
{
    struct net *net = l->net;
    char key[17];
    net__key_short(l->peer_pk, key);
    /* Told even if this link loses the rule below, so a dialer learns which
     * up link it waits for. */
    if (net->hooks) net->hooks->verified(l);
    if (net->cfg.unique_peers) {
        struct net_link *o = net__find_up(net, l->peer_pk, l);
        if (o) {
            /* Both sides apply the same rule to the same pair, so both keep
             * the same TCP connection: the one dialed by the smaller key, or
             * the newer one when one side dialed both. */
            bool keep_new = true;
            if (o->outbound != l->outbound) {
                bool own_smaller = memcmp(net->cfg.identity_pk, l->peer_pk, 32) < 0;
                keep_new = l->outbound == own_smaller;
            }
            net->stats.links_duplicate++;
            struct net_link *loser = keep_new ? o : l;
            NET_INFO(net, "%s: second link to peer %s: keeping the %s one, closing %s %s",
                    net->name, key, keep_new ? "new" : "existing",
                    loser->outbound ? "outbound" : "inbound", loser->addr);
            net__link_close(loser, WB_ERR_DUPLICATE);
            if (!keep_new) return;
        }
    }
    uv_timer_stop(&l->timer);
    if (l->pending) {
        l->pending = false;
        net->pending--;
    }
    l->state = NET_LINK_UP;
    l->was_up = true;
    net->links_up++;
    net->stats.links_up++;
    if (net->hooks) net->hooks->up(l);
    net_heartbeat_start(l);
    NET_INFO(net, "%s: link up: %s %s peer %s", net->name,
            l->outbound ? "outbound" : "inbound", l->addr, key);
    net->cfg.on_link_up(net->cfg.ctx, l, l->peer_pk);
}
