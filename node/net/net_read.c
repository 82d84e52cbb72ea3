/* The read path of a link: bytes land in a per-link buffer across partial
 * reads; complete units (hello, header, frames) are cut from it under the
 * frame limits, frames decrypted, and each unit handed to the handshake
 * step of the link's state or, once the link is up, to on_frame. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/log.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "node/net/net_handshake_internal.h"
#include "node/net/net_link_internal.h"
#include "node/net/net_read_internal.h"

#define LOG_MOD "net"

/* Reads land directly behind the bytes already buffered; the buffer grows to
 * hold exactly the frame being received when it is larger than a chunk. */
static void net_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct net_link *l = h->data;
    size_t chunk = l->state == NET_LINK_UP ? NET_RX_CHUNK : NET_RX_CHUNK_HS;
    size_t want = l->rx_need > chunk ? l->rx_need : chunk;
    if (l->rx_cap < want) {
        uint8_t *nb = realloc(l->rx_buf, want);
        if (!nb) {
            *buf = uv_buf_init(NULL, 0); /* read callback gets UV_ENOBUFS */
            return;
        }
        l->rx_buf = nb;
        l->rx_cap = want;
    }
    WB_ASSERT(l->rx_len < l->rx_cap);
    size_t room = l->rx_cap - l->rx_len;
    *buf = uv_buf_init((char *)l->rx_buf + l->rx_len, (unsigned)room);
}

/* Decrypts one complete frame's ciphertext and hands the plaintext on. */
static void net_frame_open(struct net_link *l, const uint8_t *c, size_t clen)
{
    struct net *net = l->net;
    size_t mlen_max = clen - NET_ABYTES;
    size_t need = mlen_max ? mlen_max : 1;
    if (net->pt_cap < need) {
        uint8_t *nb = realloc(net->pt_buf, need);
        if (!nb) {
            net__link_fail(l, WB_ERR_NOMEM, "no memory to decrypt a frame");
            return;
        }
        net->pt_buf = nb;
        net->pt_cap = need;
    }
    unsigned long long mlen = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&l->rx_st, net->pt_buf, &mlen, &tag, c,
                                                   clen, NULL, 0) != 0) {
        net->stats.frames_bad++;
        net__link_fail(l, WB_ERR_CRYPTO, "frame failed authentication");
        return;
    }
    if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
        net->stats.frames_bad++;
        net__link_fail(l, WB_ERR_PROTOCOL, "unexpected stream tag");
        return;
    }
    switch (l->state) {
    case NET_LINK_AUTH:
        net__hs_on_auth(l, net->pt_buf, (size_t)mlen);
        break;
    case NET_LINK_ACCEPT:
        net__hs_on_accept(l, net->pt_buf, (size_t)mlen);
        break;
    case NET_LINK_UP:
        if (mlen == 0 && (net->cfg.keepalive_ms || net->cfg.idle_timeout_ms))
            break; /* a heartbeat: its arrival already counted as traffic */
        net->stats.frames_received++;
        net->cfg.on_frame(net->cfg.ctx, l, net->pt_buf, (size_t)mlen);
        break;
    default:
        WB_ASSERT(!"frame in a state without frames");
    }
}

/* Consumes every complete unit (hello, header, frame) in rx_buf, then moves
 * the incomplete remainder (at most one partial unit) to the front. */
static void net_rx_process(struct net_link *l)
{
    struct net *net = l->net;
    size_t off = 0, need = 0;
    char what[80];
    while (!l->closing && !l->rejecting) {
        size_t avail = l->rx_len - off;
        const uint8_t *p = l->rx_buf + off;
        if (l->state == NET_LINK_HELLO) {
            need = NET_HELLO_LEN;
            if (avail < need) break;
            off += need;
            net__hs_on_hello(l, p);
        } else if (l->state == NET_LINK_HEADER) {
            need = NET_HEADER_LEN;
            if (avail < need) break;
            off += need;
            net__hs_on_header(l, p);
        } else {
            WB_ASSERT(l->state != NET_LINK_CONNECTING);
            need = NET_LEN_BYTES;
            if (avail < need) break;
            size_t clen = wb_get_u32be(p);
            size_t limit = l->state == NET_LINK_UP ? net->cfg.frame_max : NET_HS_FRAME_MAX;
            if (clen > limit + NET_ABYTES) {
                net->stats.frames_bad++;
                snprintf(what, sizeof what, "frame of %zu bytes over the limit of %zu", clen,
                         limit + NET_ABYTES);
                net__link_fail(l, WB_ERR_TOO_LARGE, what);
                return;
            }
            if (clen < NET_ABYTES) {
                net->stats.frames_bad++;
                net__link_fail(l, WB_ERR_PROTOCOL, "frame shorter than its tag");
                return;
            }
            need = NET_LEN_BYTES + clen;
            if (avail < need) break;
            off += need;
            net_frame_open(l, p + NET_LEN_BYTES, clen);
        }
    }
    if (l->closing || l->rejecting) return;
    if (off > 0) {
        l->rx_len -= off;
        if (l->rx_len) memmove(l->rx_buf, l->rx_buf + off, l->rx_len);
    }
    l->rx_need = need;
    /* Give back what one large frame needed once it is consumed. */
    if (l->rx_cap > NET_RX_CHUNK && need <= NET_RX_CHUNK && l->rx_len < NET_RX_CHUNK) {
        uint8_t *nb = realloc(l->rx_buf, NET_RX_CHUNK);
        if (nb) {
            l->rx_buf = nb;
            l->rx_cap = NET_RX_CHUNK;
        }
    }
}

static void net_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    struct net_link *l = s->data;
    if (l->closing || nread == 0) return;
    if (nread > 0) {
        l->last_rx_ms = uv_now(l->net->loop);
        l->rx_len += (size_t)nread;
        l->rx_bytes += (uint64_t)nread;
        net_rx_process(l);
        return;
    }
    bool up = l->state == NET_LINK_UP;
    if (nread == UV_ENOBUFS) {
        net__link_fail(l, WB_ERR_NOMEM, "no memory for the receive buffer");
    } else if (nread == UV_EOF || nread == UV_ECONNRESET) {
        if (up) {
            char key[17];
            net__key_short(l->peer_pk, key);
            NET_INFO(l->net, "%s: link %s peer %s closed by the peer", l->net->name, l->addr,
                    key);
            net__link_close(l, WB_ERR_CLOSED);
        } else {
            net__link_fail(l, WB_ERR_CLOSED, "peer closed the connection during the handshake");
        }
    } else {
        net__link_fail(l, WB_ERR_IO, uv_strerror((int)nread));
    }
}

int net__read_start(struct net_link *l)
{
    l->rx_need = NET_HELLO_LEN;
    int rc = uv_read_start((uv_stream_t *)&l->tcp, net_on_alloc, net_on_read);
    if (rc) return net__uv_err(rc);
    return net__hs_start(l);
}
