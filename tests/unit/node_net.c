/* Unit tests of the net transport over real TCP on 127.0.0.1: handshake and
 * frames, refusals, malformed and tampered input, limits, one link per peer,
 * reconnect, heartbeats. Every wait is bounded by a watchdog timer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "common/log.h"
#include "common/wb_error.h"
#include "node/net/net.h"
#include "proto/waybill.pb-c.h"

#define WAIT_MS 10000
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES

/* ---- bounded loop runs ----------------------------------------------------- */

struct watchdog {
    uv_timer_t t;
    bool fired;
};

static void wd_on_fire(uv_timer_t *t)
{
    ((struct watchdog *)t->data)->fired = true;
}

static void wd_start(struct watchdog *w, uv_loop_t *loop, unsigned ms)
{
    w->fired = false;
    assert_int_equal(uv_timer_init(loop, &w->t), 0);
    w->t.data = w;
    assert_int_equal(uv_timer_start(&w->t, wd_on_fire, ms, 0), 0);
}

static void wd_stop(struct watchdog *w)
{
    uv_close((uv_handle_t *)&w->t, NULL);
    uv_run(w->t.loop, UV_RUN_NOWAIT);
}

#define RUN_UNTIL(loop, cond, what)                                                   \
    do {                                                                              \
        struct watchdog wd_;                                                          \
        wd_start(&wd_, (loop), WAIT_MS);                                              \
        while (!(cond) && !wd_.fired) uv_run((loop), UV_RUN_ONCE);                    \
        wd_stop(&wd_);                                                                \
        if (!(cond)) fail_msg("timed out after %d ms waiting for: %s", WAIT_MS, what); \
    } while (0)

static void run_for(uv_loop_t *loop, unsigned ms)
{
    struct watchdog wd;
    wd_start(&wd, loop, ms);
    while (!wd.fired) uv_run(loop, UV_RUN_ONCE);
    wd_stop(&wd);
}

static void loop_finish(uv_loop_t *loop)
{
    uv_run(loop, UV_RUN_NOWAIT);
    int rc = uv_loop_close(loop);
    if (rc) fail_msg("loop still has open handles at the end: %s", uv_strerror(rc));
}

/* ---- an endpoint under test ------------------------------------------------- */

struct ident {
    uint8_t pk[32], sk[64];
};

struct peer {
    uv_loop_t *loop;
    struct net *net;
    struct net_config cfg;
    struct ident id;
    uint8_t allowed[4][32];
    struct net_keyset keyset;
    char addr[NET_ADDR_MAX];
    uint16_t port;
    bool closed;
    int ups, downs, downs_dup, down_reason;
    struct net_link *link; /* the most recent up link */
    uint8_t up_key[32];
    int dial_fails, dial_err;
    char dial_why[128]; /* the last failure's why, "" when none was given */
    bool dial_retry;
    size_t frames;
    uint64_t frame_bytes;
    size_t sched_max; /* nonzero: frames must follow the schedule */
    bool frame_error;
    char frame_error_msg[160];
};

static const uint8_t chain_a[32] = {0xc4, 0x41, 0x17};
static const uint8_t chain_b[32] = {0xc4, 0x41, 0x18};

/* Frame i of a schedule: a few edge sizes first, then spread over 0..max. */
static size_t sched_size(uint32_t i, size_t max)
{
    const size_t edge[] = {0, 1, max, max - 1, 2, ABYTES, 0};
    if (i < sizeof edge / sizeof edge[0]) return edge[i];
    return (size_t)(((uint64_t)i * 2654435761u) % (max + 1));
}

static uint8_t sched_byte(uint32_t i, size_t j)
{
    return (uint8_t)(i * 31u + j * 7u + (j >> 8));
}

static bool peer_authorize(void *ctx, const uint8_t pk[32])
{
    struct peer *p = ctx;
    return net_keyset_authorize(&p->keyset, pk);
}

static void peer_on_up(void *ctx, struct net_link *link, const uint8_t pk[32])
{
    struct peer *p = ctx;
    p->ups++;
    p->link = link;
    memcpy(p->up_key, pk, 32);
}

static void peer_on_frame(void *ctx, struct net_link *link, const uint8_t *data, size_t len)
{
    struct peer *p = ctx;
    (void)link;
    uint32_t i = (uint32_t)p->frames++;
    p->frame_bytes += len;
    if (!p->sched_max || p->frame_error) return;
    size_t want = sched_size(i, p->sched_max);
    if (len != want) {
        p->frame_error = true;
        snprintf(p->frame_error_msg, sizeof p->frame_error_msg,
                 "frame %u: got %zu bytes, sent %zu", i, len, want);
        return;
    }
    for (size_t j = 0; j < len; j++) {
        if (data[j] != sched_byte(i, j)) {
            p->frame_error = true;
            snprintf(p->frame_error_msg, sizeof p->frame_error_msg,
                     "frame %u byte %zu: got %u, sent %u", i, j, data[j], sched_byte(i, j));
            return;
        }
    }
}

static void peer_on_down(void *ctx, struct net_link *link, int reason)
{
    struct peer *p = ctx;
    p->downs++;
    p->down_reason = reason;
    if (reason == WB_ERR_DUPLICATE) p->downs_dup++;
    if (p->link == link) p->link = NULL;
}

static void peer_on_dial_fail(void *ctx, const char *addr, int err, const char *why,
                              bool will_retry)
{
    struct peer *p = ctx;
    (void)addr;
    p->dial_fails++;
    p->dial_err = err;
    p->dial_retry = will_retry;
    snprintf(p->dial_why, sizeof p->dial_why, "%s", why ? why : "");
}

static void peer_on_closed(void *ctx)
{
    struct peer *p = ctx;
    p->closed = true;
    p->net = NULL;
}

/* Fills a peer's config (the caller may adjust it), identity fresh or given. */
static void peer_setup(struct peer *p, uv_loop_t *loop, const uint8_t chain[32],
                       const struct ident *id)
{
    memset(p, 0, sizeof *p);
    p->loop = loop;
    if (id) p->id = *id;
    else assert_int_equal(crypto_sign_keypair(p->id.pk, p->id.sk), 0);
    p->keyset.keys = (const uint8_t(*)[32])p->allowed;
    struct net_config *c = &p->cfg;
    memcpy(c->chain_id, chain, 32);
    memcpy(c->identity_pk, p->id.pk, 32);
    memcpy(c->identity_sk, p->id.sk, 64);
    c->name = "test";
    c->authorize = peer_authorize;
    c->ctx = p;
    c->frame_max = 4096;
    c->send_queue_max = 1u << 20;
    c->handshake_timeout_ms = 3000;
    c->reconnect_base_ms = 20;
    c->reconnect_max_ms = 200;
    c->unique_peers = true;
    c->on_link_up = peer_on_up;
    c->on_frame = peer_on_frame;
    c->on_link_down = peer_on_down;
    c->on_dial_fail = peer_on_dial_fail;
}

static void allow(struct peer *p, const struct peer *q)
{
    assert_true(p->keyset.count < 4);
    memcpy(p->allowed[p->keyset.count++], q->id.pk, 32);
}

static void peer_create(struct peer *p)
{
    int rc = net_create(p->loop, &p->cfg, &p->net);
    if (rc) fail_msg("net_create: %s", wb_strerror(rc));
}

static void peer_listen_at(struct peer *p, const char *addr)
{
    int rc = net_listen(p->net, addr);
    if (rc) fail_msg("net_listen %s: %s", addr, wb_strerror(rc));
    assert_int_equal(net_bound_port(p->net, &p->port), 0);
    assert_true(p->port != 0);
    snprintf(p->addr, sizeof p->addr, "127.0.0.1:%u", p->port);
}

static void peer_listen(struct peer *p)
{
    peer_listen_at(p, "127.0.0.1:0");
}

static struct net_stats stats(const struct peer *p)
{
    struct net_stats s;
    net_get_stats(p->net, &s);
    return s;
}

static void peer_close(struct peer *p)
{
    if (p->net) net_close(p->net, peer_on_closed);
}

static void check_frames(const struct peer *p)
{
    if (p->frame_error) fail_msg("%s", p->frame_error_msg);
}

static void send_schedule(struct net_link *link, uint32_t n, size_t max)
{
    uint8_t *buf = malloc(max ? max : 1);
    assert_non_null(buf);
    for (uint32_t i = 0; i < n; i++) {
        size_t len = sched_size(i, max);
        for (size_t j = 0; j < len; j++) buf[j] = sched_byte(i, j);
        int rc = net_send(link, buf, len);
        if (rc) fail_msg("net_send frame %u (%zu bytes): %s", i, len, wb_strerror(rc));
    }
    free(buf);
}

static size_t peer_auth_len(void)
{
    uint8_t k[32] = {0}, s[64] = {0};
    Waybill__PeerAuth a = WAYBILL__PEER_AUTH__INIT;
    a.identity.data = k;
    a.identity.len = sizeof k;
    a.signature.data = s;
    a.signature.len = sizeof s;
    return waybill__peer_auth__get_packed_size(&a);
}

/* Bytes a dialer sends before its first application frame: hello, stream
 * header, PeerAuth frame, empty accept frame. */
static uint64_t dialer_handshake_bytes(void)
{
    return NET_VERSION_TAG_LEN + 32 + crypto_secretstream_xchacha20poly1305_HEADERBYTES +
           (4 + peer_auth_len() + ABYTES) + (4 + ABYTES);
}

/* ---- a TCP relay that chops or alters the dialer's byte stream ------------ */

enum relay_mode { RELAY_CHOP, RELAY_FLIP, RELAY_SET_LEN };

struct relay;

struct relay_dir {
    struct relay *r;
    uv_tcp_t *to;
    bool mutate;
    uint8_t *q;
    size_t qlen, qcap;
    uint64_t seen;
};

struct relay {
    uv_loop_t *loop;
    uv_tcp_t listener, down, up;
    uv_connect_t creq;
    uv_idle_t idle;
    struct sockaddr_in target;
    char addr[NET_ADDR_MAX];
    enum relay_mode mode;
    uint64_t at;
    uint32_t len_value;
    uint32_t rng;
    bool have_conn, up_ready, dropped;
    int open;
    struct relay_dir d2u, u2d;
};

struct relay_wreq {
    uv_write_t req;
    uint8_t data[];
};

static void relay_on_close(uv_handle_t *h)
{
    struct relay *r = h->data;
    r->open--;
}

static void relay_close_handle(struct relay *r, uv_handle_t *h)
{
    if (!uv_is_closing(h)) uv_close(h, relay_on_close);
    (void)r;
}

static void relay_drop(struct relay *r)
{
    if (r->dropped || !r->have_conn) return;
    r->dropped = true;
    relay_close_handle(r, (uv_handle_t *)&r->down);
    relay_close_handle(r, (uv_handle_t *)&r->up);
}

static void relay_on_write(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

static void relay_write(struct relay_dir *d, size_t n)
{
    struct relay *r = d->r;
    if (r->dropped || n == 0) return;
    struct relay_wreq *w = malloc(sizeof *w + n);
    assert_non_null(w);
    memcpy(w->data, d->q, n);
    memmove(d->q, d->q + n, d->qlen - n);
    d->qlen -= n;
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)n);
    if (uv_write(&w->req, (uv_stream_t *)d->to, &b, 1, relay_on_write) != 0) {
        free(w);
        relay_drop(r);
    }
}

static void relay_on_idle(uv_idle_t *h)
{
    struct relay *r = h->data;
    if (!r->up_ready) return;
    struct relay_dir *dirs[2] = {&r->d2u, &r->u2d};
    for (int i = 0; i < 2; i++) {
        struct relay_dir *d = dirs[i];
        if (!d->qlen) continue;
        r->rng = r->rng * 1103515245u + 12345u;
        size_t n = 1 + (r->rng >> 16) % 23;
        relay_write(d, n < d->qlen ? n : d->qlen);
    }
}

static void relay_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    buf->base = malloc(65536);
    buf->len = buf->base ? 65536 : 0;
}

static void relay_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct relay *r = s->data;
    struct relay_dir *d = s == (uv_stream_t *)&r->down ? &r->d2u : &r->u2d;
    if (nread < 0) {
        free(buf->base);
        relay_drop(r);
        return;
    }
    uint8_t *in = (uint8_t *)buf->base;
    size_t n = (size_t)nread;
    if (d->qlen + n > d->qcap) {
        d->qcap = (d->qlen + n) * 2;
        d->q = realloc(d->q, d->qcap);
        assert_non_null(d->q);
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t o = d->seen + i;
        uint8_t byte = in[i];
        if (d->mutate && r->mode == RELAY_FLIP && o == r->at) byte ^= 0x01;
        if (d->mutate && r->mode == RELAY_SET_LEN && o >= r->at && o < r->at + 4)
            byte = (uint8_t)(r->len_value >> (8 * (3 - (o - r->at))));
        d->q[d->qlen + i] = byte;
    }
    d->qlen += n;
    d->seen += n;
    free(buf->base);
    if (r->mode != RELAY_CHOP && r->up_ready) relay_write(d, d->qlen);
}

static void relay_on_connect(uv_connect_t *req, int status)
{
    struct relay *r = req->data;
    if (status < 0 || r->dropped) {
        relay_drop(r);
        return;
    }
    r->up_ready = true;
    assert_int_equal(uv_read_start((uv_stream_t *)&r->up, relay_alloc, relay_on_read), 0);
    if (r->mode != RELAY_CHOP) relay_write(&r->d2u, r->d2u.qlen);
}

static void relay_on_connection(uv_stream_t *server, int status)
{
    struct relay *r = server->data;
    assert_int_equal(status, 0);
    assert_false(r->have_conn); /* one connection per relay */
    assert_int_equal(uv_tcp_init(r->loop, &r->down), 0);
    assert_int_equal(uv_tcp_init(r->loop, &r->up), 0);
    r->down.data = r->up.data = r;
    r->open += 2;
    r->have_conn = true;
    assert_int_equal(uv_accept(server, (uv_stream_t *)&r->down), 0);
    assert_int_equal(uv_read_start((uv_stream_t *)&r->down, relay_alloc, relay_on_read), 0);
    r->creq.data = r;
    assert_int_equal(uv_tcp_connect(&r->creq, &r->up, (const struct sockaddr *)&r->target,
                                    relay_on_connect),
                     0);
}

static void relay_start(struct relay *r, uv_loop_t *loop, uint16_t target_port,
                        enum relay_mode mode, uint64_t at, uint32_t len_value)
{
    memset(r, 0, sizeof *r);
    r->loop = loop;
    r->mode = mode;
    r->at = at;
    r->len_value = len_value;
    r->rng = 12345;
    r->d2u = (struct relay_dir){.r = r, .to = &r->up, .mutate = true};
    r->u2d = (struct relay_dir){.r = r, .to = &r->down, .mutate = false};
    assert_int_equal(uv_ip4_addr("127.0.0.1", target_port, &r->target), 0);
    assert_int_equal(uv_tcp_init(loop, &r->listener), 0);
    r->listener.data = r;
    r->open++;
    struct sockaddr_in any;
    assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &any), 0);
    assert_int_equal(uv_tcp_bind(&r->listener, (const struct sockaddr *)&any, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&r->listener, 8, relay_on_connection), 0);
    struct sockaddr_in bound;
    int len = sizeof bound;
    assert_int_equal(uv_tcp_getsockname(&r->listener, (struct sockaddr *)&bound, &len), 0);
    snprintf(r->addr, sizeof r->addr, "127.0.0.1:%u", ntohs(bound.sin_port));
    if (mode == RELAY_CHOP) {
        assert_int_equal(uv_idle_init(loop, &r->idle), 0);
        r->idle.data = r;
        r->open++;
        assert_int_equal(uv_idle_start(&r->idle, relay_on_idle), 0);
    }
}

static void relay_stop(struct relay *r)
{
    relay_close_handle(r, (uv_handle_t *)&r->listener);
    if (r->mode == RELAY_CHOP) relay_close_handle(r, (uv_handle_t *)&r->idle);
    relay_drop(r);
    RUN_UNTIL(r->loop, r->open == 0, "relay handles closed");
    free(r->d2u.q);
    free(r->u2d.q);
}

/* ---- a raw TCP client that speaks no or broken protocol --------------------- */

enum raw_mode { RAW_RANDOM, RAW_ZERO_KEY, RAW_ECHO, RAW_SILENT };

struct raw {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    enum raw_mode mode;
    uint8_t out[256];
    uint8_t in[256];
    size_t in_len;
    bool connected, echoed, eof, closed;
};

static void raw_on_write(uv_write_t *req, int status)
{
    (void)req;
    (void)status;
}

static void raw_send(struct raw *w, size_t n)
{
    uv_buf_t b = uv_buf_init((char *)w->out, (unsigned)n);
    assert_int_equal(uv_write(&w->wreq, (uv_stream_t *)&w->tcp, &b, 1, raw_on_write), 0);
}

static void raw_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct raw *w = h->data;
    (void)suggested;
    if (w->in_len == sizeof w->in) w->in_len = 0; /* only the first bytes matter */
    *buf = uv_buf_init((char *)w->in + w->in_len, (unsigned)(sizeof w->in - w->in_len));
}

static void raw_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct raw *w = s->data;
    (void)buf;
    if (nread < 0) {
        w->eof = true;
        uv_read_stop(s);
        return;
    }
    w->in_len += (size_t)nread;
    if (w->mode == RAW_ECHO && !w->echoed && w->in_len >= NET_VERSION_TAG_LEN + 32) {
        /* Send the listener's own hello (tag + its ephemeral key) back. */
        memcpy(w->out, w->in, NET_VERSION_TAG_LEN + 32);
        w->echoed = true;
        raw_send(w, NET_VERSION_TAG_LEN + 32);
    }
}

static void raw_on_connect(uv_connect_t *req, int status)
{
    struct raw *w = req->data;
    assert_int_equal(status, 0);
    w->connected = true;
    assert_int_equal(uv_read_start((uv_stream_t *)&w->tcp, raw_alloc, raw_on_read), 0);
    if (w->mode == RAW_RANDOM) {
        randombytes_buf(w->out, 200);
        w->out[0] = 'x'; /* never the version tag's first byte */
        raw_send(w, 200);
    } else if (w->mode == RAW_ZERO_KEY) {
        memset(w->out, 0, NET_VERSION_TAG_LEN + 32);
        memcpy(w->out, NET_VERSION_TAG, strlen(NET_VERSION_TAG));
        raw_send(w, NET_VERSION_TAG_LEN + 32);
    }
}

static void raw_on_close(uv_handle_t *h)
{
    ((struct raw *)h->data)->closed = true;
}

static void raw_start(struct raw *w, uv_loop_t *loop, uint16_t port, enum raw_mode mode)
{
    memset(w, 0, sizeof *w);
    w->mode = mode;
    assert_int_equal(uv_tcp_init(loop, &w->tcp), 0);
    w->tcp.data = w;
    w->creq.data = w;
    struct sockaddr_in sa;
    assert_int_equal(uv_ip4_addr("127.0.0.1", port, &sa), 0);
    assert_int_equal(
        uv_tcp_connect(&w->creq, &w->tcp, (const struct sockaddr *)&sa, raw_on_connect), 0);
}

static void raw_stop(struct raw *w, uv_loop_t *loop)
{
    uv_close((uv_handle_t *)&w->tcp, raw_on_close);
    RUN_UNTIL(loop, w->closed, "raw client closed");
}

/* ---- tests ------------------------------------------------------------------ */

/* Two nets handshake, learn each other's identity and exchange many frames of
 * sizes 0..frame_max both ways, in order and intact. */
static void handshake_and_frames_both_ways(void **state)
{
    (void)state;
    enum { N = 300, MAX = 65536 };
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct peer a, b;
    peer_setup(&a, &loop, chain_a, NULL);
    peer_setup(&b, &loop, chain_a, NULL);
    allow(&a, &b);
    allow(&b, &a);
    a.cfg.frame_max = b.cfg.frame_max = MAX;
    a.cfg.send_queue_max = b.cfg.send_queue_max = 64u << 20;
    a.sched_max = b.sched_max = MAX;
    peer_create(&a);
    peer_create(&b);
    peer_listen(&a);
    assert_int_equal(net_dial(b.net, a.addr, a.id.pk, false), WB_OK);
    RUN_UNTIL(&loop, a.ups == 1 && b.ups == 1, "both sides up");
    assert_memory_equal(a.up_key, b.id.pk, 32);
    assert_memory_equal(b.up_key, a.id.pk, 32);
    assert_memory_equal(net_link_peer_key(a.link), b.id.pk, 32);
    assert_true(net_link_outbound(b.link));
    assert_false(net_link_outbound(a.link));
    assert_ptr_equal(net_link_net(a.link), a.net);
    assert_int_equal(net_links_up(a.net), 1);
    int tag = 7;
    net_link_set_data(a.link, &tag);
    assert_ptr_equal(net_link_data(a.link), &tag);

    uint8_t *big = calloc(1, MAX + 1);
    assert_non_null(big);
    assert_int_equal(net_send(b.link, big, MAX + 1), WB_ERR_TOO_LARGE);
    free(big);

    send_schedule(a.link, N, MAX);
    send_schedule(b.link, N, MAX);
    RUN_UNTIL(&loop,
              a.frames == N && b.frames == N && stats(&a).frames_sent == N &&
                  stats(&b).frames_sent == N,
              "all frames delivered both ways");
    check_frames(&a);
    check_frames(&b);
    struct net_stats sa = stats(&a), sb = stats(&b);
    assert_int_equal(sa.frames_received, N);
    assert_int_equal(sb.frames_received, N);
    assert_int_equal(sa.links_up, 1);
    assert_int_equal(sb.links_dialed, 1);
    assert_int_equal(sa.links_accepted, 1);
    assert_int_equal(sa.handshake_failures + sb.handshake_failures, 0);
    assert_int_equal(sa.frames_bad + sb.frames_bad + sa.frames_dropped + sb.frames_dropped, 0);
    assert_int_equal(a.downs + b.downs, 0);

    peer_close(&a);
    peer_close(&b);
    RUN_UNTIL(&loop, a.closed && b.closed, "both nets closed");
    assert_int_equal(a.downs, 1);
    assert_int_equal(b.downs, 1);
    assert_int_equal(a.down_reason, WB_OK);
    loop_finish(&loop);
}

/* A relay delivers every byte in separate 1..23-byte pieces: handshake and
 * frames still reassemble exactly. */
static void split_delivery_reassembles(void **state)
{
    (void)state;
    enum { N = 60, MAX = 4096 };
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct peer a, b;
    peer_setup(&a, &loop, chain_a, NULL);
    peer_setup(&b, &loop, chain_a, NULL);
    allow(&a, &b);
    allow(&b, &a);
    a.sched_max = b.sched_max = MAX;
    peer_create(&a);
    peer_create(&b);
    peer_listen(&a);
    struct relay r;
    relay_start(&r, &loop, a.port, RELAY_CHOP, 0, 0);
    assert_int_equal(net_dial(b.net, r.addr, a.id.pk, false), WB_OK);
    RUN_UNTIL(&loop, a.ups == 1 && b.ups == 1, "both sides up through the chopping relay");
    send_schedule(a.link, N, MAX);
    send_schedule(b.link, N, MAX);
    RUN_UNTIL(&loop, a.frames == N && b.frames == N, "all chopped frames delivered");
    check_frames(&a);
    check_frames(&b);
    assert_true(r.d2u.seen > dialer_handshake_bytes());
    relay_stop(&r);
    peer_close(&a);
    peer_close(&b);
    RUN_UNTIL(&loop, a.closed && b.closed, "both nets closed");
    loop_finish(&loop);
}

/* A key outside the authorized set is refused by whichever side checks it;
 * no side reports the link up, and the counters say why. */
static void unauthorized_identity_refused_both_sides(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);

    /* Listener refuses the dialer. */
    struct peer a, b;
    peer_setup(&a, &loop, chain_a, NULL);
    peer_setup(&b, &loop, chain_a, NULL);
    allow(&b, &a); /* a does not allow b */
    peer_create(&a);
    peer_create(&b);
    peer_listen(&a);
    assert_int_equal(net_dial(b.net, a.addr, a.id.pk, false), WB_OK);
    RUN_UNTIL(&loop, b.dial_fails == 1 && stats(&a).links_refused == 1,
              "listener refuses the dialer");
    assert_int_equal(b.dial_err, WB_ERR_REFUSED);
    assert_false(b.dial_retry);
    assert_int_equal(stats(&b).handshake_failures, 1);
    assert_int_equal(a.ups + b.ups, 0);

    /* Dialer refuses the listener. */
    struct peer c, d;
    peer_setup(&c, &loop, chain_a, NULL);
    peer_setup(&d, &loop, chain_a, NULL);
    allow(&c, &d); /* d does not allow c */
    peer_create(&c);
    peer_create(&d);
    peer_listen(&c);
    assert_int_equal(net_dial(d.net, c.addr, NULL, false), WB_OK);
    RUN_UNTIL(&loop, d.dial_fails == 1 && stats(&c).handshake_failures == 1,
              "dialer refuses the listener");
    assert_int_equal(d.dial_err, WB_ERR_PERMISSION);
    assert_int_equal(stats(&d).links_refused, 1);
    assert_int_equal(c.ups + d.ups, 0);

    /* A dialer expecting another identity refuses an authorized listener. */
    struct peer e;
    peer_setup(&e, &loop, chain_a, NULL);
    allow(&e, &c);
    allow(&c, &e);
    peer_create(&e);
    assert_int_equal(net_dial(e.net, c.addr, b.id.pk, false), WB_OK);
    RUN_UNTIL(&loop, e.dial_fails == 1, "dialer refuses an unexpected identity");
    assert_int_equal(e.dial_err, WB_ERR_PERMISSION);
    assert_int_equal(stats(&e).links_refused, 1);
    assert_int_equal(c.ups + e.ups, 0);

    struct peer *all[] = {&a, &b, &c, &d, &e};
    for (int i = 0; i < 5; i++) peer_close(all[i]);
    RUN_UNTIL(&loop, a.closed && b.closed && c.closed && d.closed && e.closed, "nets closed");
    loop_finish(&loop);
}

/* Peers of different chains cannot authenticate: signatures cover the chain id. */
static void wrong_chain_id_fails_handshake(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct peer a, b;
    peer_setup(&a, &loop, chain_a, NULL);
    peer_setup(&b, &loop, chain_b, NULL);
    allow(&a, &b);
    allow(&b, &a);
    peer_create(&a);
    peer_create(&b);
    peer_listen(&a);
    assert_int_equal(net_dial(b.net, a.addr, a.id.pk, false), WB_OK);
    RUN_UNTIL(&loop, b.dial_fails == 1 && stats(&a).handshake_failures == 1,
              "both sides fail the handshake");
    assert_true(b.dial_err == WB_ERR_SIGNATURE || b.dial_err == WB_ERR_CLOSED);
    assert_int_equal(a.ups + b.ups, 0);
    assert_int_equal(stats(&a).links_refused + stats(&b).links_refused, 0);
    peer_close(&a);
    peer_close(&b);
    RUN_UNTIL(&loop, a.closed && b.closed, "nets closed");
    loop_finish(&loop);
}

/* Garbage, an all-zero (low-order) ephemeral key and an echoed ephemeral key
 * each close only their own link; the listener then serves a real peer. */
static void bad_hello_closes_link_server_keeps_serving(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct peer a, b;
    peer_setup(&a, &loop, chain_a, NULL);
    peer_setup(&b, &loop, chain_a, NULL);
    allow(&a, &b);
    allow(&b, &a);
    peer_create(&a);
    peer_create(&b);
    peer_listen(&a);

    const enum raw_mode modes[] = {RAW_RANDOM, RAW_ZERO_KEY, RAW_ECHO};
    const char *names[] = {"random bytes", "all-zero ephemeral key", "echoed ephemeral key"};
    for (int i = 0; i < 3; i++) {
        struct raw w;
        raw_start(&w, &loop, a.port, modes[i]);
        RUN_UNTIL(&loop, w.eof && stats(&a).handshake_failures == (uint64_t)i + 1, names[i]);
        /* Refused right after the hello: nothing but the listener's own
         * hello ever came back (no stream header, no PeerAuth). */
        if (w.in_len != NET_VERSION_TAG_LEN + 32)
            fail_msg("%s: listener sent %zu bytes, wanted only its %d-byte hello", names[i],
                     w.in_len, NET_VERSION_TAG_LEN + 32);
        raw_stop(&w, &loop);
    }
    assert_int_equal(a.ups, 0);

    assert_int_equal(net_dial(b.net, a.addr, a.id.pk, false), WB_OK);
    RUN_UNTIL(&loop, a.ups == 1 && b.ups == 1, "a proper peer is served afterwards");
    const uint8_t msg[] = "still serving";
    assert_int_equal(net_send(b.link, msg, sizeof msg), WB_OK);
    RUN_UNTIL(&loop, a.frames == 1, "frame after the bad clients");
    assert_int_equal(a.frame_bytes, sizeof msg);
    peer_close(&a);
    peer_close(&b);
    RUN_UNTIL(&loop, a.closed && b.closed, "nets closed");
    loop_finish(&loop);
}

/* A frame length over frame_max + tag closes that link only. */
static void oversized_frame_closes_only_that_link(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct peer a, b1, b2;
    peer_setup(&a, &loop, chain_a, NULL);
    peer_setup(&b1, &loop, chain_a, NULL);
    peer_setup(&b2, &loop, chain_a, NULL);
    allow(&a, &b1);
    allow(&a, &b2);
    allow(&b1, &a);
    allow(&b2, &a);
    peer_create(&a);
    peer_create(&b1);
    peer_create(&b2);
    peer_listen(&a);
    struct relay r;
    relay_start(&r, &loop, a.port, RELAY_SET_LEN, dialer_handshake_bytes(),
                (uint32_t)(a.cfg.frame_max + ABYTES + 1));
    assert_int_equal(net_dial(b1.net, a.addr, a.id.pk, false), WB_OK);
    assert_int_equal(net_dial(b2.net, r.addr, a.id.pk, false), WB_OK);
    RUN_UNTIL(&loop, a.ups == 2 && b1.ups == 1 && b2.ups == 1, "two links up");
    const uint8_t small[10] = {1, 2, 3};
    assert_int_equal(net_send(b2.link, small, sizeof small), WB_OK);
    RUN_UNTIL(&loop, a.downs == 1 && b2.downs == 1, "oversized frame closes its link");
    assert_int_equal(a.down_reason, WB_ERR_TOO_LARGE);
    assert_int_equal(b2.down_reason, WB_ERR_CLOSED);
    assert_int_equal(stats(&a).frames_bad, 1);
    assert_int_equal(a.frames, 0);
    assert_int_equal(net_links_up(a.net), 1);

    assert_int_equal(net_send(b1.link, small, sizeof small), WB_OK);
    assert_int_equal(net_broadcast(a.net, small, sizeof small), 1);
    RUN_UNTIL(&loop, a.frames == 1 && b1.frames == 1, "the other link still carries frames");
    assert_int_equal(b1.downs, 0);
    relay_stop(&r);
    peer_close(&a);
    peer_close(&b1);
    peer_close(&b2);
    RUN_UNTIL(&loop, a.closed && b1.closed && b2.closed, "nets closed");
    loop_finish(&loop);
}

/* One flipped ciphertext bit closes the link: after the handshake as a frame
 * authentication failure, during it as a handshake failure. */
static void tampered_ciphertext_closes_link(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct peer a, b;
    peer_setup(&a, &loop, chain_a, NULL);
    peer_setup(&b, &loop, chain_a, NULL);
    allow(&a, &b);
    allow(&b, &a);
    peer_create(&a);
    peer_create(&b);
    peer_listen(&a);

    struct relay r;
    relay_start(&r, &loop, a.port, RELAY_FLIP, dialer_handshake_bytes() + 4 + 3, 0);
    assert_int_equal(net_dial(b.net, r.addr, a.id.pk, false), WB_OK);
    RUN_UNTIL(&loop, a.ups == 1 && b.ups == 1, "link up through the relay");
    const uint8_t msg[32] = {9};
    assert_int_equal(net_send(b.link, msg, sizeof msg), WB_OK);
    RUN_UNTIL(&loop, a.downs == 1 && b.downs == 1, "tampered frame closes the link");
    assert_int_equal(a.down_reason, WB_ERR_CRYPTO);
    assert_int_equal(a.frames, 0);
    assert_int_equal(stats(&a).frames_bad, 1);
    relay_stop(&r);

    /* Flip a byte inside the dialer's PeerAuth ciphertext. */
    uint64_t at = NET_VERSION_TAG_LEN + 32 + crypto_secretstream_xchacha20poly1305_HEADERBYTES + 4 + 5;
    relay_start(&r, &loop, a.port, RELAY_FLIP, at, 0);
    assert_int_equal(net_dial(b.net, r.addr, a.id.pk, false), WB_OK);
    RUN_UNTIL(&loop, b.dial_fails == 1 && stats(&a).handshake_failures == 1,
              "tampered handshake fails");
    assert_int_equal(a.ups, 1);
    assert_int_equal(stats(&a).frames_bad, 2);
    relay_stop(&r);

    peer_close(&a);
    peer_close(&b);
    RUN_UNTIL(&loop, a.closed && b.closed, "nets closed");
    loop_finish(&loop);
}

/* Two validators dialing each other at once end with exactly one link, the
 * one dialed by the smaller identity key, on both sides. */
static void crossing_dials_keep_one_link(void **state)
{
    (void)state;
    for (int round = 0; round < 4; round++) {
        uv_loop_t loop;
        assert_int_equal(uv_loop_init(&loop), 0);
        struct peer a, b;
        peer_setup(&a, &loop, chain_a, NULL);
        peer_setup(&b, &loop, chain_a, NULL);
        allow(&a, &b);
        allow(&b, &a);
        peer_create(&a);
        peer_create(&b);
        peer_listen(&a);
        peer_listen(&b);
        assert_int_equal(net_dial(a.net, b.addr, b.id.pk, true), WB_OK);
        assert_int_equal(net_dial(b.net, a.addr, a.id.pk, true), WB_OK);
        RUN_UNTIL(&loop,
                  net_links_up(a.net) == 1 && net_links_up(b.net) == 1 &&
                      stats(&a).links_duplicate + stats(&b).links_duplicate >= 1,
                  "crossing dials resolved");
        run_for(&loop, 400); /* nothing may flap afterwards */
        assert_int_equal(net_links_up(a.net), 1);
        assert_int_equal(net_links_up(b.net), 1);
        assert_non_null(a.link);
        assert_non_null(b.link);
        bool a_smaller = memcmp(a.id.pk, b.id.pk, 32) < 0;
        if (net_link_outbound(a.link) != a_smaller || net_link_outbound(b.link) == a_smaller)
            fail_msg("round %d: kept a outbound=%d b outbound=%d, a's key smaller=%d", round,
                     net_link_outbound(a.link), net_link_outbound(b.link), a_smaller);
        assert_int_equal(a.downs - a.downs_dup, 0);
        assert_int_equal(b.downs - b.downs_dup, 0);
        assert_int_equal(a.ups - a.downs, 1);
        assert_int_equal(b.ups - b.downs, 1);
        const uint8_t ping[] = "ping";
        assert_int_equal(net_send(a.link, ping, sizeof ping), WB_OK);
        assert_int_equal(net_send(b.link, ping, sizeof ping), WB_OK);
        RUN_UNTIL(&loop, a.frames == 1 && b.frames == 1, "frames over the kept link");
        peer_close(&a);
        peer_close(&b);
        RUN_UNTIL(&loop, a.closed && b.closed, "nets closed");
        loop_finish(&loop);
    }
}

/* A reconnecting dialer finds the listener again after it restarts on the
 * same port, and reports the failed attempts meanwhile. */
static void dialer_reconnects_after_listener_restart(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct peer a, b, a2;
    peer_setup(&a, &loop, chain_a, NULL);
    peer_setup(&b, &loop, chain_a, NULL);
    allow(&a, &b);
    allow(&b, &a);
    peer_create(&a);
    peer_create(&b);
    peer_listen(&a);
    assert_int_equal(net_dial(b.net, a.addr, a.id.pk, true), WB_OK);
    RUN_UNTIL(&loop, a.ups == 1 && b.ups == 1, "first link up");

    peer_close(&a);
    RUN_UNTIL(&loop, a.closed && b.downs == 1, "listener gone");
    assert_int_equal(b.down_reason, WB_ERR_CLOSED);
    RUN_UNTIL(&loop, b.dial_fails >= 2, "redials fail while the listener is down");
    assert_int_equal(b.dial_err, WB_ERR_UNREACHABLE);
    assert_true(b.dial_retry);
    assert_true(stats(&b).connect_failures >= 2);

    peer_setup(&a2, &loop, chain_a, &a.id);
    allow(&a2, &b);
    peer_create(&a2);
    peer_listen_at(&a2, a.addr);
    RUN_UNTIL(&loop, b.ups == 2 && a2.ups == 1, "dialer reconnected");
    const uint8_t msg[] = "back";
    assert_int_equal(net_send(b.link, msg, sizeof msg), WB_OK);
    RUN_UNTIL(&loop, a2.frames == 1, "frame over the new link");
    peer_close(&b);
    peer_close(&a2);
    RUN_UNTIL(&loop, b.closed && a2.closed, "nets closed");
    loop_finish(&loop);
}

/* Frames beyond the per-link send bound close the link as too slow; frames
 * queued before it are still delivered. */
static void send_queue_bound_closes_slow_link(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct peer a, b;
    peer_setup(&a, &loop, chain_a, NULL);
    peer_setup(&b, &loop, chain_a, NULL);
    allow(&a, &b);
    allow(&b, &a);
    a.cfg.frame_max = b.cfg.frame_max = 1024;
    b.cfg.send_queue_max = 3000; /* room for two 1024-byte frames */
    peer_create(&a);
    peer_create(&b);
    peer_listen(&a);
    assert_int_equal(net_dial(b.net, a.addr, a.id.pk, false), WB_OK);
    RUN_UNTIL(&loop, a.ups == 1 && b.ups == 1, "link up");
    uint8_t buf[1024] = {0};
    struct net_link *l = b.link;
    assert_int_equal(net_send(l, buf, sizeof buf), WB_OK);
    assert_int_equal(net_send(l, buf, sizeof buf), WB_OK);
    assert_int_equal(net_send(l, buf, sizeof buf), WB_ERR_BUSY);
    assert_int_equal(net_send(l, buf, sizeof buf), WB_ERR_CLOSED);
    RUN_UNTIL(&loop, a.downs == 1 && b.downs == 1, "slow link closed");
    assert_int_equal(b.down_reason, WB_ERR_BUSY);
    assert_int_equal(stats(&b).links_too_slow, 1);
    assert_int_equal(stats(&b).frames_dropped, 1);
    assert_int_equal(a.frames, 2);
    peer_close(&a);
    peer_close(&b);
    RUN_UNTIL(&loop, a.closed && b.closed, "nets closed");
    loop_finish(&loop);
}

/* A connection that never completes the handshake is closed after the
 * timeout. Handshakes in flight have a pool of their own: up links never
 * count in it, and over its bound the connection that made the least
 * progress (the oldest among equals) is evicted for the new one. */
static void stalled_and_excess_connections_closed(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct peer a, b;
    peer_setup(&a, &loop, chain_a, NULL);
    peer_setup(&b, &loop, chain_a, NULL);
    allow(&a, &b);
    allow(&b, &a);
    a.cfg.handshake_timeout_ms = 200;
    a.cfg.links_max = 1;
    peer_create(&a);
    peer_create(&b);
    peer_listen(&a);

    struct raw w;
    raw_start(&w, &loop, a.port, RAW_SILENT);
    RUN_UNTIL(&loop, w.eof, "stalled handshake closed");
    assert_int_equal(stats(&a).handshake_failures, 1);
    assert_true(w.in_len == NET_VERSION_TAG_LEN + 32);
    raw_stop(&w, &loop);

    assert_int_equal(net_dial(b.net, a.addr, a.id.pk, false), WB_OK);
    RUN_UNTIL(&loop, a.ups == 1 && b.ups == 1, "link up");
    assert_int_equal(net_pending(a.net), 0);
    /* links_max 1 is taken by the up link, yet a new connection still gets
     * its handshake: the pool is apart. */
    raw_start(&w, &loop, a.port, RAW_SILENT);
    RUN_UNTIL(&loop, w.in_len == NET_VERSION_TAG_LEN + 32, "new connection gets the hello");
    assert_int_equal(net_pending(a.net), 1);
    assert_int_equal(stats(&a).links_refused, 0);
    RUN_UNTIL(&loop, w.eof, "stalled handshake closed");
    raw_stop(&w, &loop);
    assert_int_equal(stats(&a).handshake_timeouts, 2);
    assert_int_equal(a.downs, 0);
    peer_close(&a);
    peer_close(&b);
    RUN_UNTIL(&loop, a.closed && b.closed, "nets closed");

    /* A pool of 2: a third connection evicts the oldest silent one, and a
     * peer that handshakes promptly gets in past the silent ones. */
    peer_setup(&a, &loop, chain_a, NULL);
    peer_setup(&b, &loop, chain_a, NULL);
    allow(&a, &b);
    allow(&b, &a);
    a.cfg.handshake_timeout_ms = 60000;
    a.cfg.pending_max = 2;
    peer_create(&a);
    peer_create(&b);
    peer_listen(&a);
    struct raw s1, s2, s3;
    raw_start(&s1, &loop, a.port, RAW_SILENT);
    RUN_UNTIL(&loop, s1.in_len == NET_VERSION_TAG_LEN + 32, "first silent connection");
    raw_start(&s2, &loop, a.port, RAW_SILENT);
    RUN_UNTIL(&loop, s2.in_len == NET_VERSION_TAG_LEN + 32, "second silent connection");
    assert_int_equal(net_pending(a.net), 2);
    raw_start(&s3, &loop, a.port, RAW_SILENT);
    RUN_UNTIL(&loop, s1.eof && s3.in_len == NET_VERSION_TAG_LEN + 32, "oldest evicted");
    assert_false(s2.eof);
    assert_int_equal(stats(&a).pending_evicted, 1);
    assert_int_equal(net_pending(a.net), 2);
    assert_int_equal(net_dial(b.net, a.addr, a.id.pk, false), WB_OK);
    RUN_UNTIL(&loop, a.ups == 1 && b.ups == 1 && s2.eof, "prompt peer admitted");
    assert_int_equal(stats(&a).pending_evicted, 2);
    assert_false(s3.eof);
    assert_int_equal(net_pending(a.net), 1);
    raw_stop(&s1, &loop);
    raw_stop(&s2, &loop);
    raw_stop(&s3, &loop);

    peer_close(&a);
    peer_close(&b);
    RUN_UNTIL(&loop, a.closed && b.closed, "nets closed");
    loop_finish(&loop);
}

/* Configuration and address errors are reported, not fatal; DNS names work. */
static void config_and_addresses(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct peer a;
    peer_setup(&a, &loop, chain_a, NULL);
    struct net *n = NULL;
    struct net_config c = a.cfg;
    c.frame_max = NET_FRAME_MAX_LIMIT + 1;
    assert_int_equal(net_create(&loop, &c, &n), WB_ERR_INVALID);
    c = a.cfg;
    c.send_queue_max = 100;
    assert_int_equal(net_create(&loop, &c, &n), WB_ERR_INVALID);
    c = a.cfg;
    c.identity_pk[0] ^= 1; /* does not match the secret key */
    assert_int_equal(net_create(&loop, &c, &n), WB_ERR_INVALID);
    c = a.cfg;
    c.on_frame = NULL;
    assert_int_equal(net_create(&loop, &c, &n), WB_ERR_INVALID);

    peer_create(&a);
    const char *bad[] = {"",          "127.0.0.1",  "127.0.0.1:",  "127.0.0.1:65536",
                         "[::1:80",   "1.2.3.4:8x", "1.2.3.256:1", "bad_name:80",
                         "-lead:80",  "a..b:80",    "a:b:80",      "[nonsense]:80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (net_listen(a.net, bad[i]) != WB_ERR_INVALID) fail_msg("listen accepted \"%s\"", bad[i]);
        if (net_dial(a.net, bad[i], NULL, false) != WB_ERR_INVALID)
            fail_msg("dial accepted \"%s\"", bad[i]);
    }
    uint16_t port;
    assert_int_equal(net_bound_port(a.net, &port), WB_ERR_INVALID);
    peer_listen_at(&a, "localhost:0");
    assert_int_equal(net_listen(a.net, "127.0.0.1:0"), WB_ERR_INVALID);
    struct peer b;
    peer_setup(&b, &loop, chain_a, NULL);
    peer_create(&b);
    char addr[NET_ADDR_MAX];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", a.port);
    assert_int_equal(net_listen(b.net, addr), WB_ERR_EXISTS);

    /* A name goes through the resolver, for listening and for dialing. */
    allow(&a, &b);
    allow(&b, &a);
    snprintf(addr, sizeof addr, "localhost:%u", a.port);
    assert_int_equal(net_dial(b.net, addr, a.id.pk, false), WB_OK);
    RUN_UNTIL(&loop, a.ups == 1 && b.ups == 1, "link up to a named address");
    assert_string_equal(net_link_peer_addr(b.link), addr);

    /* Closing a net while a dial's lookup is in flight frees everything. */
    struct peer d;
    peer_setup(&d, &loop, chain_a, NULL);
    peer_create(&d);
    assert_int_equal(net_dial(d.net, addr, NULL, true), WB_OK);
    uv_run(&loop, UV_RUN_NOWAIT); /* the dial's first attempt starts the lookup */
    peer_close(&d);
    peer_close(&a);
    peer_close(&b);
    RUN_UNTIL(&loop, a.closed && b.closed && d.closed, "nets closed");
    assert_int_equal(d.ups, 0);
    loop_finish(&loop);
}

/* Whether this machine can bind TCP on ::1 (some containers have no IPv6). */
static bool have_ipv6_loopback(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0) return false;
    struct sockaddr_in6 sa;
    memset(&sa, 0, sizeof sa);
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    bool ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

/* Names are looked up on every attempt (a lookup per attempt, counted);
 * a name that does not resolve is WB_ERR_NOT_FOUND with the resolver's
 * answer, for a dial and for a listener. */
static void names_resolve_on_every_attempt(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    uint8_t chain[32] = {7};
    struct peer a, b;
    peer_setup(&a, &loop, chain, NULL);
    peer_create(&a);

    /* A port that nobody listens on: take one, then close it. */
    peer_setup(&b, &loop, chain, NULL);
    peer_create(&b);
    peer_listen_at(&b, "localhost:0");
    uint16_t closed_port = b.port;
    peer_close(&b);
    RUN_UNTIL(&loop, b.closed, "listener closed");

    char addr[NET_ADDR_MAX];
    snprintf(addr, sizeof addr, "localhost:%u", closed_port);
    assert_int_equal(net_dial(a.net, addr, NULL, true), WB_OK);
    RUN_UNTIL(&loop, a.dial_fails >= 3, "three failed attempts at a named address");
    assert_true(a.dial_retry);
    struct net_stats st = stats(&a);
    /* One lookup per attempt, none answered from a cache. */
    if (st.lookups < 3 || st.lookups != st.links_dialed)
        fail_msg("%llu lookups for %llu attempts", (unsigned long long)st.lookups,
                 (unsigned long long)st.links_dialed);

    /* A name the resolver does not know: NOT_FOUND with its answer. */
    struct peer c;
    peer_setup(&c, &loop, chain, NULL);
    peer_create(&c);
    assert_int_equal(net_dial(c.net, "nowhere.invalid:26600", NULL, false), WB_OK);
    /* A resolver without a DNS server may take its full timeout to say so. */
    struct watchdog wd;
    wd_start(&wd, &loop, 4 * WAIT_MS);
    while (c.dial_fails == 0 && !wd.fired) uv_run(&loop, UV_RUN_ONCE);
    wd_stop(&wd);
    if (c.dial_fails != 1) fail_msg("no answer from the resolver for nowhere.invalid");
    assert_int_equal(c.dial_err, WB_ERR_NOT_FOUND);
    assert_false(c.dial_retry);
    if (c.dial_why[0] == '\0') fail_msg("no resolver answer given");
    assert_int_equal(stats(&c).lookups, 1);
    assert_int_equal(net_listen(c.net, "nowhere.invalid:0"), WB_ERR_NOT_FOUND);

    peer_close(&a);
    peer_close(&c);
    RUN_UNTIL(&loop, a.closed && c.closed, "nets closed");
    loop_finish(&loop);
}

/* IPv6 literals listen and dial; both ends see bracketed addresses. */
static void ipv6_literals_listen_and_dial(void **state)
{
    (void)state;
    if (!have_ipv6_loopback()) {
        print_message("no IPv6 loopback (::1) on this machine: not tested here\n");
        skip();
    }
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    uint8_t chain[32] = {9};
    struct peer a, b;
    peer_setup(&a, &loop, chain, NULL);
    peer_setup(&b, &loop, chain, NULL);
    peer_create(&a);
    peer_create(&b);
    allow(&a, &b);
    allow(&b, &a);
    peer_listen_at(&a, "[::1]:0");
    char addr[NET_ADDR_MAX];
    snprintf(addr, sizeof addr, "[::1]:%u", a.port);
    assert_int_equal(net_dial(b.net, addr, a.id.pk, false), WB_OK);
    RUN_UNTIL(&loop, a.ups == 1 && b.ups == 1, "link up over ::1");
    assert_string_equal(net_link_peer_addr(b.link), addr);
    if (strncmp(net_link_peer_addr(a.link), "[::1]:", 6) != 0)
        fail_msg("inbound link from '%s', expected [::1]:port", net_link_peer_addr(a.link));
    assert_int_equal(stats(&b).lookups, 0); /* a literal is not looked up */
    peer_close(&a);
    peer_close(&b);
    RUN_UNTIL(&loop, a.closed && b.closed, "nets closed");
    loop_finish(&loop);
}

/* Heartbeats: an idle link with heartbeats on both ends stays up and its
 * empty frames are not delivered; a link whose peer sends nothing is closed
 * with WB_ERR_TIMEOUT, and its dialer links up again. */
static void heartbeats_keep_links_and_close_silent_ones(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct peer a, b;
    peer_setup(&a, &loop, chain_a, NULL);
    peer_setup(&b, &loop, chain_a, NULL);
    a.cfg.keepalive_ms = b.cfg.keepalive_ms = 100;
    a.cfg.idle_timeout_ms = b.cfg.idle_timeout_ms = 1000;
    allow(&a, &b);
    allow(&b, &a);
    peer_create(&a);
    peer_create(&b);
    peer_listen(&a);
    assert_int_equal(net_dial(b.net, a.addr, a.id.pk, true), WB_OK);
    RUN_UNTIL(&loop, a.ups == 1 && b.ups == 1, "link up");
    run_for(&loop, 2500); /* no application frame at all */
    assert_int_equal(a.downs + b.downs, 0);
    assert_int_equal(a.frames + b.frames, 0);
    assert_true(stats(&a).heartbeats_sent >= 5);
    assert_true(stats(&b).heartbeats_sent >= 5);
    assert_int_equal(stats(&a).links_idle + stats(&b).links_idle, 0);
    const uint8_t empty[1] = {0};
    assert_int_equal(net_send(a.link, empty, 0), WB_OK); /* empty = heartbeat here */
    const uint8_t msg[] = "after";
    assert_int_equal(net_send(a.link, msg, sizeof msg), WB_OK);
    RUN_UNTIL(&loop, b.frames == 1, "a frame after the heartbeats");
    assert_int_equal(b.frame_bytes, sizeof msg);
    peer_close(&a);
    peer_close(&b);
    RUN_UNTIL(&loop, a.closed && b.closed, "nets closed");

    /* c never sends heartbeats; d, which dialed it, closes the silent link */
    struct peer c, d;
    peer_setup(&c, &loop, chain_a, NULL);
    peer_setup(&d, &loop, chain_a, NULL);
    d.cfg.idle_timeout_ms = 300;
    allow(&c, &d);
    allow(&d, &c);
    peer_create(&c);
    peer_create(&d);
    peer_listen(&c);
    assert_int_equal(net_dial(d.net, c.addr, c.id.pk, true), WB_OK);
    RUN_UNTIL(&loop, d.ups == 1 && c.ups == 1, "second link up");
    RUN_UNTIL(&loop, d.downs == 1, "silent link closed");
    assert_int_equal(d.down_reason, WB_ERR_TIMEOUT);
    assert_int_equal(stats(&d).links_idle, 1);
    RUN_UNTIL(&loop, d.ups == 2, "dialer linked up again");
    peer_close(&c);
    peer_close(&d);
    RUN_UNTIL(&loop, c.closed && d.closed, "nets closed");
    loop_finish(&loop);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    /* NET_TEST_LOG=debug|info|warn shows the transport's own account. */
    const char *lv = getenv("NET_TEST_LOG");
    int level = lv ? wb_log_level_parse(lv) : -1;
    wb_log_set_level(level >= 0 ? (enum wb_log_level)level : WB_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handshake_and_frames_both_ways),
        cmocka_unit_test(split_delivery_reassembles),
        cmocka_unit_test(unauthorized_identity_refused_both_sides),
        cmocka_unit_test(wrong_chain_id_fails_handshake),
        cmocka_unit_test(bad_hello_closes_link_server_keeps_serving),
        cmocka_unit_test(oversized_frame_closes_only_that_link),
        cmocka_unit_test(tampered_ciphertext_closes_link),
        cmocka_unit_test(crossing_dials_keep_one_link),
        cmocka_unit_test(dialer_reconnects_after_listener_restart),
        cmocka_unit_test(send_queue_bound_closes_slow_link),
        cmocka_unit_test(stalled_and_excess_connections_closed),
        cmocka_unit_test(config_and_addresses),
        cmocka_unit_test(names_resolve_on_every_attempt),
        cmocka_unit_test(ipv6_literals_listen_and_dial),
        cmocka_unit_test(heartbeats_keep_links_and_close_silent_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
