/* The net endpoint, the top layer of node/net/ (net_internal.h lists them):
 * creation, listening, accepting into the pool of inbound handshakes and
 * keeping it within its bounds, sending, the accessors, shutdown. */
#include "node/net/net.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "node/net/net_addr_internal.h"
#include "node/net/net_dial_internal.h"
#include "node/net/net_frame_internal.h"
#include "node/net/net_link_internal.h"
#include "node/net/net_quiet_internal.h"
#include "node/net/net_read_internal.h"

#define LOG_MOD "net"

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

/* ---- sending ------------------------------------------------------------- */

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
    net__quiet_note(net, victim, true, why, WB_ERR_BUSY);
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
    rc = net__read_start(l);
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

void net_link_bytes(const struct net_link *link, uint64_t *received, uint64_t *sent)
{
    *received = link->rx_bytes;
    *sent = link->tx_bytes;
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
    net__dialers_close(net);
    for (struct net_link *l = net->links; l; l = l->next) net__link_close(l, WB_OK);
    uv_close((uv_handle_t *)&net->own_timer, net_on_own_timer_close);
    uv_close((uv_handle_t *)&net->accept_check, net_on_own_timer_close);
}
