/* The link object: creation on the net's loop, closing and freeing (with
 * the down report), failure (logged and counted once), lookup of an up link
 * by peer key, and the handshake deadline; the endpoint's reference count,
 * which frees the net once its last handle has closed. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/log.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "node/net/net_link_internal.h"
#include "node/net/net_quiet_internal.h"

#define LOG_MOD "net"

int net__uv_err(int uv_rc)
{
    switch (uv_rc) {
    case 0:
        return WB_OK;
    case UV_ENOMEM:
    case UV_ENOBUFS:
        return WB_ERR_NOMEM;
    case UV_EADDRINUSE:
        return WB_ERR_EXISTS;
    case UV_ECONNREFUSED:
    case UV_ENETUNREACH:
    case UV_EHOSTUNREACH:
    case UV_ETIMEDOUT:
    case UV_EADDRNOTAVAIL:
        return WB_ERR_UNREACHABLE;
    case UV_ECANCELED:
        return WB_ERR_CLOSED;
    default:
        return WB_ERR_IO;
    }
}

void net__key_short(const uint8_t key[32], char out[17])
{
    wb_hex_encode(key, 8, out, 17);
}

void net__unref(struct net *net)
{
    WB_ASSERT(net->refs > 0);
    if (--net->refs > 0 || !net->closing) return;
    void (*cb)(void *) = net->close_cb;
    void *ctx = net->cfg.ctx;
    WB_ASSERT(net->links == NULL && net->dialers == NULL);
    free(net->pt_buf);
    sodium_memzero(net, sizeof *net);
    free(net);
    if (cb) cb(ctx);
}

static void net_link_free(struct net_link *l)
{
    struct net *net = l->net;
    if (l->was_up) net->cfg.on_link_down(net->cfg.ctx, l, l->close_reason);
    if (l->prev) l->prev->next = l->next;
    else net->links = l->next;
    if (l->next) l->next->prev = l->prev;
    net->links_open--;
    if (net->hooks) net->hooks->gone(l);
    free(l->rx_buf);
    sodium_memzero(l, sizeof *l); /* ephemeral secret, session keys, stream states */
    free(l);
    net__unref(net);
}

static void net_on_link_handle_close(uv_handle_t *h)
{
    struct net_link *l = h->data;
    WB_ASSERT(l->handles_open > 0);
    if (--l->handles_open == 0) net_link_free(l);
}

static void net_on_hs_timeout(uv_timer_t *t)
{
    struct net_link *l = t->data;
    if (l->rejecting) {
        /* The reject byte could not be written in time; close anyway. */
        net__link_close(l, WB_ERR_PERMISSION);
        return;
    }
    l->net->stats.handshake_timeouts++;
    if (l->pending) l->net->quiet.timed_out++;
    net__link_fail(l, WB_ERR_TIMEOUT, "handshake timed out");
}

int net__link_new(struct net *net, bool outbound, struct net_link **out)
{
    struct net_link *l = calloc(1, sizeof *l);
    if (!l) return WB_ERR_NOMEM;
    l->net = net;
    l->outbound = outbound;
    l->state = outbound ? NET_LINK_CONNECTING : NET_LINK_HELLO;
    l->close_reason = WB_OK;
    snprintf(l->addr, sizeof l->addr, "?");
    if (crypto_kx_keypair(l->eph_pk, l->eph_sk) != 0) {
        sodium_memzero(l, sizeof *l);
        free(l);
        return WB_ERR_CRYPTO;
    }
    int rc = uv_timer_init(net->loop, &l->timer);
    if (rc) {
        sodium_memzero(l, sizeof *l);
        free(l);
        return net__uv_err(rc);
    }
    l->timer.data = l;
    l->handles_open = 1;
    /* From here on the link is released through net__link_close. */
    l->next = net->links;
    if (net->links) net->links->prev = l;
    net->links = l;
    net->links_open++;
    net->refs++;

    rc = uv_tcp_init(net->loop, &l->tcp);
    if (rc) {
        net__link_close(l, net__uv_err(rc));
        return net__uv_err(rc);
    }
    l->tcp.data = l;
    l->tcp_inited = true;
    l->handles_open++;
    rc = uv_timer_start(&l->timer, net_on_hs_timeout, net->cfg.handshake_timeout_ms, 0);
    if (rc) {
        net__link_close(l, net__uv_err(rc));
        return net__uv_err(rc);
    }
    *out = l;
    return WB_OK;
}

void net__link_close(struct net_link *l, int reason)
{
    if (l->closing) return;
    l->closing = true;
    l->close_reason = reason;
    if (l->state == NET_LINK_UP) l->net->links_up--;
    if (l->pending) {
        l->pending = false;
        l->net->pending--;
    }
    uv_close((uv_handle_t *)&l->timer, net_on_link_handle_close);
    if (l->tcp_inited) uv_close((uv_handle_t *)&l->tcp, net_on_link_handle_close);
}

void net__link_fail(struct net_link *l, int reason, const char *what)
{
    if (l->closing) return;
    struct net *net = l->net;
    char key[24] = "";
    if (l->state == NET_LINK_UP || l->state == NET_LINK_ACCEPT) {
        memcpy(key, " peer ", 6);
        net__key_short(l->peer_pk, key + 6);
    }
    if (l->state == NET_LINK_UP) {
        NET_WARN(net, "%s: link %s%s closed: %s (%s)", net->name, l->addr, key, what,
                wb_strerror(reason));
        net__link_close(l, reason);
        return;
    }
    if (reason == WB_ERR_UNREACHABLE) net->stats.connect_failures++;
    else if (reason == WB_ERR_PERMISSION) net->stats.links_refused++;
    else net->stats.handshake_failures++;
    if (l->pending) {
        /* A flood of these must not flood the log: one line per interval. */
        if (reason == WB_ERR_PERMISSION) net->quiet.refused++;
        net__quiet_note(net, l, false, what, reason);
        net__link_close(l, reason);
        return;
    }
    /* A dialer retrying a dead peer logs its first failure, not every retry. */
    bool quiet = net->hooks && net->hooks->failing(l);
    NET_LOG(net, quiet ? WB_LOG_DEBUG : WB_LOG_WARN, "%s: %s %s%s: %s (%s)",
           net->name, l->outbound ? "dial" : "inbound", l->addr, key, what,
           wb_strerror(reason));
    net__link_close(l, reason);
}

struct net_link *net__find_up(struct net *net, const uint8_t peer_pk[32],
                              const struct net_link *except)
{
    for (struct net_link *o = net->links; o; o = o->next)
        if (o != except && o->state == NET_LINK_UP && !o->closing &&
            memcmp(o->peer_pk, peer_pk, 32) == 0)
            return o;
    return NULL;
}
