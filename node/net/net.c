/* The net endpoint: creation, listening and accepting, the link lifecycle
 * (close, the one-link-per-peer rule, up/down reports), sending, shutdown. */
#include "node/net/net.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/log.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "node/net/net_internal.h"

#define LOG_MOD "net"

struct net_wreq {
    uv_write_t req;
    size_t len;
    bool app; /* an application frame (counted in frames_sent/dropped) */
    uint8_t data[];
};

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

static void net_on_own_timer_close(uv_handle_t *h)
{
    net__unref(h->data);
}

int net_create(uv_loop_t *loop, const struct net_config *cfg, struct net **out)
{
    if (!loop || !cfg || !out || !cfg->authorize || !cfg->on_link_up || !cfg->on_frame ||
        !cfg->on_link_down)
        return WB_ERR_INVALID;
    if (sodium_init() < 0) return WB_ERR_CRYPTO;
    uint8_t derived_pk[crypto_sign_PUBLICKEYBYTES];
    if (crypto_sign_ed25519_sk_to_pk(derived_pk, cfg->identity_sk) != 0 ||
        memcmp(derived_pk, cfg->identity_pk, sizeof derived_pk) != 0)
        return WB_ERR_INVALID;

    struct net *net = calloc(1, sizeof *net);
    if (!net) return WB_ERR_NOMEM;
    net->loop = loop;
    net->cfg = *cfg;
    struct net_config *c = &net->cfg;
    if (!c->frame_max) c->frame_max = NET_FRAME_MAX_DEFAULT;
    if (!c->send_queue_max) c->send_queue_max = NET_SEND_QUEUE_MAX_DEFAULT;
    if (!c->handshake_timeout_ms) c->handshake_timeout_ms = NET_HANDSHAKE_TIMEOUT_MS_DEFAULT;
    if (!c->reconnect_base_ms) c->reconnect_base_ms = NET_RECONNECT_BASE_MS_DEFAULT;
    if (!c->reconnect_max_ms) c->reconnect_max_ms = NET_RECONNECT_MAX_MS_DEFAULT;
    if (c->reconnect_max_ms < c->reconnect_base_ms) c->reconnect_max_ms = c->reconnect_base_ms;
    if (!c->links_max) c->links_max = NET_LINKS_MAX_DEFAULT;
    if (!c->pending_max) c->pending_max = NET_PENDING_MAX_DEFAULT;
    if (!c->pending_per_source_max) c->pending_per_source_max = NET_PENDING_PER_SOURCE_MAX_DEFAULT;
    if (c->pending_per_source_max > c->pending_max) c->pending_per_source_max = c->pending_max;
    if (!c->refusal_log_ms) c->refusal_log_ms = NET_REFUSAL_LOG_MS_DEFAULT;
    int rc = WB_ERR_INVALID;
    if (c->frame_max > NET_FRAME_MAX_LIMIT ||
        c->send_queue_max < c->frame_max + NET_LEN_BYTES + NET_ABYTES)
        goto err_after_alloc;
    snprintf(net->name, sizeof net->name, "%s", cfg->name ? cfg->name : "net");
    c->name = net->name;

    rc = uv_timer_init(loop, &net->own_timer);
    if (rc) {
        rc = net__uv_err(rc);
        goto err_after_alloc;
    }
    net->own_timer.data = net;
    net->refs = 1;
    rc = uv_check_init(loop, &net->accept_check);
    WB_ASSERT(rc == 0); /* cannot fail on Unix */
    net->accept_check.data = net;
    net->refs++;
    *out = net;
    return WB_OK;

err_after_alloc:
    sodium_memzero(net, sizeof *net);
    free(net);
    return rc;
}

/* ---- links ---------------------------------------------------------------- */

static void net_link_free(struct net_link *l)
{
    struct net *net = l->net;
    if (l->was_up) net->cfg.on_link_down(net->cfg.ctx, l, l->close_reason);
    if (l->prev) l->prev->next = l->next;
    else net->links = l->next;
    if (l->next) l->next->prev = l->prev;
    net->links_open--;
    if (l->dialer) net__dialer_link_gone(l->dialer, l);
    if (l->was_up && net->cfg.unique_peers && !net->closing) net__dialers_wake(net, l->peer_pk);
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

/* ---- the summary of inbound handshake failures ------------------------------ */

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

/* One inbound handshake failed (`failed`) or was evicted: logged at once when
 * no summary was written for an interval, else folded into the next one. */
static void net_quiet_note(struct net *net, const struct net_link *l, bool evicted,
                           const char *what, int reason)
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
        net_quiet_note(net, l, false, what, reason);
        net__link_close(l, reason);
        return;
    }
    /* A dialer retrying a dead peer logs its first failure, not every retry. */
    bool quiet = l->dialer && l->dialer->failing_logged;
    if (l->dialer) l->dialer->failing_logged = true;
    NET_LOG(net, quiet ? WB_LOG_DEBUG : WB_LOG_WARN, "%s: %s %s%s: %s (%s)",
           net->name, l->outbound ? "dial" : "inbound", l->addr, key, what,
           wb_strerror(reason));
    net__link_close(l, reason);
}

void net__link_reject(struct net_link *l, const char *what)
{
    if (l->closing || l->rejecting) return;
    struct net *net = l->net;
    net->stats.links_refused++;
    if (l->pending) {
        net->quiet.refused++;
        net_quiet_note(net, l, false, what, WB_ERR_PERMISSION);
    } else {
        NET_WARN(net, "%s: inbound %s: %s (%s)", net->name, l->addr, what,
                wb_strerror(WB_ERR_PERMISSION));
    }
    static const uint8_t reject = NET_REJECT_BYTE;
    l->rejecting = true;
    uv_read_stop((uv_stream_t *)&l->tcp);
    if (net__frame_send(l, &reject, 1, false) == WB_OK && l->tx_queued == 0 && !l->closing)
        net__link_close(l, WB_ERR_PERMISSION);
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
    if (l->dialer && !l->dialer->key_expected) {
        /* Learned even if this link loses the rule below, so the dialer
         * knows which up link it waits for. */
        memcpy(l->dialer->key, l->peer_pk, sizeof l->dialer->key);
        l->dialer->has_key = true;
    }
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
    if (l->dialer) net__dialer_link_up(l->dialer, l);
    else if (net->cfg.unique_peers) net__dialers_heard(net, l->peer_pk);
    net_heartbeat_start(l);
    NET_INFO(net, "%s: link up: %s %s peer %s", net->name,
            l->outbound ? "outbound" : "inbound", l->addr, key);
    net->cfg.on_link_up(net->cfg.ctx, l, l->peer_pk);
}

/* ---- writing ------------------------------------------------------------- */

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
        if (w->app) net->stats.frames_sent++;
    } else {
        if (w->app) net->stats.frames_dropped++;
        if (!l->closing && !l->rejecting) net__link_fail(l, WB_ERR_IO, uv_strerror(status));
    }
    free(w);
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

int net_send(struct net_link *link, const uint8_t *data, size_t len)
{
    if (link->closing || link->state != NET_LINK_UP) return WB_ERR_CLOSED;
    if (len > link->net->cfg.frame_max) return WB_ERR_TOO_LARGE;
    return net__frame_send(link, data, len, true);
}

size_t net_broadcast(struct net *net, const uint8_t *data, size_t len)
{
    size_t n = 0;
    for (struct net_link *l = net->links; l; l = l->next)
        if (l->state == NET_LINK_UP && !l->closing && net_send(l, data, len) == WB_OK) n++;
    return n;
}

/* ---- listening ----------------------------------------------------------- */

static void net_on_listener_close(uv_handle_t *h)
{
    struct net *net = h->data;
    net->listen_state = NET_LISTEN_NONE;
    net__unref(net);
}

/* The source of an inbound connection: family || IP, port left out. */
static void net_src_key(const struct sockaddr *sa, uint8_t out[17])
{
    memset(out, 0, 17);
    out[0] = (uint8_t)sa->sa_family;
    if (sa->sa_family == AF_INET)
        memcpy(out + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    else if (sa->sa_family == AF_INET6)
        memcpy(out + 1, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
}

/* How promising a pending link is, for eviction (lowest goes first): -1 when
 * the peer has closed it already (the end of stream waits unread); its state
 * when it has had a grace period (an eighth of the handshake deadline) and
 * nothing waits unread; above every state when it is younger than that (a
 * peer needs a moment to be scheduled and answer), and higher still when
 * bytes it sent wait unread in the socket: a peer that answered at once,
 * which this loop has not read yet because it was busy accepting, is not
 * taken for a stalled one. */
static int net_progress(struct net_link *l, uint64_t now)
{
    uv_os_fd_t fd;
    char b;
    if (uv_fileno((uv_handle_t *)&l->tcp, &fd) == 0) {
        ssize_t r = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (r == 0) return -1;
        if (r > 0) return 2 * ((int)NET_LINK_UP + 1) + (int)l->state;
    }
    if (now - l->accepted_ms < l->net->cfg.handshake_timeout_ms / 8u)
        return (int)NET_LINK_UP + 1 + (int)l->state;
    return (int)l->state;
}

/* The pending link other than `keep` (of source `src`, or of any when NULL)
 * to give up first: the least progress through the handshake, then the
 * oldest. Sets *count to the pending links matching, `keep` included. */
static struct net_link *net_pending_victim(struct net *net, const struct net_link *keep,
                                           const uint8_t *src, size_t *count)
{
    struct net_link *best = NULL;
    int best_p = 0;
    size_t n = 0;
    uint64_t now = uv_now(net->loop);
    for (struct net_link *o = net->links; o; o = o->next) {
        if (!o->pending || o->closing || o->rejecting) continue;
        if (src && memcmp(o->src, src, sizeof o->src) != 0) continue;
        n++;
        if (o == keep) continue;
        int p = net_progress(o, now);
        if (!best || p < best_p || (p == best_p && o->accept_seq < best->accept_seq)) {
            best = o;
            best_p = p;
        }
    }
    *count = n;
    return best;
}

static void net_evict(struct net *net, struct net_link *victim, const char *why)
{
    net->stats.pending_evicted++;
    net_quiet_note(net, victim, true, why, WB_ERR_BUSY);
    net__link_close(victim, WB_ERR_BUSY);
}

/* Keeps the handshake pool within its bounds after `l` joined it: the newest
 * connection always gets its chance; room is made by evicting another. */
static void net_admit(struct net *net, struct net_link *l)
{
    size_t n = 0;
    for (struct net_link *o = net->links; o; o = o->next)
        if (o->pending && !o->closing && !o->rejecting && memcmp(o->src, l->src, sizeof o->src) == 0)
            n++;
    struct net_link *v;
    if (n > net->cfg.pending_per_source_max && (v = net_pending_victim(net, l, l->src, &n)))
        net_evict(net, v, "evicted: too many handshakes in flight from this address");
    if (net->pending > net->cfg.pending_max && (v = net_pending_victim(net, l, NULL, &n)))
        net_evict(net, v, "evicted: the handshake pool is full");
}

static void net_on_connection(uv_stream_t *server, int status);

static void net_on_accept_check(uv_check_t *c)
{
    struct net *net = c->data;
    net->accepts_this_turn = 0;
    if (!net->accept_deferred || net->closing || net->listen_state != NET_LISTEN_ACTIVE) return;
    net->accept_deferred = false;
    net_on_connection((uv_stream_t *)&net->listener, 0);
}

static void net_on_connection(uv_stream_t *server, int status)
{
    struct net *net = server->data;
    if (net->closing) return;
    if (status < 0) {
        NET_WARN(net, "%s: accept failed: %s", net->name, uv_strerror(status));
        return;
    }
    if (net->accepts_this_turn >= NET_ACCEPTS_PER_TURN) {
        /* Left unaccepted, libuv stops watching the listener until the
         * check handle accepts it after this iteration's reads. */
        net->accept_deferred = true;
        return;
    }
    net->accepts_this_turn++;
    net->stats.links_accepted++;
    struct net_link *l;
    int rc = net__link_new(net, false, &l);
    if (rc) {
        /* Left unaccepted, libuv stops watching the listener; nothing else
         * can be done without memory. */
        NET_ERROR(net, "%s: cannot accept a connection: %s", net->name, wb_strerror(rc));
        return;
    }
    rc = uv_accept(server, (uv_stream_t *)&l->tcp);
    if (rc) {
        NET_WARN(net, "%s: accept failed: %s", net->name, uv_strerror(rc));
        net__link_close(l, net__uv_err(rc));
        return;
    }
    struct sockaddr_storage sa;
    int sl = (int)sizeof sa;
    if (uv_tcp_getpeername(&l->tcp, (struct sockaddr *)&sa, &sl) == 0)
        net__addr_format((struct sockaddr *)&sa, l->addr);
    net_src_key((struct sockaddr *)&sa, l->src);
    l->pending = true;
    l->accept_seq = ++net->accept_seq;
    l->accepted_ms = uv_now(net->loop);
    net->pending++;
    net_admit(net, l);
    rc = net__hs_start(l);
    if (rc) net__link_fail(l, rc, "cannot start the handshake");
}

int net_listen(struct net *net, const char *addr)
{
    if (net->closing || net->listen_state != NET_LISTEN_NONE) return WB_ERR_INVALID;
    struct sockaddr_storage sa;
    char name[NET_ADDR_MAX];
    uint16_t port;
    int rc = net__addr_parse(addr, true, &sa, name, &port);
    if (rc) return rc;
    if (name[0]) {
        /* Startup configuration: a synchronous lookup is acceptable here. */
        uv_getaddrinfo_t req;
        struct addrinfo hints;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        int status = uv_getaddrinfo(net->loop, &req, NULL, name, NULL, &hints);
        rc = status ? WB_ERR_NOT_FOUND : net__addr_pick(req.addrinfo, port, &sa);
        if (!status) uv_freeaddrinfo(req.addrinfo);
        if (rc) {
            NET_WARN(net, "%s: cannot listen on %s: cannot resolve '%s': %s", net->name,
                    addr, name, net__resolve_why(status));
            return WB_ERR_NOT_FOUND;
        }
    }
    rc = uv_tcp_init(net->loop, &net->listener);
    if (rc) return net__uv_err(rc);
    net->listener.data = net;
    net->refs++;
    net->listen_state = NET_LISTEN_ACTIVE;
    rc = uv_tcp_bind(&net->listener, (const struct sockaddr *)&sa, 0);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&net->listener, 128, net_on_connection);
    if (rc == 0) rc = uv_check_start(&net->accept_check, net_on_accept_check);
    if (rc) {
        NET_WARN(net, "%s: cannot listen on %s: %s", net->name, addr, uv_strerror(rc));
        net->listen_state = NET_LISTEN_CLOSING;
        uv_close((uv_handle_t *)&net->listener, net_on_listener_close);
        return net__uv_err(rc);
    }
    char bound[NET_ADDR_MAX];
    struct sockaddr_storage got;
    int gl = (int)sizeof got;
    if (uv_tcp_getsockname(&net->listener, (struct sockaddr *)&got, &gl) == 0)
        net__addr_format((struct sockaddr *)&got, bound);
    else
        snprintf(bound, sizeof bound, "%s", addr);
    NET_INFO(net, "%s: listening on %s", net->name, bound);
    return WB_OK;
}

int net_bound_port(const struct net *net, uint16_t *port)
{
    if (net->listen_state != NET_LISTEN_ACTIVE) return WB_ERR_INVALID;
    struct sockaddr_storage sa;
    int sl = (int)sizeof sa;
    int rc = uv_tcp_getsockname(&net->listener, (struct sockaddr *)&sa, &sl);
    if (rc) return net__uv_err(rc);
    if (sa.ss_family == AF_INET) *port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
    else if (sa.ss_family == AF_INET6) *port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
    else return WB_ERR_INVALID;
    return WB_OK;
}

/* ---- accessors ----------------------------------------------------------- */

void net_link_close(struct net_link *link)
{
    net__link_close(link, WB_OK);
}

const uint8_t *net_link_peer_key(const struct net_link *link)
{
    return link->peer_pk;
}

const char *net_link_peer_addr(const struct net_link *link)
{
    return link->addr;
}

bool net_link_outbound(const struct net_link *link)
{
    return link->outbound;
}

void net_link_set_data(struct net_link *link, void *data)
{
    link->data = data;
}

size_t net_link_queued_bytes(const struct net_link *link)
{
    return link->tx_queued;
}

void *net_link_data(const struct net_link *link)
{
    return link->data;
}

struct net *net_link_net(const struct net_link *link)
{
    return link->net;
}

size_t net_links_up(const struct net *net)
{
    return net->links_up;
}

size_t net_pending(const struct net *net)
{
    return net->pending;
}

void net_get_stats(const struct net *net, struct net_stats *out)
{
    *out = net->stats;
}

bool net_keyset_authorize(void *ctx, const uint8_t peer_pk[32])
{
    const struct net_keyset *ks = ctx;
    for (size_t i = 0; i < ks->count; i++)
        if (memcmp(ks->keys[i], peer_pk, 32) == 0) return true;
    return false;
}

/* ---- shutdown ------------------------------------------------------------ */

void net_close(struct net *net, void (*close_cb)(void *ctx))
{
    if (net->closing) return;
    net->closing = true;
    net->close_cb = close_cb;
    if (net->listen_state == NET_LISTEN_ACTIVE) {
        net->listen_state = NET_LISTEN_CLOSING;
        uv_close((uv_handle_t *)&net->listener, net_on_listener_close);
    }
    for (struct net_dialer *d = net->dialers; d; d = d->next) net__dialer_close(d);
    for (struct net_link *l = net->links; l; l = l->next) net__link_close(l, WB_OK);
    uv_close((uv_handle_t *)&net->own_timer, net_on_own_timer_close);
    uv_close((uv_handle_t *)&net->accept_check, net_on_own_timer_close);
}
