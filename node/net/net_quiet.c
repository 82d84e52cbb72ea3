/* The summary of inbound handshakes that did not complete: failed, timed
 * out, refused or evicted connections are counted and the latest one kept;
 * one line per cfg.refusal_log_ms says how many and why. */
#include <stdio.h>

#include "common/log.h"
#include "common/wb_error.h"
#include "node/net/net_quiet_internal.h"

#define LOG_MOD "net"

static void net_quiet_flush(struct net *net)
{
    uint64_t total = net->quiet.failed + net->quiet.evicted;
    if (total == 0) return;
    NET_WARN(net,
            "%s: %llu inbound connections did not complete the handshake in the last %u s "
            "(%llu timed out, %llu evicted from the full handshake pool, %llu refused, "
            "%llu other); pending now %zu of %u, links up %zu; latest: %s",
            net->name, (unsigned long long)total, (unsigned)(net->cfg.refusal_log_ms / 1000u),
            (unsigned long long)net->quiet.timed_out, (unsigned long long)net->quiet.evicted,
            (unsigned long long)net->quiet.refused,
            (unsigned long long)(net->quiet.failed - net->quiet.timed_out - net->quiet.refused),
            net->pending, (unsigned)net->cfg.pending_max, net->links_up, net->quiet.last);
    net->quiet.failed = net->quiet.timed_out = net->quiet.evicted = net->quiet.refused = 0;
    net->quiet.logged_at_ms = uv_now(net->loop);
}

static void net_on_quiet_timer(uv_timer_t *t)
{
    struct net *net = t->data;
    net->quiet.timer_armed = false;
    if (!net->closing) net_quiet_flush(net);
}

void net__quiet_note(struct net *net, const struct net_link *l, bool evicted, const char *what,
                     int reason)
{
    if (evicted) net->quiet.evicted++;
    else net->quiet.failed++;
    snprintf(net->quiet.last, sizeof net->quiet.last, "%s: %s (%s)", l->addr, what,
             wb_strerror(reason));
    if (net->closing) return;
    uint64_t now = uv_now(net->loop);
    if (net->quiet.logged_at_ms == 0 || now - net->quiet.logged_at_ms >= net->cfg.refusal_log_ms) {
        net_quiet_flush(net);
        return;
    }
    if (!net->quiet.timer_armed &&
        uv_timer_start(&net->own_timer, net_on_quiet_timer,
                       net->quiet.logged_at_ms + net->cfg.refusal_log_ms - now, 0) == 0)
        net->quiet.timer_armed = true;
}
