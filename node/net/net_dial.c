/* Outbound dials: one attempt at a time per dialer (resolve a DNS name off
 * the loop thread, connect, handshake), redialed after a capped exponential
 * backoff with jitter, and paused while another up link to the same peer
 * exists (the one-link-per-peer rule would close ours). The lower layers
 * tell the dialers about their links through the hooks registered here
 * (struct net_link_hooks). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "node/net/net_addr_internal.h"
#include "node/net/net_dial_internal.h"
#include "node/net/net_link_internal.h"
#include "node/net/net_read_internal.h"

#define LOG_MOD "net"
#define NET_ATTEMPT_CAP 32u /* backoff doubling stops long before this */

enum net_dialer_state {
    NET_DIAL_WAIT,       /* timer armed for the next attempt */
    NET_DIAL_RESOLVING,  /* getaddrinfo of the name in flight */
    NET_DIAL_LINKED,     /* an attempt (or its up link) is in progress */
    NET_DIAL_SUPPRESSED, /* another up link to the peer exists */
    NET_DIAL_DONE,       /* closing */
};

struct net_dialer {
    struct net *net;
    struct net_dialer *prev, *next;
    uv_timer_t timer;
    enum net_dialer_state state;
    struct sockaddr_storage sa;
    char addr[NET_ADDR_MAX];
    char name[NET_ADDR_MAX];   /* DNS name resolved before each attempt, or "" */
    uint16_t port;
    uv_getaddrinfo_t gai;
    bool resolving;            /* gai in flight: the dialer outlives it */
    bool timer_closed;
    bool reconnect;
    bool has_key;              /* expected or learned peer identity */
    bool key_expected;
    uint8_t key[32];
    uint32_t attempt;          /* consecutive failed attempts */
    bool failing_logged;
    struct net_link *link;
};


static void net_dialer_close(struct net_dialer *d);

static void net_dialer_on_timer(uv_timer_t *t);

static void net_on_connect(uv_connect_t *req, int status)
{
    struct net_link *l = req->data;
    if (l->closing) return; /* UV_ECANCELED from closing the handle */
    if (status < 0) {
        net__link_fail(l, WB_ERR_UNREACHABLE, uv_strerror(status));
        return;
    }
    int rc = net__read_start(l);
    if (rc) net__link_fail(l, rc, "cannot start the handshake");
}

/* Arms the next attempt: base * 2^attempt capped at max, then a uniformly
 * random point in its upper half so that peers restarted together spread out. */
static void net_dialer_schedule(struct net_dialer *d)
{
    const struct net_config *c = &d->net->cfg;
    uint64_t delay = c->reconnect_base_ms;
    for (uint32_t i = 0; i < d->attempt && delay < c->reconnect_max_ms; i++) delay *= 2;
    if (delay > c->reconnect_max_ms) delay = c->reconnect_max_ms;
    uint64_t half = delay / 2;
    delay = half + randombytes_uniform((uint32_t)(delay - half) + 1);
    d->state = NET_DIAL_WAIT;
    int rc = uv_timer_start(&d->timer, net_dialer_on_timer, delay, 0);
    if (rc) {
        NET_ERROR(d->net, "%s: dial %s: cannot arm the retry timer: %s", d->net->name, d->addr,
                 uv_strerror(rc));
        d->state = NET_DIAL_SUPPRESSED;
    }
}

static bool net_dialer_peer_up(const struct net_dialer *d)
{
    return d->net->cfg.unique_peers && d->has_key && net__find_up(d->net, d->key, NULL);
}

/* What follows an attempt that ended without a link: report, then retry,
 * wait for the other up link, or (single dial) finish. */
static void net_dialer_after(struct net_dialer *d, int err, const char *why, bool was_up)
{
    struct net *net = d->net;
    d->state = NET_DIAL_WAIT;
    if (!was_up) {
        /* A handshake that timed out already waited handshake_timeout_ms:
         * the next attempt goes out soon (the peer may just have come back),
         * not after a backoff on top. */
        if (err == WB_ERR_TIMEOUT) d->attempt = 0;
        else if (err != WB_ERR_DUPLICATE && d->attempt < NET_ATTEMPT_CAP) d->attempt++;
        if (net->cfg.on_dial_fail)
            net->cfg.on_dial_fail(net->cfg.ctx, d->addr, err, why, d->reconnect);
        if (d->state == NET_DIAL_DONE || net->closing) return; /* the callback closed us */
    }
    if (!d->reconnect) {
        net_dialer_close(d);
        return;
    }
    if (net_dialer_peer_up(d)) {
        d->state = NET_DIAL_SUPPRESSED;
        return;
    }
    net_dialer_schedule(d);
}

static void net_dialer_connect(struct net_dialer *d)
{
    struct net *net = d->net;
    struct net_link *l;
    int rc = net__link_new(net, true, &l);
    if (rc) {
        NET_WARN(net, "%s: dial %s: %s", net->name, d->addr, wb_strerror(rc));
        net_dialer_after(d, rc, NULL, false);
        return;
    }
    d->state = NET_DIAL_LINKED;
    d->link = l;
    l->dialer = d;
    snprintf(l->addr, sizeof l->addr, "%s", d->addr);
    if (d->key_expected) {
        l->has_expected = true;
        memcpy(l->expected_pk, d->key, sizeof l->expected_pk);
    }
    l->connect_req.data = l;
    rc = uv_tcp_connect(&l->connect_req, &l->tcp, (const struct sockaddr *)&d->sa,
                        net_on_connect);
    if (rc) net__link_fail(l, WB_ERR_UNREACHABLE, uv_strerror(rc));
}

static void net_dialer_free(struct net_dialer *d)
{
    struct net *net = d->net;
    if (d->prev) d->prev->next = d->next;
    else net->dialers = d->next;
    if (d->next) d->next->prev = d->prev;
    free(d);
    net__unref(net);
}

static void net_on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct net_dialer *d = req->data;
    d->resolving = false;
    int rc = status == 0 ? net__addr_pick(res, d->port, &d->sa) : WB_ERR_NOT_FOUND;
    if (res) uv_freeaddrinfo(res);
    if (d->state == NET_DIAL_DONE) {
        if (d->timer_closed) net_dialer_free(d);
        return;
    }
    if (rc) {
        struct net *net = d->net;
        const char *why = net__resolve_why(status);
        net->stats.connect_failures++;
        NET_LOG(net, d->failing_logged ? WB_LOG_DEBUG : WB_LOG_WARN,
               "%s: dial %s: cannot resolve '%s': %s", net->name, d->addr, d->name, why);
        d->failing_logged = true;
        net_dialer_after(d, WB_ERR_NOT_FOUND, why, false);
        return;
    }
    net_dialer_connect(d);
}

static void net_dialer_attempt(struct net_dialer *d)
{
    struct net *net = d->net;
    net->stats.links_dialed++;
    if (!d->name[0]) {
        net_dialer_connect(d);
        return;
    }
    /* Names are looked up again on every attempt: a peer may move. */
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    d->gai.data = d;
    int rc = uv_getaddrinfo(net->loop, &d->gai, net_on_resolved, d->name, NULL, &hints);
    if (rc) {
        NET_WARN(net, "%s: dial %s: cannot start resolving: %s", net->name, d->addr,
                uv_strerror(rc));
        net_dialer_after(d, WB_ERR_UNREACHABLE, NULL, false);
        return;
    }
    net->stats.lookups++;
    d->resolving = true;
    d->state = NET_DIAL_RESOLVING;
}

static void net_dialer_on_timer(uv_timer_t *t)
{
    struct net_dialer *d = t->data;
    if (d->state != NET_DIAL_WAIT || d->net->closing) return;
    if (net_dialer_peer_up(d)) {
        d->state = NET_DIAL_SUPPRESSED;
        return;
    }
    net_dialer_attempt(d);
}

static void net_dialer_link_up(struct net_dialer *d, struct net_link *l)
{
    if (d->failing_logged)
        NET_INFO(d->net, "%s: dial %s: connected again", d->net->name, d->addr);
    d->failing_logged = false;
    d->attempt = 0;
    WB_ASSERT(d->has_key && memcmp(d->key, l->peer_pk, sizeof d->key) == 0);
}

static void net_dialer_link_gone(struct net_dialer *d, struct net_link *l)
{
    WB_ASSERT(d->link == l);
    d->link = NULL;
    l->dialer = NULL;
    if (d->state == NET_DIAL_DONE || d->net->closing) return;
    net_dialer_after(d, l->close_reason ? l->close_reason : WB_ERR_CLOSED, NULL, l->was_up);
}

/* An up link to `peer_pk` is gone: its suspended dialers redial at once. */
static void net_dialers_wake(struct net *net, const uint8_t peer_pk[32])
{
    for (struct net_dialer *d = net->dialers; d; d = d->next) {
        if (d->state != NET_DIAL_SUPPRESSED || !d->has_key ||
            memcmp(d->key, peer_pk, sizeof d->key) != 0 || net_dialer_peer_up(d))
            continue;
        d->attempt = 0;
        net_dialer_schedule(d);
    }
}

/* A link to `peer_pk` came up that no dialer of ours made: the dialers of
 * that peer stop waiting out their backoff (they pause while it is up and
 * redial at once when it goes). */
static void net_dialers_heard(struct net *net, const uint8_t peer_pk[32])
{
    for (struct net_dialer *d = net->dialers; d; d = d->next) {
        if (d->state != NET_DIAL_WAIT || !d->has_key ||
            memcmp(d->key, peer_pk, sizeof d->key) != 0)
            continue;
        if (d->attempt)
            NET_DEBUG(net, "%s: dial %s: peer dialed us; backoff reset", net->name, d->addr);
        uv_timer_stop(&d->timer);
        d->attempt = 0;
        d->failing_logged = false;
        d->state = NET_DIAL_SUPPRESSED; /* net_dialers_wake redials when the link goes */
    }
}

static void net_on_dialer_close(uv_handle_t *h)
{
    struct net_dialer *d = h->data;
    d->timer_closed = true;
    if (!d->resolving) net_dialer_free(d); /* else net_on_resolved frees it */
}

static void net_dialer_close(struct net_dialer *d)
{
    if (d->state == NET_DIAL_DONE) return;
    d->state = NET_DIAL_DONE;
    if (d->link) {
        d->link->dialer = NULL;
        d->link = NULL;
    }
    if (d->resolving) {
        /* Best effort: a lookup already running cannot be cancelled; either
         * way net_on_resolved runs and frees the dialer. */
        int rc = uv_cancel((uv_req_t *)&d->gai);
        if (rc) NET_DEBUG(d->net, "%s: dial %s: lookup runs on: %s", d->net->name, d->addr,
                         uv_strerror(rc));
    }
    uv_close((uv_handle_t *)&d->timer, net_on_dialer_close);
}

void net__dialers_close(struct net *net)
{
    for (struct net_dialer *d = net->dialers; d; d = d->next) net_dialer_close(d);
}

/* ---- the hooks: what the lower layers tell the dialers -------------------- */

static bool net_dial_on_failing(struct net_link *l)
{
    struct net_dialer *d = l->dialer;
    if (!d) return false;
    bool logged = d->failing_logged;
    d->failing_logged = true;
    return logged;
}

static void net_dial_on_verified(struct net_link *l)
{
    struct net_dialer *d = l->dialer;
    if (d && !d->key_expected) {
        memcpy(d->key, l->peer_pk, sizeof d->key);
        d->has_key = true;
    }
}

static void net_dial_on_up(struct net_link *l)
{
    struct net *net = l->net;
    if (l->dialer) net_dialer_link_up(l->dialer, l);
    else if (net->cfg.unique_peers) net_dialers_heard(net, l->peer_pk);
}

static void net_dial_on_gone(struct net_link *l)
{
    struct net *net = l->net;
    if (l->dialer) net_dialer_link_gone(l->dialer, l);
    if (l->was_up && net->cfg.unique_peers && !net->closing) net_dialers_wake(net, l->peer_pk);
}

static const struct net_link_hooks net_dial_hooks = {
    .failing = net_dial_on_failing,
    .verified = net_dial_on_verified,
    .up = net_dial_on_up,
    .gone = net_dial_on_gone,
};

int net_dial(struct net *net, const char *addr, const uint8_t *expected_peer_pk, bool reconnect)
{
    if (net->closing) return WB_ERR_INVALID;
    struct net_dialer *d = calloc(1, sizeof *d);
    if (!d) return WB_ERR_NOMEM;
    int rc = net__addr_parse(addr, false, &d->sa, d->name, &d->port);
    if (rc) {
        free(d);
        return rc;
    }
    snprintf(d->addr, sizeof d->addr, "%s", addr);
    d->net = net;
    d->reconnect = reconnect;
    if (expected_peer_pk) {
        memcpy(d->key, expected_peer_pk, sizeof d->key);
        d->has_key = d->key_expected = true;
    }
    rc = uv_timer_init(net->loop, &d->timer);
    if (rc) {
        free(d);
        return net__uv_err(rc);
    }
    d->timer.data = d;
    net->hooks = &net_dial_hooks; /* from now on its links tell the dialers */
    d->next = net->dialers;
    if (net->dialers) net->dialers->prev = d;
    net->dialers = d;
    net->refs++;
    d->state = NET_DIAL_WAIT;
    rc = uv_timer_start(&d->timer, net_dialer_on_timer, 0, 0);
    if (rc) {
        net_dialer_close(d);
        return net__uv_err(rc);
    }
    return WB_OK;
}
