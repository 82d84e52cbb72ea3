/* The write path of a link: write requests queued on the socket (counted
 * against the per-link send bound, which fails the link when exceeded),
 * and frames sealed for them: u32 BE length || secretstream ciphertext. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/log.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "node/net/net_frame_internal.h"
#include "node/net/net_link_internal.h"

#define LOG_MOD "net"

struct net_wreq {
    uv_write_t req;
    size_t len;
    bool app; /* an application frame (counted in frames_sent/dropped) */
    uint8_t data[];
};

struct net_wreq *net__wreq_new(size_t len, bool app)
{
    struct net_wreq *w = malloc(sizeof *w + len);
    if (!w) return NULL;
    w->len = len;
    w->app = app;
    return w;
}

uint8_t *net__wreq_data(struct net_wreq *w)
{
    return w->data;
}

static void net_on_write(uv_write_t *req, int status)
{
    struct net_wreq *w = (struct net_wreq *)req;
    struct net_link *l = req->data;
    struct net *net = l->net;
    WB_ASSERT(l->tx_queued >= w->len);
    l->tx_queued -= w->len;
    if (status == 0) {
        l->tx_bytes += w->len;
        if (w->app) net->stats.frames_sent++;
    } else {
        if (w->app) net->stats.frames_dropped++;
        if (!l->closing && !l->rejecting) net__link_fail(l, WB_ERR_IO, uv_strerror(status));
    }
    free(w);
    /* A rejected dialer's link closes once the reject byte is written. */
    if (l->rejecting && l->tx_queued == 0) net__link_close(l, WB_ERR_PERMISSION);
}

int net__write(struct net_link *l, struct net_wreq *w)
{
    WB_ASSERT(w->len <= UINT32_MAX);
    w->req.data = l;
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)w->len);
    int rc = uv_write(&w->req, (uv_stream_t *)&l->tcp, &b, 1, net_on_write);
    if (rc) {
        if (w->app) l->net->stats.frames_dropped++;
        free(w);
        net__link_fail(l, WB_ERR_IO, uv_strerror(rc));
        return WB_ERR_IO;
    }
    l->tx_queued += w->len;
    l->last_tx_ms = uv_now(l->net->loop);
    return WB_OK;
}

int net__frame_seal(struct net_link *l, const uint8_t *pt, size_t len, uint8_t *out)
{
    static const uint8_t empty[1];
    WB_ASSERT(len + NET_ABYTES <= UINT32_MAX);
    wb_put_u32be(out, (uint32_t)(len + NET_ABYTES));
    if (crypto_secretstream_xchacha20poly1305_push(
            &l->tx_st, out + NET_LEN_BYTES, NULL, len ? pt : empty, len, NULL, 0,
            crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) != 0)
        return WB_ERR_CRYPTO;
    return WB_OK;
}

int net__frame_send(struct net_link *l, const uint8_t *pt, size_t len, bool app)
{
    struct net *net = l->net;
    size_t total = NET_LEN_BYTES + len + NET_ABYTES;
    if (l->tx_queued + total > net->cfg.send_queue_max) {
        if (app) net->stats.frames_dropped++;
        net->stats.links_too_slow++;
        char what[96];
        snprintf(what, sizeof what, "peer too slow: %zu bytes queued, bound %zu",
                 l->tx_queued + total, net->cfg.send_queue_max);
        net__link_fail(l, WB_ERR_BUSY, what);
        return WB_ERR_BUSY;
    }
    struct net_wreq *w = net__wreq_new(total, app);
    if (!w) {
        if (app) net->stats.frames_dropped++;
        net__link_fail(l, WB_ERR_NOMEM, "no memory to queue a frame");
        return WB_ERR_NOMEM;
    }
    int rc = net__frame_seal(l, pt, len, net__wreq_data(w));
    if (rc) {
        free(w);
        if (app) net->stats.frames_dropped++;
        net__link_fail(l, rc, "cannot encrypt a frame");
        return rc;
    }
    return net__write(l, w);
}
